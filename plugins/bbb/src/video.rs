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

pub use bbb_migrate_video_page::first_source;

/// The video page to fetch, when this recording's file is not known yet.
pub fn needs_resolution(r: &Recording) -> Option<String> {
    if !r.published || bbb_migrate_video_page::not_deliverable(r).is_some() {
        return None; // unpublished recordings are not served over HTTP; protected ones need their token kept
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
/// line per failure (the playback then carries `download_error`). A
/// protected recording's page is not fetched (that would use its one-time
/// token up): its video playback carries the reason as `download_error`.
pub async fn resolve_all(api: Arc<Api>, mut recs: Vec<Recording>, concurrency: usize) -> (Vec<Recording>, Vec<String>) {
    for r in recs.iter_mut() {
        if let Some(why) = bbb_migrate_video_page::not_deliverable(r) {
            if r.playback("video").is_some() {
                set_extra(r, "download_error", why.to_string());
            }
        }
    }
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
