//! One batch to one sink: what to journal and what to report.
use super::report::{Counts, Line};
use super::resolve::Owners;
use super::store::Entry;
use crate::plugins::handle::Sink;
use crate::plugins::Status;
use plugin_api::abi::SinkItem;

/// What one batch did to one sink: journal rows and the report's share.
#[derive(Default)]
pub struct Delivered {
    pub entries: Vec<Entry>,
    pub counts: Counts,
    pub failures: Vec<Line>,
    pub planned: Vec<Line>,
    /// What the sink's renderer could not draw (its outcome data's `not_drawn`), per recording.
    pub not_drawn: Vec<Line>,
}

impl Delivered {
    fn line(&mut self, sink: &str, record_id: &str, detail: &str, status: Status, owners: String, data: String) {
        let line =
            || Line { record_id: record_id.to_string(), component: sink.to_string(), detail: detail.to_string() };
        match status {
            Status::Done => self.counts.done += 1,
            Status::Skipped => self.counts.skipped += 1,
            Status::Failed => {
                self.counts.failed += 1;
                self.failures.push(line());
            }
            Status::Planned => {
                self.counts.planned += 1;
                self.planned.push(line());
                return; // a plan is never journaled
            }
        }
        self.not_drawn.extend(super::report::not_drawn_of(&data).into_iter().map(|what| Line {
            record_id: record_id.to_string(),
            component: sink.to_string(),
            detail: what,
        }));
        self.entries.push(Entry {
            record_id: record_id.to_string(),
            status: status.label(),
            detail: detail.to_string(),
            data,
            owners,
        });
    }
}

impl Delivered {
    /// Adds another batch's report share (its entries are already journaled).
    pub fn merge(&mut self, other: Delivered) {
        self.counts.done += other.counts.done;
        self.counts.skipped += other.counts.skipped;
        self.counts.failed += other.counts.failed;
        self.counts.planned += other.counts.planned;
        self.failures.extend(other.failures);
        self.planned.extend(other.planned);
        self.not_drawn.extend(other.not_drawn);
    }
}

pub fn owners_text(item: &SinkItem) -> String {
    item.owners.iter().map(|o| o.username.as_str()).collect::<Vec<_>>().join(";")
}

/// Writes the found items of `batch` to `sink`; recordings whose owners
/// could not be found are failures of this sink (retried next run). A sink
/// error fails the whole batch.
pub fn deliver(sink: &Sink, batch: &[&Owners]) -> Delivered {
    let mut out = Delivered::default();
    let mut items = Vec::new();
    for o in batch {
        match o {
            Owners::Found(item) => items.push((**item).clone()),
            Owners::Failed(id, msg) => out.line(sink.name(), id, msg, Status::Failed, String::new(), String::new()),
        }
    }
    if items.is_empty() {
        return out;
    }
    match sink.write(&items) {
        Ok(written) => {
            for (item, w) in items.iter().zip(written) {
                out.line(sink.name(), &item.recording.record_id, &w.detail, w.status, owners_text(item), w.data);
            }
        }
        Err(e) => {
            let msg = format!("{e:#}");
            tracing::error!("{}", plugin_api::sdk::text::escape_line(&msg));
            for item in &items {
                out.line(
                    sink.name(),
                    &item.recording.record_id,
                    &msg,
                    Status::Failed,
                    owners_text(item),
                    String::new(),
                );
            }
        }
    }
    out
}
