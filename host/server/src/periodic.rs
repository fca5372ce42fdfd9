//! The loops that follow the syncs: evaluation with the dunning plan, delivery of the outbox,
//! bureau monitoring.

use super::Service;
use super::schedule::{Woken, pause, seconds, wait};
use chrono::Utc;
use credence_app::dunning::deliver::{self, Channels};
use credence_runtime::PluginKind;
use credence_store::{JobEnd, Lease};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// The schedule's job for a connection's sync is the connection's name; this is monitoring's.
const MONITOR_JOB: &str = "@monitor";

/// Evaluate credit and plan dunning after changes and at least every `evaluate_every_s`.
pub(super) async fn evaluations(service: Arc<Service>) {
    let every = Duration::from_secs(service.config.evaluate_every_s.max(1));
    let settle = Duration::from_secs(service.config.evaluate_settle_s);
    loop {
        evaluate(&service).await;
        if pause(&service, every, &service.evaluate).await {
            break;
        }
        // Asked by a sync: let the syncs finishing around it land first (a steady stream of
        // syncs still gets an evaluation every six settle periods).
        let latest = Instant::now() + settle * 6;
        while !settle.is_zero() {
            let mut stop = service.stop.clone();
            let wait = settle.min(latest.saturating_duration_since(Instant::now()));
            tokio::select! {
                _ = tokio::time::sleep(wait) => break,
                _ = service.evaluate.notified() => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }
}

/// One evaluation: the credit decisions the API answers with, and the day's dunning actions
/// queued (each once, whichever instance queues it first).
async fn evaluate(service: &Arc<Service>) {
    let started = Instant::now();
    let home = service.home.clone();
    let result = service
        .pool
        .run(move |store| {
            let (policy, _) = home.policy()?;
            let clock = credence_app::clock::clock()?;
            let as_of = clock.now().date_naive();
            let evaluation = credence_app::credit::evaluate(store, &policy, as_of)?;
            let plan = credence_app::dunning::plan_for(&home, store, as_of)?;
            // Due for delivery from now on the real clock: the outbox waits in process time.
            let queued = store.enqueue(&plan.actions, chrono::Utc::now())?;
            Ok((evaluation, queued))
        })
        .await;
    let m = &service.metrics;
    m.observe(
        "credence_evaluation_seconds",
        &[],
        started.elapsed().as_secs_f64(),
    );
    match result {
        Ok((evaluation, queued)) => {
            m.inc("credence_evaluations_total", &[("result", "ok")]);
            m.add("credence_actions_queued_total", &[], queued as f64);
            let mut states: std::collections::BTreeMap<&str, f64> = Default::default();
            for d in &evaluation.customers {
                *states.entry(d.state.as_str()).or_default() += 1.0;
            }
            let series: Vec<(Vec<(&str, &str)>, f64)> = states
                .iter()
                .map(|(s, n)| (vec![("state", *s)], *n))
                .collect();
            m.set_all("credence_customers", &series);
            tracing::info!(
                customers = evaluation.customers.len(),
                queued,
                "evaluated credit and planned dunning"
            );
            if let Ok(mut latest) = service.latest.write() {
                *latest = Some(Arc::new(super::Latest::new(evaluation)));
            }
            // New customers may have come with the syncs: the bureaus look them up now, not
            // at the next monitoring period (reports they store ask for an evaluation, which
            // does not come back here).
            if service.synced.swap(false, Ordering::Relaxed) {
                service.monitor.notify_one();
            }
            if queued > 0 {
                service.deliver.notify_one();
            }
        }
        Err(e) => {
            m.inc("credence_evaluations_total", &[("result", "failed")]);
            tracing::error!(error = %format!("{e:#}"), "evaluation failed");
        }
    }
}

/// Deliver the outbox: small batches, so a shutdown waits for one delivery at most a batch.
pub(super) async fn deliveries(service: Arc<Service>, channels: Channels) {
    const BATCH: usize = 10;
    let every = Duration::from_secs(service.config.deliver_every_s.max(1));
    let clock = match credence_app::clock::clock() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "no clock; delivery stopped");
            return;
        }
    };
    // One store for the loop, opened again after an error (the database may have restarted).
    let mut store: Option<Box<dyn credence_store::Store>> = None;
    loop {
        if service.stopping() {
            break;
        }
        if store.is_none() {
            let location = service.pool.location().clone();
            match tokio::task::spawn_blocking(move || location.open()).await {
                Ok(Ok(s)) => store = Some(s),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "delivery cannot open the store; retrying")
                }
                Err(e) => tracing::warn!(error = %e, "delivery cannot open the store; retrying"),
            }
        }
        let mut worked = 0;
        if let Some(s) = store.as_mut() {
            let m = &service.metrics;
            match deliver::run(
                s.as_mut(),
                &channels,
                || clock.now(),
                Some(BATCH),
                &service.instance,
            )
            .await
            {
                Ok(r) => {
                    m.add("credence_actions_delivered_total", &[], r.delivered as f64);
                    m.add(
                        "credence_actions_failed_total",
                        &[],
                        (r.retrying + r.failed) as f64,
                    );
                    worked = r.delivered + r.retrying + r.failed;
                }
                Err(e) => {
                    tracing::error!(error = %e, "delivery failed; reopening the store");
                    store = None;
                }
            }
        }
        if worked < BATCH && pause(&service, every, &service.deliver).await {
            break;
        }
    }
}

