//! `credence sync` into the embedded store: counts, idempotence, quarantine.

use crate::support::{Server, TestHome, text};
use axum::Router;
use axum::routing::get;

#[test]
fn a_second_sync_reads_only_what_changed() {
    let vendor = credence_fakes::example::Vendor::new(250, "tok");
    let server = Server::start(vendor.router());
    let home = TestHome::new();
    home.add_example_connection("books", &server.url(), "T");
    let sync = || -> serde_json::Value {
        let out = home.run_env(&["sync", "--json"], &[("T", "tok")]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let first = sync();
    assert_eq!(first[0]["streams"][0]["new"], 250);
    assert_eq!(first[0]["streams"][0]["pages"], 3);
    let second = sync();
    assert_eq!(
        second[0]["streams"][0]["pages"], 1,
        "one request, nothing changed since: {second}"
    );
    assert_eq!(second[0]["streams"][0]["new"], 0);
    assert_eq!(
        second[0]["streams"][0]["unchanged"], 0,
        "unchanged invoices are not even read"
    );
    for i in [3, 77, 201] {
        vendor.pay(i, "2026-11-20T09:00:00Z");
    }
    let third = sync();
    assert_eq!(third[0]["streams"][0]["updated"], 3, "{third}");
    assert_eq!(third[0]["streams"][0]["new"], 0);
    let paid: serde_json::Value =
        serde_json::from_str(&home.ok(&["invoices", "--json"])).expect("json");
    let paid_count = paid
        .as_array()
        .expect("array")
        .iter()
        .filter(|i| i["status"] == "paid")
        .count();
    assert_eq!(
        paid_count,
        63 + 3,
        "a quarter were paid already, plus the three"
    );
    assert!(
        home.path().join("credence.db").is_file(),
        "the embedded store is a file in the home"
    );
}

#[test]
fn invalid_records_are_quarantined_and_the_rest_of_the_page_is_stored() {
    let mut broken = credence_fakes::example::invoice(1);
    broken["total"] = serde_json::json!("999.99");
    let mut bad_currency = credence_fakes::example::invoice(2);
    bad_currency["currency"] = serde_json::json!("EURO");
    let page = serde_json::json!({
        "invoices": [credence_fakes::example::invoice(0), broken, bad_currency, credence_fakes::example::invoice(3)],
        "next_page": null
    });
    let server = Server::start(Router::new().route(
        "/invoices",
        get(move || {
            let page = page.clone();
            async move { axum::Json(page) }
        }),
    ));
    let home = TestHome::new();
    home.add_example_connection("books", &server.url(), "T");
    let out: serde_json::Value =
        serde_json::from_slice(&home.run_env(&["sync", "--json"], &[("T", "tok")]).stdout)
            .expect("json");
    assert_eq!(out[0]["streams"][0]["new"], 2);
    assert_eq!(out[0]["streams"][0]["quarantined"], 2);
    let q: serde_json::Value =
        serde_json::from_str(&home.ok(&["quarantine", "--json"])).expect("json");
    let entries = q.as_array().expect("array");
    assert_eq!(entries.len(), 2);
    let reasons = |id: &str| {
        entries
            .iter()
            .find(|e| e["remote_id"] == id)
            .map(|e| e["reasons"].to_string())
            .unwrap_or_default()
    };
    assert!(
        reasons("inv-000001").contains("BR-CO-15") && reasons("inv-000001").contains("999.99"),
        "{q}"
    );
    assert!(
        reasons("inv-000002").contains("\\\"EURO\\\" is not an active ISO 4217 currency code"),
        "{q}"
    );
    assert!(
        entries
            .iter()
            .all(|e| e["connection"] == "books" && e["raw"].is_string()),
        "raw payload kept: {q}"
    );
    let human = home.ok(&["quarantine"]);
    assert!(human.contains("2 record(s) held back"), "{human}");
}

#[test]
fn a_sync_killed_mid_stream_resumes_without_loss_or_duplicates() {
    use axum::extract::{Query, State};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[derive(serde::Deserialize)]
    struct PageQuery {
        page: usize,
    }
    let stalled = Arc::new(AtomicBool::new(false));
    let pages: Vec<serde_json::Value> = (0..5)
        .map(|p| {
            let invoices: Vec<_> = (p * 100..(p + 1) * 100).map(credence_fakes::example::invoice).collect();
            serde_json::json!({ "invoices": invoices, "next_page": if p < 4 { Some(p + 1) } else { None } })
        })
        .collect();
    let router = Router::new()
        .route(
            "/invoices",
            get(
                |State((stalled, pages)): State<(Arc<AtomicBool>, Arc<Vec<serde_json::Value>>)>,
                 Query(q): Query<PageQuery>| async move {
                    // The first request for page 3 hangs: the test kills the sync while it waits.
                    if q.page == 3 && !stalled.swap(true, Ordering::SeqCst) {
                        tokio::time::sleep(std::time::Duration::from_secs(120)).await;
                    }
                    axum::Json(pages[q.page].clone())
                },
            ),
        )
        .with_state((stalled.clone(), Arc::new(pages)));
    let server = Server::start(router);
    let home = TestHome::new();
    home.add_example_connection("books", &server.url(), "T");

    let mut child = home
        .command(&["sync"])
        .env("T", "tok")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let started = std::time::Instant::now();
    while !stalled.load(Ordering::SeqCst) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the sync never reached page 3"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Pages are committed behind the reads: wait for pages 1-3 to be in the store.
    let committed = || {
        credence_store::sqlite::SqliteStore::open(&home.path().join("credence.db"))
            .and_then(|s| {
                credence_store::RecordStore::records(&s, credence_model::RecordKind::Invoice)
            })
            .map_or(0, |r| r.len())
    };
    while committed() < 300 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "pages before the stalled one were never committed"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL the sync");
    child.wait().expect("reaped");

    let out = home.run_env(&["sync", "--json"], &[("T", "tok")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let stream = &report[0]["streams"][0];
    assert_eq!(stream["pages"], 2, "resumed at page 3 of 5: {report}");
    assert_eq!(
        stream["new"], 200,
        "only what the killed sync had not committed: {report}"
    );

    let store = credence_store::sqlite::SqliteStore::open(&home.path().join("credence.db"))
        .expect("open store");
    let stored = credence_store::RecordStore::records(&store, credence_model::RecordKind::Invoice)
        .expect("records");
    assert_eq!(
        stored.len(),
        500,
        "every invoice once, none lost, none twice"
    );

    let again: serde_json::Value =
        serde_json::from_slice(&home.run_env(&["sync", "--json"], &[("T", "tok")]).stdout)
            .expect("json");
    assert_eq!(
        again[0]["streams"][0]["unchanged"], 500,
        "the next sync starts over and finds nothing new: {again}"
    );
}

/// The store as a comparable value: every record of every kind, with its content.
fn snapshot(home: &TestHome) -> Vec<String> {
    use credence_model::RecordKind;
    use credence_store::RecordStore;
    let store = credence_store::sqlite::SqliteStore::open(&home.path().join("credence.db"))
        .expect("open store");
    let mut out = Vec::new();
    for kind in [
        RecordKind::Customer,
        RecordKind::Invoice,
        RecordKind::CreditNote,
        RecordKind::Payment,
    ] {
        for r in store.records(kind).expect("records") {
            let r = r.record;
            out.push(format!(
                "{} {} {} {}",
                kind.as_str(),
                r.origin.remote_id,
                r.origin.deleted,
                serde_json::to_string(&r.body).expect("json")
            ));
        }
    }
    out
}

#[test]
fn twenty_kills_at_random_points_never_lose_or_duplicate_a_record() {
    // 15 ms per page makes a sync last about 0.3 s whatever the machine's load, so random kill
    // points within that span land mid-sync.
    let slow = credence_fakes::example::router(2_000, "tok").layer(axum::middleware::from_fn(
        |request: axum::extract::Request, next: axum::middleware::Next| async move {
            tokio::time::sleep(std::time::Duration::from_millis(15)).await;
            next.run(request).await
        },
    ));
    let vendor = Server::start(slow);
    let sample = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .join("../plugins/csv/sample");
    let setup = |home: &TestHome| {
        home.add_example_connection("books", &vendor.url(), "T");
        home.install(&["csv-ledger"]);
        home.ok(&[
            "connection",
            "add",
            "shop",
            "--plugin",
            "csv-ledger",
            "--set",
            &format!("folder={}", sample.display()),
        ]);
    };
    let clean = TestHome::new();
    setup(&clean);
    let started = std::time::Instant::now();
    assert!(clean.run_env(&["sync"], &[("T", "tok")]).status.success());
    let full_sync = started.elapsed();
    let expected = snapshot(&clean);
    assert_eq!(
        expected
            .iter()
            .filter(|r| r.starts_with("invoice inv-"))
            .count(),
        2_000
    );

    // A fixed-seed generator: random kill points within a sync's duration, the same on every run.
    let mut seed: u64 = 0x5eed_cafe;
    let mut killed_mid_sync = 0;
    for round in 0..20 {
        let home = TestHome::new();
        setup(&home);
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = full_sync.mul_f64(0.8 * ((seed >> 33) % 1000) as f64 / 1000.0);
        let mut child = home
            .command(&["sync"])
            .env("T", "tok")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(delay);
        if child.try_wait().expect("wait").is_none() {
            killed_mid_sync += 1;
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        let restart = home.run_env(&["sync"], &[("T", "tok")]);
        assert!(
            restart.status.success(),
            "round {round}: {}",
            text(&restart.stderr)
        );
        assert!(
            snapshot(&home) == expected,
            "round {round} (killed after {delay:?}): the store differs from a clean run's"
        );
        assert_eq!(
            duplicate_creations(&home),
            0,
            "round {round}: a record was created twice"
        );
    }
    eprintln!("{killed_mid_sync}/20 kills landed mid-sync");
    assert!(
        killed_mid_sync >= 12,
        "most kills must land mid-sync to mean something ({killed_mid_sync}/20)"
    );
}

/// Records whose history shows more than one creation.
fn duplicate_creations(home: &TestHome) -> i64 {
    let db = rusqlite::Connection::open(home.path().join("credence.db")).expect("open");
    db.query_row(
        "SELECT COUNT(*) FROM (SELECT 1 FROM record_history WHERE change = 'new' GROUP BY connection, kind, remote_id HAVING COUNT(*) > 1)",
        [],
        |r| r.get(0),
    )
    .expect("query")
}

/// Two `credence sync` at once on one home: the second skips the connection the first is
/// syncing, names the first process, exits 3, and the vendor is read in full only once.
#[test]
fn a_sync_already_running_elsewhere_is_skipped_not_repeated() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};
    let vendor = credence_fakes::example::Vendor::new(250, "tok")
        .with_page_size(25)
        .with_latency(Duration::from_millis(300));
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let router = vendor.router().layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            counter.fetch_add(1, Ordering::SeqCst);
            next.run(request)
        },
    ));
    let server = Server::start(router);
    let home = TestHome::new();
    home.add_example_connection("books", &server.url(), "T");

    let first = home
        .command(&["sync", "--json"])
        .env("T", "tok")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn the first sync");
    // The first sync has the lock once the vendor sees its first request.
    let started = Instant::now();
    while requests.load(Ordering::SeqCst) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the first sync never reached the vendor"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = home.run_env(&["sync"], &[("T", "tok")]);
    let stderr = text(&second.stderr);
    assert!(
        stderr.contains(&format!(
            "connection books is being synced by another credence process (pid {}); skipped",
            first.id()
        )),
        "stdout: {}\nstderr: {stderr}",
        text(&second.stdout)
    );
    assert_eq!(second.status.code(), Some(3), "skipped: {stderr}");

    let first = first.wait_with_output().expect("first sync");
    assert!(first.status.success(), "{}", text(&first.stderr));
    let report: serde_json::Value = serde_json::from_slice(&first.stdout).expect("json");
    assert_eq!(report[0]["streams"][0]["new"], 250, "{report}");
    let pages = report[0]["streams"][0]["pages"].as_u64().expect("pages");
    assert_eq!(
        requests.load(Ordering::SeqCst) as u64,
        pages,
        "the vendor was read once, by the first sync"
    );
    // The lock went with the first process: a third sync runs (and reads only what changed).
    let third = home.run_env(&["sync"], &[("T", "tok")]);
    assert!(third.status.success(), "{}", text(&third.stderr));
}
