//! Rows to contract records. Text passes through; the host validates dates, amounts and
//! currencies. A row this plugin cannot make sense of becomes a `rejected` record naming the file
//! and line, so the host quarantines it with the row as raw payload.

use crate::columns::Table;
use credence_plugin_sdk::SourceRecord;
use credence_plugin_sdk::types::{
    Address, Allocation, AllocationTarget, Contact, Customer, Document, DocumentStatus, IdScheme,
    Money, PartyIdentifier, Payment, PaymentTerms, RecordBody, TaxSubtotal, Totals,
};
use rust_decimal::Decimal;
use std::str::FromStr;

/// One data row: its line in the file and its cells (or why it could not be read).
#[derive(Debug)]
pub struct Row {
    pub line: usize,
    pub cells: Result<Vec<String>, String>,
}

fn raw(table: &Table, cells: &[String]) -> Option<String> {
    let object: serde_json::Map<String, serde_json::Value> = table
        .headers
        .iter()
        .zip(cells)
        .map(|(h, c)| (h.clone(), serde_json::Value::String(c.clone())))
        .collect();
    serde_json::to_string(&object).ok()
}

fn truthy(v: Option<&str>) -> bool {
    matches!(
        v.map(str::to_ascii_lowercase).as_deref(),
        Some("1" | "true" | "yes" | "y" | "x")
    )
}

/// A cell as an exact decimal in the contract's form (`-?DIGITS(.DIGITS)?`). `Decimal::from_str`
/// alone would also take `1_00.00` or `+100.00` and round what has too many digits; the
/// amounts this plugin computes from such a cell would then carry a value the export never
/// said, so the row is rejected instead.
fn decimal(table: &Table, cells: &[String], field: &str) -> Result<Option<Decimal>, String> {
    let Some(text) = table.get(cells, field) else {
        return Ok(None);
    };
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || (unsigned.contains('.') && !digits(frac)) {
        return Err(format!(
            "{field} {text:?} is not a decimal number (digits, an optional leading -, . for decimals; no +, exponent or thousands separators)"
        ));
    }
    let exact = Decimal::from_str(text).ok().filter(|d| {
        d.scale() as usize == frac.len()
            && d.mantissa()
                .unsigned_abs()
                .to_string()
                .trim_start_matches('0')
                == format!("{int}{frac}").trim_start_matches('0')
    });
    match exact {
        Some(d) => Ok(Some(d)),
        None => Err(format!(
            "{field} {text:?} has more digits than can be kept exactly (28)"
        )),
    }
}

/// Map the rows of one page.
pub fn records(stream: &str, file: &str, table: &Table, rows: Vec<Row>) -> Vec<SourceRecord> {
    let mut out = Vec::new();
    let mut payment_rows: Vec<(usize, Vec<String>)> = Vec::new();
    let repeated = repeated_ids(stream, table, &rows);
    for row in rows {
        let cells = match row.cells {
            Ok(c) => c,
            Err(e) => {
                out.push(SourceRecord::rejected(
                    format!("{file}:{}", row.line),
                    format!("{file} line {}: not valid CSV: {e}", row.line),
                    None,
                ));
                continue;
            }
        };
        if stream == "payments" {
            if let Some((_, last)) = payment_rows.last()
                && table.id(last) != table.id(&cells)
            {
                out.push(payment(file, table, std::mem::take(&mut payment_rows)));
            }
            payment_rows.push((row.line, cells));
            continue;
        }
        if let Some(others) = table
            .id(&cells)
            .and_then(|id| repeated.get(id))
            .filter(|group| group.iter().any(|(_, other)| *other != cells))
        {
            let id = table.id(&cells).unwrap_or_default();
            let lines: Vec<String> = others
                .iter()
                .filter(|(line, _)| *line != row.line)
                .map(|(line, _)| line.to_string())
                .collect();
            out.push(SourceRecord::rejected(
                id,
                format!(
                    "{file} line {}: {} {id:?} is also on line {} with different contents; neither row is stored (give each row its own `id`, or a unique `{}`)",
                    row.line,
                    table.id_field,
                    lines.join(", "),
                    table.id_field,
                ),
                raw(table, &cells),
            ));
            continue;
        }
        out.push(one(stream, file, table, row.line, &cells));
    }
    if !payment_rows.is_empty() {
        out.push(payment(file, table, payment_rows));
    }
    out
}

/// Rows of this page that share an id, by id (payments excepted: a payment spans consecutive
/// rows of one id by design). Without this the later row would silently replace the earlier,
/// e.g. a repeated invoice number in an export without an `id` column, and the first customer's
/// invoice would vanish; rows repeated verbatim are harmless and pass.
fn repeated_ids(
    stream: &str,
    table: &Table,
    rows: &[Row],
) -> std::collections::HashMap<String, Vec<(usize, Vec<String>)>> {
    let mut by_id: std::collections::HashMap<String, Vec<(usize, &Vec<String>)>> =
        std::collections::HashMap::new();
    if stream == "payments" {
        return std::collections::HashMap::new();
    }
    for row in rows {
        if let Ok(cells) = &row.cells
            && let Some(id) = table.id(cells)
        {
            by_id
                .entry(id.to_string())
                .or_default()
                .push((row.line, cells));
        }
    }
    by_id
        .into_iter()
        .filter(|(_, group)| group.len() > 1)
        .map(|(id, group)| {
            let owned = group.into_iter().map(|(l, c)| (l, c.clone())).collect();
            (id, owned)
        })
        .collect()
}

