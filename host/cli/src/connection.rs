//! `credence connection add | list | check | remove`.

use super::output::{json, table};
use anyhow::anyhow;
use clap::Subcommand;
use credence_app::connections;
use credence_app::home::{ConnectionConfig, Home};
use credence_runtime::grants::GrantError;
use std::collections::BTreeMap;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ConnectionCommand {
    /// Add a connection: a plugin with its settings and secrets.
    Add {
        name: String,
        /// Installed plugin id.
        #[arg(long)]
        plugin: String,
        /// A plain setting, KEY=VALUE (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        settings: Vec<String>,
        /// A secret, KEY=ENV_VAR: the value is read from that environment variable when jobs
        /// run and is never stored or shown to the plugin (repeatable).
        #[arg(long = "secret", value_name = "KEY=ENV_VAR")]
        secrets: Vec<String>,
    },
    /// List connections.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Check connections: run each plugin's `check` (credentials, reachability).
    Check {
        /// Connections to check (default: all).
        names: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Remove a connection from credence.toml.
    Remove { name: String },
}

fn pairs(items: &[String], flag: &str) -> anyhow::Result<BTreeMap<String, String>> {
    items
        .iter()
        .map(|item| {
            item.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| anyhow!("`{flag} {item}` must look like KEY=VALUE"))
        })
        .collect()
}

pub async fn run(home: &Home, command: ConnectionCommand) -> anyhow::Result<ExitCode> {
    match command {
        ConnectionCommand::Add {
            name,
            plugin,
            settings,
            secrets,
        } => {
            let connection = ConnectionConfig {
                plugin: plugin.clone(),
                settings: pairs(&settings, "--set")?,
                secrets: pairs(&secrets, "--secret")?,
                sync_every_s: None,
            };
            let installed = home.registry().get(&plugin)?;
            connections::validate(&name, &connection, &installed.manifest)?;
            // Folders and origins are resolved now, so a folder that may never be granted
            // (a system folder, the home) is refused before anything is written. A folder
            // that does not exist yet is left for `connection check` to report.
            match connections::grants(
                &name,
                &connection,
                &installed.manifest,
                &[home.root().to_path_buf()],
            ) {
                Err(connections::ConnectionError::Grant {
                    error: GrantError::BadFolder { .. },
                    ..
                })
                | Ok(_) => {}
                Err(e) => return Err(e.into()),
            }
            home.add_connection(&name, &connection)?;
            outln!(
                "Added connection {name} (plugin {plugin}). Check it with `credence connection check {name}`."
            );
            Ok(ExitCode::SUCCESS)
        }
        ConnectionCommand::List { json: as_json } => {
            let config = home.config()?;
            if as_json {
                json(&config.connections)?;
            } else if config.connections.is_empty() {
                outln!(
                    "No connections. Add one with `credence connection add NAME --plugin ID --set KEY=VALUE --secret KEY=ENV_VAR`."
                );
            } else {
                let rows: Vec<Vec<String>> = config
                    .connections
                    .iter()
                    .map(|(n, c)| {
                        let settings: Vec<String> =
                            c.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
                        let secrets: Vec<String> =
                            c.secrets.iter().map(|(k, v)| format!("{k}=${v}")).collect();
                        vec![
                            n.clone(),
                            c.plugin.clone(),
                            settings.join(" "),
                            secrets.join(" "),
                        ]
                    })
                    .collect();
                out!(
                    "{}",
                    table(&["NAME", "PLUGIN", "SETTINGS", "SECRETS (env)"], &rows)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ConnectionCommand::Check {
            names,
            json: as_json,
        } => {
            let names = super::jobs::names_or_all(home, &names)?;
            let runtime = home.runtime()?;
            let env = |var: &str| std::env::var(var).ok();
            let results: Vec<(String, Result<(), String>)> = super::jobs::for_each_connection(
                home,
                &runtime,
                &names,
                &env,
                |plugin, job, handle| {
                    let config = job.config.clone();
                    plugin
                        .session(job, handle)
                        .and_then(|mut s| s.check(&config))
                        .map_err(|e| e.to_string())
                },
            )
            .await?
            .into_iter()
            .map(|r| (r.connection, r.outcome.unwrap_or_else(|f| Err(f.message))))
            .collect();
            let failed = results.iter().filter(|(_, r)| r.is_err()).count();
            if as_json {
                let rows: Vec<_> = results
                    .iter()
                    .map(|(n, r)| serde_json::json!({"connection": n, "ok": r.is_ok(), "error": r.as_ref().err()}))
                    .collect();
                json(&rows)?;
            } else {
                for (name, result) in &results {
                    match result {
                        Ok(()) => outln!("{name}: ok"),
                        Err(e) => outln!("{name}: FAILED: {}", super::output::safe(&e.to_string())),
                    }
                }
            }
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        ConnectionCommand::Remove { name } => {
            home.remove_connection(&name)?;
            outln!("Removed connection {name}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
