//! Declaring a plugin and exporting its root module.
use super::{
    adapters::{guard, ResolverAdapter, SinkAdapter, SourceAdapter},
    component::{build, Built, Component},
    Ctx, ResolverPlugin, SinkPlugin, SourcePlugin,
};
use crate::abi::{
    ComponentDecl, ComponentKind, Manifest, PluginCtx, PluginError, PluginMod, PluginModRef, ResolverBox, Resolver_TO,
    SinkBox, Sink_TO, SourceBox, Source_TO,
};
use abi_stable::{
    prefix_type::PrefixTypeTrait,
    sabi_trait::TD_Opaque,
    std_types::{RResult, RStr},
};

/// What a plugin implements (on a unit struct) to be exported: its name and
/// the list of components it offers (see [`Component`]); the SDK builds them.
pub trait PluginDecl: 'static {
    const NAME: &'static str;
    const VERSION: &'static str;
    const DESCRIPTION: &'static str;
    const COMPONENTS: &'static [Component];
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
        match build(P::COMPONENTS, ComponentKind::SOURCE, t.as_str(), cfg.as_str(), Ctx::new(ctx))? {
            Built::Source(inner) => Ok(Source_TO::from_value(SourceAdapter(inner), TD_Opaque)),
            _ => unreachable!("a source entry builds a source"),
        }
    })
}

extern "C" fn new_resolver<P: PluginDecl>(
    t: RStr<'_>,
    cfg: RStr<'_>,
    ctx: PluginCtx,
) -> RResult<ResolverBox, PluginError> {
    guard("new_resolver", || {
        match build(P::COMPONENTS, ComponentKind::RESOLVER, t.as_str(), cfg.as_str(), Ctx::new(ctx))? {
            Built::Resolver(inner) => Ok(Resolver_TO::from_value(ResolverAdapter(inner), TD_Opaque)),
            _ => unreachable!("a resolver entry builds a resolver"),
        }
    })
}

extern "C" fn new_sink<P: PluginDecl>(t: RStr<'_>, cfg: RStr<'_>, ctx: PluginCtx) -> RResult<SinkBox, PluginError> {
    guard("new_sink", || match build(P::COMPONENTS, ComponentKind::SINK, t.as_str(), cfg.as_str(), Ctx::new(ctx))? {
        Built::Sink(inner) => Ok(Sink_TO::from_value(SinkAdapter(inner), TD_Opaque)),
        _ => unreachable!("a sink entry builds a sink"),
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
