//! Benchmark (not a test): lists N recordings (default 20 000) from the local
//! test server whose cost is quadratic without recordID filters, once like the
//! reference script (one unpaged getRecordings, SHA-1, whole answer buffered)
//! and once with the `bbb` source's strategy. Each client runs in its own
//! child process so its peak memory (VmHWM) is its own.
//!
//! `cargo run --release -p bbb-migrate-bbb-bench [-- N COST_NS RENDER_NS]`
use bbb_migrate_bbb::{api, Flavour};
use bbb_testserver::{dataset, Flavour as Server, Options, TestServer};
use plugin_api::sdk::runtime::block_on;
use plugin_api::sdk::SourcePlugin;
use std::process::Command;
use std::time::{Duration, Instant};

const SECRET: &str = "bench-secret-0123456789";

fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse().unwrap_or(0))
        })
        .unwrap_or(0)
}

/// Child: run one client, print `RESULT <seconds> <recordings> <VmHWM kB> <client requests>`.
fn child(mode: &str, url: &str, extra: &str) {
    let t = Instant::now();
    let (n, requests) = match mode {
        "reference" => {
            // Esup-Pod's migrate_bbb_recordings: one call, checksum sha1("getRecordings" + secret),
            // the whole answer in memory, then a parse of everything.
            let full = format!(
                "{url}api/getRecordings?checksum={}",
                api::Checksum::Sha1.hex(&format!("getRecordings{SECRET}"))
            );
            let body = block_on(async move {
                let client = reqwest::Client::builder().timeout(Duration::from_secs(3600)).build().unwrap();
                client.get(full).send().await.unwrap().bytes().await.unwrap()
            });
            let (recs, _, env) = bbb_xml::parse_all(&body[..]).expect("reference parse");
            assert!(env.is_success());
            (recs.len(), 1)
        }
        _ => {
            let dir = std::env::temp_dir();
            let (ctx, _log) = bbb_testserver::ctx("bench", &dir, false);
            let cfg = format!(r#"{{"url":"{url}","secret":"{SECRET}","resolve_video":false{extra}}}"#);
            let src = Flavour::Bbb.source(&cfg, ctx).expect("config");
            let mut n = 0;
            while let Some(b) = src.next_batch(1000).expect("listing") {
                n += b.recordings.len();
            }
            (n, api::Stats::get(&src.stats().requests))
        }
    };
    println!("RESULT {:.3} {n} {} {requests}", t.elapsed().as_secs_f64(), vm_hwm_kb());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        return child(&args[2], &args[3], args.get(4).map(String::as_str).unwrap_or(""));
    }
    if args.get(1).map(String::as_str) == Some("--serve") {
        // A test server to try a pipeline by hand: `bbb-bench --serve bbb22|bbb26|bbb27|scalelite N`.
        let flavour = match args.get(2).map(String::as_str) {
            Some("bbb26") => Server::Bbb26,
            Some("bbb27") => Server::Bbb27,
            Some("scalelite") => Server::Scalelite,
            _ => Server::Bbb22,
        };
        let n = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1000);
        let server = TestServer::start(Options::new(flavour, SECRET), dataset(n));
        println!("url = \"{}\"\nsecret = \"{SECRET}\"", server.url());
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let cost_ns: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(50);
    let render_ns: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    println!(
        "{n} recordings; server cost {cost_ns} ns per (requested ID × directory) comparison (N² = {:.1} s without IDs) + {} µs per recording rendered\n",
        (n as f64).powi(2) * cost_ns as f64 / 1e9,
        render_ns / 1000
    );
    println!("| server | client | time (s) | recordings | requests | bytes received | peak RSS (MiB) |");
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    let exe = std::env::current_exe().unwrap();
    for (flavour, label) in [(Server::Bbb22, "BBB 2.2"), (Server::Bbb27, "BBB 2.7")] {
        let mut o = Options::new(flavour, SECRET);
        o.cost_ns = cost_ns;
        o.render_ns = render_ns;
        let server = TestServer::start(o, dataset(n));
        let cases: &[(&str, &str, &str)] = if flavour == Server::Bbb22 {
            &[
                ("reference", "reference: 1 unpaged call, SHA-1, buffered", ""),
                ("ours", "bbb source (16 shards, concurrency 4)", ""),
                ("ours", "bbb source (concurrency 1)", r#","concurrency":1"#),
            ]
        } else {
            &[
                ("reference", "reference: 1 unpaged call, SHA-1, buffered", ""),
                ("ours", "bbb source (shards + pages of 100, concurrency 4)", ""),
                ("ours", "bbb source (shards, page_size = 0, concurrency 4)", r#","page_size":0"#),
            ]
        };
        for (mode, what, extra) in cases {
            server.reset_counters();
            let out = Command::new(&exe).args(["--child", mode, &server.url(), extra]).output().expect("child");
            let text = String::from_utf8_lossy(&out.stdout);
            let Some(line) = text.lines().find(|l| l.starts_with("RESULT ")) else {
                println!(
                    "| {label} | {what} | failed: {} | | | | |",
                    String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
                );
                continue;
            };
            let f: Vec<&str> = line.split_whitespace().collect();
            let kb: f64 = f[3].parse().unwrap_or(0.0);
            println!(
                "| {label} | {what} | {} | {} | {} | {:.1} MiB | {:.1} |",
                f[1],
                f[2],
                server.api_calls(),
                server.bytes_sent() as f64 / 1048576.0,
                kb / 1024.0
            );
        }
    }
}
