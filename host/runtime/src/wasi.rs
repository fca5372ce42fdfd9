//! The WASI subset linked for plugins: only what Rust's standard library reaches for.
//!
//! stdio (stdout and stderr captured into the job's log, stdin empty), `exit`, an empty
//! environment, wall and monotonic clocks, random numbers (hash-map seeds). The monotonic clock's
//! timers (what `std::thread::sleep` waits on) never outlast the call's wall-clock deadline: a
//! plugin that sleeps past it is stopped as soon as it would. Deliberately absent:
//! `wasi:filesystem` and `wasi:sockets`: files and network go through the contract's `files`
//! and `http` imports, which check the plugin's grants. A component importing anything else
//! fails to link at install, with the missing import named.

use super::limits::LimitHit;
use super::state::HostState;
use std::time::Duration;
use wasmtime::component::{HasData, Linker, Resource, ResourceTable};
use wasmtime_wasi::WasiView;
use wasmtime_wasi::cli::{WasiCli, WasiCliView};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksCtxView, WasiClocksView};
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock::{
    self, Duration as WasiDuration, Host as _, Instant as WasiInstant,
};
use wasmtime_wasi::p2::bindings::{cli, clocks, random, sync};
use wasmtime_wasi::random::{WasiRandom, WasiRandomView};

struct Io;

impl HasData for Io {
    type Data<'a> = &'a mut ResourceTable;
}

pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    let l = linker;
    wasmtime_wasi_io::bindings::wasi::io::error::add_to_linker::<HostState, Io>(l, |t| {
        t.ctx().table
    })?;
    sync::io::poll::add_to_linker::<HostState, Io>(l, |t| t.ctx().table)?;
    sync::io::streams::add_to_linker::<HostState, Io>(l, |t| t.ctx().table)?;
    clocks::wall_clock::add_to_linker::<HostState, WasiClocks>(l, HostState::clocks)?;
    monotonic_clock::add_to_linker::<HostState, BoundedClocks>(l, HostState::bounded_clocks)?;
    random::random::add_to_linker::<HostState, WasiRandom>(l, HostState::random)?;
    random::insecure::add_to_linker::<HostState, WasiRandom>(l, HostState::random)?;
    random::insecure_seed::add_to_linker::<HostState, WasiRandom>(l, HostState::random)?;
    cli::exit::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::environment::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::stdin::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::stdout::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::stderr::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::terminal_input::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::terminal_output::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::terminal_stdin::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::terminal_stdout::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    cli::terminal_stderr::add_to_linker::<HostState, WasiCli>(l, HostState::cli)?;
    Ok(())
}

/// `wasi:clocks/monotonic-clock` with timers cut at the call's wall-clock deadline.
pub(super) struct BoundedClocks;

impl HasData for BoundedClocks {
    type Data<'a> = BoundedClocksView<'a>;
}

/// wasmtime's monotonic clock plus what is left of the call in progress.
pub(super) struct BoundedClocksView<'a> {
    pub inner: WasiClocksCtxView<'a>,
    /// Wall-clock time left in the call.
    pub remaining: Duration,
    pub limit_s: u32,
    /// Where the hit is recorded when a timer is asked for after the deadline.
    pub hit: &'a mut Option<LimitHit>,
}

impl BoundedClocksView<'_> {
    fn timer(&mut self, wanted: Duration) -> wasmtime::Result<Resource<DynPollable>> {
        if self.remaining.is_zero() {
            self.hit.get_or_insert(LimitHit::WallClock {
                limit_s: self.limit_s,
            });
            return Err(wasmtime::Error::msg("wall-clock limit reached"));
        }
        let wait = wanted.min(self.remaining);
        self.inner
            .subscribe_duration(u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX))
    }
}

impl monotonic_clock::Host for BoundedClocksView<'_> {
    fn now(&mut self) -> wasmtime::Result<WasiInstant> {
        self.inner.now()
    }

    fn resolution(&mut self) -> wasmtime::Result<WasiInstant> {
        self.inner.resolution()
    }

    fn subscribe_instant(&mut self, when: WasiInstant) -> wasmtime::Result<Resource<DynPollable>> {
        let now = self.inner.now()?;
        self.timer(Duration::from_nanos(when.saturating_sub(now)))
    }

    fn subscribe_duration(
        &mut self,
        duration: WasiDuration,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        self.timer(Duration::from_nanos(duration))
    }
}

impl HostState {
    /// The monotonic clock as the plugin's WASI sees it: timers end at the call's deadline.
    fn bounded_clocks(&mut self) -> BoundedClocksView<'_> {
        BoundedClocksView {
            inner: wasmtime_wasi::clocks::WasiClocksCtxView {
                ctx: self.wasi.clocks(),
                table: &mut self.table,
            },
            remaining: self.timer.remaining(),
            limit_s: self.job.limits.wall_s,
            hit: &mut self.limit_hit,
        }
    }
}
