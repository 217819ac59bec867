//! Convenience accessors on the ABI records (plain methods, not ABI).
use crate::abi::{Owner, Playback, Recording};

impl Recording {
    /// A metadata value by key (BBB lower-cases keys, except its own camelCase ones).
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.iter().find(|kv| kv.0.as_str() == key).map(|kv| kv.1.as_str())
    }
    /// `bbb-origin` (Moodle, Greenlight, greenlight…), if any.
    pub fn origin(&self) -> Option<&str> {
        self.meta("bbb-origin").filter(|s| !s.is_empty())
    }
    /// `bbb-origin-server-name`, if any.
    pub fn origin_server(&self) -> Option<&str> {
        self.meta("bbb-origin-server-name").filter(|s| !s.is_empty())
    }
    /// The playback of a format (`presentation`, `video`, …).
    pub fn playback(&self, format: &str) -> Option<&Playback> {
        self.playback.iter().find(|p| p.format.as_str() == format)
    }
    /// Duration in whole seconds (0 if the times are inconsistent).
    pub fn duration_s(&self) -> i64 {
        ((self.end_ms - self.start_ms) / 1000).max(0)
    }
}

impl Owner {
    pub fn new(username: &str, email: &str, first_name: &str, last_name: &str) -> Self {
        Self {
            username: username.into(),
            email: email.into(),
            first_name: first_name.into(),
            last_name: last_name.into(),
            primary: true,
            ..Default::default()
        }
    }
    /// Sets who found this owner and why.
    pub fn found_by(mut self, resolver: &str, reason: impl Into<String>) -> Self {
        self.resolver = resolver.into();
        self.reason = reason.into().into();
        self
    }
    pub fn secondary(mut self) -> Self {
        self.primary = false;
        self
    }
}
