//! Against the real MariaDB and PostgreSQL servers (fail, never skip, when down).
use bbb_migrate_db::testing::TempDb;
use bbb_migrate_db::{Db, DbUrl, Engine, Param, TxMode};

fn roundtrip(engine: Engine) {
    let t = TempDb::new(engine, "db_roundtrip");
    t.load_sql("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, flag SMALLINT);\nINSERT INTO items VALUES (1, 'a', 1), (2, 'b', 0), (3, 'c', NULL);\n");
    let rows = t
        .db
        .transaction(TxMode::ReadOnly, |tx| {
            Box::pin(async move {
                tx.query("SELECT id, name, flag FROM items WHERE id IN (?, ?) AND name <> '?' ORDER BY id", vec![Param::Int(1), Param::Int(3)]).await
            })
        })
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].int("id"), rows[0].text("name"), rows[0].bool("flag")), (Some(1), "a".to_string(), Some(true)));
    assert_eq!((rows[1].int("id"), rows[1].str("name"), rows[1].int("flag")), (Some(3), Some("c".to_string()), None));

    // Read-only transactions refuse writes.
    let e = t
        .db
        .transaction(TxMode::ReadOnly, |tx| Box::pin(async move { tx.execute("UPDATE items SET name = ? WHERE id = ?", vec!["z".into(), 1i64.into()]).await }))
        .unwrap_err();
    assert!(e.message.contains(&t.url.database), "{e}");

    // A failing closure rolls back.
    let r: Result<(), _> = t.db.transaction(TxMode::ReadWrite, |tx| {
        Box::pin(async move {
            tx.execute("UPDATE items SET name = ? WHERE id = ?", vec!["z".into(), 1i64.into()]).await?;
            Err(plugin_api::PluginError::other("boom"))
        })
    });
    assert!(r.is_err());
    assert_eq!(t.db.query("SELECT name FROM items WHERE id = ?", vec![1i64.into()]).unwrap()[0].text("name"), "a");

    // A successful one commits.
    let n = t
        .db
        .transaction(TxMode::ReadWrite, |tx| Box::pin(async move { tx.execute("UPDATE items SET name = ? WHERE id = ?", vec!["z".into(), 1i64.into()]).await }))
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(t.db.query("SELECT name FROM items WHERE id = ?", vec![1i64.into()]).unwrap()[0].text("name"), "z");
    t.db.ping().unwrap();
}

#[test]
fn mariadb_roundtrip() {
    roundtrip(Engine::MySql);
}

#[test]
fn postgres_roundtrip() {
    roundtrip(Engine::Postgres);
}

#[test]
fn unreachable_database_is_one_line_without_password() {
    for url in ["mysql://moodle:hunter2@127.0.0.1:1/moodle", "postgres://gl:hunter2@127.0.0.1:1/greenlight_production"] {
        let u: DbUrl = url.parse().unwrap();
        let db = Db::new(&u).unwrap();
        let e = db.ping().unwrap_err();
        let m = e.message.to_string();
        assert_eq!(e.kind, plugin_api::ErrorKind::CONNECT, "{m}");
        assert!(!m.contains("hunter2"), "{m}");
        assert!(!m.contains('\n'), "{m}");
        assert!(m.starts_with(&format!("cannot connect to database {} on 127.0.0.1:1 (", u.database)), "{m}");
        assert!(m.contains(":***@127.0.0.1:1/"), "{m}");
    }
}

#[test]
fn wrong_password_is_reported_without_it() {
    let mut u = bbb_migrate_db::testing::server_url(Engine::Postgres);
    u = format!("postgres://nosuchuser_x:hunter2@{}:{}/{}", u.host, u.port_or_default(), u.database).parse().unwrap();
    let e = Db::new(&u).unwrap().ping().unwrap_err();
    assert!(!e.message.contains("hunter2"), "{e}");
    assert!(e.message.contains("nosuchuser_x:***@"), "{e}");
}
