//! Resolver `pod`: the owners of recordings made by Esup-Pod's meeting app
//! (PostgreSQL or MariaDB/MySQL Pod databases).
//!
//! ```toml
//! [[resolvers]]
//! name = "pod"
//! type = "pod"
//! database = "postgres://pod@db4/pod"
//! ```
//!
//! Pod's meetingID is `"%04d-%s" % (meeting.id, slugify(name))`, recomputed on
//! every save: a recording is matched by its exact meetingID first, then by
//! the numeric prefix (= `meeting.id`), so renamed meetings keep their
//! recordings. A recording uploaded into Pod (`meeting_internalrecording`) is
//! matched by its recordID. Owners: the recording's uploader (internal
//! recordings), the meeting owner, then `meeting_additional_owners`
//! (secondary). Inactive Pod users are skipped with a note. Five queries per batch.
//! Only meetings of the site (`django_site`) the recording's `endCallbackUrl`
//! names are taken; breakout rooms go to their parent meeting.
//!
//! Routing: Pod sends no `bbb-origin`; a recording with another origin is never
//! looked at. Without origin, the meeting lookup runs for Pod-shaped meetingIDs
//! (`^\d{4,9}-[a-z0-9-]*$`) or an `endCallbackUrl` of `/meeting/end_callback/`,
//! the recordID lookup for all of them.

use bbb_migrate_db::owners::{Columns, Person, Picker};
use bbb_migrate_db::routing::{is_internal_id_of, meta_ci, origin};
use bbb_migrate_db::{normalize_server, placeholders, Answers, Db, DbUrl, Param, Row, Tx, TxMode};
use plugin_api::sdk::{Component, Ctx, PluginDecl, ResolverComponent, ResolverPlugin};
use plugin_api::{export_plugin, PluginError, Recording, Resolution};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};

const CHUNK: usize = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    database: String,
}

pub struct PodResolver {
    db: Db,
    ctx: Ctx,
}

/// The numeric id of a Pod meetingID (`0003-soutenances` → 3), if it has Pod's shape.
pub fn pod_meeting_number(meeting_id: &str) -> Option<i64> {
    let (num, slug) = meeting_id.split_once('-').unwrap_or((meeting_id, ""));
    if meeting_id.len() == num.len() || !(4..=9).contains(&num.len()) || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return None;
    }
    num.parse().ok()
}

/// May Pod own this recording? (No origin, or origin `pod`.)
pub fn may_be_pod(r: &Recording) -> bool {
    match origin(r) {
        None => true,
        Some(o) => o == "pod",
    }
}

/// Is the meetingID (or the callback URL) Pod's?
pub fn looks_like_pod_meeting(r: &Recording) -> bool {
    pod_meeting_number(r.meeting_id.as_str()).is_some()
        || meta_ci(r, "endcallbackurl").is_some_and(|u| u.contains("/meeting/end_callback/"))
}

impl ResolverComponent for PodResolver {
    const TYPE: &'static str = "pod";
    const ABOUT: &'static str = "Meeting owner and additional owners of Pod recordings (PostgreSQL, MariaDB)";
    type Config = Config;
    fn build(cfg: Config, ctx: Ctx) -> Result<Self, PluginError> {
        let url: DbUrl =
            cfg.database.parse().map_err(|e: String| PluginError::config("database", format!("database: {e}")))?;
        Ok(Self { db: Db::new(&url)?, ctx })
    }
}

#[derive(Clone)]
struct Item {
    record_id: String,
    meeting_id: String,
    meeting_lookup: bool,
    /// The Pod host the recording was made on (`endCallbackUrl`, the recording-ready
    /// URL, or `bbb-origin-server-name`), normalised; `None` when nothing says.
    host: Option<String>,
    /// A breakout room's parent meeting (internal id); record_id and meeting_id are then the parent's.
    parent: Option<String>,
}

