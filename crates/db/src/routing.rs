//! Reading a recording's metadata the way BBB stores it.

use plugin_api::Recording;

/// A metadata value by key, compared without case (the SDK's one helper,
/// `Recording::meta_value`); empty values count as absent.
pub fn meta_ci<'a>(r: &'a Recording, key: &str) -> Option<&'a str> {
    r.meta_value(key)
}

/// Is `meeting_id` the external meetingID of the meeting whose internal
/// id is `internal_id`? BBB's internal id is `sha1(meetingID)-<createTime>`,
/// so a breakout room's parent id names its parent meeting exactly.
pub fn is_internal_id_of(internal_id: &str, meeting_id: &str) -> bool {
    let Some((hash, _)) = internal_id.split_once('-') else { return false };
    hash.eq_ignore_ascii_case(&internal_hash(meeting_id))
}

/// The hash part of the internal ids BBB gives a meetingID: `sha1(meetingID)`, lower-case hex.
pub fn internal_hash(meeting_id: &str) -> String {
    use sha1::{Digest, Sha1};
    Sha1::digest(meeting_id.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The front-end that created the recording, lower-cased: `bbb-origin`
/// (Moodle 2.1+, Greenlight 2.3+), `bn-origin` (Moodle plugin 2.0) or
/// `origin` (Moodle 1.x, WordPress). `None` when the recording says nothing
/// (Pod, old Greenlight, …).
pub fn origin(r: &Recording) -> Option<String> {
    ["bbb-origin", "bn-origin", "origin"].iter().find_map(|k| meta_ci(r, k)).map(|v| v.trim().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_ids_name_their_meeting() {
        // docs/identity.md §0, fact 1, checked on the real Moodle fixture.
        let mid = "9d287cf50490ca856ca5273bd303a7e321df6051-4-119[0]";
        assert!(is_internal_id_of("f71d810b6e90a4a34ae02b8c7143e8733178578e-1462807897120", mid));
        assert!(!is_internal_id_of("f71d810b6e90a4a34ae02b8c7143e8733178578f-1462807897120", mid));
        assert!(!is_internal_id_of("nodash", mid));
    }
}
