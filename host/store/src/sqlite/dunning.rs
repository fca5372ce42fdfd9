//! The SQLite side of dunning: disputes, payment plans, the outbox and the ladder's memory
//! (levels, charges, last contacts). Every state change of an action is one transaction, so a
//! killed process leaves each action either undelivered (and delivered again, with the same
//! message id) or delivered with its levels and contact date, never half of it.

use crate::codec::{bad, date};
use crate::outbox::{
    ActionRow, ENTRY_COLUMNS, EntryRow, HistoryRows, contacts_customer, history_sql, hold_release,
};
use crate::{Lease, StoreError, timestamp};
use chrono::{DateTime, NaiveDate, Utc};
use credence_model::dunning::{Action, ActionKind, OutboxEntry, Status, TaskState};
use credence_model::history::History;
use credence_model::{Dispute, HoldRelease, PaymentPlan};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

fn query(context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::Query {
        context,
        message: e.to_string(),
    }
}

pub fn record_dispute(db: &Connection, dispute: &Dispute) -> Result<i64, StoreError> {
    let body =
        serde_json::to_string(dispute).map_err(|e| bad("recording a dispute", e.to_string()))?;
    db.execute(
        "INSERT INTO disputes (invoice, body, resolved_on) VALUES (?1, ?2, NULL)",
        params![dispute.invoice, body],
    )
    .map_err(query("recording a dispute"))?;
    Ok(db.last_insert_rowid())
}

pub fn resolve_dispute(db: &Connection, id: i64, on: NaiveDate) -> Result<bool, StoreError> {
    let n = db
        .execute(
            "UPDATE disputes SET resolved_on = ?2 WHERE id = ?1 AND resolved_on IS NULL",
            params![id, on.to_string()],
        )
        .map_err(query("resolving a dispute"))?;
    Ok(n == 1)
}

pub fn disputes(db: &Connection) -> Result<Vec<Dispute>, StoreError> {
    const CONTEXT: &str = "reading disputes";
    let mut stmt = db
        .prepare_cached("SELECT id, body, resolved_on FROM disputes ORDER BY id")
        .map_err(query(CONTEXT))?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })
        .map_err(query(CONTEXT))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, body, resolved) = row.map_err(query(CONTEXT))?;
        let mut d: Dispute =
            serde_json::from_str(&body).map_err(|e| bad(CONTEXT, format!("dispute {id}: {e}")))?;
        d.id = id;
        d.resolved_on = resolved.map(|r| date(CONTEXT, &r)).transpose()?;
        out.push(d);
    }
    Ok(out)
}

pub fn record_hold_release(db: &Connection, release: &HoldRelease) -> Result<i64, StoreError> {
    const CONTEXT: &str = "recording a hold release";
    let body = serde_json::to_string(release).map_err(|e| bad(CONTEXT, e.to_string()))?;
    db.execute(
        "INSERT INTO hold_releases (customer, body) VALUES (?1, ?2)",
        params![release.customer, body],
    )
    .map_err(query(CONTEXT))?;
    Ok(db.last_insert_rowid())
}

pub fn hold_releases(db: &Connection) -> Result<Vec<HoldRelease>, StoreError> {
    const CONTEXT: &str = "reading hold releases";
    numbered_bodies(
        db,
        "SELECT id, body FROM hold_releases ORDER BY id",
        CONTEXT,
    )?
    .into_iter()
    .map(|(id, body)| hold_release(CONTEXT, id, &body))
    .collect()
}

/// The (number, JSON body) rows of a table of arrangements, oldest first.
fn numbered_bodies(
    db: &Connection,
    sql: &str,
    context: &'static str,
) -> Result<Vec<(i64, String)>, StoreError> {
    let mut stmt = db.prepare_cached(sql).map_err(query(context))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .map_err(query(context))?;
    rows.map(|row| row.map_err(query(context))).collect()
}

pub fn record_payment_plan(db: &Connection, plan: &PaymentPlan) -> Result<i64, StoreError> {
    let body =
        serde_json::to_string(plan).map_err(|e| bad("recording a payment plan", e.to_string()))?;
    db.execute(
        "INSERT INTO payment_plans (body) VALUES (?1)",
        params![body],
    )
    .map_err(query("recording a payment plan"))?;
    Ok(db.last_insert_rowid())
}

