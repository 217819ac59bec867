//! Test support: Pod databases on the real servers (`bbb_migrate_db::testing`), the
//! real HTTP media server of `bbb-testserver`, and the items a sink is handed.
// Not every test file uses every helper.
#![allow(dead_code, unused_imports)]
use bbb_migrate_db::testing::TempDb;
pub use bbb_migrate_db::testing::{count, dump, pod_db, rows};
pub use bbb_testserver::published::{media_bytes, serve_tree};
use plugin_api::abi_stable::std_types::RVec;
use plugin_api::{Owner, Playback, Recording, SinkItem};

pub fn db_url(t: &TempDb) -> String {
    t.url_string()
}

pub fn owner(username: &str, first: &str, last: &str, email: &str) -> Owner {
    Owner::new(username, email, first, last).found_by("test", "test")
}

pub fn recording(id: &str, name: &str, start_ms: i64, playback: Vec<Playback>) -> Recording {
    Recording {
        record_id: id.into(),
        meeting_id: format!("meeting-{id}").into(),
        internal_meeting_id: id.into(),
        name: name.into(),
        start_ms,
        end_ms: start_ms + 3_600_000,
        state: "published".into(),
        published: true,
        playback: playback.into(),
        ..Default::default()
    }
}

pub fn playback(format: &str, url: &str, extra_json: &str) -> Playback {
    Playback { format: format.into(), url: url.into(), extra_json: extra_json.into(), ..Default::default() }
}

pub fn item(rec: Recording, owners: Vec<Owner>, fallback: bool) -> SinkItem {
    SinkItem { recording: rec, owners: RVec::from(owners), fallback }
}
