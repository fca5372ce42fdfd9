//! One job of one plugin for one connection: a fresh store, an instance, and calls that are
//! each bounded in memory and CPU and explained when they fail.

use super::bindings::types::{CompanySubject, ConfigEntry, Description, Page, PluginError};
use super::bindings::{bureau::Bureau, ledger::Ledger};
use super::imports::escape_controls;
use super::limits::LimitHit;
use super::redact::Redactor;
use super::state::{HostState, JobContext, Violation};
use super::{EPOCH_TICK, Plugin, PluginKind, PluginPre};
use std::time::{Duration, Instant};
use wasmtime::{Store, UpdateDeadline};

/// Why a plugin call did not produce a result. Every variant names the plugin and the
/// connection, and says what the user can do.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The plugin answered with one of the contract's errors.
    #[error("plugin {plugin} (connection {connection}): {} error: {}", plugin_error_kind(.error), plugin_error_message(.error))]
    Plugin {
        plugin: String,
        connection: String,
        error: PluginError,
    },
    /// The plugin ran into a resource limit and was stopped.
    #[error(
        "plugin {plugin} (connection {connection}) was stopped: {hit}. Other connections are not affected; if the plugin needs more, raise `limits` in its manifest (within the host's `[runtime.limits]`)"
    )]
    Limit {
        plugin: String,
        connection: String,
        hit: LimitHit,
    },
    /// The plugin tried to use something its manifest does not grant.
    #[error("plugin {plugin} (connection {connection}) was refused a capability: {} (it may use {}). The job was stopped; report this to the plugin's author", .violation.attempted, .violation.granted)]
    Capability {
        plugin: String,
        connection: String,
        violation: Violation,
    },
    /// The plugin crashed (a panic or another trap).
    #[error("plugin {plugin} (connection {connection}) crashed in `{call}`: {message}")]
    Crash {
        plugin: String,
        connection: String,
        call: &'static str,
        message: String,
    },
    /// The job could not start (instantiation, pool exhausted...).
    #[error("plugin {plugin} (connection {connection}) could not start: {detail}")]
    Setup {
        plugin: String,
        connection: String,
        detail: String,
    },
}

fn plugin_error_kind(e: &PluginError) -> &'static str {
    match e {
        PluginError::Auth(_) => "authentication",
        PluginError::RateLimited(_) => "rate-limited",
        PluginError::Transient(_) => "temporary",
        PluginError::BadConfig(_) => "configuration",
        PluginError::Permanent(_) => "permanent",
    }
}

fn plugin_error_message(e: &PluginError) -> String {
    match e {
        PluginError::Auth(m) => format!("{m} (renew the connection's secret)"),
        PluginError::RateLimited(r) => {
            format!("{} (retry after {} s)", r.message, r.retry_after_seconds)
        }
        PluginError::Transient(m) => format!("{m} (will be retried from the saved cursor)"),
        PluginError::BadConfig(m) | PluginError::Permanent(m) => m.clone(),
    }
}

impl CallError {
    /// How long the vendor asked to wait, when the plugin reported a rate limit.
    pub fn retry_after_seconds(&self) -> Option<u32> {
        match self {
            CallError::Plugin {
                error: PluginError::RateLimited(r),
                ..
            } => Some(r.retry_after_seconds),
            _ => None,
        }
    }

    /// A stable short name for reports and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::Plugin { error, .. } => match error {
                PluginError::Auth(_) => "auth",
                PluginError::RateLimited(_) => "rate-limited",
                PluginError::Transient(_) => "transient",
                PluginError::BadConfig(_) => "bad-config",
                PluginError::Permanent(_) => "permanent",
            },
            CallError::Limit { .. } => "limit",
            CallError::Capability { .. } => "capability",
            CallError::Crash { .. } => "crash",
            CallError::Setup { .. } => "setup",
        }
    }
}

enum Instance {
    Ledger(Ledger),
    Bureau(Bureau),
}

/// A running job. Drop it to free the instance.
pub struct Session {
    store: Store<HostState>,
    instance: Option<Instance>,
    kind: PluginKind,
    /// Set after a crash or limit: the instance's state is undefined, no more calls.
    poisoned: Option<String>,
    /// Guest time of the last call (wall time minus time spent in host imports).
    last_guest_time: Duration,
}

