//! `credence customers` and `credence customer ID`: accounts linked across ledgers, explained.

use super::output::{json, table};
use crate::accounts::{Account, link};
use crate::home::Home;
use crate::model::RecordKind;
use crate::store::Store;
use crate::store::sqlite::SqliteStore;
use anyhow::anyhow;
use std::process::ExitCode;

fn accounts(home: &Home) -> anyhow::Result<Vec<Account>> {
    let store = SqliteStore::open(&super::sync::database(home)?)?;
    let customers: Vec<_> = store
        .records(RecordKind::Customer)?
        .into_iter()
        .map(|s| s.record)
        .collect();
    Ok(link(&customers))
}

pub async fn list(home: &Home, as_json: bool) -> anyhow::Result<ExitCode> {
    let accounts = accounts(home)?;
    if as_json {
        json(&accounts)?;
    } else if accounts.is_empty() {
        println!("No customers yet: run `credence sync`.");
    } else {
        let rows: Vec<Vec<String>> = accounts
            .iter()
            .map(|a| {
                vec![
                    a.id.clone(),
                    a.name.clone(),
                    a.members.len().to_string(),
                    a.members
                        .iter()
                        .map(|m| m.connection.as_str())
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .collect();
        print!(
            "{}",
            table(&["ACCOUNT", "NAME", "RECORDS", "CONNECTIONS"], &rows)
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn show(home: &Home, id: &str, as_json: bool) -> anyhow::Result<ExitCode> {
    let account = accounts(home)?
        .into_iter()
        .find(|a| a.id == id || a.members.iter().any(|m| m.key() == id))
        .ok_or_else(|| {
            anyhow!(
                "no customer {id:?}: name it as CONNECTION/REMOTE-ID (see `credence customers`)"
            )
        })?;
    if as_json {
        json(&account)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("Account {} ({})", account.id, account.name);
    let rows: Vec<Vec<String>> = account
        .members
        .iter()
        .map(|m| vec![m.connection.clone(), m.remote_id.clone(), m.name.clone()])
        .collect();
    print!("{}", table(&["CONNECTION", "REMOTE ID", "NAME"], &rows));
    if account.links.is_empty() {
        println!(
            "Not linked to records in other ledgers (no shared VAT number, registration number, LEI or DUNS)."
        );
    }
    for l in &account.links {
        println!("linked {} with {}: same {}", l.from, l.to, l.because);
    }
    Ok(ExitCode::SUCCESS)
}
