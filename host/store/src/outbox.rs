//! The dunning tables' logic, written once for both backends: the statements that read the
//! ladder's memory, how their rows become a [`History`], how an outbox row becomes an
//! [`OutboxEntry`], and the values an action and its charges are written with. A backend only
//! runs the statements, with its driver and in its transactions (where the dialects really
//! differ: `INSERT OR IGNORE` against `ON CONFLICT`, `FOR UPDATE SKIP LOCKED`), so the two
//! cannot drift in what they store or how they read it back.

use crate::StoreError;
use crate::codec::{bad, date};
use credence_model::Currency;
use credence_model::dunning::{
    Action, ActionKind, Channel, ChargeKind, OutboxEntry, Status, TaskState,
};
use credence_model::history::{Charged, History, Level};

/// The columns of an outbox row, in [`EntryRow`]'s order.
pub(crate) const ENTRY_COLUMNS: &str =
    "body, status, attempts, last_error, delivered_at, receipt, task, snoozed_until, task_note";

/// The statements that read the ladder's memory (no parameters; the same in both dialects).
pub(crate) mod history_sql {
    /// invoice, step, delivered_on
    pub const LEVELS: &str = "SELECT invoice, step, delivered_on FROM dunning_levels";
    /// invoice, kind, the last day charged
    pub const CHARGES: &str =
        "SELECT invoice, kind, MAX(through) FROM dunning_charges GROUP BY invoice, kind";
    /// invoice (of an action not yet delivered)
    pub const IN_FLIGHT: &str =
        "SELECT i.invoice FROM outbox_invoices i JOIN outbox o ON o.key = i.action
             WHERE o.status <> 'delivered'";
    /// account, kind, currency (of an action not yet delivered)
    pub const OPEN_ACTIONS: &str =
        "SELECT account, kind, currency FROM outbox WHERE status <> 'delivered'";
    /// account, last_on
    pub const CONTACTS: &str = "SELECT account, last_on FROM dunning_contacts";
    /// key (of a one-off task: an insurer notification), whatever its status
    pub const ONE_OFF: &str = "SELECT key FROM outbox WHERE kind = 'insurer'";

    /// The outbox rows (`columns`) of delivered actions of one kind (`parameter`), oldest first.
    pub fn delivered(columns: &str, parameter: &str) -> String {
        format!(
            "SELECT {columns} FROM outbox WHERE kind = {parameter} AND status = 'delivered' ORDER BY seq"
        )
    }
}

/// A hold release as stored (its body), with the number the store gave it.
pub(crate) fn hold_release(
    context: &'static str,
    id: i64,
    body: &str,
) -> Result<credence_model::HoldRelease, StoreError> {
    let mut release: credence_model::HoldRelease =
        serde_json::from_str(body).map_err(|e| bad(context, format!("hold release {id}: {e}")))?;
    release.id = id;
    Ok(release)
}

/// The ladder's memory, assembled from the rows of [`history_sql`]'s statements.
pub(crate) struct HistoryRows {
    history: History,
}

const HISTORY: &str = "reading the dunning history";

impl HistoryRows {
    pub fn new() -> HistoryRows {
        HistoryRows {
            history: History::default(),
        }
    }

    /// A row of [`history_sql::LEVELS`].
    pub fn level(&mut self, invoice: String, step: String, on: &str) -> Result<(), StoreError> {
        let on = date(HISTORY, on)?;
        self.history.levels.insert(invoice, Level { step, on });
        Ok(())
    }

    /// A row of [`history_sql::CHARGES`].
    pub fn charge(
        &mut self,
        invoice: String,
        kind: &str,
        through: Option<&str>,
    ) -> Result<(), StoreError> {
        let c: &mut Charged = self.history.charged.entry(invoice).or_default();
        match kind {
            "compensation" => c.compensation = true,
            "fee" => c.fee = true,
            _ => c.interest_through = through.map(|t| date(HISTORY, t)).transpose()?,
        }
        Ok(())
    }

    /// A row of [`history_sql::IN_FLIGHT`].
    pub fn in_flight(&mut self, invoice: String) {
        self.history.in_flight.insert(invoice);
    }

