//! Test (and benchmark) recordings: the real `bbb22-featuredemo` XML files from
//! the repository's `testdata/presentation/`, with slide images and media generated
//! by ffmpeg here (origins in `testdata/SOURCES.md`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub const PRES: &str = "presentation/f317f2ac335e836cba0b100d1cca01c8497dd885-1598187947041";
pub const FIXTURE_FILES: &[&str] = &["shapes.svg", "panzooms.xml", "cursor.xml", "deskshare.xml", "metadata.xml"];
/// Length of the fixture's timeline (shapes.svg), seconds.
pub const FULL_LENGTH: f64 = 253.2;

/// The fixture folder: `testdata/presentation/bbb22-featuredemo` of the repository.
pub fn fixture_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/presentation/bbb22-featuredemo");
    assert!(dir.join("shapes.svg").is_file(), "fixture folder {} not found (see testdata/SOURCES.md)", dir.display());
    dir
}

/// Fails the test with a clear message when ffmpeg/ffprobe are not installed.
pub fn require_ffmpeg() {
    for tool in ["ffmpeg", "ffprobe"] {
        let ok = Command::new(tool).arg("-version").output().map(|o| o.status.success()).unwrap_or(false);
        assert!(ok, "{tool} is not installed: these tests need Debian's ffmpeg (apt-get install -y --no-install-recommends ffmpeg)");
    }
}

pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(args)
        .output()
        .expect("run ffmpeg");
    assert!(out.status.success(), "ffmpeg {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Which media to generate.
#[derive(Debug, Clone, Copy)]
pub struct Media {
    pub length: f64,
    /// `video/webcams.webm` with webcam video (testsrc 640x480 @15) and audio.
    pub webcams: bool,
    /// `audio/audio.ogg` (used when there is no webcams file).
    pub audio_only: bool,
    /// `deskshare/deskshare.webm` (testsrc2 1280x720 @5).
    pub deskshare: bool,
    /// Slide PNGs (1600x900, a different hue each).
    pub slides: bool,
}

impl Media {
    pub fn full(length: f64) -> Self {
        Media { length, webcams: true, audio_only: false, deskshare: true, slides: true }
    }
}

/// Copies the fixture XML into `dir` and generates slides and media there.
pub fn make_recording(dir: &Path, media: Media) {
    let fx = fixture_dir();
    for f in FIXTURE_FILES {
        std::fs::copy(fx.join(f), dir.join(f)).unwrap();
    }
    let len = format!("{}", media.length);
    if media.slides {
        std::fs::create_dir_all(dir.join(PRES)).unwrap();
        for i in 1..=3 {
            let out = dir.join(format!("{PRES}/slide-{i}.png"));
            let src = format!(
                "testsrc2=size=1600x900:rate=1,hue=h={}:s=1.5,drawtext=text='Slide {i}':fontsize=120:box=1:boxcolor=white:x=(w-tw)/2:y=(h-th)/2",
                (i - 1) * 120
            );
            ffmpeg(&["-f", "lavfi", "-i", &src, "-frames:v", "1", out.to_str().unwrap()]);
        }
    }
    if media.webcams {
        let cam = "-f lavfi -i testsrc=size=640x480:rate=15 -f lavfi -i sine=frequency=300:sample_rate=48000";
        let enc = format!("{VP9} -b:v 200k -c:a libopus -b:a 32k");
        generate(&dir.join("video/webcams.webm"), &format!("{cam} -t {len} {enc}"));
    }
    if media.audio_only {
        let enc = "-c:a libopus -b:a 32k";
        generate(
            &dir.join("audio/audio.ogg"),
            &format!("-f lavfi -i sine=frequency=440:sample_rate=48000 -t {len} {enc}"),
        );
    }
    if media.deskshare {
        let src = "-f lavfi -i testsrc2=size=1280x720:rate=5";
        generate(&dir.join("deskshare/deskshare.webm"), &format!("{src} -t {len} {VP9} -b:v 300k"));
    }
}

/// VP9 as BBB writes it, fast (SOURCES.md recipe).
const VP9: &str = "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -row-mt 1";

/// Runs ffmpeg with whitespace-separated `args` writing `out` (parent folders created).
fn generate(out: &Path, args: &str) {
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let mut all: Vec<&str> = args.split_whitespace().collect();
    all.push(out.to_str().unwrap());
    ffmpeg(&all);
}

/// ffprobe's JSON for a file (format and streams).
pub fn probe(file: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_format", "-show_streams", "-of", "json"])
        .arg(file)
        .output()
        .expect("run ffprobe");
    assert!(out.status.success(), "ffprobe {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

pub fn duration(file: &Path) -> f64 {
    probe(file)["format"]["duration"].as_str().unwrap().parse().unwrap()
}

pub fn has_stream(file: &Path, kind: &str) -> bool {
    probe(file)["streams"].as_array().unwrap().iter().any(|s| s["codec_type"] == kind)
}

/// The frame of `video` on screen at `t` seconds, scaled to `w`x`h`, as RGB bytes.
/// Decodes from the start through a constant-rate filter: an input seek would skip the
/// frame shown at `t` in a variable-frame-rate file (it starts before `t`).
pub fn frame_at(video: &Path, t: f64, w: u32, h: u32) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
        .arg(video)
        .args(["-an", "-frames:v", "1", "-vf", &format!("fps=100,trim=start={t},scale={w}:{h}")])
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .expect("run ffmpeg");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout.len(), (w * h * 3) as usize, "frame at {t} s of {}", video.display());
    out.stdout
}

/// A rectangle of the frame, in pixels.
#[derive(Debug, Clone, Copy)]
pub struct Area {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// Share of the 4x4-pixel blocks in `area` (minus those touching `skip`) whose mean colour
/// differs by more than 40 in some channel. Averaging blocks absorbs H.264's loss (chroma
/// subsampling, ringing) while a slide change, a screen share or a 2 px annotation stroke
/// still changes its blocks.
pub fn differing(a: &[u8], b: &[u8], width: u32, area: Area, skip: Option<Area>) -> f64 {
    const B: u32 = 4;
    let touches = |r: Area, x: u32, y: u32| x + B > r.x && x < r.x + r.w && y + B > r.y && y < r.y + r.h;
    let (mut n, mut bad) = (0u64, 0u64);
    for by in (area.y..area.y + area.h - B + 1).step_by(B as usize) {
        for bx in (area.x..area.x + area.w - B + 1).step_by(B as usize) {
            if skip.is_some_and(|s| touches(s, bx, by)) {
                continue;
            }
            let mut sum = [0i64; 3];
            for y in by..by + B {
                for x in bx..bx + B {
                    let i = ((y * width + x) * 3) as usize;
                    for c in 0..3 {
                        sum[c] += a[i + c] as i64 - b[i + c] as i64;
                    }
                }
            }
            n += 1;
            if sum.iter().any(|s| s.abs() > 40 * (B * B) as i64) {
                bad += 1;
            }
        }
    }
    bad as f64 / n.max(1) as f64
}

/// Writes RGB bytes as a PNG through ffmpeg (for eyeballing failures and docs).
pub fn save_png(rgb: &[u8], w: u32, h: u32, path: &Path) {
    let raw = path.with_extension("rgb");
    std::fs::write(&raw, rgb).unwrap();
    ffmpeg(&[
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        &format!("{w}x{h}"),
        "-i",
        raw.to_str().unwrap(),
        "-frames:v",
        "1",
        path.to_str().unwrap(),
    ]);
    std::fs::remove_file(raw).unwrap();
}

/// The names in `dir`, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// Folders `tmp` (made the process's `TMPDIR`: the renderer's temporary files land there),
/// `rec` (a 6 s slides + audio recording) and `out` in a new temporary folder. For test
/// binaries with a single test.
pub struct Scratch {
    pub root: tempfile::TempDir,
    pub tmp: PathBuf,
    pub rec: PathBuf,
    pub out: PathBuf,
}

pub fn scratch() -> Scratch {
    require_ffmpeg();
    let root = tempfile::tempdir().unwrap();
    let (tmp, rec, out) = (root.path().join("tmp"), root.path().join("rec"), root.path().join("out"));
    for d in [&tmp, &rec, &out] {
        std::fs::create_dir_all(d).unwrap();
    }
    make_recording(&rec, Media { length: 6.0, webcams: false, audio_only: true, deskshare: false, slides: true });
    std::env::set_var("TMPDIR", &tmp);
    Scratch { root, tmp, rec, out }
}
