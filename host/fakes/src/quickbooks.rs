//! A local QuickBooks Online Accounting API (v3 query endpoint) for tests, benchmarks and users
//! trying the connector: `GET /v3/company/{realm}/query?query=SELECT * FROM Invoice [WHERE
//! MetaData.LastUpdatedTime >= '…'] ORDERBY MetaData.LastUpdatedTime STARTPOSITION n MAXRESULTS
//! m`, bearer token and realm checked with QuickBooks' fault bodies, `QueryResponse` answers,
//! and [`Faults`].
//!
//! Data is generated ([`QuickBooksSandbox::generated`]: sub-customers, subtotal lines,
//! multi-currency invoices with exchange rates, payments linked to invoices) or given as
//! QuickBooks JSON entities ([`QuickBooksSandbox::from_records`]).

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

/// The entities the sandbox answers queries for.
pub const ENTITIES: &[&str] = &["Customer", "Invoice", "CreditMemo", "Payment"];
/// 2026-10-01T00:00:00Z in seconds.
const BASE_S: i64 = 1_790_812_800;

/// A running QuickBooks sandbox whose data tests can change.
#[derive(Clone)]
pub struct QuickBooksSandbox {
    data: Arc<RwLock<HashMap<String, Table>>>,
    token: Arc<String>,
    realm: Arc<String>,
    faults: Faults,
}

/// QuickBooks writes instants in the company's zone: here US Pacific daylight time.
fn qbo_time(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds - 7 * 3600, 0)
        .map(|t| format!("{}-07:00", t.format("%Y-%m-%dT%H:%M:%S")))
        .unwrap_or_default()
}

fn millis(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.timestamp_millis())
}

fn stored(value: &Value) -> Row {
    Row {
        updated_ms: value
            .pointer("/MetaData/LastUpdatedTime")
            .and_then(Value::as_str)
            .and_then(millis)
            .unwrap_or(0),
        id: value["Id"].as_str().unwrap_or_default().to_string(),
        kind: String::new(),
        json: serde_json::to_vec(value).unwrap_or_default(),
    }
}

fn fault(status: StatusCode, kind: &str, message: &str, detail: &str, code: &str) -> Response {
    (
        status,
        Json(json!({
            "Fault": {"Error": [{"Message": message, "Detail": detail, "code": code}], "type": kind},
            "time": "2026-10-01T00:00:00.000-07:00"
        })),
    )
        .into_response()
}

impl QuickBooksSandbox {
    /// A sandbox holding QuickBooks JSON entities by name (`"Invoice"` → entities).
    pub fn from_records(
        token: &str,
        realm: &str,
        records: HashMap<String, Vec<Value>>,
    ) -> QuickBooksSandbox {
        let mut data = HashMap::new();
        for entity in ENTITIES {
            let rows = records
                .get(*entity)
                .map(|v| v.iter().map(stored).collect())
                .unwrap_or_default();
            data.insert(entity.to_string(), Table::new(rows));
        }
        QuickBooksSandbox {
            data: Arc::new(RwLock::new(data)),
            token: Arc::new(token.to_string()),
            realm: Arc::new(realm.to_string()),
            faults: Faults::new(
                r#"{"Fault":{"Error":[{"Message":"An application error has occurred while processing your request","Detail":"System Failure Error: Something went wrong","code":"10000"}],"type":"SystemFault"},"time":"2026-10-01T00:00:00.000-07:00"}"#,
            ),
        }
    }

    /// `invoices` invoices for `invoices / 10` customers (every fifth a sub-customer of the one
    /// before), a payment for every fourth invoice, a credit memo for every twentieth; every
    /// seventh invoice is in EUR with an exchange rate to the USD home currency.
    pub fn generated(invoices: usize, token: &str, realm: &str) -> QuickBooksSandbox {
        let customers = (invoices / 10).max(1);
        let mut records = HashMap::new();
        records.insert("Customer".into(), (0..customers).map(customer).collect());
        records.insert(
            "Invoice".into(),
            (0..invoices).map(|i| invoice(i, customers)).collect(),
        );
        records.insert(
            "CreditMemo".into(),
            (0..invoices)
                .step_by(20)
                .map(|i| credit_memo(i, customers))
                .collect(),
        );
        records.insert(
            "Payment".into(),
            (0..invoices)
                .filter(|i| i.is_multiple_of(4))
                .map(|i| payment(&invoice(i, customers), i, BASE_S + i as i64))
                .collect(),
        );
        QuickBooksSandbox::from_records(token, realm, records)
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Invoice `i` is paid in full at `seconds`: its balance drops to zero and a payment appears.
    pub fn pay(&self, i: usize, seconds: i64) {
        let Ok(mut data) = self.data.write() else {
            return;
        };
        let id = (1000 + i).to_string();
        let Some(invoices) = data.get_mut("Invoice") else {
            return;
        };
        let Some(mut value) = invoices.take(&id) else {
            return;
        };
        value["Balance"] = json!(0);
        value["MetaData"]["LastUpdatedTime"] = json!(qbo_time(seconds));
        invoices.put(stored(&value));
        let p = payment(&value, i + 1_000_000, seconds);
        if let Some(payments) = data.get_mut("Payment") {
            payments.put(stored(&p));
        }
    }

    /// The HTTP API.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v3/company/{realm}/query", get(query))
            .layer(axum::middleware::from_fn_with_state(
                self.faults.clone(),
                faults::layer,
            ))
            .with_state(self.clone())
    }
}

