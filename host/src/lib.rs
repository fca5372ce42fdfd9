//! Credence: a credit-control integration hub.
//!
//! The host loads WebAssembly connectors (component model, `schemas/wit/`), runs them in a
//! sandbox with only the capabilities their manifest declares, and (in later layers) normalizes,
//! stores and evaluates what they return. See `ARCHITECTURE.md` for the codemap.

pub mod accounts;
pub mod cli;
pub mod connections;
pub mod credit;
pub mod dunning;
pub mod errors;
pub mod home;
pub mod model;
pub mod normalize;
pub mod plugins;
pub mod runtime;
pub mod sandbox;
pub mod schema;
pub mod store;
pub mod sync;
pub mod views;
