//! What the journal says, counted for the page.
use crate::engine::store::RunRow;
use crate::engine::Delivery;
use crate::redact::Redactor;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Outcomes of one sink.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SinkCounts {
    pub done: usize,
    pub skipped: usize,
    pub failed: usize,
}

/// One failed delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    pub record_id: String,
    pub sink: String,
    pub attempts: i64,
}

/// One run of the journal.
#[derive(Debug, Clone)]
pub struct Run {
    pub id: i64,
    pub started: String,
    pub finished: Option<String>,
    pub status: String,
    /// Deliveries whose last outcome this run wrote.
    pub outcomes: usize,
}

#[derive(Debug, Default)]
pub struct Facts {
    /// Distinct recordings the journal knows.
    pub recordings: usize,
    /// Recordings every sink finished (done or skipped).
    pub complete: usize,
    /// Recordings with at least one failed delivery.
    pub with_failure: usize,
    pub per_sink: BTreeMap<String, SinkCounts>,
    /// `YYYY-MM` of the recording's start (from its recordID) → recordings.
    pub per_month: BTreeMap<String, usize>,
    /// Recordings delivered to the fallback owner / to owners a resolver found.
    pub fallback: usize,
    pub resolved: usize,
    /// Owner username → recordings delivered to them.
    pub per_owner: BTreeMap<String, usize>,
    /// Failure cause (the sink's message, recordID taken out) → deliveries.
    pub failures: BTreeMap<String, Vec<Failed>>,
    /// recordID → what the renderer could not draw.
    pub not_drawn: BTreeMap<String, Vec<String>>,
    pub runs: Vec<Run>,
}

/// `YYYY-MM` from a BBB recordID (`<sha1>-<start ms>`), if it has that shape.
pub fn month_of(record_id: &str) -> Option<String> {
    let ms: i64 = record_id.rsplit_once('-')?.1.parse().ok()?;
    if !(946_684_800_000..4_102_444_800_000).contains(&ms) {
        return None;
    }
    chrono::DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m").to_string())
}

/// Builds the [`Facts`] one delivery at a time, without holding the journal:
/// deliveries come grouped by recordID (the journal reads them in
/// (recordID, sink) order); only the current recording's are kept.
pub struct Counter<'a> {
    f: Facts,
    fallback_owner: &'a str,
    redactor: &'a Redactor,
    /// The current recording's deliveries.
    group: Vec<Delivery>,
    sinks: BTreeSet<String>,
    /// Recordings by how many of their deliveries are finished (not failed).
    by_finished: BTreeMap<usize, usize>,
    /// Deliveries whose last outcome each run wrote.
    per_run: HashMap<i64, usize>,
}

impl<'a> Counter<'a> {
    pub fn new(fallback_owner: &'a str, redactor: &'a Redactor) -> Self {
        Counter {
            f: Facts::default(),
            fallback_owner,
            redactor,
            group: Vec::new(),
            sinks: BTreeSet::new(),
            by_finished: BTreeMap::new(),
            per_run: HashMap::new(),
        }
    }

    /// Counts one delivery; a recording's deliveries must come one after another.
    pub fn add(&mut self, d: Delivery) {
        if self.group.first().is_some_and(|g| g.record_id != d.record_id) {
            self.close_group();
        }
        let f = &mut self.f;
        if !self.sinks.contains(&d.sink) {
            self.sinks.insert(d.sink.clone());
        }
        *self.per_run.entry(d.run_id).or_default() += 1;
        let c = f.per_sink.entry(d.sink.clone()).or_default();
        match d.status.as_str() {
            "done" => c.done += 1,
            "skipped" => c.skipped += 1,
            _ => {
                c.failed += 1;
                let cause = self.redactor.redact(&d.detail.replace(&d.record_id, "…"));
                f.failures.entry(cause).or_default().push(Failed {
                    record_id: d.record_id.clone(),
                    sink: d.sink.clone(),
                    attempts: d.attempts,
                });
            }
        }
        let list = crate::engine::not_drawn_of(&d.data);
        if !list.is_empty() {
            let notes = f.not_drawn.entry(d.record_id.clone()).or_default();
            notes.extend(list.iter().map(|s| self.redactor.redact(s)));
            notes.sort();
            notes.dedup();
        }
        // What the recording's counts below need, not the sink's data.
        self.group.push(Delivery { detail: String::new(), data: String::new(), ..d });
    }

