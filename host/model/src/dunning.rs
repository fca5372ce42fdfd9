//! Actions: what a dunning run decides to do, each with a deterministic idempotency key, kept
//! in the outbox until delivered and afterwards as the audit trail.

use crate::Currency;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How an action reaches its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    /// SMTP, to the customer's (or the sales representative's) address.
    Email,
    /// A letter written to the home's `letters/` folder, for printing.
    Letter,
    /// A signed HTTP POST to the configured webhook.
    Webhook,
    /// An entry in `credence tasks`, for a person.
    Task,
}

impl Channel {
    pub fn as_str(&self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Letter => "letter",
            Channel::Webhook => "webhook",
            Channel::Task => "task",
        }
    }
}

/// An invoice (or a payment-plan instalment) an action is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionInvoice {
    /// `CONNECTION/REMOTE-ID` (instalments: `plan:ID/N`).
    pub key: String,
    pub number: String,
    pub issue: NaiveDate,
    pub due: NaiveDate,
    pub days_overdue: i64,
    #[schemars(with = "String")]
    pub outstanding: Decimal,
    /// The step this invoice reaches when the action is delivered.
    pub step: String,
    /// An early-payment discount still open: (percent, last day).
    #[schemars(with = "Option<(String, NaiveDate)>")]
    pub discount: Option<(Decimal, NaiveDate)>,
    /// For an invoice paid late (a late-payment claim): the day it was paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_on: Option<NaiveDate>,
    /// For an instalment: the payment plan it belongs to (messages name the plan and the
    /// invoices it covers; an instalment is not an invoice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instalment: Option<InstalmentOf>,
}

/// An instalment's place in its payment plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InstalmentOf {
    pub plan: i64,
    /// Its number (from 1) and the plan's count.
    pub n: u32,
    pub count: u32,
    pub agreed_on: NaiveDate,
    /// Numbers of the invoices the plan covers (empty: every invoice in its currency issued
    /// by the day it was agreed).
    pub invoices: Vec<String>,
}

/// What a charge is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ChargeKind {
    Interest,
    Compensation,
    Fee,
}

/// An amount an action adds to the debt, charged once (recorded with the action).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChargeLine {
    pub invoice: String,
    pub number: String,
    pub kind: ChargeKind,
    /// Interest: the days it covers (inclusive).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    #[schemars(with = "String")]
    pub amount: Decimal,
    /// How the amount was made, one line per rate and principal.
    pub explanation: Vec<String>,
    /// A fixed sum the law sets in its own currency (compensation), before any conversion:
    /// messages explain the charge from it in their own language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<crate::Money>,
    #[serde(skip)]
    #[schemars(skip)]
    pub lines: Vec<InterestLine>,
}

/// `Action::law` when the charges rest on terms agreed with the customer (messages say it in
/// their language).
pub const AGREED_TERMS: &str = "the terms agreed with you";

/// One action, as planned and as kept in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Action {
    /// Deterministic: the same account, step, currency and invoices at the same levels give the
    /// same key, so planning twice queues once.
    pub key: String,
    pub account: String,
    pub customer_name: String,
    pub kind: ActionKind,
    pub channel: Channel,
    /// The step of the most advanced invoice (the customer's level).
    pub step: String,
    pub currency: Currency,
    pub planned_on: NaiveDate,
    pub policy_version: String,
    pub language: String,
    /// E-mail address, or the sales representative for sales-rep tasks.
    pub recipient: Option<String>,
    pub invoices: Vec<ActionInvoice>,
    pub charges: Vec<ChargeLine>,
    /// Open credit on account in this currency (credit notes, unapplied payments).
    #[schemars(with = "String")]
    pub credit: Decimal,
    /// Invoices + charges - credit.
    #[schemars(with = "String")]
    pub total: Decimal,
    /// Why this action, one sentence each.
    pub why: Vec<String>,
    /// The message template (the step's).
    pub template: String,
    /// The law (or agreement) the charges rest on, as cited in messages.
    pub law: Option<String>,
    /// The last day to act, where there is one (a claim in insolvency proceedings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<NaiveDate>,
    pub subject: String,
    pub body: String,
}

