//! The BBB/Scalelite API client: signing, one call with retries, the answer
//! streamed from the socket into the `bbb-xml` parser (bounded memory).
use bbb_migrate_http::{read_capped, ClientOptions};
use bbb_xml::{Envelope, Exceeded, Item, Limits, RecordingsReader, ServerInfo};
use futures_util::StreamExt;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use plugin_api::abi::PluginError;
use plugin_api::sdk::Secret;
use serde::Deserialize;
use sha1::{Digest, Sha1};
use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Checksum algorithm; servers pick it by the hex length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Checksum {
    Sha1,
    #[default]
    Sha256,
    Sha384,
    Sha512,
}

impl<'de> Deserialize<'de> for Checksum {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.to_ascii_lowercase().replace('-', "").as_str() {
            "sha1" => Ok(Checksum::Sha1),
            "sha256" => Ok(Checksum::Sha256),
            "sha384" => Ok(Checksum::Sha384),
            "sha512" => Ok(Checksum::Sha512),
            _ => {
                Err(serde::de::Error::invalid_value(serde::de::Unexpected::Str(&s), &"sha1, sha256, sha384 or sha512"))
            }
        }
    }
}

impl Checksum {
    pub fn label(self) -> &'static str {
        match self {
            Checksum::Sha1 => "sha1",
            Checksum::Sha256 => "sha256",
            Checksum::Sha384 => "sha384",
            Checksum::Sha512 => "sha512",
        }
    }
    /// Lowercase hex of `H(input)`.
    pub fn hex(self, input: &str) -> String {
        let b = input.as_bytes();
        let digest: Vec<u8> = match self {
            Checksum::Sha1 => Sha1::digest(b).to_vec(),
            Checksum::Sha256 => sha2::Sha256::digest(b).to_vec(),
            Checksum::Sha384 => sha2::Sha384::digest(b).to_vec(),
            Checksum::Sha512 => sha2::Sha512::digest(b).to_vec(),
        };
        digest.iter().map(|x| format!("{x:02x}")).collect()
    }
}

