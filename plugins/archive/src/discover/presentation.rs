//! The files of a published `presentation` (what bbb-playback reads).
use super::{add, captions, Documents, Skipped, Wanted};
use reqwest::Url;

const XLINK: &str = "http://www.w3.org/1999/xlink";

/// Read first: metadata.xml is the one required file; the others exist depending on the
/// BBB version and on what happened in the meeting.
pub fn documents() -> Vec<Wanted> {
    let mut v = vec![Wanted::required("metadata.xml")];
    for d in ["shapes.svg", "captions.json", "notes.html"] {
        v.push(Wanted::document(d));
    }
    for f in [
        "panzooms.xml",
        "cursor.xml",
        "deskshare.xml",
        "slides_new.xml",
        "tldraw.json",
        "presentation_text.json",
        "polls.json",
        "external_videos.json",
        // Media, probed by name: whichever of webm/mp4 (ogg/opus for audio) exists.
        "video/webcams.webm",
        "video/webcams.mp4",
        "deskshare/deskshare.webm",
        "deskshare/deskshare.mp4",
        "audio/audio.webm",
        "audio/audio.ogg",
        "audio/audio.opus",
        // Placeholders the player shows during screen sharing / before any upload.
        "presentation/deskshare.png",
        "presentation/logo.png",
    ] {
        v.push(Wanted::optional(f));
    }
    v
}

/// Slide images, their text and thumbnails, poll charts (shapes.svg); preview images
/// (metadata.xml); caption files (captions.json); images of the shared notes.
pub fn derived(base: &Url, docs: &Documents) -> (Vec<Wanted>, Vec<Skipped>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    if let Some(svg) = docs.get("shapes.svg") {
        shapes(base, svg, &mut out, &mut skipped);
    }
    if let Some(xml) = docs.get("metadata.xml") {
        previews(base, xml, &mut out, &mut skipped);
    }
    captions(base, docs, &mut out, &mut skipped);
    if let Some(html) = docs.get("notes.html") {
        for src in super::page::attributes(&String::from_utf8_lossy(html), &["src"]) {
            if !src.starts_with("data:") {
                add(base, &src, "notes.html", &mut out, &mut skipped);
            }
        }
    }
    (out, skipped)
}

fn parse(name: &str, bytes: &[u8], skipped: &mut Vec<Skipped>) -> Option<String> {
    match std::str::from_utf8(bytes) {
        Ok(t) => Some(t.to_string()),
        Err(_) => {
            skipped.push(Skipped { href: name.into(), from: name.into(), reason: "not UTF-8: not read".into() });
            None
        }
    }
}

fn shapes(base: &Url, bytes: &[u8], out: &mut Vec<Wanted>, skipped: &mut Vec<Skipped>) {
    let Some(text) = parse("shapes.svg", bytes, skipped) else { return };
    let opts = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    let doc = match roxmltree::Document::parse_with_options(&text, opts) {
        Ok(d) => d,
        Err(e) => {
            skipped.push(Skipped {
                href: "shapes.svg".into(),
                from: "shapes.svg".into(),
                reason: format!("not XML ({e}): its images not found"),
            });
            return;
        }
    };
    for img in doc.descendants().filter(|n| n.has_tag_name("image")) {
        let Some(href) = img.attribute((XLINK, "href")).or_else(|| img.attribute("href")) else { continue };
        if href.starts_with("data:") {
            continue;
        }
        add(base, href, "shapes.svg", out, skipped);
        if let Some(text) = img.attribute("text") {
            add(base, text, "shapes.svg", out, skipped);
        }
        if let Some(thumb) = thumbnail(href) {
            add(base, &thumb, "shapes.svg", out, skipped);
        }
    }
}

/// `presentation/<p>/slide-N.png` or `presentation/<p>/svgs/slideN.svg` →
/// `presentation/<p>/thumbnails/thumb-N.png`.
fn thumbnail(href: &str) -> Option<String> {
    let (dir, file) = href.rsplit_once('/')?;
    let dir = dir.strip_suffix("/svgs").unwrap_or(dir);
    let n = file.strip_prefix("slide-").or_else(|| file.strip_prefix("slide"))?;
    let n = n.split('.').next()?;
    n.parse::<u32>().ok()?;
    Some(format!("{dir}/thumbnails/thumb-{n}.png"))
}

fn previews(base: &Url, bytes: &[u8], out: &mut Vec<Wanted>, skipped: &mut Vec<Skipped>) {
    let Some(text) = parse("metadata.xml", bytes, skipped) else { return };
    let Ok(doc) = roxmltree::Document::parse(&text) else { return };
    for img in doc.descendants().filter(|n| n.has_tag_name("image")) {
        let url = img.text().unwrap_or("").trim();
        if !url.is_empty() {
            add(base, url, "metadata.xml", out, skipped);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbnails_of_png_and_svg_slides() {
        assert_eq!(thumbnail("presentation/p1/slide-3.png").unwrap(), "presentation/p1/thumbnails/thumb-3.png");
        assert_eq!(thumbnail("presentation/p1/svgs/slide12.svg").unwrap(), "presentation/p1/thumbnails/thumb-12.png");
        assert_eq!(thumbnail("presentation/deskshare.png"), None);
        assert_eq!(thumbnail("presentation/p1/poll_result2.svg"), None);
    }

    #[test]
    fn finds_images_texts_thumbnails_captions_and_refuses_escapes() {
        let base = Url::parse("http://h.test/presentation/r1/").unwrap();
        let svg = br#"<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
<image class="slide" xlink:href="presentation/p1/slide-1.png" text="presentation/p1/textfiles/slide-1.txt"/>
<image class="slide" xlink:href="presentation/p1/slide-1.png"/>
<image xlink:href="../../etc/passwd"/>
<image xlink:href="http://evil.test/x.png"/>
<g><image xlink:href="presentation/p1/poll_result1.svg"/></g></svg>"#;
        let mut docs = Documents::new();
        docs.insert("shapes.svg".into(), svg.to_vec());
        docs.insert(
            "captions.json".into(),
            br#"[{"locale":"fr","localeName":"Fran\u00e7ais"},{"locale":"../x"}]"#.to_vec(),
        );
        let (w, s) = derived(&base, &docs);
        let rels: Vec<&str> = w.iter().map(|w| w.rel.as_str()).collect();
        for r in [
            "presentation/p1/slide-1.png",
            "presentation/p1/textfiles/slide-1.txt",
            "presentation/p1/thumbnails/thumb-1.png",
            "presentation/p1/poll_result1.svg",
            "caption_fr.vtt",
        ] {
            assert!(rels.contains(&r), "{r} not in {rels:?}");
        }
        let refused: Vec<&str> = s.iter().map(|s| s.href.as_str()).collect();
        assert_eq!(refused, ["../../etc/passwd", "http://evil.test/x.png", "caption_../x.vtt"]);
    }
}
