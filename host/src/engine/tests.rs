//! The engine driven in-process: fake source, resolver and sink declared with
//! the plugin SDK (as a plugin would), served through the same root module a
//! `cdylib` exports, so the host's boundary checks and the journal are real.
use super::{run, Report, RunOptions};
use crate::config::Pipeline;
use crate::plugins::{Instances, LoadedPlugin, Registry};
use crate::progress::Progress;
use crate::redact::Redactor;
use plugin_api::sdk::{
    write_planned, Component, Ctx, PlanApply, Planned, PluginDecl, ResolverComponent, ResolverPlugin, SinkComponent,
    SinkPlugin, SourceComponent, SourcePlugin,
};
use plugin_api::{Outcome, Owner, PluginError, Recording, Resolution, SinkItem, SourceBatch};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Source `fake-list`: the recordings `ids`, published, in batches of the size asked.
struct FakeList(Mutex<Vec<String>>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListCfg {
    ids: Vec<String>,
}

impl SourceComponent for FakeList {
    const TYPE: &'static str = "fake-list";
    const ABOUT: &'static str = "lists the recordings it is given";
    type Config = ListCfg;
    fn build(cfg: ListCfg, _ctx: Ctx) -> Result<Self, PluginError> {
        Ok(FakeList(Mutex::new(cfg.ids.into_iter().rev().collect())))
    }
}

impl SourcePlugin for FakeList {
    fn next_batch(&self, max: usize) -> Result<Option<SourceBatch>, PluginError> {
        let mut left = self.0.lock().unwrap();
        if left.is_empty() {
            return Ok(None);
        }
        let n = max.min(left.len());
        let at = left.len() - n;
        let recordings = left
            .split_off(at)
            .into_iter()
            .rev()
            .map(|id| Recording {
                meeting_id: format!("m-{id}").into(),
                record_id: id.into(),
                state: "published".into(),
                published: true,
                start_ms: 1_700_000_000_000,
                end_ms: 1_700_000_060_000,
                ..Default::default()
            })
            .collect();
        Ok(Some(SourceBatch { recordings, rejected: Default::default() }))
    }
}

/// Resolver `fake-table`: recordID → username; ids in `fail` answer FAILED.
struct FakeTable(TableCfg);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableCfg {
    owners: BTreeMap<String, String>,
    #[serde(default)]
    fail: Vec<String>,
}

impl ResolverComponent for FakeTable {
    const TYPE: &'static str = "fake-table";
    const ABOUT: &'static str = "owners from a table";
    type Config = TableCfg;
    fn build(cfg: TableCfg, _ctx: Ctx) -> Result<Self, PluginError> {
        Ok(FakeTable(cfg))
    }
}

impl ResolverPlugin for FakeTable {
    fn resolve(&self, batch: &[Recording]) -> Result<Vec<Resolution>, PluginError> {
        let answer = |r: &Recording| {
            let id = r.record_id.as_str();
            if self.0.fail.iter().any(|f| f == id) {
                return Resolution::failed("the table is down");
            }
            match self.0.owners.get(id) {
                Some(u) => Resolution::resolved(vec![Owner::new(u, "", "", "").because("in the table")]),
                None => Resolution::unknown("not in the table"),
            }
        };
        Ok(batch.iter().map(answer).collect())
    }
}

/// Sink `fake-file`: one line `recordID owner resolver: reason` per recording
/// in `path`, planned then applied (the SDK handles dry run).
struct FakeFile {
    path: PathBuf,
    dry_run: bool,
    /// Answer one outcome too few (a buggy plugin).
    short: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCfg {
    path: String,
    #[serde(default)]
    short: bool,
}

impl SinkComponent for FakeFile {
    const TYPE: &'static str = "fake-file";
    const ABOUT: &'static str = "a line per recording in a file";
    type Config = FileCfg;
    fn build(cfg: FileCfg, ctx: Ctx) -> Result<Self, PluginError> {
        Ok(FakeFile { path: ctx.resolve_path(&cfg.path), dry_run: ctx.dry_run(), short: cfg.short })
    }
}

impl FakeFile {
    fn written(&self) -> HashSet<String> {
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        text.lines().filter_map(|l| l.split(' ').next()).map(str::to_string).collect()
    }
}

impl PlanApply for FakeFile {
    type Step = (String, String);
    fn plan(&self, batch: &[SinkItem]) -> Result<Vec<Planned<(String, String)>>, PluginError> {
        let there = self.written();
        Ok(batch
            .iter()
            .map(|i| {
                let id = i.recording.record_id.to_string();
                if there.contains(&id) {
                    return Planned::settled(Outcome::skipped(&id, "already in the file"));
                }
                let o = &i.owners[0];
                let line = format!("{id} {} {}: {}", o.username, o.resolver, o.reason);
                Planned::write((id.clone(), line), Outcome::planned(&id, "would add a line"))
            })
            .collect())
    }
    fn apply(&self, _batch: &[SinkItem], plans: Vec<Planned<(String, String)>>) -> Result<Vec<Outcome>, PluginError> {
        let there = self.written();
        let mut text = std::fs::read_to_string(&self.path).unwrap_or_default();
        let mut out = Vec::new();
        for p in plans {
            match p.into_step() {
                Err(o) => out.push(o),
                Ok((id, _)) if there.contains(&id) => out.push(Outcome::skipped(&id, "already in the file")),
                Ok((id, line)) => {
                    text.push_str(&line);
                    text.push('\n');
                    out.push(Outcome::done(&id, "line added"));
                }
            }
        }
        std::fs::write(&self.path, text).map_err(|e| PluginError::io(e.to_string()))?;
        if self.short {
            out.pop();
        }
        Ok(out)
    }
}

impl SinkPlugin for FakeFile {
    fn write(&self, batch: &[SinkItem]) -> Result<Vec<Outcome>, PluginError> {
        write_planned(self, self.dry_run, batch)
    }
}

struct Fakes;

impl PluginDecl for Fakes {
    const NAME: &'static str = "fakes";
    const VERSION: &'static str = "0.0.0";
    const DESCRIPTION: &'static str = "in-process fakes for the engine's tests";
    const COMPONENTS: &'static [Component] =
        &[Component::source::<FakeList>(), Component::resolver::<FakeTable>(), Component::sink::<FakeFile>()];
}

/// Writes `p.toml` in `dir`: a fake source listing `ids`, the table resolver
/// (named `table`) with `resolver_extra` keys, the file sink with `sink_extra`.
fn pipeline(dir: &Path, ids: &[&str], resolver_extra: &str, sink_extra: &str) -> PathBuf {
    let ids: Vec<String> = ids.iter().map(|i| format!("\"{i}\"")).collect();
    let text = format!(
        "batch_size = 2\n[fallback]\nowner = \"admin\"\n\n[[sources]]\ntype = \"fake-list\"\nids = [{}]\n\n\
         [[resolvers]]\nname = \"table\"\ntype = \"fake-table\"\n{resolver_extra}\n\
         [resolvers.owners]\nr1 = \"alice\"\nr3 = \"carol\"\n\n\
         [[sinks]]\nname = \"out\"\ntype = \"fake-file\"\npath = \"out.txt\"\n{sink_extra}\n",
        ids.join(", ")
    );
    let file = dir.join("p.toml");
    std::fs::write(&file, text).unwrap();
    file
}

fn build(file: &Path, dry_run: bool) -> anyhow::Result<(Pipeline, Instances)> {
    let redactor = Redactor::default();
    let p = Pipeline::load(file, &redactor)?;
    let mut reg = Registry::of(vec![LoadedPlugin::in_process::<Fakes>()])?;
    let inst = Instances::build(&p, &mut reg, dry_run, &redactor)?;
    Ok((p, inst))
}

fn run_once(file: &Path, dry_run: bool) -> Report {
    let (p, inst) = build(file, dry_run).unwrap();
    run(&p, &inst, &RunOptions { dry_run, ..Default::default() }, &Progress::new(true)).unwrap()
}

fn lines(dir: &Path) -> Vec<String> {
    let mut l: Vec<String> =
        std::fs::read_to_string(dir.join("out.txt")).unwrap_or_default().lines().map(str::to_string).collect();
    l.sort();
    l
}

#[test]
fn every_recording_is_delivered_once_with_the_owner_the_chain_found() {
    let t = tempfile::tempdir().unwrap();
    let file = pipeline(t.path(), &["r1", "r2", "r3", "r4", "r5"], "", "");
    let report = run_once(&file, false);
    let c = &report.sinks["out"];
    assert_eq!((c.done, c.skipped, c.failed, c.already_done), (5, 0, 0, 0), "{:?}", report.failures);
    assert_eq!(report.fallback_owner, 3);
    // The resolver never named itself: the host stamped its component name.
    assert_eq!(
        lines(t.path()),
        [
            "r1 alice table: in the table",
            "r2 admin fallback: no resolver knew this recording",
            "r3 carol table: in the table",
            "r4 admin fallback: no resolver knew this recording",
            "r5 admin fallback: no resolver knew this recording",
        ]
    );

    // The journal remembers: a second run sends nothing again.
    let again = run_once(&file, false);
    let c = &again.sinks["out"];
    assert_eq!((c.done, c.skipped, c.already_done), (0, 0, 5));
    assert_eq!(lines(t.path()).len(), 5);
}

#[test]
fn a_dry_run_plans_through_the_sdk_and_writes_nothing() {
    let t = tempfile::tempdir().unwrap();
    let file = pipeline(t.path(), &["r1", "r2", "r3"], "", "");
    let report = run_once(&file, true);
    assert_eq!(report.sinks["out"].planned, 3);
    assert_eq!(report.planned.len(), 3);
    assert!(!t.path().join("out.txt").exists());
    assert!(!t.path().join("state.db").exists(), "a dry run creates no journal");
    // Then a real run writes them, and a later dry run plans nothing new.
    run_once(&file, false);
    let dry = run_once(&file, true);
    assert_eq!((dry.sinks["out"].planned, dry.sinks["out"].already_done), (0, 3));
}

#[test]
fn a_failed_resolution_fails_that_recording_only_and_the_next_run_retries_it() {
    let t = tempfile::tempdir().unwrap();
    let file = pipeline(t.path(), &["r1", "r2", "r3"], "fail = [\"r3\"]", "");
    let report = run_once(&file, false);
    let failed: Vec<&str> = report.failures.iter().map(|l| l.record_id.as_str()).collect();
    assert_eq!(failed, ["r3"], "{:?}", report.failures);
    assert_eq!(lines(t.path()).len(), 2);
    // Fixed table: only r3 is sent again.
    let file = pipeline(t.path(), &["r1", "r2", "r3"], "", "");
    let again = run_once(&file, false);
    assert_eq!((again.sinks["out"].done, again.sinks["out"].already_done), (1, 2));
    assert_eq!(lines(t.path())[2], "r3 carol table: in the table");
}

#[test]
fn a_sink_answering_too_few_outcomes_fails_its_batch_and_nothing_shifts() {
    let t = tempfile::tempdir().unwrap();
    let file = pipeline(t.path(), &["r1", "r2"], "", "short = true");
    let report = run_once(&file, false);
    let c = &report.sinks["out"];
    assert_eq!((c.done, c.failed), (0, 2), "{:?}", report.failures);
    assert!(report.failures.iter().all(|l| l.detail.contains("plugin bug")), "{:?}", report.failures);
    assert_eq!(report.failures.len(), 2, "{:?}", report.failures);
}

#[test]
fn an_unknown_key_is_reported_by_the_sdk_at_its_line() {
    let t = tempfile::tempdir().unwrap();
    let file = pipeline(t.path(), &["r1"], "", "pth = \"x\"");
    let err = build(&file, false).err().expect("an unknown key is refused").to_string();
    // Line 21 of p.toml is `pth = "x"` (see `pipeline`).
    assert!(err.contains("p.toml:21") && err.contains("sinks[0] (out)") && err.contains("pth"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
