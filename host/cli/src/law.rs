//! `credence law`: the statutory reference rates, kept current from their publishers.

use super::output::{json, safe, table};
use anyhow::{Context, bail};
use clap::Subcommand;
use credence_app::home::Home;
use std::collections::BTreeMap;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum LawCommand {
    /// Fetch each reference-rate series from its official publisher (ECB, Bundesbank, Bank of
    /// England, ČNB) into the home's law-rates.toml, showing what changed and recording the
    /// source and the date. Exits 1 when a publisher could not be read.
    Update {
        /// Only these series (ecb-mro, de-basiszins, uk-bank-rate, cz-cnb-repo).
        series: Vec<String>,
        /// Read a series from another address: SERIES=URL (a mirror, or a test server).
        #[arg(long = "url", value_name = "SERIES=URL")]
        urls: Vec<String>,
        /// Show what would change without writing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(home: &Home, command: LawCommand) -> anyhow::Result<ExitCode> {
    let LawCommand::Update {
        series,
        urls,
        dry_run,
        json: as_json,
    } = command;
    let known: Vec<&str> = credence_app::law_rates::PUBLISHERS
        .iter()
        .map(|p| p.series)
        .collect();
    for s in &series {
        if !known.contains(&s.as_str()) {
            bail!(
                "no publisher for the series {s:?}: the series fetched are {} (the BNR's reference rate is added by hand under [dunning.reference_rates.ro-bnr-reference])",
                known.join(", ")
            );
        }
    }
    let mut addresses = BTreeMap::new();
    for u in &urls {
        let (s, url) = u
            .split_once('=')
            .with_context(|| format!("--url {u:?}: give SERIES=URL"))?;
        if !known.contains(&s) {
            bail!(
                "--url {u:?}: unknown series {s:?}; the series are {}",
                known.join(", ")
            );
        }
        addresses.insert(s.to_string(), url.to_string());
    }
    let today = credence_app::clock::today()?;
    let outcomes =
        credence_app::law_rates::update(home.root(), &series, &addresses, today, !dry_run).await?;
    let failed = outcomes.iter().any(|o| o.error.is_some());
    if as_json {
        json(&outcomes)?;
    } else {
        let rows: Vec<Vec<String>> = outcomes
            .iter()
            .flat_map(|o| {
                if let Some(e) = &o.error {
                    return vec![vec![
                        o.series.clone(),
                        "-".into(),
                        "-".into(),
                        format!("not updated: {e}"),
                    ]];
                }
                if o.changes.is_empty() {
                    return vec![vec![
                        o.series.clone(),
                        "-".into(),
                        "-".into(),
                        "up to date".into(),
                    ]];
                }
                o.changes
                    .iter()
                    .map(|c| {
                        vec![
                            o.series.clone(),
                            c.from.to_string(),
                            c.was.map_or("(missing)".into(), |w| w.to_string()),
                            format!("{} %", c.now),
                        ]
                    })
                    .collect()
            })
            .collect();
        out!("{}", table(&["series", "from", "was", "now"], &rows));
        for o in outcomes.iter().filter(|o| o.error.is_none()) {
            outln!("{}: {} (fetched {today})", o.series, safe(&o.source));
        }
        if dry_run {
            outln!("Dry run: nothing written.");
        } else {
            outln!(
                "Written to {}; the policy's [dunning.reference_rates] still win.",
                home.root().join(credence_app::law_rates::FILE).display()
            );
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
