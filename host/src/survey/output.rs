//! The survey as text (terminal), or as a self-contained HTML page (JSON is
//! the [`Inventory`] serialized).
use super::inventory::{Inventory, Tally};
use crate::html::{bar_chart, cards, esc, fmt_bytes, page, table};
use std::collections::BTreeMap;
use std::fmt::Write;

fn hours(h: f64) -> String {
    format!("{h:.1} h")
}

fn tally_rows(m: &BTreeMap<String, Tally>) -> Vec<Vec<String>> {
    m.iter()
        .map(|(k, t)| vec![k.clone(), t.recordings.to_string(), format!("{:.1}", t.hours), fmt_bytes(t.bytes)])
        .collect()
}

fn sections(inv: &Inventory) -> [(&'static str, &BTreeMap<String, Tally>); 6] {
    [
        ("per source", &inv.per_source),
        ("per bbb-origin", &inv.per_origin),
        ("per bbb-origin-server-name", &inv.per_origin_server),
        ("per year", &inv.per_year),
        ("per state", &inv.per_state),
        ("per playback format (hours and bytes of that format)", &inv.per_format),
    ]
}

/// The terminal report.
pub fn text(inv: &Inventory) -> String {
    let mut s = String::new();
    let t = &inv.total;
    let _ = writeln!(
        s,
        "{} recordings, {}, {} ({} without a size); {} refused by a source, {} listed twice",
        t.recordings,
        hours(t.hours),
        fmt_bytes(t.bytes),
        t.unknown_size,
        inv.rejected,
        inv.duplicates
    );
    for (title, m) in sections(inv) {
        let _ = writeln!(s, "\n{title}:");
        let w = m.keys().map(|k| k.chars().count()).max().unwrap_or(0).max(8);
        for (k, t) in m {
            let _ =
                writeln!(s, "  {k:<w$}  {:>8} rec  {:>10}  {:>10}", t.recordings, hours(t.hours), fmt_bytes(t.bytes));
        }
    }
    let _ = writeln!(
        s,
        "\nto render (presentation, no video): {} recordings, {} of content, about {} of rendering at {}× real time",
        inv.to_render.recordings,
        hours(inv.to_render.hours),
        hours(inv.render_hours),
        inv.render_speed_x
    );
    if inv.resolved {
        let _ = writeln!(s, "\nwho would own them (per origin server):");
        for (server, a) in &inv.attribution {
            let by: Vec<String> = a.by_resolver.iter().map(|(r, n)| format!("{r} {n}")).collect();
            let _ = writeln!(
                s,
                "  {server}: {}{}fallback {}{}",
                by.join(", "),
                if by.is_empty() { "" } else { ", " },
                a.fallback,
                if a.failed > 0 { format!(", resolver failed {}", a.failed) } else { String::new() }
            );
        }
    }
    let block = inv.databases_block();
    if block.is_empty() {
        let _ = writeln!(s, "\nevery origin server seen is routed by a resolver (or ignored)");
    } else {
        let _ = writeln!(s, "\n{block}");
    }
    s
}

/// The HTML page.
pub fn html(inv: &Inventory, config: &str) -> String {
    let t = &inv.total;
    let mut b =
        format!("<h1>Survey of {}</h1>\n<p class=\"muted\">bbb-migrate survey, {}</p>\n", esc(config), esc(&now()));
    b.push_str(&cards(&[
        ("recordings", t.recordings.to_string()),
        ("hours", format!("{:.1}", t.hours)),
        ("size", fmt_bytes(t.bytes)),
        ("to render", inv.to_render.recordings.to_string()),
        ("render time (h)", format!("{:.1}", inv.render_hours)),
    ]));
    for (title, m) in sections(inv) {
        let _ = write!(b, "<h2>Recordings {}</h2>", esc(title));
        let bars: Vec<(String, f64)> = m.iter().map(|(k, t)| (k.clone(), t.recordings as f64)).collect();
        b.push_str(&bar_chart(title, &bars));
        b.push_str(&table(&["", "recordings", "hours", "size"], &tally_rows(m)));
    }
    let _ = write!(
        b,
        "<h2>To render</h2><p>{} presentation-only recordings ({:.1} h of content): about {:.1} h of rendering at {}× real time.</p>",
        inv.to_render.recordings, inv.to_render.hours, inv.render_hours, inv.render_speed_x
    );
    if inv.resolved {
        b.push_str("<h2>Who would own them</h2>");
        let rows: Vec<Vec<String>> = inv
            .attribution
            .iter()
            .flat_map(|(server, a)| {
                let mut rows: Vec<Vec<String>> =
                    a.by_resolver.iter().map(|(r, n)| vec![server.clone(), r.clone(), n.to_string()]).collect();
                rows.push(vec![server.clone(), "fallback owner".into(), a.fallback.to_string()]);
                if a.failed > 0 {
                    rows.push(vec![server.clone(), "resolver failed".into(), a.failed.to_string()]);
                }
                rows
            })
            .collect();
        b.push_str(&table(&["origin server", "resolver", "recordings"], &rows));
    }
    let block = inv.databases_block();
    if !block.is_empty() {
        let _ = write!(b, "<h2>Origin servers not routed yet</h2><pre>{}</pre>", esc(&block));
    }
    page("bbb-migrate survey", &b)
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string()
}
