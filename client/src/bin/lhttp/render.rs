//! Printing for people: a received message (the start line and headers one per line,
//! a blank line, then the body as text, or its size when it is not UTF-8), a join or
//! leave event on one line, and a presence answer.

use lhttp_client::{Member, Message, Presence, PresenceEvent, PresenceKind, PresenceStats};

/// The readable form of `msg`, ending with a newline.
pub fn render(msg: &Message) -> String {
    let mut out = format!("LHTTP/1.0 {}\n", msg.command());
    for (name, value) in msg.headers() {
        out.push_str(&format!("{name}:{value}\n"));
    }
    out.push('\n');
    match msg.body_text() {
        Some(text) => {
            out.push_str(text);
            if !text.is_empty() && !text.ends_with('\n') {
                out.push('\n');
            }
        }
        None => out.push_str(&format!("<{} bytes of binary body>\n", msg.body().len())),
    }
    out
}

/// A channel's counts on one line, ending with a newline: `room: 2 connections, 1 user`.
pub fn stats(channel: &str, s: &PresenceStats) -> String {
    format!(
        "{channel}: {} connection{}, {} user{}\n",
        s.connections,
        plural(s.connections),
        s.users,
        plural(s.users)
    )
}

/// The counts, then one line per member (`  <client> uid:<uid or -> <info as JSON>`),
/// then a note when the server listed fewer members than there are.
pub fn presence(channel: &str, p: &Presence) -> String {
    let mut out = stats(channel, &p.stats);
    for m in &p.members {
        out.push_str(&format!("  {} uid:{} {}\n", m.client, uid(m), info(m)));
    }
    if p.capped {
        out.push_str(&format!("  (the server lists at most {} members)\n", p.members.len()));
    }
    out
}

/// A join or leave event on one line, marked with `* ` so that it stands out among
/// message bodies: `* ann (n-1) joined room {"name":"Ann"}`, `* n-2 left room (disconnect)`.
pub fn event(e: &PresenceEvent) -> String {
    let m = &e.member;
    let who = if m.uid.is_empty() {
        m.client.clone()
    } else {
        format!("{} ({})", m.uid, m.client)
    };
    match e.kind {
        PresenceKind::Join if m.info.is_empty() => format!("* {who} joined {}", e.channel),
        PresenceKind::Join => format!("* {who} joined {} {}", e.channel, info(m)),
        PresenceKind::Leave => format!("* {who} left {} ({})", e.channel, e.reason),
    }
}

fn uid(m: &Member) -> &str {
    if m.uid.is_empty() {
        "-"
    } else {
        &m.uid
    }
}

/// The info as the JSON object it came as (a map of strings always serializes).
fn info(m: &Member) -> String {
    serde_json::to_string(&m.info).unwrap_or_default()
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_headers_and_body() {
        let msg = Message::new("chat").with_header("publish", "room").with_body("hi");
        assert_eq!(render(&msg), "LHTTP/1.0 chat\npublish:room\n\nhi\n");
        let binary = Message::new("blob").with_body(vec![0xff, 0xfe]);
        assert_eq!(render(&binary), "LHTTP/1.0 blob\n\n<2 bytes of binary body>\n");
    }

    fn member(client: &str, uid: &str, name: Option<&str>) -> Member {
        let info = name
            .map(|n| [("name".to_owned(), n.to_owned())].into())
            .unwrap_or_default();
        Member {
            client: client.into(),
            uid: uid.into(),
            info,
        }
    }

    #[test]
    fn shows_counts_and_members() {
        let p = Presence {
            stats: PresenceStats {
                connections: 2,
                users: 1,
            },
            members: vec![member("n-1", "ann", Some("Ann")), member("n-2", "", None)],
            capped: true,
        };
        assert_eq!(
            presence("room", &p),
            "room: 2 connections, 1 user\n  n-1 uid:ann {\"name\":\"Ann\"}\n  n-2 uid:- {}\n  (the server lists at most 2 members)\n"
        );
        assert_eq!(stats("r", &PresenceStats::default()), "r: 0 connections, 0 users\n");
    }

    #[test]
    fn shows_events_on_one_line() {
        let join = PresenceEvent {
            kind: PresenceKind::Join,
            channel: "room".into(),
            member: member("n-1", "ann", Some("Ann")),
            reason: String::new(),
        };
        assert_eq!(event(&join), "* ann (n-1) joined room {\"name\":\"Ann\"}");
        let leave = PresenceEvent {
            kind: PresenceKind::Leave,
            channel: "room".into(),
            member: member("n-2", "", None),
            reason: "disconnect".into(),
        };
        assert_eq!(event(&leave), "* n-2 left room (disconnect)");
    }
}
