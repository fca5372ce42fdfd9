//! The SQLite side of the shared schedule: one row per job with its lease. One SQLite file has
//! one writer at a time, so each statement below is atomic on its own; the same conditions
//! make the PostgreSQL version safe between instances.

use crate::{JobEnd, Lease, ScheduledJob, StoreError, timestamp};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

fn query(context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::Query {
        context,
        message: e.to_string(),
    }
}

pub fn lease(db: &Connection, job: &str, lease: &Lease<'_>) -> Result<bool, StoreError> {
    const CONTEXT: &str = "leasing a job";
    let now = timestamp(lease.now);
    db.execute(
        "INSERT INTO schedule (job, next_due) VALUES (?1, ?2) ON CONFLICT (job) DO NOTHING",
        params![job, now],
    )
    .map_err(query(CONTEXT))?;
    let n = db
        .execute(
            "UPDATE schedule SET holder = ?2, lease_until = ?4, last_started = ?3
             WHERE job = ?1 AND next_due <= ?3 AND (holder IS NULL OR lease_until < ?3)",
            params![job, lease.holder, now, timestamp(lease.until)],
        )
        .map_err(query(CONTEXT))?;
    Ok(n == 1)
}

pub fn renew(db: &Connection, job: &str, lease: &Lease<'_>) -> Result<bool, StoreError> {
    let n = db
        .execute(
            "UPDATE schedule SET lease_until = ?3 WHERE job = ?1 AND holder = ?2",
            params![job, lease.holder, timestamp(lease.until)],
        )
        .map_err(query("renewing a lease"))?;
    Ok(n == 1)
}

pub fn finish(
    db: &Connection,
    job: &str,
    holder: &str,
    end: &JobEnd<'_>,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE schedule SET holder = NULL, lease_until = NULL, next_due = ?3, failures = ?4,
           last_finished = ?5, last_error = ?6
         WHERE job = ?1 AND holder = ?2",
        params![
            job,
            holder,
            timestamp(end.next_due),
            end.failures,
            timestamp(end.at),
            end.error
        ],
    )
    .map_err(query("finishing a job"))?;
    Ok(())
}

pub fn request(db: &Connection, job: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO schedule (job, next_due) VALUES (?1, ?2)
         ON CONFLICT (job) DO UPDATE SET next_due = excluded.next_due",
        params![job, timestamp(now)],
    )
    .map_err(query("requesting a job"))?;
    Ok(())
}

pub fn schedule(db: &Connection) -> Result<Vec<ScheduledJob>, StoreError> {
    const CONTEXT: &str = "reading the schedule";
    let mut stmt = db
        .prepare_cached(
            "SELECT job, holder, lease_until, next_due, failures, last_started, last_finished, last_error
             FROM schedule ORDER BY job",
        )
        .map_err(query(CONTEXT))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(ScheduledJob {
                job: r.get(0)?,
                holder: r.get(1)?,
                lease_until: r.get(2)?,
                next_due: r.get(3)?,
                failures: r.get(4)?,
                last_started: r.get(5)?,
                last_finished: r.get(6)?,
                last_error: r.get(7)?,
            })
        })
        .map_err(query(CONTEXT))?;
    rows.collect::<Result<_, _>>().map_err(query(CONTEXT))
}
