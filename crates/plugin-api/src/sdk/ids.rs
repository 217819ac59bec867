//! Identifiers that end up in paths, URLs and SQL: checked once, here.

/// Checks a recordID before it is used in a path or a URL. BBB's are
/// `<40 hex>-<13 digits>` (very old ones are UUIDs); anything outside
/// `[A-Za-z0-9._-]`, starting with a dot, containing `..`, or longer than 200
/// bytes is refused (`../`, `/`, `%`, spaces, control characters…).
pub fn validate_record_id(id: &str) -> Result<(), String> {
    let shown: String = id.chars().take(80).flat_map(char::escape_default).collect();
    if id.is_empty() {
        return Err("empty recordID".into());
    }
    if id.len() > 200 {
        return Err(format!("recordID `{shown}…` is longer than 200 bytes"));
    }
    if let Some(bad) = id.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
        return Err(format!(
            "recordID `{shown}` contains `{}`; refused (not safe in a path or URL)",
            bad.escape_default()
        ));
    }
    if id.starts_with('.') || id.contains("..") {
        return Err(format!("recordID `{shown}` contains `..` or starts with a dot; refused"));
    }
    Ok(())
}

/// A file-name-safe rendering of any text (a meeting name): ASCII letters,
/// digits, `-`, `_` and `.`; every other run of characters becomes one `_`;
/// at most `max_bytes` bytes; never empty, never `.`/`..`, never hidden.
pub fn safe_file_name(text: &str, max_bytes: usize) -> String {
    // Separators (`_`, `.`) never repeat: a run of them becomes one `_`, or
    // one `.` if it held only dots — so no `..` can survive.
    let mut out = String::new();
    for c in text.chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' };
        match (out.chars().last(), c) {
            (Some('.' | '_'), '.') => continue,
            (Some('.'), '_') => {
                out.pop();
                out.push('_');
            }
            (Some('_'), '_') => continue,
            _ => out.push(c),
        }
    }
    let mut out: String = out.trim_matches(|c| c == '_' || c == '.').to_string();
    out.truncate(max_bytes.max(1));
    let out = out.trim_end_matches(['_', '.']).to_string();
    if out.is_empty() {
        "recording".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_ids_and_refuses_hostile_ones() {
        assert!(validate_record_id("bc04628ab61776c9f65c695dc59f36abf8955bbc-1504087272607").is_ok());
        assert!(validate_record_id("183f0bf3-d7ea-4a1b-8b7e-2e5f4e1c9a11").is_ok());
        for bad in ["", "../etc/passwd", "a/b", "a%2e%2e", "..", ".hidden", "a b", "a\nb", "x\\y"] {
            let e = validate_record_id(bad).unwrap_err();
            assert!(!e.contains('\n'), "{e}");
        }
        assert!(validate_record_id(&"a".repeat(201)).is_err());
    }

    #[test]
    fn file_names_are_safe_and_bounded() {
        assert_eq!(safe_file_name("Cours d'été: \"../../etc\" 🎓", 100), "Cours_d_t_etc");
        assert_eq!(safe_file_name("../..", 100), "recording");
        assert_eq!(safe_file_name("", 100), "recording");
        let long = safe_file_name(&"x".repeat(300), 120);
        assert_eq!(long.len(), 120);
        assert!(!safe_file_name("..a..b", 100).contains(".."));
    }
}
