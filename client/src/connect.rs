//! Opening one WebSocket connection: TCP, TLS for `wss://`, the handshake, and the
//! server's `connected` greeting that carries the connection's client id.

use futures_util::StreamExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message as Frame};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::{tls, Config, Error, Message};

/// The WebSocket the client task drives.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The command of the server's greeting, sent first on every connection.
pub(crate) const CONNECTED: &str = "connected";

/// A freshly opened connection.
pub(crate) struct Opened {
    /// The socket, past the handshake and the greeting.
    pub socket: Socket,
    /// The `client-id` of the greeting, when the server sent one.
    pub client_id: Option<String>,
    /// The first application frame, if the server sent something other than a greeting first.
    pub first: Option<Result<Message, Error>>,
}

/// Connects to `config.url` within `config.connect_timeout`.
pub(crate) async fn open(config: &Config) -> Result<Opened, Error> {
    tokio::time::timeout(config.connect_timeout, open_now(config))
        .await
        .map_err(|_| Error::Timeout)?
}

async fn open_now(config: &Config) -> Result<Opened, Error> {
    let url = url::Url::parse(&config.url).map_err(|e| Error::Connect(format!("bad URL {:?}: {e}", config.url)))?;
    let connector = match url.scheme() {
        "ws" => Connector::Plain,
        "wss" => Connector::Rustls(tls::client_config(config.ca_pem.as_deref())?),
        other => {
            return Err(Error::Connect(format!(
                "unsupported URL scheme {other:?} (use ws:// or wss://)"
            )))
        }
    };
    let (mut socket, _response) =
        tokio_tungstenite::connect_async_tls_with_config(url.as_str(), None, true, Some(connector))
            .await
            .map_err(connect_error)?;
    // The greeting comes first; anything else is kept for the application.
    let (client_id, first) = loop {
        match socket.next().await {
            Some(Ok(frame)) => match frame_bytes(&frame) {
                Some(bytes) => match Message::parse(bytes) {
                    Ok(msg) if msg.command() == CONNECTED => {
                        break (msg.header("client-id").map(str::to_owned), None);
                    }
                    Ok(msg) => break (None, Some(Ok(msg))),
                    Err(e) => break (None, Some(Err(Error::Protocol(e)))),
                },
                None if matches!(frame, Frame::Close(_)) => return Err(closed_error(&frame)),
                None => continue,
            },
            Some(Err(e)) => return Err(Error::Connect(e.to_string())),
            None => {
                return Err(Error::Connect(
                    "the server closed the connection before its greeting".into(),
                ))
            }
        }
    };
    Ok(Opened {
        socket,
        client_id,
        first,
    })
}

/// The LHTTP bytes of a data frame; `None` for control frames.
pub(crate) fn frame_bytes(frame: &Frame) -> Option<&[u8]> {
    match frame {
        Frame::Text(text) => Some(text.as_bytes()),
        Frame::Binary(bytes) => Some(bytes),
        _ => None,
    }
}

/// The frame carrying LHTTP bytes: text when they are UTF-8, else binary.
pub(crate) fn data_frame(bytes: Vec<u8>) -> Frame {
    match String::from_utf8(bytes) {
        Ok(text) => Frame::text(text),
        Err(e) => Frame::binary(e.into_bytes()),
    }
}

/// The error for a close frame from the server.
pub(crate) fn closed_error(frame: &Frame) -> Error {
    match frame {
        Frame::Close(Some(close)) => Error::Closed {
            code: Some(close.code.into()),
            reason: close.reason.to_string(),
        },
        _ => Error::closed("closed by the server without a code"),
    }
}

fn connect_error(e: tungstenite::Error) -> Error {
    match e {
        tungstenite::Error::Http(response) => Error::Connect(format!(
            "the server answered the WebSocket handshake with HTTP {}",
            response.status()
        )),
        other => Error::Connect(other.to_string()),
    }
}
