//! The slide area as a list of distinct visual states and the exact (ms) intervals
//! during which each is on screen.

use std::collections::HashMap;

use crate::panzoom::{PanZooms, ViewBox};
use crate::shapes::Whiteboard;
use crate::xml::Ms;

/// What the slide area shows: a slide (index into `Whiteboard::slides`), the visible part
/// of it, and the annotation versions drawn on it (indices into `Whiteboard::shapes`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct State {
    pub slide: Option<usize>,
    pub view: ViewBox,
    pub shapes: Vec<usize>,
}

impl State {
    fn key(&self) -> StateKey {
        (self.slide, self.view.key(), self.shapes.clone())
    }
}

/// `[start, end)` in ms during which `state` is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub start: Ms,
    pub end: Ms,
    pub state: usize,
}

#[derive(Debug)]
pub(crate) struct Timeline {
    pub states: Vec<State>,
    pub segments: Vec<Segment>,
}

/// Identity of a state: slide, view box bits, shape versions.
type StateKey = (Option<usize>, [u64; 4], Vec<usize>);

/// View box used when no slide is shown (a blank 16:9 area).
const BLANK: ViewBox = ViewBox { x: 0.0, y: 0.0, w: 1600.0, h: 900.0 };

impl Timeline {
    /// Builds the timeline over `[0, duration)`.
    pub(crate) fn build(wb: &Whiteboard, pz: &PanZooms, duration: Ms, annotations: bool) -> Timeline {
        let mut times = vec![0];
        for s in &wb.slides {
            times.extend(s.intervals.iter().flat_map(|(a, b)| [*a, *b]));
        }
        if annotations {
            for s in &wb.shapes {
                times.push(s.start);
                times.extend(s.undo);
            }
        }
        times.extend(pz.events.iter().map(|e| e.0));
        times.retain(|t| (0..duration).contains(t));
        times.sort_unstable();
        times.dedup();

        // Shapes grouped by the slide image their canvas belongs to.
        let mut by_slide: HashMap<&str, Vec<usize>> = HashMap::new();
        if annotations {
            for (i, sh) in wb.shapes.iter().enumerate() {
                by_slide.entry(sh.slide.as_str()).or_default().push(i);
            }
        }
        let mut states: Vec<State> = Vec::new();
        let mut index: HashMap<StateKey, usize> = HashMap::new();
        let mut segments: Vec<Segment> = Vec::new();
        for (i, &t) in times.iter().enumerate() {
            let end = times.get(i + 1).copied().unwrap_or(duration);
            let state = state_at(wb, pz, t, &by_slide);
            let id = *index.entry(state.key()).or_insert_with(|| {
                states.push(state);
                states.len() - 1
            });
            match segments.last_mut() {
                Some(last) if last.state == id => last.end = end,
                _ => segments.push(Segment { start: t, end, state: id }),
            }
        }
        Timeline { states, segments }
    }

    /// For each state of `self`, the index of the equal state in `other` (`None` when
    /// `other` lacks it). A timeline built up to any later end holds every state of one
    /// built up to an earlier end, so frames rasterised for it can be reused.
    pub(crate) fn states_in(&self, other: &Timeline) -> Vec<Option<usize>> {
        let index: HashMap<StateKey, usize> = other.states.iter().enumerate().map(|(i, s)| (s.key(), i)).collect();
        self.states.iter().map(|s| index.get(&s.key()).copied()).collect()
    }

    /// The state shown at `t`.
    pub(crate) fn at(&self, t: Ms) -> &State {
        let i = self.segments.partition_point(|s| s.start <= t).max(1);
        &self.states[self.segments[i - 1].state]
    }
}

