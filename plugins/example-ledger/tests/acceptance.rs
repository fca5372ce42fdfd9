//! The SDK's acceptance suite on the worked example.

use credence_plugin_sdk::acceptance::Acceptance;
use credence_plugin_sdk::harness::{Exchange, Harness};
use example_ledger::ExampleLedger;
use serde_json::json;

const PAGES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/exchanges/two-pages.json"
);

fn harness() -> Harness {
    let mut exchanges = Exchange::load(PAGES).expect("exchanges");
    for since in ["2026-10-02T09:00:00Z", "9999-12-31T00:00:00Z"] {
        exchanges.push(Exchange::get_json(
            &format!(
                "https://api.vendor.test/invoices?page=0&updated_since={}",
                since.replace(':', "%3A")
            ),
            200,
            json!({"invoices": [], "next_page": null}),
        ));
    }
    Harness::new()
        .replaying()
        .set("base_url", "https://api.vendor.test")
        .secret("api_token")
        .exchanges(exchanges)
}

#[test]
fn passes_the_acceptance_suite() {
    Acceptance::<ExampleLedger>::new(harness)
        .bad_config(
            "no token",
            Harness::new().set("base_url", "https://api.vendor.test"),
        )
        .future_cursor("invoices", r#"{"page":0,"since":"9999-12-31T00:00:00Z"}"#)
        .assert_passes();
}
