//! What BBB's `video` format publishes beside its video (`/playback/video/<recordID>/`:
//! `video-0.m4v`, `captions.json` + `caption_<locale>.vtt`, `video.xml` = the public chat
//! in the presentation's popcorn format), kept with a copy of that video: every caption
//! locale muxed into it as a subtitle track with its language tag (streams copied, no
//! encoding), and the same sidecars as a rendered presentation (`NAME.<locale>.vtt`,
//! `NAME.chat.txt`, `NAME.chat.vtt`). The chat cannot be drawn into a finished video:
//! `ChatMode::Panel` keeps the sidecars only (said in `notes`).

use std::path::Path;

use crate::captions::Track;
use crate::error::RenderError;
use crate::{ffmpeg, paths, ChatMode, RenderOptions, RenderReport};

/// Fetches the captions and chat published in the `video` format's folder `base_url`
/// (`https://host/playback/video/<recordID>/`), then does [`keep_video_extras`].
pub fn keep_video_extras_url(
    base_url: &str,
    video: &Path,
    opts: &RenderOptions,
    ca_file: Option<&Path>,
) -> Result<RenderReport, RenderError> {
    crate::fetch::fetched_then(
        |dir| crate::fetch::fetch_video_extras(base_url, dir, ca_file),
        |dir| keep_video_extras(dir, video, opts),
    )
}

/// Muxes the caption tracks of the `video` format's folder `dir` into `video` (an MP4/M4V
/// as `mov_text`, a WebM as WebVTT; replaced atomically) and writes the caption and chat
/// sidecars beside it. A video that has subtitle tracks already is left as it is (a run
/// again after an interruption). Captions that cannot be muxed (another container, no
/// ffmpeg, a file ffmpeg refuses) are kept as sidecars and named in `not_drawn`.
pub fn keep_video_extras(dir: &Path, video: &Path, opts: &RenderOptions) -> Result<RenderReport, RenderError> {
    let mut report = RenderReport::default();
    let chat = crate::read_chat_file(dir, crate::chat::VIDEO_FILE, opts, &mut report);
    if opts.chat == ChatMode::Panel && !chat.is_empty() {
        report.notes.push("chat panel: the video format's video is kept as published; chat as sidecars".into());
    }
    let tracks = if opts.captions {
        let (tracks, skipped) = crate::captions::find(dir);
        report.not_drawn.extend(skipped);
        tracks
    } else {
        Vec::new()
    };
    let probe = if tracks.is_empty() && chat.is_empty() {
        None
    } else {
        match ffmpeg::check_tool("ffprobe", &opts.ffprobe)
            .and_then(|()| ffmpeg::probe(&opts.ffprobe, video, &video.display().to_string()))
        {
            Ok(p) => Some(p),
            Err(e) => {
                report.not_drawn.push(format!("caption tracks not muxed: {e}"));
                None
            }
        }
    };
    if let Some(p) = &probe {
        report.duration_s = p.duration.unwrap_or(0.0);
        if !tracks.is_empty() {
            match mux_captions(video, &tracks, p.subtitles, opts) {
                Ok(Some(note)) => report.notes.push(note),
                Ok(None) => report.caption_tracks = tracks.iter().map(|t| t.locale.clone()).collect(),
                Err(e) => report.not_drawn.push(format!("caption tracks not muxed: {e}")),
            }
        }
    }
    report.output_size = std::fs::metadata(video).map(|m| m.len()).unwrap_or(0);
    let duration = (report.duration_s * 1000.0).round() as crate::xml::Ms;
    // The sidecars of a rendered presentation; the video format publishes no shared notes.
    let opts = RenderOptions { notes: false, ..opts.clone() };
    crate::write_sidecars(dir, video, (&tracks, &chat), duration, &opts, &mut report)?;
    Ok(report)
}

/// Muxes `tracks` into `video` in place. `Ok(Some(why))` when it was not done and need
/// not be (the video has subtitle tracks already).
fn mux_captions(
    video: &Path,
    tracks: &[Track],
    subtitles: usize,
    opts: &RenderOptions,
) -> Result<Option<String>, RenderError> {
    if subtitles > 0 {
        return Ok(Some(format!("{}: has {subtitles} subtitle track(s) already; left as it is", video.display())));
    }
    let ext = video.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let (codec, format) = match ext.as_str() {
        "mp4" | "m4v" | "mov" => ("mov_text", "mp4"),
        "webm" => ("webvtt", "webm"),
        _ => return Err(RenderError::invalid(video.display().to_string(), format!("no subtitle tracks in .{ext}"))),
    };
    ffmpeg::check_tool("ffmpeg", &opts.ffmpeg)?;
    let partial = paths::partial_beside(video)?;
    let mut args = crate::compose::base_args();
    args.extend(["-i".into(), video.display().to_string()]);
    for t in tracks {
        args.extend(["-i".into(), t.path.display().to_string()]);
    }
    args.extend(["-map", "0:v?", "-map", "0:a?"].map(String::from));
    for (k, t) in tracks.iter().enumerate() {
        args.extend(["-map".into(), format!("{}:s:0", k + 1)]);
        args.extend([format!("-metadata:s:s:{k}"), format!("language={}", t.language)]);
        let title = if format == "mp4" { "handler_name" } else { "title" };
        args.extend([format!("-metadata:s:s:{k}"), format!("{title}={}", t.name)]);
    }
    args.extend(["-c", "copy", "-c:s", codec].map(String::from));
    if format == "mp4" {
        args.extend(["-movflags", "+faststart"].map(String::from));
    }
    args.extend(["-f".into(), format.into(), partial.path().display().to_string()]);
    let cwd = video.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let deadline = opts.timeout.map(|t| std::time::Instant::now() + t);
    ffmpeg::run(&opts.ffmpeg, &args, cwd, deadline)?;
    // The copy keeps the downloaded file's permissions (the temporary file is private).
    let mode = std::fs::metadata(video).map_err(|e| RenderError::io(video.display().to_string(), e))?.permissions();
    std::fs::set_permissions(partial.path(), mode).map_err(|e| RenderError::io(video.display().to_string(), e))?;
    paths::finish(partial, video)?;
    Ok(None)
}
