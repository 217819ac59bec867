//! Source plugins `bbb` and `scalelite`: every recording of a BigBlueButton
//! server or a Scalelite load balancer, listed fast and reliably (prefix
//! shards, bounded concurrency, retries, streaming parse), without one
//! request per recording: a video format's file is found after selection by
//! the sinks that need it (`bbb-migrate-video-page`). One crate, one code
//! path: the two component types differ only by their [`Flavour`].
//!
//! ```toml
//! [[sources]]
//! name = "old-bbb"
//! type = "bbb"                      # or "scalelite"
//! url = "https://bbb.example.org/bigbluebutton/"
//! secret = "${BBB_SECRET}"
//! checksum = "sha256"               # sha1 | sha256 | sha384 (bbb only) | sha512
//! cache = "old-bbb.getRecordings.xml"
//! ```
//! See README.md for every key.

pub mod api;
pub mod list;

use api::{Api, ApiOptions, CallError, Checksum};
use bbb_xml::{AnswerWriter, RecordingsReader};
use list::{list_all, Plan, ShardOutput};
use plugin_api::abi::{PluginError, Recording, Rejected, SourceBatch};
use plugin_api::export_plugin;
use plugin_api::sdk::runtime::block_on;
use plugin_api::sdk::{Component, Ctx, PluginDecl, Secret, SourceComponent, SourcePlugin};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Which kind of server a component talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    Bbb,
    Scalelite,
}

fn d_timeout() -> u64 {
    30
}
fn d_concurrency() -> usize {
    4
}
fn d_retries() -> u32 {
    4
}
fn d_backoff() -> u64 {
    500
}
fn d_shard_max() -> usize {
    5_000
}

/// The component's keys (README.md documents each).
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The `https://host/bigbluebutton/` base.
    pub url: String,
    pub secret: Secret,
    #[serde(default)]
    pub checksum: Checksum,
    /// Saved listing: read instead of the server when it exists, written after a complete listing.
    #[serde(default)]
    pub cache: Option<PathBuf>,
    /// Per request; a shard without a complete answer in time is split.
    #[serde(default = "d_timeout")]
    pub timeout_s: u64,
    /// Requests in flight at once.
    #[serde(default = "d_concurrency")]
    pub concurrency: usize,
    /// Rewrite `presentation/2.0/playback.html?meetingId=X` to `presentation/2.3/X`.
    #[serde(default)]
    pub playback_url_23: bool,
    /// Attempts after the first one on network errors, 5xx and HTML error pages.
    #[serde(default = "d_retries")]
    pub retries: u32,
    /// First back-off delay; doubled at each retry.
    #[serde(default = "d_backoff")]
    pub backoff_ms: u64,
    /// `limit` for servers that proved they page (BBB ≥ 2.6); 0 never pages. Default 100 (`bbb`), 0 (`scalelite`).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// Recordings in one answer above which a shard is split into its 16 children.
    #[serde(default = "d_shard_max")]
    pub shard_max: usize,
    /// No longer used (video files are found after selection, by the sinks
    /// that need them); accepted so that existing pipelines still load.
    #[serde(default)]
    pub resolve_video: Option<bool>,
    /// Extra trusted CA certificates (PEM), besides the system's and the web roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

/// Spool files made by this process (unique temporary names).
static SPOOLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A `bbb` or `scalelite` source.
pub struct BbbSource {
    flavour: Flavour,
    cfg: Config,
    api: Arc<Api>,
    cache: Option<PathBuf>,
    ctx: Ctx,
    pending: Mutex<Option<Pending>>,
}

/// A complete listing being handed out: read back from the spool (or cache)
/// file, one batch at a time, so memory does not grow with the server.
struct Pending {
    rejected: Vec<Rejected>,
    reader: Option<RecordingsReader<BufReader<File>>>,
    file: PathBuf,
}

/// Where the listing is written while it is made: each completed shard is
/// appended (deduplicated), so memory holds one shard, not the server.
struct Spool {
    writer: AnswerWriter<BufWriter<File>>,
    seen: HashSet<String>,
    rejected: BTreeMap<String, Rejected>,
}

impl Spool {
    fn add(&mut self, out: ShardOutput) -> Result<(), PluginError> {
        for r in out.recordings {
            if self.seen.insert(r.record_id.to_string()) {
                self.writer.write(&r).map_err(|e| PluginError::io(format!("spool file: {e}")))?;
            }
        }
        for r in out.rejected {
            self.rejected.insert(r.record_id.to_string(), r);
        }
        Ok(())
    }
}

