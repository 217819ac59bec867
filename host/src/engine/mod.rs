//! The pipeline: list (every source) → select → resolve (the chain, once
//! per recording) → deliver (every sink works its own queue, see
//! [`pipeline`]), journaled batch by batch.
//!
//! Plugin calls are synchronous (see `plugin_api` on the async model): the
//! engine calls them from plain threads — the resolver chain in one, every
//! sink in `threads` of its own — and never from inside an async context.

mod deliver;
mod fleet;
mod journal;
mod journal_pg;
mod listing;
mod pipeline;
mod report;
mod resolve;
mod select;
pub mod store;
#[cfg(test)]
mod tests;
pub mod undo;

pub use journal::{journal_in_use, prepare_path as prepare_journal_path, Delivery};
pub use journal_pg::PgJournal;
pub use report::{not_drawn_of, Report};
/// The resolver chain, for `survey --resolve` (read-only use outside a run).
pub use resolve::{resolve as resolve_chain, Owners as ChainAnswer};
pub use store::Journal;

use crate::config::{JournalAt, Pipeline};
use crate::plugins::Instances;
use crate::progress::Progress;
use anyhow::{anyhow, Result};
use deliver::Delivered;
use listing::{Key, Listing, Selected, Spool};
use report::{Counts, Line};
use resolve::Owners;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// Command-line choices for one run.
#[derive(Debug, Default, Clone)]
pub struct RunOptions {
    pub dry_run: bool,
    pub from: Option<usize>,
    pub to: Option<usize>,
    pub records: Vec<String>,
    /// The engine before pipelining: every sink joined at the end of every
    /// batch (kept for the benchmark that compares both).
    pub batch_join: bool,
    /// `bbb-migrate worker`: no listing, only claim and work (PostgreSQL journal).
    pub worker_only: bool,
    /// Use a journal that another pipeline (other sources or sinks) created.
    pub force: bool,
}

const SOURCE_BATCH: u32 = 500;

/// Lists every source to the end into a spool file (see [`listing`]).
/// Rejected recordings become failures.
fn list(inst: &Instances, report: &mut Report, progress: &Progress) -> Result<(Listing, Vec<Key>)> {
    let mut seen = HashSet::new();
    let mut spool = Spool::new()?;
    let mut keys = Vec::new();
    for source in &inst.sources {
        while let Some(batch) = source.next_batch(SOURCE_BATCH)? {
            for (record_id, detail) in batch.rejected {
                report.failures.push(Line { record_id, component: source.name().to_string(), detail });
            }
            for mut r in batch.recordings {
                if seen.insert(r.record_id.to_string()) {
                    r.source = source.name().into();
                    keys.push(spool.push(&r)?);
                } else {
                    tracing::debug!("{}: listed twice, kept the first", r.record_id);
                }
            }
            progress.message(&format!("listed {} recordings", keys.len()));
        }
    }
    keys.shrink_to_fit();
    Ok((spool.finish()?, keys))
}

