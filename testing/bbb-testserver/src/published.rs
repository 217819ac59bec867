//! What a BBB server publishes, put on a [`FileServer`]: a whole recording in every
//! format ([`publish_full`]), a folder as is ([`serve_tree`]), deterministic media
//! bytes; and [`tree`], to list what a sink wrote. Shared by the sinks' tests and the
//! end-to-end tests (`testing/e2e`).
use crate::files::FileServer;
use plugin_api::sdk::testing::testdata;
use std::path::Path;

/// The presentation id (the uploaded document) of [`publish_full`]'s recordings.
pub const PRES: &str = "f317f2ac335e836cba0b100d1cca01c8497dd885-1598187947041";

/// `n` deterministic bytes, different per seed, that look like nothing in particular.
pub fn media_bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| ((i * 31 + seed as usize * 7 + i / 251) % 253) as u8).collect()
}

/// What a published recording holds: path below the server root → bytes.
pub type Published = Vec<(String, Vec<u8>)>;

/// Publishes recording `id` on `server`: a BBB 2.2 presentation (the featuredemo
/// documents of testdata/) with its slide images, texts, thumbnails, one caption of two,
/// webcams as webm, screen share as mp4; a video format (player page) and a podcast.
/// Returns every file put.
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
        files.push((format!("{p}/presentation/{PRES}/slide-{n}.png"), media_bytes(20_000 + n as usize, n)));
        files.push((format!("{p}/presentation/{PRES}/thumbnails/thumb-{n}.png"), media_bytes(3_000, 10 + n)));
        files.push((format!("{p}/presentation/{PRES}/textfiles/slide-{n}.txt"), format!("slide {n}").into_bytes()));
    }
    files.push((format!("{p}/presentation/deskshare.png"), media_bytes(1_000, 40)));
    files.push((format!("{p}/video/webcams.webm"), media_bytes(600_000, 41)));
    files.push((format!("{p}/deskshare/deskshare.mp4"), media_bytes(300_000, 42)));
    let v = format!("/playback/video/{id}");
    files.push((
        format!("{v}/index.html"),
        b"<html><head><link rel=\"stylesheet\" href=\"css/player.css\"></head><body><video><source src=\"video-0.m4v\" type=\"video/mp4\"></video></body></html>".to_vec(),
    ));
    files.push((format!("{v}/css/player.css"), b"video{width:100%}".to_vec()));
    files.push((format!("{v}/video-0.m4v"), media_bytes(400_000, 43)));
    files.push((format!("/podcast/{id}/audio.ogg"), media_bytes(200_000, 44)));
    for (path, body) in &files {
        server.put(path, body);
    }
    files
}

/// Serves every file below `dir` at `<prefix>/<relative path>`.
pub fn serve_tree(server: &FileServer, dir: &Path, prefix: &str) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        let name = format!("{prefix}/{}", p.file_name().unwrap().to_string_lossy());
        if p.is_dir() {
            serve_tree(server, &p, &name);
        } else {
            server.put(&name, &std::fs::read(&p).unwrap());
        }
    }
}

/// Every file below `dir`, relative, sorted (none when `dir` does not exist).
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
