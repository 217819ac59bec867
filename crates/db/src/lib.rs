//! Shared SQL access for bbb-migrate plugins (resolvers and sinks): one
//! connection-URL type, one pooled database handle over MariaDB/MySQL
//! (`mysql_async`) and PostgreSQL (`tokio-postgres` + `deadpool-postgres`),
//! and the per-origin-server database map of `[resolvers.databases]` /
//! `[sinks.databases]`.
//!
//! # How to use it
//!
//! ```toml
//! [dependencies]
//! bbb-migrate-db = { path = "../db" }
//! ```
//!
//! ```no_run
//! use bbb_migrate_db::{Db, DbUrl, DbMap, Param, Row, TxMode};
//! # fn main() -> Result<(), plugin_api::PluginError> {
//! // A single database (`database = "postgres://pod@db4/pod"`):
//! let url: DbUrl = "postgres://pod@127.0.0.1/pod".parse().map_err(|e: String| plugin_api::PluginError::config("database", e))?;
//! let db = Db::new(&url)?;           // lazy: no connection yet
//! db.ping()?;                         // connects; error = one line naming host and database
//! // Read-only transaction, `?` placeholders on both engines (translated to `$n` for PostgreSQL):
//! let rows: Vec<Row> = db.transaction(TxMode::ReadOnly, |tx| {
//!     Box::pin(async move {
//!         tx.query("SELECT username FROM auth_user WHERE id IN (?, ?)", vec![Param::Int(1), Param::Int(2)]).await
//!     })
//! })?;
//! for r in &rows { let _name: Option<String> = r.str("username"); }
//!
//! // Several Moodle sites keyed by `bbb-origin-server-name`, plus "default":
//! let map = DbMap::from_config("databases", &std::collections::BTreeMap::from([
//!     ("default".to_string(), "mysql://moodle:pw@db1/moodle".to_string()),
//! ]))?;
//! let _db_for_recording: Option<(&str, &Db)> = map.for_server(Some("moodle.univ.fr"));
//! # Ok(()) }
//! ```
//!
//! Every method is synchronous: it runs on the plugin's own runtime through
//! [`plugin_api::sdk::runtime::block_on`]. Never call them from inside a
//! future running on that runtime (use the `async` [`Tx`] methods there).
//!
//! SQL text is written with `?` placeholders; for PostgreSQL they are
//! rewritten to `$1, $2…` (outside of quotes). Use [`placeholders`] to build
//! `IN (?, ?, ?)` lists. Values are always bound as parameters, never
//! formatted into the SQL. On PostgreSQL a parameter adapts to the type the
//! server infers for its placeholder (`Param::Int` binds to int2/int4/int8,
//! `Param::Str` to text/varchar/uuid); where nothing can be inferred, cast
//! (`?::text`).
//! Result columns are read by name with [`Row::int`], [`Row::str`], [`Row::bool`]:
//! they accept any integer width, text, and (PostgreSQL) uuid/bool values.
//!
//! Errors are [`PluginError`]s of one line that name the culprit as
//! `mysql://user:***@host:port/db`: the password is never shown.

use plugin_api::sdk::runtime::block_on;
use plugin_api::PluginError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

pub use plugin_api::sdk::Secret;

mod tls;
pub use tls::{Tls, TlsMode};

// ---------------------------------------------------------------------------
// DbUrl

/// The SQL engine a [`DbUrl`] points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// `mysql://` or `mariadb://`
    MySql,
    /// `postgres://` or `postgresql://`
    Postgres,
}

/// A parsed connection URL: `mysql://user:pw@host:port/db`,
/// `mariadb://…`, `postgres://user@host/db`, `postgresql://…`.
/// User and password may be percent-encoded. `Display`/`Debug` print the
/// redacted form (`mysql://moodle:***@db1/moodle`).
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl {
    pub engine: Engine,
    pub user: String,
    pub password: Option<Secret>,
    pub host: String,
    pub port: Option<u16>,
    pub database: String,
    /// `?sslmode=` / `?ssl-mode=` and the CA file (see the `tls` module).
    pub tls: Tls,
    scheme: String,
}

impl DbUrl {
    /// `scheme://user:***@host[:port]/db` (the password, if any, as `***`).
    pub fn redacted(&self) -> String {
        let mut s = format!("{}://", self.scheme);
        if !self.user.is_empty() {
            s.push_str(&self.user);
            if self.password.is_some() {
                s.push_str(":***");
            }
            s.push('@');
        }
        if self.host.contains(':') {
            s.push_str(&format!("[{}]", self.host));
        } else {
            s.push_str(&self.host);
        }
        if let Some(p) = self.port {
            s.push_str(&format!(":{p}"));
        }
        s.push('/');
        s.push_str(&self.database);
        s.push_str(&self.tls.query(self.engine == Engine::Postgres));
        s
    }

    /// The port, or the engine's default (3306 / 5432).
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(match self.engine {
            Engine::MySql => 3306,
            Engine::Postgres => 5432,
        })
    }

    /// The same server, another database (tests: create/drop throwaway databases).
    pub fn with_database(&self, database: &str) -> DbUrl {
        DbUrl { database: database.to_string(), ..self.clone() }
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

fn pct_decode(s: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| "percent-encoded user or password is not UTF-8".to_string())
}

impl FromStr for DbUrl {
    type Err = String;

    /// Parses a URL. The error never contains the password.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (scheme, rest) = s.split_once("://").ok_or_else(|| {
            "not a database URL: expected mysql://, mariadb://, postgres:// or postgresql://".to_string()
        })?;
        let scheme_l = scheme.to_ascii_lowercase();
        let engine = match scheme_l.as_str() {
            "mysql" | "mariadb" => Engine::MySql,
            "postgres" | "postgresql" => Engine::Postgres,
            _ => {
                let shown: String = scheme.chars().take(20).collect();
                return Err(format!(
                    "unsupported database URL scheme `{shown}`: use mysql://, mariadb://, postgres:// or postgresql://"
                ));
            }
        };
        // authority = up to the first '/', '?' or '#' after the last '@' (passwords may contain '/').
        let (userinfo, after) = match rest.rfind('@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let hostport = &after[..end];
        let path = &after[end..];
        let (user, password) = match userinfo {
            None => (String::new(), None),
            Some(ui) => match ui.split_once(':') {
                Some((u, p)) => (pct_decode(u)?, Some(Secret::new(pct_decode(p)?))),
                None => (pct_decode(ui)?, None),
            },
        };
        let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
            let (h, tail) = h.split_once(']').ok_or("unclosed `[` in the host of the database URL")?;
            let port = match tail.strip_prefix(':') {
                Some(p) => Some(p.parse::<u16>().map_err(|_| format!("bad port `{p}` in the database URL"))?),
                None if tail.is_empty() => None,
                None => return Err("unexpected text after `]` in the database URL".into()),
            };
            (h.to_string(), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => {
                    (h.to_string(), Some(p.parse::<u16>().map_err(|_| format!("bad port `{p}` in the database URL"))?))
                }
                None => (hostport.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(format!("database URL `{scheme_l}://…` has no host"));
        }
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let database = path.strip_prefix('/').unwrap_or(path);
        let database = database.split('#').next().unwrap_or("");
        let database = pct_decode(database)?;
        if database.is_empty() || database.contains('/') {
            return Err(format!("database URL `{scheme_l}://{host}` names no database (expected …/<database>)"));
        }
        let tls = Tls::from_query(query.split('#').next().unwrap_or(""), engine == Engine::Postgres)
            .map_err(|e| format!("database URL `{scheme_l}://{host}/{database}`: {e}"))?;
        Ok(DbUrl { engine, user, password, host, port, database, tls, scheme: scheme_l })
    }
}

