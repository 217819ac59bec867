//! The `moodle-notice` sink against real MariaDB and PostgreSQL Moodle
//! databases. Fails — never skips — when a server is down.
use bbb_migrate_db::testing::{recording, schema, TempDb};
use bbb_migrate_db::{Engine, Param, Row};
use bbb_migrate_moodle_notice::{notice_html, MoodleNotice};
use plugin_api::sdk::{testing::ctx, PlanApply, SinkPlugin};
use plugin_api::{Outcome, OutcomeStatus, Owner, SinkItem};

const SERVER: &str = "moodle.univ.example.fr";
const MESSAGE: &str = "Ces enregistrements sont sur <a href='https://pod.univ.example.fr/'>Pod</a>.";

fn moodle_db(engine: Engine, tag: &str) -> TempDb {
    let t = TempDb::new(engine, tag);
    match engine {
        Engine::MySql => t.load_sql(&schema("moodle-mariadb.sql")),
        Engine::Postgres => t.load_sql(&schema("moodle-postgres.sql")),
    }
    t
}

fn url_of(t: &TempDb) -> String {
    t.url_string()
}

fn sink(url: &str, dry_run: bool) -> MoodleNotice {
    sink_with(url, MESSAGE, dry_run)
}

fn sink_with(url: &str, message: &str, dry_run: bool) -> MoodleNotice {
    let cfg = serde_json::json!({ "message": message, "databases": { SERVER: url } }).to_string();
    plugin_api::sdk::testing::sink::<MoodleNotice>(&cfg, ctx("notice", std::path::Path::new("."), dry_run)).unwrap()
}

fn item(record_id: &str, meeting_id: &str, meta: &[(&str, &str)]) -> SinkItem {
    SinkItem {
        recording: recording(record_id, meeting_id, meta),
        owners: vec![Owner::new("jdupont", "jeanne.dupont@univ.example.fr", "Jeanne", "Dupont")].into(),
        fallback: false,
    }
}

fn batch() -> Vec<SinkItem> {
    let m = [("bbb-origin", "Moodle"), ("bbb-origin-server-name", SERVER)];
    vec![
        // activity 1 (4.x recordID)
        item(
            "a3af0ac668deec2baeefad04e38d8df093094350-1710237483000",
            "1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1[0]",
            &m,
        ),
        // activity 1 again (3.x meetingID): the notice must not be added twice
        item(
            "71d6ce46098db2bcf69692f5f29fd6f82505f6a1-1699999001000",
            "1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1",
            &m,
        ),
        // activity 2, group 7, empty intro
        item(
            "8e24b5c5960f50a9f07076d1b14e30f7ebbe28ac-1711447200123",
            "e91ea28766a627074a88f956b1190a9f1b967e43-2-2[7]",
            &m,
        ),
        // deleted activity 4
        item(
            "06244b8893d931cd2a4505efc28c3f720319bc9e-1713866400789",
            "39ac2f43b20a480a4972944d54d34478efe888b7-3-4[0]",
            &m,
        ),
        // not Moodle
        item(
            "9a9b6536aa3fbc7d6e6c1ecff1d2c0d9bc6a1dd1-1598364581226",
            "0v1xkcrre2la0vafauyepzfei16x2fkuhcfydvps",
            &[("bbb-origin", "Greenlight")],
        ),
        // Moodle, but another site with no database
        item(
            "dddddddddddddddddddddddddddddddddddddddd-1600000000000",
            "1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1[0]",
            &[("bbb-origin", "Moodle"), ("bbb-origin-server-name", "other.example.org")],
        ),
    ]
}

fn intros(t: &TempDb) -> Vec<(i64, String)> {
    let rows: Vec<Row> = t.db.query("SELECT id, intro FROM mdl_bigbluebuttonbn ORDER BY id", vec![]).unwrap();
    rows.iter().map(|r| (r.int("id").unwrap(), r.str("intro").unwrap_or_default())).collect()
}

fn statuses(o: &[Outcome]) -> Vec<(&'static str, String)> {
    o.iter().map(|o| (o.status.label(), o.detail.to_string())).collect()
}

fn s(x: &str) -> String {
    x.to_string()
}

