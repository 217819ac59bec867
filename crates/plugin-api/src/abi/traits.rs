//! The three component kinds. Every call moves a batch; every call returns
//! `RResult`. Calls are synchronous: a plugin that needs async I/O runs it on
//! its own runtime (see `sdk::runtime`), the host calls from its worker threads.
#![allow(non_local_definitions, non_camel_case_types)]

use super::{
    Delivered, ErrorKind, LifecycleOp, Outcome, PluginError, Recording, Resolution, SinkCapabilities, SinkItem,
    SourceBatch,
};
use abi_stable::{
    sabi_trait,
    std_types::{RBox, ROption, RResult, RSlice, RString, RVec},
};

/// Lists recordings, a batch at a time, until it returns `RNone`.
#[sabi_trait]
pub trait Source: Send + Sync {
    fn next_batch(&self, max: u32) -> RResult<ROption<SourceBatch>, PluginError>;
    /// Probe settings and connections; lines for the `check` report.
    fn check(&self) -> RResult<RVec<RString>, PluginError>;
    #[sabi(last_prefix_field)]
    fn close(&self) -> RResult<(), PluginError>;
}

/// Finds owners: one `Resolution` per input recording, same order.
#[sabi_trait]
pub trait Resolver: Send + Sync {
    fn resolve(&self, batch: RSlice<'_, Recording>) -> RResult<RVec<Resolution>, PluginError>;
    fn check(&self) -> RResult<RVec<RString>, PluginError>;
    #[sabi(last_prefix_field)]
    fn close(&self) -> RResult<(), PluginError>;
}

/// Delivers recordings. `prepare` once before the first write, `write` per
/// batch (one `Outcome` per item; in dry-run mode `PLANNED` outcomes and no
/// write anywhere), `finish` once at the end of a run that was not aborted.
#[sabi_trait]
pub trait Sink: Send + Sync {
    fn prepare(&self) -> RResult<RVec<RString>, PluginError>;
    fn write(&self, batch: RSlice<'_, SinkItem>) -> RResult<RVec<Outcome>, PluginError>;
    fn finish(&self) -> RResult<RVec<RString>, PluginError>;
    #[sabi(last_prefix_field)]
    fn check(&self) -> RResult<RVec<RString>, PluginError>;
    /// Added in 1.1 after the prefix (ABI-compatible): a plugin built against
    /// 1.0 has no such entry and gets this default — one writer at a time.
    fn capabilities(&self) -> SinkCapabilities {
        SinkCapabilities::default()
    }
    /// Added in 1.2 (ABI-compatible, as `capabilities`): undo, pending or
    /// retire these journaled deliveries, one `Outcome` per item, in order
    /// (see [`LifecycleOp`]). Which operations a sink offers is in
    /// `capabilities().extra_json` (`{"lifecycle": ["undo", …]}`); a plugin
    /// built against 1.0/1.1 offers none and answers `UNSUPPORTED`.
    fn lifecycle(&self, op: LifecycleOp, _batch: RSlice<'_, Delivered>) -> RResult<RVec<Outcome>, PluginError> {
        RResult::RErr(PluginError::new(
            ErrorKind::UNSUPPORTED,
            format!("this sink cannot {} (plugin built before plugin-api 1.2)", op.label()),
        ))
    }
}

pub type SourceBox = Source_TO<'static, RBox<()>>;
pub type ResolverBox = Resolver_TO<'static, RBox<()>>;
pub type SinkBox = Sink_TO<'static, RBox<()>>;
