//! The example vendor API that `plugins/example-ledger` reads: `GET /invoices?page=N`
//! (`Authorization: Bearer <token>`), pages of [`PAGE_SIZE`] invoices with ten lines each.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Invoices per page by default.
pub const PAGE_SIZE: usize = 100;

struct Vendor {
    token: String,
    pages: Vec<Vec<u8>>,
}

/// A vendor holding `invoices` generated invoices, accepting `token`.
pub fn router(invoices: usize, token: &str) -> Router {
    router_with_page_size(invoices, token, PAGE_SIZE)
}

/// The same vendor with another page size (benchmarks use pages of 1,000).
pub fn router_with_page_size(invoices: usize, token: &str, page_size: usize) -> Router {
    let all: Vec<Value> = (0..invoices).map(invoice).collect();
    let chunks: Vec<&[Value]> = if all.is_empty() {
        vec![&[]]
    } else {
        all.chunks(page_size.max(1)).collect()
    };
    let count = chunks.len();
    let pages = chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let next = (i + 1 < count).then_some(i + 1);
            serde_json::to_vec(&json!({ "invoices": chunk, "next_page": next })).unwrap_or_default()
        })
        .collect();
    let vendor = Arc::new(Vendor {
        token: token.to_string(),
        pages,
    });
    Router::new()
        .route("/invoices", get(invoices_page))
        .with_state(vendor)
}

#[derive(Deserialize)]
struct PageQuery {
    #[serde(default)]
    page: usize,
}

async fn invoices_page(
    State(vendor): State<Arc<Vendor>>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let expected = format!("Bearer {}", vendor.token);
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid token" })),
        )
            .into_response();
    }
    match vendor.pages.get(q.page) {
        Some(body) => ([("content-type", "application/json")], body.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "no such page" })),
        )
            .into_response(),
    }
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
