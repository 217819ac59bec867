//! HTTPS with an institution's own CA: the `bbb` source over a real TLS
//! test server whose certificate comes from a CA generated at test time.
use bbb_migrate_bbb::Flavour;
use bbb_testserver::{dataset, Flavour as Server, Options, TestServer};
use plugin_api::abi::PluginError;
use plugin_api::sdk::SourcePlugin;
use serde_json::json;

const SECRET: &str = "8cd8ef52e8e101574e400365b55e11a6";

fn listed(s: &TestServer, dir: &std::path::Path, extra: serde_json::Value) -> Result<Vec<String>, PluginError> {
    let mut c = json!({ "url": s.url(), "secret": SECRET, "backoff_ms": 10, "retries": 1 });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    let (ctx, _) = bbb_testserver::ctx("tls", dir, false);
    let src = Flavour::Bbb.source(&c.to_string(), ctx)?;
    let mut ids = Vec::new();
    while let Some(b) = src.next_batch(100)? {
        for r in b.recordings.iter() {
            // Listing reads no video page (files are found after selection).
            if let Some(p) = r.playback("video") {
                assert!(p.download_url().is_none() && p.url.starts_with("https://"), "{p:?}");
            }
            ids.push(r.record_id.to_string());
        }
    }
    ids.sort();
    Ok(ids)
}

#[test]
fn an_unknown_ca_is_one_line_naming_the_host_and_ca_file_makes_it_work() {
    let s = TestServer::start_tls(Options::new(Server::Bbb27, SECRET), dataset(30));
    assert!(s.url().starts_with("https://127.0.0.1:"));
    let dir = tempfile::tempdir().unwrap();
    let e = listed(&s, dir.path(), json!({})).unwrap_err();
    let m = e.message.as_str();
    assert!(m.contains(&format!("127.0.0.1:{}", s.port)) && m.contains("certificate"), "{m}");
    assert!(!m.contains('\n'));
    // With the CA (a relative path: next to the pipeline file), everything is listed.
    std::fs::write(dir.path().join("ca.pem"), s.ca_pem().unwrap()).unwrap();
    let ids = listed(&s, dir.path(), json!({ "ca_file": "ca.pem" })).unwrap();
    assert_eq!(ids, s.expected_ids());
    // A ca_file that is not a certificate is a config error naming the key.
    std::fs::write(dir.path().join("bad.pem"), "hello").unwrap();
    let e = listed(&s, dir.path(), json!({ "ca_file": "bad.pem" })).unwrap_err();
    assert_eq!(e.field(), Some("ca_file"), "{}", e.message);
}
