//! The `moodle` resolver against real MariaDB and PostgreSQL Moodle databases
//! (the shared schema, its PostgreSQL port, and extra rows). Each test has its
//! own throwaway database(s). Fails — never skips — when a server is down.
use bbb_migrate_db::testing::{recording, schema, TempDb};
use bbb_migrate_db::Engine;
use bbb_migrate_moodle::MoodleResolver;
use plugin_api::sdk::{testing::ctx, ResolverPlugin};
use plugin_api::{Recording, Resolution, ResolutionKind};

const SERVER: &str = "moodle.univ.example.fr";

fn moodle_db(engine: Engine, tag: &str) -> TempDb {
    let t = TempDb::new(engine, tag);
    match engine {
        Engine::MySql => t.load_sql(&schema("moodle-mariadb.sql")),
        Engine::Postgres => t.load_sql(&schema("moodle-postgres.sql")),
    }
    t
}

fn resolver(dbs: &[(&str, String)]) -> MoodleResolver {
    let map: serde_json::Map<String, serde_json::Value> =
        dbs.iter().map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone()))).collect();
    let cfg = serde_json::json!({ "databases": map }).to_string();
    plugin_api::sdk::testing::resolver::<MoodleResolver>(&cfg, ctx("moodle", std::path::Path::new("."), false)).unwrap()
}

fn url_of(t: &TempDb) -> String {
    t.url_string()
}

fn moodle(record_id: &str, meeting_id: &str) -> Recording {
    recording(record_id, meeting_id, &[("bbb-origin", "Moodle"), ("bbb-origin-server-name", SERVER)])
}

/// (username, email, first, last, primary, reason) of each owner.
fn owners(r: &Resolution) -> Vec<(String, String, String, String, bool, String)> {
    r.owners
        .iter()
        .map(|o| {
            (
                o.username.to_string(),
                o.email.to_string(),
                o.first_name.to_string(),
                o.last_name.to_string(),
                o.primary,
                o.reason.to_string(),
            )
        })
        .collect()
}

fn brief(r: &Resolution) -> Vec<(String, bool, String)> {
    r.owners.iter().map(|o| (o.username.to_string(), o.primary, o.reason.to_string())).collect()
}

fn s(x: &str) -> String {
    x.to_string()
}

