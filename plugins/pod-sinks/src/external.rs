//! `pod-external`: one `import_video_externalrecording` row per recording and
//! owner ("My external videos"), users created when missing.
//!
//! One transaction per batch, one savepoint per recording: a recording's
//! user, owner and rows are written together or not at all (a failing one is
//! rolled back to its savepoint, the others of the batch are committed). The
//! batch's users and existing rows are read with one statement each; a
//! recording whose rows all exist writes nothing. See [`apply_batch`].
use crate::pod::{self, clip, now_sql, permanent, timestamp_text, ts_placeholder};
use bbb_migrate_db::{placeholders, Db, Engine, Param, Tx, TxMode};
use plugin_api::sdk::{Ctx, Secret, SinkComponent, SinkPlugin};
use plugin_api::{Delivered, LifecycleOp, Outcome, PluginError, Recording, SinkItem};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

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

/// What one recording needs written.
struct Plan {
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
    dry_run: bool,
    plans: Vec<Plan>,
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
        })
    }
}

impl PodExternalSink {
    fn plan(&self, item: &SinkItem) -> Result<Plan, String> {
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
        Ok(Plan {
            record_id: rec.record_id.to_string(),
            name: clip(name, NAME_MAX),
            start: timestamp_text(self.db.engine(), rec.start_ms),
            source_url,
            people,
            fallback: item.fallback,
        })
    }

    /// Plans every item, then writes the batch in one transaction (run again
    /// after a deadlock). One outcome per item, in order.
    fn deliver(&self, items: &[SinkItem]) -> Vec<Outcome> {
        let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(items.len());
        let mut plans = Vec::new();
        let mut slots = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match self.plan(item) {
                Ok(p) => {
                    plans.push(p);
                    slots.push(i);
                    outcomes.push(None);
                }
                Err(e) => outcomes.push(Some(Outcome::failed_permanently(item.recording.record_id.as_str(), e))),
            }
        }
        if !plans.is_empty() {
            let dry = self.ctx.dry_run();
            let site = self.site_id;
            let mode = if dry { TxMode::ReadOnly } else { TxMode::ReadWrite };
            let batch = std::sync::Arc::new(Batch {
                site_id: site,
                hashkey_secret: self.secret_key.expose().to_string(),
                dry_run: dry,
                plans,
            });
            let mut attempt = 0;
            let results = loop {
                let b = batch.clone();
                match self.db.transaction(mode, move |tx| Box::pin(async move { apply_batch(tx, &b).await })) {
                    Err(e) if pod::is_transient(&e) && attempt < pod::TRANSIENT_RETRIES => attempt += 1,
                    other => break other,
                }
            };
            for (k, (plan, slot)) in batch.plans.iter().zip(slots).enumerate() {
                let id = plan.record_id.as_str();
                outcomes[slot] = Some(match &results {
                    Ok(r) => match &r[k] {
                        Ok(owners) => describe(id, &plan.source_url, site, dry, owners),
                        Err(e) => pod::failure(id, "", e),
                    },
                    Err(e) => pod::failure(id, "", e),
                });
            }
        }
        outcomes.into_iter().map(|o| o.expect("every item has an outcome")).collect()
    }
}

/// The lock taken on the batch's existing users: MariaDB's next-key locks
/// also keep a missing username missing until this transaction creates it;
/// PostgreSQL only needs the users to stay (`ON CONFLICT` handles creation).
fn user_lock(engine: Engine, dry_run: bool) -> &'static str {
    match (dry_run, engine) {
        (true, _) => "",
        (false, Engine::MySql) => " FOR UPDATE",
        (false, Engine::Postgres) => " FOR KEY SHARE",
    }
}

