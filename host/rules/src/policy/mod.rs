//! The policy file: a TOML file in the home (`policy.toml`), or the commented default that
//! follows the domain guide. One type owns both halves: the credit sections here and the
//! `[dunning]` ladder in [`dunning`]. Parsed strictly (unknown keys are errors: a typo must not silently
//! switch a rule off) and checked for sense before any customer is evaluated.

pub mod dunning;

use chrono::NaiveDate;
use credence_model::Currency;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The default policy, with its comments (written by `credence init`).
pub const DEFAULT_POLICY: &str = concat!(
    include_str!("default-policy.toml"),
    include_str!("default-ladder.toml")
);

/// A date written as a TOML date (`2026-12-31`) or as a string (`"2026-12-31"`).
pub fn date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Text(String),
        Toml(toml::value::Datetime),
    }
    let text = match Written::deserialize(d)? {
        Written::Text(t) => t,
        Written::Toml(t) => t.to_string(),
    };
    text.parse()
        .map_err(|e| serde::de::Error::custom(format!("{text:?} is not a date (YYYY-MM-DD): {e}")))
}

/// Credit states, from least to most restrictive.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum CreditState {
    /// Trade on normal terms.
    Ok,
    /// Trade, but look closer.
    Watch,
    /// No new deliveries until the account is brought up to date.
    Hold,
    /// No credit: prepayment or cash on order until fully paid / cleared.
    CashOnly,
    /// No new orders at all.
    BlockedNew,
}

impl CreditState {
    pub fn as_str(&self) -> &'static str {
        match self {
            CreditState::Ok => "ok",
            CreditState::Watch => "watch",
            CreditState::Hold => "hold",
            CreditState::CashOnly => "cash-only",
            CreditState::BlockedNew => "blocked-new",
        }
    }
}

/// Which reports a rule looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReportCondition {
    Missing,
    Expired,
    MissingOrExpired,
}

/// The conditions of a state rule; all that are set must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    pub insolvency_event: Option<bool>,
    pub new_customer: Option<bool>,
    pub report: Option<ReportCondition>,
    pub rating_in: Option<Vec<String>>,
    #[schemars(with = "Option<String>")]
    pub bureau_score_below: Option<Decimal>,
    #[schemars(with = "Option<String>")]
    pub internal_score_below: Option<Decimal>,
    pub broken_promise: Option<bool>,
    pub over_limit: Option<bool>,
    #[schemars(with = "Option<String>")]
    pub utilization_at_least: Option<Decimal>,
    pub days_overdue_over: Option<u32>,
    #[schemars(with = "Option<String>")]
    pub overdue_amount_over: Option<Decimal>,
}

impl Conditions {
    fn is_empty(&self) -> bool {
        *self == Conditions::default()
    }
}