/// The scenario of `docs/identity.md` §1.4, the same on both engines.
fn shared_scenario(engine: Engine) {
    let t = moodle_db(engine, "moodle_scenario");
    let r = resolver(&[(SERVER, url_of(&t))]);
    let batch = vec![
        // 0: 4.x recording of activity 1 (also imported into activity 3: the original wins)
        moodle(
            "a3af0ac668deec2baeefad04e38d8df093094350-1710237483000",
            "1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1[0]",
        ),
        // 1: group 7 recording of activity 2 (role rules editingteacher + teacher)
        moodle(
            "8e24b5c5960f50a9f07076d1b14e30f7ebbe28ac-1711447200123",
            "e91ea28766a627074a88f956b1190a9f1b967e43-2-2[7]",
        ),
        // 2: activity 3, participants [] -> default rule '0' = owner
        moodle(
            "8abd913bf59d695e553261e1356b57dd80398392-1712656800456",
            "c05dc6bd9c2352dc49856df88ec162057978018e-3-3[0]",
        ),
        // 3: headless recording of deleted activity 4
        moodle(
            "06244b8893d931cd2a4505efc28c3f720319bc9e-1713866400789",
            "39ac2f43b20a480a4972944d54d34478efe888b7-3-4[0]",
        ),
        // 4: the real fixture (plugin 2.0 `bn-origin`): creator deleted, moderators suspended
        recording(
            "f71d810b6e90a4a34ae02b8c7143e8733178578e-1462807897120",
            "9d287cf50490ca856ca5273bd303a7e321df6051-4-119[0]",
            &[("bn-origin", "Moodle"), ("bbb-origin-server-name", SERVER)],
        ),
        // 5: Moodle 3.x shape (no [group]), recordID unknown to the recordings table
        moodle(
            "ffffffffffffffffffffffffffffffffffffffff-1600000000000",
            "1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1",
        ),
        // 6: a Greenlight room: not ours, no query, no note
        recording(
            "9a9b6536aa3fbc7d6e6c1ecff1d2c0d9bc6a1dd1-1598364581226",
            "0v1xkcrre2la0vafauyepzfei16x2fkuhcfydvps",
            &[("bbb-origin", "Greenlight"), ("bbb-origin-server-name", SERVER)],
        ),
        // 7: Moodle shape but the seed does not match activity 1's
        moodle(
            "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-1600000000000",
            "0000000000000000000000000000000000000000-2-1[0]",
        ),
        // 8: another Moodle site, no entry and no default
        recording(
            "dddddddddddddddddddddddddddddddddddddddd-1600000000000",
            "1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1[0]",
            &[("bbb-origin", "Moodle"), ("bbb-origin-server-name", "other-moodle.example.org")],
        ),
        // 9: no origin metadata at all, Moodle shape: routed by shape (group 0, 4.x)
        recording(
            "cccccccccccccccccccccccccccccccccccccccc-1600000000000",
            "c05dc6bd9c2352dc49856df88ec162057978018e-3-3[0]",
            &[],
        ),
    ];
    let res = r.resolve(&batch).unwrap();
    assert_eq!(res.len(), batch.len());

    assert_eq!(res[0].kind, ResolutionKind::RESOLVED, "{:?}", res[0]);
    assert_eq!(
        owners(&res[0]),
        vec![(
            s("jdupont"),
            s("jeanne.dupont@univ.example.fr"),
            s("Jeanne"),
            s("Dupont"),
            true,
            s("activity 1 course 2 creator, user rule")
        )]
    );
    // The plugin does not name itself: the host stamps the component name.
    assert_eq!(res[0].owners[0].resolver.as_str(), "");
    let extra: serde_json::Value = serde_json::from_str(res[0].owners[0].extra_json.as_str()).unwrap();
    assert_eq!(extra["moodle_user_id"], 3);
    assert_eq!(extra["idnumber"], "E1234567");

    assert_eq!(
        brief(&res[1]),
        vec![
            (s("pmartin"), true, s("activity 2 course 2 group 7 creator, role teacher")),
            (s("jdupont"), false, s("activity 2 course 2 group 7 role editingteacher")),
            (s("lbernard"), false, s("activity 2 course 2 group 7 role teacher")),
        ]
    );
    assert_eq!(brief(&res[2]), vec![(s("aleroy"), true, s("activity 3 course 3 creator, owner rule"))]);
    assert_eq!(brief(&res[3]), vec![(s("aleroy"), true, s("activity 4 course 3 creator (activity deleted)"))]);

    assert_eq!(res[4].kind, ResolutionKind::UNKNOWN);
    assert_eq!(
        res[4].note.as_str(),
        "moodle `moodle.univ.example.fr` activity 119 course 4: no usable owner: creator (user 7) deleted; \
         user rule (user 8) suspended; role editingteacher (user 8) suspended"
    );

    assert_eq!(brief(&res[5]), vec![(s("jdupont"), true, s("activity 1 course 2 creator, user rule"))]);
    assert_eq!((res[6].kind, res[6].note.as_str()), (ResolutionKind::UNKNOWN, ""));
    assert_eq!(res[7].kind, ResolutionKind::UNKNOWN);
    assert_eq!(
        res[7].note.as_str(),
        "moodle `moodle.univ.example.fr`: meetingID names activity 1 course 2 but that activity has another meetingID seed or course (id reused?)"
    );
    assert_eq!(res[8].kind, ResolutionKind::UNKNOWN);
    assert_eq!(
        res[8].note.as_str(),
        "moodle: no database configured for origin server `other-moodle.example.org` and no \"default\""
    );
    // No origin server: every configured site is asked (here the only one), and the reason says so.
    assert_eq!(
        brief(&res[9]),
        vec![(
            s("aleroy"),
            true,
            s("activity 3 course 3 creator, owner rule (no origin server; only site `moodle.univ.example.fr` has it)")
        )]
    );

    let lines = r.check().unwrap();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].ends_with("reachable, Moodle 4.x (recordings table)"), "{lines:?}");
}

