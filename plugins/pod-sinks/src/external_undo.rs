//! `pod-external`'s end of migration: undo, pending, retire.
//!
//! Everything is driven by the journaled outcome data of a delivery
//! (`{"source_url", "owners": [{"owner", "owner_id", "row_id", "row":
//! "inserted"|"existed", "user": "created"|"existed"}]}`): only rows marked
//! `inserted` (by that id, URL and owner) and users marked `created` are ever
//! touched; rows that existed before the migration never are.
//!
//! * undo — one transaction per delivery: its inserted rows are deleted
//!   (unless their owner uploaded them meanwhile: kept, reported), then each
//!   user it created is deleted with its `authentication_owner(_sites)` rows
//!   when that user never logged in and nothing else refers to them (else
//!   kept, reported).
//! * pending — its inserted rows still there and not uploaded
//!   (`uploaded_to_pod_by_id` NULL), with their owner.
//! * retire — one transaction per delivery: its inserted rows not uploaded
//!   are deleted (their links are dead), uploaded ones kept. Users untouched.
use crate::pod;
use bbb_migrate_db::{placeholders, Db, Engine, Param, Tx, TxMode};
use plugin_api::{Delivered, Outcome, PluginError};
use serde_json::{json, Value};

/// One row a delivery inserted, and the user it may have created.
#[derive(Clone, Debug)]
struct Written {
    username: String,
    owner_id: i64,
    row_id: Option<i64>,
    user_created: bool,
}

/// What a delivery's data says it wrote (`None`: not this sink's data).
fn written(d: &Delivered) -> Option<(String, Vec<Written>)> {
    let v: Value = serde_json::from_str(d.data_json.as_str()).ok()?;
    let url = v["source_url"].as_str()?.to_string();
    let mut out = Vec::new();
    for o in v["owners"].as_array()? {
        let Some(owner_id) = o["owner_id"].as_i64() else { continue };
        let row_id = (o["row"] == "inserted").then(|| o["row_id"].as_i64()).flatten();
        let user_created = o["user"] == "created";
        if row_id.is_some() || user_created {
            out.push(Written {
                username: o["owner"].as_str().unwrap_or_default().to_string(),
                owner_id,
                row_id,
                user_created,
            });
        }
    }
    Some((url, out))
}

/// Tables and columns of Pod that refer to a user (`auth_user.id`) or to
/// their `authentication_owner` row, besides the rows a created user comes
/// with. Those the schema declares (foreign keys), plus Pod's known ones
/// (MariaDB schemas may have no foreign keys); only those that exist.
async fn user_references(tx: &mut Tx) -> Result<Vec<(String, String, bool)>, PluginError> {
    let known: &[(&str, &str, bool)] = &[
        ("import_video_externalrecording", "owner_id", false),
        ("import_video_externalrecording", "uploaded_to_pod_by_id", false),
        ("meeting", "owner_id", false),
        ("meeting_additional_owners", "user_id", false),
        ("meeting_internalrecording", "owner_id", false),
        ("meeting_internalrecording", "uploaded_to_pod_by_id", false),
        ("meeting_meetingsessionlog", "creator_id", false),
        ("recorder_recorder", "user_id", false),
        ("recorder_recording", "user_id", false),
        ("video_video", "owner_id", false),
        ("video_video_additional_owners", "user_id", false),
        ("bbb_bbb_meeting", "encoded_by_id", false),
        ("bbb_attendee", "user_id", false),
        ("authentication_owner_accessgroups", "owner_id", true),
    ];
    let (schema, fk_sql) = match tx.engine() {
        Engine::Postgres => (
            "current_schema()",
            "SELECT c.conrelid::regclass::text AS t, a.attname::text AS c, c.confrelid::regclass::text AS r
             FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
             WHERE c.contype = 'f' AND c.confrelid::regclass::text IN ('auth_user', 'authentication_owner')",
        ),
        Engine::MySql => (
            "DATABASE()",
            "SELECT TABLE_NAME AS t, COLUMN_NAME AS c, REFERENCED_TABLE_NAME AS r FROM information_schema.KEY_COLUMN_USAGE
             WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IN ('auth_user', 'authentication_owner')",
        ),
    };
    let mut refs: Vec<(String, String, bool)> = Vec::new();
    for r in tx.query(fk_sql, vec![]).await? {
        let (t, c) = (r.text("t"), r.text("c"));
        let via_owner = r.text("r") == "authentication_owner";
        let own =
            (t == "authentication_owner" && c == "user_id") || (t == "authentication_owner_sites" && c == "owner_id");
        if !own && !refs.iter().any(|(a, b, _)| *a == t && *b == c) {
            refs.push((t, c, via_owner));
        }
    }
    let sql = format!(
        "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = {schema} AND ({})",
        known.iter().map(|_| "(table_name = ? AND column_name = ?)").collect::<Vec<_>>().join(" OR ")
    );
    let params = known.iter().flat_map(|(t, c, _)| [Param::from(*t), Param::from(*c)]).collect();
    for r in tx.query(&sql, params).await? {
        let (t, c) = (r.text("t"), r.text("c"));
        if let Some((_, _, via)) = known.iter().find(|(a, b, _)| *a == t && *b == c) {
            if !refs.iter().any(|(a, b, _)| *a == t && *b == c) {
                refs.push((t, c, *via));
            }
        }
    }
    Ok(refs)
}

