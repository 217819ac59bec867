//! `shapes.svg`: the slides (with their display intervals) and, up to BBB 2.5, the
//! whiteboard annotations, turned into self-contained SVG fragments.

use std::path::Path;

use crate::error::RenderError;
use crate::paths::safe_join;
use crate::text;
use crate::xml::{self, Ms};

pub(crate) const FILE: &str = "shapes.svg";
const XLINK: &str = "http://www.w3.org/1999/xlink";

/// One `<image class="slide">`: a slide (or deskshare/logo placeholder) shown over intervals.
#[derive(Debug, Clone)]
pub(crate) struct Slide {
    pub id: String,
    pub intervals: Vec<(Ms, Ms)>,
    /// Path relative to the recording folder (already checked by [`safe_join`]).
    pub href: String,
    pub width: f64,
    pub height: f64,
}

/// One version of one annotation.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    /// Id of the slide image the shape's canvas belongs to.
    pub slide: String,
    /// The `shape` attribute: versions with the same key are one growing drawing.
    pub key: String,
    /// Type taken from the key (`text`, `pencil`, `line`, `poll_result`…).
    pub kind: String,
    pub start: Ms,
    pub undo: Option<Ms>,
    /// SVG to draw, in slide pixel coordinates; empty when the version draws nothing.
    pub svg: String,
    /// Stacking rank (higher is drawn later); 0 for `shapes.svg`, whose file order is
    /// its stacking order.
    pub z: u32,
}

#[derive(Debug, Default)]
pub(crate) struct Whiteboard {
    pub slides: Vec<Slide>,
    pub shapes: Vec<Shape>,
}

fn href<'a>(node: roxmltree::Node<'a, '_>) -> Option<&'a str> {
    node.attribute((XLINK, "href")).or_else(|| node.attribute("href"))
}

fn is_class(node: roxmltree::Node, class: &str) -> bool {
    node.attribute("class").is_some_and(|c| c.split_whitespace().any(|x| x == class))
}

/// Every `<image>` href of the file (slides, poll charts).
pub(crate) fn image_hrefs(text: &str) -> Result<Vec<String>, RenderError> {
    let doc = xml::parse(FILE, text)?;
    let hrefs = doc.descendants().filter(|n| n.has_tag_name("image")).filter_map(href).map(String::from).collect();
    Ok(hrefs)
}

/// Parses the file; every `<image>` href is checked to stay inside `dir`.
pub(crate) fn parse(text: &str, dir: &Path) -> Result<Whiteboard, RenderError> {
    let doc = xml::parse(FILE, text)?;
    for img in doc.descendants().filter(|n| n.has_tag_name("image")) {
        if let Some(h) = href(img) {
            safe_join(dir, h, FILE)?;
        }
    }
    let mut wb = Whiteboard::default();
    for node in doc.descendants().filter(|n| n.is_element()) {
        if node.has_tag_name("image") && is_class(node, "slide") {
            wb.slides.push(parse_slide(node)?);
        } else if node.has_tag_name("g") && is_class(node, "canvas") {
            let slide = xml::attr(FILE, node, "image")?;
            for shape in node.children().filter(|c| c.has_tag_name("g") && is_class(*c, "shape")) {
                wb.shapes.push(parse_shape(text, slide, shape)?);
            }
        }
    }
    Ok(wb)
}

fn parse_slide(node: roxmltree::Node) -> Result<Slide, RenderError> {
    let times = |name| -> Result<Vec<Ms>, RenderError> {
        xml::attr(FILE, node, name)?.split_whitespace().map(|v| xml::seconds(FILE, node, v)).collect()
    };
    let (ins, outs) = (times("in")?, times("out")?);
    let size = |name| xml::number(FILE, node, xml::attr(FILE, node, name)?);
    let (width, height) = (size("width")?, size("height")?);
    if width <= 0.0 || height <= 0.0 {
        return Err(RenderError::invalid(FILE, format!("line {}: slide image has no size", xml::line(node))));
    }
    Ok(Slide {
        id: xml::attr(FILE, node, "id")?.to_string(),
        intervals: ins.into_iter().zip(outs).filter(|(a, b)| b > a).collect(),
        href: href(node)
            .ok_or_else(|| RenderError::invalid(FILE, format!("line {}: slide image without href", xml::line(node))))?
            .to_string(),
        width,
        height,
    })
}

/// `image2-pencil13` → `pencil`; `image2-poll_result3` → `poll_result`.
fn kind_of(key: &str) -> String {
    let tail = key.rsplit_once('-').map_or(key, |(_, t)| t);
    tail.trim_end_matches(|c: char| c.is_ascii_digit()).to_string()
}

fn parse_shape(src: &str, slide: &str, g: roxmltree::Node) -> Result<Shape, RenderError> {
    let start = xml::seconds(FILE, g, xml::attr(FILE, g, "timestamp")?)?;
    let undo = match g.attribute("undo") {
        Some(u) => Some(xml::seconds(FILE, g, u)?).filter(|u| *u >= 0),
        None => None,
    };
    let key = g.attribute("shape").or(g.attribute("id")).unwrap_or_default().to_string();
    let style: String = g
        .attribute("style")
        .unwrap_or("")
        .split(';')
        .filter(|d| !d.trim().is_empty() && !d.trim().starts_with("visibility"))
        .collect::<Vec<_>>()
        .join(";");
    let mut body = String::new();
    for child in g.children().filter(|c| c.is_element()) {
        match child.descendants().find(|d| d.has_tag_name("foreignObject")) {
            Some(fo) => body.extend(text::foreign_object_to_svg(fo, &style)),
            None => body.push_str(&src[child.range()]),
        }
    }
    let svg = if body.is_empty() { body } else { format!(r#"<g style="{}">{body}</g>"#, text::escape(&style)) };
    Ok(Shape { slide: slide.to_string(), kind: kind_of(&key), key, start, undo, svg, z: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../../testdata/presentation/bbb22-featuredemo/shapes.svg");

    #[test]
    fn fixture_slides_and_shapes() {
        let wb = parse(FIXTURE, Path::new("/rec")).unwrap();
        assert_eq!(wb.slides.len(), 4);
        assert_eq!(wb.slides[3].intervals, vec![(116_000, 253_200)]);
        assert_eq!(wb.shapes.len(), 83);
        let text = wb.shapes.iter().find(|s| s.key == "image4-text8").unwrap();
        assert_eq!(text.kind, "text");
        assert!(text.svg.contains(">Hallo</tspan>"), "{}", text.svg);
        assert!(!text.svg.contains("visibility"));
        let line = wb.shapes.iter().find(|s| s.kind == "line").unwrap();
        assert!(line.svg.contains("<line"), "{}", line.svg);
    }

    #[test]
    fn escaping_href_is_refused() {
        let bad = FIXTURE.replacen("presentation/f317", "../../f317", 1);
        let err = parse(&bad, Path::new("/rec")).unwrap_err().to_string();
        assert!(err.starts_with("shapes.svg: refused path \"../../f317"), "{err}");
    }

    #[test]
    fn malformed_names_file_and_line() {
        let err = parse("<svg>\n<g>\n</svg>", Path::new("/rec")).unwrap_err().to_string();
        assert!(err.starts_with("shapes.svg: malformed XML at line 3"), "{err}");
        assert!(!err.contains('\n'));
    }
}
