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
pub use super::store::Delivery;
use super::store::{check_pipeline, check_version, Entry, Failure, Journal, RunRow, SCHEMA_VERSION};
use anyhow::{Context, Result};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
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

/// Version n-1 → n, in order, applied with `user_version` in the transaction that opens the journal.
/// SQLite cannot change a CHECK constraint: version 3 rebuilds `deliveries`.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        2,
        "ALTER TABLE runs ADD COLUMN worker TEXT NOT NULL DEFAULT '';
     CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    ),
    (
        3,
        "CREATE TABLE deliveries_v3 (
        record_id TEXT NOT NULL,
        sink TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('done', 'skipped', 'failed', 'undone')),
        detail TEXT NOT NULL DEFAULT '',
        data TEXT NOT NULL DEFAULT '',
        owners TEXT NOT NULL DEFAULT '',
        attempts INTEGER NOT NULL DEFAULT 1,
        run_id INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (record_id, sink)
     );
     INSERT INTO deliveries_v3 SELECT record_id, sink, status, detail, data, owners, attempts, run_id, updated_at FROM deliveries;
     DROP TABLE deliveries;
     ALTER TABLE deliveries_v3 RENAME TO deliveries;
     CREATE INDEX deliveries_status ON deliveries (sink, status);",
    ),
];

pub struct SqliteJournal {
    conn: Connection,
    pub path: PathBuf,
}

/// The lock file of a journal: `<journal>.lock` beside it. Every run on that
/// journal opens the same file whatever the pipeline file's name, copy or the
/// path spelling it uses (the lock is on the file, not on a name).
pub fn lock_path(journal: &Path) -> PathBuf {
    let mut s = journal.as_os_str().to_os_string();
    s.push(".lock");
    PathBuf::from(s)
}

/// Checks, writing nothing, that the journal can live at `journal`: not a
/// folder, its folder exists or can be created (no file in the way) and is
/// writable. Errors name the path at fault.
pub fn prepare_path(journal: &Path) -> Result<()> {
    if journal.is_dir() {
        anyhow::bail!("{}: the journal path is a folder; name a file (e.g. state.db) inside it", journal.display());
    }
    let dir = journal.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut existing = dir;
    while !existing.exists() {
        match existing.parent() {
            Some(p) if !p.as_os_str().is_empty() => existing = p,
            _ => break,
        }
    }
    if !existing.is_dir() {
        anyhow::bail!("{}: not a folder, so the journal {} cannot be created", existing.display(), journal.display());
    }
    // SQLite writes a rollback file beside the journal: the folder itself must be writable.
    let probe = existing.join(format!(".bbb-migrate-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => anyhow::bail!(
            "{}: not writable, so the journal {} cannot be written: {e}",
            existing.display(),
            journal.display()
        ),
    }
}

fn try_lock(file: std::fs::File, journal: &Path) -> Result<std::fs::File> {
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            anyhow::bail!("{}: another bbb-migrate run is using this journal; wait for it to finish", journal.display())
        }
        Err(std::fs::TryLockError::Error(e)) => {
            Err(anyhow::anyhow!("{}: cannot lock the journal: {e}", lock_path(journal).display()))
        }
    }
}

/// The journal's lock if its lock file already exists (every run but the
/// first): taken before anything is listed, so a second run is refused at
/// once. Writes nothing. `None`: no lock file yet, see [`lock_journal`].
pub fn lock_existing(journal: &Path) -> Result<Option<std::fs::File>> {
    match std::fs::OpenOptions::new().read(true).write(true).open(lock_path(journal)) {
        Ok(file) => try_lock(file, journal).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("{}: cannot open the journal's lock file: {e}", lock_path(journal).display())),
    }
}

/// An exclusive lock on the journal (creating its folder and lock file),
/// held for the whole run: a second run on the same journal (another copy
/// of the pipeline file, another spelling of the same path) is refused in
/// one line naming the journal. Taken before the journal is opened.
pub fn lock_journal(journal: &Path) -> Result<std::fs::File> {
    if let Some(dir) = journal.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create the journal's folder", dir.display()))?;
    }
    let path = lock_path(journal);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("{}: cannot create the journal's lock file", path.display()))?;
    try_lock(file, journal)
}

