//! HTTP for every plugin that reads remote data (the `bbb`/`scalelite`
//! source, the `claim-dir` sink): one way to build a client, to read a body
//! within a bound, to decide what is worth retrying and how long to wait.
//!
//! * TLS (rustls): the system's roots (`/etc/ssl/certs`), the web roots
//!   compiled in, and the PEM certificates of an optional `ca_file` (an
//!   institution's own CA).
//! * Every body is read within a byte bound ([`read_capped`]); the client
//!   has a connect, an idle (between two reads) and a total time bound.
//! * Errors are one line naming the URL or host.
//! * Ranged downloads (`claim-dir`, `archive`) read `Content-Range` with [`content_range`],
//!   and record the [`Validator`] of a file's first answer so that a resume never splices
//!   two versions of it (`If-Range`, and the resumed answer's own validators checked): one
//!   decision for both, [`Held::decide`] ([`resume`]).
use futures_util::StreamExt;
use plugin_api::sdk::text::error_chain;
use reqwest::header::{HeaderMap, HeaderName, ETAG, LAST_MODIFIED};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub mod resume;
pub use resume::{Held, Resume};

/// How a client is built.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Whole request, body included (`None`: no total bound, for downloads).
    pub timeout: Option<Duration>,
    pub connect_timeout: Duration,
    /// Longest wait for the next bytes.
    pub idle_timeout: Duration,
    /// Extra trusted CA certificates (PEM, one or more), besides the system's and the web roots.
    pub ca_file: Option<PathBuf>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Some(Duration::from_secs(30)),
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            ca_file: None,
        }
    }
}

/// The certificates of a PEM file; a one-line error naming the file otherwise.
pub fn load_ca_file(path: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| format!("{}: not a PEM certificate file ({})", path.display(), error_chain(&e)))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate in the file", path.display()));
    }
    Ok(certs)
}

/// A client trusting the system's roots, the web roots and `ca_file`.
pub fn client(opts: &ClientOptions) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(true)
        .connect_timeout(opts.connect_timeout)
        .read_timeout(opts.idle_timeout)
        .user_agent(concat!("bbb-migrate/", env!("CARGO_PKG_VERSION")));
    if let Some(t) = opts.timeout {
        b = b.timeout(t);
    }
    if let Some(path) = &opts.ca_file {
        for c in load_ca_file(path)? {
            b = b.add_root_certificate(c);
        }
    }
    b.build().map_err(|e| format!("cannot build the HTTP client: {}", error_chain(&e)))
}

/// Why a bounded read stopped.
#[derive(Debug)]
pub enum ReadError {
    /// The body is longer than the bound (or announces so).
    TooLarge(u64),
    /// The transfer failed (one line, without the URL); `timeout` when a time bound ended it.
    Net { msg: String, timeout: bool },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::TooLarge(max) => write!(f, "the answer is longer than {max} bytes; refused"),
            ReadError::Net { msg, .. } => f.write_str(msg),
        }
    }
}

impl From<reqwest::Error> for ReadError {
    fn from(e: reqwest::Error) -> Self {
        ReadError::Net { timeout: e.is_timeout(), msg: error_chain(&e.without_url()) }
    }
}

