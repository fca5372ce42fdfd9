//! Disputes, payment plans and hold releases: arrangements people make with a customer, recorded by command
//! (not by connectors), which pause or reshape the reminder ladder.

use super::{Currency, Money};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The customer contests an invoice: reminders for it wait until the dispute is resolved (or
/// until `until`, when set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Dispute {
    /// Assigned by the store.
    pub id: i64,
    /// `CONNECTION/REMOTE-ID` of the invoice.
    pub invoice: String,
    /// The invoice number, as the user named it.
    pub number: String,
    pub opened_on: NaiveDate,
    /// Reminders resume after this day even if the dispute is still open.
    pub until: Option<NaiveDate>,
    pub reason: String,
    pub by: String,
    pub resolved_on: Option<NaiveDate>,
}

impl Dispute {
    /// Whether the invoice waits on `day`.
    pub fn pauses(&self, day: NaiveDate) -> bool {
        self.opened_on <= day
            && self.resolved_on.is_none_or(|r| r > day)
            && self.until.is_none_or(|u| u >= day)
    }
}

/// One instalment of a payment plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Instalment {
    pub due: NaiveDate,
    pub amount: Money,
}

/// The customer pays what it owes in instalments: the invoices it covers leave the ladder and
/// each instalment is chased on its own due date. Payments from the day the plan was agreed
/// settle instalments oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentPlan {
    /// Assigned by the store.
    pub id: i64,
    /// `CONNECTION/REMOTE-ID` of a customer record of the account.
    pub customer: String,
    pub currency: Currency,
    pub agreed_on: NaiveDate,
    pub by: String,
    /// `CONNECTION/REMOTE-ID` of the invoices it covers (empty: every invoice of the account in
    /// the plan's currency issued by `agreed_on`).
    pub invoices: Vec<String>,
    pub instalments: Vec<Instalment>,
    pub note: Option<String>,
}

/// A person lifts the credit holds the dunning ladder put on a customer (delivered hold tasks):
/// from `released_on` those holds no longer set its credit state. A hold delivered later (new
/// invoices overdue) stands again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HoldRelease {
    /// Assigned by the store.
    pub id: i64,
    /// `CONNECTION/REMOTE-ID` of a customer record of the account.
    pub customer: String,
    pub released_on: NaiveDate,
    pub by: String,
    pub reason: String,
}
