//! Late-payment interest and compensation: the statutory country packs (`law.toml`, data with
//! their legal source) and contractual terms, computed exactly and explained line by line.
//!
//! Interest runs from the day after the due date. Each day accrues
//! `principal of the day × (reference rate of the day's period + margin) / 100 / day basis`;
//! days with the same principal and rate are one line, rounded half-up to the currency's
//! minor unit, and the total is the sum of the lines, so the lines add up to what is charged.

use chrono::{Datelike, NaiveDate};
use credence_model::Currency;
pub use credence_model::dunning::InterestLine;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

const LAW: &str = include_str!("law.toml");

/// A fixed compensation, from a debt size on.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub currency: Currency,
    pub amount: Decimal,
    #[serde(default)]
    pub from: Decimal,
}

/// One country's (or the EU baseline's) statutory terms.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pack {
    pub code: String,
    #[serde(default)]
    pub country: Option<String>,
    pub name: String,
    /// How messages cite it ("art. L441-10 du Code de commerce").
    pub cite: String,
    pub source: String,
    pub checked: NaiveDate,
    pub reference: String,
    pub margin: Decimal,
    pub day_basis: u32,
    pub compensation: Vec<Tier>,
    /// How long a creditor has to lodge a claim in insolvency proceedings.
    pub claims: ClaimRule,
}

/// The period for lodging a claim in insolvency proceedings under a pack's law: a fixed period
/// from the opening (or its publication) where the law gives one, otherwise only the rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimRule {
    /// The period, in days or months from the event (one of them, or neither).
    #[serde(default)]
    pub days: Option<u32>,
    #[serde(default)]
    pub months: Option<u32>,
    /// What the period is and who sets it, in one sentence.
    pub rule: String,
    pub cite: String,
}

impl ClaimRule {
    /// The deadline counted from the day the proceedings opened, where the law fixes one.
    pub fn deadline(&self, opened: NaiveDate) -> Option<NaiveDate> {
        match (self.days, self.months) {
            (Some(d), _) => opened.checked_add_days(chrono::Days::new(u64::from(d))),
            (None, Some(m)) => opened.checked_add_months(chrono::Months::new(m)),
            (None, None) => None,
        }
    }
}

#[derive(Debug, Deserialize)]
struct LawFile {
    pack: Vec<Pack>,
    rates: BTreeMap<String, BTreeMap<String, String>>,
}

/// A reference rate series: the rate from each date on.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub from: Vec<(NaiveDate, Decimal)>,
}

struct Law {
    packs: Vec<Pack>,
    series: BTreeMap<String, Series>,
}

static BUILT_IN: LazyLock<Law> = LazyLock::new(|| {
    // law.toml is checked by a unit test; a failure here is a build defect.
    let file: LawFile = toml::from_str(LAW).unwrap_or_else(|e| panic!("law.toml: {e}"));
    let series = file
        .rates
        .into_iter()
        .map(|(code, table)| {
            let mut name = code.clone();
            let mut from = Vec::new();
            for (k, v) in table {
                if k == "name" {
                    name = v;
                } else {
                    let date = k
                        .parse()
                        .unwrap_or_else(|e| panic!("law.toml {code}.{k}: {e}"));
                    let rate = v
                        .parse()
                        .unwrap_or_else(|e| panic!("law.toml {code}.{k}: {e}"));
                    from.push((date, rate));
                }
            }
            from.sort();
            (code, Series { name, from })
        })
        .collect();
    Law {
        packs: file.pack,
        series,
    }
});

/// A built-in pack by code.
pub fn pack(code: &str) -> Option<&'static Pack> {
    BUILT_IN.packs.iter().find(|p| p.code == code)
}

/// Every pack's code.
pub fn pack_codes() -> Vec<&'static str> {
    BUILT_IN.packs.iter().map(|p| p.code.as_str()).collect()
}

/// Every built-in pack.
pub fn packs() -> &'static [Pack] {
    &BUILT_IN.packs
}

/// The pack of a country (ISO 3166-1 alpha-2; "UK" is taken for "GB").
pub fn pack_for_country(country: &str) -> Option<&'static Pack> {
    let country = match country.trim().to_ascii_uppercase().as_str() {
        "UK" => "GB".to_string(),
        c => c.to_string(),
    };
    BUILT_IN
        .packs
        .iter()
        .find(|p| p.country.as_deref() == Some(country.as_str()))
}

