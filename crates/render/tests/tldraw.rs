//! tldraw whiteboards (BBB 2.7 tldraw v1, BBB 3.0 tldraw v2): the committed synthetic
//! fixtures of `testdata/presentation/tldraw/` with ffmpeg-generated slides and media are
//! rendered once each; decoded frames at known times are compared with the rasterised
//! expected state (`snapshot`) and with what the format says on its own: the palette
//! colour at the place the shape record puts it, shapes gone after their undo time, a
//! moved shape at its new place, the camera zoom, the cursor.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bbb_migrate_render::{render_dir, snapshot, RenderOptions, RenderReport};
use common::{differing, frame_at, Area};

const W: u32 = 1280;
const H: u32 = 720;
const FULL: Area = Area { x: 0, y: 0, w: W, h: H };
/// Webcam picture-in-picture corner (bottom right quarter-width).
const CAM: Area = Area { x: W - 320, y: H - 240, w: 320, h: 240 };

struct Rendered {
    rec: tempfile::TempDir,
    out: PathBuf,
    report: RenderReport,
}

fn render(name: &str) -> Rendered {
    common::require_ffmpeg();
    let rec = tempfile::tempdir().unwrap();
    common::make_tldraw_recording(rec.path(), name, None);
    let out = rec.path().join("out/video.mp4");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let report = render_dir(rec.path(), &out, &RenderOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    Rendered { rec, out, report }
}

fn v1() -> &'static Rendered {
    static CELL: OnceLock<Rendered> = OnceLock::new();
    CELL.get_or_init(|| render("bbb27-tldraw1"))
}

fn v2() -> &'static Rendered {
    static CELL: OnceLock<Rendered> = OnceLock::new();
    CELL.get_or_init(|| render("bbb30-tldraw2"))
}

/// Page units → frame pixels. bbb27: 1600×900 slides, page scale s = 0.9, frame scale
/// 0.8. bbb30: 1024×768 slides, s = 1.40625, frame scale 0.9375, centred (160 px bars).
fn at27(x: f64, y: f64) -> (u32, u32) {
    ((x / 0.9 * 0.8).round() as u32, (y / 0.9 * 0.8).round() as u32)
}

fn at30(x: f64, y: f64) -> (u32, u32) {
    ((x / 1.40625 * 0.9375 + 160.0).round() as u32, (y / 1.40625 * 0.9375).round() as u32)
}

fn rgb(hex: u32) -> [u8; 3] {
    [(hex >> 16) as u8, (hex >> 8) as u8, hex as u8]
}

/// Pixels of `frame` in the page rectangle `(x0, y0)–(x1, y1)` (through `to_px`) within
/// `tol` of `colour`.
fn count(frame: &[u8], to_px: fn(f64, f64) -> (u32, u32), rect: [f64; 4], colour: u32, tol: u8) -> usize {
    let ((x0, y0), (x1, y1)) = (to_px(rect[0], rect[1]), to_px(rect[2], rect[3]));
    let mut n = 0;
    for y in y0..y1.min(H) {
        for x in x0..x1.min(W) {
            n += usize::from(common::near(common::pixel(frame, W, x, y), rgb(colour), tol));
        }
    }
    n
}

/// The video frame at `t` matches the rasterised state at `t` (outside `skip`).
fn matches_snapshot(r: &Rendered, t: f64, skip: Option<Area>) {
    let frame = frame_at(&r.out, t, W, H);
    let expected = snapshot(r.rec.path(), t, &RenderOptions::default()).unwrap().rgb;
    let d = differing(&frame, &expected, W, FULL, skip);
    assert!(d < 0.01, "{t} s: frame differs from the expected state in {d} of the blocks");
}

fn frame(r: &Rendered, t: f64) -> Vec<u8> {
    frame_at(&r.out, t, W, H)
}

#[test]
fn v1_report_says_every_type_is_drawn() {
    let r = v1();
    assert!(r.report.not_drawn.is_empty(), "{:?}", r.report.not_drawn);
    let drawn = r.report.notes.iter().find(|n| n.starts_with("tldraw.json annotation types drawn")).unwrap();
    for kind in ["draw", "rectangle", "ellipse", "triangle", "arrow", "text", "sticky"] {
        assert!(drawn.contains(&format!("{kind} (")), "{kind} missing from {drawn}");
    }
    assert_eq!(r.report.slides, 3);
}

