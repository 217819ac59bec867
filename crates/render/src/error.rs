//! The one error type of the renderer. Every message is one line that starts with the
//! culprit (a file of the recording, a tool, or a URL).

use std::path::PathBuf;

/// Why a recording could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A required file of the recording is absent.
    #[error("{file}: required file missing")]
    Missing { file: String },
    /// An XML/JSON file could not be parsed.
    #[error("{file}: malformed {format} at line {line}: {msg}")]
    Malformed { file: String, format: &'static str, line: u32, msg: String },
    /// A file parsed but holds a value the renderer cannot use.
    #[error("{file}: {msg}")]
    Invalid { file: String, msg: String },
    /// A path named inside the recording points outside the recording folder.
    #[error("{file}: refused path {href:?}: it leaves the recording folder")]
    UnsafePath { file: String, href: String },
    /// Reading or writing a file failed.
    #[error("{file}: {msg}")]
    Io { file: String, msg: String },
    /// ffmpeg or ffprobe is absent or could not be started.
    #[error("{tool}: cannot run {path:?}: {msg} (install Debian's ffmpeg package)")]
    Tool { tool: &'static str, path: PathBuf, msg: String },
    /// ffmpeg or ffprobe ran and failed.
    #[error("{culprit}: {msg}")]
    Media { culprit: String, msg: String },
    /// Fetching a file of a remote recording failed.
    #[error("{url}: {msg}")]
    Fetch { url: String, msg: String },
}

/// Squeezes any multi-line text (tool stderr, parser messages) into one line.
pub(crate) fn one_line(text: &str) -> String {
    text.split(['\n', '\r']).map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

impl RenderError {
    pub(crate) fn io(file: impl Into<String>, err: impl std::fmt::Display) -> Self {
        RenderError::Io { file: file.into(), msg: one_line(&err.to_string()) }
    }

    pub(crate) fn invalid(file: impl Into<String>, msg: impl std::fmt::Display) -> Self {
        RenderError::Invalid { file: file.into(), msg: one_line(&msg.to_string()) }
    }
}
