//! The chat drawn as a column at the left of the video, as BBB's player lays it out
//! (chat beside the presentation, newest message at the bottom): the slide area keeps
//! the rest of the width.
//!
//! The column is a second image stream: one picture per change, changes grouped so that
//! there is at most one per second (a busy chat of 50 000 messages still gives at most
//! one picture per second of recording).

use std::path::{Path, PathBuf};

use crate::chat::Message;
use crate::error::RenderError;
use crate::rasterise::{FrameFormat, Rasteriser};
use crate::text::{escape, width_em, wrap};
use crate::xml::Ms;

/// Share of the frame width the column takes.
const SHARE: f64 = 0.3;
const FONT: f64 = 15.0;
const LINE: f64 = 1.3;
const PAD: f64 = 12.0;
/// Changes closer together than this are shown together.
const STEP: Ms = 1000;
/// Longest message text drawn (the sidecars keep it whole).
const MAX_CHARS: usize = 600;

/// Column width for a frame width (even, so the slide area stays even too).
pub(crate) fn width(frame_width: u32) -> u32 {
    ((frame_width as f64 * SHARE / 2.0).round() as u32) * 2
}

/// When the column changes and how many messages it then shows. A message appears at
/// its time, or (when the column changed less than `STEP` before) at the next change,
/// never before it was sent.
fn change_times(messages: &[Message], duration: Ms) -> Vec<(Ms, usize)> {
    let mut out: Vec<(Ms, usize)> = vec![(0, 0)];
    for (i, m) in messages.iter().enumerate() {
        let last = out.last_mut().expect("never empty");
        if last.1 > 0 && m.at <= last.0 {
            last.1 = i + 1;
            continue;
        }
        let t = if last.1 == 0 { m.at.max(last.0) } else { m.at.max(last.0 + STEP) };
        if t >= duration {
            break;
        }
        if t == last.0 {
            last.1 = i + 1;
        } else {
            out.push((t, i + 1));
        }
    }
    out
}

/// The column showing the first `shown` messages, as SVG: a title bar, then the latest
/// messages that fit, bottom aligned (name in bold, time, wrapped text).
fn svg(messages: &[Message], shown: usize, (w, h): (u32, u32)) -> String {
    let (wf, hf) = (w as f64, h as f64);
    let max_em = (wf - 2.0 * PAD) / FONT;
    let mut blocks: Vec<String> = Vec::new();
    let mut y = hf - PAD;
    for m in messages[..shown].iter().rev() {
        let text: String = m.text.chars().take(MAX_CHARS).collect();
        let lines: Vec<String> = text.split('\n').flat_map(|l| wrap(l, max_em)).collect();
        let height = (lines.len() + 1) as f64 * FONT * LINE + PAD / 2.0;
        if y - height < 48.0 {
            break;
        }
        y -= height;
        let name: String = m.name.chars().take(40).collect();
        let name_w = width_em(&name) * FONT * 1.1;
        let mut b = format!(
            r##"<text x="{PAD}" y="{:.1}" font-weight="bold" fill="#1D1D1D">{}</text><text x="{:.1}" y="{:.1}" fill="#6B7280" font-size="{}">{}</text>"##,
            y + FONT,
            escape(&name),
            PAD + name_w + 8.0,
            y + FONT,
            FONT * 0.8,
            clock(m.at)
        );
        for (i, l) in lines.iter().enumerate() {
            let ly = y + FONT + (i + 1) as f64 * FONT * LINE;
            b.push_str(&format!(
                r##"<text x="{PAD}" y="{ly:.1}" fill="#303030" xml:space="preserve">{}</text>"##,
                escape(l)
            ));
        }
        blocks.push(b);
    }
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="'DejaVu Sans', sans-serif" font-size="{FONT}"><rect width="{w}" height="{h}" fill="#F3F6F9"/><rect width="{w}" height="40" fill="#FFFFFF"/><rect x="{}" width="1" height="{h}" fill="#D5D9DD"/><text x="{PAD}" y="26" font-weight="bold" font-size="17" fill="#1D1D1D">Chat</text>{}</svg>"##,
        w - 1,
        blocks.concat()
    )
}

fn clock(ms: Ms) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Rasterises the column's pictures into `dir` as PNG; returns (file, start, end)
/// covering `[0, duration)`.
pub(crate) fn render(
    rasteriser: &Rasteriser,
    messages: &[Message],
    duration: Ms,
    size: (u32, u32),
    dir: &Path,
) -> Result<Vec<(PathBuf, Ms, Ms)>, RenderError> {
    let changes = change_times(messages, duration);
    let mut out = Vec::with_capacity(changes.len());
    for (i, &(start, shown)) in changes.iter().enumerate() {
        let end = changes.get(i + 1).map_or(duration, |c| c.0);
        let pixmap = rasteriser.picture(&svg(messages, shown, size), size)?;
        let path = dir.join(format!("chat-{i:05}.png"));
        FrameFormat::Png.write(&pixmap, &path)?;
        out.push((path, start, end));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(at: Ms, text: &str) -> Message {
        Message { at, name: "A".into(), text: text.into() }
    }

    #[test]
    fn changes_at_most_once_per_second() {
        let m: Vec<Message> = (0..50).map(|i| msg(500 + i * 100, "x")).collect();
        let c = change_times(&m, 10_000);
        assert_eq!(c[0], (0, 0));
        assert!(c.len() <= 7, "{c:?}");
        assert_eq!(c.last().unwrap().1, 50);
        for w in c.windows(2) {
            assert!(w[1].0 - w[0].0 >= 500, "{c:?}");
        }
        // Every message appears at or after its time.
        for (t, shown) in &c {
            assert!(m[..*shown].iter().all(|m| m.at <= *t), "{c:?}");
        }
        // Messages after the end are not shown.
        assert_eq!(change_times(&[msg(20_000, "late")], 10_000), vec![(0, 0)]);
    }

    #[test]
    fn newest_at_the_bottom_and_escaped() {
        let m = vec![msg(1000, "first <b>"), msg(2000, "second")];
        let s = svg(&m, 2, (384, 720));
        let (first, second) = (s.find("first &lt;b&gt;").unwrap(), s.find("second").unwrap());
        // Drawn newest first from the bottom up.
        assert!(second < first);
        assert!(svg(&m, 1, (384, 720)).find("second").is_none());
        assert!(roxmltree::Document::parse(&s).is_ok());
    }
}
