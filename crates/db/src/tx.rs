//! An open transaction or connection ([`Tx`]): statements with `?`
//! placeholders, counted, `IN` lists padded, then handed to the driver.
use crate::{mysql, pad_in_lists, postgres, stats, DbUrl, Engine, Param, Row, Value};
use plugin_api::PluginError;

/// An open transaction (or, for [`Db::query`](crate::Db::query), a plain connection).
pub enum Tx {
    MySql(mysql_async::Conn, DbUrl),
    // Boxed: a pooled PostgreSQL client is twice the size of a MySQL connection.
    Postgres(Box<deadpool_postgres::Object>, DbUrl),
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
        match self {
            Tx::MySql(conn, url) => mysql::query(conn, url, &padded, params).await,
            Tx::Postgres(client, url) => postgres::query(client, url, &padded, params).await,
        }
    }

    /// Runs a statement with `?` placeholders; returns the number of affected rows.
    pub async fn execute(&mut self, sql: &str, params: Vec<Param>) -> Result<u64, PluginError> {
        stats::count();
        let (padded, params) = pad_in_lists(sql, params);
        match self {
            Tx::MySql(conn, url) => mysql::execute(conn, url, &padded, params).await,
            Tx::Postgres(client, url) => postgres::execute(client, url, &padded, params).await,
        }
    }

    /// `INSERT …` and returns the new id (MySQL `LAST_INSERT_ID()`; on
    /// PostgreSQL append `RETURNING id` yourself and use [`Tx::query`]).
    pub async fn insert_id(&mut self, sql: &str, params: Vec<Param>) -> Result<i64, PluginError> {
        match self {
            Tx::MySql(conn, url) => {
                stats::count();
                mysql::insert_id(conn, url, sql, params).await
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
            Tx::MySql(conn, url) => mysql::execute_batch(conn, url, sql).await,
            Tx::Postgres(client, url) => postgres::execute_batch(client, url, sql).await,
        }
    }
}
