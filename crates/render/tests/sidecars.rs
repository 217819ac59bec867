//! Captions, chat and shared notes: muxed tracks and sidecar files, read back with
//! ffprobe/ffmpeg and compared with the source text; bad inputs (missing or non-WebVTT
//! caption files, a malformed tldraw.json, a huge and hostile chat, side files past the
//! size bound) still render and are named in the report.

mod common;

use std::path::Path;
use std::process::Command;

use bbb_migrate_render::{render_dir, ChatMode, ChatNames, RenderOptions, RenderReport, MAX_INPUT_BYTES};

/// A short (6 s) copy of the BBB 3.0 fixture with captions, chat and notes added.
fn recording() -> tempfile::TempDir {
    common::require_ffmpeg();
    let rec = tempfile::tempdir().unwrap();
    common::make_tldraw_recording(rec.path(), "bbb30-tldraw2", Some(6.0));
    let p = rec.path();
    std::fs::write(
        p.join("captions.json"),
        r#"[{"localeName": "Deutsch", "locale": "de"}, {"localeName": "English", "locale": "en"},
            {"localeName": "Français", "locale": "fr"}, {"localeName": "Italiano", "locale": "it"}]"#,
    )
    .unwrap();
    std::fs::write(
        p.join("caption_de.vtt"),
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nGuten Tag\n\n00:00:03.000 --> 00:00:04.000\nZweite Zeile\n",
    )
    .unwrap();
    std::fs::write(p.join("caption_en.vtt"), "\u{feff}WEBVTT\n\n00:00.500 --> 00:02.000\nGood morning\n").unwrap();
    // fr: missing; it: an HTML error page saved under the caption's name.
    std::fs::write(p.join("caption_it.vtt"), "<html><body>404</body></html>").unwrap();
    std::fs::write(p.join("notes.html"), "<html><body><p>Shared notes</p></body></html>").unwrap();
    rec
}

fn chat_xml(messages: &[(f64, &str, &str)]) -> String {
    let mut xml = String::from("<?xml version=\"1.0\"?>\n<popcorn>\n");
    let attr = |s: &str| s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;");
    for (t, name, msg) in messages {
        xml.push_str(&format!(
            "<chattimeline in=\"{t}\" direction=\"down\" name=\"{}\" message=\"{}\" target=\"chat\"/>\n",
            attr(name),
            attr(msg)
        ));
    }
    xml.push_str("</popcorn>\n");
    xml
}

fn render(rec: &Path, opts: &RenderOptions) -> (std::path::PathBuf, RenderReport) {
    let out = rec.join("out/talk.mp4");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let report = render_dir(rec, &out, opts).unwrap_or_else(|e| panic!("{e}"));
    (out, report)
}

