//! `claim-dir`: one video file per recording in a Pod recorder's directory,
//! registered as a `recorder_recordingfiletreatment` row offered for manual
//! claim.
use crate::convert::Converter;
use crate::fetch::{FetchError, Fetcher};
use crate::filelock::{self, size_on_disk, FileLock};
use crate::pod::{self, now_sql};
use crate::recorder::{self, claim_file_name, pod_extension, Recorder};
use bbb_migrate_db::{Db, Param, TxMode};
use bbb_migrate_video_page::{PageError, VideoFiles};
use plugin_api::sdk::ids::validate_record_id;
use plugin_api::sdk::{runtime::block_on, write_planned, Ctx, PlanApply, Planned, SinkComponent, SinkPlugin};
use plugin_api::{Delivered, LifecycleOp, Outcome, PluginError, SinkItem};
use serde::Deserialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn two() -> usize {
    2
}
fn gib() -> u64 {
    1 << 30
}
fn three() -> u32 {
    3
}
fn sixty() -> u64 {
    60
}
fn eight() -> usize {
    8
}
fn five_hundred() -> u64 {
    500
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    database: String,
    recorder_id: i64,
    /// Pod's DEFAULT_RECORDER_PATH.
    recorder_path: PathBuf,
    #[serde(default = "two")]
    concurrency: usize,
    /// Video pages read at once to find the files (selected recordings only).
    #[serde(default = "eight")]
    page_concurrency: usize,
    /// `native` (the built-in renderer) or `command` (`converter_command`).
    #[serde(default)]
    converter: Option<String>,
    /// Native renderer: the public chat as `sidecar` files beside the video (default),
    /// also drawn as a `panel` beside the slides, or `off`.
    #[serde(default)]
    chat: Option<String>,
    /// Native renderer: chat sender names `real` (default) or `anonymous`.
    #[serde(default)]
    chat_names: Option<String>,
    /// Native renderer: the sound track, `aac` (default) or `keep` (the source's Opus, AAC
    /// or MP3 copied as it is).
    #[serde(default)]
    audio: crate::convert::Audio,
    /// e.g. `node export.js {url} {file}` (or a list of arguments); run without a shell.
    #[serde(default)]
    converter_command: Option<crate::convert::CommandLine>,
    /// Extension of what `converter_command` writes (default `webm`).
    #[serde(default)]
    converter_extension: Option<String>,
    /// Working directory of `converter_command`.
    #[serde(default)]
    converter_dir: Option<PathBuf>,
    /// Longest conversion, seconds (default: 2 × the recording's length + 30 min).
    #[serde(default)]
    converter_timeout_s: Option<u64>,
    /// Longest native render, seconds; ffmpeg is killed past it (default: 2 × length + 30 min).
    #[serde(default)]
    render_timeout_s: Option<u64>,
    /// Space to leave free on the recorder's filesystem after each file.
    #[serde(default = "gib")]
    min_free_bytes: u64,
    /// Resumed attempts per download within one run after a cut.
    #[serde(default = "three")]
    retries: u32,
    /// Connect timeout and longest silence of a transfer, seconds.
    #[serde(default = "sixty")]
    http_timeout_s: u64,
    /// First wait before retrying a request (doubled each time), milliseconds.
    #[serde(default = "five_hundred")]
    backoff_ms: u64,
    /// Extra trusted CA certificates (PEM), besides the system's and the web roots.
    #[serde(default)]
    ca_file: Option<PathBuf>,
}

struct Inner {
    db: Db,
    recorder_id: i64,
    recorder_path: PathBuf,
    fetcher: Fetcher,
    video_files: VideoFiles,
    converter: Converter,
    /// Captions and chat of the `video` playbacks downloaded.
    video_extras: crate::convert::VideoExtras,
    min_free: u64,
}

pub struct ClaimDirSink {
    inner: Arc<Inner>,
    concurrency: usize,
    recorder: Mutex<Option<Recorder>>,
    /// Work folders of earlier, killed renders removed before the first render (`None`: not yet).
    stale_removed: Mutex<Option<usize>>,
    ctx: Ctx,
}

