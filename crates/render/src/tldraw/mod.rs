//! BBB ≥ 2.6 keeps whiteboard annotations in `tldraw.json` instead of `shapes.svg`, and
//! writes `panzooms.xml`/`cursor.xml` in the tldraw camera space (`tldraw="true"`).
//!
//! The file maps each slide image number (`"1"` for `image1` of `shapes.svg`) to
//! `{"timestamp": <image start>, "shapes": [record…]}`, plus a `"bbb_version"` key. A record
//! is one *version* of one shape: `{"id", "timestamp": s, "undo": s | -1, "shape_data"}`
//! where `shape_data` is the whole tldraw shape after that change (so a moved rectangle is
//! a second record with the same `shape_data.id`), and a deletion sets `undo` on every
//! version. At time t a slide shows, for each shape id, the last version with
//! `timestamp ≤ t` that is not undone (`undo` unset or `> t`): exactly the rule the
//! timeline already applies to `shapes.svg` shapes, so records become [`Shape`]s here.
//!
//! Two shape formats: tldraw v1 (BBB 2.6/2.7: `point`, `style`, `childIndex`) and tldraw
//! v2 (BBB 3.0: `x`, `y`, `props`, fractional `index`). BBB's player picks v2 when
//! `bbb_version` ≥ 3.0.0; the record shape decides here when the version is missing.
//! Drawing is in `v1.rs`/`v2.rs`; what cannot be drawn is counted and reported. The format,
//! its constants and the players' behaviour are described in `docs/tldraw.md`.
//!
//! Camera space, as bbb-playback's tldraw player uses it: the slide (W×H pixels, from
//! `shapes.svg`) is placed at the page origin scaled by `s = min(MAXW/W, MAXH/H)` with
//! MAX = 1440×1080 for BBB ≥ 2.6.1 (2048×1536 before). A panzoom event `x y w h` sets the
//! camera point to `(x, y)` page units and shows `w×h` slide pixels; a screen point is
//! `(page + camera) × zoom`, so the visible slide rectangle is `(-x/s, -y/s, w, h)`. Cursor
//! positions and shapes are page units: slide pixels are `(x/s, y/s)`. Shapes are not
//! clipped to the slide (the tldraw canvas is infinite), only to the visible area.

mod geometry;
mod style;
mod v1;
mod v2;

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::error::RenderError;
use crate::shapes::{Shape, Slide};
use crate::space::version_numbers;
pub(crate) use crate::space::Space;
use crate::text::{escape, width_em, wrap};
use crate::xml::Ms;
use geometry::n;
use style::Styles;

pub(crate) const FILE: &str = "tldraw.json";

/// One record of the file: one version of one shape on one slide image.
#[derive(Debug)]
pub(crate) struct Record {
    /// `imageN` of `shapes.svg`.
    pub slide: String,
    pub start: Ms,
    pub undo: Option<Ms>,
    pub data: Value,
}

/// `tldraw.json`, parsed.
#[derive(Debug, Default)]
pub(crate) struct TldrawFile {
    pub bbb_version: Option<String>,
    /// tldraw v2 records (BBB 3.0) rather than v1.
    pub v2: bool,
    pub records: Vec<Record>,
    /// Records that could not be read at all (no `shape_data`, bad times), with the reason.
    pub unreadable: Vec<String>,
}

/// Seconds (a JSON number) as integer ms; `None` for -1 or anything not a number ≥ 0.
fn ms(v: Option<&Value>) -> Option<Ms> {
    v.and_then(Value::as_f64).filter(|s| s.is_finite() && *s >= 0.0).map(|s| (s * 1000.0).round() as Ms)
}

