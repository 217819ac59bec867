//! tldraw v2 shapes (BBB 3.0) as SVG, in page units.
//!
//! A v2 shape has `x`, `y` (top left), `rotation` in radians **about (x, y)**, `opacity`,
//! a `parentId` (`page:N`, or a frame's id: then x, y are relative to the frame) and its
//! `props`. Types: `draw` and `highlight` (segments of {x, y, z} points), `geo` (a kind:
//! rectangle, ellipse, triangle, diamond, … in a w×h box, with fill and label), `arrow`
//! (start/end points or bindings, `bend`, heads, label), `line` (handles, `spline`),
//! `text`, `note` (a 200×200 sticky note), `frame`, BBB's `poll`, `group`, and media
//! shapes that are not in the published recording.

use std::collections::HashMap;

use serde_json::Value;

use super::geometry::{self, dash_attrs, n, Head, Pt};
use super::style::{font_family, FontUse, Shade, Styles, V2_BACKGROUND, V2_SEMI_FILL};
use super::v1::draw_line;
use super::{num, placed, text_of, Skip, TextBlock};

/// v2 text line height.
const LINE_HEIGHT: f64 = 1.35;
/// tldraw's note size.
const NOTE: f64 = 200.0;

/// Frames seen so far: id → (x, y, w, h) on the page.
pub(crate) type Frames = HashMap<String, (f64, f64, f64, f64)>;

fn prop<'a>(data: &'a Value, key: &str) -> &'a str {
    data.pointer(&format!("/props/{key}")).and_then(Value::as_str).unwrap_or("")
}

fn prop_num(data: &Value, key: &str) -> Option<f64> {
    data.pointer(&format!("/props/{key}")).and_then(Value::as_f64).filter(|v| v.is_finite())
}

/// `s`, `m`, `l`, `xl` (default `m`).
fn size(data: &Value) -> &str {
    Some(prop(data, "size")).filter(|s| !s.is_empty()).unwrap_or("m")
}

fn colour_name<'a>(data: &'a Value, key: &str) -> &'a str {
    Some(prop(data, key)).filter(|s| !s.is_empty()).unwrap_or("black")
}

/// The SVG of one v2 shape version, or why it is not drawn.
pub(crate) fn draw(data: &Value, st: &mut Styles, frames: &mut Frames) -> Result<String, Skip> {
    let kind = data.get("type").and_then(Value::as_str).unwrap_or("");
    let mut at = (num(data, "x").unwrap_or(0.0), num(data, "y").unwrap_or(0.0));
    let parent = text_of(data, "parentId");
    let frame = frames.get(parent).copied();
    if let Some((fx, fy, _, _)) = frame {
        at = (at.0 + fx, at.1 + fy);
    }
    let body = match kind {
        "draw" => freehand(data, st),
        "highlight" => highlight(data, st),
        "geo" => geo(data, st),
        "arrow" => arrow(data, st),
        "line" => line(data, st),
        "text" => text(data, st),
        "note" => note(data, st),
        "frame" => {
            let (w, h) = (prop_num(data, "w").unwrap_or(0.0), prop_num(data, "h").unwrap_or(0.0));
            if let Some(id) = data.get("id").and_then(Value::as_str) {
                frames.insert(id.to_string(), (at.0, at.1, w, h));
            }
            frame_shape(data, w, h)
        }
        "poll" => poll(data, st),
        "group" => return Ok(String::new()),
        "image" | "video" | "embed" | "bookmark" => {
            return Err("the media is not part of the published recording".into())
        }
        _ => return Err("unknown shape type".into()),
    };
    let rotation = num(data, "rotation").unwrap_or(0.0);
    let opacity = num(data, "opacity").unwrap_or(1.0);
    let svg = placed(at, rotation, (0.0, 0.0), opacity, body);
    // Children of a frame are clipped to it.
    Ok(match frame {
        Some((fx, fy, fw, fh)) if !svg.is_empty() => {
            let id = super::def_id("c", data);
            format!(
                r#"<clipPath id="{id}"><rect x="{}" y="{}" width="{}" height="{}"/></clipPath><g clip-path="url(#{id})">{svg}</g>"#,
                n(fx),
                n(fy),
                n(fw),
                n(fh)
            )
        }
        _ => svg,
    })
}

/// Every point of the segments, in order.
fn segment_points(data: &Value) -> Vec<Pt> {
    let segments = data.pointer("/props/segments").and_then(Value::as_array);
    segments
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("points").and_then(Value::as_array))
        .flatten()
        .filter_map(|p| Some((num(p, "x")?, num(p, "y")?)))
        .collect()
}

