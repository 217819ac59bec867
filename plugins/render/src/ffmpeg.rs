//! Running Debian's `ffmpeg`/`ffprobe` as processes (argument lists, never a shell).

use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{one_line, RenderError};

/// What ffprobe says about a media file.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Probe {
    pub duration: Option<f64>,
    pub video: bool,
    pub audio: bool,
}

fn spawn_error(tool: &'static str, path: &Path, e: std::io::Error) -> RenderError {
    RenderError::Tool {
        tool,
        path: path.to_path_buf(),
        msg: one_line(&e.to_string()),
    }
}

/// Fails with a clear message when `ffmpeg`/`ffprobe` cannot be started.
pub(crate) fn check_tool(tool: &'static str, path: &Path) -> Result<(), RenderError> {
    let out = Command::new(path)
        .arg("-version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| spawn_error(tool, path, e))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(RenderError::Tool {
            tool,
            path: path.to_path_buf(),
            msg: format!("`-version` exited with {}", out.status),
        })
    }
}

/// Probes `path` (named `name` in errors). A file ffprobe cannot read is an error.
pub(crate) fn probe(ffprobe: &Path, path: &Path, name: &str) -> Result<Probe, RenderError> {
    let out = Command::new(ffprobe)
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration:stream=codec_type",
            "-of",
            "json",
        ])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| spawn_error("ffprobe", ffprobe, e))?;
    let unreadable = |msg: String| RenderError::Media {
        culprit: name.to_string(),
        msg: format!("unreadable media: {msg}"),
    };
    if !out.status.success() {
        return Err(unreadable(last_lines(&out.stderr, 2)));
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| unreadable(format!("ffprobe output: {e}")))?;
    let streams = json["streams"].as_array().cloned().unwrap_or_default();
    let has = |kind: &str| streams.iter().any(|s| s["codec_type"] == kind);
    let p = Probe {
        duration: json["format"]["duration"]
            .as_str()
            .and_then(|d| d.parse().ok()),
        video: has("video"),
        audio: has("audio"),
    };
    if !p.video && !p.audio {
        return Err(unreadable("no audio or video stream".into()));
    }
    Ok(p)
}

fn last_lines(stderr: &[u8], n: usize) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let text = lines[lines.len().saturating_sub(n)..].join("; ");
    if text.is_empty() {
        "no message".into()
    } else {
        one_line(&text)
    }
}

/// Runs ffmpeg with `args` in `cwd`; on failure the error quotes ffmpeg's last words.
pub(crate) fn run(ffmpeg: &Path, args: &[String], cwd: &Path) -> Result<(), RenderError> {
    let out = Command::new(ffmpeg)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| spawn_error("ffmpeg", ffmpeg, e))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(RenderError::Media {
            culprit: "ffmpeg".into(),
            msg: format!(
                "encoding failed ({}): {}",
                out.status,
                last_lines(&out.stderr, 3)
            ),
        })
    }
}
