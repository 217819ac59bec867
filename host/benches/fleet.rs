//! Fleet and engine benchmark (not a test): `cargo bench -p bbb-migrate --bench fleet --profile dev`.
//! Needs the test PostgreSQL server (`BBB_TEST_PG_URL`). Prints markdown tables:
//! 1. throughput against 1, 2, 4 worker processes on one PostgreSQL journal,
//!    with a latency-bound sink (the fixture `probe` sleeping per batch: what
//!    a sink waiting on downloads looks like to the engine);
//! 2. the journal's cost per item: SQLite one process vs the PostgreSQL
//!    queue (claim, lease, complete) with an instant sink;
//! 3. the batch-join engine against the pipelined one on csv + a slow sink:
//!    when the CSV is complete (from the journal) and the whole run.
#[path = "../tests/common/mod.rs"]
mod common;
use bbb_migrate_db::testing::TempDb;
use bbb_migrate_db::Engine;
use common::*;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Instant;

fn pipeline(dir: &Path, journal: &str, n: usize, batch: usize, sinks: &str) -> String {
    fixture_pipeline(dir, n, &format!("journal = \"{journal}\"\nbatch_size = {batch}"), sinks)
}

fn spawn(args: &[&str]) -> Child {
    bin().args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap()
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

fn workers_table() {
    const N: usize = 240;
    println!("| worker processes | recordings | wall (s) | recordings/s | speed-up |");
    println!("| ---: | ---: | ---: | ---: | ---: |");
    let mut base = 0.0;
    for w in [1usize, 2, 4] {
        let db = TempDb::new(Engine::Postgres, "bench_workers");
        let t = tempfile::tempdir().unwrap();
        let sinks = "[[sinks]]\ntype = \"probe\"\nlog = \"probe.log\"\ndelay_ms = 250\nshared = true\n";
        let cfg = pipeline(t.path(), &db.url_string(), N, 4, sinks);
        // Enqueue first (a run over nothing to deliver), then time the workers.
        let o = run(&["run", "--config", &cfg, "--to", "1"]);
        assert!(o.status.success(), "{}", text(&o));
        let o = db.db.query("SELECT count(*) AS n FROM work_items", vec![]).unwrap();
        assert_eq!(o[0].int("n"), Some(1));
        let t0 = Instant::now();
        let mut kids: Vec<Child> = (0..w).map(|_| spawn(&["run", "--config", &cfg])).collect();
        for k in &mut kids {
            assert!(k.wait().unwrap().success());
        }
        let s = secs(t0);
        let lines = std::fs::read_to_string(t.path().join("probe.log")).unwrap().lines().count();
        assert_eq!(lines, N);
        if w == 1 {
            base = s;
        }
        println!("| {w} | {N} | {s:.2} | {:.1} | {:.2}× |", N as f64 / s, base / s);
    }
}

fn overhead_table() {
    const N: usize = 2000;
    let sinks = "[[sinks]]\ntype = \"probe\"\nlog = \"probe.log\"\nshared = true\n";
    println!("| journal | recordings | batch | wall (s) | ms per item |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for batch in [1usize, 50] {
        let t = tempfile::tempdir().unwrap();
        let cfg = pipeline(t.path(), "journal.db", N, batch, sinks);
        let t0 = Instant::now();
        assert!(run(&["run", "--config", &cfg]).status.success());
        let s = secs(t0);
        println!("| SQLite, one process | {N} | {batch} | {s:.2} | {:.3} |", s * 1000.0 / N as f64);
        let db = TempDb::new(Engine::Postgres, "bench_overhead");
        let t = tempfile::tempdir().unwrap();
        let cfg = pipeline(t.path(), &db.url_string(), N, batch, sinks);
        let t0 = Instant::now();
        assert!(run(&["run", "--config", &cfg]).status.success());
        let s = secs(t0);
        println!(
            "| PostgreSQL queue (claim + lease + complete) | {N} | {batch} | {s:.2} | {:.3} |",
            s * 1000.0 / N as f64
        );
    }
}

fn engines_table() {
    const N: usize = 60;
    let sinks = "[[sinks]]\ntype = \"csv\"\npath = \"out.csv\"\n\
                 [[sinks]]\nname = \"slow\"\ntype = \"probe\"\nlog = \"slow.log\"\ndelay_ms = 200\n";
    println!("| engine | recordings | CSV complete after (s, journal) | whole run (s) |");
    println!("| --- | ---: | ---: | ---: |");
    for (name, extra) in [("batch-join (every sink joined per batch)", Some("--batch-join")), ("pipelined", None)] {
        let t = tempfile::tempdir().unwrap();
        let cfg = pipeline(t.path(), "journal.db", N, 3, sinks);
        let mut args = vec!["run", "--config", cfg.as_str()];
        args.extend(extra);
        let t0 = Instant::now();
        assert!(run(&args).status.success());
        let s = secs(t0);
        let c = rusqlite::Connection::open(t.path().join("journal.db")).unwrap();
        let (start, csv_end): (String, String) = c
            .query_row(
                "SELECT (SELECT started_at FROM runs ORDER BY id DESC LIMIT 1), \
                 (SELECT max(updated_at) FROM deliveries WHERE sink = 'csv')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let ts = |x: &str| chrono::DateTime::parse_from_rfc3339(x).unwrap();
        let csv_s = (ts(&csv_end) - ts(&start)).num_milliseconds() as f64 / 1000.0;
        println!("| {name} | {N} | {csv_s:.2} | {s:.2} |");
    }
}

fn main() {
    let which: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let want = |t: &str| which.is_empty() || which.iter().any(|w| w == t);
    if want("workers") {
        workers_table();
        println!();
    }
    if want("overhead") {
        overhead_table();
        println!();
    }
    if want("engines") {
        engines_table();
    }
}
