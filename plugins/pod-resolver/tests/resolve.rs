//! The `pod` resolver against real PostgreSQL (the shared Pod schema) and
//! MariaDB (its port) databases. Fails — never skips — when a server is down.
use bbb_migrate_db::testing::{recording, schema, TempDb};
use bbb_migrate_db::Engine;
use bbb_migrate_pod_resolver::PodResolver;
use plugin_api::sdk::{testing::ctx, ResolverPlugin};
use plugin_api::{Resolution, ResolutionKind};

fn pod_db(engine: Engine, tag: &str) -> TempDb {
    let t = TempDb::new(engine, tag);
    match engine {
        Engine::Postgres => t.load_sql(&schema("pod-postgres.sql")),
        Engine::MySql => t.load_sql(&schema("pod-mariadb.sql")),
    }
    t
}

fn resolver(t: &TempDb) -> PodResolver {
    let scheme = if t.url.engine == Engine::MySql { "mariadb" } else { "postgresql" };
    let url = format!("{scheme}://{}@{}:{}/{}", t.url.user, t.url.host, t.url.port_or_default(), t.url.database);
    plugin_api::sdk::testing::resolver::<PodResolver>(
        &serde_json::json!({ "database": url }).to_string(),
        ctx("pod", std::path::Path::new("."), false),
    )
    .unwrap()
}

fn brief(r: &Resolution) -> Vec<(String, String, bool, String)> {
    r.owners.iter().map(|o| (o.username.to_string(), o.email.to_string(), o.primary, o.reason.to_string())).collect()
}

fn s(x: &str) -> String {
    x.to_string()
}

fn scenario(engine: Engine) {
    let t = pod_db(engine, "pod_scenario");
    // A meeting whose owner is no longer active.
    t.load_sql("INSERT INTO meeting_additional_owners (meeting_id, user_id) VALUES (2, 6);\n");
    let r = resolver(&t);
    let cb = |id: &str| format!("https://pod.univ.example.fr/meeting/end_callback/{id}/");
    let batch = vec![
        // 0: uploaded into Pod (internal recording) from meeting 1
        recording(
            "d258ee06f2b3150e88200577e17c2c1b04b9a061-1710237483000",
            "0001-cours-de-physique",
            &[("endcallbackurl", &cb("0001-cours-de-physique"))],
        ),
        // 1: meeting 3 was renamed after this recording: matched by its number
        recording("968e85181f73d517a59ba45b5d4942bb06a0d7c7-1712656800456", "0003-soutenances", &[]),
        // 2: exact meetingID, additional owner
        recording("e9ac101ae0bd249fc37e6762df3ec712249bbf22-1715076000111", "0004-reunion-dequipe", &[]),
        // 3: personal room: owner active, the additional owner inactive (skipped with a note)
        recording("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-1704700800000", "0002-salle-de-reunion-personnelle", &[]),
        // 4: Pod shape, no such meeting
        recording("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-1704700800000", "0042-nothing", &[]),
        // 5: Pod-shaped meetingID but origin Moodle: never looked at
        recording(
            "cccccccccccccccccccccccccccccccccccccccc-1704700800000",
            "0001-cours-de-physique",
            &[("bbb-origin", "Moodle")],
        ),
        // 6: no origin, Greenlight shape: no meeting lookup, no note
        recording(
            "dddddddddddddddddddddddddddddddddddddddd-1704700800000",
            "0v1xkcrre2la0vafauyepzfei16x2fkuhcfydvps",
            &[],
        ),
    ];
    let res = r.resolve(&batch).unwrap();
    assert_eq!(
        brief(&res[0]),
        vec![
            (s("jdupont"), s("jeanne.dupont@univ.example.fr"), true, s("internal recording owner, meeting 1 owner")),
            (s("pmartin"), s("paul.martin@univ.example.fr"), false, s("meeting 1 additional owner")),
        ]
    );
    assert_eq!(res[0].owners[0].first_name.as_str(), "Jeanne");
    assert_eq!(res[0].owners[0].last_name.as_str(), "Dupont");
    let extra: serde_json::Value = serde_json::from_str(res[1].owners[0].extra_json.as_str()).unwrap();
    assert_eq!(extra, serde_json::json!({"pod_user_id": 5, "site_id": 1, "meeting": 3}));
    assert_eq!(
        brief(&res[1]),
        vec![(
            s("aleroy"),
            s("antoine.leroy@univ.example.fr"),
            true,
            s("meeting 3 owner (renamed, now 0003-soutenances-2024)")
        )]
    );
    assert_eq!(
        brief(&res[2]),
        vec![
            (s("pmartin"), s("paul.martin@univ.example.fr"), true, s("meeting 4 owner")),
            (s("aleroy"), s("antoine.leroy@univ.example.fr"), false, s("meeting 4 additional owner")),
        ]
    );
    assert_eq!(brief(&res[3]), vec![(s("jdupont"), s("jeanne.dupont@univ.example.fr"), true, s("meeting 2 owner"))]);
    assert_eq!(res[3].note.as_str(), "pod: skipped meeting 2 additional owner (user 6) inactive");
    assert_eq!(
        (res[4].kind, res[4].note.as_str()),
        (ResolutionKind::UNKNOWN, "pod: no meeting `0042-nothing` (nor meeting id 42)")
    );
    assert_eq!((res[5].kind, res[5].note.as_str()), (ResolutionKind::UNKNOWN, ""));
    assert_eq!((res[6].kind, res[6].note.as_str()), (ResolutionKind::UNKNOWN, ""));
    assert_eq!(r.check().unwrap(), vec![format!("{} reachable, 4 Pod meetings", r_url(&t))]);
}

fn r_url(t: &TempDb) -> String {
    let scheme = if t.url.engine == Engine::MySql { "mariadb" } else { "postgresql" };
    format!("{scheme}://{}@{}:{}/{}", t.url.user, t.url.host, t.url.port_or_default(), t.url.database)
}

#[test]
fn pod_on_postgres() {
    scenario(Engine::Postgres);
}

#[test]
fn pod_on_mariadb() {
    scenario(Engine::MySql);
}

#[test]
fn inactive_owner_only_is_unknown_and_unreachable_fails() {
    let t = pod_db(Engine::Postgres, "pod_inactive");
    t.load_sql("UPDATE meeting SET owner_id = 6 WHERE id = 3;\n");
    let r = resolver(&t);
    let res = r.resolve(&[recording("x-1", "0003-soutenances-2024", &[])]).unwrap();
    assert_eq!(
        (res[0].kind, res[0].note.as_str()),
        (ResolutionKind::UNKNOWN, "pod: no usable owner: skipped meeting 3 owner (user 6) inactive")
    );

    let r = plugin_api::sdk::testing::resolver::<PodResolver>(
        r#"{"database":"postgres://pod:hunter2@127.0.0.1:1/pod"}"#,
        ctx("pod", std::path::Path::new("."), false),
    )
    .unwrap();
    let res = r.resolve(&[recording("x-1", "0003-soutenances", &[])]).unwrap();
    assert_eq!(res[0].kind, ResolutionKind::FAILED);
    assert!(
        res[0]
            .note
            .starts_with("pod: cannot connect to database pod on 127.0.0.1:1 (postgres://pod:***@127.0.0.1:1/pod): "),
        "{}",
        res[0].note
    );
    let e = r.check().unwrap_err();
    assert!(!e.message.contains("hunter2") && !e.message.contains('\n'), "{e}");
}
