//! `credence-plugin.toml`: what a plugin is and what it may touch.
//!
//! ```toml
//! id = "xero"
//! version = "0.1.0"
//! kind = "ledger"            # or "bureau"
//! contract = "0.1.0"         # credence:plugin version it was built against
//! description = "Xero Accounting API"
//! wasm = "xero.wasm"         # next to the manifest
//!
//! [capabilities]
//! http = ["api.xero.com", "{{config.base_url}}"]   # hosts, origins or URL prefixes
//! folders = ["{{config.folder}}"]                   # read-only
//!
//! [limits]                   # capped by the host's [runtime.limits]
//! memory_mib = 64
//! cpu_ms = 5000
//!
//! [[config]]
//! key = "tenant_id"
//! label = "Xero tenant id"
//! required = true
//! ```
//!
//! Unknown fields are refused, so a typo never silently grants or drops a capability.

use crate::runtime::PluginKind;
use crate::runtime::limits::Limits;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The contract versions this host can run (same major.minor; 0.x versions are additive).
pub const SUPPORTED_CONTRACTS: &[&str] = &["0.1.0"];

/// Name of the manifest file in a plugin folder.
pub const MANIFEST_FILE: &str = "credence-plugin.toml";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Lowercase letters, digits and dashes; unique among installed plugins.
    pub id: String,
    pub version: String,
    pub kind: PluginKind,
    /// Version of `credence:plugin` the component implements.
    pub contract: String,
    #[serde(default)]
    pub description: String,
    /// File name of the component, next to the manifest.
    #[serde(default = "default_wasm")]
    pub wasm: String,
    #[serde(default)]
    pub capabilities: Capabilities,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub config: Vec<ConfigField>,
}

fn default_wasm() -> String {
    "plugin.wasm".into()
}

/// What the plugin may reach. Nothing by default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Hosts (`api.example.com`, `*.example.com`: https only), origins or URL prefixes
    /// (`http://127.0.0.1:8080/api`); `{{config.KEY}}` takes a connection setting.
    #[serde(default)]
    pub http: Vec<String>,
    /// Folders the plugin may read (never write); `{{config.KEY}}` takes a connection setting.
    #[serde(default)]
    pub folders: Vec<String>,
}

/// A connection setting the plugin needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigField {
    pub key: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub required: bool,
    /// Secrets are given by environment variable name and never reach the plugin.
    #[serde(default)]
    pub secret: bool,
    #[serde(default)]
    pub default: Option<String>,
}

/// Why a manifest was refused. Each message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error(
        "cannot read {path}: {source}. A plugin folder holds {MANIFEST_FILE} and the .wasm it names; build plugins with `cargo xtask plugins`"
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid plugin manifest: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Manifest {
    /// Read and validate the manifest of a plugin folder.
    pub fn load(folder: &Path) -> Result<Manifest, ManifestError> {
        let path = folder.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| ManifestError::Read {
            path: path.clone(),
            source,
        })?;
        Manifest::parse(&text, &path)
    }

    /// Parse and validate manifest text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ManifestError> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| ManifestError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        manifest
            .validate()
            .map_err(|message| ManifestError::Invalid {
                path: path.to_path_buf(),
                message,
            })?;
        Ok(manifest)
    }

    fn validate(&self) -> Result<(), String> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !self.id.starts_with('-');
        if !id_ok {
            return Err(format!(
                "id {:?} must be 1-64 lowercase letters, digits or dashes",
                self.id
            ));
        }
        if !SUPPORTED_CONTRACTS.contains(&self.contract.as_str()) {
            return Err(format!(
                "plugin {} targets contract credence:plugin@{}, this Credence supports {}; install a plugin build for a supported contract or upgrade Credence",
                self.id,
                self.contract,
                SUPPORTED_CONTRACTS.join(", ")
            ));
        }
        if self.wasm.contains('/') || self.wasm.contains('\\') || !self.wasm.ends_with(".wasm") {
            return Err(format!(
                "wasm {:?} must be a .wasm file name in the plugin folder",
                self.wasm
            ));
        }
        let mut keys = std::collections::BTreeSet::new();
        for field in &self.config {
            if !keys.insert(field.key.as_str()) {
                return Err(format!("config field {:?} is declared twice", field.key));
            }
        }
        if self.limits.memory_mib == 0 || self.limits.cpu_ms == 0 {
            return Err("limits.memory_mib and limits.cpu_ms must be positive".into());
        }
        Ok(())
    }

    /// Secrets the plugin declares.
    pub fn secret_keys(&self) -> impl Iterator<Item = &str> {
        self.config
            .iter()
            .filter(|f| f.secret)
            .map(|f| f.key.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "xero"
version = "0.1.0"
kind = "ledger"
contract = "0.1.0"
wasm = "xero.wasm"
[capabilities]
http = ["api.xero.com"]
[limits]
memory_mib = 64
"#;

    #[test]
    fn a_good_manifest_parses_with_defaults() {
        let m = Manifest::parse(GOOD, Path::new("m.toml")).expect("valid");
        assert_eq!(m.limits.memory_mib, 64);
        assert_eq!(m.limits.cpu_ms, Limits::default().cpu_ms);
        assert!(m.capabilities.folders.is_empty());
    }

    #[test]
    fn bad_manifests_say_what_is_wrong() {
        let cases = [
            (
                GOOD.replace("contract = \"0.1.0\"", "contract = \"9.0.0\""),
                "supports 0.1.0",
            ),
            (GOOD.replace("id = \"xero\"", "id = \"Xero!\""), "lowercase"),
            (
                GOOD.replace("[limits]", "[limits]\nmemroy_mib = 1"),
                "unknown field `memroy_mib`",
            ),
            (GOOD.replace("http = ", "htp = "), "unknown field `htp`"),
            (
                GOOD.replace("wasm = \"xero.wasm\"", "wasm = \"../x.wasm\""),
                "file name",
            ),
            (
                GOOD.replace("kind = \"ledger\"", "kind = \"printer\""),
                "unknown variant `printer`",
            ),
        ];
        for (text, expected) in cases {
            let err = Manifest::parse(&text, Path::new("dir/credence-plugin.toml"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "expected {expected:?} in: {err}");
            assert!(
                err.contains("dir/credence-plugin.toml"),
                "error must name the file: {err}"
            );
        }
    }
}
