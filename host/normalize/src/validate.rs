//! Rules every normalized record must satisfy. Amounts compare within the currency's rounding:
//! equal once both are rounded to the minor unit; the amounts themselves must be exact in their
//! currency (`CR-MINOR-UNIT`), never rounded on the way in.
//!
//! Documents follow the EN 16931 business rules on totals (BR-CO-10 to BR-CO-16); payments must
//! not allocate more than they are; dates must be in order.

use credence_model::{Body, Currency, Document, Payment};
use rust_decimal::Decimal;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// A stable code: the EN 16931 rule (`BR-CO-15`) or Credence's own (`CR-DATES`).
    pub rule: &'static str,
    pub message: String,
}

fn problem(rule: &'static str, message: String) -> Problem {
    Problem { rule, message }
}

/// Every rule `body` breaks (empty when valid).
pub fn validate(body: &Body) -> Vec<Problem> {
    match body {
        Body::Invoice(d) | Body::CreditNote(d) => document(d),
        Body::Payment(p) => payment(p),
        Body::CreditReport(r) => {
            let mut problems = Vec::new();
            if let Some(s) = &r.score
                && (s.scale_min >= s.scale_max || s.value < s.scale_min || s.value > s.scale_max)
            {
                problems.push(problem(
                    "CR-SCORE",
                    format!(
                        "score {} is not within its scale {}..{}",
                        s.value, s.scale_min, s.scale_max
                    ),
                ));
            }
            problems
        }
        Body::Customer(_) => Vec::new(),
    }
}

fn same(c: &Currency, a: Decimal, b: Decimal) -> bool {
    c.round(a) == c.round(b)
}

/// The sum of outside amounts, or `None` when it does not fit a decimal (a plugin or a vendor
/// can send amounts near the largest one: a record, not a panic in the host).
fn sum(amounts: impl IntoIterator<Item = Decimal>) -> Option<Decimal> {
    amounts
        .into_iter()
        .try_fold(Decimal::ZERO, |acc, a| acc.checked_add(a))
}

/// An amount that goes into balances, reminders and fees must be exact in its currency: the
/// rules above compare within the minor unit, so `100.004 EUR` would pass them and then be
/// carried (and eventually rounded somewhere) as something the ledger never said. Trailing
/// zeros are fine (`100.000` EUR is `100.00`).
fn finer_than_currency(out: &mut Vec<Problem>, c: &Currency, what: &str, amount: Decimal) {
    let places = amount.normalize().scale();
    if places > c.minor_units() {
        out.push(problem(
            "CR-MINOR-UNIT",
            format!(
                "{what} is {amount} {c}, with {places} decimal places; {c} has {}, and Credence does not round amounts: send the amount as the ledger books it",
                c.minor_units()
            ),
        ));
    }
}

