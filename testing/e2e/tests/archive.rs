//! Through the real `bbb-migrate` binary: a `bbb-cache` source, the `archive` sink, then
//! `bbb-migrate verify` (exit 0, then exit 1 naming the damaged recording and file).

use bbb_migrate_e2e::*;
use bbb_testserver::files::FileServer;
use bbb_testserver::published::{publish_full, tree};
use std::path::PathBuf;
use tempfile::TempDir;

/// A saved getRecordings answer listing `ids` on `server`: each with its
/// presentation, and its podcast if `podcast`.
fn listing(server: &FileServer, ids: &[String], podcast: bool) -> String {
    let b = &server.base;
    let mut xml = String::from("<response><returncode>SUCCESS</returncode><recordings>");
    for (i, id) in ids.iter().enumerate() {
        let podcast = if podcast {
            format!("<format><type>podcast</type><url>{b}/podcast/{id}/audio.ogg</url><length>1</length></format>")
        } else {
            String::new()
        };
        xml.push_str(&format!(
            "<recording><recordID>{id}</recordID><meetingID>m-{i}</meetingID><internalMeetingID>{id}</internalMeetingID>\
             <name>Cours {i}</name><published>true</published><state>published</state>\
             <startTime>{}</startTime><endTime>{}</endTime><metadata></metadata><playback>\
             <format><type>presentation</type><url>{b}/playback/presentation/2.3/{id}</url><length>1</length></format>\
             {podcast}</playback></recording>",
            1_700_000_000_000u64 + i as u64,
            1_700_000_060_000u64 + i as u64,
        ));
    }
    xml.push_str("</recordings></response>");
    xml
}

/// A folder holding `r.xml` (`xml`) and `p.toml`: a `bbb-cache` source on it and
/// the `archive` sink `vault`, with `global` and `sink` settings added.
fn pipeline(xml: &str, global: &str, sink: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.xml"), xml).unwrap();
    let cfg = dir.path().join("p.toml");
    std::fs::write(
        &cfg,
        format!(
            "journal = \"state.db\"\n{global}[fallback]\nowner = \"admin\"\n\
             [[sources]]\ntype = \"bbb-cache\"\npath = \"r.xml\"\n\
             [[sinks]]\nname = \"vault\"\ntype = \"archive\"\ntarget = \"vault\"\nmin_free_bytes = 0\n{sink}"
        ),
    )
    .unwrap();
    (dir, cfg)
}

#[test]
fn run_then_verify_through_the_host() {
    let server = FileServer::start();
    let ids: Vec<String> = (0..3).map(|i| format!("{:040x}-{}", i + 1, 1_700_000_000_000u64 + i)).collect();
    for id in &ids {
        publish_full(&server, id);
    }
    let (dir, cfg) = pipeline(&listing(&server, &ids, true), "", "");
    let cfg = cfg.to_str().unwrap();
    let cmd = |args: &[&str]| bbb_migrate().args(args).output().unwrap();

    let dry = cmd(&["run", "--config", cfg, "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(!dir.path().join("vault").exists(), "the dry run wrote the archive");

    let run = cmd(&["run", "--config", cfg]);
    assert!(run.status.success(), "{}", text(&run));
    let index = std::fs::read_to_string(dir.path().join("vault/index.csv")).unwrap();
    assert_eq!(index.lines().count(), 4, "{index}");

    let ok = cmd(&["verify", "--config", cfg]);
    assert!(ok.status.success(), "{}", text(&ok));
    for id in &ids {
        assert!(text(&ok).contains(&format!("OK {id}: ")), "{}", text(&ok));
    }

    // Bit rot in one recording: exit 1, that recording and file named, the others OK.
    let victim = dir.path().join("vault").join(&ids[1]).join("podcast/audio.ogg");
    let mut b = std::fs::read(&victim).unwrap();
    b[7] ^= 0x40;
    std::fs::write(&victim, b).unwrap();
    let bad = cmd(&["verify", "--config", cfg]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    let out = text(&bad);
    assert!(
        out.contains(&format!("BAD {}: 1 of", ids[1])) && out.contains("podcast/audio.ogg: SHA-256 differs"),
        "{out}"
    );
    assert!(out.contains(&format!("OK {}: ", ids[0])), "{out}");

    // A config without an archive sink is a usage error.
    std::fs::write(dir.path().join("none.toml"), "[fallback]\nowner = \"a\"\n").unwrap();
    let none = cmd(&["verify", "--config", dir.path().join("none.toml").to_str().unwrap()]);
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
}

#[test]
fn a_killed_run_resumes_and_fetches_nothing_complete_twice() {
    let server = FileServer::start();
    let ids: Vec<String> = (0..6).map(|i| format!("{:040x}-{}", 0xa0 + i, 1_700_000_000_000u64 + i)).collect();
    for id in &ids {
        publish_full(&server, id);
    }
    // 40 Mbit/s: the ~6 MB take over a second, so the kill lands in the middle.
    let (dir, cfg) = pipeline(&listing(&server, &ids, false), "batch_size = 2\n", "max_mbps = 40\n");
    let cfg = cfg.to_str().unwrap();
    let mut child = bbb_migrate()
        .args(["run", "--config", cfg])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed as soon as the first recording's files appear: downloads are under way.
    let started = std::time::Instant::now();
    while tree(&dir.path().join("vault")).iter().all(|f| !f.contains("/presentation/")) {
        assert!(started.elapsed().as_secs() < 60, "nothing archived after 60 s");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let partial = tree(&dir.path().join("vault"));
    let done_before = partial.iter().filter(|f| f.ends_with("manifest.json")).count();
    assert!(done_before < ids.len(), "the kill came too late: {done_before} recordings already archived");
    // Files complete (under their final name) when the run was killed.
    let complete: Vec<String> = partial
        .iter()
        .filter(|f| !f.ends_with(".part") && !f.starts_with('.') && !f.ends_with("manifest.json"))
        .cloned()
        .collect();
    assert!(!complete.is_empty());
    server.clear_seen();
    let run = bbb_migrate().args(["run", "--config", cfg]).output().unwrap();
    assert!(run.status.success(), "{}", text(&run));
    let files = tree(&dir.path().join("vault"));
    assert!(files.iter().all(|f| !f.ends_with(".part")), "{files:?}");
    for id in &ids {
        assert!(files.contains(&format!("{id}/manifest.json")), "{id}: {files:?}");
    }
    let ok = bbb_migrate().args(["verify", "--config", cfg]).output().unwrap();
    assert!(ok.status.success(), "{}", text(&ok));
    // Nothing complete at the kill is fetched again (at most a Range probe answered 416);
    // what was in flight is resumed from what reached the disk.
    let seen = server.seen();
    for f in &complete {
        let (id, rest) = f.split_once('/').unwrap();
        let path = format!("/presentation/{id}/{}", rest.strip_prefix("presentation/").unwrap());
        let whole: Vec<_> = seen.iter().filter(|s| s.method == "GET" && s.path == path && s.range.is_none()).collect();
        assert!(whole.is_empty(), "{path} was complete and fetched again");
    }
}
