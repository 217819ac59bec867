//! Where plugins are looked for, in order (the first file offering a
//! component type wins, like `PATH`):
//! 1. `--plugin-dir` options, 2. `plugin_dirs` of the pipeline file,
//! 3. `BBB_MIGRATE_PLUGIN_PATH` (`:`-separated), 4. the executable's folder,
//! 5. [`SYSTEM_PLUGIN_DIR`] (where the Debian package installs them), for an
//!    executable installed under `/usr` only: a build in a checkout never
//!    picks up the installed package's plugins.
use std::path::{Path, PathBuf};

/// The plugins of the Debian package, found without any configuration.
pub const SYSTEM_PLUGIN_DIR: &str = "/usr/lib/bbb-migrate/plugins";

pub fn search_dirs(cli: &[PathBuf], config: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = cli.to_vec();
    dirs.extend(config.iter().cloned());
    if let Some(env) = std::env::var_os("BBB_MIGRATE_PLUGIN_PATH") {
        dirs.extend(std::env::split_paths(&env).filter(|p| !p.as_os_str().is_empty()));
    }
    let exe = std::env::current_exe().ok();
    if let Some(exe_dir) = exe.as_ref().and_then(|e| e.parent().map(Path::to_path_buf)) {
        dirs.push(exe_dir);
    }
    dirs.extend(exe.as_deref().and_then(system_dir_for));
    let mut seen = Vec::new();
    dirs.retain(|d| {
        let c = d.canonicalize().unwrap_or_else(|_| d.clone());
        if seen.contains(&c) {
            false
        } else {
            seen.push(c);
            true
        }
    });
    dirs
}

/// The package's plugin folder, for an executable installed under `/usr`.
pub fn system_dir_for(exe: &Path) -> Option<PathBuf> {
    exe.starts_with("/usr").then(|| PathBuf::from(SYSTEM_PLUGIN_DIR))
}

/// Plugin files in a folder: `lib*.so` (Linux), `*.dylib`, `*.dll`, sorted.
pub fn plugin_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            (name.starts_with("lib") && name.ends_with(".so")) || name.ends_with(".dylib") || name.ends_with(".dll")
        })
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_folder_is_searched_by_the_installed_binary_only() {
        assert_eq!(system_dir_for(Path::new("/usr/bin/bbb-migrate")), Some(PathBuf::from(SYSTEM_PLUGIN_DIR)));
        assert_eq!(system_dir_for(Path::new("/home/me/bbb-migrate/target/debug/bbb-migrate")), None);
        let dirs = search_dirs(&[PathBuf::from("/tmp/cli-dir")], &[]);
        assert_eq!(dirs.first(), Some(&PathBuf::from("/tmp/cli-dir")));
        assert!(!dirs.contains(&PathBuf::from(SYSTEM_PLUGIN_DIR)), "a test binary is not installed");
    }
}
