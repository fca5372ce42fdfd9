//! A blocking face on `tokio-postgres` that is safe to call from anywhere, async code included.
//!
//! The store trait is synchronous (SQLite is), and the CLI and server call it from tokio tasks.
//! The `postgres` crate's blocking client runs its own runtime and panics when called inside
//! another one, so instead each connection is driven by a small thread of its own, and calls
//! wait on their future with a plain thread-parking executor: the query futures only talk to
//! that thread through channels, so they need no runtime where they are polled.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Error, NoTls, Row, Statement, ToStatement};

/// Wait for `future` on this thread (parking between polls).
pub fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Arc::new(Unpark(std::thread::current())).into();
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(v) => return v,
            Poll::Pending => std::thread::park(),
        }
    }
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// One PostgreSQL connection.
pub struct Pg {
    client: Client,
}

impl Pg {
    /// Connect to `url`; the connection lives on its own thread until this is dropped.
    pub fn connect(url: &str) -> Result<Pg, String> {
        let config: tokio_postgres::Config = url.parse().map_err(|e: Error| e.to_string())?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("credence-pg".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match config.connect(NoTls).await {
                        Ok((client, connection)) => {
                            let _ = tx.send(Ok(client));
                            if let Err(e) = connection.await {
                                tracing::warn!(error = %e, "the PostgreSQL connection ended");
                            }
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e.to_string()));
                        }
                    }
                });
            })
            .map_err(|e| format!("cannot start the connection thread: {e}"))?;
        let client = rx
            .recv()
            .map_err(|_| "the connection thread stopped".to_string())??;
        Ok(Pg { client })
    }

    pub fn batch_execute(&self, sql: &str) -> Result<(), Error> {
        block_on(self.client.batch_execute(sql))
    }

    pub fn prepare(&self, sql: &str) -> Result<Statement, Error> {
        block_on(self.client.prepare(sql))
    }

    pub fn query<T: ?Sized + ToStatement>(
        &self,
        statement: &T,
        params: Params<'_>,
    ) -> Result<Vec<Row>, Error> {
        block_on(self.client.query(statement, params))
    }

    pub fn query_one<T: ?Sized + ToStatement>(
        &self,
        statement: &T,
        params: Params<'_>,
    ) -> Result<Row, Error> {
        block_on(self.client.query_one(statement, params))
    }

    pub fn query_opt<T: ?Sized + ToStatement>(
        &self,
        statement: &T,
        params: Params<'_>,
    ) -> Result<Option<Row>, Error> {
        block_on(self.client.query_opt(statement, params))
    }

    pub fn execute<T: ?Sized + ToStatement>(
        &self,
        statement: &T,
        params: Params<'_>,
    ) -> Result<u64, Error> {
        block_on(self.client.execute(statement, params))
    }

    /// Rows one at a time, without holding the whole result in memory.
    pub fn for_each_row(
        &self,
        sql: &str,
        params: Params<'_>,
        mut visit: impl FnMut(&Row) -> Result<(), crate::StoreError>,
        context: &'static str,
    ) -> Result<(), crate::StoreError> {
        use futures_util::StreamExt;
        let err = super::query(context);
        let stream = block_on(self.client.query_raw(sql, params.iter().copied())).map_err(&err)?;
        let mut stream = std::pin::pin!(stream);
        while let Some(row) = block_on(stream.next()) {
            visit(&row.map_err(&err)?)?;
        }
        Ok(())
    }

    /// Start a transaction; it rolls back unless committed.
    pub fn transaction(&self) -> Result<Tx<'_>, Error> {
        self.batch_execute("BEGIN")?;
        Ok(Tx {
            pg: self,
            open: true,
        })
    }
}

/// An open transaction on a [`Pg`].
pub struct Tx<'a> {
    pg: &'a Pg,
    open: bool,
}

impl Tx<'_> {
    pub fn commit(mut self) -> Result<(), Error> {
        self.open = false;
        self.pg.batch_execute("COMMIT")
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Pg;
    fn deref(&self) -> &Pg {
        self.pg
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.pg.batch_execute("ROLLBACK");
        }
    }
}
