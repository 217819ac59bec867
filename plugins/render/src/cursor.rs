//! `cursor.xml`: the presenter's pointer, as fractions of the current view box.

use crate::error::RenderError;
use crate::xml::{self, Ms};

const FILE: &str = "cursor.xml";

/// Cursor events sorted by time; `None` = hidden.
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    pub events: Vec<(Ms, Option<(f64, f64)>)>,
    pub tldraw: bool,
}

pub(crate) fn parse(text: &str) -> Result<Cursor, RenderError> {
    let doc = xml::parse(FILE, text)?;
    let tldraw = xml::is_tldraw(&doc);
    // Legacy: fractions in 0..1, -1 = hidden. tldraw: whiteboard units, -1 = hidden too.
    let events = xml::timed_numbers(FILE, &doc, "cursor", 2)?
        .into_iter()
        .map(|(t, v)| (t, (v[0] >= 0.0 && v[1] >= 0.0).then_some((v[0], v[1]))))
        .collect();
    Ok(Cursor { events, tldraw })
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixture_events() {
        let text =
            include_str!("../../../../shared/fixtures/presentation/bbb22-featuredemo/cursor.xml");
        let c = super::parse(text).unwrap();
        assert_eq!(c.events.len(), 15);
        assert_eq!(c.events[0], (0, None));
        assert_eq!(c.events[1], (1000, Some((0.45606, 0.42537))));
    }
}
