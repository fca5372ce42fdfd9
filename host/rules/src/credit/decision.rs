//! What an evaluation says about each customer, as shown by `credence evaluate` and
//! `credence credit` (and published as `schemas/json/evaluation.schema.json`).

use super::behaviour::Behaviour;
use crate::policy::CreditState;
use chrono::NaiveDate;
use credence_model::{Currency, Promise};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;

/// A stable code with a sentence that gives the figures.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Reason {
    pub code: &'static str,
    pub sentence: String,
}

/// A state rule that matched.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct StateReason {
    #[schemars(with = "String")]
    pub code: std::sync::Arc<str>,
    pub state: CreditState,
    /// The first rule that matched (or an override) decides; later ones are shown for context.
    pub decisive: bool,
    pub sentence: String,
}

/// Exposure split into the policy's buckets, in the policy currency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct Exposure {
    #[schemars(with = "String")]
    pub not_yet_due: Decimal,
    #[schemars(with = "String")]
    pub overdue: Decimal,
    /// Open credit notes and unapplied payments (shown positive; they reduce exposure).
    #[schemars(with = "String")]
    pub unallocated_credit: Decimal,
    /// The buckets the policy counts, summed.
    #[schemars(with = "String")]
    pub total: Decimal,
    /// Currencies the policy has no rate for (their amounts are not in the figures).
    pub unconverted: Vec<Currency>,
}

/// The report the decision used.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ReportSummary {
    /// The bureau connection.
    pub connection: String,
    pub source: String,
    pub report_date: NaiveDate,
    /// The last day the report counts as fresh.
    pub fresh_until: NaiveDate,
    pub expired: bool,
    pub rating: Option<String>,
    /// On the bureau's scale, as reported.
    pub score: Option<String>,
    pub company_status: Option<String>,
}

/// A change a monitoring pass recorded.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Alert {
    pub code: &'static str,
    /// When the change reached the store.
    pub recorded: NaiveDate,
    pub sentence: String,
}

/// Something credit insurance needs, and by when the insurer must hear of it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct InsuranceTask {
    pub code: &'static str,
    /// The invoice number, or the account for customer-wide cover.
    pub subject: String,
    pub deadline: NaiveDate,
    pub overdue: bool,
    pub sentence: String,
    /// The amount to be covered, in the policy's currency.
    #[schemars(with = "String")]
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Review {
    /// The last report date, else the first invoice date.
    pub last: Option<NaiveDate>,
    pub next: NaiveDate,
    pub overdue: bool,
}

/// One customer account's credit decision.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Decision {
    pub account: String,
    pub name: String,
    /// Every `CONNECTION/REMOTE-ID` of the account.
    pub members: Vec<String>,
    pub segment: Option<String>,
    pub state: CreditState,
    pub currency: Currency,
    #[schemars(with = "String")]
    pub limit: Decimal,
    pub exposure: Exposure,
    /// What can still be delivered on credit: limit - exposure in `ok` and `watch`, 0 otherwise.
    #[schemars(with = "String")]
    pub headroom: Decimal,
    /// 0-100, bureau and behaviour blended.
    #[schemars(with = "Option<String>")]
    pub internal_score: Option<Decimal>,
    /// The bureau's score rescaled to 0-100, higher is better.
    #[schemars(with = "Option<String>")]
    pub bureau_score: Option<Decimal>,
    /// The account's current reports, newest first: the newest decides freshness; score,
    /// rating and recommended limit come from the newest that has them.
    pub reports: Vec<ReportSummary>,
    pub behaviour: Behaviour,
    /// Why the state: every state rule that matched, the decisive one first.
    pub reasons: Vec<StateReason>,
    /// How the limit was set.
    pub limit_basis: Vec<Reason>,
    pub alerts: Vec<Alert>,
    pub insurance: Vec<InsuranceTask>,
    pub review: Review,
    /// Open invoices, of which overdue, and the most days any is past due.
    pub open_invoices: u32,
    pub overdue_invoices: u32,
    pub max_days_overdue: i64,
}

/// An evaluation of every customer on one date under one policy.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Evaluation {
    pub as_of: NaiveDate,
    /// Fingerprint of the policy (see `Policy::version`).
    pub policy_version: String,
    pub currency: Currency,
    pub customers: Vec<Decision>,
    /// Accounts whose review date has passed.
    pub overdue_reviews: Vec<String>,
    /// Promises naming a customer the store does not know.
    pub unmatched_promises: Vec<Promise>,
}
