use crate::abi::{LogLevel, PluginCtx};
use std::path::{Path, PathBuf};

/// The host context, as a plugin sees it.
#[derive(Clone)]
pub struct Ctx {
    raw: PluginCtx,
}

impl Ctx {
    pub fn new(raw: PluginCtx) -> Self {
        Self { raw }
    }
    /// The component's `name` in the pipeline file.
    pub fn component(&self) -> &str {
        self.raw.component.as_str()
    }
    pub fn dry_run(&self) -> bool {
        self.raw.dry_run
    }
    pub fn config_dir(&self) -> &Path {
        Path::new(self.raw.config_dir.as_str())
    }
    /// A path from the config, relative to the pipeline file's folder.
    pub fn resolve_path(&self, p: impl AsRef<Path>) -> PathBuf {
        let p = p.as_ref();
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.config_dir().join(p)
        }
    }
    pub fn log(&self, level: LogLevel, message: &str) {
        self.raw.logger.log(level, self.raw.component.as_rstr(), message.into());
    }
    pub fn info(&self, message: &str) {
        self.log(LogLevel::INFO, message)
    }
    pub fn warn(&self, message: &str) {
        self.log(LogLevel::WARN, message)
    }
    pub fn debug(&self, message: &str) {
        self.log(LogLevel::DEBUG, message)
    }
}
