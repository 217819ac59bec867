//! TLS to real servers: the second MariaDB (3307) and PostgreSQL (5433) that
//! `.ci/tls-databases` starts with certificates of a test CA, and the shared
//! servers (3306 has no TLS). Fails, never skips, when they are not there.
//!
//! Where a test must see what goes over the wire, a relay on 127.0.0.1 sits
//! between the client and the real server and keeps a copy of every byte the
//! client sends; the "downgrading" relay plays the attacker who answers
//! PostgreSQL's TLS request with "no".
use bbb_migrate_db::{Db, DbUrl};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

fn tls_dir() -> PathBuf {
    PathBuf::from(std::env::var("BBB_TLS_DIR").unwrap_or_else(|_| "/tmp/bbb-migrate-tls".into()))
}

fn port(var: &str, default: u16) -> u16 {
    std::env::var(var).ok().and_then(|p| p.parse().ok()).unwrap_or(default)
}

fn password() -> String {
    let f = tls_dir().join("password");
    std::fs::read_to_string(&f)
        .unwrap_or_else(|e| panic!("{}: {e} (the TLS test servers are started by .ci/tls-databases)", f.display()))
        .trim()
        .to_string()
}

fn ca(name: &str) -> String {
    tls_dir().join(name).display().to_string()
}

fn pg_url(host: &str, port: u16, query: &str) -> DbUrl {
    format!("postgres://bbb_tls:{}@{host}:{port}/bbb_tls{query}", password()).parse().unwrap()
}

fn my_url(host: &str, port: u16, query: &str) -> DbUrl {
    format!("mysql://bbb_tls:{}@{host}:{port}/bbb_tls{query}", password()).parse().unwrap()
}

fn pg_port() -> u16 {
    port("BBB_TLS_PG_PORT", 5433)
}

fn my_port() -> u16 {
    port("BBB_TLS_MYSQL_PORT", 3307)
}

/// Whether the session of `db` is encrypted, as the server sees it.
fn encrypted(db: &Db) -> bool {
    match db.engine() {
        bbb_migrate_db::Engine::Postgres => {
            let rows = db.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", vec![]).unwrap();
            rows[0].bool("ssl") == Some(true)
        }
        bbb_migrate_db::Engine::MySql => {
            let rows = db.query("SHOW SESSION STATUS LIKE 'Ssl_version'", vec![]).unwrap();
            !rows[0].text("Value").is_empty()
        }
    }
}

fn assert_refused_unknown_ca(url: DbUrl) {
    let e = Db::new(&url).and_then(|db| db.ping()).unwrap_err();
    let m = e.message.to_string();
    assert_eq!(m.lines().count(), 1, "{m}");
    assert!(m.contains(&format!("on 127.0.0.1:{}", url.port_or_default())), "{m}");
    assert!(m.contains("not signed by a trusted CA"), "{m}");
    assert!(!m.contains(&password()), "{m}");
}

#[test]
fn postgres_verify_full_with_the_ca_is_encrypted_and_an_unknown_ca_is_refused() {
    for host in ["127.0.0.1", "localhost"] {
        let url = pg_url(host, pg_port(), &format!("?sslmode=verify-full&sslrootcert={}", ca("ca.pem")));
        assert!(url.redacted().ends_with(&format!("/bbb_tls?sslmode=verify-full&sslrootcert={}", ca("ca.pem"))));
        let db = Db::new(&url).unwrap();
        db.ping().unwrap_or_else(|e| panic!("{host}: {e}"));
        assert!(encrypted(&db), "{host}");
    }
    let db =
        Db::new(&pg_url("127.0.0.1", pg_port(), &format!("?sslmode=verify-ca&sslrootcert={}", ca("ca.pem")))).unwrap();
    assert!(encrypted(&db));
    // require: encrypted, certificate not checked.
    let db = Db::new(&pg_url("127.0.0.1", pg_port(), "?sslmode=require")).unwrap();
    assert!(encrypted(&db));
    // The server takes this user over TLS only: without TLS it is turned away.
    let e = Db::new(&pg_url("127.0.0.1", pg_port(), "")).unwrap().ping().unwrap_err();
    assert!(e.message.contains("no encryption"), "{e}");
    // A certificate from a CA we do not trust (or no CA file: the web roots).
    assert_refused_unknown_ca(pg_url(
        "127.0.0.1",
        pg_port(),
        &format!("?sslmode=verify-full&sslrootcert={}", ca("other-ca.pem")),
    ));
    assert_refused_unknown_ca(pg_url("127.0.0.1", pg_port(), "?sslmode=verify-ca"));
    assert_refused_unknown_ca(pg_url(
        "127.0.0.1",
        pg_port(),
        &format!("?sslmode=require&sslrootcert={}", ca("other-ca.pem")),
    ));
}

#[test]
fn mysql_verify_identity_with_the_ca_is_encrypted_and_an_unknown_ca_is_refused() {
    for host in ["127.0.0.1", "localhost"] {
        let url = my_url(host, my_port(), &format!("?ssl-mode=VERIFY_IDENTITY&ssl-ca={}", ca("ca.pem")));
        let db = Db::new(&url).unwrap();
        db.ping().unwrap_or_else(|e| panic!("{host}: {e}"));
        assert!(encrypted(&db), "{host}");
    }
    for mode in ["REQUIRED", "PREFERRED", "VERIFY_CA"] {
        let q = if mode == "VERIFY_CA" {
            format!("?ssl-mode={mode}&ssl-ca={}", ca("ca.pem"))
        } else {
            format!("?ssl-mode={mode}")
        };
        let db = Db::new(&my_url("127.0.0.1", my_port(), &q)).unwrap();
        assert!(encrypted(&db), "{mode}");
    }
    // The user is REQUIRE SSL: without TLS the server refuses it.
    assert!(Db::new(&my_url("127.0.0.1", my_port(), "")).unwrap().ping().is_err());
    assert_refused_unknown_ca(my_url(
        "127.0.0.1",
        my_port(),
        &format!("?ssl-mode=VERIFY_IDENTITY&ssl-ca={}", ca("other-ca.pem")),
    ));
    assert_refused_unknown_ca(my_url(
        "127.0.0.1",
        my_port(),
        &format!("?ssl-mode=VERIFY_CA&ssl-ca={}", ca("other-ca.pem")),
    ));
}

