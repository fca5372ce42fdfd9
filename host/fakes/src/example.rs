//! The example vendor API that `plugins/example-ledger` reads:
//! `GET /invoices?page=N[&updated_since=RFC3339]` with `Authorization: Bearer <token>`.
//! Pages of [`PAGE_SIZE`] invoices (ten lines each), ordered by last update, so a client can
//! read only what changed since its last sync, as real accounting APIs allow.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

use std::sync::RwLock;

/// Invoices per page by default.
pub const PAGE_SIZE: usize = 100;

/// One invoice, kept serialized, with the fields the API sorts and filters on.
struct Stored {
    updated_at: String,
    id: usize,
    json: Vec<u8>,
}

struct VendorState {
    token: String,
    page_size: usize,
    /// Waited before answering each page, like a real vendor's latency.
    latency: std::time::Duration,
    /// Sorted by (updated_at, id).
    invoices: Vec<Stored>,
}

/// A running sandbox vendor whose data tests and benchmarks can change.
#[derive(Clone)]
pub struct Vendor {
    state: Arc<RwLock<VendorState>>,
}

impl Vendor {
    /// A vendor holding `invoices` generated invoices, accepting `token`.
    pub fn new(invoices: usize, token: &str) -> Vendor {
        let mut stored: Vec<Stored> = (0..invoices).map(|i| store(i, invoice(i))).collect();
        stored.sort_by(|a, b| (&a.updated_at, a.id).cmp(&(&b.updated_at, b.id)));
        Vendor {
            state: Arc::new(RwLock::new(VendorState {
                token: token.to_string(),
                page_size: PAGE_SIZE,
                latency: std::time::Duration::ZERO,
                invoices: stored,
            })),
        }
    }

    /// Serve pages of `page_size` invoices.
    pub fn with_page_size(self, page_size: usize) -> Vendor {
        if let Ok(mut s) = self.state.write() {
            s.page_size = page_size.max(1);
        }
        self
    }

    /// Wait `latency` before answering each page.
    pub fn with_latency(self, latency: std::time::Duration) -> Vendor {
        if let Ok(mut s) = self.state.write() {
            s.latency = latency;
        }
        self
    }

    /// Record a full payment of invoice `i` at `at` (RFC 3339): it is returned as changed since then.
    pub fn pay(&self, i: usize, at: &str) {
        let Ok(mut s) = self.state.write() else {
            return;
        };
        let mut paid = invoice(i);
        paid["status"] = json!("paid");
        paid["balance"] = json!("0.00");
        paid["updated_at"] = json!(at);
        s.invoices.retain(|x| x.id != i);
        s.invoices.push(store(i, paid));
        s.invoices
            .sort_by(|a, b| (&a.updated_at, a.id).cmp(&(&b.updated_at, b.id)));
    }

    /// The HTTP API.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/invoices", get(invoices_page))
            .with_state(self.clone())
    }
}

fn store(id: usize, value: Value) -> Stored {
    let updated_at = value["updated_at"].as_str().unwrap_or_default().to_string();
    Stored {
        updated_at,
        id,
        json: serde_json::to_vec(&value).unwrap_or_default(),
    }
}

/// A vendor holding `invoices` generated invoices, accepting `token`.
pub fn router(invoices: usize, token: &str) -> Router {
    Vendor::new(invoices, token).router()
}

/// The same vendor with another page size (benchmarks use pages of 1,000).
pub fn router_with_page_size(invoices: usize, token: &str, page_size: usize) -> Router {
    Vendor::new(invoices, token)
        .with_page_size(page_size)
        .router()
}

#[derive(Deserialize)]
struct PageQuery {
    #[serde(default)]
    page: usize,
    updated_since: Option<String>,
}

async fn invoices_page(
    State(vendor): State<Vendor>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let latency = vendor.state.read().map(|s| s.latency).unwrap_or_default();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let Ok(s) = vendor.state.read() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let expected = format!("Bearer {}", s.token);
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid token" })),
        )
            .into_response();
    }
    let from = match &q.updated_since {
        Some(since) => s
            .invoices
            .partition_point(|x| x.updated_at.as_str() <= since.as_str()),
        None => 0,
    };
    let matching = &s.invoices[from..];
    let pages = matching.len().div_ceil(s.page_size).max(1);
    if q.page >= pages {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "no such page" })),
        )
            .into_response();
    }
    let chunk = matching.iter().skip(q.page * s.page_size).take(s.page_size);
    let mut body = b"{\"invoices\":[".to_vec();
    for (n, x) in chunk.enumerate() {
        if n > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&x.json);
    }
    body.extend_from_slice(b"],\"next_page\":");
    body.extend_from_slice(
        if q.page + 1 < pages {
            (q.page + 1).to_string()
        } else {
            "null".into()
        }
        .as_bytes(),
    );
    body.push(b'}');
    ([("content-type", "application/json")], body).into_response()
}

/// One deterministic invoice in the vendor's shape: ten lines at 20 % VAT.
pub fn invoice(i: usize) -> Value {
    let money = |c: usize| format!("{}.{:02}", c / 100, c % 100);
    let mut net_cents = 0;
    let lines: Vec<Value> = (0..10)
        .map(|l| {
            let qty = (l % 3) + 1;
            let price_cents = (10 + ((i * 7 + l * 13) % 90)) * 100 + 50;
            net_cents += qty * price_cents;
            json!({
                "description": format!("Item {l} of order {i}"),
                "quantity": qty,
                "unit_price": money(price_cents),
                "amount": money(qty * price_cents),
                "tax_rate": "20",
                "tax_amount": money(qty * price_cents / 5),
            })
        })
        .collect();
    let tax_cents = net_cents / 5;
    json!({
        "id": format!("inv-{i:06}"),
        "number": format!("INV-{:06}", 1000 + i),
        "customer_id": format!("cust-{:04}", i % 250),
        "issued": format!("2026-{:02}-{:02}", 1 + (i % 9), 1 + (i % 28)),
        "due": format!("2026-{:02}-{:02}", 2 + (i % 9), 1 + (i % 28)),
        "currency": if i.is_multiple_of(5) { "GBP" } else { "EUR" },
        "status": if i.is_multiple_of(4) { "paid" } else { "open" },
        "updated_at": format!("2026-10-{:02}T12:00:00Z", 1 + (i % 28)),
        "terms_days": 30,
        "lines": lines,
        "net": money(net_cents),
        "tax": money(tax_cents),
        "total": money(net_cents + tax_cents),
        "balance": if i.is_multiple_of(4) { "0.00".to_string() } else { money(net_cents + tax_cents) },
    })
}
