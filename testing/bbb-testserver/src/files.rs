//! A real static file server (HTTP/1.1 on 127.0.0.1, one thread per connection,
//! keep-alive) serving published recording files the way nginx does: `HEAD`,
//! `Range: bytes=N-` (206 / 416), 404 for anything not put there, and nginx's
//! validators: `ETag: "<mtime hex>-<length hex>"` and `Last-Modified` on every
//! answer, `If-Range` honoured (a validator that no longer matches gets the whole
//! file, 200). Putting a file again gives it a new mtime (one second later), as
//! replacing it on disk would. Bodies are bytes in memory or generated on the fly
//! (any size, nothing held in memory).
//! Faults on demand: a body cut half way, a body shorter than announced, an
//! error status for the next requests, a pause before every body, Range
//! ignored (as servers without Range support answer), no validators sent,
//! `If-Range` ignored; the most bodies sent at once is counted (to observe a
//! client's parallelism).
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One request the server saw.
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub range: Option<String>,
    pub if_range: Option<String>,
}

#[derive(Clone)]
enum Body {
    Bytes(Arc<Vec<u8>>),
    /// `len` deterministic bytes made while sending ([`generated_byte`]).
    Generated(u64),
}

impl Body {
    fn len(&self) -> u64 {
        match self {
            Body::Bytes(b) => b.len() as u64,
            Body::Generated(n) => *n,
        }
    }
}

const PATTERN_LEN: usize = 1 << 20;

/// The 1 MiB that generated bodies repeat (xorshift bytes: incompressible, not all alike).
fn pattern() -> &'static [u8] {
    static P: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..PATTERN_LEN)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    })
}

/// Byte `i` of a generated body.
pub fn generated_byte(i: u64) -> u8 {
    pattern()[(i % PATTERN_LEN as u64) as usize]
}

/// The first mtime given (2023-11-14T22:13:20Z); each `put` takes the next second.
const FIRST_MTIME: u64 = 1_700_000_000;

/// A file served: its body and its modification time (Unix seconds).
#[derive(Clone)]
struct File {
    body: Body,
    mtime: u64,
}

impl File {
    /// nginx's strong ETag.
    fn etag(&self) -> String {
        format!("\"{:x}-{:x}\"", self.mtime, self.body.len())
    }
}

/// An IMF-fixdate (`Tue, 14 Nov 2023 22:13:20 GMT`) of Unix seconds.
pub fn http_date(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[derive(Default)]
struct State {
    files: HashMap<String, File>,
    /// Seconds after `FIRST_MTIME` of the next file put.
    clock: u64,
    /// Next GET of these paths stops half way (connection closed).
    cut: HashSet<String>,
    /// GETs of these paths announce this many bytes more than they send, then close.
    lie: HashMap<String, u64>,
    /// The next requests (any method) of these paths get this status instead, that many times.
    fail: HashMap<String, (u16, usize)>,
    /// Pause before each GET body, milliseconds.
    delay_ms: u64,
    /// Answer every GET in full (200), as servers without Range support do.
    ignore_range: bool,
    /// Send neither `ETag` nor `Last-Modified` (and so ignore `If-Range`).
    no_validators: bool,
    /// Honour `Range` whatever `If-Range` says (a server that does not know it).
    ignore_if_range: bool,
    /// GET bodies being sent now, and the most at once so far.
    inflight: usize,
    max_inflight: usize,
    seen: Vec<Seen>,
}

/// The server; stops listening when dropped (its threads end with their connections).
pub struct FileServer {
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl FileServer {
    pub fn start() -> FileServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                std::thread::spawn(move || {
                    let _ = conn.set_nodelay(true);
                    while let Ok(true) = serve_one(&conn, &st) {}
                });
            }
        });
        FileServer { base, state }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Serves `body` at `path` (`/presentation/<id>/shapes.svg`); a file put again is a
    /// new version (new mtime, so new `ETag` and `Last-Modified`).
    pub fn put(&self, path: &str, body: &[u8]) {
        self.put_body(path, Body::Bytes(Arc::new(body.to_vec())));
    }

    /// Serves `len` generated bytes at `path` (see [`generated_byte`]).
    pub fn put_generated(&self, path: &str, len: u64) {
        self.put_body(path, Body::Generated(len));
    }

    fn put_body(&self, path: &str, body: Body) {
        let mut s = self.lock();
        let mtime = FIRST_MTIME + s.clock;
        s.clock += 1;
        s.files.insert(path.to_string(), File { body, mtime });
    }

    /// The `ETag` and `Last-Modified` served for `path` now.
    pub fn validators(&self, path: &str) -> Option<(String, String)> {
        self.lock().files.get(path).map(|f| (f.etag(), http_date(f.mtime)))
    }

    pub fn remove(&self, path: &str) {
        self.lock().files.remove(path);
    }

    /// The next GET of `path` sends half of its body, then closes the connection.
    pub fn cut_next(&self, path: &str) {
        self.lock().cut.insert(path.to_string());
    }

    /// Every GET of `path` announces `extra` bytes more than it sends, then closes.
    pub fn lie_about(&self, path: &str, extra: u64) {
        self.lock().lie.insert(path.to_string(), extra);
    }

    /// The next `times` requests of `path` (HEAD or GET) answer `status` (503…) instead.
    pub fn fail_next(&self, path: &str, status: u16, times: usize) {
        self.lock().fail.insert(path.to_string(), (status, times));
    }

    /// Every GET body waits `ms` before it is sent.
    pub fn set_delay(&self, ms: u64) {
        self.lock().delay_ms = ms;
    }

    /// From now on every GET is answered in full (200), whatever its `Range`.
    pub fn ignore_range(&self) {
        self.lock().ignore_range = true;
    }

    /// From now on no `ETag` nor `Last-Modified` is sent (`If-Range` never matches then).
    pub fn no_validators(&self) {
        self.lock().no_validators = true;
    }

    /// From now on `Range` is honoured whatever `If-Range` says.
    pub fn ignore_if_range(&self) {
        self.lock().ignore_if_range = true;
    }

    /// The most GET bodies being sent at the same time so far.
    pub fn max_inflight(&self) -> usize {
        self.lock().max_inflight
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }

    pub fn clear_seen(&self) {
        self.lock().seen.clear();
    }

    /// The requests of `path` with `method` (`GET`, `HEAD`).
    pub fn seen_for(&self, method: &str, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.method == method && s.path == path).collect()
    }

    /// The GETs of `path`.
    pub fn gets(&self, path: &str) -> Vec<Seen> {
        self.seen_for("GET", path)
    }
}

