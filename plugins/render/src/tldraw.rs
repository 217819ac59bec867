//! BBB ≥ 2.6 keeps whiteboard annotations in `tldraw.json` instead of `shapes.svg`, and
//! writes `panzooms.xml`/`cursor.xml` in the tldraw camera space (`tldraw="true"`).
//!
//! Drawing tldraw shapes is not implemented yet. This module reads the file so the
//! report can list, per shape type, what was not drawn (no silent loss), and converts
//! the camera and cursor to slide pixels so zoom and pointer render as in the player.
//!
//! Camera space, as bbb-playback's tldraw player uses it: the slide (W×H pixels, from
//! `shapes.svg`) is placed at the page origin scaled by `s = min(MAXW/W, MAXH/H)` with
//! MAX = 1440×1080 for BBB ≥ 2.6.1 (2048×1536 before). A panzoom event `x y w h` sets the
//! camera point to `(x, y)` page units and shows `w×h` slide pixels; a screen point is
//! `(page + camera) × zoom`, so the visible slide rectangle is `(-x/s, -y/s, w, h)`. Cursor
//! positions are page units: slide pixels are `(x/s, y/s)`.

use std::collections::BTreeMap;

use crate::error::RenderError;
use crate::panzoom::ViewBox;

pub(crate) const FILE: &str = "tldraw.json";

/// The parts of `tldraw.json` the renderer uses.
#[derive(Debug, Default)]
pub(crate) struct TldrawFile {
    pub bbb_version: Option<String>,
    /// Annotation types and how many shapes of each: `"draw"`, `"geo/rectangle"`…
    pub types: BTreeMap<String, usize>,
}

/// The player's page space for one BBB version.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Space {
    max_w: f64,
    max_h: f64,
}

impl Space {
    pub(crate) fn for_version(version: Option<&str>) -> Space {
        let parsed: Vec<u32> =
            version.unwrap_or("").split(|c: char| !c.is_ascii_digit()).filter_map(|p| p.parse().ok()).take(3).collect();
        if !parsed.is_empty() && parsed < vec![2, 6, 1] {
            Space { max_w: 2048.0, max_h: 1536.0 }
        } else {
            Space { max_w: 1440.0, max_h: 1080.0 }
        }
    }

    fn scale(&self, slide_w: f64, slide_h: f64) -> f64 {
        (self.max_w / slide_w).min(self.max_h / slide_h)
    }

    /// A tldraw panzoom event as a view box in slide pixels.
    pub(crate) fn view(&self, raw: ViewBox, slide_w: f64, slide_h: f64) -> ViewBox {
        let s = self.scale(slide_w, slide_h);
        ViewBox { x: -raw.x / s, y: -raw.y / s, w: raw.w, h: raw.h }
    }

    /// A point in page units as slide pixels.
    pub(crate) fn point(&self, x: f64, y: f64, slide_w: f64, slide_h: f64) -> (f64, f64) {
        let s = self.scale(slide_w, slide_h);
        (x / s, y / s)
    }
}

/// Reads the BBB version and counts the annotation types.
pub(crate) fn parse(text: &str) -> Result<TldrawFile, RenderError> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| RenderError::Malformed {
        file: FILE.into(),
        format: "JSON",
        line: e.line() as u32,
        msg: e.to_string(),
    })?;
    let pages: Vec<&serde_json::Value> = match &json {
        serde_json::Value::Object(map) => map.iter().filter(|(k, _)| *k != "bbb_version").map(|(_, v)| v).collect(),
        serde_json::Value::Array(items) => items.iter().collect(),
        _ => return Err(RenderError::invalid(FILE, "expected a JSON object of slides")),
    };
    let mut types = BTreeMap::new();
    for page in pages {
        let shapes = page.get("shapes").or_else(|| page.get("data")).and_then(|s| s.as_array());
        for shape in shapes.into_iter().flatten() {
            let data = shape.get("shape_data").unwrap_or(shape);
            let kind = data.get("type").and_then(|t| t.as_str()).unwrap_or("unknown");
            let sub = data.pointer("/props/geo").and_then(|g| g.as_str());
            let name = match sub {
                Some(g) => format!("{kind}/{g}"),
                None => kind.to_string(),
            };
            *types.entry(name).or_insert(0) += 1;
        }
    }
    let bbb_version = json.get("bbb_version").and_then(|v| v.as_str()).map(String::from);
    Ok(TldrawFile { bbb_version, types })
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_types() {
        let text = r#"{"bbb_version":"2.6.10","image1":{"timestamp":0,"shapes":[
            {"id":"a","timestamp":1,"undo":-1,"shape_data":{"type":"draw"}},
            {"id":"b","timestamp":2,"undo":-1,"shape_data":{"type":"geo","props":{"geo":"rectangle"}}},
            {"id":"c","timestamp":3,"undo":-1,"shape_data":{"type":"draw"}}]}}"#;
        let t = super::parse(text).unwrap();
        assert_eq!(t.types["draw"], 2);
        assert_eq!(t.types["geo/rectangle"], 1);
        assert_eq!(t.bbb_version.as_deref(), Some("2.6.10"));
    }

    #[test]
    fn camera_to_slide_pixels() {
        use super::{Space, ViewBox};
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
        let err = super::parse("{\n\"a\": [}").unwrap_err().to_string();
        assert!(err.starts_with("tldraw.json: malformed JSON at line 2"), "{err}");
    }
}