/// Look bureau reports up on the policy's cadence; one instance at a time.
pub(super) async fn monitoring(service: Arc<Service>) {
    let every = Duration::from_secs(service.config.monitor_every_s.max(1));
    let mut asked = false;
    loop {
        let has_bureau = service.home.config().is_ok_and(|c| {
            let registry = service.home.registry();
            c.connections.values().any(|c| {
                registry
                    .get(&c.plugin)
                    .is_ok_and(|p| p.manifest.kind == PluginKind::Bureau)
            })
        });
        if has_bureau {
            monitor_once(&service, every, asked).await;
        }
        match wait(&service, every, &service.monitor).await {
            Woken::Stopping => break,
            w => asked = w == Woken::Asked,
        }
    }
}

/// One look at the bureaus, if this instance gets the lease; `asked` makes it due now.
async fn monitor_once(service: &Arc<Service>, every: Duration, asked: bool) {
    let (holder, lease_s) = (service.instance.clone(), service.config.lease_s.max(600));
    let leased = service
        .pool
        .run(move |s| {
            if asked {
                s.request_job(MONITOR_JOB, Utc::now())?;
            }
            Ok(s.lease_job(MONITOR_JOB, &Lease::for_seconds(&holder, lease_s))?)
        })
        .await;
    if !matches!(leased, Ok(true)) {
        return;
    }
    let outcome = credence_app::monitor::monitor(
        &service.home,
        &credence_app::monitor::Scope::default(),
        &|v| std::env::var(v).ok(),
    )
    .await;
    let error = match outcome {
        Ok(outcomes) => {
            for o in &outcomes {
                service
                    .metrics
                    .inc("credence_monitor_lookups_total", &[("outcome", o.outcome)]);
            }
            if outcomes.iter().any(|o| o.outcome == "stored") {
                service.evaluate.notify_one();
            }
            None
        }
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "bureau monitoring failed");
            Some(format!("{e:#}"))
        }
    };
    let holder = service.instance.clone();
    let now = Utc::now();
    let next_due = now + seconds(every.as_secs());
    let _ = service
        .pool
        .run(move |s| {
            Ok(s.finish_job(
                MONITOR_JOB,
                &holder,
                &JobEnd {
                    at: now,
                    next_due,
                    failures: u32::from(error.is_some()),
                    error: error.as_deref(),
                },
            )?)
        })
        .await;
}
