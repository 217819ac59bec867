//! Benchmark (not a test): resolve N Moodle recordings (default 20 000) on a
//! real MariaDB, batched (this resolver) vs one query per recording.
//!
//! ```sh
//! cargo run --release -p bbb-migrate-moodle-bench -- [N] [batch]
//! ```
//! Builds a throwaway database (`t_moodle_bench_<pid>_0`, dropped at the end)
//! from the shared Moodle schema plus generated rows: N/4 activities in N/20
//! courses, N/10 users, role assignments, `Add` logs and N rows in
//! `mdl_bigbluebuttonbn_recordings`. Prints a Markdown table.
//!
//! Rows:
//! 1. the resolver, batches of `batch` recordings (default 200, the host's default);
//! 2. the same resolver with batches of 1 (its full logic, pooled connection);
//! 3. the reference script's way (`docs/pod.md` §5.2): a new connection per
//!    recording, one SELECT on the recordings table, then one SELECT per
//!    `user` moderator rule.

use bbb_migrate_db::testing::{recording, schema, TempDb};
use bbb_migrate_db::{stats, Db, Engine, Param};
use bbb_migrate_moodle::MoodleResolver;
use plugin_api::sdk::{testing::ctx, ResolverPlugin};
use plugin_api::{Recording, ResolutionKind};
use std::time::Instant;

const SERVER: &str = "moodle.bench.example.fr";

fn seed(a: usize) -> String {
    format!("{:040x}", 0xabc0_0000_0000u64 + a as u64)
}

