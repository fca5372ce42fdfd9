//! The sync loop: read every stream of a connection page by page, normalize and validate each
//! record, and commit each page with its cursor in one transaction.
//!
//! Streams the plugin marks incremental always resume from their saved cursor; full-refresh
//! streams start from the beginning once the previous sync completed them, and resume from the
//! saved cursor when it was interrupted. Either way a crash loses nothing and duplicates nothing:
//! upserts are keyed and idempotent.
//!
//! A sync ends: the plugin cannot keep it going by always answering "there is more". Each sync
//! has ceilings (`sync_pages`, `sync_records`, `sync_minutes`; bytes are counted by the imports)
//! and a stream whose cursor comes back to one it already returned is stopped at once.

use credence_normalize::{Quarantined, normalize, withdrawal};
use credence_runtime::bindings::types::Description;
use credence_runtime::limits::LimitHit;
use credence_runtime::{CallError, JobContext, Plugin};
use credence_store::{PageCommit, PageCounts, RecordStore, StoreError};
use serde::Serialize;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// How far one stream got.
#[derive(Debug, Default, Serialize)]
pub struct StreamOutcome {
    pub stream: String,
    pub pages: u32,
    #[serde(flatten)]
    pub counts: PageCounts,
}

/// What one connection's sync did.
#[derive(Debug, Serialize)]
pub struct SyncOutcome {
    pub connection: String,
    pub plugin: String,
    pub streams: Vec<StreamOutcome>,
    pub error: Option<String>,
    pub error_kind: Option<&'static str>,
    /// A rate limit's wait, in seconds, when the vendor said how long.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u32>,
}

/// Why a sync stopped early.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Plugin(#[from] CallError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    pub fn kind(&self) -> &'static str {
        match self {
            SyncError::Plugin(e) => e.kind(),
            SyncError::Store(_) => "store",
        }
    }
}

/// Sync every stream of one connection into `store`. `on_page` is called after each commit.
pub fn sync_connection(
    plugin: &Plugin,
    job: JobContext,
    store: &mut dyn RecordStore,
    handle: tokio::runtime::Handle,
    on_page: &mut dyn FnMut(&str, &StreamOutcome),
) -> SyncOutcome {
    let never = AtomicBool::new(false);
    sync_connection_until(plugin, job, store, handle, on_page, &never)
}

/// What `error_kind` says of a sync stopped by [`sync_connection_until`]'s flag.
pub const STOPPED: &str = "stopped";

/// [`sync_connection`], stopping before the next page once `stop` is set (shutdown, or the
/// lease was lost): every page read so far is committed, and the next sync resumes after it.
pub fn sync_connection_until(
    plugin: &Plugin,
    job: JobContext,
    store: &mut dyn RecordStore,
    handle: tokio::runtime::Handle,
    on_page: &mut dyn FnMut(&str, &StreamOutcome),
    stop: &AtomicBool,
) -> SyncOutcome {
    let connection = job.connection.clone();
    let mut outcome = SyncOutcome {
        connection: connection.clone(),
        plugin: plugin.id().to_string(),
        streams: Vec::new(),
        error: None,
        error_kind: None,
        retry_after_s: None,
    };
    let span = tracing::info_span!("sync", connection = %connection, plugin = %plugin.id());
    let _enter = span.enter();
    match run(
        plugin,
        job,
        store,
        handle,
        &mut outcome.streams,
        on_page,
        stop,
    ) {
        Err(e) => {
            tracing::warn!(error = %e, "sync stopped");
            if let SyncError::Plugin(call) = &e {
                outcome.retry_after_s = call.retry_after_seconds();
            }
            outcome.error_kind = Some(e.kind());
            outcome.error = Some(e.to_string());
        }
        Ok(Finished::Stopped) => {
            tracing::info!("sync stopped before the end; the next one resumes from here");
            outcome.error_kind = Some(STOPPED);
            outcome.error = Some(
                "stopped before the end (shutting down, or the lease was lost); the next sync resumes after the last committed page".into(),
            );
        }
        Ok(Finished::Complete) => {}
    }
    outcome
}

/// How reading ended without an error.
enum Finished {
    Complete,
    Stopped,
}

/// One page on its way from the plugin to the store.
struct Pending {
    stream: usize,
    name: String,
    page: credence_runtime::bindings::types::Page,
    received_at: chrono::DateTime<chrono::Utc>,
}