/// The Pod host a recording names: the host of its `endCallbackUrl` (which Pod
/// always sets), else of `bbb-recording-ready-url`, else `bbb-origin-server-name`.
pub fn pod_host(r: &Recording) -> Option<String> {
    ["endcallbackurl", "bbb-recording-ready-url", "bbb-origin-server-name"]
        .iter()
        .find_map(|k| meta_ci(r, k))
        .map(normalize_server)
        .filter(|h| !h.is_empty())
}

/// The meetingID inside Pod's `…/meeting/end_callback/<meetingID>/`.
fn callback_meeting(r: &Recording) -> Option<String> {
    let url = meta_ci(r, "endcallbackurl")?;
    let rest = url.split("/meeting/end_callback/").nth(1)?;
    let m = rest.split(['/', '?']).next()?.trim();
    (!m.is_empty()).then(|| m.to_string())
}

impl Item {
    /// A breakout room stands for its parent meeting: the parent's internal id
    /// (its recordID, Pod's `meeting.internal_meeting_id` of that session) and
    /// the parent's meetingID, which the inherited `endCallbackUrl` names (kept
    /// only if it hashes to the parent id).
    fn of(r: &Recording) -> Self {
        let parent = r.breakout_parent();
        let (record_id, meeting_id) = match &parent {
            Some(p) => (p.clone(), callback_meeting(r).filter(|m| is_internal_id_of(p, m)).unwrap_or_default()),
            None => (r.record_id.to_string(), r.meeting_id.to_string()),
        };
        Item {
            meeting_lookup: looks_like_pod_meeting(r) || pod_meeting_number(&meeting_id).is_some(),
            record_id,
            meeting_id,
            host: pod_host(r),
            parent,
        }
    }
}

#[derive(Clone, Debug)]
struct Meeting {
    id: i64,
    meeting_id: String,
    owner_id: i64,
    site_id: i64,
    /// The BBB internal id of the meeting's last session.
    internal_id: String,
}

const USER_COLS: &str = "u.id AS uid, u.username, u.email, u.first_name, u.last_name, u.is_active";

/// A Pod user; inactive accounts are unusable.
fn user_of(r: &Row) -> Option<Person> {
    let cols =
        Columns { id: "uid", username: "username", email: "email", first_name: "first_name", last_name: "last_name" };
    let mut p = Person::from_row(r, &cols)?;
    p.unusable = (!r.bool("is_active").unwrap_or(true)).then(|| "inactive".to_string());
    p.extra = serde_json::json!({ "pod_user_id": r.int("uid") });
    Some(p)
}

struct Data {
    /// `django_site`: id → normalised domain.
    sites: Vec<(i64, String)>,
    internal: HashMap<String, (Option<i64>, Option<i64>)>,
    meetings: Vec<Meeting>,
    users: HashMap<i64, Person>,
    additional: HashMap<i64, Vec<Person>>,
}

