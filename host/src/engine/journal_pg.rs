//! The PostgreSQL journal: the same meaning as the SQLite one, in a
//! database a fleet of workers shares, plus the fleet's queue.
//!
//! PostgreSQL itself is the queue (the pattern of River, Oban, GoodJob):
//! one `work_items` row per (recording, sink), enqueued idempotently
//! (`ON CONFLICT DO NOTHING`), claimed with `FOR UPDATE SKIP LOCKED` and a
//! lease (`claimed_by`, `lease_until`) computed with the database's clock
//! (`now()`), never a worker's: clock skew between machines cannot make two
//! workers hold one item. A worker renews its leases while it works; the
//! items of a worker that died are claimed again once their lease expired.
//! The outcome and the item's new state are committed in one transaction.
use super::store::{check_pipeline, check_version, Delivery, Entry, Failure, Journal, RunRow, SCHEMA_VERSION};
use anyhow::{anyhow, Result};
use bbb_migrate_db::{Db, DbUrl, Param, Row, TxMode};
use std::collections::HashSet;

/// Version 2 (the first with a PostgreSQL journal).
const SCHEMA_V2: &str = "
CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id bigserial PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    config text NOT NULL,
    status text NOT NULL DEFAULT 'running',
    worker text NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS deliveries (
    record_id text NOT NULL,
    sink text NOT NULL,
    status text NOT NULL CHECK (status IN ('done', 'skipped', 'failed')),
    detail text NOT NULL DEFAULT '',
    data text NOT NULL DEFAULT '',
    owners text NOT NULL DEFAULT '',
    attempts integer NOT NULL DEFAULT 1,
    run_id bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (record_id, sink)
);
CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries (sink, status);
CREATE TABLE IF NOT EXISTS work_items (
    record_id text NOT NULL,
    sink text NOT NULL,
    seq bigint NOT NULL,
    recording text NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'skipped', 'failed')),
    claimed_by text,
    lease_until timestamptz,
    claims integer NOT NULL DEFAULT 0,
    enqueued_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (record_id, sink)
);
CREATE INDEX IF NOT EXISTS work_items_queue ON work_items (sink, state, seq);
CREATE TABLE IF NOT EXISTS resolutions (record_id text PRIMARY KEY, item text NOT NULL);
CREATE TABLE IF NOT EXISTS workers (
    id text PRIMARY KEY,
    host text NOT NULL,
    pid integer NOT NULL,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    seen_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    stopped boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS sink_leases (sink text PRIMARY KEY, holder text NOT NULL, lease_until timestamptz NOT NULL);
";

/// Version 2 → 3: deliveries may be `undone`. Idempotent (run on a new
/// journal too, whose `deliveries` was just created with version 2's check).
const MIGRATE_V3: &str = "
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check CHECK (status IN ('done', 'skipped', 'failed', 'undone'));
";

/// A single-writer sink's lease says whether its output is open: taken by a
/// holder that has not finished it yet. Added to version 2's table without a
/// version bump (idempotent, applied on every open).
const SINK_LEASES_OPEN: &str = "ALTER TABLE sink_leases ADD COLUMN IF NOT EXISTS open boolean NOT NULL DEFAULT false;";

/// Serialises schema creation and upgrades between workers starting at once.
const SCHEMA_LOCK: i64 = 0x6262_6d69_6772;

const TS: &str = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";

/// (worker, host, pid, last seen, seconds since, stopped).
pub type WorkerRow = (String, String, i64, String, i64, bool);

pub struct PgJournal {
    db: Db,
    shown: String,
}

fn err(e: plugin_api::PluginError) -> anyhow::Error {
    anyhow!("journal {}", e.message)
}

impl PgJournal {
    fn connect(url: &DbUrl) -> Result<Self> {
        let db = Db::new(url).map_err(err)?;
        db.ping().map_err(err)?;
        Ok(Self { db, shown: url.redacted() })
    }

    /// The schema version (0: no journal here yet) and the stored pipeline.
    fn meta(&self) -> Result<(i64, Option<String>)> {
        let rows = self.query("SELECT to_regclass('meta')::text AS t", vec![])?;
        if rows.first().and_then(|r| r.str("t")).is_none() {
            return Ok((0, None));
        }
        let rows = self.query("SELECT key, value FROM meta", vec![])?;
        let get = |k: &str| rows.iter().find(|r| r.text("key") == k).map(|r| r.text("value"));
        Ok((get("schema_version").and_then(|v| v.parse().ok()).unwrap_or(0), get("pipeline")))
    }

    /// Connects, creates or upgrades the schema, checks the pipeline.
    pub fn open(url: &DbUrl, fingerprint: &str, force: bool) -> Result<Self> {
        let j = Self::connect(url)?;
        let (v, stored) = j.meta()?;
        check_version(&j.shown, v)?;
        check_pipeline(&j.shown, stored.as_deref(), fingerprint, force)?;
        let fp = fingerprint.to_string();
        j.db.transaction(TxMode::ReadWrite, move |tx| {
            Box::pin(async move {
                tx.query("SELECT pg_advisory_xact_lock(?)::text AS l", vec![Param::Int(SCHEMA_LOCK)]).await?;
                tx.execute_batch(SCHEMA_V2).await?;
                let rows = tx.query("SELECT value FROM meta WHERE key = 'schema_version'", vec![]).await?;
                let v: i64 = rows.first().and_then(|r| r.str("value")).and_then(|v| v.parse().ok()).unwrap_or(0);
                if v < 3 {
                    tx.execute_batch(MIGRATE_V3).await?;
                }
                tx.execute_batch(SINK_LEASES_OPEN).await?;
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    vec![Param::Str(SCHEMA_VERSION.to_string())],
                )
                .await?;
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('pipeline', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    vec![Param::Str(fp)],
                )
                .await?;
                Ok(())
            })
        })
        .map_err(err)?;
        Ok(j)
    }

    /// An existing journal, read-only; `None` if the database has none yet.
    pub fn open_read_only(url: &DbUrl, fingerprint: Option<&str>, force: bool) -> Result<Option<Self>> {
        let j = Self::connect(url)?;
        let (v, stored) = j.meta()?;
        if v == 0 {
            return Ok(None);
        }
        check_version(&j.shown, v)?;
        if let Some(f) = fingerprint {
            check_pipeline(&j.shown, stored.as_deref(), f, force)?;
        }
        Ok(Some(j))
    }

    fn query(&self, sql: &str, params: Vec<Param>) -> Result<Vec<Row>> {
        self.db.query(sql, params).map_err(err)
    }

    /// Enqueues (recordID, order, recording JSON) for `sink`, idempotently:
    /// an item already queued is left alone, one already done or skipped is
    /// not queued again, a failed one is queued again (retried).
    pub fn enqueue(&self, sink: &str, items: &[(String, i64, String)]) -> Result<u64> {
        let mut added = 0;
        for chunk in items.chunks(500) {
            let json = serde_json::Value::Array(
                chunk
                    .iter()
                    .map(|(id, seq, rec)| serde_json::json!({"record_id": id, "seq": seq, "recording": rec}))
                    .collect(),
            )
            .to_string();
            let sink = sink.to_string();
            added += self
                .db
                .transaction(TxMode::ReadWrite, move |tx| {
                    Box::pin(async move {
                        tx.execute(
                            "INSERT INTO work_items (record_id, sink, seq, recording)
                             SELECT x.record_id, ?, x.seq, x.recording
                             FROM jsonb_to_recordset(?::text::jsonb) AS x(record_id text, seq bigint, recording text)
                             WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.record_id = x.record_id
                                               AND d.sink = ?::text AND d.status IN ('done', 'skipped'))
                             ON CONFLICT (record_id, sink) DO UPDATE SET state = 'pending', claimed_by = NULL,
                               lease_until = NULL, seq = excluded.seq, recording = excluded.recording
                             WHERE work_items.state = 'failed'",
                            vec![Param::Str(sink.clone()), Param::Str(json), Param::Str(sink)],
                        )
                        .await
                    })
                })
                .map_err(err)?;
        }
        Ok(added)
    }

    /// Claims up to `n` pending items of `sink` whose lease is free or
    /// expired, for `lease_s` seconds of the database's clock. Returns
    /// (recordID, recording JSON) in queue order.
    pub fn claim(&self, sink: &str, worker: &str, n: i64, lease_s: i64) -> Result<Vec<(String, String)>> {
        let rows = self.query(
            "UPDATE work_items w SET claimed_by = ?, lease_until = now() + make_interval(secs => ?::bigint),
                    claims = w.claims + 1
             FROM (SELECT record_id, sink FROM work_items
                   WHERE sink = ? AND state = 'pending' AND (lease_until IS NULL OR lease_until < now())
                   ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED) c
             WHERE w.record_id = c.record_id AND w.sink = c.sink
             RETURNING w.record_id, w.recording, w.seq",
            vec![Param::Str(worker.into()), Param::Int(lease_s), Param::Str(sink.into()), Param::Int(n)],
        )?;
        let mut out: Vec<(i64, String, String)> =
            rows.iter().map(|r| (r.int("seq").unwrap_or(0), r.text("record_id"), r.text("recording"))).collect();
        out.sort();
        Ok(out.into_iter().map(|(_, id, rec)| (id, rec)).collect())
    }

    /// Renews every lease `worker` holds (items and sinks) and says it is alive.
    pub fn heartbeat(&self, worker: &str, lease_s: i64) -> Result<()> {
        let w = worker.to_string();
        self.db
            .transaction(TxMode::ReadWrite, move |tx| {
                Box::pin(async move {
                    let p = || vec![Param::Int(lease_s), Param::Str(w.clone())];
                    tx.execute("UPDATE workers SET seen_at = now() WHERE id = ?", vec![Param::Str(w.clone())]).await?;
                    tx.execute(
                        "UPDATE work_items SET lease_until = now() + make_interval(secs => ?::bigint)
                         WHERE claimed_by = ? AND state = 'pending'",
                        p(),
                    )
                    .await?;
                    tx.execute(
                        "UPDATE sink_leases SET lease_until = now() + make_interval(secs => ?::bigint) WHERE holder = ?",
                        p(),
                    )
                    .await
                })
            })
            .map_err(err)?;
        Ok(())
    }

    pub fn register_worker(&self, worker: &str, host: &str, pid: u32) -> Result<()> {
        self.query(
            "INSERT INTO workers (id, host, pid) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET seen_at = now()",
            vec![Param::Str(worker.into()), Param::Str(host.into()), Param::Int(pid as i64)],
        )?;
        Ok(())
    }

    /// The worker stops: its sink leases and unfinished items are let go at
    /// once. A sink lease is expired, not deleted: whether its output is
    /// still open stays for the next holder.
    pub fn unregister_worker(&self, worker: &str) -> Result<()> {
        let w = worker.to_string();
        self.db
            .transaction(TxMode::ReadWrite, move |tx| {
                Box::pin(async move {
                    let p = || vec![Param::Str(w.clone())];
                    tx.execute("UPDATE sink_leases SET lease_until = now() - interval '1 second' WHERE holder = ?", p()).await?;
                    tx.execute(
                        "UPDATE work_items SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ? AND state = 'pending'",
                        p(),
                    )
                    .await?;
                    tx.execute("UPDATE workers SET stopped = true, seen_at = now() WHERE id = ?", p()).await
                })
            })
            .map_err(err)?;
        Ok(())
    }

    /// Takes (or keeps) the lease of a sink only one worker at a time may
    /// write; `false` if another live worker holds it.
    pub fn lease_sink(&self, sink: &str, worker: &str, lease_s: i64) -> Result<bool> {
        let rows = self.query(
            "INSERT INTO sink_leases (sink, holder, lease_until) VALUES (?, ?, now() + make_interval(secs => ?::bigint))
             ON CONFLICT (sink) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
             WHERE sink_leases.holder = excluded.holder OR sink_leases.lease_until < now()
             RETURNING holder",
            vec![Param::Str(sink.into()), Param::Str(worker.into()), Param::Int(lease_s)],
        )?;
        Ok(!rows.is_empty())
    }

    /// The holder of `sink`'s lease marks its output open (taken, not yet
    /// finished) or closed (finished).
    pub fn set_sink_open(&self, sink: &str, holder: &str, open: bool) -> Result<()> {
        self.query(
            "UPDATE sink_leases SET open = ? WHERE sink = ? AND holder = ? RETURNING sink",
            vec![Param::Bool(open), Param::Str(sink.into()), Param::Str(holder.into())],
        )?;
        Ok(())
    }

    /// Whether a holder of `sink`'s lease took its output and has not
    /// finished it (it may have died since: the next holder finishes it).
    pub fn sink_open(&self, sink: &str) -> Result<bool> {
        let rows =
            self.query("SELECT count(*) AS n FROM sink_leases WHERE sink = ? AND open", vec![Param::Str(sink.into())])?;
        Ok(rows.first().and_then(|r| r.int("n")).unwrap_or(0) > 0)
    }

    /// Items of `sink` still pending (claimed or not).
    pub fn pending(&self, sink: &str) -> Result<i64> {
        let rows = self.query(
            "SELECT count(*) AS n FROM work_items WHERE sink = ? AND state = 'pending'",
            vec![Param::Str(sink.into())],
        )?;
        Ok(rows.first().and_then(|r| r.int("n")).unwrap_or(0))
    }

    /// Cached resolutions (SinkItem JSON) of these recordings.
    pub fn resolutions(&self, ids: &[String]) -> Result<Vec<(String, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let json = serde_json::to_string(ids)?;
        let rows = self.query(
            "SELECT record_id, item FROM resolutions WHERE record_id IN (SELECT jsonb_array_elements_text(?::text::jsonb))",
            vec![Param::Str(json)],
        )?;
        Ok(rows.iter().map(|r| (r.text("record_id"), r.text("item"))).collect())
    }

    /// Stores resolutions; the first stored for a recording wins.
    pub fn store_resolutions(&self, items: &[(String, String)]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let json = serde_json::Value::Array(
            items.iter().map(|(id, item)| serde_json::json!({"record_id": id, "item": item})).collect(),
        )
        .to_string();
        self.query(
            "INSERT INTO resolutions (record_id, item)
             SELECT x.record_id, x.item FROM jsonb_to_recordset(?::text::jsonb) AS x(record_id text, item text)
             ON CONFLICT (record_id) DO NOTHING",
            vec![Param::Str(json)],
        )?;
        Ok(())
    }

    /// Journals outcomes and closes their items, in one transaction.
    pub fn complete(&self, run: i64, sink: &str, entries: &[Entry]) -> Result<()> {
        let rows: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| {
                serde_json::json!({"record_id": e.record_id, "status": e.status, "detail": e.detail,
                                   "data": e.data, "owners": e.owners})
            })
            .collect();
        let json = serde_json::Value::Array(rows).to_string();
        let sink = sink.to_string();
        self.db
            .transaction(TxMode::ReadWrite, move |tx| {
                Box::pin(async move {
                    tx.execute(
                        "INSERT INTO deliveries (record_id, sink, status, detail, data, owners, run_id)
                         SELECT x.record_id, ?, x.status, x.detail, x.data, x.owners, ?
                         FROM jsonb_to_recordset(?::text::jsonb)
                              AS x(record_id text, status text, detail text, data text, owners text)
                         ON CONFLICT (record_id, sink) DO UPDATE SET
                           status = excluded.status, detail = excluded.detail, data = excluded.data,
                           owners = excluded.owners, attempts = deliveries.attempts + 1,
                           run_id = excluded.run_id, updated_at = clock_timestamp()",
                        vec![Param::Str(sink.clone()), Param::Int(run), Param::Str(json.clone())],
                    )
                    .await?;
                    tx.execute(
                        "UPDATE work_items w SET state = x.status, claimed_by = NULL, lease_until = NULL
                         FROM jsonb_to_recordset(?::text::jsonb) AS x(record_id text, status text)
                         WHERE w.record_id = x.record_id AND w.sink = ?",
                        vec![Param::Str(json), Param::Str(sink)],
                    )
                    .await
                })
            })
            .map_err(err)?;
        Ok(())
    }

    /// For `status`: (sink, state, count) of the queue.
    pub fn queue_summary(&self) -> Result<Vec<(String, String, i64)>> {
        let rows = self.query(
            "SELECT sink, CASE WHEN state = 'pending' AND claimed_by IS NOT NULL AND lease_until >= now() THEN 'claimed'
                               ELSE state END AS st, count(*) AS n
             FROM work_items GROUP BY 1, 2 ORDER BY 1, 2",
            vec![],
        )?;
        Ok(rows.iter().map(|r| (r.text("sink"), r.text("st"), r.int("n").unwrap_or(0))).collect())
    }

    /// For `status`: (worker, host, pid, last seen, seconds since, stopped).
    pub fn workers(&self) -> Result<Vec<WorkerRow>> {
        let rows = self.query(
            &format!(
                "SELECT id, host, pid, to_char(seen_at AT TIME ZONE 'UTC', {TS}) AS seen,
                        extract(epoch FROM now() - seen_at)::bigint AS ago, stopped
                 FROM workers ORDER BY seen_at DESC LIMIT 50"
            ),
            vec![],
        )?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.text("id"),
                    r.text("host"),
                    r.int("pid").unwrap_or(0),
                    r.text("seen"),
                    r.int("ago").unwrap_or(0),
                    r.bool("stopped").unwrap_or(false),
                )
            })
            .collect())
    }

    /// For `status`: items whose lease expired while pending (their worker
    /// died; another will take them), and items claimed many times.
    pub fn stuck(&self) -> Result<Vec<(String, String, String, i64)>> {
        let rows = self.query(
            "SELECT record_id, sink, coalesce(claimed_by, '') AS w, claims FROM work_items
             WHERE state = 'pending' AND ((claimed_by IS NOT NULL AND lease_until < now()) OR claims >= 3)
             ORDER BY sink, record_id LIMIT 50",
            vec![],
        )?;
        Ok(rows
            .iter()
            .map(|r| (r.text("record_id"), r.text("sink"), r.text("w"), r.int("claims").unwrap_or(0)))
            .collect())
    }
}