/// Parses the file. Only a file that is not JSON (or not an object of slides) is an error;
/// records that make no sense are listed in `unreadable` and skipped.
pub(crate) fn parse(text: &str) -> Result<TldrawFile, RenderError> {
    let json: Value = serde_json::from_str(text).map_err(|e| RenderError::Malformed {
        file: FILE.into(),
        format: "JSON",
        line: e.line() as u32,
        msg: e.to_string(),
    })?;
    let Value::Object(map) = json else {
        return Err(RenderError::invalid(FILE, "expected a JSON object of slides"));
    };
    let bbb_version = map.get("bbb_version").and_then(Value::as_str).map(String::from);
    let mut file = TldrawFile { bbb_version, ..Default::default() };
    for (key, page) in map {
        if key == "bbb_version" {
            continue;
        }
        let slide = if key.starts_with("image") { key.clone() } else { format!("image{key}") };
        let Some(shapes) = page.get("shapes").and_then(Value::as_array) else {
            file.unreadable.push(format!("slide {key:?} has no \"shapes\" list"));
            continue;
        };
        for (i, rec) in shapes.iter().enumerate() {
            let data = rec.get("shape_data").filter(|d| d.is_object());
            match (data, ms(rec.get("timestamp"))) {
                (Some(data), Some(start)) => file.records.push(Record {
                    slide: slide.clone(),
                    start,
                    undo: ms(rec.get("undo")),
                    data: data.clone(),
                }),
                _ => file.unreadable.push(format!("slide {key:?} record {i} (no shape_data or timestamp)")),
            }
        }
    }
    let numbers = version_numbers(file.bbb_version.as_deref());
    file.v2 = if numbers.is_empty() {
        file.records.iter().any(|r| r.data.get("props").is_some())
    } else {
        numbers >= vec![3, 0, 0]
    };
    Ok(file)
}

/// Type name for reports: `draw`, `geo/rectangle`…
fn kind_of(data: &Value) -> String {
    let kind = data.get("type").and_then(Value::as_str).unwrap_or("(no type)");
    match data.pointer("/props/geo").and_then(Value::as_str) {
        Some(g) if kind == "geo" => format!("geo/{g}"),
        _ => kind.to_string(),
    }
}

/// What converting the records gave, for the render report.
#[derive(Debug, Default)]
pub(crate) struct Converted {
    pub shapes: Vec<Shape>,
    /// Shape types drawn, with the number of shape versions.
    pub drawn: BTreeMap<String, usize>,
    /// Types not drawn: (type, reason) → number of shape versions.
    pub not_drawn: BTreeMap<(String, String), usize>,
    /// Style values not known (drawn with a default).
    pub unknown_styles: Vec<String>,
}

/// Why a record was not drawn.
pub(crate) type Skip = String;

