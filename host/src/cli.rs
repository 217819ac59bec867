//! Command line: `run`, `worker`, `check`, `verify`, `plugins`, `survey`, `report`, `status`,
//! `undo`, `pending`, `retire`, `render`, …
//!
//! Exit codes ([`EXIT_CODES`]): 0 every selected recording succeeded; 1 some
//! failed (listed) or the run stopped; 2 usage or configuration error.
use crate::config::{JournalAt, Pipeline};
use crate::engine::{self, store, PgJournal, RunOptions};
use crate::logging::LogFormat;
use crate::plugins::{search_dirs, Instances, Registry};
use crate::progress::Progress;
use crate::redact::Redactor;
use anyhow::Result;
use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Shown at the end of `--help` and in the man page.
pub const EXIT_CODES: &str = "Exit codes:
  0  every selected recording succeeded (or the command did what it was asked)
  1  some recordings failed (listed, journaled, retried by the next run), a check failed,
     or the run stopped (a source that cannot list, a journal that cannot be written)
  2  usage or configuration error (one line naming the file, line and key)";

#[derive(Parser)]
#[command(
    name = "bbb-migrate",
    version,
    about = "Move every BigBlueButton recording off old BBB/Scalelite servers: sources list them, resolvers find their owners, sinks deliver them.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Errors only: no progress, no warnings, no summary unless something failed.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Log lines as text, or as JSON objects (time, level, target, record_id, component, message).
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the pipeline (resumes where an earlier run stopped).
    Run {
        #[arg(long, short)]
        config: PathBuf,
        /// Read everything, write nothing (journal included), print what each sink would do.
        #[arg(long)]
        dry_run: bool,
        /// First recording to take (1-based, newest first), overrides select.from.
        #[arg(long)]
        from: Option<usize>,
        /// Last recording to take (inclusive), overrides select.to.
        #[arg(long)]
        to: Option<usize>,
        /// Only this recordID (repeatable).
        #[arg(long = "record", value_name = "ID")]
        records: Vec<String>,
        /// Extra folder to search for plugins (repeatable; searched first).
        #[arg(long = "plugin-dir", value_name = "DIR")]
        plugin_dirs: Vec<PathBuf>,
        /// Join every sink at the end of every batch (the engine before pipelining; benchmarks only).
        #[arg(long, hide = true)]
        batch_join: bool,
        /// Use a journal created by another pipeline (other sources or sinks).
        #[arg(long)]
        force: bool,
    },
    /// Claim and work items of a PostgreSQL journal (one of a fleet); lists nothing.
    Worker {
        #[arg(long, short)]
        config: PathBuf,
        #[arg(long = "plugin-dir", value_name = "DIR")]
        plugin_dirs: Vec<PathBuf>,
        /// Use a journal created by another pipeline (other sources or sinks).
        #[arg(long)]
        force: bool,
    },
    /// Parse the config, load every plugin, let each check its settings and connections. Writes nothing.
    Check {
        #[arg(long, short)]
        config: PathBuf,
        #[arg(long = "plugin-dir", value_name = "DIR")]
        plugin_dirs: Vec<PathBuf>,
    },
    /// Re-check every `archive` sink's archive against its manifests (sizes, SHA-256). Writes nothing.
    Verify {
        #[arg(long, short)]
        config: PathBuf,
        #[arg(long = "plugin-dir", value_name = "DIR")]
        plugin_dirs: Vec<PathBuf>,
    },
    /// List the plugins found (name, kind, type, version, ABI version, file).
    Plugins {
        /// A pipeline file whose plugin_dirs to search too.
        #[arg(long, short)]
        config: Option<PathBuf>,
        #[arg(long = "plugin-dir", value_name = "DIR")]
        plugin_dirs: Vec<PathBuf>,
    },
    /// Inventory of the sources before a run: per origin, server, year, state, format; hours, bytes,
    /// render time; with --resolve, who would own what. Reads only, writes nothing.
    Survey {
        #[arg(long, short)]
        config: PathBuf,
        /// Also ask the resolvers (read-only) who would own each recording.
        #[arg(long)]
        resolve: bool,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[arg(long = "plugin-dir", value_name = "DIR")]
        plugin_dirs: Vec<PathBuf>,
    },
    /// Write a commented starter pipeline for a server (secret read from ${BBB_SECRET}).
    Init {
        /// The server's https://host/bigbluebutton/ address.
        #[arg(long)]
        url: String,
        /// `bbb` or `scalelite`.
        #[arg(long = "type", default_value = "bbb")]
        kind: String,
        /// The file to write (never overwritten).
        #[arg(long, short, default_value = "pipeline.toml")]
        output: PathBuf,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), generated from this command line.
    Man,
    /// (Re)build the HTML report `<journal>.report.html` from the journal.
    Report {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Summary of the journal: per sink and outcome, failures, last runs.
    Status {
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Revert what the journal says each sink wrote (newest first, one transaction per recording
    /// and sink); the journal keeps it as `undone` and a later run delivers it again.
    Undo {
        #[arg(long, short)]
        config: PathBuf,
        /// Only this sink (by name; repeatable).
        #[arg(long = "sink", value_name = "NAME")]
        sinks: Vec<String>,
        /// Only this recordID (repeatable).
        #[arg(long = "record", value_name = "ID")]
        records: Vec<String>,
        /// Only what this run delivered (see `status`).
        #[arg(long, value_name = "N")]
        run: Option<i64>,
        /// Say what would be reverted; write nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long = "plugin-dir", value_name = "DIR")]
        plugin_dirs: Vec<PathBuf>,
    },
    /// Per owner: what the migration made that they have not taken over yet (external recordings
    /// not uploaded, claim files not claimed), to mail them before the old servers stop. Reads only.
    Pending {
        #[arg(long, short)]
        config: PathBuf,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        #[arg(long = "plugin-dir", value_name = "DIR")]
        plugin_dirs: Vec<PathBuf>,
    },
    /// Shutdown day: remove what the migration made that nobody took over (dead links), keep the
    /// rest. Idempotent.
    Retire {
        #[arg(long, short)]
        config: PathBuf,
        /// Say what would be removed; write nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long = "plugin-dir", value_name = "DIR")]
        plugin_dirs: Vec<PathBuf>,
    },
    /// Render a BBB "presentation" recording to an MP4 video, without a browser.
    Render {
        /// A published presentation folder, or its `https://host/presentation/<recordID>/` URL.
        #[arg(long, short)]
        input: String,
        /// The MP4 file to write (appears only when complete).
        #[arg(long, short)]
        output: PathBuf,
        #[arg(long, default_value_t = 1280)]
        width: u32,
        #[arg(long, default_value_t = 720)]
        height: u32,
        /// Slides, annotations and audio only (no webcam, screen share or cursor).
        #[arg(long)]
        slides_only: bool,
        /// Public chat: `sidecar` (NAME.chat.txt and NAME.chat.vtt beside the video),
        /// `panel` (also drawn as a column beside the slides) or `off`.
        #[arg(long, value_enum, default_value_t = ChatArg::Sidecar)]
        chat: ChatArg,
        /// Chat sender names: `real`, or `anonymous` (Participant 1, 2…).
        #[arg(long, value_enum, default_value_t = ChatNamesArg::Real)]
        chat_names: ChatNamesArg,
        /// Sound track: `aac` (plays everywhere), or `keep` (the source's Opus, AAC or MP3
        /// copied as it is: faster, but Opus in MP4 does not play on older Apple devices).
        #[arg(long, value_enum, default_value_t = AudioArg::Aac)]
        audio: AudioArg,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Html,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ListFormat {
    Text,
    Csv,
    Json,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ChatArg {
    Off,
    Sidecar,
    Panel,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ChatNamesArg {
    Real,
    Anonymous,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum AudioArg {
    Aac,
    Keep,
}

/// An error that is the user's to fix (exit 2) rather than a failed run (exit 1).
pub(crate) struct Usage(pub(crate) anyhow::Error);

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::logging::init(cli.verbose, cli.quiet, cli.log_format);
    let quiet = cli.quiet;
    let redactor = Redactor::default();
    let result = match cli.command {
        Command::Run { config, dry_run, from, to, records, plugin_dirs, batch_join, force } => {
            let opts = RunOptions { dry_run, from, to, records, batch_join, force, worker_only: false };
            run(&config, &plugin_dirs, opts, quiet, &redactor)
        }
        Command::Worker { config, plugin_dirs, force } => {
            let opts = RunOptions { worker_only: true, force, ..Default::default() };
            run(&config, &plugin_dirs, opts, quiet, &redactor)
        }
        Command::Check { config, plugin_dirs } => check(&config, &plugin_dirs, &redactor),
        Command::Verify { config, plugin_dirs } => verify(&config, &plugin_dirs, &redactor),
        Command::Plugins { config, plugin_dirs } => plugins(config.as_deref(), &plugin_dirs, &redactor),
        Command::Survey { config, resolve, format, plugin_dirs } => {
            survey(&config, &plugin_dirs, resolve, format, &redactor)
        }
        Command::Report { config } => report(&config, &redactor),
        Command::Init { url, kind, output } => init(&url, &kind, &output),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "bbb-migrate", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => man(),
        Command::Status { config } => status(&config, &redactor),
        Command::Undo { config, sinks, records, run, dry_run, plugin_dirs } => {
            let opts = engine::undo::UndoOptions { sinks, records, run, dry_run };
            crate::lifecycle::undo(&config, &plugin_dirs, &opts, &redactor)
        }
        Command::Pending { config, format, plugin_dirs } => {
            let format = match format {
                ListFormat::Text => crate::lifecycle::Format::Text,
                ListFormat::Csv => crate::lifecycle::Format::Csv,
                ListFormat::Json => crate::lifecycle::Format::Json,
            };
            crate::lifecycle::pending(&config, &plugin_dirs, format, &redactor)
        }
        Command::Retire { config, dry_run, plugin_dirs } => {
            crate::lifecycle::retire(&config, &plugin_dirs, dry_run, &redactor)
        }
        Command::Render { input, output, width, height, slides_only, chat, chat_names, audio } => {
            render(&input, &output, (width, height), slides_only, (chat, chat_names), audio)
        }
    };
    match result {
        Ok(code) => code,
        Err(Usage(e)) => {
            eprintln!("error: {}", redactor.line(&one_line(&e)));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line (the SDK's one helper).
fn one_line(e: &anyhow::Error) -> String {
    plugin_api::sdk::text::error_chain(&**e)
}

pub(crate) fn usage<T>(r: Result<T>) -> Result<T, Usage> {
    r.map_err(Usage)
}

pub(crate) fn fail(e: anyhow::Error, redactor: &Redactor) -> ExitCode {
    eprintln!("error: {}", redactor.line(&one_line(&e)));
    ExitCode::from(1)
}

fn load(
    config: &std::path::Path,
    plugin_dirs: &[PathBuf],
    dry_run: bool,
    redactor: &Redactor,
) -> Result<(Pipeline, Instances), Usage> {
    let p = usage(Pipeline::load(config, redactor))?;
    let mut reg = usage(Registry::discover(&search_dirs(plugin_dirs, &p.plugin_dirs)))?;
    let inst = usage(Instances::build(&p, &mut reg, dry_run, redactor))?;
    Ok((p, inst))
}

fn run(
    config: &std::path::Path,
    plugin_dirs: &[PathBuf],
    opts: RunOptions,
    quiet: bool,
    redactor: &Redactor,
) -> Result<ExitCode, Usage> {
    let (p, inst) = load(config, plugin_dirs, opts.dry_run, redactor)?;
    // Before anything is listed or written: the journal is reachable, not
    // newer than this binary and this pipeline's (else exit 2).
    if let (JournalAt::File(f), false) = (&p.journal, opts.dry_run) {
        usage(engine::prepare_journal_path(f))?;
    }
    usage(store::check_before_run(&p.journal, &p.fingerprint(), opts.force, opts.dry_run))?;
    let progress = Progress::new(quiet);
    let report = match engine::run(&p, &inst, &opts, &progress) {
        Ok(r) => r,
        Err(e) => return Ok(fail(e, redactor)),
    };
    if opts.dry_run {
        println!("Plan (dry run):");
        for l in &report.planned {
            println!("  {}", redactor.line(&format!("{} [{}]: {}", l.record_id, l.component, l.detail)));
        }
    } else {
        let path = p.report_path();
        let json = redactor.redact(&serde_json::to_string_pretty(&report).unwrap_or_default());
        if let Err(e) = std::fs::write(&path, json) {
            eprintln!("warning: {}: cannot write the report: {e}", path.display());
        }
        if let Err(e) = crate::report_html::write(&p, redactor) {
            eprintln!("warning: {}", redactor.redact(&one_line(&e)));
        }
    }
    let missing = !report.selection.missing_records.is_empty();
    if quiet && !report.has_failures() && !missing {
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", report.summary());
    if !opts.dry_run {
        println!(
            "journal: {}  report: {}  {}",
            redactor.redact(&p.journal.display()),
            p.report_path().display(),
            crate::report_html::html_path(&p).display()
        );
    }
    Ok(if report.has_failures() || missing { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn check(config: &std::path::Path, plugin_dirs: &[PathBuf], redactor: &Redactor) -> Result<ExitCode, Usage> {
    let (p, inst) = load(config, plugin_dirs, true, redactor)?;
    println!("{}: configuration OK", p.file.display());
    let mut problems = 0;
    let mut report = |kind: &str, name: &str, r: Result<Vec<String>, String>| match r {
        Ok(lines) => {
            println!("  {kind} {name}: OK");
            for l in lines {
                println!("    {}", redactor.line(&l));
            }
        }
        Err(e) => {
            problems += 1;
            println!("  {kind} {name}: FAILED: {}", redactor.line(&e));
        }
    };
    for s in &inst.sources {
        report("source", s.name(), s.check());
    }
    for r in &inst.resolvers {
        report("resolver", r.name(), r.check());
    }
    for s in &inst.sinks {
        let answer = s.check().map(|mut lines| {
            lines.extend(engine::undo::check_lines(s));
            lines
        });
        report("sink", s.name(), answer);
    }
    Ok(if problems == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The sink type whose archives `verify` re-checks.
const ARCHIVE_SINK: &str = "archive";

/// `verify`: builds only the `archive` sinks, in verify mode (`{"command":"verify"}` in their
/// context): their `check()` re-reads the archive and answers one line per recording,
/// `OK …` or `BAD …`. Exit 1 when a line says `BAD` or an archive cannot be read.
fn verify(config: &std::path::Path, plugin_dirs: &[PathBuf], redactor: &Redactor) -> Result<ExitCode, Usage> {
    let mut p = usage(Pipeline::load(config, redactor))?;
    p.sources.clear();
    p.resolvers.clear();
    p.sinks.retain(|c| c.type_name == ARCHIVE_SINK);
    if p.sinks.is_empty() {
        return Err(Usage(anyhow::anyhow!("{}: no sink of type `{ARCHIVE_SINK}` to verify", p.file.display())));
    }
    let mut reg = usage(Registry::discover(&search_dirs(plugin_dirs, &p.plugin_dirs)))?;
    let inst = usage(Instances::build_for(&p, &mut reg, true, redactor, r#"{"command":"verify"}"#))?;
    let mut problems = 0;
    for s in &inst.sinks {
        match s.check() {
            Ok(lines) => {
                let bad = lines.iter().filter(|l| l.starts_with("BAD ")).count();
                problems += bad;
                println!("sink {}: {}", s.name(), if bad == 0 { "OK" } else { "PROBLEMS" });
                for l in lines {
                    println!("  {l}");
                }
            }
            Err(e) => {
                problems += 1;
                println!("sink {}: FAILED: {e}", s.name());
            }
        }
    }
    Ok(if problems == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn plugins(config: Option<&std::path::Path>, plugin_dirs: &[PathBuf], redactor: &Redactor) -> Result<ExitCode, Usage> {
    let config_dirs = match config {
        Some(c) => usage(Pipeline::load(c, redactor))?.plugin_dirs,
        None => Vec::new(),
    };
    let dirs = search_dirs(plugin_dirs, &config_dirs);
    let reg = usage(Registry::discover(&dirs))?;
    println!("{:<14} {:<9} {:<16} {:<8} {:<6} file", "plugin", "kind", "type", "version", "abi");
    for p in &reg.plugins {
        for c in p.manifest.components.iter() {
            println!(
                "{:<14} {:<9} {:<16} {:<8} {:<6} {}",
                p.manifest.name,
                c.kind.label(),
                c.type_name,
                p.manifest.version,
                p.abi_version,
                p.file.display()
            );
        }
    }
    for (file, why) in &reg.broken {
        let _ = file;
        println!("REFUSED: {why}");
    }
    if reg.plugins.is_empty() {
        println!(
            "no plugins found in: {}",
            dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn survey(
    config: &std::path::Path,
    plugin_dirs: &[PathBuf],
    resolve: bool,
    format: Format,
    redactor: &Redactor,
) -> Result<ExitCode, Usage> {
    let mut p = usage(Pipeline::load(config, redactor))?;
    // Sources and (read-only) resolvers only, built as for a dry run: no sink exists to write.
    p.sinks.clear();
    let routed = crate::survey::routed_servers(&p);
    if !resolve {
        p.resolvers.clear();
    }
    let mut reg = usage(Registry::discover(&search_dirs(plugin_dirs, &p.plugin_dirs)))?;
    let inst = usage(Instances::build(&p, &mut reg, true, redactor))?;
    let inv = match crate::survey::survey(&p, &inst, routed) {
        Ok(inv) => inv,
        Err(e) => return Ok(fail(e, redactor)),
    };
    let out = match format {
        Format::Text => crate::survey::text(&inv),
        Format::Json => serde_json::to_string_pretty(&inv).unwrap_or_default() + "\n",
        Format::Html => crate::survey::html(&inv, &p.file.display().to_string()),
    };
    print!("{}", redactor.redact(&out));
    Ok(ExitCode::SUCCESS)
}

fn init(url: &str, kind: &str, output: &std::path::Path) -> Result<ExitCode, Usage> {
    let text = usage(crate::init::starter(url, kind))?;
    let mut f = match std::fs::OpenOptions::new().write(true).create_new(true).open(output) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Usage(anyhow::anyhow!("{}: already exists; not overwritten", output.display())))
        }
        Err(e) => return Err(Usage(anyhow::anyhow!("{}: {e}", output.display()))),
    };
    usage(
        std::io::Write::write_all(&mut f, text.as_bytes()).map_err(|e| anyhow::anyhow!("{}: {e}", output.display())),
    )?;
    println!(
        "{}: written; set BBB_SECRET, fill in the databases, then: bbb-migrate check --config {}",
        output.display(),
        output.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The man page of the whole command line.
pub fn man_page() -> Vec<u8> {
    let mut out = Vec::new();
    let _ = clap_mangen::Man::new(Cli::command()).render(&mut out);
    out
}

fn man() -> Result<ExitCode, Usage> {
    use std::io::Write;
    let _ = std::io::stdout().write_all(&man_page());
    Ok(ExitCode::SUCCESS)
}

fn report(config: &std::path::Path, redactor: &Redactor) -> Result<ExitCode, Usage> {
    let p = usage(Pipeline::load(config, redactor))?;
    let out = usage(crate::report_html::write(&p, redactor))?;
    println!("{}", out.display());
    Ok(ExitCode::SUCCESS)
}

fn status(config: &std::path::Path, redactor: &Redactor) -> Result<ExitCode, Usage> {
    let p = usage(Pipeline::load(config, redactor))?;
    let shown = redactor.redact(&p.journal.display());
    let Some(mut j) = usage(store::open_read_only(&p.journal, None, false))? else {
        println!("{shown}: no journal yet (nothing has run)");
        return Ok(ExitCode::SUCCESS);
    };
    println!("journal {shown}");
    // A run still marked `running` while nobody holds the journal's lock was killed.
    let in_use = match &p.journal {
        JournalAt::File(f) => engine::journal_in_use(f),
        JournalAt::Postgres(_) => true,
    };
    for (id, started, finished, st) in usage(j.runs(5))? {
        let st = if st == "running" && !in_use { "interrupted".to_string() } else { st };
        println!("  run {id}: {started} → {} ({st})", finished.as_deref().unwrap_or("…"));
    }
    for (sink, st, n) in usage(j.summary())? {
        println!("  sink {sink}: {st} {n}");
    }
    if let JournalAt::Postgres(url) = &p.journal {
        fleet_status(url, p.lease_seconds as i64)?;
    }
    let failures = usage(j.failures())?;
    for (id, sink, detail, attempts) in &failures {
        println!(
            "  FAILED {} [{}] after {attempts} attempt(s): {}",
            redactor.line(id),
            redactor.line(sink),
            redactor.line(detail)
        );
    }
    Ok(if failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The queue of a PostgreSQL journal: items per sink and state, workers, stuck items.
fn fleet_status(url: &bbb_migrate_db::DbUrl, lease: i64) -> Result<(), Usage> {
    let Some(pg) = usage(PgJournal::open_read_only(url, None, false))? else { return Ok(()) };
    let esc = |t: &str| plugin_api::sdk::text::escape_line(t).into_owned();
    for (sink, st, n) in usage(pg.queue_summary())? {
        println!("  queue {}: {st} {n}", esc(&sink));
    }
    for (id, host, pid, seen, ago, stopped) in usage(pg.workers())? {
        let state = if stopped {
            "stopped"
        } else if ago <= lease {
            "live"
        } else {
            "silent" // no heartbeat within a lease: dead or cut off; its items go to the others
        };
        println!("  worker {} (host {}, pid {pid}): {state}, last seen {seen} ({ago} s ago)", esc(&id), esc(&host));
    }
    for (id, sink, worker, claims) in usage(pg.stuck())? {
        println!(
            "  STUCK {id} [{sink}]: claimed {claims} time(s), lease of `{worker}` expired or item keeps coming back"
        );
    }
    Ok(())
}

fn render(
    input: &str,
    output: &std::path::Path,
    (width, height): (u32, u32),
    slides_only: bool,
    (chat, chat_names): (ChatArg, ChatNamesArg),
    audio: AudioArg,
) -> Result<ExitCode, Usage> {
    use bbb_migrate_render::{render_dir, render_url, AudioMode, ChatMode, ChatNames, RenderOptions};
    let chat = match chat {
        ChatArg::Off => ChatMode::Off,
        ChatArg::Sidecar => ChatMode::Sidecar,
        ChatArg::Panel => ChatMode::Panel,
    };
    let chat_names = match chat_names {
        ChatNamesArg::Real => ChatNames::Real,
        ChatNamesArg::Anonymous => ChatNames::Anonymous,
    };
    let audio = match audio {
        AudioArg::Aac => AudioMode::Aac,
        AudioArg::Keep => AudioMode::Keep,
    };
    let mut opts = RenderOptions { width, height, chat, chat_names, audio, ..RenderOptions::default() };
    if slides_only {
        opts.webcams = false;
        opts.deskshare = false;
        opts.cursor = false;
    }
    for dir in bbb_migrate_render::remove_stale() {
        println!("  note: removed {} (work folder of an earlier render that was killed)", dir.display());
    }
    let started = std::time::Instant::now();
    let result = if input.starts_with("http://") || input.starts_with("https://") {
        render_url(input, output, &opts)
    } else {
        let dir = std::path::Path::new(input);
        if !dir.is_dir() {
            return Err(Usage(anyhow::anyhow!("{input}: not a folder nor an http(s) URL")));
        }
        render_dir(dir, output, &opts)
    };
    match result {
        Ok(r) => {
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{}: {:.1} s of video, {} slides, {} distinct states, {} bytes, rendered in {:.1} s ({:.0}x real time)",
                output.display(),
                r.duration_s,
                r.slides,
                r.states,
                r.output_size,
                secs,
                r.duration_s / secs.max(0.001)
            );
            for n in &r.notes {
                println!("  note: {n}");
            }
            for n in &r.not_drawn {
                println!("  not drawn: {n}");
            }
            for f in &r.sidecars {
                println!("  beside it: {}", f.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {}", plugin_api::sdk::text::escape_line(&e.to_string()));
            Ok(ExitCode::from(1))
        }
    }
}