#[test]
fn mariadb_shared_schema() {
    shared_scenario(Engine::MySql);
}

#[test]
fn postgres_moodle() {
    shared_scenario(Engine::Postgres);
}

/// Moodle 3.x: no recordings table, meetingIDs without `[group]` unless in group mode.
#[test]
fn moodle3_by_meeting_id_only() {
    let t = moodle_db(Engine::MySql, "moodle3");
    t.load_sql("DROP TABLE mdl_bigbluebuttonbn_recordings;\n");
    let r = resolver(&[("default", url_of(&t))]);
    let batch = vec![
        moodle(
            "71d6ce46098db2bcf69692f5f29fd6f82505f6a1-1699999001000",
            "1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1",
        ),
        moodle(
            "8e24b5c5960f50a9f07076d1b14e30f7ebbe28ac-1711447200123",
            "e91ea28766a627074a88f956b1190a9f1b967e43-2-2[7]",
        ),
        // recordID-only knowledge is gone on 3.x: a recording with a non-Moodle meetingID stays unknown
        moodle("a3af0ac668deec2baeefad04e38d8df093094350-1710237483000", "not-a-moodle-meeting"),
        // deleted activity 4: found through its Add log, which carries the seed
        moodle(
            "06244b8893d931cd2a4505efc28c3f720319bc9e-1713866400789",
            "39ac2f43b20a480a4972944d54d34478efe888b7-3-4[0]",
        ),
        // same ids, wrong seed: not that (deleted) activity
        moodle(
            "06244b8893d931cd2a4505efc28c3f720319bc9e-1713866400790",
            "49ac2f43b20a480a4972944d54d34478efe888b7-3-4[0]",
        ),
    ];
    let res = r.resolve(&batch).unwrap();
    assert_eq!(brief(&res[0]), vec![(s("jdupont"), true, s("activity 1 course 2 creator, user rule"))]);
    assert_eq!(
        res[1].owners.iter().map(|o| o.username.to_string()).collect::<Vec<_>>(),
        vec!["pmartin", "jdupont", "lbernard"]
    );
    assert_eq!(res[2].kind, ResolutionKind::UNKNOWN);
    assert_eq!(
        res[2].note.as_str(),
        "moodle `default`: meetingID is not a Moodle one and the recordID is not in the recordings table"
    );
    assert_eq!(brief(&res[3]), vec![(s("aleroy"), true, s("activity 4 course 3 creator (activity deleted)"))]);
    assert_eq!(
        (res[4].kind, res[4].note.as_str()),
        (ResolutionKind::UNKNOWN, "moodle `default`: no activity 4 in course 3 with this meetingID")
    );
    assert!(r.check().unwrap()[0].ends_with("Moodle 3.x (no recordings table)"));
}

