//! `credence sync` into the embedded store: counts, idempotence, quarantine.

use crate::support::{Server, TestHome, example_vendor, text};
use axum::Router;
use axum::routing::get;

#[test]
fn a_second_sync_changes_nothing_and_counts_say_so() {
    let vendor = example_vendor(250);
    let home = TestHome::new();
    home.add_example_connection("books", &vendor.url(), "T");
    let first = home.run_env(&["sync", "--json"], &[("T", "tok")]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let first: serde_json::Value = serde_json::from_slice(&first.stdout).expect("json");
    assert_eq!(first[0]["streams"][0]["new"], 250);
    assert_eq!(first[0]["streams"][0]["pages"], 3);
    let second: serde_json::Value =
        serde_json::from_slice(&home.run_env(&["sync", "--json"], &[("T", "tok")]).stdout)
            .expect("json");
    assert_eq!(second[0]["streams"][0]["new"], 0);
    assert_eq!(
        second[0]["streams"][0]["unchanged"], 250,
        "a full-refresh stream is read again and found unchanged"
    );
    assert!(
        home.path().join("credence.db").is_file(),
        "the embedded store is a file in the home"
    );
}

#[test]
fn invalid_records_are_quarantined_and_the_rest_of_the_page_is_stored() {
    let mut broken = credence::sandbox::example::invoice(1);
    broken["total"] = serde_json::json!("999.99");
    let mut bad_currency = credence::sandbox::example::invoice(2);
    bad_currency["currency"] = serde_json::json!("EURO");
    let page = serde_json::json!({
        "invoices": [credence::sandbox::example::invoice(0), broken, bad_currency, credence::sandbox::example::invoice(3)],
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
