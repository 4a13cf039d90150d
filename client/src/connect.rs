//! Opening one WebSocket: TCP, TLS for `wss://` and the handshake (with the
//! configured `Origin`), and the frames LHTTP bytes travel in. The server's
//! `connected` greeting is the session's to read, like every later message.

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{header, HeaderValue};
use tokio_tungstenite::tungstenite::{self, Message as Frame};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::{tls, Config, Error};

/// The WebSocket the driver reads and writes.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket to `config.url`. The session bounds how long it may take.
pub(crate) async fn open(config: &Config) -> Result<Socket, Error> {
    let url = url::Url::parse(&config.url).map_err(|e| failed(format!("bad URL {:?}: {e}", config.url)))?;
    let connector = match url.scheme() {
        "ws" => Connector::Plain,
        "wss" => Connector::Rustls(tls::client_config(config.ca_pem.as_deref())?),
        other => {
            return Err(failed(format!(
                "unsupported URL scheme {other:?} (use ws:// or wss://)"
            )))
        }
    };
    let mut request = url.as_str().into_client_request().map_err(|e| failed(e.to_string()))?;
    if let Some(origin) = &config.origin {
        let value = HeaderValue::from_str(origin).map_err(|e| failed(format!("bad origin {origin:?}: {e}")))?;
        request.headers_mut().insert(header::ORIGIN, value);
    }
    let (socket, _response) = tokio_tungstenite::connect_async_tls_with_config(request, None, true, Some(connector))
        .await
        .map_err(handshake_error)?;
    Ok(socket)
}

/// The frame carrying LHTTP bytes: text when they are UTF-8, else binary.
pub(crate) fn data_frame(bytes: Vec<u8>) -> Frame {
    match String::from_utf8(bytes) {
        Ok(text) => Frame::text(text),
        Err(e) => Frame::binary(e.into_bytes()),
    }
}

fn failed(reason: String) -> Error {
    Error::Connect { status: None, reason }
}

/// A failed handshake. A refusal carries the HTTP status and, when the server
/// said why in its JSON body (`{"error":"OriginNotAllowed","detail":"..."}`),
/// `"<error>: <detail>"` as the reason.
fn handshake_error(e: tungstenite::Error) -> Error {
    match e {
        tungstenite::Error::Http(response) => Error::Connect {
            status: Some(response.status().as_u16()),
            reason: refusal_reason(response.status(), response.body().as_deref()),
        },
        other => failed(other.to_string()),
    }
}

/// Why the server refused a handshake, from its answer's body.
fn refusal_reason(status: tungstenite::http::StatusCode, body: Option<&[u8]>) -> String {
    let body = body.unwrap_or_default();
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        json.as_ref()
            .and_then(|j| j.get(name))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    match (field("error"), field("detail")) {
        (Some(error), Some(detail)) => format!("{error}: {detail}"),
        (Some(error), None) => error,
        _ => {
            let text = String::from_utf8_lossy(body).trim().to_owned();
            if text.is_empty() {
                status.canonical_reason().unwrap_or_default().to_owned()
            } else {
                text
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tungstenite::http::StatusCode;

    #[test]
    fn a_refusal_reads_the_server_json() {
        let body = br#"{"error":"OriginNotAllowed","detail":"pages from x may not connect"}"#;
        assert_eq!(
            refusal_reason(StatusCode::FORBIDDEN, Some(body)),
            "OriginNotAllowed: pages from x may not connect"
        );
        assert_eq!(
            refusal_reason(StatusCode::SERVICE_UNAVAILABLE, Some(br#"{"error":"ShuttingDown"}"#)),
            "ShuttingDown"
        );
        assert_eq!(refusal_reason(StatusCode::UNAUTHORIZED, None), "Unauthorized");
        assert_eq!(
            refusal_reason(StatusCode::NOT_FOUND, Some(b"no such path\n")),
            "no such path"
        );
    }

    #[test]
    fn frames_are_text_when_utf8() {
        assert!(matches!(data_frame(b"LHTTP/1.0 a\r\n\r\n".to_vec()), Frame::Text(_)));
        assert!(matches!(data_frame(vec![0xff]), Frame::Binary(_)));
    }
}
