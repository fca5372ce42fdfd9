//! `config`: the connection's settings; secrets by name only.

use crate::bindings::config::Host;
use crate::bindings::types::{ConfigEntry, ConfigValue};
use crate::state::HostState;

impl Host for HostState {
    fn get(&mut self, key: String) -> Option<ConfigValue> {
        self.job
            .config
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.clone())
    }

    fn entries(&mut self) -> Vec<ConfigEntry> {
        self.job.config.clone()
    }
}
