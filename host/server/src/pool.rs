//! A few open stores, reused by API requests and the loops: opening a PostgreSQL connection
//! per request would cost more than the request.

use credence_store::{Location, Store};
use std::sync::{Arc, Mutex};

/// Idle stores of one location.
pub struct Pool {
    location: Location,
    idle: Mutex<Vec<Box<dyn Store>>>,
}

/// How many idle stores are kept.
const KEEP: usize = 8;

impl Pool {
    pub fn new(location: Location) -> Arc<Pool> {
        Arc::new(Pool {
            location,
            idle: Mutex::new(Vec::new()),
        })
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Run `f` with a store on a blocking thread. A store whose call failed is dropped rather
    /// than reused (its connection may be broken).
    pub async fn run<R: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut dyn Store) -> anyhow::Result<R> + Send + 'static,
    ) -> anyhow::Result<R> {
        let pool = self.clone();
        // The blocking thread logs in the caller's span (instance, connection).
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _enter = span.enter();
            let taken = pool.idle.lock().ok().and_then(|mut idle| idle.pop());
            let mut store = match taken {
                Some(s) => s,
                None => pool.location.open()?,
            };
            let result = f(store.as_mut());
            if result.is_ok()
                && let Ok(mut idle) = pool.idle.lock()
                && idle.len() < KEEP
            {
                idle.push(store);
            }
            result
        })
        .await
        .map_err(|e| anyhow::anyhow!("a store task panicked: {e}"))?
    }
}
