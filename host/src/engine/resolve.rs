//! The resolver chain: first answer wins, in file order.
use crate::config::Fallback;
use crate::plugins::{Answer, Instances};
use plugin_api::abi::{Owner, Recording, SinkItem};

/// The owners of one recording, or why they could not be found.
pub enum Owners {
    Found(Box<SinkItem>),
    /// A resolver failed (database down…) for this recordID: not delivered
    /// this run, retried next.
    Failed(String, String),
}

impl Owners {
    pub fn record_id(&self) -> &str {
        match self {
            Owners::Found(item) => &item.recording.record_id,
            Owners::Failed(id, _) => id,
        }
    }
}

/// Resolves `batch` through the chain; recordings nobody claims go to the
/// fallback owner. Also returns notes for the report, only those that explain
/// a recording's final owner: the note of the resolver that resolved it (what
/// it skipped), or, for a recording given to the fallback owner, why each
/// resolver passed. Notes of resolvers that passed on a recording a later
/// resolver resolved are dropped (noise).
pub fn resolve(inst: &Instances, batch: &[Recording], fallback: &Fallback) -> (Vec<Owners>, Vec<String>) {
    let mut answers: Vec<Option<Owners>> = (0..batch.len()).map(|_| None).collect();
    let mut passed: Vec<Vec<String>> = vec![Vec::new(); batch.len()];
    let mut notes = Vec::new();
    for resolver in &inst.resolvers {
        let pending: Vec<usize> = (0..batch.len()).filter(|&i| answers[i].is_none()).collect();
        if pending.is_empty() {
            break;
        }
        let recs: Vec<Recording> = pending.iter().map(|&i| batch[i].clone()).collect();
        match resolver.resolve(&recs) {
            Ok(res) => {
                for (&i, answer) in pending.iter().zip(res) {
                    let id = batch[i].record_id.as_str();
                    match answer {
                        Answer::Resolved(owners, note) => {
                            if !note.is_empty() {
                                notes.push(format!("{id}: resolver `{}`: {note}", resolver.name()));
                            }
                            answers[i] = Some(Owners::Found(Box::new(SinkItem {
                                recording: batch[i].clone(),
                                owners: owners.into(),
                                fallback: false,
                            })))
                        }
                        Answer::Failed(note) => {
                            answers[i] =
                                Some(Owners::Failed(id.to_string(), format!("resolver `{}`: {note}", resolver.name())))
                        }
                        Answer::Unknown(note) if !note.is_empty() => {
                            passed[i].push(format!("{id}: resolver `{}`: {note}", resolver.name()))
                        }
                        Answer::Unknown(_) => {}
                    }
                }
            }
            Err(e) => {
                let msg = format!("{e:#}");
                tracing::error!("{}", plugin_api::sdk::text::escape_line(&msg));
                for &i in &pending {
                    answers[i] = Some(Owners::Failed(batch[i].record_id.to_string(), msg.clone()));
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
                Owners::Found(Box::new(SinkItem {
                    recording: rec.clone(),
                    owners: vec![admin.clone()].into(),
                    fallback: true,
                }))
            })
        })
        .collect();
    (out, notes)
}
