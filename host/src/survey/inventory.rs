//! The inventory: what the sources hold, counted as recordings stream by
//! (nothing is kept per recording, so 100 000 recordings cost a few maps).
use plugin_api::abi::Recording;
use serde::Serialize;
use std::collections::BTreeMap;

/// The renderer's measured speed for a full composite (slides, annotations,
/// cursor, screen share, webcams, audio): 19–20× real time on 2 cores
/// (`crates/render/README.md`, benchmark). The lower figure, to promise little.
pub const RENDER_SPEED_X: f64 = 19.0;

/// Count, hours and bytes of a group of recordings or playbacks.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Tally {
    pub recordings: u64,
    /// Sum of the durations, in hours.
    pub hours: f64,
    /// Sum of the sizes the server reported (0 when it does not say).
    pub bytes: u64,
    /// How many of them had no size.
    pub unknown_size: u64,
}

impl Tally {
    fn add(&mut self, seconds: f64, bytes: u64) {
        self.recordings += 1;
        self.hours += seconds / 3600.0;
        self.bytes += bytes;
        self.unknown_size += u64::from(bytes == 0);
    }
}

/// Who would own the recordings of one origin server (`--resolve`).
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Attribution {
    /// Resolver name → recordings it would attribute.
    pub by_resolver: BTreeMap<String, u64>,
    /// Recordings no resolver knows: they would go to the fallback owner.
    pub fallback: u64,
    /// Recordings a resolver could not answer for (database down…).
    pub failed: u64,
}

/// Everything `survey` reports.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Inventory {
    pub total: Tally,
    /// Recordings a source refused (hostile id, broken entry).
    pub rejected: u64,
    /// Listed twice (by two sources, or twice by one): counted once.
    pub duplicates: u64,
    pub per_source: BTreeMap<String, Tally>,
    /// `bbb-origin` (Moodle, Greenlight…); `(none)` when absent.
    pub per_origin: BTreeMap<String, Tally>,
    /// `bbb-origin-server-name`; `(none)` when absent.
    pub per_origin_server: BTreeMap<String, Tally>,
    /// Start year (UTC).
    pub per_year: BTreeMap<String, Tally>,
    pub per_state: BTreeMap<String, Tally>,
    /// Per playback format: hours from the format's own length, bytes from its size.
    pub per_format: BTreeMap<String, Tally>,
    /// Recordings with a presentation and no video format: the renderer must draw them.
    pub to_render: Tally,
    /// Estimated render time of `to_render`, in hours, at [`RENDER_SPEED_X`].
    pub render_hours: f64,
    pub render_speed_x: f64,
    /// Origin servers the resolvers route (a `databases` key or `default`).
    pub routed_servers: Vec<String>,
    /// Origin servers seen that no resolver routes, with how many recordings.
    pub unrouted_servers: BTreeMap<String, u64>,
    /// `--resolve`: per origin server.
    pub attribution: BTreeMap<String, Attribution>,
    pub resolved: bool,
}

pub const NONE: &str = "(none)";

/// Lower case, no trailing dot, no `:port`: how resolvers compare server names.
pub fn server_key(s: &str) -> String {
    let s = s.trim().to_ascii_lowercase();
    let host = match s.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => s.as_str(),
    };
    host.trim_end_matches('.').to_string()
}

fn year(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y").to_string()).unwrap_or_else(|| NONE.into())
}

impl Inventory {
    /// Counts one recording.
    pub fn add(&mut self, r: &Recording) {
        let secs = r.duration_s() as f64;
        let bytes: u64 = if r.size > 0 { r.size } else { r.playback.iter().map(|p| p.size_bytes).sum() };
        let key = |v: Option<&str>| v.unwrap_or(NONE).to_string();
        self.total.add(secs, bytes);
        self.per_source.entry(r.source.to_string()).or_default().add(secs, bytes);
        self.per_origin.entry(key(r.origin())).or_default().add(secs, bytes);
        self.per_origin_server.entry(key(r.origin_server().map(server_key).as_deref())).or_default().add(secs, bytes);
        self.per_year.entry(year(r.start_ms)).or_default().add(secs, bytes);
        self.per_state.entry(r.state.to_string()).or_default().add(secs, bytes);
        for p in r.playback.iter() {
            let len = if p.length_min > 0 { f64::from(p.length_min) * 60.0 } else { secs };
            self.per_format.entry(p.format.to_string()).or_default().add(len, p.size_bytes);
        }
        let has = |f: &str| r.playback.iter().any(|p| p.format.as_str() == f);
        if has("presentation") && !has("video") {
            self.to_render.add(secs, 0);
            self.render_hours += secs / 3600.0 / RENDER_SPEED_X;
        }
        if let Some(s) = r.origin_server().map(server_key) {
            if !self.routed_servers.iter().any(|k| k == &s || k == "default") {
                *self.unrouted_servers.entry(s).or_default() += 1;
            }
        }
    }

