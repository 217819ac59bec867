//! Sink `moodle-notice`: leaves a message in the Moodle activity
//! (`mdl_bigbluebuttonbn.intro`) of each migrated recording — the reference
//! script's `SCRIPT_INFORM`, made idempotent and transactional.
//!
//! ```toml
//! [[sinks]]
//! name = "notice"
//! type = "moodle-notice"
//! message = "These recordings moved to Pod: <a href='https://pod.univ.fr/'>pod.univ.fr</a>"
//! prefix = "mdl_"                    # optional, default mdl_
//! [sinks.databases]                  # same shape as the moodle resolver's
//! "moodle.univ.fr" = "mysql://moodle:${MOODLE_PW}@db1/moodle"
//! ```
//!
//! The activity is found exactly as the `moodle` resolver finds it (shared
//! code in `moodle-core`). The message is appended to the intro wrapped in
//! `<div class="bbb-migrate-notice" data-message="<hash of the message>">…</div>`;
//! an intro that already holds that notice is left alone, so the notice
//! appears once however many runs and however many recordings the activity
//! has; the original intro is kept. A notice of another message (the
//! `message` was changed) is replaced in place: by `write` for the recordings
//! it is given, and by `finish` for every activity of the configured
//! databases (the journal does not send finished recordings again).
//! Planned, then applied (see [`deliver`]): the plan reads each intro, the
//! dry run answers with it; a run writes one read-write transaction per
//! recording (`SELECT … FOR UPDATE`, then `UPDATE`).

use bbb_migrate_db::{DbMap, Param, TxMode};
use moodle_core::Prefix;
use plugin_api::sdk::{write_planned, Component, Ctx, PluginDecl, SinkComponent, SinkPlugin};
use plugin_api::{export_plugin, Delivered, LifecycleOp, Outcome, PluginError, SinkItem};
use serde::Deserialize;
use std::collections::BTreeMap;

mod deliver;
mod undo;

/// The class that marks our notice inside an intro.
pub const MARKER: &str = "bbb-migrate-notice";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    message: String,
    databases: BTreeMap<String, String>,
    #[serde(default = "default_prefix")]
    prefix: String,
    /// `bbb-migrate retire`: the notice is replaced by this final text (the
    /// old servers are gone). Without it, this sink has nothing to retire.
    #[serde(default)]
    notice_after_retire: Option<String>,
}

fn default_prefix() -> String {
    "mdl_".into()
}

pub struct MoodleNotice {
    notice: String,
    after_retire: Option<String>,
    prefix: Prefix,
    dbs: DbMap,
    ctx: Ctx,
}

/// The HTML appended to the intro, marked with a hash of the message.
pub fn notice_html(message: &str) -> String {
    format!("<div class=\"{MARKER}\" data-message=\"{}\">{message}</div>", message_hash(message))
}

/// FNV-1a of the message, 16 hex digits: tells this notice from an earlier one.
fn message_hash(message: &str) -> String {
    let h = message.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    format!("{h:016x}")
}

/// Does this intro already carry a notice (of any message)?
pub fn has_notice(intro: &str) -> bool {
    intro.contains(&format!("class=\"{MARKER}\""))
}

/// What an intro needs so that it carries `notice` exactly once.
#[derive(Debug, PartialEq)]
pub enum Change {
    /// It already does.
    None,
    /// No notice yet: `notice` appended.
    Append(String),
    /// An earlier notice (another message) replaced in place.
    Replace(String),
}

/// The byte range of the first notice div in `intro` (matching `</div>`,
/// nested divs counted; to the end if it is not closed).
pub(crate) fn notice_span(intro: &str) -> Option<std::ops::Range<usize>> {
    let start = intro.find(&format!("<div class=\"{MARKER}\""))?;
    let lower = intro.to_ascii_lowercase();
    let (mut depth, mut at) = (0usize, start);
    while at < lower.len() {
        let open = lower[at..].find("<div").map(|o| at + o);
        let close = lower[at..].find("</div>").map(|o| at + o);
        match (open, close) {
            (Some(o), Some(c)) if o < c => {
                depth += 1;
                at = o + 4;
            }
            (_, Some(c)) => {
                depth -= 1;
                at = c + "</div>".len();
                if depth == 0 {
                    return Some(start..at);
                }
            }
            _ => break,
        }
    }
    Some(start..intro.len())
}

/// What to do with `intro` (see [`Change`]).
pub fn change_for(intro: &str, notice: &str) -> Change {
    if intro.contains(notice) {
        return Change::None;
    }
    match notice_span(intro) {
        None => Change::Append(format!("{intro}{notice}")),
        Some(r) => Change::Replace(format!("{}{notice}{}", &intro[..r.start], &intro[r.end..])),
    }
}

