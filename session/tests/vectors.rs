//! Runs the session vectors of `spec/vectors/session/*.json` against
//! `lhttp-session`: scripted conversations (time, input, expected transmits,
//! events and messages), format in `spec/vectors/README.md`. The wasm build runs
//! the same files (js-sdk/test/session-vectors.test.js), so every SDK's
//! behaviour is pinned by the same data.

use std::collections::BTreeSet;
use std::path::PathBuf;

use lhttp_session::{Config, Error, Event, History, OwnedMessage, Position, Session, State, Token, Transmit};
use serde_json::{json, Map, Value};

/// The fewest session vectors the suite must hold.
const MIN_VECTORS: usize = 30;

type Check = Result<(), String>;

fn files() -> Vec<(String, Vec<Value>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors/session");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, v["vectors"].as_array().cloned().unwrap_or_default())
        })
        .collect()
}

fn config(v: &Value) -> Result<Config, String> {
    let mut c = Config::default();
    let Some(obj) = v.get("config").and_then(Value::as_object) else {
        return Ok(c);
    };
    for (key, value) in obj {
        let ms = || value.as_u64().ok_or(format!("config {key} is not a number"));
        match key.as_str() {
            "reconnect" => c.reconnect = value.as_bool().ok_or("config reconnect")?,
            "request_timeout" => c.request_timeout = ms()?,
            "connect_timeout" => c.connect_timeout = ms()?,
            "ping_interval" => c.ping_interval = value.as_u64(),
            "backoff_initial" => c.backoff_initial = ms()?,
            "backoff_max" => c.backoff_max = ms()?,
            "max_attempts" => c.max_attempts = value.as_u64().map(|n| n as u32),
            "max_buffered" => c.max_buffered = ms()? as usize,
            "seed" => c.seed = ms()?,
            "token" => c.token = value.as_str().map(Token::new),
            "token_callback" => c.token_callback = value.as_bool().ok_or("config token_callback")?,
            "subscription_token_callback" => {
                c.subscription_token_callback = value.as_bool().ok_or("config subscription_token_callback")?
            }
            other => return Err(format!("unknown config key {other}")),
        }
    }
    Ok(c)
}

fn text_or_hex(step: &Value, key: &str) -> Result<Vec<u8>, String> {
    if let Some(s) = step.get(key).and_then(Value::as_str) {
        return Ok(s.as_bytes().to_vec());
    }
    let hex = step
        .get(format!("{key}_hex"))
        .and_then(Value::as_str)
        .ok_or(format!("no {key}"))?;
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn error_of(v: &Value) -> Result<Error, String> {
    let reason = v.get("reason").and_then(Value::as_str).unwrap_or("").to_owned();
    match v.get("name").and_then(Value::as_str) {
        Some("Connect") => Ok(Error::Connect {
            status: v.get("status").and_then(Value::as_u64).map(|s| s as u16),
            reason,
        }),
        Some("Io") => Ok(Error::Io(reason)),
        Some("Timeout") => Ok(Error::Timeout),
        other => Err(format!("connect_failed error {other:?}")),
    }
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Idle => "idle",
        State::Connecting => "connecting",
        State::Handshaking => "handshaking",
        State::Restoring => "restoring",
        State::Open => "open",
        State::Waiting => "waiting",
        State::Ended => "ended",
    }
}

fn transmit_json(t: &Transmit) -> Value {
    match t {
        Transmit::Connect => json!({"type": "connect"}),
        Transmit::Frame(bytes) => match std::str::from_utf8(bytes) {
            Ok(s) => json!({"type": "frame", "data": s}),
            Err(_) => {
                json!({"type": "frame", "data_hex": bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()})
            }
        },
        Transmit::Ping => json!({"type": "ping"}),
        Transmit::Close { code, reason } => json!({"type": "close", "code": code, "reason": reason}),
    }
}