/// Normalises `url` to the `…/bigbluebutton/` base (trailing slash).
fn base_url(url: &str) -> Result<String, PluginError> {
    let u = url.trim();
    if !(u.starts_with("http://") || u.starts_with("https://")) {
        return Err(PluginError::config(
            "url",
            format!("`{u}` is not an http(s) URL (expected https://host/bigbluebutton/)"),
        ));
    }
    if u.contains('?') || u.contains("checksum") {
        return Err(PluginError::config("url", "give the …/bigbluebutton/ base, without a query string"));
    }
    let u = u.trim_end_matches('/');
    let u = u.strip_suffix("/api").unwrap_or(u);
    Ok(format!("{u}/"))
}

impl SourceComponent for BbbSource {
    const TYPE: &'static str = "bbb";
    const ABOUT: &'static str = "Lists every recording of a BigBlueButton server (prefix shards, paging when proven)";
    type Config = Config;
    fn build(cfg: Config, ctx: Ctx) -> Result<Self, PluginError> {
        BbbSource::new(Flavour::Bbb, cfg, ctx)
    }
}

/// The `scalelite` source: a [`BbbSource`] that talks to a Scalelite load balancer.
pub struct ScaleliteSource(pub BbbSource);

impl SourceComponent for ScaleliteSource {
    const TYPE: &'static str = "scalelite";
    const ABOUT: &'static str = "Lists every recording of a Scalelite load balancer (prefix shards, never pages)";
    type Config = Config;
    fn build(cfg: Config, ctx: Ctx) -> Result<Self, PluginError> {
        BbbSource::new(Flavour::Scalelite, cfg, ctx).map(ScaleliteSource)
    }
}

impl SourcePlugin for ScaleliteSource {
    fn next_batch(&self, max: usize) -> Result<Option<SourceBatch>, PluginError> {
        self.0.next_batch(max)
    }
    fn check(&self) -> Result<Vec<String>, PluginError> {
        self.0.check()
    }
    fn close(&self) -> Result<(), PluginError> {
        self.0.close()
    }
}

impl Flavour {
    /// A source of this flavour from JSON settings, decoded as the host's are (tests, benches).
    pub fn source(self, json: &str, ctx: Ctx) -> Result<BbbSource, PluginError> {
        match self {
            Flavour::Bbb => plugin_api::sdk::testing::source::<BbbSource>(json, ctx),
            Flavour::Scalelite => plugin_api::sdk::testing::source::<ScaleliteSource>(json, ctx).map(|s| s.0),
        }
    }
}

impl BbbSource {
    pub fn new(flavour: Flavour, cfg: Config, ctx: Ctx) -> Result<Self, PluginError> {
        let base = base_url(&cfg.url)?;
        if cfg.secret.expose().is_empty() {
            return Err(PluginError::config("secret", "empty (a `${NAME}` variable that is not set?)"));
        }
        if flavour == Flavour::Scalelite && cfg.checksum == Checksum::Sha384 {
            return Err(PluginError::config(
                "checksum",
                "Scalelite does not accept sha384 (use sha1, sha256 or sha512)",
            ));
        }
        if cfg.timeout_s == 0 || cfg.timeout_s > 3600 {
            return Err(PluginError::config("timeout_s", "must be between 1 and 3600 seconds"));
        }
        if !(1..=64).contains(&cfg.concurrency) {
            return Err(PluginError::config("concurrency", "must be between 1 and 64"));
        }
        if cfg.page_size.is_some_and(|p| p > 100) {
            return Err(PluginError::config("page_size", "BBB accepts 1 to 100 (0 never pages)"));
        }
        if flavour == Flavour::Scalelite && cfg.page_size.is_some_and(|p| p > 0) {
            return Err(PluginError::config(
                "page_size",
                "Scalelite ignores offset/limit: paging it would loop; remove the key",
            ));
        }
        if cfg.shard_max == 0 {
            return Err(PluginError::config("shard_max", "must be at least 1"));
        }
        if cfg.resolve_video.is_some() {
            ctx.info(
                "resolve_video is no longer used: video files are found after selection, by the sinks that need them",
            );
        }
        let cache = cfg.cache.as_ref().map(|p| ctx.resolve_path(p));
        let options = ApiOptions {
            timeout: Duration::from_secs(cfg.timeout_s),
            retries: cfg.retries,
            backoff: Duration::from_millis(cfg.backoff_ms),
            shard_max: cfg.shard_max,
            concurrency: cfg.concurrency,
            ca_file: cfg.ca_file.as_ref().map(|p| ctx.resolve_path(p)),
        };
        let api = Api::new(base, cfg.secret.clone(), cfg.checksum, options)?;
        Ok(Self { flavour, cfg, api: Arc::new(api), cache, ctx, pending: Mutex::new(None) })
    }

    /// Request counters (for tests and the benchmark).
    pub fn stats(&self) -> &api::Stats {
        &self.api.stats
    }

