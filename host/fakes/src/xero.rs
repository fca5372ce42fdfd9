//! A local Xero Accounting API (`/api.xro/2.0`) for tests, benchmarks and users trying the
//! connector without a Xero organisation: `Contacts`, `Invoices`, `CreditNotes`, `Payments`
//! and `Organisation`, with Xero's bearer + `xero-tenant-id` check (401/403 bodies as Xero's
//! identity service sends them), `page`/`pageSize` paging with a `pagination` block,
//! `If-Modified-Since` on `UpdatedDateUTC`, `where=Type=="…"` filters, `/Date(ms+0000)/`
//! dates, and [`Faults`] (429 storms, 500s, slow and truncated answers).
//!
//! Data is either generated ([`XeroSandbox::generated`]) or given as Xero JSON objects
//! ([`XeroSandbox::from_records`], e.g. the examples of Xero's published OpenAPI document).

use super::faults::{self, Faults};
use super::table::{Row, Table};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Xero's default page size.
pub const PAGE_SIZE: usize = 100;
const ENDPOINTS: &[(&str, &str)] = &[
    ("Contacts", "ContactID"),
    ("Invoices", "InvoiceID"),
    ("CreditNotes", "CreditNoteID"),
    ("Payments", "PaymentID"),
];
/// 2026-10-01T00:00:00Z in milliseconds: generated records are updated from then on.
const BASE_MS: i64 = 1_790_812_800_000;

#[derive(Default)]
struct Data {
    /// Per endpoint, sorted by (UpdatedDateUTC, id).
    endpoints: HashMap<&'static str, Table>,
}

/// A running Xero sandbox whose data tests can change.
#[derive(Clone)]
pub struct XeroSandbox {
    data: Arc<RwLock<Data>>,
    token: Arc<String>,
    tenant: Arc<String>,
    faults: Faults,
}

/// `/Date(ms+0000)/`.
fn xero_date(ms: i64) -> String {
    format!("/Date({ms}+0000)/")
}

/// Milliseconds of a `/Date(ms…)/` or of an RFC 3339 / ISO instant (UTC when no zone).
fn millis(text: &str) -> Option<i64> {
    if let Some(inner) = text.strip_prefix("/Date(") {
        let digits: String = inner
            .chars()
            .enumerate()
            .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '-'))
            .map(|(_, c)| c)
            .collect();
        return digits.parse().ok();
    }
    let t = text.trim();
    let with_zone = if t.ends_with('Z') || t.get(19..).is_some_and(|r| r.contains(['+', '-'])) {
        t.to_string()
    } else {
        format!("{t}Z")
    };
    chrono::DateTime::parse_from_rfc3339(&with_zone)
        .ok()
        .map(|d| d.timestamp_millis())
}

fn stored(endpoint: &str, id_key: &str, value: &Value) -> Row {
    let kind_key = if endpoint == "Payments" {
        "PaymentType"
    } else {
        "Type"
    };
    Row {
        updated_ms: value["UpdatedDateUTC"]
            .as_str()
            .and_then(millis)
            .unwrap_or(0),
        id: value[id_key].as_str().unwrap_or_default().to_string(),
        kind: value[kind_key].as_str().unwrap_or_default().to_string(),
        json: serde_json::to_vec(value).unwrap_or_default(),
    }
}

fn uuid(kind: u32, i: usize) -> String {
    format!("{kind:08x}-0000-4000-8000-{i:012x}")
}

impl XeroSandbox {
    /// A sandbox holding Xero JSON objects as given, accepting `token` for `tenant`.
    pub fn from_records(
        token: &str,
        tenant: &str,
        contacts: Vec<Value>,
        invoices: Vec<Value>,
        credit_notes: Vec<Value>,
        payments: Vec<Value>,
    ) -> XeroSandbox {
        let mut data = Data::default();
        for ((endpoint, id_key), values) in
            ENDPOINTS
                .iter()
                .zip([contacts, invoices, credit_notes, payments])
        {
            let rows = values.iter().map(|v| stored(endpoint, id_key, v)).collect();
            data.endpoints.insert(endpoint, Table::new(rows));
        }
        XeroSandbox {
            data: Arc::new(RwLock::new(data)),
            token: Arc::new(token.to_string()),
            tenant: Arc::new(tenant.to_string()),
            faults: Faults::new(
                r#"{"ErrorNumber":500,"Type":"UnknownErrorException","Message":"An error occurred in Xero. Check the API Status page http://status.developer.xero.com for current service status."}"#,
            ),
        }
    }

