//! Field-by-field conversion of contract records, collecting every problem instead of
//! stopping at the first, so the user sees all that is wrong with a record at once.

use super::validate::Problem;
use chrono::{DateTime, NaiveDate, Utc};
use credence_model::{self as model, Currency, Money, RecordKind};
use credence_runtime::bindings::types as wit;
use rust_decimal::Decimal;
use std::str::FromStr;

#[derive(Debug, Default)]
pub struct Problems(Vec<String>);

/// A field's name in a problem message, built only when there is a problem: most records have
/// none, and formatting `lines[7].net-amount` for every field of every line was a fifth of the
/// cost of normalizing a page.
pub trait FieldName {
    fn name(&self) -> String;
}

impl FieldName for &str {
    fn name(&self) -> String {
        (*self).to_string()
    }
}

impl FieldName for &String {
    fn name(&self) -> String {
        (*self).clone()
    }
}

/// `list[index].name`, 1-based as users count.
pub struct At<'a>(pub &'a str, pub usize, pub &'a str);

impl FieldName for At<'_> {
    fn name(&self) -> String {
        format!("{}[{}].{}", self.0, self.1 + 1, self.2)
    }
}

impl Problems {
    pub fn push(&mut self, field: &str, message: &str) {
        self.0.push(format!("{field}: {message}"));
    }

    pub fn push_rule(&mut self, problem: Problem) {
        self.0
            .push(format!("{}: {}", problem.rule, problem.message));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_messages(self) -> Vec<String> {
        self.0
    }

    pub fn decimal(&mut self, field: impl FieldName, text: &str) -> Option<Decimal> {
        match exact_decimal(text) {
            Ok(d) => Some(d),
            Err(why) => {
                self.push(&field.name(), &format!("{text:?} {why}"));
                None
            }
        }
    }

    fn opt_decimal(&mut self, field: impl FieldName, text: &Option<String>) -> Option<Decimal> {
        text.as_deref().and_then(|t| self.decimal(field, t))
    }

    pub fn date(&mut self, field: &str, text: &str) -> Option<NaiveDate> {
        let t = text.trim();
        // Accept a full timestamp too, taking its calendar date.
        let day = t.get(..10).unwrap_or(t);
        match credence_model::parse_iso_date(day) {
            Some(d)
                if t.len() == 10
                    || t.as_bytes()
                        .get(10)
                        .is_some_and(|b| *b == b'T' || *b == b' ') =>
            {
                Some(d)
            }
            _ => {
                self.push(
                    field,
                    &format!("{text:?} is not an ISO 8601 date (YYYY-MM-DD)"),
                );
                None
            }
        }
    }

    fn opt_date(&mut self, field: &str, text: &Option<String>) -> Option<NaiveDate> {
        text.as_deref().and_then(|t| self.date(field, t))
    }

    pub fn instant(&mut self, field: &str, text: &str) -> Option<DateTime<Utc>> {
        match DateTime::parse_from_rfc3339(text.trim()) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
                Ok(d) => d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()),
                Err(_) => {
                    self.push(field, &format!("{text:?} is not an RFC 3339 instant"));
                    None
                }
            },
        }
    }

    fn currency(&mut self, field: &str, code: &str) -> Option<Currency> {
        match Currency::parse(code) {
            Ok(c) => Some(c),
            Err(e) => {
                self.push(field, &e);
                None
            }
        }
    }

    fn money(&mut self, field: &str, m: &wit::Money) -> Option<Money> {
        let amount = self.decimal(&format!("{field}.amount"), &m.amount);
        let currency = self.currency(&format!("{field}.currency"), &m.currency);
        Some(Money {
            amount: amount?,
            currency: currency?,
        })
    }
}

