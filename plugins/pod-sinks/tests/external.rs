//! `pod-external` against real PostgreSQL (the shared Pod schema) and MariaDB
//! (this crate's port) databases. Fails — never skips — when a server is down.
mod common;

use bbb_migrate_db::testing::TempDb;
use bbb_migrate_db::{Engine, Param};
use bbb_migrate_pod_sinks::external::hashkey;
use bbb_migrate_pod_sinks::PodExternalSink;
use common::*;
use plugin_api::sdk::{testing::ctx, PlanApply, SinkPlugin};
use plugin_api::{OutcomeStatus, SinkItem};
use std::path::Path;

const SECRET: &str = "test-secret-key";
const A: &str = "d258ee06f2b3150e88200577e17c2c1b04b9a061-1710237483000";
const B: &str = "968e85181f73d517a59ba45b5d4942bb06a0d7c7-1712656800456";

fn new_sink(t: &TempDb, site_id: i64, dry: bool) -> PodExternalSink {
    let cfg = serde_json::json!({ "database": db_url(t), "site_id": site_id, "secret_key": SECRET });
    plugin_api::sdk::testing::sink::<PodExternalSink>(&cfg.to_string(), ctx("pod", Path::new("."), dry)).unwrap()
}

/// A: video + presentation, owners jdupont (in Pod) and nnouveau (not in Pod);
/// B: presentation only, no owner found: the fallback admin.
fn batch() -> Vec<SinkItem> {
    let a = recording(
        A,
        "  Cours de physique  ",
        1_710_237_483_000,
        vec![
            playback("presentation", "https://bbb.univ.example.fr/playback/presentation/2.3/A", ""),
            playback("video", &format!("https://bbb.univ.example.fr/playback/video/{A}/"), ""),
        ],
    );
    let b = recording(
        B,
        "Soutenances",
        1_712_656_800_456,
        vec![playback(
            "presentation",
            &format!("https://bbb.univ.example.fr/playback/presentation/2.0/playback.html?meetingId={B}"),
            "",
        )],
    );
    vec![
        item(
            a,
            vec![
                owner("jdupont", "Jeanne", "Dupont", "jeanne.dupont@univ.example.fr"),
                owner("nnouveau", "Noé", "Nouveau", "noe.nouveau@univ.example.fr"),
                owner("jdupont", "Jeanne", "Dupont", "jeanne.dupont@univ.example.fr"),
            ],
            false,
        ),
        item(
            b,
            vec![owner("admin", "Admin", "Pod", "pod-admin@univ.example.fr")
                .found_by("fallback", "no resolver knew this recording")],
            true,
        ),
    ]
}

fn external_rows(t: &TempDb) -> Vec<Vec<String>> {
    let start = match t.url.engine {
        Engine::Postgres => "to_char(e.start_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')",
        Engine::MySql => "DATE_FORMAT(e.start_at, '%Y-%m-%d %H:%i:%s.%f')",
    };
    rows(
        t,
        &format!(
            "SELECT u.username, e.name, {start} AS s, e.type, e.source_url, e.site_id, e.uploaded_to_pod_by_id \
             FROM import_video_externalrecording e JOIN auth_user u ON u.id = e.owner_id ORDER BY e.id"
        ),
        vec![],
    )
}

fn s(x: &str) -> String {
    x.to_string()
}

