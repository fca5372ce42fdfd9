//! Resource limits of a plugin job and how hitting one is recognised.
//!
//! Limits come from the plugin's manifest and are capped by the host configuration: a plugin can
//! ask for less than the operator allows, never more. Memory is enforced by a [`StoreLimits`]
//! limiter, CPU by an epoch deadline that counts only time spent inside the guest (time the
//! host spends on the plugin's HTTP requests does not count), response size by the HTTP import.
//!
//! CPU alone does not bound a call: a plugin that sleeps, waits on slow HTTP or reads a pipe
//! uses no CPU. So every call also has a wall-clock deadline (`wall_s`) that the epoch callback,
//! the HTTP and file imports and the WASI clocks all respect, and a number of HTTP requests it may
//! make; a whole sync has ceilings too (pages, records, bytes read, minutes), so a plugin that
//! always says "there is more" cannot run forever.

use serde::{Deserialize, Serialize};
use std::fmt;
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};

/// Limits for one plugin job. Every field is optional in a manifest; missing ones take the
/// host's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Linear memory of the plugin, in MiB.
    pub memory_mib: u32,
    /// Guest CPU time allowed for one call (`read`, `check`...), in milliseconds.
    pub cpu_ms: u64,
    /// Largest HTTP response body the host will read for the plugin, in MiB.
    pub response_mib: u32,
    /// Timeout of one HTTP request, in seconds.
    pub http_timeout_s: u32,
    /// Retries of a request answered 429 or 5xx (or failing to connect).
    pub http_retries: u32,
    /// Wall-clock time one call (`read`, `check`...) may take, in seconds, whatever it waits on.
    pub wall_s: u32,
    /// HTTP requests one call may make (retries included).
    pub http_calls_per_call: u32,
    /// HTTP requests one job (a whole sync of a connection) may make.
    pub http_calls_per_sync: u32,
    /// Pages one sync may read, over all streams.
    pub sync_pages: u32,
    /// Records one sync may read, over all streams.
    pub sync_records: u64,
    /// Bytes one sync may read from HTTP responses and files, in MiB.
    pub sync_mib: u32,
    /// Wall-clock time one sync may take, in minutes.
    pub sync_minutes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_mib: 128,
            cpu_ms: 10_000,
            response_mib: 32,
            http_timeout_s: 30,
            http_retries: 4,
            wall_s: 120,
            http_calls_per_call: 1_000,
            http_calls_per_sync: 100_000,
            sync_pages: 100_000,
            sync_records: 10_000_000,
            sync_mib: 4_096,
            sync_minutes: 240,
        }
    }
}

/// The smallest ceilings an operator may set in `[runtime.limits]`: below them no plugin built
/// with the SDK can start, and the failure would be blamed on the plugin.
pub const MINIMUM: Limits = Limits {
    // A Rust component's 1 MiB stack, data and a working heap.
    memory_mib: 4,
    cpu_ms: 100,
    response_mib: 1,
    http_timeout_s: 1,
    http_retries: 0,
    wall_s: 1,
    http_calls_per_call: 1,
    http_calls_per_sync: 1,
    sync_pages: 1,
    sync_records: 1,
    sync_mib: 1,
    sync_minutes: 1,
};

impl Limits {
    /// This request capped, field by field, by what the host allows.
    pub fn capped_by(self, cap: &Limits) -> Limits {
        Limits {
            memory_mib: self.memory_mib.min(cap.memory_mib),
            cpu_ms: self.cpu_ms.min(cap.cpu_ms),
            response_mib: self.response_mib.min(cap.response_mib),
            http_timeout_s: self.http_timeout_s.min(cap.http_timeout_s),
            http_retries: self.http_retries.min(cap.http_retries),
            wall_s: self.wall_s.min(cap.wall_s),
            http_calls_per_call: self.http_calls_per_call.min(cap.http_calls_per_call),
            http_calls_per_sync: self.http_calls_per_sync.min(cap.http_calls_per_sync),
            sync_pages: self.sync_pages.min(cap.sync_pages),
            sync_records: self.sync_records.min(cap.sync_records),
            sync_mib: self.sync_mib.min(cap.sync_mib),
            sync_minutes: self.sync_minutes.min(cap.sync_minutes),
        }
    }

    /// Every field at or above [`MINIMUM`]; otherwise which field is too small and its floor.
    pub fn check_minimum(&self) -> Result<(), String> {
        let fields: [(&str, u64, u64); 11] = [
            (
                "memory_mib",
                self.memory_mib.into(),
                MINIMUM.memory_mib.into(),
            ),
            ("cpu_ms", self.cpu_ms, MINIMUM.cpu_ms),
            (
                "response_mib",
                self.response_mib.into(),
                MINIMUM.response_mib.into(),
            ),
            (
                "http_timeout_s",
                self.http_timeout_s.into(),
                MINIMUM.http_timeout_s.into(),
            ),
            ("wall_s", self.wall_s.into(), MINIMUM.wall_s.into()),
            ("http_calls_per_call", self.http_calls_per_call.into(), 1),
            ("http_calls_per_sync", self.http_calls_per_sync.into(), 1),
            ("sync_pages", self.sync_pages.into(), 1),
            ("sync_records", self.sync_records, 1),
            ("sync_mib", self.sync_mib.into(), 1),
            ("sync_minutes", self.sync_minutes.into(), 1),
        ];
        match fields.iter().find(|(_, value, floor)| value < floor) {
            Some((name, value, floor)) => Err(format!(
                "`{name} = {value}` is below the smallest workable value, {floor}"
            )),
            None => Ok(()),
        }
    }

