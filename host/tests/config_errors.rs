//! Bad input gets one clear line naming the culprit, exit 2, and nothing written.
mod common;
use common::*;
use std::path::Path;

const GOOD: &str = "journal = \"state.db\"\n\
[fallback]\nowner = \"admin\"\n\
[[sources]]\nname = \"old\"\ntype = \"bbb-cache\"\npath = \"r.xml\"\n\
[[sinks]]\nname = \"csv\"\ntype = \"csv\"\npath = \"out.csv\"\n";

/// Runs `run` on `config` and returns stderr, asserting exit 2, one line, nothing written.
fn refused(config: &str) -> String {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "r.xml", &recordings_xml(2));
    let cfg = write(t.path(), "pipeline.toml", config);
    let o = run(&["run", "--config", cfg.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    let left: Vec<_> =
        std::fs::read_dir(t.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(!t.path().join("state.db").exists() && !t.path().join("out.csv").exists(), "{left:?}");
    err.replace(&format!("{}/", t.path().canonicalize().unwrap().display()), "")
        .replace(&format!("{}/", t.path().display()), "")
}

fn good_runs() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "r.xml", &recordings_xml(2));
    let cfg = write(t.path(), "pipeline.toml", GOOD);
    let o = run(&["run", "--config", cfg.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(Path::new(&t.path().join("out.csv")).exists());
}

#[test]
fn the_reference_config_runs() {
    good_runs();
}

#[test]
fn bad_toml_names_file_line_and_column() {
    let err = refused(&GOOD.replace("owner = \"admin\"", "owner = \"admin"));
    assert!(err.contains("pipeline.toml:3:"), "{err}");
    assert!(err.contains("invalid TOML"), "{err}");
}

#[test]
fn unknown_plugin_is_named_with_its_line_and_the_known_ones() {
    let err = refused(&GOOD.replace("type = \"csv\"", "type = \"cvs\""));
    assert!(err.contains("pipeline.toml:10:") && err.contains("unknown sink plugin `cvs`"), "{err}");
    let available = err.split("available: ").nth(1).and_then(|s| s.split(')').next()).unwrap_or("");
    assert!(available.split(", ").any(|t| t == "csv"), "{err}");
}

#[test]
fn missing_and_unknown_plugin_keys_point_at_their_line() {
    let err = refused(&GOOD.replace("path = \"out.csv\"\n", ""));
    assert!(
        err.contains("pipeline.toml:8:") && err.contains("sinks[0] (csv)") && err.contains("missing field `path`"),
        "{err}"
    );
    let err = refused(&GOOD.replace("path = \"out.csv\"", "path = \"out.csv\"\npth = 1"));
    assert!(err.contains("pipeline.toml:12:") && err.contains("unknown field `pth`"), "{err}");
}

#[test]
fn host_keys_are_checked_too() {
    let err = refused(&GOOD.replace("journal =", "jornal ="));
    assert!(err.contains("pipeline.toml:1:") && err.contains("unknown field `jornal`"), "{err}");
    let err = refused(&GOOD.replace("[fallback]\nowner = \"admin\"\n", ""));
    assert!(err.contains("missing field `fallback`"), "{err}");
    let err = refused(&format!("{GOOD}[[sinks]]\nname = \"csv\"\ntype = \"csv\"\npath = \"b.csv\"\n"));
    assert!(err.contains("pipeline.toml:13:") && err.contains("duplicate name `csv`"), "{err}");
}

#[test]
fn a_missing_environment_variable_is_named() {
    let err = refused(&GOOD.replace("\"out.csv\"", "\"${BBB_MIGRATE_TEST_UNSET_VAR}/out.csv\""));
    assert!(err.contains("BBB_MIGRATE_TEST_UNSET_VAR") && err.contains("pipeline.toml:11:"), "{err}");
}

#[test]
fn environment_values_are_used_but_never_printed() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "r.xml", &recordings_xml(1));
    let cfg = write(
        t.path(),
        "pipeline.toml",
        &GOOD.replace("path = \"out.csv\"", "path = \"out.csv\"\nsecret = \"${BBB_TEST_SECRET}\""),
    );
    let o = bin()
        .args(["run", "--config", cfg.to_str().unwrap()])
        .env("BBB_TEST_SECRET", "hunter2-very-secret")
        .output()
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("unknown field `secret`"), "{out}");
    assert!(!out.contains("hunter2"), "{out}");
}

#[test]
fn malformed_source_xml_fails_the_run_with_the_file_named() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "r.xml", "<response><returncode>SUCCESS</returncode><recordings><recording><recordID>x");
    let cfg = write(t.path(), "pipeline.toml", GOOD);
    let o = run(&["run", "--config", cfg.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("r.xml") && err.contains("malformed getRecordings XML"), "{err}");
    assert!(!t.path().join("out.csv").exists());
}

#[test]
fn type_errors_name_the_key_at_its_own_line() {
    let err = refused(&GOOD.replace("journal = \"state.db\"\n", "journal = \"state.db\"\nbatch_size = \"fifty\"\n"));
    assert!(err.contains("pipeline.toml:2: batch_size: invalid type: string \"fifty\""), "{err}");
    let err = refused(&GOOD.replace("owner = \"admin\"", "owner = 7"));
    assert!(err.contains("pipeline.toml:3: fallback.owner: invalid type: integer `7`"), "{err}");
    let err = refused(&GOOD.replace("[fallback]", "[select]\nstates = \"published\"\n[fallback]"));
    assert!(err.contains("pipeline.toml:3: select.states: invalid type: string"), "{err}");
}

/// A journal whose folder cannot exist or cannot be written: exit 2, one
/// line naming the path, nothing written.
#[test]
fn journal_path_problems_exit_2_naming_the_path() {
    // A file where the folder should be.
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "r.xml", &recordings_xml(2));
    write(t.path(), "state", "not a folder");
    let cfg = write(t.path(), "pipeline.toml", &GOOD.replace("\"state.db\"", "\"state/sub/journal.db\""));
    let o = run(&["run", "--config", cfg.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains(&format!("{}: not a folder", t.path().join("state").display())), "{err}");
    assert!(!t.path().join("out.csv").exists());

    // The journal path is a folder.
    std::fs::create_dir(t.path().join("db")).unwrap();
    let cfg = write(t.path(), "pipeline.toml", &GOOD.replace("\"state.db\"", "\"db\""));
    let o = run(&["run", "--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains(&format!("{}: the journal path is a folder", t.path().join("db").display())));

    // A folder nobody may write into (/proc refuses new files, even to root).
    let cfg = write(t.path(), "pipeline.toml", &GOOD.replace("\"state.db\"", "\"/proc/state.db\""));
    let o = run(&["run", "--config", cfg.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("/proc: not writable, so the journal /proc/state.db cannot be written"), "{err}");
    assert!(!t.path().join("out.csv").exists());
}

/// A plugin's typed value (claim-dir's `audio`) that is not one of its words: the key's
/// own line (19), the value and the words it takes.
#[test]
fn an_unknown_plugin_value_names_its_line_and_the_accepted_ones() {
    let claim = "[[sinks]]\nname = \"claim\"\ntype = \"claim-dir\"\ndatabase = \"postgres://pod@127.0.0.1/none\"\n\
                 recorder_id = 1\nrecorder_path = \".\"\nconverter = \"native\"\naudio = \"opus\"\n";
    let err = refused(&format!("{GOOD}{claim}"));
    let want = "pipeline.toml:19: sinks[1] (claim): unknown variant `opus`, expected `aac` or `keep`";
    assert!(err.contains(want), "{err}");
}
