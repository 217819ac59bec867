//! `bbb-migrate init`: a commented starter pipeline for one server, every
//! plugin's keys documented inline, the secret read from `${BBB_SECRET}`.
use anyhow::{bail, Result};

const STARTER: &str = include_str!("starter.toml");

/// The starter pipeline for `url` (`kind`: `bbb` or `scalelite`).
pub fn starter(url: &str, kind: &str) -> Result<String> {
    let url = url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(['?', '"', '\\', '\n', ' ']) {
        bail!("--url {url}: give the server's http(s)://host/bigbluebutton/ address, without a query string");
    }
    if !matches!(kind, "bbb" | "scalelite") {
        bail!("--type {kind}: bbb or scalelite");
    }
    Ok(STARTER.replace("{URL}", url).replace("{TYPE}", kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_is_valid_toml_with_the_url_and_no_secret() {
        let s = starter("https://bbb.univ.example/bigbluebutton/", "scalelite").unwrap();
        let t: toml::Table = toml::from_str(&s).unwrap();
        let src = &t["sources"].as_array().unwrap()[0];
        assert_eq!(src["url"].as_str(), Some("https://bbb.univ.example/bigbluebutton/"));
        assert_eq!(src["type"].as_str(), Some("scalelite"));
        assert_eq!(src["secret"].as_str(), Some("${BBB_SECRET}"));
        assert!(starter("ftp://x", "bbb").is_err() && starter("https://x/?a=1", "bbb").is_err());
        assert!(starter("https://x/", "greenlight").is_err());
    }
}
