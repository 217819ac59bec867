//! `write` in two steps. *Plan*: per database, one read-only transaction finds
//! the activity of every recording and reads their intros; it says which
//! intro would change. *Apply*: one read-write transaction per recording
//! reads the intro again `FOR UPDATE` (another run or worker may have added
//! the notice meanwhile) and writes it.
use crate::{change_for, undo, Change, MoodleNotice};
use bbb_migrate_db::{placeholders, Db, Param, TxMode};
use moodle_core::{find_activities, is_moodle_recording, origin_server, Found, Query};
use plugin_api::sdk::{PlanApply, Planned};
use plugin_api::{Outcome, PluginError, SinkItem};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// An intro to give the notice: one recording's activity.
pub struct Notice {
    /// The database (its key in `databases`).
    site: String,
    found: Found,
    name: String,
}

/// What the plan read in one database: the activity of each recording (or
/// why none), and the intro of each activity found.
struct Read {
    found: Vec<Result<Found, String>>,
    intros: HashMap<i64, String>,
}

/// What applying a [`Notice`] found under the row lock.
enum Applied {
    Gone,
    AlreadyThere,
    Written { replaced: bool, written: undo::Written },
}

impl MoodleNotice {
    fn table(&self) -> String {
        self.prefix.t("bigbluebuttonbn")
    }

    fn database(&self, key: &str) -> &Db {
        self.dbs.all().into_iter().find(|(k, _)| *k == key).map(|(_, db)| db).expect("a key of the map")
    }

    /// The database key of a recording, or why it is not for this sink.
    fn site_of(&self, item: &SinkItem) -> Result<&str, Outcome> {
        let r = &item.recording;
        let id = r.record_id.as_str();
        if !is_moodle_recording(r) {
            return Err(Outcome::skipped(id, "not a Moodle recording"));
        }
        self.dbs.for_server(origin_server(r)).map(|(key, _)| key).ok_or_else(|| {
            Outcome::skipped(
                id,
                format!(
                    "no Moodle database configured for origin server `{}` and no \"default\"",
                    origin_server(r).unwrap_or("(none)")
                ),
            )
        })
    }

    /// The activities of `items` (all of database `key`) and the intros of
    /// those found, in one read-only transaction.
    fn read(&self, key: &str, items: &[&SinkItem]) -> Result<Read, PluginError> {
        let ids: Vec<(String, String)> =
            items.iter().map(|i| (i.recording.record_id.to_string(), i.recording.meeting_id.to_string())).collect();
        let (prefix, table) = (self.prefix.clone(), self.table());
        self.database(key).transaction(TxMode::ReadOnly, move |tx| {
            Box::pin(async move {
                let schema = moodle_core::detect_schema(tx, &prefix).await?;
                let queries: Vec<Query> = ids
                    .iter()
                    .map(|(r, m)| Query { record_id: r, meeting: moodle_core::parse_meeting_id(m) })
                    .collect();
                let found = find_activities(tx, &prefix, schema, &queries).await?;
                let mut acts: Vec<i64> =
                    found.iter().flatten().filter(|f| f.activity.is_some()).map(|f| f.activity_id).collect();
                acts.sort_unstable();
                acts.dedup();
                let mut intros = HashMap::new();
                if !acts.is_empty() {
                    let sql = format!("SELECT id, intro FROM {table} WHERE id IN ({})", placeholders(acts.len()));
                    for row in tx.query(&sql, acts.into_iter().map(Param::Int).collect()).await? {
                        if let Some(id) = row.int("id") {
                            intros.insert(id, row.str("intro").unwrap_or_default());
                        }
                    }
                }
                Ok(Read { found, intros })
            })
        })
    }

    /// The plans of the recordings of one database.
    fn plan_site(&self, key: &str, items: &[&SinkItem]) -> Vec<Planned<Notice>> {
        let Read { found, intros } = match self.read(key, items) {
            Ok(v) => v,
            Err(e) => {
                let why = format!("moodle `{key}`: {}", e.message);
                return items.iter().map(|i| Planned::settled(Outcome::failed(&i.recording.record_id, &why))).collect();
            }
        };
        let table = self.table();
        // Activity → the first recording planned to give it the notice.
        let mut first: HashMap<i64, String> = HashMap::new();
        let mut plan = |rid: &str, found: Result<Found, String>| {
            let found = match found {
                Err(why) => return Planned::settled(Outcome::skipped(rid, format!("no Moodle activity: {why}"))),
                Ok(f) => f,
            };
            let Some(name) = found.activity.as_ref().map(|a| a.name.clone()) else {
                let why = format!("{} was deleted: no intro to change", found.label());
                return Planned::settled(Outcome::skipped(rid, why));
            };
            let Some(intro) = intros.get(&found.activity_id) else {
                return Planned::settled(Outcome::skipped(rid, format!("{} no longer exists", found.label())));
            };
            let n = Notice { site: key.to_string(), found, name };
            let (what, act) = (n.what(&table), n.found.activity_id);
            let data = n.data(&table, &undo::Written::of(intro, &self.notice));
            let would = match change_for(intro, &self.notice) {
                Change::None => return Planned::settled(Outcome::skipped(rid, format!("notice already in {what}"))),
                Change::Replace(_) => {
                    first.insert(act, rid.to_string());
                    Outcome::planned(rid, format!("would replace the earlier notice in {what} (message changed)"))
                        .with_data(&data)
                }
                Change::Append(_) => match first.get(&act) {
                    Some(f) => Outcome::planned(rid, format!("notice for {what} already planned for recording {f}")),
                    None => {
                        first.insert(act, rid.to_string());
                        let (bytes, len) = (self.notice.len(), intro.len());
                        Outcome::planned(
                            rid,
                            format!("would append the notice ({bytes} bytes) to {what} (intro kept, {len} bytes)"),
                        )
                        .with_data(&data)
                    }
                },
            };
            Planned::write(n, would)
        };
        items.iter().zip(found).map(|(i, f)| plan(&i.recording.record_id, f)).collect()
    }

