//! Run a connector natively against recorded HTTP exchanges: no network, no host, plain
//! `cargo test`.
//!
//! ```no_run
//! use credence_plugin_sdk::harness::{Exchange, Harness};
//! # struct MyConnector;
//! # impl credence_plugin_sdk::Ledger for MyConnector {
//! #   fn describe() -> credence_plugin_sdk::Description { unimplemented!() }
//! #   fn read(_: String, _: Option<String>) -> Result<credence_plugin_sdk::Page, credence_plugin_sdk::PluginError> { unimplemented!() }
//! # }
//! use credence_plugin_sdk::Ledger;
//! let harness = Harness::new()
//!     .set("base_url", "https://api.vendor.test")
//!     .secret("api_token")
//!     .exchanges(Exchange::load("tests/exchanges/invoices.json").unwrap());
//! let page = harness.run(|| MyConnector::read("invoices".into(), None)).unwrap();
//! assert!(!page.records.is_empty());
//! ```
//!
//! An exchange file is a JSON array of `{ "request": { "method", "url", "headers"?,
//! "body_contains"? },
//! "response": { "status", "headers"?, "body"? | "body_text"? } }`. Expected request headers may
//! name a secret as `"secret:NAME"`: the harness checks the plugin asked the host to inject it.
//! Each exchange answers once, in file order among those that match.

use crate::bindings::http::{HeaderValue, Method, Request, Response};
use crate::bindings::{files::FileEntry, log::Level};
use crate::types::{ConfigEntry, ConfigValue, PluginError};
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// One recorded request and the response to give back.
#[derive(Debug, Clone, Deserialize)]
pub struct Exchange {
    /// What the plugin must send.
    pub request: RecordedRequest,
    /// What it gets back.
    pub response: RecordedResponse,
}

/// The request side of an [`Exchange`].
#[derive(Debug, Clone, Deserialize)]
pub struct RecordedRequest {
    /// `GET`, `POST`...
    pub method: String,
    /// The exact URL, query included.
    pub url: String,
    /// Headers that must be present; `"secret:NAME"` expects an injected secret.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Text the request body must contain (e.g. one SOAP operation's argument), when given.
    #[serde(default)]
    pub body_contains: Option<String>,
}

/// The response side of an [`Exchange`].
#[derive(Debug, Clone, Deserialize)]
pub struct RecordedResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A JSON body.
    #[serde(default)]
    pub body: Option<serde_json::Value>,
    /// A text body, used when `body` is absent.
    #[serde(default)]
    pub body_text: Option<String>,
}

impl Exchange {
    /// Load an exchange file (see the module docs for the format).
    pub fn load(path: impl AsRef<Path>) -> Result<Vec<Exchange>, String> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read exchange file {}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("exchange file {} is not valid: {e}", path.display()))
    }

    /// An exchange answering `GET url` with a JSON body.
    pub fn get_json(url: &str, status: u16, body: serde_json::Value) -> Exchange {
        Exchange {
            request: RecordedRequest {
                method: "GET".into(),
                url: url.into(),
                headers: BTreeMap::new(),
                body_contains: None,
            },
            response: RecordedResponse {
                status,
                headers: BTreeMap::new(),
                body: Some(body),
                body_text: None,
            },
        }
    }
}

/// A request the plugin sent, as the harness saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct SentRequest {
    /// Method name.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Headers; secrets appear as `secret:NAME`.
    pub headers: BTreeMap<String, String>,
}

#[derive(Default)]
struct State {
    config: Vec<ConfigEntry>,
    exchanges: Vec<(Exchange, bool)>,
    sent: Vec<SentRequest>,
    logs: Vec<(Level, String)>,
    folders: Vec<PathBuf>,
    now: Option<String>,
    replay: bool,
}

/// A pretend host for native tests of a connector.
#[derive(Clone, Default)]
pub struct Harness {
    state: Rc<RefCell<State>>,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Harness")
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Harness>> = const { RefCell::new(None) };
}