impl<'de> Deserialize<'de> for DbUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------
// Values

/// A query parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    Int(i64),
    Str(String),
    Bool(bool),
    Null,
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Str(v.to_string())
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Str(v)
    }
}
impl From<bool> for Param {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}

/// A value read from a result row.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Bytes(Vec<u8>),
}

/// A result row: column names and values (engine-independent).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Row {
    pub columns: std::sync::Arc<Vec<String>>,
    pub values: Vec<Value>,
}

impl Row {
    /// The value of a column by name (case-sensitive; `None` if absent).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.columns.iter().position(|c| c == name).map(|i| &self.values[i])
    }
    /// Integer (any width; text holding an integer; bool as 0/1). `None` for NULL.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            Value::Int(v) => Some(*v),
            Value::Bool(b) => Some(*b as i64),
            Value::Float(f) => Some(*f as i64),
            Value::Str(s) => s.trim().parse().ok(),
            Value::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
            Value::Null => None,
        }
    }
    /// Text (numbers are formatted). `None` for NULL.
    pub fn str(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            Value::Str(s) => Some(s.clone()),
            Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
            Value::Int(v) => Some(v.to_string()),
            Value::Float(v) => Some(v.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null => None,
        }
    }
    /// Text or `""` for NULL/absent.
    pub fn text(&self, name: &str) -> String {
        self.str(name).unwrap_or_default()
    }
    /// Boolean (non-zero integers, `t`/`true`/`1`). `None` for NULL.
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.get(name)? {
            Value::Bool(b) => Some(*b),
            Value::Null => None,
            _ => match self.str(name)?.to_ascii_lowercase().as_str() {
                "t" | "true" | "y" | "yes" => Some(true),
                "f" | "false" | "n" | "no" | "" => Some(false),
                other => other.parse::<i64>().ok().map(|v| v != 0),
            },
        }
    }
}

/// `?, ?, ?` with `n` placeholders (at least one: `n = 0` gives `NULL`, which matches nothing in `IN (…)`).
pub fn placeholders(n: usize) -> String {
    if n == 0 {
        return "NULL".into();
    }
    vec!["?"; n].join(", ")
}

/// Rewrites `?` placeholders to `$1…$n` (PostgreSQL), leaving quoted text alone.
pub fn to_dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                out.push(c);
            }
            None => match c {
                '\'' | '"' | '`' => {
                    quote = Some(c);
                    out.push(c);
                }
                '?' => {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                }
                _ => out.push(c),
            },
        }
    }
    out
}

