//! Payments received and what they settle.

use super::Money;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AllocationTarget {
    Invoice,
    CreditNote,
}

/// Part of a payment applied to one invoice or credit note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Allocation {
    pub target: AllocationTarget,
    pub target_remote_id: String,
    /// In the payment currency.
    #[schemars(with = "String")]
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Payment {
    pub customer_remote_id: Option<String>,
    pub date: NaiveDate,
    pub amount: Money,
    pub reference: Option<String>,
    pub method: Option<String>,
    pub allocations: Vec<Allocation>,
}
