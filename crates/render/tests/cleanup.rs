//! Failures leave nothing behind: no output file under the final name, no partial file
//! beside it, no temporary files. Alone in its test binary because it points `TMPDIR`
//! at a folder it watches.

mod common;

use bbb_migrate_render::{render_dir, RenderOptions};
use common::entries;

#[test]
fn failures_leave_no_output_and_no_temp_files() {
    // Only this test runs in this process; temp files of the renderer now land in `scratch`.
    let common::Scratch { root, tmp: scratch, rec, out: outdir } = common::scratch();
    let out = outdir.join("talk.mp4");

    // 1. A corrupt shapes.svg: one-line error naming the file and the line.
    let good = std::fs::read_to_string(rec.join("shapes.svg")).unwrap();
    std::fs::write(rec.join("shapes.svg"), &good[..3000]).unwrap();
    let err = render_dir(&rec, &out, &RenderOptions::default()).unwrap_err().to_string();
    assert!(err.starts_with("shapes.svg: malformed XML at line "), "{err}");
    assert!(!err.contains('\n'), "{err}");
    assert!(entries(&outdir).is_empty(), "{:?}", entries(&outdir));
    assert!(entries(&scratch).is_empty(), "{:?}", entries(&scratch));
    std::fs::write(rec.join("shapes.svg"), &good).unwrap();

    // 2. ffmpeg dies after writing part of the output (frames were already rasterised).
    let fake = root.path().join("failing-ffmpeg");
    std::fs::write(
        &fake,
        "#!/bin/sh\ncase \"$1\" in -version) exec ffmpeg -version;; esac\nfor last; do :; done\necho partial > \"$last\"\nexit 1\n",
    )
    .unwrap();
    std::process::Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
    let opts = RenderOptions { ffmpeg: fake, ..RenderOptions::default() };
    let err = render_dir(&rec, &out, &opts).unwrap_err().to_string();
    assert!(err.starts_with("ffmpeg: encoding failed"), "{err}");
    assert!(entries(&outdir).is_empty(), "partial output left: {:?}", entries(&outdir));
    assert!(entries(&scratch).is_empty(), "temp files left: {:?}", entries(&scratch));

    // 3. Success: exactly the output, nothing else, anywhere. Frames go to ffmpeg as PNG
    // here (raw-frame budget 0), as for recordings with very many states.
    std::env::set_var("BBB_RENDER_RAW_BUDGET_MB", "0");
    let keep = std::env::var_os("BBB_RENDER_KEEP_WORK");
    assert!(keep.is_none(), "unset BBB_RENDER_KEEP_WORK for this test");
    let report = render_dir(&rec, &out, &RenderOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(report.notes.iter().any(|n| n.contains("(PNG frames)")), "{:?}", report.notes);
    assert_eq!(entries(&outdir), vec!["talk.mp4".to_string()]);
    assert!(entries(&scratch).is_empty(), "temp files left: {:?}", entries(&scratch));
    assert!((common::duration(&out) - 6.0).abs() <= 0.1);
    // The PNG frames show the right slide: slide 1 at 3 s, not slide 2.
    let frame = common::frame_at(&out, 3.0, 1280, 720);
    let opts = RenderOptions::default();
    let want = bbb_migrate_render::snapshot(&rec, 3.0, &opts).unwrap().rgb;
    let other = bbb_migrate_render::snapshot(&rec, 8.0, &opts).unwrap().rgb;
    let full = common::Area { x: 0, y: 0, w: 1280, h: 720 };
    assert!(common::differing(&frame, &want, 1280, full, None) < 0.01);
    assert!(common::differing(&frame, &other, 1280, full, None) > 0.3);
}
