//! Data-driven credit cases: each `tests/credit/NAME.toml` holds ledger data, credit reports,
//! promises, a policy (the default with changes) and checks: on a date, the expected decision
//! for some customers. The runner stores everything in a real SQLite store, each record
//! received on its `synced` date (so as-of replays see only what was known), evaluates with
//! the same function `credence evaluate` uses, and compares the fields each check names.
//!
//! Expectations are a subset of the decision's JSON (`schemas/json/credit-decision.schema.json`);
//! a list of strings stands for the `code`s of a list of reasons, alerts or tasks, in order.

use chrono::{NaiveDate, TimeZone, Utc};
use credence_app::credit;
use credence_model::*;
use credence_rules::credit::Policy;
use credence_rules::policy::{DEFAULT_POLICY, date};
use credence_store::PageCommit;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

#[path = "cases.rs"]
mod cases;
use cases::{Backend, CaseStore};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    description: String,
    #[serde(default)]
    policy: Option<toml::Table>,
    #[serde(default)]
    customers: Vec<CaseCustomer>,
    #[serde(default)]
    invoices: Vec<CaseDocument>,
    #[serde(default)]
    credit_notes: Vec<CaseDocument>,
    #[serde(default)]
    payments: Vec<CasePayment>,
    #[serde(default)]
    reports: Vec<CaseReport>,
    #[serde(default)]
    promises: Vec<CasePromise>,
    checks: Vec<Check>,
}

fn some_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    date(d).map(Some)
}

