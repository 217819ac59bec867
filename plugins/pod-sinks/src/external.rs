//! `pod-external`: one `import_video_externalrecording` row per recording and
//! owner ("My external videos"), users created when missing.
//!
//! Planned, then applied: the plan reads the batch's users and existing rows
//! (one statement each, read-only) and says what each recording would write.
//! Apply: one transaction per batch, one savepoint per recording: the users
//! and rows are read again (users locked), and a recording's user, owner and
//! rows are written together or not at all (a failing one is rolled back to
//! its savepoint, the others of the batch are committed); a recording whose
//! rows all exist writes nothing. See [`write_batch`].
//!
//! Existing rows are found without scanning `import_video_externalrecording`
//! per batch (Pod has no index on `source_url`): see [`Known`].
use crate::pod::{self, clip, now_sql, permanent, timestamp_text, ts_placeholder};
use bbb_migrate_db::{placeholders, Db, Engine, Param, Tx, TxMode};
use plugin_api::sdk::{write_planned, Ctx, PlanApply, Planned, Secret, SinkComponent, SinkPlugin};
use plugin_api::{Delivered, LifecycleOp, Outcome, PluginError, Recording, SinkItem};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    database: String,
    site_id: i64,
    secret_key: Secret,
    /// Rewrite BBB ≤ 2.2 player URLs (`/2.0/playback.html?meetingId=`) to the
    /// 2.3 player (`/2.3/<recordID>`), as the reference script does by default.
    #[serde(default)]
    presentation_url_23: bool,
}

pub struct PodExternalSink {
    db: Db,
    site_id: i64,
    secret_key: Secret,
    rewrite_23: bool,
    ctx: Ctx,
    known: Arc<Mutex<Known>>,
}

/// An id below the highest read but not seen may belong to a transaction
/// still open when it was read (another worker's, or Pod's): it is read
/// again, by primary key range, until it shows up or this long has passed.
const GAP_TTL: Duration = Duration::from_secs(120);
/// On the first read, only the ids this close to the highest are taken for
/// possibly open transactions (older holes are rows deleted long ago).
const GAP_WINDOW: i64 = 20_000;

/// This process's index of `import_video_externalrecording`, kept instead of
/// asking PostgreSQL/MariaDB for the batch's `source_url`s (an unindexed
/// column: every batch would scan the table). The first batch reads the
/// table once; every later batch reads, inside its own transaction, only the
/// rows whose primary key is above the highest already read (an index range:
/// other workers' and Pod's new rows, and our own) plus the recent holes (see
/// [`GAP_TTL`]). Hits are then read again by primary key in the batch's
/// transaction, so a row deleted or changed meanwhile is not taken as there.
/// Memory: one hash of the URL, the owner and the id per row.
#[derive(Default)]
pub struct Known {
    loaded: bool,
    /// Hash of `source_url` → (owner_id, id) of every row read.
    rows: HashMap<u64, Vec<(i64, i64)>>,
    /// The highest id read.
    high: i64,
    /// Ids below `high` not seen yet, and when they were first missed.
    gaps: BTreeMap<i64, Instant>,
}

fn url_hash(url: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    url.hash(&mut h);
    h.finish()
}

