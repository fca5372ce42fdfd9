//! Misbehaves on purpose: asks the test server for a body far over its response cap. Used by the host's containment tests.

use credence_plugin_sdk::types::{ConfigField, PluginKind, StreamInfo};
use credence_plugin_sdk::{ConfigEntry, Description, Ledger, Page, PluginError};

/// The connector (public: natively, outside wasm, nothing else refers to it).
pub struct Misbehaving;

impl Ledger for Misbehaving {
    fn describe() -> Description {
        Description {
            id: "test-huge-response".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            kind: PluginKind::Ledger,
            streams: vec![StreamInfo {
                name: "invoices".into(),
                incremental: false,
            }],
            config_fields: vec![ConfigField {
                key: "base_url".into(),
                label: "Where the test server is".into(),
                description: String::new(),
                required: false,
                secret: false,
                default_value: Some("http://127.0.0.1:9".into()),
            }],
        }
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