/// Everything but RFC 3986 unreserved characters is percent-encoded, so the
/// URL library has nothing left to re-encode: the bytes hashed are the bytes
/// sent (spaces, accents, `[ ]`, `,` inside values all survive).
const QUERY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// `k=v&k=v`, percent-encoded; the order is kept.
pub fn encode_query(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", utf8_percent_encode(k, QUERY), utf8_percent_encode(v, QUERY)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The query string with its checksum, as BBB verifies it:
/// `hex(H(call + query + secret))` appended as `checksum=`.
pub fn signed_query(call: &str, params: &[(&str, &str)], secret: &str, algo: Checksum) -> String {
    let q = encode_query(params);
    let sum = algo.hex(&format!("{call}{q}{secret}"));
    if q.is_empty() {
        format!("checksum={sum}")
    } else {
        format!("{q}&checksum={sum}")
    }
}

/// Hides checksums in any text (a signed URL must never be printed).
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("checksum=") {
        out.push_str(&rest[..i + 9]);
        out.push_str("***");
        rest = &rest[i + 9..];
        let end = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.replace(['\n', '\r'], " ")
}

/// Bytes of getRecordings answers read at once, shared by the requests in
/// flight (each answer gets `ANSWER_BUDGET / concurrency`): the recordings a
/// shard holds in memory come from its answer, so this bounds the listing's
/// memory whatever the server sends. A shard whose answer is larger is split
/// (a real 20 000-recording server answers 1.7 MiB per shard).
pub const ANSWER_BUDGET: u64 = 16 << 20;
/// Bytes of the small pages read whole (API index, video index pages).
pub const PAGE_BUDGET: u64 = 1 << 20;

/// Why a call did not produce an answer.
#[derive(Debug)]
pub enum CallError {
    /// No complete answer within `timeout_s`: a size signal, the shard is split.
    Timeout,
    /// Still failing after the retries (network, 5xx, HTML 404/502/504, cut
    /// answer); `overload` when the server answered (proxy pages, 5xx), so a
    /// smaller shard may pass.
    Transient { msg: String, overload: bool },
    /// The shard answered more recordings (or bytes) than the budget: split it.
    TooLarge,
    /// Will not get better by retrying (FAILED answer, 401/403…).
    Fatal(PluginError),
}

/// Counters for the report and the benchmark.
#[derive(Default, Debug)]
pub struct Stats {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub timeouts: AtomicU64,
    pub splits: AtomicU64,
    pub pages: AtomicU64,
}

impl Stats {
    pub fn get(v: &AtomicU64) -> u64 {
        v.load(Ordering::Relaxed)
    }
}

/// One page of recordings.
pub struct Page {
    pub items: Vec<Item>,
    pub envelope: Envelope,
}

#[derive(Clone)]
pub struct Api {
    /// `…/bigbluebutton/`, with its trailing slash.
    pub base: String,
    secret: Secret,
    pub algo: Checksum,
    pub http: reqwest::Client,
    pub timeout: Duration,
    pub retries: u32,
    pub backoff: Duration,
    /// Recordings per answer above which a shard is split.
    pub shard_max: usize,
    /// Bytes per answer above which a shard is split (`ANSWER_BUDGET / concurrency`).
    pub answer_budget: u64,
    pub stats: Arc<Stats>,
    /// One permit per HTTP request in flight (`concurrency`).
    permits: Arc<tokio::sync::Semaphore>,
}

enum Attempt<T> {
    Ok(T),
    Retry(String),
    /// The server answered with an overload signal (5xx, HTML 404).
    Overload(String),
    Timeout,
    Err(CallError),
}

/// How an [`Api`] talks to its server (the source's settings of the same names).
#[derive(Clone, Debug)]
pub struct ApiOptions {
    /// Per request, body included.
    pub timeout: Duration,
    /// Retries of a transient failure, with exponential back-off from `backoff`.
    pub retries: u32,
    pub backoff: Duration,
    /// Recordings per answer above which a shard is split.
    pub shard_max: usize,
    /// HTTP requests in flight at most.
    pub concurrency: usize,
    /// A PEM file of CA certificates trusted besides the system's.
    pub ca_file: Option<PathBuf>,
}

impl Api {
    pub fn new(base: String, secret: Secret, algo: Checksum, opts: ApiOptions) -> Result<Self, PluginError> {
        let ApiOptions { timeout, retries, backoff, shard_max, concurrency, ca_file } = opts;
        let http = bbb_migrate_http::client(&ClientOptions {
            timeout: Some(timeout),
            connect_timeout: timeout.min(Duration::from_secs(10)),
            idle_timeout: timeout,
            ca_file,
        })
        .map_err(|e| PluginError::config("ca_file", e))?;
        let permits = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
        let answer_budget = ANSWER_BUDGET / concurrency.max(1) as u64;
        Ok(Self {
            base,
            secret,
            algo,
            http,
            timeout,
            retries,
            backoff,
            shard_max,
            answer_budget,
            stats: Arc::default(),
            permits,
        })
    }

    fn url(&self, call: &str, params: &[(&str, &str)]) -> String {
        format!("{}api/{call}?{}", self.base, signed_query(call, params, self.secret.expose(), self.algo))
    }

    /// `GET …/api` (no checksum): version, and `<build>` on Scalelite.
    pub async fn index(&self) -> Result<ServerInfo, PluginError> {
        let url = format!("{}api", self.base);
        let resp = self.http.get(&url).timeout(self.timeout).send().await.map_err(|e| self.net_error(&url, e))?;
        let status = resp.status();
        let body = read_capped(resp, PAGE_BUDGET).await.map_err(|e| PluginError::connect(format!("{url}: {e}")))?;
        if !status.is_success() {
            return Err(PluginError::connect(format!("{url}: HTTP {status} (is `url` the …/bigbluebutton/ base?)")));
        }
        let text = String::from_utf8_lossy(&body);
        bbb_xml::parse_index(&text).map_err(|e| PluginError::data(format!("{url}: {e}")))
    }

    fn net_error(&self, url: &str, e: reqwest::Error) -> PluginError {
        PluginError::connect(redact(&format!("{}: {}", redact(url), error_line(&e.without_url()))))
    }

    /// A signed `getRecordings` call, retried with exponential back-off on
    /// transient failures, streamed into the parser.
    pub async fn get_recordings(&self, params: &[(&str, &str)]) -> Result<Page, CallError> {
        let url = self.url("getRecordings", params);
        let shown = redact(&url);
        let (mut last, mut overload) = (String::new(), false);
        for attempt in 0..=self.retries {
            if attempt > 0 {
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(bbb_migrate_http::backoff(self.backoff, attempt)).await;
            }
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            match self.attempt(&url).await {
                Attempt::Ok(page) => return Ok(page),
                Attempt::Timeout => {
                    self.stats.timeouts.fetch_add(1, Ordering::Relaxed);
                    return Err(CallError::Timeout);
                }
                Attempt::Err(e) => return Err(e),
                Attempt::Retry(why) => (last, overload) = (why, false),
                Attempt::Overload(why) => (last, overload) = (why, true),
            }
        }
        let msg = redact(&format!("{shown}: {last} (after {} attempts)", self.retries + 1));
        Err(CallError::Transient { msg, overload })
    }

    async fn attempt(&self, url: &str) -> Attempt<Page> {
        let Ok(_permit) = self.permits.acquire().await else { return Attempt::Retry("closed".into()) };
        let resp = match self.http.get(url).timeout(self.timeout).send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return Attempt::Timeout,
            Err(e) => return Attempt::Retry(error_line(&e.without_url())),
        };
        let status = resp.status();
        if status.is_server_error() || status.as_u16() == 404 || status.as_u16() == 429 {
            // nginx overload pages (BBB 2.2 turns its proxy timeout into a 404).
            return Attempt::Overload(format!("HTTP {status}"));
        }
        if !status.is_success() {
            return Attempt::Err(CallError::Fatal(PluginError::connect(format!("{}: HTTP {status}", redact(url)))));
        }
        // Bounded by construction: the answer may not exceed what it
        // announced (hyper enforces Content-Length) nor the budget; each token
        // and recording has its own bound (`Limits`).
        if resp.content_length().is_some_and(|n| n > self.answer_budget) {
            return Attempt::Err(CallError::TooLarge);
        }
        let limits = Limits { answer: Some(self.answer_budget), ..Limits::default() };
        // The body goes from the socket through a small bounded channel into
        // the parser on a blocking thread: memory is bounded by the channel
        // (8 chunks) plus the recordings kept (at most the budget).
        let (tx, rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(8);
        let max = self.shard_max;
        let parser = tokio::task::spawn_blocking(move || parse_stream(rx, max, limits));
        let mut stream = resp.bytes_stream();
        let mut net_error: Option<reqwest::Error> = None;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(c) => {
                    if tx.send(c).await.is_err() {
                        break; // the parser stopped (error or too large)
                    }
                }
                Err(e) => {
                    net_error = Some(e);
                    break;
                }
            }
        }
        drop(tx);
        drop(stream);
        let parsed = match parser.await {
            Ok(p) => p,
            Err(e) => return Attempt::Err(CallError::Fatal(PluginError::other(format!("parser task failed: {e}")))),
        };
        if let Some(e) = net_error {
            return if e.is_timeout() { Attempt::Timeout } else { Attempt::Retry(error_line(&e.without_url())) };
        }
        match parsed {
            Parsed::TooLarge => Attempt::Err(CallError::TooLarge),
            // Deterministic: retrying would read the same again.
            Parsed::Refused(e) => Attempt::Err(CallError::Fatal(PluginError::data(format!("{}: {e}", redact(url))))),
            // A cut or non-XML 200 answer (proxy page): transient.
            Parsed::Bad(e) => Attempt::Retry(e),
            Parsed::Done(page) => {
                let env = &page.envelope;
                if env.is_success() {
                    return Attempt::Ok(page);
                }
                let key = env.message_key.as_str();
                if matches!(key, "unexpectedError" | "internalError") {
                    return Attempt::Overload(format!("FAILED {key}"));
                }
                let hint = if key == "checksumError" {
                    format!(" (wrong secret, or the server refuses {} checksums)", self.algo.label())
                } else {
                    String::new()
                };
                let msg = env.message.replace(['\n', '\r'], " ");
                Attempt::Err(CallError::Fatal(PluginError::connect(format!(
                    "{}api/getRecordings answered FAILED {key}: {msg}{hint}",
                    self.base
                ))))
            }
        }
    }
}

