//! Working from a shared PostgreSQL journal: `run` lists and enqueues one
//! work item per (recording, sink), then works like any `worker`; a worker
//! only claims and works. Each sink has its own threads (`threads`) that
//! claim batches of its items, resolve them (once per recording for the
//! whole fleet: resolutions are shared in the journal), write them and
//! journal the outcome with the item's new state in one transaction. A
//! heartbeat renews the worker's leases while it works.
//!
//! A sink that may not have several writers at once (`shared_writers` false,
//! like the CSV sink's single local file) is worked by the one worker that
//! holds its sink lease; that worker prepares it when it takes the lease and
//! finishes it when the queue is empty. The lease row says whether the
//! output is open (prepared, not finished): the other workers wait until the
//! queue is empty *and* the output closed, so a holder killed between its
//! last item and `finish` (a CSV left as `.partial`) is finished by the
//! next worker to take the lease.
use super::deliver::{deliver, Delivered};
use super::journal_pg::PgJournal;
use super::listing::Selected;
use super::pipeline::Resolved;
use super::report::Report;
use super::resolve::{self, Owners};
use crate::config::{JournalAt, Pipeline};
use crate::plugins::handle::Sink;
use crate::plugins::Instances;
use crate::progress::Progress;
use anyhow::{anyhow, Context, Result};
use plugin_api::abi::{Recording, SinkItem};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Recordings read back from the listing and enqueued at a time (the
/// queue's own transactions are 500 items each).
const ENQUEUE_CHUNK: usize = 500;

/// This worker's name in the journal: host, process id, start time.
pub fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    format!("{host}:{}:{:x}", std::process::id(), t.as_millis())
}

fn host() -> String {
    worker_id().split(':').next().unwrap_or("host").to_string()
}