/// Pads every `IN (?, ?, …)` list to the next power of two placeholders by
/// repeating its last parameter (same rows, fewer distinct statement texts:
/// the prepared-statement caches of both drivers then hit batch after batch).
/// Lists written otherwise (`IN (NULL)`, subqueries, literals) are left alone.
pub fn pad_in_lists(sql: &str, params: Vec<Param>) -> (String, Vec<Param>) {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 32);
    // (index of the list's last parameter, copies to add)
    let mut pads: Vec<(usize, usize)> = Vec::new();
    let mut n = 0usize; // placeholders seen
    let mut quote: Option<u8> = None;
    let mut i = 0;
    let mut last = 0; // bytes of `sql` copied so far
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match c {
            b'\'' | b'"' | b'`' => quote = Some(c),
            b'?' => n += 1,
            b'I' | b'i'
                if (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
                    && i + 1 < b.len()
                    && b[i + 1].eq_ignore_ascii_case(&b'n') =>
            {
                // `IN` then spaces then `(`, then only `?`, `,` and spaces up to `)`.
                let mut j = i + 2;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j < b.len() && b[j] == b'(' && j > i + 1 {
                    let mut k = j + 1;
                    let mut count: usize = 0;
                    let mut ok = true;
                    while k < b.len() && b[k] != b')' {
                        match b[k] {
                            b'?' => count += 1,
                            b',' => {}
                            x if x.is_ascii_whitespace() => {}
                            _ => {
                                ok = false;
                                break;
                            }
                        }
                        k += 1;
                    }
                    if ok && k < b.len() && count > 0 {
                        let target = count.next_power_of_two();
                        out.push_str(&sql[last..j]);
                        out.push('(');
                        out.push_str(&vec!["?"; target].join(", "));
                        out.push(')');
                        last = k + 1;
                        n += count;
                        if target > count {
                            pads.push((n - 1, target - count));
                        }
                        i = k + 1;
                        continue;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(&sql[last..]);
    if pads.is_empty() || n != params.len() {
        // Nothing to pad, or placeholders we did not understand: leave the statement as written.
        return (if pads.is_empty() { out } else { sql.to_string() }, params);
    }
    let mut padded = Vec::with_capacity(params.len() + pads.iter().map(|p| p.1).sum::<usize>());
    let mut next = pads.iter().peekable();
    for (idx, p) in params.into_iter().enumerate() {
        padded.push(p.clone());
        while let Some(&&(at, copies)) = next.peek() {
            if at != idx {
                break;
            }
            padded.extend((0..copies).map(|_| p.clone()));
            next.next();
        }
    }
    (out, padded)
}

// ---------------------------------------------------------------------------
// Statistics

/// Process-wide counters (benchmarks, logs). Each plugin `.so` has its own copy.
pub mod stats {
    use std::sync::atomic::{AtomicU64, Ordering};

    pub(crate) static ROUND_TRIPS: AtomicU64 = AtomicU64::new(0);

    /// Statements sent to any database so far (each query, execute, BEGIN and COMMIT counts one).
    pub fn round_trips() -> u64 {
        ROUND_TRIPS.load(Ordering::Relaxed)
    }

    pub(crate) fn count() {
        ROUND_TRIPS.fetch_add(1, Ordering::Relaxed);
    }
}

// ---------------------------------------------------------------------------
// Db

/// Transaction mode: resolvers read, sinks write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxMode {
    ReadOnly,
    ReadWrite,
}

/// Pool size per database (connections are opened on demand).
pub const POOL_MAX: usize = 4;
/// Time allowed to open a connection before the database is declared unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

enum Inner {
    /// The pool, and for `ssl-mode=PREFERRED` one without TLS for servers that offer none.
    MySql(mysql_async::Pool, Option<mysql_async::Pool>),
    Postgres(deadpool_postgres::Pool),
}

/// A pooled handle to one database. Cheap to share (`&Db` is `Sync`);
/// connections are opened lazily and reused.
pub struct Db {
    url: DbUrl,
    inner: Inner,
}

/// The boxed future a transaction closure returns.
pub type TxFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, PluginError>> + Send + 'a>>;

/// An open transaction (or, for [`Db::query`], a plain connection).
#[allow(clippy::large_enum_variant)]
pub enum Tx {
    MySql(mysql_async::Conn, DbUrl),
    Postgres(deadpool_postgres::Object, DbUrl),
}

impl Db {
    /// A handle for `url`. Does not connect (see [`Db::ping`]).
    pub fn new(url: &DbUrl) -> Result<Self, PluginError> {
        let inner = match url.engine {
            Engine::MySql => {
                let opts = mysql_async::OptsBuilder::default()
                    .ip_or_hostname(url.host.clone())
                    .tcp_port(url.port_or_default())
                    .user(Some(url.user.clone()).filter(|u| !u.is_empty()))
                    .pass(url.password.as_ref().map(|p| p.expose().to_string()))
                    .db_name(Some(url.database.clone()))
                    .prefer_socket(false)
                    .ssl_opts(tls::mysql_ssl_opts(&url.tls)?)
                    .stmt_cache_size(256)
                    .pool_opts(
                        mysql_async::PoolOpts::default()
                            .with_constraints(mysql_async::PoolConstraints::new(0, POOL_MAX).expect("0 <= POOL_MAX"))
                            .with_inactive_connection_ttl(Duration::from_secs(60))
                            // Keep prepared statements across checkouts: every transaction starts with a
                            // ROLLBACK and ends with COMMIT/ROLLBACK, and no session variable is ever set.
                            .with_reset_connection(false),
                    );
                // PREFERRED: a second pool without TLS for a server that offers none.
                let plain = (url.tls.mode == TlsMode::Prefer)
                    .then(|| mysql_async::OptsBuilder::from_opts(opts.clone()).ssl_opts(None));
                let pools = block_on(async move { (mysql_async::Pool::new(opts), plain.map(mysql_async::Pool::new)) });
                Inner::MySql(pools.0, pools.1)
            }
            Engine::Postgres => {
                let mut cfg = tokio_postgres::Config::new();
                cfg.host(&url.host).port(url.port_or_default()).dbname(&url.database).connect_timeout(CONNECT_TIMEOUT);
                cfg.user(if url.user.is_empty() { "postgres" } else { &url.user });
                if let Some(p) = &url.password {
                    cfg.password(p.expose());
                }
                cfg.application_name("bbb-migrate");
                let mgr_cfg =
                    deadpool_postgres::ManagerConfig { recycling_method: deadpool_postgres::RecyclingMethod::Fast };
                let mgr = match url.tls.mode {
                    TlsMode::Disable => deadpool_postgres::Manager::from_config(cfg, tokio_postgres::NoTls, mgr_cfg),
                    mode => {
                        cfg.ssl_mode(if mode == TlsMode::Prefer {
                            tokio_postgres::config::SslMode::Prefer
                        } else {
                            tokio_postgres::config::SslMode::Require
                        });
                        let connector = tls::MakeRustls(tls::client_config(&url.tls)?);
                        deadpool_postgres::Manager::from_config(cfg, connector, mgr_cfg)
                    }
                };
                let pool = deadpool_postgres::Pool::builder(mgr)
                    .max_size(POOL_MAX)
                    .runtime(deadpool_postgres::Runtime::Tokio1)
                    .create_timeout(Some(CONNECT_TIMEOUT))
                    .wait_timeout(Some(Duration::from_secs(300)))
                    .build()
                    .map_err(|e| {
                        PluginError::other(format!("{}: cannot build the connection pool: {e}", url.redacted()))
                    })?;
                Inner::Postgres(pool)
            }
        };
        Ok(Db { url: url.clone(), inner })
    }

    pub fn url(&self) -> &DbUrl {
        &self.url
    }

    pub fn engine(&self) -> Engine {
        self.url.engine
    }

    /// Opens (or reuses) a connection and runs `SELECT 1`. The error is one
    /// line: `cannot connect to database moodle on db1:3306 (mysql://moodle:***@db1/moodle): …`.
    pub fn ping(&self) -> Result<(), PluginError> {
        self.run(|tx| Box::pin(async move { tx.query("SELECT 1", vec![]).await.map(|_| ()) }))
    }

    /// Gets a pooled connection (async).
    pub async fn conn(&self) -> Result<Tx, PluginError> {
        match &self.inner {
            Inner::MySql(pool, plain) => {
                let get = |pool: &mysql_async::Pool| {
                    let pool = pool.clone();
                    async move {
                        tokio::time::timeout(CONNECT_TIMEOUT, pool.get_conn())
                            .await
                            .map_err(|_| connect_error(&self.url, "timed out"))
                    }
                };
                let c = match (get(pool).await?, plain) {
                    (
                        Err(mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer)),
                        Some(plain),
                    ) => get(plain).await?,
                    (r, _) => r,
                }
                .map_err(|e| connect_error(&self.url, &error_chain(&e)))?;
                Ok(Tx::MySql(c, self.url.clone()))
            }
            Inner::Postgres(pool) => {
                let c = pool.get().await.map_err(|e| connect_error(&self.url, &pg_pool_error(&e)))?;
                Ok(Tx::Postgres(c, self.url.clone()))
            }
        }
    }

    /// Runs `f` on a pooled connection, outside of any explicit transaction.
    pub fn run<T, F>(&self, f: F) -> Result<T, PluginError>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut Tx) -> TxFuture<'t, T> + Send + 'static,
    {
        let me = self.clone_handle();
        block_on(async move {
            let mut tx = me.conn().await?;
            f(&mut tx).await
        })
    }

    /// Runs `f` inside one transaction (read-only for resolvers, read-write for
    /// sinks): committed if `f` returns `Ok`, rolled back otherwise.
    pub fn transaction<T, F>(&self, mode: TxMode, f: F) -> Result<T, PluginError>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut Tx) -> TxFuture<'t, T> + Send + 'static,
    {
        let me = self.clone_handle();
        block_on(async move { me.transaction_async(mode, f).await })
    }

    /// The async form of [`Db::transaction`], for code already on the plugin runtime.
    pub async fn transaction_async<T, F>(&self, mode: TxMode, f: F) -> Result<T, PluginError>
    where
        F: for<'t> FnOnce(&'t mut Tx) -> TxFuture<'t, T>,
    {
        let mut tx = self.conn().await?;
        // The leading ROLLBACK (same round trip) ends whatever a previous user of
        // this pooled connection left open (a panic between BEGIN and COMMIT):
        // `START TRANSACTION` would otherwise commit it, and PostgreSQL's BEGIN
        // would carry on inside it.
        let begin = match (self.url.engine, mode) {
            (Engine::MySql, TxMode::ReadOnly) => "ROLLBACK; START TRANSACTION READ ONLY",
            (Engine::MySql, TxMode::ReadWrite) => "ROLLBACK; START TRANSACTION READ WRITE",
            (Engine::Postgres, TxMode::ReadOnly) => "ROLLBACK; BEGIN READ ONLY",
            (Engine::Postgres, TxMode::ReadWrite) => "ROLLBACK; BEGIN READ WRITE",
        };
        tx.execute_batch(begin).await?;
        match f(&mut tx).await {
            Ok(v) => {
                tx.execute_batch("COMMIT").await?;
                Ok(v)
            }
            Err(e) => {
                // Best effort: a broken connection rolls back by itself.
                let _ = tx.execute_batch("ROLLBACK").await;
                Err(e)
            }
        }
    }

    /// One query, outside an explicit transaction.
    pub fn query(&self, sql: &str, params: Vec<Param>) -> Result<Vec<Row>, PluginError> {
        let sql = sql.to_string();
        self.run(move |tx| Box::pin(async move { tx.query(&sql, params).await }))
    }

    /// Runs SQL text with several `;`-separated statements and no parameters
    /// (schema loading in tests, `CREATE DATABASE`…).
    pub fn execute_batch(&self, sql: &str) -> Result<(), PluginError> {
        let sql = sql.to_string();
        self.run(move |tx| Box::pin(async move { tx.execute_batch(&sql).await }))
    }

    /// Closes the pool's idle connections (call from `close()`).
    pub fn close(&self) {
        match &self.inner {
            Inner::MySql(pool, plain) => {
                let pools: Vec<_> = std::iter::once(pool).chain(plain.as_ref()).cloned().collect();
                block_on(async move {
                    for p in pools {
                        let _ = p.disconnect().await;
                    }
                });
            }
            Inner::Postgres(pool) => pool.close(),
        }
    }

    fn clone_handle(&self) -> Db {
        let inner = match &self.inner {
            Inner::MySql(p, plain) => Inner::MySql(p.clone(), plain.clone()),
            Inner::Postgres(p) => Inner::Postgres(p.clone()),
        };
        Db { url: self.url.clone(), inner }
    }
}

