//! Test support: Pod databases on the real servers, a dump of every table,
//! and a real HTTP media server (Range, HEAD, a response cut half way).
#![allow(dead_code)]
use bbb_migrate_db::testing::{schema, TempDb};
use bbb_migrate_db::{Engine, Param, Value};
use plugin_api::abi_stable::std_types::RVec;
use plugin_api::{Owner, Playback, Recording, SinkItem};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A Pod database: the shared PostgreSQL schema (Pod < 4.0.1 sizes, no
/// `state` column) or the MariaDB port of this crate (Pod main).
pub fn pod_db(engine: Engine, tag: &str) -> TempDb {
    let t = TempDb::new(engine, tag);
    match engine {
        Engine::Postgres => {
            t.load_sql(&schema("pod-postgres.sql"));
            // The sample rows carry explicit ids: move the identity sequences past them.
            for table in
                ["auth_user", "authentication_owner", "authentication_owner_sites", "django_site", "recorder_recorder"]
            {
                t.db.execute_batch(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                ))
                .unwrap();
            }
        }
        Engine::MySql => {
            // auth_user and the sample users: the pod resolver's MariaDB port; then the delivery tables.
            t.load_sql(&schema("pod-mariadb.sql"));
            t.load_sql(&schema("pod-sinks-mariadb.sql"));
        }
    }
    t
}

pub fn db_url(t: &TempDb) -> String {
    t.url_string()
}

/// Every row of every table, as text, in a stable order.
pub fn dump(t: &TempDb) -> String {
    let tables_sql = match t.url.engine {
        Engine::Postgres => "SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1",
        Engine::MySql => "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1",
    };
    let tables: Vec<String> = t.db.query(tables_sql, vec![]).unwrap().iter().map(|r| r.text("t")).collect();
    assert!(tables.len() >= 8, "{tables:?}");
    let mut out = String::new();
    for table in tables {
        let sql = match t.url.engine {
            Engine::Postgres => format!("SELECT CAST(x AS TEXT) AS row FROM {table} x ORDER BY 1"),
            Engine::MySql => format!("SELECT * FROM {table} ORDER BY 1"),
        };
        out.push_str(&format!("== {table}\n"));
        for r in t.db.query(&sql, vec![]).unwrap() {
            out.push_str(&format!("{:?}\n", r.values));
        }
    }
    out
}

/// Rows of one query, each as a vector of text (`NULL` for null).
pub fn rows(t: &TempDb, sql: &str, params: Vec<Param>) -> Vec<Vec<String>> {
    t.db.query(sql, params)
        .unwrap()
        .iter()
        .map(|r| {
            r.values
                .iter()
                .map(|v| match v {
                    Value::Null => "NULL".to_string(),
                    Value::Bool(b) => (*b as i64).to_string(),
                    Value::Int(i) => i.to_string(),
                    Value::Str(s) => s.clone(),
                    other => format!("{other:?}"),
                })
                .collect()
        })
        .collect()
}

pub fn count(t: &TempDb, table: &str) -> i64 {
    t.db.query(&format!("SELECT COUNT(*) AS n FROM {table}"), vec![]).unwrap()[0].int("n").unwrap()
}

pub fn owner(username: &str, first: &str, last: &str, email: &str) -> Owner {
    Owner::new(username, email, first, last).found_by("test", "test")
}

pub fn recording(id: &str, name: &str, start_ms: i64, playback: Vec<Playback>) -> Recording {
    Recording {
        record_id: id.into(),
        meeting_id: format!("meeting-{id}").into(),
        internal_meeting_id: id.into(),
        name: name.into(),
        start_ms,
        end_ms: start_ms + 3_600_000,
        state: "published".into(),
        published: true,
        playback: playback.into(),
        ..Default::default()
    }
}

pub fn playback(format: &str, url: &str, extra_json: &str) -> Playback {
    Playback { format: format.into(), url: url.into(), extra_json: extra_json.into(), ..Default::default() }
}

pub fn item(rec: Recording, owners: Vec<Owner>, fallback: bool) -> SinkItem {
    SinkItem { recording: rec, owners: RVec::from(owners), fallback }
}

// ---------------------------------------------------------------------------
// The host binary

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The host and the plugins it needs, built once per test binary (`cargo
/// test` builds neither cdylibs nor other packages' binaries). The host finds
/// the plugins in its own folder.
pub fn host() -> std::path::PathBuf {
    static ONCE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "bbb-migrate", "-p", "bbb-migrate-bbb-cache", "-p", "bbb-migrate-bbb"])
            .args(["-p", "bbb-migrate-csv", "-p", "bbb-migrate-pod-sinks"])
            .args(["-p", "bbb-migrate-moodle", "-p", "bbb-migrate-moodle-notice"])
            .current_dir(root())
            .status()
            .unwrap();
        assert!(status.success(), "cargo build failed");
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| root().join("target"));
        target.join("debug/bbb-migrate")
    })
    .clone()
}

