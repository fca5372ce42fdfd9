//! The Xero Accounting API's JSON, as far as credit control reads it. Field names are Xero's
//! (PascalCase); everything optional is `Option` so a sparse record still decodes and the
//! mapping can say what is missing.

use credence_plugin_sdk::json::Decimal;
use serde::{Deserialize, Serialize};

/// A list response: `{"Invoices": [...], "pagination": {...}}` and kin.
#[derive(Debug, Deserialize)]
pub struct ListPage<T> {
    #[serde(
        alias = "Contacts",
        alias = "Invoices",
        alias = "CreditNotes",
        alias = "Payments"
    )]
    pub items: Vec<T>,
    pub pagination: Option<Pagination>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub page: Option<u32>,
    pub page_count: Option<u32>,
}

/// Xero's error body (`{"ErrorNumber":10,"Type":"ValidationException","Message":...}`) or the
/// identity service's (`{"Title":"Unauthorized","Detail":"..."}`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorBody {
    pub message: Option<String>,
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    pub title: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContactRef {
    #[serde(rename = "ContactID")]
    pub contact_id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Address {
    pub address_type: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub address_line3: Option<String>,
    pub address_line4: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Phone {
    pub phone_type: Option<String>,
    pub phone_number: Option<String>,
    pub phone_area_code: Option<String>,
    pub phone_country_code: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContactPerson {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email_address: Option<String>,
    pub include_in_emails: Option<bool>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Terms {
    pub day: Option<u32>,
    #[serde(rename = "Type")]
    pub kind: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentTerms {
    pub sales: Option<Terms>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Contact {
    #[serde(rename = "ContactID")]
    pub contact_id: Option<String>,
    pub contact_number: Option<String>,
    pub account_number: Option<String>,
    pub contact_status: Option<String>,
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_number: Option<String>,
    pub email_address: Option<String>,
    pub tax_number: Option<String>,
    #[serde(default)]
    pub addresses: Vec<Address>,
    #[serde(default)]
    pub phones: Vec<Phone>,
    #[serde(default)]
    pub contact_persons: Vec<ContactPerson>,
    #[serde(rename = "UpdatedDateUTC")]
    pub updated_date_utc: Option<String>,
    pub is_supplier: Option<bool>,
    pub is_customer: Option<bool>,
    pub default_currency: Option<String>,
    pub payment_terms: Option<PaymentTerms>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LineItem {
    pub description: Option<String>,
    pub quantity: Option<Decimal>,
    pub unit_amount: Option<Decimal>,
    pub item_code: Option<String>,
    pub tax_type: Option<String>,
    pub tax_amount: Option<Decimal>,
    pub line_amount: Option<Decimal>,
}

/// An invoice or a credit note: Xero gives both the same shape.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Invoice {
    #[serde(rename = "InvoiceID", alias = "CreditNoteID")]
    pub id: Option<String>,
    #[serde(alias = "CreditNoteNumber")]
    pub invoice_number: Option<String>,
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    pub contact: Option<ContactRef>,
    pub date: Option<String>,
    pub due_date: Option<String>,
    pub status: Option<String>,
    pub line_amount_types: Option<String>,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
    pub sub_total: Option<Decimal>,
    pub total_tax: Option<Decimal>,
    pub total: Option<Decimal>,
    pub amount_due: Option<Decimal>,
    pub remaining_credit: Option<Decimal>,
    pub currency_code: Option<String>,
    pub currency_rate: Option<Decimal>,
    pub reference: Option<String>,
    #[serde(rename = "UpdatedDateUTC")]
    pub updated_date_utc: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentInvoice {
    #[serde(rename = "InvoiceID")]
    pub invoice_id: Option<String>,
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    pub contact: Option<ContactRef>,
    pub currency_code: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Payment {
    #[serde(rename = "PaymentID")]
    pub payment_id: Option<String>,
    pub date: Option<String>,
    pub amount: Option<Decimal>,
    pub reference: Option<String>,
    pub payment_type: Option<String>,
    pub status: Option<String>,
    #[serde(rename = "UpdatedDateUTC")]
    pub updated_date_utc: Option<String>,
    pub invoice: Option<PaymentInvoice>,
}

/// The last-change instant every Xero record carries: the incremental cursor advances by it,
/// including over records credit control skips (bills, suppliers).
pub trait Updated {
    fn updated(&self) -> Option<&str>;
}

impl Updated for Contact {
    fn updated(&self) -> Option<&str> {
        self.updated_date_utc.as_deref()
    }
}

impl Updated for Invoice {
    fn updated(&self) -> Option<&str> {
        self.updated_date_utc.as_deref()
    }
}

impl Updated for Payment {
    fn updated(&self) -> Option<&str> {
        self.updated_date_utc.as_deref()
    }
}