/// Writes a batch inside its transaction: the users and existing rows of the
/// whole batch in one statement each, then each recording that has
/// something to write inside its own savepoint. A recording's error rolls
/// back to its savepoint and becomes its result; a lost connection or a
/// deadlock fails the whole batch (which is then run again).
async fn apply_batch(tx: &mut Tx, b: &Batch) -> Result<Vec<Result<Vec<OwnerResult>, PluginError>>, PluginError> {
    let engine = tx.engine();
    let mut names: Vec<&str> = b.plans.iter().flat_map(|p| p.people.iter().map(|x| x.username.as_str())).collect();
    names.sort_unstable();
    names.dedup();
    let sql = format!(
        "SELECT id, username FROM auth_user WHERE username IN ({}){}",
        placeholders(names.len()),
        user_lock(engine, b.dry_run)
    );
    let mut users: HashMap<String, i64> = HashMap::new();
    for row in tx.query(&sql, names.iter().map(|n| Param::from(*n)).collect()).await? {
        if let Some(id) = row.int("id") {
            users.insert(row.text("username"), id);
        }
    }
    let mut urls: Vec<&str> = b.plans.iter().map(|p| p.source_url.as_str()).collect();
    urls.sort_unstable();
    urls.dedup();
    let sql = format!(
        "SELECT id, source_url, owner_id FROM import_video_externalrecording WHERE source_url IN ({}) ORDER BY id",
        placeholders(urls.len())
    );
    let mut rows: HashMap<(String, i64), i64> = HashMap::new();
    for row in tx.query(&sql, urls.iter().map(|u| Param::from(*u)).collect()).await? {
        if let (Some(id), Some(owner)) = (row.int("id"), row.int("owner_id")) {
            rows.entry((row.text("source_url"), owner)).or_insert(id);
        }
    }
    if !b.dry_run {
        // PostgreSQL checks Pod's deferred foreign keys at COMMIT: check them
        // at each statement instead, so a bad recording fails in its savepoint.
        let first = match engine {
            Engine::Postgres => "SET CONSTRAINTS ALL IMMEDIATE; SAVEPOINT recording",
            Engine::MySql => "SAVEPOINT recording",
        };
        tx.execute_batch(first).await?;
    }
    let mut out = Vec::with_capacity(b.plans.len());
    for plan in &b.plans {
        let mut created: Vec<(String, i64)> = Vec::new();
        let result = apply(tx, b, plan, &users, &rows, &mut created).await;
        let wrote = result.as_ref().is_ok_and(|r| r.iter().any(|o| o.user_created || o.row_inserted));
        match result {
            Ok(results) => {
                if wrote && !b.dry_run {
                    tx.execute_batch("RELEASE SAVEPOINT recording; SAVEPOINT recording").await?;
                    users.extend(created);
                    for r in &results {
                        if let (true, Some(uid), Some(id)) = (r.row_inserted, r.user_id, r.row_id) {
                            rows.insert((plan.source_url.clone(), uid), id);
                        }
                    }
                }
                out.push(Ok(results));
            }
            Err(e) if pod::is_transient(&e) || bbb_migrate_db::is_connect_error(&e) => return Err(e),
            Err(e) => {
                if !b.dry_run {
                    tx.execute_batch("ROLLBACK TO SAVEPOINT recording").await?;
                }
                out.push(Err(e));
            }
        }
    }
    Ok(out)
}

/// One recording: the users it lacks (created, unless dry run) and its
/// missing rows. `created` collects the users made, for the next recordings
/// once this one's savepoint is released.
async fn apply(
    tx: &mut Tx,
    b: &Batch,
    plan: &Plan,
    users: &HashMap<String, i64>,
    rows: &HashMap<(String, i64), i64>,
    created: &mut Vec<(String, i64)>,
) -> Result<Vec<OwnerResult>, PluginError> {
    let engine = tx.engine();
    let mut out = Vec::new();
    for p in &plan.people {
        let mut r = OwnerResult {
            username: p.username.clone(),
            user_id: users.get(&p.username).copied(),
            user_created: false,
            row_id: None,
            row_inserted: false,
        };
        if r.user_id.is_none() {
            if plan.fallback {
                return Err(permanent(format!(
                    "the fallback owner `{}` has no Pod account (auth_user.username); create it in Pod or change [fallback] owner",
                    p.username
                )));
            }
            if !b.dry_run {
                let (uid, made) = create_user(tx, engine, p, b).await?;
                r.user_created = made;
                r.user_id = Some(uid);
                created.push((p.username.clone(), uid));
            } else {
                r.user_created = true;
            }
        }
        r.row_id = r.user_id.and_then(|uid| rows.get(&(plan.source_url.clone(), uid)).copied());
        if r.row_id.is_none() {
            r.row_inserted = true;
            if let (false, Some(uid)) = (b.dry_run, r.user_id) {
                let sql = format!(
                    "INSERT INTO import_video_externalrecording (name, start_at, type, source_url, owner_id, site_id) VALUES (?, {}, 'bigbluebutton', ?, ?, ?)",
                    ts_placeholder(engine)
                );
                let params = vec![
                    Param::from(plan.name.as_str()),
                    Param::from(plan.start.as_str()),
                    Param::from(plan.source_url.as_str()),
                    Param::Int(uid),
                    Param::Int(b.site_id),
                ];
                r.row_id = Some(tx.insert_id(&sql, params).await?);
            }
        }
        out.push(r);
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

fn describe(id: &str, url: &str, site: i64, dry: bool, results: &[OwnerResult]) -> Outcome {
    let mut parts = Vec::new();
    let mut rows = Vec::new();
    for r in results {
        let who = match r.user_id {
            Some(uid) => format!("{} (auth_user #{uid})", r.username),
            None => r.username.clone(),
        };
        let row = r.row_id.map(|i| format!("#{i}")).unwrap_or_default();
        parts.push(match (dry, r.user_created, r.row_inserted) {
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
            "row": if r.row_inserted { if dry { "planned" } else { "inserted" } } else { "existed" },
            "user": if r.user_created { if dry { "planned" } else { "created" } } else { "existed" },
        }));
    }
    let data = json!({"table": "import_video_externalrecording", "type": "bigbluebutton", "site_id": site, "source_url": url, "owners": rows});
    let changed = results.iter().any(|r| r.row_inserted || r.user_created);
    let detail = format!("import_video_externalrecording (bigbluebutton, site {site}, {url}): {}", parts.join("; "));
    let o = if dry {
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
        Ok(self.deliver(batch))
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