// ---------------------------------------------------------------------------
// HTTP media server

/// One request the server saw.
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub range: Option<String>,
}

#[derive(Default)]
struct State {
    files: HashMap<String, Vec<u8>>,
    /// Paths whose next GET body stops half way (the connection is closed).
    cut: HashSet<String>,
    seen: Vec<Seen>,
    /// Pause before each GET body, milliseconds.
    delay_ms: u64,
    /// Answer every GET in full (200), as servers without Range support do.
    ignore_range: bool,
    inflight: usize,
    max_inflight: usize,
    /// Paths whose next requests (any method) get this status instead, that many times.
    fail: HashMap<String, (u16, usize)>,
}

/// A real HTTP/1.1 server on 127.0.0.1 serving files from memory, with
/// `HEAD`, `Range: bytes=N-` (206 / 416) and one-shot cuts.
pub struct Media {
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl Media {
    pub fn start() -> Media {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, &st);
                });
            }
        });
        Media { base, state }
    }

    pub fn put(&self, path: &str, body: &[u8]) {
        self.state.lock().unwrap().files.insert(path.to_string(), body.to_vec());
    }

    /// The next `times` requests for `path` (HEAD or GET) answer `status` (503…).
    pub fn fail_next(&self, path: &str, status: u16, times: usize) {
        self.state.lock().unwrap().fail.insert(path.to_string(), (status, times));
    }

    pub fn cut_next(&self, path: &str) {
        self.state.lock().unwrap().cut.insert(path.to_string());
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// Every GET body waits `ms` before it is sent (to observe parallelism).
    pub fn set_delay(&self, ms: u64) {
        self.state.lock().unwrap().delay_ms = ms;
    }

    pub fn ignore_range(&self) {
        self.state.lock().unwrap().ignore_range = true;
    }

    /// The most GET bodies being sent at the same time so far.
    pub fn max_inflight(&self) -> usize {
        self.state.lock().unwrap().max_inflight
    }

    pub fn clear(&self) {
        self.state.lock().unwrap().seen.clear();
    }

    /// The requests for `path` with `method`.
    pub fn seen_for(&self, method: &str, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.method == method && s.path == path).collect()
    }
}

fn serve(conn: TcpStream, st: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut range = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.trim().eq_ignore_ascii_case("range") {
                range = Some(v.trim().to_string());
            }
        }
    }
    let (body, cut, fail) = {
        let mut s = st.lock().unwrap();
        s.seen.push(Seen { method: method.clone(), path: path.clone(), range: range.clone() });
        let body = s.files.get(&path).cloned();
        let cut = method == "GET" && s.cut.remove(&path);
        let fail = match s.fail.get_mut(&path) {
            Some((status, n)) if *n > 0 => {
                *n -= 1;
                Some(*status)
            }
            _ => None,
        };
        (body, cut, fail)
    };
    let mut out = conn;
    if let Some(status) = fail {
        let head =
            format!("HTTP/1.1 {status} Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy");
        out.write_all(head.as_bytes())?;
        return Ok(());
    }
    let Some(body) = body else {
        out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found")?;
        return Ok(());
    };
    let range = if st.lock().unwrap().ignore_range { None } else { range };
    let total = body.len();
    let start = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok());
    let (status, slice, extra) = match start {
        Some(s) if s >= total => {
            let head = format!("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{total}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            out.write_all(head.as_bytes())?;
            return Ok(());
        }
        Some(s) => ("206 Partial Content", &body[s..], format!("Content-Range: bytes {s}-{}/{total}\r\n", total - 1)),
        None => ("200 OK", &body[..], String::new()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\n{extra}Connection: close\r\n\r\n",
        slice.len()
    );
    out.write_all(head.as_bytes())?;
    if method == "HEAD" {
        return Ok(());
    }
    let delay = {
        let mut s = st.lock().unwrap();
        s.inflight += 1;
        s.max_inflight = s.max_inflight.max(s.inflight);
        s.delay_ms
    };
    std::thread::sleep(std::time::Duration::from_millis(delay));
    st.lock().unwrap().inflight -= 1;
    if cut {
        out.write_all(&slice[..slice.len() / 2])?;
        out.flush()?;
        let _ = out.shutdown(std::net::Shutdown::Both);
        return Ok(());
    }
    out.write_all(slice)?;
    out.flush()
}

/// Deterministic bytes that look like nothing in particular.
pub fn media_bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| ((i * 31 + seed as usize * 7) % 251) as u8).collect()
}
