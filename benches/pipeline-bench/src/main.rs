//! Benchmark (not a test): whole `bbb-migrate run`s of two builds, side by
//! side, against the local BBB test server (`bbb-testserver`, no artificial
//! cost) and a throwaway PostgreSQL Pod database.
//!
//! ```sh
//! cargo build --release -p bbb-migrate -p bbb-migrate-bbb -p bbb-migrate-csv -p bbb-migrate-pod-sinks -p bbb-migrate-pipeline-bench
//! target/release/pipeline-bench [--before DIR] [--after DIR] [--sizes 5000,20000|none] [--rss 100000] [--wrap CMD]
//! target/release/pipeline-bench --workers 1,2,4 [--recordings 240] [--page-delay-ms 100]
//! ```
//!
//! `DIR` holds a `bbb-migrate` binary with its plugins beside it (the host
//! finds them in its own folder); `--after` defaults to this binary's folder.
//! Each run is a child process: wall time, its own peak RSS (`wait4`), the
//! video pages the server served, and what reached Pod and the CSV.
use bbb_migrate_db::testing::TempDb;
use bbb_migrate_db::Engine;
use bbb_testserver::{dataset, Flavour, Options, TestServer};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

mod workers;

pub(crate) const SECRET: &str = "bench-secret-0123456789";

/// What one run did.
struct Run {
    seconds: f64,
    /// User + system CPU time of the `bbb-migrate` process (not the database's).
    cpu_seconds: f64,
    rss_mib: f64,
    exit: i32,
    pages: u64,
    csv_rows: usize,
    pod_rows: i64,
}

/// A server with `n` listable recordings, 30 % of them with a `video` format.
fn server(n: usize) -> TestServer {
    let mut recs = dataset(n);
    for (i, r) in recs.iter_mut().enumerate() {
        r.formats = if i % 10 < 3 { vec!["presentation", "video"] } else { vec!["presentation"] };
    }
    TestServer::start(Options::new(Flavour::Bbb27, SECRET), recs)
}

/// A Pod database (the tests' PostgreSQL schema and sample rows).
pub(crate) fn pod_db() -> TempDb {
    bbb_migrate_db::testing::pod_db(Engine::Postgres, "pipeline_bench")
}

fn pipeline(dir: &Path, s: &TestServer, pod: Option<&TempDb>) -> PathBuf {
    let mut cfg = format!(
        "journal = \"state.db\"\n[fallback]\nowner = \"admin\"\n\
         [[sources]]\nname = \"old\"\ntype = \"bbb\"\nurl = \"{}\"\nsecret = \"{SECRET}\"\n",
        s.url()
    );
    if let Some(t) = pod {
        cfg.push_str(&format!(
            "[[sinks]]\nname = \"pod\"\ntype = \"pod-external\"\ndatabase = \"{}\"\nsite_id = 1\nsecret_key = \"k\"\n",
            t.url_string()
        ));
    }
    cfg.push_str("[[sinks]]\nname = \"csv\"\ntype = \"csv\"\npath = \"out.csv\"\n");
    let p = dir.join("p.toml");
    std::fs::write(&p, cfg).unwrap();
    p
}

/// `--wrap CMD`: a command (words split on spaces) each `bbb-migrate` runs
/// under, e.g. a memory profiler (`heaptrack -o /tmp/run`); the peak RSS is
/// then the wrapper's process's.
static WRAP: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

