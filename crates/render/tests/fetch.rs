//! `render_url`: the recording is served over HTTP by a small server on 127.0.0.1
//! (optional files answer 404), fetched, and rendered.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bbb_migrate_render::{render_url, RenderOptions};
use common::Media;

/// Requested paths and the status they got.
type RequestLog = Arc<Mutex<Vec<(String, u16)>>>;

/// Serves `root` under `/presentation/rec/`; returns the base URL and the request log.
fn serve(root: PathBuf) -> (String, RequestLog) {
    serve_flaky(root, &[])
}

/// The same, the paths in `flaky` answering 503 to their first request.
fn serve_flaky(root: PathBuf, flaky: &[&str]) -> (String, RequestLog) {
    let mut flaky: Vec<String> = flaky.iter().map(|s| s.to_string()).collect();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/presentation/rec/", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap() > 2 {
                line.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
            let rel = path.strip_prefix("/presentation/rec/").unwrap_or("");
            let file = root.join(rel);
            let (status, body) = match (rel.contains(".."), std::fs::read(&file)) {
                _ if flaky.iter().any(|f| f == rel) => {
                    flaky.retain(|f| f != rel);
                    (503, b"busy".to_vec())
                }
                (false, Ok(body)) => (200, body),
                _ => (404, b"not found".to_vec()),
            };
            log2.lock().unwrap().push((rel.to_string(), status));
            let head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(&body));
        }
    });
    (base, log)
}

#[test]
fn render_url_fetches_the_published_files_then_renders() {
    common::require_ffmpeg();
    let rec = tempfile::tempdir().unwrap();
    common::make_recording(
        rec.path(),
        Media { length: 10.0, webcams: true, audio_only: false, deskshare: false, slides: true },
    );
    std::fs::remove_file(rec.path().join("cursor.xml")).unwrap();
    let poll = r#"[{"timestamp": 2.5, "type": "YN", "question": "Ok?", "answers": [{"id": 0, "key": "Yes", "numVotes": 2}], "responders": 2}]"#;
    std::fs::write(rec.path().join("polls.json"), poll).unwrap();
    // Two files answer 503 once: retried within the fetch.
    let (base, log) = serve_flaky(rec.path().to_path_buf(), &["shapes.svg", "video/webcams.webm"]);
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("fetched.mp4");
    let report = render_url(&base, &out, &RenderOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!((common::duration(&out) - 10.0).abs() <= 0.1);
    assert!(common::has_stream(&out, "audio"));
    let log = log.lock().unwrap();
    let status = |p: &str| log.iter().rfind(|(r, _)| r == p).map(|e| e.1);
    let tries = |p: &str| log.iter().filter(|(r, _)| r == p).map(|e| e.1).collect::<Vec<_>>();
    assert_eq!(tries("shapes.svg"), vec![503, 200]);
    assert_eq!(tries("video/webcams.webm"), vec![503, 200]);
    assert_eq!(status("shapes.svg"), Some(200));
    assert_eq!(status("cursor.xml"), Some(404));
    assert_eq!(status("video/webcams.webm"), Some(200));
    assert_eq!(status(&format!("{}/slide-2.png", common::PRES)), Some(200));
    assert!(report.notes.iter().any(|n| n == "cursor.xml not on the server"), "{:?}", report.notes);
    // polls.json fetched and kept with the chat; external_videos.json absent is a note.
    assert_eq!(status("polls.json"), Some(200));
    assert!(report.notes.iter().any(|n| n == "external_videos.json not on the server"), "{:?}", report.notes);
    assert_eq!(report.polls, 1);
    let txt = std::fs::read_to_string(out.with_file_name("fetched.chat.txt")).unwrap();
    assert!(txt.starts_with("[0:00:02] Poll result: Question\n    Ok?\n    1: 2 ██████████ 100.0%\n"), "{txt}");
    // deskshare.xml has intervals but the server has no deskshare video.
    assert!(report.not_drawn.iter().any(|n| n.contains("screen share")), "{:?}", report.not_drawn);
}

#[test]
fn render_url_without_shapes_svg_names_the_url() {
    let empty = tempfile::tempdir().unwrap();
    let (base, _) = serve(empty.path().to_path_buf());
    let out = empty.path().join("x.mp4");
    let err = render_url(&base, &out, &RenderOptions::default()).unwrap_err().to_string();
    assert_eq!(err, format!("{base}shapes.svg: not found (404)"));
    assert!(!out.exists());
}

/// An HTTPS server (certificate from a CA made now) answering 404 to everything; returns its
/// base URL and the CA's PEM.
fn serve_tls_404() -> (String, String) {
    let ca = bbb_testserver::TestCa::generate();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("https://{}/presentation/rec/", listener.local_addr().unwrap());
    let config = ca.config.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            let Ok(conn) = rustls::ServerConnection::new(config.clone()) else { continue };
            let mut tls = rustls::StreamOwned::new(conn, stream);
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                match std::io::Read::read(&mut tls, &mut byte) {
                    Ok(1) => head.push(byte[0]),
                    _ => break,
                }
            }
            let _ = tls.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    (base, ca.ca_pem)
}

#[test]
fn https_with_an_own_ca_needs_its_ca_file() {
    let (base, ca_pem) = serve_tls_404();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.mp4");
    let opts = RenderOptions::default();
    // Unknown CA: refused, one line naming the URL.
    let err = bbb_migrate_render::render_url_trusting(&base, &out, &opts, None).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{base}shapes.svg: ")) && err.contains("certificate"), "{err}");
    assert!(!err.contains('\n'));
    // With the CA the TLS session is set up: the server's own answer (404) comes through.
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let err = bbb_migrate_render::render_url_trusting(&base, &out, &opts, Some(&ca)).unwrap_err().to_string();
    assert_eq!(err, format!("{base}shapes.svg: not found (404)"));
    assert!(!out.exists());
}
