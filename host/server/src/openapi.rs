//! The API's OpenAPI 3.1 document, built from the route table below and the JSON Schemas of
//! the types the API returns; `credence schema --write` keeps a copy in `schemas/`, and the
//! server serves it at `/openapi.json`.

use serde_json::{Value, json};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    Read,
    Admin,
}

/// One route: method, path (OpenAPI syntax), access, summary, response schema (a component).
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
    pub response: Option<&'static str>,
    pub body: Option<Value>,
}

fn string() -> Value {
    json!({"type": "string"})
}

fn date() -> Value {
    json!({"type": "string", "format": "date"})
}

/// Every route of [`super::api::router`] (built once: the API looks each request's scope up
/// here).
pub fn routes() -> &'static [Route] {
    static ROUTES: std::sync::LazyLock<Vec<Route>> = std::sync::LazyLock::new(table);
    &ROUTES
}

fn table() -> Vec<Route> {
    let r = |method, path, access, summary, response| Route {
        method,
        path,
        access,
        summary,
        response,
        body: None,
    };
    let object = |required: &[&str], props: Value| json!({"type": "object", "required": required, "properties": props, "additionalProperties": false});
    vec![
        r(
            "get",
            "/health",
            Access::Public,
            "Liveness: the process answers.",
            None,
        ),
        r(
            "get",
            "/ready",
            Access::Public,
            "Readiness: the store answers and a first evaluation is in (503 otherwise).",
            None,
        ),
        r(
            "get",
            "/metrics",
            Access::Read,
            "Prometheus metrics (text exposition format).",
            None,
        ),
        r("get", "/openapi.json", Access::Read, "This document.", None),
        r(
            "get",
            "/api/v1/customers",
            Access::Read,
            "Every customer account with its credit state, limit, exposure, headroom and reasons (query: state).",
            None,
        ),
        r(
            "get",
            "/api/v1/customers/{account}",
            Access::Read,
            "One customer's credit decision, explained (account: CONNECTION/REMOTE-ID of any of its records).",
            Some("CreditDecision"),
        ),
        r(
            "get",
            "/api/v1/invoices",
            Access::Read,
            "Invoices and credit notes (query: customer, open=true).",
            None,
        ),
        r(
            "get",
            "/api/v1/actions",
            Access::Read,
            "The dunning outbox (query: status = pending, sending, delivered, failed).",
            None,
        ),
        r(
            "get",
            "/api/v1/letters/{key}",
            Access::Read,
            "A delivered letter's text (key or a unique prefix), as filed for printing, from the shared store.",
            None,
        ),
        r(
            "get",
            "/api/v1/tasks",
            Access::Read,
            "Calls and other tasks for people, open and snoozed (query: all=true for done ones too).",
            None,
        ),
        Route {
            body: Some(object(&[], json!({"note": string()}))),
            ..r(
                "post",
                "/api/v1/tasks/{key}/complete",
                Access::Admin,
                "Mark a task done (key or a unique prefix).",
                None,
            )
        },
        Route {
            body: Some(object(
                &["until"],
                json!({"until": date(), "note": string()}),
            )),
            ..r(
                "post",
                "/api/v1/tasks/{key}/snooze",
                Access::Admin,
                "Snooze a task until a date.",
                None,
            )
        },
        Route {
            body: Some(object(
                &["customer", "amount", "currency", "by_date", "taken_by"],
                json!({"customer": string(), "amount": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"}, "currency": string(), "by_date": date(), "taken_by": string(), "note": string()}),
            )),
            ..r(
                "post",
                "/api/v1/promises",
                Access::Admin,
                "Record a customer's promise to pay by a date (201 with its id).",
                None,
            )
        },
        Route {
            body: Some(object(
                &["invoice", "reason", "by"],
                json!({"invoice": string(), "reason": string(), "by": string(), "until": date()}),
            )),
            ..r(
                "post",
                "/api/v1/disputes",
                Access::Admin,
                "Record a disputed invoice (number or CONNECTION/REMOTE-ID): reminders for it wait (201 with its id).",
                None,
            )
        },
        r(
            "get",
            "/api/v1/connections",
            Access::Read,
            "Connections with their plugin, settings, secret names and schedule.",
            None,
        ),
        r(
            "post",
            "/api/v1/connections/{name}/sync",
            Access::Admin,
            "Make a connection's sync due now (202).",
            None,
        ),
        r(
            "get",
            "/api/v1/plugins",
            Access::Read,
            "Installed plugins.",
            None,
        ),
        r(
            "get",
            "/api/v1/schedule",
            Access::Read,
            "The shared schedule: every job, its lease holder and next due time.",
            None,
        ),
    ]
}

/// JSON Schemas of the response components, with their internal references re-rooted under
/// `#/components/schemas/NAME/$defs`.
fn components() -> Value {
    let mut out = serde_json::Map::new();
    let schemas = [
        (
            "CreditDecision",
            schemars::schema_for!(credence_rules::credit::Decision),
        ),
        (
            "OutboxEntry",
            schemars::schema_for!(credence_model::dunning::OutboxEntry),
        ),
        (
            "Invoice",
            schemars::schema_for!(credence_app::views::InvoiceView),
        ),
        (
            "ScheduledJob",
            schemars::schema_for!(credence_store::ScheduledJob),
        ),
    ];
    for (name, schema) in schemas {
        let text = serde_json::to_string(&schema).unwrap_or_default().replace(
            "\"#/$defs/",
            &format!("\"#/components/schemas/{name}/$defs/"),
        );
        let mut value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let Some(o) = value.as_object_mut() {
            o.remove("$schema");
        }
        out.insert(name.into(), value);
    }
    out.insert(
        "Error".into(),
        json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "string", "description": "What went wrong and what to do."}}}),
    );
    Value::Object(out)
}

/// The document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for route in routes() {
        let mut op = json!({
            "summary": route.summary,
            "responses": {
                "200": {"description": "OK"},
            },
        });
        if let Some(name) = route.response {
            op["responses"]["200"]["content"] = json!({"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}});
        }
        let error = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
        match route.access {
            Access::Public => op["security"] = json!([]),
            Access::Read => {
                op["responses"]["401"] = json!({"description": "No token, or an unknown one."});
                op["responses"]["401"]["content"] = error["content"].clone();
            }
            Access::Admin => {
                op["responses"]["401"] = json!({"description": "No token, or an unknown one."});
                op["responses"]["403"] = json!({"description": "A read-only token."});
                op["responses"]["400"] = json!({"description": "The request names nothing valid; the error says what to fix."});
                op["responses"]["404"] =
                    json!({"description": "No such customer, invoice, task or connection."});
                for code in ["401", "403", "400", "404"] {
                    op["responses"][code]["content"] = error["content"].clone();
                }
            }
        }
        op["x-scope"] = json!(match route.access {
            Access::Public => "none",
            Access::Read => "read",
            Access::Admin => "admin",
        });
        if let Some(body) = &route.body {
            op["requestBody"] = json!({"required": !route.path.ends_with("/complete"), "content": {"application/json": {"schema": body}}});
        }
        let params: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        let entry = paths
            .entry(route.path.to_string())
            .or_insert_with(|| json!({}));
        entry[route.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Credence server API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Credit states, invoices, dunning actions and tasks of a Credence server. Bearer tokens from [[server.tokens]] in credence.toml: read scope for GET, admin scope for POST.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": components(),
        },
        "security": [{"bearer": []}],
        "paths": paths,
    })
}
