//! A real local BigBlueButton / Scalelite API server (std::net, one thread per
//! connection) for the `bbb` source's tests and benchmark. Not a mock: it
//! speaks HTTP/1.1 on a TCP port and behaves like the servers described in
//! `docs/bbb-api.md` §10:
//!
//! * checksums verified exactly like BBB (raw query string, `checksum=`
//!   stripped by string surgery, algorithm picked by hex length; Scalelite
//!   refuses SHA-384);
//! * `recordID` = comma list of prefixes, `meetingID` = sha1 prefix (BBB) or
//!   exact (Scalelite); default states published + unpublished;
//! * paging per flavour: BBB 2.2 ignores `limit`, 2.6 answers a `<pagination>`
//!   block (over-counted total), 2.7 a top-level `<totalElements>`, Scalelite
//!   ignores `offset`/`limit` and sorts by `startTime` desc (stripped fields);
//! * cost model: a call compares every requested ID with every recording
//!   directory (`cost_ns` × N × ids, N² without IDs), plus `render_ns` per
//!   recording returned; past `proxy_timeout` nginx answers an HTML 504 (404
//!   on BBB 2.2, issue #10570);
//! * faults on demand ([`Fault`]): HTML 404/502/504, stalls, FAILED answers,
//!   truncated bodies;
//! * `/playback/video/<id>/` index pages with a `<source>` (Scalelite: 307 to
//!   `/video/<id>/`), 404 for unpublished recordings, and the file they name
//!   (`video-0.m4v`, [`VIDEO_FILE_BYTES`] bytes, `HEAD` answered without a body).
//!   Pages and files are counted apart ([`TestServer::playback_calls`],
//!   [`TestServer::file_calls`]), with the most pages served at once.
pub mod files;
pub mod published;
mod tls;
pub use tls::TestCa;

use sha1::{Digest, Sha1};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// BBB 2.2: no paging, SHA-1/SHA-256 only.
    Bbb22,
    /// BBB 2.6: `<pagination>` block, over-counted `totalElements`.
    Bbb26,
    /// BBB 2.7 (after PR #21644): top-level `<totalElements>`.
    Bbb27,
    /// Scalelite: ignores `offset`/`limit`, sorts by startTime desc, no SHA-384.
    Scalelite,
}

/// A misbehaviour, applied to matching getRecordings calls.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// nginx HTML error page with this status (404, 502, 504…).
    Html(u16),
    /// Sleep this long before answering (normally).
    Stall(Duration),
    /// `<returncode>FAILED</returncode>` with this messageKey.
    Failed(&'static str),
    /// Announce the full Content-Length, send half the body, close.
    Truncate,
    /// A hostile answer that never ends (no Content-Length, sent until the
    /// client hangs up).
    Endless(Endless),
    /// These raw bytes (any, invalid UTF-8 included) inserted as the first
    /// recordings of the normal answer.
    Inject(Vec<u8>),
}

/// What an endless answer repeats after its head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endless {
    /// `<response><returncode>SUCCESS</returncode><recordings>` then spaces.
    Whitespace,
    /// A recording whose `<name>` text never ends.
    NameText,
    /// The same recording, again and again.
    Recordings,
}

impl Endless {
    fn head_and_unit(self) -> (Vec<u8>, Vec<u8>) {
        let head = b"<?xml version=\"1.0\"?>\n<response><returncode>SUCCESS</returncode><recordings>".to_vec();
        match self {
            Endless::Whitespace => (head, vec![b' '; 8192]),
            Endless::NameText => {
                let mut h = head;
                h.extend_from_slice(
                    b"<recording><recordID>0000000000000000000000000000000000000000-1600000000000</recordID><name>",
                );
                (h, b"endless name ".repeat(512))
            }
            Endless::Recordings => {
                let mut one = String::new();
                render(&mut one, Flavour::Bbb27, "http://127.0.0.1", &dataset(1)[0]);
                (head, one.into_bytes())
            }
        }
    }
}

