//! `wss://` and `https://` against a real lhttpd behind a real TLS-terminating
//! proxy (tokio-rustls with a certificate made for the test), as lhttpd runs in
//! production behind nginx or a load balancer, and against lhttpd answering TLS
//! itself (`--tls-cert`, `--tls-key`): the client trusts a CA it is given,
//! refuses one it is not, and says so with a `Connect` error.

use crate::common;

use std::net::SocketAddr;
use std::time::Duration;

use common::TestServer;
use lhttp_client::{http_publish, Client, Config, Error, Message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

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
        Err(Error::Connect { reason: why, .. }) => assert!(why.to_lowercase().contains("certificate"), "{why}"),
        Err(other) => panic!("expected a Connect error, got {other:?}"),
        Ok(_) => panic!("a self-signed certificate nobody trusts was accepted"),
    }
    // HTTP publish over https:// trusts the system roots only: refused the same way.
    let base = format!("https://127.0.0.1:{}", proxy.port());
    match http_publish(&base, &["x"], "chat", &[], b"", None).await {
        Err(Error::Connect { reason: why, .. }) => assert!(why.to_lowercase().contains("certificate"), "{why}"),
        other => panic!("expected a Connect error, got {other:?}"),
    }
    // A CA that is not PEM is refused before any connection is tried.
    let mut config = Config::new(url);
    config.ca_pem = Some(b"not a certificate".to_vec());
    assert!(matches!(Client::connect_with(config).await, Err(Error::Connect { .. })));
    server.stop().await;
}

/// `POST /publish` with `body` over https:// to `port`, trusting `ca`: the whole answer.
async fn https_publish(port: u16, ca: &str, body: &[u8]) -> String {
    let config = lhttp_tls::client_config(Some(ca.as_bytes())).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .expect("TLS with the CA");
    let head = format!(
        "POST /publish HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lhttpd_itself_answers_wss_and_https_with_its_certificate() {
    let (cert, key) = lhttp_tls::testing::self_signed_pem(&["localhost", "127.0.0.1"]);
    let dir = std::env::temp_dir().join(format!("lhttp-client-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = lhttp_server::Config {
        tls_cert: Some(dir.join("cert.pem")),
        tls_key: Some(dir.join("key.pem")),
        ..Default::default()
    };
    std::fs::write(dir.join("cert.pem"), &cert).unwrap();
    std::fs::write(dir.join("key.pem"), &key).unwrap();
    let server = TestServer::start_with(config, "127.0.0.1:0".parse().unwrap()).await;
    let port = server.addr.port();

    // Plain ws:// to the TLS port fails to connect, and harms nobody else.
    let plain = tokio::time::timeout(
        Duration::from_secs(10),
        Client::connect(&format!("ws://127.0.0.1:{port}/")),
    )
    .await
    .expect("refused within 10 s");
    assert!(
        plain.is_err(),
        "a plain WebSocket handshake was answered on the TLS port"
    );

    let wss = |host: &str| {
        let mut c = Config::new(format!("wss://{host}:{port}/"));
        c.ca_pem = Some(cert.clone().into_bytes());
        Client::connect_with(c)
    };
    let subscriber = wss("localhost").await.expect("wss by host name");
    subscriber.subscribe(&["vault"]).await.unwrap();
    let publisher = wss("127.0.0.1").await.expect("wss by IP address");
    assert_eq!(
        publisher
            .publish_counted(&["vault"], "chat", &[], b"over wss")
            .await
            .unwrap(),
        1
    );
    assert_eq!(next(&subscriber).await.body(), b"over wss");

    // HTTP publish on the same port, over https://.
    let answer = https_publish(port, &cert, b"LHTTP/1.0 chat\r\npublish:vault\r\n\r\nover https").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#"{"deliveries":1}"#), "{answer}");
    let msg = next(&subscriber).await;
    assert_eq!((msg.command(), msg.body()), ("chat", &b"over https"[..]));

    // Without the CA, the certificate is refused.
    match Client::connect(&format!("wss://127.0.0.1:{port}/")).await {
        Err(Error::Connect { reason: why, .. }) => assert!(why.to_lowercase().contains("certificate"), "{why}"),
        Err(other) => panic!("expected a Connect error, got {other:?}"),
        Ok(_) => panic!("an untrusted certificate was accepted"),
    }
    server.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}
