//! The `archive` sink on S3-compatible storage: the real S3 server that `.ci/run` starts
//! (moto, on `BBB_TEST_S3`, default http://127.0.0.1:9900).
mod common;

use bbb_testserver::files::FileServer;
use common::*;
use plugin_api::sdk::{PlanApply, SinkPlugin};
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

/// The bucket as the sink sees it (signed requests: moto refuses anonymous access to the
/// objects a signed request stored).
fn store(b: &str) -> object_store::aws::AmazonS3 {
    object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(b)
        .with_region("us-east-1")
        .with_access_key_id("testing")
        .with_secret_access_key("testing")
        .with_endpoint(endpoint())
        .with_allow_http(true)
        .build()
        .unwrap()
}

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

/// A signed GET of `key` in bucket `b`: its bytes, `None` if absent.
fn get_object(b: &str, key: &str) -> Option<Vec<u8>> {
    use object_store::ObjectStore;
    block(async {
        match store(b).get(&object_store::path::Path::from(key)).await {
            Ok(r) => Some(r.bytes().await.unwrap().to_vec()),
            Err(object_store::Error::NotFound { .. }) => None,
            Err(e) => panic!("{key}: {e}"),
        }
    })
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
    let key = object_store::path::Path::from(format!("archive/{id}/podcast/audio.ogg"));
    block(object_store::ObjectStore::put(&store(&b), &key, b"not the podcast".to_vec().into())).unwrap();
    let lines = verifier(dir.path(), settings).check().unwrap();
    assert!(
        lines[0].starts_with(&format!("BAD {id}: 1 of")) && lines[0].contains("podcast/audio.ogg: 15 bytes"),
        "{lines:?}"
    );
}

/// The keys of every object in bucket `b`.
fn objects(b: &str) -> Vec<String> {
    use futures_util::StreamExt;
    use object_store::ObjectStore;
    block(async { store(b).list(None).map(|m| m.unwrap().location.to_string()).collect::<Vec<_>>().await })
}

/// A dry run stores, uploads and fetches nothing; a run between a plan and its
/// apply archives the recording, and the apply finds its manifest again.
#[test]
fn dry_run_writes_nothing_and_apply_re_checks_the_manifest_on_s3() {
    let server = FileServer::start();
    let id = "5555555555555555555555555555555555555555-1700000000000";
    publish_full(&server, id);
    let b = bucket("plan");
    let settings = json!({
        "target": format!("s3://{b}/archive"), "endpoint": endpoint(),
        "access_key_id": "testing", "secret_access_key": "testing", "min_free_bytes": 0,
    });
    let dir = tempfile::tempdir().unwrap();
    let items = [item(recording(&server, id, &["presentation", "podcast"]))];
    let dry = sink(dir.path(), settings.clone(), true);
    dry.prepare().unwrap();
    let out = dry.write(&items).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::PLANNED, "{}", out[0].detail);
    assert!(out[0].detail.starts_with("would archive presentation, podcast (2000000 bytes announced) to s3://"));
    dry.finish().unwrap();
    assert_eq!(objects(&b), Vec::<String>::new());
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "the dry run wrote a work file");
    assert!(server.seen().is_empty());

    let s = sink(dir.path(), settings.clone(), false);
    let plans = PlanApply::plan(&s, &items).unwrap();
    let other = sink(dir.path(), settings, false).write(&items).unwrap();
    assert_eq!(other[0].status, OutcomeStatus::DONE, "{}", other[0].detail);
    let stored = objects(&b);
    server.clear_seen();
    let out = PlanApply::apply(&s, &items, plans).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::SKIPPED, "{}", out[0].detail);
    assert!(server.seen().is_empty(), "fetched again");
    assert_eq!(objects(&b), stored);
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
    assert!(get_object(&b, &format!("{id}/podcast/audio.ogg")).is_none());
    assert!(get_object(&b, &format!("{id}/manifest.json")).is_none());
}

/// The upload journals below `dir` (the sink's work folder).
fn journals(dir: &std::path::Path) -> Vec<serde_json::Value> {
    tree(dir)
        .into_iter()
        .filter(|p| p.contains("uploads/") && p.ends_with(".json"))
        .map(|p| serde_json::from_slice(&std::fs::read(dir.join(p)).unwrap()).unwrap())
        .collect()
}

const MIB: u64 = 1 << 20;
/// Two whole 8 MiB parts and a tail: a cut at half (10 MiB) leaves one part stored.
const BIG: u64 = 20 * MIB + 12_345;

/// A recording whose podcast is BIG generated bytes, cut half way on its first GET; the
/// first run (no retry) fails with one part stored and journaled.
fn interrupted_upload(tag: &str, id: &str) -> (FileServer, String, serde_json::Value, tempfile::TempDir, String) {
    let server = FileServer::start();
    let path = format!("/podcast/{id}/audio.ogg");
    server.put_generated(&path, BIG);
    server.cut_next(&path);
    let b = bucket(tag);
    let settings = json!({
        "target": format!("s3://{b}"), "endpoint": endpoint(),
        "access_key_id": "testing", "secret_access_key": "testing", "retries": 0,
    });
    let dir = tempfile::tempdir().unwrap();
    let out = sink(dir.path(), settings.clone(), false).write(&[item(recording(&server, id, &["podcast"]))]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::FAILED, "{}", out[0].detail);
    assert!(get_object(&b, &format!("{id}/podcast/audio.ogg")).is_none(), "no object before completion");
    let j = journals(dir.path());
    assert_eq!(j.len(), 1, "{j:?}");
    assert_eq!(j[0]["parts"].as_array().map(Vec::len), Some(1), "{}", j[0]);
    (server, b, settings, dir, path)
}