    /// Counts who would own `r` (`--resolve`): a resolver's name, `None` for
    /// the fallback, `Err` when a resolver failed.
    pub fn attribute(&mut self, r: &Recording, by: Result<Option<&str>, ()>) {
        let a = self.attribution.entry(r.origin_server().map(server_key).unwrap_or_else(|| NONE.into())).or_default();
        match by {
            Ok(Some(name)) => *a.by_resolver.entry(name.to_string()).or_default() += 1,
            Ok(None) => a.fallback += 1,
            Err(()) => a.failed += 1,
        }
    }

    /// The `[resolvers.databases]` block to paste for the servers nobody routes.
    pub fn databases_block(&self) -> String {
        if self.unrouted_servers.is_empty() {
            return String::new();
        }
        let mut s = String::from(
            "# Origin servers no resolver routes yet. Paste under the resolver that knows them\n\
             # (moodle: each Moodle site's database) and fill in each URL; put the password in the\n\
             # environment and write it as USER:${ITS_VARIABLE} (mysql://… or postgres://…).\n\
             [resolvers.databases]\n",
        );
        for (server, n) in &self.unrouted_servers {
            s.push_str(&format!(
                "\"{}\" = \"mysql://USER@HOST/DATABASE\"   # {n} recording(s)\n",
                server.replace(['"', '\\'], "")
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_api::abi::Playback;
    use plugin_api::abi_stable::std_types::Tuple2;

    fn rec(server: &str, start_ms: i64, secs: i64, formats: &[(&str, u32, u64)]) -> Recording {
        let mut r = Recording {
            record_id: format!("r{start_ms}").into(),
            start_ms,
            end_ms: start_ms + secs * 1000,
            state: "published".into(),
            source: "old".into(),
            ..Default::default()
        };
        r.metadata.push(Tuple2("bbb-origin".into(), "Moodle".into()));
        if !server.is_empty() {
            r.metadata.push(Tuple2("bbb-origin-server-name".into(), server.into()));
        }
        for (f, len, size) in formats {
            r.playback.push(Playback {
                format: (*f).into(),
                length_min: *len,
                size_bytes: *size,
                ..Default::default()
            });
        }
        r
    }

    #[test]
    fn counts_per_group_format_render_and_routing() {
        let mut inv = Inventory { routed_servers: vec!["moodle.univ.fr".into()], ..Default::default() };
        // 2021-01-01 and 2022-06-01 (UTC)
        inv.add(&rec("Moodle.Univ.fr.", 1_609_459_200_000, 3600, &[("presentation", 60, 0), ("video", 60, 500)]));
        inv.add(&rec("moodle2.univ.fr:443", 1_654_041_600_000, 1800, &[("presentation", 30, 0)]));
        inv.add(&rec("", 1_654_041_600_000, 7200, &[("presentation", 0, 0)]));
        assert_eq!(inv.total.recordings, 3);
        assert!((inv.total.hours - 3.5).abs() < 1e-9);
        assert_eq!(inv.per_year["2021"].recordings, 1);
        assert_eq!(inv.per_year["2022"].recordings, 2);
        assert_eq!(inv.per_origin_server["moodle.univ.fr"].recordings, 1);
        assert_eq!(inv.per_origin_server[NONE].recordings, 1);
        assert_eq!(inv.per_format["presentation"].recordings, 3);
        // length 0 → the recording's duration
        assert!((inv.per_format["presentation"].hours - 3.5).abs() < 1e-9);
        assert_eq!(inv.per_format["video"].bytes, 500);
        assert_eq!(inv.to_render.recordings, 2);
        assert!((inv.render_hours - 2.5 / RENDER_SPEED_X).abs() < 1e-9);
        assert_eq!(inv.unrouted_servers.keys().collect::<Vec<_>>(), ["moodle2.univ.fr"]);
        let block = inv.databases_block();
        assert!(block.contains("[resolvers.databases]\n\"moodle2.univ.fr\" = "), "{block}");
        let parsed: toml::Table = toml::from_str(&block).expect("the block is valid TOML");
        assert!(parsed["resolvers"]["databases"].get("moodle2.univ.fr").is_some());
    }

    #[test]
    fn a_default_database_routes_every_server() {
        let mut inv = Inventory { routed_servers: vec!["default".into()], ..Default::default() };
        inv.add(&rec("x.univ.fr", 0, 10, &[]));
        assert!(inv.unrouted_servers.is_empty() && inv.databases_block().is_empty());
    }
}