/// One recording of the fake server.
#[derive(Clone, Debug)]
pub struct TestRec {
    pub record_id: String,
    pub meeting_id: String,
    pub name: String,
    pub state: String,
    pub published: bool,
    pub start_ms: i64,
    pub metadata: Vec<(String, String)>,
    pub formats: Vec<&'static str>,
    pub breakout_parent: Option<String>,
    /// Scalelite `protected`: playback URLs become one-time `/recording/<id>/<format>?token=` URLs.
    pub protected: bool,
}

pub fn sha1_hex(s: &str) -> String {
    hex(&Sha1::digest(s.as_bytes()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A deterministic, varied data set of `n` listable recordings: unpublished
/// ones, `state=available`, CDATA-worthy and Cyrillic names, empty metadata,
/// breakouts, Moodle `[0]` meeting ids, video formats. Plus (not counted in
/// `n`, never listed by default) a few `deleted` and `processing` ones.
pub fn dataset(n: usize) -> Vec<TestRec> {
    let mut v = Vec::with_capacity(n + 4);
    for i in 0..n + 4 {
        let meeting_id = match i % 4 {
            0 => format!("9d287cf5a1-{}-119[0]", i),
            1 => format!("room é {}", i),
            _ => format!("meeting-{i}"),
        };
        let start_ms = 1_600_000_000_000 + (i as i64) * 61_000;
        let record_id = format!("{}-{}", sha1_hex(&meeting_id), start_ms);
        let (state, published) = if i >= n {
            (if i % 2 == 0 { "deleted" } else { "processing" }, false)
        } else if i % 10 == 3 {
            ("unpublished", false)
        } else if i % 10 == 7 {
            ("available", true)
        } else {
            ("published", true)
        };
        let name = match i % 5 {
            0 => format!("Лекция №{i} <A & B>"),
            1 => format!("Cours d'été {i}"),
            _ => format!("Meeting {i}"),
        };
        let metadata = if i % 6 == 5 {
            vec![]
        } else {
            vec![
                ("bbb-origin".to_string(), "Moodle".to_string()),
                ("bbb-origin-server-name".to_string(), "moodle.example.org".to_string()),
                ("bbb-context".to_string(), format!("Course <{}> & co", i % 40)),
                ("bbb-recording-description".to_string(), String::new()),
                ("meetingId".to_string(), meeting_id.clone()),
                ("meetingName".to_string(), name.clone()),
                ("isBreakout".to_string(), (i % 9 == 8).to_string()),
            ]
        };
        let formats = if i % 3 == 0 {
            vec!["presentation", "video"]
        } else if i % 8 == 1 {
            vec!["podcast", "presentation", "statistics"]
        } else {
            vec!["presentation"]
        };
        let breakout_parent = (i % 9 == 8).then(|| format!("{}-{}", sha1_hex("parent"), start_ms));
        v.push(TestRec {
            record_id,
            meeting_id,
            name,
            state: state.into(),
            published,
            start_ms,
            metadata,
            formats,
            breakout_parent,
            protected: false,
        });
    }
    v
}

/// The hostile recording: its ID starts with a hex digit (so prefix shards
/// see it) but would escape any folder it is joined to.
pub fn hostile() -> TestRec {
    TestRec {
        record_id: "abc/../../../etc/passwd".into(),
        meeting_id: "evil".into(),
        name: "evil".into(),
        state: "published".into(),
        published: true,
        start_ms: 1_500_000_000_000,
        metadata: vec![],
        formats: vec!["presentation"],
        breakout_parent: None,
        protected: false,
    }
}

pub struct Options {
    pub flavour: Flavour,
    pub secret: String,
    /// Nanoseconds per (requested ID × recording directory) comparison.
    pub cost_ns: u64,
    /// Nanoseconds per recording rendered.
    pub render_ns: u64,
    /// nginx `proxy_read_timeout`: longer calls get an HTML 504 (404 on 2.2).
    pub proxy_timeout: Option<Duration>,
    /// Time each video page takes to answer (so concurrent fetches overlap).
    pub page_delay: Duration,
}

impl Options {
    pub fn new(flavour: Flavour, secret: &str) -> Self {
        Self {
            flavour,
            secret: secret.into(),
            cost_ns: 0,
            render_ns: 0,
            proxy_timeout: None,
            page_delay: Duration::ZERO,
        }
    }
}

struct State {
    opts: Options,
    recs: Vec<TestRec>,
    /// (recordID parameter it applies to, or any; fault; remaining uses)
    faults: Mutex<Vec<(Option<String>, Fault, usize)>>,
    log: Mutex<Vec<String>>,
    api_calls: AtomicU64,
    playback_calls: AtomicU64,
    file_calls: AtomicU64,
    pages_in_flight: AtomicU64,
    peak_pages_in_flight: AtomicU64,
    bytes_sent: AtomicU64,
}

/// Size of every recording's `video-0.m4v`.
pub const VIDEO_FILE_BYTES: usize = 1000;

/// A running server; it lives until the process exits.
#[derive(Clone)]
pub struct TestServer {
    pub port: u16,
    state: Arc<State>,
    /// HTTPS: the PEM of the CA that signed the server's certificate.
    ca_pem: Option<String>,
}

impl TestServer {
    pub fn start(opts: Options, recs: Vec<TestRec>) -> TestServer {
        Self::start_with(opts, recs, None)
    }

    /// The same server over HTTPS, with a certificate from a CA made now
    /// ([`TestServer::ca_pem`]).
    pub fn start_tls(opts: Options, recs: Vec<TestRec>) -> TestServer {
        Self::start_with(opts, recs, Some(TestCa::generate()))
    }

    /// The CA certificate (PEM) of an HTTPS server.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    fn start_with(opts: Options, mut recs: Vec<TestRec>, tls: Option<TestCa>) -> TestServer {
        // BBB answers in hash (directory) order; Scalelite by startTime desc.
        match opts.flavour {
            Flavour::Scalelite => recs.sort_by_key(|r| std::cmp::Reverse(r.start_ms)),
            _ => recs.sort_by_cached_key(|r| sha1_hex(&r.record_id)),
        }
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind test server");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State {
            opts,
            recs,
            faults: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            api_calls: AtomicU64::new(0),
            playback_calls: AtomicU64::new(0),
            file_calls: AtomicU64::new(0),
            pages_in_flight: AtomicU64::new(0),
            peak_pages_in_flight: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
        });
        let st = state.clone();
        let config = tls.as_ref().map(|t| t.config.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (st, config) = (st.clone(), config.clone());
                std::thread::spawn(move || match config {
                    None => {
                        let mut conn = conn;
                        let _ = handle(&st, &mut conn, "http");
                        let _ = conn.shutdown(std::net::Shutdown::Both);
                    }
                    Some(config) => {
                        let Ok(server) = rustls::ServerConnection::new(config) else { return };
                        let mut tls = rustls::StreamOwned::new(server, conn);
                        if handle(&st, &mut tls, "https").is_ok() {
                            tls.conn.send_close_notify();
                            let _ = tls.flush();
                        }
                    }
                });
            }
        });
        TestServer { port, state, ca_pem: tls.map(|t| t.ca_pem) }
    }

    /// The `.../bigbluebutton/` base URL.
    pub fn url(&self) -> String {
        let scheme = if self.ca_pem.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}/bigbluebutton/", self.port)
    }

    /// Applies `fault` to the next `times` getRecordings calls whose
    /// `recordID` parameter equals `record_id` (any call when `None`).
    pub fn fault(&self, record_id: Option<&str>, fault: Fault, times: usize) {
        self.state.faults.lock().unwrap().push((record_id.map(str::to_string), fault, times));
    }

    /// Every API call received (path and raw query), in arrival order.
    pub fn log(&self) -> Vec<String> {
        self.state.log.lock().unwrap().clone()
    }
    pub fn api_calls(&self) -> u64 {
        self.state.api_calls.load(Ordering::SeqCst)
    }
    /// Requests for video pages (`…/video/<id>/`, Scalelite's 307 included).
    pub fn playback_calls(&self) -> u64 {
        self.state.playback_calls.load(Ordering::SeqCst)
    }
    /// Requests (GET or HEAD) for the video files the pages name.
    pub fn file_calls(&self) -> u64 {
        self.state.file_calls.load(Ordering::SeqCst)
    }
    /// The most video pages served at the same moment since the last reset.
    pub fn peak_pages_in_flight(&self) -> u64 {
        self.state.peak_pages_in_flight.load(Ordering::SeqCst)
    }
    pub fn bytes_sent(&self) -> u64 {
        self.state.bytes_sent.load(Ordering::SeqCst)
    }
    pub fn reset_counters(&self) {
        self.state.api_calls.store(0, Ordering::SeqCst);
        self.state.playback_calls.store(0, Ordering::SeqCst);
        self.state.file_calls.store(0, Ordering::SeqCst);
        self.state.peak_pages_in_flight.store(0, Ordering::SeqCst);
        self.state.bytes_sent.store(0, Ordering::SeqCst);
        self.state.log.lock().unwrap().clear();
    }

    /// The recordIDs a complete listing must return (default states).
    pub fn expected_ids(&self) -> Vec<String> {
        let mut v: Vec<String> =
            self.state.recs.iter().filter(|r| listed_by_default(r)).map(|r| r.record_id.clone()).collect();
        v.sort();
        v
    }
}

