//! One file from the server into the target: streamed (never buffered whole), hashed on the
//! way, resumed with `Range` after a cut (within the run `retries` times; across runs from a
//! folder's `.part` or an S3 upload's journal), checked against the announced size, committed
//! only when complete.
//!
//! A resume never splices two versions of a file: the validator of the first answer (strong
//! `ETag`, else `Last-Modified`, and the file's size) is recorded with the bytes kept; the
//! resume sends it as `If-Range` and checks the answer's own. A file changed on the server
//! (a 200, or a 206 with other validators), a server that ignores the range or gives no
//! validator: the file starts again from byte 0, said once in the manifest's notes. What an
//! answer means for the bytes kept is decided by `bbb_migrate_http::resume` (shared with
//! `claim-dir`).
use crate::target::Writer;
use crate::throttle::Throttle;
use bbb_migrate_http::{Held, Resume};
use futures_util::StreamExt;
use plugin_api::sdk::text::error_chain;
use reqwest::{Client, Url};
use std::time::Duration;

/// Documents larger than this are stored but not read for more file names.
const MAX_DOCUMENT: usize = 256 << 20;

#[derive(Debug, Clone, PartialEq)]
pub enum FailKind {
    /// 404 / 410: absent on the server.
    NotFound,
    /// A later run may succeed (network, cut, size mismatch, storage).
    Retry,
    /// A redirect to another host, a status a re-run will not change.
    Permanent,
}

#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: FailKind,
    pub message: String,
}

impl Failure {
    fn retry(message: impl Into<String>) -> Self {
        Failure { kind: FailKind::Retry, message: message.into() }
    }
}

/// A file stored and verified.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    pub size: u64,
    pub sha256: String,
    /// The body, when asked for (documents).
    pub body: Option<Vec<u8>>,
    /// Why the bytes kept from an earlier attempt were dropped (the file fetched again from 0).
    pub started_over: Option<String>,
}

pub struct Fetcher {
    pub client: Client,
    pub retries: u32,
    pub idle_timeout: Duration,
    pub throttle: Throttle,
    pub reread: bool,
}

