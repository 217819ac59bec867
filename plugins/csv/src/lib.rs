//! Sink plugin `csv`: one row per recording, UTF-8, RFC 4180 (CRLF, quoted
//! where needed), header first.
//!
//! ```toml
//! [[sinks]]
//! name = "csv"
//! type = "csv"
//! path = "out/recordings.csv"   # relative to the pipeline file
//! ```
//!
//! Exactly once across crashes: rows are appended to `<path>.partial` (fsync
//! per batch) and the file is renamed to `<path>` when the run finishes. A
//! re-run starts from the partial file (or the finished one), drops a torn
//! last line, and never writes a recordID twice (it answers `skipped`).
//! Line breaks inside cells become spaces, so every row is one line.
//! Cells starting with `=`, `+`, `-`, `@`, tab or CR are prefixed with `'`
//! (spreadsheet formula injection).

mod row;
mod undo;

use plugin_api::abi::{Delivered, LifecycleOp, Outcome, PluginError, SinkItem};
use plugin_api::export_plugin;
use plugin_api::sdk::{write_planned, Component, Ctx, PlanApply, Planned, PluginDecl, SinkComponent, SinkPlugin};
use row::{Row, HEADER};
use serde::Deserialize;
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    path: PathBuf,
}

struct Open {
    file: Option<File>,
    keys: HashSet<String>,
    appended: usize,
}

pub struct CsvSink {
    path: PathBuf,
    partial: PathBuf,
    dry_run: bool,
    state: Mutex<Open>,
}

fn io_err(path: &Path, e: std::io::Error) -> PluginError {
    PluginError::io(format!("{}: {e}", path.display()))
}

/// The recordIDs already in a CSV file (first column), after dropping a torn
/// last line; returns the keys and the length of the valid prefix.
fn existing_keys(path: &Path) -> Result<(HashSet<String>, u64), PluginError> {
    let mut bytes = Vec::new();
    File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)).map_err(|e| io_err(path, e))?;
    let valid = bytes.iter().rposition(|&b| b == b'\n').map(|i| i + 1).unwrap_or(0);
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(&bytes[..valid]);
    let mut keys = HashSet::new();
    for rec in rdr.records() {
        let rec =
            rec.map_err(|e| PluginError::data(format!("{}: not a CSV written by this sink: {e}", path.display())))?;
        if let Some(id) = rec.get(0) {
            keys.insert(id.to_string());
        }
    }
    Ok((keys, valid as u64))
}

impl SinkComponent for CsvSink {
    const TYPE: &'static str = "csv";
    const ABOUT: &'static str = "One row per recording with its owners";
    type Config = Config;
    fn build(cfg: Config, ctx: Ctx) -> Result<Self, PluginError> {
        let path = ctx.resolve_path(&cfg.path);
        if path.file_name().is_none() || path.is_dir() {
            return Err(PluginError::config("path", format!("{}: must be a file path", path.display())));
        }
        let mut partial = path.clone().into_os_string();
        partial.push(".partial");
        Ok(Self {
            path,
            partial: partial.into(),
            dry_run: ctx.dry_run(),
            state: Mutex::new(Open { file: None, keys: HashSet::new(), appended: 0 }),
        })
    }
}

impl CsvSink {
    /// Opens the partial file for appending, recovering what a crashed or
    /// earlier run left.
    fn open(&self) -> Result<Open, PluginError> {
        if self.dry_run {
            let from = [&self.partial, &self.path].into_iter().find(|p| p.exists());
            let keys = match from {
                Some(p) => existing_keys(p)?.0,
                None => HashSet::new(),
            };
            return Ok(Open { file: None, keys, appended: 0 });
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        }
        if !self.partial.exists() && self.path.exists() {
            std::fs::copy(&self.path, &self.partial).map_err(|e| io_err(&self.partial, e))?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .open(&self.partial)
            .map_err(|e| io_err(&self.partial, e))?;
        let (keys, valid) = existing_keys(&self.partial)?;
        file.set_len(valid).map_err(|e| io_err(&self.partial, e))?;
        file.seek(SeekFrom::End(0)).map_err(|e| io_err(&self.partial, e))?;
        if valid == 0 {
            file.write_all(&row::to_csv(&[HEADER.map(String::from).to_vec()])).map_err(|e| io_err(&self.partial, e))?;
        }
        Ok(Open { file: Some(file), keys, appended: 0 })
    }
}

/// A row to append: its recordID, cells and owners (for the outcome).
pub struct NewRow {
    id: String,
    cells: Vec<String>,
    owners: String,
}

impl PlanApply for CsvSink {
    type Step = NewRow;

