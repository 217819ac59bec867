//! `claim-dir` against real PostgreSQL / MariaDB Pod databases and a real
//! local HTTP server for the media (Range, HEAD, cut responses).
mod common;

use bbb_migrate_db::testing::TempDb;
use bbb_migrate_db::{Engine, Param};
use bbb_migrate_pod_sinks::ClaimDirSink;
use bbb_testserver::files::FileServer;
use common::*;
use plugin_api::sdk::{testing::ctx, PlanApply, SinkPlugin};
use plugin_api::{Outcome, OutcomeStatus, SinkItem};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const V1: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-1710237483000";
const V2: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-1710237483000";
const P1: &str = "cccccccccccccccccccccccccccccccccccccccc-1710237483000";
const SIZE: usize = 300_000;

struct Setup {
    t: TempDb,
    root: tempfile::TempDir,
    media: FileServer,
}

impl Setup {
    fn new(engine: Engine, tag: &str) -> Setup {
        let t = pod_db(engine, tag);
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("bbb-migration")).unwrap();
        let media = FileServer::start();
        for (id, seed) in [(V1, 1u8), (V2, 2u8)] {
            media.put(
                &format!("/playback/video/{id}/"),
                b"<html><video><source src=\"video-0.m4v\" type=\"video/mp4\"></video></html>",
            );
            media.put(&file_path(id), &media_bytes(SIZE, seed));
        }
        Setup { t, root, media }
    }

    fn dir(&self) -> PathBuf {
        self.root.path().join("bbb-migration")
    }

    fn sink(&self, dry: bool, extra: serde_json::Value) -> ClaimDirSink {
        let mut cfg = serde_json::json!({
            "database": db_url(&self.t),
            "recorder_id": 1,
            "recorder_path": self.root.path(),
            "concurrency": 2,
            "min_free_bytes": 0,
            "retries": 0,
            "http_timeout_s": 10,
        });
        for (k, v) in extra.as_object().unwrap() {
            cfg[k] = v.clone();
        }
        plugin_api::sdk::testing::sink::<ClaimDirSink>(&cfg.to_string(), ctx("claim", Path::new("."), dry)).unwrap()
    }

    /// V1 carries the resolved file URL (as the bbb source gives it); V2 only its page.
    fn items(&self) -> Vec<SinkItem> {
        let v1 = recording(
            V1,
            "Cours de physique",
            1_710_237_483_000,
            vec![
                playback("presentation", &format!("{}/playback/presentation/2.3/{V1}", self.media.base), ""),
                playback(
                    "video",
                    &format!("{}/playback/video/{V1}/", self.media.base),
                    &serde_json::json!({ "download_url": format!("{}{}", self.media.base, file_path(V1)) }).to_string(),
                ),
            ],
        );
        let v2 = recording(
            V2,
            "Réunion d'équipe",
            1_715_076_000_111,
            vec![playback("video", &format!("{}/playback/video/{V2}/", self.media.base), "")],
        );
        vec![item(v1, vec![owner("jdupont", "", "", "")], false), item(v2, vec![owner("admin", "", "", "")], true)]
    }

    fn rft(&self) -> Vec<Vec<String>> {
        rows(
            &self.t,
            "SELECT file, file_size, recorder_id, require_manual_claim, email_sent, CAST(date_email_sent AS CHAR) AS d, type FROM recorder_recordingfiletreatment ORDER BY file",
            vec![],
        )
    }
}

fn file_path(id: &str) -> String {
    format!("/playback/video/{id}/video-0.m4v")
}

fn hash8(id: &str) -> String {
    Sha256::digest(id.as_bytes()).iter().take(4).map(|b| format!("{b:02x}")).collect()
}

fn statuses(out: &[Outcome]) -> Vec<OutcomeStatus> {
    out.iter().map(|o| o.status).collect()
}

