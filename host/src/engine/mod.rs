//! The pipeline: list (every source) → select → resolve (the chain) →
//! deliver (every sink), a batch at a time, journaled.
//!
//! Plugin calls are synchronous (see `plugin_api` on the async model): the
//! engine calls them from plain threads — every sink of a batch in its own
//! scoped thread, so a slow sink (downloads, renders) does not hold the
//! others — and never from inside an async context.

mod journal;
mod report;
mod resolve;
mod select;

pub use journal::{journal_in_use, prepare_path as prepare_journal_path, Delivery, Journal};
pub use report::{not_drawn_of, Report};
/// The resolver chain, for `survey --resolve` (read-only use outside a run).
pub use resolve::{resolve as resolve_chain, Owners as ChainAnswer};

use crate::config::Pipeline;
use crate::plugins::Instances;
use crate::progress::Progress;
use crate::redact::Redactor;
use anyhow::{anyhow, Result};
use journal::Entry;
use plugin_api::abi::{OutcomeStatus, Recording, SinkItem};
use plugin_api::abi_stable::std_types::RSlice;
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
}

const SOURCE_BATCH: u32 = 500;

/// Lists every source to the end. Rejected recordings become failures.
fn list(inst: &Instances, report: &mut Report, redactor: &Redactor, progress: &Progress) -> Result<Vec<Recording>> {
    let mut seen = HashSet::new();
    let mut all = Vec::new();
    for (c, source) in &inst.sources {
        loop {
            let batch = source
                .next_batch(SOURCE_BATCH)
                .into_result()
                .map_err(|e| anyhow!("source `{}`: {}", c.name, redactor.redact(e.message.as_str())))?;
            let Some(batch) = batch.into_option() else { break };
            for rej in batch.rejected {
                report.failures.push(Line {
                    record_id: rej.record_id.to_string(),
                    component: c.name.clone(),
                    detail: redactor.redact(rej.message.as_str()),
                });
            }
            for mut r in batch.recordings {
                if seen.insert(r.record_id.to_string()) {
                    r.source = c.name.as_str().into();
                    all.push(r);
                } else {
                    tracing::debug!("{}: listed twice, kept the first", r.record_id);
                }
            }
            progress.message(&format!("listed {} recordings", all.len()));
        }
    }
    Ok(all)
}

fn owners_text(item: &SinkItem) -> String {
    item.owners.iter().map(|o| o.username.as_str()).collect::<Vec<_>>().join(";")
}

