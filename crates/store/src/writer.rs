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
//! turns sixteen fsyncs into one; alone, a job is a batch of one and needs
//! no savepoint.
//!
//! **Awake between jobs.** While the server keeps the processor cores
//! awake for the next step of a request (its busy-poll window, with a core
//! to spare: [`Writer::set_awake`]), the thread looks for its next job
//! without sleeping. Asleep on the queue, it would be woken by the next
//! request's job, and on a virtual machine that wake-up is a round trip
//! through the host: ~20 µs from the request's worker waking the writer to
//! the writer running (`perf sched`), three times in one client's
//! order-to-cash cycle. It does not yield while it looks: yielding let the
//! scheduler put the woken request threads behind it on its own core, and
//! the cycle took three times as long.
//!
//! **In place.** When no job is queued and the thread is between batches, a
//! caller may run its job on its own thread instead ([`Writer::run_here`]):
//! the connection sits behind a mutex the thread takes for each batch. Off
//! unless turned on (see `Store::write_in_place`).

use crate::sql::{BoxFuture, Tx};
use crate::{Result, StoreError};
use std::cell::Cell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

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
    /// The write connection: the thread holds it while it runs a batch, a
    /// caller while it runs a job in place ([`Writer::run_here`]).
    conn: Arc<Mutex<Tx>>,
    /// Jobs sent and not yet taken by the thread.
    queued: Arc<AtomicUsize>,
    /// Whether an idle writer runs a job on the caller's thread.
    in_place: AtomicBool,
    /// While this holds (and for at most that long after a batch), the
    /// thread looks for its next job without sleeping.
    awake: Arc<Mutex<Option<(AwakeWhile, std::time::Duration)>>>,
}

/// See [`Writer::set_awake`].
pub type AwakeWhile = Arc<dyn Fn() -> bool + Send + Sync>;

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
        crate::sql::unicode_lower(&conn)?;
        let (queue, rx) = mpsc::channel::<Box<dyn Job>>();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Writer(e.to_string()))?;
        let shared = Arc::new(Mutex::new(Tx::lite(conn, counter)));
        let queued = Arc::new(AtomicUsize::new(0));
        let awake: Arc<Mutex<Option<(AwakeWhile, std::time::Duration)>>> =
            Arc::new(Mutex::new(None));
        let (conn, taken, awake_while) = (shared.clone(), queued.clone(), awake.clone());
        std::thread::Builder::new()
            .name("kupets-writer".into())
            .spawn(move || {
                ON_WRITER.with(|c| c.set(true));
                loop {
                    let awake = awake_while.lock().map(|a| a.clone()).unwrap_or(None);
                    let awake = awake.as_ref().map(|(f, d)| (&**f, *d));
                    let Some(first) = next_job(&rx, awake) else {
                        break;
                    };
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(j) => batch.push(j),
                            Err(_) => break,
                        }
                    }
                    taken.fetch_sub(batch.len(), Ordering::SeqCst);
                    let mut tx = conn.lock().unwrap_or_else(|p| p.into_inner());
                    run_batch(&rt, &mut tx, batch);
                }
            })
            .map_err(|e| StoreError::Writer(e.to_string()))?;
        Ok(Writer {
            queue,
            conn: shared,
            queued,
            in_place: AtomicBool::new(false),
            awake,
        })
    }

    /// See [`crate::Store::writer_awake`].
    pub fn set_awake(&self, awake: Option<(AwakeWhile, std::time::Duration)>) {
        if let Ok(mut a) = self.awake.lock() {
            *a = awake;
        }
    }

    pub fn submit(&self, job: Box<dyn Job>) -> Result<()> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        self.queue.send(job).map_err(|_| {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            StoreError::Writer("the writer thread has stopped".into())
        })
    }

    /// See [`crate::Store::write_in_place`].
    pub fn set_in_place(&self, on: bool) {
        self.in_place.store(on, Ordering::SeqCst);
    }

    /// Runs `job` on the calling thread when that is allowed and nothing
    /// else wants the write connection (no job queued, the thread between
    /// batches); gives it back otherwise, to be sent to the thread.
    ///
    /// Handing a job to the thread and its answer back costs two wake-ups
    /// of sleeping threads; on a virtual machine whose idle cores halt that
    /// is a large part of a small write (one poster in process: 1 216–1 364
    /// → 1 386–1 518 shipments/s). A job run here is a batch of one,
    /// exactly as the thread would run it.
    pub fn run_here(&self, job: Box<dyn Job>) -> Option<Box<dyn Job>> {
        if !self.in_place.load(Ordering::Relaxed) || self.queued.load(Ordering::SeqCst) != 0 {
            return Some(job);
        }
        let mut tx = match self.conn.try_lock() {
            Ok(tx) => tx,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return Some(job),
        };
        ON_WRITER.with(|c| c.set(true));
        match exec(&tx, "BEGIN IMMEDIATE") {
            Ok(()) => run_alone(&mut |tx, job| poll_to_end(job.run(tx)), &mut tx, job),
            Err(e) => job.finish(Err(e)),
        }
        ON_WRITER.with(|c| c.set(false));
        None
    }
}

