//! The sync loop: read every stream of a connection page by page, normalize and validate each
//! record, and commit each page with its cursor in one transaction.
//!
//! Streams the plugin marks incremental always resume from their saved cursor; full-refresh
//! streams start from the beginning once the previous sync completed them, and resume from the
//! saved cursor when it was interrupted. Either way a crash loses nothing and duplicates nothing:
//! upserts are keyed and idempotent.

use crate::normalize::{Quarantined, normalize};
use crate::runtime::bindings::types::Description;
use crate::runtime::{CallError, JobContext, Plugin};
use crate::store::{PageCommit, PageCounts, Store, StoreError};
use serde::Serialize;

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
    store: &mut dyn Store,
    handle: tokio::runtime::Handle,
    on_page: &mut dyn FnMut(&str, &StreamOutcome),
) -> SyncOutcome {
    let connection = job.connection.clone();
    let mut outcome = SyncOutcome {
        connection: connection.clone(),
        plugin: plugin.id().to_string(),
        streams: Vec::new(),
        error: None,
        error_kind: None,
    };
    let span = tracing::info_span!("sync", connection = %connection, plugin = %plugin.id());
    let _enter = span.enter();
    if let Err(e) = run(plugin, job, store, handle, &mut outcome.streams, on_page) {
        tracing::warn!(error = %e, "sync stopped");
        outcome.error_kind = Some(e.kind());
        outcome.error = Some(e.to_string());
    }
    outcome
}

fn run(
    plugin: &Plugin,
    job: JobContext,
    store: &mut dyn Store,
    handle: tokio::runtime::Handle,
    streams: &mut Vec<StreamOutcome>,
    on_page: &mut dyn FnMut(&str, &StreamOutcome),
) -> Result<(), SyncError> {
    let connection = job.connection.clone();
    let mut session = plugin.session(job, handle)?;
    let description: Description = session.describe()?;
    for info in description.streams {
        let saved = store.cursor(&connection, &info.name)?;
        let mut cursor = match saved {
            Some(s) if info.incremental || !s.complete => s.cursor,
            _ => None,
        };
        streams.push(StreamOutcome {
            stream: info.name.clone(),
            ..Default::default()
        });
        let Some(progress) = streams.last_mut() else {
            continue;
        };
        loop {
            let page = session.read(&info.name, cursor.as_deref())?;
            let received_at = chrono::Utc::now();
            let mut commit = PageCommit {
                connection: connection.clone(),
                stream: info.name.clone(),
                cursor: page.cursor.clone(),
                has_more: page.has_more,
                received_at,
                ..Default::default()
            };
            for record in page.records {
                match normalize(&connection, &info.name, record) {
                    Ok(r) => commit.records.push(r),
                    Err(q) => {
                        log_quarantine(&q);
                        commit.quarantined.push(q);
                    }
                }
            }
            let counts = store.commit_page(&commit)?;
            tracing::info!(
                stream = %info.name, page = progress.pages + 1, new = counts.new, updated = counts.updated,
                unchanged = counts.unchanged, deleted = counts.deleted, quarantined = counts.quarantined,
                "page committed"
            );
            progress.pages += 1;
            progress.counts += counts;
            on_page(&connection, progress);
            cursor = page.cursor;
            if !page.has_more {
                break;
            }
        }
    }
    Ok(())
}

fn log_quarantine(q: &Quarantined) {
    tracing::warn!(stream = %q.stream, remote_id = %q.remote_id, reasons = %q.reasons.join("; "), "record quarantined");
}
