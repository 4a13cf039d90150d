//! The blocking client (what C and Python's sync client use) against a real lhttpd
//! running on a runtime of its own.

use crate::common;

use std::time::Duration;

use common::TestServer;
use lhttp_client::{http_publish_blocking, BlockingClient, Error};

#[test]
fn blocking_publish_receive_and_poll() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(TestServer::start());
    let url = server.ws_url();
    let timeout = Duration::from_secs(10);

    let a = BlockingClient::connect(&url, timeout).unwrap();
    let b = BlockingClient::connect(&url, timeout).unwrap();
    a.subscribe(&["t"]).unwrap();
    assert!(
        a.try_recv().unwrap().is_none(),
        "nothing yet, and try_recv does not block"
    );
    assert_eq!(b.publish_counted(&["t"], "note", &[], b"one").unwrap(), 1);
    let msg = a.recv_timeout(None).unwrap().expect("a message");
    assert_eq!(msg.body_text(), Some("one"));

    // A short wait with nothing coming is Ok(None), not an error.
    assert!(a.recv_timeout(Some(Duration::from_millis(1))).unwrap().is_none());

    // Polling picks up a message once it is there.
    b.publish(&["t"], "note", &[], b"two").unwrap();
    let polled = loop {
        if let Some(m) = a.try_recv().unwrap() {
            break m;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(polled.body(), b"two");

    let n = http_publish_blocking(&server.http_url(), &["t"], "note", &[], b"three", None).unwrap();
    assert_eq!(n, 1);
    assert_eq!(a.recv_timeout(None).unwrap().unwrap().body(), b"three");

    a.close().unwrap();
    assert!(matches!(a.recv_timeout(None), Err(Error::Closed { .. })));
    assert!(matches!(a.try_recv(), Err(Error::Closed { .. })));
    drop(b);
    runtime.block_on(server.stop());
}