    /// Counts the current recording (all its deliveries seen).
    fn close_group(&mut self) {
        let ds = std::mem::take(&mut self.group);
        let Some(first) = ds.first() else { return };
        let f = &mut self.f;
        f.recordings += 1;
        *f.per_month.entry(month_of(&first.record_id).unwrap_or_else(|| "unknown".into())).or_default() += 1;
        *self.by_finished.entry(ds.iter().filter(|d| d.status != "failed").count()).or_default() += 1;
        if ds.iter().any(|d| d.status == "failed") {
            f.with_failure += 1;
        }
        if let Some(d) = ds.iter().find(|d| d.status != "failed" && !d.owners.is_empty()) {
            for o in d.owners.split(';').filter(|o| !o.is_empty()) {
                *f.per_owner.entry(o.to_string()).or_default() += 1;
            }
            if d.owners == self.fallback_owner {
                f.fallback += 1;
            } else {
                f.resolved += 1;
            }
        }
        self.group = ds;
        self.group.clear();
    }

    /// The facts, with the journal's `runs`.
    pub fn finish(mut self, runs: &[RunRow]) -> Facts {
        self.close_group();
        let mut f = self.f;
        f.not_drawn.retain(|_, v| !v.is_empty());
        // Complete: every sink the journal knows finished it.
        f.complete = self.by_finished.get(&self.sinks.len()).copied().unwrap_or(0);
        f.runs = runs
            .iter()
            .map(|(id, started, finished, status)| Run {
                id: *id,
                started: started.clone(),
                finished: finished.clone(),
                status: status.clone(),
                outcomes: self.per_run.get(id).copied().unwrap_or(0),
            })
            .collect();
        f.runs.sort_by_key(|r| r.id);
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(id: &str, sink: &str, status: &str, detail: &str, owners: &str, run: i64) -> Delivery {
        Delivery {
            record_id: id.into(),
            sink: sink.into(),
            status: status.into(),
            detail: detail.into(),
            data: if detail == "drawn" { r#"{"not_drawn":["poll results"]}"#.into() } else { String::new() },
            owners: owners.into(),
            attempts: 2,
            run_id: run,
            updated_at: String::new(),
        }
    }

    #[test]
    fn counts_months_owners_causes() {
        // 1700000000000 ms = 2023-11-14; 1504087272607 = 2017-08-30
        let rows = vec![
            d("aa-1700000000000", "csv", "done", "drawn", "prof", 1),
            d("aa-1700000000000", "pod", "done", "", "prof", 1),
            d("bb-1504087272607", "csv", "done", "", "admin", 1),
            d("bb-1504087272607", "pod", "failed", "bb-1504087272607: db down", "admin", 2),
            d("cc-1504087272608", "pod", "failed", "cc-1504087272608: db down", "admin", 2),
            d("weird", "csv", "skipped", "", "admin", 2),
        ];
        let runs = vec![(2, "t2".into(), None, "failed".into()), (1, "t1".into(), Some("t".into()), "ok".into())];
        let redactor = Redactor::default();
        let mut c = Counter::new("admin", &redactor);
        rows.into_iter().for_each(|d| c.add(d));
        let f = c.finish(&runs);
        assert_eq!(f.recordings, 4);
        assert_eq!(f.per_sink["pod"], SinkCounts { done: 1, skipped: 0, failed: 2 });
        assert_eq!(f.per_month["2023-11"], 1);
        assert_eq!(f.per_month["2017-08"], 2);
        assert_eq!(f.per_month["unknown"], 1);
        assert_eq!((f.resolved, f.fallback), (1, 2));
        assert_eq!((f.per_owner["prof"], f.per_owner["admin"]), (1, 2));
        assert_eq!(f.failures.len(), 1, "{:?}", f.failures);
        assert_eq!(f.failures["…: db down"].len(), 2);
        assert_eq!(f.not_drawn["aa-1700000000000"], ["poll results"]);
        assert_eq!((f.complete, f.with_failure), (1, 2));
        assert_eq!(f.runs.iter().map(|r| (r.id, r.outcomes)).collect::<Vec<_>>(), [(1, 3), (2, 3)]);
    }
}