/// The text of subtitle track `n` of `video`, as WebVTT.
fn subtitle_track(video: &Path, n: usize) -> String {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
        .arg(video)
        .args(["-map", &format!("0:s:{n}"), "-f", "webvtt", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn captions_chat_and_notes_are_kept() {
    let rec = recording();
    let chat = [
        (1.0, "Alice", "Hello <b>everyone</b>"),
        // The message attribute is HTML: the user's own "<" arrives as "&lt;".
        (2.5, "Bob", "Question: is 2 &lt; 3 &amp; 4 &gt; 1?"),
        (4.0, "Alice", "See https://example.org"),
    ];
    std::fs::write(rec.path().join("slides_new.xml"), chat_xml(&chat)).unwrap();
    let (out, report) = render(rec.path(), &RenderOptions::default());

    // Two usable caption tracks, in captions.json order, with ISO 639-2 language tags.
    assert_eq!(report.caption_tracks, ["de", "en"]);
    let probe = common::probe(&out);
    let subs: Vec<&serde_json::Value> =
        probe["streams"].as_array().unwrap().iter().filter(|s| s["codec_type"] == "subtitle").collect();
    assert_eq!(subs.len(), 2, "{probe}");
    assert!(subs.iter().all(|s| s["codec_name"] == "mov_text"));
    assert_eq!(subs[0]["tags"]["language"], "ger");
    assert_eq!(subs[1]["tags"]["language"], "eng");
    let de = subtitle_track(&out, 0);
    assert!(de.contains("00:01.000 --> 00:02.500\nGuten Tag"), "{de}");
    assert!(de.contains("00:03.000 --> 00:04.000\nZweite Zeile"), "{de}");
    assert!(subtitle_track(&out, 1).contains("00:00.500 --> 00:02.000\nGood morning"));
    // The unusable ones are named with the reason.
    let not_drawn = report.not_drawn.join("\n");
    assert!(not_drawn.contains("captions fr: caption_fr.vtt missing"), "{not_drawn}");
    assert!(not_drawn.contains("captions it: caption_it.vtt is not WebVTT"), "{not_drawn}");

    // Sidecars: the caption files as they were, the chat, the notes.
    let dir = out.parent().unwrap();
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    assert_eq!(read("talk.de.vtt"), std::fs::read_to_string(rec.path().join("caption_de.vtt")).unwrap());
    assert_eq!(read("talk.notes.html"), "<html><body><p>Shared notes</p></body></html>");
    assert_eq!(
        read("talk.chat.txt"),
        "[0:00:01] Alice: Hello everyone\n[0:00:02] Bob: Question: is 2 < 3 & 4 > 1?\n[0:00:04] Alice: See https://example.org\n"
    );
    let vtt = read("talk.chat.vtt");
    assert!(vtt.starts_with("WEBVTT\n\n00:00:01.000 --> 00:00:06.000\nAlice: Hello everyone\n"), "{vtt}");
    assert!(vtt.contains("00:00:02.500 --> 00:00:06.000\nBob: Question: is 2 &lt; 3 &amp; 4 &gt; 1?\n"), "{vtt}");
    assert_eq!(report.chat_messages, 3);
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["talk.chat.txt", "talk.chat.vtt", "talk.de.vtt", "talk.en.vtt", "talk.mp4", "talk.notes.html"]);
}

#[test]
fn anonymous_chat_names() {
    let rec = recording();
    std::fs::write(
        rec.path().join("slides_new.xml"),
        chat_xml(&[(1.0, "Alice Smith", "hi"), (2.0, "Bob", "hello"), (3.0, "Alice Smith", "bye")]),
    )
    .unwrap();
    let opts = RenderOptions { chat_names: ChatNames::Anonymous, captions: false, ..RenderOptions::default() };
    let (out, _) = render(rec.path(), &opts);
    let txt = std::fs::read_to_string(out.with_file_name("talk.chat.txt")).unwrap();
    assert_eq!(txt, "[0:00:01] Participant 1: hi\n[0:00:02] Participant 2: hello\n[0:00:03] Participant 1: bye\n");
    let vtt = std::fs::read_to_string(out.with_file_name("talk.chat.vtt")).unwrap();
    assert!(!vtt.contains("Alice") && !vtt.contains("Bob"), "{vtt}");
    assert!(!common::has_stream(&out, "subtitle"), "captions were turned off");
}

#[test]
fn bad_inputs_still_render_and_are_named() {
    let rec = recording();
    let p = rec.path();
    // A tldraw.json cut in the middle.
    let tldraw = std::fs::read_to_string(p.join("tldraw.json")).unwrap();
    std::fs::write(p.join("tldraw.json"), &tldraw[..tldraw.len() / 2]).unwrap();
    // 50 000 messages, with HTML, right-to-left overrides and a 10 kB message.
    let big = "x".repeat(10_000);
    let mut chat: Vec<(f64, String, String)> = (0..50_000)
        .map(|i| (i as f64 * 0.1, format!("User{}", i % 7), format!("<script>alert({i})</script>msg {i}")))
        .collect();
    chat[3] = (0.3, "\u{202E}evil\u{202C}".into(), big.clone());
    let refs: Vec<(f64, &str, &str)> = chat.iter().map(|(t, n, m)| (*t, n.as_str(), m.as_str())).collect();
    std::fs::write(p.join("slides_new.xml"), chat_xml(&refs)).unwrap();
    let (out, report) = render(p, &RenderOptions { chat: ChatMode::Sidecar, ..RenderOptions::default() });
    assert!(common::duration(&out) > 5.9);
    let not_drawn = report.not_drawn.join("\n");
    assert!(not_drawn.contains("whiteboard annotations: tldraw.json: malformed JSON at line 1"), "{not_drawn}");
    assert_eq!(report.chat_messages, 50_000);
    let txt = std::fs::read_to_string(out.with_file_name("talk.chat.txt")).unwrap();
    assert_eq!(txt.lines().count(), 50_000);
    assert!(!txt.contains("<script>") && !txt.contains('\u{202E}'));
    assert!(txt.contains(&format!("[0:00:00] evil: {big}\n")));
    // Nothing written outside the output folder: the recording folder holds what it held.
    let mut names: Vec<String> =
        std::fs::read_dir(p).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let expected = [
        "audio",
        "caption_de.vtt",
        "caption_en.vtt",
        "caption_it.vtt",
        "captions.json",
        "cursor.xml",
        "deskshare",
        "deskshare.xml",
        "metadata.xml",
        "notes.html",
        "out",
        "panzooms.xml",
        "presentation",
        "shapes.svg",
        "slides_new.xml",
        "tldraw.json",
    ];
    assert_eq!(names, expected);
}

#[test]
fn chat_panel_is_drawn_left_of_the_slides() {
    let rec = recording();
    let chat: Vec<(f64, String, String)> =
        (0..8).map(|i| (1.0 + i as f64 * 0.5, format!("User {i}"), format!("message number {i}"))).collect();
    let refs: Vec<(f64, &str, &str)> = chat.iter().map(|(t, n, m)| (*t, n.as_str(), m.as_str())).collect();
    std::fs::write(rec.path().join("slides_new.xml"), chat_xml(&refs)).unwrap();
    let opts = RenderOptions { chat: ChatMode::Panel, captions: false, ..RenderOptions::default() };
    let (out, report) = render(rec.path(), &opts);
    assert_eq!(report.chat_messages, 8);
    let (w, h, panel) = (1280u32, 720u32, 384u32);
    // Dark (text) pixels in the column below its title bar.
    let ink = |frame: &[u8]| {
        let mut n = 0;
        for y in 48..h {
            for x in 0..panel - 2 {
                n += usize::from(common::pixel(frame, w, x, y).iter().all(|&c| c < 110));
            }
        }
        n
    };
    let (early, late) = (common::frame_at(&out, 0.5, w, h), common::frame_at(&out, 5.5, w, h));
    assert!(ink(&early) < 20, "messages drawn before they were sent: {}", ink(&early));
    assert!(ink(&late) > 400, "chat messages not drawn: {}", ink(&late));
    // The column's paper colour, and the slides in the rest of the width: the slide area
    // equals the rasterised state at that width.
    assert!(common::near(common::mean(&late, w, (200, 60), 2), [0xF3, 0xF6, 0xF9], 12));
    let area = RenderOptions { width: w - panel, ..RenderOptions::default() };
    let expected = bbb_migrate_render::snapshot(rec.path(), 5.5, &area).unwrap().rgb;
    let mut right = Vec::with_capacity(expected.len());
    for y in 0..h {
        let i = ((y * w + panel) * 3) as usize;
        right.extend_from_slice(&late[i..i + ((w - panel) * 3) as usize]);
    }
    let full = common::Area { x: 0, y: 0, w: w - panel, h };
    // The cursor is shown at 5.5 s (page 1000, 1000): skip its corner of the area.
    let d = common::differing(&right, &expected, w - panel, full, Some(common::Area { x: 560, y: 560, w: 80, h: 80 }));
    assert!(d < 0.01, "slide area differs from the expected state in {d} of the blocks");
}

/// One poll: time (s), question, answers (key, votes), responders.
type Poll<'a> = (f64, &'a str, &'a [(&'a str, u64)], u64);