impl Clone for Db {
    /// Another handle on the same pool.
    fn clone(&self) -> Self {
        self.clone_handle()
    }
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Db({})", self.url.redacted())
    }
}

/// `cannot connect to database <db> on <host>:<port> (<redacted url>): <reason>` — one line, no password.
pub fn connect_error(url: &DbUrl, reason: &str) -> PluginError {
    // Drivers repeat themselves ("Input/output error: Input/output error: …"): say it once.
    let mut parts: Vec<&str> = reason.split(": ").collect();
    parts.dedup();
    let mut reason = tls::explain(&parts.join(": "), url.engine == Engine::Postgres);
    if let Some(p) = &url.password {
        if !p.expose().is_empty() {
            reason = reason.replace(p.expose(), "***");
        }
    }
    PluginError::connect(format!(
        "cannot connect to database {} on {}:{} ({}): {}",
        url.database,
        url.host,
        url.port_or_default(),
        url.redacted(),
        reason
    ))
}

fn pg_pool_error(e: &deadpool_postgres::PoolError) -> String {
    use deadpool_postgres::PoolError;
    match e {
        PoolError::Backend(b) => pg_error_text(b),
        PoolError::Timeout(_) => "timed out".into(),
        other => other.to_string(),
    }
}

fn pg_error_text(e: &tokio_postgres::Error) -> String {
    error_chain(e)
}

pub use plugin_api::sdk::text::error_chain;

fn query_error(url: &DbUrl, sql: &str, e: String) -> PluginError {
    let first: String = sql.split_whitespace().take(6).collect::<Vec<_>>().join(" ");
    PluginError::data(format!("{}: query `{first} …` failed: {e}", url.redacted()))
}

/// Is this error a lost/refused connection (the recording should be retried) rather than bad SQL?
pub fn is_connect_error(e: &PluginError) -> bool {
    e.kind == plugin_api::ErrorKind::CONNECT
}

impl Tx {
    pub fn engine(&self) -> Engine {
        match self {
            Tx::MySql(..) => Engine::MySql,
            Tx::Postgres(..) => Engine::Postgres,
        }
    }

    pub fn url(&self) -> &DbUrl {
        match self {
            Tx::MySql(_, u) | Tx::Postgres(_, u) => u,
        }
    }

    /// Runs a query with `?` placeholders and returns all rows.
    pub async fn query(&mut self, sql: &str, params: Vec<Param>) -> Result<Vec<Row>, PluginError> {
        stats::count();
        let (padded, params) = pad_in_lists(sql, params);
        let sql = padded.as_str();
        match self {
            Tx::MySql(conn, url) => {
                use mysql_async::prelude::Queryable;
                let params = my_params(params);
                let rows: Vec<mysql_async::Row> = conn.exec(sql, params).await.map_err(|e| my_error(url, sql, e))?;
                let columns = std::sync::Arc::new(
                    rows.first()
                        .map(|r| r.columns_ref().iter().map(|c| c.name_str().into_owned()).collect::<Vec<String>>())
                        .unwrap_or_default(),
                );
                Ok(rows
                    .into_iter()
                    .map(|r| Row { columns: columns.clone(), values: r.unwrap().into_iter().map(my_value).collect() })
                    .collect())
            }
            Tx::Postgres(client, url) => {
                let sql2 = to_dollar_placeholders(sql);
                let boxed = pg_params(params);
                let refs = pg_refs(&boxed);
                let stmt = client.prepare_cached(&sql2).await.map_err(|e| pg_error(url, sql, &e))?;
                let rows = client.query(&stmt, &refs).await.map_err(|e| pg_error(url, sql, &e))?;
                let columns = std::sync::Arc::new(
                    rows.first()
                        .map(|r| r.columns().iter().map(|c| c.name().to_string()).collect::<Vec<String>>())
                        .unwrap_or_default(),
                );
                rows.iter()
                    .map(|r| {
                        let values = (0..r.len()).map(|i| pg_value(r, i)).collect::<Result<Vec<_>, String>>();
                        values
                            .map(|values| Row { columns: columns.clone(), values })
                            .map_err(|e| query_error(url, sql, e))
                    })
                    .collect()
            }
        }
    }

