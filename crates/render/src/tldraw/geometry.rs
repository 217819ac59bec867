//! Geometry shared by both tldraw generations: smoothed freehand lines, arcs through
//! three points, arrowheads, the outlines of every `geo` kind and dash patterns. All in
//! page units, as SVG path data.

use std::f64::consts::PI;
use std::fmt::Write;

pub(crate) type Pt = (f64, f64);

/// A number for SVG: two decimals, no trailing zeros.
pub(crate) fn n(v: f64) -> String {
    let v = if v.is_finite() { (v * 100.0).round() / 100.0 } else { 0.0 };
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// Smooths a freehand line the way tldraw's freehand library does before outlining it:
/// each point moves only part of the way (`1 - streamline`, here 0.4475 for the
/// player's streamline of 0.65) from the previous smoothed point towards the pointer;
/// a finished line ends exactly at the last input point.
pub(crate) fn streamline(points: &[Pt], complete: bool) -> Vec<Pt> {
    const T: f64 = 0.15 + (1.0 - 0.65) * 0.85;
    let mut out: Vec<Pt> = Vec::with_capacity(points.len() + 1);
    for &p in points {
        match out.last() {
            None => out.push(p),
            Some(&(px, py)) => out.push((px + (p.0 - px) * T, py + (p.1 - py) * T)),
        }
    }
    if complete && points.len() > 1 {
        let last = points[points.len() - 1];
        if out.last() != Some(&last) {
            out.push(last);
        }
    }
    out
}

/// An open path through the midpoints of consecutive points with quadratic curves (the
/// way tldraw turns stroke points into SVG). One point is a zero-length line, drawn as a
/// dot with round caps.
pub(crate) fn smooth_path(points: &[Pt]) -> String {
    let mut d = String::new();
    match points {
        [] => {}
        [p] => {
            let _ = write!(d, "M{} {}l0 0", n(p.0), n(p.1));
        }
        [a, b] => {
            let _ = write!(d, "M{} {}L{} {}", n(a.0), n(a.1), n(b.0), n(b.1));
        }
        _ => {
            let _ = write!(d, "M{} {}", n(points[0].0), n(points[0].1));
            for w in points.windows(2).skip(1).take(points.len() - 2) {
                let (c, next) = (w[0], w[1]);
                let mid = ((c.0 + next.0) / 2.0, (c.1 + next.1) / 2.0);
                let _ = write!(d, "Q{} {} {} {}", n(c.0), n(c.1), n(mid.0), n(mid.1));
            }
            let last = points[points.len() - 1];
            let _ = write!(d, "L{} {}", n(last.0), n(last.1));
        }
    }
    d
}

/// A straight polyline (optionally closed).
pub(crate) fn polyline(points: &[Pt], closed: bool) -> String {
    let mut d = String::new();
    for (i, p) in points.iter().enumerate() {
        let _ = write!(d, "{}{} {}", if i == 0 { 'M' } else { 'L' }, n(p.0), n(p.1));
    }
    if closed && !points.is_empty() {
        d.push('Z');
    }
    d
}

/// The circle through three points: (centre, radius), `None` when they are collinear.
fn circle(a: Pt, b: Pt, c: Pt) -> Option<(Pt, f64)> {
    let d = 2.0 * (a.0 * (b.1 - c.1) + b.0 * (c.1 - a.1) + c.0 * (a.1 - b.1));
    if d.abs() < 1e-9 {
        return None;
    }
    let sq = |p: Pt| p.0 * p.0 + p.1 * p.1;
    let ux = (sq(a) * (b.1 - c.1) + sq(b) * (c.1 - a.1) + sq(c) * (a.1 - b.1)) / d;
    let uy = (sq(a) * (c.0 - b.0) + sq(b) * (a.0 - c.0) + sq(c) * (b.0 - a.0)) / d;
    Some(((ux, uy), ((a.0 - ux).powi(2) + (a.1 - uy).powi(2)).sqrt()))
}

/// The shaft of an arrow from `a` to `b` passing through `via`: a straight line when
/// `via` is (nearly) on the segment, else the arc of the circle through the three points.
/// Returns the path and the direction the shaft arrives at each end (for the heads).
pub(crate) fn shaft(a: Pt, via: Pt, b: Pt) -> (String, Pt, Pt) {
    let straight = |a: Pt, b: Pt| {
        let dir = unit((b.0 - a.0, b.1 - a.1));
        (polyline(&[a, b], false), (-dir.0, -dir.1), dir)
    };
    let chord = ((b.0 - a.0), (b.1 - a.1));
    let len = (chord.0 * chord.0 + chord.1 * chord.1).sqrt();
    let off = if len > 0.0 { ((via.0 - a.0) * chord.1 - (via.1 - a.1) * chord.0).abs() / len } else { 0.0 };
    if off < 1.0 {
        return straight(a, b);
    }
    let Some((c, r)) = circle(a, via, b) else { return straight(a, b) };
    // Sweep: which way round the circle goes from a through via to b.
    let cross = (via.0 - a.0) * (b.1 - a.1) - (via.1 - a.1) * (b.0 - a.0);
    let sweep = if cross < 0.0 { 0 } else { 1 };
    let ang = |p: Pt| (p.1 - c.1).atan2(p.0 - c.0);
    let span = {
        let (s, e) = (ang(a), ang(b));
        let mut d = if sweep == 1 { e - s } else { s - e };
        while d < 0.0 {
            d += 2.0 * PI;
        }
        d
    };
    let large = if span > PI { 1 } else { 0 };
    let d = format!("M{} {}A{} {} 0 {large} {sweep} {} {}", n(a.0), n(a.1), n(r), n(r), n(b.0), n(b.1));
    // Tangents: perpendicular to the radius, oriented along the travel.
    let tangent = |p: Pt| {
        let (rx, ry) = (p.0 - c.0, p.1 - c.1);
        let t = if sweep == 1 { (-ry, rx) } else { (ry, -rx) };
        unit(t)
    };
    let (ta, tb) = (tangent(a), tangent(b));
    (d, (-ta.0, -ta.1), tb)
}

pub(crate) fn unit(v: Pt) -> Pt {
    let l = (v.0 * v.0 + v.1 * v.1).sqrt();
    if l > 0.0 {
        (v.0 / l, v.1 / l)
    } else {
        (1.0, 0.0)
    }
}

/// Arrowhead kinds of tldraw v2 (v1 only has `arrow`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Head {
    None,
    Arrow,
    Triangle,
    Square,
    Dot,
    Diamond,
    Inverted,
    Bar,
}

