//! Misbehaves on purpose: panics in read. Used by the host's containment tests.

use credence_plugin_sdk::types::{ConfigField, PluginKind, StreamInfo};
use credence_plugin_sdk::{ConfigEntry, Description, Ledger, Page, PluginError};

/// The connector (public: natively, outside wasm, nothing else refers to it).
pub struct Misbehaving;

impl Ledger for Misbehaving {
    fn describe() -> Description {
        Description {
            id: "test-panic".into(),
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
        let broken: Option<u32> = std::hint::black_box(None);
        match broken {
            Some(n) => Err(PluginError::Permanent(n.to_string())),
            None => panic!("deliberate panic: this plugin is broken"),
        }
    }
}

credence_plugin_sdk::export_ledger!(Misbehaving);