/// One state rule: when its conditions hold (and no earlier rule matched), the state it sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateRule {
    /// Stable reason code users and integrations see (kebab-case).
    // Shared, not copied, by every decision it explains.
    #[schemars(with = "String")]
    pub code: std::sync::Arc<str>,
    pub state: CreditState,
    pub when: Conditions,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportsPolicy {
    pub fresh_for_days: u32,
    pub monitor_every_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertsPolicy {
    pub window_days: u32,
    #[schemars(with = "String")]
    pub score_drop: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BehaviourPolicy {
    pub months: u32,
    #[schemars(with = "String")]
    pub points_per_day_late: Decimal,
    #[schemars(with = "String")]
    pub points_per_percent_late: Decimal,
    #[schemars(with = "String")]
    pub points_per_broken_promise: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScorePolicy {
    #[schemars(with = "String")]
    pub bureau_weight: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnboardingPolicy {
    pub new_for_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreBand {
    #[schemars(with = "String")]
    pub min_score: Decimal,
    #[schemars(with = "String")]
    pub limit: Decimal,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsPolicy {
    #[schemars(with = "String")]
    pub bureau_share: Decimal,
    pub score_bands: Vec<ScoreBand>,
    /// The customer record's own credit limit (from the ledger) is a basis too.
    #[serde(default = "yes")]
    pub ledger_limit: bool,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub segment_caps: BTreeMap<String, Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExposurePolicy {
    pub not_yet_due: bool,
    pub overdue: bool,
    pub unallocated_credit: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InsurancePolicy {
    #[schemars(with = "Option<String>")]
    pub customer_exposure_over: Option<Decimal>,
    #[schemars(with = "Option<String>")]
    pub invoice_over: Option<Decimal>,
    #[serde(default)]
    pub ratings: Vec<String>,
    pub notify_within_days: u32,
}

/// Review cadence in days, per state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReviewPolicy {
    pub ok: u32,
    pub watch: u32,
    pub hold: u32,
    pub cash_only: u32,
    pub blocked_new: u32,
}

impl ReviewPolicy {
    pub fn cadence(&self, state: CreditState) -> u32 {
        match state {
            CreditState::Ok => self.ok,
            CreditState::Watch => self.watch,
            CreditState::Hold => self.hold,
            CreditState::CashOnly => self.cash_only,
            CreditState::BlockedNew => self.blocked_new,
        }
    }
}

/// A named person's exception for one customer, until a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// An account id or any `CONNECTION/REMOTE-ID` of the account.
    pub customer: String,
    #[schemars(with = "Option<String>")]
    pub limit: Option<Decimal>,
    pub state: Option<CreditState>,
    pub by: String,
    pub reason: String,
    /// Inclusive; `2026-12-31` or `"2026-12-31"`.
    #[serde(deserialize_with = "date")]
    #[schemars(with = "NaiveDate")]
    pub until: NaiveDate,
}

/// The whole policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub currency: Currency,
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub rates: BTreeMap<Currency, Decimal>,
    pub reports: ReportsPolicy,
    pub alerts: AlertsPolicy,
    pub behaviour: BehaviourPolicy,
    pub score: ScorePolicy,
    pub onboarding: OnboardingPolicy,
    pub limits: LimitsPolicy,
    pub exposure: ExposurePolicy,
    pub states: Vec<StateRule>,
    pub insurance: InsurancePolicy,
    pub review: ReviewPolicy,
    #[serde(default)]
    pub overrides: Vec<Override>,
    /// The reminder ladder; a policy written before dunning existed gets the default one.
    #[serde(default)]
    pub dunning: dunning::DunningPolicy,
    /// Which ledger speaks for a customer that several ledgers share. Left out of the
    /// policy's fingerprint while empty, so policies without it keep their version.
    #[serde(default, skip_serializing_if = "AccountsPolicy::is_empty")]
    pub accounts: AccountsPolicy,
}

/// `[accounts]`: customer records of several connections linked into one account by a legal
/// identifier take their contact details (the reminder recipient) and the ledger credit limit
/// from one connection only: the first of `primary_connections` the account has a record in;
/// otherwise the connection holding most of its open invoices. What other linked records say
/// is shown as a conflict and raised as an alert, never used (see `accounts::Speaker`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountsPolicy {
    /// Connection names, most trusted first.
    #[serde(default)]
    pub primary_connections: Vec<String>,
}

impl AccountsPolicy {
    pub fn is_empty(&self) -> bool {
        self.primary_connections.is_empty()
    }
}

/// Why a policy file cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("the credit policy {origin} is not valid: {message}")]
pub struct PolicyError {
    pub origin: String,
    pub message: String,
}

impl Policy {
    /// The built-in default.
    pub fn default_policy() -> Policy {
        // The default is tested to parse; a failure here is a build defect, not user input.
        Policy::parse(DEFAULT_POLICY, "(built-in default)").unwrap_or_else(|e| panic!("{e}"))
    }

    /// Parse and check a policy; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Policy, PolicyError> {
        let error = |message: String| PolicyError {
            origin: origin.to_string(),
            message,
        };
        let policy: Policy = toml::from_str(text).map_err(|e| error(e.to_string()))?;
        policy.check().map_err(error)?;
        policy.dunning.check().map_err(error)?;
        Ok(policy)
    }

    /// A short fingerprint of the policy's content, recorded with every evaluation so a
    /// decision can be traced to the policy that produced it.
    pub fn version(&self) -> String {
        use sha2::{Digest, Sha256};
        let text = serde_json::to_string(self).unwrap_or_default();
        hex::encode(&Sha256::digest(text.as_bytes())[..6])
    }

    fn check(&self) -> Result<(), String> {
        let hundred = Decimal::from(100);
        let percent = |name: &str, v: Decimal| {
            if v < Decimal::ZERO || v > hundred {
                Err(format!("{name} = {v} must be between 0 and 100"))
            } else {
                Ok(())
            }
        };
        if self.score.bureau_weight < Decimal::ZERO || self.score.bureau_weight > Decimal::ONE {
            return Err(format!(
                "score.bureau_weight = {} must be between 0 and 1",
                self.score.bureau_weight
            ));
        }
        let share = |name: &str, v: Decimal| {
            if v < Decimal::ZERO || v > Decimal::ONE {
                Err(format!(
                    "{name} = {v} must be a share between 0 and 1 (\"0.5\" is half)"
                ))
            } else {
                Ok(())
            }
        };
        let amount = |name: &str, v: Decimal| {
            if v < Decimal::ZERO {
                Err(format!(
                    "{name} = {v} is an amount and must not be negative"
                ))
            } else {
                Ok(())
            }
        };
        share("limits.bureau_share", self.limits.bureau_share)?;
        for (segment, cap) in &self.limits.segment_caps {
            amount(&format!("limits.segment_caps.{segment}"), *cap)?;
        }
        // A score drop is measured in points of the 0-100 score; 0 or less would alert on
        // every report that does not improve.
        if self.alerts.score_drop <= Decimal::ZERO || self.alerts.score_drop > hundred {
            return Err(format!(
                "alerts.score_drop = {} must be more than 0 and at most 100 (points of the 0-100 score)",
                self.alerts.score_drop
            ));
        }
        if self.behaviour.months == 0 {
            return Err(
                "behaviour.months = 0 leaves no payment history to judge; give 1 or more".into(),
            );
        }
        // Points come off a 0-100 score: one late day or one broken promise costing more than
        // the whole score is a typo, and a negative cost would reward paying late.
        for (name, v) in [
            (
                "behaviour.points_per_day_late",
                self.behaviour.points_per_day_late,
            ),
            (
                "behaviour.points_per_percent_late",
                self.behaviour.points_per_percent_late,
            ),
            (
                "behaviour.points_per_broken_promise",
                self.behaviour.points_per_broken_promise,
            ),
        ] {
            percent(name, v)?;
        }
        if let Some(v) = self.insurance.customer_exposure_over {
            amount("insurance.customer_exposure_over", v)?;
        }
        if let Some(v) = self.insurance.invoice_over {
            amount("insurance.invoice_over", v)?;
        }
        for (i, band) in self.limits.score_bands.iter().enumerate() {
            percent(
                &format!("limits.score_bands[{i}].min_score"),
                band.min_score,
            )?;
            if band.limit < Decimal::ZERO {
                return Err(format!(
                    "limits.score_bands[{i}].limit must not be negative"
                ));
            }
            if i > 0 && band.min_score >= self.limits.score_bands[i - 1].min_score {
                return Err(format!(
                    "limits.score_bands must go from the highest min_score down; band {i} ({}) is not below band {} ({})",
                    band.min_score,
                    i - 1,
                    self.limits.score_bands[i - 1].min_score
                ));
            }
        }
        for (currency, rate) in &self.rates {
            if *rate <= Decimal::ZERO {
                return Err(format!("rates.{currency} = {rate} must be positive"));
            }
        }
        let mut codes = std::collections::BTreeSet::new();
        for (i, rule) in self.states.iter().enumerate() {
            let ok_code = !rule.code.is_empty()
                && rule
                    .code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok_code {
                return Err(format!(
                    "states[{i}].code {:?} must be kebab-case (a-z, 0-9, -)",
                    rule.code
                ));
            }
            if !codes.insert(&*rule.code) {
                return Err(format!("states[{i}].code {:?} is used twice", rule.code));
            }
            if rule.when.is_empty() {
                return Err(format!(
                    "states[{i}] ({}) has no condition: it would match every customer",
                    rule.code
                ));
            }
            for (name, v) in [
                ("bureau_score_below", rule.when.bureau_score_below),
                ("internal_score_below", rule.when.internal_score_below),
            ] {
                if let Some(v) = v {
                    percent(&format!("states[{i}].when.{name}"), v)?;
                }
            }
            // Utilization is exposure over limit in percent: above 100 is meaningful (over the
            // limit), below 0 is not.
            if let Some(v) = rule.when.utilization_at_least
                && v < Decimal::ZERO
            {
                return Err(format!(
                    "states[{i}].when.utilization_at_least = {v} is a percentage of the limit and must not be negative"
                ));
            }
            if let Some(v) = rule.when.overdue_amount_over {
                amount(&format!("states[{i}].when.overdue_amount_over"), v)?;
            }
            if rule.when.rating_in.as_ref().is_some_and(Vec::is_empty) {
                return Err(format!(
                    "states[{i}].when.rating_in is empty: it would never match; list the ratings or remove it"
                ));
            }
        }
        for (i, o) in self.overrides.iter().enumerate() {
            if o.by.trim().is_empty() || o.reason.trim().is_empty() {
                return Err(format!(
                    "overrides[{i}] ({}) must say who granted it (`by`) and why (`reason`)",
                    o.customer
                ));
            }
            if o.limit.is_none() && o.state.is_none() {
                return Err(format!(
                    "overrides[{i}] ({}) changes nothing: give a `limit`, a `state` or both",
                    o.customer
                ));
            }
            if let Some(limit) = o.limit {
                amount(&format!("overrides[{i}].limit"), limit)?;
            }
        }
        Ok(())
    }

    /// Convert an amount into the policy currency (`None`: no rate for that currency).
    pub fn convert(&self, amount: Decimal, currency: Currency) -> Option<Decimal> {
        if currency == self.currency {
            Some(amount)
        } else {
            self.rates.get(&currency).map(|rate| amount * rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_parses_and_passes_its_checks() {
        let p = Policy::parse(DEFAULT_POLICY, "default").expect("default policy");
        assert_eq!(p.states.first().map(|s| &*s.code), Some("insolvency"));
        assert_eq!(p.version().len(), 12);
    }

    /// Values that parse but make no sense are refused when the policy is loaded, naming the
    /// file, the key and why: (text in the default policy, what it becomes, expected message).
    #[test]
    fn nonsense_values_are_refused_with_the_file_the_key_and_the_reason() {
        let append = |extra: &str| format!("{DEFAULT_POLICY}\n{extra}");
        let replaced = |from: &str, to: &str| {
            // Exactly once: a match in a comment would leave the value unchanged.
            assert_eq!(
                DEFAULT_POLICY.matches(from).count(),
                1,
                "{from:?} must be in the default policy once"
            );
            DEFAULT_POLICY.replacen(from, to, 1)
        };
        let cases: Vec<(String, &str)> = vec![
            (
                replaced("score_drop = \"10\"", "score_drop = \"-10\""),
                "alerts.score_drop = -10 must be more than 0 and at most 100",
            ),
            (
                replaced("score_drop = \"10\"", "score_drop = \"0\""),
                "alerts.score_drop = 0 must be more than 0",
            ),
            (
                replaced("bureau_share = \"1.0\"", "bureau_share = \"5.0\""),
                "limits.bureau_share = 5.0 must be a share between 0 and 1",
            ),
            (
                replaced("bureau_share = \"1.0\"", "bureau_share = \"-0.5\""),
                "limits.bureau_share = -0.5 must be a share between 0 and 1",
            ),
            (
                replaced(
                    "after = \"issue\"\ndays = 3\n",
                    "after = \"issue\"\ndays = -3\n",
                ),
                "dunning.steps[0] (receipt): days = -3 counts back from the issue date",
            ),
            (
                replaced("days = 15\n", "days = 36500\n"),
                "dunning.steps[6] (hold): days = 36500 is more than 3650 days",
            ),
            (
                replaced("months = 12\n", "months = 0\n"),
                "behaviour.months = 0 leaves no payment history",
            ),
            (
                replaced(
                    "points_per_day_late = \"1.5\"",
                    "points_per_day_late = \"-1.5\"",
                ),
                "behaviour.points_per_day_late = -1.5 must be between 0 and 100",
            ),
            (
                replaced(
                    "points_per_broken_promise = \"15\"",
                    "points_per_broken_promise = \"150\"",
                ),
                "behaviour.points_per_broken_promise = 150 must be between 0 and 100",
            ),
            (
                replaced(
                    "customer_exposure_over = \"25000\"",
                    "customer_exposure_over = \"-1\"",
                ),
                "insurance.customer_exposure_over = -1 is an amount and must not be negative",
            ),
            (
                replaced("invoice_over = \"10000\"", "invoice_over = \"-10000\""),
                "insurance.invoice_over = -10000 is an amount",
            ),
            (
                replaced(
                    "[limits.segment_caps]\n",
                    "[limits.segment_caps]\nretail = \"-100\"\n",
                ),
                "limits.segment_caps.retail = -100 is an amount",
            ),
            (
                replaced(
                    "when = { utilization_at_least = \"90\"",
                    "when = { utilization_at_least = \"-5\"",
                ),
                "when.utilization_at_least = -5 is a percentage of the limit",
            ),
            (
                replaced(
                    "when = { overdue_amount_over = \"0\"",
                    "when = { overdue_amount_over = \"-1\"",
                ),
                "when.overdue_amount_over = -1 is an amount",
            ),
            (
                replaced("rating_in = [\"E\"]", "rating_in = []"),
                "when.rating_in is empty",
            ),
            (
                replaced(
                    "when = { internal_score_below = \"40\"",
                    "when = { internal_score_below = \"400\"",
                ),
                "when.internal_score_below = 400 must be between 0 and 100",
            ),
            (
                replaced("USD = \"0.92\"", "USD = \"-0.92\""),
                "rates.USD = -0.92 must be positive",
            ),
            (
                replaced("fresh_for_days = 365", "fresh_for_days = -1"),
                "fresh_for_days",
            ),
            (
                replaced("EUR = \"5.00\"", "EUR = \"-5.00\""),
                "dunning.tolerance.EUR must not be negative",
            ),
            (
                append("[[dunning.contracts]]\ncustomer = \"shop/C001\"\nannual_rate = \"800\"\n"),
                "dunning.contracts[0] (shop/C001): annual_rate = 800 must be a yearly percentage between 0 and 100",
            ),
            (
                append(
                    "[[dunning.contracts]]\ncustomer = \"shop/C001\"\nannual_rate = \"8\"\nfee = \"-40\"\n",
                ),
                "dunning.contracts[0] (shop/C001): fee = -40 is an amount",
            ),
            (
                append("[dunning.reference_rates.ecb-mro]\n2027-01-01 = \"250\"\n"),
                "dunning.reference_rates.ecb-mro.2027-01-01 = 250 must be a percentage between -100 and 100",
            ),
        ];
        for (text, expected) in &cases {
            let err = Policy::parse(text, "/home/policy.toml").expect_err(expected);
            let message = err.to_string();
            assert!(
                message.contains(expected) && message.contains("/home/policy.toml"),
                "expected {expected:?} in: {message}"
            );
        }
        // A reference rate below zero is real (the ECB's deposit rate was -0.5 %).
        Policy::parse(
            &append("[dunning.reference_rates.ecb-mro]\n2027-01-01 = \"-0.50\"\n"),
            "policy.toml",
        )
        .expect("a negative reference rate");
    }

    #[test]
    fn mistakes_are_refused_with_the_key_that_is_wrong() {
        let cases = [
            ("currency = \"EUR\"\nbogus = 1\n", "bogus"),
            (
                &DEFAULT_POLICY.replace("bureau_weight = \"0.6\"", "bureau_weight = \"1.5\""),
                "score.bureau_weight",
            ),
            (
                &DEFAULT_POLICY.replace("when = { over_limit = true }", "when = {}"),
                "has no condition",
            ),
            (
                &DEFAULT_POLICY.replace("code = \"overdue\"", "code = \"over-limit\""),
                "used twice",
            ),
            (
                &DEFAULT_POLICY.replace("min_score = \"60\"", "min_score = \"90\""),
                "highest min_score down",
            ),
            (
                &format!(
                    "{DEFAULT_POLICY}\n[[overrides]]\ncustomer = \"a/1\"\nlimit = \"5\"\nby = \"\"\nreason = \"x\"\nuntil = \"2026-01-01\"\n"
                ),
                "who granted it",
            ),
            (
                &DEFAULT_POLICY.replace("days_overdue_over = 14", "days_overdue_ovr = 14"),
                "days_overdue_ovr",
            ),
        ];
        for (text, expected) in cases {
            let err = Policy::parse(text, "policy.toml").expect_err(expected);
            assert!(
                err.to_string().contains(expected) && err.to_string().contains("policy.toml"),
                "{expected}: {err}"
            );
        }
    }
}