/// Runs `bin run --config cfg extra…` and waits for it with `wait4` (its own peak RSS).
#[allow(clippy::zombie_processes)] // reaped by `wait4`, which `Child::wait` cannot replace
fn run(bin: &Path, cfg: &Path, extra: &[&str], s: &TestServer, pod: Option<&TempDb>) -> Run {
    s.reset_counters();
    let dir = cfg.parent().unwrap();
    let t = Instant::now();
    let wrap = WRAP.get().map(Vec::as_slice).unwrap_or_default();
    let mut cmd = match wrap {
        [w, rest @ ..] => {
            let mut c = Command::new(w);
            c.args(rest).arg(bin);
            c
        }
        [] => Command::new(bin),
    };
    let child = cmd
        .args(["run", "--config", cfg.to_str().unwrap()])
        .args(extra)
        .env_remove("RUST_LOG")
        .env_remove("BBB_MIGRATE_PLUGIN_PATH")
        .stdout(std::fs::File::create(dir.join("stdout.txt")).unwrap())
        .stderr(std::fs::File::create(dir.join("stderr.txt")).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid (plain old data).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `status` and `usage` are writable; `wait4` fills them for our own child.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4");
    let seconds = t.elapsed().as_secs_f64();
    let exit = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    if exit != 0 {
        let err = std::fs::read_to_string(dir.join("stderr.txt")).unwrap_or_default();
        eprintln!("{} exited {exit}: {}", bin.display(), err.lines().last().unwrap_or(""));
    }
    let csv = ["out.csv", "out.csv.partial"].iter().find_map(|f| std::fs::read_to_string(dir.join(f)).ok());
    let pod_rows = pod
        .map(|t| {
            t.db.query("SELECT COUNT(*) AS n FROM import_video_externalrecording", vec![]).unwrap()[0]
                .int("n")
                .unwrap_or(0)
        })
        .unwrap_or(0);
    Run {
        seconds,
        cpu_seconds: [usage.ru_utime, usage.ru_stime].iter().map(|t| t.tv_sec as f64 + t.tv_usec as f64 / 1e6).sum(),
        rss_mib: usage.ru_maxrss as f64 / 1024.0,
        exit,
        pages: s.playback_calls(),
        csv_rows: csv.map(|c| c.lines().count().saturating_sub(1)).unwrap_or(0),
        pod_rows,
    }
}

fn row(scenario: &str, build: &str, n: usize, r: &Run, delivered: usize) {
    let rate = if delivered > 0 { format!("{:.0}", delivered as f64 / r.seconds) } else { "–".into() };
    println!(
        "| {scenario} | {build} | {n} | {:.2} | {:.2} | {rate} | {} | {} | {} | {:.1} | {} |",
        r.seconds, r.cpu_seconds, r.pages, r.pod_rows, r.csv_rows, r.rss_mib, r.exit
    );
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let here = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    let after = arg(&args, "--after").map(PathBuf::from).unwrap_or(here).join("bbb-migrate");
    if let Some(w) = arg(&args, "--workers") {
        let counts: Vec<usize> = w.split(',').map(|s| s.parse().expect("--workers N,M")).collect();
        let n = arg(&args, "--recordings").map_or(240, |s| s.parse().expect("--recordings N"));
        let delay = arg(&args, "--page-delay-ms").map_or(100, |s| s.parse().expect("--page-delay-ms MS"));
        workers::table(&after, &counts, n, delay);
        return;
    }
    let before = arg(&args, "--before").map(|d| PathBuf::from(d).join("bbb-migrate"));
    if let Some(w) = arg(&args, "--wrap") {
        WRAP.set(w.split_whitespace().map(String::from).collect()).expect("set once");
    }
    let sizes: Vec<usize> = match arg(&args, "--sizes").as_deref() {
        Some("none") => Vec::new(),
        s => s.unwrap_or("5000,20000").split(',').map(|s| s.parse().expect("--sizes N,M")).collect(),
    };
    let rss: Option<usize> = arg(&args, "--rss").map(|s| s.parse().expect("--rss N"));
    let mut builds: Vec<(&str, PathBuf)> = Vec::new();
    if let Some(b) = before {
        builds.push(("before", b));
    }
    builds.push(("after", after));

    println!(
        "| scenario | build | recordings listed | time (s) | CPU of bbb-migrate (s) | delivered/s | video pages read | Pod rows | CSV rows | peak RSS (MiB) | exit |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    if let Some(&n) = sizes.first() {
        let s = server(n);
        for (label, extra) in [("dry run, every recording", &[][..]), ("dry run `--to 10`", &["--to", "10"][..])] {
            for (build, bin) in &builds {
                let dir = tempfile_dir();
                let cfg = pipeline(dir.path(), &s, None);
                let r = run(bin, &cfg, &[&["--dry-run"][..], extra].concat(), &s, None);
                row(&format!("{label} (bbb → csv)"), build, n, &r, 0);
            }
        }
    }
    for &n in &sizes {
        let s = server(n);
        for (build, bin) in &builds {
            let dir = tempfile_dir();
            let pod = pod_db();
            let cfg = pipeline(dir.path(), &s, Some(&pod));
            let r = run(bin, &cfg, &[], &s, Some(&pod));
            row("run (bbb → pod-external + csv)", build, n, &r, r.csv_rows);
        }
    }
    if let Some(n) = rss {
        let s = server(n);
        let (build, bin) = builds.last().unwrap();
        let dir = tempfile_dir();
        let pod = pod_db();
        let cfg = pipeline(dir.path(), &s, Some(&pod));
        let r = run(bin, &cfg, &[], &s, Some(&pod));
        row("run (bbb → pod-external + csv)", build, n, &r, r.csv_rows);
    }
}

/// A temporary folder removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn tempfile_dir() -> TempDir {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("pipeline-bench-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}