fn listed_by_default(r: &TestRec) -> bool {
    matches!(r.state.as_str(), "published" | "unpublished" | "available")
}

struct Response {
    status: u16,
    content_type: &'static str,
    location: Option<String>,
    body: Vec<u8>,
    truncate: bool,
    /// Sent after `body`, forever (no Content-Length).
    endless: Option<Vec<u8>>,
}

impl Response {
    fn xml(body: String) -> Self {
        Self {
            status: 200,
            content_type: "text/xml;charset=utf-8",
            location: None,
            body: body.into_bytes(),
            truncate: false,
            endless: None,
        }
    }
    fn html(status: u16) -> Self {
        let reason = reason(status);
        let body = format!("<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n");
        Self {
            status,
            content_type: "text/html",
            location: None,
            body: body.into_bytes(),
            truncate: false,
            endless: None,
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        307 => "Temporary Redirect",
        404 => "Not Found",
        502 => "Bad Gateway",
        504 => "Gateway Time-out",
        _ => "Error",
    }
}

/// The request head (request line and headers), read byte by byte (at most 64 KiB).
fn read_head(conn: &mut impl Read) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") && head.len() < 65536 {
        if conn.read(&mut byte)? == 0 {
            break;
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

fn handle(st: &State, conn: &mut (impl Read + Write), scheme: &str) -> std::io::Result<()> {
    let head = read_head(conn)?;
    let mut lines = head.lines();
    let line = lines.next().unwrap_or_default().to_string();
    let mut host = String::new();
    for h in lines {
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("host") {
                host = v.trim().to_string();
            }
        }
    }
    // Links in answers name this server with its scheme.
    let host = format!("{scheme}://{host}");
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.clone(), String::new()),
    };
    let head_only = line.starts_with("HEAD ");
    let resp = route(st, &host, &path, &query);
    let out = conn;
    let length = match resp.endless {
        Some(_) => String::new(),
        None => format!("Content-Length: {}\r\n", resp.body.len()),
    };
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\n{length}Connection: close\r\n",
        resp.status,
        reason(resp.status),
        resp.content_type,
    );
    if let Some(l) = &resp.location {
        head.push_str(&format!("Location: {l}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    let body = if head_only {
        &[][..]
    } else if resp.truncate {
        &resp.body[..resp.body.len() / 2]
    } else {
        &resp.body[..]
    };
    out.write_all(body)?;
    st.bytes_sent.fetch_add(body.len() as u64, Ordering::SeqCst);
    if let Some(unit) = &resp.endless {
        // Until the client hangs up (or 4 GiB, so a stuck client cannot keep the thread forever).
        for _ in 0..(4u64 << 30) / unit.len().max(1) as u64 {
            out.write_all(unit)?;
            st.bytes_sent.fetch_add(unit.len() as u64, Ordering::SeqCst);
        }
    }
    out.flush()?;
    Ok(())
}

fn route(st: &State, host: &str, path: &str, query: &str) -> Response {
    let fl = st.opts.flavour;
    if path == "/bigbluebutton/api" || path == "/bigbluebutton/api/" {
        let extra = match fl {
            Flavour::Bbb22 => String::new(),
            Flavour::Bbb26 => "<apiVersion>2.0</apiVersion><bbbVersion>2.6.18</bbbVersion>".into(),
            Flavour::Bbb27 => "<apiVersion>2.0</apiVersion><bbbVersion>2.7.12</bbbVersion>".into(),
            Flavour::Scalelite => "<build>v1.6.2</build>".into(),
        };
        return Response::xml(format!(
            "<response><returncode>SUCCESS</returncode><version>2.0</version>{extra}</response>"
        ));
    }
    if let Some(call) = path.strip_prefix("/bigbluebutton/api/") {
        st.api_calls.fetch_add(1, Ordering::SeqCst);
        st.log.lock().unwrap().push(format!("{path}?{query}"));
        return api(st, host, call, query);
    }
    // Playback pages.
    let video =
        if fl == Flavour::Scalelite { path.strip_prefix("/video/") } else { path.strip_prefix("/playback/video/") };
    if fl == Flavour::Scalelite {
        // A protected recording's one-time token URL: using it up is what a client must not do while listing.
        if let Some(rest) = path.strip_prefix("/recording/") {
            st.playback_calls.fetch_add(1, Ordering::SeqCst);
            st.log.lock().unwrap().push(format!("{path}?{query}"));
            let mut r = Response::html(307);
            let (id, format) = rest.split_once('/').unwrap_or((rest, ""));
            r.location = Some(format!("/{format}/{id}/"));
            return r;
        }
        if let Some(rest) = path.strip_prefix("/playback/video/") {
            st.playback_calls.fetch_add(1, Ordering::SeqCst);
            let mut r = Response::html(307);
            r.location = Some(format!("/video/{rest}"));
            return r;
        }
    }
    if let Some(rest) = video {
        let has_video =
            |id: &str| st.recs.iter().any(|r| r.record_id == id && r.published && r.formats.contains(&"video"));
        if let Some(id) = rest.strip_suffix("/video-0.m4v") {
            st.file_calls.fetch_add(1, Ordering::SeqCst);
            if !has_video(id) {
                return Response::html(404);
            }
            return Response {
                status: 200,
                content_type: "video/mp4",
                location: None,
                body: vec![0u8; VIDEO_FILE_BYTES],
                truncate: false,
                endless: None,
            };
        }
        st.playback_calls.fetch_add(1, Ordering::SeqCst);
        let now = st.pages_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        st.peak_pages_in_flight.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(st.opts.page_delay);
        st.pages_in_flight.fetch_sub(1, Ordering::SeqCst);
        let id = rest.trim_end_matches('/');
        if !has_video(id) || !rest.ends_with('/') {
            return Response::html(404);
        }
        let body = format!(
            "<!DOCTYPE html><html><head><title>Recording</title></head><body>\n<video controls>\n  <source src=\"video-0.m4v\" type=\"video/mp4\">\n</video>\n<p>{id}</p></body></html>\n"
        );
        return Response {
            status: 200,
            content_type: "text/html",
            location: None,
            body: body.into_bytes(),
            truncate: false,
            endless: None,
        };
    }
    Response::html(404)
}

fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    percent_encoding::percent_decode_str(&s).decode_utf8_lossy().into_owned()
}

