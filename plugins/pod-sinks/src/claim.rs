//! `claim-dir`: one video file per recording in a Pod recorder's directory,
//! registered as a `recorder_recordingfiletreatment` row offered for manual
//! claim.
use crate::convert::Converter;
use crate::fetch::{FetchError, Fetcher};
use crate::filelock::{self, size_on_disk, FileLock};
use crate::pod::{self, now_sql};
use bbb_migrate_db::{Db, Param, TxMode};
use bbb_migrate_video_page::{PageError, VideoFiles};
use plugin_api::sdk::ids::{safe_file_name, validate_record_id};
use plugin_api::sdk::{decode, runtime::block_on, Ctx, SinkPlugin};
use plugin_api::{Delivered, LifecycleOp, Outcome, PluginError, Recording, SinkItem};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
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
struct Config {
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

/// The recorder the files go to, read from Pod.
#[derive(Clone, Debug)]
pub struct Recorder {
    pub id: i64,
    pub directory: String,
    pub recording_type: String,
    pub manager: Option<i64>,
    /// `<recorder_path>/<directory>`, as Pod computes it (not canonicalised).
    pub dir: PathBuf,
    /// `recorder_recordingfiletreatment.file` length (100 before Pod 4.0.1, 200 since).
    pub file_max: usize,
}

struct Inner {
    db: Db,
    recorder_id: i64,
    recorder_path: PathBuf,
    fetcher: Fetcher,
    video_files: VideoFiles,
    converter: Converter,
    min_free: u64,
    dry_run: bool,
}

pub struct ClaimDirSink {
    inner: Arc<Inner>,
    concurrency: usize,
    recorder: Mutex<Option<Recorder>>,
    /// Work folders of earlier, killed renders removed before the first render (`None`: not yet).
    stale_removed: Mutex<Option<usize>>,
}

/// Pod's VIDEO_ALLOWED_EXTENSIONS: the files its recorder cron looks at.
pub const POD_VIDEO_EXTENSIONS: &[&str] = &[
    "3gp", "avi", "divx", "flv", "m2p", "m4v", "mkv", "mov", "mp4", "mpeg", "mpg", "mts", "wmv", "mp3", "ogg", "wav",
    "wma", "webm", "ts",
];

/// Shortest room left for the meeting-name part of a file name.
const MIN_NAME_ROOM: usize = 8;

/// The claim file name: `<safe meeting name>_<YYYY-MM-DD>_<8 hex of sha256(recordID)>.<ext>`,
/// at most `max_chars` long (ASCII). Unlike the reference script's
/// `slugify(name[:40] + date)`, two recordings never share a name.
pub fn claim_file_name(rec: &Recording, ext: &str, max_chars: usize) -> Option<String> {
    let date = chrono::DateTime::from_timestamp_millis(rec.start_ms).unwrap_or_default().format("%Y-%m-%d");
    let hash: String = Sha256::digest(rec.record_id.as_bytes()).iter().take(4).map(|b| format!("{b:02x}")).collect();
    let suffix = format!("_{date}_{hash}.{ext}");
    let room = max_chars.checked_sub(suffix.len()).filter(|r| *r >= 1)?;
    Some(format!("{}{suffix}", safe_file_name(rec.name.trim(), room)))
}

/// The extension of a URL's file, if Pod accepts it.
pub fn pod_extension(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let last = path.rsplit('/').next()?;
    let ext = last.rsplit_once('.')?.1.to_ascii_lowercase();
    POD_VIDEO_EXTENSIONS.contains(&ext.as_str()).then_some(ext)
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

/// `https://host/presentation/<recordID>/` from a presentation playback URL.
pub fn presentation_base(playback_url: &str, record_id: &str) -> Option<String> {
    let u = reqwest::Url::parse(playback_url.trim()).ok()?;
    let host = u.host_str()?;
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    Some(format!("{}://{host}{port}/presentation/{record_id}/", u.scheme()))
}

impl ClaimDirSink {
    pub fn new(config: &str, ctx: Ctx) -> Result<Self, PluginError> {
        let cfg: Config = decode(config)?;
        if cfg.recorder_id <= 0 {
            return Err(PluginError::config("recorder_id", "recorder_id must be a recorder_recorder id (≥ 1)"));
        }
        if cfg.concurrency == 0 || cfg.concurrency > 64 {
            return Err(PluginError::config("concurrency", "concurrency must be between 1 and 64"));
        }
        if cfg.page_concurrency == 0 || cfg.page_concurrency > 64 {
            return Err(PluginError::config("page_concurrency", "page_concurrency must be between 1 and 64"));
        }
        let converter = Converter::from_config(
            crate::convert::ConverterConfig {
                converter: cfg.converter,
                chat: cfg.chat,
                chat_names: cfg.chat_names,
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
            min_free: cfg.min_free_bytes,
            dry_run: ctx.dry_run(),
        };
        Ok(Self {
            inner: Arc::new(inner),
            concurrency: cfg.concurrency,
            recorder: Mutex::new(None),
            stale_removed: Mutex::new(None),
        })
    }

    /// Reads the recorder (once) and checks its directory.
    pub fn recorder(&self) -> Result<Recorder, PluginError> {
        let mut guard = self.recorder.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = guard.as_ref() {
            return Ok(r.clone());
        }
        let id = self.inner.recorder_id;
        let (row, file_max) = self.inner.db.transaction(TxMode::ReadOnly, move |tx| {
            Box::pin(async move {
                for t in ["recorder_recorder", "recorder_recordingfiletreatment", "recorder_recording"] {
                    pod::require_table(tx, t).await?;
                }
                let rows = tx
                    .query(
                        "SELECT id, directory, recording_type, user_id FROM recorder_recorder WHERE id = ?",
                        vec![Param::Int(id)],
                    )
                    .await?;
                let max = pod::column_max_len(tx, "recorder_recordingfiletreatment", "file").await?;
                Ok((rows.into_iter().next(), max))
            })
        })?;
        let db = self.inner.db.url().redacted();
        let row = row.ok_or_else(|| {
            PluginError::config(
                "recorder_id",
                format!("recorder_id {id}: no recorder_recorder row with that id in {db}"),
            )
        })?;
        let directory = row.text("directory");
        if directory.is_empty() || directory == "." || directory == ".." || directory.contains(['/', '\\', '\0']) {
            return Err(PluginError::data(format!(
                "recorder {id} in {db}: directory `{}` is not a single folder name",
                directory.escape_default()
            )));
        }
        let dir = self.inner.recorder_path.join(&directory);
        if !dir.is_dir() {
            return Err(PluginError::config(
                "recorder_path",
                format!(
                    "{}: directory of recorder {id} does not exist (create it, or fix recorder_path)",
                    dir.display()
                ),
            ));
        }
        let file_max = file_max.map(|n| n as usize).unwrap_or(100);
        let room = file_max.saturating_sub(dir.to_string_lossy().chars().count() + 1);
        if room < MIN_NAME_ROOM + "_YYYY-MM-DD_12345678.webm".len() {
            return Err(PluginError::config(
                "recorder_path",
                format!("{}: too long for recorder_recordingfiletreatment.file varchar({file_max}) once a file name is added", dir.display()),
            ));
        }
        let r = Recorder {
            id,
            directory,
            recording_type: row.text("recording_type"),
            manager: row.int("user_id"),
            dir,
            file_max,
        };
        *guard = Some(r.clone());
        Ok(r)
    }
}

/// What became of one recording.
struct Done {
    path: String,
    size: Option<u64>,
    how: &'static str,
    source: String,
    rft: Option<(i64, &'static str)>,
    resumed_from: u64,
    /// What the native renderer could not draw, and the files it wrote beside the video.
    not_drawn: Vec<String>,
    beside: Vec<String>,
}

/// `page`: the error of the recording's video page, if reading it failed.
async fn deliver(inner: &Inner, rec: &Recorder, item: &SinkItem, page: Option<PageError>) -> Outcome {
    let r = &item.recording;
    let id = r.record_id.as_str();
    if let Err(e) = validate_record_id(id) {
        return Outcome::failed_permanently(id, e);
    }
    if let Some(why) = bbb_migrate_video_page::not_deliverable(r) {
        return Outcome::failed_permanently(id, why);
    }
    let video = r.playback("video").filter(|p| !p.url.trim().is_empty());
    let presentation = r.playback("presentation").filter(|p| !p.url.trim().is_empty());
    let (job, ext) = if let Some(v) = video {
        if let Some(e) = page {
            return fetch_failure(id, &FetchError { message: e.message, permanent: e.permanent });
        }
        let Some(url) = v.download_url() else {
            return Outcome::failed(id, format!("{}: the video file was not looked up", v.url.trim()));
        };
        let ext = pod_extension(&url).unwrap_or_else(|| "mp4".into());
        (Job::Download { url }, ext)
    } else if let Some(p) = presentation {
        let Some(ext) = inner.converter.extension() else {
            return Outcome::failed_permanently(
                id,
                "presentation only, and no converter configured (converter / converter_command)",
            );
        };
        let url = match inner.converter.input_url(p.url.trim(), id) {
            Ok(u) => u,
            Err(e) => return Outcome::failed_permanently(id, e),
        };
        (Job::Convert { url }, ext.to_string())
    } else {
        return Outcome::failed_permanently(
            id,
            "no video or presentation playback: nothing to put in the claim directory",
        );
    };
    let room = rec.file_max.saturating_sub(rec.dir.to_string_lossy().chars().count() + 1);
    let Some(name) = claim_file_name(r, &ext, room) else {
        return Outcome::failed_permanently(id, format!("{}: no room for a file name", rec.dir.display()));
    };
    let path = rec.dir.join(&name);
    let path_text = path.to_string_lossy().into_owned();

    // Already claimed (Pod moved the file away and made a recording of it)?
    let key = path_text.clone();
    let found = inner
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
        .await;
    let (claimed, rft) = match found {
        Ok(v) => v,
        Err(e) => return pod::failure(id, "", &e),
    };
    if let Some(cid) = claimed {
        let detail = format!("{path_text}: already claimed in Pod (recorder_recording #{cid})");
        let data = json!({"file": path_text, "claimed": cid});
        return if inner.dry_run {
            Outcome::planned(id, format!("nothing to write: {detail}"))
        } else {
            Outcome::skipped(id, detail)
        }
        .with_data(&data);
    }

    // From here to the row, this run alone works on this file (dry runs write nothing).
    let _lock = if inner.dry_run {
        None
    } else {
        match FileLock::acquire(&path, filelock::WAIT).await {
            Ok(l) => Some(l),
            Err(e) => return Outcome::failed(id, e),
        }
    };
    let present = std::fs::metadata(&path).ok().filter(|m| m.is_file()).map(|m| m.len());
    let (source, mut action_size, mut how) = match &job {
        Job::Download { url } => {
            let remote = if present.is_some() || inner.dry_run {
                match inner.fetcher.size(url).await {
                    Ok(s) => s,
                    Err(e) => return fetch_failure(id, &e),
                }
            } else {
                None
            };
            match present {
                Some(len) if len > 0 && (remote.is_none() || remote == Some(len)) => {
                    (url.clone(), Some(len), "present")
                }
                _ => (url.clone(), remote, "download"),
            }
        }
        Job::Convert { url } => match present {
            Some(len) if len > 0 => (url.clone(), Some(len), "present"),
            _ => (url.clone(), None, inner.converter.verb()),
        },
    };

    if inner.dry_run {
        return planned(inner, rec, id, &path_text, &source, how, action_size, rft);
    }

    let mut resumed_from = 0;
    let (mut not_drawn, mut beside) = (Vec::new(), Vec::new());
    if how != "present" {
        let dir = rec.dir.clone();
        let min_free = inner.min_free;
        let result = match &job {
            Job::Download { url } => {
                let space = move |need: Option<u64>| check_space(&dir, need, min_free);
                inner.fetcher.download(url, &path, &space).await.map(|f| {
                    resumed_from = f.resumed_from;
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
    } else {
        how = "present";
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
    let d = Done { path: path_text, size: Some(size), how, source, rft, resumed_from, not_drawn, beside };
    finished(rec, id, d)
}

/// The `recorder_recordingfiletreatment` row of `file`: inserted, its size
/// corrected, or left as it is. The file name is unique per recording, so no
/// two tasks of a run register the same file; `file` is UNIQUE should Pod's
/// cron insert it at the same moment (the loser fails and is retried).
async fn register(inner: &Inner, rec: &Recorder, file: &str, size: u64) -> Result<(i64, &'static str), PluginError> {
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
                        return Ok((fid, "existed"));
                    }
                    tx.execute("UPDATE recorder_recordingfiletreatment SET file_size = ? WHERE id = ?", vec![Param::Int(size as i64), Param::Int(fid)]).await?;
                    return Ok((fid, "size updated"));
                }
                let sql = format!(
                    "INSERT INTO recorder_recordingfiletreatment (file, file_size, recorder_id, date_added, require_manual_claim, email_sent, type) \
                     VALUES (?, ?, ?, {}, ?, ?, ?)",
                    now_sql(engine)
                );
                let params = vec![Param::from(file.as_str()), Param::Int(size as i64), Param::Int(rid), Param::Bool(true), Param::Bool(false), Param::from(rtype.as_str())];
                Ok((tx.insert_id(&sql, params).await?, "inserted"))
            })
        })
        .await
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

#[allow(clippy::too_many_arguments)]
fn planned(
    inner: &Inner,
    rec: &Recorder,
    id: &str,
    path: &str,
    source: &str,
    how: &str,
    size: Option<u64>,
    rft: Option<(i64, Option<i64>)>,
) -> Outcome {
    let mut parts = Vec::new();
    match how {
        "present" => parts.push(format!("{path} already present ({})", size_text(size))),
        "download" => {
            let part = crate::fetch::part_path(Path::new(path));
            let have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
            let resume = if have > 0 {
                format!(", resuming after the {have} bytes already in {}", part.display())
            } else {
                String::new()
            };
            parts.push(format!("would download {source} ({}{resume}) to {path}", size_text(size)))
        }
        verb => parts.push(format!("would {verb} {source} to {path}")),
    }
    if how != "present" {
        let need = if how == "download" { size } else { None };
        if let Err(e) = check_space(&rec.dir, need, inner.min_free) {
            parts.push(format!("WARNING {e}"));
        }
    }
    let register = match rft {
        Some((_, fs)) if how == "present" && fs.map(|v| v as u64) == size => None,
        Some((fid, _)) => Some(format!("would update the size of recorder_recordingfiletreatment #{fid}")),
        None => Some(format!(
            "would register it in recorder_recordingfiletreatment (recorder {}, type {}, require_manual_claim = true)",
            rec.id, rec.recording_type
        )),
    };
    let changed = how != "present" || register.is_some();
    match register {
        Some(r) => parts.push(r),
        None => parts.push(format!("registered (recorder_recordingfiletreatment #{})", rft.map(|r| r.0).unwrap_or(0))),
    }
    let data = json!({"file": path, "file_size": size, "source": source, "action": how, "recorder_id": rec.id, "type": rec.recording_type});
    let detail = parts.join("; ");
    Outcome::planned(id, if changed { detail } else { format!("nothing to write: {detail}") }).with_data(&data)
}

fn finished(rec: &Recorder, id: &str, d: Done) -> Outcome {
    let (fid, row) = d.rft.unwrap_or((0, "existed"));
    let size = d.size.unwrap_or(0);
    let what = match d.how {
        "present" => format!("{} already present ({size} bytes)", d.path),
        "download" if d.resumed_from > 0 => {
            format!("downloaded {} to {} ({size} bytes, resumed at byte {})", d.source, d.path, d.resumed_from)
        }
        "download" => format!("downloaded {} to {} ({size} bytes)", d.source, d.path),
        verb => format!("{}ed {} to {} ({size} bytes)", verb.trim_end_matches('e'), d.source, d.path),
    };
    let mut detail = format!(
        "{what}; recorder_recordingfiletreatment #{fid} {row} (recorder {}, type {})",
        rec.id, rec.recording_type
    );
    for n in &d.not_drawn {
        detail.push_str(&format!("; not drawn: {n}"));
    }
    for f in &d.beside {
        detail.push_str(&format!("; beside it: {f}"));
    }
    let data = json!({
        "file": d.path, "file_size": size, "source": d.source, "action": d.how,
        "recorder_id": rec.id, "type": rec.recording_type, "require_manual_claim": true,
        "rft_id": fid, "row": row, "resumed_from": d.resumed_from,
        // Read by the HTML report ("not drawn by the renderer") and the JSON report.
        "not_drawn": d.not_drawn, "beside": d.beside,
    });
    if d.how == "present" && row == "existed" { Outcome::skipped(id, detail) } else { Outcome::done(id, detail) }
        .with_data(&data)
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
        use futures_util::StreamExt;
        let rec = self.recorder()?;
        if matches!(self.inner.converter, Converter::Native { .. }) && !self.inner.dry_run {
            let mut removed = self.stale_removed.lock().unwrap_or_else(|p| p.into_inner());
            if removed.is_none() {
                *removed = Some(bbb_migrate_render::remove_stale().len());
            }
        }
        let inner = self.inner.clone();
        let mut items = batch.to_vec();
        let n = self.concurrency;
        Ok(block_on(async move {
            // The files behind the video pages of this batch (the selected
            // recordings only), `page_concurrency` pages at once.
            let pages = inner.video_files.resolve(items.iter_mut().map(|i| &mut i.recording)).await;
            futures_util::stream::iter(items.into_iter().zip(pages).map(|(item, page)| {
                let inner = inner.clone();
                let rec = rec.clone();
                async move { deliver(&inner, &rec, &item, page).await }
            }))
            .buffered(n)
            .collect::<Vec<Outcome>>()
            .await
        }))
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
            LifecycleOp::UNDO => Ok(crate::claim_undo::undo(&self.inner.db, batch, self.inner.dry_run)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_bounded_and_distinct() {
        let mut r = Recording {
            record_id: "bc04628ab61776c9f65c695dc59f36abf8955bbc-1504087272607".into(),
            name: "Cours magistral; PHYS101 \"intro\" élèves".into(),
            start_ms: 1_504_087_272_607,
            ..Default::default()
        };
        let n = claim_file_name(&r, "m4v", 100).unwrap();
        assert!(n.starts_with("Cours_magistral_PHYS101_intro_l_ves_2017-08-30_"), "{n}");
        assert!(n.ends_with(".m4v"));
        r.record_id = "bc04628ab61776c9f65c695dc59f36abf8955bbc-1504087272608".into();
        assert_ne!(claim_file_name(&r, "m4v", 100).unwrap(), n);
        r.name = format!("../../etc/passwd \"'{}🎓", "x".repeat(300)).into();
        let n = claim_file_name(&r, "webm", 60).unwrap();
        assert_eq!(n.len(), 60);
        assert!(!n.contains('/') && !n.contains("..") && n.is_ascii(), "{n}");
        assert!(claim_file_name(&r, "webm", 25).is_none());
    }

    #[test]
    fn extensions_and_bases() {
        assert_eq!(pod_extension("https://h/video/x/video-0.M4V?t=1").as_deref(), Some("m4v"));
        assert_eq!(pod_extension("https://h/video/x/"), None);
        assert_eq!(pod_extension("https://h/video/x/a.exe"), None);
        assert_eq!(
            presentation_base("https://bbb.example.org:8443/playback/presentation/2.3/abc-1", "abc-1").as_deref(),
            Some("https://bbb.example.org:8443/presentation/abc-1/")
        );
    }
}
