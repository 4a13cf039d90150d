//! The one rustls client configuration of lhttp: the system's root certificates
//! plus any CA the caller gives, with the `ring` crypto provider. The client uses
//! it for `wss://` and `https://`, the server for `https://` upstream calls, so
//! both trust exactly the same certificates.
#![deny(missing_docs)]

use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

pub use rustls::ClientConfig;

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
