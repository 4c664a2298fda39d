//! Persistence for kupets: one `Store` over SQLite or PostgreSQL.
//!
//! Queries are written once in the SQL both engines accept (`$1` placeholders,
//! `RETURNING`, row values, `CAST(SUM(..) AS BIGINT)`), and run through sqlx's
//! `Any` driver. Where an engine needs its own text, the twin sits next to it
//! and branches on [`Engine`].

pub mod fast;
pub mod model;
pub mod page;
pub mod queries;
pub mod sql;
pub mod writer;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};
use std::str::FromStr;
use std::time::Duration;

pub use sql::{BoxFuture, Conn, Tx};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
pub use writer::{AwakeWhile, Retry};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://…")]
    BadUrl(String),
    #[error("migration {0}: {1}")]
    Migration(String, sqlx::Error),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("read pool: {0}")]
    Fast(String),
    #[error("decode: {0}")]
    Decode(String),
    #[error("no row")]
    RowNotFound,
    #[error("writer: {0}")]
    Writer(String),
}

impl StoreError {
    /// PostgreSQL's serialization failure (40001) or deadlock (40P01), or
    /// SQLite's busy: the transaction may simply be run again.
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Db(sqlx::Error::Database(db)) => {
                matches!(db.code().as_deref(), Some("40001") | Some("40P01"))
            }
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                )
            }
            _ => false,
        }
    }

    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Db(sqlx::Error::Database(db)) => db.is_unique_violation(),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
                e.extended_code == 2067 || e.extended_code == 1555
            }
            _ => false,
        }
    }

    pub fn is_foreign_key_violation(&self) -> bool {
        match self {
            StoreError::Db(sqlx::Error::Database(db)) => db.is_foreign_key_violation(),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => e.extended_code == 787,
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database behind the app. Cheap to clone.
///
/// On SQLite, writes go through a pool of exactly one connection: SQLite allows
/// one writer at a time anyway, and a single in-process writer never meets
/// `SQLITE_BUSY` on a lock upgrade. Reads use the other pool and see WAL
/// snapshots. On PostgreSQL both handles are the same pool and concurrency is
/// kept with transactions and row locks.
#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    engine: Engine,
    /// SQLite only: rusqlite readers for the hot read paths.
    fast: Option<std::sync::Arc<fast::Readers>>,
    /// SQLite only: the thread that runs every write transaction.
    writer: Option<Arc<writer::Writer>>,
    /// Statements run through [`sql`] on this store (see [`Store::statements`]).
    counter: Arc<AtomicU64>,
}

/// How many times a transaction failing with a serialization failure or a
/// deadlock is run again before the caller is told to retry.
pub const MAX_RETRIES: u32 = 8;

/// Turns `kupets.db`, `sqlite:kupets.db` or `postgres://…` into a URL sqlx takes.
pub fn normalize_url(url: &str) -> Result<(String, Engine)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((url.to_string(), Engine::Postgres));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if path.contains("://") {
        return Err(StoreError::BadUrl(url.to_string()));
    }
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let query = if query.is_empty() {
        "mode=rwc".to_string()
    } else {
        query.to_string()
    };
    Ok((format!("sqlite://{path}?{query}"), Engine::Sqlite))
}

/// The page cache of each SQLite reading connection, in KiB (SQLite's
/// default is 2 000). A page a query needs beyond its cache is read again
/// from the operating system's cache: a `pread` and a 4 KiB copy, each
/// time. The funnel then joined 100 000 orders to their statuses, a
/// working set of some 8 MiB; with the default it spent half its time in
/// those reads (`bench reminders`: 425–461 ms against 228–289 with this
/// cache). It now reads one index (migration 0024), still about 10 MiB of
/// pages on the bench's database (2 478 of `documents_funnel`). The
/// cache fills only as far as a connection's reads go; it still costs
/// memory: `bench foundation`'s peak RSS went from 111 to 117–120 MB.
/// The writing connections keep the default: their working set fits
/// (`bench posting` with 16 MiB on the writer showed no change).
pub const READ_PAGE_CACHE_KIB: i64 = 16 * 1024;