fn failed(key: &str, message: &str) -> Response {
    Response::xml(format!("<response><returncode>FAILED</returncode><messageKey>{key}</messageKey><message>{message}</message></response>"))
}

/// BBB's checksum check: strip `checksum=X` from the raw query, hash
/// `call + rest + secret` with the algorithm the hex length names.
fn checksum_ok(st: &State, call: &str, query: &str) -> bool {
    let mut given = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|kv| match kv.strip_prefix("checksum=") {
            Some(c) => {
                given = Some(c.to_string());
                false
            }
            None => true,
        })
        .collect();
    let Some(given) = given else { return false };
    let input = format!("{call}{}{}", rest.join("&"), st.opts.secret);
    let expected = match given.len() {
        40 => hex(&Sha1::digest(input.as_bytes())),
        64 => hex(&sha2::Sha256::digest(input.as_bytes())),
        96 if st.opts.flavour != Flavour::Scalelite => hex(&sha2::Sha384::digest(input.as_bytes())),
        128 if st.opts.flavour != Flavour::Bbb22 => hex(&sha2::Sha512::digest(input.as_bytes())),
        _ => return false,
    };
    match st.opts.flavour {
        Flavour::Scalelite => expected == given,
        _ => expected.eq_ignore_ascii_case(&given),
    }
}

