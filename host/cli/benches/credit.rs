//! Credit evaluation and dunning at scale (see BENCHMARKS.md): 100,000 customers with
//! 1,000,000 open invoices (3 lines each) and 20,000 credit reports in an SQLite store;
//! `credence evaluate`'s path end to end (store read included) and the pure rule step alone,
//! with peak memory; then `credence dunning`'s plan end to end, the ladder step alone (with
//! every invoice already at a level) and message rendering.
//!
//! Run with `cargo bench -p credence --bench credit` (setup takes a while: it syncs 1.1 M
//! records into a fresh store first). Each figure is the median of three runs.

use chrono::{NaiveDate, TimeZone, Utc};
use credence_app::credit;
use credence_model::*;
use credence_rules::credit::{Policy, facts, rules};
use credence_store::sqlite::SqliteStore;
use credence_store::{PageCommit, RecordStore};
use rust_decimal::Decimal;
use std::time::{Duration, Instant};

const CUSTOMERS: usize = 100_000;
const INVOICES: usize = 1_000_000;
const REPORTS: usize = 20_000;
const PAGE: usize = 5_000;

fn eur() -> Currency {
    Currency::parse("EUR").expect("EUR")
}

fn origin(connection: &str, id: String) -> Origin {
    Origin {
        connection: connection.into(),
        remote_id: id,
        remote_updated_at: None,
        deleted: false,
        raw: None,
    }
}

fn vat(i: usize) -> Identifier {
    Identifier {
        scheme: IdScheme::Vat,
        value: format!("FR{i:011}"),
        country: Some("FR".into()),
    }
}

fn customer(i: usize) -> Record {
    Record {
        origin: origin("books", format!("c-{i:06}")),
        kind: RecordKind::Customer,
        body: Some(Body::Customer(Customer {
            name: format!("Customer {i}"),
            legal_name: None,
            identifiers: vec![vat(i)],
            addresses: vec![],
            contacts: vec![Contact {
                name: None,
                email: Some(format!("ap{i}@customer.example")),
                phone: None,
                role: None,
            }],
            language: Some(["fr", "de", "en", "el", "lv", "cs", "ro"][i % 7].into()),
            currency: Some(eur()),
            payment_terms_days: Some(30),
            sales_rep: None,
            segment: Some(["retail", "industry", "wholesale"][i % 3].into()),
            parent_remote_id: None,
            credit_limit: i.is_multiple_of(4).then_some(Money {
                amount: Decimal::from(25_000),
                currency: eur(),
            }),
        })),
    }
}

#[path = "support/invoice.rs"]
mod support;

fn invoice(i: usize) -> Record {
    let issue = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")
        + chrono::Duration::days((i % 330) as i64);
    support::invoice(i, format!("c-{:06}", i % CUSTOMERS), issue, true, None)
}

fn report(i: usize) -> Record {
    let customer = i * (CUSTOMERS / REPORTS);
    Record {
        origin: origin("bureau", format!("r-{customer:06}")),
        kind: RecordKind::CreditReport,
        body: Some(Body::CreditReport(CreditReport {
            subject_name: format!("Customer {customer}"),
            identifiers: vec![vat(customer)],
            report_date: NaiveDate::from_ymd_opt(2026, 10, 1).expect("date"),
            source: "bench-bureau".into(),
            score: Some(Score {
                value: Decimal::from((customer % 100) as i64),
                scale_min: Decimal::ZERO,
                scale_max: Decimal::from(100),
                higher_is_better: true,
            }),
            rating: Some(["A", "B", "C", "D"][customer % 4].into()),
            previous_rating: None,
            recommended_limit: Some(Money {
                amount: Decimal::from(10_000 + customer % 50_000),
                currency: eur(),
            }),
            company_status: Some("active".into()),
            events: vec![],
        })),
    }
}

fn fill(
    store: &mut SqliteStore,
    connection: &str,
    stream: &str,
    records: impl Iterator<Item = Record>,
) {
    let received = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("time");
    let mut records = records.peekable();
    while records.peek().is_some() {
        let page: Vec<Record> = records.by_ref().take(PAGE).collect();
        store
            .commit_page(&PageCommit {
                connection: connection.into(),
                stream: stream.into(),
                records: page,
                quarantined: vec![],
                cursor: None,
                has_more: true,
                received_at: received,
                withdrawn: vec![],
            })
            .expect("commit");
    }
}

