//! The typed host boundary: one wrapper per plugin handle. Each knows its
//! component (name, where it is in the pipeline file), owns the FFI object,
//! redacts everything the plugin says, and checks the shape of its answers
//! (one answer per item, for the same recording, in order). The engine and
//! the CLI see plain Rust results; `abi_stable` stops here.
use crate::config::Component;
use crate::redact::Redactor;
use anyhow::{anyhow, bail, Result};
use plugin_api::abi::{
    Delivered, LifecycleOp, Outcome, OutcomeStatus, Owner, PluginError, Recording, ResolutionKind, ResolverBox,
    SinkBox, SinkItem, SourceBox,
};
use plugin_api::abi_stable::std_types::{RResult, RSlice, RString, RVec};

/// One batch listed by a source.
pub struct Listed {
    pub recordings: Vec<Recording>,
    /// (recordID, why) of entries the source had to reject.
    pub rejected: Vec<(String, String)>,
}

/// A resolver's answer for one recording.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Owners found (never empty), and the resolver's note (what it skipped; maybe empty).
    Resolved(Vec<Owner>, String),
    /// Not known: the next resolver is asked. The note (maybe empty) says why.
    Unknown(String),
    /// The resolver could not answer (its database is down): the recording fails this run.
    Failed(String),
}

/// What a sink did with one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Done,
    Skipped,
    Failed,
    Planned,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
            Status::Planned => "planned",
        }
    }
}

/// A sink's outcome for one item, redacted.
#[derive(Debug, Clone)]
pub struct Written {
    pub status: Status,
    pub detail: String,
    pub data: String,
}

/// What every handle shares: the component and the redactor.
struct Named {
    component: Component,
    redactor: Redactor,
}

impl Named {
    /// `kind `name`: message`, redacted, as an error.
    fn error(&self, kind: &str, call: &str, e: &PluginError) -> anyhow::Error {
        anyhow!("{}", self.redactor.redact(&format!("{kind} `{}`: {call}: {}", self.component.name, e.message)))
    }
    fn lines(&self, v: RVec<RString>) -> Vec<String> {
        v.into_iter().map(|s| self.redactor.redact(s.as_str())).collect()
    }
}

/// A plugin's `check()` answer: its lines, or its (redacted) error message.
fn check_answer(n: &Named, r: RResult<RVec<RString>, PluginError>) -> Result<Vec<String>, String> {
    r.into_result().map(|v| n.lines(v)).map_err(|e| n.redactor.redact(e.message.as_str()))
}

/// Refuses an answer list whose length is not the batch's: a missing or
/// extra answer would silently shift every later one to the wrong recording.
fn same_count(kind: &str, name: &str, call: &str, got: usize, expected: usize) -> Result<()> {
    if got != expected {
        bail!(
            "{kind} `{name}`: {call}: answered {got} results for {expected} items (plugin bug); the batch is not used"
        );
    }
    Ok(())
}

pub struct Source {
    n: Named,
    inner: SourceBox,
}

impl Source {
    pub(super) fn new(component: Component, inner: SourceBox, redactor: &Redactor) -> Self {
        Self { n: Named { component, redactor: redactor.clone() }, inner }
    }
    pub fn name(&self) -> &str {
        &self.n.component.name
    }
    /// The next batch, `None` at the end of the listing.
    pub fn next_batch(&self, max: u32) -> Result<Option<Listed>> {
        let batch = self.inner.next_batch(max).into_result().map_err(|e| self.n.error("source", "list", &e))?;
        Ok(batch.into_option().map(|b| Listed {
            recordings: b.recordings.into_iter().collect(),
            rejected: b
                .rejected
                .into_iter()
                .map(|r| (r.record_id.to_string(), self.n.redactor.redact(r.message.as_str())))
                .collect(),
        }))
    }
    pub fn check(&self) -> Result<Vec<String>, String> {
        check_answer(&self.n, self.inner.check())
    }
    pub fn close(&self) -> Result<()> {
        self.inner.close().into_result().map_err(|e| self.n.error("source", "close", &e))
    }
}

pub struct Resolver {
    n: Named,
    inner: ResolverBox,
}

impl Resolver {
    pub(super) fn new(component: Component, inner: ResolverBox, redactor: &Redactor) -> Self {
        Self { n: Named { component, redactor: redactor.clone() }, inner }
    }
    pub fn name(&self) -> &str {
        &self.n.component.name
    }
    /// One answer per recording of `batch`, in order; an answer list of
    /// another length is an error for the whole batch. Owners found are
    /// stamped with this resolver's name; notes are redacted.
    pub fn resolve(&self, batch: &[Recording]) -> Result<Vec<Answer>> {
        let res = self
            .inner
            .resolve(RSlice::from_slice(batch))
            .into_result()
            .map_err(|e| self.n.error("resolver", "resolve", &e))?;
        same_count("resolver", self.name(), "resolve", res.len(), batch.len())?;
        let redact = |s: &RString| self.n.redactor.redact(s.as_str());
        Ok(res
            .into_iter()
            .map(|r| match r.kind {
                ResolutionKind::RESOLVED if !r.owners.is_empty() => Answer::Resolved(
                    r.owners
                        .into_iter()
                        .map(|mut o| {
                            o.resolver = self.name().into();
                            o
                        })
                        .collect(),
                    redact(&r.note),
                ),
                ResolutionKind::FAILED => Answer::Failed(redact(&r.note)),
                _ => Answer::Unknown(redact(&r.note)),
            })
            .collect())
    }
    pub fn check(&self) -> Result<Vec<String>, String> {
        check_answer(&self.n, self.inner.check())
    }
    pub fn close(&self) -> Result<()> {
        self.inner.close().into_result().map_err(|e| self.n.error("resolver", "close", &e))
    }
}

