//! What every backend must do alike, run against the embedded SQLite store and against a
//! schema of its own on the test PostgreSQL (`CREDENCE_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/test`).

use super::sqlite::tests::{customer, invoice, outstanding_on, page};
use super::{Lease, Location, SavedCursor, Store};
use chrono::{DateTime, Duration, TimeZone, Utc};
use credence_model::Quarantined;
use credence_model::{Body, Record, RecordKind};

fn postgres_url() -> String {
    std::env::var("CREDENCE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh store of each backend; the PostgreSQL schema is dropped at the end.
struct Backends {
    _dir: tempfile::TempDir,
    schema: String,
}

impl Backends {
    fn each(scenario: impl Fn(&mut dyn Store)) {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = tempfile::tempdir().expect("tempdir");
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let schema = format!("credence_unit_{}_{n}", std::process::id());
        let guard = Backends { _dir: dir, schema };
        guard.drop_schema();
        let sqlite = Location::Sqlite(guard._dir.path().join("credence.db"));
        let postgres = Location::Postgres {
            url: postgres_url(),
            schema: guard.schema.clone(),
        };
        for location in [sqlite, postgres] {
            let mut store = location.open().expect("open");
            scenario(store.as_mut());
        }
    }

    fn drop_schema(&self) {
        let db = crate::postgres::Pg::connect(&postgres_url()).expect("PostgreSQL");
        db.batch_execute(&format!(
            "SET client_min_messages = warning; DROP SCHEMA IF EXISTS {} CASCADE",
            self.schema
        ))
        .expect("drop schema");
    }
}

impl Drop for Backends {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.drop_schema();
        }
    }
}

fn names(records: Vec<Record>) -> Vec<String> {
    records
        .into_iter()
        .filter_map(|r| match r.body {
            Some(Body::Customer(c)) => Some(c.name),
            _ => None,
        })
        .collect()
}

fn evening(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, d, 23, 0, 0)
        .single()
        .expect("date")
}

#[test]
fn upserts_are_idempotent_deletions_leave_tombstones_and_history_replays() {
    Backends::each(|store| {
        let two = || vec![customer("1", "Acme", false), customer("2", "Beta", false)];
        let c1 = store.commit_page(&page(two(), "c1", 1)).expect("commit");
        assert_eq!((c1.new, c1.updated, c1.unchanged), (2, 0, 0));
        let again = store.commit_page(&page(two(), "c1", 2)).expect("commit");
        assert_eq!((again.new, again.updated, again.unchanged), (0, 0, 2));
        let c3 = store
            .commit_page(&page(
                vec![customer("1", "Acme Ltd", false), customer("2", "", true)],
                "c3",
                3,
            ))
            .expect("commit");
        assert_eq!((c3.updated, c3.deleted), (1, 1));
        assert_eq!(
            store.cursor("books", "customers").expect("cursor"),
            Some(SavedCursor {
                cursor: Some("c3".into()),
                complete: true
            })
        );
        let now = store.records(RecordKind::Customer).expect("records");
        assert_eq!(now.len(), 2, "the tombstone stays");
        let as_of = |d| {
            names(
                store
                    .records_as_of(RecordKind::Customer, evening(d))
                    .expect("as of"),
            )
        };
        assert_eq!(as_of(2), ["Acme", "Beta"]);
        assert_eq!(as_of(3), ["Acme Ltd"]);
        let versions = store
            .versions(RecordKind::Customer, evening(31))
            .expect("versions");
        assert_eq!(versions.len(), 4, "new, new, updated, deleted");
        assert!(
            store
                .record(RecordKind::Customer, "books", "1")
                .expect("record")
                .is_some()
        );
    });
}

#[test]
fn identical_repeats_in_a_page_are_stored_once() {
    Backends::each(|store| {
        let counts = store
            .commit_page(&page(
                vec![
                    customer("1", "Acme", false),
                    customer("1", "Acme", false),
                    customer("2", "Beta", false),
                ],
                "c",
                1,
            ))
            .expect("commit");
        assert_eq!((counts.new, counts.updated, counts.unchanged), (2, 0, 1));
        let versions = store
            .versions(RecordKind::Customer, evening(31))
            .expect("versions");
        assert_eq!(versions.len(), 2);
        assert!(store.quarantine().expect("quarantine").is_empty());
    });
}