    /// One recording's transaction: the intro read again under a row lock, then written.
    fn apply_one(&self, rid: &str, n: Notice) -> Outcome {
        let table = self.table();
        let (what, act, notice) = (n.what(&table), n.found.activity_id, self.notice.clone());
        let sql_lock = format!("SELECT intro FROM {table} WHERE id = ? FOR UPDATE");
        let sql_update = format!("UPDATE {table} SET intro = ? WHERE id = ?");
        let res = self.database(&n.site).transaction(TxMode::ReadWrite, move |tx| {
            Box::pin(async move {
                let rows = tx.query(&sql_lock, vec![Param::Int(act)]).await?;
                let Some(row) = rows.first() else { return Ok(Applied::Gone) };
                let intro = row.str("intro").unwrap_or_default();
                let (new, replaced) = match change_for(&intro, &notice) {
                    Change::None => return Ok(Applied::AlreadyThere),
                    Change::Append(new) => (new, false),
                    Change::Replace(new) => (new, true),
                };
                let written = undo::Written::of(&intro, &notice);
                tx.execute(&sql_update, vec![Param::Str(new), Param::Int(act)]).await?;
                Ok(Applied::Written { replaced, written })
            })
        });
        match res {
            Err(e) => Outcome::failed(rid, format!("moodle `{}`: {}", n.site, e.message)),
            Ok(Applied::Gone) => Outcome::skipped(rid, format!("{} no longer exists", n.found.label())),
            Ok(Applied::AlreadyThere) => Outcome::skipped(rid, format!("notice already in {what}")),
            Ok(Applied::Written { replaced: true, written }) => {
                Outcome::done(rid, format!("earlier notice replaced in {what} (message changed)"))
                    .with_data(&n.data(&table, &written))
            }
            Ok(Applied::Written { replaced: false, written }) => {
                Outcome::done(rid, format!("notice appended to {what}")).with_data(&n.data(&table, &written))
            }
        }
    }
}

impl Notice {
    fn what(&self, table: &str) -> String {
        format!("{table}.intro of {} `{}`", self.found.label(), self.name)
    }

    /// The journal's data: where the notice goes, and the intro it was added to.
    fn data(&self, table: &str, written: &undo::Written) -> serde_json::Value {
        written.data(json!({
            "site": self.site,
            "table": table,
            "activity": self.found.activity_id,
            "course": self.found.course_id,
        }))
    }
}

impl PlanApply for MoodleNotice {
    type Step = Notice;

    fn plan(&self, batch: &[SinkItem]) -> Result<Vec<Planned<Notice>>, PluginError> {
        let mut out: Vec<Option<Planned<Notice>>> = batch.iter().map(|_| None).collect();
        let mut sites: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, item) in batch.iter().enumerate() {
            match self.site_of(item) {
                Ok(key) => sites.entry(key).or_default().push(i),
                Err(o) => out[i] = Some(Planned::settled(o)),
            }
        }
        for (key, idx) in sites {
            let items: Vec<&SinkItem> = idx.iter().map(|&i| &batch[i]).collect();
            for (i, p) in idx.into_iter().zip(self.plan_site(key, &items)) {
                out[i] = Some(p);
            }
        }
        Ok(out.into_iter().map(|p| p.expect("every item planned")).collect())
    }

    /// One transaction per recording, in order.
    fn apply(&self, batch: &[SinkItem], plans: Vec<Planned<Notice>>) -> Result<Vec<Outcome>, PluginError> {
        Ok(batch
            .iter()
            .zip(plans)
            .map(|(item, p)| match p.into_step() {
                Err(o) => o,
                Ok(n) => self.apply_one(&item.recording.record_id, n),
            })
            .collect())
    }
}
