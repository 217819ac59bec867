//! Files written beside the video: captions (`NAME.<locale>.vtt`), the chat
//! (`NAME.chat.txt`, `NAME.chat.vtt`) and the shared notes (`NAME.notes.html`). Each is
//! written under a temporary name in the output's folder and renamed when complete, so a
//! re-run replaces it and an interrupted run never leaves a half-written sidecar under
//! its final name.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::RenderError;
use crate::paths::{finish, partial_beside};

/// `dir/stem.suffix` for `dir/stem.mp4`.
pub(crate) fn path_for(output: &Path, suffix: &str) -> PathBuf {
    let stem = output.file_stem().map_or_else(|| "render".into(), |s| s.to_string_lossy().into_owned());
    output.with_file_name(format!("{stem}.{suffix}"))
}

/// Writes `bytes` as the sidecar `suffix` of `output`; returns its path.
pub(crate) fn write(output: &Path, suffix: &str, bytes: &[u8]) -> Result<PathBuf, RenderError> {
    let path = path_for(output, suffix);
    let mut partial = partial_beside(&path)?;
    partial.write_all(bytes).map_err(|e| RenderError::io(path.display().to_string(), e))?;
    finish(partial, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beside_the_video_and_replaced_on_rerun() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("talk.mp4");
        assert_eq!(path_for(&out, "chat.txt"), dir.path().join("talk.chat.txt"));
        write(&out, "en.vtt", b"one").unwrap();
        let p = write(&out, "en.vtt", b"two").unwrap();
        assert_eq!(std::fs::read(p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no partial file left");
    }
}
