//! Formats published as a player page (`video`, `screenshare`): `index.html` names the
//! media (`<source src>`), captions (`<track src>`), styles and scripts.
use super::{add, captions, Documents, Skipped, Wanted};
use reqwest::Url;

pub fn documents() -> Vec<Wanted> {
    vec![
        Wanted::required("index.html"),
        Wanted::document("captions.json"),
        Wanted::optional("metadata.xml"),
        Wanted::optional("video.xml"),
    ]
}

pub fn derived(base: &Url, docs: &Documents) -> (Vec<Wanted>, Vec<Skipped>) {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    if let Some(html) = docs.get("index.html") {
        for v in attributes(&String::from_utf8_lossy(html), &["src", "href"]) {
            if v.starts_with('#') || v.starts_with("data:") || v.starts_with("mailto:") {
                continue;
            }
            add(base, &v, "index.html", &mut out, &mut skipped);
        }
    }
    captions(base, docs, &mut out, &mut skipped);
    (out, skipped)
}

/// The values of the attributes `names` anywhere in an HTML text (quoted with `"` or `'`),
/// entity `&amp;` decoded. A small scanner: player pages are simple and machine-written.
pub fn attributes(html: &str, names: &[&str]) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut out = Vec::new();
    for name in names {
        let pat = format!("{name}=");
        let mut from = 0;
        while let Some(i) = lower[from..].find(&pat) {
            let at = from + i;
            from = at + pat.len();
            // Must be a whole attribute name (`data-src=` is not `src=`).
            if at > 0 && !(bytes[at - 1] as char).is_ascii_whitespace() {
                continue;
            }
            let Some(&q) = bytes.get(from) else { break };
            if q != b'"' && q != b'\'' {
                continue;
            }
            if let Some(end) = html[from + 1..].find(q as char) {
                out.push(html[from + 1..from + 1 + end].replace("&amp;", "&"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sources_tracks_and_assets() {
        let html = r##"<html><head><link rel="stylesheet" href="css/player.css"><script src='js/p.js'></script></head>
<body><video><source src="video-0.m4v" type="video/mp4"><track src="caption_en.vtt"></video>
<a href="#top">x</a><img data-src="no.png"><source src="https://other.test/v.mp4"></body></html>"##;
        let base = Url::parse("http://h.test/playback/video/r1/").unwrap();
        let mut docs = Documents::new();
        docs.insert("index.html".into(), html.as_bytes().to_vec());
        let (w, s) = derived(&base, &docs);
        let mut rels: Vec<&str> = w.iter().map(|w| w.rel.as_str()).collect();
        rels.sort();
        assert_eq!(rels, ["caption_en.vtt", "css/player.css", "js/p.js", "video-0.m4v"]);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].href, "https://other.test/v.mp4");
    }
}
