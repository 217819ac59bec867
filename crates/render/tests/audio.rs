//! The sound track: AAC by default (encoded from Opus/Vorbis, copied when the source is
//! AAC already), the source's Opus copied as it is with `AudioMode::Keep`. Read back
//! with ffprobe (codec, length) and compared, decoded, with the source.

mod common;

use std::path::Path;
use std::process::Command;

use bbb_migrate_render::{render_dir, AudioMode, RenderOptions, RenderReport};

const LENGTH: f64 = 6.0;

/// A 6 s copy of the BBB 3.0 fixture (sound in `audio/audio.ogg` (Vorbis) and
/// `audio/audio.webm` (Opus), a screen share).
fn recording() -> tempfile::TempDir {
    common::require_ffmpeg();
    let rec = tempfile::tempdir().unwrap();
    common::make_tldraw_recording(rec.path(), "bbb30-tldraw2", Some(LENGTH));
    rec
}

fn render(rec: &Path, opts: &RenderOptions) -> (std::path::PathBuf, RenderReport) {
    let out = rec.join("out/talk.mp4");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let report = render_dir(rec, &out, opts).unwrap_or_else(|e| panic!("{e}"));
    (out, report)
}

fn slides_only(audio: AudioMode) -> RenderOptions {
    RenderOptions { webcams: false, deskshare: false, cursor: false, audio, ..RenderOptions::default() }
}

fn audio_codec(file: &Path) -> String {
    let probe = common::probe(file);
    let streams = probe["streams"].as_array().unwrap();
    let audio: Vec<_> = streams.iter().filter(|s| s["codec_type"] == "audio").collect();
    assert_eq!(audio.len(), 1, "{}: {audio:?}", file.display());
    audio[0]["codec_name"].as_str().unwrap().to_string()
}

/// The first `secs` seconds of the first audio stream, decoded to 48 kHz mono samples.
fn pcm(file: &Path, secs: f64) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
        .arg(file)
        .args(["-map", "0:a:0", "-t", &secs.to_string(), "-ac", "1", "-ar", "48000", "-f", "s16le", "-"])
        .output()
        .expect("run ffmpeg");
    assert!(out.status.success(), "{}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn check_length(out: &Path, report: &RenderReport) {
    assert!((report.duration_s - LENGTH).abs() < 0.05, "{report:?}");
    let got = common::duration(out);
    assert!((got - report.duration_s).abs() <= 0.1, "output lasts {got} s, timeline {} s", report.duration_s);
}

#[test]
fn default_sound_is_aac_encoded_from_the_source() {
    let rec = recording();
    let (out, report) = render(rec.path(), &slides_only(AudioMode::Aac));
    assert_eq!(audio_codec(&out), "aac");
    check_length(&out, &report);
    assert!(report.notes.iter().any(|n| n == "sound encoded to AAC (from vorbis)"), "{:?}", report.notes);
    // Encoded: not the source's samples, but as loud (a sine, not silence).
    let (got, source) = (pcm(&out, 5.0), pcm(&rec.path().join("audio/audio.ogg"), 5.0));
    assert_ne!(got, source);
    let peak = |b: &[u8]| b.chunks_exact(2).map(|s| i16::from_le_bytes([s[0], s[1]]).unsigned_abs()).max().unwrap();
    let (p, q) = (peak(&got) as f64, peak(&source) as f64);
    assert!(q > 1000.0 && (p / q - 1.0).abs() < 0.2, "peak {p} vs source {q}");
}

#[test]
fn keep_copies_the_opus_sound_as_it_is() {
    let rec = recording();
    for opts in [slides_only(AudioMode::Keep), RenderOptions { audio: AudioMode::Keep, ..RenderOptions::default() }] {
        let (out, report) = render(rec.path(), &opts);
        assert_eq!(audio_codec(&out), "opus");
        check_length(&out, &report);
        assert!(report.notes.iter().any(|n| n == "sound copied as it is (opus)"), "{:?}", report.notes);
        // The same packets: decoded, the same samples as the published audio.webm.
        let source = pcm(&rec.path().join("audio/audio.webm"), 5.0);
        // 5 s at 48 kHz mono, 16 bits (to a few ms: the first Opus packet's pre-skip).
        assert!(source.len().abs_diff(5 * 48_000 * 2) < 48 * 2 * 30, "{} bytes", source.len());
        assert!(pcm(&out, 5.0) == source, "the copied sound differs from audio/audio.webm");
    }
}

#[test]
fn aac_source_is_copied_not_encoded_again() {
    let rec = recording();
    let p = rec.path();
    // Only an AAC sound file: audio.ogg and audio.webm replaced by audio.m4a.
    let m4a = p.join("audio/audio.m4a");
    let src = p.join("audio/audio.webm");
    common::ffmpeg(&["-i", src.to_str().unwrap(), "-c:a", "aac", "-b:a", "64k", m4a.to_str().unwrap()]);
    std::fs::remove_file(&src).unwrap();
    std::fs::remove_file(p.join("audio/audio.ogg")).unwrap();
    let (out, report) = render(p, &slides_only(AudioMode::Aac));
    assert_eq!(audio_codec(&out), "aac");
    check_length(&out, &report);
    assert!(report.notes.iter().any(|n| n == "sound copied as it is (aac)"), "{:?}", report.notes);
    assert!(pcm(&out, 5.0) == pcm(&m4a, 5.0), "the copied sound differs from audio/audio.m4a");
}
