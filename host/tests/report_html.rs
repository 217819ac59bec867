//! The HTML report through the binary: written beside the JSON report after a
//! run, rebuilt by `bbb-migrate report`, self-contained, hostile text inert,
//! numbers equal to the journal's; loaded in a real headless Chromium with no
//! console message and no network request, and a non-blank screenshot.
mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

const HOSTILE_NAME: &str = "<script>alert('name')</script>\u{202E}gpj.exe";
const HOSTILE_OWNER: &str = "<img src=x onerror=alert(1)>";

/// A listing with hostile names, origins and servers; the `table` resolver
/// knows some (one owner hostile), the `down` resolver fails for the rest.
fn pipeline(dir: &Path) -> String {
    let mut xml = String::from("<response><returncode>SUCCESS</returncode><recordings>");
    for i in 0..30u64 {
        let start = 1_600_000_000_000 + i * 40 * 86_400_000; // one every 40 days
        let (origin, server) = match i % 3 {
            0 => ("Moodle", "moodle.univ.example"),
            1 => ("<script>alert('origin')</script>", "evil\u{202E}moc.example"),
            _ => ("Greenlight", "gl.univ.example"),
        };
        xml.push_str(&format!(
            "<recording><recordID>{:040x}-{start}</recordID><meetingID>{}-m{i}</meetingID>\
             <name><![CDATA[{HOSTILE_NAME} {i}]]></name><published>true</published><state>published</state>\
             <startTime>{start}</startTime><endTime>{}</endTime><metadata><bbb-origin><![CDATA[{origin}]]></bbb-origin>\
             <bbb-origin-server-name><![CDATA[{server}]]></bbb-origin-server-name></metadata><playback><format>\
             <type>presentation</type><url>https://bbb.univ.example/playback/presentation/2.3/{i}</url>\
             <length>5</length></format></playback></recording>",
            i,
            if i % 2 == 0 { "known" } else { "other" },
            start + 300_000
        ));
    }
    xml.push_str("</recordings></response>");
    write(dir, "r.xml", &xml);
    write(
        dir,
        "p.toml",
        &format!(
            "journal = \"out/state.db\"\nplugin_dirs = [\"{}\"]\n[fallback]\nowner = \"admin\"\n\
             [[sources]]\ntype = \"bbb-cache\"\npath = \"r.xml\"\n\
             [[resolvers]]\nname = \"table\"\ntype = \"prefix-table\"\n[resolvers.prefixes]\n\
             \"known-m1\" = {{ username = \"{HOSTILE_OWNER}\", email = \"o@univ.example\" }}\n\
             \"known\" = {{ username = \"prof\", email = \"p@univ.example\" }}\n\
             [[resolvers]]\nname = \"down\"\ntype = \"slow\"\nfail = true\n\
             [[sinks]]\ntype = \"csv\"\npath = \"out/r.csv\"\n",
            fixture_plugins().display()
        ),
    )
    .to_str()
    .unwrap()
    .to_string()
}

/// (recordings, failed deliveries, runs) straight from the journal.
fn journal_numbers(db: &Path) -> (i64, i64, i64) {
    let c = rusqlite::Connection::open(db).unwrap();
    let q = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    (
        q("SELECT COUNT(DISTINCT record_id) FROM deliveries"),
        q("SELECT COUNT(*) FROM deliveries WHERE status = 'failed'"),
        q("SELECT COUNT(*) FROM runs"),
    )
}

/// The number in `<b id="ID">N</b>`.
fn number(page: &str, id: &str) -> i64 {
    let tag = format!("id=\"{id}\">");
    let at = page.find(&tag).unwrap_or_else(|| panic!("no #{id}")) + tag.len();
    page[at..].split('<').next().unwrap().trim().parse().unwrap_or_else(|_| panic!("#{id} is not a number"))
}

fn assert_inert(page: &str) {
    assert!(page.starts_with("<!DOCTYPE html>"));
    let lower = page.to_ascii_lowercase();
    for bad in ["<script", "<img", "<iframe", "<link", "@import", "url(", "\u{202E}"] {
        assert!(!lower.contains(bad), "the page holds {bad:?}");
    }
    // No tag fetches anything or runs anything (escaped text may say what it likes).
    for tag in lower.split('<').skip(1).map(|t| t.split('>').next().unwrap()) {
        for bad in ["src=", "href=", "onerror", "onload", "javascript:"] {
            assert!(!tag.contains(bad), "tag <{tag}> holds {bad:?}");
        }
    }
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"), "the hostile owner is shown, escaped");
    assert!(page.contains("&lt;script&gt;alert(&#39;origin&#39;)&lt;/script&gt;"), "hostile origin escaped");
    assert!(page.contains("evil[U+202E]moc.example"), "the RTL override is shown, not applied");
}

