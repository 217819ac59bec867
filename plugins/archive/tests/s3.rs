//! The `archive` sink on S3-compatible storage: the real S3 server that `.ci/run` starts
//! (moto, on `BBB_TEST_S3`, default http://127.0.0.1:9900).
mod common;

use bbb_testserver::files::FileServer;
use common::*;
use plugin_api::sdk::SinkPlugin;
use plugin_api::OutcomeStatus;
use serde_json::json;
use std::io::{Read, Write};

fn endpoint() -> String {
    std::env::var("BBB_TEST_S3").unwrap_or_else(|_| "http://127.0.0.1:9900".into())
}

/// One plain HTTP request to the S3 server (bucket creation, tampering); returns the status.
fn raw(method: &str, path: &str, body: &[u8]) -> u16 {
    let hostport = endpoint().trim_start_matches("http://").to_string();
    let mut c = std::net::TcpStream::connect(&hostport)
        .unwrap_or_else(|e| panic!("no S3 server at {hostport} ({e}): start it with `bash .ci/run`"));
    write!(
        c,
        "{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    c.write_all(body).unwrap();
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    out.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn bucket(tag: &str) -> String {
    let b = format!("bbb-archive-{tag}-{}", std::process::id());
    assert_eq!(raw("PUT", &format!("/{b}"), b""), 200);
    b
}

#[test]
fn archives_verifies_and_resumes_on_s3() {
    let server = FileServer::start();
    let id = "3333333333333333333333333333333333333333-1700000000000";
    let published = publish_full(&server, id);
    let b = bucket("main");
    let settings = json!({
        "target": format!("s3://{b}/archive"),
        "endpoint": endpoint(),
        "access_key_id": "testing",
        "secret_access_key": "testing",
        "min_free_bytes": 0,
    });
    let dir = tempfile::tempdir().unwrap();
    let s = sink(dir.path(), settings.clone(), false);
    s.prepare().unwrap();
    let out = s.write(&[item(recording(&server, id, &["presentation", "video", "podcast"]))]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{}", out[0].detail);
    assert!(out[0].detail.contains(&format!("archived {} files", published.len())), "{}", out[0].detail);
    assert!(s.finish().unwrap()[0].contains("list 1 archived"));

    let lines = verifier(dir.path(), settings.clone()).check().unwrap();
    assert!(lines[0].starts_with(&format!("OK {id}: {} files", published.len())), "{lines:?}");

    // A re-run finds the manifest: nothing fetched.
    server.clear_seen();
    let again =
        sink(dir.path(), settings.clone(), false).write(&[item(recording(&server, id, &["presentation"]))]).unwrap();
    assert_eq!(again[0].status, OutcomeStatus::SKIPPED, "{}", again[0].detail);
    assert!(server.seen().is_empty());

    // An object replaced behind the archive's back is reported.
    let key = format!("/{b}/archive/{id}/podcast/audio.ogg");
    assert_eq!(raw("PUT", &key, b"not the podcast"), 200);
    let lines = verifier(dir.path(), settings).check().unwrap();
    assert!(
        lines[0].starts_with(&format!("BAD {id}: 1 of")) && lines[0].contains("podcast/audio.ogg: 15 bytes"),
        "{lines:?}"
    );
}

#[test]
fn a_wrong_size_leaves_no_object_on_s3() {
    let server = FileServer::start();
    let id = "4444444444444444444444444444444444444444-1700000000000";
    publish_full(&server, id);
    server.lie_about(&format!("/podcast/{id}/audio.ogg"), 10);
    let b = bucket("lie");
    let settings = json!({
        "target": format!("s3://{b}"), "endpoint": endpoint(),
        "access_key_id": "testing", "secret_access_key": "testing", "retries": 1,
    });
    let dir = tempfile::tempdir().unwrap();
    let out = sink(dir.path(), settings, false).write(&[item(recording(&server, id, &["podcast"]))]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::FAILED, "{}", out[0].detail);
    assert_eq!(raw("HEAD", &format!("/{b}/{id}/podcast/audio.ogg"), b""), 404);
    assert_eq!(raw("HEAD", &format!("/{b}/{id}/manifest.json"), b""), 404);
}
