//! Resolver `moodle`: the owners of recordings made by Moodle's
//! `mod_bigbluebuttonbn` (Moodle 3.x plugin and Moodle 4.x core), on MariaDB /
//! MySQL and PostgreSQL Moodle sites, several sites at once.
//!
//! ```toml
//! [[resolvers]]
//! name = "moodle"
//! type = "moodle"
//! prefix = "mdl_"                       # default
//! [resolvers.databases]                 # keyed by bbb-origin-server-name; "default" for other servers;
//!                                       # a recording without origin server is asked of every site
//! "moodle.univ.fr" = "mysql://moodle:${MOODLE_PW}@db1/moodle"
//! "moodle2.univ.fr" = "postgres://user@db2/moodle"
//! ```
//!
//! Per batch and per database: one read-only transaction of a handful of
//! queries (recordings table, activities, `Add` logs, rule users, rule roles).
//! Owners: the activity's creator (first `Add` log) first, then the moderators
//! its `participants` rules name (`user` rules, then `role` rules evaluated in
//! the module context and its parents, editingteacher before teacher);
//! deleted and suspended users are skipped with a note. See README.md.

use bbb_migrate_db::owners::{Columns, Person, Picker};
use bbb_migrate_db::routing::{is_internal_id_of, meta_ci};
use bbb_migrate_db::{placeholders, Answers, Db, DbMap, Param, Row, Tx, TxMode};
use moodle_core::{find_candidates, is_moodle_recording, origin_server, Found, Prefix, Query, Schema, Via};
use plugin_api::sdk::{Component, Ctx, PluginDecl, ResolverComponent, ResolverPlugin};
use plugin_api::{export_plugin, PluginError, Recording, Resolution, ResolutionKind};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_prefix")]
    prefix: String,
    databases: BTreeMap<String, String>,
}

fn default_prefix() -> String {
    "mdl_".into()
}

pub struct MoodleResolver {
    prefix: Prefix,
    dbs: DbMap,
    schemas: Mutex<HashMap<String, Schema>>,
    ctx: Ctx,
}

impl ResolverComponent for MoodleResolver {
    const TYPE: &'static str = "moodle";
    const ABOUT: &'static str = "Activity creator and moderators of Moodle recordings (MariaDB/MySQL, PostgreSQL)";
    type Config = Config;
    fn build(cfg: Config, ctx: Ctx) -> Result<Self, PluginError> {
        let prefix = Prefix::new(&cfg.prefix).map_err(|e| PluginError::config("prefix", e))?;
        let dbs = DbMap::from_config("databases", &cfg.databases)?;
        Ok(Self { prefix, dbs, schemas: Mutex::new(HashMap::new()), ctx })
    }
}

impl MoodleResolver {
    fn cached_schema(&self, key: &str) -> Option<Schema> {
        self.schemas.lock().unwrap_or_else(|p| p.into_inner()).get(key).copied()
    }
}

/// One recording handed to a database.
#[derive(Clone)]
struct Item {
    record_id: String,
    meeting_id: String,
    /// A breakout room's parent meeting (its internal id = the parent's recordID).
    parent: Option<String>,
    /// The course the recording's metadata names (`bbb-context-id`), for breakout rooms.
    course_hint: Option<i64>,
}

impl Item {
    fn of(r: &Recording) -> Self {
        Item {
            record_id: r.record_id.to_string(),
            meeting_id: r.meeting_id.to_string(),
            parent: r.breakout_parent(),
            course_hint: meta_ci(r, "bbb-context-id").and_then(|c| c.trim().parse().ok()),
        }
    }
}

/// One database's answer for one recording, and whether it found an activity
/// for it at all (to tell an ambiguous recording from an unknown one).
struct SiteAnswer {
    resolution: Resolution,
    matched: bool,
}

