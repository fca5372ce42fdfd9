//! From a connection in `credence.toml` and its plugin's manifest to the context of a job:
//! settings with defaults, secrets resolved from the environment, grants, capped limits.

use crate::home::ConnectionConfig;
use crate::home::Home;
use anyhow::{Context, anyhow};
use credence_runtime::bindings::types::{ConfigEntry, ConfigValue};
use credence_runtime::grants::{Grants, SecretScheme};
use credence_runtime::limits::Limits;
use credence_runtime::packages::Manifest;
use credence_runtime::packages::manifest::SecretAuth;
use credence_runtime::{Clock, JobContext};
use credence_runtime::{Plugin, Runtime};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Why a connection cannot be run. Each message names the connection and the fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConnectionError {
    #[error(
        "connection {connection}: plugin {plugin} has no setting `{key}` (it has: {known}); fix `--set` or credence.toml"
    )]
    UnknownSetting {
        connection: String,
        plugin: String,
        key: String,
        known: String,
    },
    #[error(
        "connection {connection}: `{key}` is a secret of plugin {plugin}; give it with `--secret {key}=ENV_VAR`, not `--set`"
    )]
    SecretAsSetting {
        connection: String,
        plugin: String,
        key: String,
    },
    #[error(
        "connection {connection}: `{key}` is not a secret of plugin {plugin}; give it with `--set {key}=VALUE`"
    )]
    SettingAsSecret {
        connection: String,
        plugin: String,
        key: String,
    },
    #[error(
        "connection {connection}: required setting `{key}` ({label}) is missing; add it with `--set {key}=...`"
    )]
    MissingSetting {
        connection: String,
        key: String,
        label: String,
    },
    #[error(
        "connection {connection}: secret `{key}` is read from the environment variable {var}, which is not set; export it before running Credence"
    )]
    SecretNotInEnvironment {
        connection: String,
        key: String,
        var: String,
    },
    #[error(
        "connection {connection}: required secret `{key}` ({label}) is not configured; add it with `--secret {key}=ENV_VAR`"
    )]
    MissingSecret {
        connection: String,
        key: String,
        label: String,
    },
    #[error("connection {connection}: {error}")]
    Grant {
        connection: String,
        error: credence_runtime::grants::GrantError,
    },
}