    /// Runs a statement with `?` placeholders; returns the number of affected rows.
    pub async fn execute(&mut self, sql: &str, params: Vec<Param>) -> Result<u64, PluginError> {
        stats::count();
        let (padded, params) = pad_in_lists(sql, params);
        let sql = padded.as_str();
        match self {
            Tx::MySql(conn, url) => {
                use mysql_async::prelude::Queryable;
                let params = my_params(params);
                conn.exec_drop(sql, params).await.map_err(|e| my_error(url, sql, e))?;
                Ok(conn.affected_rows())
            }
            Tx::Postgres(client, url) => {
                let sql2 = to_dollar_placeholders(sql);
                let boxed = pg_params(params);
                let refs = pg_refs(&boxed);
                let stmt = client.prepare_cached(&sql2).await.map_err(|e| pg_error(url, sql, &e))?;
                client.execute(&stmt, &refs).await.map_err(|e| pg_error(url, sql, &e))
            }
        }
    }

    /// `INSERT …` and returns the new id (MySQL `LAST_INSERT_ID()`; on
    /// PostgreSQL append `RETURNING id` yourself and use [`Tx::query`]).
    pub async fn insert_id(&mut self, sql: &str, params: Vec<Param>) -> Result<i64, PluginError> {
        match self {
            Tx::MySql(conn, url) => {
                stats::count();
                use mysql_async::prelude::Queryable;
                let params = my_params(params);
                conn.exec_drop(sql, params).await.map_err(|e| my_error(url, sql, e))?;
                Ok(conn.last_insert_id().unwrap_or(0) as i64)
            }
            Tx::Postgres(..) => {
                let sql = if sql.to_ascii_lowercase().contains("returning") {
                    sql.to_string()
                } else {
                    format!("{sql} RETURNING id")
                };
                let rows = self.query(&sql, params).await?;
                rows.first()
                    .and_then(|r| r.values.first().cloned())
                    .and_then(|v| if let Value::Int(i) = v { Some(i) } else { None })
                    .ok_or_else(|| PluginError::data(format!("{}: INSERT returned no id", self.url().redacted())))
            }
        }
    }

    /// Several `;`-separated statements, no parameters.
    pub async fn execute_batch(&mut self, sql: &str) -> Result<(), PluginError> {
        stats::count();
        match self {
            Tx::MySql(conn, url) => {
                use mysql_async::prelude::Queryable;
                conn.query_drop(sql).await.map_err(|e| my_error(url, sql, e))
            }
            Tx::Postgres(client, url) => client.batch_execute(sql).await.map_err(|e| pg_error(url, sql, &e)),
        }
    }
}

fn my_error(url: &DbUrl, sql: &str, e: mysql_async::Error) -> PluginError {
    match &e {
        mysql_async::Error::Io(_) | mysql_async::Error::Driver(_) => connect_error(url, &e.to_string()),
        _ => query_error(url, sql, e.to_string()),
    }
}

fn pg_error(url: &DbUrl, sql: &str, e: &tokio_postgres::Error) -> PluginError {
    if e.is_closed() || (e.as_db_error().is_none() && e.code().is_none() && pg_error_text(e).contains("connection")) {
        connect_error(url, &pg_error_text(e))
    } else {
        query_error(url, sql, pg_error_text(e))
    }
}

fn my_param(p: Param) -> mysql_async::Value {
    match p {
        Param::Int(v) => mysql_async::Value::Int(v),
        Param::Str(s) => mysql_async::Value::Bytes(s.into_bytes()),
        Param::Bool(b) => mysql_async::Value::Int(b as i64),
        Param::Null => mysql_async::Value::NULL,
    }
}

fn my_value(v: mysql_async::Value) -> Value {
    use mysql_async::Value as V;
    match v {
        V::NULL => Value::Null,
        V::Int(i) => Value::Int(i),
        V::UInt(u) => Value::Int(u as i64),
        V::Float(f) => Value::Float(f as f64),
        V::Double(f) => Value::Float(f),
        V::Bytes(b) => match String::from_utf8(b) {
            Ok(s) => Value::Str(s),
            Err(e) => Value::Bytes(e.into_bytes()),
        },
        other => Value::Str(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

fn my_params(params: Vec<Param>) -> mysql_async::Params {
    let p: Vec<mysql_async::Value> = params.into_iter().map(my_param).collect();
    if p.is_empty() {
        mysql_async::Params::Empty
    } else {
        mysql_async::Params::Positional(p)
    }
}

type PgParams = Vec<Box<dyn tokio_postgres::types::ToSql + Sync + Send>>;

fn pg_params(params: Vec<Param>) -> PgParams {
    params.into_iter().map(|p| Box::new(PgParam(p)) as Box<dyn tokio_postgres::types::ToSql + Sync + Send>).collect()
}

fn pg_refs(boxed: &PgParams) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    boxed.iter().map(|b| b.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync)).collect()
}

/// A parameter that adapts to the type PostgreSQL infers for its placeholder
/// (so `Param::Int` binds to int2/int4/int8 columns, `Param::Str` to uuid…).
#[derive(Debug)]
struct PgParam(Param);

impl tokio_postgres::types::ToSql for PgParam {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut tokio_postgres::types::private::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use tokio_postgres::types::{IsNull, Type};
        let conv = |what: &str| -> Box<dyn std::error::Error + Sync + Send> {
            format!("cannot bind {what} to a parameter of type {ty}").into()
        };
        match &self.0 {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(v) => match *ty {
                Type::INT2 => i16::try_from(*v).map_err(|_| conv("an out-of-range integer"))?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v).map_err(|_| conv("an out-of-range integer"))?.to_sql(ty, out),
                Type::INT8 => v.to_sql(ty, out),
                Type::OID => u32::try_from(*v).map_err(|_| conv("an out-of-range integer"))?.to_sql(ty, out),
                Type::FLOAT8 => (*v as f64).to_sql(ty, out),
                Type::FLOAT4 => (*v as f32).to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    v.to_string().to_sql(&Type::TEXT, out)
                }
                _ => Err(conv("an integer")),
            },
            Param::Bool(b) => match *ty {
                Type::BOOL => b.to_sql(ty, out),
                Type::INT2 | Type::INT4 | Type::INT8 => PgParam(Param::Int(*b as i64)).to_sql(ty, out),
                _ => Err(conv("a boolean")),
            },
            Param::Str(s) => match *ty {
                Type::UUID => {
                    let hex: String = s.chars().filter(|c| *c != '-').collect();
                    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                        return Err(conv("a non-uuid string"));
                    }
                    for i in 0..16 {
                        out.extend_from_slice(&[u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex checked")]);
                    }
                    Ok(IsNull::No)
                }
                Type::INT2 | Type::INT4 | Type::INT8 => {
                    let v: i64 = s.trim().parse().map_err(|_| conv("a non-numeric string"))?;
                    PgParam(Param::Int(v)).to_sql(ty, out)
                }
                Type::BOOL => PgParam(Param::Bool(matches!(s.as_str(), "t" | "true" | "1"))).to_sql(ty, out),
                _ => s.as_str().to_sql(&Type::TEXT, out),
            },
        }
    }

    fn accepts(_ty: &tokio_postgres::types::Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

fn pg_value(r: &tokio_postgres::Row, i: usize) -> Result<Value, String> {
    use tokio_postgres::types::Type;
    let t = r.columns()[i].type_();
    let name = r.columns()[i].name().to_string();
    let err = |e: tokio_postgres::Error| format!("column {name}: {e}");
    Ok(match *t {
        Type::INT2 => r.try_get::<_, Option<i16>>(i).map_err(err)?.map(|v| Value::Int(v as i64)),
        Type::INT4 => r.try_get::<_, Option<i32>>(i).map_err(err)?.map(|v| Value::Int(v as i64)),
        Type::INT8 => r.try_get::<_, Option<i64>>(i).map_err(err)?.map(Value::Int),
        Type::OID => r.try_get::<_, Option<u32>>(i).map_err(err)?.map(|v| Value::Int(v as i64)),
        Type::FLOAT4 => r.try_get::<_, Option<f32>>(i).map_err(err)?.map(|v| Value::Float(v as f64)),
        Type::FLOAT8 => r.try_get::<_, Option<f64>>(i).map_err(err)?.map(Value::Float),
        Type::BOOL => r.try_get::<_, Option<bool>>(i).map_err(err)?.map(Value::Bool),
        Type::BYTEA => r.try_get::<_, Option<Vec<u8>>>(i).map_err(err)?.map(Value::Bytes),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
            r.try_get::<_, Option<String>>(i).map_err(err)?.map(Value::Str)
        }
        _ => {
            // uuid, timestamps, numeric…: cast to ::text in SQL to read them.
            return Err(format!("column {name} has type {t}: cast it to ::text or ::bigint in the query"));
        }
    }
    .unwrap_or(Value::Null))
}

