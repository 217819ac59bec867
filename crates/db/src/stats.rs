use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) static ROUND_TRIPS: AtomicU64 = AtomicU64::new(0);

/// Statements sent to any database so far (each query, execute, BEGIN and COMMIT counts one).
pub fn round_trips() -> u64 {
    ROUND_TRIPS.load(Ordering::Relaxed)
}

pub(crate) fn count() {
    ROUND_TRIPS.fetch_add(1, Ordering::Relaxed);
}