fn api(st: &State, host: &str, call: &str, query: &str) -> Response {
    let fl = st.opts.flavour;
    if !checksum_ok(st, call, query) {
        let msg = if fl == Flavour::Bbb22 {
            "You did not pass the checksum security check"
        } else {
            "Checksums do not match"
        };
        return failed("checksumError", msg);
    }
    if call != "getRecordings" {
        return failed("unsupportedRequest", "This request is not supported.");
    }
    let params: Vec<(String, String)> = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect();
    let get = |k: &str| params.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.clone());
    let record_param = get("recordID");
    // Faults.
    {
        let mut faults = st.faults.lock().unwrap();
        if let Some(pos) = faults.iter().position(|(rid, _, n)| *n > 0 && (rid.is_none() || *rid == record_param)) {
            faults[pos].2 -= 1;
            let fault = faults[pos].1.clone();
            drop(faults);
            match fault {
                Fault::Html(code) => return Response::html(code),
                Fault::Stall(d) => std::thread::sleep(d),
                Fault::Failed(key) => return failed(key, "A failure on demand"),
                Fault::Truncate => {
                    let mut r = list(st, host, &params, record_param.as_deref());
                    r.truncate = true;
                    return r;
                }
                Fault::Endless(kind) => {
                    let (head, unit) = kind.head_and_unit();
                    let mut r = Response::xml(String::new());
                    r.body = head;
                    r.endless = Some(unit);
                    return r;
                }
                Fault::Inject(raw) => {
                    let mut r = list(st, host, &params, record_param.as_deref());
                    let body = std::mem::take(&mut r.body);
                    let at = find(&body, b"<recordings>").map(|i| i + 12).unwrap_or(body.len());
                    r.body = [&body[..at], &raw[..], &body[at..]].concat();
                    return r;
                }
            }
        }
    }
    list(st, host, &params, record_param.as_deref())
}