/// The HTTP client: redirects followed only on the same host (Scalelite's 307s), 5 at most.
pub fn client(timeout: Duration) -> Result<Client, String> {
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt.previous().first().is_none_or(|first| first.origin() == attempt.url().origin());
        if attempt.previous().len() > 5 || !same {
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
    Client::builder()
        .connect_timeout(timeout)
        .redirect(policy)
        .user_agent(concat!("bbb-migrate-archive/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

/// One request's outcome: finished, or cut after some bytes (resume), or the bytes kept
/// dropped (the file changed on the server: ask again from 0 at once), or a failure.
enum Step {
    Complete,
    Cut(String),
    Changed,
}

/// What is known of the file being written.
struct Progress {
    have: u64,
    body: Option<Vec<u8>>,
    /// The size the server announced first: a later answer announcing another fails the file.
    announced: Option<u64>,
    /// The first reason the bytes kept were dropped (see [`Fetched::started_over`]).
    started_over: Option<String>,
}

impl Progress {
    fn restart(&mut self) {
        self.have = 0;
        self.body = None;
    }

    /// Drops the bytes kept of another version of the file (or of an unknown one): the file
    /// starts again from 0, whatever size that version announced.
    async fn start_over(&mut self, w: &mut Writer, why: String) -> Result<(), Failure> {
        w.restart().await.map_err(Failure::retry)?;
        self.restart();
        self.announced = None;
        self.started_over.get_or_insert(why);
        Ok(())
    }
}

impl Fetcher {
    /// Fetches `url` into `w`. `keep` keeps the body in memory too (documents to read).
    pub async fn fetch(&self, url: &Url, mut w: Writer, keep: bool) -> Result<Fetched, Failure> {
        let announced = w.validator().map(|v| v.length);
        let mut p = Progress { have: w.resumed(), body: None, announced, started_over: None };
        if keep && p.have > 0 {
            // A document resumed from a `.part`: its text so far is read back (or, if it
            // cannot be, the document is fetched again from 0).
            match w.stored(MAX_DOCUMENT as u64).await {
                Some(prefix) => p.body = Some(prefix),
                None => {
                    w.restart().await.map_err(Failure::retry)?;
                    p.restart();
                }
            }
        }
        let mut attempt = 0u32;
        loop {
            match self.request(url, &mut w, &mut p, keep).await {
                Ok((Step::Complete, total)) => {
                    if let Some(t) = total.filter(|t| *t != p.have) {
                        let msg = format!("{url}: {} bytes received, {t} announced; not kept", p.have);
                        w.suspend().await;
                        return Err(Failure::retry(msg));
                    }
                    let sha256 = w.commit(p.have, self.reread).await.map_err(Failure::retry)?;
                    return Ok(Fetched { size: p.have, sha256, body: p.body, started_over: p.started_over });
                }
                // Not an attempt: the bytes kept are dropped, the file is asked for from 0.
                Ok((Step::Changed, _)) => {}
                Ok((Step::Cut(_), _)) if attempt < self.retries => {
                    attempt += 1;
                    self.resync(&mut w, &mut p).await?;
                    tokio::time::sleep(Duration::from_millis(100 << attempt.min(6))).await;
                }
                Ok((Step::Cut(why), _)) => {
                    w.suspend().await;
                    return Err(Failure::retry(format!(
                        "{url}: {why}; {} bytes kept, the next run resumes from there",
                        p.have
                    )));
                }
                Err(f) if f.kind == FailKind::Retry && attempt < self.retries => {
                    attempt += 1;
                    self.resync(&mut w, &mut p).await?;
                    tokio::time::sleep(Duration::from_millis(100 << attempt.min(6))).await;
                }
                Err(f) => {
                    w.suspend().await;
                    return Err(f);
                }
            }
        }
    }

    /// After a failed attempt: resume from what the writer really holds (a storage error
    /// may have made it start again; an S3 upload keeps whole parts only).
    async fn resync(&self, w: &mut Writer, p: &mut Progress) -> Result<(), Failure> {
        let held = w.resumed();
        if held != p.have {
            match p.body.as_mut() {
                Some(b) if held > 0 && held < b.len() as u64 => b.truncate(held as usize),
                Some(_) if held > 0 => {
                    w.restart().await.map_err(Failure::retry)?;
                    p.restart();
                    return Ok(());
                }
                _ => {}
            }
            if held == 0 {
                w.restart().await.map_err(Failure::retry)?;
                p.restart();
            } else {
                p.have = held;
            }
        }
        Ok(())
    }

    async fn request(
        &self,
        url: &Url,
        w: &mut Writer,
        p: &mut Progress,
        keep: bool,
    ) -> Result<(Step, Option<u64>), Failure> {
        let why = Held { url: url.as_str(), have: p.have, kept: w.validator() }.unverifiable();
        if let Some(why) = why {
            p.start_over(w, why).await?;
        }
        let kept = w.validator().cloned();
        let held = Held { url: url.as_str(), have: p.have, kept: kept.as_ref() };
        let req = held.request(self.client.get(url.clone()));
        let resp = match tokio::time::timeout(self.idle_timeout, req.send()).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(Failure::retry(format!("{url}: {}", error_chain(&e)))),
            Err(_) => return Err(Failure::retry(format!("{url}: no answer in {} s", self.idle_timeout.as_secs()))),
        };
        let mut decision = held.answer(&resp);
        if let (Resume::Complete { total }, Some(first)) = (&decision, p.announced) {
            if first != *total {
                let reason = format!("{url}: announced {first} bytes, then {total}; restarting from byte 0");
                decision = Resume::Fail { reason };
            }
        }
        let total = match decision {
            Resume::Append { total } => total,
            Resume::Whole { total, validator, started_over } => {
                if let Some(why) = started_over {
                    p.start_over(w, why).await?;
                }
                // The whole file, whatever an earlier answer announced.
                p.announced = None;
                if w.validator() != validator.as_ref() {
                    w.set_validator(validator).await.map_err(Failure::retry)?;
                }
                total
            }
            Resume::StartOver { reason } => {
                p.start_over(w, reason).await?;
                return Ok((Step::Changed, None));
            }
            Resume::Complete { total } => return Ok((Step::Complete, Some(total))),
            Resume::Fail { reason } => {
                w.restart().await.map_err(Failure::retry)?;
                p.restart();
                return Err(Failure::retry(reason));
            }
            Resume::Status(s) if matches!(s.as_u16(), 404 | 410) => {
                return Err(Failure { kind: FailKind::NotFound, message: format!("{url}: HTTP {s}") })
            }
            Resume::Status(s) if s.is_redirection() => {
                return Err(Failure {
                    kind: FailKind::Permanent,
                    message: format!("{url}: HTTP {s} to another host; refused"),
                })
            }
            Resume::Status(s) => return Err(Failure::retry(format!("{url}: HTTP {s}"))),
        };
        if let Some(t) = total {
            match p.announced {
                Some(first) if first != t => {
                    return Err(Failure::retry(format!("{url}: announced {first} bytes, then {t}; not kept")));
                }
                _ => p.announced = Some(t),
            }
        }
        if keep && p.body.is_none() {
            p.body = Some(Vec::new());
        }
        let mut body = resp.bytes_stream();
        loop {
            let chunk = match tokio::time::timeout(self.idle_timeout, body.next()).await {
                Ok(Some(Ok(c))) => c,
                Ok(None) => return Ok((Step::Complete, total)),
                Ok(Some(Err(e))) => return Ok((Step::Cut(format!("transfer cut ({})", error_chain(&e))), total)),
                Err(_) => return Ok((Step::Cut(format!("no data for {} s", self.idle_timeout.as_secs())), total)),
            };
            if total.is_some_and(|t| p.have + chunk.len() as u64 > t) {
                w.restart().await.map_err(Failure::retry)?;
                p.restart();
                return Err(Failure::retry(format!("{url}: more bytes than the {} announced", total.unwrap_or(0))));
            }
            self.throttle.take(chunk.len()).await;
            if let Some(b) = p.body.as_mut() {
                if b.len() + chunk.len() <= MAX_DOCUMENT {
                    b.extend_from_slice(&chunk);
                } else {
                    p.body = None;
                }
            }
            p.have += chunk.len() as u64;
            w.write(chunk).await.map_err(Failure::retry)?;
        }
    }
}
