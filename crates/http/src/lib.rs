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
use futures_util::StreamExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// An error and its causes on one line (reqwest hides the useful part in
/// `source`: "invalid peer certificate: UnknownIssuer").
pub fn error_chain(e: &dyn std::error::Error) -> String {
    plugin_api::sdk::text::error_chain(e).split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
