//! Sinks in two steps: *plan* (read, decide, write nothing) then *apply*.
//!
//! A sink implements [`PlanApply`] and answers `write` with
//! [`write_planned`]: in `--dry-run` the SDK returns the planned outcomes and
//! never calls `apply`, so no sink handles dry run on its own. `apply` runs
//! after `plan`, perhaps long after and next to other writers: it must
//! re-check each natural key before it writes (and answer `skipped` when the
//! row or file is there by now).
use super::Result;
use crate::abi::{Outcome, SinkItem};

/// What `plan` decided for one item.
pub enum Planned<S> {
    /// Nothing to write: this is the final answer (already there, skipped, failed).
    Settled(Outcome),
    /// A write to do: `step` for `apply`, `dry_run` (a `PLANNED` outcome
    /// saying what would be written) for `--dry-run`.
    Write { step: S, dry_run: Outcome },
}

impl<S> Planned<S> {
    pub fn write(step: S, dry_run: Outcome) -> Self {
        Planned::Write { step, dry_run }
    }
    /// The answer in `--dry-run`.
    pub fn dry_run_outcome(self) -> Outcome {
        match self {
            Planned::Settled(o) | Planned::Write { dry_run: o, .. } => o,
        }
    }
}

/// A sink whose writes are planned first (see the module doc).
pub trait PlanApply {
    /// One planned write (a row to insert, a file to copy…).
    type Step;
    /// One decision per item of `batch`, in order. Reads only.
    fn plan(&self, batch: &[SinkItem]) -> Result<Vec<Planned<Self::Step>>>;
    /// Does the planned writes: one outcome per item of `plans` (= of
    /// `batch`), in order. Re-checks natural keys first.
    fn apply(&self, batch: &[SinkItem], plans: Vec<Planned<Self::Step>>) -> Result<Vec<Outcome>>;
}

/// `SinkPlugin::write` of a [`PlanApply`] sink: plan, then apply unless `dry_run`.
pub fn write_planned<P: PlanApply + ?Sized>(sink: &P, dry_run: bool, batch: &[SinkItem]) -> Result<Vec<Outcome>> {
    let plans = sink.plan(batch)?;
    if dry_run {
        return Ok(plans.into_iter().map(Planned::dry_run_outcome).collect());
    }
    sink.apply(batch, plans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::{OutcomeStatus, Recording};
    use std::cell::RefCell;

    /// Writes each record id once into `written`.
    struct Ids {
        written: RefCell<Vec<String>>,
    }

    impl PlanApply for Ids {
        type Step = String;
        fn plan(&self, batch: &[SinkItem]) -> Result<Vec<Planned<String>>> {
            Ok(batch
                .iter()
                .map(|i| {
                    let id = i.recording.record_id.to_string();
                    if self.written.borrow().contains(&id) {
                        Planned::Settled(Outcome::skipped(&id, "there"))
                    } else {
                        Planned::write(id.clone(), Outcome::planned(&id, "would write"))
                    }
                })
                .collect())
        }
        fn apply(&self, _batch: &[SinkItem], plans: Vec<Planned<String>>) -> Result<Vec<Outcome>> {
            Ok(plans
                .into_iter()
                .map(|p| match p {
                    Planned::Settled(o) => o,
                    Planned::Write { step, .. } if self.written.borrow().contains(&step) => {
                        Outcome::skipped(&step, "there by now")
                    }
                    Planned::Write { step, .. } => {
                        self.written.borrow_mut().push(step.clone());
                        Outcome::done(&step, "written")
                    }
                })
                .collect())
        }
    }

    fn item(id: &str) -> SinkItem {
        SinkItem {
            recording: Recording { record_id: id.into(), ..Default::default() },
            owners: Default::default(),
            fallback: false,
        }
    }

    #[test]
    fn dry_run_plans_and_writes_nothing_then_apply_writes_once() {
        let s = Ids { written: RefCell::new(vec!["a".into()]) };
        let batch = [item("a"), item("b")];
        let kinds = |o: Vec<Outcome>| o.iter().map(|o| o.status).collect::<Vec<_>>();
        let dry = write_planned(&s, true, &batch).unwrap();
        assert_eq!(kinds(dry), [OutcomeStatus::SKIPPED, OutcomeStatus::PLANNED]);
        assert_eq!(*s.written.borrow(), ["a"]);
        let real = write_planned(&s, false, &batch).unwrap();
        assert_eq!(kinds(real), [OutcomeStatus::SKIPPED, OutcomeStatus::DONE]);
        assert_eq!(*s.written.borrow(), ["a", "b"]);
    }
}
