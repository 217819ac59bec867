//! Published recordings on the real local file server, and the sink built as the host would.
// Not every test file uses every helper.
#![allow(dead_code, unused_imports)]
use bbb_migrate_archive::ArchiveSink;
use bbb_testserver::files::FileServer;
pub use bbb_testserver::published::{publish_full, tree, PRES};
use plugin_api::abi_stable::std_types::RVec;
use plugin_api::{Owner, Playback, Recording, SinkItem};
use sha2::{Digest, Sha256};
use std::path::Path;

pub fn sha256(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

pub fn recording(server: &FileServer, id: &str, formats: &[&str]) -> Recording {
    let playback = formats
        .iter()
        .map(|f| {
            let url = match *f {
                "presentation" => format!("{}/playback/presentation/2.0/playback.html?meetingId={id}", server.base),
                "video" => format!("{}/playback/video/{id}/", server.base),
                "podcast" => format!("{}/podcast/{id}/audio.ogg", server.base),
                other => format!("{}/{other}/{id}/", server.base),
            };
            Playback { format: (*f).into(), url: url.into(), size_bytes: 1_000_000, ..Default::default() }
        })
        .collect::<Vec<_>>();
    Recording {
        record_id: id.into(),
        meeting_id: format!("meeting-{id}").into(),
        internal_meeting_id: id.into(),
        name: "Cours d'été".into(),
        start_ms: 1_598_187_947_041,
        end_ms: 1_598_188_200_000,
        state: "published".into(),
        published: true,
        playback: playback.into(),
        ..Default::default()
    }
}

pub fn item(rec: Recording) -> SinkItem {
    let owner = Owner::new("jdupont", "jean.dupont@univ.example", "Jean", "Dupont").found_by("moodle", "creator");
    SinkItem { recording: rec, owners: RVec::from(vec![owner]), fallback: false }
}

/// The sink, built from TOML-like JSON settings with `target` = `root`.
pub fn sink(dir: &Path, settings: serde_json::Value, dry_run: bool) -> ArchiveSink {
    let (ctx, _log) = bbb_testserver::ctx("archive", dir, dry_run);
    plugin_api::sdk::testing::sink::<ArchiveSink>(&settings.to_string(), ctx).unwrap()
}

pub fn verifier(dir: &Path, settings: serde_json::Value) -> ArchiveSink {
    let (ctx, _log) = bbb_testserver::ctx("archive", dir, true);
    plugin_api::sdk::testing::sink::<ArchiveSink>(&settings.to_string(), ctx.with_extra_json(r#"{"command":"verify"}"#))
        .unwrap()
}
