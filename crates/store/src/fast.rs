//! SQLite's read path for hot queries (lists, searches, session checks).
//!
//! sqlx's SQLite driver hands every row from its worker thread to the async
//! task over a channel; for a page of 100 rows that costs ~15× the query
//! itself (measured: 1.3 ms against 0.08 ms, `bench driver`). Here the whole
//! query runs on a blocking thread over a plain rusqlite connection and
//! returns all rows at once. Same SQL text, same `$n` placeholders (bound by
//! name), read-only.

use crate::model::RowGet;
use crate::queries::P;
use crate::{Result, StoreError};
use std::sync::{Arc, Mutex};

/// Chooses the main query from the ids a probe found (see
/// [`Readers::query_after_probe_here`]).
pub type ThenQuery = Box<dyn FnOnce(&[i64]) -> (String, Vec<P>) + Send>;

pub struct Readers {
    path: String,
    idle: Mutex<Vec<rusqlite::Connection>>,
    slots: tokio::sync::Semaphore,
}

impl Readers {
    pub fn new(path: String, size: usize) -> Arc<Readers> {
        Arc::new(Readers {
            path,
            idle: Mutex::new(Vec::new()),
            slots: tokio::sync::Semaphore::new(size),
        })
    }

    fn open(&self) -> rusqlite::Result<rusqlite::Connection> {
        let c = rusqlite::Connection::open(&self.path)?;
        c.busy_timeout(std::time::Duration::from_secs(10))?;
        // Never writes: every write goes through the writer thread.
        c.pragma_update(None, "query_only", true)?;
        c.set_prepared_statement_cache_capacity(64);
        c.pragma_update(None, "cache_size", -crate::READ_PAGE_CACHE_KIB)?;
        crate::sql::unicode_lower(&c)?;
        Ok(c)
    }

    /// Runs `sql` with `params` and maps every row, here on the calling
    /// thread: for the short, bounded reads every request makes (the
    /// session check, a page of a list, a card). A hand-off to a blocking
    /// thread and back costs two context switches and, with more runnable
    /// threads than cores, a wait for the scheduler: under 16 clients the
    /// hand-offs were a tenth of the server's CPU and most of the list's
    /// latency tail. A page costs well under a millisecond of a worker's
    /// time, like any other CPU work a handler does; reports and anything
    /// that may read a large part of the database keep [`Readers::query`].
    pub fn query_here<T>(
        &self,
        sql: &str,
        params: &[P],
        map: fn(&dyn RowGet) -> T,
    ) -> Result<Vec<T>> {
        self.with_here(|conn| run(conn, sql, params, map))
    }

    /// Runs a probe selecting ids (`AS id`), lets `then` choose the main
    /// query from them, and runs that, on the calling thread (see
    /// [`Readers::query_here`]).
    pub fn query_after_probe_here<T>(
        &self,
        probe: (String, Vec<P>),
        then: ThenQuery,
        map: fn(&dyn RowGet) -> T,
    ) -> Result<Vec<T>> {
        self.with_here(move |conn| {
            // The probe and the page from one snapshot (ended when the
            // connection goes back): a row the probe found is still there
            // for the page.
            begin(conn)?;
            let ids = run(conn, &probe.0, &probe.1, |r| r.int("id"))?;
            let (sql, params) = then(&ids);
            run(conn, &sql, &params, map)
        })
    }