/// Read pages on this thread while a second thread normalizes and commits the previous one:
/// the plugin's HTTP and mapping overlap the store's writes. Pages are committed in the order
/// they were read, each with its own cursor, so a crash still resumes after the last committed
/// page; at most two pages are in flight.
fn run(
    plugin: &Plugin,
    job: JobContext,
    store: &mut dyn RecordStore,
    handle: tokio::runtime::Handle,
    streams: &mut Vec<StreamOutcome>,
    on_page: &mut dyn FnMut(&str, &StreamOutcome),
    stop: &AtomicBool,
) -> Result<Finished, SyncError> {
    let connection = job.connection.clone();
    // The host's clock stamps the history: pinned (CREDENCE_NOW) in tests and replays.
    let clock = job.clock;
    let mut session = plugin.session(job, handle)?;
    let description: Description = session.describe()?;
    // The committer owns the store from here on: read every saved cursor first.
    let mut starts = Vec::with_capacity(description.streams.len());
    for info in &description.streams {
        let saved = store.cursor(&connection, &info.name)?;
        starts.push(match saved {
            Some(s) if info.incremental || !s.complete => s.cursor,
            _ => None,
        });
    }
    *streams = description
        .streams
        .iter()
        .map(|info| StreamOutcome {
            stream: info.name.clone(),
            ..Default::default()
        })
        .collect();
    let span = tracing::Span::current();
    std::thread::scope(|scope| {
        let (pages, to_commit) = std::sync::mpsc::sync_channel::<Pending>(1);
        let (committed_tx, committed) =
            std::sync::mpsc::channel::<(usize, Result<PageCounts, StoreError>)>();
        let committer_connection = connection.clone();
        let committer = scope.spawn(move || {
            let _enter = span.enter();
            for pending in to_commit {
                let result = commit(
                    &committer_connection,
                    pending.page,
                    &pending.name,
                    pending.received_at,
                    store,
                );
                let failed = result.is_err();
                if committed_tx.send((pending.stream, result)).is_err() || failed {
                    break;
                }
            }
        });
        let mut store_error: Option<StoreError> = None;
        let mut apply = |(index, result): (usize, Result<PageCounts, StoreError>),
                         streams: &mut Vec<StreamOutcome>,
                         store_error: &mut Option<StoreError>| {
            match result {
                Ok(counts) => {
                    if let Some(progress) = streams.get_mut(index) {
                        progress.pages += 1;
                        progress.counts += counts;
                        on_page(&connection, progress);
                    }
                }
                Err(e) => {
                    store_error.get_or_insert(e);
                }
            }
        };
        let read = || -> Result<Finished, SyncError> {
            let limits = session.job().limits;
            let started = Instant::now();
            let (mut pages_read, mut records_read) = (0u32, 0u64);
            for (index, (info, start)) in description.streams.iter().zip(starts).enumerate() {
                let mut cursor = start;
                let mut seen = HashSet::from([cursor_hash(&cursor)]);
                loop {
                    if stop.load(Ordering::Relaxed) {
                        return Ok(Finished::Stopped);
                    }
                    let ceiling = if pages_read >= limits.sync_pages {
                        Some(("pages", u64::from(limits.sync_pages)))
                    } else if records_read >= limits.sync_records {
                        Some(("records", limits.sync_records))
                    } else if started.elapsed().as_secs() >= u64::from(limits.sync_minutes) * 60 {
                        Some(("minutes", u64::from(limits.sync_minutes)))
                    } else {
                        None
                    };
                    if let Some((what, limit)) = ceiling {
                        return Err(limit_hit(&session, LimitHit::Sync { what, max: limit }));
                    }
                    let page = session.read(&info.name, cursor.as_deref())?;
                    pages_read += 1;
                    records_read += page.records.len() as u64;
                    for done in committed.try_iter() {
                        apply(done, streams, &mut store_error);
                    }
                    if store_error.is_some() {
                        return Ok(Finished::Complete);
                    }
                    let has_more = page.has_more;
                    let next = page.cursor.clone();
                    let pending = Pending {
                        stream: index,
                        name: info.name.clone(),
                        page,
                        received_at: clock.now(),
                    };
                    if pages.send(pending).is_err() {
                        // The committer stopped on a store error, reported below.
                        return Ok(Finished::Complete);
                    }
                    if !has_more {
                        break;
                    }
                    if !seen.insert(cursor_hash(&next)) {
                        return Err(limit_hit(
                            &session,
                            LimitHit::StuckCursor {
                                stream: info.name.clone(),
                            },
                        ));
                    }
                    cursor = next;
                }
            }
            Ok(Finished::Complete)
        };
        let reading = read();
        drop(pages);
        if committer.join().is_err() {
            store_error.get_or_insert(StoreError::Query {
                context: "commit",
                message: "the store's commit thread panicked".into(),
            });
        }
        for done in committed.try_iter() {
            apply(done, streams, &mut store_error);
        }
        match store_error {
            Some(e) => Err(SyncError::Store(e)),
            None => reading,
        }
    })
}

/// A sync ceiling hit, reported like the runtime's limits (plugin, connection, which limit).
fn limit_hit(session: &credence_runtime::Session, hit: LimitHit) -> SyncError {
    let job = session.job();
    SyncError::Plugin(CallError::Limit {
        plugin: job.plugin_id.clone(),
        connection: job.connection.clone(),
        hit,
    })
}

/// A cursor's fingerprint, to notice one coming back (memory stays small on long syncs).
fn cursor_hash(cursor: &Option<String>) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    cursor.hash(&mut hasher);
    hasher.finish()
}

/// Normalize one page and commit it with its cursor.
fn commit(
    connection: &str,
    page: credence_runtime::bindings::types::Page,
    stream: &str,
    received_at: chrono::DateTime<chrono::Utc>,
    store: &mut dyn RecordStore,
) -> Result<PageCounts, StoreError> {
    let mut commit = PageCommit {
        connection: connection.to_string(),
        stream: stream.to_string(),
        cursor: page.cursor,
        has_more: page.has_more,
        received_at,
        ..Default::default()
    };
    for record in page.records {
        if let Some(source) = withdrawal(&record) {
            commit.withdrawn.push(source.to_string());
            continue;
        }
        match normalize(connection, stream, record) {
            Ok(r) => commit.records.push(r),
            Err(q) => {
                log_quarantine(&q);
                commit.quarantined.push(q);
            }
        }
    }
    let counts = store.commit_page(&commit)?;
    tracing::info!(
        stream = %stream, new = counts.new, updated = counts.updated,
        unchanged = counts.unchanged, deleted = counts.deleted, quarantined = counts.quarantined,
        "page committed"
    );
    Ok(counts)
}

fn log_quarantine(q: &Quarantined) {
    tracing::warn!(stream = %q.stream, remote_id = %q.remote_id, reasons = %q.reasons.join("; "), "record quarantined");
}