/// Free bytes for an unprivileged writer on the filesystem holding `dir`.
pub fn free_bytes(dir: &Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    // SAFETY: statvfs is plain old data: all-zero is a valid value.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a valid out-pointer.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

/// Fails when writing `need` more bytes would leave less than `min_free` free.
pub fn check_space(dir: &Path, need: Option<u64>, min_free: u64) -> Result<(), String> {
    let free = free_bytes(dir).map_err(|e| format!("{}: cannot read free space: {e}", dir.display()))?;
    let want = need.unwrap_or(0).saturating_add(min_free);
    if free < want {
        return Err(format!(
            "{}: not enough disk space: {free} bytes free, {} needed for the file + min_free_bytes {min_free}",
            dir.display(),
            need.map(|n| n.to_string()).unwrap_or_else(|| "an unknown size".into())
        ));
    }
    Ok(())
}

/// Where the file comes from.
enum Job {
    /// The `video` playback's file.
    Download { url: String },
    /// The presentation, converted.
    Convert { url: String },
}

impl SinkComponent for ClaimDirSink {
    const TYPE: &'static str = "claim-dir";
    const ABOUT: &'static str =
        "one video file per recording in a Pod recorder's directory, registered for manual claim";
    type Config = Config;
    fn build(cfg: Config, ctx: Ctx) -> Result<Self, PluginError> {
        if cfg.recorder_id <= 0 {
            return Err(PluginError::config("recorder_id", "recorder_id must be a recorder_recorder id (≥ 1)"));
        }
        if cfg.concurrency == 0 || cfg.concurrency > 64 {
            return Err(PluginError::config("concurrency", "concurrency must be between 1 and 64"));
        }
        if cfg.page_concurrency == 0 || cfg.page_concurrency > 64 {
            return Err(PluginError::config("page_concurrency", "page_concurrency must be between 1 and 64"));
        }
        let (chat, chat_names) = crate::convert::chat_settings(cfg.chat.as_deref(), cfg.chat_names.as_deref())?;
        let video_extras = crate::convert::VideoExtras {
            chat,
            chat_names,
            ca_file: cfg.ca_file.as_ref().map(|p| ctx.resolve_path(p)),
        };
        let converter = Converter::from_config(
            crate::convert::ConverterConfig {
                converter: cfg.converter,
                chat: cfg.chat,
                chat_names: cfg.chat_names,
                audio: cfg.audio,
                command: cfg.converter_command,
                extension: cfg.converter_extension,
                dir: cfg.converter_dir,
                timeout_s: cfg.converter_timeout_s,
                render_timeout_s: cfg.render_timeout_s,
                ca_file: cfg.ca_file.as_ref().map(|p| ctx.resolve_path(p)),
            },
            &ctx,
        )?;
        let timeout = Duration::from_secs(cfg.http_timeout_s.max(1));
        let client = bbb_migrate_http::client(&bbb_migrate_http::ClientOptions {
            // Downloads may take hours: no total bound, the idle one ends a stalled transfer.
            timeout: None,
            connect_timeout: timeout,
            idle_timeout: timeout,
            ca_file: cfg.ca_file.as_ref().map(|p| ctx.resolve_path(p)),
        })
        .map_err(|e| PluginError::config("ca_file", e))?;
        let inner = Inner {
            db: pod::open(&cfg.database)?,
            recorder_id: cfg.recorder_id,
            // Lexically normalised (no `.` components, no doubled `/`): the `file`
            // column must hold the very path Pod's cron computes, or it would
            // register the file a second time. Symlinks are kept, as Pod keeps them.
            recorder_path: ctx.resolve_path(&cfg.recorder_path).components().collect(),
            video_files: VideoFiles::new(client.clone(), cfg.page_concurrency)
                .with_retries(cfg.retries, Duration::from_millis(cfg.backoff_ms)),
            fetcher: Fetcher {
                client,
                retries: cfg.retries,
                idle_timeout: timeout,
                backoff: Duration::from_millis(cfg.backoff_ms),
            },
            converter,
            video_extras,
            min_free: cfg.min_free_bytes,
        };
        Ok(Self {
            inner: Arc::new(inner),
            concurrency: cfg.concurrency,
            recorder: Mutex::new(None),
            stale_removed: Mutex::new(None),
            ctx,
        })
    }
}

impl ClaimDirSink {
    /// Reads the recorder (once) and checks its directory.
    pub fn recorder(&self) -> Result<Recorder, PluginError> {
        let mut guard = self.recorder.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = guard.as_ref() {
            return Ok(r.clone());
        }
        let r = recorder::read(&self.inner.db, &self.inner.recorder_path, self.inner.recorder_id)?;
        *guard = Some(r.clone());
        Ok(r)
    }
}

/// What the claim directory gets for one recording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    /// The file is there already, complete.
    Present,
    /// The `video` playback's file is downloaded.
    Download,
    /// The presentation is converted; the converter's verb (`render`, `convert`).
    Convert(&'static str),
}

impl Action {
    /// The word in outcomes and in the journal's data (`action`).
    fn label(self) -> &'static str {
        match self {
            Action::Present => "present",
            Action::Download => "download",
            Action::Convert(verb) => verb,
        }
    }
}

