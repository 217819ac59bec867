//! The pooled handle to one database ([`Db`]) and its transactions: the
//! engine-independent part; the drivers are in `mysql` and `postgres`.
use crate::{mysql, postgres, DbUrl, Engine, Param, Row, Tx};
use plugin_api::sdk::runtime::block_on;
use plugin_api::PluginError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

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

#[derive(Clone)]
enum Inner {
    MySql(mysql::Pools),
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

impl Db {
    /// A handle for `url`. Does not connect (see [`Db::ping`]).
    pub fn new(url: &DbUrl) -> Result<Self, PluginError> {
        let inner = match url.engine {
            Engine::MySql => Inner::MySql(mysql::Pools::new(url)?),
            Engine::Postgres => Inner::Postgres(postgres::pool(url)?),
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
            Inner::MySql(pools) => Ok(Tx::MySql(pools.conn(&self.url).await?, self.url.clone())),
            Inner::Postgres(pool) => {
                Ok(Tx::Postgres(Box::new(postgres::conn(pool, &self.url).await?), self.url.clone()))
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
            Inner::MySql(pools) => pools.close(),
            Inner::Postgres(pool) => pool.close(),
        }
    }

    fn clone_handle(&self) -> Db {
        Db { url: self.url.clone(), inner: self.inner.clone() }
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
