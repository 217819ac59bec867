//! Source plugin `bbb-cache`: lists the recordings of a saved `getRecordings`
//! answer (a file written by the `bbb` source's `cache`, or fetched by hand
//! with `curl`). The file is streamed: its size does not matter.
//!
//! ```toml
//! [[sources]]
//! name = "old-bbb"
//! type = "bbb-cache"
//! path = "getRecordings.xml"   # relative to the pipeline file
//! ```

use bbb_xml::RecordingsReader;
use plugin_api::abi::{PluginError, SourceBatch};
use plugin_api::export_plugin;
use plugin_api::sdk::{Component, Ctx, PluginDecl, SourceComponent, SourcePlugin};
use serde::Deserialize;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::Mutex;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    path: PathBuf,
}

pub struct CacheSource {
    path: PathBuf,
    reader: Mutex<Option<RecordingsReader<BufReader<File>>>>,
}

impl SourceComponent for CacheSource {
    const TYPE: &'static str = "bbb-cache";
    const ABOUT: &'static str = "Lists the recordings of a saved getRecordings answer";
    type Config = Config;
    fn build(cfg: Config, ctx: Ctx) -> Result<Self, PluginError> {
        let path = ctx.resolve_path(&cfg.path);
        if !path.is_file() {
            return Err(PluginError::config("path", format!("{}: no such file", path.display())));
        }
        Ok(Self { path, reader: Mutex::new(None) })
    }
}

impl CacheSource {
    fn open(&self) -> Result<RecordingsReader<BufReader<File>>, PluginError> {
        let f = File::open(&self.path).map_err(|e| PluginError::io(format!("{}: {e}", self.path.display())))?;
        Ok(RecordingsReader::new(BufReader::with_capacity(1 << 16, f)))
    }
}

impl SourcePlugin for CacheSource {
    fn next_batch(&self, max: usize) -> Result<Option<SourceBatch>, PluginError> {
        let mut guard = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(self.open()?);
        }
        let reader = guard.as_mut().expect("opened above");
        let mut batch = SourceBatch::default();
        reader.fill(&mut batch, max, &self.path.display().to_string())?;
        if batch.recordings.is_empty() && batch.rejected.is_empty() {
            return Ok(None);
        }
        Ok(Some(batch))
    }

    fn check(&self) -> Result<Vec<String>, PluginError> {
        let mut n = 0usize;
        for item in self.open()? {
            item.map_err(|e| PluginError::data(format!("{}: {e}", self.path.display())))?;
            n += 1;
        }
        Ok(vec![format!("{}: {n} recordings", self.path.display())])
    }
}

pub struct Plugin;

impl PluginDecl for Plugin {
    const NAME: &'static str = "bbb-cache";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Recordings from a saved getRecordings XML file";
    const COMPONENTS: &'static [Component] = &[Component::source::<CacheSource>()];
}

export_plugin!(Plugin);