/// The body, refused past `max` bytes (an announced `Content-Length` above
/// `max` is refused before reading anything).
pub async fn read_capped(resp: reqwest::Response, max: u64) -> Result<Vec<u8>, ReadError> {
    if resp.content_length().is_some_and(|n| n > max) {
        return Err(ReadError::TooLarge(max));
    }
    let mut out = Vec::new();
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        if out.len() as u64 + chunk.len() as u64 > max {
            return Err(ReadError::TooLarge(max));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Statuses worth another try within the run: 5xx, 408, 429, and the HTML
/// 404 that nginx (BBB 2.2) answers when its proxy times out is the
/// caller's to decide.
pub fn is_transient(status: reqwest::StatusCode) -> bool {
    status.is_server_error() || matches!(status.as_u16(), 408 | 429)
}

/// The wait before retry number `attempt` (1-based): `first`, doubled each
/// time, at most 64 × `first`.
pub fn backoff(first: Duration, attempt: u32) -> Duration {
    first * 2u32.saturating_pow(attempt.saturating_sub(1).min(6))
}

/// A `Content-Range` value: `bytes <start>-<end>/<total>` → (start, total);
/// `bytes */<total>` → (None, total); `None` when it is not a byte range.
pub fn content_range(v: &str) -> Option<(Option<u64>, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim();
    let (range, total) = rest.split_once('/')?;
    let total = total.trim().parse().ok();
    let start = if range.trim() == "*" { None } else { Some(range.split_once('-')?.0.trim().parse().ok()?) };
    Some((start, total))
}

/// A header of `resp` as text, if present and readable.
pub fn header_text(resp: &reqwest::Response, name: HeaderName) -> Option<&str> {
    header_map_text(resp.headers(), name)
}

/// A header of `headers` as text, if present and readable.
pub(crate) fn header_map_text(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers.get(name)?.to_str().ok()
}

/// A header of `resp` as a number (`Content-Length`…), if present and one.
pub fn header_u64(resp: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<u64> {
    header_text(resp, name)?.trim().parse().ok()
}

/// What identifies the version of a file on the server, recorded with the bytes kept of it
/// (a resume sends it as `If-Range`, and checks the answer's own against it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validator {
    /// A strong `ETag` (quotes included); weak ones cannot be used with `If-Range`.
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
    /// The whole file's size.
    pub length: u64,
}

impl Validator {
    /// The validator of an answer describing a file of `length` bytes; `None` without a
    /// strong ETag or a Last-Modified, or without a known length (nothing to resume with).
    pub fn of(resp: &reqwest::Response, length: Option<u64>) -> Option<Validator> {
        Validator::from_headers(resp.headers(), length)
    }

    /// [`Validator::of`] an answer's headers.
    pub fn from_headers(headers: &HeaderMap, length: Option<u64>) -> Option<Validator> {
        let etag = header_map_text(headers, ETAG).filter(|e| e.starts_with('"')).map(str::to_string);
        let last_modified = header_map_text(headers, LAST_MODIFIED).map(str::to_string);
        (etag.is_some() || last_modified.is_some()).then_some(Validator { etag, last_modified, length: length? })
    }

    /// The `If-Range` value: the ETag, else the date.
    pub fn if_range(&self) -> &str {
        self.etag.as_deref().or(self.last_modified.as_deref()).unwrap_or_default()
    }

    /// Does `now` (a later answer's) name the same version of the file?
    pub fn same(&self, now: Option<&Validator>) -> bool {
        now.is_some_and(|n| {
            n.length == self.length
                && match &self.etag {
                    Some(_) => n.etag == self.etag,
                    None => n.last_modified == self.last_modified,
                }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_content_range() {
        assert_eq!(content_range("bytes 100-199/200"), Some((Some(100), Some(200))));
        assert_eq!(content_range("bytes */200"), Some((None, Some(200))));
        assert_eq!(content_range("bytes 0-9/*"), Some((Some(0), None)));
        assert_eq!(content_range("items 1-2/3"), None);
    }

    #[test]
    fn backoff_doubles_and_is_bounded() {
        let b = Duration::from_millis(100);
        assert_eq!(backoff(b, 1), b);
        assert_eq!(backoff(b, 3), b * 4);
        assert_eq!(backoff(b, 40), b * 64);
    }

    #[test]
    fn a_ca_file_that_is_not_pem_is_one_line_naming_it() {
        let dir = std::env::temp_dir().join(format!("bbb-migrate-http-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("ca.pem");
        std::fs::write(&f, "not a certificate\n").unwrap();
        let e = client(&ClientOptions { ca_file: Some(f.clone()), ..ClientOptions::default() }).unwrap_err();
        assert!(e.starts_with(&f.display().to_string()) && !e.contains('\n'), "{e}");
        let e = load_ca_file(&dir.join("missing.pem")).unwrap_err();
        assert!(e.contains("missing.pem"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn answer(headers: &[(&str, &str)]) -> reqwest::Response {
        let mut b = http::Response::builder();
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        reqwest::Response::from(b.body(Vec::<u8>::new()).unwrap())
    }

    const DATE: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

    #[test]
    fn a_strong_etag_else_the_date_else_nothing_to_resume_with() {
        let strong = Validator::of(&answer(&[("etag", "\"65-10\""), ("last-modified", DATE)]), Some(16)).unwrap();
        assert_eq!(strong.if_range(), "\"65-10\"");
        // A weak ETag cannot go in If-Range: the date does.
        let weak = Validator::of(&answer(&[("etag", "W/\"65-10\""), ("last-modified", DATE)]), Some(16)).unwrap();
        assert_eq!((weak.etag.as_deref(), weak.if_range()), (None, DATE));
        assert_eq!(Validator::of(&answer(&[("etag", "W/\"65-10\"")]), Some(16)), None);
        assert_eq!(Validator::of(&answer(&[]), Some(16)), None);
        assert_eq!(Validator::of(&answer(&[("etag", "\"65-10\"")]), None), None, "no size known");
    }

    #[test]
    fn the_same_version_has_the_same_validator_and_size() {
        let v = |etag: Option<&str>, date: &str, length| Validator {
            etag: etag.map(String::from),
            last_modified: Some(date.into()),
            length,
        };
        let first = v(Some("\"65-10\""), DATE, 16);
        assert!(first.same(Some(&v(Some("\"65-10\""), "another date", 16))), "the ETag decides");
        assert!(!first.same(Some(&v(Some("\"66-10\""), DATE, 16))));
        assert!(!first.same(Some(&v(None, DATE, 16))), "no ETag any more");
        assert!(!first.same(Some(&v(Some("\"65-10\""), DATE, 17))), "another size");
        assert!(!first.same(None));
        let dated = v(None, DATE, 16);
        assert!(dated.same(Some(&v(Some("\"65-10\""), DATE, 16))));
        assert!(!dated.same(Some(&v(None, "Wed, 15 Nov 2023 22:13:20 GMT", 16))));
    }
}
