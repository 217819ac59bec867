//! Pod's hard cases, on PostgreSQL and MariaDB: a test instance (another
//! `django_site`) whose meetingIDs and numbers collide with production's,
//! an unknown instance, breakout rooms. Exact owner sets.
use bbb_migrate_db::routing::internal_hash;
use bbb_migrate_db::testing::{breakout, recording, schema, TempDb};
use bbb_migrate_db::{Engine, Param};
use bbb_migrate_pod_resolver::PodResolver;
use plugin_api::sdk::{testing::ctx, ResolverPlugin};
use plugin_api::{Resolution, ResolutionKind};

/// Copies meeting 1 as meeting `id` with another meetingID, owner, site and no internal id.
fn copy_meeting(t: &TempDb, id: i64, meeting_id: &str, owner: i64, site: i64) {
    let schema_fn = if t.url.engine == Engine::MySql { "DATABASE()" } else { "current_schema()" };
    let cols: Vec<String> = t
        .db
        .query(
            &format!("SELECT column_name AS c FROM information_schema.columns WHERE table_schema = {schema_fn} AND table_name = ?"),
            vec![Param::Str("meeting".into())],
        )
        .unwrap()
        .iter()
        .map(|r| r.text("c"))
        .collect();
    let values: Vec<String> = cols
        .iter()
        .map(|c| match c.as_str() {
            "id" => id.to_string(),
            "meeting_id" => format!("'{meeting_id}'"),
            "owner_id" => owner.to_string(),
            "site_id" => site.to_string(),
            "internal_meeting_id" => "NULL".into(),
            other => other.to_string(),
        })
        .collect();
    t.db.execute_batch(&format!(
        "INSERT INTO meeting ({}) SELECT {} FROM meeting WHERE id = 1",
        cols.join(", "),
        values.join(", ")
    ))
    .unwrap();
}

fn pod_db(engine: Engine) -> TempDb {
    let t = TempDb::new(engine, "pod_hard");
    t.load_sql(&schema(if engine == Engine::MySql { "pod-mariadb.sql" } else { "pod-postgres.sql" }));
    // The test instance shares the database as site 2; its meeting 5 has production's meetingID.
    t.load_sql("INSERT INTO django_site (id, domain, name) VALUES (2, 'pod-test.univ.example.fr', 'Pod test');\n");
    copy_meeting(&t, 5, "0001-cours-de-physique", 5, 2);
    t
}

fn resolver(t: &TempDb) -> PodResolver {
    plugin_api::sdk::testing::resolver::<PodResolver>(
        &serde_json::json!({ "database": t.url_string() }).to_string(),
        ctx("pod", std::path::Path::new("."), false),
    )
    .unwrap()
}

fn brief(r: &Resolution) -> Vec<(String, bool, String)> {
    r.owners.iter().map(|o| (o.username.to_string(), o.primary, o.reason.to_string())).collect()
}

fn own(user: &str, primary: bool, reason: &str) -> (String, bool, String) {
    (user.to_string(), primary, reason.to_string())
}

fn cb(host: &str, meeting: &str) -> String {
    format!("https://{host}/meeting/end_callback/{meeting}/")
}

fn scenario(engine: Engine) {
    let t = pod_db(engine);
    let r = resolver(&t);
    let (prod, test, dev) = ("pod.univ.example.fr", "pod-test.univ.example.fr", "pod-dev.univ.example.fr");
    let m1 = "0001-cours-de-physique";
    let renamed_parent = format!("{}-1712000000000", internal_hash("0003-soutenances"));
    let batch = vec![
        // 0: made on the test instance: its own meeting 5, never production's meeting 1
        recording("a100000000000000000000000000000000000001-1720000000000", m1, &[("endcallbackurl", &cb(test, m1))]),
        // 1: made on production with the same meetingID: meeting 1
        recording("a200000000000000000000000000000000000002-1720000000000", m1, &[("endcallbackurl", &cb(prod, m1))]),
        // 2: no host at all and the meetingID exists on both sites: ambiguous
        recording("a300000000000000000000000000000000000003-1720000000000", m1, &[]),
        // 3: an instance this database does not serve
        recording(
            "a400000000000000000000000000000000000004-1720000000000",
            "0004-reunion-dequipe",
            &[("endcallbackurl", &cb(dev, "0004-reunion-dequipe"))],
        ),
        // 4: the test instance's meeting number 4 collides with production's meeting 4
        recording(
            "a500000000000000000000000000000000000005-1720000000000",
            "0004-atelier-test",
            &[("endcallbackurl", &cb(test, "0004-atelier-test"))],
        ),
        // 5: breakout room of meeting 4's last session (meeting.internal_meeting_id)
        breakout(
            "a600000000000000000000000000000000000006-1715076060000",
            "e9ac101ae0bd249fc37e6762df3ec712249bbf22-1715076000111",
            &[("EndCallbackUrl", &cb(prod, "0004-reunion-dequipe"))],
        ),
        // 6: breakout room of an earlier session of meeting 3, renamed since: the callback's meetingID
        breakout(
            "a700000000000000000000000000000000000007-1712000060000",
            &renamed_parent,
            &[("EndCallbackUrl", &cb(prod, "0003-soutenances"))],
        ),
    ];
    let res = r.resolve(&batch).unwrap();
    assert_eq!(brief(&res[0]), vec![own("aleroy", true, "meeting 5 on site pod-test.univ.example.fr owner")]);
    assert_eq!(
        brief(&res[1]),
        vec![
            own("jdupont", true, "meeting 1 on site pod.univ.example.fr owner"),
            own("pmartin", false, "meeting 1 on site pod.univ.example.fr additional owner"),
        ]
    );
    assert_eq!(
        (res[2].kind, res[2].note.as_str()),
        (
            ResolutionKind::UNKNOWN,
            "pod: ambiguous, not guessed: meetings 1, 5 on several sites and the recording names no Pod host"
        )
    );
    assert_eq!(
        (res[3].kind, res[3].note.as_str()),
        (
            ResolutionKind::UNKNOWN,
            "pod: the recording was made on `pod-dev.univ.example.fr`, which is not a site of this Pod database \
             (pod.univ.example.fr, pod-test.univ.example.fr): never matched to another instance's meeting"
        )
    );
    assert_eq!(
        (res[4].kind, res[4].note.as_str()),
        (
            ResolutionKind::UNKNOWN,
            "pod: no meeting `0004-atelier-test` (nor meeting id 4) on `pod-test.univ.example.fr`"
        )
    );
    let why = " (breakout room of meeting e9ac101ae0bd249fc37e6762df3ec712249bbf22-1715076000111)";
    assert_eq!(
        brief(&res[5]),
        vec![
            own("pmartin", true, &format!("meeting 4 on site pod.univ.example.fr owner{why}")),
            own("aleroy", false, &format!("meeting 4 on site pod.univ.example.fr additional owner{why}")),
        ]
    );
    assert_eq!(
        brief(&res[6]),
        vec![own(
            "aleroy",
            true,
            &format!("meeting 3 on site pod.univ.example.fr owner (renamed, now 0003-soutenances-2024) (breakout room of meeting {renamed_parent})")
        )]
    );
}

#[test]
fn pod_instances_and_breakouts_postgres() {
    scenario(Engine::Postgres);
}

#[test]
fn pod_instances_and_breakouts_mariadb() {
    scenario(Engine::MySql);
}
