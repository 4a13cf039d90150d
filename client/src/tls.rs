//! The rustls client configuration for `wss://` and `https://`: the one `lhttp-tls`
//! builds (the system's roots plus any CA the caller gives), errors as [`Error::Connect`].

use std::sync::Arc;

use crate::Error;

/// A client configuration trusting the system's roots and every certificate in `ca_pem`.
///
/// Fails with [`Error::Connect`] when `ca_pem` holds no certificate or a bad one, or
/// when no root at all is available.
pub(crate) fn client_config(ca_pem: Option<&[u8]>) -> Result<Arc<rustls::ClientConfig>, Error> {
    lhttp_tls::client_config(ca_pem).map_err(|reason| Error::Connect { status: None, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pem_without_certificates_is_refused() {
        let err = client_config(Some(b"not a certificate")).unwrap_err();
        assert_eq!(err.name(), "Connect");
    }
}