impl Known {
    /// Where the next read starts (exclusive): below the oldest live hole.
    fn read_from(&mut self) -> Option<i64> {
        let now = Instant::now();
        self.gaps.retain(|_, t| now.duration_since(*t) < GAP_TTL);
        if !self.loaded {
            return None;
        }
        Some(self.gaps.keys().next().map_or(self.high, |g| (g - 1).min(self.high)))
    }
    fn add(&mut self, url: &str, owner: i64, id: i64) {
        let v = self.rows.entry(url_hash(url)).or_default();
        if !v.contains(&(owner, id)) {
            v.push((owner, id));
        }
        self.gaps.remove(&id);
    }
    /// Takes the rows read (ascending ids) after `after`. A hole above the
    /// highest id read before (on the first load: only near the top) is a gap.
    fn merge(&mut self, first_load: bool, after: i64, read: &[(i64, String, Option<i64>)]) {
        let now = Instant::now();
        let floor = if first_load { after } else { self.high };
        let mut next = after + 1;
        for (id, url, owner) in read {
            // (a jump of more than GAP_WINDOW ids is not a transaction's)
            for hole in next.max(floor + 1).max(id - GAP_WINDOW)..*id {
                self.gaps.entry(hole).or_insert(now);
            }
            next = id + 1;
            match owner {
                Some(owner) => self.add(url, *owner, *id),
                None => {
                    self.gaps.remove(id);
                }
            }
        }
        self.high = read.last().map_or(self.high, |r| r.0.max(self.high));
        if first_load {
            self.gaps = self.gaps.split_off(&(self.high - GAP_WINDOW));
        }
        self.loaded = true;
    }
    /// Candidate (owner_id, id) of rows with this URL.
    fn candidates(&self, url: &str) -> &[(i64, i64)] {
        self.rows.get(&url_hash(url)).map_or(&[], |v| v.as_slice())
    }
    /// Rows not found by primary key: deleted, or not committed yet (another
    /// thread's own insert): read again by range for a while, like a gap.
    fn forget(&mut self, url_hash_id: &[(u64, i64)]) {
        let now = Instant::now();
        for (h, id) in url_hash_id {
            if let Some(v) = self.rows.get_mut(h) {
                v.retain(|(_, i)| i != id);
            }
            self.gaps.entry(*id).or_insert(now);
        }
    }
}

/// Pod's column sizes (Django models).
const NAME_MAX: usize = 250;
const URL_MAX: usize = 500;
const USERNAME_MAX: usize = 150;
const PERSON_NAME_MAX: usize = 150;
const EMAIL_MAX: usize = 254;

/// The URL Pod's import page is given: the `video` playback if any, else the
/// `presentation` one, as the reference script chose (`docs/pod.md` §3.3).
pub fn source_url(rec: &Recording, rewrite_23: bool) -> Option<String> {
    if let Some(v) = rec.playback("video").map(|p| p.url.trim()).filter(|u| !u.is_empty()) {
        return Some(v.to_string());
    }
    let p = rec.playback("presentation").map(|p| p.url.trim()).filter(|u| !u.is_empty())?;
    if rewrite_23 && p.contains("/2.0/playback.html") {
        return Some(p.replacen("/2.0/playback.html", &format!("/2.3/{}", rec.record_id), 1));
    }
    Some(p.to_string())
}

