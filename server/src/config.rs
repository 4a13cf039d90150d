//! Server settings: one struct filled from defaults, a TOML file, environment
//! variables and flags (the `lhttpd` binary does the merging), plus the limits
//! that protect the server from bad or greedy clients. Plain settings: nothing
//! here reads a file or builds server state (`Server::build` does, once).

use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything the server can be told. `Config::default()` is the out-of-the-box chat server.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (HTTP and WebSocket share it).
    pub listen: SocketAddr,
    /// Directory served at `/` from disk; `None` serves the chat demo built into the binary
    /// (`embedded`), or the plain built-in page when it was built without the wasm.
    #[serde(rename = "static")]
    pub static_dir: Option<PathBuf>,
    /// Extra static mounts: URL prefix to directory, e.g. `/js-sdk` to `js-sdk` (their files
    /// win over the embedded ones).
    pub mounts: Vec<(String, PathBuf)>,
    /// Bearer token required by `POST /publish` (and other HTTP APIs).
    pub publish_token: Option<String>,
    /// Allow an open `POST /publish` on a non-loopback address (insecure).
    pub insecure_open_publish: bool,
    /// Threads that run the WebSocket connections, each its share on a
    /// single-threaded runtime of its own, so a connection stays on one core
    /// and a publish wakes each thread once instead of each subscriber, which
    /// then writes its subscribers' sockets itself (plain TCP; TLS connections
    /// stay on the server's runtime). The default: one per core
    /// (`std::thread::available_parallelism`). 0: none, every connection runs
    /// on the runtime that runs the server. Two shards on 2 cores measured
    /// about 8% less CPU per delivery than none for the same flat-out fan-out
    /// (BENCHMARKS.md, issue 21's fourth pass).
    /// With shards, another shard queues a publish for its subscribers a moment
    /// later: the publish's `deliveries` count the subscribers it was handed
    /// to, and a slow consumer's drop is counted when its shard queues.
    pub shards: usize,
    /// Web origins (`scheme://host[:port]`, `null`, or `*` for any) whose pages may
    /// open a WebSocket here, besides pages from this server itself. Upgrades
    /// without an `Origin` header (programs, not browsers) are always accepted.
    pub allowed_origins: Vec<String>,
    /// A PEM file with the server's certificate chain (its own certificate
    /// first): with `tls_key`, the port answers `wss://` and `https://` only.
    pub tls_cert: Option<PathBuf>,
    /// A PEM file with the private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// URL prefixes (`http://` or `https://`) `upstream` may reach; empty refuses every upstream.
    pub upstream_allow: Vec<String>,
    /// A PEM file of extra certificate authorities trusted for `https://` upstream
    /// calls, besides the system's roots.
    pub upstream_ca: Option<PathBuf>,
    /// Send the backend's response back to the client as an LHTTP message.
    pub upstream_reply: bool,
    /// How long one upstream call may take.
    #[serde(with = "secs")]
    pub upstream_timeout: Duration,
    /// How many upstream calls may run at once, server-wide.
    pub upstream_concurrency: usize,
    /// Limits on what one client may do.
    pub limits: Limits,
    /// Joining other nodes through NATS, and the connection directory (`[cluster]`).
    pub cluster: ClusterConfig,
    /// The default namespace's settings (`[namespace]`): channels without `:`, and
    /// channels of a namespace without a table of its own.
    pub namespace: Namespace,
    /// Named namespaces (`[namespaces.<name>]`): `chat:room1` is in `chat` (spec 13.1).
    pub namespaces: BTreeMap<String, Namespace>,
    /// Connection and subscription tokens (`[token]`, spec 14): the keys that
    /// verify them and whether a connection must present one.
    pub token: TokenConfig,
    /// Presence settings shared by every namespace (`[presence]`, spec 15.1).
    pub presence: PresenceConfig,
    /// The admin API under `/admin` (`[admin]`): off without a token.
    pub admin: AdminConfig,
}

/// The `[admin]` table: the token that opens `/admin` (distinct from the
/// publish token) and whether its actions are refused. Without a token,
/// everything under `/admin` answers 404.
#[derive(Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// The admin token. Never logged (`Debug` hides it).
    pub token: Option<String>,
    /// A file holding the admin token (trailing line breaks ignored), so it
    /// stays out of process lists and shell history.
    pub token_file: Option<PathBuf>,
    /// Read calls only: every admin action answers 403 `Forbidden`.
    pub readonly: bool,
}

