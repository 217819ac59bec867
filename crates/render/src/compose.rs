//! The single ffmpeg pass: inputs, filter graph and encoder settings.
//!
//! Slide frames come through the concat demuxer with per-frame durations computed from
//! absolute ms boundaries (so rounding never accumulates). Over them, in order: the cursor
//! sprite moved by `sendcmd`, the screen share during its intervals, and the webcam
//! picture-in-picture. Without any moving layer the slides are encoded VFR (one frame per
//! state), which is about ten times cheaper.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::RenderError;
use crate::layout;
use crate::xml::Ms;

/// Pictures shown over `[start, end)` ms, in order.
pub(crate) type Pictures = Vec<(PathBuf, Ms, Ms)>;

/// Cursor position in output pixels from a time on; `None` = hidden.
pub(crate) type CursorMoves = Vec<(Ms, Option<(i64, i64)>)>;

/// The pointer layer: a sprite moved by `sendcmd`.
#[derive(Debug)]
pub(crate) struct CursorLayer {
    pub sprite: PathBuf,
    /// Sprite width and height in pixels.
    pub size: u32,
    pub moves: CursorMoves,
}

/// Everything the ffmpeg run needs; file names are relative to the work dir or absolute.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub duration: Ms,
    /// Webcam video shown picture-in-picture.
    pub webcam: Option<PathBuf>,
    /// Input whose first audio stream is the recording's sound.
    pub audio: Option<PathBuf>,
    /// Copy `audio` instead of encoding it in the video pass: it was encoded to AAC
    /// beforehand (in parallel with the rasterising), or the source is in a codec the
    /// MP4 holds as it is.
    pub audio_copy: bool,
    /// Screen-share video and the intervals where it is shown.
    pub deskshare: Option<(PathBuf, Vec<(Ms, Ms)>)>,
    pub cursor: Option<CursorLayer>,
    /// WebVTT caption files muxed as `mov_text` subtitle tracks: (file, ISO 639-2
    /// language, track name).
    pub subtitles: Vec<(PathBuf, &'static str, String)>,
    /// The chat column at the left (pictures covering `[0, duration)`) and its width; the
    /// slide frames, screen share and cursor are then in the area right of it.
    pub panel: Option<(Pictures, u32)>,
    pub threads: Option<u32>,
}

/// What every ffmpeg run of a render starts with: quiet, no stdin, overwrite.
pub(crate) fn base_args() -> Vec<String> {
    ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"].map(String::from).to_vec()
}

/// The audio encoder settings (AAC, 96 kb/s). ffmpeg's `fast` coder is not faster on
/// decoded Opus (6.8 CPU-s against 4.0 for 253 s of the test sound), so the default stays.
pub(crate) fn aac_args() -> Vec<String> {
    ["-c:a", "aac", "-b:a", "96k"].map(String::from).to_vec()
}

/// Arguments of the audio-only pass: the first audio stream of `input`, cut at
/// `duration` when it is known (the video pass cuts the copy anyway), to AAC in
/// `output` (an `.m4a`).
pub(crate) fn audio_args(input: &Path, duration: Option<Ms>, output: &Path) -> Vec<String> {
    let mut args = base_args();
    args.extend(["-i".into(), input.display().to_string()]);
    args.extend(["-map", "0:a:0", "-vn"].map(String::from));
    args.extend(aac_args());
    if let Some(d) = duration {
        args.extend(["-t".into(), secs(d)]);
    }
    args.push(output.display().to_string());
    args
}

fn secs(ms: Ms) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// The concat demuxer list; the last file is repeated so its duration is honoured.
/// `framerate 1000` gives each image a 1 ms time base (the default 1/25 s would round
/// every state change to 40 ms); raw `.yuv` frames also need their size and format.
/// `prefix` goes before each path (`file:` for a list read from a pipe, whose relative
/// names would otherwise resolve to `pipe:…`).
fn concat_list(frames: &[(PathBuf, Ms, Ms)], (width, height): (u32, u32), prefix: &str) -> String {
    let mut s = String::from("ffconcat version 1.0\n");
    let quote = |p: &Path| p.display().to_string().replace('\'', r"'\''");
    let entry = |s: &mut String, path: &Path| {
        let _ = writeln!(s, "file '{prefix}{}'\noption framerate 1000", quote(path));
        if path.extension().is_some_and(|e| e == "yuv") {
            let _ = writeln!(s, "option video_size {width}x{height}\noption pixel_format yuv420p");
        }
    };
    for (path, start, end) in frames {
        entry(&mut s, path);
        let _ = writeln!(s, "duration {}", secs(end - start));
    }
    if let Some((path, _, _)) = frames.last() {
        entry(&mut s, path);
    }
    s
}

