//! `lhttp`, the command-line client (successor of the original's `lhttpClient`):
//! subscribe and print, publish once, type raw messages and see every reply, or list
//! who is in a channel.

mod escape;
mod render;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use lhttp_client::{http_publish, Client, Config, Error, Message, MessageExt};
use tokio::io::{AsyncBufReadExt, BufReader};

/// Talk to an lhttp server from the terminal.
#[derive(Debug, Parser)]
// `about` names the tool's own text: without one clap would show the crate's description.
#[command(
    name = "lhttp",
    version,
    about = "Talk to an lhttp server from the terminal: subscribe and print (sub), publish once (pub), type raw messages and see every reply (send), or list who is in a channel (presence)"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Subscribe to channels and print every message that arrives (join and leave
    /// events too, on channels that send them).
    Sub {
        #[command(flatten)]
        conn: Conn,
        /// The channels to subscribe to.
        #[arg(required = true)]
        channels: Vec<String>,
        /// Print only each message's body, one per line (a join or leave event as a
        /// line starting with `* ` on stderr).
        #[arg(long)]
        body_only: bool,
        /// Exit after this many messages (join and leave events not counted).
        #[arg(long)]
        count: Option<u64>,
    },
    /// Publish one message. With an http(s):// URL it goes through `POST /publish`.
    Pub {
        #[command(flatten)]
        conn: Conn,
        /// The channel(s) to publish to, space-separated.
        channel: String,
        /// The message body (escapes such as \r\n are understood).
        body: String,
        /// The message's command.
        #[arg(long, default_value = lhttp_client::DEFAULT_COMMAND)]
        command: String,
        /// An extra header, `name:value` (repeatable).
        #[arg(short = 'H', long = "header")]
        headers: Vec<String>,
        /// Bearer token for HTTP publishing.
        #[arg(long, env = "LHTTP_TOKEN")]
        token: Option<String>,
    },
    /// Send raw messages typed or piped on stdin, one per line (write line breaks as
    /// \r\n), and print every reply. When stdin ends, every reply to what was sent is
    /// printed before exiting.
    Send {
        #[command(flatten)]
        conn: Conn,
        /// After stdin ends and the replies are printed, keep printing what arrives this
        /// many seconds (e.g. upstream answers).
        #[arg(long, default_value_t = 0.0)]
        linger: f64,
    },
    /// List the members of a channel whose namespace keeps presence: each connection
    /// with its client id, uid and info, after the counts.
    Presence {
        #[command(flatten)]
        conn: Conn,
        /// The channel.
        channel: String,
        /// Print only the counts (connections and distinct users).
        #[arg(long)]
        stats: bool,
    },
}

/// How to connect.
#[derive(Debug, Args)]
struct Conn {
    /// The server URL, e.g. ws://127.0.0.1:8081/.
    url: String,
    /// Seconds to wait for the connection and for each acknowledgement.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Reconnect (and re-subscribe) when the connection drops.
    #[arg(long)]
    reconnect: bool,
    /// Send a keep-alive ping this often (seconds).
    #[arg(long)]
    ping: Option<f64>,
    /// A PEM file of extra certificate authorities to trust for wss://.
    #[arg(long)]
    ca: Option<std::path::PathBuf>,
}

impl Conn {
    fn config(&self) -> Result<Config, String> {
        let mut config = Config::new(self.url.as_str());
        config.connect_timeout = seconds(self.timeout)?;
        config.request_timeout = seconds(self.timeout)?;
        config.reconnect = self.reconnect;
        config.ping_interval = self.ping.map(seconds).transpose()?;
        if let Some(path) = &self.ca {
            config.ca_pem = Some(std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?);
        }
        Ok(config)
    }

    async fn connect(&self) -> Result<Client, String> {
        Client::connect_with(self.config()?)
            .await
            .map_err(|e| format!("{}: {e}", self.url))
    }
}

