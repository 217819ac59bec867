//! Progress: on a terminal, a bar with the per-sink rates and the ETA; otherwise
//! a plain line every `BBB_MIGRATE_PROGRESS_SECS` seconds (default 10) and at the
//! end, logged under the target `bbb_migrate::progress` (so `--log-format json`
//! turns it into JSON too). `--quiet` shows neither.
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Progress {
    bar: Option<ProgressBar>,
    lines: bool,
    every: Duration,
    done: AtomicU64,
    total: AtomicU64,
    started: Mutex<Option<Instant>>,
    last_line: Mutex<Option<Instant>>,
    /// (sink, recordings handled this run)
    sinks: Mutex<Vec<(String, u64)>>,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new(false)
    }
}

/// `1h02m`, `3m05s`, `42s`.
pub fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// The status text: overall rate, ETA, per-sink rates.
pub fn status_text(done: u64, total: u64, elapsed: Duration, sinks: &[(String, u64)]) -> String {
    let secs = elapsed.as_secs_f64().max(0.001);
    let rate = done as f64 / secs;
    let eta = if done > 0 && total > done {
        fmt_duration(Duration::from_secs_f64((total - done) as f64 / rate))
    } else if total > 0 && done >= total {
        "0s".into()
    } else {
        "?".into()
    };
    let per: Vec<String> = sinks.iter().map(|(s, n)| format!("{s} {:.1}/s", *n as f64 / secs)).collect();
    format!("{done}/{total} recordings, {rate:.1}/s, ETA {eta}; sinks: {}", per.join(", "))
}

impl Progress {
    pub fn new(quiet: bool) -> Self {
        let terminal = !quiet && std::io::stderr().is_terminal();
        let bar = terminal.then(|| {
            let b = ProgressBar::new_spinner();
            b.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} ETA {eta} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        });
        let every = std::env::var("BBB_MIGRATE_PROGRESS_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
        Self {
            bar,
            lines: !quiet && !terminal,
            every: Duration::from_secs(every),
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
            started: Mutex::new(None),
            last_line: Mutex::new(None),
            sinks: Mutex::new(Vec::new()),
        }
    }

    pub fn message(&self, msg: &str) {
        match &self.bar {
            Some(b) => b.set_message(msg.to_string()),
            None => tracing::debug!("{msg}"),
        }
    }

    pub fn start(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        *self.started.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        *self.last_line.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        if let Some(b) = &self.bar {
            b.set_length(total);
            b.set_message("delivering");
        }
    }

    /// The recordings each sink has handled so far in this run.
    pub fn sinks<'a>(&self, counts: impl IntoIterator<Item = (&'a str, usize)>) {
        *self.sinks.lock().unwrap_or_else(|p| p.into_inner()) =
            counts.into_iter().map(|(s, n)| (s.to_string(), n as u64)).collect();
    }

    fn status(&self) -> String {
        let elapsed = self.started.lock().unwrap_or_else(|p| p.into_inner()).map(|t| t.elapsed()).unwrap_or_default();
        let sinks = self.sinks.lock().unwrap_or_else(|p| p.into_inner()).clone();
        status_text(self.done.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed), elapsed, &sinks)
    }

    pub fn inc(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.inc(n);
            let sinks = self.sinks.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let elapsed = b.elapsed().as_secs_f64().max(0.001);
            let per: Vec<String> = sinks.iter().map(|(s, n)| format!("{s} {:.1}/s", *n as f64 / elapsed)).collect();
            b.set_message(per.join(" "));
        } else if self.lines {
            let mut last = self.last_line.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_none_or(|t| t.elapsed() >= self.every) {
                *last = Some(Instant::now());
                tracing::info!(target: "bbb_migrate::progress", "{}", self.status());
            }
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        } else if self.lines && self.total.load(Ordering::Relaxed) > 0 {
            tracing::info!(target: "bbb_migrate::progress", "{}", self.status());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_has_rates_and_eta() {
        let s = status_text(50, 150, Duration::from_secs(10), &[("csv".into(), 50), ("pod".into(), 20)]);
        assert_eq!(s, "50/150 recordings, 5.0/s, ETA 20s; sinks: csv 5.0/s, pod 2.0/s");
        assert!(status_text(0, 10, Duration::from_secs(1), &[]).contains("ETA ?"));
        assert_eq!(fmt_duration(Duration::from_secs(3725)), "1h02m");
        assert_eq!(fmt_duration(Duration::from_secs(185)), "3m05s");
    }
}