#[derive(Deserialize)]
struct QueryParams {
    query: String,
}

/// The parts of a query statement the sandbox understands.
struct Statement {
    entity: String,
    since_ms: Option<i64>,
    start: usize,
    max: usize,
}

fn parse(statement: &str) -> Option<Statement> {
    let words: Vec<&str> = statement.split_whitespace().collect();
    let at = |w: &str| words.iter().position(|x| x.eq_ignore_ascii_case(w));
    let entity = words.get(at("FROM")? + 1)?.to_string();
    let number = |w: &str, default: usize| -> Option<usize> {
        match at(w) {
            Some(i) => words.get(i + 1)?.parse().ok(),
            None => Some(default),
        }
    };
    let since_ms = match statement.find("LastUpdatedTime") {
        Some(i) if at("WHERE").is_some() => {
            let rest = &statement[i..];
            let open = rest.find('\'')?;
            let close = rest[open + 1..].find('\'')?;
            Some(millis(&rest[open + 1..open + 1 + close])?)
        }
        _ => None,
    };
    Some(Statement {
        entity,
        since_ms,
        start: number("STARTPOSITION", 1)?.max(1),
        max: number("MAXRESULTS", 100)?.clamp(1, 1000),
    })
}

async fn query(
    State(q): State<QuickBooksSandbox>,
    Path(realm): Path<String>,
    headers: HeaderMap,
    Query(params): Query<QueryParams>,
) -> Response {
    let bearer = format!("Bearer {}", q.token);
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(bearer.as_str()) {
        return fault(
            StatusCode::UNAUTHORIZED,
            "AUTHENTICATION",
            "message=AuthenticationFailed; errorCode=003200; statusCode=401",
            "Token expired or invalid",
            "3200",
        );
    }
    if realm != *q.realm {
        return fault(
            StatusCode::FORBIDDEN,
            "AUTHORIZATION",
            "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
            "The token has no access to this company",
            "003100",
        );
    }
    let Some(s) = parse(&params.query) else {
        return fault(
            StatusCode::BAD_REQUEST,
            "ValidationFault",
            "Error parsing query",
            &format!("QueryParserError: cannot read {:?}", params.query),
            "4000",
        );
    };
    let Ok(data) = q.data.read() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Some(rows) = data.get(&s.entity) else {
        return fault(
            StatusCode::BAD_REQUEST,
            "ValidationFault",
            "Invalid query",
            &format!("QueryValidationError: unknown entity {}", s.entity),
            "4001",
        );
    };
    let rows = match s.since_ms {
        Some(since) => rows.since(since),
        None => rows.all(),
    };
    let page: Vec<&Row> = rows.iter().skip(s.start - 1).take(s.max).collect();
    let mut body = br#"{"QueryResponse":{"#.to_vec();
    if !page.is_empty() {
        body.extend_from_slice(format!("\"{}\":[", s.entity).as_bytes());
        for (n, r) in page.iter().enumerate() {
            if n > 0 {
                body.push(b',');
            }
            body.extend_from_slice(&r.json);
        }
        body.extend_from_slice(
            format!(
                "],\"startPosition\":{},\"maxResults\":{}",
                s.start,
                page.len()
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(br#"},"time":"2026-10-01T00:00:00.000-07:00"}"#);
    ([("content-type", "application/json")], body).into_response()
}

fn customer(c: usize) -> Value {
    let mut v = json!({
        "Id": (1 + c).to_string(),
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": false,
        "MetaData": {"CreateTime": qbo_time(BASE_S), "LastUpdatedTime": qbo_time(BASE_S + c as i64)},
        "DisplayName": format!("Customer {c} Inc"),
        "CompanyName": format!("Customer {c} Inc"),
        "GivenName": "Accounts",
        "FamilyName": "Payable",
        "Active": true,
        "Job": false,
        "BillWithParent": false,
        "PrimaryEmailAddr": {"Address": format!("ap{c}@customer{c}.example")},
        "PrimaryPhone": {"FreeFormNumber": "(415) 555-0100"},
        "BillAddr": {"Id": (100 + c).to_string(), "Line1": format!("{c} Market Street"), "City": "San Francisco", "CountrySubDivisionCode": "CA", "PostalCode": "94103"},
        "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
        "Balance": 0,
        "Taxable": true
    });
    if c % 5 == 4 {
        v["Job"] = json!(true);
        v["ParentRef"] = json!({"value": c.to_string()});
        v["BillWithParent"] = json!(true);
    }
    v
}

fn invoice(i: usize, customers: usize) -> Value {
    let eur = i % 7 == 3;
    let mut net_cents = 0i64;
    let mut lines: Vec<Value> = (0..10)
        .map(|l| {
            let qty = (l % 3 + 1) as i64;
            let price = ((10 + (i * 7 + l * 13) % 90) * 100 + 50) as i64;
            net_cents += qty * price;
            json!({
                "Id": (l + 1).to_string(),
                "LineNum": l + 1,
                "Description": format!("Service {l} for order {i}"),
                "Amount": (qty * price) as f64 / 100.0,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": (l + 1).to_string(), "name": format!("Service {l}")},
                    "UnitPrice": price as f64 / 100.0,
                    "Qty": qty,
                    "TaxCodeRef": {"value": "TAX"}
                }
            })
        })
        .collect();
    lines.push(json!({"Amount": net_cents as f64 / 100.0, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}));
    let tax_cents = net_cents * 8 / 100;
    let total = (net_cents + tax_cents) as f64 / 100.0;
    let issued =
        chrono::DateTime::from_timestamp(BASE_S - 60 * 86_400 + (i % 50) as i64 * 86_400, 0)
            .map(|d| d.date_naive())
            .unwrap_or_default();
    let paid = i.is_multiple_of(4);
    let mut v = json!({
        "Id": (1000 + i).to_string(),
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": false,
        "MetaData": {"CreateTime": qbo_time(BASE_S), "LastUpdatedTime": qbo_time(BASE_S + i as i64)},
        "DocNumber": format!("{}", 10_000 + i),
        "TxnDate": issued.to_string(),
        "DueDate": (issued + chrono::Days::new(30)).to_string(),
        "CurrencyRef": if eur { json!({"value": "EUR", "name": "Euro"}) } else { json!({"value": "USD", "name": "United States Dollar"}) },
        "Line": lines,
        "TxnTaxDetail": {"TotalTax": tax_cents as f64 / 100.0},
        "CustomerRef": {"value": (1 + i % customers).to_string(), "name": format!("Customer {} Inc", i % customers)},
        "SalesTermRef": {"value": "3", "name": "Net 30"},
        "GlobalTaxCalculation": "TaxExcluded",
        "TotalAmt": total,
        "Balance": if paid { 0.0 } else { total },
        "PrintStatus": "NotSet",
        "EmailStatus": "EmailSent"
    });
    if eur {
        v["ExchangeRate"] = json!(1.1);
        v["HomeTotalAmt"] = json!(((net_cents + tax_cents) as f64 * 1.1).round() / 100.0);
        v["HomeBalance"] = json!(if paid {
            0.0
        } else {
            ((net_cents + tax_cents) as f64 * 1.1).round() / 100.0
        });
    }
    v
}

fn credit_memo(i: usize, customers: usize) -> Value {
    let mut v = invoice(i, customers);
    v["Id"] = json!((500_000 + i).to_string());
    v["DocNumber"] = json!(format!("CM-{}", 10_000 + i));
    if let Some(o) = v.as_object_mut() {
        o.remove("DueDate");
        o.remove("SalesTermRef");
        let total = o.get("TotalAmt").cloned().unwrap_or(json!(0));
        o.insert("RemainingCredit".into(), total.clone());
        o.insert("Balance".into(), total);
    }
    v
}

fn payment(invoice: &Value, id: usize, seconds: i64) -> Value {
    json!({
        "Id": (2_000_000 + id).to_string(),
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": false,
        "MetaData": {"CreateTime": qbo_time(seconds), "LastUpdatedTime": qbo_time(seconds)},
        "TxnDate": invoice["DueDate"],
        "CurrencyRef": invoice["CurrencyRef"],
        "TotalAmt": invoice["TotalAmt"],
        "UnappliedAmt": 0,
        "ProcessPayment": false,
        "CustomerRef": invoice["CustomerRef"],
        "PaymentRefNum": format!("ACH-{id}"),
        "Line": [{
            "Amount": invoice["TotalAmt"],
            "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
        }]
    })
}
