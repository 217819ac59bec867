//! The `bbb` and `scalelite` sources against a real local HTTP server
//! (`bbb-testserver`): every flavour lists exactly the right set.
use bbb_migrate_bbb::{BbbSource, Flavour};
use bbb_testserver::{dataset, hostile, Fault, Flavour as Server, Options, TestLog, TestServer};
use plugin_api::abi::{ErrorKind, PluginError, Recording, Rejected};
use plugin_api::sdk::SourcePlugin;
use serde_json::{json, Value};
use std::time::Duration;

const SECRET: &str = "8cd8ef52e8e101574e400365b55e11a6";

fn server(flavour: Server, n: usize, with_hostile: bool) -> TestServer {
    let mut recs = dataset(n);
    if with_hostile {
        recs.push(hostile());
    }
    TestServer::start(Options::new(flavour, SECRET), recs)
}

fn config(server: &TestServer, extra: Value) -> String {
    let mut c = json!({ "url": server.url(), "secret": SECRET, "backoff_ms": 10, "timeout_s": 10 });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c.to_string()
}

fn source(
    flavour: Flavour,
    server: &TestServer,
    extra: Value,
    dir: &std::path::Path,
    dry_run: bool,
) -> (BbbSource, TestLog) {
    let (ctx, log) = bbb_testserver::ctx("old-bbb", dir, dry_run);
    (flavour.source(&config(server, extra), ctx).unwrap(), log)
}

fn drain(src: &dyn SourcePlugin) -> Result<(Vec<Recording>, Vec<Rejected>), PluginError> {
    let (mut recs, mut bad) = (Vec::new(), Vec::new());
    while let Some(b) = src.next_batch(333)? {
        assert!(b.recordings.len() + b.rejected.len() <= 333);
        recs.extend(b.recordings);
        bad.extend(b.rejected);
    }
    Ok((recs, bad))
}

fn ids(recs: &[Recording]) -> Vec<String> {
    let mut v: Vec<String> = recs.iter().map(|r| r.record_id.to_string()).collect();
    v.sort();
    v
}

fn get_recordings_calls(s: &TestServer) -> Vec<String> {
    s.log().into_iter().filter(|l| l.starts_with("/bigbluebutton/api/getRecordings")).collect()
}

fn list(flavour: Flavour, s: &TestServer, extra: Value) -> (Vec<Recording>, Vec<Rejected>, TestLog) {
    let dir = tempfile::tempdir().unwrap();
    let (src, log) = source(flavour, s, extra, dir.path(), false);
    let (recs, bad) = drain(&src).unwrap();
    (recs, bad, log)
}

fn assert_hostile_rejected(bad: &[Rejected]) {
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].record_id.as_str(), "abc/../../../etc/passwd");
    assert!(bad[0].message.contains("refused"), "{}", bad[0].message);
}

#[test]
fn bbb22_lists_everything_by_prefix_without_paging() {
    let s = server(Server::Bbb22, 700, true);
    let (recs, bad, _) = list(Flavour::Bbb, &s, json!({}));
    assert_eq!(ids(&recs), s.expected_ids().into_iter().filter(|i| !i.contains('/')).collect::<Vec<_>>());
    assert_eq!(recs.len(), 700);
    assert_hostile_rejected(&bad);
    let calls = get_recordings_calls(&s);
    // 16 hex shards and the rest, one call each: 2.2 ignored `limit` and gave no total, so no `offset` ever.
    assert_eq!(calls.len(), 17, "{calls:?}");
    assert!(calls.iter().all(|c| c.contains("recordID=") && !c.contains("offset=")), "{calls:?}");
    // Real-world fields survive: CDATA Cyrillic names, state=available, breakouts, empty metadata.
    let by_id = |i: usize| recs.iter().find(|r| r.meeting_id.as_str() == format!("9d287cf5a1-{i}-119[0]")).unwrap();
    assert_eq!(by_id(0).name.as_str(), "Лекция №0 <A & B>");
    assert!(recs.iter().any(|r| r.state.as_str() == "available"));
    assert!(recs.iter().any(|r| r.is_breakout && r.extra_json.contains("breakout_parentId")));
    assert!(recs.iter().any(|r| r.metadata.is_empty()));
    assert!(recs.iter().any(|r| !r.published && r.state.as_str() == "unpublished"));
}