fn seconds(s: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(s).map_err(|e| format!("bad duration {s}: {e}"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Sub {
            conn,
            channels,
            body_only,
            count,
        } => sub(&conn, &channels, body_only, count).await,
        Cmd::Pub {
            conn,
            channel,
            body,
            command,
            headers,
            token,
        } => publish(&conn, &channel, &body, &command, &headers, token.as_deref()).await,
        Cmd::Send { conn, linger } => send(&conn, linger).await,
        Cmd::Presence { conn, channel, stats } => presence(&conn, &channel, stats).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lhttp: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn sub(conn: &Conn, channels: &[String], body_only: bool, count: Option<u64>) -> Result<(), String> {
    let client = conn.connect().await?;
    let names: Vec<&str> = channels.iter().map(String::as_str).collect();
    client.subscribe(&names).await.map_err(|e| e.to_string())?;
    eprintln!(
        "lhttp: subscribed to {} (client-id {})",
        names.join(" "),
        client.client_id().unwrap_or_default()
    );
    let mut seen = 0;
    while count.is_none_or(|n| seen < n) {
        let next = tokio::select! {
            next = client.recv() => next,
            _ = tokio::signal::ctrl_c() => break,
        };
        match next {
            None => break,
            Some(Ok(msg)) => {
                // A join or leave is news about the channel, not one of the messages counted.
                if msg.presence_event().is_none() {
                    seen += 1;
                }
                print_message(&msg, body_only);
            }
            Some(Err(e)) if passing(&e) => eprintln!("lhttp: {e}"),
            Some(Err(e)) => return Err(e.to_string()),
        }
    }
    client.close().await.map_err(|e| e.to_string())
}

async fn publish(
    conn: &Conn,
    channel: &str,
    body: &str,
    command: &str,
    headers: &[String],
    token: Option<&str>,
) -> Result<(), String> {
    let headers = headers
        .iter()
        .map(|h| {
            let (name, value) = h
                .split_once(':')
                .ok_or_else(|| format!("header {h:?} is not name:value"))?;
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let body = escape::unescape(body)?;
    let channels: Vec<&str> = lhttp_core::channel::split(channel).collect();
    let deliveries = if conn.url.starts_with("http://") || conn.url.starts_with("https://") {
        http_publish(&conn.url, &channels, command, &headers, &body, token).await
    } else {
        let client = conn.connect().await?;
        let n = client.publish_counted(&channels, command, &headers, &body).await;
        let _ = client.close().await;
        n
    }
    .map_err(|e| e.to_string())?;
    println!("delivered to {deliveries} subscriber(s)");
    Ok(())
}

async fn presence(conn: &Conn, channel: &str, stats_only: bool) -> Result<(), String> {
    let client = conn.connect().await?;
    let text = if stats_only {
        client.presence_stats(channel).await.map(|s| render::stats(channel, &s))
    } else {
        client.presence(channel).await.map(|p| render::presence(channel, &p))
    };
    let _ = client.close().await;
    print!("{}", text.map_err(|e| e.to_string())?);
    Ok(())
}

async fn send(conn: &Conn, linger: f64) -> Result<(), String> {
    let client = conn.connect().await?;
    eprintln!(
        "lhttp: connected (client-id {}); one message per line, line breaks as \\r\\n",
        client.client_id().unwrap_or_default()
    );
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    let linger = seconds(linger)?;
    loop {
        tokio::select! {
            line = lines.next_line(), if stdin_open => match line {
                Ok(Some(line)) if line.trim().is_empty() => {}
                Ok(Some(line)) => match escape::unescape(&line) {
                    Ok(bytes) => {
                        if let Err(e) = Message::parse(&bytes) {
                            eprintln!("lhttp: warning: not valid LHTTP ({}), sending anyway", e.as_str());
                        }
                        client.send_raw(&bytes).await.map_err(|e| e.to_string())?;
                    }
                    Err(e) => eprintln!("lhttp: {e}"),
                },
                Ok(None) => {
                    stdin_open = false;
                    flush_replies(&client).await?;
                }
                Err(e) => return Err(format!("stdin: {e}")),
            },
            () = tokio::time::sleep(linger), if !stdin_open => break,
            next = client.recv() => match next {
                None => return Ok(()),
                Some(Ok(msg)) => print_message(&msg, false),
                Some(Err(e)) if passing(&e) => eprintln!("lhttp: {e}"),
                Some(Err(e)) => return Err(e.to_string()),
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    client.close().await.map_err(|e| e.to_string())
}

/// Waits until the server has answered everything sent so far: it handles a
/// connection's messages in order, so once a final request is acknowledged, every
/// earlier reply has arrived. Prints them.
async fn flush_replies(client: &Client) -> Result<(), String> {
    client
        .request(Message::new(SYNC_COMMAND))
        .await
        .map_err(|e| format!("waiting for the replies: {e}"))?;
    loop {
        match client.try_recv() {
            Ok(Some(msg)) => print_message(&msg, false),
            Ok(None) => return Ok(()),
            Err(e) if passing(&e) => eprintln!("lhttp: {e}"),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Whether a `recv` error is only reported and the connection goes on: an
/// unreadable message, a channel not restored after a reconnect, dropped messages.
fn passing(e: &Error) -> bool {
    matches!(e, Error::Protocol(_) | Error::Server { .. })
}

/// The command of the request `send` uses to know all replies have arrived.
const SYNC_COMMAND: &str = "lhttp-cli-sync";

fn print_message(msg: &Message, body_only: bool) {
    let event = body_only.then(|| msg.presence_event()).flatten();
    if let Some(Ok(event)) = event {
        // Not a body: on stderr, so that stdout is only the bodies a pipe wants.
        eprintln!("{}", render::event(&event));
        return;
    }
    let text = if body_only {
        let mut body = String::from_utf8_lossy(msg.body()).into_owned();
        body.push('\n');
        body
    } else {
        render::render(msg) + "\n"
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