    /// Wall-clock budget of one call.
    pub fn wall(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.wall_s.into())
    }

    /// Memory limit in bytes.
    pub fn memory_bytes(&self) -> usize {
        (self.memory_mib as usize).saturating_mul(1 << 20)
    }

    /// Response size cap in bytes.
    pub fn response_bytes(&self) -> usize {
        (self.response_mib as usize).saturating_mul(1 << 20)
    }
}

/// Which limit a plugin ran into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "limit")]
pub enum LimitHit {
    /// The guest tried to grow its memory past the limit.
    Memory {
        limit_mib: u32,
        requested_bytes: usize,
    },
    /// The guest computed for longer than its CPU budget in one call.
    Cpu { limit_ms: u64 },
    /// An HTTP response body was larger than the cap.
    ResponseSize { limit_mib: u32, url: String },
    /// One call took longer than its wall-clock budget (sleeping, slow HTTP, a blocked read).
    WallClock { limit_s: u32 },
    /// Too many HTTP requests in one call.
    HttpCallsPerCall { max: u32 },
    /// Too many HTTP requests in one job (a whole sync).
    HttpCallsPerSync { max: u32 },
    /// A sync ceiling: pages, records, bytes or minutes.
    Sync { what: &'static str, max: u64 },
    /// The plugin returned the cursor it was given and said there was more: it would loop.
    StuckCursor { stream: String },
}

impl fmt::Display for LimitHit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitHit::Memory {
                limit_mib,
                requested_bytes,
            } => write!(
                f,
                "memory limit of {limit_mib} MiB hit (the plugin asked for {} MiB)",
                requested_bytes.div_ceil(1 << 20)
            ),
            LimitHit::Cpu { limit_ms } => {
                write!(
                    f,
                    "CPU limit of {limit_ms} ms per call hit (the plugin kept computing)"
                )
            }
            LimitHit::ResponseSize { limit_mib, url } => {
                write!(f, "response-size limit of {limit_mib} MiB hit by {url}")
            }
            LimitHit::WallClock { limit_s } => write!(
                f,
                "wall-clock limit of {limit_s} s per call hit (the plugin kept waiting: sleeping, on slow HTTP or on a read)"
            ),
            LimitHit::HttpCallsPerCall { max } => {
                write!(f, "limit of {max} HTTP requests per call hit")
            }
            LimitHit::HttpCallsPerSync { max } => {
                write!(f, "limit of {max} HTTP requests per sync hit")
            }
            LimitHit::Sync { what, max } => {
                write!(
                    f,
                    "sync limit of {max} {what} hit (`sync_{}` in `[runtime.limits]`); what was read so far is committed",
                    sync_key(what)
                )
            }
            LimitHit::StuckCursor { stream } => write!(
                f,
                "stream {stream}: the plugin returned a cursor it had already returned and said there was more, so the sync would never end"
            ),
        }
    }
}

fn sync_key(what: &str) -> &'static str {
    match what {
        "pages" => "pages",
        "records" => "records",
        "MiB read" => "mib",
        _ => "minutes",
    }
}

/// The store's resource limiter: wasmtime's [`StoreLimits`], remembering what it refused.
pub struct Limiter {
    inner: StoreLimits,
    limit_mib: u32,
    /// Set when a growth was refused; read after the call to explain the trap.
    pub hit: Option<LimitHit>,
}

impl Limiter {
    /// A limiter for `limits`: one instance, its memory capped, growth failures trap.
    pub fn new(limits: &Limits) -> Self {
        Limiter {
            inner: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes())
                .instances(16)
                .tables(64)
                .memories(16)
                .trap_on_grow_failure(true)
                .build(),
            limit_mib: limits.memory_mib,
            hit: None,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.inner.memory_growing(current, desired, maximum);
        if !matches!(allowed, Ok(true)) {
            self.hit = Some(LimitHit::Memory {
                limit_mib: self.limit_mib,
                requested_bytes: desired,
            });
        }
        allowed
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_never_gets_more_than_the_host_allows() {
        let asked = Limits {
            memory_mib: 4096,
            cpu_ms: 5,
            response_mib: 1,
            http_timeout_s: 600,
            http_retries: 1,
            wall_s: 3600,
            sync_pages: 7,
            ..Limits::default()
        };
        let cap = Limits::default();
        let got = asked.capped_by(&cap);
        assert_eq!(
            got,
            Limits {
                memory_mib: 128,
                cpu_ms: 5,
                response_mib: 1,
                http_timeout_s: 30,
                http_retries: 1,
                wall_s: 120,
                sync_pages: 7,
                ..Limits::default()
            }
        );
    }

    #[test]
    fn refused_growth_is_remembered() {
        let mut limiter = Limiter::new(&Limits {
            memory_mib: 1,
            ..Limits::default()
        });
        assert!(matches!(limiter.memory_growing(0, 1 << 16, None), Ok(true)));
        assert!(limiter.hit.is_none());
        assert!(limiter.memory_growing(1 << 16, 2 << 20, None).is_err());
        assert_eq!(
            limiter.hit,
            Some(LimitHit::Memory {
                limit_mib: 1,
                requested_bytes: 2 << 20
            })
        );
    }
}
