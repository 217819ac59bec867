//! Resolver `moodle`: the owners of recordings made by Moodle's
//! `mod_bigbluebuttonbn` (Moodle 3.x plugin and Moodle 4.x core), on MariaDB /
//! MySQL and PostgreSQL Moodle sites, several sites at once.
//!
//! ```toml
//! [[resolvers]]
//! name = "moodle"
//! type = "moodle"
//! prefix = "mdl_"                       # default
//! [resolvers.databases]                 # keyed by bbb-origin-server-name; "default" for the rest
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
use bbb_migrate_db::{placeholders, Answers, Db, DbMap, Param, Row, Tx, TxMode};
use moodle_core::{find_activities, is_moodle_recording, origin_server, Found, Prefix, Query, Schema, Via};
use plugin_api::sdk::{decode, Component, Ctx, PluginDecl, ResolverPlugin};
use plugin_api::{export_plugin, PluginError, Recording, Resolution};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default = "default_prefix")]
    prefix: String,
    databases: BTreeMap<String, String>,
}

fn default_prefix() -> String {
    "mdl_".into()
}

pub struct MoodleResolver {
    name: String,
    prefix: Prefix,
    dbs: DbMap,
    schemas: Mutex<HashMap<String, Schema>>,
    ctx: Ctx,
}

impl MoodleResolver {
    pub fn new(config: &str, ctx: Ctx) -> Result<Self, PluginError> {
        let cfg: Config = decode(config)?;
        let prefix = Prefix::new(&cfg.prefix).map_err(|e| PluginError::config("prefix", e))?;
        let dbs = DbMap::from_config("databases", &cfg.databases)?;
        Ok(Self { name: ctx.component().to_string(), prefix, dbs, schemas: Mutex::new(HashMap::new()), ctx })
    }

    fn cached_schema(&self, key: &str) -> Option<Schema> {
        self.schemas.lock().unwrap_or_else(|p| p.into_inner()).get(key).copied()
    }
}

/// One recording handed to a database.
#[derive(Clone)]
struct Item {
    record_id: String,
    meeting_id: String,
}

