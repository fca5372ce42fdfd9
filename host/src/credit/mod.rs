//! Credit decisions: who gets credit, how much, and who is put on hold.
//!
//! - [`policy`]: the policy file (TOML, strict, with a commented default);
//! - [`facts`]: what an evaluation reads from the store as of a date;
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
pub mod policy;
pub mod rules;

pub use decision::{Decision, Evaluation};
pub use policy::{CreditState, Policy, PolicyError};

use crate::store::{Store, StoreError};
use chrono::NaiveDate;
use std::path::Path;

/// File name of the policy inside a home.
pub const POLICY_FILE: &str = "policy.toml";

/// Evaluate every customer in `store` on `as_of` under `policy`.
pub fn evaluate(
    store: &dyn Store,
    policy: &Policy,
    as_of: NaiveDate,
) -> Result<Evaluation, StoreError> {
    let book = facts::read(store, as_of, &policy.accounts.primary_connections)?;
    Ok(rules::evaluate(&book, policy, as_of))
}

/// The policy file at `path`, or the built-in default when there is none; also says which
/// it used.
pub fn load_policy(path: &Path) -> Result<(Policy, String), PolicyError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((
            Policy::parse(&text, &path.display().to_string())?,
            path.display().to_string(),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((
            Policy::default_policy(),
            "the built-in default policy".into(),
        )),
        Err(e) => Err(PolicyError {
            origin: path.display().to_string(),
            message: format!("cannot read it: {e}"),
        }),
    }
}
