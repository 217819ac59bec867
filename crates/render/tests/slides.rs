//! Slide and annotation formats, checked on the rasterised frames (no encoding): JPEG
//! slides, SVG slides (BBB ≥ 2.6 `svgs/slideN.svg`) and poll results (an SVG image
//! referenced from a shape).

mod common;

use bbb_migrate_render::{snapshot, RenderOptions};

fn pixel(rgb: &[u8], x: u32, y: u32) -> [u8; 3] {
    let i = ((y * 1280 + x) * 3) as usize;
    [rgb[i], rgb[i + 1], rgb[i + 2]]
}

fn near(p: [u8; 3], want: [u8; 3]) -> bool {
    p.iter().zip(want).all(|(a, b)| a.abs_diff(b) < 24)
}

#[test]
fn jpeg_and_svg_slides_and_poll_images() {
    common::require_ffmpeg();
    let rec = tempfile::tempdir().unwrap();
    let dir = rec.path();
    common::make_recording(
        dir,
        common::Media { length: 1.0, webcams: false, audio_only: false, deskshare: false, slides: false },
    );
    let pres = dir.join(common::PRES);
    std::fs::create_dir_all(pres.join("svgs")).unwrap();
    let jpg = pres.join("slide-1.jpg");
    common::ffmpeg(&["-f", "lavfi", "-i", "color=c=0x2040c0:s=1600x900", "-frames:v", "1", jpg.to_str().unwrap()]);
    std::fs::write(
        pres.join("svgs/slide2.svg"),
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="900" viewBox="0 0 1600 900"><rect width="1600" height="900" fill="#20c040"/></svg>"##,
    )
    .unwrap();
    std::fs::write(
        pres.join("poll_result1.svg"),
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="#c020c0"/></svg>"##,
    )
    .unwrap();
    let shapes = std::fs::read_to_string(dir.join("shapes.svg")).unwrap();
    let poll = format!(
        r##"<g class="canvas" id="canvas2" image="image2" display="none">
    <g class="shape" id="image2-draw999" timestamp="7.0" undo="-1" shape="image2-poll_result1" style="visibility:hidden">
      <rect x="100" y="100" width="400" height="300" style="fill:#ffffff;stroke:#333333;stroke-width:2"/>
      <image xlink:href="{}/poll_result1.svg" x="100" y="100" width="400" height="300"/>
    </g>"##,
        common::PRES
    );
    let shapes = shapes
        .replacen(&format!("{}/slide-1.png", common::PRES), &format!("{}/slide-1.jpg", common::PRES), 1)
        .replacen(&format!("{}/slide-2.png", common::PRES), &format!("{}/svgs/slide2.svg", common::PRES), 1)
        .replacen(r#"<g class="canvas" id="canvas2" image="image2" display="none">"#, &poll, 1);
    std::fs::write(dir.join("shapes.svg"), shapes).unwrap();

    let opts = RenderOptions::default();
    let jpeg_slide = snapshot(dir, 3.0, &opts).unwrap();
    assert!(near(pixel(&jpeg_slide.rgb, 640, 360), [0x20, 0x40, 0xc0]), "{:?}", pixel(&jpeg_slide.rgb, 640, 360));
    let svg_slide = snapshot(dir, 6.5, &opts).unwrap();
    assert!(near(pixel(&svg_slide.rgb, 640, 360), [0x20, 0xc0, 0x40]), "{:?}", pixel(&svg_slide.rgb, 640, 360));
    // Poll image (slide pixels 100..500 × 100..400 → output 80..400 × 80..320) from 7 s on.
    assert!(near(pixel(&svg_slide.rgb, 240, 200), [0x20, 0xc0, 0x40]));
    let with_poll = snapshot(dir, 7.5, &opts).unwrap();
    assert!(near(pixel(&with_poll.rgb, 240, 200), [0xc0, 0x20, 0xc0]), "{:?}", pixel(&with_poll.rgb, 240, 200));
    // Annotations off: the poll is not drawn.
    let bare = snapshot(dir, 7.5, &RenderOptions { annotations: false, ..opts }).unwrap();
    assert!(near(pixel(&bare.rgb, 240, 200), [0x20, 0xc0, 0x40]));
}
