//! The end of a migration through the real host binary, on real PostgreSQL
//! Pod and Moodle databases: `undo` puts every table back byte for byte
//! (users the run created, notices it appended, CSV rows); `pending` and
//! `retire` see only what the migration made and nobody uploaded; every
//! `--dry-run` writes nothing; an `undo` killed (SIGKILL) and run again
//! reverts everything exactly once.

use bbb_migrate_db::testing::{count, dump, pod_db, rows, schema, TempDb};
use bbb_migrate_db::{Engine, Param};
use bbb_migrate_e2e::*;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

const MOODLE: &str = "moodle.univ.example.fr";
const PREFIX: &str = "https://bbb.example/playback/presentation/2.3/";

fn moodle_db(tag: &str) -> TempDb {
    let t = TempDb::new(Engine::Postgres, tag);
    t.load_sql(&schema("moodle-postgres.sql"));
    t
}

fn rec_xml(id: &str, meeting: &str, origin: &str, start: u64) -> String {
    let meta = if origin == "Moodle" {
        format!("<bbb-origin>Moodle</bbb-origin><bbb-origin-server-name>{MOODLE}</bbb-origin-server-name>")
    } else {
        format!("<bbb-origin>{origin}</bbb-origin>")
    };
    format!(
        "<recording><recordID>{id}</recordID><meetingID>{meeting}</meetingID><internalMeetingID>{id}</internalMeetingID>\
         <name>Cours {id}</name><published>true</published><state>published</state>\
         <startTime>{start}</startTime><endTime>{}</endTime><metadata>{meta}</metadata>\
         <playback><format><type>presentation</type><url>{PREFIX}{id}</url><length>1</length></format></playback>\
         </recording>",
        start + 60_000
    )
}

/// Three Moodle recordings (activities 1, 2, 3) and one Greenlight one.
const A: &str = "a3af0ac668deec2baeefad04e38d8df093094350-1710237483000";
const B: &str = "8e24b5c5960f50a9f07076d1b14e30f7ebbe28ac-1711447200123";
const C: &str = "8abd913bf59d695e553261e1356b57dd80398392-1712656800456";
const D: &str = "dddddddddddddddddddddddddddddddddddddddd-1600000000000";

fn recordings() -> String {
    [
        rec_xml(A, "1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1[0]", "Moodle", 1_710_237_483_000),
        rec_xml(B, "e91ea28766a627074a88f956b1190a9f1b967e43-2-2[7]", "Moodle", 1_711_447_200_123),
        rec_xml(C, "c05dc6bd9c2352dc49856df88ec162057978018e-3-3[0]", "Moodle", 1_712_656_800_456),
        rec_xml(D, "greenlight-room", "Greenlight", 1_600_000_000_000),
    ]
    .concat()
}

struct Setup {
    pod: TempDb,
    moodle: TempDb,
    dir: tempfile::TempDir,
    cfg: String,
}

fn setup(tag: &str, xml: &str, with_moodle: bool) -> Setup {
    let pod = pod_db(Engine::Postgres, &format!("{tag}_pod"));
    let moodle = moodle_db(&format!("{tag}_moodle"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.xml"),
        format!("<response><returncode>SUCCESS</returncode><recordings>{xml}</recordings></response>"),
    )
    .unwrap();
    let murl = moodle.url_string();
    let mut cfg = "journal = \"state/journal.db\"\nbatch_size = 3\n[fallback]\nowner = \"admin\"\n\
                   [[sources]]\ntype = \"bbb-cache\"\npath = \"r.xml\"\n"
        .to_string();
    if with_moodle {
        cfg.push_str(&format!(
            "[[resolvers]]\nname = \"moodle\"\ntype = \"moodle\"\n[resolvers.databases]\n\"{MOODLE}\" = \"{murl}\"\n"
        ));
    }
    cfg.push_str(&format!(
        "[[sinks]]\nname = \"pod\"\ntype = \"pod-external\"\ndatabase = \"{}\"\nsite_id = 1\nsecret_key = \"k\"\n",
        pod.url_string()
    ));
    if with_moodle {
        cfg.push_str(&format!(
            "[[sinks]]\nname = \"notice\"\ntype = \"moodle-notice\"\nmessage = \"Vos enregistrements sont dans Pod.\"\n\
             notice_after_retire = \"Les anciens enregistrements ont été supprimés.\"\n\
             [sinks.databases]\n\"{MOODLE}\" = \"{murl}\"\n\
             [[sinks]]\nname = \"csv\"\ntype = \"csv\"\npath = \"out/r.csv\"\n"
        ));
    }
    let path = dir.path().join("p.toml");
    std::fs::write(&path, cfg).unwrap();
    Setup { pod, moodle, cfg: path.to_str().unwrap().to_string(), dir }
}

fn cmd(cfg: &str, verb: &str, extra: &[&str]) -> Output {
    bbb_migrate().args([verb, "--config", cfg]).args(extra).output().unwrap()
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", text(&o));
    text(&o)
}

/// Someone else's row with the same URL prefix, and a row for D that existed before the run.
fn others_rows(pod: &TempDb) {
    pod.db
        .execute_batch(&format!(
            "INSERT INTO import_video_externalrecording (name, start_at, type, source_url, owner_id, site_id) VALUES
             ('not ours', '2024-01-01 00:00:00+00', 'bigbluebutton', '{PREFIX}someone-else', 2, 1),
             ('D before', '2024-01-01 00:00:00+00', 'bigbluebutton', '{PREFIX}{D}', 1, 1)"
        ))
        .unwrap();
}

fn csv_lines(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("out/r.csv")).unwrap_or_default();
    text.split("\r\n").filter(|l| !l.is_empty()).map(String::from).collect()
}