/// `polls.json` as BBB publishes it: one entry per poll.
fn polls_json(polls: &[Poll]) -> String {
    let entries: Vec<serde_json::Value> = polls
        .iter()
        .map(|(t, question, answers, responders)| {
            let answers: Vec<serde_json::Value> = answers
                .iter()
                .enumerate()
                .map(|(i, (key, votes))| serde_json::json!({"id": i, "key": key, "numVotes": votes}))
                .collect();
            serde_json::json!({"timestamp": t, "type": "CUSTOM", "question": question, "answers": answers,
                               "respondents": responders, "responders": responders})
        })
        .collect();
    serde_json::Value::Array(entries).to_string()
}

#[test]
fn polls_and_external_videos_join_the_chat_as_the_player_shows_them() {
    let rec = recording();
    let p = rec.path();
    std::fs::write(p.join("slides_new.xml"), chat_xml(&[(1.0, "Alice Smith", "hi"), (4.0, "Bob", "done")])).unwrap();
    std::fs::write(p.join("polls.json"), polls_json(&[(2.0, "Tea or coffee?", &[("Tea", 1), ("Coffee", 3)], 4)]))
        .unwrap();
    std::fs::write(
        p.join("external_videos.json"),
        r#"[{"timestamp": 4.0, "external_video_url": "https://www.youtube.com/watch?v=abc"}]"#,
    )
    .unwrap();
    let opts = RenderOptions { chat_names: ChatNames::Anonymous, captions: false, ..RenderOptions::default() };
    let (out, report) = render(p, &opts);
    assert_eq!((report.chat_messages, report.polls, report.external_videos), (2, 1, 1));
    // In time order; at equal times chat, then polls, then videos (bbb-playback's merge).
    let txt = std::fs::read_to_string(out.with_file_name("talk.chat.txt")).unwrap();
    assert_eq!(
        txt,
        "[0:00:01] Participant 1: hi\n\
         [0:00:02] Poll result: Question\n    Tea or coffee?\n    1: 1 ██▌ 25.0%\n    2: 3 ███████▌ 75.0%\n    Options\n    1: Tea\n    2: Coffee\n\
         [0:00:04] Participant 2: done\n\
         [0:00:04] External video: https://www.youtube.com/watch?v=abc\n"
    );
    let vtt = std::fs::read_to_string(out.with_file_name("talk.chat.vtt")).unwrap();
    assert!(
        vtt.contains("\n00:00:02.000 --> 00:00:06.000\nPoll result: Question\nTea or coffee?\n1: 1 ██▌ 25.0%\n"),
        "{vtt}"
    );
    assert!(vtt.contains("\n00:00:04.000 --> 00:00:06.000\nExternal video: https://www.youtube.com/watch?v=abc\n"));
}

