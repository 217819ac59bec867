//! Poll results and external videos (BBB ≥ 2.3): `polls.json` and `external_videos.json`.
//!
//! bbb-playback merges both into its chat list at their times (`mergeMessages`: chat,
//! then polls, then videos, a stable sort by `timestamp`), each as a system message:
//!
//! - a poll as **Poll result**: `Question` and the question (when not empty); one result
//!   line per answer, `N: votes bar percentage%` (the percentage is `numVotes /
//!   responders`, one decimal, `0` when nobody responded; the bar is one `█` per 10 % and
//!   `▌` when the rest is over 2 %, `-` at 0 %); then `Options` and `N: key`, `N` being
//!   the answer's `id + 1`. Answers whose keys differ only in case are merged (their votes
//!   added, the key and id of the one with more votes kept), as the player does;
//! - an external video as **External video** and its URL.
//!
//! They become [`Message`]s named by those labels, so the chat sidecars and the panel
//! show them as they show the chat. Texts are shown as the player shows them: as text
//! (not HTML), with control and bidirectional-override characters removed.
//!
//! Malformed files or entries are skipped and reported; absurd sizes are bounded
//! ([`crate::xml::MAX_INPUT_BYTES`] per file, a larger one skipped whole; [`MAX_ENTRIES`],
//! [`MAX_ANSWERS`], [`MAX_CHARS`]), the excess reported.

use std::fmt::Write;

use serde_json::Value;

use crate::chat::{clean, Message};
use crate::xml::Ms;

pub(crate) const POLLS_FILE: &str = "polls.json";
pub(crate) const VIDEOS_FILE: &str = "external_videos.json";
/// The player's labels (English).
pub(crate) const POLL_NAME: &str = "Poll result";
pub(crate) const VIDEO_NAME: &str = "External video";
/// Entries kept per file; the rest are skipped.
pub(crate) const MAX_ENTRIES: usize = 10_000;
/// Answers kept per poll.
pub(crate) const MAX_ANSWERS: usize = 100;
/// Characters kept of one question, answer or URL (BBB's own chat limit).
pub(crate) const MAX_CHARS: usize = 5_000;

/// What was read of one file: the messages and what was skipped, and why.
#[derive(Debug, Default)]
pub(crate) struct Read {
    pub messages: Vec<Message>,
    pub skipped: Vec<String>,
}

/// One poll answer as the player uses it.
#[derive(Debug, Clone)]
struct Answer {
    id: u64,
    key: String,
    votes: u64,
}

fn seconds(v: Option<&Value>) -> Option<Ms> {
    let t = v?.as_f64().filter(|t| t.is_finite() && *t >= 0.0 && *t < 1e9)?;
    Some((t * 1000.0).round() as Ms)
}

/// A text field, cleaned and bounded; `cut` counts texts that were cut.
fn text(s: &str, cut: &mut usize) -> String {
    let s = clean(s, true);
    if s.chars().count() > MAX_CHARS {
        *cut += 1;
        return s.chars().take(MAX_CHARS).collect();
    }
    s
}

/// The entries of a JSON array file, or why there are none.
fn entries(file: &str, json: &str) -> Result<Vec<Value>, String> {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Array(a)) => Ok(a),
        Ok(_) => Err(format!("{file}: not a JSON array; skipped")),
        Err(e) => Err(format!(
            "{file}: malformed JSON at line {}: {}; skipped",
            e.line(),
            crate::error::one_line(&e.to_string())
        )),
    }
}

/// Reports the entries past [`MAX_ENTRIES`], the invalid ones and the cut texts.
fn summarise(file: &str, what: &str, (total, invalid, cut): (usize, usize, usize), out: &mut Vec<String>) {
    if total > MAX_ENTRIES {
        out.push(format!("{file}: {} {what} past the first {MAX_ENTRIES} skipped", total - MAX_ENTRIES));
    }
    if invalid > 0 {
        out.push(format!("{file}: {invalid} {what} skipped (no valid timestamp or wrong field types)"));
    }
    if cut > 0 {
        out.push(format!("{file}: {cut} texts longer than {MAX_CHARS} characters cut"));
    }
}