fn s(x: &str) -> String {
    x.to_string()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn downloads_registers_once(engine: Engine) {
    let st = Setup::new(engine, "claim_once");
    let sink = st.sink(false, serde_json::json!({}));
    let notes = sink.prepare().unwrap();
    assert!(notes[0].starts_with("recorder 1 → "), "{notes:?}");
    let out = sink.write(&st.items()).unwrap();
    assert_eq!(statuses(&out), vec![OutcomeStatus::DONE, OutcomeStatus::DONE], "{out:?}");

    let n1 = format!("Cours_de_physique_2024-03-12_{}.m4v", hash8(V1));
    let n2 = format!("R_union_d_quipe_2024-05-07_{}.m4v", hash8(V2));
    assert_eq!(files_in(&st.dir()), vec![n1.clone(), n2.clone()]);
    assert_eq!(std::fs::read(st.dir().join(&n1)).unwrap(), media_bytes(SIZE, 1));
    assert_eq!(std::fs::read(st.dir().join(&n2)).unwrap(), media_bytes(SIZE, 2));
    let p1 = st.dir().join(&n1).to_string_lossy().into_owned();
    let p2 = st.dir().join(&n2).to_string_lossy().into_owned();
    assert_eq!(
        st.rft(),
        vec![
            vec![p1.clone(), s("300000"), s("1"), s("1"), s("0"), s("NULL"), s("video")],
            vec![p2.clone(), s("300000"), s("1"), s("1"), s("0"), s("NULL"), s("video")],
        ]
    );
    let data: serde_json::Value = serde_json::from_str(&out[0].data_json).unwrap();
    assert_eq!(data["file"], p1.as_str());
    assert_eq!(data["file_size"], 300000);
    assert_eq!(data["row"], "inserted");
    // V2 had no download_url: its page was read for the <source>.
    assert_eq!(st.media.seen_for("GET", &format!("/playback/video/{V2}/")).len(), 1);
    assert_eq!(st.media.seen_for("GET", &format!("/playback/video/{V1}/")).len(), 0);

    // Second run: same files, same rows, no file fetched again.
    st.media.clear_seen();
    let before = dump(&st.t);
    let out = st.sink(false, serde_json::json!({})).write(&st.items()).unwrap();
    assert_eq!(statuses(&out), vec![OutcomeStatus::SKIPPED, OutcomeStatus::SKIPPED], "{out:?}");
    assert_eq!(dump(&st.t), before);
    assert_eq!(files_in(&st.dir()), vec![n1, n2]);
    for id in [V1, V2] {
        assert_eq!(st.media.seen_for("GET", &file_path(id)), vec![], "{id} fetched again");
        assert_eq!(st.media.seen_for("HEAD", &file_path(id)).len(), 1);
    }
}

#[test]
fn downloads_and_registers_once_postgres() {
    downloads_registers_once(Engine::Postgres);
}

#[test]
fn downloads_and_registers_once_mariadb() {
    downloads_registers_once(Engine::MySql);
}

#[test]
fn a_cut_download_resumes_with_range_on_the_next_run() {
    let st = Setup::new(Engine::Postgres, "claim_cut");
    let items = &st.items()[..1];
    st.media.cut_next(&file_path(V1));
    let out = st.sink(false, serde_json::json!({})).write(items).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::FAILED, "{out:?}");
    assert!(out[0].retryable);
    assert!(out[0].detail.contains("cut after 150000"), "{}", out[0].detail);
    let name = format!("Cours_de_physique_2024-03-12_{}.m4v", hash8(V1));
    // Nothing under the final name, the half in the .part file, its validator beside it, no row.
    assert_eq!(files_in(&st.dir()), vec![format!("{name}.part"), format!("{name}.part.validator")]);
    assert_eq!(std::fs::metadata(st.dir().join(format!("{name}.part"))).unwrap().len(), (SIZE / 2) as u64);
    assert_eq!(count(&st.t, "recorder_recordingfiletreatment"), 0);
    let (etag, _) = st.media.validators(&file_path(V1)).unwrap();
    let kept = std::fs::read(st.dir().join(format!("{name}.part.validator"))).unwrap();
    let kept: serde_json::Value = serde_json::from_slice(&kept).unwrap();
    assert_eq!((kept["etag"].as_str(), kept["length"].as_u64()), (Some(&*etag), Some(SIZE as u64)), "{kept}");

    // A dry run says it would resume, and touches nothing.
    let dry = st.sink(true, serde_json::json!({})).write(items).unwrap();
    assert!(
        dry[0].detail.contains(&format!(
            "(300000 bytes, resuming after the 150000 bytes already in {}",
            st.dir().join(format!("{name}.part")).display()
        )),
        "{}",
        dry[0].detail
    );
    assert_eq!(std::fs::metadata(st.dir().join(format!("{name}.part"))).unwrap().len(), (SIZE / 2) as u64);

    let out = st.sink(false, serde_json::json!({})).write(items).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{out:?}");
    assert!(out[0].detail.contains("resumed at byte 150000"), "{}", out[0].detail);
    assert!(!out[0].detail.contains("started over"), "{}", out[0].detail);
    let gets = st.media.seen_for("GET", &file_path(V1));
    assert_eq!(gets.iter().map(|g| g.range.clone()).collect::<Vec<_>>(), vec![None, Some(s("bytes=150000-"))]);
    // Only the rest of the version the .part holds is asked for.
    assert_eq!(gets.iter().map(|g| g.if_range.clone()).collect::<Vec<_>>(), vec![None, Some(etag)]);
    assert_eq!(files_in(&st.dir()), vec![name.clone()]);
    assert_eq!(sha256(&std::fs::read(st.dir().join(&name)).unwrap()), sha256(&media_bytes(SIZE, 1)));
    let data: serde_json::Value = serde_json::from_str(&out[0].data_json).unwrap();
    assert_eq!((data["resumed_from"].as_u64(), data["started_over"].is_null()), (Some(150_000), true), "{data}");
    assert_eq!(st.rft()[0][1], "300000");
}

#[test]
fn a_cut_download_resumes_within_the_run() {
    let st = Setup::new(Engine::MySql, "claim_cut_retry");
    st.media.cut_next(&file_path(V2));
    let out = st.sink(false, serde_json::json!({ "retries": 2 })).write(&st.items()).unwrap();
    assert_eq!(statuses(&out), vec![OutcomeStatus::DONE, OutcomeStatus::DONE], "{out:?}");
    let gets = st.media.seen_for("GET", &file_path(V2));
    assert_eq!(gets.iter().map(|g| g.range.clone()).collect::<Vec<_>>(), vec![None, Some(s("bytes=150000-"))]);
    let (etag, _) = st.media.validators(&file_path(V2)).unwrap();
    assert_eq!(gets[1].if_range, Some(etag));
    let name = format!("R_union_d_quipe_2024-05-07_{}.m4v", hash8(V2));
    assert_eq!(std::fs::read(st.dir().join(&name)).unwrap(), media_bytes(SIZE, 2));
    assert!(!out[1].detail.contains("started over"), "{}", out[1].detail);
    assert!(files_in(&st.dir()).iter().all(|f| !f.contains(".part")), "{:?}", files_in(&st.dir()));
}

fn sha256(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|b| format!("{b:02x}")).collect()
}

/// V1's download cut half way (no retry): 150 000 bytes in its `.part`. Its claim file name.
fn cut_v1(st: &Setup) -> String {
    st.media.cut_next(&file_path(V1));
    let out = st.sink(false, serde_json::json!({})).write(&st.items()[..1]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::FAILED, "{out:?}");
    let name = format!("Cours_de_physique_2024-03-12_{}.m4v", hash8(V1));
    assert_eq!(std::fs::metadata(st.dir().join(format!("{name}.part"))).unwrap().len(), (SIZE / 2) as u64);
    name
}

/// The `Range` and `If-Range` of a GET.
type Asked = (Option<String>, Option<String>);