fn rows_and_users_once(engine: Engine) {
    let t = pod_db(engine, "pod_external_once");
    let users_before = count(&t, "auth_user");
    let sink = new_sink(&t, 1, false);
    let notes = sink.prepare().unwrap();
    assert!(notes[0].ends_with("site 1 (pod.univ.example.fr)"), "{notes:?}");

    let out = sink.write(&batch()).unwrap();
    assert_eq!(
        out.iter().map(|o| o.status).collect::<Vec<_>>(),
        vec![OutcomeStatus::DONE, OutcomeStatus::DONE],
        "{out:?}"
    );
    assert!(out[0].detail.contains("created Pod user nnouveau"), "{}", out[0].detail);
    let data: serde_json::Value = serde_json::from_str(&out[0].data_json).unwrap();
    assert_eq!(data["owners"][0]["owner"], "jdupont");
    assert_eq!(data["owners"][0]["row"], "inserted");
    assert_eq!(data["owners"][1]["user"], "created");

    let ms = match engine {
        Engine::Postgres => "2024-03-12 09:58:03.000",
        Engine::MySql => "2024-03-12 09:58:03.000000",
    };
    let ms_b = match engine {
        Engine::Postgres => "2024-04-09 10:00:00.456",
        Engine::MySql => "2024-04-09 10:00:00.456000",
    };
    let video = format!("https://bbb.univ.example.fr/playback/video/{A}/");
    let pres_b = format!("https://bbb.univ.example.fr/playback/presentation/2.0/playback.html?meetingId={B}");
    let expected = vec![
        vec![s("jdupont"), s("Cours de physique"), s(ms), s("bigbluebutton"), video.clone(), s("1"), s("NULL")],
        vec![s("nnouveau"), s("Cours de physique"), s(ms), s("bigbluebutton"), video.clone(), s("1"), s("NULL")],
        vec![s("admin"), s("Soutenances"), s(ms_b), s("bigbluebutton"), pres_b, s("1"), s("NULL")],
    ];
    assert_eq!(external_rows(&t), expected);

    // The new user, as Pod's User.objects.create + its signals make it.
    assert_eq!(count(&t, "auth_user"), users_before + 1);
    let u = rows(
        &t,
        "SELECT u.password, u.is_superuser, u.first_name, u.last_name, u.email, u.is_staff, u.is_active, \
         o.auth_type, o.affiliation, o.commentaire, o.hashkey, o.establishment, o.userpicture_id, o.accepts_notifications, s.site_id \
         FROM auth_user u JOIN authentication_owner o ON o.user_id = u.id JOIN authentication_owner_sites s ON s.owner_id = o.id \
         WHERE u.username = ?",
        vec![Param::from("nnouveau")],
    );
    assert_eq!(
        u,
        vec![vec![
            s(""),
            s("0"),
            s("Noé"),
            s("Nouveau"),
            s("noe.nouveau@univ.example.fr"),
            s("1"),
            s("1"),
            s("local"),
            s("student"),
            s(""),
            hashkey(SECRET, "nnouveau"),
            s("Etab_1"),
            s("NULL"),
            s("NULL"),
            s("1"),
        ]]
    );
    assert_eq!(hashkey(SECRET, "nnouveau").len(), 64);

    // Second run (a crash before the journal commit): nothing new.
    let dump1 = dump(&t);
    let again = new_sink(&t, 1, false).write(&batch()).unwrap();
    assert_eq!(
        again.iter().map(|o| o.status).collect::<Vec<_>>(),
        vec![OutcomeStatus::SKIPPED, OutcomeStatus::SKIPPED],
        "{again:?}"
    );
    assert!(again[0].detail.contains("already there"), "{}", again[0].detail);
    assert_eq!(dump(&t), dump1);
}

#[test]
fn rows_and_users_created_once_postgres() {
    rows_and_users_once(Engine::Postgres);
}

#[test]
fn rows_and_users_created_once_mariadb() {
    rows_and_users_once(Engine::MySql);
}

fn dry_run_writes_nothing(engine: Engine) {
    let t = pod_db(engine, "pod_external_dry");
    let before = dump(&t);
    let sink = new_sink(&t, 1, true);
    sink.prepare().unwrap();
    let out = sink.write(&batch()).unwrap();
    assert_eq!(dump(&t), before, "dry run changed the database");
    assert_eq!(out.iter().map(|o| o.status).collect::<Vec<_>>(), vec![OutcomeStatus::PLANNED, OutcomeStatus::PLANNED]);
    let video = format!("https://bbb.univ.example.fr/playback/video/{A}/");
    assert_eq!(
        out[0].detail.as_str(),
        format!(
            "import_video_externalrecording (bigbluebutton, site 1, {video}): would insert a row for jdupont (auth_user #2); \
             would create Pod user nnouveau (auth_user + authentication_owner + site 1) and insert its row"
        )
    );
    assert!(out[1].detail.ends_with("would insert a row for admin (auth_user #1)"), "{}", out[1].detail);

    // After a real run, the dry run says there is nothing left to do.
    sink_real_then_dry(&t);
}

