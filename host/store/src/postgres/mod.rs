//! The server store: PostgreSQL, shared by every `credence serve` instance pointed at it.
//!
//! Same tables, same rows and the same invariants as the embedded store (see the module above):
//! a page, its quarantine entries and its cursor commit in one transaction; history is
//! append-only; times are fixed-width RFC 3339 text, amounts of the document projection
//! `Decimal::serialize` bytes, so both backends share the codec and the rules read identical
//! data. What only a server needs: migrations run under an advisory lock (instances starting
//! together migrate once), outbox claims use `FOR UPDATE SKIP LOCKED`, and the schedule's
//! leases are conditional updates that exactly one instance wins.

use crate::codec::{day_number, decode, encode, status_of, status_text};
mod client;
mod dunning;
mod schedule;

use crate::{
    ArrangementStore, DocumentRow, JobEnd, Lease, OutboxStore, PageCommit, PageCounts,
    QuarantineEntry, RecordStore, SavedCursor, ScheduleStore, ScheduledJob, StoreError,
    StoredRecord, Version,
};
use chrono::{DateTime, NaiveDate, Utc};
pub(crate) use client::Pg;
use credence_model::dunning::{Action, ActionKind, OutboxEntry, Status, TaskState};
use credence_model::history::History;
use credence_model::{
    Body, Dispute, DocumentKind, HoldRelease, Money, PaymentPlan, Promise, Record, RecordKind,
};
use std::collections::HashMap;

/// Schema migrations, applied in order; `credence_schema.version` records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001.sql"),
    include_str!("../../migrations/postgres/0002.sql"),
];

/// Any instance migrating holds this advisory lock; the others wait and find the work done.
const MIGRATION_LOCK: i64 = 0x0063_7265_6465_6e63; // "credenc"

pub struct PostgresStore {
    db: Pg,
}

pub(super) fn query(context: &'static str) -> impl Fn(tokio_postgres::Error) -> StoreError {
    move |e| StoreError::Query {
        context,
        message: match e.as_db_error() {
            Some(db) => db.message().to_string(),
            None => e.to_string(),
        },
    }
}

/// A URL with its password (if any) blanked, for messages.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

impl PostgresStore {
    /// Connect to `url`, work in `schema` (created if missing) and migrate.
    pub fn open(url: &str, schema: &str) -> Result<PostgresStore, StoreError> {
        let open = |message: String| StoreError::Open {
            path: format!("{} (schema {schema})", redacted(url)),
            message,
        };
        if schema.is_empty()
            || !schema
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(open(format!(
                "storage.postgres_schema = {schema:?}: use lower-case letters, digits and _"
            )));
        }
        let db = Pg::connect(url).map_err(|e| {
            open(format!(
                "{e}; check that the server runs and the URL (postgres://USER@HOST:PORT/DATABASE) is right"
            ))
        })?;
        db.batch_execute(&format!(
            "SET search_path TO {schema}; SET synchronous_commit TO on"
        ))
        .map_err(|e| open(e.to_string()))?;
        let store = PostgresStore { db };
        store.migrate(schema).map_err(|e| open(e.to_string()))?;
        Ok(store)
    }

    fn migrate(&self, schema: &str) -> Result<(), StoreError> {
        const CONTEXT: &str = "migrating";
        let tx = self.db.transaction().map_err(query(CONTEXT))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(query(CONTEXT))?;
        tx.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema};
             CREATE TABLE IF NOT EXISTS credence_schema (version BIGINT NOT NULL);"
        ))
        .map_err(query(CONTEXT))?;
        let version: Option<i64> = tx
            .query_opt("SELECT version FROM credence_schema", &[])
            .map_err(query(CONTEXT))?
            .map(|r| r.get(0));
        let known = MIGRATIONS.len() as i64;
        let version = version.unwrap_or(0);
        if version > known {
            return Err(StoreError::TooNew {
                path: format!("schema {schema}"),
                found: version,
                known,
            });
        }
        for sql in MIGRATIONS.iter().skip(version as usize) {
            tx.batch_execute(sql).map_err(query(CONTEXT))?;
        }
        tx.execute("DELETE FROM credence_schema", &[])
            .map_err(query(CONTEXT))?;
        tx.execute(
            "INSERT INTO credence_schema (version) VALUES ($1)",
            &[&known],
        )
        .map_err(query(CONTEXT))?;
        tx.commit().map_err(query(CONTEXT))
    }

    fn client(&self) -> &Pg {
        &self.db
    }
}

