//! A multipart `upload` processor: prints each part's headers and body, and
//! answers with how many parts it got. Try it with
//! `printf 'LHTTP/1.0 upload\r\nmultipart:0 14\r\n\r\nk1:v1\r\n\r\nbody1k2:v2\r\n\r\nbody2' | lhttp send ws://127.0.0.1:8081/`.
use lhttp_server::{Config, Context, Processor, Server};

struct Upload;

impl Processor for Upload {
    fn on_message(&self, ctx: &mut Context<'_>) {
        // Bad offsets never get here: the built-in multipart filter answers them with an error.
        let Ok(parts) = ctx.parts() else { return };
        for (i, part) in parts.iter().enumerate() {
            let headers: Vec<String> = part.headers.iter().map(|h| format!("{}={}", h.name, h.value)).collect();
            println!(
                "part {i}: headers [{}] body {:?}",
                headers.join(", "),
                String::from_utf8_lossy(part.body)
            );
        }
        ctx.add_header("parts", &parts.len().to_string());
        let _ = ctx.send(b"received");
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8081".into());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("upload listening on {}", listener.local_addr()?);
    let stop = async { tokio::signal::ctrl_c().await.unwrap_or(()) };
    Server::build(Config::default())
        .await?
        .processor("upload", Upload)
        .run(listener, stop)
        .await
}
