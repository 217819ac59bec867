//! The `archive` sink on a folder target, against the real local file server.
mod common;

use bbb_migrate_archive::Manifest;
use bbb_testserver::files::FileServer;
use common::*;
use plugin_api::sdk::{PlanApply, SinkPlugin};
use plugin_api::OutcomeStatus;
use serde_json::json;

const ID: &str = "f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4-1598187947041";

fn manifest(root: &std::path::Path, id: &str) -> Manifest {
    Manifest::parse(&std::fs::read(root.join(id).join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn archives_every_published_file_in_the_server_layout_verified_once() {
    let server = FileServer::start();
    let published = publish_full(&server, ID);
    let dir = tempfile::tempdir().unwrap();
    let settings = json!({"target": "archive", "min_free_bytes": 0});
    let s = sink(dir.path(), settings.clone(), false);
    s.prepare().unwrap();
    let out = s.write(&[item(recording(&server, ID, &["presentation", "video", "podcast"]))]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{}", out[0].detail);
    s.finish().unwrap();
    let root = dir.path().join("archive");

    // Every published file, byte for byte, at <root>/<id>/<format>/<path as published>.
    let m = manifest(&root, ID);
    for (path, body) in &published {
        let local = if let Some(rest) = path.strip_prefix(&format!("/presentation/{ID}/")) {
            format!("presentation/{rest}")
        } else if let Some(rest) = path.strip_prefix(&format!("/playback/video/{ID}/")) {
            format!("video/{rest}")
        } else {
            format!("podcast/{}", path.rsplit('/').next().unwrap())
        };
        let on_disk = std::fs::read(root.join(ID).join(&local)).unwrap_or_else(|_| panic!("{local} not archived"));
        assert!(on_disk == *body, "{local} differs");
        let entry = m.files.iter().find(|f| f.path == local).unwrap_or_else(|| panic!("{local} not in manifest"));
        assert_eq!((entry.size, entry.sha256.as_str()), (body.len() as u64, sha256(body).as_str()), "{local}");
        assert_eq!(entry.url, format!("{}{path}", server.base));
    }
    assert_eq!(m.files.len(), published.len(), "{:?}", m.files.iter().map(|f| &f.path).collect::<Vec<_>>());
    // Looked for and absent: recorded, not a failure.
    let missing: Vec<&str> = m.missing.iter().map(|x| x.path.as_str()).collect();
    for p in ["presentation/caption_en.vtt", "presentation/video/webcams.mp4", "presentation/deskshare/deskshare.webm"]
    {
        assert!(missing.contains(&p), "{p} not in {missing:?}");
    }
    assert!(m.skipped.is_empty(), "{:?}", m.skipped);
    assert_eq!((m.owners[0].username.as_str(), m.fallback_owner), ("jdupont", false));
    assert_eq!(m.start_time, "2020-08-23T13:05:47.041Z");
    // No temporary file left; the index lists the recording.
    let files = tree(&root);
    assert!(files.iter().all(|f| !f.ends_with(".part")), "{files:?}");
    let csv = std::fs::read_to_string(root.join("index.csv")).unwrap();
    assert!(csv.lines().nth(1).unwrap().starts_with(&format!("{ID},Cours d'été,2020-08-23T13:05:47.041Z")), "{csv}");
    let index: serde_json::Value = serde_json::from_slice(&std::fs::read(root.join("index.json")).unwrap()).unwrap();
    assert_eq!(index[0]["record_id"], ID);

    // A second run (new sink, as a new process) fetches nothing and verifies nothing again.
    server.clear_seen();
    let again = sink(dir.path(), settings, false).write(&[item(recording(&server, ID, &["presentation"]))]).unwrap();
    assert_eq!(again[0].status, OutcomeStatus::SKIPPED, "{}", again[0].detail);
    assert!(server.seen().is_empty(), "{:?}", server.seen());
}

#[test]
fn hostile_names_are_refused_and_listed_never_written_outside() {
    let server = FileServer::start();
    let id = "0000000000000000000000000000000000000bad-1700000000000";
    let p = format!("/presentation/{id}");
    server.put(&format!("{p}/metadata.xml"), b"<recording><id>x</id></recording>");
    let svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
<image class="slide" xlink:href="presentation/ok/slide-1.png"/>
<image class="slide" xlink:href="../../../../escape.png"/>
<image class="slide" xlink:href="/etc/passwd"/>
<image class="slide" xlink:href="http://evil.example/x.png"/>
<image class="slide" xlink:href="presentation/%2e%2e/%2e%2e/%2e%2e/enc.png"/>
<image class="slide" xlink:href="{}/elsewhere/x.png"/></svg>"#,
        server.base
    );
    server.put(&format!("{p}/shapes.svg"), svg.as_bytes());
    server.put(&format!("{p}/presentation/ok/slide-1.png"), b"png");
    server.put(&format!("{p}/captions.json"), br#"[{"locale":"../../../x"}]"#);
    let dir = tempfile::tempdir().unwrap();
    let s = sink(dir.path(), json!({"target": "a/root", "min_free_bytes": 0}), false);
    let out = s.write(&[item(recording(&server, id, &["presentation"]))]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{}", out[0].detail);
    let m = manifest(&dir.path().join("a/root"), id);
    let refused: Vec<(&str, &str)> = m.skipped.iter().map(|s| (s.href.as_str(), s.from.as_str())).collect();
    let other_path = format!("{}/elsewhere/x.png", server.base);
    assert_eq!(
        refused,
        [
            ("../../../../escape.png", "presentation/shapes.svg"),
            ("/etc/passwd", "presentation/shapes.svg"),
            ("http://evil.example/x.png", "presentation/shapes.svg"),
            ("presentation/%2e%2e/%2e%2e/%2e%2e/enc.png", "presentation/shapes.svg"),
            (other_path.as_str(), "presentation/shapes.svg"),
            ("caption_../../../x.vtt", "presentation/captions.json"),
        ]
    );
    // Only the recording's folder (and the work folder) exist below the temporary dir.
    let all = tree(dir.path());
    assert!(
        all.iter().all(|f| f.starts_with(&format!("a/root/{id}/")) || f.starts_with("a/root/.archive-work")),
        "{all:?}"
    );
    assert!(all.contains(&format!("a/root/{id}/presentation/presentation/ok/slide-1.png")));
    // Nothing was even asked for outside the recording's folder.
    assert!(server.seen().iter().all(|s| s.path.starts_with(&p)), "{:?}", server.seen());
}

#[test]
fn missing_metadata_fails_the_recording_and_a_wrong_size_fails_the_file() {
    let server = FileServer::start();
    let dir = tempfile::tempdir().unwrap();
    let s = sink(dir.path(), json!({"target": "arch", "min_free_bytes": 0, "retries": 1}), false);
    // No metadata.xml (an unpublished recording answers 404 everywhere).
    let gone = "1111111111111111111111111111111111111111-1700000000000";
    let out = s.write(&[item(recording(&server, gone, &["presentation"]))]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::FAILED);
    assert!(
        out[0].detail.contains("metadata.xml: HTTP 404") && out[0].detail.contains("required"),
        "{}",
        out[0].detail
    );
    assert!(!dir.path().join("arch").join(gone).join("manifest.json").exists());

    // A server that announces more bytes than it sends: that file fails, never under its name.
    publish_full(&server, ID);
    let cam = format!("/presentation/{ID}/video/webcams.webm");
    server.lie_about(&cam, 1000);
    let out = s.write(&[item(recording(&server, ID, &["presentation"]))]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::FAILED);
    assert!(out[0].detail.contains("webcams.webm"), "{}", out[0].detail);
    let rec = dir.path().join("arch").join(ID);
    assert!(!rec.join("presentation/video/webcams.webm").exists());
    assert!(!rec.join("manifest.json").exists());
    assert!(rec.join("presentation/shapes.svg").exists(), "the good files are kept for the next run");
}

#[test]
fn a_cut_download_resumes_with_range_and_nothing_complete_is_fetched_again() {
    let server = FileServer::start();
    let published = publish_full(&server, ID);
    let cam = format!("/presentation/{ID}/video/webcams.webm");
    server.cut_next(&cam);
    let dir = tempfile::tempdir().unwrap();
    let settings = json!({"target": "arch", "min_free_bytes": 0, "retries": 0});
    let out =
        sink(dir.path(), settings.clone(), false).write(&[item(recording(&server, ID, &["presentation"]))]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::FAILED, "{}", out[0].detail);
    assert!(out[0].detail.contains("resumes"), "{}", out[0].detail);
    let part = dir.path().join("arch").join(ID).join("presentation/video/webcams.webm.part");
    assert_eq!(std::fs::metadata(&part).unwrap().len(), 300_000);

    // The validator of the first answer is kept beside the `.part`.
    let (etag, _) = server.validators(&cam).unwrap();
    let kept = std::fs::read(part.parent().unwrap().join("webcams.webm.part.validator")).unwrap();
    let kept: serde_json::Value = serde_json::from_slice(&kept).unwrap();
    assert_eq!((kept["etag"].as_str(), kept["length"].as_u64()), (Some(&*etag), Some(600_000)), "{kept}");

    server.clear_seen();
    let out = sink(dir.path(), settings, false).write(&[item(recording(&server, ID, &["presentation"]))]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{}", out[0].detail);
    assert_eq!(server.gets(&cam).iter().map(|s| s.range.clone()).collect::<Vec<_>>(), [Some("bytes=300000-".into())]);
    // Only the rest of that version is asked for.
    assert_eq!(server.gets(&cam)[0].if_range, Some(etag));
    assert!(!out[0].detail.contains("byte 0"), "{}", out[0].detail);
    // Complete files of the first run: not fetched again (documents are re-read from the archive).
    let slide = format!("/presentation/{ID}/presentation/{PRES}/slide-1.png");
    assert!(server.gets(&slide).is_empty());
    assert!(server.gets(&format!("/presentation/{ID}/shapes.svg")).is_empty());
    let body = &published.iter().find(|(p, _)| *p == cam).unwrap().1;
    let m = manifest(&dir.path().join("arch"), ID);
    let e = m.files.iter().find(|f| f.path == "presentation/video/webcams.webm").unwrap();
    assert_eq!(e.sha256, sha256(body));
    assert_eq!(std::fs::read(dir.path().join("arch").join(ID).join("presentation/video/webcams.webm")).unwrap(), *body);
    assert!(!dir.path().join("arch/.archive-work").join(format!("{ID}.jsonl")).exists());
    let m = manifest(&dir.path().join("arch"), ID);
    assert!(m.notes.is_empty(), "{:?}", m.notes);
    let files = tree(&dir.path().join("arch"));
    assert!(files.iter().all(|f| !f.contains(".part")), "{files:?}");
}

/// Webcams of `ID` cut half way on the first run (no retry): 300 000 bytes kept in the
/// `.part`. Returns the server, the file's path, its first body, the settings, the folder.
fn cut_webcams(server: &FileServer) -> (String, Vec<u8>, serde_json::Value, tempfile::TempDir) {
    let published = publish_full(server, ID);
    let cam = format!("/presentation/{ID}/video/webcams.webm");
    let body = published.iter().find(|(p, _)| *p == cam).unwrap().1.clone();
    server.cut_next(&cam);
    let dir = tempfile::tempdir().unwrap();
    let settings = json!({"target": "arch", "min_free_bytes": 0, "retries": 0});
    let out =
        sink(dir.path(), settings.clone(), false).write(&[item(recording(server, ID, &["presentation"]))]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::FAILED, "{}", out[0].detail);
    let part = dir.path().join("arch").join(ID).join("presentation/video/webcams.webm.part");
    assert_eq!(std::fs::metadata(part).unwrap().len(), 300_000);
    (cam, body, settings, dir)
}

/// The sink run again on `ID`'s presentation, the requests seen from there.
fn rerun(server: &FileServer, dir: &std::path::Path, settings: serde_json::Value) -> plugin_api::Outcome {
    server.clear_seen();
    sink(dir, settings, false).write(&[item(recording(server, ID, &["presentation"]))]).unwrap().remove(0)
}

/// The `Range` of each GET of `path`.
fn ranges(server: &FileServer, path: &str) -> Vec<Option<String>> {
    server.gets(path).into_iter().map(|g| g.range).collect()
}

/// The same size, other bytes: a splice of the two would go unnoticed by its size.
fn other_version(body: &[u8]) -> Vec<u8> {
    body.iter().map(|b| b ^ 0x5a).collect()
}

/// The archived webcams: exactly `want`, with its SHA-256 in the manifest, and the
/// manifest's note saying why the file was fetched again (containing `why`).
fn check_webcams(dir: &std::path::Path, out: &plugin_api::Outcome, want: &[u8], why: &str) {
    assert_eq!(out.status, OutcomeStatus::DONE, "{}", out.detail);
    let root = dir.join("arch");
    let stored = std::fs::read(root.join(ID).join("presentation/video/webcams.webm")).unwrap();
    assert!(stored == want, "the stored webcams are not the server's file now");
    let m = manifest(&root, ID);
    let e = m.files.iter().find(|f| f.path == "presentation/video/webcams.webm").unwrap();
    assert_eq!((e.size, e.sha256.as_str()), (want.len() as u64, sha256(want).as_str()));
    let notes: Vec<&String> = m.notes.iter().filter(|n| n.contains("webcams.webm")).collect();
    assert_eq!(notes.len(), 1, "{:?}", m.notes);
    assert!(notes[0].contains(why) && notes[0].contains("fetched again from byte 0"), "{}", notes[0]);
    assert!(out.detail.contains("1 file(s) fetched again from byte 0"), "{}", out.detail);
    let files = tree(&root);
    assert!(files.iter().all(|f| !f.contains(".part")), "{files:?}");
}

#[test]
fn a_file_changed_on_the_server_between_runs_is_fetched_again_whole() {
    let server = FileServer::start();
    let (cam, first, settings, dir) = cut_webcams(&server);
    let (old_etag, _) = server.validators(&cam).unwrap();
    let new = other_version(&first);
    server.put(&cam, &new);
    let out = rerun(&server, dir.path(), settings);
    // One request: the rest of the old version asked for, the new one answered whole (200).
    let gets = server.gets(&cam);
    assert_eq!(gets.len(), 1, "{gets:?}");
    assert_eq!((gets[0].range.as_deref(), gets[0].if_range.as_deref()), (Some("bytes=300000-"), Some(&*old_etag)));
    check_webcams(dir.path(), &out, &new, "changed on the server");
}

#[test]
fn a_server_that_ignores_if_range_is_caught_by_its_answers_validators() {
    let server = FileServer::start();
    server.ignore_if_range();
    let (cam, first, settings, dir) = cut_webcams(&server);
    let new = other_version(&first);
    server.put(&cam, &new);
    let out = rerun(&server, dir.path(), settings);
    // The 206 of the new version (another ETag) is dropped; the file is asked for whole.
    assert_eq!(ranges(&server, &cam), [Some("bytes=300000-".into()), None]);
    check_webcams(dir.path(), &out, &new, "changed on the server");
}

#[test]
fn without_a_validator_the_bytes_kept_are_not_resumed() {
    let server = FileServer::start();
    server.no_validators();
    let (cam, first, settings, dir) = cut_webcams(&server);
    assert!(!dir.path().join("arch").join(ID).join("presentation/video/webcams.webm.part.validator").exists());
    let out = rerun(&server, dir.path(), settings);
    assert_eq!(ranges(&server, &cam), [None]);
    check_webcams(dir.path(), &out, &first, "no ETag or Last-Modified");
}

#[test]
fn verify_finds_bit_rot_and_deleted_files_per_recording() {
    let server = FileServer::start();
    publish_full(&server, ID);
    let other = "2222222222222222222222222222222222222222-1700000000000";
    publish_full(&server, other);
    let dir = tempfile::tempdir().unwrap();
    let settings = json!({"target": "arch", "min_free_bytes": 0});
    let s = sink(dir.path(), settings.clone(), false);
    let out = s
        .write(&[item(recording(&server, ID, &["presentation"])), item(recording(&server, other, &["podcast"]))])
        .unwrap();
    assert!(out.iter().all(|o| o.status == OutcomeStatus::DONE), "{out:?}");
    let lines = verifier(dir.path(), settings.clone()).check().unwrap();
    assert!(lines.iter().any(|l| l.starts_with(&format!("OK {ID}: "))), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with(&format!("OK {other}: 1 files"))), "{lines:?}");

    // One flipped byte in a slide, one deleted thumbnail.
    let rec = dir.path().join("arch").join(ID).join("presentation/presentation").join(PRES);
    let slide = rec.join("slide-2.png");
    let mut b = std::fs::read(&slide).unwrap();
    b[100] ^= 1;
    std::fs::write(&slide, b).unwrap();
    std::fs::remove_file(rec.join("thumbnails/thumb-1.png")).unwrap();
    let lines = verifier(dir.path(), settings).check().unwrap();
    let bad = lines.iter().find(|l| l.starts_with(&format!("BAD {ID}"))).unwrap_or_else(|| panic!("{lines:?}"));
    assert!(
        bad.contains("2 of") && bad.contains("slide-2.png: SHA-256 differs") && bad.contains("thumb-1.png: deleted"),
        "{bad}"
    );
    assert!(lines.iter().any(|l| l.starts_with(&format!("OK {other}"))), "{lines:?}");
    assert!(lines.last().unwrap().ends_with("1 with problems"), "{lines:?}");
}

#[test]
fn dry_run_writes_nothing_and_fetches_nothing() {
    let server = FileServer::start();
    publish_full(&server, ID);
    let dir = tempfile::tempdir().unwrap();
    let s = sink(dir.path(), json!({"target": "arch", "render": true}), true);
    s.prepare().unwrap();
    let out = s.write(&[item(recording(&server, ID, &["presentation", "podcast"]))]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::PLANNED);
    assert!(
        out[0].detail.starts_with("would archive presentation, podcast (2000000 bytes announced)"),
        "{}",
        out[0].detail
    );
    assert!(out[0].detail.contains("render"), "{}", out[0].detail);
    s.finish().unwrap();
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    assert!(server.seen().is_empty());
}

/// Another run archives the recording between this sink's plan and its
/// apply: apply finds its manifest, fetches and writes nothing.
#[test]
fn apply_re_checks_the_manifest_after_the_plan() {
    let server = FileServer::start();
    publish_full(&server, ID);
    let dir = tempfile::tempdir().unwrap();
    let items = [item(recording(&server, ID, &["presentation", "podcast"]))];
    let s = sink(dir.path(), json!({"target": "arch"}), false);
    s.prepare().unwrap();
    let plans = PlanApply::plan(&s, &items).unwrap();
    assert!(server.seen().is_empty(), "the plan fetched");
    let other = sink(dir.path(), json!({"target": "arch"}), false).write(&items).unwrap();
    assert_eq!(other[0].status, OutcomeStatus::DONE, "{}", other[0].detail);
    let archived = std::fs::read(dir.path().join("arch").join(ID).join("manifest.json")).unwrap();
    server.clear_seen();
    let out = PlanApply::apply(&s, &items, plans).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::SKIPPED, "{}", out[0].detail);
    assert!(out[0].detail.starts_with("already archived and verified ("), "{}", out[0].detail);
    assert!(server.seen().is_empty(), "fetched again");
    assert_eq!(std::fs::read(dir.path().join("arch").join(ID).join("manifest.json")).unwrap(), archived);
}

#[test]
fn states_and_disk_space_are_checked_before_any_download() {
    let server = FileServer::start();
    publish_full(&server, ID);
    let dir = tempfile::tempdir().unwrap();
    let mut rec = recording(&server, ID, &["presentation"]);
    rec.state = "unpublished".into();
    rec.published = false;
    let out = sink(dir.path(), json!({"target": "arch"}), false).write(&[item(rec)]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::SKIPPED);
    assert!(out[0].detail.contains("`unpublished` is not in this sink's `states`"), "{}", out[0].detail);
    let huge = json!({"target": "arch", "min_free_bytes": u64::MAX / 2});
    let out = sink(dir.path(), huge, false).write(&[item(recording(&server, ID, &["presentation"]))]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::FAILED);
    assert!(out[0].detail.starts_with("not enough space in"), "{}", out[0].detail);
    assert!(server.seen().is_empty());
}

#[test]
fn config_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (ctx, _) = bbb_testserver::ctx("archive", dir.path(), false);
    for (cfg, key) in [
        (json!({"target": "a", "concurrency": 0}), "concurrency"),
        (json!({"target": "a", "verify": "maybe"}), "verify"),
        (json!({"target": "a", "max_mbps": -1}), "max_mbps"),
        (json!({"target": "a", "formats": ["../x"]}), "formats"),
        (json!({"target": "s3://bucket"}), "target"),
        (json!({"target": "a", "typo": 1}), "typo"),
    ] {
        let e = plugin_api::sdk::testing::sink::<bbb_migrate_archive::ArchiveSink>(&cfg.to_string(), ctx.clone())
            .err()
            .unwrap();
        assert_eq!(e.field(), Some(key), "{cfg}: {}", e.message);
    }
}
