//! `credence read`: run connections' streams page by page through their plugins and report.
//! Nothing is stored (that is `credence sync`); this is how a user or a plugin author sees what
//! a connector returns, and how one misbehaving connector is shown not to affect the others.

use super::jobs;
use super::output::{json, table};
use clap::Args;
use credence_app::home::Home;
use credence_runtime::bindings::types::RecordBody;
use credence_runtime::{CallError, JobContext, Plugin};
use serde::Serialize;
use std::collections::BTreeMap;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Connections to read (default: all).
    names: Vec<String>,
    /// Only this stream (default: every stream the plugin offers).
    #[arg(long)]
    stream: Option<String>,
    /// Stop after this many pages per stream.
    #[arg(long, default_value_t = 100_000)]
    max_pages: u32,
    #[arg(long)]
    json: bool,
    /// Print every record as a JSON line (`{"connection", "stream", "record"}`) before the report.
    #[arg(long)]
    records: bool,
}

/// What one stream of one connection gave.
#[derive(Debug, Default, Serialize)]
pub struct StreamReport {
    pub stream: String,
    pub pages: u32,
    pub records: u64,
    /// Records by kind: customer, invoice, credit-note, payment, credit-report, rejected, deleted.
    pub kinds: BTreeMap<&'static str, u64>,
    pub cursor: Option<String>,
}

/// What one connection gave.
#[derive(Debug, Serialize)]
pub struct ConnectionReport {
    pub connection: String,
    pub plugin: String,
    pub streams: Vec<StreamReport>,
    pub error: Option<String>,
    pub error_kind: Option<&'static str>,
}

fn kind_of(body: &Option<RecordBody>) -> &'static str {
    match body {
        None => "deleted",
        Some(RecordBody::Customer(_)) => "customer",
        Some(RecordBody::Invoice(_)) => "invoice",
        Some(RecordBody::CreditNote(_)) => "credit-note",
        Some(RecordBody::Payment(_)) => "payment",
        Some(RecordBody::CreditReport(_)) => "credit-report",
        Some(RecordBody::Rejected(_)) => "rejected",
    }
}

/// Read every requested stream of one connection; the first error ends the job.
fn read_connection(
    plugin: &Plugin,
    job: JobContext,
    only: Option<&str>,
    max_pages: u32,
    print_records: bool,
    handle: tokio::runtime::Handle,
) -> (Vec<StreamReport>, Option<CallError>) {
    let connection = job.connection.clone();
    let mut reports = Vec::new();
    let mut session = match plugin.session(job, handle) {
        Ok(s) => s,
        Err(e) => return (reports, Some(e)),
    };
    let streams = match only {
        Some(s) => vec![s.to_string()],
        None => match session.describe() {
            Ok(d) => d.streams.into_iter().map(|s| s.name).collect(),
            Err(e) => return (reports, Some(e)),
        },
    };
    for stream in streams {
        let mut report = StreamReport {
            stream: stream.clone(),
            ..Default::default()
        };
        loop {
            match session.read(&stream, report.cursor.as_deref()) {
                Ok(page) => {
                    report.pages += 1;
                    for record in &page.records {
                        if print_records {
                            let line = serde_json::json!({"connection": connection, "stream": stream, "record": record});
                            super::output::json_line(&line);
                        }
                        // A withdrawal marker (`FILE:*`) is bookkeeping, not a record.
                        if credence_normalize::withdrawal(record).is_some() {
                            continue;
                        }
                        report.records += 1;
                        *report
                            .kinds
                            .entry(if record.deleted {
                                "deleted"
                            } else {
                                kind_of(&record.body)
                            })
                            .or_default() += 1;
                    }
                    if page.cursor.is_some() {
                        report.cursor = page.cursor;
                    }
                    if !page.has_more || report.pages >= max_pages {
                        break;
                    }
                }
                Err(e) => {
                    reports.push(report);
                    return (reports, Some(e));
                }
            }
        }
        reports.push(report);
    }
    (reports, None)
}

pub async fn run(home: &Home, args: ReadArgs) -> anyhow::Result<ExitCode> {
    let names = jobs::names_or_all(home, &args.names)?;
    let runtime = home.runtime()?;
    let (stream, max_pages, records) = (args.stream.clone(), args.max_pages, args.records);
    let env = |var: &str| std::env::var(var).ok();
    let results =
        jobs::for_each_connection(home, &runtime, &names, &env, move |plugin, job, handle| {
            read_connection(&plugin, job, stream.as_deref(), max_pages, records, handle)
        })
        .await?;
    let reports: Vec<ConnectionReport> = results
        .into_iter()
        .map(|r| {
            let (streams, error, error_kind) = match r.outcome {
                Ok((streams, None)) => (streams, None, None),
                Ok((streams, Some(e))) => (streams, Some(e.to_string()), Some(e.kind())),
                Err(f) => (Vec::new(), Some(f.message), Some(f.kind)),
            };
            ConnectionReport {
                connection: r.connection,
                plugin: r.plugin,
                streams,
                error,
                error_kind,
            }
        })
        .collect();
    let failed = reports.iter().filter(|r| r.error.is_some()).count();
    if args.json {
        json(&reports)?;
    } else {
        let mut rows = Vec::new();
        for r in &reports {
            for s in &r.streams {
                let kinds: Vec<String> = s.kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
                rows.push(vec![
                    r.connection.clone(),
                    s.stream.clone(),
                    s.pages.to_string(),
                    s.records.to_string(),
                    kinds.join(", "),
                ]);
            }
        }
        out!(
            "{}",
            table(
                &["CONNECTION", "STREAM", "PAGES", "RECORDS", "KINDS"],
                &rows
            )
        );
        jobs::print_failures(
            reports
                .iter()
                .filter_map(|r| Some((r.connection.as_str(), r.error.as_deref()?))),
        );
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
