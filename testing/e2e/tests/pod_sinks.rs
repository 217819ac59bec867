//! `pod-external` through the real host binary: a run SIGKILLed in the
//! middle, resumed, delivers every recording exactly once (one row per
//! recording and owner, whatever was in flight at the kill); a complete
//! re-run changes nothing. PostgreSQL (the shared Pod schema).

use bbb_migrate_db::testing::{count, dump, pod_db, rows};
use bbb_migrate_db::Engine;
use bbb_migrate_e2e::*;
use bbb_testserver::files::FileServer;
use bbb_testserver::published::media_bytes;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

const N: usize = 400;

fn recordings_xml(n: usize) -> String {
    let mut s = String::from("<response><returncode>SUCCESS</returncode><recordings>");
    for i in 0..n {
        let id = format!("{:040x}-{}", i, 1_700_000_000_000u64 + i as u64);
        s.push_str(&format!(
            "<recording><recordID>{id}</recordID><meetingID>m-{i}</meetingID><internalMeetingID>{id}</internalMeetingID>\
             <name>Cours {i}</name><published>true</published><state>published</state>\
             <startTime>{}</startTime><endTime>{}</endTime><metadata></metadata>\
             <playback><format><type>presentation</type><url>https://bbb.example/playback/presentation/2.3/{id}</url><length>1</length></format></playback>\
             </recording>",
            1_700_000_000_000u64 + i as u64,
            1_700_000_060_000u64 + i as u64
        ));
    }
    s.push_str("</recordings></response>");
    s
}