impl std::fmt::Debug for AdminConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is never printed, not even in a debug dump of the settings.
        f.debug_struct("AdminConfig")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("token_file", &self.token_file)
            .field("readonly", &self.readonly)
            .finish()
    }
}

impl AdminConfig {
    /// Whether `/admin` is on (a token or a token file is set).
    pub fn enabled(&self) -> bool {
        self.token.is_some() || self.token_file.is_some()
    }

    fn validate(&self) -> Result<(), String> {
        if self.token.is_some() && self.token_file.is_some() {
            return Err("admin: give the token once, as token or token_file, not both".into());
        }
        if self.token.as_deref() == Some("") {
            return Err("admin: the token is empty".into());
        }
        Ok(())
    }
}

/// The `[presence]` table (spec 15.1); which channels keep presence is a namespace setting.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PresenceConfig {
    /// How long a disconnected member with a uid stays before its `leave`, so a
    /// reconnect within it sends no leave/join pair. Default 5 s; zero leaves at once.
    #[serde(with = "secs")]
    pub grace: Duration,
    /// The most members one presence query lists (the counts stay complete). Default 1,000.
    pub max_members: usize,
    /// A connection without a token may name its own uid and info on the upgrade
    /// URL (`?uid=..&info=..`), unverified: for demos and trusted networks.
    pub client_identity: bool,
}

impl Default for PresenceConfig {
    fn default() -> Self {
        PresenceConfig {
            grace: Duration::from_secs(5),
            max_members: 1000,
            client_identity: false,
        }
    }
}

/// The `[token]` table (spec 14.5). Without a key no token verifies, and
/// connections that present none work as before tokens existed.
#[derive(Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TokenConfig {
    /// The HMAC secret of HS256/384/512 tokens. Never logged (`Debug` hides it).
    pub hmac_secret: Option<String>,
    /// A file holding the HMAC secret (trailing line breaks ignored), so it stays
    /// out of process lists and shell history.
    pub hmac_secret_file: Option<PathBuf>,
    /// PEM files of public keys (RSA, EC P-256 / P-384, Ed25519) of RS/PS, ES and EdDSA tokens.
    pub public_keys: Vec<PathBuf>,
    /// A JSON Web Key Set: a file, or an `http(s)://` URL fetched and cached.
    pub jwks: Option<String>,
    /// The `aud` every token must carry, when set.
    pub audience: Option<String>,
    /// The `iss` every token must carry, when set.
    pub issuer: Option<String>,
    /// Close connections that have not authenticated within `connect_timeout`,
    /// and refuse their messages until they do (14.4).
    pub require: bool,
    /// How long a connection may take to authenticate when tokens are required. Default 10 s.
    #[serde(with = "secs_opt")]
    pub connect_timeout: Option<Duration>,
    /// How long after its token's `exp` a connection (or subscription) is kept for
    /// a refresh under way before it is ended. Default 25 s.
    #[serde(with = "secs_opt")]
    pub grace: Option<Duration>,
}

impl std::fmt::Debug for TokenConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret is never printed, not even in a debug dump of the settings.
        f.debug_struct("TokenConfig")
            .field("hmac_secret", &self.hmac_secret.as_ref().map(|_| "<redacted>"))
            .field("hmac_secret_file", &self.hmac_secret_file)
            .field("public_keys", &self.public_keys)
            .field("jwks", &self.jwks)
            .field("audience", &self.audience)
            .field("issuer", &self.issuer)
            .field("require", &self.require)
            .field("connect_timeout", &self.connect_timeout())
            .field("grace", &self.grace())
            .finish()
    }
}

impl TokenConfig {
    /// Whether any key is configured (else no token can verify).
    pub fn has_keys(&self) -> bool {
        self.hmac_secret.is_some()
            || self.hmac_secret_file.is_some()
            || !self.public_keys.is_empty()
            || self.jwks.is_some()
    }

    /// How long a connection may take to authenticate (default 10 s).
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout.unwrap_or(Duration::from_secs(10))
    }

    /// How long an expired token's connection or subscription is kept (default 25 s).
    pub fn grace(&self) -> Duration {
        self.grace.unwrap_or(Duration::from_secs(25))
    }

    fn validate(&self) -> Result<(), String> {
        if self.hmac_secret.is_some() && self.hmac_secret_file.is_some() {
            return Err("token: give the HMAC secret once, as hmac_secret or hmac_secret_file, not both".into());
        }
        if self.hmac_secret.as_deref() == Some("") {
            return Err("token: the HMAC secret is empty".into());
        }
        if self.require && !self.has_keys() {
            return Err("token: --require-token needs a key to verify tokens with \
                 (--token-hmac-secret, --token-public-key or --token-jwks)"
                .into());
        }
        if self.connect_timeout().is_zero() {
            return Err("token: connect_timeout must be above zero".into());
        }
        Ok(())
    }
}

