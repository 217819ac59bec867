//! `claim-dir` with the native renderer through the real host binary: what the
//! renderer could not draw (an annotation type it does not know) ends up in the
//! journal's outcome data (`not_drawn`), in the HTML report's "not drawn" section
//! and in the JSON run report. The recording is the `bbb30-tldraw2` fixture
//! (testdata/presentation/tldraw) with one shape of an unknown type added.

use bbb_migrate_db::testing::pod_db;
use bbb_migrate_db::Engine;
use bbb_migrate_e2e::*;
use bbb_testserver::files::FileServer;
use bbb_testserver::published::serve_tree;
use std::path::Path;

/// The render crate's test recordings (fixture files + media made by ffmpeg), reused as is.
#[path = "../../../crates/render/tests/common/mod.rs"]
mod render_fixture;

const ID: &str = "dddddddddddddddddddddddddddddddddddddddd-1735689600000";
const NOT_DRAWN: &str = "tldraw annotation type \"spaceship\" (1 shape versions): unknown shape type";

/// The fixture's tldraw.json with one more shape, of a type no tldraw version has.
fn with_unknown_shape(tldraw: &Path) {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(tldraw).unwrap()).unwrap();
    let shapes = v["1"]["shapes"].as_array_mut().expect("slide 1 has shapes");
    let mut odd = shapes[0].clone();
    odd["id"] = serde_json::json!(9999);
    odd["timestamp"] = serde_json::json!(1.0);
    odd["shape_data"]["id"] = serde_json::json!("shape:spaceship-1");
    odd["shape_data"]["type"] = serde_json::json!("spaceship");
    shapes.push(odd);
    std::fs::write(tldraw, serde_json::to_vec(&v).unwrap()).unwrap();
}

#[test]
fn what_the_renderer_could_not_draw_reaches_the_journal_and_both_reports() {
    render_fixture::require_ffmpeg();
    let t = pod_db(Engine::MySql, "claim_not_drawn");
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("bbb-migration")).unwrap();

    let server = FileServer::start();
    let rec = tempfile::tempdir().unwrap();
    render_fixture::make_tldraw_recording(rec.path(), "bbb30-tldraw2", Some(3.0));
    with_unknown_shape(&rec.path().join("tldraw.json"));
    serve_tree(&server, rec.path(), &format!("/presentation/{ID}"));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.xml"),
        format!(
            "<response><returncode>SUCCESS</returncode><recordings><recording><recordID>{ID}</recordID>\
             <meetingID>m-1</meetingID><internalMeetingID>{ID}</internalMeetingID><name>Cours tldraw</name>\
             <published>true</published><state>published</state><startTime>1735689600000</startTime>\
             <endTime>1735689603000</endTime><metadata></metadata><playback><format><type>presentation</type>\
             <url>{}/playback/presentation/2.3/{ID}</url><length>1</length></format></playback></recording>\
             </recordings></response>",
            server.base
        ),
    )
    .unwrap();
    let cfg = dir.path().join("p.toml");
    std::fs::write(
        &cfg,
        format!(
            "journal = \"state.db\"\n[fallback]\nowner = \"admin\"\n\
             [[sources]]\ntype = \"bbb-cache\"\npath = \"r.xml\"\n\
             [[sinks]]\nname = \"claim\"\ntype = \"claim-dir\"\ndatabase = \"{}\"\nrecorder_id = 1\n\
             recorder_path = \"{}\"\nconverter = \"native\"\nmin_free_bytes = 0\n",
            t.url_string(),
            root.path().display()
        ),
    )
    .unwrap();
    let o = bbb_migrate().args(["run", "--config", cfg.to_str().unwrap()]).output().unwrap();
    let out = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{out}");
    assert!(out.contains("sink claim: done 1,"), "{out}");

    // The journal: the outcome's data lists it (and the detail says it).
    let db = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
    let (status, detail, data): (String, String, String) = db
        .query_row("SELECT status, detail, data FROM deliveries WHERE record_id = ?1 AND sink = 'claim'", [ID], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(status, "done", "{detail}");
    assert!(detail.contains(&format!("not drawn: {NOT_DRAWN}")), "{detail}");
    let data: serde_json::Value = serde_json::from_str(&data).unwrap();
    let listed: Vec<&str> = data["not_drawn"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
    assert!(listed.contains(&NOT_DRAWN), "{data}");

    // The HTML report: in its "not drawn" section, next to the recording.
    let page = std::fs::read_to_string(dir.path().join("state.report.html")).unwrap();
    let at = page.find("<h2>Not drawn by the renderer</h2>").expect("the section is there");
    let section = &page[at..];
    let section = &section[..section[4..].find("<h2>").map_or(section.len(), |e| e + 4)];
    let escaped = NOT_DRAWN.replace('"', "&quot;");
    assert!(section.contains(&format!("<code>{ID}</code>")) && section.contains(&escaped), "{section}");

    // The JSON run report: one line per recording and thing not drawn.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("state.report.json")).unwrap()).unwrap();
    let lines = json["not_drawn"].as_array().unwrap();
    assert!(
        lines.iter().any(|l| l["record_id"] == ID && l["component"] == "claim" && l["detail"] == NOT_DRAWN),
        "{json}"
    );
}
