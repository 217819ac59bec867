//! The data that flows through the pipeline: recordings, owners, outcomes.
use abi_stable::{
    std_types::{RString, RVec, Tuple2},
    StableAbi,
};
use serde::{Deserialize, Serialize};

/// serde for `metadata` (abi_stable's `Tuple2` has none): a list of pairs.
mod pairs {
    use abi_stable::std_types::{RString, RVec, Tuple2};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    pub fn serialize<S: Serializer>(v: &RVec<Tuple2<RString, RString>>, s: S) -> Result<S::Ok, S::Error> {
        let pairs: Vec<(&str, &str)> = v.iter().map(|t| (t.0.as_str(), t.1.as_str())).collect();
        pairs.serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<RVec<Tuple2<RString, RString>>, D::Error> {
        let pairs: Vec<(String, String)> = Vec::deserialize(d)?;
        Ok(pairs.into_iter().map(|(k, v)| Tuple2(k.into(), v.into())).collect())
    }
}

/// One playback format of a recording (`presentation`, `video`, `podcast`, …).
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct Playback {
    /// The format's `<type>`, kept verbatim (unknown types are kept too).
    pub format: RString,
    pub url: RString,
    /// `<length>`, in minutes as BBB reports it.
    pub length_min: u32,
    /// `<size>` in bytes, 0 when the server does not say.
    pub size_bytes: u64,
    pub processing_time_ms: u64,
    /// Anything else the source knows (preview images, resolved download URL…), as JSON.
    pub extra_json: RString,
}

/// A BigBlueButton recording, as listed by a source.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct Recording {
    pub record_id: RString,
    pub meeting_id: RString,
    pub internal_meeting_id: RString,
    pub name: RString,
    /// Milliseconds since the Unix epoch.
    pub start_ms: i64,
    pub end_ms: i64,
    /// `published`, `unpublished`, `deleted`, `processing`, `available`, …
    pub state: RString,
    pub published: bool,
    pub is_breakout: bool,
    pub participants: u32,
    pub raw_size: u64,
    pub size: u64,
    /// Every `<metadata>` child, in document order, keys verbatim.
    #[serde(with = "pairs")]
    pub metadata: RVec<Tuple2<RString, RString>>,
    pub playback: RVec<Playback>,
    /// The name of the source component that listed it (set by the host).
    pub source: RString,
    /// Anything else (breakout parent, Scalelite `protected`, …), as JSON.
    pub extra_json: RString,
}

/// A recording a source had to reject (a hostile recordID, a broken entry):
/// reported and journaled as failed, the rest of the run goes on.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Default)]
pub struct Rejected {
    pub record_id: RString,
    pub message: RString,
}

/// What `Source::next_batch` yields.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Default)]
pub struct SourceBatch {
    pub recordings: RVec<Recording>,
    pub rejected: RVec<Rejected>,
}

/// Someone who owns a recording.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Owner {
    pub username: RString,
    pub email: RString,
    pub first_name: RString,
    pub last_name: RString,
    /// Component name of the resolver that found it (`fallback` for the admin).
    pub resolver: RString,
    /// Why, e.g. `activity 119 course 4 creator` (the resolver's name is in
    /// `resolver`: sinks show `<resolver>: <reason>`, so no prefix here).
    pub reason: RString,
    /// `false` for secondary owners (co-moderators, shared access).
    pub primary: bool,
    pub extra_json: RString,
}

/// The answer of a resolver for one recording.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ResolutionKind(pub u8);

impl ResolutionKind {
    /// Not mine or not found: the next resolver in the chain is asked.
    pub const UNKNOWN: Self = Self(0);
    /// Owners found (`owners` is not empty).
    pub const RESOLVED: Self = Self(1);
    /// The resolver could not answer (database down…): the recording fails
    /// this run and is retried next run; it does NOT fall back to the admin.
    pub const FAILED: Self = Self(2);
}

#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct Resolution {
    pub kind: ResolutionKind,
    pub owners: RVec<Owner>,
    /// A note for the report (why unknown, why failed).
    pub note: RString,
}

impl Resolution {
    pub fn unknown(note: impl Into<String>) -> Self {
        Self { kind: ResolutionKind::UNKNOWN, owners: RVec::new(), note: note.into().into() }
    }
    pub fn resolved(owners: Vec<Owner>) -> Self {
        Self { kind: ResolutionKind::RESOLVED, owners: owners.into(), note: RString::new() }
    }
    pub fn failed(note: impl Into<String>) -> Self {
        Self { kind: ResolutionKind::FAILED, owners: RVec::new(), note: note.into().into() }
    }
}

/// What a sink receives: a recording and who owns it.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SinkItem {
    pub recording: Recording,
    /// Never empty: the fallback owner when no resolver knew the recording.
    pub owners: RVec<Owner>,
    /// True when `owners` is the configured fallback.
    pub fallback: bool,
}

