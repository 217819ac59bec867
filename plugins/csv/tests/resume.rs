//! The CSV sink on its own: torn partial files, re-runs, dry runs.
use bbb_migrate_csv::CsvSink;
use plugin_api::sdk::{testing, testing::ctx, SinkPlugin};
use plugin_api::{OutcomeStatus, Owner, Recording, SinkItem};

fn item(id: &str, name: &str) -> SinkItem {
    SinkItem {
        recording: Recording {
            record_id: id.into(),
            name: name.into(),
            start_ms: 1_700_000_000_000,
            end_ms: 1_700_000_060_000,
            state: "published".into(),
            ..Default::default()
        },
        owners: vec![Owner::new("alice", "a@x", "", "").found_by("r", "because"), Owner::new("bob", "b@x", "", "")]
            .into(),
        fallback: false,
    }
}

fn sink(dir: &std::path::Path, dry: bool) -> CsvSink {
    testing::sink::<CsvSink>(r#"{"path":"out/r.csv"}"#, ctx("csv", dir, dry)).unwrap()
}

#[test]
fn a_torn_partial_file_is_repaired_and_nothing_is_written_twice() {
    let t = tempfile::tempdir().unwrap();
    let s = sink(t.path(), false);
    s.prepare().unwrap();
    let out = s.write(&[item("a-1", "first"), item("b-2", "Second, \"quoted\"")]).unwrap();
    assert!(out.iter().all(|o| o.status == OutcomeStatus::DONE));
    drop(s); // crashed before finish: only the .partial exists
    let partial = t.path().join("out/r.csv.partial");
    let mut bytes = std::fs::read(&partial).unwrap();
    bytes.extend_from_slice(b"c-3,half a ro"); // a torn row, as after kill -9
    std::fs::write(&partial, bytes).unwrap();

    let s = sink(t.path(), false);
    s.prepare().unwrap();
    let out = s.write(&[item("b-2", "Second"), item("c-3", "third")]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::SKIPPED);
    assert_eq!(out[1].status, OutcomeStatus::DONE);
    s.finish().unwrap();
    assert!(!partial.exists());
    let text = std::fs::read_to_string(t.path().join("out/r.csv")).unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("record_id,meeting_id,name,start_time,end_time,duration_s,state,"));
    assert!(
        lines[2].starts_with("b-2,,\"Second, \"\"quoted\"\"\",2023-11-14T22:13:20Z,2023-11-14T22:14:20Z,60,published,"),
        "{}",
        lines[2]
    );
    assert!(lines[2].ends_with(",alice;bob,a@x;b@x,r: because"), "{}", lines[2]);
    assert!(lines[3].starts_with("c-3,"));
}

#[test]
fn a_dry_run_plans_and_writes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let s = sink(t.path(), true);
    s.prepare().unwrap();
    let out = s.write(&[item("a-1", "x")]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::PLANNED);
    s.finish().unwrap();
    assert!(!t.path().join("out").exists());
}

/// Undo takes a recording's row out and keeps every other byte; a dry run
/// and a second undo change nothing.
#[test]
fn undo_removes_only_those_rows_byte_for_byte() {
    use plugin_api::{Delivered, LifecycleOp};
    let t = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    for (dir, items) in [
        (t.path(), vec![item("a-1", "first"), item("b-2", "Second, \"quoted\""), item("c-3", "=third")]),
        (other.path(), vec![item("a-1", "first"), item("c-3", "=third")]),
    ] {
        let s = sink(dir, false);
        s.prepare().unwrap();
        s.write(&items).unwrap();
        s.finish().unwrap();
    }
    let file = t.path().join("out/r.csv");
    let expected = std::fs::read(other.path().join("out/r.csv")).unwrap();
    let before = std::fs::read(&file).unwrap();
    let d = |id: &str| Delivered { record_id: id.into(), ..Default::default() };
    let dry = sink(t.path(), true).lifecycle(LifecycleOp::UNDO, &[d("b-2"), d("zz")]).unwrap();
    assert_eq!(dry.iter().map(|o| o.status).collect::<Vec<_>>(), vec![OutcomeStatus::PLANNED, OutcomeStatus::SKIPPED]);
    assert_eq!(std::fs::read(&file).unwrap(), before);
    let out = sink(t.path(), false).lifecycle(LifecycleOp::UNDO, &[d("b-2")]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE);
    assert_eq!(std::fs::read(&file).unwrap(), expected);
    let again = sink(t.path(), false).lifecycle(LifecycleOp::UNDO, &[d("b-2")]).unwrap();
    assert_eq!(again[0].status, OutcomeStatus::SKIPPED);
    assert_eq!(std::fs::read(&file).unwrap(), expected);
}
