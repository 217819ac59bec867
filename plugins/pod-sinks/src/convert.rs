//! Turning a presentation into a video file: the native renderer
//! (`bbb-migrate-render`) or an external command (bbb-recorder…), both
//! writing under a temporary name that is renamed only on success.
use crate::fetch::part_path;
use plugin_api::sdk::Ctx;
use plugin_api::PluginError;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `converter_command`: one line (split on blanks, `"…"`/`'…'` group) or a list of arguments.
#[derive(Deserialize, Clone, Debug)]
#[serde(untagged)]
pub enum CommandLine {
    Line(String),
    Argv(Vec<String>),
}

/// `audio`: the native renderer's sound track.
#[derive(Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Audio {
    /// AAC, which every player plays (default).
    #[default]
    Aac,
    /// The source's Opus, AAC or MP3 copied as it is (Vorbis still encoded to AAC).
    Keep,
}

impl From<Audio> for bbb_migrate_render::AudioMode {
    fn from(a: Audio) -> Self {
        match a {
            Audio::Aac => bbb_migrate_render::AudioMode::Aac,
            Audio::Keep => bbb_migrate_render::AudioMode::Keep,
        }
    }
}

pub struct ConverterConfig {
    pub converter: Option<String>,
    /// Native renderer: `sidecar` (default), `panel` or `off`.
    pub chat: Option<String>,
    /// Native renderer: `real` (default) or `anonymous`.
    pub chat_names: Option<String>,
    /// Native renderer: the sound track (default AAC).
    pub audio: Audio,
    pub command: Option<CommandLine>,
    pub extension: Option<String>,
    pub dir: Option<PathBuf>,
    pub timeout_s: Option<u64>,
    /// Longest native render, seconds (default: 2 × the recording's length + 30 min).
    pub render_timeout_s: Option<u64>,
    /// Extra trusted CA (PEM) for the native renderer's downloads.
    pub ca_file: Option<PathBuf>,
}

/// What a conversion produced.
#[derive(Debug, Default)]
pub struct Converted {
    pub size: u64,
    /// What the video does not show (native renderer: annotation types, missing files…).
    pub not_drawn: Vec<String>,
    /// Files written beside the video (captions, chat, shared notes).
    pub beside: Vec<String>,
}

pub enum Converter {
    None,
    Native {
        timeout_s: Option<u64>,
        ca_file: Option<PathBuf>,
        chat: bbb_migrate_render::ChatMode,
        chat_names: bbb_migrate_render::ChatNames,
        audio: bbb_migrate_render::AudioMode,
    },
    Command {
        argv: Vec<String>,
        ext: String,
        dir: Option<PathBuf>,
        timeout_s: Option<u64>,
    },
}

