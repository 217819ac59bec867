//! Loading one plugin file with abi_stable, with one-line errors.
use anyhow::{anyhow, Result};
use plugin_api::abi::{Manifest, PluginModRef};
use plugin_api::abi_stable::library::{lib_header_from_path, LibraryError, RootModule};
use std::path::{Path, PathBuf};

/// A loaded plugin: its root module and what it says about itself.
#[derive(Clone)]
pub struct LoadedPlugin {
    pub file: PathBuf,
    pub module: PluginModRef,
    pub manifest: Manifest,
    /// The plugin-api version the plugin was built against.
    pub abi_version: String,
}

impl LoadedPlugin {
    /// Plugin `P` built into this program (no file): the root module a
    /// `cdylib` would export, for the engine's tests with in-process fakes.
    pub fn in_process<P: plugin_api::sdk::PluginDecl>() -> Self {
        let module = plugin_api::sdk::root_module::<P>();
        let manifest = (module.manifest())();
        let file = PathBuf::from(format!("(in-process {})", P::NAME));
        LoadedPlugin { file, module, manifest, abi_version: plugin_api::ABI_VERSION.to_string() }
    }
}

/// Loads `file`. Never runs plugin code beyond the trivial root constructor
/// and `manifest()`. An incompatible plugin is refused with one line naming
/// the file and both ABI versions.
pub fn load_file(file: &Path) -> Result<LoadedPlugin> {
    let shown = file.display();
    refuse_writable_by_others(file)?;
    let header = lib_header_from_path(file).map_err(|e| anyhow!("{shown}: {}", summarise(&e)))?;
    let abi_version = header.version_strings().version.to_string();
    let module = header.init_root_module::<PluginModRef>().map_err(|e| anyhow!("{shown}: {}", summarise(&e)))?;
    let manifest = (module.manifest())();
    Ok(LoadedPlugin { file: file.to_path_buf(), module, manifest, abi_version })
}

/// Plugins are code run with the migration's rights: a file or folder anyone
/// may write to is refused.
fn refuse_writable_by_others(file: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(file).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    if meta.permissions().mode() & 0o002 != 0 {
        return Err(anyhow!("{}: refused: the file is writable by anyone (chmod o-w it)", file.display()));
    }
    if let Some(dir) = file.parent().and_then(|d| std::fs::metadata(d).ok()) {
        let mode = dir.permissions().mode();
        if mode & 0o002 != 0 && mode & 0o1000 == 0 {
            return Err(anyhow!("{}: refused: its folder is writable by anyone (chmod o-w it)", file.display()));
        }
    }
    Ok(())
}

/// abi_stable's errors are pages long (a layout mismatch prints both layouts);
/// we say what happened and what to do in one line.
fn summarise(e: &LibraryError) -> String {
    let host = <PluginModRef as RootModule>::VERSION_STRINGS.version;
    match e {
        LibraryError::OpenError { err, .. } => format!("cannot open: {}", first_line(&err.to_string())),
        LibraryError::GetSymbolError { .. } => "not a bbb-migrate plugin (no abi_stable root module)".into(),
        LibraryError::IncompatibleVersionNumber { actual_version, expected_version, .. } => format!(
            "incompatible plugin ABI: built against plugin-api {actual_version}, this bbb-migrate speaks plugin-api {expected_version}; rebuild the plugin against plugin-api {}.x",
            expected_version.major
        ),
        LibraryError::ParseVersionError(v) => format!("unreadable plugin ABI version ({})", first_line(&v.to_string())),
        LibraryError::AbiInstability(_) => format!(
            "incompatible plugin ABI: same version number but its types differ from this bbb-migrate's plugin-api {host}; rebuild the plugin against the released plugin-api"
        ),
        LibraryError::InvalidAbiHeader(h) => format!("incompatible abi_stable header ({h:?}); rebuild the plugin against plugin-api {host}"),
        LibraryError::InvalidCAbi { .. } => "built by a compiler with another C ABI; rebuild it".into(),
        LibraryError::RootModule { err, .. } => format!("the plugin failed to initialise: {}", first_line(&err.to_string())),
        LibraryError::Many(errs) => errs.iter().next().map(summarise).unwrap_or_else(|| "unknown load error".into()),
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_string()
}
