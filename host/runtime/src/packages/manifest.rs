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
//!
//! [[config]]
//! key = "access_token"
//! secret = true
//! auth = "bearer"                     # how the host sends it: bearer, basic or header
//! origins = ["{{config.base_url}}"]   # and where to: nowhere else
//! ```
//!
//! Unknown fields are refused, so a typo never silently grants or drops a capability. Folders
//! can only be granted through a setting (`{{config.KEY}}`): the user names them, a plugin
//! author cannot. A secret is bound to one way of being sent and to its origins, both shown at
//! install; the plugin only names it.

use crate::PluginKind;
use crate::limits::Limits;
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
    /// A secret's scheme: `bearer` (`Authorization: Bearer …`), `basic` (inside HTTP Basic
    /// credentials) or `header` (the header named by `header`, after `prefix`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<SecretAuth>,
    /// For `auth = "header"`: the header's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// For `auth = "header"`: text before the secret (e.g. `"Token "`), empty by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// A secret's origins: the only URLs it is sent to (patterns as in `capabilities.http`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<String>,
}

/// How the host places a secret in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SecretAuth {
    Bearer,
    Basic,
    Header,
}

impl ConfigField {
    /// A secret's binding as the user is shown it, e.g. `Authorization: Bearer … to https://x`.
    pub fn binding_summary(&self) -> String {
        let how = match self.auth {
            Some(SecretAuth::Bearer) => "Authorization: Bearer …".to_string(),
            Some(SecretAuth::Basic) => "Authorization: Basic (user name or password)".to_string(),
            Some(SecretAuth::Header) => format!(
                "{}: {}…",
                self.header.as_deref().unwrap_or("?"),
                self.prefix.as_deref().unwrap_or("")
            ),
            None => "nowhere (no `auth` declared)".to_string(),
        };
        format!("{how} to {}", self.origins.join(", "))
    }
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
        Manifest::load_with_text(folder).map(|(manifest, _)| manifest)
    }

    /// [`Manifest::load`], with the exact text it was parsed from (to pin it).
    pub fn load_with_text(folder: &Path) -> Result<(Manifest, String), ManifestError> {
        let path = folder.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| ManifestError::Read {
            path: path.clone(),
            source,
        })?;
        Ok((Manifest::parse(&text, &path)?, text))
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
        self.limits
            .check_minimum()
            .map_err(|e| format!("[limits]: {e}"))?;
        for folder in &self.capabilities.folders {
            if !is_single_setting(folder) {
                return Err(format!(
                    "capabilities.folders entry {folder:?} is not a setting: a folder can only be granted as \"{{{{config.KEY}}}}\", so the user names it when adding a connection"
                ));
            }
        }
        for field in &self.config {
            let key = &field.key;
            if field.secret {
                match field.auth {
                    None => {
                        return Err(format!(
                            "secret `{key}` declares no `auth`: say how the host sends it (\"bearer\", \"basic\" or \"header\" with `header = NAME`)"
                        ));
                    }
                    Some(SecretAuth::Header) => {
                        let name = field.header.as_deref().unwrap_or("");
                        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                            return Err(format!(
                                "secret `{key}` has `auth = \"header\"` but no valid `header` name"
                            ));
                        }
                    }
                    Some(_) if field.header.is_some() || field.prefix.is_some() => {
                        return Err(format!(
                            "secret `{key}`: `header` and `prefix` go only with `auth = \"header\"`"
                        ));
                    }
                    Some(_) => {}
                }
                if field.origins.is_empty() {
                    return Err(format!(
                        "secret `{key}` declares no `origins`: name the URLs it may be sent to (e.g. [\"{{{{config.base_url}}}}\"])"
                    ));
                }
            } else if field.auth.is_some()
                || field.header.is_some()
                || field.prefix.is_some()
                || !field.origins.is_empty()
            {
                return Err(format!(
                    "config field `{key}` is not a secret: `auth`, `header`, `prefix` and `origins` apply to secrets only"
                ));
            }
        }
        Ok(())
    }

    /// A declared config field.
    pub fn field(&self, key: &str) -> Option<&ConfigField> {
        self.config.iter().find(|f| f.key == key)
    }

    /// Secrets the plugin declares.
    pub fn secret_keys(&self) -> impl Iterator<Item = &str> {
        self.config
            .iter()
            .filter(|f| f.secret)
            .map(|f| f.key.as_str())
    }
}

/// `{{config.KEY}}` and nothing else.
fn is_single_setting(pattern: &str) -> bool {
    pattern
        .trim()
        .strip_prefix("{{")
        .and_then(|p| p.strip_suffix("}}"))
        .and_then(|p| p.trim().strip_prefix("config."))
        .is_some_and(|key| !key.is_empty() && !key.contains(['{', '}']))
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
            (
                GOOD.replace("[limits]", "[limits]\nwall_s = 0"),
                "`wall_s = 0` is below",
            ),
            (
                GOOD.replace("[limits]", "folders = [\"/proc/self\"]\n[limits]"),
                "\"/proc/self\" is not a setting",
            ),
            (
                GOOD.replace("[limits]", "folders = [\"{{config.d}}/..\"]\n[limits]"),
                "is not a setting",
            ),
            (
                format!("{GOOD}[[config]]\nkey = \"t\"\nsecret = true\norigins = [\"x\"]\n"),
                "secret `t` declares no `auth`",
            ),
            (
                format!("{GOOD}[[config]]\nkey = \"t\"\nsecret = true\nauth = \"bearer\"\n"),
                "secret `t` declares no `origins`",
            ),
            (
                format!(
                    "{GOOD}[[config]]\nkey = \"t\"\nsecret = true\nauth = \"header\"\norigins = [\"x\"]\n"
                ),
                "no valid `header` name",
            ),
            (
                format!("{GOOD}[[config]]\nkey = \"t\"\nauth = \"bearer\"\n"),
                "`t` is not a secret",
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
