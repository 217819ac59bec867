//! `${NAME}` in any string value, from the environment.
use super::Locator;
use crate::redact::Redactor;
use anyhow::{bail, Result};

/// Expands `${NAME}` in every string of `table`. A missing variable is a
/// config error naming it and the line where it is used. Expanded values are
/// taught to the redactor (they are often secrets).
pub fn expand(table: &mut toml::Table, loc: &Locator, redactor: &Redactor) -> Result<()> {
    for (_, v) in table.iter_mut() {
        expand_value(v, loc, redactor)?;
    }
    Ok(())
}

fn expand_value(v: &mut toml::Value, loc: &Locator, redactor: &Redactor) -> Result<()> {
    match v {
        toml::Value::String(s) => *s = expand_str(s, loc, redactor)?,
        toml::Value::Array(a) => {
            for x in a {
                expand_value(x, loc, redactor)?;
            }
        }
        toml::Value::Table(t) => {
            for (_, x) in t.iter_mut() {
                expand_value(x, loc, redactor)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn expand_str(s: &str, loc: &Locator, redactor: &Redactor) -> Result<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            bail!("{}: unterminated `${{` in a string", loc.at_text(&rest[start..]));
        };
        let name = &after[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            bail!("{}: `${{{name}}}` is not a valid environment variable name", loc.at_text(&format!("${{{name}}}")));
        }
        match std::env::var(name) {
            Ok(val) => {
                redactor.add(&val);
                out.push_str(&val);
            }
            Err(_) => bail!(
                "{}: environment variable `{name}` is not set (used as `${{{name}}}`)",
                loc.at_text(&format!("${{{name}}}"))
            ),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