impl Store {
    /// Opens (creating the SQLite file if needed) and migrates.
    pub async fn open(url: &str) -> Result<Store> {
        Self::open_in_schema(url, None).await
    }

    /// Like [`Store::open`], with every PostgreSQL connection confined to one
    /// schema: tests get a fresh, isolated database this way in milliseconds.
    pub async fn open_in_schema(url: &str, schema: Option<String>) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (url, engine) = normalize_url(url)?;
        let opts = AnyConnectOptions::from_str(&url)?;
        let schema2 = schema.clone();
        let setup = move |engine: Engine, schema: Option<String>, reading: bool| {
            AnyPoolOptions::new()
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(move |conn, _| {
                    let schema = schema.clone();
                    Box::pin(async move {
                        match engine {
                            Engine::Sqlite => {
                                // WAL for concurrent readers; synchronous=FULL makes every
                                // commit durable; busy_timeout covers backups and CLI tools.
                                conn.execute("PRAGMA journal_mode=WAL").await?;
                                conn.execute("PRAGMA synchronous=FULL").await?;
                                conn.execute("PRAGMA foreign_keys=ON").await?;
                                conn.execute("PRAGMA busy_timeout=10000").await?;
                                if reading {
                                    conn.execute(
                                        format!("PRAGMA cache_size=-{READ_PAGE_CACHE_KIB}")
                                            .as_str(),
                                    )
                                    .await?;
                                }
                            }
                            Engine::Postgres => {
                                if let Some(s) = schema {
                                    conn.execute(format!("SET search_path TO \"{s}\"").as_str())
                                        .await?;
                                }
                            }
                        }
                        Ok(())
                    })
                })
        };
        let (read, write) = match engine {
            Engine::Sqlite => {
                let write = setup(engine, None, false)
                    .max_connections(1)
                    .connect_with(opts.clone())
                    .await?;
                // Each SQLite connection is a worker thread; a few more than
                // the cores keep them busy without thrashing.
                let readers = std::thread::available_parallelism()
                    .map(|n| n.get() as u32 + 2)
                    .unwrap_or(4);
                let read = setup(engine, None, true)
                    .max_connections(readers)
                    .connect_with(opts)
                    .await?;
                (read, write)
            }
            Engine::Postgres => {
                let pool = setup(engine, schema2, true)
                    .max_connections(16)
                    .connect_with(opts)
                    .await?;
                (pool.clone(), pool)
            }
        };
        let fast = match engine {
            Engine::Sqlite => {
                let path = url.trim_start_matches("sqlite://");
                let path = path.split('?').next().unwrap_or(path).to_string();
                Some(fast::Readers::new(
                    path,
                    std::thread::available_parallelism()
                        .map(|n| n.get() + 2)
                        .unwrap_or(4),
                ))
            }
            Engine::Postgres => None,
        };
        let mut store = Store {
            read,
            write,
            engine,
            fast,
            writer: None,
            counter: Arc::new(AtomicU64::new(0)),
        };
        store.migrate().await?;
        store.drop_fts_histograms().await?;
        if engine == Engine::Sqlite {
            let path = url.trim_start_matches("sqlite://");
            let path = path.split('?').next().unwrap_or(path);
            store.writer = Some(Arc::new(writer::Writer::start(
                path,
                store.counter.clone(),
            )?));
        }
        Ok(store)
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Pool for reads that need no transaction.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// Runs a read-only query outside any transaction and maps every row:
    /// on SQLite through the rusqlite readers (`fast`), on PostgreSQL through
    /// the pool. One SQL text for both.
    pub async fn read_rows<T: Send + 'static>(
        &self,
        sql: String,
        params: Vec<queries::P>,
        map: fn(&dyn model::RowGet) -> T,
    ) -> Result<Vec<T>> {
        match &self.fast {
            Some(f) => f.query(sql, params, map).await,
            None => {
                let rows = queries::bind_all(sqlx::query(&sql), &params)
                    .fetch_all(&self.read)
                    .await?;
                Ok(rows.iter().map(|r| map(r)).collect())
            }
        }
    }

    /// [`Store::read_rows`] for a short, bounded read every request makes
    /// (the session, a page of a list, a card): on SQLite it runs on the
    /// calling thread instead of a blocking one (see
    /// [`fast::Readers::query_here`]). Not for reports.
    pub async fn read_rows_here<T: Send + 'static>(
        &self,
        sql: String,
        params: Vec<queries::P>,
        map: fn(&dyn model::RowGet) -> T,
    ) -> Result<Vec<T>> {
        match &self.fast {
            Some(f) => f.query_here(&sql, &params, map),
            None => self.read_rows(sql, params, map).await,
        }
    }

    /// Like [`Store::read_rows`], with the main query chosen from the ids a
    /// probe (`SELECT … AS id`) found first — on SQLite both run at once on
    /// the calling thread: it serves a page of a list (see
    /// [`Store::read_rows_here`]).
    pub async fn read_rows_after_probe<T: Send + 'static>(
        &self,
        probe: (String, Vec<queries::P>),
        then: fast::ThenQuery,
        map: fn(&dyn model::RowGet) -> T,
    ) -> Result<Vec<T>> {
        match &self.fast {
            Some(f) => f.query_after_probe_here(probe, then, map),
            None => {
                let ids = self.read_rows(probe.0, probe.1, |r| r.int("id")).await?;
                let (sql, params) = then(&ids);
                self.read_rows(sql, params, map).await
            }
        }
    }

    /// A raw sqlx transaction on the write pool, for bulk loaders (the
    /// benchmarks' seeding) that bypass the use cases. On SQLite it competes
    /// with the writer thread for the database lock; the app never uses it.
    pub async fn raw_begin(&self) -> Result<Tx> {
        Ok(Tx::any_tx(self.write.begin().await?, self.counter.clone()))
    }

    /// A connection for reads outside any transaction.
    pub async fn read_conn(&self) -> Result<Tx> {
        Ok(Tx::any_pool(
            self.read.acquire().await?,
            self.counter.clone(),
        ))
    }

    /// SQLite: whether a write transaction may run on the caller's thread
    /// when the writer is idle, or always goes to the writer thread (the
    /// default). In place saves two thread wake-ups per write and suits one
    /// caller writing one document after another: the command line's
    /// import and demo load turn it on. The server leaves it off: there a
    /// write in place holds a runtime worker through its fsync and takes
    /// the commit other requests would have shared — with 16 clients the
    /// cycle fell from 1 324–1 433 to 972–1 365 cycles/s, and one client
    /// gained nothing (its threads are kept awake by busy-polling). A body
    /// run in place must complete without the runtime's help (every write
    /// body does: its statements are synchronous).
    pub fn write_in_place(&self, on: bool) {
        if let Some(w) = &self.writer {
            w.set_in_place(on);
        }
    }

    /// While `awake`'s test holds, and for at most its time after a batch,
    /// SQLite's writer thread looks for its next job without sleeping (see
    /// the writer's module). The server passes its busy-poll window here:
    /// while it keeps the cores awake for the next step of a request, with
    /// a core to spare. The time bounds it when requests that do not write
    /// keep that window open. `None` (the default): the writer sleeps as
    /// soon as its queue is empty. No effect on PostgreSQL.
    pub fn writer_awake(&self, awake: Option<(writer::AwakeWhile, std::time::Duration)>) {
        if let Some(w) = &self.writer {
            w.set_awake(awake);
        }
    }

    /// Statements run through [`sql`] on this store so far; the difference
    /// across a use case is what it cost.
    pub fn statements(&self) -> u64 {
        self.counter.load(Ordering::Relaxed)
    }

    /// Runs one use case's transaction: `body` gets the transaction and
    /// returns a future; what it wrote commits if it returns `Ok`, and none of
    /// it if it returns `Err`.
    ///
    /// - SQLite: the body runs on the writer thread ([`writer`]), with every
    ///   statement synchronous; it may share a commit with other bodies
    ///   waiting at the same time (group commit), and its caller is answered
    ///   only once that commit is durable. Where turned on
    ///   ([`Store::write_in_place`]) and nothing else is waiting, it runs on
    ///   the caller's thread instead.
    /// - PostgreSQL: the body runs here in an sqlx transaction. A
    ///   serialization failure or deadlock (the body's error or the commit's)
    ///   runs it again, up to [`MAX_RETRIES`] times with jittered, growing
    ///   back-off; then the error goes to the caller, who maps it to "try
    ///   again". That is why the body is `Fn`: it must be safe to run twice,
    ///   which it is because nothing of a failed run was committed.
    ///
    /// A body must not call `write` itself (it would wait for itself on
    /// SQLite); that is refused with an error.
    pub async fn write<T, E, F>(&self, body: F) -> std::result::Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Retry + Send + 'static,
        F: for<'t> Fn(&'t mut Tx) -> BoxFuture<'t, std::result::Result<T, E>>
            + Send
            + Sync
            + 'static,
    {
        if writer::on_writer() {
            return Err(E::from(StoreError::Writer(
                "a write transaction may not start another".into(),
            )));
        }
        if let Some(w) = &self.writer {
            let (reply, answer) = tokio::sync::oneshot::channel();
            let job = Box::new(writer::JobImpl {
                f: body,
                out: None,
                reply: Some(reply),
            });
            if let Some(job) = w.run_here(job) {
                w.submit(job)?;
            }
            return answer
                .await
                .map_err(|_| E::from(StoreError::Writer("the writer thread stopped".into())))?;
        }
        let mut attempt = 0u32;
        loop {
            let begun = self.write.begin().await.map_err(StoreError::from)?;
            let mut tx = Tx::any_tx(begun, self.counter.clone());
            let out = match body(&mut tx).await {
                Ok(v) => tx.commit_any().await.map(|_| v).map_err(E::from),
                Err(e) => Err(e),
            };
            match out {
                Err(e) if e.retryable() && attempt < MAX_RETRIES => {
                    attempt += 1;
                    tracing::info!(attempt, "transaction conflict: running it again");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }

    /// A read-only use case of several statements in one hop. On SQLite the
    /// body runs whole on a blocking thread with a rusqlite reader, every
    /// statement synchronous (as the writer runs write bodies), instead of
    /// one hand-off to sqlx's worker per statement; on PostgreSQL it runs on
    /// a pooled connection. Every statement of the body sees one snapshot
    /// (a read transaction: `fast` on SQLite, `read_snapshot` on
    /// PostgreSQL). The body must only read (the reader is `query_only`).
    pub async fn read<T, E, F>(&self, body: F) -> std::result::Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, std::result::Result<T, E>> + Send + 'static,
    {
        match &self.fast {
            Some(f) => {
                let counter = self.counter.clone();
                let out = f
                    .with_owned(move |conn| {
                        let mut tx = Tx::lite(conn, counter);
                        // The body's statements complete synchronously; the
                        // runtime handle only drives the boxed future.
                        let out = tokio::runtime::Handle::current().block_on(body(&mut tx));
                        match tx.into_lite() {
                            Ok(conn) => (conn, out),
                            Err(_) => unreachable!("a lent reader stays a rusqlite connection"),
                        }
                    })
                    .await
                    .map_err(E::from)?;
                out
            }
            None => {
                let mut tx = self.read_snapshot().await.map_err(E::from)?;
                let out = body(&mut tx).await;
                // A failed body's transaction is rolled back when dropped:
                // its own error, not the commit's, goes to the caller.
                if out.is_ok() {
                    tx.commit_any().await.map_err(E::from)?;
                }
                out
            }
        }
    }

    /// A short read-only use case of several statements (a document and its
    /// lines), run here on the calling thread: on SQLite a reader connection
    /// lent from the pool, every statement synchronous, for reads bounded
    /// like a card's (see [`fast::Readers::query_here`]); on PostgreSQL a
    /// pooled connection. One snapshot for the whole body, as
    /// [`Store::read`]. The body must only read.
    pub async fn read_here<T, E, F>(&self, body: F) -> std::result::Result<T, E>
    where
        E: From<StoreError>,
        F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, std::result::Result<T, E>>,
    {
        match &self.fast {
            Some(f) => {
                let counter = self.counter.clone();
                f.lend_here(move |conn| {
                    let mut tx = Tx::lite(conn, counter);
                    // The statements complete synchronously: the first poll
                    // ends the body.
                    let out = writer::poll_to_end(body(&mut tx));
                    match tx.into_lite() {
                        Ok(conn) => (conn, out),
                        Err(_) => unreachable!("a lent reader stays a rusqlite connection"),
                    }
                })
                .map_err(E::from)?
            }
            None => {
                let mut tx = self.read_snapshot().await.map_err(E::from)?;
                let out = body(&mut tx).await;
                // A failed body's transaction is rolled back when dropped:
                // its own error, not the commit's, goes to the caller.
                if out.is_ok() {
                    tx.commit_any().await.map_err(E::from)?;
                }
                out
            }
        }
    }

    /// A read-only transaction on PostgreSQL whose statements all see one
    /// snapshot (`REPEATABLE READ`): a read use case of several statements
    /// (an order's lines, then what was shipped of them) must not mix two
    /// states of the database. SQLite's readers do the same with a read
    /// transaction (see `fast`).
    async fn read_snapshot(&self) -> Result<Tx> {
        let mut tx = Tx::any_tx(self.read.begin().await?, self.counter.clone());
        sql::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut tx)
            .await?;
        Ok(tx)
    }

    /// The FTS5 index name where this engine has trigram search indexes.
    pub fn fts(&self, name: &'static str) -> Option<&'static str> {
        (self.engine == Engine::Sqlite).then_some(name)
    }

    /// `FOR UPDATE` where the engine has row locks; SQLite's single writer
    /// already serialises write transactions.
    pub fn for_update(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite => "",
            Engine::Postgres => " FOR UPDATE",
        }
    }

    /// Refreshes the planner's statistics (`ANALYZE`), keeping none for the
    /// FTS5 shadow tables (see [`Store::drop_fts_histograms`]).
    pub async fn analyze(&self) -> Result<()> {
        let mut conn = self.write.acquire().await?;
        conn.execute("ANALYZE").await?;
        drop(conn);
        self.drop_fts_histograms().await
    }

    /// Upkeep the server runs at start, once a day and after a large import
    /// (cheap enough for all three): on SQLite every trigram index merged
    /// into one segment (`'optimize'`). Rows written one by one leave an
    /// index in many small segments that every search walks: on 100 000
    /// counterparties loaded in batches a search cost twice as much before
    /// the merge (0.66 → 0.35 ms, measured with the bench's searches).
    ///
    /// No `ANALYZE` here: statistics gathered while a table is small (a new
    /// installation, the start of the day's work) mislead the planner once
    /// it has grown — tried, and 16 clients posting fell from 2 165 to 77
    /// documents a second within seconds of a start-up `ANALYZE`. Without
    /// statistics the planner follows the indexes, which the queries are
    /// written for. PostgreSQL keeps its statistics itself (autovacuum).
    pub async fn maintain(&self) -> Result<()> {
        if self.engine != Engine::Sqlite {
            return Ok(());
        }
        let mut conn = self.write.acquire().await?;
        let fts: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'",
        )
        .fetch_all(&mut *conn)
        .await?;
        for t in fts {
            conn.execute(format!("INSERT INTO \"{t}\"(\"{t}\") VALUES ('optimize')").as_str())
                .await?;
        }
        Ok(())
    }

    /// SQLite only. With STAT4 histograms for the FTS5 shadow tables, SQLite
    /// re-prepares FTS5's internal index look-up at every new binding — SQL
    /// parsing and planning on every search (measured: a search 3–4 ms with
    /// them, ~1.2 ms without). The histograms help no plan of ours, so they
    /// are removed whenever statistics are gathered and at every start.
    async fn drop_fts_histograms(&self) -> Result<()> {
        if self.engine != Engine::Sqlite {
            return Ok(());
        }
        let mut conn = self.write.acquire().await?;
        let has: Option<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat4'")
                .fetch_optional(&mut *conn)
                .await?;
        if has.is_some() {
            sqlx::query("DELETE FROM sqlite_stat4 WHERE tbl LIKE '%\\_fts\\_%' ESCAPE '\\'")
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    async fn migrate(&self) -> Result<()> {
        let mut conn = self.write.acquire().await?;
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            .await?;
        for m in MIGRATIONS {
            let name = &m.name;
            let sql = match self.engine {
                Engine::Sqlite => m.sqlite,
                Engine::Postgres => m.postgres,
            };
            let done: Option<String> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(*name)
                    .fetch_optional(&mut *conn)
                    .await?;
            if done.is_some() {
                continue;
            }
            let sql = self.dialect(sql);
            let mut tx = conn.begin().await?;
            for stmt in split_sql(&sql) {
                tx.execute(stmt.as_str())
                    .await
                    .map_err(|e| StoreError::Migration(name.to_string(), e))?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*name)
                .bind(now())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(migration = name, "applied");
        }
        Ok(())
    }

    fn dialect(&self, sql: &str) -> String {
        match self.engine {
            Engine::Sqlite => sql.replace("ID_PK", "INTEGER PRIMARY KEY"),
            Engine::Postgres => sql.replace(
                "ID_PK",
                "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            ),
        }
    }

    /// An online, consistent copy of an SQLite database into `dest`
    /// (`VACUUM INTO` reads one snapshot while writers go on).
    pub async fn backup_sqlite(&self, dest: &str) -> Result<()> {
        let mut conn = self.read.acquire().await?;
        sqlx::query("VACUUM INTO $1")
            .bind(dest)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

/// A migration: one text for both engines, or a twin per engine.
struct Migration {
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// Migrations in order; each name is recorded the same way on both engines.
const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "0001_foundation",
        sqlite: include_str!("../migrations/0001_foundation.sql"),
        postgres: include_str!("../migrations/0001_foundation.sql"),
    },
    Migration {
        name: "0002_search",
        sqlite: include_str!("../migrations/0002_search.sqlite.sql"),
        postgres: include_str!("../migrations/0002_search.postgres.sql"),
    },
    Migration {
        name: "0003_trade",
        sqlite: include_str!("../migrations/0003_trade.sql"),
        postgres: include_str!("../migrations/0003_trade.sql"),
    },
    Migration {
        name: "0004_ledger_index",
        sqlite: include_str!("../migrations/0004_ledger_index.sql"),
        postgres: include_str!("../migrations/0004_ledger_index.sql"),
    },
    Migration {
        name: "0005_pricing",
        sqlite: include_str!("../migrations/0005_pricing.sql"),
        postgres: include_str!("../migrations/0005_pricing.sql"),
    },
    Migration {
        name: "0006_statuses",
        sqlite: include_str!("../migrations/0006_statuses.sql"),
        postgres: include_str!("../migrations/0006_statuses.sql"),
    },
    Migration {
        name: "0007_serials",
        sqlite: include_str!("../migrations/0007_serials.sql"),
        postgres: include_str!("../migrations/0007_serials.sql"),
    },
    Migration {
        name: "0008_integrity",
        sqlite: include_str!("../migrations/0008_integrity.sql"),
        postgres: include_str!("../migrations/0008_integrity.sql"),
    },
    Migration {
        name: "0010_manager",
        sqlite: include_str!("../migrations/0010_manager.sql"),
        postgres: include_str!("../migrations/0010_manager.sql"),
    },
    Migration {
        name: "0011_seed_rules",
        sqlite: include_str!("../migrations/0011_seed_rules.sql"),
        postgres: include_str!("../migrations/0011_seed_rules.sql"),
    },
    Migration {
        name: "0012_paperwork",
        sqlite: include_str!("../migrations/0012_paperwork.sql"),
        postgres: include_str!("../migrations/0012_paperwork.sql"),
    },
    Migration {
        name: "0013_analysis",
        sqlite: include_str!("../migrations/0013_analysis.sql"),
        postgres: include_str!("../migrations/0013_analysis.sql"),
    },
    Migration {
        name: "0014_exchange",
        sqlite: include_str!("../migrations/0014_exchange.sql"),
        postgres: include_str!("../migrations/0014_exchange.sql"),
    },
    Migration {
        name: "0016_custody",
        sqlite: include_str!("../migrations/0016_custody.sql"),
        postgres: include_str!("../migrations/0016_custody.sql"),
    },
    Migration {
        name: "0018_sales_months",
        sqlite: include_str!("../migrations/0018_sales_months.sqlite.sql"),
        postgres: include_str!("../migrations/0018_sales_months.postgres.sql"),
    },
    Migration {
        name: "0020_status_in_force",
        sqlite: include_str!("../migrations/0020_status_in_force.sql"),
        postgres: include_str!("../migrations/0020_status_in_force.sql"),
    },
    Migration {
        name: "0021_sparse_indexes",
        sqlite: include_str!("../migrations/0021_sparse_indexes.sql"),
        postgres: include_str!("../migrations/0021_sparse_indexes.sql"),
    },
    Migration {
        name: "0022_settlement_balances",
        sqlite: include_str!("../migrations/0022_settlement_balances.sql"),
        postgres: include_str!("../migrations/0022_settlement_balances.sql"),
    },
    Migration {
        name: "0023_posting_pages",
        sqlite: include_str!("../migrations/0023_posting_pages.sql"),
        postgres: include_str!("../migrations/0023_posting_pages.sql"),
    },
    Migration {
        name: "0024_funnel_stage",
        sqlite: include_str!("../migrations/0024_funnel_stage.sql"),
        postgres: include_str!("../migrations/0024_funnel_stage.sql"),
    },
    Migration {
        name: "0025_stock_moves_document",
        sqlite: include_str!("../migrations/0025_stock_moves_document.sql"),
        postgres: include_str!("../migrations/0025_stock_moves_document.sql"),
    },
    Migration {
        name: "0026_sales_facts_by_date",
        sqlite: include_str!("../migrations/0026_sales_facts_by_date.sql"),
        postgres: include_str!("../migrations/0026_sales_facts_by_date.sql"),
    },
];

/// Splits a migration into statements: comment lines dropped first (they may
/// contain semicolons), then split on `;` — except inside a trigger's
/// `BEGIN … END`, whose body has semicolons of its own.
fn split_sql(sql: &str) -> Vec<String> {
    let code: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .map(|l| format!("{l}\n"))
        .collect();
    let words = |s: &str, w: &str| {
        s.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .filter(|t| t.eq_ignore_ascii_case(w))
            .count()
    };
    let mut out = Vec::new();
    let mut cur = String::new();
    for piece in code.split(';') {
        cur.push_str(piece);
        // Inside a trigger body: the `;` belongs to the statement.
        if words(&cur, "BEGIN") > words(&cur, "END") {
            cur.push(';');
            continue;
        }
        let stmt = cur.trim();
        if !stmt.is_empty() {
            out.push(stmt.to_string());
        }
        cur.clear();
    }
    out
}

/// 2, 4, 8 … ms (capped at 200), each ×0.5–1.5 at random so that two
/// transactions that collided do not collide again in step.
fn backoff(attempt: u32) -> Duration {
    let base = (1u64 << attempt.min(7)).min(200) as f64;
    let jitter = 0.5 + rand_unit();
    Duration::from_micros((base * jitter * 1000.0) as u64)
}

/// A number in [0, 1) from the clock's nanoseconds and a counter: jitter
/// needs no cryptographic randomness.
fn rand_unit() -> f64 {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0)
        ^ SEQ
            .fetch_add(0x9E37_79B9, Ordering::Relaxed)
            .wrapping_mul(0x2545_F491_4F6C_DD1D);
    (n % 1_000_000) as f64 / 1_000_000.0
}

/// Current time as stored: RFC 3339 in UTC with milliseconds.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Opens one plain connection (no pool, no migrations), e.g. to create a schema.
pub async fn raw_connect(url: &str) -> Result<AnyConnection> {
    sqlx::any::install_default_drivers();
    let (url, _) = normalize_url(url)?;
    Ok(AnyConnection::connect(&url).await?)
}

#[cfg(test)]
mod tests {
    /// A write run in place commits what an `Ok` body wrote and nothing of
    /// an `Err` body, and refuses a write started inside it — as on the
    /// writer thread.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_in_place_commits_or_rolls_back_whole() {
        let path = std::env::temp_dir().join(format!("kupets_in_place_{}.db", std::process::id()));
        let store = super::Store::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        store.write_in_place(true);
        let insert = |name: &'static str, fail: bool| {
            store.write(move |tx| {
                Box::pin(async move {
                    super::sql::query("INSERT INTO warehouses (name) VALUES ($1)")
                        .bind(name)
                        .execute(&mut *tx)
                        .await?;
                    if fail {
                        return Err(super::StoreError::Writer("refused".into()));
                    }
                    Ok::<_, super::StoreError>(())
                })
            })
        };
        insert("Склад 1", false).await.unwrap();
        assert!(insert("Склад 2", true).await.is_err());
        let inner = store.clone();
        let nested = store
            .write(move |_tx| {
                let inner = inner.clone();
                Box::pin(async move {
                    Ok::<_, super::StoreError>(
                        inner
                            .write(|_| Box::pin(async { Ok::<_, super::StoreError>(()) }))
                            .await
                            .is_err(),
                    )
                })
            })
            .await
            .unwrap();
        assert!(nested, "a write inside a write is refused");
        let names = store
            .read_rows(
                "SELECT name FROM warehouses ORDER BY id".into(),
                vec![],
                |r| r.text("name"),
            )
            .await
            .unwrap();
        assert_eq!(names, vec!["Склад 1".to_string()]);
        store.close().await;
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
    }

    /// Counterparties written in many transactions leave the trigram index
    /// in many segments; the upkeep merges them and search finds the same.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn upkeep_merges_the_search_index() {
        let path = std::env::temp_dir().join(format!("kupets_maintain_{}.db", std::process::id()));
        let url = format!("sqlite://{}", path.display());
        let store = super::Store::open(&url).await.unwrap();
        for i in 0..40 {
            let mut tx = store.raw_begin().await.unwrap();
            let name = format!("ООО «Ромашка {i}»");
            super::sql::query("INSERT INTO counterparties (name, kind, search, created_at) VALUES ($1, 'customer', $2, 'now')")
                .bind(name.as_str())
                .bind(name.to_lowercase())
                .execute(&mut tx)
                .await
                .unwrap();
            tx.commit_any().await.unwrap();
        }
        let count = |sql: &'static str| {
            let store = store.clone();
            async move {
                store
                    .read_rows(sql.into(), vec![], |r| r.int("n"))
                    .await
                    .unwrap()[0]
            }
        };
        let segments = "SELECT COUNT(*) AS n FROM counterparties_fts_data";
        let hits = "SELECT COUNT(*) AS n FROM counterparties_fts WHERE counterparties_fts MATCH '\"ромашка\"'";
        let before = count(segments).await;
        assert_eq!(count(hits).await, 40);
        store.maintain().await.unwrap();
        let after = count(segments).await;
        assert_eq!(count(hits).await, 40, "the same rows found after the merge");
        assert!(after < before, "index rows {before} → {after}");
        store.close().await;
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
    }

    #[test]
    fn splits_triggers_whole() {
        let s = super::split_sql("-- a; comment\nCREATE TABLE a (x INT);\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n  INSERT INTO b VALUES (1);\n  INSERT INTO b VALUES (2);\nEND;\nSELECT 1;");
        assert_eq!(s.len(), 3);
        assert!(s[1].starts_with("CREATE TRIGGER") && s[1].ends_with("END"));
    }
}
