//! The downloadable file of a BigBlueButton `video` playback: its URL is an
//! `index.html` whose `<source src>` names the file (`video-0.m4v`), relative
//! to the page after redirects (Scalelite answers 307 to `/video/<id>/`).
//!
//! A plain library (no plugin export), so that every plugin can link it: the
//! `bbb` source resolves videos while listing, the `claim-dir` sink when a
//! recording comes without a resolved `download_url`.

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
