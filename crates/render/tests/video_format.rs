//! The `video` format's captions and chat kept with a copy of its video
//! (`keep_video_extras`): caption tracks muxed into the file (streams copied), sidecars
//! beside it; a second run leaves the muxed file as it is; a container without subtitle
//! tracks keeps the sidecars and says so. Read back with ffprobe/ffmpeg.

mod common;

use std::path::Path;

use bbb_migrate_render::{keep_video_extras, RenderOptions};

/// A published `video` folder: captions (en, and it which is not WebVTT) and the chat.
fn published() -> tempfile::TempDir {
    common::require_ffmpeg();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("captions.json"), r#"[{"locale":"en","localeName":"English"},{"locale":"it"}]"#).unwrap();
    std::fs::write(p.join("caption_en.vtt"), "WEBVTT\n\n00:00:00.200 --> 00:00:00.800\nGood morning\n").unwrap();
    std::fs::write(p.join("caption_it.vtt"), "<html>404</html>").unwrap();
    let chat = r#"<popcorn><chattimeline in="0.5" name="Ana" message="hi &lt;br/&gt;all" target="chat"/></popcorn>"#;
    std::fs::write(p.join("video.xml"), chat).unwrap();
    dir
}

fn make_video(out: &Path) {
    let codec: &[&str] = match out.extension().and_then(|e| e.to_str()) {
        Some("webm") => &["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"],
        _ => &["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"],
    };
    let mut args = vec!["-f", "lavfi", "-i", "testsrc=size=64x48:rate=5", "-f", "lavfi", "-i", "sine", "-t", "1"];
    args.extend(codec);
    args.push(out.to_str().unwrap());
    common::ffmpeg(&args);
}

fn streams(file: &Path) -> Vec<(String, String, String)> {
    let p = common::probe(file);
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    p["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (s(&v["codec_type"]), s(&v["codec_name"]), s(&v["tags"]["language"])))
        .collect()
}

#[test]
fn webm_gets_its_caption_tracks_once_and_the_sidecars() {
    let src = published();
    let out = tempfile::tempdir().unwrap();
    let video = out.path().join("talk.webm");
    make_video(&video);
    let report = keep_video_extras(src.path(), &video, &RenderOptions::default()).unwrap();
    let subs: Vec<_> = streams(&video).into_iter().filter(|s| s.0 == "subtitle").collect();
    assert_eq!(subs, [("subtitle".into(), "webvtt".into(), "eng".into())], "{report:?}");
    assert_eq!(report.caption_tracks, ["en"]);
    assert!(report.not_drawn.contains(&"captions it: caption_it.vtt is not WebVTT".to_string()), "{report:?}");
    assert_eq!(report.output_size, std::fs::metadata(&video).unwrap().len());
    let names: Vec<String> = common::entries(out.path());
    assert_eq!(names, ["talk.chat.txt", "talk.chat.vtt", "talk.en.vtt", "talk.webm"]);
    assert_eq!(std::fs::read_to_string(out.path().join("talk.chat.txt")).unwrap(), "[0:00:00] Ana: hi\n    all\n");

    // Run again (an earlier run stopped before its end): the tracks are not added twice.
    let size = report.output_size;
    let again = keep_video_extras(src.path(), &video, &RenderOptions::default()).unwrap();
    assert_eq!(std::fs::metadata(&video).unwrap().len(), size);
    assert!(again.notes.iter().any(|n| n.contains("has 1 subtitle track(s) already")), "{again:?}");
}

#[test]
fn a_container_without_subtitle_tracks_keeps_the_sidecars() {
    let src = published();
    let out = tempfile::tempdir().unwrap();
    let video = out.path().join("talk.mkv");
    make_video(&video);
    let before = std::fs::read(&video).unwrap();
    let report = keep_video_extras(src.path(), &video, &RenderOptions::default()).unwrap();
    assert_eq!(std::fs::read(&video).unwrap(), before, "left as it is");
    assert!(report.not_drawn.iter().any(|n| n.starts_with("caption tracks not muxed: ")), "{report:?}");
    assert!(report.caption_tracks.is_empty());
    assert!(out.path().join("talk.en.vtt").is_file() && out.path().join("talk.chat.vtt").is_file());
}
