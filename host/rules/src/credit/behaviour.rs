//! Payment behaviour from the ledgers: how a customer has paid you, summed up per account as
//! of a date, and the 0-100 behaviour score the policy derives from it.

use crate::policy::BehaviourPolicy;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;

/// Whether paying is getting slower or faster: the last six months against the six before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Trend {
    Improving,
    Stable,
    Worsening,
    /// Not enough paid invoices in one of the two halves.
    Unknown,
}

/// Payment behaviour of one account.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Behaviour {
    /// Invoices paid within the look-back window whose payment date is known.
    pub paid_invoices: u32,
    /// Mean days between due date and payment (early payment counts as 0).
    #[schemars(with = "Option<String>")]
    pub average_days_late: Option<Decimal>,
    /// Percentage of those invoices paid after their due date.
    #[schemars(with = "Option<String>")]
    pub paid_late_percent: Option<Decimal>,
    /// Days sales outstanding: open invoices / invoiced in the last 90 days x 90.
    #[schemars(with = "Option<String>")]
    pub dso_days: Option<Decimal>,
    pub trend: Trend,
    /// Mean days late in the last 6 months and in the 6 before.
    #[schemars(with = "Option<String>")]
    pub recent_days_late: Option<Decimal>,
    #[schemars(with = "Option<String>")]
    pub earlier_days_late: Option<Decimal>,
    /// Days since the oldest unpaid invoice was issued.
    pub oldest_unpaid_days: Option<i64>,
    /// Promises to pay broken within the look-back window.
    pub broken_promises: u32,
    /// 0-100, higher is better; none without paid invoices or promises to judge by.
    #[schemars(with = "Option<String>")]
    pub score: Option<Decimal>,
}

/// Running sums for one account, filled invoice by invoice.
#[derive(Debug, Clone, Default)]
pub struct PaidTally {
    pub paid: u32,
    pub late: u32,
    pub days_late: i64,
    pub recent: (u32, i64),
    pub earlier: (u32, i64),
}

impl PaidTally {
    /// Count an invoice paid `days_late` days after its due date (negative: early), paid
    /// `age_days` days before the as-of date.
    pub fn add(&mut self, days_late: i64, age_days: i64) {
        let late = days_late.max(0);
        self.paid += 1;
        self.days_late += late;
        if late > 0 {
            self.late += 1;
        }
        let half = if age_days < 183 {
            &mut self.recent
        } else {
            &mut self.earlier
        };
        half.0 += 1;
        half.1 += late;
    }
}

/// Scores, days and percentages are shown with one decimal ("5.0").
pub fn one_decimal(v: Decimal) -> Decimal {
    let mut v = v.round_dp(1);
    v.rescale(1);
    v
}

fn mean(total: i64, count: u32) -> Option<Decimal> {
    (count > 0).then(|| one_decimal(Decimal::from(total) / Decimal::from(count)))
}

/// A two-day change in mean lateness between the halves is noise; more is a trend.
const TREND_DAYS: i64 = 2;

pub fn summarize(
    tally: &PaidTally,
    open_invoiced: Decimal,
    invoiced_90_days: Decimal,
    oldest_unpaid_days: Option<i64>,
    broken_promises: u32,
    policy: &BehaviourPolicy,
) -> Behaviour {
    let average = mean(tally.days_late, tally.paid);
    let late_percent = (tally.paid > 0).then(|| {
        one_decimal(Decimal::from(tally.late) * Decimal::from(100) / Decimal::from(tally.paid))
    });
    let (recent, earlier) = (
        mean(tally.recent.1, tally.recent.0),
        mean(tally.earlier.1, tally.earlier.0),
    );
    let trend = match (recent, earlier) {
        (Some(r), Some(e)) if r - e > Decimal::from(TREND_DAYS) => Trend::Worsening,
        (Some(r), Some(e)) if e - r > Decimal::from(TREND_DAYS) => Trend::Improving,
        (Some(_), Some(_)) => Trend::Stable,
        _ => Trend::Unknown,
    };
    let dso = (invoiced_90_days > Decimal::ZERO)
        .then(|| one_decimal(open_invoiced / invoiced_90_days * Decimal::from(90)));
    let score = (tally.paid > 0 || broken_promises > 0).then(|| {
        let penalty = average.unwrap_or_default() * policy.points_per_day_late
            + late_percent.unwrap_or_default() * policy.points_per_percent_late
            + Decimal::from(broken_promises) * policy.points_per_broken_promise;
        one_decimal((Decimal::from(100) - penalty).clamp(Decimal::ZERO, Decimal::from(100)))
    });
    Behaviour {
        paid_invoices: tally.paid,
        average_days_late: average,
        paid_late_percent: late_percent,
        dso_days: dso,
        trend,
        recent_days_late: recent,
        earlier_days_late: earlier,
        oldest_unpaid_days,
        broken_promises,
        score,
    }
}
