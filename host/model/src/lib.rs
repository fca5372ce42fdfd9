//! The common model: what every connector's records become, whatever the vendor.
//!
//! Money is [`rust_decimal::Decimal`] with a [`Currency`], dates are [`chrono::NaiveDate`],
//! instants [`chrono::DateTime<Utc>`]. Invoices and credit notes follow EN 16931; customers,
//! payments and allocations follow the unified accounting models (Merge, Codat); credit reports
//! carry score and scale, rating, recommended limit and events. Every record keeps its [`Origin`].
//! The JSON Schema in `schemas/json/` is generated from these types (`credence schema`).

mod arrangement;
mod currency;
mod document;
pub mod dunning;
pub mod history;
mod party;
mod payment;
mod promise;
mod quarantine;
mod report;
pub mod stored;

pub use arrangement::{Dispute, HoldRelease, Instalment, PaymentPlan};
pub use currency::Currency;
pub use document::{
    AllowanceCharge, Document, DocumentKind, DocumentLine, DocumentStatus, PaymentTerms,
    TaxSubtotal, Totals,
};
pub use party::{Address, Contact, Customer, IdScheme, Identifier};
pub use payment::{Allocation, AllocationTarget, Payment};
pub use promise::Promise;
pub use quarantine::Quarantined;
pub use report::{CreditEvent, CreditEventKind, CreditReport, Score};

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `YYYY-MM-DD` without a format-string parser (the hot path of every document).
pub fn parse_iso_date(day: &str) -> Option<chrono::NaiveDate> {
    let b = day.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        day.get(r)
            .filter(|t| t.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|t| t.parse().ok())
    };
    chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// An amount in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Money {
    /// Exact decimal, serialized as a string.
    #[schemars(with = "String")]
    pub amount: rust_decimal::Decimal,
    pub currency: Currency,
}

/// Where a record came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Origin {
    /// The connection (its name in `credence.toml`).
    pub connection: String,
    /// The vendor's id of the record.
    pub remote_id: String,
    /// The vendor's last change, when it has one.
    pub remote_updated_at: Option<DateTime<Utc>>,
    /// The vendor deleted (or archived) the record.
    pub deleted: bool,
    /// The vendor payload, kept for audit when the connector provides it.
    pub raw: Option<String>,
}

/// The kinds of record.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RecordKind {
    Customer,
    Invoice,
    CreditNote,
    Payment,
    CreditReport,
}

impl RecordKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            RecordKind::Customer => "customer",
            RecordKind::Invoice => "invoice",
            RecordKind::CreditNote => "credit-note",
            RecordKind::Payment => "payment",
            RecordKind::CreditReport => "credit-report",
        }
    }
}

/// The content of a normalized record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Body {
    Customer(Customer),
    Invoice(Document),
    CreditNote(Document),
    Payment(Payment),
    CreditReport(CreditReport),
}

impl Body {
    pub fn kind(&self) -> RecordKind {
        match self {
            Body::Customer(_) => RecordKind::Customer,
            Body::Invoice(_) => RecordKind::Invoice,
            Body::CreditNote(_) => RecordKind::CreditNote,
            Body::Payment(_) => RecordKind::Payment,
            Body::CreditReport(_) => RecordKind::CreditReport,
        }
    }
}

/// A normalized record: its origin and, unless it is a deletion, its content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Record {
    pub origin: Origin,
    pub kind: RecordKind,
    pub body: Option<Body>,
}
