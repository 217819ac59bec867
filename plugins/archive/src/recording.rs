//! One recording: plan its formats, fetch their documents, then every file they name,
//! (optionally) render the presentation, and write the manifest last.
use crate::config::Settings;
use crate::discover::{Documents, FormatPlan, Layout, Skipped, Wanted};
use crate::fetch::{FailKind, Fetcher};
use crate::manifest::{now, FileEntry, FormatEntry, Manifest, Missing, ProgressLog};
use crate::target::Target;
use plugin_api::sdk::ids::validate_record_id;
use plugin_api::sdk::Planned;
use plugin_api::{Outcome, SinkItem};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use tokio::sync::Semaphore;

pub struct Archiver {
    pub settings: Settings,
    pub target: Target,
    pub fetcher: Fetcher,
    /// Files in flight, all recordings together.
    pub slots: Semaphore,
    pub work_dir: PathBuf,
}

/// What became of one wanted file.
enum Got {
    /// The entry, the body of a document, why the bytes kept were dropped (if they were).
    Stored(FileEntry, Option<Vec<u8>>, Option<String>),
    Missing(Missing),
    Failed {
        message: String,
        permanent: bool,
    },
}

/// What `plan` found to archive of one recording: its formats (with their
/// playback URL) and the notes on those that cannot be archived.
pub struct ToArchive {
    formats: Vec<(FormatPlan, String)>,
    notes: Vec<String>,
}

/// Everything one recording produced so far.
#[derive(Default)]
struct Collected {
    files: BTreeMap<String, FileEntry>,
    missing: Vec<Missing>,
    skipped: Vec<Skipped>,
    errors: Vec<(String, bool)>,
    /// Files whose bytes kept from an earlier attempt were dropped, and why.
    started_over: Vec<String>,
}

impl Collected {
    fn add(&mut self, got: Got, docs: &mut Documents, rel: &str) {
        match got {
            Got::Stored(e, body, started_over) => {
                if let Some(b) = body {
                    docs.insert(rel.to_string(), b);
                }
                self.started_over.extend(started_over);
                self.files.insert(e.path.clone(), e);
            }
            Got::Missing(m) => self.missing.push(m),
            Got::Failed { message, permanent } => self.errors.push((message, permanent)),
        }
    }
}

impl Archiver {
    fn key(id: &str, path: &str) -> String {
        format!("{id}/{path}")
    }

    /// The formats to archive and the notes on those that cannot be.
    fn plans(&self, item: &SinkItem, notes: &mut Vec<String>) -> Vec<(FormatPlan, String)> {
        let r = &item.recording;
        let mut plans: Vec<(FormatPlan, String)> = Vec::new();
        for p in r.playback.iter() {
            let format = p.format.as_str();
            if !self.settings.wants_format(format) || plans.iter().any(|(x, _)| x.format == format) {
                continue;
            }
            if !crate::discover::href::is_safe_name(format) {
                notes.push(format!("format `{}` refused: not a safe folder name", format.escape_default()));
                continue;
            }
            match FormatPlan::new(format, p.url.as_str(), r.record_id.as_str()) {
                Ok(plan) => plans.push((plan, p.url.to_string())),
                Err(e) => notes.push(format!("format {format} not archived: {e}")),
            }
        }
        plans
    }

    /// What to do with one recording, reading only: nothing (archived
    /// already, not taken) or its formats, with the dry run's answer.
    pub async fn plan(self: Arc<Self>, item: SinkItem) -> Planned<ToArchive> {
        let id = item.recording.record_id.to_string();
        if let Err(e) = validate_record_id(&id) {
            return Planned::settled(Outcome::failed_permanently(&id, e));
        }
        if let Some(why) = self.not_taken(&item) {
            return Planned::settled(Outcome::skipped(&id, why));
        }
        // (A manifest that cannot be read is read again by `archive`, which reports it.)
        if let Ok(Some(files)) = self.archived(&id).await {
            return Planned::settled_as(
                Outcome::skipped(&id, format!("already archived and verified ({files} files)")),
                Outcome::planned(&id, format!("nothing to do: already archived ({files} files)")),
            );
        }
        let mut notes = Vec::new();
        let formats = self.plans(&item, &mut notes);
        let names: Vec<&str> = formats.iter().map(|(p, _)| p.format.as_str()).collect();
        let announced: u64 = item.recording.playback.iter().map(|p| p.size_bytes).sum();
        let resumed = ProgressLog::open(&self.work_dir, &id).load().len();
        let mut line = format!(
            "would archive {} ({} bytes announced) to {}/{id}/",
            if names.is_empty() { "nothing".to_string() } else { names.join(", ") },
            announced,
            self.target.describe()
        );
        if resumed > 0 {
            line.push_str(&format!(", keeping the {resumed} files verified by an earlier run"));
        }
        if self.settings.render && names.contains(&"presentation") {
            line.push_str(", and render the presentation to MP4");
        }
        for n in &notes {
            line.push_str(&format!("; {n}"));
        }
        Planned::write(ToArchive { formats, notes }, Outcome::planned(&id, line))
    }

