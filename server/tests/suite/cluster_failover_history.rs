//! Failover with history in JetStream (issue 16): two lhttpd processes share one
//! `nats-server -js`; 200 clients of the real Rust SDK receive 100 publications/s
//! on 20 channels; one node is killed with SIGKILL and its clients, through a
//! TCP forwarder standing for a load balancer, reconnect to the other and
//! recover with `since`. In the end every client holds every publication of its
//! channels exactly once, in order.
use crate::cluster_support;
use cluster_support::*;
use lhttp_client::{Client, Config, DEFAULT_COMMAND};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

const CHANNELS: usize = 20;
const CLIENTS: usize = 200;
/// Channels each client subscribes to: client `i` takes `i % 4`, `i % 4 + 4`, ...,
/// so every channel has 25 subscribers behind each node.
const PER_CLIENT: usize = 5;
/// Publications per second, all channels together (each channel 5/s).
const RATE: u64 = 100;
/// Publishing before the kill, and after it.
const BEFORE_KILL: Duration = Duration::from_secs(2);
const AFTER_KILL: Duration = Duration::from_secs(3);
/// Bounds the wait for the last publications to arrive (a hang, not a measure).
const SETTLE: Duration = Duration::from_secs(30);

/// Room for every publication of the run (at most 25 per channel) and a TTL
/// longer than the test.
const NODE_HISTORY: [&str; 4] = ["--history-size", "1000", "--history-ttl", "300"];

fn channel(k: usize) -> String {
    format!("fo-{k}")
}

fn channels_of(client: usize) -> Vec<String> {
    (0..PER_CLIENT).map(|j| channel(client % 4 + 4 * j)).collect()
}