#[test]
fn v1_frames_match_the_expected_states() {
    let r = v1();
    // The webcam corner is skipped; the cursor (a 12 px dot, when shown) is within the
    // tolerance. 33 s is zoomed, 47 s is slide 1 shown again.
    for t in [2.2, 3.5, 13.0, 16.0, 28.0, 33.0, 47.0, 55.0] {
        matches_snapshot(r, t, Some(CAM));
    }
}

#[test]
fn v1_shapes_have_their_palette_colour_where_the_record_puts_them() {
    let r = v1();
    let f = frame(r, 13.0);
    let tol = 40;
    // (what, page rectangle, colour): tldraw v1 palette.
    let cases: [(&str, [f64; 4], u32); 9] = [
        ("draw red", [100.0, 100.0, 500.0, 190.0], 0xFF2133),
        ("rectangle blue", [590.0, 90.0, 910.0, 310.0], 0x1C7ED6),
        ("ellipse green stroke", [100.0, 290.0, 400.0, 490.0], 0x36B24D),
        // Filled: green 82 % of the way to #FAFAFA, at the ellipse's centre (250, 390).
        ("ellipse fill", [240.0, 380.0, 260.0, 400.0], 0xD7EDDB),
        ("triangle orange", [440.0, 300.0, 760.0, 560.0], 0xFF9433),
        ("arrow violet", [1040.0, 440.0, 1090.0, 490.0], 0x7746F1),
        ("line black", [100.0, 550.0, 600.0, 570.0], 0x1D1D1D),
        // Yellow 45 % of the way to #FAFAFA.
        ("sticky", [1160.0, 420.0, 1340.0, 510.0], 0xFDDF8E),
        ("cyan draw", [700.0, 620.0, 1000.0, 700.0], 0x0E98AD),
    ];
    for (what, rect, colour) in cases {
        let n = count(&f, at27, rect, colour, tol);
        assert!(n >= 20, "{what}: {n} pixels of #{colour:06X} at 13 s");
    }
    // Text "Hello BBB": dark glyph pixels at (100, 610) + padding.
    assert!(count(&f, at27, [100.0, 610.0, 400.0, 690.0], 0x1D1D1D, 60) >= 50, "text");
    // Before 12 s there is no cyan; the freehand line grows between 2.2 s and 3.5 s.
    assert!(count(&frame(r, 11.5), at27, [700.0, 620.0, 1000.0, 700.0], 0x0E98AD, tol) < 5);
    let right = [330.0, 100.0, 500.0, 190.0];
    assert!(count(&frame(r, 2.2), at27, right, 0xFF2133, tol) < 5, "line already complete at 2.2 s");
    assert!(count(&frame(r, 3.5), at27, right, 0xFF2133, tol) >= 20, "line not grown at 3.5 s");
}

#[test]
fn v1_deleted_shapes_go_and_moved_shapes_move() {
    let r = v1();
    let cyan = [700.0, 620.0, 1000.0, 700.0];
    // The cyan scribble is undone at 14 s.
    assert!(count(&frame(r, 13.0), at27, cyan, 0x0E98AD, 40) >= 20);
    assert!(count(&frame(r, 14.5), at27, cyan, 0x0E98AD, 40) < 5, "undone shape still shown");
    // The rectangle moves at 15 s from (600, 100) 300×200 to (950, 60) 400×220.
    let (old_edge, new_edge) = ([590.0, 150.0, 612.0, 250.0], [940.0, 120.0, 962.0, 220.0]);
    let (before, after) = (frame(r, 14.5), frame(r, 16.0));
    assert!(count(&before, at27, old_edge, 0x1C7ED6, 40) >= 20 && count(&before, at27, new_edge, 0x1C7ED6, 40) < 5);
    assert!(count(&after, at27, old_edge, 0x1C7ED6, 40) < 5, "rectangle still at its old place");
    assert!(count(&after, at27, new_edge, 0x1C7ED6, 40) >= 20, "rectangle not at its new place");
    // Slide 1 shown again (image3) from 40 s keeps its shapes; the ellipse and triangle
    // are erased at 52 s; a new indigo line appears at 45 s.
    let fill = [240.0, 380.0, 260.0, 400.0];
    assert!(count(&frame(r, 47.0), at27, fill, 0xD7EDDB, 30) >= 100);
    assert!(count(&frame(r, 53.0), at27, fill, 0xD7EDDB, 30) < 5, "erased ellipse still shown");
    assert!(count(&frame(r, 47.0), at27, [560.0, 600.0, 680.0, 720.0], 0x4263EB, 40) >= 20, "indigo line");
}