/// A built-in rate series with the policy's additions (`[dunning.reference_rates]`).
pub fn series(code: &str, extra: &BTreeMap<String, BTreeMap<NaiveDate, Decimal>>) -> Series {
    let mut s = BUILT_IN.series.get(code).cloned().unwrap_or(Series {
        name: code.to_string(),
        from: Vec::new(),
    });
    if let Some(more) = extra.get(code) {
        for (date, rate) in more {
            s.from.retain(|(d, _)| d != date);
            s.from.push((*date, *rate));
        }
        s.from.sort();
    }
    s
}

/// Where an interest rate comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum RateSource {
    /// A pack's reference rate plus its margin.
    Statutory { pack: &'static Pack, series: Series },
    /// A rate agreed with the customer.
    Contract { annual_rate: Decimal },
}

/// Interest needs a reference rate the table does not have yet: the period it is missing for.
/// Nothing is charged on a guess; the plan says so and the message waits until a person adds
/// the rate (`credence law update`, or the policy's `[dunning.reference_rates]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingRate {
    /// The series' code (`uk-bank-rate`).
    pub series: String,
    /// Its name, as users read it.
    pub name: String,
    /// The first day of the period without a rate.
    pub from: NaiveDate,
}

impl std::fmt::Display for MissingRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the {} for the period from {} is not in the rate table yet: run `credence law update`, or add the published rate under [dunning.reference_rates.{}] in policy.toml",
            self.name, self.from, self.series
        )
    }
}

impl RateSource {
    /// The yearly percent for a day, and how it was made; a day after the last period the
    /// table covers has no rate.
    fn rate_on(&self, day: NaiveDate) -> Result<(Decimal, String), MissingRate> {
        match self {
            RateSource::Contract { annual_rate } => {
                Ok((*annual_rate, format!("contractual rate {annual_rate} %")))
            }
            RateSource::Statutory { pack, series } => {
                let found = series.from.iter().rev().find(|(d, _)| *d <= day);
                match found {
                    Some((from, rate)) => {
                        let period_end = next_period(*from);
                        let last = series.from.last().is_some_and(|(last, _)| last == from);
                        if last && day >= period_end {
                            return Err(MissingRate {
                                series: pack.reference.clone(),
                                name: series.name.clone(),
                                from: period_end,
                            });
                        }
                        Ok((
                            *rate + pack.margin,
                            format!(
                                "{} {} % from {from} + {} points ({})",
                                series.name, rate, pack.margin, pack.code
                            ),
                        ))
                    }
                    None => Ok((
                        pack.margin,
                        format!(
                            "no {} recorded for {day}: margin only ({} points)",
                            series.name, pack.margin
                        ),
                    )),
                }
            }
        }
    }

    fn day_basis(&self) -> Decimal {
        match self {
            RateSource::Contract { .. } => Decimal::from(365),
            RateSource::Statutory { pack, .. } => Decimal::from(pack.day_basis),
        }
    }
}

