//! `credence evaluate`, `credence credit CUSTOMER`, `credence promise CUSTOMER`: credit
//! decisions under the home's policy, and the promises to pay they take into account.

use super::output::{json, safe, table};
use anyhow::{Context, anyhow};
use chrono::NaiveDate;
use clap::Args;
use credence_app::home::Home;
use credence_model::{Currency, Money, Promise};
use credence_rules::credit::{Decision, Evaluation};
use rust_decimal::Decimal;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Evaluate as the store stood at the end of this day (YYYY-MM-DD; default today, or the
    /// day of CREDENCE_NOW).
    #[arg(long)]
    as_of: Option<NaiveDate>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct CreditArgs {
    /// The customer: an account id or any CONNECTION/REMOTE-ID of it.
    customer: String,
    #[arg(long)]
    as_of: Option<NaiveDate>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct PromiseArgs {
    /// The customer who promised: CONNECTION/REMOTE-ID of one of its records.
    customer: String,
    /// The amount promised, e.g. 1250.00.
    #[arg(long)]
    amount: Decimal,
    /// ISO 4217 currency of the amount.
    #[arg(long)]
    currency: String,
    /// The date the customer promised to pay by (YYYY-MM-DD).
    #[arg(long)]
    by_date: NaiveDate,
    /// Who took the promise.
    #[arg(long)]
    taken_by: String,
    /// When it was made (default today).
    #[arg(long)]
    recorded_on: Option<NaiveDate>,
    #[arg(long)]
    note: Option<String>,
    /// An invoice it covers (number or CONNECTION/REMOTE-ID), once per invoice; none: every
    /// invoice of the customer in the currency, issued by the day it was made.
    #[arg(long = "invoice")]
    invoices: Vec<String>,
}

pub(super) fn evaluation(home: &Home, as_of: Option<NaiveDate>) -> anyhow::Result<Evaluation> {
    let (policy, origin) = home.policy()?;
    tracing::info!(policy = %origin, version = %policy.version(), "evaluating credit");
    let store = home.open_store()?;
    let as_of = match as_of {
        Some(d) => d,
        None => credence_app::clock::today()?,
    };
    Ok(credence_app::credit::evaluate(
        store.as_ref(),
        &policy,
        as_of,
    )?)
}

fn money(amount: Decimal) -> String {
    amount.to_string()
}

pub async fn evaluate(home: &Home, args: EvaluateArgs) -> anyhow::Result<ExitCode> {
    let eval = evaluation(home, args.as_of)?;
    if args.json {
        json(&eval)?;
        return Ok(ExitCode::SUCCESS);
    }
    out!("{}", summary(&eval));
    Ok(ExitCode::SUCCESS)
}

/// The table `credence evaluate` prints (also shown by the demo).
pub fn summary(eval: &Evaluation) -> String {
    if eval.customers.is_empty() {
        return "No customers yet: run `credence sync`.\n".into();
    }
    let rows: Vec<Vec<String>> = eval
        .customers
        .iter()
        .map(|d| {
            let reason = d
                .reasons
                .iter()
                .find(|r| r.decisive)
                .map(|r| format!("{}: {}", r.code, r.sentence))
                .unwrap_or_default();
            vec![
                d.account.clone(),
                d.name.clone(),
                d.state.as_str().to_string(),
                money(d.limit),
                money(d.exposure.total),
                money(d.headroom),
                d.internal_score
                    .map(|s| s.to_string())
                    .unwrap_or("-".into()),
                reason,
            ]
        })
        .collect();
    let mut out = format!(
        "Credit as of {} (policy {}, amounts in {})\n",
        eval.as_of, eval.policy_version, eval.currency
    );
    out += &table(
        &[
            "CUSTOMER", "NAME", "STATE", "LIMIT", "EXPOSURE", "HEADROOM", "SCORE", "WHY",
        ],
        &rows,
    );
    let alerts: usize = eval.customers.iter().map(|d| d.alerts.len()).sum();
    let insurance: usize = eval.customers.iter().map(|d| d.insurance.len()).sum();
    out += &format!(
        "{} customers; {} alerts; {} insurance tasks; {} reviews overdue\n",
        eval.customers.len(),
        alerts,
        insurance,
        eval.overdue_reviews.len()
    );
    for p in &eval.unmatched_promises {
        out += &format!(
            "warning: a promise by {:?} names no known customer; check the id\n",
            safe(&p.customer)
        );
    }
    out
}

pub async fn show(home: &Home, args: CreditArgs) -> anyhow::Result<ExitCode> {
    let eval = evaluation(home, args.as_of)?;
    let decision = eval
        .customers
        .iter()
        .find(|d| d.account == args.customer || d.members.iter().any(|m| m == &args.customer))
        .ok_or_else(|| {
            anyhow!(
                "no customer {:?}: name it as CONNECTION/REMOTE-ID (see `credence customers`)",
                args.customer
            )
        })?;
    if args.json {
        json(decision)?;
    } else {
        out!("{}", explain(decision, &eval));
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn explain(d: &Decision, eval: &Evaluation) -> String {
    let c = d.currency;
    let mut out = format!(
        "{} ({})\nState on {}: {}\n",
        super::output::cell(&d.name),
        safe(&d.account),
        eval.as_of,
        d.state.as_str()
    );
    for r in &d.reasons {
        out += &format!(
            "  {} {} [{}]: {}\n",
            if r.decisive { "*" } else { " " },
            safe(&r.code),
            r.state.as_str(),
            safe(&r.sentence)
        );
    }
    out += &format!(
        "Limit {c} {}; exposure {c} {} (not yet due {}, overdue {}, credit {}); headroom {c} {}\n",
        d.limit,
        d.exposure.total,
        d.exposure.not_yet_due,
        d.exposure.overdue,
        d.exposure.unallocated_credit,
        d.headroom
    );
    for r in &d.limit_basis {
        out += &format!("  limit: {} ({})\n", safe(&r.sentence), r.code);
    }
    let opt = |v: Option<Decimal>| v.map(|v| v.to_string()).unwrap_or("-".into());
    out += &format!(
        "Scores: internal {}, bureau {}, payment behaviour {}\n",
        opt(d.internal_score),
        opt(d.bureau_score),
        opt(d.behaviour.score)
    );
    let b = &d.behaviour;
    out += &format!(
        "Payment behaviour: {} paid invoices, {} days late on average, {} % paid late, DSO {}, trend {:?}, broken promises {}\n",
        b.paid_invoices,
        opt(b.average_days_late),
        opt(b.paid_late_percent),
        opt(b.dso_days),
        b.trend,
        b.broken_promises
    );
    if d.reports.is_empty() {
        out += "Report: none\n";
    }
    for r in &d.reports {
        out += &format!(
            "Report: {} ({}) of {}{}, rating {}, score {}, status {}\n",
            safe(&r.source),
            safe(&r.connection),
            r.report_date,
            if r.expired { ", expired" } else { "" },
            safe(r.rating.as_deref().unwrap_or("-")),
            safe(r.score.as_deref().unwrap_or("-")),
            safe(r.company_status.as_deref().unwrap_or("-"))
        );
    }
    for a in &d.alerts {
        out += &format!("Alert {} ({}): {}\n", a.code, a.recorded, safe(&a.sentence));
    }
    for t in &d.insurance {
        out += &format!(
            "Insurance {} {}: notify the insurer by {}{}: {}\n",
            t.code,
            safe(&t.subject),
            t.deadline,
            if t.overdue { " (OVERDUE)" } else { "" },
            safe(&t.sentence)
        );
    }
    out += &format!(
        "Next review {}{}\n",
        d.review.next,
        if d.review.overdue { " (overdue)" } else { "" }
    );
    out
}

pub async fn promise(home: &Home, args: PromiseArgs) -> anyhow::Result<ExitCode> {
    let currency = Currency::parse(&args.currency).map_err(|e| anyhow!("--currency: {e}"))?;
    if args.amount <= Decimal::ZERO {
        anyhow::bail!("--amount must be positive, got {}", args.amount);
    }
    let mut store = home.open_store()?;
    // An account id is the key of one of its records: a live customer record with this key.
    credence_app::find::customer(store.as_ref(), &args.customer)?;
    let recorded_on = match args.recorded_on {
        Some(d) => d,
        None => credence_app::clock::today()?,
    };
    let promise = Promise {
        customer: args.customer,
        amount: Money {
            amount: args.amount,
            currency,
        },
        promised_for: args.by_date,
        recorded_on,
        by: args.taken_by,
        note: args.note,
        invoices: args
            .invoices
            .iter()
            .map(|i| credence_app::find::invoice(store.as_ref(), i).map(|(key, _)| key))
            .collect::<anyhow::Result<_>>()?,
    };
    let n = store
        .record_promise(&promise)
        .context("recording the promise")?;
    outln!(
        "Promise {n} recorded: {} {} by {} from {}",
        promise.amount.currency,
        promise.amount.amount,
        promise.promised_for,
        safe(&promise.customer)
    );
    Ok(ExitCode::SUCCESS)
}