/// Two Moodle sites (MariaDB and PostgreSQL) holding the same ids: the
/// origin server picks the database, `default` takes the rest.
#[test]
fn multi_site_by_origin_server() {
    let a = moodle_db(Engine::MySql, "moodle_site_a");
    let b = moodle_db(Engine::Postgres, "moodle_site_b");
    // Site B: activity 1 was created by another teacher, with no user rule.
    b.load_sql(
        "INSERT INTO mdl_user (id, auth, confirmed, deleted, suspended, mnethostid, username, idnumber, firstname, lastname, email) VALUES (50, 'cas', 1, 0, 0, 1, 'bteacher', 'B50', 'Bruno', 'Teacher', 'bruno.teacher@site-b.example.fr');\n\
         UPDATE mdl_bigbluebuttonbn_logs SET userid = 50 WHERE id = 5;\n\
         UPDATE mdl_bigbluebuttonbn SET participants = '[{\"selectiontype\":\"all\",\"selectionid\":\"all\",\"role\":\"viewer\"}]' WHERE id = 1;\n",
    );
    let r = resolver(&[("moodle-a.example.fr", url_of(&a)), ("default", url_of(&b))]);
    let rid = "a3af0ac668deec2baeefad04e38d8df093094350-1710237483000";
    let mid = "1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1[0]";
    let batch = vec![
        recording(rid, mid, &[("bbb-origin", "Moodle"), ("bbb-origin-server-name", "Moodle-A.example.fr")]),
        recording(rid, mid, &[("bbb-origin", "Moodle"), ("bbb-origin-server-name", "moodle-b.example.fr")]),
        recording(rid, mid, &[("bbb-origin", "Moodle")]),
    ];
    let res = r.resolve(&batch).unwrap();
    assert_eq!(
        owners(&res[0]),
        vec![(
            s("jdupont"),
            s("jeanne.dupont@univ.example.fr"),
            s("Jeanne"),
            s("Dupont"),
            true,
            s("activity 1 course 2 creator, user rule")
        )]
    );
    assert_eq!(
        owners(&res[1]),
        vec![(
            s("bteacher"),
            s("bruno.teacher@site-b.example.fr"),
            s("Bruno"),
            s("Teacher"),
            true,
            s("activity 1 course 2 creator")
        )]
    );
    // No origin server: both sites have activity 1 course 2 with this
    // recording, so it is ambiguous: never guessed, UNKNOWN with the reason.
    assert_eq!(res[2].kind, ResolutionKind::UNKNOWN);
    assert_eq!(
        res[2].note.as_str(),
        "moodle: ambiguous, not guessed: no origin server and 2 sites have this recording: \
         `default` (activity 1 course 2 creator), `moodle-a.example.fr` (activity 1 course 2 creator, user rule)"
    );
    assert_eq!(r.check().unwrap().len(), 2);
}

/// A custom table prefix, on PostgreSQL.
#[test]
fn custom_prefix() {
    let t = TempDb::new(Engine::Postgres, "moodle_prefix");
    t.load_sql(&schema("moodle-postgres.sql").replace("mdl_", "m2_"));
    let cfg = serde_json::json!({ "prefix": "m2_", "databases": { "default": url_of(&t) } }).to_string();
    let r = plugin_api::sdk::testing::resolver::<MoodleResolver>(&cfg, ctx("moodle", std::path::Path::new("."), false))
        .unwrap();
    let res = r.resolve(&[moodle("a3af0ac668deec2baeefad04e38d8df093094350-1710237483000", "x")]).unwrap();
    assert_eq!(brief(&res[0]), vec![(s("jdupont"), true, s("activity 1 course 2 creator, user rule"))]);
    // The default prefix does not find the tables: check says so in one line.
    let r = resolver(&[("default", url_of(&t))]);
    let e = r.check().unwrap_err();
    assert!(e.message.contains("no table mdl_bigbluebuttonbn"), "{e}");
    let bad = plugin_api::sdk::testing::resolver::<MoodleResolver>(
        r#"{"prefix":"mdl_;drop","databases":{"default":"mysql://a@b/c"}}"#,
        ctx("moodle", std::path::Path::new("."), false),
    );
    assert_eq!(bad.err().unwrap().field(), Some("prefix"));
}

