//! The public chat of a presentation recording: `slides_new.xml` is a popcorn document of
//! `<chattimeline in="s" name="…" message="…" target="chat" [senderRole] [out]/>` elements,
//! one per message, `message` being escaped HTML (links as `<a>`, line breaks as `<br/>`).
//!
//! It is kept as two sidecars beside the video: `NAME.chat.txt` (`[h:mm:ss] name: text`,
//! one message per line) and `NAME.chat.vtt` (WebVTT cues a player can show), and can be
//! drawn as a side panel (`panel.rs`). Names can be replaced by `Participant N` (numbered
//! in order of first message). Text is reduced to plain text: HTML tags dropped, entities
//! decoded, bidirectional-override characters removed (they could make a line read
//! differently from what it holds), line breaks kept inside a message.

use std::collections::HashMap;
use std::fmt::Write;

use crate::xml::Ms;

pub(crate) const FILE: &str = "slides_new.xml";
/// The same chat, as the `video` format publishes it.
pub(crate) const VIDEO_FILE: &str = "video.xml";

/// One chat message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Message {
    pub at: Ms,
    pub name: String,
    pub text: String,
}

/// How senders are named in what is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChatNames {
    /// As recorded.
    #[default]
    Real,
    /// `Participant 1`, `Participant 2`… in order of first message.
    Anonymous,
}

