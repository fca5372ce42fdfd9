//! `credence monitor`: bureau lookups on the policy's cadence (see [`credence_app::monitor`]),
//! one outcome per customer and bureau.

use super::output::{json, table};
use clap::Args;
use credence_app::home::Home;
use credence_app::monitor::{Scope, monitor};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Bureau connections to use (default: every bureau connection).
    connections: Vec<String>,
    /// Look everyone up again now, whatever the cadence.
    #[arg(long)]
    force: bool,
    #[arg(long)]
    json: bool,
}

impl MonitorArgs {
    /// Every bureau connection, on the cadence, as a table.
    pub fn all() -> MonitorArgs {
        MonitorArgs {
            connections: Vec::new(),
            force: false,
            json: false,
        }
    }

    fn scope(&self) -> Scope {
        Scope {
            connections: self.connections.clone(),
            force: self.force,
        }
    }
}

pub async fn run(home: &Home, args: MonitorArgs) -> anyhow::Result<ExitCode> {
    run_with_env(home, args, &|var| std::env::var(var).ok()).await
}

pub(super) async fn run_with_env(
    home: &Home,
    args: MonitorArgs,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> anyhow::Result<ExitCode> {
    let outcomes = monitor(home, &args.scope(), env).await?;
    let failed = outcomes.iter().any(|o| o.outcome == "failed");
    if args.json {
        json(&outcomes)?;
    } else {
        let rows: Vec<Vec<String>> = outcomes
            .iter()
            .map(|o| {
                vec![
                    o.account.clone(),
                    o.connection.clone(),
                    o.outcome.to_string(),
                    o.reports.to_string(),
                    o.detail.clone().unwrap_or_default(),
                ]
            })
            .collect();
        out!(
            "{}",
            table(
                &["CUSTOMER", "BUREAU", "OUTCOME", "REPORTS", "DETAIL"],
                &rows
            )
        );
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
