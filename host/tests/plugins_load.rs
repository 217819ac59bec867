//! Loading real `.so` plugins, refusing incompatible ones, panics at the boundary,
//! and a plugin doing real async I/O on its own runtime.
mod common;
use common::*;
use std::io::Write;

#[test]
fn plugins_lists_every_plugin_from_its_so_file() {
    let o = run(&["plugins"]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    for (name, kind, ty, file) in [
        ("bbb-cache", "source", "bbb-cache", "libbbb_migrate_bbb_cache.so"),
        ("csv", "sink", "csv", "libbbb_migrate_csv.so"),
        ("prefix-table", "resolver", "prefix-table", "libprefix_resolver.so"),
    ] {
        let line = out
            .lines()
            .find(|l| l.starts_with(name) && l.contains(file))
            .unwrap_or_else(|| panic!("{name} missing in:\n{out}"));
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(&cols[..5], &[name, kind, ty, "0.1.0", plugin_api::ABI_VERSION], "{line}");
    }
}

#[test]
fn a_plugin_built_for_another_abi_is_refused_in_one_line() {
    let dir = fixture_plugins();
    let o = run(&["plugins", "--plugin-dir", dir.to_str().unwrap()]);
    let out = text(&o);
    let line = out.lines().find(|l| l.contains("libabi_v2_plugin.so")).expect("the fixture is listed");
    assert!(line.starts_with("REFUSED"), "{line}");
    assert!(
        line.contains("plugin-api 2.0.0") && line.contains(&format!("plugin-api {}", plugin_api::ABI_VERSION)),
        "{line}"
    );

    // Pinned with `plugin =`, it stops the run with exit 2 and the same line.
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "r.xml", &recordings_xml(1));
    let so = dir.join("libabi_v2_plugin.so");
    let cfg = write(
        t.path(),
        "p.toml",
        &format!(
            "[fallback]\nowner = \"admin\"\n[[sources]]\ntype = \"bbb-cache\"\nplugin = \"{}\"\npath = \"r.xml\"\n",
            so.display()
        ),
    );
    let o = run(&["run", "--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("libabi_v2_plugin.so") && err.contains("2.0.0") && err.contains(plugin_api::ABI_VERSION),
        "{err}"
    );
    assert!(!t.path().join("state.db").exists());
}

#[test]
fn a_source_doing_real_async_tcp_io_on_its_own_runtime() {
    let dir = fixture_plugins();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Serves three concurrent connections, each a different slice of recordings.
    let server = std::thread::spawn(move || {
        let mut conns = Vec::new();
        for _ in 0..3 {
            conns.push(listener.accept().unwrap().0);
        }
        // All three are open at once: the plugin connected concurrently.
        for (i, mut c) in conns.into_iter().enumerate() {
            for j in 0..4 {
                writeln!(c, "r{i}x{j},{},Meeting {i}.{j}", 1_000 + i * 10 + j).unwrap();
            }
        }
    });
    let t = tempfile::tempdir().unwrap();
    let cfg = write(
        t.path(),
        "p.toml",
        &format!(
            "[fallback]\nowner = \"admin\"\n[[sources]]\ntype = \"tcp-lines\"\naddr = \"{addr}\"\nconnections = 3\n\
         [[sinks]]\ntype = \"csv\"\npath = \"out.csv\"\n"
        ),
    );
    let o = run(&["run", "--config", cfg.to_str().unwrap(), "--plugin-dir", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    server.join().unwrap();
    let mut ids = csv_ids(&t.path().join("out.csv"));
    assert_eq!(ids.len(), 12);
    // Stable order: newest start first.
    assert_eq!(ids[0], "r2x3");
    ids.sort();
    assert_eq!(ids.first().unwrap(), "r0x0");
}

#[test]
fn a_panicking_plugin_fails_its_recordings_not_the_process() {
    let dir = fixture_plugins();
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "r.xml", &recordings_xml(3));
    let cfg = write(
        t.path(),
        "p.toml",
        "[fallback]\nowner = \"admin\"\n[[sources]]\ntype = \"bbb-cache\"\npath = \"r.xml\"\n\
         [[sinks]]\nname = \"boom\"\ntype = \"probe\"\nlog = \"probe.log\"\npanic = true\n\
         [[sinks]]\ntype = \"csv\"\npath = \"out.csv\"\n",
    );
    let o = run(&["run", "--config", cfg.to_str().unwrap(), "--plugin-dir", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("plugin panicked in write: probe sink asked to panic"), "{out}");
    // The other sink still delivered everything.
    assert_eq!(csv_ids(&t.path().join("out.csv")).len(), 3);
    // The failures are journaled and retried: status exits 1 and lists them.
    let o = run(&["status", "--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o).matches("FAILED").count(), 3, "{}", text(&o));
}

#[test]
fn a_plugin_file_anyone_can_write_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    workspace_plugins();
    let t = tempfile::tempdir().unwrap();
    let exe_dir = std::path::Path::new(env!("CARGO_BIN_EXE_bbb-migrate")).parent().unwrap().to_path_buf();
    let so = t.path().join("libcopied.so");
    std::fs::copy(exe_dir.join("libbbb_migrate_csv.so"), &so).unwrap();
    std::fs::set_permissions(&so, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = text(&run(&["plugins", "--plugin-dir", t.path().to_str().unwrap()]));
    let line = out.lines().find(|l| l.contains("libcopied.so")).expect("listed");
    assert!(line.starts_with("REFUSED") && line.contains("writable by anyone"), "{line}");
}
