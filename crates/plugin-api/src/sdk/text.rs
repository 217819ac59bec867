//! Remote text made safe: one helper for every line a terminal or a log
//! shows ([`escape_line`]), and one for every field a sink stores
//! ([`strip_controls`]).
use std::borrow::Cow;

/// Unicode bidirectional formatting characters: they reorder what a
/// terminal shows (a recordID could display as another).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn needs_escape(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// The text on one line, every control character (newline, carriage
/// return, tab, ESC and the other C0/C1 controls, DEL) and every bidi
/// override shown as a Rust-style escape (`\n`, `\u{1b}`, `\u{202e}`), so
/// text from a remote server can neither forge an output line nor drive the
/// terminal. Everything else is kept as is.
pub fn escape_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The text with NUL and every other control character removed (C0, DEL,
/// C1); `keep_breaks` keeps tab, newline and carriage return (free text),
/// otherwise they become spaces (identifiers, names: one line).
pub fn strip_controls(text: &str, keep_breaks: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' | '\n' | '\r' if keep_breaks => out.push(c),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// An error and its causes (`source()` chain), each cause appended once
/// (`a: b: c`): drivers and HTTP clients hide the useful part in the causes
/// ("invalid peer certificate: UnknownIssuer").
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_cannot_be_forged_nor_the_terminal_driven() {
        let id = "abc\nFAILED other [csv]: forged\x1b[2J\u{202e}cba\u{7}";
        let shown = escape_line(id);
        assert_eq!(shown, "abc\\nFAILED other [csv]: forged\\u{1b}[2J\\u{202e}cba\\u{7}");
        assert!(!shown.chars().any(needs_escape));
        assert!(matches!(escape_line("Cours d'été 2024"), Cow::Borrowed(_)));
    }

    #[test]
    fn controls_are_removed_from_stored_fields() {
        assert_eq!(strip_controls("a\0b\u{1b}c\u{85}d", false), "abcd");
        assert_eq!(strip_controls("line 1\nline 2\t.", false), "line 1 line 2 .");
        assert_eq!(strip_controls("line 1\nline 2\0", true), "line 1\nline 2");
    }
}