/// What registering a file did to its `recorder_recordingfiletreatment` row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RowChange {
    Existed,
    SizeUpdated,
    Inserted,
}

impl RowChange {
    /// The word in outcomes and in the journal's data (`row`).
    fn label(self) -> &'static str {
        match self {
            RowChange::Existed => "existed",
            RowChange::SizeUpdated => "size updated",
            RowChange::Inserted => "inserted",
        }
    }
}

/// What the plan found for one recording: nothing written yet.
pub struct Plan {
    job: Job,
    path: PathBuf,
    path_text: String,
    source: String,
    /// The file's size on disk when measured (`None`: absent).
    on_disk: Option<u64>,
    action: Action,
    /// The file's size when known (on disk, or announced by the server).
    size: Option<u64>,
    /// The treatment row of the file, if any: (id, file_size).
    rft: Option<(i64, Option<i64>)>,
}

/// What became of one recording.
struct Done {
    path: String,
    size: Option<u64>,
    action: Action,
    source: String,
    rft: Option<(i64, RowChange)>,
    resumed_from: u64,
    /// Why the bytes an earlier attempt kept were dropped (the file fetched again from 0).
    started_over: Option<String>,
    /// What the native renderer could not draw, and the files it wrote beside the video.
    not_drawn: Vec<String>,
    beside: Vec<String>,
}

/// The plan of one recording: `locate`, the claimed check, `measure`, and
/// the dry run's answer (`describe`). Reads only (no lock either).
/// `page`: the error of the recording's video page, if reading it failed.
async fn plan_one(inner: &Inner, rec: &Recorder, item: &SinkItem, page: Option<PageError>) -> Planned<Plan> {
    let id = item.recording.record_id.as_str();
    let (job, path) = match locate(inner, rec, item, page) {
        Ok(v) => v,
        Err(o) => return Planned::settled(o),
    };
    let path_text = path.to_string_lossy().into_owned();
    // Already claimed (Pod moved the file away and made a recording of it)?
    let rft = match claimed_or_row(inner, &path_text).await {
        Ok((Some(cid), _)) => {
            let (detail, data) = claimed(&path_text, cid);
            let would = Outcome::planned(id, format!("nothing to write: {detail}")).with_data(&data);
            return Planned::settled_as(Outcome::skipped(id, detail).with_data(&data), would);
        }
        Ok((None, rft)) => rft,
        Err(e) => return Planned::settled(pod::failure(id, "", &e)),
    };
    match measure(inner, job, path, path_text, rft).await {
        Ok(plan) => {
            let would = describe(inner, rec, id, &plan);
            Planned::write(plan, would)
        }
        Err(e) => Planned::settled(fetch_failure(id, &e)),
    }
}

/// The detail and data of an answer for a file Pod claimed already (as recorder_recording `cid`).
fn claimed(path_text: &str, cid: i64) -> (String, serde_json::Value) {
    (
        format!("{path_text}: already claimed in Pod (recorder_recording #{cid})"),
        json!({"file": path_text, "claimed": cid}),
    )
}