impl Session {
    pub(super) fn start(
        plugin: &Plugin,
        job: JobContext,
        tokio: tokio::runtime::Handle,
    ) -> Result<Session, CallError> {
        let mut store = Store::new(
            &plugin.engine,
            HostState::new(job, plugin.http.clone(), tokio),
        );
        store.limiter(|s| &mut s.limiter);
        store.epoch_deadline_callback(|mut ctx| {
            let state = ctx.data_mut();
            // A limit a host import refused (requests, bytes, a read past the deadline) stops
            // the plugin at the next tick even if it ignored the error it got back.
            if state.limit_hit.is_some() {
                return Err(wasmtime::Error::msg("limit reached"));
            }
            if state.timer.remaining().is_zero() {
                state.limit_hit = Some(LimitHit::WallClock {
                    limit_s: state.job.limits.wall_s,
                });
                return Err(wasmtime::Error::msg("wall-clock limit reached"));
            }
            let budget = Duration::from_millis(state.job.limits.cpu_ms);
            let used = state.timer.guest_time();
            if used >= budget {
                state.limit_hit = Some(LimitHit::Cpu {
                    limit_ms: state.job.limits.cpu_ms,
                });
                return Err(wasmtime::Error::msg("CPU limit reached"));
            }
            // Wake again when either budget could run out, whichever is first.
            let left = (budget - used).min(state.timer.remaining());
            let ticks = left.as_millis() as u64 / EPOCH_TICK.as_millis() as u64;
            Ok(UpdateDeadline::Continue(ticks.max(1)))
        });
        let mut session = Session {
            store,
            instance: None,
            kind: plugin.kind,
            poisoned: None,
            last_guest_time: Duration::ZERO,
        };
        let instance = session.call("instantiate", |store, _| match &plugin.pre {
            PluginPre::Ledger(pre) => pre.instantiate(store).map(|i| Ok(Instance::Ledger(i))),
            PluginPre::Bureau(pre) => pre.instantiate(store).map(|i| Ok(Instance::Bureau(i))),
        });
        match instance {
            Ok(instance) => {
                session.instance = Some(instance);
                Ok(session)
            }
            Err(CallError::Crash {
                plugin,
                connection,
                message,
                ..
            }) => Err(CallError::Setup {
                plugin,
                connection,
                detail: message,
            }),
            Err(other) => Err(other),
        }
    }

    /// The plugin's self-description.
    pub fn describe(&mut self) -> Result<Description, CallError> {
        self.call("describe", |store, instance| {
            Ok(Ok(match instance {
                Some(Instance::Ledger(i)) => i.call_describe(store)?,
                Some(Instance::Bureau(i)) => i.call_describe(store)?,
                None => unreachable_instance()?,
            }))
        })
    }

    /// Validate the connection.
    pub fn check(&mut self, config: &[ConfigEntry]) -> Result<(), CallError> {
        self.call("check", |store, instance| match instance {
            Some(Instance::Ledger(i)) => i.call_check(store, config),
            Some(Instance::Bureau(i)) => i.call_check(store, config),
            None => unreachable_instance(),
        })
    }

    /// One page of a stream.
    pub fn read(&mut self, stream: &str, cursor: Option<&str>) -> Result<Page, CallError> {
        let span = tracing::debug_span!("read", stream, cursor);
        let _enter = span.enter();
        self.call("read", |store, instance| match instance {
            Some(Instance::Ledger(i)) => i.call_read(store, stream, cursor),
            Some(Instance::Bureau(i)) => i.call_read(store, stream, cursor),
            None => unreachable_instance(),
        })
    }

    /// One page of reports about a company (bureau plugins only).
    pub fn lookup(
        &mut self,
        subject: &CompanySubject,
        cursor: Option<&str>,
    ) -> Result<Page, CallError> {
        if self.kind != PluginKind::Bureau {
            let job = &self.store.data().job;
            return Err(CallError::Setup {
                plugin: job.plugin_id.clone(),
                connection: job.connection.clone(),
                detail: "lookups need a bureau plugin; this one is a ledger".into(),
            });
        }
        self.call("lookup", |store, instance| match instance {
            Some(Instance::Bureau(i)) => i.call_lookup(store, subject, cursor),
            _ => unreachable_instance(),
        })
    }

    /// Time the last call spent inside the guest (excluding HTTP and file access by the host).
    pub fn last_guest_time(&self) -> Duration {
        self.last_guest_time
    }

    /// The job's context (plugin, connection, grants, limits).
    pub fn job(&self) -> &JobContext {
        &self.store.data().job
    }

