//! Running Debian's `ffmpeg`/`ffprobe` as processes (argument lists, never a shell).

use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{one_line, RenderError};

/// What ffprobe says about a media file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Probe {
    pub duration: Option<f64>,
    pub video: bool,
    pub audio: bool,
    /// Codec of the first audio stream (`opus`, `aac`, `vorbis`…).
    pub audio_codec: Option<String>,
    /// Subtitle streams.
    pub subtitles: usize,
}

fn spawn_error(tool: &'static str, path: &Path, e: std::io::Error) -> RenderError {
    RenderError::Tool { tool, path: path.to_path_buf(), msg: one_line(&e.to_string()) }
}

/// Fails with a clear message when `ffmpeg`/`ffprobe` is not an executable file (a bare
/// name is looked up in `PATH`, as `Command` does). No process is started: each start of
/// Debian's ffmpeg costs ~0.1 s of loading its libraries, and a tool that is there but
/// broken fails its first real run with its own message.
pub(crate) fn check_tool(tool: &'static str, path: &Path) -> Result<(), RenderError> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    let found = if path.components().count() > 1 || path.is_absolute() {
        executable(path)
    } else {
        std::env::var_os("PATH").is_some_and(|dirs| std::env::split_paths(&dirs).any(|d| executable(&d.join(path))))
    };
    if found {
        Ok(())
    } else {
        // ENOENT: the message a failed spawn gives ("No such file or directory").
        Err(spawn_error(tool, path, std::io::Error::from_raw_os_error(2)))
    }
}

/// Probes `path` (named `name` in errors). A file ffprobe cannot read is an error.
pub(crate) fn probe(ffprobe: &Path, path: &Path, name: &str) -> Result<Probe, RenderError> {
    let out = Command::new(ffprobe)
        .args(["-v", "error", "-show_entries", "format=duration:stream=codec_type,codec_name", "-of", "json"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| spawn_error("ffprobe", ffprobe, e))?;
    let unreadable =
        |msg: String| RenderError::Media { culprit: name.to_string(), msg: format!("unreadable media: {msg}") };
    if !out.status.success() {
        return Err(unreadable(last_lines(&out.stderr, 2)));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| unreadable(format!("ffprobe output: {e}")))?;
    let streams = json["streams"].as_array().cloned().unwrap_or_default();
    let has = |kind: &str| streams.iter().any(|s| s["codec_type"] == kind);
    let p = Probe {
        duration: json["format"]["duration"].as_str().and_then(|d| d.parse().ok()),
        video: has("video"),
        audio: has("audio"),
        audio_codec: streams
            .iter()
            .find(|s| s["codec_type"] == "audio")
            .and_then(|s| s["codec_name"].as_str())
            .map(str::to_string),
        subtitles: streams.iter().filter(|s| s["codec_type"] == "subtitle").count(),
    };
    if !p.video && !p.audio {
        return Err(unreadable("no audio or video stream".into()));
    }
    Ok(p)
}

fn last_lines(stderr: &[u8], n: usize) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let text = lines[lines.len().saturating_sub(n)..].join("; ");
    if text.is_empty() {
        "no message".into()
    } else {
        one_line(&text)
    }
}

/// Whether the video of `path` is blank (one flat colour) at a few sample times: BBB
/// writes a blank webcams video when nobody shared a camera. One ffmpeg run with one
/// seeking input per sample decodes only a frame each.
pub(crate) fn is_blank_video(ffmpeg: &Path, path: &Path, duration_s: f64) -> Result<bool, RenderError> {
    const SAMPLES: usize = 5;
    const SIDE: (usize, usize) = (32, 24);
    let mut cmd = Command::new(ffmpeg);
    cmd.args(["-hide_banner", "-nostdin", "-loglevel", "error"]);
    let mut graph = String::new();
    for k in 0..SAMPLES {
        let t = duration_s * (k as f64 + 0.5) / SAMPLES as f64;
        cmd.args(["-ss", &format!("{t:.3}"), "-i"]).arg(path);
        graph.push_str(&format!("[{k}:v]trim=end_frame=1,scale={}:{},format=gray,setsar=1[s{k}];", SIDE.0, SIDE.1));
    }
    let inputs: String = (0..SAMPLES).map(|k| format!("[s{k}]")).collect();
    graph.push_str(&format!("{inputs}concat=n={SAMPLES}:v=1:a=0[out]"));
    cmd.args(["-filter_complex", &graph, "-map", "[out]", "-f", "rawvideo", "-"]);
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| spawn_error("ffmpeg", ffmpeg, e))?;
    if !out.status.success() || out.stdout.is_empty() {
        // Could not sample (e.g. a very short file): treat as real video.
        return Ok(false);
    }
    let frame = SIDE.0 * SIDE.1;
    Ok(out.stdout.chunks(frame).all(|f| {
        let (min, max) = f.iter().fold((255u8, 0u8), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        max - min <= 8
    }))
}

