//! `http`: requests a plugin asks for, performed by the host.
//!
//! Order of checks: the URL must be granted; secrets named by the plugin are resolved here
//! (the guest never holds them) and placed only as their manifest binds them (scheme, header,
//! origins); the call's request count and wall-clock deadline are checked before each attempt
//! and the timeout never runs past the deadline; the body is read up to the response cap and
//! scrubbed of every secret value before the plugin sees it; 429 and 5xx (and connection
//! failures) are retried with exponential backoff, honouring `Retry-After` up to [`MAX_WAIT`].
//! A longer `Retry-After` is handed back to the plugin as the 429 itself, so the job ends as
//! rate-limited and the scheduler retries later instead of blocking a worker.

use crate::bindings::http::{BasicAuth, HeaderValue, Host, Method, Request, Response, SecretUse};
use crate::bindings::types::PluginError;
use crate::grants::SecretScheme;
use crate::limits::LimitHit;
use crate::state::HostState;
use std::time::{Duration, Instant};
use url::Url;

/// Longest `Retry-After` the host waits for inside one call.
const MAX_WAIT: Duration = Duration::from_secs(30);
/// First backoff delay; doubles per attempt.
const BACKOFF: Duration = Duration::from_millis(200);

enum Attempt {
    Done(Response),
    Retry {
        response: Option<Response>,
        error: Option<String>,
        wait: Duration,
    },
    Fail(PluginError),
}

impl Host for HostState {
    fn send(&mut self, request: Request) -> Result<Response, PluginError> {
        let started = Instant::now();
        let result = self.send_checked(request);
        self.timer.in_host += started.elapsed();
        result
    }
}

