//! A folder target: files written to `<final>.part`, synced, renamed; small files through a
//! temporary name; free space from `statvfs`.
use super::{check_reread, hex, StoreResult};
use crate::hash::Hasher;
use bbb_migrate_http::Validator;
use bytes::Bytes;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Bytes gathered before they are hashed and written in one blocking task.
const BATCH: usize = 1 << 20;

pub struct Local {
    pub root: PathBuf,
}

fn io(p: &Path, e: std::io::Error) -> String {
    format!("{}: {e}", p.display())
}

pub fn part_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_os_string();
    s.push(".part");
    PathBuf::from(s)
}

/// Where the validator of a `.part`'s bytes is kept.
fn validator_path(p: &Path) -> PathBuf {
    let mut s = part_path(p).into_os_string();
    s.push(".validator");
    PathBuf::from(s)
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Local {
    pub fn new(root: PathBuf) -> Self {
        Local { root }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        rel.split('/').fold(self.root.clone(), |p, c| p.join(c))
    }

    pub fn prepare(&self, dry_run: bool) -> StoreResult<()> {
        if dry_run {
            return Ok(());
        }
        std::fs::create_dir_all(&self.root).map_err(|e| io(&self.root, e))
    }

    pub fn size(&self, rel: &str) -> StoreResult<Option<u64>> {
        let p = self.path(rel);
        match std::fs::metadata(&p) {
            Ok(m) if m.is_file() => Ok(Some(m.len())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&p, e)),
        }
    }

    pub fn read(&self, rel: &str) -> StoreResult<Option<Vec<u8>>> {
        let p = self.path(rel);
        match std::fs::read(&p) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&p, e)),
        }
    }

    pub async fn hash(&self, p: PathBuf) -> StoreResult<Option<(u64, String)>> {
        blocking(move || match std::fs::File::open(&p) {
            Ok(mut f) => {
                let h = hash_file(&mut f).map_err(|e| io(&p, e))?;
                Ok(Some((h.len(), hex(&h.finalize()))))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&p, e)),
        })
        .await
    }

    pub fn put(&self, rel: &str, data: &[u8]) -> StoreResult<()> {
        let p = self.path(rel);
        let dir = p.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let tmp = part_path(&p);
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            std::io::Write::write_all(&mut f, data)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &p)
        };
        write().map_err(|e| io(&p, e))?;
        sync_dir(dir);
        Ok(())
    }

    pub fn delete(&self, rel: &str) -> StoreResult<()> {
        let p = self.path(rel);
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&p, e)),
            _ => Ok(()),
        }
    }

    pub fn manifests(&self) -> StoreResult<Vec<String>> {
        let rd = match std::fs::read_dir(&self.root) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&self.root, e)),
        };
        let mut out = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| io(&self.root, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && entry.path().join("manifest.json").is_file() {
                out.push(name);
            }
        }
        out.sort();
        Ok(out)
    }

    pub fn free_space(&self) -> Option<u64> {
        // The root may not exist yet: ask its nearest existing ancestor.
        let dir = self.root.ancestors().find(|a| a.exists())?;
        let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
        // SAFETY: statvfs is plain old data: all-zero is a valid value.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: `c` is a valid NUL-terminated path and `st` a writable statvfs.
        let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
        (rc == 0).then(|| st.f_bavail as u64 * st.f_frsize as u64)
    }

    /// Renames a final file back to its `.part` (see `Archiver::get`); nothing if absent.
    pub fn reopen_unlogged(&self, rel: &str) {
        let path = self.path(rel);
        if path.is_file() {
            let _ = std::fs::rename(&path, part_path(&path));
        }
    }

    pub fn forget_validator(&self, rel: &str) {
        let _ = std::fs::remove_file(validator_path(&self.path(rel)));
    }

    /// A writer for `rel`: resumes the `.part` an earlier run left (hashing what it holds,
    /// with the validator recorded beside it, if any); otherwise nothing is created before
    /// the first byte (a 404 leaves no trace).
    pub async fn writer(&self, rel: &str) -> StoreResult<LocalWriter> {
        let path = self.path(rel);
        let part = part_path(&path);
        let meta = validator_path(&path);
        // Unsynced on purpose: lost or torn (a crash), it reads as none, and the file is
        // fetched again from 0.
        let validator = std::fs::read(&meta).ok().and_then(|b| serde_json::from_slice(&b).ok());
        let resumed = blocking(move || -> StoreResult<_> {
            match std::fs::OpenOptions::new().read(true).append(true).open(&part) {
                Ok(mut f) => {
                    let h = hash_file(&mut f).map_err(|e| io(&part, e))?;
                    Ok((part, Some(f), h))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((part, None, Hasher::new())),
                Err(e) => Err(io(&part, e)),
            }
        })
        .await?;
        let (part, file, hash) = resumed;
        let validator = if file.is_some() { validator } else { None };
        Ok(LocalWriter {
            path,
            part,
            meta,
            validator,
            file,
            len: hash.len(),
            hash,
            pending: Vec::new(),
            pending_len: 0,
        })
    }
}