/// Runs the pipeline. Returns the report (failures inside it); `Err` only
/// for what stops the whole run (a source that cannot list, the journal).
pub fn run(
    p: &Pipeline,
    inst: &Instances,
    opts: &RunOptions,
    redactor: &Redactor,
    progress: &Progress,
) -> Result<Report> {
    let mut report = Report {
        dry_run: opts.dry_run,
        config: p.file.display().to_string(),
        started_at: chrono::Utc::now().to_rfc3339(),
        ..Default::default()
    };
    // One run per journal (whatever the pipeline file). Nothing else is written
    // until every source has listed and every sink has prepared.
    // On a first run (no lock file yet) the lock is taken before the journal is created.
    let mut lock = if opts.dry_run { None } else { journal::lock_existing(&p.journal)? };

    let listed = list(inst, &mut report, redactor, progress)?;
    let mut sel = p.select.clone();
    sel.from = opts.from.or(sel.from);
    sel.to = opts.to.or(sel.to);
    let (selected, selection) = select::select(listed, &sel, &opts.records);
    report.selection = selection;

    for (c, sink) in &inst.sinks {
        match sink.prepare().into_result() {
            Ok(notes) => {
                report.notes.extend(notes.into_iter().map(|n| format!("{}: {}", c.name, redactor.redact(n.as_str()))))
            }
            Err(e) => return Err(anyhow!("sink `{}`: {}", c.name, redactor.redact(e.message.as_str()))),
        }
    }

    if !opts.dry_run && lock.is_none() {
        lock = Some(journal::lock_journal(&p.journal)?);
    }
    let _lock = lock;
    // A dry run opens the journal read-only (to say what is already done) and writes nothing.
    let journal = if opts.dry_run { Journal::open_read_only(&p.journal)? } else { Some(Journal::open(&p.journal)?) };
    let run_id = match (&journal, opts.dry_run) {
        (Some(j), false) => Some(j.start_run(&p.file.display().to_string())?),
        _ => None,
    };
    report.run_id = run_id;

    let mut finished: HashMap<String, HashSet<String>> = HashMap::new();
    for (c, _) in &inst.sinks {
        let set = match &journal {
            Some(j) => j.finished(&c.name)?,
            None => HashSet::new(),
        };
        finished.insert(c.name.clone(), set);
        report.sinks.insert(c.name.clone(), Counts::default());
    }

    let journal = Mutex::new(journal);
    progress.start(selected.len() as u64);
    for chunk in selected.chunks(p.batch_size) {
        deliver_batch(p, inst, chunk, &finished, &journal, run_id, &mut report, redactor)?;
        progress.sinks(report.sinks.iter().map(|(s, c)| (s.as_str(), c.done + c.skipped + c.failed + c.planned)));
        progress.inc(chunk.len() as u64);
    }
    progress.finish();

    for (c, sink) in &inst.sinks {
        match sink.finish().into_result() {
            Ok(notes) => {
                report.notes.extend(notes.into_iter().map(|n| format!("{}: {}", c.name, redactor.redact(n.as_str()))))
            }
            Err(e) => report.failures.push(Line {
                record_id: "*".into(),
                component: c.name.clone(),
                detail: redactor.redact(&format!("finish: {}", e.message)),
            }),
        }
    }
    for (c, s) in &inst.sources {
        if let Err(e) = s.close().into_result() {
            tracing::warn!("source `{}`: close: {}", c.name, redactor.line(e.message.as_str()));
        }
    }
    for (c, r) in &inst.resolvers {
        if let Err(e) = r.close().into_result() {
            tracing::warn!("resolver `{}`: close: {}", c.name, redactor.line(e.message.as_str()));
        }
    }
    report.finished_at = chrono::Utc::now().to_rfc3339();
    if let (Some(j), Some(run)) = (journal.into_inner().unwrap_or_else(|p| p.into_inner()), run_id) {
        j.finish_run(run, if report.has_failures() { "failed" } else { "ok" })?;
    }
    Ok(report)
}

