//! The end of a migration: `undo` (revert what the journal says each sink
//! wrote), `pending` (what owners have not taken over yet) and `retire`
//! (remove what points at the old servers once they are gone).
//!
//! The journal says what each sink wrote (its `data`); the sink reverts it
//! ([`plugin_api::LifecycleOp`]), one transaction per (recording, sink),
//! newest delivery first. A reverted delivery becomes `undone` in the
//! journal, right after the sink answered: a run killed in between sends it
//! again, and the sink finds nothing left of it (`SKIPPED`), so every
//! delivery is reverted exactly once. A later `run` delivers `undone`
//! recordings again.
use super::store::{self, Delivery};
use super::{journal, Journal};
use crate::config::{JournalAt, Pipeline};
use crate::plugins::handle::{Sink, Status};
use crate::plugins::Instances;
use anyhow::{bail, Result};
use plugin_api::abi::{Delivered, LifecycleOp};
use serde::Serialize;
use std::collections::BTreeMap;

/// How many deliveries one plugin call carries (each still its own transaction).
const CHUNK: usize = 20;

/// Which deliveries `undo` reverts.
#[derive(Debug, Default, Clone)]
pub struct UndoOptions {
    /// Only these sinks (by name); all when empty.
    pub sinks: Vec<String>,
    /// Only these recordIDs; all when empty.
    pub records: Vec<String>,
    /// Only what this run delivered.
    pub run: Option<i64>,
    pub dry_run: bool,
}

/// What happened to one delivery.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub record_id: String,
    pub sink: String,
    /// `undone`, `nothing-left`, `kept`, `removed`, `pending`, `planned`, `failed`, `unsupported`.
    pub result: &'static str,
    pub detail: String,
}

/// Every answer of one command, in the order the deliveries were handled.
#[derive(Debug, Default, Serialize)]
pub struct Answers {
    pub answers: Vec<Answer>,
}

impl Answers {
    pub fn count(&self, result: &str) -> usize {
        self.answers.iter().filter(|a| a.result == result).count()
    }
    /// Something was not done (a failure, a sink that cannot).
    pub fn has_failures(&self) -> bool {
        self.answers.iter().any(|a| matches!(a.result, "failed" | "unsupported"))
    }
}

/// The journal's `done` deliveries of `sink`, as the plugin gets them.
fn delivered(d: &Delivery) -> Delivered {
    Delivered {
        record_id: d.record_id.as_str().into(),
        data_json: d.data.as_str().into(),
        owners: d.owners.as_str().into(),
        extra_json: Default::default(),
    }
}

/// Refuses a `--sink` the pipeline does not have.
pub fn check_sinks(inst: &Instances, wanted: &[String]) -> Result<()> {
    for w in wanted {
        if !inst.sinks.iter().any(|s| s.name() == w) {
            let names: Vec<&str> = inst.sinks.iter().map(|s| s.name()).collect();
            bail!("--sink {w}: no sink of that name in the pipeline (sinks: {})", names.join(", "));
        }
    }
    Ok(())
}

/// `done` deliveries matching the options, newest first.
fn selected(all: Vec<Delivery>, opts: &UndoOptions) -> Vec<Delivery> {
    let mut v: Vec<Delivery> = all
        .into_iter()
        .filter(|d| d.status == "done")
        .filter(|d| opts.sinks.is_empty() || opts.sinks.contains(&d.sink))
        .filter(|d| opts.records.is_empty() || opts.records.contains(&d.record_id))
        .filter(|d| opts.run.is_none_or(|r| d.run_id == r))
        .collect();
    v.sort_by(|a, b| (&b.updated_at, b.run_id, &b.record_id).cmp(&(&a.updated_at, a.run_id, &a.record_id)));
    v
}

/// Runs of consecutive deliveries of one sink (the newest-first order is kept).
fn runs_of_one_sink(v: &[Delivery]) -> Vec<&[Delivery]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=v.len() {
        if i == v.len() || v[i].sink != v[start].sink || i - start == CHUNK {
            if start < i {
                out.push(&v[start..i]);
            }
            start = i;
        }
    }
    out
}