/// The next job, `None` once every sender is gone: looked for without
/// sleeping while `awake`'s test holds and for at most its time, then
/// waited for.
fn next_job<J>(
    rx: &mpsc::Receiver<J>,
    awake: Option<(&(dyn Fn() -> bool + Send + Sync), std::time::Duration)>,
) -> Option<J> {
    if let Some((awake, at_most)) = awake {
        let until = std::time::Instant::now() + at_most;
        while awake() && std::time::Instant::now() < until {
            match rx.try_recv() {
                Ok(job) => return Some(job),
                Err(mpsc::TryRecvError::Disconnected) => return None,
                Err(mpsc::TryRecvError::Empty) => {}
            }
            for _ in 0..64 {
                std::hint::spin_loop();
            }
        }
    }
    rx.recv().ok()
}

/// Drives a job's body to its end on this thread. A write body's statements
/// complete synchronously, so the first poll finishes it; should one ever
/// wait, this thread parks until it is woken.
pub(crate) fn poll_to_end<F: Future>(fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// Runs a transaction-control statement (`BEGIN`, `COMMIT`, a savepoint)
/// from the statement cache: `execute_batch` parsed it anew every time.
fn exec(tx: &Tx, sql: &str) -> std::result::Result<(), String> {
    tx.lite_conn()
        .ok_or("not an SQLite connection")?
        .prepare_cached(sql)
        .and_then(|mut st| st.raw_execute())
        .map(|_| ())
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
            run_alone(&mut |tx, job| rt.block_on(job.run(tx)), tx, job);
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

/// A batch of one: the job's body (run to its end by `drive`) is the whole
/// transaction, begun by the caller.
fn run_alone(
    drive: &mut dyn FnMut(&mut Tx, &mut Box<dyn Job>) -> bool,
    tx: &mut Tx,
    mut job: Box<dyn Job>,
) {
    let ran = std::panic::catch_unwind(AssertUnwindSafe(|| drive(tx, &mut job)));
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

#[cfg(test)]
mod tests {
    use super::next_job;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc};
    use std::time::Duration;

    #[test]
    fn the_next_job_is_found_awake_or_asleep() {
        let (tx, rx) = mpsc::channel::<i32>();
        // Awake: a job sent while the thread looks is taken without sleeping.
        let sender = tx.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            sender.send(1).expect("sent");
        });
        let long = Duration::from_secs(60);
        assert_eq!(next_job(&rx, Some((&|| true, long))), Some(1));
        t.join().expect("sender");
        // The window over (or never open): it waits on the queue.
        let open = Arc::new(AtomicBool::new(true));
        let (o, sender) = (open.clone(), tx.clone());
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            o.store(false, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(20));
            sender.send(2).expect("sent");
        });
        let window = open.clone();
        let test = move || window.load(Ordering::SeqCst);
        assert_eq!(next_job(&rx, Some((&test, long))), Some(2));
        // Awake for at most its time, then asleep: a job sent later is
        // still taken.
        let sender = tx.clone();
        let t2 = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            sender.send(4).expect("sent");
        });
        let short = Duration::from_millis(5);
        let started = std::time::Instant::now();
        assert_eq!(next_job(&rx, Some((&|| true, short))), Some(4));
        assert!(started.elapsed() >= Duration::from_millis(30));
        t2.join().expect("sender");
        t.join().expect("sender");
        tx.send(3).expect("sent");
        assert_eq!(next_job(&rx, None), Some(3));
        // Every sender gone: no job, awake or not.
        drop(tx);
        assert_eq!(next_job(&rx, Some((&|| true, long))), None);
        assert_eq!(next_job(&rx, None), None);
    }
}