fn cursor_commands(size: u32, moves: &CursorMoves) -> String {
    let half = size as i64 / 2;
    let mut s = String::new();
    for (t, pos) in moves {
        let (x, y) = pos.map_or((-10_000, -10_000), |(x, y)| (x - half, y - half));
        let _ = writeln!(s, "{} overlay@cursor x {x}, overlay@cursor y {y};", secs(*t));
    }
    s
}

/// The list of the slide-area frames that ffmpeg reads on its standard input (absolute
/// paths: `frames` are in the work folder).
pub(crate) fn frames_list(frames: &[(PathBuf, Ms, Ms)], size: (u32, u32)) -> String {
    let absolute: Pictures =
        frames.iter().map(|(p, a, b)| (std::path::absolute(p).unwrap_or_else(|_| p.clone()), *a, *b)).collect();
    concat_list(&absolute, size, "file:")
}

impl Plan {
    /// Whether any layer changes between slide states (forcing constant frame rate).
    pub(crate) fn is_animated(&self) -> bool {
        self.webcam.is_some() || self.deskshare.is_some() || self.cursor.is_some() || self.panel.is_some()
    }

    /// Left edge and width of the slide area.
    pub(crate) fn slide_area(&self) -> (u32, u32) {
        let x = self.panel.as_ref().map_or(0, |p| p.1);
        (x, self.width - x)
    }