impl HostState {
    fn send_checked(&mut self, request: Request) -> Result<Response, PluginError> {
        let url = Url::parse(&request.url)
            .map_err(|e| PluginError::Permanent(format!("invalid URL {:?}: {e}", request.url)))?;
        if !self.job.grants.allows_url(&url) {
            let shown = origin(&url);
            self.deny(
                format!("HTTP request to {shown}"),
                "only the hosts in its manifest's `http` capability".into(),
            );
            return Err(PluginError::Permanent(format!(
                "{shown} is not among the hosts this plugin's manifest declares"
            )));
        }
        let mut headers = reqwest::header::HeaderMap::new();
        for header in &request.headers {
            let value = match &header.value {
                HeaderValue::Plain(v) => v.clone(),
                HeaderValue::Secret(s) => self.secret_header(&header.name, s, &url)?,
                HeaderValue::Basic(b) => self.basic_header(&header.name, b, &url)?,
            };
            let name =
                reqwest::header::HeaderName::from_bytes(header.name.as_bytes()).map_err(|_| {
                    PluginError::Permanent(format!("invalid header name {:?}", header.name))
                })?;
            let mut value = reqwest::header::HeaderValue::from_str(&value).map_err(|_| {
                PluginError::Permanent(format!("invalid value for header {}", header.name))
            })?;
            value.set_sensitive(!matches!(header.value, HeaderValue::Plain(_)));
            headers.append(name, value);
        }
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
            Method::Head => reqwest::Method::HEAD,
        };
        let retries = self.job.limits.http_retries;
        let cap = self.job.limits.response_bytes();
        let mut attempt = 0;
        loop {
            self.count_request(&url)?;
            let timeout = Duration::from_secs(u64::from(self.job.limits.http_timeout_s))
                .min(self.timer.remaining());
            let builder = self
                .http
                .request(method.clone(), url.clone())
                .headers(headers.clone())
                .timeout(timeout);
            let builder = match &request.body {
                Some(body) => builder.body(body.clone()),
                None => builder,
            };
            let outcome = self.tokio.block_on(perform(builder, cap, attempt));
            match outcome {
                Attempt::Done(response) => return self.received(response),
                Attempt::Fail(error) => {
                    if self.limit_hit.is_none() && error_is_oversize(&error) {
                        self.limit_hit = Some(LimitHit::ResponseSize {
                            limit_mib: self.job.limits.response_mib,
                            url: strip_query(&url),
                        });
                    }
                    return Err(error);
                }
                Attempt::Retry {
                    response,
                    error,
                    wait,
                } => {
                    if attempt >= retries || wait > MAX_WAIT || wait >= self.timer.remaining() {
                        return match (response, error) {
                            (Some(response), _) => self.received(response),
                            (None, error) => Err(PluginError::Transient(format!(
                                "{} failed after {} attempts: {}",
                                strip_query(&url),
                                attempt + 1,
                                error.unwrap_or_default()
                            ))),
                        };
                    }
                    tracing::debug!(url = %strip_query(&url), attempt, wait_ms = wait.as_millis() as u64, "retrying HTTP request");
                    std::thread::sleep(wait);
                    attempt += 1;
                }
            }
        }
    }

    /// Count one request against the call's and the job's ceilings and the call's deadline.
    fn count_request(&mut self, url: &Url) -> Result<(), PluginError> {
        let limits = self.job.limits;
        let hit = if self.timer.remaining().is_zero() {
            Some(LimitHit::WallClock {
                limit_s: limits.wall_s,
            })
        } else if self.usage.http_calls_in_call >= limits.http_calls_per_call {
            Some(LimitHit::HttpCallsPerCall {
                max: limits.http_calls_per_call,
            })
        } else if self.usage.http_calls_in_job >= limits.http_calls_per_sync {
            Some(LimitHit::HttpCallsPerSync {
                max: limits.http_calls_per_sync,
            })
        } else {
            None
        };
        if let Some(hit) = hit {
            return Err(self.refuse(hit, &format!("not sent to {}", strip_query(url))));
        }
        self.usage.http_calls_in_call += 1;
        self.usage.http_calls_in_job += 1;
        Ok(())
    }

    /// A response on its way to the plugin: counted against the sync's byte ceiling and
    /// scrubbed of every secret value (an endpoint may echo the request's headers).
    fn received(&mut self, response: Response) -> Result<Response, PluginError> {
        self.usage.bytes_read += response.body.len() as u64;
        self.check_bytes_read()?;
        if self.redactor.is_empty() {
            return Ok(response);
        }
        Ok(Response {
            status: response.status,
            headers: response
                .headers
                .into_iter()
                .map(|(k, v)| (k, self.redactor.text(v)))
                .collect(),
            body: self.redactor.bytes(response.body),
        })
    }

    /// Refuse more data once the sync has read its `sync_mib`.
    pub(crate) fn check_bytes_read(&mut self) -> Result<(), PluginError> {
        let limit = u64::from(self.job.limits.sync_mib) << 20;
        if self.usage.bytes_read > limit {
            let hit = LimitHit::Sync {
                what: "MiB read",
                max: self.job.limits.sync_mib.into(),
            };
            return Err(self.refuse(hit, "no more data for this sync"));
        }
        Ok(())
    }

    /// Refuse a use of a secret its manifest does not bind, and stop the job.
    fn misused_secret(&mut self, name: &str, attempted: String, url: &Url) -> PluginError {
        let granted = match self.job.grants.secret(name) {
            Some(grant) => format!("secret `{name}` only as {}", grant.describe()),
            None => format!("no use of secret `{name}`: its manifest binds it nowhere"),
        };
        let shown = origin(url);
        self.deny(format!("secret `{name}` {attempted} to {shown}"), granted);
        PluginError::Permanent(format!(
            "secret `{name}` may not be sent {attempted} to {shown}"
        ))
    }

    /// `name: value` for a secret the plugin names, placed as the manifest binds it.
    fn secret_header(
        &mut self,
        header: &str,
        use_: &SecretUse,
        url: &Url,
    ) -> Result<String, PluginError> {
        let Some(grant) = self.job.grants.secret(&use_.name).cloned() else {
            return Err(self.misused_secret(&use_.name, format!("in header {header}"), url));
        };
        if !grant.allows_url(url) {
            return Err(self.misused_secret(&use_.name, format!("in header {header}"), url));
        }
        let value = match &grant.scheme {
            SecretScheme::Bearer if header.eq_ignore_ascii_case("authorization") => {
                format!("Bearer {}", self.secret(&use_.name)?)
            }
            SecretScheme::Header { name, prefix } if header.eq_ignore_ascii_case(name) => {
                format!("{prefix}{}", self.secret(&use_.name)?)
            }
            _ => {
                return Err(self.misused_secret(&use_.name, format!("in header {header}"), url));
            }
        };
        Ok(value)
    }

    /// `Authorization: Basic …` with secrets the manifest binds to Basic credentials.
    fn basic_header(
        &mut self,
        header: &str,
        basic: &BasicAuth,
        url: &Url,
    ) -> Result<String, PluginError> {
        let part = |name: &str, this: &mut HostState| -> Result<String, PluginError> {
            let allowed = header.eq_ignore_ascii_case("authorization")
                && this
                    .job
                    .grants
                    .secret(name)
                    .is_some_and(|g| g.scheme == SecretScheme::Basic && g.allows_url(url));
            if !allowed {
                return Err(this.misused_secret(
                    name,
                    format!("as Basic credentials in header {header}"),
                    url,
                ));
            }
            this.secret(name)
        };
        let username = match basic.username.strip_prefix("secret:") {
            Some(name) => part(name, self)?,
            None => basic.username.clone(),
        };
        let password = match basic.password_secret.as_str() {
            "" => String::new(),
            name => part(name, self)?,
        };
        Ok(format!(
            "Basic {}",
            base64(&format!("{username}:{password}"))
        ))
    }

    fn secret(&self, name: &str) -> Result<String, PluginError> {
        self.job.secrets.get(name).cloned().ok_or_else(|| {
            PluginError::BadConfig(format!(
                "the connection has no secret named `{name}`; add it with `credence connection add ... --secret {name}=ENV_VAR` and set that variable"
            ))
        })
    }
}

