//! The self-declared identity of `--client-identity` (spec 15.1): a connection
//! without a token names its own uid and info on the upgrade URL, so a demo or
//! a trusted network has names in its presence without a token backend. What it
//! names is written to the directory, never to the connection's verified identity.

use super::super::local::Info;
use super::super::State;
use crate::context::Context;
use crate::filter::{Filter, Reject};
use lhttp_core::ServerError;

/// The longest self-declared uid, in bytes.
const MAX_UID: usize = 256;
/// The largest self-declared info, in bytes of JSON.
const MAX_INFO: usize = 4096;

/// Reads `?uid=..&info=..` when the connection has no token; installed by `[presence] client_identity`.
#[derive(Debug, Default)]
pub struct ClientIdentity;

impl Filter for ClientIdentity {
    fn on_open(&self, ctx: &mut Context<'_>) -> Result<(), Reject> {
        if ctx.identity().authenticated {
            return Ok(());
        }
        let query = ctx.handshake().and_then(|h| h.uri.query()).unwrap_or("");
        let (mut uid, mut info) = (None, None);
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match &*name {
                "uid" => uid = Some(value.into_owned()),
                "info" => info = Some(value.into_owned()),
                _ => {}
            }
        }
        let uid = uid.filter(|u| !u.is_empty()).map(check_uid).transpose()?;
        let info = info.map(|i| read_info(&i)).transpose()?;
        let state = State::of(ctx.handle());
        let mut dir = state.local();
        if let Some(u) = uid {
            dir.bind_uid(ctx.conn_id(), &u);
        }
        if let Some(i) = info {
            dir.set_info(ctx.conn_id(), i);
        }
        Ok(())
    }
}

fn bad(detail: String) -> Reject {
    Reject::new(ServerError::BadRequest.as_str(), detail)
}

fn check_uid(uid: String) -> Result<String, Reject> {
    if uid.len() > MAX_UID || uid.chars().any(char::is_control) || uid.trim() != uid {
        return Err(bad(format!(
            "the uid on the URL must be at most {MAX_UID} bytes, without control characters or surrounding spaces"
        )));
    }
    Ok(uid)
}

/// A JSON object; each value a string as it is, any other value as its JSON text (as a token's `info`).
fn read_info(text: &str) -> Result<Info, Reject> {
    if text.len() > MAX_INFO {
        return Err(bad(format!("the info on the URL is over {MAX_INFO} bytes")));
    }
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|_| bad("the info on the URL is not a JSON object".into()))?;
    Ok(map
        .into_iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => (k, s),
            other => (k, other.to_string()),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_is_an_object_of_strings_and_a_uid_a_plain_name() {
        let i = read_info(r#"{"name":"Ann","age":3}"#).unwrap();
        assert_eq!((i["name"].as_str(), i["age"].as_str()), ("Ann", "3"));
        assert_eq!(read_info("[1]").unwrap_err().code, "BadRequest");
        assert!(check_uid("ann".into()).is_ok());
        assert!(check_uid("a\nb".into()).is_err() && check_uid("x".repeat(300)).is_err());
    }
}
