//! Declaring components: type name, typed settings and constructor in one place.
//!
//! ```ignore
//! impl ResolverComponent for PrefixTable {
//!     const TYPE: &'static str = "prefix-table";
//!     const ABOUT: &'static str = "Owners by meetingID prefix";
//!     type Config = Config;                       // serde::Deserialize, deny_unknown_fields
//!     fn build(config: Config, ctx: Ctx) -> Result<Self> { … }
//! }
//! // in the plugin's `PluginDecl`:
//! const COMPONENTS: &'static [Component] = &[Component::resolver::<PrefixTable>()];
//! ```
//! The SDK decodes the settings (a missing, unknown or mistyped key names its
//! path, which the host turns into the pipeline file's line), picks the
//! component by kind and type name, and answers "no such component" itself.
use super::{config::decode, Ctx, ResolverPlugin, Result, SinkPlugin, SourcePlugin};
use crate::abi::{ComponentKind, ErrorKind, PluginError};
use serde::de::DeserializeOwned;

/// A source type: its `type = "…"` name, one line about it, its settings and constructor.
pub trait SourceComponent: SourcePlugin + Sized {
    const TYPE: &'static str;
    const ABOUT: &'static str;
    type Config: DeserializeOwned;
    fn build(config: Self::Config, ctx: Ctx) -> Result<Self>;
}

/// A resolver type (see [`SourceComponent`]).
pub trait ResolverComponent: ResolverPlugin + Sized {
    const TYPE: &'static str;
    const ABOUT: &'static str;
    type Config: DeserializeOwned;
    fn build(config: Self::Config, ctx: Ctx) -> Result<Self>;
}

/// A sink type (see [`SourceComponent`]).
pub trait SinkComponent: SinkPlugin + Sized {
    const TYPE: &'static str;
    const ABOUT: &'static str;
    type Config: DeserializeOwned;
    fn build(config: Self::Config, ctx: Ctx) -> Result<Self>;
}

/// A component built by the SDK from its settings.
pub enum Built {
    Source(Box<dyn SourcePlugin>),
    Resolver(Box<dyn ResolverPlugin>),
    Sink(Box<dyn SinkPlugin>),
}

/// One entry of a plugin's component list: made by [`Component::source`],
/// [`Component::resolver`] or [`Component::sink`] from a declared type.
pub struct Component {
    pub kind: ComponentKind,
    pub type_name: &'static str,
    pub description: &'static str,
    make: fn(&str, Ctx) -> Result<Built>,
}

fn make_source<T: SourceComponent>(json: &str, ctx: Ctx) -> Result<Built> {
    Ok(Built::Source(Box::new(T::build(decode(json)?, ctx)?)))
}
fn make_resolver<T: ResolverComponent>(json: &str, ctx: Ctx) -> Result<Built> {
    Ok(Built::Resolver(Box::new(T::build(decode(json)?, ctx)?)))
}
fn make_sink<T: SinkComponent>(json: &str, ctx: Ctx) -> Result<Built> {
    Ok(Built::Sink(Box::new(T::build(decode(json)?, ctx)?)))
}

impl Component {
    pub const fn source<T: SourceComponent>() -> Self {
        Self { kind: ComponentKind::SOURCE, type_name: T::TYPE, description: T::ABOUT, make: make_source::<T> }
    }
    pub const fn resolver<T: ResolverComponent>() -> Self {
        Self { kind: ComponentKind::RESOLVER, type_name: T::TYPE, description: T::ABOUT, make: make_resolver::<T> }
    }
    pub const fn sink<T: SinkComponent>() -> Self {
        Self { kind: ComponentKind::SINK, type_name: T::TYPE, description: T::ABOUT, make: make_sink::<T> }
    }
}

/// Builds the component of `kind` named `type_name` from `components` with
/// its JSON settings; the one "no such component" error of every plugin.
pub fn build(components: &[Component], kind: ComponentKind, type_name: &str, json: &str, ctx: Ctx) -> Result<Built> {
    match components.iter().find(|c| c.kind == kind && c.type_name == type_name) {
        Some(c) => (c.make)(json, ctx),
        None => Err(PluginError::new(
            ErrorKind::UNSUPPORTED,
            format!("this plugin has no {} named `{type_name}`", kind.label()),
        )),
    }
}
