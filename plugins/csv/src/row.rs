//! One CSV row of a recording, and the cell rules.
use chrono::{DateTime, SecondsFormat};
use plugin_api::abi::SinkItem;

pub const HEADER: [&str; 15] = [
    "record_id",
    "meeting_id",
    "name",
    "start_time",
    "end_time",
    "duration_s",
    "state",
    "origin",
    "origin_server",
    "context",
    "presentation_url",
    "video_url",
    "owners",
    "owner_emails",
    "resolved_by",
];

/// Index of `owners` in [`HEADER`] (checked by a test).
pub const OWNERS: usize = 12;

pub struct Row<'a>(&'a SinkItem);

fn iso(ms: i64) -> String {
    if ms <= 0 {
        return String::new();
    }
    DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default()
}

impl<'a> Row<'a> {
    pub fn of(item: &'a SinkItem) -> Self {
        Self(item)
    }

    pub fn cells(&self) -> Vec<String> {
        let item = self.0;
        let r = &item.recording;
        let url = |f: &str| r.playback(f).map(|p| p.url.to_string()).unwrap_or_default();
        let join =
            |f: &dyn Fn(&plugin_api::abi::Owner) -> String| item.owners.iter().map(f).collect::<Vec<_>>().join(";");
        let context = r.meta("bbb-context").or_else(|| r.meta("bbb-context-name")).unwrap_or_default();
        let mut resolved: Vec<String> = Vec::new();
        for o in item.owners.iter().filter(|o| !o.resolver.is_empty()) {
            let s = format!("{}: {}", o.resolver, o.reason);
            if !resolved.contains(&s) {
                resolved.push(s);
            }
        }
        vec![
            r.record_id.to_string(),
            r.meeting_id.to_string(),
            r.name.to_string(),
            iso(r.start_ms),
            iso(r.end_ms),
            r.duration_s().to_string(),
            r.state.to_string(),
            r.origin().unwrap_or_default().to_string(),
            r.origin_server().unwrap_or_default().to_string(),
            context.to_string(),
            url("presentation"),
            url("video"),
            join(&|o| o.username.to_string()),
            join(&|o| o.email.to_string()),
            resolved.join(";"),
        ]
        .into_iter()
        .map(|c| neutralise(&c))
        .collect()
    }
}

/// One line per cell, and no spreadsheet formulas (shared with the other exports).
pub fn neutralise(cell: &str) -> String {
    plugin_api::sdk::cells::spreadsheet_safe(cell)
}

/// RFC 4180 text (CRLF line ends, quotes where needed) of these rows.
pub fn to_csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for r in rows {
        w.write_record(r).expect("writing to memory cannot fail");
    }
    w.into_inner().expect("writing to memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_index_names_the_owners_column() {
        assert_eq!(HEADER[OWNERS], "owners");
    }

    #[test]
    fn quoting_follows_rfc4180() {
        let out =
            String::from_utf8(to_csv(&[vec!["a,b".into(), "say \"hi\"".into(), "plain".into(), "été 🎓".into()]]))
                .unwrap();
        assert_eq!(out, "\"a,b\",\"say \"\"hi\"\"\",plain,été 🎓\r\n");
    }

    #[test]
    fn formulas_and_line_breaks_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+33 1"), "'+33 1");
        assert_eq!(neutralise("-1"), "'-1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("a\r\nb"), "a  b");
        assert_eq!(neutralise("ok = fine"), "ok = fine");
    }
}
