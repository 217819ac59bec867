//! Downloading a published presentation (`https://host/presentation/<recordID>/`) into a
//! local folder laid out like the server's, so [`crate::render_dir`] can render it.
//!
//! Bounded: each file has a byte bound by kind (XML/JSON/SVG and images
//! [`MAX_TEXT_BYTES`], media [`MAX_MEDIA_BYTES`]) and a time bound for its
//! body; transient failures (network, 5xx, 408, 429) are retried
//! [`RETRIES`] times with doubling back-off.

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
    "slides_new.xml",
    "notes.html",
    crate::polls::POLLS_FILE,
    crate::polls::VIDEOS_FILE,
];
/// Media, in order of preference within each group; the first one found wins.
const MEDIA: &[&[&str]] = &[
    &["video/webcams.webm", "video/webcams.mp4"],
    &["deskshare/deskshare.webm", "deskshare/deskshare.mp4"],
    &["audio/audio.ogg", "audio/audio.webm", "audio/audio.opus"],
];
/// Bytes of one XML, JSON or SVG file, or one slide image.
pub const MAX_TEXT_BYTES: u64 = 256 << 20;
/// Bytes of one media file (webcams, screen share, audio).
pub const MAX_MEDIA_BYTES: u64 = 32 << 30;
/// Further tries after a transient failure.
pub const RETRIES: u32 = 3;
const BACKOFF: Duration = Duration::from_millis(300);

struct Fetcher {
    agent: ureq::Agent,
    base: String,
}

/// One try: done, worth another, or not.
enum Try {
    Done(bool),
    Retry(String),
}

impl Fetcher {
    /// Downloads `base + rel` to `dir/rel`. `Ok(false)` when the server says 404/410.
    fn get(&self, rel: &str, dir: &Path) -> Result<bool, RenderError> {
        let url = format!("{}{rel}", self.base);
        let dest = safe_join(dir, rel, shapes::FILE)?;
        let mut attempt = 0;
        loop {
            match self.get_once(&url, &dest, rel)? {
                Try::Done(found) => return Ok(found),
                Try::Retry(msg) if attempt >= RETRIES => {
                    return Err(RenderError::Fetch { url, msg: crate::error::one_line(&msg) })
                }
                Try::Retry(_) => {
                    attempt += 1;
                    std::thread::sleep(BACKOFF * 2u32.pow(attempt - 1));
                }
            }
        }
    }

    fn get_once(&self, url: &str, dest: &Path, rel: &str) -> Result<Try, RenderError> {
        let err = |msg: String| RenderError::Fetch { url: url.to_string(), msg: crate::error::one_line(&msg) };
        let media = MEDIA.iter().any(|g| g.contains(&rel));
        let (limit, body_time) = if media {
            (MAX_MEDIA_BYTES, Duration::from_secs(4 * 3600))
        } else {
            (MAX_TEXT_BYTES, Duration::from_secs(600))
        };
        let req = self.agent.get(url).config().timeout_recv_body(Some(body_time)).build();
        let mut resp = match req.call() {
            Ok(r) => r,
            Err(e) => return Ok(Try::Retry(e.to_string())),
        };
        match resp.status().as_u16() {
            200..=299 => {}
            404 | 410 => return Ok(Try::Done(false)),
            s @ (408 | 429 | 500..=599) => return Ok(Try::Retry(format!("HTTP status {s}"))),
            s => return Err(err(format!("HTTP status {s}"))),
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| RenderError::io(parent.display().to_string(), e))?;
        }
        let mut file = std::fs::File::create(dest).map_err(|e| RenderError::io(dest.display().to_string(), e))?;
        let mut body = resp.body_mut().with_config().limit(limit).reader();
        match std::io::copy(&mut body, &mut file) {
            Ok(_) => Ok(Try::Done(true)),
            Err(e) if matches!(e.get_ref().and_then(|i| i.downcast_ref()), Some(ureq::Error::BodyExceedsLimit(_))) => {
                Err(err(format!("larger than {limit} bytes; refused")))
            }
            Err(e) => Ok(Try::Retry(format!("download interrupted: {e}"))),
        }
    }
}

