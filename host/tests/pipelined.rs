//! The pipelined engine: a slow sink does not hold a fast one back (read off
//! the journal's timestamps), and the resolver runs once per recording.
mod common;
use common::*;
use std::path::Path;

fn journal_times(db: &Path, sink: &str) -> Vec<String> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut st = c.prepare("SELECT updated_at FROM deliveries WHERE sink = ?1 ORDER BY updated_at").unwrap();
    let rows = st.query_map([sink], |r| r.get::<_, String>(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

#[test]
fn a_slow_sink_does_not_delay_a_fast_one() {
    const N: usize = 15; // 5 batches of 3
    let t = tempfile::tempdir().unwrap();
    let cfg = fixture_pipeline(
        t.path(),
        N,
        "journal = \"journal.db\"\nbatch_size = 3",
        "[[sinks]]\nname = \"slow\"\ntype = \"probe\"\nlog = \"slow.log\"\ndelay_ms = 1000\n\
         [[sinks]]\nname = \"fast\"\ntype = \"probe\"\nlog = \"fast.log\"\n",
    );
    let o = run(&["run", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));
    let db = t.path().join("journal.db");
    let fast = journal_times(&db, "fast");
    let slow = journal_times(&db, "slow");
    assert_eq!((fast.len(), slow.len()), (N, N));
    let slow_batches: Vec<&String> = {
        let mut v: Vec<&String> = slow.iter().collect();
        v.dedup();
        v
    };
    assert_eq!(slow_batches.len(), 5, "{slow:?}");
    // Every batch of the fast sink was journaled before the slow sink's
    // second batch (one batch-join engine would have waited for each).
    assert!(fast.last().unwrap() < slow_batches[1], "fast {fast:?}\nslow {slow:?}");

    // The batch-join engine, for contrast: the fast sink waits for the slow one.
    let t2 = tempfile::tempdir().unwrap();
    std::fs::copy(t.path().join("r.xml"), t2.path().join("r.xml")).unwrap();
    let cfg2 = write(t2.path(), "p.toml", &std::fs::read_to_string(&cfg).unwrap());
    let o = run(&["run", "--config", cfg2.to_str().unwrap(), "--batch-join"]);
    assert!(o.status.success(), "{}", text(&o));
    let db = t2.path().join("journal.db");
    let (fast, slow) = (journal_times(&db, "fast"), journal_times(&db, "slow"));
    assert!(fast.last().unwrap() > slow.first().unwrap(), "fast {fast:?}\nslow {slow:?}");
}

/// `engine::pipeline::MAX_LEAD`: how many batches the fast sink may run ahead
/// of the slow one (the resolved batches held in memory meanwhile).
const MAX_LEAD: usize = 4;

#[test]
fn a_fast_sink_runs_at_most_max_lead_batches_ahead_of_a_slow_one() {
    const BATCHES: usize = 10;
    const N: usize = BATCHES * 2;
    let t = tempfile::tempdir().unwrap();
    let cfg = fixture_pipeline(
        t.path(),
        N,
        "journal = \"journal.db\"\nbatch_size = 2",
        "[[sinks]]\nname = \"slow\"\ntype = \"probe\"\nlog = \"slow.log\"\ndelay_ms = 150\n\
         [[sinks]]\nname = \"fast\"\ntype = \"probe\"\nlog = \"fast.log\"\n",
    );
    let o = run(&["run", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));
    let db = t.path().join("journal.db");
    let fast = journal_times(&db, "fast");
    let mut slow = journal_times(&db, "slow");
    assert_eq!((fast.len(), slow.len()), (N, N));
    slow.dedup();
    assert_eq!(slow.len(), BATCHES, "{slow:?}");
    // The fast sink's last batch (BATCHES - 1) is resolved only once the slow
    // sink has taken batch BATCHES - MAX_LEAD, i.e. journaled the one before.
    let gate = BATCHES - MAX_LEAD - 2;
    assert!(fast.last().unwrap() > &slow[gate], "fast {fast:?}\nslow {slow:?}");
    // … and not much later: the fast sink is not held back further.
    assert!(fast.last().unwrap() < &slow[gate + 2], "fast {fast:?}\nslow {slow:?}");
}

#[test]
fn the_resolver_runs_once_per_recording_and_concurrent_sinks_deliver_each_once() {
    const N: usize = 20;
    let t = tempfile::tempdir().unwrap();
    let cfg = fixture_pipeline(
        t.path(),
        N,
        "journal = \"journal.db\"\nbatch_size = 2",
        "[[resolvers]]\ntype = \"slow\"\ndelay_ms = 5\nlog = \"resolved.log\"\n\
         [[sinks]]\nname = \"four\"\ntype = \"probe\"\nlog = \"four.log\"\nthreads = 4\ndelay_ms = 20\n\
         [[sinks]]\ntype = \"csv\"\npath = \"out.csv\"\nthreads = 2\n",
    );
    let o = run(&["run", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));
    let mut four: Vec<String> =
        std::fs::read_to_string(t.path().join("four.log")).unwrap().lines().map(String::from).collect();
    four.sort();
    four.dedup();
    assert_eq!(four.len(), N);
    assert_eq!(std::fs::read_to_string(t.path().join("four.log")).unwrap().lines().count(), N);
    let mut csv = csv_ids(&t.path().join("out.csv"));
    csv.sort();
    csv.dedup();
    assert_eq!(csv.len(), N);
    assert_eq!(csv_ids(&t.path().join("out.csv")).len(), N);
    // Two sinks, one resolution per recording.
    let mut resolved: Vec<String> =
        std::fs::read_to_string(t.path().join("resolved.log")).unwrap().lines().map(String::from).collect();
    assert_eq!(resolved.len(), N);
    resolved.sort();
    resolved.dedup();
    assert_eq!(resolved.len(), N);
}
