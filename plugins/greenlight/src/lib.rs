//! Resolver `greenlight`: the owners of Greenlight v2 and v3 recordings
//! (PostgreSQL), the room owner first, then the users the room is shared with
//! (secondary owners).
//!
//! ```toml
//! [[resolvers]]
//! name = "greenlight"
//! type = "greenlight"
//! database = "postgres://gl@db3/greenlight_production"
//! version = 2                           # optional: detected from the schema
//! ```
//!
//! v2: meetingID = `rooms.bbb_id`. v3: recordID = `recordings.record_id`, else
//! meetingID = `rooms.meeting_id` (rooms migrated from v2 keep their v2 bbb_id
//! there, so v2-era recordings resolve against a v3 database), else
//! `bbb-context-id` = `rooms.friendly_id`. Three queries per batch.
//!
//! Routing: `bbb-origin` = greenlight (any case); no origin at all and either
//! `gl-listed` metadata or a bare 40-character `[a-z0-9]` meetingID. Another
//! origin (Moodle…) is never looked at.
//!
//! Usernames: Greenlight has none for local accounts; the owner's `username`
//! is v2 `users.username` (LDAP) when set, else the e-mail address.

use bbb_migrate_db::owners::{Person, Picker};
use bbb_migrate_db::routing::{internal_hash, meta_ci, origin};
use bbb_migrate_db::{placeholders, Answers, Db, DbUrl, Engine, Param, Row, Tx, TxMode};
use plugin_api::sdk::{Component, Ctx, PluginDecl, ResolverComponent, ResolverPlugin};
use plugin_api::{export_plugin, PluginError, Recording, Resolution};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

const CHUNK: usize = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    database: String,
    #[serde(default)]
    version: Option<u8>,
}

pub struct GreenlightResolver {
    db: Db,
    configured: Option<u8>,
    detected: Mutex<Option<u8>>,
    /// sha1(room meetingID) → meetingID, read once when a breakout room needs it.
    room_hashes: Mutex<Option<RoomHashes>>,
    ctx: Ctx,
}

type RoomHashes = HashMap<String, String>;

