//! Pipelined delivery on one host: the resolver chain runs once per
//! recording, a batch at a time, in its own thread; every sink works its
//! own queue of resolved batches with `threads` threads of its own, so a
//! slow sink (renders, downloads) never holds a fast one back.
//!
//! Memory: the resolver runs at most [`LOOKAHEAD`] batches ahead of the
//! fastest sink and at most [`MAX_LEAD`] ahead of the slowest one; each sink
//! has at most `threads` batches being written; a resolved batch is dropped
//! as soon as the last sink has taken it. So at most `MAX_LEAD` + the slowest
//! sink's `threads` resolved batches are held, however far apart the sinks are.
use super::deliver::{deliver, Delivered};
use super::listing::{Key, Listing};
use super::resolve::{self, Owners};
use super::store::Journal;
use crate::config::Pipeline;
use crate::plugins::handle::Sink;
use crate::plugins::Instances;
use crate::progress::Progress;
use anyhow::{anyhow, Result};
use plugin_api::abi::Recording;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// How many resolved batches the resolver may keep ahead of the fastest sink.
pub const LOOKAHEAD: usize = 2;

/// How many batches the resolver (and so the fastest sink) may run ahead of
/// the slowest sink: the resolved batches held wait for the slowest sink.
pub const MAX_LEAD: usize = 4;

/// The resolved batches, shared by the resolver and the sinks.
struct Board {
    state: Mutex<State>,
    cv: Condvar,
    /// Per sink: the next batch index it will take.
    cursors: Vec<AtomicUsize>,
    /// Per sink (name, recordings handled so far), for the progress line.
    handled: Vec<(String, AtomicUsize)>,
    abort: AtomicBool,
}

struct State {
    /// Resolved batch k, until every sink has taken it.
    slots: Vec<Option<Arc<Vec<Owners>>>>,
    /// Sinks that still have to take batch k.
    left: Vec<usize>,
    resolver_done: bool,
}

impl Board {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn fastest(&self) -> usize {
        self.cursors.iter().map(|c| c.load(Ordering::SeqCst)).max().unwrap_or(0)
    }
    fn slowest(&self) -> usize {
        self.cursors.iter().map(|c| c.load(Ordering::SeqCst)).min().unwrap_or(0)
    }
    /// Whether the resolver must wait before resolving batch `k`.
    fn too_far_ahead(&self, k: usize) -> bool {
        k >= self.fastest() + LOOKAHEAD || k >= self.slowest() + MAX_LEAD
    }
    /// Moves sink `s` on to its next batch and returns that batch's number. The
    /// waiters are woken under the lock: the resolver checks the cursors and
    /// starts waiting while holding it, so it cannot miss this move.
    fn advance(&self, s: usize) -> usize {
        let k = self.cursors[s].fetch_add(1, Ordering::SeqCst);
        let _g = self.lock();
        self.cv.notify_all();
        k
    }
    /// Waits for batch `k` to be resolved; `None` if it never will be.
    fn take(&self, k: usize) -> Option<Arc<Vec<Owners>>> {
        let mut st = self.lock();
        loop {
            if self.abort.load(Ordering::SeqCst) {
                return None;
            }
            if let Some(b) = &st.slots[k] {
                return Some(b.clone());
            }
            if st.resolver_done {
                return None;
            }
            st = self.cv.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }
    /// A sink is through with batch `k`: returns true if it was the last one.
    fn release(&self, k: usize) -> bool {
        let mut st = self.lock();
        st.left[k] -= 1;
        if st.left[k] == 0 {
            st.slots[k] = None;
            return true;
        }
        false
    }
    fn stop(&self) {
        self.abort.store(true, Ordering::SeqCst);
        let _g = self.lock();
        self.cv.notify_all();
    }
}

/// Marks the resolver finished however its thread ends (panic included), so
/// no sink waits forever.
struct ResolverDone<'a>(&'a Board);
impl Drop for ResolverDone<'_> {
    fn drop(&mut self) {
        self.0.lock().resolver_done = true;
        self.0.cv.notify_all();
    }
}

/// What the resolver thread reports.
#[derive(Default)]
pub struct Resolved {
    pub notes: Vec<String>,
    pub fallback_owner: usize,
    /// Who the resolved recordings were (the HTML report's audience).
    pub audience: crate::report_html::Audience,
}

impl Resolved {
    /// Counts one resolved batch (`owners` in the order of `batch`).
    pub fn add(&mut self, batch: &[Recording], owners: &[Owners], notes: Vec<String>) {
        self.notes.extend(notes);
        self.fallback_owner += owners.iter().filter(|o| matches!(o, Owners::Found(i) if i.fallback)).count();
        crate::report_html::tally(&mut self.audience, batch, owners);
    }
}

