//! Inputs the fuzz targets (fuzz/, target `session`) found to break the session,
//! each kept as a test once fixed.

use lhttp_session::{Config, Session, Transmit};

const GREETING: &[u8] = b"LHTTP/1.0 connected\r\nclient-id:n-1\r\n\r\n";

#[test]
fn a_clock_near_its_end_saturates_the_ping_schedule_instead_of_overflowing() {
    // Found by fuzzing: `now + ping_interval` overflowed (a panic in debug
    // builds; after wrapping in release ones, the next ping was due at once).
    let mut s = Session::new(Config {
        ping_interval: Some(1_000),
        ..Config::default()
    });
    let now = u64::MAX - 500;
    s.start(now);
    assert_eq!(s.poll_transmit(), Some(Transmit::Connect));
    s.socket_opened(now);
    s.received(now, GREETING);
    assert!(s.is_open());
    assert_eq!(s.next_deadline(), Some(u64::MAX), "the ping is due at the end of time");
    s.tick(u64::MAX);
    assert_eq!(s.poll_transmit(), Some(Transmit::Ping));
}
