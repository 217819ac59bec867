//! The whole chain through the binary against a real local BBB/Scalelite
//! server: the secret comes from the environment and never shows.
mod common;
use bbb_testserver::{dataset, hostile, Flavour, Options, TestServer};
use common::*;
use std::collections::BTreeSet;

const SECRET: &str = "8cd8ef52e8e101574e400365b55e11a6";

fn pipeline(dir: &std::path::Path, server: &TestServer, flavour_type: &str) -> String {
    write(dir, "p.toml", &format!(
        "[fallback]\nowner = \"admin\"\n[[sources]]\nname = \"old\"\ntype = \"{flavour_type}\"\nurl = \"{}\"\nsecret = \"${{OLD_BBB_SECRET}}\"\nresolve_video = false\n\
         [[sinks]]\ntype = \"csv\"\npath = \"out.csv\"\n",
        server.url()
    )).to_str().unwrap().to_string()
}

fn everything_written(dir: &std::path::Path) -> String {
    let mut all = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        all.push_str(&String::from_utf8_lossy(&std::fs::read(e.unwrap().path()).unwrap_or_default()));
    }
    all
}

#[test]
fn bbb_and_scalelite_servers_are_listed_exactly_and_the_secret_never_shows() {
    for (flavour, ty) in [(Flavour::Bbb27, "bbb"), (Flavour::Scalelite, "scalelite")] {
        let mut recs = dataset(40);
        recs.push(hostile());
        let server = TestServer::start(Options::new(flavour, SECRET), recs);
        let t = tempfile::tempdir().unwrap();
        let cfg = pipeline(t.path(), &server, ty);
        let o = bin().args(["run", "--config", &cfg]).env("OLD_BBB_SECRET", SECRET).output().unwrap();
        let out = text(&o);
        // The hostile recordID is refused (exit 1), the rest is delivered.
        assert_eq!(o.status.code(), Some(1), "{out}");
        assert!(out.contains("abc/../../../etc/passwd") && out.contains("refused"), "{out}");
        let got: BTreeSet<String> = csv_ids(&t.path().join("out.csv")).into_iter().collect();
        // Scalelite reports BBB's `available` (video-only) recordings as `published`.
        let published: BTreeSet<String> = dataset(40)
            .into_iter()
            .filter(|r| r.state == "published" || (ty == "scalelite" && r.state == "available"))
            .map(|r| r.record_id)
            .collect();
        assert_eq!(got, published, "{ty}");
        assert!(!out.contains(SECRET) && !everything_written(t.path()).contains(SECRET), "{ty}: secret leaked");

        // A wrong secret: one line, exit 1, no secret, no signed URL.
        let o = bin().args(["run", "--config", &cfg]).env("OLD_BBB_SECRET", "wrong-secret-value").output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("checksumError"), "{err}");
        assert!(!err.contains("wrong-secret-value") && !err.contains("checksum="), "{err}");
    }
}
