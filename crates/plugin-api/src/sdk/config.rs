//! Decoding a component's settings (TOML table → JSON text → your struct).
use crate::abi::PluginError;
use serde::de::DeserializeOwned;

/// Decodes the JSON config into `T` (use `#[serde(deny_unknown_fields)]`).
/// A missing, unknown or mistyped key becomes a `CONFIG` error whose `field`
/// names the key, so the host can point at the line in the pipeline file.
pub fn decode<T: DeserializeOwned>(config_json: &str) -> Result<T, PluginError> {
    let mut de = serde_json::Deserializer::from_str(config_json);
    match serde_path_to_error(&mut de) {
        Ok(v) => Ok(v),
        Err((path, err)) => {
            let msg = err.to_string();
            // serde_json appends " at line L column C" of the re-serialised text: drop it.
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            let field =
                first_backticked(&msg).filter(|_| msg.starts_with("missing field") || msg.starts_with("unknown field"));
            let field = field.map(|f| if path.is_empty() { f } else { format!("{path}.{f}") }).unwrap_or(path);
            Err(PluginError::config(field, msg))
        }
    }
}

/// Tracks the key being decoded when a type error occurs (a tiny stand-in for
/// `serde_path_to_error`): we decode to a `Value` first, then re-decode each
/// top-level key on failure to find the culprit.
fn serde_path_to_error<T: DeserializeOwned>(
    de: &mut serde_json::Deserializer<serde_json::de::StrRead<'_>>,
) -> Result<T, (String, serde_json::Error)> {
    let value: serde_json::Value = serde::Deserialize::deserialize(&mut *de).map_err(|e| (String::new(), e))?;
    match serde_json::from_value::<T>(value.clone()) {
        Ok(v) => Ok(v),
        Err(e) => {
            let msg = e.to_string();
            if ["invalid type", "invalid value", "invalid length", "unknown variant"].iter().any(|p| msg.starts_with(p))
            {
                if let serde_json::Value::Object(map) = &value {
                    for (k, v) in map {
                        // The first key whose value, alone, reproduces the error message.
                        let probe = serde_json::Value::Object([(k.clone(), v.clone())].into_iter().collect());
                        if let Err(e2) = serde_json::from_value::<T>(probe) {
                            if e2.to_string() == msg {
                                return Err((k.clone(), e));
                            }
                        }
                    }
                }
            }
            Err((String::new(), e))
        }
    }
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
}