pub fn payment_plans(db: &Connection) -> Result<Vec<PaymentPlan>, StoreError> {
    const CONTEXT: &str = "reading payment plans";
    let mut out = Vec::new();
    for (id, body) in numbered_bodies(
        db,
        "SELECT id, body FROM payment_plans ORDER BY id",
        CONTEXT,
    )? {
        let mut p: PaymentPlan =
            serde_json::from_str(&body).map_err(|e| bad(CONTEXT, format!("plan {id}: {e}")))?;
        p.id = id;
        out.push(p);
    }
    Ok(out)
}

pub fn history(db: &Connection) -> Result<History, StoreError> {
    const CONTEXT: &str = "reading the dunning history";
    let mut h = HistoryRows::new();
    let each = |sql: &str, visit: &mut dyn FnMut(&rusqlite::Row<'_>) -> Result<(), StoreError>| {
        let mut stmt = db.prepare_cached(sql).map_err(query(CONTEXT))?;
        let mut rows = stmt.query([]).map_err(query(CONTEXT))?;
        while let Some(r) = rows.next().map_err(query(CONTEXT))? {
            visit(r)?;
        }
        Ok::<_, StoreError>(())
    };
    let text = |r: &rusqlite::Row<'_>, i: usize| r.get::<_, String>(i).map_err(query(CONTEXT));
    each(history_sql::LEVELS, &mut |r| {
        h.level(text(r, 0)?, text(r, 1)?, &text(r, 2)?)
    })?;
    each(history_sql::CHARGES, &mut |r| {
        let through: Option<String> = r.get(2).map_err(query(CONTEXT))?;
        h.charge(text(r, 0)?, &text(r, 1)?, through.as_deref())
    })?;
    each(history_sql::IN_FLIGHT, &mut |r| {
        h.in_flight(text(r, 0)?);
        Ok(())
    })?;
    each(history_sql::OPEN_ACTIONS, &mut |r| {
        h.open_action(text(r, 0)?, &text(r, 1)?, &text(r, 2)?)
    })?;
    each(history_sql::CONTACTS, &mut |r| {
        h.contact(text(r, 0)?, &text(r, 1)?)
    })?;
    each(history_sql::ONE_OFF, &mut |r| {
        h.one_off(text(r, 0)?);
        Ok(())
    })?;
    Ok(h.finish())
}

/// Queue actions; an action whose key is already in the outbox is left as it is. Returns how
/// many were new. The charges of a new action are recorded with it: charged once.
pub fn enqueue(
    db: &mut Connection,
    actions: &[Action],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    const CONTEXT: &str = "queueing actions";
    let tx = db
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(query(CONTEXT))?;
    let mut new = 0;
    {
        let mut seq: i64 = tx
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM outbox", [], |r| r.get(0))
            .map_err(query(CONTEXT))?;
        let mut insert = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO outbox (key, seq, account, kind, currency, channel, planned_on, status, next_attempt, task, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?9, ?10)",
            )
            .map_err(query(CONTEXT))?;
        let mut invoice = tx
            .prepare_cached(
                "INSERT INTO outbox_invoices (action, invoice, step) VALUES (?1, ?2, ?3)",
            )
            .map_err(query(CONTEXT))?;
        let mut charge = tx
            .prepare_cached(
                "INSERT INTO dunning_charges (action, invoice, kind, through, amount) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(query(CONTEXT))?;
        for a in actions {
            seq += 1;
            let row = ActionRow::of(a, CONTEXT)?;
            let added = insert
                .execute(params![
                    row.key,
                    seq,
                    row.account,
                    row.kind,
                    row.currency,
                    row.channel,
                    row.planned_on,
                    now.to_rfc3339(),
                    row.task,
                    row.body
                ])
                .map_err(query(CONTEXT))?;
            if added == 0 {
                continue;
            }
            new += 1;
            for i in &a.invoices {
                invoice
                    .execute(params![a.key, i.key, i.step])
                    .map_err(query(CONTEXT))?;
            }
            for c in ActionRow::charges(a) {
                charge
                    .execute(params![a.key, c.invoice, c.kind, c.through, c.amount])
                    .map_err(query(CONTEXT))?;
            }
        }
    }
    tx.commit().map_err(query(CONTEXT))?;
    Ok(new)
}

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<EntryRow> {
    Ok(EntryRow {
        body: r.get(0)?,
        status: r.get(1)?,
        attempts: r.get(2)?,
        last_error: r.get(3)?,
        delivered_at: r.get(4)?,
        receipt: r.get(5)?,
        task: r.get(6)?,
        snoozed_until: r.get(7)?,
        task_note: r.get(8)?,
    })
}