/// Who may subscribe to a namespace's channels (spec 14.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscribeRule {
    /// Any connection (the default: as before permissions existed).
    #[default]
    Anyone,
    /// Connections with a uid from their token.
    Authenticated,
    /// Only with a subscription token for the channel.
    Token,
}

/// Who may publish to a namespace's channels from a connection (spec 14.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PublishRule {
    /// Any connection (the default).
    #[default]
    Anyone,
    /// Connections with a uid from their token.
    Authenticated,
    /// Connections subscribed to the channel.
    Subscribers,
    /// No connection: backends publish through HTTP.
    Nobody,
}

/// Who may read a namespace's history from a connection (spec 14.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HistoryRule {
    /// Whoever the `subscribe` rule lets in (for `token`: subscribers). The default.
    #[default]
    Subscribe,
    /// Connections subscribed to the channel.
    Subscribers,
    /// No connection: backends read through HTTP.
    Nobody,
}

/// One namespace's settings (spec/PROTOCOL.md 13.1). A table so that later
/// settings (permissions, presence) join the same `[namespaces.<name>]` entries.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Namespace {
    /// Most publications kept per channel; 0 keeps none.
    pub history_size: usize,
    /// How long a publication is kept; zero keeps none.
    #[serde(with = "secs")]
    pub history_ttl: Duration,
    /// Most publications one recovery (or one history read) returns.
    pub recover_max: usize,
    /// Who may subscribe (14.6).
    pub subscribe: SubscribeRule,
    /// Who may publish from a connection (14.6).
    pub publish: PublishRule,
    /// Who may read history from a connection (14.6).
    pub history_read: HistoryRule,
    /// Keep each channel's members and answer presence queries (15.1).
    pub presence: bool,
    /// Send `join` and `leave` events to each channel's subscribers (15.3).
    pub join_leave: bool,
}

impl Default for Namespace {
    fn default() -> Self {
        Namespace {
            history_size: 0,
            history_ttl: Duration::ZERO,
            recover_max: 300,
            subscribe: SubscribeRule::default(),
            publish: PublishRule::default(),
            history_read: HistoryRule::default(),
            presence: false,
            join_leave: false,
        }
    }
}

impl Namespace {
    /// Whether this namespace keeps members or sends join/leave events (15.1).
    pub fn has_presence(&self) -> bool {
        self.presence || self.join_leave
    }

    /// Whether channels of this namespace keep history: both a size and a ttl (13.1).
    pub fn has_history(&self) -> bool {
        self.history_size > 0 && !self.history_ttl.is_zero()
    }
}

/// Cluster settings: the `[cluster]` table of the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// NATS server URL(s), comma-separated; `None` keeps the embedded single-node broker.
    pub nats: Option<String>,
    /// First subject token(s) of everything this deployment sends on NATS, so several
    /// deployments can share one NATS.
    pub prefix: String,
    /// Query parameter holding a connection key: a new connection with the same key
    /// closes the older one, on any node. `None` disables takeover.
    pub takeover_key: Option<String>,
    /// How long a cluster-wide directory call waits for the other nodes' answers.
    #[serde(with = "secs")]
    pub timeout: Duration,
    /// Where a cluster keeps history (when a namespace has it): in JetStream,
    /// shared by every node (the default), or in each node's memory.
    pub history: HistoryBackend,
    /// The JetStream history stream's size limit in bytes (0: none, the
    /// default: the per-channel limit bounds it, as on the memory backend).
    /// Full, JetStream refuses new entries (an error reply) or, in some cases,
    /// drops old ones, which can make recoveries that needed them unrecovered.
    pub history_max_bytes: u64,
}

/// Where a cluster keeps the history of its channels (spec 13.6, 13.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum HistoryBackend {
    /// One NATS JetStream stream for the deployment, shared by every node.
    #[default]
    Jetstream,
    /// Each node's own memory (positions differ between nodes).
    Memory,
}