fn sink_real_then_dry(t: &TempDb) {
    new_sink(t, 1, false).write(&batch()).unwrap();
    let before = dump(t);
    assert_eq!(before.matches("bigbluebutton").count(), 3, "{before}");
    assert!(before.contains("nnouveau"), "{before}");
    let out = new_sink(t, 1, true).write(&batch()).unwrap();
    assert_eq!(dump(t), before);
    assert!(
        out.iter().all(|o| o.status == OutcomeStatus::PLANNED && o.detail.starts_with("nothing to write: ")),
        "{out:?}"
    );
}

#[test]
fn dry_run_leaves_every_table_identical_postgres() {
    dry_run_writes_nothing(Engine::Postgres);
}

#[test]
fn dry_run_leaves_every_table_identical_mariadb() {
    dry_run_writes_nothing(Engine::MySql);
}

/// Another run writes the rows (and the user) between this sink's plan and
/// its apply: apply finds them again in its transaction and writes nothing.
fn apply_re_checks_rows_written_after_the_plan(engine: Engine) {
    let t = pod_db(engine, "pod_external_recheck");
    let sink = new_sink(&t, 1, false);
    let plans = PlanApply::plan(&sink, &batch()).unwrap();
    let other = new_sink(&t, 1, false).write(&batch()).unwrap();
    assert_eq!(other.iter().map(|o| o.status).collect::<Vec<_>>(), vec![OutcomeStatus::DONE, OutcomeStatus::DONE]);
    let before = dump(&t);
    let out = PlanApply::apply(&sink, &batch(), plans).unwrap();
    assert_eq!(
        out.iter().map(|o| o.status).collect::<Vec<_>>(),
        vec![OutcomeStatus::SKIPPED, OutcomeStatus::SKIPPED],
        "{out:?}"
    );
    assert!(out[0].detail.contains("for nnouveau (auth_user #"), "{}", out[0].detail);
    assert!(out[0].detail.ends_with("already there"), "{}", out[0].detail);
    assert_eq!(dump(&t), before, "apply wrote a row or a user twice");
    assert_eq!(external_rows(&t).len(), 3);
}

#[test]
fn apply_re_checks_rows_written_after_the_plan_postgres() {
    apply_re_checks_rows_written_after_the_plan(Engine::Postgres);
}

#[test]
fn apply_re_checks_rows_written_after_the_plan_mariadb() {
    apply_re_checks_rows_written_after_the_plan(Engine::MySql);
}

fn user_and_row_both_or_neither(engine: Engine) {
    let t = pod_db(engine, "pod_external_atomic");
    let before = dump(&t);
    // Site 999 does not exist: the row (and the owner's site link) violate
    // their foreign keys, after the user was inserted in the same transaction.
    let out = new_sink(&t, 999, false).write(&batch()[..1]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::FAILED, "{out:?}");
    assert!(out[0].retryable);
    assert!(!out[0].detail.contains('\n'));
    assert_eq!(dump(&t), before, "a failed recording left rows behind");
    assert!(new_sink(&t, 999, false).prepare().unwrap_err().message.contains("site_id 999: no django_site row"));
}

#[test]
fn user_and_row_both_or_neither_postgres() {
    user_and_row_both_or_neither(Engine::Postgres);
}

#[test]
fn user_and_row_both_or_neither_mariadb() {
    user_and_row_both_or_neither(Engine::MySql);
}

#[test]
fn fallback_owner_must_exist_and_bad_items_fail_alone() {
    let t = pod_db(Engine::MySql, "pod_external_fallback");
    let mut items = batch();
    items[1].owners[0].username = "nosuchadmin".into();
    let mut no_playback = items[0].clone();
    no_playback.recording.record_id = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-1700000000000".into();
    no_playback.recording.playback = Default::default();
    items.push(no_playback);
    let out = new_sink(&t, 1, false).write(&items).unwrap();
    assert_eq!(
        out.iter().map(|o| o.status).collect::<Vec<_>>(),
        vec![OutcomeStatus::DONE, OutcomeStatus::FAILED, OutcomeStatus::FAILED]
    );
    assert!(!out[1].retryable && !out[2].retryable);
    assert!(out[1].detail.contains("fallback owner `nosuchadmin` has no Pod account"), "{}", out[1].detail);
    assert!(out[2].detail.contains("no video or presentation playback URL"), "{}", out[2].detail);
    assert_eq!(count(&t, "import_video_externalrecording"), 2);
    assert_eq!(rows(&t, "SELECT COUNT(*) FROM auth_user WHERE username = 'nosuchadmin'", vec![]), vec![vec![s("0")]]);
}

