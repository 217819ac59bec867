//! What bbb-migrate knows about Moodle's `mod_bigbluebuttonbn`, shared by the
//! `moodle` resolver and the `moodle-notice` sink (never copied):
//!
//! - [`parse_meeting_id`]: `<seed>-<courseid>-<instanceid>[<groupid>]` (Moodle 4.x
//!   always has the `[groupid]`, 3.x only in group mode);
//! - [`origin`] / [`is_moodle_recording`]: routing by `bbb-origin` (and the older
//!   `bn-origin` / `origin` keys, `bbb-origin-tag`), else by the meetingID shape;
//! - [`find_candidates`] / [`find_activities`]: the activities (and course, group)
//!   of each recording of a batch, ranked, in a handful of queries: Moodle 4.x
//!   `bigbluebuttonbn_recordings` rows by recordID (original, imported copies,
//!   restored rows), then the meetingID (the activity's `meetingid` seed and
//!   course must match, so a reused id never matches), for deleted activities
//!   the `Add` log that carries the seed, and restored copies by their seed;
//! - [`Prefix`]: the validated table prefix (`mdl_` by default).
//!
//! All SQL is parameterised; the prefix is the only thing put into SQL text and
//! it is checked to be `[a-z0-9_]*`.

use bbb_migrate_db::{placeholders, Engine, Param, Tx};
use plugin_api::{PluginError, Recording};
use std::collections::{BTreeSet, HashMap};

/// Items per `IN (…)` list.
pub const CHUNK: usize = 500;

/// A Moodle BBB meetingID, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeetingId {
    /// `mdl_bigbluebuttonbn.meetingid` (40 hex on real sites).
    pub seed: String,
    pub course_id: i64,
    pub instance_id: i64,
    /// `None` when the meetingID has no `[…]` suffix (3.x without groups); `Some(0)` for `[0]`.
    pub group_id: Option<i64>,
}

impl MeetingId {
    /// The seed is a 40-hex sha1, as every Moodle version since 2.0 generates it.
    pub fn has_sha1_seed(&self) -> bool {
        self.seed.len() == 40 && self.seed.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    }
}

/// Moodle's own parser, anchored: `(?P<meetingid>[^-]*)-(?P<courseid>[^-]*)-(?P<instanceid>\d+)(\[(?P<groupid>\d*)\])?`,
/// with a numeric course id and a non-empty seed.
pub fn parse_meeting_id(s: &str) -> Option<MeetingId> {
    let (body, group_id) = match s.strip_suffix(']') {
        Some(head) => {
            let open = head.rfind('[')?;
            let g = &head[open + 1..];
            if !g.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (&head[..open], Some(if g.is_empty() { 0 } else { g.parse().ok()? }))
        }
        None => (s, None),
    };
    let mut parts = body.split('-');
    let (seed, course, inst) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || seed.is_empty() {
        return None;
    }
    let digits = |x: &str| !x.is_empty() && x.len() <= 18 && x.bytes().all(|b| b.is_ascii_digit());
    if !digits(course) || !digits(inst) {
        return None;
    }
    Some(MeetingId {
        seed: seed.to_string(),
        course_id: course.parse().ok()?,
        instance_id: inst.parse().ok()?,
        group_id,
    })
}

pub use bbb_migrate_db::routing::meta_ci;

/// What a recording says about the front-end that created it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Moodle,
    /// Another front-end (`greenlight`, `WordPress`, …), lower-cased.
    Other(String),
    /// No origin metadata at all.
    Unknown,
}

/// `bbb-origin` (2.1+), `bn-origin` (plugin 2.0), `origin` (1.x), or a
/// `bbb-origin-tag` of `moodle-mod_bigbluebuttonbn…`.
pub fn origin(r: &Recording) -> Origin {
    if let Some(tag) = meta_ci(r, "bbb-origin-tag") {
        if tag.trim().to_ascii_lowercase().starts_with("moodle-mod_bigbluebuttonbn") {
            return Origin::Moodle;
        }
    }
    match bbb_migrate_db::routing::origin(r) {
        Some(v) if v == "moodle" => Origin::Moodle,
        Some(v) => Origin::Other(v),
        None => Origin::Unknown,
    }
}

