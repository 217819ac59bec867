//! Reading the recording's XML files: one-line errors naming the file, times as integer ms.
//! Every file of the recording is read within a byte bound: [`MAX_INPUT_BYTES`] for the side
//! files (chat, polls, external videos, captions), [`MAX_RECORDING_BYTES`] for the files the
//! render is made of (`shapes.svg`, `tldraw.json`, the event files, `metadata.xml`).

use std::io::{self, Read};
use std::path::Path;

use crate::error::RenderError;

/// Milliseconds on the recording timeline.
pub(crate) type Ms = i64;

/// The most bytes read of one side file of a recording (chat, `polls.json`,
/// `external_videos.json`, `captions.json`, `caption_<locale>.vtt`, shared notes): one past
/// it is skipped and named in the render's report.
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// The most bytes read of one of the files the render is made of (`shapes.svg`,
/// `tldraw.json`, `cursor.xml`, `panzooms.xml`, `deskshare.xml`, `metadata.xml`): the bound
/// a fetched recording's text files already have (a long, heavily annotated meeting can
/// exceed [`MAX_INPUT_BYTES`]).
pub const MAX_RECORDING_BYTES: u64 = crate::fetch::MAX_TEXT_BYTES;

/// The bytes of `path`, refused past [`MAX_INPUT_BYTES`] (see [`read_bounded`]).
pub(crate) fn read_input_bytes(path: &Path) -> io::Result<Vec<u8>> {
    read_bounded(path, MAX_INPUT_BYTES)
}

/// The bytes of `path`, at most `max`: a larger file is refused by its size before anything
/// is read, and at most `max + 1` bytes are ever read (a file growing meanwhile is refused
/// too). The refusal is an [`io::ErrorKind::FileTooLarge`] error naming the file and the bound.
pub(crate) fn read_bounded(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len > max {
        return Err(too_large(path, max));
    }
    let mut out = Vec::with_capacity(len as usize);
    file.take(max + 1).read_to_end(&mut out)?;
    if out.len() as u64 > max {
        return Err(too_large(path, max));
    }
    Ok(out)
}

fn too_large(path: &Path, max: u64) -> io::Error {
    io::Error::new(io::ErrorKind::FileTooLarge, format!("{}: larger than {max} bytes; not read", path.display()))
}

/// The error of a bounded read of `name` (the file's name in the recording, not its path).
pub(crate) fn read_error(name: &str, e: io::Error, max: u64) -> RenderError {
    match e.kind() {
        io::ErrorKind::FileTooLarge => RenderError::invalid(name, format!("larger than {max} bytes")),
        _ => RenderError::io(name, e),
    }
}

/// Reads side file `dir/name` as UTF-8 within [`MAX_INPUT_BYTES`]; `Ok(None)` when it does
/// not exist.
pub(crate) fn read_optional(dir: &Path, name: &str) -> Result<Option<String>, RenderError> {
    read_optional_within(dir, name, MAX_INPUT_BYTES)
}

/// Reads `dir/name` as UTF-8 within `max` bytes; `Ok(None)` when it does not exist.
pub(crate) fn read_optional_within(dir: &Path, name: &str, max: u64) -> Result<Option<String>, RenderError> {
    match read_bounded(&dir.join(name), max) {
        Ok(bytes) => {
            String::from_utf8(bytes).map(Some).map_err(|e| RenderError::invalid(name, format!("not UTF-8 text ({e})")))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(read_error(name, e, max)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_past_the_bound_is_refused_by_its_size_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join("caption_en.vtt");
        std::fs::write(&at, "WEBVTT\n").unwrap();
        assert_eq!(read_input_bytes(&at).unwrap(), b"WEBVTT\n");
        assert_eq!(read_bounded(&at, 7).unwrap(), b"WEBVTT\n");
        let e = read_bounded(&at, 6).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(e.to_string(), format!("{}: larger than 6 bytes; not read", at.display()));
        // Sparse: its size says it all, nothing is read.
        std::fs::File::options().write(true).open(&at).unwrap().set_len(MAX_INPUT_BYTES + 1).unwrap();
        let e = read_input_bytes(&at).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert!(e.to_string().contains(&format!("caption_en.vtt: larger than {MAX_INPUT_BYTES} bytes")), "{e}");
        let e = read_optional(dir.path(), "caption_en.vtt").unwrap_err();
        assert_eq!(e.to_string(), "caption_en.vtt: larger than 16777216 bytes");
        // Exactly the bound is read.
        std::fs::File::options().write(true).open(&at).unwrap().set_len(MAX_INPUT_BYTES).unwrap();
        assert_eq!(read_input_bytes(&at).unwrap().len() as u64, MAX_INPUT_BYTES);
        // The recording's own files have the larger bound.
        std::fs::File::options().write(true).open(&at).unwrap().set_len(MAX_INPUT_BYTES + 1).unwrap();
        assert!(read_optional_within(dir.path(), "caption_en.vtt", MAX_RECORDING_BYTES).unwrap().is_some());
        assert_eq!(read_optional(dir.path(), "absent.xml").unwrap(), None);
        let e = read_input_bytes(&dir.path().join("absent.xml")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn text_that_is_not_utf8_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("polls.json"), b"[\xff]").unwrap();
        let e = read_optional(dir.path(), "polls.json").unwrap_err();
        assert!(e.to_string().starts_with("polls.json: not UTF-8 text"), "{e}");
    }
}