#[test]
fn config_errors_name_the_key_and_hide_the_password() {
    let c = ctx("pod", Path::new("."), false);
    let e = plugin_api::sdk::testing::sink::<PodExternalSink>(
        r#"{"database":"postgres://pod:hunter2@db/pod","site_id":1}"#,
        c.clone(),
    )
    .err()
    .unwrap();
    assert_eq!(e.field(), Some("secret_key"));
    let e = plugin_api::sdk::testing::sink::<PodExternalSink>(
        r#"{"database":"ftp://pod:hunter2@db/pod","site_id":1,"secret_key":"k"}"#,
        c.clone(),
    )
    .err()
    .unwrap();
    assert_eq!(e.field(), Some("database"));
    assert!(!e.message.contains("hunter2"), "{}", e.message);
    let e = plugin_api::sdk::testing::sink::<PodExternalSink>(
        r#"{"database":"postgres://db/pod","site_id":1,"secret_key":"k","site":2}"#,
        c,
    )
    .err()
    .unwrap();
    assert_eq!(e.field(), Some("site"));
}

#[test]
fn unreachable_database_fails_retryably_in_one_line() {
    let cfg =
        serde_json::json!({ "database": "postgres://pod:hunter2@127.0.0.1:1/pod", "site_id": 1, "secret_key": SECRET });
    let sink =
        plugin_api::sdk::testing::sink::<PodExternalSink>(&cfg.to_string(), ctx("pod", Path::new("."), false)).unwrap();
    let e = sink.prepare().unwrap_err();
    assert!(e.message.contains("127.0.0.1:1") && !e.message.contains("hunter2"), "{}", e.message);
    let out = sink.write(&batch()[..1]).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::FAILED);
    assert!(out[0].retryable);
    assert!(!out[0].detail.contains("hunter2"));
}

fn hostile_name_is_stored_as_text(engine: Engine) {
    let t = pod_db(engine, "pod_external_hostile");
    let mut items = batch();
    items.truncate(1);
    let name = format!("Cours \"d'été\" 🎓 ../../etc/passwd'); DROP TABLE auth_user;-- {}", "x".repeat(300));
    items[0].recording.name = name.clone().into();
    let out = new_sink(&t, 1, false).write(&items).unwrap();
    assert_eq!(out[0].status, OutcomeStatus::DONE, "{out:?}");
    let expected: String = name.chars().take(250).collect();
    assert_eq!(rows(&t, "SELECT DISTINCT name FROM import_video_externalrecording", vec![]), vec![vec![expected]]);
    assert_eq!(count(&t, "import_video_externalrecording"), 2);
}

#[test]
fn hostile_name_is_stored_as_text_postgres() {
    hostile_name_is_stored_as_text(Engine::Postgres);
}

#[test]
fn hostile_name_is_stored_as_text_mariadb() {
    hostile_name_is_stored_as_text(Engine::MySql);
}

/// `n` recordings `{tag}-{i}` with a presentation, owned by `owners`.
fn many(tag: &str, n: usize, owners: &[&str]) -> Vec<SinkItem> {
    (0..n)
        .map(|i| {
            let id = format!("{:040x}-{}", i + tag.len() * 1000, 1_700_000_000_000u64 + i as u64);
            let url = format!("https://bbb.univ.example.fr/playback/presentation/2.3/{id}");
            let rec = recording(
                &id,
                &format!("{tag} {i}"),
                1_700_000_000_000 + i as i64,
                vec![playback("presentation", &url, "")],
            );
            item(rec, owners.iter().map(|u| owner(u, "F", "L", &format!("{u}@univ.example.fr"))).collect(), false)
        })
        .collect()
}