/// Writes one planned recording: under the file lock (this run alone works
/// on the file from here to the row), the claimed check and the file on
/// disk again (another run or worker may have delivered it since the plan),
/// then `execute`.
async fn apply_one(inner: &Inner, rec: &Recorder, item: &SinkItem, plan: Plan) -> Outcome {
    let id = item.recording.record_id.as_str();
    let _lock = match FileLock::acquire(&plan.path, filelock::WAIT).await {
        Ok(l) => l,
        Err(e) => return Outcome::failed(id, e),
    };
    match claimed_or_row(inner, &plan.path_text).await {
        Ok((Some(cid), _)) => {
            let (detail, data) = claimed(&plan.path_text, cid);
            return Outcome::skipped(id, detail).with_data(&data);
        }
        Ok((None, _)) => {}
        Err(e) => return pod::failure(id, "", &e),
    }
    let plan = if on_disk(&plan.path) == plan.on_disk {
        plan
    } else {
        match measure(inner, plan.job, plan.path, plan.path_text, plan.rft).await {
            Ok(p) => p,
            Err(e) => return fetch_failure(id, &e),
        }
    };
    execute(inner, rec, item, plan).await
}

/// Where the recording's file comes from and where it goes; an outcome when
/// it cannot be delivered (no I/O but the video page's error, read before).
fn locate(inner: &Inner, rec: &Recorder, item: &SinkItem, page: Option<PageError>) -> Result<(Job, PathBuf), Outcome> {
    let r = &item.recording;
    let id = r.record_id.as_str();
    validate_record_id(id).map_err(|e| Outcome::failed_permanently(id, e))?;
    if let Some(why) = bbb_migrate_video_page::not_deliverable(r) {
        return Err(Outcome::failed_permanently(id, why));
    }
    let video = r.playback("video").filter(|p| !p.url.trim().is_empty());
    let presentation = r.playback("presentation").filter(|p| !p.url.trim().is_empty());
    let (job, ext) = if let Some(v) = video {
        if let Some(e) = page {
            return Err(fetch_failure(id, &FetchError { message: e.message, permanent: e.permanent }));
        }
        let Some(url) = v.download_url() else {
            return Err(Outcome::failed(id, format!("{}: the video file was not looked up", v.url.trim())));
        };
        let ext = pod_extension(&url).unwrap_or_else(|| "mp4".into());
        (Job::Download { url }, ext)
    } else if let Some(p) = presentation {
        let Some(ext) = inner.converter.extension() else {
            return Err(Outcome::failed_permanently(
                id,
                "presentation only, and no converter configured (converter / converter_command)",
            ));
        };
        let url = inner.converter.input_url(p.url.trim(), id).map_err(|e| Outcome::failed_permanently(id, e))?;
        (Job::Convert { url }, ext.to_string())
    } else {
        return Err(Outcome::failed_permanently(
            id,
            "no video or presentation playback: nothing to put in the claim directory",
        ));
    };
    let room = rec.file_max.saturating_sub(rec.dir.to_string_lossy().chars().count() + 1);
    let Some(name) = claim_file_name(r, &ext, room) else {
        return Err(Outcome::failed_permanently(id, format!("{}: no room for a file name", rec.dir.display())));
    };
    Ok((job, rec.dir.join(&name)))
}

/// The `recorder_recording` that claimed `file` (if Pod claimed it), and the
/// treatment row of `file` (id, file_size), if any.
async fn claimed_or_row(inner: &Inner, file: &str) -> Result<(Option<i64>, Option<(i64, Option<i64>)>), PluginError> {
    let key = file.to_string();
    inner
        .db
        .transaction_async(TxMode::ReadOnly, move |tx| {
            Box::pin(async move {
                let claimed = tx
                    .query("SELECT id FROM recorder_recording WHERE source_file = ?", vec![Param::from(key.as_str())])
                    .await?;
                let rft = tx
                    .query(
                        "SELECT id, file_size FROM recorder_recordingfiletreatment WHERE file = ?",
                        vec![Param::from(key.as_str())],
                    )
                    .await?;
                Ok((
                    claimed.first().and_then(|r| r.int("id")),
                    rft.first().map(|r| (r.int("id").unwrap_or(0), r.int("file_size"))),
                ))
            })
        })
        .await
}

