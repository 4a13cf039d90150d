//! For tests only (feature `testing`): a certificate made on the spot, as PEM
//! files would hold it or as a ready TLS server configuration, so tests can
//! run lhttpd with TLS, put a TLS endpoint in front of a server, or act as an
//! `https://` backend.

use std::sync::Arc;

/// A self-signed certificate naming `names` (host names or IP addresses) and
/// its private key, both PEM. The certificate is also the CA a client must be
/// given to trust it.
///
/// ```
/// let (cert, key) = lhttp_tls::testing::self_signed_pem(&["localhost"]);
/// assert!(lhttp_tls::server_config(cert.as_bytes(), key.as_bytes()).is_ok());
/// ```
pub fn self_signed_pem(names: &[&str]) -> (String, String) {
    let names = names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let key = rcgen::generate_simple_self_signed(names).expect("a certificate for these names");
    (key.cert.pem(), key.signing_key.serialize_pem())
}

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
    let (cert, key) = self_signed_pem(names);
    let config = crate::server_config(cert.as_bytes(), key.as_bytes()).expect("the certificate and its key");
    (config, cert)
}
