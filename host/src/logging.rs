//! Logs on stderr, for a person (`--log-format text`) or for a log stack
//! (`--log-format json`: one object per line with `time`, `level`, `target`,
//! `record_id`, `component`, `message`). `-v`/`-vv` or `RUST_LOG` choose the
//! level; `--quiet` keeps errors only. Progress lines (target
//! `bbb_migrate::progress`) are shown at the default level.
use std::fmt::Write as _;
use std::io::Write as _;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// The level filter for the options (`RUST_LOG` wins when set).
pub fn filter_spec(verbose: u8, quiet: bool) -> &'static str {
    match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn,bbb_migrate::progress=info",
        (false, 1) => "info",
        _ => "debug",
    }
}

pub fn init(verbose: u8, quiet: bool, format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter_spec(verbose, quiet)));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Text => {
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let layer =
                tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_target(false).with_ansi(ansi);
            registry.with(layer).try_init()
        }
        LogFormat::Json => registry.with(JsonLines).try_init(),
    };
}

/// One JSON object per event, on stderr.
pub struct JsonLines;

#[derive(Default)]
struct Fields {
    message: String,
    record_id: Option<String>,
    component: Option<String>,
    /// Any other field, `key=value`, appended to the message.
    rest: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_string(),
            "record_id" => self.record_id = Some(value.to_string()),
            "component" => self.component = Some(value.to_string()),
            other => {
                let _ = write!(self.rest, " {other}={value}");
            }
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            let text = format!("{value:?}");
            self.record_str(field, text.trim_matches('"'));
        }
    }
}

/// The JSON line for one event (without the newline).
pub fn json_line(level: &str, target: &str, record_id: Option<&str>, component: Option<&str>, message: &str) -> String {
    serde_json::json!({
        "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "level": level,
        "target": target,
        "record_id": record_id,
        "component": component,
        "message": message,
    })
    .to_string()
}

impl<S: Subscriber> Layer<S> for JsonLines {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut f = Fields::default();
        event.record(&mut f);
        let meta = event.metadata();
        let message = format!("{}{}", f.message, f.rest);
        let line = json_line(
            &meta.level().to_string().to_ascii_lowercase(),
            meta.target(),
            f.record_id.as_deref(),
            f.component.as_deref(),
            &message,
        );
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_line_has_the_six_keys_and_escapes_the_message() {
        let l = json_line("warn", "bbb_migrate::engine", Some("abc-1"), Some("csv"), "a \"quoted\"\nline");
        assert!(!l.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        assert_eq!(v["level"], "warn");
        assert_eq!(v["record_id"], "abc-1");
        assert_eq!(v["component"], "csv");
        assert_eq!(v["message"], "a \"quoted\"\nline");
        assert!(v["time"].as_str().unwrap().ends_with('Z'));
        assert_eq!(v.as_object().unwrap().len(), 6);
    }

    #[test]
    fn quiet_keeps_errors_only() {
        assert_eq!(filter_spec(2, true), "error");
        assert!(filter_spec(0, false).contains("progress=info"));
    }
}
