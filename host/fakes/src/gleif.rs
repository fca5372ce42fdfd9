//! A local GLEIF API (`/api/v1/lei-records`) for tests and users: one record by LEI (404 with
//! GLEIF's JSON:API error body when unknown) and searches by `filter[entity.legalName]`,
//! `filter[entity.registeredAs]` + `filter[entity.jurisdiction]`, paged by `page[size]` and
//! `page[number]` with JSON:API `meta.pagination`. Serves the records it is given (e.g. GLEIF's
//! own responses) as they are.

use super::faults::{self, Faults};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// A running GLEIF sandbox.
#[derive(Clone)]
pub struct GleifSandbox {
    records: Arc<Vec<Value>>,
    faults: Faults,
}

impl GleifSandbox {
    /// Serve these `lei-records` resources (JSON:API `data` objects).
    pub fn from_records(records: Vec<Value>) -> GleifSandbox {
        GleifSandbox {
            records: Arc::new(records),
            faults: Faults::new(r#"{"errors":[{"status":"500","title":"Internal Server Error"}]}"#),
        }
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/api/v1/lei-records", get(search))
            .route("/api/v1/lei-records/{lei}", get(one))
            .layer(axum::middleware::from_fn_with_state(
                self.faults.clone(),
                faults::layer,
            ))
            .with_state(self.clone())
    }
}

fn attr<'a>(record: &'a Value, path: &str) -> Option<&'a str> {
    record.pointer(path).and_then(Value::as_str)
}

async fn one(State(g): State<GleifSandbox>, Path(lei): Path<String>) -> Response {
    match g.records.iter().find(|r| r["id"].as_str() == Some(lei.as_str())) {
        Some(r) => Json(json!({ "meta": {}, "data": r })).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"errors": [{"status": "404", "title": "Not Found", "detail": format!("The LEI {lei} was not found")}]})),
        )
            .into_response(),
    }
}

async fn search(
    State(g): State<GleifSandbox>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let wanted = |key: &str| q.get(key).map(|v| v.to_lowercase());
    let name = wanted("filter[entity.legalName]");
    let registered = wanted("filter[entity.registeredAs]");
    let jurisdiction = wanted("filter[entity.jurisdiction]");
    let matches = |r: &&Value| {
        let field = |p: &str| attr(r, p).map(str::to_lowercase).unwrap_or_default();
        name.as_ref()
            .is_none_or(|n| field("/attributes/entity/legalName/name").contains(n.as_str()))
            && registered
                .as_ref()
                .is_none_or(|n| field("/attributes/entity/registeredAs") == *n)
            && jurisdiction
                .as_ref()
                .is_none_or(|j| field("/attributes/entity/jurisdiction").starts_with(j.as_str()))
    };
    let found: Vec<&Value> = g.records.iter().filter(matches).collect();
    let size: usize = q
        .get("page[size]")
        .and_then(|s| s.parse().ok())
        .unwrap_or(10usize)
        .clamp(1, 200);
    let page: usize = q
        .get("page[number]")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1usize)
        .max(1);
    let last = found.len().div_ceil(size).max(1);
    let data: Vec<&Value> = found
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .copied()
        .collect();
    Json(json!({
        "meta": {"goldenCopy": {"publishDate": "2026-11-25T08:00:00Z"},
                 "pagination": {"currentPage": page, "perPage": size, "from": (page - 1) * size + 1,
                                "to": (page - 1) * size + data.len(), "total": found.len(), "lastPage": last}},
        "data": data
    }))
    .into_response()
}
