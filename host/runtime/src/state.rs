//! The per-job state a plugin's store carries: its connection, grants, limits and the record
//! of anything it ran into. A fresh [`HostState`] (and `Store`) is made for every job.

use super::bindings::types::{ConfigEntry, ConfigValue, PluginError};
use super::grants::Grants;
use super::limits::{LimitHit, Limiter, Limits};
use super::stdio::CapturedOutput;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Most bytes of a plugin's stdout/stderr kept per job (panic messages land here).
const STDIO_CAPACITY: usize = 64 * 1024;

/// What a plugin did that its grants do not allow. Sticky for the job: the job fails with it
/// even if the plugin swallowed the error it got back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// What was attempted, e.g. "HTTP request to https://evil.example/".
    pub attempted: String,
    /// What the manifest grants instead.
    pub granted: String,
}

/// The host's clock as a plugin sees it: real time, or pinned (tests, replays).
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t,
        }
    }
}

/// Everything a job needs to serve one plugin for one connection.
#[derive(Debug, Clone)]
pub struct JobContext {
    pub plugin_id: String,
    pub connection: String,
    /// Plain settings and secret names, as the plugin will see them.
    pub config: Vec<ConfigEntry>,
    /// Secret name → value. Never handed to the guest, never logged.
    pub secrets: BTreeMap<String, String>,
    pub grants: Grants,
    pub limits: Limits,
    pub clock: Clock,
}

impl JobContext {
    /// A job outside any connection (install checks, `plugin inspect`): no settings, no secrets,
    /// no grants, so the plugin can only describe itself. `purpose` names it in logs and errors.
    pub fn standalone(plugin_id: &str, purpose: &str, limits: Limits) -> JobContext {
        JobContext {
            plugin_id: plugin_id.to_string(),
            connection: format!("({purpose})"),
            config: Vec::new(),
            secrets: BTreeMap::new(),
            grants: Grants::default(),
            limits,
            clock: Clock::System,
        }
    }
}

/// Timing of the call in progress, for the CPU budget and the wall-clock deadline.
#[derive(Debug)]
pub struct CallTimer {
    pub started: Instant,
    /// Time spent in host imports (HTTP, files) during this call: not the guest's CPU.
    pub in_host: Duration,
    /// When the call must have ended, whatever it is doing (`wall_s`).
    pub deadline: Instant,
}

impl CallTimer {
    pub fn guest_time(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.in_host)
    }

    /// Wall-clock time left in this call (zero once the deadline passed).
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

/// What one job has consumed so far, for the per-call and per-sync ceilings.
#[derive(Debug, Default)]
pub struct Usage {
    /// HTTP requests sent during the current call (retries included).
    pub http_calls_in_call: u32,
    /// HTTP requests sent during the whole job.
    pub http_calls_in_job: u32,
    /// Bytes of HTTP bodies and files handed to the plugin during the whole job.
    pub bytes_read: u64,
}

/// The data of a plugin's `Store`.
pub struct HostState {
    pub job: JobContext,
    pub limiter: Limiter,
    pub http: reqwest::Client,
    pub tokio: tokio::runtime::Handle,
    pub violation: Option<Violation>,
    pub limit_hit: Option<LimitHit>,
    pub timer: CallTimer,
    pub usage: Usage,
    /// Scrubs the job's secret values from whatever comes back from outside.
    pub redactor: super::redact::Redactor,
    /// Log lines accepted during the current call (capped to keep a chatty plugin in check).
    pub log_lines: u32,
    pub stderr: CapturedOutput,
    /// How much of `stderr` was already forwarded to the log.
    pub stderr_seen: usize,
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
}

impl HostState {
    pub fn new(job: JobContext, http: reqwest::Client, tokio: tokio::runtime::Handle) -> Self {
        let stderr = CapturedOutput::new(STDIO_CAPACITY);
        let wall = job.limits.wall();
        let redactor = super::redact::Redactor::new(job.secrets.values().map(String::as_str));
        // WASI is linked only for what Rust's std needs (stdio, exit, clocks, random), with an
        // empty environment, no arguments, no preopened folders and no network.
        let wasi = WasiCtx::builder()
            .stdout(stderr.clone())
            .stderr(stderr.clone())
            .build();
        HostState {
            limiter: Limiter::new(&job.limits),
            job,
            http,
            tokio,
            violation: None,
            limit_hit: None,
            timer: CallTimer {
                started: Instant::now(),
                in_host: Duration::ZERO,
                deadline: Instant::now() + wall,
            },
            usage: Usage::default(),
            redactor,
            log_lines: 0,
            stderr,
            stderr_seen: 0,
            wasi,
            table: ResourceTable::new(),
        }
    }

    /// A plain setting of the connection.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.job
            .config
            .iter()
            .find(|e| e.key == key)
            .and_then(|e| match &e.value {
                ConfigValue::Text(v) => Some(v.as_str()),
                ConfigValue::Secret(_) => None,
            })
    }

    /// Output the plugin wrote to stdout/stderr since the last call.
    pub fn take_stdio(&mut self) -> String {
        let written = self.stderr.written();
        if written == self.stderr_seen {
            return String::new();
        }
        self.stderr_seen = written;
        String::from_utf8_lossy(&self.stderr.take())
            .trim()
            .to_string()
    }

    /// A limit this job ran into inside a host import: remembered (the first one wins; the epoch
    /// callback stops the plugin at its next tick even if it ignores the error) and returned as
    /// the import's error, `what` saying what was not done.
    pub fn refuse(&mut self, hit: LimitHit, what: &str) -> PluginError {
        let message = format!("{what}: {hit}");
        self.limit_hit.get_or_insert(hit);
        PluginError::Permanent(message)
    }

    /// Remember a refused capability (first one wins).
    pub fn deny(&mut self, attempted: String, granted: String) {
        if self.violation.is_none() {
            self.violation = Some(Violation { attempted, granted });
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