#[test]
fn bbb26_pages_through_the_pagination_block() {
    let s = server(Server::Bbb26, 2500, true);
    let (recs, bad, _) = list(Flavour::Bbb, &s, json!({ "concurrency": 6 }));
    assert_eq!(recs.len(), 2500);
    assert_eq!(ids(&recs), s.expected_ids().into_iter().filter(|i| !i.contains('/')).collect::<Vec<_>>());
    assert_hostile_rejected(&bad);
    let calls = get_recordings_calls(&s);
    assert!(calls.iter().all(|c| c.contains("limit=100")), "{calls:?}");
    assert!(calls.iter().any(|c| c.contains("offset=100")), "{calls:?}");
    // ~156 per shard → 2 pages per shard, never a page past the end; the rest shard is empty.
    assert_eq!(calls.len(), 32 + 1, "{calls:?}");
}

#[test]
fn bbb27_pages_with_top_level_total() {
    let s = server(Server::Bbb27, 2500, false);
    let (recs, bad, _) = list(Flavour::Bbb, &s, json!({ "page_size": 50 }));
    assert_eq!(ids(&recs), s.expected_ids());
    assert!(bad.is_empty());
    let calls = get_recordings_calls(&s);
    assert!(calls.iter().any(|c| c.contains("limit=50&offset=150")), "{calls:?}");
    // Each shard: full pages, then the short one that ends it.
    let pages: usize =
        "0123456789abcdef".chars().map(|c| s.expected_ids().iter().filter(|i| i.starts_with(c)).count() / 50 + 1).sum();
    assert_eq!(calls.len(), pages + 1);
}

#[test]
fn scalelite_is_never_paged() {
    let s = server(Server::Scalelite, 2500, true);
    let (recs, bad, _) = list(Flavour::Scalelite, &s, json!({}));
    assert_eq!(recs.len(), 2500);
    assert_eq!(ids(&recs), s.expected_ids().into_iter().filter(|i| !i.contains('/')).collect::<Vec<_>>());
    assert_hostile_rejected(&bad);
    let calls = get_recordings_calls(&s);
    assert_eq!(calls.len(), 17);
    assert!(calls.iter().all(|c| !c.contains("offset") && !c.contains("limit")), "{calls:?}");
    // Scalelite's stripped fields are tolerated, `available` became `published`.
    let r = &recs[0];
    assert!(r.meta("meetingId").is_none());
    assert!(!recs.iter().any(|r| r.state.as_str() == "available"));
}

#[test]
fn a_bbb_component_pointed_at_scalelite_does_not_loop() {
    let s = server(Server::Scalelite, 400, false);
    let (recs, _, log) = list(Flavour::Bbb, &s, json!({}));
    assert_eq!(ids(&recs), s.expected_ids());
    let calls = get_recordings_calls(&s);
    assert_eq!(calls.len(), 17);
    assert!(calls.iter().all(|c| !c.contains("offset")), "{calls:?}");
    assert!(log.lines().iter().any(|l| l.contains("is a Scalelite")), "{:?}", log.lines());
}

#[test]
fn every_checksum_algorithm_is_accepted_where_the_server_supports_it() {
    for (flavour, algo) in [
        (Server::Bbb27, "sha1"),
        (Server::Bbb27, "sha256"),
        (Server::Bbb27, "sha384"),
        (Server::Bbb27, "sha512"),
        (Server::Scalelite, "sha1"),
        (Server::Scalelite, "sha512"),
        (Server::Bbb22, "sha1"),
    ] {
        let s = server(flavour, 40, false);
        let (recs, _, _) = list(Flavour::Bbb, &s, json!({ "checksum": algo }));
        assert_eq!(ids(&recs), s.expected_ids(), "{flavour:?} {algo}");
    }
    // Scalelite refuses SHA-384: a config error before any request.
    let s = server(Server::Scalelite, 1, false);
    let (ctx, _) = bbb_testserver::ctx("sl", std::path::Path::new("/tmp"), false);
    let e = Flavour::Scalelite.source(&config(&s, json!({ "checksum": "sha384" })), ctx).err().unwrap();
    assert_eq!(e.field(), Some("checksum"));
    // BBB 2.2 does not know SHA-512: its checksumError is reported.
    let s = server(Server::Bbb22, 5, false);
    let dir = tempfile::tempdir().unwrap();
    let (src, _) = source(Flavour::Bbb, &s, json!({ "checksum": "sha512" }), dir.path(), false);
    let e = drain(&src).unwrap_err();
    assert!(e.message.contains("FAILED checksumError") && e.message.contains("sha512"), "{}", e.message);
}

