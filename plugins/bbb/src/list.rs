//! The listing strategy (`docs/bbb-api.md` §5): shard by recordID prefix, split a
//! shard into its 16 children when it times out, keeps failing or is too
//! large, page inside a shard only when the server proved it pages, merge and
//! dedupe by recordID, bounded concurrency.
use crate::api::{Api, CallError};
use bbb_xml::Item;
use plugin_api::abi::{PluginError, Recording, Rejected};
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::task::JoinSet;

const HEX: &str = "0123456789abcdef";
/// Deepest prefix tried (16⁴ shards) before giving up on a failing shard.
pub const MAX_PREFIX: usize = 4;

#[derive(Clone, Debug)]
pub struct Plan {
    /// Send `limit`/`offset` (page size, 1–100); `None` never pages (Scalelite).
    pub page_size: Option<u32>,
    /// Shards in flight (HTTP requests are bounded by the API's permits too).
    pub concurrency: usize,
    /// Resolve the video formats' files as soon as a shard is complete.
    pub resolve_video: bool,
}

/// A completed shard, deduplicated, videos resolved.
pub struct ShardOutput {
    pub prefix: String,
    pub recordings: Vec<Recording>,
    pub rejected: Vec<Rejected>,
    /// One line per video format whose file could not be found.
    pub warnings: Vec<String>,
}

/// Recordings by recordID (formats merged), rejected entries.
#[derive(Default)]
pub struct Listing {
    pub recordings: BTreeMap<String, Recording>,
    pub rejected: BTreeMap<String, Rejected>,
}

impl Listing {
    pub fn add(&mut self, item: Item) {
        match item {
            Item::Recording(r) => match self.recordings.get_mut(r.record_id.as_str()) {
                // Formats of one recording seen in two answers: union by type.
                Some(have) => {
                    for p in r.playback {
                        if !have.playback.iter().any(|h| h.format == p.format) {
                            have.playback.push(p);
                        }
                    }
                }
                None => {
                    self.recordings.insert(r.record_id.to_string(), r);
                }
            },
            Item::Rejected(r) => {
                self.rejected.insert(r.record_id.to_string(), r);
            }
        }
    }
}

enum ShardResult {
    Done(ShardOutput),
    Split,
}

/// One shard: one call, or pages while the server proves it pages.
async fn shard(api: Arc<Api>, prefix: String, plan: Plan) -> Result<ShardResult, PluginError> {
    let page_size = plan.page_size;
    let mut items = Listing::default();
    let mut seen: HashSet<String> = HashSet::new();
    let mut offset: u64 = 0;
    loop {
        let limit = page_size.map(|l| l.to_string());
        let off = offset.to_string();
        let mut params: Vec<(&str, &str)> = vec![("recordID", prefix.as_str())];
        if let Some(l) = &limit {
            params.push(("limit", l));
            if offset > 0 {
                params.push(("offset", &off));
            }
        }
        let page = match api.get_recordings(&params).await {
            Ok(p) => p,
            Err(CallError::Fatal(e)) => return Err(e),
            Err(CallError::Timeout | CallError::TooLarge) if prefix.len() < MAX_PREFIX => return Ok(ShardResult::Split),
            // An overloaded server may answer smaller shards; one level only,
            // so a dead backend fails in bounded time instead of 16⁴ shards.
            Err(CallError::Transient { overload: true, .. }) if prefix.len() < 2 => return Ok(ShardResult::Split),
            Err(CallError::Transient { msg, .. }) => return Err(PluginError::connect(msg)),
            Err(CallError::Timeout) => {
                return Err(PluginError::connect(format!(
                    "{}api/getRecordings recordID={prefix}: no complete answer within timeout_s={}s, even for this small shard",
                    api.base,
                    api.timeout.as_secs()
                )))
            }
            Err(CallError::TooLarge) => {
                return Err(PluginError::data(format!("{}: more than {} recordings under prefix {prefix}", api.base, api.shard_max)))
            }
        };
        let n = page.envelope.recordings_seen;
        let mut new = 0;
        for item in page.items {
            let id = match &item {
                Item::Recording(r) => r.record_id.to_string(),
                Item::Rejected(r) => r.record_id.to_string(),
            };
            if seen.insert(id) {
                new += 1;
            }
            items.add(item);
        }
        // Page on only when this answer proved paging (a `<pagination>` block
        // or a top-level `<totalElements>`), it was full, and it brought new
        // recordings: a server that ignores `offset` can never make us loop.
        let Some(limit) = page_size else { break };
        if !page.envelope.paginated || n < limit as u64 || new == 0 {
            break;
        }
        api.stats.pages.fetch_add(1, Ordering::Relaxed);
        offset += limit as u64;
    }
    let recordings: Vec<Recording> = items.recordings.into_values().collect();
    let (recordings, warnings) = if plan.resolve_video {
        crate::video::resolve_all(api.clone(), recordings, plan.concurrency).await
    } else {
        (recordings, Vec::new())
    };
    Ok(ShardResult::Done(ShardOutput {
        prefix,
        recordings,
        rejected: items.rejected.into_values().collect(),
        warnings,
    }))
}

/// Lists every recording: shards `0`…`f`, children on demand; each completed
/// shard goes to `on_shard` (prefixes are disjoint, so shards never overlap).
pub async fn list_all(
    api: Arc<Api>,
    plan: Plan,
    mut on_shard: impl FnMut(ShardOutput) -> Result<(), PluginError>,
) -> Result<(), PluginError> {
    let mut queue: Vec<String> = HEX.chars().rev().map(|c| c.to_string()).collect();
    let mut running: JoinSet<(String, Result<ShardResult, PluginError>)> = JoinSet::new();
    loop {
        while running.len() < plan.concurrency.max(1) {
            let Some(prefix) = queue.pop() else { break };
            let (api, plan) = (api.clone(), plan.clone());
            running.spawn(async move {
                let r = shard(api, prefix.clone(), plan).await;
                (prefix, r)
            });
        }
        let Some(done) = running.join_next().await else { break };
        let (prefix, result) = done.map_err(|e| PluginError::other(format!("listing task failed: {e}")))?;
        match result? {
            ShardResult::Done(out) => on_shard(out)?,
            ShardResult::Split => {
                api.stats.splits.fetch_add(1, Ordering::Relaxed);
                queue.extend(HEX.chars().rev().map(|c| format!("{prefix}{c}")));
            }
        }
    }
    Ok(())
}
