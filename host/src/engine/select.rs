//! Which recordings a run takes, in a stable order.
use super::listing::Key;
use crate::config::Select;

/// What the selection did, for the report.
#[derive(Debug, Default, serde::Serialize)]
pub struct Selection {
    pub listed: usize,
    pub wrong_state: usize,
    pub ignored_server: usize,
    pub out_of_range: usize,
    pub not_requested: usize,
    pub selected: usize,
    /// `--record` ids that no source listed.
    pub missing_records: Vec<String>,
}

/// The stable order: newest `startTime` first, then recordID.
pub fn sort(recs: &mut [Key]) {
    // Unstable sort: no buffer of half the listing, and the key is total
    // (recordIDs are unique once listed), so the order is the same.
    recs.sort_unstable_by(|a, b| b.start_ms.cmp(&a.start_ms).then_with(|| a.record_id.cmp(&b.record_id)));
}

/// Filters by state and origin server (`bbb-origin-server-name`, key and
/// value compared without case), then keeps `from..=to` (1-based, in
/// the stable order of what remains), then the `--record` ids if any.
pub fn select(mut recs: Vec<Key>, sel: &Select, records: &[String]) -> (Vec<Key>, Selection) {
    let mut s = Selection { listed: recs.len(), ..Default::default() };
    sort(&mut recs);
    recs.retain(|r| {
        let keep = sel.states.iter().any(|st| st.eq_ignore_ascii_case(&r.state));
        s.wrong_state += usize::from(!keep);
        keep
    });
    recs.retain(|r| {
        let ignored =
            r.origin_server.as_deref().is_some_and(|o| sel.ignored_servers.iter().any(|i| i.eq_ignore_ascii_case(o)));
        s.ignored_server += usize::from(ignored);
        !ignored
    });
    let from = sel.from.unwrap_or(1).max(1);
    let to = sel.to.unwrap_or(usize::MAX);
    let before = recs.len();
    recs = recs.into_iter().enumerate().filter(|(i, _)| (from..=to).contains(&(i + 1))).map(|(_, r)| r).collect();
    s.out_of_range = before - recs.len();
    if !records.is_empty() {
        s.missing_records = records.iter().filter(|id| !recs.iter().any(|r| *r.record_id == **id)).cloned().collect();
        let before = recs.len();
        recs.retain(|r| records.iter().any(|id| **id == *r.record_id));
        s.not_requested = before - recs.len();
    }
    s.selected = recs.len();
    (recs, s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_api::abi::Recording;
    use plugin_api::abi_stable::std_types::Tuple2;

    fn rec(id: &str, start: i64, state: &str, server: &str) -> Key {
        let mut r = Recording { record_id: id.into(), start_ms: start, state: state.into(), ..Default::default() };
        if !server.is_empty() {
            r.metadata.push(Tuple2("BBB-Origin-Server-Name".into(), server.into()));
        }
        super::super::listing::Spool::new().unwrap().push(&r).unwrap()
    }

    #[test]
    fn stable_order_states_servers_and_range() {
        let recs = vec![
            rec("b", 10, "published", ""),
            rec("a", 10, "published", ""),
            rec("c", 30, "published", "old.univ.fr"),
            rec("d", 20, "unpublished", ""),
            rec("e", 5, "published", ""),
        ];
        let sel = Select {
            states: vec!["published".into()],
            ignored_servers: vec!["OLD.univ.fr".into()],
            from: Some(2),
            to: Some(3),
        };
        let (out, s) = select(recs.clone(), &sel, &[]);
        let ids: Vec<&str> = out.iter().map(|r| &*r.record_id).collect();
        // after filters: a(10), b(10), e(5) → positions 2..=3 = b, e
        assert_eq!(ids, ["b", "e"]);
        assert_eq!((s.wrong_state, s.ignored_server, s.out_of_range, s.selected), (1, 1, 1, 2));
        let (out, s) = select(recs, &Select::default(), &["e".into(), "zz".into()]);
        assert_eq!(out.len(), 1);
        assert_eq!(s.missing_records, ["zz"]);
    }
}