#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct OutcomeStatus(pub u8);

impl OutcomeStatus {
    /// Written now.
    pub const DONE: Self = Self(0);
    /// Nothing to do (already there, not applicable).
    pub const SKIPPED: Self = Self(1);
    /// Could not be written; `retryable` says whether a re-run may succeed.
    pub const FAILED: Self = Self(2);
    /// Dry run: `detail` says what would be written.
    pub const PLANNED: Self = Self(3);

    pub fn label(self) -> &'static str {
        match self {
            Self::DONE => "done",
            Self::SKIPPED => "skipped",
            Self::FAILED => "failed",
            Self::PLANNED => "planned",
            _ => "unknown",
        }
    }
}

/// A sink's report for one recording.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq)]
pub struct Outcome {
    pub record_id: RString,
    pub status: OutcomeStatus,
    /// One line for humans: what was (or would be) written, or why it failed.
    pub detail: RString,
    /// What was written, for the journal and the report (JSON, may be empty).
    pub data_json: RString,
    pub retryable: bool,
}

impl Outcome {
    fn make(record_id: &str, status: OutcomeStatus, detail: impl Into<String>) -> Self {
        Self {
            record_id: record_id.into(),
            status,
            detail: detail.into().into(),
            data_json: RString::new(),
            retryable: false,
        }
    }
    pub fn done(record_id: &str, detail: impl Into<String>) -> Self {
        Self::make(record_id, OutcomeStatus::DONE, detail)
    }
    pub fn skipped(record_id: &str, detail: impl Into<String>) -> Self {
        Self::make(record_id, OutcomeStatus::SKIPPED, detail)
    }
    pub fn planned(record_id: &str, detail: impl Into<String>) -> Self {
        Self::make(record_id, OutcomeStatus::PLANNED, detail)
    }
    /// A failure a later run may fix (network, lock, disk full).
    pub fn failed(record_id: &str, detail: impl Into<String>) -> Self {
        Self { retryable: true, ..Self::make(record_id, OutcomeStatus::FAILED, detail) }
    }
    /// A failure that will not go away by itself (bad data).
    pub fn failed_permanently(record_id: &str, detail: impl Into<String>) -> Self {
        Self::make(record_id, OutcomeStatus::FAILED, detail)
    }
    pub fn with_data(mut self, data: &serde_json::Value) -> Self {
        self.data_json = data.to_string().into();
        self
    }
}

/// What a sink declares about itself (plugin-api 1.1).
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Default)]
pub struct SinkCapabilities {
    /// Several workers (processes, machines) may write this sink at once.
    /// `false` (the default, and what a 1.0 plugin gets): the host lets one
    /// worker at a time write it (the CSV sink's single local file).
    pub shared_writers: bool,
    /// Room for later declarations, as JSON (may be empty).
    pub extra_json: RString,
}

/// What the host asks a sink to do with deliveries it journaled (plugin-api
/// 1.2, `Sink::lifecycle`). A `u8`, so operations can be added.
#[repr(transparent)]
#[derive(StableAbi, Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct LifecycleOp(pub u8);

impl LifecycleOp {
    /// Revert what the delivery wrote (its `data_json` says what), one
    /// transaction per delivery. `DONE`: reverted (the detail names what was
    /// kept, e.g. a user who logged in meanwhile); `SKIPPED`: nothing of it is
    /// left (already reverted, removed by someone else); `FAILED`: not
    /// reverted, stays delivered. Dry run: `PLANNED`, nothing written.
    pub const UNDO: Self = Self(1);
    /// Read-only: is the delivery still waiting for its owner (a Pod external
    /// recording not uploaded, a claim file not claimed)? `DONE`: yes, and
    /// `data_json` is `{"items": [{"username", "email", "first_name",
    /// "last_name", "kind", "what"}]}`; `SKIPPED`: no.
    pub const PENDING: Self = Self(2);
    /// The old servers are gone: remove what now points at them and nobody
    /// took over (`DONE`: removed, `SKIPPED`: kept or already gone). Idempotent.
    pub const RETIRE: Self = Self(3);

    pub const ALL: [Self; 3] = [Self::UNDO, Self::PENDING, Self::RETIRE];

    pub fn label(self) -> &'static str {
        match self {
            Self::UNDO => "undo",
            Self::PENDING => "pending",
            Self::RETIRE => "retire",
            _ => "unknown",
        }
    }
}

/// One delivery the journal holds, handed back to the sink that made it
/// (plugin-api 1.2).
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Default)]
pub struct Delivered {
    pub record_id: RString,
    /// The `data_json` of the sink's `DONE` outcome, as journaled.
    pub data_json: RString,
    /// The owners' usernames, `;`-joined, as journaled.
    pub owners: RString,
    pub extra_json: RString,
}
