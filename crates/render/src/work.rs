//! The renderer's temporary folders (`bbb-render-*`, `bbb-fetch-*` in the
//! system temp folder): each holds a lock file for as long as its render
//! runs, so a folder whose lock nobody holds was left by a render that was
//! killed; [`remove_stale`] deletes those (called at the start of a render).

use std::path::{Path, PathBuf};

use crate::error::RenderError;

/// Prefixes of the renderer's temporary folders.
const PREFIXES: [&str; 2] = ["bbb-render-", "bbb-fetch-"];
const LOCK: &str = ".bbb-render.lock";

/// A temporary folder, removed when dropped, locked while it lives.
pub(crate) struct WorkDir {
    dir: tempfile::TempDir,
    _lock: std::fs::File,
}

impl WorkDir {
    pub(crate) fn new(prefix: &str) -> Result<WorkDir, RenderError> {
        let dir =
            tempfile::Builder::new().prefix(prefix).tempdir().map_err(|e| RenderError::io("temporary folder", e))?;
        let path = dir.path().join(LOCK);
        let lock = std::fs::File::create(&path).map_err(|e| RenderError::io(path.display().to_string(), e))?;
        lock.try_lock().map_err(|e| RenderError::io(path.display().to_string(), e))?;
        Ok(WorkDir { dir, _lock: lock })
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Keeps the folder (debugging): returns its path.
    pub(crate) fn keep(self) -> PathBuf {
        self.dir.keep()
    }
}

/// Whether `dir` is a work folder nobody renders in any more.
fn is_stale(dir: &Path) -> bool {
    let Ok(lock) = std::fs::File::open(dir.join(LOCK)) else {
        // Created before its lock file, or by an older version: stale once a day old.
        let old = std::time::Duration::from_secs(24 * 3600);
        return std::fs::metadata(dir).and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().is_ok_and(|e| e > old));
    };
    lock.try_lock().is_ok()
}

/// Removes the work folders of earlier renders that were killed. Returns the
/// folders removed.
pub fn remove_stale() -> Vec<PathBuf> {
    let tmp = std::env::temp_dir();
    let Ok(entries) = std::fs::read_dir(&tmp) else { return Vec::new() };
    let mut removed = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let ours = PREFIXES.iter().any(|p| name.starts_with(p));
        if ours && e.file_type().is_ok_and(|t| t.is_dir()) && is_stale(&path) && std::fs::remove_dir_all(&path).is_ok()
        {
            removed.push(path);
        }
    }
    removed
}