fn event_json(e: &Event) -> Value {
    match e {
        Event::Opened { client_id, limits } => json!({"type": "opened", "client_id": client_id,
            "max_channels": limits.max_channels, "max_subscriptions": limits.max_subscriptions}),
        Event::Acked { id, deliveries, reply } => json!({"type": "acked", "id": id.0, "deliveries": deliveries,
            "history": History::read(reply).ok().map(|h| history_json(&h))}),
        Event::Failed { id, error } => json!({"type": "failed", "id": id.0, "error": error.name()}),
        Event::ServerError { error, .. } => json!({"type": "server_error", "error": error.name()}),
        Event::Unreadable { error } => json!({"type": "unreadable", "error": error.name()}),
        Event::RestoreRefused { channel, error } => {
            json!({"type": "restore_refused", "channel": channel, "error": error.name()})
        }
        Event::Closed { code, reason } => json!({"type": "closed", "code": code, "reason": reason}),
        Event::ConnectFailed { error } => {
            let status = match error {
                Error::Connect { status, .. } => *status,
                _ => None,
            };
            json!({"type": "connect_failed", "error": error.name(), "status": status})
        }
        Event::Reconnecting { attempt, delay } => json!({"type": "reconnecting", "attempt": attempt, "delay": delay}),
        Event::GaveUp { error } => json!({"type": "gave_up", "error": error.name()}),
        Event::Lagged { dropped } => json!({"type": "lagged", "dropped": dropped}),
        Event::Recovered { channel } => json!({"type": "recovered", "channel": channel}),
        Event::Unrecovered { channel } => json!({"type": "unrecovered", "channel": channel}),
        Event::TokenNeeded => json!({"type": "token_needed"}),
        Event::SubscriptionTokenNeeded { channel } => json!({"type": "subscription_token_needed", "channel": channel}),
        Event::RefreshFailed { error } => json!({"type": "refresh_failed", "error": error.name()}),
        Event::Unsubscribed { channel, error } => {
            json!({"type": "unsubscribed", "channel": channel, "error": error.name()})
        }
    }
}

/// A message written back canonically, as text.
fn message_text(m: &OwnedMessage) -> Value {
    Value::String(String::from_utf8_lossy(&m.encode().unwrap()).into_owned())
}

/// A history answer as the vectors write it.
fn history_json(h: &History) -> Value {
    json!({"channel": h.channel, "position": h.position.to_string(),
        "publications": h.publications.iter().map(message_text).collect::<Vec<_>>()})
}

/// Compares the fields an expectation names (`delay_min`/`delay_max` bound `delay`).
fn matches(got: &Value, want: &Value) -> Check {
    let want = want.as_object().ok_or("an expectation is not an object")?;
    for (key, w) in want {
        match key.as_str() {
            "delay_min" | "delay_max" => {
                let d = got["delay"].as_u64().ok_or("no delay")?;
                let bound = w.as_u64().ok_or("bad bound")?;
                let ok = if key == "delay_min" { d >= bound } else { d <= bound };
                if !ok {
                    return Err(format!("delay {d} breaks {key} {bound}"));
                }
            }
            _ if got.get(key) != Some(w) => {
                return Err(format!("{key}: got {}, want {w}", got.get(key).unwrap_or(&Value::Null)));
            }
            _ => {}
        }
    }
    Ok(())
}

fn compare_list(what: &str, got: &[Value], want: Option<&Value>) -> Check {
    let empty = Vec::new();
    let want = want.and_then(Value::as_array).unwrap_or(&empty);
    let show = || serde_json::to_string(got).unwrap();
    if got.len() != want.len() {
        return Err(format!(
            "{what}: got {} items, want {}: {}",
            got.len(),
            want.len(),
            show()
        ));
    }
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        matches(g, w).map_err(|e| format!("{what}[{i}]: {e} (got {})", show()))?;
    }
    Ok(())
}

