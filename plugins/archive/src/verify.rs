//! `bbb-migrate verify`: every recording folder with a manifest is re-read and each file's
//! size and SHA-256 compared with the manifest (bit rot, a deleted or replaced file).
use crate::manifest::{FileEntry, Manifest, FILE};
use crate::target::Target;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// One line per recording; `bad` counts the recordings with a problem.
pub struct Report {
    pub lines: Vec<String>,
    pub bad: usize,
    pub files: usize,
    pub bytes: u64,
}

/// What is wrong with one file, if anything.
async fn check_file(target: &Target, id: &str, f: &FileEntry) -> Option<String> {
    let key = format!("{id}/{}", f.path);
    match target.hash(&key).await {
        Ok(None) => Some(format!("{}: deleted", f.path)),
        Ok(Some((n, _))) if n != f.size => Some(format!("{}: {n} bytes, the manifest says {}", f.path, f.size)),
        Ok(Some((_, h))) if h != f.sha256 => {
            Some(format!("{}: SHA-256 differs from the manifest (content changed)", f.path))
        }
        Ok(Some(_)) => None,
        Err(e) => Some(format!("{}: cannot be read: {e}", f.path)),
    }
}

pub async fn run(target: Arc<Target>, concurrency: usize) -> Result<Report, String> {
    let ids = target.manifests().await?;
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut report = Report { lines: Vec::new(), bad: 0, files: 0, bytes: 0 };
    for id in ids {
        let manifest =
            match target.read(&format!("{id}/{FILE}")).await.and_then(|b| Manifest::parse(&b.unwrap_or_default())) {
                Ok(m) if m.record_id == id => m,
                Ok(m) => {
                    report.bad += 1;
                    report.lines.push(format!("BAD {id}: its manifest is for recording {}", m.record_id));
                    continue;
                }
                Err(e) => {
                    report.bad += 1;
                    report.lines.push(format!("BAD {id}: {FILE}: {e}"));
                    continue;
                }
            };
        let (count, bytes) = (manifest.files.len(), manifest.total_bytes);
        let mut tasks = Vec::new();
        for f in manifest.files {
            let (target, slots, id) = (target.clone(), slots.clone(), id.clone());
            tasks.push(tokio::spawn(async move {
                let _slot = slots.acquire().await.expect("never closed");
                check_file(&target, &id, &f).await
            }));
        }
        let mut problems = Vec::new();
        for t in tasks {
            if let Some(p) = t.await.unwrap_or_else(|e| Some(format!("check task failed: {e}"))) {
                problems.push(p);
            }
        }
        report.files += count;
        report.bytes += bytes;
        if problems.is_empty() {
            report.lines.push(format!("OK {id}: {count} files, {bytes} bytes"));
        } else {
            report.bad += 1;
            report.lines.push(format!("BAD {id}: {} of {} files: {}", problems.len(), count, problems.join("; ")));
        }
    }
    Ok(report)
}