async fn read(tx: &mut Tx, items: &[Item]) -> Result<Data, PluginError> {
    // 1. Internal recordings by recordID.
    let rids: Vec<String> = items.iter().map(|i| i.record_id.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut internal: HashMap<String, (Option<i64>, Option<i64>)> = HashMap::new();
    for chunk in rids.chunks(CHUNK) {
        let sql = format!(
            "SELECT recording_id, owner_id, meeting_id FROM meeting_internalrecording WHERE recording_id IN ({}) ORDER BY id",
            placeholders(chunk.len())
        );
        for row in tx.query(&sql, chunk.iter().cloned().map(Param::Str).collect()).await? {
            internal.entry(row.text("recording_id")).or_insert((row.int("owner_id"), row.int("meeting_id")));
        }
    }
    // 2. Meetings: exact meetingIDs, numeric prefixes, internal recordings' meetings.
    let exact: BTreeSet<String> = items.iter().filter(|i| i.meeting_lookup).map(|i| i.meeting_id.clone()).collect();
    let mut ids: BTreeSet<i64> =
        items.iter().filter(|i| i.meeting_lookup).filter_map(|i| pod_meeting_number(&i.meeting_id)).collect();
    ids.extend(internal.values().filter_map(|v| v.1));
    let parents: BTreeSet<String> = items.iter().filter_map(|i| i.parent.clone()).collect();
    let (exact, ids, parents): (Vec<String>, Vec<i64>, Vec<String>) =
        (exact.into_iter().collect(), ids.into_iter().collect(), parents.into_iter().collect());
    let mut meetings: Vec<Meeting> = Vec::new();
    for start in (0..exact.len().max(ids.len()).max(parents.len())).step_by(CHUNK) {
        let e: Vec<String> = exact.iter().skip(start).take(CHUNK).cloned().collect();
        let n: Vec<i64> = ids.iter().skip(start).take(CHUNK).copied().collect();
        let p: Vec<String> = parents.iter().skip(start).take(CHUNK).cloned().collect();
        let sql = format!(
            "SELECT id, meeting_id, owner_id, site_id, internal_meeting_id FROM meeting \
             WHERE meeting_id IN ({}) OR id IN ({}) OR internal_meeting_id IN ({})",
            placeholders(e.len()),
            placeholders(n.len()),
            placeholders(p.len())
        );
        let params: Vec<Param> = e
            .into_iter()
            .map(Param::Str)
            .chain(n.into_iter().map(Param::Int))
            .chain(p.into_iter().map(Param::Str))
            .collect();
        for row in tx.query(&sql, params).await? {
            let id = row.int("id").unwrap_or(0);
            if !meetings.iter().any(|m| m.id == id) {
                meetings.push(Meeting {
                    id,
                    meeting_id: row.text("meeting_id"),
                    owner_id: row.int("owner_id").unwrap_or(0),
                    site_id: row.int("site_id").unwrap_or(0),
                    internal_id: row.text("internal_meeting_id"),
                });
            }
        }
    }
    // 3. Owners (meeting owners + internal recording owners).
    let mut uids: BTreeSet<i64> = meetings.iter().map(|m| m.owner_id).collect();
    uids.extend(internal.values().filter_map(|v| v.0));
    let uids: Vec<i64> = uids.into_iter().collect();
    let mut users = HashMap::new();
    for chunk in uids.chunks(CHUNK) {
        let sql = format!("SELECT {USER_COLS} FROM auth_user u WHERE u.id IN ({})", placeholders(chunk.len()));
        for row in tx.query(&sql, chunk.iter().map(|&i| Param::Int(i)).collect()).await? {
            if let (Some(id), Some(u)) = (row.int("uid"), user_of(&row)) {
                users.insert(id, u);
            }
        }
    }
    // 4. Additional owners.
    let mids: Vec<i64> = meetings.iter().map(|m| m.id).collect();
    let mut additional: HashMap<i64, Vec<Person>> = HashMap::new();
    for chunk in mids.chunks(CHUNK) {
        let sql = format!(
            "SELECT mao.meeting_id AS mid, {USER_COLS} FROM meeting_additional_owners mao JOIN auth_user u ON u.id = mao.user_id \
             WHERE mao.meeting_id IN ({}) ORDER BY mao.id",
            placeholders(chunk.len())
        );
        for row in tx.query(&sql, chunk.iter().map(|&i| Param::Int(i)).collect()).await? {
            if let Some(u) = user_of(&row) {
                additional.entry(row.int("mid").unwrap_or(0)).or_default().push(u);
            }
        }
    }
    // 5. The sites of this Pod database (one instance may serve several).
    let sites = tx
        .query("SELECT id, domain FROM django_site ORDER BY id", vec![])
        .await?
        .iter()
        .map(|r| (r.int("id").unwrap_or(0), normalize_server(&r.text("domain"))))
        .collect();
    Ok(Data { sites, internal, meetings, users, additional })
}

/// The meeting of a recording, on the instance it was made on: a breakout
/// room's parent by its last internal id, else the exact meetingID, else the
/// numeric prefix (renamed meetings). A meeting of another site than the
/// recording's host is never taken; without a host, meetings on several sites
/// are ambiguous. `Err` = why not (UNKNOWN with that note).
fn pick_meeting<'a>(item: &Item, d: &'a Data) -> Result<Option<(&'a Meeting, String)>, String> {
    let allowed: Option<Vec<i64>> =
        item.host.as_ref().map(|h| d.sites.iter().filter(|s| &s.1 == h).map(|s| s.0).collect());
    if allowed.as_ref().is_some_and(|a| a.is_empty()) {
        let known: Vec<&str> = d.sites.iter().map(|s| s.1.as_str()).collect();
        return Err(format!(
            "pod: the recording was made on `{}`, which is not a site of this Pod database ({}): never matched to another instance's meeting",
            item.host.as_deref().unwrap_or_default(),
            known.join(", ")
        ));
    }
    let on_site = |m: &&Meeting| allowed.as_ref().is_none_or(|a| a.contains(&m.site_id));
    let pick = |ms: Vec<&'a Meeting>, why: String| -> Result<Option<(&'a Meeting, String)>, String> {
        let ms: Vec<&Meeting> = ms.into_iter().filter(on_site).collect();
        let mut sites: Vec<i64> = ms.iter().map(|m| m.site_id).collect();
        sites.dedup();
        match ms.as_slice() {
            [] => Ok(None),
            [m] => Ok(Some((*m, why))),
            _ if sites.len() > 1 => Err(format!(
                "pod: ambiguous, not guessed: meetings {} on several sites and the recording names no Pod host",
                ms.iter().map(|m| m.id.to_string()).collect::<Vec<_>>().join(", ")
            )),
            [m, ..] => Ok(Some((*m, why))),
        }
    };
    if let Some(p) = &item.parent {
        if let Some(found) = pick(d.meetings.iter().filter(|m| &m.internal_id == p).collect(), String::new())? {
            return Ok(Some(found));
        }
    }
    if !item.meeting_lookup {
        return Ok(None);
    }
    if let Some(found) = pick(d.meetings.iter().filter(|m| m.meeting_id == item.meeting_id).collect(), String::new())? {
        return Ok(Some(found));
    }
    let Some(n) = pod_meeting_number(&item.meeting_id) else { return Ok(None) };
    let by_number: Vec<&Meeting> = d.meetings.iter().filter(|m| m.id == n).collect();
    let now = by_number.first().map(|m| m.meeting_id.clone()).unwrap_or_default();
    pick(by_number, format!(" (renamed, now {now})"))
}