/// The Moodle host that created the recording: `bbb-origin-server-name`, or
/// the 1.x `originservername`.
pub fn origin_server(r: &Recording) -> Option<&str> {
    meta_ci(r, "bbb-origin-server-name").or_else(|| meta_ci(r, "originservername"))
}

/// Can this recording come from Moodle? Yes when its origin says Moodle; no
/// when it names another front-end; without origin, only when the meetingID
/// has Moodle's shape with a 40-hex seed.
pub fn is_moodle_recording(r: &Recording) -> bool {
    match origin(r) {
        Origin::Moodle => true,
        Origin::Other(_) => false,
        Origin::Unknown => parse_meeting_id(r.meeting_id.as_str()).is_some_and(|m| m.has_sha1_seed()),
    }
}

/// A validated table prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefix(String);

impl Prefix {
    /// Accepts `[A-Za-z0-9_]{0,20}` (it goes into SQL text as an identifier part).
    pub fn new(p: &str) -> Result<Self, String> {
        if p.len() > 20 || !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!("table prefix `{}` must be letters, digits and `_` (at most 20)", p.escape_default()));
        }
        Ok(Prefix(p.to_string()))
    }
    /// `<prefix><name>`, e.g. `mdl_bigbluebuttonbn`.
    pub fn t(&self, name: &str) -> String {
        format!("{}{name}", self.0)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Prefix {
    fn default() -> Self {
        Prefix("mdl_".into())
    }
}

/// Which Moodle generation a database holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schema {
    /// `<prefix>bigbluebuttonbn_recordings` exists (Moodle 4.0+).
    pub has_recordings_table: bool,
}

/// Checks the activity table exists and whether the 4.x recordings table does.
/// Fails (one line, naming the prefix) when `<prefix>bigbluebuttonbn` is missing.
pub async fn detect_schema(tx: &mut Tx, prefix: &Prefix) -> Result<Schema, PluginError> {
    let schema_fn = match tx.engine() {
        Engine::MySql => "DATABASE()",
        Engine::Postgres => "current_schema()",
    };
    let sql = format!("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = {schema_fn} AND table_name IN (?, ?)");
    let rows =
        tx.query(&sql, vec![prefix.t("bigbluebuttonbn").into(), prefix.t("bigbluebuttonbn_recordings").into()]).await?;
    let names: BTreeSet<String> = rows.iter().map(|r| r.text("t").to_ascii_lowercase()).collect();
    if !names.contains(&prefix.t("bigbluebuttonbn").to_ascii_lowercase()) {
        return Err(PluginError::data(format!(
            "{}: no table {} (is this a Moodle database with mod_bigbluebuttonbn, and is the prefix `{}` right?)",
            tx.url().redacted(),
            prefix.t("bigbluebuttonbn"),
            prefix.as_str()
        )));
    }
    Ok(Schema { has_recordings_table: names.contains(&prefix.t("bigbluebuttonbn_recordings").to_ascii_lowercase()) })
}

/// How the activity of a recording was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// Moodle 4.x `bigbluebuttonbn_recordings.recordingid` = recordID (row `row`).
    RecordingsTable { row: i64, imported: bool, headless: bool, status: i64 },
    /// The meetingID (seed + course + instance checked).
    MeetingId,
    /// Another activity carrying the meetingID's seed (a course or activity
    /// restored, from the recycle bin or onto another site: new ids, same seed).
    Seed { was_activity: i64, was_course: i64 },
}

/// The activity row (absent when the activity was deleted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity {
    pub id: i64,
    pub course: i64,
    pub name: String,
    pub seed: String,
    /// The JSON rules, verbatim (`None` = NULL).
    pub participants: Option<String>,
    /// `course_modules.id` (cmid), if the module still exists.
    pub cmid: Option<i64>,
    /// The module context path (`/1/3/20/22`), if any.
    pub context_path: Option<String>,
}