#[test]
fn a_killed_run_resumes_without_duplicating_rows() {
    let t = pod_db(Engine::Postgres, "pod_external_host");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.xml"), recordings_xml(N)).unwrap();
    let cfg = dir.path().join("p.toml");
    std::fs::write(
        &cfg,
        format!(
            "journal = \"state/journal.db\"\nbatch_size = 7\n[fallback]\nowner = \"admin\"\n\
             [[sources]]\ntype = \"bbb-cache\"\npath = \"r.xml\"\n\
             [[sinks]]\nname = \"pod\"\ntype = \"pod-external\"\ndatabase = \"{}\"\nsite_id = 1\nsecret_key = \"k\"\n",
            t.url_string()
        ),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let run = |extra: &[&str]| -> Output { bbb_migrate().args(["run", "--config", cfg]).args(extra).output().unwrap() };

    // Two runs killed (SIGKILL) while rows are being written.
    let mut killed_at = Vec::new();
    for target in [40, 160] {
        let mut child = bbb_migrate()
            .args(["run", "--config", cfg])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("stderr.txt")).unwrap())
            .spawn()
            .unwrap();
        let t0 = Instant::now();
        loop {
            let n = count(&t, "import_video_externalrecording") as usize;
            if n >= target {
                break;
            }
            if child.try_wait().unwrap().is_some() {
                let err = std::fs::read_to_string(dir.path().join("stderr.txt")).unwrap_or_default();
                panic!("the run ended before {target} rows ({n}): {err}");
            }
            assert!(t0.elapsed() < Duration::from_secs(120), "no progress");
            std::thread::sleep(Duration::from_millis(2));
        }
        eprintln!("kill after {:?}", t0.elapsed());
        child.kill().unwrap();
        child.wait().unwrap();
        let n = count(&t, "import_video_externalrecording") as usize;
        assert!(n < N, "killed too late ({n} rows)");
        killed_at.push(n);
    }

    let t1 = Instant::now();
    let o = run(&[]);
    eprintln!("final run {:?}", t1.elapsed());
    assert!(o.status.success(), "{}", text(&o));
    // Exactly one row per recording (all went to the fallback admin).
    assert_eq!(count(&t, "import_video_externalrecording") as usize, N, "{killed_at:?}");
    let dupes = rows(&t, "SELECT source_url, owner_id, COUNT(*) FROM import_video_externalrecording GROUP BY source_url, owner_id HAVING COUNT(*) > 1", vec![]);
    assert_eq!(dupes, Vec::<Vec<String>>::new());
    assert_eq!(
        rows(&t, "SELECT DISTINCT owner_id FROM import_video_externalrecording", vec![]),
        vec![vec!["1".to_string()]]
    );

    // A complete re-run: everything is journaled as finished, nothing changes.
    let before = dump(&t);
    let o = run(&[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(&format!("already done {N}")), "{}", text(&o));
    assert_eq!(dump(&t), before);

    // A dry run on a finished journal writes nothing either.
    let o = run(&["--dry-run"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(dump(&t), before);
}

/// `claim-dir` through the host (FFI, the plugin's runtime on host threads):
/// recordings listed by bbb-cache (no download_url: the video pages are read),
/// a dry run that writes nothing, a run, and a re-run that has nothing to do.
#[test]
fn claim_dir_through_the_host() {
    let t = pod_db(Engine::MySql, "claim_host");
    let media = FileServer::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("bbb-migration")).unwrap();
    let xml = video_listing(&media, 5, 5000);
    std::fs::write(dir.path().join("r.xml"), xml).unwrap();
    let cfg = dir.path().join("p.toml");
    std::fs::write(
        &cfg,
        format!(
            "journal = \"journal.db\"\nbatch_size = 2\n[fallback]\nowner = \"admin\"\n\
             [[sources]]\ntype = \"bbb-cache\"\npath = \"r.xml\"\n\
             [[sinks]]\nname = \"claim\"\ntype = \"claim-dir\"\ndatabase = \"{}\"\nrecorder_id = 1\nrecorder_path = \".\"\nconcurrency = 2\nmin_free_bytes = 0\n",
            t.url_string()
        ),
    )
    .unwrap();
    let run = |extra: &[&str]| -> Output {
        bbb_migrate().args(["run", "--config", cfg.to_str().unwrap()]).args(extra).output().unwrap()
    };
    let before = dump(&t);
    let o = run(&["--dry-run"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(text(&o).matches("[claim]: would download").count(), 5, "{}", text(&o));
    assert_eq!(dump(&t), before);
    assert_eq!(std::fs::read_dir(dir.path().join("bbb-migration")).unwrap().count(), 0);

    let o = run(&[]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(count(&t, "recorder_recordingfiletreatment"), 5);
    let files = rows(&t, "SELECT file, file_size FROM recorder_recordingfiletreatment ORDER BY file", vec![]);
    for (i, f) in files.iter().enumerate() {
        // recorder_path = "." is resolved against the pipeline's folder, without a `/./` in the path.
        assert!(f[0].starts_with(&format!("{}/bbb-migration/R_union_{i}_2023-11-14_", dir.path().display())), "{f:?}");
        assert!(f[0].ends_with(".webm"), "{f:?}");
        assert_eq!(std::fs::read(&f[0]).unwrap(), media_bytes(5000 + i, i as u8));
        assert_eq!(f[1], (5000 + i).to_string());
    }
    let o = run(&[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("already done 5"), "{}", text(&o));
}

/// Two copies of one `claim-dir` pipeline started together, ten times, on
/// PostgreSQL and the local media server: copies sharing a journal (one is
/// refused), and copies with a journal each writing into the same claim
/// folder (the per-file lock). Whatever the interleaving: every file on disk
/// has the size of its row and of the source, one row per file, nothing
/// half-written left behind.
#[test]
fn two_copies_started_together_never_register_a_wrong_size_nor_twice() {
    const FILES: usize = 6;
    const SIZE: usize = 270_336;
    let t = pod_db(Engine::Postgres, "claim_two_copies");
    let media = FileServer::start();
    media.set_delay(40);
    let mut xml = String::from("<response><returncode>SUCCESS</returncode><recordings>");
    for i in 0..FILES {
        let id = format!("{:040x}-{}", i + 0xabc, 1_700_000_000_000u64 + i as u64);
        media.put(&format!("/v/{id}/video-0.m4v"), &media_bytes(SIZE + i, i as u8));
        xml.push_str(&format!(
            "<recording><recordID>{id}</recordID><meetingID>m-{i}</meetingID><internalMeetingID>{id}</internalMeetingID>\
             <name>Séance {i}</name><published>true</published><state>published</state>\
             <startTime>{}</startTime><endTime>{}</endTime><metadata></metadata>\
             <playback><format><type>video</type><url>{}/v/{id}/</url><length>1</length></format></playback></recording>",
            1_700_000_000_000u64 + i as u64,
            1_700_000_060_000u64 + i as u64,
            media.base
        ));
        media.put(&format!("/v/{id}/"), b"<video><source src=\"video-0.m4v\"></video>");
    }
    xml.push_str("</recordings></response>");
    let mut refused = 0;
    for round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let claim = dir.path().join("claim");
        std::fs::create_dir_all(claim.join("bbb-migration")).unwrap();
        std::fs::write(dir.path().join("r.xml"), &xml).unwrap();
        let shared_journal = round % 2 == 0;
        let pipeline = |name: &str, journal: &str| {
            let sub = dir.path().join(name);
            std::fs::create_dir_all(&sub).unwrap();
            let cfg = sub.join("pipeline.toml");
            std::fs::write(
                &cfg,
                format!(
                    "journal = \"{journal}\"\nbatch_size = 2\n[fallback]\nowner = \"admin\"\n\
                     [[sources]]\ntype = \"bbb-cache\"\npath = \"{}\"\n\
                     [[sinks]]\nname = \"claim\"\ntype = \"claim-dir\"\ndatabase = \"{}\"\nrecorder_id = 1\n\
                     recorder_path = \"{}\"\nconcurrency = 3\nmin_free_bytes = 0\n",
                    dir.path().join("r.xml").display(),
                    t.url_string(),
                    claim.display()
                ),
            )
            .unwrap();
            cfg
        };
        let shared = dir.path().join("state/journal.db");
        let (a, b) = if shared_journal {
            (pipeline("a", &shared.display().to_string()), pipeline("b", &shared.display().to_string()))
        } else {
            (pipeline("a", "journal.db"), pipeline("b", "journal.db"))
        };
        let start = |cfg: &Path| {
            bbb_migrate()
                .args(["run", "--config", cfg.to_str().unwrap()])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (ca, cb) = (start(&a), start(&b));
        let (oa, ob) = (ca.wait_with_output().unwrap(), cb.wait_with_output().unwrap());
        for o in [&oa, &ob] {
            let out = text(o);
            if out.contains("another bbb-migrate run is using this journal") {
                assert!(shared_journal, "{out}");
                assert_eq!(String::from_utf8_lossy(&o.stderr).trim().lines().count(), 1, "{out}");
                refused += 1;
            } else {
                // Done, or failed only because the other copy held a file too long.
                assert!(
                    o.status.code() == Some(0) || out.contains("another bbb-migrate run is writing this file"),
                    "{out}"
                );
            }
        }
        // Whatever a copy left undone, a run of each finishes.
        for cfg in [&a, &b] {
            let o = bbb_migrate().args(["run", "--config", cfg.to_str().unwrap()]).output().unwrap();
            assert!(o.status.success(), "round {round}: {}", text(&o));
        }
        let prefix = format!("{}/", claim.join("bbb-migration").display());
        let rows = rows(
            &t,
            "SELECT file, file_size::text FROM recorder_recordingfiletreatment WHERE file LIKE ? ORDER BY file",
            vec![bbb_migrate_db::Param::Str(format!("{prefix}%"))],
        );
        assert_eq!(rows.len(), FILES, "round {round}: {rows:?}");
        let on_disk: Vec<String> = std::fs::read_dir(claim.join("bbb-migration"))
            .unwrap()
            .map(|e| e.unwrap().path().display().to_string())
            .collect();
        assert_eq!(on_disk.len(), FILES, "round {round}: leftovers {on_disk:?}");
        for r in &rows {
            let len = std::fs::metadata(&r[0]).unwrap().len();
            assert_eq!(len.to_string(), r[1], "round {round}: {} is {len} bytes, its row says {}", r[0], r[1]);
            assert!(len as usize >= SIZE && len as usize <= SIZE + FILES, "round {round}: {r:?}");
            let i = len as usize - SIZE;
            assert_eq!(std::fs::read(&r[0]).unwrap(), media_bytes(SIZE + i, i as u8), "round {round}: {}", r[0]);
        }
    }
    // The shared-journal rounds really ran two copies at once.
    assert!(refused >= 1, "no shared-journal round overlapped");
    let dupes = rows(&t, "SELECT file FROM recorder_recordingfiletreatment GROUP BY file HAVING COUNT(*) > 1", vec![]);
    assert!(dupes.is_empty(), "{dupes:?}");
}
