//! `cursor.xml`: the presenter's pointer, as fractions of the current view box.

use crate::compose::CursorMoves;
use crate::error::RenderError;
use crate::layout;
use crate::shapes::Whiteboard;
use crate::timeline::Timeline;
use crate::xml::{self, Ms};

const FILE: &str = "cursor.xml";

/// Cursor events sorted by time; `None` = hidden.
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    pub events: Vec<(Ms, Option<(f64, f64)>)>,
    pub tldraw: bool,
    /// Set for tldraw files: positions are page units, not view-box fractions.
    pub space: Option<crate::tldraw::Space>,
}

impl Cursor {
    /// Positions in output pixels over `[0, duration)`: at every cursor event and at every
    /// change of the slide area (a zoom moves a visible pointer). Hidden while no slide shows.
    pub(crate) fn moves(
        &self,
        timeline: &Timeline,
        wb: &Whiteboard,
        (width, height): (u32, u32),
        duration: Ms,
    ) -> CursorMoves {
        let mut times: Vec<Ms> = self.events.iter().map(|e| e.0).collect();
        times.extend(timeline.segments.iter().map(|s| s.start));
        times.retain(|t| (0..duration).contains(t));
        times.sort_unstable();
        times.dedup();
        let mut out = CursorMoves::new();
        for t in times {
            let i = self.events.partition_point(|e| e.0 <= t);
            let pos = if i == 0 { None } else { self.events[i - 1].1 };
            let state = timeline.at(t);
            let px = pos.zip(state.slide).map(|((x, y), si)| {
                let view = &state.view;
                let (fx, fy) = match self.space {
                    // tldraw: page units → slide pixels → fraction of the view box.
                    Some(space) => {
                        let (sx, sy) = space.point(x, y, wb.slides[si].width, wb.slides[si].height);
                        ((sx - view.x) / view.w, (sy - view.y) / view.h)
                    }
                    None => (x, y),
                };
                layout::cursor_px(view, fx, fy, width, height)
            });
            if out.last().map(|l| l.1) != Some(px) {
                out.push((t, px));
            }
        }
        out
    }
}

pub(crate) fn parse(text: &str) -> Result<Cursor, RenderError> {
    let doc = xml::parse(FILE, text)?;
    let tldraw = xml::is_tldraw(&doc);
    // Legacy: fractions in 0..1, -1 = hidden. tldraw: whiteboard units, -1 = hidden too.
    let events = xml::timed_numbers(FILE, &doc, "cursor", 2)?
        .into_iter()
        .map(|(t, v)| (t, (v[0] >= 0.0 && v[1] >= 0.0).then_some((v[0], v[1]))))
        .collect();
    Ok(Cursor { events, tldraw, ..Default::default() })
}

#[cfg(test)]
mod tests {
    #[test]
    fn hidden_and_visible_positions_of_the_fixture() {
        let c = super::parse(include_str!("../../../testdata/presentation/bbb22-featuredemo/cursor.xml")).unwrap();
        assert_eq!(c.events.len(), 15);
        assert_eq!(c.events[0], (0, None));
        assert_eq!(c.events[1], (1000, Some((0.45606, 0.42537))));
    }
}
