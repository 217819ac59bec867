//! Declaring a plugin and exporting its root module.
use super::{
    adapters::{guard, ResolverAdapter, SinkAdapter, SourceAdapter},
    Ctx, ResolverPlugin, SinkPlugin, SourcePlugin,
};
use crate::abi::{
    ComponentDecl, ComponentKind, ErrorKind, Manifest, PluginCtx, PluginError, PluginMod, PluginModRef, ResolverBox,
    Resolver_TO, SinkBox, Sink_TO, SourceBox, Source_TO,
};
use abi_stable::{
    prefix_type::PrefixTypeTrait,
    sabi_trait::TD_Opaque,
    std_types::{RResult, RStr},
};

/// One component a plugin offers.
pub struct Component {
    pub kind: ComponentKind,
    pub type_name: &'static str,
    pub description: &'static str,
}

impl Component {
    pub const fn source(type_name: &'static str, description: &'static str) -> Self {
        Self { kind: ComponentKind::SOURCE, type_name, description }
    }
    pub const fn resolver(type_name: &'static str, description: &'static str) -> Self {
        Self { kind: ComponentKind::RESOLVER, type_name, description }
    }
    pub const fn sink(type_name: &'static str, description: &'static str) -> Self {
        Self { kind: ComponentKind::SINK, type_name, description }
    }
}

fn unsupported<T>(kind: &str, type_name: &str) -> Result<T, PluginError> {
    Err(PluginError::new(ErrorKind::UNSUPPORTED, format!("this plugin has no {kind} named `{type_name}`")))
}

/// What a plugin implements (on a unit struct) to be exported.
/// `config` is the component's TOML table as JSON (decode it with
/// [`super::decode`]); override the factories for the kinds you offer.
pub trait PluginDecl: 'static {
    const NAME: &'static str;
    const VERSION: &'static str;
    const DESCRIPTION: &'static str;
    const COMPONENTS: &'static [Component];

    fn new_source(type_name: &str, _config: &str, _ctx: Ctx) -> Result<Box<dyn SourcePlugin>, PluginError> {
        unsupported("source", type_name)
    }
    fn new_resolver(type_name: &str, _config: &str, _ctx: Ctx) -> Result<Box<dyn ResolverPlugin>, PluginError> {
        unsupported("resolver", type_name)
    }
    fn new_sink(type_name: &str, _config: &str, _ctx: Ctx) -> Result<Box<dyn SinkPlugin>, PluginError> {
        unsupported("sink", type_name)
    }
}

// Boxed trait objects forward to the native traits, so adapters can hold them.
impl SourcePlugin for Box<dyn SourcePlugin> {
    fn next_batch(&self, max: usize) -> super::Result<Option<crate::abi::SourceBatch>> {
        (**self).next_batch(max)
    }
    fn check(&self) -> super::Result<Vec<String>> {
        (**self).check()
    }
    fn close(&self) -> super::Result<()> {
        (**self).close()
    }
}
impl ResolverPlugin for Box<dyn ResolverPlugin> {
    fn resolve(&self, b: &[crate::abi::Recording]) -> super::Result<Vec<crate::abi::Resolution>> {
        (**self).resolve(b)
    }
    fn check(&self) -> super::Result<Vec<String>> {
        (**self).check()
    }
    fn close(&self) -> super::Result<()> {
        (**self).close()
    }
}
impl SinkPlugin for Box<dyn SinkPlugin> {
    fn prepare(&self) -> super::Result<Vec<String>> {
        (**self).prepare()
    }
    fn write(&self, b: &[crate::abi::SinkItem]) -> super::Result<Vec<crate::abi::Outcome>> {
        (**self).write(b)
    }
    fn finish(&self) -> super::Result<Vec<String>> {
        (**self).finish()
    }
    fn check(&self) -> super::Result<Vec<String>> {
        (**self).check()
    }
    fn shared_writers(&self) -> bool {
        (**self).shared_writers()
    }
    fn lifecycle_ops(&self) -> &'static [crate::abi::LifecycleOp] {
        (**self).lifecycle_ops()
    }
    fn lifecycle(
        &self,
        op: crate::abi::LifecycleOp,
        b: &[crate::abi::Delivered],
    ) -> super::Result<Vec<crate::abi::Outcome>> {
        (**self).lifecycle(op, b)
    }
}

extern "C" fn manifest<P: PluginDecl>() -> Manifest {
    Manifest {
        name: P::NAME.into(),
        version: P::VERSION.into(),
        description: P::DESCRIPTION.into(),
        components: P::COMPONENTS
            .iter()
            .map(|c| ComponentDecl { kind: c.kind, type_name: c.type_name.into(), description: c.description.into() })
            .collect(),
    }
}

extern "C" fn new_source<P: PluginDecl>(t: RStr<'_>, cfg: RStr<'_>, ctx: PluginCtx) -> RResult<SourceBox, PluginError> {
    guard("new_source", || {
        let inner = P::new_source(t.as_str(), cfg.as_str(), Ctx::new(ctx))?;
        Ok(Source_TO::from_value(SourceAdapter(inner), TD_Opaque))
    })
}

extern "C" fn new_resolver<P: PluginDecl>(
    t: RStr<'_>,
    cfg: RStr<'_>,
    ctx: PluginCtx,
) -> RResult<ResolverBox, PluginError> {
    guard("new_resolver", || {
        let inner = P::new_resolver(t.as_str(), cfg.as_str(), Ctx::new(ctx))?;
        Ok(Resolver_TO::from_value(ResolverAdapter(inner), TD_Opaque))
    })
}

extern "C" fn new_sink<P: PluginDecl>(t: RStr<'_>, cfg: RStr<'_>, ctx: PluginCtx) -> RResult<SinkBox, PluginError> {
    guard("new_sink", || {
        let inner = P::new_sink(t.as_str(), cfg.as_str(), Ctx::new(ctx))?;
        Ok(Sink_TO::from_value(SinkAdapter(inner), TD_Opaque))
    })
}

/// The root module of plugin `P`; called by [`crate::export_plugin!`].
pub fn root_module<P: PluginDecl>() -> PluginModRef {
    PluginMod {
        manifest: manifest::<P>,
        new_source: new_source::<P>,
        new_resolver: new_resolver::<P>,
        new_sink: new_sink::<P>,
    }
    .leak_into_prefix()
}

/// Exports `$decl` (a type implementing [`PluginDecl`]) as this `cdylib`'s
/// plugin. Use once per plugin crate. (This is what abi_stable's
/// `#[export_root_module]` expands to, written with `$crate` paths so plugin
/// crates need no direct `abi_stable` dependency.)
#[macro_export]
macro_rules! export_plugin {
    ($decl:ty) => {
        #[no_mangle]
        #[allow(non_upper_case_globals)]
        pub static _1as_0lib_1header_0root_bmodule_bloader: $crate::abi_stable::library::LibHeader = {
            extern "C" fn bbb_migrate_root_module() -> $crate::abi_stable::library::RootModuleResult {
                $crate::abi_stable::library::__call_root_module_loader($crate::sdk::root_module::<$decl>)
            }
            unsafe {
                $crate::abi_stable::library::LibHeader::from_constructor::<$crate::abi::PluginModRef>(
                    bbb_migrate_root_module,
                    $crate::abi_stable::library::CheckTypeLayout::Yes,
                )
            }
        };
    };
}