/// Merges the answers of every site for a recording without origin server:
/// one site matched → its answer (saying so); several → ambiguous, never
/// guessed (UNKNOWN, so the fallback owner gets it and the report says why);
/// a site that failed → FAILED (retried next run, it may be the one).
fn merge_sites(answers: Vec<(String, SiteAnswer)>) -> Resolution {
    if let Some((_, a)) = answers.iter().find(|(_, a)| a.resolution.kind == ResolutionKind::FAILED) {
        return a.resolution.clone();
    }
    let matched: Vec<&(String, SiteAnswer)> = answers.iter().filter(|(_, a)| a.matched).collect();
    match matched.as_slice() {
        [(site, a)] => {
            let mut r = a.resolution.clone();
            let why = format!(" (no origin server; only site `{site}` has it)");
            for o in r.owners.iter_mut() {
                o.reason = format!("{}{why}", o.reason).into();
            }
            if r.kind != ResolutionKind::RESOLVED {
                r.note = format!("{}{why}", r.note).into();
            }
            r
        }
        [] => {
            let notes: Vec<String> = answers
                .iter()
                .filter(|(_, a)| !a.resolution.note.is_empty())
                .map(|(_, a)| a.resolution.note.to_string())
                .collect();
            Resolution::unknown(format!("moodle (no origin server, every site tried): {}", notes.join("; ")))
        }
        several => {
            let sites: Vec<String> = several
                .iter()
                .map(|(site, a)| {
                    let what = a.resolution.owners.first().map(|o| o.reason.to_string()).unwrap_or_else(|| {
                        a.resolution.note.split_once(": ").map(|x| x.0).unwrap_or_default().to_string()
                    });
                    format!("`{site}` ({what})")
                })
                .collect();
            Resolution::unknown(format!(
                "moodle: ambiguous, not guessed: no origin server and {} sites have this recording: {}",
                several.len(),
                sites.join(", ")
            ))
        }
    }
}

impl ResolverPlugin for MoodleResolver {
    fn resolve(&self, batch: &[Recording]) -> Result<Vec<Resolution>, PluginError> {
        let mut out = Answers::new(batch.len());
        // database key -> (db, indexes)
        let mut groups: BTreeMap<String, (Db, Vec<usize>)> = BTreeMap::new();
        // Recordings without origin server, asked of every configured site.
        let mut everywhere: BTreeMap<usize, Vec<(String, SiteAnswer)>> = BTreeMap::new();
        let all = self.dbs.all();
        for (i, r) in batch.iter().enumerate() {
            if !is_moodle_recording(r) {
                continue;
            }
            let server = origin_server(r);
            if server.is_none() && !all.is_empty() {
                for (key, db) in &all {
                    groups.entry(key.to_string()).or_insert_with(|| ((*db).clone(), Vec::new())).1.push(i);
                }
                everywhere.insert(i, Vec::new());
                continue;
            }
            match self.dbs.for_server(server) {
                Some((key, db)) => groups.entry(key.to_string()).or_insert_with(|| (db.clone(), Vec::new())).1.push(i),
                None => out.set(
                    i,
                    Resolution::unknown(format!(
                        "moodle: no database configured for origin server `{}` and no \"default\"",
                        server.unwrap_or("(none)")
                    )),
                ),
            }
        }
        for (key, (db, idx)) in groups {
            let items: Vec<Item> = idx.iter().map(|&i| Item::of(&batch[i])).collect();
            let prefix = self.prefix.clone();
            let cached = self.cached_schema(&key);
            let site = key.clone();
            let res = db.transaction(TxMode::ReadOnly, move |tx| {
                Box::pin(async move { resolve_on(tx, &prefix, cached, &items, &site).await })
            });
            let res = res.map(|(schema, answers)| {
                self.schemas.lock().unwrap_or_else(|p| p.into_inner()).insert(key.clone(), schema);
                answers
            });
            let label = format!("moodle `{key}`");
            let (single, multi): (Vec<usize>, Vec<usize>) =
                (0..idx.len()).partition(|&j| !everywhere.contains_key(&idx[j]));
            match res {
                Ok(answers) => {
                    let mut answers: Vec<Option<SiteAnswer>> = answers.into_iter().map(Some).collect();
                    for &j in &multi {
                        if let (Some(list), Some(a)) = (everywhere.get_mut(&idx[j]), answers[j].take()) {
                            list.push((key.clone(), a));
                        }
                    }
                    let single_idx: Vec<usize> = single.iter().map(|&j| idx[j]).collect();
                    let single_res = single.iter().filter_map(|&j| answers[j].take()).map(|a| a.resolution).collect();
                    out.apply(&single_idx, Ok(single_res), &label, &self.ctx);
                }
                Err(e) => {
                    for &j in &multi {
                        if let Some(list) = everywhere.get_mut(&idx[j]) {
                            let failed = Resolution::failed(format!("{label}: {}", e.message));
                            list.push((key.clone(), SiteAnswer { resolution: failed, matched: false }));
                        }
                    }
                    let single_idx: Vec<usize> = single.iter().map(|&j| idx[j]).collect();
                    out.apply(&single_idx, Err(e), &label, &self.ctx);
                }
            }
        }
        for (i, answers) in everywhere {
            out.set(i, merge_sites(answers));
        }
        Ok(out.finish())
    }
    fn check(&self) -> Result<Vec<String>, PluginError> {
        self.dbs.check_with(|key, db| {
            let prefix = self.prefix.clone();
            let schema = db.transaction(TxMode::ReadOnly, move |tx| {
                Box::pin(async move { moodle_core::detect_schema(tx, &prefix).await })
            })?;
            self.schemas.lock().unwrap_or_else(|p| p.into_inner()).insert(key.to_string(), schema);
            let generation = if schema.has_recordings_table {
                "Moodle 4.x (recordings table)"
            } else {
                "Moodle 3.x (no recordings table)"
            };
            Ok(format!("{key}: {} reachable, {generation}", db.url().redacted()))
        })
    }