/// Why a user created by the migration must be kept (`None`: it may go).
async fn keep_user(
    tx: &mut Tx,
    uid: i64,
    refs: &[(String, String, bool)],
    lock: bool,
) -> Result<Option<String>, PluginError> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let sql =
        format!("SELECT CASE WHEN last_login IS NULL THEN 0 ELSE 1 END AS logged FROM auth_user WHERE id = ?{lock}");
    let rows = tx.query(&sql, vec![Param::Int(uid)]).await?;
    let Some(row) = rows.first() else { return Ok(Some(String::new())) };
    if row.int("logged").unwrap_or(0) != 0 {
        return Ok(Some("logged in to Pod".into()));
    }
    for (t, c, via_owner) in refs {
        let sql = if *via_owner {
            format!(
                "SELECT COUNT(*) AS n FROM {t} WHERE {c} IN (SELECT id FROM authentication_owner WHERE user_id = ?)"
            )
        } else {
            format!("SELECT COUNT(*) AS n FROM {t} WHERE {c} = ?")
        };
        let n = tx.query(&sql, vec![Param::Int(uid)]).await?.first().and_then(|r| r.int("n")).unwrap_or(0);
        if n > 0 {
            return Ok(Some(format!("{n} row(s) of {t}.{c} refer to them")));
        }
    }
    Ok(None)
}