/// `authentication_owner.hashkey` as Pod computes it.
pub fn hashkey(secret_key: &str, username: &str) -> String {
    let mut h = Sha256::new();
    h.update(secret_key.as_bytes());
    h.update(username.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One owner of one recording, as planned or done.
#[derive(Debug, Clone)]
struct OwnerResult {
    username: String,
    user_id: Option<i64>,
    user_created: bool,
    row_id: Option<i64>,
    row_inserted: bool,
}

#[derive(Clone)]
struct Person {
    username: String,
    first_name: String,
    last_name: String,
    email: String,
}

/// What one recording wants in Pod: a row per person.
pub struct Wanted {
    record_id: String,
    name: String,
    start: String,
    source_url: String,
    people: Vec<Person>,
    fallback: bool,
}

/// What every recording of a batch shares.
struct Batch {
    site_id: i64,
    hashkey_secret: String,
    wanted: Vec<Wanted>,
    known: Arc<Mutex<Known>>,
}

impl SinkComponent for PodExternalSink {
    const TYPE: &'static str = "pod-external";
    const ABOUT: &'static str =
        "one Pod external recording (import_video) per recording and owner; missing users created";
    type Config = Config;
    fn build(cfg: Config, ctx: Ctx) -> Result<Self, PluginError> {
        if cfg.site_id <= 0 {
            return Err(PluginError::config("site_id", "site_id must be a django_site id (≥ 1)"));
        }
        if cfg.secret_key.expose().is_empty() {
            return Err(PluginError::config(
                "secret_key",
                "secret_key (Pod's SECRET_KEY) is empty: owners' hashkeys would be wrong",
            ));
        }
        Ok(Self {
            db: pod::open(&cfg.database)?,
            site_id: cfg.site_id,
            secret_key: cfg.secret_key,
            rewrite_23: cfg.presentation_url_23,
            ctx,
            known: Arc::default(),
        })
    }
}

impl PodExternalSink {
    /// What `item` wants, or why it cannot be delivered (whatever Pod holds).
    fn wanted(&self, item: &SinkItem) -> Result<Wanted, String> {
        let rec = &item.recording;
        let source_url = source_url(rec, self.rewrite_23)
            .ok_or("no video or presentation playback URL: nothing Pod could import")?;
        if source_url.chars().count() > URL_MAX {
            return Err(format!(
                "playback URL longer than {URL_MAX} characters (import_video_externalrecording.source_url)"
            ));
        }
        let name = rec.name.trim();
        let name = if name.is_empty() { rec.record_id.as_str() } else { name };
        let mut people: Vec<Person> = Vec::new();
        for o in item.owners.iter() {
            let username = o.username.trim();
            if username.is_empty() {
                continue;
            }
            if username.chars().count() > USERNAME_MAX {
                return Err(format!(
                    "owner username `{}…` is longer than {USERNAME_MAX} characters (auth_user.username)",
                    clip(username, 40)
                ));
            }
            if people.iter().any(|p| p.username == username) {
                continue;
            }
            people.push(Person {
                username: username.to_string(),
                first_name: clip(o.first_name.trim(), PERSON_NAME_MAX),
                last_name: clip(o.last_name.trim(), PERSON_NAME_MAX),
                email: clip(o.email.trim(), EMAIL_MAX),
            });
        }
        if people.is_empty() {
            return Err("no owner with a username".into());
        }
        Ok(Wanted {
            record_id: rec.record_id.to_string(),
            name: clip(name, NAME_MAX),
            start: timestamp_text(self.db.engine(), rec.start_ms),
            source_url,
            people,
            fallback: item.fallback,
        })
    }

    /// What the write transaction of `wanted` needs.
    fn batch(&self, wanted: Vec<Wanted>) -> Arc<Batch> {
        Arc::new(Batch {
            site_id: self.site_id,
            hashkey_secret: self.secret_key.expose().to_string(),
            wanted,
            known: self.known.clone(),
        })
    }

    /// Pod's users and rows for `keys`, in one read-only transaction.
    fn read(&self, keys: Keys) -> Result<Existing, PluginError> {
        let (keys, known) = (Arc::new(keys), self.known.clone());
        pod::transaction(&self.db, TxMode::ReadOnly, move |tx| {
            Box::pin(async move { lookup(tx, &keys, &known, false).await })
        })
    }
}

/// Plan: the recordings that can be delivered read Pod's users and rows in
/// one read-only transaction, and each says what it would write. Apply: one
/// read-write transaction per batch reads them again (users locked) and
/// writes what is still missing, one savepoint per recording (see
/// [`write_batch`]).
impl PlanApply for PodExternalSink {
    type Step = Wanted;

    fn plan(&self, batch: &[SinkItem]) -> Result<Vec<Planned<Wanted>>, PluginError> {
        let wanted: Vec<Result<Wanted, String>> = batch.iter().map(|item| self.wanted(item)).collect();
        let mut valid = wanted.iter().flatten().peekable();
        let read = if valid.peek().is_some() { self.read(Keys::of(valid)) } else { Ok(Existing::default()) };
        let plan = |(item, w): (&SinkItem, Result<Wanted, String>)| {
            let id = item.recording.record_id.as_str();
            let (w, existing) = match (w, &read) {
                (Err(e), _) => return Planned::settled(Outcome::failed_permanently(id, e)),
                (_, Err(e)) => return Planned::settled(pod::failure(id, "", e)),
                (Ok(w), Ok(existing)) => (w, existing),
            };
            let would = match decide(&w, existing) {
                Ok(owners) => describe(id, &w.source_url, self.site_id, Tense::Planned, &owners),
                Err(e) => pod::failure(id, "", &e),
            };
            Planned::write(w, would)
        };
        Ok(batch.iter().zip(wanted).map(plan).collect())
    }

    fn apply(&self, _batch: &[SinkItem], plans: Vec<Planned<Wanted>>) -> Result<Vec<Outcome>, PluginError> {
        let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(plans.len());
        let (mut wanted, mut slots) = (Vec::new(), Vec::new());
        for p in plans {
            match p.into_step() {
                Err(o) => outcomes.push(Some(o)),
                Ok(w) => {
                    slots.push(outcomes.len());
                    outcomes.push(None);
                    wanted.push(w);
                }
            }
        }
        if !wanted.is_empty() {
            let batch = self.batch(wanted);
            let b = batch.clone();
            let results = pod::transaction(&self.db, TxMode::ReadWrite, move |tx| {
                Box::pin(async move { write_batch(tx, &b).await })
            });
            for (k, (w, slot)) in batch.wanted.iter().zip(slots).enumerate() {
                let id = w.record_id.as_str();
                outcomes[slot] = Some(match results.as_ref().map(|r| &r[k]) {
                    Ok(Ok(owners)) => describe(id, &w.source_url, self.site_id, Tense::Done, owners),
                    Ok(Err(e)) | Err(e) => pod::failure(id, "", e),
                });
            }
        }
        Ok(outcomes.into_iter().map(|o| o.expect("every item has an outcome")).collect())
    }
}

/// The usernames and source URLs of a batch, sorted, without repeats.
struct Keys {
    names: Vec<String>,
    urls: Vec<String>,
}

impl Keys {
    fn of<'a>(wanted: impl Iterator<Item = &'a Wanted>) -> Keys {
        let (mut names, mut urls) = (Vec::new(), Vec::new());
        for w in wanted {
            names.extend(w.people.iter().map(|p| p.username.clone()));
            urls.push(w.source_url.clone());
        }
        for v in [&mut names, &mut urls] {
            v.sort_unstable();
            v.dedup();
        }
        Keys { names, urls }
    }
}

/// What Pod holds for a batch: user ids by username, and the smallest row
/// id by (source_url, owner_id).
#[derive(Default)]
struct Existing {
    users: HashMap<String, i64>,
    rows: HashMap<(String, i64), i64>,
}

/// The lock taken on the batch's existing users before writing: MariaDB's
/// next-key locks also keep a missing username missing until this
/// transaction creates it; PostgreSQL only needs the users to stay
/// (`ON CONFLICT` handles creation).
fn user_lock(engine: Engine) -> &'static str {
    match engine {
        Engine::MySql => " FOR UPDATE",
        Engine::Postgres => " FOR KEY SHARE",
    }
}