/// A geo or closed-draw fill: `semi` is the paper colour, `solid` the light shade of the
/// colour, `pattern` diagonal hatching in the pattern shade; `none` nothing.
fn fill(data: &Value, st: &mut Styles, colour: &str) -> (String, String) {
    match prop(data, "fill") {
        "semi" => (V2_SEMI_FILL.into(), String::new()),
        "solid" => (st.v2(colour, Shade::Semi).into(), String::new()),
        "pattern" => {
            let id = super::def_id("p", data);
            let ink = st.v2(colour, Shade::Pattern);
            let def = format!(
                r#"<pattern id="{id}" patternUnits="userSpaceOnUse" width="8" height="8"><rect width="8" height="8" fill="{V2_BACKGROUND}"/><path d="M0 2L2 0M0 6L6 0M4 8L8 4" stroke="{ink}" stroke-width="2" stroke-linecap="round"/></pattern>"#
            );
            (format!("url(#{id})"), def)
        }
        "none" | "" => ("none".into(), String::new()),
        other => {
            st.unknown.push(format!("fill {other:?}"));
            ("none".into(), String::new())
        }
    }
}

fn freehand(data: &Value, st: &mut Styles) -> String {
    let pts = segment_points(data);
    let name = colour_name(data, "color");
    let colour = st.v2(name, Shade::Solid);
    let sw = st.stroke(size(data));
    let complete = data.pointer("/props/isComplete").and_then(Value::as_bool).unwrap_or(true);
    let closed = data.pointer("/props/isClosed").and_then(Value::as_bool).unwrap_or(false);
    let (fill, def) = if closed { fill(data, st, name) } else { ("none".into(), String::new()) };
    let fill = (fill != "none").then_some(fill);
    def + &draw_line(&pts, complete, sw, prop(data, "dash"), colour, fill.as_deref())
}

/// A highlighter stroke: a wide, round, translucent line in the colour's highlight shade
/// (BBB's player shows it at about 35 % opacity). Width 1 + 1.5 × 5 × the v1 stroke width.
fn highlight(data: &Value, st: &mut Styles) -> String {
    let pts = geometry::streamline(&segment_points(data), true);
    if pts.is_empty() {
        return String::new();
    }
    let colour = st.v2(colour_name(data, "color"), Shade::Highlight);
    let sw = match size(data) {
        "xl" => 6.5,
        s => st.stroke(s),
    };
    format!(
        r#"<path d="{}" fill="none" stroke="{colour}" stroke-opacity="0.35" stroke-width="{}" stroke-linecap="round" stroke-linejoin="round"/>"#,
        geometry::smooth_path(&pts),
        n(1.0 + 1.5 * 5.0 * sw)
    )
}

/// A geo shape: its outline in a w × (h + growY) box, filled, stroked in the solid shade
/// at the size's width, with its label. Unknown kinds are drawn as rectangles.
fn geo(data: &Value, st: &mut Styles) -> String {
    let w = prop_num(data, "w").unwrap_or(0.0);
    let h = prop_num(data, "h").unwrap_or(0.0) + prop_num(data, "growY").unwrap_or(0.0);
    let kind = prop(data, "geo");
    let d = geometry::geo_outline(kind, w, h).unwrap_or_else(|| {
        st.unknown.push(format!("geo kind {kind:?} (drawn as a rectangle)"));
        geometry::geo_outline("rectangle", w, h).expect("rectangle")
    });
    let name = colour_name(data, "color");
    let colour = st.v2(name, Shade::Solid);
    let sw = st.stroke(size(data));
    let (fill, def) = fill(data, st, name);
    let mut svg = format!(
        r#"{def}<path d="{d}" fill="{fill}" stroke="{colour}" stroke-width="{}" stroke-linejoin="round" stroke-linecap="round"{}/>"#,
        n(sw),
        dash_attrs(prop(data, "dash"), sw)
    );
    let text = prop(data, "text");
    if !text.trim().is_empty() {
        let block = TextBlock {
            text,
            size: st.v2_font(size(data), FontUse::Label),
            family: font_family(prop(data, "font")),
            fill: st.v2(colour_name(data, "labelColor"), Shade::Solid),
            align: prop(data, "align"),
            line_height: LINE_HEIGHT,
            wrap: Some((w - 32.0).max(1.0)),
            halo: Some(V2_BACKGROUND),
        };
        svg += &in_box(&block, w, h, prop(data, "verticalAlign"));
    }
    svg
}

/// A text block placed in a w×h box with 16 units of padding.
fn in_box(block: &TextBlock, w: f64, h: f64, vertical: &str) -> String {
    let (_, _, bh) = block.layout();
    let x = match block.align {
        "start" => 16.0,
        "end" => w - 16.0,
        _ => w / 2.0,
    };
    let top = match vertical {
        "start" => 16.0,
        "end" => h - 16.0 - bh,
        _ => (h - bh) / 2.0,
    };
    block.svg(x, top)
}

