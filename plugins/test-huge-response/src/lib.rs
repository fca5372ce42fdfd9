//! Misbehaves on purpose: asks the test server for a body far over its response cap. Used by the host's containment tests.

use credence_plugin_sdk::{ConfigEntry, Description, Ledger, Page, PluginError};

/// The connector (public: natively, outside wasm, nothing else refers to it).
pub struct Misbehaving;

impl Ledger for Misbehaving {
    fn describe() -> Description {
        Description::ledger("test-huge-response", env!("CARGO_PKG_VERSION"))
            .stream("invoices", false)
            .setting("base_url", "Where the test server is", false)
            .with_default("http://127.0.0.1:9")
    }

    /// Does nothing at all: the runtime benchmark's no-op call.
    fn check(_config: Vec<ConfigEntry>) -> Result<(), PluginError> {
        Ok(())
    }

    fn read(_stream: String, _cursor: Option<String>) -> Result<Page, PluginError> {
        let base = credence_plugin_sdk::config::get("base_url").unwrap_or_default();
        let response = credence_plugin_sdk::http::get(&format!("{base}/huge")).send()?;
        Ok(credence_plugin_sdk::paging::last(
            Vec::new(),
            &response.body.len(),
        ))
    }
}

credence_plugin_sdk::export_ledger!(Misbehaving);
