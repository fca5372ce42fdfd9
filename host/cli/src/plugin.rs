//! `credence plugin install | list | inspect | remove`.

use super::output::{json, table};
use anyhow::Context;
use clap::Subcommand;
use credence_app::home::Home;
use credence_runtime::JobContext;
use credence_runtime::packages::InstalledPlugin;
use serde_json::json as j;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Install built plugin folders (manifest + wasm), e.g. target/plugins/xero.
    Install {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// List installed plugins.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show a plugin's manifest, pin, streams, config fields and imports.
    Inspect {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove an installed plugin.
    Remove {
        id: String,
        /// Remove it even if connections use it.
        #[arg(long)]
        force: bool,
    },
}

pub async fn run(home: &Home, command: PluginCommand) -> anyhow::Result<ExitCode> {
    let registry = home.registry();
    match command {
        PluginCommand::Install { paths } => {
            let runtime = home.runtime()?;
            let cap = *runtime.cap();
            for path in paths {
                let installed = registry
                    .install(&runtime, tokio::runtime::Handle::current(), &path)
                    .with_context(|| format!("installing the plugin in {}", path.display()))?;
                out!("{}", describe_install(&installed, &cap));
            }
            Ok(ExitCode::SUCCESS)
        }
        PluginCommand::List { json: as_json } => {
            let plugins = registry.list()?;
            if as_json {
                let rows: Vec<_> = plugins.iter().map(summary).collect();
                json(&rows)?;
            } else if plugins.is_empty() {
                outln!(
                    "No plugins installed. Build them with `cargo xtask plugins`, then `credence plugin install target/plugins/<id>`."
                );
            } else {
                let rows: Vec<Vec<String>> = plugins
                    .iter()
                    .map(|p| {
                        let m = &p.manifest;
                        vec![
                            m.id.clone(),
                            m.version.clone(),
                            m.kind.to_string(),
                            m.contract.clone(),
                            p.pin.wasm_sha256[..12].to_string(),
                            m.description.clone(),
                        ]
                    })
                    .collect();
                out!(
                    "{}",
                    table(
                        &["ID", "VERSION", "KIND", "CONTRACT", "SHA256", "DESCRIPTION"],
                        &rows
                    )
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        PluginCommand::Inspect { id, json: as_json } => {
            let installed = registry.get(&id)?;
            let runtime = home.runtime()?;
            let plugin = registry.load(&runtime, &id)?;
            let job = JobContext::standalone(
                &id,
                "inspect",
                installed.manifest.limits.capped_by(runtime.cap()),
            );
            let handle = tokio::runtime::Handle::current();
            let description = tokio::task::spawn_blocking(move || {
                plugin.session(job, handle).and_then(|mut s| s.describe())
            })
            .await??;
            let streams: Vec<_> = description
                .streams
                .iter()
                .map(|s| j!({"name": s.name, "incremental": s.incremental}))
                .collect();
            if as_json {
                let mut value = summary(&installed);
                value["capabilities"] = serde_json::to_value(&installed.manifest.capabilities)?;
                value["limits"] = serde_json::to_value(installed.manifest.limits)?;
                value["effective_limits"] =
                    serde_json::to_value(installed.manifest.limits.capped_by(runtime.cap()))?;
                value["config"] = serde_json::to_value(&installed.manifest.config)?;
                value["streams"] = serde_json::Value::Array(streams);
                value["installed_at"] = j!(installed.pin.installed_at);
                value["source"] = j!(installed.pin.source);
                json(&value)?;
            } else {
                out!("{}", describe_install(&installed, runtime.cap()));
                let names: Vec<String> = description
                    .streams
                    .iter()
                    .map(|s| {
                        format!(
                            "{}{}",
                            s.name,
                            if s.incremental { " (incremental)" } else { "" }
                        )
                    })
                    .collect();
                outln!("  streams: {}", names.join(", "));
                outln!(
                    "  installed {} from {}",
                    installed.pin.installed_at,
                    installed.pin.source
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        PluginCommand::Remove { id, force } => {
            let config = home.config()?;
            let users: Vec<&String> = config
                .connections
                .iter()
                .filter(|(_, c)| c.plugin == id)
                .map(|(n, _)| n)
                .collect();
            if !users.is_empty() && !force {
                anyhow::bail!(
                    "plugin {id} is used by connection(s) {}; remove them first (`credence connection remove NAME`) or pass --force",
                    users
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            registry.remove(&id)?;
            outln!("Removed plugin {id}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn summary(p: &InstalledPlugin) -> serde_json::Value {
    let m = &p.manifest;
    j!({
        "id": m.id, "version": m.version, "kind": m.kind, "contract": m.contract,
        "description": m.description, "wasm_sha256": p.pin.wasm_sha256,
    })
}

fn describe_install(p: &InstalledPlugin, cap: &credence_runtime::limits::Limits) -> String {
    let m = &p.manifest;
    let limits = m.limits.capped_by(cap);
    let none = |v: &[String]| {
        if v.is_empty() {
            "(none)".to_string()
        } else {
            v.join(", ")
        }
    };
    let fields: Vec<String> = m
        .config
        .iter()
        .map(|f| {
            let mut tags = Vec::new();
            if f.secret {
                tags.push("secret");
            }
            if f.required {
                tags.push("required");
            }
            if tags.is_empty() {
                f.key.clone()
            } else {
                format!("{} ({})", f.key, tags.join(", "))
            }
        })
        .collect();
    let secrets: Vec<String> = m
        .config
        .iter()
        .filter(|f| f.secret)
        .map(|f| format!("\n    {}: {}", f.key, f.binding_summary()))
        .collect();
    format!(
        "{} {} ({} plugin, contract credence:plugin@{})\n  wasm sha256 {}\n  manifest sha256 {}\n  grants: http to {}; read-only folders {}\n  secrets sent only as:{}\n  limits: memory {} MiB, CPU {} ms and {} s per call, {} HTTP requests per call and {} per sync, responses up to {} MiB, HTTP timeout {} s; per sync at most {} pages, {} records, {} MiB read, {} minutes\n  config: {}\n",
        m.id,
        m.version,
        m.kind,
        m.contract,
        p.pin.wasm_sha256,
        p.pin.manifest_sha256,
        none(&m.capabilities.http),
        none(&m.capabilities.folders),
        if secrets.is_empty() {
            " (no secrets)".to_string()
        } else {
            secrets.concat()
        },
        limits.memory_mib,
        limits.cpu_ms,
        limits.wall_s,
        limits.http_calls_per_call,
        limits.http_calls_per_sync,
        limits.response_mib,
        limits.http_timeout_s,
        limits.sync_pages,
        limits.sync_records,
        limits.sync_mib,
        limits.sync_minutes,
        if fields.is_empty() {
            "(none)".into()
        } else {
            fields.join(", ")
        },
    )
}