    /// Run one guest call with a fresh CPU budget, inside a span naming plugin and connection,
    /// and turn whatever happened into a result or a [`CallError`].
    fn call<R>(
        &mut self,
        name: &'static str,
        f: impl FnOnce(
            &mut Store<HostState>,
            Option<&Instance>,
        ) -> wasmtime::Result<Result<R, PluginError>>,
    ) -> Result<R, CallError> {
        if let Some(reason) = &self.poisoned {
            let message = format!("not called: the instance stopped earlier ({reason})");
            let (plugin, connection) = self.names();
            return Err(CallError::Crash {
                plugin,
                connection,
                call: name,
                message,
            });
        }
        let span = {
            let job = &self.store.data().job;
            tracing::info_span!("plugin_call", plugin = %job.plugin_id, connection = %job.connection, call = name)
        };
        let _enter = span.enter();
        let ticks = {
            let state = self.store.data_mut();
            let now = Instant::now();
            state.timer.started = now;
            state.timer.in_host = Duration::ZERO;
            state.timer.deadline = now + state.job.limits.wall();
            state.usage.http_calls_in_call = 0;
            state.log_lines = 0;
            let first = Duration::from_millis(state.job.limits.cpu_ms).min(state.job.limits.wall());
            first.as_millis() as u64 / EPOCH_TICK.as_millis() as u64
        };
        self.store.set_epoch_deadline(ticks.max(1));
        let outcome = f(&mut self.store, self.instance.as_ref());
        let state = self.store.data_mut();
        self.last_guest_time = state.timer.guest_time();
        let stdio = state.take_stdio();
        let stdio = state.redactor.text(stdio);
        if !stdio.is_empty() {
            tracing::warn!(target: "plugin", output = %escape_controls(&stdio), "plugin wrote to stdout/stderr");
        }
        let outcome = outcome.map(|r| r.map_err(|e| scrub(e, &state.redactor)));
        let violation = state.violation.clone();
        let hit = state
            .limit_hit
            .clone()
            .or_else(|| state.limiter.hit.clone());
        if let Some(violation) = violation {
            self.poisoned = Some("capability refused".into());
            let (plugin, connection) = self.names();
            return Err(CallError::Capability {
                plugin,
                connection,
                violation,
            });
        }
        if let Some(hit) = hit {
            self.poisoned = Some(hit.to_string());
            let (plugin, connection) = self.names();
            return Err(CallError::Limit {
                plugin,
                connection,
                hit,
            });
        }
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                let (plugin, connection) = self.names();
                Err(CallError::Plugin {
                    plugin,
                    connection,
                    error,
                })
            }
            Err(trap) => {
                let mut message = match trap.downcast_ref::<wasmtime::Trap>() {
                    Some(wasmtime::Trap::UnreachableCodeReached) if stdio.contains("panicked") => {
                        "the plugin panicked".to_string()
                    }
                    Some(t) => format!("trap: {t}"),
                    None => format!("{trap:#}"),
                };
                if !stdio.is_empty() {
                    message.push_str(&format!(
                        " — plugin output: {}",
                        escape_controls(&last_lines(&stdio, 5))
                    ));
                }
                self.poisoned = Some("crashed".into());
                let (plugin, connection) = self.names();
                Err(CallError::Crash {
                    plugin,
                    connection,
                    call: name,
                    message,
                })
            }
        }
    }

    fn names(&self) -> (String, String) {
        let job = &self.store.data().job;
        (job.plugin_id.clone(), job.connection.clone())
    }
}

/// A plugin's error as a person may see it: no secret value, no control characters.
fn scrub(error: PluginError, redactor: &Redactor) -> PluginError {
    let clean = |m: String| escape_controls(&redactor.text(m));
    match error {
        PluginError::Auth(m) => PluginError::Auth(clean(m)),
        PluginError::Transient(m) => PluginError::Transient(clean(m)),
        PluginError::BadConfig(m) => PluginError::BadConfig(clean(m)),
        PluginError::Permanent(m) => PluginError::Permanent(clean(m)),
        PluginError::RateLimited(mut r) => {
            r.message = clean(r.message);
            PluginError::RateLimited(r)
        }
    }
}

fn unreachable_instance<T>() -> wasmtime::Result<T> {
    Err(wasmtime::Error::msg(
        "no instance (this call does not exist for this plugin kind)",
    ))
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}
