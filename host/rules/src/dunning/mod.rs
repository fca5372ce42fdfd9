//! Dunning as pure code: the reminder ladder's step from the book to today's actions, fees and
//! interest, messages. (The ladder itself is the policy's `[dunning]` section,
//! [`crate::policy::dunning`]; the actions and history types live in the model; reading the
//! store and delivering are the service layer's.)
//!
//! - [`plan`]: the pure step from the book and the ladder's memory to today's actions;
//! - [`render`]: messages from templates, per language;
//!
//! Invariants: planning writes nothing; every action has a deterministic
//! key, so queueing a run twice queues once; charges are recorded with the action that makes
//! them, so each is charged once; an invoice climbs only when its action was delivered.

pub mod plan;
pub mod render;

pub use crate::policy::dunning::DunningPolicy;
pub use plan::Plan;

use crate::credit::{CreditState, Policy, facts, rules};
use chrono::NaiveDate;
use std::collections::HashMap;

/// Each account's credit state (book order), from the credit policy.
pub fn credit_states(book: &facts::Book, policy: &Policy, as_of: NaiveDate) -> Vec<CreditState> {
    let evaluation = rules::evaluate(book, policy, as_of);
    let by_id: HashMap<&str, CreditState> = evaluation
        .customers
        .iter()
        .map(|d| (d.account.as_str(), d.state))
        .collect();
    book.accounts
        .iter()
        .map(|a| by_id.get(a.id.as_str()).copied().unwrap_or(CreditState::Ok))
        .collect()
}
