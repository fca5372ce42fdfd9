//! The sync loop: every ledger connection leased and synced on its interval, and the waiting
//! the service's loops share.
//!
//! Business dates (what is due, what is late) come from the host clock, which `CREDENCE_NOW`
//! pins; leases and claims always use the real clock, since they are about processes.

use super::Service;
use chrono::{DateTime, Utc};
use credence_app::sync::{STOPPED, SyncOutcome, sync_connection_until};
use credence_runtime::PluginKind;
use credence_store::{JobEnd, Lease};
use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// How often the sync loop looks at the schedule when nothing wakes it.
const TICK: Duration = Duration::from_secs(1);

pub(super) fn seconds(s: u64) -> chrono::Duration {
    chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 4))
}

/// A pseudo-random number below `bound` (0 when `bound` is 0): enough to spread syncs out.
fn jitter(bound: u64, salt: &str) -> u64 {
    if bound == 0 {
        return 0;
    }
    let h = std::collections::hash_map::RandomState::new().hash_one((salt, Instant::now()));
    h % (bound + 1)
}

/// Why a pause ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Woken {
    Timeout,
    Asked,
    Stopping,
}

/// Wait `d`, or until `notify` fires, or until the service stops.
pub(super) async fn wait(service: &Service, d: Duration, notify: &tokio::sync::Notify) -> Woken {
    let mut stop = service.stop.clone();
    let woken = tokio::select! {
        _ = tokio::time::sleep(d) => Woken::Timeout,
        _ = notify.notified() => Woken::Asked,
        _ = stop.wait_for(|s| *s) => Woken::Stopping,
    };
    if service.stopping() {
        Woken::Stopping
    } else {
        woken
    }
}

/// [`wait`]; true when the service stops.
pub(super) async fn pause(service: &Service, d: Duration, notify: &tokio::sync::Notify) -> bool {
    wait(service, d, notify).await == Woken::Stopping
}

/// Ledger connections due now by the schedule (or never synced) and not running here, with
/// their failures in a row.
async fn due(service: &Arc<Service>, running: &HashSet<String>) -> Vec<(String, u32)> {
    let config = match service.home.config() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot read credence.toml; no sync started");
            return Vec::new();
        }
    };
    let registry = service.home.registry();
    let schedule = match service.pool.run(|s| Ok(s.schedule()?)).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the schedule");
            return Vec::new();
        }
    };
    let now = credence_store::timestamp(Utc::now());
    config
        .connections
        .iter()
        .filter(|(name, c)| {
            !running.contains(*name)
                && registry
                    .get(&c.plugin)
                    .is_ok_and(|p| p.manifest.kind == PluginKind::Ledger)
        })
        .filter_map(|(name, _)| match schedule.iter().find(|j| &j.job == name) {
            None => Some((name.clone(), 0)),
            Some(j) if j.next_due <= now && j.lease_until.as_ref().is_none_or(|l| *l < now) => {
                Some((name.clone(), j.failures))
            }
            Some(_) => None,
        })
        .collect()
}

/// Keep every ledger connection in sync.
pub(super) async fn syncs(service: Arc<Service>) {
    let runtime = match service.home.runtime() {
        Ok(r) => Arc::new(r),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "cannot start the plugin runtime; no sync will run");
            return;
        }
    };
    let permits = Arc::new(tokio::sync::Semaphore::new(
        service.config.concurrency.max(1),
    ));
    let mut running: HashSet<String> = HashSet::new();
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        while let Some(done) = tasks.try_join_next() {
            if let Ok(name) = done {
                running.remove(&name);
            }
        }
        if service.stopping() {
            break;
        }
        for (name, failures) in due(&service, &running).await {
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                break;
            };
            let lease_s = service.config.lease_s;
            let (job, holder) = (name.clone(), service.instance.clone());
            let leased = service
                .pool
                .run(move |s| Ok(s.lease_job(&job, &Lease::for_seconds(&holder, lease_s))?))
                .await;
            match leased {
                Ok(true) => {
                    running.insert(name.clone());
                    let (service, runtime) = (service.clone(), runtime.clone());
                    let span = tracing::info_span!("scheduled_sync", connection = %name);
                    tasks.spawn(
                        async move {
                            sync_one(&service, &runtime, &name, failures).await;
                            drop(permit);
                            // A slot is free: look at the schedule now, not at the next tick.
                            service.wake.notify_one();
                            name
                        }
                        .instrument(span),
                    );
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(connection = %name, error = %e, "cannot lease"),
            }
        }
        if pause(&service, TICK, &service.wake).await {
            break;
        }
    }
    // Syncs in hand stop before their next page.
    while tasks.join_next().await.is_some() {}
}

/// Seconds before a connection found locked by another process on this home is tried again.
const LOCKED_RETRY_S: u32 = 30;

