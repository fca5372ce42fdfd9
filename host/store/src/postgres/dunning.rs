//! The PostgreSQL side of dunning. Same rows and transactions as the SQLite side; what
//! differs is what several instances need: outbox sequence numbers from a sequence, and claims
//! taken with `FOR UPDATE SKIP LOCKED` (two instances never claim the same action).

use super::Pg;
use super::query;
use crate::codec::{bad, date};
use crate::outbox::{
    ActionRow, ENTRY_COLUMNS, EntryRow, HistoryRows, contacts_customer, history_sql, hold_release,
};
use crate::{Lease, StoreError, timestamp};
use chrono::{DateTime, NaiveDate, Utc};
use credence_model::dunning::{Action, ActionKind, OutboxEntry, Status, TaskState};
use credence_model::history::History;
use credence_model::{Dispute, HoldRelease, PaymentPlan};

pub fn record_dispute(db: &Pg, dispute: &Dispute) -> Result<i64, StoreError> {
    let body =
        serde_json::to_string(dispute).map_err(|e| bad("recording a dispute", e.to_string()))?;
    Ok(db
        .query_one(
            "INSERT INTO disputes (invoice, body, resolved_on) VALUES ($1, $2, NULL) RETURNING id",
            &[&dispute.invoice, &body],
        )
        .map_err(query("recording a dispute"))?
        .get(0))
}

pub fn resolve_dispute(db: &Pg, id: i64, on: NaiveDate) -> Result<bool, StoreError> {
    let n = db
        .execute(
            "UPDATE disputes SET resolved_on = $2 WHERE id = $1 AND resolved_on IS NULL",
            &[&id, &on.to_string()],
        )
        .map_err(query("resolving a dispute"))?;
    Ok(n == 1)
}

pub fn disputes(db: &Pg) -> Result<Vec<Dispute>, StoreError> {
    const CONTEXT: &str = "reading disputes";
    let rows = db
        .query(
            "SELECT id, body, resolved_on FROM disputes ORDER BY id",
            &[],
        )
        .map_err(query(CONTEXT))?;
    rows.into_iter()
        .map(|r| {
            let id: i64 = r.get(0);
            let mut d: Dispute = serde_json::from_str(r.get(1))
                .map_err(|e| bad(CONTEXT, format!("dispute {id}: {e}")))?;
            d.id = id;
            d.resolved_on = r
                .get::<_, Option<&str>>(2)
                .map(|t| date(CONTEXT, t))
                .transpose()?;
            Ok(d)
        })
        .collect()
}

pub fn record_hold_release(db: &Pg, release: &HoldRelease) -> Result<i64, StoreError> {
    const CONTEXT: &str = "recording a hold release";
    let body = serde_json::to_string(release).map_err(|e| bad(CONTEXT, e.to_string()))?;
    Ok(db
        .query_one(
            "INSERT INTO hold_releases (customer, body) VALUES ($1, $2) RETURNING id",
            &[&release.customer, &body],
        )
        .map_err(query(CONTEXT))?
        .get(0))
}

pub fn hold_releases(db: &Pg) -> Result<Vec<HoldRelease>, StoreError> {
    const CONTEXT: &str = "reading hold releases";
    let rows = db
        .query("SELECT id, body FROM hold_releases ORDER BY id", &[])
        .map_err(query(CONTEXT))?;
    rows.iter()
        .map(|r| hold_release(CONTEXT, r.get(0), r.get(1)))
        .collect()
}

pub fn record_payment_plan(db: &Pg, plan: &PaymentPlan) -> Result<i64, StoreError> {
    let body =
        serde_json::to_string(plan).map_err(|e| bad("recording a payment plan", e.to_string()))?;
    Ok(db
        .query_one(
            "INSERT INTO payment_plans (body) VALUES ($1) RETURNING id",
            &[&body],
        )
        .map_err(query("recording a payment plan"))?
        .get(0))
}

pub fn payment_plans(db: &Pg) -> Result<Vec<PaymentPlan>, StoreError> {
    const CONTEXT: &str = "reading payment plans";
    let rows = db
        .query("SELECT id, body FROM payment_plans ORDER BY id", &[])
        .map_err(query(CONTEXT))?;
    rows.into_iter()
        .map(|r| {
            let id: i64 = r.get(0);
            let mut p: PaymentPlan = serde_json::from_str(r.get(1))
                .map_err(|e| bad(CONTEXT, format!("plan {id}: {e}")))?;
            p.id = id;
            Ok(p)
        })
        .collect()
}