#[test]
fn v1_camera_zoom_and_cursor() {
    let r = v1();
    // Slide 2: a red-filled square at (800, 200) 300×300; its centre (950, 350).
    // Filled: red 82 % of the way to #FAFAFA.
    let pink = 0xFBD3D6;
    let pink_at = |f: &[u8], p: (u32, u32)| common::near(common::mean(f, W, p, 3), rgb(pink), 30);
    let plain = frame(r, 28.0);
    assert!(pink_at(&plain, at27(1050.0, 450.0)));
    // From 30 s the camera shows page (360, 202.5)–(1080, 607.5): 2× zoom. Frame pixel
    // (1200, 100) is page (1350, 112.5) unzoomed (outside the square) and page
    // (1035, 258.75) zoomed (inside).
    assert!(!pink_at(&plain, (1200, 100)));
    assert!(pink_at(&frame(r, 33.0), (1200, 100)), "zoomed square not where the camera puts it");
    assert!(!pink_at(&frame(r, 37.0), (1200, 100)), "zoom not reset at 36 s");
    // Cursor (720, 405) page units from 20 s: the frame centre; red dot over the slide.
    let p = at27(720.0, 405.0);
    let m = common::mean(&frame(r, 21.0), W, p, 2);
    assert!(m[0] > 170 && m[1] < 90 && m[2] < 90, "no cursor at {p:?}: {m:?}");
    let s = snapshot(r.rec.path(), 21.0, &RenderOptions::default()).unwrap().rgb;
    assert!(common::mean(&s, W, p, 2)[1] > 90, "the slide itself is red there");
}

#[test]
fn v2_report_says_every_type_is_drawn() {
    let r = v2();
    assert!(r.report.not_drawn.is_empty(), "{:?}", r.report.not_drawn);
    let drawn = r.report.notes.iter().find(|n| n.starts_with("tldraw.json annotation types drawn")).unwrap();
    for kind in [
        "draw",
        "geo/rectangle",
        "geo/ellipse",
        "geo/triangle",
        "geo/diamond",
        "arrow",
        "line",
        "text",
        "note",
        "highlight",
    ] {
        assert!(drawn.contains(&format!("{kind} (")), "{kind} missing from {drawn}");
    }
}

#[test]
fn v2_frames_match_the_expected_states() {
    let r = v2();
    // Cursor hidden at 16 s (no: shown at (1000, 1000)); skip it. 28 s: the slide shown
    // again; 36 s: slide 2; 42 s: zoomed (cursor at (880, 480)).
    let cursor = |(x, y): (u32, u32)| Some(Area { x: x - 20, y: y - 20, w: 40, h: 40 });
    matches_snapshot(r, 16.0, cursor(at30(1000.0, 1000.0)));
    matches_snapshot(r, 3.5, cursor(at30(1000.0, 1000.0)));
    matches_snapshot(r, 31.0, cursor(at30(720.0, 540.0)));
    matches_snapshot(r, 36.0, cursor(at30(300.0, 300.0)));
    matches_snapshot(r, 42.0, Some(Area { x: 620, y: 240, w: 380, h: 200 }));
}

#[test]
fn v2_shapes_have_their_palette_colour_where_the_record_puts_them() {
    let r = v2();
    let f = frame(r, 16.0);
    // tldraw v2 palette (what BBB's player draws with).
    let cases: [(&str, [f64; 4], u32, u8); 8] = [
        ("draw red", [80.0, 80.0, 560.0, 200.0], 0xE03131, 40),
        // Moved at 12 s to (1000, 60) 380×260: its left edge.
        ("rectangle blue", [990.0, 80.0, 1010.0, 300.0], 0x4263EB, 50),
        // fill solid = the light shade, at the centre (230, 400).
        ("ellipse fill", [200.0, 380.0, 260.0, 420.0], 0xD3E9E3, 20),
        ("triangle orange", [430.0, 300.0, 720.0, 600.0], 0xF76707, 50),
        // fill semi = near-white paper, at the centre (860, 420).
        ("diamond fill", [840.0, 400.0, 880.0, 440.0], 0xFCFFFE, 20),
        // Note: the yellow solid colour lightened by a quarter.
        ("note", [1170.0, 710.0, 1330.0, 770.0], 0xFFD09A, 25),
        // Highlighter: #FDDD00 at 35 % over the slide colour #8FA3A8.
        ("highlight", [80.0, 850.0, 320.0, 870.0], 0xB6B76D, 25),
        ("draw light-red", [700.0, 760.0, 1000.0, 840.0], 0xFF8787, 40),
    ];
    for (what, rect, colour, tol) in cases {
        let n = count(&f, at30, rect, colour, tol);
        assert!(n >= 20, "{what}: {n} pixels of #{colour:06X} at 16 s");
    }
    // The arrow (black, from (1000, 420) to (1300, 570)) and the line (y = 600).
    assert!(count(&f, at30, [1100.0, 440.0, 1250.0, 560.0], 0x1D1D1D, 70) >= 20, "arrow");
    assert!(count(&f, at30, [100.0, 590.0, 650.0, 610.0], 0x1D1D1D, 70) >= 50, "line");
    // Text "Hello BBB" at (80, 680).
    assert!(count(&f, at30, [80.0, 680.0, 300.0, 740.0], 0x1D1D1D, 70) >= 50, "text");
}

