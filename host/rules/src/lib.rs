//! Credit policy and dunning as pure code: from the facts of a book to credit decisions, and
//! from the reminder ladder and what earlier runs did to today's actions and their messages.
//! No I/O beyond templates compiled in: the service layer (`credence-app`) reads the store and
//! delivers. Depends on the model only (checked by `tests/layers.rs`).
//!
//! - [`policy`]: the policy file, both its credit sections and its `[dunning]` ladder;
//! - [`accounts`]: customer records linked across ledgers into accounts;
//! - [`credit`]: facts, behaviour, rules, decisions;
//! - [`dunning`]: the planner and message rendering;
//! - [`law`]: statutory interest and compensation by country (data with legal sources);
//! - [`templates`]: the message templates compiled in.

pub mod accounts;
pub mod credit;
pub mod dunning;
pub mod law;
pub mod policy;
pub mod templates;
