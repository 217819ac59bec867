//! A folder target: files written to `<final>.part`, synced, renamed; small files through a
//! temporary name; free space from `statvfs`.
use super::{check_reread, hex, StoreResult};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
        let mut f = match tokio::fs::File::open(&p).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&p, e)),
        };
        let mut h = Sha256::new();
        let n = hash_into(&mut f, &mut h, u64::MAX).await.map_err(|e| io(&p, e))?;
        Ok(Some((n, hex(&h.finalize()))))
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

    /// A writer for `rel`: resumes the `.part` an earlier run left (hashing what it holds);
    /// otherwise nothing is created before the first byte (a 404 leaves no trace).
    pub async fn writer(&self, rel: &str) -> StoreResult<LocalWriter> {
        let path = self.path(rel);
        let part = part_path(&path);
        let mut w = LocalWriter { path, part, out: None, len: 0, prefix: Sha256::new() };
        if tokio::fs::try_exists(&w.part).await.unwrap_or(false) {
            let mut file = w.open().await?;
            w.len = hash_into(&mut file, &mut w.prefix, u64::MAX).await.map_err(|e| io(&w.part, e))?;
            w.out = Some(tokio::io::BufWriter::with_capacity(1 << 20, file));
        }
        Ok(w)
    }
}

async fn hash_into(f: &mut tokio::fs::File, h: &mut Sha256, max: u64) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    while n < max {
        let got = f.read(&mut buf).await?;
        if got == 0 {
            break;
        }
        h.update(&buf[..got]);
        n += got as u64;
    }
    Ok(n)
}

pub struct LocalWriter {
    path: PathBuf,
    part: PathBuf,
    out: Option<tokio::io::BufWriter<tokio::fs::File>>,
    pub len: u64,
    pub prefix: Sha256,
}

impl LocalWriter {
    async fn open(&self) -> StoreResult<tokio::fs::File> {
        if let Some(dir) = self.path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(|e| io(dir, e))?;
        }
        tokio::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&self.part)
            .await
            .map_err(|e| io(&self.part, e))
    }

    async fn out(&mut self) -> StoreResult<&mut tokio::io::BufWriter<tokio::fs::File>> {
        if self.out.is_none() {
            let f = self.open().await?;
            self.out = Some(tokio::io::BufWriter::with_capacity(1 << 20, f));
        }
        Ok(self.out.as_mut().expect("opened above"))
    }

    pub async fn stored(&self) -> Option<Vec<u8>> {
        tokio::fs::read(&self.part).await.ok().filter(|b| b.len() as u64 == self.len)
    }

    pub async fn write(&mut self, chunk: &[u8]) -> StoreResult<()> {
        let part = self.part.clone();
        self.out().await?.write_all(chunk).await.map_err(|e| io(&part, e))
    }

    pub async fn restart(&mut self) -> StoreResult<()> {
        let part = self.part.clone();
        if let Some(out) = self.out.as_mut() {
            out.flush().await.map_err(|e| io(&part, e))?;
            out.get_mut().set_len(0).await.map_err(|e| io(&part, e))?;
        }
        self.len = 0;
        self.prefix = Sha256::new();
        Ok(())
    }

    async fn sync(&mut self) -> StoreResult<()> {
        let part = self.part.clone();
        let Some(out) = self.out.as_mut() else { return Ok(()) };
        out.flush().await.map_err(|e| io(&part, e))?;
        out.get_mut().sync_all().await.map_err(|e| io(&part, e))
    }

    pub async fn commit(mut self, size: u64, sha256: &str, reread: bool) -> StoreResult<()> {
        self.out().await?; // an empty file is a file too
        self.sync().await?;
        drop(self.out.take());
        if reread {
            let got = Local::new(PathBuf::new()).hash(self.part.clone()).await?;
            if let Err(e) = check_reread(&self.path.display().to_string(), got, size, sha256) {
                let _ = tokio::fs::remove_file(&self.part).await;
                return Err(e);
            }
        }
        tokio::fs::rename(&self.part, &self.path).await.map_err(|e| io(&self.path, e))?;
        if let Some(dir) = self.path.parent() {
            sync_dir(dir);
        }
        Ok(())
    }

    pub async fn suspend(mut self) {
        let _ = self.sync().await;
    }
}