pub fn history(db: &Pg) -> Result<History, StoreError> {
    const CONTEXT: &str = "reading the dunning history";
    let mut h = HistoryRows::new();
    let rows = |sql: &str| db.query(sql, &[]).map_err(query(CONTEXT));
    for r in rows(history_sql::LEVELS)? {
        h.level(r.get(0), r.get(1), r.get(2))?;
    }
    for r in rows(history_sql::CHARGES)? {
        h.charge(r.get(0), r.get(1), r.get(2))?;
    }
    for r in rows(history_sql::IN_FLIGHT)? {
        h.in_flight(r.get(0));
    }
    for r in rows(history_sql::OPEN_ACTIONS)? {
        h.open_action(r.get(0), r.get(1), r.get(2))?;
    }
    for r in rows(history_sql::CONTACTS)? {
        h.contact(r.get(0), r.get(1))?;
    }
    for r in rows(history_sql::ONE_OFF)? {
        h.one_off(r.get(0));
    }
    Ok(h.finish())
}

/// Queue actions; a key already in the outbox is left alone (two instances planning the same
/// day queue each action once). The charges of a new action are recorded with it.
pub fn enqueue(db: &Pg, actions: &[Action], now: DateTime<Utc>) -> Result<usize, StoreError> {
    const CONTEXT: &str = "queueing actions";
    let tx = db.transaction().map_err(query(CONTEXT))?;
    let insert = tx
        .prepare(
            "INSERT INTO outbox (key, account, kind, currency, channel, planned_on, status, next_attempt, task, body)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9) ON CONFLICT (key) DO NOTHING",
        )
        .map_err(query(CONTEXT))?;
    let invoice = tx
        .prepare("INSERT INTO outbox_invoices (action, invoice, step) VALUES ($1, $2, $3)")
        .map_err(query(CONTEXT))?;
    let charge = tx
        .prepare(
            "INSERT INTO dunning_charges (action, invoice, kind, through, amount) VALUES ($1, $2, $3, $4, $5)",
        )
        .map_err(query(CONTEXT))?;
    let mut new = 0;
    for a in actions {
        let row = ActionRow::of(a, CONTEXT)?;
        let added = tx
            .execute(
                &insert,
                &[
                    &row.key,
                    &row.account,
                    &row.kind,
                    &row.currency,
                    &row.channel,
                    &row.planned_on,
                    &now.to_rfc3339(),
                    &row.task,
                    &row.body,
                ],
            )
            .map_err(query(CONTEXT))?;
        if added == 0 {
            continue;
        }
        new += 1;
        for i in &a.invoices {
            tx.execute(&invoice, &[&a.key, &i.key, &i.step])
                .map_err(query(CONTEXT))?;
        }
        for c in ActionRow::charges(a) {
            tx.execute(
                &charge,
                &[&a.key, &c.invoice, &c.kind, &c.through, &c.amount],
            )
            .map_err(query(CONTEXT))?;
        }
    }
    tx.commit().map_err(query(CONTEXT))?;
    Ok(new)
}

fn to_entry(context: &'static str, r: &tokio_postgres::Row) -> Result<OutboxEntry, StoreError> {
    EntryRow {
        body: r.get(0),
        status: r.get(1),
        attempts: r.get(2),
        last_error: r.get(3),
        delivered_at: r.get(4),
        receipt: r.get(5),
        task: r.get(6),
        snoozed_until: r.get(7),
        task_note: r.get(8),
    }
    .decode(context)
}

