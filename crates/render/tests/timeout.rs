//! The render time limit kills ffmpeg, and the work folders of renders that
//! were killed are removed by the next render. Alone in its test binary
//! because it points `TMPDIR` at a folder it watches.

mod common;

use std::path::Path;

use bbb_migrate_render::{remove_stale, render_dir, RenderOptions};
use common::entries;

#[test]
fn a_render_past_its_time_limit_kills_ffmpeg_and_stale_work_folders_go() {
    let common::Scratch { root, tmp: scratch, rec, out: outdir } = common::scratch();

    // Work folders: one of a killed render (lock file, nobody holds it), one of a
    // render still running (its lock held), one without a lock file made just now.
    for d in ["bbb-render-killed", "bbb-fetch-killed", "bbb-render-running", "bbb-render-new", "other"] {
        std::fs::create_dir_all(scratch.join(d).join("frames")).unwrap();
        std::fs::write(scratch.join(d).join("frames/0001.png"), b"x").unwrap();
    }
    for d in ["bbb-render-killed", "bbb-fetch-killed", "bbb-render-running"] {
        std::fs::write(scratch.join(d).join(".bbb-render.lock"), b"").unwrap();
    }
    let held = std::fs::File::open(scratch.join("bbb-render-running/.bbb-render.lock")).unwrap();
    held.lock().unwrap();
    let mut removed: Vec<String> =
        remove_stale().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    removed.sort();
    assert_eq!(removed, ["bbb-fetch-killed", "bbb-render-killed"]);
    assert_eq!(entries(&scratch), ["bbb-render-new", "bbb-render-running", "other"]);
    drop(held);
    for d in ["bbb-render-new", "bbb-render-running", "other"] {
        std::fs::remove_dir_all(scratch.join(d)).unwrap();
    }

    // An ffmpeg that hangs on encoding (its pid written down): killed at the limit.
    let pidfile = root.path().join("ffmpeg.pid");
    let fake = root.path().join("hanging-ffmpeg");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\ncase \"$1\" in -version) exec ffmpeg -version;; esac\necho $$ >> {}\nexec sleep 600\n",
            pidfile.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
    let opts = RenderOptions {
        ffmpeg: fake,
        // Long enough for the fake to start and write its pid after the probes, which run
        // while the states are rasterised (a few hundred ms on a loaded machine).
        timeout: Some(std::time::Duration::from_secs(3)),
        ..RenderOptions::default()
    };
    let out = outdir.join("talk.mp4");
    let err = render_dir(&rec, &out, &opts).unwrap_err().to_string();
    assert!(err.starts_with("ffmpeg: stopped: the render took longer than its time limit"), "{err}");
    let pids = std::fs::read_to_string(&pidfile).unwrap();
    assert!(!pids.trim().is_empty());
    for pid in pids.lines() {
        assert!(!Path::new(&format!("/proc/{pid}")).exists(), "ffmpeg {pid} still running");
    }
    assert!(entries(&outdir).is_empty(), "{:?}", entries(&outdir));
    assert!(entries(&scratch).is_empty(), "{:?}", entries(&scratch));
}
