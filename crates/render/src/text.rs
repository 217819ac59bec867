//! BBB writes text annotations as XHTML inside `<foreignObject>`, which SVG renderers
//! (resvg included) drop silently. This converts them to SVG `<text>` with one `<tspan>`
//! per line, word-wrapped to the box width.

/// Font stack: Arial as BBB asks, then its metric-compatible and common fallbacks.
const FONTS: &str = "Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif";
const LINE_HEIGHT: f64 = 1.15;
pub(crate) const ASCENT: f64 = 0.905;

/// Escapes text for an XML text node or attribute; characters XML 1.0 cannot hold
/// (control characters other than tab and line breaks, U+FFFE/U+FFFF) are dropped.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Value of `key` in a CSS `style` attribute.
pub(crate) fn style_value<'a>(style: &'a str, key: &str) -> Option<&'a str> {
    style.split(';').find_map(|decl| {
        let (k, v) = decl.split_once(':')?;
        (k.trim() == key).then(|| v.trim())
    })
}

/// Rough advance width of `c` in em for Arial-like fonts (enough to wrap lines).
fn advance(c: char) -> f64 {
    match c {
        ' ' | 'i' | 'l' | 'j' | 'I' | '.' | ',' | ';' | ':' | '!' | '|' | '\'' => 0.28,
        'f' | 't' | 'r' | '(' | ')' | '[' | ']' | '-' => 0.34,
        'm' | 'w' | 'M' | 'W' => 0.85,
        c if c.is_uppercase() => 0.68,
        _ => 0.56,
    }
}

pub(crate) fn width_em(s: &str) -> f64 {
    s.chars().map(advance).sum()
}

/// Splits one paragraph line into lines no wider than `max_em` (words are kept whole
/// unless a single word is wider than the box, like CSS `word-wrap: break-word`).
pub(crate) fn wrap(line: &str, max_em: f64) -> Vec<String> {
    if max_em <= 0.0 || width_em(line) <= max_em {
        return vec![line.to_string()];
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in line.split(' ') {
        let candidate = if cur.is_empty() { word.to_string() } else { format!("{cur} {word}") };
        if width_em(&candidate) <= max_em || cur.is_empty() && width_em(word) <= max_em {
            cur = candidate;
            continue;
        }
        if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        // Break an over-long word by characters.
        for c in word.chars() {
            if !cur.is_empty() && width_em(&cur) + advance(c) > max_em {
                out.push(std::mem::take(&mut cur));
            }
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

/// The text lines of the XHTML content: `<br/>` and block elements start a new line;
/// whitespace collapses as in HTML.
fn lines(node: roxmltree::Node) -> Vec<String> {
    let mut out = vec![String::new()];
    for d in node.descendants().skip(1) {
        if d.is_text() {
            let cur = out.last_mut().expect("never empty");
            for (i, word) in d.text().unwrap_or("").split(char::is_whitespace).enumerate() {
                if i > 0 && !cur.ends_with(' ') {
                    cur.push(' ');
                }
                cur.push_str(word);
            }
        } else if d.has_tag_name("br")
            || (d.has_tag_name("p") || d.has_tag_name("div")) && !out.last().expect("never empty").trim().is_empty()
        {
            out.push(String::new());
        }
    }
    let mut out: Vec<String> = out.iter().map(|l| l.trim().to_string()).collect();
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    let first = out.iter().position(|l| !l.is_empty()).unwrap_or(out.len());
    out.split_off(first)
}

/// Converts one `<foreignObject>` (with the shape's `style`) to an SVG `<text>`;
/// `None` when it holds no text (BBB records empty boxes while the user starts typing).
pub(crate) fn foreign_object_to_svg(fo: roxmltree::Node, style: &str) -> Option<String> {
    let num = |name: &str| fo.attribute(name).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let (x, y, width) = (num("x"), num("y"), num("width"));
    let size = style_value(style, "font-size")
        .and_then(|v| v.trim_end_matches("px").parse::<f64>().ok())
        .filter(|v| *v > 0.0)
        .unwrap_or(16.0);
    let color = style_value(style, "color").unwrap_or("#000000");
    let wrapped: Vec<String> = lines(fo).iter().flat_map(|l| wrap(l, width / size)).collect();
    if wrapped.iter().all(|l| l.trim().is_empty()) {
        return None;
    }
    let mut svg = format!(
        r#"<text font-family="{}" font-size="{size}" fill="{}" xml:space="preserve">"#,
        escape(FONTS),
        escape(color)
    );
    for (i, l) in wrapped.iter().enumerate() {
        let ly = y + size * (ASCENT + LINE_HEIGHT * i as f64);
        svg.push_str(&format!(r#"<tspan x="{x}" y="{ly}">{}</tspan>"#, escape(l)));
    }
    svg.push_str("</text>");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(xml: &str) -> Option<String> {
        let doc = roxmltree::Document::parse(xml).unwrap();
        foreign_object_to_svg(doc.root_element(), "color:#ff0000;font-family:Arial;font-size:20px")
    }

    #[test]
    fn lines_and_escaping() {
        let svg = convert(r#"<foreignObject x="10" y="20" width="400" height="50"><p xmlns="http://www.w3.org/1999/xhtml">a &amp; b<br/>second</p></foreignObject>"#).unwrap();
        assert!(svg.contains(">a &amp; b</tspan>"), "{svg}");
        assert!(svg.contains(">second</tspan>"), "{svg}");
        assert!(svg.contains(r##"fill="#ff0000""##));
    }

    #[test]
    fn empty_is_none() {
        assert!(convert(r#"<foreignObject x="1" y="1" width="0" height="0"><p xmlns="http://www.w3.org/1999/xhtml"/></foreignObject>"#).is_none());
    }

    #[test]
    fn wraps_to_width() {
        let lines = wrap("hello world hello world", 6.0);
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(lines.iter().all(|l| width_em(l) <= 6.0), "{lines:?}");
    }
}
