//! The connection's configuration. Secrets are visible by name only.

use crate::{ConfigEntry, ConfigValue, Description, ErrorExt, PluginError};

/// A plain setting, if present.
pub fn get(key: &str) -> Option<String> {
    match crate::host::config_get(key) {
        Some(ConfigValue::Text(value)) => Some(value),
        _ => None,
    }
}

/// A plain setting that must be present; the error names the field.
pub fn require(key: &str) -> Result<String, PluginError> {
    get(key)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| {
            PluginError::bad_config(format!(
                "the connection has no value for `{key}`; set it with `credence connection add ... --set {key}=...`"
            ))
        })
}

/// The name of a secret that must be configured (its value stays in the host).
pub fn require_secret(key: &str) -> Result<String, PluginError> {
    match crate::host::config_get(key) {
        Some(ConfigValue::Secret(name)) => Ok(name),
        Some(ConfigValue::Text(_)) => Err(PluginError::bad_config(format!(
            "`{key}` must be configured as a secret (`--secret {key}=ENV_VAR`), not a plain value"
        ))),
        None => Err(PluginError::bad_config(format!(
            "the connection has no secret `{key}`; add it with `--secret {key}=ENV_VAR`"
        ))),
    }
}

/// Every entry of the connection's configuration.
pub fn entries() -> Vec<ConfigEntry> {
    crate::host::config_entries()
}

/// The default `check`: every required field of `description` is present, secrets as secrets.
pub fn check_required(
    description: &Description,
    config: &[ConfigEntry],
) -> Result<(), PluginError> {
    for field in description.config_fields.iter().filter(|f| f.required) {
        let entry = config.iter().find(|e| e.key == field.key);
        match (entry.map(|e| &e.value), field.secret) {
            (None, _) if field.default_value.is_some() => {}
            (None, true) => {
                return Err(PluginError::bad_config(format!(
                    "missing secret `{}` ({}); add it with `--secret {}=ENV_VAR`",
                    field.key, field.label, field.key
                )));
            }
            (None, false) => {
                return Err(PluginError::bad_config(format!(
                    "missing setting `{}` ({}); add it with `--set {}=...`",
                    field.key, field.label, field.key
                )));
            }
            (Some(ConfigValue::Text(_)), true) => {
                return Err(PluginError::bad_config(format!(
                    "`{}` is a secret; configure it with `--secret {}=ENV_VAR`, not `--set`",
                    field.key, field.key
                )));
            }
            (Some(ConfigValue::Text(v)), false) if v.trim().is_empty() => {
                return Err(PluginError::bad_config(format!(
                    "setting `{}` ({}) is empty",
                    field.key, field.label
                )));
            }
            _ => {}
        }
    }
    Ok(())
}
