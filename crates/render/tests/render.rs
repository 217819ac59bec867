//! End-to-end tests with real ffmpeg: a recording is generated from the real
//! `bbb22-featuredemo` XML files plus ffmpeg-made slides and media, rendered, and the MP4 is
//! checked with ffprobe and by comparing decoded frames with the rasterised expected state.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use bbb_migrate_render::{render_dir, snapshot, RenderOptions, RenderReport};
use common::{differing, frame_at, Area, Media};

const W: u32 = 1280;
const H: u32 = 720;
const FULL: Area = Area { x: 0, y: 0, w: W, h: H };
/// Webcam picture-in-picture corner (bottom right quarter-width).
const CAM: Area = Area { x: W - 320, y: H - 240, w: 320, h: 240 };
/// Where the annotations of slide 2 are (slide pixels 430..1170 × 280..610, scaled by 0.8).
const ANNOTATIONS: Area = Area { x: 344, y: 224, w: 592, h: 264 };
/// The "Hallo" text box.
const TEXT: Area = Area { x: 463, y: 243, w: 295, h: 68 };

fn new_recording(media: Media) -> tempfile::TempDir {
    common::require_ffmpeg();
    let dir = tempfile::tempdir().unwrap();
    common::make_recording(dir.path(), media);
    dir
}

/// The rasterised state at `t` (memoised: several tests ask for the same ones, and
/// rasterising is slow in unoptimised test builds).
fn expected(rec: &Path, t: f64) -> Vec<u8> {
    type Cache = Mutex<HashMap<(PathBuf, u64), Vec<u8>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (rec.to_path_buf(), t.to_bits());
    let cache = CACHE.get_or_init(Default::default);
    if let Some(rgb) = cache.lock().unwrap().get(&key) {
        return rgb.clone();
    }
    let rgb = snapshot(rec, t, &RenderOptions::default()).unwrap().rgb;
    cache.lock().unwrap().insert(key, rgb.clone());
    rgb
}

/// Compares the video's frame at `t` with the rasterised state at `t` and with the state
/// at `other`, within `area` minus `skip`; asserts it is the first (at most `same_max`
/// differing blocks) and not the second (at least `other_min`).
fn assert_state(
    out: &Path,
    rec: &Path,
    t: f64,
    other: f64,
    (area, skip): (Area, Option<Area>),
    (same_max, other_min): (f64, f64),
) {
    let frame = frame_at(out, t, W, H);
    let same = differing(&frame, &expected(rec, t), W, area, skip);
    let diff = differing(&frame, &expected(rec, other), W, area, skip);
    eprintln!("{t} s: vs expected {same}, vs state at {other} s {diff}");
    assert!(same <= same_max && diff >= other_min, "{t} s: vs expected {same}, vs state at {other} s {diff}");
}

/// The 60 s composite (webcams, screen share, cursor, audio), rendered once for the tests
/// that inspect it.
fn composite() -> &'static (tempfile::TempDir, PathBuf, RenderReport) {
    static CELL: OnceLock<(tempfile::TempDir, PathBuf, RenderReport)> = OnceLock::new();
    CELL.get_or_init(|| {
        let rec = new_recording(Media::full(60.0));
        let out = rec.path().join("out/composite.mp4");
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        let report = render_dir(rec.path(), &out, &RenderOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        (rec, out, report)
    })
}

#[test]
fn composite_has_exact_length_audio_and_h264() {
    let (rec, out, report) = composite();
    let media_len = common::duration(&rec.path().join("video/webcams.webm"));
    assert!((report.duration_s - media_len).abs() < 0.01, "{} vs {media_len}", report.duration_s);
    let got = common::duration(out);
    assert!((got - report.duration_s).abs() <= 0.1, "output lasts {got} s, timeline {} s", report.duration_s);
    let probe = common::probe(out);
    let streams = probe["streams"].as_array().unwrap();
    let video = streams.iter().find(|s| s["codec_type"] == "video").expect("video stream");
    assert_eq!(video["codec_name"], "h264");
    assert_eq!((video["width"].as_u64(), video["height"].as_u64()), (Some(W as u64), Some(H as u64)));
    let audio = streams.iter().find(|s| s["codec_type"] == "audio").expect("audio stream");
    assert_eq!(audio["codec_name"], "aac");
    assert_eq!(report.slides, 4);
    assert!(report.states > 40, "{report:?}");
    assert!(report.not_drawn.is_empty(), "{:?}", report.not_drawn);
    // faststart: the moov atom comes before mdat.
    let bytes = std::fs::read(out).unwrap();
    let pos = |tag: &[u8]| bytes.windows(4).position(|w| w == tag).unwrap();
    assert!(pos(b"moov") < pos(b"mdat"), "moov after mdat: no faststart");
}

