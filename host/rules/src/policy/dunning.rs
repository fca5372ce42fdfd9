//! The `[dunning]` section of the policy: the reminder ladder and the rules around it.
//!
//! Steps are tried in the order written. An invoice climbs one step per run, and only after
//! its previous step was delivered; a step whose conditions do not hold for the invoice (a
//! call for large invoices only, say) or whose moment has passed is stepped over, not sent.

use super::CreditState;
use credence_model::Currency;
pub use credence_model::dunning::ActionKind;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The default ladder, with its comments (part of the default `policy.toml`).
pub const DEFAULT_LADDER: &str = include_str!("default-ladder.toml");

/// The date a step counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Anchor {
    Issue,
    Due,
    /// The last day of the month the invoice falls due in.
    DueEndOfMonth,
    /// The day the invoice's last step was delivered.
    LastReminder,
}

/// What must hold for a step to apply to an invoice; all that are set must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepConditions {
    /// The invoice's open amount is at least this much, per currency (others: never).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub invoice_at_least: BTreeMap<Currency, Decimal>,
    /// The customer's segment is one of these.
    #[serde(default)]
    pub segments: Vec<String>,
    /// The customer's credit state is one of these.
    #[serde(default)]
    pub states: Vec<CreditState>,
}

/// What a message adds to the debt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Charge {
    /// Late-payment interest up to the day of the message.
    Interest,
    /// The fixed compensation for recovery costs (once per invoice).
    Compensation,
}

/// One rung of the ladder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Stable code (kebab-case), recorded with every action and level.
    pub code: String,
    pub action: ActionKind,
    /// Template name for messages (`receipt`, `pre-due`, `reminder`, `final-notice`, ...);
    /// defaults to the code.
    #[serde(default)]
    pub template: Option<String>,
    pub after: Anchor,
    /// Days after the anchor (negative: before).
    pub days: i32,
    /// The step is stepped over once this many days after the anchor have passed (e.g. a
    /// reminder before the due date makes no sense after it).
    #[serde(default)]
    pub until_days: Option<i32>,
    #[serde(default)]
    pub when: StepConditions,
    #[serde(default)]
    pub charge: Vec<Charge>,
}

impl Step {
    pub fn template(&self) -> &str {
        self.template.as_deref().unwrap_or(&self.code)
    }
}

/// Which law's interest and compensation apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LawPolicy {
    /// The pack for customers whose country has none (`eu` = Directive 2011/7/EU baseline).
    pub default_pack: String,
    /// Pick the pack by the customer's country (address) when one exists for it.
    pub by_customer_country: bool,
}

/// A contractual rate and fee agreed with one customer, instead of the statutory ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// An account id or any `CONNECTION/REMOTE-ID` of the account.
    pub customer: String,
    /// Yearly interest in percent (simple interest, day by day on a 365-day year).
    #[schemars(with = "String")]
    pub annual_rate: Decimal,
    /// A fee per invoice, in the invoice currency (none: no fee).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub fee: Option<Decimal>,
}

/// The whole `[dunning]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DunningPolicy {
    /// Days between two contacts with one customer, whatever the ladder says.
    pub min_gap_days: u32,
    /// Open amounts under this are not chased, per currency (others: zero).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub tolerance: BTreeMap<Currency, Decimal>,
    /// Language of messages to customers whose language has no template.
    pub fallback_language: String,
    pub law: LawPolicy,
    #[serde(default)]
    pub contracts: Vec<Contract>,
    /// Reference rates newer than the built-in ones, per series and first day, in percent:
    /// `[dunning.reference_rates.ecb-mro] 2027-01-01 = "2.00"`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, BTreeMap<String, String>>")]
    pub reference_rates: BTreeMap<String, BTreeMap<chrono::NaiveDate, Decimal>>,
    /// Interest and compensation on invoices paid late, claimed after payment.
    #[serde(default)]
    pub late_payment: LatePayment,
    pub steps: Vec<Step>,
}

/// `[dunning.late_payment]`: statutory interest and the fixed compensation are owed on an
/// invoice paid late too. With `claim = true`, an invoice paid after its due date within the
/// last `within_days` days gets one message claiming what was not charged on it yet (interest up
/// to the day of payment, the compensation), explained like a final notice's charges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatePayment {
    #[serde(default)]
    pub claim: bool,
    #[serde(default = "late_payment_window")]
    pub within_days: u32,
}

fn late_payment_window() -> u32 {
    60
}

impl Default for LatePayment {
    fn default() -> Self {
        LatePayment {
            claim: false,
            within_days: late_payment_window(),
        }
    }
}

impl Default for DunningPolicy {
    fn default() -> Self {
        #[derive(Deserialize)]
        struct Wrapper {
            dunning: DunningPolicy,
        }
        // The default ladder is tested to parse; a failure is a build defect.
        toml::from_str::<Wrapper>(DEFAULT_LADDER)
            .map(|w| w.dunning)
            .unwrap_or_else(|e| panic!("the built-in dunning ladder: {e}"))
    }
}

