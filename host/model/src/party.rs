//! Customers (parties) and how they are identified across ledgers.

use super::{Currency, Money};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Kinds of legal identifier; a match on any of them links customers across ledgers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum IdScheme {
    Vat,
    CompanyRegistration,
    Lei,
    Duns,
    Gln,
    Other,
}

/// A legal identifier, normalized (upper case, no spaces or punctuation).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct Identifier {
    pub scheme: IdScheme,
    pub value: String,
    /// ISO 3166-1 alpha-2 of the issuing country.
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Address {
    pub lines: Vec<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: Option<String>,
}

/// A business customer as one ledger knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Customer {
    pub name: String,
    pub legal_name: Option<String>,
    pub identifiers: Vec<Identifier>,
    pub addresses: Vec<Address>,
    pub contacts: Vec<Contact>,
    /// BCP 47 language for messages (e.g. "fr").
    pub language: Option<String>,
    pub currency: Option<Currency>,
    pub payment_terms_days: Option<u32>,
    /// Sales representative / account owner.
    pub sales_rep: Option<String>,
    pub segment: Option<String>,
    pub parent_remote_id: Option<String>,
    pub credit_limit: Option<Money>,
}
