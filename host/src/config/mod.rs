//! The pipeline file: TOML → a typed [`Pipeline`], with `${ENV}` expanded,
//! relative paths resolved against the file's folder, and errors that point
//! at `file:line` and the key at fault.

mod env;
mod locate;

pub use locate::Locator;

use crate::redact::Redactor;
use anyhow::{anyhow, bail, Result};
use serde::Deserialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Keys of a component table that belong to the host, not to the plugin.
const HOST_KEYS: &[&str] = &["name", "type", "plugin", "threads"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Select {
    /// Recording states to take (default `published`).
    #[serde(default = "default_states")]
    pub states: Vec<String>,
    /// `bbb-origin-server-name` values to skip before any query.
    #[serde(default)]
    pub ignored_servers: Vec<String>,
    /// 1-based, inclusive, in the stable order (newest start first, then recordID).
    pub from: Option<usize>,
    pub to: Option<usize>,
}

fn default_states() -> Vec<String> {
    vec!["published".into()]
}

impl Default for Select {
    fn default() -> Self {
        Self { states: default_states(), ignored_servers: Vec::new(), from: None, to: None }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fallback {
    /// Username of the owner given to recordings no resolver knows.
    pub owner: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
}

/// One `[[sources]]`, `[[resolvers]]` or `[[sinks]]` table.
#[derive(Debug, Clone)]
pub struct Component {
    pub name: String,
    pub type_name: String,
    /// Optional explicit plugin file.
    pub plugin: Option<PathBuf>,
    /// Sinks: how many batches this host writes to it at once, each in its
    /// own thread (default 1). Not to be confused with a plugin's own
    /// `concurrency` (claim-dir: recordings at once within a batch).
    pub threads: usize,
    /// The plugin's own keys, as JSON text.
    pub config_json: String,
    /// `sources`, `resolvers` or `sinks`, and the index in that array.
    pub section: &'static str,
    pub index: usize,
}

/// Where the journal lives: a SQLite file (the default) or a PostgreSQL
/// database shared by several workers.
#[derive(Debug, Clone, PartialEq)]
pub enum JournalAt {
    File(PathBuf),
    Postgres(bbb_migrate_db::DbUrl),
}

impl JournalAt {
    /// How logs and errors name it (a password shows as `***`).
    pub fn display(&self) -> String {
        match self {
            JournalAt::File(p) => p.display().to_string(),
            JournalAt::Postgres(u) => u.redacted(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Pipeline {
    pub file: PathBuf,
    pub dir: PathBuf,
    pub journal: JournalAt,
    pub plugin_dirs: Vec<PathBuf>,
    pub batch_size: usize,
    /// PostgreSQL journal: how long a worker's claim on an item or a sink
    /// lasts without being renewed (it renews every third of it).
    pub lease_seconds: u64,
    pub select: Select,
    pub fallback: Fallback,
    pub sources: Vec<Component>,
    pub resolvers: Vec<Component>,
    pub sinks: Vec<Component>,
    pub locator: Locator,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Top {
    #[serde(default = "default_journal")]
    journal: String,
    #[serde(default)]
    plugin_dirs: Vec<PathBuf>,
    #[serde(default = "default_batch")]
    batch_size: usize,
    #[serde(default = "default_lease")]
    lease_seconds: u64,
    #[serde(default)]
    select: Select,
    fallback: Fallback,
    #[serde(default)]
    sources: Vec<toml::Table>,
    #[serde(default)]
    resolvers: Vec<toml::Table>,
    #[serde(default)]
    sinks: Vec<toml::Table>,
}

fn default_journal() -> String {
    "state.db".into()
}
fn default_batch() -> usize {
    200
}
fn default_lease() -> u64 {
    60
}

impl Pipeline {
    /// Reads and checks the pipeline file. Errors are one line:
    /// `pipeline.toml:12: sinks[0] (csv): missing key `path``.
    pub fn load(file: &Path, redactor: &Redactor) -> Result<Self> {
        let text = std::fs::read_to_string(file).map_err(|e| anyhow!("{}: {e}", file.display()))?;
        let file = std::path::absolute(file)?;
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        let locator = Locator::new(&file, &text)?;
        let mut value: toml::Table = toml::from_str(&text).map_err(|e| locator.syntax_error(&e))?;
        env::expand(&mut value, &locator, redactor)?;
        redactor.learn_from_config(&value);
        let top: Top = Top::deserialize(toml::Value::Table(value)).map_err(|e| {
            // Decoding the text itself (not the expanded table) knows where the culprit is.
            match toml::from_str::<Top>(&text) {
                Err(raw) => locator.decode_error(&raw),
                Ok(_) => None,
            }
            .unwrap_or_else(|| locator.serde_error(&e.to_string()))
        })?;
        if top.lease_seconds < 2 {
            bail!("{}: lease_seconds must be at least 2", locator.at(&["lease_seconds"]));
        }
        if top.batch_size == 0 {
            bail!("{}: batch_size must be at least 1", locator.at(&["batch_size"]));
        }
        if let (Some(f), Some(t)) = (top.select.from, top.select.to) {
            if f == 0 || t < f {
                bail!("{}: select.from/to must satisfy 1 <= from <= to (got {f}..{t})", locator.at(&["select"]));
            }
        }
        if top.fallback.owner.trim().is_empty() {
            bail!(
                "{}: fallback.owner must name the account that receives unclaimed recordings",
                locator.at(&["fallback", "owner"])
            );
        }
        let resolve = |p: PathBuf| if p.is_absolute() { p } else { dir.join(p) };
        let sources = components("sources", top.sources, &locator, &dir)?;
        let resolvers = components("resolvers", top.resolvers, &locator, &dir)?;
        let sinks = components("sinks", top.sinks, &locator, &dir)?;
        if sources.is_empty() {
            bail!("{}: at least one [[sources]] table is needed", file.display());
        }
        let journal = if top.journal.starts_with("postgres://") || top.journal.starts_with("postgresql://") {
            JournalAt::Postgres(
                top.journal.parse().map_err(|e: String| anyhow!("{}: journal: {e}", locator.at(&["journal"])))?,
            )
        } else if top.journal.contains("://") {
            bail!("{}: journal must be a SQLite file path or a postgres:// URL", locator.at(&["journal"]));
        } else {
            JournalAt::File(resolve(PathBuf::from(&top.journal)))
        };
        Ok(Self {
            journal,
            plugin_dirs: top.plugin_dirs.into_iter().map(resolve).collect(),
            batch_size: top.batch_size,
            lease_seconds: top.lease_seconds,
            select: top.select,
            fallback: top.fallback,
            sources,
            resolvers,
            sinks,
            file,
            dir,
            locator,
        })
    }

    /// The JSON report: next to a journal file, next to the pipeline file
    /// (named after it) for a database journal.
    pub fn report_path(&self) -> PathBuf {
        let at = match &self.journal {
            JournalAt::File(f) => f,
            JournalAt::Postgres(_) => &self.file,
        };
        let stem = at.file_stem().and_then(|s| s.to_str()).unwrap_or("state");
        at.with_file_name(format!("{stem}.report.json"))
    }

    /// Which sources and sinks this pipeline has (names and types): a
    /// journal remembers the pipeline that created it.
    pub fn fingerprint(&self) -> String {
        let list =
            |cs: &[Component]| cs.iter().map(|c| format!("{}({})", c.name, c.type_name)).collect::<Vec<_>>().join(", ");
        format!("sources: {}; sinks: {}", list(&self.sources), list(&self.sinks))
    }

    /// Where a component's config error points: `file:line: sinks[0] (csv): `.
    pub fn at(&self, c: &Component, field: Option<&str>) -> String {
        let idx = c.index.to_string();
        let mut path = vec![c.section, idx.as_str()];
        if let Some(f) = field {
            path.extend(f.split('.'));
        }
        format!("{}: {}[{}] ({})", self.locator.at(&path), c.section, c.index, c.name)
    }
}

fn components(section: &'static str, tables: Vec<toml::Table>, loc: &Locator, dir: &Path) -> Result<Vec<Component>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (index, mut t) in tables.into_iter().enumerate() {
        let idx = index.to_string();
        let at = |key: &str| loc.at(&[section, &idx, key]);
        let get = |t: &toml::Table, key: &str| -> Result<Option<String>> {
            match t.get(key) {
                None => Ok(None),
                Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
                Some(_) => bail!("{}: {section}[{index}]: `{key}` must be a non-empty string", at(key)),
            }
        };
        let type_name = get(&t, "type")?.ok_or_else(|| {
            anyhow!(
                "{}: {section}[{index}]: missing key `type` (the plugin component to use)",
                loc.at(&[section, &idx])
            )
        })?;
        let name = get(&t, "name")?.unwrap_or_else(|| type_name.clone());
        if !seen.insert(name.clone()) {
            bail!(
                "{}: {section}[{index}]: duplicate name `{name}` (names identify components in the journal)",
                at("name")
            );
        }
        let plugin = get(&t, "plugin")?.map(|p| {
            let p = PathBuf::from(p);
            if p.is_absolute() {
                p
            } else {
                dir.join(p)
            }
        });
        let threads = match t.get("threads") {
            None => 1,
            Some(toml::Value::Integer(n)) if (1..=64).contains(n) => *n as usize,
            Some(_) => bail!("{}: {section}[{index}]: `threads` must be an integer from 1 to 64", at("threads")),
        };
        for k in HOST_KEYS {
            t.remove(*k);
        }
        let config_json = serde_json::to_string(&t)?;
        out.push(Component { name, type_name, plugin, threads, config_json, section, index });
    }
    Ok(out)
}
