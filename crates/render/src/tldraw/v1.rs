//! tldraw v1 shapes (BBB 2.6 and 2.7) as SVG, in page units.
//!
//! Every v1 shape has a top-left `point`, a `rotation` in radians about the centre of its
//! bounds and a `style` {color, size small|medium|large, dash draw|solid|dashed|dotted,
//! isFilled, scale, font, textAlign}. Coordinates inside the shape are relative to
//! `point`. Types: `draw` (freehand points [x, y, pressure]), `rectangle`, `triangle`
//! (apex top middle), `ellipse` (`radius`, centre = point + radius), `arrow` (handles
//! start/end/bend, `decorations` heads; the line tool is an arrow without heads), `text`,
//! `sticky` (a 200×200 note), `group` (nothing of its own) and `image` (not published).

use serde_json::Value;

use super::geometry::{self, dash_attrs, n, smooth_path, streamline, Head, Pt};
use super::style::{font_family, Styles};
use super::{num, pair, placed, text_of, Skip, TextBlock};
use crate::text::width_em;

/// Text line height of v1 (CSS `line-height: 1.3`).
const LINE_HEIGHT: f64 = 1.3;

struct Style<'a> {
    color: &'a str,
    size: &'a str,
    dash: &'a str,
    filled: bool,
    scale: f64,
    font: &'a str,
    align: &'a str,
    opacity: f64,
}

