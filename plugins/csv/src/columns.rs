//! The columns each file may have, and user renames.
//!
//! | file | columns (required in bold in the docs: `id`/`number`, names, dates, amounts) |
//! | --- | --- |
//! | customers.csv | id, name, legal_name, vat_number, company_number, lei, duns, country, email, phone, contact_name, address, city, postal_code, language, currency, payment_terms_days, sales_rep, segment, parent_id, credit_limit, updated_at, deleted |
//! | invoices.csv, credit-notes.csv | id, number, customer_id, issue_date, due_date, currency, net, tax, total, prepaid, outstanding, status, terms_days, discount_percent, discount_days, order_reference, contract_reference, preceding_invoice, delivery_date, tax_rate, note, updated_at, deleted |
//! | payments.csv | id, customer_id, date, amount, currency, reference, method, invoice_id, credit_note_id, allocated, updated_at, deleted |
//!
//! `id` defaults to `number` for documents. A payment with several allocations takes one row
//! per allocation, consecutive, repeating the payment's `id`, `date` and `amount`.

use credence_plugin_sdk::{ErrorExt, PluginError};
use std::collections::BTreeMap;

/// Known columns per stream; the first entries are required.
pub const COLUMNS: &[(&str, &[&str], &[&str])] = &[
    (
        "customers",
        &["id", "name"],
        &[
            "legal_name",
            "vat_number",
            "company_number",
            "lei",
            "duns",
            "country",
            "email",
            "phone",
            "contact_name",
            "address",
            "city",
            "postal_code",
            "language",
            "currency",
            "payment_terms_days",
            "sales_rep",
            "segment",
            "parent_id",
            "credit_limit",
            "updated_at",
            "deleted",
        ],
    ),
    (
        "invoices",
        &["number", "customer_id", "issue_date", "currency", "total"],
        DOCUMENT_OPTIONAL,
    ),
    (
        "credit-notes",
        &["number", "customer_id", "issue_date", "currency", "total"],
        DOCUMENT_OPTIONAL,
    ),
    (
        "payments",
        &["id", "date", "amount", "currency"],
        &[
            "customer_id",
            "reference",
            "method",
            "invoice_id",
            "credit_note_id",
            "allocated",
            "updated_at",
            "deleted",
        ],
    ),
];

const DOCUMENT_OPTIONAL: &[&str] = &[
    "id",
    "due_date",
    "net",
    "tax",
    "prepaid",
    "outstanding",
    "status",
    "terms_days",
    "discount_percent",
    "discount_days",
    "order_reference",
    "contract_reference",
    "preceding_invoice",
    "delivery_date",
    "tax_rate",
    "note",
    "updated_at",
    "deleted",
];

/// `stream.field=Header` renames from the `columns` setting.
#[derive(Debug, Default)]
pub struct Renames(BTreeMap<String, String>);

impl Renames {
    pub fn parse(text: &str) -> Result<Renames, PluginError> {
        let mut map = BTreeMap::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, header)) = part.split_once('=') else {
                return Err(PluginError::bad_config(format!(
                    "columns: {part:?} must look like stream.field=Header"
                )));
            };
            let key = key.trim();
            let known = key.split_once('.').is_some_and(|(stream, field)| {
                COLUMNS.iter().any(|(s, req, opt)| {
                    *s == stream && (req.contains(&field) || opt.contains(&field))
                })
            });
            if !known {
                return Err(PluginError::bad_config(format!(
                    "columns: {key:?} is not a known stream.field (see the csv-ledger column list)"
                )));
            }
            map.insert(key.to_string(), header.trim().to_string());
        }
        Ok(Renames(map))
    }
}

/// A file's header resolved against the known fields.
#[derive(Debug)]
pub struct Table {
    index: BTreeMap<&'static str, usize>,
    pub headers: Vec<String>,
    pub(crate) id_field: &'static str,
}

impl Table {
    pub fn new(
        stream: &str,
        file: &str,
        headers: Vec<String>,
        renames: &Renames,
    ) -> Result<Table, PluginError> {
        let Some((_, required, optional)) = COLUMNS.iter().find(|(s, _, _)| *s == stream) else {
            return Err(PluginError::bad_config(format!(
                "unknown stream {stream:?}"
            )));
        };
        let mut index = BTreeMap::new();
        for field in required.iter().chain(optional.iter()) {
            let wanted = renames
                .0
                .get(&format!("{stream}.{field}"))
                .map(String::as_str)
                .unwrap_or(field);
            if let Some(i) = headers.iter().position(|h| h.eq_ignore_ascii_case(wanted)) {
                index.insert(*field, i);
            }
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|f| !index.contains_key(f))
            .collect();
        if !missing.is_empty() {
            return Err(PluginError::bad_config(format!(
                "{file} has no column for {} (its header is: {}); rename columns with the `columns` setting",
                missing.join(", "),
                headers.join(", ")
            )));
        }
        let id_field = if index.contains_key("id") {
            "id"
        } else {
            "number"
        };
        Ok(Table {
            index,
            headers,
            id_field,
        })
    }

    /// The trimmed cell of `field`, if the column exists and the cell is not empty.
    pub fn get<'a>(&self, cells: &'a [String], field: &str) -> Option<&'a str> {
        self.index
            .get(field)
            .and_then(|i| cells.get(*i))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    /// The record id of a row.
    pub fn id<'a>(&self, cells: &'a [String]) -> Option<&'a str> {
        self.get(cells, self.id_field)
    }

    pub(crate) fn id_of(&self, record: &csv::StringRecord) -> Option<String> {
        self.index
            .get(self.id_field)
            .and_then(|i| record.get(*i))
            .map(|s| s.trim().to_string())
    }

    pub(crate) fn id_of_cells(&self, row: &crate::map::Row) -> Option<String> {
        row.cells
            .as_ref()
            .ok()
            .and_then(|c| self.id(c))
            .map(str::to_string)
    }
}
