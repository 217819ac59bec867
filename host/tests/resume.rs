//! Exactly once: a run killed with SIGKILL at any point, re-run, delivers
//! every recording exactly once; a second complete run changes nothing;
//! a dry run writes nothing anywhere.
mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

const N: usize = 60;

fn pipeline(dir: &Path, plugins: &Path) -> String {
    write(dir, "r.xml", &recordings_xml(N));
    let cfg = write(
        dir,
        "p.toml",
        &format!(
            "journal = \"state/journal.db\"\nbatch_size = 3\nplugin_dirs = [\"{}\"]\n[fallback]\nowner = \"admin\"\n\
         [[sources]]\ntype = \"bbb-cache\"\npath = \"r.xml\"\n\
         [[resolvers]]\ntype = \"slow\"\ndelay_ms = 60\n\
         [[sinks]]\ntype = \"csv\"\npath = \"out/recordings.csv\"\n\
         [[sinks]]\ntype = \"probe\"\nlog = \"probe.log\"\n",
            plugins.display()
        ),
    );
    cfg.to_str().unwrap().to_string()
}

fn lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p).unwrap_or_default().lines().map(String::from).collect()
}

/// Starts a run in the background and waits until the probe has logged
/// `after` deliveries (the run still going).
fn start_until(cfg: &str, log: &Path, after: usize) -> std::process::Child {
    let mut child = bin()
        .args(["run", "--config", cfg])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while lines(log).len() < after {
        assert!(t0.elapsed() < Duration::from_secs(60), "the run never reached {after} deliveries");
        assert!(child.try_wait().unwrap().is_none(), "the run ended before {after} deliveries");
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

/// Starts a run and SIGKILLs it once the probe has logged `after` deliveries.
fn kill_after(cfg: &str, log: &Path, after: usize) {
    let mut child = start_until(cfg, log, after);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

#[test]
fn killed_runs_resume_and_deliver_exactly_once() {
    let plugins = fixture_plugins();
    let t = tempfile::tempdir().unwrap();
    let cfg = pipeline(t.path(), &plugins);
    let log = t.path().join("probe.log");

    kill_after(&cfg, &log, 7);
    let first = lines(&log).len();
    assert!(first < N, "killed too late ({first})");
    kill_after(&cfg, &log, first + 10);

    let o = run(&["run", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));

    // The CSV holds every recording exactly once.
    let csv = csv_ids(&t.path().join("out/recordings.csv"));
    assert_eq!(csv.len(), N, "{csv:?}");
    assert_eq!(csv.iter().collect::<BTreeSet<_>>().len(), N);
    assert!(!t.path().join("out/recordings.csv.partial").exists());

    // The probe got each at least once; re-deliveries only for the batch in
    // flight at each kill (≤ batch_size per kill).
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for l in lines(&log) {
        *counts.entry(l).or_default() += 1;
    }
    assert_eq!(counts.len(), N);
    let extra: usize = counts.values().map(|c| c - 1).sum();
    assert!(extra <= 2 * 3, "{extra} re-deliveries");

    // A second complete run changes nothing.
    let before_log = std::fs::read(&log).unwrap();
    let before_csv = std::fs::read(t.path().join("out/recordings.csv")).unwrap();
    let o = run(&["run", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(&format!("already done {N}")), "{}", text(&o));
    assert_eq!(std::fs::read(&log).unwrap(), before_log);
    assert_eq!(std::fs::read(t.path().join("out/recordings.csv")).unwrap(), before_csv);

    let o = run(&["status", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(&format!("sink csv: done {N}")) || text(&o).contains("sink csv: done"), "{}", text(&o));
}

fn listing(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walk(dir) {
        out.insert(e.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&e).unwrap());
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(walk(&p))
        } else {
            v.push(p)
        }
    }
    v
}

#[test]
fn dry_run_writes_nothing_anywhere_and_prints_the_plan() {
    let plugins = fixture_plugins();
    let t = tempfile::tempdir().unwrap();
    let cfg = pipeline(t.path(), &plugins);
    std::fs::write(
        t.path().join("p.toml"),
        std::fs::read_to_string(t.path().join("p.toml")).unwrap().replace("delay_ms = 60", "delay_ms = 0"),
    )
    .unwrap();

    // On a fresh folder: nothing is created.
    let before = listing(t.path());
    let o = run(&["run", "--config", &cfg, "--dry-run"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(listing(t.path()), before);
    let out = text(&o);
    assert_eq!(out.matches("[csv]: would add a row").count(), N, "{out}");
    assert!(out.contains("DRY RUN"));

    // After a partial real run (the first 10): a dry run changes no byte of
    // the journal, the CSV or anything else, and plans only the rest.
    let o = run(&["run", "--config", &cfg, "--to", "10"]);
    assert!(o.status.success(), "{}", text(&o));
    let before = listing(t.path());
    let o = run(&["run", "--config", &cfg, "--dry-run"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(listing(t.path()), before);
    assert_eq!(text(&o).matches("[csv]: would add a row").count(), N - 10, "{}", text(&o));
}

#[test]
fn a_second_run_on_the_same_journal_is_refused_while_one_is_running() {
    let plugins = fixture_plugins();
    let t = tempfile::tempdir().unwrap();
    let cfg = pipeline(t.path(), &plugins);
    let log = t.path().join("probe.log");
    let mut first = start_until(&cfg, &log, 1);
    let o = run(&["run", "--config", &cfg]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("another bbb-migrate run is using this journal"), "{}", text(&o));
    // A copy of the pipeline file under another name, in another folder, naming the
    // same journal by another path: refused too, in one line naming the journal.
    let other = tempfile::tempdir().unwrap();
    let journal = t.path().join("state/../state/journal.db");
    let copy = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("\"state/journal.db\"", &format!("\"{}\"", journal.display()))
        .replace("\"r.xml\"", &format!("\"{}\"", t.path().join("r.xml").display()));
    let copy = write(other.path(), "copy.toml", &copy);
    let o = run(&["run", "--config", copy.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains(&format!("{}: another bbb-migrate run is using this journal", journal.display())), "{err}");
    // `status` shows the run in progress as running.
    let o = run(&["status", "--config", &cfg]);
    assert!(text(&o).contains("(running)"), "{}", text(&o));
    assert!(first.wait().unwrap().success());
    assert_eq!(csv_ids(&t.path().join("out/recordings.csv")).len(), N);
    assert!(!other.path().join("out").exists(), "the refused copy wrote something");
}

/// A run killed by a signal is shown as `interrupted` by `status`, and the
/// next run marks it so in the journal.
#[test]
fn a_killed_run_is_shown_as_interrupted() {
    let plugins = fixture_plugins();
    let t = tempfile::tempdir().unwrap();
    let cfg = pipeline(t.path(), &plugins);
    let log = t.path().join("probe.log");
    kill_after(&cfg, &log, 4);
    let o = run(&["status", "--config", &cfg]);
    let out = text(&o);
    assert!(out.contains("run 1: ") && out.contains("(interrupted)") && !out.contains("(running)"), "{out}");
    let o = run(&["run", "--config", &cfg]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&["status", "--config", &cfg]);
    let out = text(&o);
    let line = |n: &str| out.lines().find(|l| l.trim_start().starts_with(n)).unwrap_or("").to_string();
    assert!(line("run 1:").ends_with("(interrupted)") && line("run 2:").ends_with("(ok)"), "{out}");
    // The journal itself says so too.
    let db = rusqlite::Connection::open(t.path().join("state/journal.db")).unwrap();
    let st: String = db.query_row("SELECT status FROM runs WHERE id = 1", [], |r| r.get(0)).unwrap();
    assert_eq!(st, "interrupted");
}

#[test]
fn a_resolver_that_fails_does_not_hand_recordings_to_the_fallback_and_they_are_retried() {
    let plugins = fixture_plugins();
    let t = tempfile::tempdir().unwrap();
    let cfg = pipeline(t.path(), &plugins);
    let toml = t.path().join("p.toml");
    let text_of = |p: &Path| std::fs::read_to_string(p).unwrap();
    std::fs::write(&toml, text_of(&toml).replace("delay_ms = 60", "delay_ms = 0\nfail = true")).unwrap();

    let o = run(&["run", "--config", &cfg, "--to", "5"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("cannot connect to database lms"), "{}", text(&o));
    assert!(lines(&t.path().join("probe.log")).is_empty(), "delivered despite the failure");
    assert!(csv_ids(&t.path().join("out/recordings.csv")).is_empty());
    let o = run(&["status", "--config", &cfg]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o).matches("FAILED").count(), 10, "{}", text(&o)); // 5 recordings × 2 sinks

    // The database is back: the same recordings are delivered, to the fallback now.
    std::fs::write(&toml, text_of(&toml).replace("fail = true", "fail = false")).unwrap();
    let o = run(&["run", "--config", &cfg, "--to", "5"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(lines(&t.path().join("probe.log")).len(), 5);
    assert!(text_of(&t.path().join("out/recordings.csv")).contains("admin,,fallback: no resolver knew this recording"));
}

#[test]
fn a_sink_that_cannot_start_stops_the_run_before_anything_is_written() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "r.xml", &recordings_xml(3));
    let cfg = write(t.path(), "p.toml",
        "journal = \"state/journal.db\"\n[fallback]\nowner = \"admin\"\n[[sources]]\ntype = \"bbb-cache\"\npath = \"r.xml\"\n\
         [[sinks]]\ntype = \"csv\"\npath = \"/proc/bbb-migrate-test/out.csv\"\n");
    let before = listing(t.path());
    let o = run(&["run", "--config", cfg.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("sink `csv`") && err.contains("/proc/bbb-migrate-test"), "{err}");
    assert_eq!(listing(t.path()), before, "the journal or anything else was written");
}