#[test]
fn polls_alone_give_the_chat_sidecars_and_the_panel() {
    let rec = recording();
    let p = rec.path();
    std::fs::write(p.join("polls.json"), polls_json(&[(1.0, "Ready?", &[("Yes", 5), ("No", 0)], 5)])).unwrap();
    let opts = RenderOptions { chat: ChatMode::Panel, captions: false, ..RenderOptions::default() };
    let (out, report) = render(p, &opts);
    assert_eq!((report.chat_messages, report.polls), (0, 1));
    let txt = std::fs::read_to_string(out.with_file_name("talk.chat.txt")).unwrap();
    assert!(txt.starts_with("[0:00:01] Poll result: Question\n    Ready?\n    1: 5 ██████████ 100.0%\n"), "{txt}");
    assert!(out.with_file_name("talk.chat.vtt").is_file());
    // The panel: nothing before the poll; after it, its result bar (10 full blocks for
    // 100 %), a run of dark pixels far longer than any letter.
    let (w, h, panel) = (1280u32, 720u32, 384u32);
    let longest_run = |frame: &[u8]| {
        let mut best = 0;
        for y in 48..h {
            let mut run = 0;
            for x in 0..panel - 2 {
                run = if common::pixel(frame, w, x, y).iter().all(|&c| c < 110) { run + 1 } else { 0 };
                best = best.max(run);
            }
        }
        best
    };
    let (early, late) = (common::frame_at(&out, 0.5, w, h), common::frame_at(&out, 3.0, w, h));
    assert!(longest_run(&early) < 5, "poll drawn before its time: {}", longest_run(&early));
    assert!(longest_run(&late) > 60, "poll result bar not drawn: {}", longest_run(&late));
    assert!(common::near(common::mean(&late, w, (200, 60), 2), [0xF3, 0xF6, 0xF9], 12));
}

#[test]
fn hostile_polls_and_videos_still_render_and_are_named() {
    let rec = recording();
    let p = rec.path();
    std::fs::write(p.join("slides_new.xml"), chat_xml(&[(1.0, "Alice", "hi")])).unwrap();
    // 50 000 polls with HTML and right-to-left overrides, one with a 10 kB question, one
    // with a time that is not a number.
    let big = "q".repeat(10_000);
    let mut polls: Vec<serde_json::Value> = (0..50_000)
        .map(|i| {
            serde_json::json!({"timestamp": i as f64 * 0.001, "question": format!("<b>\u{202E}Q{i}</b>"),
                               "answers": [{"id": 0, "key": "A\u{202E}", "numVotes": 1}], "responders": 1})
        })
        .collect();
    polls[1]["question"] = big.clone().into();
    polls[2]["timestamp"] = "soon".into();
    std::fs::write(p.join("polls.json"), serde_json::Value::Array(polls).to_string()).unwrap();
    // external_videos.json: over the size bound.
    std::fs::write(p.join("external_videos.json"), format!("[{}]", " ".repeat(17 << 20))).unwrap();
    let (out, report) = render(p, &RenderOptions { captions: false, ..RenderOptions::default() });
    assert!(common::duration(&out) > 5.9);
    let not_drawn = report.not_drawn.join("\n");
    for expected in [
        "polls.json: 40000 polls past the first 10000 skipped",
        "polls.json: 1 polls skipped (no valid timestamp or wrong field types)",
        "polls.json: 1 texts longer than 5000 characters cut",
        "external_videos.json: larger than 16777216 bytes; skipped",
    ] {
        assert!(not_drawn.contains(expected), "{expected:?} not in {not_drawn}");
    }
    assert_eq!((report.chat_messages, report.polls, report.external_videos), (1, 9_999, 0));
    let txt = std::fs::read_to_string(out.with_file_name("talk.chat.txt")).unwrap();
    assert_eq!(txt.matches("Poll result: ").count(), 9_999);
    assert!(!txt.contains('\u{202E}'));
    // Shown as text, as the player shows it: the tags stay visible, escaped in WebVTT.
    assert!(txt.contains("    <b>Q0</b>\n"));
    assert!(txt.contains(&format!("    {}\n", &big[..5_000])) && !txt.contains(&big[..5_001]));
    let vtt = std::fs::read_to_string(out.with_file_name("talk.chat.vtt")).unwrap();
    assert!(vtt.contains("&lt;b&gt;Q0&lt;/b&gt;") && !vtt.contains("<b>"));
    // Nothing but the video and its sidecars written.
    assert_eq!(
        common::entries(out.parent().unwrap()),
        ["talk.chat.txt", "talk.chat.vtt", "talk.mp4", "talk.notes.html"]
    );
}

