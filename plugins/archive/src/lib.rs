//! Sink `archive`: a complete, verified copy of every published file of every recording,
//! in the layout the BBB server publishes, in a folder or an S3-compatible bucket; one
//! `manifest.json` per recording and an index at the root. See README.md.
mod config;
pub mod discover;
mod fetch;
mod hash;
mod index;
mod manifest;
mod recording;
mod target;
mod throttle;
mod verify;

pub use config::Settings;
pub use manifest::{FileEntry, Manifest};

use futures_util::StreamExt;
use plugin_api::sdk::{
    runtime::block_on, write_planned, Component, Ctx, PlanApply, Planned, PluginDecl, SinkComponent, SinkPlugin,
};
use plugin_api::{export_plugin, Outcome, PluginError, SinkItem};
use recording::{Archiver, ToArchive};
use std::sync::Arc;
use std::time::Duration;
use target::Target;

pub struct ArchiveSink {
    archiver: Arc<Archiver>,
    ctx: Ctx,
}

impl SinkComponent for ArchiveSink {
    const TYPE: &'static str = "archive";
    const ABOUT: &'static str = "Every published file of every format, in BBB's layout, with manifests";
    type Config = Settings;
    fn build(settings: Settings, ctx: Ctx) -> Result<Self, PluginError> {
        let settings = settings.checked()?;
        let mut target = Target::open(&settings, ctx.config_dir()).map_err(|e| PluginError::config("target", e))?;
        let work_dir = match (&settings.work_dir, &target) {
            (Some(w), _) => ctx.resolve_path(w),
            (None, Target::Local(l)) => l.root.join(".archive-work"),
            (None, Target::S3(_)) => ctx.config_dir().join(format!("{}.archive-work", ctx.component())),
        };
        target.set_work_dir(&work_dir);
        let timeout = Duration::from_secs(settings.http_timeout_s.max(1));
        let client = fetch::client(timeout).map_err(PluginError::other)?;
        let fetcher = fetch::Fetcher {
            client,
            retries: settings.retries,
            idle_timeout: timeout,
            throttle: throttle::Throttle::new(settings.max_mbps),
            reread: settings.reread(),
        };
        let slots = tokio::sync::Semaphore::new(settings.concurrency);
        Ok(ArchiveSink { archiver: Arc::new(Archiver { settings, target, fetcher, slots, work_dir }), ctx })
    }
}

impl ArchiveSink {
    /// Verify mode's `check()`: one `OK <recordID>: …` or `BAD <recordID>: …` line per
    /// recording, then a summary; an error only when the archive cannot be read at all.
    fn verify(&self) -> Result<Vec<String>, PluginError> {
        let a = self.archiver.clone();
        let target =
            Arc::new(Target::open(&a.settings, self.ctx.config_dir()).map_err(|e| PluginError::config("target", e))?);
        let report = block_on(verify::run(target, a.settings.concurrency)).map_err(PluginError::io)?;
        let mut lines = report.lines;
        lines.push(format!(
            "{}: {} recordings, {} files, {} bytes checked; {} with problems",
            a.target.describe(),
            lines.len(),
            report.files,
            report.bytes,
            report.bad
        ));
        Ok(lines)
    }
}

impl ArchiveSink {
    /// `f` of every item and its `with`, `concurrency` recordings at once; the answers in order.
    fn each<T, R, Fut>(&self, batch: &[SinkItem], with: Vec<T>, f: impl Fn(Arc<Archiver>, SinkItem, T) -> Fut) -> Vec<R>
    where
        Fut: std::future::Future<Output = R> + Send + 'static,
        R: Send + 'static,
    {
        let tasks: Vec<Fut> =
            batch.iter().zip(with).map(|(item, w)| f(self.archiver.clone(), item.clone(), w)).collect();
        let n = self.archiver.settings.concurrency;
        block_on(async move { futures_util::stream::iter(tasks).buffered(n).collect::<Vec<R>>().await })
    }
}

/// Plan: per recording, its manifest (archived already?) and its formats.
/// Apply: the manifest looked for again, then every file (see [`Archiver::archive`]).
impl PlanApply for ArchiveSink {
    type Step = ToArchive;

    fn plan(&self, batch: &[SinkItem]) -> Result<Vec<Planned<ToArchive>>, PluginError> {
        Ok(self.each(batch, vec![(); batch.len()], |a, item, ()| a.plan(item)))
    }

    fn apply(&self, batch: &[SinkItem], plans: Vec<Planned<ToArchive>>) -> Result<Vec<Outcome>, PluginError> {
        Ok(self.each(batch, plans, |a, item, p| async move {
            match p.into_step() {
                Err(o) => o,
                Ok(todo) => a.archive(item, todo).await,
            }
        }))
    }
}

impl SinkPlugin for ArchiveSink {
    fn prepare(&self) -> Result<Vec<String>, PluginError> {
        let a = self.archiver.clone();
        let dry = self.ctx.dry_run();
        block_on(async move { a.target.prepare(dry).await }).map_err(PluginError::connect)?;
        let s = &self.archiver.settings;
        Ok(vec![format!(
            "archive in {} ({} files at a time{}, verify by {})",
            self.archiver.target.describe(),
            s.concurrency,
            if s.max_mbps > 0.0 { format!(", at most {} Mbit/s", s.max_mbps) } else { String::new() },
            s.verify
        )])
    }

    fn write(&self, batch: &[SinkItem]) -> Result<Vec<Outcome>, PluginError> {
        write_planned(self, self.ctx.dry_run(), batch)
    }

    fn finish(&self) -> Result<Vec<String>, PluginError> {
        if self.ctx.dry_run() {
            return Ok(Vec::new());
        }
        let a = self.archiver.clone();
        let n = block_on(async move { index::rebuild(&a.target).await }).map_err(PluginError::io)?;
        Ok(vec![format!("index.csv and index.json list {n} archived recordings")])
    }

    fn check(&self) -> Result<Vec<String>, PluginError> {
        if self.ctx.command().as_deref() == Some("verify") {
            return self.verify();
        }
        let a = self.archiver.clone();
        block_on(async move { a.target.prepare(true).await }).map_err(PluginError::connect)?;
        let mut lines = vec![format!("target {}", self.archiver.target.describe())];
        if let Some(free) = self.archiver.target.free_space() {
            lines.push(format!("{free} bytes free"));
        }
        Ok(lines)
    }
}

pub struct Plugin;

impl PluginDecl for Plugin {
    const NAME: &'static str = "archive";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "A verified copy of every published recording file (folder or S3)";
    const COMPONENTS: &'static [Component] = &[Component::sink::<ArchiveSink>()];
}

export_plugin!(Plugin);
