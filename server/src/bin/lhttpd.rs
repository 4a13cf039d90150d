//! `lhttpd`: the lhttp chat server out of the box. Flags, config file and
//! environment variables become a `Config`; the library does the rest.

use clap::Parser;
use lhttp_server::{Config, Server};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// lhttp server: WebSocket pub/sub with an HTTP-like protocol.
///
/// Settings come from defaults, then the --config TOML file, then environment
/// variables and flags (flags win).
// No `Debug`: the arguments hold the HMAC secret, which is never printed.
#[derive(Parser)]
#[command(name = "lhttpd", version, about, long_about = None)]
struct Args {
    /// TOML configuration file (same keys as the flags, e.g. `listen = "0.0.0.0:8081"`, `[limits]`, `[namespace]`, `[namespaces.chat]`).
    #[arg(help_heading = "Server", long, env = "LHTTPD_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on for WebSocket and HTTP [default: 127.0.0.1:8081].
    #[arg(help_heading = "Server", long, env = "LHTTPD_LISTEN")]
    listen: Option<SocketAddr>,
    /// Directory served at / instead of the chat demo built into lhttpd (the built-in browser SDK stays at /js-sdk/ for what DIR lacks) [default: the built-in demo; a plain page if built without the wasm].
    #[arg(help_heading = "Server", long = "static", env = "LHTTPD_STATIC")]
    static_dir: Option<PathBuf>,
    /// Extra static mount PREFIX=DIR (repeatable), e.g. /js-sdk=js-sdk.
    #[arg(
        help_heading = "Server",
        long = "mount",
        value_name = "PREFIX=DIR",
        env = "LHTTPD_MOUNTS",
        value_delimiter = ','
    )]
    mounts: Vec<String>,
    /// Bearer token required by POST /publish.
    #[arg(help_heading = "Server", long, env = "LHTTPD_PUBLISH_TOKEN")]
    publish_token: Option<String>,
    /// Allow an unauthenticated POST /publish on a non-loopback address. Insecure.
    #[arg(help_heading = "Server", long, env = "LHTTPD_INSECURE_OPEN_PUBLISH")]
    insecure_open_publish: bool,
    /// Threads that run the WebSocket connections, each its share, so a connection stays on one core and a publish wakes each thread once, which writes its sockets itself (plain TCP) [default: one per core; 0: connections run on the server's runtime].
    #[arg(help_heading = "Server", long, env = "LHTTPD_SHARDS")]
    shards: Option<usize>,
    /// Web origin whose pages may open a WebSocket here, e.g. <https://chat.example.com> (repeatable; * for any). Pages from this server itself and non-browser clients need none.
    #[arg(
        help_heading = "Server",
        long = "allowed-origin",
        value_name = "ORIGIN",
        env = "LHTTPD_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    allowed_origins: Vec<String>,
    /// PEM file with the server's certificate chain: with --tls-key, the port answers wss:// and https:// only.
    #[arg(help_heading = "Server", long, value_name = "FILE", env = "LHTTPD_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// PEM file with the private key of --tls-cert.
    #[arg(help_heading = "Server", long, value_name = "FILE", env = "LHTTPD_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// URL prefix the upstream header may reach (repeatable); none allowed by default.
    #[arg(
        help_heading = "Upstream",
        long = "upstream-allow",
        value_name = "PREFIX",
        env = "LHTTPD_UPSTREAM_ALLOW",
        value_delimiter = ','
    )]
    upstream_allow: Vec<String>,
    /// PEM file of extra certificate authorities for https:// upstream calls (besides the system's).
    #[arg(help_heading = "Upstream", long, value_name = "FILE", env = "LHTTPD_UPSTREAM_CA")]
    upstream_ca: Option<PathBuf>,
    /// Send the backend's response back to the client as an LHTTP message.
    #[arg(help_heading = "Upstream", long, env = "LHTTPD_UPSTREAM_REPLY")]
    upstream_reply: bool,
    /// Upstream call timeout in seconds [default: 10].
    #[arg(
        help_heading = "Upstream",
        long,
        value_name = "SECS",
        env = "LHTTPD_UPSTREAM_TIMEOUT"
    )]
    upstream_timeout: Option<f64>,
    /// Largest message in bytes [default: 65536].
    #[arg(help_heading = "Limits", long, env = "LHTTPD_MAX_MESSAGE_SIZE")]
    max_message_size: Option<usize>,
    /// Most headers per message [default: 64].
    #[arg(help_heading = "Limits", long, env = "LHTTPD_MAX_HEADERS")]
    max_headers: Option<usize>,
    /// Most channels named in one message [default: 64].
    #[arg(help_heading = "Limits", long, env = "LHTTPD_MAX_CHANNELS")]
    max_channels: Option<usize>,
    /// Most subscriptions per connection [default: 1024].
    #[arg(help_heading = "Limits", long, env = "LHTTPD_MAX_SUBSCRIPTIONS")]
    max_subscriptions: Option<usize>,
    /// Most open connections [default: 100000].
    #[arg(help_heading = "Limits", long, env = "LHTTPD_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Most queued outbound messages per connection before it is closed as a slow consumer (1013) [default: 16384].
    #[arg(help_heading = "Limits", long, env = "LHTTPD_MAX_QUEUE")]
    max_queue: Option<usize>,
    /// Most queued outbound bytes per connection before it is closed as a slow consumer (1013); at least --max-message-size [default: 4194304, 4 MiB].
    #[arg(help_heading = "Limits", long, env = "LHTTPD_MAX_QUEUE_BYTES")]
    max_queue_bytes: Option<usize>,
    /// Messages per second one connection may send, on average; over it a message gets a RateLimited error reply unprocessed, and a burst of refusals in a row closes with 1008 [default: 0, no limit].
    #[arg(help_heading = "Limits", long, value_name = "PER_SEC", env = "LHTTPD_MESSAGE_RATE")]
    message_rate: Option<f64>,
    /// Most messages one connection may send at once within --message-rate [default: 0, the rate rounded up].
    #[arg(help_heading = "Limits", long, env = "LHTTPD_MESSAGE_BURST")]
    message_burst: Option<usize>,
    /// New WebSocket connections per second one address (an IPv6 /64) may open, on average; over it an upgrade gets HTTP 429. Behind a proxy every client has the proxy's address [default: 0, no limit].
    #[arg(
        help_heading = "Limits",
        long,
        value_name = "PER_SEC",
        env = "LHTTPD_CONNECTION_RATE"
    )]
    connection_rate: Option<f64>,
    /// Most new connections one address may open at once within --connection-rate [default: 0, the rate rounded up].
    #[arg(help_heading = "Limits", long, env = "LHTTPD_CONNECTION_BURST")]
    connection_burst: Option<usize>,
    /// Seconds of silence before a connection is closed [default: 60].
    #[arg(help_heading = "Limits", long, value_name = "SECS", env = "LHTTPD_IDLE_TIMEOUT")]
    idle_timeout: Option<f64>,
    /// Seconds between server pings [default: 25].
    #[arg(help_heading = "Limits", long, value_name = "SECS", env = "LHTTPD_PING_INTERVAL")]
    ping_interval: Option<f64>,
    /// Seconds an HTTP connection may take to send a request head, or a TLS handshake, or stay idle between requests [default: 10].
    #[arg(help_heading = "Limits", long, value_name = "SECS", env = "LHTTPD_HEADER_TIMEOUT")]
    header_timeout: Option<f64>,
    /// Join a cluster through NATS at this URL (comma-separated for several), e.g. nats://127.0.0.1:4222.
    #[arg(help_heading = "Cluster", long, env = "LHTTPD_NATS", value_name = "URL")]
    nats: Option<String>,
    /// First subject token(s) on NATS, so several deployments can share one NATS [default: lhttp].
    #[arg(help_heading = "Cluster", long, env = "LHTTPD_NATS_PREFIX", value_name = "PREFIX")]
    nats_prefix: Option<String>,
    /// Query parameter whose value is a connection key: a newer connection with the same key closes the older one, on any node.
    #[arg(help_heading = "Cluster", long, env = "LHTTPD_TAKEOVER_KEY", value_name = "PARAM")]
    takeover_key: Option<String>,
    /// Seconds a cluster-wide directory call waits for other nodes [default: 1].
    #[arg(help_heading = "Cluster", long, value_name = "SECS", env = "LHTTPD_CLUSTER_TIMEOUT")]
    cluster_timeout: Option<f64>,
    /// Where a cluster keeps history: `jetstream` (one stream shared by every node) or `memory` (each node its own) [default: jetstream].
    #[arg(
        help_heading = "Cluster",
        long,
        env = "LHTTPD_CLUSTER_HISTORY",
        value_name = "BACKEND"
    )]
    cluster_history: Option<lhttp_server::HistoryBackend>,
    /// Most publications kept per channel of the default namespace; history is on with --history-ttl too [default: 0, off]. Named namespaces: `[namespaces.<name>]` in the TOML file.
    #[arg(help_heading = "History", long, env = "LHTTPD_HISTORY_SIZE")]
    history_size: Option<usize>,
    /// Seconds a publication is kept in the default namespace's history [default: 0, off].
    #[arg(help_heading = "History", long, value_name = "SECS", env = "LHTTPD_HISTORY_TTL")]
    history_ttl: Option<f64>,
    /// Most publications one recovery or history read returns, default namespace [default: 300].
    #[arg(help_heading = "History", long, env = "LHTTPD_RECOVER_MAX")]
    recover_max: Option<usize>,
    /// Keep the members of the default namespace's channels and answer presence queries (spec 15). Named namespaces: `presence = true` in `[namespaces.<name>]`.
    #[arg(help_heading = "Presence", long, env = "LHTTPD_PRESENCE")]
    presence: bool,
    /// Send join and leave events to the subscribers of the default namespace's channels.
    #[arg(help_heading = "Presence", long, env = "LHTTPD_JOIN_LEAVE")]
    join_leave: bool,
    /// Seconds a disconnected member with a uid stays before its leave, so a quick reconnect sends no leave/join pair [default: 5; 0: at once].
    #[arg(help_heading = "Presence", long, value_name = "SECS", env = "LHTTPD_PRESENCE_GRACE")]
    presence_grace: Option<f64>,
    /// Most members one presence query lists; the counts stay complete [default: 1000].
    #[arg(
        help_heading = "Presence",
        long,
        value_name = "N",
        env = "LHTTPD_PRESENCE_MAX_MEMBERS"
    )]
    presence_max_members: Option<usize>,
    /// Let a connection without a token name its own uid and info on the upgrade URL (?uid=..&info=..): unverified, for demos and trusted networks.
    #[arg(help_heading = "Presence", long, env = "LHTTPD_CLIENT_IDENTITY")]
    client_identity: bool,
    /// Admin token opening /admin (the admin API; distinct from the publish token). Prefer --admin-token-file: a flag shows in process lists.
    #[arg(
        help_heading = "Admin",
        long,
        value_name = "TOKEN",
        env = "LHTTPD_ADMIN_TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,
    /// File holding the admin token (trailing line breaks ignored).
    #[arg(help_heading = "Admin", long, value_name = "FILE", env = "LHTTPD_ADMIN_TOKEN_FILE")]
    admin_token_file: Option<PathBuf>,
    /// Admin API read calls only: every admin action is refused with 403.
    #[arg(help_heading = "Admin", long, env = "LHTTPD_ADMIN_READONLY")]
    admin_readonly: bool,
    /// HMAC secret verifying HS256/384/512 connection and subscription tokens (prefer --token-hmac-secret-file: a flag shows in process lists).
    #[arg(
        help_heading = "Tokens",
        long,
        value_name = "SECRET",
        env = "LHTTPD_TOKEN_HMAC_SECRET",
        hide_env_values = true
    )]
    token_hmac_secret: Option<String>,
    /// File holding the HMAC secret of tokens (trailing line breaks ignored).
    #[arg(
        help_heading = "Tokens",
        long,
        value_name = "FILE",
        env = "LHTTPD_TOKEN_HMAC_SECRET_FILE"
    )]
    token_hmac_secret_file: Option<PathBuf>,
    /// PEM public key (RSA, EC P-256/P-384, Ed25519) verifying RS/PS, ES and EdDSA tokens (repeatable).
    #[arg(
        help_heading = "Tokens",
        long = "token-public-key",
        value_name = "FILE",
        env = "LHTTPD_TOKEN_PUBLIC_KEY",
        value_delimiter = ','
    )]
    token_public_keys: Vec<PathBuf>,
    /// JSON Web Key Set verifying tokens by kid: a file, or an http(s):// URL (cached 1 h, fetched again on an unknown kid).
    #[arg(help_heading = "Tokens", long, value_name = "FILE_OR_URL", env = "LHTTPD_TOKEN_JWKS")]
    token_jwks: Option<String>,
    /// The audience (aud) every token must name.
    #[arg(help_heading = "Tokens", long, env = "LHTTPD_TOKEN_AUDIENCE")]
    token_audience: Option<String>,
    /// The issuer (iss) every token must name.
    #[arg(help_heading = "Tokens", long, env = "LHTTPD_TOKEN_ISSUER")]
    token_issuer: Option<String>,
    /// Close connections that do not authenticate with a token within --connect-timeout; refuse their messages until then.
    #[arg(help_heading = "Tokens", long, env = "LHTTPD_REQUIRE_TOKEN")]
    require_token: bool,
    /// Seconds a connection may take to authenticate with --require-token [default: 10].
    #[arg(help_heading = "Tokens", long, value_name = "SECS", env = "LHTTPD_CONNECT_TIMEOUT")]
    connect_timeout: Option<f64>,
    /// Seconds an expired token's connection or subscription is kept for a refresh under way [default: 25].
    #[arg(help_heading = "Tokens", long, value_name = "SECS", env = "LHTTPD_TOKEN_GRACE")]
    token_grace: Option<f64>,
    /// Log level or filter (error, warn, info, debug, trace).
    #[arg(help_heading = "Server", long, env = "LHTTPD_LOG", default_value = "info")]
    log: String,
}

