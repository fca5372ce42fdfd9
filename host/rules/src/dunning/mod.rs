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

use crate::credit::decision::InsuranceTask;
use crate::credit::{CreditState, Policy, facts, rules};
use chrono::NaiveDate;
use std::collections::HashMap;

/// Each account's credit state (book order), from the credit policy.
pub fn credit_states(book: &facts::Book, policy: &Policy, as_of: NaiveDate) -> Vec<CreditState> {
    credit_view(book, policy, as_of).0
}

/// Each account's credit state and the insurer notifications it needs (book order), from one
/// evaluation.
pub fn credit_view(
    book: &facts::Book,
    policy: &Policy,
    as_of: NaiveDate,
) -> (Vec<CreditState>, Vec<Vec<InsuranceTask>>) {
    let evaluation = rules::evaluate(book, policy, as_of);
    let mut by_id: HashMap<&str, (CreditState, &[InsuranceTask])> = evaluation
        .customers
        .iter()
        .map(|d| (d.account.as_str(), (d.state, d.insurance.as_slice())))
        .collect();
    book.accounts
        .iter()
        .map(|a| match by_id.remove(a.id.as_str()) {
            Some((state, insurance)) => (state, insurance.to_vec()),
            None => (CreditState::Ok, Vec::new()),
        })
        .unzip()
}
