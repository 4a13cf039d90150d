//! TLS on lhttpd's own port: given a certificate and its key, every connection
//! starts with a TLS handshake, so browsers and clients reach `wss://` and
//! `https://` without a terminating proxy in front.

use crate::config::Config;
use std::path::Path;
use tokio_rustls::TlsAcceptor;

/// The acceptor for `config`'s certificate and key, `None` without TLS. Fails,
/// naming the file, when only one of the two is set or either cannot be used.
pub(crate) fn acceptor(config: &Config) -> Result<Option<TlsAcceptor>, String> {
    let (cert, key) = match (&config.tls_cert, &config.tls_key) {
        (None, None) => return Ok(None),
        (Some(cert), Some(key)) => (cert, key),
        _ => return Err("TLS needs both a certificate (--tls-cert) and its key (--tls-key)".into()),
    };
    let read = |path: &Path| std::fs::read(path).map_err(|e| format!("TLS file {}: {e}", path.display()));
    let server = lhttp_tls::server_config(&read(cert)?, &read(key)?)
        .map_err(|e| format!("TLS certificate {} with key {}: {e}", cert.display(), key.display()))?;
    Ok(Some(TlsAcceptor::from(server)))
}
