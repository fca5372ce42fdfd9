//! The embedded store: one SQLite file in the Credence home.
//!
//! WAL journal with `synchronous=NORMAL`: a killed process never loses a committed page; a power
//! cut may roll back the last few commits, but each commit holds a page *and its cursor*, so
//! the store goes back to an earlier consistent point and the next sync reads those pages again.
//! That keeps "no loss, no duplicates" without an fsync per page.

use crate::codec::{day_number, decode, encode, status_of, status_text};
mod dunning;
mod schedule;

use crate::{
    ArrangementStore, DocumentRow, JobEnd, Lease, OutboxStore, PageCommit, PageCounts,
    QuarantineEntry, RecordStore, SavedCursor, ScheduleStore, ScheduledJob, StoreError,
    StoredRecord, Version,
};
use chrono::{DateTime, NaiveDate, Utc};
use credence_model::dunning::{Action, ActionKind, OutboxEntry, Status, TaskState};
use credence_model::history::History;
use credence_model::{
    Body, Dispute, DocumentKind, HoldRelease, Money, PaymentPlan, Promise, Record, RecordKind,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001.sql"),
    include_str!("../../migrations/sqlite/0002.sql"),
    include_str!("../../migrations/sqlite/0003.sql"),
    include_str!("../../migrations/sqlite/0004.sql"),
    include_str!("../../migrations/sqlite/0005.sql"),
    include_str!("../../migrations/sqlite/0006.sql"),
    include_str!("../../migrations/sqlite/0007.sql"),
];

pub struct SqliteStore {
    db: Connection,
    /// Copies the write-ahead log into the database off the committing thread.
    _checkpointer: Option<Checkpointer>,
}

/// A thread with its own connection that checkpoints the WAL every [`CHECKPOINT_EVERY`]: with
/// SQLite's automatic checkpoint the commit that crosses the threshold copies the whole log
/// itself, a quarter of the time of committing a large page. Passive checkpoints never block
/// the writer; the last connection to close checkpoints whatever is left.
struct Checkpointer {
    stop: std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

impl Checkpointer {
    fn start(path: &Path) -> Option<Checkpointer> {
        let db = Connection::open(path).ok()?;
        db.busy_timeout(std::time::Duration::from_secs(10)).ok()?;
        let stop = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("credence-checkpoint".into())
            .spawn(move || {
                let (lock, wake) = &*flag;
                let Ok(mut stopped) = lock.lock() else { return };
                while !*stopped {
                    match wake.wait_timeout(stopped, CHECKPOINT_EVERY) {
                        Ok((guard, _)) => stopped = guard,
                        Err(_) => return,
                    }
                    if let Err(e) = db.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                        tracing::debug!(error = %e, "background checkpoint skipped");
                    }
                }
            })
            .ok()?;
        Some(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (lock, wake) = &*self.stop;
        if let Ok(mut stopped) = lock.lock() {
            *stopped = true;
        }
        wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn query(context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::Query {
        context,
        message: e.to_string(),
    }
}

fn json_err(context: &'static str) -> impl Fn(serde_json::Error) -> StoreError {
    move |e| StoreError::Query {
        context,
        message: e.to_string(),
    }
}

impl SqliteStore {
    /// Open (creating and migrating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let open = |message: String| StoreError::Open {
            path: path.display().to_string(),
            message,
        };
        let db = Connection::open(path).map_err(|e| open(e.to_string()))?;
        db.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| open(e.to_string()))?;
        db.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=4294967296;",
        )
        .map_err(|e| open(e.to_string()))?;
        let mut store = SqliteStore {
            db,
            _checkpointer: None,
        };
        store.migrate(path)?;
        // Only once the file exists and is migrated: the checkpointer opens it too.
        if let Some(checkpointer) = Checkpointer::start(path) {
            store
                .db
                .execute_batch("PRAGMA wal_autocheckpoint=0;")
                .map_err(query("configuring checkpoints"))?;
            store._checkpointer = Some(checkpointer);
        }
        Ok(store)
    }

    fn migrate(&mut self, path: &Path) -> Result<(), StoreError> {
        // One writer migrates; another process opening the same file waits, then finds it done.
        let tx = self
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(query("migrating"))?;
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(query("reading the schema version"))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: path.display().to_string(),
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql).map_err(query("migrating"))?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
                .map_err(query("migrating"))?;
        }
        // Migration 7 added columns the projection fills from the documents: rebuild it.
        if version < 7 {
            tx.execute_batch("DELETE FROM document_facts")
                .map_err(query("migrating"))?;
            backfill_document_facts(&tx)?;
        }
        tx.commit().map_err(query("migrating"))
    }
}

