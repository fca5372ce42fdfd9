//! The SDK's acceptance suite on the QuickBooks connector, over recorded QBO-shaped answers.

use credence_plugin_sdk::acceptance::Acceptance;
use credence_plugin_sdk::harness::{Exchange, Harness};
use credence_plugin_sdk::http;
use quickbooks::QuickBooksLedger;
use serde_json::{Value, json};

const BASE: &str = "https://quickbooks.api.test";

fn url(entity: &str, since: Option<&str>, size: u32) -> String {
    http::get(&format!("{BASE}/v3/company/123/query"))
        .query("query", &quickbooks::statement(entity, since, 1, size))
        .query("minorversion", "75")
        .build()
        .url
}

fn exchange(url: String, body: Value) -> Exchange {
    serde_json::from_value(json!({
        "request": {"method": "GET", "url": url, "headers": {"Authorization": "secret:access_token"}},
        "response": {"status": 200, "body": body}
    }))
    .expect("exchange")
}

fn meta(t: &str) -> Value {
    json!({"CreateTime": "2026-10-01T08:00:00-07:00", "LastUpdatedTime": t})
}

fn invoice(id: &str, updated: &str) -> Value {
    json!({
        "Id": id, "MetaData": meta(updated), "DocNumber": format!("D{id}"), "TxnDate": "2026-10-01",
        "DueDate": "2026-10-31", "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
        "CustomerRef": {"value": "1", "name": "Amy's Bird Sanctuary"},
        "Line": [
            {"Id": "1", "LineNum": 1, "Amount": 100.0, "DetailType": "SalesItemLineDetail",
             "SalesItemLineDetail": {"ItemRef": {"value": "10", "name": "Pest Control"}, "UnitPrice": 100, "Qty": 1, "TaxCodeRef": {"value": "TAX"}}},
            {"Amount": 100.0, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
        ],
        "TxnTaxDetail": {"TotalTax": 8.0}, "TotalAmt": 108.0, "Balance": 108.0, "RemainingCredit": 108.0
    })
}

fn exchanges() -> Vec<Exchange> {
    let entities: [(&str, Vec<Value>); 4] = [
        (
            "Customer",
            vec![
                json!({"Id": "1", "MetaData": meta("2026-10-01T08:00:00-07:00"), "DisplayName": "Amy's Bird Sanctuary", "CurrencyRef": {"value": "USD"}}),
                json!({"Id": "2", "MetaData": meta("2026-10-01T09:00:00-07:00"), "DisplayName": "Amy's Annex", "Job": true, "ParentRef": {"value": "1"}}),
            ],
        ),
        (
            "Invoice",
            vec![
                invoice("130", "2026-10-02T08:00:00-07:00"),
                invoice("131", "2026-10-03T08:00:00-07:00"),
            ],
        ),
        (
            "CreditMemo",
            vec![invoice("73", "2026-10-02T08:00:00-07:00")],
        ),
        (
            "Payment",
            vec![json!({
                "Id": "55", "MetaData": meta("2026-10-04T08:00:00-07:00"), "TxnDate": "2026-10-04",
                "TotalAmt": 108.0, "CurrencyRef": {"value": "USD"}, "CustomerRef": {"value": "1"},
                "Line": [{"Amount": 108.0, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}]
            })],
        ),
    ];
    let mut out = Vec::new();
    for (entity, items) in entities {
        let newest = items
            .last()
            .and_then(|i| i.pointer("/MetaData/LastUpdatedTime")?.as_str())
            .map(str::to_string);
        for since in [newest.as_deref(), Some("9999-12-31T00:00:00Z")] {
            out.push(exchange(
                url(entity, since, 1000),
                json!({"QueryResponse": {}}),
            ));
        }
        let mut response =
            json!({"QueryResponse": {"startPosition": 1, "maxResults": items.len()}});
        response["QueryResponse"][entity] = Value::Array(items);
        out.push(exchange(url(entity, None, 1000), response));
    }
    out.push(exchange(
        url("Customer", None, 1),
        json!({"QueryResponse": {"Customer": [{"Id": "1", "DisplayName": "Amy's Bird Sanctuary"}]}}),
    ));
    out
}

fn harness() -> Harness {
    Harness::new()
        .replaying()
        .set("base_url", BASE)
        .set("realm_id", "123")
        .set("page_size", "1000")
        .set("minor_version", "75")
        .secret("access_token")
        .exchanges(exchanges())
}

#[test]
fn passes_the_acceptance_suite() {
    let future = r#"{"position":1,"since":"9999-12-31T00:00:00Z"}"#;
    Acceptance::<QuickBooksLedger>::new(harness)
        .bad_config(
            "no company",
            Harness::new().set("base_url", BASE).secret("access_token"),
        )
        .bad_config(
            "a page size QuickBooks refuses",
            Harness::new()
                .set("base_url", BASE)
                .set("realm_id", "123")
                .set("page_size", "0")
                .secret("access_token"),
        )
        .future_cursor("customers", future)
        .future_cursor("invoices", future)
        .future_cursor("credit-notes", future)
        .future_cursor("payments", future)
        .assert_passes();
}
