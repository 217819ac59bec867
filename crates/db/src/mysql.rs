//! The MySQL / MariaDB driver (`mysql_async`): pools, statements, and the
//! conversion of parameters and values.
use crate::error::{connect_error, query_error};
use crate::{tls, DbUrl, Param, Row, TlsMode, Value, CONNECT_TIMEOUT, POOL_MAX};
use mysql_async::prelude::Queryable;
use plugin_api::sdk::runtime::block_on;
use plugin_api::sdk::text::error_chain;
use plugin_api::PluginError;
use std::time::Duration;

/// The pool, and for `ssl-mode=PREFERRED` one without TLS for servers that offer none.
#[derive(Clone)]
pub(crate) struct Pools {
    pool: mysql_async::Pool,
    plain: Option<mysql_async::Pool>,
}

impl Pools {
    pub(crate) fn new(url: &DbUrl) -> Result<Self, PluginError> {
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
        let plain =
            (url.tls.mode == TlsMode::Prefer).then(|| mysql_async::OptsBuilder::from_opts(opts.clone()).ssl_opts(None));
        let (pool, plain) = block_on(async move { (mysql_async::Pool::new(opts), plain.map(mysql_async::Pool::new)) });
        Ok(Pools { pool, plain })
    }

    /// A pooled connection; a server that refuses TLS under `PREFERRED` gets the plain pool.
    pub(crate) async fn conn(&self, url: &DbUrl) -> Result<mysql_async::Conn, PluginError> {
        let get = |pool: &mysql_async::Pool| {
            let pool = pool.clone();
            async move {
                tokio::time::timeout(CONNECT_TIMEOUT, pool.get_conn())
                    .await
                    .map_err(|_| connect_error(url, "timed out"))
            }
        };
        match (get(&self.pool).await?, &self.plain) {
            (Err(mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer)), Some(plain)) => {
                get(plain).await?
            }
            (r, _) => r,
        }
        .map_err(|e| connect_error(url, &error_chain(&e)))
    }

    pub(crate) fn close(&self) {
        let pools: Vec<_> = std::iter::once(&self.pool).chain(self.plain.as_ref()).cloned().collect();
        block_on(async move {
            for p in pools {
                let _ = p.disconnect().await;
            }
        });
    }
}

pub(crate) async fn query(
    conn: &mut mysql_async::Conn,
    url: &DbUrl,
    sql: &str,
    params: Vec<Param>,
) -> Result<Vec<Row>, PluginError> {
    let rows: Vec<mysql_async::Row> = conn.exec(sql, my_params(params)).await.map_err(|e| my_error(url, sql, e))?;
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

pub(crate) async fn execute(
    conn: &mut mysql_async::Conn,
    url: &DbUrl,
    sql: &str,
    params: Vec<Param>,
) -> Result<u64, PluginError> {
    conn.exec_drop(sql, my_params(params)).await.map_err(|e| my_error(url, sql, e))?;
    Ok(conn.affected_rows())
}

pub(crate) async fn insert_id(
    conn: &mut mysql_async::Conn,
    url: &DbUrl,
    sql: &str,
    params: Vec<Param>,
) -> Result<i64, PluginError> {
    conn.exec_drop(sql, my_params(params)).await.map_err(|e| my_error(url, sql, e))?;
    Ok(conn.last_insert_id().unwrap_or(0) as i64)
}

pub(crate) async fn execute_batch(conn: &mut mysql_async::Conn, url: &DbUrl, sql: &str) -> Result<(), PluginError> {
    conn.query_drop(sql).await.map_err(|e| my_error(url, sql, e))
}

fn my_error(url: &DbUrl, sql: &str, e: mysql_async::Error) -> PluginError {
    match &e {
        mysql_async::Error::Io(_) | mysql_async::Error::Driver(_) => connect_error(url, &e.to_string()),
        _ => query_error(url, sql, e.to_string()),
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