/// The contract's decimal (`types.wit`: "1234.50", "-3"; no exponent, no thousands separator),
/// exactly, or why not. Only `-?DIGITS(.DIGITS)?` is accepted (surrounding spaces aside): Rust's
/// parsers would also take `1_00.00`, `+100.00` or `1.2e2`, which no ledger writes and which
/// hide a connector's mistake; and a value with more digits than a `Decimal` keeps (28) would
/// be rounded without a word, so it is refused instead.
pub fn exact_decimal(text: &str) -> Result<Decimal, String> {
    const FORM: &str = "is not a decimal number as the contract writes it: digits, an optional leading `-` and `.` with decimals, e.g. -1234.50 (no `+`, exponent, separators or spaces inside)";
    let t = text.trim();
    let unsigned = t.strip_prefix('-').unwrap_or(t);
    let (int, frac) = match unsigned.split_once('.') {
        Some((i, f)) => (i, f),
        None => (unsigned, ""),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || (unsigned.contains('.') && !digits(frac)) {
        return Err(FORM.into());
    }
    let inexact = || {
        format!(
            "has more digits than Credence keeps exactly ({} decimal places, 28 significant digits); it would be rounded, so it is refused",
            Decimal::MAX_SCALE
        )
    };
    if frac.len() > Decimal::MAX_SCALE as usize {
        return Err(inexact());
    }
    let parsed = Decimal::from_str(t).map_err(|_| inexact())?;
    // The parser rounds what does not fit: compare its digits with the text's.
    let wanted = format!("{int}{frac}");
    let kept = parsed.mantissa().unsigned_abs().to_string();
    if parsed.scale() as usize != frac.len()
        || wanted.trim_start_matches('0') != kept.trim_start_matches('0')
    {
        return Err(inexact());
    }
    Ok(parsed)
}

pub fn kind_of(body: &wit::RecordBody) -> RecordKind {
    match body {
        wit::RecordBody::Customer(_) => RecordKind::Customer,
        wit::RecordBody::Invoice(_) => RecordKind::Invoice,
        wit::RecordBody::CreditNote(_) => RecordKind::CreditNote,
        wit::RecordBody::Payment(_) => RecordKind::Payment,
        wit::RecordBody::CreditReport(_) | wit::RecordBody::Rejected(_) => RecordKind::CreditReport,
    }
}

pub fn body(body: &wit::RecordBody, p: &mut Problems) -> Option<model::Body> {
    Some(match body {
        wit::RecordBody::Customer(c) => model::Body::Customer(customer(c, p)?),
        wit::RecordBody::Invoice(d) => model::Body::Invoice(document(d, p)?),
        wit::RecordBody::CreditNote(d) => model::Body::CreditNote(document(d, p)?),
        wit::RecordBody::Payment(x) => model::Body::Payment(payment(x, p)?),
        wit::RecordBody::CreditReport(r) => model::Body::CreditReport(report(r, p)?),
        wit::RecordBody::Rejected(_) => return None,
    })
}

/// Identifiers compare after normalization: upper case, letters and digits only.
pub fn identifier(i: &wit::PartyIdentifier) -> model::Identifier {
    let scheme = match i.scheme {
        wit::IdScheme::Vat => model::IdScheme::Vat,
        wit::IdScheme::CompanyRegistration => model::IdScheme::CompanyRegistration,
        wit::IdScheme::Lei => model::IdScheme::Lei,
        wit::IdScheme::Duns => model::IdScheme::Duns,
        wit::IdScheme::Gln => model::IdScheme::Gln,
        wit::IdScheme::Other => model::IdScheme::Other,
    };
    model::Identifier {
        scheme,
        value: i
            .value
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_uppercase(),
        country: i.country.as_ref().map(|c| c.trim().to_ascii_uppercase()),
    }
}

fn customer(c: &wit::Customer, p: &mut Problems) -> Option<model::Customer> {
    if c.name.trim().is_empty() {
        p.push("name", "is empty");
    }
    let currency = c
        .currency
        .as_deref()
        .and_then(|code| p.currency("currency", code));
    let credit_limit = c
        .credit_limit
        .as_ref()
        .and_then(|m| p.money("credit-limit", m));
    Some(model::Customer {
        name: c.name.trim().to_string(),
        legal_name: c.legal_name.clone(),
        identifiers: c
            .identifiers
            .iter()
            .map(identifier)
            .filter(|i| !i.value.is_empty())
            .collect(),
        addresses: c
            .addresses
            .iter()
            .map(|a| model::Address {
                lines: a.lines.clone(),
                city: a.city.clone(),
                postal_code: a.postal_code.clone(),
                region: a.region.clone(),
                country: a.country.clone(),
            })
            .collect(),
        contacts: c
            .contacts
            .iter()
            .map(|x| model::Contact {
                name: x.name.clone(),
                email: x.email.clone(),
                phone: x.phone.clone(),
                role: x.role.clone(),
            })
            .collect(),
        language: c.language.clone(),
        currency,
        payment_terms_days: c.payment_terms_days,
        sales_rep: c.sales_rep.clone(),
        segment: c.segment.clone(),
        parent_remote_id: c.parent_remote_id.clone(),
        credit_limit,
    })
}

fn document(d: &wit::Document, p: &mut Problems) -> Option<model::Document> {
    let currency = p.currency("currency", &d.currency);
    let issue_date = p.date("issue-date", &d.issue_date);
    let due_date = p.opt_date("due-date", &d.due_date);
    let delivery_date = p.opt_date("delivery-date", &d.delivery_date);
    let mut lines = Vec::new();
    for (i, l) in d.lines.iter().enumerate() {
        let f = |name| At("lines", i, name);
        let line = model::DocumentLine {
            description: l.description.clone(),
            quantity: p.opt_decimal(f("quantity"), &l.quantity),
            unit_price: p.opt_decimal(f("unit-price"), &l.unit_price),
            net_amount: p
                .decimal(f("net-amount"), &l.net_amount)
                .unwrap_or_default(),
            tax_category: l.tax_category.clone(),
            tax_rate: p.opt_decimal(f("tax-rate"), &l.tax_rate),
            item_id: l.item_id.clone(),
        };
        lines.push(line);
    }
    let mut allowances_charges = Vec::new();
    for (i, a) in d.allowances_charges.iter().enumerate() {
        allowances_charges.push(model::AllowanceCharge {
            is_charge: a.is_charge,
            amount: p
                .decimal(At("allowances-charges", i, "amount"), &a.amount)
                .unwrap_or_default(),
            reason: a.reason.clone(),
            tax_category: a.tax_category.clone(),
            tax_rate: p.opt_decimal(At("allowances-charges", i, "tax-rate"), &a.tax_rate),
        });
    }
    let mut tax_breakdown = Vec::new();
    for (i, t) in d.tax_breakdown.iter().enumerate() {
        tax_breakdown.push(model::TaxSubtotal {
            category: t.category.clone(),
            rate: p.opt_decimal(At("tax-breakdown", i, "rate"), &t.rate),
            taxable_amount: p
                .decimal(At("tax-breakdown", i, "taxable-amount"), &t.taxable_amount)
                .unwrap_or_default(),
            tax_amount: p
                .decimal(At("tax-breakdown", i, "tax-amount"), &t.tax_amount)
                .unwrap_or_default(),
            exemption_reason: t.exemption_reason.clone(),
        });
    }
    let t = &d.totals;
    let zero = |p: &mut Problems, field: &str, v: &Option<String>| {
        p.opt_decimal(field, v).unwrap_or_default()
    };
    let totals = model::Totals {
        line_total: p
            .decimal("totals.line-total", &t.line_total)
            .unwrap_or_default(),
        allowance_total: zero(p, "totals.allowance-total", &t.allowance_total),
        charge_total: zero(p, "totals.charge-total", &t.charge_total),
        tax_exclusive: p
            .decimal("totals.tax-exclusive", &t.tax_exclusive)
            .unwrap_or_default(),
        tax_total: p
            .decimal("totals.tax-total", &t.tax_total)
            .unwrap_or_default(),
        tax_inclusive: p
            .decimal("totals.tax-inclusive", &t.tax_inclusive)
            .unwrap_or_default(),
        prepaid: zero(p, "totals.prepaid", &t.prepaid),
        rounding: zero(p, "totals.rounding", &t.rounding),
        payable: p.decimal("totals.payable", &t.payable).unwrap_or_default(),
    };
    let amount_outstanding = match &d.amount_outstanding {
        Some(text) => p.decimal("amount-outstanding", text).unwrap_or_default(),
        None => totals.payable,
    };
    let terms = d.terms.as_ref().map(|t| model::PaymentTerms {
        description: t.description.clone(),
        net_days: t.net_days,
        discount_percent: p.opt_decimal("terms.discount-percent", &t.discount_percent),
        discount_days: t.discount_days,
    });
    if d.number.trim().is_empty() {
        p.push("number", "is empty");
    }
    if d.customer_remote_id.trim().is_empty() {
        p.push(
            "customer-remote-id",
            "is empty; the document must name its customer",
        );
    }
    Some(model::Document {
        number: d.number.trim().to_string(),
        customer_remote_id: d.customer_remote_id.clone(),
        issue_date: issue_date?,
        due_date,
        currency: currency?,
        lines,
        allowances_charges,
        tax_breakdown,
        totals,
        amount_outstanding,
        outstanding_stated: d.amount_outstanding.is_some(),
        status: match d.status {
            wit::DocumentStatus::Draft => model::DocumentStatus::Draft,
            wit::DocumentStatus::Open => model::DocumentStatus::Open,
            wit::DocumentStatus::Paid => model::DocumentStatus::Paid,
            wit::DocumentStatus::Voided => model::DocumentStatus::Voided,
        },
        terms,
        order_reference: d.order_reference.clone(),
        contract_reference: d.contract_reference.clone(),
        preceding_invoice: d.preceding_invoice.clone(),
        delivery_date,
        exchange_rate: p.opt_decimal("exchange-rate", &d.exchange_rate),
        note: d.note.clone(),
    })
}

fn payment(x: &wit::Payment, p: &mut Problems) -> Option<model::Payment> {
    let date = p.date("date", &x.date);
    let amount = p.money("amount", &x.amount);
    let mut allocations = Vec::new();
    for (i, a) in x.allocations.iter().enumerate() {
        allocations.push(model::Allocation {
            target: match a.target {
                wit::AllocationTarget::Invoice => model::AllocationTarget::Invoice,
                wit::AllocationTarget::CreditNote => model::AllocationTarget::CreditNote,
            },
            target_remote_id: a.target_remote_id.clone(),
            amount: p
                .decimal(At("allocations", i, "amount"), &a.amount)
                .unwrap_or_default(),
        });
    }
    Some(model::Payment {
        customer_remote_id: x.customer_remote_id.clone(),
        date: date?,
        amount: amount?,
        reference: x.reference.clone(),
        method: x.method.clone(),
        allocations,
    })
}

fn report(r: &wit::CreditReport, p: &mut Problems) -> Option<model::CreditReport> {
    let report_date = p.date("report-date", &r.report_date);
    let score = r.score.as_ref().and_then(|s| {
        Some(model::Score {
            value: p.decimal("score.value", &s.value)?,
            scale_min: p.decimal("score.scale-min", &s.scale_min)?,
            scale_max: p.decimal("score.scale-max", &s.scale_max)?,
            higher_is_better: s.higher_is_better,
        })
    });
    let recommended_limit = r
        .recommended_limit
        .as_ref()
        .and_then(|m| p.money("recommended-limit", m));
    let events = r
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| model::CreditEvent {
            kind: match e.kind {
                wit::CreditEventKind::Insolvency => model::CreditEventKind::Insolvency,
                wit::CreditEventKind::Liquidation => model::CreditEventKind::Liquidation,
                wit::CreditEventKind::Administration => model::CreditEventKind::Administration,
                wit::CreditEventKind::Dissolution => model::CreditEventKind::Dissolution,
                wit::CreditEventKind::StatusChange => model::CreditEventKind::StatusChange,
                wit::CreditEventKind::OverdueFiling => model::CreditEventKind::OverdueFiling,
                wit::CreditEventKind::RatingChange => model::CreditEventKind::RatingChange,
                wit::CreditEventKind::Other => model::CreditEventKind::Other,
            },
            date: e
                .date
                .as_deref()
                .and_then(|d| p.date(&format!("events[{}].date", i + 1), d)),
            description: e.description.clone(),
        })
        .collect();
    Some(model::CreditReport {
        subject_name: r.subject_name.clone(),
        identifiers: r.identifiers.iter().map(identifier).collect(),
        report_date: report_date?,
        source: r.source.clone(),
        score,
        rating: r.rating.clone(),
        previous_rating: r.previous_rating.clone(),
        recommended_limit,
        company_status: r.company_status.clone(),
        events,
    })
}
