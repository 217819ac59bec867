//! Benchmark of `bbb-migrate survey` on a large saved listing.
//!
//! Writes a `getRecordings` answer of N recordings (default 100 000: several
//! origins and origin servers, six years, four states, presentation/video/
//! podcast formats with sizes) into a temporary folder, then times the real
//! `bbb-migrate` binary (next to this one) reading it through the `bbb-cache`
//! source: `survey`, `survey --format json`, and `survey --resolve` with the
//! `prefix-table` resolver. Build the plugins first:
//! `cargo build --release --workspace && target/release/survey-bench [N]`.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn write_listing(path: &Path, n: usize) -> std::io::Result<u64> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(f, "<response><returncode>SUCCESS</returncode><recordings>")?;
    let origins = ["Moodle", "Moodle", "Greenlight", "Pod", ""];
    let states = ["published", "published", "published", "unpublished", "deleted"];
    for i in 0..n {
        let start: u64 = 1_500_000_000_000 + (i as u64) * 1_800_000;
        let dur_ms: u64 = 600_000 + (i as u64 % 90) * 60_000;
        let origin = origins[i % origins.len()];
        let mut meta = String::new();
        if !origin.is_empty() {
            meta = format!(
                "<bbb-origin>{origin}</bbb-origin><bbb-origin-server-name>{}{}.univ.example</bbb-origin-server-name>",
                origin.to_lowercase(),
                i % 7
            );
        }
        let len = dur_ms / 60_000;
        let mut formats = format!(
            "<format><type>presentation</type><url>https://bbb.univ.example/playback/presentation/2.3/r{i}</url>\
             <length>{len}</length><size>{}</size></format>",
            200_000 + i % 5000
        );
        if i % 3 == 0 {
            formats.push_str(&format!(
                "<format><type>video</type><url>https://bbb.univ.example/playback/video/r{i}/</url>\
                 <length>{len}</length><size>{}</size></format>",
                len * 4_000_000
            ));
        }
        if i % 11 == 0 {
            formats.push_str(&format!(
                "<format><type>podcast</type><url>https://bbb.univ.example/podcast/r{i}/</url><length>{len}</length></format>"
            ));
        }
        writeln!(
            f,
            "<recording><recordID>{:040x}-{start}</recordID><meetingID>meeting-{}</meetingID><name>Cours {i}</name>\
             <published>{}</published><state>{}</state><startTime>{start}</startTime><endTime>{}</endTime>\
             <metadata>{meta}</metadata><playback>{formats}</playback></recording>",
            i,
            i % 997,
            i % 5 < 3,
            states[i % states.len()],
            start + dur_ms
        )?;
    }
    writeln!(f, "</recordings></response>")?;
    f.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let exe_dir = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    let bin: PathBuf = exe_dir.join("bbb-migrate");
    assert!(bin.exists(), "{}: build the workspace first", bin.display());
    let dir = std::env::temp_dir().join(format!("bbb-survey-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let size = write_listing(&dir.join("listing.xml"), n).unwrap();
    let cfg = dir.join("p.toml");
    std::fs::write(
        &cfg,
        "[fallback]\nowner = \"admin\"\n[[sources]]\ntype = \"bbb-cache\"\npath = \"listing.xml\"\n\
         [[resolvers]]\nname = \"table\"\ntype = \"prefix-table\"\n[resolvers.prefixes]\n\
         \"meeting-1\" = { username = \"prof\", email = \"prof@univ.example\" }\n",
    )
    .unwrap();
    println!("{n} recordings, cache file {:.1} MiB", size as f64 / 1048576.0);
    println!("| command | time (s) | recordings |");
    println!("| --- | ---: | ---: |");
    for args in [&["survey"][..], &["survey", "--format", "json"], &["survey", "--resolve"]] {
        let t = Instant::now();
        let out = Command::new(&bin).args(args).arg("--config").arg(&cfg).output().unwrap();
        let secs = t.elapsed().as_secs_f64();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let count = text.split_whitespace().next().unwrap_or("?").to_string();
        println!(
            "| `bbb-migrate {}` | {secs:.2} | {} |",
            args.join(" "),
            if args.len() == 1 || args[1] == "--resolve" { count } else { "json".into() }
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
