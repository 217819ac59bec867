//! The HTML report of a pipeline (`<journal>.report.html`): written after
//! every run and rebuilt at any time by `bbb-migrate report`, from the journal
//! (every recording's last outcome per sink, the runs) and the JSON report of
//! the last run (origins, resolvers, notes). One self-contained file: see
//! [`crate::html`].
mod facts;
mod page;

pub use facts::{month_of, Facts};

use crate::config::Pipeline;
use crate::engine::{store, ChainAnswer};
use crate::redact::Redactor;
use anyhow::{bail, Context, Result};
use plugin_api::abi::Recording;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Who the recordings of a run were, counted while it resolves them.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Audience {
    /// `bbb-origin` → recordings.
    pub per_origin: BTreeMap<String, usize>,
    /// `bbb-origin-server-name` → recordings.
    pub per_origin_server: BTreeMap<String, usize>,
    /// Resolver name (or `fallback`) → recordings it gave owners to.
    pub by_resolver: BTreeMap<String, usize>,
    /// Recordings a resolver could not answer for (retried next run).
    pub resolver_failed: usize,
}

/// Counts a resolved batch (called by the engine after the resolver chain).
pub fn tally(a: &mut Audience, batch: &[Recording], answers: &[ChainAnswer]) {
    for (r, ans) in batch.iter().zip(answers) {
        *a.per_origin.entry(r.origin().unwrap_or("(none)").to_string()).or_default() += 1;
        *a.per_origin_server.entry(r.origin_server().unwrap_or("(none)").to_string()).or_default() += 1;
        match ans {
            ChainAnswer::Found(item) if item.fallback => *a.by_resolver.entry("fallback".into()).or_default() += 1,
            ChainAnswer::Found(item) => {
                let by = item.owners.first().map(|o| o.resolver.to_string()).unwrap_or_default();
                *a.by_resolver.entry(by).or_default() += 1;
            }
            ChainAnswer::Failed(..) => a.resolver_failed += 1,
        }
    }
}

/// The parts of the last run's JSON report the page shows (absent or
/// unreadable → the page says so and shows the journal's part).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LastRun {
    pub run_id: Option<i64>,
    pub started_at: String,
    pub finished_at: String,
    pub notes: Vec<String>,
    pub fallback_owner: usize,
    pub audience: Audience,
}

/// The HTML report's path: `<journal stem>.report.html` beside the journal.
pub fn html_path(p: &Pipeline) -> PathBuf {
    p.report_path().with_extension("").with_extension("report.html")
}

/// Builds the page from the journal (and the last JSON report if any).
/// An absent, empty or foreign journal is an error naming it.
pub fn build(p: &Pipeline, redactor: &Redactor) -> Result<String> {
    let shown = redactor.redact(&p.journal.display());
    let Some(mut j) = store::open_read_only(&p.journal, None, false)? else {
        bail!("{shown}: no journal yet (nothing has run): no report to build")
    };
    let runs = j.runs(i64::MAX).with_context(|| format!("{shown}: not a bbb-migrate journal"))?;
    let mut counter = facts::Counter::new(&p.fallback.owner, redactor);
    let mut any = false;
    j.each_delivery(&mut |d| {
        any = true;
        counter.add(d)
    })
    .with_context(|| format!("{shown}: not a bbb-migrate journal"))?;
    if runs.is_empty() && !any {
        bail!("{shown}: the journal is empty (no run has finished a batch): no report to build");
    }
    let last: Option<LastRun> =
        std::fs::read_to_string(p.report_path()).ok().and_then(|t| serde_json::from_str(&t).ok());
    let facts = counter.finish(&runs);
    let html = page::render(&facts, last.as_ref(), &p.file.display().to_string(), &shown);
    Ok(redactor.redact(&html))
}

/// Rebuilds `<journal>.report.html` (atomically: temp file + rename).
pub fn write(p: &Pipeline, redactor: &Redactor) -> Result<PathBuf> {
    let html = build(p, redactor)?;
    let out = html_path(p);
    let tmp = out.with_extension("html.part");
    std::fs::write(&tmp, html).with_context(|| format!("{}: cannot write", tmp.display()))?;
    std::fs::rename(&tmp, &out).with_context(|| format!("{}: cannot write", out.display()))?;
    Ok(out)
}
