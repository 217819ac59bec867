//! Archive throughput on loopback: the local file server (bbb-testserver) serves one
//! recording's `video` format with FILES generated files of SIZE MiB each; the `archive`
//! sink copies them to a folder (streamed, hashed, synced, re-read unless `--verify size`).
//! Prints the aggregate MB/s (wall clock), the CPU time of the whole process (server
//! included), the rate two fully available cores would give at that CPU cost
//! (2 × bytes / CPU seconds: an upper bound, load-independent), the peak RSS and the
//! machine's load average.
//!
//! With `--s3 http://127.0.0.1:9900` the target is a new bucket on that S3-compatible server
//! (moto in the tests: keys `testing`), instead of a folder; the server's own CPU time is
//! not in the figures (another process).
//!
//! `cargo run --release -p bbb-migrate-archive-bench -- FILES SIZE_MIB
//!  [--concurrency 8] [--max-mbps 0] [--verify reread|size] [--dir D] [--s3 ENDPOINT]`
use bbb_migrate_archive::ArchiveSink;
use bbb_testserver::files::FileServer;
use plugin_api::sdk::SinkPlugin;
use plugin_api::{Owner, Playback, Recording, SinkItem};
use std::time::Instant;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// User + system CPU seconds of the whole process so far.
fn cpu_s() -> f64 {
    // SAFETY: rusage is plain old data: all-zero is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().next().unwrap_or("?").to_string()
}

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| default.into())
}

/// An unsigned `PUT /bucket` (moto accepts it).
fn create_bucket(endpoint: &str, bucket: &str) {
    use std::io::{Read, Write};
    let hostport = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut c = std::net::TcpStream::connect(hostport).unwrap_or_else(|e| panic!("--s3 {endpoint}: {e}"));
    write!(c, "PUT /{bucket} HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .expect("bucket request");
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 200"), "cannot create bucket {bucket}: {}", out.lines().next().unwrap_or(""));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let files: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(16);
    let size_mib: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(64);
    let concurrency: usize = arg(&args, "--concurrency", "8").parse().expect("--concurrency N");
    let max_mbps: f64 = arg(&args, "--max-mbps", "0").parse().expect("--max-mbps X");
    let verify = arg(&args, "--verify", "reread");
    let base_dir = arg(&args, "--dir", &std::env::temp_dir().to_string_lossy());
    let s3 = arg(&args, "--s3", "");

    let server = FileServer::start();
    let id = "be0c4bebe0c4bebe0c4bebe0c4bebe0c4bebe0c4-1700000000000";
    let mut html = String::from("<html><body><video>");
    for i in 0..files {
        server.put_generated(&format!("/playback/video/{id}/f-{i}.bin"), size_mib << 20);
        html.push_str(&format!("<source src=\"f-{i}.bin\">"));
    }
    html.push_str("</video></body></html>");
    server.put(&format!("/playback/video/{id}/index.html"), html.as_bytes());

    let dir = tempfile::Builder::new().prefix("archive-bench-").tempdir_in(&base_dir).expect("temporary folder");
    let mut settings = serde_json::json!({
        "target": dir.path().join("archive"), "concurrency": concurrency, "max_mbps": max_mbps,
        "verify": verify, "min_free_bytes": 0,
    });
    if !s3.is_empty() {
        let bucket = format!("archive-bench-{}", std::process::id());
        create_bucket(&s3, &bucket);
        settings["target"] = format!("s3://{bucket}").into();
        settings["endpoint"] = s3.clone().into();
        settings["access_key_id"] = "testing".into();
        settings["secret_access_key"] = "testing".into();
    }
    let (ctx, _log) = bbb_testserver::ctx("bench", dir.path(), false);
    let sink = plugin_api::sdk::testing::sink::<ArchiveSink>(&settings.to_string(), ctx).expect("settings");
    sink.prepare().expect("prepare");
    let rec = Recording {
        record_id: id.into(),
        state: "published".into(),
        published: true,
        playback: vec![Playback {
            format: "video".into(),
            url: format!("{}/playback/video/{id}/", server.base).into(),
            ..Default::default()
        }]
        .into(),
        ..Default::default()
    };
    let item = SinkItem { recording: rec, owners: vec![Owner::new("bench", "", "", "")].into(), fallback: false };
    let (started, cpu0) = (Instant::now(), cpu_s());
    let out = sink.write(&[item]).expect("write");
    let (secs, cpu) = (started.elapsed().as_secs_f64(), cpu_s() - cpu0);
    assert_eq!(out[0].status.label(), "done", "{}", out[0].detail);
    let total = files as f64 * (size_mib << 20) as f64;
    println!(
        "| {files} × {size_mib} MiB{} | {concurrency} | {} | {verify} | {:.2} s | {:.0} MB/s | {:.1} s | {:.0} MB/s | {:.1} MiB | {} |",
        if s3.is_empty() { String::new() } else { " (S3: moto)".into() },
        if max_mbps > 0.0 { format!("{max_mbps} Mbit/s") } else { "none".into() },
        secs,
        total / secs / 1e6,
        cpu,
        2.0 * total / cpu / 1e6,
        peak_rss_mib(),
        load_average()
    );
}