/// Lists (unless a worker) and enqueues, then claims and works until no
/// item is left that this worker could take.
pub fn run(
    p: &Pipeline,
    inst: &Instances,
    selected: Option<&Selected>,
    force: bool,
    report: &mut Report,
    progress: &Progress,
) -> Result<()> {
    let JournalAt::Postgres(url) = &p.journal else { unreachable!("fleet work needs a PostgreSQL journal") };
    let pg = PgJournal::open(url, &p.fingerprint(), force)?;
    let me = worker_id();
    pg.register_worker(&me, &host(), std::process::id())?;
    use super::store::Journal as _;
    let mut pg = pg;
    let run_id = pg.start_run(&p.file.display().to_string(), &me)?;
    report.run_id = Some(run_id);
    if let Some(selected) = selected {
        for sink in &inst.sinks {
            let mut added = 0;
            for (c, chunk) in selected.keys.chunks(ENQUEUE_CHUNK).enumerate() {
                let items: Vec<(String, i64, String)> = selected
                    .listing
                    .read(chunk)?
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        Ok((r.record_id.to_string(), (c * ENQUEUE_CHUNK + i) as i64, serde_json::to_string(r)?))
                    })
                    .collect::<Result<_>>()?;
                added += pg.enqueue(sink.name(), &items)?;
            }
            tracing::info!("sink `{}`: {added} item(s) enqueued", sink.name());
        }
    }
    for sink in inst.sinks.iter().filter(|s| s.shared_writers()) {
        report.notes.extend(sink.prepare()?.into_iter().map(|n| format!("{}: {n}", sink.name())));
    }

    let lease = p.lease_seconds as i64;
    let stop = AtomicBool::new(false);
    // What this worker's resolutions found (the report's owners and audience).
    let tally = Mutex::new(Resolved::default());
    let results: Vec<Result<Delivered>> = std::thread::scope(|scope| {
        let heartbeat = scope.spawn(|| {
            let every = Duration::from_millis((lease as u64 * 1000 / 3).max(100));
            while !stop.load(Ordering::SeqCst) {
                let t0 = std::time::Instant::now();
                while t0.elapsed() < every && !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(50));
                }
                if let Err(e) = pg.heartbeat(&me, lease) {
                    tracing::warn!("{}", plugin_api::sdk::text::escape_line(&format!("{e:#}")));
                }
            }
        });
        let handles: Vec<Vec<_>> = inst
            .sinks
            .iter()
            .map(|sink| {
                // A sink with one writer at a time gets one thread.
                let threads = if sink.shared_writers() { sink.component().threads.max(1) } else { 1 };
                (0..threads)
                    .map(|_| {
                        let (pg, me, tally) = (&pg, &me, &tally);
                        let w = Worker { p, inst, pg, me, run_id, lease, progress, tally };
                        scope.spawn(move || work_sink(&w, sink))
                    })
                    .collect()
            })
            .collect();
        let out = handles
            .into_iter()
            .map(|hs| {
                let mut total = Delivered::default();
                for h in hs {
                    total.merge(h.join().unwrap_or_else(|_| Err(anyhow!("a sink thread panicked")))?);
                }
                Ok(total)
            })
            .collect();
        stop.store(true, Ordering::SeqCst);
        let _ = heartbeat.join();
        out
    });
    let tally = tally.into_inner().unwrap_or_else(|p| p.into_inner());
    report.resolver_notes.extend(tally.notes);
    report.fallback_owner += tally.fallback_owner;
    report.audience = tally.audience;
    let mut first_err = None;
    for (sink, r) in inst.sinks.iter().zip(results) {
        match r {
            Ok(d) => report.add(sink.name(), d),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    for sink in inst.sinks.iter().filter(|s| s.shared_writers()) {
        match sink.finish() {
            Ok(notes) => report.notes.extend(notes.into_iter().map(|n| format!("{}: {n}", sink.name()))),
            Err(e) => tracing::error!("{}", plugin_api::sdk::text::escape_line(&format!("{e:#}"))),
        }
    }
    pg.finish_run(run_id, if report.has_failures() || first_err.is_some() { "failed" } else { "ok" })?;
    pg.unregister_worker(&me)?;
    match first_err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// What every sink thread of this worker shares.
struct Worker<'a> {
    p: &'a Pipeline,
    inst: &'a Instances,
    pg: &'a PgJournal,
    me: &'a str,
    run_id: i64,
    lease: i64,
    progress: &'a Progress,
    tally: &'a Mutex<Resolved>,
}

/// One thread of one sink: claim, resolve, write, journal, until the
/// sink's queue has nothing this worker can take.
fn work_sink(w: &Worker, sink: &Sink) -> Result<Delivered> {
    let Worker { p, pg, me, run_id, lease, progress, .. } = *w;
    let mut total = Delivered::default();
    let mut holding = sink.shared_writers();
    let idle = Duration::from_millis(200);
    loop {
        if !sink.shared_writers() {
            // One writer at a time: the sink lease's holder prepares it when
            // it takes the lease (reading what an earlier holder left).
            if !pg.lease_sink(sink.name(), me, lease)? {
                holding = false;
                // Done only when nothing is pending and the output was
                // finished: a holder that died after its last item but
                // before finishing left it open, for the next holder.
                if pg.pending(sink.name())? == 0 && !pg.sink_open(sink.name())? {
                    return Ok(total);
                }
                std::thread::sleep(idle);
                continue;
            }
            if !holding {
                pg.set_sink_open(sink.name(), me, true)?;
                sink.prepare()?;
                holding = true;
            }
        }
        let claimed = pg.claim(sink.name(), me, p.batch_size as i64, lease)?;
        if claimed.is_empty() {
            if pg.pending(sink.name())? == 0 {
                if !sink.shared_writers() && holding {
                    sink.finish()?;
                    pg.set_sink_open(sink.name(), me, false)?;
                }
                return Ok(total);
            }
            std::thread::sleep(idle); // others hold the rest; theirs come back if their lease expires
            continue;
        }
        let recs: Vec<Recording> = claimed
            .iter()
            .map(|(id, json)| serde_json::from_str(json).with_context(|| format!("journal: work item {id}")))
            .collect::<Result<_>>()?;
        let owners = resolved(w, &recs)?;
        let refs: Vec<&Owners> = owners.iter().collect();
        let mut d = deliver(sink, &refs);
        pg.complete(run_id, sink.name(), &std::mem::take(&mut d.entries))?;
        progress.inc(recs.len() as u64);
        total.merge(d);
    }
}

/// The owners of `recs`: those the fleet already resolved, the others
/// through the chain (stored for the other sinks and workers; a failed
/// resolution is not stored, it is retried).
fn resolved(w: &Worker, recs: &[Recording]) -> Result<Vec<Owners>> {
    let Worker { p, inst, pg, .. } = *w;
    let ids: Vec<String> = recs.iter().map(|r| r.record_id.to_string()).collect();
    let known: std::collections::HashMap<String, String> = pg.resolutions(&ids)?.into_iter().collect();
    let todo: Vec<Recording> = recs.iter().filter(|r| !known.contains_key(r.record_id.as_str())).cloned().collect();
    let mut fresh = std::collections::HashMap::new();
    if !todo.is_empty() {
        let (owners, notes) = resolve::resolve(inst, &todo, &p.fallback);
        w.tally.lock().unwrap_or_else(|p| p.into_inner()).add(&todo, &owners, notes);
        let mut store = Vec::new();
        for o in owners {
            if let Owners::Found(item) = &o {
                store.push((item.recording.record_id.to_string(), serde_json::to_string(&**item)?));
            }
            fresh.insert(o.record_id().to_string(), o);
        }
        pg.store_resolutions(&store)?;
        // Another worker may have stored its answer first: that one is used by everyone.
        for (id, json) in pg.resolutions(&store.iter().map(|s| s.0.clone()).collect::<Vec<_>>())? {
            let item: SinkItem = serde_json::from_str(&json)?;
            fresh.insert(id, Owners::Found(Box::new(item)));
        }
    }
    recs.iter()
        .map(|r| {
            let id = r.record_id.as_str();
            if let Some(json) = known.get(id) {
                let item: SinkItem = serde_json::from_str(json)?;
                return Ok(Owners::Found(Box::new(item)));
            }
            fresh.remove(id).ok_or_else(|| anyhow!("{id}: not resolved"))
        })
        .collect()
}