/// Claim the oldest action due for (re)delivery: it becomes `sending` with one more attempt,
/// in its own transaction, before anything is sent.
pub fn claim(
    db: &mut Connection,
    now: DateTime<Utc>,
    lease: &Lease<'_>,
) -> Result<Option<OutboxEntry>, StoreError> {
    const CONTEXT: &str = "claiming an action";
    let tx = db
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(query(CONTEXT))?;
    let key: Option<String> = tx
        .query_row(
            "SELECT key FROM outbox
             WHERE (status = 'pending' AND next_attempt <= ?1)
                OR (status = 'sending' AND claimed_until IS NOT NULL AND claimed_until < ?2)
             ORDER BY seq LIMIT 1",
            params![now.to_rfc3339(), timestamp(lease.now)],
            |r| r.get(0),
        )
        .optional()
        .map_err(query(CONTEXT))?;
    let Some(key) = key else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_by = ?2, claimed_until = ?3 WHERE key = ?1",
        params![key, lease.holder, timestamp(lease.until)],
    )
    .map_err(query(CONTEXT))?;
    let raw = tx
        .query_row(
            &format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE key = ?1"),
            params![key],
            entry,
        )
        .map_err(query(CONTEXT))?;
    tx.commit().map_err(query(CONTEXT))?;
    raw.decode(CONTEXT).map(Some)
}

/// Actions a dead delivery loop of the same holder had claimed go back to `pending` (delivered
/// again, with the same message id: a receiver that already has it drops the copy).
pub fn release_claims(db: &Connection, holder: &str) -> Result<usize, StoreError> {
    db.execute(
        "UPDATE outbox SET status = 'pending', claimed_by = NULL, claimed_until = NULL
         WHERE status = 'sending' AND (claimed_by = ?1 OR claimed_by IS NULL)",
        params![holder],
    )
    .map_err(query("releasing claimed actions"))
}

