//! The keys a server verifies tokens with, as the operator configured them, and
//! the choice of key for one token: by its `kid` in a key set, else by the family
//! of its `alg`. A token is only ever checked with a key of its algorithm's own
//! kind, so the accepted algorithms follow from the keys (no algorithm confusion).

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};
use std::path::Path;

/// One configured key and the algorithms it verifies.
pub(crate) struct Key {
    pub(crate) key: DecodingKey,
    pub(crate) algorithms: &'static [Algorithm],
}

/// The HMAC family: HS256, HS384, HS512.
const HMAC: &[Algorithm] = &[Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];
/// The RSA family: PKCS#1 v1.5 and PSS.
const RSA: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];
/// ECDSA: each curve verifies its own algorithm; the signature check tells them apart.
const EC: &[Algorithm] = &[Algorithm::ES256, Algorithm::ES384];
/// Ed25519.
const ED: &[Algorithm] = &[Algorithm::EdDSA];

/// The keys of files and settings (the HMAC secret, PEM public keys, a JWKS file).
#[derive(Default)]
pub(crate) struct Keys {
    /// Keys without an id, chosen by algorithm family.
    plain: Vec<Key>,
    /// A key set read from a file, chosen by `kid`.
    set: Option<JwkSet>,
}

impl Keys {
    /// Adds the HMAC secret.
    pub(crate) fn add_secret(&mut self, secret: &[u8]) -> Result<(), String> {
        let key = DecodingKey::from_secret(secret).map_err(|e| format!("token: the HMAC secret: {e}"))?;
        self.plain.push(Key { key, algorithms: HMAC });
        Ok(())
    }

    /// Adds a PEM public key (RSA, EC or Ed25519), whichever kind the file holds.
    pub(crate) fn add_pem(&mut self, path: &Path) -> Result<(), String> {
        let pem = std::fs::read(path).map_err(|e| format!("token public key {}: {e}", path.display()))?;
        let key = DecodingKey::from_rsa_pem(&pem)
            .map(|key| Key { key, algorithms: RSA })
            .or_else(|_| DecodingKey::from_ec_pem(&pem).map(|key| Key { key, algorithms: EC }))
            .or_else(|_| DecodingKey::from_ed_pem(&pem).map(|key| Key { key, algorithms: ED }))
            .map_err(|_| {
                format!(
                    "token public key {}: not a PEM RSA, EC (P-256, P-384) or Ed25519 public key",
                    path.display()
                )
            })?;
        self.plain.push(key);
        Ok(())
    }

    /// Sets the key set read from a file.
    pub(crate) fn set_jwks(&mut self, set: JwkSet) {
        self.set = Some(set);
    }

    /// Whether the file key set holds `kid`.
    pub(crate) fn has_kid(&self, kid: &str) -> bool {
        self.set.as_ref().is_some_and(|s| s.find(kid).is_some())
    }

    /// The key for a token of `alg` with `kid`: the key set's `kid` first (also
    /// `remote`, a fetched set), then a plain key of the algorithm's family.
    pub(crate) fn choose(
        &self,
        alg: Algorithm,
        kid: Option<&str>,
        remote: Option<&JwkSet>,
    ) -> Result<DecodingKey, String> {
        if let Some(kid) = kid {
            let found = self
                .set
                .as_ref()
                .and_then(|s| s.find(kid))
                .or_else(|| remote.and_then(|s| s.find(kid)));
            if let Some(jwk) = found {
                return from_jwk(jwk, alg);
            }
        }
        self.plain
            .iter()
            .find(|k| k.algorithms.contains(&alg))
            .map(|k| k.key.clone())
            .ok_or_else(|| match kid {
                Some(_) => "no configured key has the token's kid or verifies its algorithm".to_string(),
                None => "no configured key verifies the token's algorithm".to_string(),
            })
    }
}

/// A key set's key for a token of `alg`: the key's own `alg`, when it says one,
/// must be the token's, and its kind must be `alg`'s family.
fn from_jwk(jwk: &Jwk, alg: Algorithm) -> Result<DecodingKey, String> {
    if let Some(own) = jwk.common.key_algorithm {
        if own.to_string() != format!("{alg:?}") {
            return Err("the key named by the token's kid is for another algorithm".into());
        }
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| "the key named by the token's kid is not usable".to_string())?;
    if key.family() != alg.family() {
        return Err("the key named by the token's kid is of another kind than its algorithm".into());
    }
    Ok(key)
}

/// A JSON Web Key Set from its JSON text.
pub(crate) fn parse_jwks(text: &[u8], from: &str) -> Result<JwkSet, String> {
    serde_json::from_slice(text).map_err(|e| format!("token key set {from}: not a JSON Web Key Set ({e})"))
}
