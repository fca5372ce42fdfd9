//! Promises to pay, recorded by people (not by connectors).

use super::Money;
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// "We will pay this much by that date", as told to a credit controller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Promise {
    /// `CONNECTION/REMOTE-ID` of a customer record of the account that promised.
    pub customer: String,
    pub amount: Money,
    /// Kept when payments dated from `recorded_on` to this date (inclusive) reach the amount:
    /// payments allocated to the invoices it names, or, when it names none, any payment of the
    /// account in its currency.
    pub promised_for: NaiveDate,
    pub recorded_on: NaiveDate,
    /// Who took the promise.
    pub by: String,
    pub note: Option<String>,
    /// `CONNECTION/REMOTE-ID` of the invoices it covers; empty: every invoice of the account in
    /// its currency issued by the day it was made.
    #[serde(default)]
    pub invoices: Vec<String>,
}