/// Insert one version's projection row.
fn add_document_fact(
    add: &mut rusqlite::CachedStatement<'_>,
    history_id: i64,
    kind: &str,
    origin: &credence_model::Origin,
    d: &credence_model::Document,
    valid_from: &str,
    valid_to: Option<&str>,
) -> Result<(), StoreError> {
    add.execute(params![
        history_id,
        kind,
        origin.connection,
        origin.remote_id,
        d.customer_remote_id,
        d.number,
        d.currency.code(),
        day_number(d.issue_date),
        d.due_date.map(day_number),
        &d.totals.payable.serialize()[..],
        &d.amount_outstanding.serialize()[..],
        status_text(d.status),
        valid_from,
        valid_to,
        d.outstanding_stated,
        d.preceding_invoice,
    ])
    .map(|_| ())
    .map_err(query("writing document facts"))
}

const ADD_DOCUMENT_FACT: &str = "INSERT INTO document_facts (history_id, kind, connection, remote_id, customer, number, currency, issue, due, payable, outstanding, status, valid_from, valid_to, stated, preceding)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";

/// Build `document_facts` from the history of a store that predates it (migration 3) or its
/// last columns (migration 7).
fn backfill_document_facts(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    let mut add = tx
        .prepare_cached(ADD_DOCUMENT_FACT)
        .map_err(query("backfilling document facts"))?;
    let mut versions = tx
        .prepare(
            // The window runs over every version, tombstones included: a deletion ends the
            // version before it.
            "SELECT id, kind, origin, body, valid_from, next_from FROM
               (SELECT *, LEAD(valid_from) OVER (PARTITION BY connection, kind, remote_id ORDER BY id) AS next_from
                FROM record_history WHERE kind IN ('invoice', 'credit-note'))
             WHERE body IS NOT NULL",
        )
        .map_err(query("backfilling document facts"))?;
    let mut rows = versions
        .query([])
        .map_err(query("backfilling document facts"))?;
    while let Some(row) = rows.next().map_err(query("backfilling document facts"))? {
        let get = |i: usize| -> Result<String, StoreError> {
            row.get(i).map_err(query("backfilling document facts"))
        };
        let (id, kind): (i64, String) = (
            row.get(0).map_err(query("backfilling document facts"))?,
            get(1)?,
        );
        let record = decode(&kind, &get(2)?, Some(get(3)?))?;
        let next: Option<String> = row.get(5).map_err(query("backfilling document facts"))?;
        if let Some(Body::Invoice(d) | Body::CreditNote(d)) = &record.body {
            add_document_fact(
                &mut add,
                id,
                &kind,
                &record.origin,
                d,
                &get(4)?,
                next.as_deref(),
            )?;
        }
    }
    Ok(())
}