    /// `invoices` generated sales invoices (ten lines each) for `invoices / 10` contacts
    /// (at least one), a payment for every fourth invoice, a credit note for every twentieth.
    pub fn generated(invoices: usize, token: &str, tenant: &str) -> XeroSandbox {
        let contacts = (invoices / 10).max(1);
        XeroSandbox::from_records(
            token,
            tenant,
            (0..contacts).map(contact).collect(),
            (0..invoices).map(|i| invoice(i, contacts)).collect(),
            (0..invoices)
                .step_by(20)
                .map(|i| credit_note(i, contacts))
                .collect(),
            (0..invoices)
                .filter(|i| i.is_multiple_of(4))
                .map(|i| payment(i, contacts))
                .collect(),
        )
    }

    /// `invoices` generated sales invoices and nothing else (benchmarks time one stream).
    pub fn invoices_only(invoices: usize, token: &str, tenant: &str) -> XeroSandbox {
        let contacts = (invoices / 10).max(1);
        XeroSandbox::from_records(
            token,
            tenant,
            Vec::new(),
            (0..invoices).map(|i| invoice(i, contacts)).collect(),
            Vec::new(),
            Vec::new(),
        )
    }

    /// The faults applied to the next requests.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Invoice `i` is paid in full at `ms`: the invoice changes and a payment appears.
    pub fn pay(&self, i: usize, ms: i64) {
        let Ok(mut data) = self.data.write() else {
            return;
        };
        let id = uuid(0x1, i);
        let Some(invoices) = data.endpoints.get_mut("Invoices") else {
            return;
        };
        let Some(mut value) = invoices.take(&id) else {
            return;
        };
        let total = value["Total"].clone();
        value["Status"] = json!("PAID");
        value["AmountPaid"] = total.clone();
        value["AmountDue"] = json!(0.0);
        value["UpdatedDateUTC"] = json!(xero_date(ms));
        invoices.put(stored("Invoices", "InvoiceID", &value));
        let p = json!({
            "PaymentID": uuid(0x5, i),
            "Date": xero_date(ms - ms % 86_400_000),
            "Amount": total,
            "Reference": format!("Transfer for {}", value["InvoiceNumber"].as_str().unwrap_or_default()),
            "CurrencyRate": 1.0,
            "PaymentType": "ACCRECPAYMENT",
            "Status": "AUTHORISED",
            "UpdatedDateUTC": xero_date(ms),
            "Invoice": {
                "Type": "ACCREC",
                "InvoiceID": id,
                "InvoiceNumber": value["InvoiceNumber"],
                "Contact": value["Contact"],
                "CurrencyCode": value["CurrencyCode"],
            },
            "HasValidationErrors": false,
        });
        if let Some(payments) = data.endpoints.get_mut("Payments") {
            payments.put(stored("Payments", "PaymentID", &p));
        }
    }

    /// The HTTP API under `/api.xro/2.0`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/api.xro/2.0/Organisation", get(organisation))
            .route("/api.xro/2.0/{endpoint}", get(list))
            .layer(axum::middleware::from_fn_with_state(
                self.faults.clone(),
                faults::layer,
            ))
            .with_state(self.clone())
    }

    fn authorize(&self, headers: &HeaderMap) -> Result<(), Box<Response>> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if header("authorization") != Some(format!("Bearer {}", self.token).as_str()) {
            return Err(Box::new(problem(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "AuthenticationUnsuccessful",
            )));
        }
        if header("xero-tenant-id") != Some(self.tenant.as_str()) {
            return Err(Box::new(problem(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "AuthorizationUnsuccessful",
            )));
        }
        Ok(())
    }
}

/// The identity service's problem body.
fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    (
        status,
        Json(json!({
            "Type": null, "Title": title, "Status": status.as_u16(), "Detail": detail,
            "Instance": "00000000-0000-0000-0000-000000000000", "Extensions": {}
        })),
    )
        .into_response()
}