fn compose(item: &Item, d: &Data) -> Resolution {
    let breakout = item.parent.as_ref().map(|p| format!(" (breakout room of meeting {p})")).unwrap_or_default();
    let mut pk = Picker::new();
    let internal = d.internal.get(&item.record_id);
    let mut meeting: Option<(&Meeting, String)> = None;
    if let Some((owner, mid)) = internal {
        if let Some(u) = owner.and_then(|o| d.users.get(&o)) {
            pk.add(u, "internal recording owner");
        }
        if let Some(m) = mid.and_then(|id| d.meetings.iter().find(|m| m.id == id)) {
            meeting = Some((m, String::new()));
        }
    }
    if meeting.is_none() {
        match pick_meeting(item, d) {
            Ok(m) => meeting = m,
            Err(why) if pk.is_empty() => return Resolution::unknown(format!("{why}{breakout}")),
            Err(_) => {}
        }
    }
    let several_sites = d.sites.len() > 1;
    if let Some((m, renamed)) = &meeting {
        let site = d.sites.iter().find(|s| s.0 == m.site_id).filter(|_| several_sites);
        let on = site.map(|s| format!(" on site {}", s.1)).unwrap_or_default();
        match d.users.get(&m.owner_id) {
            Some(u) => pk.add(u, format!("meeting {}{on} owner{renamed}", m.id)),
            None => pk.note(format!("meeting {} owner {} missing", m.id, m.owner_id)),
        }
        for u in d.additional.get(&m.id).into_iter().flatten() {
            pk.add(u, format!("meeting {}{on} additional owner{renamed}", m.id));
        }
    }
    let notes = pk.notes();
    if pk.is_empty() {
        if internal.is_none() && meeting.is_none() {
            if !item.meeting_lookup && item.parent.is_none() {
                return Resolution::unknown("");
            }
            let n = pod_meeting_number(&item.meeting_id).map(|n| format!(" (nor meeting id {n})")).unwrap_or_default();
            let on = item.host.as_ref().map(|h| format!(" on `{h}`")).unwrap_or_default();
            return Resolution::unknown(format!("pod: no meeting `{}`{n}{on}{breakout}", item.meeting_id));
        }
        return Resolution::unknown(format!("pod: no usable owner: skipped {notes}{breakout}"));
    }
    let common = match &meeting {
        Some((m, _)) => serde_json::json!({ "site_id": m.site_id, "meeting": m.id }),
        None => serde_json::json!({ "site_id": null, "meeting": null }),
    };
    let mut r = Resolution::resolved(pk.into_owners(|why| format!("{}{breakout}", why.join(", ")), &common));
    if !notes.is_empty() {
        r.note = format!("pod: skipped {notes}").into();
    }
    r
}

