//! Durable storage of normalized records, cursors, quarantine and history.
//!
//! [`Store`] is what the sync loop and the rules use; [`sqlite::SqliteStore`] is the embedded
//! default (a file in the home). Invariants, whatever the backend:
//! - records are keyed by (connection, kind, remote id) and upserted idempotently: the same page
//!   twice changes nothing the second time;
//! - a remote deletion leaves a tombstone, never a hole;
//! - a page's records, its quarantine entries and the cursor that produced it are committed in one
//!   transaction, so a crash at any point resumes from the last committed page;
//! - every change is appended to the history, so any past date can be reconstructed.

mod codec;
#[cfg(all(test, feature = "sqlite", feature = "postgres"))]
mod conformance;
mod outbox;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use chrono::{DateTime, NaiveDate, Utc};
use credence_model::Quarantined;
use credence_model::dunning::{Action, ActionKind, OutboxEntry, Status, TaskState};
use credence_model::history::History;
use credence_model::{Dispute, HoldRelease, PaymentPlan, Promise, Record, RecordKind};
use serde::Serialize;

/// Where a home's data lives: the embedded SQLite file, or a schema of a PostgreSQL database
/// (`[storage] postgres` in `credence.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(std::path::PathBuf),
    Postgres { url: String, schema: String },
}

impl Location {
    /// Open (creating and migrating if needed) the store.
    pub fn open(&self) -> Result<Box<dyn Store>, StoreError> {
        Ok(match self {
            #[cfg(feature = "sqlite")]
            Location::Sqlite(path) => Box::new(sqlite::SqliteStore::open(path)?),
            #[cfg(feature = "postgres")]
            Location::Postgres { url, schema } => {
                Box::new(postgres::PostgresStore::open(url, schema)?)
            }
            #[allow(unreachable_patterns)]
            other => {
                return Err(StoreError::Open {
                    path: format!("{other:?}"),
                    message: "this build of Credence has no support for that database \
                              (credence-store built without its feature); use a full build"
                        .into(),
                });
            }
        })
    }
}

/// Why the store failed. Messages name the database and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {message}")]
    Open { path: String, message: String },
    #[error("database error ({context}): {message}")]
    Query {
        context: &'static str,
        message: String,
    },
    #[error(
        "the database {path} was written by a newer Credence (schema version {found}, this one knows {known}); upgrade Credence"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
}

/// One page to commit.
#[derive(Debug, Default)]
pub struct PageCommit {
    pub connection: String,
    pub stream: String,
    pub records: Vec<Record>,
    pub quarantined: Vec<Quarantined>,
    /// The cursor the plugin returned with this page.
    pub cursor: Option<String>,
    /// Whether the plugin has more pages for this sync (false: the stream is complete).
    pub has_more: bool,
    /// When the host received the page (history is stamped with it).
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// Sources (a file name) the plugin read again from their start in this page: the stream's
    /// parse-level quarantine entries of such a source, keyed `SOURCE:LINE`, are superseded
    /// (what is still wrong is quarantined again by this read). See
    /// `credence_normalize::withdrawal`.
    pub withdrawn: Vec<String>,
}

/// A page with its repeated keys settled, as both backends commit it.
///
/// Records are keyed by (connection, kind, remote id); a page holding one key twice would
/// otherwise let the later occurrence silently replace the earlier one (a repeated invoice
/// number in an export, a plugin repeating an id), and the earlier customer's invoice would
/// vanish from its balance. So:
/// - repeats with the same content are harmless: the record is kept once (its latest
///   occurrence), the repeats count as unchanged;
/// - *different* records under one key (or a record whose key was also quarantined in the same
///   page) are held back together in one quarantine entry naming every occurrence, and the
///   stored version stays as it was: neither silently wins;
/// - several quarantine entries under one key are merged, so none overwrites another.
#[derive(Debug)]
pub(crate) struct Settled<'a> {
    /// At most one record per key, in page order.
    pub records: Vec<&'a Record>,
    /// Identical repeats dropped.
    pub repeats: u64,
    /// At most one entry per remote id.
    pub quarantined: Vec<Quarantined>,
}

