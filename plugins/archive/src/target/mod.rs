//! Where the archive is kept: a folder (local, NFS…) or an S3-compatible bucket.
//! Paths are `/`-separated, relative to the archive root, already checked (record ids by
//! `validate_record_id`, file paths by `discover::href`).
mod local;
mod s3;

pub use local::Local;
pub use s3::S3;

use crate::config::Settings;
use bbb_migrate_http::Validator;
use bytes::Bytes;

/// A failure of the storage; always retryable (disk full, network).
pub type StoreResult<T> = Result<T, String>;

pub enum Target {
    Local(Local),
    S3(S3),
}

/// A file being written: appears under its final name only on [`Writer::commit`].
pub enum Writer {
    Local(local::LocalWriter),
    S3(s3::S3Writer),
}

impl Target {
    pub fn open(s: &Settings, config_dir: &std::path::Path) -> StoreResult<Target> {
        match s.target.strip_prefix("s3://") {
            Some(rest) => Ok(Target::S3(S3::new(rest, s)?)),
            None => {
                let p = std::path::Path::new(&s.target);
                let root = if p.is_absolute() { p.to_path_buf() } else { config_dir.join(p) };
                Ok(Target::Local(Local::new(root)))
            }
        }
    }

    /// Where an S3 target journals its multipart uploads (the sink's `work_dir`).
    pub fn set_work_dir(&mut self, dir: &std::path::Path) {
        if let Target::S3(s) = self {
            s.journal_dir = dir.join("uploads");
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Target::Local(l) => l.root.display().to_string(),
            Target::S3(s) => s.describe(),
        }
    }

    /// Creates the root folder / checks the bucket answers.
    pub async fn prepare(&self, dry_run: bool) -> StoreResult<()> {
        match self {
            Target::Local(l) => l.prepare(dry_run),
            Target::S3(s) => s.prepare().await,
        }
    }

    /// The size of a stored file, `None` if absent.
    pub async fn size(&self, rel: &str) -> StoreResult<Option<u64>> {
        match self {
            Target::Local(l) => l.size(rel),
            Target::S3(s) => s.size(rel).await,
        }
    }

    /// A small stored file, whole (manifests, documents).
    pub async fn read(&self, rel: &str) -> StoreResult<Option<Vec<u8>>> {
        match self {
            Target::Local(l) => l.read(rel),
            Target::S3(s) => s.read(rel).await,
        }
    }

    /// Size and SHA-256 of a stored file, read in a stream.
    pub async fn hash(&self, rel: &str) -> StoreResult<Option<(u64, String)>> {
        match self {
            Target::Local(l) => l.hash(l.path(rel)).await,
            Target::S3(s) => s.hash(rel).await,
        }
    }

    /// Writes a small file atomically (temporary name + rename, or one PUT).
    pub async fn put(&self, rel: &str, data: Vec<u8>) -> StoreResult<()> {
        match self {
            Target::Local(l) => l.put(rel, &data),
            Target::S3(s) => s.put(rel, data).await,
        }
    }

    pub async fn delete(&self, rel: &str) -> StoreResult<()> {
        match self {
            Target::Local(l) => l.delete(rel),
            Target::S3(s) => s.delete(rel).await,
        }
    }

    /// The record folders that have a `manifest.json`.
    pub async fn manifests(&self) -> StoreResult<Vec<String>> {
        match self {
            Target::Local(l) => l.manifests(),
            Target::S3(s) => s.manifests().await,
        }
    }

    /// Free bytes where the archive is written (`None`: unknown, e.g. S3).
    pub fn free_space(&self) -> Option<u64> {
        match self {
            Target::Local(l) => l.free_space(),
            Target::S3(_) => None,
        }
    }

    /// Forgets the validator kept for resuming `rel` (once `rel` is in the progress log, or
    /// absent on the server). A folder keeps it beside the `.part` until then (see
    /// [`Writer::set_validator`]); an S3 upload's journal goes with the upload.
    pub fn forget_validator(&self, rel: &str) {
        if let Target::Local(l) = self {
            l.forget_validator(rel);
        }
    }