/// Turns the records into shapes in slide pixels, for the slides of `shapes.svg`.
pub(crate) fn convert(file: &TldrawFile, slides: &[Slide], space: Space) -> Converted {
    let mut out = Converted::default();
    for what in &file.unreadable {
        *out.not_drawn.entry((format!("record: {what}"), "unreadable".into())).or_insert(0) += 1;
    }
    let mut styles = Styles::default();
    // v2 children of a frame are placed relative to it (latest version seen so far).
    let mut frames: HashMap<String, (f64, f64, f64, f64)> = HashMap::new();
    let mut z_keys: Vec<(usize, ZKey)> = Vec::new();
    for rec in &file.records {
        let kind = kind_of(&rec.data);
        let Some(slide) = slides.iter().find(|s| s.id == rec.slide) else {
            let reason = format!("slide image {} is not in shapes.svg", rec.slide);
            *out.not_drawn.entry((kind, reason)).or_insert(0) += 1;
            continue;
        };
        let drawn =
            if file.v2 { v2::draw(&rec.data, &mut styles, &mut frames) } else { v1::draw(&rec.data, &mut styles) };
        let svg = match drawn {
            Ok(svg) => svg,
            Err(reason) => {
                *out.not_drawn.entry((kind, reason)).or_insert(0) += 1;
                continue;
            }
        };
        *out.drawn.entry(kind.clone()).or_insert(0) += 1;
        let k = 1.0 / space.scale(slide.width, slide.height);
        let svg = if svg.is_empty() { svg } else { format!(r#"<g transform="scale({})">{svg}</g>"#, k) };
        let key = rec.data.get("id").and_then(Value::as_str).unwrap_or("").to_string();
        z_keys.push((out.shapes.len(), ZKey::of(&rec.data, file.v2)));
        out.shapes.push(Shape { slide: rec.slide.clone(), key, kind, start: rec.start, undo: rec.undo, svg, z: 0 });
    }
    // Stacking order: v1 `childIndex` ascending, v2 fractional `index` strings ascending.
    let mut order: Vec<&ZKey> = z_keys.iter().map(|(_, z)| z).collect();
    order.sort_by(|a, b| a.cmp(b));
    order.dedup();
    let ranks: Vec<u32> = z_keys.iter().map(|(_, z)| order.partition_point(|o| *o < z) as u32 + 1).collect();
    for ((i, _), rank) in z_keys.iter().zip(ranks) {
        out.shapes[*i].z = rank;
    }
    out.unknown_styles = styles.unknown;
    out
}

/// A shape's place in the stacking order.
#[derive(Debug, Clone, PartialEq)]
enum ZKey {
    Child(f64),
    Index(String),
}

impl ZKey {
    fn of(data: &Value, v2: bool) -> ZKey {
        if v2 {
            ZKey::Index(data.get("index").and_then(Value::as_str).unwrap_or("").to_string())
        } else {
            ZKey::Child(data.get("childIndex").and_then(Value::as_f64).unwrap_or(0.0))
        }
    }

    fn cmp(&self, other: &ZKey) -> std::cmp::Ordering {
        match (self, other) {
            (ZKey::Child(a), ZKey::Child(b)) => a.total_cmp(b),
            (ZKey::Index(a), ZKey::Index(b)) => a.cmp(b),
            (ZKey::Child(_), ZKey::Index(_)) => std::cmp::Ordering::Less,
            (ZKey::Index(_), ZKey::Child(_)) => std::cmp::Ordering::Greater,
        }
    }
}

impl PartialOrd for ZKey {
    fn partial_cmp(&self, other: &ZKey) -> Option<std::cmp::Ordering> {
        Some(ZKey::cmp(self, other))
    }
}

// ---- helpers shared by v1.rs and v2.rs ----

pub(crate) fn num(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64).filter(|x| x.is_finite())
}

pub(crate) fn text_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `[x, y]` (v1) as a point.
pub(crate) fn pair(v: Option<&Value>) -> Option<(f64, f64)> {
    let a = v?.as_array()?;
    Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?)).filter(|p| p.0.is_finite() && p.1.is_finite())
}

/// A multi-line text block.
pub(crate) struct TextBlock<'a> {
    pub text: &'a str,
    pub size: f64,
    pub family: &'a str,
    pub fill: &'a str,
    /// `start`, `middle`, `end` (tldraw's names; `justify` is drawn as `start`).
    pub align: &'a str,
    pub line_height: f64,
    /// Wrap to this width (page units), if any.
    pub wrap: Option<f64>,
    /// A light outline under the glyphs (tldraw v2 draws one so text stays readable).
    pub halo: Option<&'a str>,
}

