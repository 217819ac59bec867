//! Journal backends: a first-release SQLite journal is upgraded in place, a
//! newer one is refused, another pipeline's journal is refused unless
//! forced; the PostgreSQL journal means the same; an unreachable one stops
//! the run before anything is written.
mod common;
use bbb_migrate_db::testing::TempDb;
use bbb_migrate_db::Engine;
use common::*;
use std::path::Path;

/// The journal schema of the first release (bbb-migrate 0.1, no version
/// number), kept here verbatim to prove that such a journal is upgraded.
const RELEASE_1_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    config TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running'
);
CREATE TABLE IF NOT EXISTS deliveries (
    record_id TEXT NOT NULL,
    sink TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'skipped', 'failed')),
    detail TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '',
    owners TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 1,
    run_id INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (record_id, sink)
);
CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries (sink, status);
";

const N: usize = 8;

fn pipeline(dir: &Path, journal: &str, sink_name: &str) -> String {
    fixture_pipeline(
        dir,
        N,
        &format!("journal = \"{journal}\"\nbatch_size = 3"),
        &format!("[[sinks]]\nname = \"{sink_name}\"\ntype = \"csv\"\npath = \"out/recordings.csv\"\n"),
    )
}

fn record_ids() -> Vec<String> {
    // Newest first: the order `select` gives.
    let xml = recordings_xml(N);
    let mut ids: Vec<String> =
        xml.split("<recordID>").skip(1).map(|s| s.split('<').next().unwrap().to_string()).collect();
    ids.reverse();
    ids
}

#[test]
fn a_first_release_sqlite_journal_is_upgraded_in_place_and_keeps_its_meaning() {
    let t = tempfile::tempdir().unwrap();
    let cfg = pipeline(t.path(), "journal.db", "csv");
    let db = t.path().join("journal.db");
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(RELEASE_1_SCHEMA).unwrap();
        c.execute("INSERT INTO runs (started_at, finished_at, config, status) VALUES ('2026-11-01T00:00:00.000Z', '2026-11-01T00:01:00.000Z', 'p.toml', 'ok')", []).unwrap();
        for id in record_ids().iter().take(3) {
            c.execute("INSERT INTO deliveries (record_id, sink, status, run_id, updated_at) VALUES (?1, 'csv', 'done', 1, '2026-11-01T00:00:30.000Z')", [id]).unwrap();
        }
    }
    let o = run(&["run", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("already done 3"), "{}", text(&o));
    assert_eq!(csv_ids(&t.path().join("out/recordings.csv")).len(), N - 3);
    let c = rusqlite::Connection::open(&db).unwrap();
    let v: i64 = c.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(v, 3);
    let old: i64 = c.query_row("SELECT count(*) FROM deliveries WHERE run_id = 1", [], |r| r.get(0)).unwrap();
    assert_eq!(old, 3, "the first release's outcomes are kept");
    let all: i64 = c.query_row("SELECT count(*) FROM deliveries WHERE status = 'done'", [], |r| r.get(0)).unwrap();
    assert_eq!(all as usize, N);
    let o = run(&["status", "--config", &cfg]);
    assert!(text(&o).contains(&format!("sink csv: done {N}")), "{}", text(&o));
}

