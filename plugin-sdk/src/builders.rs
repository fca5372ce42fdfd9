//! Constructors for the contract's records, so a mapping sets only the fields it knows.

use crate::types::{
    Customer, Document, DocumentStatus, Money, Payment, RecordBody, SourceRecord, Totals,
};

impl SourceRecord {
    /// A live record with its vendor id and last-updated instant.
    pub fn new(remote_id: impl Into<String>, updated_at: Option<String>, body: RecordBody) -> Self {
        SourceRecord {
            remote_id: remote_id.into(),
            remote_updated_at: updated_at,
            deleted: false,
            raw: None,
            body: Some(body),
        }
    }

    /// A tombstone: the vendor deleted (or archived) this record.
    pub fn deleted(remote_id: impl Into<String>, updated_at: Option<String>) -> Self {
        SourceRecord {
            remote_id: remote_id.into(),
            remote_updated_at: updated_at,
            deleted: true,
            raw: None,
            body: None,
        }
    }

    /// A vendor record the plugin could not map: the host quarantines it with `reason`.
    pub fn rejected(
        remote_id: impl Into<String>,
        reason: impl Into<String>,
        raw: Option<String>,
    ) -> Self {
        SourceRecord {
            remote_id: remote_id.into(),
            remote_updated_at: None,
            deleted: false,
            raw,
            body: Some(RecordBody::Rejected(reason.into())),
        }
    }

    /// Keep the vendor payload for audit.
    pub fn with_raw(mut self, raw: Option<String>) -> Self {
        self.raw = raw;
        self
    }
}

impl Customer {
    /// A customer with only a display name.
    pub fn named(name: impl Into<String>) -> Self {
        Customer {
            name: name.into(),
            legal_name: None,
            identifiers: Vec::new(),
            addresses: Vec::new(),
            contacts: Vec::new(),
            language: None,
            currency: None,
            payment_terms_days: None,
            sales_rep: None,
            segment: None,
            parent_remote_id: None,
            credit_limit: None,
        }
    }
}

impl Totals {
    /// Totals of a document without allowances, charges, prepayment or rounding.
    pub fn simple(line_total: &str, tax_total: &str, tax_inclusive: &str) -> Self {
        Totals {
            line_total: line_total.to_string(),
            allowance_total: None,
            charge_total: None,
            tax_exclusive: line_total.to_string(),
            tax_total: tax_total.to_string(),
            tax_inclusive: tax_inclusive.to_string(),
            prepaid: None,
            rounding: None,
            payable: tax_inclusive.to_string(),
        }
    }
}

impl Document {
    /// An open document with no lines; set the rest field by field.
    pub fn new(
        number: impl Into<String>,
        customer_remote_id: impl Into<String>,
        issue_date: impl Into<String>,
        currency: impl Into<String>,
        totals: Totals,
    ) -> Self {
        Document {
            number: number.into(),
            customer_remote_id: customer_remote_id.into(),
            issue_date: issue_date.into(),
            due_date: None,
            currency: currency.into(),
            lines: Vec::new(),
            allowances_charges: Vec::new(),
            tax_breakdown: Vec::new(),
            totals,
            amount_outstanding: None,
            status: DocumentStatus::Open,
            terms: None,
            order_reference: None,
            contract_reference: None,
            preceding_invoice: None,
            delivery_date: None,
            exchange_rate: None,
            note: None,
        }
    }
}

impl Payment {
    /// A payment with no allocations yet.
    pub fn new(date: impl Into<String>, amount: &str, currency: &str) -> Self {
        Payment {
            customer_remote_id: None,
            date: date.into(),
            amount: Money {
                amount: amount.to_string(),
                currency: currency.to_string(),
            },
            reference: None,
            method: None,
            allocations: Vec::new(),
        }
    }
}

impl crate::Description {
    fn new(id: &str, version: &str, kind: crate::PluginKind) -> Self {
        crate::Description {
            id: id.to_string(),
            version: version.to_string(),
            kind,
            streams: Vec::new(),
            config_fields: Vec::new(),
        }
    }

    /// A ledger plugin's description; add streams and fields with the methods below.
    pub fn ledger(id: &str, version: &str) -> Self {
        Self::new(id, version, crate::PluginKind::Ledger)
    }

    /// A bureau plugin's description.
    pub fn bureau(id: &str, version: &str) -> Self {
        Self::new(id, version, crate::PluginKind::Bureau)
    }

    /// Offer a stream.
    pub fn stream(mut self, name: &str, incremental: bool) -> Self {
        self.streams.push(crate::StreamInfo {
            name: name.to_string(),
            incremental,
        });
        self
    }

    /// Declare a plain setting (mirror of a manifest `[[config]]` entry).
    pub fn setting(self, key: &str, label: &str, required: bool) -> Self {
        self.field(key, label, required, false)
    }

    /// Declare a required secret (its value stays in the host).
    pub fn secret(self, key: &str, label: &str) -> Self {
        self.field(key, label, true, true)
    }

    /// Give the last declared field a default value.
    pub fn with_default(mut self, value: &str) -> Self {
        if let Some(field) = self.config_fields.last_mut() {
            field.default_value = Some(value.to_string());
        }
        self
    }

    fn field(mut self, key: &str, label: &str, required: bool, secret: bool) -> Self {
        self.config_fields.push(crate::ConfigField {
            key: key.to_string(),
            label: label.to_string(),
            description: String::new(),
            required,
            secret,
            default_value: None,
        });
        self
    }
}
