//! Builders shared by the data-driven case runners (`tests/credit.rs`, `tests/dunning.rs`):
//! the default policy with a case's changes, and a one-line document.

use chrono::NaiveDate;
use credence::credit::Policy;
use credence::credit::policy::DEFAULT_POLICY;
use credence::model::*;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

/// The case files (`*.toml`) of a folder under `tests/`, in name order.
pub fn files(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests")
        .join(folder);
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    cases.sort();
    cases
}

/// The default policy with the case's changes (tables merge, everything else replaces).
pub fn patched_policy(patch: Option<&toml::Table>) -> Policy {
    fn merge(base: &mut toml::Table, patch: &toml::Table) {
        for (k, v) in patch {
            match (base.get_mut(k), v) {
                (Some(toml::Value::Table(b)), toml::Value::Table(p)) => merge(b, p),
                _ => {
                    base.insert(k.clone(), v.clone());
                }
            }
        }
    }
    let mut table: toml::Table = toml::from_str(DEFAULT_POLICY).expect("default policy");
    if let Some(patch) = patch {
        merge(&mut table, patch);
    }
    Policy::parse(
        &toml::to_string(&table).expect("policy text"),
        "case policy",
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// What a case says about an invoice or credit note.
pub struct Doc<'a> {
    pub number: &'a str,
    pub customer: &'a str,
    pub issue: NaiveDate,
    pub due: Option<NaiveDate>,
    pub total: Decimal,
    pub outstanding: Decimal,
    pub currency: Currency,
    /// Early-payment discount: (percent, days from issue).
    pub discount: Option<(Decimal, u32)>,
}

/// A one-line document without tax, paid when nothing is outstanding.
pub fn document(d: Doc<'_>) -> Document {
    Document {
        number: d.number.into(),
        customer_remote_id: d.customer.into(),
        issue_date: d.issue,
        due_date: d.due,
        currency: d.currency,
        lines: vec![DocumentLine {
            description: Some("goods".into()),
            quantity: Some(Decimal::ONE),
            unit_price: Some(d.total),
            net_amount: d.total,
            tax_category: Some("O".into()),
            tax_rate: None,
            item_id: None,
        }],
        allowances_charges: vec![],
        tax_breakdown: vec![],
        totals: Totals {
            line_total: d.total,
            allowance_total: Decimal::ZERO,
            charge_total: Decimal::ZERO,
            tax_exclusive: d.total,
            tax_total: Decimal::ZERO,
            tax_inclusive: d.total,
            prepaid: Decimal::ZERO,
            rounding: Decimal::ZERO,
            payable: d.total,
        },
        amount_outstanding: d.outstanding,
        status: if d.outstanding.is_zero() {
            DocumentStatus::Paid
        } else {
            DocumentStatus::Open
        },
        terms: d.discount.map(|(percent, days)| PaymentTerms {
            description: None,
            net_days: None,
            discount_percent: Some(percent),
            discount_days: Some(days),
        }),
        order_reference: None,
        contract_reference: None,
        preceding_invoice: None,
        delivery_date: None,
        exchange_rate: None,
        note: None,
    }
}
