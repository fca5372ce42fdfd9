//! The HTTP API (axum). Every route is listed in [`super::openapi::routes`] with its scope;
//! only `/health` and `/ready` answer without a token.

use super::Service;
use super::auth::Refusal;
use super::openapi::Access;
use axum::Json;
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use credence_app::errors::NotFound;
use credence_app::home::config::TokenScope;
use credence_model::dunning::{Status, TaskState};
use credence_model::{Currency, Dispute, Money, Promise};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

type Shared = State<Arc<Service>>;

/// An error answer: a status and a sentence saying what to do.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> ApiError {
        tracing::error!(error = %format!("{e:#}"), "request failed");
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))
    }
}

fn bad_request(e: impl std::fmt::Display) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, e.to_string())
}

fn not_found(e: impl std::fmt::Display) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, e.to_string())
}

/// Let a request through if its token has the scope its route needs (from the route table
/// the OpenAPI document is built from; a route missing there needs an admin token). Runs
/// before the body is read, so a stranger learns nothing about what a body should hold.
async fn authorize(State(service): Shared, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().replace("{*", "{"))
        .unwrap_or_default();
    let method = request.method().as_str().to_ascii_lowercase();
    let access = super::openapi::routes()
        .iter()
        .find(|r| r.path == route && r.method == method)
        .map_or(Access::Admin, |r| r.access);
    let scope = match access {
        Access::Public => return next.run(request).await,
        Access::Read => TokenScope::Read,
        Access::Admin => TokenScope::Admin,
    };
    match allow(&service, request.headers(), scope) {
        Ok(name) => {
            if scope == TokenScope::Admin {
                tracing::info!(token = %name, %method, %route, "admin request");
            }
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

fn allow(service: &Service, headers: &HeaderMap, scope: TokenScope) -> Result<String, ApiError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok());
    service.tokens.check(presented, scope).map_err(|r| match r {
        Refusal::Unauthenticated => ApiError(
            StatusCode::UNAUTHORIZED,
            "missing or unknown bearer token: send `Authorization: Bearer TOKEN` with a token from [[server.tokens]]".into(),
        ),
        Refusal::Forbidden { name } => ApiError(
            StatusCode::FORBIDDEN,
            format!("token {name:?} is read-only; this needs an admin token"),
        ),
    })
}

pub fn router(service: Arc<Service>) -> axum::Router {
    axum::Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/api/v1/customers", get(customers))
        .route("/api/v1/customers/{*account}", get(customer))
        .route("/api/v1/invoices", get(invoices))
        .route("/api/v1/actions", get(actions))
        .route("/api/v1/tasks", get(tasks))
        .route("/api/v1/letters/{key}", get(letter))
        .route("/api/v1/tasks/{key}/complete", post(complete_task))
        .route("/api/v1/tasks/{key}/snooze", post(snooze_task))
        .route("/api/v1/promises", post(promise))
        .route("/api/v1/disputes", post(dispute))
        .route("/api/v1/connections", get(connections))
        .route("/api/v1/connections/{name}/sync", post(trigger_sync))
        .route("/api/v1/plugins", get(plugins))
        .route("/api/v1/schedule", get(schedule))
        .route_layer(axum::middleware::from_fn_with_state(
            service.clone(),
            authorize,
        ))
        .layer(axum::middleware::from_fn_with_state(
            service.clone(),
            observe,
        ))
        .with_state(service)
}

/// Count and time every request by route.
async fn observe(State(service): Shared, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let m = &service.metrics;
    m.inc(
        "credence_http_requests_total",
        &[("route", &route), ("status", &status)],
    );
    m.observe(
        "credence_http_request_seconds",
        &[("route", &route)],
        started.elapsed().as_secs_f64(),
    );
    response
}

async fn health(State(service): Shared) -> Json<Value> {
    Json(json!({ "status": "ok", "instance": service.instance }))
}

