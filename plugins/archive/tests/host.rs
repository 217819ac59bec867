//! Through the real `bbb-migrate` binary: a `bbb-cache` source, the `archive` sink, then
//! `bbb-migrate verify` (exit 0, then exit 1 naming the damaged recording and file).
mod common;

use bbb_testserver::files::FileServer;
use common::*;
use std::path::PathBuf;
use std::process::{Command, Output};

fn host() -> PathBuf {
    bbb_testserver::host_binary(&["bbb-migrate-bbb-cache", "bbb-migrate-archive"])
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn run_then_verify_through_the_host() {
    let bin = host();
    let server = FileServer::start();
    let ids: Vec<String> = (0..3).map(|i| format!("{:040x}-{}", i + 1, 1_700_000_000_000u64 + i)).collect();
    let mut xml = String::from("<response><returncode>SUCCESS</returncode><recordings>");
    for (i, id) in ids.iter().enumerate() {
        publish_full(&server, id);
        xml.push_str(&format!(
            "<recording><recordID>{id}</recordID><meetingID>m-{i}</meetingID><internalMeetingID>{id}</internalMeetingID>\
             <name>Cours {i}</name><published>true</published><state>published</state>\
             <startTime>{}</startTime><endTime>{}</endTime><metadata></metadata><playback>\
             <format><type>presentation</type><url>{b}/playback/presentation/2.3/{id}</url><length>1</length></format>\
             <format><type>podcast</type><url>{b}/podcast/{id}/audio.ogg</url><length>1</length></format>\
             </playback></recording>",
            1_700_000_000_000u64 + i as u64,
            1_700_000_060_000u64 + i as u64,
            b = server.base
        ));
    }
    xml.push_str("</recordings></response>");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.xml"), xml).unwrap();
    let cfg = dir.path().join("p.toml");
    std::fs::write(
        &cfg,
        "journal = \"state.db\"\n[fallback]\nowner = \"admin\"\n[[sources]]\ntype = \"bbb-cache\"\npath = \"r.xml\"\n\
         [[sinks]]\nname = \"vault\"\ntype = \"archive\"\ntarget = \"vault\"\nmin_free_bytes = 0\n",
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let cmd = |args: &[&str]| Command::new(&bin).args(args).env_remove("BBB_MIGRATE_PLUGIN_PATH").output().unwrap();

    let dry = cmd(&["run", "--config", cfg, "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(!dir.path().join("vault").exists(), "the dry run wrote the archive");

    let run = cmd(&["run", "--config", cfg]);
    assert!(run.status.success(), "{}", text(&run));
    let index = std::fs::read_to_string(dir.path().join("vault/index.csv")).unwrap();
    assert_eq!(index.lines().count(), 4, "{index}");

    let ok = cmd(&["verify", "--config", cfg]);
    assert!(ok.status.success(), "{}", text(&ok));
    for id in &ids {
        assert!(text(&ok).contains(&format!("OK {id}: ")), "{}", text(&ok));
    }

    // Bit rot in one recording: exit 1, that recording and file named, the others OK.
    let victim = dir.path().join("vault").join(&ids[1]).join("podcast/audio.ogg");
    let mut b = std::fs::read(&victim).unwrap();
    b[7] ^= 0x40;
    std::fs::write(&victim, b).unwrap();
    let bad = cmd(&["verify", "--config", cfg]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    let out = text(&bad);
    assert!(
        out.contains(&format!("BAD {}: 1 of", ids[1])) && out.contains("podcast/audio.ogg: SHA-256 differs"),
        "{out}"
    );
    assert!(out.contains(&format!("OK {}: ", ids[0])), "{out}");

    // A config without an archive sink is a usage error.
    std::fs::write(dir.path().join("none.toml"), "[fallback]\nowner = \"a\"\n").unwrap();
    let none = cmd(&["verify", "--config", dir.path().join("none.toml").to_str().unwrap()]);
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
}
