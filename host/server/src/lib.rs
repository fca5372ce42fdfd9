//! `credence serve`: the sync-and-evaluate loop as a service, with its HTTP API.
//!
//! One process runs four loops and the API:
//! - [`schedule::syncs`]: every ledger connection synced on its interval (with jitter), at most
//!   `concurrency` at once, backing off after failures; each sync is leased in the store's
//!   schedule, so several instances on one PostgreSQL share the connections and a dead
//!   instance's connection is taken over once its lease runs out;
//! - [`periodic::evaluations`]: credit evaluation and the dunning plan after every sync that
//!   changed something and at least every `evaluate_every_s`; the latest evaluation answers the
//!   API's customer endpoints;
//! - [`periodic::deliveries`]: the outbox, each action claimed by exactly one instance;
//! - [`periodic::monitoring`]: bureau reports on the policy's cadence (leased: one instance).
//!
//! SIGTERM or Ctrl-C: the API stops taking requests, syncs stop before their next page (the
//! page being read is committed), the delivery in flight finishes, and the process exits 0.

mod api;
mod auth;
mod metrics;
mod openapi;
mod periodic;
mod pool;
mod schedule;

use anyhow::{Context, anyhow};
use credence_app::home::Home;
use credence_app::home::config::ServerConfig;
use credence_rules::credit::Evaluation;
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tracing::Instrument;

pub use openapi::document as openapi_document;

/// What the command line may set over `[server]` of credence.toml.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// Address of the API (default `[server] listen`); port 0 picks a free one.
    pub listen: Option<String>,
    /// This instance's name in leases, claims and logs (default `[server] instance`, else
    /// host name and process id).
    pub instance: Option<String>,
}

/// What the loops and the API share.
pub(crate) struct Service {
    home: Home,
    config: ServerConfig,
    instance: String,
    pool: Arc<pool::Pool>,
    metrics: metrics::Metrics,
    tokens: auth::Tokens,
    latest: RwLock<Option<Arc<Latest>>>,
    /// Ask for an evaluation (a sync changed something).
    evaluate: Notify,
    /// Ask for a delivery round (actions were queued).
    deliver: Notify,
    /// Look at the schedule now (an operator asked for a sync, or a slot came free).
    wake: Notify,
    /// Look bureau reports up now (syncs brought customers since the last look).
    monitor: Notify,
    /// A sync changed the store since the last evaluation asked for monitoring.
    synced: std::sync::atomic::AtomicBool,
    stop: watch::Receiver<bool>,
}

/// The latest evaluation, indexed by account and member record.
pub(crate) struct Latest {
    evaluation: Evaluation,
    at: chrono::DateTime<chrono::Utc>,
    by_key: HashMap<String, usize>,
}

impl Latest {
    fn new(evaluation: Evaluation) -> Latest {
        let mut by_key = HashMap::new();
        for (i, d) in evaluation.customers.iter().enumerate() {
            by_key.insert(d.account.clone(), i);
            for m in &d.members {
                by_key.entry(m.clone()).or_insert(i);
            }
        }
        Latest {
            evaluation,
            at: chrono::Utc::now(),
            by_key,
        }
    }
}

impl Service {
    fn latest(&self) -> Option<Arc<Latest>> {
        self.latest.read().ok().and_then(|l| l.clone())
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }
}

fn default_instance() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!("{host}:{}", std::process::id())
}

pub async fn run(home: &Home, args: ServeOptions) -> anyhow::Result<ExitCode> {
    let config = home.config()?;
    let server = config.server.clone();
    let listen = args.listen.unwrap_or_else(|| server.listen.clone());
    let instance = args
        .instance
        .or_else(|| server.instance.clone())
        .unwrap_or_else(default_instance);
    let tokens = auth::Tokens::from_config(&server.tokens, &|v| std::env::var(v).ok())
        .map_err(|e| anyhow!(e))?;
    if server.tokens.is_empty() {
        tracing::warn!(
            "no [[server.tokens]] in credence.toml: only /health and /ready will answer"
        );
    }
    // Refuse to start on what would fail later: the store, the policy, delivery settings.
    let location = home.store_location()?;
    drop(location.open()?);
    home.policy()?;
    let channels = credence_app::dunning::deliver::Channels::new(
        &config.delivery,
        home.root().join("letters"),
    )?;
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (`[server] listen` or --listen)"))?;
    let address = listener.local_addr()?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let service = Arc::new(Service {
        home: home.clone(),
        config: server,
        instance: instance.clone(),
        pool: pool::Pool::new(location),
        metrics: metrics::Metrics::default(),
        tokens,
        latest: RwLock::new(None),
        evaluate: Notify::new(),
        deliver: Notify::new(),
        wake: Notify::new(),
        monitor: Notify::new(),
        synced: std::sync::atomic::AtomicBool::new(false),
        stop: stop_rx.clone(),
    });
    let span = tracing::info_span!("serve", instance = %instance);
    let mut loops = tokio::task::JoinSet::new();
    loops.spawn(schedule::syncs(service.clone()).instrument(span.clone()));
    loops.spawn(periodic::evaluations(service.clone()).instrument(span.clone()));
    loops.spawn(periodic::deliveries(service.clone(), channels).instrument(span.clone()));
    loops.spawn(periodic::monitoring(service.clone()).instrument(span));
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing the work in hand");
        let _ = stop_tx.send(true);
    });
    announce(format_args!(
        "credence serve: instance {instance}, API on http://{address}"
    ));
    let mut stopped = stop_rx.clone();
    let drain = Duration::from_secs(service.config.drain_s);
    let api =
        axum::serve(listener, api::router(service.clone())).with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|s| *s).await;
        });
    let mut api = std::pin::pin!(api.into_future());
    // The API runs until the stop signal; from then on, everything has `drain_s` to finish.
    let mut draining = stop_rx.clone();
    // On the stop signal both branches can be ready at once (the graceful shutdown ends the
    // API): a finished future must not be awaited again, so keep what it returned.
    let mut served = None;
    tokio::select! {
        result = &mut api => served = Some(result),
        _ = draining.wait_for(|s| *s) => {}
    }
    let drained = tokio::time::timeout(drain, async {
        let served = match served {
            Some(result) => result,
            None => api.await,
        };
        while let Some(done) = loops.join_next().await {
            if let Err(e) = done {
                tracing::error!(error = %e, "a loop panicked");
            }
        }
        served
    })
    .await;
    match drained {
        Ok(served) => served.context("the API server failed")?,
        Err(_) => {
            // A plugin call or a delivery is still running: every call has its own wall-clock
            // limit, but the operator's drain time comes first. What was committed stays.
            tracing::warn!(
                drain_s = drain.as_secs(),
                "work in hand did not finish within [server] drain_s; exiting anyway (committed pages and deliveries stay, the rest resumes on the next start)"
            );
            announce(format_args!(
                "credence serve: instance {instance} stopped after drain_s"
            ));
            std::process::exit(0);
        }
    }
    announce(format_args!("credence serve: instance {instance} stopped"));
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
}

/// One line on stdout about the service's life (start, stop). A closed stdout does not stop a
/// running service: the line is dropped.
fn announce(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}