#[test]
fn wrong_secret_is_one_line_without_secret_or_signed_url() {
    let s = server(Server::Bbb27, 50, false);
    let dir = tempfile::tempdir().unwrap();
    let (ctx, log) = bbb_testserver::ctx("old-bbb", dir.path(), false);
    let cfg = json!({ "url": s.url(), "secret": "not-the-secret-xyz", "backoff_ms": 10 }).to_string();
    let src = Flavour::Bbb.source(&cfg, ctx).unwrap();
    let e = drain(&src).unwrap_err();
    assert_eq!(e.kind, ErrorKind::CONNECT);
    let m = e.message.as_str();
    assert!(m.contains("FAILED checksumError: Checksums do not match (wrong secret"), "{m}");
    assert!(m.contains(&s.url()), "{m}");
    for text in [m.to_string(), log.lines().join("\n")] {
        assert!(!text.contains("not-the-secret-xyz"), "{text}");
        assert!(!text.contains("checksum=") || text.contains("checksum=***"), "{text}");
    }
    assert!(!m.contains('\n'));
    // `check` says the same.
    let e = src.check().unwrap_err();
    assert!(e.message.contains("checksumError") && !e.message.contains("not-the-secret-xyz"), "{}", e.message);
    // A wrong secret is not retried: one call per shard at most (shards abort on the first error).
    assert!(get_recordings_calls(&s).len() <= 17 + 1);
}

#[test]
fn html_errors_cuts_and_internal_errors_are_retried_stalls_split_the_shard() {
    let s = server(Server::Bbb22, 900, true);
    s.fault(Some("3"), Fault::Html(404), 2);
    s.fault(Some("7"), Fault::Html(502), 1);
    s.fault(Some("a"), Fault::Html(504), 3);
    s.fault(Some("c"), Fault::Truncate, 1);
    s.fault(Some("e"), Fault::Failed("unexpectedError"), 1);
    s.fault(Some("5"), Fault::Stall(Duration::from_secs(8)), 1);
    let dir = tempfile::tempdir().unwrap();
    let (src, _) = source(Flavour::Bbb, &s, json!({ "timeout_s": 3, "concurrency": 8 }), dir.path(), false);
    let (recs, bad) = drain(&src).unwrap();
    assert_eq!(ids(&recs), s.expected_ids().into_iter().filter(|i| !i.contains('/')).collect::<Vec<_>>());
    assert_hostile_rejected(&bad);
    let st = src.stats();
    let get = bbb_migrate_bbb::api::Stats::get;
    assert_eq!(get(&st.timeouts), 1);
    assert_eq!(get(&st.splits), 1);
    assert_eq!(get(&st.retries), 2 + 1 + 3 + 1 + 1);
    let calls = get_recordings_calls(&s);
    assert!(calls.iter().any(|c| c.contains("recordID=5a&")), "{calls:?}");
    assert_eq!(calls.iter().filter(|c| c.contains("recordID=3&")).count(), 3);
}

#[test]
fn quadratic_list_all_dies_but_shards_pass() {
    // 2 000 recordings, 1 µs per comparison: list-all = 4 s > the 1 s proxy
    // timeout (HTML 404 like BBB 2.2); one prefix = 2 ms.
    let mut o = Options::new(Server::Bbb22, SECRET);
    o.cost_ns = 1000;
    o.proxy_timeout = Some(Duration::from_secs(1));
    let s = TestServer::start(o, dataset(2000));
    let (recs, _, _) = list(Flavour::Bbb, &s, json!({}));
    assert_eq!(ids(&recs), s.expected_ids());
    assert!(get_recordings_calls(&s).iter().all(|c| c.contains("recordID=")));
    // The reference's single unfiltered call gets the nginx page.
    let url = format!(
        "{}api/getRecordings?checksum={}",
        s.url(),
        bbb_migrate_bbb::api::Checksum::Sha1.hex(&format!("getRecordings{SECRET}"))
    );
    let body = plugin_api::sdk::runtime::block_on(async move { reqwest::get(url).await.unwrap().status().as_u16() });
    assert_eq!(body, 404);
}

