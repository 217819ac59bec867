//! Which files make up each published format of a recording, found from the playback URL
//! and from the published documents themselves (never by listing a folder: servers do not).
//!
//! Discovery is two steps: the format's documents (fetched first, and kept to be read),
//! then the files they name.
pub mod href;
mod page;
mod presentation;

use reqwest::Url;
use std::collections::BTreeMap;

/// A file to fetch, relative to its format folder.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Wanted {
    pub rel: String,
    /// A 404 fails the recording (otherwise it is recorded as missing).
    pub required: bool,
    /// Read after the download to find more files.
    pub document: bool,
}

impl Wanted {
    pub fn required(rel: &str) -> Self {
        Wanted { rel: rel.into(), required: true, document: true }
    }
    pub fn document(rel: &str) -> Self {
        Wanted { rel: rel.into(), required: false, document: true }
    }
    pub fn optional(rel: &str) -> Self {
        Wanted { rel: rel.into(), required: false, document: false }
    }
}

/// A name found in a document and refused (kept in the manifest's `skipped` list).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Skipped {
    pub href: String,
    /// The document that named it (`presentation/shapes.svg`).
    pub from: String,
    pub reason: String,
}

/// The documents of a format, by path relative to its folder.
pub type Documents = BTreeMap<String, Vec<u8>>;

/// How a format is laid out on the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Layout {
    /// `/presentation/<id>/`: metadata.xml, shapes.svg, … (see `presentation.rs`).
    Presentation,
    /// A player page (`video`, `screenshare`): `index.html` and what it names.
    Page,
    /// A single file named by the URL (`podcast/…/audio.ogg`, `notes/…/notes.pdf`).
    File(String),
}

/// A format to archive: its folder URL (ends in `/`) and layout.
#[derive(Debug, Clone)]
pub struct FormatPlan {
    pub format: String,
    pub base: Url,
    pub layout: Layout,
}

impl FormatPlan {
    /// From a playback entry: `None` with a reason when its URL says nothing usable.
    pub fn new(format: &str, url: &str, record_id: &str) -> Result<FormatPlan, String> {
        let parsed = Url::parse(url).map_err(|e| format!("playback URL `{url}`: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(format!("playback URL `{url}` is not http(s)"));
        }
        let origin = |path: String| {
            let mut u = parsed.clone();
            u.set_query(None);
            u.set_fragment(None);
            u.set_path(&path);
            u
        };
        if format == "presentation" {
            // Whatever the player's URL (0.9.0, 2.0, 2.3), the files are at /presentation/<id>/.
            return Ok(FormatPlan {
                format: format.into(),
                base: origin(format!("/presentation/{record_id}/")),
                layout: Layout::Presentation,
            });
        }
        let path = parsed.path();
        if path.ends_with('/') {
            return Ok(FormatPlan { format: format.into(), base: origin(path.into()), layout: Layout::Page });
        }
        let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
        if file.contains('.') && href::is_safe_name(file) && dir.contains(record_id) {
            return Ok(FormatPlan {
                format: format.into(),
                base: origin(format!("{dir}/")),
                layout: Layout::File(file.into()),
            });
        }
        if dir.ends_with(record_id) || file == record_id {
            return Ok(FormatPlan { format: format.into(), base: origin(format!("{path}/")), layout: Layout::Page });
        }
        Err(format!("playback URL `{url}`: no folder of recording {record_id} in it"))
    }

    /// The documents to fetch first.
    pub fn documents(&self) -> Vec<Wanted> {
        match &self.layout {
            Layout::Presentation => presentation::documents(),
            Layout::Page => page::documents(),
            Layout::File(name) => vec![Wanted::required(name).not_document(), Wanted::optional("metadata.xml")],
        }
    }

    /// The files the documents name (and the media probed by name).
    pub fn derived(&self, docs: &Documents) -> (Vec<Wanted>, Vec<Skipped>) {
        let (mut wanted, skipped) = match &self.layout {
            Layout::Presentation => presentation::derived(&self.base, docs),
            Layout::Page => page::derived(&self.base, docs),
            Layout::File(_) => (Vec::new(), Vec::new()),
        };
        let already: Vec<String> = self.documents().into_iter().map(|w| w.rel).collect();
        wanted.sort();
        wanted.dedup_by(|a, b| a.rel == b.rel);
        wanted.retain(|w| !already.contains(&w.rel));
        (wanted, skipped)
    }
}

impl Wanted {
    fn not_document(mut self) -> Self {
        self.document = false;
        self
    }
}

/// `caption_<locale>.vtt` for each entry of a `captions.json`.
pub(crate) fn captions(base: &Url, docs: &Documents, out: &mut Vec<Wanted>, skipped: &mut Vec<Skipped>) {
    let Some(bytes) = docs.get("captions.json") else { return };
    let Ok(serde_json::Value::Array(list)) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        skipped.push(Skipped {
            href: "captions.json".into(),
            from: "captions.json".into(),
            reason: "not a JSON list".into(),
        });
        return;
    };
    for entry in list {
        let Some(locale) = entry.get("locale").and_then(|l| l.as_str()) else { continue };
        let name = format!("caption_{locale}.vtt");
        match href::relative(base, &name) {
            Ok(rel) if !rel.contains('/') => out.push(Wanted::optional(&rel)),
            Ok(_) => {
                skipped.push(Skipped { href: name, from: "captions.json".into(), reason: "a locale with `/`".into() })
            }
            Err(reason) => skipped.push(Skipped { href: name, from: "captions.json".into(), reason }),
        }
    }
}

/// Adds `href` (named by document `from`) to `out` if it is safe, else to `skipped`.
pub(crate) fn add(base: &Url, href: &str, from: &str, out: &mut Vec<Wanted>, skipped: &mut Vec<Skipped>) {
    match href::relative(base, href) {
        Ok(rel) => out.push(Wanted::optional(&rel)),
        Err(reason) => skipped.push(Skipped { href: href.into(), from: from.into(), reason }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_each_format_from_its_url() {
        let id = "abc-123";
        let p = FormatPlan::new("presentation", "https://b.test/playback/presentation/2.3/abc-123", id).unwrap();
        assert_eq!(p.base.as_str(), "https://b.test/presentation/abc-123/");
        let p = FormatPlan::new(
            "presentation",
            "https://b.test/playback/presentation/2.0/playback.html?meetingId=abc-123",
            id,
        )
        .unwrap();
        assert_eq!(p.base.as_str(), "https://b.test/presentation/abc-123/");
        let v = FormatPlan::new("video", "https://b.test/playback/video/abc-123/", id).unwrap();
        assert_eq!((v.base.as_str(), v.layout), ("https://b.test/playback/video/abc-123/", Layout::Page));
        let a = FormatPlan::new("podcast", "https://b.test/podcast/abc-123/audio.ogg", id).unwrap();
        assert_eq!((a.base.as_str(), a.layout), ("https://b.test/podcast/abc-123/", Layout::File("audio.ogg".into())));
        assert!(FormatPlan::new("notes", "ftp://b.test/notes/abc-123/notes.pdf", id).is_err());
        assert!(FormatPlan::new("video", "https://b.test/elsewhere/x.mp4", id).is_err());
    }
}
