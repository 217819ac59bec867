//! The `video` format's downloadable file: its URL is an `index.html` whose
//! `<source src>` names the file (`video-0.m4v`), relative to the page (after
//! redirects: Scalelite answers 307 to `/video/<id>/`). The result goes into
//! that Playback's `extra_json` as `{"download_url": "…"}`.
use crate::api::Api;
use plugin_api::abi::Recording;
use plugin_api::sdk::ids::validate_record_id;
use serde_json::{Map, Value};
use std::sync::Arc;
use tokio::task::JoinSet;

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

/// The video page to fetch, when this recording's file is not known yet.
pub fn needs_resolution(r: &Recording) -> Option<String> {
    if !r.published {
        return None; // unpublished recordings are not served over HTTP
    }
    let p = r.playback("video")?;
    let extra: Map<String, Value> = serde_json::from_str(&p.extra_json).unwrap_or_default();
    if extra.contains_key("download_url") {
        return None;
    }
    Some(p.url.to_string())
}

fn set_extra(r: &mut Recording, key: &str, value: String) {
    if let Some(p) = r.playback.iter_mut().find(|p| p.format.as_str() == "video") {
        let mut extra: Map<String, Value> = serde_json::from_str(&p.extra_json).unwrap_or_default();
        extra.remove("download_url");
        extra.remove("download_error");
        extra.insert(key.into(), Value::String(value));
        p.extra_json = Value::Object(extra).to_string().into();
    }
}

async fn resolve_one(api: &Api, page: &str) -> Result<String, String> {
    let (final_url, html) = api.get_page(page).await?;
    let src = first_source(&html).ok_or_else(|| "no <source> in the page".to_string())?;
    final_url.join(&src).map(|u| u.to_string()).map_err(|e| format!("bad <source> `{src}`: {e}"))
}

/// Resolves every published video format lacking a `download_url`
/// (`concurrency` pages at once). Returns the recordings and one warning
/// line per failure (the playback then carries `download_error`).
pub async fn resolve_all(api: Arc<Api>, mut recs: Vec<Recording>, concurrency: usize) -> (Vec<Recording>, Vec<String>) {
    let todo: Vec<(usize, String)> = recs
        .iter()
        .enumerate()
        .filter(|(_, r)| validate_record_id(&r.record_id).is_ok())
        .filter_map(|(i, r)| needs_resolution(r).map(|u| (i, u)))
        .collect();
    let mut failures = Vec::new();
    let mut running = JoinSet::new();
    let mut it = todo.into_iter();
    loop {
        while running.len() < concurrency.max(1) {
            let Some((i, url)) = it.next() else { break };
            let api = api.clone();
            running.spawn(async move { (i, resolve_one(&api, &url).await) });
        }
        let Some(done) = running.join_next().await else { break };
        let Ok((i, result)) = done else { continue };
        match result {
            Ok(u) => set_extra(&mut recs[i], "download_url", u),
            Err(e) => {
                failures.push(format!("recording {}: video file not found: {e}", recs[i].record_id));
                set_extra(&mut recs[i], "download_error", e);
            }
        }
    }
    (recs, failures)
}

#[cfg(test)]
mod tests {
    use super::first_source;

    #[test]
    fn finds_the_source_element() {
        assert_eq!(first_source("<video><SOURCE type=\"video/mp4\" src=\"video-0.m4v\"></video>").as_deref(), Some("video-0.m4v"));
        assert_eq!(first_source("<source src='a.webm?x=1&amp;y=2'/>").as_deref(), Some("a.webm?x=1&y=2"));
        assert_eq!(first_source("<p>no video</p>"), None);
    }
}
