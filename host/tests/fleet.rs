//! A fleet of worker processes on one PostgreSQL journal: workers listing at
//! once enqueue each (recording, sink) once; workers killed with SIGKILL at
//! random moments have their items finished by the others once their lease
//! expired; every (recording, sink) is delivered exactly once (journal rows,
//! CSV lines), and the CSV sink, which may have one writer at a time, is
//! never interleaved.
mod common;
use bbb_migrate_db::testing::TempDb;
use bbb_migrate_db::Engine;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const N: usize = 48;

fn pipeline(dir: &Path, journal: &str) -> String {
    fixture_pipeline(
        dir,
        N,
        &format!("journal = \"{journal}\"\nbatch_size = 3\nlease_seconds = 2"),
        "[[resolvers]]\ntype = \"slow\"\ndelay_ms = 5\n\
         [[sinks]]\ntype = \"csv\"\npath = \"out/recordings.csv\"\n\
         [[sinks]]\ntype = \"probe\"\nlog = \"probe.log\"\ndelay_ms = 60\nshared = true\n",
    )
}

fn lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p).unwrap_or_default().lines().map(String::from).collect()
}

fn spawn(args: &[&str]) -> Child {
    bin().args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap()
}

/// Waits until the probe logged `n` deliveries.
fn wait_for(log: &Path, n: usize) {
    let t0 = Instant::now();
    while lines(log).len() < n {
        assert!(t0.elapsed() < Duration::from_secs(120), "never reached {n} deliveries");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn random_below(n: u64) -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64 % n
}

/// Every (recording, sink) journaled done or skipped once, no failure, every
/// item closed; the CSV holds each recording once; the probe got each at
/// least once and at most `extra` re-deliveries in all.
fn assert_exactly_once(db: &TempDb, dir: &Path, extra: usize) {
    for sink in ["csv", "probe"] {
        let rows = db
            .db
            .query(
                "SELECT count(*) AS n, count(DISTINCT record_id) AS d, sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS f
                 FROM deliveries WHERE sink = ?",
                vec![sink.into()],
            )
            .unwrap();
        assert_eq!(rows[0].int("n"), Some(N as i64), "{sink}");
        assert_eq!(rows[0].int("d"), Some(N as i64), "{sink}");
        assert_eq!(rows[0].int("f"), Some(0), "{sink}");
        let rows = db
            .db
            .query(
                "SELECT count(*) AS n FROM work_items WHERE sink = ? AND state IN ('done', 'skipped')",
                vec![sink.into()],
            )
            .unwrap();
        assert_eq!(rows[0].int("n"), Some(N as i64), "{sink}: every item enqueued once and closed");
    }
    let csv = csv_ids(&dir.join("out/recordings.csv"));
    let mut unique = csv.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((csv.len(), unique.len()), (N, N), "{csv:?}");
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for l in lines(&dir.join("probe.log")) {
        *counts.entry(l).or_default() += 1;
    }
    assert_eq!(counts.len(), N);
    let again: usize = counts.values().map(|c| c - 1).sum();
    assert!(again <= extra, "{again} re-deliveries");
}

#[test]
fn three_workers_two_killed_at_random_moments_deliver_every_item_exactly_once() {
    let db = TempDb::new(Engine::Postgres, "fleet3");
    let t = tempfile::tempdir().unwrap();
    let cfg = pipeline(t.path(), &db.url_string());
    let log = t.path().join("probe.log");
    // Three at once: each lists and enqueues, then works.
    let mut workers: Vec<Child> = (0..3).map(|_| spawn(&["run", "--config", &cfg])).collect();
    let first_kill = 3 + random_below(12) as usize;
    let second_kill = first_kill + 3 + random_below(12) as usize;
    for at in [first_kill, second_kill] {
        wait_for(&log, at);
        kill_a_holder(&db, &mut workers);
    }
    let status = workers[0].wait().unwrap();
    assert!(status.success(), "the surviving worker failed");
    // Each kill re-delivers at most the batch it had in flight.
    assert_exactly_once(&db, t.path(), 2 * 3);
    let o = run(&["status", "--config", &cfg]);
    let s = text(&o);
    assert!(s.contains("queue csv: done") && s.contains("stopped"), "{s}");
    // The items the killed workers held were claimed again after their lease.
    let again = db.db.query("SELECT count(*) AS n FROM work_items WHERE claims >= 2", vec![]).unwrap();
    assert!(again[0].int("n").unwrap() > 0);
}

/// SIGKILLs one of `workers` while it holds a claimed item, and removes it
/// from the list. The worker is frozen (SIGSTOP) while the journal is asked,
/// so the kill cannot land between two of its batches, however loaded the
/// machine is.
fn kill_a_holder(db: &TempDb, workers: &mut Vec<Child>) {
    let t0 = Instant::now();
    loop {
        let holding = holders(db);
        if let Some(i) = workers.iter().position(|w| holding.contains(&w.id())) {
            signal(&workers[i], "STOP");
            if holders(db).contains(&workers[i].id()) {
                let mut w = workers.remove(i);
                w.kill().unwrap();
                w.wait().unwrap();
                return;
            }
            signal(&workers[i], "CONT");
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "no worker holds an item");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The process ids of the workers that hold a claimed item right now.
fn holders(db: &TempDb) -> Vec<u32> {
    let rows = db
        .db
        .query("SELECT DISTINCT claimed_by FROM work_items WHERE claimed_by IS NOT NULL AND state = 'pending'", vec![])
        .unwrap();
    // Worker ids are host:pid:start.
    rows.iter().filter_map(|r| r.text("claimed_by").split(':').nth(1)?.parse().ok()).collect()
}

fn signal(worker: &Child, name: &str) {
    let status = std::process::Command::new("kill").arg(format!("-{name}")).arg(worker.id().to_string()).status();
    assert!(status.unwrap().success(), "kill -{name}");
}

#[test]
fn a_killed_workers_items_are_finished_by_a_worker_after_their_lease() {
    let db = TempDb::new(Engine::Postgres, "fleetlease");
    let t = tempfile::tempdir().unwrap();
    let cfg = pipeline(t.path(), &db.url_string());
    let log = t.path().join("probe.log");
    // Nothing is queued yet: a worker has nothing to do and says so.
    let o = run(&["worker", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(lines(&log).is_empty());

    let mut workers = vec![spawn(&["run", "--config", &cfg])];
    wait_for(&log, 7);
    kill_a_holder(&db, &mut workers);
    let held = db
        .db
        .query("SELECT count(*) AS n FROM work_items WHERE claimed_by IS NOT NULL AND state = 'pending'", vec![])
        .unwrap();
    assert!(held[0].int("n").unwrap() > 0, "the killed worker held no item");

    let o = run(&["worker", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));
    assert_exactly_once(&db, t.path(), 3);
    // The items the dead worker held were claimed again (after its lease).
    let again = db.db.query("SELECT count(*) AS n FROM work_items WHERE claims >= 2", vec![]).unwrap();
    assert!(again[0].int("n").unwrap() > 0);
}

/// A sink one worker at a time may write (like the CSV sink, finished by
/// renaming its `.partial`) whose holder is killed after its last item but
/// inside `finish`: the queue is empty, yet the output is not finished. The
/// next worker waits for the dead holder's lease, takes it and finishes it.
#[test]
fn a_single_writer_sink_its_holder_left_unfinished_is_finished_by_the_next_worker() {
    let db = TempDb::new(Engine::Postgres, "fleetfinish");
    let t = tempfile::tempdir().unwrap();
    // A lease long enough that the next worker starts while it still runs.
    let cfg = fixture_pipeline(
        t.path(),
        6,
        &format!("journal = \"{}\"\nbatch_size = 3\nlease_seconds = 6", db.url_string()),
        "[[sinks]]\ntype = \"probe\"\nlog = \"probe.log\"\n\
         finish_log = \"hooks.log\"\nhold_first_finish_ms = 60000\n",
    );
    let hooks = t.path().join("hooks.log");
    let mut holder = spawn(&["run", "--config", &cfg]);
    let t0 = Instant::now();
    while !lines(&hooks).contains(&"finish start".to_string()) {
        assert!(t0.elapsed() < Duration::from_secs(120), "the holder never finished: {:?}", lines(&hooks));
        std::thread::sleep(Duration::from_millis(5));
    }
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_eq!(lines(&t.path().join("probe.log")).len(), 6, "every item was written before finish");

    let o = run(&["worker", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(lines(&hooks), ["prepare", "finish start", "prepare", "finish start", "finish end"]);
    assert_eq!(lines(&t.path().join("probe.log")).len(), 6, "nothing written twice");
}