impl Head {
    pub(crate) fn parse(name: &str) -> Option<Head> {
        Some(match name {
            "none" => Head::None,
            "arrow" => Head::Arrow,
            "triangle" => Head::Triangle,
            "square" => Head::Square,
            "dot" => Head::Dot,
            "diamond" => Head::Diamond,
            "inverted" => Head::Inverted,
            "bar" => Head::Bar,
            _ => return None,
        })
    }
}

/// The head at `tip`, the shaft arriving in direction `dir`: SVG elements drawn with
/// `stroke`, `width`. Its size is a third of the arrow's length, at most 8 stroke widths
/// (tldraw's rule); the `arrow` head is two lines at ±30°.
pub(crate) fn head(kind: Head, tip: Pt, dir: Pt, length: f64, stroke: &str, width: f64) -> String {
    let size = (length / 3.0).min(8.0 * width).max(width);
    let back = (-dir.0, -dir.1);
    let rot = |v: Pt, a: f64| (v.0 * a.cos() - v.1 * a.sin(), v.0 * a.sin() + v.1 * a.cos());
    let at = |v: Pt, s: f64| (tip.0 + v.0 * s, tip.1 + v.1 * s);
    let side = rot(back, PI / 2.0);
    let stroked = |d: String, fill: &str| {
        format!(
            r#"<path d="{d}" fill="{fill}" stroke="{stroke}" stroke-width="{}" stroke-linecap="round" stroke-linejoin="round"/>"#,
            n(width)
        )
    };
    match kind {
        Head::None => String::new(),
        Head::Arrow => {
            let (l, r) = (at(rot(back, PI / 6.0), size), at(rot(back, -PI / 6.0), size));
            stroked(polyline(&[l, tip, r], false), "none")
        }
        Head::Triangle => {
            let (l, r) = (at(rot(back, PI / 6.0), size), at(rot(back, -PI / 6.0), size));
            stroked(polyline(&[l, tip, r], true), stroke)
        }
        Head::Inverted => {
            // A triangle whose base is at the tip and whose apex points back along the shaft.
            let w = size * 0.58;
            let (l, r) = ((tip.0 + side.0 * w, tip.1 + side.1 * w), (tip.0 - side.0 * w, tip.1 - side.1 * w));
            stroked(polyline(&[l, at(back, size), r], true), stroke)
        }
        Head::Square => {
            let h = size / 2.0;
            let c = at(back, h);
            let pts: Vec<Pt> = [(1.0, 1.0), (1.0, -1.0), (-1.0, -1.0), (-1.0, 1.0)]
                .iter()
                .map(|(a, b)| (c.0 + (back.0 * a + side.0 * b) * h, c.1 + (back.1 * a + side.1 * b) * h))
                .collect();
            stroked(polyline(&pts, true), stroke)
        }
        Head::Diamond => {
            let h = size / 2.0;
            let c = at(back, h);
            let pts = [tip, (c.0 + side.0 * h, c.1 + side.1 * h), at(back, size), (c.0 - side.0 * h, c.1 - side.1 * h)];
            stroked(polyline(&pts, true), stroke)
        }
        Head::Dot => format!(
            r#"<circle cx="{}" cy="{}" r="{}" fill="{stroke}"/>"#,
            n(tip.0 + back.0 * size / 4.0),
            n(tip.1 + back.1 * size / 4.0),
            n(size / 4.0)
        ),
        Head::Bar => {
            let h = size / 2.0;
            stroked(
                polyline(&[(tip.0 + side.0 * h, tip.1 + side.1 * h), (tip.0 - side.0 * h, tip.1 - side.1 * h)], false),
                "none",
            )
        }
    }
}

