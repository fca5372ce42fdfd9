//! Where the safe wrappers go: the real host on `wasm32`, the test harness natively.

#[cfg(target_arch = "wasm32")]
mod imp {
    use crate::bindings::{clock, config, files, http, log};
    use crate::types::{ConfigEntry, ConfigValue, PluginError};

    pub fn send(request: &http::Request) -> Result<http::Response, PluginError> {
        http::send(request)
    }
    pub fn log(level: log::Level, message: &str) {
        log::log(level, message)
    }
    pub fn config_get(key: &str) -> Option<ConfigValue> {
        config::get(key)
    }
    pub fn config_entries() -> Vec<ConfigEntry> {
        config::entries()
    }
    pub fn now() -> String {
        clock::now()
    }
    pub fn now_millis() -> i64 {
        clock::now_millis()
    }
    pub fn list_dir(path: &str) -> Result<Vec<files::FileEntry>, PluginError> {
        files::list_dir(path)
    }
    pub fn read_file(path: &str) -> Result<Vec<u8>, PluginError> {
        files::read(path)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use crate::bindings::{files, http, log};
    use crate::harness::with_current;
    use crate::types::{ConfigEntry, ConfigValue, PluginError};

    pub fn send(request: &http::Request) -> Result<http::Response, PluginError> {
        with_current(|h| h.send(request))
    }
    pub fn log(level: log::Level, message: &str) {
        with_current(|h| h.log(level, message))
    }
    pub fn config_get(key: &str) -> Option<ConfigValue> {
        with_current(|h| h.config_get(key))
    }
    pub fn config_entries() -> Vec<ConfigEntry> {
        with_current(|h| h.config_entries())
    }
    pub fn now() -> String {
        with_current(|h| h.now())
    }
    pub fn now_millis() -> i64 {
        with_current(|h| h.now_millis())
    }
    pub fn list_dir(path: &str) -> Result<Vec<files::FileEntry>, PluginError> {
        with_current(|h| h.list_dir(path))
    }
    pub fn read_file(path: &str) -> Result<Vec<u8>, PluginError> {
        with_current(|h| h.read_file(path))
    }
}

pub(crate) use imp::*;
