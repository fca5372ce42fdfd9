//! Credit reports from bureaus.

use super::{Identifier, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CreditEventKind {
    Insolvency,
    Liquidation,
    Administration,
    Dissolution,
    StatusChange,
    OverdueFiling,
    RatingChange,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CreditEvent {
    pub kind: CreditEventKind,
    pub date: Option<NaiveDate>,
    pub description: String,
}

/// A score on the bureau's own scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Score {
    #[schemars(with = "String")]
    pub value: Decimal,
    #[schemars(with = "String")]
    pub scale_min: Decimal,
    #[schemars(with = "String")]
    pub scale_max: Decimal,
    pub higher_is_better: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CreditReport {
    pub subject_name: String,
    pub identifiers: Vec<Identifier>,
    pub report_date: NaiveDate,
    pub source: String,
    pub score: Option<Score>,
    pub rating: Option<String>,
    pub previous_rating: Option<String>,
    pub recommended_limit: Option<Money>,
    pub company_status: Option<String>,
    pub events: Vec<CreditEvent>,
}
