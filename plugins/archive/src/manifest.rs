//! `<recordID>/manifest.json`: what a recording's archive holds and how to check it; and the
//! progress log that lets an interrupted recording resume without verifying anything twice.
use crate::discover::Skipped;
use plugin_api::SinkItem;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub const FILE: &str = "manifest.json";
pub const VERSION: u32 = 1;

/// A stored, verified file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    /// Relative to the recording's folder: `<format>/<path as published>`.
    pub path: String,
    /// Where it was fetched from (empty for a rendered file).
    pub url: String,
    pub size: u64,
    pub sha256: String,
    pub verified_at: String,
}

/// A file looked for and absent on the server (404/410): recorded, not a failure.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Missing {
    pub path: String,
    pub url: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FormatEntry {
    pub format: String,
    /// The playback URL the source listed.
    pub url: String,
    /// The server folder its files came from.
    pub base: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OwnerEntry {
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub primary: bool,
    pub resolver: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub manifest_version: u32,
    pub record_id: String,
    pub meeting_id: String,
    pub internal_meeting_id: String,
    pub name: String,
    pub state: String,
    pub published: bool,
    pub start_time: String,
    pub end_time: String,
    pub participants: u32,
    pub source: String,
    pub metadata: BTreeMap<String, String>,
    pub owners: Vec<OwnerEntry>,
    /// True when no resolver knew the recording (owners = the configured fallback).
    pub fallback_owner: bool,
    pub formats: Vec<FormatEntry>,
    pub files: Vec<FileEntry>,
    pub missing: Vec<Missing>,
    pub skipped: Vec<Skipped>,
    pub notes: Vec<String>,
    pub total_bytes: u64,
    pub archived_at: String,
}

pub fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Manifest {
    /// The recording's facts; files, formats and notes are filled by the archiver.
    pub fn of(item: &SinkItem) -> Manifest {
        let r = &item.recording;
        Manifest {
            manifest_version: VERSION,
            record_id: r.record_id.to_string(),
            meeting_id: r.meeting_id.to_string(),
            internal_meeting_id: r.internal_meeting_id.to_string(),
            name: r.name.to_string(),
            state: r.state.to_string(),
            published: r.published,
            start_time: iso(r.start_ms),
            end_time: iso(r.end_ms),
            participants: r.participants,
            source: r.source.to_string(),
            metadata: r.metadata.iter().map(|kv| (kv.0.to_string(), kv.1.to_string())).collect(),
            owners: item
                .owners
                .iter()
                .map(|o| OwnerEntry {
                    username: o.username.to_string(),
                    email: o.email.to_string(),
                    first_name: o.first_name.to_string(),
                    last_name: o.last_name.to_string(),
                    primary: o.primary,
                    resolver: o.resolver.to_string(),
                    reason: o.reason.to_string(),
                })
                .collect(),
            fallback_owner: item.fallback,
            formats: Vec::new(),
            files: Vec::new(),
            missing: Vec::new(),
            skipped: Vec::new(),
            notes: Vec::new(),
            total_bytes: 0,
            archived_at: String::new(),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("a manifest always serialises");
        v.push(b'\n');
        v
    }

    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("not a manifest ({e})"))
    }
}

/// `<work_dir>/<recordID>.jsonl`: one line per file verified since the recording started,
/// synced line by line; removed once the manifest is written. A torn last line is ignored.
pub struct ProgressLog {
    path: PathBuf,
    file: Mutex<Option<std::fs::File>>,
}

impl ProgressLog {
    pub fn open(work_dir: &Path, record_id: &str) -> ProgressLog {
        ProgressLog { path: work_dir.join(format!("{record_id}.jsonl")), file: Mutex::new(None) }
    }

    /// What earlier runs verified, by path.
    pub fn load(&self) -> BTreeMap<String, FileEntry> {
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        text.lines().filter_map(|l| serde_json::from_str::<FileEntry>(l).ok()).map(|e| (e.path.clone(), e)).collect()
    }

    pub fn append(&self, e: &FileEntry) -> Result<(), String> {
        let io = |err: std::io::Error| format!("{}: {err}", self.path.display());
        let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let f = std::fs::OpenOptions::new().create(true).append(true).open(&self.path).map_err(io)?;
            // A torn line from a killed run: start on a fresh line.
            if f.metadata().map(|m| m.len()).unwrap_or(0) > 0 {
                let mut f2 = &f;
                f2.write_all(b"\n").map_err(io)?;
            }
            *guard = Some(f);
        }
        let f = guard.as_mut().expect("opened above");
        let mut line = serde_json::to_vec(e).expect("a file entry always serialises");
        line.push(b'\n');
        f.write_all(&line).map_err(io)?;
        f.sync_data().map_err(io)
    }

    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
