//! List only, then fetch what is selected, through the real host binary and
//! the `bbb` source against the local BBB test server: listing reads no video
//! page; `claim-dir` reads one page (and asks one file size) per selected
//! recording with a video, none for the others; `pod-external` and `csv`
//! read none.

use bbb_migrate_db::testing::pod_db;
use bbb_migrate_db::Engine;
use bbb_migrate_e2e::*;
use bbb_testserver::{dataset, Flavour, Options, TestServer};
use std::process::Output;

const SECRET: &str = "selected-only-secret";
const N: usize = 60;

/// The published recordings (the default selection) in the host's stable
/// order (newest first): their ids and whether they have a video format.
fn selection_order() -> Vec<(String, bool)> {
    let mut recs: Vec<_> = dataset(N).into_iter().take(N).filter(|r| r.state == "published").collect();
    recs.sort_by(|a, b| b.start_ms.cmp(&a.start_ms).then_with(|| a.record_id.cmp(&b.record_id)));
    recs.into_iter().map(|r| (r.record_id, r.formats.contains(&"video"))).collect()
}

#[test]
fn only_selected_recordings_cost_a_page_request() {
    let s = TestServer::start(Options::new(Flavour::Bbb22, SECRET), dataset(N));
    let t = pod_db(Engine::MySql, "selected_only");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("bbb-migration")).unwrap();
    let source = format!(
        "journal = \"journal.db\"\n[fallback]\nowner = \"admin\"\n\
         [[sources]]\nname = \"old\"\ntype = \"bbb\"\nurl = \"{}\"\nsecret = \"{SECRET}\"\n",
        s.url()
    );
    let claim = format!(
        "[[sinks]]\nname = \"claim\"\ntype = \"claim-dir\"\ndatabase = \"{}\"\nrecorder_id = 1\nrecorder_path = \".\"\nmin_free_bytes = 0\nconverter = \"native\"\n",
        t.url_string()
    );
    let pod = format!(
        "[[sinks]]\nname = \"pod\"\ntype = \"pod-external\"\ndatabase = \"{}\"\nsite_id = 1\nsecret_key = \"k\"\n\
         [[sinks]]\nname = \"csv\"\ntype = \"csv\"\npath = \"out.csv\"\n",
        t.url_string()
    );
    let write = |name: &str, body: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    };
    let claim_cfg = write("claim.toml", format!("{source}{claim}"));
    let pod_cfg = write("pod.toml", format!("{source}{pod}"));
    let run = |cfg: &str, extra: &[&str]| -> Output {
        s.reset_counters();
        let o = bbb_migrate().args(["run", "--config", cfg, "--dry-run"]).args(extra).output().unwrap();
        assert!(o.status.success(), "{}", text(&o));
        o
    };
    let order = selection_order();
    let first10_videos = order.iter().take(10).filter(|r| r.1).count() as u64;
    assert!(first10_videos > 0 && first10_videos < 10, "{order:?}");

    // claim-dir, --to 10: one page and one size request per selected video, nothing else.
    let o = run(&claim_cfg, &["--to", "10"]);
    assert_eq!(s.playback_calls(), first10_videos, "{}", text(&o));
    assert_eq!(s.file_calls(), first10_videos, "{}", text(&o));
    assert_eq!(text(&o).matches("[claim]: would download").count() as u64, first10_videos, "{}", text(&o));

    // --record ID: that recording's page only.
    let (id, _) = order.iter().rev().find(|r| r.1).unwrap();
    let o = run(&claim_cfg, &["--record", id]);
    assert_eq!(s.playback_calls(), 1, "{}", text(&o));
    assert!(
        text(&o).contains(&format!("{}/playback/video/{id}/video-0.m4v", s.url().trim_end_matches("/bigbluebutton/"))),
        "{}",
        text(&o)
    );
    let (plain, _) = order.iter().find(|r| !r.1).unwrap();
    let o = run(&claim_cfg, &["--record", plain]);
    assert_eq!(s.playback_calls(), 0, "{}", text(&o));

    // Every recording: one page per selected video, exactly.
    let all_videos = order.iter().filter(|r| r.1).count() as u64;
    run(&claim_cfg, &[]);
    assert_eq!(s.playback_calls(), all_videos);

    // pod-external hands Pod the page URL, csv writes it: no page is read.
    for extra in [&["--to", "10"][..], &[][..]] {
        let o = run(&pod_cfg, extra);
        assert_eq!(s.playback_calls() + s.file_calls(), 0, "{}", text(&o));
    }
}
