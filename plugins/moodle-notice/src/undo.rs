//! `moodle-notice` at the end of a migration: undo (the notice a delivery
//! appended is taken out again) and retire (it becomes the final text).
//!
//! A delivery journals what it wrote: the exact notice, the SHA-256 of the
//! intro before it, and the earlier notice it replaced if any. Undo takes
//! that notice out of the intro (putting the earlier one back), one
//! transaction per delivery: the intro is then its original text byte for
//! byte, or — when a teacher edited it meanwhile — keeps their edits without
//! the notice. A notice that cannot be found is reported, the intro left as
//! it is. Run again (after a kill), an intro already back to its original
//! hash is "nothing left".
use super::notice_span;
use bbb_migrate_db::{Db, DbMap, Param, Tx, TxMode};
use plugin_api::{Delivered, Outcome, PluginError};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn sha256(s: &str) -> String {
    Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// What a delivery changed in an intro, for the journal.
#[derive(Debug, Default, Clone)]
pub struct Written {
    intro_sha256: String,
    notice: String,
    replaced: Option<String>,
}

impl Written {
    /// `intro` before `notice` was added to it (appended, or in place of an earlier notice).
    pub fn of(intro: &str, notice: &str) -> Self {
        let replaced = notice_span(intro).map(|r| intro[r].to_string());
        Self { intro_sha256: sha256(intro), notice: notice.to_string(), replaced }
    }
    pub fn data(&self, mut base: Value) -> Value {
        base["intro_sha256"] = self.intro_sha256.clone().into();
        base["notice"] = self.notice.clone().into();
        if let Some(r) = &self.replaced {
            base["replaced"] = r.clone().into();
        }
        base
    }
}

/// Where a delivery wrote: (database key, table, activity id).
struct Target {
    site: String,
    table: String,
    activity: i64,
    data: Value,
}

impl Target {
    /// The database this delivery wrote, or why it cannot be undone.
    fn db<'a>(&self, dbs: &'a DbMap, id: &str) -> Result<&'a Db, Outcome> {
        match dbs.all().into_iter().find(|(k, _)| *k == self.site) {
            Some((_, db)) => Ok(db),
            None => {
                Err(Outcome::failed_permanently(id, format!("no Moodle database `{}` configured any more", self.site)))
            }
        }
    }
    /// `<table>.intro of activity <id>`, for messages.
    fn what(&self) -> String {
        format!("{}.intro of activity {}", self.table, self.activity)
    }
}

/// The intro of activity `act` (locked for update unless `dry`); `None` if the activity is gone.
async fn read_intro(tx: &mut Tx, table: &str, act: i64, dry: bool) -> Result<Option<String>, PluginError> {
    let lock = if dry { "" } else { " FOR UPDATE" };
    let rows = tx.query(&format!("SELECT intro FROM {table} WHERE id = ?{lock}"), vec![Param::Int(act)]).await?;
    Ok(rows.first().map(|r| r.str("intro").unwrap_or_default()))
}

/// Writes the intro of activity `act` (nothing in a dry run).
async fn write_intro(tx: &mut Tx, table: &str, act: i64, intro: String, dry: bool) -> Result<(), PluginError> {
    if !dry {
        tx.execute(&format!("UPDATE {table} SET intro = ? WHERE id = ?"), vec![Param::Str(intro), Param::Int(act)])
            .await?;
    }
    Ok(())
}

fn target(d: &Delivered) -> Result<Target, String> {
    let v: Value = serde_json::from_str(d.data_json.as_str()).map_err(|_| "the journal holds no data for it")?;
    let site = v["site"].as_str().ok_or("the journal does not say which Moodle")?.to_string();
    let table = v["table"].as_str().ok_or("the journal does not say which table")?.to_string();
    if table.is_empty() || !table.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!("the journal names a table `{table}` that is not a Moodle table name"));
    }
    let activity = v["activity"].as_i64().ok_or("the journal does not say which activity")?;
    Ok(Target { site, table, activity, data: v })
}

enum Undone {
    Gone,
    Changed { restored: bool },
    AlreadyRestored,
    NotFound,
}