#[test]
fn the_report_is_written_rebuilt_escaped_and_its_numbers_are_the_journals() {
    let t = tempfile::tempdir().unwrap();
    let cfg = pipeline(t.path());
    let o = run(&["run", "--config", &cfg]);
    assert_eq!(o.status.code(), Some(1), "the down resolver fails half: {}", text(&o));
    let html = t.path().join("out/state.report.html");
    assert!(text(&o).contains(html.to_str().unwrap()), "{}", text(&o));
    let page = std::fs::read_to_string(&html).unwrap();
    assert_inert(&page);
    let (recs, failed, runs) = journal_numbers(&t.path().join("out/state.db"));
    assert_eq!((recs, failed, runs), (30, 15, 1));
    assert_eq!(number(&page, "n-recordings"), recs);
    assert_eq!(number(&page, "n-failed"), failed);
    assert_eq!(number(&page, "n-runs"), runs);
    assert_eq!(number(&page, "n-resolved") + number(&page, "n-fallback"), recs - failed);
    // The failures are grouped under their one cause, with the recordings listed.
    assert!(page.contains("<b>15</b> × resolver `down`: cannot connect to database lms on db:5432"), "{page}");

    // A second run adds a run; `report` rebuilds the page from the journal alone.
    run(&["run", "--config", &cfg]);
    std::fs::remove_file(&html).unwrap();
    std::fs::remove_file(t.path().join("out/state.report.json")).unwrap();
    let o = run(&["report", "--config", &cfg]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(number(&page, "n-runs"), 2);
    assert_eq!(number(&page, "n-recordings"), 30);
    assert!(page.contains("JSON report is missing"), "says what it cannot show");
}

#[test]
fn empty_absent_and_foreign_journals_get_one_clear_line() {
    let t = tempfile::tempdir().unwrap();
    let cfg = write(
        t.path(),
        "p.toml",
        "journal = \"j.db\"\n[fallback]\nowner = \"a\"\n[[sources]]\ntype = \"bbb-cache\"\npath = \"r.xml\"\n",
    );
    let cfg = cfg.to_str().unwrap();
    let one_line = |want: &str| {
        let o = run(&["report", "--config", cfg]);
        let err = String::from_utf8_lossy(&o.stderr).trim().to_string();
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("j.db") && err.contains(want), "{err}");
        assert!(!t.path().join("j.report.html").exists());
    };
    one_line("no journal yet");
    let at = bbb_migrate::config::JournalAt::File(t.path().join("j.db"));
    bbb_migrate::engine::store::open(&at, "", false).unwrap();
    one_line("the journal is empty");
    std::fs::write(t.path().join("j.db"), "not sqlite at all, just text").unwrap();
    one_line("not a bbb-migrate journal");
    std::fs::remove_file(t.path().join("j.db")).unwrap();
    rusqlite::Connection::open(t.path().join("j.db")).unwrap().execute_batch("CREATE TABLE other (x)").unwrap();
    one_line("not a bbb-migrate journal");
}

// ---------------------------------------------------------------- browser

/// A proxy that answers nothing and records every request line sent to it:
/// Chromium sends every http(s) request there.
fn recording_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            let mut line = String::new();
            let _ = BufReader::new(&c).read_line(&mut line);
            s2.lock().unwrap().push(line.trim().to_string());
        }
    });
    (port, seen)
}

/// Chromium's own background services (updates, sign-in, time): they call
/// out whatever page is open, even an empty one. The report names none of
/// them (asserted), so a request to one of them is not the page's.
const BROWSER_OWN: &[&str] = &["google.com", "googleapis.com", "gvt1.com", "gstatic.com"];

struct Loaded {
    dom: String,
    console: Vec<String>,
    requests: Vec<String>,
    screenshot: PathBuf,
}

