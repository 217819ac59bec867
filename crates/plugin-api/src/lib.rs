//! # bbb-migrate plugin API
//!
//! The one contract between the `bbb-migrate` host and its plugins. A plugin is
//! a `cdylib` that depends on this crate only, implements one or more of
//! [`sdk::SourcePlugin`], [`sdk::ResolverPlugin`], [`sdk::SinkPlugin`], declares
//! each as a component ([`sdk::SourceComponent`] and friends: type name, typed
//! settings, constructor), lists them in its [`sdk::PluginDecl`] and exports it
//! with [`export_plugin!`].
//!
//! * [`abi`] — the frozen FFI types and traits (`abi_stable`); checked field by
//!   field when the host loads a plugin. The crate's version is the ABI epoch:
//!   a plugin built against another major is refused with a one-line error.
//! * [`sdk`] — author ergonomics, free to evolve: native traits, adapters that
//!   catch panics at the boundary, config decoding, a plugin-owned async runtime,
//!   helpers shared by the plugins (safe ids and file names, secrets, SQL-free
//!   recording accessors).
//!
//! ## The async model
//! tokio's runtime is not shared across separately compiled libraries: each
//! `.so` links its own copy of tokio's statics, so a host runtime is invisible
//! to a plugin (its futures would find "no reactor"). So FFI calls are
//! **synchronous and batched**. A plugin that needs async I/O (HTTP, SQL) owns a
//! small multi-thread tokio runtime, created lazily on first use
//! ([`sdk::runtime::block_on`], feature `runtime`), and blocks on it inside the
//! call. The host makes every plugin call from its own worker threads (one per
//! pipeline stage), so a slow plugin never stalls the others, and never calls a
//! plugin from inside an async context. Panics are caught by the SDK adapters
//! and returned as `PluginError { kind: PANIC }`: a panic never unwinds across
//! the boundary (which would kill the host).

pub mod abi;
pub mod sdk;

pub use abi::*;
pub use abi_stable;
pub use serde;
pub use serde_json;

/// The plugin ABI version this crate defines (= its package version).
pub const ABI_VERSION: &str = env!("CARGO_PKG_VERSION");
