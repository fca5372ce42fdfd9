//! The service layer: what the CLI and the server both do, written once. A home (its
//! configuration, plugins, store and policy), connections and their jobs, sync, bureau
//! monitoring, credit evaluation over the store, dunning plans and delivery, the read views,
//! the business clock, and typed errors such as [`errors::NotFound`].
//!
//! Sits above the model, the runtime, normalize, the store and the rules; nothing here knows
//! about argument parsing, terminals or HTTP (checked by `tests/layers.rs`).

pub mod clock;
pub mod connections;
pub mod credit;
pub mod dunning;
pub mod errors;
pub mod find;
pub mod home;
pub mod law_rates;
pub mod lock;
pub mod monitor;
pub mod schema;
pub mod sync;
pub mod views;
