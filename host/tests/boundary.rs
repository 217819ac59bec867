//! The typed host boundary: a plugin answering the wrong number of results,
//! or for the wrong recording, fails that batch; nothing shifts to the next
//! recording, the next resolver or the fallback owner.
mod common;
use common::*;
use std::path::Path;

fn pipeline(dir: &Path, resolver: &str, sink: &str) -> String {
    let sink_keys = if sink == "csv" { "path = \"out.csv\"\n" } else { "" };
    fixture_pipeline(
        dir,
        3,
        "journal = \"journal.db\"\nbatch_size = 3",
        &format!("[[resolvers]]\ntype = \"{resolver}\"\n[[sinks]]\ntype = \"{sink}\"\n{sink_keys}"),
    )
}

#[test]
fn a_resolver_answering_fewer_results_fails_the_batch_and_nothing_reaches_the_sinks() {
    let t = tempfile::tempdir().unwrap();
    let cfg = pipeline(t.path(), "short", "csv");
    let o = run(&["run", "--config", &cfg]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("resolver `short`: resolve: answered 2 results for 3 items"), "{}", text(&o));
    // Neither `wrong-owner` (shifted answers) nor the fallback admin got anything.
    assert!(
        csv_ids(&t.path().join("out.csv")).is_empty(),
        "{}",
        std::fs::read_to_string(t.path().join("out.csv")).unwrap()
    );
    let o = run(&["status", "--config", &cfg]);
    assert_eq!(text(&o).matches("FAILED").count(), 3, "{}", text(&o));
}

#[test]
fn a_sink_answering_for_the_wrong_recordings_fails_the_batch() {
    let t = tempfile::tempdir().unwrap();
    let cfg = pipeline(t.path(), "slow", "shifted");
    let o = run(&["run", "--config", &cfg]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("sink `shifted`: write: answered for"), "{}", text(&o));
    let o = run(&["status", "--config", &cfg]);
    assert_eq!(text(&o).matches("FAILED").count(), 3, "{}", text(&o));
    assert!(!text(&o).contains("sink shifted: done"), "{}", text(&o));
}