/// Reads the chat messages (sorted by time). A malformed file yields the reason instead.
/// `file` (`slides_new.xml` or `video.xml`) is named in errors.
pub(crate) fn parse(file: &str, text: &str, names: ChatNames) -> Result<Vec<Message>, String> {
    let doc = crate::xml::parse(file, text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut anonymous: HashMap<String, usize> = HashMap::new();
    for node in doc.descendants().filter(|n| n.has_tag_name("chattimeline")) {
        if node.attribute("target").is_some_and(|t| t != "chat") {
            continue;
        }
        let Some(at) =
            node.attribute("in").and_then(|v| v.trim().parse::<f64>().ok()).filter(|v| v.is_finite() && *v >= 0.0)
        else {
            continue;
        };
        let name = clean(node.attribute("name").unwrap_or(""), false);
        let text = clean(&html_to_text(node.attribute("message").unwrap_or("")), true);
        out.push(Message { at: (at * 1000.0).round() as Ms, name, text });
    }
    out.sort_by_key(|m| m.at);
    if names == ChatNames::Anonymous {
        for m in out.iter_mut() {
            let next = anonymous.len() + 1;
            m.name = format!("Participant {}", anonymous.entry(std::mem::take(&mut m.name)).or_insert(next));
        }
    }
    Ok(out)
}

/// Plain text of a chat message's HTML: `<br>` becomes a line break, other tags go,
/// the common entities are decoded.
fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find('>') else {
            out.push_str(&rest[i..]);
            rest = "";
            break;
        };
        let tag = rest[i + 1..i + j].trim().to_ascii_lowercase();
        if tag.starts_with("br") {
            out.push('\n');
        }
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    decode_entities(&out)
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let ent = &tail[1..e];
            let c = match ent {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" | "#39" => '\'',
                "nbsp" => ' ',
                _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                    char::from_u32(u32::from_str_radix(&ent[2..], 16).ok()?)?
                }
                _ if ent.starts_with('#') => char::from_u32(ent[1..].parse().ok()?)?,
                _ => return None,
            };
            Some((c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Removes control characters (keeping line breaks when `multiline`) and the Unicode
/// bidirectional embedding/override/isolate characters; trims.
pub(crate) fn clean(s: &str, multiline: bool) -> String {
    let out: String = s
        .chars()
        .filter(|&c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}'))
        .map(|c| if c == '\r' || c == '\t' { ' ' } else { c })
        .filter(|&c| !c.is_control() || (multiline && c == '\n'))
        .collect();
    let lines: Vec<&str> = out.split('\n').map(str::trim).filter(|l| !l.is_empty()).collect();
    lines.join("\n")
}

/// `h:mm:ss` of a time.
fn clock(ms: Ms) -> String {
    let s = ms / 1000;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// `hh:mm:ss.mmm`, the WebVTT timestamp.
pub(crate) fn vtt_time(ms: Ms) -> String {
    format!("{:02}:{:02}:{:02}.{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// The `.chat.txt` sidecar: one message per line, continuation lines indented.
pub(crate) fn to_text(messages: &[Message]) -> String {
    let mut out = String::new();
    for m in messages {
        let _ = writeln!(out, "[{}] {}: {}", clock(m.at), m.name, m.text.replace('\n', "\n    "));
    }
    out
}

/// How long a chat cue stays in the WebVTT sidecar.
const CUE: Ms = 8_000;

/// The `.chat.vtt` sidecar: each message a cue from its time, for 8 s (or until the end).
pub(crate) fn to_vtt(messages: &[Message], duration: Ms) -> String {
    let mut out = String::from("WEBVTT\n\n");
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    for m in messages.iter().filter(|m| m.at < duration) {
        let end = (m.at + CUE).min(duration);
        let _ = writeln!(out, "{} --> {}\n{}: {}\n", vtt_time(m.at), vtt_time(end), escape(&m.name), escape(&m.text));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<?xml version="1.0"?>
<popcorn>
<chattimeline in="12.5" direction="down" name="Alice" senderRole="MODERATOR" message="Hello &lt;b&gt;all&lt;/b&gt; &amp;amp; welcome" target="chat"/>
<chattimeline in="3" direction="down" name="Bob&#x202E;evil" message="line one&lt;br/&gt;line two --&gt; &lt;a href=&quot;https://x.org&quot;&gt;https://x.org&lt;/a&gt;" target="chat"/>
<chattimeline in="20" direction="down" name="Alice" message="again" target="chat"/>
<chattimeline in="21" direction="down" name="x" message="other" target="presentation"/>
</popcorn>"#;

    #[test]
    fn messages_as_plain_text_in_time_order() {
        let m = parse(FILE, XML, ChatNames::Real).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(
            m[0],
            Message { at: 3000, name: "Bobevil".into(), text: "line one\nline two --> https://x.org".into() }
        );
        assert_eq!(m[1].text, "Hello all & welcome");
        let txt = to_text(&m);
        assert!(
            txt.starts_with(
                "[0:00:03] Bobevil: line one\n    line two --> https://x.org\n[0:00:12] Alice: Hello all & welcome\n"
            ),
            "{txt}"
        );
    }

    #[test]
    fn anonymous_names_are_numbered_by_first_message() {
        let m = parse(FILE, XML, ChatNames::Anonymous).unwrap();
        let names: Vec<&str> = m.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["Participant 1", "Participant 2", "Participant 2"]);
        assert!(!to_text(&m).contains("Alice"));
    }

    #[test]
    fn vtt_cues_are_escaped_and_clipped() {
        let m = parse(FILE, XML, ChatNames::Real).unwrap();
        let vtt = to_vtt(&m, 15_000);
        assert!(
            vtt.starts_with(
                "WEBVTT\n\n00:00:03.000 --> 00:00:11.000\nBobevil: line one\nline two --&gt; https://x.org\n\n"
            ),
            "{vtt}"
        );
        assert!(vtt.contains("00:00:12.500 --> 00:00:15.000\nAlice: Hello all &amp; welcome\n"), "{vtt}");
        assert!(!vtt.contains("again"), "a message after the end is not a cue");
    }

    #[test]
    fn malformed_file_is_a_reason() {
        let err = parse(FILE, "<popcorn><chattimeline", ChatNames::Real).unwrap_err();
        assert!(err.starts_with("slides_new.xml: malformed XML"), "{err}");
    }
}
