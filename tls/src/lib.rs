//! The rustls configurations of lhttp, with the `ring` crypto provider. The one
//! client configuration (the system's root certificates plus any CA the caller
//! gives) serves the client's `wss://` and `https://` and the server's `https://`
//! upstream calls, so both trust exactly the same certificates. The server
//! configuration lets lhttpd itself answer `wss://` and `https://`.
#![deny(missing_docs)]

use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

pub use rustls::{ClientConfig, ServerConfig};

#[cfg(feature = "testing")]
pub mod testing;

/// A client configuration trusting the system's roots and every certificate in `ca_pem`.
///
/// Fails, with a sentence saying why, when `ca_pem` holds no certificate or a bad
/// one, or when no root at all is available.
///
/// ```
/// assert!(lhttp_tls::client_config(Some(b"not a certificate")).is_err());
/// ```
pub fn client_config(ca_pem: Option<&[u8]>) -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        // A system certificate rustls cannot use is skipped, as browsers do.
        let _ = roots.add(cert);
    }
    if let Some(pem) = ca_pem {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| format!("bad CA PEM: {e}"))?;
            roots.add(cert).map_err(|e| format!("bad CA certificate: {e}"))?;
            added += 1;
        }
        if added == 0 {
            return Err("the CA PEM holds no certificate".into());
        }
    }
    if roots.is_empty() {
        return Err("no trusted root certificate (system store empty, no CA given)".into());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A server configuration presenting the certificate chain in `cert_pem` (the
/// server's own certificate first) with the private key in `key_pem` (PKCS#8,
/// PKCS#1 or SEC1), offering HTTP/1.1 by ALPN.
///
/// Fails, with a sentence saying why, when either PEM holds nothing usable or
/// the key does not fit the certificate.
///
/// ```
/// assert!(lhttp_tls::server_config(b"", b"").is_err());
/// ```
pub fn server_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<ServerConfig>, String> {
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("bad certificate PEM: {e}"))?;
    if chain.is_empty() {
        return Err("the certificate PEM holds no certificate".into());
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| format!("bad private key PEM: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the certificate and key do not fit together: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
