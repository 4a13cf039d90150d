//! For tests only (feature `testing`): a TLS server configuration with a
//! certificate made on the spot, so tests can put a real TLS endpoint in front
//! of a server or act as an `https://` backend.

use std::sync::Arc;

use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A rustls server configuration whose self-signed certificate names `names`
/// (host names or IP addresses), and that certificate as PEM: the CA a client
/// must be given to trust it.
///
/// ```
/// let (config, ca_pem) = lhttp_tls::testing::self_signed(&["127.0.0.1"]);
/// assert!(ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
/// assert!(lhttp_tls::client_config(Some(ca_pem.as_bytes())).is_ok());
/// # drop(config);
/// ```
pub fn self_signed(names: &[&str]) -> (Arc<rustls::ServerConfig>, String) {
    let names = names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let key = rcgen::generate_simple_self_signed(names).expect("a certificate for these names");
    let cert = CertificateDer::from(key.cert.der().to_vec());
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("the ring provider's protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], private)
        .expect("the certificate and its key");
    (Arc::new(config), key.cert.pem())
}