/// V1 run again after [`cut_v1`]: its outcome, and what its GETs asked for.
fn rerun_v1(st: &Setup) -> (Outcome, Vec<Asked>) {
    st.media.clear_seen();
    let out = st.sink(false, serde_json::json!({ "retries": 1 })).write(&st.items()[..1]).unwrap().remove(0);
    let gets = st.media.seen_for("GET", &file_path(V1)).into_iter().map(|g| (g.range, g.if_range)).collect();
    (out, gets)
}

/// The claim file is exactly `want` (SHA-256), registered at its size, nothing else left in
/// the folder; the outcome says once, in its detail and its data, that the file started over
/// (`why`), and that nothing was resumed.
fn check_started_over(st: &Setup, name: &str, out: &Outcome, want: &[u8], why: &str) {
    assert_eq!(out.status, OutcomeStatus::DONE, "{out:?}");
    assert_eq!(sha256(&std::fs::read(st.dir().join(name)).unwrap()), sha256(want), "not the server's file now");
    assert_eq!(files_in(&st.dir()), vec![name.to_string()]);
    assert_eq!(st.rft()[0][1], SIZE.to_string());
    assert_eq!(out.detail.matches("fetched again from byte 0").count(), 1, "{}", out.detail);
    assert!(out.detail.contains("; started over: ") && out.detail.contains(why), "{}", out.detail);
    assert!(!out.detail.contains("resumed at byte"), "{}", out.detail);
    let data: serde_json::Value = serde_json::from_str(&out.data_json).unwrap();
    assert_eq!(data["resumed_from"], 0);
    assert!(data["started_over"].as_str().is_some_and(|w| w.contains(why)), "{data}");
}

#[test]
fn a_file_replaced_on_the_server_between_runs_is_fetched_again_whole() {
    let st = Setup::new(Engine::Postgres, "claim_changed");
    let name = cut_v1(&st);
    let (old_etag, _) = st.media.validators(&file_path(V1)).unwrap();
    // The same size, other bytes: a splice would go unnoticed by its size.
    let new = media_bytes(SIZE, 9);
    assert_ne!(new[SIZE / 2..], media_bytes(SIZE, 1)[SIZE / 2..]);
    st.media.put(&file_path(V1), &new);
    let (out, gets) = rerun_v1(&st);
    // One request: the rest of the old version asked for, the new one answered whole (200).
    assert_eq!(gets, vec![(Some(s("bytes=150000-")), Some(old_etag))]);
    check_started_over(&st, &name, &out, &new, "changed on the server");
}

#[test]
fn a_server_that_ignores_if_range_is_caught_by_its_answers_validators() {
    let st = Setup::new(Engine::MySql, "claim_changed_noifr");
    st.media.ignore_if_range();
    let name = cut_v1(&st);
    let (old_etag, _) = st.media.validators(&file_path(V1)).unwrap();
    let new = media_bytes(SIZE, 9);
    st.media.put(&file_path(V1), &new);
    let (out, gets) = rerun_v1(&st);
    // The 206 of the new version is refused by its ETag, the file asked for again from 0.
    assert_eq!(gets, vec![(Some(s("bytes=150000-")), Some(old_etag)), (None, None)]);
    check_started_over(&st, &name, &out, &new, "changed on the server");
}

#[test]
fn bytes_kept_without_a_validator_are_not_resumed() {
    let st = Setup::new(Engine::MySql, "claim_novalidator");
    st.media.no_validators();
    let name = cut_v1(&st);
    assert_eq!(files_in(&st.dir()), vec![format!("{name}.part")]);
    let dry = st.sink(true, serde_json::json!({})).write(&st.items()[..1]).unwrap();
    assert!(
        dry[0].detail.contains("from byte 0: no ETag or Last-Modified was recorded with the 150000 bytes"),
        "{}",
        dry[0].detail
    );
    let (out, gets) = rerun_v1(&st);
    assert_eq!(gets, vec![(None, None)], "no Range without a validator");
    check_started_over(&st, &name, &out, &media_bytes(SIZE, 1), "no ETag or Last-Modified was recorded");
}

#[test]
fn a_present_file_of_the_right_size_is_not_fetched_again() {
    let st = Setup::new(Engine::MySql, "claim_present");
    let items = &st.items()[..1];
    st.sink(false, serde_json::json!({})).write(items).unwrap();
    let name = format!("Cours_de_physique_2024-03-12_{}.m4v", hash8(V1));
    let path = st.dir().join(&name);

    // The file is there (e.g. the run died before its row): only the row is written.
    st.t.db.execute_batch("DELETE FROM recorder_recordingfiletreatment").unwrap();
    st.media.clear_seen();
    let out = st.sink(false, serde_json::json!({})).write(items).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{out:?}");
    assert!(
        out[0].detail.starts_with(&format!("{} already present (300000 bytes)", path.display())),
        "{}",
        out[0].detail
    );
    assert_eq!(st.media.seen_for("GET", &file_path(V1)), vec![]);
    assert_eq!(st.rft().len(), 1);

    // A file of the wrong size is fetched again (atomically replaced) and its row corrected.
    std::fs::write(&path, b"short").unwrap();
    st.t.db.execute_batch("UPDATE recorder_recordingfiletreatment SET file_size = 5").unwrap();
    let out = st.sink(false, serde_json::json!({})).write(items).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{out:?}");
    assert!(out[0].detail.contains("size updated"), "{}", out[0].detail);
    assert_eq!(std::fs::read(&path).unwrap(), media_bytes(SIZE, 1));
    assert_eq!(st.rft()[0][1], "300000");

    // Claimed in Pod (the file moved away, a recorder_recording points at it): nothing is fetched.
    std::fs::remove_file(&path).unwrap();
    st.t.db.execute_batch("DELETE FROM recorder_recordingfiletreatment").unwrap();
    st.t.db
        .query(
            "INSERT INTO recorder_recording (recorder_id, user_id, title, type, source_file, comment, date_added) VALUES (1, 2, 't', 'video', ?, '', '2024-06-01')",
            vec![Param::from(path.to_string_lossy().as_ref())],
        )
        .unwrap();
    st.media.clear_seen();
    let out = st.sink(false, serde_json::json!({})).write(items).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::SKIPPED, "{out:?}");
    assert!(out[0].detail.contains("already claimed in Pod"), "{}", out[0].detail);
    assert_eq!(st.media.seen(), vec![]);
    assert_eq!(files_in(&st.dir()), Vec::<String>::new());
}