fn run_step(s: &mut Session, now: u64, step: &Map<String, Value>) -> Check {
    let v = Value::Object(step.clone());
    let channels = strings(step.get("channels"));
    let channels: Vec<&str> = channels.iter().map(String::as_str).collect();
    let input = step.get("input").and_then(Value::as_str).ok_or("no input")?;
    let mut messages = Vec::new();
    let result: Option<Result<Option<u64>, Error>> = match input {
        "start" => {
            s.start(now);
            None
        }
        "socket_opened" => {
            s.socket_opened(now);
            None
        }
        "connect_failed" => {
            s.connect_failed(now, error_of(step.get("error").ok_or("no error")?)?);
            None
        }
        "received" => {
            s.received(now, &text_or_hex(&v, "data")?);
            None
        }
        "activity" => {
            s.activity(now);
            None
        }
        "socket_closed" => {
            let code = step.get("code").and_then(Value::as_u64).map(|c| c as u16);
            s.socket_closed(now, code, step.get("reason").and_then(Value::as_str).unwrap_or(""));
            None
        }
        "tick" => {
            s.tick(now);
            None
        }
        "set_token" => {
            s.set_token(
                now,
                Token::new(step.get("token").and_then(Value::as_str).ok_or("no token")?),
            );
            None
        }
        "token_failed" => {
            s.token_failed(now, error_of(step.get("error").ok_or("no error")?)?);
            None
        }
        "set_subscription_token" => {
            let channel = step.get("channel").and_then(Value::as_str).ok_or("no channel")?;
            let token = step.get("token").and_then(Value::as_str).map(Token::new);
            s.set_subscription_token(now, channel, token);
            None
        }
        "subscription_token_failed" => {
            let channel = step.get("channel").and_then(Value::as_str).ok_or("no channel")?;
            s.subscription_token_failed(now, channel, error_of(step.get("error").ok_or("no error")?)?);
            None
        }
        "subscribe" => Some(s.subscribe(now, &channels).map(|id| Some(id.0))),
        "unsubscribe" => Some(s.unsubscribe(now, &channels).map(|id| Some(id.0))),
        "publish" => {
            let headers: Vec<(String, String)> = step
                .get("headers")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|p| {
                            (
                                p[0].as_str().unwrap_or("").to_owned(),
                                p[1].as_str().unwrap_or("").to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let command = step.get("command").and_then(Value::as_str).unwrap_or("chat");
            let body = text_or_hex(&v, "body").unwrap_or_default();
            Some(s.publish(now, &channels, command, &headers, &body).map(|id| Some(id.0)))
        }
        "history" => {
            let channel = step.get("channel").and_then(Value::as_str).unwrap_or("");
            let limit = step.get("limit").and_then(Value::as_u64).map(|n| n as u32);
            let reverse = step.get("reverse").and_then(Value::as_bool).unwrap_or(false);
            let since = step
                .get("since")
                .and_then(Value::as_str)
                .map(Position::parse)
                .transpose();
            Some(
                since
                    .map_err(Error::Protocol)
                    .and_then(|since| s.history(now, channel, limit, since, reverse).map(|id| Some(id.0))),
            )
        }
        "request" | "send" => {
            let raw = text_or_hex(&v, "message")?;
            let msg = OwnedMessage::parse(&raw).map_err(|e| format!("message does not parse: {e}"))?;
            if input == "request" {
                Some(s.request(now, msg).map(|id| Some(id.0)))
            } else {
                Some(s.send(now, &msg).map(|()| None))
            }
        }
        "close" => {
            let code = step.get("code").and_then(Value::as_u64).unwrap_or(1000) as u16;
            s.close(now, code, step.get("reason").and_then(Value::as_str).unwrap_or(""));
            None
        }
        "read" => {
            let max = step.get("max").and_then(Value::as_u64).unwrap_or(u64::MAX);
            while (messages.len() as u64) < max {
                match s.poll_message() {
                    Some(m) => messages.push(message_text(&m)),
                    None => break,
                }
            }
            None
        }
        other => return Err(format!("unknown input {other}")),
    };
    match (result, step.get("result")) {
        (None, None) => {}
        (Some(got), Some(want)) => {
            let got = match got {
                Ok(Some(id)) => json!({"id": id}),
                Ok(None) => json!({"ok": true}),
                Err(e) => json!({"error": e.name()}),
            };
            if &got != want {
                return Err(format!("result: got {got}, want {want}"));
            }
        }
        (Some(got), None) => return Err(format!("result {got:?} not expected by the vector")),
        (None, Some(_)) => return Err("a result is expected but this input has none".into()),
    }
    let transmits: Vec<Value> = std::iter::from_fn(|| s.poll_transmit())
        .map(|t| transmit_json(&t))
        .collect();
    compare_list("transmit", &transmits, step.get("transmit"))?;
    let events: Vec<Value> = std::iter::from_fn(|| s.poll_event()).map(|e| event_json(&e)).collect();
    compare_list("events", &events, step.get("events"))?;
    if input == "read" {
        let want = step.get("messages").cloned().unwrap_or(json!([]));
        if Value::Array(messages.clone()) != want {
            return Err(format!("messages: got {messages:?}, want {want}"));
        }
    }
    if let Some(want) = step.get("deadline") {
        let got = s.next_deadline().map_or(Value::Null, Value::from);
        if &got != want {
            return Err(format!("deadline: got {got}, want {want}"));
        }
    }
    if let Some(want) = step.get("state") {
        let got = state_name(s.state());
        if want.as_str() != Some(got) {
            return Err(format!("state: got {got}, want {want}"));
        }
    }
    if let Some(want) = step.get("subscriptions") {
        let got: BTreeSet<&str> = s.subscriptions().collect();
        let want: BTreeSet<String> = strings(Some(want)).into_iter().collect();
        let want: BTreeSet<&str> = want.iter().map(String::as_str).collect();
        if got != want {
            return Err(format!("subscriptions: got {got:?}, want {want:?}"));
        }
    }
    if let Some(want) = step.get("subscription_count").and_then(Value::as_u64) {
        let got = s.subscriptions().count() as u64;
        if got != want {
            return Err(format!("subscription count: got {got}, want {want}"));
        }
    }
    if let Some(want) = step.get("positions").and_then(Value::as_object) {
        for (channel, w) in want {
            let got = s
                .position(channel)
                .map_or(Value::Null, |p| Value::String(p.to_string()));
            if &got != w {
                return Err(format!("position of {channel}: got {got}, want {w}"));
            }
        }
    }
    if let Some(want) = step.get("buffered").and_then(Value::as_u64) {
        if s.buffered() as u64 != want {
            return Err(format!("buffered: got {}, want {want}", s.buffered()));
        }
    }
    Ok(())
}

fn run_vector(v: &Value) -> Check {
    let mut s = Session::new(config(v)?);
    let mut now = 0u64;
    for (i, step) in v["steps"].as_array().ok_or("no steps")?.iter().enumerate() {
        let step = step.as_object().ok_or("a step is not an object")?;
        now = match step.get("at") {
            None => now,
            Some(Value::String(at)) if at == "deadline" => s
                .next_deadline()
                .ok_or(format!("step {i}: at deadline, but the session has none"))?,
            Some(at) => at.as_u64().ok_or("at is not a number")?,
        };
        run_step(&mut s, now, step).map_err(|e| format!("step {i} ({}): {e}", step["input"]))?;
    }
    Ok(())
}

#[test]
fn session_vectors() {
    let mut total = 0;
    let mut ids = BTreeSet::new();
    let mut failures = Vec::new();
    for (file, vectors) in files() {
        for v in &vectors {
            total += 1;
            let id = v["id"].as_str().unwrap_or("<no id>").to_owned();
            if !ids.insert(id.clone()) {
                failures.push(format!("{file} {id}: duplicate id"));
            }
            if v["description"].as_str().is_none_or(str::is_empty) {
                failures.push(format!("{file} {id}: no description"));
            }
            if let Err(e) = run_vector(v) {
                failures.push(format!("{file} {id}: {e}"));
            }
        }
    }
    if total < MIN_VECTORS {
        failures.push(format!("only {total} session vectors, want at least {MIN_VECTORS}"));
    }
    assert!(
        failures.is_empty(),
        "{} failing:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
