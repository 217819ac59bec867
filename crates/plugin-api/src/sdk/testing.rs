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

/// A file or folder of the repository's `testdata/` (see its SOURCES.md):
/// found from this crate's folder upwards, so it works for every crate of the
/// workspace wherever the checkout is, and never reaches outside it.
pub fn testdata(rel: &str) -> std::path::PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = here
        .ancestors()
        .find(|a| a.join("testdata/SOURCES.md").is_file())
        .unwrap_or_else(|| panic!("no testdata/ folder above {}", here.display()));
    let path = root.join("testdata").join(rel);
    assert!(path.exists(), "{} is missing (see testdata/SOURCES.md)", path.display());
    path
}

/// Builds source `T` from JSON settings as the host would (decoded by the SDK).
pub fn source<T: super::SourceComponent>(json: &str, ctx: Ctx) -> super::Result<T> {
    T::build(super::decode(json)?, ctx)
}

/// Builds resolver `T` from JSON settings as the host would.
pub fn resolver<T: super::ResolverComponent>(json: &str, ctx: Ctx) -> super::Result<T> {
    T::build(super::decode(json)?, ctx)
}

/// Builds sink `T` from JSON settings as the host would.
pub fn sink<T: super::SinkComponent>(json: &str, ctx: Ctx) -> super::Result<T> {
    T::build(super::decode(json)?, ctx)
}