impl<'a> Style<'a> {
    fn of(data: &'a Value) -> Style<'a> {
        let s = data.get("style").unwrap_or(&Value::Null);
        Style {
            color: s.get("color").and_then(Value::as_str).unwrap_or("black"),
            size: s.get("size").and_then(Value::as_str).unwrap_or("medium"),
            dash: s.get("dash").and_then(Value::as_str).unwrap_or("draw"),
            filled: s.get("isFilled").and_then(Value::as_bool).unwrap_or(false),
            scale: num(s, "scale").filter(|v| *v > 0.0).unwrap_or(1.0),
            font: s.get("font").and_then(Value::as_str).unwrap_or("script"),
            align: s.get("textAlign").and_then(Value::as_str).unwrap_or("start"),
            opacity: num(s, "opacity").unwrap_or(1.0),
        }
    }
}

/// Stroke width of outlines: the hand-drawn (`draw`) look is a stroke about one width
/// wide; the other dashes are drawn at 1 + 1.618 × width, as tldraw v1 does.
fn outline_width(dash: &str, sw: f64) -> f64 {
    if dash == "draw" {
        1.0 + sw
    } else {
        1.0 + 1.618 * sw
    }
}

/// The SVG of one v1 shape version, or why it is not drawn.
pub(crate) fn draw(data: &Value, st: &mut Styles) -> Result<String, Skip> {
    let kind = data.get("type").and_then(Value::as_str).unwrap_or("");
    let style = Style::of(data);
    let at = pair(data.get("point")).unwrap_or((0.0, 0.0));
    let rotation = num(data, "rotation").unwrap_or(0.0);
    let size = pair(data.get("size")).unwrap_or((0.0, 0.0));
    let (body, bounds) = match kind {
        "draw" => (freehand(data, &style, st), size),
        "rectangle" | "triangle" => (polygon(kind, data, size, &style, st), size),
        "ellipse" => {
            let r = pair(data.get("radius")).unwrap_or((0.0, 0.0));
            (ellipse(data, r, &style, st), (2.0 * r.0, 2.0 * r.1))
        }
        "arrow" => (arrow(data, &style, st), size),
        "text" => text(data, &style, st),
        "sticky" => (sticky(data, size, &style, st), size),
        "group" => return Ok(String::new()),
        "image" => return Err("the picture is not part of the published recording".into()),
        _ => return Err("unknown shape type".into()),
    };
    let pivot = (bounds.0 / 2.0, bounds.1 / 2.0);
    Ok(placed(at, rotation, pivot, style.opacity, body))
}

/// Freehand points relative to the shape.
fn points(data: &Value) -> Vec<Pt> {
    data.get("points").and_then(Value::as_array).into_iter().flatten().filter_map(|p| pair(Some(p))).collect()
}

/// A freehand line: smoothed, round ends, filled when closed (see `draw_line`).
fn freehand(data: &Value, style: &Style, st: &mut Styles) -> String {
    let pts = points(data);
    let complete = data.get("isComplete").and_then(Value::as_bool).unwrap_or(true);
    let sw = st.stroke(style.size);
    let colour = st.v1(style.color);
    let closed = style.filled
        && pts.len() > 3
        && pts
            .first()
            .zip(pts.last())
            .is_some_and(|(a, b)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt() < 2.0 * sw);
    let fill = closed.then(|| st.v1_fill(style.color));
    draw_line(&pts, complete, sw, style.dash, colour, fill.as_deref())
}

/// A freehand line as the players draw it: the `draw` dash is a smoothed stroke about
/// 1 + 2 × width wide (tldraw outlines the line at 1 + 1.5 × width and strokes the
/// outline at half a width); other dashes stroke the centre line at 1 + 1.5 × width with
/// dashes of 4 widths or dots 4 widths apart.
pub(super) fn draw_line(pts: &[Pt], complete: bool, sw: f64, dash: &str, colour: &str, fill: Option<&str>) -> String {
    if pts.is_empty() {
        return String::new();
    }
    let smooth = streamline(pts, complete);
    let mut d = smooth_path(&smooth);
    if fill.is_some() {
        d.push('Z');
    }
    let fill = fill.unwrap_or("none");
    let (width, dashes) = match dash {
        "dashed" => (1.0 + 1.5 * sw, format!(r#" stroke-dasharray="{} {}""#, n(4.0 * sw), n(4.0 * sw))),
        "dotted" => (1.0 + 1.5 * sw, format!(r#" stroke-dasharray="0 {}""#, n(4.0 * sw))),
        _ => (1.0 + 2.0 * sw, String::new()),
    };
    format!(
        r#"<path d="{d}" fill="{fill}" stroke="{colour}" stroke-width="{}" stroke-linecap="round" stroke-linejoin="round"{dashes}/>"#,
        n(width)
    )
}

fn fill_of(style: &Style, st: &mut Styles) -> String {
    if style.filled {
        st.v1_fill(style.color)
    } else {
        "none".into()
    }
}

/// Rectangle or triangle, with its label.
fn polygon(kind: &str, data: &Value, (w, h): Pt, style: &Style, st: &mut Styles) -> String {
    let sw = st.stroke(style.size);
    let width = outline_width(style.dash, sw);
    // Solid and dashed outlines are drawn inset by half a stroke (tldraw v1).
    let i = if style.dash == "draw" { 0.0 } else { sw / 2.0 };
    let pts: Vec<Pt> = if kind == "triangle" {
        vec![(w / 2.0, i), (w - i, h - i), (i, h - i)]
    } else {
        vec![(i, i), (w - i, i), (w - i, h - i), (i, h - i)]
    };
    let d = geometry::polyline(&pts, true);
    let (colour, fill) = (st.v1(style.color), fill_of(style, st));
    let mut svg = format!(
        r#"<path d="{d}" fill="{fill}" stroke="{colour}" stroke-width="{}" stroke-linejoin="round" stroke-linecap="round"{}/>"#,
        n(width),
        dash_attrs(style.dash, width)
    );
    // Triangle labels sit lower, towards the centroid.
    let shift = if kind == "triangle" { 0.72 * (h / 6.0) } else { 0.0 };
    svg += &label(data, (w, h), shift, style, st);
    svg
}

fn ellipse(data: &Value, (rx, ry): Pt, style: &Style, st: &mut Styles) -> String {
    let sw = st.stroke(style.size);
    let width = outline_width(style.dash, sw);
    let (colour, fill) = (st.v1(style.color), fill_of(style, st));
    let d = geometry::ellipse(rx, ry, (rx - sw / 2.0).max(0.5), (ry - sw / 2.0).max(0.5));
    format!(
        r#"<path d="{d}" fill="{fill}" stroke="{colour}" stroke-width="{}" stroke-linecap="round"{}/>{}"#,
        n(width),
        dash_attrs(style.dash, width),
        label(data, (2.0 * rx, 2.0 * ry), 0.0, style, st)
    )
}

/// The label of a rectangle, triangle or ellipse: centred on the bounds (moved by
/// `labelPoint`), in the shape's colour.
fn label(data: &Value, (w, h): Pt, shift: f64, style: &Style, st: &mut Styles) -> String {
    let text = text_of(data, "label");
    if text.trim().is_empty() {
        return String::new();
    }
    let lp = pair(data.get("labelPoint")).unwrap_or((0.5, 0.5));
    let block = TextBlock {
        text,
        size: st.v1_font(style.size) * style.scale,
        family: font_family(style.font),
        fill: st.v1(style.color),
        align: "middle",
        line_height: LINE_HEIGHT,
        wrap: None,
        halo: None,
    };
    let (_, _, bh) = block.layout();
    block.svg(w * lp.0, h * lp.1 + shift - bh / 2.0)
}

/// An arrow or a line: a straight shaft or an arc through the bend handle, heads where
/// `decorations` says `arrow`, the label at the bend point over a gap in the shaft.
fn arrow(data: &Value, style: &Style, st: &mut Styles) -> String {
    let handle = |name: &str| pair(data.pointer(&format!("/handles/{name}/point")));
    let (Some(a), Some(b)) = (handle("start"), handle("end")) else { return String::new() };
    let via = handle("bend").unwrap_or(((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0));
    let sw = st.stroke(style.size);
    let width = 1.0 + 1.618 * sw;
    let colour = st.v1(style.color);
    let (d, start_dir, end_dir) = geometry::shaft(a, via, b);
    let length = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
    let text = text_of(data, "label");
    let font = st.v1_font(style.size) * style.scale;
    // The label shrinks on short arrows (never below half size).
    let (lw, lh) = (width_em(text) * font, font * LINE_HEIGHT);
    let k = (length / (lh + 128.0)).max(length / (lw + 128.0)).clamp(0.5, 1.0);
    let mut svg = String::new();
    let mut mask = String::new();
    if !text.trim().is_empty() {
        let id = super::def_id("m", data);
        let (hw, hh) = (lw * k / 2.0 + 4.0 * k, lh * k / 2.0);
        svg += &format!(
            r#"<mask id="{id}" maskUnits="userSpaceOnUse" x="-100000" y="-100000" width="200000" height="200000"><rect x="-100000" y="-100000" width="200000" height="200000" fill="white"/><rect x="{}" y="{}" width="{}" height="{}" rx="{}" fill="black"/></mask>"#,
            n(via.0 - hw),
            n(via.1 - hh),
            n(2.0 * hw),
            n(2.0 * hh),
            n(4.0 * k)
        );
        mask = format!(r#" mask="url(#{id})""#);
    }
    let dashes = if style.dash == "draw" { String::new() } else { dash_attrs(style.dash, width) };
    svg += &format!(
        r#"<path d="{d}" fill="none" stroke="{colour}" stroke-width="{}" stroke-linecap="round"{dashes}{mask}/>"#,
        n(width)
    );
    for (end, tip, dir) in [("start", a, start_dir), ("end", b, end_dir)] {
        if data.pointer(&format!("/decorations/{end}")).and_then(Value::as_str) == Some("arrow") {
            svg += &geometry::head(Head::Arrow, tip, dir, length, colour, width);
        }
    }
    if !text.trim().is_empty() {
        let block = TextBlock {
            text,
            size: font * k,
            family: font_family(style.font),
            fill: colour,
            align: "middle",
            line_height: LINE_HEIGHT,
            wrap: None,
            halo: None,
        };
        svg += &block.svg(via.0, via.1 - lh * k / 2.0);
    }
    svg
}

/// Text at the shape's point (4 units of padding), no wrapping but at line breaks.
fn text(data: &Value, style: &Style, st: &mut Styles) -> (String, Pt) {
    let block = TextBlock {
        text: text_of(data, "text"),
        size: st.v1_font(style.size) * style.scale,
        family: font_family(style.font),
        fill: st.v1(style.color),
        align: style.align,
        line_height: LINE_HEIGHT,
        wrap: None,
        halo: None,
    };
    let (_, w, h) = block.layout();
    let x = match style.align {
        "middle" => 4.0 + w / 2.0,
        "end" => 4.0 + w,
        _ => 4.0,
    };
    (block.svg(x, 4.0), (w + 8.0, h + 8.0))
}

/// A sticky note: a softly shadowed square of a light shade of its colour, dark text
/// wrapped inside 16 units of padding, top aligned.
fn sticky(data: &Value, (w, h): Pt, style: &Style, st: &mut Styles) -> String {
    let (w, h) = if w > 0.0 && h > 0.0 { (w, h) } else { (200.0, 200.0) };
    let paper = st.v1_sticky(style.color);
    let block = TextBlock {
        text: text_of(data, "text"),
        size: st.v1_sticky_font(style.size) * style.scale,
        family: font_family(style.font),
        fill: "#0D0D0D",
        align: style.align,
        line_height: LINE_HEIGHT,
        wrap: Some(w - 32.0),
        halo: None,
    };
    let x = match style.align {
        "middle" => w / 2.0,
        "end" => w - 16.0,
        _ => 16.0,
    };
    format!(
        r##"<rect x="2" y="3" width="{w}" height="{h}" rx="3" fill="#000000" fill-opacity="0.15"/><rect width="{w}" height="{h}" rx="3" fill="{paper}" stroke="#000000" stroke-opacity="0.15" stroke-width="2"/>{}"##,
        block.svg(x, 16.0),
        w = n(w),
        h = n(h)
    )
}