#[test]
fn different_records_under_one_key_in_a_page_are_held_together_and_the_stored_one_stays() {
    Backends::each(|store| {
        store
            .commit_page(&page(vec![customer("1", "Acme", false)], "1", 1))
            .expect("commit");
        let counts = store
            .commit_page(&page(
                vec![
                    customer("1", "Acme Ltd", false),
                    customer("2", "Beta", false),
                    customer("1", "Mallory", false),
                ],
                "2",
                2,
            ))
            .expect("commit");
        assert_eq!((counts.new, counts.updated, counts.quarantined), (1, 0, 1));
        assert_eq!(
            names(
                store
                    .records_as_of(RecordKind::Customer, evening(2))
                    .expect("as of")
            ),
            ["Acme", "Beta"],
            "neither version replaced the stored one"
        );
        let held = store.quarantine().expect("quarantine");
        assert_eq!(held.len(), 1, "{held:?}");
        assert_eq!(held[0].remote_id, "1");
        let reasons = held[0].reasons.join("; ");
        assert!(reasons.contains("\"1\""), "{reasons}");
        assert!(
            reasons.contains("#1, #3"),
            "names both occurrences: {reasons}"
        );
        let raw = held[0].raw.as_deref().unwrap_or_default();
        assert!(
            raw.contains("Acme Ltd") && raw.contains("Mallory"),
            "both versions are kept: {raw}"
        );
        // The next page with one version settles it and clears the quarantine, even when that
        // version is the one already stored.
        store
            .commit_page(&page(vec![customer("1", "Acme", false)], "3", 3))
            .expect("commit");
        assert!(store.quarantine().expect("quarantine").is_empty());
    });
}

#[test]
fn a_record_whose_key_is_also_quarantined_in_the_page_is_held_with_it() {
    Backends::each(|store| {
        let mut mixed = page(vec![customer("1", "Acme", false)], "1", 1);
        mixed.quarantined.push(Quarantined {
            connection: "books".into(),
            stream: "customers".into(),
            remote_id: "1".into(),
            reasons: vec!["no name".into()],
            raw: Some("{\"line\":7}".into()),
        });
        let counts = store.commit_page(&mixed).expect("commit");
        assert_eq!((counts.new, counts.quarantined), (0, 1));
        assert!(
            store
                .records(RecordKind::Customer)
                .expect("records")
                .is_empty()
        );
        let held = store.quarantine().expect("quarantine");
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].reasons.len(), 2, "{:?}", held[0].reasons);
    });
}

#[test]
fn a_source_read_again_supersedes_its_parse_level_quarantine() {
    Backends::each(|store| {
        let held = |id: &str| Quarantined {
            connection: "books".into(),
            stream: "customers".into(),
            remote_id: id.into(),
            reasons: vec!["not valid CSV".into()],
            raw: None,
        };
        let mut first = page(vec![], "1", 1);
        first.quarantined = vec![
            held("customers.csv:3"),
            held("customers.csv:9"),
            held("other.csv:3"),
            held("C-7"),
        ];
        store.commit_page(&first).expect("commit");
        let mut again = page(vec![customer("3", "Fixed", false)], "2", 2);
        again.withdrawn = vec!["customers.csv".into()];
        again.quarantined = vec![held("customers.csv:9")];
        store.commit_page(&again).expect("commit");
        let mut left: Vec<String> = store
            .quarantine()
            .expect("quarantine")
            .into_iter()
            .map(|q| q.remote_id)
            .collect();
        left.sort();
        assert_eq!(left, ["C-7", "customers.csv:9", "other.csv:3"]);
    });
}

