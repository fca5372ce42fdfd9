//! A local Companies House public data API for tests and users: `/company/{number}` (profile),
//! `/company/{number}/insolvency`, `/company/{number}/filing-history` and `/search/companies`,
//! with the register's 404 and 401 bodies. Authentication as the real service: HTTP Basic with
//! the API key as the user name and an empty password. Serves the profiles, insolvency records
//! and filings it is given (e.g. the register's own recorded responses) as they are.

use super::faults::{self, Faults};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// One company on the local register.
#[derive(Debug, Clone)]
pub struct Company {
    /// The public `GET /company/{number}` body.
    pub profile: Value,
    /// The public `GET /company/{number}/insolvency` body, when it has one.
    pub insolvency: Option<Value>,
    /// Filing-history items, newest first.
    pub filings: Vec<Value>,
}

/// A running Companies House sandbox.
#[derive(Clone)]
pub struct CompaniesHouseSandbox {
    companies: Arc<Vec<Company>>,
    authorization: String,
    faults: Faults,
}

impl CompaniesHouseSandbox {
    pub fn new(api_key: &str, companies: Vec<Company>) -> CompaniesHouseSandbox {
        CompaniesHouseSandbox {
            companies: Arc::new(companies),
            authorization: format!(
                "Basic {}",
                base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    format!("{api_key}:")
                )
            ),
            faults: Faults::new(
                r#"{"errors":[{"error":"service-unavailable","type":"ch:service"}]}"#,
            ),
        }
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/company/{number}", get(profile))
            .route("/company/{number}/insolvency", get(insolvency))
            .route("/company/{number}/filing-history", get(filings))
            .route("/search/companies", get(search))
            .layer(axum::middleware::from_fn_with_state(
                self.faults.clone(),
                faults::layer,
            ))
            .with_state(self.clone())
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some(self.authorization.as_str())
    }

    fn company(&self, number: &str) -> Option<&Company> {
        self.companies
            .iter()
            .find(|c| c.profile["company_number"].as_str() == Some(number))
    }
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": "Invalid Authorization", "type": "ch:service"})),
    )
        .into_response()
}

fn not_found(error: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"errors": [{"error": error, "type": "ch:service"}]})),
    )
        .into_response()
}

async fn profile(
    State(ch): State<CompaniesHouseSandbox>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Response {
    if !ch.authorized(&headers) {
        return unauthorized();
    }
    match ch.company(&number) {
        Some(c) => Json(c.profile.clone()).into_response(),
        None => not_found("company-profile-not-found"),
    }
}

async fn insolvency(
    State(ch): State<CompaniesHouseSandbox>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Response {
    if !ch.authorized(&headers) {
        return unauthorized();
    }
    match ch.company(&number).and_then(|c| c.insolvency.clone()) {
        Some(body) => Json(body).into_response(),
        None => not_found("company-insolvencies-not-found"),
    }
}

async fn filings(
    State(ch): State<CompaniesHouseSandbox>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !ch.authorized(&headers) {
        return unauthorized();
    }
    let Some(c) = ch.company(&number) else {
        return not_found("filing-history-not-found");
    };
    let per_page: usize = q
        .get("items_per_page")
        .and_then(|n| n.parse().ok())
        .unwrap_or(25);
    let start: usize = q
        .get("start_index")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let items: Vec<&Value> = c.filings.iter().skip(start).take(per_page).collect();
    Json(json!({
        "items": items, "items_per_page": per_page, "start_index": start,
        "total_count": c.filings.len(), "filing_history_status": "filing-history-available"
    }))
    .into_response()
}

async fn search(
    State(ch): State<CompaniesHouseSandbox>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !ch.authorized(&headers) {
        return unauthorized();
    }
    let wanted = q.get("q").map(|s| s.to_lowercase()).unwrap_or_default();
    let per_page: usize = q
        .get("items_per_page")
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let items: Vec<Value> = ch
        .companies
        .iter()
        .filter(|c| {
            let name = c.profile["company_name"].as_str().unwrap_or_default();
            // The register's search is by relevance: any word of the query may match.
            wanted
                .split_whitespace()
                .any(|w| name.to_lowercase().contains(w))
        })
        .take(per_page)
        .map(|c| {
            json!({
                "kind": "searchresults#company",
                "title": c.profile["company_name"],
                "company_number": c.profile["company_number"],
                "company_status": c.profile["company_status"],
                "company_type": c.profile["type"],
                "date_of_creation": c.profile["date_of_creation"],
            })
        })
        .collect();
    Json(json!({
        "kind": "search#companies", "items_per_page": per_page, "start_index": 0,
        "total_results": items.len(), "items": items
    }))
    .into_response()
}
