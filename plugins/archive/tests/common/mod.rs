//! Published recordings on the real local file server, and the sink built as the host would.
#![allow(dead_code)]
use bbb_migrate_archive::ArchiveSink;
use bbb_testserver::files::FileServer;
use plugin_api::abi_stable::std_types::RVec;
use plugin_api::sdk::testing::testdata;
use plugin_api::{Owner, Playback, Recording, SinkItem};
use sha2::{Digest, Sha256};
use std::path::Path;

pub const PRES: &str = "f317f2ac335e836cba0b100d1cca01c8497dd885-1598187947041";

pub fn sha256(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

/// Deterministic bytes, different per seed.
pub fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| ((i * 31 + seed as usize * 7 + i / 251) % 253) as u8).collect()
}

/// What a published recording holds: path below the server root → bytes.
pub type Published = Vec<(String, Vec<u8>)>;

/// A BBB 2.2 presentation (the featuredemo documents of testdata/) with its slide images,
/// texts, thumbnails, one caption of two, webcams as webm, screen share as mp4; a video
/// format (player page) and a podcast.
pub fn publish_full(server: &FileServer, id: &str) -> Published {
    let demo = testdata("presentation/bbb22-featuredemo");
    let mut files: Published = Vec::new();
    let p = format!("/presentation/{id}");
    for doc in ["metadata.xml", "shapes.svg", "panzooms.xml", "cursor.xml", "deskshare.xml", "captions.json"] {
        files.push((format!("{p}/{doc}"), std::fs::read(demo.join(doc)).unwrap()));
    }
    files.push((
        format!("{p}/slides_new.xml"),
        b"<popcorn><chattimeline in=\"1\" name=\"A\" message=\"hi\" target=\"chat\"/></popcorn>".to_vec(),
    ));
    files.push((format!("{p}/polls.json"), b"[]".to_vec()));
    files.push((format!("{p}/caption_de.vtt"), b"WEBVTT\n\n00:00.000 --> 00:01.000\nHallo\n".to_vec()));
    for n in 1..=3u8 {
        files.push((format!("{p}/presentation/{PRES}/slide-{n}.png"), bytes(20_000 + n as usize, n)));
        files.push((format!("{p}/presentation/{PRES}/thumbnails/thumb-{n}.png"), bytes(3_000, 10 + n)));
        files.push((format!("{p}/presentation/{PRES}/textfiles/slide-{n}.txt"), format!("slide {n}").into_bytes()));
    }
    files.push((format!("{p}/presentation/deskshare.png"), bytes(1_000, 40)));
    files.push((format!("{p}/video/webcams.webm"), bytes(600_000, 41)));
    files.push((format!("{p}/deskshare/deskshare.mp4"), bytes(300_000, 42)));
    let v = format!("/playback/video/{id}");
    files.push((
        format!("{v}/index.html"),
        b"<html><head><link rel=\"stylesheet\" href=\"css/player.css\"></head><body><video><source src=\"video-0.m4v\" type=\"video/mp4\"></video></body></html>".to_vec(),
    ));
    files.push((format!("{v}/css/player.css"), b"video{width:100%}".to_vec()));
    files.push((format!("{v}/video-0.m4v"), bytes(400_000, 43)));
    files.push((format!("/podcast/{id}/audio.ogg"), bytes(200_000, 44)));
    for (path, body) in &files {
        server.put(path, body);
    }
    files
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

/// Every file below `dir`, relative, sorted.
pub fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}