impl Journal for PgJournal {
    fn start_run(&mut self, config: &str, worker: &str) -> Result<i64> {
        let rows = self.query(
            "INSERT INTO runs (config, worker) VALUES (?, ?) RETURNING id",
            vec![Param::Str(config.into()), Param::Str(worker.into())],
        )?;
        rows.first().and_then(|r| r.int("id")).ok_or_else(|| anyhow!("journal {}: no run id", self.shown))
    }

    fn finish_run(&mut self, run: i64, status: &str) -> Result<()> {
        self.query(
            "UPDATE runs SET finished_at = clock_timestamp(), status = ? WHERE id = ?",
            vec![Param::Str(status.into()), Param::Int(run)],
        )?;
        Ok(())
    }

    fn finished(&mut self, sink: &str) -> Result<HashSet<String>> {
        let rows = self.query(
            "SELECT record_id FROM deliveries WHERE sink = ? AND status IN ('done', 'skipped')",
            vec![Param::Str(sink.into())],
        )?;
        Ok(rows.iter().map(|r| r.text("record_id")).collect())
    }

    fn record(&mut self, run: i64, sink: &str, entries: &[Entry]) -> Result<()> {
        self.complete(run, sink, entries)
    }

    fn summary(&mut self) -> Result<Vec<(String, String, i64)>> {
        let rows = self.query(
            "SELECT sink, status, count(*) AS n FROM deliveries GROUP BY sink, status ORDER BY sink, status",
            vec![],
        )?;
        Ok(rows.iter().map(|r| (r.text("sink"), r.text("status"), r.int("n").unwrap_or(0))).collect())
    }

