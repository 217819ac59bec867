//! The one-line errors of both drivers: connection problems (kind `CONNECT`,
//! retried) apart from bad statements (kind `DATA`); never a password.
use crate::{tls, DbUrl, Engine};
use plugin_api::PluginError;

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

pub(crate) fn query_error(url: &DbUrl, sql: &str, e: String) -> PluginError {
    let first: String = sql.split_whitespace().take(6).collect::<Vec<_>>().join(" ");
    PluginError::data(format!("{}: query `{first} …` failed: {e}", url.redacted()))
}

/// Is this error a lost/refused connection (the recording should be retried) rather than bad SQL?
pub fn is_connect_error(e: &PluginError) -> bool {
    e.kind == plugin_api::ErrorKind::CONNECT
}
