//! `bbb-migrate survey` through the binary: it counts what the sources hold,
//! writes nothing, and fails with the same one-line errors as `run`.
mod common;
use bbb_testserver::{dataset, Flavour, Options, TestServer};
use common::*;
use std::collections::BTreeMap;

const SECRET: &str = "8cd8ef52e8e101574e400365b55e11a6";

fn files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn source_pipeline(dir: &std::path::Path, url: &str, extra: &str) -> String {
    write(
        dir,
        "p.toml",
        &format!(
            "[fallback]\nowner = \"admin\"\n[[sources]]\nname = \"old\"\ntype = \"bbb\"\nurl = \"{url}\"\n\
             secret = \"${{OLD_BBB_SECRET}}\"\nresolve_video = false\n{extra}\
             [[sinks]]\ntype = \"csv\"\npath = \"out.csv\"\n"
        ),
    )
    .to_str()
    .unwrap()
    .to_string()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "{}", text(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

#[test]
fn counts_equal_the_server_and_nothing_is_written() {
    let recs = dataset(60);
    let server = TestServer::start(Options::new(Flavour::Bbb27, SECRET), recs.clone());
    let t = tempfile::tempdir().unwrap();
    let cfg = source_pipeline(
        t.path(),
        &server.url(),
        "cache = \"cache.xml\"\n[[resolvers]]\nname = \"m\"\ntype = \"moodle\"\n[resolvers.databases]\n\"other.example\" = \"mysql://u@127.0.0.1/x\"\n",
    );
    let before = files(t.path());
    let o =
        bin().args(["survey", "--config", &cfg, "--format", "json"]).env("OLD_BBB_SECRET", SECRET).output().unwrap();
    let v = json(&o);
    assert_eq!(files(t.path()), before, "survey wrote a file (cache, CSV or journal)");

    // The server lists everything but deleted/processing (the dataset's 4 extra).
    let listed: Vec<_> = recs.iter().take(60).collect();
    assert_eq!(v["total"]["recordings"], listed.len() as u64);
    let mut states: BTreeMap<String, u64> = BTreeMap::new();
    for r in &listed {
        *states.entry(r.state.clone()).or_default() += 1;
    }
    for (st, n) in &states {
        assert_eq!(v["per_state"][st]["recordings"], *n, "state {st}");
    }
    let with_server = listed.iter().filter(|r| !r.metadata.is_empty()).count() as u64;
    assert_eq!(v["per_origin_server"]["moodle.example.org"]["recordings"], with_server);
    assert_eq!(v["per_origin"]["Moodle"]["recordings"], with_server);
    let only_pres = listed.iter().filter(|r| r.formats.contains(&"presentation") && !r.formats.contains(&"video"));
    assert_eq!(v["to_render"]["recordings"], only_pres.count() as u64);
    let videos = listed.iter().filter(|r| r.formats.contains(&"video")).count() as u64;
    assert_eq!(v["per_format"]["video"]["recordings"], videos);
    // moodle.example.org is not routed (only other.example is): the block names it.
    assert_eq!(v["unrouted_servers"]["moodle.example.org"], with_server);
    assert_eq!(v["resolved"], false);

    let o = bin().args(["survey", "--config", &cfg]).env("OLD_BBB_SECRET", SECRET).output().unwrap();
    let out = text(&o);
    assert!(out.contains("[resolvers.databases]\n\"moodle.example.org\" = "), "{out}");
    assert!(!out.contains(SECRET), "{out}");
    let o =
        bin().args(["survey", "--config", &cfg, "--format", "html"]).env("OLD_BBB_SECRET", SECRET).output().unwrap();
    let page = String::from_utf8(o.stdout).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<svg") && !page.contains("<script"), "{page}");
    // Names of the dataset hold `<A & B>`: never raw in the page.
    assert!(!page.contains("<A & B>"));
    assert_eq!(files(t.path()), before);
}

#[test]
fn resolve_counts_each_resolver_and_the_fallback_per_server() {
    let t = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("examples/demo/getRecordings.xml"), t.path().join("g.xml")).unwrap();
    let cfg = write(
        t.path(),
        "p.toml",
        "[select]\nignored_servers = [\"moodle-test.univ.example\"]\n[fallback]\nowner = \"admin\"\n\
         [[sources]]\ntype = \"bbb-cache\"\npath = \"g.xml\"\n\
         [[resolvers]]\nname = \"table\"\ntype = \"prefix-table\"\n[resolvers.prefixes]\n\
         \"9d287cf5\" = { username = \"prof.martin\", email = \"m@univ.example\" }\n\
         [[sinks]]\ntype = \"csv\"\npath = \"out.csv\"\n",
    );
    let cfg = cfg.to_str().unwrap();
    let before = files(t.path());
    let v = json(&bin().args(["survey", "--config", cfg, "--resolve", "--format", "json"]).output().unwrap());
    assert_eq!(files(t.path()), before);
    assert_eq!(v["resolved"], true);
    let a = &v["attribution"];
    let sum = |k: &str| a.as_object().unwrap().values().map(|x| x[k].as_u64().unwrap_or(0)).sum::<u64>();
    let by_table: u64 = a.as_object().unwrap().values().map(|x| x["by_resolver"]["table"].as_u64().unwrap_or(0)).sum();
    // The demo pipeline's own run: 1 recording matches the prefix table, the rest go to the fallback.
    assert_eq!(by_table + sum("fallback"), v["total"]["recordings"].as_u64().unwrap());
    assert!(by_table >= 1, "{a}");
    // The ignored server is not offered as unrouted.
    assert!(v["unrouted_servers"].get("moodle-test.univ.example").is_none(), "{v}");
}

/// The error line of `run` and of `survey` against the same broken source.
fn both_errors(cfg: &str, secret: &str) -> (String, String) {
    let line = |cmd: &str| {
        let o = bin().args([cmd, "--config", cfg]).env("OLD_BBB_SECRET", secret).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{cmd}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr).trim().to_string();
        assert_eq!(err.lines().count(), 1, "{cmd}: {err}");
        err
    };
    (line("run"), line("survey"))
}

#[test]
fn wrong_secret_and_timeout_fail_like_run() {
    let server = TestServer::start(Options::new(Flavour::Bbb27, SECRET), dataset(5));
    let t = tempfile::tempdir().unwrap();
    let cfg = source_pipeline(t.path(), &server.url(), "");
    let (run, survey) = both_errors(&cfg, "wrong-secret-value");
    assert!(survey.contains("checksumError") && !survey.contains("wrong-secret-value"), "{survey}");
    assert_eq!(run, survey);

    // A server that accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/bigbluebutton/", silent.local_addr().unwrap().port());
    let t = tempfile::tempdir().unwrap();
    let cfg = source_pipeline(t.path(), &url, "timeout_s = 1\nretries = 0\n");
    let (run, survey) = both_errors(&cfg, SECRET);
    // Which shard gives up first depends on timing: compare the lines without its prefix.
    let shape = |l: &str| {
        let at = l.find("recordID=").map(|i| i + 9).unwrap_or(0);
        let end = l[at..].find(':').map(|i| at + i).unwrap_or(at);
        format!("{}…{}", &l[..at], &l[end..])
    };
    assert!(survey.contains("no complete answer within timeout_s=1s"), "{survey}");
    assert_eq!(shape(&run), shape(&survey));
    assert!(!survey.contains(SECRET));
}