/// The document projection rows of a page, column by column (for `UNNEST`).
#[derive(Default)]
struct Facts<'a> {
    ids: Vec<i64>,
    kinds: Vec<&'a str>,
    remote_ids: Vec<&'a str>,
    customers: Vec<&'a str>,
    numbers: Vec<&'a str>,
    currencies: Vec<&'a str>,
    issues: Vec<i64>,
    dues: Vec<Option<i64>>,
    payables: Vec<Vec<u8>>,
    outstandings: Vec<Vec<u8>>,
    statuses: Vec<&'static str>,
    stated: Vec<bool>,
    precedings: Vec<Option<&'a str>>,
}

impl<'a> Facts<'a> {
    fn add(&mut self, id: i64, kind: &'a str, remote_id: &'a str, d: &'a credence_model::Document) {
        self.ids.push(id);
        self.kinds.push(kind);
        self.remote_ids.push(remote_id);
        self.customers.push(&d.customer_remote_id);
        self.numbers.push(&d.number);
        self.currencies.push(d.currency.code());
        self.issues.push(i64::from(day_number(d.issue_date)));
        self.dues.push(d.due_date.map(|d| i64::from(day_number(d))));
        self.payables.push(d.totals.payable.serialize().to_vec());
        self.outstandings
            .push(d.amount_outstanding.serialize().to_vec());
        self.statuses.push(status_text(d.status));
        self.stated.push(d.outstanding_stated);
        self.precedings.push(d.preceding_invoice.as_deref());
    }
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl RecordStore for PostgresStore {
    fn cursor(&self, connection: &str, stream: &str) -> Result<Option<SavedCursor>, StoreError> {
        Ok(self
            .client()
            .query_opt(
                "SELECT cursor, complete FROM cursors WHERE connection = $1 AND stream = $2",
                &[&connection, &stream],
            )
            .map_err(query("reading a cursor"))?
            .map(|r| SavedCursor {
                cursor: r.get(0),
                complete: r.get(1),
            }))
    }

    fn commit_page(&mut self, page: &PageCommit) -> Result<PageCounts, StoreError> {
        let now = ts(page.received_at);
        let mut counts = PageCounts::default();
        let settled = crate::settle(page)?;
        counts.unchanged += settled.repeats;
        let tx = self.db.transaction().map_err(query("starting a page"))?;
        if !page.withdrawn.is_empty() {
            let superseded: Vec<String> = tx
                .query(
                    "SELECT remote_id FROM quarantine WHERE connection = $1 AND stream = $2",
                    &[&page.connection, &page.stream],
                )
                .map_err(query("reading quarantine"))?
                .iter()
                .map(|r| r.get::<_, String>(0))
                .filter(|id| {
                    page.withdrawn
                        .iter()
                        .any(|source| crate::is_locator_of(id, source))
                })
                .collect();
            if !superseded.is_empty() {
                tx.execute(
                    "DELETE FROM quarantine WHERE connection = $1 AND stream = $2 AND remote_id = ANY($3)",
                    &[&page.connection, &page.stream, &superseded],
                )
                .map_err(query("clearing quarantine"))?;
            }
        }
        // What the store has for this page's records, in one round trip.
        let ids: Vec<&str> = settled
            .records
            .iter()
            .map(|r| r.origin.remote_id.as_str())
            .collect();
        let mut existing: HashMap<(String, String, String), (Vec<u8>, i64)> = HashMap::new();
        for row in tx
            .query(
                "SELECT connection, kind, remote_id, digest, current FROM records
                 WHERE connection = $1 AND remote_id = ANY($2) FOR UPDATE",
                &[&page.connection, &ids],
            )
            .map_err(query("reading records"))?
        {
            existing.insert(
                (row.get(0), row.get(1), row.get(2)),
                (row.get(3), row.get(4)),
            );
        }
        // Decide every change first, then write them with one statement per table: a page
        // costs a handful of round trips whatever its size.
        let changed: Vec<(&Record, &'static str, Option<String>, Vec<u8>)> = {
            let mut out = Vec::new();
            let mut seen: HashMap<(String, String, String), Vec<u8>> = HashMap::new();
            for record in settled.records.iter().copied() {
                let o = &record.origin;
                let (body, hash) = encode(record)?;
                let key = (
                    o.connection.clone(),
                    record.kind.as_str().to_string(),
                    o.remote_id.clone(),
                );
                let before = seen
                    .get(&key)
                    .cloned()
                    .or_else(|| existing.get(&key).map(|(d, _)| d.clone()));
                let change = match (&before, o.deleted) {
                    (Some(old), _) if *old == hash => {
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
                seen.insert(key, hash.clone());
                out.push((record, change, body, hash));
            }
            out
        };
        if !changed.is_empty() {
            let history_ids: Vec<i64> = tx
                .query(
                    "SELECT nextval(pg_get_serial_sequence('record_history', 'id')) FROM generate_series(1, $1::BIGINT)",
                    &[&(changed.len() as i64)],
                )
                .map_err(query("writing history"))?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let mut kinds = Vec::with_capacity(changed.len());
            let mut remote_ids = Vec::with_capacity(changed.len());
            let mut changes = Vec::with_capacity(changed.len());
            let mut origins = Vec::with_capacity(changed.len());
            let mut bodies = Vec::with_capacity(changed.len());
            // The version each change replaces: the stored one, or an earlier one of this page.
            let mut closes: Vec<i64> = Vec::new();
            let mut current: HashMap<(&str, &str), i64> = HashMap::new();
            let mut facts = Facts::default();
            for ((record, change, body, _), id) in changed.iter().zip(&history_ids) {
                let o = &record.origin;
                let kind = record.kind.as_str();
                let previous = current
                    .get(&(kind, o.remote_id.as_str()))
                    .copied()
                    .or_else(|| {
                        existing
                            .get(&(o.connection.clone(), kind.to_string(), o.remote_id.clone()))
                            .map(|(_, c)| *c)
                    });
                closes.extend(previous);
                current.insert((kind, o.remote_id.as_str()), *id);
                kinds.push(kind);
                remote_ids.push(o.remote_id.as_str());
                changes.push(*change);
                origins.push(serde_json::to_string(o).map_err(|e| StoreError::Query {
                    context: "encoding a record",
                    message: e.to_string(),
                })?);
                bodies.push(body.as_deref());
                if let Some(Body::Invoice(d) | Body::CreditNote(d)) = &record.body
                    && !o.deleted
                {
                    facts.add(*id, kind, &o.remote_id, d);
                }
            }
            tx.execute(
                "INSERT INTO record_history (id, connection, kind, remote_id, valid_from, change, origin, body)
                 SELECT t.id, $2, t.kind, t.remote_id, $3, t.change, t.origin, t.body
                 FROM UNNEST($1::BIGINT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[])
                   AS t(id, kind, remote_id, change, origin, body)",
                &[&history_ids, &page.connection, &now, &kinds, &remote_ids, &changes, &origins, &bodies],
            )
            .map_err(query("writing history"))?;
            if !facts.ids.is_empty() {
                tx.execute(
                    "INSERT INTO document_facts (history_id, kind, connection, remote_id, customer, number, currency, issue, due, payable, outstanding, status, valid_from, valid_to, stated, preceding)
                     SELECT t.id, t.kind, $2, t.remote_id, t.customer, t.number, t.currency, t.issue, t.due, t.payable, t.outstanding, t.status, $3, NULL, t.stated, t.preceding
                     FROM UNNEST($1::BIGINT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::BIGINT[], $10::BIGINT[], $11::BYTEA[], $12::BYTEA[], $13::TEXT[], $14::BOOLEAN[], $15::TEXT[])
                       AS t(id, kind, remote_id, customer, number, currency, issue, due, payable, outstanding, status, stated, preceding)",
                    &[
                        &facts.ids, &page.connection, &now, &facts.kinds, &facts.remote_ids,
                        &facts.customers, &facts.numbers, &facts.currencies, &facts.issues,
                        &facts.dues, &facts.payables, &facts.outstandings, &facts.statuses,
                        &facts.stated, &facts.precedings,
                    ],
                )
                .map_err(query("writing document facts"))?;
            }
            if !closes.is_empty() {
                tx.execute(
                    "UPDATE document_facts SET valid_to = $1 WHERE history_id = ANY($2)",
                    &[&now, &closes],
                )
                .map_err(query("writing document facts"))?;
            }
            // One row per record: the last change of the page wins.
            let mut last: Vec<usize> = Vec::new();
            let mut at: HashMap<(&str, &str), usize> = HashMap::new();
            for (i, (record, ..)) in changed.iter().enumerate() {
                let key = (record.kind.as_str(), record.origin.remote_id.as_str());
                match at.get(&key) {
                    Some(&slot) => last[slot] = i,
                    None => {
                        at.insert(key, last.len());
                        last.push(i);
                    }
                }
            }
            let up_kinds: Vec<&str> = last.iter().map(|i| changed[*i].0.kind.as_str()).collect();
            let up_ids: Vec<&str> = last
                .iter()
                .map(|i| changed[*i].0.origin.remote_id.as_str())
                .collect();
            let up_deleted: Vec<bool> = last.iter().map(|i| changed[*i].0.origin.deleted).collect();
            let up_digests: Vec<&[u8]> = last.iter().map(|i| changed[*i].3.as_slice()).collect();
            let up_current: Vec<i64> = last.iter().map(|i| history_ids[*i]).collect();
            tx.execute(
                "INSERT INTO records (connection, kind, remote_id, deleted, digest, first_seen, last_changed, current)
                 SELECT $1, t.kind, t.remote_id, t.deleted, t.digest, $2, $2, t.current
                 FROM UNNEST($3::TEXT[], $4::TEXT[], $5::BOOLEAN[], $6::BYTEA[], $7::BIGINT[])
                   AS t(kind, remote_id, deleted, digest, current)
                 ON CONFLICT (connection, kind, remote_id) DO UPDATE SET
                   deleted = excluded.deleted, digest = excluded.digest,
                   last_changed = excluded.last_changed, current = excluded.current",
                &[&page.connection, &now, &up_kinds, &up_ids, &up_deleted, &up_digests, &up_current],
            )
            .map_err(query("writing a record"))?;
        }
        // Cleared even for unchanged records: a record held back (a conflicting repeat, a bad
        // version) whose good version is the one already stored is settled too.
        if !ids.is_empty() {
            tx.execute(
                "DELETE FROM quarantine WHERE connection = $1 AND stream = $2 AND remote_id = ANY($3)",
                &[&page.connection, &page.stream, &ids],
            )
            .map_err(query("clearing quarantine"))?;
        }
        for q in &settled.quarantined {
            let reasons = serde_json::to_string(&q.reasons).map_err(|e| StoreError::Query {
                context: "encoding reasons",
                message: e.to_string(),
            })?;
            tx.execute(
                "INSERT INTO quarantine (connection, stream, remote_id, reasons, raw, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $6, $6)
                 ON CONFLICT (connection, stream, remote_id) DO UPDATE SET reasons = excluded.reasons, raw = excluded.raw, last_seen = excluded.last_seen",
                &[&q.connection, &q.stream, &q.remote_id, &reasons, &q.raw, &now],
            )
            .map_err(query("writing quarantine"))?;
            counts.quarantined += 1;
        }
        tx.execute(
            "INSERT INTO cursors (connection, stream, cursor, complete, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (connection, stream) DO UPDATE SET cursor = excluded.cursor, complete = excluded.complete, updated_at = excluded.updated_at",
            &[&page.connection, &page.stream, &page.cursor, &!page.has_more, &now],
        )
        .map_err(query("saving the cursor"))?;
        tx.commit().map_err(query("committing a page"))?;
        Ok(counts)
    }

    fn quarantine(&self) -> Result<Vec<QuarantineEntry>, StoreError> {
        let rows = self
            .client()
            .query(
                "SELECT connection, stream, remote_id, reasons, raw, first_seen, last_seen FROM quarantine
                 ORDER BY first_seen, connection, stream, remote_id",
                &[],
            )
            .map_err(query("reading quarantine"))?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let reasons: String = r.get(3);
                QuarantineEntry {
                    connection: r.get(0),
                    stream: r.get(1),
                    remote_id: r.get(2),
                    reasons: serde_json::from_str(&reasons).unwrap_or_else(|_| vec![reasons]),
                    raw: r.get(4),
                    first_seen: r.get(5),
                    last_seen: r.get(6),
                }
            })
            .collect())
    }