#[test]
fn shards_too_large_are_split_into_children() {
    let s = server(Server::Bbb22, 1500, false);
    let dir = tempfile::tempdir().unwrap();
    let (src, _) = source(Flavour::Bbb, &s, json!({ "shard_max": 60 }), dir.path(), false);
    let (recs, _) = drain(&src).unwrap();
    assert_eq!(ids(&recs), s.expected_ids());
    assert_eq!(bbb_migrate_bbb::api::Stats::get(&src.stats().splits), 16);
    // 17 top shards; each of the 16 hex ones split into 16 hex children and one rest child.
    assert_eq!(get_recordings_calls(&s).len(), 17 + 16 * 17);
}

#[test]
fn failed_answers_are_errors_with_their_message_key_and_no_recordings_is_empty() {
    let s = server(Server::Scalelite, 30, false);
    s.fault(None, Fault::Failed("missingParameters"), 1);
    let dir = tempfile::tempdir().unwrap();
    let (src, _) = source(Flavour::Scalelite, &s, json!({ "concurrency": 1, "cache": "c.xml" }), dir.path(), false);
    let e = drain(&src).unwrap_err();
    assert!(e.message.contains("FAILED missingParameters"), "{}", e.message);
    // An incomplete listing leaves no cache and no partial file behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    let empty = TestServer::start(Options::new(Server::Bbb26, SECRET), vec![]);
    let (recs, bad, _) = list(Flavour::Bbb, &empty, json!({}));
    assert!(recs.is_empty() && bad.is_empty());
    assert_eq!(get_recordings_calls(&empty).len(), 17);
}

#[test]
fn listing_reads_no_video_page_and_rewrites_presentation_urls() {
    for (kind, flavour) in [(Server::Bbb22, Flavour::Bbb), (Server::Scalelite, Flavour::Scalelite)] {
        let s = server(kind, 60, false);
        let (recs, _, _) = list(flavour, &s, json!({ "playback_url_23": true }));
        let with_video = recs.iter().filter(|r| r.playback("video").is_some()).count();
        assert_eq!(with_video, 20);
        // Video files are found after selection, by the sinks that need them:
        // listing costs no request per recording.
        assert_eq!(s.playback_calls(), 0, "{kind:?}");
        assert!(recs.iter().flat_map(|r| r.playback.iter()).all(|p| p.download_url().is_none()));
        for r in recs.iter().filter(|r| r.playback("video").is_some()) {
            let page = r.playback("video").unwrap().url.to_string();
            assert!(page.ends_with(&format!("/playback/video/{}/", r.record_id)), "{page}");
        }
        if kind == Server::Bbb22 {
            for r in &recs {
                assert_eq!(
                    r.playback("presentation").unwrap().url.as_str(),
                    format!("http://127.0.0.1:{}/playback/presentation/2.3/{}", s.port, r.record_id)
                );
            }
        }
    }
}

#[test]
fn cache_is_written_once_complete_and_reused_without_the_server() {
    let s = server(Server::Bbb27, 300, false);
    let dir = tempfile::tempdir().unwrap();
    // A dry run writes nothing.
    let (src, _) = source(Flavour::Bbb, &s, json!({ "cache": "cache.xml" }), dir.path(), true);
    drain(&src).unwrap();
    assert!(!dir.path().join("cache.xml").exists());
    // The partial file of a killed run is cleaned up.
    std::fs::write(dir.path().join(".cache.xml.partial-1"), "<response><recordings>").unwrap();
    let (src, _) = source(Flavour::Bbb, &s, json!({ "cache": "cache.xml" }), dir.path(), false);
    let (first, _) = drain(&src).unwrap();
    assert!(dir.path().join("cache.xml").is_file());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    s.reset_counters();
    let (src, log) =
        source(Flavour::Bbb, &s, json!({ "cache": "cache.xml", "playback_url_23": true }), dir.path(), false);
    let (again, _) = drain(&src).unwrap();
    assert_eq!(s.api_calls(), 0);
    assert_eq!(s.playback_calls(), 0);
    assert_eq!(again, first);
    assert!(log.lines().iter().any(|l| l.contains("reading the cache")));
    // The parser of the `bbb-cache` source reads the same file (the two
    // plugins cannot be linked into one test binary: both export a root module).
    let f = std::io::BufReader::new(std::fs::File::open(dir.path().join("cache.xml")).unwrap());
    let (via_cache, bad, env) = bbb_xml::parse_all(f).unwrap();
    assert!(env.is_success() && bad.is_empty());
    assert_eq!(via_cache.len(), first.len());
    assert_eq!(ids(&via_cache), ids(&first));
}

