//! The report's resolver notes explain final owners only: a resolver that
//! passed on a recording a later resolver resolved leaves no note; a
//! recording given to the fallback owner keeps why every resolver passed.
mod common;
use common::*;

#[test]
fn notes_only_for_the_final_owner() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "r.xml", &recordings_xml(3));
    let cfg = write(
        t.path(),
        "p.toml",
        "journal = \"state/journal.db\"\n[fallback]\nowner = \"admin\"\n\
         [[sources]]\ntype = \"bbb-cache\"\npath = \"r.xml\"\n\
         [[resolvers]]\nname = \"first\"\ntype = \"prefix-table\"\n[resolvers.prefixes]\n\"meeting-0\" = { username = \"alice\" }\n\
         [[resolvers]]\nname = \"second\"\ntype = \"prefix-table\"\n[resolvers.prefixes]\n\"meeting-1\" = { username = \"bob\" }\n\
         [[sinks]]\ntype = \"csv\"\npath = \"out/recordings.csv\"\n",
    );
    let o = run(&["run", "--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t.path().join("state/journal.report.json")).unwrap()).unwrap();
    let notes: Vec<String> =
        report["resolver_notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()).collect();
    let id = |i: usize| format!("{i:040x}-{}", 1_600_000_000_000u64 + i as u64);
    // meeting-1 went to `second`: `first`'s "no prefix matches" is noise there.
    // meeting-2 went to the fallback owner: both resolvers say why they passed.
    assert_eq!(
        notes,
        vec![
            format!("{}: resolver `first`: no prefix matches", id(2)),
            format!("{}: resolver `second`: no prefix matches", id(2)),
        ]
    );
    assert_eq!(report["fallback_owner"], 1);
}
