//! Helpers for the host's integration tests: build the plugins once, run the
//! real binary, write pipelines into temp folders.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

fn cargo(args: &[&str]) {
    let status = Command::new(env!("CARGO")).args(args).current_dir(root()).status().expect("cargo runs");
    assert!(status.success(), "cargo {args:?} failed");
}

/// `cargo test` does not build cdylib-only crates: build the workspace's
/// plugins once per test binary, so the binary finds them in its folder.
pub fn workspace_plugins() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| cargo(&["build", "--workspace", "--quiet"]));
}

/// The test-only plugins (own workspace), built into target/fixtures.
pub fn fixture_plugins() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let t = target().join("fixtures");
        let manifest = root().join("testing/fixture-plugins/Cargo.toml");
        cargo(&[
            "build",
            "--quiet",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--target-dir",
            t.to_str().unwrap(),
        ]);
        t.join("debug")
    })
    .clone()
}

pub fn bin() -> Command {
    workspace_plugins();
    let mut c = Command::new(env!("CARGO_BIN_EXE_bbb-migrate"));
    c.env_remove("BBB_MIGRATE_PLUGIN_PATH").env_remove("RUST_LOG");
    c
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("bbb-migrate runs")
}

pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

pub fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, content).unwrap();
    p
}

/// A getRecordings answer with `n` published recordings (ids `rec-0000`…).
pub fn recordings_xml(n: usize) -> String {
    let mut s = String::from("<response><returncode>SUCCESS</returncode><recordings>");
    for i in 0..n {
        s.push_str(&format!(
            "<recording><recordID>{:040x}-{}</recordID><meetingID>meeting-{i}</meetingID><name>Rec {i}</name>\
             <published>true</published><state>published</state><startTime>{}</startTime><endTime>{}</endTime>\
             <metadata><bbb-origin>Moodle</bbb-origin></metadata><playback><format><type>presentation</type>\
             <url>https://bbb.example/playback/presentation/2.3/{i}</url><length>1</length></format></playback></recording>",
            i,
            1_600_000_000_000u64 + i as u64,
            1_600_000_000_000u64 + i as u64,
            1_600_000_060_000u64 + i as u64
        ));
    }
    s.push_str("</recordings></response>");
    s
}

/// CSV data rows (header excluded) of a file.
pub fn csv_ids(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().skip(1).map(|l| l.split(',').next().unwrap().to_string()).collect()
}

/// Writes `r.xml` with `n` recordings and a pipeline `p.toml` reading it with
/// `bbb-cache`, plugins from the fixture folder, fallback `admin`: `head`
/// holds the top-level keys (journal, batch_size…), `body` the resolvers and
/// sinks. Returns the pipeline file's path.
pub fn fixture_pipeline(dir: &Path, n: usize, head: &str, body: &str) -> String {
    write(dir, "r.xml", &recordings_xml(n));
    let cfg = write(
        dir,
        "p.toml",
        &format!(
            "{head}\nplugin_dirs = [\"{}\"]\n[fallback]\nowner = \"admin\"\n\
             [[sources]]\ntype = \"bbb-cache\"\npath = \"r.xml\"\n{body}",
            fixture_plugins().display()
        ),
    );
    cfg.to_str().unwrap().to_string()
}
