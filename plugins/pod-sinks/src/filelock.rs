//! One writer per claim file: an exclusive lock on `<file>.lock` beside it,
//! held while the file is fetched or converted, measured and registered. Two
//! runs that deliver the same recording into the same folder (two journals,
//! two hosts sharing the folder) never write the same file at once: the
//! second waits, then finds the file complete and its row written.
//!
//! The lock file is removed when released. A waiter that opened it just
//! before its removal would lock a dead file: after locking, the path must
//! still name the locked file, else it starts over.
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a run waits for another run's work on the same file.
pub const WAIT: Duration = Duration::from_secs(30);

/// A held lock; released (and its file removed) when dropped.
#[derive(Debug)]
pub struct FileLock {
    path: PathBuf,
    _file: std::fs::File,
}

/// `<file>.lock` (Pod's recorder cron ignores that extension).
pub fn lock_path(target: &Path) -> PathBuf {
    let mut s = target.as_os_str().to_os_string();
    s.push(".lock");
    PathBuf::from(s)
}

/// One attempt: `Ok(None)` when another run holds it.
fn try_once(path: &Path) -> std::io::Result<Option<FileLock>> {
    let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
        Err(std::fs::TryLockError::Error(e)) => return Err(e),
    }
    let held = file.metadata()?;
    match std::fs::metadata(path) {
        Ok(now) if now.dev() == held.dev() && now.ino() == held.ino() => {
            Ok(Some(FileLock { path: path.to_path_buf(), _file: file }))
        }
        // Released and removed by its holder between our open and our lock.
        _ => Ok(None),
    }
}

impl FileLock {
    /// Locks `target` for this run, waiting up to `wait` for another run.
    /// The error names the file.
    pub async fn acquire(target: &Path, wait: Duration) -> Result<FileLock, String> {
        let path = lock_path(target);
        let started = Instant::now();
        loop {
            match try_once(&path) {
                Ok(Some(lock)) => return Ok(lock),
                Ok(None) if started.elapsed() < wait => tokio::time::sleep(Duration::from_millis(50)).await,
                Ok(None) => {
                    return Err(format!(
                    "{}: another bbb-migrate run is writing this file (lock {} held for {} s); retried by the next run",
                    target.display(),
                    path.display(),
                    wait.as_secs()
                ))
                }
                Err(e) => return Err(format!("{}: cannot lock: {e}", path.display())),
            }
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Removed while still held; the lock goes with the file descriptor.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The size of `path` on disk, or why it cannot be read.
pub fn size_on_disk(path: &Path) -> Result<u64, String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(m.len()),
        Ok(_) => Err(format!("{}: not a regular file", path.display())),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_the_lock_file_goes_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.mp4");
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let first = rt.block_on(FileLock::acquire(&target, WAIT)).unwrap();
        assert!(lock_path(&target).exists());
        let err = rt.block_on(FileLock::acquire(&target, Duration::from_millis(120))).unwrap_err();
        assert!(err.contains("another bbb-migrate run is writing this file"), "{err}");
        // A waiter gets it as soon as the holder lets go.
        let waiter = std::thread::spawn({
            let target = target.clone();
            move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
                rt.block_on(FileLock::acquire(&target, WAIT)).map(drop)
            }
        });
        std::thread::sleep(Duration::from_millis(100));
        drop(first);
        waiter.join().unwrap().unwrap();
        assert!(!lock_path(&target).exists());
    }
}
