//! Text that ends up in spreadsheet cells (CSV exports, indexes).

/// One line per cell, and no spreadsheet formulas: line breaks become spaces, a cell that
/// starts with `= + - @` or a tab gets a leading `'`.
pub fn spreadsheet_safe(cell: &str) -> String {
    let one_line: String = cell.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect();
    match one_line.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t') => format!("'{one_line}"),
        _ => one_line,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_and_line_breaks_are_neutralised() {
        assert_eq!(super::spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(super::spreadsheet_safe("a\r\nb"), "a  b");
        assert_eq!(super::spreadsheet_safe("plain"), "plain");
    }
}