    /// Starts (or, for a folder, resumes) writing `rel`.
    pub async fn writer(&self, rel: &str) -> StoreResult<Writer> {
        match self {
            Target::Local(l) => l.writer(rel).await.map(Writer::Local),
            Target::S3(s) => s.writer(rel).await.map(Writer::S3),
        }
    }
}

impl Writer {
    /// Bytes already stored by an earlier attempt or run (a folder's `.part`, the journaled
    /// parts of an S3 upload): the download resumes from there.
    pub fn resumed(&self) -> u64 {
        match self {
            Writer::Local(w) => w.len,
            Writer::S3(w) => w.len,
        }
    }

    /// The validator of the file on the server that the bytes stored came from (`None`: no
    /// bytes kept, or not known: they cannot be resumed).
    pub fn validator(&self) -> Option<&Validator> {
        match self {
            Writer::Local(w) => w.validator.as_ref(),
            Writer::S3(w) => w.validator.as_ref(),
        }
    }

    /// Records the validator of the file being fetched, with the bytes kept of it: a folder
    /// beside its `.part` (`<file>.part.validator`, kept past the commit until
    /// [`Target::forget_validator`], so a file renamed but not logged can be checked), an S3
    /// upload in its journal.
    pub async fn set_validator(&mut self, v: Option<Validator>) -> StoreResult<()> {
        match self {
            Writer::Local(w) => w.set_validator(v),
            Writer::S3(w) => w.set_validator(v),
        }
    }

    /// The bytes already stored (a folder's `.part`), to be read as a document; `None` for
    /// S3 (parts of an upload cannot be read) or when larger than `max`.
    pub async fn stored(&mut self, max: u64) -> Option<Vec<u8>> {
        match self {
            Writer::Local(w) if w.len <= max => w.stored().await,
            _ => None,
        }
    }

    /// Stores and hashes (SHA-256) the next bytes.
    pub async fn write(&mut self, chunk: Bytes) -> StoreResult<()> {
        match self {
            Writer::Local(w) => w.write(chunk).await,
            Writer::S3(w) => w.write(chunk).await,
        }
    }

    /// Forgets what was written (a wrong size, a wrong range): the next attempt starts at 0.
    pub async fn restart(&mut self) -> StoreResult<()> {
        match self {
            Writer::Local(w) => w.restart().await,
            Writer::S3(w) => w.restart().await,
        }
    }

    /// Makes the file durable under its final name and returns the SHA-256 of its bytes (as
    /// streamed). It must hold `size` bytes; with `reread`, the stored bytes are read back
    /// first and must have that size and hash; otherwise nothing gets the final name.
    pub async fn commit(self, size: u64, reread: bool) -> StoreResult<String> {
        match self {
            Writer::Local(w) => w.commit(size, reread).await,
            Writer::S3(w) => w.commit(size, reread).await,
        }
    }

    /// Stops: a folder keeps its `.part`, an S3 upload its completed parts (journaled), for
    /// the next attempt or run.
    pub async fn suspend(self) {
        match self {
            Writer::Local(w) => w.suspend().await,
            Writer::S3(w) => w.suspend().await,
        }
    }
}

pub fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares a re-read with what was streamed.
pub fn check_reread(rel: &str, got: Option<(u64, String)>, size: u64, sha256: &str) -> StoreResult<()> {
    match got {
        Some((n, h)) if n == size && h == sha256 => Ok(()),
        Some((n, h)) => Err(format!(
            "{rel}: read back {n} bytes with SHA-256 {}…, streamed {size} bytes with {}…; not kept",
            &h[..12],
            &sha256[..12.min(sha256.len())]
        )),
        None => Err(format!("{rel}: gone when read back")),
    }
}
