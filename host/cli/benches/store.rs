//! Store benchmarks (see BENCHMARKS.md): invoice upserts into SQLite in pages of 1,000
//! (WAL, prepared statements, one transaction per page), a full re-read that finds 1 % changed,
//! and an incremental re-sync of only the changed 1 %.
//!
//! Run with `cargo bench -p credence --bench store`.

use chrono::{NaiveDate, TimeZone, Utc};
use credence_model::Record;
use credence_store::sqlite::SqliteStore;
use credence_store::{PageCommit, RecordStore};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const INVOICES: usize = 100_000;
const PAGE: usize = 1_000;

#[path = "support/invoice.rs"]
mod support;

/// Invoice `i`, open (version 0) or paid (version 1).
fn invoice(i: usize, version: u32) -> Record {
    support::invoice(
        i,
        format!("c-{}", i % 500),
        NaiveDate::from_ymd_opt(2026, 9, 1).expect("date"),
        version == 0,
        Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, version).single(),
    )
}

fn pages(records: Vec<Record>) -> Vec<PageCommit> {
    let mut out = Vec::new();
    let mut records = records.into_iter().peekable();
    let mut n = 0;
    while records.peek().is_some() {
        let chunk: Vec<Record> = records.by_ref().take(PAGE).collect();
        n += 1;
        out.push(PageCommit {
            connection: "books".into(),
            stream: "invoices".into(),
            records: chunk,
            quarantined: vec![],
            cursor: Some(n.to_string()),
            has_more: true,
            received_at: Utc::now(),
            withdrawn: vec![],
        });
    }
    out
}

fn sync(store: &mut SqliteStore, pages: &[PageCommit]) {
    for p in pages {
        store.commit_page(p).expect("commit");
    }
}

fn benches(c: &mut Criterion) {
    let all: Vec<Record> = (0..INVOICES).map(|i| invoice(i, 0)).collect();
    let full = pages(all.clone());
    // 1 % changed: every hundredth invoice paid.
    let changed: Vec<Record> = (0..INVOICES)
        .map(|i| {
            if i % 100 == 0 {
                invoice(i, 1)
            } else {
                all[i].clone()
            }
        })
        .collect();
    let reread = pages(changed.clone());
    let only_changed = pages(
        changed
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % 100 == 0)
            .map(|(_, r)| r)
            .collect(),
    );

    let fresh = |dir: &tempfile::TempDir, name: &str| {
        SqliteStore::open(&dir.path().join(name)).expect("open")
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut group = c.benchmark_group("store-100k-invoices");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(INVOICES as u64));
    let mut run = 0;
    group.bench_function("full sync into an empty store", |b| {
        b.iter_batched(
            || {
                run += 1;
                fresh(&dir, &format!("full-{run}.db"))
            },
            |mut store| sync(&mut store, &full),
            BatchSize::PerIteration,
        )
    });
    let primed = |name: &str| {
        let mut store = fresh(&dir, name);
        sync(&mut store, &full);
        store
    };
    let mut reread_store = primed("reread.db");
    group.bench_function("full re-read, 1 % changed", |b| {
        b.iter(|| {
            sync(&mut reread_store, &reread);
            sync(&mut reread_store, &full);
        })
    });
    let mut incremental_store = primed("incremental.db");
    group.throughput(Throughput::Elements((INVOICES / 100) as u64));
    group.bench_function("incremental re-sync of the 1 % changed", |b| {
        b.iter(|| {
            sync(&mut incremental_store, &only_changed);
            sync(
                &mut incremental_store,
                &pages(all.iter().step_by(100).cloned().collect()),
            );
        })
    });
    group.finish();
}

criterion_group!(store_benches, benches);
criterion_main!(store_benches);