    fn plan(&self, batch: &[SinkItem]) -> Result<Vec<Planned<NewRow>>, PluginError> {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let plan = |item: &SinkItem| {
            let id = item.recording.record_id.as_str();
            if st.keys.contains(id) {
                return Planned::settled(Outcome::skipped(id, "already in the CSV"));
            }
            let cells = Row::of(item).cells();
            let owners = cells[row::OWNERS].clone();
            let would = Outcome::planned(id, format!("would add a row to {} (owners: {owners})", self.path.display()));
            Planned::write(NewRow { id: id.to_string(), cells, owners }, would)
        };
        Ok(batch.iter().map(plan).collect())
    }

    /// Appends the new rows in one write (fsync'd); a recordID that is in the
    /// file by now (twice in one batch) is skipped.
    fn apply(&self, _batch: &[SinkItem], plans: Vec<Planned<NewRow>>) -> Result<Vec<Outcome>, PluginError> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut rows = Vec::new();
        let mut outcomes = Vec::new();
        for p in plans {
            match p.into_step() {
                Err(o) => outcomes.push(o),
                Ok(step) if !st.keys.insert(step.id.clone()) => {
                    outcomes.push(Outcome::skipped(&step.id, "already in the CSV"))
                }
                Ok(step) => {
                    outcomes.push(Outcome::done(&step.id, format!("row added (owners: {})", step.owners)));
                    rows.push(step.cells);
                }
            }
        }
        if let (Some(file), false) = (st.file.as_mut(), rows.is_empty()) {
            file.write_all(&row::to_csv(&rows)).and_then(|_| file.sync_data()).map_err(|e| io_err(&self.partial, e))?;
        }
        st.appended += rows.len();
        Ok(outcomes)
    }
}

impl SinkPlugin for CsvSink {
    fn prepare(&self) -> Result<Vec<String>, PluginError> {
        let open = self.open()?;
        let note = format!("{}: {} recordings already exported", self.path.display(), open.keys.len());
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = open;
        Ok(vec![note])
    }

    fn write(&self, batch: &[SinkItem]) -> Result<Vec<Outcome>, PluginError> {
        write_planned(self, self.dry_run, batch)
    }

    fn finish(&self) -> Result<Vec<String>, PluginError> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let Some(file) = st.file.take() else { return Ok(Vec::new()) };
        file.sync_all().map_err(|e| io_err(&self.partial, e))?;
        drop(file);
        std::fs::rename(&self.partial, &self.path).map_err(|e| io_err(&self.path, e))?;
        Ok(vec![format!("{}: {} rows added, {} in all", self.path.display(), st.appended, st.keys.len())])
    }

    fn lifecycle_ops(&self) -> &'static [LifecycleOp] {
        &[LifecycleOp::UNDO]
    }

    /// Undo: the rows of these recordings leave the CSV (and its `.partial`),
    /// every other byte kept. One rewrite (temporary file, fsync, rename) per file.
    fn lifecycle(&self, op: LifecycleOp, batch: &[Delivered]) -> Result<Vec<Outcome>, PluginError> {
        if op != LifecycleOp::UNDO {
            return Err(plugin_api::sdk::unsupported_op(op));
        }
        undo::remove_rows(&[&self.partial, &self.path], batch, self.dry_run)
    }

    fn check(&self) -> Result<Vec<String>, PluginError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let existing = dir.ancestors().find(|d| d.exists()).unwrap_or(Path::new("."));
        let meta = std::fs::metadata(existing).map_err(|e| io_err(existing, e))?;
        if meta.permissions().readonly() {
            return Err(PluginError::io(format!("{}: read-only folder", existing.display())));
        }
        Ok(vec![format!("writes {}", self.path.display())])
    }
}

pub struct Plugin;

impl PluginDecl for Plugin {
    const NAME: &'static str = "csv";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "CSV export of every recording and its owners";
    const COMPONENTS: &'static [Component] = &[Component::sink::<CsvSink>()];
}

export_plugin!(Plugin);
