//! Resumable, size-checked, atomic downloads.
//!
//! A file is streamed to `<final>.part` in the same directory (Pod's recorder
//! cron only looks at video extensions, so it never sees it), resumed with
//! `Range: bytes=<have>-` after a cut (within the run, `retries` times, and
//! by the next run from what is on disk), checked against `Content-Length` /
//! `Content-Range`, synced, then renamed to its final name.
//!
//! A resume never splices two versions of a file: the [`Validator`] of the
//! answer that started the `.part` (strong `ETag`, else `Last-Modified`, and
//! the file's size) is kept in `<final>.part.validator` (not a video extension
//! either; removed when the file gets its final name). The resume sends it as
//! `If-Range` and checks the answer's own validators. A file changed on the
//! server (a 200, or a 206 / 416 with other validators), a server that ignores
//! the range, or no validator recorded: the file starts again from byte 0, said
//! once in [`Fetched::started_over`]. What an answer means for the bytes kept is decided by
//! [`bbb_migrate_http::resume`] (shared with `archive`).
//!
//! Every request (size check, download) is retried within the run on
//! transient errors (network, 5xx, 408, 429) with doubling back-off, like the
//! source's (the video pages are read by `bbb-migrate-video-page`). A
//! download is bounded by what it announced (it stops at the first byte past
//! it) or, when it announced nothing, by the free space the sink must leave
//! (checked every [`SPACE_CHECK_EVERY`] bytes).
use bbb_migrate_http::{content_range, header_text, header_u64, is_transient, Held, Resume, Validator};
use futures_util::StreamExt;
use plugin_api::sdk::text::error_chain;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, RANGE};
use reqwest::{Client, StatusCode};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// A download error; `permanent` when a re-run cannot help (404, 410).
#[derive(Debug, Clone)]
pub struct FetchError {
    pub message: String,
    pub permanent: bool,
}

/// A download without an announced size checks the free space this often.
pub const SPACE_CHECK_EVERY: u64 = 64 << 20;

impl FetchError {
    fn retry(message: impl Into<String>) -> Self {
        FetchError { message: message.into(), permanent: false }
    }
    fn status(url: &str, s: StatusCode) -> Self {
        FetchError { message: format!("{url}: HTTP {s}"), permanent: matches!(s.as_u16(), 404 | 410) }
    }
}

/// One try of a request: worth another try (`Retry`) or not.
enum Try<T> {
    Done(T),
    Retry(FetchError),
    Fail(FetchError),
}

/// What a finished download did.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub size: u64,
    /// Bytes already on disk (from an earlier cut) that the last request did not fetch again.
    pub resumed_from: u64,
    pub requests: u32,
    /// Why the bytes kept from an earlier attempt were dropped (the file fetched again from 0).
    pub started_over: Option<String>,
}

/// How one download request ended.
enum Step {
    /// (first byte fetched by this request, size of the file).
    Done(u64, u64),
    /// The bytes kept were of another version (or of an unknown one): dropped, the file is
    /// asked for again from 0 at once.
    Again,
}

pub struct Fetcher {
    pub client: Client,
    pub retries: u32,
    /// Longest wait for the next bytes of a body.
    pub idle_timeout: Duration,
    /// First wait before a retry; doubled each time.
    pub backoff: Duration,
}

/// The `.part` file beside `final_path`.
pub fn part_path(final_path: &Path) -> PathBuf {
    let mut s = final_path.as_os_str().to_os_string();
    s.push(".part");
    PathBuf::from(s)
}

/// `<final>.part.validator`: the [`Validator`] of the `.part`'s bytes, as JSON.
pub fn validator_path(final_path: &Path) -> PathBuf {
    let mut s = part_path(final_path).into_os_string();
    s.push(".validator");
    PathBuf::from(s)
}