#[test]
fn malformed_polls_json_and_chat_off_are_reported() {
    let rec = recording();
    let p = rec.path();
    std::fs::write(p.join("polls.json"), r#"[{"timestamp": 1, "question": "q", "answers": [}]"#).unwrap();
    std::fs::write(p.join("external_videos.json"), r#"[{"timestamp": 1, "external_video_url": "https://v"}]"#).unwrap();
    let (out, report) = render(p, &RenderOptions { captions: false, ..RenderOptions::default() });
    let not_drawn = report.not_drawn.join("\n");
    assert!(not_drawn.contains("polls.json: malformed JSON at line 1"), "{not_drawn}");
    assert_eq!((report.polls, report.external_videos), (0, 1));
    assert_eq!(
        std::fs::read_to_string(out.with_file_name("talk.chat.txt")).unwrap(),
        "[0:00:01] External video: https://v\n"
    );
    // With the chat turned off they are not kept, and the report says so.
    std::fs::remove_dir_all(out.parent().unwrap()).unwrap();
    let (out, report) = render(p, &RenderOptions { chat: ChatMode::Off, captions: false, ..RenderOptions::default() });
    let not_drawn = report.not_drawn.join("\n");
    assert!(not_drawn.contains("external_videos.json: not kept (chat turned off"), "{not_drawn}");
    assert!(!out.with_file_name("talk.chat.txt").exists());
}

/// Makes `path` (already written) one byte past the side files' bound, sparse: the reader
/// must refuse it by its size.
fn past_the_bound(path: &Path) {
    std::fs::File::options().write(true).open(path).unwrap().set_len(MAX_INPUT_BYTES + 1).unwrap();
}

#[test]
fn side_files_past_the_bound_are_skipped_and_named() {
    let rec = recording();
    let p = rec.path();
    // A chat and a caption that would be usable but for their size.
    std::fs::write(p.join("slides_new.xml"), chat_xml(&[(1.0, "Alice", "hi")])).unwrap();
    past_the_bound(&p.join("slides_new.xml"));
    past_the_bound(&p.join("caption_en.vtt"));
    let (out, report) = render(p, &RenderOptions { chat: ChatMode::Sidecar, ..RenderOptions::default() });
    assert!(common::duration(&out) > 5.9);
    let not_drawn = report.not_drawn.join("\n");
    for expected in [
        "chat: slides_new.xml: larger than 16777216 bytes; skipped",
        "captions en: caption_en.vtt: larger than 16777216 bytes; skipped",
    ] {
        assert!(not_drawn.contains(expected), "{expected:?} not in {not_drawn}");
    }
    // Neither a track nor a sidecar of them; the German caption and the notes are kept.
    assert_eq!((report.caption_tracks.clone(), report.chat_messages), (vec!["de".to_string()], 0));
    let probe = common::probe(&out);
    let subs = probe["streams"].as_array().unwrap().iter().filter(|s| s["codec_type"] == "subtitle").count();
    assert_eq!(subs, 1, "{probe}");
    assert_eq!(common::entries(out.parent().unwrap()), ["talk.de.vtt", "talk.mp4", "talk.notes.html"]);
}