/// The idempotency key of an action: a hash of what it is about.
pub fn key(
    account: &str,
    step: &str,
    kind: ActionKind,
    currency: Currency,
    invoices: &[ActionInvoice],
) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"credence-dunning/1\n");
    for part in [account, step, kind.as_str(), currency.code()] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    let mut keys: Vec<(&str, &str)> = invoices
        .iter()
        .map(|i| (i.key.as_str(), i.step.as_str()))
        .collect();
    keys.sort_unstable();
    for (k, s) in keys {
        h.update(k.as_bytes());
        h.update(b"@");
        h.update(s.as_bytes());
        h.update(b"\n");
    }
    format!("{}-{}", step, hex::encode(&h.finalize()[..12]))
}

/// Where an action stands in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Waiting for delivery (or for a retry).
    Pending,
    /// Claimed by a delivery loop; if that loop died, delivered again with the same message id.
    Sending,
    Delivered,
    /// Gave up after repeated failures; `credence deliver --retry-failed` tries again.
    Failed,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sending => "sending",
            Status::Delivered => "delivered",
            Status::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Some(match text {
            "pending" => Status::Pending,
            "sending" => Status::Sending,
            "delivered" => Status::Delivered,
            "failed" => Status::Failed,
            _ => return None,
        })
    }
}

/// A person's follow-up on a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TaskState {
    Open,
    Snoozed,
    Done,
}

/// An action in the outbox with its delivery record.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OutboxEntry {
    pub action: Action,
    pub status: Status,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// RFC 3339.
    pub delivered_at: Option<String>,
    /// What the channel answered (SMTP reply, HTTP status, letter file).
    pub receipt: Option<String>,
    pub task: Option<TaskState>,
    pub snoozed_until: Option<NaiveDate>,
    pub task_note: Option<String>,
}

/// What a step does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    /// A message to the customer by e-mail (by letter when it has no address).
    Email,
    /// A letter to the customer (written to the home's `letters/` folder for printing).
    Letter,
    /// A call task for a person.
    Call,
    /// Tell the customer's sales representative (e-mail when the rep is an address, else a task).
    SalesRep,
    /// Put the customer on credit hold: no new deliveries (a task, and a webhook when set).
    Hold,
    /// Hand the debt to a collection agency (a webhook when set, and a task).
    Collections,
    /// The customer is in insolvency proceedings: lodge the claim with the office-holder (a
    /// task, with the deadline where the law gives one). Not a ladder step: the planner opens
    /// it when a report shows the event, and the invoices leave the ordinary ladder.
    Claim,
    /// Notify the credit insurer (a task with the policy's deadline), opened by the planner
    /// when the credit evaluation says cover is needed. Not a ladder step.
    Insurer,
}

impl ActionKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ActionKind::Email => "email",
            ActionKind::Letter => "letter",
            ActionKind::Call => "call",
            ActionKind::SalesRep => "sales-rep",
            ActionKind::Hold => "hold",
            ActionKind::Collections => "collections",
            ActionKind::Claim => "claim",
            ActionKind::Insurer => "insurer",
        }
    }

    /// Whether the action reaches the customer (and so counts for the minimum gap).
    pub fn contacts_customer(&self) -> bool {
        matches!(
            self,
            ActionKind::Email | ActionKind::Letter | ActionKind::Call
        )
    }
}

/// One line of an interest computation.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct InterestLine {
    /// First and last day of the line (inclusive).
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: i64,
    #[schemars(with = "String")]
    pub principal: Decimal,
    /// Yearly percent applied (reference + margin).
    #[schemars(with = "String")]
    pub rate: Decimal,
    #[schemars(with = "String")]
    pub amount: Decimal,
    /// e.g. "ECB main refinancing operations rate 2.15 % from 2025-07-01 + 8 points".
    pub basis: String,
}
