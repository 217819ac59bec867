//! Error messages for humans: one line, with their causes.

/// An error and its causes (`source()` chain), each said once, joined with `: `.
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

/// [`error_chain`] on one line (runs of white space, line breaks included, become one space).
pub fn one_line(e: &dyn std::error::Error) -> String {
    error_chain(e).split_whitespace().collect::<Vec<_>>().join(" ")
}