// ---------------------------------------------------------------------------
// Per-origin-server map

/// The `[resolvers.databases]` / `[sinks.databases]` table: keys are
/// `bbb-origin-server-name` values (compared case-insensitively, a trailing
/// dot and a `:port` ignored), plus `"default"` for every other server.
/// Decode it in your config as `BTreeMap<String, String>` and build it with
/// [`DbMap::from_config`] (which names the bad key on error).
pub struct DbMap {
    by_server: BTreeMap<String, (String, Db)>,
    default: Option<Db>,
}

/// The name of the catch-all key.
pub const DEFAULT_KEY: &str = "default";

/// Normalises a server name: lower case, no trailing dot, no `:port`, no scheme.
pub fn normalize_server(s: &str) -> String {
    let s = s.trim().to_ascii_lowercase();
    let s = s.split_once("://").map(|(_, r)| r.to_string()).unwrap_or(s);
    let s = s.split('/').next().unwrap_or("").to_string();
    let s = match s.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h.to_string(),
        _ => s,
    };
    s.trim_end_matches('.').to_string()
}

impl DbMap {
    /// Builds the map; `field` is the config key (`databases`) used in errors
    /// (`databases."moodle.univ.fr"`). Does not connect.
    pub fn from_config(field: &str, entries: &BTreeMap<String, String>) -> Result<Self, PluginError> {
        if entries.is_empty() {
            return Err(PluginError::config(
                field,
                format!("`{field}` is empty: give at least one server name or \"default\""),
            ));
        }
        let mut by_server = BTreeMap::new();
        let mut default = None;
        for (key, url) in entries {
            let f = format!("{field}.\"{key}\"");
            let parsed: DbUrl = url.parse().map_err(|e: String| PluginError::config(f.clone(), format!("{f}: {e}")))?;
            let db = Db::new(&parsed)?;
            if key == DEFAULT_KEY {
                default = Some(db);
            } else {
                let norm = normalize_server(key);
                if norm.is_empty() {
                    return Err(PluginError::config(f.clone(), format!("{f}: empty server name")));
                }
                if by_server.insert(norm, (key.clone(), db)).is_some() {
                    return Err(PluginError::config(f.clone(), format!("{f}: the same server is listed twice")));
                }
            }
        }
        Ok(DbMap { by_server, default })
    }

    /// The database for a recording's `bbb-origin-server-name`: its own entry,
    /// else `default`, else `None`. Returns the config key used as well.
    pub fn for_server(&self, server: Option<&str>) -> Option<(&str, &Db)> {
        if let Some(s) = server {
            if let Some((k, db)) = self.by_server.get(&normalize_server(s)) {
                return Some((k.as_str(), db));
            }
        }
        self.default.as_ref().map(|d| (DEFAULT_KEY, d))
    }

    /// Shortcut: the database for a recording (by its `bbb-origin-server-name`).
    pub fn for_recording(&self, r: &plugin_api::Recording) -> Option<(&str, &Db)> {
        self.for_server(r.origin_server())
    }

    /// Every (key, database), `default` last: for `check()`.
    pub fn all(&self) -> Vec<(&str, &Db)> {
        let mut v: Vec<(&str, &Db)> = self.by_server.values().map(|(k, d)| (k.as_str(), d)).collect();
        if let Some(d) = &self.default {
            v.push((DEFAULT_KEY, d));
        }
        v
    }

    /// Pings every database: one line per database, or every failure on one line.
    pub fn check(&self) -> Result<Vec<String>, PluginError> {
        self.check_with(|key, db| {
            db.ping()?;
            Ok(format!("{key}: {} reachable", db.url().redacted()))
        })
    }