/// The size of the file at `path`, if it is one.
fn on_disk(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().filter(|m| m.is_file()).map(|m| m.len())
}

/// The file on disk and, when it is there, its size on the server: is it
/// complete already, or to download or convert?
async fn measure(
    inner: &Inner,
    job: Job,
    path: PathBuf,
    path_text: String,
    rft: Option<(i64, Option<i64>)>,
) -> Result<Plan, FetchError> {
    let present = on_disk(&path);
    let (source, size, action) = match &job {
        Job::Download { url } => {
            let remote = if present.is_some() { inner.fetcher.size(url).await? } else { None };
            match present {
                Some(len)
                    if len > 0 && (remote.is_none() || remote == Some(len) || with_captions(len, remote, rft)) =>
                {
                    (url.clone(), Some(len), Action::Present)
                }
                _ => (url.clone(), remote, Action::Download),
            }
        }
        Job::Convert { url } => match present {
            Some(len) if len > 0 => (url.clone(), Some(len), Action::Present),
            _ => (url.clone(), None, Action::Convert(inner.converter.verb())),
        },
    };
    Ok(Plan { job, path, path_text, source, on_disk: present, action, size, rft })
}

/// Writes what `plan` says: the file (download or conversion), then its
/// treatment row, after checking the size on disk.
async fn execute(inner: &Inner, rec: &Recorder, item: &SinkItem, plan: Plan) -> Outcome {
    let r = &item.recording;
    let id = r.record_id.as_str();
    let Plan { job, path, path_text, source, action, size: mut action_size, rft, .. } = plan;
    let (mut resumed_from, mut started_over) = (0, None);
    let (mut not_drawn, mut beside) = (Vec::new(), Vec::new());
    if action != Action::Present {
        let dir = rec.dir.clone();
        let min_free = inner.min_free;
        let result = match &job {
            Job::Download { url } => {
                let space = move |need: Option<u64>| check_space(&dir, need, min_free);
                inner.fetcher.download(url, &path, &space).await.map(|f| {
                    (resumed_from, started_over) = (f.resumed_from, f.started_over);
                    f.size
                })
            }
            Job::Convert { url } => match check_space(&dir, None, min_free) {
                Err(e) => Err(FetchError { message: e, permanent: false }),
                Ok(()) => inner
                    .converter
                    .run(url, id, &path, r.duration_s())
                    .await
                    .map(|c| {
                        (not_drawn, beside) = (c.not_drawn, c.beside);
                        c.size
                    })
                    .map_err(|e| FetchError { message: e, permanent: false }),
            },
        };
        match result {
            Ok(size) => action_size = Some(size),
            Err(e) => return fetch_failure(id, &e),
        }
    }
    // The video playback's captions and chat, once the file is complete and before its row
    // (again when an earlier run stopped in between).
    if let Job::Download { url } = &job {
        if action == Action::Download || rft.is_none() {
            match inner.video_extras.keep(url, &path).await {
                Ok(c) => (not_drawn, beside, action_size) = (c.not_drawn, c.beside, Some(c.size)),
                Err(e) => return Outcome::failed(id, e),
            }
        }
    }
    let size = action_size.unwrap_or(0);
    // Never a row whose size differs from the file: measured right before it is written.
    match size_on_disk(&path) {
        Ok(disk) if disk == size && size > 0 => {}
        Ok(0) => return Outcome::failed(id, format!("{path_text}: empty file; not registered")),
        Ok(disk) => {
            return Outcome::failed(
                id,
                format!("{path_text}: {disk} bytes on disk where {size} were expected; not registered"),
            )
        }
        Err(e) => return Outcome::failed(id, format!("{e}; not registered")),
    }

    // Register (or fix the size of) the row, in one transaction (run again after a deadlock).
    let mut attempt = 0;
    let reg = loop {
        let r = register(inner, rec, &path_text, size).await;
        match r {
            Err(e) if pod::is_transient(&e) && attempt < pod::TRANSIENT_RETRIES => attempt += 1,
            other => break other,
        }
    };
    let rft = match reg {
        Ok(v) => Some(v),
        Err(e) => return pod::failure(id, &format!("{path_text} is in place ({size} bytes) but not registered: "), &e),
    };
    let d =
        Done { path: path_text, size: Some(size), action, source, rft, resumed_from, started_over, not_drawn, beside };
    finished(rec, id, d)
}