    /// The number of files of the recording's manifest, if it is archived
    /// (a manifest that does not parse is no archive).
    async fn archived(&self, id: &str) -> Result<Option<usize>, String> {
        let bytes = self.target.read(&Self::key(id, crate::manifest::FILE)).await?;
        Ok(bytes.and_then(|b| Manifest::parse(&b).ok()).map(|m| m.files.len()))
    }

    fn not_taken(&self, item: &SinkItem) -> Option<String> {
        let state = item.recording.state.as_str();
        (!self.settings.states.iter().any(|s| s == state))
            .then(|| format!("state `{state}` is not in this sink's `states`; not archived"))
    }

    /// Archives one planned recording: its manifest looked for again (another
    /// run or worker may have archived it since the plan), then every file,
    /// the render, and the manifest last.
    pub async fn archive(self: Arc<Self>, item: SinkItem, todo: ToArchive) -> Outcome {
        let id = item.recording.record_id.to_string();
        match self.archived(&id).await {
            Ok(Some(files)) => return Outcome::skipped(&id, format!("already archived and verified ({files} files)")),
            Ok(None) => {}
            Err(e) => return Outcome::failed(&id, e),
        }
        let mut manifest = Manifest::of(&item);
        let ToArchive { formats: plans, notes } = todo;
        manifest.notes = notes;
        if plans.is_empty() {
            let why = manifest.notes.join("; ");
            return Outcome::failed_permanently(
                &id,
                format!("no format to archive{}", if why.is_empty() { String::new() } else { format!(": {why}") }),
            );
        }
        if !item.recording.published {
            manifest.notes.push(format!(
                "state {}: BBB and Scalelite serve the files of published recordings only; what the server served is archived",
                item.recording.state
            ));
        }
        if let Err(e) = self.check_space(&item) {
            return Outcome::failed(&id, e);
        }
        let progress = Arc::new(ProgressLog::open(&self.work_dir, &id));
        let prior = Arc::new(progress.load());
        let mut got = Collected::default();
        let mut docs: BTreeMap<String, Documents> = BTreeMap::new();
        // 1. The documents of every format.
        let mut tasks = Vec::new();
        for (plan, _) in &plans {
            for w in plan.documents() {
                tasks.push((plan.format.clone(), w.rel.clone(), self.spawn_get(&id, plan, w, &prior, &progress)));
            }
        }
        for (format, rel, t) in tasks {
            let g = t.await.unwrap_or_else(|e| Got::Failed { message: format!("task failed: {e}"), permanent: false });
            got.add(g, docs.entry(format).or_default(), &rel);
        }
        // 2. What they name.
        let mut tasks = Vec::new();
        for (plan, _) in &plans {
            let empty = Documents::new();
            let (wanted, skipped) = plan.derived(docs.get(&plan.format).unwrap_or(&empty));
            got.skipped.extend(skipped.into_iter().map(|mut s| {
                s.from = format!("{}/{}", plan.format, s.from);
                s
            }));
            for w in wanted {
                tasks.push(self.spawn_get(&id, plan, w, &prior, &progress));
            }
        }
        for t in tasks {
            let g = t.await.unwrap_or_else(|e| Got::Failed { message: format!("task failed: {e}"), permanent: false });
            got.add(g, &mut Documents::new(), "");
        }
        if !got.errors.is_empty() {
            let permanent = got.errors.iter().all(|e| e.1);
            let first = &got.errors[0].0;
            let msg = format!(
                "{} file(s) failed ({} stored, kept for the next run): {first}",
                got.errors.len(),
                got.files.len()
            );
            return if permanent { Outcome::failed_permanently(&id, msg) } else { Outcome::failed(&id, msg) };
        }
        // 3. The rendered MP4.
        if self.settings.render {
            if let Some((plan, _)) = plans.iter().find(|(p, _)| p.layout == Layout::Presentation) {
                match self.render(&id, plan, &prior, &progress).await {
                    Ok(e) => {
                        got.files.insert(e.path.clone(), e);
                    }
                    Err(e) => manifest.notes.push(format!("render failed: {e}")),
                }
            }
        }
        // 4. The manifest, last: its presence means "complete and verified".
        manifest.formats = plans
            .iter()
            .map(|(p, url)| FormatEntry { format: p.format.clone(), url: url.clone(), base: p.base.to_string() })
            .collect();
        let started_over = got.started_over.len();
        manifest.notes.extend(got.started_over);
        manifest.files = got.files.into_values().collect();
        manifest.missing = got.missing;
        manifest.missing.sort_by(|a, b| a.path.cmp(&b.path));
        manifest.skipped = got.skipped;
        manifest.total_bytes = manifest.files.iter().map(|f| f.size).sum();
        manifest.archived_at = now();
        if let Err(e) = self.target.put(&Self::key(&id, crate::manifest::FILE), manifest.to_json()).await {
            return Outcome::failed(&id, e);
        }
        progress.remove();
        let mut detail = format!(
            "archived {} files ({} bytes) of {} to {}/{id}/; {} absent on the server, {} refused",
            manifest.files.len(),
            manifest.total_bytes,
            manifest.formats.iter().map(|f| f.format.as_str()).collect::<Vec<_>>().join(", "),
            self.target.describe(),
            manifest.missing.len(),
            manifest.skipped.len()
        );
        if started_over > 0 {
            detail.push_str(&format!(
                "; {started_over} file(s) fetched again from byte 0 (changed on the server since an interrupted \
                 run, or not resumable: see the manifest's notes)"
            ));
        }
        Outcome::done(&id, detail).with_data(&serde_json::json!({
            "folder": format!("{}/{id}", self.target.describe()),
            "files": manifest.files.len(),
            "bytes": manifest.total_bytes,
            "missing": manifest.missing.iter().map(|m| &m.path).collect::<Vec<_>>(),
            "skipped": manifest.skipped.iter().map(|s| &s.href).collect::<Vec<_>>(),
        }))
    }

