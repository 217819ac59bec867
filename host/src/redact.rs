//! Secrets never reach a log, an error or a report: every text the host
//! prints passes through the [`Redactor`], which knows the values that came
//! from `${ENV}`, the values of secret-looking keys, and URL passwords.
use plugin_api::sdk::text::escape_line;
use std::sync::{Arc, RwLock};

#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<String>>>,
}

/// Keys whose values are secrets whatever they look like.
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["secret", "password", "passwd", "token", "salt", "api_key", "secret_key"].iter().any(|s| k.contains(s))
}

impl Redactor {
    /// Remembers a secret value (short values are ignored: they would mask
    /// ordinary words).
    pub fn add(&self, value: &str) {
        if value.len() >= 4 {
            let mut s = self.secrets.write().unwrap_or_else(|p| p.into_inner());
            if !s.iter().any(|x| x == value) {
                s.push(value.to_string());
                // Longest first, so a secret containing another is masked whole.
                s.sort_by_key(|x| std::cmp::Reverse(x.len()));
            }
        }
    }

    /// Learns the values of secret-looking keys and URL passwords in a config.
    pub fn learn_from_config(&self, table: &toml::Table) {
        for (k, v) in table {
            self.learn_value(Some(k), v);
        }
    }

    fn learn_value(&self, key: Option<&str>, v: &toml::Value) {
        match v {
            toml::Value::String(s) => {
                if key.is_some_and(is_secret_key) {
                    self.add(s);
                }
                if let Some(pw) = url_password(s) {
                    self.add(pw);
                }
            }
            toml::Value::Array(a) => a.iter().for_each(|x| self.learn_value(key, x)),
            toml::Value::Table(t) => t.iter().for_each(|(k, x)| self.learn_value(Some(k), x)),
            _ => {}
        }
    }

    /// The text with every known secret replaced by `***`, and any
    /// `scheme://user:password@` and `checksum=` value masked.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in self.secrets.read().unwrap_or_else(|p| p.into_inner()).iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
        mask_url_passwords(&mask_param(&out, "checksum="))
    }

    /// [`Redactor::redact`], then made safe for a terminal line: remote text
    /// (recordIDs, names, server messages) cannot forge a line or send escape
    /// sequences ([`plugin_api::sdk::text::escape_line`]).
    pub fn line(&self, text: &str) -> String {
        escape_line(&self.redact(text)).into_owned()
    }
}

/// The password part of `scheme://user:password@host…`, if any.
fn url_password(s: &str) -> Option<&str> {
    let rest = &s[s.find("://")? + 3..];
    let at = rest.find('@')?;
    let userinfo = &rest[..at];
    if userinfo.contains('/') {
        return None;
    }
    let colon = userinfo.find(':')?;
    Some(&userinfo[colon + 1..]).filter(|p| !p.is_empty() && *p != "***")
}

fn mask_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        out.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        let end = rest.find(|c: char| c.is_whitespace() || c == '/' || c == '"' || c == '\'').unwrap_or(rest.len());
        let authority = &rest[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..colon]);
                out.push_str(":***");
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn mask_param(text: &str, param: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(param) {
        out.push_str(&rest[..i + param.len()]);
        rest = &rest[i + param.len()..];
        let end = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
        if end > 0 {
            out.push_str("***");
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_known_secrets_url_passwords_and_checksums() {
        let r = Redactor::default();
        let cfg: toml::Table =
            toml::from_str("[[sinks]]\nsecret_key = \"s3cr3t-key\"\ndatabase = \"mysql://pod:pw0rd!@db:3306/pod\"\n")
                .unwrap();
        r.learn_from_config(&cfg);
        r.add("envvalue42");
        let out = r.redact("key s3cr3t-key, pw pw0rd! env envvalue42 url postgres://u:hidden@h/db?x api/getRecordings?checksum=abc123&x=1");
        assert_eq!(out, "key ***, pw *** env *** url postgres://u:***@h/db?x api/getRecordings?checksum=***&x=1");
    }
}
