//! Everything a plugin author uses; none of it crosses the boundary as such.

mod adapters;
pub mod cells;
mod component;
pub mod config;
mod ctx;
mod export;
pub mod ids;
pub mod plan;
mod recording;
#[cfg(feature = "runtime")]
pub mod runtime;
mod secret;
pub mod testing;
pub mod text;

pub use adapters::{guard, ResolverAdapter, SinkAdapter, SourceAdapter};
pub use component::{build, Built, Component, ResolverComponent, SinkComponent, SourceComponent};
pub use config::decode;
pub use ctx::Ctx;
pub use export::{root_module, PluginDecl};
pub use plan::{write_planned, PlanApply, Planned};
pub use recording::meta_key_eq;
pub use secret::Secret;

use crate::abi::{
    Delivered, ErrorKind, LifecycleOp, Outcome, PluginError, Recording, Resolution, SinkItem, SourceBatch,
};

pub type Result<T, E = PluginError> = std::result::Result<T, E>;

/// A source of recordings. `next_batch` returns `None` when the listing is over.
pub trait SourcePlugin: Send + Sync + 'static {
    fn next_batch(&self, max: usize) -> Result<Option<SourceBatch>>;
    fn check(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    fn close(&self) -> Result<()> {
        Ok(())
    }
}

/// An identity resolver: exactly one `Resolution` per input, in input order.
pub trait ResolverPlugin: Send + Sync + 'static {
    fn resolve(&self, batch: &[Recording]) -> Result<Vec<Resolution>>;
    fn check(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    fn close(&self) -> Result<()> {
        Ok(())
    }
}

/// A sink: one `Outcome` per input item, in input order. In dry-run mode
/// (`Ctx::dry_run`) it must write nothing and return `PLANNED` outcomes:
/// implement [`PlanApply`] and answer `write` with [`write_planned`].
pub trait SinkPlugin: Send + Sync + 'static {
    fn prepare(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    fn write(&self, batch: &[SinkItem]) -> Result<Vec<Outcome>>;
    fn finish(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    fn check(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    /// Whether several workers (processes, machines) may write this sink at
    /// once. Say `true` only if concurrent writers of one target never
    /// conflict (rows keyed by recording, one file per recording); `false`
    /// makes the host let one worker at a time write it.
    fn shared_writers(&self) -> bool {
        false
    }
    /// Which of undo / pending / retire this sink offers (plugin-api 1.2).
    /// Say an operation here only if [`SinkPlugin::lifecycle`] handles it;
    /// the host tells the others at `check` and reports their items as not
    /// undone.
    fn lifecycle_ops(&self) -> &'static [LifecycleOp] {
        &[]
    }
    /// Undo, pending or retire journaled deliveries: one `Outcome` per item,
    /// in order, with the meaning [`LifecycleOp`] gives. In dry-run mode,
    /// write nothing and answer `PLANNED` (undo, retire).
    fn lifecycle(&self, op: LifecycleOp, _batch: &[Delivered]) -> Result<Vec<Outcome>> {
        Err(unsupported_op(op))
    }
}

/// The error of an operation a sink does not offer.
pub fn unsupported_op(op: LifecycleOp) -> PluginError {
    PluginError::new(ErrorKind::UNSUPPORTED, format!("this sink cannot {}", op.label()))
}
