//! Every invalid message of spec/vectors/parse_invalid.json sent to a live
//! server gets the error reply naming the core error, and the connection keeps working.
use crate::common;
use common::*;
use lhttp_server::Config;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test]
async fn every_invalid_vector_gets_its_error_reply_and_the_connection_survives() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/vectors/parse_invalid.json");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 10);
    let mut by_limit: std::collections::BTreeMap<u64, Vec<&serde_json::Value>> = Default::default();
    for v in vectors {
        by_limit
            .entry(v["max_headers"].as_u64().unwrap_or(32))
            .or_default()
            .push(v);
    }
    for (max_headers, vs) in by_limit {
        let mut cfg = Config::default();
        cfg.limits.max_headers = max_headers as usize;
        let s = start_with(cfg).await;
        let mut c = Client::connect(&s).await;
        for v in vs {
            let id = v["id"].as_str().unwrap();
            let bytes = match v["input"].as_str() {
                Some(t) => t.as_bytes().to_vec(),
                None => hex(v["input_hex"].as_str().unwrap()),
            };
            c.send_bytes(&bytes).await;
            let e = c.expect_error().await;
            assert_eq!(e.header("code"), v["error"].as_str(), "vector {id}");
            assert!(!e.header("detail").unwrap_or("").is_empty(), "vector {id} has a detail");
            // Still served: a header-less message the server answers (even with max_headers 0).
            c.send("LHTTP/1.0 ack\r\n\r\n").await;
            assert_eq!(
                c.expect_error().await.header("code"),
                Some("ReservedCommand"),
                "after {id}"
            );
        }
        s.stop().await;
    }
}
