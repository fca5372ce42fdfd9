//! Invoices and credit notes after EN 16931 (the European e-invoice semantic model).

use super::Currency;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    Invoice,
    CreditNote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentStatus {
    Draft,
    Open,
    Paid,
    Voided,
}

/// An invoice line (EN 16931 BG-25).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DocumentLine {
    pub description: Option<String>,
    #[schemars(with = "Option<String>")]
    pub quantity: Option<Decimal>,
    #[schemars(with = "Option<String>")]
    pub unit_price: Option<Decimal>,
    /// BT-131, net of line allowances and charges.
    #[schemars(with = "String")]
    pub net_amount: Decimal,
    /// UNCL5305 tax category (S, Z, E, AE, K, G, O, L, M).
    pub tax_category: Option<String>,
    #[schemars(with = "Option<String>")]
    pub tax_rate: Option<Decimal>,
    pub item_id: Option<String>,
}

/// A document-level allowance or charge (BG-20 / BG-21).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AllowanceCharge {
    pub is_charge: bool,
    #[schemars(with = "String")]
    pub amount: Decimal,
    pub reason: Option<String>,
    pub tax_category: Option<String>,
    #[schemars(with = "Option<String>")]
    pub tax_rate: Option<Decimal>,
}

/// A row of the VAT breakdown (BG-23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TaxSubtotal {
    pub category: String,
    #[schemars(with = "Option<String>")]
    pub rate: Option<Decimal>,
    #[schemars(with = "String")]
    pub taxable_amount: Decimal,
    #[schemars(with = "String")]
    pub tax_amount: Decimal,
    pub exemption_reason: Option<String>,
}

/// Document totals (BG-22), in the document currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Totals {
    /// BT-106: sum of line net amounts.
    #[schemars(with = "String")]
    pub line_total: Decimal,
    /// BT-107.
    #[schemars(with = "String")]
    pub allowance_total: Decimal,
    /// BT-108.
    #[schemars(with = "String")]
    pub charge_total: Decimal,
    /// BT-109.
    #[schemars(with = "String")]
    pub tax_exclusive: Decimal,
    /// BT-110.
    #[schemars(with = "String")]
    pub tax_total: Decimal,
    /// BT-112.
    #[schemars(with = "String")]
    pub tax_inclusive: Decimal,
    /// BT-113.
    #[schemars(with = "String")]
    pub prepaid: Decimal,
    /// BT-114.
    #[schemars(with = "String")]
    pub rounding: Decimal,
    /// BT-115: amount due for payment.
    #[schemars(with = "String")]
    pub payable: Decimal,
}

/// Payment terms, including an early-payment discount ("2/10 net 30").
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct PaymentTerms {
    pub description: Option<String>,
    pub net_days: Option<u32>,
    #[schemars(with = "Option<String>")]
    pub discount_percent: Option<Decimal>,
    pub discount_days: Option<u32>,
}

fn stated() -> bool {
    true
}

fn is_stated(stated: &bool) -> bool {
    *stated
}

/// A sales invoice or a credit note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Document {
    pub number: String,
    /// Remote id of the customer in the same connection.
    pub customer_remote_id: String,
    pub issue_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub currency: Currency,
    pub lines: Vec<DocumentLine>,
    pub allowances_charges: Vec<AllowanceCharge>,
    pub tax_breakdown: Vec<TaxSubtotal>,
    pub totals: Totals,
    /// What is still to be paid, as the ledger reports it; the payable amount when it does not.
    #[schemars(with = "String")]
    pub amount_outstanding: Decimal,
    /// Whether the source stated `amount_outstanding`. When it did not, credit evaluation and
    /// dunning take what is open from the payments allocated to the document and the credit
    /// notes that name it (payable - allocations - credit applied), not from this figure.
    /// (Written only when false, so records stored before it keep their digests.)
    #[serde(default = "stated", skip_serializing_if = "is_stated")]
    pub outstanding_stated: bool,
    pub status: DocumentStatus,
    pub terms: Option<PaymentTerms>,
    pub order_reference: Option<String>,
    pub contract_reference: Option<String>,
    pub preceding_invoice: Option<String>,
    pub delivery_date: Option<NaiveDate>,
    #[schemars(with = "Option<String>")]
    pub exchange_rate: Option<Decimal>,
    pub note: Option<String>,
}