fn state_at(wb: &Whiteboard, pz: &PanZooms, t: Ms, by_slide: &HashMap<&str, Vec<usize>>) -> State {
    let slide = wb.slides.iter().rposition(|s| s.intervals.iter().any(|(a, b)| *a <= t && t < *b));
    let Some(si) = slide else {
        return State { slide: None, view: BLANK, shapes: Vec::new() };
    };
    let s = &wb.slides[si];
    let view =
        pz.at(t, s.width, s.height).filter(|v| v.w > 0.0 && v.h > 0.0).unwrap_or(ViewBox::full(s.width, s.height));
    // Among the versions of one drawing on screen at t, draw only the latest.
    let mut latest: HashMap<&str, usize> = HashMap::new();
    for &i in by_slide.get(s.id.as_str()).into_iter().flatten() {
        let sh = &wb.shapes[i];
        if sh.start <= t && sh.undo.is_none_or(|u| t < u) {
            latest
                .entry(sh.key.as_str())
                .and_modify(|j| {
                    if wb.shapes[*j].start <= sh.start {
                        *j = i
                    }
                })
                .or_insert(i);
        }
    }
    let mut shapes: Vec<usize> = latest.into_values().filter(|&i| !wb.shapes[i].svg.is_empty()).collect();
    shapes.sort_unstable_by_key(|&i| (wb.shapes[i].z, i));
    State { slide: Some(si), view, shapes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fixture() -> (Whiteboard, PanZooms) {
        let wb = crate::shapes::parse(
            include_str!("../../../testdata/presentation/bbb22-featuredemo/shapes.svg"),
            Path::new("/rec"),
        )
        .unwrap();
        let pz = crate::panzoom::parse(include_str!("../../../testdata/presentation/bbb22-featuredemo/panzooms.xml"))
            .unwrap();
        (wb, pz)
    }

    #[test]
    fn a_longer_timeline_holds_every_state_of_a_shorter_one() {
        let (wb, pz) = fixture();
        let short = Timeline::build(&wb, &pz, 100_000, true);
        let all = Timeline::build(&wb, &pz, Ms::MAX, true);
        assert!(all.states.len() > short.states.len());
        let map = short.states_in(&all);
        for (i, j) in map.iter().enumerate() {
            assert_eq!(short.states[i], all.states[j.expect("state found")]);
        }
        assert!(all.states_in(&short).iter().any(Option::is_none));
    }

    #[test]
    fn segments_tile_the_duration_exactly() {
        let (wb, pz) = fixture();
        let tl = Timeline::build(&wb, &pz, 253_200, true);
        assert_eq!(tl.segments[0].start, 0);
        assert_eq!(tl.segments.last().unwrap().end, 253_200);
        for w in tl.segments.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            assert_ne!(w[0].state, w[1].state);
        }
        assert!(tl.states.len() > 40 && tl.states.len() < 100, "{}", tl.states.len());
    }

    #[test]
    fn shapes_follow_their_slide_not_time() {
        let (wb, pz) = fixture();
        let tl = Timeline::build(&wb, &pz, 253_200, true);
        // image4 (slide 2 shown again from 116 s) carries copies with timestamps ~31-56 s:
        // they are on screen from 116 s on, one version per shape key.
        let st = tl.at(120_000);
        assert_eq!(wb.slides[st.slide.unwrap()].id, "image4");
        let keys: Vec<&str> = st.shapes.iter().map(|&i| wb.shapes[i].key.as_str()).collect();
        assert_eq!(keys.len(), 6, "{keys:?}");
        // slide 3 (108.4–116 s) has no annotations.
        assert!(tl.at(110_000).shapes.is_empty());
        // growing pencil: only the latest version is drawn.
        let st = tl.at(55_750);
        let pencils: Vec<_> = st.shapes.iter().filter(|&&i| wb.shapes[i].kind == "pencil").collect();
        assert_eq!(pencils.len(), 1);
        assert_eq!(wb.shapes[*pencils[0]].start, 55_700);
        // zoom at 151.5 s.
        assert_eq!(tl.at(151_500).view.w, 533.33333);
    }

    #[test]
    fn without_annotations_only_slides_and_zoom_change() {
        let (wb, pz) = fixture();
        let tl = Timeline::build(&wb, &pz, 253_200, false);
        assert!(tl.states.iter().all(|s| s.shapes.is_empty()));
        assert!(tl.states.len() <= 4 + 9, "{}", tl.states.len());
    }
}