    fn failures(&mut self) -> Result<Vec<Failure>> {
        let rows = self.query(
            "SELECT record_id, sink, detail, attempts FROM deliveries WHERE status = 'failed' ORDER BY sink, record_id",
            vec![],
        )?;
        Ok(rows
            .iter()
            .map(|r| (r.text("record_id"), r.text("sink"), r.text("detail"), r.int("attempts").unwrap_or(0)))
            .collect())
    }

    fn runs(&mut self, n: i64) -> Result<Vec<RunRow>> {
        let rows = self.query(
            &format!(
                "SELECT id, to_char(started_at AT TIME ZONE 'UTC', {TS}) AS s,
                        to_char(finished_at AT TIME ZONE 'UTC', {TS}) AS f, status
                 FROM runs ORDER BY id DESC LIMIT ?"
            ),
            vec![Param::Int(n)],
        )?;
        Ok(rows.iter().map(|r| (r.int("id").unwrap_or(0), r.text("s"), r.str("f"), r.text("status"))).collect())
    }

    fn deliveries(&mut self) -> Result<Vec<Delivery>> {
        let rows = self.query(
            &format!(
                "SELECT record_id, sink, status, detail, data, owners, attempts, run_id,
                        to_char(updated_at AT TIME ZONE 'UTC', {TS}) AS u
                 FROM deliveries ORDER BY record_id, sink"
            ),
            vec![],
        )?;
        Ok(rows
            .iter()
            .map(|r| Delivery {
                record_id: r.text("record_id"),
                sink: r.text("sink"),
                status: r.text("status"),
                detail: r.text("detail"),
                data: r.text("data"),
                owners: r.text("owners"),
                attempts: r.int("attempts").unwrap_or(0),
                run_id: r.int("run_id").unwrap_or(0),
                updated_at: r.text("u"),
            })
            .collect())
    }

    /// Also drops their queue items: a later run enqueues them again.
    fn mark_undone(&mut self, sink: &str, entries: &[(String, String)]) -> Result<()> {
        let json = serde_json::Value::Array(
            entries.iter().map(|(id, d)| serde_json::json!({"record_id": id, "detail": d})).collect(),
        )
        .to_string();
        let sink = sink.to_string();
        self.db
            .transaction(TxMode::ReadWrite, move |tx| {
                Box::pin(async move {
                    tx.execute(
                        "UPDATE deliveries d SET status = 'undone', detail = x.detail, updated_at = clock_timestamp()
                         FROM jsonb_to_recordset(?::text::jsonb) AS x(record_id text, detail text)
                         WHERE d.record_id = x.record_id AND d.sink = ?",
                        vec![Param::Str(json.clone()), Param::Str(sink.clone())],
                    )
                    .await?;
                    tx.execute(
                        "DELETE FROM work_items w USING jsonb_to_recordset(?::text::jsonb) AS x(record_id text)
                         WHERE w.record_id = x.record_id AND w.sink = ?",
                        vec![Param::Str(json), Param::Str(sink)],
                    )
                    .await
                })
            })
            .map_err(err)?;
        Ok(())
    }
}
