//! How fast the codec parses, encodes and splits messages, next to a baseline
//! parser written the way the original Go server works (split into lines, a map
//! of owned strings per message), measured in the same run so the ratio means
//! something on any machine.
//!
//! Run: `cargo bench -p lhttp-core --bench codec`. After criterion's own report
//! the bench prints a summary table: ns per message, GB/s, and lhttp vs baseline.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use criterion::{criterion_group, BenchmarkGroup, Criterion, Throughput};
use lhttp_core::{encode, parse, Header, Part, PartFields, EMPTY_HEADER};

/// A typical chat message: 147 bytes, 3 headers, a small JSON body.
const CHAT: &[u8] = b"LHTTP/1.0 chat\r\nsubscribe:room-1 room-2\r\npublish:room-1\r\nid:7f3a9c21\r\n\r\n{\"from\":\"alice\",\"text\":\"Hello everyone, is the meeting still on at three?\"}";

/// The benchmark inputs, built once.
struct Inputs {
    /// A 4 KiB message: the chat headers and a text body filling the rest.
    big: Vec<u8>,
    /// A message whose body has 4 parts of about 300 bytes, each with 2 headers.
    multipart: Vec<u8>,
}

impl Inputs {
    fn new() -> Inputs {
        let head = CHAT.windows(4).position(|w| w == b"\r\n\r\n").expect("blank line") + 4;
        let mut big = CHAT[..head].to_vec();
        let text = b"All work and no play makes Jack a dull boy. ";
        while big.len() < 4096 {
            big.push(text[big.len() % text.len()]);
        }

        let names = ["a.png", "b.png", "c.txt", "d.bin"];
        let headers: Vec<[Header<'_>; 2]> = names
            .iter()
            .map(|name| {
                [
                    Header {
                        name: "content-type",
                        value: "application/octet-stream",
                    },
                    Header {
                        name: "name",
                        value: name,
                    },
                ]
            })
            .collect();
        let body = [0x5a; 256];
        let parts: Vec<PartFields<'_>> = headers
            .iter()
            .map(|h| PartFields {
                headers: h,
                body: &body,
            })
            .collect();
        let mut multipart = vec![0u8; 2048];
        let publish = [Header {
            name: "publish",
            value: "uploads",
        }];
        let n = lhttp_core::encode_multipart("upload", &publish, &parts, &mut multipart).expect("fits");
        multipart.truncate(n);
        Inputs { big, multipart }
    }
}

fn parse_and_encode(c: &mut Criterion, inputs: &Inputs) {
    for (name, msg) in [("chat_147B", CHAT), ("message_4KiB", &inputs.big[..])] {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(msg.len() as u64));
        bench_parse(&mut g, msg);
        g.finish();
    }
}

fn bench_parse(g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, msg: &[u8]) {
    g.bench_function("parse", |b| {
        let mut headers = [EMPTY_HEADER; 16];
        b.iter(|| {
            let m = parse(black_box(msg), &mut headers).expect("parses");
            black_box((m.command, m.headers.len(), m.body.len()));
        })
    });
    g.bench_function("parse_baseline", |b| {
        // The owned message is built and freed in every iteration, as the Go server does per message.
        b.iter(|| {
            let m = baseline::parse(black_box(msg)).expect("parses");
            black_box((m.command.len(), m.headers.len(), m.body.len()));
        })
    });
    let mut headers = [EMPTY_HEADER; 16];
    let parsed = parse(msg, &mut headers).expect("parses");
    let mut out = vec![0u8; parsed.encoded_len()];
    g.bench_function("encode", |b| {
        b.iter(|| {
            let n = encode(
                black_box(parsed.command),
                black_box(parsed.headers),
                black_box(parsed.body),
                &mut out,
            );
            black_box(n.expect("fits"));
        })
    });
}

fn multipart(c: &mut Criterion, inputs: &Inputs) {
    let mut headers = [EMPTY_HEADER; 16];
    let msg = parse(&inputs.multipart, &mut headers).expect("parses");
    let owned = baseline::parse(&inputs.multipart).expect("parses");
    let mut g = c.benchmark_group("multipart_4parts");
    g.throughput(Throughput::Bytes(msg.body.len() as u64));
    g.bench_function("split", |b| {
        let mut parts = [Part::default(); 8];
        let mut part_headers = [EMPTY_HEADER; 8];
        b.iter(|| {
            let m = black_box(&msg);
            let parts = m.split_parts(&mut parts).expect("splits");
            for p in parts {
                let p = p.parse(m.body, &mut part_headers).expect("part parses");
                black_box((p.headers.len(), p.body.len()));
            }
        })
    });
    g.bench_function("split_baseline", |b| {
        b.iter(|| black_box(baseline::split(black_box(&owned)).expect("splits")))
    });
    g.finish();
}

/// The parser as the original Go server writes it: the message becomes an
/// owned string, is split into lines, and every field is an owned `String` in a
/// `HashMap`. Only here to be measured against.
mod baseline {
    use std::collections::HashMap;

    /// A message as the Go server holds it.
    pub struct OwnedMessage {
        pub command: String,
        pub headers: HashMap<String, String>,
        pub body: String,
    }

