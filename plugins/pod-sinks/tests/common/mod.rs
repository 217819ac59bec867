//! Test support: Pod databases on the real servers, a dump of every table,
//! the host binary, and the real HTTP media server of `bbb-testserver`.
#![allow(dead_code)]
use bbb_migrate_db::testing::{schema, TempDb};
use bbb_migrate_db::{Engine, Param, Value};
use plugin_api::abi_stable::std_types::RVec;
use plugin_api::{Owner, Playback, Recording, SinkItem};

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

/// The host and the plugins these tests need, built once per test binary.
pub fn host() -> std::path::PathBuf {
    static ONCE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        bbb_testserver::host_binary(&[
            "bbb-migrate-bbb-cache",
            "bbb-migrate-bbb",
            "bbb-migrate-csv",
            "bbb-migrate-pod-sinks",
            "bbb-migrate-moodle",
            "bbb-migrate-moodle-notice",
        ])
    })
    .clone()
}

/// Serves every file below `dir` at `<prefix>/<relative path>`.
pub fn serve_tree(server: &bbb_testserver::files::FileServer, dir: &std::path::Path, prefix: &str) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        let name = format!("{prefix}/{}", p.file_name().unwrap().to_string_lossy());
        if p.is_dir() {
            serve_tree(server, &p, &name);
        } else {
            server.put(&name, &std::fs::read(&p).unwrap());
        }
    }
}

/// Deterministic bytes that look like nothing in particular.
pub fn media_bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| ((i * 31 + seed as usize * 7) % 251) as u8).collect()
}

/// A saved `getRecordings` answer of `n` published recordings with a `video`
/// playback each, served by `media` (page and `video-0.webm` of
/// `size_base + i` bytes); returns the XML.
pub fn video_listing(media: &bbb_testserver::files::FileServer, n: u8, size_base: usize) -> String {
    let mut xml = String::from("<response><returncode>SUCCESS</returncode><recordings>");
    for i in 0..n {
        let id = format!("{:040x}-{}", i, 1_700_000_000_000u64 + i as u64);
        media.put(&format!("/playback/video/{id}/"), b"<video><source src=\"video-0.webm\"></video>");
        media.put(&format!("/playback/video/{id}/video-0.webm"), &media_bytes(size_base + i as usize, i));
        xml.push_str(&format!(
            "<recording><recordID>{id}</recordID><meetingID>m-{i}</meetingID><internalMeetingID>{id}</internalMeetingID>\
             <name>Réunion {i}</name><published>true</published><state>published</state>\
             <startTime>{}</startTime><endTime>{}</endTime><metadata></metadata>\
             <playback><format><type>video</type><url>{}/playback/video/{id}/</url><length>1</length></format></playback></recording>",
            1_700_000_000_000u64 + i as u64,
            1_700_000_060_000u64 + i as u64,
            media.base
        ));
    }
    xml.push_str("</recordings></response>");
    xml
}