/// One batch, one transaction: a recording whose row cannot be written
/// (after its new user was inserted) is rolled back to its savepoint — no
/// user, no owner, no row — while the recordings before and after it in the
/// same batch are committed; the next user-creating recording creates the
/// user again.
fn a_failing_recording_is_rolled_back_alone(engine: Engine) {
    let t = pod_db(engine, "pod_external_savepoint");
    t.db.execute_batch(
        "ALTER TABLE import_video_externalrecording ADD CONSTRAINT no_poison CHECK (name <> 'poison 1')",
    )
    .unwrap();
    let users_before = count(&t, "auth_user");
    let items = many("poison", 4, &["newcomer", "jdupont"]);
    let out = new_sink(&t, 1, false).write(&items).unwrap();
    let st: Vec<OutcomeStatus> = out.iter().map(|o| o.status).collect();
    assert_eq!(st, [OutcomeStatus::DONE, OutcomeStatus::FAILED, OutcomeStatus::DONE, OutcomeStatus::DONE], "{out:?}");
    assert!(out[1].retryable && out[1].detail.contains("no_poison"), "{}", out[1].detail);
    assert!(out[0].detail.contains("created Pod user newcomer"), "{}", out[0].detail);
    assert!(!out[2].detail.contains("created Pod user"), "{}", out[2].detail);
    assert_eq!(count(&t, "auth_user"), users_before + 1);
    assert_eq!(count(&t, "import_video_externalrecording"), 6);
    assert_eq!(
        rows(&t, "SELECT COUNT(*) FROM import_video_externalrecording WHERE name = 'poison 1'", vec![]),
        vec![vec![s("0")]]
    );

    // The first recording fails: its user is rolled back, the next one creates it.
    let t = pod_db(engine, "pod_external_savepoint_first");
    t.db.execute_batch(
        "ALTER TABLE import_video_externalrecording ADD CONSTRAINT no_poison CHECK (name <> 'poison 1')",
    )
    .unwrap();
    let owners_before = count(&t, "authentication_owner");
    let out = new_sink(&t, 1, false).write(&items[1..]).unwrap();
    assert_eq!(
        out.iter().map(|o| o.status).collect::<Vec<_>>(),
        [OutcomeStatus::FAILED, OutcomeStatus::DONE, OutcomeStatus::DONE]
    );
    assert!(out[1].detail.contains("created Pod user newcomer"), "{}", out[1].detail);
    assert_eq!(count(&t, "auth_user"), users_before + 1);
    assert_eq!(count(&t, "authentication_owner"), owners_before + 1);
    assert_eq!(count(&t, "import_video_externalrecording"), 4);
}

#[test]
fn a_failing_recording_is_rolled_back_alone_postgres() {
    a_failing_recording_is_rolled_back_alone(Engine::Postgres);
}

#[test]
fn a_failing_recording_is_rolled_back_alone_mariadb() {
    a_failing_recording_is_rolled_back_alone(Engine::MySql);
}

/// Two runs (two sinks, two connections) creating the same new users at the
/// same time: each user exists once, with one owner and one site link, and
/// every recording ends with exactly one row per owner.
fn concurrent_batches_create_each_user_once(engine: Engine) {
    let t = pod_db(engine, "pod_external_race");
    let users_before = count(&t, "auth_user");
    let owners_before = count(&t, "authentication_owner");
    let owners = ["racer1", "racer2", "racer3"];
    let a = many("a", 60, &owners);
    let mut b = many("bb", 60, &owners);
    b.reverse();
    let outcomes: Vec<Vec<plugin_api::Outcome>> = std::thread::scope(|scope| {
        let jobs: Vec<_> = [&a, &b]
            .into_iter()
            .map(|items| {
                let sink = new_sink(&t, 1, false);
                scope.spawn(move || items.chunks(20).flat_map(|c| sink.write(c).unwrap()).collect::<Vec<_>>())
            })
            .collect();
        jobs.into_iter().map(|j| j.join().unwrap()).collect()
    });
    for o in outcomes.iter().flatten() {
        assert_eq!(o.status, OutcomeStatus::DONE, "{o:?}");
    }
    assert_eq!(count(&t, "auth_user"), users_before + 3);
    assert_eq!(count(&t, "authentication_owner"), owners_before + 3);
    assert_eq!(count(&t, "import_video_externalrecording"), 360);
    let created = outcomes.iter().flatten().filter(|o| o.detail.contains("created Pod user")).count();
    assert!((1..=3).contains(&created), "{created}");
}

#[test]
fn concurrent_batches_create_each_user_once_postgres() {
    concurrent_batches_create_each_user_once(Engine::Postgres);
}

#[test]
fn concurrent_batches_create_each_user_once_mariadb() {
    concurrent_batches_create_each_user_once(Engine::MySql);
}
