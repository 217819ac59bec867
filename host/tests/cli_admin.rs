//! The command line around a run: JSON logs, `--quiet`, progress lines, exit
//! codes in `--help`, completions, the man page, and `init` → `check`.
mod common;
use bbb_migrate_db::testing::{schema, TempDb};
use bbb_migrate_db::Engine;
use bbb_testserver::{dataset, Flavour, Options, TestServer};
use common::*;

fn demo(dir: &std::path::Path) -> String {
    std::fs::copy(root().join("examples/demo/getRecordings.xml"), dir.join("getRecordings.xml")).unwrap();
    let text = std::fs::read_to_string(root().join("examples/demo/pipeline.toml")).unwrap();
    write(dir, "pipeline.toml", &text).to_str().unwrap().to_string()
}

#[test]
fn json_logs_are_one_object_per_line_with_progress_and_quiet_is_silent() {
    let t = tempfile::tempdir().unwrap();
    let cfg = demo(t.path());
    let o = bin()
        .args(["run", "--config", &cfg, "--log-format", "json", "-v"])
        .env("BBB_MIGRATE_PROGRESS_SECS", "0")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.lines().count() >= 2, "{err}");
    let mut progress = 0;
    for line in err.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["component", "level", "message", "record_id", "target", "time"], "{line}");
        if v["target"] == "bbb_migrate::progress" {
            progress += 1;
            let m = v["message"].as_str().unwrap();
            assert!(m.contains("ETA") && m.contains("sinks: csv"), "{m}");
        }
    }
    assert!(progress >= 1, "no progress line: {err}");

    // A second run has nothing to do; --quiet prints nothing at all.
    let o = bin().args(["run", "--config", &cfg, "--quiet"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(text(&o), "");
    // Errors still show under --quiet, as one line.
    let o = bin().args(["run", "--config", "/nonexistent/p.toml", "--quiet"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
}

#[test]
fn help_man_and_completions_come_from_the_cli_definition() {
    let help = text(&run(&["--help"]));
    assert!(help.contains("Exit codes:") && help.contains("2  usage or configuration error"), "{help}");
    let man = run(&["man"]);
    let man = String::from_utf8(man.stdout).unwrap();
    assert!(man.starts_with(".ie") || man.contains(".TH bbb-migrate"), "{}", &man[..200.min(man.len())]);
    assert!(man.contains("survey") && man.contains("Exit codes"), "the man page lists subcommands and exit codes");
    for (shell, marker) in
        [("bash", "complete -F"), ("zsh", "#compdef bbb-migrate"), ("fish", "complete -c bbb-migrate")]
    {
        let o = run(&["completions", shell]);
        let s = String::from_utf8(o.stdout).unwrap();
        assert!(s.contains(marker) && s.contains("survey") && s.contains("log-format"), "{shell}");
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn init_writes_a_starter_that_passes_check_once_the_database_is_filled_in() {
    const SECRET: &str = "8cd8ef52e8e101574e400365b55e11a6";
    let server = TestServer::start(Options::new(Flavour::Bbb27, SECRET), dataset(3));
    let t = tempfile::tempdir().unwrap();
    let cfg = t.path().join("pipeline.toml");
    let o = run(&["init", "--url", &server.url(), "--output", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Never overwritten.
    let o = run(&["init", "--url", &server.url(), "--output", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("already exists"));
    let starter = std::fs::read_to_string(&cfg).unwrap();
    assert!(starter.contains(&server.url()) && !starter.contains(SECRET));

    // As written: the database password variable is not set → one config line naming it.
    let o = bin().args(["check", "--config", cfg.to_str().unwrap()]).env("BBB_SECRET", SECRET).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("MOODLE_DB_PASSWORD"), "{}", text(&o));

    // Filled in with a real Moodle database: check passes, source and resolver connected.
    let db = TempDb::new(Engine::MySql, "init_check");
    db.load_sql(&schema("moodle-mariadb.sql"));
    let filled = starter.replace("mysql://moodle:${MOODLE_DB_PASSWORD}@MOODLE-DB-HOST/moodle", &db.url_string());
    assert_ne!(filled, starter);
    std::fs::write(&cfg, filled).unwrap();
    let o = bin().args(["check", "--config", cfg.to_str().unwrap()]).env("BBB_SECRET", SECRET).output().unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("source old-bbb: OK") && out.contains("resolver moodle: OK"), "{out}");
    assert!(!out.contains(SECRET));
}
