//! Helpers of the end-to-end tests (`tests/`): the real `bbb-migrate` binary with
//! the workspace's plugins beside it, its output, and listings that point at the
//! local media server. The tests need the test PostgreSQL and MariaDB servers
//! (`bbb_migrate_db::testing`) and, for the renderer, ffmpeg.
use bbb_testserver::files::FileServer;
use bbb_testserver::published::media_bytes;
use std::path::PathBuf;
use std::process::{Command, Output};

/// Every plugin the end-to-end tests load.
const PLUGINS: &[&str] = &[
    "bbb-migrate-bbb",
    "bbb-migrate-bbb-cache",
    "bbb-migrate-csv",
    "bbb-migrate-pod-sinks",
    "bbb-migrate-moodle",
    "bbb-migrate-moodle-notice",
    "bbb-migrate-archive",
];

/// The host binary, built once per test binary with [`PLUGINS`] beside it
/// (`cargo test` does not build cdylib-only crates).
pub fn host() -> PathBuf {
    static ONCE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| bbb_testserver::host_binary(PLUGINS)).clone()
}

/// `bbb-migrate` with no plugin path from the environment: it loads the plugins beside it.
pub fn bbb_migrate() -> Command {
    let mut c = Command::new(host());
    c.env_remove("BBB_MIGRATE_PLUGIN_PATH");
    c
}

/// Standard output then standard error, as text.
pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A saved `getRecordings` answer of `n` published recordings with a `video`
/// playback each, served by `media` (page and `video-0.webm` of
/// `size_base + i` bytes); returns the XML.
pub fn video_listing(media: &FileServer, n: u8, size_base: usize) -> String {
    let mut xml = String::from("<response><returncode>SUCCESS</returncode><recordings>");
    for i in 0..n {
        let id = format!("{:040x}-{}", i, 1_700_000_000_000u64 + i as u64);
        media.put(&format!("/playback/video/{id}/"), b"<video><source src=\"video-0.webm\"></video>");
        media.put(&format!("/playback/video/{id}/video-0.webm"), &media_bytes(size_base + i as usize, i));
        xml.push_str(&format!(
            "<recording><recordID>{id}</recordID><meetingID>m-{i}</meetingID><internalMeetingID>{id}</internalMeetingID>\
             <name>Réunion {i}</name><published>true</published><state>published</state>\
             <startTime>{}</startTime><endTime>{}</endTime><metadata></metadata>\
             <playback><format><type>video</type><url>{}/playback/video/{id}/</url><length>1</length></format></playback></recording>",
            1_700_000_000_000u64 + i as u64,
            1_700_000_060_000u64 + i as u64,
            media.base
        ));
    }
    xml.push_str("</recordings></response>");
    xml
}