/// Trusted roots: the web roots by default; with a `ca_file`, the system's
/// roots and the file's certificates.
fn tls(ca_file: Option<&Path>) -> Result<ureq::tls::TlsConfig, RenderError> {
    use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
    let Some(path) = ca_file else { return Ok(TlsConfig::default()) };
    let bad = |msg: String| RenderError::Fetch { url: path.display().to_string(), msg };
    let pem = std::fs::read(path).map_err(|e| RenderError::io(path.display().to_string(), e))?;
    let mut certs: Vec<Certificate<'static>> = rustls_native_certs::load_native_certs()
        .certs
        .iter()
        .map(|c| Certificate::from_der(c.as_ref()).to_owned())
        .collect();
    let before = certs.len();
    for item in ureq::tls::parse_pem(&pem) {
        if let PemItem::Certificate(c) = item.map_err(|e| bad(format!("not a PEM certificate file ({e})")))? {
            certs.push(c);
        }
    }
    if certs.len() == before {
        return Err(bad("no PEM certificate in the file".into()));
    }
    Ok(TlsConfig::builder().root_certs(RootCerts::new_with_certs(&certs)).build())
}

impl Fetcher {
    /// A fetcher of the files below `base_url` (a folder: `/` is added when missing).
    fn new(base_url: &str, ca_file: Option<&Path>) -> Result<Fetcher, RenderError> {
        let base = if base_url.ends_with('/') { base_url.to_string() } else { format!("{base_url}/") };
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(RenderError::Fetch { url: base_url.into(), msg: "not an http(s) URL".into() });
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .tls_config(tls(ca_file)?)
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(20)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .build()
            .into();
        Ok(Fetcher { agent, base })
    }

    /// `captions.json` (if any) and the caption files it names (locales that are not
    /// safe file names are left out: the renderer reports them); absent files are noted.
    fn captions(&self, dir: &Path, notes: &mut Vec<String>) -> Result<(), RenderError> {
        if !self.get(crate::captions::FILE, dir)? {
            notes.push(format!("{} not on the server", crate::captions::FILE));
            return Ok(());
        }
        if let Ok(Some(text)) = crate::xml::read_optional(dir, crate::captions::FILE) {
            let list: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap_or_default();
            for locale in list.iter().filter_map(|e| e.get("locale").and_then(|l| l.as_str())) {
                if crate::captions::is_safe_locale(locale) {
                    let name = format!("caption_{locale}.vtt");
                    if !self.get(&name, dir)? {
                        notes.push(format!("{name} not on the server"));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Runs `fetch` into a new temporary folder (removed afterwards), then `then` on that
/// folder; the fetch's notes follow the report's own.
pub(crate) fn fetched_then(
    fetch: impl FnOnce(&Path) -> Result<Vec<String>, RenderError>,
    then: impl FnOnce(&Path) -> Result<crate::RenderReport, RenderError>,
) -> Result<crate::RenderReport, RenderError> {
    let work = crate::work::WorkDir::new("bbb-fetch-")?;
    let fetched = fetch(work.path())?;
    let mut report = then(work.path())?;
    report.notes.extend(fetched);
    Ok(report)
}

/// Fetches what the `video` format publishes beside its video (`base_url` is its folder,
/// `…/playback/video/<recordID>/`) into `dir`: the captions and the chat (`video.xml`).
/// Returns notes on what was absent.
pub(crate) fn fetch_video_extras(
    base_url: &str,
    dir: &Path,
    ca_file: Option<&Path>,
) -> Result<Vec<String>, RenderError> {
    let f = Fetcher::new(base_url, ca_file)?;
    let mut notes = Vec::new();
    f.captions(dir, &mut notes)?;
    if !f.get(crate::chat::VIDEO_FILE, dir)? {
        notes.push(format!("{} not on the server", crate::chat::VIDEO_FILE));
    }
    Ok(notes)
}

/// Fetches the recording into `dir`; returns notes on what was absent.
pub(crate) fn fetch_recording(base_url: &str, dir: &Path, ca_file: Option<&Path>) -> Result<Vec<String>, RenderError> {
    let f = Fetcher::new(base_url, ca_file)?;
    let mut notes = Vec::new();
    if !f.get(shapes::FILE, dir)? {
        return Err(RenderError::Fetch { url: format!("{}{}", f.base, shapes::FILE), msg: "not found (404)".into() });
    }
    for name in OPTIONAL {
        if !f.get(name, dir)? {
            notes.push(format!("{name} not on the server"));
        }
    }
    f.captions(dir, &mut notes)?;
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
    let text = crate::xml::read_optional_within(dir, shapes::FILE, crate::xml::MAX_RECORDING_BYTES)?
        .ok_or_else(|| RenderError::Missing { file: shapes::FILE.into() })?;
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