    fn plan(&self, scalelite: bool) -> Plan {
        let page_size = match (self.flavour, self.cfg.page_size) {
            (Flavour::Scalelite, _) => None,
            _ if scalelite => None,
            (_, Some(0)) => None,
            (_, Some(p)) => Some(p),
            (_, None) => Some(100),
        };
        Plan { page_size, concurrency: self.cfg.concurrency }
    }

    /// Opens the cache, or lists the server into a spool file (renamed to
    /// the cache once complete, unless dry run).
    fn load(&self) -> Result<Pending, PluginError> {
        if let Some(path) = self.cache.as_deref().filter(|p| p.is_file()) {
            self.ctx.info(&format!(
                "reading the cache {} instead of {} (delete it to list the server again)",
                path.display(),
                self.api.base
            ));
            return Ok(Pending { rejected: Vec::new(), reader: Some(open_answer(path)?), file: path.to_path_buf() });
        }
        let started = Instant::now();
        let keep = self.cache.clone().filter(|_| !self.ctx.dry_run());
        if let (Some(c), true) = (&self.cache, self.ctx.dry_run()) {
            self.ctx.info(&format!("dry run: the cache {} is not written", c.display()));
        }
        let spool_path = match &keep {
            Some(c) => {
                let dir = c.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                let name = c.file_name().and_then(|n| n.to_str()).unwrap_or("cache");
                // Partial files of killed runs (one run at a time per journal).
                let stale = format!(".{name}.partial-");
                for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                    if e.file_name().to_str().is_some_and(|f| f.starts_with(&stale)) {
                        let _ = std::fs::remove_file(e.path());
                    }
                }
                dir.join(format!("{stale}{}", std::process::id()))
            }
            None => std::env::temp_dir().join(format!(
                "bbb-migrate-{}-{}-{}.xml",
                plugin_api::sdk::ids::safe_file_name(self.ctx.component(), 40),
                std::process::id(),
                SPOOLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            )),
        };
        let io = |e: std::io::Error| PluginError::io(format!("{}: {e}", spool_path.display()));
        let file = File::create(&spool_path).map_err(io)?;
        let spool = Spool {
            writer: AnswerWriter::new(BufWriter::with_capacity(1 << 16, file)).map_err(io)?,
            seen: HashSet::new(),
            rejected: BTreeMap::new(),
        };
        let spool = match self.list_server(spool) {
            Ok(s) => s,
            Err(e) => {
                let _ = std::fs::remove_file(&spool_path);
                return Err(e);
            }
        };
        let count = spool.seen.len();
        let finish = |w: AnswerWriter<BufWriter<File>>| -> std::io::Result<()> {
            let mut out = w.finish()?;
            out.flush()?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()
        };
        if let Err(e) = finish(spool.writer) {
            let _ = std::fs::remove_file(&spool_path);
            return Err(io(e));
        }
        let s = &self.api.stats;
        self.ctx.info(&format!(
            "{count} recordings, {} rejected, listed in {:.1}s ({} requests, {} retries, {} timeouts, {} shard splits, {} extra pages)",
            spool.rejected.len(),
            started.elapsed().as_secs_f64(),
            api::Stats::get(&s.requests),
            api::Stats::get(&s.retries),
            api::Stats::get(&s.timeouts),
            api::Stats::get(&s.splits),
            api::Stats::get(&s.pages),
        ));
        let rejected = spool.rejected.into_values().collect();
        let file = match keep {
            // Atomic: the cache appears complete or not at all.
            Some(cache) => {
                std::fs::rename(&spool_path, &cache)
                    .map_err(|e| PluginError::io(format!("cache {}: {e}", cache.display())))?;
                self.ctx.info(&format!("listing saved to {}", cache.display()));
                cache
            }
            None => spool_path,
        };
        let reader = open_answer(&file);
        if self.cache.as_deref() != Some(file.as_path()) {
            // A temporary spool: unlinked now, read through the open handle.
            let _ = std::fs::remove_file(&file);
        }
        Ok(Pending { rejected, reader: Some(reader?), file })
    }

    fn list_server(&self, spool: Spool) -> Result<Spool, PluginError> {
        let api = self.api.clone();
        let info = block_on({
            let api = api.clone();
            async move { api.index().await }
        });
        let scalelite = match &info {
            Ok(i) if i.is_scalelite() && self.flavour == Flavour::Bbb => {
                self.ctx
                    .warn(&format!("{} is a Scalelite (build {}): offset/limit will not be sent", api.base, i.build));
                true
            }
            Ok(i) => i.is_scalelite(),
            Err(e) => {
                self.ctx.debug(&format!("API index probe failed ({}); listing anyway", e.message));
                false
            }
        };
        let plan = self.plan(scalelite);
        self.ctx.debug(&format!("listing {} by recordID prefix, {:?}", api.base, plan));
        let (spool, result) = block_on(async move {
            let mut spool = spool;
            let result = list_all(api, plan, |out| spool.add(out)).await;
            (spool, result)
        });
        result.map(|_| spool)
    }
}