/// A `/proc/self/status` figure in MiB (Linux).
fn status_mib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Samples the process's private (anonymous) resident memory every 2 ms until dropped and
/// keeps the peak: the memory an evaluation allocates, without the database pages SQLite maps
/// from the file (those count in RSS but belong to the page cache).
struct AnonPeak {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl AnonPeak {
    fn start() -> AnonPeak {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(status_mib("RssAnon:").unwrap_or(0));
                std::thread::sleep(Duration::from_millis(2));
            }
            peak
        });
        AnonPeak {
            stop,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.take().and_then(|t| t.join().ok()).unwrap_or(0)
    }
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("credit.db");
    let started = Instant::now();
    {
        let mut store = SqliteStore::open(&path).expect("open");
        fill(
            &mut store,
            "books",
            "customers",
            (0..CUSTOMERS).map(customer),
        );
        fill(&mut store, "books", "invoices", (0..INVOICES).map(invoice));
        fill(&mut store, "bureau", "reports", (0..REPORTS).map(report));
    }
    println!(
        "setup: {CUSTOMERS} customers, {INVOICES} open invoices, {REPORTS} reports stored in {:.1?}",
        started.elapsed()
    );
    let store = SqliteStore::open(&path).expect("open");
    let policy = Policy::default_policy();
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");

    let before = status_mib("RssAnon:").unwrap_or(0);
    let sampler = AnonPeak::start();
    let mut end_to_end = Vec::new();
    let mut read = Vec::new();
    let mut book = None;
    for _ in 0..3 {
        let t = Instant::now();
        let eval = credit::evaluate(&store, &policy, as_of).expect("evaluate");
        end_to_end.push(t.elapsed());
        assert_eq!(eval.customers.len(), CUSTOMERS);
        let t = Instant::now();
        book = Some(credit::read_book(&store, &policy, as_of).expect("read"));
        read.push(t.elapsed());
    }
    let peak = sampler.finish();
    let book = book.expect("book");
    let mut step = Vec::new();
    // CREDENCE_BENCH_STEP_RUNS=30 makes the rule step dominate a `perf record` of this bench.
    let runs = std::env::var("CREDENCE_BENCH_STEP_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    for _ in 0..runs {
        let t = Instant::now();
        let eval = rules::evaluate(&book, &policy, as_of);
        step.push(t.elapsed());
        assert_eq!(eval.customers.len(), CUSTOMERS);
    }
    let (e2e, read, step) = (median(end_to_end), median(read), median(step));
    println!("credit/evaluate end to end (store read + rules): {e2e:.2?} (target <= 2 s)");
    println!("credit/store read into facts: {read:.2?}");
    println!(
        "credit/rule step: {step:.2?} = {:.1} M invoices/s (target >= 5 M/s)",
        INVOICES as f64 / step.as_secs_f64() / 1e6
    );
    println!(
        "credit/peak private memory during evaluation: {} MiB above the {before} MiB before it (target <= 1024)",
        peak.saturating_sub(before)
    );
    dunning(&store, &policy, as_of, &book);
}

/// `credence dunning` at the same scale.
fn dunning(store: &SqliteStore, policy: &Policy, as_of: NaiveDate, book: &facts::Book) {
    use credence_app::dunning::plan_actions;
    use credence_model::history;
    use credence_rules::dunning::{self, plan, render};
    let mut end_to_end = Vec::new();
    let mut planned = None;
    for _ in 0..3 {
        let t = Instant::now();
        let p = plan_actions(store, policy, as_of, false).expect("plan");
        end_to_end.push(t.elapsed());
        planned = Some(p);
    }
    let planned = planned.expect("plan");
    // The ladder step alone, with every invoice already at a level (the lookups a later run pays).
    let states = dunning::credit_states(book, policy, as_of);
    let mut history = history::History::default();
    for invoice in &book.invoices {
        history.levels.insert(
            book.key(invoice).to_string(),
            history::Level {
                step: "receipt".into(),
                on: invoice.issue + chrono::Duration::days(3),
            },
        );
    }
    let inputs = plan::Inputs {
        book,
        states: &states,
        insurance: &[],
        history: &history,
        disputes: &[],
        plans: &[],
        webhook: false,
    };
    let mut step = Vec::new();
    let mut actions = 0;
    for _ in 0..3 {
        let t = Instant::now();
        actions = plan::plan(&inputs, policy, as_of).actions.len();
        step.push(t.elapsed());
    }
    let renderer = render::Renderer::new(
        render::Sender {
            company: "Bench Supplies Ltd".into(),
            payment_instructions: "IBAN FR76 3000 6000 0112 3456 7890 189".into(),
            payment_by_language: Default::default(),
        },
        None,
    )
    .expect("templates");
    let mut messages: Vec<_> = planned.actions.iter().take(20_000).cloned().collect();
    let t = Instant::now();
    for m in &mut messages {
        let (template, law) = (m.template.clone(), m.law.clone().unwrap_or_default());
        renderer.render(m, &template, &law).expect("render");
    }
    let render = t.elapsed();
    println!(
        "dunning/plan end to end (store read + credit states + ladder, {} actions): {:.2?} (target <= 2 s)",
        planned.actions.len(),
        median(end_to_end)
    );
    println!(
        "dunning/ladder step, every invoice at a level ({actions} actions): {:.2?}",
        median(step)
    );
    println!(
        "dunning/render: {} messages in {render:.2?} = {:.0} messages/s (target >= 10,000/s)",
        messages.len(),
        messages.len() as f64 / render.as_secs_f64()
    );
}
