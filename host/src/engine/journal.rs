//! The SQLite journal (the embedded default): what each sink did with each
//! recording, in one file.
//!
//! One row per (recording, sink), written in one transaction per batch right
//! after the sink confirmed its writes. `done` and `skipped` rows are final:
//! those items are never sent to that sink again. `failed` rows are retried
//! by the next run. A crash between a sink's write and the journal commit
//! re-sends that batch next time; sinks are idempotent by natural keys, so
//! the work is still done exactly once. Rollback-journal mode with
//! `synchronous=FULL` (not WAL: a read-only dry run must not create files).
use super::store::{check_pipeline, check_version, Entry, Failure, Journal, RunRow, SCHEMA_VERSION};
use anyhow::{Context, Result};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Version 1 (the first release), created as is on an empty file, then
/// upgraded by [`MIGRATIONS`].
const SCHEMA_V1: &str = "
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

/// Version n-1 → n, in order, each in one transaction with `user_version`.
const MIGRATIONS: &[(i64, &str)] = &[(
    2,
    "ALTER TABLE runs ADD COLUMN worker TEXT NOT NULL DEFAULT '';
     CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
)];

pub struct SqliteJournal {
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

/// The schema version of an open journal: `user_version`, or 1 for a
/// first-release journal (tables, no version), or 0 for an empty file.
fn version(conn: &Connection) -> Result<i64> {
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if v > 0 {
        return Ok(v);
    }
    let tables: Option<String> =
        conn.query_row("SELECT name FROM sqlite_master WHERE name = 'deliveries'", [], |r| r.get(0)).optional()?;
    Ok(if tables.is_some() { 1 } else { 0 })
}

fn stored_pipeline(conn: &Connection) -> Result<Option<String>> {
    let has_meta: Option<String> =
        conn.query_row("SELECT name FROM sqlite_master WHERE name = 'meta'", [], |r| r.get(0)).optional()?;
    if has_meta.is_none() {
        return Ok(None);
    }
    Ok(conn.query_row("SELECT value FROM meta WHERE key = 'pipeline'", [], |r| r.get(0)).optional()?)
}

impl SqliteJournal {
    /// Opens (creating, or upgrading in place) the journal for a real run.
    pub fn open(path: &Path, fingerprint: &str, force: bool) -> Result<Self> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create the journal's folder", dir.display()))?;
        }
        let mut conn = Connection::open(path).with_context(|| format!("{shown}: cannot open the journal"))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let mut v = version(&conn).with_context(|| format!("{shown}: not a bbb-migrate journal"))?;
        check_version(&shown, v)?;
        check_pipeline(&shown, stored_pipeline(&conn)?.as_deref(), fingerprint, force)?;
        if v == 0 {
            conn.execute_batch(SCHEMA_V1).with_context(|| format!("{shown}: not a bbb-migrate journal"))?;
            v = 1;
        }
        for (to, sql) in MIGRATIONS.iter().filter(|(to, _)| *to > v) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql).with_context(|| format!("{shown}: cannot upgrade the journal to version {to}"))?;
            tx.pragma_update(None, "user_version", to)?;
            tx.commit()?;
            tracing::info!("{shown}: journal upgraded to schema version {to}");
        }
        debug_assert_eq!(MIGRATIONS.last().map(|m| m.0), Some(SCHEMA_VERSION));
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('pipeline', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [fingerprint],
        )?;
        Ok(Self { conn, path: path.to_path_buf() })
    }

    /// Opens an existing journal read-only (dry run, status); `None` if absent.
    pub fn open_read_only(path: &Path, fingerprint: Option<&str>, force: bool) -> Result<Option<Self>> {
        Self::open_existing(path, OpenFlags::SQLITE_OPEN_READ_ONLY, fingerprint, force)
    }

    /// Checks an existing journal before a run that will write it (version,
    /// pipeline), without creating it. Opened read-write so that SQLite can
    /// roll back what a run killed in the middle of a commit left (a
    /// read-only connection cannot); nothing else is written.
    pub fn check_before_run(path: &Path, fingerprint: &str, force: bool) -> Result<()> {
        Self::open_existing(path, OpenFlags::SQLITE_OPEN_READ_WRITE, Some(fingerprint), force).map(|_| ())
    }

    fn open_existing(path: &Path, flags: OpenFlags, fingerprint: Option<&str>, force: bool) -> Result<Option<Self>> {
        if !path.exists() {
            return Ok(None);
        }
        let shown = path.display().to_string();
        let conn =
            Connection::open_with_flags(path, flags).with_context(|| format!("{shown}: cannot open the journal"))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let v = version(&conn).with_context(|| format!("{shown}: not a bbb-migrate journal"))?;
        anyhow::ensure!(v > 0, "{shown}: not a bbb-migrate journal");
        check_version(&shown, v)?;
        if let Some(f) = fingerprint {
            check_pipeline(&shown, stored_pipeline(&conn)?.as_deref(), f, force)?;
        }
        Ok(Some(Self { conn, path: path.to_path_buf() }))
    }
}

impl Journal for SqliteJournal {
    fn start_run(&mut self, config: &str, worker: &str) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO runs (started_at, config, worker) VALUES (?1, ?2, ?3)",
            params![now(), config, worker],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    fn finish_run(&mut self, run: i64, status: &str) -> Result<()> {
        self.conn
            .execute("UPDATE runs SET finished_at = ?1, status = ?2 WHERE id = ?3", params![now(), status, run])?;
        Ok(())
    }

    fn finished(&mut self, sink: &str) -> Result<HashSet<String>> {
        let mut st =
            self.conn.prepare("SELECT record_id FROM deliveries WHERE sink = ?1 AND status IN ('done', 'skipped')")?;
        let rows = st.query_map([sink], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn record(&mut self, run: i64, sink: &str, entries: &[Entry]) -> Result<()> {
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

    fn summary(&mut self) -> Result<Vec<(String, String, i64)>> {
        let mut st = self
            .conn
            .prepare("SELECT sink, status, COUNT(*) FROM deliveries GROUP BY sink, status ORDER BY sink, status")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn failures(&mut self) -> Result<Vec<Failure>> {
        let mut st = self.conn.prepare(
            "SELECT record_id, sink, detail, attempts FROM deliveries WHERE status = 'failed' ORDER BY sink, record_id",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn runs(&mut self, n: i64) -> Result<Vec<RunRow>> {
        let mut st =
            self.conn.prepare("SELECT id, started_at, finished_at, status FROM runs ORDER BY id DESC LIMIT ?1")?;
        let rows = st.query_map([n], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
