//! The WASI subset linked for plugins: only what Rust's standard library reaches for.
//!
//! stdio (stdout and stderr captured into the job's log, stdin empty), `exit`, an empty
//! environment, wall and monotonic clocks, random numbers (hash-map seeds). Deliberately absent:
//! `wasi:filesystem` and `wasi:sockets`: files and network go through the contract's `files`
//! and `http` imports, which check the plugin's grants. A component importing anything else
//! fails to link at install, with the missing import named.

use super::state::HostState;
use wasmtime::component::{HasData, Linker, ResourceTable};
use wasmtime_wasi::WasiView;
use wasmtime_wasi::cli::{WasiCli, WasiCliView};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView};
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
    clocks::monotonic_clock::add_to_linker::<HostState, WasiClocks>(l, HostState::clocks)?;
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
