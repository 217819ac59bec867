//! What both sinks need to talk to a Pod database the way Django does:
//! timestamps, booleans, column sizes, one-line error classification.
use bbb_migrate_db::{Db, DbUrl, Engine, Param, Tx, TxFuture, TxMode};
use plugin_api::{ErrorKind, Outcome, PluginError};

/// Parses and opens the `database` key (no connection yet).
pub fn open(url: &str) -> Result<Db, PluginError> {
    let parsed: DbUrl = url.parse().map_err(|e: String| PluginError::config("database", format!("database: {e}")))?;
    Db::new(&parsed)
}

/// `start_ms` as the UTC wall-clock text both engines accept for a
/// `timestamptz` (PostgreSQL, with `+00`) or a `datetime(6)` (MariaDB: Django
/// stores UTC there).
pub fn timestamp_text(engine: Engine, ms: i64) -> String {
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    match engine {
        Engine::Postgres => t.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string(),
        Engine::MySql => t.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
    }
}

/// The placeholder for a timestamp given as text ([`timestamp_text`]).
pub fn ts_placeholder(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "CAST(CAST(? AS TEXT) AS TIMESTAMPTZ)",
        Engine::MySql => "?",
    }
}

/// "Now", as Django would store it (UTC on both engines).
pub fn now_sql(engine: Engine) -> &'static str {
    match engine {
        Engine::Postgres => "now()",
        Engine::MySql => "UTC_TIMESTAMP(6)",
    }
}

/// The declared length of a varchar column (`None` if the server does not say).
pub async fn column_max_len(tx: &mut Tx, table: &str, column: &str) -> Result<Option<i64>, PluginError> {
    let schema = match tx.engine() {
        Engine::Postgres => "current_schema()",
        Engine::MySql => "DATABASE()",
    };
    let sql = format!(
        "SELECT character_maximum_length AS n FROM information_schema.columns WHERE table_schema = {schema} AND table_name = ? AND column_name = ?"
    );
    let rows = tx.query(&sql, vec![Param::from(table), Param::from(column)]).await?;
    Ok(rows.first().and_then(|r| r.int("n")))
}

/// Fails with one line naming the table when it is missing.
pub async fn require_table(tx: &mut Tx, table: &str) -> Result<(), PluginError> {
    let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE 1 = 0");
    tx.query(&sql, vec![]).await.map(|_| ()).map_err(|e| {
        PluginError::new(
            e.kind,
            format!("{}: table {table} is missing or unreadable: {}", tx.url().redacted(), e.message),
        )
    })
}

/// A failure found inside a transaction that a re-run will not fix (bad data,
/// a missing fallback account): carried as `ErrorKind::OTHER` so the
/// transaction rolls back, and turned into a permanent failure.
pub fn permanent(msg: impl Into<String>) -> PluginError {
    PluginError::new(ErrorKind::OTHER, msg)
}

/// The outcome for an error: `permanent` ones are final, database and
/// network troubles are retried by the next run.
pub fn failure(record_id: &str, prefix: &str, e: &PluginError) -> Outcome {
    let msg = format!("{prefix}{}", e.message);
    if e.kind == ErrorKind::OTHER {
        Outcome::failed_permanently(record_id, msg)
    } else {
        Outcome::failed(record_id, msg)
    }
}

/// A deadlock or serialization failure: the transaction can simply be run again.
pub fn is_transient(e: &PluginError) -> bool {
    let m = e.message.to_ascii_lowercase();
    e.kind == ErrorKind::DATA
        && (m.contains("deadlock") || m.contains("40001") || m.contains("40p01") || m.contains("could not serialize"))
}

/// How many times a transaction that hit a deadlock is run again.
pub const TRANSIENT_RETRIES: usize = 3;

/// Runs `f` in one transaction, again after a deadlock (see [`is_transient`]).
pub fn transaction<T, F>(db: &Db, mode: TxMode, f: F) -> Result<T, PluginError>
where
    T: Send + 'static,
    F: for<'t> FnOnce(&'t mut Tx) -> TxFuture<'t, T> + Clone + Send + 'static,
{
    let mut attempt = 0;
    loop {
        match db.transaction(mode, f.clone()) {
            Err(e) if is_transient(&e) && attempt < TRANSIENT_RETRIES => attempt += 1,
            other => return other,
        }
    }
}

/// At most `n` characters (varchar lengths count characters on both engines).
pub fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlocks_are_transient() {
        assert!(is_transient(&PluginError::data(
            "mysql://r@h/d: query `INSERT …` failed: Server error: `ERROR 40001 (1213): Deadlock found`"
        )));
        assert!(is_transient(&PluginError::data(
            "postgres://p@h/d: query `INSERT …` failed: db error: ERROR: deadlock detected"
        )));
        assert!(!is_transient(&PluginError::data("duplicate key value violates unique constraint")));
        assert!(!is_transient(&PluginError::connect("deadlock")));
    }

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        assert_eq!(timestamp_text(Engine::Postgres, 1_504_087_272_607), "2017-08-30 10:01:12.607000+00");
        assert_eq!(timestamp_text(Engine::MySql, 1_504_087_272_607), "2017-08-30 10:01:12.607000");
        assert_eq!(clip("été🎓x", 4), "été🎓");
    }
}