/// Settle the repeated keys of `page` (see [`Settled`]). A record of another connection than
/// the page's is refused: keys are per connection, so it would land under the wrong one. Both
/// backends call this first, so they refuse and settle alike.
pub(crate) fn settle(page: &PageCommit) -> Result<Settled<'_>, StoreError> {
    if let Some(r) = page
        .records
        .iter()
        .find(|r| r.origin.connection != page.connection)
    {
        return Err(StoreError::Query {
            context: "committing a page",
            message: format!(
                "record {} of connection {} is in a page of connection {}",
                r.origin.remote_id, r.origin.connection, page.connection
            ),
        });
    }
    use std::collections::HashMap;
    // Occurrences of each key, in page order; 1-based positions as users count.
    let mut order: Vec<(RecordKind, &str)> = Vec::new();
    let mut occurrences: HashMap<(RecordKind, &str), Vec<(usize, &Record)>> = HashMap::new();
    for (i, record) in page.records.iter().enumerate() {
        let key = (record.kind, record.origin.remote_id.as_str());
        let seen = occurrences.entry(key).or_default();
        if seen.is_empty() {
            order.push(key);
        }
        seen.push((i + 1, record));
    }
    let mut held: Vec<Quarantined> = Vec::new();
    let mut held_at: HashMap<String, usize> = HashMap::new();
    for q in &page.quarantined {
        match held_at.get(&q.remote_id) {
            Some(&at) => merge(&mut held[at], q),
            None => {
                held_at.insert(q.remote_id.clone(), held.len());
                held.push(q.clone());
            }
        }
    }
    let mut settled = Settled {
        records: Vec::with_capacity(order.len()),
        repeats: 0,
        quarantined: Vec::new(),
    };
    for key in order {
        let Some(versions) = occurrences.get(&key) else {
            continue;
        };
        // The same content (a connector's bookkeeping such as the vendor's update time may
        // differ): the latest occurrence is kept.
        let (_, latest) = versions[versions.len() - 1];
        let all_same = versions
            .iter()
            .all(|(_, r)| r.body == latest.body && r.origin.deleted == latest.origin.deleted);
        let also_quarantined = held_at.get(key.1).copied();
        if all_same && also_quarantined.is_none() {
            settled.records.push(latest);
            settled.repeats += versions.len() as u64 - 1;
            continue;
        }
        let (id, kind) = (key.1, key.0.as_str());
        let positions: Vec<String> = versions.iter().map(|(n, _)| format!("#{n}")).collect();
        let reason = if all_same {
            format!(
                "remote id {id:?}: this page also holds a {kind} under this id that was quarantined (above); neither is stored and the stored version, if any, is unchanged: fix the one that is wrong, or give each record its own id"
            )
        } else {
            format!(
                "remote id {id:?}: {} different {kind} records under this one id in one page of stream {:?} (records {} of the page); neither is stored and the stored version, if any, is unchanged: give each record its own id (for a CSV export, an `id` column or unique numbers)",
                versions.len(),
                page.stream,
                positions.join(", ")
            )
        };
        let versions_raw: Vec<Option<String>> = versions
            .iter()
            .map(|(_, r)| {
                r.origin
                    .raw
                    .clone()
                    .or_else(|| serde_json::to_string(r).ok())
            })
            .collect();
        let entry = Quarantined {
            connection: page.connection.clone(),
            stream: page.stream.clone(),
            remote_id: id.to_string(),
            reasons: vec![reason],
            raw: joined_raw(versions_raw),
        };
        match also_quarantined {
            Some(at) => merge(&mut held[at], &entry),
            None => {
                held_at.insert(entry.remote_id.clone(), held.len());
                held.push(entry);
            }
        }
    }
    settled.quarantined = held;
    Ok(settled)
}

/// Fold `other` into `into` (same key): every reason once, every payload kept.
fn merge(into: &mut Quarantined, other: &Quarantined) {
    for reason in &other.reasons {
        if !into.reasons.contains(reason) {
            into.reasons.push(reason.clone());
        }
    }
    let mut raws = split_raw(into.raw.take());
    raws.extend(split_raw(other.raw.clone()));
    into.raw = joined_raw(raws);
}

/// Several payloads under one key are kept as a JSON array of their texts, marked so that
/// [`split_raw`] can take them apart again.
const RAW_VERSIONS: &str = "{\"versions\":";

fn joined_raw(raws: Vec<Option<String>>) -> Option<String> {
    let mut distinct: Vec<String> = Vec::new();
    for raw in raws.into_iter().flatten() {
        if !distinct.contains(&raw) {
            distinct.push(raw);
        }
    }
    match distinct.len() {
        0 => None,
        1 => distinct.pop(),
        _ => serde_json::to_string(&serde_json::json!({ "versions": distinct })).ok(),
    }
}

fn split_raw(raw: Option<String>) -> Vec<Option<String>> {
    match raw {
        Some(text) if text.starts_with(RAW_VERSIONS) => {
            match serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("versions").cloned())
                .and_then(|v| serde_json::from_value::<Vec<String>>(v).ok())
            {
                Some(list) => list.into_iter().map(Some).collect(),
                None => vec![Some(text)],
            }
        }
        other => vec![other],
    }
}