    /// A folder target must have room for the announced size plus `min_free_bytes`.
    fn check_space(&self, item: &SinkItem) -> Result<(), String> {
        let Some(free) = self.target.free_space() else { return Ok(()) };
        let announced: u64 = item.recording.playback.iter().map(|p| p.size_bytes).sum();
        let need = announced + self.settings.min_free_bytes;
        if free < need {
            return Err(format!(
                "not enough space in {}: {free} bytes free, {announced} announced + {} to keep free",
                self.target.describe(),
                self.settings.min_free_bytes
            ));
        }
        Ok(())
    }

    fn spawn_get(
        self: &Arc<Self>,
        id: &str,
        plan: &FormatPlan,
        w: Wanted,
        prior: &Arc<BTreeMap<String, FileEntry>>,
        progress: &Arc<ProgressLog>,
    ) -> tokio::task::JoinHandle<Got> {
        let (me, id, plan, prior, progress) =
            (self.clone(), id.to_string(), plan.clone(), prior.clone(), progress.clone());
        tokio::spawn(async move { me.get(&id, &plan, w, &prior, &progress).await })
    }

    async fn get(
        &self,
        id: &str,
        plan: &FormatPlan,
        w: Wanted,
        prior: &BTreeMap<String, FileEntry>,
        progress: &ProgressLog,
    ) -> Got {
        let path = format!("{}/{}", plan.format, w.rel);
        let key = Self::key(id, &path);
        let failed = |message: String| Got::Failed { message, permanent: false };
        let url = match plan.base.join(&w.rel) {
            Ok(u) => u,
            Err(e) => return Got::Failed { message: format!("{path}: {e}"), permanent: true },
        };
        let _slot = self.slots.acquire().await.expect("the semaphore is never closed");
        // Verified by an earlier run and still there: neither fetched nor hashed again.
        if let Some(e) = prior.get(&path) {
            if matches!(self.target.size(&key).await, Ok(Some(n)) if n == e.size) {
                let body = if w.document { self.target.read(&key).await.ok().flatten() } else { None };
                return Got::Stored(e.clone(), body, None);
            }
        }
        // Under its final name but not in the progress log (a run killed between the rename
        // and the log line): taken back as a partial file, so the resume below checks it
        // against the server (a 416 when complete) instead of fetching it again.
        if let Target::Local(l) = &self.target {
            l.reopen_unlogged(&key);
        }
        let writer = match self.target.writer(&key).await {
            Ok(w) => w,
            Err(e) => return failed(e),
        };
        match self.fetcher.fetch(&url, writer, w.document).await {
            Ok(f) => {
                let e = FileEntry { path, url: url.to_string(), size: f.size, sha256: f.sha256, verified_at: now() };
                if let Err(err) = progress.append(&e) {
                    return failed(err);
                }
                self.target.forget_validator(&key);
                Got::Stored(e, f.body, f.started_over)
            }
            Err(f) if f.kind == FailKind::NotFound && !w.required => {
                let _ = self.target.delete(&format!("{key}.part")).await;
                self.target.forget_validator(&key);
                Got::Missing(Missing {
                    path,
                    url: url.to_string(),
                    status: f.message.rsplit(": ").next().unwrap_or("").into(),
                })
            }
            Err(f) if f.kind == FailKind::NotFound => {
                let _ = self.target.delete(&format!("{key}.part")).await;
                self.target.forget_validator(&key);
                let hint =
                    if w.rel == "metadata.xml" { " (required: is the recording published?)" } else { " (required)" };
                Got::Failed { message: format!("{}{hint}", f.message), permanent: true }
            }
            Err(f) => Got::Failed { message: f.message, permanent: f.kind == FailKind::Permanent },
        }
    }

