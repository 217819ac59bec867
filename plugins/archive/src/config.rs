//! The sink's settings (the `[[sinks]]` table of type `archive`).
use plugin_api::sdk::Secret;
use plugin_api::PluginError;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// A folder (absolute, or relative to the pipeline file) or `s3://bucket[/prefix]`.
    pub target: String,
    /// S3 only: the endpoint (`http://127.0.0.1:9000`); empty = AWS.
    #[serde(default)]
    pub endpoint: String,
    #[serde(default = "default_region")]
    pub region: String,
    #[serde(default)]
    pub access_key_id: Option<Secret>,
    #[serde(default)]
    pub secret_access_key: Option<Secret>,
    /// Recording states archived; a recording in another state is skipped (said per recording).
    #[serde(default = "default_states")]
    pub states: Vec<String>,
    /// Formats archived (default: every published format).
    #[serde(default)]
    pub formats: Option<Vec<String>>,
    /// Files transferred at the same time, all recordings of a batch together (1..64).
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Total bandwidth cap in megabits per second; 0 = none.
    #[serde(default)]
    pub max_mbps: f64,
    /// Resumed attempts per file within a run.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Connect timeout and longest silence of a transfer, seconds.
    #[serde(default = "default_timeout")]
    pub http_timeout_s: u64,
    /// Space left free on a folder target after a recording (bytes).
    #[serde(default = "default_min_free")]
    pub min_free_bytes: u64,
    /// `reread` (default): each stored file is read back and its SHA-256 compared before it
    /// counts as verified; `size`: the size and the SHA-256 computed while streaming only.
    #[serde(default = "default_verify")]
    pub verify: String,
    /// Also store the MP4 of the presentation rendered by the native renderer.
    #[serde(default)]
    pub render: bool,
    /// Where per-recording progress is kept between runs (default: `<folder>/.archive-work`,
    /// or `<pipeline dir>/<sink name>.archive-work` for S3).
    #[serde(default)]
    pub work_dir: Option<String>,
}

fn default_region() -> String {
    "us-east-1".into()
}
fn default_states() -> Vec<String> {
    vec!["published".into()]
}
fn default_concurrency() -> usize {
    8
}
fn default_retries() -> u32 {
    3
}
fn default_timeout() -> u64 {
    60
}
fn default_min_free() -> u64 {
    1 << 30
}
fn default_verify() -> String {
    "reread".into()
}

impl Settings {
    /// The settings the SDK decoded, checked beyond their types.
    pub fn checked(self) -> Result<Settings, PluginError> {
        let s = self;
        if !(1..=64).contains(&s.concurrency) {
            return Err(PluginError::config("concurrency", "must be between 1 and 64"));
        }
        if !(s.max_mbps >= 0.0 && s.max_mbps.is_finite()) {
            return Err(PluginError::config("max_mbps", "must be a number ≥ 0 (0 = no limit)"));
        }
        if !matches!(s.verify.as_str(), "reread" | "size") {
            return Err(PluginError::config("verify", "must be \"reread\" or \"size\""));
        }
        if s.target.trim().is_empty() {
            return Err(PluginError::config("target", "must be a folder or s3://bucket[/prefix]"));
        }
        if let Some(f) = &s.formats {
            if let Some(bad) = f.iter().find(|f| !crate::discover::href::is_safe_name(f)) {
                return Err(PluginError::config("formats", format!("`{bad}` is not a format name")));
            }
        }
        Ok(s)
    }

    pub fn reread(&self) -> bool {
        self.verify == "reread"
    }

    pub fn wants_format(&self, f: &str) -> bool {
        self.formats.as_ref().is_none_or(|l| l.iter().any(|x| x == f))
    }
}
