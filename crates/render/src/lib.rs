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
//! 4. run ffmpeg once (`compose.rs`), started as soon as the media are probed and fed
//!    the list of frames on its standard input: concat demuxer with exact durations,
//!    cursor, screen share and webcam overlays, the sound (AAC encoded beforehand, or
//!    copied), libx264, `+faststart`.
//!
//! The output is written under a temporary name beside the final file and renamed only
//! when ffmpeg succeeded; all intermediate files live in a temporary folder that is
//! removed whatever happens.

mod captions;
mod chat;
mod compose;
mod cursor;
mod deskshare;
mod error;
mod fetch;
mod ffmpeg;
mod layout;
mod media;
mod metadata;
mod panel;
mod panzoom;
mod paths;
mod polls;
mod rasterise;
mod recording;
mod shapes;
mod sidecars;
mod space;
mod text;
mod timeline;
mod tldraw;
mod video_format;
mod work;
mod xml;

use std::path::{Path, PathBuf};

pub use chat::ChatNames;
pub use error::RenderError;
pub use video_format::{keep_video_extras, keep_video_extras_url};
pub use work::remove_stale;
pub use xml::MAX_INPUT_BYTES;

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
    /// Caption tracks (`captions.json`): muxed as subtitle tracks and kept as `.vtt`
    /// sidecars.
    pub captions: bool,
    /// What to do with the public chat (`slides_new.xml`).
    pub chat: ChatMode,
    /// How chat senders are named in the sidecars and the panel.
    pub chat_names: ChatNames,
    /// Keep the shared notes (`notes.html`) as a sidecar.
    pub notes: bool,
    /// The sound track: AAC (default) or the source's own codec.
    pub audio: AudioMode,
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    /// Threads for rasterising and encoding; `None` = all cores.
    pub threads: Option<u32>,
    /// Longest render: past it ffmpeg is killed and the render fails. `None` = no limit.
    pub timeout: Option<std::time::Duration>,
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
            captions: true,
            chat: ChatMode::Sidecar,
            chat_names: ChatNames::Real,
            notes: true,
            audio: AudioMode::Aac,
            ffmpeg: PathBuf::from("ffmpeg"),
            ffprobe: PathBuf::from("ffprobe"),
            threads: None,
            timeout: None,
        }
    }
}

/// What becomes of the public chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChatMode {
    /// Not kept.
    Off,
    /// `NAME.chat.txt` and `NAME.chat.vtt` beside the video.
    #[default]
    Sidecar,
    /// The sidecars, and the chat drawn as a column beside the slides.
    Panel,
}

/// What the MP4's sound track holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AudioMode {
    /// AAC, which every player plays: encoded from the source (during the rasterising),
    /// or copied when the source is AAC already.
    #[default]
    Aac,
    /// The source's sound copied as it is when MP4 holds its codec (Opus, AAC, MP3),
    /// else encoded to AAC. No encoding at all for BBB's Opus webcams/audio files, so a
    /// slides + audio render is several times faster; but Opus in MP4 does not play
    /// everywhere (older Apple devices and hardware players).
    Keep,
}