fn books() -> String {
    "books".into()
}
fn eur() -> String {
    "EUR".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseCustomer {
    id: String,
    #[serde(default = "books")]
    connection: String,
    name: String,
    vat: Option<String>,
    segment: Option<String>,
    credit_limit: Option<Decimal>,
    /// The accounts contact's e-mail address.
    email: Option<String>,
    #[serde(default = "eur")]
    currency: String,
    #[serde(default, deserialize_with = "some_date")]
    synced: Option<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseDocument {
    id: String,
    #[serde(default = "books")]
    connection: String,
    customer: String,
    #[serde(deserialize_with = "date")]
    issue: NaiveDate,
    #[serde(default, deserialize_with = "some_date")]
    due: Option<NaiveDate>,
    total: Decimal,
    outstanding: Option<Decimal>,
    #[serde(default = "eur")]
    currency: String,
    #[serde(default, deserialize_with = "some_date")]
    synced: Option<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CasePayment {
    id: String,
    #[serde(default = "books")]
    connection: String,
    customer: String,
    #[serde(deserialize_with = "date")]
    date: NaiveDate,
    amount: Decimal,
    #[serde(default = "eur")]
    currency: String,
    /// Invoice id -> amount applied.
    #[serde(default)]
    allocations: BTreeMap<String, Decimal>,
    #[serde(default, deserialize_with = "some_date")]
    synced: Option<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseEvent {
    kind: CreditEventKind,
    #[serde(default, deserialize_with = "some_date")]
    date: Option<NaiveDate>,
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseReport {
    id: String,
    #[serde(default = "bureau")]
    connection: String,
    subject: String,
    vat: String,
    #[serde(deserialize_with = "date")]
    date: NaiveDate,
    /// On 0-100, higher is better.
    score: Option<Decimal>,
    rating: Option<String>,
    previous_rating: Option<String>,
    limit: Option<Decimal>,
    #[serde(default = "eur")]
    limit_currency: String,
    status: Option<String>,
    #[serde(default)]
    events: Vec<CaseEvent>,
    #[serde(default, deserialize_with = "some_date")]
    synced: Option<NaiveDate>,
}

fn bureau() -> String {
    "bureau".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CasePromise {
    customer: String,
    amount: Decimal,
    #[serde(default = "eur")]
    currency: String,
    #[serde(deserialize_with = "date")]
    promised_for: NaiveDate,
    #[serde(deserialize_with = "date")]
    recorded_on: NaiveDate,
    by: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    #[serde(deserialize_with = "date")]
    as_of: NaiveDate,
    /// Account id -> expected subset of its decision.
    expect: BTreeMap<String, toml::Value>,
    /// Accounts expected in the overdue-review list (when given: exactly these).
    overdue_reviews: Option<Vec<String>>,
}

fn currency(code: &str) -> Currency {
    Currency::parse(code).expect("case currency")
}

fn origin(connection: &str, id: &str) -> Origin {
    Origin {
        connection: connection.into(),
        remote_id: id.into(),
        remote_updated_at: None,
        deleted: false,
        raw: None,
    }
}

fn vat(value: &str) -> Identifier {
    Identifier {
        scheme: IdScheme::Vat,
        value: value.into(),
        country: Some(value[..2].replace("EL", "GR")),
    }
}

fn document(d: &CaseDocument) -> Document {
    cases::document(cases::Doc {
        number: &d.id,
        customer: &d.customer,
        issue: d.issue,
        due: d.due,
        total: d.total,
        outstanding: Some(d.outstanding.unwrap_or(d.total)),
        currency: currency(&d.currency),
        preceding: None,
        discount: None,
    })
}

/// Each record with the day the store received it.
fn records(case: &Case) -> Vec<(NaiveDate, Record)> {
    let mut out = Vec::new();
    let first = NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
    for c in &case.customers {
        out.push((
            c.synced.unwrap_or(first),
            Record {
                origin: origin(&c.connection, &c.id),
                kind: RecordKind::Customer,
                body: Some(Body::Customer(Customer {
                    name: c.name.clone(),
                    legal_name: None,
                    identifiers: c.vat.iter().map(|v| vat(v)).collect(),
                    addresses: vec![],
                    contacts: c
                        .email
                        .iter()
                        .map(|e| credence_model::Contact {
                            name: None,
                            email: Some(e.clone()),
                            phone: None,
                            role: Some("accounts".into()),
                        })
                        .collect(),
                    language: None,
                    currency: Some(currency(&c.currency)),
                    payment_terms_days: None,
                    sales_rep: None,
                    segment: c.segment.clone(),
                    parent_remote_id: None,
                    credit_limit: c.credit_limit.map(|amount| Money {
                        amount,
                        currency: currency(&c.currency),
                    }),
                })),
            },
        ));
    }
    let documents = [
        (&case.invoices, RecordKind::Invoice),
        (&case.credit_notes, RecordKind::CreditNote),
    ];
    for (list, kind) in documents {
        for d in list {
            let body = match kind {
                RecordKind::CreditNote => Body::CreditNote(document(d)),
                _ => Body::Invoice(document(d)),
            };
            out.push((
                d.synced.unwrap_or(d.issue),
                Record {
                    origin: origin(&d.connection, &d.id),
                    kind,
                    body: Some(body),
                },
            ));
        }
    }
    for p in &case.payments {
        out.push((
            p.synced.unwrap_or(p.date),
            Record {
                origin: origin(&p.connection, &p.id),
                kind: RecordKind::Payment,
                body: Some(Body::Payment(Payment {
                    customer_remote_id: Some(p.customer.clone()),
                    date: p.date,
                    amount: Money {
                        amount: p.amount,
                        currency: currency(&p.currency),
                    },
                    reference: None,
                    method: None,
                    allocations: p
                        .allocations
                        .iter()
                        .map(|(invoice, amount)| Allocation {
                            target: AllocationTarget::Invoice,
                            target_remote_id: invoice.clone(),
                            amount: *amount,
                        })
                        .collect(),
                })),
            },
        ));
    }
    for r in &case.reports {
        out.push((
            r.synced.unwrap_or(r.date),
            Record {
                origin: origin(&r.connection, &r.id),
                kind: RecordKind::CreditReport,
                body: Some(Body::CreditReport(CreditReport {
                    subject_name: r.subject.clone(),
                    identifiers: vec![vat(&r.vat)],
                    report_date: r.date,
                    source: "case-bureau".into(),
                    score: r.score.map(|value| Score {
                        value,
                        scale_min: Decimal::ZERO,
                        scale_max: Decimal::from(100),
                        higher_is_better: true,
                    }),
                    rating: r.rating.clone(),
                    previous_rating: r.previous_rating.clone(),
                    recommended_limit: r.limit.map(|amount| Money {
                        amount,
                        currency: currency(&r.limit_currency),
                    }),
                    company_status: r.status.clone(),
                    events: r
                        .events
                        .iter()
                        .map(|e| CreditEvent {
                            kind: e.kind,
                            date: e.date,
                            description: e.description.clone(),
                        })
                        .collect(),
                })),
            },
        ));
    }
    out
}

fn policy(case: &Case) -> Policy {
    cases::patched_policy(case.policy.as_ref())
}

/// Differences between an expected subset and the actual JSON, with their paths.
fn compare(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                compare(
                    &format!("{path}.{k}"),
                    v,
                    a.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        // A list of strings against a list of objects: their codes, in order.
        (Value::Array(e), Value::Array(a))
            if e.iter().all(Value::is_string) && a.iter().all(Value::is_object) =>
        {
            let codes: Vec<Value> = a.iter().map(|x| x["code"].clone()).collect();
            if *e != codes {
                out.push(format!(
                    "{path}: expected codes {expected}, got {}",
                    Value::Array(codes)
                ));
            }
        }
        // A list of tables: element by element, each a subset.
        (Value::Array(e), Value::Array(a)) if e.iter().all(Value::is_object) => {
            if e.len() != a.len() {
                out.push(format!(
                    "{path}: expected {} entries, got {actual}",
                    e.len()
                ));
            } else {
                for (i, (e, a)) in e.iter().zip(a).enumerate() {
                    compare(&format!("{path}[{i}]"), e, a, out);
                }
            }
        }
        (Value::String(e), Value::Null) if e == "none" => {}
        _ if expected == actual => {}
        _ => out.push(format!("{path}: expected {expected}, got {actual}")),
    }
}

fn run_case(path: &Path, backend: Backend) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("read case");
    let case: Case = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(!case.description.is_empty());
    let policy = policy(&case);
    let mut store = CaseStore::open(backend);
    let mut records = records(&case);
    records.sort_by_key(|(day, _)| *day);
    for (day, record) in records {
        let stream = match record.kind {
            RecordKind::Customer => "customers",
            RecordKind::Invoice => "invoices",
            RecordKind::CreditNote => "credit-notes",
            RecordKind::Payment => "payments",
            RecordKind::CreditReport => "reports",
        };
        store
            .commit_page(&PageCommit {
                connection: record.origin.connection.clone(),
                stream: stream.into(),
                records: vec![record],
                quarantined: vec![],
                cursor: None,
                has_more: false,
                received_at: Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).expect("noon")),
                withdrawn: vec![],
            })
            .expect("commit");
    }
    for p in &case.promises {
        store
            .record_promise(&Promise {
                customer: p.customer.clone(),
                amount: Money {
                    amount: p.amount,
                    currency: currency(&p.currency),
                },
                promised_for: p.promised_for,
                recorded_on: p.recorded_on,
                by: p.by.clone(),
                note: None,
                invoices: Vec::new(),
            })
            .expect("promise");
    }
    let mut failures = Vec::new();
    for check in &case.checks {
        let eval = credit::evaluate(&*store, &policy, check.as_of).expect("evaluate");
        let again = credit::evaluate(&*store, &policy, check.as_of).expect("evaluate");
        assert_eq!(eval, again, "evaluation is a pure function of its inputs");
        for (account, expected) in &check.expect {
            let Some(decision) = eval.customers.iter().find(|d| &d.account == account) else {
                failures.push(format!(
                    "{} on {}: no account {account}",
                    path.display(),
                    check.as_of
                ));
                continue;
            };
            let actual = serde_json::to_value(decision).expect("json");
            let expected = serde_json::to_value(expected).expect("json");
            let mut diffs = Vec::new();
            compare(account, &expected, &actual, &mut diffs);
            for d in diffs {
                failures.push(format!("{} on {}: {d}", path.display(), check.as_of));
            }
        }
        if let Some(reviews) = &check.overdue_reviews
            && *reviews != eval.overdue_reviews
        {
            failures.push(format!(
                "{} on {}: overdue reviews {:?}, expected {reviews:?}",
                path.display(),
                check.as_of,
                eval.overdue_reviews
            ));
        }
    }
    failures
}

#[test]
fn credit_cases_give_the_expected_decisions() {
    let cases = cases::files("credit");
    assert!(cases.len() >= 12, "the cases are there: {}", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .flat_map(|c| run_case(c, Backend::Sqlite))
        .collect();
    cases::assert_no_failures(failures);
}

#[test]
fn credit_cases_give_the_same_decisions_on_postgresql() {
    let failures: Vec<String> = cases::files("credit")
        .iter()
        .flat_map(|c| run_case(c, Backend::Postgres))
        .collect();
    cases::assert_no_failures(failures);
}

#[test]
fn a_wrong_expectation_is_reported() {
    // The comparison itself must be able to fail: a decision never matches a made-up state.
    let mut out = Vec::new();
    compare(
        "a",
        &serde_json::json!({"state": "ok", "reasons": ["x"]}),
        &serde_json::json!({"state": "hold", "reasons": [{"code": "over-limit"}]}),
        &mut out,
    );
    assert_eq!(out.len(), 2, "{out:?}");
}

#[test]
fn the_default_policy_follows_its_published_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
                .join("../schemas/json/credit-policy.schema.json"),
        )
        .expect("schema"),
    )
    .expect("schema json");
    let policy: toml::Table = toml::from_str(DEFAULT_POLICY).expect("default policy");
    let instance = serde_json::to_value(&policy).expect("json");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}