pub(crate) fn with_current<R>(f: impl FnOnce(&Harness) -> R) -> R {
    let harness = CURRENT.with(|c| c.borrow().clone());
    match harness {
        Some(h) => f(&h),
        None => panic!(
            "a host import was called outside Harness::run: natively, connector code must run inside the SDK's test harness"
        ),
    }
}

impl Harness {
    /// An empty harness: no config, no exchanges, no folders, clock at 2026-01-01T00:00:00Z.
    pub fn new() -> Self {
        Self::default()
    }

    /// A plain config value.
    pub fn set(self, key: &str, value: &str) -> Self {
        self.state.borrow_mut().config.push(ConfigEntry {
            key: key.into(),
            value: ConfigValue::Text(value.into()),
        });
        self
    }

    /// A configured secret (the plugin sees its name only).
    pub fn secret(self, key: &str) -> Self {
        self.state.borrow_mut().config.push(ConfigEntry {
            key: key.into(),
            value: ConfigValue::Secret(key.into()),
        });
        self
    }

    /// Recorded exchanges to answer requests with.
    pub fn exchanges(self, exchanges: Vec<Exchange>) -> Self {
        self.state
            .borrow_mut()
            .exchanges
            .extend(exchanges.into_iter().map(|e| (e, false)));
        self
    }

    /// Let exchanges answer any number of times, and choose among those with the same URL by
    /// their expected headers (first match in order): what the [acceptance
    /// suite](crate::acceptance) needs to read a stream twice and to send `If-Modified-Since`.
    pub fn replaying(self) -> Self {
        self.state.borrow_mut().replay = true;
        self
    }

    /// Grant read access to a folder.
    pub fn folder(self, path: impl Into<PathBuf>) -> Self {
        self.state.borrow_mut().folders.push(path.into());
        self
    }

    /// Pin the clock.
    pub fn now_at(self, rfc3339: &str) -> Self {
        self.state.borrow_mut().now = Some(rfc3339.into());
        self
    }

    /// The configuration as `check` receives it.
    pub fn config(&self) -> Vec<ConfigEntry> {
        self.state.borrow().config.clone()
    }