    /// A row of [`history_sql::OPEN_ACTIONS`].
    pub fn open_action(
        &mut self,
        account: String,
        kind: &str,
        currency: &str,
    ) -> Result<(), StoreError> {
        let kind = action_kind(kind)
            .ok_or_else(|| bad(HISTORY, format!("unknown action kind {kind:?}")))?;
        let currency = Currency::parse(currency).map_err(|e| bad(HISTORY, e))?;
        self.history.open_actions.insert((account, kind, currency));
        Ok(())
    }

    /// A row of [`history_sql::ONE_OFF`].
    pub fn one_off(&mut self, key: String) {
        self.history.one_off.insert(key);
    }

    /// A row of [`history_sql::CONTACTS`].
    pub fn contact(&mut self, account: String, on: &str) -> Result<(), StoreError> {
        self.history
            .last_contact
            .insert(account, date(HISTORY, on)?);
        Ok(())
    }

    pub fn finish(self) -> History {
        self.history
    }
}

/// An action kind as the outbox stores it (`ActionKind::as_str`).
fn action_kind(text: &str) -> Option<ActionKind> {
    serde_json::from_value(serde_json::Value::String(text.into())).ok()
}

/// Whether a delivered action of this stored kind was a contact with the customer (it then
/// moves the account's last-contact date); the model's rule, not a second list per backend.
pub(crate) fn contacts_customer(kind: &str) -> bool {
    action_kind(kind).is_some_and(|k| k.contacts_customer())
}

/// An outbox row as read ([`ENTRY_COLUMNS`]).
pub(crate) struct EntryRow {
    pub body: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<String>,
    pub receipt: Option<String>,
    pub task: Option<String>,
    pub snoozed_until: Option<String>,
    pub task_note: Option<String>,
}

impl EntryRow {
    /// The entry, or an error naming what in the row is not what this version writes.
    pub fn decode(self, context: &'static str) -> Result<OutboxEntry, StoreError> {
        let action: Action = serde_json::from_str(&self.body)
            .map_err(|e| bad(context, format!("an outbox action: {e}")))?;
        let status = Status::parse(&self.status)
            .ok_or_else(|| bad(context, format!("unknown status {:?}", self.status)))?;
        Ok(OutboxEntry {
            status,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            last_error: self.last_error,
            delivered_at: self.delivered_at,
            receipt: self.receipt,
            task: self.task.as_deref().map(task_state),
            snoozed_until: self.snoozed_until.map(|s| date(context, &s)).transpose()?,
            task_note: self.task_note,
            action,
        })
    }
}

fn task_state(text: &str) -> TaskState {
    match text {
        "done" => TaskState::Done,
        "snoozed" => TaskState::Snoozed,
        _ => TaskState::Open,
    }
}

/// The values an action is queued with (the outbox row but its sequence and times).
pub(crate) struct ActionRow<'a> {
    pub key: &'a str,
    pub account: &'a str,
    pub kind: &'static str,
    pub currency: &'a str,
    pub channel: &'static str,
    pub planned_on: String,
    /// `open` for a task, so it shows among the tasks until done.
    pub task: Option<&'static str>,
    pub body: String,
}

/// One charge of an action, as `dunning_charges` keeps it: charged once, with the action.
pub(crate) struct ChargeRow<'a> {
    pub invoice: &'a str,
    pub kind: &'static str,
    /// The last day of interest charged.
    pub through: Option<String>,
    pub amount: String,
}

impl<'a> ActionRow<'a> {
    pub fn of(action: &'a Action, context: &'static str) -> Result<ActionRow<'a>, StoreError> {
        Ok(ActionRow {
            key: &action.key,
            account: &action.account,
            kind: action.kind.as_str(),
            currency: action.currency.code(),
            channel: action.channel.as_str(),
            planned_on: action.planned_on.to_string(),
            task: (action.channel == Channel::Task).then_some("open"),
            body: serde_json::to_string(action).map_err(|e| bad(context, e.to_string()))?,
        })
    }

    /// The charges the action makes.
    pub fn charges(action: &'a Action) -> impl Iterator<Item = ChargeRow<'a>> {
        action.charges.iter().map(|c| ChargeRow {
            invoice: &c.invoice,
            kind: match c.kind {
                ChargeKind::Interest => "interest",
                ChargeKind::Compensation => "compensation",
                ChargeKind::Fee => "fee",
            },
            through: c.to.map(|t| t.to_string()),
            amount: c.amount.to_string(),
        })
    }
}
