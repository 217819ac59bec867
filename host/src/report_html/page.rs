//! The report page: cards, charts and tables from the [`Facts`].
use super::facts::Facts;
use super::LastRun;
use crate::html::{bar_chart, esc, line_chart, page, table};
use std::fmt::Write;

/// A card whose number tests and scripts can find by `id`.
fn card(id: &str, label: &str, value: usize) -> String {
    format!("<div class=\"card\"><b id=\"{id}\">{value}</b>{}</div>", esc(label))
}

fn counts<K: ToString>(m: impl IntoIterator<Item = (K, usize)>) -> Vec<(String, f64)> {
    m.into_iter().map(|(k, v)| (k.to_string(), v as f64)).collect()
}

pub fn render(f: &Facts, last: Option<&LastRun>, config: &str, journal: &str) -> String {
    let mut b = format!(
        "<h1>bbb-migrate report</h1><p class=\"muted\">pipeline <code>{}</code>, journal <code>{}</code>, built {}</p>\n",
        esc(config),
        esc(journal),
        esc(&chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string())
    );
    let failed: usize = f.per_sink.values().map(|c| c.failed).sum();
    b.push_str("<div class=\"cards\">");
    b.push_str(&card("n-recordings", "recordings in the journal", f.recordings));
    b.push_str(&card("n-complete", "delivered to every sink", f.complete));
    b.push_str(&card("n-with-failure", "recordings with a failure", f.with_failure));
    b.push_str(&card("n-failed", "failed deliveries", failed));
    b.push_str(&card("n-runs", "runs", f.runs.len()));
    b.push_str("</div>\n");

    b.push_str("<h2>Outcomes per sink</h2>");
    let rows: Vec<Vec<String>> = f
        .per_sink
        .iter()
        .map(|(s, c)| vec![s.clone(), c.done.to_string(), c.skipped.to_string(), c.failed.to_string()])
        .collect();
    b.push_str(&table(&["sink", "done", "skipped (already there)", "failed"], &rows));
    b.push_str(&bar_chart(
        "delivered (done + skipped) per sink",
        &counts(f.per_sink.iter().map(|(s, c)| (s, c.done + c.skipped))),
    ));

    b.push_str("<h2>Recordings per month</h2><p class=\"muted\">by the start time in the recordID</p>");
    let months = counts(f.per_month.iter().map(|(m, n)| (m, *n)));
    b.push_str(&line_chart("recordings per month", &months));
    b.push_str(&table(
        &["month", "recordings"],
        &f.per_month.iter().map(|(m, n)| vec![m.clone(), n.to_string()]).collect::<Vec<_>>(),
    ));

    b.push_str("<h2>Who owns them</h2>");
    let _ = write!(
        b,
        "<p>Across the journal: <b id=\"n-resolved\">{}</b> recordings delivered to owners a resolver found, \
         <b id=\"n-fallback\">{}</b> to the fallback owner.</p>",
        f.resolved, f.fallback
    );
    let mut owners: Vec<(&String, &usize)> = f.per_owner.iter().collect();
    owners.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    owners.truncate(20);
    b.push_str("<p class=\"muted\">recordings per owner (top 20)</p>");
    b.push_str(&bar_chart("recordings per owner (top 20)", &counts(owners.iter().map(|(k, v)| (k, **v)))));
    match last {
        Some(l) => {
            let _ = write!(
                b,
                "<p class=\"muted\">Last run{} ({} → {}):</p>",
                l.run_id.map(|i| format!(" #{i}")).unwrap_or_default(),
                esc(&l.started_at),
                esc(&l.finished_at)
            );
            let a = &l.audience;
            b.push_str("<p class=\"muted\">recordings per resolver (fallback: no resolver knew them)</p>");
            b.push_str(&bar_chart("recordings per resolver (last run)", &counts(a.by_resolver.iter().map(|(k, v)| (k, *v)))));
            if a.resolver_failed > 0 {
                let _ = write!(b, "<p class=\"bad\">{} recording(s): a resolver failed (retried next run)</p>", a.resolver_failed);
            }
            b.push_str("<h2>Recordings per origin (last run)</h2>");
            b.push_str(&bar_chart("per bbb-origin", &counts(a.per_origin.iter().map(|(k, v)| (k, *v)))));
            b.push_str(&table(
                &["bbb-origin-server-name", "recordings"],
                &a.per_origin_server.iter().map(|(k, v)| vec![k.clone(), v.to_string()]).collect::<Vec<_>>(),
            ));
        }
        None => b.push_str(
            "<p class=\"muted\">The last run's JSON report is missing: origins and resolvers per run are not shown.</p>",
        ),
    }

    let _ = write!(b, "<h2>Failures grouped by cause</h2>");
    if f.failures.is_empty() {
        b.push_str("<p class=\"ok\">none</p>");
    }
    for (cause, list) in &f.failures {
        let _ = write!(b, "<details><summary><b>{}</b> × {}</summary><ul>", list.len(), esc(cause));
        for x in list {
            let _ = write!(
                b,
                "<li><code>{}</code> [{}] after {} attempt(s)</li>",
                esc(&x.record_id),
                esc(&x.sink),
                x.attempts
            );
        }
        b.push_str("</ul></details>");
    }

    b.push_str("<h2>Not drawn by the renderer</h2>");
    if f.not_drawn.is_empty() {
        b.push_str("<p class=\"muted\">nothing reported</p>");
    } else {
        b.push_str("<ul>");
        for (id, notes) in &f.not_drawn {
            let _ = write!(b, "<li><code>{}</code>: {}</li>", esc(id), esc(&notes.join("; ")));
        }
        b.push_str("</ul>");
    }
    if let Some(l) = last.filter(|l| !l.notes.is_empty()) {
        b.push_str("<h2>Notes of the last run</h2><ul>");
        for n in &l.notes {
            let _ = write!(b, "<li>{}</li>", esc(n));
        }
        b.push_str("</ul>");
    }

    b.push_str("<h2>Run history</h2>");
    b.push_str(&bar_chart(
        "latest outcomes written per run",
        &counts(f.runs.iter().map(|r| (format!("run {}", r.id), r.outcomes))),
    ));
    let rows: Vec<Vec<String>> = f
        .runs
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.started.clone(),
                r.finished.clone().unwrap_or_else(|| "interrupted".into()),
                r.status.clone(),
                r.outcomes.to_string(),
            ]
        })
        .collect();
    b.push_str(&table(&["run", "started", "finished", "status", "latest outcomes"], &rows));
    page("bbb-migrate report", &b)
}
