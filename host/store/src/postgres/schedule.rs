//! The PostgreSQL side of the shared schedule: leases as conditional updates. Under READ
//! COMMITTED the second of two racing updates waits for the first, re-reads the row and finds
//! it held, so exactly one instance wins a job.

use super::Pg;
use super::query;
use crate::{JobEnd, Lease, ScheduledJob, StoreError, timestamp};
use chrono::{DateTime, Utc};

pub fn lease(db: &Pg, job: &str, lease: &Lease<'_>) -> Result<bool, StoreError> {
    const CONTEXT: &str = "leasing a job";
    let now = timestamp(lease.now);
    db.execute(
        "INSERT INTO schedule (job, next_due) VALUES ($1, $2) ON CONFLICT (job) DO NOTHING",
        &[&job, &now],
    )
    .map_err(query(CONTEXT))?;
    let n = db
        .execute(
            "UPDATE schedule SET holder = $2, lease_until = $4, last_started = $3
             WHERE job = $1 AND next_due <= $3 AND (holder IS NULL OR lease_until < $3)",
            &[&job, &lease.holder, &now, &timestamp(lease.until)],
        )
        .map_err(query(CONTEXT))?;
    Ok(n == 1)
}

pub fn renew(db: &Pg, job: &str, lease: &Lease<'_>) -> Result<bool, StoreError> {
    let n = db
        .execute(
            "UPDATE schedule SET lease_until = $3 WHERE job = $1 AND holder = $2",
            &[&job, &lease.holder, &timestamp(lease.until)],
        )
        .map_err(query("renewing a lease"))?;
    Ok(n == 1)
}

pub fn finish(db: &Pg, job: &str, holder: &str, end: &JobEnd<'_>) -> Result<(), StoreError> {
    db.execute(
        "UPDATE schedule SET holder = NULL, lease_until = NULL, next_due = $3, failures = $4,
           last_finished = $5, last_error = $6
         WHERE job = $1 AND holder = $2",
        &[
            &job,
            &holder,
            &timestamp(end.next_due),
            &i64::from(end.failures),
            &timestamp(end.at),
            &end.error,
        ],
    )
    .map_err(query("finishing a job"))?;
    Ok(())
}

pub fn request(db: &Pg, job: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO schedule (job, next_due) VALUES ($1, $2)
         ON CONFLICT (job) DO UPDATE SET next_due = excluded.next_due",
        &[&job, &timestamp(now)],
    )
    .map_err(query("requesting a job"))?;
    Ok(())
}

pub fn schedule(db: &Pg) -> Result<Vec<ScheduledJob>, StoreError> {
    let rows = db
        .query(
            "SELECT job, holder, lease_until, next_due, failures, last_started, last_finished, last_error
             FROM schedule ORDER BY job",
            &[],
        )
        .map_err(query("reading the schedule"))?;
    Ok(rows
        .iter()
        .map(|r| ScheduledJob {
            job: r.get(0),
            holder: r.get(1),
            lease_until: r.get(2),
            next_due: r.get(3),
            failures: u32::try_from(r.get::<_, i64>(4)).unwrap_or(u32::MAX),
            last_started: r.get(5),
            last_finished: r.get(6),
            last_error: r.get(7),
        })
        .collect())
}
