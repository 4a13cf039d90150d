//! `wss://` and `https://` against a real lhttpd behind a real TLS-terminating
//! proxy (tokio-rustls with a certificate made for the test), as lhttpd runs in
//! production behind nginx or a load balancer: the client trusts a CA it is
//! given, refuses one it is not, and says so with a `Connect` error.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::TestServer;
use lhttp_client::{http_publish, Client, Config, Error, Message};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// A TLS proxy on a free loopback port in front of `backend`, and its certificate (PEM).
async fn tls_proxy(backend: SocketAddr) -> (SocketAddr, Vec<u8>) {
    let (config, ca) = lhttp_tls::testing::self_signed(&["localhost", "127.0.0.1"]);
    let acceptor = TlsAcceptor::from(config);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A handshake the client refuses simply ends this connection.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (addr, ca.into_bytes())
}

async fn next(client: &Client) -> Message {
    tokio::time::timeout(Duration::from_secs(10), client.recv())
        .await
        .expect("a message within 10 s")
        .expect("the connection is open")
        .expect("a message, not an error")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_with_the_given_ca_subscribes_and_receives() {
    let server = TestServer::start().await;
    let (proxy, ca) = tls_proxy(server.addr).await;
    let mut config = Config::new(format!("wss://127.0.0.1:{}/", proxy.port()));
    config.ca_pem = Some(ca.clone());
    let secure = Client::connect_with(config).await.expect("wss connects with the CA");
    assert!(
        secure.client_id().is_some(),
        "the server's connected message came through TLS"
    );
    secure.subscribe(&["vault"]).await.unwrap();

    // A plain ws:// client on the same server publishes; the wss:// subscriber gets it.
    let plain = Client::connect(&server.ws_url()).await.unwrap();
    assert_eq!(
        plain
            .publish_counted(&["vault"], "chat", &[], b"through tls")
            .await
            .unwrap(),
        1
    );
    let msg = next(&secure).await;
    assert_eq!((msg.command(), msg.body()), ("chat", &b"through tls"[..]));

    // And the other way round, by host name.
    let mut config = Config::new(format!("wss://localhost:{}/", proxy.port()));
    config.ca_pem = Some(ca);
    let by_name = Client::connect_with(config)
        .await
        .expect("the certificate names localhost");
    plain.subscribe(&["lobby"]).await.unwrap();
    assert_eq!(
        by_name.publish_counted(&["lobby"], "chat", &[], b"hi").await.unwrap(),
        1
    );
    let msg = next(&plain).await;
    assert_eq!(msg.body(), b"hi");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_a_connect_error() {
    let server = TestServer::start().await;
    let (proxy, _ca) = tls_proxy(server.addr).await;
    let url = format!("wss://127.0.0.1:{}/", proxy.port());
    match Client::connect(&url).await {
        // e.g. "IO error: invalid peer certificate: UnknownIssuer"
        Err(Error::Connect(why)) => assert!(why.to_lowercase().contains("certificate"), "{why}"),
        Err(other) => panic!("expected a Connect error, got {other:?}"),
        Ok(_) => panic!("a self-signed certificate nobody trusts was accepted"),
    }
    // HTTP publish over https:// trusts the system roots only: refused the same way.
    let base = format!("https://127.0.0.1:{}", proxy.port());
    match http_publish(&base, &["x"], "chat", &[], b"", None).await {
        Err(Error::Connect(why)) => assert!(why.to_lowercase().contains("certificate"), "{why}"),
        other => panic!("expected a Connect error, got {other:?}"),
    }
    // A CA that is not PEM is refused before any connection is tried.
    let mut config = Config::new(url);
    config.ca_pem = Some(b"not a certificate".to_vec());
    assert!(matches!(Client::connect_with(config).await, Err(Error::Connect(_))));
    server.stop().await;
}
