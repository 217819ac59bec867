//! The PostgreSQL driver (`tokio-postgres` pooled by `deadpool-postgres`):
//! the pool, statements (`?` rewritten to `$n`), and parameters that adapt
//! to the type the server infers.
use crate::error::{connect_error, query_error};
use crate::{tls, to_dollar_placeholders, DbUrl, Param, Row, TlsMode, Value, CONNECT_TIMEOUT, POOL_MAX};
use plugin_api::sdk::text::error_chain;
use plugin_api::PluginError;
use std::time::Duration;

pub(crate) fn pool(url: &DbUrl) -> Result<deadpool_postgres::Pool, PluginError> {
    let mut cfg = tokio_postgres::Config::new();
    cfg.host(&url.host).port(url.port_or_default()).dbname(&url.database).connect_timeout(CONNECT_TIMEOUT);
    cfg.user(if url.user.is_empty() { "postgres" } else { &url.user });
    if let Some(p) = &url.password {
        cfg.password(p.expose());
    }
    cfg.application_name("bbb-migrate");
    let mgr_cfg = deadpool_postgres::ManagerConfig { recycling_method: deadpool_postgres::RecyclingMethod::Fast };
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
    deadpool_postgres::Pool::builder(mgr)
        .max_size(POOL_MAX)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .create_timeout(Some(CONNECT_TIMEOUT))
        .wait_timeout(Some(Duration::from_secs(300)))
        .build()
        .map_err(|e| PluginError::other(format!("{}: cannot build the connection pool: {e}", url.redacted())))
}

pub(crate) async fn conn(
    pool: &deadpool_postgres::Pool,
    url: &DbUrl,
) -> Result<deadpool_postgres::Object, PluginError> {
    pool.get().await.map_err(|e| connect_error(url, &pg_pool_error(&e)))
}

pub(crate) async fn query(
    client: &deadpool_postgres::Object,
    url: &DbUrl,
    sql: &str,
    params: Vec<Param>,
) -> Result<Vec<Row>, PluginError> {
    let boxed = pg_params(params);
    let refs = pg_refs(&boxed);
    let stmt = client.prepare_cached(&to_dollar_placeholders(sql)).await.map_err(|e| pg_error(url, sql, &e))?;
    let rows = client.query(&stmt, &refs).await.map_err(|e| pg_error(url, sql, &e))?;
    let columns = std::sync::Arc::new(
        rows.first()
            .map(|r| r.columns().iter().map(|c| c.name().to_string()).collect::<Vec<String>>())
            .unwrap_or_default(),
    );
    rows.iter()
        .map(|r| {
            let values = (0..r.len()).map(|i| pg_value(r, i)).collect::<Result<Vec<_>, String>>();
            values.map(|values| Row { columns: columns.clone(), values }).map_err(|e| query_error(url, sql, e))
        })
        .collect()
}

pub(crate) async fn execute(
    client: &deadpool_postgres::Object,
    url: &DbUrl,
    sql: &str,
    params: Vec<Param>,
) -> Result<u64, PluginError> {
    let boxed = pg_params(params);
    let refs = pg_refs(&boxed);
    let stmt = client.prepare_cached(&to_dollar_placeholders(sql)).await.map_err(|e| pg_error(url, sql, &e))?;
    client.execute(&stmt, &refs).await.map_err(|e| pg_error(url, sql, &e))
}

pub(crate) async fn execute_batch(
    client: &deadpool_postgres::Object,
    url: &DbUrl,
    sql: &str,
) -> Result<(), PluginError> {
    client.batch_execute(sql).await.map_err(|e| pg_error(url, sql, &e))
}

fn pg_pool_error(e: &deadpool_postgres::PoolError) -> String {
    use deadpool_postgres::PoolError;
    match e {
        PoolError::Backend(b) => error_chain(b),
        PoolError::Timeout(_) => "timed out".into(),
        other => other.to_string(),
    }
}

fn pg_error(url: &DbUrl, sql: &str, e: &tokio_postgres::Error) -> PluginError {
    if e.is_closed() || (e.as_db_error().is_none() && e.code().is_none() && error_chain(e).contains("connection")) {
        connect_error(url, &error_chain(e))
    } else {
        query_error(url, sql, error_chain(e))
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
