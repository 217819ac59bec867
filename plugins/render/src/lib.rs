//! Renders a published BigBlueButton "presentation" recording to one H.264/AAC MP4,
//! from the published files alone: no browser, no real-time screen capture.
//!
//! Pipeline (see `docs/render.md` §3.2):
//! 1. parse `shapes.svg` (`shapes.rs`), `panzooms.xml`, `cursor.xml`, `deskshare.xml`,
//!    `metadata.xml` and, for BBB ≥ 2.6, `tldraw.json`;
//! 2. build the list of distinct visual states of the slide area and the exact ms
//!    intervals they are shown (`timeline.rs`);
//! 3. rasterise each distinct state once with resvg (`rasterise.rs`); text annotations,
//!    which BBB writes as XHTML in `foreignObject`, are converted to SVG text (`text.rs`);
//! 4. run ffmpeg once (`compose.rs`): concat demuxer with exact durations, cursor,
//!    screen share and webcam overlays, audio, libx264 + AAC, `+faststart`.
//!
//! The output is written under a temporary name beside the final file and renamed only
//! when ffmpeg succeeded; all intermediate files live in a temporary folder that is
//! removed whatever happens.

mod compose;
mod cursor;
mod deskshare;
mod error;
mod fetch;
mod ffmpeg;
mod layout;
mod media;
mod metadata;
mod panzoom;
mod paths;
mod rasterise;
mod recording;
mod shapes;
mod text;
mod timeline;
mod tldraw;
mod xml;

use std::path::{Path, PathBuf};

pub use error::RenderError;

use media::Media;
use recording::Recording;
use xml::Ms;

/// What to render and with which tools.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Output frame size in pixels (even numbers).
    pub width: u32,
    pub height: u32,
    /// Frame rate used when something moves (webcam, screen share, cursor); a
    /// slides-and-audio render is variable frame rate (one frame per state).
    pub fps: u32,
    /// Webcam picture-in-picture (when `video/webcams.*` has a video stream).
    pub webcams: bool,
    /// Screen share over its `deskshare.xml` intervals.
    pub deskshare: bool,
    /// Presenter's pointer.
    pub cursor: bool,
    /// Whiteboard annotations.
    pub annotations: bool,
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    /// Threads for rasterising and encoding; `None` = all cores.
    pub threads: Option<u32>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            width: 1280,
            height: 720,
            fps: 15,
            webcams: true,
            deskshare: true,
            cursor: true,
            annotations: true,
            ffmpeg: PathBuf::from("ffmpeg"),
            ffprobe: PathBuf::from("ffprobe"),
            threads: None,
        }
    }
}

impl RenderOptions {
    fn check(&self) -> Result<(), RenderError> {
        let even = |v: u32| v >= 16 && v & 1 == 0;
        if even(self.width) && even(self.height) && self.fps > 0 {
            Ok(())
        } else {
            Err(RenderError::invalid("options", "width and height must be even and ≥ 16, fps ≥ 1"))
        }
    }
}

/// What was rendered, and what could not be.
#[derive(Debug, Clone, Default)]
pub struct RenderReport {
    /// Length of the output (the recording's length), seconds.
    pub duration_s: f64,
    /// Slide images (`<image class="slide">`) in the timeline.
    pub slides: usize,
    /// Distinct slide-area states rasterised.
    pub states: usize,
    /// Things present in the recording but absent from the video, e.g. tldraw annotation
    /// types or missing files.
    pub not_drawn: Vec<String>,
    /// Other facts worth knowing (duration source, missing optional files…).
    pub notes: Vec<String>,
    /// Size of the output file in bytes.
    pub output_size: u64,
}

fn absolute(path: &Path) -> Result<PathBuf, RenderError> {
    std::path::absolute(path).map_err(|e| RenderError::io(path.display().to_string(), e))
}