/// The users and existing rows of a batch, one statement each (`for_write`:
/// the users locked, see [`user_lock`]).
async fn lookup(tx: &mut Tx, keys: &Keys, known: &Mutex<Known>, for_write: bool) -> Result<Existing, PluginError> {
    let lock = if for_write { user_lock(tx.engine()) } else { "" };
    let sql =
        format!("SELECT id, username FROM auth_user WHERE username IN ({}){lock}", placeholders(keys.names.len()));
    let mut users: HashMap<String, i64> = HashMap::new();
    for row in tx.query(&sql, keys.names.iter().map(|n| Param::from(n.as_str())).collect()).await? {
        if let Some(id) = row.int("id") {
            users.insert(row.text("username"), id);
        }
    }
    let rows = existing_rows(tx, &keys.urls, known).await?;
    Ok(Existing { users, rows })
}

/// Each person's user and row as Pod holds them: a missing user is to be
/// created (an error for the fallback owner), a missing row inserted.
fn decide(w: &Wanted, existing: &Existing) -> Result<Vec<OwnerResult>, PluginError> {
    let decide_one = |p: &Person| {
        let user_id = existing.users.get(&p.username).copied();
        if user_id.is_none() && w.fallback {
            return Err(permanent(format!(
                "the fallback owner `{}` has no Pod account (auth_user.username); create it in Pod or change [fallback] owner",
                p.username
            )));
        }
        let row_id = user_id.and_then(|uid| existing.rows.get(&(w.source_url.clone(), uid)).copied());
        Ok(OwnerResult {
            username: p.username.clone(),
            user_id,
            user_created: user_id.is_none(),
            row_id,
            row_inserted: row_id.is_none(),
        })
    };
    w.people.iter().map(decide_one).collect()
}