#[test]
fn v2_deleted_moved_and_zoomed() {
    let r = v2();
    let red = [700.0, 760.0, 1000.0, 840.0];
    assert!(count(&frame(r, 16.0), at30, red, 0xFF8787, 40) >= 20);
    assert!(count(&frame(r, 17.5), at30, red, 0xFF8787, 40) < 5, "undone at 17 s, still shown");
    // Rectangle at (700, 80) until 12 s, then at (1000, 60).
    let old_edge = [690.0, 120.0, 712.0, 260.0];
    assert!(count(&frame(r, 11.0), at30, old_edge, 0x4263EB, 50) >= 20);
    assert!(count(&frame(r, 13.0), at30, old_edge, 0x4263EB, 50) < 5, "rectangle not moved");
    // Screen share 20–26 s: no annotations drawn over it.
    assert!(count(&frame(r, 23.0), at30, [200.0, 380.0, 260.0, 420.0], 0xD3E9E3, 12) < 20);
    // Slide 1 again from 26 s; the ellipse is erased at 30 s.
    let fill = [200.0, 380.0, 260.0, 420.0];
    assert!(count(&frame(r, 28.0), at30, fill, 0xD3E9E3, 20) >= 20);
    assert!(count(&frame(r, 31.0), at30, fill, 0xD3E9E3, 20) < 5, "erased ellipse still shown");
    // Slide 2: solid red square (800, 300) 300×300, centre (950, 450); camera 2× on
    // page (360, 270)–(1080, 810) from 40 s to 45 s.
    let pink = rgb(0xF4DADB);
    let plain = frame(r, 36.0);
    assert!(common::near(common::mean(&plain, W, at30(950.0, 450.0), 3), pink, 20));
    let zoomed = frame(r, 42.0);
    let z = |x: f64, y: f64| (((x - 360.0) * 4.0 / 3.0 + 160.0) as u32, ((y - 270.0) * 4.0 / 3.0) as u32);
    assert!(common::near(common::mean(&zoomed, W, z(1000.0, 400.0), 3), pink, 20), "zoom not applied");
    assert!(!common::near(common::mean(&zoomed, W, z(700.0, 400.0), 3), pink, 20), "zoom not applied");
}

#[test]
fn rendering_writes_only_the_output() {
    let r = v2();
    let listing = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    };
    assert_eq!(listing(r.out.parent().unwrap()), vec!["video.mp4".to_string()]);
}

/// A folder with one 1440×1080 slide (page scale 1: page units are slide pixels; the
/// image itself is absent, so the slide is white) and `tldraw.json` holding `shapes`.
fn synthetic(shapes: &[serde_json::Value]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image id="image1" class="slide" in="0.0" out="10.0" xlink:href="presentation/p/svgs/slide1.svg" width="1440" height="1080"/></svg>"#;
    std::fs::write(dir.path().join("shapes.svg"), svg).unwrap();
    let records: Vec<serde_json::Value> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| serde_json::json!({"id": i, "timestamp": 1.0, "undo": -1, "shape_data": s}))
        .collect();
    let json = serde_json::json!({"bbb_version": "3.0.4", "1": {"timestamp": 0.0, "shapes": records}});
    std::fs::write(dir.path().join("tldraw.json"), json.to_string()).unwrap();
    dir
}

/// Page point → frame pixel for `synthetic` (1440×1080 shown 960×720, centred).
fn at_page(x: f64, y: f64) -> (u32, u32) {
    ((160.0 + x * 2.0 / 3.0).round() as u32, (y * 2.0 / 3.0).round() as u32)
}