#[test]
fn a_journal_newer_than_the_binary_is_refused_in_one_line_and_nothing_is_written() {
    let t = tempfile::tempdir().unwrap();
    let cfg = pipeline(t.path(), "journal.db", "csv");
    let db = t.path().join("journal.db");
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(RELEASE_1_SCHEMA).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let o = run(&["run", "--config", &cfg]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("schema version 99 is newer than this bbb-migrate's (3)"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert!(!t.path().join("out").exists());
}

#[test]
fn a_journal_of_another_pipeline_is_refused_unless_forced() {
    let t = tempfile::tempdir().unwrap();
    let cfg = pipeline(t.path(), "journal.db", "csv");
    let o = run(&["run", "--config", &cfg, "--to", "2"]);
    assert!(o.status.success(), "{}", text(&o));
    let cfg = pipeline(t.path(), "journal.db", "export");
    let o = run(&["run", "--config", &cfg]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("belongs to another pipeline (sources: bbb-cache(bbb-cache); sinks: csv(csv))"),
        "{}",
        text(&o)
    );
    assert_eq!(csv_ids(&t.path().join("out/recordings.csv")).len(), 2, "nothing was written");
    let o = run(&["run", "--config", &cfg, "--force"]);
    assert!(o.status.success(), "{}", text(&o));
    // Now it is this pipeline's journal.
    let o = run(&["run", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn a_postgresql_journal_means_the_same() {
    let db = TempDb::new(Engine::Postgres, "journal");
    let t = tempfile::tempdir().unwrap();
    let cfg = pipeline(t.path(), &db.url_string(), "csv");
    let o = run(&["run", "--config", &cfg, "--to", "3"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(csv_ids(&t.path().join("out/recordings.csv")).len(), 3);
    // The report of a fleet run counts who its resolutions found, as a local run's does.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&cfg).with_file_name("p.report.json")).unwrap())
            .unwrap();
    let by_resolver: u64 =
        report["audience"]["by_resolver"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(by_resolver, 3, "{report}");
    let o = run(&["run", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(csv_ids(&t.path().join("out/recordings.csv")).len(), N);
    let o = run(&["run", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("done 0"), "{}", text(&o));
    assert_eq!(csv_ids(&t.path().join("out/recordings.csv")).len(), N);
    let o = run(&["status", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));
    let s = text(&o);
    assert!(s.contains(&format!("sink csv: done {N}")) && s.contains(&format!("queue csv: done {N}")), "{s}");
    assert!(s.contains("stopped"), "{s}");
    let rows = db.db.query("SELECT value FROM meta WHERE key = 'schema_version'", vec![]).unwrap();
    assert_eq!(rows[0].text("value"), "3");
}

#[test]
fn an_unreachable_journal_database_stops_the_run_in_one_line_before_anything_is_written() {
    let t = tempfile::tempdir().unwrap();
    let cfg = pipeline(t.path(), "postgres://migrate:s3cret@127.0.0.1:1/journal", "csv");
    let o = run(&["run", "--config", &cfg]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("cannot connect to database journal on 127.0.0.1:1"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
    assert!(!t.path().join("out").exists(), "the CSV sink wrote something");
    let o = run(&["worker", "--config", &cfg]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// `undo` on both backends: the delivery becomes `undone` (history kept),
/// its CSV row leaves the file, and the next run delivers it again.
fn undo_then_run_again(journal: &str, t: &Path) {
    let cfg = pipeline(t, journal, "csv");
    let o = run(&["run", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));
    let csv = t.join("out/recordings.csv");
    assert_eq!(csv_ids(&csv).len(), N);
    let id = record_ids()[2].clone();
    let o = run(&["undo", "--config", &cfg, "--record", &id, "--dry-run"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(csv_ids(&csv).len(), N);
    let o = run(&["undo", "--config", &cfg, "--record", &id]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(&format!("UNDONE {id} [csv]: row removed from the CSV")), "{}", text(&o));
    assert!(!csv_ids(&csv).contains(&id));
    assert_eq!(csv_ids(&csv).len(), N - 1);
    let s = text(&run(&["status", "--config", &cfg]));
    assert!(s.contains("sink csv: undone 1") && s.contains(&format!("sink csv: done {}", N - 1)), "{s}");
    let o = run(&["run", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("done 1"), "{}", text(&o));
    assert_eq!(csv_ids(&csv).len(), N);
    let s = text(&run(&["status", "--config", &cfg]));
    assert!(s.contains(&format!("sink csv: done {N}")) && !s.contains("undone"), "{s}");
}

#[test]
fn undo_on_a_sqlite_journal() {
    let t = tempfile::tempdir().unwrap();
    undo_then_run_again("state.db", t.path());
}

#[test]
fn undo_on_a_postgresql_journal() {
    let db = TempDb::new(Engine::Postgres, "journal_undo");
    let t = tempfile::tempdir().unwrap();
    undo_then_run_again(&db.url_string(), t.path());
}
