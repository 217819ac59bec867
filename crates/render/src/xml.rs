//! Reading the recording's XML files: one-line errors naming the file, times as integer ms.

use std::path::Path;

use crate::error::RenderError;

/// Milliseconds on the recording timeline.
pub(crate) type Ms = i64;

/// Reads `dir/name` as UTF-8; `Ok(None)` when it does not exist.
pub(crate) fn read_optional(dir: &Path, name: &str) -> Result<Option<String>, RenderError> {
    let path = dir.join(name);
    match std::fs::read(&path) {
        Ok(bytes) => {
            String::from_utf8(bytes).map(Some).map_err(|e| RenderError::invalid(name, format!("not UTF-8 text ({e})")))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(RenderError::io(name, e)),
    }
}

/// Parses XML text (DTDs allowed: shapes.svg has one).
pub(crate) fn parse<'a>(file: &str, text: &'a str) -> Result<roxmltree::Document<'a>, RenderError> {
    let opts = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    roxmltree::Document::parse_with_options(text, opts).map_err(|e| RenderError::Malformed {
        file: file.to_string(),
        format: "XML",
        line: e.pos().row,
        msg: crate::error::one_line(&e.to_string()),
    })
}

/// Parses a time in seconds ("10.8") into ms.
pub(crate) fn seconds(file: &str, node: roxmltree::Node, value: &str) -> Result<Ms, RenderError> {
    let v: f64 = value.trim().parse().map_err(|_| bad_number(file, node, value))?;
    if !v.is_finite() {
        return Err(bad_number(file, node, value));
    }
    Ok((v * 1000.0).round() as Ms)
}

/// Parses a float attribute/text.
pub(crate) fn number(file: &str, node: roxmltree::Node, value: &str) -> Result<f64, RenderError> {
    match value.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(bad_number(file, node, value)),
    }
}

/// A required attribute of `node`.
pub(crate) fn attr<'a>(file: &str, node: roxmltree::Node<'a, '_>, name: &str) -> Result<&'a str, RenderError> {
    node.attribute(name).ok_or_else(|| {
        RenderError::invalid(
            file,
            format!("line {}: <{}> lacks attribute {name:?}", line(node), node.tag_name().name()),
        )
    })
}

fn bad_number(file: &str, node: roxmltree::Node, value: &str) -> RenderError {
    RenderError::invalid(file, format!("line {}: not a number: {value:?}", line(node)))
}

pub(crate) fn line(node: roxmltree::Node) -> u32 {
    node.document().text_pos_at(node.range().start).row
}

/// The `<event>` elements of a cursor/panzoom/deskshare file, with their `timestamp` in ms
/// and their child element's text (e.g. `<viewBox>`), for the simple event files.
pub(crate) fn timed_events<'a>(
    file: &str,
    doc: &'a roxmltree::Document,
    child: &str,
) -> Result<Vec<(Ms, roxmltree::Node<'a, 'a>, &'a str)>, RenderError> {
    let mut out = Vec::new();
    for ev in doc.descendants().filter(|n| n.has_tag_name("event")) {
        let t = seconds(file, ev, attr(file, ev, "timestamp")?)?;
        let text = ev.children().find(|c| c.has_tag_name(child)).and_then(|c| c.text()).unwrap_or("");
        out.push((t, ev, text));
    }
    out.sort_by_key(|e| e.0);
    Ok(out)
}

/// Whether the root carries `tldraw="true"` (BBB ≥ 2.6 coordinates).
pub(crate) fn is_tldraw(doc: &roxmltree::Document) -> bool {
    doc.root_element().attribute("tldraw") == Some("true")
}

/// The events of a cursor/panzoom file whose `child` text holds exactly `count` numbers
/// (`<cursor>x y</cursor>`, `<viewBox>x y w h</viewBox>`), sorted by time.
pub(crate) fn timed_numbers(
    file: &str,
    doc: &roxmltree::Document,
    child: &str,
    count: usize,
) -> Result<Vec<(Ms, Vec<f64>)>, RenderError> {
    timed_events(file, doc, child)?
        .into_iter()
        .map(|(t, node, text)| {
            let v: Vec<f64> = text.split_whitespace().map(|v| number(file, node, v)).collect::<Result<_, _>>()?;
            if v.len() != count {
                let msg = format!("line {}: <{child}> needs {count} numbers, got {text:?}", line(node));
                return Err(RenderError::invalid(file, msg));
            }
            Ok((t, v))
        })
        .collect()
}