/// Where an arrow end is. An end bound to a shape loses its point in BBB's publish step:
/// it is placed at the arrow's origin (as BBB's own video renderer does) and reported.
fn terminal(data: &Value, end: &str, st: &mut Styles) -> Pt {
    let t = data.pointer(&format!("/props/{end}")).unwrap_or(&Value::Null);
    match (num(t, "x"), num(t, "y")) {
        (Some(x), Some(y)) => (x, y),
        _ => {
            let what = "arrow end bound to a shape (no point published: drawn at the arrow's origin)".to_string();
            if !st.unknown.contains(&what) {
                st.unknown.push(what);
            }
            (0.0, 0.0)
        }
    }
}

/// An arrow: straight, or an arc through the middle of the chord moved `bend` units
/// sideways; heads of the seven kinds; the label at the middle of the shaft.
fn arrow(data: &Value, st: &mut Styles) -> String {
    let (a, b) = (terminal(data, "start", st), terminal(data, "end", st));
    let bend = prop_num(data, "bend").unwrap_or(0.0);
    let u = geometry::unit((b.0 - a.0, b.1 - a.1));
    let mid = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
    let via = (mid.0 - u.1 * bend, mid.1 + u.0 * bend);
    let colour = st.v2(colour_name(data, "color"), Shade::Solid);
    let sw = st.stroke(size(data));
    let (d, start_dir, end_dir) = geometry::shaft(a, via, b);
    let length = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
    let mut svg = format!(
        r#"<path d="{d}" fill="none" stroke="{colour}" stroke-width="{}" stroke-linecap="round"{}/>"#,
        n(sw),
        dash_attrs(prop(data, "dash"), sw)
    );
    for (key, tip, dir, default) in [("arrowheadStart", a, start_dir, "none"), ("arrowheadEnd", b, end_dir, "arrow")] {
        let name = Some(prop(data, key)).filter(|s| !s.is_empty()).unwrap_or(default);
        let kind = Head::parse(name).unwrap_or_else(|| {
            st.unknown.push(format!("arrowhead {name:?} (drawn as an arrow)"));
            Head::Arrow
        });
        svg += &geometry::head(kind, tip, dir, length, colour, sw);
    }
    let text = prop(data, "text");
    if !text.trim().is_empty() {
        let block = TextBlock {
            text,
            size: st.v2_font(size(data), FontUse::Arrow),
            family: font_family(prop(data, "font")),
            fill: st.v2(colour_name(data, "labelColor"), Shade::Solid),
            align: "middle",
            line_height: LINE_HEIGHT,
            wrap: None,
            halo: Some(V2_BACKGROUND),
        };
        let (_, _, bh) = block.layout();
        svg += &block.svg(via.0, via.1 - bh / 2.0);
    }
    svg
}

/// A line through its handles in index order: straight segments, or a smooth curve
/// (`spline: cubic`).
fn line(data: &Value, st: &mut Styles) -> String {
    let mut handles: Vec<(&str, Pt)> = data
        .pointer("/props/handles")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(_, h)| Some((h.get("index").and_then(Value::as_str).unwrap_or(""), (num(h, "x")?, num(h, "y")?))))
        .collect();
    handles.sort_by(|a, b| a.0.cmp(b.0));
    let pts: Vec<Pt> = handles.into_iter().map(|(_, p)| p).collect();
    if pts.len() < 2 {
        return String::new();
    }
    let d = if prop(data, "spline") == "cubic" && pts.len() > 2 {
        geometry::smooth_path(&pts)
    } else {
        geometry::polyline(&pts, false)
    };
    let colour = st.v2(colour_name(data, "color"), Shade::Solid);
    let sw = st.stroke(size(data));
    format!(
        r#"<path d="{d}" fill="none" stroke="{colour}" stroke-width="{}" stroke-linecap="round" stroke-linejoin="round"{}/>"#,
        n(sw),
        dash_attrs(prop(data, "dash"), sw)
    )
}

/// Text: the size's font × `scale`, wrapped to `w` unless `autoSize`, with a light halo.
fn text(data: &Value, st: &mut Styles) -> String {
    let scale = prop_num(data, "scale").filter(|s| *s > 0.0).unwrap_or(1.0);
    let auto = data.pointer("/props/autoSize").and_then(Value::as_bool).unwrap_or(true);
    let w = prop_num(data, "w").unwrap_or(0.0);
    let align = Some(prop(data, "align")).filter(|s| !s.is_empty()).unwrap_or("start");
    let block = TextBlock {
        text: prop(data, "text"),
        size: st.v2_font(size(data), FontUse::Text) * scale,
        family: font_family(prop(data, "font")),
        fill: st.v2(colour_name(data, "color"), Shade::Solid),
        align,
        line_height: LINE_HEIGHT,
        wrap: (!auto && w > 0.0).then_some(w),
        halo: Some(V2_BACKGROUND),
    };
    let (_, bw, _) = block.layout();
    let box_w = if auto { bw } else { w };
    let x = match align {
        "middle" => box_w / 2.0,
        "end" => box_w,
        _ => 0.0,
    };
    block.svg(x, 0.0)
}

