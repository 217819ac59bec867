//! The per-origin-server database map (`[resolvers.databases]` /
//! `[sinks.databases]`): which database serves a recording's
//! `bbb-origin-server-name`.
use crate::{Db, DbUrl};
use plugin_api::PluginError;
use std::collections::BTreeMap;
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
