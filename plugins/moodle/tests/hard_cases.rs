//! The hard cases of real Moodle sites, on MariaDB and PostgreSQL: imported
//! copies, recycle-bin restores, site admins, restored courses, ambiguous
//! seeds, breakout rooms, recordings without origin server. Exact owner sets.
use bbb_migrate_db::testing::{breakout, recording, schema, TempDb};
use bbb_migrate_db::Engine;
use bbb_migrate_moodle::MoodleResolver;
use plugin_api::sdk::{testing::ctx, testing::testdata, ResolverPlugin};
use plugin_api::{Recording, Resolution, ResolutionKind};

const SERVER: &str = "moodle.univ.example.fr";

fn moodle_db(engine: Engine, tag: &str, extra: bool) -> TempDb {
    let t = TempDb::new(engine, tag);
    t.load_sql(&schema(match engine {
        Engine::MySql => "moodle-mariadb.sql",
        Engine::Postgres => "moodle-postgres.sql",
    }));
    if extra {
        t.load_sql(&std::fs::read_to_string(testdata("moodle/hard-cases.sql")).unwrap());
    }
    t
}

fn resolver(dbs: &[(&str, String)]) -> MoodleResolver {
    let map: serde_json::Map<String, serde_json::Value> =
        dbs.iter().map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone()))).collect();
    plugin_api::sdk::testing::resolver::<MoodleResolver>(
        &serde_json::json!({ "databases": map }).to_string(),
        ctx("moodle", std::path::Path::new("."), false),
    )
    .unwrap()
}

fn moodle(record_id: &str, meeting_id: &str) -> Recording {
    recording(record_id, meeting_id, &[("bbb-origin", "Moodle"), ("BBB-Origin-Server-Name", SERVER)])
}

fn brief(r: &Resolution) -> Vec<(String, bool, String)> {
    r.owners.iter().map(|o| (o.username.to_string(), o.primary, o.reason.to_string())).collect()
}

fn one(user: &str, reason: &str) -> Vec<(String, bool, String)> {
    vec![(user.to_string(), true, reason.to_string())]
}

