//! What the read commands show (`credence customers`, `customer`, `invoices`): accounts with
//! their open balances, documents with their account. Built from the store; the JSON forms are
//! published as schemas (`schemas/json/customers.schema.json`, `invoices.schema.json`).

use chrono::NaiveDate;
use credence_model::{Body, Currency, Document, DocumentKind, DocumentStatus, Record, RecordKind};
use credence_rules::accounts::{
    Account, ContactConflict, Link, Member, Speaker, contact_conflicts, customers_by_key, link,
    speaker,
};
use credence_store::{Store, StoreError};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// An amount per currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Balance {
    pub currency: Currency,
    #[schemars(with = "String")]
    pub amount: Decimal,
}

/// A customer account across ledgers, with what it owes.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CustomerView {
    /// `CONNECTION/REMOTE-ID` of its first record.
    pub account: String,
    pub name: String,
    pub members: Vec<Member>,
    pub links: Vec<Link>,
    /// Open invoices minus open credit notes, per currency.
    pub open_balances: Vec<Balance>,
    pub open_invoices: u32,
    /// Due date of the oldest open invoice.
    pub oldest_due: Option<NaiveDate>,
    /// The connection whose customer record gives the contact details (the reminder
    /// recipient) and the ledger credit limit; see the policy's `[accounts]`.
    pub speaker: Option<Speaker>,
    /// Linked records of other ledgers that give another e-mail address or credit limit:
    /// shown (and raised as alerts by `credence evaluate`), never used.
    pub contact_conflicts: Vec<ContactConflict>,
}

/// An invoice or credit note as listed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InvoiceView {
    pub connection: String,
    pub remote_id: String,
    /// The customer account it belongs to, when the customer record is known.
    pub account: Option<String>,
    pub kind: DocumentKind,
    pub number: String,
    pub customer_remote_id: String,
    pub issue_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub currency: Currency,
    #[schemars(with = "String")]
    pub payable: Decimal,
    #[schemars(with = "String")]
    pub outstanding: Decimal,
    pub status: DocumentStatus,
}

/// Whether a document still counts in a balance.
pub fn is_open(d: &Document) -> bool {
    d.status == DocumentStatus::Open && !d.amount_outstanding.is_zero()
}

fn live(records: Vec<credence_store::StoredRecord>) -> Vec<Record> {
    records
        .into_iter()
        .map(|s| s.record)
        .filter(|r| !r.origin.deleted)
        .collect()
}

/// Which account each (connection, customer remote id) belongs to.
type Owners = BTreeMap<(String, String), String>;

/// Every account, and which account each (connection, customer remote id) belongs to.
fn accounts(store: &dyn Store) -> Result<(Vec<Account>, Owners), StoreError> {
    let accounts = link(&live(store.records(RecordKind::Customer)?));
    let mut owner = BTreeMap::new();
    for a in &accounts {
        for m in &a.members {
            owner.insert((m.connection.clone(), m.remote_id.clone()), a.id.clone());
        }
    }
    Ok((accounts, owner))
}

/// Invoices and credit notes, optionally only one account's and only open ones.
pub fn invoices(
    store: &dyn Store,
    account: Option<&str>,
    open_only: bool,
) -> Result<Vec<InvoiceView>, StoreError> {
    let (_, owner) = accounts(store)?;
    let mut out = Vec::new();
    for kind in [RecordKind::Invoice, RecordKind::CreditNote] {
        for record in live(store.records(kind)?) {
            let (doc_kind, d) = match record.body {
                Some(Body::Invoice(d)) => (DocumentKind::Invoice, d),
                Some(Body::CreditNote(d)) => (DocumentKind::CreditNote, d),
                _ => continue,
            };
            let acct = owner
                .get(&(
                    record.origin.connection.clone(),
                    d.customer_remote_id.clone(),
                ))
                .cloned();
            if account.is_some() && acct.as_deref() != account {
                continue;
            }
            if open_only && !is_open(&d) {
                continue;
            }
            out.push(InvoiceView {
                connection: record.origin.connection,
                remote_id: record.origin.remote_id,
                account: acct,
                kind: doc_kind,
                number: d.number,
                customer_remote_id: d.customer_remote_id,
                issue_date: d.issue_date,
                due_date: d.due_date,
                currency: d.currency,
                payable: d.totals.payable,
                outstanding: d.amount_outstanding,
                status: d.status,
            });
        }
    }
    out.sort_by(|a, b| {
        (a.due_date.unwrap_or(a.issue_date), &a.connection, &a.number).cmp(&(
            b.due_date.unwrap_or(b.issue_date),
            &b.connection,
            &b.number,
        ))
    });
    Ok(out)
}

/// Every customer account with its open balances, no connection configured as primary.
pub fn customers(store: &dyn Store) -> Result<Vec<CustomerView>, StoreError> {
    customers_with(store, &[])
}

/// Every customer account with its open balances; `primary` is the policy's
/// `[accounts] primary_connections` (which ledger speaks for a shared account).
pub fn customers_with(
    store: &dyn Store,
    primary: &[String],
) -> Result<Vec<CustomerView>, StoreError> {
    let records = live(store.records(RecordKind::Customer)?);
    let accounts = link(&records);
    let by_key = customers_by_key(&records);
    let open = invoices(store, None, true)?;
    Ok(accounts
        .into_iter()
        .map(|a| {
            let mine: Vec<&InvoiceView> = open
                .iter()
                .filter(|i| i.account.as_deref() == Some(a.id.as_str()))
                .collect();
            let mut balances: BTreeMap<Currency, Decimal> = BTreeMap::new();
            for i in &mine {
                let signed = if i.kind == DocumentKind::CreditNote {
                    -i.outstanding.abs()
                } else {
                    i.outstanding
                };
                *balances.entry(i.currency).or_default() += signed;
            }
            // Members are in key order already.
            let member_records: Vec<(String, &str, &credence_model::Customer)> = a
                .members
                .iter()
                .filter_map(|m| {
                    by_key
                        .get(&(m.connection.as_str(), m.remote_id.as_str()))
                        .map(|c| (m.key(), m.connection.as_str(), *c))
                })
                .collect();
            let chosen = speaker(
                member_records.iter().map(|(_, c, _)| *c),
                primary,
                |connection| {
                    mine.iter()
                        .filter(|i| i.kind == DocumentKind::Invoice && i.connection == connection)
                        .count() as u32
                },
            );
            let contact_conflicts = chosen
                .as_ref()
                .map(|s| contact_conflicts(&member_records, &s.connection))
                .unwrap_or_default();
            CustomerView {
                speaker: chosen,
                contact_conflicts,
                account: a.id,
                name: a.name,
                members: a.members,
                links: a.links,
                open_balances: balances
                    .into_iter()
                    .map(|(currency, amount)| Balance { currency, amount })
                    .collect(),
                open_invoices: mine
                    .iter()
                    .filter(|i| i.kind == DocumentKind::Invoice)
                    .count() as u32,
                oldest_due: mine
                    .iter()
                    .filter(|i| i.kind == DocumentKind::Invoice)
                    .filter_map(|i| i.due_date)
                    .min(),
            }
        })
        .collect())
}