/// Where a recording belongs in Moodle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub activity_id: i64,
    pub course_id: i64,
    pub group_id: Option<i64>,
    pub via: Via,
    /// `None`: the activity was deleted (its logs or recordings rows survive).
    pub activity: Option<Activity>,
}

impl Found {
    /// `activity 119 course 4` (+ ` group 7` for a group > 0).
    pub fn label(&self) -> String {
        let mut s = format!("activity {} course {}", self.activity_id, self.course_id);
        if let Some(g) = self.group_id.filter(|g| *g > 0) {
            s.push_str(&format!(" group {g}"));
        }
        s
    }
    /// Is this an imported copy (a `bigbluebuttonbn_recordings` row with `imported = 1`)?
    pub fn imported(&self) -> bool {
        matches!(self.via, Via::RecordingsTable { imported: true, .. })
    }
    /// Is the activity still there (not deleted, not a headless row)?
    pub fn live(&self) -> bool {
        self.activity.is_some() && !matches!(self.via, Via::RecordingsTable { headless: true, .. })
    }
    /// Which candidates speak first (lower first), as Moodle users would see
    /// the recording: 0 the original activity, live; 1 a live activity carrying
    /// the seed (restored copy); 2 the original activity, deleted; 3 a live
    /// activity the recording was imported into; 4 an imported copy in a
    /// deleted activity.
    pub fn rank(&self) -> u8 {
        match (self.imported(), matches!(self.via, Via::Seed { .. }), self.live()) {
            (false, false, true) => 0,
            (false, true, _) => 1,
            (false, false, false) => 2,
            (true, _, true) => 3,
            (true, _, false) => 4,
        }
    }
    fn order(&self) -> (u8, i64, i64) {
        let row = match self.via {
            Via::RecordingsTable { row, .. } => row,
            _ => 0,
        };
        (self.rank(), row, self.activity_id)
    }
}

/// One recording to look up.
#[derive(Clone, Debug)]
pub struct Query<'a> {
    pub record_id: &'a str,
    pub meeting: Option<MeetingId>,
}

impl<'a> Query<'a> {
    pub fn of(r: &'a Recording) -> Self {
        Query { record_id: r.record_id.as_str(), meeting: parse_meeting_id(r.meeting_id.as_str()) }
    }
}

fn chunks<T: Clone>(v: &[T]) -> impl Iterator<Item = Vec<T>> + '_ {
    v.chunks(CHUNK).map(|c| c.to_vec())
}

/// The `Add` logs of the (activity, course) pairs, oldest first: columns
/// `logid, bigbluebuttonbnid, courseid, userid, meetingid`, plus `user_cols`
/// (columns of the activity creator's `<prefix>user u`, LEFT JOINed) when not
/// empty. Uses the (courseid, bigbluebuttonbnid) index; one query per 500 pairs.
pub async fn add_logs(
    tx: &mut Tx,
    prefix: &Prefix,
    pairs: &[(i64, i64)],
    join_user: &str,
) -> Result<Vec<bbb_migrate_db::Row>, PluginError> {
    let mut out = Vec::new();
    for chunk in pairs.chunks(CHUNK) {
        let acts: BTreeSet<i64> = chunk.iter().map(|p| p.0).collect();
        let courses: BTreeSet<i64> = chunk.iter().map(|p| p.1).collect();
        let (also, join) = if join_user.is_empty() {
            (String::new(), String::new())
        } else {
            (format!(", {join_user}"), format!(" LEFT JOIN {} u ON u.id = l.userid", prefix.t("user")))
        };
        let sql = format!(
            "SELECT l.id AS logid, l.bigbluebuttonbnid, l.courseid, l.userid, l.meetingid{also} FROM {} l{join} \
             WHERE l.courseid IN ({}) AND l.bigbluebuttonbnid IN ({}) AND l.log = 'Add' ORDER BY l.id",
            prefix.t("bigbluebuttonbn_logs"),
            placeholders(courses.len()),
            placeholders(acts.len()),
        );
        let params: Vec<Param> = courses.into_iter().chain(acts).map(Param::Int).collect();
        let wanted: BTreeSet<(i64, i64)> = chunk.iter().copied().collect();
        for row in tx.query(&sql, params).await? {
            if wanted.contains(&(row.int("bigbluebuttonbnid").unwrap_or(0), row.int("courseid").unwrap_or(0))) {
                out.push(row);
            }
        }
    }
    Ok(out)
}

