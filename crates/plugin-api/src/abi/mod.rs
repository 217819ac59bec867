//! The frozen FFI contract between the host and every plugin.
//!
//! Everything in this module crosses the `.so` boundary and is checked by
//! `abi_stable` at load time, field by field. It is frozen for the whole major
//! version of this crate: adding a field or an enum value is an ABI break (a
//! new major). New data travels in the `extra_json` escape hatches. The one
//! compatible extension is a trait method added at the end of a trait, after
//! its `last_prefix_field`, with a default body: a plugin built against an
//! older minor lacks it and the default answers (1.1: `Sink::capabilities`; 1.2: `Sink::lifecycle`).

mod ctx;
mod error;
mod module;
mod records;
mod traits;

pub use ctx::{HostLog, HostLog_TO, LogLevel, PluginCtx};
pub use error::{ErrorKind, PluginError};
pub use module::{ComponentDecl, ComponentKind, Manifest, PluginMod, PluginModRef, ROOT_MODULE_NAME};
pub use records::{
    Delivered, LifecycleOp, Outcome, OutcomeStatus, Owner, Playback, Recording, Rejected, Resolution, ResolutionKind,
    SinkCapabilities, SinkItem, SourceBatch,
};
pub use traits::{Resolver, ResolverBox, Resolver_TO, Sink, SinkBox, Sink_TO, Source, SourceBox, Source_TO};