/// Is this recording possibly a Greenlight one?
pub fn is_greenlight_recording(r: &Recording) -> bool {
    match origin(r) {
        Some(o) => o == "greenlight",
        None => {
            let m = r.meeting_id.as_str();
            meta_ci(r, "gl-listed").is_some()
                || (m.len() == 40 && m.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        }
    }
}

impl ResolverComponent for GreenlightResolver {
    const TYPE: &'static str = "greenlight";
    const ABOUT: &'static str = "Room owner and shared-access users of Greenlight v2/v3 recordings";
    type Config = Config;
    fn build(cfg: Config, ctx: Ctx) -> Result<Self, PluginError> {
        let url: DbUrl =
            cfg.database.parse().map_err(|e: String| PluginError::config("database", format!("database: {e}")))?;
        if url.engine != Engine::Postgres {
            return Err(PluginError::config(
                "database",
                format!("database: Greenlight runs on PostgreSQL; {} is not a postgres:// URL", url.redacted()),
            ));
        }
        if let Some(v) = cfg.version {
            if v != 2 && v != 3 {
                return Err(PluginError::config("version", format!("version must be 2 or 3, not {v}")));
            }
        }
        Ok(Self {
            db: Db::new(&url)?,
            configured: cfg.version,
            detected: Mutex::new(None),
            room_hashes: Mutex::new(None),
            ctx,
        })
    }
}

/// Which generation the database holds: 3 if `rooms.meeting_id` exists, 2 if `rooms.bbb_id`.
async fn detect(tx: &mut Tx) -> Result<u8, PluginError> {
    let rows = tx
        .query(
            "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'rooms' AND column_name IN ('bbb_id', 'meeting_id')",
            vec![],
        )
        .await?;
    let cols: BTreeSet<String> = rows.iter().map(|r| r.text("c")).collect();
    if cols.contains("meeting_id") {
        Ok(3)
    } else if cols.contains("bbb_id") {
        Ok(2)
    } else {
        Err(PluginError::data(format!(
            "{}: no rooms.bbb_id nor rooms.meeting_id: not a Greenlight database",
            tx.url().redacted()
        )))
    }
}

fn version_check(configured: Option<u8>, found: u8, url: &DbUrl) -> Result<u8, PluginError> {
    match configured {
        Some(v) if v != found => Err(PluginError::config(
            "version",
            format!("version = {v} but {} holds a Greenlight v{found} schema", url.redacted()),
        )),
        _ => Ok(found),
    }
}

#[derive(Clone)]
struct Item {
    record_id: String,
    meeting_id: String,
    context_id: Option<String>,
    /// A breakout room's parent meeting (internal id); record_id and meeting_id are then the parent's.
    parent: Option<String>,
}

impl Item {
    /// A breakout room stands for its parent meeting: the parent's internal id
    /// is its recordID (if recorded); its meetingID comes from the room whose
    /// meetingID hashes to it. Breakout rooms inherit the parent's metadata,
    /// so `bbb-context-id` (v3.4+) already names the parent's room.
    fn of(r: &Recording) -> Self {
        let parent = r.breakout_parent();
        Item {
            record_id: parent.clone().unwrap_or_else(|| r.record_id.to_string()),
            meeting_id: if parent.is_some() { String::new() } else { r.meeting_id.to_string() },
            context_id: meta_ci(r, "bbb-context-id").map(str::to_string),
            parent,
        }
    }
}

/// Every room's sha1(meetingID), to find breakout rooms' parents: one statement per run.
async fn room_hashes(tx: &mut Tx, version: u8) -> Result<RoomHashes, PluginError> {
    let col = if version == 2 { "bbb_id" } else { "meeting_id" };
    let rows = tx.query(&format!("SELECT {col} AS m FROM rooms WHERE {col} IS NOT NULL"), vec![]).await?;
    Ok(rows.iter().map(|r| r.text("m")).map(|m| (internal_hash(&m), m)).collect())
}

#[derive(Clone, Debug)]
struct Room {
    id: String,
    meeting_id: String,
    friendly: String,
    deleted: bool,
    owner: Option<Person>,
}

fn split_name(name: &str) -> (String, String) {
    match name.trim().split_once(' ') {
        Some((f, l)) => (f.trim().to_string(), l.trim().to_string()),
        None => (name.trim().to_string(), String::new()),
    }
}

/// A Greenlight user: `name` split into first/last names; `username` is the
/// v2 LDAP username when set, else the e-mail address.
fn person(r: &Row, username: Option<String>, unusable: Option<&str>, external: String) -> Option<Person> {
    let (first, last) = split_name(&r.text("name"));
    let email = r.text("email");
    Some(Person {
        id: r.str("user_id")?,
        username: username.filter(|u| !u.trim().is_empty()).unwrap_or_else(|| email.clone()),
        email,
        first_name: first,
        last_name: last,
        unusable: unusable.map(str::to_string),
        extra: serde_json::json!({ "greenlight_user_id": r.text("user_id"), "provider": r.text("provider"), "external_id": external }),
    })
}

/// A Greenlight v2 user; deleted ones and those of the `denied` role (banned
/// by an administrator) are unusable.
fn user_v2(r: &Row) -> Option<Person> {
    let unusable = if r.bool("user_deleted").unwrap_or(false) {
        Some("deleted")
    } else if r.text("role_name") == "denied" {
        Some("banned (denied role)")
    } else {
        None
    };
    person(r, r.str("username"), unusable, r.text("social_uid"))
}

fn user_v3(r: &Row) -> Option<Person> {
    person(r, None, (r.int("status") == Some(2)).then_some("banned"), r.text("external_id"))
}

async fn resolve_v2(
    tx: &mut Tx,
    items: &[Item],
) -> Result<(Vec<Option<(Room, &'static str)>>, HashMap<String, Vec<Person>>), PluginError> {
    let mids: Vec<String> = items.iter().map(|i| i.meeting_id.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut rooms: HashMap<String, Room> = HashMap::new();
    for chunk in mids.chunks(CHUNK) {
        let sql = format!(
            "SELECT r.id::text AS room_id, r.bbb_id, r.uid AS room_uid, r.deleted AS room_deleted, u.id::text AS user_id, u.name, u.email, u.username, u.provider, u.social_uid, u.deleted AS user_deleted, ro.name AS role_name \
             FROM rooms r LEFT JOIN users u ON u.id = r.user_id LEFT JOIN roles ro ON ro.id = u.role_id \
             WHERE r.bbb_id IN ({}) ORDER BY r.deleted, r.id",
            placeholders(chunk.len())
        );
        for row in tx.query(&sql, chunk.iter().cloned().map(Param::Str).collect()).await? {
            rooms.entry(row.text("bbb_id")).or_insert_with(|| Room {
                id: row.text("room_id"),
                meeting_id: row.text("bbb_id"),
                friendly: row.text("room_uid"),
                deleted: row.bool("room_deleted").unwrap_or(false),
                owner: user_v2(&row),
            });
        }
    }
    let room_ids: Vec<i64> =
        rooms.values().filter_map(|r| r.id.parse().ok()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut shared: HashMap<String, Vec<Person>> = HashMap::new();
    for chunk in room_ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT sa.room_id::text AS room_id, u.id::text AS user_id, u.name, u.email, u.username, u.provider, u.social_uid, u.deleted AS user_deleted, ro.name AS role_name \
             FROM shared_accesses sa JOIN users u ON u.id = sa.user_id LEFT JOIN roles ro ON ro.id = u.role_id \
             WHERE sa.room_id IN ({}) ORDER BY sa.id",
            placeholders(chunk.len())
        );
        for row in tx.query(&sql, chunk.iter().map(|&i| Param::Int(i)).collect()).await? {
            if let Some(u) = user_v2(&row) {
                shared.entry(row.text("room_id")).or_default().push(u);
            }
        }
    }
    let found = items.iter().map(|i| rooms.get(&i.meeting_id).map(|r| (r.clone(), ""))).collect();
    Ok((found, shared))
}

async fn resolve_v3(
    tx: &mut Tx,
    items: &[Item],
) -> Result<(Vec<Option<(Room, &'static str)>>, HashMap<String, Vec<Person>>), PluginError> {
    let rids: Vec<String> = items.iter().map(|i| i.record_id.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut by_rec: HashMap<String, String> = HashMap::new();
    for chunk in rids.chunks(CHUNK) {
        let sql = format!(
            "SELECT record_id, room_id::text AS room_id FROM recordings WHERE record_id IN ({}) AND room_id IS NOT NULL ORDER BY created_at",
            placeholders(chunk.len())
        );
        for row in tx.query(&sql, chunk.iter().cloned().map(Param::Str).collect()).await? {
            by_rec.entry(row.text("record_id")).or_insert_with(|| row.text("room_id"));
        }
    }
    let room_uuids: BTreeSet<String> = by_rec.values().cloned().collect();
    let mids: BTreeSet<String> =
        items.iter().filter(|i| !by_rec.contains_key(&i.record_id)).map(|i| i.meeting_id.clone()).collect();
    let ctxs: BTreeSet<String> =
        items.iter().filter(|i| !by_rec.contains_key(&i.record_id)).filter_map(|i| i.context_id.clone()).collect();
    let (room_uuids, mids, ctxs): (Vec<String>, Vec<String>, Vec<String>) =
        (room_uuids.into_iter().collect(), mids.into_iter().collect(), ctxs.into_iter().collect());
    let mut rooms: Vec<Room> = Vec::new();
    let n = room_uuids.len().max(mids.len()).max(ctxs.len());
    for start in (0..n).step_by(CHUNK) {
        let part = |v: &Vec<String>| v.iter().skip(start).take(CHUNK).cloned().collect::<Vec<_>>();
        let (a, b, c) = (part(&room_uuids), part(&mids), part(&ctxs));
        let sql = format!(
            "SELECT r.id::text AS room_id, r.meeting_id, r.friendly_id, u.id::text AS user_id, u.name, u.email, u.external_id, u.provider, u.status \
             FROM rooms r LEFT JOIN users u ON u.id = r.user_id WHERE r.id IN ({}) OR r.meeting_id IN ({}) OR r.friendly_id IN ({})",
            placeholders(a.len()),
            placeholders(b.len()),
            placeholders(c.len())
        );
        let params: Vec<Param> = a.into_iter().chain(b).chain(c).map(Param::Str).collect();
        for row in tx.query(&sql, params).await? {
            rooms.push(Room {
                id: row.text("room_id"),
                meeting_id: row.text("meeting_id"),
                friendly: row.text("friendly_id"),
                deleted: false,
                owner: user_v3(&row),
            });
        }
    }
    let room_ids: Vec<String> = rooms.iter().map(|r| r.id.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut shared: HashMap<String, Vec<Person>> = HashMap::new();
    for chunk in room_ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT sa.room_id::text AS room_id, u.id::text AS user_id, u.name, u.email, u.external_id, u.provider, u.status \
             FROM shared_accesses sa JOIN users u ON u.id = sa.user_id WHERE sa.room_id IN ({}) ORDER BY sa.created_at, sa.id",
            placeholders(chunk.len())
        );
        for row in tx.query(&sql, chunk.iter().cloned().map(Param::Str).collect()).await? {
            if let Some(u) = user_v3(&row) {
                shared.entry(row.text("room_id")).or_default().push(u);
            }
        }
    }
    let found = items
        .iter()
        .map(|i| {
            if let Some(room_id) = by_rec.get(&i.record_id) {
                return rooms.iter().find(|r| &r.id == room_id).map(|r| (r.clone(), " (by recordID)"));
            }
            if let Some(r) = rooms.iter().find(|r| r.meeting_id == i.meeting_id) {
                return Some((r.clone(), ""));
            }
            let c = i.context_id.as_ref()?;
            rooms.iter().find(|r| &r.friendly == c).map(|r| (r.clone(), " (by bbb-context-id)"))
        })
        .collect();
    Ok((found, shared))
}

fn compose(
    item: &Item,
    found: Option<(Room, &'static str)>,
    shared: &HashMap<String, Vec<Person>>,
    version: u8,
) -> Resolution {
    let breakout = item.parent.as_ref().map(|p| format!(" (breakout room of meeting {p})")).unwrap_or_default();
    let Some((room, via)) = found else {
        return Resolution::unknown(format!(
            "greenlight v{version}{breakout}: no room with this meetingID or recordID"
        ));
    };
    let deleted = format!("{}{breakout}", if room.deleted { " (room deleted)" } else { "" });
    let mut pk = Picker::new();
    if let Some(u) = &room.owner {
        pk.add(u, format!("owner{via}"));
    }
    for u in shared.get(&room.id).into_iter().flatten() {
        pk.add(u, format!("shared access{via}"));
    }
    let notes = pk.notes();
    if pk.is_empty() {
        let why =
            if notes.is_empty() { "the room has no owner".to_string() } else { format!("no usable owner: {notes}") };
        return Resolution::unknown(format!("greenlight v{version} room {}{deleted}: {why}", room.friendly));
    }
    let common = serde_json::json!({ "greenlight_version": version, "room": room.friendly });
    let mut r = Resolution::resolved(
        pk.into_owners(|why| format!("room {} {}{deleted}", room.friendly, why.join(", ")), &common),
    );
    if !notes.is_empty() {
        r.note = format!("greenlight room {}: skipped {notes}", room.friendly).into();
    }
    r
}

impl ResolverPlugin for GreenlightResolver {
    fn resolve(&self, batch: &[Recording]) -> Result<Vec<Resolution>, PluginError> {
        let mut out = Answers::new(batch.len());
        let idx: Vec<usize> = (0..batch.len()).filter(|&i| is_greenlight_recording(&batch[i])).collect();
        if !idx.is_empty() {
            let items: Vec<Item> = idx.iter().map(|&i| Item::of(&batch[i])).collect();
            let known = *self.detected.lock().unwrap_or_else(|p| p.into_inner());
            let hashes = self.room_hashes.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let configured = self.configured;
            let res = self.db.transaction(TxMode::ReadOnly, move |tx| {
                Box::pin(async move {
                    let mut items = items;
                    let version = match known {
                        Some(v) => v,
                        None => version_check(configured, detect(tx).await?, tx.url())?,
                    };
                    let mut hashes = hashes;
                    if items.iter().any(|i| i.parent.is_some()) {
                        if hashes.is_none() {
                            hashes = Some(room_hashes(tx, version).await?);
                        }
                        let h = hashes.as_ref().expect("just read");
                        for it in items.iter_mut() {
                            if let Some(m) = it.parent.as_ref().and_then(|p| h.get(p.split('-').next().unwrap_or(""))) {
                                it.meeting_id = m.clone();
                            }
                        }
                    }
                    let (found, shared) =
                        if version == 2 { resolve_v2(tx, &items).await? } else { resolve_v3(tx, &items).await? };
                    let answers =
                        items.iter().zip(found).map(|(it, f)| compose(it, f, &shared, version)).collect::<Vec<_>>();
                    Ok((version, hashes, answers))
                })
            });
            let res = res.map(|(version, hashes, answers)| {
                *self.detected.lock().unwrap_or_else(|p| p.into_inner()) = Some(version);
                if hashes.is_some() {
                    *self.room_hashes.lock().unwrap_or_else(|p| p.into_inner()) = hashes;
                }
                answers
            });
            out.apply(&idx, res, "greenlight", &self.ctx);
        }
        Ok(out.finish())
    }

    fn check(&self) -> Result<Vec<String>, PluginError> {
        let configured = self.configured;
        let v = self.db.transaction(TxMode::ReadOnly, move |tx| {
            Box::pin(async move {
                let found = detect(tx).await?;
                version_check(configured, found, tx.url())
            })
        })?;
        *self.detected.lock().unwrap_or_else(|p| p.into_inner()) = Some(v);
        Ok(vec![format!("{} reachable, Greenlight v{v}", self.db.url().redacted())])
    }

    fn close(&self) -> Result<(), PluginError> {
        self.db.close();
        Ok(())
    }
}

pub struct Plugin;

impl PluginDecl for Plugin {
    const NAME: &'static str = "greenlight";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Owners of Greenlight v2/v3 recordings, from the Greenlight database";
    const COMPONENTS: &'static [Component] = &[Component::resolver::<GreenlightResolver>()];
}

export_plugin!(Plugin);

#[cfg(test)]
mod tests {
    use super::*;
    use bbb_migrate_db::testing::recording;

    #[test]
    fn routing() {
        assert!(is_greenlight_recording(&recording("r", "x", &[("bbb-origin", "Greenlight")])));
        assert!(is_greenlight_recording(&recording("r", "x", &[("bbb-origin", "greenlight")])));
        assert!(is_greenlight_recording(&recording("r", "x", &[("gl-listed", "false")])));
        assert!(is_greenlight_recording(&recording("r", "0v1xkcrre2la0vafauyepzfei16x2fkuhcfydvps", &[])));
        assert!(!is_greenlight_recording(&recording(
            "r",
            "0v1xkcrre2la0vafauyepzfei16x2fkuhcfydvps",
            &[("bbb-origin", "Moodle")]
        )));
        assert!(!is_greenlight_recording(&recording("r", "1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1[0]", &[])));
        assert!(!is_greenlight_recording(&recording("r", "0003-soutenances", &[])));
        assert_eq!(split_name("Jeanne Dupont"), ("Jeanne".into(), "Dupont".into()));
        assert_eq!(split_name("Administrator"), ("Administrator".into(), "".into()));
    }
}
