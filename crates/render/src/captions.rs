//! Closed captions: `captions.json` lists the locales (`[{"locale": "en", "localeName":
//! "English"}, …]`) and each has a WebVTT file `caption_<locale>.vtt` beside it. Every
//! usable one becomes a subtitle track of the MP4 (tagged with its ISO 639-2 language)
//! and a `.vtt` sidecar; the others are reported with the reason (a file past
//! [`crate::xml::MAX_INPUT_BYTES`] among them).

use std::path::{Path, PathBuf};

use serde_json::Value;

pub(crate) const FILE: &str = "captions.json";

/// One usable caption track.
#[derive(Debug, Clone)]
pub(crate) struct Track {
    /// As BBB wrote it (`en`, `pt-BR`); safe as part of a file name.
    pub locale: String,
    pub name: String,
    /// `caption_<locale>.vtt` in the recording folder.
    pub path: PathBuf,
    /// ISO 639-2 code for the MP4 language tag (`und` when unknown).
    pub language: &'static str,
}

/// The usable tracks, and what was skipped and why.
pub(crate) fn find(dir: &Path) -> (Vec<Track>, Vec<String>) {
    let (mut tracks, mut skipped) = (Vec::new(), Vec::new());
    let text = match crate::xml::read_optional(dir, FILE) {
        Ok(Some(t)) => t,
        Ok(None) => return (tracks, skipped),
        Err(e) => {
            skipped.push(format!("captions: {e}; skipped"));
            return (tracks, skipped);
        }
    };
    let list = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(list)) => list,
        Ok(_) => {
            skipped.push(format!("captions: {FILE}: expected a JSON list of locales"));
            return (tracks, skipped);
        }
        Err(e) => {
            skipped.push(format!("captions: {FILE}: malformed JSON at line {}", e.line()));
            return (tracks, skipped);
        }
    };
    for entry in list {
        let locale = entry.get("locale").and_then(Value::as_str).unwrap_or("");
        if !is_safe_locale(locale) {
            skipped.push(format!("captions: {FILE} names an unusable locale {:?}", short(locale)));
            continue;
        }
        let file = format!("caption_{locale}.vtt");
        let path = dir.join(&file);
        match crate::xml::read_input_bytes(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
                let e = crate::xml::read_error(&file, e, crate::xml::MAX_INPUT_BYTES);
                skipped.push(format!("captions {locale}: {e}; skipped"));
            }
            Err(_) => skipped.push(format!("captions {locale}: {file} missing")),
            Ok(bytes) if !is_webvtt(&bytes) => skipped.push(format!("captions {locale}: {file} is not WebVTT")),
            Ok(_) => {
                let name = entry.get("localeName").and_then(Value::as_str).unwrap_or(locale);
                tracks.push(Track { locale: locale.to_string(), name: short(name), path, language: iso639_2(locale) });
            }
        }
    }
    (tracks, skipped)
}

/// At most 40 characters of a name from the recording, for reports and metadata.
fn short(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(40).collect()
}

