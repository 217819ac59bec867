//! The journal's contract, whatever holds it: what each sink did with each
//! recording, and the runs. Two backends with the same meaning: a SQLite
//! file (the embedded default, [`super::journal`]) and a PostgreSQL database
//! shared by a fleet of workers ([`super::journal_pg`]).
//!
//! The schema is versioned (SQLite `user_version`, PostgreSQL table `meta`)
//! and migrated in place when opened for writing; a journal newer than this
//! binary is refused. A journal remembers the pipeline (sources and sinks)
//! that created it and refuses another one unless forced.
use super::journal::SqliteJournal;
use super::journal_pg::PgJournal;
use crate::config::JournalAt;
use anyhow::{bail, Result};
use std::collections::HashSet;

/// The schema this binary writes. 1: the first release (runs, deliveries).
/// 2: `meta` (schema version, pipeline), `runs.worker`; PostgreSQL work
/// items, workers, sink leases. 3: deliveries may be `undone` (`bbb-migrate
/// undo`: the history is kept, a later run delivers again).
pub const SCHEMA_VERSION: i64 = 3;

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
/// (recordID, sink, detail, attempts) of a failed delivery.
pub type Failure = (String, String, String, i64);

pub trait Journal: Send {
    fn start_run(&mut self, config: &str, worker: &str) -> Result<i64>;
    fn finish_run(&mut self, run: i64, status: &str) -> Result<()>;
    /// Record ids that `sink` has finished with (`done` or `skipped`).
    fn finished(&mut self, sink: &str) -> Result<HashSet<String>>;
    /// Records a batch of outcomes for `sink` in one transaction.
    fn record(&mut self, run: i64, sink: &str, entries: &[Entry]) -> Result<()>;
    /// (sink, status, count).
    fn summary(&mut self) -> Result<Vec<(String, String, i64)>>;
    fn failures(&mut self) -> Result<Vec<Failure>>;
    /// The last `n` runs, newest first.
    fn runs(&mut self, n: i64) -> Result<Vec<RunRow>>;
    /// Every journaled delivery, read-only, in (recordID, sink) order.
    fn deliveries(&mut self) -> Result<Vec<Delivery>>;
    /// The same deliveries in the same order, handed to `each` one at a
    /// time (the HTML report: memory does not grow with the journal).
    fn each_delivery(&mut self, each: &mut dyn FnMut(Delivery)) -> Result<()> {
        self.deliveries()?.into_iter().for_each(each);
        Ok(())
    }
    /// `undo` reverted these deliveries of `sink` ((recordID, what undo
    /// did)): they become `undone` (their data is kept, as history) and a
    /// later run delivers them again. One transaction.
    fn mark_undone(&mut self, sink: &str, entries: &[(String, String)]) -> Result<()>;
}

/// One row of the journal: the last outcome of one recording at one sink.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub record_id: String,
    pub sink: String,
    /// `done`, `skipped`, `failed` or `undone`.
    pub status: String,
    pub detail: String,
    /// What the sink wrote (its JSON), already redacted.
    pub data: String,
    /// `;`-joined usernames.
    pub owners: String,
    pub attempts: i64,
    pub run_id: i64,
    pub updated_at: String,
}

/// Refuses a journal written by a newer bbb-migrate (its meaning may have changed).
pub fn check_version(at: &str, found: i64) -> Result<()> {
    if found > SCHEMA_VERSION {
        bail!(
            "journal {at}: schema version {found} is newer than this bbb-migrate's ({SCHEMA_VERSION}); use a newer bbb-migrate"
        );
    }
    Ok(())
}

/// Refuses a journal created by another pipeline, unless forced. Returns
/// whether the stored fingerprint must be (re)written.
pub fn check_pipeline(at: &str, stored: Option<&str>, current: &str, force: bool) -> Result<bool> {
    match stored {
        None => Ok(true),
        Some(s) if s == current => Ok(false),
        Some(_) if force => Ok(true),
        Some(s) => bail!(
            "journal {at} belongs to another pipeline ({s}), not this one ({current}); use another journal, or --force to take it over"
        ),
    }
}

/// Opens (creating or upgrading) the journal for a run that writes.
pub fn open(at: &JournalAt, fingerprint: &str, force: bool) -> Result<Box<dyn Journal>> {
    Ok(match at {
        JournalAt::File(p) => Box::new(SqliteJournal::open(p, fingerprint, force)?),
        JournalAt::Postgres(u) => Box::new(PgJournal::open(u, fingerprint, force)?),
    })
}

/// Opens an existing journal without writing to it (dry run, status); `None`
/// if there is none yet. Checks the version and, with a fingerprint, the pipeline.
pub fn open_read_only(at: &JournalAt, fingerprint: Option<&str>, force: bool) -> Result<Option<Box<dyn Journal>>> {
    Ok(match at {
        JournalAt::File(p) => SqliteJournal::open_read_only(p, fingerprint, force)?.map(|j| Box::new(j) as _),
        JournalAt::Postgres(u) => PgJournal::open_read_only(u, fingerprint, force)?.map(|j| Box::new(j) as _),
    })
}

/// Before a run writes anything: the journal is reachable, not newer than
/// this binary, and this pipeline's (unless forced). Writes nothing (SQLite
/// may roll back a commit a killed run left half done).
pub fn check_before_run(at: &JournalAt, fingerprint: &str, force: bool, dry_run: bool) -> Result<()> {
    match at {
        JournalAt::File(p) if !dry_run => SqliteJournal::check_before_run(p, fingerprint, force),
        _ => open_read_only(at, Some(fingerprint), force).map(|_| ()),
    }
}
