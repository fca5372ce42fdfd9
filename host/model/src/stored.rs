//! Records as the store hands them back: with their bookkeeping, as versions in time, and
//! documents borrowed from a row for the credit evaluation's one pass over the book.

use crate::Record;
use serde::Serialize;

/// A stored record with its bookkeeping.
#[derive(Debug, Clone, Serialize)]
pub struct StoredRecord {
    pub record: Record,
    pub first_seen: String,
    pub last_changed: String,
}

/// One version of a record, from the history.
#[derive(Debug, Clone)]
pub struct Version {
    pub record: Record,
    /// When the store received this version.
    pub valid_from: chrono::DateTime<chrono::Utc>,
}

/// An invoice or credit note as credit evaluation needs it, borrowed from the store's row.
#[derive(Debug, Clone, Copy)]
pub struct DocumentRow<'a> {
    pub kind: crate::DocumentKind,
    pub connection: &'a str,
    pub remote_id: &'a str,
    pub customer: &'a str,
    pub number: &'a str,
    pub currency: crate::Currency,
    pub issue: chrono::NaiveDate,
    pub due: Option<chrono::NaiveDate>,
    pub payable: rust_decimal::Decimal,
    pub outstanding: rust_decimal::Decimal,
    pub status: crate::DocumentStatus,
    /// Whether the source stated `outstanding` (see `Document::outstanding_stated`).
    pub outstanding_stated: bool,
    /// The invoice number a credit note corrects, when it names one.
    pub preceding: Option<&'a str>,
}