/// One leased sync, start to finish, with its lease renewed while it runs.
async fn sync_one(
    service: &Arc<Service>,
    runtime: &Arc<credence_runtime::Runtime>,
    name: &str,
    failures: u32,
) {
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let heartbeat = tokio::spawn(renew(service.clone(), name.to_string(), stop.clone()));
    let outcome =
        match credence_app::connections::open_with_env(&service.home, runtime, name, &|v| {
            std::env::var(v).ok()
        }) {
            Ok((plugin, job)) => {
                let location = service.pool.location().clone();
                let handle = tokio::runtime::Handle::current();
                let flag = stop.clone();
                let connection = name.to_string();
                let root = service.home.root().to_path_buf();
                let ran = tokio::task::spawn_blocking(move || {
                    // A `credence sync` of this connection on the same home: let it finish and
                    // look again after a short wait (not a failure; see `cli::lock`).
                    let _lock = match credence_app::lock::try_lock(&root, &job.connection) {
                        Ok(lock) => lock,
                        Err(e) => {
                            let mut skipped =
                                failed(&job.connection, e.message(), credence_app::lock::LOCKED);
                            skipped.retry_after_s = Some(LOCKED_RETRY_S);
                            return Ok(skipped);
                        }
                    };
                    let mut store = location.open()?;
                    Ok::<_, credence_store::StoreError>(sync_connection_until(
                        &plugin,
                        job,
                        store.as_mut(),
                        handle,
                        &mut |_, _| {},
                        &flag,
                    ))
                })
                .await;
                match ran {
                    Ok(Ok(outcome)) => outcome,
                    Ok(Err(e)) => failed(&connection, e.to_string(), "store"),
                    Err(e) => failed(&connection, format!("the sync panicked: {e}"), "host"),
                }
            }
            Err(e) => failed(name, format!("{e:#}"), "setup"),
        };
    heartbeat.abort();
    let elapsed = started.elapsed().as_secs_f64();
    let changed = record(service, &outcome, elapsed);
    let now = Utc::now();
    let interval = service
        .home
        .config()
        .ok()
        .and_then(|c| c.connections.get(name).and_then(|c| c.sync_every_s))
        .unwrap_or(service.config.sync_every_s);
    let (failures, next_due): (u32, DateTime<Utc>) = match outcome.error_kind {
        None => (
            0,
            now + seconds(interval + jitter(service.config.jitter_s, name)),
        ),
        // Stopped by shutdown or a lost lease: whoever runs next resumes at once.
        Some(STOPPED) => (failures, now),
        // The vendor said how long to wait: the connection waits that long (its slot goes to
        // the others meanwhile), and a rate limit is not a failure.
        Some(_) if outcome.retry_after_s.is_some() => (
            failures,
            now + seconds(u64::from(outcome.retry_after_s.unwrap_or_default()).max(1)),
        ),
        Some(_) => {
            let n = failures.saturating_add(1);
            let wait = interval
                .saturating_mul(1u64 << n.min(16))
                .min(service.config.backoff_max_s.max(interval));
            (
                n,
                now + seconds(wait + jitter(service.config.jitter_s, name)),
            )
        }
    };
    let end_error = outcome.error.clone();
    let (job, holder) = (name.to_string(), service.instance.clone());
    let finished = service
        .pool
        .run(move |s| {
            Ok(s.finish_job(
                &job,
                &holder,
                &JobEnd {
                    at: now,
                    next_due,
                    failures,
                    error: end_error.as_deref(),
                },
            )?)
        })
        .await;
    if let Err(e) = finished {
        tracing::warn!(error = %e, "cannot record the end of the sync; its lease will run out");
    }
    match &outcome.error {
        None => tracing::info!(seconds = elapsed, %next_due, "sync finished"),
        Some(e) => tracing::warn!(error = %e, failures, %next_due, "sync ended early"),
    }
    if changed {
        service.synced.store(true, Ordering::Relaxed);
        service.evaluate.notify_one();
    }
}

/// Renew the lease every third of its length; set `stop` when it is lost or the service stops.
async fn renew(service: Arc<Service>, job: String, stop: Arc<AtomicBool>) {
    let every = Duration::from_secs((service.config.lease_s / 3).max(1));
    let mut stopping = service.stop.clone();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stopping.wait_for(|s| *s) => {
                stop.store(true, Ordering::Relaxed);
                return;
            }
        }
        let (j, holder, lease_s) = (
            job.clone(),
            service.instance.clone(),
            service.config.lease_s,
        );
        match service
            .pool
            .run(move |s| Ok(s.renew_lease(&j, &Lease::for_seconds(&holder, lease_s))?))
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(connection = %job, "the lease was lost (taken over after it ran out); stopping this sync");
                stop.store(true, Ordering::Relaxed);
                return;
            }
            Err(e) => tracing::warn!(connection = %job, error = %e, "cannot renew the lease"),
        }
    }
}

fn failed(connection: &str, error: String, kind: &'static str) -> SyncOutcome {
    SyncOutcome {
        connection: connection.to_string(),
        plugin: String::new(),
        streams: Vec::new(),
        error: Some(error),
        error_kind: Some(kind),
        retry_after_s: None,
    }
}

/// Count a sync in the metrics; true when it changed the store.
fn record(service: &Service, o: &SyncOutcome, elapsed: f64) -> bool {
    let m = &service.metrics;
    let c = o.connection.as_str();
    let result = match o.error_kind {
        None => "ok",
        Some(STOPPED) => "stopped",
        Some(_) => "failed",
    };
    m.inc(
        "credence_syncs_total",
        &[("connection", c), ("result", result)],
    );
    m.observe("credence_sync_seconds", &[("connection", c)], elapsed);
    if let Some(kind) = o.error_kind.filter(|k| *k != STOPPED) {
        m.inc(
            "credence_plugin_errors_total",
            &[("connection", c), ("kind", kind)],
        );
        if matches!(kind, "rate-limited" | "limit") {
            m.inc(
                "credence_limits_hit_total",
                &[("connection", c), ("kind", kind)],
            );
        }
    }
    let mut changed = false;
    for s in &o.streams {
        let n = &s.counts;
        m.add(
            "credence_pages_total",
            &[("connection", c)],
            f64::from(s.pages),
        );
        for (change, count) in [
            ("new", n.new),
            ("updated", n.updated),
            ("unchanged", n.unchanged),
            ("deleted", n.deleted),
        ] {
            m.add(
                "credence_records_total",
                &[("connection", c), ("change", change)],
                count as f64,
            );
        }
        m.add(
            "credence_quarantined_total",
            &[("connection", c)],
            n.quarantined as f64,
        );
        changed |= n.new + n.updated + n.deleted > 0;
    }
    changed
}