fn sink_of<'a>(inst: &'a Instances, name: &str) -> Option<&'a Sink> {
    inst.sinks.iter().find(|s| s.name() == name)
}

/// `bbb-migrate undo`. `Err` only for what stops it all (the journal).
pub fn undo(p: &Pipeline, fingerprint: &str, inst: &Instances, opts: &UndoOptions) -> Result<Answers> {
    check_sinks(inst, &opts.sinks)?;
    let _lock = match &p.journal {
        JournalAt::File(f) if !opts.dry_run && f.exists() => Some(journal::lock_journal(f)?),
        _ => None,
    };
    let Some(ro) = store::open_read_only(&p.journal, Some(fingerprint), false)? else {
        return Ok(Answers::default());
    };
    let mut j: Box<dyn Journal> = if opts.dry_run {
        ro
    } else {
        drop(ro);
        store::open(&p.journal, fingerprint, false)?
    };
    let todo = selected(j.deliveries()?, opts);
    let mut out = Answers::default();
    for chunk in runs_of_one_sink(&todo) {
        let name = chunk[0].sink.as_str();
        let answer = |d: &Delivery, result: &'static str, detail: String| Answer {
            record_id: d.record_id.clone(),
            sink: name.to_string(),
            result,
            detail,
        };
        let Some(sink) = sink_of(inst, name).filter(|s| s.supports(LifecycleOp::UNDO)) else {
            let why = if sink_of(inst, name).is_some() {
                "this sink cannot undo (not undone; revert it by hand)".to_string()
            } else {
                format!("no sink `{name}` in the pipeline any more (not undone)")
            };
            out.answers.extend(chunk.iter().map(|d| answer(d, "unsupported", why.clone())));
            continue;
        };
        let items: Vec<Delivered> = chunk.iter().map(delivered).collect();
        let written = match sink.lifecycle(LifecycleOp::UNDO, &items) {
            Ok(w) => w,
            Err(e) => {
                let msg = format!("{e:#}");
                out.answers.extend(chunk.iter().map(|d| answer(d, "failed", msg.clone())));
                continue;
            }
        };
        let mut undone = Vec::new();
        for (d, w) in chunk.iter().zip(written) {
            let result = match w.status {
                Status::Done => "undone",
                Status::Skipped => "nothing-left",
                Status::Planned => "planned",
                Status::Failed => "failed",
            };
            if matches!(w.status, Status::Done | Status::Skipped) {
                undone.push((d.record_id.clone(), format!("undone: {}", w.detail)));
            }
            out.answers.push(answer(d, result, w.detail));
        }
        if !opts.dry_run && !undone.is_empty() {
            j.mark_undone(name, &undone)?;
        }
    }
    Ok(out)
}

/// One thing an owner has not taken over yet.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct PendingItem {
    pub record_id: String,
    pub sink: String,
    /// `external` (a Pod external recording not uploaded), `claim` (a file not claimed).
    pub kind: String,
    pub what: String,
}

/// One owner and what they still have to take over.
#[derive(Debug, Clone, Serialize)]
pub struct PendingOwner {
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub count: usize,
    pub items: Vec<PendingItem>,
}