/// Mark an action delivered: its invoices climb to their steps and a customer contact is
/// remembered, in the same transaction.
pub fn delivered(
    db: &mut Connection,
    key: &str,
    at: DateTime<Utc>,
    receipt: &str,
) -> Result<(), StoreError> {
    const CONTEXT: &str = "recording a delivery";
    let tx = db
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(query(CONTEXT))?;
    let row: Option<(String, String, String)> = tx
        .query_row(
            "SELECT account, kind, planned_on FROM outbox WHERE key = ?1",
            params![key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(query(CONTEXT))?;
    let Some((account, kind, planned_on)) = row else {
        return Err(bad(CONTEXT, format!("no action {key} in the outbox")));
    };
    tx.execute(
        "UPDATE outbox SET status = 'delivered', delivered_at = ?2, receipt = ?3, last_error = NULL WHERE key = ?1",
        params![key, at.to_rfc3339(), receipt],
    )
    .map_err(query(CONTEXT))?;
    // The level counts from the day it went out: the run's day, or later when delivery was
    // held up (the next step and the gap between contacts count from the real contact).
    let planned: NaiveDate = date(CONTEXT, &planned_on)?;
    let on = planned.max(at.date_naive()).to_string();
    tx.execute(
        "INSERT INTO dunning_levels (invoice, step, delivered_on, action)
         SELECT invoice, step, ?2, action FROM outbox_invoices WHERE action = ?1
         ON CONFLICT (invoice) DO UPDATE SET step = excluded.step, delivered_on = excluded.delivered_on, action = excluded.action",
        params![key, on],
    )
    .map_err(query(CONTEXT))?;
    if contacts_customer(&kind) {
        tx.execute(
            "INSERT INTO dunning_contacts (account, last_on) VALUES (?1, ?2)
             ON CONFLICT (account) DO UPDATE SET last_on = MAX(last_on, excluded.last_on)",
            params![account, on],
        )
        .map_err(query(CONTEXT))?;
    }
    tx.commit().map_err(query(CONTEXT))
}

/// A failed attempt: back to `pending` until `retry_at`, or `failed` for good when `None`.
pub fn failed(
    db: &Connection,
    key: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    match retry_at {
        Some(at) => db.execute(
            "UPDATE outbox SET status = 'pending', last_error = ?2, next_attempt = ?3 WHERE key = ?1",
            params![key, error, at.to_rfc3339()],
        ),
        None => db.execute(
            "UPDATE outbox SET status = 'failed', last_error = ?2 WHERE key = ?1",
            params![key, error],
        ),
    }
    .map_err(query("recording a failed delivery"))?;
    Ok(())
}

/// Failed actions go back to `pending`, due now.
pub fn retry_failed(db: &Connection, now: DateTime<Utc>) -> Result<usize, StoreError> {
    db.execute(
        "UPDATE outbox SET status = 'pending', next_attempt = ?1 WHERE status = 'failed'",
        params![now.to_rfc3339()],
    )
    .map_err(query("retrying failed actions"))
}

/// The outbox, oldest first, optionally one status only.
pub fn outbox(db: &Connection, status: Option<Status>) -> Result<Vec<OutboxEntry>, StoreError> {
    const CONTEXT: &str = "reading the outbox";
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM outbox WHERE (?1 IS NULL OR status = ?1) ORDER BY seq"
    );
    let mut stmt = db.prepare_cached(&sql).map_err(query(CONTEXT))?;
    let rows = stmt
        .query_map(params![status.map(|s| s.as_str())], entry)
        .map_err(query(CONTEXT))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row.map_err(query(CONTEXT))?.decode(CONTEXT)?);
    }
    Ok(out)
}

pub fn delivered_of_kind(
    db: &Connection,
    kind: ActionKind,
) -> Result<Vec<OutboxEntry>, StoreError> {
    const CONTEXT: &str = "reading delivered actions";
    let mut stmt = db
        .prepare_cached(&history_sql::delivered(ENTRY_COLUMNS, "?1"))
        .map_err(query(CONTEXT))?;
    let rows = stmt
        .query_map(params![kind.as_str()], entry)
        .map_err(query(CONTEXT))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row.map_err(query(CONTEXT))?.decode(CONTEXT)?);
    }
    Ok(out)
}

/// Mark a task done or snoozed (by key or a unique prefix of it); false when there is none.
pub fn update_task(
    db: &Connection,
    key: &str,
    state: TaskState,
    until: Option<NaiveDate>,
    note: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    const CONTEXT: &str = "updating a task";
    let mut stmt = db
        .prepare_cached(
            "SELECT key FROM outbox WHERE task IS NOT NULL AND key LIKE ?1 || '%' ORDER BY seq",
        )
        .map_err(query(CONTEXT))?;
    let keys: Vec<String> = stmt
        .query_map(params![key], |r| r.get(0))
        .map_err(query(CONTEXT))?
        .collect::<Result<_, _>>()
        .map_err(query(CONTEXT))?;
    if keys.len() != 1 {
        return Ok(keys);
    }
    let state = match state {
        TaskState::Open => "open",
        TaskState::Snoozed => "snoozed",
        TaskState::Done => "done",
    };
    db.execute(
        "UPDATE outbox SET task = ?2, snoozed_until = ?3, task_note = COALESCE(?4, task_note) WHERE key = ?1",
        params![keys[0], state, until.map(|u| u.to_string()), note],
    )
    .map_err(query(CONTEXT))?;
    Ok(keys)
}
