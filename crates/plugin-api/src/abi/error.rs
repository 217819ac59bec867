use abi_stable::{
    std_types::{ROption, RString},
    StableAbi,
};
use std::fmt;

/// What went wrong, as a small open set (a `u8`, so values can be added without
/// an ABI break; unknown values print as `error`).
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ErrorKind(pub u8);

impl ErrorKind {
    /// The plugin's own TOML table is wrong (`field` names the key).
    pub const CONFIG: Self = Self(1);
    /// A server or database could not be reached or refused the login.
    pub const CONNECT: Self = Self(2);
    /// Local files: read, write, disk full.
    pub const IO: Self = Self(3);
    /// Malformed data from a server, a file or a database.
    pub const DATA: Self = Self(4);
    /// The plugin panicked; the SDK caught it at the boundary.
    pub const PANIC: Self = Self(5);
    /// The plugin does not offer the requested component or operation.
    pub const UNSUPPORTED: Self = Self(6);
    /// Anything else.
    pub const OTHER: Self = Self(7);

    pub fn label(self) -> &'static str {
        match self {
            Self::CONFIG => "config",
            Self::CONNECT => "connection",
            Self::IO => "io",
            Self::DATA => "data",
            Self::PANIC => "panic",
            Self::UNSUPPORTED => "unsupported",
            _ => "error",
        }
    }
}

/// An error returned by a plugin: a value, never a panic across the boundary.
/// `message` is one line and must never contain a secret.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct PluginError {
    pub kind: ErrorKind,
    pub message: RString,
    /// The config key at fault (for `CONFIG`), so the host can point at `file:line`.
    pub field: ROption<RString>,
}

impl PluginError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        let message: String = message.into();
        // One line, always: multi-line driver errors are folded.
        let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
        Self { kind, message: message.into(), field: ROption::RNone }
    }
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut e = Self::new(ErrorKind::CONFIG, message);
        e.field = ROption::RSome(field.into().into());
        e
    }
    pub fn connect(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::CONNECT, message)
    }
    pub fn io(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::IO, message)
    }
    pub fn data(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::DATA, message)
    }
    pub fn other(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::OTHER, message)
    }
    pub fn field(&self) -> Option<&str> {
        self.field.as_ref().map(|f| f.as_str()).into()
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PluginError {}
