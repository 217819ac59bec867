//! Finding the line of a key in the pipeline file, for error messages.
use anyhow::{anyhow, Result};
use std::path::{Path, PathBuf};
use toml_edit::{ImDocument, Item};

#[derive(Debug, Clone)]
pub struct Locator {
    file: PathBuf,
    text: String,
}

impl Locator {
    pub fn new(file: &Path, text: &str) -> Result<Self> {
        Ok(Self { file: file.to_path_buf(), text: text.to_string() })
    }

    fn line_of_offset(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())].matches('\n').count() + 1
    }

    /// `file:line` of the key at `path` (e.g. `["sinks", "0", "path"]`); the
    /// nearest existing parent if the key is missing; just `file` if nothing.
    pub fn at(&self, path: &[&str]) -> String {
        match self.line(path) {
            Some(l) => format!("{}:{l}", self.file.display()),
            None => self.file.display().to_string(),
        }
    }

    fn line(&self, path: &[&str]) -> Option<usize> {
        enum Node<'a> {
            Item(&'a Item),
            Table(&'a toml_edit::Table),
        }
        let doc = ImDocument::parse(self.text.as_str()).ok()?;
        let mut best: Option<usize> = None;
        let mut node = Node::Item(doc.as_item());
        for seg in path {
            let table: &dyn toml_edit::TableLike = match node {
                Node::Item(Item::ArrayOfTables(a)) => {
                    let Some(t) = seg.parse().ok().and_then(|i| a.get(i)) else { break };
                    if let Some(s) = t.span() {
                        best = Some(s.start);
                    }
                    node = Node::Table(t);
                    continue;
                }
                Node::Item(item) => match item.as_table_like() {
                    Some(t) => t,
                    None => break,
                },
                Node::Table(t) => t,
            };
            let Some((key, child)) = table.get_key_value(seg) else { break };
            if let Some(s) = key.span() {
                best = Some(s.start);
            }
            node = Node::Item(child);
        }
        best.map(|o| self.line_of_offset(o))
    }

    /// `file:line` of the first occurrence of a literal text.
    pub fn at_text(&self, needle: &str) -> String {
        match self.text.find(needle) {
            Some(o) => format!("{}:{}", self.file.display(), self.line_of_offset(o)),
            None => self.file.display().to_string(),
        }
    }

    /// A TOML syntax error as one line `file:line:col: message`.
    pub fn syntax_error(&self, e: &toml::de::Error) -> anyhow::Error {
        let msg = e.message().lines().next().unwrap_or("invalid TOML").to_string();
        match e.span() {
            Some(span) => {
                let line = self.line_of_offset(span.start);
                let col = span.start - self.text[..span.start].rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
                anyhow!("{}:{line}:{col}: invalid TOML: {msg}", self.file.display())
            }
            None => anyhow!("{}: invalid TOML: {msg}", self.file.display()),
        }
    }

    /// A decoding error of the host's own keys found by decoding the file's own
    /// text (`e` has a span): the key whose value is at fault is named, at its
    /// own line (`file:2: batch_size: invalid type: string "fifty", expected usize`).
    /// `None` when the error has no span.
    pub fn decode_error(&self, e: &toml::de::Error) -> Option<anyhow::Error> {
        let span = e.span()?;
        let msg = e.message().lines().next().unwrap_or("invalid value");
        if msg.starts_with("missing field") {
            return None;
        }
        Some(match self.key_at(span.start) {
            Some((key, line)) => anyhow!("{}:{line}: {key}: {msg}", self.file.display()),
            None => anyhow!("{}:{}: {msg}", self.file.display(), self.line_of_offset(span.start)),
        })
    }

    /// The dotted name and line of the key whose value holds byte `offset`.
    fn key_at(&self, offset: usize) -> Option<(String, usize)> {
        fn walk(
            t: &dyn toml_edit::TableLike,
            path: &mut Vec<String>,
            offset: usize,
            found: &mut Option<(String, usize)>,
        ) {
            for (name, item) in t.iter() {
                let key_start = t.get_key_value(name).and_then(|(k, _)| k.span()).map(|s| s.start);
                path.push(name.to_string());
                match item {
                    Item::Value(v) => {
                        if v.span().is_some_and(|s| s.contains(&offset)) {
                            *found = key_start.map(|k| (path.join("."), k));
                        }
                        if let Some(inline) = v.as_inline_table() {
                            walk(inline, path, offset, found);
                        }
                    }
                    Item::Table(sub) => walk(sub, path, offset, found),
                    Item::ArrayOfTables(a) => {
                        for (i, sub) in a.iter().enumerate() {
                            let last = path.pop().unwrap_or_default();
                            path.push(format!("{last}[{i}]"));
                            walk(sub, path, offset, found);
                            path.pop();
                            path.push(last);
                        }
                    }
                    Item::None => {}
                }
                path.pop();
            }
        }
        let doc = ImDocument::parse(self.text.as_str()).ok()?;
        let mut found = None;
        walk(doc.as_table(), &mut Vec::new(), offset, &mut found);
        found.map(|(k, at)| (k, self.line_of_offset(at)))
    }

    /// A decoding error of the host's own keys (`unknown field `jornal``),
    /// pointing at the key where it can be found.
    pub fn serde_error(&self, msg: &str) -> anyhow::Error {
        let msg = msg.lines().next().unwrap_or(msg);
        let key = msg.split('`').nth(1).unwrap_or("");
        let at = [vec![key], vec!["select", key], vec!["fallback", key]]
            .into_iter()
            .find_map(|p| self.line(&p).map(|_| self.at(&p)))
            .unwrap_or_else(|| self.file.display().to_string());
        anyhow!("{at}: {msg}")
    }
}
