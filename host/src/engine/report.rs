//! What a run did: counts per sink and outcome, failures, the plan of a dry
//! run; printed at the end and written as JSON next to the journal.
use super::select::Selection;
use plugin_api::sdk::text::escape_line;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Serialize, Clone)]
pub struct Counts {
    pub done: usize,
    pub skipped: usize,
    pub failed: usize,
    pub planned: usize,
    /// Finished by an earlier run: not sent again.
    pub already_done: usize,
}

#[derive(Debug, Serialize, Clone)]
pub struct Line {
    pub record_id: String,
    pub component: String,
    pub detail: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub run_id: Option<i64>,
    pub dry_run: bool,
    pub config: String,
    pub started_at: String,
    pub finished_at: String,
    pub selection: Selection,
    pub sinks: BTreeMap<String, Counts>,
    pub failures: Vec<Line>,
    pub planned: Vec<Line>,
    pub notes: Vec<String>,
    /// What a sink's renderer could not draw, per recording (its outcome data's `not_drawn`).
    pub not_drawn: Vec<Line>,
    /// Recordings given to the fallback owner.
    pub fallback_owner: usize,
    /// Per recording: why a resolver passed (JSON report only).
    pub resolver_notes: Vec<String>,
    /// Recordings of this run per origin, origin server, month and resolver (HTML report).
    pub audience: crate::report_html::Audience,
}

/// The `not_drawn` list of a sink's outcome data (JSON), if it has one. Journals of
/// earlier versions of `claim-dir` kept it in `render_notes` as `not drawn: …` lines.
pub fn not_drawn_of(data: &str) -> Vec<String> {
    // Most outcomes have none: not parsed at all then.
    if !data.contains("\"not_drawn\"") && !data.contains("not drawn: ") {
        return Vec::new();
    }
    let Ok(v) = serde_json::from_str::<serde_json::Value>(data) else { return Vec::new() };
    let texts = |key: &str| v.get(key).and_then(|x| x.as_array()).into_iter().flatten().filter_map(|x| x.as_str());
    let mut out: Vec<String> = texts("not_drawn").map(str::to_string).collect();
    out.extend(texts("render_notes").filter_map(|n| n.strip_prefix("not drawn: ")).map(str::to_string));
    out
}

impl Report {
    /// Adds what `sink` did (counts, failures, plans, what was not drawn).
    pub(super) fn add(&mut self, sink: &str, d: super::deliver::Delivered) {
        let total = self.sinks.entry(sink.to_string()).or_default();
        total.done += d.counts.done;
        total.skipped += d.counts.skipped;
        total.failed += d.counts.failed;
        total.planned += d.counts.planned;
        self.failures.extend(d.failures);
        self.planned.extend(d.planned);
        self.not_drawn.extend(d.not_drawn);
    }

    pub fn has_failures(&self) -> bool {
        !self.failures.is_empty()
    }

    /// The human summary printed at the end of a run.
    pub fn summary(&self) -> String {
        let s = &self.selection;
        let mut out = format!(
            "{}listed {}, selected {} (wrong state {}, ignored server {}, out of range {}, not requested {})\n",
            if self.dry_run { "DRY RUN — nothing was written. " } else { "" },
            s.listed,
            s.selected,
            s.wrong_state,
            s.ignored_server,
            s.out_of_range,
            s.not_requested
        );
        for (sink, c) in &self.sinks {
            out.push_str(&format!(
                "  sink {sink}: done {}, skipped {}, failed {}, planned {}, already done {}\n",
                c.done, c.skipped, c.failed, c.planned, c.already_done
            ));
        }
        if self.fallback_owner > 0 {
            out.push_str(&format!(
                "  {} recording(s) went to the fallback owner (why: see the report)\n",
                self.fallback_owner
            ));
        }
        if !self.not_drawn.is_empty() {
            let ids: std::collections::BTreeSet<&str> = self.not_drawn.iter().map(|l| l.record_id.as_str()).collect();
            out.push_str(&format!(
                "  {} recording(s) with something the renderer could not draw (not_drawn: see the report)\n",
                ids.len()
            ));
        }
        for n in &self.notes {
            out.push_str(&format!("  note: {}\n", escape_line(n)));
        }
        for id in &s.missing_records {
            out.push_str(&format!("  --record {}: not listed by any source\n", escape_line(id)));
        }
        if !self.failures.is_empty() {
            out.push_str(&format!("{} failure(s):\n", self.failures.len()));
            for f in &self.failures {
                let (id, sink, why) = (escape_line(&f.record_id), escape_line(&f.component), escape_line(&f.detail));
                out.push_str(&format!("  FAILED {id} [{sink}]: {why}\n"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_drawn_is_read_from_the_list_or_from_older_render_notes() {
        assert_eq!(not_drawn_of(r#"{"not_drawn":["poll results", 3],"file":"a"}"#), ["poll results"]);
        let old = r#"{"render_notes":["not drawn: chat: bad","beside it: /x.chat.txt"]}"#;
        assert_eq!(not_drawn_of(old), ["chat: bad"]);
        assert!(not_drawn_of(r#"{"file":"a"}"#).is_empty());
        assert!(not_drawn_of("").is_empty());
        assert!(not_drawn_of("not json, \"not_drawn\"").is_empty());
    }

    #[test]
    fn remote_text_in_the_summary_is_escaped() {
        let mut r = Report::default();
        r.failures.push(Line {
            record_id: "abc\nFAILED forged [csv]: ok\x1b[2J".into(),
            component: "csv".into(),
            detail: "bad name \u{202e}gnp.exe".into(),
        });
        r.notes.push("note\rover".into());
        let s = r.summary();
        assert!(
            s.contains("  FAILED abc\\nFAILED forged [csv]: ok\\u{1b}[2J [csv]: bad name \\u{202e}gnp.exe\n"),
            "{s}"
        );
        assert!(s.contains("note\\rover"), "{s}");
        // One line per failure, no escape character reaches the terminal.
        assert_eq!(s.lines().filter(|l| l.contains("FAILED")).count(), 1);
        assert!(!s.contains('\x1b') && !s.contains('\r') && !s.contains('\u{202e}'));
    }
}