    fn close(&self) -> Result<(), PluginError> {
        self.dbs.close();
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// The batched lookup, inside one read-only transaction.

/// A `participants` rule that makes someone moderator.
#[derive(Clone, Debug, PartialEq)]
enum Rule {
    All,
    User(i64),
    RoleId(i64),
    RoleName(String),
    /// The activity owner (default rule `'0'`).
    Owner,
}

/// Parses the JSON rules; `None` when Moodle would use its default list
/// (NULL, empty, `[]`, invalid JSON).
fn moderator_rules(participants: Option<&str>) -> Option<Vec<Rule>> {
    let text = participants?.trim();
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let arr = v.as_array()?;
    if arr.is_empty() {
        return None;
    }
    let s = |x: Option<&serde_json::Value>| -> String {
        match x {
            Some(serde_json::Value::String(s)) => s.trim().to_string(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => String::new(),
        }
    };
    let mut rules = Vec::new();
    for item in arr {
        if !s(item.get("role")).eq_ignore_ascii_case("moderator") {
            continue;
        }
        let id = s(item.get("selectionid"));
        match s(item.get("selectiontype")).to_ascii_lowercase().as_str() {
            "all" => rules.push(Rule::All),
            "user" => {
                if let Ok(u) = id.parse() {
                    rules.push(Rule::User(u))
                }
            }
            "role" => match id.parse() {
                Ok(r) => rules.push(Rule::RoleId(r)),
                Err(_) if !id.is_empty() => rules.push(Rule::RoleName(id)),
                Err(_) => {}
            },
            _ => {}
        }
    }
    Some(rules)
}

/// `participant_moderator_default`: `'0'` = owner, other items = role ids (or shortnames).
fn default_rules(setting: &str) -> Vec<Rule> {
    setting
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s.parse::<i64>() {
            Ok(0) => Rule::Owner,
            Ok(id) => Rule::RoleId(id),
            Err(_) => Rule::RoleName(s.to_string()),
        })
        .collect()
}

const USER_COLS: &str =
    "u.id AS uid, u.username, u.email, u.firstname, u.lastname, u.idnumber, u.auth, u.deleted, u.suspended";

/// A Moodle user; deleted and suspended accounts are unusable.
fn user_of(r: &Row) -> Option<Person> {
    let cols =
        Columns { id: "uid", username: "username", email: "email", first_name: "firstname", last_name: "lastname" };
    let mut p = Person::from_row(r, &cols)?;
    p.unusable = if r.bool("deleted").unwrap_or(false) {
        Some("deleted".into())
    } else if r.bool("suspended").unwrap_or(false) {
        Some("suspended".into())
    } else {
        None
    };
    p.extra =
        serde_json::json!({ "moodle_user_id": r.int("uid"), "idnumber": r.text("idnumber"), "auth": r.text("auth") });
    Some(p)
}

/// A role assignment: (context id, role id, role shortname, (role sortorder, user id), user).
type Assignment = (i64, i64, String, (i64, i64), Person);

fn context_ids(path: &str) -> Vec<i64> {
    path.split('/').filter_map(|p| p.parse().ok()).collect()
}

/// Everything read for a batch, to compose each recording's owners from.
#[derive(Default)]
struct Data {
    creators: HashMap<(i64, i64), Option<Person>>,
    rules: HashMap<i64, Vec<Rule>>,
    users: HashMap<i64, Person>,
    paths: HashMap<i64, Vec<i64>>,
    assignments: Vec<Assignment>,
    /// `siteadmins` (user ids): owners only when nobody else is left.
    site_admins: BTreeSet<String>,
}

/// Log kinds whose `meetingid` is a full meetingID written when a meeting
/// starts (3.x `Create`, its 4.0-migrated form, and every `Join`).
const START_LOGS: [&str; 3] = ["Create", "create-migrated", "Join"];
/// How far (seconds) from the parent's create time its start logs are looked for.
const START_WINDOW_S: i64 = 600;

/// Breakout rooms whose parent is not in the recordings table (Moodle 3.x,
/// or no row): the parent meetingID from the course's start logs around the
/// parent's create time, the one whose sha1 is the parent's id. One query
/// for the whole batch, only when such breakout rooms exist.
async fn breakout_parents(
    tx: &mut Tx,
    prefix: &Prefix,
    wanted: &[(usize, &str, i64)],
) -> Result<HashMap<usize, String>, PluginError> {
    let mut out = HashMap::new();
    if wanted.is_empty() {
        return Ok(out);
    }
    let times: Vec<i64> = wanted
        .iter()
        .filter_map(|(_, parent, _)| {
            parent.rsplit_once('-').and_then(|(_, t)| t.parse::<i64>().ok()).map(|ms| ms / 1000)
        })
        .collect();
    let (Some(lo), Some(hi)) = (times.iter().min(), times.iter().max()) else { return Ok(out) };
    let courses: Vec<i64> = wanted.iter().map(|w| w.2).collect::<BTreeSet<_>>().into_iter().collect();
    let sql = format!(
        "SELECT DISTINCT meetingid FROM {} WHERE courseid IN ({}) AND log IN ({}) AND timecreated BETWEEN ? AND ?",
        prefix.t("bigbluebuttonbn_logs"),
        placeholders(courses.len()),
        placeholders(START_LOGS.len())
    );
    let mut params: Vec<Param> = courses.into_iter().map(Param::Int).collect();
    params.extend(START_LOGS.iter().map(|l| Param::Str(l.to_string())));
    params.extend([Param::Int(lo - START_WINDOW_S), Param::Int(hi + START_WINDOW_S)]);
    let meeting_ids: Vec<String> = tx.query(&sql, params).await?.iter().map(|r| r.text("meetingid")).collect();
    for (i, parent, _) in wanted {
        if let Some(m) = meeting_ids.iter().find(|m| is_internal_id_of(parent, m)) {
            out.insert(*i, m.clone());
        }
    }
    Ok(out)
}

async fn resolve_on(
    tx: &mut Tx,
    prefix: &Prefix,
    cached: Option<Schema>,
    items: &[Item],
    site: &str,
) -> Result<(Schema, Vec<SiteAnswer>), PluginError> {
    let schema = match cached {
        Some(s) => s,
        None => moodle_core::detect_schema(tx, prefix).await?,
    };
    // A breakout room belongs to its parent meeting: look the parent up.
    let queries: Vec<Query> = items
        .iter()
        .map(|it| match &it.parent {
            Some(p) => Query { record_id: p, meeting: None },
            None => Query { record_id: &it.record_id, meeting: moodle_core::parse_meeting_id(&it.meeting_id) },
        })
        .collect();
    let mut found = find_candidates(tx, prefix, schema, &queries).await?;
    let orphans: Vec<(usize, &str, i64)> = items
        .iter()
        .enumerate()
        .filter(|(i, _)| found[*i].is_err())
        .filter_map(|(i, it)| Some((i, it.parent.as_deref()?, it.course_hint?)))
        .collect();
    let parents = breakout_parents(tx, prefix, &orphans).await?;
    if !parents.is_empty() {
        let idx: Vec<usize> = parents.keys().copied().collect();
        let again: Vec<Query> = idx
            .iter()
            .map(|i| Query { record_id: queries[*i].record_id, meeting: moodle_core::parse_meeting_id(&parents[i]) })
            .collect();
        for (i, f) in idx.iter().zip(find_candidates(tx, prefix, schema, &again).await?) {
            found[*i] = f;
        }
    }
    let d = read_owners(tx, prefix, &found).await?;
    let answers = found
        .into_iter()
        .zip(items)
        .map(|(f, it)| {
            let breakout = it.parent.as_ref().map(|p| format!(" (breakout room of meeting {p})")).unwrap_or_default();
            match f {
                Err(why) => SiteAnswer {
                    resolution: Resolution::unknown(format!("moodle `{site}`{breakout}: {why}")),
                    matched: false,
                },
                Ok(cands) => SiteAnswer { resolution: compose(&cands, &d, site, &breakout), matched: true },
            }
        })
        .collect();
    Ok((schema, answers))
}

/// Creators, rules, rule users, role assignments and site admins of every candidate activity.
async fn read_owners(tx: &mut Tx, prefix: &Prefix, found: &[Result<Vec<Found>, String>]) -> Result<Data, PluginError> {
    let mut d = Data::default();
    let cands: Vec<&Found> = found.iter().flatten().flatten().collect();
    if cands.is_empty() {
        return Ok(d);
    }
    // Creators: first `Add` log of each activity.
    let pairs: Vec<(i64, i64)> =
        cands.iter().map(|f| (f.activity_id, f.course_id)).collect::<BTreeSet<_>>().into_iter().collect();
    for row in moodle_core::add_logs(tx, prefix, &pairs, USER_COLS).await? {
        let key = (row.int("bigbluebuttonbnid").unwrap_or(0), row.int("courseid").unwrap_or(0));
        d.creators.entry(key).or_insert_with(|| user_of(&row));
    }

    // Settings: the default rules and the site admins, in one statement.
    let sql = format!("SELECT name, value FROM {} WHERE name IN (?, ?)", prefix.t("config"));
    let rows =
        tx.query(&sql, vec!["bigbluebuttonbn_participant_moderator_default".into(), "siteadmins".into()]).await?;
    let setting = |n: &str| rows.iter().find(|r| r.text("name") == n).map(|r| r.text("value"));
    let default_setting = setting("bigbluebuttonbn_participant_moderator_default").unwrap_or_else(|| "0".into());
    d.site_admins = setting("siteadmins")
        .unwrap_or_default()
        .split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect();

    // Rules of each live activity (default list when empty).
    for a in cands.iter().filter_map(|f| f.activity.as_ref()) {
        let r = moderator_rules(a.participants.as_deref()).unwrap_or_else(|| default_rules(&default_setting));
        d.rules.insert(a.id, r);
    }

    // Users named by `user` rules.
    let rule_users: Vec<i64> = d
        .rules
        .values()
        .flatten()
        .filter_map(|r| if let Rule::User(u) = r { Some(*u) } else { None })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for chunk in rule_users.chunks(moodle_core::CHUNK) {
        let sql =
            format!("SELECT {USER_COLS} FROM {} u WHERE u.id IN ({})", prefix.t("user"), placeholders(chunk.len()));
        for row in tx.query(&sql, chunk.iter().map(|&i| Param::Int(i)).collect()).await? {
            if let (Some(id), Some(u)) = (row.int("uid"), user_of(&row)) {
                d.users.insert(id, u);
            }
        }
    }

    // Contexts for role rules: the module context path, else the course context.
    let mut need_course_ctx = BTreeSet::new();
    for a in cands.iter().filter_map(|f| f.activity.as_ref()) {
        let has_role_rule =
            d.rules.get(&a.id).is_some_and(|r| r.iter().any(|x| matches!(x, Rule::RoleId(_) | Rule::RoleName(_))));
        if !has_role_rule {
            continue;
        }
        match a.context_path.as_deref().map(context_ids).filter(|v| !v.is_empty()) {
            Some(p) => {
                d.paths.insert(a.id, p);
            }
            None => {
                need_course_ctx.insert(a.course);
            }
        }
    }
    if !need_course_ctx.is_empty() {
        let courses: Vec<i64> = need_course_ctx.into_iter().collect();
        let mut course_paths = HashMap::new();
        for chunk in courses.chunks(moodle_core::CHUNK) {
            let sql = format!(
                "SELECT instanceid, path FROM {} WHERE contextlevel = 50 AND instanceid IN ({})",
                prefix.t("context"),
                placeholders(chunk.len())
            );
            for row in tx.query(&sql, chunk.iter().map(|&i| Param::Int(i)).collect()).await? {
                course_paths.insert(row.int("instanceid").unwrap_or(0), context_ids(&row.text("path")));
            }
        }
        for a in cands.iter().filter_map(|f| f.activity.as_ref()) {
            if let (std::collections::hash_map::Entry::Vacant(e), Some(p)) =
                (d.paths.entry(a.id), course_paths.get(&a.course))
            {
                e.insert(p.clone());
            }
        }
    }
    let all_ctx: Vec<i64> = d.paths.values().flatten().copied().collect::<BTreeSet<_>>().into_iter().collect();
    let role_ids: Vec<i64> = d
        .rules
        .values()
        .flatten()
        .filter_map(|r| if let Rule::RoleId(x) = r { Some(*x) } else { None })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let role_names: Vec<String> = d
        .rules
        .values()
        .flatten()
        .filter_map(|r| if let Rule::RoleName(x) = r { Some(x.clone()) } else { None })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let has_roles = !role_ids.is_empty() || !role_names.is_empty();
    if !all_ctx.is_empty() && has_roles {
        for chunk in all_ctx.chunks(moodle_core::CHUNK) {
            let sql = format!(
                "SELECT ra.contextid, r.id AS roleid, r.shortname AS roleshortname, r.sortorder AS rolesort, {USER_COLS} \
                 FROM {ra} ra JOIN {r} r ON r.id = ra.roleid JOIN {u} u ON u.id = ra.userid \
                 WHERE ra.contextid IN ({}) AND (r.id IN ({}) OR r.shortname IN ({})) ORDER BY r.sortorder, u.id",
                placeholders(chunk.len()),
                placeholders(role_ids.len()),
                placeholders(role_names.len()),
                ra = prefix.t("role_assignments"),
                r = prefix.t("role"),
                u = prefix.t("user"),
            );
            let mut params: Vec<Param> = chunk.iter().map(|&i| Param::Int(i)).collect();
            params.extend(role_ids.iter().map(|&i| Param::Int(i)));
            params.extend(role_names.iter().map(|s| Param::Str(s.clone())));
            for row in tx.query(&sql, params).await? {
                if let Some(u) = user_of(&row) {
                    d.assignments.push((
                        row.int("contextid").unwrap_or(0),
                        row.int("roleid").unwrap_or(0),
                        row.text("roleshortname"),
                        (row.int("rolesort").unwrap_or(0), row.int("uid").unwrap_or(0)),
                        u,
                    ));
                }
            }
        }
        d.assignments.sort_by_key(|a| a.3);
    }
    Ok(d)
}

/// Adds the owners of one activity: creator, `user` rules, `role` rules.
/// Site admins go to `admins` (used only when nobody else is left); `tag`
/// prefixes each reason (the activity, when several activities are merged).
fn add_owners(f: &Found, d: &Data, tag: &str, pk: &mut Picker, admins: &mut Picker) {
    let add = |pk: &mut Picker, admins: &mut Picker, u: &Person, why: String| {
        if d.site_admins.contains(&u.id) {
            admins.add(u, format!("{tag}{why}"));
        } else {
            pk.add(u, format!("{tag}{why}"));
        }
    };
    let creator = d.creators.get(&(f.activity_id, f.course_id));
    match creator {
        Some(Some(u)) => add(pk, admins, u, "creator".into()),
        Some(None) => pk.note(format!("{tag}creator: the Add log names no existing user")),
        None => pk.note(format!("{tag}no Add log (creator unknown)")),
    }
    let Some(rs) = f.activity.as_ref().and_then(|a| d.rules.get(&a.id)) else { return };
    for r in rs {
        match r {
            Rule::User(id) => match d.users.get(id) {
                Some(u) => add(pk, admins, u, "user rule".into()),
                None => pk.note(format!("{tag}user rule names missing user {id}")),
            },
            Rule::Owner => {
                if let Some(Some(u)) = creator {
                    add(pk, admins, u, "owner rule".into())
                }
            }
            Rule::All => pk.note(format!("{tag}rule all→moderator: everyone moderates (not listed)")),
            Rule::RoleId(_) | Rule::RoleName(_) => {}
        }
    }
    // Role rules: every assignment in the module context or a parent, in role order.
    if let Some(path) = f.activity.as_ref().and_then(|a| d.paths.get(&a.id)) {
        for (ctx, role_id, short, _, u) in &d.assignments {
            let matches = rs.iter().any(|r| match r {
                Rule::RoleId(x) => x == role_id,
                Rule::RoleName(n) => n.eq_ignore_ascii_case(short),
                _ => false,
            });
            if matches && path.contains(ctx) {
                add(pk, admins, u, format!("role {short}"));
            }
        }
    }
}

/// Why this candidate speaks for the recording, when it is not simply its activity.
fn why_this(f: &Found, tried: &[String]) -> String {
    let mut s = match (&f.via, f.live()) {
        (Via::Seed { was_activity, was_course }, _) => {
            format!(" (found by its meetingID seed: activity {was_activity} course {was_course} restored as this one)")
        }
        (Via::RecordingsTable { imported: true, .. }, true) => " (imported copy)".into(),
        (Via::RecordingsTable { imported: true, .. }, false) => " (imported copy, activity deleted)".into(),
        (_, false) => " (activity deleted)".into(),
        _ => String::new(),
    };
    if !tried.is_empty() {
        s.push_str(&format!(" (before it: {})", tried.join("; ")));
    }
    s
}

/// The owners of one recording from its candidate activities, best rank
/// first: the first rank that yields a usable owner wins (several activities
/// of that rank are merged, each reason naming its activity); site admins
/// only when nobody else of that rank is left.
fn compose(cands: &[Found], d: &Data, site: &str, breakout: &str) -> Resolution {
    let mut tried: Vec<String> = Vec::new();
    let mut ranks: Vec<u8> = cands.iter().map(Found::rank).collect();
    ranks.dedup();
    for rank in ranks {
        let tier: Vec<&Found> = cands.iter().filter(|f| f.rank() == rank).collect();
        let several = tier.len() > 1;
        let (mut pk, mut admins) = (Picker::new(), Picker::new());
        for f in &tier {
            let tag = if several { format!("{} ", f.label()) } else { String::new() };
            add_owners(f, d, &tag, &mut pk, &mut admins);
        }
        let mut admin_only = "";
        if pk.is_empty() && !admins.is_empty() {
            admins.add_notes_of(&pk);
            pk = admins;
            admin_only = " (site admin: nobody else left)";
        }
        let first = tier[0];
        let label =
            if several { tier.iter().map(|f| f.label()).collect::<Vec<_>>().join(" + ") } else { first.label() };
        let notes = pk.notes();
        if pk.is_empty() {
            let why = if notes.is_empty() { "no owner found".to_string() } else { format!("no usable owner: {notes}") };
            tried.push(format!("{label}{}: {why}", why_this(first, &[])));
            continue;
        }
        if rank == 1 && several {
            return Resolution::unknown(format!(
                "moodle `{site}`{breakout}: ambiguous, not guessed: the meetingID seed of activity {} is carried by {label}",
                match first.via {
                    Via::Seed { was_activity, was_course } => format!("{was_activity} course {was_course}"),
                    _ => String::new(),
                }
            ));
        }
        // The live activity speaks for a deleted one it was restored from.
        let deleted: Vec<String> = cands.iter().filter(|c| rank < 2 && c.rank() == 2).map(Found::label).collect();
        let restored = if deleted.is_empty() {
            String::new()
        } else {
            format!(" (live activity; the recording's {} was deleted)", deleted.join(", "))
        };
        let suffix = format!("{}{restored}{admin_only}{breakout}", why_this(first, &tried));
        let head = if several { String::new() } else { format!("{label} ") };
        let common = serde_json::json!({ "site": site, "activity": first.activity_id, "course": first.course_id });
        let owners = pk.into_owners(|reasons| format!("{head}{}{suffix}", reasons.join(", ")), &common);
        let mut res = Resolution::resolved(owners);
        let mut said = Vec::new();
        if !notes.is_empty() {
            said.push(format!("skipped {notes}"));
        }
        if let Via::Seed { was_activity, was_course } = first.via {
            said.push(format!(
                "activity {was_activity} course {was_course} is not on this site: found by its meetingID seed in {label} (course restored)"
            ));
        }
        if !said.is_empty() {
            res.note = format!("moodle `{site}` {label}: {}", said.join("; ")).into();
        }
        return res;
    }
    Resolution::unknown(format!("moodle `{site}`{breakout} {}", tried.join("; ")))
}

pub struct Plugin;

impl PluginDecl for Plugin {
    const NAME: &'static str = "moodle";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Owners of Moodle (mod_bigbluebuttonbn) recordings, from the Moodle databases";
    const COMPONENTS: &'static [Component] = &[Component::resolver::<MoodleResolver>()];
}

export_plugin!(Plugin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_parsed_like_moodle() {
        let r = moderator_rules(Some(
            r#"[{"selectiontype":"all","selectionid":"all","role":"viewer"},{"selectiontype":"user","selectionid":"83","role":"moderator"},{"selectiontype":"role","selectionid":3,"role":"moderator"},{"selectiontype":"role","selectionid":"editingteacher","role":"moderator"}]"#,
        ))
        .unwrap();
        assert_eq!(r, vec![Rule::User(83), Rule::RoleId(3), Rule::RoleName("editingteacher".into())]);
        assert_eq!(moderator_rules(Some("[]")), None);
        assert_eq!(moderator_rules(Some("")), None);
        assert_eq!(moderator_rules(None), None);
        assert_eq!(moderator_rules(Some("{not json")), None);
        assert_eq!(default_rules("0,3"), vec![Rule::Owner, Rule::RoleId(3)]);
    }
}