/// Locales become file names: letters, digits, `-` and `_` only, 1–35 characters.
pub(crate) fn is_safe_locale(locale: &str) -> bool {
    (1..=35).contains(&locale.len()) && locale.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A WebVTT file starts (after an optional byte-order mark) with `WEBVTT` followed by the
/// end of the line, a space or a tab.
pub(crate) fn is_webvtt(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.starts_with(b"WEBVTT") && matches!(b.get(6), None | Some(b'\n' | b'\r' | b' ' | b'\t'))
}

/// The ISO 639-2 code MP4 wants for a BCP 47 locale (`pt-BR` → `por`); `und` if unknown.
pub(crate) fn iso639_2(locale: &str) -> &'static str {
    const CODES: &[(&str, &str)] = &[
        ("af", "afr"),
        ("ar", "ara"),
        ("az", "aze"),
        ("be", "bel"),
        ("bg", "bul"),
        ("bn", "ben"),
        ("bs", "bos"),
        ("ca", "cat"),
        ("cs", "cze"),
        ("cy", "wel"),
        ("da", "dan"),
        ("de", "ger"),
        ("el", "gre"),
        ("en", "eng"),
        ("eo", "epo"),
        ("es", "spa"),
        ("et", "est"),
        ("eu", "baq"),
        ("fa", "per"),
        ("fi", "fin"),
        ("fr", "fre"),
        ("ga", "gle"),
        ("gl", "glg"),
        ("gu", "guj"),
        ("he", "heb"),
        ("hi", "hin"),
        ("hr", "hrv"),
        ("hu", "hun"),
        ("hy", "arm"),
        ("id", "ind"),
        ("is", "ice"),
        ("it", "ita"),
        ("ja", "jpn"),
        ("ka", "geo"),
        ("kk", "kaz"),
        ("km", "khm"),
        ("kn", "kan"),
        ("ko", "kor"),
        ("lt", "lit"),
        ("lv", "lav"),
        ("mk", "mac"),
        ("ml", "mal"),
        ("mn", "mon"),
        ("mr", "mar"),
        ("ms", "may"),
        ("nb", "nob"),
        ("nl", "dut"),
        ("nn", "nno"),
        ("no", "nor"),
        ("pa", "pan"),
        ("pl", "pol"),
        ("pt", "por"),
        ("ro", "rum"),
        ("ru", "rus"),
        ("sk", "slo"),
        ("sl", "slv"),
        ("sq", "alb"),
        ("sr", "srp"),
        ("sv", "swe"),
        ("sw", "swa"),
        ("ta", "tam"),
        ("te", "tel"),
        ("th", "tha"),
        ("tr", "tur"),
        ("uk", "ukr"),
        ("ur", "urd"),
        ("uz", "uzb"),
        ("vi", "vie"),
        ("zh", "chi"),
    ];
    let base = locale.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
    CODES
        .iter()
        .find(|(two, _)| *two == base)
        .map(|(_, three)| *three)
        .unwrap_or_else(|| CODES.iter().map(|(_, three)| *three).find(|three| *three == base).unwrap_or("und"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_and_locales() {
        assert_eq!(iso639_2("en"), "eng");
        assert_eq!(iso639_2("pt-BR"), "por");
        assert_eq!(iso639_2("de_DE"), "ger");
        assert_eq!(iso639_2("ger"), "ger");
        assert_eq!(iso639_2("xx"), "und");
        assert!(is_safe_locale("pt-BR"));
        for bad in ["", "../x", "a/b", "en.vtt", "a b"] {
            assert!(!is_safe_locale(bad), "{bad}");
        }
    }

    #[test]
    fn webvtt_signature() {
        assert!(is_webvtt(b"WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n"));
        assert!(is_webvtt(b"\xEF\xBB\xBFWEBVTT - title\n"));
        assert!(!is_webvtt(b"1\n00:00:00,000 --> 00:00:01,000\nSRT\n"));
        assert!(!is_webvtt(b"WEBVTTX\n"));
    }

    #[test]
    fn finds_usable_tracks_and_says_why_others_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let json = r#"[{"locale":"de","localeName":"Deutsch"},{"locale":"en","localeName":"English"},
            {"locale":"fr","localeName":"Français"},{"locale":"../../etc/passwd"}]"#;
        std::fs::write(dir.path().join(FILE), json).unwrap();
        std::fs::write(dir.path().join("caption_de.vtt"), "WEBVTT\n\n00:01.000 --> 00:02.000\nHallo\n").unwrap();
        std::fs::write(dir.path().join("caption_en.vtt"), "<html>not found</html>").unwrap();
        let (tracks, skipped) = find(dir.path());
        assert_eq!(tracks.len(), 1);
        assert_eq!((tracks[0].locale.as_str(), tracks[0].name.as_str(), tracks[0].language), ("de", "Deutsch", "ger"));
        assert_eq!(skipped.len(), 3, "{skipped:?}");
        assert!(skipped[0].contains("caption_en.vtt is not WebVTT"));
        assert!(skipped[1].contains("caption_fr.vtt missing"));
        assert!(skipped[2].contains("unusable locale"));
    }
}