/// A database that cannot be reached: recordings FAIL (retried next run),
/// `check` fails; one line, host and database named, password never shown.
#[test]
fn unreachable_database_fails_without_password() {
    let r = resolver(&[("default", "mysql://moodle:hunter2@127.0.0.1:1/moodle".to_string())]);
    let res = r
        .resolve(&[
            moodle(
                "a3af0ac668deec2baeefad04e38d8df093094350-1710237483000",
                "1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1[0]",
            ),
            recording("x-1", "0v1xkcrre2la0vafauyepzfei16x2fkuhcfydvps", &[("bbb-origin", "greenlight")]),
        ])
        .unwrap();
    assert_eq!(res[0].kind, ResolutionKind::FAILED);
    let note = res[0].note.as_str();
    assert!(note.starts_with("moodle `default`: cannot connect to database moodle on 127.0.0.1:1 (mysql://moodle:***@127.0.0.1:1/moodle): "), "{note}");
    assert!(!note.contains("hunter2") && !note.contains('\n'), "{note}");
    assert_eq!(res[1].kind, ResolutionKind::UNKNOWN);
    let e = r.check().unwrap_err();
    assert!(
        e.message
            .starts_with("cannot connect to database moodle on 127.0.0.1:1 (mysql://moodle:***@127.0.0.1:1/moodle): "),
        "{e}"
    );
    assert!(!e.message.contains("hunter2"));
}

#[test]
fn config_errors_name_the_key() {
    let c = |j: &str| {
        plugin_api::sdk::testing::resolver::<MoodleResolver>(j, ctx("moodle", std::path::Path::new("."), false))
            .err()
            .unwrap()
    };
    assert_eq!(c(r#"{}"#).field(), Some("databases"));
    assert_eq!(c(r#"{"databases":{}}"#).field(), Some("databases"));
    let e = c(r#"{"databases":{"moodle.univ.fr":"mysql://m:hunter2@db1"}}"#);
    assert_eq!(e.field(), Some("databases.\"moodle.univ.fr\""));
    assert!(!e.message.contains("hunter2"));
    assert_eq!(c(r#"{"databases":{"default":"mysql://a@b/c"},"x":1}"#).field(), Some("x"));
}

/// One site down does not stop the others: only its recordings FAIL.
#[test]
fn one_site_down_fails_only_its_recordings() {
    let a = moodle_db(Engine::MySql, "moodle_site_up");
    let r = resolver(&[(SERVER, url_of(&a)), ("default", "postgres://moodle:hunter2@127.0.0.1:1/moodle2".to_string())]);
    let rid = "a3af0ac668deec2baeefad04e38d8df093094350-1710237483000";
    let mid = "1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1[0]";
    let res = r
        .resolve(&[
            moodle(rid, mid),
            recording(rid, mid, &[("bbb-origin", "Moodle"), ("bbb-origin-server-name", "moodle2.example.fr")]),
        ])
        .unwrap();
    assert_eq!(brief(&res[0]), vec![(s("jdupont"), true, s("activity 1 course 2 creator, user rule"))]);
    assert_eq!(res[1].kind, ResolutionKind::FAILED);
    assert!(
        res[1].note.starts_with("moodle `default`: cannot connect to database moodle2 on 127.0.0.1:1 (postgres://moodle:***@127.0.0.1:1/moodle2): "),
        "{}",
        res[1].note
    );
    assert!(!res[1].note.contains("hunter2"));
    // check tries every database and names the one that is down.
    let e = r.check().unwrap_err();
    assert!(e.message.starts_with("cannot connect to database moodle2 on 127.0.0.1:1 ("), "{e}");
    let r = resolver(&[
        ("a.example.fr", "mysql://m:hunter2@127.0.0.1:1/moodle_a".to_string()),
        ("default", "postgres://moodle:hunter2@127.0.0.1:1/moodle2".to_string()),
    ]);
    let e = r.check().unwrap_err();
    assert!(e.message.starts_with("cannot connect to database moodle_a on 127.0.0.1:1 ("), "{e}");
    assert!(e.message.contains(" | cannot connect to database moodle2 on 127.0.0.1:1 ("), "{e}");
    assert!(!e.message.contains("hunter2") && !e.message.contains('\n'));
}
