#![allow(non_local_definitions, non_camel_case_types)]
use abi_stable::{
    sabi_trait,
    std_types::{RArc, RStr, RString},
    StableAbi,
};

#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct LogLevel(pub u8);

impl LogLevel {
    pub const ERROR: Self = Self(1);
    pub const WARN: Self = Self(2);
    pub const INFO: Self = Self(3);
    pub const DEBUG: Self = Self(4);
}

/// Logging provided by the host: a plugin's own `tracing`/`log` statics are not
/// the host's, so plugins log through this (the SDK's `PluginCtx::info` etc.).
#[sabi_trait]
pub trait HostLog: Send + Sync + Clone {
    fn log(&self, level: LogLevel, component: RStr<'_>, message: RStr<'_>);
}

/// What the host tells a component when it creates it.
#[repr(C)]
#[derive(StableAbi, Clone)]
pub struct PluginCtx {
    /// The component's `name` in the pipeline file.
    pub component: RString,
    /// The pipeline file's folder: relative paths are relative to it.
    pub config_dir: RString,
    /// `--dry-run`: read what you need, write nothing, describe the writes.
    pub dry_run: bool,
    pub logger: HostLog_TO<'static, RArc<()>>,
    pub extra_json: RString,
}
