//! The listing between the sources and the sinks, kept on disk: every
//! listed recording is written once to an unlinked temporary file (as JSON,
//! the form the fleet's work queue already stores), and memory keeps only
//! what selection needs ([`Key`], about 200 bytes a recording). The
//! delivery reads each batch back just before resolving it, so memory holds
//! a few batches, not the server (100 000 recordings are ~1.8 KB each in
//! memory, ~1 KB each on disk).
use anyhow::{Context, Result};
use plugin_api::abi::Recording;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;

/// One listed recording: what selection looks at, and where the rest is.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub record_id: Box<str>,
    pub start_ms: i64,
    pub state: Box<str>,
    /// `bbb-origin-server-name`, if any.
    pub origin_server: Option<Box<str>>,
    /// The recording's JSON in the spool file.
    at: u64,
    len: u32,
}

/// The listing being written.
pub struct Spool {
    out: BufWriter<File>,
    file: File,
    end: u64,
}

impl Spool {
    /// A new spool in the temporary folder, unlinked at once (read through
    /// the open handle, gone when the run ends, killed or not).
    pub fn new() -> Result<Self> {
        let file = tempfile::tempfile()
            .with_context(|| format!("{}: cannot create the listing's spool file", std::env::temp_dir().display()))?;
        let out = BufWriter::with_capacity(1 << 16, file.try_clone()?);
        Ok(Spool { out, file, end: 0 })
    }

    /// Writes `r` and returns its key.
    pub fn push(&mut self, r: &Recording) -> Result<Key> {
        let json = serde_json::to_vec(r)?;
        self.out.write_all(&json).context("the listing's spool file")?;
        let key = Key {
            record_id: r.record_id.as_str().into(),
            start_ms: r.start_ms,
            state: r.state.as_str().into(),
            origin_server: r.origin_server().map(Into::into),
            at: self.end,
            len: u32::try_from(json.len()).context("a listed recording of 4 GiB")?,
        };
        self.end += json.len() as u64;
        Ok(key)
    }

    /// The complete listing, ready to be read back.
    pub fn finish(mut self) -> Result<Listing> {
        self.out.flush().context("the listing's spool file")?;
        drop(self.out);
        Ok(Listing { file: self.file })
    }
}

/// The complete listing: recordings read back by key, from any thread.
pub struct Listing {
    file: File,
}

impl Listing {
    /// The recordings of `keys`, in their order.
    pub fn read(&self, keys: &[Key]) -> Result<Vec<Recording>> {
        let mut buf = Vec::new();
        keys.iter()
            .map(|k| {
                buf.resize(k.len as usize, 0);
                self.file.read_exact_at(&mut buf, k.at).context("the listing's spool file")?;
                serde_json::from_slice(&buf).with_context(|| format!("{}: the listing's spool file", k.record_id))
            })
            .collect()
    }
}

/// What a run selected: the keys, in delivery order, and the listing behind them.
pub struct Selected {
    pub listing: Listing,
    pub keys: Vec<Key>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_api::abi::Playback;
    use plugin_api::abi_stable::std_types::Tuple2;

    fn rec(id: &str, start: i64) -> Recording {
        let mut r = Recording {
            record_id: id.into(),
            start_ms: start,
            name: "Лекция <A & B> \"q\"\n".into(),
            state: "published".into(),
            extra_json: r#"{"breakout_parentId":"p"}"#.into(),
            ..Default::default()
        };
        r.metadata.push(Tuple2("BBB-Origin-Server-Name".into(), "moodle.example.org".into()));
        r.metadata.push(Tuple2("bbb-context".into(), String::new().into()));
        r.playback.push(Playback { format: "video".into(), url: "https://x/v".into(), ..Default::default() });
        r
    }

    #[test]
    fn recordings_come_back_whole_in_the_keys_order() {
        let mut s = Spool::new().unwrap();
        let recs = [rec("a-1", 1), rec("b-2", 2), rec("c-3", 3)];
        let keys: Vec<Key> = recs.iter().map(|r| s.push(r).unwrap()).collect();
        assert_eq!(keys[0].origin_server.as_deref(), Some("moodle.example.org"));
        assert_eq!((&*keys[1].record_id, keys[1].start_ms, &*keys[1].state), ("b-2", 2, "published"));
        let listing = s.finish().unwrap();
        let picked = [keys[2].clone(), keys[0].clone()];
        assert_eq!(listing.read(&picked).unwrap(), [recs[2].clone(), recs[0].clone()]);
        assert!(listing.read(&[]).unwrap().is_empty());
    }
}
