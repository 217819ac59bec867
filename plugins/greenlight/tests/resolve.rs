//! The `greenlight` resolver against real PostgreSQL databases loaded with the
//! shared Greenlight v2 and v3 schemas. Fails — never skips — when the server is down.
use bbb_migrate_db::testing::{recording, schema, TempDb};
use bbb_migrate_db::Engine;
use bbb_migrate_greenlight::GreenlightResolver;
use plugin_api::sdk::{testing::ctx, ResolverPlugin};
use plugin_api::{Resolution, ResolutionKind};

fn gl_db(file: &str, tag: &str) -> TempDb {
    let t = TempDb::new(Engine::Postgres, tag);
    t.load_sql(&schema(file));
    t
}

fn url_of(t: &TempDb) -> String {
    t.url_string()
}

fn resolver(url: &str, version: Option<u8>) -> Result<GreenlightResolver, plugin_api::PluginError> {
    let mut cfg = serde_json::json!({ "database": url });
    if let Some(v) = version {
        cfg["version"] = v.into();
    }
    plugin_api::sdk::testing::resolver::<GreenlightResolver>(
        &cfg.to_string(),
        ctx("greenlight", std::path::Path::new("."), false),
    )
}

/// (username, email, first, last, primary, reason)
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

fn s(x: &str) -> String {
    x.to_string()
}

