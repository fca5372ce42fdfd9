//! Xero records to the contract. Each function returns `None` for a record that is not credit
//! control's business (bills, supplier-only contacts, payments of bills), a tombstone for a
//! deleted one, and a rejection naming the missing field for one that cannot be mapped.

use crate::api;
use crate::date;
use credence_plugin_sdk::types::{
    Address, Allocation, AllocationTarget, Contact, Customer, Document, DocumentLine,
    DocumentStatus, IdScheme, PartyIdentifier, Payment, PaymentTerms, RecordBody, TaxSubtotal,
    Totals,
};
use credence_plugin_sdk::{SourceRecord, json};
use rust_decimal::Decimal;
use std::str::FromStr;

fn present(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Like [`present`], moving the string when it needs no trimming (the usual case).
fn owned(s: Option<String>) -> Option<String> {
    let s = s?;
    let trimmed = s.trim();
    if trimmed.is_empty() {
        None
    } else if trimmed.len() == s.len() {
        Some(s)
    } else {
        Some(trimmed.to_string())
    }
}

fn reject<T: serde::Serialize>(id: &str, what: &str, reason: String, raw: &T) -> SourceRecord {
    SourceRecord::rejected(id, format!("Xero {what} {id}: {reason}"), json::raw(raw))
}

fn updated(s: &Option<String>) -> Option<String> {
    s.as_deref().and_then(date::instant)
}

/// A contact, unless it is a supplier only.
pub fn contact(c: api::Contact) -> Option<SourceRecord> {
    let id = present(&c.contact_id).unwrap_or_default();
    if c.is_supplier == Some(true) && c.is_customer != Some(true) {
        return None;
    }
    let Some(name) = present(&c.name) else {
        return Some(reject(&id, "contact", "has no Name".into(), &c));
    };
    let country = c
        .addresses
        .iter()
        .find_map(|a| present(&a.country))
        .filter(|cc| cc.len() == 2 && cc.chars().all(|x| x.is_ascii_alphabetic()))
        .map(|cc| cc.to_ascii_uppercase());
    let mut identifiers = Vec::new();
    if let Some(vat) = present(&c.tax_number) {
        identifiers.push(PartyIdentifier {
            scheme: IdScheme::Vat,
            value: vat,
            country: country.clone(),
        });
    }
    if let Some(reg) = present(&c.company_number) {
        identifiers.push(PartyIdentifier {
            scheme: IdScheme::CompanyRegistration,
            value: reg,
            country: country.clone(),
        });
    }
    let addresses = c
        .addresses
        .iter()
        .map(|a| Address {
            lines: [
                &a.address_line1,
                &a.address_line2,
                &a.address_line3,
                &a.address_line4,
            ]
            .into_iter()
            .filter_map(present)
            .collect(),
            city: present(&a.city),
            postal_code: present(&a.postal_code),
            region: present(&a.region),
            country: present(&a.country)
                .filter(|cc| cc.len() == 2)
                .map(|cc| cc.to_ascii_uppercase()),
        })
        .filter(|a| !a.lines.is_empty() || a.city.is_some() || a.postal_code.is_some())
        .collect();
    let person = |first: &Option<String>, last: &Option<String>| {
        let full = [present(first), present(last)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!full.is_empty()).then_some(full)
    };
    let phone = c
        .phones
        .iter()
        .find(|p| p.phone_type.as_deref() == Some("DEFAULT") && present(&p.phone_number).is_some())
        .map(|p| {
            [
                present(&p.phone_country_code).map(|cc| format!("+{cc}")),
                present(&p.phone_area_code),
                present(&p.phone_number),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
        });
    let mut contacts = Vec::new();
    if present(&c.email_address).is_some() || phone.is_some() {
        contacts.push(Contact {
            name: person(&c.first_name, &c.last_name),
            email: present(&c.email_address),
            phone,
            role: Some("accounts".into()),
        });
    }
    for p in c
        .contact_persons
        .iter()
        .filter(|p| p.include_in_emails == Some(true))
    {
        contacts.push(Contact {
            name: person(&p.first_name, &p.last_name),
            email: present(&p.email_address),
            phone: None,
            role: Some("billing".into()),
        });
    }
    let terms_days = c
        .payment_terms
        .as_ref()
        .and_then(|t| t.sales.as_ref())
        .filter(|s| s.kind.as_deref() == Some("DAYSAFTERBILLDATE"))
        .and_then(|s| s.day);
    let mut customer = Customer::named(name);
    customer.identifiers = identifiers;
    customer.addresses = addresses;
    customer.contacts = contacts;
    customer.currency = present(&c.default_currency);
    customer.payment_terms_days = terms_days;
    Some(SourceRecord::new(
        id,
        updated(&c.updated_date_utc),
        RecordBody::Customer(customer),
    ))
}

/// Xero tax types to EN 16931 categories: exempt, zero-rated or standard.
fn tax_category(tax_type: Option<&str>) -> &'static str {
    match tax_type.unwrap_or_default() {
        t if t == "NONE" || t.starts_with("EXEMPT") => "E",
        t if t.starts_with("ZERORATED") => "Z",
        _ => "S",
    }
}

fn dec(d: &Option<json::Decimal>) -> Decimal {
    d.as_ref()
        .and_then(|d| Decimal::from_str(&d.0).ok())
        .unwrap_or_default()
}

/// A sales invoice (`ACCREC`) or a customer credit note (`ACCRECCREDIT`).
pub fn document(mut v: api::Invoice, credit_note: bool) -> Option<SourceRecord> {
    let what = if credit_note {
        "credit note"
    } else {
        "invoice"
    };
    let id = present(&v.id).unwrap_or_default();
    let sales = if credit_note {
        "ACCRECCREDIT"
    } else {
        "ACCREC"
    };
    if v.kind.as_deref().is_some_and(|k| k != sales) {
        return None;
    }
    let updated_at = updated(&v.updated_date_utc);
    let status = match v.status.as_deref() {
        Some("DELETED") => return Some(SourceRecord::deleted(id, updated_at)),
        Some("DRAFT" | "SUBMITTED") => DocumentStatus::Draft,
        Some("PAID") => DocumentStatus::Paid,
        Some("VOIDED") => DocumentStatus::Voided,
        _ => DocumentStatus::Open,
    };
    let mut missing = Vec::new();
    let customer = v.contact.as_ref().and_then(|c| present(&c.contact_id));
    if customer.is_none() {
        missing.push("Contact.ContactID");
    }
    let issue = v.date.as_deref().and_then(date::date);
    if issue.is_none() {
        missing.push("Date");
    }
    let currency = present(&v.currency_code);
    if currency.is_none() {
        missing.push("CurrencyCode");
    }
    if v.total.is_none() {
        missing.push("Total");
    }
    let (Some(customer), Some(issue), Some(currency), true) =
        (customer, issue, currency, missing.is_empty())
    else {
        return Some(reject(
            &id,
            what,
            format!("missing {}", missing.join(", ")),
            &v,
        ));
    };
    // Inclusive line amounts carry their tax; EN 16931 line amounts are net.
    let inclusive = v.line_amount_types.as_deref() == Some("Inclusive");
    // The net of each line and the tax breakdown, first: amounts from outside may not add up
    // within a decimal, and such an invoice is rejected whole (with its lines in the raw JSON).
    let mut breakdown: Vec<(&'static str, Decimal, Decimal)> = Vec::new();
    let mut nets = Vec::with_capacity(v.line_items.len());
    for l in &v.line_items {
        let tax = dec(&l.tax_amount);
        let amount = dec(&l.line_amount);
        let category = tax_category(l.tax_type.as_deref());
        let added = if inclusive {
            amount.checked_sub(tax)
        } else {
            Some(amount)
        }
        .and_then(|net| {
            match breakdown.iter_mut().find(|(c, _, _)| *c == category) {
                Some(row) => {
                    row.1 = row.1.checked_add(net)?;
                    row.2 = row.2.checked_add(tax)?;
                }
                None => breakdown.push((category, net, tax)),
            }
            Some(net)
        });
        let Some(net) = added else {
            return Some(reject(
                &id,
                what,
                "its line amounts and taxes do not add up within a decimal amount".into(),
                &v,
            ));
        };
        nets.push(net);
    }
    let lines: Vec<DocumentLine> = std::mem::take(&mut v.line_items)
        .into_iter()
        .zip(nets)
        .map(|(l, net)| {
            let category = tax_category(l.tax_type.as_deref());
            // The vendor's own text when it is the net amount: no re-formatting.
            let net_amount = match l.line_amount {
                Some(text) if !inclusive => text.0,
                _ => net.to_string(),
            };
            DocumentLine {
                description: owned(l.description),
                quantity: l.quantity.map(|q| q.0),
                unit_price: l.unit_amount.map(|p| p.0),
                net_amount,
                tax_category: Some(category.to_string()),
                tax_rate: None,
                item_id: owned(l.item_code),
            }
        })
        .collect();
    let amount = |d: &Option<json::Decimal>| d.as_ref().map_or("0".to_string(), |d| d.0.clone());
    let totals = Totals::simple(
        &amount(&v.sub_total),
        &amount(&v.total_tax),
        &amount(&v.total),
    );
    let number = present(&v.invoice_number).unwrap_or_else(|| id.clone());
    let mut doc = Document::new(number, customer, issue, currency, totals);
    doc.status = status;
    doc.due_date = v.due_date.as_deref().and_then(date::date);
    doc.amount_outstanding = if credit_note {
        v.remaining_credit.as_ref().map(|d| d.0.clone())
    } else {
        v.amount_due.as_ref().map(|d| d.0.clone())
    };
    doc.lines = lines;
    doc.tax_breakdown = breakdown
        .into_iter()
        .map(|(category, taxable, tax)| TaxSubtotal {
            category: category.to_string(),
            rate: None,
            taxable_amount: taxable.to_string(),
            tax_amount: tax.to_string(),
            exemption_reason: None,
        })
        .collect();
    doc.order_reference = present(&v.reference);
    doc.exchange_rate = v
        .currency_rate
        .as_ref()
        .filter(|r| Decimal::from_str(&r.0).ok() != Some(Decimal::ONE))
        .map(|r| r.0.clone());
    doc.terms = None::<PaymentTerms>;
    let body = if credit_note {
        RecordBody::CreditNote(doc)
    } else {
        RecordBody::Invoice(doc)
    };
    Some(SourceRecord::new(id, updated_at, body))
}

/// A customer payment against a sales invoice (`ACCRECPAYMENT`).
pub fn payment(p: api::Payment) -> Option<SourceRecord> {
    let id = present(&p.payment_id).unwrap_or_default();
    let invoice = p.invoice.as_ref();
    let of_sales = match p.payment_type.as_deref() {
        Some(t) => t == "ACCRECPAYMENT",
        None => invoice.and_then(|i| i.kind.as_deref()) == Some("ACCREC"),
    };
    if !of_sales {
        return None;
    }
    let updated_at = updated(&p.updated_date_utc);
    if p.status.as_deref() == Some("DELETED") {
        return Some(SourceRecord::deleted(id, updated_at));
    }
    let invoice_id = invoice.and_then(|i| present(&i.invoice_id));
    let currency = invoice.and_then(|i| present(&i.currency_code));
    let day = p.date.as_deref().and_then(date::date);
    let (Some(invoice_id), Some(currency), Some(day), Some(amount)) =
        (invoice_id, currency, day, p.amount.as_ref())
    else {
        return Some(reject(
            &id,
            "payment",
            "needs Date, Amount, Invoice.InvoiceID and Invoice.CurrencyCode".into(),
            &p,
        ));
    };
    let mut payment = Payment::new(day, &amount.0, &currency);
    payment.customer_remote_id = invoice
        .and_then(|i| i.contact.as_ref())
        .and_then(|c| present(&c.contact_id));
    payment.reference = present(&p.reference);
    payment.allocations = vec![Allocation {
        target: AllocationTarget::Invoice,
        target_remote_id: invoice_id,
        amount: amount.0.clone(),
    }];
    Some(SourceRecord::new(
        id,
        updated_at,
        RecordBody::Payment(payment),
    ))
}
