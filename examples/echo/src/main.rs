//! The original lhttp's test server: a `chat` processor that sets a new
//! command, adds two headers and sends the body back. Run it and connect to
//! ws://127.0.0.1:8081/echo (e.g. `lhttp send ws://127.0.0.1:8081/echo`).
use lhttp_server::{Config, Context, Processor, Server};

struct Chat;

impl Processor for Chat {
    fn on_message(&self, ctx: &mut Context<'_>) {
        ctx.set_command("auth");
        ctx.add_header("header-key", "header-value");
        ctx.add_header("header-key2", "header-value2");
        let body = ctx.body().to_vec();
        let _ = ctx.send(&body);
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8081".into());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("echo listening on {}", listener.local_addr()?);
    let stop = async { tokio::signal::ctrl_c().await.unwrap_or(()) };
    Server::build(Config::default())
        .await?
        .processor("chat", Chat)
        .run(listener, stop)
        .await
}
