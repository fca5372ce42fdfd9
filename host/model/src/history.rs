//! What earlier runs did, as the planner needs it: each invoice's level (the last step
//! delivered for it), what was charged on it, which invoices and customers have actions still
//! waiting for delivery, and when each customer was last contacted.

use crate::Currency;
use crate::dunning::ActionKind;
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};

/// The last step delivered for an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    pub step: String,
    pub on: NaiveDate,
}

/// What has been charged on an invoice so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Charged {
    pub compensation: bool,
    pub fee: bool,
    /// Interest has been charged up to and including this day.
    pub interest_through: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default)]
pub struct History {
    /// Invoice key -> level.
    pub levels: HashMap<String, Level>,
    pub charged: HashMap<String, Charged>,
    /// Invoices in an action not delivered yet: they wait for it.
    pub in_flight: HashSet<String>,
    /// (account, action kind, currency) of actions not delivered yet.
    pub open_actions: HashSet<(String, ActionKind, Currency)>,
    /// Account -> the last day a customer contact (e-mail, letter, call) was delivered.
    pub last_contact: HashMap<String, NaiveDate>,
    /// Keys of one-off tasks already in the outbox (insurer notifications): never planned twice.
    pub one_off: HashSet<String>,
}