    /// Runs `f` on every database (`check()` of a plugin): the lines of all,
    /// or, if any failed, one error whose message joins every failure with ` | `
    /// (kind and field of the first).
    pub fn check_with(&self, f: impl Fn(&str, &Db) -> Result<String, PluginError>) -> Result<Vec<String>, PluginError> {
        let mut lines = Vec::new();
        let mut errors: Vec<PluginError> = Vec::new();
        for (key, db) in self.all() {
            match f(key, db) {
                Ok(l) => lines.push(l),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            return Ok(lines);
        }
        let mut first = errors[0].clone();
        first.message = errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join(" | ").into();
        Err(first)
    }

    pub fn close(&self) {
        for (_, db) in self.all() {
            db.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_ids_name_their_meeting() {
        // identity.md fact 1, checked on the real Moodle fixture.
        let mid = "9d287cf50490ca856ca5273bd303a7e321df6051-4-119[0]";
        assert!(routing::is_internal_id_of("f71d810b6e90a4a34ae02b8c7143e8733178578e-1462807897120", mid));
        assert!(!routing::is_internal_id_of("f71d810b6e90a4a34ae02b8c7143e8733178578f-1462807897120", mid));
        assert!(!routing::is_internal_id_of("nodash", mid));
    }

    #[test]
    fn parses_and_redacts() {
        let u: DbUrl = "mysql://moodle:s3cr%40t@db1/moodle".parse().unwrap();
        assert_eq!(u.engine, Engine::MySql);
        assert_eq!(u.user, "moodle");
        assert_eq!(u.password.as_ref().unwrap().expose(), "s3cr@t");
        assert_eq!(u.host, "db1");
        assert_eq!(u.port, None);
        assert_eq!(u.port_or_default(), 3306);
        assert_eq!(u.database, "moodle");
        assert_eq!(u.to_string(), "mysql://moodle:***@db1/moodle");
        assert_eq!(format!("{u:?}"), "mysql://moodle:***@db1/moodle");

        let u: DbUrl = "postgres://user@db2/moodle".parse().unwrap();
        assert_eq!(
            (u.engine, u.user.as_str(), u.password.is_none(), u.port_or_default()),
            (Engine::Postgres, "user", true, 5432)
        );
        assert_eq!(u.redacted(), "postgres://user@db2/moodle");

        let u: DbUrl = "postgresql://gl:p/w@x@127.0.0.1:5433/greenlight_production".parse().unwrap();
        assert_eq!(u.password.as_ref().unwrap().expose(), "p/w@x");
        assert_eq!(u.port, Some(5433));
        assert_eq!(u.redacted(), "postgresql://gl:***@127.0.0.1:5433/greenlight_production");

        let u: DbUrl = "mariadb://root@[::1]:3307/pod".parse().unwrap();
        assert_eq!((u.host.as_str(), u.port, u.engine), ("::1", Some(3307), Engine::MySql));
        assert_eq!(u.redacted(), "mariadb://root@[::1]:3307/pod");
    }

    #[test]
    fn refuses_bad_urls_without_leaking() {
        for bad in [
            "sqlite://x:hunter2@h/db",
            "mysql://u:hunter2@h",
            "mysql://u:hunter2@h:99999/db",
            "db1/moodle",
            "mysql://u:hunter2@/db",
        ] {
            let e = bad.parse::<DbUrl>().unwrap_err();
            assert!(!e.contains("hunter2"), "{e}");
            assert!(!e.contains('\n'));
        }
    }

    #[test]
    fn placeholders_are_rewritten_outside_quotes() {
        assert_eq!(to_dollar_placeholders("a = ? AND b IN (?, ?) AND c = '?'"), "a = $1 AND b IN ($2, $3) AND c = '?'");
        assert_eq!(placeholders(3), "?, ?, ?");
        assert_eq!(placeholders(0), "NULL");
    }

    #[test]
    fn in_lists_are_padded_to_powers_of_two() {
        let p = |v: &[i64]| v.iter().map(|&i| Param::Int(i)).collect::<Vec<_>>();
        let (sql, params) = pad_in_lists(
            "SELECT a FROM t WHERE x = ? AND id IN (?, ?, ?) AND y IN (?,?) AND s = 'in (?)'",
            p(&[9, 1, 2, 3, 4, 5]),
        );
        assert_eq!(sql, "SELECT a FROM t WHERE x = ? AND id IN (?, ?, ?, ?) AND y IN (?, ?) AND s = 'in (?)'");
        assert_eq!(params, p(&[9, 1, 2, 3, 3, 4, 5]));
        let (sql, params) = pad_in_lists(
            "SELECT 1 FROM t WHERE a IN (NULL) OR b IN (?, ?, ?, ?, ?) OR c IN (SELECT 1) OR d IN (?)",
            p(&[1, 2, 3, 4, 5, 6]),
        );
        assert_eq!(
            sql,
            "SELECT 1 FROM t WHERE a IN (NULL) OR b IN (?, ?, ?, ?, ?, ?, ?, ?) OR c IN (SELECT 1) OR d IN (?)"
        );
        assert_eq!(params, p(&[1, 2, 3, 4, 5, 5, 5, 5, 6]));
        // `min(?)` or `JOIN (…)` is not an IN list; `login (?, ?)` neither.
        let (sql, params) = pad_in_lists("SELECT COALESCE(?, ?, ?) FROM login (?, ?, ?)", p(&[1, 2, 3, 4, 5, 6]));
        assert_eq!((sql.as_str(), params.len()), ("SELECT COALESCE(?, ?, ?) FROM login (?, ?, ?)", 6));
    }

    #[test]
    fn server_names_are_normalised() {
        assert_eq!(normalize_server("Moodle.Univ.FR."), "moodle.univ.fr");
        assert_eq!(normalize_server("https://moodle.univ.fr:443/x"), "moodle.univ.fr");
    }

    #[test]
    fn map_picks_server_then_default() {
        let m = DbMap::from_config(
            "databases",
            &BTreeMap::from([
                ("moodle.univ.fr".to_string(), "mysql://m:pw@db1/moodle".to_string()),
                ("default".to_string(), "postgres://u@db2/other".to_string()),
            ]),
        )
        .unwrap();
        assert_eq!(m.for_server(Some("MOODLE.univ.fr")).unwrap().0, "moodle.univ.fr");
        assert_eq!(m.for_server(Some("elsewhere")).unwrap().0, "default");
        assert_eq!(m.for_server(None).unwrap().1.url().database, "other");
        let e =
            DbMap::from_config("databases", &BTreeMap::from([("x".to_string(), "ftp://a:hunter2@b/c".to_string())]))
                .err()
                .unwrap();
        assert_eq!(e.field(), Some("databases.\"x\""));
        assert!(!e.message.contains("hunter2"));
        let m =
            DbMap::from_config("databases", &BTreeMap::from([("a".to_string(), "mysql://r@h/d".to_string())])).unwrap();
        assert!(m.for_server(Some("b")).is_none());
    }
}

// ---------------------------------------------------------------------------
// Routing helpers shared by the resolvers and sinks

/// Reading a recording's metadata the way BBB stores it.
pub mod routing {
    use plugin_api::Recording;

    /// A metadata value by key, compared without case (the SDK's one helper,
    /// `Recording::meta_value`); empty values count as absent.
    pub fn meta_ci<'a>(r: &'a Recording, key: &str) -> Option<&'a str> {
        r.meta_value(key)
    }

    /// Is `meeting_id` the external meetingID of the meeting whose internal
    /// id is `internal_id`? BBB's internal id is `sha1(meetingID)-<createTime>`,
    /// so a breakout room's parent id names its parent meeting exactly.
    pub fn is_internal_id_of(internal_id: &str, meeting_id: &str) -> bool {
        let Some((hash, _)) = internal_id.split_once('-') else { return false };
        hash.eq_ignore_ascii_case(&internal_hash(meeting_id))
    }

    /// The hash part of the internal ids BBB gives a meetingID: `sha1(meetingID)`, lower-case hex.
    pub fn internal_hash(meeting_id: &str) -> String {
        use sha1::{Digest, Sha1};
        Sha1::digest(meeting_id.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The front-end that created the recording, lower-cased: `bbb-origin`
    /// (Moodle 2.1+, Greenlight 2.3+), `bn-origin` (Moodle plugin 2.0) or
    /// `origin` (Moodle 1.x, WordPress). `None` when the recording says nothing
    /// (Pod, old Greenlight, …).
    pub fn origin(r: &Recording) -> Option<String> {
        ["bbb-origin", "bn-origin", "origin"].iter().find_map(|k| meta_ci(r, k)).map(|v| v.trim().to_ascii_lowercase())
    }
}

// ---------------------------------------------------------------------------
// Owners

/// People read from a database and turned into [`plugin_api::Owner`]s: one
/// place for the rules every resolver follows (unusable accounts skipped
/// with a note, one owner per person with all the reasons that named them,
/// the first found primary and the others secondary).
pub mod owners {
    use super::Row;
    use plugin_api::Owner;

    /// A person as a front-end's database knows them.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Person {
        /// The front-end's own id (integer or uuid, as text).
        pub id: String,
        pub username: String,
        pub email: String,
        pub first_name: String,
        pub last_name: String,
        /// Why this account must not own anything (`deleted`, `suspended`, `inactive`, `banned`).
        pub unusable: Option<String>,
        /// Front-end specifics for the owner's `extra_json`.
        pub extra: serde_json::Value,
    }

    /// The result columns holding a person (`id` is read as text).
    pub struct Columns<'a> {
        pub id: &'a str,
        pub username: &'a str,
        pub email: &'a str,
        pub first_name: &'a str,
        pub last_name: &'a str,
    }

    impl Person {
        /// `None` when the id column is NULL (a LEFT JOIN that found nobody).
        pub fn from_row(r: &Row, c: &Columns) -> Option<Person> {
            Some(Person {
                id: r.str(c.id)?,
                username: r.text(c.username),
                email: r.text(c.email),
                first_name: r.text(c.first_name),
                last_name: r.text(c.last_name),
                unusable: None,
                extra: serde_json::Value::Null,
            })
        }
    }

    /// Collects owners in rank order.
    #[derive(Default)]
    pub struct Picker {
        picked: Vec<(Person, Vec<String>)>,
        notes: Vec<String>,
    }

    impl Picker {
        pub fn new() -> Self {
            Self::default()
        }
        /// Adds `p` for reason `why` (merged if already there); an unusable
        /// account becomes the note `<why> (user <id>) <state>` instead: the
        /// front-end's own id, never the username or e-mail (a deleted Moodle
        /// user's username holds their former e-mail address).
        pub fn add(&mut self, p: &Person, why: impl Into<String>) {
            let why = why.into();
            if let Some(state) = &p.unusable {
                self.note(format!("{why} (user {}) {state}", p.id));
                return;
            }
            match self.picked.iter_mut().find(|(q, _)| q.id == p.id) {
                Some((_, reasons)) => {
                    if !reasons.contains(&why) {
                        reasons.push(why)
                    }
                }
                None => self.picked.push((p.clone(), vec![why])),
            }
        }
        /// A note for the report (kept once).
        pub fn note(&mut self, n: impl Into<String>) {
            let n = n.into();
            if !self.notes.contains(&n) {
                self.notes.push(n);
            }
        }
        pub fn is_empty(&self) -> bool {
            self.picked.is_empty()
        }
        /// Takes the notes of another picker (kept once each).
        pub fn add_notes_of(&mut self, other: &Picker) {
            for n in &other.notes {
                self.note(n.clone());
            }
        }
        /// The notes, `; `-joined (empty if none).
        pub fn notes(&self) -> String {
            self.notes.join("; ")
        }
        /// The owners: reason = `reason(reasons)`; extra_json = the person's
        /// `extra` merged with `common` (both JSON objects).
        pub fn into_owners(
            self,
            resolver: &str,
            reason: impl Fn(&[String]) -> String,
            common: &serde_json::Value,
        ) -> Vec<Owner> {
            self.picked
                .into_iter()
                .enumerate()
                .map(|(i, (p, reasons))| {
                    let mut o = Owner::new(&p.username, &p.email, &p.first_name, &p.last_name)
                        .found_by(resolver, reason(&reasons));
                    if i > 0 {
                        o = o.secondary();
                    }
                    let mut extra = match p.extra {
                        serde_json::Value::Object(m) => m,
                        _ => serde_json::Map::new(),
                    };
                    if let serde_json::Value::Object(c) = common {
                        extra.extend(c.clone());
                    }
                    o.extra_json = serde_json::Value::Object(extra).to_string().into();
                    o
                })
                .collect()
        }
    }
}

// ---------------------------------------------------------------------------
// Batched resolver answers

/// The answers of a batched resolver: set per recording, scatter a database
/// group's answers, or fail the whole group (retried next run).
pub struct Answers {
    out: Vec<Option<plugin_api::Resolution>>,
}

impl Answers {
    pub fn new(n: usize) -> Self {
        Answers { out: vec![None; n] }
    }
    pub fn set(&mut self, i: usize, r: plugin_api::Resolution) {
        self.out[i] = Some(r);
    }
    /// `res` answers the recordings `idx` in order; on error every one of them
    /// FAILS with `<label>: <one-line error>` and the host log says so once.
    pub fn apply(
        &mut self,
        idx: &[usize],
        res: Result<Vec<plugin_api::Resolution>, PluginError>,
        label: &str,
        ctx: &plugin_api::sdk::Ctx,
    ) {
        match res {
            Ok(answers) => {
                for (&i, a) in idx.iter().zip(answers) {
                    self.out[i] = Some(a);
                }
            }
            Err(e) => {
                ctx.warn(&format!("{label}: {} recordings not resolved this run: {}", idx.len(), e.message));
                for &i in idx {
                    self.out[i] = Some(plugin_api::Resolution::failed(format!("{label}: {}", e.message)));
                }
            }
        }
    }
    /// One answer per recording; those never set are UNKNOWN without a note.
    pub fn finish(self) -> Vec<plugin_api::Resolution> {
        self.out.into_iter().map(|o| o.unwrap_or_else(|| plugin_api::Resolution::unknown(""))).collect()
    }
}

// ---------------------------------------------------------------------------
// Test support

/// Throwaway databases for tests (used by every SQL plugin's tests).
///
/// Servers: `BBB_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/mysql`)
/// and `BBB_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
/// A test fails (never skips) when the server is unreachable.
pub mod testing {
    use super::*;

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
}