#[test]
fn document_facts_follow_versions() {
    Backends::each(|store| {
        store
            .commit_page(&page(
                vec![invoice("a", "100.00", false), invoice("b", "100.00", false)],
                "1",
                1,
            ))
            .expect("commit");
        store
            .commit_page(&page(
                vec![invoice("a", "70.00", false), invoice("b", "0", true)],
                "2",
                3,
            ))
            .expect("commit");
        let mut later = page(vec![invoice("a", "40.00", false)], "3", 3);
        later.received_at += Duration::hours(1);
        store.commit_page(&later).expect("commit");
        let pair = |id: &str, v: &str| (id.to_string(), v.to_string());
        assert_eq!(
            outstanding_on(store, 2),
            [pair("a", "100.00"), pair("b", "100.00")]
        );
        assert_eq!(outstanding_on(store, 3), [pair("a", "40.00")]);
    });
}

#[test]
fn a_record_that_becomes_valid_leaves_quarantine() {
    Backends::each(|store| {
        let mut held = page(vec![], "1", 1);
        held.quarantined.push(Quarantined {
            connection: "books".into(),
            stream: "customers".into(),
            remote_id: "1".into(),
            reasons: vec!["no name".into()],
            raw: Some("{}".into()),
        });
        assert_eq!(store.commit_page(&held).expect("commit").quarantined, 1);
        assert_eq!(store.quarantine().expect("quarantine").len(), 1);
        store
            .commit_page(&page(vec![customer("1", "Acme", false)], "2", 2))
            .expect("commit");
        assert!(store.quarantine().expect("quarantine").is_empty());
    });
}

#[test]
fn leases_are_exclusive_renewed_and_taken_over_when_they_run_out() {
    Backends::each(|store| {
        let t0 = Utc::now();
        let lease = |holder, at: DateTime<Utc>, secs| Lease {
            holder,
            now: at,
            until: at + Duration::seconds(secs),
        };
        assert!(
            store
                .lease_job("books", &lease("a", t0, 30))
                .expect("lease")
        );
        assert!(
            !store
                .lease_job("books", &lease("b", t0, 30))
                .expect("lease"),
            "held by a"
        );
        assert!(
            store
                .renew_lease("books", &lease("a", t0, 60))
                .expect("renew")
        );
        let late = t0 + Duration::seconds(45);
        assert!(
            !store
                .lease_job("books", &lease("b", late, 30))
                .expect("lease"),
            "renewed"
        );
        // a dies; after its lease b takes the job over, and a's renewal fails.
        let later = t0 + Duration::seconds(61);
        assert!(
            store
                .lease_job("books", &lease("b", later, 30))
                .expect("lease")
        );
        assert!(
            !store
                .renew_lease("books", &lease("a", later, 60))
                .expect("renew")
        );
        store
            .finish_job(
                "books",
                "b",
                &super::JobEnd {
                    at: later,
                    next_due: later + Duration::seconds(900),
                    failures: 0,
                    error: None,
                },
            )
            .expect("finish");
        assert!(
            !store
                .lease_job("books", &lease("a", later, 30))
                .expect("lease"),
            "not due"
        );
        store.request_job("books", later).expect("request");
        assert!(
            store
                .lease_job("books", &lease("a", later, 30))
                .expect("lease"),
            "asked for"
        );
        let jobs = store.schedule().expect("schedule");
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].holder.as_deref(), Some("a"));
    });
}

#[test]
fn a_record_of_another_connection_is_refused_and_nothing_of_its_page_is_written() {
    Backends::each(|store| {
        let mut stray = customer("2", "Elsewhere Ltd", false);
        stray.origin.connection = "other-books".into();
        let mixed = page(vec![customer("1", "Acme", false), stray], "c1", 1);
        let err = store.commit_page(&mixed).expect_err("refused");
        assert!(
            err.to_string()
                .contains("record 2 of connection other-books is in a page of connection"),
            "{err}"
        );
        assert!(
            store
                .records(RecordKind::Customer)
                .expect("records")
                .is_empty()
        );
        assert_eq!(store.cursor("books", "customers").expect("cursor"), None);
    });
}
