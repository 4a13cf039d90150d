//! History (spec 13) on one node: the flat-out fan-out against lhttpd with
//! history off and on, and the time a resubscribe with `since` takes to bring
//! back publications missed while disconnected.

use crate::conn::{self, Ws};
use crate::report::{render, thousands};
use crate::scenario::{self, Fanout, Latency};
use crate::server::{Running, ServerUnderTest};
use crate::Result;
use futures_util::{SinkExt, StreamExt};
use lhttp_core::{parse, Header, EMPTY_HEADER};
use std::time::{Duration, Instant};

/// The flags of the history-on fan-out run (default namespace).
pub const FANOUT_FLAGS: [&str; 4] = ["--history-size", "100", "--history-ttl", "300"];

/// The flags of the recovery run: room for every missed publication
/// (the default `recover_max`, 300, bounds one recovery).
pub const RECOVERY_FLAGS: [&str; 4] = ["--history-size", "1000", "--history-ttl", "300"];

/// The channel of the recovery scenario (default namespace, so it has history).
const CHANNEL: &str = "recover";

/// How long one recovery may take before the round fails.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(20);

/// What the history scenario measured.
#[derive(Debug, Default)]
pub struct HistoryResults {
    /// Flat-out fan-out, history off.
    pub off: Option<Result<Fanout, String>>,
    /// Flat-out fan-out, history on ([`FANOUT_FLAGS`]).
    pub on: Option<Result<Fanout, String>>,
    /// Recovery time of `missed` publications over the rounds.
    pub recovery: Option<Result<Latency, String>>,
    /// Publications missed per recovery round.
    pub missed: usize,
}

/// Times `rounds` recoveries of `missed` publications on a fresh server.
pub async fn recovery(server: &ServerUnderTest, rounds: usize, missed: usize) -> Result<Latency> {
    let running = server.start().await?;
    let result = recovery_on(&running, rounds, missed).await;
    running.stop().await;
    result
}

async fn recovery_on(server: &Running, rounds: usize, missed: usize) -> Result<Latency> {
    recovery_between(&server.url, &server.url, &server.url, rounds, missed).await
}

/// The recovery rounds with the publisher on `publish_on`, the first subscribe
/// on `first_on` and every reconnect (and so every recovery) on `recover_on`:
/// one URL for one node, or the nodes of a cluster sharing the history.
pub async fn recovery_between(
    publish_on: &str,
    first_on: &str,
    recover_on: &str,
    rounds: usize,
    missed: usize,
) -> Result<Latency> {
    let mut publisher = conn::open(publish_on, 64 * 1024, 0).await?;
    let mut client = conn::open(first_on, 64 * 1024, 0).await?;
    let ack = request(&mut client, &[sub(), id("s")], "s").await?;
    let mut position = position_in(&ack)?;
    let body = [b'x'; 64];
    let mut samples = Vec::with_capacity(rounds);
    let started = Instant::now();
    for round in 0..rounds {
        drop(client);
        for i in 0..missed {
            let frame = if i + 1 == missed {
                let tag = format!("p{round}");
                conn::message(&[pubh(), id(&tag)], &body)?
            } else {
                conn::publish(CHANNEL, &body)?
            };
            publisher.send(frame).await?;
        }
        // The last publish's ack: all of them are in the history now.
        let last = format!("p{round}");
        read_until(&mut publisher, |cmd, i| cmd == "ack" && i == last).await?;
        client = conn::open(recover_on, 64 * 1024, 0).await?;
        let since = format!("{CHANNEL} {position}");
        let tag = format!("r{round}");
        let t0 = Instant::now();
        client
            .send(conn::message(
                &[
                    sub(),
                    Header {
                        name: "since",
                        value: &since,
                    },
                    id(&tag),
                ],
                b"",
            )?)
            .await?;
        let mut got = 0usize;
        let mut elapsed = None;
        let ack = tokio::time::timeout(RECOVERY_TIMEOUT, async {
            while let Some(frame) = client.next().await {
                let frame = frame?;
                let Some(bytes) = conn::payload(&frame) else { continue };
                let mut headers = [EMPTY_HEADER; 32];
                let msg = parse(bytes, &mut headers)?;
                match msg.command {
                    c if c == conn::COMMAND && msg.header("channel") == Some(CHANNEL) => {
                        got += 1;
                        if got == missed {
                            elapsed = Some(t0.elapsed());
                        }
                    }
                    "ack" if msg.header("id") == Some(tag.as_str()) => {
                        return Ok::<_, crate::Error>(String::from_utf8_lossy(bytes).into_owned())
                    }
                    "error" => return Err(format!("error reply: {}", String::from_utf8_lossy(bytes)).into()),
                    _ => {}
                }
            }
            Err("connection ended during a recovery".into())
        })
        .await
        .map_err(|_| format!("no recovery ack within {RECOVERY_TIMEOUT:?}"))??;
        let mut headers = [EMPTY_HEADER; 32];
        let msg = parse(ack.as_bytes(), &mut headers)?;
        if !msg
            .header("recovered")
            .is_some_and(|r| r.split(' ').any(|c| c == CHANNEL))
            || got != missed
        {
            return Err(format!("round {round}: {got} of {missed} recovered, ack {ack:?}").into());
        }
        position = position_in(&ack)?;
        let ns = elapsed.ok_or("no recovered publication")?.as_nanos();
        samples.push(u32::try_from(ns).unwrap_or(u32::MAX));
    }
    let per_sec = (rounds * missed) as f64 / started.elapsed().as_secs_f64();
    scenario::summarize(&mut samples, per_sec, 0)
}

