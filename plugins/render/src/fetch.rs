//! Downloading a published presentation (`https://host/presentation/<recordID>/`) into a
//! local folder laid out like the server's, so [`crate::render_dir`] can render it.

use std::path::Path;
use std::time::Duration;

use crate::error::RenderError;
use crate::paths::safe_join;
use crate::shapes;

/// Optional XML/JSON files; each may be absent (404) on the server.
const OPTIONAL: &[&str] = &[
    "metadata.xml",
    "panzooms.xml",
    "cursor.xml",
    "deskshare.xml",
    "tldraw.json",
    "captions.json",
    "slides_new.xml",
    "notes.html",
];
/// Media, in order of preference within each group; the first one found wins.
const MEDIA: &[&[&str]] = &[
    &["video/webcams.webm", "video/webcams.mp4"],
    &["deskshare/deskshare.webm", "deskshare/deskshare.mp4"],
    &["audio/audio.ogg", "audio/audio.webm", "audio/audio.opus"],
];
const MAX_BYTES: u64 = 64 << 30;

struct Fetcher {
    agent: ureq::Agent,
    base: String,
}

impl Fetcher {
    /// Downloads `base + rel` to `dir/rel`. `Ok(false)` when the server says 404/410.
    fn get(&self, rel: &str, dir: &Path) -> Result<bool, RenderError> {
        let url = format!("{}{rel}", self.base);
        let err = |msg: String| RenderError::Fetch { url: url.clone(), msg: crate::error::one_line(&msg) };
        let dest = safe_join(dir, rel, shapes::FILE)?;
        let mut resp = self.agent.get(&url).call().map_err(|e| err(e.to_string()))?;
        match resp.status().as_u16() {
            200..=299 => {}
            404 | 410 => return Ok(false),
            s => return Err(err(format!("HTTP status {s}"))),
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| RenderError::io(parent.display().to_string(), e))?;
        }
        let mut file = std::fs::File::create(&dest).map_err(|e| RenderError::io(dest.display().to_string(), e))?;
        let mut body = resp.body_mut().with_config().limit(MAX_BYTES).reader();
        std::io::copy(&mut body, &mut file).map_err(|e| err(format!("download interrupted: {e}")))?;
        Ok(true)
    }
}

/// Fetches the recording into `dir`; returns notes on what was absent.
pub(crate) fn fetch_recording(base_url: &str, dir: &Path) -> Result<Vec<String>, RenderError> {
    let base = if base_url.ends_with('/') { base_url.to_string() } else { format!("{base_url}/") };
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        return Err(RenderError::Fetch { url: base_url.into(), msg: "not an http(s) URL".into() });
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(20)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .build()
        .into();
    let f = Fetcher { agent, base };
    let mut notes = Vec::new();
    if !f.get(shapes::FILE, dir)? {
        return Err(RenderError::Fetch { url: format!("{}{}", f.base, shapes::FILE), msg: "not found (404)".into() });
    }
    for name in OPTIONAL {
        if !f.get(name, dir)? {
            notes.push(format!("{name} not on the server"));
        }
    }
    // The caption files captions.json names (locales that are not safe file names are
    // left out: the renderer reports them).
    if let Ok(Some(text)) = crate::xml::read_optional(dir, crate::captions::FILE) {
        let list: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap_or_default();
        for locale in list.iter().filter_map(|e| e.get("locale").and_then(|l| l.as_str())) {
            if crate::captions::is_safe_locale(locale) {
                let name = format!("caption_{locale}.vtt");
                if !f.get(&name, dir)? {
                    notes.push(format!("{name} not on the server"));
                }
            }
        }
    }
    for group in MEDIA {
        let mut found = false;
        for name in *group {
            if f.get(name, dir)? {
                found = true;
                break;
            }
        }
        if !found {
            notes.push(format!("{} not on the server", group.join(" / ")));
        }
    }
    // The images named by shapes.svg (slides, polls); hrefs are checked by the parser.
    let text = std::fs::read_to_string(dir.join(shapes::FILE)).map_err(|e| RenderError::io(shapes::FILE, e))?;
    let wb = shapes::parse(&text, dir)?;
    let mut hrefs: Vec<String> = wb.slides.iter().map(|s| s.href.clone()).collect();
    hrefs.extend(shapes::image_hrefs(&text)?);
    hrefs.sort();
    hrefs.dedup();
    for href in hrefs {
        if !f.get(&href, dir)? {
            notes.push(format!("{href} not on the server"));
        }
    }
    Ok(notes)
}