fn document(d: &Document) -> Vec<Problem> {
    let mut out = Vec::new();
    let c = &d.currency;
    let t = &d.totals;
    for (what, amount) in [
        ("totals.line-total", t.line_total),
        ("totals.allowance-total", t.allowance_total),
        ("totals.charge-total", t.charge_total),
        ("totals.tax-exclusive", t.tax_exclusive),
        ("totals.tax-total", t.tax_total),
        ("totals.tax-inclusive", t.tax_inclusive),
        ("totals.prepaid", t.prepaid),
        ("totals.rounding", t.rounding),
        ("totals.payable", t.payable),
        ("amount-outstanding", d.amount_outstanding),
    ] {
        finer_than_currency(&mut out, c, what, amount);
    }
    let mut check =
        |rule: &'static str, what: &str, stated: Decimal, computed: Option<Decimal>, how: &str| {
            match computed {
                Some(computed) if same(c, stated, computed) => {}
                Some(computed) => out.push(problem(
                    rule,
                    format!("{what} is {stated} {c} but {how} gives {computed} {c}"),
                )),
                None => out.push(problem(
                    rule,
                    format!(
                        "{what} is {stated} {c} but {how} gives more than a decimal amount can hold"
                    ),
                )),
            }
        };
    if !d.lines.is_empty() {
        check(
            "BR-CO-10",
            "the sum of line net amounts",
            t.line_total,
            sum(d.lines.iter().map(|l| l.net_amount)),
            "adding the lines",
        );
    }
    let allowances: Vec<Decimal> = d
        .allowances_charges
        .iter()
        .filter(|a| !a.is_charge)
        .map(|a| a.amount)
        .collect();
    if !allowances.is_empty() {
        check(
            "BR-CO-11",
            "the allowance total",
            t.allowance_total,
            sum(allowances.iter().copied()),
            "adding the allowances",
        );
    }
    let charges: Vec<Decimal> = d
        .allowances_charges
        .iter()
        .filter(|a| a.is_charge)
        .map(|a| a.amount)
        .collect();
    if !charges.is_empty() {
        check(
            "BR-CO-12",
            "the charge total",
            t.charge_total,
            sum(charges.iter().copied()),
            "adding the charges",
        );
    }
    check(
        "BR-CO-13",
        "the total without tax",
        t.tax_exclusive,
        t.line_total
            .checked_sub(t.allowance_total)
            .and_then(|v| v.checked_add(t.charge_total)),
        "lines - allowances + charges",
    );
    if !d.tax_breakdown.is_empty() {
        check(
            "BR-CO-14",
            "the tax total",
            t.tax_total,
            sum(d.tax_breakdown.iter().map(|s| s.tax_amount)),
            "adding the tax breakdown",
        );
    }
    check(
        "BR-CO-15",
        "the total with tax",
        t.tax_inclusive,
        t.tax_exclusive.checked_add(t.tax_total),
        "total without tax + tax",
    );
    check(
        "BR-CO-16",
        "the amount due",
        t.payable,
        t.tax_inclusive
            .checked_sub(t.prepaid)
            .and_then(|v| v.checked_add(t.rounding)),
        "total with tax - prepaid + rounding",
    );
    if let Some(due) = d.due_date
        && due < d.issue_date
    {
        out.push(problem(
            "CR-DATES",
            format!("due date {due} is before the issue date {}", d.issue_date),
        ));
    }
    let payable = t.payable.abs();
    let ceiling = payable
        .checked_add(c.minor_unit() / Decimal::TWO)
        .unwrap_or(Decimal::MAX);
    if d.amount_outstanding.abs() > ceiling {
        out.push(problem(
            "CR-OUTSTANDING",
            format!(
                "{} {c} outstanding is more than the {} {c} due",
                d.amount_outstanding, t.payable
            ),
        ));
    }
    out
}

fn payment(p: &Payment) -> Vec<Problem> {
    let mut out = Vec::new();
    let c = &p.amount.currency;
    finer_than_currency(&mut out, c, "amount", p.amount.amount);
    for (i, a) in p.allocations.iter().enumerate() {
        finer_than_currency(
            &mut out,
            c,
            &format!("allocations[{}].amount", i + 1),
            a.amount,
        );
        if a.amount <= Decimal::ZERO {
            out.push(problem(
                "CR-ALLOCATION",
                format!(
                    "allocation {} to {} is {} {c}; allocations must be positive",
                    i + 1,
                    a.target_remote_id,
                    a.amount
                ),
            ));
        }
    }
    let Some(allocated) = sum(p.allocations.iter().map(|a| a.amount)) else {
        out.push(problem(
            "CR-ALLOCATION",
            format!(
                "allocations add up to more than a decimal amount can hold, more than the payment of {} {c}",
                p.amount.amount
            ),
        ));
        return out;
    };
    if c.round(allocated) > c.round(p.amount.amount) {
        out.push(problem(
            "CR-ALLOCATION",
            format!(
                "allocations add up to {allocated} {c}, more than the payment of {} {c}",
                p.amount.amount
            ),
        ));
    }
    out
}
