//! `bbb-migrate render --audio aac|keep` through the real binary: the sound track of the
//! output, read back with ffprobe, is the one the option asks for (AAC encoded from the
//! source's Vorbis/Opus, or the source's Opus copied as it is).

use std::path::Path;
use std::process::Command;

/// The render crate's test recordings (fixture files + media made by ffmpeg), reused as is.
#[path = "../../crates/render/tests/common/mod.rs"]
mod render_fixture;

fn audio_codecs(file: &Path) -> Vec<String> {
    let probe = render_fixture::probe(file);
    probe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["codec_type"] == "audio")
        .map(|s| s["codec_name"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn render_audio_option_sets_the_sound_codec() {
    render_fixture::require_ffmpeg();
    let rec = tempfile::tempdir().unwrap();
    render_fixture::make_tldraw_recording(rec.path(), "bbb30-tldraw2", Some(3.0));
    let out_dir = tempfile::tempdir().unwrap();
    for (option, codec) in [("keep", "opus"), ("aac", "aac")] {
        let out = out_dir.path().join(format!("{option}.mp4"));
        let o = Command::new(env!("CARGO_BIN_EXE_bbb-migrate"))
            .env_remove("BBB_MIGRATE_PLUGIN_PATH")
            .args(["render", "--slides-only", "--chat", "off", "--audio", option, "--input"])
            .arg(rec.path())
            .arg("--output")
            .arg(&out)
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        assert!(o.status.success(), "--audio {option}: {text}");
        assert_eq!(audio_codecs(&out), [codec], "--audio {option}: {text}");
    }
}
