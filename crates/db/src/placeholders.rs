//! The SQL text itself: `?` placeholder lists, their PostgreSQL `$n` form,
//! and `IN (…)` lists padded to powers of two so statement texts repeat.
use crate::Param;

/// `?, ?, ?` with `n` placeholders (at least one: `n = 0` gives `NULL`, which matches nothing in `IN (…)`).
pub fn placeholders(n: usize) -> String {
    if n == 0 {
        return "NULL".into();
    }
    vec!["?"; n].join(", ")
}

/// Rewrites `?` placeholders to `$1…$n` (PostgreSQL), leaving quoted text alone.
pub fn to_dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                out.push(c);
            }
            None => match c {
                '\'' | '"' | '`' => {
                    quote = Some(c);
                    out.push(c);
                }
                '?' => {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                }
                _ => out.push(c),
            },
        }
    }
    out
}

/// Pads every `IN (?, ?, …)` list to the next power of two placeholders by
/// repeating its last parameter (same rows, fewer distinct statement texts:
/// the prepared-statement caches of both drivers then hit batch after batch).
/// Lists written otherwise (`IN (NULL)`, subqueries, literals) are left alone.
pub fn pad_in_lists(sql: &str, params: Vec<Param>) -> (String, Vec<Param>) {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 32);
    // (index of the list's last parameter, copies to add)
    let mut pads: Vec<(usize, usize)> = Vec::new();
    let mut n = 0usize; // placeholders seen
    let mut quote: Option<u8> = None;
    let mut i = 0;
    let mut last = 0; // bytes of `sql` copied so far
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match c {
            b'\'' | b'"' | b'`' => quote = Some(c),
            b'?' => n += 1,
            b'I' | b'i'
                if (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
                    && i + 1 < b.len()
                    && b[i + 1].eq_ignore_ascii_case(&b'n') =>
            {
                // `IN` then spaces then `(`, then only `?`, `,` and spaces up to `)`.
                let mut j = i + 2;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j < b.len() && b[j] == b'(' && j > i + 1 {
                    let mut k = j + 1;
                    let mut count: usize = 0;
                    let mut ok = true;
                    while k < b.len() && b[k] != b')' {
                        match b[k] {
                            b'?' => count += 1,
                            b',' => {}
                            x if x.is_ascii_whitespace() => {}
                            _ => {
                                ok = false;
                                break;
                            }
                        }
                        k += 1;
                    }
                    if ok && k < b.len() && count > 0 {
                        let target = count.next_power_of_two();
                        out.push_str(&sql[last..j]);
                        out.push('(');
                        out.push_str(&vec!["?"; target].join(", "));
                        out.push(')');
                        last = k + 1;
                        n += count;
                        if target > count {
                            pads.push((n - 1, target - count));
                        }
                        i = k + 1;
                        continue;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(&sql[last..]);
    if pads.is_empty() || n != params.len() {
        // Nothing to pad, or placeholders we did not understand: leave the statement as written.
        return (if pads.is_empty() { out } else { sql.to_string() }, params);
    }
    let mut padded = Vec::with_capacity(params.len() + pads.iter().map(|p| p.1).sum::<usize>());
    let mut next = pads.iter().peekable();
    for (idx, p) in params.into_iter().enumerate() {
        padded.push(p.clone());
        while let Some(&&(at, copies)) = next.peek() {
            if at != idx {
                break;
            }
            padded.extend((0..copies).map(|_| p.clone()));
            next.next();
        }
    }
    (out, padded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rewritten_outside_quotes() {
        assert_eq!(to_dollar_placeholders("a = ? AND b IN (?, ?) AND c = '?'"), "a = $1 AND b IN ($2, $3) AND c = '?'");
        assert_eq!(placeholders(3), "?, ?, ?");
        assert_eq!(placeholders(0), "NULL");
    }

    #[test]
    fn in_lists_are_padded_to_powers_of_two() {
        let p = |v: &[i64]| v.iter().map(|&i| Param::Int(i)).collect::<Vec<_>>();
        let (sql, params) = pad_in_lists(
            "SELECT a FROM t WHERE x = ? AND id IN (?, ?, ?) AND y IN (?,?) AND s = 'in (?)'",
            p(&[9, 1, 2, 3, 4, 5]),
        );
        assert_eq!(sql, "SELECT a FROM t WHERE x = ? AND id IN (?, ?, ?, ?) AND y IN (?, ?) AND s = 'in (?)'");
        assert_eq!(params, p(&[9, 1, 2, 3, 3, 4, 5]));
        let (sql, params) = pad_in_lists(
            "SELECT 1 FROM t WHERE a IN (NULL) OR b IN (?, ?, ?, ?, ?) OR c IN (SELECT 1) OR d IN (?)",
            p(&[1, 2, 3, 4, 5, 6]),
        );
        assert_eq!(
            sql,
            "SELECT 1 FROM t WHERE a IN (NULL) OR b IN (?, ?, ?, ?, ?, ?, ?, ?) OR c IN (SELECT 1) OR d IN (?)"
        );
        assert_eq!(params, p(&[1, 2, 3, 4, 5, 5, 5, 5, 6]));
        // `min(?)` or `JOIN (…)` is not an IN list; `login (?, ?)` neither.
        let (sql, params) = pad_in_lists("SELECT COALESCE(?, ?, ?) FROM login (?, ?, ?)", p(&[1, 2, 3, 4, 5, 6]));
        assert_eq!((sql.as_str(), params.len()), ("SELECT COALESCE(?, ?, ?) FROM login (?, ?, ?)", 6));
    }
}