#[test]
fn composite_shows_the_right_slide_at_the_right_time() {
    let (rec, out, _) = composite();
    // 3 s: slide 1. 8 s: slide 2 (no annotation yet). They differ almost everywhere.
    assert_state(out, rec.path(), 3.0, 8.0, (FULL, Some(CAM)), (0.01, 0.3));
    assert_state(out, rec.path(), 8.0, 3.0, (FULL, Some(CAM)), (0.01, 0.3));
}

#[test]
fn composite_draws_annotations_and_converted_text() {
    let (rec, out, _) = composite();
    // 57 s: line, ellipse, triangle, rectangle, pencil and text on slide 2 (bare at 8 s).
    assert_state(out, rec.path(), 57.0, 8.0, (ANNOTATIONS, None), (0.005, 0.02));
    // 27 s: the foreignObject text "Hallo" (converted to SVG text) is visible.
    assert_state(out, rec.path(), 27.0, 8.0, (TEXT, None), (0.01, 0.03));
}

#[test]
fn composite_shows_screen_share_only_during_its_intervals() {
    let (rec, out, _) = composite();
    let desk = rec.path().join("deskshare/deskshare.webm");
    for t in [15.0, 35.0] {
        let frame = frame_at(out, t, W, H);
        let share = frame_at(&desk, t, W, H);
        let slide = expected(rec.path(), t);
        let vs_share = differing(&frame, &share, W, FULL, Some(CAM));
        let vs_slide = differing(&frame, &slide, W, FULL, Some(CAM));
        assert!(vs_share < 0.02 && vs_slide > 0.3, "{t} s: vs share {vs_share}, vs slide {vs_slide}");
    }
    for t in [9.0, 22.0] {
        let frame = frame_at(out, t, W, H);
        let slide = expected(rec.path(), t);
        let vs_slide = differing(&frame, &slide, W, FULL, Some(CAM));
        assert!(vs_slide < 0.01, "{t} s: screen share should be off, vs slide {vs_slide}");
    }
}

#[test]
fn composite_shows_the_cursor_where_cursor_xml_puts_it() {
    let (rec, out, _) = composite();
    // cursor.xml: (0.65739, 0.36463) of the full 1600x900 slide from 3.3 s to 3.4 s, i.e.
    // pixel (841, 263) of the 1280x720 frame; hidden from 4.9 s on.
    let around = Area { x: 841 - 4, y: 263 - 4, w: 8, h: 8 };
    let red = |frame: &[u8]| {
        let mut n = 0;
        for y in around.y..around.y + around.h {
            for x in around.x..around.x + around.w {
                let i = ((y * W + x) * 3) as usize;
                n += usize::from(frame[i] > 170 && frame[i + 1] < 90 && frame[i + 2] < 90);
            }
        }
        n
    };
    let with = frame_at(out, 3.35, W, H);
    let without = frame_at(out, 6.0, W, H);
    assert!(red(&with) >= 16, "no cursor at 3.35 s: {} red pixels", red(&with));
    let slide = expected(rec.path(), 3.35);
    assert!(red(&slide) < 4, "the slide itself is red there: pick another test point");
    assert!(red(&without) < 4, "cursor still shown at 6 s: {} red pixels", red(&without));
}

#[test]
fn composite_has_webcam_picture_in_picture() {
    let (rec, out, _) = composite();
    let t = 50.0;
    let frame = frame_at(out, t, W, H);
    let cam = frame_at(&rec.path().join("video/webcams.webm"), t, 320, 240);
    let mut cam_in_frame = Vec::with_capacity(320 * 240 * 3);
    for y in CAM.y..CAM.y + CAM.h {
        let i = ((y * W + CAM.x) * 3) as usize;
        cam_in_frame.extend_from_slice(&frame[i..i + 320 * 3]);
    }
    let d = differing(&cam_in_frame, &cam, 320, Area { x: 0, y: 0, w: 320, h: 240 }, None);
    assert!(d < 0.05, "webcam corner differs from webcams.webm at {t} s: {d}");
}

