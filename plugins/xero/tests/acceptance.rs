//! The SDK's acceptance suite on the Xero connector, over recorded Xero-shaped answers.

use credence_plugin_sdk::acceptance::Acceptance;
use credence_plugin_sdk::harness::{Exchange, Harness};
use credence_plugin_sdk::http;
use serde_json::{Value, json};
use xero::XeroLedger;

const BASE: &str = "https://api.xero.test/api.xro/2.0";

fn url(endpoint: &str, filter: Option<&str>) -> String {
    let mut r = http::get(&format!("{BASE}/{endpoint}"))
        .query("page", "1")
        .query("pageSize", "100")
        .query("order", "UpdatedDateUTC ASC");
    if let Some(f) = filter {
        r = r.query("where", f);
    }
    r.build().url
}

fn list(endpoint: &str, items: Vec<Value>) -> Value {
    let mut body = json!({
        "Id": "a", "Status": "OK", "ProviderName": "test",
        "pagination": {"page": 1, "pageSize": 100, "pageCount": 1, "itemCount": items.len()}
    });
    body[endpoint] = Value::Array(items);
    body
}

fn exchange(url: &str, since: Option<&str>, body: Value) -> Exchange {
    let mut headers = serde_json::Map::new();
    headers.insert("xero-tenant-id".into(), json!("tenant-1"));
    headers.insert("Authorization".into(), json!("secret:access_token"));
    if let Some(s) = since {
        headers.insert("If-Modified-Since".into(), json!(s));
    }
    serde_json::from_value(json!({
        "request": {"method": "GET", "url": url, "headers": headers},
        "response": {"status": 200, "body": body}
    }))
    .expect("exchange")
}

fn invoice(id: &str, kind: &str, updated_ms: i64) -> Value {
    let key = if kind == "ACCREC" {
        "InvoiceID"
    } else {
        "CreditNoteID"
    };
    let number = if kind == "ACCREC" {
        "InvoiceNumber"
    } else {
        "CreditNoteNumber"
    };
    let mut v = json!({
        "Type": kind,
        "Contact": {"ContactID": "c-1", "Name": "Acme"},
        "Date": "/Date(1790812800000+0000)/", "DueDate": "/Date(1793404800000+0000)/",
        "Status": "AUTHORISED", "LineAmountTypes": "Exclusive",
        "LineItems": [
            {"Description": "Widgets", "Quantity": 2.0, "UnitAmount": 50.0, "TaxType": "OUTPUT2", "TaxAmount": 20.0, "LineAmount": 100.0},
            {"Description": "Fitting", "Quantity": 1.0, "UnitAmount": 25.5, "TaxType": "OUTPUT2", "TaxAmount": 5.1, "LineAmount": 25.5}
        ],
        "SubTotal": 125.5, "TotalTax": 25.1, "Total": 150.6, "AmountDue": 150.6, "RemainingCredit": 150.6,
        "CurrencyCode": "GBP", "CurrencyRate": 1.0,
        "UpdatedDateUTC": format!("/Date({updated_ms}+0000)/")
    });
    v[key] = json!(id);
    v[number] = json!(format!("N-{id}"));
    v
}

fn exchanges() -> Vec<Exchange> {
    let streams: [(&str, Option<&str>, Vec<Value>); 4] = [
        (
            "Contacts",
            None,
            vec![
                json!({"ContactID": "c-1", "Name": "Acme", "TaxNumber": "GB123456789", "IsCustomer": true,
                   "Addresses": [{"AddressType": "POBOX", "AddressLine1": "1 Road", "City": "Leeds", "Country": "GB"}],
                   "UpdatedDateUTC": "/Date(1790812800000+0000)/"}),
                json!({"ContactID": "c-2", "Name": "Bolt", "IsCustomer": true, "UpdatedDateUTC": "/Date(1790812801000+0000)/"}),
                json!({"ContactID": "s-1", "Name": "A supplier", "IsSupplier": true, "IsCustomer": false, "UpdatedDateUTC": "/Date(1790812802000+0000)/"}),
            ],
        ),
        (
            "Invoices",
            Some("Type==\"ACCREC\""),
            vec![
                invoice("i-1", "ACCREC", 1_790_812_800_000),
                invoice("i-2", "ACCREC", 1_790_812_805_000),
            ],
        ),
        (
            "CreditNotes",
            Some("Type==\"ACCRECCREDIT\""),
            vec![invoice("cn-1", "ACCRECCREDIT", 1_790_812_800_000)],
        ),
        (
            "Payments",
            Some("PaymentType==\"ACCRECPAYMENT\""),
            vec![json!({
                "PaymentID": "p-1", "Date": "/Date(1790812800000+0000)/", "Amount": 50.0,
                "PaymentType": "ACCRECPAYMENT", "Status": "AUTHORISED",
                "UpdatedDateUTC": "/Date(1790812900000+0000)/",
                "Invoice": {"InvoiceID": "i-1", "Type": "ACCREC", "CurrencyCode": "GBP", "Contact": {"ContactID": "c-1"}}
            })],
        ),
    ];
    let mut out = Vec::new();
    for (endpoint, filter, items) in streams {
        let u = url(endpoint, filter);
        // Nothing changed since the newest record, nor after the far future.
        let newest = items
            .iter()
            .filter_map(|i| i["UpdatedDateUTC"].as_str().and_then(xero::date::instant))
            .max()
            .expect("dated");
        for since in [
            xero::date::modified_since(&newest),
            "9999-12-31T00:00:00".into(),
        ] {
            out.push(exchange(&u, Some(&since), list(endpoint, Vec::new())));
        }
        out.push(exchange(&u, None, list(endpoint, items)));
    }
    out.push(exchange(
        &format!("{BASE}/Organisation"),
        None,
        json!({"Organisations": [{"Name": "Test Ltd"}]}),
    ));
    out
}

fn harness() -> Harness {
    Harness::new()
        .replaying()
        .set("base_url", BASE)
        .set("tenant_id", "tenant-1")
        .set("page_size", "100")
        .secret("access_token")
        .exchanges(exchanges())
}

#[test]
fn passes_the_acceptance_suite() {
    let future = r#"{"page":1,"since":"9999-12-31T00:00:00Z"}"#;
    Acceptance::<XeroLedger>::new(harness)
        .bad_config(
            "no tenant",
            Harness::new().set("base_url", BASE).secret("access_token"),
        )
        .bad_config(
            "a page size Xero refuses",
            Harness::new()
                .set("base_url", BASE)
                .set("tenant_id", "tenant-1")
                .set("page_size", "5000")
                .secret("access_token"),
        )
        .future_cursor("customers", future)
        .future_cursor("invoices", future)
        .future_cursor("credit-notes", future)
        .future_cursor("payments", future)
        .assert_passes();
}