impl std::str::FromStr for HistoryBackend {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "jetstream" => Ok(HistoryBackend::Jetstream),
            "memory" => Ok(HistoryBackend::Memory),
            _ => Err(format!("history backend {s:?}: expected jetstream or memory")),
        }
    }
}

/// Limits that keep one client from hurting the others.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest message accepted, in bytes; larger ones get a `MessageTooLarge` error reply.
    pub max_message_size: usize,
    /// Most headers in one message.
    pub max_headers: usize,
    /// Most channels named in one message's subscribe/publish/unsubscribe headers.
    pub max_channels: usize,
    /// Most channels one connection may be subscribed to.
    pub max_subscriptions: usize,
    /// Most connections open at once; further upgrades get HTTP 503.
    pub max_connections: usize,
    /// Most messages waiting to be written to one connection before it is closed
    /// as a slow consumer (1013): the second bound, for floods of tiny messages.
    pub max_queue: usize,
    /// Most bytes waiting to be written to one connection (the frames as sent)
    /// before it is closed as a slow consumer (1013): what one connection may hold.
    pub max_queue_bytes: usize,
    /// Messages per second one connection may send, on average (a token bucket
    /// refilled at this rate, holding `message_burst`); 0 (the default) sets no
    /// limit. A message over it gets a `RateLimited` error reply and is not
    /// processed; a burst's worth refused in a row closes the connection (1008).
    pub message_rate: f64,
    /// Most messages one connection may send at once within `message_rate`; 0
    /// (the default): the rate, rounded up.
    pub message_burst: usize,
    /// New WebSocket connections per second one address may open, on average (an
    /// IPv6 address counts by its /64); 0 (the default) sets no limit. An upgrade
    /// over it gets HTTP 429 with `Retry-After`.
    pub connection_rate: f64,
    /// Most new connections one address may open at once within `connection_rate`;
    /// 0 (the default): the rate, rounded up.
    pub connection_burst: usize,
    /// How often the server pings a connection.
    #[serde(with = "secs")]
    pub ping_interval: Duration,
    /// A connection that sends nothing (not even a pong) for this long is closed.
    #[serde(with = "secs")]
    pub idle_timeout: Duration,
    /// How long shutdown waits for in-flight upstream calls.
    #[serde(with = "secs")]
    pub shutdown_grace: Duration,
    /// How long an HTTP connection may take to send a whole request head (and
    /// may stay idle between requests) before it is closed, so connections that
    /// never finish a request (slowloris) do not pile up. TLS handshakes get the same.
    #[serde(with = "secs")]
    pub header_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            static_dir: None,
            mounts: Vec::new(),
            publish_token: None,
            insecure_open_publish: false,
            shards: std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            allowed_origins: Vec::new(),
            tls_cert: None,
            tls_key: None,
            upstream_allow: Vec::new(),
            upstream_ca: None,
            upstream_reply: false,
            upstream_timeout: Duration::from_secs(10),
            upstream_concurrency: 64,
            limits: Limits::default(),
            cluster: ClusterConfig::default(),
            namespace: Namespace::default(),
            namespaces: BTreeMap::new(),
            token: TokenConfig::default(),
            presence: PresenceConfig::default(),
            admin: AdminConfig::default(),
        }
    }
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            nats: None,
            prefix: "lhttp".into(),
            takeover_key: None,
            timeout: Duration::from_secs(1),
            history: HistoryBackend::Jetstream,
            history_max_bytes: 0,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_size: 64 * 1024,
            max_headers: 64,
            max_channels: 64,
            max_subscriptions: 1024,
            max_connections: 100_000,
            // A reader may fall behind by a burst (40,000 messages of 100 bytes,
            // 64 of the largest) without being cut, and a connection holds at most
            // 4 MiB: between Centrifugo's 1 MiB per client and NATS's 64 MiB pending.
            // The count bounds the bookkeeping of tiny frames (about 1 MiB for 16,384).
            max_queue: 16_384,
            max_queue_bytes: 4 << 20,
            // Off: a per-connection rate that suits a chat kills a feed or a
            // benchmark, and behind a proxy or a NAT every client has one
            // address; only the operator knows the right numbers.
            message_rate: 0.0,
            message_burst: 0,
            connection_rate: 0.0,
            connection_burst: 0,
            ping_interval: Duration::from_secs(25),
            idle_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(5),
            header_timeout: Duration::from_secs(10),
        }
    }
}