fn geo(id: usize, kind: &str, (x, y): (f64, f64), (w, h): (f64, f64), colour: &str) -> serde_json::Value {
    serde_json::json!({"id": format!("shape:{id}"), "type": "geo", "x": x, "y": y, "rotation": 0, "opacity": 1,
        "parentId": "page:1", "index": format!("a{id}"),
        "props": {"geo": kind, "w": w, "h": h, "color": colour, "fill": "solid", "dash": "solid", "size": "m", "text": ""}})
}

#[test]
fn every_v2_geo_kind_is_filled_with_its_palette_shade_where_it_is() {
    let kinds = [
        "rectangle",
        "ellipse",
        "oval",
        "triangle",
        "diamond",
        "rhombus",
        "rhombus-2",
        "trapezoid",
        "pentagon",
        "hexagon",
        "octagon",
        "star",
        "cloud",
        "x-box",
        "check-box",
        "arrow-left",
        "arrow-right",
        "arrow-up",
        "arrow-down",
    ];
    let cell = |i: usize| ((i % 5) as f64 * 200.0 + 25.0, (i / 5) as f64 * 200.0 + 25.0);
    let mut shapes: Vec<serde_json::Value> =
        kinds.iter().enumerate().map(|(i, k)| geo(i, k, cell(i), (150.0, 150.0), "red")).collect();
    // A frame at (1100, 100) 200×200 with a child 300×100 at (50, 50) inside it: the child
    // is placed relative to the frame and clipped to it.
    shapes.push(serde_json::json!({"id": "shape:frame", "type": "frame", "x": 1100, "y": 100, "index": "b1",
        "parentId": "page:1", "props": {"w": 200, "h": 200, "name": "F"}}));
    let mut child = geo(90, "rectangle", (50.0, 50.0), (300.0, 100.0), "green");
    child["parentId"] = "shape:frame".into();
    child["index"] = "b2".into();
    shapes.push(child);
    shapes.push(serde_json::json!({"id": "shape:img", "type": "image", "x": 0, "y": 0, "index": "b3", "parentId": "page:1", "props": {}}));
    shapes.push(serde_json::json!({"id": "shape:poll", "type": "poll", "x": 1050, "y": 600, "index": "b4", "parentId": "page:1",
        "props": {"w": 350, "h": 250, "question": "Q?", "answers": [{"key": "A", "numVotes": 3}, {"key": "B", "numVotes": 1}]}}));
    let rec = synthetic(&shapes);
    let f = snapshot(rec.path(), 2.0, &RenderOptions::default()).unwrap().rgb;
    // fill "solid" = the colour's light shade: red → #F4DADB.
    let light_red = rgb(0xF4DADB);
    for (i, kind) in kinds.iter().enumerate() {
        let (x, y) = cell(i);
        let (fx, fy) = match *kind {
            "x-box" => (0.5, 0.8),
            "check-box" => (0.75, 0.75),
            "star" => (0.5, 0.55),
            _ => (0.5, 0.6),
        };
        let p = at_page(x + 150.0 * fx, y + 150.0 * fy);
        let got = common::mean(&f, W, p, 1);
        assert!(common::near(got, light_red, 6), "{kind}: {got:?} at {p:?}");
        // The cell's corner outside the shape stays white (for the kinds that do not fill
        // their box).
        if !matches!(*kind, "rectangle" | "x-box" | "check-box") {
            // (rhombus-2 leans the other way: its top-left corner is filled, not its top-right.)
            let cx = if *kind == "rhombus-2" { x + 146.0 } else { x + 4.0 };
            let corner = common::mean(&f, W, at_page(cx, y + 4.0), 1);
            assert!(common::near(corner, [255, 255, 255], 6), "{kind} fills its whole box: {corner:?}");
        }
    }
    let green = rgb(0xD3E9E3);
    assert!(common::near(common::mean(&f, W, at_page(1250.0, 200.0), 1), green, 6), "frame child not placed");
    assert!(
        common::near(common::mean(&f, W, at_page(1350.0, 200.0), 1), [255, 255, 255], 6),
        "frame child not clipped"
    );
    let poll_blue = count(&f, at_page, [1050.0, 600.0, 1400.0, 850.0], 0x4263EB, 10);
    assert!(poll_blue > 200, "poll bars: {poll_blue}");
}
