//! Convenience accessors on the ABI records (plain methods, not ABI).
use crate::abi::{Owner, Playback, Recording};
use serde_json::{Map, Value};

/// `extra_json` keys of a `video` playback's downloadable file (see [`Playback::download_url`]).
const DOWNLOAD_URL: &str = "download_url";
const DOWNLOAD_ERROR: &str = "download_error";

impl Playback {
    fn extra(&self) -> Map<String, Value> {
        serde_json::from_str(&self.extra_json).unwrap_or_default()
    }

    fn set_extra(&mut self, key: &str, value: &str) {
        let mut extra = self.extra();
        extra.remove(DOWNLOAD_URL);
        extra.remove(DOWNLOAD_ERROR);
        extra.insert(key.into(), Value::String(value.into()));
        self.extra_json = Value::Object(extra).to_string().into();
    }

    /// The file behind a `video` playback page (`…/video-0.m4v`), when a
    /// source or an earlier stage found it (`download_url` in `extra_json`).
    pub fn download_url(&self) -> Option<String> {
        let extra = self.extra();
        let url = extra.get(DOWNLOAD_URL)?.as_str()?.trim();
        (!url.is_empty()).then(|| url.to_string())
    }

    /// Why the file could not be found (`download_error`), if a stage tried and failed.
    pub fn download_error(&self) -> Option<String> {
        self.extra().get(DOWNLOAD_ERROR)?.as_str().map(String::from)
    }

    /// Records the file found for this playback (drops an earlier error).
    pub fn set_download_url(&mut self, url: &str) {
        self.set_extra(DOWNLOAD_URL, url);
    }

    /// Records why the file could not be found (drops an earlier URL).
    pub fn set_download_error(&mut self, error: &str) {
        self.set_extra(DOWNLOAD_ERROR, error);
    }
}

/// The one way to compare metadata keys: without case (BBB lower-cases the
/// keys it is given, but keeps its own camelCase ones, and copies made by
/// other tools may differ).
pub fn meta_key_eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl Recording {
    /// A metadata value by key, compared without case ([`meta_key_eq`]); the
    /// first one in document order. Empty values are returned as they are.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.iter().find(|kv| meta_key_eq(kv.0.as_str(), key)).map(|kv| kv.1.as_str())
    }
    /// A metadata value by key (without case), blank values counting as absent.
    pub fn meta_value(&self, key: &str) -> Option<&str> {
        self.meta(key).filter(|v| !v.trim().is_empty())
    }
    /// `bbb-origin` (Moodle, Greenlight, greenlight…), if any.
    pub fn origin(&self) -> Option<&str> {
        self.meta_value("bbb-origin")
    }
    /// `bbb-origin-server-name`, if any (key compared without case).
    pub fn origin_server(&self) -> Option<&str> {
        self.meta_value("bbb-origin-server-name")
    }
    /// The internal meeting id of the parent meeting when this recording is a
    /// breakout room's (`<breakout><parentId>`, kept by the sources in
    /// `extra_json` as `breakout_parentId`). The parent's internal meeting id
    /// is also the parent's recordID when the parent was recorded.
    pub fn breakout_parent(&self) -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(self.extra_json.as_str()).ok()?;
        let p = v.get("breakout_parentId")?.as_str()?.trim();
        (!p.is_empty()).then(|| p.to_string())
    }
    /// The playback of a format (`presentation`, `video`, …).
    pub fn playback(&self, format: &str) -> Option<&Playback> {
        self.playback.iter().find(|p| p.format.as_str() == format)
    }
    /// The playback of a format, to change it.
    pub fn playback_mut(&mut self, format: &str) -> Option<&mut Playback> {
        self.playback.iter_mut().find(|p| p.format.as_str() == format)
    }
    /// Duration in whole seconds (0 if the times are inconsistent).
    pub fn duration_s(&self) -> i64 {
        ((self.end_ms - self.start_ms) / 1000).max(0)
    }
}

impl Owner {
    pub fn new(username: &str, email: &str, first_name: &str, last_name: &str) -> Self {
        Self {
            username: username.into(),
            email: email.into(),
            first_name: first_name.into(),
            last_name: last_name.into(),
            primary: true,
            ..Default::default()
        }
    }
    /// Why the resolver found this owner, e.g. `activity 119 course 4 creator`.
    /// The resolver's own name is not the plugin's to say: the host stamps
    /// `resolver` with the component's name from the pipeline file.
    pub fn because(mut self, reason: impl Into<String>) -> Self {
        self.reason = reason.into().into();
        self
    }
    /// Sets who found this owner and why: for the host (its fallback owner)
    /// and for tests that hand a sink an owner as the host would.
    pub fn found_by(mut self, resolver: &str, reason: impl Into<String>) -> Self {
        self.resolver = resolver.into();
        self.because(reason)
    }
    pub fn secondary(mut self) -> Self {
        self.primary = false;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi_stable::std_types::Tuple2;

    #[test]
    fn metadata_keys_without_case() {
        let r = Recording {
            metadata: vec![
                Tuple2("BBB-Origin-Server-Name".into(), "Moodle.univ.fr".into()),
                Tuple2("bbb-origin".into(), " ".into()),
                Tuple2("meetingId".into(), "m".into()),
            ]
            .into(),
            extra_json: r#"{"breakout_parentId":"abc-1","breakout_sequence":"2"}"#.into(),
            ..Default::default()
        };
        assert_eq!(r.origin_server(), Some("Moodle.univ.fr"));
        assert_eq!(r.meta("MEETINGID"), Some("m"));
        assert_eq!(r.meta("bbb-origin"), Some(" "));
        assert_eq!(r.origin(), None);
        assert_eq!(r.breakout_parent().as_deref(), Some("abc-1"));
        assert_eq!(Recording::default().breakout_parent(), None);
    }

    #[test]
    fn download_url_round_trips_and_keeps_other_keys() {
        let mut p = Playback { extra_json: r#"{"preview_images":["a.png"]}"#.into(), ..Default::default() };
        assert_eq!(p.download_url(), None);
        p.set_download_error("HTTP 404");
        assert_eq!((p.download_url(), p.download_error().as_deref()), (None, Some("HTTP 404")));
        p.set_download_url("https://h/v/video-0.m4v");
        assert_eq!(p.download_url().as_deref(), Some("https://h/v/video-0.m4v"));
        assert_eq!(p.download_error(), None);
        assert!(p.extra_json.contains("preview_images"));
        let blank = Playback { extra_json: r#"{"download_url":"  "}"#.into(), ..Default::default() };
        assert_eq!(blank.download_url(), None);
        assert_eq!(Playback::default().download_url(), None);
    }
}
