//! Undo for the CSV sink: a recording's row leaves the file, every other
//! byte stays (rows are one line each, see `row::neutralise`).
use crate::io_err;
use plugin_api::abi::{Delivered, Outcome, PluginError};
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

/// The recordID (first cell) of one CSV line.
fn first_cell(line: &[u8]) -> Option<String> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(line);
    let rec = rdr.records().next()?.ok()?;
    rec.get(0).map(String::from)
}

/// Lines of `bytes`, each with its line end.
fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            out.push(&bytes[start..=i]);
            start = i + 1;
        }
    }
    if start < bytes.len() {
        out.push(&bytes[start..]);
    }
    out
}

/// Removes the rows of `ids` from `path` (if it exists); returns the ids found.
fn rewrite(path: &Path, ids: &HashSet<&str>, dry_run: bool) -> Result<HashSet<String>, PluginError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashSet::new()),
        Err(e) => return Err(io_err(path, e)),
    };
    let mut kept = Vec::with_capacity(bytes.len());
    let mut found = HashSet::new();
    for (i, line) in lines(&bytes).into_iter().enumerate() {
        let id = if i == 0 { None } else { first_cell(line) };
        match id {
            Some(id) if ids.contains(id.as_str()) => {
                found.insert(id);
            }
            _ => kept.extend_from_slice(line),
        }
    }
    if found.is_empty() || dry_run {
        return Ok(found);
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".undo");
    let tmp = std::path::PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
    f.write_all(&kept).and_then(|_| f.sync_all()).map_err(|e| io_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))?;
    Ok(found)
}

/// One outcome per delivery: `DONE` (row removed), `SKIPPED` (no row left).
pub fn remove_rows(files: &[&Path], batch: &[Delivered], dry_run: bool) -> Result<Vec<Outcome>, PluginError> {
    let ids: HashSet<&str> = batch.iter().map(|d| d.record_id.as_str()).collect();
    let mut found = HashSet::new();
    for f in files {
        found.extend(rewrite(f, &ids, dry_run)?);
    }
    Ok(batch
        .iter()
        .map(|d| {
            let id = d.record_id.as_str();
            match (found.contains(id), dry_run) {
                (false, _) => Outcome::skipped(id, "no row in the CSV: nothing to undo"),
                (true, true) => Outcome::planned(id, "would remove its row from the CSV"),
                (true, false) => Outcome::done(id, "row removed from the CSV"),
            }
        })
        .collect())
}