/// Renders the published presentation in folder `input` to the MP4 file `output`.
pub fn render_dir(input: &Path, output: &Path, opts: &RenderOptions) -> Result<RenderReport, RenderError> {
    ffmpeg::check_tool("ffmpeg", &opts.ffmpeg)?;
    opts.check()?;
    let rec = Recording::load(input)?;
    let output = absolute(output)?;
    let media = Media::find(&rec.dir, &opts.ffprobe, opts.deskshare && !rec.deskshare.is_empty())?;
    let (duration, source) = media.length(&rec)?;
    let mut report = RenderReport { duration_s: duration as f64 / 1000.0, ..Default::default() };
    report.notes.push(format!("length {} s from {source}", report.duration_s));
    describe_inputs(&rec, &media, opts, duration, &mut report)?;

    let timeline = timeline::Timeline::build(&rec.whiteboard, &rec.panzooms, duration, opts.annotations);
    report.slides = rec.whiteboard.slides.len();
    report.states = timeline.states.len();

    let work =
        tempfile::Builder::new().prefix("bbb-render-").tempdir().map_err(|e| RenderError::io("temporary folder", e))?;
    let threads = opts
        .threads
        .map(|t| t.max(1) as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let rasteriser = rasterise::Rasteriser::new(&rec.dir, opts.width, opts.height);
    let has_text = rec.whiteboard.shapes.iter().any(|s| s.kind == "text" && !s.svg.is_empty());
    if opts.annotations && has_text && !rasteriser.has_fonts() {
        let what = "text annotations (no font installed: install fonts-liberation2 or fonts-dejavu-core)";
        report.not_drawn.push(what.into());
    }
    let started = std::time::Instant::now();
    let format = rasterise::FrameFormat::choose(timeline.states.len(), opts.width, opts.height);
    // The webcam blank check and the audio encoding (ffmpeg processes) run while the
    // states are rasterised: the video pass then only copies the sound.
    let webcam = media.webcam_video().filter(|_| opts.webcams);
    let sound = media.sound().map(|m| m.path.clone());
    let encoded_audio = work.path().join("audio.m4a");
    let (frames, webcam_blank, audio) = std::thread::scope(|scope| {
        let blank = scope.spawn(|| {
            webcam.map(|cam| {
                let length_s = cam.probe.duration.unwrap_or(duration as f64 / 1000.0);
                ffmpeg::is_blank_video(&opts.ffmpeg, &cam.path, length_s)
            })
        });
        let audio = scope.spawn(|| {
            sound.as_ref().map(|input| {
                let args = compose::audio_args(input, duration, &encoded_audio);
                ffmpeg::run(&opts.ffmpeg, &args, work.path())
            })
        });
        let frames =
            rasterise::rasterise_states(&rasteriser, &rec.whiteboard, &timeline, work.path(), (threads, format));
        (frames, blank.join().expect("webcam check thread panicked"), audio.join().expect("audio thread panicked"))
    });
    let frames = frames?;
    audio.transpose()?;
    let webcam_blank = webcam_blank.transpose()?.unwrap_or(false);
    let rasterised = started.elapsed().as_secs_f64();

    let mut plan = compose::Plan {
        width: opts.width,
        height: opts.height,
        fps: opts.fps,
        duration,
        frames: timeline.segments.iter().map(|s| (frames[s.state].clone(), s.start, s.end)).collect(),
        audio: sound.as_ref().map(|_| encoded_audio.clone()),
        audio_is_aac: true,
        threads: opts.threads,
        ..Default::default()
    };
    if let Some(cam) = webcam {
        if webcam_blank {
            report.notes.push(format!("{}: webcam video is blank, no picture-in-picture", cam.name));
        } else {
            plan.webcam = Some(cam.path.clone());
        }
    }
    add_layers(&mut plan, &rec, &media, &timeline, opts, work.path(), &mut report)?;

    let partial = paths::partial_beside(&output)?;
    let args = plan.write(work.path(), partial.path())?;
    let started = std::time::Instant::now();
    ffmpeg::run(&opts.ffmpeg, &args, work.path())?;
    let rate = if plan.is_animated() { "constant frame rate" } else { "variable frame rate" };
    report.notes.push(format!(
        "rasterised {} states ({} frames) in {rasterised:.2} s; ffmpeg pass ({rate}) took {:.2} s",
        timeline.states.len(),
        format.name(),
        started.elapsed().as_secs_f64()
    ));
    paths::finish(partial, &output)?;
    report.output_size = std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0);
    if std::env::var_os("BBB_RENDER_KEEP_WORK").is_some() {
        report.notes.push(format!("work folder kept: {}", work.keep().display()));
    }
    Ok(report)
}

