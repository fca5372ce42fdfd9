//! `credence dunning` (plan, preview, queue), `credence deliver` (the delivery loop) and
//! `credence outbox` (what was queued and delivered, with the policy version of each).

use super::output::{json, safe, table};
use chrono::NaiveDate;
use clap::Args;
use credence_app::dunning::deliver::{self, Channels};
use credence_app::home::Home;
use credence_model::dunning::{Channel, Status};
use credence_rules::dunning::Plan;
use credence_rules::law;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct DunningArgs {
    /// Plan the run for this day (YYYY-MM-DD; default today, or the day of CREDENCE_NOW).
    #[arg(long)]
    as_of: Option<NaiveDate>,
    /// Show what would go out, rendered, and why; queue nothing.
    #[arg(long)]
    dry_run: bool,
    /// Deliver the outbox right after queueing.
    #[arg(long)]
    deliver: bool,
    /// List the statutory interest packs with their legal sources, and stop.
    #[arg(long)]
    packs: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct DeliverArgs {
    /// Deliver at most this many actions.
    #[arg(long)]
    limit: Option<usize>,
    /// Put failed actions back in the queue first.
    #[arg(long)]
    retry_failed: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// pending, sending, delivered or failed.
    #[arg(long)]
    status: Option<String>,
    /// Show one action in full (key or unique prefix).
    #[arg(long)]
    show: Option<String>,
    #[arg(long)]
    json: bool,
}

/// The home's message renderer (its `templates/` folder overrides the built-in ones).
/// The actions of a plan as a table.
pub(super) fn actions_table(plan: &Plan) -> String {
    let rows: Vec<Vec<String>> = plan
        .actions
        .iter()
        .map(|a| {
            vec![
                a.customer_name.clone(),
                a.step.clone(),
                a.channel.as_str().to_string(),
                a.language.clone(),
                a.invoices
                    .iter()
                    .map(|i| i.number.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                format!("{} {}", a.currency, a.currency.fixed(a.total)),
            ]
        })
        .collect();
    table(
        &["customer", "step", "channel", "lang", "invoices", "total"],
        &rows,
    )
}

fn preview(plan: &Plan) -> String {
    let mut out = format!(
        "Dunning run for {} (policy {}): {} action(s)\n\n",
        plan.as_of,
        plan.policy_version,
        plan.actions.len()
    );
    out.push_str(&actions_table(plan));
    for a in &plan.actions {
        out.push_str(&format!(
            "\n── {} · {} · {} → {}\n",
            a.key,
            super::output::cell(&a.customer_name),
            a.channel.as_str(),
            safe(a.recipient.as_deref().unwrap_or("(task list)"))
        ));
        for why in &a.why {
            out.push_str(&format!("   why: {}\n", safe(why)));
        }
        for c in &a.charges {
            for line in &c.explanation {
                out.push_str(&format!(
                    "   {} {:?}: {}\n",
                    safe(&c.number),
                    c.kind,
                    safe(line)
                ));
            }
        }
        if a.channel != Channel::Task || !a.subject.is_empty() {
            out.push_str(&format!("\n   Subject: {}\n\n", safe(&a.subject)));
            for line in a.body.lines() {
                out.push_str(&format!("   {}\n", safe(line)));
            }
        }
    }
    if !plan.waiting.is_empty() {
        out.push_str(&format!("\nWaiting ({}):\n", plan.waiting.len()));
        for w in &plan.waiting {
            out.push_str(&format!(
                "   {} {}: {}\n",
                super::output::cell(&w.customer_name),
                safe(&w.invoice),
                safe(&w.reason)
            ));
        }
    }
    out
}

pub async fn run(home: &Home, args: DunningArgs) -> anyhow::Result<ExitCode> {
    if args.packs {
        for p in law::packs() {
            outln!(
                "{} ({}): reference {} + {} points, checked {}\n    {}",
                p.code,
                p.name,
                p.reference,
                p.margin,
                p.checked,
                p.source
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut store = home.open_store()?;
    let as_of = match args.as_of {
        Some(d) => d,
        None => credence_app::clock::today()?,
    };
    let plan = credence_app::dunning::plan_for(home, store.as_ref(), as_of)?;
    if args.dry_run {
        if args.json {
            json(&plan)?;
        } else {
            out!("{}", preview(&plan));
            outln!("\nDry run: nothing queued.");
        }
        return Ok(ExitCode::SUCCESS);
    }
    // The outbox's next-attempt times are process time (see `deliver::run`).
    let new = store.enqueue(&plan.actions, chrono::Utc::now())?;
    if args.json && !args.deliver {
        json(&serde_json::json!({
            "as_of": plan.as_of,
            "policy_version": plan.policy_version,
            "planned": plan.actions.len(),
            "queued": new,
            "waiting": plan.waiting.len(),
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    if !args.json {
        out!("{}", actions_table(&plan));
        outln!(
            "Queued {new} new action(s) for {as_of} ({} already in the outbox); {} invoice(s) waiting.",
            plan.actions.len() - new,
            plan.waiting.len()
        );
    }
    if args.deliver {
        return deliver(
            home,
            DeliverArgs {
                limit: None,
                retry_failed: false,
                json: args.json,
            },
        )
        .await;
    }
    Ok(ExitCode::SUCCESS)
}

fn now() -> anyhow::Result<impl Fn() -> chrono::DateTime<chrono::Utc>> {
    let clock = credence_app::clock::clock()?;
    Ok(move || clock.now())
}

/// The holder of claims made by `credence deliver`: a rerun after a crash takes them back at once.
const CLI_HOLDER: &str = "cli";

pub async fn deliver(home: &Home, args: DeliverArgs) -> anyhow::Result<ExitCode> {
    let config = home.config()?;
    let channels = Channels::new(&config.delivery, home.root().join("letters"))?;
    let mut store = home.open_store()?;
    let business_now = now()?;
    if args.retry_failed {
        store.retry_failed(chrono::Utc::now())?;
    }
    let report = deliver::run(
        store.as_mut(),
        &channels,
        business_now,
        args.limit,
        CLI_HOLDER,
    )
    .await?;
    if args.json {
        json(&report)?;
    } else {
        outln!(
            "Delivered {}, retrying later {}, failed {}{}.",
            report.delivered,
            report.retrying,
            report.failed,
            if report.resumed > 0 {
                format!(
                    " ({} interrupted deliveries resumed with their original message ids)",
                    report.resumed
                )
            } else {
                String::new()
            }
        );
        for e in &report.errors {
            outln!("  {}", safe(e));
        }
    }
    Ok(delivery_status(&report))
}

/// The exit status of a delivery run: 0 when everything that was due went out (or nothing was
/// due), 2 when any action failed or could not be delivered this run, so a cron job or a
/// script notices a relay that is down instead of reading "exit 0" as "sent". What to do is
/// said on stderr.
fn delivery_status(report: &deliver::Report) -> ExitCode {
    let undelivered = report.retrying + report.failed;
    if undelivered == 0 {
        return ExitCode::SUCCESS;
    }
    let mut what = Vec::new();
    if report.retrying > 0 {
        what.push(format!(
            "{} will be retried after a backoff by the next `credence deliver`",
            report.retrying
        ));
    }
    if report.failed > 0 {
        what.push(format!(
            "{} failed for good and wait for `credence deliver --retry-failed`",
            report.failed
        ));
    }
    eprintln!(
        "error: {undelivered} action(s) could not be delivered this run ({}); fix the cause shown \
         (e.g. the [delivery.smtp] relay in credence.toml, or the customer's address), then \
         run `credence deliver` again; `credence outbox --status pending` lists them",
        what.join("; ")
    );
    ExitCode::from(2)
}

pub async fn outbox(home: &Home, args: OutboxArgs) -> anyhow::Result<ExitCode> {
    let status = match args.status.as_deref() {
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            anyhow::anyhow!("--status {s:?}: use pending, sending, delivered or failed")
        })?),
        None => None,
    };
    let store = home.open_store()?;
    let entries = store.outbox(status)?;
    if let Some(key) = &args.show {
        let found: Vec<_> = entries
            .iter()
            .filter(|e| e.action.key.starts_with(key.as_str()))
            .collect();
        let [entry] = found.as_slice() else {
            anyhow::bail!(
                "{} actions match {key:?}: give more of the key (see `credence outbox`)",
                found.len()
            );
        };
        if args.json {
            json(entry)?;
        } else {
            let a = &entry.action;
            outln!(
                "{} · {} · step {} · {} · {} (policy {}, planned for {})\nStatus: {}{}\n",
                a.key,
                super::output::cell(&a.customer_name),
                a.step,
                a.channel.as_str(),
                safe(a.recipient.as_deref().unwrap_or("-")),
                a.policy_version,
                a.planned_on,
                entry.status.as_str(),
                entry
                    .receipt
                    .as_ref()
                    .map(|r| format!(" ({})", safe(r)))
                    .unwrap_or_default()
            );
            // The body keeps its lines; `out!` escapes anything else a terminal would act on.
            outln!("Subject: {}\n\n{}", safe(&a.subject), a.body);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.json {
        json(&entries)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                e.action.key.clone(),
                e.action.planned_on.to_string(),
                e.action.customer_name.clone(),
                e.action.channel.as_str().into(),
                e.status.as_str().into(),
                e.attempts.to_string(),
                e.action.policy_version.clone(),
                e.last_error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    out!(
        "{}",
        table(
            &[
                "key", "planned", "customer", "channel", "status", "attempts", "policy", "error"
            ],
            &rows
        )
    );
    Ok(ExitCode::SUCCESS)
}