/// Resolves one batch and hands it to every sink that has not finished it.
#[allow(clippy::too_many_arguments)]
fn deliver_batch(
    p: &Pipeline,
    inst: &Instances,
    chunk: &[Recording],
    finished: &HashMap<String, HashSet<String>>,
    journal: &Mutex<Option<Journal>>,
    run_id: Option<i64>,
    report: &mut Report,
    redactor: &Redactor,
) -> Result<()> {
    let pending = |sink: &str, id: &str| !finished[sink].contains(id);
    let needed: Vec<Recording> = chunk
        .iter()
        .filter(|r| inst.sinks.iter().any(|(c, _)| pending(&c.name, r.record_id.as_str())))
        .cloned()
        .collect();
    for (c, _) in &inst.sinks {
        report.sinks.get_mut(&c.name).expect("every sink has counts").already_done +=
            chunk.iter().filter(|r| !pending(&c.name, r.record_id.as_str())).count();
    }
    if needed.is_empty() {
        return Ok(());
    }
    let (owners, notes) = resolve::resolve(inst, &needed, &p.fallback, redactor);
    report.resolver_notes.extend(notes);
    report.fallback_owner += owners.iter().filter(|o| matches!(o, Owners::Found(i) if i.fallback)).count();
    crate::report_html::tally(&mut report.audience, &needed, &owners);

    // Per sink: counts, failures, planned and "not drawn" lines.
    type SinkLines = (Counts, Vec<Line>, Vec<Line>, Vec<Line>);
    let results: Vec<Result<SinkLines>> = std::thread::scope(|scope| {
        let handles: Vec<_> = inst
            .sinks
            .iter()
            .map(|(c, sink)| {
                let owners = &owners;
                let needed = &needed;
                scope.spawn(move || -> Result<SinkLines> {
                    let mut counts = Counts::default();
                    let (mut failures, mut planned, mut not_drawn) = (Vec::new(), Vec::new(), Vec::new());
                    let mut entries: Vec<(String, &'static str, String, String, String)> = Vec::new();
                    let mut items = Vec::new();
                    for (rec, o) in needed.iter().zip(owners) {
                        if !pending(&c.name, rec.record_id.as_str()) {
                            continue;
                        }
                        match o {
                            Owners::Found(item) => items.push(item.clone()),
                            Owners::Failed(msg) => {
                                counts.failed += 1;
                                failures.push(Line {
                                    record_id: rec.record_id.to_string(),
                                    component: c.name.clone(),
                                    detail: msg.clone(),
                                });
                                entries.push((
                                    rec.record_id.to_string(),
                                    "failed",
                                    msg.clone(),
                                    String::new(),
                                    String::new(),
                                ));
                            }
                        }
                    }
                    if !items.is_empty() {
                        match sink.write(RSlice::from_slice(&items)).into_result() {
                            Ok(outcomes) => {
                                for (item, o) in items.iter().zip(outcomes.iter()) {
                                    let id = item.recording.record_id.to_string();
                                    let detail = redactor.redact(o.detail.as_str());
                                    let status = match o.status {
                                        OutcomeStatus::DONE => {
                                            counts.done += 1;
                                            "done"
                                        }
                                        OutcomeStatus::SKIPPED => {
                                            counts.skipped += 1;
                                            "skipped"
                                        }
                                        OutcomeStatus::PLANNED => {
                                            counts.planned += 1;
                                            planned.push(Line {
                                                record_id: id.clone(),
                                                component: c.name.clone(),
                                                detail: detail.clone(),
                                            });
                                            continue;
                                        }
                                        _ => {
                                            counts.failed += 1;
                                            failures.push(Line {
                                                record_id: id.clone(),
                                                component: c.name.clone(),
                                                detail: detail.clone(),
                                            });
                                            "failed"
                                        }
                                    };
                                    let data = redactor.redact(o.data_json.as_str());
                                    not_drawn.extend(report::not_drawn_of(&data).into_iter().map(|what| Line {
                                        record_id: id.clone(),
                                        component: c.name.clone(),
                                        detail: what,
                                    }));
                                    entries.push((id, status, detail, data, owners_text(item)));
                                }
                            }
                            Err(e) => {
                                let msg = redactor.redact(&format!("sink `{}`: {}", c.name, e.message));
                                tracing::error!("{}", plugin_api::sdk::text::escape_line(&msg));
                                for item in &items {
                                    counts.failed += 1;
                                    let id = item.recording.record_id.to_string();
                                    failures.push(Line {
                                        record_id: id.clone(),
                                        component: c.name.clone(),
                                        detail: msg.clone(),
                                    });
                                    entries.push((id, "failed", msg.clone(), String::new(), owners_text(item)));
                                }
                            }
                        }
                    }
                    if let (Some(run), Some(j)) = (run_id, journal.lock().unwrap_or_else(|p| p.into_inner()).as_mut()) {
                        let rows: Vec<Entry<'_>> = entries
                            .iter()
                            .map(|(id, st, d, data, own)| Entry {
                                record_id: id,
                                status: st,
                                detail: d,
                                data,
                                owners: own,
                            })
                            .collect();
                        j.record(run, &c.name, &rows)?;
                    }
                    Ok((counts, failures, planned, not_drawn))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(anyhow!("a sink thread panicked")))).collect()
    });
    for ((c, _), r) in inst.sinks.iter().zip(results) {
        let (counts, failures, planned, not_drawn) = r?;
        let total = report.sinks.get_mut(&c.name).expect("every sink has counts");
        total.done += counts.done;
        total.skipped += counts.skipped;
        total.failed += counts.failed;
        total.planned += counts.planned;
        report.failures.extend(failures);
        report.planned.extend(planned);
        report.not_drawn.extend(not_drawn);
    }
    Ok(())
}
