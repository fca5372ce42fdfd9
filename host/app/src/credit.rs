//! Credit evaluation over the store: the policy file of a home and the book read as of a date.

use chrono::NaiveDate;
use credence_model::dunning::{ActionKind, OutboxEntry};
use credence_model::stored::{DocumentRow, Version};
use credence_model::{HoldRelease, Promise, Record, RecordKind};
use credence_rules::credit::{Evaluation, Policy, PolicyError, facts, rules};
use credence_store::{Store, StoreError};
use std::path::Path;

/// File name of the policy inside a home.
pub const POLICY_FILE: &str = "policy.toml";

/// Evaluate every customer in `store` on `as_of` under `policy`.
pub fn evaluate(
    store: &dyn Store,
    policy: &Policy,
    as_of: NaiveDate,
) -> Result<Evaluation, StoreError> {
    let book = read_book(store, policy, as_of)?;
    Ok(rules::evaluate(&book, policy, as_of))
}

/// The book as it stood at the end of `as_of`, its accounts linked by the policy's
/// `[accounts]` section.
pub fn read_book(
    store: &dyn Store,
    policy: &Policy,
    as_of: NaiveDate,
) -> Result<facts::Book, StoreError> {
    facts::read(
        &StoreBook(store),
        as_of,
        &policy.accounts.primary_connections,
    )
}

/// The store as the credit rules read it.
struct StoreBook<'a>(&'a dyn Store);

impl facts::BookSource for StoreBook<'_> {
    type Error = StoreError;

    fn records_as_of(
        &self,
        kind: RecordKind,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Record>, StoreError> {
        self.0.records_as_of(kind, at)
    }

    fn documents_as_of(
        &self,
        at: chrono::DateTime<chrono::Utc>,
        each: &mut dyn FnMut(DocumentRow<'_>),
    ) -> Result<(), StoreError> {
        self.0.documents_as_of(at, each)
    }

    fn versions(
        &self,
        kind: RecordKind,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Version>, StoreError> {
        self.0.versions(kind, at)
    }

    fn promises(&self) -> Result<Vec<Promise>, StoreError> {
        self.0.promises()
    }

    fn delivered_holds(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.0.delivered(ActionKind::Hold)
    }

    fn hold_releases(&self) -> Result<Vec<HoldRelease>, StoreError> {
        self.0.hold_releases()
    }
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
