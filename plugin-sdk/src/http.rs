//! Outbound HTTP through the host.
//!
//! The host only lets requests through to hosts the manifest declares, injects secrets the
//! plugin names (the plugin never sees their values), enforces timeouts and a response-size cap,
//! and retries 429/5xx with backoff. What reaches the plugin is the final response.
//!
//! ```no_run
//! use credence_plugin_sdk::http;
//! # fn demo() -> Result<(), credence_plugin_sdk::PluginError> {
//! let invoices: serde_json::Value = http::get("https://api.example.com/invoices")
//!     .query("page", "2")
//!     .bearer_secret("access_token")
//!     .send()?
//!     .success()?
//!     .json("invoices page 2")?;
//! # Ok(()) }
//! ```

pub use crate::bindings::http::{
    BasicAuth, Header, HeaderValue, Method, Request, Response, SecretUse,
};
use crate::{ErrorExt, PluginError, types::RateLimit};

/// Start a GET request.
pub fn get(url: &str) -> RequestBuilder {
    RequestBuilder::new(Method::Get, url)
}

/// Start a POST request.
pub fn post(url: &str) -> RequestBuilder {
    RequestBuilder::new(Method::Post, url)
}

/// Build a request step by step.
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    request: Request,
    has_query: bool,
}

impl RequestBuilder {
    /// A request with `method` to `url` (which may already carry a query string).
    pub fn new(method: Method, url: &str) -> Self {
        RequestBuilder {
            has_query: url.contains('?'),
            request: Request {
                method,
                url: url.to_string(),
                headers: Vec::new(),
                body: None,
            },
        }
    }

    /// Append a query parameter, percent-encoded.
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.request
            .url
            .push(if self.has_query { '&' } else { '?' });
        self.has_query = true;
        self.request.url.push_str(&percent_encode(name));
        self.request.url.push('=');
        self.request.url.push_str(&percent_encode(value));
        self
    }

    /// A plain header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request.headers.push(Header {
            name: name.to_string(),
            value: HeaderValue::Plain(value.to_string()),
        });
        self
    }

    /// `Authorization: Bearer <secret>`, the secret injected by the host.
    pub fn bearer_secret(self, secret_name: &str) -> Self {
        self.secret_header("Authorization", "Bearer ", secret_name)
    }

    /// `name: prefix<secret>`, the secret injected by the host.
    pub fn secret_header(mut self, name: &str, prefix: &str, secret_name: &str) -> Self {
        self.request.headers.push(Header {
            name: name.to_string(),
            value: HeaderValue::Secret(SecretUse {
                name: secret_name.to_string(),
                prefix: prefix.to_string(),
            }),
        });
        self
    }

    /// HTTP Basic authentication with a password kept by the host.
    pub fn basic_auth(mut self, username: &str, password_secret: &str) -> Self {
        self.request.headers.push(Header {
            name: "Authorization".to_string(),
            value: HeaderValue::Basic(BasicAuth {
                username: username.to_string(),
                password_secret: password_secret.to_string(),
            }),
        });
        self
    }

    /// HTTP Basic authentication whose user name is an API key the host keeps (and whose
    /// password is empty), as Companies House expects.
    pub fn basic_auth_key(mut self, key_secret: &str) -> Self {
        self.request.headers.push(Header {
            name: "Authorization".to_string(),
            value: HeaderValue::Basic(BasicAuth {
                username: format!("secret:{key_secret}"),
                password_secret: String::new(),
            }),
        });
        self
    }

    /// A request body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.request.body = Some(body.into());
        self
    }

    /// The request as built.
    pub fn build(self) -> Request {
        self.request
    }

    /// Send it through the host.
    pub fn send(self) -> Result<Response, PluginError> {
        crate::host::send(&self.request)
    }
}

