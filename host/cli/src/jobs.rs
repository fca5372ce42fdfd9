//! Running one job per connection: each on a blocking thread (plugin calls are synchronous),
//! at most [`MAX_CONCURRENT_JOBS`] at once (the instance pool is finite), every failure kept
//! with its connection so one broken connection never hides the others' results.

use credence_app::home::Home;
use credence_runtime::{JobContext, Plugin, Runtime};
use std::sync::Arc;

/// Connections served at the same time.
pub const MAX_CONCURRENT_JOBS: usize = 8;

/// What happened to one connection's job.
pub struct JobResult<T> {
    pub connection: String,
    pub plugin: String,
    /// The job's value, or why it could not run (setup error, or a panic in the host).
    pub outcome: Result<T, JobFailure>,
}

/// Why a job produced no value.
pub struct JobFailure {
    pub kind: &'static str,
    pub message: String,
}

/// The connections to act on: the named ones, or all of them.
pub fn names_or_all(home: &Home, names: &[String]) -> anyhow::Result<Vec<String>> {
    Ok(if names.is_empty() {
        home.config()?.connections.keys().cloned().collect()
    } else {
        names.to_vec()
    })
}

/// Run `job` for each connection in `names`, reading secrets through `env`.
pub async fn for_each_connection<T: Send + 'static>(
    home: &Home,
    runtime: &Runtime,
    names: &[String],
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    job: impl Fn(Plugin, JobContext, tokio::runtime::Handle) -> T + Send + Sync + 'static,
) -> anyhow::Result<Vec<JobResult<T>>> {
    let config = home.config()?;
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_JOBS));
    let job = Arc::new(job);
    let mut started = Vec::new();
    for name in names {
        let plugin = config
            .connections
            .get(name)
            .map(|c| c.plugin.clone())
            .unwrap_or_default();
        let task = match credence_app::connections::open_with_env(home, runtime, name, env) {
            Ok((loaded, context)) => {
                let (permits, job, handle) = (
                    permits.clone(),
                    job.clone(),
                    tokio::runtime::Handle::current(),
                );
                Ok(tokio::spawn(async move {
                    let _permit = permits.acquire_owned().await;
                    tokio::task::spawn_blocking(move || job(loaded, context, handle)).await
                }))
            }
            Err(e) => Err(JobFailure {
                kind: "setup",
                message: format!("{e:#}"),
            }),
        };
        started.push((name.clone(), plugin, task));
    }
    let mut results = Vec::new();
    for (connection, plugin, task) in started {
        let outcome = match task {
            Ok(handle) => match handle.await {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(e)) | Err(e) => Err(JobFailure {
                    kind: "host",
                    message: format!("the job panicked in the host: {e}"),
                }),
            },
            Err(failure) => Err(failure),
        };
        if let Err(f) = &outcome {
            tracing::error!(connection = %connection, plugin = %plugin, "{}", f.message);
        }
        results.push(JobResult {
            connection,
            plugin,
            outcome,
        });
    }
    Ok(results)
}

/// Print each failed connection's error under a table.
pub fn print_failures<'a>(failures: impl Iterator<Item = (&'a str, &'a str)>) {
    for (connection, error) in failures {
        outln!(
            "{}: FAILED: {}",
            super::output::safe(connection),
            super::output::safe(error)
        );
    }
}
