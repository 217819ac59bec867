//! The commands of a migration's end: `undo`, `pending`, `retire` (the
//! engine part is [`crate::engine::undo`]); loading and printing.
use crate::cli::{fail, usage, Usage};
use crate::config::{JournalAt, Pipeline};
use crate::engine::undo::{self, Answers, PendingOwner, UndoOptions};
use crate::plugins::{search_dirs, Instances, Registry};
use crate::redact::Redactor;
use plugin_api::sdk::cells::spreadsheet_safe;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy)]
pub enum Format {
    Text,
    Csv,
    Json,
}

/// The pipeline, its fingerprint (of the full pipeline: the journal's
/// check), and only its sinks built (no source lists, no resolver connects).
fn load_sinks(
    config: &Path,
    plugin_dirs: &[PathBuf],
    dry_run: bool,
    redactor: &Redactor,
) -> Result<(Pipeline, String, Instances), Usage> {
    let mut p = usage(Pipeline::load(config, redactor))?;
    let fp = p.fingerprint();
    if let (JournalAt::File(f), false) = (&p.journal, dry_run) {
        usage(crate::engine::prepare_journal_path(f))?;
    }
    p.sources.clear();
    p.resolvers.clear();
    let mut reg = usage(Registry::discover(&search_dirs(plugin_dirs, &p.plugin_dirs)))?;
    let inst = usage(Instances::build(&p, &mut reg, dry_run, redactor))?;
    Ok((p, fp, inst))
}

fn print_answers(title: &str, a: &Answers, redactor: &Redactor) {
    println!("{title}");
    for x in &a.answers {
        let tag = match x.result {
            "undone" => "UNDONE",
            "nothing-left" => "NOTHING LEFT",
            "planned" => "WOULD",
            "removed" => "REMOVED",
            "kept" => "KEPT",
            "unsupported" => "NOT UNDONE",
            _ => "FAILED",
        };
        println!("  {tag} {}", redactor.line(&format!("{} [{}]: {}", x.record_id, x.sink, x.detail)));
    }
}

pub(crate) fn undo(
    config: &Path,
    plugin_dirs: &[PathBuf],
    opts: &UndoOptions,
    redactor: &Redactor,
) -> Result<ExitCode, Usage> {
    let (p, fp, inst) = load_sinks(config, plugin_dirs, opts.dry_run, redactor)?;
    usage(undo::check_sinks(&inst, &opts.sinks))?;
    let a = match undo::undo(&p, &fp, &inst, opts) {
        Ok(a) => a,
        Err(e) => return Ok(fail(e, redactor)),
    };
    let title = if opts.dry_run { "Undo (dry run): nothing written" } else { "Undo:" };
    print_answers(title, &a, redactor);
    println!(
        "{} undone, {} with nothing left to undo, {} planned, {} not undone",
        a.count("undone"),
        a.count("nothing-left"),
        a.count("planned"),
        a.count("failed") + a.count("unsupported")
    );
    Ok(if a.has_failures() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

pub(crate) fn retire(
    config: &Path,
    plugin_dirs: &[PathBuf],
    dry_run: bool,
    redactor: &Redactor,
) -> Result<ExitCode, Usage> {
    let (p, _, inst) = load_sinks(config, plugin_dirs, dry_run, redactor)?;
    let a = match undo::retire(&p, &inst) {
        Ok(a) => a,
        Err(e) => return Ok(fail(e, redactor)),
    };
    print_answers(if dry_run { "Retire (dry run): nothing written" } else { "Retire:" }, &a, redactor);
    println!(
        "{} removed, {} kept, {} planned, {} failed",
        a.count("removed"),
        a.count("kept"),
        a.count("planned"),
        a.count("failed")
    );
    Ok(if a.has_failures() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn csv_cell(s: &str) -> String {
    let s = spreadsheet_safe(s);
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The `pending` list as CSV: one line per item, the owner's columns repeated.
pub fn pending_csv(owners: &[PendingOwner]) -> String {
    let mut out = String::from("username,email,first_name,last_name,count,record_id,sink,kind,what\r\n");
    for o in owners {
        for i in &o.items {
            let cells = [
                o.username.as_str(),
                &o.email,
                &o.first_name,
                &o.last_name,
                &o.count.to_string(),
                &i.record_id,
                &i.sink,
                &i.kind,
                &i.what,
            ];
            out.push_str(&cells.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
    }
    out
}

pub(crate) fn pending(
    config: &Path,
    plugin_dirs: &[PathBuf],
    format: Format,
    redactor: &Redactor,
) -> Result<ExitCode, Usage> {
    let (p, _, inst) = load_sinks(config, plugin_dirs, true, redactor)?;
    let (owners, failures) = match undo::pending(&p, &inst) {
        Ok(x) => x,
        Err(e) => return Ok(fail(e, redactor)),
    };
    match format {
        Format::Json => {
            let v = serde_json::json!({"owners": owners, "failures": failures.answers});
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        Format::Csv => print!("{}", pending_csv(&owners)),
        Format::Text => {
            let esc = |t: &str| plugin_api::sdk::text::escape_line(t).into_owned();
            for o in &owners {
                println!(
                    "{} <{}> {} {}: {} pending",
                    esc(&o.username),
                    esc(&o.email),
                    esc(&o.first_name),
                    esc(&o.last_name),
                    o.count
                );
                for i in &o.items {
                    println!("  {} [{}] {}: {}", esc(&i.record_id), esc(&i.sink), esc(&i.kind), esc(&i.what));
                }
            }
            let n: usize = owners.iter().map(|o| o.count).sum();
            println!("{} owner(s), {n} item(s) pending", owners.len());
        }
    }
    for f in &failures.answers {
        eprintln!("FAILED {}", redactor.line(&format!("{} [{}]: {}", f.record_id, f.sink, f.detail)));
    }
    Ok(if failures.has_failures() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
