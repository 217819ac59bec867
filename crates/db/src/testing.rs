//! Throwaway databases for tests (used by every SQL plugin's tests).
//!
//! Servers: `BBB_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/mysql`)
//! and `BBB_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! A test fails (never skips) when the server is unreachable.

use crate::{Db, DbUrl, Engine, Param, Value};

/// A uniquely named database, created on `new`, dropped on `Drop`.
pub struct TempDb {
    pub url: DbUrl,
    pub db: Db,
    admin: Db,
}

/// The admin URL of the test server of `engine`.
pub fn server_url(engine: Engine) -> DbUrl {
    let (var, default) = match engine {
        Engine::MySql => ("BBB_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/mysql"),
        Engine::Postgres => ("BBB_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    };
    std::env::var(var).unwrap_or_else(|_| default.to_string()).parse().expect("bad test server URL")
}

impl TempDb {
    /// Creates `t_<tag>_<pid>_<n>` on the test server of `engine`.
    pub fn new(engine: Engine, tag: &str) -> TempDb {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let tag: String =
            tag.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
        let name = format!("t_{tag}_{}_{n}", std::process::id());
        let server = server_url(engine);
        let admin = Db::new(&server).expect("admin pool");
        let q = match engine {
            Engine::MySql => format!("DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"),
            Engine::Postgres => format!("DROP DATABASE IF EXISTS \"{name}\""),
        };
        admin.execute_batch(&q).unwrap_or_else(|e| panic!("test server {}: {e}", server));
        if engine == Engine::Postgres {
            admin.execute_batch(&format!("CREATE DATABASE \"{name}\"")).unwrap_or_else(|e| panic!("{e}"));
        }
        let url = server.with_database(&name);
        let db = Db::new(&url).expect("pool");
        TempDb { url, db, admin }
    }

    /// Runs SQL text statement by statement (statements end with `;` at end of line; `--` comment lines dropped).
    pub fn load_sql(&self, text: &str) {
        for stmt in split_sql(text) {
            self.db.execute_batch(&stmt).unwrap_or_else(|e| panic!("loading into {}: {e}\n{stmt}", self.url));
        }
    }
}

/// The text of `testdata/schemas/<name>` (the schemas and sample rows the
/// tests load; origins in testdata/SOURCES.md).
pub fn schema(name: &str) -> String {
    let path = plugin_api::sdk::testing::testdata(&format!("schemas/{name}"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

impl TempDb {
    /// The database's URL as a config would hold it (the test servers have no password).
    pub fn url_string(&self) -> String {
        self.url.redacted()
    }
}

/// A Pod database for the sinks' tests: on PostgreSQL the Pod schema (Pod < 4.0.1
/// sizes, no `state` column) with its sample rows, the identity sequences moved past
/// them; on MariaDB the `pod` resolver's port plus the delivery tables (Pod main).
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
            t.load_sql(&schema("pod-mariadb.sql"));
            t.load_sql(&schema("pod-sinks-mariadb.sql"));
        }
    }
    t
}

/// Every row of every table of a [`pod_db`], as text, in a stable order (to
/// compare a database before and after).
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

/// The number of rows of `table`.
pub fn count(t: &TempDb, table: &str) -> i64 {
    t.db.query(&format!("SELECT COUNT(*) AS n FROM {table}"), vec![]).unwrap()[0].int("n").unwrap()
}

/// A recording as a source would list it (tests of resolvers and sinks).
pub fn recording(record_id: &str, meeting_id: &str, meta: &[(&str, &str)]) -> plugin_api::Recording {
    plugin_api::Recording {
        record_id: record_id.into(),
        meeting_id: meeting_id.into(),
        name: format!("recording {record_id}").into(),
        metadata: meta
            .iter()
            .map(|(k, v)| plugin_api::abi_stable::std_types::Tuple2((*k).into(), (*v).into()))
            .collect(),
        ..Default::default()
    }
}

/// A breakout room's recording as a source lists it: its own recordID and
/// meetingID (`<recordID hash>-1`), the parent's metadata `meta`, and the
/// parent's internal id in `extra_json` (`breakout_parentId`).
pub fn breakout(record_id: &str, parent: &str, meta: &[(&str, &str)]) -> plugin_api::Recording {
    let hash = record_id.split('-').next().unwrap_or(record_id);
    let mut r = recording(record_id, &format!("{hash}-1"), meta);
    r.is_breakout = true;
    r.extra_json = serde_json::json!({ "breakout_parentId": parent, "breakout_sequence": "1" }).to_string().into();
    r
}

/// Splits SQL text: drops `--` comment lines, splits on `;` at end of line.
pub fn split_sql(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("--") {
            continue;
        }
        cur.push_str(line);
        cur.push('\n');
        if line.trim_end().ends_with(';') {
            let s = cur.trim().trim_end_matches(';').trim().to_string();
            if !s.is_empty() {
                out.push(s);
            }
            cur.clear();
        }
    }
    let s = cur.trim().to_string();
    if !s.is_empty() {
        out.push(s);
    }
    out
}

impl Drop for TempDb {
    fn drop(&mut self) {
        self.db.close();
        let name = &self.url.database;
        let q = match self.url.engine {
            Engine::MySql => format!("DROP DATABASE IF EXISTS `{name}`"),
            Engine::Postgres => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        };
        let _ = self.admin.execute_batch(&q);
        self.admin.close();
    }
}