/// Whether a quarantined remote id is a parse-level locator `SOURCE:LINE` of `source`.
pub(crate) fn is_locator_of(remote_id: &str, source: &str) -> bool {
    remote_id
        .strip_prefix(source)
        .and_then(|rest| rest.strip_prefix(':'))
        .is_some_and(|line| !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()))
}

/// Where a stream stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedCursor {
    pub cursor: Option<String>,
    /// The last sync read the stream to its end (false: it was interrupted and resumes here).
    pub complete: bool,
}

/// What committing a page changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageCounts {
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
    pub quarantined: u64,
}

impl std::ops::AddAssign for PageCounts {
    fn add_assign(&mut self, o: PageCounts) {
        self.new += o.new;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.deleted += o.deleted;
        self.quarantined += o.quarantined;
    }
}

/// A quarantined record as the user sees it.
#[derive(Debug, Clone, Serialize)]
pub struct QuarantineEntry {
    pub connection: String,
    pub stream: String,
    pub remote_id: String,
    pub reasons: Vec<String>,
    pub raw: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
}

pub use credence_model::stored::{DocumentRow, StoredRecord, Version};

/// The storage interface shared by the SQLite and (server mode) PostgreSQL backends: four
/// roles, so each caller names only what it uses (the sync loop a [`RecordStore`], the delivery
/// loop an [`OutboxStore`], ...), and [`Store`] for a whole backend.
pub trait Store: RecordStore + ArrangementStore + OutboxStore + ScheduleStore {}

impl<T: RecordStore + ArrangementStore + OutboxStore + ScheduleStore + ?Sized> Store for T {}