impl RecordStore for SqliteStore {
    fn cursor(&self, connection: &str, stream: &str) -> Result<Option<SavedCursor>, StoreError> {
        self.db
            .query_row(
                "SELECT cursor, complete FROM cursors WHERE connection = ?1 AND stream = ?2",
                params![connection, stream],
                |r| {
                    Ok(SavedCursor {
                        cursor: r.get(0)?,
                        complete: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(query("reading a cursor"))
    }

    fn commit_page(&mut self, page: &PageCommit) -> Result<PageCounts, StoreError> {
        let now = page
            .received_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let mut counts = PageCounts::default();
        let settled = crate::settle(page)?;
        counts.unchanged += settled.repeats;
        // IMMEDIATE: take the write lock up front, so concurrent syncs queue on the busy timeout
        // instead of failing when a read transaction tries to become a write.
        let tx = self
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(query("starting a page"))?;
        {
            let mut find = tx
                .prepare_cached("SELECT digest, current FROM records WHERE connection = ?1 AND kind = ?2 AND remote_id = ?3")
                .map_err(query("reading a record"))?;
            let mut history = tx
                .prepare_cached(
                    "INSERT INTO record_history (connection, kind, remote_id, valid_from, change, origin, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(query("writing history"))?;
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO records (connection, kind, remote_id, deleted, digest, first_seen, last_changed, current)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)
                     ON CONFLICT (connection, kind, remote_id) DO UPDATE SET
                       deleted = excluded.deleted, digest = excluded.digest,
                       last_changed = excluded.last_changed, current = excluded.current",
                )
                .map_err(query("writing a record"))?;
            let mut close_fact = tx
                .prepare_cached("UPDATE document_facts SET valid_to = ?1 WHERE history_id = ?2")
                .map_err(query("writing document facts"))?;
            let mut add_fact = tx
                .prepare_cached(ADD_DOCUMENT_FACT)
                .map_err(query("writing document facts"))?;
            let mut unquarantine = tx
                .prepare_cached("DELETE FROM quarantine WHERE connection = ?1 AND stream = ?2 AND remote_id = ?3")
                .map_err(query("clearing quarantine"))?;
            let quarantined: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM quarantine WHERE connection = ?1 AND stream = ?2",
                    params![page.connection, page.stream],
                    |r| r.get(0),
                )
                .map_err(query("reading quarantine"))?;
            if quarantined > 0 && !page.withdrawn.is_empty() {
                let held: Vec<String> = tx
                    .prepare_cached(
                        "SELECT remote_id FROM quarantine WHERE connection = ?1 AND stream = ?2",
                    )
                    .and_then(|mut s| {
                        s.query_map(params![page.connection, page.stream], |r| r.get(0))?
                            .collect()
                    })
                    .map_err(query("reading quarantine"))?;
                for id in held.iter().filter(|id| {
                    page.withdrawn
                        .iter()
                        .any(|source| crate::is_locator_of(id, source))
                }) {
                    unquarantine
                        .execute(params![page.connection, page.stream, id])
                        .map_err(query("clearing quarantine"))?;
                }
            }
            for record in settled.records.iter().copied() {
                let kind = record.kind.as_str();
                let o = &record.origin;
                let (body, hash) = encode(record)?;
                let existing: Option<(Vec<u8>, i64)> = find
                    .query_row(params![o.connection, kind, o.remote_id], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()
                    .map_err(query("reading a record"))?;
                // Cleared even when unchanged: a record held back (a conflicting repeat, a bad
                // version) whose good version is the one already stored is settled too.
                if quarantined > 0 {
                    unquarantine
                        .execute(params![o.connection, page.stream, o.remote_id])
                        .map_err(query("clearing quarantine"))?;
                }
                let change = match (&existing, o.deleted) {
                    (Some((old, _)), _) if *old == hash => {
                        counts.unchanged += 1;
                        continue;
                    }
                    (_, true) => {
                        counts.deleted += 1;
                        "deleted"
                    }
                    (None, false) => {
                        counts.new += 1;
                        "new"
                    }
                    (Some(_), false) => {
                        counts.updated += 1;
                        "updated"
                    }
                };
                let origin = serde_json::to_string(o).map_err(json_err("encoding a record"))?;
                history
                    .execute(params![
                        o.connection,
                        kind,
                        o.remote_id,
                        now,
                        change,
                        origin,
                        body
                    ])
                    .map_err(query("writing history"))?;
                let current = tx.last_insert_rowid();
                if let Some((_, previous)) = existing {
                    close_fact
                        .execute(params![now, previous])
                        .map_err(query("writing document facts"))?;
                }
                if let Some(Body::Invoice(d) | Body::CreditNote(d)) = &record.body
                    && !o.deleted
                {
                    add_document_fact(&mut add_fact, current, kind, o, d, &now, None)?;
                }
                upsert
                    .execute(params![
                        o.connection,
                        kind,
                        o.remote_id,
                        o.deleted,
                        hash,
                        now,
                        current
                    ])
                    .map_err(query("writing a record"))?;
            }
            let mut hold = tx
                .prepare_cached(
                    "INSERT INTO quarantine (connection, stream, remote_id, reasons, raw, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                     ON CONFLICT (connection, stream, remote_id) DO UPDATE SET reasons = excluded.reasons, raw = excluded.raw, last_seen = excluded.last_seen",
                )
                .map_err(query("writing quarantine"))?;
            for q in &settled.quarantined {
                let reasons =
                    serde_json::to_string(&q.reasons).map_err(json_err("encoding reasons"))?;
                hold.execute(params![
                    q.connection,
                    q.stream,
                    q.remote_id,
                    reasons,
                    q.raw,
                    now
                ])
                .map_err(query("writing quarantine"))?;
                counts.quarantined += 1;
            }
        }
        tx.execute(
            "INSERT INTO cursors (connection, stream, cursor, complete, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (connection, stream) DO UPDATE SET cursor = excluded.cursor, complete = excluded.complete, updated_at = excluded.updated_at",
            params![page.connection, page.stream, page.cursor, !page.has_more, now],
        )
        .map_err(query("saving the cursor"))?;
        tx.commit().map_err(query("committing a page"))?;
        Ok(counts)
    }

    fn quarantine(&self) -> Result<Vec<QuarantineEntry>, StoreError> {
        let mut stmt = self
            .db
            .prepare("SELECT connection, stream, remote_id, reasons, raw, first_seen, last_seen FROM quarantine ORDER BY first_seen, connection, stream, remote_id")
            .map_err(query("reading quarantine"))?;
        let rows = stmt
            .query_map([], |r| {
                let reasons: String = r.get(3)?;
                Ok(QuarantineEntry {
                    connection: r.get(0)?,
                    stream: r.get(1)?,
                    remote_id: r.get(2)?,
                    reasons: serde_json::from_str(&reasons).unwrap_or_else(|_| vec![reasons]),
                    raw: r.get(4)?,
                    first_seen: r.get(5)?,
                    last_seen: r.get(6)?,
                })
            })
            .map_err(query("reading quarantine"))?;
        rows.collect::<Result<_, _>>()
            .map_err(query("reading quarantine"))
    }

    fn record(
        &self,
        kind: RecordKind,
        connection: &str,
        remote_id: &str,
    ) -> Result<Option<Record>, StoreError> {
        let row: Option<(String, Option<String>)> = self
            .db
            .prepare_cached(
                "SELECT h.origin, h.body FROM records r JOIN record_history h ON h.id = r.current
                 WHERE r.connection = ?1 AND r.kind = ?2 AND r.remote_id = ?3",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![connection, kind.as_str(), remote_id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
            })
            .map_err(query("reading a record"))?;
        row.map(|(origin, body)| decode(kind.as_str(), &origin, body))
            .transpose()
    }

    fn records(&self, kind: RecordKind) -> Result<Vec<StoredRecord>, StoreError> {
        let mut stmt = self
            .db
            .prepare_cached(
                "SELECT h.origin, h.body, r.first_seen, r.last_changed FROM records r JOIN record_history h ON h.id = r.current
                 WHERE r.kind = ?1 ORDER BY r.connection, r.remote_id",
            )
            .map_err(query("reading records"))?;
        let rows = stmt
            .query_map([kind.as_str()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(query("reading records"))?;
        let mut out = Vec::new();
        for row in rows {
            let (origin, body, first_seen, last_changed) = row.map_err(query("reading records"))?;
            out.push(StoredRecord {
                record: decode(kind.as_str(), &origin, body)?,
                first_seen,
                last_changed,
            });
        }
        Ok(out)
    }

    fn versions(
        &self,
        kind: RecordKind,
        until: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Version>, StoreError> {
        let at = until.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let mut stmt = self
            .db
            .prepare_cached(&format!(
                // The kind is written into the statement so the planner can use the partial index.
                "SELECT origin, body, valid_from FROM record_history
                 WHERE kind = '{}' AND valid_from <= ?1 ORDER BY connection, remote_id, id",
                kind.as_str()
            ))
            .map_err(query("reading history"))?;
        let rows = stmt
            .query_map(params![at], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(query("reading history"))?;
        let mut out = Vec::new();
        for row in rows {
            let (origin, body, valid_from) = row.map_err(query("reading history"))?;
            let valid_from = chrono::DateTime::parse_from_rfc3339(&valid_from)
                .map_err(|e| StoreError::Query {
                    context: "reading history",
                    message: format!("bad timestamp {valid_from:?}: {e}"),
                })?
                .with_timezone(&chrono::Utc);
            out.push(Version {
                record: decode(kind.as_str(), &origin, body)?,
                valid_from,
            });
        }
        Ok(out)
    }

    fn documents_as_of(
        &self,
        as_of: chrono::DateTime<chrono::Utc>,
        visit: &mut dyn FnMut(DocumentRow<'_>),
    ) -> Result<(), StoreError> {
        let at = as_of.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let mut stmt = self
            .db
            .prepare_cached(
                "SELECT kind, connection, remote_id, customer, number, currency, issue, due, payable, outstanding, status, stated, preceding
                 FROM document_facts WHERE valid_from <= ?1 AND (valid_to IS NULL OR valid_to > ?1)",
            )
            .map_err(query("reading document facts"))?;
        let mut rows = stmt.query([at]).map_err(query("reading document facts"))?;
        let bad = |what: &str, text: &str| StoreError::Query {
            context: "reading document facts",
            message: format!("a stored {what} {text:?} does not parse; the store is damaged"),
        };
        while let Some(row) = rows.next().map_err(query("reading document facts"))? {
            let text = |i: usize| -> Result<&str, StoreError> {
                row.get_ref(i)
                    .map_err(query("reading document facts"))?
                    .as_str()
                    .map_err(|e| StoreError::Query {
                        context: "reading document facts",
                        message: e.to_string(),
                    })
            };
            let value = |i: usize| row.get_ref(i).map_err(query("reading document facts"));
            let date = |i: usize| -> Result<chrono::NaiveDate, StoreError> {
                let n = value(i)?
                    .as_i64()
                    .map_err(|e| bad("date", &e.to_string()))?;
                i32::try_from(n)
                    .ok()
                    .and_then(chrono::NaiveDate::from_num_days_from_ce_opt)
                    .ok_or_else(|| bad("date", &n.to_string()))
            };
            let decimal = |i: usize| -> Result<rust_decimal::Decimal, StoreError> {
                let bytes = value(i)?
                    .as_blob()
                    .map_err(|e| bad("amount", &e.to_string()))?;
                <[u8; 16]>::try_from(bytes)
                    .map(rust_decimal::Decimal::deserialize)
                    .map_err(|_| bad("amount", &format!("{bytes:?}")))
            };
            let kind = match text(0)? {
                "credit-note" => DocumentKind::CreditNote,
                _ => DocumentKind::Invoice,
            };
            let currency = text(5)?;
            let status = text(10)?;
            let due = match row.get_ref(7).map_err(query("reading document facts"))? {
                rusqlite::types::ValueRef::Null => None,
                _ => Some(date(7)?),
            };
            visit(DocumentRow {
                kind,
                connection: text(1)?,
                remote_id: text(2)?,
                customer: text(3)?,
                number: text(4)?,
                currency: credence_model::Currency::parse(currency)
                    .map_err(|_| bad("currency", currency))?,
                issue: date(6)?,
                due,
                payable: decimal(8)?,
                outstanding: decimal(9)?,
                status: status_of(status).ok_or_else(|| bad("status", status))?,
                outstanding_stated: value(11)?.as_i64() != Ok(0),
                preceding: match value(12)? {
                    rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t).ok(),
                    _ => None,
                },
            });
        }
        Ok(())
    }

    fn records_as_of(
        &self,
        kind: RecordKind,
        as_of: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Record>, StoreError> {
        let at = as_of.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let mut stmt = self
            .db
            .prepare_cached(&format!(
                // History is append-only and ids grow with time: the latest version of each record
                // at `as_of` is the greatest id per key among rows valid from then. The kind is
                // written into the statement so the planner can use the partial index of the
                // small kinds; documents are scanned (they carry no per-key index).
                "SELECT h.origin, h.body FROM record_history h
                 JOIN (SELECT MAX(id) AS id FROM record_history WHERE kind = '{}' AND valid_from <= ?1 GROUP BY connection, remote_id) latest
                   ON h.id = latest.id
                 ORDER BY h.connection, h.remote_id",
                kind.as_str()
            ))
            .map_err(query("reading history"))?;
        let rows = stmt
            .query_map(params![at], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
            })
            .map_err(query("reading history"))?;
        let mut out = Vec::new();
        for row in rows {
            let (origin, body) = row.map_err(query("reading history"))?;
            let record = decode(kind.as_str(), &origin, body)?;
            if !record.origin.deleted {
                out.push(record);
            }
        }
        Ok(out)
    }
}

impl ArrangementStore for SqliteStore {
    fn record_promise(&mut self, promise: &Promise) -> Result<i64, StoreError> {
        self.db
            .execute(
                "INSERT INTO promises (customer, amount, currency, promised_for, recorded_on, by, note, invoices)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    promise.customer,
                    promise.amount.amount.to_string(),
                    promise.amount.currency.code(),
                    promise.promised_for.to_string(),
                    promise.recorded_on.to_string(),
                    promise.by,
                    promise.note,
                    crate::codec::keys(&promise.invoices),
                ],
            )
            .map_err(query("recording a promise"))?;
        Ok(self.db.last_insert_rowid())
    }

    fn record_dispute(&mut self, dispute: &Dispute) -> Result<i64, StoreError> {
        dunning::record_dispute(&self.db, dispute)
    }

    fn resolve_dispute(&mut self, id: i64, on: NaiveDate) -> Result<bool, StoreError> {
        dunning::resolve_dispute(&self.db, id, on)
    }

    fn disputes(&self) -> Result<Vec<Dispute>, StoreError> {
        dunning::disputes(&self.db)
    }

    fn record_payment_plan(&mut self, plan: &PaymentPlan) -> Result<i64, StoreError> {
        dunning::record_payment_plan(&self.db, plan)
    }

    fn payment_plans(&self) -> Result<Vec<PaymentPlan>, StoreError> {
        dunning::payment_plans(&self.db)
    }

    fn record_hold_release(&mut self, release: &HoldRelease) -> Result<i64, StoreError> {
        dunning::record_hold_release(&self.db, release)
    }

    fn hold_releases(&self) -> Result<Vec<HoldRelease>, StoreError> {
        dunning::hold_releases(&self.db)
    }

    fn promises(&self) -> Result<Vec<Promise>, StoreError> {
        let mut stmt = self
            .db
            .prepare_cached(
                "SELECT customer, amount, currency, promised_for, recorded_on, by, note, invoices
                 FROM promises ORDER BY id",
            )
            .map_err(query("reading promises"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })
            .map_err(query("reading promises"))?;
        let bad = |what: String| StoreError::Query {
            context: "reading promises",
            message: what,
        };
        let mut out = Vec::new();
        for row in rows {
            let (customer, amount, currency, promised_for, recorded_on, by, note, invoices) =
                row.map_err(query("reading promises"))?;
            let date = |t: &str| {
                t.parse::<chrono::NaiveDate>()
                    .map_err(|e| bad(format!("bad date {t:?}: {e}")))
            };
            out.push(Promise {
                amount: Money {
                    amount: amount
                        .parse()
                        .map_err(|e| bad(format!("bad amount {amount:?}: {e}")))?,
                    currency: credence_model::Currency::parse(&currency).map_err(bad)?,
                },
                promised_for: date(&promised_for)?,
                recorded_on: date(&recorded_on)?,
                customer,
                by,
                note,
                invoices: crate::codec::parse_keys("reading promises", &invoices)?,
            });
        }
        Ok(out)
    }
}

impl OutboxStore for SqliteStore {
    fn dunning_history(&self) -> Result<History, StoreError> {
        dunning::history(&self.db)
    }

    fn enqueue(&mut self, actions: &[Action], now: DateTime<Utc>) -> Result<usize, StoreError> {
        dunning::enqueue(&mut self.db, actions, now)
    }

    fn claim_action(
        &mut self,
        now: DateTime<Utc>,
        lease: &Lease<'_>,
    ) -> Result<Option<OutboxEntry>, StoreError> {
        dunning::claim(&mut self.db, now, lease)
    }

    fn release_claims(&mut self, holder: &str) -> Result<usize, StoreError> {
        dunning::release_claims(&self.db, holder)
    }

    fn action_delivered(
        &mut self,
        key: &str,
        at: DateTime<Utc>,
        receipt: &str,
    ) -> Result<(), StoreError> {
        dunning::delivered(&mut self.db, key, at, receipt)
    }

    fn action_failed(
        &mut self,
        key: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        dunning::failed(&self.db, key, error, retry_at)
    }

    fn retry_failed(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        dunning::retry_failed(&self.db, now)
    }

    fn outbox(&self, status: Option<Status>) -> Result<Vec<OutboxEntry>, StoreError> {
        dunning::outbox(&self.db, status)
    }

    fn delivered(&self, kind: ActionKind) -> Result<Vec<OutboxEntry>, StoreError> {
        dunning::delivered_of_kind(&self.db, kind)
    }

    fn update_task(
        &mut self,
        key: &str,
        state: TaskState,
        until: Option<NaiveDate>,
        note: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        dunning::update_task(&self.db, key, state, until, note)
    }
}

impl ScheduleStore for SqliteStore {
    fn lease_job(&mut self, job: &str, lease: &Lease<'_>) -> Result<bool, StoreError> {
        schedule::lease(&self.db, job, lease)
    }

    fn renew_lease(&mut self, job: &str, lease: &Lease<'_>) -> Result<bool, StoreError> {
        schedule::renew(&self.db, job, lease)
    }

    fn finish_job(&mut self, job: &str, holder: &str, end: &JobEnd<'_>) -> Result<(), StoreError> {
        schedule::finish(&self.db, job, holder, end)
    }

    fn request_job(&mut self, job: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        schedule::request(&self.db, job, now)
    }

    fn schedule(&self) -> Result<Vec<ScheduledJob>, StoreError> {
        schedule::schedule(&self.db)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use credence_model::{Body, Customer, DocumentStatus, Origin};

    pub(crate) fn customer(id: &str, name: &str, deleted: bool) -> Record {
        Record {
            origin: Origin {
                connection: "books".into(),
                remote_id: id.into(),
                remote_updated_at: None,
                deleted,
                raw: None,
            },
            kind: RecordKind::Customer,
            body: (!deleted).then(|| {
                Body::Customer(Customer {
                    name: name.into(),
                    legal_name: None,
                    identifiers: vec![],
                    addresses: vec![],
                    contacts: vec![],
                    language: None,
                    currency: None,
                    payment_terms_days: None,
                    sales_rep: None,
                    segment: None,
                    parent_remote_id: None,
                    credit_limit: None,
                })
            }),
        }
    }

    pub(crate) fn page(records: Vec<Record>, cursor: &str, day: u32) -> PageCommit {
        PageCommit {
            connection: "books".into(),
            stream: "customers".into(),
            records,
            quarantined: vec![],
            cursor: Some(cursor.into()),
            has_more: false,
            withdrawn: vec![],
            received_at: Utc
                .with_ymd_and_hms(2026, 1, day, 12, 0, 0)
                .single()
                .expect("date"),
        }
    }

    pub(crate) fn invoice(id: &str, outstanding: &str, deleted: bool) -> Record {
        let amount: rust_decimal::Decimal = "100.00".parse().expect("decimal");
        let doc = credence_model::Document {
            number: format!("N-{id}"),
            customer_remote_id: "1".into(),
            issue_date: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
            due_date: chrono::NaiveDate::from_ymd_opt(2026, 1, 31),
            currency: credence_model::Currency::parse("EUR").expect("EUR"),
            lines: vec![],
            allowances_charges: vec![],
            tax_breakdown: vec![],
            totals: credence_model::Totals {
                line_total: amount,
                allowance_total: Default::default(),
                charge_total: Default::default(),
                tax_exclusive: amount,
                tax_total: Default::default(),
                tax_inclusive: amount,
                prepaid: Default::default(),
                rounding: Default::default(),
                payable: amount,
            },
            amount_outstanding: outstanding.parse().expect("decimal"),
            outstanding_stated: true,
            status: DocumentStatus::Open,
            terms: None,
            order_reference: None,
            contract_reference: None,
            preceding_invoice: None,
            delivery_date: None,
            exchange_rate: None,
            note: None,
        };
        let mut record = customer(id, "", deleted);
        record.kind = RecordKind::Invoice;
        record.body = (!deleted).then_some(Body::Invoice(doc));
        record
    }

    pub(crate) fn outstanding_on(store: &dyn crate::Store, day: u32) -> Vec<(String, String)> {
        let mut out = Vec::new();
        store
            .documents_as_of(
                Utc.with_ymd_and_hms(2026, 1, day, 23, 0, 0)
                    .single()
                    .expect("date"),
                &mut |d| out.push((d.remote_id.to_string(), d.outstanding.to_string())),
            )
            .expect("read");
        out.sort();
        out
    }

    #[test]
    fn document_facts_follow_versions_and_are_backfilled_by_the_migration() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("credence.db");
        let mut store = SqliteStore::open(&path).expect("open");
        store
            .commit_page(&page(
                vec![invoice("a", "100.00", false), invoice("b", "100.00", false)],
                "1",
                1,
            ))
            .expect("commit");
        store
            .commit_page(&page(
                vec![invoice("a", "40.00", false), invoice("b", "0", true)],
                "2",
                3,
            ))
            .expect("commit");
        let expected = |day| match day {
            1 | 2 => vec![
                ("a".to_string(), "100.00".to_string()),
                ("b".into(), "100.00".into()),
            ],
            _ => vec![("a".to_string(), "40.00".to_string())],
        };
        for day in [1, 2, 3, 4] {
            assert_eq!(outstanding_on(&store, day), expected(day), "day {day}");
        }
        // A store from before the projection gets it from its history.
        drop(store);
        let db = Connection::open(&path).expect("open raw");
        db.execute_batch(
            "DROP TABLE document_facts; DROP INDEX record_history_customers;
             DROP INDEX record_history_payments; DROP INDEX record_history_reports;
             DROP TABLE disputes; DROP TABLE payment_plans; DROP TABLE outbox;
             DROP TABLE outbox_invoices; DROP TABLE dunning_levels;
             DROP TABLE dunning_charges; DROP TABLE dunning_contacts; DROP TABLE schedule;
             DROP TABLE hold_releases; ALTER TABLE promises DROP COLUMN invoices;
             PRAGMA user_version = 2;",
        )
        .expect("downgrade");
        drop(db);
        let store = SqliteStore::open(&path).expect("migrate");
        for day in [1, 2, 3, 4] {
            assert_eq!(
                outstanding_on(&store, day),
                expected(day),
                "migrated, day {day}"
            );
        }
    }

    #[test]
    fn a_database_from_a_newer_version_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("credence.db");
        drop(SqliteStore::open(&path).expect("open"));
        let db = Connection::open(&path).expect("open raw");
        db.execute_batch("PRAGMA user_version = 99").expect("bump");
        drop(db);
        let err = SqliteStore::open(&path).err().expect("refused").to_string();
        assert!(err.contains("newer Credence"), "{err}");
    }
}