/// Answers one request; `Ok(true)` when the connection may serve another.
fn serve_one(conn: &TcpStream, st: &Mutex<State>) -> std::io::Result<bool> {
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(false);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").split('?').next().unwrap_or("").to_string();
    let (mut range, mut if_range) = (None, None);
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.trim().eq_ignore_ascii_case("range") {
                range = Some(v.trim().to_string());
            } else if k.trim().eq_ignore_ascii_case("if-range") {
                if_range = Some(v.trim().to_string());
            }
        }
    }
    let (file, cut, lie, fail, delay, validators) = {
        let mut s = st.lock().unwrap_or_else(|e| e.into_inner());
        s.seen.push(Seen {
            method: method.clone(),
            path: path.clone(),
            range: range.clone(),
            if_range: if_range.clone(),
        });
        let file = s.files.get(&path).cloned();
        let cut = method == "GET" && s.cut.remove(&path);
        let lie = s.lie.get(&path).copied().filter(|_| method == "GET");
        let fail = match s.fail.get_mut(&path) {
            Some((status, n)) if *n > 0 => {
                *n -= 1;
                Some(*status)
            }
            _ => None,
        };
        let validators = file.as_ref().filter(|_| !s.no_validators).map(|f| (f.etag(), http_date(f.mtime)));
        // nginx: an `If-Range` naming neither the current ETag nor Last-Modified gets the whole file.
        let stale = if_range.as_ref().is_some_and(|v| validators.as_ref().is_none_or(|(e, m)| v != e && v != m));
        if s.ignore_range || (stale && !s.ignore_if_range) {
            range = None;
        }
        (file, cut, lie, fail, s.delay_ms, validators)
    };
    let mut out = conn;
    if let Some(status) = fail {
        out.write_all(format!("HTTP/1.1 {status} Failure On Demand\r\nContent-Length: 4\r\n\r\nbusy").as_bytes())?;
        return Ok(true);
    }
    let Some(File { body, .. }) = file else {
        out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found")?;
        return Ok(true);
    };
    let total = body.len();
    let start = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<u64>().ok());
    let (status, from, extra) = match start {
        Some(s) if s >= total => {
            let head = format!(
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{total}\r\nContent-Length: 0\r\n\r\n"
            );
            out.write_all(head.as_bytes())?;
            return Ok(true);
        }
        Some(s) => ("206 Partial Content", s, format!("Content-Range: bytes {s}-{}/{total}\r\n", total - 1)),
        None => ("200 OK", 0, String::new()),
    };
    let len = total - from;
    let announced = len + lie.unwrap_or(0);
    let validators = validators.map(|(e, m)| format!("ETag: {e}\r\nLast-Modified: {m}\r\n")).unwrap_or_default();
    let head =
        format!("HTTP/1.1 {status}\r\nContent-Length: {announced}\r\nAccept-Ranges: bytes\r\n{validators}{extra}\r\n");
    out.write_all(head.as_bytes())?;
    if method == "HEAD" {
        return Ok(true);
    }
    {
        // Counted while the body waits its delay (the body itself goes out at once).
        let mut s = st.lock().unwrap_or_else(|e| e.into_inner());
        s.inflight += 1;
        s.max_inflight = s.max_inflight.max(s.inflight);
    }
    std::thread::sleep(std::time::Duration::from_millis(delay));
    st.lock().unwrap_or_else(|e| e.into_inner()).inflight -= 1;
    let send = if cut { len / 2 } else { len };
    match &body {
        Body::Bytes(b) => out.write_all(&b[from as usize..(from + send) as usize])?,
        Body::Generated(_) => {
            let p = pattern();
            let mut at = from;
            while at < from + send {
                let off = (at % PATTERN_LEN as u64) as usize;
                let n = ((from + send - at) as usize).min(PATTERN_LEN - off);
                out.write_all(&p[off..off + n])?;
                at += n as u64;
            }
        }
    }
    out.flush()?;
    if cut || lie.is_some() {
        let _ = out.shutdown(std::net::Shutdown::Both);
        return Ok(false);
    }
    Ok(true)
}