fn dry_run_writes_nothing(engine: Engine) {
    let st = Setup::new(engine, "claim_dry");
    let before = dump(&st.t);
    let sink = st.sink(true, serde_json::json!({}));
    sink.prepare().unwrap();
    let out = sink.write(&st.items()).unwrap();
    assert_eq!(statuses(&out), vec![OutcomeStatus::PLANNED, OutcomeStatus::PLANNED], "{out:?}");
    let p1 = st.dir().join(format!("Cours_de_physique_2024-03-12_{}.m4v", hash8(V1)));
    assert_eq!(
        out[0].detail.as_str(),
        format!(
            "would download {}{} (300000 bytes) to {}; would register it in recorder_recordingfiletreatment (recorder 1, type video, require_manual_claim = true)",
            st.media.base,
            file_path(V1),
            p1.display()
        )
    );
    assert_eq!(dump(&st.t), before, "dry run changed the database");
    assert_eq!(files_in(&st.dir()), Vec::<String>::new());
    assert_eq!(st.media.seen_for("GET", &file_path(V1)), vec![]);
    assert_eq!(st.media.seen_for("GET", &file_path(V2)), vec![]);
}

/// Another run delivers the file (and its row) between this sink's plan and
/// its apply: apply, under the file lock, finds it complete and registered.
/// Then Pod claims a file between a plan and an apply: nothing is fetched.
#[test]
fn apply_re_checks_the_file_and_the_claim_after_the_plan() {
    let st = Setup::new(Engine::Postgres, "claim_recheck");
    let items = &st.items()[..1];
    let sink = st.sink(false, serde_json::json!({}));
    let plans = PlanApply::plan(&sink, items).unwrap();
    let out = st.sink(false, serde_json::json!({})).write(items).unwrap();
    assert_eq!(statuses(&out), vec![OutcomeStatus::DONE], "{out:?}");
    let (rows, name) = (st.rft(), format!("Cours_de_physique_2024-03-12_{}.m4v", hash8(V1)));
    st.media.clear_seen();
    let out = PlanApply::apply(&sink, items, plans).unwrap();
    assert_eq!(statuses(&out), vec![OutcomeStatus::SKIPPED], "{out:?}");
    assert!(out[0].detail.contains("already present (300000 bytes)"), "{}", out[0].detail);
    assert_eq!(st.media.seen_for("GET", &file_path(V1)), vec![]);
    assert_eq!(st.rft(), rows);
    assert_eq!(files_in(&st.dir()), vec![name.clone()]);

    let path = st.dir().join(&name);
    std::fs::remove_file(&path).unwrap();
    st.t.db.execute_batch("DELETE FROM recorder_recordingfiletreatment").unwrap();
    let plans = PlanApply::plan(&sink, items).unwrap();
    st.t.db
        .query(
            "INSERT INTO recorder_recording (recorder_id, user_id, title, type, source_file, comment, date_added) VALUES (1, 2, 't', 'video', ?, '', '2024-06-01')",
            vec![Param::from(path.to_string_lossy().as_ref())],
        )
        .unwrap();
    st.media.clear_seen();
    let out = PlanApply::apply(&sink, items, plans).unwrap();
    assert_eq!(statuses(&out), vec![OutcomeStatus::SKIPPED], "{out:?}");
    assert!(out[0].detail.contains("already claimed in Pod"), "{}", out[0].detail);
    assert_eq!(st.media.seen(), vec![]);
    assert_eq!(files_in(&st.dir()), Vec::<String>::new());
    assert_eq!(st.rft(), Vec::<Vec<String>>::new());
}

#[test]
fn dry_run_writes_nothing_postgres() {
    dry_run_writes_nothing(Engine::Postgres);
}

#[test]
fn dry_run_writes_nothing_mariadb() {
    dry_run_writes_nothing(Engine::MySql);
}

#[test]
fn a_hostile_name_gives_a_safe_file_name_and_a_correct_row() {
    // PostgreSQL schema: recorder_recordingfiletreatment.file is varchar(100) (Pod < 4.0.1).
    let st = Setup::new(Engine::Postgres, "claim_hostile");
    let mut items = st.items();
    items.truncate(1);
    items[0].recording.name = format!("Cours \"d'été\" ../../etc/passwd {} 🎓🎓", "x".repeat(300)).into();
    let out = st.sink(false, serde_json::json!({})).write(&items).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{out:?}");
    let files = files_in(&st.dir());
    assert_eq!(files.len(), 1);
    let name = &files[0];
    let path = st.dir().join(name).to_string_lossy().into_owned();
    assert_eq!(path.chars().count(), 100, "{path}");
    let suffix = format!("_2024-03-12_{}.m4v", hash8(V1));
    let room = 100 - st.dir().to_string_lossy().len() - 1 - suffix.len();
    let expected = format!("{}{suffix}", &format!("Cours_d_t_etc_passwd_{}", "x".repeat(300))[..room]);
    assert_eq!(name, &expected);
    assert_eq!(st.rft(), vec![vec![path, s("300000"), s("1"), s("1"), s("0"), s("NULL"), s("video")]]);
}