    /// An idle connection (or a new one) for `f`, returned to the pool
    /// after. No slot is taken: callers on the async workers are at most as
    /// many as the workers.
    fn with_here<R>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<R>,
    ) -> Result<R> {
        let conn = self.take()?;
        let out = f(&conn);
        self.give(conn);
        out.map_err(StoreError::from)
    }

    /// An idle connection, or a new one when none is idle.
    fn take(&self) -> Result<rusqlite::Connection> {
        let idle = self
            .idle
            .lock()
            .map_err(|e| StoreError::Fast(e.to_string()))?
            .pop();
        match idle {
            Some(c) => Ok(c),
            None => Ok(self.open()?),
        }
    }

    /// Back to the pool, its read transaction (if a body left one open)
    /// ended.
    fn give(&self, conn: rusqlite::Connection) {
        end(&conn);
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
    }

    /// Runs `sql` with `params` and maps every row.
    pub async fn query<T: Send + 'static>(
        self: &Arc<Self>,
        sql: String,
        params: Vec<P>,
        map: fn(&dyn RowGet) -> T,
    ) -> Result<Vec<T>> {
        self.with_conn(move |conn| run(conn, &sql, &params, map))
            .await
    }

    /// Lends a connection out of the pool by value for `f` (which hands it
    /// back with its answer), here on the calling thread (see
    /// [`Readers::query_here`] and [`crate::Store::read_here`]).
    pub(crate) fn lend_here<R>(
        &self,
        f: impl FnOnce(rusqlite::Connection) -> (rusqlite::Connection, R),
    ) -> Result<R> {
        let conn = self.take()?;
        begin(&conn)?;
        let (conn, out) = f(conn);
        self.give(conn);
        Ok(out)
    }

    /// Lends a connection out of the pool by value for `f` (which hands it
    /// back with its answer), on a blocking thread: one hop for a read use
    /// case of several statements (see [`crate::Store::read`]).
    pub(crate) async fn with_owned<R: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(rusqlite::Connection) -> (rusqlite::Connection, R) + Send + 'static,
    ) -> Result<R> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| StoreError::Fast(e.to_string()))?;
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = me.take()?;
            begin(&conn)?;
            let (conn, out) = f(conn);
            me.give(conn);
            Ok(out)
        })
        .await
        .map_err(|e| StoreError::Fast(e.to_string()))?
    }

    /// [`Readers::with_here`] on a blocking thread, holding a slot.
    async fn with_conn<R: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<R> + Send + 'static,
    ) -> Result<R> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| StoreError::Fast(e.to_string()))?;
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.with_here(f))
            .await
            .map_err(|e| StoreError::Fast(e.to_string()))?
    }
}

/// Opens a read transaction: every statement until [`end`] sees the
/// database as of the first one. Without it each statement of a body was
/// its own transaction, and a commit between two of them (an order's lines
/// read, then what was shipped of them) mixed two states of the database.
/// The snapshot is taken by the first statement (`BEGIN` is deferred), so
/// a body that reads nothing costs nothing more.
fn begin(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.prepare_cached("BEGIN")?.raw_execute().map(|_| ())
}

/// Ends the read transaction [`begin`] opened, if one is open (a read-only
/// transaction has nothing to keep or undo: a failed `COMMIT` rolls back).
fn end(conn: &rusqlite::Connection) {
    if !conn.is_autocommit()
        && conn
            .prepare_cached("COMMIT")
            .and_then(|mut st| st.raw_execute())
            .is_err()
    {
        let _ = conn.execute_batch("ROLLBACK");
    }
}

/// A row with its statement's column names, so a column is found by a
/// comparison in Rust instead of a `sqlite3_column_name` call per field.
struct FastRow<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    names: &'a [String],
    /// The column after the one read last: `from_row` reads in the order
    /// of the select list, so one comparison usually finds the next (a
    /// page of 100 counterparties is 2 300 look-ups; searched from the
    /// start each, they were 4 % of the search list's time).
    next: std::cell::Cell<usize>,
}

impl FastRow<'_, '_> {
    fn get<T: rusqlite::types::FromSql>(&self, c: &str) -> T {
        let hint = self.next.get();
        let i = if self.names.get(hint).is_some_and(|n| n == c) {
            hint
        } else {
            self.names
                .iter()
                .position(|n| n == c)
                .unwrap_or_else(|| panic!("no column {c}"))
        };
        self.next.set(i + 1);
        self.row
            .get(i)
            .unwrap_or_else(|e| panic!("column {c}: {e}"))
    }
}

impl RowGet for FastRow<'_, '_> {
    fn int(&self, c: &str) -> i64 {
        self.get(c)
    }
    fn opt_int(&self, c: &str) -> Option<i64> {
        self.get(c)
    }
    fn text(&self, c: &str) -> String {
        self.get(c)
    }
    fn opt_text(&self, c: &str) -> Option<String> {
        self.get(c)
    }
}

fn run<T>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[P],
    map: fn(&dyn RowGet) -> T,
) -> rusqlite::Result<Vec<T>> {
    let mut st = crate::sql::prepare_dollar(conn, sql, params)?;
    let names: Vec<String> = st.column_names().into_iter().map(str::to_string).collect();
    let mut rows = st.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(map(&FastRow {
            row: r,
            names: &names,
            next: std::cell::Cell::new(0),
        }));
    }
    Ok(out)
}
