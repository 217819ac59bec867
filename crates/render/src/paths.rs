//! Resolving paths named by the recording's files, without ever leaving the recording folder.

use std::path::{Component, Path, PathBuf};

use crate::error::RenderError;

/// Joins `href` (a relative path taken from a recording file) to `dir`.
/// Absolute paths, `..` components, URLs and drive prefixes are refused.
pub(crate) fn safe_join(dir: &Path, href: &str, file: &str) -> Result<PathBuf, RenderError> {
    let refuse = || RenderError::UnsafePath { file: file.to_string(), href: href.to_string() };
    if href.is_empty() || href.contains("://") || href.contains('\\') || href.contains('\0') {
        return Err(refuse());
    }
    let rel = Path::new(href);
    let mut out = dir.to_path_buf();
    for c in rel.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return Err(refuse()),
        }
    }
    Ok(out)
}

/// The first of `names` (relative to `dir`) that exists as a file.
pub(crate) fn first_existing(dir: &Path, names: &[&str]) -> Option<(PathBuf, String)> {
    names.iter().map(|n| (dir.join(n), n.to_string())).find(|(p, _)| p.is_file())
}

/// An empty temporary file beside `output` (same folder, so the final rename is atomic),
/// removed when dropped unless [`finish`] renames it.
pub(crate) fn partial_beside(output: &Path) -> Result<tempfile::NamedTempFile, RenderError> {
    let parent = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = output.file_name().map_or_else(|| "render".into(), |n| n.to_string_lossy().into_owned());
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempfile_in(parent)
        .map_err(|e| RenderError::io(parent.display().to_string(), e))
}

/// Gives the complete file its final name.
pub(crate) fn finish(partial: tempfile::NamedTempFile, output: &Path) -> Result<(), RenderError> {
    partial.persist(output).map(drop).map_err(|e| RenderError::io(output.display().to_string(), e.error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_escapes() {
        let d = Path::new("/rec");
        assert!(safe_join(d, "presentation/a/slide-1.png", "f").is_ok());
        assert!(safe_join(d, "./presentation/x.png", "f").is_ok());
        for bad in ["../x.png", "presentation/../../x", "/etc/passwd", "http://h/x.png", "a\\..\\b", ""] {
            assert!(safe_join(d, bad, "f").is_err(), "{bad} accepted");
        }
    }
}