/// A TCP forwarder in front of the nodes, as a load balancer would be: each
/// accepted connection is piped to the target of the moment; switching the
/// target sends the next connections elsewhere.
struct Forwarder {
    addr: SocketAddr,
    target: Arc<Mutex<SocketAddr>>,
    /// Connections piped to each target.
    piped: Arc<Mutex<HashMap<SocketAddr, usize>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Forwarder {
    async fn start(target: SocketAddr) -> Forwarder {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the forwarder");
        let addr = listener.local_addr().expect("forwarder address");
        let target = Arc::new(Mutex::new(target));
        let piped = Arc::new(Mutex::new(HashMap::new()));
        let (t, p) = (target.clone(), piped.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let to = *t.lock().unwrap();
                let p = p.clone();
                tokio::spawn(async move {
                    // A dead target: the client's attempt fails and it backs off.
                    let Ok(mut outbound) = TcpStream::connect(to).await else {
                        return;
                    };
                    *p.lock().unwrap().entry(to).or_insert(0) += 1;
                    // Ends when either side ends; dropping both closes the other.
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                });
            }
        });
        Forwarder {
            addr,
            target,
            piped,
            task,
        }
    }

    fn switch(&self, to: SocketAddr) {
        *self.target.lock().unwrap() = to;
    }

    fn piped_to(&self, to: SocketAddr) -> usize {
        self.piped.lock().unwrap().get(&to).copied().unwrap_or(0)
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What one client received, by its reader task.
#[derive(Default)]
struct Log {
    /// Sequence numbers received, per channel, in arrival order.
    seqs: HashMap<String, Vec<u64>>,
    /// Every error `recv()` yielded (an `Unrecovered`, `Lagged`, `RestoreRefused`...).
    errors: Vec<String>,
    /// Messages that were not publications of ours.
    strays: Vec<String>,
}

struct Subscriber {
    client: Arc<Client>,
    via_a: bool,
    first_id: String,
    channels: Vec<String>,
    log: Arc<Mutex<Log>>,
}

impl Subscriber {
    /// Whether it has the last publication of each of its channels.
    fn complete(&self, last: &HashMap<String, u64>) -> bool {
        let log = self.log.lock().unwrap();
        self.channels
            .iter()
            .all(|c| log.seqs.get(c).and_then(|v| v.last()) == last.get(c))
    }
}

async fn subscriber(url: String, via_a: bool, channels: Vec<String>) -> Subscriber {
    let config = Config {
        reconnect: true,
        // Short, so the failover does not wait out a long backoff; capped so
        // the attempts failing while the forwarder still points at the dead
        // node do not push the next one far out.
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(500),
        ..Config::new(url)
    };
    let client = Arc::new(Client::connect_with(config).await.expect("connect"));
    let names: Vec<&str> = channels.iter().map(String::as_str).collect();
    client.subscribe(&names).await.expect("subscribe");
    for c in &channels {
        assert!(
            client.position(c).is_some(),
            "{c}: the subscribe ack gave no position (history off?)"
        );
    }
    let first_id = client.client_id().expect("client id");
    let log = Arc::new(Mutex::new(Log::default()));
    let (c, l) = (client.clone(), log.clone());
    tokio::spawn(async move {
        while let Some(item) = c.recv().await {
            let mut log = l.lock().unwrap();
            match item {
                Ok(msg) => {
                    let body = msg.body_text().unwrap_or("").to_string();
                    let parsed = body
                        .split_once(' ')
                        .and_then(|(ch, n)| Some((ch.to_string(), n.parse::<u64>().ok()?)));
                    match parsed {
                        Some((ch, n)) if msg.header("channel") == Some(ch.as_str()) => {
                            log.seqs.entry(ch).or_default().push(n);
                        }
                        _ => log.strays.push(format!("{} {body:?}", msg.command())),
                    }
                }
                Err(e) => log.errors.push(e.to_string()),
            }
        }
    });
    Subscriber {
        client,
        via_a,
        first_id,
        channels,
        log,
    }
}

/// Publishes `"<channel> <n>"` to `channel` every 200 ms, each awaited (so a
/// channel's publications enter the stream in order) until `stop`; returns the
/// last `n`. `published` counts them as acknowledged.
async fn publisher(client: Arc<Client>, channel: String, stop: Arc<AtomicBool>, published: Arc<AtomicU64>) -> u64 {
    let period = Duration::from_millis(1000 * CHANNELS as u64 / RATE);
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n = 0;
    loop {
        tick.tick().await;
        if stop.load(Relaxed) {
            return n;
        }
        n += 1;
        client
            .publish(&[&channel], DEFAULT_COMMAND, &[], format!("{channel} {n}").as_bytes())
            .await
            .unwrap_or_else(|e| panic!("publish {channel} {n}: {e}"));
        published.store(n, Relaxed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_of_a_killed_node_recover_everything_once_on_the_other() {
    let (nats, _store) = nats_jetstream().await;
    let url = nats.url();
    let args: Vec<&str> = ["--nats", url.as_str()].into_iter().chain(NODE_HISTORY).collect();
    let a = NodeProcess::start(&args).await;
    let b = NodeProcess::start(&args).await;
    let (a_addr, b_addr) = (a.addr, b.addr);
    for addr in [a_addr, b_addr] {
        history_ready(&mut Ws::connect(addr).await).await;
    }
    let lb = Forwarder::start(a_addr).await;

    // Half the clients reach node A through the forwarder, half node B directly.
    let mut joining = Vec::new();
    for i in 0..CLIENTS {
        let via_a = i % 2 == 0;
        let url = format!("ws://{}/", if via_a { lb.addr } else { b_addr });
        // `i / 2` spreads each half over the channel groups alike.
        joining.push(tokio::spawn(subscriber(url, via_a, channels_of(i / 2))));
    }
    let mut subs = Vec::new();
    for j in joining {
        subs.push(j.await.expect("subscriber"));
    }
    assert_eq!(lb.piped_to(a_addr), CLIENTS / 2);

    // Every publication goes to node B, the survivor.
    let publishing = Arc::new(Client::connect(&format!("ws://{b_addr}/")).await.expect("publisher"));
    let stop = Arc::new(AtomicBool::new(false));
    let counters: Vec<Arc<AtomicU64>> = (0..CHANNELS).map(|_| Arc::default()).collect();
    let mut pubs = Vec::new();
    for (k, counter) in counters.iter().enumerate() {
        let (c, s, n) = (publishing.clone(), stop.clone(), counter.clone());
        pubs.push(tokio::spawn(async move {
            // Staggered, so the 100/s are spread over each 200 ms.
            tokio::time::sleep(Duration::from_millis(10 * k as u64)).await;
            (k, publisher(c, channel(k), s, n).await)
        }));
    }

    tokio::time::sleep(BEFORE_KILL).await;
    let counts = |cs: &[Arc<AtomicU64>]| cs.iter().map(|c| c.load(Relaxed)).collect::<Vec<_>>();
    let at_kill = counts(&counters);
    a.kill9();
    // As a load balancer noticing the node is gone, the forwarder turns to B
    // only after every channel had two more publications: A's clients have no
    // node meanwhile (their attempts fail), so they must recover those with
    // `since`, not receive them live.
    let deadline = tokio::time::Instant::now() + WAIT;
    while counts(&counters)
        .iter()
        .zip(&at_kill)
        .any(|(now, then)| *now < then + 2)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "publishing stalled after the kill"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let at_switch = counts(&counters);
    lb.switch(b_addr);
    tokio::time::sleep(AFTER_KILL).await;
    stop.store(true, Relaxed);
    let mut last = HashMap::new();
    for p in pubs {
        let (k, n) = p.await.expect("publisher task");
        last.insert(channel(k), n);
    }

    let deadline = tokio::time::Instant::now() + SETTLE;
    while !subs.iter().all(|s| s.complete(&last)) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (mut lost, mut duplicated, mut out_of_order, mut received) = (0usize, 0usize, 0usize, 0usize);
    // Errors from `recv()`: an `Unrecovered` channel, `Lagged`, `RestoreRefused`.
    let mut errors = 0usize;
    let mut failures = Vec::new();
    for (i, s) in subs.iter().enumerate() {
        let log = s.log.lock().unwrap();
        for c in &s.channels {
            let n = last[c];
            let got = log.seqs.get(c).cloned().unwrap_or_default();
            received += got.len();
            let mut seen = vec![0usize; n as usize + 1];
            for &x in &got {
                if x >= 1 && x <= n {
                    seen[x as usize] += 1;
                }
            }
            lost += seen[1..].iter().filter(|&&k| k == 0).count();
            duplicated += seen[1..].iter().map(|&k| k.saturating_sub(1)).sum::<usize>();
            out_of_order += got.windows(2).filter(|w| w[1] <= w[0]).count();
            let want: Vec<u64> = (1..=n).collect();
            if got != want && failures.len() < 5 {
                failures.push(format!(
                    "client {i} (via A: {}) {c}: got {got:?}, want 1..={n}",
                    s.via_a
                ));
            }
        }
        errors += log.errors.len();
        if !log.errors.is_empty() && failures.len() < 5 {
            failures.push(format!("client {i} (via A: {}): {:?}", s.via_a, log.errors));
        }
        assert!(log.strays.is_empty(), "client {i}: {:?}", log.strays);
    }
    let published: u64 = last.values().sum();
    let missed_while_down: u64 = at_switch.iter().zip(&at_kill).map(|(s, k)| s - k).sum();
    println!(
        "failover: {published} publications on {CHANNELS} channels ({missed_while_down} while A's clients had no node), \
         {CLIENTS} clients, {received} received: lost {lost}, duplicated {duplicated}, out of order {out_of_order}, \
         errors {errors}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!((lost, duplicated, out_of_order, errors), (0, 0, 0, 0));

    // A's clients came back on B as new connections (a new client id each);
    // B's never left. Their channels were recovered, not merely resubscribed:
    // an `Unrecovered` reaches `recv()` as an error, counted above. (The Rust
    // client does not surface `Recovered` itself yet; once it does, assert one
    // per channel of each of A's clients here.)
    assert!(
        lb.piped_to(b_addr) >= CLIENTS / 2,
        "{} reconnections reached B",
        lb.piped_to(b_addr)
    );
    for (i, s) in subs.iter().enumerate() {
        let id = s.client.client_id().expect("connected");
        if s.via_a {
            assert_ne!(id, s.first_id, "client {i} of A never reconnected");
        } else {
            assert_eq!(id, s.first_id, "client {i} of B reconnected");
        }
    }
    for s in &subs {
        s.client.close().await.expect("close");
    }
    drop(b);
}

#[test]
fn every_channel_has_subscribers_behind_both_nodes() {
    for via_a in [true, false] {
        let mut per_channel = vec![0; CHANNELS];
        for i in (0..CLIENTS).filter(|i| (i % 2 == 0) == via_a) {
            for c in channels_of(i / 2) {
                per_channel[c.trim_start_matches("fo-").parse::<usize>().unwrap()] += 1;
            }
        }
        assert!(per_channel.iter().all(|&n| n == 25), "{per_channel:?}");
    }
}

/// The forwarder is the test's own plumbing: it pipes both ways to the target
/// of the moment, so a failure of the failover test is not its doing.
#[tokio::test]
async fn the_forwarder_pipes_to_the_current_target_only() {
    let one = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let two = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (one_addr, two_addr) = (one.local_addr().unwrap(), two.local_addr().unwrap());
    let lb = Forwarder::start(one_addr).await;
    let accepted = Arc::new(AtomicUsize::new(0));
    for l in [one, two] {
        let accepted = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                accepted.fetch_add(1, Relaxed);
                tokio::spawn(async move {
                    let (mut r, mut w) = s.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
    }
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for (to, text) in [(one_addr, b"one"), (two_addr, b"two")] {
        lb.switch(to);
        let mut s = TcpStream::connect(lb.addr).await.unwrap();
        s.write_all(text).await.unwrap();
        let mut back = [0u8; 3];
        tokio::time::timeout(WAIT, s.read_exact(&mut back))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&back, text);
        assert_eq!(lb.piped_to(to), 1);
    }
    assert_eq!(accepted.load(Relaxed), 2);
}