/// The `recorder_recordingfiletreatment` row of `file`: inserted, its size
/// corrected, or left as it is. The file name is unique per recording, so no
/// two tasks of a run register the same file; `file` is UNIQUE should Pod's
/// cron insert it at the same moment (the loser fails and is retried).
async fn register(inner: &Inner, rec: &Recorder, file: &str, size: u64) -> Result<(i64, RowChange), PluginError> {
    let (file, rtype, rid) = (file.to_string(), rec.recording_type.clone(), rec.id);
    inner
        .db
        .transaction_async(TxMode::ReadWrite, move |tx| {
            Box::pin(async move {
                let engine = tx.engine();
                let rows = tx.query("SELECT id, file_size FROM recorder_recordingfiletreatment WHERE file = ?", vec![Param::from(file.as_str())]).await?;
                if let Some(row) = rows.first() {
                    let fid = row.int("id").unwrap_or(0);
                    if row.int("file_size") == Some(size as i64) {
                        return Ok((fid, RowChange::Existed));
                    }
                    tx.execute("UPDATE recorder_recordingfiletreatment SET file_size = ? WHERE id = ?", vec![Param::Int(size as i64), Param::Int(fid)]).await?;
                    return Ok((fid, RowChange::SizeUpdated));
                }
                let sql = format!(
                    "INSERT INTO recorder_recordingfiletreatment (file, file_size, recorder_id, date_added, require_manual_claim, email_sent, type) \
                     VALUES (?, ?, ?, {}, ?, ?, ?)",
                    now_sql(engine)
                );
                let params = vec![Param::from(file.as_str()), Param::Int(size as i64), Param::Int(rid), Param::Bool(true), Param::Bool(false), Param::from(rtype.as_str())];
                Ok((tx.insert_id(&sql, params).await?, RowChange::Inserted))
            })
        })
        .await
}

/// Whether a file of `len` bytes is the server's (`remote` bytes) with the captions muxed
/// in: larger, and registered at its size (so written whole by an earlier run).
fn with_captions(len: u64, remote: Option<u64>, rft: Option<(i64, Option<i64>)>) -> bool {
    let registered = rft.and_then(|(_, size)| size).and_then(|s| u64::try_from(s).ok());
    remote.is_some_and(|r| len > r) && registered == Some(len)
}

fn fetch_failure(id: &str, e: &FetchError) -> Outcome {
    if e.permanent {
        Outcome::failed_permanently(id, e.message.clone())
    } else {
        Outcome::failed(id, e.message.clone())
    }
}

fn size_text(s: Option<u64>) -> String {
    s.map(|n| format!("{n} bytes")).unwrap_or_else(|| "size unknown".into())
}

/// The dry run's answer: what `execute` would write for `plan`.
fn describe(inner: &Inner, rec: &Recorder, id: &str, plan: &Plan) -> Outcome {
    let Plan { path_text: path, source, action, size, rft, .. } = plan;
    let (path, size, rft) = (path.as_str(), *size, *rft);
    let mut parts = Vec::new();
    match action {
        Action::Present => parts.push(format!("{path} already present ({})", size_text(size))),
        Action::Download => {
            let part = crate::fetch::part_path(Path::new(path));
            let have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
            let validated = crate::fetch::validator_path(Path::new(path)).is_file();
            let resume = if have > 0 && validated {
                format!(", resuming after the {have} bytes already in {}", part.display())
            } else if have > 0 {
                format!(
                    ", from byte 0: no ETag or Last-Modified was recorded with the {have} bytes in {}",
                    part.display()
                )
            } else {
                String::new()
            };
            parts.push(format!("would download {source} ({}{resume}) to {path}", size_text(size)))
        }
        Action::Convert(verb) => parts.push(format!("would {verb} {source} to {path}")),
    }
    if *action != Action::Present {
        let need = if *action == Action::Download { size } else { None };
        if let Err(e) = check_space(&rec.dir, need, inner.min_free) {
            parts.push(format!("WARNING {e}"));
        }
    }
    let register = match rft {
        Some((_, fs)) if *action == Action::Present && fs.map(|v| v as u64) == size => None,
        Some((fid, _)) => Some(format!("would update the size of recorder_recordingfiletreatment #{fid}")),
        None => Some(format!(
            "would register it in recorder_recordingfiletreatment (recorder {}, type {}, require_manual_claim = true)",
            rec.id, rec.recording_type
        )),
    };
    let changed = *action != Action::Present || register.is_some();
    match register {
        Some(r) => parts.push(r),
        None => parts.push(format!("registered (recorder_recordingfiletreatment #{})", rft.map(|r| r.0).unwrap_or(0))),
    }
    let data = json!({"file": path, "file_size": size, "source": source, "action": action.label(), "recorder_id": rec.id, "type": rec.recording_type});
    let detail = parts.join("; ");
    Outcome::planned(id, if changed { detail } else { format!("nothing to write: {detail}") }).with_data(&data)
}