#[test]
fn presentations_go_through_the_converter_command_without_a_shell() {
    let st = Setup::new(Engine::MySql, "claim_convert");
    let script = st.root.path().join("convert.sh");
    let counter = st.root.path().join("runs.txt");
    std::fs::write(&script, "printf '%s' \"$1\" > \"$2\"\necho run >> \"$3\"\n").unwrap();
    let url = format!("{}/playback/presentation/2.3/{P1}?a=1&b=$(touch pwned) 'x'", st.media.base);
    let rec = recording(P1, "Soutenance", 1_712_656_800_456, vec![playback("presentation", &url, "")]);
    let items = vec![item(rec, vec![owner("admin", "", "", "")], true)];
    let cfg = serde_json::json!({
        "converter_command": ["/bin/sh", script.to_string_lossy(), "{url}", "{file}", counter.to_string_lossy()],
    });
    let out = st.sink(false, cfg.clone()).write(&items).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{out:?}");
    let name = format!("Soutenance_2024-04-09_{}.webm", hash8(P1));
    assert_eq!(files_in(&st.dir()), vec![name.clone()]);
    assert_eq!(std::fs::read_to_string(st.dir().join(&name)).unwrap(), url);
    assert!(!st.root.path().join("pwned").exists() && !Path::new("pwned").exists());
    assert_eq!(st.rft()[0][1], url.len().to_string());

    // Present: not converted again.
    let out = st.sink(false, cfg).write(&items).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::SKIPPED, "{out:?}");
    assert_eq!(std::fs::read_to_string(&counter).unwrap(), "run\n");

    // A failing command leaves nothing under a final name.
    let rec = recording(V1, "Other", 1_712_656_800_456, vec![playback("presentation", &url, "")]);
    let cfg = serde_json::json!({ "converter_command": "/bin/sh -c 'echo boom >&2; exit 3' {url} {file}" });
    let out = st.sink(false, cfg).write(&[item(rec.clone(), vec![owner("admin", "", "", "")], true)]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::FAILED, "{out:?}");
    assert!(out[0].detail.contains("boom"), "{}", out[0].detail);
    assert_eq!(files_in(&st.dir()).len(), 1);

    // No converter: a presentation-only recording fails for good.
    let out =
        st.sink(false, serde_json::json!({})).write(&[item(rec, vec![owner("admin", "", "", "")], true)]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::FAILED);
    assert!(!out[0].retryable);
    assert!(out[0].detail.contains("no converter configured"), "{}", out[0].detail);
}

#[test]
fn not_enough_disk_space_fails_before_writing() {
    let st = Setup::new(Engine::MySql, "claim_disk");
    let out = st.sink(false, serde_json::json!({ "min_free_bytes": u64::MAX / 2 })).write(&st.items()).unwrap();
    assert_eq!(statuses(&out), vec![OutcomeStatus::FAILED, OutcomeStatus::FAILED]);
    assert!(out[0].retryable);
    assert!(out[0].detail.contains("not enough disk space"), "{}", out[0].detail);
    assert_eq!(files_in(&st.dir()), Vec::<String>::new());
    assert_eq!(count(&st.t, "recorder_recordingfiletreatment"), 0);
}

#[test]
fn config_and_recorder_errors() {
    let st = Setup::new(Engine::MySql, "claim_config");
    let c = ctx("claim", Path::new("."), false);
    let base = |extra: serde_json::Value| {
        let mut cfg =
            serde_json::json!({ "database": db_url(&st.t), "recorder_id": 1, "recorder_path": st.root.path() });
        for (k, v) in extra.as_object().unwrap() {
            cfg[k] = v.clone();
        }
        cfg.to_string()
    };
    let e = plugin_api::sdk::testing::sink::<ClaimDirSink>(
        &base(serde_json::json!({ "converter_command": "node export.js {url}" })),
        c.clone(),
    )
    .err()
    .unwrap();
    assert_eq!(e.field(), Some("converter_command"));
    let e =
        plugin_api::sdk::testing::sink::<ClaimDirSink>(&base(serde_json::json!({ "converter": "magic" })), c.clone())
            .err()
            .unwrap();
    assert_eq!(e.field(), Some("converter"));
    let e = plugin_api::sdk::testing::sink::<ClaimDirSink>(&base(serde_json::json!({ "concurrency": 0 })), c.clone())
        .err()
        .unwrap();
    assert_eq!(e.field(), Some("concurrency"));
    let e = plugin_api::sdk::testing::sink::<ClaimDirSink>(&base(serde_json::json!({ "recorder": 1 })), c.clone())
        .err()
        .unwrap();
    assert_eq!(e.field(), Some("recorder"));
    assert!(plugin_api::sdk::testing::sink::<ClaimDirSink>(
        &base(serde_json::json!({ "converter": "native" })),
        c.clone()
    )
    .is_ok());
    let native = |k: &str, v: &str| base(serde_json::json!({ "converter": "native", k: v }));
    let e = plugin_api::sdk::testing::sink::<ClaimDirSink>(&native("chat", "sidebar"), c.clone()).err().unwrap();
    assert_eq!(e.field(), Some("chat"));
    let e = plugin_api::sdk::testing::sink::<ClaimDirSink>(&native("chat_names", "hidden"), c.clone()).err().unwrap();
    assert_eq!(e.field(), Some("chat_names"));
    assert!(plugin_api::sdk::testing::sink::<ClaimDirSink>(&native("chat", "panel"), c.clone()).is_ok());
    assert!(plugin_api::sdk::testing::sink::<ClaimDirSink>(&native("chat_names", "anonymous"), c.clone()).is_ok());
    // `audio` is typed: an unknown value names the key (the host adds its file:line).
    let e = plugin_api::sdk::testing::sink::<ClaimDirSink>(&native("audio", "opus"), c.clone()).err().unwrap();
    assert_eq!(e.field(), Some("audio"));
    assert!(e.message.contains("unknown variant `opus`, expected `aac` or `keep`"), "{}", e.message);
    assert!(plugin_api::sdk::testing::sink::<ClaimDirSink>(&native("audio", "keep"), c.clone()).is_ok());

    let e = plugin_api::sdk::testing::sink::<ClaimDirSink>(&base(serde_json::json!({ "recorder_id": 7 })), c.clone())
        .unwrap()
        .prepare()
        .unwrap_err();
    assert_eq!(e.field(), Some("recorder_id"));
    assert!(e.message.contains("recorder_id 7: no recorder_recorder row"), "{}", e.message);
    std::fs::remove_dir(st.dir()).unwrap();
    let e =
        plugin_api::sdk::testing::sink::<ClaimDirSink>(&base(serde_json::json!({})), c).unwrap().prepare().unwrap_err();
    assert_eq!(e.field(), Some("recorder_path"));
    assert!(e.message.contains("bbb-migration: directory of recorder 1 does not exist"), "{}", e.message);
}