/// Reads `polls.json`.
pub(crate) fn parse_polls(json: &str) -> Read {
    let mut read = Read::default();
    let list = match entries(POLLS_FILE, json) {
        Ok(l) => l,
        Err(e) => {
            read.skipped.push(e);
            return read;
        }
    };
    let (mut invalid, mut cut, mut answers_cut) = (0, 0, 0);
    for e in list.iter().take(MAX_ENTRIES) {
        match poll(e, &mut cut, &mut answers_cut) {
            Some(m) => read.messages.push(m),
            None => invalid += 1,
        }
    }
    summarise(POLLS_FILE, "polls", (list.len(), invalid, cut), &mut read.skipped);
    if answers_cut > 0 {
        read.skipped
            .push(format!("{POLLS_FILE}: {answers_cut} answers past the first {MAX_ANSWERS} of a poll skipped"));
    }
    read.messages.sort_by_key(|m| m.at);
    read
}

fn poll(e: &Value, cut: &mut usize, answers_cut: &mut usize) -> Option<Message> {
    let at = seconds(e.get("timestamp"))?;
    let question = text(e.get("question")?.as_str()?, cut);
    let responders = match e.get("responders") {
        None | Some(Value::Null) => 0,
        Some(r) => r.as_u64()?,
    };
    let raw = e.get("answers")?.as_array()?;
    *answers_cut += raw.len().saturating_sub(MAX_ANSWERS);
    let mut answers: Vec<Answer> = Vec::new();
    for a in raw.iter().take(MAX_ANSWERS) {
        let answer = Answer {
            id: a.get("id")?.as_u64().filter(|&i| i < 1_000_000)?,
            key: text(a.get("key")?.as_str()?, cut),
            votes: a.get("numVotes")?.as_u64().filter(|&v| v < 1 << 40)?,
        };
        merge_answer(&mut answers, answer);
    }
    // The player's English labels of the YN/YNA/TF keys are the keys themselves.
    Some(Message { at, name: POLL_NAME.into(), text: poll_text(&question, &answers, responders) })
}

/// The player's `caseInsensitiveReducer`.
fn merge_answer(acc: &mut Vec<Answer>, a: Answer) {
    match acc.iter_mut().find(|b| b.key.to_lowercase() == a.key.to_lowercase()) {
        Some(b) if b.votes >= a.votes => b.votes += a.votes,
        Some(b) => {
            let votes = b.votes;
            *b = Answer { votes: a.votes + votes, ..a };
        }
        None => acc.push(a),
    }
}

/// The percentage as the player writes it (`toFixed(1)`, or `0` when nobody responded).
fn percentage(votes: u64, responders: u64) -> String {
    if responders == 0 {
        return "0".into();
    }
    format!("{:.1}", votes as f64 / responders as f64 * 100.0)
}

/// The player's bar: a full block per 10 %, a half block for a rest over 2 %.
fn bar(percentage: &str) -> String {
    let p = percentage.split('.').next().and_then(|p| p.parse::<u64>().ok()).unwrap_or(0);
    if p == 0 {
        return "-".into();
    }
    // More votes than responders (a hostile file) would give a longer bar: 100 % at most.
    let mut bar = "█".repeat(p.min(100) as usize / 10);
    if p < 100 && p % 10 > 2 {
        bar.push('▌');
    }
    bar
}

/// The poll as the player shows it, as lines of text (figure spaces align the columns,
/// as in the player).
fn poll_text(question: &str, answers: &[Answer], responders: u64) -> String {
    const PAD: char = '\u{2007}';
    let mut out = String::new();
    if !question.is_empty() {
        let _ = writeln!(out, "Question\n{question}");
    }
    if !answers.is_empty() {
        let digits = |n: u64| n.to_string().len();
        let id_w = digits(answers.len() as u64);
        let votes_w = digits(answers.iter().map(|a| a.votes).max().unwrap_or(0));
        for a in answers {
            let p = percentage(a.votes, responders);
            let pad = |n: usize| PAD.to_string().repeat(n);
            let (n, v) = (a.id + 1, a.votes);
            let _ = writeln!(
                out,
                "{n}{}: {v}{} {} {p}%",
                pad(id_w.saturating_sub(digits(n))),
                pad(votes_w.saturating_sub(digits(v))),
                bar(&p)
            );
        }
        out.push_str("Options\n");
        for a in answers {
            let _ = writeln!(out, "{}: {}", a.id + 1, a.key);
        }
    }
    out.trim_end().to_string()
}