#[test]
fn slides_and_audio_only_with_zoom_and_repeated_slide() {
    let rec = new_recording(Media { length: 160.0, webcams: false, audio_only: true, deskshare: false, slides: true });
    let out = rec.path().join("slides.mp4");
    let opts = RenderOptions { cursor: false, ..RenderOptions::default() };
    let report = render_dir(rec.path(), &out, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!((common::duration(&out) - report.duration_s).abs() <= 0.1);
    assert!((report.duration_s - 160.0).abs() < 0.05, "{}", report.duration_s);
    assert!(common::has_stream(&out, "audio"), "no audio");
    // deskshare.xml lists intervals but there is no video: said, not hidden.
    assert!(report.not_drawn.iter().any(|n| n.contains("screen share")), "{:?}", report.not_drawn);
    // 112 s: slide 3. 120 s: slide 2 shown again (image4), with the shapes of its own
    // canvas (timestamps 31–56 s). 151.5 s: zoomed in.
    for (t, other, area) in [(112.0, 57.0, FULL), (120.0, 8.0, ANNOTATIONS), (151.5, 150.0, FULL)] {
        assert_state(&out, rec.path(), t, other, (area, None), (0.01, 0.02));
    }
}

#[test]
fn missing_optional_files_still_render() {
    let rec = new_recording(Media { length: 12.0, webcams: false, audio_only: true, deskshare: false, slides: true });
    for f in ["panzooms.xml", "cursor.xml", "deskshare.xml", "metadata.xml"] {
        std::fs::remove_file(rec.path().join(f)).unwrap();
    }
    std::fs::remove_file(rec.path().join(format!("{}/slide-3.png", common::PRES))).unwrap();
    // A screen-share video without deskshare.xml cannot be placed in time: said, not shown.
    std::fs::create_dir_all(rec.path().join("deskshare")).unwrap();
    std::fs::write(rec.path().join("deskshare/deskshare.webm"), b"unused").unwrap();
    let out = rec.path().join("min.mp4");
    let report = render_dir(rec.path(), &out, &RenderOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!((common::duration(&out) - 12.0).abs() <= 0.1);
    assert!(common::has_stream(&out, "audio"));
    assert!(
        report.not_drawn.iter().any(|n| n.starts_with("deskshare/deskshare.webm (deskshare.xml has no intervals")),
        "{:?}",
        report.not_drawn
    );
    assert!(report.not_drawn.iter().any(|n| n.contains("slide-3.png")), "{:?}", report.not_drawn);
}

/// An 8 s recording whose `video/webcams.webm` ffmpeg makes from `inputs` + `codecs`, rendered.
fn with_webcams_file(inputs: &str, codecs: &str) -> (tempfile::TempDir, PathBuf, RenderReport) {
    let rec = new_recording(Media { length: 8.0, webcams: false, audio_only: false, deskshare: false, slides: true });
    std::fs::create_dir_all(rec.path().join("video")).unwrap();
    let cam = rec.path().join("video/webcams.webm");
    let args = format!("{inputs} -t 8 {codecs}");
    let mut args: Vec<&str> = args.split_whitespace().collect();
    args.push(cam.to_str().unwrap());
    common::ffmpeg(&args);
    let out = rec.path().join("w.mp4");
    let report = render_dir(rec.path(), &out, &RenderOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(common::has_stream(&out, "audio"));
    (rec, out, report)
}

#[test]
fn webcams_file_without_video_gives_audio_and_no_picture_in_picture() {
    let (rec, out, report) = with_webcams_file("-f lavfi -i sine=frequency=500", "-c:a libopus");
    assert!(report.notes.iter().any(|n| n == "audio from video/webcams.webm"), "{:?}", report.notes);
    let frame = frame_at(&out, 7.0, W, H);
    let d = differing(&frame, &expected(rec.path(), 7.0), W, FULL, None);
    assert!(d < 0.01, "webcam corner drawn although there is no webcam video: {d}");
}

#[test]
fn blank_webcam_video_gets_no_picture_in_picture() {
    let inputs = "-f lavfi -i color=c=white:s=640x480:r=15 -f lavfi -i sine=frequency=500";
    let (rec, out, report) = with_webcams_file(inputs, "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -c:a libopus");
    assert!(report.notes.iter().any(|n| n.contains("webcam video is blank")), "{:?}", report.notes);
    let frame = frame_at(&out, 7.0, W, H);
    let d = differing(&frame, &expected(rec.path(), 7.0), W, CAM, None);
    assert!(d < 0.01, "a blank webcam was drawn: {d}");
}

#[test]
fn corrupt_media_names_the_file() {
    let rec = new_recording(Media { length: 4.0, webcams: false, audio_only: false, deskshare: false, slides: false });
    std::fs::create_dir_all(rec.path().join("video")).unwrap();
    std::fs::write(rec.path().join("video/webcams.webm"), b"this is not a webm file").unwrap();
    let out = rec.path().join("x.mp4");
    let err = render_dir(rec.path(), &out, &RenderOptions::default()).unwrap_err().to_string();
    assert!(err.starts_with("video/webcams.webm: unreadable media"), "{err}");
    assert!(!err.contains('\n'));
    assert!(!out.exists());
}

#[test]
fn escaping_slide_hrefs_are_refused() {
    common::require_ffmpeg();
    for bad in ["../../../etc/secret.png", "/etc/secret.png", "presentation/../../secret.png"] {
        let rec =
            new_recording(Media { length: 4.0, webcams: false, audio_only: true, deskshare: false, slides: false });
        let shapes = std::fs::read_to_string(rec.path().join("shapes.svg")).unwrap();
        let href = format!("{}/slide-1.png", common::PRES);
        std::fs::write(rec.path().join("shapes.svg"), shapes.replacen(&href, bad, 1)).unwrap();
        let out = rec.path().join("x.mp4");
        let err = render_dir(rec.path(), &out, &RenderOptions::default()).unwrap_err().to_string();
        assert_eq!(err, format!("shapes.svg: refused path {bad:?}: it leaves the recording folder"));
        assert!(!out.exists());
    }
}

#[test]
fn tldraw_recording_draws_lists_what_is_not_drawn_and_zooms() {
    let rec = new_recording(Media { length: 6.0, webcams: false, audio_only: true, deskshare: false, slides: true });
    std::fs::write(
        rec.path().join("tldraw.json"),
        r#"{"bbb_version":"2.6.12","image1":{"timestamp":0.0,"shapes":[
            {"id":"s1","timestamp":1.0,"undo":-1,"shape_data":{"type":"draw","props":{}}},
            {"id":"s2","timestamp":2.0,"undo":-1,"shape_data":{"type":"spaceship","props":{"geo":"rectangle"}}}]}}"#,
    )
    .unwrap();
    // tldraw camera: point (-720, -405) page units at scale 0.9 = slide pixels (800, 450).
    let panzoom = |tldraw: &str, at2: &str| {
        format!(
            r#"<recording id="panzoom_events"{tldraw}><event timestamp="0.0"><viewBox>0 0 1600 900</viewBox></event><event timestamp="2.0"><viewBox>{at2}</viewBox></event></recording>"#
        )
    };
    let pz = rec.path().join("panzooms.xml");
    std::fs::write(&pz, panzoom(r#" tldraw="true""#, "-720.0 -405.0 800.0 450.0")).unwrap();
    let out = rec.path().join("t.mp4");
    let report = render_dir(rec.path(), &out, &RenderOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(common::has_stream(&out, "audio"));
    assert!(report.notes.iter().any(|n| n.contains("types drawn (shape versions): draw (1)")), "{:?}", report.notes);
    let unknown = "tldraw annotation type \"spaceship\" (1 shape versions): unknown shape type";
    assert!(report.not_drawn.iter().any(|n| n == unknown), "{:?}", report.not_drawn);
    let zoomed = expected(rec.path(), 3.0);
    assert!(differing(&zoomed, &expected(rec.path(), 1.0), W, FULL, None) > 0.3, "tldraw zoom not applied");
    let frame = frame_at(&out, 3.0, W, H);
    assert!(differing(&frame, &zoomed, W, FULL, None) < 0.01, "video does not show the zoomed slide");
    // The same view written the legacy way (slide pixels) rasterises identically.
    std::fs::write(&pz, panzoom("", "800 450 800 450")).unwrap();
    assert!(
        snapshot(rec.path(), 3.0, &RenderOptions::default()).unwrap().rgb == zoomed,
        "tldraw camera and legacy view box disagree"
    );
}

#[test]
fn missing_ffmpeg_is_a_clear_error() {
    let rec = tempfile::tempdir().unwrap();
    let opts = RenderOptions { ffmpeg: "/nonexistent/ffmpeg".into(), ..RenderOptions::default() };
    let err = render_dir(rec.path(), &rec.path().join("x.mp4"), &opts).unwrap_err().to_string();
    assert!(err.starts_with("ffmpeg: cannot run \"/nonexistent/ffmpeg\""), "{err}");
}