fn insert_rows(t: &TempDb, head: &str, rows: impl Iterator<Item = String>) {
    let rows: Vec<String> = rows.collect();
    for chunk in rows.chunks(1000) {
        t.db.execute_batch(&format!("{head} VALUES {}", chunk.join(","))).unwrap();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let batch: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(200);
    let acts = (n / 4).max(1);
    let courses = (n / 20).max(1);
    let users = (n / 10).max(10);

    let t = TempDb::new(Engine::MySql, "moodle_bench");
    t.load_sql(&schema("moodle-mariadb.sql"));
    let setup = Instant::now();
    let uid = |i: usize| 1000 + i % users;
    insert_rows(
        &t,
        "INSERT INTO mdl_user (id, auth, confirmed, mnethostid, username, firstname, lastname, email)",
        (0..users).map(|i| {
            format!("({}, 'cas', 1, 1, 'user{i}', 'First{i}', 'Last{i}', 'user{i}@bench.example.fr')", 1000 + i)
        }),
    );
    // course c: context 100000+c (path /1/3/<ctx>), editingteacher + teacher
    insert_rows(
        &t,
        "INSERT INTO mdl_context (id, contextlevel, instanceid, path, depth)",
        (0..courses).map(|c| format!("({}, 50, {}, '/1/3/{}', 3)", 100_000 + c, 1000 + c, 100_000 + c)),
    );
    insert_rows(
        &t,
        "INSERT INTO mdl_role_assignments (roleid, contextid, userid)",
        (0..courses).flat_map(|c| {
            [format!("(3, {}, {})", 100_000 + c, uid(c * 7)), format!("(4, {}, {})", 100_000 + c, uid(c * 7 + 1))]
        }),
    );
    // activity a: course 1000 + a % courses, cm 10000+a, module context 200000+a
    let course_of = |a: usize| a % courses;
    insert_rows(
        &t,
        "INSERT INTO mdl_bigbluebuttonbn (id, course, name, intro, meetingid, participants)",
        (0..acts).map(|a| {
            let rules = if a % 2 == 0 {
                format!(r#"[{{"selectiontype":"all","selectionid":"all","role":"viewer"}},{{"selectiontype":"user","selectionid":"{}","role":"moderator"}}]"#, uid(a))
            } else {
                r#"[{"selectiontype":"all","selectionid":"all","role":"viewer"},{"selectiontype":"role","selectionid":"3","role":"moderator"},{"selectiontype":"role","selectionid":"4","role":"moderator"}]"#.to_string()
            };
            format!("({}, {}, 'Activity {a}', '', '{}', '{rules}')", 1000 + a, 1000 + course_of(a), seed(a))
        }),
    );
    insert_rows(
        &t,
        "INSERT INTO mdl_course_modules (id, course, module, instance)",
        (0..acts).map(|a| format!("({}, {}, 2, {})", 10_000 + a, 1000 + course_of(a), 1000 + a)),
    );
    insert_rows(
        &t,
        "INSERT INTO mdl_context (id, contextlevel, instanceid, path, depth)",
        (0..acts).map(|a| {
            format!("({}, 70, {}, '/1/3/{}/{}', 4)", 200_000 + a, 10_000 + a, 100_000 + course_of(a), 200_000 + a)
        }),
    );
    insert_rows(
        &t,
        "INSERT INTO mdl_bigbluebuttonbn_logs (courseid, bigbluebuttonbnid, userid, meetingid, log)",
        (0..acts).map(|a| format!("({}, {}, {}, '{}', 'Add')", 1000 + course_of(a), 1000 + a, uid(a), seed(a))),
    );
    let rid = |i: usize| format!("{:040x}-{}", 0xfeed_0000_0000u64 + i as u64, 1_700_000_000_000u64 + i as u64);
    insert_rows(
        &t,
        "INSERT INTO mdl_bigbluebuttonbn_recordings (courseid, bigbluebuttonbnid, groupid, recordingid, status)",
        (0..n).map(|i| format!("({}, {}, 0, '{}', 2)", 1000 + course_of(i % acts), 1000 + i % acts, rid(i))),
    );
    let recs: Vec<Recording> = (0..n)
        .map(|i| {
            let a = i % acts;
            recording(
                &rid(i),
                &format!("{}-{}-{}[0]", seed(a), 1000 + course_of(a), 1000 + a),
                &[("bbb-origin", "Moodle"), ("bbb-origin-server-name", SERVER)],
            )
        })
        .collect();
    eprintln!("setup: {n} recordings, {acts} activities, {courses} courses, {users} users in {:.1?}", setup.elapsed());

    let url = t.url_string();
    let cfg = serde_json::json!({ "databases": { SERVER: url } }).to_string();

    // Server-side prepares (a global counter: other clients of the server add noise).
    let admin = Db::new(&t.url).unwrap();
    let prepares = || -> u64 {
        admin.query("SHOW GLOBAL STATUS LIKE 'Com_stmt_prepare'", vec![]).unwrap()[0].int("Value").unwrap_or(0) as u64
    };
    prepares(); // warm: the admin connection caches its own statement
    let mut table = Vec::new();
    for (label, size) in [(format!("resolver, batches of {batch}"), batch), ("resolver, batches of 1".to_string(), 1)] {
        let r =
            plugin_api::sdk::testing::resolver::<MoodleResolver>(&cfg, ctx("moodle", std::path::Path::new("."), false))
                .unwrap();
        let p0 = prepares();
        let (rt0, t0) = (stats::round_trips(), Instant::now());
        let mut resolved = 0;
        let mut owners = 0;
        for chunk in recs.chunks(size) {
            for res in r.resolve(chunk).unwrap() {
                if res.kind == ResolutionKind::RESOLVED {
                    resolved += 1;
                    owners += res.owners.len();
                }
            }
        }
        let el = t0.elapsed();
        r.close().unwrap();
        let rt = stats::round_trips() - rt0;
        table.push((label, rt, prepares() - p0, "≤ 4 (pool)".to_string(), el, resolved, owners));
    }

    // The reference script's way.
    let p0 = prepares();
    let (rt0, t0) = (stats::round_trips(), Instant::now());
    let (mut resolved, mut owners, mut conns) = (0, 0, 0);
    for r in &recs {
        let db = Db::new(&url.parse().unwrap()).unwrap();
        conns += 1;
        let rid = r.record_id.to_string();
        let found = db
            .run(move |tx| {
                Box::pin(async move {
                    let rows = tx
                        .query(
                            "SELECT b.id, b.intro, b.course, b.participants FROM mdl_bigbluebuttonbn_recordings r, mdl_bigbluebuttonbn b \
                             WHERE r.bigbluebuttonbnid = b.id AND r.recordingid = ? AND r.status = 2",
                            vec![Param::Str(rid)],
                        )
                        .await?;
                    let mut users = Vec::new();
                    for row in rows {
                        let p: serde_json::Value = serde_json::from_str(&row.text("participants")).unwrap_or_default();
                        for rule in p.as_array().into_iter().flatten() {
                            if rule["selectiontype"] == "user" && rule["role"] == "moderator" {
                                let id: i64 = rule["selectionid"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
                                let u = tx.query("SELECT id, username, firstname, lastname, email FROM mdl_user WHERE id = ?", vec![Param::Int(id)]).await?;
                                users.extend(u.into_iter().map(|u| u.text("username")));
                            }
                        }
                    }
                    Ok(users)
                })
            })
            .unwrap();
        if !found.is_empty() {
            resolved += 1;
            owners += found.len();
        }
        db.close();
    }
    let el = t0.elapsed();
    table.push((
        "reference (docs/pod.md §5.2): new connection + 1 query per recording + 1 per user rule".into(),
        stats::round_trips() - rt0,
        prepares() - p0,
        conns.to_string(),
        el,
        resolved,
        owners,
    ));

    println!("| way | statements | server prepares | connections | time | recordings resolved | owners found |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (label, rt, prep, conns, el, resolved, owners) in table {
        println!("| {label} | {rt} | {prep} | {conns} | {:.2} s | {resolved} / {n} | {owners} |", el.as_secs_f64());
    }
    println!("\n(statements include BEGIN/COMMIT of each read-only transaction; server prepares: MariaDB's global Com_stmt_prepare, other clients add noise; connections: new TCP+auth handshakes)");
    admin.close();
}
