//! The listing strategy (`docs/bbb-api.md` §5): shard by recordID prefix,
//! split a shard into its children when it times out, keeps failing or is too
//! large, page inside a shard only when the server proved it pages, merge and
//! dedupe by recordID, bounded concurrency.
//!
//! Shards cover every recordID whose first character is printable ASCII: the
//! 16 hex digits one shard each (real IDs), and one "rest" shard asking for
//! every other first character at once (`recordID=g,h,…,A,…,-,_,.`, a comma
//! list of prefixes): an ID that does not start with a hex digit is listed
//! too, and, if unsafe, reported. A split shard `p` gets the same children:
//! `p0`…`pf` and one rest shard `p` + every other character.
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
/// Deepest prefix split for size: a 2-character shard still over
/// `shard_max` (256 × `shard_max` recordings on the server) is an error, not
/// 65 536 more requests to a server that may be sending an endless answer.
pub const MAX_SIZE_SPLIT: usize = 2;

/// One listing call: one or more recordID prefixes (comma-joined).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shard(pub Vec<String>);

impl Shard {
    /// Every printable ASCII character but the hex digits and `,` (the list separator).
    fn others() -> impl Iterator<Item = char> {
        (' '..='~').filter(|c| !HEX.contains(*c) && *c != ',')
    }

    /// The top-level shards: `0`…`f`, then the rest.
    pub fn top() -> Vec<Shard> {
        let mut v: Vec<Shard> = HEX.chars().map(|c| Shard(vec![c.to_string()])).collect();
        v.push(Shard(Self::others().map(String::from).collect()));
        v
    }

    /// The `recordID` parameter.
    pub fn param(&self) -> String {
        self.0.join(",")
    }

    /// The longest prefix.
    pub fn depth(&self) -> usize {
        self.0.iter().map(|p| p.chars().count()).max().unwrap_or(0)
    }

    /// A rest shard splits into its prefixes; a single prefix `p` into `p0`…`pf` and `p` + the rest.
    pub fn children(&self) -> Vec<Shard> {
        match self.0.as_slice() {
            [p] => {
                let mut v: Vec<Shard> = HEX.chars().map(|c| Shard(vec![format!("{p}{c}")])).collect();
                v.push(Shard(Self::others().map(|c| format!("{p}{c}")).collect()));
                v
            }
            many => many.iter().map(|p| Shard(vec![p.clone()])).collect(),
        }
    }
}

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
    pub shard: Shard,
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
async fn shard(api: Arc<Api>, shard: Shard, plan: Plan) -> Result<ShardResult, PluginError> {
    let page_size = plan.page_size;
    let prefix = shard.param();
    let depth = shard.depth();
    let splittable = shard.0.len() > 1 || depth < MAX_PREFIX;
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
            Err(CallError::Timeout) if splittable => return Ok(ShardResult::Split),
            Err(CallError::TooLarge) if shard.0.len() > 1 || depth < MAX_SIZE_SPLIT => return Ok(ShardResult::Split),
            // An overloaded server may answer smaller shards; one level only,
            // so a dead backend fails in bounded time instead of 16⁴ shards.
            Err(CallError::Transient { overload: true, .. }) if shard.0.len() > 1 || depth < 2 => {
                return Ok(ShardResult::Split)
            }
            Err(CallError::Transient { msg, .. }) => return Err(PluginError::connect(msg)),
            Err(CallError::Timeout) => {
                return Err(PluginError::connect(format!(
                    "{}api/getRecordings recordID={prefix}: no complete answer within timeout_s={}s, even for this small shard",
                    api.base,
                    api.timeout.as_secs()
                )))
            }
            Err(CallError::TooLarge) => {
                return Err(PluginError::data(format!(
                    "{}: more than {} recordings (or {} KiB) under recordID prefix {prefix}, even after splitting: \
                     a server sending an endless answer, or raise shard_max",
                    api.base,
                    api.shard_max,
                    api.answer_budget >> 10
                )))
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
    Ok(ShardResult::Done(ShardOutput { shard, recordings, rejected: items.rejected.into_values().collect(), warnings }))
}

/// Lists every recording: shards `0`…`f` and the rest, children on demand;
/// each completed shard goes to `on_shard` (prefixes are disjoint, so shards
/// never overlap).
pub async fn list_all(
    api: Arc<Api>,
    plan: Plan,
    mut on_shard: impl FnMut(ShardOutput) -> Result<(), PluginError>,
) -> Result<(), PluginError> {
    let mut queue: Vec<Shard> = Shard::top().into_iter().rev().collect();
    let mut running: JoinSet<(Shard, Result<ShardResult, PluginError>)> = JoinSet::new();
    loop {
        while running.len() < plan.concurrency.max(1) {
            let Some(s) = queue.pop() else { break };
            let (api, plan) = (api.clone(), plan.clone());
            running.spawn(async move {
                let r = shard(api, s.clone(), plan).await;
                (s, r)
            });
        }
        let Some(done) = running.join_next().await else { break };
        let (s, result) = done.map_err(|e| PluginError::other(format!("listing task failed: {e}")))?;
        match result? {
            ShardResult::Done(out) => on_shard(out)?,
            ShardResult::Split => {
                api.stats.splits.fetch_add(1, Ordering::Relaxed);
                queue.extend(s.children().into_iter().rev());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_printable_first_character_once() {
        let top = Shard::top();
        assert_eq!(top.len(), 17);
        let mut firsts: Vec<char> = top.iter().flat_map(|s| s.0.iter().map(|p| p.chars().next().unwrap())).collect();
        firsts.sort();
        let mut all: Vec<char> = (' '..='~').filter(|c| *c != ',').collect();
        all.sort();
        assert_eq!(firsts, all);
        assert!(top[16].param().starts_with(" ,!,\"") && top[16].param().contains(",A,") && top[16].depth() == 1);
        // A split shard: 16 hex children and one rest child, every second character covered.
        let kids = Shard(vec!["a".into()]).children();
        assert_eq!(kids.len(), 17);
        assert_eq!(kids[0].param(), "a0");
        assert_eq!(kids[16].0.len(), 94 - 16 - 1 + 1);
        assert!(kids[16].0.iter().all(|p| p.starts_with('a') && p.len() == 2));
        // The rest shard splits into its prefixes.
        assert_eq!(top[16].children().len(), top[16].0.len());
    }
}