/// The validator recorded beside the `.part`; a missing or unreadable one is none (the
/// file then starts again from 0).
async fn read_validator(final_path: &Path) -> Option<Validator> {
    let bytes = tokio::fs::read(validator_path(final_path)).await.ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Records `v` beside the `.part` (or removes what was recorded). Not synced on purpose:
/// lost or torn by a crash, it reads as none, and the file is fetched again from 0.
async fn write_validator(final_path: &Path, v: Option<&Validator>) -> Result<(), FetchError> {
    let meta = validator_path(final_path);
    match v {
        Some(v) => {
            let json = serde_json::to_vec(v).expect("a validator always serialises");
            tokio::fs::write(&meta, json).await.map_err(|e| io(&meta, e))
        }
        None => remove(&meta).await,
    }
}

fn io(path: &Path, e: std::io::Error) -> FetchError {
    FetchError::retry(format!("{}: {e}", path.display()))
}

impl Fetcher {
    /// Runs `once` until it is done, fails for good, or `retries` further
    /// tries have failed, waiting `backoff`, 2 × `backoff`… in between.
    async fn retrying<T, F, Fut>(&self, mut once: F) -> Result<T, FetchError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Try<T>>,
    {
        let mut attempt = 0;
        loop {
            match once().await {
                Try::Done(v) => return Ok(v),
                Try::Fail(e) => return Err(e),
                Try::Retry(e) if attempt >= self.retries => return Err(e),
                Try::Retry(_) => {
                    attempt += 1;
                    tokio::time::sleep(bbb_migrate_http::backoff(self.backoff, attempt)).await;
                }
            }
        }
    }

    /// The size of the file at `url` (HEAD; if the server refuses HEAD, a
    /// one-byte ranged GET). `None` when the server does not say. Retried on
    /// transient errors.
    pub async fn size(&self, url: &str) -> Result<Option<u64>, FetchError> {
        self.retrying(|| self.size_once(url)).await
    }

    async fn size_once(&self, url: &str) -> Try<Option<u64>> {
        let net = |e: reqwest::Error| Try::Retry(FetchError::retry(format!("{url}: {}", error_chain(&e))));
        let resp = match self.client.head(url).send().await {
            Ok(r) => r,
            Err(e) => return net(e),
        };
        if resp.status().is_success() {
            return Try::Done(header_u64(&resp, CONTENT_LENGTH));
        }
        if is_transient(resp.status()) {
            return Try::Retry(FetchError::status(url, resp.status()));
        }
        if matches!(resp.status().as_u16(), 404 | 410) {
            return Try::Fail(FetchError::status(url, resp.status()));
        }
        let resp = match self.client.get(url).header(RANGE, "bytes=0-0").send().await {
            Ok(r) => r,
            Err(e) => return net(e),
        };
        match resp.status() {
            StatusCode::PARTIAL_CONTENT => {
                Try::Done(header_text(&resp, CONTENT_RANGE).and_then(content_range).and_then(|c| c.1))
            }
            s if s.is_success() => Try::Done(header_u64(&resp, CONTENT_LENGTH)),
            s if is_transient(s) => Try::Retry(FetchError::status(url, s)),
            s => Try::Fail(FetchError::status(url, s)),
        }
    }

    /// Downloads `url` to `final_path` (see the module doc). `check_space`
    /// is called with the number of bytes still to fetch (when known) before
    /// any byte is written.
    pub async fn download(
        &self,
        url: &str,
        final_path: &Path,
        check_space: &(dyn Fn(Option<u64>) -> Result<(), String> + Send + Sync),
    ) -> Result<Fetched, FetchError> {
        let part = part_path(final_path);
        let mut attempts = 0u32;
        let mut requests = 0u32;
        let mut started_over: Option<String> = None;
        loop {
            let mut have = tokio::fs::metadata(&part).await.map(|m| m.len()).unwrap_or(0);
            let kept = if have > 0 { read_validator(final_path).await } else { None };
            if let Some(why) = (Held { url, have, kept: kept.as_ref() }).unverifiable() {
                drop_kept(final_path).await?;
                started_over.get_or_insert(why);
                have = 0;
            }
            requests += 1;
            let step =
                self.request(Held { url, have, kept: kept.as_ref() }, final_path, &mut started_over, check_space);
            match step.await {
                Ok(Step::Done(start, size)) => {
                    tokio::fs::rename(&part, final_path).await.map_err(|e| io(final_path, e))?;
                    // Only the `.part` needed it; a leftover would do no harm (never read
                    // without a `.part`), so a failure to remove it is not one of the file's.
                    let _ = remove(&validator_path(final_path)).await;
                    if let Some(dir) = final_path.parent() {
                        if let Ok(d) = tokio::fs::File::open(dir).await {
                            let _ = d.sync_all().await;
                        }
                    }
                    return Ok(Fetched { size, resumed_from: start, requests, started_over });
                }
                // Not an attempt: the bytes kept were dropped, the file is asked for from 0.
                Ok(Step::Again) => {}
                Err(e) if e.permanent => return Err(e),
                Err(e) => {
                    attempts += 1;
                    if attempts > self.retries {
                        return Err(e);
                    }
                    tokio::time::sleep(bbb_migrate_http::backoff(self.backoff, attempts)).await;
                }
            }
        }
    }

    /// One request of [`Fetcher::download`]: `held.have` bytes in the `.part`, of the version
    /// `held.kept` names. The first reason the bytes kept are dropped goes to `started_over`.
    async fn request(
        &self,
        held: Held<'_>,
        final_path: &Path,
        started_over: &mut Option<String>,
        check_space: &(dyn Fn(Option<u64>) -> Result<(), String> + Send + Sync),
    ) -> Result<Step, FetchError> {
        let url = held.url;
        let part = part_path(final_path);
        let req = held.request(self.client.get(url));
        let resp = req.send().await.map_err(|e| FetchError::retry(format!("{url}: {}", error_chain(&e))))?;
        // The validator of a whole-file answer (200), written once space is known to be there.
        let mut fresh = None;
        let (start, total) = match held.answer(&resp) {
            Resume::Append { total } => (held.have, total),
            Resume::Whole { total, validator, started_over: why } => {
                if let Some(why) = why {
                    started_over.get_or_insert(why);
                    drop_kept(final_path).await?;
                }
                // The whole file: the `.part` is written again from 0, recorded below as
                // this version's bytes.
                fresh = Some(validator);
                (0, total)
            }
            Resume::StartOver { reason } => {
                drop_kept(final_path).await?;
                started_over.get_or_insert(reason);
                return Ok(Step::Again);
            }
            Resume::Complete { total } => return Ok(Step::Done(total, total)),
            Resume::Fail { reason } => {
                drop_kept(final_path).await?;
                return Err(FetchError::retry(reason));
            }
            Resume::Status(s) => return Err(FetchError::status(url, s)),
        };
        check_space(total.map(|t| t.saturating_sub(start))).map_err(FetchError::retry)?;
        if let Some(now) = fresh {
            write_validator(final_path, now.as_ref()).await?;
        }
        let mut next_space_check = start + SPACE_CHECK_EVERY;
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(start > 0)
            .truncate(start == 0)
            .open(&part)
            .await
            .map_err(|e| io(&part, e))?;
        let mut out = tokio::io::BufWriter::with_capacity(1 << 20, file);
        let mut body = resp.bytes_stream();
        let mut got = start;
        let mut cut = None;
        loop {
            match tokio::time::timeout(self.idle_timeout, body.next()).await {
                Ok(Some(Ok(chunk))) => {
                    out.write_all(&chunk).await.map_err(|e| io(&part, e))?;
                    got += chunk.len() as u64;
                    // More than announced: stop at once (checked below).
                    if total.is_some_and(|t| got > t) {
                        break;
                    }
                    // Nothing announced: the free space the sink must leave is the bound.
                    if total.is_none() && got >= next_space_check {
                        next_space_check = got + SPACE_CHECK_EVERY;
                        if let Err(e) = check_space(Some(0)) {
                            cut = Some(e);
                            break;
                        }
                    }
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    cut = Some(error_chain(&e));
                    break;
                }
                Err(_) => {
                    cut = Some(format!("no data for {} s", self.idle_timeout.as_secs()));
                    break;
                }
            }
        }
        out.flush().await.map_err(|e| io(&part, e))?;
        let file = out.into_inner();
        file.sync_all().await.map_err(|e| io(&part, e))?;
        if let Some(why) = cut {
            return Err(FetchError::retry(format!(
                "{url}: transfer cut after {got} bytes ({why}); it resumes from there"
            )));
        }
        match total {
            Some(t) if got < t => {
                Err(FetchError::retry(format!("{url}: transfer cut after {got} of {t} bytes; it resumes from there")))
            }
            Some(t) if got > t => {
                drop_kept(final_path).await?;
                Err(FetchError::retry(format!("{url}: got {got} bytes, the server announced {t}; restarting")))
            }
            _ => Ok(Step::Done(start, got)),
        }
    }
}

/// Drops the bytes kept of `final_path` (the `.part`) and their validator.
async fn drop_kept(final_path: &Path) -> Result<(), FetchError> {
    remove(&part_path(final_path)).await?;
    remove(&validator_path(final_path)).await
}

async fn remove(p: &Path) -> Result<(), FetchError> {
    match tokio::fs::remove_file(p).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(p, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_part_file_is_beside_the_final_one() {
        assert_eq!(part_path(Path::new("/d/a.m4v")), PathBuf::from("/d/a.m4v.part"));
        assert_eq!(validator_path(Path::new("/d/a.m4v")), PathBuf::from("/d/a.m4v.part.validator"));
        // Neither is a file Pod's recorder cron looks at.
        for p in [part_path(Path::new("/d/a.m4v")), validator_path(Path::new("/d/a.m4v"))] {
            let ext = p.extension().unwrap().to_str().unwrap();
            assert!(!crate::recorder::POD_VIDEO_EXTENSIONS.contains(&ext), "{}", p.display());
        }
    }
}
