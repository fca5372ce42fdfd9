//! What people record: `credence tasks` (done / snooze), `credence dispute`,
//! `credence payment-plan` and `credence hold`. Each changes what the next dunning run does.

use super::output::{json, safe, table};
use anyhow::{anyhow, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use credence_app::home::Home;
use credence_model::dunning::{Channel, Status, TaskState};
use credence_model::{Currency, Dispute, Instalment, Money, PaymentPlan};
use rust_decimal::Decimal;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct TasksArgs {
    #[command(subcommand)]
    command: Option<TaskCommand>,
    /// Include done tasks and those snoozed beyond today.
    #[arg(long)]
    all: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum TaskCommand {
    /// Mark a task done (key or a unique beginning of it).
    Done {
        key: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Hide a task until a day.
    Snooze {
        key: String,
        #[arg(long)]
        until: NaiveDate,
        #[arg(long)]
        note: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct DisputeArgs {
    /// The invoice: its number, or CONNECTION/REMOTE-ID when numbers repeat across ledgers.
    invoice: Option<String>,
    /// What the customer contests.
    #[arg(long)]
    reason: Option<String>,
    /// Who recorded it.
    #[arg(long)]
    by: Option<String>,
    /// Reminders resume after this day even if the dispute is still open.
    #[arg(long)]
    until: Option<NaiveDate>,
    /// When it was raised (default today).
    #[arg(long)]
    on: Option<NaiveDate>,
    /// Resolve dispute number N instead (reminders resume at the next run).
    #[arg(long)]
    resolve: Option<i64>,
    /// List disputes.
    #[arg(long)]
    list: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum HoldCommand {
    /// Customers on a credit hold the dunning ladder delivered, with the invoices it waits for.
    List {
        /// As of this day (default today).
        #[arg(long)]
        as_of: Option<NaiveDate>,
        #[arg(long)]
        json: bool,
    },
    /// Lift a customer's credit holds: deliveries on credit may resume (the policy's own state
    /// rules still apply; an override in policy.toml sets the state whatever they say).
    Release {
        /// CONNECTION/REMOTE-ID of a customer record.
        customer: String,
        /// Who releases it.
        #[arg(long)]
        by: String,
        /// Why (kept with the release and shown in the evaluation).
        #[arg(long)]
        reason: String,
        /// When (default today).
        #[arg(long)]
        on: Option<NaiveDate>,
    },
}

#[derive(Debug, Args)]
pub struct PaymentPlanArgs {
    /// CONNECTION/REMOTE-ID of a customer record.
    customer: String,
    /// ISO 4217 currency of the instalments.
    #[arg(long)]
    currency: String,
    /// DATE=AMOUNT, once per instalment (e.g. --instalment 2026-12-15=500).
    #[arg(long = "instalment", required = true)]
    instalments: Vec<String>,
    /// Invoices it covers (numbers or keys); none: every invoice in the currency issued by then.
    #[arg(long = "invoice")]
    invoices: Vec<String>,
    /// Who agreed it.
    #[arg(long)]
    by: String,
    /// When it was agreed (default today).
    #[arg(long)]
    on: Option<NaiveDate>,
    #[arg(long)]
    note: Option<String>,
}

pub async fn tasks(home: &Home, args: TasksArgs) -> anyhow::Result<ExitCode> {
    let mut store = home.open_store()?;
    if let Some(command) = args.command {
        let (key, state, until, note) = match command {
            TaskCommand::Done { key, note } => (key, TaskState::Done, None, note),
            TaskCommand::Snooze { key, until, note } => {
                (key, TaskState::Snoozed, Some(until), note)
            }
        };
        let matched = store.update_task(&key, state, until, note.as_deref())?;
        return match matched.as_slice() {
            [one] => {
                outln!(
                    "Task {one}: {state:?}{}",
                    until.map(|u| format!(" until {u}")).unwrap_or_default()
                );
                Ok(ExitCode::SUCCESS)
            }
            [] => bail!("no task {key:?}: see `credence tasks` for the keys"),
            many => bail!(
                "{key:?} matches {} tasks ({}): give more of the key",
                many.len(),
                many.join(", ")
            ),
        };
    }
    let today = credence_app::clock::today()?;
    let tasks: Vec<_> = store
        .outbox(Some(Status::Delivered))?
        .into_iter()
        .filter(|e| e.action.channel == Channel::Task)
        .filter(|e| {
            args.all
                || match e.task {
                    Some(TaskState::Done) => false,
                    Some(TaskState::Snoozed) => e.snoozed_until.is_none_or(|u| u <= today),
                    _ => true,
                }
        })
        .collect();
    if args.json {
        json(&tasks)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = tasks
        .iter()
        .map(|e| {
            let a = &e.action;
            vec![
                a.key.clone(),
                a.planned_on.to_string(),
                a.kind.as_str().into(),
                a.customer_name.clone(),
                a.recipient.clone().unwrap_or_default(),
                format!("{} {}", a.currency, a.currency.fixed(a.total)),
                a.deadline.map(|d| d.to_string()).unwrap_or_default(),
                match e.task {
                    Some(TaskState::Done) => "done".into(),
                    Some(TaskState::Snoozed) => format!(
                        "snoozed to {}",
                        e.snoozed_until.map(|u| u.to_string()).unwrap_or_default()
                    ),
                    _ => "open".into(),
                },
            ]
        })
        .collect();
    out!(
        "{}",
        table(
            &[
                "key", "since", "task", "customer", "contact", "amount", "deadline", "state"
            ],
            &rows
        )
    );
    for e in &tasks {
        outln!(
            "\n{} · {}\n{}",
            e.action.key,
            safe(&e.action.subject),
            e.action.body
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn dispute(home: &Home, args: DisputeArgs) -> anyhow::Result<ExitCode> {
    let mut store = home.open_store()?;
    if let Some(id) = args.resolve {
        let on = match args.on {
            Some(d) => d,
            None => credence_app::clock::today()?,
        };
        if !store.resolve_dispute(id, on)? {
            bail!("no open dispute {id}: see `credence dispute --list`");
        }
        outln!("Dispute {id} resolved on {on}; reminders resume at the next run.");
        return Ok(ExitCode::SUCCESS);
    }
    if args.list || args.invoice.is_none() {
        let all = store.disputes()?;
        if args.json {
            json(&all)?;
        } else {
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|d| {
                    vec![
                        d.id.to_string(),
                        d.number.clone(),
                        d.opened_on.to_string(),
                        d.until.map(|u| u.to_string()).unwrap_or_default(),
                        d.resolved_on
                            .map(|u| u.to_string())
                            .unwrap_or("open".into()),
                        d.by.clone(),
                        d.reason.clone(),
                    ]
                })
                .collect();
            out!(
                "{}",
                table(
                    &[
                        "id", "invoice", "opened", "until", "resolved", "by", "reason"
                    ],
                    &rows
                )
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let wanted = args.invoice.unwrap_or_default();
    let reason = args
        .reason
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| anyhow!("--reason is required: say what the customer contests"))?;
    let by = args
        .by
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| anyhow!("--by is required: who recorded the dispute"))?;
    let (invoice, number) = credence_app::find::invoice(store.as_ref(), &wanted)?;
    let opened_on = match args.on {
        Some(d) => d,
        None => credence_app::clock::today()?,
    };
    let dispute = Dispute {
        id: 0,
        invoice,
        number,
        opened_on,
        until: args.until,
        reason,
        by,
        resolved_on: None,
    };
    let id = store.record_dispute(&dispute)?;
    outln!(
        "Dispute {id} recorded on invoice {} ({}): reminders for it wait{}.",
        safe(&dispute.number),
        safe(&dispute.invoice),
        dispute
            .until
            .map(|u| format!(" until {u}"))
            .unwrap_or_else(|| " until it is resolved (`credence dispute --resolve N`)".into())
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn payment_plan(home: &Home, args: PaymentPlanArgs) -> anyhow::Result<ExitCode> {
    let currency = Currency::parse(&args.currency).map_err(|e| anyhow!("--currency: {e}"))?;
    let mut store = home.open_store()?;
    credence_app::find::customer(store.as_ref(), &args.customer)?;
    let mut instalments = Vec::new();
    for text in &args.instalments {
        let (date, amount) = text.split_once('=').ok_or_else(|| {
            anyhow!("--instalment {text:?}: write DATE=AMOUNT, e.g. 2026-12-15=500")
        })?;
        let due: NaiveDate = date
            .trim()
            .parse()
            .map_err(|e| anyhow!("--instalment {text:?}: {date:?} is not a date: {e}"))?;
        let amount: Decimal = amount
            .trim()
            .parse()
            .map_err(|e| anyhow!("--instalment {text:?}: {amount:?} is not an amount: {e}"))?;
        if amount <= Decimal::ZERO {
            bail!("--instalment {text:?}: the amount must be positive");
        }
        instalments.push(Instalment {
            due,
            amount: Money { amount, currency },
        });
    }
    let invoices = args
        .invoices
        .iter()
        .map(|i| credence_app::find::invoice(store.as_ref(), i).map(|(key, _)| key))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let agreed_on = match args.on {
        Some(d) => d,
        None => credence_app::clock::today()?,
    };
    let plan = PaymentPlan {
        id: 0,
        customer: args.customer,
        currency,
        agreed_on,
        by: args.by,
        invoices,
        instalments,
        note: args.note,
    };
    let id = store.record_payment_plan(&plan)?;
    let total = currency.fixed(plan.instalments.iter().map(|i| i.amount.amount).sum());
    outln!(
        "Payment plan {id} recorded for {}: {} instalment(s), {currency} {total} in all; the invoices it covers leave the ladder and each instalment is chased on its due date.",
        safe(&plan.customer),
        plan.instalments.len()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn hold(home: &Home, command: HoldCommand) -> anyhow::Result<ExitCode> {
    match command {
        HoldCommand::List {
            as_of,
            json: as_json,
        } => {
            let evaluation = super::credit::evaluation(home, as_of)?;
            let held: Vec<_> = evaluation
                .customers
                .iter()
                .filter_map(|d| {
                    d.reasons
                        .iter()
                        .find(|r| &*r.code == "credit-hold")
                        .map(|r| (d, r))
                })
                .collect();
            if as_json {
                let rows: Vec<_> = held
                    .iter()
                    .map(|(d, r)| {
                        serde_json::json!({
                            "account": d.account,
                            "name": d.name,
                            "state": d.state,
                            "reason": r.sentence,
                        })
                    })
                    .collect();
                json(&rows)?;
                return Ok(ExitCode::SUCCESS);
            }
            if held.is_empty() {
                outln!("No customer is on a credit hold from the dunning ladder.");
                return Ok(ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = held
                .iter()
                .map(|(d, r)| {
                    vec![
                        d.account.clone(),
                        d.name.clone(),
                        d.state.as_str().into(),
                        r.sentence.clone(),
                    ]
                })
                .collect();
            out!(
                "{}",
                table(&["account", "customer", "state", "hold"], &rows)
            );
            Ok(ExitCode::SUCCESS)
        }
        HoldCommand::Release {
            customer,
            by,
            reason,
            on,
        } => {
            if by.trim().is_empty() || reason.trim().is_empty() {
                bail!("--by and --reason must say who releases the hold and why");
            }
            let mut store = home.open_store()?;
            credence_app::find::customer(store.as_ref(), &customer)?;
            let released_on = match on {
                Some(d) => d,
                None => credence_app::clock::today()?,
            };
            let n = store.record_hold_release(&credence_model::HoldRelease {
                id: 0,
                customer: customer.clone(),
                released_on,
                by,
                reason,
            })?;
            drop(store);
            outln!(
                "Hold release {n} recorded for {} on {released_on}",
                safe(&customer)
            );
            let evaluation = super::credit::evaluation(home, Some(released_on))?;
            if let Some(d) = evaluation
                .customers
                .iter()
                .find(|d| d.account == customer || d.members.contains(&customer))
                && let Some(first) = d.reasons.first()
                && d.state >= credence_rules::credit::CreditState::Hold
            {
                outln!(
                    "The customer is still {} by the policy's rule {}: {}. To grant credit anyway, add an [[overrides]] entry in policy.toml.",
                    d.state.as_str(),
                    first.code,
                    safe(&first.sentence)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `credence letters [KEY]`: the letters delivered, from the store's outbox (whichever instance
/// filed them), or one letter's text.
pub async fn letters(home: &Home, key: Option<String>, as_json: bool) -> anyhow::Result<ExitCode> {
    let store = home.open_store()?;
    if let Some(key) = key {
        let entry = credence_app::dunning::deliver::find_letter(store.as_ref(), &key)?;
        if as_json {
            json(&entry)?;
        } else {
            // Line by line: outside text is made safe for a terminal, its line breaks kept.
            for line in credence_app::dunning::deliver::letter_text(&entry.action).lines() {
                outln!("{}", safe(line));
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut letters: Vec<_> = store
        .outbox(Some(Status::Delivered))?
        .into_iter()
        .filter(|e| e.action.channel == Channel::Letter)
        .collect();
    letters.sort_by(|a, b| a.delivered_at.cmp(&b.delivered_at));
    if as_json {
        json(&letters)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = letters
        .iter()
        .map(|e| {
            vec![
                e.action.key.clone(),
                e.delivered_at.clone().unwrap_or_default(),
                e.action.customer_name.clone(),
                e.action.subject.clone(),
            ]
        })
        .collect();
    out!(
        "{}",
        table(&["key", "delivered", "customer", "subject"], &rows)
    );
    Ok(ExitCode::SUCCESS)
}
