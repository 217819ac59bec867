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

use plugin_api::export_plugin;
use plugin_api::sdk::{Component, Ctx, PluginDecl, SinkPlugin};
use plugin_api::PluginError;

pub use claim::ClaimDirSink;
pub use external::PodExternalSink;

pub struct Plugin;

impl PluginDecl for Plugin {
    const NAME: &'static str = "pod-sinks";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str =
        "Esup-Pod delivery: external recordings (with users) and the recorder claim directory";
    const COMPONENTS: &'static [Component] = &[
        Component::sink(
            "pod-external",
            "one Pod external recording (import_video) per recording and owner; missing users created",
        ),
        Component::sink(
            "claim-dir",
            "one video file per recording in a Pod recorder's directory, registered for manual claim",
        ),
    ];

    fn new_sink(type_name: &str, config: &str, ctx: Ctx) -> Result<Box<dyn SinkPlugin>, PluginError> {
        match type_name {
            "pod-external" => Ok(Box::new(PodExternalSink::new(config, ctx)?)),
            "claim-dir" => Ok(Box::new(ClaimDirSink::new(config, ctx)?)),
            other => Err(PluginError::new(
                plugin_api::ErrorKind::UNSUPPORTED,
                format!("this plugin has no sink named `{other}`"),
            )),
        }
    }
}

export_plugin!(Plugin);