/// Runs ffmpeg with `args` in `cwd`; on failure the error quotes ffmpeg's last words.
/// Past `deadline` ffmpeg is killed and the render fails.
pub(crate) fn run(
    ffmpeg: &Path,
    args: &[String],
    cwd: &Path,
    deadline: Option<std::time::Instant>,
) -> Result<(), RenderError> {
    start(ffmpeg, args, cwd, false)?.finish(None, deadline)
}

/// An ffmpeg process started ahead of its input: it loads its libraries (~0.1 s for
/// Debian's build) while the frames are still being rasterised. Dropped unfinished, it
/// is killed.
pub(crate) struct Running {
    child: std::process::Child,
    stderr: Option<std::thread::JoinHandle<Vec<u8>>>,
    ffmpeg: std::path::PathBuf,
    done: bool,
}

/// Starts ffmpeg with `args` in `cwd`, its standard input a pipe when `stdin` (for an
/// input `pipe:0`), else empty.
pub(crate) fn start(ffmpeg: &Path, args: &[String], cwd: &Path, stdin: bool) -> Result<Running, RenderError> {
    let mut child = Command::new(ffmpeg)
        .args(args)
        .current_dir(cwd)
        .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error("ffmpeg", ffmpeg, e))?;
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut buf);
        buf
    });
    Ok(Running { child, stderr: Some(reader), ffmpeg: ffmpeg.to_path_buf(), done: false })
}

impl Running {
    /// Writes `input` to ffmpeg's standard input (then closes it) and waits for ffmpeg
    /// to end; past `deadline` it is killed and the render fails.
    pub(crate) fn finish(
        mut self,
        input: Option<String>,
        deadline: Option<std::time::Instant>,
    ) -> Result<(), RenderError> {
        // Written from a thread, so a hanging ffmpeg that reads nothing is still killed at
        // the deadline (the write then fails on the closed pipe).
        let writer = match (input, self.child.stdin.take()) {
            (Some(text), Some(mut stdin)) => Some(std::thread::spawn(move || {
                let _ = std::io::Write::write_all(&mut stdin, text.as_bytes());
            })),
            _ => None,
        };
        let ffmpeg = self.ffmpeg.clone();
        let status = loop {
            match self.child.try_wait().map_err(|e| spawn_error("ffmpeg", &ffmpeg, e))? {
                Some(status) => break status,
                None if deadline.is_some_and(|d| std::time::Instant::now() >= d) => {
                    self.kill();
                    if let Some(w) = writer {
                        let _ = w.join();
                    }
                    return Err(RenderError::Media {
                        culprit: "ffmpeg".into(),
                        msg: "stopped: the render took longer than its time limit (render_timeout_s)".into(),
                    });
                }
                // Short: every render waits for two or three ffmpeg runs in a row.
                None => std::thread::sleep(std::time::Duration::from_millis(5)),
            }
        };
        self.done = true;
        if let Some(w) = writer {
            let _ = w.join();
        }
        let stderr = self.stderr.take().and_then(|r| r.join().ok()).unwrap_or_default();
        if status.success() {
            Ok(())
        } else {
            Err(RenderError::Media {
                culprit: "ffmpeg".into(),
                msg: format!("encoding failed ({status}): {}", last_lines(&stderr, 3)),
            })
        }
    }

    fn kill(&mut self) {
        if !self.done {
            let _ = self.child.kill();
            let _ = self.child.wait();
            self.done = true;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}