    fn records(&self, kind: RecordKind) -> Result<Vec<StoredRecord>, StoreError> {
        let rows = self
            .client()
            .query(
                "SELECT h.origin, h.body, r.first_seen, r.last_changed FROM records r JOIN record_history h ON h.id = r.current
                 WHERE r.kind = $1 ORDER BY r.connection, r.remote_id",
                &[&kind.as_str()],
            )
            .map_err(query("reading records"))?;
        rows.into_iter()
            .map(|r| {
                Ok(StoredRecord {
                    record: decode(kind.as_str(), r.get(0), r.get(1))?,
                    first_seen: r.get(2),
                    last_changed: r.get(3),
                })
            })
            .collect()
    }

    fn records_as_of(
        &self,
        kind: RecordKind,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<Record>, StoreError> {
        let rows = self
            .client()
            .query(
                "SELECT DISTINCT ON (connection, remote_id) origin, body FROM record_history
                 WHERE kind = $1 AND valid_from <= $2
                 ORDER BY connection, remote_id, id DESC",
                &[&kind.as_str(), &ts(as_of)],
            )
            .map_err(query("reading history"))?;
        let mut out = Vec::new();
        for r in rows {
            let record = decode(kind.as_str(), r.get(0), r.get(1))?;
            if !record.origin.deleted {
                out.push(record);
            }
        }
        Ok(out)
    }

    fn versions(&self, kind: RecordKind, until: DateTime<Utc>) -> Result<Vec<Version>, StoreError> {
        let rows = self
            .client()
            .query(
                "SELECT origin, body, valid_from FROM record_history
                 WHERE kind = $1 AND valid_from <= $2 ORDER BY connection, remote_id, id",
                &[&kind.as_str(), &ts(until)],
            )
            .map_err(query("reading history"))?;
        rows.into_iter()
            .map(|r| {
                let valid_from: String = r.get(2);
                let valid_from = DateTime::parse_from_rfc3339(&valid_from)
                    .map_err(|e| StoreError::Query {
                        context: "reading history",
                        message: format!("bad timestamp {valid_from:?}: {e}"),
                    })?
                    .with_timezone(&Utc);
                Ok(Version {
                    record: decode(kind.as_str(), r.get(0), r.get(1))?,
                    valid_from,
                })
            })
            .collect()
    }

    fn documents_as_of(
        &self,
        as_of: DateTime<Utc>,
        visit: &mut dyn FnMut(DocumentRow<'_>),
    ) -> Result<(), StoreError> {
        const CONTEXT: &str = "reading document facts";
        let at = ts(as_of);
        let bad = |what: &str, text: &str| StoreError::Query {
            context: CONTEXT,
            message: format!("a stored {what} {text:?} does not parse; the store is damaged"),
        };
        let date = |n: i64| {
            i32::try_from(n)
                .ok()
                .and_then(NaiveDate::from_num_days_from_ce_opt)
                .ok_or_else(|| bad("date", &n.to_string()))
        };
        let decimal = |bytes: &[u8]| {
            <[u8; 16]>::try_from(bytes)
                .map(rust_decimal::Decimal::deserialize)
                .map_err(|_| bad("amount", &format!("{bytes:?}")))
        };
        self.db.for_each_row(
            "SELECT kind, connection, remote_id, customer, number, currency, issue, due, payable, outstanding, status, stated, preceding
             FROM document_facts WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1)",
            &[&at],
            |row| {
                let currency: &str = row.get(5);
                let status: &str = row.get(10);
                let due: Option<i64> = row.get(7);
                visit(DocumentRow {
                    kind: match row.get::<_, &str>(0) {
                        "credit-note" => DocumentKind::CreditNote,
                        _ => DocumentKind::Invoice,
                    },
                    connection: row.get(1),
                    remote_id: row.get(2),
                    customer: row.get(3),
                    number: row.get(4),
                    currency: credence_model::Currency::parse(currency)
                        .map_err(|_| bad("currency", currency))?,
                    issue: date(row.get(6))?,
                    due: due.map(date).transpose()?,
                    payable: decimal(row.get(8))?,
                    outstanding: decimal(row.get(9))?,
                    status: status_of(status).ok_or_else(|| bad("status", status))?,
                    outstanding_stated: row.get(11),
                    preceding: row.get(12),
                });
                Ok(())
            },
            CONTEXT,
        )
    }

    fn record(
        &self,
        kind: RecordKind,
        connection: &str,
        remote_id: &str,
    ) -> Result<Option<Record>, StoreError> {
        let row = self
            .client()
            .query_opt(
                "SELECT h.origin, h.body FROM records r JOIN record_history h ON h.id = r.current
                 WHERE r.connection = $1 AND r.kind = $2 AND r.remote_id = $3",
                &[&connection, &kind.as_str(), &remote_id],
            )
            .map_err(query("reading a record"))?;
        row.map(|r| decode(kind.as_str(), r.get(0), r.get(1)))
            .transpose()
    }
}

impl ArrangementStore for PostgresStore {
    fn record_promise(&mut self, promise: &Promise) -> Result<i64, StoreError> {
        Ok(self
            .client()
            .query_one(
                "INSERT INTO promises (customer, amount, currency, promised_for, recorded_on, taken_by, note, invoices)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    &promise.customer,
                    &promise.amount.amount.to_string(),
                    &promise.amount.currency.code(),
                    &promise.promised_for.to_string(),
                    &promise.recorded_on.to_string(),
                    &promise.by,
                    &promise.note,
                    &crate::codec::keys(&promise.invoices),
                ],
            )
            .map_err(query("recording a promise"))?
            .get(0))
    }

