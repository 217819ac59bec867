//! `panzooms.xml`: the visible part of the slide (crop/zoom) over time.

use crate::error::RenderError;
use crate::space::Space;
pub(crate) use crate::space::ViewBox;
use crate::xml::{self, Ms};

const FILE: &str = "panzooms.xml";

/// The parsed file: events sorted by time.
#[derive(Debug, Default)]
pub(crate) struct PanZooms {
    pub events: Vec<(Ms, ViewBox)>,
    /// BBB ≥ 2.6 writes `tldraw="true"`; see [`crate::tldraw`].
    pub tldraw: bool,
    /// Set for tldraw files: converts their camera values to slide pixels.
    pub space: Option<Space>,
}

impl PanZooms {
    /// The view box in force at `t` (the last event with `timestamp <= t`), in pixels of
    /// a `slide_w`×`slide_h` slide.
    pub(crate) fn at(&self, t: Ms, slide_w: f64, slide_h: f64) -> Option<ViewBox> {
        let i = self.events.partition_point(|(ts, _)| *ts <= t);
        let raw = (i > 0).then(|| self.events[i - 1].1)?;
        Some(match self.space {
            Some(space) => space.view(raw, slide_w, slide_h),
            None => raw,
        })
    }
}

pub(crate) fn parse(text: &str) -> Result<PanZooms, RenderError> {
    let doc = xml::parse(FILE, text)?;
    // Old recordings write "-0.0"; normalise so equal boxes compare equal.
    let n = |f: f64| if f == 0.0 { 0.0 } else { f };
    let events = xml::timed_numbers(FILE, &doc, "viewBox", 4)?
        .into_iter()
        .map(|(t, v)| (t, ViewBox { x: n(v[0]), y: n(v[1]), w: v[2], h: v[3] }))
        .collect();
    Ok(PanZooms { events, tldraw: xml::is_tldraw(&doc), ..Default::default() })
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixture_events() {
        let text = include_str!("../../../testdata/presentation/bbb22-featuredemo/panzooms.xml");
        let pz = super::parse(text).unwrap();
        assert_eq!(pz.events.len(), 9);
        assert_eq!(pz.at(151_500, 1600.0, 900.0).unwrap().w, 533.33333);
        assert_eq!(pz.at(0, 1600.0, 900.0).unwrap(), super::ViewBox::full(1600.0, 900.0));
        assert!(!pz.tldraw);
    }

    #[test]
    fn wrong_count_names_file_and_line() {
        let err = super::parse("<recording>\n<event timestamp=\"1.0\"><viewBox>1 2 3</viewBox></event></recording>")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "panzooms.xml: line 2: <viewBox> needs 4 numbers, got \"1 2 3\"");
    }
}