/// Writes a batch inside its transaction: the users (locked) and existing
/// rows of the whole batch read again, then each recording that has
/// something to write inside its own savepoint. A recording's error rolls
/// back to its savepoint and becomes its result; a lost connection or a
/// deadlock fails the whole batch (which is then run again).
async fn write_batch(tx: &mut Tx, b: &Batch) -> Result<Vec<Result<Vec<OwnerResult>, PluginError>>, PluginError> {
    let engine = tx.engine();
    let mut existing = lookup(tx, &Keys::of(b.wanted.iter()), &b.known, true).await?;
    // PostgreSQL checks Pod's deferred foreign keys at COMMIT: check them
    // at each statement instead, so a bad recording fails in its savepoint.
    let first = match engine {
        Engine::Postgres => "SET CONSTRAINTS ALL IMMEDIATE; SAVEPOINT recording",
        Engine::MySql => "SAVEPOINT recording",
    };
    tx.execute_batch(first).await?;
    let mut out = Vec::with_capacity(b.wanted.len());
    for w in &b.wanted {
        let mut created: Vec<(String, i64)> = Vec::new();
        match write_recording(tx, b, w, &existing, &mut created).await {
            Ok(results) => {
                if results.iter().any(|o| o.user_created || o.row_inserted) {
                    tx.execute_batch("RELEASE SAVEPOINT recording; SAVEPOINT recording").await?;
                    existing.users.extend(created);
                    let mut known = lock(&b.known);
                    for r in &results {
                        if let (true, Some(uid), Some(id)) = (r.row_inserted, r.user_id, r.row_id) {
                            existing.rows.insert((w.source_url.clone(), uid), id);
                            // Kept even if this transaction is lost: hits are read again.
                            known.add(&w.source_url, uid, id);
                        }
                    }
                }
                out.push(Ok(results));
            }
            Err(e) if pod::is_transient(&e) || bbb_migrate_db::is_connect_error(&e) => return Err(e),
            Err(e) => {
                tx.execute_batch("ROLLBACK TO SAVEPOINT recording").await?;
                out.push(Err(e));
            }
        }
    }
    Ok(out)
}

fn lock(k: &Mutex<Known>) -> std::sync::MutexGuard<'_, Known> {
    k.lock().unwrap_or_else(|p| p.into_inner())
}

/// The batch's existing rows, (source_url, owner_id) → smallest id, read
/// inside the batch's transaction without scanning the table per batch: the
/// rows added since the last read (by primary key), then the candidates the
/// index [`Known`] gives for the batch's URLs, read again by primary key.
async fn existing_rows(
    tx: &mut Tx,
    urls: &[String],
    known: &Mutex<Known>,
) -> Result<HashMap<(String, i64), i64>, PluginError> {
    const COLS: &str = "SELECT id, source_url, owner_id FROM import_video_externalrecording";
    /// Rows read per statement (the first read of a large table is paged).
    const PAGE: usize = 20_000;
    let from = lock(known).read_from();
    let first_load = from.is_none();
    let mut after = from.unwrap_or(0);
    loop {
        let page = tx.query(&format!("{COLS} WHERE id > ? ORDER BY id LIMIT {PAGE}"), vec![Param::Int(after)]).await?;
        let n = page.len();
        let read: Vec<(i64, String, Option<i64>)> =
            page.iter().filter_map(|r| Some((r.int("id")?, r.text("source_url"), r.int("owner_id")))).collect();
        drop(page);
        lock(known).merge(first_load, after, &read);
        match read.last() {
            Some(r) if n == PAGE => after = r.0,
            _ => break,
        }
    }
    let mut ids: Vec<i64> = {
        let known = lock(known);
        urls.iter().flat_map(|u| known.candidates(u).iter().map(|c| c.1)).collect()
    };
    ids.sort_unstable();
    ids.dedup();
    let mut rows: HashMap<(String, i64), i64> = HashMap::new();
    if ids.is_empty() {
        return Ok(rows);
    }
    let sql = format!("{COLS} WHERE id IN ({}) ORDER BY id", placeholders(ids.len()));
    let mut found = Vec::new();
    for row in tx.query(&sql, ids.iter().map(|i| Param::Int(*i)).collect()).await? {
        if let (Some(id), Some(owner)) = (row.int("id"), row.int("owner_id")) {
            found.push(id);
            let url = row.text("source_url");
            if urls.binary_search(&url).is_ok() {
                rows.entry((url, owner)).or_insert(id);
            }
        }
    }
    // Rows gone (deleted, or our own lost to a rolled-back transaction).
    let gone: Vec<(u64, i64)> = {
        let known = lock(known);
        urls.iter()
            .flat_map(|u| known.candidates(u).iter().map(move |c| (url_hash(u), c.1)))
            .filter(|(_, id)| found.binary_search(id).is_err())
            .collect()
    };
    if !gone.is_empty() {
        lock(known).forget(&gone);
    }
    Ok(rows)
}