fn expected_big() -> Vec<u8> {
    (0..BIG).map(bbb_testserver::files::generated_byte).collect()
}

/// The archived object, checked byte for byte against `want`, and its manifest's SHA-256;
/// the manifest's notes (returned).
fn check_object(b: &str, id: &str, want: &[u8]) -> Vec<String> {
    let body = get_object(b, &format!("{id}/podcast/audio.ogg")).expect("the object");
    assert_eq!(body.len() as u64, BIG);
    assert!(body == want, "the object's bytes differ from the file's");
    let manifest = get_object(b, &format!("{id}/manifest.json")).expect("the manifest");
    let m: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let f = m["files"].as_array().unwrap().iter().find(|f| f["path"] == "podcast/audio.ogg").unwrap().clone();
    assert_eq!(f["sha256"], sha256(want));
    assert_eq!(f["size"], BIG);
    serde_json::from_value(m["notes"].clone()).unwrap()
}

#[test]
fn an_interrupted_upload_resumes_from_its_last_stored_part_on_the_next_run() {
    let id = "5555555555555555555555555555555555555555-1700000000000";
    let (server, b, settings, dir, path) = interrupted_upload("resume", id);
    server.clear_seen();
    let out = sink(dir.path(), settings.clone(), false).write(&[item(recording(&server, id, &["podcast"]))]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{}", out[0].detail);
    // The stored part is not fetched (nor uploaded) again: one GET, from its end.
    let gets = server.gets(&path);
    assert_eq!(gets.len(), 1, "{gets:?}");
    assert_eq!(gets[0].range.as_deref(), Some(format!("bytes={}-", 8 * MIB).as_str()), "{gets:?}");
    // Only the rest of the version the journaled part came from.
    assert_eq!(gets[0].if_range, server.validators(&path).map(|v| v.0), "{gets:?}");
    assert!(check_object(&b, id, &expected_big()).is_empty());
    assert!(journals(dir.path()).is_empty(), "the journal is removed once the upload is complete");
    let lines = verifier(dir.path(), settings).check().unwrap();
    assert!(lines[0].starts_with(&format!("OK {id}: ")), "{lines:?}");
}

#[test]
fn an_upload_aborted_behind_the_archives_back_starts_again_from_zero() {
    let id = "6666666666666666666666666666666666666666-1700000000000";
    let (server, b, settings, dir, path) = interrupted_upload("stale", id);
    let upload = journals(dir.path())[0]["upload_id"].as_str().unwrap().to_string();
    let key = object_store::path::Path::from(format!("{id}/podcast/audio.ogg"));
    block(object_store::multipart::MultipartStore::abort_multipart(&store(&b), &key, &upload)).unwrap();
    server.clear_seen();
    let out = sink(dir.path(), settings, false).write(&[item(recording(&server, id, &["podcast"]))]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{}", out[0].detail);
    let gets = server.gets(&path);
    assert_eq!(gets.len(), 1, "{gets:?}");
    assert_eq!(gets[0].range, None, "the whole file again: {gets:?}");
    check_object(&b, id, &expected_big());
    assert!(journals(dir.path()).is_empty());
}

#[test]
fn an_upload_of_a_file_changed_on_the_server_starts_again_from_zero() {
    let id = "7777777777777777777777777777777777777777-1700000000000";
    let (server, b, settings, dir, path) = interrupted_upload("changed", id);
    let (old_etag, _) = server.validators(&path).unwrap();
    assert_eq!(journals(dir.path())[0]["validator"]["etag"], old_etag.as_str(), "journaled with its part");
    // Another version of the same size: the kept part would splice unnoticed by size.
    let new: Vec<u8> = expected_big().iter().map(|x| x ^ 0xa5).collect();
    server.put(&path, &new);
    server.clear_seen();
    let out = sink(dir.path(), settings, false).write(&[item(recording(&server, id, &["podcast"]))]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{}", out[0].detail);
    // The rest of the old version asked for, the new version answered whole (200).
    let gets = server.gets(&path);
    assert_eq!(gets.len(), 1, "{gets:?}");
    assert_eq!(gets[0].range.as_deref(), Some(format!("bytes={}-", 8 * MIB).as_str()), "{gets:?}");
    assert_eq!(gets[0].if_range.as_deref(), Some(&*old_etag));
    let notes = check_object(&b, id, &new);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("audio.ogg: changed on the server") && notes[0].contains("from byte 0"), "{notes:?}");
    assert!(out[0].detail.contains("1 file(s) fetched again from byte 0"), "{}", out[0].detail);
    assert!(journals(dir.path()).is_empty());
}
