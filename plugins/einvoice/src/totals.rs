//! The document totals recomputed from the lines, allowances, charges and tax breakdown
//! (EN 16931 BR-CO-10 to BR-CO-16) and compared with what the document prints. A document
//! whose printed totals do not add up is not imported: the buyer would be chased for an
//! amount the invoice itself contradicts.

use credence_plugin_sdk::types::{Document, Totals};
use rust_decimal::Decimal;
use std::str::FromStr;

/// One printed total that differs from what its parts add up to.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub rule: &'static str,
    pub term: &'static str,
    pub printed: Decimal,
    pub computed: Decimal,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): the document prints {}, its parts add up to {}",
            self.term, self.rule, self.printed, self.computed
        )
    }
}

/// An amount as the document prints it, in the contract's plain form (`-?DIGITS(.DIGITS)?`):
/// `Decimal::from_str` alone would also take `1_00`, `+5` and round what has too many digits,
/// and the totals computed from it would carry a value the document never printed.
fn amount(field: &str, value: &str, bad: &mut Vec<String>) -> Decimal {
    let t = value.trim();
    let unsigned = t.strip_prefix('-').unwrap_or(t);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let plain = digits(int) && (!unsigned.contains('.') || digits(frac));
    let exact = Decimal::from_str(t).ok().filter(|d| {
        plain
            && d.scale() as usize == frac.len()
            && d.mantissa()
                .unsigned_abs()
                .to_string()
                .trim_start_matches('0')
                == format!("{int}{frac}").trim_start_matches('0')
    });
    match exact {
        Some(d) => d,
        None => {
            bad.push(format!("{field} {value:?} is not a decimal amount"));
            Decimal::ZERO
        }
    }
}

fn optional(field: &str, value: Option<&str>, bad: &mut Vec<String>) -> Decimal {
    value.map_or(Decimal::ZERO, |v| amount(field, v, bad))
}

/// A sum or difference of amounts, or (outside data may overflow a decimal) the reason it
/// has none.
fn fits(what: &str, value: Option<Decimal>, bad: &mut Vec<String>) -> Decimal {
    value.unwrap_or_else(|| {
        bad.push(format!("{what} is too large for a decimal amount"));
        Decimal::ZERO
    })
}

fn sum(amounts: &[Decimal]) -> Option<Decimal> {
    amounts
        .iter()
        .try_fold(Decimal::ZERO, |total, a| total.checked_add(*a))
}

/// The totals as computed from the document's parts, in the printed layout.
pub fn compute(doc: &Document) -> Result<Totals, Vec<String>> {
    let mut bad = Vec::new();
    let line_amounts: Vec<Decimal> = doc
        .lines
        .iter()
        .map(|l| amount("line net amount (BT-131)", &l.net_amount, &mut bad))
        .collect();
    let line_total = fits("the sum of line net amounts", sum(&line_amounts), &mut bad);
    let mut allowances = Vec::new();
    let mut charges = Vec::new();
    for ac in &doc.allowances_charges {
        let a = amount("allowance or charge amount", &ac.amount, &mut bad);
        if ac.is_charge {
            charges.push(a);
        } else {
            allowances.push(a);
        }
    }
    let allowances = fits("the sum of allowances", sum(&allowances), &mut bad);
    let charges = fits("the sum of charges", sum(&charges), &mut bad);
    let tax_amounts: Vec<Decimal> = doc
        .tax_breakdown
        .iter()
        .map(|t| amount("VAT category tax amount (BT-117)", &t.tax_amount, &mut bad))
        .collect();
    let tax_total = fits(
        "the sum of VAT category tax amounts",
        sum(&tax_amounts),
        &mut bad,
    );
    let printed = &doc.totals;
    let prepaid = optional("paid amount (BT-113)", printed.prepaid.as_deref(), &mut bad);
    let rounding = optional(
        "rounding amount (BT-114)",
        printed.rounding.as_deref(),
        &mut bad,
    );
    // Without a tax breakdown the printed tax total stands (documents outside VAT scope).
    let tax_total = if doc.tax_breakdown.is_empty() {
        amount("tax total (BT-110)", &printed.tax_total, &mut bad)
    } else {
        tax_total
    };
    let tax_exclusive = fits(
        "the total without VAT (lines less allowances plus charges)",
        line_total
            .checked_sub(allowances)
            .and_then(|d| d.checked_add(charges)),
        &mut bad,
    );
    let tax_inclusive = fits(
        "the total with VAT",
        tax_exclusive.checked_add(tax_total),
        &mut bad,
    );
    let payable = fits(
        "the amount due (total with VAT less paid plus rounding)",
        tax_inclusive
            .checked_sub(prepaid)
            .and_then(|d| d.checked_add(rounding)),
        &mut bad,
    );
    if !bad.is_empty() {
        return Err(bad);
    }
    let s = |d: Decimal| d.to_string();
    Ok(Totals {
        line_total: s(line_total),
        allowance_total: printed.allowance_total.as_ref().map(|_| s(allowances)),
        charge_total: printed.charge_total.as_ref().map(|_| s(charges)),
        tax_exclusive: s(tax_exclusive),
        tax_total: s(tax_total),
        tax_inclusive: s(tax_inclusive),
        prepaid: printed.prepaid.clone(),
        rounding: printed.rounding.clone(),
        payable: s(payable),
    })
}

/// Every printed total that differs from the computed one (exact decimal comparison).
pub fn mismatches(doc: &Document) -> Result<Vec<Mismatch>, Vec<String>> {
    let computed = compute(doc)?;
    let printed = &doc.totals;
    let mut bad = Vec::new();
    let pairs: [(&'static str, &'static str, Option<&str>, Option<&str>); 7] = [
        (
            "BR-CO-10",
            "BT-106 sum of line net amounts",
            Some(&printed.line_total),
            Some(&computed.line_total),
        ),
        (
            "BR-CO-11",
            "BT-107 sum of allowances",
            printed.allowance_total.as_deref(),
            computed.allowance_total.as_deref(),
        ),
        (
            "BR-CO-12",
            "BT-108 sum of charges",
            printed.charge_total.as_deref(),
            computed.charge_total.as_deref(),
        ),
        (
            "BR-CO-13",
            "BT-109 total without VAT",
            Some(&printed.tax_exclusive),
            Some(&computed.tax_exclusive),
        ),
        (
            "BR-CO-14",
            "BT-110 total VAT",
            Some(&printed.tax_total),
            Some(&computed.tax_total),
        ),
        (
            "BR-CO-15",
            "BT-112 total with VAT",
            Some(&printed.tax_inclusive),
            Some(&computed.tax_inclusive),
        ),
        (
            "BR-CO-16",
            "BT-115 amount due for payment",
            Some(&printed.payable),
            Some(&computed.payable),
        ),
    ];
    let mut out = Vec::new();
    for (rule, term, p, c) in pairs {
        let (Some(p), Some(c)) = (p, c) else { continue };
        let p = amount(term, p, &mut bad);
        let c = amount(term, c, &mut bad);
        if p != c {
            out.push(Mismatch {
                rule,
                term,
                printed: p,
                computed: c,
            });
        }
    }
    if bad.is_empty() { Ok(out) } else { Err(bad) }
}
