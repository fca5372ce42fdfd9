//! QuickBooks entities to the contract. Sub-customers keep their parent; subtotal lines are
//! skipped (they repeat the lines above them), discount lines become document allowances,
//! group (bundle) lines are expanded; multi-currency documents keep their exchange rate.

use crate::api;
use credence_plugin_sdk::types::{
    Address, Allocation, AllocationTarget, AllowanceCharge, Contact, Customer, Document,
    DocumentLine, DocumentStatus, IdScheme, PartyIdentifier, Payment, PaymentTerms, RecordBody,
    TaxSubtotal, Totals,
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

fn dec(d: &Option<json::Decimal>) -> Decimal {
    d.as_ref()
        .and_then(|d| Decimal::from_str(&d.0).ok())
        .unwrap_or_default()
}

fn updated(m: &Option<api::MetaData>) -> Option<String> {
    m.as_ref().and_then(|m| present(&m.last_updated_time))
}

fn reject<T: serde::Serialize>(id: &str, what: &str, reason: String, raw: &T) -> SourceRecord {
    SourceRecord::rejected(
        id,
        format!("QuickBooks {what} {id}: {reason}"),
        json::raw(raw),
    )
}

/// The currency of a record: its `CurrencyRef`, else the company's home currency if set.
fn currency(r: &Option<api::Ref>, home: Option<&str>) -> Option<String> {
    r.as_ref()
        .map(|c| c.value.trim().to_string())
        .filter(|c| !c.is_empty())
        .or_else(|| home.map(str::to_string))
}

pub fn customer(c: api::Customer, home_currency: Option<&str>) -> SourceRecord {
    let id = present(&c.id).unwrap_or_default();
    let Some(name) = present(&c.display_name).or_else(|| present(&c.company_name)) else {
        return reject(
            &id,
            "customer",
            "has neither DisplayName nor CompanyName".into(),
            &c,
        );
    };
    let address = c.bill_addr.as_ref().map(|a| Address {
        lines: [&a.line1, &a.line2, &a.line3, &a.line4, &a.line5]
            .into_iter()
            .filter_map(present)
            .collect(),
        city: present(&a.city),
        postal_code: present(&a.postal_code),
        region: present(&a.country_sub_division_code),
        // QuickBooks keeps the country as typed ("USA", "Canada"): only ISO codes pass.
        country: present(&a.country)
            .filter(|cc| cc.len() == 2)
            .map(|cc| cc.to_ascii_uppercase()),
    });
    let person = [present(&c.given_name), present(&c.family_name)]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let email = c
        .primary_email_addr
        .as_ref()
        .and_then(|e| present(&e.address));
    let phone = c
        .primary_phone
        .as_ref()
        .and_then(|p| present(&p.free_form_number));
    let mut customer = Customer::named(name);
    customer.legal_name = present(&c.company_name);
    customer.addresses = address
        .filter(|a| !a.lines.is_empty() || a.city.is_some())
        .into_iter()
        .collect();
    if email.is_some() || phone.is_some() {
        customer.contacts = vec![Contact {
            name: (!person.is_empty()).then_some(person),
            email,
            phone,
            role: Some("accounts".into()),
        }];
    }
    customer.identifiers = present(&c.business_number)
        .map(|n| PartyIdentifier {
            scheme: IdScheme::CompanyRegistration,
            value: n,
            country: None,
        })
        .into_iter()
        .collect();
    customer.currency = currency(&c.currency_ref, home_currency);
    customer.parent_remote_id = c
        .parent_ref
        .as_ref()
        .map(|p| p.value.clone())
        .filter(|p| !p.is_empty());
    SourceRecord::new(id, updated(&c.meta_data), RecordBody::Customer(customer))
}

/// Sales lines (bundles expanded) and discount lines; subtotal and description-only lines add
/// nothing. `None` when the discounts do not add up within a decimal (outside data).
fn lines(items: &[api::Line], out: &mut Vec<DocumentLine>, discounts: &mut Decimal) -> Option<()> {
    for l in items {
        match l.detail_type.as_deref() {
            Some("SalesItemLineDetail") => {
                let d = l.sales_item_line_detail.as_ref();
                let taxable = d
                    .and_then(|d| d.tax_code_ref.as_ref())
                    .is_some_and(|t| t.value != "NON");
                out.push(DocumentLine {
                    description: present(&l.description)
                        .or_else(|| d.and_then(|d| d.item_ref.as_ref()?.name.clone())),
                    quantity: d.and_then(|d| d.qty.as_ref()).map(|q| q.0.clone()),
                    unit_price: d.and_then(|d| d.unit_price.as_ref()).map(|p| p.0.clone()),
                    net_amount: dec(&l.amount).to_string(),
                    tax_category: Some(if taxable { "S" } else { "E" }.into()),
                    tax_rate: None,
                    item_id: d.and_then(|d| d.item_ref.as_ref()).map(|r| r.value.clone()),
                });
            }
            Some("GroupLineDetail") => {
                if let Some(g) = &l.group_line_detail {
                    lines(&g.line, out, discounts)?;
                }
            }
            Some("DiscountLineDetail") => *discounts = discounts.checked_add(dec(&l.amount))?,
            _ => {}
        }
    }
    Some(())
}

/// An `Invoice` or a `CreditMemo`.
pub fn document(
    v: api::Transaction,
    credit_note: bool,
    home_currency: Option<&str>,
) -> SourceRecord {
    let what = if credit_note {
        "credit memo"
    } else {
        "invoice"
    };
    let id = present(&v.id).unwrap_or_default();
    let customer = v
        .customer_ref
        .as_ref()
        .map(|c| c.value.clone())
        .filter(|c| !c.is_empty());
    let currency = currency(&v.currency_ref, home_currency);
    let (Some(customer), Some(issue), Some(currency), Some(total)) = (
        customer,
        present(&v.txn_date),
        currency,
        v.total_amt.as_ref(),
    ) else {
        return reject(
            &id,
            what,
            "needs CustomerRef, TxnDate, TotalAmt and a currency (CurrencyRef, or the \
             connection's home_currency setting)"
                .into(),
            &v,
        );
    };
    let mut doc_lines = Vec::new();
    let mut discounts = Decimal::ZERO;
    let tax = v
        .txn_tax_detail
        .as_ref()
        .map_or(Decimal::ZERO, |t| dec(&t.total_tax));
    // Amounts from outside may not add up within a decimal: such a document is rejected.
    let sums = lines(&v.line, &mut doc_lines, &mut discounts).and_then(|()| {
        let line_total = doc_lines
            .iter()
            .filter_map(|l| Decimal::from_str(&l.net_amount).ok())
            .try_fold(Decimal::ZERO, |sum, a| sum.checked_add(a))?;
        let net = line_total.checked_sub(discounts)?;
        // With tax-inclusive amounts the lines already hold the tax: the net is the total less
        // tax.
        let inclusive_net = if v.global_tax_calculation.as_deref() == Some("TaxInclusive") {
            let gross = Decimal::from_str(&total.0).unwrap_or_default();
            Some(gross.checked_sub(tax)?)
        } else {
            None
        };
        Some((line_total, net, inclusive_net))
    });
    let Some((line_total, net, inclusive_net)) = sums else {
        return reject(
            &id,
            what,
            "its line, discount and tax amounts do not add up within a decimal amount".into(),
            &v,
        );
    };
    let mut totals = Totals::simple(&line_total.to_string(), &tax.to_string(), &total.0);
    if !discounts.is_zero() {
        totals.allowance_total = Some(discounts.to_string());
        totals.tax_exclusive = net.to_string();
    }
    if let Some(net) = inclusive_net {
        totals.tax_exclusive = net.to_string();
    }
    let number = present(&v.doc_number).unwrap_or_else(|| id.clone());
    let mut doc = Document::new(number, customer, issue, currency, totals);
    let outstanding = if credit_note {
        v.remaining_credit.as_ref().or(v.balance.as_ref())
    } else {
        v.balance.as_ref()
    };
    doc.amount_outstanding = outstanding.map(|b| b.0.clone());
    doc.status = match outstanding.map(|b| Decimal::from_str(&b.0).unwrap_or_default()) {
        Some(b) if b.is_zero() && Decimal::from_str(&total.0).is_ok_and(|t| !t.is_zero()) => {
            DocumentStatus::Paid
        }
        _ => DocumentStatus::Open,
    };
    doc.due_date = present(&v.due_date);
    doc.exchange_rate = v
        .exchange_rate
        .as_ref()
        .filter(|r| Decimal::from_str(&r.0).ok() != Some(Decimal::ONE))
        .map(|r| r.0.clone());
    if !discounts.is_zero() {
        doc.allowances_charges = vec![AllowanceCharge {
            is_charge: false,
            amount: discounts.to_string(),
            reason: Some("Discount".into()),
            tax_category: None,
            tax_rate: None,
        }];
    }
    if !tax.is_zero() {
        doc.tax_breakdown = vec![TaxSubtotal {
            category: "S".into(),
            rate: None,
            taxable_amount: doc.totals.tax_exclusive.clone(),
            tax_amount: tax.to_string(),
            exemption_reason: None,
        }];
    }
    doc.terms = v.sales_term_ref.as_ref().map(|t| PaymentTerms {
        description: t
            .name
            .clone()
            .or_else(|| Some(format!("QuickBooks term {}", t.value))),
        net_days: None,
        discount_percent: None,
        discount_days: None,
    });
    doc.note = v
        .customer_memo
        .as_ref()
        .map(|m| m.value.clone())
        .filter(|m| !m.is_empty());
    doc.lines = doc_lines;
    let body = if credit_note {
        RecordBody::CreditNote(doc)
    } else {
        RecordBody::Invoice(doc)
    };
    SourceRecord::new(id, updated(&v.meta_data), body)
}

/// A `Payment` with the invoices it settles (`Line[].LinkedTxn` of type `Invoice`). Credit
/// memos applied in the same payment are not cash: they reduce the invoices' balances, which
/// the invoices themselves report.
pub fn payment(p: api::Payment, home_currency: Option<&str>) -> SourceRecord {
    let id = present(&p.id).unwrap_or_default();
    let currency = currency(&p.currency_ref, home_currency);
    let (Some(date), Some(amount), Some(currency)) =
        (present(&p.txn_date), p.total_amt.as_ref(), currency)
    else {
        return reject(
            &id,
            "payment",
            "needs TxnDate, TotalAmt and a currency (CurrencyRef, or home_currency)".into(),
            &p,
        );
    };
    let mut payment = Payment::new(date, &amount.0, &currency);
    payment.customer_remote_id = p.customer_ref.as_ref().map(|c| c.value.clone());
    payment.reference = present(&p.payment_ref_num);
    payment.method = p.payment_method_ref.as_ref().and_then(|m| m.name.clone());
    for line in &p.line {
        for link in &line.linked_txn {
            if link.txn_type.as_deref() != Some("Invoice") {
                continue;
            }
            if let Some(txn) = present(&link.txn_id) {
                payment.allocations.push(Allocation {
                    target: AllocationTarget::Invoice,
                    target_remote_id: txn,
                    amount: dec(&line.amount).to_string(),
                });
            }
        }
    }
    SourceRecord::new(id, updated(&p.meta_data), RecordBody::Payment(payment))
}
