//! `claim-dir`'s end of migration: undo and pending.
//!
//! Driven by the journaled outcome data of a delivery (`{"file",
//! "file_size", "action": "download"|"convert"|"present", "rft_id", "row":
//! "inserted"|"existed"|"size updated"}`).
//!
//! * undo — a file somebody already claimed in Pod (a `recorder_recording`
//!   made from it) is kept, file and row, and reported. Otherwise, under the
//!   file's lock: the `recorder_recordingfiletreatment` row the delivery
//!   inserted is deleted (one transaction, which also checks the claim), then
//!   the file the delivery downloaded or converted, if it still has the size
//!   it was registered with. A file that was already there, or a row that
//!   existed, is kept and reported.
//! * pending — the delivery's file is still registered and not claimed.
use crate::filelock::{self, FileLock};
use crate::pod;
use bbb_migrate_db::{Db, Param, TxMode};
use plugin_api::sdk::runtime::block_on;
use plugin_api::{Delivered, Outcome, PluginError};
use serde_json::{json, Value};

struct Written {
    file: String,
    size: i64,
    made_file: bool,
    rft_id: Option<i64>,
}

fn written(d: &Delivered) -> Option<Written> {
    let v: Value = serde_json::from_str(d.data_json.as_str()).ok()?;
    let file = v["file"].as_str()?.to_string();
    Some(Written {
        file,
        size: v["file_size"].as_i64().unwrap_or(-1),
        made_file: matches!(v["action"].as_str(), Some("download" | "convert" | "render")),
        rft_id: (v["row"] == "inserted").then(|| v["rft_id"].as_i64()).flatten(),
    })
}

enum Row {
    Claimed(i64),
    Deleted,
    None,
}

fn undo_one(db: &Db, d: &Delivered, dry: bool) -> Outcome {
    let id = d.record_id.as_str();
    let Some(w) = written(d) else {
        return Outcome::skipped(id, "the journal holds no file written for it: nothing to revert");
    };
    let path = std::path::PathBuf::from(&w.file);
    let _lock = if dry {
        None
    } else {
        let p = path.clone();
        match block_on(async move { FileLock::acquire(&p, filelock::WAIT).await }) {
            Ok(l) => Some(l),
            Err(e) => return Outcome::failed(id, e),
        }
    };
    let (file, rft, mode) = (w.file.clone(), w.rft_id, if dry { TxMode::ReadOnly } else { TxMode::ReadWrite });
    let row = db.transaction(mode, move |tx| {
        Box::pin(async move {
            let claimed = tx
                .query("SELECT id FROM recorder_recording WHERE source_file = ?", vec![Param::from(file.as_str())])
                .await?;
            if let Some(cid) = claimed.first().and_then(|r| r.int("id")) {
                return Ok(Row::Claimed(cid));
            }
            let Some(rid) = rft else { return Ok(Row::None) };
            let lock = if dry { "" } else { " FOR UPDATE" };
            let sql = format!("SELECT id FROM recorder_recordingfiletreatment WHERE id = ? AND file = ?{lock}");
            if tx.query(&sql, vec![Param::Int(rid), Param::from(file.as_str())]).await?.is_empty() {
                return Ok(Row::None);
            }
            if !dry {
                tx.execute("DELETE FROM recorder_recordingfiletreatment WHERE id = ?", vec![Param::Int(rid)]).await?;
            }
            Ok(Row::Deleted)
        })
    });
    let mut removed = Vec::new();
    let mut kept = Vec::new();
    match row {
        Err(e) => return pod::failure(id, "", &e),
        Ok(Row::Claimed(cid)) => {
            return Outcome::skipped(
                id,
                format!("kept {}: already claimed in Pod (recorder_recording #{cid})", w.file),
            )
            .with_data(&json!({"kept": [w.file], "claimed": cid}));
        }
        Ok(Row::Deleted) => removed.push(format!("recorder_recordingfiletreatment #{}", w.rft_id.unwrap_or(0))),
        Ok(Row::None) if w.rft_id.is_none() => {
            kept.push("its recorder_recordingfiletreatment row (it existed before)".to_string())
        }
        Ok(Row::None) => {}
    }
    match std::fs::metadata(&path) {
        Ok(_) if !w.made_file => kept.push(format!("{} (it was there before)", w.file)),
        Ok(m) if m.len() as i64 != w.size => {
            kept.push(format!("{} ({} bytes now, {} registered: changed since)", w.file, m.len(), w.size))
        }
        Ok(_) => {
            if !dry {
                if let Err(e) = std::fs::remove_file(&path) {
                    return Outcome::failed(id, format!("{}: cannot remove: {e}", w.file));
                }
            }
            removed.push(w.file.clone());
        }
        Err(_) => {}
    }
    let data = json!({"removed": removed, "kept": kept});
    let mut parts = Vec::new();
    if !removed.is_empty() {
        parts.push(format!("{}{}", if dry { "would delete " } else { "deleted " }, removed.join(", ")));
    }
    if !kept.is_empty() {
        parts.push(format!("kept {}", kept.join(", ")));
    }
    let detail = parts.join("; ");
    match (removed.is_empty(), dry) {
        (true, _) if detail.is_empty() => Outcome::skipped(id, "nothing left to undo"),
        (true, _) => Outcome::skipped(id, detail),
        (false, true) => Outcome::planned(id, detail),
        (false, false) => Outcome::done(id, detail),
    }
    .with_data(&data)
}