/// Records as the sync loop writes them and the views and rules read them: pages with their cursors, quarantine, current records, history.
pub trait RecordStore: Send {
    /// The saved cursor of a stream (`None`: never read).
    fn cursor(&self, connection: &str, stream: &str) -> Result<Option<SavedCursor>, StoreError>;
    /// Commit a page, its quarantine entries and its cursor atomically.
    fn commit_page(&mut self, page: &PageCommit) -> Result<PageCounts, StoreError>;
    /// Everything in quarantine, oldest first.
    fn quarantine(&self) -> Result<Vec<QuarantineEntry>, StoreError>;
    /// Current records of one kind (tombstones included, flagged deleted).
    fn records(&self, kind: RecordKind) -> Result<Vec<StoredRecord>, StoreError>;
    /// Records of one kind as they stood at the end of `as_of` (from the history).
    fn records_as_of(
        &self,
        kind: RecordKind,
        as_of: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Record>, StoreError>;
    /// Every version of every record of one kind received up to `until`, grouped by record
    /// (connection, remote id) and oldest first within a record.
    fn versions(
        &self,
        kind: RecordKind,
        until: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Version>, StoreError>;
    /// Every invoice and credit note as it stood at `as_of` (deleted ones left out), without
    /// decoding the documents: credit evaluation reads a million of them in well under a second.
    fn documents_as_of(
        &self,
        as_of: chrono::DateTime<chrono::Utc>,
        visit: &mut dyn FnMut(DocumentRow<'_>),
    ) -> Result<(), StoreError>;
    /// The current version of one record, if the store has it.
    fn record(
        &self,
        kind: RecordKind,
        connection: &str,
        remote_id: &str,
    ) -> Result<Option<Record>, StoreError>;
}

/// What the credit controller records by hand: promises to pay, disputes, payment plans.
pub trait ArrangementStore: Send {
    /// Record a promise to pay; returns its number.
    fn record_promise(&mut self, promise: &Promise) -> Result<i64, StoreError>;
    /// Every promise recorded, oldest first.
    fn promises(&self) -> Result<Vec<Promise>, StoreError>;
    /// Record a dispute; returns its number.
    fn record_dispute(&mut self, dispute: &Dispute) -> Result<i64, StoreError>;
    /// Resolve an open dispute on a day; false when there is no open dispute with that number.
    fn resolve_dispute(&mut self, id: i64, on: NaiveDate) -> Result<bool, StoreError>;
    /// Every dispute, oldest first.
    fn disputes(&self) -> Result<Vec<Dispute>, StoreError>;
    /// Record a payment plan; returns its number.
    fn record_payment_plan(&mut self, plan: &PaymentPlan) -> Result<i64, StoreError>;
    /// Every payment plan, oldest first.
    fn payment_plans(&self) -> Result<Vec<PaymentPlan>, StoreError>;
    /// Record that a person lifted a customer's credit holds; returns its number.
    fn record_hold_release(&mut self, release: &HoldRelease) -> Result<i64, StoreError>;
    /// Every hold release, oldest first.
    fn hold_releases(&self) -> Result<Vec<HoldRelease>, StoreError>;
}

/// The dunning ladder's memory and the outbox: queued actions, their claims and delivery, tasks.
pub trait OutboxStore: Send {
    /// What earlier dunning runs did (levels, charges, actions waiting, last contacts).
    fn dunning_history(&self) -> Result<History, StoreError>;
    /// Queue actions (an action whose key is known is left alone); returns how many were new.
    fn enqueue(&mut self, actions: &[Action], now: DateTime<Utc>) -> Result<usize, StoreError>;
    /// Claim the next action due at `now` for delivery (it becomes `sending`, held by the
    /// lease's holder until the lease ends; an action whose claim ran out may be claimed again).
    fn claim_action(
        &mut self,
        now: DateTime<Utc>,
        lease: &Lease<'_>,
    ) -> Result<Option<OutboxEntry>, StoreError>;
    /// Put the actions `holder` (or a loop from before claims had holders) had claimed back to
    /// `pending`: for a delivery loop that restarts under the same name.
    fn release_claims(&mut self, holder: &str) -> Result<usize, StoreError>;
    /// Mark an action delivered, with what the channel answered; its invoices climb.
    fn action_delivered(
        &mut self,
        key: &str,
        at: DateTime<Utc>,
        receipt: &str,
    ) -> Result<(), StoreError>;
    /// A failed attempt: retry at `retry_at`, or give up (`None`).
    fn action_failed(
        &mut self,
        key: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;
    /// Failed actions become pending again; returns how many.
    fn retry_failed(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError>;
    /// The outbox, oldest first (one status only when given).
    fn outbox(&self, status: Option<Status>) -> Result<Vec<OutboxEntry>, StoreError>;
    /// The delivered actions of one kind, oldest first (e.g. the credit holds in force).
    fn delivered(&self, kind: ActionKind) -> Result<Vec<OutboxEntry>, StoreError>;
    /// Mark a task (key or unique key prefix) done, snoozed or open again; returns the keys
    /// that matched (updated only when exactly one did).
    fn update_task(
        &mut self,
        key: &str,
        state: TaskState,
        until: Option<NaiveDate>,
        note: Option<&str>,
    ) -> Result<Vec<String>, StoreError>;
}

/// The server's shared schedule: one row per job, leased by one instance at a time.
pub trait ScheduleStore: Send {
    /// Take the lease of a job that is due and not held (or whose holder's lease ran out); a
    /// job never seen before is due at once. False: not due, or another instance holds it.
    fn lease_job(&mut self, job: &str, lease: &Lease<'_>) -> Result<bool, StoreError>;
    /// Extend a lease still held; false when it was lost (expired and taken over).
    fn renew_lease(&mut self, job: &str, lease: &Lease<'_>) -> Result<bool, StoreError>;
    /// Give a lease back with the job's next due time and how it ended.
    fn finish_job(&mut self, job: &str, holder: &str, end: &JobEnd<'_>) -> Result<(), StoreError>;
    /// Make a job due at `now` (an operator asked for it).
    fn request_job(&mut self, job: &str, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// Every job of the schedule.
    fn schedule(&self) -> Result<Vec<ScheduledJob>, StoreError>;
}

/// Who holds work and until when.
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    pub holder: &'a str,
    /// The real time now.
    pub now: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl<'a> Lease<'a> {
    /// A lease for `holder` from the system clock's now, `seconds` long.
    pub fn for_seconds(holder: &'a str, seconds: u64) -> Lease<'a> {
        let now = Utc::now();
        Lease {
            holder,
            now,
            until: now + chrono::Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX / 4)),
        }
    }
}

/// How a leased job ended.
#[derive(Debug, Clone, Copy)]
pub struct JobEnd<'a> {
    pub at: DateTime<Utc>,
    pub next_due: DateTime<Utc>,
    /// Failures in a row (0 after a success).
    pub failures: u32,
    pub error: Option<&'a str>,
}

/// One job of the shared schedule.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ScheduledJob {
    /// A connection's name, or `@evaluate`, `@monitor` for the periodic jobs.
    pub job: String,
    /// The instance running it now.
    pub holder: Option<String>,
    pub lease_until: Option<String>,
    pub next_due: String,
    pub failures: u32,
    pub last_started: Option<String>,
    pub last_finished: Option<String>,
    pub last_error: Option<String>,
}

/// A time as the schedule and claims store it: RFC 3339, UTC, microseconds, fixed width, so
/// text order is time order in both backends.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
