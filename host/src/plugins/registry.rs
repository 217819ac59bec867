//! Component types → plugin files; building the pipeline's components.
use super::discover::plugin_files;
use super::handle::{Resolver, Sink, Source};
use super::load::{load_file, LoadedPlugin};
use crate::config::{Component, Pipeline};
use crate::redact::Redactor;
use anyhow::{anyhow, bail, Result};
use plugin_api::abi::{ComponentKind, HostLog, HostLog_TO, LogLevel, PluginCtx, PluginError};
use plugin_api::abi_stable::{
    sabi_trait::TD_Opaque,
    std_types::{RArc, RStr},
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every plugin file found, loaded or refused.
pub struct Registry {
    pub plugins: Vec<LoadedPlugin>,
    /// Files that could not be loaded, with the one-line reason.
    pub broken: Vec<(PathBuf, String)>,
    by_type: BTreeMap<(u8, String), usize>,
}

impl Registry {
    /// Scans `dirs` in order; the first file offering a type wins.
    pub fn discover(dirs: &[PathBuf]) -> Result<Self> {
        let mut reg = Registry { plugins: Vec::new(), broken: Vec::new(), by_type: BTreeMap::new() };
        let mut seen = Vec::new();
        for dir in dirs {
            for file in plugin_files(dir) {
                let canon = file.canonicalize().unwrap_or_else(|_| file.clone());
                if seen.contains(&canon) {
                    continue;
                }
                seen.push(canon);
                reg.add(&file, dir)?;
            }
        }
        Ok(reg)
    }

    /// A registry of plugins already loaded (in-process ones: the engine's tests).
    pub fn of(plugins: Vec<LoadedPlugin>) -> Result<Self> {
        let mut reg = Registry { plugins: Vec::new(), broken: Vec::new(), by_type: BTreeMap::new() };
        for p in plugins {
            let dir = p.file.parent().map(Path::to_path_buf).unwrap_or_default();
            reg.insert(p, &dir)?;
        }
        Ok(reg)
    }

    fn add(&mut self, file: &Path, dir: &Path) -> Result<()> {
        match load_file(file) {
            Ok(p) => self.insert(p, dir)?,
            Err(e) => {
                tracing::debug!("{e}");
                self.broken.push((file.to_path_buf(), e.to_string()));
            }
        }
        Ok(())
    }

    fn insert(&mut self, p: LoadedPlugin, dir: &Path) -> Result<()> {
        let file = p.file.clone();
        let idx = self.plugins.len();
        for c in p.manifest.components.iter() {
            let key = (c.kind.0, c.type_name.to_string());
            if let Some(&other) = self.by_type.get(&key) {
                let other = &self.plugins[other].file;
                if other.parent() == Some(dir) {
                    bail!(
                        "{} and {} both offer the {} `{}`: remove one",
                        other.display(),
                        file.display(),
                        c.kind.label(),
                        c.type_name
                    );
                }
                tracing::debug!("{} shadowed by {} for `{}`", file.display(), other.display(), c.type_name);
                continue;
            }
            self.by_type.insert(key, idx);
        }
        self.plugins.push(p);
        Ok(())
    }

    /// The plugin offering `type_name` of `kind` (or the file named by `plugin =`).
    pub fn find(&mut self, kind: ComponentKind, c: &Component, p: &Pipeline) -> Result<LoadedPlugin> {
        if let Some(file) = &c.plugin {
            let plugin = load_file(file).map_err(|e| anyhow!("{}: {e}", p.at(c, Some("plugin"))))?;
            if !plugin.manifest.components.iter().any(|d| d.kind == kind && d.type_name.as_str() == c.type_name) {
                bail!("{}: {} has no {} `{}`", p.at(c, Some("type")), file.display(), kind.label(), c.type_name);
            }
            return Ok(plugin);
        }
        match self.by_type.get(&(kind.0, c.type_name.clone())) {
            Some(&i) => Ok(self.plugins[i].clone()),
            None => {
                let known: Vec<String> =
                    self.by_type.keys().filter(|(k, _)| *k == kind.0).map(|(_, t)| t.clone()).collect();
                let broken = if self.broken.is_empty() {
                    String::new()
                } else {
                    format!("; {} plugin file(s) could not be loaded (see `bbb-migrate plugins`)", self.broken.len())
                };
                bail!(
                    "{}: unknown {} plugin `{}` (available: {}){broken}",
                    p.at(c, Some("type")),
                    kind.label(),
                    c.type_name,
                    if known.is_empty() { "none".into() } else { known.join(", ") }
                )
            }
        }
    }
}

/// The components of a pipeline, built by their plugins.
pub struct Instances {
    pub sources: Vec<Source>,
    pub resolvers: Vec<Resolver>,
    pub sinks: Vec<Sink>,
}

/// Host logging offered to plugins: their messages go to our `tracing`,
/// through the redactor.
#[derive(Clone)]
struct Logger(Redactor);

impl HostLog for Logger {
    fn log(&self, level: LogLevel, component: RStr<'_>, message: RStr<'_>) {
        let msg = self.0.line(message.as_str());
        let c = component.as_str();
        match level {
            LogLevel::ERROR => tracing::error!(component = c, "{msg}"),
            LogLevel::WARN => tracing::warn!(component = c, "{msg}"),
            LogLevel::INFO => tracing::info!(component = c, "{msg}"),
            _ => tracing::debug!(component = c, "{msg}"),
        }
    }
}

impl Instances {
    /// Loads and builds every component. A plugin's config error points at
    /// the pipeline file's line of the key at fault.
    pub fn build(p: &Pipeline, reg: &mut Registry, dry_run: bool, redactor: &Redactor) -> Result<Self> {
        Self::build_for(p, reg, dry_run, redactor, "{}")
    }

    /// Like [`Instances::build`], with `extra_json` in every component's context (a host
    /// command other than `run`, e.g. `{"command":"verify"}`).
    pub fn build_for(
        p: &Pipeline,
        reg: &mut Registry,
        dry_run: bool,
        redactor: &Redactor,
        extra_json: &str,
    ) -> Result<Self> {
        let ctx = |c: &Component| PluginCtx {
            component: c.name.as_str().into(),
            config_dir: p.dir.to_string_lossy().as_ref().into(),
            dry_run,
            logger: HostLog_TO::from_ptr(RArc::new(Logger(redactor.clone())), TD_Opaque),
            extra_json: extra_json.into(),
        };
        let fail =
            |c: &Component, e: PluginError| anyhow!("{}: {}", p.at(c, e.field()), redactor.redact(e.message.as_str()));
        let mut out = Instances { sources: Vec::new(), resolvers: Vec::new(), sinks: Vec::new() };
        for c in &p.sources {
            let plugin = reg.find(ComponentKind::SOURCE, c, p)?;
            let made = (plugin.module.new_source())(c.type_name.as_str().into(), c.config_json.as_str().into(), ctx(c));
            out.sources.push(Source::new(c.clone(), made.into_result().map_err(|e| fail(c, e))?, redactor));
        }
        for c in &p.resolvers {
            let plugin = reg.find(ComponentKind::RESOLVER, c, p)?;
            let made =
                (plugin.module.new_resolver())(c.type_name.as_str().into(), c.config_json.as_str().into(), ctx(c));
            out.resolvers.push(Resolver::new(c.clone(), made.into_result().map_err(|e| fail(c, e))?, redactor));
        }
        for c in &p.sinks {
            let plugin = reg.find(ComponentKind::SINK, c, p)?;
            let made = (plugin.module.new_sink())(c.type_name.as_str().into(), c.config_json.as_str().into(), ctx(c));
            out.sinks.push(Sink::new(c.clone(), made.into_result().map_err(|e| fail(c, e))?, redactor));
        }
        Ok(out)
    }
}

impl Instances {
    /// Closes the sources and resolvers (connections, runtimes); a failure is a warning.
    pub fn close_readers(&self) {
        for s in &self.sources {
            if let Err(e) = s.close() {
                tracing::warn!("{}", plugin_api::sdk::text::escape_line(&format!("{e:#}")));
            }
        }
        for r in &self.resolvers {
            if let Err(e) = r.close() {
                tracing::warn!("{}", plugin_api::sdk::text::escape_line(&format!("{e:#}")));
            }
        }
    }
}