fn finished(rec: &Recorder, id: &str, d: Done) -> Outcome {
    let (fid, row) = d.rft.unwrap_or((0, RowChange::Existed));
    let row_label = row.label();
    let size = d.size.unwrap_or(0);
    let what = match d.action {
        Action::Present => format!("{} already present ({size} bytes)", d.path),
        Action::Download if d.resumed_from > 0 => {
            format!("downloaded {} to {} ({size} bytes, resumed at byte {})", d.source, d.path, d.resumed_from)
        }
        Action::Download => format!("downloaded {} to {} ({size} bytes)", d.source, d.path),
        Action::Convert(verb) => {
            format!("{}ed {} to {} ({size} bytes)", verb.trim_end_matches('e'), d.source, d.path)
        }
    };
    let mut detail = format!(
        "{what}; recorder_recordingfiletreatment #{fid} {row_label} (recorder {}, type {})",
        rec.id, rec.recording_type
    );
    if let Some(why) = &d.started_over {
        detail.push_str(&format!("; started over: {why}"));
    }
    for n in &d.not_drawn {
        detail.push_str(&format!("; not drawn: {n}"));
    }
    for f in &d.beside {
        detail.push_str(&format!("; beside it: {f}"));
    }
    let data = json!({
        "file": d.path, "file_size": size, "source": d.source, "action": d.action.label(),
        "recorder_id": rec.id, "type": rec.recording_type, "require_manual_claim": true,
        "rft_id": fid, "row": row_label, "resumed_from": d.resumed_from, "started_over": d.started_over,
        // Read by the HTML report ("not drawn by the renderer") and the JSON report.
        "not_drawn": d.not_drawn, "beside": d.beside,
    });
    if d.action == Action::Present && row == RowChange::Existed {
        Outcome::skipped(id, detail)
    } else {
        Outcome::done(id, detail)
    }
    .with_data(&data)
}

impl ClaimDirSink {
    /// `f` of every item and its `with` (page, plan), `concurrency` at once; the answers in order.
    fn each<T, R, Fut>(
        &self,
        batch: &[SinkItem],
        with: Vec<T>,
        f: impl Fn(Arc<Inner>, Recorder, SinkItem, T) -> Fut,
    ) -> Result<Vec<R>, PluginError>
    where
        Fut: std::future::Future<Output = R> + Send + 'static,
        R: Send + 'static,
    {
        use futures_util::StreamExt;
        let rec = self.recorder()?;
        let tasks: Vec<Fut> =
            batch.iter().zip(with).map(|(item, w)| f(self.inner.clone(), rec.clone(), item.clone(), w)).collect();
        let n = self.concurrency;
        Ok(block_on(async move { futures_util::stream::iter(tasks).buffered(n).collect::<Vec<R>>().await }))
    }
}

/// Plan: the video pages of the batch, then each recording's file and row
/// (see [`plan_one`]). Apply: each file fetched or converted and registered
/// (see [`apply_one`]). Both `concurrency` recordings at once.
impl PlanApply for ClaimDirSink {
    type Step = Plan;

