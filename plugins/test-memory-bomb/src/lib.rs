//! Misbehaves on purpose: allocates without end in read. Used by the host's containment tests.

use credence_plugin_sdk::{ConfigEntry, Description, Ledger, Page, PluginError};

/// The connector (public: natively, outside wasm, nothing else refers to it).
pub struct Misbehaving;

impl Ledger for Misbehaving {
    fn describe() -> Description {
        Description::ledger("test-memory-bomb", env!("CARGO_PKG_VERSION"))
            .stream("invoices", false)
            .setting("base_url", "Where the test server is", false)
            .with_default("http://127.0.0.1:9")
    }

    /// Does nothing at all: the runtime benchmark's no-op call.
    fn check(_config: Vec<ConfigEntry>) -> Result<(), PluginError> {
        Ok(())
    }

    fn read(_stream: String, _cursor: Option<String>) -> Result<Page, PluginError> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(vec![7u8; 1 << 20]);
            std::hint::black_box(&hoard);
        }
    }
}

credence_plugin_sdk::export_ledger!(Misbehaving);