impl ResolverPlugin for PodResolver {
    fn resolve(&self, batch: &[Recording]) -> Result<Vec<Resolution>, PluginError> {
        let mut out = Answers::new(batch.len());
        let idx: Vec<usize> = (0..batch.len()).filter(|&i| may_be_pod(&batch[i])).collect();
        if !idx.is_empty() {
            let items: Vec<Item> = idx.iter().map(|&i| Item::of(&batch[i])).collect();
            let res = self.db.transaction(TxMode::ReadOnly, move |tx| {
                Box::pin(async move {
                    let d = read(tx, &items).await?;
                    Ok(items.iter().map(|it| compose(it, &d)).collect::<Vec<_>>())
                })
            });
            out.apply(&idx, res, "pod", &self.ctx);
        }
        Ok(out.finish())
    }

    fn check(&self) -> Result<Vec<String>, PluginError> {
        let rows = self.db.transaction(TxMode::ReadOnly, |tx| {
            Box::pin(async move { tx.query("SELECT COUNT(*) AS n FROM meeting", vec![]).await })
        })?;
        let n = rows.first().and_then(|r| r.int("n")).unwrap_or(0);
        Ok(vec![format!("{} reachable, {n} Pod meetings", self.db.url().redacted())])
    }

    fn close(&self) -> Result<(), PluginError> {
        self.db.close();
        Ok(())
    }
}

pub struct Plugin;

impl PluginDecl for Plugin {
    const NAME: &'static str = "pod-resolver";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Owners of Esup-Pod meeting recordings, from the Pod database";
    const COMPONENTS: &'static [Component] = &[Component::resolver::<PodResolver>()];
}

export_plugin!(Plugin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeting_numbers() {
        assert_eq!(pod_meeting_number("0003-soutenances"), Some(3));
        assert_eq!(pod_meeting_number("0003-soutenances-2024"), Some(3));
        assert_eq!(pod_meeting_number("123456789-x"), Some(123456789));
        assert_eq!(pod_meeting_number("0003"), None);
        assert_eq!(pod_meeting_number("003-x"), None);
        assert_eq!(pod_meeting_number("0003-Soutenances"), None);
        assert_eq!(pod_meeting_number("1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1[0]"), None);
        assert_eq!(pod_meeting_number("0v1xkcrre2la0vafauyepzfei16x2fkuhcfydvps"), None);
    }
}
