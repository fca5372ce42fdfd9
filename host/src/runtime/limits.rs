//! Resource limits of a plugin job and how hitting one is recognised.
//!
//! Limits come from the plugin's manifest and are capped by the host configuration: a plugin can
//! ask for less than the operator allows, never more. Memory is enforced by a [`StoreLimits`]
//! limiter, CPU by an epoch deadline that counts only time spent inside the guest (time the
//! host spends on the plugin's HTTP requests does not count), response size by the HTTP import.

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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_mib: 128,
            cpu_ms: 10_000,
            response_mib: 32,
            http_timeout_s: 30,
            http_retries: 4,
        }
    }
}

impl Limits {
    /// This request capped, field by field, by what the host allows.
    pub fn capped_by(self, cap: &Limits) -> Limits {
        Limits {
            memory_mib: self.memory_mib.min(cap.memory_mib),
            cpu_ms: self.cpu_ms.min(cap.cpu_ms),
            response_mib: self.response_mib.min(cap.response_mib),
            http_timeout_s: self.http_timeout_s.min(cap.http_timeout_s),
            http_retries: self.http_retries.min(cap.http_retries),
        }
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
        }
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
                http_retries: 1
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
