//! The resolver chain: first answer wins, in file order.
use crate::config::Fallback;
use crate::plugins::Instances;
use crate::redact::Redactor;
use plugin_api::abi::{Owner, Recording, ResolutionKind, SinkItem};
use plugin_api::abi_stable::std_types::RSlice;

/// The owners of one recording, or why they could not be found.
pub enum Owners {
    Found(SinkItem),
    /// A resolver failed (database down…): not delivered this run, retried next.
    Failed(String),
}

/// Resolves `batch` through the chain; recordings nobody claims go to the
/// fallback owner. Also returns notes for the report, only those that explain
/// a recording's final owner: the note of the resolver that resolved it (what
/// it skipped), or, for a recording given to the fallback owner, why each
/// resolver passed. Notes of resolvers that passed on a recording a later
/// resolver resolved are dropped (noise).
pub fn resolve(
    inst: &Instances,
    batch: &[Recording],
    fallback: &Fallback,
    redactor: &Redactor,
) -> (Vec<Owners>, Vec<String>) {
    let mut answers: Vec<Option<Owners>> = (0..batch.len()).map(|_| None).collect();
    let mut passed: Vec<Vec<String>> = vec![Vec::new(); batch.len()];
    let mut notes = Vec::new();
    for (c, resolver) in &inst.resolvers {
        let pending: Vec<usize> = (0..batch.len()).filter(|&i| answers[i].is_none()).collect();
        if pending.is_empty() {
            break;
        }
        let recs: Vec<Recording> = pending.iter().map(|&i| batch[i].clone()).collect();
        match resolver.resolve(RSlice::from_slice(&recs)).into_result() {
            Ok(res) => {
                for (&i, r) in pending.iter().zip(res) {
                    let id = batch[i].record_id.as_str();
                    match r.kind {
                        ResolutionKind::RESOLVED if !r.owners.is_empty() => {
                            if !r.note.is_empty() {
                                notes.push(redactor.redact(&format!("{id}: resolver `{}`: {}", c.name, r.note)));
                            }
                            let owners = r
                                .owners
                                .into_iter()
                                .map(|mut o| {
                                    o.resolver = c.name.as_str().into();
                                    o
                                })
                                .collect();
                            answers[i] =
                                Some(Owners::Found(SinkItem { recording: batch[i].clone(), owners, fallback: false }));
                        }
                        ResolutionKind::FAILED => {
                            answers[i] =
                                Some(Owners::Failed(redactor.redact(&format!("resolver `{}`: {}", c.name, r.note))));
                        }
                        _ if !r.note.is_empty() => {
                            passed[i].push(redactor.redact(&format!("{id}: resolver `{}`: {}", c.name, r.note)))
                        }
                        _ => {}
                    }
                }
            }
            Err(e) => {
                let msg = redactor.redact(&format!("resolver `{}`: {}", c.name, e.message));
                tracing::error!("{msg}");
                for &i in &pending {
                    answers[i] = Some(Owners::Failed(msg.clone()));
                }
            }
        }
    }
    let admin = Owner::new(&fallback.owner, &fallback.email, &fallback.first_name, &fallback.last_name)
        .found_by("fallback", "no resolver knew this recording");
    let out = answers
        .into_iter()
        .zip(batch)
        .zip(passed)
        .map(|((a, rec), why)| {
            a.unwrap_or_else(|| {
                notes.extend(why);
                Owners::Found(SinkItem { recording: rec.clone(), owners: vec![admin.clone()].into(), fallback: true })
            })
        })
        .collect();
    (out, notes)
}