/// The first day of the half-year after the one `from` starts.
fn next_period(from: NaiveDate) -> NaiveDate {
    let (y, m) = if from.month() < 7 {
        (from.year(), 7)
    } else {
        (from.year() + 1, 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(from)
}

/// Interest on a debt for the days `first..=last`, where `principal(day)` is what was owed
/// that day. Lines group days of equal principal and rate; each is rounded to the currency.
pub fn interest(
    source: &RateSource,
    currency: Currency,
    first: NaiveDate,
    last: NaiveDate,
    principal: &dyn Fn(NaiveDate) -> Decimal,
) -> Result<Vec<InterestLine>, MissingRate> {
    let mut lines: Vec<InterestLine> = Vec::new();
    let basis_days = source.day_basis();
    let mut day = first;
    while day <= last {
        let p = principal(day);
        let (rate, basis) = source.rate_on(day)?;
        match lines.last_mut() {
            Some(l)
                if l.principal == p && l.rate == rate && l.basis == basis && p > Decimal::ZERO =>
            {
                l.to = day;
                l.days += 1;
            }
            _ if p > Decimal::ZERO => lines.push(InterestLine {
                from: day,
                to: day,
                days: 1,
                principal: p,
                rate,
                amount: Decimal::ZERO,
                basis,
            }),
            _ => {}
        }
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    for l in &mut lines {
        // Exact: the sum of `days` equal daily amounts is the product.
        l.amount = currency.fixed(
            l.principal * l.rate / Decimal::ONE_HUNDRED * Decimal::from(l.days) / basis_days,
        );
    }
    Ok(lines)
}

/// The fixed compensation a pack gives for a debt (in the currency of the pack's tiers).
pub fn compensation(pack: &Pack, debt: Decimal) -> Option<&Tier> {
    pack.compensation
        .iter()
        .filter(|t| debt >= t.from)
        .max_by(|a, b| a.from.cmp(&b.from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn every_pack_parses_and_names_a_known_rate_series() {
        for p in packs() {
            assert!(BUILT_IN.series.contains_key(&p.reference), "{}", p.code);
            assert!(
                !p.source.is_empty() && !p.compensation.is_empty(),
                "{}",
                p.code
            );
        }
        for code in ["eu", "fr", "de", "uk", "gr", "lv", "cz", "ro"] {
            assert!(pack(code).is_some(), "{code}");
        }
        assert_eq!(pack_for_country("UK").map(|p| p.code.as_str()), Some("uk"));
    }

    #[test]
    fn newer_reference_rates_come_from_the_policy() {
        let text = format!(
            "{}\n[dunning.reference_rates.uk-bank-rate]\n\"2026-01-01\" = \"3.75\"\n",
            crate::policy::DEFAULT_POLICY
        );
        let policy = crate::credit::Policy::parse(&text, "policy.toml").expect("policy");
        let uk = series("uk-bank-rate", &policy.dunning.reference_rates);
        assert_eq!(
            uk.from.last(),
            Some(&(d("2026-01-01"), "3.75".parse().expect("rate")))
        );
        let source = RateSource::Statutory {
            pack: pack("uk").expect("uk"),
            series: uk,
        };
        let (rate, _) = source.rate_on(d("2026-02-01")).expect("a rate");
        assert_eq!(rate, "11.75".parse::<Decimal>().expect("rate"));
        // The built-in table ends with the period from 2026-01-01: after it, no rate.
        let built_in = RateSource::Statutory {
            pack: pack("uk").expect("uk"),
            series: series("uk-bank-rate", &BTreeMap::new()),
        };
        assert!(built_in.rate_on(d("2026-06-30")).is_ok());
        let missing = built_in.rate_on(d("2026-07-01")).expect_err("no rate yet");
        assert_eq!(missing.from, d("2026-07-01"));
        assert!(
            missing.to_string().contains("credence law update"),
            "{missing}"
        );
    }

    #[test]
    fn uk_compensation_follows_the_debt_size() {
        let uk = pack("uk").expect("uk");
        let tier = |debt: &str| compensation(uk, debt.parse().expect("n")).map(|t| t.amount);
        assert_eq!(tier("999.99"), Some(Decimal::from(40)));
        assert_eq!(tier("1000"), Some(Decimal::from(70)));
        assert_eq!(tier("10000"), Some(Decimal::from(100)));
    }

    #[test]
    fn a_rate_change_splits_the_lines() {
        let source = RateSource::Statutory {
            pack: pack("eu").expect("eu"),
            series: series("ecb-mro", &BTreeMap::new()),
        };
        let eur = Currency::parse("EUR").expect("EUR");
        let lines = interest(&source, eur, d("2025-06-21"), d("2025-07-10"), &|_| {
            Decimal::from(1000)
        })
        .expect("rates known");
        assert_eq!(lines.len(), 2);
        assert_eq!(
            (lines[0].days, lines[0].rate),
            (10, "11.15".parse().expect("n"))
        );
        assert_eq!(
            (lines[1].days, lines[1].rate),
            (10, "10.15".parse().expect("n"))
        );
        // 1000 × 11.15 % × 10 / 365 = 3.0548 -> 3.05; 1000 × 10.15 % × 10 / 365 = 2.7808 -> 2.78
        assert_eq!(lines[0].amount, "3.05".parse().expect("n"));
        assert_eq!(lines[1].amount, "2.78".parse().expect("n"));
    }
}