async fn perform(builder: reqwest::RequestBuilder, cap: usize, attempt: u32) -> Attempt {
    let backoff = BACKOFF.saturating_mul(1 << attempt.min(8));
    let mut response = match builder.send().await {
        Ok(r) => r,
        Err(e) => {
            return Attempt::Retry {
                response: None,
                error: Some(describe(&e)),
                wait: backoff,
            };
        }
    };
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    if response
        .content_length()
        .is_some_and(|len| len as usize > cap)
    {
        return Attempt::Fail(oversize(cap));
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > cap {
                    return Attempt::Fail(oversize(cap));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                return Attempt::Retry {
                    response: None,
                    error: Some(format!("body cut short: {}", describe(&e))),
                    wait: backoff,
                };
            }
        }
    }
    let response = Response {
        status,
        headers,
        body,
    };
    if status == 429 || status >= 500 {
        let retry_after = response
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
            .and_then(|(_, v)| retry_after(v, chrono::Utc::now()));
        let wait = retry_after.unwrap_or(backoff);
        return Attempt::Retry {
            error: Some(format!("HTTP {status}")),
            response: Some(response),
            wait,
        };
    }
    Attempt::Done(response)
}

/// `Retry-After` as seconds or as an HTTP date (RFC 9110 allows both).
fn retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

const OVERSIZE: &str = "response body is larger than the plugin's response cap";

fn oversize(cap: usize) -> PluginError {
    PluginError::Permanent(format!("{OVERSIZE} ({} MiB)", cap >> 20))
}

fn error_is_oversize(error: &PluginError) -> bool {
    matches!(error, PluginError::Permanent(m) if m.starts_with(OVERSIZE))
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        text
    }
}

/// `scheme://host[:port]`: where a refused request was going, without path or query.
fn origin(url: &Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port().map(|p| format!(":{p}")).unwrap_or_default()
    )
}

/// The URL without its query string, for messages and logs (queries may carry identifiers).
fn strip_query(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}

pub(crate) fn base64(input: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn retry_after_takes_seconds_or_an_http_date() {
        use chrono::TimeZone;
        let now = chrono::Utc
            .with_ymd_and_hms(2015, 10, 21, 7, 27, 0)
            .single()
            .expect("date");
        let cases = [
            ("120", Some(120)),
            (" 7 ", Some(7)),
            ("Wed, 21 Oct 2015 07:28:00 GMT", Some(60)),
            ("Wed, 21 Oct 2015 07:00:00 GMT", Some(0)),
            ("soon", None),
        ];
        for (value, expected) in cases {
            assert_eq!(
                super::retry_after(value, now).map(|d| d.as_secs()),
                expected,
                "{value}"
            );
        }
    }

    #[test]
    fn basic_credentials_are_base64() {
        assert_eq!(
            super::base64("Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(super::base64("a:b"), "YTpi");
        assert_eq!(super::base64("ab:"), "YWI6");
    }
}