/// One recording: the users it lacks (created) and its missing rows.
/// `created` collects the users made, for the next recordings once this
/// one's savepoint is released.
async fn write_recording(
    tx: &mut Tx,
    b: &Batch,
    w: &Wanted,
    existing: &Existing,
    created: &mut Vec<(String, i64)>,
) -> Result<Vec<OwnerResult>, PluginError> {
    let engine = tx.engine();
    let mut out = decide(w, existing)?;
    for (r, p) in out.iter_mut().zip(&w.people) {
        if r.user_id.is_none() {
            let (uid, made) = create_user(tx, engine, p, b).await?;
            created.push((p.username.clone(), uid));
            r.user_created = made;
            r.user_id = Some(uid);
            r.row_id = existing.rows.get(&(w.source_url.clone(), uid)).copied();
            r.row_inserted = r.row_id.is_none();
        }
        if let (true, Some(uid)) = (r.row_inserted, r.user_id) {
            let sql = format!(
                "INSERT INTO import_video_externalrecording (name, start_at, type, source_url, owner_id, site_id) VALUES (?, {}, 'bigbluebutton', ?, ?, ?)",
                ts_placeholder(engine)
            );
            let params = vec![
                Param::from(w.name.as_str()),
                Param::from(w.start.as_str()),
                Param::from(w.source_url.as_str()),
                Param::Int(uid),
                Param::Int(b.site_id),
            ];
            r.row_id = Some(tx.insert_id(&sql, params).await?);
        }
    }
    Ok(out)
}

/// `auth_user` + `authentication_owner` + `authentication_owner_sites`, with
/// the values Pod's `User.objects.create` and its signals give (`docs/pod.md` §5.3).
/// Race-free: PostgreSQL inserts `ON CONFLICT (username) DO NOTHING` (a user
/// created meanwhile by Pod is taken as it is, `false`); on MariaDB the
/// batch's `FOR UPDATE` lookup holds the username's gap, so no one else can
/// insert it first. Returns the user id and whether it was created.
async fn create_user(tx: &mut Tx, engine: Engine, p: &Person, b: &Batch) -> Result<(i64, bool), PluginError> {
    let conflict = match engine {
        Engine::Postgres => " ON CONFLICT (username) DO NOTHING RETURNING id",
        Engine::MySql => "",
    };
    let sql = format!(
        "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) \
         VALUES ('', ?, ?, ?, ?, ?, ?, ?, {}){conflict}",
        now_sql(engine)
    );
    let params = vec![
        Param::Bool(false),
        Param::from(p.username.as_str()),
        Param::from(p.first_name.as_str()),
        Param::from(p.last_name.as_str()),
        Param::from(p.email.as_str()),
        Param::Bool(true),
        Param::Bool(true),
    ];
    let uid = match engine {
        Engine::MySql => tx.insert_id(&sql, params).await?,
        Engine::Postgres => match tx.query(&sql, params).await?.first().and_then(|r| r.int("id")) {
            Some(uid) => uid,
            None => {
                let found = tx
                    .query("SELECT id FROM auth_user WHERE username = ?", vec![Param::from(p.username.as_str())])
                    .await?;
                let uid = found.first().and_then(|r| r.int("id")).ok_or_else(|| {
                    PluginError::data(format!("auth_user `{}`: neither inserted nor found", p.username))
                })?;
                return Ok((uid, false));
            }
        },
    };
    let owner_id = tx
        .insert_id(
            "INSERT INTO authentication_owner (user_id, auth_type, affiliation, commentaire, hashkey, establishment) VALUES (?, 'local', 'student', '', ?, 'Etab_1')",
            vec![Param::Int(uid), Param::from(hashkey(&b.hashkey_secret, &p.username))],
        )
        .await?;
    tx.execute(
        "INSERT INTO authentication_owner_sites (owner_id, site_id) VALUES (?, ?)",
        vec![Param::Int(owner_id), Param::Int(b.site_id)],
    )
    .await?;
    Ok((uid, true))
}