#[test]
fn run_then_undo_puts_every_table_back_byte_for_byte() {
    let s = setup("undo_all", &recordings(), true);
    others_rows(&s.pod);
    // A Moodle teacher who has no Pod account yet: the run creates one.
    s.moodle.db.query("UPDATE mdl_user SET username = 'nouvelle.prof' WHERE id = 3", vec![]).unwrap();
    let (pod0, moodle0) = (dump(&s.pod), dump(&s.moodle));
    let users0 = count(&s.pod, "auth_user");

    let out = ok(cmd(&s.cfg, "run", &[]));
    let created = count(&s.pod, "auth_user") - users0;
    assert!(created >= 1, "the run must create a Pod user for this test: {out}");
    assert!(count(&s.pod, "import_video_externalrecording") >= 2 + 3, "{out}");
    let intro1 = rows(&s.moodle, "SELECT intro FROM mdl_bigbluebuttonbn WHERE id = 1", vec![]);
    assert!(intro1[0][0].contains("bbb-migrate-notice"), "{intro1:?}");
    assert_eq!(csv_lines(s.dir.path()).len(), 5);
    let (pod1, moodle1, csv1) = (dump(&s.pod), dump(&s.moodle), csv_lines(s.dir.path()));

    // A teacher edits activity 2's intro after the run: undo keeps the edit, takes only the notice out.
    let edited = rows(&s.moodle, "SELECT intro FROM mdl_bigbluebuttonbn WHERE id = 2", vec![]);
    s.moodle
        .db
        .query(
            "UPDATE mdl_bigbluebuttonbn SET intro = ? WHERE id = 2",
            vec![Param::Str(format!("<p>Edited</p>{}", edited[0][0]))],
        )
        .unwrap();
    assert_ne!(dump(&s.moodle), moodle1);
    let moodle1 = dump(&s.moodle);

    // --dry-run: says what it would do, writes nothing (nor the journal).
    let journal = std::fs::read(s.dir.path().join("state/journal.db")).unwrap();
    let o = ok(cmd(&s.cfg, "undo", &["--dry-run"]));
    assert!(o.contains("WOULD"), "{o}");
    assert_eq!(dump(&s.pod), pod1);
    assert_eq!(dump(&s.moodle), moodle1);
    assert_eq!(csv_lines(s.dir.path()), csv1);
    assert_eq!(std::fs::read(s.dir.path().join("state/journal.db")).unwrap(), journal);

    // An unknown --sink is refused in one line, exit 2.
    let o = cmd(&s.cfg, "undo", &["--sink", "nope"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    let o = ok(cmd(&s.cfg, "undo", &[]));
    assert!(o.contains("intro is its original text again, byte for byte"), "{o}");
    assert!(o.contains("those edits are kept"), "{o}");
    assert_eq!(dump(&s.pod), pod0, "{o}");
    let intro2 = rows(&s.moodle, "SELECT intro FROM mdl_bigbluebuttonbn WHERE id = 2", vec![]);
    assert_eq!(intro2[0][0], "<p>Edited</p>");
    s.moodle.db.query("UPDATE mdl_bigbluebuttonbn SET intro = '' WHERE id = 2", vec![]).unwrap();
    assert_eq!(dump(&s.moodle), moodle0, "{o}");
    assert_eq!(csv_lines(s.dir.path()).len(), 1, "only the header is left");

    // The journal keeps the history; undo again has nothing to do; a run delivers again.
    let st = text(&cmd(&s.cfg, "status", &[]));
    assert!(st.contains("sink pod: undone 3") && st.contains("sink csv: undone 4"), "{st}");
    let o = ok(cmd(&s.cfg, "undo", &[]));
    assert!(o.contains("0 undone"), "{o}");
    ok(cmd(&s.cfg, "run", &[]));
    assert_eq!(count(&s.pod, "auth_user") - users0, created);
    assert_eq!(csv_lines(s.dir.path()).len(), 5);
}

#[test]
fn pending_and_retire_leave_uploaded_and_foreign_rows() {
    let s = setup("retire", &recordings(), true);
    others_rows(&s.pod);
    ok(cmd(&s.cfg, "run", &[]));
    let ours = rows(
        &s.pod,
        &format!("SELECT id FROM import_video_externalrecording WHERE source_url LIKE '{PREFIX}%' AND name NOT IN ('not ours', 'D before') ORDER BY id"),
        vec![],
    );
    assert!(ours.len() >= 3, "{ours:?}");
    // The owner of the first row uploads it to Pod.
    let first: i64 = ours[0][0].parse().unwrap();
    s.pod
        .db
        .query(
            "UPDATE import_video_externalrecording SET uploaded_to_pod_by_id = owner_id WHERE id = ?",
            vec![Param::Int(first)],
        )
        .unwrap();

    let csv = ok(cmd(&s.cfg, "pending", &["--format", "csv"]));
    let lines: Vec<&str> = csv.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "username,email,first_name,last_name,count,record_id,sink,kind,what");
    assert_eq!(lines.len() - 1, ours.len() - 1, "{csv}");
    assert!(!csv.contains("someone-else") && !csv.contains("D before"), "{csv}");
    let json: serde_json::Value = serde_json::from_str(&ok(cmd(&s.cfg, "pending", &["--format", "json"]))).unwrap();
    let n: u64 = json["owners"].as_array().unwrap().iter().map(|o| o["count"].as_u64().unwrap()).sum();
    assert_eq!(n as usize, ours.len() - 1);
    let t = ok(cmd(&s.cfg, "pending", &[]));
    assert!(t.contains(&format!("{} item(s) pending", ours.len() - 1)), "{t}");

    let (pod1, moodle1) = (dump(&s.pod), dump(&s.moodle));
    let o = ok(cmd(&s.cfg, "retire", &["--dry-run"]));
    assert!(o.contains("WOULD"), "{o}");
    assert_eq!(dump(&s.pod), pod1);
    assert_eq!(dump(&s.moodle), moodle1);

    let o = ok(cmd(&s.cfg, "retire", &[]));
    // Per delivery: A and B removed, C kept (its row was uploaded), 3 notices replaced.
    assert!(o.contains("5 removed, 1 kept"), "{o}");
    let left = rows(&s.pod, "SELECT id, name FROM import_video_externalrecording ORDER BY id", vec![]);
    let names: Vec<&str> = left.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(names.contains(&"not ours") && names.contains(&"D before"), "{left:?}");
    assert!(left.iter().any(|r| r[0] == first.to_string()), "{left:?}");
    let intro1 = rows(&s.moodle, "SELECT intro FROM mdl_bigbluebuttonbn WHERE id = 1", vec![]);
    assert!(intro1[0][0].contains("Les anciens enregistrements ont été supprimés."), "{intro1:?}");
    assert!(!intro1[0][0].contains("Vos enregistrements sont dans Pod."), "{intro1:?}");

    // Idempotent: again, nothing changes.
    let (pod2, moodle2) = (dump(&s.pod), dump(&s.moodle));
    let o = ok(cmd(&s.cfg, "retire", &[]));
    assert!(o.contains("0 removed"), "{o}");
    assert_eq!(dump(&s.pod), pod2);
    assert_eq!(dump(&s.moodle), moodle2);
    let t = ok(cmd(&s.cfg, "pending", &[]));
    assert!(t.contains("0 owner(s), 0 item(s) pending"), "{t}");
}

#[test]
fn an_undo_killed_then_run_again_reverts_everything_exactly_once() {
    const N: usize = 300;
    let xml: String = (0..N)
        .map(|i| {
            rec_xml(
                &format!("{:040x}-{}", i, 1_700_000_000_000u64 + i as u64),
                &format!("m-{i}"),
                "Greenlight",
                1_700_000_000_000 + i as u64,
            )
        })
        .collect();
    let s = setup("undo_kill", &xml, false);
    others_rows(&s.pod);
    let pod0 = dump(&s.pod);
    ok(cmd(&s.cfg, "run", &[]));
    assert_eq!(count(&s.pod, "import_video_externalrecording") as usize, N + 2);

    let mut child =
        bbb_migrate().args(["undo", "--config", &s.cfg]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let t0 = Instant::now();
    loop {
        let n = count(&s.pod, "import_video_externalrecording") as usize;
        if n <= N + 2 - 60 {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "undo ended before the kill ({n} rows left)");
        assert!(t0.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left = count(&s.pod, "import_video_externalrecording") as usize;
    assert!(left > 2, "killed too late ({left} rows)");

    let o = ok(cmd(&s.cfg, "undo", &[]));
    assert_eq!(dump(&s.pod), pod0, "{o}");
    // Every delivery was reverted once: by the killed undo (journaled, or not
    // yet: then `nothing left` now) or by this one.
    let undone: usize = o.lines().filter(|l| l.trim_start().starts_with("UNDONE")).count();
    let nothing: usize = o.lines().filter(|l| l.trim_start().starts_with("NOTHING LEFT")).count();
    assert_eq!(undone, left - 2, "{o}");
    assert!(undone + nothing <= N, "{o}");
    let st = text(&cmd(&s.cfg, "status", &[]));
    assert!(st.contains(&format!("sink pod: undone {N}")), "{st}");
}

/// `claim-dir` (MariaDB): `pending` lists the files nobody claimed; `undo`
/// removes the files and rows it wrote, but keeps a file already claimed.
#[test]
fn claim_dir_undo_keeps_a_claimed_file() {
    let t = pod_db(Engine::MySql, "claim_undo");
    let media = bbb_testserver::files::FileServer::start();
    let dir = tempfile::tempdir().unwrap();
    let claim_dir = dir.path().join("bbb-migration");
    std::fs::create_dir(&claim_dir).unwrap();
    let xml = video_listing(&media, 3, 4000);
    std::fs::write(dir.path().join("r.xml"), xml).unwrap();
    let cfg = dir.path().join("p.toml");
    std::fs::write(
        &cfg,
        format!(
            "journal = \"journal.db\"\n[fallback]\nowner = \"admin\"\n\
             [[sources]]\ntype = \"bbb-cache\"\npath = \"r.xml\"\n\
             [[sinks]]\nname = \"claim\"\ntype = \"claim-dir\"\ndatabase = \"{}\"\nrecorder_id = 1\nrecorder_path = \".\"\nmin_free_bytes = 0\n",
            t.url_string()
        ),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let before = dump(&t);
    ok(cmd(cfg, "run", &[]));
    let files = rows(&t, "SELECT file FROM recorder_recordingfiletreatment ORDER BY file", vec![]);
    assert_eq!(files.len(), 3);
    let json: serde_json::Value = serde_json::from_str(&ok(cmd(cfg, "pending", &["--format", "json"]))).unwrap();
    assert_eq!(json["owners"][0]["username"], "admin", "{json}");
    assert_eq!(json["owners"][0]["count"], 3, "{json}");
    assert_eq!(json["owners"][0]["items"][0]["kind"], "claim", "{json}");

    // Somebody claims the first file in Pod.
    t.db.query(
        "INSERT INTO recorder_recording (recorder_id, user_id, title, type, source_file, comment, date_added) VALUES (1, 2, 't', 'video', ?, '', '2024-06-01')",
        vec![Param::from(files[0][0].as_str())],
    )
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&ok(cmd(cfg, "pending", &["--format", "json"]))).unwrap();
    assert_eq!(json["owners"][0]["count"], 2, "{json}");

    let listing = || {
        let mut v: Vec<String> = std::fs::read_dir(&claim_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let (dump1, files1) = (dump(&t), listing());
    assert_eq!(files1.len(), 3, "{files1:?}");
    let o = ok(cmd(cfg, "undo", &["--dry-run"]));
    assert!(o.contains("WOULD"), "{o}");
    assert_eq!(dump(&t), dump1);
    assert_eq!(listing(), files1);

    let o = ok(cmd(cfg, "undo", &[]));
    assert!(o.contains("already claimed in Pod"), "{o}");
    assert!(o.contains("2 undone"), "{o}");
    assert_eq!(listing(), vec![files1[0].clone()], "{o}");
    let left = rows(&t, "SELECT file FROM recorder_recordingfiletreatment", vec![]);
    assert_eq!(left, vec![files[0].clone()]);
    t.db.query("DELETE FROM recorder_recording", vec![]).unwrap();
    t.db.query("DELETE FROM recorder_recordingfiletreatment", vec![]).unwrap();
    assert_eq!(dump(&t), before);
}