/// The render crate's test recordings (fixture XML + media made by ffmpeg), reused as is.
#[path = "../../../crates/render/tests/common/mod.rs"]
mod render_fixture;

#[test]
fn presentations_render_natively() {
    render_fixture::require_ffmpeg();
    let st = Setup::new(Engine::MySql, "claim_native");
    let rec_dir = tempfile::tempdir().unwrap();
    let media = render_fixture::Media { length: 4.0, webcams: false, audio_only: true, deskshare: false, slides: true };
    render_fixture::make_recording(rec_dir.path(), media);
    serve_tree(&st.media, rec_dir.path(), &format!("/presentation/{P1}"));
    let rec = recording(
        P1,
        "Soutenance",
        1_712_656_800_456,
        vec![playback("presentation", &format!("{}/playback/presentation/2.3/{P1}", st.media.base), "")],
    );
    let items = vec![item(rec, vec![owner("admin", "", "", "")], true)];

    let dry = st.sink(true, serde_json::json!({ "converter": "native" })).write(&items).unwrap();
    assert_eq!(dry[0].status, OutcomeStatus::PLANNED);
    let name = format!("Soutenance_2024-04-09_{}.mp4", hash8(P1));
    let path = st.dir().join(&name);
    assert_eq!(dry[0].detail.as_str(), format!("would render {}/presentation/{P1}/ to {}; would register it in recorder_recordingfiletreatment (recorder 1, type video, require_manual_claim = true)", st.media.base, path.display()));
    assert_eq!(st.media.seen(), vec![]);

    // A render past render_timeout_s: ffmpeg killed, the recording failed (retryable), nothing written.
    let slow =
        st.sink(false, serde_json::json!({ "converter": "native", "render_timeout_s": 0 })).write(&items).unwrap();
    assert_eq!(slow[0].status, OutcomeStatus::FAILED, "{slow:?}");
    assert!(slow[0].detail.contains("render_timeout_s) (0 s)"), "{}", slow[0].detail);
    assert_eq!(files_in(&st.dir()), Vec::<String>::new());
    assert!(st.rft().is_empty());

    let out = st.sink(false, serde_json::json!({ "converter": "native" })).write(&items).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{out:?}");
    assert_eq!(files_in(&st.dir()), vec![name]);
    assert!((render_fixture::duration(&path) - 4.0).abs() <= 0.2, "{}", render_fixture::duration(&path));
    assert!(render_fixture::has_stream(&path, "video") && render_fixture::has_stream(&path, "audio"));
    let size = std::fs::metadata(&path).unwrap().len().to_string();
    assert_eq!(
        st.rft(),
        vec![vec![path.to_string_lossy().into_owned(), size, s("1"), s("1"), s("0"), s("NULL"), s("video")]]
    );
}