    fn plan(&self, batch: &[SinkItem]) -> Result<Vec<Planned<Plan>>, PluginError> {
        // The files behind the video pages of this batch (the selected
        // recordings only), `page_concurrency` pages at once.
        let (inner, mut items) = (self.inner.clone(), batch.to_vec());
        let (items, pages) = block_on(async move {
            let pages = inner.video_files.resolve(items.iter_mut().map(|i| &mut i.recording)).await;
            (items, pages)
        });
        self.each(&items, pages, |inner, rec, item, page| async move { plan_one(&inner, &rec, &item, page).await })
    }

    fn apply(&self, batch: &[SinkItem], plans: Vec<Planned<Plan>>) -> Result<Vec<Outcome>, PluginError> {
        if matches!(self.inner.converter, Converter::Native { .. }) {
            let mut removed = self.stale_removed.lock().unwrap_or_else(|p| p.into_inner());
            if removed.is_none() {
                *removed = Some(bbb_migrate_render::remove_stale().len());
            }
        }
        self.each(batch, plans, |inner, rec, item, p| async move {
            match p.into_step() {
                Err(o) => o,
                Ok(plan) => apply_one(&inner, &rec, &item, plan).await,
            }
        })
    }

    /// A file to download that was not on disk: a run learns its size from
    /// the download, the dry run's answer asks the server (one HEAD).
    fn preview(&self, batch: &[SinkItem], plans: Vec<Planned<Plan>>) -> Result<Vec<Outcome>, PluginError> {
        self.each(batch, plans, |inner, rec, item, p| async move {
            let mut plan = match p {
                Planned::Write { step: plan @ Plan { job: Job::Download { .. }, on_disk: None, .. }, .. } => plan,
                other => return other.dry_run_outcome(),
            };
            let id = item.recording.record_id.as_str();
            match inner.fetcher.size(&plan.source).await {
                Ok(size) => {
                    plan.size = size;
                    describe(&inner, &rec, id, &plan)
                }
                Err(e) => fetch_failure(id, &e),
            }
        })
    }
}

impl SinkPlugin for ClaimDirSink {
    /// Several workers may write at once: one file and one treatment row per recording: workers never write the same file (the folder must be shared storage for a fleet on several machines).
    fn shared_writers(&self) -> bool {
        true
    }

    fn prepare(&self) -> Result<Vec<String>, PluginError> {
        let r = self.recorder()?;
        let mut notes = vec![format!(
            "recorder {} → {} (type {}, file names ≤ {} characters with the path)",
            r.id,
            r.dir.display(),
            r.recording_type,
            r.file_max
        )];
        if let Some(m) = r.manager {
            notes.push(format!(
                "recorder {} has a manager (auth_user #{m}): Pod sends the files to that manager instead of offering them for claim",
                r.id
            ));
        }
        if let Err(e) = check_space(&r.dir, None, self.inner.min_free) {
            notes.push(format!("WARNING {e}"));
        }
        Ok(notes)
    }

    fn write(&self, batch: &[SinkItem]) -> Result<Vec<Outcome>, PluginError> {
        write_planned(self, self.ctx.dry_run(), batch)
    }

    fn check(&self) -> Result<Vec<String>, PluginError> {
        self.prepare()
    }

    fn lifecycle_ops(&self) -> &'static [LifecycleOp] {
        &[LifecycleOp::UNDO, LifecycleOp::PENDING]
    }

    /// See [`crate::claim_undo`]. Claim files are not retired: they are
    /// videos, not links to the old servers.
    fn lifecycle(&self, op: LifecycleOp, batch: &[Delivered]) -> Result<Vec<Outcome>, PluginError> {
        match op {
            LifecycleOp::UNDO => Ok(crate::claim_undo::undo(&self.inner.db, batch, self.ctx.dry_run())),
            LifecycleOp::PENDING => crate::claim_undo::pending(&self.inner.db, batch),
            other => Err(plugin_api::sdk::unsupported_op(other)),
        }
    }

    fn finish(&self) -> Result<Vec<String>, PluginError> {
        self.inner.db.close();
        let removed = self.stale_removed.lock().unwrap_or_else(|p| p.into_inner()).unwrap_or(0);
        Ok(if removed > 0 {
            vec![format!("removed {removed} work folder(s) of earlier renders that were killed")]
        } else {
            Vec::new()
        })
    }
}