impl TextBlock<'_> {
    /// The lines after wrapping, and the block's estimated size.
    pub(crate) fn layout(&self) -> (Vec<String>, f64, f64) {
        let lines: Vec<String> = self
            .text
            .split('\n')
            .flat_map(|l| match self.wrap {
                Some(w) => wrap(l, w / self.size),
                None => vec![l.to_string()],
            })
            .collect();
        let w = lines.iter().map(|l| width_em(l)).fold(0.0, f64::max) * self.size;
        (lines.clone(), w, lines.len() as f64 * self.size * self.line_height)
    }

    /// SVG text whose block starts at `top`; `x` is the left edge, centre or right edge
    /// depending on the alignment.
    pub(crate) fn svg(&self, x: f64, top: f64) -> String {
        let (lines, _, _) = self.layout();
        if lines.iter().all(|l| l.trim().is_empty()) {
            return String::new();
        }
        let anchor = match self.align {
            "middle" | "center" => "middle",
            "end" => "end",
            _ => "start",
        };
        let halo = self
            .halo
            .map(|c| {
                format!(
                    r#" stroke="{c}" stroke-width="{}" stroke-linejoin="round" paint-order="stroke""#,
                    n(self.size * 0.12)
                )
            })
            .unwrap_or_default();
        let mut svg = format!(
            r#"<text font-family="{}" font-size="{}" fill="{}" text-anchor="{anchor}" xml:space="preserve"{halo}>"#,
            escape(self.family),
            n(self.size),
            self.fill
        );
        for (i, l) in lines.iter().enumerate() {
            // Baseline: the line box's top plus the half-leading plus the ascent.
            let y = top + self.size * (i as f64 * self.line_height + (self.line_height - 1.0) / 2.0 + 0.9);
            svg.push_str(&format!(r#"<tspan x="{}" y="{}">{}</tspan>"#, n(x), n(y), escape(l)));
        }
        svg.push_str("</text>");
        svg
    }
}

/// `<g>` that places a shape: translate, rotate (degrees about `pivot`, in the shape's
/// own coordinates), opacity.
pub(crate) fn placed(at: (f64, f64), rotation: f64, pivot: (f64, f64), opacity: f64, body: String) -> String {
    if body.is_empty() {
        return body;
    }
    let rot = if rotation != 0.0 {
        format!(" rotate({} {} {})", n(rotation.to_degrees()), n(pivot.0), n(pivot.1))
    } else {
        String::new()
    };
    let op = if opacity < 1.0 { format!(r#" opacity="{}""#, n(opacity.max(0.0))) } else { String::new() };
    format!(r#"<g transform="translate({} {}){rot}"{op}>{body}</g>"#, n(at.0), n(at.1))
}

/// A short id, unique per shape version, for SVG defs (masks, clips, patterns).
pub(crate) fn def_id(prefix: &str, data: &Value) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    data.to_string().hash(&mut h);
    format!("{prefix}{:x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::ViewBox;

    fn slide(id: &str) -> Slide {
        Slide { id: id.into(), intervals: vec![(0, 10_000)], href: "s.png".into(), width: 1600.0, height: 900.0 }
    }

    #[test]
    fn records_become_shapes_per_version_in_slide_pixels() {
        let text = r#"{"bbb_version":"2.7.3","1":{"timestamp":0,"shapes":[
            {"id":1,"timestamp":1.5,"undo":-1,"shape_data":{"id":"r","type":"rectangle","point":[90,90],"size":[90,45],"childIndex":2,"style":{"color":"blue","size":"small","dash":"solid","isFilled":false}}},
            {"id":2,"timestamp":2,"undo":4,"shape_data":{"id":"d","type":"draw","point":[0,0],"points":[[0,0,0.5],[10,10,0.5]],"childIndex":1,"style":{"color":"red","size":"small","dash":"draw"}}},
            {"id":3,"timestamp":3,"undo":-1,"shape_data":{"id":"x","type":"spaceship","childIndex":3}},
            {"id":4,"timestamp":3,"undo":-1,"shape_data":{"id":"y","type":"draw","childIndex":3,"style":{"color":"mauve"},"points":[[0,0,0.5]],"point":[0,0]}}]}}"#;
        let file = parse(text).unwrap();
        assert!(!file.v2);
        let c = convert(&file, &[slide("image1")], Space::for_version(Some("2.7.3")));
        assert_eq!(c.shapes.len(), 3);
        let r = &c.shapes[0];
        assert_eq!(
            (r.slide.as_str(), r.key.as_str(), r.kind.as_str(), r.start, r.undo),
            ("image1", "r", "rectangle", 1500, None)
        );
        // 1600x900 slide: page units / 0.9.
        assert!(
            r.svg.starts_with(r#"<g transform="scale(1.1111111111111112)"><g transform="translate(90 90)">"#),
            "{}",
            r.svg
        );
        assert_eq!(c.shapes[1].undo, Some(4000));
        // childIndex 1 below 2 below 3.
        assert_eq!((c.shapes[0].z, c.shapes[1].z, c.shapes[2].z), (2, 1, 3));
        assert_eq!(c.not_drawn[&("spaceship".to_string(), "unknown shape type".to_string())], 1);
        assert_eq!(c.unknown_styles, vec!["colour \"mauve\"".to_string()]);
    }

    #[test]
    fn v2_index_order_and_version_switch() {
        let text = r#"{"bbb_version":"3.0.4","1":{"timestamp":0,"shapes":[
            {"id":1,"timestamp":1,"undo":-1,"shape_data":{"id":"shape:b","type":"geo","x":0,"y":0,"index":"aA","props":{"geo":"star","w":10,"h":10,"color":"red","fill":"none","dash":"solid","size":"m"}}},
            {"id":2,"timestamp":1,"undo":-1,"shape_data":{"id":"shape:a","type":"geo","x":0,"y":0,"index":"a9","props":{"geo":"blob","w":10,"h":10,"color":"red","fill":"none","dash":"solid","size":"m"}}},
            {"id":4,"timestamp":1,"undo":-1,"shape_data":{"id":"shape:i","type":"image","x":0,"y":0,"props":{}}}]},
            "7":{"timestamp":0,"shapes":[{"id":3,"timestamp":1,"undo":-1,"shape_data":{"id":"shape:c","type":"text","x":0,"y":0,"index":"a1","props":{"text":"hi"}}}]}}"#;
        let file = parse(text).unwrap();
        assert!(file.v2);
        let c = convert(&file, &[slide("image1")], Space::for_version(Some("3.0.4")));
        assert_eq!(c.shapes.len(), 2);
        // "a9" sorts before "aA".
        assert!(c.shapes[1].z < c.shapes[0].z);
        assert_eq!(c.shapes[1].kind, "geo/blob");
        assert!(c.unknown_styles.iter().any(|u| u.contains("blob")), "{:?}", c.unknown_styles);
        assert!(c.not_drawn.keys().any(|(k, why)| k == "text" && why.contains("image7")), "{:?}", c.not_drawn);
        let image = ("image".to_string(), "the media is not part of the published recording".to_string());
        assert_eq!(c.not_drawn.get(&image), Some(&1), "{:?}", c.not_drawn);
    }

    #[test]
    fn camera_to_slide_pixels() {
        let new = Space::for_version(Some("2.7.3"));
        assert_eq!(new, Space::for_version(None));
        // 1600x900 slide: s = min(1440/1600, 1080/900) = 0.9.
        let v = new.view(ViewBox { x: -90.0, y: -45.0, w: 800.0, h: 450.0 }, 1600.0, 900.0);
        assert_eq!(v, ViewBox { x: 100.0, y: 50.0, w: 800.0, h: 450.0 });
        assert_eq!(new.point(720.0, 405.0, 1600.0, 900.0), (800.0, 450.0));
        // BBB 2.6.0: 2048x1536 page, s = 1.28.
        let old = Space::for_version(Some("2.6.0"));
        assert_eq!(old.point(1280.0, 0.0, 1600.0, 900.0), (1000.0, 0.0));
    }

    #[test]
    fn malformed_names_file() {
        let err = parse("{\n\"a\": [}").unwrap_err().to_string();
        assert!(err.starts_with("tldraw.json: malformed JSON at line 2"), "{err}");
        let file = parse(r#"{"1":{"shapes":[{"id":1}]},"2":[]}"#).unwrap();
        assert_eq!(file.unreadable.len(), 2, "{:?}", file.unreadable);
    }
}
