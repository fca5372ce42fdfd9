//! `credence sync` and `credence quarantine`.

use super::jobs;
use super::output::{json, table};
use clap::Args;
use credence_app::home::Home;
use credence_app::sync::{SyncOutcome, sync_connection};
use std::io::IsTerminal;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Connections to sync (default: all).
    pub names: Vec<String>,
    #[arg(long)]
    pub json: bool,
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
    let names = jobs::names_or_all(home, names)?;
    let db = home.store_location()?;
    // Open once first, so migrations run before the jobs open their own connections.
    drop(db.open()?);
    let runtime = home.runtime()?;
    let terminal = std::io::stderr().is_terminal() && progress;
    let root = home.root().to_path_buf();
    let results = jobs::for_each_connection(home, &runtime, &names, env, move |plugin, job, handle| {
        // Held until this connection's sync returns: another process syncing it means skip.
        let _lock = match credence_app::lock::try_lock(&root, &job.connection) {
            Ok(lock) => lock,
            Err(credence_app::lock::NotLocked::Busy(message)) => {
                return Ok(failed(
                    job.connection.clone(),
                    job.plugin_id.clone(),
                    message,
                    credence_app::lock::LOCKED,
                ));
            }
            Err(credence_app::lock::NotLocked::Io(message)) => return Err(message),
        };
        let mut store = db.open().map_err(|e| e.to_string())?;
        let mut show = |connection: &str, s: &credence_app::sync::StreamOutcome| {
            if terminal {
                let c = &s.counts;
                eprint!(
                    "\r{connection} {}: {} pages, {} new, {} updated, {} deleted, {} quarantined   ",
                    s.stream, s.pages, c.new, c.updated, c.deleted, c.quarantined
                );
            }
        };
        Ok::<_, String>(sync_connection(&plugin, job, store.as_mut(), handle, &mut show))
    })
    .await?;
    if terminal {
        eprintln!();
    }
    Ok(results
        .into_iter()
        .map(|r| match r.outcome {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(store_error)) => failed(r.connection, r.plugin, store_error, "store"),
            Err(f) => failed(r.connection, r.plugin, f.message, f.kind),
        })
        .collect())
}

fn failed(connection: String, plugin: String, error: String, kind: &'static str) -> SyncOutcome {
    SyncOutcome {
        connection,
        plugin,
        streams: Vec::new(),
        error: Some(error),
        error_kind: Some(kind),
        retry_after_s: None,
    }
}

/// Print outcomes as a table (or JSON); failure if any connection failed.
pub(super) fn report(outcomes: &[SyncOutcome], as_json: bool) -> anyhow::Result<ExitCode> {
    let (skipped, others): (Vec<&SyncOutcome>, Vec<&SyncOutcome>) = outcomes
        .iter()
        .partition(|o| o.error_kind == Some(credence_app::lock::LOCKED));
    let failed = others.iter().filter(|o| o.error.is_some()).count();
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
        out!(
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
        jobs::print_failures(
            outcomes
                .iter()
                .filter(|o| o.error_kind != Some(credence_app::lock::LOCKED))
                .filter_map(|o| Some((o.connection.as_str(), o.error.as_deref()?))),
        );
    }
    // Skips are said on stderr whatever the format: they are not failures of the connection,
    // and the other process is syncing it.
    for o in &skipped {
        if let Some(message) = &o.error {
            eprintln!("warning: {}", super::output::safe(message));
        }
    }
    Ok(sync_status(failed, skipped.len()))
}

/// The exit status of `credence sync`: 1 (failure) when any connection failed; otherwise 3 when
/// any was skipped because another credence process is syncing it (nothing is wrong, but this
/// run did not bring it up to date, which a script should be able to tell from success);
/// otherwise 0.
fn sync_status(failed: usize, skipped: usize) -> ExitCode {
    if failed > 0 {
        ExitCode::FAILURE
    } else if skipped > 0 {
        ExitCode::from(SKIPPED)
    } else {
        ExitCode::SUCCESS
    }
}

/// `credence sync`'s exit status when a connection was skipped, being synced elsewhere.
pub const SKIPPED: u8 = 3;

/// `credence quarantine`: records held back, with the reasons and the raw payload.
pub async fn quarantine(home: &Home, as_json: bool) -> anyhow::Result<ExitCode> {
    let store = home.open_store()?;
    let entries = store.quarantine()?;
    if as_json {
        json(&entries)?;
    } else if entries.is_empty() {
        outln!("Nothing in quarantine.");
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
        out!(
            "{}",
            table(&["CONNECTION", "STREAM", "REMOTE ID", "REASONS"], &rows)
        );
        outln!(
            "{} record(s) held back. Fix them at the source; the next sync takes them in once they are valid.",
            entries.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