/// Delivers `needed` (recordings at least one sink has not finished, read
/// back from `listing` a batch at a time) to every
/// sink that has not finished them, journaling each batch of each sink as it
/// is written. Returns the resolver's share and, per sink (in order), what it did.
#[allow(
    clippy::too_many_arguments,
    reason = "the run's parts the pipeline shares out, each from another owner; a struct would only repackage them at the one call site"
)]
pub fn deliver_all(
    p: &Pipeline,
    inst: &Instances,
    listing: &Listing,
    needed: &[Key],
    finished: &HashMap<String, HashSet<String>>,
    journal: &Mutex<Option<Box<dyn Journal>>>,
    run_id: Option<i64>,
    progress: &Progress,
) -> Result<(Resolved, Vec<Delivered>)> {
    let chunks: Vec<&[Key]> = needed.chunks(p.batch_size).collect();
    let board = Board {
        state: Mutex::new(State {
            slots: vec![None; chunks.len()],
            left: vec![inst.sinks.len(); chunks.len()],
            resolver_done: false,
        }),
        cv: Condvar::new(),
        cursors: inst.sinks.iter().map(|_| AtomicUsize::new(0)).collect(),
        handled: inst.sinks.iter().map(|s| (s.name().to_string(), AtomicUsize::new(0))).collect(),
        abort: AtomicBool::new(false),
    };
    std::thread::scope(|scope| {
        let board = &board;
        let chunks = &chunks;
        let resolver = scope.spawn(move || -> Result<Resolved> {
            let _done = ResolverDone(board);
            let mut out = Resolved::default();
            for (k, chunk) in chunks.iter().enumerate() {
                {
                    let mut st = board.lock();
                    while board.too_far_ahead(k) && !board.abort.load(Ordering::SeqCst) {
                        st = board.cv.wait(st).unwrap_or_else(|p| p.into_inner());
                    }
                }
                if board.abort.load(Ordering::SeqCst) {
                    break;
                }
                let batch = listing.read(chunk).inspect_err(|_| board.stop())?;
                let (owners, notes) = resolve::resolve(inst, &batch, &p.fallback);
                out.add(&batch, &owners, notes);
                drop(batch);
                board.lock().slots[k] = Some(Arc::new(owners));
                board.cv.notify_all();
            }
            Ok(out)
        });
        let workers: Vec<Vec<_>> = inst
            .sinks
            .iter()
            .enumerate()
            .map(|(s, sink)| {
                (0..sink.component().threads.max(1))
                    .map(|_| {
                        scope.spawn(move || {
                            let r = work_sink(s, sink, board, chunks, finished, journal, run_id, progress);
                            if r.is_err() {
                                board.stop();
                            }
                            r
                        })
                    })
                    .collect()
            })
            .collect();
        let mut per_sink = Vec::new();
        let mut first_err = None;
        for handles in workers {
            let mut total = Delivered::default();
            for h in handles {
                match h.join().unwrap_or_else(|_| Err(anyhow!("a sink thread panicked"))) {
                    Ok(d) => total.merge(d),
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
            per_sink.push(total);
        }
        let resolved = resolver.join().map_err(|_| anyhow!("the resolver thread panicked"))?;
        match first_err {
            Some(e) => Err(e),
            None => Ok((resolved?, per_sink)),
        }
    })
}

/// One thread of one sink: takes the next batch, writes it, journals it.
#[allow(
    clippy::too_many_arguments,
    reason = "the borrows one sink thread takes from `deliver_all`'s scope, each from another owner; a struct would only repackage them at the one call site"
)]
fn work_sink(
    s: usize,
    sink: &Sink,
    board: &Board,
    chunks: &[&[Key]],
    finished: &HashMap<String, HashSet<String>>,
    journal: &Mutex<Option<Box<dyn Journal>>>,
    run_id: Option<i64>,
    progress: &Progress,
) -> Result<Delivered> {
    let done = &finished[sink.name()];
    let mut total = Delivered::default();
    loop {
        let k = board.advance(s); // the resolver may be waiting for a sink to move on
        if k >= chunks.len() {
            return Ok(total);
        }
        let Some(batch) = board.take(k) else {
            if board.abort.load(Ordering::SeqCst) {
                return Ok(total);
            }
            return Err(anyhow!("sink `{}`: batch {k} was never resolved", sink.name()));
        };
        let mut d = {
            let mine: Vec<&Owners> = batch.iter().filter(|o| !done.contains(o.record_id())).collect();
            if mine.is_empty() {
                Delivered::default()
            } else {
                deliver(sink, &mine)
            }
        };
        drop(batch); // the board frees it once every sink has taken it
        let c = &d.counts;
        board.handled[s].1.fetch_add(c.done + c.skipped + c.failed + c.planned, Ordering::SeqCst);
        progress.sinks(board.handled.iter().map(|(n, h)| (n.as_str(), h.load(Ordering::SeqCst))));
        if let (Some(run), Some(j)) = (run_id, journal.lock().unwrap_or_else(|p| p.into_inner()).as_mut()) {
            j.record(run, sink.name(), &std::mem::take(&mut d.entries))?;
        }
        total.merge(d);
        if board.release(k) {
            progress.inc(chunks[k].len() as u64);
        }
    }
}
