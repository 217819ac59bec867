//! BBB ≥ 2.6 keeps whiteboard annotations in `tldraw.json` instead of `shapes.svg`.
//!
//! Drawing tldraw shapes is not implemented yet. This module reads the file so the
//! report can list, per shape type, what was not drawn (no silent loss), while slides,
//! zoom, cursor, screen share, webcams and audio are rendered as usual.

use std::collections::BTreeMap;

use crate::error::RenderError;

pub(crate) const FILE: &str = "tldraw.json";

/// Counts the annotation types in the file: `"draw"`, `"geo/rectangle"`, `"text"`…
pub(crate) fn shape_types(text: &str) -> Result<BTreeMap<String, usize>, RenderError> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| RenderError::Malformed {
            file: FILE.into(),
            format: "JSON",
            line: e.line() as u32,
            msg: e.to_string(),
        })?;
    let pages: Vec<&serde_json::Value> = match &json {
        serde_json::Value::Object(map) => map
            .iter()
            .filter(|(k, _)| *k != "bbb_version")
            .map(|(_, v)| v)
            .collect(),
        serde_json::Value::Array(items) => items.iter().collect(),
        _ => {
            return Err(RenderError::invalid(
                FILE,
                "expected a JSON object of slides",
            ))
        }
    };
    let mut types = BTreeMap::new();
    for page in pages {
        let shapes = page
            .get("shapes")
            .or_else(|| page.get("data"))
            .and_then(|s| s.as_array());
        for shape in shapes.into_iter().flatten() {
            let data = shape.get("shape_data").unwrap_or(shape);
            let kind = data
                .get("type")
                .and_then(|t| t.as_str())
                .unwrap_or("unknown");
            let sub = data.pointer("/props/geo").and_then(|g| g.as_str());
            let name = match sub {
                Some(g) => format!("{kind}/{g}"),
                None => kind.to_string(),
            };
            *types.entry(name).or_insert(0) += 1;
        }
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_types() {
        let text = r#"{"bbb_version":"2.6.10","image1":{"timestamp":0,"shapes":[
            {"id":"a","timestamp":1,"undo":-1,"shape_data":{"type":"draw"}},
            {"id":"b","timestamp":2,"undo":-1,"shape_data":{"type":"geo","props":{"geo":"rectangle"}}},
            {"id":"c","timestamp":3,"undo":-1,"shape_data":{"type":"draw"}}]}}"#;
        let t = super::shape_types(text).unwrap();
        assert_eq!(t["draw"], 2);
        assert_eq!(t["geo/rectangle"], 1);
    }

    #[test]
    fn malformed_names_file() {
        let err = super::shape_types("{\n\"a\": [}").unwrap_err().to_string();
        assert!(
            err.starts_with("tldraw.json: malformed JSON at line 2"),
            "{err}"
        );
    }
}