    fn promises(&self) -> Result<Vec<Promise>, StoreError> {
        const CONTEXT: &str = "reading promises";
        let bad = |message: String| StoreError::Query {
            context: CONTEXT,
            message,
        };
        let rows = self
            .client()
            .query(
                "SELECT customer, amount, currency, promised_for, recorded_on, taken_by, note, invoices
                 FROM promises ORDER BY id",
                &[],
            )
            .map_err(query(CONTEXT))?;
        rows.into_iter()
            .map(|r| {
                let date = |i: usize| {
                    let t: &str = r.get(i);
                    t.parse::<NaiveDate>()
                        .map_err(|e| bad(format!("bad date {t:?}: {e}")))
                };
                let amount: &str = r.get(1);
                Ok(Promise {
                    customer: r.get(0),
                    amount: Money {
                        amount: amount
                            .parse()
                            .map_err(|e| bad(format!("bad amount {amount:?}: {e}")))?,
                        currency: credence_model::Currency::parse(r.get(2)).map_err(bad)?,
                    },
                    promised_for: date(3)?,
                    recorded_on: date(4)?,
                    by: r.get(5),
                    note: r.get(6),
                    invoices: crate::codec::parse_keys(CONTEXT, r.get(7))?,
                })
            })
            .collect()
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
}

impl OutboxStore for PostgresStore {
    fn dunning_history(&self) -> Result<History, StoreError> {
        dunning::history(&self.db)
    }

    fn enqueue(&mut self, actions: &[Action], now: DateTime<Utc>) -> Result<usize, StoreError> {
        dunning::enqueue(&self.db, actions, now)
    }

    fn claim_action(
        &mut self,
        now: DateTime<Utc>,
        lease: &Lease<'_>,
    ) -> Result<Option<OutboxEntry>, StoreError> {
        dunning::claim(&self.db, now, lease)
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
        dunning::delivered(&self.db, key, at, receipt)
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

impl ScheduleStore for PostgresStore {
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