/// Whether a run currently holds the journal's lock (read-only: never
/// creates the lock file).
pub fn journal_in_use(journal: &Path) -> bool {
    let Ok(file) = std::fs::File::open(lock_path(journal)) else { return false };
    match file.try_lock_shared() {
        Ok(()) => false,
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(_)) => false,
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
        // One immediate transaction from the version check to the pipeline's fingerprint: two
        // runs creating or upgrading the same journal at once take turns (the second waits for
        // the lock, then finds the schema made) instead of both creating the tables.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut v = version(&tx).with_context(|| format!("{shown}: not a bbb-migrate journal"))?;
        check_version(&shown, v)?;
        check_pipeline(&shown, stored_pipeline(&tx)?.as_deref(), fingerprint, force)?;
        if v == 0 {
            tx.execute_batch(SCHEMA_V1).with_context(|| format!("{shown}: not a bbb-migrate journal"))?;
            v = 1;
        }
        for (to, sql) in MIGRATIONS.iter().filter(|(to, _)| *to > v) {
            tx.execute_batch(sql).with_context(|| format!("{shown}: cannot upgrade the journal to version {to}"))?;
            tx.pragma_update(None, "user_version", to)?;
            tracing::info!("{shown}: journal upgraded to schema version {to}");
        }
        debug_assert_eq!(MIGRATIONS.last().map(|m| m.0), Some(SCHEMA_VERSION));
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('pipeline', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [fingerprint],
        )?;
        tx.commit()?;
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
        // Absent, or still empty: another run is creating it this very moment (its tables
        // appear with its first commit), which is no journal yet either.
        if std::fs::metadata(path).map_or(true, |m| m.len() == 0) {
            return Ok(None);
        }
        // A run killed in the middle of a commit leaves a hot journal (`<file>-journal`)
        // that SQLite must roll back before anyone may read, which a read-only connection
        // cannot do: only then open read-write (never creating), restoring the last commit.
        let mut hot = path.as_os_str().to_owned();
        hot.push("-journal");
        let flags = if Path::new(&hot).exists() { OpenFlags::SQLITE_OPEN_READ_WRITE } else { flags };
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
    /// Starts a run. Called with the journal's lock held: any run still
    /// marked `running` was killed (a signal, a power cut) and becomes `interrupted`.
    fn start_run(&mut self, config: &str, worker: &str) -> Result<i64> {
        self.conn.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'", [])?;
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

    fn deliveries(&mut self) -> Result<Vec<Delivery>> {
        let mut all = Vec::new();
        self.each_delivery(&mut |d| all.push(d))?;
        Ok(all)
    }

    fn each_delivery(&mut self, each: &mut dyn FnMut(Delivery)) -> Result<()> {
        let mut st = self.conn.prepare(
            "SELECT record_id, sink, status, detail, data, owners, attempts, run_id, updated_at
             FROM deliveries ORDER BY record_id, sink",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Delivery {
                record_id: r.get(0)?,
                sink: r.get(1)?,
                status: r.get(2)?,
                detail: r.get(3)?,
                data: r.get(4)?,
                owners: r.get(5)?,
                attempts: r.get(6)?,
                run_id: r.get(7)?,
                updated_at: r.get(8)?,
            })
        })?;
        for d in rows {
            each(d?);
        }
        Ok(())
    }

    fn mark_undone(&mut self, sink: &str, entries: &[(String, String)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut st = tx.prepare_cached(
                "UPDATE deliveries SET status = 'undone', detail = ?1, updated_at = ?2 WHERE record_id = ?3 AND sink = ?4",
            )?;
            let t = now();
            for (id, detail) in entries {
                st.execute(params![detail, t, id, sink])?;
            }
        }
        tx.commit().with_context(|| format!("{}: cannot commit to the journal", self.path.display()))?;
        Ok(())
    }
}
