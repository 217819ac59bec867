//! The connection URL: `mysql://`, `mariadb://`, `postgres://`, `postgresql://`
//! with percent-encoded credentials and TLS options, printed redacted.
use crate::tls::Tls;
use plugin_api::sdk::Secret;
use serde::Deserialize;
use std::fmt;
use std::str::FromStr;

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

pub(crate) fn pct_decode(s: &str) -> Result<String, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
