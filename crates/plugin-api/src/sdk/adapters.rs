//! Native traits → FFI trait objects, with the panic guard on every call.
use super::{ResolverPlugin, SinkPlugin, SourcePlugin};
use crate::abi::{
    Delivered, ErrorKind, LifecycleOp, Outcome, PluginError, Recording, Resolution, Resolver, Sink, SinkCapabilities,
    SinkItem, Source, SourceBatch,
};
use abi_stable::std_types::{ROption, RResult, RSlice, RString, RVec};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`, turning a panic into `PluginError { kind: PANIC }`: a panic must
/// never unwind across the FFI boundary (the process would exit).
pub fn guard<T>(what: &str, f: impl FnOnce() -> Result<T, PluginError>) -> RResult<T, PluginError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => RResult::ROk(v),
        Ok(Err(e)) => RResult::RErr(e),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".into());
            RResult::RErr(PluginError::new(ErrorKind::PANIC, format!("plugin panicked in {what}: {msg}")))
        }
    }
}

fn lines(v: Vec<String>) -> RVec<RString> {
    v.into_iter().map(RString::from).collect()
}

fn same_length<T>(what: &str, got: Vec<T>, expected: usize) -> Result<RVec<T>, PluginError> {
    if got.len() != expected {
        return Err(PluginError::other(format!(
            "{what} returned {} answers for {expected} items (plugin bug)",
            got.len()
        )));
    }
    Ok(got.into())
}

pub struct SourceAdapter<T>(pub T);
pub struct ResolverAdapter<T>(pub T);
pub struct SinkAdapter<T>(pub T);

impl<T: SourcePlugin> Source for SourceAdapter<T> {
    fn next_batch(&self, max: u32) -> RResult<ROption<SourceBatch>, PluginError> {
        guard("next_batch", || Ok(self.0.next_batch(max.max(1) as usize)?.into()))
    }
    fn check(&self) -> RResult<RVec<RString>, PluginError> {
        guard("check", || self.0.check().map(lines))
    }
    fn close(&self) -> RResult<(), PluginError> {
        guard("close", || self.0.close())
    }
}

impl<T: ResolverPlugin> Resolver for ResolverAdapter<T> {
    fn resolve(&self, batch: RSlice<'_, Recording>) -> RResult<RVec<Resolution>, PluginError> {
        guard("resolve", || same_length("resolve", self.0.resolve(batch.as_slice())?, batch.len()))
    }
    fn check(&self) -> RResult<RVec<RString>, PluginError> {
        guard("check", || self.0.check().map(lines))
    }
    fn close(&self) -> RResult<(), PluginError> {
        guard("close", || self.0.close())
    }
}

impl<T: SinkPlugin> Sink for SinkAdapter<T> {
    fn prepare(&self) -> RResult<RVec<RString>, PluginError> {
        guard("prepare", || self.0.prepare().map(lines))
    }
    fn write(&self, batch: RSlice<'_, SinkItem>) -> RResult<RVec<Outcome>, PluginError> {
        guard("write", || same_length("write", self.0.write(batch.as_slice())?, batch.len()))
    }
    fn finish(&self) -> RResult<RVec<RString>, PluginError> {
        guard("finish", || self.0.finish().map(lines))
    }
    fn check(&self) -> RResult<RVec<RString>, PluginError> {
        guard("check", || self.0.check().map(lines))
    }
    fn capabilities(&self) -> SinkCapabilities {
        let shared = catch_unwind(AssertUnwindSafe(|| self.0.shared_writers())).unwrap_or(false);
        let ops = catch_unwind(AssertUnwindSafe(|| self.0.lifecycle_ops())).unwrap_or(&[]);
        let labels: Vec<&str> = ops.iter().map(|o| o.label()).collect();
        let extra = serde_json::json!({ "lifecycle": labels }).to_string();
        SinkCapabilities { shared_writers: shared, extra_json: extra.into() }
    }
    fn lifecycle(&self, op: LifecycleOp, batch: RSlice<'_, Delivered>) -> RResult<RVec<Outcome>, PluginError> {
        guard(op.label(), || same_length(op.label(), self.0.lifecycle(op, batch.as_slice())?, batch.len()))
    }
}