fn one(stream: &str, file: &str, table: &Table, line: usize, cells: &[String]) -> SourceRecord {
    let raw_row = raw(table, cells);
    let Some(id) = table.id(cells).map(str::to_string) else {
        return SourceRecord::rejected(
            format!("{file}:{line}"),
            format!("{file} line {line}: the id (or number) is empty"),
            raw_row,
        );
    };
    let updated = table.get(cells, "updated_at").map(str::to_string);
    if truthy(table.get(cells, "deleted")) {
        return SourceRecord::deleted(id, updated);
    }
    let body = match stream {
        "customers" => Ok(RecordBody::Customer(customer(table, cells))),
        "invoices" => document(table, cells).map(RecordBody::Invoice),
        _ => document(table, cells).map(RecordBody::CreditNote),
    };
    match body {
        Ok(body) => SourceRecord::new(id, updated, body).with_raw(raw_row),
        Err(reason) => SourceRecord::rejected(id, format!("{file} line {line}: {reason}"), raw_row),
    }
}

fn customer(t: &Table, c: &[String]) -> Customer {
    let s = |f: &str| t.get(c, f).map(str::to_string);
    let country = s("country");
    let mut identifiers = Vec::new();
    for (field, scheme) in [
        ("vat_number", IdScheme::Vat),
        ("company_number", IdScheme::CompanyRegistration),
        ("lei", IdScheme::Lei),
        ("duns", IdScheme::Duns),
    ] {
        if let Some(value) = s(field) {
            identifiers.push(PartyIdentifier {
                scheme,
                value,
                country: country.clone(),
            });
        }
    }
    let mut customer = Customer::named(s("name").unwrap_or_default());
    customer.legal_name = s("legal_name");
    customer.identifiers = identifiers;
    if s("address").is_some() || s("city").is_some() || country.is_some() {
        customer.addresses.push(Address {
            lines: s("address").into_iter().collect(),
            city: s("city"),
            postal_code: s("postal_code"),
            region: None,
            country,
        });
    }
    if s("email").is_some() || s("phone").is_some() {
        customer.contacts.push(Contact {
            name: s("contact_name"),
            email: s("email"),
            phone: s("phone"),
            role: Some("accounts".into()),
        });
    }
    customer.language = s("language");
    customer.currency = s("currency");
    customer.payment_terms_days = s("payment_terms_days").and_then(|d| d.parse().ok());
    customer.sales_rep = s("sales_rep");
    customer.segment = s("segment");
    customer.parent_remote_id = s("parent_id");
    customer.credit_limit = s("credit_limit").map(|amount| Money {
        amount,
        currency: s("currency").unwrap_or_default(),
    });
    customer
}