fn list(st: &State, host: &str, params: &[(String, String)], record_param: Option<&str>) -> Response {
    let fl = st.opts.flavour;
    let get = |k: &str| params.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.clone());
    let ids: Vec<String> =
        record_param.map(|p| p.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()).unwrap_or_default();
    let meetings: Vec<String> =
        get("meetingID").map(|p| p.split(',').map(str::to_string).collect()).unwrap_or_default();
    let states: Vec<String> = get("state").map(|p| p.split(',').map(str::to_string).collect()).unwrap_or_default();
    let n = st.recs.len() as u64;
    // Cost: every requested ID against every directory (N² without IDs).
    let comparisons = n * if ids.is_empty() && meetings.is_empty() { n } else { (ids.len() + meetings.len()) as u64 };
    let matched: Vec<&TestRec> = st
        .recs
        .iter()
        .filter(|r| {
            if !ids.is_empty() {
                ids.iter().any(|p| r.record_id.starts_with(p.as_str()))
            } else if !meetings.is_empty() {
                match fl {
                    Flavour::Scalelite => meetings.contains(&r.meeting_id),
                    _ => meetings.iter().any(|m| r.record_id.starts_with(&sha1_hex(m))),
                }
            } else {
                true
            }
        })
        .filter(|r| {
            if states.is_empty() {
                matches!(r.state.as_str(), "published" | "unpublished" | "available")
            } else {
                states.iter().any(|s| s == "any" || *s == r.state)
            }
        })
        .collect();
    let cost = Duration::from_nanos(comparisons * st.opts.cost_ns + matched.len() as u64 * st.opts.render_ns);
    if let Some(limit) = st.opts.proxy_timeout {
        if cost > limit {
            std::thread::sleep(limit);
            return Response::html(if fl == Flavour::Bbb22 { 404 } else { 504 });
        }
    }
    std::thread::sleep(cost);
    // Paging.
    let limit: Option<usize> = get("limit").and_then(|l| l.parse().ok()).filter(|l| (1..=100).contains(l));
    let offset: usize = get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let pages = matches!(fl, Flavour::Bbb26 | Flavour::Bbb27) && limit.is_some();
    let total = matched.len();
    let page: Vec<&TestRec> =
        if pages { matched.iter().skip(offset).take(limit.unwrap()).copied().collect() } else { matched };
    let mut out = String::with_capacity(page.len() * 1500 + 200);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><returncode>SUCCESS</returncode>");
    if page.is_empty() && !pages {
        out.push_str("<recordings></recordings><messageKey>noRecordings</messageKey><message>There are no recordings for the meeting(s).</message></response>");
        return Response::xml(out);
    }
    out.push_str("<recordings>");
    for r in &page {
        render(&mut out, fl, host, r);
    }
    out.push_str("</recordings>");
    if pages {
        match fl {
            Flavour::Bbb26 => {
                // Counted per format directory: an over-count.
                let counted: usize = total + total / 3;
                out.push_str(&format!(
                    "<pagination><pageable><offset>{offset}</offset><limit>{}</limit><paged>true</paged><unpaged>false</unpaged></pageable><totalElements>{counted}</totalElements><empty>{}</empty></pagination>",
                    limit.unwrap(),
                    page.is_empty()
                ));
            }
            _ => out.push_str(&format!("<totalElements>{total}</totalElements>")),
        }
    }
    out.push_str("</response>\n");
    Response::xml(out)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn x(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// One `<recording>`; `host` is the origin (`http://127.0.0.1:port`) its links name.
fn render(out: &mut String, fl: Flavour, host: &str, r: &TestRec) {
    let sl = fl == Flavour::Scalelite;
    let id = &r.record_id;
    out.push_str(&format!(
        "<recording><recordID>{}</recordID><meetingID>{}</meetingID><internalMeetingID>{}</internalMeetingID>",
        x(id),
        x(&r.meeting_id),
        x(id)
    ));
    // Old servers wrap names in CDATA.
    if fl == Flavour::Bbb22 {
        out.push_str(&format!("<name><![CDATA[{}]]></name>", r.name));
    } else {
        out.push_str(&format!("<name>{}</name>", x(&r.name)));
    }
    if !sl {
        out.push_str(&format!("<isBreakout>{}</isBreakout>", r.breakout_parent.is_some()));
    }
    let state = if sl && r.state == "available" { "published" } else { r.state.as_str() };
    let end = r.start_ms + 3_600_000;
    out.push_str(&format!("<published>{}</published><state>{state}</state><startTime>{}</startTime><endTime>{end}</endTime><participants>7</participants>", r.published, r.start_ms));
    if !sl {
        out.push_str("<rawSize>123456789</rawSize>");
    }
    if r.metadata.is_empty() {
        out.push_str("<metadata/>");
    } else {
        out.push_str("<metadata>");
        for (k, v) in &r.metadata {
            if sl && matches!(k.as_str(), "meetingId" | "meetingName" | "isBreakout") {
                continue;
            }
            if sl && v.is_empty() {
                out.push_str(&format!("<{k}><![CDATA[]]></{k}>"));
            } else {
                out.push_str(&format!("<{k}>{}</{k}>", x(v)));
            }
        }
        out.push_str("</metadata>");
    }
    if let Some(p) = &r.breakout_parent {
        if !sl {
            out.push_str(&format!(
                "<breakout><parentId>{p}</parentId><sequence>1</sequence><freeJoin>false</freeJoin></breakout>"
            ));
        }
    }
    if !sl {
        out.push_str("<size>45678901</size>");
    }
    out.push_str("<playback>");
    let mut formats = r.formats.clone();
    if sl {
        formats.sort();
    }
    for f in formats {
        let url = match f {
            // Scalelite with PROTECTED_RECORDINGS_ENABLED: a fresh one-time token per listing.
            _ if sl && r.protected => format!("{host}/recording/{id}/{f}?token={}", sha1_hex(&format!("{id}{f}"))),
            "presentation" if fl == Flavour::Bbb22 => {
                format!("{host}/playback/presentation/2.0/playback.html?meetingId={id}")
            }
            "presentation" => format!("{host}/playback/presentation/2.3/{id}"),
            "video" => format!("{host}/playback/video/{id}/"),
            "podcast" => format!("{host}/podcast/{id}/audio.ogg"),
            other => format!("{host}/{other}/{id}/"),
        };
        out.push_str(&format!("<format><type>{f}</type><url>{}</url>", x(&url)));
        if sl {
            out.push_str("<length>61</length><processingTime>4321</processingTime>");
        } else {
            out.push_str("<processingTime>4321</processingTime><length>60</length><size>1234567</size>");
        }
        if f == "presentation" {
            out.push_str(&format!(
                "<preview><images><image width=\"176\" height=\"136\" alt=\"Welcome\">{host}/presentation/{id}/presentation/d2d9a672040fbde2a47a10bf6c37b6a4b5ae187f-{}/thumbnails/thumb-1.png</image></images></preview>",
                r.start_ms
            ));
        }
        out.push_str("</format>");
    }
    out.push_str("</playback>");
    if !sl {
        out.push_str("<data/>");
    } else {
        out.push_str(&format!("<protected>{}</protected>", r.protected));
    }
    out.push_str("</recording>\n");
}

/// A plugin context for tests and the benchmark: logs go to memory
/// ([`TestLog::lines`]) so tests can assert what was (not) logged.
#[derive(Clone, Default)]
pub struct TestLog(Arc<Mutex<Vec<String>>>);

impl TestLog {
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl plugin_api::abi::HostLog for TestLog {
    fn log(
        &self,
        level: plugin_api::abi::LogLevel,
        component: plugin_api::abi_stable::std_types::RStr<'_>,
        message: plugin_api::abi_stable::std_types::RStr<'_>,
    ) {
        self.0.lock().unwrap().push(format!("{level:?} {component}: {message}"));
    }
}

/// A [`plugin_api::sdk::Ctx`] for component `name`, relative paths resolved in `dir`.
pub fn ctx(name: &str, dir: &std::path::Path, dry_run: bool) -> (plugin_api::sdk::Ctx, TestLog) {
    use plugin_api::abi_stable::{sabi_trait::TD_Opaque, std_types::RArc};
    let log = TestLog::default();
    let raw = plugin_api::abi::PluginCtx {
        component: name.into(),
        config_dir: dir.to_string_lossy().as_ref().into(),
        dry_run,
        logger: plugin_api::abi::HostLog_TO::from_ptr(RArc::new(log.clone()), TD_Opaque),
        extra_json: "{}".into(),
    };
    (plugin_api::sdk::Ctx::new(raw), log)
}

/// The workspace's `bbb-migrate` binary, built with `packages` (the plugins a test needs:
/// `cargo test` builds neither cdylibs nor other packages' binaries). The host finds the
/// plugins in its own folder.
pub fn host_binary(packages: &[&str]) -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut cmd = std::process::Command::new(env!("CARGO"));
    cmd.args(["build", "--quiet", "-p", "bbb-migrate"]).current_dir(&root);
    for p in packages {
        cmd.args(["-p", p]);
    }
    let status = cmd.status().expect("cargo runs");
    assert!(status.success(), "cargo build failed");
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| root.join("target"));
    target.join("debug/bbb-migrate")
}
