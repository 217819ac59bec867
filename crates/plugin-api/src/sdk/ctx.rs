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
    /// The host command that made this component when it is not `run`/`check`: `verify`
    /// (a sink that keeps an archive then re-checks it in `check()` and answers one line per
    /// recording, `OK <recordID>: …` or `BAD <recordID>: …`; the host exits 1 on any `BAD`).
    /// Read from the context's `extra_json` (`{"command": "verify"}`).
    pub fn command(&self) -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(self.raw.extra_json.as_str()).ok()?;
        v.get("command")?.as_str().map(String::from)
    }
    /// The same context with `extra_json` replaced (the host's commands; tests).
    pub fn with_extra_json(mut self, json: &str) -> Self {
        self.raw.extra_json = json.into();
        self
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