async fn organisation(State(x): State<XeroSandbox>, headers: HeaderMap) -> Response {
    if let Err(r) = x.authorize(&headers) {
        return *r;
    }
    Json(json!({
        "Id": "credence-sandbox", "Status": "OK", "ProviderName": "Credence sandbox",
        "Organisations": [{
            "OrganisationID": x.tenant.as_str(), "Name": "Credence Sandbox Ltd",
            "BaseCurrency": "GBP", "CountryCode": "GB", "OrganisationStatus": "ACTIVE"
        }]
    }))
    .into_response()
}

#[derive(Deserialize)]
struct ListQuery {
    page: Option<usize>,
    #[serde(rename = "pageSize")]
    page_size: Option<usize>,
    #[serde(rename = "where")]
    filter: Option<String>,
}

/// The value of a `Type=="X"` / `PaymentType=="X"` filter.
fn type_filter(filter: &str) -> Option<String> {
    let (_, rest) = filter.split_once("==")?;
    Some(rest.trim().trim_matches('"').to_string())
}

async fn list(
    State(x): State<XeroSandbox>,
    Path(endpoint): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    if let Err(r) = x.authorize(&headers) {
        return *r;
    }
    let Ok(data) = x.data.read() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Some(rows) = data.endpoints.get(endpoint.as_str()) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"ErrorNumber": 404, "Type": "NotFoundException", "Message": "The resource you're looking for cannot be found"})),
        )
            .into_response();
    };
    let since = headers
        .get("if-modified-since")
        .and_then(|v| v.to_str().ok())
        .and_then(millis);
    let kind = q.filter.as_deref().and_then(type_filter);
    // Xero's If-Modified-Since is inclusive to the second.
    let rows = match since {
        Some(s) => rows.since(s - s.rem_euclid(1000)),
        None => rows.all(),
    };
    let matching: Vec<&Row> = rows
        .iter()
        .filter(|r| kind.as_deref().is_none_or(|k| r.kind == k))
        .collect();
    let size = q.page_size.unwrap_or(PAGE_SIZE).clamp(1, 1000);
    let page = q.page.unwrap_or(1).max(1);
    let page_count = matching.len().div_ceil(size);
    let mut body = format!(
        r#"{{"Id":"credence-sandbox","Status":"OK","ProviderName":"Credence sandbox","pagination":{{"page":{page},"pageSize":{size},"pageCount":{page_count},"itemCount":{}}},"{endpoint}":["#,
        matching.len()
    )
    .into_bytes();
    for (n, r) in matching
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .enumerate()
    {
        if n > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&r.json);
    }
    body.extend_from_slice(b"]}");
    ([("content-type", "application/json")], body).into_response()
}

fn contact(c: usize) -> Value {
    json!({
        "ContactID": uuid(0x3, c),
        "ContactNumber": format!("C{c:05}"),
        "AccountNumber": format!("ACC-{c:05}"),
        "ContactStatus": "ACTIVE",
        "Name": format!("Customer {c} Ltd"),
        "FirstName": "Accounts",
        "LastName": "Payable",
        "EmailAddress": format!("ap{c}@customer{c}.example"),
        "CompanyNumber": format!("{:08}", 10_000_000 + c),
        "TaxNumber": format!("GB{:09}", 100_000_000 + c),
        "Addresses": [{"AddressType": "POBOX", "AddressLine1": format!("{c} High Street"), "City": "London", "Region": "", "PostalCode": "EC1A 1BB", "Country": "GB", "AttentionTo": ""}],
        "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "7946 0000", "PhoneAreaCode": "20", "PhoneCountryCode": "44"}],
        "UpdatedDateUTC": xero_date(BASE_MS + c as i64 * 1000),
        "ContactGroups": [],
        "IsSupplier": false,
        "IsCustomer": true,
        "DefaultCurrency": "GBP",
        "PaymentTerms": {"Sales": {"Day": 30, "Type": "DAYSAFTERBILLDATE"}},
        "ContactPersons": [],
        "HasAttachments": false,
        "HasValidationErrors": false
    })
}