pub struct Sink {
    n: Named,
    inner: SinkBox,
    shared: bool,
    ops: Vec<LifecycleOp>,
}

/// The lifecycle operations a sink declares in `capabilities().extra_json`
/// (`{"lifecycle": ["undo", "pending", "retire"]}`; none before plugin-api 1.2).
fn lifecycle_ops(extra_json: &str) -> Vec<LifecycleOp> {
    let v: serde_json::Value = serde_json::from_str(extra_json).unwrap_or_default();
    let names: Vec<&str> = v
        .get("lifecycle")
        .and_then(|l| l.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default();
    LifecycleOp::ALL.into_iter().filter(|op| names.contains(&op.label())).collect()
}

fn written(n: &Named, o: Outcome) -> Written {
    Written {
        status: match o.status {
            OutcomeStatus::DONE => Status::Done,
            OutcomeStatus::SKIPPED => Status::Skipped,
            OutcomeStatus::PLANNED => Status::Planned,
            _ => Status::Failed,
        },
        detail: n.redactor.redact(o.detail.as_str()),
        data: n.redactor.redact(o.data_json.as_str()),
    }
}

impl Sink {
    pub(super) fn new(component: Component, inner: SinkBox, redactor: &Redactor) -> Self {
        let caps = inner.capabilities();
        let ops = lifecycle_ops(caps.extra_json.as_str());
        Self { n: Named { component, redactor: redactor.clone() }, inner, shared: caps.shared_writers, ops }
    }
    pub fn name(&self) -> &str {
        &self.n.component.name
    }
    pub fn component(&self) -> &Component {
        &self.n.component
    }
    /// Whether several workers (processes, machines) may write this sink at
    /// once; `false` means one worker at a time.
    pub fn shared_writers(&self) -> bool {
        self.shared
    }
    pub fn prepare(&self) -> Result<Vec<String>> {
        self.inner.prepare().into_result().map(|v| self.n.lines(v)).map_err(|e| self.n.error("sink", "prepare", &e))
    }
    /// One outcome per item, for the same recording, in order; anything else
    /// is an error for the whole batch.
    pub fn write(&self, items: &[SinkItem]) -> Result<Vec<Written>> {
        let out =
            self.inner.write(RSlice::from_slice(items)).into_result().map_err(|e| self.n.error("sink", "write", &e))?;
        same_count("sink", self.name(), "write", out.len(), items.len())?;
        if let Some((i, o)) =
            items.iter().zip(out.iter()).find(|(i, o)| i.recording.record_id != o.record_id && !o.record_id.is_empty())
        {
            bail!(
                "sink `{}`: write: answered for {} where {} was expected (plugin bug); the batch is not used",
                self.name(),
                o.record_id,
                i.recording.record_id
            );
        }
        Ok(out.into_iter().map(|o| written(&self.n, o)).collect())
    }
    /// Whether this sink offers `op` (undo, pending, retire).
    pub fn supports(&self, op: LifecycleOp) -> bool {
        self.ops.contains(&op)
    }
    /// Undo, pending or retire these journaled deliveries: one answer per
    /// item, for the same recording, in order; anything else is an error.
    pub fn lifecycle(&self, op: LifecycleOp, items: &[Delivered]) -> Result<Vec<Written>> {
        let out = self
            .inner
            .lifecycle(op, RSlice::from_slice(items))
            .into_result()
            .map_err(|e| self.n.error("sink", op.label(), &e))?;
        same_count("sink", self.name(), op.label(), out.len(), items.len())?;
        if let Some((i, o)) = items.iter().zip(out.iter()).find(|(i, o)| i.record_id != o.record_id) {
            bail!(
                "sink `{}`: {}: answered for {} where {} was expected (plugin bug); the batch is not used",
                self.name(),
                op.label(),
                o.record_id,
                i.record_id
            );
        }
        Ok(out.into_iter().map(|o| written(&self.n, o)).collect())
    }
    pub fn finish(&self) -> Result<Vec<String>> {
        self.inner.finish().into_result().map(|v| self.n.lines(v)).map_err(|e| self.n.error("sink", "finish", &e))
    }
    pub fn check(&self) -> Result<Vec<String>, String> {
        check_answer(&self.n, self.inner.check())
    }
}
