//! Presence (spec/PROTOCOL.md, section 15) for JavaScript: a presence query's answer
//! (`readPresence`, `readPresenceStats`) and a received `join` / `leave`
//! (`Message.presenceEvent()`), read by `lhttp-session` and handed over as plain
//! objects. Counts are JS numbers; a member's `info` is an object of strings.

use js_sys::{Array, Object};
use lhttp_core::OwnedMessage;
use lhttp_session::{Member, Presence, PresenceEvent, PresenceKind, PresenceStats};
use wasm_bindgen::prelude::*;

use crate::message::Message;
use crate::session::{error, object};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** One member of a channel with presence: a subscribed connection, its `uid` ('' when it has none) and `info` ({} when none). */
export interface PresenceMember { client: string; uid: string; info: Record<string, string> }
/** A channel's counts, cluster-wide: subscribed connections and distinct non-empty uids. */
export interface PresenceStats { connections: number; users: number }
/** A `presence` query's answer (`readPresence`): the counts (always complete), the members ordered by client id, and whether the server listed fewer than there are. */
export interface PresenceAnswer { members: PresenceMember[]; stats: PresenceStats; capped: boolean }
/** A received `join` or `leave` (`Message.presenceEvent()`): the member's `client`, `uid` and `info`; a leave says why. */
export type PresenceEvent =
  | { kind: 'join'; channel: string; client: string; uid: string; info: Record<string, string> }
  | {
      kind: 'leave'; channel: string; client: string; uid: string; info: Record<string, string>;
      reason: 'unsubscribe' | 'disconnect' | 'node-lost' | (string & {});
    };
"#;

/// Reads the `acked` reply of a `presence` request: `{ members, stats: { connections, users }, capped }`,
/// each member `{ client, uid, info }`. Throws with `code` `Internal` for a malformed answer.
#[wasm_bindgen(js_name = readPresence, unchecked_return_type = "PresenceAnswer")]
pub fn read_presence(reply: &Message) -> Result<JsValue, JsValue> {
    let p = Presence::read(reply.owned()).map_err(|e| error(&e))?;
    let members: Array = p.members.iter().map(member).collect();
    Ok(object(&[
        ("members", members.into()),
        ("stats", stats(p.stats)),
        ("capped", p.capped.into()),
    ]))
}

/// Reads the `acked` reply of a `presence_stats` request: `{ connections, users }`.
/// Throws with `code` `Internal` for a malformed answer.
#[wasm_bindgen(js_name = readPresenceStats, unchecked_return_type = "PresenceStats")]
pub fn read_presence_stats(reply: &Message) -> Result<JsValue, JsValue> {
    PresenceStats::read(reply.owned()).map(stats).map_err(|e| error(&e))
}

/// The event a received message is: `{ kind, channel, client, uid, info }` (and `reason`
/// for a leave), `null` when it is not a `join` or `leave`; throws `Internal` for a
/// malformed one.
pub(crate) fn event(msg: &OwnedMessage) -> Result<JsValue, JsValue> {
    let Some(read) = PresenceEvent::read(msg) else {
        return Ok(JsValue::NULL);
    };
    let e = read.map_err(|e| error(&e))?;
    let reason = match e.kind {
        PresenceKind::Join => JsValue::UNDEFINED,
        PresenceKind::Leave => e.reason.into(),
    };
    Ok(object(&[
        ("kind", e.kind.as_str().into()),
        ("channel", e.channel.into()),
        ("client", e.member.client.as_str().into()),
        ("uid", e.member.uid.as_str().into()),
        ("info", info(&e.member)),
        ("reason", reason),
    ]))
}

fn stats(s: PresenceStats) -> JsValue {
    object(&[
        ("connections", (s.connections as f64).into()),
        ("users", (s.users as f64).into()),
    ])
}

fn member(m: &Member) -> JsValue {
    object(&[
        ("client", m.client.as_str().into()),
        ("uid", m.uid.as_str().into()),
        ("info", info(m)),
    ])
}

/// The info as a plain object whose keys are the info's own (`__proto__` included:
/// `Object.fromEntries` defines, it does not assign).
fn info(m: &Member) -> JsValue {
    let entries: Array = m
        .info
        .iter()
        .map(|(k, v)| JsValue::from(Array::of2(&k.as_str().into(), &v.as_str().into())))
        .collect();
    // fromEntries of an array of [string, string] pairs cannot fail.
    Object::from_entries(&entries).map_or_else(|_| Object::new().into(), Into::into)
}
