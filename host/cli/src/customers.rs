//! `credence customers`, `credence customer ID`, `credence invoices`: what is in the store.

use super::output::{cell, json, safe, table};
use anyhow::anyhow;
use credence_app::home::Home;
use credence_app::views::{self, Balance, CustomerView};
use credence_store::Store;
use std::process::ExitCode;

fn store(home: &Home) -> anyhow::Result<Box<dyn Store>> {
    home.open_store()
}

fn balances(b: &[Balance]) -> String {
    if b.is_empty() {
        "0".into()
    } else {
        b.iter()
            .map(|b| format!("{} {}", b.amount, b.currency))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn find(all: Vec<CustomerView>, id: &str) -> anyhow::Result<CustomerView> {
    all.into_iter()
        .find(|a| a.account == id || a.members.iter().any(|m| m.key() == id))
        .ok_or_else(|| {
            anyhow!(
                "no customer {id:?}: name it as CONNECTION/REMOTE-ID (see `credence customers`)"
            )
        })
}

pub async fn list(home: &Home, as_json: bool) -> anyhow::Result<ExitCode> {
    let customers = views::customers(store(home)?.as_ref())?;
    if as_json {
        json(&customers)?;
    } else if customers.is_empty() {
        outln!("No customers yet: run `credence sync`.");
    } else {
        let rows: Vec<Vec<String>> = customers
            .iter()
            .map(|c| {
                let connections: std::collections::BTreeSet<&str> =
                    c.members.iter().map(|m| m.connection.as_str()).collect();
                vec![
                    c.account.clone(),
                    c.name.clone(),
                    connections.into_iter().collect::<Vec<_>>().join(", "),
                    c.open_invoices.to_string(),
                    balances(&c.open_balances),
                    c.oldest_due.map(|d| d.to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        out!(
            "{}",
            table(
                &[
                    "ACCOUNT",
                    "NAME",
                    "CONNECTIONS",
                    "OPEN",
                    "OPEN BALANCE",
                    "OLDEST DUE"
                ],
                &rows
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn show(home: &Home, id: &str, as_json: bool) -> anyhow::Result<ExitCode> {
    let (policy, _) = home.policy()?;
    let customer = find(
        views::customers_with(store(home)?.as_ref(), &policy.accounts.primary_connections)?,
        id,
    )?;
    if as_json {
        json(&customer)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "Account {} ({}): open balance {}",
        safe(&customer.account),
        cell(&customer.name),
        safe(&balances(&customer.open_balances))
    );
    let rows: Vec<Vec<String>> = customer
        .members
        .iter()
        .map(|m| vec![m.connection.clone(), m.remote_id.clone(), m.name.clone()])
        .collect();
    out!("{}", table(&["CONNECTION", "REMOTE ID", "NAME"], &rows));
    if customer.links.is_empty() {
        outln!(
            "Not linked to records in other ledgers (no shared VAT number, registration number, LEI or DUNS)."
        );
    }
    for l in &customer.links {
        outln!(
            "linked {} with {}: same {}",
            safe(&l.from),
            safe(&l.to),
            safe(&l.because)
        );
    }
    if let Some(s) = customer
        .speaker
        .as_ref()
        .filter(|_| !customer.links.is_empty())
    {
        println!(
            "Contact details and the ledger credit limit come from connection {} ({}).",
            s.connection,
            match s.because.as_str() {
                "primary" => "named in the policy's [accounts] primary_connections",
                "open-invoices" => "it holds most of the open invoices",
                "only-ledger" => "the only ledger",
                _ => "no open invoices anywhere: the first record",
            }
        );
    }
    for c in &customer.contact_conflicts {
        println!(
            "CONFLICT {}: {} gives {}, but {} is used{}; check the link (the policy's [accounts] primary_connections says which ledger to trust)",
            c.field,
            c.other,
            c.value,
            c.used.as_deref().unwrap_or("nothing"),
            c.used_from
                .as_deref()
                .map(|f| format!(" (from {f})"))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn invoices(
    home: &Home,
    customer: Option<&str>,
    open: bool,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    let store = store(home)?;
    let account = match customer {
        Some(id) => Some(find(views::customers(store.as_ref())?, id)?.account),
        None => None,
    };
    let invoices = views::invoices(store.as_ref(), account.as_deref(), open)?;
    if as_json {
        json(&invoices)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = invoices
        .iter()
        .map(|i| {
            vec![
                i.number.clone(),
                format!("{:?}", i.kind).to_lowercase(),
                i.account.clone().unwrap_or_else(|| {
                    format!(
                        "{}/{} (unknown customer)",
                        i.connection, i.customer_remote_id
                    )
                }),
                i.issue_date.to_string(),
                i.due_date.map(|d| d.to_string()).unwrap_or_default(),
                format!("{} {}", i.payable, i.currency),
                format!("{} {}", i.outstanding, i.currency),
                format!("{:?}", i.status).to_lowercase(),
            ]
        })
        .collect();
    out!(
        "{}",
        table(
            &[
                "NUMBER",
                "KIND",
                "ACCOUNT",
                "ISSUED",
                "DUE",
                "TOTAL",
                "OUTSTANDING",
                "STATUS"
            ],
            &rows
        )
    );
    Ok(ExitCode::SUCCESS)
}