/// Undo: each delivery on its own (file lock, one transaction).
pub fn undo(db: &Db, batch: &[Delivered], dry: bool) -> Vec<Outcome> {
    batch.iter().map(|d| undo_one(db, d, dry)).collect()
}

/// Pending: files still registered and not claimed, with the owners the
/// journal names (their e-mail and names from Pod when they have an account).
pub fn pending(db: &Db, batch: &[Delivered]) -> Result<Vec<Outcome>, PluginError> {
    let files: Vec<(String, Vec<String>)> = batch
        .iter()
        .map(|d| {
            let f = written(d).map(|w| w.file).unwrap_or_default();
            let owners = d.owners.as_str().split(';').filter(|s| !s.is_empty()).map(String::from).collect();
            (f, owners)
        })
        .collect();
    let q = files.clone();
    let answers = db.transaction(TxMode::ReadOnly, move |tx| {
        Box::pin(async move {
            let mut out = Vec::new();
            for (file, owners) in q {
                if file.is_empty() {
                    out.push(None);
                    continue;
                }
                let claimed = tx
                    .query("SELECT id FROM recorder_recording WHERE source_file = ?", vec![Param::from(file.as_str())])
                    .await?;
                let rft = tx
                    .query(
                        "SELECT id FROM recorder_recordingfiletreatment WHERE file = ?",
                        vec![Param::from(file.as_str())],
                    )
                    .await?;
                if !claimed.is_empty() || rft.is_empty() {
                    out.push(None);
                    continue;
                }
                let mut people = Vec::new();
                for o in owners {
                    let u = tx
                        .query(
                            "SELECT email, first_name, last_name FROM auth_user WHERE username = ?",
                            vec![Param::from(o.as_str())],
                        )
                        .await?;
                    let u = u.first();
                    people.push(json!({
                        "username": o,
                        "email": u.map(|r| r.text("email")).unwrap_or_default(),
                        "first_name": u.map(|r| r.text("first_name")).unwrap_or_default(),
                        "last_name": u.map(|r| r.text("last_name")).unwrap_or_default(),
                        "kind": "claim",
                        "what": file,
                    }));
                }
                out.push(Some(people));
            }
            Ok(out)
        })
    })?;
    Ok(batch
        .iter()
        .zip(answers)
        .map(|(d, a)| match a {
            Some(items) if !items.is_empty() => {
                Outcome::done(d.record_id.as_str(), "claim file not claimed yet").with_data(&json!({ "items": items }))
            }
            _ => Outcome::skipped(d.record_id.as_str(), "nothing pending (claimed, or gone)"),
        })
        .collect())
}
