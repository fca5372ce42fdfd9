//! The host side of each import of the contract. Each file is one interface.

mod clock;
mod config;
mod files;
pub(crate) mod http;
mod log;

pub(crate) use log::escape_controls;

use super::bindings::types;
use super::state::HostState;

impl types::Host for HostState {}