/// Splits a command line like a shell would for plain words and quotes (no
/// variables, globs or escapes: nothing is ever run through a shell).
pub fn split_command(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("unclosed quote".into());
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

/// Each argument with `{url}`, `{file}` and `{record_id}` replaced (an
/// argument stays one argument whatever the values contain).
pub fn substitute(argv: &[String], url: &str, file: &str, record_id: &str) -> Vec<String> {
    argv.iter().map(|a| a.replace("{url}", url).replace("{file}", file).replace("{record_id}", record_id)).collect()
}

/// The `chat` and `chat_names` settings (defaults `sidecar`, `real`).
pub fn chat_settings(
    chat: Option<&str>,
    names: Option<&str>,
) -> Result<(bbb_migrate_render::ChatMode, bbb_migrate_render::ChatNames), PluginError> {
    use bbb_migrate_render::{ChatMode, ChatNames};
    let chat = match chat.unwrap_or("sidecar") {
        "sidecar" => ChatMode::Sidecar,
        "panel" => ChatMode::Panel,
        "off" => ChatMode::Off,
        other => {
            return Err(PluginError::config("chat", format!("chat `{other}`: use \"sidecar\", \"panel\" or \"off\"")))
        }
    };
    let names = match names.unwrap_or("real") {
        "real" => ChatNames::Real,
        "anonymous" => ChatNames::Anonymous,
        other => {
            return Err(PluginError::config(
                "chat_names",
                format!("chat_names `{other}`: use \"real\" or \"anonymous\""),
            ))
        }
    };
    Ok((chat, names))
}

/// What the `video` format publishes beside a downloaded video: its captions, muxed into
/// the file as subtitle tracks and kept as `.vtt` sidecars, and its chat as sidecars
/// (`bbb_migrate_render::keep_video_extras_url`).
pub struct VideoExtras {
    pub chat: bbb_migrate_render::ChatMode,
    pub chat_names: bbb_migrate_render::ChatNames,
    pub ca_file: Option<PathBuf>,
}

impl VideoExtras {
    /// Keeps the extras of the video downloaded from `url` to `path`; returns the file's
    /// size after muxing, what it lacks and the files written beside it.
    pub async fn keep(&self, url: &str, path: &Path) -> Result<Converted, String> {
        let folder = match url.split(['?', '#']).next().unwrap_or(url).rsplit_once('/') {
            Some((folder, _)) => format!("{folder}/"),
            None => return Err(format!("{url}: not a file URL")),
        };
        let (out, ca) = (path.to_path_buf(), self.ca_file.clone());
        let opts =
            bbb_migrate_render::RenderOptions { chat: self.chat, chat_names: self.chat_names, ..Default::default() };
        let report = tokio::task::spawn_blocking(move || {
            bbb_migrate_render::keep_video_extras_url(&folder, &out, &opts, ca.as_deref())
        })
        .await
        .map_err(|e| format!("captions and chat: stopped: {e}"))?
        .map_err(|e| format!("captions and chat: {e}"))?;
        Ok(Converted {
            size: report.output_size,
            not_drawn: report.not_drawn,
            beside: report.sidecars.iter().map(|f| f.display().to_string()).collect(),
        })
    }
}

impl Converter {
    pub fn from_config(c: ConverterConfig, ctx: &Ctx) -> Result<Self, PluginError> {
        let kind = match (c.converter.as_deref(), &c.command) {
            (None, None) => "none",
            (None, Some(_)) => "command",
            (Some(k), _) => k,
        };
        match kind {
            "none" => {
                if c.command.is_some() {
                    return Err(PluginError::config(
                        "converter_command",
                        "converter = \"none\" but converter_command is set",
                    ));
                }
                Ok(Converter::None)
            }
            "native" => {
                if c.command.is_some() {
                    return Err(PluginError::config(
                        "converter_command",
                        "converter = \"native\" does not use converter_command; remove one of them",
                    ));
                }
                let (chat, chat_names) = chat_settings(c.chat.as_deref(), c.chat_names.as_deref())?;
                let audio = c.audio.into();
                Ok(Converter::Native { timeout_s: c.render_timeout_s, ca_file: c.ca_file, chat, chat_names, audio })
            }
            "command" => {
                let argv = match c.command {
                    None => {
                        return Err(PluginError::config(
                            "converter_command",
                            "converter = \"command\" needs converter_command, e.g. \"node export.js {url} {file}\"",
                        ))
                    }
                    Some(CommandLine::Line(l)) => split_command(&l)
                        .map_err(|e| PluginError::config("converter_command", format!("converter_command: {e}")))?,
                    Some(CommandLine::Argv(v)) => v,
                };
                if argv.first().map(|p| p.trim().is_empty()).unwrap_or(true) {
                    return Err(PluginError::config("converter_command", "converter_command is empty"));
                }
                if !argv.iter().any(|a| a.contains("{file}")) || !argv.iter().any(|a| a.contains("{url}")) {
                    return Err(PluginError::config(
                        "converter_command",
                        "converter_command must contain {url} (the presentation) and {file} (the output file)",
                    ));
                }
                let ext = c.extension.unwrap_or_else(|| "webm".into()).trim_start_matches('.').to_ascii_lowercase();
                if !crate::recorder::POD_VIDEO_EXTENSIONS.contains(&ext.as_str()) {
                    return Err(PluginError::config(
                        "converter_extension",
                        format!("converter_extension `{ext}` is not a video extension Pod picks up"),
                    ));
                }
                Ok(Converter::Command { argv, ext, dir: c.dir.map(|d| ctx.resolve_path(d)), timeout_s: c.timeout_s })
            }
            other => Err(PluginError::config(
                "converter",
                format!("converter `{other}`: use \"native\", \"command\" or \"none\""),
            )),
        }
    }

    /// The extension of the files this converter writes (`None`: no converter).
    pub fn extension(&self) -> Option<&str> {
        match self {
            Converter::None => None,
            Converter::Native { .. } => Some("mp4"),
            Converter::Command { ext, .. } => Some(ext),
        }
    }

    pub fn verb(&self) -> &'static str {
        match self {
            Converter::Native { .. } => "render",
            _ => "convert",
        }
    }

    /// What the converter is given: the published files' base URL for the
    /// native renderer, the playback URL for a command (bbb-recorder).
    pub fn input_url(&self, playback_url: &str, record_id: &str) -> Result<String, String> {
        match self {
            Converter::Native { .. } => crate::recorder::presentation_base(playback_url, record_id)
                .ok_or_else(|| format!("presentation playback URL `{playback_url}` has no host")),
            _ => Ok(playback_url.to_string()),
        }
    }

    /// Converts `url` into `final_path`; returns its size and, for the native renderer,
    /// what the video does not show and the files written beside it.
    pub async fn run(
        &self,
        url: &str,
        record_id: &str,
        final_path: &Path,
        duration_s: i64,
    ) -> Result<Converted, String> {
        match self {
            Converter::None => Err("no converter configured".into()),
            Converter::Native { timeout_s, ca_file, chat, chat_names, audio } => {
                let (url, out, ca) = (url.to_string(), final_path.to_path_buf(), ca_file.clone());
                let limit = Duration::from_secs(timeout_s.unwrap_or(2 * duration_s.max(0) as u64 + 1800));
                let (chat, chat_names, audio) = (*chat, *chat_names, *audio);
                let report = tokio::task::spawn_blocking(move || {
                    let opts = bbb_migrate_render::RenderOptions {
                        timeout: Some(limit),
                        chat,
                        chat_names,
                        audio,
                        ..Default::default()
                    };
                    bbb_migrate_render::render_url_trusting(&url, &out, &opts, ca.as_deref())
                })
                .await
                .map_err(|e| format!("renderer stopped: {e}"))?
                .map_err(|e| {
                    let e = e.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
                    if e.contains("render_timeout_s") {
                        format!("native renderer: {e} ({} s)", limit.as_secs())
                    } else {
                        format!("native renderer: {e}")
                    }
                })?;
                Ok(Converted {
                    size: report.output_size,
                    not_drawn: report.not_drawn,
                    beside: report.sidecars.iter().map(|f| f.display().to_string()).collect(),
                })
            }
            Converter::Command { argv, dir, timeout_s, .. } => {
                let tmp = part_path(final_path);
                let _ = tokio::fs::remove_file(&tmp).await;
                let args = substitute(argv, url, &tmp.to_string_lossy(), record_id);
                let mut cmd = tokio::process::Command::new(&args[0]);
                cmd.args(&args[1..])
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .kill_on_drop(true);
                if let Some(d) = dir {
                    cmd.current_dir(d);
                }
                let limit = Duration::from_secs(timeout_s.unwrap_or(2 * duration_s.max(0) as u64 + 1800));
                let child = cmd.spawn().map_err(|e| format!("converter `{}`: cannot start: {e}", args[0]))?;
                let out = match tokio::time::timeout(limit, child.wait_with_output()).await {
                    Ok(r) => r.map_err(|e| format!("converter `{}`: {e}", args[0]))?,
                    Err(_) => {
                        let _ = tokio::fs::remove_file(&tmp).await;
                        return Err(format!("converter `{}`: no result after {} s; stopped", args[0], limit.as_secs()));
                    }
                };
                if !out.status.success() {
                    let _ = tokio::fs::remove_file(&tmp).await;
                    let text = String::from_utf8_lossy(&out.stderr);
                    let last: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
                    let last = last[last.len().saturating_sub(2)..].join("; ");
                    return Err(format!(
                        "converter `{}` failed ({}): {}",
                        args[0],
                        out.status,
                        if last.is_empty() { "no message" } else { &last }
                    ));
                }
                let size = tokio::fs::metadata(&tmp).await.map(|m| m.len()).unwrap_or(0);
                if size == 0 {
                    let _ = tokio::fs::remove_file(&tmp).await;
                    return Err(format!("converter `{}` exited 0 but wrote nothing to {{file}}", args[0]));
                }
                tokio::fs::rename(&tmp, final_path).await.map_err(|e| format!("{}: {e}", final_path.display()))?;
                Ok(Converted { size, ..Default::default() })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_substitutes_without_a_shell() {
        let argv = split_command("node 'export.js' {url}  \"out dir/{file}\"").unwrap();
        assert_eq!(argv, ["node", "export.js", "{url}", "out dir/{file}"]);
        let url = "https://h/p?a=1&b=$(rm -rf ~) x";
        assert_eq!(substitute(&argv, url, "/d/f.webm.part", "r"), ["node", "export.js", url, "out dir//d/f.webm.part"]);
        assert!(split_command("a 'b").is_err());
        assert_eq!(split_command("a '' b").unwrap(), ["a", "", "b"]);
    }
}
