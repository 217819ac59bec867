//! The downloadable file of a BigBlueButton `video` playback: its URL is an
//! `index.html` whose `<source src>` names the file (`video-0.m4v`), relative
//! to the page after redirects (Scalelite answers 307 to `/video/<id>/`).
//!
//! Sources list without reading these pages; a sink that needs the file
//! (`claim-dir`) asks [`VideoFiles::resolve`] for the recordings it was
//! given — the selected ones only — a bounded number of pages at a time.
//! The result is stored with [`plugin_api::Playback::set_download_url`] and
//! read back with [`plugin_api::Playback::download_url`]. A plain library (no
//! plugin export), so that every plugin can link it.
use futures_util::StreamExt;
use plugin_api::Recording;
use std::sync::atomic::{AtomicU64, Ordering};

/// Longest video page read (a real one is under 2 KiB).
pub const PAGE_MAX_BYTES: usize = 1 << 20;

/// Why a page gave no file. `permanent` when a re-run cannot help (404,
/// 410, a page without `<source>`).
#[derive(Debug, Clone, PartialEq)]
pub struct PageError {
    pub message: String,
    pub permanent: bool,
}

impl PageError {
    fn retry(message: String) -> Self {
        PageError { message, permanent: false }
    }
    fn permanent(message: String) -> Self {
        PageError { message, permanent: true }
    }
}

/// Finds the files behind video pages with one shared HTTP client, at most
/// `concurrency` pages at a time, one request per page (redirects followed).
pub struct VideoFiles {
    client: reqwest::Client,
    concurrency: usize,
    requests: AtomicU64,
    /// Further attempts after a transient error (network, 5xx), and the first back-off.
    retries: u32,
    backoff: std::time::Duration,
}

impl VideoFiles {
    pub fn new(client: reqwest::Client, concurrency: usize) -> Self {
        Self {
            client,
            concurrency: concurrency.max(1),
            requests: AtomicU64::new(0),
            retries: 0,
            backoff: std::time::Duration::ZERO,
        }
    }

    /// Retries a page `retries` times after a transient error, waiting
    /// `backoff`, doubled at each attempt.
    pub fn with_retries(mut self, retries: u32, backoff: std::time::Duration) -> Self {
        self.retries = retries;
        self.backoff = backoff;
        self
    }

    /// The file named by the `video` page at `page`, retried on transient errors.
    pub async fn find(&self, page: &str) -> Result<String, PageError> {
        let mut attempt = 0;
        loop {
            match self.find_once(page).await {
                Err(e) if !e.permanent && attempt < self.retries => {
                    attempt += 1;
                    tokio::time::sleep(bbb_migrate_http::backoff(self.backoff, attempt)).await;
                }
                other => return other,
            }
        }
    }

    /// Page requests made so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    async fn find_once(&self, page: &str) -> Result<String, PageError> {
        let one_line = |e: &reqwest::Error| format!("{page}: {}", error_line(e));
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut resp = self.client.get(page).send().await.map_err(|e| PageError::retry(one_line(&e)))?;
        let status = resp.status();
        if !status.is_success() {
            let msg = format!("{page}: HTTP {status}");
            return Err(if matches!(status.as_u16(), 404 | 410) {
                PageError::permanent(msg)
            } else {
                PageError::retry(msg)
            });
        }
        let base = resp.url().clone();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| PageError::retry(one_line(&e)))? {
            if body.len() + chunk.len() > PAGE_MAX_BYTES {
                return Err(PageError::permanent(format!(
                    "{page}: the video page is larger than {PAGE_MAX_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        let html = String::from_utf8_lossy(&body);
        let src = first_source(&html)
            .ok_or_else(|| PageError::permanent(format!("{page}: no <source> in the video page")))?;
        base.join(&src)
            .map(|u| u.to_string())
            .map_err(|e| PageError::permanent(format!("{page}: bad <source> `{src}`: {e}")))
    }

    /// Finds the file of every recording whose `video` playback has a page
    /// but no `download_url` yet, and stores it there. Recordings without a
    /// video, already resolved, or [`not_deliverable`], cost nothing. Returns, per recording (in
    /// order), the error of its page if it failed.
    pub async fn resolve<'a>(&self, recs: impl IntoIterator<Item = &'a mut Recording>) -> Vec<Option<PageError>> {
        let mut recs: Vec<&'a mut Recording> = recs.into_iter().collect();
        let todo: Vec<(usize, String)> = recs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                // A protected recording's page would use its one-time token up.
                if not_deliverable(r).is_some() {
                    return None;
                }
                let p = r.playback("video")?;
                let page = p.url.trim();
                (!page.is_empty() && p.download_url().is_none()).then(|| (i, page.to_string()))
            })
            .collect();
        let found: Vec<(usize, Result<String, PageError>)> = futures_util::stream::iter(todo)
            .map(|(i, page)| async move { (i, self.find(&page).await) })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        let mut errors = vec![None; recs.len()];
        for (i, result) in found {
            let video = recs[i].playback_mut("video").expect("chosen for its video playback");
            match result {
                Ok(url) => video.set_download_url(&url),
                Err(e) => {
                    video.set_download_error(&e.message);
                    errors[i] = Some(e);
                }
            }
        }
        errors
    }
}

/// An HTTP error and its causes, on one line.
fn error_line(e: &dyn std::error::Error) -> String {
    bbb_migrate_db::error_chain(e).split_whitespace().collect::<Vec<_>>().join(" ")
}

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
