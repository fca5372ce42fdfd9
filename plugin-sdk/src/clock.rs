//! The host's clock. Connectors ask the host for time so tests and replays can pin it.

/// Now, as an RFC 3339 UTC instant.
pub fn now() -> String {
    crate::host::now()
}

/// Now, in milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    crate::host::now_millis()
}
