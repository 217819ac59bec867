//! What goes into a statement ([`Param`]) and what comes out ([`Row`] of
//! [`Value`]s), the same for both engines.
/// A query parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    Int(i64),
    Str(String),
    Bool(bool),
    Null,
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Str(v.to_string())
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Str(v)
    }
}
impl From<bool> for Param {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}

/// A value read from a result row.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Bytes(Vec<u8>),
}

/// A result row: column names and values (engine-independent).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Row {
    pub columns: std::sync::Arc<Vec<String>>,
    pub values: Vec<Value>,
}

impl Row {
    /// The value of a column by name (case-sensitive; `None` if absent).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.columns.iter().position(|c| c == name).map(|i| &self.values[i])
    }
    /// Integer (any width; text holding an integer; bool as 0/1). `None` for NULL.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            Value::Int(v) => Some(*v),
            Value::Bool(b) => Some(*b as i64),
            Value::Float(f) => Some(*f as i64),
            Value::Str(s) => s.trim().parse().ok(),
            Value::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
            Value::Null => None,
        }
    }
    /// Text (numbers are formatted). `None` for NULL.
    pub fn str(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            Value::Str(s) => Some(s.clone()),
            Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
            Value::Int(v) => Some(v.to_string()),
            Value::Float(v) => Some(v.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null => None,
        }
    }
    /// Text or `""` for NULL/absent.
    pub fn text(&self, name: &str) -> String {
        self.str(name).unwrap_or_default()
    }
    /// Boolean (non-zero integers, `t`/`true`/`1`). `None` for NULL.
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.get(name)? {
            Value::Bool(b) => Some(*b),
            Value::Null => None,
            _ => match self.str(name)?.to_ascii_lowercase().as_str() {
                "t" | "true" | "y" | "yes" => Some(true),
                "f" | "false" | "n" | "no" | "" => Some(false),
                other => other.parse::<i64>().ok().map(|v| v != 0),
            },
        }
    }
}