/// Runs blocking file work off the async workers (both cores hash and write in parallel).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> StoreResult<T> + Send + 'static) -> StoreResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| format!("file task: {e}"))?
}

/// Hashes a whole file from its current position (1 MiB reads).
fn hash_file(f: &mut std::fs::File) -> std::io::Result<Hasher> {
    let mut buf = vec![0u8; 1 << 20];
    let mut h = Hasher::new();
    loop {
        match f.read(&mut buf) {
            Ok(0) => return Ok(h),
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

pub struct LocalWriter {
    path: PathBuf,
    part: PathBuf,
    /// `<part>.validator`: `validator`, as JSON.
    meta: PathBuf,
    pub validator: Option<Validator>,
    file: Option<std::fs::File>,
    /// Bytes accepted (stored, or waiting in `pending`).
    pub len: u64,
    /// Hash of the bytes stored (not of `pending`).
    hash: Hasher,
    /// Chunks received, hashed and written together once `BATCH` bytes are there: one
    /// blocking task per MiB, no copy of the network buffers.
    pending: Vec<Bytes>,
    pending_len: usize,
}

impl LocalWriter {
    pub async fn stored(&self) -> Option<Vec<u8>> {
        tokio::fs::read(&self.part).await.ok().filter(|b| b.len() as u64 == self.len)
    }

    pub async fn write(&mut self, chunk: Bytes) -> StoreResult<()> {
        self.len += chunk.len() as u64;
        self.pending_len += chunk.len();
        self.pending.push(chunk);
        if self.pending_len >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    /// Hashes and appends `pending` in one blocking task (opening the `.part` if needed).
    async fn flush(&mut self) -> StoreResult<()> {
        if !self.pending.is_empty() || self.file.is_none() {
            let (path, part, file) = (self.path.clone(), self.part.clone(), self.file.take());
            let (batch, mut hash) = (std::mem::take(&mut self.pending), std::mem::take(&mut self.hash));
            self.pending_len = 0;
            let result = blocking(move || {
                let mut file = match file {
                    Some(f) => f,
                    None => {
                        if let Some(dir) = path.parent() {
                            std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
                        }
                        let mut o = std::fs::OpenOptions::new();
                        o.create(true).read(true).append(true);
                        o.open(&part).map_err(|e| io(&part, e))?
                    }
                };
                for b in &batch {
                    hash.update(b);
                    file.write_all(b).map_err(|e| io(&part, e))?;
                }
                Ok((file, hash))
            })
            .await;
            match result {
                Ok((file, hash)) => {
                    self.file = Some(file);
                    self.hash = hash;
                }
                Err(e) => {
                    // What was stored is unknown now: start again from nothing.
                    let _ = std::fs::OpenOptions::new().write(true).open(&self.part).and_then(|f| f.set_len(0));
                    self.len = 0;
                    self.hash = Hasher::new();
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    pub fn set_validator(&mut self, v: Option<Validator>) -> StoreResult<()> {
        match &v {
            Some(v) => {
                if let Some(dir) = self.meta.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
                }
                let json = serde_json::to_vec(v).expect("a validator always serialises");
                std::fs::write(&self.meta, json).map_err(|e| io(&self.meta, e))?;
            }
            None => match std::fs::remove_file(&self.meta) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&self.meta, e)),
                _ => {}
            },
        }
        self.validator = v;
        Ok(())
    }

    pub async fn restart(&mut self) -> StoreResult<()> {
        self.set_validator(None)?;
        self.pending.clear();
        self.pending_len = 0;
        if let Some(f) = &self.file {
            f.set_len(0).map_err(|e| io(&self.part, e))?;
        }
        self.len = 0;
        self.hash = Hasher::new();
        Ok(())
    }

    /// Everything written, then one fsync for the file.
    async fn sync(&mut self) -> StoreResult<()> {
        self.flush().await?;
        let Some(f) = self.file.take() else { return Ok(()) };
        let part = self.part.clone();
        self.file = Some(
            blocking(move || {
                f.sync_all().map_err(|e| io(&part, e))?;
                Ok(f)
            })
            .await?,
        );
        Ok(())
    }

    pub async fn commit(mut self, size: u64, reread: bool) -> StoreResult<String> {
        self.sync().await?; // an empty file is a file too
        drop(self.file.take());
        let sha256 = hex(&self.hash.clone().finalize());
        if self.len != size {
            return Err(format!("{}: {} bytes stored, {size} expected; not kept", self.path.display(), self.len));
        }
        if reread {
            let got = Local::new(PathBuf::new()).hash(self.part.clone()).await?;
            if let Err(e) = check_reread(&self.path.display().to_string(), got, size, &sha256) {
                let _ = tokio::fs::remove_file(&self.part).await;
                let _ = self.set_validator(None);
                return Err(e);
            }
        }
        tokio::fs::rename(&self.part, &self.path).await.map_err(|e| io(&self.path, e))?;
        if let Some(dir) = self.path.parent() {
            sync_dir(dir);
        }
        Ok(sha256)
    }

    pub async fn suspend(mut self) {
        if self.file.is_some() || !self.pending.is_empty() {
            let _ = self.sync().await;
        }
    }
}