    /// `string(msg)`, `strings.Split(msg, "\r\n")`, then a map of trimmed `key:value` pairs.
    pub fn parse(buf: &[u8]) -> Option<OwnedMessage> {
        let text = String::from_utf8_lossy(buf).into_owned();
        let lines: Vec<&str> = text.split("\r\n").collect();
        let start: Vec<&str> = lines.first()?.split(' ').collect();
        if start.len() != 2 || start[0] != "LHTTP/1.0" {
            return None;
        }
        let command = start[1].to_string();
        let (headers, body) = header_lines(&lines[1..])?;
        Some(OwnedMessage { command, headers, body })
    }

    /// Header lines until the empty one, then the rest joined back as the body.
    fn header_lines(lines: &[&str]) -> Option<(HashMap<String, String>, String)> {
        let mut headers = HashMap::new();
        let mut i = 0;
        while i < lines.len() && !lines[i].is_empty() {
            let kv: Vec<&str> = lines[i].splitn(2, ':').collect();
            if kv.len() != 2 {
                return None;
            }
            headers.insert(kv[0].trim().to_string(), kv[1].trim().to_string());
            i += 1;
        }
        let body = lines.get(i + 1..).map(|rest| rest.join("\r\n")).unwrap_or_default();
        Some((headers, body))
    }

    /// `strings.Split` on the `multipart` header, `strconv.Atoi` each offset,
    /// then each part's lines into a map of owned strings.
    pub fn split(msg: &OwnedMessage) -> Option<Vec<(HashMap<String, String>, String)>> {
        let offsets: Vec<usize> = msg
            .headers
            .get("multipart")?
            .split(' ')
            .map(|s| s.parse().ok())
            .collect::<Option<_>>()?;
        let mut parts = Vec::new();
        for (i, &start) in offsets.iter().enumerate() {
            let end = offsets.get(i + 1).copied().unwrap_or(msg.body.len());
            let part = msg.body.get(start..end)?.to_string();
            let lines: Vec<&str> = part.split("\r\n").collect();
            parts.push(header_lines(&lines)?);
        }
        Some(parts)
    }
}

/// Where criterion writes its estimates: `CRITERION_HOME`, or `criterion/` in
/// the target directory that holds this bench binary (`<target>/release/deps/`).
fn criterion_home() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(home.into());
    }
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.parent()?.join("criterion"))
}

/// Criterion's estimate (slope, else mean) in ns for `group/function`, if this
/// run measured it.
fn estimate_ns(home: &Path, id: &str, since: SystemTime) -> Option<f64> {
    let path = home.join(id).join("new").join("estimates.json");
    if std::fs::metadata(&path).ok()?.modified().ok()? < since {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let pick = |k: &str| json.get(k)?.get("point_estimate")?.as_f64();
    pick("slope").or_else(|| pick("mean"))
}

/// Prints ns per message, GB/s and the ratio to the baseline, from criterion's estimates.
fn summary(home: Option<PathBuf>, since: SystemTime, inputs: &Inputs) {
    let Some(home) = home else { return };
    let mut headers = [EMPTY_HEADER; 16];
    let multipart_body = parse(&inputs.multipart, &mut headers).map_or(0, |m| m.body.len());
    let rows = [
        ("chat_147B", "parse", CHAT.len()),
        ("chat_147B", "encode", CHAT.len()),
        ("message_4KiB", "parse", inputs.big.len()),
        ("message_4KiB", "encode", inputs.big.len()),
        ("multipart_4parts", "split", multipart_body),
    ];
    let mut header = Some("\nsummary (criterion estimates from this run)");
    let title = format!(
        "{:<18} {:<7} {:>7} {:>11} {:>9} {:>14} {:>9}",
        "input", "op", "bytes", "ns/msg", "GB/s", "baseline ns", "ratio"
    );
    for (group, op, bytes) in rows {
        let Some(ns) = estimate_ns(&home, &format!("{group}/{op}"), since) else {
            continue;
        };
        if let Some(h) = header.take() {
            println!("{h}\n{title}");
        }
        let base = estimate_ns(&home, &format!("{group}/{op}_baseline"), since);
        let (base_text, ratio_text) = match base {
            Some(b) => (format!("{b:.1}"), format!("{:.1}x", b / ns)),
            None => ("-".to_string(), "-".to_string()),
        };
        let gbps = bytes as f64 / ns;
        println!("{group:<18} {op:<7} {bytes:>7} {ns:>11.1} {gbps:>9.2} {base_text:>14} {ratio_text:>9}");
    }
}

fn benches(c: &mut Criterion) {
    let inputs = Inputs::new();
    parse_and_encode(c, &inputs);
    multipart(c, &inputs);
}

/// Criterion writing to the directory [`summary`] reads.
fn config() -> Criterion {
    match criterion_home() {
        Some(home) => Criterion::default().output_directory(&home),
        None => Criterion::default(),
    }
}

criterion_group! {
    name = codec;
    config = config();
    targets = benches
}

fn main() {
    let since = SystemTime::now();
    codec();
    Criterion::default().configure_from_args().final_summary();
    summary(criterion_home(), since, &Inputs::new());
}
