//! `render = true`: the archived presentation rendered by the native renderer (Debian's
//! ffmpeg) and stored, verified, as `render/<recordID>.mp4`.
mod common;

use bbb_testserver::files::FileServer;
use common::*;
use plugin_api::sdk::SinkPlugin;
use plugin_api::OutcomeStatus;
use serde_json::json;
use std::process::Command;

/// A real 320×240 PNG made by ffmpeg.
fn png(colour: &str, dir: &std::path::Path) -> Vec<u8> {
    let out = dir.join(format!("{colour}.png"));
    let st = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", &format!("color=c={colour}:s=320x240"), "-frames:v", "1"])
        .arg(&out)
        .status()
        .expect("ffmpeg (Debian package) is needed: bash .ci/run installs it");
    assert!(st.success());
    std::fs::read(out).unwrap()
}

#[test]
fn render_adds_a_verified_mp4_from_the_archived_presentation() {
    let server = FileServer::start();
    let work = tempfile::tempdir().unwrap();
    let id = "5555555555555555555555555555555555555555-1700000000000";
    let p = format!("/presentation/{id}");
    server.put(
        &format!("{p}/metadata.xml"),
        b"<recording><id>x</id><playback><format>presentation</format><duration>4000</duration></playback></recording>",
    );
    server.put(
        &format!("{p}/shapes.svg"),
        br#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 800 600">
<image id="image1" class="slide" in="0" out="2" xlink:href="presentation/p1/slide-1.png" width="320" height="240" x="0" y="0"/>
<image id="image2" class="slide" in="2" out="4" xlink:href="presentation/p1/slide-2.png" width="320" height="240" x="0" y="0"/>
</svg>"#,
    );
    server.put(&format!("{p}/presentation/p1/slide-1.png"), &png("red", work.path()));
    server.put(&format!("{p}/presentation/p1/slide-2.png"), &png("blue", work.path()));
    let dir = tempfile::tempdir().unwrap();
    let settings = json!({"target": "arch", "min_free_bytes": 0, "render": true});
    let out =
        sink(dir.path(), settings.clone(), false).write(&[item(recording(&server, id, &["presentation"]))]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{}", out[0].detail);
    let root = dir.path().join("arch");
    let m = bbb_migrate_archive::Manifest::parse(&std::fs::read(root.join(id).join("manifest.json")).unwrap()).unwrap();
    assert!(m.notes.iter().all(|n| !n.contains("render failed")), "{:?}", m.notes);
    let mp4 = root.join(id).join(format!("render/{id}.mp4"));
    let entry = m.files.iter().find(|f| f.path == format!("render/{id}.mp4")).expect("render in manifest");
    let bytes = std::fs::read(&mp4).unwrap();
    assert_eq!((entry.size, entry.sha256.clone(), entry.url.as_str()), (bytes.len() as u64, sha256(&bytes), ""));
    // A real video (its length is the renderer's business: at least the first slide).
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"])
        .arg(&mp4)
        .output()
        .unwrap();
    let secs: f64 = String::from_utf8_lossy(&probe.stdout).trim().parse().unwrap();
    assert!(secs >= 1.9, "{secs}");
    assert!(verifier(dir.path(), settings).check().unwrap()[0].starts_with(&format!("OK {id}: ")));
}
