//! SQLite's writer: one dedicated thread owns the one write connection
//! (rusqlite) and runs each use case's whole transaction body there.
//!
//! A request's write crosses threads once: its body (a closure returning a
//! future) is sent to this thread, runs to the end with every statement
//! executed synchronously, and its answer comes back over a oneshot channel.
//! sqlx's SQLite driver instead hands every statement to its worker thread
//! and back, which cost about 40 % of the CPU of a shipment post.
//!
//! **Group commit.** The thread takes every job waiting in its queue (up to
//! [`MAX_BATCH`]) and runs them in one transaction, each inside its own
//! savepoint: a job that fails rolls back only its savepoint. One `COMMIT`
//! (one fsync with `synchronous=FULL`) then makes the whole batch durable,
//! and only after it does any job's caller get its answer. Under load this
//! turns sixteen fsyncs into one; alone, a job is a batch of one and pays
//! exactly what it did before.

use crate::sql::{BoxFuture, Tx};
use crate::{Result, StoreError};
use std::cell::Cell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc;
use std::sync::Arc;

/// At most this many jobs share one commit.
pub const MAX_BATCH: usize = 64;

thread_local! {
    /// Set on the writer thread: a write started from inside a write would
    /// wait for itself for ever, so it is refused instead.
    static ON_WRITER: Cell<bool> = const { Cell::new(false) };
}

/// True on the writer thread.
pub fn on_writer() -> bool {
    ON_WRITER.with(|c| c.get())
}

/// A queued use case, type-erased.
pub(crate) trait Job: Send {
    /// Runs the body; true when it succeeded (its savepoint is kept).
    fn run<'a>(&'a mut self, tx: &'a mut Tx) -> Pin<Box<dyn Future<Output = bool> + 'a>>;
    /// Answers the caller once the batch's fate is known.
    fn finish(self: Box<Self>, commit: std::result::Result<(), String>);
    /// The body panicked: answer with an internal error.
    fn panicked(self: Box<Self>);
}

/// A body that may fail in a way the store can recognise as transient.
pub trait Retry {
    /// A serialization failure or deadlock: running the body again may work.
    fn retryable(&self) -> bool;
}

impl Retry for StoreError {
    fn retryable(&self) -> bool {
        self.is_retryable()
    }
}

pub(crate) struct JobImpl<T, E, F> {
    pub f: F,
    pub out: Option<std::result::Result<T, E>>,
    pub reply: Option<tokio::sync::oneshot::Sender<std::result::Result<T, E>>>,
}

impl<T, E, F> Job for JobImpl<T, E, F>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: for<'t> Fn(&'t mut Tx) -> BoxFuture<'t, std::result::Result<T, E>> + Send + Sync + 'static,
{
    fn run<'a>(&'a mut self, tx: &'a mut Tx) -> Pin<Box<dyn Future<Output = bool> + 'a>> {
        Box::pin(async move {
            let r = (self.f)(tx).await;
            let ok = r.is_ok();
            self.out = Some(r);
            ok
        })
    }

    fn finish(mut self: Box<Self>, commit: std::result::Result<(), String>) {
        let out = match (self.out.take(), commit) {
            (Some(Ok(v)), Ok(())) => Ok(v),
            (Some(Err(e)), _) => Err(e),
            (_, Err(e)) => Err(E::from(StoreError::Writer(e))),
            (None, Ok(())) => Err(E::from(StoreError::Writer("no result".into()))),
        };
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(out);
        }
    }

    fn panicked(mut self: Box<Self>) {
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(Err(E::from(StoreError::Writer(
                "the transaction body panicked".into(),
            ))));
        }
    }
}

/// The handle to the writer thread; dropping the last one ends the thread.
pub(crate) struct Writer {
    queue: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    /// Opens the write connection and starts the thread.
    pub fn start(path: &str, counter: Arc<AtomicU64>) -> Result<Writer> {
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // WAL for concurrent readers; synchronous=FULL makes every commit
        // durable; the statement cache keeps a use case's statements parsed.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // A savepoint's undo pages (the statement journal) kept in memory:
        // on file, SQLite created, wrote and deleted a temporary file for
        // every transaction that held one (strace of the posting benchmark:
        // 16–24 writes and a file create and unlink per posting).
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.set_prepared_statement_cache_capacity(256);
        let (queue, rx) = mpsc::channel::<Box<dyn Job>>();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Writer(e.to_string()))?;
        std::thread::Builder::new()
            .name("kupets-writer".into())
            .spawn(move || {
                ON_WRITER.with(|c| c.set(true));
                let mut tx = Tx::lite(conn, counter);
                while let Ok(first) = rx.recv() {
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(j) => batch.push(j),
                            Err(_) => break,
                        }
                    }
                    run_batch(&rt, &mut tx, batch);
                }
            })
            .map_err(|e| StoreError::Writer(e.to_string()))?;
        Ok(Writer { queue })
    }

    pub fn submit(&self, job: Box<dyn Job>) -> Result<()> {
        self.queue
            .send(job)
            .map_err(|_| StoreError::Writer("the writer thread has stopped".into()))
    }
}

fn exec(tx: &Tx, sql: &str) -> std::result::Result<(), String> {
    tx.lite_conn()
        .ok_or("not an SQLite connection")?
        .execute_batch(sql)
        .map_err(|e| e.to_string())
}

/// One transaction for the batch, one savepoint per job, one commit.
fn run_batch(rt: &tokio::runtime::Runtime, tx: &mut Tx, mut batch: Vec<Box<dyn Job>>) {
    if let Err(e) = exec(tx, "BEGIN IMMEDIATE") {
        for j in batch {
            j.finish(Err(e.clone()));
        }
        return;
    }
    if batch.len() == 1 {
        // Alone in its batch, a job needs no savepoint: the transaction is
        // its own, and a failure rolls it all back.
        if let Some(job) = batch.pop() {
            run_alone(rt, tx, job);
        }
        return;
    }
    let mut done: Vec<Box<dyn Job>> = Vec::with_capacity(batch.len());
    for mut job in batch {
        if let Err(e) = exec(tx, "SAVEPOINT job") {
            job.finish(Err(e));
            continue;
        }
        let ran = std::panic::catch_unwind(AssertUnwindSafe(|| rt.block_on(job.run(tx))));
        let kept = matches!(ran, Ok(true));
        let end = if kept {
            exec(tx, "RELEASE job")
        } else {
            exec(tx, "ROLLBACK TO job").and_then(|_| exec(tx, "RELEASE job"))
        };
        match (ran, end) {
            (Err(_), _) => job.panicked(),
            (_, Err(e)) => job.finish(Err(e)),
            _ => done.push(job),
        }
    }
    let commit = exec(tx, "COMMIT");
    if commit.is_err() {
        let _ = exec(tx, "ROLLBACK");
    }
    for j in done {
        j.finish(commit.clone());
    }
}

/// A batch of one: the job's body is the whole transaction.
fn run_alone(rt: &tokio::runtime::Runtime, tx: &mut Tx, mut job: Box<dyn Job>) {
    let ran = std::panic::catch_unwind(AssertUnwindSafe(|| rt.block_on(job.run(tx))));
    match ran {
        Ok(true) => {
            let commit = exec(tx, "COMMIT");
            if commit.is_err() {
                let _ = exec(tx, "ROLLBACK");
            }
            job.finish(commit);
        }
        Ok(false) => {
            let _ = exec(tx, "ROLLBACK");
            job.finish(Ok(()));
        }
        Err(_) => {
            let _ = exec(tx, "ROLLBACK");
            job.panicked();
        }
    }
}