/// Runs the pipeline. Returns the report (failures inside it); `Err` only
/// for what stops the whole run (a source that cannot list, the journal).
pub fn run(p: &Pipeline, inst: &Instances, opts: &RunOptions, progress: &Progress) -> Result<Report> {
    let mut report = Report {
        dry_run: opts.dry_run,
        config: p.file.display().to_string(),
        started_at: chrono::Utc::now().to_rfc3339(),
        ..Default::default()
    };
    // One run per journal (whatever the pipeline file); the lock writes nothing.
    // Nothing is written (journal included) until every source has listed and
    // every sink has prepared. On a first run (no lock file yet) the lock is
    // taken before the journal is created. A fleet on a PostgreSQL journal
    // cooperates through leases instead.
    let fleet = matches!(p.journal, JournalAt::Postgres(_)) && !opts.dry_run;
    let mut lock = match &p.journal {
        JournalAt::File(f) if !opts.dry_run => journal::lock_existing(f)?,
        _ => None,
    };
    anyhow::ensure!(!opts.worker_only || fleet, "`worker` needs a PostgreSQL journal (journal = \"postgres://…\")");

    let selected = if opts.worker_only {
        None
    } else {
        let (listing, listed) = list(inst, &mut report, progress)?;
        let mut sel = p.select.clone();
        sel.from = opts.from.or(sel.from);
        sel.to = opts.to.or(sel.to);
        let (keys, selection) = select::select(listed, &sel, &opts.records);
        report.selection = selection;
        Some(Selected { listing, keys })
    };
    if fleet {
        fleet::run(p, inst, selected.as_ref(), opts.force, &mut report, progress)?;
        close(inst);
        report.finished_at = chrono::Utc::now().to_rfc3339();
        return Ok(report);
    }
    let Selected { listing, keys: selected } = selected.expect("only a fleet worker lists nothing");

    for sink in &inst.sinks {
        let notes = sink.prepare()?;
        report.notes.extend(notes.into_iter().map(|n| format!("{}: {n}", sink.name())));
    }

    if let (JournalAt::File(f), false, None) = (&p.journal, opts.dry_run, &lock) {
        lock = Some(journal::lock_journal(f)?);
    }
    let _lock = lock;
    // A dry run opens the journal read-only (to say what is already done) and writes nothing.
    let fp = p.fingerprint();
    let mut journal = if opts.dry_run {
        store::open_read_only(&p.journal, Some(&fp), opts.force)?
    } else {
        Some(store::open(&p.journal, &fp, opts.force)?)
    };
    let run_id = match (&mut journal, opts.dry_run) {
        (Some(j), false) => Some(j.start_run(&p.file.display().to_string(), "")?),
        _ => None,
    };
    report.run_id = run_id;

    let mut finished: HashMap<String, HashSet<String>> = HashMap::new();
    for sink in &inst.sinks {
        let set = match &mut journal {
            Some(j) => j.finished(sink.name())?,
            None => HashSet::new(),
        };
        finished.insert(sink.name().to_string(), set);
        report.sinks.insert(sink.name().to_string(), Counts::default());
    }

    let journal = Mutex::new(journal);
    progress.sinks(inst.sinks.iter().map(|s| (s.name(), 0)));
    progress.start(selected.len() as u64);
    if opts.batch_join {
        for chunk in selected.chunks(p.batch_size) {
            deliver_batch(p, inst, &listing, chunk, &finished, &journal, run_id, &mut report)?;
            progress.sinks(report.sinks.iter().map(|(s, c)| (s.as_str(), c.done + c.skipped + c.failed + c.planned)));
            progress.inc(chunk.len() as u64);
        }
    } else {
        let pending = |sink: &str, id: &str| !finished[sink].contains(id);
        for sink in &inst.sinks {
            report.sinks.get_mut(sink.name()).expect("every sink has counts").already_done +=
                selected.iter().filter(|r| !pending(sink.name(), &r.record_id)).count();
        }
        let needed: Vec<Key> =
            selected.into_iter().filter(|r| inst.sinks.iter().any(|s| pending(s.name(), &r.record_id))).collect();
        progress.inc((report.selection.selected - needed.len()) as u64);
        let (resolved, per_sink) =
            pipeline::deliver_all(p, inst, &listing, &needed, &finished, &journal, run_id, progress)?;
        report.resolver_notes.extend(resolved.notes);
        report.fallback_owner += resolved.fallback_owner;
        report.audience = resolved.audience;
        for (sink, d) in inst.sinks.iter().zip(per_sink) {
            report.add(sink.name(), d);
        }
    }
    progress.finish();

    for sink in &inst.sinks {
        match sink.finish() {
            Ok(notes) => report.notes.extend(notes.into_iter().map(|n| format!("{}: {n}", sink.name()))),
            Err(e) => report.failures.push(Line {
                record_id: "*".into(),
                component: sink.name().to_string(),
                detail: format!("{e:#}"),
            }),
        }
    }
    close(inst);
    report.finished_at = chrono::Utc::now().to_rfc3339();
    if let (Some(mut j), Some(run)) = (journal.into_inner().unwrap_or_else(|p| p.into_inner()), run_id) {
        j.finish_run(run, if report.has_failures() { "failed" } else { "ok" })?;
    }
    Ok(report)
}

/// Closes sources and resolvers (errors are only logged).
fn close(inst: &Instances) {
    inst.close_readers();
}

/// The batch-join engine (`--batch-join`, for comparison): resolves one batch
/// and hands it to every sink that has not finished it, every sink in its own
/// thread, all joined at the end of the batch.
#[allow(
    clippy::too_many_arguments,
    reason = "the run's parts one batch needs, each from another owner; a struct would only repackage them at the one call site"
)]
fn deliver_batch(
    p: &Pipeline,
    inst: &Instances,
    listing: &Listing,
    chunk: &[Key],
    finished: &HashMap<String, HashSet<String>>,
    journal: &Mutex<Option<Box<dyn Journal>>>,
    run_id: Option<i64>,
    report: &mut Report,
) -> Result<()> {
    let pending = |sink: &str, id: &str| !finished[sink].contains(id);
    let needed: Vec<Key> =
        chunk.iter().filter(|r| inst.sinks.iter().any(|s| pending(s.name(), &r.record_id))).cloned().collect();
    for c in &inst.sinks {
        report.sinks.get_mut(c.name()).expect("every sink has counts").already_done +=
            chunk.iter().filter(|r| !pending(c.name(), &r.record_id)).count();
    }
    if needed.is_empty() {
        return Ok(());
    }
    let needed = listing.read(&needed)?;
    let (owners, notes) = resolve::resolve(inst, &needed, &p.fallback);
    report.resolver_notes.extend(notes);
    report.fallback_owner += owners.iter().filter(|o| matches!(o, Owners::Found(i) if i.fallback)).count();
    crate::report_html::tally(&mut report.audience, &needed, &owners);

    let results: Vec<Result<Delivered>> = std::thread::scope(|scope| {
        let handles: Vec<_> = inst
            .sinks
            .iter()
            .map(|sink| {
                let owners = &owners;
                scope.spawn(move || -> Result<Delivered> {
                    let mine: Vec<&Owners> = owners.iter().filter(|o| pending(sink.name(), o.record_id())).collect();
                    let mut done = deliver::deliver(sink, &mine);
                    if let (Some(run), Some(j)) = (run_id, journal.lock().unwrap_or_else(|p| p.into_inner()).as_mut()) {
                        j.record(run, sink.name(), &std::mem::take(&mut done.entries))?;
                    }
                    Ok(done)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(anyhow!("a sink thread panicked")))).collect()
    });
    for (sink, r) in inst.sinks.iter().zip(results) {
        report.add(sink.name(), r?);
    }
    Ok(())
}