fn notice_once_across_runs(engine: Engine) {
    let t = moodle_db(engine, "notice");
    let before = intros(&t);
    let url = url_of(&t);

    // Dry run: reads, writes nothing, says what it would do.
    let dry = sink(&url, true).write(&batch()).unwrap();
    let n = notice_html(MESSAGE).len();
    assert_eq!(
        statuses(&dry),
        vec![
            ("planned", format!("would append the notice ({n} bytes) to mdl_bigbluebuttonbn.intro of activity 1 course 2 `Cours magistral PHYS101` (intro kept, 29 bytes)")),
            ("planned", s("notice for mdl_bigbluebuttonbn.intro of activity 1 course 2 `Cours magistral PHYS101` already planned for recording a3af0ac668deec2baeefad04e38d8df093094350-1710237483000")),
            ("planned", format!("would append the notice ({n} bytes) to mdl_bigbluebuttonbn.intro of activity 2 course 2 group 7 `TD de physique (groupes)` (intro kept, 0 bytes)")),
            ("skipped", s("activity 4 course 3 was deleted: no intro to change")),
            ("skipped", s("not a Moodle recording")),
            ("skipped", s("no Moodle database configured for origin server `other.example.org` and no \"default\"")),
        ]
    );
    assert_eq!(intros(&t), before, "dry run changed an intro");

    // Run 1.
    let run1 = sink(&url, false).write(&batch()).unwrap();
    assert_eq!(
        run1.iter().map(|o| o.status).collect::<Vec<_>>(),
        vec![
            OutcomeStatus::DONE,
            OutcomeStatus::SKIPPED,
            OutcomeStatus::DONE,
            OutcomeStatus::SKIPPED,
            OutcomeStatus::SKIPPED,
            OutcomeStatus::SKIPPED
        ]
    );
    assert_eq!(
        run1[0].detail.as_str(),
        "notice appended to mdl_bigbluebuttonbn.intro of activity 1 course 2 `Cours magistral PHYS101`"
    );
    assert_eq!(
        run1[1].detail.as_str(),
        "notice already in mdl_bigbluebuttonbn.intro of activity 1 course 2 `Cours magistral PHYS101`"
    );
    let data: serde_json::Value = serde_json::from_str(run1[0].data_json.as_str()).unwrap();
    // What undo needs: where, the exact notice, and the intro before it (its hash).
    let before_intro = "<p>Amphi virtuel du mardi</p>";
    let sha: String = {
        use sha2::Digest;
        sha2::Sha256::digest(before_intro.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    };
    assert_eq!(
        data,
        serde_json::json!({"site": SERVER, "table": "mdl_bigbluebuttonbn", "activity": 1, "course": 2,
                           "notice": notice_html(MESSAGE), "intro_sha256": sha})
    );
    let expected = vec![
        (1, format!("<p>Amphi virtuel du mardi</p>{}", notice_html(MESSAGE))),
        (2, notice_html(MESSAGE)),
        (3, s("")),
        (119, s("")),
    ];
    assert_eq!(intros(&t), expected);

    // Run 2 (the host re-sends after a crash, or a new run): nothing changes.
    let run2 = sink(&url, false).write(&batch()).unwrap();
    assert!(run2.iter().all(|o| o.status == OutcomeStatus::SKIPPED), "{:?}", statuses(&run2));
    assert_eq!(intros(&t), expected);
    assert_eq!(intros(&t)[0].1.matches("bbb-migrate-notice").count(), 1);
}

/// A changed `message` replaces the earlier notice in place (marked by its
/// hash): by `finish` for activities the journal will not send again, by
/// `write` for those it does; never a second notice, the intro kept.
fn changed_message_replaces_the_notice(engine: Engine) {
    let t = moodle_db(engine, "notice_change");
    let url = url_of(&t);
    sink(&url, false).write(&batch()).unwrap();
    let with = |notice: &str| {
        vec![(1, format!("<p>Amphi virtuel du mardi</p>{notice}")), (2, notice.to_string()), (3, s("")), (119, s(""))]
    };
    assert_eq!(intros(&t), with(&notice_html(MESSAGE)));
    let second = "Les enregistrements sont <div>désormais</div> dans Pod (nouvelle adresse).";

    // Dry run: counts, writes nothing.
    let notes = sink_with(&url, second, true).finish().unwrap();
    assert_eq!(
        notes,
        vec![format!(
            "{SERVER}: would replace the earlier notice (message changed) in 2 activities of mdl_bigbluebuttonbn"
        )]
    );
    assert_eq!(intros(&t), with(&notice_html(MESSAGE)));

    // The next run: the journal sends nothing again; finish replaces both notices.
    let notes = sink_with(&url, second, false).finish().unwrap();
    assert_eq!(
        notes,
        vec![format!("{SERVER}: earlier notice replaced (message changed) in 2 activities of mdl_bigbluebuttonbn")]
    );
    assert_eq!(intros(&t), with(&notice_html(second)));
    assert!(sink_with(&url, second, false).finish().unwrap().is_empty());
    let again = sink_with(&url, second, false).write(&batch()).unwrap();
    assert!(again.iter().all(|o| o.status == OutcomeStatus::SKIPPED), "{:?}", statuses(&again));

    // Recordings sent again (a failed earlier delivery): write replaces in place, once per activity.
    let back = sink(&url, false).write(&batch()).unwrap();
    assert_eq!(back[0].status, OutcomeStatus::DONE);
    assert_eq!(back[0].detail.as_str(), "earlier notice replaced in mdl_bigbluebuttonbn.intro of activity 1 course 2 `Cours magistral PHYS101` (message changed)");
    assert_eq!(back[1].status, OutcomeStatus::SKIPPED);
    assert_eq!(intros(&t), with(&notice_html(MESSAGE)));

    // A notice written before notices were marked (no hash) counts as earlier too.
    t.db.query(
        "UPDATE mdl_bigbluebuttonbn SET intro = ? WHERE id = 2",
        vec![Param::Str(format!("<div class=\"bbb-migrate-notice\">{MESSAGE}</div>"))],
    )
    .unwrap();
    sink(&url, false).finish().unwrap();
    assert_eq!(intros(&t), with(&notice_html(MESSAGE)));
    assert_eq!(intros(&t)[0].1.matches("bbb-migrate-notice").count(), 1);
}

#[test]
fn mariadb_changed_message_replaces_the_notice() {
    changed_message_replaces_the_notice(Engine::MySql);
}

#[test]
fn postgres_changed_message_replaces_the_notice() {
    changed_message_replaces_the_notice(Engine::Postgres);
}

/// Another run adds the notice between this sink's plan and its apply: apply
/// reads the intro again under its row lock and leaves it alone.
fn apply_re_checks_the_intro(engine: Engine) {
    let t = moodle_db(engine, "notice_recheck");
    let url = url_of(&t);
    let first = &batch()[..1];
    let planner = sink(&url, false);
    let plans = PlanApply::plan(&planner, first).unwrap();
    assert_eq!(sink(&url, false).write(first).unwrap()[0].status, OutcomeStatus::DONE);
    let after_other = intros(&t);
    let out = PlanApply::apply(&planner, first, plans).unwrap();
    assert_eq!(
        statuses(&out),
        vec![(
            "skipped",
            s("notice already in mdl_bigbluebuttonbn.intro of activity 1 course 2 `Cours magistral PHYS101`")
        )]
    );
    assert_eq!(intros(&t), after_other);
    assert_eq!(intros(&t)[0].1.matches("bbb-migrate-notice").count(), 1);
}

#[test]
fn mariadb_apply_re_checks_the_intro() {
    apply_re_checks_the_intro(Engine::MySql);
}

#[test]
fn postgres_apply_re_checks_the_intro() {
    apply_re_checks_the_intro(Engine::Postgres);
}

#[test]
fn mariadb_notice_once_original_kept_dry_run_writes_nothing() {
    notice_once_across_runs(Engine::MySql);
}

#[test]
fn postgres_notice_once_original_kept_dry_run_writes_nothing() {
    notice_once_across_runs(Engine::Postgres);
}

#[test]
fn unreachable_database_is_retryable_and_hides_the_password() {
    let s = sink("mysql://moodle:hunter2@127.0.0.1:1/moodle", false);
    let out = s.write(&batch()[..1]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::FAILED);
    assert!(out[0].retryable);
    assert!(
        out[0].detail.starts_with("moodle `moodle.univ.example.fr`: cannot connect to database moodle on 127.0.0.1:1 (mysql://moodle:***@127.0.0.1:1/moodle): "),
        "{}",
        out[0].detail
    );
    assert!(!out[0].detail.contains("hunter2"));
    let e = s.check().unwrap_err();
    assert!(!e.message.contains("hunter2") && !e.message.contains('\n'));
    let bad = plugin_api::sdk::testing::sink::<MoodleNotice>(
        r#"{"message":" ","databases":{"default":"mysql://a@b/c"}}"#,
        ctx("n", std::path::Path::new("."), false),
    );
    assert_eq!(bad.err().unwrap().field(), Some("message"));
}