/// The row `id` if it is still the one the migration inserted: (uploaded_to_pod_by_id).
async fn our_row(tx: &mut Tx, id: i64, url: &str, owner: i64, lock: bool) -> Result<Option<Option<i64>>, PluginError> {
    let sql = format!(
        "SELECT uploaded_to_pod_by_id AS up FROM import_video_externalrecording WHERE id = ? AND source_url = ? AND owner_id = ?{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let rows = tx.query(&sql, vec![Param::Int(id), Param::from(url), Param::Int(owner)]).await?;
    Ok(rows.first().map(|r| r.int("up")))
}

/// The outcome of one delivery's undo or retire.
struct Done {
    removed: Vec<String>,
    kept: Vec<String>,
}

impl Done {
    fn outcome(self, id: &str, dry: bool, what: &str) -> Outcome {
        let mut parts = Vec::new();
        if !self.removed.is_empty() {
            parts.push(format!("{}{}", if dry { "would delete " } else { "deleted " }, self.removed.join(", ")));
        }
        if !self.kept.is_empty() {
            parts.push(format!("kept {}", self.kept.join(", ")));
        }
        let data = json!({"removed": self.removed, "kept": self.kept});
        match (self.removed.is_empty(), dry) {
            (true, _) if parts.is_empty() => Outcome::skipped(id, format!("nothing left to {what}")),
            (true, _) => Outcome::skipped(id, parts.join("; ")),
            (false, true) => Outcome::planned(id, parts.join("; ")),
            (false, false) => Outcome::done(id, parts.join("; ")),
        }
        .with_data(&data)
    }
}

async fn undo_one(tx: &mut Tx, url: String, rows: Vec<Written>, dry: bool) -> Result<Done, PluginError> {
    let engine = tx.engine();
    if !dry && engine == Engine::Postgres {
        tx.execute_batch("SET CONSTRAINTS ALL IMMEDIATE").await?;
    }
    let mut d = remove_our_rows(tx, &url, &rows, dry, false).await?;
    let created: Vec<&Written> = rows.iter().filter(|w| w.user_created).collect();
    if created.is_empty() {
        return Ok(d);
    }
    let refs = user_references(tx).await?;
    for w in created {
        let uid = w.owner_id;
        let mut why = keep_user(tx, uid, &refs, !dry).await?;
        if dry {
            // Our own rows would be gone by then: do not count them.
            if let Some(r) = &why {
                if r.contains("import_video_externalrecording.owner_id") {
                    let ours = rows.iter().filter(|x| x.owner_id == uid && x.row_id.is_some()).count() as i64;
                    let sql = "SELECT COUNT(*) AS n FROM import_video_externalrecording WHERE owner_id = ?";
                    let n = tx.query(sql, vec![Param::Int(uid)]).await?.first().and_then(|r| r.int("n")).unwrap_or(0);
                    if n <= ours {
                        why = None;
                    }
                }
            }
        }
        match why {
            Some(r) if r.is_empty() => {} // already gone
            Some(r) => d.kept.push(format!("user {} (auth_user #{uid}: {r})", w.username)),
            None => {
                if !dry {
                    let p = || vec![Param::Int(uid)];
                    tx.execute(
                        "DELETE FROM authentication_owner_sites WHERE owner_id IN (SELECT id FROM authentication_owner WHERE user_id = ?)",
                        p(),
                    )
                    .await?;
                    tx.execute("DELETE FROM authentication_owner WHERE user_id = ?", p()).await?;
                    tx.execute("DELETE FROM auth_user WHERE id = ?", p()).await?;
                }
                d.removed.push(format!("user {} (auth_user #{uid})", w.username));
            }
        }
    }
    Ok(d)
}

async fn retire_one(tx: &mut Tx, url: String, rows: Vec<Written>, dry: bool) -> Result<Done, PluginError> {
    remove_our_rows(tx, &url, &rows, dry, true).await
}

/// Deletes the external-recording rows a delivery inserted that are still
/// ours and not uploaded; an uploaded one is kept and reported. `show_url`
/// names the URL beside each removed row.
async fn remove_our_rows(
    tx: &mut Tx,
    url: &str,
    rows: &[Written],
    dry: bool,
    show_url: bool,
) -> Result<Done, PluginError> {
    let mut d = Done { removed: Vec::new(), kept: Vec::new() };
    for w in rows {
        let Some(id) = w.row_id else { continue };
        match our_row(tx, id, url, w.owner_id, !dry).await? {
            None => {}
            Some(Some(by)) => d.kept.push(format!("row #{id} (uploaded to Pod by auth_user #{by})")),
            Some(None) => {
                if !dry {
                    tx.execute("DELETE FROM import_video_externalrecording WHERE id = ?", vec![Param::Int(id)]).await?;
                }
                d.removed.push(if show_url { format!("row #{id} ({url})") } else { format!("row #{id}") });
            }
        }
    }
    Ok(d)
}

/// Undo or retire (`retire` true) each delivery in its own transaction.
pub fn undo_or_retire(db: &Db, batch: &[Delivered], dry: bool, retire: bool) -> Vec<Outcome> {
    let what = if retire { "retire" } else { "undo" };
    batch
        .iter()
        .map(|d| {
            let id = d.record_id.as_str();
            let Some((url, rows)) = written(d) else {
                return Outcome::skipped(id, "the journal holds no row written for it: nothing to revert");
            };
            let mode = if dry { TxMode::ReadOnly } else { TxMode::ReadWrite };
            let mut attempt = 0;
            loop {
                let (url, rows) = (url.clone(), rows.clone());
                let r = db.transaction(mode, move |tx| {
                    Box::pin(async move {
                        if retire {
                            retire_one(tx, url, rows, dry).await
                        } else {
                            undo_one(tx, url, rows, dry).await
                        }
                    })
                });
                match r {
                    Err(e) if pod::is_transient(&e) && attempt < pod::TRANSIENT_RETRIES => attempt += 1,
                    Err(e) => break pod::failure(id, "", &e),
                    Ok(done) => break done.outcome(id, dry, what),
                }
            }
        })
        .collect()
}

/// For `pending`: per delivery, its inserted rows still there and not uploaded.
pub fn pending(db: &Db, batch: &[Delivered]) -> Result<Vec<Outcome>, PluginError> {
    let parsed: Vec<Option<(String, Vec<Written>)>> = batch.iter().map(written).collect();
    let ids: Vec<i64> = parsed.iter().flatten().flat_map(|(_, w)| w.iter().filter_map(|x| x.row_id)).collect();
    let mut found: std::collections::HashMap<i64, Value> = std::collections::HashMap::new();
    if !ids.is_empty() {
        let sql = format!(
            "SELECT r.id, r.name, r.source_url, r.owner_id, u.username, u.email, u.first_name, u.last_name
             FROM import_video_externalrecording r JOIN auth_user u ON u.id = r.owner_id
             WHERE r.uploaded_to_pod_by_id IS NULL AND r.id IN ({})",
            placeholders(ids.len())
        );
        let params: Vec<Param> = ids.iter().map(|i| Param::Int(*i)).collect();
        let rows = db.transaction(TxMode::ReadOnly, move |tx| Box::pin(async move { tx.query(&sql, params).await }))?;
        for r in rows {
            if let Some(id) = r.int("id") {
                found.insert(
                    id,
                    json!({"url": r.text("source_url"), "owner_id": r.int("owner_id"), "username": r.text("username"),
                           "email": r.text("email"), "first_name": r.text("first_name"), "last_name": r.text("last_name"),
                           "kind": "external", "what": format!("{} ({})", r.text("name"), r.text("source_url"))}),
                );
            }
        }
    }
    Ok(batch
        .iter()
        .zip(parsed)
        .map(|(d, p)| {
            let id = d.record_id.as_str();
            let items: Vec<Value> = p
                .into_iter()
                .flat_map(|(url, w)| {
                    w.into_iter()
                        .filter_map(|x| x.row_id.map(|r| (r, x.owner_id)))
                        .filter_map(|(r, owner)| found.get(&r).cloned().map(|v| (v, owner)))
                        .filter(|(v, owner)| v["url"] == url.as_str() && v["owner_id"] == *owner)
                        .map(|(v, _)| v)
                        .collect::<Vec<_>>()
                })
                .collect();
            if items.is_empty() {
                Outcome::skipped(id, "nothing pending (uploaded, or gone)")
            } else {
                Outcome::done(id, format!("{} external recording(s) not uploaded yet", items.len()))
                    .with_data(&json!({ "items": items }))
            }
        })
        .collect())
}