impl SinkComponent for MoodleNotice {
    const TYPE: &'static str = "moodle-notice";
    const ABOUT: &'static str = "Appends a message to mdl_bigbluebuttonbn.intro, once per activity";
    type Config = Config;
    fn build(cfg: Config, ctx: Ctx) -> Result<Self, PluginError> {
        if cfg.message.trim().is_empty() {
            return Err(PluginError::config("message", "message is empty"));
        }
        let prefix = Prefix::new(&cfg.prefix).map_err(|e| PluginError::config("prefix", e))?;
        let dbs = DbMap::from_config("databases", &cfg.databases)?;
        let after_retire = match cfg.notice_after_retire.as_deref().map(str::trim) {
            Some("") => return Err(PluginError::config("notice_after_retire", "notice_after_retire is empty")),
            Some(m) => Some(notice_html(m)),
            None => None,
        };
        Ok(Self { notice: notice_html(cfg.message.trim()), after_retire, prefix, dbs, ctx })
    }
}

impl SinkPlugin for MoodleNotice {
    /// Several workers may write at once: one notice per activity, written once under a row lock.
    fn shared_writers(&self) -> bool {
        true
    }

    fn prepare(&self) -> Result<Vec<String>, PluginError> {
        Ok(vec![format!("{} Moodle database(s); dry run: {}", self.dbs.all().len(), self.ctx.dry_run())])
    }

    fn write(&self, batch: &[SinkItem]) -> Result<Vec<Outcome>, PluginError> {
        write_planned(self, self.ctx.dry_run(), batch)
    }

    /// Replaces every earlier notice (another message) in the configured
    /// databases, one transaction per activity; a dry run only counts them.
    fn finish(&self) -> Result<Vec<String>, PluginError> {
        let mut notes = Vec::new();
        for (key, db) in self.dbs.all() {
            let table = self.prefix.t("bigbluebuttonbn");
            let like = format!("%class=\"{MARKER}\"%");
            let rows =
                db.query(&format!("SELECT id, intro FROM {table} WHERE intro LIKE ?"), vec![Param::Str(like)])?;
            let outdated: Vec<i64> = rows
                .iter()
                .filter(|r| matches!(change_for(&r.str("intro").unwrap_or_default(), &self.notice), Change::Replace(_)))
                .filter_map(|r| r.int("id"))
                .collect();
            if outdated.is_empty() {
                continue;
            }
            if self.ctx.dry_run() {
                notes.push(format!(
                    "{key}: would replace the earlier notice (message changed) in {} activities of {table}",
                    outdated.len()
                ));
                continue;
            }
            let mut replaced = 0;
            for act in outdated {
                let (table, notice) = (table.clone(), self.notice.clone());
                let changed = db.transaction(TxMode::ReadWrite, move |tx| {
                    Box::pin(async move {
                        let rows = tx
                            .query(&format!("SELECT intro FROM {table} WHERE id = ? FOR UPDATE"), vec![Param::Int(act)])
                            .await?;
                        let intro = rows.first().and_then(|r| r.str("intro")).unwrap_or_default();
                        let Change::Replace(new) = change_for(&intro, &notice) else { return Ok(false) };
                        tx.execute(
                            &format!("UPDATE {table} SET intro = ? WHERE id = ?"),
                            vec![Param::Str(new), Param::Int(act)],
                        )
                        .await?;
                        Ok(true)
                    })
                })?;
                replaced += changed as usize;
            }
            notes.push(format!("{key}: earlier notice replaced (message changed) in {replaced} activities of {table}"));
        }
        Ok(notes)
    }

    fn lifecycle_ops(&self) -> &'static [LifecycleOp] {
        match self.after_retire {
            Some(_) => &[LifecycleOp::UNDO, LifecycleOp::RETIRE],
            None => &[LifecycleOp::UNDO],
        }
    }

    /// Undo: the notice a delivery appended is removed (see [`undo`]).
    /// Retire: it is replaced by `notice_after_retire`.
    fn lifecycle(&self, op: LifecycleOp, batch: &[Delivered]) -> Result<Vec<Outcome>, PluginError> {
        let dry = self.ctx.dry_run();
        match (op, &self.after_retire) {
            (LifecycleOp::UNDO, _) => Ok(batch.iter().map(|d| undo::undo(&self.dbs, d, dry)).collect()),
            (LifecycleOp::RETIRE, Some(last)) => {
                Ok(batch.iter().map(|d| undo::retire(&self.dbs, d, &self.notice, last, dry)).collect())
            }
            (other, _) => Err(plugin_api::sdk::unsupported_op(other)),
        }
    }

    fn check(&self) -> Result<Vec<String>, PluginError> {
        self.dbs.check_with(|key, db| {
            let prefix = self.prefix.clone();
            db.transaction(TxMode::ReadOnly, move |tx| {
                Box::pin(async move { moodle_core::detect_schema(tx, &prefix).await })
            })?;
            Ok(format!("{key}: {} reachable", db.url().redacted()))
        })
    }
}

pub struct Plugin;

impl PluginDecl for Plugin {
    const NAME: &'static str = "moodle-notice";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Leaves a notice in the Moodle activity of each migrated recording";
    const COMPONENTS: &'static [Component] = &[Component::sink::<MoodleNotice>()];
}

export_plugin!(Plugin);