/// `e` and its causes on one line ([`plugin_api::sdk::text::error_chain`]), checksums hidden.
fn error_line(e: &dyn std::error::Error) -> String {
    redact(&plugin_api::sdk::text::error_chain(e))
}

enum Parsed {
    Done(Page),
    TooLarge,
    /// Malformed or cut: may pass on a retry.
    Bad(String),
    /// A bound of a token or recording was broken: it would again.
    Refused(String),
}

/// A `Read` over the chunks of the channel.
struct ChunkReader {
    rx: tokio::sync::mpsc::Receiver<bytes::Bytes>,
    cur: bytes::Bytes,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.cur.is_empty() {
            match self.rx.blocking_recv() {
                Some(c) => self.cur = c,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur[..n]);
        bytes::Buf::advance(&mut self.cur, n);
        Ok(n)
    }
}

fn parse_stream(rx: tokio::sync::mpsc::Receiver<bytes::Bytes>, max: usize, limits: Limits) -> Parsed {
    let input = BufReader::with_capacity(1 << 16, ChunkReader { rx, cur: bytes::Bytes::new() });
    let mut reader = RecordingsReader::with_limits(input, limits);
    let mut items = Vec::new();
    for item in reader.by_ref() {
        match item {
            Ok(i) => items.push(i),
            Err(e) if e.1 == Some(Exceeded::Answer) => return Parsed::TooLarge,
            Err(e) if e.1.is_some() => return Parsed::Refused(e.to_string()),
            Err(e) => return Parsed::Bad(e.to_string()),
        }
        if items.len() > max {
            return Parsed::TooLarge;
        }
    }
    Parsed::Done(Page { items, envelope: reader.envelope().clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_call_plus_exact_query_plus_secret() {
        // Spaces, accents, brackets and commas are encoded before hashing.
        let q = encode_query(&[("meetingID", "Cours d'été [0]"), ("recordID", "a,b")]);
        assert_eq!(q, "meetingID=Cours%20d%27%C3%A9t%C3%A9%20%5B0%5D&recordID=a%2Cb");
        let s = signed_query("getRecordings", &[], "secret", Checksum::Sha1);
        assert_eq!(s, format!("checksum={}", Checksum::Sha1.hex("getRecordingssecret")));
        // Known value: sha1("getRecordings" + "secret").
        assert_eq!(Checksum::Sha1.hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        for (a, len) in [(Checksum::Sha1, 40), (Checksum::Sha256, 64), (Checksum::Sha384, 96), (Checksum::Sha512, 128)]
        {
            assert_eq!(a.hex("x").len(), len);
        }
    }

    #[test]
    fn redaction_hides_every_checksum() {
        let r = redact(
            "GET http://h/bigbluebutton/api/getRecordings?recordID=0&checksum=abcdef0123 failed\nagain checksum=ff",
        );
        assert_eq!(r, "GET http://h/bigbluebutton/api/getRecordings?recordID=0&checksum=*** failed again checksum=***");
    }
}