/// `stroke-dasharray` for a tldraw dash style at stroke `width`: `dashed` is dashes of 2
/// widths with equal gaps, `dotted` dots 2 widths apart (the element must have round
/// caps, which turn zero-length dashes into dots); `draw` and `solid` are continuous.
pub(crate) fn dash_attrs(dash: &str, width: f64) -> String {
    match dash {
        "dashed" => format!(r#" stroke-dasharray="{} {}""#, n(2.0 * width), n(2.0 * width)),
        "dotted" => format!(r#" stroke-dasharray="0 {}""#, n(2.0 * width)),
        _ => String::new(),
    }
}

/// The outline of a v2 `geo` kind in a `w`×`h` box, or `None` for an unknown kind.
pub(crate) fn geo_outline(kind: &str, w: f64, h: f64) -> Option<String> {
    let ring = |pts: &[(f64, f64)]| polyline(&pts.iter().map(|(x, y)| (x * w, y * h)).collect::<Vec<_>>(), true);
    let inset = (w * 0.38).min(h * 0.38);
    Some(match kind {
        "rectangle" | "x-box" | "check-box" => {
            let mut d = polyline(&[(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)], true);
            if kind == "x-box" {
                d += &polyline(&[(0.0, 0.0), (w, h)], false);
                d += &polyline(&[(w, 0.0), (0.0, h)], false);
            } else if kind == "check-box" {
                d += &polyline(&[(w * 0.25, h * 0.52), (w * 0.45, h * 0.8), (w * 0.82, h * 0.22)], false);
            }
            d
        }
        "ellipse" => ellipse(w / 2.0, h / 2.0, w / 2.0, h / 2.0),
        "oval" => {
            let r = w.min(h) / 2.0;
            format!(
                "M{} 0L{} 0A{r} {r} 0 0 1 {} {}L{} {}A{r} {r} 0 0 1 {} 0Z",
                n(r),
                n(w - r),
                n(w - r),
                n(h),
                n(r),
                n(h),
                n(r),
                r = n(r)
            )
        }
        "triangle" => ring(&[(0.5, 0.0), (1.0, 1.0), (0.0, 1.0)]),
        "diamond" => ring(&[(0.5, 0.0), (1.0, 0.5), (0.5, 1.0), (0.0, 0.5)]),
        "rhombus" => polyline(&[(inset, 0.0), (w, 0.0), (w - inset, h), (0.0, h)], true),
        "rhombus-2" => polyline(&[(0.0, 0.0), (w - inset, 0.0), (w, h), (inset, h)], true),
        "trapezoid" => polyline(&[(inset, 0.0), (w - inset, 0.0), (w, h), (0.0, h)], true),
        "pentagon" => regular(5, w, h),
        "hexagon" => regular(6, w, h),
        "octagon" => regular(8, w, h),
        "star" => star(w, h),
        "cloud" => cloud(w, h),
        "arrow-right" | "arrow-left" | "arrow-up" | "arrow-down" => block_arrow(kind, w, h),
        _ => return None,
    })
}

pub(crate) fn ellipse(cx: f64, cy: f64, rx: f64, ry: f64) -> String {
    format!(
        "M{} {}A{} {} 0 1 0 {} {}A{} {} 0 1 0 {} {}Z",
        n(cx - rx),
        n(cy),
        n(rx),
        n(ry),
        n(cx + rx),
        n(cy),
        n(rx),
        n(ry),
        n(cx - rx),
        n(cy)
    )
}

/// A regular polygon stretched to the box, first vertex at the top.
fn regular(sides: usize, w: f64, h: f64) -> String {
    let pts: Vec<Pt> = (0..sides)
        .map(|i| {
            let a = -PI / 2.0
                + 2.0 * PI * i as f64 / sides as f64
                + if sides.is_multiple_of(2) { PI / sides as f64 } else { 0.0 };
            (w / 2.0 + w / 2.0 * a.cos(), h / 2.0 + h / 2.0 * a.sin())
        })
        .collect();
    polyline(&pts, true)
}

/// A five-pointed star stretched to the box.
fn star(w: f64, h: f64) -> String {
    let pts: Vec<Pt> = (0..10)
        .map(|i| {
            let a = -PI / 2.0 + PI * i as f64 / 5.0;
            let r = if i % 2 == 0 { 1.0 } else { 0.382 };
            (w / 2.0 + w / 2.0 * r * a.cos(), h / 2.0 + h / 2.0 * r * a.sin())
        })
        .collect();
    polyline(&pts, true)
}

/// A cloud: bumps (outward arcs) along the ellipse inscribed in the box.
fn cloud(w: f64, h: f64) -> String {
    let bumps = 10;
    let pts: Vec<Pt> = (0..bumps)
        .map(|i| {
            let a = 2.0 * PI * i as f64 / bumps as f64;
            (w / 2.0 + w * 0.42 * a.cos(), h / 2.0 + h * 0.38 * a.sin())
        })
        .collect();
    let mut d = format!("M{} {}", n(pts[0].0), n(pts[0].1));
    for i in 0..bumps {
        let (a, b) = (pts[i], pts[(i + 1) % bumps]);
        let r = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt() / 1.6;
        let _ = write!(d, "A{} {} 0 0 1 {} {}", n(r), n(r), n(b.0), n(b.1));
    }
    d.push('Z');
    d
}

/// A block arrow pointing right, rotated into place for the other directions.
fn block_arrow(kind: &str, w: f64, h: f64) -> String {
    // Along = the pointing axis, across = the other.
    let (along, across) = if kind == "arrow-right" || kind == "arrow-left" { (w, h) } else { (h, w) };
    let head = (across / 2.0).min(along * 0.6);
    let (t1, t2) = (across * 0.25, across * 0.75);
    let right = [
        (0.0, t1),
        (along - head, t1),
        (along - head, 0.0),
        (along, across / 2.0),
        (along - head, across),
        (along - head, t2),
        (0.0, t2),
    ];
    let pts: Vec<Pt> = right
        .iter()
        .map(|&(x, y)| match kind {
            "arrow-left" => (along - x, y),
            "arrow-down" => (y, x),
            "arrow-up" => (y, along - x),
            _ => (x, y),
        })
        .collect();
    polyline(&pts, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short() {
        assert_eq!(n(1.0), "1");
        assert_eq!(n(1.256), "1.26");
        assert_eq!(n(-0.001), "0");
        assert_eq!(n(f64::NAN), "0");
    }

    #[test]
    fn streamline_lags_and_ends_on_the_last_point() {
        let s = streamline(&[(0.0, 0.0), (10.0, 0.0), (20.0, 0.0)], true);
        assert!(s[1].0 > 0.0 && s[1].0 < 10.0);
        assert_eq!(*s.last().unwrap(), (20.0, 0.0));
        let open = streamline(&[(0.0, 0.0), (10.0, 0.0)], false);
        assert_eq!(open.len(), 2);
        assert!(open[1].0 < 10.0);
    }

    #[test]
    fn shaft_is_straight_or_an_arc() {
        let (d, start, end) = shaft((0.0, 0.0), (50.0, 0.0), (100.0, 0.0));
        assert_eq!(d, "M0 0L100 0");
        assert_eq!((start, end), ((-1.0, 0.0), (1.0, 0.0)));
        let (d, _, end) = shaft((0.0, 0.0), (50.0, 50.0), (100.0, 0.0));
        assert!(d.contains('A'), "{d}");
        // Through (50,50): a half circle of radius 50, arriving straight up at (100,0).
        assert!(d.starts_with("M0 0A50 50"), "{d}");
        assert!(end.1 < -0.99, "{end:?}");
    }

    #[test]
    fn geo_outlines_fit_their_box() {
        // Every kind is drawn and checked in tests/tldraw.rs; here the shapes' corners.
        assert_eq!(geo_outline("diamond", 100.0, 50.0).unwrap(), "M50 0L100 25L50 50L0 25Z");
        assert_eq!(geo_outline("triangle", 10.0, 20.0).unwrap(), "M5 0L10 20L0 20Z");
        assert!(geo_outline("heart-shaped", 1.0, 1.0).is_none());
    }
}
