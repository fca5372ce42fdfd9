//! Logging into the host's tracing (tagged with plugin and connection by the host).
//!
//! Never log secrets: the plugin does not have them anyway, but raw vendor payloads may contain
//! personal data; log ids, not bodies.

pub use crate::bindings::log::Level;

/// Send one message to the host log.
pub fn log(level: Level, message: &str) {
    crate::host::log(level, message);
}

/// Log at debug level.
pub fn debug(message: &str) {
    log(Level::Debug, message);
}

/// Log at info level.
pub fn info(message: &str) {
    log(Level::Info, message);
}

/// Log at warn level.
pub fn warn(message: &str) {
    log(Level::Warn, message);
}

/// Log at error level.
pub fn error(message: &str) {
    log(Level::Error, message);
}
