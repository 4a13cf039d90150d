//! What a verified token says (spec 14.1): the claims of a connection token and of
//! a subscription token, read from the JWT's JSON, and why a token was refused.
//! `channel` tells the two kinds apart so that neither is accepted as the other.

use serde::Deserialize;
use std::collections::BTreeMap;

/// A connection's info, as the connection directory keeps it: string values.
pub type Info = BTreeMap<String, String>;

/// The claims lhttp reads; the others are the application's.
#[derive(Debug, Deserialize)]
pub(crate) struct Claims {
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    pub exp: Option<u64>,
    #[serde(default)]
    pub info: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    #[serde(default)]
    pub channel: Option<String>,
}

/// A connection token that verified (14.1, 14.2). Holds no part of the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The uid (`sub`); empty for an anonymous connection.
    pub uid: String,
    /// When the token expires (seconds since the Unix epoch).
    pub exp: Option<u64>,
    /// The connection's info, when the token has one.
    pub info: Option<Info>,
    /// The channels to subscribe on connect.
    pub channels: Vec<String>,
}

/// A subscription token that verified (14.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The uid it was issued to (`sub`, empty for anonymous).
    pub uid: String,
    /// The channel it opens.
    pub channel: String,
    /// When it expires (seconds since the Unix epoch).
    pub exp: Option<u64>,
}

/// Why a token was refused. The text names the check that failed, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// It does not verify (signature, algorithm, audience, issuer, not yet valid, shape).
    Invalid(String),
    /// Its `exp` has passed.
    Expired,
}

impl Claims {
    /// The claims of a connection token; a token with `channel` is a subscription token.
    pub(crate) fn connection(self) -> Result<Verified, Refusal> {
        if self.channel.is_some() {
            return Err(Refusal::Invalid(
                "a subscription token (it has a channel claim) is not a connection token".into(),
            ));
        }
        Ok(Verified {
            uid: self.sub.unwrap_or_default(),
            exp: self.exp,
            info: self.info.map(info_strings),
            channels: self.channels.unwrap_or_default(),
        })
    }

    /// The claims of a subscription token, which must name its channel.
    pub(crate) fn subscription(self) -> Result<Grant, Refusal> {
        let channel = self
            .channel
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Refusal::Invalid("a subscription token needs a channel claim".into()))?;
        Ok(Grant {
            uid: self.sub.unwrap_or_default(),
            channel,
            exp: self.exp,
        })
    }
}

/// The info object with string values: a JSON string as it is, any other value as its JSON text.
fn info_strings(map: serde_json::Map<String, serde_json::Value>) -> Info {
    map.into_iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: &str) -> Claims {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_channel_claim_tells_the_kinds_apart() {
        let c = claims(r#"{"sub":"ann","info":{"name":"Ann","age":3},"channels":["a"]}"#)
            .connection()
            .unwrap();
        assert_eq!(c.uid, "ann");
        assert_eq!(c.info.unwrap()["age"], "3");
        assert_eq!(c.channels, ["a"]);
        assert!(claims(r#"{"sub":"ann","channel":"x"}"#).connection().is_err());
        assert!(claims(r#"{"sub":"ann"}"#).subscription().is_err());
        assert_eq!(claims(r#"{"channel":"x"}"#).subscription().unwrap().uid, "");
    }
}