#[test]
fn a_missing_or_bad_ca_file_is_named() {
    let e =
        Db::new(&pg_url("127.0.0.1", pg_port(), "?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")).unwrap_err();
    assert!(e.message.contains("/nonexistent/ca.pem: cannot read the CA file"), "{e}");
    let e = Db::new(&my_url(
        "127.0.0.1",
        my_port(),
        &format!("?ssl-mode=VERIFY_IDENTITY&ssl-ca={}", tls_dir().join("password").display()),
    ))
    .unwrap_err();
    assert!(e.message.contains("no certificate in the CA file"), "{e}");
}

/// A relay from a port of its own to `upstream`, keeping every byte the
/// client sends. `downgrade`: answer PostgreSQL's SSLRequest with `N` itself
/// (an attacker stripping TLS), then relay the rest.
fn relay(upstream: u16, downgrade: bool) -> (u16, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let keep = keep.clone();
            std::thread::spawn(move || {
                let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else { return };
                if downgrade {
                    let mut first = [0u8; 8];
                    if client.read_exact(&mut first).is_err() {
                        return;
                    }
                    keep.lock().unwrap().extend_from_slice(&first);
                    if first == [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f] {
                        let _ = client.write_all(b"N");
                    } else {
                        let _ = server.write_all(&first);
                    }
                }
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut s2, &mut c2);
                    let _ = c2.shutdown(std::net::Shutdown::Both);
                });
                let mut buf = [0u8; 4096];
                loop {
                    match client.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            keep.lock().unwrap().extend_from_slice(&buf[..n]);
                            if server.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                    }
                }
                let _ = server.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    (port, seen)
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn the_password_never_travels_in_clear_where_tls_was_asked() {
    let secret = "never-in-clear-7f3a";
    // MySQL: the shared server (3306) offers no TLS. REQUIRED stops before the login.
    let (p, seen) = relay(3306, false);
    let url: DbUrl = format!("mysql://root:{secret}@127.0.0.1:{p}/mysql?ssl-mode=REQUIRED").parse().unwrap();
    let e = Db::new(&url).unwrap().ping().unwrap_err();
    assert_eq!(e.message.lines().count(), 1, "{e}");
    assert!(e.message.contains(&format!("127.0.0.1:{p}")) && !e.message.contains(secret), "{e}");
    assert!(!contains(&seen.lock().unwrap(), "root"), "the login was sent without TLS");
    // PREFERRED falls back to a plain session there (that is what it means).
    let db = Db::new(&"mysql://root@127.0.0.1:3306/mysql?ssl-mode=PREFERRED".parse().unwrap()).unwrap();
    db.ping().unwrap();
    assert!(!encrypted(&db));

    // PostgreSQL: an attacker answers "no TLS"; require stops before the startup message.
    let (p, seen) = relay(5432, true);
    for mode in ["require", "verify-full"] {
        let url: DbUrl = format!("postgres://postgres:{secret}@127.0.0.1:{p}/postgres?sslmode={mode}").parse().unwrap();
        let e = Db::new(&url).unwrap().ping().unwrap_err();
        assert_eq!(e.message.lines().count(), 1, "{e}");
        assert!(e.message.contains(&format!("127.0.0.1:{p}")) && !e.message.contains(secret), "{e}");
    }
    assert!(!contains(&seen.lock().unwrap(), "postgres"), "the startup message was sent without TLS");

    // Over TLS (the relay sees the real handshake): neither the password nor the SQL is readable.
    for engine in ["postgres", "mysql"] {
        let (port, seen) = relay(if engine == "postgres" { pg_port() } else { my_port() }, false);
        let url = if engine == "postgres" {
            pg_url("127.0.0.1", port, "?sslmode=require")
        } else {
            my_url("127.0.0.1", port, "?ssl-mode=REQUIRED")
        };
        let db = Db::new(&url).unwrap();
        db.query("SELECT 'visible-if-plain' AS x", vec![]).unwrap();
        let bytes = seen.lock().unwrap().clone();
        assert!(!bytes.is_empty());
        assert!(
            !contains(&bytes, &password()) && !contains(&bytes, "visible-if-plain"),
            "{engine}: plain text on the wire"
        );
    }
}

#[test]
fn tls_parameters_are_checked_when_the_url_is_read() {
    let e = "postgres://u@h/db?sslmode=maybe".parse::<DbUrl>().unwrap_err();
    assert!(e.contains("sslmode `maybe`: use disable, prefer, require, verify-ca, verify-full"), "{e}");
    let e = "mysql://u:pw@h/db?sslmode=require".parse::<DbUrl>().unwrap_err();
    assert!(e.contains("takes `ssl-mode`") && !e.contains("pw"), "{e}");
    let u: DbUrl = "mariadb://u:pw@h/db?ssl-mode=required".parse().unwrap();
    assert_eq!(u.redacted(), "mariadb://u:***@h/db?ssl-mode=REQUIRED");
}