/// A sticky note: 200 × (200 + growY), rounded, shadowed, in a light shade of its colour.
fn note(data: &Value, st: &mut Styles) -> String {
    let grow = prop_num(data, "growY").unwrap_or(0.0);
    let h = NOTE + grow;
    let paper = st.v2_note(colour_name(data, "color"));
    let block = TextBlock {
        text: prop(data, "text"),
        size: st.v2_font(size(data), FontUse::Label),
        family: font_family(prop(data, "font")),
        fill: "#1D1D1D",
        align: Some(prop(data, "align")).filter(|s| !s.is_empty()).unwrap_or("middle"),
        line_height: LINE_HEIGHT,
        wrap: Some(NOTE - 32.0),
        halo: None,
    };
    let vertical = if grow != 0.0 {
        "start"
    } else {
        Some(prop(data, "verticalAlign")).filter(|s| !s.is_empty()).unwrap_or("middle")
    };
    format!(
        r##"<rect x="0" y="4" width="{w}" height="{h}" rx="6" fill="#000000" fill-opacity="0.12"/><rect width="{w}" height="{h}" rx="6" fill="{paper}"/>{}"##,
        in_box(&block, NOTE, h, vertical),
        w = n(NOTE),
        h = n(h)
    )
}

/// A frame: a paper-coloured box with a thin dark border and its name above it.
fn frame_shape(data: &Value, w: f64, h: f64) -> String {
    let name = Some(prop(data, "name")).filter(|s| !s.trim().is_empty()).unwrap_or("Frame");
    let label = TextBlock {
        text: name,
        size: 12.0,
        family: font_family("sans"),
        fill: "#1D1D1D",
        align: "start",
        line_height: LINE_HEIGHT,
        wrap: None,
        halo: Some(V2_BACKGROUND),
    };
    format!(
        r##"<rect width="{}" height="{}" fill="{V2_SEMI_FILL}" stroke="#000000" stroke-width="1"/>{}"##,
        n(w),
        n(h),
        label.svg(0.0, -20.0)
    )
}

/// BBB's poll result: the question over one horizontal bar per answer, as wide as its
/// share of the votes, with the answer and the count.
fn poll(data: &Value, st: &mut Styles) -> String {
    let w = prop_num(data, "w").unwrap_or(300.0).max(60.0);
    let h = prop_num(data, "h").unwrap_or(200.0).max(60.0);
    let answers: Vec<(&str, f64)> = data
        .pointer("/props/answers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|a| (a.get("key").and_then(Value::as_str).unwrap_or(""), num(a, "numVotes").unwrap_or(0.0)))
        .collect();
    let total: f64 = answers.iter().map(|a| a.1).sum::<f64>().max(1.0);
    let question = Some(prop(data, "questionText")).filter(|s| !s.is_empty()).unwrap_or(prop(data, "question"));
    let ink = st.v2("black", Shade::Solid);
    let mut svg =
        format!(r##"<rect width="{}" height="{}" fill="#FFFFFF" stroke="{ink}" stroke-width="2"/>"##, n(w), n(h));
    let title = TextBlock {
        text: question,
        size: 18.0,
        family: font_family("arial"),
        fill: ink,
        align: "start",
        line_height: 1.2,
        wrap: Some(w - 24.0),
        halo: None,
    };
    let (_, _, th) = title.layout();
    svg += &title.svg(12.0, 12.0);
    let top = 12.0 + th + 8.0;
    let row = ((h - top - 12.0) / answers.len().max(1) as f64).max(1.0);
    let bar_x = w * 0.35;
    for (i, (key, votes)) in answers.iter().enumerate() {
        let y = top + row * i as f64;
        let bw = (w - bar_x - 60.0).max(0.0) * votes / total;
        let blue = st.v2("blue", Shade::Solid);
        svg += &format!(
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{blue}"/>"#,
            n(bar_x),
            n(y + row * 0.15),
            n(bw),
            n(row * 0.7)
        );
        for (text, x, align) in [(key.to_string(), 12.0, "start"), (format!("{votes}"), w - 12.0, "end")] {
            let b = TextBlock {
                text: &text,
                size: 18.0,
                family: font_family("arial"),
                fill: ink,
                align,
                line_height: 1.2,
                wrap: None,
                halo: None,
            };
            svg += &b.svg(x, y + (row - 21.6) / 2.0);
        }
    }
    svg
}
