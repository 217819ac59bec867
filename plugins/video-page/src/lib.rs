//! The downloadable file of a BigBlueButton `video` playback: its URL is an
//! `index.html` whose `<source src>` names the file (`video-0.m4v`), relative
//! to the page after redirects (Scalelite answers 307 to `/video/<id>/`).
//!
//! A plain library (no plugin export), so that every plugin can link it: the
//! `bbb` source resolves videos while listing, the `claim-dir` sink when a
//! recording comes without a resolved `download_url`.

use plugin_api::abi::Recording;

/// Why the files of a recording cannot be fetched: a protected Scalelite
/// recording, whose playback URLs are one-time tokens (`?token=`, valid an
/// hour, used up by the first visit) that open a cookie session, without
/// which its files are refused. Listing it is fine; fetching its video page
/// would use the token up, and a later download would be refused anyway.
pub fn not_deliverable(rec: &Recording) -> Option<&'static str> {
    let extra: serde_json::Value = serde_json::from_str(&rec.extra_json).unwrap_or_default();
    let protected = extra.get("protected").and_then(serde_json::Value::as_bool) == Some(true)
        || rec.playback.iter().any(|p| p.url.contains("token="));
    protected.then_some(
        "protected recording: Scalelite serves its files only through one-time token URLs and a session cookie, \
         which bbb-migrate does not follow; unprotect it (Scalelite updateRecordings protect=false) and run again",
    )
}

/// The first `<source src="…">` of an HTML page (attribute order, quotes and case free).
pub fn first_source(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("<source") {
        let start = from + i;
        let end = lower[start..].find('>').map(|e| start + e).unwrap_or(lower.len());
        let tag = &lower[start..end];
        if let Some(a) = tag.find("src=") {
            let v = &html[start + a + 4..end];
            let q = v.chars().next()?;
            let val = if q == '"' || q == '\'' {
                v[1..].split(q).next().unwrap_or("")
            } else {
                v.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("")
            };
            let val = val.trim().replace("&amp;", "&");
            if !val.is_empty() {
                return Some(val);
            }
        }
        from = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::first_source;

    #[test]
    fn finds_the_source_element() {
        assert_eq!(
            first_source("<video><SOURCE type=\"video/mp4\" src=\"video-0.m4v\"></video>").as_deref(),
            Some("video-0.m4v")
        );
        assert_eq!(first_source("<source src='a.webm?x=1&amp;y=2'/>").as_deref(), Some("a.webm?x=1&y=2"));
        assert_eq!(first_source("<p>no video</p>"), None);
        assert_eq!(first_source("<source type=x><source src=b.mp4>").as_deref(), Some("b.mp4"));
    }
}