fn secs(s: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(s).map_err(|e| format!("bad duration {s}: {e}"))
}

fn config(args: &Args) -> Result<Config, String> {
    let mut c = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            toml::from_str::<Config>(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Config::default(),
    };
    if let Some(l) = args.listen {
        c.listen = l;
    }
    if let Some(d) = &args.static_dir {
        c.static_dir = Some(d.clone());
    }
    for m in &args.mounts {
        let (prefix, dir) = m
            .split_once('=')
            .ok_or_else(|| format!("--mount {m:?}: expected PREFIX=DIR"))?;
        c.mounts.push((prefix.into(), dir.into()));
    }
    if let Some(t) = &args.publish_token {
        c.publish_token = Some(t.clone());
    }
    c.insecure_open_publish |= args.insecure_open_publish;
    if let Some(n) = args.shards {
        c.shards = n;
    }
    c.allowed_origins.extend(args.allowed_origins.iter().cloned());
    if let Some(f) = &args.tls_cert {
        c.tls_cert = Some(f.clone());
    }
    if let Some(f) = &args.tls_key {
        c.tls_key = Some(f.clone());
    }
    c.upstream_allow.extend(args.upstream_allow.iter().cloned());
    c.upstream_reply |= args.upstream_reply;
    if let Some(ca) = &args.upstream_ca {
        c.upstream_ca = Some(ca.clone());
    }
    if let Some(s) = args.upstream_timeout {
        c.upstream_timeout = secs(s)?;
    }
    let l = &mut c.limits;
    let set = |slot: &mut usize, v: Option<usize>| {
        if let Some(v) = v {
            *slot = v;
        }
    };
    set(&mut l.max_message_size, args.max_message_size);
    set(&mut l.max_headers, args.max_headers);
    set(&mut l.max_channels, args.max_channels);
    set(&mut l.max_subscriptions, args.max_subscriptions);
    set(&mut l.max_connections, args.max_connections);
    set(&mut l.max_queue, args.max_queue);
    set(&mut l.max_queue_bytes, args.max_queue_bytes);
    set(&mut l.message_burst, args.message_burst);
    set(&mut l.connection_burst, args.connection_burst);
    if let Some(r) = args.message_rate {
        l.message_rate = r;
    }
    if let Some(r) = args.connection_rate {
        l.connection_rate = r;
    }
    if let Some(s) = args.idle_timeout {
        l.idle_timeout = secs(s)?;
    }
    if let Some(s) = args.ping_interval {
        l.ping_interval = secs(s)?;
    }
    if let Some(s) = args.header_timeout {
        l.header_timeout = secs(s)?;
    }
    if let Some(u) = &args.nats {
        c.cluster.nats = Some(u.clone());
    }
    if let Some(p) = &args.nats_prefix {
        c.cluster.prefix = p.clone();
    }
    if let Some(k) = &args.takeover_key {
        c.cluster.takeover_key = Some(k.clone());
    }
    if let Some(b) = args.cluster_history {
        c.cluster.history = b;
    }
    if let Some(s) = args.cluster_timeout {
        c.cluster.timeout = secs(s)?;
    }
    let ns = &mut c.namespace;
    set(&mut ns.history_size, args.history_size);
    set(&mut ns.recover_max, args.recover_max);
    if let Some(s) = args.history_ttl {
        ns.history_ttl = secs(s)?;
    }
    ns.presence |= args.presence;
    ns.join_leave |= args.join_leave;
    let p = &mut c.presence;
    if let Some(s) = args.presence_grace {
        p.grace = secs(s)?;
    }
    set(&mut p.max_members, args.presence_max_members);
    p.client_identity |= args.client_identity;
    // A flag's token replaces the file's (and the other way round).
    if let Some(t) = &args.admin_token {
        c.admin.token = Some(t.clone());
        c.admin.token_file = None;
    }
    if let Some(f) = &args.admin_token_file {
        c.admin.token_file = Some(f.clone());
        c.admin.token = None;
    }
    c.admin.readonly |= args.admin_readonly;
    let t = &mut c.token;
    if let Some(s) = &args.token_hmac_secret {
        t.hmac_secret = Some(s.clone());
    }
    if let Some(f) = &args.token_hmac_secret_file {
        t.hmac_secret_file = Some(f.clone());
    }
    t.public_keys.extend(args.token_public_keys.iter().cloned());
    if let Some(j) = &args.token_jwks {
        t.jwks = Some(j.clone());
    }
    if let Some(a) = &args.token_audience {
        t.audience = Some(a.clone());
    }
    if let Some(i) = &args.token_issuer {
        t.issuer = Some(i.clone());
    }
    t.require |= args.require_token;
    if let Some(s) = args.connect_timeout {
        t.connect_timeout = Some(secs(s)?);
    }
    if let Some(s) = args.token_grace {
        t.grace = Some(secs(s)?);
    }
    c.validate()?;
    Ok(c)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// What the start-up line tells about the settings.
struct Summary {
    tls: bool,
    pages: String,
    origins: String,
    tokens: &'static str,
}

impl Summary {
    fn of(config: &Config) -> Summary {
        Summary {
            tls: config.tls_cert.is_some(),
            pages: pages(config),
            tokens: match (config.token.has_keys(), config.token.require) {
                (true, true) => "required",
                (true, false) => "verified when given",
                (false, _) => "none",
            },
            origins: if config.allowed_origins.is_empty() {
                "same origin only".to_string()
            } else {
                config.allowed_origins.join(" ")
            },
        }
    }
}

/// Where the pages come from, for the start-up line: the directories, what the binary
/// carries (the chat demo and the browser SDK, embedded at build time), or the built-in page.
fn pages(config: &Config) -> String {
    use lhttp_server::embedded;
    let mut out = match &config.static_dir {
        Some(dir) => format!("/ from {}", dir.display()),
        None if embedded::has_demo() => format!(
            "/ and /js-sdk built in (the chat demo and the browser SDK, {} files)",
            embedded::files().len()
        ),
        None => {
            "built-in page: this binary was built without the demo (run scripts/build-wasm.sh, then build again)".into()
        }
    };
    for (prefix, dir) in &config.mounts {
        out.push_str(&format!(", {prefix} from {}", dir.display()));
    }
    if config.static_dir.is_some() && embedded::has_demo() {
        out.push_str(", /js-sdk built in where those have none");
    }
    if config.admin.token.is_some() || config.admin.token_file.is_some() {
        match embedded::admin_missing() {
            None => out.push_str(", /admin built in"),
            Some(why) if embedded::has_admin_page() => out.push_str(&format!(
                ", /admin built in without its charts ({why}: run scripts/build-admin.sh, then build again)"
            )),
            Some(why) => out.push_str(&format!(", /admin: the API only ({why})")),
        }
    }
    out
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour codes only for a person at a terminal, never in a file or a pipe.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let config = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lhttpd: {e}");
            return ExitCode::from(2);
        }
    };
    // Everything the settings name is checked and loaded before the port opens.
    let listen = config.listen;
    let summary = Summary::of(&config);
    let server = match Server::build(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("lhttpd: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("lhttpd: cannot listen on {listen}: {e}");
            return ExitCode::from(1);
        }
    };
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    // Scripts and tests read this line to learn the port when started with port 0.
    println!("lhttpd listening on {addr}");
    let Summary {
        tls,
        pages,
        origins,
        tokens,
    } = summary;
    let broker = server.handle().broker().name();
    tracing::info!(%addr, tls, %pages, broker, allowed_origins = %origins, tokens, "lhttpd started");
    match server.run(listener, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lhttpd: {e}");
            ExitCode::from(1)
        }
    }
}