fn chromium(page: &Path, work: &Path) -> Loaded {
    let (port, seen) = recording_proxy();
    let url = format!("file://{}", page.display());
    let base = |extra: &[&str]| {
        let mut c = Command::new("chromium");
        c.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
            "--window-size=1280,1600",
            "--proxy-bypass-list=<-loopback>",
        ])
        .arg(format!("--proxy-server=http://127.0.0.1:{port}"))
        .arg(format!("--user-data-dir={}", work.join("profile").display()))
        .args(extra)
        .arg(&url);
        c.output().unwrap_or_else(|e| panic!("chromium (installed by .ci/run): {e}"))
    };
    let o = base(&["--dump-dom"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut console: Vec<String> =
        String::from_utf8_lossy(&o.stderr).lines().filter(|l| l.contains("CONSOLE")).map(String::from).collect();
    let shot = work.join("shot.png");
    let o2 = base(&[&format!("--screenshot={}", shot.display())]);
    assert!(o2.status.success(), "{}", String::from_utf8_lossy(&o2.stderr));
    console.extend(String::from_utf8_lossy(&o2.stderr).lines().filter(|l| l.contains("CONSOLE")).map(String::from));
    std::thread::sleep(std::time::Duration::from_millis(200));
    let requests = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|r| {
            let host = r.split_whitespace().nth(1).unwrap_or("");
            let host = host.trim_start_matches("http://").trim_start_matches("https://");
            let host = host.split(['/', ':']).next().unwrap_or("");
            !BROWSER_OWN.iter().any(|own| host == *own || host.ends_with(&format!(".{own}")))
        })
        .cloned()
        .collect();
    Loaded { dom: String::from_utf8_lossy(&o.stdout).into_owned(), console, requests, screenshot: shot }
}

/// Share of pixels that are not (near) white, and distinct colours.
fn ink(png_file: &Path) -> (f64, usize) {
    let dec = png::Decoder::new(BufReader::new(std::fs::File::open(png_file).unwrap()));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let ch = info.color_type.samples();
    let px = &buf[..info.buffer_size()];
    let mut colours = std::collections::HashSet::new();
    let mut dark = 0usize;
    let n = px.len() / ch;
    for p in px.chunks(ch) {
        if p[..3.min(ch)].iter().any(|&v| v < 230) {
            dark += 1;
        }
        if colours.len() < 10_000 {
            colours.insert(p[..3.min(ch)].to_vec());
        }
    }
    (dark as f64 / n as f64, colours.len())
}

#[test]
fn chromium_shows_the_report_offline_with_no_error_no_request_and_the_journals_numbers() {
    let t = tempfile::tempdir().unwrap();
    let cfg = pipeline(t.path());
    run(&["run", "--config", &cfg]);
    let page_file = t.path().join("out/state.report.html");
    let page = std::fs::read_to_string(&page_file).unwrap();
    for own in BROWSER_OWN {
        assert!(!page.contains(own), "the page names {own}");
    }

    // The detectors work: a page with a console error and a remote image is caught.
    let control = write(t.path(), "control.html", "<!DOCTYPE html><p>x</p><script>console.error('control-error')</script><img src=\"http://probe.invalid/x.png\">");
    let c = chromium(&control, &t.path().join("c"));
    assert!(c.console.iter().any(|l| l.contains("control-error")), "{:?}", c.console);
    assert!(c.requests.iter().any(|r| r.contains("probe.invalid")), "{:?}", c.requests);

    let l = chromium(&page_file, &t.path().join("r"));
    assert!(l.console.is_empty(), "console: {:?}", l.console);
    assert!(l.requests.is_empty(), "network: {:?}", l.requests);
    // The rendered DOM holds the journal's numbers, and nothing the page did not ship.
    let (recs, failed, runs) = journal_numbers(&t.path().join("out/state.db"));
    assert_eq!(number(&l.dom, "n-recordings"), recs);
    assert_eq!(number(&l.dom, "n-failed"), failed);
    assert_eq!(number(&l.dom, "n-runs"), runs);
    assert!(!l.dom.to_ascii_lowercase().contains("<script"), "no script in the rendered DOM");
    assert!(l.dom.matches("<svg").count() >= 4, "charts are drawn");
    let (share, colours) = ink(&l.screenshot);
    assert!(share > 0.03 && colours > 8, "blank screenshot: {share:.3} ink, {colours} colours");
}