#[test]
fn check_reports_the_server_kind_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(Server::Bbb27, 3, false);
    let (src, _) = source(Flavour::Bbb, &s, json!({}), dir.path(), false);
    let lines = src.check().unwrap();
    assert_eq!(lines[0], format!("{}: BigBlueButton 2.7.12 (API 2.0)", s.url()));
    assert_eq!(lines[1], "signed getRecordings call accepted (sha256 checksum)");
    let s = server(Server::Scalelite, 3, false);
    let (src, _) = source(Flavour::Scalelite, &s, json!({}), dir.path(), false);
    assert_eq!(src.check().unwrap()[0], format!("{}: Scalelite (build v1.6.2, API 2.0)", s.url()));
    let s = server(Server::Bbb22, 3, false);
    let (src, _) = source(Flavour::Bbb, &s, json!({ "checksum": "sha1" }), dir.path(), false);
    assert_eq!(src.check().unwrap()[0], format!("{}: BigBlueButton version not revealed (API 2.0)", s.url()));
}

#[test]
fn config_errors_name_the_key() {
    let s = server(Server::Bbb22, 1, false);
    let (ctx, _) = bbb_testserver::ctx("x", std::path::Path::new("/tmp"), false);
    let e = Flavour::Bbb.source(&config(&s, json!({ "concurency": 3 })), ctx.clone()).err().unwrap();
    assert_eq!(e.field(), Some("concurency"));
    let e = Flavour::Bbb
        .source(&json!({ "url": "bbb.example.org", "secret": "s" }).to_string(), ctx.clone())
        .err()
        .unwrap();
    assert_eq!(e.field(), Some("url"));
    let e = Flavour::Bbb.source(&config(&s, json!({ "checksum": "md5" })), ctx.clone()).err().unwrap();
    assert_eq!(e.field(), Some("checksum"));
    let e = Flavour::Scalelite.source(&config(&s, json!({ "page_size": 100 })), ctx.clone()).err().unwrap();
    assert_eq!(e.field(), Some("page_size"));
    let e = Flavour::Bbb.source(&json!({ "url": s.url(), "secret": "" }).to_string(), ctx).err().unwrap();
    assert_eq!(e.field(), Some("secret"));
}

#[test]
fn encoded_parameters_pass_the_servers_checksum_check() {
    // Spaces, accents and Moodle's `[ ]` in a meetingID, signed and verified on the raw query.
    let s = server(Server::Bbb26, 8, false);
    let options = bbb_migrate_bbb::api::ApiOptions {
        timeout: Duration::from_secs(5),
        retries: 0,
        backoff: Duration::from_millis(1),
        shard_max: 100,
        concurrency: 2,
        ca_file: None,
    };
    let api =
        bbb_migrate_bbb::api::Api::new(s.url(), plugin_api::sdk::Secret::new(SECRET), Default::default(), options)
            .unwrap();
    let page = plugin_api::sdk::runtime::block_on(async move {
        api.get_recordings(&[("meetingID", "room é 1"), ("state", "published,unpublished,available")]).await
    });
    let page = page.expect("accepted");
    assert!(page.envelope.is_success());
    assert_eq!(page.items.len(), 1);
}

#[test]
fn protected_scalelite_recordings_are_listed_with_why_they_cannot_be_fetched() {
    let mut recs = dataset(24);
    for r in recs.iter_mut().step_by(2) {
        r.protected = true;
    }
    let s = TestServer::start(Options::new(Server::Scalelite, SECRET), recs.clone());
    let (listed, bad, _) = list(Flavour::Scalelite, &s, json!({}));
    assert_eq!(ids(&listed), s.expected_ids());
    assert!(bad.is_empty(), "{bad:?}");
    let protected: Vec<&Recording> = listed.iter().filter(|r| r.extra_json.contains("\"protected\":true")).collect();
    assert_eq!(
        protected.len(),
        recs.iter().filter(|r| r.protected && r.state != "deleted" && r.state != "processing").count()
    );
    for r in &protected {
        assert!(r.playback.iter().all(|p| p.url.contains("/recording/") && p.url.contains("?token=")), "{r:?}");
    }
    // Listing reads no video page (claim-dir reports protected ones as not
    // deliverable, through video-page::not_deliverable): no token was used up.
    assert_eq!(s.playback_calls(), 0);
    assert!(s.log().iter().all(|l| !l.starts_with("/recording/")), "{:?}", s.log());
}
