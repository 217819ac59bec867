//! Decoding a component's settings (TOML table → JSON text → your struct).
use crate::abi::PluginError;
use serde::de::DeserializeOwned;

/// Decodes the JSON config into `T` (use `#[serde(deny_unknown_fields)]`).
/// A missing, unknown or mistyped key becomes a `CONFIG` error whose `field`
/// is the key's dotted path (tracked while decoding by `serde_path_to_error`),
/// so the host can point at its line in the pipeline file.
pub fn decode<T: DeserializeOwned>(config_json: &str) -> Result<T, PluginError> {
    let mut de = serde_json::Deserializer::from_str(config_json);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let msg = e.into_inner().to_string();
        // serde_json appends " at line L column C" of the host's JSON text: drop it.
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        // An unknown key is the path's last segment already; a missing one is not
        // there to track (the path is its table's): add it.
        let key = first_backticked(&msg).filter(|_| msg.starts_with("missing field"));
        let field = match key {
            Some(k) if path.is_empty() => k,
            Some(k) => format!("{path}.{k}"),
            None => path,
        };
        PluginError::config(field, msg)
    })
}

fn first_backticked(msg: &str) -> Option<String> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(msg[start..start + len].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct C {
        path: String,
        #[serde(default)]
        size: u32,
        #[serde(default)]
        mode: Option<Mode>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        Fast,
    }

    #[test]
    fn names_the_missing_unknown_and_mistyped_key() {
        let e = decode::<C>(r#"{}"#).unwrap_err();
        assert_eq!(e.field(), Some("path"));
        let e = decode::<C>(r#"{"path":"a","pth":1}"#).unwrap_err();
        assert_eq!(e.field(), Some("pth"));
        assert!(e.message.contains("expected"), "{}", e.message);
        let e = decode::<C>(r#"{"path":"a","size":"big"}"#).unwrap_err();
        assert_eq!(e.field(), Some("size"));
        assert!(!e.message.contains("line"), "{}", e.message);
        let e = decode::<C>(r#"{"path":"a","mode":"slow"}"#).unwrap_err();
        assert_eq!(e.field(), Some("mode"), "{}", e.message);
        let _ = Mode::Fast;
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        table: std::collections::BTreeMap<String, C>,
    }

    #[test]
    fn names_nested_keys_by_their_path() {
        let e = decode::<Outer>(r#"{"table":{"x":{"path":"a","size":-1}}}"#).unwrap_err();
        assert_eq!(e.field(), Some("table.x.size"), "{}", e.message);
        let e = decode::<Outer>(r#"{"table":{"x":{"path":"a","sise":1}}}"#).unwrap_err();
        assert_eq!(e.field(), Some("table.x.sise"), "{}", e.message);
        let e = decode::<Outer>(r#"{"table":{"x":{}}}"#).unwrap_err();
        assert_eq!(e.field(), Some("table.x.path"), "{}", e.message);
    }
}