impl Limits {
    /// The limits a client must respect, as `connected` announces them (spec 8.1);
    /// a limit beyond what the field holds is announced as the field's largest value.
    pub fn announced(&self) -> lhttp_core::Limits {
        lhttp_core::Limits {
            max_channels: Some(u32::try_from(self.max_channels).unwrap_or(u32::MAX)),
            max_subscriptions: Some(u32::try_from(self.max_subscriptions).unwrap_or(u32::MAX)),
            max_message_size: Some(u64::try_from(self.max_message_size).unwrap_or(u64::MAX)),
            max_headers: Some(u32::try_from(self.max_headers).unwrap_or(u32::MAX)),
        }
    }
}

impl Config {
    /// Checks the settings that would make the server unsafe or unusable for an
    /// operator, from the settings alone (`lhttpd` runs it before anything else).
    /// What needs loading or another module's rules (TLS files, the upstream CA
    /// and prefixes, origins, the cluster prefix) is checked by
    /// `Server::build`.
    pub fn validate(&self) -> Result<(), String> {
        if self.publish_token.is_none() && !self.listen.ip().is_loopback() && !self.insecure_open_publish {
            return Err(format!(
                "refusing to listen on {} with an open POST /publish: set --publish-token, \
                 or pass --insecure-open-publish to allow anyone to publish",
                self.listen
            ));
        }
        if self.limits.header_timeout.is_zero() {
            return Err("header_timeout must be above zero".into());
        }
        if self.limits.max_headers == 0 || self.limits.max_queue == 0 {
            return Err("max_headers and max_queue must be at least 1".into());
        }
        self.token.validate()?;
        self.admin.validate()?;
        if self.presence.max_members == 0 {
            return Err("presence max_members must be at least 1".into());
        }
        if self.limits.max_queue_bytes < self.limits.max_message_size {
            return Err(format!(
                "max_queue_bytes ({}) must be at least max_message_size ({}): one message would cut any connection",
                self.limits.max_queue_bytes, self.limits.max_message_size
            ));
        }
        for (name, rate) in [
            ("message_rate", self.limits.message_rate),
            ("connection_rate", self.limits.connection_rate),
        ] {
            if !(rate.is_finite() && rate >= 0.0) {
                return Err(format!(
                    "{name} must be a number of at least 0 (0 sets no limit), not {rate}"
                ));
            }
        }
        self.validate_namespaces()
    }

    /// The namespace `channel` is in: its name up to the first `:` (13.1). A
    /// channel without `:`, or of a namespace without its own table, gets the
    /// default namespace's settings.
    pub fn namespace_of(&self, channel: &str) -> &Namespace {
        channel
            .split_once(':')
            .and_then(|(name, _)| self.namespaces.get(name))
            .unwrap_or(&self.namespace)
    }

    /// Whether any namespace keeps history (if none, publishing skips the streams).
    pub fn has_any_history(&self) -> bool {
        self.namespace.has_history() || self.namespaces.values().any(Namespace::has_history)
    }

    /// Whether any namespace keeps presence or sends join/leave events (if none, the presence layer sleeps).
    pub fn has_any_presence(&self) -> bool {
        self.namespace.has_presence() || self.namespaces.values().any(Namespace::has_presence)
    }

    fn validate_namespaces(&self) -> Result<(), String> {
        let named = self.namespaces.iter().map(|(n, ns)| (format!("namespace {n:?}"), ns));
        for (what, ns) in std::iter::once(("the default namespace".to_string(), &self.namespace)).chain(named) {
            if ns.recover_max == 0 {
                return Err(format!("{what}: recover_max must be at least 1"));
            }
        }
        for name in self.namespaces.keys() {
            if name.is_empty() || name.contains(':') || name.chars().any(char::is_whitespace) {
                return Err(format!(
                    "namespace {name:?}: a namespace name is a non-empty channel prefix without `:` or spaces"
                ));
            }
        }
        Ok(())
    }
}

/// Durations in configuration files are seconds (fractions allowed).
mod secs {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = f64::deserialize(d)?;
        Duration::try_from_secs_f64(s).map_err(serde::de::Error::custom)
    }
}

