//! One bandwidth cap shared by every transfer of the sink (`max_mbps`).
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A token bucket in the form of "the instant the link is free again": each chunk moves it
/// forward by its transmission time at the cap; a transfer that gets ahead of it sleeps.
pub struct Throttle {
    bytes_per_s: f64,
    free_at: Mutex<Instant>,
}

/// How far ahead of the cap a burst may go (smooths small chunks).
const BURST: Duration = Duration::from_millis(50);

impl Throttle {
    /// `mbps` megabits per second; 0 = no cap.
    pub fn new(mbps: f64) -> Self {
        Throttle { bytes_per_s: mbps * 1_000_000.0 / 8.0, free_at: Mutex::new(Instant::now()) }
    }

    pub async fn take(&self, n: usize) {
        if self.bytes_per_s <= 0.0 {
            return;
        }
        let wait = {
            let mut free_at = self.free_at.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let start = (*free_at).max(now.checked_sub(BURST).unwrap_or(now));
            *free_at = start + Duration::from_secs_f64(n as f64 / self.bytes_per_s);
            free_at.saturating_duration_since(now + BURST)
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}