/// How an outcome speaks: of what a run would write, or of what it wrote.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tense {
    Planned,
    Done,
}

fn describe(id: &str, url: &str, site: i64, tense: Tense, results: &[OwnerResult]) -> Outcome {
    let planned = tense == Tense::Planned;
    let mut parts = Vec::new();
    let mut rows = Vec::new();
    for r in results {
        let who = match r.user_id {
            Some(uid) => format!("{} (auth_user #{uid})", r.username),
            None => r.username.clone(),
        };
        let row = r.row_id.map(|i| format!("#{i}")).unwrap_or_default();
        parts.push(match (planned, r.user_created, r.row_inserted) {
            (true, true, _) => format!(
                "would create Pod user {} (auth_user + authentication_owner + site {site}) and insert its row",
                r.username
            ),
            (true, false, true) => format!("would insert a row for {who}"),
            (false, true, _) => format!("created Pod user {who} and inserted row {row}"),
            (false, false, true) => format!("inserted row {row} for {who}"),
            (_, false, false) => format!("row {row} for {who} already there"),
        });
        rows.push(json!({
            "owner": r.username,
            "owner_id": r.user_id,
            "row_id": r.row_id,
            "row": if r.row_inserted { if planned { "planned" } else { "inserted" } } else { "existed" },
            "user": if r.user_created { if planned { "planned" } else { "created" } } else { "existed" },
        }));
    }
    let data = json!({"table": "import_video_externalrecording", "type": "bigbluebutton", "site_id": site, "source_url": url, "owners": rows});
    let changed = results.iter().any(|r| r.row_inserted || r.user_created);
    let detail = format!("import_video_externalrecording (bigbluebutton, site {site}, {url}): {}", parts.join("; "));
    let o = if planned {
        Outcome::planned(id, if changed { detail } else { format!("nothing to write: {detail}") })
    } else if changed {
        Outcome::done(id, detail)
    } else {
        Outcome::skipped(id, detail)
    };
    o.with_data(&data)
}

impl SinkPlugin for PodExternalSink {
    /// Several workers may write at once: rows keyed by recording and owner, one transaction per recording: workers on several machines never conflict.
    fn shared_writers(&self) -> bool {
        true
    }

    fn prepare(&self) -> Result<Vec<String>, PluginError> {
        let site = self.site_id;
        let info = self.db.transaction(TxMode::ReadOnly, move |tx| {
            Box::pin(async move {
                for t in [
                    "auth_user",
                    "authentication_owner",
                    "authentication_owner_sites",
                    "import_video_externalrecording",
                ] {
                    pod::require_table(tx, t).await?;
                }
                let rows = tx.query("SELECT domain FROM django_site WHERE id = ?", vec![Param::Int(site)]).await?;
                Ok(rows.first().map(|r| r.text("domain")))
            })
        })?;
        let domain = info.ok_or_else(|| {
            PluginError::config(
                "site_id",
                format!("site_id {site}: no django_site row with that id in {}", self.db.url().redacted()),
            )
        })?;
        Ok(vec![format!("{}: site {site} ({domain})", self.db.url().redacted())])
    }

    fn write(&self, batch: &[SinkItem]) -> Result<Vec<Outcome>, PluginError> {
        write_planned(self, self.ctx.dry_run(), batch)
    }