/// An optional duration in seconds (absent: the setting's default).
mod secs_opt {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let s = f64::deserialize(d)?;
        Duration::try_from_secs_f64(s)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_is_in_the_namespace_before_its_first_colon() {
        let c: Config = toml::from_str(
            "[namespace]\nhistory_size = 5\nhistory_ttl = 60\n[namespaces.chat]\nhistory_size = 10\nhistory_ttl = 1.5\nrecover_max = 7\n",
        )
        .unwrap();
        assert!(c.validate().is_ok());
        assert_eq!(c.namespace_of("room").history_size, 5);
        assert_eq!(c.namespace_of("chat:room:1").recover_max, 7);
        assert_eq!(c.namespace_of("chat:x").history_ttl, Duration::from_millis(1500));
        assert_eq!(
            c.namespace_of("other:x").history_size,
            5,
            "no table: the default's settings"
        );
        assert_eq!(
            c.namespace_of("chat").history_size,
            5,
            "no colon: the default namespace"
        );
        assert!(c.namespace_of("room").has_history());
        assert!(!Config::default().namespace_of("room").has_history(), "off unless set");
    }

    #[test]
    fn rate_limits_are_off_by_default_and_a_bad_rate_is_refused_by_name() {
        let l = Limits::default();
        assert_eq!((l.message_rate, l.connection_rate), (0.0, 0.0));
        let c: Config =
            toml::from_str("[limits]\nmessage_rate = 2.5\nmessage_burst = 10\nconnection_rate = 1\n").unwrap();
        assert!(c.validate().is_ok());
        assert_eq!((c.limits.message_rate, c.limits.message_burst), (2.5, 10));
        let mut c = Config::default();
        c.limits.connection_rate = -1.0;
        assert!(c.validate().unwrap_err().contains("connection_rate"));
        c.limits.connection_rate = f64::INFINITY;
        assert!(c.validate().unwrap_err().contains("connection_rate"));
    }

    #[test]
    fn bad_namespaces_are_refused_by_name() {
        let mut c = Config::default();
        c.namespace.recover_max = 0;
        assert!(c.validate().unwrap_err().contains("default namespace"));
        let mut c = Config::default();
        c.namespaces.insert("a:b".into(), Namespace::default());
        assert!(c.validate().unwrap_err().contains("\"a:b\""));
        let mut c = Config::default();
        let ns = Namespace {
            recover_max: 0,
            ..Namespace::default()
        };
        c.namespaces.insert("chat".into(), ns);
        assert!(c.validate().unwrap_err().contains("\"chat\""));
        assert!(
            toml::from_str::<Config>("[namespace]\nhistory_sise = 1\n").is_err(),
            "unknown keys are refused"
        );
    }

    #[test]
    fn token_settings_read_and_refuse_what_cannot_work() {
        let c: Config = toml::from_str(
            "[token]\nhmac_secret = \"s3cret\"\nrequire = true\ngrace = 2\n[namespaces.notice]\nsubscribe = \"token\"\npublish = \"nobody\"\nhistory_read = \"subscribers\"\n",
        )
        .unwrap();
        assert!(c.validate().is_ok());
        assert_eq!(c.token.grace(), Duration::from_secs(2));
        assert_eq!(c.token.connect_timeout(), Duration::from_secs(10));
        assert_eq!(c.namespace_of("notice:#ann").subscribe, SubscribeRule::Token);
        assert_eq!(c.namespace_of("notice:#ann").publish, PublishRule::Nobody);
        assert_eq!(c.namespace_of("room").publish, PublishRule::Anyone);
        assert!(!format!("{c:?}").contains("s3cret"), "the secret is never printed");
        let mut c = Config::default();
        c.token.require = true;
        assert!(c.validate().unwrap_err().contains("needs a key"));
        c.token.hmac_secret = Some("a".into());
        c.token.hmac_secret_file = Some("f".into());
        assert!(c.validate().unwrap_err().contains("not both"));
        assert!(toml::from_str::<Config>("[namespace]\npublish = \"everyone\"\n").is_err());
    }

    #[test]
    fn admin_settings_read_hide_the_token_and_refuse_two_tokens() {
        let c: Config = toml::from_str("[admin]\ntoken = \"adm1n\"\nreadonly = true\n").unwrap();
        assert!(c.validate().is_ok());
        assert!(c.admin.enabled() && c.admin.readonly);
        assert!(!format!("{c:?}").contains("adm1n"), "the admin token is never printed");
        let mut c = c;
        c.admin.token_file = Some("f".into());
        assert!(c.validate().unwrap_err().contains("not both"));
        c.admin = AdminConfig {
            token: Some(String::new()),
            ..AdminConfig::default()
        };
        assert!(c.validate().unwrap_err().contains("empty"));
        assert!(!Config::default().admin.enabled());
    }
}