#[test]
fn downloads_run_at_most_concurrency_at_a_time() {
    let st = Setup::new(Engine::MySql, "claim_parallel");
    let mut items = Vec::new();
    for i in 0..6u8 {
        let id = format!("{:040x}-1710237483000", i + 16);
        st.media.put(&file_path(&id), &media_bytes(1000, i));
        let url = format!("{}{}", st.media.base, file_path(&id));
        let pb = playback(
            "video",
            &format!("{}/playback/video/{id}/", st.media.base),
            &serde_json::json!({ "download_url": url }).to_string(),
        );
        items.push(item(
            recording(&id, &format!("Rec {i}"), 1_710_237_483_000, vec![pb]),
            vec![owner("admin", "", "", "")],
            true,
        ));
    }
    st.media.set_delay(300);
    let t0 = std::time::Instant::now();
    let out = st.sink(false, serde_json::json!({ "concurrency": 2 })).write(&items).unwrap();
    assert!(out.iter().all(|o| o.status == OutcomeStatus::DONE), "{out:?}");
    // In input order, whatever order they finished in.
    assert_eq!(
        out.iter().map(|o| o.record_id.to_string()).collect::<Vec<_>>(),
        items.iter().map(|i| i.recording.record_id.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(st.media.max_inflight(), 2);
    assert!(t0.elapsed() >= std::time::Duration::from_millis(900), "{:?}", t0.elapsed());
    assert_eq!(count(&st.t, "recorder_recordingfiletreatment"), 6);
}

#[test]
fn a_server_without_range_support_restarts_from_zero_and_404_is_final() {
    let st = Setup::new(Engine::Postgres, "claim_norange");
    st.media.ignore_range();
    st.media.cut_next(&file_path(V1));
    let out = st.sink(false, serde_json::json!({ "retries": 1 })).write(&st.items()[..1]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{out:?}");
    let gets = st.media.seen_for("GET", &file_path(V1));
    assert_eq!(gets.iter().map(|g| g.range.clone()).collect::<Vec<_>>(), vec![None, Some(s("bytes=150000-"))]);
    let data: serde_json::Value = serde_json::from_str(&out[0].data_json).unwrap();
    assert_eq!(data["resumed_from"], 0);
    assert!(
        out[0].detail.contains("started over: ") && out[0].detail.contains("the server ignored the range"),
        "{}",
        out[0].detail
    );
    let name = format!("Cours_de_physique_2024-03-12_{}.m4v", hash8(V1));
    assert_eq!(std::fs::read(st.dir().join(name)).unwrap(), media_bytes(SIZE, 1));

    // A file the server does not have: a permanent failure, nothing written.
    let mut gone = st.items()[1].clone();
    gone.recording.playback[0].url = format!("{}/playback/video/gone/", st.media.base).into();
    let out = st.sink(false, serde_json::json!({})).write(&[gone]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::FAILED);
    assert!(!out[0].retryable);
    assert!(out[0].detail.ends_with("/playback/video/gone/: HTTP 404 Not Found"), "{}", out[0].detail);
    assert_eq!(count(&st.t, "recorder_recordingfiletreatment"), 1);
}

#[test]
fn transient_http_errors_are_retried_within_the_run() {
    let st = Setup::new(Engine::Postgres, "claim_503");
    let fast = serde_json::json!({ "retries": 2, "backoff_ms": 10 });
    // V2's video page and V1's file answer 503 once.
    st.media.fail_next(&format!("/playback/video/{V2}/"), 503, 1);
    st.media.fail_next(&file_path(V1), 503, 1);
    let sink = st.sink(false, fast.clone());
    sink.prepare().unwrap();
    let out = sink.write(&st.items()).unwrap();
    assert_eq!(statuses(&out), vec![OutcomeStatus::DONE, OutcomeStatus::DONE], "{out:?}");
    assert_eq!(st.media.seen_for("GET", &format!("/playback/video/{V2}/")).len(), 2);
    assert_eq!(st.media.seen_for("GET", &file_path(V1)).len(), 2);
    assert_eq!(
        std::fs::read(st.dir().join(format!("Cours_de_physique_2024-03-12_{}.m4v", hash8(V1)))).unwrap(),
        media_bytes(SIZE, 1)
    );

    // Next run: the size check of the file in place answers 503 once, and is retried.
    st.media.clear_seen();
    st.media.fail_next(&file_path(V1), 503, 1);
    let out = st.sink(false, fast).write(&st.items()).unwrap();
    assert_eq!(statuses(&out), vec![OutcomeStatus::SKIPPED, OutcomeStatus::SKIPPED], "{out:?}");
    assert_eq!(st.media.seen_for("HEAD", &file_path(V1)).len(), 2);

    // Without retries the same 503 fails the recording for this run only (not permanently).
    st.media.clear_seen();
    st.media.fail_next(&file_path(V1), 503, 1);
    let out = st.sink(false, serde_json::json!({ "retries": 0 })).write(&st.items()).unwrap();
    assert_eq!(statuses(&out), vec![OutcomeStatus::FAILED, OutcomeStatus::SKIPPED], "{out:?}");
    assert!(out[0].detail.contains("HTTP 503") && out[0].retryable, "{out:?}");
}

#[test]
fn protected_recordings_are_reported_per_recording_and_never_fetched() {
    let st = Setup::new(Engine::Postgres, "claim_protected");
    let mut items = st.items();
    items[1].recording.extra_json = r#"{"protected":true}"#.into();
    let sink = st.sink(false, serde_json::json!({}));
    sink.prepare().unwrap();
    let out = sink.write(&items).unwrap();
    assert_eq!(statuses(&out), vec![OutcomeStatus::DONE, OutcomeStatus::FAILED], "{out:?}");
    assert!(out[1].detail.starts_with("protected recording: "), "{}", out[1].detail);
    assert!(!out[1].retryable);
    assert!(st.media.seen().iter().all(|s| !s.path.contains(V2)), "{:?}", st.media.seen());
    assert_eq!(st.rft().len(), 1);
}

/// Audio codec of the first audio stream.
fn audio_codec(file: &Path) -> String {
    let p = render_fixture::probe(file);
    let streams = p["streams"].as_array().unwrap();
    let a = streams.iter().find(|s| s["codec_type"] == "audio").expect("an audio stream");
    a["codec_name"].as_str().unwrap().to_string()
}

#[test]
fn native_audio_keep_copies_the_source_sound() {
    render_fixture::require_ffmpeg();
    let st = Setup::new(Engine::Postgres, "claim_audio_keep");
    let rec_dir = tempfile::tempdir().unwrap();
    let media = render_fixture::Media { length: 3.0, webcams: false, audio_only: true, deskshare: false, slides: true };
    render_fixture::make_recording(rec_dir.path(), media);
    serve_tree(&st.media, rec_dir.path(), &format!("/presentation/{P1}"));
    let pres = format!("{}/playback/presentation/2.3/{P1}", st.media.base);
    let items =
        vec![item(recording(P1, "Son", 1_712_656_800_456, vec![playback("presentation", &pres, "")]), vec![], true)];
    let path = st.dir().join(format!("Son_2024-04-09_{}.mp4", hash8(P1)));

    let out = st.sink(false, serde_json::json!({ "converter": "native", "audio": "keep" })).write(&items).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{out:?}");
    // The fixture's audio/audio.webm is Opus: copied as it is.
    assert_eq!(audio_codec(&path), "opus");
    std::fs::remove_file(&path).unwrap();
    st.t.db.execute_batch("DELETE FROM recorder_recordingfiletreatment").unwrap();
    let out = st.sink(false, serde_json::json!({ "converter": "native" })).write(&items).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{out:?}");
    assert_eq!(audio_codec(&path), "aac");
}

const V3: &str = "dddddddddddddddddddddddddddddddddddddddd-1710237483000";
const CAPTION_EN: &str = "WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nHello class\n";
const CAPTION_PT: &str = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nOlá turma\n";

/// A `video` playback as BBB publishes it: `video-0.m4v` (H.264/AAC, 2.5 s), two caption
/// locales and one listed without its file, and the chat in `video.xml`.
/// Returns the video's bytes.
fn publish_video_format(st: &Setup, dir: &Path) -> Vec<u8> {
    let video = dir.join("video-0.m4v");
    render_fixture::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=10",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440",
        "-t",
        "2.5",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        "-f",
        "mp4",
        video.to_str().unwrap(),
    ]);
    let folder = format!("/playback/video/{V3}");
    st.media.put(&format!("{folder}/"), b"<video><source src=\"video-0.m4v\"></video>");
    st.media.put(&format!("{folder}/video-0.m4v"), &std::fs::read(&video).unwrap());
    let captions = r#"[{"locale":"en","localeName":"English"},{"locale":"pt-BR","localeName":"Português"},{"locale":"de","localeName":"Deutsch"}]"#;
    st.media.put(&format!("{folder}/captions.json"), captions.as_bytes());
    st.media.put(&format!("{folder}/caption_en.vtt"), CAPTION_EN.as_bytes());
    st.media.put(&format!("{folder}/caption_pt-BR.vtt"), CAPTION_PT.as_bytes());
    let chat = r#"<?xml version="1.0"?><popcorn><chattimeline in="0.4" direction="down" name="Alice" message="Bonjour &lt;b&gt;tous&lt;/b&gt;" target="chat"/><chattimeline in="1.7" direction="down" name="Bob" message="Merci" target="chat"/></popcorn>"#;
    st.media.put(&format!("{folder}/video.xml"), chat.as_bytes());
    std::fs::read(&video).unwrap()
}

/// The text of subtitle track `k` of `file`, as WebVTT.
fn subtitle_text(file: &Path, k: usize) -> String {
    let out = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-i"])
        .arg(file)
        .args(["-map", &format!("0:s:{k}"), "-f", "webvtt", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_video_playback_keeps_its_captions_and_chat() {
    render_fixture::require_ffmpeg();
    let st = Setup::new(Engine::MySql, "claim_video_extras");
    let src = tempfile::tempdir().unwrap();
    let published = publish_video_format(&st, src.path());
    let page = format!("{}/playback/video/{V3}/", st.media.base);
    let items =
        vec![item(recording(V3, "Cours vidéo", 1_710_237_483_000, vec![playback("video", &page, "")]), vec![], true)];
    let name = format!("Cours_vid_o_2024-03-12_{}.m4v", hash8(V3));
    let path = st.dir().join(&name);

    let out = st.sink(false, serde_json::json!({})).write(&items).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{out:?}");
    let stem = name.trim_end_matches(".m4v");
    let sidecars = ["chat.txt", "chat.vtt", "en.vtt", "pt-BR.vtt"].map(|s| format!("{stem}.{s}"));
    let mut want = vec![name.clone()];
    want.extend(sidecars.iter().cloned());
    want.sort();
    assert_eq!(files_in(&st.dir()), want);
    // Two subtitle tracks with their language tags, the video and sound copied.
    let p = render_fixture::probe(&path);
    let streams = p["streams"].as_array().unwrap();
    let kinds: Vec<&str> = streams.iter().map(|s| s["codec_type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["video", "audio", "subtitle", "subtitle"], "{p}");
    let subs: Vec<(&str, &str)> = streams[2..]
        .iter()
        .map(|s| (s["codec_name"].as_str().unwrap(), s["tags"]["language"].as_str().unwrap()))
        .collect();
    assert_eq!(subs, [("mov_text", "eng"), ("mov_text", "por")]);
    assert_eq!((streams[0]["codec_name"].as_str(), streams[1]["codec_name"].as_str()), (Some("h264"), Some("aac")));
    assert!(subtitle_text(&path, 0).contains("00:00.500 --> 00:01.500\nHello class"), "{}", subtitle_text(&path, 0));
    assert!(subtitle_text(&path, 1).contains("Olá turma"), "{}", subtitle_text(&path, 1));
    // The sidecars: captions as published, the chat as plain text.
    assert_eq!(std::fs::read_to_string(st.dir().join(&sidecars[2])).unwrap(), CAPTION_EN);
    assert_eq!(std::fs::read_to_string(st.dir().join(&sidecars[3])).unwrap(), CAPTION_PT);
    let chat = std::fs::read_to_string(st.dir().join(&sidecars[0])).unwrap();
    assert_eq!(chat, "[0:00:00] Alice: Bonjour tous\n[0:00:01] Bob: Merci\n");
    // The outcome names the locale without its file, the row holds the muxed size.
    assert!(out[0].detail.contains("not drawn: captions de: caption_de.vtt missing"), "{}", out[0].detail);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > published.len() as u64, "{size}");
    assert_eq!(st.rft()[0][1], size.to_string());

    // Next run: the muxed file is complete (not fetched nor muxed again).
    st.media.clear_seen();
    let out = st.sink(false, serde_json::json!({})).write(&items).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::SKIPPED, "{out:?}");
    assert_eq!(st.media.seen_for("GET", &format!("/playback/video/{V3}/video-0.m4v")), vec![]);
    assert_eq!(st.media.seen_for("GET", &format!("/playback/video/{V3}/captions.json")), vec![]);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), size);

    // `chat = "off"`, and a run that stopped before the row: muxed then, no chat sidecars.
    for f in &sidecars {
        std::fs::remove_file(st.dir().join(f)).unwrap();
    }
    std::fs::write(&path, &published).unwrap();
    st.t.db.execute_batch("DELETE FROM recorder_recordingfiletreatment").unwrap();
    let out = st.sink(false, serde_json::json!({ "chat": "off" })).write(&items).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{out:?}");
    let mut want = vec![sidecars[2].clone(), sidecars[3].clone(), name.clone()];
    want.sort();
    assert_eq!(files_in(&st.dir()), want);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
}