impl ResolverPlugin for MoodleResolver {
    fn resolve(&self, batch: &[Recording]) -> Result<Vec<Resolution>, PluginError> {
        let mut out = Answers::new(batch.len());
        // database key -> (db, indexes)
        let mut groups: BTreeMap<String, (Db, Vec<usize>)> = BTreeMap::new();
        for (i, r) in batch.iter().enumerate() {
            if !is_moodle_recording(r) {
                continue;
            }
            let server = origin_server(r);
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
            let items: Vec<Item> = idx
                .iter()
                .map(|&i| Item {
                    record_id: batch[i].record_id.to_string(),
                    meeting_id: batch[i].meeting_id.to_string(),
                })
                .collect();
            let prefix = self.prefix.clone();
            let cached = self.cached_schema(&key);
            let name = self.name.clone();
            let site = key.clone();
            let res = db.transaction(TxMode::ReadOnly, move |tx| {
                Box::pin(async move { resolve_on(tx, &prefix, cached, &items, &name, &site).await })
            });
            let res = res.map(|(schema, answers)| {
                self.schemas.lock().unwrap_or_else(|p| p.into_inner()).insert(key.clone(), schema);
                answers
            });
            out.apply(&idx, res, &format!("moodle `{key}`"), &self.ctx);
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

async fn resolve_on(
    tx: &mut Tx,
    prefix: &Prefix,
    cached: Option<Schema>,
    items: &[Item],
    resolver: &str,
    site: &str,
) -> Result<(Schema, Vec<Resolution>), PluginError> {
    let schema = match cached {
        Some(s) => s,
        None => moodle_core::detect_schema(tx, prefix).await?,
    };
    let queries: Vec<Query> = items
        .iter()
        .map(|it| Query { record_id: &it.record_id, meeting: moodle_core::parse_meeting_id(&it.meeting_id) })
        .collect();
    let found = find_activities(tx, prefix, schema, &queries).await?;

    // Activities to read owners and rules for.
    let acts: BTreeSet<(i64, i64)> = found.iter().flatten().map(|f| (f.activity_id, f.course_id)).collect();

    // Creators: first `Add` log of each activity.
    let mut creators: HashMap<(i64, i64), Option<Person>> = HashMap::new();
    let pairs: Vec<(i64, i64)> = acts.into_iter().collect();
    for row in moodle_core::add_logs(tx, prefix, &pairs, USER_COLS).await? {
        let key = (row.int("bigbluebuttonbnid").unwrap_or(0), row.int("courseid").unwrap_or(0));
        creators.entry(key).or_insert_with(|| user_of(&row));
    }

    // Rules of each live activity (default list when empty).
    let mut rules: HashMap<i64, Vec<Rule>> = HashMap::new();
    let mut need_default = Vec::new();
    for f in found.iter().flatten() {
        if let Some(a) = &f.activity {
            match moderator_rules(a.participants.as_deref()) {
                Some(r) => {
                    rules.insert(a.id, r);
                }
                None => need_default.push(a.id),
            }
        }
    }
    if !need_default.is_empty() {
        let sql = format!("SELECT value FROM {} WHERE name = ?", prefix.t("config"));
        let rows = tx.query(&sql, vec!["bigbluebuttonbn_participant_moderator_default".into()]).await?;
        let setting = rows.first().map(|r| r.text("value")).unwrap_or_else(|| "0".into());
        for id in need_default {
            rules.insert(id, default_rules(&setting));
        }
    }

    // Users named by `user` rules.
    let rule_users: Vec<i64> = rules
        .values()
        .flatten()
        .filter_map(|r| if let Rule::User(u) = r { Some(*u) } else { None })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut users: HashMap<i64, Person> = HashMap::new();
    for chunk in rule_users.chunks(moodle_core::CHUNK) {
        let sql =
            format!("SELECT {USER_COLS} FROM {} u WHERE u.id IN ({})", prefix.t("user"), placeholders(chunk.len()));
        for row in tx.query(&sql, chunk.iter().map(|&i| Param::Int(i)).collect()).await? {
            if let (Some(id), Some(u)) = (row.int("uid"), user_of(&row)) {
                users.insert(id, u);
            }
        }
    }

    // Contexts for role rules: the module context path, else the course context.
    let mut paths: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut need_course_ctx = BTreeSet::new();
    for f in found.iter().flatten() {
        if let Some(a) = &f.activity {
            let has_role_rule =
                rules.get(&a.id).is_some_and(|r| r.iter().any(|x| matches!(x, Rule::RoleId(_) | Rule::RoleName(_))));
            if !has_role_rule {
                continue;
            }
            match a.context_path.as_deref().map(context_ids).filter(|v| !v.is_empty()) {
                Some(p) => {
                    paths.insert(a.id, p);
                }
                None => {
                    need_course_ctx.insert(a.course);
                }
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
        for f in found.iter().flatten() {
            if let Some(a) = &f.activity {
                if let (std::collections::hash_map::Entry::Vacant(e), Some(p)) =
                    (paths.entry(a.id), course_paths.get(&a.course))
                {
                    e.insert(p.clone());
                }
            }
        }
    }
    let all_ctx: Vec<i64> = paths.values().flatten().copied().collect::<BTreeSet<_>>().into_iter().collect();
    let role_ids: Vec<i64> = rules
        .values()
        .flatten()
        .filter_map(|r| if let Rule::RoleId(x) = r { Some(*x) } else { None })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let role_names: Vec<String> = rules
        .values()
        .flatten()
        .filter_map(|r| if let Rule::RoleName(x) = r { Some(x.clone()) } else { None })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // (context id, role id, role shortname, (role sortorder, user id), user)
    let mut assignments: Vec<Assignment> = Vec::new();
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
                    assignments.push((
                        row.int("contextid").unwrap_or(0),
                        row.int("roleid").unwrap_or(0),
                        row.text("roleshortname"),
                        (row.int("rolesort").unwrap_or(0), row.int("uid").unwrap_or(0)),
                        u,
                    ));
                }
            }
        }
        assignments.sort_by_key(|a| a.3);
    }

    let answers = found
        .into_iter()
        .map(|f| match f {
            Err(why) => Resolution::unknown(format!("moodle `{site}`: {why}")),
            Ok(f) => compose(&f, &creators, &rules, &users, &paths, &assignments, resolver, site),
        })
        .collect();
    Ok((schema, answers))
}

/// Builds the owner list of one recording: creator, `user` rules, `role` rules.
#[allow(clippy::too_many_arguments)]
fn compose(
    f: &Found,
    creators: &HashMap<(i64, i64), Option<Person>>,
    rules: &HashMap<i64, Vec<Rule>>,
    users: &HashMap<i64, Person>,
    paths: &HashMap<i64, Vec<i64>>,
    assignments: &[Assignment],
    resolver: &str,
    site: &str,
) -> Resolution {
    let label = f.label();
    let mut pk = Picker::new();
    let creator = creators.get(&(f.activity_id, f.course_id));
    match creator {
        Some(Some(u)) => pk.add(u, "creator"),
        Some(None) => pk.note("creator: the Add log names no existing user"),
        None => pk.note("no Add log (creator unknown)"),
    }
    if let Some(rs) = f.activity.as_ref().and_then(|a| rules.get(&a.id)) {
        for r in rs {
            match r {
                Rule::User(id) => match users.get(id) {
                    Some(u) => pk.add(u, "user rule"),
                    None => pk.note(format!("user rule names missing user {id}")),
                },
                Rule::Owner => {
                    if let Some(Some(u)) = creator {
                        pk.add(u, "owner rule")
                    }
                }
                Rule::All => pk.note("rule all→moderator: everyone moderates (not listed)"),
                Rule::RoleId(_) | Rule::RoleName(_) => {}
            }
        }
        // Role rules: every assignment in the module context or a parent, in role order.
        if let Some(path) = f.activity.as_ref().and_then(|a| paths.get(&a.id)) {
            for (ctx, role_id, short, _, u) in assignments {
                let matches = rs.iter().any(|r| match r {
                    Rule::RoleId(x) => x == role_id,
                    Rule::RoleName(n) => n.eq_ignore_ascii_case(short),
                    _ => false,
                });
                if matches && path.contains(ctx) {
                    pk.add(u, format!("role {short}"));
                }
            }
        }
    }
    let suffix = match (&f.via, f.activity.is_none()) {
        (_, true) => " (activity deleted)",
        (Via::RecordingsTable { imported: true, .. }, false) => " (imported copy)",
        _ => "",
    };
    let notes = pk.notes();
    if pk.is_empty() {
        let why = if notes.is_empty() { "no owner found".to_string() } else { format!("no usable owner: {notes}") };
        return Resolution::unknown(format!("moodle `{site}` {label}{suffix}: {why}"));
    }
    let common = serde_json::json!({ "site": site, "activity": f.activity_id, "course": f.course_id });
    let owners = pk.into_owners(resolver, |reasons| format!("moodle:{label} {}{suffix}", reasons.join(", ")), &common);
    let mut res = Resolution::resolved(owners);
    if !notes.is_empty() {
        res.note = format!("moodle `{site}` {label}: skipped {notes}").into();
    }
    res
}

pub struct Plugin;

impl PluginDecl for Plugin {
    const NAME: &'static str = "moodle";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Owners of Moodle (mod_bigbluebuttonbn) recordings, from the Moodle databases";
    const COMPONENTS: &'static [Component] = &[Component::resolver(
        "moodle",
        "Activity creator and moderators of Moodle recordings (MariaDB/MySQL, PostgreSQL)",
    )];

    fn new_resolver(_type: &str, config: &str, ctx: Ctx) -> Result<Box<dyn ResolverPlugin>, PluginError> {
        Ok(Box::new(MoodleResolver::new(config, ctx)?))
    }
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