fn open_answer(path: &Path) -> Result<RecordingsReader<BufReader<File>>, PluginError> {
    let f = File::open(path).map_err(|e| PluginError::io(format!("{}: {e}", path.display())))?;
    Ok(RecordingsReader::new(BufReader::with_capacity(1 << 16, f)))
}

/// `…/presentation/2.0/playback.html?meetingId=X` → `…/presentation/2.3/X`.
pub fn rewrite_23(r: &mut Recording) {
    for p in r.playback.iter_mut() {
        let url = p.url.as_str();
        if let Some(i) = url.find("/presentation/2.0/playback.html?meetingId=") {
            let id = &url[i + "/presentation/2.0/playback.html?meetingId=".len()..];
            let id = id.split('&').next().unwrap_or(id);
            p.url = format!("{}/presentation/2.3/{id}", &url[..i]).into();
        }
    }
}

impl SourcePlugin for BbbSource {
    fn next_batch(&self, max: usize) -> Result<Option<SourceBatch>, PluginError> {
        let mut guard = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(self.load()?);
        }
        let p = guard.as_mut().expect("loaded above");
        let mut batch = SourceBatch::default();
        let take = max.min(p.rejected.len());
        batch.rejected.extend(p.rejected.drain(..take));
        if let Some(reader) = p.reader.as_mut() {
            let origin = format!("{} (delete it to list the server again)", p.file.display());
            if reader.fill(&mut batch, max, &origin)? {
                p.reader = None;
            }
        }
        if self.cfg.playback_url_23 {
            batch.recordings.iter_mut().for_each(rewrite_23);
        }
        if batch.recordings.is_empty() && batch.rejected.is_empty() {
            return Ok(None);
        }
        Ok(Some(batch))
    }

    fn check(&self) -> Result<Vec<String>, PluginError> {
        let mut lines = Vec::new();
        let api = self.api.clone();
        match block_on({
            let api = api.clone();
            async move { api.index().await }
        }) {
            Ok(i) if i.is_scalelite() => {
                lines.push(format!("{}: Scalelite (build {}, API {})", api.base, i.build, i.version));
                if self.flavour == Flavour::Bbb {
                    lines.push("note: this is a Scalelite; `type = \"scalelite\"` fits better (offset/limit are never sent to it anyway)".into());
                }
            }
            Ok(i) => {
                let v =
                    if i.bbb_version.is_empty() { "version not revealed".to_string() } else { i.bbb_version.clone() };
                lines.push(format!(
                    "{}: BigBlueButton {v} (API {})",
                    api.base,
                    if i.api_version.is_empty() { &i.version } else { &i.api_version }
                ));
                if self.flavour == Flavour::Scalelite {
                    lines.push("note: this looks like a BigBlueButton server, not a Scalelite (no <build>)".into());
                }
            }
            Err(e) => lines.push(format!("API index not available ({})", e.message)),
        }
        // A signed call that matches nothing: proves the secret and the algorithm, costs little.
        let probe = block_on({
            let api = api.clone();
            async move {
                api.get_recordings(&[("recordID", "0000000000000000000000000000000000000000-0000000000000")]).await
            }
        });
        match probe {
            Ok(_) => lines.push(format!("signed getRecordings call accepted ({} checksum)", self.cfg.checksum.label())),
            Err(CallError::Fatal(e)) => return Err(e),
            Err(CallError::Timeout) => {
                return Err(PluginError::connect(format!(
                    "{}api/getRecordings: no answer within {}s",
                    api.base, self.cfg.timeout_s
                )))
            }
            Err(CallError::Transient { msg, .. }) => return Err(PluginError::connect(msg)),
            Err(CallError::TooLarge) => {}
        }
        if let Some(c) = self.cache.as_deref() {
            if c.is_file() {
                lines.push(format!(
                    "cache {} exists: runs read it instead of the server (delete it to refresh)",
                    c.display()
                ));
            } else {
                lines.push(format!("cache {} will be written after the first complete listing", c.display()));
            }
        }
        Ok(lines)
    }
}

pub struct Plugin;

impl PluginDecl for Plugin {
    const NAME: &'static str = "bbb";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Recordings of BigBlueButton servers and Scalelite load balancers (getRecordings API)";
    const COMPONENTS: &'static [Component] =
        &[Component::source::<BbbSource>(), Component::source::<ScaleliteSource>()];
}

export_plugin!(Plugin);