fn hard_cases(engine: Engine) {
    let other = if engine == Engine::MySql { Engine::Postgres } else { Engine::MySql };
    let t = moodle_db(engine, "moodle_hard", true);
    let plain = moodle_db(other, "moodle_hard_other", false);
    let r = resolver(&[(SERVER, t.url_string()), ("other-moodle.example.fr", plain.url_string())]);
    let batch = vec![
        // 0: imported copy; the original activity 10 is deleted with its creator → the importing activity 3
        moodle(
            "1000000000000000000000000000000000000001-1720000000000",
            "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a-2-10[0]",
        ),
        // 1: recycle-bin restore: the live activity 12 and its moderators, not the old headless row
        moodle(
            "2000000000000000000000000000000000000002-1720000000000",
            "1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b-2-11[0]",
        ),
        // 2: activity 3: manager rule reaches the site admin, held back; aleroy is left
        moodle(
            "8abd913bf59d695e553261e1356b57dd80398392-1712656800456",
            "c05dc6bd9c2352dc49856df88ec162057978018e-3-3[0]",
        ),
        // 3: activity 13: only the site admin (creator, manager) → the admin, saying why
        moodle(
            "3000000000000000000000000000000000000003-1720000000000",
            "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c-3-13[0]",
        ),
        // 4: course restored from another site: ids 9/99 unknown here, seed carried by activity 14
        moodle(
            "4000000000000000000000000000000000000004-1720000000000",
            "4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d-9-99[0]",
        ),
        // 5: a seed carried by two live activities: ambiguous, not guessed
        moodle(
            "5000000000000000000000000000000000000005-1720000000000",
            "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e-9-98[0]",
        ),
        // 6: breakout room of activity 1's meeting (its parent's recordings row)
        breakout(
            "6000000000000000000000000000000000000006-1710237490000",
            "a3af0ac668deec2baeefad04e38d8df093094350-1710237483000",
            &[("bbb-origin", "Moodle"), ("bbb-origin-server-name", SERVER), ("bbb-context-id", "2")],
        ),
        // 7: no origin server at all: only this site has the seed → resolved, saying so
        recording(
            "7000000000000000000000000000000000000007-1720000000000",
            "4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d-9-99[0]",
            &[],
        ),
        // 8: no origin server, both sites have activity 1 with this recording → ambiguous
        recording(
            "a3af0ac668deec2baeefad04e38d8df093094350-1710237483000",
            "1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1[0]",
            &[],
        ),
    ];
    let res = r.resolve(&batch).unwrap();

    assert_eq!(
        brief(&res[0]),
        one(
            "aleroy",
            "activity 3 course 3 creator, role editingteacher (imported copy) (before it: activity 10 course 2 \
             (activity deleted): no usable owner: creator (user 7) deleted)"
        )
    );
    assert!(!res[0].owners[0].reason.contains("marc.moreau"));
    assert_eq!(
        brief(&res[1]),
        vec![
            (
                "jdupont".to_string(),
                true,
                "activity 12 course 2 role editingteacher (live activity; the recording's activity 11 course 2 was deleted)"
                    .to_string()
            ),
            (
                "pmartin".to_string(),
                false,
                "activity 12 course 2 role teacher (live activity; the recording's activity 11 course 2 was deleted)"
                    .to_string()
            ),
        ]
    );
    assert_eq!(
        res[1].note.as_str(),
        "moodle `moodle.univ.example.fr` activity 12 course 2: skipped no Add log (creator unknown)"
    );
    assert_eq!(brief(&res[2]), one("aleroy", "activity 3 course 3 creator, role editingteacher"));
    assert_eq!(
        brief(&res[3]),
        one("admin", "activity 13 course 3 creator, role manager (site admin: nobody else left)")
    );
    assert_eq!(
        brief(&res[4]),
        one(
            "aleroy",
            "activity 14 course 3 creator, user rule (found by its meetingID seed: activity 99 course 9 restored as this one)"
        )
    );
    assert_eq!(
        res[4].note.as_str(),
        "moodle `moodle.univ.example.fr` activity 14 course 3: activity 99 course 9 is not on this site: found by its \
         meetingID seed in activity 14 course 3 (course restored)"
    );
    assert_eq!(res[5].kind, ResolutionKind::UNKNOWN);
    assert_eq!(
        res[5].note.as_str(),
        "moodle `moodle.univ.example.fr`: ambiguous, not guessed: the meetingID seed of activity 98 course 9 is carried \
         by activity 15 course 2 + activity 16 course 3"
    );
    assert_eq!(
        brief(&res[6]),
        one(
            "jdupont",
            "activity 1 course 2 creator, user rule (breakout room of meeting a3af0ac668deec2baeefad04e38d8df093094350-1710237483000)"
        )
    );
    assert_eq!(
        brief(&res[7]),
        one(
            "aleroy",
            "activity 14 course 3 creator, user rule (found by its meetingID seed: activity 99 course 9 restored as this \
             one) (no origin server; only site `moodle.univ.example.fr` has it)"
        )
    );
    assert_eq!(res[8].kind, ResolutionKind::UNKNOWN);
    assert!(
        res[8].note.starts_with("moodle: ambiguous, not guessed: no origin server and 2 sites have this recording: "),
        "{}",
        res[8].note
    );
}

#[test]
fn hard_cases_mariadb() {
    hard_cases(Engine::MySql);
}

#[test]
fn hard_cases_postgres() {
    hard_cases(Engine::Postgres);
}

/// Moodle 3.x keeps no recordings rows: a breakout room's parent is found in
/// its course's start logs (the meetingID whose sha1 is the parent's id).
#[test]
fn breakout_on_moodle3_by_start_logs() {
    let t = moodle_db(Engine::Postgres, "moodle3_breakout", false);
    t.load_sql("DROP TABLE mdl_bigbluebuttonbn_recordings;\n");
    let r = resolver(&[("default", t.url_string())]);
    // The parent: meeting 1f748191…-2-1 created at 1699999001 (log 6, create-migrated).
    let parent = "71d6ce46098db2bcf69692f5f29fd6f82505f6a1-1699999001000";
    let server = ("bbb-origin-server-name", "moodle3.example.fr");
    let meta = [("bbb-origin", "Moodle"), server, ("bbb-context-id", "2")];
    let res = r
        .resolve(&[
            breakout("6100000000000000000000000000000000000061-1699999100000", parent, &meta),
            // Without the course, nothing to search: unknown, saying it is a breakout room.
            breakout(
                "6200000000000000000000000000000000000062-1699999100000",
                parent,
                &[("bbb-origin", "Moodle"), server],
            ),
        ])
        .unwrap();
    assert_eq!(
        brief(&res[0]),
        one("jdupont", &format!("activity 1 course 2 creator, user rule (breakout room of meeting {parent})"))
    );
    assert_eq!(res[1].kind, ResolutionKind::UNKNOWN);
    assert_eq!(
        res[1].note.as_str(),
        format!(
            "moodle `default` (breakout room of meeting {parent}): meetingID is not a Moodle one and the recordID is not in the recordings table"
        )
    );
}