    /// Writes the side files into `work` and returns ffmpeg's arguments (run in `work`).
    /// The slide-area frames are read from standard input ([`frames_list`]), so ffmpeg
    /// can be started before they are all rasterised.
    pub(crate) fn write(&self, work: &Path, output: &Path) -> Result<Vec<String>, RenderError> {
        let write = |name: &str, text: String| {
            std::fs::write(work.join(name), text).map_err(|e| RenderError::io(work.join(name).display().to_string(), e))
        };
        let (area_x, area_w) = self.slide_area();
        let (w, h, fps) = (self.width, self.height, self.fps);
        let mut args = base_args();
        let input = |args: &mut Vec<String>, pre: &[&str], path: &Path| -> usize {
            args.extend(pre.iter().map(|s| s.to_string()));
            args.extend(["-i".to_string(), path.display().to_string()]);
            args.iter().filter(|a| *a == "-i").count() - 1
        };
        input(&mut args, &["-protocol_whitelist", "file,pipe", "-f", "concat", "-safe", "0"], Path::new("pipe:0"));

        let mut graph = String::new();
        let mut last = "0:v".to_string();
        let chain = |graph: &mut String, last: &mut String, filter: String, label: &str| {
            let _ = write!(graph, "[{last}]{filter}[{label}];");
            *last = label.to_string();
        };
        // Convert each state to yuv420p once, before the frame-rate filter duplicates it.
        let base = if self.is_animated() { format!("format=yuv420p,fps={fps}") } else { "format=yuv420p".into() };
        chain(&mut graph, &mut last, base, "base");
        if let Some((pictures, pw)) = &self.panel {
            write("panel.ffconcat", concat_list(pictures, (*pw, h), ""))?;
            let i = input(&mut args, &["-f", "concat", "-safe", "0"], Path::new("panel.ffconcat"));
            let _ = write!(
                graph,
                "[{i}:v]format=yuv420p,fps={fps}[chat];[{last}]pad={w}:{h}:{area_x}:0[wide];[wide][chat]overlay=x=0:y=0:eof_action=repeat[panel];"
            );
            last = "panel".into();
        }
        if let Some(cursor) = &self.cursor {
            write("cursor.cmd", cursor_commands(cursor.size, &cursor.moves))?;
            // One still frame: the overlay repeats it (eof_action=repeat), so the sprite is
            // decoded once instead of once per output frame.
            let i = input(&mut args, &[], &cursor.sprite);
            chain(&mut graph, &mut last, "sendcmd=f=cursor.cmd".into(), "cmd");
            let _ = write!(graph, "[{last}][{i}:v]overlay@cursor=x=-10000:y=-10000:eof_action=repeat:shortest=0[cur];");
            last = "cur".into();
        }
        if let Some((video, intervals)) = &self.deskshare {
            // One seeking input per interval: only the shown parts are decoded.
            for (n, (a, b)) in intervals.iter().enumerate() {
                let i = input(&mut args, &["-ss", &secs(*a), "-t", &secs(b - a)], video);
                let _ = write!(
                    graph,
                    "[{i}:v]setpts=PTS-STARTPTS+{}/TB,scale={area_w}:{h}:force_original_aspect_ratio=decrease,\
                     pad={area_w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black,format=yuv420p[ds{n}];\
                     [{last}][ds{n}]overlay=x={area_x}:y=0:eof_action=pass:enable='between(t,{},{})'[desk{n}];",
                    secs(*a),
                    secs(*a),
                    secs(*b)
                );
                last = format!("desk{n}");
            }
        }
        let mut audio_input = None;
        if let Some(cam) = &self.webcam {
            let i = input(&mut args, &[], cam);
            if self.audio.as_deref() == Some(cam.as_path()) {
                audio_input = Some(i);
            }
            let (cw, ch) = layout::webcam_size(w, h);
            let _ = write!(
                graph,
                "[{i}:v]scale={cw}:{ch}:force_original_aspect_ratio=decrease:flags=bilinear[cam];\
                 [{last}][cam]overlay=x=main_w-overlay_w:y=main_h-overlay_h:eof_action=pass[pip];"
            );
            last = "pip".into();
        }
        if let (Some(audio), None) = (&self.audio, audio_input) {
            audio_input = Some(input(&mut args, &[], audio));
        }
        let subtitle_inputs: Vec<usize> =
            self.subtitles.iter().map(|(path, _, _)| input(&mut args, &[], path)).collect();
        let _ = write!(graph, "[{last}]null[vout]");
        write("graph.txt", graph)?;

        args.extend(["-filter_complex_script", "graph.txt", "-map", "[vout]"].map(String::from));
        if let Some(i) = audio_input {
            args.extend(["-map".into(), format!("{i}:a:0")]);
            if self.audio_copy {
                args.extend(["-c:a", "copy"].map(String::from));
            } else {
                args.extend(aac_args());
            }
        }
        for (k, (i, (_, language, name))) in subtitle_inputs.iter().zip(&self.subtitles).enumerate() {
            args.extend(["-map".into(), format!("{i}:s:0")]);
            args.extend([format!("-metadata:s:s:{k}"), format!("language={language}")]);
            args.extend([format!("-metadata:s:s:{k}"), format!("handler_name={name}")]);
        }
        if !self.subtitles.is_empty() {
            args.extend(["-c:s", "mov_text"].map(String::from));
        }
        if !self.is_animated() {
            args.extend(["-fps_mode", "vfr"].map(String::from));
        }
        // Composited video is encoded at a constant rate, so the preset decides the speed:
        // ultrafast uses ~25% less CPU than superfast for files ~1.7× larger (same CRF).
        // One frame per state (VFR): ultrafast too, ~0.09 CPU-s less than veryfast for the
        // 24 states of the BBB 3.0 fixture, which are the last step of a render; the
        // stills take ~170 kB instead of ~60 kB.
        args.extend(["-c:v", "libx264", "-preset", "ultrafast"].map(String::from));
        // Constant frame rate: a constant quantiser. With `-crf`, x264 measures every frame
        // on a quarter-size copy to pick its quantiser, ~20% of its CPU on these mostly
        // still pictures; QP 23 keeps the picture as close (PSNR ≥ 50 dB on the test
        // composite) in about half the bytes. One frame per state: CRF, which gives
        // still pictures a lower quantiser, for a few frames only.
        let rate = if self.is_animated() { ["-qp", "23"] } else { ["-crf", "23"] };
        args.extend(rate.map(String::from));
        if !self.is_animated() {
            // One frame per state: exact ms timestamps, still-image tuning.
            args.extend(["-tune", "stillimage", "-video_track_timescale", "1000"].map(String::from));
        }
        if let Some(t) = self.threads {
            args.extend(["-threads".into(), t.to_string(), "-filter_complex_threads".into(), t.to_string()]);
        }
        args.extend(["-t".into(), secs(self.duration), "-movflags".into(), "+faststart".into()]);
        args.extend(["-f".into(), "mp4".into()]);
        args.push(output.display().to_string());
        Ok(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_durations_are_exact_and_last_file_repeated() {
        let f = |n: &str| PathBuf::from(n);
        let list = concat_list(
            &[(f("a.png"), 0, 6200), (f("b.yuv"), 6200, 10_801), (f("c.png"), 10_801, 253_200)],
            (1280, 720),
            "",
        );
        assert!(list.contains(
            "file 'b.yuv'\noption framerate 1000\noption video_size 1280x720\noption pixel_format yuv420p\n"
        ));
        assert!(list.contains("duration 6.200\n"));
        assert!(list.contains("duration 4.601\n"));
        assert!(list.contains("duration 242.399\n"));
        assert!(list.trim_end().ends_with("file 'c.png'\noption framerate 1000"));
    }

    #[test]
    fn frames_list_names_absolute_files() {
        let list = frames_list(&[(PathBuf::from("/w/it's.yuv"), 0, 10), (PathBuf::from("b.png"), 10, 20)], (16, 16));
        assert!(list.contains("file 'file:/w/it'\\''s.yuv'\n"), "{list}");
        let cwd = std::env::current_dir().unwrap();
        assert!(list.contains(&format!("file 'file:{}'\n", cwd.join("b.png").display())), "{list}");
    }

    #[test]
    fn cursor_hidden_is_off_screen() {
        let cmds = cursor_commands(10, &vec![(0, None), (1000, Some((100, 50)))]);
        assert!(cmds.contains("0.000 overlay@cursor x -10000, overlay@cursor y -10000;"));
        assert!(cmds.contains("1.000 overlay@cursor x 95, overlay@cursor y 45;"));
    }
}
