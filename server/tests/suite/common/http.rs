//! A raw HTTP/1.1 caller, for `POST /publish`, `/healthz`, `/metrics`, static files and
//! the cluster API. Shared: `common` and `cluster_support` (which includes this file)
//! both use it; the answer is awaited at most the including harness's `WAIT`.

use super::WAIT;
use std::fmt::Display;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, ToSocketAddrs};

/// A raw HTTP/1.1 request to `addr` (`"127.0.0.1:8080"` or a `SocketAddr`); returns
/// (status, body), status 0 when the answer has none (e.g. the connection was dropped).
pub async fn http(
    addr: impl ToSocketAddrs + Display,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl AsRef<[u8]>,
) -> (u16, String) {
    let body = body.as_ref();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut s = TcpStream::connect(addr).await.expect("http connect");
    s.write_all(req.as_bytes()).await.expect("http write");
    s.write_all(body).await.expect("http write");
    let mut out = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut out))
        .await
        .expect("http answer in time")
        .expect("http read");
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
    (status, body)
}
