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

/// The repository's `testdata/`, found from the crate that includes this module (the
/// render crate, the host, the end-to-end tests).
fn testdata() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = crate_dir.ancestors().find(|d| d.join("testdata/presentation").is_dir()).unwrap_or(crate_dir);
    root.join("testdata")
}

/// The fixture folder: `testdata/presentation/bbb22-featuredemo` of the repository.
pub fn fixture_dir() -> PathBuf {
    let dir = testdata().join("presentation/bbb22-featuredemo");
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

/// VP9 as BBB writes it, fast. `yuv420p`: WebRTC video is I420 and BBB's
/// recorders keep it; left alone, ffmpeg would keep testsrc's RGB as VP9
/// `gbrp`, which no BBB server writes and which decodes and scales about
/// three times slower (the render benchmark would charge that to the renderer).
const VP9: &str = "-c:v libvpx-vp9 -pix_fmt yuv420p -deadline realtime -cpu-used 8 -row-mt 1";

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

/// A tldraw fixture folder: `testdata/presentation/tldraw/<name>` (`bbb27-tldraw1`,
/// `bbb30-tldraw2`).
pub fn tldraw_fixture_dir(name: &str) -> PathBuf {
    let dir = testdata().join("presentation/tldraw").join(name);
    assert!(dir.join("media.json").is_file(), "fixture folder {} not found (see testdata/SOURCES.md)", dir.display());
    dir
}

/// What a tldraw fixture's `media.json` says about it.
pub struct TldrawMedia {
    pub info: serde_json::Value,
}

impl TldrawMedia {
    pub fn duration(&self) -> f64 {
        self.info["duration"].as_f64().unwrap()
    }

    /// Slide `n`'s size in pixels.
    pub fn slide(&self, n: u32) -> (f64, f64) {
        let s = &self.info["slides"][n.to_string()];
        (s[0].as_f64().unwrap(), s[1].as_f64().unwrap())
    }

    /// Slide `n`'s background colour as RGB.
    pub fn background(&self, n: u32) -> [u8; 3] {
        let hex = self.info["slide_background"][n.to_string()].as_str().unwrap().trim_start_matches('#');
        let v = u32::from_str_radix(hex, 16).unwrap();
        [(v >> 16) as u8, (v >> 8) as u8, v as u8]
    }
}

/// Turns a tldraw fixture into a complete published recording in `dir`: the committed
/// XML/JSON copied, and (per its `media.json`) generated with ffmpeg:
/// * `presentation/<presId>/svgs/slideN.svg`, an SVG wrapping a base64 PNG as BBB ≥ 2.6
///   publishes a rasterised page; the PNG is a flat colour with a dark 8 px frame and N
///   dark 40×40 squares top left on slide N;
/// * `video/webcams.webm` (testsrc 640×480 15 fps VP9 + 300 Hz Opus) when it has webcams,
///   or `audio/audio.webm` (Opus) and `audio/audio.ogg` (Vorbis) when audio only;
/// * `presentation/deskshare.png` (transparent) and `deskshare/deskshare.webm` (testsrc2
///   1280×720 5 fps) when it has a screen share;
/// * an empty `slides_new.xml` (BBB always publishes one).
///
/// `length` overrides the media length (the XML is not changed).
pub fn make_tldraw_recording(dir: &Path, name: &str, length: Option<f64>) -> TldrawMedia {
    let fx = tldraw_fixture_dir(name);
    let info: serde_json::Value = serde_json::from_slice(&std::fs::read(fx.join("media.json")).unwrap()).unwrap();
    let media = TldrawMedia { info };
    for f in ["metadata.xml", "shapes.svg", "panzooms.xml", "cursor.xml", "deskshare.xml", "tldraw.json"] {
        std::fs::copy(fx.join(f), dir.join(f)).unwrap();
    }
    if !dir.join("slides_new.xml").exists() {
        std::fs::write(dir.join("slides_new.xml"), "<?xml version=\"1.0\"?>\n<popcorn/>\n").unwrap();
    }
    let len = format!("{}", length.unwrap_or(media.duration()));
    let pres = dir.join("presentation").join(media.info["presentation_id"].as_str().unwrap());
    std::fs::create_dir_all(pres.join("svgs")).unwrap();
    let slides: Vec<u32> = media.info["slides"].as_object().unwrap().keys().map(|k| k.parse().unwrap()).collect();
    for n in slides {
        let (w, h) = media.slide(n);
        let [r, g, b] = media.background(n);
        let marks: Vec<String> =
            (0..n).map(|i| format!("drawbox=x={}:y=24:w=40:h=40:color=0x30343a:t=fill", 24 + i * 56)).collect();
        let vf = format!("drawbox=x=0:y=0:w=iw:h=ih:color=0x30343a:t=8,{}", marks.join(","));
        let png = pres.join(format!("slide-{n}.raster.png"));
        let src = format!("color=c=0x{r:02x}{g:02x}{b:02x}:size={w}x{h}:rate=1");
        ffmpeg(&["-f", "lavfi", "-i", &src, "-vf", &vf, "-frames:v", "1", png.to_str().unwrap()]);
        let b64 = base64(&std::fs::read(&png).unwrap());
        let svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\">\n    <image href=\"data:image/png;base64,{b64}\" width=\"{w}\" height=\"{h}\"/>\n</svg>\n"
        );
        std::fs::write(pres.join(format!("svgs/slide{n}.svg")), svg).unwrap();
        std::fs::remove_file(png).unwrap();
    }
    let m = &media.info["media"];
    if m["webcams"].as_bool().unwrap_or(false) {
        let cam = "-f lavfi -i testsrc=size=640x480:rate=15 -f lavfi -i sine=frequency=300:sample_rate=48000";
        generate(&dir.join("video/webcams.webm"), &format!("{cam} -t {len} {VP9} -b:v 200k -c:a libopus -b:a 32k"));
    }
    if m["audio_only"].as_bool().unwrap_or(false) {
        let src = format!("-f lavfi -i sine=frequency=300:sample_rate=48000 -t {len}");
        generate(&dir.join("audio/audio.webm"), &format!("{src} -c:a libopus -b:a 32k"));
        generate(&dir.join("audio/audio.ogg"), &format!("{src} -c:a libvorbis -q:a 1"));
    }
    if m["deskshare"].as_array().is_some_and(|d| !d.is_empty()) {
        let png = dir.join("presentation/deskshare.png");
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "color=c=black@0.0:size=1280x720:rate=1,format=rgba",
            "-frames:v",
            "1",
            png.to_str().unwrap(),
        ]);
        let src = "-f lavfi -i testsrc2=size=1280x720:rate=5";
        generate(&dir.join("deskshare/deskshare.webm"), &format!("{src} -t {len} {VP9} -b:v 300k"));
    }
    media
}

/// Standard base64 (for the data URL of a generated slide).
fn base64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let v = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The RGB pixel at (x, y) of a frame `width` wide.
pub fn pixel(rgb: &[u8], width: u32, x: u32, y: u32) -> [u8; 3] {
    let i = ((y * width + x) * 3) as usize;
    [rgb[i], rgb[i + 1], rgb[i + 2]]
}

/// Mean colour of the `r`-pixel square around (x, y).
pub fn mean(rgb: &[u8], width: u32, (x, y): (u32, u32), r: u32) -> [u8; 3] {
    let mut sum = [0u32; 3];
    let mut n = 0;
    for yy in y.saturating_sub(r)..=y + r {
        for xx in x.saturating_sub(r)..=x + r {
            let p = pixel(rgb, width, xx, yy);
            for c in 0..3 {
                sum[c] += p[c] as u32;
            }
            n += 1;
        }
    }
    sum.map(|s| (s / n) as u8)
}

/// Whether two colours are within `tol` in every channel.
pub fn near(a: [u8; 3], b: [u8; 3], tol: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tol)
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