    /// Renders the presentation (from the archived folder, or from the server for S3) and
    /// stores the MP4 as `render/<recordID>.mp4`.
    async fn render(
        &self,
        id: &str,
        plan: &FormatPlan,
        prior: &BTreeMap<String, FileEntry>,
        progress: &ProgressLog,
    ) -> Result<FileEntry, String> {
        let path = format!("render/{id}.mp4");
        let key = Self::key(id, &path);
        if let Some(e) = prior.get(&path) {
            if matches!(self.target.size(&key).await, Ok(Some(n)) if n == e.size) {
                return Ok(e.clone());
            }
        }
        std::fs::create_dir_all(&self.work_dir).map_err(|e| format!("{}: {e}", self.work_dir.display()))?;
        let tmp = tempfile::Builder::new()
            .prefix(".render-")
            .tempdir_in(&self.work_dir)
            .map_err(|e| format!("{}: {e}", self.work_dir.display()))?;
        let out = tmp.path().join("render.mp4");
        let input = match &self.target {
            Target::Local(l) => Some(l.path(&Self::key(id, "presentation"))),
            Target::S3(_) => None,
        };
        let (base, out2) = (plan.base.to_string(), out.clone());
        let report = tokio::task::spawn_blocking(move || {
            let opts = bbb_migrate_render::RenderOptions::default();
            match input {
                Some(dir) => bbb_migrate_render::render_dir(&dir, &out2, &opts),
                None => bbb_migrate_render::render_url(&base, &out2, &opts),
            }
        })
        .await
        .map_err(|e| format!("render task: {e}"))?
        .map_err(|e| e.to_string())?;
        let _ = report;
        let e = self.store_file(&out, &key, &path).await?;
        progress.append(&e)?;
        Ok(e)
    }

    /// Streams a local file into the target (hashed, committed, verified like a download).
    async fn store_file(&self, file: &std::path::Path, key: &str, path: &str) -> Result<FileEntry, String> {
        let io = |e: std::io::Error| format!("{}: {e}", file.display());
        let mut w = self.target.writer(key).await?;
        w.restart().await?;
        let mut f = tokio::fs::File::open(file).await.map_err(io)?;
        let mut n = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let got = f.read(&mut buf).await.map_err(io)?;
            if got == 0 {
                break;
            }
            n += got as u64;
            w.write(bytes::Bytes::copy_from_slice(&buf[..got])).await?;
        }
        let sha256 = w.commit(n, self.settings.reread()).await?;
        Ok(FileEntry { path: path.into(), url: String::new(), size: n, sha256, verified_at: now() })
    }
}