/// Undoes one delivery (one transaction).
pub fn undo(dbs: &DbMap, d: &Delivered, dry: bool) -> Outcome {
    let id = d.record_id.as_str();
    let t = match target(d) {
        Ok(t) => t,
        Err(e) => return Outcome::failed_permanently(id, format!("{e}: nothing undone")),
    };
    let Some(notice) = t.data["notice"].as_str().map(String::from) else {
        return Outcome::failed_permanently(
            id,
            "the journal does not hold the notice appended (delivered by a moodle-notice without undo): remove it by hand",
        );
    };
    let db = match t.db(dbs, id) {
        Ok(db) => db,
        Err(o) => return o,
    };
    let original = t.data["intro_sha256"].as_str().unwrap_or_default().to_string();
    let replaced = t.data["replaced"].as_str().unwrap_or_default().to_string();
    let what = t.what();
    let (table, act) = (t.table.clone(), t.activity);
    let mode = if dry { TxMode::ReadOnly } else { TxMode::ReadWrite };
    let res = db.transaction(mode, move |tx| {
        Box::pin(async move {
            let Some(intro) = read_intro(tx, &table, act, dry).await? else { return Ok(Undone::Gone) };
            let Some(at) = intro.rfind(&notice) else {
                return Ok(if sha256(&intro) == original { Undone::AlreadyRestored } else { Undone::NotFound });
            };
            let new = format!("{}{replaced}{}", &intro[..at], &intro[at + notice.len()..]);
            let restored = sha256(&new) == original;
            write_intro(tx, &table, act, new, dry).await?;
            Ok(Undone::Changed { restored })
        })
    });
    match res {
        Err(e) => Outcome::failed(id, format!("moodle `{}`: {}", t.site, e.message)),
        Ok(Undone::Gone) => Outcome::skipped(id, format!("activity {} no longer exists: nothing to undo", t.activity)),
        Ok(Undone::AlreadyRestored) => Outcome::skipped(id, format!("{what} is already its original text")),
        Ok(Undone::NotFound) => Outcome::failed_permanently(
            id,
            format!("the notice is not in {what} any more (edited by someone?): intro left as it is"),
        ),
        Ok(Undone::Changed { restored }) => {
            let how = if restored {
                "the intro is its original text again, byte for byte"
            } else {
                "the intro was edited since the migration: those edits are kept"
            };
            if dry {
                Outcome::planned(id, format!("would take the notice out of {what}"))
            } else {
                Outcome::done(id, format!("notice taken out of {what}; {how}"))
            }
        }
    }
}

/// Retires one delivery: its notice becomes `last` (one transaction).
pub fn retire(dbs: &DbMap, d: &Delivered, current: &str, last: &str, dry: bool) -> Outcome {
    let id = d.record_id.as_str();
    let t = match target(d) {
        Ok(t) => t,
        Err(e) => return Outcome::failed_permanently(id, format!("{e}: nothing retired")),
    };
    let db = match t.db(dbs, id) {
        Ok(db) => db,
        Err(o) => return o,
    };
    let notice = t.data["notice"].as_str().unwrap_or(current).to_string();
    let what = t.what();
    let (table, act, last) = (t.table.clone(), t.activity, last.to_string());
    let mode = if dry { TxMode::ReadOnly } else { TxMode::ReadWrite };
    let res = db.transaction(mode, move |tx| {
        Box::pin(async move {
            let Some(intro) = read_intro(tx, &table, act, dry).await? else { return Ok(None) };
            if intro.contains(&last) {
                return Ok(Some(false));
            }
            let span = match intro.rfind(&notice) {
                Some(at) => at..at + notice.len(),
                None => match notice_span(&intro) {
                    Some(r) => r,
                    None => return Ok(Some(false)),
                },
            };
            let new = format!("{}{last}{}", &intro[..span.start], &intro[span.end..]);
            write_intro(tx, &table, act, new, dry).await?;
            Ok(Some(true))
        })
    });
    match res {
        Err(e) => Outcome::failed(id, format!("moodle `{}`: {}", t.site, e.message)),
        Ok(None) => Outcome::skipped(id, format!("activity {} no longer exists", t.activity)),
        Ok(Some(false)) => Outcome::skipped(id, format!("{what}: final notice already there (or no notice)")),
        Ok(Some(true)) if dry => Outcome::planned(id, format!("would replace the notice in {what} by the final text")),
        Ok(Some(true)) => Outcome::done(id, format!("notice in {what} replaced by the final text")),
    }
}
