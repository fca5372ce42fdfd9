//! The host's HTTP for plugins: secrets injected (never shown), retries honouring Retry-After,
//! timeouts, and a clear error when the vendor keeps failing.

use crate::support::{Server, TestHome, text};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A vendor whose first `failures` answers are `status` (with `Retry-After: retry_after`), then
/// the example API's answers.
fn flaky(
    failures: usize,
    status: StatusCode,
    retry_after: Option<&'static str>,
) -> (Server, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let inner = credence_fakes::example::router(120, "tok");
    let state = (calls.clone(), failures, status, retry_after);
    let gate = Router::new()
        .route(
            "/invoices",
            get(
                |State((calls, failures, status, retry_after)): State<(
                    Arc<AtomicUsize>,
                    usize,
                    StatusCode,
                    Option<&'static str>,
                )>| async move {
                    let n = calls.fetch_add(1, Ordering::SeqCst);
                    if n < failures {
                        let mut response = (status, "slow down").into_response();
                        if let Some(after) = retry_after {
                            response
                                .headers_mut()
                                .insert("retry-after", after.parse().expect("header"));
                        }
                        response
                    } else {
                        StatusCode::NO_CONTENT.into_response()
                    }
                },
            ),
        )
        .with_state(state);
    // Failures come from `gate`; once it answers 204 the request is replayed on the real API.
    let router = Router::new().fallback(move |req: axum::extract::Request| {
        let (gate, inner) = (gate.clone(), inner.clone());
        async move {
            let (parts, body) = req.into_parts();
            let probe =
                axum::extract::Request::from_parts(parts.clone(), axum::body::Body::empty());
            let gated: Response = tower_call(gate, probe).await;
            if gated.status() != StatusCode::NO_CONTENT {
                return gated;
            }
            tower_call(inner, axum::extract::Request::from_parts(parts, body)).await
        }
    });
    (Server::start(router), calls)
}

async fn tower_call(router: Router, req: axum::extract::Request) -> Response {
    use tower_service::Service;
    let mut router = router;
    match router.call(req).await {
        Ok(r) => r.into_response(),
        Err(never) => match never {},
    }
}

/// Read `books` and return how it failed: (error kind, message).
fn failed_read(home: &TestHome) -> (String, String) {
    let out = home.run_env(&["read", "books", "--json"], &[("BOOKS_TOKEN", "tok")]);
    assert!(!out.status.success(), "the read should fail");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    (text(&report[0]["error_kind"]), text(&report[0]["error"]))
}

fn home_with(server: &Server) -> TestHome {
    let home = TestHome::new();
    home.install(&["example-ledger"]);
    home.add_example_connection("books", &server.url(), "BOOKS_TOKEN");
    home
}

#[test]
fn rate_limits_are_retried_after_the_delay_the_vendor_asks() {
    let (server, calls) = flaky(2, StatusCode::TOO_MANY_REQUESTS, Some("1"));
    let home = home_with(&server);
    let started = Instant::now();
    let out = home.run_env(&["read", "books", "--json"], &[("BOOKS_TOKEN", "tok")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "two Retry-After: 1 waits were honoured"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report[0]["streams"][0]["records"], 120);
    assert_eq!(calls.load(Ordering::SeqCst), 2 + 2, "2 refusals + 2 pages");
}

#[test]
fn a_long_retry_after_ends_the_job_as_rate_limited_instead_of_blocking() {
    let (server, calls) = flaky(usize::MAX, StatusCode::TOO_MANY_REQUESTS, Some("3600"));
    let home = home_with(&server);
    let started = Instant::now();
    let (kind, error) = failed_read(&home);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "did not sit out an hour"
    );
    assert_eq!(kind, "rate-limited", "{error}");
    assert!(error.contains("retry after 3600 s"), "{error}");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "no retry inside the call for an hour-long wait"
    );
}

#[test]
fn server_errors_are_retried_then_reported_as_temporary() {
    let (server, calls) = flaky(2, StatusCode::BAD_GATEWAY, None);
    let home = home_with(&server);
    let out = home.run_env(&["read", "books", "--json"], &[("BOOKS_TOKEN", "tok")]);
    assert!(
        out.status.success(),
        "two 502s then success: {}",
        text(&out.stderr)
    );
    assert_eq!(calls.load(Ordering::SeqCst), 4);

    let (server, _) = flaky(usize::MAX, StatusCode::SERVICE_UNAVAILABLE, None);
    let home = home_with(&server);
    home.set_runtime_limit("http_retries", "2");
    let (kind, error) = failed_read(&home);
    assert_eq!(kind, "transient", "{error}");
    assert!(error.contains("HTTP 503"), "{error}");
}

#[test]
fn a_vendor_that_never_answers_times_out() {
    let server = Server::start(Router::new().route(
        "/invoices",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    ));
    let home = home_with(&server);
    home.set_runtime_limit("http_timeout_s", "1");
    home.set_runtime_limit("http_retries", "1");
    let started = Instant::now();
    let (kind, error) = failed_read(&home);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "timed out instead of waiting 30 s"
    );
    assert_eq!(kind, "transient", "{error}");
    assert!(error.contains("timed out"), "{error}");
}

#[test]
fn secrets_are_injected_by_the_host_and_never_logged() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let router = Router::new()
        .route(
            "/invoices",
            get(|State(seen): State<Arc<std::sync::Mutex<Vec<String>>>>, headers: HeaderMap| async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                if let Ok(mut s) = seen.lock() {
                    s.push(auth);
                }
                axum::Json(serde_json::json!({"invoices": [], "next_page": null}))
            }),
        )
        .with_state(seen.clone());
    let server = Server::start(router);
    let home = home_with(&server);
    let secret = "s3cr3t-value-4242";
    let mut cmd = home.command(&["read", "books"]);
    cmd.env("BOOKS_TOKEN", secret).env(
        "RUST_LOG",
        "credence=trace,plugin=trace,reqwest=trace,hyper=trace",
    );
    let out = crate::support::run_with_deadline(cmd, Duration::from_secs(60));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        seen.lock().expect("lock").as_slice(),
        [format!("Bearer {secret}")],
        "the host injected the secret"
    );
    let logs = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        logs.contains("plugin_call"),
        "trace logs were produced: {logs}"
    );
    assert!(
        !logs.contains(secret),
        "the secret value appeared in the output"
    );
    let config = std::fs::read_to_string(home.path().join("credence.toml")).expect("config");
    assert!(
        !config.contains(secret) && config.contains("BOOKS_TOKEN"),
        "only the variable name is stored"
    );
}