impl AudioMode {
    /// Whether a source in `codec` is copied into the MP4.
    fn copies(self, codec: Option<&str>) -> bool {
        let keep: &[&str] = match self {
            AudioMode::Aac => &["aac"],
            AudioMode::Keep => &["aac", "opus", "mp3"],
        };
        codec.is_some_and(|c| keep.contains(&c))
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
    /// Caption tracks muxed into the video, by locale.
    pub caption_tracks: Vec<String>,
    /// Chat messages kept (sidecars, panel).
    pub chat_messages: usize,
    /// Poll results of `polls.json` kept with the chat (sidecars, panel).
    pub polls: usize,
    /// External videos of `external_videos.json` kept with the chat (sidecars, panel).
    pub external_videos: usize,
    /// Files written beside the video (captions, chat, shared notes).
    pub sidecars: Vec<PathBuf>,
}

fn absolute(path: &Path) -> Result<PathBuf, RenderError> {
    std::path::absolute(path).map_err(|e| RenderError::io(path.display().to_string(), e))
}

/// Renders the published presentation in folder `input` to the MP4 file `output`.
pub fn render_dir(input: &Path, output: &Path, opts: &RenderOptions) -> Result<RenderReport, RenderError> {
    ffmpeg::check_tool("ffmpeg", &opts.ffmpeg)?;
    opts.check()?;
    let deadline = opts.timeout.map(|t| std::time::Instant::now() + t);
    let rec = Recording::load(input)?;
    let output = absolute(output)?;
    let work = work::WorkDir::new("bbb-render-")?;
    let threads = opts
        .threads
        .map(|t| t.max(1) as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let mut chat_report = RenderReport::default();
    let chat = read_chat(&rec.dir, opts, &mut chat_report);
    // With the chat column, the slide area is the width right of it.
    let panel_w = if opts.chat == ChatMode::Panel && !chat.is_empty() { panel::width(opts.width) } else { 0 };
    let area_w = opts.width - panel_w;
    let rasteriser = rasterise::Rasteriser::new(&rec.dir, area_w, opts.height);
    // The recording's length comes from the media (ffprobe), which is slow to start: the
    // states up to the end of every event are rasterised meanwhile, and those within the
    // length are picked afterwards.
    let every_state = timeline::Timeline::build(&rec.whiteboard, &rec.panzooms, Ms::MAX, opts.annotations);
    let started = std::time::Instant::now();
    let format = rasterise::FrameFormat::choose(every_state.states.len(), area_w, opts.height);
    // The probes, the webcam blank check and the audio encoding (ffmpeg processes) run
    // while the states are rasterised, and then the video pass is started, so ffmpeg
    // loads its libraries meanwhile too: it gets the list of frames once they are ready.
    let (pass, frames) = std::thread::scope(|scope| {
        let pass = scope.spawn(|| {
            let prepared = prepare_media(&rec, opts, work.path(), deadline)?;
            let inputs = (&rec, &rasteriser, &chat[..], &mut chat_report);
            start_video_pass(prepared, inputs, opts, (work.path(), &output, panel_w))
        });
        let frames =
            rasterise::rasterise_states(&rasteriser, &rec.whiteboard, &every_state, work.path(), (threads, format));
        (pass.join().expect("media thread panicked"), frames)
    });
    let VideoPass { mut report, duration, timeline, tracks, partial, ffmpeg: running, animated } = pass?;
    let frames = pick_frames(&timeline, &every_state, frames?, (&rasteriser, &rec.whiteboard), (work.path(), format))?;
    let frames: compose::Pictures =
        timeline.segments.iter().map(|s| (frames[s.state].clone(), s.start, s.end)).collect();
    let rasterised = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    running.finish(Some(compose::frames_list(&frames, (area_w, opts.height))), deadline)?;
    let rate = if animated { "constant frame rate" } else { "variable frame rate" };
    report.notes.push(format!(
        "rasterised {} states ({} frames) in {rasterised:.2} s; ffmpeg pass ({rate}) ended {:.2} s after",
        timeline.states.len(),
        format.name(),
        started.elapsed().as_secs_f64()
    ));
    paths::finish(partial, &output)?;
    report.output_size = std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0);
    write_sidecars(&rec.dir, &output, (&tracks, &chat), duration, opts, &mut report)?;
    if std::env::var_os("BBB_RENDER_KEEP_WORK").is_some() {
        report.notes.push(format!("work folder kept: {}", work.keep().display()));
    }
    Ok(report)
}

/// The video pass, started: what the render still needs once the frames are ready.
struct VideoPass {
    report: RenderReport,
    /// The recording's length, ms.
    duration: Ms,
    /// The states and segments within the recording's length.
    timeline: timeline::Timeline,
    tracks: Vec<captions::Track>,
    /// The output under its temporary name.
    partial: tempfile::NamedTempFile,
    ffmpeg: ffmpeg::Running,
    animated: bool,
}

/// Once the media are known: the report so far, the timeline within the recording's
/// length, the chat column, cursor and screen-share layers and the caption tracks;
/// then ffmpeg is started, waiting for the list of frames on its standard input.
fn start_video_pass(
    prepared: Prepared,
    (rec, rasteriser, chat, chat_report): (&Recording, &rasterise::Rasteriser, &[chat::Message], &mut RenderReport),
    opts: &RenderOptions,
    (work, output, panel_w): (&Path, &Path, u32),
) -> Result<VideoPass, RenderError> {
    let Prepared { media, duration, source, webcam_blank, audio: sound } = prepared;
    let mut report = RenderReport { duration_s: duration as f64 / 1000.0, ..Default::default() };
    report.notes.push(format!("length {} s from {source}", report.duration_s));
    describe_inputs(rec, &media, opts, duration, &mut report)?;
    if let Some(a) = &sound {
        report.notes.push(a.how.clone());
    }

    let timeline = timeline::Timeline::build(&rec.whiteboard, &rec.panzooms, duration, opts.annotations);
    report.slides = rec.whiteboard.slides.len();
    report.states = timeline.states.len();
    let has_text = rec.whiteboard.shapes.iter().any(|s| s.kind == "text" && !s.svg.is_empty());
    if opts.annotations && has_text && !rasteriser.has_fonts() {
        let what = "text annotations (no font installed: install fonts-liberation2 or fonts-dejavu-core)";
        report.not_drawn.push(what.into());
    }
    report.not_drawn.append(&mut chat_report.not_drawn);
    report.chat_messages = chat_report.chat_messages;
    report.polls = chat_report.polls;
    report.external_videos = chat_report.external_videos;
    let webcam = media.webcam_video().filter(|_| opts.webcams);
    let panel = if panel_w > 0 {
        let size = (panel_w, opts.height);
        Some((panel::render(rasteriser, chat, duration, size, work)?, panel_w))
    } else {
        None
    };

    let mut plan = compose::Plan {
        width: opts.width,
        height: opts.height,
        fps: opts.fps,
        duration,
        audio: sound.as_ref().map(|a| a.path.clone()),
        audio_copy: sound.is_some(),
        panel,
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
    add_layers(&mut plan, rec, &media, &timeline, opts, work, &mut report)?;
    let tracks = if opts.captions {
        let (tracks, skipped) = captions::find(&rec.dir);
        report.not_drawn.extend(skipped);
        tracks
    } else {
        Vec::new()
    };
    plan.subtitles = tracks.iter().map(|t| (t.path.clone(), t.language, t.name.clone())).collect();
    report.caption_tracks = tracks.iter().map(|t| t.locale.clone()).collect();

    let partial = paths::partial_beside(output)?;
    let args = plan.write(work, partial.path())?;
    let ffmpeg = ffmpeg::start(&opts.ffmpeg, &args, work, true)?;
    Ok(VideoPass { report, duration, timeline, tracks, partial, ffmpeg, animated: plan.is_animated() })
}

/// What the media thread found and made.
struct Prepared {
    media: Media,
    /// The recording's length (ms) and where it was taken from.
    duration: Ms,
    source: String,
    webcam_blank: bool,
    /// The sound, ready to be copied into the MP4.
    audio: Option<Sound>,
}

/// A file whose first audio stream the video pass copies.
struct Sound {
    path: PathBuf,
    /// For the report: encoded or copied, from which codec.
    how: String,
}

/// The file the sound most likely comes from, before any probe: the first of the sound
/// sources that exists, when it would be encoded (not an `.mp4`/`.m4a`, which may hold
/// AAC to copy). Its encoding starts at once, alongside the probes.
fn likely_sound(dir: &Path, opts: &RenderOptions) -> Option<PathBuf> {
    if opts.audio != AudioMode::Aac {
        return None;
    }
    let (path, _) = paths::first_existing(dir, media::WEBCAMS).or_else(|| paths::first_existing(dir, media::AUDIO))?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    (!matches!(ext, "mp4" | "m4a")).then_some(path)
}

/// Probes the media (all at once), then checks whether the webcam video is blank while
/// the sound is encoded to AAC in the work folder (or left to be copied as it is). The
/// encoding of the likely sound file starts before the probes and is kept when the
/// probes confirm it.
fn prepare_media(
    rec: &Recording,
    opts: &RenderOptions,
    work: &Path,
    deadline: Option<std::time::Instant>,
) -> Result<Prepared, RenderError> {
    let encode = |input: &Path, duration: Option<Ms>, name: &str| {
        let output = work.join(name);
        ffmpeg::run(&opts.ffmpeg, &compose::audio_args(input, duration, &output), work, deadline).map(|()| output)
    };
    let guess = likely_sound(&rec.dir, opts);
    std::thread::scope(|scope| {
        let early = guess.as_deref().map(|path| scope.spawn(move || encode(path, None, "audio-early.m4a")));
        let order = if opts.audio == AudioMode::Keep { media::AUDIO_COPYABLE_FIRST } else { media::AUDIO };
        let media = Media::find(&rec.dir, &opts.ffprobe, opts.deskshare && !rec.deskshare.is_empty(), order)?;
        let (duration, source) = media.length(rec)?;
        let webcam = media.webcam_video().filter(|_| opts.webcams).map(|c| (c.path.clone(), c.probe.duration));
        let blank = scope.spawn(move || {
            webcam.map(|(path, length)| {
                let length_s = length.unwrap_or(duration as f64 / 1000.0);
                ffmpeg::is_blank_video(&opts.ffmpeg, &path, length_s)
            })
        });
        // The early encoding is joined in every case: nothing runs on after the render.
        let early = early.map(|h| h.join().expect("audio thread panicked"));
        let audio = match media.sound() {
            None => None,
            Some(m) => {
                let codec = m.probe.audio_codec.as_deref().unwrap_or("unknown codec");
                if opts.audio.copies(m.probe.audio_codec.as_deref()) {
                    Some(Sound { path: m.path.clone(), how: format!("sound copied as it is ({codec})") })
                } else {
                    let path = match early {
                        Some(result) if guess.as_deref() == Some(m.path.as_path()) => result?,
                        _ => encode(&m.path, Some(duration), "audio.m4a")?,
                    };
                    Some(Sound { path, how: format!("sound encoded to AAC (from {codec})") })
                }
            }
        };
        let webcam_blank = blank.join().expect("webcam check thread panicked").transpose()?.unwrap_or(false);
        Ok(Prepared { media, duration, source, webcam_blank, audio })
    })
}

/// The frame of each state of `timeline`, from those rasterised for `every_state`;
/// states it lacks (none when it was built up to a later end) are rasterised now.
fn pick_frames(
    timeline: &timeline::Timeline,
    every_state: &timeline::Timeline,
    frames: Vec<PathBuf>,
    (rasteriser, wb): (&rasterise::Rasteriser, &shapes::Whiteboard),
    (work, format): (&Path, rasterise::FrameFormat),
) -> Result<Vec<PathBuf>, RenderError> {
    let found = timeline.states_in(every_state);
    let missing: Vec<usize> = (0..found.len()).filter(|&i| found[i].is_none()).collect();
    let mut extra = Vec::new();
    if !missing.is_empty() {
        let dir = work.join("extra");
        std::fs::create_dir_all(&dir).map_err(|e| RenderError::io(dir.display().to_string(), e))?;
        let states = missing.iter().map(|&i| timeline.states[i].clone()).collect();
        let sub = timeline::Timeline { states, segments: Vec::new() };
        extra = rasterise::rasterise_states(rasteriser, wb, &sub, &dir, (1, format))?;
    }
    let mut extra = extra.into_iter();
    Ok(found
        .iter()
        .map(|f| f.map_or_else(|| extra.next().expect("one frame per missing state"), |j| frames[j].clone()))
        .collect())
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
    // shapes.svg shapes have stacking rank 0 (file order); tldraw's are ranked from 1.
    let mut kinds: Vec<&str> =
        rec.whiteboard.shapes.iter().filter(|s| !s.svg.is_empty() && s.z == 0).map(|s| s.kind.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    if opts.annotations && !kinds.is_empty() {
        report.notes.push(format!("shapes.svg annotation types drawn: {}", kinds.join(", ")));
    }
    if let Some(err) = &rec.tldraw_error {
        report.not_drawn.push(format!("whiteboard annotations: {err}"));
    }
    if let Some(t) = &rec.tldraw {
        describe_tldraw(t, opts, report);
    }
    if rec.panzooms.tldraw || rec.cursor.tldraw {
        report.notes.push("panzooms.xml/cursor.xml use tldraw camera coordinates: converted as bbb-playback does (not yet checked against a real BBB ≥ 2.6 recording)".into());
    }
    Ok(())
}

/// The chat messages to keep, per the options, with the poll results and external videos
/// merged in as bbb-playback shows them; a malformed file is reported and skipped.
fn read_chat(dir: &Path, opts: &RenderOptions, report: &mut RenderReport) -> Vec<chat::Message> {
    let chat = read_chat_file(dir, chat::FILE, opts, report);
    let polls = read_system(dir, polls::POLLS_FILE, polls::parse_polls, opts, report);
    let videos = read_system(dir, polls::VIDEOS_FILE, polls::parse_videos, opts, report);
    report.polls = polls.len();
    report.external_videos = videos.len();
    polls::merge(chat, polls, videos)
}

/// The messages of `polls.json` or `external_videos.json` (`file`, read by `parse`); what
/// is skipped is reported.
fn read_system(
    dir: &Path,
    file: &str,
    parse: fn(&str) -> polls::Read,
    opts: &RenderOptions,
    report: &mut RenderReport,
) -> Vec<chat::Message> {
    if std::fs::metadata(dir.join(file)).is_err() {
        return Vec::new();
    }
    if opts.chat == ChatMode::Off {
        report.not_drawn.push(format!("{file}: not kept (chat turned off; it is shown with the chat)"));
        return Vec::new();
    }
    // Within the side files' bound (xml::MAX_INPUT_BYTES): a larger file is named and skipped.
    match xml::read_optional(dir, file) {
        Ok(Some(text)) => {
            let read = parse(&text);
            report.not_drawn.extend(read.skipped);
            read.messages
        }
        Ok(None) => Vec::new(),
        Err(e) => {
            report.not_drawn.push(format!("{e}; skipped"));
            Vec::new()
        }
    }
}

/// [`read_chat`] of the chat file `file` (`slides_new.xml`, or the `video` format's
/// `video.xml`).
fn read_chat_file(dir: &Path, file: &str, opts: &RenderOptions, report: &mut RenderReport) -> Vec<chat::Message> {
    if opts.chat == ChatMode::Off {
        return Vec::new();
    }
    let text = match xml::read_optional(dir, file) {
        Ok(Some(text)) => text,
        Ok(None) => return Vec::new(),
        Err(e) => {
            report.not_drawn.push(format!("chat: {e}; skipped"));
            return Vec::new();
        }
    };
    match chat::parse(file, &text, opts.chat_names) {
        Ok(messages) => {
            report.chat_messages = messages.len();
            messages
        }
        Err(e) => {
            report.not_drawn.push(format!("chat: {e}"));
            Vec::new()
        }
    }
}

/// Captions, chat and shared notes beside the video.
fn write_sidecars(
    dir: &Path,
    output: &Path,
    (tracks, chat): (&[captions::Track], &[chat::Message]),
    duration: Ms,
    opts: &RenderOptions,
    report: &mut RenderReport,
) -> Result<(), RenderError> {
    for t in tracks {
        // Checked within the bound by captions::find.
        let bytes = xml::read_input_bytes(&t.path).map_err(|e| RenderError::io(t.path.display().to_string(), e))?;
        report.sidecars.push(sidecars::write(output, &format!("{}.vtt", t.locale), &bytes)?);
    }
    if !chat.is_empty() {
        report.sidecars.push(sidecars::write(output, "chat.txt", chat::to_text(chat).as_bytes())?);
        report.sidecars.push(sidecars::write(output, "chat.vtt", chat::to_vtt(chat, duration).as_bytes())?);
    }
    if opts.notes {
        if let Some(notes) = paths::first_existing(dir, &["notes.html"]) {
            match xml::read_input_bytes(&notes.0) {
                Ok(bytes) => report.sidecars.push(sidecars::write(output, "notes.html", &bytes)?),
                Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
                    let e = xml::read_error(&notes.1, e, xml::MAX_INPUT_BYTES);
                    report.not_drawn.push(format!("shared notes: {e}; skipped"));
                }
                Err(e) => return Err(RenderError::io(notes.1.clone(), e)),
            }
        }
    }
    Ok(())
}

/// What of `tldraw.json` was drawn, and what was not and why.
fn describe_tldraw(t: &tldraw::Converted, opts: &RenderOptions, report: &mut RenderReport) {
    let counts = |m: &std::collections::BTreeMap<String, usize>| {
        m.iter().map(|(k, n)| format!("{k} ({n})")).collect::<Vec<_>>().join(", ")
    };
    if !opts.annotations {
        let total: usize = t.drawn.values().sum();
        report.not_drawn.push(format!("tldraw annotations ({total} shape versions): annotations turned off"));
        return;
    }
    if !t.drawn.is_empty() {
        report.notes.push(format!("tldraw.json annotation types drawn (shape versions): {}", counts(&t.drawn)));
    }
    for ((kind, why), n) in &t.not_drawn {
        report.not_drawn.push(format!("tldraw annotation type {kind:?} ({n} shape versions): {why}"));
    }
    if !t.unknown_styles.is_empty() {
        report
            .notes
            .push(format!("tldraw.json values not known, drawn with defaults: {}", t.unknown_styles.join(", ")));
    }
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
        // Positions in the slide area, which starts right of the chat column.
        let (area_x, area_w) = plan.slide_area();
        let mut moves = rec.cursor.moves(timeline, &rec.whiteboard, (area_w, opts.height), duration);
        for (_, pos) in moves.iter_mut() {
            if let Some((x, _)) = pos {
                *x += area_x as i64;
            }
        }
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
    fetch::fetched_then(|dir| fetch::fetch_recording(base_url, dir, ca_file), |dir| render_dir(dir, output, opts))
}
