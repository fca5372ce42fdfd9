//! `credence sync` and `credence quarantine`.

use super::output::{json, table};
use crate::home::Home;
use crate::store::Store;
use crate::store::sqlite::SqliteStore;
use crate::sync::{SyncOutcome, sync_connection};
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Connections to sync (default: all).
    pub names: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

/// The embedded database of a home.
pub(super) fn database(home: &Home) -> anyhow::Result<PathBuf> {
    let config = home.config()?;
    if config.storage.postgres.is_some() {
        anyhow::bail!(
            "storage.postgres is set in credence.toml, but the PostgreSQL backend is not available yet; remove it to use the embedded SQLite store"
        );
    }
    Ok(home.root().join(&config.storage.sqlite))
}

pub async fn run(home: &Home, args: SyncArgs) -> anyhow::Result<ExitCode> {
    let outcomes = sync_all(home, &args.names, !args.json, &|var| {
        std::env::var(var).ok()
    })
    .await?;
    report(&outcomes, args.json)
}

/// Sync `names` (all connections when empty), each on its own thread, reading secrets through
/// `env`; `progress` shows a live line on a terminal.
pub(super) async fn sync_all(
    home: &Home,
    names: &[String],
    progress: bool,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> anyhow::Result<Vec<SyncOutcome>> {
    let config = home.config()?;
    let names: Vec<String> = if names.is_empty() {
        config.connections.keys().cloned().collect()
    } else {
        names.to_vec()
    };
    let db = database(home)?;
    drop(SqliteStore::open(&db)?);
    let runtime = Arc::new(super::runtime_for(home)?);
    let terminal = std::io::stderr().is_terminal() && progress;
    let mut tasks = Vec::new();
    for name in names {
        let plugin_id = config
            .connections
            .get(&name)
            .map(|c| c.plugin.clone())
            .unwrap_or_default();
        match super::connection::open_with_env(home, &runtime, &name, env) {
            Ok((plugin, job)) => {
                let (db, handle) = (db.clone(), tokio::runtime::Handle::current());
                tasks.push((name.clone(), plugin_id, Ok(tokio::task::spawn_blocking(move || {
                    let mut store = match SqliteStore::open(&db) {
                        Ok(s) => s,
                        Err(e) => {
                            return SyncOutcome { connection: job.connection.clone(), plugin: plugin.id().to_string(), streams: Vec::new(), error: Some(e.to_string()), error_kind: Some("store") };
                        }
                    };
                    let mut progress = |connection: &str, s: &crate::sync::StreamOutcome| {
                        if terminal {
                            eprint!("\r{connection} {}: {} pages, {} new, {} updated, {} deleted, {} quarantined   ", s.stream, s.pages, s.counts.new, s.counts.updated, s.counts.deleted, s.counts.quarantined);
                        }
                    };
                    sync_connection(&plugin, job, &mut store, handle, &mut progress)
                }))));
            }
            Err(e) => tasks.push((name, plugin_id, Err(format!("{e:#}")))),
        }
    }
    let mut outcomes = Vec::new();
    for (connection, plugin, task) in tasks {
        outcomes.push(match task {
            Ok(handle) => handle.await.unwrap_or_else(|e| SyncOutcome {
                connection,
                plugin,
                streams: Vec::new(),
                error: Some(format!("the job panicked in the host: {e}")),
                error_kind: Some("host"),
            }),
            Err(e) => SyncOutcome {
                connection,
                plugin,
                streams: Vec::new(),
                error: Some(e),
                error_kind: Some("setup"),
            },
        });
    }
    if terminal {
        eprintln!();
    }
    if terminal {
        eprintln!();
    }
    Ok(outcomes)
}

/// Print outcomes as a table (or JSON); failure if any connection failed.
pub(super) fn report(outcomes: &[SyncOutcome], as_json: bool) -> anyhow::Result<ExitCode> {
    let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
    if as_json {
        json(&outcomes)?;
    } else {
        let mut rows = Vec::new();
        for o in outcomes {
            for s in &o.streams {
                let c = &s.counts;
                rows.push(vec![
                    o.connection.clone(),
                    s.stream.clone(),
                    s.pages.to_string(),
                    c.new.to_string(),
                    c.updated.to_string(),
                    c.unchanged.to_string(),
                    c.deleted.to_string(),
                    c.quarantined.to_string(),
                ]);
            }
        }
        print!(
            "{}",
            table(
                &[
                    "CONNECTION",
                    "STREAM",
                    "PAGES",
                    "NEW",
                    "UPDATED",
                    "UNCHANGED",
                    "DELETED",
                    "QUARANTINED"
                ],
                &rows
            )
        );
        for o in outcomes.iter().filter(|o| o.error.is_some()) {
            println!(
                "{}: FAILED: {}",
                o.connection,
                o.error.as_deref().unwrap_or_default()
            );
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `credence quarantine`: records held back, with the reasons and the raw payload.
pub async fn quarantine(home: &Home, as_json: bool) -> anyhow::Result<ExitCode> {
    let store = SqliteStore::open(&database(home)?)?;
    let entries = store.quarantine()?;
    if as_json {
        json(&entries)?;
    } else if entries.is_empty() {
        println!("Nothing in quarantine.");
    } else {
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                vec![
                    e.connection.clone(),
                    e.stream.clone(),
                    e.remote_id.clone(),
                    e.reasons.join("; "),
                ]
            })
            .collect();
        print!(
            "{}",
            table(&["CONNECTION", "STREAM", "REMOTE ID", "REASONS"], &rows)
        );
        println!(
            "{} record(s) held back. Fix them at the source; the next sync takes them in once they are valid.",
            entries.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