/// Check a connection's settings and secrets against its plugin's manifest (no environment
/// needed): used by `connection add` before anything is written.
pub fn validate(
    name: &str,
    connection: &ConnectionConfig,
    manifest: &Manifest,
) -> Result<(), ConnectionError> {
    let known = || {
        manifest
            .config
            .iter()
            .map(|f| f.key.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for key in connection.settings.keys() {
        match manifest.config.iter().find(|f| &f.key == key) {
            None => {
                return Err(ConnectionError::UnknownSetting {
                    connection: name.into(),
                    plugin: manifest.id.clone(),
                    key: key.clone(),
                    known: known(),
                });
            }
            Some(f) if f.secret => {
                return Err(ConnectionError::SecretAsSetting {
                    connection: name.into(),
                    plugin: manifest.id.clone(),
                    key: key.clone(),
                });
            }
            Some(_) => {}
        }
    }
    for key in connection.secrets.keys() {
        match manifest.config.iter().find(|f| &f.key == key) {
            None => {
                return Err(ConnectionError::UnknownSetting {
                    connection: name.into(),
                    plugin: manifest.id.clone(),
                    key: key.clone(),
                    known: known(),
                });
            }
            Some(f) if !f.secret => {
                return Err(ConnectionError::SettingAsSecret {
                    connection: name.into(),
                    plugin: manifest.id.clone(),
                    key: key.clone(),
                });
            }
            Some(_) => {}
        }
    }
    for field in manifest
        .config
        .iter()
        .filter(|f| f.required && f.default.is_none())
    {
        if field.secret && !connection.secrets.contains_key(&field.key) {
            return Err(ConnectionError::MissingSecret {
                connection: name.into(),
                key: field.key.clone(),
                label: field.label.clone(),
            });
        }
        if !field.secret && !connection.settings.contains_key(&field.key) {
            return Err(ConnectionError::MissingSetting {
                connection: name.into(),
                key: field.key.clone(),
                label: field.label.clone(),
            });
        }
    }
    Ok(())
}

/// The connection's plain settings: the manifest's defaults, then what the user set.
fn settings(connection: &ConnectionConfig, manifest: &Manifest) -> BTreeMap<String, String> {
    let mut settings: BTreeMap<String, String> = manifest
        .config
        .iter()
        .filter(|f| !f.secret)
        .filter_map(|f| f.default.clone().map(|d| (f.key.clone(), d)))
        .collect();
    settings.extend(connection.settings.clone());
    settings
}

/// Resolve what the plugin may touch for this connection: HTTP origins, folders (never the
/// `protected` Credence home nor a system folder) and each secret's scheme and origins.
pub fn grants(
    name: &str,
    connection: &ConnectionConfig,
    manifest: &Manifest,
    protected: &[PathBuf],
) -> Result<Grants, ConnectionError> {
    let settings = settings(connection, manifest);
    let lookup = |key: &str| settings.get(key).cloned();
    let grant_error = |error| ConnectionError::Grant {
        connection: name.into(),
        error,
    };
    let mut grants = Grants::resolve(
        &manifest.capabilities.http,
        &manifest.capabilities.folders,
        &lookup,
        protected,
    )
    .map_err(grant_error)?;
    for field in manifest.config.iter().filter(|f| f.secret) {
        let scheme = match field.auth {
            Some(SecretAuth::Bearer) => SecretScheme::Bearer,
            Some(SecretAuth::Basic) => SecretScheme::Basic,
            Some(SecretAuth::Header) => SecretScheme::Header {
                name: field.header.clone().unwrap_or_default(),
                prefix: field.prefix.clone().unwrap_or_default(),
            },
            // A manifest without a scheme is refused when parsed; never bind one here.
            None => continue,
        };
        grants
            .bind_secret(&field.key, scheme, &field.origins, &lookup)
            .map_err(grant_error)?;
    }
    Ok(grants)
}

/// Build the job context of `connection`: settings (manifest defaults filled in), secrets read
/// from the environment through `env`, grants resolved (no folder may be or contain a
/// `protected` root), limits capped by `cap`.
pub fn job_context(
    name: &str,
    connection: &ConnectionConfig,
    manifest: &Manifest,
    cap: &Limits,
    clock: Clock,
    env: &dyn Fn(&str) -> Option<String>,
    protected: &[PathBuf],
) -> Result<JobContext, ConnectionError> {
    validate(name, connection, manifest)?;
    let settings = settings(connection, manifest);
    let mut secrets = BTreeMap::new();
    for (key, var) in &connection.secrets {
        let value = env(var).ok_or_else(|| ConnectionError::SecretNotInEnvironment {
            connection: name.into(),
            key: key.clone(),
            var: var.clone(),
        })?;
        secrets.insert(key.clone(), value);
    }
    let mut config: Vec<ConfigEntry> = settings
        .iter()
        .map(|(k, v)| ConfigEntry {
            key: k.clone(),
            value: ConfigValue::Text(v.clone()),
        })
        .collect();
    config.extend(secrets.keys().map(|k| ConfigEntry {
        key: k.clone(),
        value: ConfigValue::Secret(k.clone()),
    }));
    let grants = grants(name, connection, manifest, protected)?;
    Ok(JobContext {
        plugin_id: manifest.id.clone(),
        connection: name.to_string(),
        config,
        secrets,
        grants,
        limits: manifest.limits.capped_by(cap),
        clock,
    })
}

/// Load the plugin of connection `name` in `home` and build its job context (secrets from the
/// process environment).
pub fn open(home: &Home, runtime: &Runtime, name: &str) -> anyhow::Result<(Plugin, JobContext)> {
    open_with_env(home, runtime, name, &|var| std::env::var(var).ok())
}

/// [`open`], reading secrets through `env` (the demo supplies its vendor fake's token this way).
pub fn open_with_env(
    home: &Home,
    runtime: &Runtime,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<(Plugin, JobContext)> {
    let config = home.config()?;
    let connection = config.connections.get(name).ok_or_else(|| {
        anyhow!("no connection named {name:?}; `credence connection list` shows them")
    })?;
    let registry = home.registry();
    let installed = registry
        .get(&connection.plugin)
        .with_context(|| format!("connection {name}"))?;
    let job = job_context(
        name,
        connection,
        &installed.manifest,
        runtime.cap(),
        crate::clock::clock()?,
        env,
        &[home.root().to_path_buf()],
    )?;
    let plugin = registry
        .load(runtime, &connection.plugin)
        .with_context(|| format!("connection {name}"))?;
    Ok((plugin, job))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn manifest() -> Manifest {
        Manifest::parse(
            r#"
id = "demo"
version = "0.1.0"
kind = "ledger"
contract = "0.1.0"
[capabilities]
http = ["{{config.base_url}}"]
[[config]]
key = "base_url"
label = "Base URL"
required = true
[[config]]
key = "page_size"
default = "100"
[[config]]
key = "token"
label = "API token"
required = true
secret = true
auth = "bearer"
origins = ["{{config.base_url}}"]
"#,
            Path::new("m.toml"),
        )
        .expect("manifest")
    }

    fn connection(settings: &[(&str, &str)], secrets: &[(&str, &str)]) -> ConnectionConfig {
        ConnectionConfig {
            plugin: "demo".into(),
            settings: settings
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            secrets: secrets
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            sync_every_s: None,
        }
    }

    #[test]
    fn secrets_come_from_the_environment_and_reach_the_plugin_by_name_only() {
        let c = connection(
            &[("base_url", "http://127.0.0.1:9")],
            &[("token", "DEMO_TOKEN")],
        );
        let env = |var: &str| (var == "DEMO_TOKEN").then(|| "s3cr3t".to_string());
        let job = job_context(
            "acme",
            &c,
            &manifest(),
            &Limits::default(),
            Clock::System,
            &env,
            &[],
        )
        .expect("job");
        assert_eq!(job.secrets["token"], "s3cr3t");
        let shown = format!("{:?}", job.config);
        assert!(
            !shown.contains("s3cr3t"),
            "secret value leaked into plugin config: {shown}"
        );
        assert!(
            job.config
                .iter()
                .any(|e| e.key == "page_size" && e.value == ConfigValue::Text("100".into()))
        );
    }

    #[test]
    fn misconfigured_connections_are_explained() {
        let m = manifest();
        let none = |_: &str| None;
        let cases = [
            (
                connection(&[], &[("token", "T")]),
                "required setting `base_url`",
            ),
            (
                connection(&[("base_url", "x"), ("tenant", "1")], &[("token", "T")]),
                "no setting `tenant`",
            ),
            (
                connection(&[("base_url", "x"), ("token", "abc")], &[]),
                "is a secret",
            ),
            (
                connection(&[("base_url", "x")], &[]),
                "required secret `token`",
            ),
            (
                connection(&[("base_url", "http://h")], &[("token", "NOPE_UNSET")]),
                "NOPE_UNSET, which is not set",
            ),
        ];
        for (c, expected) in cases {
            let err = job_context(
                "acme",
                &c,
                &m,
                &Limits::default(),
                Clock::System,
                &none,
                &[],
            )
            .unwrap_err()
            .to_string();
            assert!(
                err.contains(expected) && err.contains("acme"),
                "expected {expected:?} in {err}"
            );
        }
    }
}
