//! Data-driven dunning timelines: each `tests/dunning/timelines/NAME.toml` holds customers,
//! invoices and events (payments, credit notes, promises, disputes, payment plans, delivery
//! outages) and the actions expected on each day, with their amounts and charges. The runner
//! plays every day from `from` to `to` through a real SQLite store exactly as `credence dunning`
//! followed by `credence deliver` would: plan, queue, deliver. A day not listed must plan
//! nothing. `tests/dunning/interest.toml` holds hand-checked interest and compensation cases,
//! one or more per country pack, run through the same planner.

use cases::{Backend, CaseStore, Doc, document, patched_policy};
use chrono::{NaiveDate, TimeZone, Utc};
use credence_app::dunning;
use credence_model::dunning::Action;
use credence_model::*;
use credence_rules::credit::Policy;
use credence_rules::dunning::render::{Renderer, Sender};
use credence_rules::policy::date;
use credence_store::{PageCommit, Store};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[path = "cases.rs"]
mod cases;

fn some_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    date(d).map(Some)
}

fn eur() -> String {
    "EUR".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Timeline {
    description: String,
    #[serde(default)]
    policy: Option<toml::Table>,
    #[serde(deserialize_with = "date")]
    from: NaiveDate,
    #[serde(deserialize_with = "date")]
    to: NaiveDate,
    customers: Vec<CaseCustomer>,
    invoices: Vec<CaseInvoice>,
    #[serde(default)]
    events: Vec<Event>,
    /// Delivery is down on these days (inclusive): actions wait in the outbox.
    #[serde(default)]
    outages: Vec<Outage>,
    expect: Vec<Expect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Outage {
    #[serde(deserialize_with = "date")]
    from: NaiveDate,
    #[serde(deserialize_with = "date")]
    to: NaiveDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseCustomer {
    id: String,
    /// The connection of the record (default `books`): another ledger can carry the same
    /// customer, linked by `vat`.
    connection: Option<String>,
    vat: Option<String>,
    /// A credit limit the ledger sets (EUR).
    credit_limit: Option<Decimal>,
    name: String,
    email: Option<String>,
    language: Option<String>,
    country: Option<String>,
    sales_rep: Option<String>,
    segment: Option<String>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct CaseInvoice {
    /// Also its number.
    id: String,
    customer: String,
    #[serde(deserialize_with = "date")]
    issue: NaiveDate,
    #[serde(deserialize_with = "date")]
    due: NaiveDate,
    amount: Decimal,
    #[serde(default = "eur")]
    currency: String,
    /// The day the ledger sync brought it (default: its issue date).
    #[serde(default, deserialize_with = "some_date")]
    synced: Option<NaiveDate>,
    /// Early-payment discount: [percent, days from issue].
    discount: Option<(Decimal, u32)>,
    /// Whether the export states what is open on it (default true). When it does not, only
    /// the payments allocated to it and the credit notes that name it say what was paid.
    #[serde(default = "yes")]
    states_outstanding: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Event {
    #[serde(deserialize_with = "date")]
    on: NaiveDate,
    /// A payment applied to an invoice.
    pay: Option<Pay>,
    credit_note: Option<CreditNoteEvent>,
    promise: Option<PromiseEvent>,
    dispute: Option<DisputeEvent>,
    /// Resolve the dispute on this invoice.
    resolve: Option<String>,
    plan: Option<PlanEvent>,
    /// A bureau report on a customer arrives (through `credence monitor`).
    report: Option<ReportEvent>,
    /// A person releases a customer's credit holds.
    release: Option<ReleaseEvent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportEvent {
    customer: String,
    /// An event the report carries: insolvency, liquidation, administration, dissolution.
    event: Option<CreditEventKind>,
    /// The event's date (default: none; the report's date counts).
    #[serde(default, deserialize_with = "some_date")]
    opened: Option<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleaseEvent {
    customer: String,
    by: String,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pay {
    /// Applied to this invoice; none: a payment on account (unapplied).
    invoice: Option<String>,
    customer: Option<String>,
    amount: Decimal,
    #[serde(default = "eur")]
    currency: String,
    /// The ledger lowers the invoice's stated outstanding amount with the payment (default
    /// true); false: it still states the old amount (a discrepancy).
    #[serde(default = "yes")]
    restated: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreditNoteEvent {
    id: String,
    customer: String,
    amount: Decimal,
    #[serde(default = "eur")]
    currency: String,
    /// The invoice it settles (none: open credit on account).
    applies_to: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromiseEvent {
    customer: String,
    /// The invoices it names (none: every invoice in its currency issued by then).
    #[serde(default)]
    invoices: Vec<String>,
    amount: Decimal,
    #[serde(default = "eur")]
    currency: String,
    #[serde(deserialize_with = "date")]
    by: NaiveDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisputeEvent {
    invoice: String,
    reason: String,
    #[serde(default, deserialize_with = "some_date")]
    until: Option<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanEvent {
    customer: String,
    #[serde(default = "eur")]
    currency: String,
    /// [date, amount] pairs.
    instalments: Vec<(String, Decimal)>,
    #[serde(default)]
    invoices: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    #[serde(deserialize_with = "date")]
    on: NaiveDate,
    /// "STEP CUSTOMER CURRENCY INVOICE,INVOICE TOTAL CHANNEL", in any order.
    #[serde(default)]
    actions: Vec<String>,
    /// When given, exactly these charges (any order): "INVOICE interest FROM..TO AMOUNT",
    /// "INVOICE compensation AMOUNT", "INVOICE fee AMOUNT".
    charges: Option<Vec<String>>,
    /// Each must be part of some "INVOICE: reason" the plan says is waiting.
    #[serde(default)]
    waiting: Vec<String>,
    /// Each must appear in the body of the day's messages (rendered).
    #[serde(default)]
    body_contains: Vec<String>,
    /// When given, exactly the addresses the day's e-mails go to (any order, each once).
    recipients: Option<Vec<String>>,
    /// Credit states after the day's run: "CUSTOMER STATE DECISIVE-REASON-CODE" ("-": none).
    #[serde(default)]
    states: Vec<String>,
    /// Alerts the evaluation shows after the day's run: "CUSTOMER ALERT-CODE" (each present).
    #[serde(default)]
    alerts: Vec<String>,
}

const BOOKS: &str = "books";

fn currency(code: &str) -> Currency {
    Currency::parse(code).expect("case currency")
}

fn origin(id: &str) -> Origin {
    Origin {
        connection: BOOKS.into(),
        remote_id: id.into(),
        remote_updated_at: None,
        deleted: false,
        raw: None,
    }
}

fn customer(c: &CaseCustomer) -> Record {
    let mut origin = origin(&c.id);
    if let Some(connection) = &c.connection {
        origin.connection = connection.clone();
    }
    Record {
        origin,
        kind: RecordKind::Customer,
        body: Some(Body::Customer(Customer {
            name: c.name.clone(),
            legal_name: None,
            identifiers: c
                .vat
                .iter()
                .map(|v| credence_model::Identifier {
                    scheme: credence_model::IdScheme::Vat,
                    value: v.clone(),
                    country: None,
                })
                .collect(),
            addresses: c
                .country
                .iter()
                .map(|country| Address {
                    country: Some(country.clone()),
                    ..Address::default()
                })
                .collect(),
            contacts: c
                .email
                .iter()
                .map(|e| Contact {
                    name: None,
                    email: Some(e.clone()),
                    phone: None,
                    role: None,
                })
                .collect(),
            language: c.language.clone(),
            currency: None,
            payment_terms_days: None,
            sales_rep: c.sales_rep.clone(),
            segment: c.segment.clone(),
            parent_remote_id: None,
            credit_limit: c.credit_limit.map(|amount| Money {
                amount,
                currency: currency("EUR"),
            }),
        })),
    }
}

fn commit(store: &mut dyn Store, day: NaiveDate, records: Vec<Record>) {
    // One page per connection, as a sync commits them.
    let mut by_connection: BTreeMap<String, Vec<Record>> = BTreeMap::new();
    for r in records {
        by_connection
            .entry(r.origin.connection.clone())
            .or_default()
            .push(r);
    }
    for (connection, records) in by_connection {
        commit_one(store, day, &connection, records);
    }
}

fn commit_one(store: &mut dyn Store, day: NaiveDate, connection: &str, records: Vec<Record>) {
    store
        .commit_page(&PageCommit {
            connection: connection.into(),
            stream: "all".into(),
            records,
            quarantined: vec![],
            cursor: None,
            has_more: false,
            received_at: noon(day),
            withdrawn: vec![],
        })
        .expect("commit");
}

fn noon(day: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).expect("noon"))
}

/// How an action reads in expectations.
fn describe(a: &Action) -> String {
    let mut numbers: Vec<&str> = a.invoices.iter().map(|i| i.number.as_str()).collect();
    numbers.sort_unstable();
    format!(
        "{} {} {} {} {} {}",
        a.step,
        a.account.trim_start_matches("books/"),
        a.currency,
        numbers.join(","),
        a.currency.fixed(a.total),
        a.channel.as_str()
    )
}

fn describe_charges(a: &Action) -> Vec<String> {
    a.charges
        .iter()
        .map(|c| match (c.kind, c.from, c.to) {
            (credence_model::dunning::ChargeKind::Interest, Some(from), Some(to)) => {
                format!("{} interest {from}..{to} {}", c.number, c.amount)
            }
            (kind, _, _) => format!(
                "{} {} {}",
                c.number,
                format!("{kind:?}").to_lowercase(),
                c.amount
            ),
        })
        .collect()
}

struct Runner {
    store: CaseStore,
    policy: Policy,
    renderer: Renderer,
    invoices: BTreeMap<String, CaseInvoice>,
    /// Invoice id -> what is still open.
    open: BTreeMap<String, Decimal>,
    payments: usize,
}

impl Runner {
    fn new(policy: Policy, backend: Backend) -> Runner {
        Runner {
            store: CaseStore::open(backend),
            policy,
            renderer: Renderer::new(
                Sender {
                    company: "Acme Supplies Ltd".into(),
                    payment_instructions: "IBAN DE00 1234 5678 9012 3456 78".into(),
                    payment_by_language: [(
                        "fr".to_string(),
                        "Virement : IBAN DE00 1234 5678 9012 3456 78".to_string(),
                    )]
                    .into(),
                },
                None,
            )
            .expect("templates"),
            invoices: BTreeMap::new(),
            open: BTreeMap::new(),
            payments: 0,
        }
    }
    fn add_invoice(&mut self, invoice: CaseInvoice) {
        self.open.insert(invoice.id.clone(), invoice.amount);
        self.invoices.insert(invoice.id.clone(), invoice);
    }

    fn invoice_record(&self, id: &str) -> Record {
        let i = &self.invoices[id];
        Record {
            origin: origin(id),
            kind: RecordKind::Invoice,
            body: Some(Body::Invoice(document(Doc {
                number: id,
                customer: &i.customer,
                issue: i.issue,
                due: Some(i.due),
                total: i.amount,
                outstanding: i.states_outstanding.then(|| self.open[id]),
                currency: currency(&i.currency),
                preceding: None,
                discount: i.discount,
            }))),
        }
    }

    /// Reduce an invoice's outstanding amount (a payment or credit note applied to it).
    fn settle(&mut self, id: &str, amount: Decimal) -> Record {
        let open = self
            .open
            .get_mut(id)
            .unwrap_or_else(|| panic!("no invoice {id}"));
        *open = (*open - amount).max(Decimal::ZERO);
        self.invoice_record(id)
    }

    fn apply(&mut self, e: &Event) {
        let mut records = Vec::new();
        if let Some(p) = &e.pay {
            self.payments += 1;
            let id = format!("PAY-{}", self.payments);
            let customer = match (&p.customer, &p.invoice) {
                (Some(c), _) => c.clone(),
                (None, Some(i)) => self.invoices[i].customer.clone(),
                (None, None) => panic!("a payment needs an invoice or a customer"),
            };
            records.push(Record {
                origin: origin(&id),
                kind: RecordKind::Payment,
                body: Some(Body::Payment(Payment {
                    customer_remote_id: Some(customer),
                    date: e.on,
                    amount: Money {
                        amount: p.amount,
                        currency: currency(&p.currency),
                    },
                    reference: None,
                    method: None,
                    allocations: p
                        .invoice
                        .iter()
                        .map(|i| Allocation {
                            target: AllocationTarget::Invoice,
                            target_remote_id: i.clone(),
                            amount: p.amount,
                        })
                        .collect(),
                })),
            });
            if let Some(i) = &p.invoice
                && p.restated
            {
                records.push(self.settle(i, p.amount));
            }
        }
        if let Some(c) = &e.credit_note {
            let states = c
                .applies_to
                .as_ref()
                .is_none_or(|i| self.invoices[i].states_outstanding);
            let open = match (&c.applies_to, states) {
                (_, false) => None,
                (Some(_), true) => Some(Decimal::ZERO),
                (None, true) => Some(c.amount),
            };
            records.push(Record {
                origin: origin(&c.id),
                kind: RecordKind::CreditNote,
                body: Some(Body::CreditNote(document(Doc {
                    number: &c.id,
                    customer: &c.customer,
                    issue: e.on,
                    due: None,
                    total: c.amount,
                    outstanding: open,
                    currency: currency(&c.currency),
                    preceding: c.applies_to.as_deref(),
                    discount: None,
                }))),
            });
            if let Some(i) = &c.applies_to {
                records.push(self.settle(i, c.amount));
            }
        }
        if let Some(r) = &e.report {
            records.push(Record {
                origin: Origin {
                    connection: "bureau".into(),
                    remote_id: format!("{BOOKS}/{}#report", r.customer),
                    remote_updated_at: None,
                    deleted: false,
                    raw: None,
                },
                kind: RecordKind::CreditReport,
                body: Some(Body::CreditReport(CreditReport {
                    subject_name: r.customer.clone(),
                    identifiers: vec![],
                    report_date: e.on,
                    source: "Bureau".into(),
                    score: None,
                    rating: None,
                    previous_rating: None,
                    recommended_limit: Some(Money {
                        amount: Decimal::from(100_000),
                        currency: currency("EUR"),
                    }),
                    company_status: None,
                    events: r
                        .event
                        .iter()
                        .map(|kind| CreditEvent {
                            kind: *kind,
                            date: r.opened,
                            description: format!("{kind:?}").to_lowercase(),
                        })
                        .collect(),
                })),
            });
        }
        commit(&mut *self.store, e.on, records);
        if let Some(r) = &e.release {
            self.store
                .record_hold_release(&HoldRelease {
                    id: 0,
                    customer: format!("{BOOKS}/{}", r.customer),
                    released_on: e.on,
                    by: r.by.clone(),
                    reason: r.reason.clone(),
                })
                .expect("release");
        }
        if let Some(p) = &e.promise {
            self.store
                .record_promise(&Promise {
                    customer: format!("{BOOKS}/{}", p.customer),
                    amount: Money {
                        amount: p.amount,
                        currency: currency(&p.currency),
                    },
                    promised_for: p.by,
                    recorded_on: e.on,
                    by: "case".into(),
                    note: None,
                    invoices: p.invoices.iter().map(|i| format!("{BOOKS}/{i}")).collect(),
                })
                .expect("promise");
        }
        if let Some(d) = &e.dispute {
            self.store
                .record_dispute(&Dispute {
                    id: 0,
                    invoice: format!("{BOOKS}/{}", d.invoice),
                    number: d.invoice.clone(),
                    opened_on: e.on,
                    until: d.until,
                    reason: d.reason.clone(),
                    by: "case".into(),
                    resolved_on: None,
                })
                .expect("dispute");
        }
        if let Some(invoice) = &e.resolve {
            let id = self
                .store
                .disputes()
                .expect("disputes")
                .into_iter()
                .find(|d| d.number == *invoice && d.resolved_on.is_none())
                .map(|d| d.id)
                .unwrap_or_else(|| panic!("no open dispute on {invoice}"));
            assert!(self.store.resolve_dispute(id, e.on).expect("resolve"));
        }
        if let Some(p) = &e.plan {
            let c = currency(&p.currency);
            self.store
                .record_payment_plan(&PaymentPlan {
                    id: 0,
                    customer: format!("{BOOKS}/{}", p.customer),
                    currency: c,
                    agreed_on: e.on,
                    by: "case".into(),
                    invoices: p.invoices.iter().map(|i| format!("{BOOKS}/{i}")).collect(),
                    instalments: p
                        .instalments
                        .iter()
                        .map(|(d, amount)| Instalment {
                            due: d.parse().expect("instalment date"),
                            amount: Money {
                                amount: *amount,
                                currency: c,
                            },
                        })
                        .collect(),
                    note: None,
                })
                .expect("plan");
        }
    }

    /// What `credence deliver` does when every channel accepts.
    fn deliver(&mut self, day: NaiveDate) {
        while let Some(entry) = self
            .store
            .claim_action(noon(day), &credence_store::Lease::for_seconds("test", 60))
            .expect("claim")
        {
            self.store
                .action_delivered(&entry.action.key, noon(day), "case")
                .expect("delivered");
        }
    }
}

fn run_timeline(path: &Path, backend: Backend) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("read case");
    let case: Timeline =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(!case.description.is_empty());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut runner = Runner::new(patched_policy(case.policy.as_ref()), backend);
    let first = NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
    commit(
        &mut *runner.store,
        first,
        case.customers.iter().map(customer).collect(),
    );
    for i in &case.invoices {
        runner.add_invoice(i.clone());
    }
    // Invoices synced before the timeline starts are there from the start.
    for i in case
        .invoices
        .iter()
        .filter(|i| i.synced.unwrap_or(i.issue) < case.from)
    {
        let record = runner.invoice_record(&i.id);
        commit(
            &mut *runner.store,
            i.synced.unwrap_or(i.issue),
            vec![record],
        );
    }
    let expected: BTreeMap<NaiveDate, &Expect> = case.expect.iter().map(|e| (e.on, e)).collect();
    let mut failures = Vec::new();
    let mut day = case.from;
    while day <= case.to {
        let new: Vec<Record> = case
            .invoices
            .iter()
            .filter(|i| i.synced.unwrap_or(i.issue) == day)
            .map(|i| runner.invoice_record(&i.id))
            .collect();
        commit(&mut *runner.store, day, new);
        for e in case.events.iter().filter(|e| e.on == day) {
            runner.apply(e);
        }
        let down = case.outages.iter().any(|o| o.from <= day && day <= o.to);
        if !down {
            runner.deliver(day); // What waited during an outage goes out first.
        }
        let plan = dunning::plan_run(&*runner.store, &runner.policy, &runner.renderer, day, false)
            .expect("plan");
        let again = dunning::plan_run(&*runner.store, &runner.policy, &runner.renderer, day, false)
            .expect("plan");
        let keys = |p: &credence_rules::dunning::Plan| {
            p.actions.iter().map(|a| a.key.clone()).collect::<Vec<_>>()
        };
        assert_eq!(
            keys(&plan),
            keys(&again),
            "{name} {day}: planning is repeatable"
        );
        runner
            .store
            .enqueue(&plan.actions, noon(day))
            .expect("enqueue");
        // Queueing the same run again adds nothing.
        assert_eq!(
            runner
                .store
                .enqueue(&again.actions, noon(day))
                .expect("enqueue"),
            0
        );
        if !down {
            runner.deliver(day);
        }
        let mut got: Vec<String> = plan.actions.iter().map(describe).collect();
        got.sort();
        let want = expected.get(&day);
        let mut wanted: Vec<String> = want.map(|e| e.actions.clone()).unwrap_or_default();
        wanted.sort();
        if got != wanted {
            failures.push(format!(
                "{name} {day}: actions {got:?}, expected {wanted:?}"
            ));
        }
        if let Some(e) = want {
            if let Some(charges) = &e.charges {
                let mut got: Vec<String> = plan.actions.iter().flat_map(describe_charges).collect();
                let mut charges = charges.clone();
                got.sort();
                charges.sort();
                if got != charges {
                    failures.push(format!(
                        "{name} {day}: charges {got:?}, expected {charges:?}"
                    ));
                }
            }
            let waiting: Vec<String> = plan
                .waiting
                .iter()
                .map(|w| format!("{}: {}", w.invoice, w.reason))
                .collect();
            for w in &e.waiting {
                if !waiting.iter().any(|x| x.contains(w.as_str())) {
                    failures.push(format!(
                        "{name} {day}: nothing waiting like {w:?} in {waiting:?}"
                    ));
                }
            }
            if let Some(recipients) = &e.recipients {
                let mut got: Vec<String> = plan
                    .actions
                    .iter()
                    .filter(|a| a.channel.as_str() == "email")
                    .filter_map(|a| a.recipient.clone())
                    .collect();
                let mut want = recipients.clone();
                got.sort();
                want.sort();
                if got != want {
                    failures.push(format!(
                        "{name} {day}: e-mails to {got:?}, expected {want:?}"
                    ));
                }
            }
            let evaluation = (!e.states.is_empty() || !e.alerts.is_empty()).then(|| {
                credence_app::credit::evaluate(&*runner.store, &runner.policy, day)
                    .expect("evaluate")
            });
            if let Some(evaluation) = &evaluation {
                for want in &e.alerts {
                    let found = evaluation.customers.iter().any(|d| {
                        d.alerts.iter().any(|a| {
                            format!("{} {}", d.account.trim_start_matches("books/"), a.code)
                                == *want
                        })
                    });
                    if !found {
                        failures.push(format!("{name} {day}: no alert {want:?}"));
                    }
                }
                for want in &e.states {
                    let customer = want.split(' ').next().unwrap_or_default();
                    let got = evaluation
                        .customers
                        .iter()
                        .find(|d| d.account == format!("{BOOKS}/{customer}"))
                        .map(|d| {
                            format!(
                                "{customer} {} {}",
                                d.state.as_str(),
                                d.reasons
                                    .iter()
                                    .find(|r| r.decisive)
                                    .map_or("-", |r| &*r.code)
                            )
                        })
                        .unwrap_or_else(|| format!("{customer} (no such account)"));
                    if got != *want {
                        failures.push(format!("{name} {day}: state {got:?}, expected {want:?}"));
                    }
                }
            }
            for text in &e.body_contains {
                if !plan
                    .actions
                    .iter()
                    .any(|a| a.body.contains(text.as_str()) || a.subject.contains(text.as_str()))
                {
                    failures.push(format!("{name} {day}: no message contains {text:?}"));
                }
            }
        }
        day = day.succ_opt().expect("next day");
    }
    for e in &case.expect {
        if e.on < case.from || e.on > case.to {
            failures.push(format!(
                "{name}: expectation on {} is outside the timeline",
                e.on
            ));
        }
    }
    failures
}

#[test]
fn dunning_timelines_give_the_expected_actions_each_day() {
    let cases = cases::files("dunning/timelines");
    assert!(cases.len() >= 8, "the timelines are there: {}", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .flat_map(|c| run_timeline(c, Backend::Sqlite))
        .collect();
    cases::assert_no_failures(failures);
}

#[test]
fn dunning_timelines_give_the_same_actions_on_postgresql() {
    let failures: Vec<String> = cases::files("dunning/timelines")
        .iter()
        .flat_map(|c| run_timeline(c, Backend::Postgres))
        .collect();
    cases::assert_no_failures(failures);
}

#[test]
fn a_timeline_with_a_wrong_expectation_fails() {
    // The runner must be able to fail: the ladder case with one amount changed.
    let text = std::fs::read_to_string(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .join("../tests/dunning/timelines/ladder.toml"),
    )
    .expect("ladder case");
    let wrong = text.replace("1045.56", "1045.57");
    assert_ne!(wrong, text, "the ladder case names the final notice total");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("wrong.toml");
    std::fs::write(&path, wrong).expect("write");
    let failures = run_timeline(&path, Backend::Sqlite);
    assert_eq!(failures.len(), 1, "{failures:?}");
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InterestFile {
    case: Vec<InterestCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InterestCase {
    name: String,
    /// The customer's country (picks the pack); none: the default pack.
    country: Option<String>,
    currency: String,
    amount: Decimal,
    #[serde(deserialize_with = "date")]
    due: NaiveDate,
    #[serde(deserialize_with = "date")]
    as_of: NaiveDate,
    /// Payments applied before `as_of`: [date, amount].
    #[serde(default)]
    payments: Vec<(String, Decimal)>,
    /// Hand-checked: "FROM..TO DAYS RATE AMOUNT" per line.
    lines: Vec<String>,
    interest: Decimal,
    compensation: Option<Decimal>,
    /// The pack code cited.
    pack: String,
}

#[test]
fn interest_and_compensation_match_hand_checked_cases_for_every_pack() {
    let text = std::fs::read_to_string(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .join("../tests/dunning/interest.toml"),
    )
    .expect("interest cases");
    let file: InterestFile = toml::from_str(&text).expect("interest.toml");
    let mut packs = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    // One step, on the due date: a final notice with interest and compensation.
    let patch: toml::Table = toml::from_str(
        r#"
        [dunning]
        min_gap_days = 0
        [[dunning.steps]]
        code = "final-notice"
        action = "email"
        after = "due"
        days = 1
        charge = ["interest", "compensation"]
        "#,
    )
    .expect("patch");
    for case in &file.case {
        packs.insert(case.pack.clone());
        let mut runner = Runner::new(patched_policy(Some(&patch)), Backend::Sqlite);
        let c = CaseCustomer {
            connection: None,
            vat: None,
            credit_limit: None,
            id: "C".into(),
            name: case.name.clone(),
            email: Some("ap@example.com".into()),
            language: None,
            country: case.country.clone(),
            sales_rep: None,
            segment: None,
        };
        let issue = case.due - chrono::Duration::days(30);
        runner.add_invoice(CaseInvoice {
            id: "I".into(),
            customer: "C".into(),
            issue,
            due: case.due,
            amount: case.amount,
            currency: case.currency.clone(),
            synced: None,
            discount: None,
            states_outstanding: true,
        });
        let invoice = runner.invoice_record("I");
        commit(&mut *runner.store, issue, vec![customer(&c), invoice]);
        for (day, amount) in &case.payments {
            runner.apply(&Event {
                on: day.parse().expect("payment date"),
                pay: Some(Pay {
                    invoice: Some("I".into()),
                    customer: None,
                    amount: *amount,
                    currency: case.currency.clone(),
                    restated: true,
                }),
                credit_note: None,
                promise: None,
                dispute: None,
                resolve: None,
                plan: None,
                report: None,
                release: None,
            });
        }
        let plan = dunning::plan_run(
            &*runner.store,
            &runner.policy,
            &runner.renderer,
            case.as_of,
            false,
        )
        .expect("plan");
        // The final notice (an insurer notification may come with a large debt).
        let Some(action) = plan
            .actions
            .iter()
            .find(|a| a.kind == credence_model::dunning::ActionKind::Email)
        else {
            failures.push(format!("{}: no action", case.name));
            continue;
        };
        let interest: Vec<_> = action
            .charges
            .iter()
            .filter(|c| c.kind == credence_model::dunning::ChargeKind::Interest)
            .collect();
        let lines: Vec<String> = interest
            .iter()
            .flat_map(|c| c.lines.iter())
            .map(|l| {
                format!(
                    "{}..{} {} {} {}",
                    l.from,
                    l.to,
                    l.days,
                    l.rate.normalize(),
                    l.amount
                )
            })
            .collect();
        let total: Decimal = interest.iter().map(|c| c.amount).sum();
        let compensation = action
            .charges
            .iter()
            .find(|c| c.kind == credence_model::dunning::ChargeKind::Compensation)
            .map(|c| c.amount);
        if lines != case.lines || total != case.interest || compensation != case.compensation {
            failures.push(format!(
                "{}: lines {lines:?} total {total} compensation {compensation:?}; expected {:?} {} {:?}",
                case.name, case.lines, case.interest, case.compensation
            ));
        }
        let cited = credence_rules::law::pack(&case.pack).map(|p| p.cite.clone());
        if action.law != cited {
            failures.push(format!(
                "{}: cites {:?}, expected pack {}",
                case.name, action.law, case.pack
            ));
        }
    }
    for pack in ["eu", "fr", "de", "uk", "gr", "lv", "cz", "ro"] {
        if !packs.contains(pack) {
            failures.push(format!("no hand-checked case for pack {pack}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
