//! Pod's facts the claim directory relies on: the extensions its recorder
//! cron accepts, the `recorder_recorder` row and its folder, the length of
//! `recorder_recordingfiletreatment.file`, the claim file's name, and where a
//! presentation's published files are.
use crate::pod;
use bbb_migrate_db::{Db, Param, TxMode};
use plugin_api::sdk::ids::safe_file_name;
use plugin_api::{PluginError, Recording};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The recorder the files go to, read from Pod.
#[derive(Clone, Debug)]
pub struct Recorder {
    pub id: i64,
    pub directory: String,
    pub recording_type: String,
    pub manager: Option<i64>,
    /// `<recorder_path>/<directory>`, as Pod computes it (not canonicalised).
    pub dir: PathBuf,
    /// `recorder_recordingfiletreatment.file` length (100 before Pod 4.0.1, 200 since).
    pub file_max: usize,
}

/// Pod's VIDEO_ALLOWED_EXTENSIONS: the files its recorder cron looks at.
pub const POD_VIDEO_EXTENSIONS: &[&str] = &[
    "3gp", "avi", "divx", "flv", "m2p", "m4v", "mkv", "mov", "mp4", "mpeg", "mpg", "mts", "wmv", "mp3", "ogg", "wav",
    "wma", "webm", "ts",
];

/// Shortest room left for the meeting-name part of a file name.
pub const MIN_NAME_ROOM: usize = 8;

/// The claim file name: `<safe meeting name>_<YYYY-MM-DD>_<8 hex of sha256(recordID)>.<ext>`,
/// at most `max_chars` long (ASCII). Unlike the reference script's
/// `slugify(name[:40] + date)`, two recordings never share a name.
pub fn claim_file_name(rec: &Recording, ext: &str, max_chars: usize) -> Option<String> {
    let date = chrono::DateTime::from_timestamp_millis(rec.start_ms).unwrap_or_default().format("%Y-%m-%d");
    let hash: String = Sha256::digest(rec.record_id.as_bytes()).iter().take(4).map(|b| format!("{b:02x}")).collect();
    let suffix = format!("_{date}_{hash}.{ext}");
    let room = max_chars.checked_sub(suffix.len()).filter(|r| *r >= 1)?;
    Some(format!("{}{suffix}", safe_file_name(rec.name.trim(), room)))
}

/// The extension of a URL's file, if Pod accepts it.
pub fn pod_extension(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let last = path.rsplit('/').next()?;
    let ext = last.rsplit_once('.')?.1.to_ascii_lowercase();
    POD_VIDEO_EXTENSIONS.contains(&ext.as_str()).then_some(ext)
}

/// `https://host/presentation/<recordID>/` from a presentation playback URL.
pub fn presentation_base(playback_url: &str, record_id: &str) -> Option<String> {
    let u = reqwest::Url::parse(playback_url.trim()).ok()?;
    let host = u.host_str()?;
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    Some(format!("{}://{host}{port}/presentation/{record_id}/", u.scheme()))
}

/// Reads recorder `id` from Pod and checks its directory under `recorder_path`.
pub fn read(db: &Db, recorder_path: &Path, id: i64) -> Result<Recorder, PluginError> {
    let (row, file_max) = db.transaction(TxMode::ReadOnly, move |tx| {
        Box::pin(async move {
            for t in ["recorder_recorder", "recorder_recordingfiletreatment", "recorder_recording"] {
                pod::require_table(tx, t).await?;
            }
            let rows = tx
                .query(
                    "SELECT id, directory, recording_type, user_id FROM recorder_recorder WHERE id = ?",
                    vec![Param::Int(id)],
                )
                .await?;
            let max = pod::column_max_len(tx, "recorder_recordingfiletreatment", "file").await?;
            Ok((rows.into_iter().next(), max))
        })
    })?;
    let db = db.url().redacted();
    let row = row.ok_or_else(|| {
        PluginError::config("recorder_id", format!("recorder_id {id}: no recorder_recorder row with that id in {db}"))
    })?;
    let directory = row.text("directory");
    if directory.is_empty() || directory == "." || directory == ".." || directory.contains(['/', '\\', '\0']) {
        return Err(PluginError::data(format!(
            "recorder {id} in {db}: directory `{}` is not a single folder name",
            directory.escape_default()
        )));
    }
    let dir = recorder_path.join(&directory);
    if !dir.is_dir() {
        return Err(PluginError::config(
            "recorder_path",
            format!("{}: directory of recorder {id} does not exist (create it, or fix recorder_path)", dir.display()),
        ));
    }
    let file_max = file_max.map(|n| n as usize).unwrap_or(100);
    let room = file_max.saturating_sub(dir.to_string_lossy().chars().count() + 1);
    if room < MIN_NAME_ROOM + "_YYYY-MM-DD_12345678.webm".len() {
        return Err(PluginError::config(
            "recorder_path",
            format!(
                "{}: too long for recorder_recordingfiletreatment.file varchar({file_max}) once a file name is added",
                dir.display()
            ),
        ));
    }
    Ok(Recorder {
        id,
        directory,
        recording_type: row.text("recording_type"),
        manager: row.int("user_id"),
        dir,
        file_max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_bounded_and_distinct() {
        let mut r = Recording {
            record_id: "bc04628ab61776c9f65c695dc59f36abf8955bbc-1504087272607".into(),
            name: "Cours magistral; PHYS101 \"intro\" élèves".into(),
            start_ms: 1_504_087_272_607,
            ..Default::default()
        };
        let n = claim_file_name(&r, "m4v", 100).unwrap();
        assert!(n.starts_with("Cours_magistral_PHYS101_intro_l_ves_2017-08-30_"), "{n}");
        assert!(n.ends_with(".m4v"));
        r.record_id = "bc04628ab61776c9f65c695dc59f36abf8955bbc-1504087272608".into();
        assert_ne!(claim_file_name(&r, "m4v", 100).unwrap(), n);
        r.name = format!("../../etc/passwd \"'{}🎓", "x".repeat(300)).into();
        let n = claim_file_name(&r, "webm", 60).unwrap();
        assert_eq!(n.len(), 60);
        assert!(!n.contains('/') && !n.contains("..") && n.is_ascii(), "{n}");
        assert!(claim_file_name(&r, "webm", 25).is_none());
    }

    #[test]
    fn extensions_and_bases() {
        assert_eq!(pod_extension("https://h/video/x/video-0.M4V?t=1").as_deref(), Some("m4v"));
        assert_eq!(pod_extension("https://h/video/x/"), None);
        assert_eq!(pod_extension("https://h/video/x/a.exe"), None);
        assert_eq!(
            presentation_base("https://bbb.example.org:8443/playback/presentation/2.3/abc-1", "abc-1").as_deref(),
            Some("https://bbb.example.org:8443/presentation/abc-1/")
        );
    }
}