fn document(t: &Table, c: &[String]) -> Result<Document, String> {
    let s = |f: &str| t.get(c, f).map(str::to_string);
    let total = decimal(t, c, "total")?.ok_or("total is empty")?;
    let tax = decimal(t, c, "tax")?;
    // Outside data: a difference of two decimals may not fit one (e.g. the largest total less
    // a negative tax); the row is rejected, not a panic.
    let minus = |a: Decimal, b: Decimal, what: &str| {
        a.checked_sub(b)
            .ok_or_else(|| format!("{what} ({a} less {b}) is too large for a decimal amount"))
    };
    let net = match (decimal(t, c, "net")?, tax) {
        (Some(net), _) => net,
        (None, Some(tax)) => minus(total, tax, "net = total less tax")?,
        (None, None) => total,
    };
    let tax = match tax {
        Some(tax) => tax,
        None => minus(total, net, "tax = total less net")?,
    };
    let prepaid = decimal(t, c, "prepaid")?;
    let payable = minus(
        total,
        prepaid.unwrap_or_default(),
        "payable = total less prepaid",
    )?;
    let totals = Totals {
        line_total: net.to_string(),
        allowance_total: None,
        charge_total: None,
        tax_exclusive: net.to_string(),
        tax_total: tax.to_string(),
        tax_inclusive: total.to_string(),
        prepaid: prepaid.map(|p| p.to_string()),
        rounding: None,
        payable: payable.to_string(),
    };
    let mut doc = Document::new(
        s("number").unwrap_or_default(),
        s("customer_id").unwrap_or_default(),
        s("issue_date").unwrap_or_default(),
        s("currency").unwrap_or_default(),
        totals,
    );
    doc.due_date = s("due_date");
    doc.amount_outstanding = decimal(t, c, "outstanding")?.map(|d| d.to_string());
    doc.status = match s("status").map(|v| v.to_ascii_lowercase()).as_deref() {
        None
        | Some(
            "open" | "sent" | "authorised" | "authorized" | "unpaid" | "overdue" | "partially paid",
        ) => DocumentStatus::Open,
        Some("draft") => DocumentStatus::Draft,
        Some("paid") => DocumentStatus::Paid,
        Some("void" | "voided" | "cancelled" | "canceled" | "deleted") => DocumentStatus::Voided,
        Some(other) => {
            return Err(format!(
                "status {other:?} is not one of draft, open, paid, void"
            ));
        }
    };
    let terms_days = s("terms_days")
        .map(|d| {
            d.parse::<u32>()
                .map_err(|_| format!("terms_days {d:?} is not a whole number of days"))
        })
        .transpose()?;
    let discount_days = s("discount_days")
        .map(|d| {
            d.parse::<u32>()
                .map_err(|_| format!("discount_days {d:?} is not a whole number of days"))
        })
        .transpose()?;
    if terms_days.is_some() || discount_days.is_some() {
        doc.terms = Some(PaymentTerms {
            description: None,
            net_days: terms_days,
            discount_percent: s("discount_percent"),
            discount_days,
        });
    }
    if let Some(rate) = decimal(t, c, "tax_rate")? {
        let category = if rate.is_zero() { "Z" } else { "S" };
        doc.tax_breakdown.push(TaxSubtotal {
            category: category.into(),
            rate: Some(rate.to_string()),
            taxable_amount: net.to_string(),
            tax_amount: tax.to_string(),
            exemption_reason: None,
        });
    }
    doc.order_reference = s("order_reference");
    doc.contract_reference = s("contract_reference");
    doc.preceding_invoice = s("preceding_invoice");
    doc.delivery_date = s("delivery_date");
    doc.note = s("note");
    Ok(doc)
}

fn payment(file: &str, t: &Table, rows: Vec<(usize, Vec<String>)>) -> SourceRecord {
    let (line, first) = (&rows[0].0, &rows[0].1);
    let raw_rows: Vec<serde_json::Value> = rows
        .iter()
        .filter_map(|(_, c)| raw(t, c))
        .filter_map(|r| serde_json::from_str(&r).ok())
        .collect();
    let raw_text = serde_json::to_string(&raw_rows).ok();
    let id = t.id(first).unwrap_or_default().to_string();
    let updated = t.get(first, "updated_at").map(str::to_string);
    if truthy(t.get(first, "deleted")) {
        return SourceRecord::deleted(id, updated);
    }
    let s = |f: &str| t.get(first, f).map(str::to_string);
    let mut p = Payment::new(
        s("date").unwrap_or_default(),
        &s("amount").unwrap_or_default(),
        &s("currency").unwrap_or_default(),
    );
    p.customer_remote_id = s("customer_id");
    p.reference = s("reference");
    p.method = s("method");
    let single = rows.len() == 1;
    for (row_line, cells) in &rows {
        let target = match (t.get(cells, "invoice_id"), t.get(cells, "credit_note_id")) {
            (Some(id), _) => (AllocationTarget::Invoice, id),
            (None, Some(id)) => (AllocationTarget::CreditNote, id),
            (None, None) => continue,
        };
        let amount = match t.get(cells, "allocated") {
            Some(a) => a.to_string(),
            None if single => p.amount.amount.clone(),
            None => {
                return SourceRecord::rejected(
                    id,
                    format!(
                        "{file} line {row_line}: a payment spread over several rows needs `allocated` on each"
                    ),
                    raw_text,
                );
            }
        };
        p.allocations.push(Allocation {
            target: target.0,
            target_remote_id: target.1.to_string(),
            amount,
        });
    }
    if id.is_empty() {
        return SourceRecord::rejected(
            format!("{file}:{line}"),
            format!("{file} line {line}: the payment id is empty"),
            raw_text,
        );
    }
    SourceRecord::new(id, updated, RecordBody::Payment(p)).with_raw(raw_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_must_be_plain_exact_decimals() {
        let table = Table::new(
            "invoices",
            "invoices.csv",
            ["number", "customer_id", "issue_date", "currency", "total"]
                .map(String::from)
                .to_vec(),
            &crate::columns::Renames::default(),
        )
        .expect("table");
        let cell = |v: &str| {
            let cells = ["N1", "C1", "2026-10-01", "EUR", v].map(String::from);
            decimal(&table, &cells, "total")
        };
        assert_eq!(cell("-100.50"), Ok(Some(Decimal::new(-10050, 2))));
        assert_eq!(cell("0"), Ok(Some(Decimal::ZERO)));
        for bad in [
            "1_00.00",
            "+100.00",
            "1.2e2",
            "1,000.00",
            "1.",
            ".5",
            "0.00000000000000000000000000001",
        ] {
            assert!(cell(bad).is_err(), "{bad} should be refused");
        }
    }
}
