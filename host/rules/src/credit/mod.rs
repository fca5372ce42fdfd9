//! Credit decisions: who gets credit, how much, and who is put on hold.
//!
//! - [`facts`]: the book as of a date, read through a [`facts::BookSource`];
//! - [`behaviour`]: payment behaviour per account;
//! - [`rules`]: the pure step from facts to decisions;
//! - [`decision`]: what users see, with stable reason codes and sentences.
//!
//! Invariant: an evaluation is a function of (store as of the date, policy, date) only; it
//! reads no clock and writes nothing, so any past date can be replayed and gives the same
//! answer as it did then.

pub mod behaviour;
pub mod decision;
pub mod facts;
pub mod rules;

pub use crate::policy::{CreditState, Policy, PolicyError};
pub use decision::{Decision, Evaluation};
