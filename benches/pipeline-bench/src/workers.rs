//! `--workers 1,2,4`: a fleet on one PostgreSQL journal delivering through the real
//! `claim-dir` sink (video copied into Pod's claim folder), against a test server whose
//! every video page takes `--page-delay-ms` to answer: a download-bound pipeline, where
//! more worker processes should mean proportionally more recordings per second.
//!
//! Each process is `bbb-migrate run` (lists, enqueues idempotently, then claims and works);
//! all start at once. Wall time is from the first start to the last exit; the files in the
//! claim folder and the `recorder_recordingfiletreatment` rows are counted afterwards and
//! must equal the recordings selected (every one exactly once).
use crate::{pod_db, tempfile_dir, SECRET};
use bbb_migrate_db::testing::TempDb;
use bbb_migrate_db::Engine;
use bbb_testserver::{dataset, Flavour, Options, TestServer};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The claim-dir pipeline of one fleet: journal and Pod database on PostgreSQL.
fn pipeline(dir: &Path, s: &TestServer, journal: &TempDb, pod: &TempDb) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("claim/bbb-migration")).unwrap();
    let cfg = format!(
        "journal = \"{}\"\nbatch_size = 4\n[fallback]\nowner = \"admin\"\n\
         [[sources]]\nname = \"old\"\ntype = \"bbb\"\nurl = \"{}\"\nsecret = \"{SECRET}\"\n\
         [[sinks]]\nname = \"claim\"\ntype = \"claim-dir\"\ndatabase = \"{}\"\nrecorder_id = 1\n\
         recorder_path = \"{}\"\nconcurrency = 2\npage_concurrency = 2\nmin_free_bytes = 0\n",
        journal.url_string(),
        s.url(),
        pod.url_string(),
        dir.join("claim").display()
    );
    let p = dir.join("p.toml");
    std::fs::write(&p, cfg).unwrap();
    p
}

/// Prints the table: worker processes against recordings per second.
pub fn table(bin: &Path, workers: &[usize], n: usize, page_delay_ms: u64) {
    println!("| worker processes | recordings delivered | wall (s) | recordings/s | speed-up |");
    println!("| ---: | ---: | ---: | ---: | ---: |");
    let mut base = None;
    for &w in workers {
        let mut recs = dataset(n);
        for r in &mut recs {
            r.formats = vec!["video"];
        }
        let mut opts = Options::new(Flavour::Bbb27, SECRET);
        opts.page_delay = Duration::from_millis(page_delay_ms);
        let s = TestServer::start(opts, recs);
        let dir = tempfile_dir();
        let journal = TempDb::new(Engine::Postgres, "bench_fleet_journal");
        let pod = pod_db();
        let cfg = pipeline(dir.path(), &s, &journal, &pod);
        let rows_before = treatments(&pod);
        let t = Instant::now();
        let kids: Vec<_> = (0..w)
            .map(|i| {
                Command::new(bin)
                    .args(["run", "--config", cfg.to_str().unwrap()])
                    .env_remove("RUST_LOG")
                    .env_remove("BBB_MIGRATE_PLUGIN_PATH")
                    .stdout(Stdio::null())
                    .stderr(std::fs::File::create(dir.path().join(format!("stderr-{i}.txt"))).unwrap())
                    .spawn()
                    .unwrap_or_else(|e| panic!("{}: {e}", bin.display()))
            })
            .collect();
        for (i, mut k) in kids.into_iter().enumerate() {
            let st = k.wait().unwrap();
            if !st.success() {
                let err = std::fs::read_to_string(dir.path().join(format!("stderr-{i}.txt"))).unwrap_or_default();
                eprintln!("worker {i} exited {st}: {}", err.lines().last().unwrap_or(""));
            }
        }
        let secs = t.elapsed().as_secs_f64();
        let files = std::fs::read_dir(dir.path().join("claim/bbb-migration")).unwrap().count();
        let rows = treatments(&pod) - rows_before;
        assert_eq!(files as i64, rows, "claim files and treatment rows differ");
        let rate = files as f64 / secs;
        let base = *base.get_or_insert(rate);
        println!("| {w} | {files} | {secs:.2} | {rate:.1} | {:.2}× |", rate / base);
    }
}

/// `recorder_recordingfiletreatment` rows (the claim offers) in the Pod database.
fn treatments(pod: &TempDb) -> i64 {
    pod.db.query("SELECT COUNT(*) AS n FROM recorder_recordingfiletreatment", vec![]).unwrap()[0].int("n").unwrap_or(0)
}
