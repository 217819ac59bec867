//! `bbb-migrate survey`: what the old servers hold and what moving it will
//! cost, before any run. Reads the sources (and, with `--resolve`, asks the
//! resolvers, which only read); builds no sink and writes nothing.
mod inventory;
mod output;

pub use inventory::{server_key, Attribution, Inventory, Tally, RENDER_SPEED_X};
pub use output::{html, text};

use crate::config::Pipeline;
use crate::engine::{resolve_chain, ChainAnswer as Owners};
use crate::plugins::Instances;
use anyhow::Result;
use plugin_api::abi::Recording;
use std::collections::HashSet;

const SOURCE_BATCH: u32 = 500;

/// Origin servers the pipeline's resolvers route (keys of their `databases`
/// tables, `default` included) or skips (`select.ignored_servers`).
pub fn routed_servers(p: &Pipeline) -> Vec<String> {
    let mut out: Vec<String> = p.select.ignored_servers.iter().map(|s| server_key(s)).collect();
    for c in &p.resolvers {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&c.config_json) else { continue };
        if let Some(map) = v.get("databases").and_then(|d| d.as_object()) {
            out.extend(map.keys().map(|k| server_key(k)));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Lists every source to the end, counting; with `inst.resolvers` non-empty,
/// resolves each batch to count who would own what.
/// `routed` comes from [`routed_servers`] of the full pipeline file.
pub fn survey(p: &Pipeline, inst: &Instances, routed: Vec<String>) -> Result<Inventory> {
    let mut inv = Inventory {
        routed_servers: routed,
        render_speed_x: RENDER_SPEED_X,
        resolved: !inst.resolvers.is_empty(),
        ..Default::default()
    };
    let mut seen = HashSet::new();
    let mut pending: Vec<Recording> = Vec::new();
    for source in &inst.sources {
        loop {
            let Some(batch) = source.next_batch(SOURCE_BATCH)? else { break };
            inv.rejected += batch.rejected.len() as u64;
            for mut r in batch.recordings {
                if !seen.insert(r.record_id.to_string()) {
                    inv.duplicates += 1;
                    continue;
                }
                r.source = source.name().into();
                inv.add(&r);
                if inv.resolved {
                    pending.push(r);
                    if pending.len() >= p.batch_size {
                        attribute(p, inst, &mut inv, &std::mem::take(&mut pending));
                    }
                }
            }
        }
    }
    if !pending.is_empty() {
        attribute(p, inst, &mut inv, &pending);
    }
    inst.close_readers();
    Ok(inv)
}

fn attribute(p: &Pipeline, inst: &Instances, inv: &mut Inventory, batch: &[Recording]) {
    let (owners, _) = resolve_chain(inst, batch, &p.fallback);
    for (r, o) in batch.iter().zip(&owners) {
        let by = match o {
            Owners::Found(item) if item.fallback => Ok(None),
            Owners::Found(item) => Ok(item.owners.first().map(|o| o.resolver.as_str())),
            Owners::Failed(..) => Err(()),
        };
        inv.attribute(r, by);
    }
}