/// Reads `external_videos.json`.
pub(crate) fn parse_videos(json: &str) -> Read {
    let mut read = Read::default();
    let list = match entries(VIDEOS_FILE, json) {
        Ok(l) => l,
        Err(e) => {
            read.skipped.push(e);
            return read;
        }
    };
    let (mut invalid, mut cut) = (0, 0);
    for e in list.iter().take(MAX_ENTRIES) {
        let video = seconds(e.get("timestamp")).zip(e.get("external_video_url").and_then(Value::as_str));
        match video {
            Some((at, url)) => read.messages.push(Message { at, name: VIDEO_NAME.into(), text: text(url, &mut cut) }),
            None => invalid += 1,
        }
    }
    summarise(VIDEOS_FILE, "videos", (list.len(), invalid, cut), &mut read.skipped);
    read.messages.sort_by_key(|m| m.at);
    read
}

/// The chat, polls and videos in one list as the player orders it: by time, chat first,
/// then polls, then videos at equal times.
pub(crate) fn merge(chat: Vec<Message>, polls: Vec<Message>, videos: Vec<Message>) -> Vec<Message> {
    let mut all = chat;
    all.extend(polls);
    all.extend(videos);
    all.sort_by_key(|m| m.at);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLLS: &str = r#"[
      {"timestamp": 12.5, "type": "YN", "question": "Ready?", "answers": [
        {"id": 0, "key": "Yes", "numVotes": 3}, {"id": 1, "key": "No", "numVotes": 5}],
       "respondents": 8, "responders": 8},
      {"timestamp": 2, "type": "CUSTOM", "question": "", "answers": [
        {"id": 0, "key": "red", "numVotes": 1}, {"id": 1, "key": "RED", "numVotes": 2},
        {"id": 2, "key": "blue", "numVotes": 0}], "responders": 3}
    ]"#;

    #[test]
    fn polls_as_the_player_shows_them() {
        let r = parse_polls(POLLS);
        assert!(r.skipped.is_empty(), "{:?}", r.skipped);
        assert_eq!(r.messages.len(), 2);
        assert_eq!(r.messages[1].at, 12_500);
        assert_eq!(r.messages[1].name, "Poll result");
        assert_eq!(r.messages[1].text, "Question\nReady?\n1: 3 ███▌ 37.5%\n2: 5 ██████ 62.5%\nOptions\n1: Yes\n2: No");
        // Keys equal but for case are merged into the one with more votes; no question.
        assert_eq!(r.messages[0].text, "2: 3 ██████████ 100.0%\n3: 0 - 0.0%\nOptions\n2: RED\n3: blue");
    }

    #[test]
    fn pads_and_no_responders() {
        let answers: Vec<Answer> =
            (0..10).map(|i| Answer { id: i, key: format!("k{i}"), votes: if i == 0 { 10 } else { 0 } }).collect();
        let t = poll_text("q", &answers, 0);
        assert!(t.contains("\n1\u{2007}: 10 - 0%\n"), "{t}");
        assert!(t.contains("\n2\u{2007}: 0\u{2007} - 0%\n"), "{t}");
        assert!(t.contains("\n10: 0\u{2007} - 0%\n"), "{t}");
        assert_eq!(bar(&percentage(1 << 39, 1)), "█".repeat(10));
    }

    #[test]
    fn bad_entries_are_counted_and_text_cleaned() {
        let json = format!(
            r#"[{{"timestamp": "x", "question": "q", "answers": []}},
               {{"timestamp": 1, "question": 5, "answers": []}},
               {{"timestamp": 1, "question": "a\u202Eb <b>c</b>", "answers": [{{"id": 0, "key": "{}", "numVotes": 1}}]}}]"#,
            "k".repeat(MAX_CHARS + 10)
        );
        let r = parse_polls(&json);
        assert_eq!(r.messages.len(), 1);
        assert!(r.messages[0].text.starts_with("Question\nab <b>c</b>\n"));
        let skipped = r.skipped.join("\n");
        assert!(skipped.contains("polls.json: 2 polls skipped"), "{skipped}");
        assert!(skipped.contains("polls.json: 1 texts longer than 5000 characters cut"), "{skipped}");
        assert_eq!(parse_polls("{").skipped.len(), 1);
        assert!(parse_polls("{}").skipped[0].contains("not a JSON array"));
    }

    #[test]
    fn videos_and_merge_order() {
        let v = parse_videos(r#"[{"timestamp": 12.5, "external_video_url": "https://v.example/x"}, {"timestamp": 1}]"#);
        assert_eq!(v.messages[0].text, "https://v.example/x");
        assert!(v.skipped[0].contains("1 videos skipped"), "{:?}", v.skipped);
        let chat = vec![Message { at: 12_500, name: "A".into(), text: "hi".into() }];
        let all = merge(chat, parse_polls(POLLS).messages, v.messages);
        let names: Vec<&str> = all.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["Poll result", "A", "Poll result", "External video"]);
    }
}
