//! Paths named by published documents (slide hrefs, `<source src>`, caption locales),
//! checked before anything is fetched or written: a path must stay inside its format folder.
use percent_encoding::percent_decode_str;
use reqwest::Url;

/// A name usable as one path component: `[A-Za-z0-9._-]`, not `.`/`..`, not hidden, ≤ 200 bytes.
pub fn is_safe_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && !s.starts_with('.')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `href` taken from a document of the folder `base` (a URL ending in `/`), as a path
/// relative to that folder (`presentation/abc/slide-1.png`), or why it is refused:
/// `..`, an absolute path, another host, a query, control characters, a hidden or
/// unusual component name.
pub fn relative(base: &Url, href: &str) -> Result<String, String> {
    let href = href.trim();
    if href.is_empty() {
        return Err("empty href".into());
    }
    if href.contains('\\') || href.chars().any(char::is_control) {
        return Err("backslash or control character".into());
    }
    let rel = if href.contains("://") || href.starts_with("//") {
        let url = Url::parse(href).or_else(|_| base.join(href)).map_err(|_| "not a URL".to_string())?;
        if url.origin() != base.origin() {
            return Err("a URL to another host".into());
        }
        let path = url.path();
        match path.strip_prefix(base.path()) {
            Some(rest) if url.query().is_none() => rest.to_string(),
            _ => return Err("a URL outside the recording's folder".into()),
        }
    } else if href.starts_with('/') {
        return Err("an absolute path".into());
    } else {
        href.split(['?', '#']).next().unwrap_or("").to_string()
    };
    let decoded = percent_decode_str(&rel).decode_utf8().map_err(|_| "not UTF-8 once decoded".to_string())?;
    let mut parts = Vec::new();
    for part in decoded.split('/') {
        match part {
            "" | "." => continue,
            ".." => return Err("`..` (outside the recording's folder)".into()),
            p if is_safe_name(p) => parts.push(p),
            _ => return Err("a path component with unusual characters".into()),
        }
    }
    if parts.is_empty() {
        return Err("no file name".into());
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_relative_paths_and_refuses_escapes() {
        let base = Url::parse("http://bbb.test/presentation/rec-1/").unwrap();
        assert_eq!(relative(&base, "presentation/abc/slide-1.png").unwrap(), "presentation/abc/slide-1.png");
        assert_eq!(relative(&base, "./a//b.png").unwrap(), "a/b.png");
        assert_eq!(
            relative(&base, "http://bbb.test/presentation/rec-1/presentation/x/thumbnails/thumb-1.png").unwrap(),
            "presentation/x/thumbnails/thumb-1.png"
        );
        for bad in [
            "../x.png",
            "a/../../x",
            "%2e%2e/x",
            "/etc/passwd",
            "http://evil.test/presentation/rec-1/a.png",
            "//evil.test/a.png",
            "http://bbb.test/presentation/other/a.png",
            "a\\b",
            ".hidden",
            "",
            "a b.png",
        ] {
            assert!(relative(&base, bad).is_err(), "{bad} accepted");
        }
    }
}
