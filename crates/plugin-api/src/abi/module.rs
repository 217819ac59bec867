use super::{PluginCtx, PluginError, ResolverBox, SinkBox, SourceBox};
use abi_stable::{
    declare_root_module_statics,
    library::RootModule,
    package_version_strings,
    sabi_types::VersionStrings,
    std_types::{RResult, RStr, RString, RVec},
    StableAbi,
};

/// The name under which every plugin exports its root module.
pub const ROOT_MODULE_NAME: &str = "bbb_migrate_plugin";

#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ComponentKind(pub u8);

impl ComponentKind {
    pub const SOURCE: Self = Self(1);
    pub const RESOLVER: Self = Self(2);
    pub const SINK: Self = Self(3);

    pub fn label(self) -> &'static str {
        match self {
            Self::SOURCE => "source",
            Self::RESOLVER => "resolver",
            Self::SINK => "sink",
            _ => "unknown",
        }
    }
}

/// One component a plugin offers: its kind and the `type` users write.
#[repr(C)]
#[derive(StableAbi, Clone, Debug)]
pub struct ComponentDecl {
    pub kind: ComponentKind,
    pub type_name: RString,
    pub description: RString,
}

/// What a plugin says about itself.
#[repr(C)]
#[derive(StableAbi, Clone, Debug)]
pub struct Manifest {
    pub name: RString,
    pub version: RString,
    pub description: RString,
    pub components: RVec<ComponentDecl>,
}

/// The root module every plugin `.so` exports (use `export_plugin!`).
/// Factories take the component `type`, its settings as JSON text (the host
/// converted the TOML table, `${ENV}` already expanded) and the context.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
#[sabi(missing_field(panic))]
pub struct PluginMod {
    pub manifest: extern "C" fn() -> Manifest,
    pub new_source: extern "C" fn(RStr<'_>, RStr<'_>, PluginCtx) -> RResult<SourceBox, PluginError>,
    pub new_resolver: extern "C" fn(RStr<'_>, RStr<'_>, PluginCtx) -> RResult<ResolverBox, PluginError>,
    #[sabi(last_prefix_field)]
    pub new_sink: extern "C" fn(RStr<'_>, RStr<'_>, PluginCtx) -> RResult<SinkBox, PluginError>,
}

impl RootModule for PluginModRef {
    declare_root_module_statics! {PluginModRef}
    const BASE_NAME: &'static str = ROOT_MODULE_NAME;
    const NAME: &'static str = ROOT_MODULE_NAME;
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}