/// Ready once the store answers and a first evaluation is in.
async fn ready(State(service): Shared) -> Response {
    let store = service.pool.run(|s| Ok(s.schedule()?.len())).await;
    let latest = service.latest();
    match (store, latest) {
        (Ok(_), Some(l)) => Json(json!({
            "status": "ready",
            "instance": service.instance,
            "evaluated_at": l.at,
            "as_of": l.evaluation.as_of,
        }))
        .into_response(),
        (Err(e), _) => ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the store does not answer: {e:#}"),
        )
        .into_response(),
        (Ok(_), None) => ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            "the first evaluation has not finished yet".into(),
        )
        .into_response(),
    }
}

async fn metrics(State(service): Shared) -> Result<Response, ApiError> {
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        service.metrics.render(),
    )
        .into_response())
}

async fn openapi() -> Result<Json<Value>, ApiError> {
    Ok(Json(super::openapi::document()))
}

fn latest(service: &Service) -> Result<Arc<super::Latest>, ApiError> {
    service.latest().ok_or_else(|| {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            "the first evaluation has not finished yet; retry shortly".into(),
        )
    })
}

#[derive(Debug, Deserialize)]
struct CustomersQuery {
    state: Option<String>,
}

async fn customers(
    State(service): Shared,
    Query(q): Query<CustomersQuery>,
) -> Result<Json<Value>, ApiError> {
    let l = latest(&service)?;
    let list: Vec<Value> = l
        .evaluation
        .customers
        .iter()
        .filter(|d| q.state.as_deref().is_none_or(|s| d.state.as_str() == s))
        .map(|d| {
            json!({
                "account": d.account,
                "name": d.name,
                "state": d.state.as_str(),
                "currency": d.currency,
                "limit": d.limit,
                "exposure": d.exposure.total,
                "headroom": d.headroom,
                "reasons": d.reasons.iter().map(|r| json!({"code": r.code, "sentence": r.sentence})).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({
        "as_of": l.evaluation.as_of,
        "evaluated_at": l.at,
        "policy_version": l.evaluation.policy_version,
        "customers": list,
    })))
}

async fn customer(
    State(service): Shared,
    Path(account): Path<String>,
) -> Result<Response, ApiError> {
    let l = latest(&service)?;
    let i = l
        .by_key
        .get(account.trim_start_matches('/'))
        .ok_or_else(|| {
            not_found(format!(
                "no customer {account:?}: name it as CONNECTION/REMOTE-ID of any of its records"
            ))
        })?;
    Ok(Json(&l.evaluation.customers[*i]).into_response())
}

#[derive(Debug, Deserialize)]
struct InvoicesQuery {
    customer: Option<String>,
    #[serde(default)]
    open: bool,
}

async fn invoices(
    State(service): Shared,
    Query(q): Query<InvoicesQuery>,
) -> Result<Json<Value>, ApiError> {
    let list = service
        .pool
        .run(move |s| {
            let account = match &q.customer {
                Some(key) => {
                    let all = credence_app::views::customers(s)?;
                    Some(
                        all.into_iter()
                            .find(|c| {
                                c.account == *key
                                    || c.members.iter().any(|m| {
                                        format!("{}/{}", m.connection, m.remote_id) == *key
                                    })
                            })
                            .map(|c| c.account)
                            .ok_or_else(|| NotFound(format!("no customer {key:?}")))?,
                    )
                }
                None => None,
            };
            Ok(credence_app::views::invoices(
                s,
                account.as_deref(),
                q.open,
            )?)
        })
        .await
        .map_err(not_found_or_500)?;
    Ok(Json(json!({ "invoices": list })))
}

#[derive(Debug, Deserialize)]
struct ActionsQuery {
    status: Option<String>,
}

async fn actions(
    State(service): Shared,
    Query(q): Query<ActionsQuery>,
) -> Result<Json<Value>, ApiError> {
    let status = match q.status.as_deref() {
        Some(s) => Some(Status::parse(s).ok_or_else(|| {
            bad_request(format!(
                "status {s:?}: use pending, sending, delivered or failed"
            ))
        })?),
        None => None,
    };
    let list = service.pool.run(move |s| Ok(s.outbox(status)?)).await?;
    Ok(Json(json!({ "actions": list })))
}

/// A delivered letter's text, from the shared store (any instance gives it).
async fn letter(State(service): Shared, Path(key): Path<String>) -> Result<Response, ApiError> {
    let entry = service
        .pool
        .run(move |s| credence_app::dunning::deliver::find_letter(s, &key))
        .await
        .map_err(not_found_or_500)?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        credence_app::dunning::deliver::letter_text(&entry.action),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct TasksQuery {
    #[serde(default)]
    all: bool,
}

async fn tasks(
    State(service): Shared,
    Query(q): Query<TasksQuery>,
) -> Result<Json<Value>, ApiError> {
    let list = service.pool.run(|s| Ok(s.outbox(None)?)).await?;
    let list: Vec<_> = list
        .into_iter()
        .filter(|e| {
            e.task
                .is_some_and(|t| q.all || !matches!(t, TaskState::Done))
        })
        .collect();
    Ok(Json(json!({ "tasks": list })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskUpdate {
    note: Option<String>,
    until: Option<NaiveDate>,
}

async fn update_task(
    service: &Service,
    key: String,
    state: TaskState,
    body: TaskUpdate,
) -> Result<Json<Value>, ApiError> {
    if state == TaskState::Snoozed && body.until.is_none() {
        return Err(bad_request("snooze needs \"until\": a date (YYYY-MM-DD)"));
    }
    let wanted = key.clone();
    let keys = service
        .pool
        .run(move |s| Ok(s.update_task(&wanted, state, body.until, body.note.as_deref())?))
        .await?;
    match keys.len() {
        1 => Ok(Json(json!({ "key": keys[0], "task": state }))),
        0 => Err(not_found(format!(
            "no task {key:?}; GET /api/v1/tasks lists them"
        ))),
        n => Err(bad_request(format!(
            "{key:?} matches {n} tasks; give more of the key"
        ))),
    }
}

async fn complete_task(
    State(service): Shared,
    Path(key): Path<String>,
    body: Option<Json<TaskUpdate>>,
) -> Result<Json<Value>, ApiError> {
    let body = body.map(|b| b.0).unwrap_or_default();
    update_task(&service, key, TaskState::Done, body).await
}

async fn snooze_task(
    State(service): Shared,
    Path(key): Path<String>,
    Json(body): Json<TaskUpdate>,
) -> Result<Json<Value>, ApiError> {
    update_task(&service, key, TaskState::Snoozed, body).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PromiseBody {
    customer: String,
    amount: Decimal,
    currency: String,
    by_date: NaiveDate,
    taken_by: String,
    note: Option<String>,
    /// Invoice numbers or keys it covers (none: every invoice in its currency).
    #[serde(default)]
    invoices: Vec<String>,
}

fn today() -> Result<NaiveDate, ApiError> {
    Ok(credence_app::clock::today()?)
}

async fn promise(
    State(service): Shared,
    Json(body): Json<PromiseBody>,
) -> Result<Response, ApiError> {
    let currency = Currency::parse(&body.currency).map_err(bad_request)?;
    if body.amount <= Decimal::ZERO {
        return Err(bad_request("amount must be positive"));
    }
    if body.taken_by.trim().is_empty() {
        return Err(bad_request("taken_by: say who took the promise"));
    }
    let promise = Promise {
        customer: body.customer,
        amount: Money {
            amount: body.amount,
            currency,
        },
        promised_for: body.by_date,
        recorded_on: today()?,
        by: body.taken_by,
        note: body.note,
        invoices: Vec::new(),
    };
    let named = body.invoices;
    let id = service
        .pool
        .run(move |s| {
            let mut promise = promise;
            credence_app::find::customer(s, &promise.customer)?;
            for wanted in &named {
                promise
                    .invoices
                    .push(credence_app::find::invoice(s, wanted)?.0);
            }
            Ok(s.record_promise(&promise)?)
        })
        .await
        .map_err(not_found_or_500)?;
    tracing::info!(id, "promise recorded");
    service.evaluate.notify_one();
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

/// 404 for what the request named and does not exist (by the error's type), 500 otherwise.
fn not_found_or_500(e: anyhow::Error) -> ApiError {
    match e.downcast::<NotFound>() {
        Ok(missing) => not_found(missing),
        Err(other) => ApiError::from(other),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DisputeBody {
    invoice: String,
    reason: String,
    by: String,
    until: Option<NaiveDate>,
}

async fn dispute(
    State(service): Shared,
    Json(body): Json<DisputeBody>,
) -> Result<Response, ApiError> {
    if body.reason.trim().is_empty() || body.by.trim().is_empty() {
        return Err(bad_request(
            "reason and by are required: what the customer contests, and who recorded it",
        ));
    }
    let opened_on = today()?;
    let id = service
        .pool
        .run(move |s| {
            let (invoice, number) = credence_app::find::invoice(s, &body.invoice)?;
            Ok(s.record_dispute(&Dispute {
                id: 0,
                invoice,
                number,
                opened_on,
                until: body.until,
                reason: body.reason,
                by: body.by,
                resolved_on: None,
            })?)
        })
        .await
        .map_err(not_found_or_500)?;
    tracing::info!(id, "dispute recorded");
    service.evaluate.notify_one();
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

async fn connections(State(service): Shared) -> Result<Json<Value>, ApiError> {
    let config = service.home.config().map_err(anyhow::Error::from)?;
    let schedule = service.pool.run(|s| Ok(s.schedule()?)).await?;
    let list: Vec<Value> = config
        .connections
        .iter()
        .map(|(name, c)| {
            json!({
                "name": name,
                "plugin": c.plugin,
                "settings": c.settings,
                // Only the names of the variables: secrets never leave the host.
                "secrets": c.secrets.keys().collect::<Vec<_>>(),
                "sync_every_s": c.sync_every_s.unwrap_or(service.config.sync_every_s),
                "schedule": schedule.iter().find(|j| &j.job == name),
            })
        })
        .collect();
    Ok(Json(json!({ "connections": list })))
}

async fn trigger_sync(
    State(service): Shared,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let config = service.home.config().map_err(anyhow::Error::from)?;
    if !config.connections.contains_key(&name) {
        return Err(not_found(format!(
            "no connection {name:?}; GET /api/v1/connections lists them"
        )));
    }
    let job = name.clone();
    service
        .pool
        .run(move |s| Ok(s.request_job(&job, chrono::Utc::now())?))
        .await?;
    service.wake.notify_one();
    tracing::info!(connection = %name, "sync requested");
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "connection": name, "requested": true })),
    )
        .into_response())
}

async fn plugins(State(service): Shared) -> Result<Json<Value>, ApiError> {
    let list = service
        .home
        .registry()
        .list()
        .map_err(|e| ApiError::from(anyhow::Error::from(e)))?;
    let list: Vec<Value> = list
        .iter()
        .map(|p| {
            json!({
                "id": p.manifest.id,
                "version": p.manifest.version,
                "kind": p.manifest.kind,
                "contract": p.manifest.contract,
                "description": p.manifest.description,
                "wasm_sha256": p.pin.wasm_sha256,
            })
        })
        .collect();
    Ok(Json(json!({ "plugins": list })))
}

async fn schedule(State(service): Shared) -> Result<Json<Value>, ApiError> {
    let jobs = service.pool.run(|s| Ok(s.schedule()?)).await?;
    Ok(Json(json!({ "instance": service.instance, "jobs": jobs })))
}