    fn check(&self) -> Result<Vec<String>, PluginError> {
        self.prepare()
    }

    fn finish(&self) -> Result<Vec<String>, PluginError> {
        self.db.close();
        Ok(Vec::new())
    }

    fn lifecycle_ops(&self) -> &'static [LifecycleOp] {
        &[LifecycleOp::UNDO, LifecycleOp::PENDING, LifecycleOp::RETIRE]
    }

    /// See [`crate::external_undo`].
    fn lifecycle(&self, op: LifecycleOp, batch: &[Delivered]) -> Result<Vec<Outcome>, PluginError> {
        let dry = self.ctx.dry_run();
        match op {
            LifecycleOp::UNDO => Ok(crate::external_undo::undo_or_retire(&self.db, batch, dry, false)),
            LifecycleOp::RETIRE => Ok(crate::external_undo::undo_or_retire(&self.db, batch, dry, true)),
            LifecycleOp::PENDING => crate::external_undo::pending(&self.db, batch),
            other => Err(plugin_api::sdk::unsupported_op(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_api::Playback;

    fn rows(ids: &[i64]) -> Vec<(i64, String, Option<i64>)> {
        ids.iter().map(|i| (*i, format!("u{i}"), Some(7))).collect()
    }

    #[test]
    fn the_index_reads_again_below_a_hole_until_it_fills() {
        let mut k = Known::default();
        assert_eq!(k.read_from(), None, "nothing loaded: read the whole table");
        // First load: 1 and 2 deleted long ago are holes too, but near the top.
        k.merge(true, 0, &rows(&[3, 4, 6]));
        assert_eq!(k.candidates("u4"), &[(7, 4)]);
        assert!(k.candidates("u5").is_empty());
        assert_eq!(k.read_from(), Some(0), "holes 1, 2, 5: read again from 1");
        // 5 commits later; 1 and 2 stay missing.
        k.merge(false, 0, &rows(&[3, 4, 5, 6, 8]));
        assert_eq!(k.candidates("u5"), &[(7, 5)]);
        assert_eq!(k.high, 8);
        assert_eq!(k.gaps.keys().copied().collect::<Vec<_>>(), vec![1, 2, 7]);
        // Holes expire after GAP_TTL.
        let old = Instant::now() - GAP_TTL - Duration::from_secs(1);
        for t in k.gaps.values_mut() {
            *t = old;
        }
        assert_eq!(k.read_from(), Some(8));
        // A hit not found by primary key is forgotten and read again by range.
        k.forget(&[(url_hash("u5"), 5)]);
        assert!(k.candidates("u5").is_empty());
        assert_eq!(k.read_from(), Some(4));
    }

    #[test]
    fn the_first_load_keeps_only_holes_near_the_top() {
        let mut k = Known::default();
        let top = GAP_WINDOW + 100;
        k.merge(true, 0, &rows(&[1, top - 10, top]));
        assert_eq!(k.gaps.keys().next().copied(), Some(top - GAP_WINDOW));
        assert_eq!(k.gaps.len() as i64, GAP_WINDOW - 1);
    }

    #[test]
    fn hashkey_is_pods() {
        // Pod: hashlib.sha256((SECRET_KEY + username).encode("utf-8")).hexdigest()
        assert_eq!(hashkey("", "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn video_first_then_presentation() {
        let mut r = Recording { record_id: "r1".into(), ..Default::default() };
        assert_eq!(source_url(&r, true), None);
        r.playback.push(Playback {
            format: "presentation".into(),
            url: " https://b/playback/presentation/2.0/playback.html?meetingId=r1 ".into(),
            ..Default::default()
        });
        assert_eq!(source_url(&r, false).unwrap(), "https://b/playback/presentation/2.0/playback.html?meetingId=r1");
        assert_eq!(source_url(&r, true).unwrap(), "https://b/playback/presentation/2.3/r1?meetingId=r1");
        r.playback.push(Playback {
            format: "video".into(),
            url: "https://b/playback/video/r1/".into(),
            ..Default::default()
        });
        assert_eq!(source_url(&r, true).unwrap(), "https://b/playback/video/r1/");
    }
}