#[test]
fn greenlight_v2() {
    let t = gl_db("greenlight2-postgres.sql", "gl2");
    let r = resolver(&url_of(&t), None).unwrap();
    let gl = |rid: &str, mid: &str| {
        recording(rid, mid, &[("bbb-origin", "Greenlight"), ("bbb-origin-server-name", "gl.univ.example.fr")])
    };
    let batch = vec![
        // the real fixture room (testdata/presentation/bbb22-featuredemo/metadata.xml)
        gl("9a9b6536aa3fbc7d6e6c1ecff1d2c0d9bc6a1dd1-1598364581226", "0v1xkcrre2la0vafauyepzfei16x2fkuhcfydvps"),
        // a shared room: owner + two shared users (LDAP user has a username)
        gl("5abbbd5b27bc846f24d8d4d2b7a6f8bb08335996-1642000000000", "38hyf9sxmecosfogyr3xkxwnrek8pk3yr9oudocu"),
        // deleted room of a deleted user
        gl("1111111111111111111111111111111111111111-1610000000000", "q71n8mtzx272hpoevb9ooaedoecve6pr5n8i4p40"),
        // a Greenlight recording of a room this database does not know
        gl("2222222222222222222222222222222222222222-1610000000000", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"),
        // a Moodle recording: not ours
        recording(
            "3333333333333333333333333333333333333333-1610000000000",
            "1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1[0]",
            &[("bbb-origin", "Moodle")],
        ),
        // pre-2.3 Greenlight: no origin, the bare 40-char room id
        recording(
            "4444444444444444444444444444444444444444-1560000000000",
            "d5f0c3a3e3b9f4f1ad2b0f3c8f2f0b9a6c1e7d44",
            &[("gl-listed", "true")],
        ),
    ];
    let res = r.resolve(&batch).unwrap();
    assert_eq!(
        owners(&res[0]),
        vec![(
            s("owner@meet.example.org"),
            s("owner@meet.example.org"),
            s("Demo"),
            s("Owner"),
            true,
            s("room dem-2vx-6bn-9mk owner")
        )]
    );
    // The plugin does not name itself: the host stamps the component name.
    assert_eq!(res[0].owners[0].resolver.as_str(), "");
    assert_eq!(
        owners(&res[1]),
        vec![
            (
                s("jeanne.dupont@univ.example.fr"),
                s("jeanne.dupont@univ.example.fr"),
                s("Jeanne"),
                s("Dupont"),
                true,
                s("room jea-9wd-r2c-m6t owner")
            ),
            (
                s("pmartin"),
                s("paul.martin@univ.example.fr"),
                s("Paul"),
                s("Martin"),
                false,
                s("room jea-9wd-r2c-m6t shared access")
            ),
            (
                s("sofia.garcia@gmail.example.com"),
                s("sofia.garcia@gmail.example.com"),
                s("Sofia"),
                s("Garcia"),
                false,
                s("room jea-9wd-r2c-m6t shared access")
            ),
        ]
    );
    let extra: serde_json::Value = serde_json::from_str(res[1].owners[1].extra_json.as_str()).unwrap();
    assert_eq!(extra["provider"], "ldap");
    assert_eq!(extra["external_id"], "uid=pmartin,ou=people,dc=univ,dc=example,dc=fr");
    assert_eq!(res[2].kind, ResolutionKind::UNKNOWN);
    assert_eq!(
        res[2].note.as_str(),
        "greenlight v2 room mar-6hj-t9c-2xe (room deleted): no usable owner: owner (user 5) deleted"
    );
    assert_eq!(
        (res[3].kind, res[3].note.as_str()),
        (ResolutionKind::UNKNOWN, "greenlight v2: no room with this meetingID or recordID")
    );
    assert_eq!((res[4].kind, res[4].note.as_str()), (ResolutionKind::UNKNOWN, ""));
    assert_eq!(
        owners(&res[5]),
        vec![(
            s("gl-admin@univ.example.fr"),
            s("gl-admin@univ.example.fr"),
            s("Administrator"),
            s(""),
            true,
            s("room adm-3kx-7pq owner")
        )]
    );
    assert_eq!(r.check().unwrap(), vec![format!("{} reachable, Greenlight v2", t.url.redacted())]);
}

#[test]
fn greenlight_v3_and_a_room_migrated_from_v2() {
    let t = gl_db("greenlight3-postgres.sql", "gl3");
    let r = resolver(&url_of(&t), Some(3)).unwrap();
    let gl3 = |rid: &str, mid: &str| recording(rid, mid, &[("bbb-origin", "greenlight"), ("bbb-origin-version", "v3")]);
    let batch = vec![
        // by recordID (recordings table)
        gl3("7562417045f70ef946579f3e594bcd96fe7ba5bd-1710237483000", "mgg1w103dgdzvgpmm82i1lr3pe29gd8afpk054nz"),
        // a v2-era recording of the migrated room: not in recordings, found by meeting_id = v2 bbb_id
        recording(
            "9999999999999999999999999999999999999999-1600000000000",
            "38hyf9sxmecosfogyr3xkxwnrek8pk3yr9oudocu",
            &[("bbb-origin", "Greenlight")],
        ),
        // the migrated room's v3 recording, by recordID
        gl3("5abbbd5b27bc846f24d8d4d2b7a6f8bb08335996-1642000000000", "38hyf9sxmecosfogyr3xkxwnrek8pk3yr9oudocu"),
        // a room whose owner is banned
        gl3("8888888888888888888888888888888888888888-1700000000000", "qnupqzit3uea3ge8n6qiwepxsk28t7a9tgiqhg9j"),
        // meetingID unknown, bbb-context-id (3.4+) = friendly_id
        recording(
            "7777777777777777777777777777777777777777-1700000000000",
            "unknownunknownunknownunknownunknownunkno",
            &[("bbb-origin", "greenlight"), ("bbb-context-id", "hym-qc1-a78-mx1")],
        ),
    ];
    let res = r.resolve(&batch).unwrap();
    assert_eq!(
        owners(&res[0]),
        vec![(
            s("jeanne.dupont@univ.example.fr"),
            s("jeanne.dupont@univ.example.fr"),
            s("Jeanne"),
            s("Dupont"),
            true,
            s("room bhq-lqc-g1w-u16 owner (by recordID)")
        )]
    );
    let migrated = vec![
        (
            s("jeanne.dupont@univ.example.fr"),
            s("jeanne.dupont@univ.example.fr"),
            s("Jeanne"),
            s("Dupont"),
            true,
            s("room jea-9wd-r2c-m6t owner"),
        ),
        (
            s("paul.martin@univ.example.fr"),
            s("paul.martin@univ.example.fr"),
            s("Paul"),
            s("Martin"),
            false,
            s("room jea-9wd-r2c-m6t shared access"),
        ),
    ];
    assert_eq!(owners(&res[1]), migrated);
    assert_eq!(
        res[2].owners.iter().map(|o| o.reason.to_string()).collect::<Vec<_>>(),
        vec!["room jea-9wd-r2c-m6t owner (by recordID)", "room jea-9wd-r2c-m6t shared access (by recordID)"]
    );
    let extra: serde_json::Value = serde_json::from_str(res[1].owners[1].extra_json.as_str()).unwrap();
    assert_eq!(extra["greenlight_user_id"], "90c192cf-d3ac-44af-8f21-ddb66cad4a26");
    assert_eq!(extra["external_id"], "f81c2b64-3e5d-4b1a-9c7e-2d8a6f4b1c93");
    assert_eq!(res[3].kind, ResolutionKind::UNKNOWN);
    assert_eq!(
        res[3].note.as_str(),
        "greenlight v3 room evu-ht6-t0u-zs9: no usable owner: owner (user a170b338-3926-4059-b28c-105d1fb17c23) banned"
    );
    assert_eq!(
        owners(&res[4]),
        vec![(
            s("paul.martin@univ.example.fr"),
            s("paul.martin@univ.example.fr"),
            s("Paul"),
            s("Martin"),
            true,
            s("room hym-qc1-a78-mx1 owner (by bbb-context-id)")
        )]
    );
    assert_eq!(r.check().unwrap(), vec![format!("{} reachable, Greenlight v3", t.url.redacted())]);
}

#[test]
fn wrong_version_and_unreachable_database() {
    let t = gl_db("greenlight3-postgres.sql", "gl_version");
    let r = resolver(&url_of(&t), Some(2)).unwrap();
    let e = r.check().unwrap_err();
    assert_eq!(e.field(), Some("version"));
    assert_eq!(e.message.as_str(), format!("version = 2 but {} holds a Greenlight v3 schema", t.url.redacted()));

    let r = resolver("postgres://gl:hunter2@127.0.0.1:1/greenlight_production", None).unwrap();
    let e = r.check().unwrap_err();
    assert!(
        e.message.starts_with("cannot connect to database greenlight_production on 127.0.0.1:1 (postgres://gl:***@127.0.0.1:1/greenlight_production): "),
        "{e}"
    );
    assert!(!e.message.contains("hunter2") && !e.message.contains('\n'));
    let res = r
        .resolve(&[recording("r-1", "0v1xkcrre2la0vafauyepzfei16x2fkuhcfydvps", &[("bbb-origin", "Greenlight")])])
        .unwrap();
    assert_eq!(res[0].kind, ResolutionKind::FAILED);
    assert!(
        res[0].note.starts_with("greenlight: cannot connect to database greenlight_production on 127.0.0.1:1"),
        "{}",
        res[0].note
    );
    assert!(!res[0].note.contains("hunter2"));

    assert_eq!(resolver("mysql://a@b/c", None).err().unwrap().field(), Some("database"));
    assert_eq!(resolver("postgres://a@b/c", Some(4)).err().unwrap().field(), Some("version"));
}