/// Ten lines at 20 % (Xero tax type OUTPUT2), amounts as JSON numbers the way Xero sends them.
fn lines(i: usize) -> (Vec<Value>, i64, i64) {
    let mut net = 0i64;
    let mut tax = 0i64;
    let lines = (0..10)
        .map(|l| {
            let qty = (l % 3 + 1) as i64;
            let price = ((10 + (i * 7 + l * 13) % 90) * 100 + 50) as i64;
            let amount = qty * price;
            let line_tax = amount / 5;
            net += amount;
            tax += line_tax;
            json!({
                "ItemCode": format!("ITEM-{l}"),
                "Description": format!("Item {l} of order {i}"),
                "UnitAmount": price as f64 / 100.0,
                "TaxType": "OUTPUT2",
                "TaxAmount": line_tax as f64 / 100.0,
                "LineAmount": amount as f64 / 100.0,
                "AccountCode": "200",
                "Tracking": [],
                "Quantity": qty as f64,
                "LineItemID": format!("{:08x}-0000-4000-8000-{:012x}", 0x9, i * 10 + l),
                "ValidationErrors": []
            })
        })
        .collect();
    (lines, net, tax)
}

fn invoice(i: usize, contacts: usize) -> Value {
    let (lines, net, tax) = lines(i);
    let issued = BASE_MS - 60 * 86_400_000 + (i % 50) as i64 * 86_400_000;
    let updated = BASE_MS + i as i64 * 1000;
    let paid = i.is_multiple_of(4);
    let total = (net + tax) as f64 / 100.0;
    json!({
        "Type": "ACCREC",
        "InvoiceID": uuid(0x1, i),
        "InvoiceNumber": format!("INV-{:06}", i + 1),
        "Reference": format!("PO {}", 5000 + i),
        "Payments": [], "CreditNotes": [], "Prepayments": [], "Overpayments": [],
        "AmountDue": if paid { 0.0 } else { total },
        "AmountPaid": if paid { total } else { 0.0 },
        "AmountCredited": 0.0,
        "SentToContact": true,
        "CurrencyRate": 1.0,
        "HasErrors": false,
        "IsDiscounted": false,
        "Contact": {"ContactID": uuid(0x3, i % contacts), "Name": format!("Customer {} Ltd", i % contacts)},
        "Date": xero_date(issued),
        "DueDate": xero_date(issued + 30 * 86_400_000),
        "Status": if paid { "PAID" } else { "AUTHORISED" },
        "LineAmountTypes": "Exclusive",
        "LineItems": lines,
        "SubTotal": net as f64 / 100.0,
        "TotalTax": tax as f64 / 100.0,
        "Total": total,
        "UpdatedDateUTC": xero_date(updated),
        "CurrencyCode": "GBP"
    })
}

fn credit_note(i: usize, contacts: usize) -> Value {
    let mut v = invoice(i, contacts);
    let total = v["Total"].clone();
    let obj = json!({
        "CreditNoteID": uuid(0x2, i),
        "CreditNoteNumber": format!("CN-{:06}", i + 1),
        "Type": "ACCRECCREDIT",
        "RemainingCredit": total,
        "Allocations": [],
        "Status": "AUTHORISED",
    });
    if let (Some(target), Some(extra)) = (v.as_object_mut(), obj.as_object()) {
        for k in [
            "InvoiceID",
            "InvoiceNumber",
            "AmountDue",
            "AmountPaid",
            "AmountCredited",
        ] {
            target.remove(k);
        }
        for (k, val) in extra {
            target.insert(k.clone(), val.clone());
        }
    }
    v
}

fn payment(i: usize, contacts: usize) -> Value {
    let inv = invoice(i, contacts);
    json!({
        "PaymentID": uuid(0x5, i),
        "Date": inv["DueDate"],
        "Amount": inv["Total"],
        "Reference": format!("Transfer for INV-{:06}", i + 1),
        "CurrencyRate": 1.0,
        "PaymentType": "ACCRECPAYMENT",
        "Status": "AUTHORISED",
        "UpdatedDateUTC": inv["UpdatedDateUTC"],
        "IsReconciled": true,
        "Invoice": {
            "Type": "ACCREC",
            "InvoiceID": uuid(0x1, i),
            "InvoiceNumber": inv["InvoiceNumber"],
            "Contact": inv["Contact"],
            "CurrencyCode": "GBP"
        },
        "HasValidationErrors": false
    })
}
