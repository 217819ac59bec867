//! Greenlight's hard cases on real PostgreSQL databases: banned (`denied`)
//! v2 users, breakout rooms of v2 and v3 meetings. Exact owner sets.
use bbb_migrate_db::routing::internal_hash;
use bbb_migrate_db::testing::{breakout, recording, schema, TempDb};
use bbb_migrate_db::Engine;
use bbb_migrate_greenlight::GreenlightResolver;
use plugin_api::sdk::{testing::ctx, ResolverPlugin};
use plugin_api::{Resolution, ResolutionKind};

fn gl_db(file: &str, tag: &str) -> TempDb {
    let t = TempDb::new(Engine::Postgres, tag);
    t.load_sql(&schema(file));
    t
}

fn resolver(t: &TempDb) -> GreenlightResolver {
    let cfg = serde_json::json!({ "database": t.url_string() }).to_string();
    plugin_api::sdk::testing::resolver::<GreenlightResolver>(&cfg, ctx("greenlight", std::path::Path::new("."), false))
        .unwrap()
}

fn brief(r: &Resolution) -> Vec<(String, bool, String)> {
    r.owners.iter().map(|o| (o.username.to_string(), o.primary, o.reason.to_string())).collect()
}

fn own(user: &str, primary: bool, reason: &str) -> (String, bool, String) {
    (user.to_string(), primary, reason.to_string())
}

#[test]
fn greenlight_v2_denied_users_and_breakout_rooms() {
    let t = gl_db("greenlight2-postgres.sql", "gl2_hard");
    // Sofia Garcia (user 4: shared access to room 3, owner of room 5) is banned.
    t.load_sql("UPDATE users SET role_id = 4 WHERE id = 4;\n");
    let r = resolver(&t);
    let meta = [("bbb-origin", "Greenlight"), ("bbb-origin-server-name", "gl.univ.example.fr")];
    let parent = format!("{}-1642000000000", internal_hash("38hyf9sxmecosfogyr3xkxwnrek8pk3yr9oudocu"));
    let res = r
        .resolve(&[
            recording(
                "5abbbd5b27bc846f24d8d4d2b7a6f8bb08335996-1642000000000",
                "38hyf9sxmecosfogyr3xkxwnrek8pk3yr9oudocu",
                &meta,
            ),
            recording(
                "6666666666666666666666666666666666666666-1630000000000",
                "vhs1k3aq6l6gt6mjxk87au5bhxtpdpff5e8ii49k",
                &meta,
            ),
            breakout("7777777777777777777777777777777777777777-1642000060000", &parent, &meta),
            // A breakout room whose parent no room of this database hashes to.
            breakout(
                "8888888888888888888888888888888888888888-1642000060000",
                "0000000000000000000000000000000000000000-1642000000000",
                &meta,
            ),
        ])
        .unwrap();
    assert_eq!(
        brief(&res[0]),
        vec![
            own("jeanne.dupont@univ.example.fr", true, "room jea-9wd-r2c-m6t owner"),
            own("pmartin", false, "room jea-9wd-r2c-m6t shared access"),
        ]
    );
    assert_eq!(
        res[0].note.as_str(),
        "greenlight room jea-9wd-r2c-m6t: skipped shared access (user 4) banned (denied role)"
    );
    assert_eq!(res[1].kind, ResolutionKind::UNKNOWN);
    assert_eq!(
        res[1].note.as_str(),
        "greenlight v2 room sof-r7t-3vb-8wn: no usable owner: owner (user 4) banned (denied role)"
    );
    let why = format!(" (breakout room of meeting {parent})");
    assert_eq!(
        brief(&res[2]),
        vec![
            own("jeanne.dupont@univ.example.fr", true, &format!("room jea-9wd-r2c-m6t owner{why}")),
            own("pmartin", false, &format!("room jea-9wd-r2c-m6t shared access{why}")),
        ]
    );
    assert_eq!(res[3].kind, ResolutionKind::UNKNOWN);
    assert_eq!(
        res[3].note.as_str(),
        "greenlight v2 (breakout room of meeting 0000000000000000000000000000000000000000-1642000000000): no room with this meetingID or recordID"
    );
}

#[test]
fn greenlight_v3_breakout_rooms() {
    let t = gl_db("greenlight3-postgres.sql", "gl3_hard");
    let r = resolver(&t);
    let meta = [("bbb-origin", "greenlight"), ("bbb-origin-server-name", "gl3.univ.example.fr")];
    // Parent recorded: its recordID is in `recordings` (room bhq-lqc-g1w-u16).
    let recorded = "7562417045f70ef946579f3e594bcd96fe7ba5bd-1710237483000";
    // Parent not recorded: only the room whose meetingID hashes to it (hym-qc1-a78-mx1).
    let unrecorded = format!("{}-1720000000000", internal_hash("dkyayq3s195jmsnd8dudd467kd6fleepzhpcf07u"));
    let res = r
        .resolve(&[
            breakout("9999999999999999999999999999999999999991-1710237490000", recorded, &meta),
            breakout("9999999999999999999999999999999999999992-1720000060000", &unrecorded, &meta),
        ])
        .unwrap();
    assert_eq!(
        brief(&res[0]),
        vec![own(
            "jeanne.dupont@univ.example.fr",
            true,
            &format!("room bhq-lqc-g1w-u16 owner (by recordID) (breakout room of meeting {recorded})")
        )]
    );
    assert_eq!(
        brief(&res[1]),
        vec![own(
            "paul.martin@univ.example.fr",
            true,
            &format!("room hym-qc1-a78-mx1 owner (breakout room of meeting {unrecorded})")
        )]
    );
}
