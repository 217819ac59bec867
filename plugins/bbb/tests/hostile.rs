//! A hostile or broken server against the `bbb` source, over real HTTP
//! (`bbb-testserver`): endless answers end in one line within a fixed memory
//! bound, a bad byte spoils only its recording, recordIDs that do not start
//! with a hex digit are listed too. Alone in its test binary, so the peak
//! RSS measured (`VmHWM`) is this file's tests'.
use bbb_migrate_bbb::{BbbSource, Flavour};
use bbb_testserver::{dataset, Endless, Fault, Flavour as Server, Options, TestRec, TestServer};
use plugin_api::abi::{PluginError, Recording, Rejected};
use plugin_api::sdk::SourcePlugin;
use serde_json::json;

const SECRET: &str = "8cd8ef52e8e101574e400365b55e11a6";

fn drain(src: &dyn SourcePlugin) -> Result<(Vec<Recording>, Vec<Rejected>), PluginError> {
    let (mut recs, mut bad) = (Vec::new(), Vec::new());
    while let Some(b) = src.next_batch(500)? {
        recs.extend(b.recordings);
        bad.extend(b.rejected);
    }
    Ok((recs, bad))
}

fn source(s: &TestServer, extra: serde_json::Value) -> BbbSource {
    let mut c = json!({ "url": s.url(), "secret": SECRET, "backoff_ms": 10, "timeout_s": 20, "resolve_video": false });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    let (ctx, _) = bbb_testserver::ctx("hostile", std::path::Path::new("/tmp"), false);
    Flavour::Bbb.source(&c.to_string(), ctx).unwrap()
}

fn vm_hwm_mib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 =
        s.lines().find(|l| l.starts_with("VmHWM:")).unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    kb / 1024
}

/// Every getRecordings call answers `kind`; the listing must fail in one line.
fn endless_listing_fails(kind: Endless) -> String {
    let s = TestServer::start(Options::new(Server::Bbb27, SECRET), dataset(20));
    s.fault(None, Fault::Endless(kind), usize::MAX);
    let e = drain(&source(&s, json!({}))).unwrap_err();
    let m = e.message.to_string();
    assert!(!m.contains('\n'), "{m}");
    assert!(m.contains(&s.url()), "{m}");
    m
}

#[test]
fn endless_answers_end_in_one_line_and_memory_stays_bounded() {
    let m = endless_listing_fails(Endless::Whitespace);
    assert!(m.contains("longer than 1048576 bytes inside <recordings>"), "{m}");
    let m = endless_listing_fails(Endless::NameText);
    assert!(m.contains("longer than 1048576 bytes inside <name>"), "{m}");
    let m = endless_listing_fails(Endless::Recordings);
    assert!(m.contains("more than 5000 recordings (or 4096 KiB) under recordID prefix"), "{m}");
    let peak = vm_hwm_mib();
    assert!(peak < 100, "peak RSS {peak} MiB");
    eprintln!("peak RSS of the hostile tests: {peak} MiB");
}

#[test]
fn a_bad_byte_spoils_only_its_recording() {
    let s = TestServer::start(Options::new(Server::Bbb27, SECRET), dataset(40));
    let bad = |id: &str, name: &[u8]| {
        [
            format!("<recording><recordID>{id}</recordID><startTime>1600000000000</startTime><name>").as_bytes(),
            name,
            b"</name></recording>",
        ]
        .concat()
    };
    let raw = [
        bad("a000000000000000000000000000000000000001-1600000000000", b"caf\xe9 latin-1"),
        bad("a000000000000000000000000000000000000002-1600000000000", b"nul &#0; ref"),
        bad("a000000000000000000000000000000000000003-1600000000000", b"raw\x00nul and \x1b[2J"),
    ]
    .concat();
    s.fault(Some("a"), Fault::Inject(raw), 1);
    let (recs, rejected) = drain(&source(&s, json!({}))).unwrap();
    // Everything the server really has, plus the one whose controls were removed.
    assert_eq!(recs.len(), 41);
    let cleaned = recs.iter().find(|r| r.record_id.ends_with("0003-1600000000000")).unwrap();
    assert_eq!(cleaned.name.as_str(), "rawnul and [2J");
    let mut why: Vec<String> = rejected.iter().map(|r| format!("{} {}", r.record_id, r.message)).collect();
    why.sort();
    assert_eq!(why.len(), 2, "{why:?}");
    assert!(why[0].contains("0001-1600000000000 undecodable content in <name>"), "{why:?}");
    assert!(why[1].contains("0002-1600000000000 undecodable content in <name>"), "{why:?}");
}

#[test]
fn record_ids_not_starting_with_a_hex_digit_are_listed() {
    let mut recs = dataset(30);
    let mut odd = |id: &str| {
        let mut r: TestRec = recs[0].clone();
        r.record_id = id.into();
        recs.push(r);
    };
    odd("Zoom-import-1");
    odd("g0000000000000000000000000000000000000000-1600000000000");
    odd("_legacy");
    odd("A1B2");
    odd("/etc/passwd");
    let s = TestServer::start(Options::new(Server::Scalelite, SECRET), recs);
    let (listed, rejected) = drain(&source(&s, json!({}))).unwrap();
    let mut ids: Vec<String> = listed.iter().map(|r| r.record_id.to_string()).collect();
    ids.extend(rejected.iter().map(|r| r.record_id.to_string()));
    ids.sort();
    assert_eq!(ids, s.expected_ids());
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].record_id.as_str(), "/etc/passwd");
    // And when the rest shard is too large, its prefixes are asked one by one.
    let (listed2, _) = drain(&source(&s, json!({ "shard_max": 2 }))).unwrap();
    assert_eq!(listed2.len(), listed.len());
}
