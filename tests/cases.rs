//! Builders shared by the data-driven case runners (`tests/credit.rs`, `tests/dunning.rs`):
//! the default policy with a case's changes, and a one-line document.

use chrono::NaiveDate;
use credence_model::*;
use credence_rules::credit::Policy;
use credence_rules::policy::DEFAULT_POLICY;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

/// The case files (`*.toml`) of a folder under `tests/`, in name order.
pub fn files(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
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

/// Fail with every mismatch the runs of a folder's cases reported.
pub fn assert_no_failures(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
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
    /// What is open, as the source states it; `None`: the source does not say (what is open
    /// is then derived from payments and credit notes).
    pub outstanding: Option<Decimal>,
    pub currency: Currency,
    /// The invoice a credit note corrects.
    pub preceding: Option<&'a str>,
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
        amount_outstanding: d.outstanding.unwrap_or(d.total),
        outstanding_stated: d.outstanding.is_some(),
        status: if d.outstanding.is_some_and(|o| o.is_zero()) {
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
        preceding_invoice: d.preceding.map(str::to_string),
        delivery_date: None,
        exchange_rate: None,
        note: None,
    }
}

/// Where a case's records are kept: the embedded SQLite store, or a schema of its own on the
/// test PostgreSQL (`CREDENCE_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432/test`),
/// so both backends are held to the same cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A case's store, removed at the end.
pub struct CaseStore {
    store: Box<dyn credence_store::Store>,
    schema: Option<String>,
    _dir: tempfile::TempDir,
}

fn postgres_url() -> String {
    std::env::var("CREDENCE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn drop_schema(name: &str) {
    let ok = std::process::Command::new("psql")
        .args([
            &postgres_url(),
            "-q",
            "-c",
            &format!("DROP SCHEMA IF EXISTS {name} CASCADE"),
        ])
        .env("PGOPTIONS", "--client-min-messages=warning")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "psql cannot reach {}", postgres_url());
}

impl CaseStore {
    pub fn open(backend: Backend) -> CaseStore {
        static CASES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = tempfile::tempdir().expect("tempdir");
        let (location, schema) = match backend {
            Backend::Sqlite => (
                credence_store::Location::Sqlite(dir.path().join("store.db")),
                None,
            ),
            Backend::Postgres => {
                let n = CASES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let schema = format!("credence_case_{}_{n}", std::process::id());
                drop_schema(&schema);
                (
                    credence_store::Location::Postgres {
                        url: postgres_url(),
                        schema: schema.clone(),
                    },
                    Some(schema),
                )
            }
        };
        CaseStore {
            store: location.open().expect("open the store"),
            schema,
            _dir: dir,
        }
    }
}

impl std::ops::Deref for CaseStore {
    type Target = dyn credence_store::Store;
    fn deref(&self) -> &Self::Target {
        self.store.as_ref()
    }
}

impl std::ops::DerefMut for CaseStore {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.store.as_mut()
    }
}

impl Drop for CaseStore {
    fn drop(&mut self) {
        if let Some(schema) = &self.schema
            && !std::thread::panicking()
        {
            drop_schema(schema);
        }
    }
}
