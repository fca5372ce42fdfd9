//! The connector tested natively with the SDK harness: recorded exchanges, no network.

use credence_plugin_sdk::harness::{Exchange, Harness};
use credence_plugin_sdk::types::RecordBody;
use credence_plugin_sdk::{ErrorExt, Ledger, PluginError};
use example_ledger::ExampleLedger;

fn harness() -> Harness {
    Harness::new()
        .set("base_url", "https://api.vendor.test")
        .secret("api_token")
}

#[test]
fn reads_every_page_with_the_token_injected() {
    let h = harness().exchanges(
        Exchange::load(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/exchanges/two-pages.json"
        ))
        .expect("exchanges"),
    );
    let first = h
        .run(|| ExampleLedger::read("invoices".into(), None))
        .expect("page 1");
    assert_eq!(first.records.len(), 2);
    assert!(first.has_more);
    let second = h
        .run(|| ExampleLedger::read("invoices".into(), first.cursor.clone()))
        .expect("page 2");
    assert_eq!(second.records.len(), 1);
    assert!(!second.has_more);
    assert!(
        h.unused().is_empty(),
        "every recorded page was read: {:?}",
        h.unused()
    );

    let Some(RecordBody::Invoice(doc)) = &first.records[0].body else {
        panic!("an invoice")
    };
    assert_eq!(
        doc.totals.tax_exclusive, "100",
        "JSON numbers keep their decimal text"
    );
    assert_eq!(doc.totals.payable, "120");
    assert_eq!(doc.lines[0].net_amount, "100.00");
    assert_eq!(
        first.records[0].remote_updated_at.as_deref(),
        Some("2026-10-02T09:00:00Z")
    );
}

#[test]
fn vendor_errors_become_contract_errors() {
    let h = harness().exchanges(vec![Exchange::get_json(
        "https://api.vendor.test/invoices?page=0",
        401,
        serde_json::json!({"error": "invalid token"}),
    )]);
    let err = h
        .run(|| ExampleLedger::read("invoices".into(), None))
        .unwrap_err();
    assert!(matches!(err, PluginError::Auth(_)), "{err:?}");

    let h = harness();
    let err = h
        .run(|| ExampleLedger::read("payments".into(), None))
        .unwrap_err();
    assert_eq!(err.kind(), "bad-config");

    let h = Harness::new().set("base_url", "https://api.vendor.test");
    let err = h.run(|| ExampleLedger::check(h.config())).unwrap_err();
    assert!(err.message().contains("api_token"), "{err:?}");
}