/// The furthest a step may be from its anchor, in days (ten years).
const MAX_STEP_DAYS: u32 = 3650;

impl DunningPolicy {
    /// Check the section for sense; messages name the key.
    pub fn check(&self) -> Result<(), String> {
        let mut codes = std::collections::BTreeSet::new();
        if self.steps.is_empty() {
            return Err("dunning.steps is empty: give at least one step".into());
        }
        for (i, step) in self.steps.iter().enumerate() {
            let kebab = !step.code.is_empty()
                && step
                    .code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !kebab {
                return Err(format!(
                    "dunning.steps[{i}].code {:?} must be kebab-case (a-z, 0-9, -)",
                    step.code
                ));
            }
            if !codes.insert(step.code.as_str()) {
                return Err(format!(
                    "dunning.steps[{i}].code {:?} is used twice",
                    step.code
                ));
            }
            if step.after == Anchor::LastReminder && (i == 0 || step.days < 0) {
                return Err(format!(
                    "dunning.steps[{i}] ({}) counts from the last reminder: it cannot be the first step or count backwards",
                    step.code
                ));
            }
            // Nothing can be sent before the invoice exists.
            if step.after == Anchor::Issue && step.days < 0 {
                return Err(format!(
                    "dunning.steps[{i}] ({}): days = {} counts back from the issue date, before the invoice existed; use 0 or more (or `after = \"due\"` for a reminder before the due date)",
                    step.code, step.days
                ));
            }
            // More than ten years either way is a typo (days, not a date).
            for (name, v) in [("days", Some(step.days)), ("until_days", step.until_days)] {
                if let Some(v) = v
                    && v.unsigned_abs() > MAX_STEP_DAYS
                {
                    return Err(format!(
                        "dunning.steps[{i}] ({}): {name} = {v} is more than {MAX_STEP_DAYS} days from the anchor; give a number of days",
                        step.code
                    ));
                }
            }
            if let Some(until) = step.until_days
                && until < step.days
            {
                return Err(format!(
                    "dunning.steps[{i}] ({}): until_days = {until} is before days = {}",
                    step.code, step.days
                ));
            }
            if matches!(step.action, ActionKind::Claim | ActionKind::Insurer) {
                return Err(format!(
                    "dunning.steps[{i}] ({}): action \"{}\" is not a ladder step; Credence opens those tasks itself (a claim when a credit report shows insolvency proceedings, an insurer notification when the credit policy's [insurance] says cover is needed)",
                    step.code,
                    step.action.as_str()
                ));
            }
            if matches!(step.action, ActionKind::Email | ActionKind::Letter)
                && !crate::templates::has_template(step.template())
            {
                return Err(format!(
                    "dunning.steps[{i}] ({}): there is no message template {:?}; the templates are {}",
                    step.code,
                    step.template(),
                    crate::templates::TEMPLATE_NAMES.join(", ")
                ));
            }
            for (currency, amount) in &step.when.invoice_at_least {
                if *amount < Decimal::ZERO {
                    return Err(format!(
                        "dunning.steps[{i}].when.invoice_at_least.{currency} must not be negative"
                    ));
                }
            }
        }
        for (currency, amount) in &self.tolerance {
            if *amount < Decimal::ZERO {
                return Err(format!("dunning.tolerance.{currency} must not be negative"));
            }
        }
        if crate::law::pack(&self.law.default_pack).is_none() {
            return Err(format!(
                "dunning.law.default_pack {:?} is not a known pack; the packs are {}",
                self.law.default_pack,
                crate::law::pack_codes().join(", ")
            ));
        }
        if !crate::templates::LANGUAGES.contains(&self.fallback_language.as_str()) {
            return Err(format!(
                "dunning.fallback_language {:?} has no templates; the languages are {}",
                self.fallback_language,
                crate::templates::LANGUAGES.join(", ")
            ));
        }
        for (i, c) in self.contracts.iter().enumerate() {
            if c.annual_rate < Decimal::ZERO || c.annual_rate > Decimal::from(100) {
                return Err(format!(
                    "dunning.contracts[{i}] ({}): annual_rate = {} must be a yearly percentage between 0 and 100",
                    c.customer, c.annual_rate
                ));
            }
            if let Some(fee) = c.fee
                && fee < Decimal::ZERO
            {
                return Err(format!(
                    "dunning.contracts[{i}] ({}): fee = {fee} is an amount and must not be negative",
                    c.customer
                ));
            }
        }
        // Reference rates are percentages; central bank rates have been below zero (the ECB's
        // deposit rate was -0.5 %), so only the magnitude is bounded.
        for (series, rates) in &self.reference_rates {
            for (from, rate) in rates {
                if rate.abs() > Decimal::from(100) {
                    return Err(format!(
                        "dunning.reference_rates.{series}.{from} = {rate} must be a percentage between -100 and 100"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The tolerance for a currency.
    pub fn tolerance(&self, currency: Currency) -> Decimal {
        self.tolerance.get(&currency).copied().unwrap_or_default()
    }

    /// Where a step is in the ladder.
    pub fn index(&self, code: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.code == code)
    }
}