fn sub() -> Header<'static> {
    Header {
        name: lhttp_core::names::SUBSCRIBE,
        value: CHANNEL,
    }
}

fn pubh() -> Header<'static> {
    Header {
        name: lhttp_core::names::PUBLISH,
        value: CHANNEL,
    }
}

fn id(v: &str) -> Header<'_> {
    Header { name: "id", value: v }
}

/// Sends `headers` and returns the text of the ack with `id` `tag` (an error
/// reply is an `Err`).
pub async fn request(ws: &mut Ws, headers: &[Header<'_>], tag: &str) -> Result<String> {
    ws.send(conn::message(headers, b"")?).await?;
    read_until(ws, |cmd, i| cmd == "ack" && i == tag).await
}

/// Reads until a message whose command and `id` satisfy `ok`; returns its text.
async fn read_until(ws: &mut Ws, ok: impl Fn(&str, &str) -> bool) -> Result<String> {
    let wait = async {
        while let Some(frame) = ws.next().await {
            let frame = frame?;
            let Some(bytes) = conn::payload(&frame) else { continue };
            let mut headers = [EMPTY_HEADER; 32];
            let msg = parse(bytes, &mut headers)?;
            if ok(msg.command, msg.header("id").unwrap_or("")) {
                return Ok(String::from_utf8_lossy(bytes).into_owned());
            }
            if msg.command == "error" {
                return Err(format!("error reply: {}", String::from_utf8_lossy(bytes)).into());
            }
        }
        Err("connection ended".into())
    };
    tokio::time::timeout(RECOVERY_TIMEOUT, wait)
        .await
        .map_err(|_| format!("no answer within {RECOVERY_TIMEOUT:?}"))?
}

/// The `<epoch>:<offset>` of [`CHANNEL`] in an ack's `position` header.
fn position_in(ack: &str) -> Result<String> {
    let mut headers = [EMPTY_HEADER; 32];
    let msg = parse(ack.as_bytes(), &mut headers)?;
    msg.headers
        .iter()
        .filter(|h| h.name == "position")
        .find_map(|h| h.value.strip_prefix(CHANNEL).and_then(|p| p.strip_prefix(' ')))
        .map(str::to_string)
        .ok_or_else(|| format!("no position for {CHANNEL} in the ack {ack:?} (history off?)").into())
}

/// The history table: fan-out off and on, their ratio against the target,
/// and the recovery time.
pub fn table(h: &HistoryResults, subscribers: usize, publishers: usize) -> String {
    let mut lines = vec![["metric", "lhttpd", "target", "met"].map(String::from).to_vec()];
    let fan = |f: &Option<Result<Fanout, String>>| match f {
        Some(Ok(f)) if f.lost > 0 => format!("{} ({} subs lost)", thousands(f.delivered_per_sec), f.lost),
        Some(Ok(f)) => thousands(f.delivered_per_sec),
        Some(Err(_)) => "error".into(),
        None => "-".into(),
    };
    let subs = thousands(subscribers as f64);
    lines.push(vec![
        format!("fan-out flat out, {publishers} pub -> {subs} subs, history off: deliveries/s"),
        fan(&h.off),
        String::new(),
        String::new(),
    ]);
    lines.push(vec![
        format!(
            "fan-out flat out, {publishers} pub -> {subs} subs, history on ({}): deliveries/s",
            FANOUT_FLAGS.join(" ")
        ),
        fan(&h.on),
        String::new(),
        String::new(),
    ]);
    if let (Some(Ok(off)), Some(Ok(on))) = (&h.off, &h.on) {
        let ratio = on.delivered_per_sec / off.delivered_per_sec.max(1.0);
        lines.push(vec![
            "history on / history off".into(),
            format!("{:.0}%", ratio * 100.0),
            ">= 70%".into(),
            if ratio >= 0.7 { "yes" } else { "NO" }.into(),
        ]);
    }
    if let Some(r) = &h.recovery {
        let what = format!("resubscribe to the last of {} recovered publications", h.missed);
        recovery_rows(&mut lines, &what, r);
    }
    render(&lines)
}

/// The p50 and p99 rows of a recovery measurement named `what`.
pub fn recovery_rows(lines: &mut Vec<Vec<String>>, what: &str, r: &Result<Latency, String>) {
    let (p50, p99) = match r {
        Ok(l) => (
            format!("{:.2} ({} rounds)", l.p50_ms, l.samples),
            format!("{:.2} (max {:.2})", l.p99_ms, l.max_ms),
        ),
        Err(_) => ("error".into(), "error".into()),
    };
    lines.push(vec![format!("{what}, p50 ms"), p50, String::new(), String::new()]);
    lines.push(vec![format!("{what}, p99 ms"), p99, String::new(), String::new()]);
}

/// The history scenario's errors, one line each.
pub fn errors(h: &HistoryResults) -> Vec<String> {
    let mut out = Vec::new();
    for (what, e) in [
        ("fanout, history off", h.off.as_ref().and_then(|r| r.as_ref().err())),
        ("fanout, history on", h.on.as_ref().and_then(|r| r.as_ref().err())),
        ("recovery", h.recovery.as_ref().and_then(|r| r.as_ref().err())),
    ] {
        if let Some(e) = e {
            out.push(format!("lhttpd history {what}: {e}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_comes_from_the_channels_header() {
        let ack =
            "LHTTP/1.0 ack\r\nid:s\r\nposition:other e1:9\r\nposition:recover abc:42\r\nrecovered:recover\r\n\r\n";
        assert_eq!(position_in(ack).unwrap(), "abc:42");
        assert!(position_in("LHTTP/1.0 ack\r\nid:s\r\n\r\n").is_err());
    }

    #[test]
    fn the_table_checks_the_ratio_against_70_percent() {
        let fan = |d: f64| {
            Some(Ok(Fanout {
                delivered_per_sec: d,
                offered_per_sec: d,
                server_cpu: None,
                generator_cpu: None,
                lost: 0,
            }))
        };
        let h = HistoryResults {
            off: fan(1000.0),
            on: fan(690.0),
            ..Default::default()
        };
        let t = table(&h, 1000, 1);
        let row = t.lines().find(|l| l.contains("history on / history off")).unwrap();
        assert!(row.contains("69%") && row.contains("NO"), "{t}");
    }
}
