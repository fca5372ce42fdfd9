//! QuickBooks Online entities as far as credit control reads them. The same types read the
//! JSON API and XML turned into JSON ([`crate::xml`]), so lists accept one item or many, refs
//! accept `"1"` or `{"value":"1","name":…}`, and booleans accept `true` or `"true"`.

use credence_plugin_sdk::json::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

/// `CustomerRef`, `CurrencyRef`, `ItemRef`…: a value with an optional display name.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Ref {
    pub value: String,
    pub name: Option<String>,
}

impl<'de> Deserialize<'de> for Ref {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            Object { value: String, name: Option<String> },
        }
        Ok(match Either::deserialize(d)? {
            Either::Text(value) => Ref { value, name: None },
            Either::Object { value, name } => Ref { value, name },
        })
    }
}

/// One item or a list of them (XML has no arrays).
pub fn one_or_many<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either<T> {
        Many(Vec<T>),
        One(T),
    }
    Ok(match Option::<Either<T>>::deserialize(d)? {
        Some(Either::Many(v)) => v,
        Some(Either::One(t)) => vec![t],
        None => Vec::new(),
    })
}

/// `true`, `"true"`, or absent.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Bool(bool),
        Text(String),
    }
    Ok(match Option::<Either>::deserialize(d)? {
        Some(Either::Bool(b)) => Some(b),
        Some(Either::Text(t)) => Some(t.trim().eq_ignore_ascii_case("true")),
        None => None,
    })
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetaData {
    pub create_time: Option<String>,
    pub last_updated_time: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PhysicalAddress {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub line3: Option<String>,
    pub line4: Option<String>,
    pub line5: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub country_sub_division_code: Option<String>,
    pub postal_code: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EmailAddress {
    pub address: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Phone {
    pub free_form_number: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Customer {
    pub id: Option<String>,
    pub meta_data: Option<MetaData>,
    pub display_name: Option<String>,
    pub company_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub active: Option<bool>,
    #[serde(default, deserialize_with = "flag")]
    pub job: Option<bool>,
    pub parent_ref: Option<Ref>,
    pub primary_email_addr: Option<EmailAddress>,
    pub primary_phone: Option<Phone>,
    pub bill_addr: Option<PhysicalAddress>,
    pub currency_ref: Option<Ref>,
    pub sales_term_ref: Option<Ref>,
    pub primary_tax_identifier: Option<String>,
    pub business_number: Option<String>,
    pub balance: Option<Decimal>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SalesItemLineDetail {
    pub item_ref: Option<Ref>,
    pub unit_price: Option<Decimal>,
    pub qty: Option<Decimal>,
    pub tax_code_ref: Option<Ref>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupLineDetail {
    #[serde(default, deserialize_with = "one_or_many")]
    pub line: Vec<Line>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LinkedTxn {
    pub txn_id: Option<String>,
    pub txn_type: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Line {
    pub description: Option<String>,
    pub amount: Option<Decimal>,
    pub detail_type: Option<String>,
    pub sales_item_line_detail: Option<SalesItemLineDetail>,
    pub group_line_detail: Option<GroupLineDetail>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub linked_txn: Vec<LinkedTxn>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TxnTaxDetail {
    pub total_tax: Option<Decimal>,
}

/// An `Invoice` or a `CreditMemo`: the same shape.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Transaction {
    pub id: Option<String>,
    pub meta_data: Option<MetaData>,
    pub doc_number: Option<String>,
    pub txn_date: Option<String>,
    pub due_date: Option<String>,
    pub currency_ref: Option<Ref>,
    pub exchange_rate: Option<Decimal>,
    pub customer_ref: Option<Ref>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub line: Vec<Line>,
    pub txn_tax_detail: Option<TxnTaxDetail>,
    pub global_tax_calculation: Option<String>,
    pub total_amt: Option<Decimal>,
    pub balance: Option<Decimal>,
    pub remaining_credit: Option<Decimal>,
    pub private_note: Option<String>,
    pub sales_term_ref: Option<Ref>,
    pub customer_memo: Option<Ref>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Payment {
    pub id: Option<String>,
    pub meta_data: Option<MetaData>,
    pub txn_date: Option<String>,
    pub total_amt: Option<Decimal>,
    pub currency_ref: Option<Ref>,
    pub customer_ref: Option<Ref>,
    pub payment_ref_num: Option<String>,
    pub payment_method_ref: Option<Ref>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub line: Vec<Line>,
}