    /// Run connector code with this harness as its host.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let previous = CURRENT.with(|c| c.borrow_mut().replace(self.clone()));
        struct Restore(Option<Harness>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let previous = self.0.take();
                CURRENT.with(|c| *c.borrow_mut() = previous);
            }
        }
        let _restore = Restore(previous);
        f()
    }

    /// Requests sent so far.
    pub fn sent(&self) -> Vec<SentRequest> {
        self.state.borrow().sent.clone()
    }

    /// Log lines so far.
    pub fn logs(&self) -> Vec<(Level, String)> {
        self.state.borrow().logs.clone()
    }

    /// Exchanges never used: usually a sign the connector stopped paging too early.
    pub fn unused(&self) -> Vec<String> {
        self.state
            .borrow()
            .exchanges
            .iter()
            .filter(|(_, used)| !used)
            .map(|(e, _)| format!("{} {}", e.request.method, e.request.url))
            .collect()
    }

    pub(crate) fn send(&self, request: &Request) -> Result<Response, PluginError> {
        let mut state = self.state.borrow_mut();
        let mut headers = BTreeMap::new();
        for header in &request.headers {
            let shown = match &header.value {
                HeaderValue::Plain(v) => v.clone(),
                HeaderValue::Secret(s) => secret_marker(&state.config, &s.name)?,
                HeaderValue::Basic(b) => match b.username.strip_prefix("secret:") {
                    Some(key) => secret_marker(&state.config, key)?,
                    None => secret_marker(&state.config, &b.password_secret)?,
                },
            };
            headers.insert(header.name.to_ascii_lowercase(), shown);
        }
        let method = method_name(request.method).to_string();
        state.sent.push(SentRequest {
            method: method.clone(),
            url: request.url.clone(),
            headers: headers.clone(),
        });
        let replay = state.replay;
        let found = state.exchanges.iter_mut().find(|(e, used)| {
            (!*used || replay)
                && e.request.method.eq_ignore_ascii_case(&method)
                && e.request.url == request.url
                && e.request.body_contains.as_ref().is_none_or(|needle| {
                    request
                        .body
                        .as_ref()
                        .is_some_and(|b| String::from_utf8_lossy(b).contains(needle.as_str()))
                })
                && (!replay
                    || e.request.headers.iter().all(|(name, expected)| {
                        headers.get(&name.to_ascii_lowercase()) == Some(expected)
                    }))
        });
        let Some((exchange, used)) = found else {
            return Err(PluginError::Permanent(format!(
                "harness: no recorded exchange left for {method} {}",
                request.url
            )));
        };
        *used = true;
        for (name, expected) in &exchange.request.headers {
            let actual = headers.get(&name.to_ascii_lowercase());
            if actual != Some(expected) {
                return Err(PluginError::Permanent(format!(
                    "harness: {method} {} was sent with header {name}: {actual:?}, the recording expects {expected:?}",
                    request.url
                )));
            }
        }
        let response = &exchange.response;
        let body = match (&response.body, &response.body_text) {
            (Some(json), _) => serde_json::to_vec(json).unwrap_or_default(),
            (None, Some(text)) => text.clone().into_bytes(),
            (None, None) => Vec::new(),
        };
        Ok(Response {
            status: response.status,
            headers: response
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            body,
        })
    }

    pub(crate) fn log(&self, level: Level, message: &str) {
        self.state
            .borrow_mut()
            .logs
            .push((level, message.to_string()));
    }

    pub(crate) fn config_get(&self, key: &str) -> Option<ConfigValue> {
        self.state
            .borrow()
            .config
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.clone())
    }

    pub(crate) fn config_entries(&self) -> Vec<ConfigEntry> {
        self.config()
    }

    pub(crate) fn now(&self) -> String {
        self.state
            .borrow()
            .now
            .clone()
            .unwrap_or_else(|| "2026-01-01T00:00:00Z".to_string())
    }

    pub(crate) fn now_millis(&self) -> i64 {
        // Only the default instant is supported natively without a date library.
        1_767_225_600_000
    }

    fn granted(&self, path: &str) -> Result<PathBuf, PluginError> {
        let wanted = PathBuf::from(path);
        let state = self.state.borrow();
        if state.folders.iter().any(|f| wanted.starts_with(f)) && !path.contains("..") {
            Ok(wanted)
        } else {
            Err(PluginError::Permanent(format!(
                "harness: {path} is outside the granted folders"
            )))
        }
    }

    pub(crate) fn list_dir(&self, path: &str) -> Result<Vec<FileEntry>, PluginError> {
        let dir = self.granted(path)?;
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| PluginError::Permanent(format!("cannot list {path}: {e}")))?;
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let meta = entry
                .metadata()
                .map_err(|e| PluginError::Permanent(e.to_string()))?;
            out.push(FileEntry {
                path: entry.path().to_string_lossy().into_owned(),
                name: entry.file_name().to_string_lossy().into_owned(),
                is_dir: meta.is_dir(),
                size: meta.len(),
                modified: None,
            });
        }
        Ok(out)
    }

    pub(crate) fn read_file(&self, path: &str) -> Result<Vec<u8>, PluginError> {
        let file = self.granted(path)?;
        std::fs::read(file).map_err(|e| PluginError::Permanent(format!("cannot read {path}: {e}")))
    }
}

fn secret_marker(config: &[ConfigEntry], name: &str) -> Result<String, PluginError> {
    let configured = config
        .iter()
        .any(|e| matches!(&e.value, ConfigValue::Secret(s) if s == name));
    if configured {
        Ok(format!("secret:{name}"))
    } else {
        Err(PluginError::BadConfig(format!(
            "the connection has no secret named `{name}`"
        )))
    }
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
        Method::Head => "HEAD",
    }
}

/// A folder of the real third-party data conformance tests read (`$CREDENCE_REALDATA`, else
/// `../shared/realdata` beside the repository): `relative` inside it, or `None` with a
/// `SKIPPED` line when it is absent. The data is never copied into the repository.
pub fn realdata(relative: &str) -> Option<std::path::PathBuf> {
    let root = std::env::var_os("CREDENCE_REALDATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/realdata")
        });
    let path = root.join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "SKIPPED: {} not found (set CREDENCE_REALDATA)",
            path.display()
        );
        None
    }
}
