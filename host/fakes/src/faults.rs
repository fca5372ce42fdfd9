//! What goes wrong with real vendor APIs, on demand: a queue of faults applied to the next
//! requests (429 with `Retry-After`, 500, a slow answer, a body cut short) and a per-second
//! rate limit. Tests use it to prove a sync resumes from its cursor and loses nothing.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One fault, applied to one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 Too Many Requests with `Retry-After: seconds`.
    TooManyRequests { retry_after_seconds: u32 },
    /// 500 with the vendor's error body.
    ServerError,
    /// Answer after this delay (longer than the client's timeout: a timeout).
    Delay(Duration),
    /// Answer normally but send only the first half of the body.
    Truncate,
    /// Answer 200 with this body instead (a vendor sending something broken).
    Body(String),
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<Fault>,
    per_second: Option<u32>,
    window: Option<(Instant, u32)>,
    served: u64,
}

/// The faults of one sandbox; cheap to clone, shared with its router.
#[derive(Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<Inner>>,
    /// The vendor's 500 body.
    error_body: Arc<String>,
}

impl Faults {
    /// Faults whose 500 answers carry `error_body` (JSON or XML, as the vendor sends).
    pub fn new(error_body: &str) -> Faults {
        Faults {
            inner: Arc::default(),
            error_body: Arc::new(error_body.to_string()),
        }
    }

    /// Apply `faults` to the next requests, in order.
    pub fn push(&self, faults: impl IntoIterator<Item = Fault>) {
        if let Ok(mut s) = self.inner.lock() {
            s.queue.extend(faults);
        }
    }

    /// Refuse more than `n` requests per second with 429 and `Retry-After: 1`.
    pub fn limit_per_second(&self, n: u32) {
        if let Ok(mut s) = self.inner.lock() {
            s.per_second = Some(n.max(1));
        }
    }

    /// Requests answered so far (faults included).
    pub fn served(&self) -> u64 {
        self.inner.lock().map(|s| s.served).unwrap_or(0)
    }

    fn next(&self) -> Option<Fault> {
        let mut s = self.inner.lock().ok()?;
        s.served += 1;
        if let Some(fault) = s.queue.pop_front() {
            return Some(fault);
        }
        let limit = s.per_second?;
        let now = Instant::now();
        let (start, count) = match s.window {
            Some((start, count)) if now.duration_since(start) < Duration::from_secs(1) => {
                (start, count + 1)
            }
            _ => (now, 1),
        };
        s.window = Some((start, count));
        (count > limit).then_some(Fault::TooManyRequests {
            retry_after_seconds: 1,
        })
    }
}

/// The middleware: `axum::middleware::from_fn_with_state(faults, faults::layer)`.
pub async fn layer(State(faults): State<Faults>, request: Request, next: Next) -> Response {
    match faults.next() {
        None => next.run(request).await,
        Some(Fault::TooManyRequests {
            retry_after_seconds,
        }) => (
            StatusCode::TOO_MANY_REQUESTS,
            [
                ("retry-after", retry_after_seconds.to_string()),
                ("x-rate-limit-problem", "minute".to_string()),
            ],
            "",
        )
            .into_response(),
        Some(Fault::ServerError) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            faults.error_body.as_str().to_owned(),
        )
            .into_response(),
        Some(Fault::Body(body)) => (StatusCode::OK, body).into_response(),
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            next.run(request).await
        }
        Some(Fault::Truncate) => {
            let response = next.run(request).await;
            let (parts, body) = response.into_parts();
            match axum::body::to_bytes(body, usize::MAX).await {
                Ok(bytes) => {
                    let half = bytes.slice(..bytes.len() / 2);
                    let mut parts = parts;
                    parts.headers.remove("content-length");
                    Response::from_parts(parts, Body::from(half))
                }
                Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            }
        }
    }
}
