//! Sink plugins delivering BigBlueButton recordings to Esup-Pod:
//!
//! * `pod-external` — one `import_video_externalrecording` row per recording
//!   and owner ("My external videos"), Pod users created when missing; one
//!   transaction per batch, one savepoint per recording; PostgreSQL and MariaDB.
//! * `claim-dir` — one video file per recording in a Pod recorder's directory
//!   (downloaded, resumable and atomic, or converted from the presentation),
//!   registered as a `recorder_recordingfiletreatment` row for manual claim.
//!
//! Both are idempotent by natural key ((source_url, owner) and the file path)
//! and write nothing in `--dry-run`. See README.md.

pub mod claim;
pub mod claim_undo;
pub mod convert;
pub mod external;
pub mod external_undo;
pub mod fetch;
pub mod filelock;
pub mod pod;
pub mod recorder;

use plugin_api::export_plugin;
use plugin_api::sdk::{Component, PluginDecl};

pub use claim::ClaimDirSink;
pub use external::PodExternalSink;

pub struct Plugin;

impl PluginDecl for Plugin {
    const NAME: &'static str = "pod-sinks";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Esup-Pod delivery: external recordings (with users) and the recorder claim directory";
    const COMPONENTS: &'static [Component] = &[Component::sink::<PodExternalSink>(), Component::sink::<ClaimDirSink>()];
}

export_plugin!(Plugin);
