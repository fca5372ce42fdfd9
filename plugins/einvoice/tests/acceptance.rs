//! The SDK's acceptance suite on the e-invoice connector, over its own fixtures.

use credence_plugin_sdk::acceptance::Acceptance;
use credence_plugin_sdk::harness::Harness;
use einvoice::EInvoiceLedger;

fn fixtures() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures").to_string()
}

#[test]
fn passes_the_acceptance_suite() {
    Acceptance::<EInvoiceLedger>::new(|| {
        Harness::new().set("folder", &fixtures()).folder(fixtures())
    })
    .bad_config(
        "the folder does not exist",
        Harness::new()
            .set("folder", "/nonexistent/inbox")
            .folder("/nonexistent/inbox"),
    )
    .future_cursor("documents", r#"{"after":["9999-12-31T00:00:00.000Z",""]}"#)
    .assert_passes();
}
