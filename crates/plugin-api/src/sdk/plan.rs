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
    /// Nothing to write: `outcome` is the final answer (already there,
    /// skipped, failed), `dry_run` the dry run's (the same, or worded as a
    /// plan: "nothing to write: …").
    Settled { outcome: Outcome, dry_run: Outcome },
    /// A write to do: `step` for `apply`, `dry_run` (a `PLANNED` outcome
    /// saying what would be written) for `--dry-run`.
    Write { step: S, dry_run: Outcome },
}

impl<S> Planned<S> {
    /// Nothing to write, and a dry run answers the same.
    pub fn settled(outcome: Outcome) -> Self {
        Planned::Settled { dry_run: outcome.clone(), outcome }
    }
    /// Nothing to write; a dry run answers `dry_run` instead.
    pub fn settled_as(outcome: Outcome, dry_run: Outcome) -> Self {
        Planned::Settled { outcome, dry_run }
    }
    pub fn write(step: S, dry_run: Outcome) -> Self {
        Planned::Write { step, dry_run }
    }
    /// The answer in `--dry-run`.
    pub fn dry_run_outcome(self) -> Outcome {
        match self {
            Planned::Settled { dry_run, .. } | Planned::Write { dry_run, .. } => dry_run,
        }
    }
    /// For `apply`: the step to write, or (`Err`) the final answer of an item with nothing to write.
    pub fn into_step(self) -> std::result::Result<S, Outcome> {
        match self {
            Planned::Write { step, .. } => Ok(step),
            Planned::Settled { outcome, .. } => Err(outcome),
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
    /// The dry run's answers: each plan's `dry_run`. Override it only for a
    /// read that the answer needs and `apply` does not (the size of a file
    /// to download, which a run learns from the download itself). Reads only.
    fn preview(&self, _batch: &[SinkItem], plans: Vec<Planned<Self::Step>>) -> Result<Vec<Outcome>> {
        Ok(plans.into_iter().map(Planned::dry_run_outcome).collect())
    }
}

/// `SinkPlugin::write` of a [`PlanApply`] sink: plan, then apply (or, in a
/// dry run, preview).
pub fn write_planned<P: PlanApply + ?Sized>(sink: &P, dry_run: bool, batch: &[SinkItem]) -> Result<Vec<Outcome>> {
    let plans = sink.plan(batch)?;
    if dry_run {
        return sink.preview(batch, plans);
    }
    sink.apply(batch, plans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::{OutcomeStatus, Recording};
    use std::cell::{Cell, RefCell};

    /// Writes each record id once into `written`; `sized` makes the dry run
    /// read a size that `apply` does not need (counted in `size_reads`).
    #[derive(Default)]
    struct Ids {
        written: RefCell<Vec<String>>,
        sized: bool,
        size_reads: Cell<usize>,
    }

    impl PlanApply for Ids {
        type Step = String;
        fn plan(&self, batch: &[SinkItem]) -> Result<Vec<Planned<String>>> {
            Ok(batch
                .iter()
                .map(|i| {
                    let id = i.recording.record_id.to_string();
                    if self.written.borrow().contains(&id) {
                        Planned::settled_as(Outcome::skipped(&id, "there"), Outcome::planned(&id, "nothing to write"))
                    } else {
                        Planned::write(id.clone(), Outcome::planned(&id, "would write"))
                    }
                })
                .collect())
        }
        fn apply(&self, _batch: &[SinkItem], plans: Vec<Planned<String>>) -> Result<Vec<Outcome>> {
            Ok(plans
                .into_iter()
                .map(|p| match p.into_step() {
                    Err(o) => o,
                    Ok(step) if self.written.borrow().contains(&step) => Outcome::skipped(&step, "there by now"),
                    Ok(step) => {
                        self.written.borrow_mut().push(step.clone());
                        Outcome::done(&step, "written")
                    }
                })
                .collect())
        }
        fn preview(&self, _batch: &[SinkItem], plans: Vec<Planned<String>>) -> Result<Vec<Outcome>> {
            if !self.sized {
                return Ok(plans.into_iter().map(Planned::dry_run_outcome).collect());
            }
            Ok(plans
                .into_iter()
                .map(|p| match p {
                    Planned::Write { step, .. } => {
                        self.size_reads.set(self.size_reads.get() + 1);
                        Outcome::planned(&step, "would write 3 bytes")
                    }
                    settled => settled.dry_run_outcome(),
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

    fn answers(o: &[Outcome]) -> Vec<(OutcomeStatus, &str)> {
        o.iter().map(|o| (o.status, o.detail.as_str())).collect()
    }

    #[test]
    fn dry_run_plans_and_writes_nothing_then_apply_writes_once() {
        let s = Ids { written: RefCell::new(vec!["a".into()]), ..Default::default() };
        let batch = [item("a"), item("b")];
        let dry = write_planned(&s, true, &batch).unwrap();
        assert_eq!(
            answers(&dry),
            [(OutcomeStatus::PLANNED, "nothing to write"), (OutcomeStatus::PLANNED, "would write")]
        );
        assert_eq!(*s.written.borrow(), ["a"]);
        let real = write_planned(&s, false, &batch).unwrap();
        assert_eq!(answers(&real), [(OutcomeStatus::SKIPPED, "there"), (OutcomeStatus::DONE, "written")]);
        assert_eq!(*s.written.borrow(), ["a", "b"]);
    }

    #[test]
    fn apply_re_checks_what_was_written_after_the_plan() {
        let s = Ids::default();
        let batch = [item("a"), item("b")];
        let plans = s.plan(&batch).unwrap();
        s.written.borrow_mut().push("b".into());
        let out = s.apply(&batch, plans).unwrap();
        assert_eq!(answers(&out), [(OutcomeStatus::DONE, "written"), (OutcomeStatus::SKIPPED, "there by now")]);
        assert_eq!(*s.written.borrow(), ["b", "a"]);
    }

    #[test]
    fn preview_reads_only_in_a_dry_run() {
        let s = Ids { written: RefCell::new(vec!["a".into()]), sized: true, ..Default::default() };
        let batch = [item("a"), item("b")];
        let dry = write_planned(&s, true, &batch).unwrap();
        assert_eq!(
            answers(&dry),
            [(OutcomeStatus::PLANNED, "nothing to write"), (OutcomeStatus::PLANNED, "would write 3 bytes")]
        );
        assert_eq!(s.size_reads.get(), 1);
        write_planned(&s, false, &batch).unwrap();
        assert_eq!(s.size_reads.get(), 1, "a run does not preview");
        assert_eq!(*s.written.borrow(), ["a", "b"]);
    }
}
