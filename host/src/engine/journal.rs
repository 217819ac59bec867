//! The journal: what each sink did with each recording, in SQLite.
//!
//! One row per (recording, sink), written in one transaction per batch right
//! after the sink confirmed its writes. `done` and `skipped` rows are final:
//! those items are never sent to that sink again. `failed` rows are retried
//! by the next run. A crash between a sink's write and the journal commit
//! re-sends that batch next time; sinks are idempotent by natural keys, so
//! the work is still done exactly once. Rollback-journal mode with
//! `synchronous=FULL` (not WAL: a read-only dry run must not create files).
use anyhow::{Context, Result};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

const SCHEMA: &str = "
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

/// One journaled outcome.
pub struct Entry {
    pub record_id: String,
    pub status: &'static str,
    pub detail: String,
    pub data: String,
    pub owners: String,
}

/// (id, started, finished, status) of a run.
pub type RunRow = (i64, String, Option<String>, String);

pub struct Journal {
    conn: Connection,
    pub path: PathBuf,
}

/// An exclusive lock held for the whole run, taken on the pipeline file
/// itself (opened read-only, so taking it writes nothing): two runs of one
/// pipeline would deliver the same recordings twice.
pub fn lock_pipeline(config: &Path, journal: &Path) -> Result<std::fs::File> {
    let file = std::fs::File::open(config).with_context(|| format!("{}: cannot open", config.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "{}: another bbb-migrate run is using this journal ({}); wait for it to finish",
            config.display(),
            journal.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("{}: cannot lock", config.display())),
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Journal {
    /// Opens (creating) the journal for a real run.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create the journal's folder", dir.display()))?;
        }
        let conn = Connection::open(path).with_context(|| format!("{}: cannot open the journal", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA).with_context(|| format!("{}: not a bbb-migrate journal", path.display()))?;
        Ok(Self { conn, path: path.to_path_buf() })
    }

    /// Opens an existing journal read-only (dry run, status); `None` if absent.
    pub fn open_read_only(path: &Path) -> Result<Option<Self>> {
        if !path.exists() {
            return Ok(None);
        }
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("{}: cannot open the journal", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let ok: Option<String> = conn
            .query_row("SELECT name FROM sqlite_master WHERE name = 'deliveries'", [], |r| r.get(0))
            .optional()
            .with_context(|| format!("{}: not a bbb-migrate journal", path.display()))?;
        anyhow::ensure!(ok.is_some(), "{}: not a bbb-migrate journal", path.display());
        Ok(Some(Self { conn, path: path.to_path_buf() }))
    }

    pub fn start_run(&self, config: &str) -> Result<i64> {
        self.conn.execute("INSERT INTO runs (started_at, config) VALUES (?1, ?2)", params![now(), config])?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn finish_run(&self, run: i64, status: &str) -> Result<()> {
        self.conn
            .execute("UPDATE runs SET finished_at = ?1, status = ?2 WHERE id = ?3", params![now(), status, run])?;
        Ok(())
    }

    /// Record ids that `sink` has finished with (`done` or `skipped`).
    pub fn finished(&self, sink: &str) -> Result<HashSet<String>> {
        let mut st =
            self.conn.prepare("SELECT record_id FROM deliveries WHERE sink = ?1 AND status IN ('done', 'skipped')")?;
        let rows = st.query_map([sink], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a batch of outcomes for `sink` in one transaction.
    pub fn record(&mut self, run: i64, sink: &str, entries: &[Entry]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO deliveries (record_id, sink, status, detail, data, owners, attempts, run_id, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8)
                 ON CONFLICT (record_id, sink) DO UPDATE SET
                   status = excluded.status, detail = excluded.detail, data = excluded.data,
                   owners = excluded.owners, attempts = deliveries.attempts + 1,
                   run_id = excluded.run_id, updated_at = excluded.updated_at",
            )?;
            let t = now();
            for e in entries {
                st.execute(params![e.record_id, sink, e.status, e.detail, e.data, e.owners, run, t])?;
            }
        }
        tx.commit().with_context(|| format!("{}: cannot commit to the journal", self.path.display()))?;
        Ok(())
    }

    /// (sink, status, count) for `status`.
    pub fn summary(&self) -> Result<Vec<(String, String, i64)>> {
        let mut st = self
            .conn
            .prepare("SELECT sink, status, COUNT(*) FROM deliveries GROUP BY sink, status ORDER BY sink, status")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// (record_id, sink, detail, attempts) of every failed delivery.
    pub fn failures(&self) -> Result<Vec<(String, String, String, i64)>> {
        let mut st = self.conn.prepare(
            "SELECT record_id, sink, detail, attempts FROM deliveries WHERE status = 'failed' ORDER BY sink, record_id",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// (id, started, finished, status) of the last `n` runs.
    pub fn runs(&self, n: i64) -> Result<Vec<RunRow>> {
        let mut st =
            self.conn.prepare("SELECT id, started_at, finished_at, status FROM runs ORDER BY id DESC LIMIT ?1")?;
        let rows = st.query_map([n], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