/// Notes on the inputs: sound source, length mismatch, missing slide images, annotation
/// types drawn, and what tldraw recordings lack.
fn describe_inputs(
    rec: &Recording,
    media: &Media,
    opts: &RenderOptions,
    duration: Ms,
    report: &mut RenderReport,
) -> Result<(), RenderError> {
    report.notes.push(match media.sound() {
        Some(m) => format!("audio from {}", m.name),
        None => "no audio found (video/webcams.*, audio/audio.*): the video is silent".into(),
    });
    if let Some(m) = rec.metadata_duration.filter(|m| (m - duration).abs() > 1000) {
        let (m, d) = (m as f64 / 1000.0, duration as f64 / 1000.0);
        report.notes.push(format!("metadata.xml says {m} s; using {d} s"));
    }
    for slide in &rec.whiteboard.slides {
        // The screen-share placeholder does not matter when the share video covers it.
        let covered = slide.href.ends_with("deskshare.png") && media.deskshare.is_some();
        let missing = !covered && !paths::safe_join(&rec.dir, &slide.href, shapes::FILE)?.is_file();
        let entry = format!("{} (missing slide image, shown blank)", slide.href);
        if missing && !report.not_drawn.contains(&entry) {
            report.not_drawn.push(entry);
        }
    }
    if let Some(name) = Media::unused_deskshare(&rec.dir, rec) {
        report.not_drawn.push(format!("{name} (deskshare.xml has no intervals: screen share not shown)"));
    }
    let mut kinds: Vec<&str> =
        rec.whiteboard.shapes.iter().filter(|s| !s.svg.is_empty()).map(|s| s.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    if opts.annotations && !kinds.is_empty() {
        report.notes.push(format!("shapes.svg annotation types drawn: {}", kinds.join(", ")));
    }
    if let Some(types) = rec.tldraw.as_ref().map(|t| &t.types) {
        report.notes.push("tldraw.json (BBB ≥ 2.6): slides, zoom, cursor, screen share, webcams and audio rendered; its annotations are not".into());
        report.not_drawn.extend(types.iter().map(|(t, n)| format!("tldraw annotation type {t:?} ({n} shapes)")));
    }
    if rec.panzooms.tldraw || rec.cursor.tldraw {
        report.notes.push("panzooms.xml/cursor.xml use tldraw camera coordinates: converted as bbb-playback does (not yet checked against a real BBB ≥ 2.6 recording)".into());
    }
    Ok(())
}

/// The screen share and cursor layers.
fn add_layers(
    plan: &mut compose::Plan,
    rec: &Recording,
    media: &Media,
    timeline: &timeline::Timeline,
    opts: &RenderOptions,
    work: &Path,
    report: &mut RenderReport,
) -> Result<(), RenderError> {
    let duration = plan.duration;
    if opts.deskshare && !rec.deskshare.is_empty() {
        let clipped: Vec<(Ms, Ms)> =
            rec.deskshare.iter().filter(|(a, _)| *a < duration).map(|&(a, b)| (a, b.min(duration))).collect();
        match &media.deskshare {
            Some(m) => plan.deskshare = Some((m.path.clone(), clipped)),
            None => report.not_drawn.push(format!(
                "screen share ({} intervals in deskshare.xml, no deskshare/deskshare.webm|mp4 video)",
                clipped.len()
            )),
        }
    }
    if opts.cursor {
        let moves = rec.cursor.moves(timeline, &rec.whiteboard, (opts.width, opts.height), duration);
        if moves.iter().any(|m| m.1.is_some()) {
            let sprite = work.join("cursor.png");
            let size = rasterise::cursor_sprite(opts.height, &sprite)?;
            plan.cursor = Some(compose::CursorLayer { sprite, size, moves });
        }
    }
    Ok(())
}

/// One rasterised frame of the slide area (RGB, row-major, `width * height * 3` bytes).
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

/// The slide area of the recording in `input` at `time_s` seconds, exactly as rasterised
/// for the video (before the cursor, screen share and webcam layers are put on top).
/// Useful for thumbnails and to check a rendered video.
pub fn snapshot(input: &Path, time_s: f64, opts: &RenderOptions) -> Result<Snapshot, RenderError> {
    let rec = Recording::load(input)?;
    let t = (time_s * 1000.0).round() as Ms;
    let end = rec.slides_end().unwrap_or(0).max(t + 1);
    let timeline = timeline::Timeline::build(&rec.whiteboard, &rec.panzooms, end, opts.annotations);
    let rasteriser = rasterise::Rasteriser::new(&rec.dir, opts.width, opts.height);
    let pixmap = rasteriser.state(&rec.whiteboard, timeline.at(t))?;
    Ok(Snapshot { width: opts.width, height: opts.height, rgb: rasterise::rgb(&pixmap) })
}

/// Fetches the published presentation at `base_url` (`https://host/presentation/<recordID>/`)
/// into a temporary folder, then renders it like [`render_dir`].
pub fn render_url(base_url: &str, output: &Path, opts: &RenderOptions) -> Result<RenderReport, RenderError> {
    render_url_trusting(base_url, output, opts, None)
}

/// [`render_url`], trusting the CA certificates of `ca_file` (PEM) besides
/// the system's roots (an institution's own CA).
pub fn render_url_trusting(
    base_url: &str,
    output: &Path,
    opts: &RenderOptions,
    ca_file: Option<&Path>,
) -> Result<RenderReport, RenderError> {
    let work =
        tempfile::Builder::new().prefix("bbb-fetch-").tempdir().map_err(|e| RenderError::io("temporary folder", e))?;
    let fetched = fetch::fetch_recording(base_url, work.path(), ca_file)?;
    let mut report = render_dir(work.path(), output, opts)?;
    report.notes.extend(fetched);
    Ok(report)
}
