//! For plugin authors' tests: drive a component through its native trait
//! without a host.
use super::Ctx;
use crate::abi::{HostLog, HostLog_TO, LogLevel, PluginCtx};
use abi_stable::{
    sabi_trait::TD_Opaque,
    std_types::{RArc, RStr},
};
use std::path::Path;

#[derive(Clone)]
struct StderrLog;

impl HostLog for StderrLog {
    fn log(&self, level: LogLevel, component: RStr<'_>, message: RStr<'_>) {
        eprintln!("[{:?}] {component}: {message}", level.0);
    }
}

/// A context as the host would give it: component `name`, relative paths
/// resolved against `config_dir`, logs to stderr.
pub fn ctx(name: &str, config_dir: &Path, dry_run: bool) -> Ctx {
    Ctx::new(PluginCtx {
        component: name.into(),
        config_dir: config_dir.to_string_lossy().as_ref().into(),
        dry_run,
        logger: HostLog_TO::from_ptr(RArc::new(StderrLog), TD_Opaque),
        extra_json: "{}".into(),
    })
}