/// Percent-encode a query component (RFC 3986 unreserved characters pass through).
pub fn percent_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for byte in input.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy), for error messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Map a non-2xx status to the contract's error kinds:
    /// 401/403 → `auth`, 429 → `rate-limited` (with `Retry-After`), 5xx and 408 → `transient`,
    /// other 4xx → `permanent`. The message carries the status and the start of the body.
    pub fn success(self) -> Result<Response, PluginError> {
        if (200..300).contains(&self.status) {
            return Ok(self);
        }
        let snippet: String = self.text().chars().take(300).collect();
        let message = format!("HTTP {}: {}", self.status, snippet.trim());
        Err(match self.status {
            401 | 403 => PluginError::auth(message),
            429 => PluginError::RateLimited(RateLimit {
                retry_after_seconds: self
                    .header("retry-after")
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(60),
                message,
            }),
            408 | 500..=599 => PluginError::transient(message),
            _ => PluginError::permanent(message),
        })
    }
    /// Like [`success`](Self::success), with the error worded by the connector (the vendor's
    /// own error body, a hint of what to renew or check): the kind still follows the status and
    /// a 429 keeps its `Retry-After`.
    pub fn success_or(
        self,
        explain: impl FnOnce(&Response) -> String,
    ) -> Result<Response, PluginError> {
        if (200..300).contains(&self.status) {
            return Ok(self);
        }
        let message = explain(&self);
        Err(match self.success() {
            Err(PluginError::RateLimited(r)) => PluginError::RateLimited(RateLimit {
                retry_after_seconds: r.retry_after_seconds,
                message,
            }),
            Err(PluginError::Auth(_)) => PluginError::auth(message),
            Err(PluginError::Transient(_)) => PluginError::transient(message),
            _ => PluginError::permanent(message),
        })
    }

    /// Decode the body as JSON; `what` names the payload in the error (e.g. "invoices page 3").
    pub fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T, PluginError> {
        crate::json::decode(&self.body, what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_encoded_and_joined() {
        let request = get("https://h.example/a?x=1")
            .query("where", "Date >= 2024-01-01")
            .build();
        assert_eq!(
            request.url,
            "https://h.example/a?x=1&where=Date%20%3E%3D%202024-01-01"
        );
        let request = get("https://h.example/a")
            .query("page", "2")
            .query("q", "a&b")
            .build();
        assert_eq!(request.url, "https://h.example/a?page=2&q=a%26b");
    }

    #[test]
    fn statuses_map_to_error_kinds() {
        let response = |status, headers: Vec<(String, String)>| Response {
            status,
            headers,
            body: b"nope".to_vec(),
        };
        assert!(matches!(
            response(401, vec![]).success(),
            Err(PluginError::Auth(_))
        ));
        match response(429, vec![("Retry-After".into(), "7".into())]).success() {
            Err(PluginError::RateLimited(r)) => assert_eq!(r.retry_after_seconds, 7),
            other => panic!("expected rate-limited, got {other:?}"),
        }
        assert!(matches!(
            response(503, vec![]).success(),
            Err(PluginError::Transient(_))
        ));
        assert!(
            matches!(response(404, vec![]).success(), Err(PluginError::Permanent(m)) if m.contains("404"))
        );
        assert!(response(204, vec![]).success().is_ok());
    }

    #[test]
    fn a_connector_words_the_error_and_the_status_keeps_its_kind() {
        let response = |status, headers: Vec<(String, String)>| Response {
            status,
            headers,
            body: b"{\"Message\":\"slow down\"}".to_vec(),
        };
        let explain = |r: &Response| format!("Vendor said {}: {}", r.status, r.text());
        match response(429, vec![("Retry-After".into(), "9".into())]).success_or(explain) {
            Err(PluginError::RateLimited(r)) => {
                assert_eq!(r.retry_after_seconds, 9);
                assert!(r.message.starts_with("Vendor said 429"), "{}", r.message);
            }
            other => panic!("expected rate-limited, got {other:?}"),
        }
        assert!(
            matches!(response(401, vec![]).success_or(explain), Err(PluginError::Auth(m)) if m.contains("slow down"))
        );
        assert!(matches!(
            response(502, vec![]).success_or(explain),
            Err(PluginError::Transient(_))
        ));
        assert!(response(200, vec![]).success_or(explain).is_ok());
    }
}