/// Finds the activity of every query: the best of [`find_candidates`].
pub async fn find_activities(
    tx: &mut Tx,
    prefix: &Prefix,
    schema: Schema,
    queries: &[Query<'_>],
) -> Result<Vec<Result<Found, String>>, PluginError> {
    let all = find_candidates(tx, prefix, schema, queries).await?;
    Ok(all.into_iter().map(|c| c.map(|mut v| v.remove(0))).collect())
}

/// The activity columns read for every candidate (course module and module context joined).
async fn activities_where(
    tx: &mut Tx,
    prefix: &Prefix,
    column: &str,
    params: Vec<Param>,
) -> Result<Vec<Activity>, PluginError> {
    let sql = format!(
        "SELECT b.id, b.course, b.name, b.meetingid, b.participants, cm.id AS cmid, ctx.path AS ctxpath \
         FROM {b} b \
         LEFT JOIN {m} m ON m.name = 'bigbluebuttonbn' \
         LEFT JOIN {cm} cm ON cm.module = m.id AND cm.instance = b.id AND cm.course = b.course \
         LEFT JOIN {ctx} ctx ON ctx.contextlevel = 70 AND ctx.instanceid = cm.id \
         WHERE b.{column} IN ({}) ORDER BY b.id, cm.id",
        placeholders(params.len()),
        b = prefix.t("bigbluebuttonbn"),
        m = prefix.t("modules"),
        cm = prefix.t("course_modules"),
        ctx = prefix.t("context"),
    );
    let mut out: Vec<Activity> = Vec::new();
    for row in tx.query(&sql, params).await? {
        let id = row.int("id").unwrap_or(0);
        if out.last().is_some_and(|a| a.id == id) {
            continue;
        }
        out.push(Activity {
            id,
            course: row.int("course").unwrap_or(0),
            name: row.text("name"),
            seed: row.text("meetingid"),
            participants: row.str("participants"),
            cmid: row.int("cmid"),
            context_path: row.str("ctxpath"),
        });
    }
    Ok(out)
}

/// Every activity each query may belong to, best first ([`Found::rank`], then
/// row and activity ids): all `bigbluebuttonbn_recordings` rows of the recordID
/// (original, imported copies, rows of a restored activity), else the meetingID
/// (seed + course + instance; a deleted activity through its `Add` log); and,
/// when none of those is a live activity, the live activities carrying the
/// meetingID's seed (restored copies). A handful of queries whatever the batch
/// size (plus one per 500 items; the seed lookup only when needed).
/// Answer per query: `Ok(candidates)` (never empty) or `Err(why not)`.
pub async fn find_candidates(
    tx: &mut Tx,
    prefix: &Prefix,
    schema: Schema,
    queries: &[Query<'_>],
) -> Result<Vec<Result<Vec<Found>, String>>, PluginError> {
    // 1. Moodle 4.x: recordID -> every row.
    type RowHit = (i64, i64, Option<i64>, Via);
    let mut by_recid: HashMap<String, Vec<RowHit>> = HashMap::new();
    if schema.has_recordings_table {
        let ids: Vec<String> =
            queries.iter().map(|q| q.record_id.to_string()).collect::<BTreeSet<_>>().into_iter().collect();
        for chunk in chunks(&ids) {
            let sql = format!(
                "SELECT id, recordingid, bigbluebuttonbnid, courseid, groupid, imported, headless, status FROM {} WHERE recordingid IN ({}) ORDER BY id",
                prefix.t("bigbluebuttonbn_recordings"),
                placeholders(chunk.len())
            );
            for row in tx.query(&sql, chunk.into_iter().map(Param::Str).collect()).await? {
                by_recid.entry(row.text("recordingid")).or_default().push((
                    row.int("bigbluebuttonbnid").unwrap_or(0),
                    row.int("courseid").unwrap_or(0),
                    row.int("groupid"),
                    Via::RecordingsTable {
                        row: row.int("id").unwrap_or(0),
                        imported: row.bool("imported").unwrap_or(false),
                        headless: row.bool("headless").unwrap_or(false),
                        status: row.int("status").unwrap_or(0),
                    },
                ));
            }
        }
    }

    // 2. Activities named by either path.
    let mut act_ids = BTreeSet::new();
    for q in queries {
        if let Some(rows) = by_recid.get(q.record_id) {
            act_ids.extend(rows.iter().map(|r| r.0));
        } else if let Some(m) = &q.meeting {
            act_ids.insert(m.instance_id);
        }
    }
    let act_ids: Vec<i64> = act_ids.into_iter().collect();
    let mut activities: HashMap<i64, Activity> = HashMap::new();
    for chunk in chunks(&act_ids) {
        for a in activities_where(tx, prefix, "id", chunk.into_iter().map(Param::Int).collect()).await? {
            activities.insert(a.id, a);
        }
    }

    // 3. Deleted activities reached by meetingID: their `Add` log carries the seed.
    let missing: Vec<(i64, i64)> = queries
        .iter()
        .filter(|q| !by_recid.contains_key(q.record_id))
        .filter_map(|q| q.meeting.as_ref())
        .filter(|m| !activities.contains_key(&m.instance_id))
        .map(|m| (m.instance_id, m.course_id))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut add_seeds: HashMap<(i64, i64), String> = HashMap::new();
    for row in add_logs(tx, prefix, &missing, "").await? {
        let key = (row.int("bigbluebuttonbnid").unwrap_or(0), row.int("courseid").unwrap_or(0));
        add_seeds.entry(key).or_insert_with(|| row.text("meetingid"));
    }

    let mut answers: Vec<Result<Vec<Found>, String>> = queries
        .iter()
        .map(|q| {
            if let Some(rows) = by_recid.get(q.record_id) {
                return Ok(rows
                    .iter()
                    .map(|(act, course, group, via)| Found {
                        activity_id: *act,
                        course_id: *course,
                        group_id: group.or_else(|| q.meeting.as_ref().and_then(|m| m.group_id)),
                        via: via.clone(),
                        activity: activities.get(act).cloned(),
                    })
                    .collect());
            }
            let Some(m) = &q.meeting else {
                return Err("meetingID is not a Moodle one and the recordID is not in the recordings table".into());
            };
            match activities.get(&m.instance_id) {
                Some(a) if a.seed == m.seed && a.course == m.course_id => Ok(vec![Found {
                    activity_id: a.id,
                    course_id: a.course,
                    group_id: m.group_id,
                    via: Via::MeetingId,
                    activity: Some(a.clone()),
                }]),
                Some(a) => Err(format!(
                    "meetingID names activity {} course {} but that activity has another meetingID seed or course (id reused?)",
                    a.id, m.course_id
                )),
                None => match add_seeds.get(&(m.instance_id, m.course_id)) {
                    Some(seed) if *seed == m.seed => Ok(vec![Found {
                        activity_id: m.instance_id,
                        course_id: m.course_id,
                        group_id: m.group_id,
                        via: Via::MeetingId,
                        activity: None,
                    }]),
                    _ => Err(format!("no activity {} in course {} with this meetingID", m.instance_id, m.course_id)),
                },
            }
        })
        .collect();

    // 4. No live activity: the live activities carrying the seed (restored copies).
    let no_live = |a: &Result<Vec<Found>, String>| match a {
        Ok(v) => !v.iter().any(Found::live),
        Err(_) => true,
    };
    let seeds: Vec<String> = queries
        .iter()
        .zip(&answers)
        .filter(|(_, a)| no_live(a))
        .filter_map(|(q, _)| q.meeting.as_ref())
        .filter(|m| m.has_sha1_seed())
        .map(|m| m.seed.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut by_seed: HashMap<String, Vec<Activity>> = HashMap::new();
    for chunk in chunks(&seeds) {
        for a in activities_where(tx, prefix, "meetingid", chunk.into_iter().map(Param::Str).collect()).await? {
            if a.cmid.is_some() {
                by_seed.entry(a.seed.clone()).or_default().push(a);
            }
        }
    }
    for (q, a) in queries.iter().zip(answers.iter_mut()) {
        let Some(m) = q.meeting.as_ref().filter(|_| no_live(a)) else { continue };
        let copies: Vec<Found> = by_seed
            .get(&m.seed)
            .into_iter()
            .flatten()
            .filter(|c| !(c.id == m.instance_id && c.course == m.course_id))
            .map(|c| Found {
                activity_id: c.id,
                course_id: c.course,
                group_id: m.group_id,
                via: Via::Seed { was_activity: m.instance_id, was_course: m.course_id },
                activity: Some(c.clone()),
            })
            .collect();
        if copies.is_empty() {
            continue;
        }
        match a {
            Ok(v) => v.extend(copies),
            Err(_) => *a = Ok(copies),
        }
    }
    for a in answers.iter_mut().flatten() {
        a.sort_by_key(Found::order);
    }
    Ok(answers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_api::abi_stable::std_types::Tuple2;

    #[test]
    fn parses_every_shape() {
        let m = parse_meeting_id("9d287cf50490ca856ca5273bd303a7e321df6051-4-119[0]").unwrap();
        assert_eq!(
            m,
            MeetingId {
                seed: "9d287cf50490ca856ca5273bd303a7e321df6051".into(),
                course_id: 4,
                instance_id: 119,
                group_id: Some(0)
            }
        );
        assert!(m.has_sha1_seed());
        let m = parse_meeting_id("e91ea28766a627074a88f956b1190a9f1b967e43-2-2[7]").unwrap();
        assert_eq!((m.course_id, m.instance_id, m.group_id), (2, 2, Some(7)));
        let m = parse_meeting_id("1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1").unwrap();
        assert_eq!((m.course_id, m.instance_id, m.group_id), (2, 1, None));
        assert_eq!(parse_meeting_id("abc-2-1[]").unwrap().group_id, Some(0));
        assert!(!parse_meeting_id("abc-2-1").unwrap().has_sha1_seed());
        for bad in [
            "0003-soutenances",
            "hbrpoig8f1cbfno6b9m80o2rak1vrjnvgfygwwqc",
            "a-b-1",
            "-2-1",
            "a-2-1-4",
            "a-2-x",
            "a-2-1[x]",
            "a-2-1]",
        ] {
            assert_eq!(parse_meeting_id(bad), None, "{bad}");
        }
    }

    fn rec(meeting: &str, meta: &[(&str, &str)]) -> Recording {
        Recording {
            meeting_id: meeting.into(),
            metadata: meta.iter().map(|(k, v)| Tuple2((*k).into(), (*v).into())).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn routes_by_origin_then_shape() {
        let shape = "1f748191b13a43ca7cccb140635dd9f91bee94a9-2-1[0]";
        assert!(is_moodle_recording(&rec(shape, &[])));
        assert!(is_moodle_recording(&rec("x", &[("bbb-origin", "Moodle")])));
        assert!(is_moodle_recording(&rec("x", &[("bn-origin", "moodle")])));
        assert!(is_moodle_recording(&rec("x", &[("bbb-origin-tag", "moodle-mod_bigbluebuttonbn (2022112800)")])));
        assert!(!is_moodle_recording(&rec(shape, &[("bbb-origin", "greenlight")])));
        assert!(!is_moodle_recording(&rec("abc-2-1", &[])));
        assert_eq!(origin_server(&rec("x", &[("bbb-origin-server-name", "moodle.univ.fr")])), Some("moodle.univ.fr"));
        assert_eq!(origin_server(&rec("x", &[("originservername", "old.univ.fr")])), Some("old.univ.fr"));
    }

    #[test]
    fn prefix_is_an_identifier() {
        assert_eq!(Prefix::new("mdl_").unwrap().t("user"), "mdl_user");
        assert!(Prefix::new("mdl_; DROP").is_err());
        assert!(Prefix::new("a`b").is_err());
    }
}