/// Claim the oldest action due (or whose claim ran out): rows another instance is claiming
/// at this moment are skipped, not waited for.
pub fn claim(
    db: &Pg,
    now: DateTime<Utc>,
    lease: &Lease<'_>,
) -> Result<Option<OutboxEntry>, StoreError> {
    const CONTEXT: &str = "claiming an action";
    let row = db
        .query_opt(
            &format!(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_by = $3, claimed_until = $4
                 WHERE key = (
                   SELECT key FROM outbox
                   WHERE (status = 'pending' AND next_attempt <= $1)
                      OR (status = 'sending' AND claimed_until IS NOT NULL AND claimed_until < $2)
                   ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
                 RETURNING {ENTRY_COLUMNS}"
            ),
            &[
                &now.to_rfc3339(),
                &timestamp(lease.now),
                &lease.holder,
                &timestamp(lease.until),
            ],
        )
        .map_err(query(CONTEXT))?;
    row.map(|r| to_entry(CONTEXT, &r)).transpose()
}

pub fn release_claims(db: &Pg, holder: &str) -> Result<usize, StoreError> {
    let n = db
        .execute(
            "UPDATE outbox SET status = 'pending', claimed_by = NULL, claimed_until = NULL
             WHERE status = 'sending' AND (claimed_by = $1 OR claimed_by IS NULL)",
            &[&holder],
        )
        .map_err(query("releasing claimed actions"))?;
    Ok(n as usize)
}

/// Mark an action delivered: its invoices climb and the contact is remembered, in one
/// transaction.
pub fn delivered(db: &Pg, key: &str, at: DateTime<Utc>, receipt: &str) -> Result<(), StoreError> {
    const CONTEXT: &str = "recording a delivery";
    let tx = db.transaction().map_err(query(CONTEXT))?;
    let Some(row) = tx
        .query_opt(
            "SELECT account, kind, planned_on FROM outbox WHERE key = $1 FOR UPDATE",
            &[&key],
        )
        .map_err(query(CONTEXT))?
    else {
        return Err(bad(CONTEXT, format!("no action {key} in the outbox")));
    };
    let (account, kind): (String, String) = (row.get(0), row.get(1));
    let planned = date(CONTEXT, row.get(2))?;
    tx.execute(
        "UPDATE outbox SET status = 'delivered', delivered_at = $2, receipt = $3, last_error = NULL,
           claimed_by = NULL, claimed_until = NULL WHERE key = $1",
        &[&key, &at.to_rfc3339(), &receipt],
    )
    .map_err(query(CONTEXT))?;
    let on = planned.max(at.date_naive()).to_string();
    tx.execute(
        "INSERT INTO dunning_levels (invoice, step, delivered_on, action)
         SELECT invoice, step, $2, action FROM outbox_invoices WHERE action = $1
         ON CONFLICT (invoice) DO UPDATE SET step = excluded.step, delivered_on = excluded.delivered_on, action = excluded.action",
        &[&key, &on],
    )
    .map_err(query(CONTEXT))?;
    if contacts_customer(&kind) {
        tx.execute(
            "INSERT INTO dunning_contacts (account, last_on) VALUES ($1, $2)
             ON CONFLICT (account) DO UPDATE SET last_on = GREATEST(dunning_contacts.last_on, excluded.last_on)",
            &[&account, &on],
        )
        .map_err(query(CONTEXT))?;
    }
    tx.commit().map_err(query(CONTEXT))
}

pub fn failed(
    db: &Pg,
    key: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    match retry_at {
        Some(at) => db.execute(
            "UPDATE outbox SET status = 'pending', last_error = $2, next_attempt = $3,
               claimed_by = NULL, claimed_until = NULL WHERE key = $1",
            &[&key, &error, &at.to_rfc3339()],
        ),
        None => db.execute(
            "UPDATE outbox SET status = 'failed', last_error = $2, claimed_by = NULL, claimed_until = NULL
             WHERE key = $1",
            &[&key, &error],
        ),
    }
    .map_err(query("recording a failed delivery"))?;
    Ok(())
}

pub fn retry_failed(db: &Pg, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let n = db
        .execute(
            "UPDATE outbox SET status = 'pending', next_attempt = $1 WHERE status = 'failed'",
            &[&now.to_rfc3339()],
        )
        .map_err(query("retrying failed actions"))?;
    Ok(n as usize)
}

pub fn outbox(db: &Pg, status: Option<Status>) -> Result<Vec<OutboxEntry>, StoreError> {
    const CONTEXT: &str = "reading the outbox";
    let rows = db
        .query(
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM outbox WHERE ($1::TEXT IS NULL OR status = $1) ORDER BY seq"
            ),
            &[&status.map(|s| s.as_str())],
        )
        .map_err(query(CONTEXT))?;
    rows.iter().map(|r| to_entry(CONTEXT, r)).collect()
}

pub fn delivered_of_kind(db: &Pg, kind: ActionKind) -> Result<Vec<OutboxEntry>, StoreError> {
    const CONTEXT: &str = "reading delivered actions";
    let rows = db
        .query(
            &history_sql::delivered(ENTRY_COLUMNS, "$1"),
            &[&kind.as_str()],
        )
        .map_err(query(CONTEXT))?;
    rows.iter().map(|r| to_entry(CONTEXT, r)).collect()
}

pub fn update_task(
    db: &Pg,
    key: &str,
    state: TaskState,
    until: Option<NaiveDate>,
    note: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    const CONTEXT: &str = "updating a task";
    let keys: Vec<String> = db
        .query(
            "SELECT key FROM outbox WHERE task IS NOT NULL AND starts_with(key, $1) ORDER BY seq",
            &[&key],
        )
        .map_err(query(CONTEXT))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if keys.len() != 1 {
        return Ok(keys);
    }
    let state = match state {
        TaskState::Open => "open",
        TaskState::Snoozed => "snoozed",
        TaskState::Done => "done",
    };
    db.execute(
        "UPDATE outbox SET task = $2, snoozed_until = $3, task_note = COALESCE($4, task_note) WHERE key = $1",
        &[&keys[0], &state, &until.map(|u| u.to_string()), &note],
    )
    .map_err(query(CONTEXT))?;
    Ok(keys)
}
