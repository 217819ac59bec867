//! Remote text never drives the terminal: a recordID holding a newline and
//! an ESC sequence is printed escaped by `run` (the `status` and report
//! lines go through the same `Redactor::line`).
mod common;
use common::*;

const PIPELINE: &str = "journal = \"state.db\"\n\
[fallback]\nowner = \"admin\"\n\
[[sources]]\nname = \"old\"\ntype = \"bbb-cache\"\npath = \"r.xml\"\n\
[[sinks]]\nname = \"csv\"\ntype = \"csv\"\npath = \"out.csv\"\n";

#[test]
fn a_hostile_record_id_prints_escaped() {
    let t = tempfile::tempdir().unwrap();
    let hostile = "<recording><recordID>abc&#10;FAILED forged [csv]: ok&#27;[2J</recordID><startTime>1600000000000</startTime></recording>";
    let xml = recordings_xml(2).replace("<recordings>", &format!("<recordings>{hostile}"));
    write(t.path(), "r.xml", &xml);
    let cfg = write(t.path(), "pipeline.toml", PIPELINE);
    let o = run(&["run", "--config", cfg.to_str().unwrap()]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("FAILED abc\\nFAILED forged [csv]: ok\\u{1b}[2J [old]: recordID"), "{out}");
    assert!(!out.contains('\x1b'), "{out}");
    assert_eq!(out.lines().filter(|l| l.contains("FAILED")).count(), 1, "{out}");
    // The good recordings were delivered.
    assert_eq!(csv_ids(&t.path().join("out.csv")).len(), 2);
}
