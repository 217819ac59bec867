//! Self-contained HTML pages (survey, run report): inline CSS and SVG charts,
//! no script, no font, no image fetched from anywhere, so a page works offline
//! and as an e-mail attachment. Every text that comes from a recording, a
//! server or a user goes through [`esc`].

/// Escapes text for HTML content and attribute values. Bidirectional
/// controls (RTL overrides, isolates, marks) and other control characters
/// are shown as `[U+202E]` instead of reordering the page around them.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
                out.push_str(&format!("[U+{:04X}]", c as u32))
            }
            c if c.is_control() && c != '\n' && c != '\t' => out.push_str(&format!("[U+{:04X}]", c as u32)),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;max-width:1100px;\
color:#1b1f24;padding:0 1em}h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #d0d7de}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #d0d7de;padding:.25em .6em;text-align:left;\
vertical-align:top}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f6f8fa}\
.cards{display:flex;flex-wrap:wrap;gap:1em}.card{border:1px solid #d0d7de;border-radius:6px;padding:.6em 1em;min-width:9em}\
.card b{display:block;font-size:1.6em}.bad{color:#b42318}.ok{color:#067647}pre{background:#f6f8fa;padding:1em;overflow:auto}\
details{margin:.3em 0}code{font-size:.95em}.muted{color:#57606a}";

/// A whole page: `body` is already-escaped HTML.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n{body}\n</body></html>\n",
        esc(title)
    )
}

/// A table; cells are plain text (escaped here). Cells that parse as numbers
/// are right-aligned.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table><tr>");
    for h in headers {
        s.push_str(&format!("<th>{}</th>", esc(h)));
    }
    s.push_str("</tr>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let num = !c.is_empty() && c.chars().all(|ch| ch.is_ascii_digit() || ". ,%×".contains(ch));
            s.push_str(&format!("<td{}>{}</td>", if num { " class=\"n\"" } else { "" }, esc(c)));
        }
        s.push_str("</tr>");
    }
    s.push_str("</table>\n");
    s
}

/// Summary cards: (label, value).
pub fn cards(items: &[(&str, String)]) -> String {
    let mut s = String::from("<div class=\"cards\">");
    for (label, value) in items {
        s.push_str(&format!("<div class=\"card\"><b>{}</b>{}</div>", esc(value), esc(label)));
    }
    s.push_str("</div>\n");
    s
}

const COLOURS: [&str; 6] = ["#0969da", "#1a7f37", "#bf8700", "#cf222e", "#8250df", "#57606a"];

/// A horizontal bar chart as inline SVG: one bar per (label, value).
pub fn bar_chart(title: &str, bars: &[(String, f64)]) -> String {
    if bars.is_empty() {
        return String::new();
    }
    let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max).max(1e-9);
    let (row, label_w, bar_w) = (22.0, 260.0, 520.0);
    let h = row * bars.len() as f64 + 10.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\
         <title>{}</title>",
        esc(title),
        w = label_w + bar_w + 90.0
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = 5.0 + i as f64 * row;
        let len = (v / max * bar_w).max(if *v > 0.0 { 1.0 } else { 0.0 });
        let short: String = label.chars().take(38).collect();
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{len:.1}\" height=\"{}\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"12\">{}</text>",
            label_w - 6.0,
            y + 14.0,
            esc(&short),
            row - 6.0,
            COLOURS[i % COLOURS.len()],
            label_w + len + 4.0,
            y + 14.0,
            fmt_num(*v)
        ));
    }
    s.push_str("</svg>\n");
    s
}

/// A line chart (with dots) as inline SVG over ordered (label, value) points.
pub fn line_chart(title: &str, points: &[(String, f64)]) -> String {
    if points.is_empty() {
        return String::new();
    }
    let (w, h, left, bottom) = (860.0, 220.0, 50.0, 40.0);
    let max = points.iter().map(|p| p.1).fold(0.0_f64, f64::max).max(1e-9);
    let step = if points.len() > 1 { (w - left - 40.0) / (points.len() - 1) as f64 } else { 0.0 };
    let xy = |i: usize, v: f64| (left + i as f64 * step, 10.0 + (h - bottom - 10.0) * (1.0 - v / max));
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\
         <title>{}</title><line x1=\"{left}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" stroke=\"#57606a\"/>\
         <text x=\"{}\" y=\"16\" font-size=\"11\" text-anchor=\"end\">{}</text>",
        esc(title),
        left - 4.0,
        fmt_num(max),
        y0 = h - bottom,
        x1 = w - 10.0
    );
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (x, y) = xy(i, p.1);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    s.push_str(&format!(
        "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>",
        COLOURS[0],
        path.join(" ")
    ));
    let every = points.len().div_ceil(12).max(1);
    for (i, (label, v)) in points.iter().enumerate() {
        let (x, y) = xy(i, *v);
        s.push_str(&format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{}\"><title>{}: {}</title></circle>",
            COLOURS[0],
            esc(label),
            fmt_num(*v)
        ));
        if i % every == 0 {
            s.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
                h - bottom + 16.0,
                esc(label)
            ));
        }
    }
    s.push_str("</svg>\n");
    s
}

/// A number for people: integers without decimals, others with one.
pub fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Bytes for people (binary units).
pub fn fmt_bytes(b: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_inert() {
        let evil = "<script>alert(1)</script>\"'&\u{202E}gpj.exe\u{0007}";
        let e = esc(evil);
        assert!(!e.contains('<') && !e.contains('>') && !e.contains('"') && !e.contains('\''), "{e}");
        assert!(!e.contains('\u{202E}') && e.contains("[U+202E]") && e.contains("[U+0007]"), "{e}");
        assert!(e.contains("&lt;script&gt;") && e.contains("&amp;"), "{e}");
        let chart = bar_chart(evil, &[(evil.to_string(), 3.0)]);
        assert!(!chart.contains("<script") && !chart.contains('\u{202E}'), "{chart}");
        let t = table(&["a"], &[vec![evil.to_string()]]);
        assert!(!t.contains("<script"), "{t}");
    }

    #[test]
    fn numbers_and_bytes() {
        assert_eq!(fmt_num(3.0), "3");
        assert_eq!(fmt_num(2.26), "2.3");
        assert_eq!(fmt_bytes(512), "512 B");
        assert_eq!(fmt_bytes(3 * 1024 * 1024 * 1024 / 2), "1.5 GiB");
    }
}
