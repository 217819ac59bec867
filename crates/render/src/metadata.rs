//! `metadata.xml`: only the playback duration is used.

use crate::error::RenderError;
use crate::xml::{self, Ms};

const FILE: &str = "metadata.xml";

/// `recording/playback/duration` in ms, if present.
pub(crate) fn duration(text: &str) -> Result<Option<Ms>, RenderError> {
    let doc = xml::parse(FILE, text)?;
    let node = doc
        .descendants()
        .filter(|n| n.has_tag_name("playback"))
        .flat_map(|p| p.children())
        .find(|n| n.has_tag_name("duration"));
    match node.and_then(|n| n.text().map(|t| (n, t))) {
        Some((n, t)) => Ok(Some(xml::number(FILE, n, t)?.round() as Ms)),
        None => Ok(None),
    }
}