/// `bbb-migrate pending`: per owner, what the migration made that they have
/// not taken over yet. Reads only. Failures (a sink that could not answer)
/// are in the second value.
pub fn pending(p: &Pipeline, inst: &Instances) -> Result<(Vec<PendingOwner>, Answers)> {
    let mut failures = Answers::default();
    let Some(mut j) = store::open_read_only(&p.journal, None, false)? else { return Ok((Vec::new(), failures)) };
    let todo = selected(j.deliveries()?, &UndoOptions::default());
    let mut owners: BTreeMap<(String, String, String, String), Vec<PendingItem>> = BTreeMap::new();
    for chunk in runs_of_one_sink(&todo) {
        let name = chunk[0].sink.as_str();
        let Some(sink) = sink_of(inst, name).filter(|s| s.supports(LifecycleOp::PENDING)) else { continue };
        let items: Vec<Delivered> = chunk.iter().map(delivered).collect();
        match sink.lifecycle(LifecycleOp::PENDING, &items) {
            Err(e) => failures.answers.extend(chunk.iter().map(|d| Answer {
                record_id: d.record_id.clone(),
                sink: name.to_string(),
                result: "failed",
                detail: format!("{e:#}"),
            })),
            Ok(written) => {
                for (d, w) in chunk.iter().zip(written) {
                    match w.status {
                        Status::Done => {
                            let v: serde_json::Value = serde_json::from_str(&w.data).unwrap_or_default();
                            let s = |x: &serde_json::Value, k: &str| x[k].as_str().unwrap_or_default().to_string();
                            for it in v["items"].as_array().into_iter().flatten() {
                                owners
                                    .entry((s(it, "username"), s(it, "email"), s(it, "first_name"), s(it, "last_name")))
                                    .or_default()
                                    .push(PendingItem {
                                        record_id: d.record_id.clone(),
                                        sink: name.to_string(),
                                        kind: s(it, "kind"),
                                        what: s(it, "what"),
                                    });
                            }
                        }
                        Status::Failed => failures.answers.push(Answer {
                            record_id: d.record_id.clone(),
                            sink: name.to_string(),
                            result: "failed",
                            detail: w.detail,
                        }),
                        _ => {}
                    }
                }
            }
        }
    }
    let list = owners
        .into_iter()
        .map(|((username, email, first_name, last_name), mut items)| {
            items.sort();
            PendingOwner { username, email, first_name, last_name, count: items.len(), items }
        })
        .collect();
    Ok((list, failures))
}

/// `bbb-migrate retire`: every sink that can retire gets its `done`
/// deliveries. Writes nothing in the journal (idempotent: the sink finds
/// what is already gone).
pub fn retire(p: &Pipeline, inst: &Instances) -> Result<Answers> {
    let mut out = Answers::default();
    let Some(mut j) = store::open_read_only(&p.journal, None, false)? else { return Ok(out) };
    let todo = selected(j.deliveries()?, &UndoOptions::default());
    for chunk in runs_of_one_sink(&todo) {
        let name = chunk[0].sink.as_str();
        let Some(sink) = sink_of(inst, name).filter(|s| s.supports(LifecycleOp::RETIRE)) else { continue };
        let items: Vec<Delivered> = chunk.iter().map(delivered).collect();
        let answer = |d: &Delivery, result: &'static str, detail: String| Answer {
            record_id: d.record_id.clone(),
            sink: name.to_string(),
            result,
            detail,
        };
        match sink.lifecycle(LifecycleOp::RETIRE, &items) {
            Err(e) => out.answers.extend(chunk.iter().map(|d| answer(d, "failed", format!("{e:#}")))),
            Ok(written) => {
                for (d, w) in chunk.iter().zip(written) {
                    let result = match w.status {
                        Status::Done => "removed",
                        Status::Skipped => "kept",
                        Status::Planned => "planned",
                        Status::Failed => "failed",
                    };
                    out.answers.push(answer(d, result, w.detail));
                }
            }
        }
    }
    Ok(out)
}

/// Lines for `check`: which of undo, pending, retire the sink offers.
pub fn check_lines(sink: &Sink) -> Vec<String> {
    let yes_no = |op: LifecycleOp| format!("{} {}", op.label(), if sink.supports(op) { "yes" } else { "no" });
    let mut line = format!("end of migration: {}", LifecycleOp::ALL.map(yes_no).join(", "));
    if !sink.supports(LifecycleOp::UNDO) {
        line.push_str(" (this sink cannot undo: `bbb-migrate undo` reports its deliveries as not undone)");
    }
    vec![line]
}
