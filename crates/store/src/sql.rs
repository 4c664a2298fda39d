//! The store's query interface: one SQL text, two drivers.
//!
//! The app writes `sql::query("… $1 …").bind(x).fetch_one(conn)` against a
//! [`Conn`]. Behind it is either
//!
//! - a **rusqlite** connection (SQLite): the statement runs synchronously on
//!   the thread that holds the connection — the store's writer thread for a
//!   write transaction — so a use case of twenty statements costs no thread
//!   hand-off at all, only the one that brought the use case to the writer
//!   (see [`crate::writer`]); or
//! - an **sqlx** connection or transaction (PostgreSQL, and SQLite reads
//!   outside a transaction), awaited as before.
//!
//! Rows come back as [`Row`]: owned values with their column names, read
//! with `row.get::<T, _>("col")` or through [`RowGet`] like the fast read
//! path, so one `from_row` serves every driver. Every statement is counted
//! (see [`crate::Store::statements`]), which is how tests and benchmarks see
//! how many statements a create or a post costs.

use crate::model::RowGet;
use crate::queries::{bind_all, P};
use crate::{Result, StoreError};
use rusqlite::types::{Value as LiteValue, ValueRef};
use sqlx::any::AnyTypeInfoKind;
use sqlx::{Column, Row as _, ValueRef as _};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A boxed future that may cross threads; what a use case's transaction
/// body returns (see [`crate::Store::write`]).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A column value, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A row: its values and its statement's column names.
#[derive(Debug)]
pub struct Row {
    names: Arc<[String]>,
    vals: Vec<Value>,
    /// The column after the one last read by name: where the next name is
    /// looked for first. A model reads its columns in the order its query
    /// lists them, so the name is found there at once instead of by a scan
    /// of every name (a ten-line document's lines, 25 columns each: about
    /// 3 000 comparisons, a twentieth of loading them).
    next: std::sync::atomic::AtomicUsize,
}

impl Clone for Row {
    fn clone(&self) -> Self {
        Row::new(self.names.clone(), self.vals.clone())
    }
}

/// A column by position or by name.
pub trait ColIndex: std::fmt::Debug {
    /// Its position among `names`; a name is tried at `hint` first.
    fn position(&self, names: &[String], hint: usize) -> Option<usize>;
}
impl ColIndex for usize {
    fn position(&self, names: &[String], _hint: usize) -> Option<usize> {
        (*self < names.len()).then_some(*self)
    }
}
impl ColIndex for &str {
    fn position(&self, names: &[String], hint: usize) -> Option<usize> {
        if names.get(hint).is_some_and(|n| n == self) {
            return Some(hint);
        }
        names.iter().position(|n| n == self)
    }
}

/// A Rust type a column decodes into.
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Option<Self>;
}
impl FromValue for i64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}
impl FromValue for i32 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => i32::try_from(*i).ok(),
            _ => None,
        }
    }
}
impl FromValue for bool {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i != 0),
            _ => None,
        }
    }
}
impl FromValue for f64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Real(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
}
impl FromValue for String {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Blob(b) => Some(b.clone()),
            _ => None,
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
}

impl Row {
    fn new(names: Arc<[String]>, vals: Vec<Value>) -> Row {
        Row {
            names,
            vals,
            next: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The column decoded as `T`; a missing column or a wrong type is a bug
    /// in the query and panics, as sqlx's `Row::get` does.
    pub fn get<T: FromValue, I: ColIndex>(&self, i: I) -> T {
        self.try_get(i).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn try_get<T: FromValue, I: ColIndex>(&self, i: I) -> Result<T> {
        use std::sync::atomic::Ordering::Relaxed;
        let pos = i
            .position(&self.names, self.next.load(Relaxed))
            .ok_or_else(|| StoreError::Decode(format!("no column {i:?}")))?;
        self.next.store(pos + 1, Relaxed);
        T::from_value(&self.vals[pos]).ok_or_else(|| {
            StoreError::Decode(format!(
                "column {i:?}: cannot read {:?} as {}",
                self.vals[pos],
                std::any::type_name::<T>()
            ))
        })
    }

    pub fn len(&self) -> usize {
        self.vals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vals.is_empty()
    }
}

impl RowGet for Row {
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

/// A row decoded into a tuple, column by column.
pub trait FromRow: Sized {
    fn from_row(r: &Row) -> Result<Self>;
}

macro_rules! tuple_from_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: FromValue),+> FromRow for ($($t,)+) {
            fn from_row(r: &Row) -> Result<Self> {
                Ok(($(r.try_get::<$t, usize>($i)?,)+))
            }
        }
    };
}
tuple_from_row!(A 0);
tuple_from_row!(A 0, B 1);
tuple_from_row!(A 0, B 1, C 2);
tuple_from_row!(A 0, B 1, C 2, D 3);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);

/// What a statement without rows reports.
#[derive(Debug, Clone, Copy)]
pub struct Done {
    rows: u64,
}
impl Done {
    pub fn rows_affected(&self) -> u64 {
        self.rows
    }
}

enum Inner {
    /// SQLite through rusqlite, run synchronously on the holding thread.
    Lite(rusqlite::Connection),
    /// An sqlx transaction (PostgreSQL writes).
    AnyTx(sqlx::Transaction<'static, sqlx::Any>),
    /// A pooled sqlx connection outside any transaction (reads).
    AnyPool(sqlx::pool::PoolConnection<sqlx::Any>),
}

/// A connection the queries run on. Reached through [`Tx`] (`&mut **tx`,
/// `&mut *conn` and plain `tx` all give a `&mut Conn`).
pub struct Conn {
    inner: Inner,
    counter: Arc<AtomicU64>,
}

/// The handle a use case holds: a write transaction (on the writer thread
/// for SQLite, an sqlx transaction on PostgreSQL) or a read connection.
pub struct Tx(Conn);

impl std::ops::Deref for Tx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.0
    }
}
impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.0
    }
}

impl Tx {
    pub(crate) fn lite(c: rusqlite::Connection, counter: Arc<AtomicU64>) -> Tx {
        Tx(Conn {
            inner: Inner::Lite(c),
            counter,
        })
    }
    pub(crate) fn any_tx(t: sqlx::Transaction<'static, sqlx::Any>, counter: Arc<AtomicU64>) -> Tx {
        Tx(Conn {
            inner: Inner::AnyTx(t),
            counter,
        })
    }
    pub(crate) fn any_pool(
        c: sqlx::pool::PoolConnection<sqlx::Any>,
        counter: Arc<AtomicU64>,
    ) -> Tx {
        Tx(Conn {
            inner: Inner::AnyPool(c),
            counter,
        })
    }

    /// The rusqlite connection back, when a read lent it (see
    /// [`crate::Store::read`]).
    pub(crate) fn into_lite(self) -> std::result::Result<rusqlite::Connection, Tx> {
        match self.0.inner {
            Inner::Lite(c) => Ok(c),
            inner => Err(Tx(Conn {
                inner,
                counter: self.0.counter,
            })),
        }
    }

    /// The rusqlite connection, for the writer's own BEGIN/SAVEPOINT/COMMIT.
    pub(crate) fn lite_conn(&self) -> Option<&rusqlite::Connection> {
        match &self.0.inner {
            Inner::Lite(c) => Some(c),
            _ => None,
        }
    }

    /// Commits an sqlx transaction (from [`crate::Store::raw_begin`]); a
    /// no-op for the others (the writer thread commits SQLite batches itself).
    pub async fn commit(self) -> Result<()> {
        self.commit_any().await
    }

    pub(crate) async fn commit_any(self) -> Result<()> {
        match self.0.inner {
            Inner::AnyTx(t) => Ok(t.commit().await?),
            _ => Ok(()),
        }
    }
}

impl Conn {
    /// Runs one statement and returns its rows (all of them) and the number
    /// of rows it changed.
    async fn run(&mut self, sql: &str, params: &[P], rows: bool) -> Result<(Vec<Row>, u64)> {
        self.counter.fetch_add(1, Ordering::Relaxed);
        match &mut self.inner {
            Inner::Lite(c) => Ok(run_lite(c, sql, params)?),
            Inner::AnyTx(t) => run_any(t, sql, params, rows).await,
            Inner::AnyPool(c) => run_any(c, sql, params, rows).await,
        }
    }

    /// Runs a statement text of its own (DDL, PRAGMA, several statements)
    /// with no parameters.
    pub async fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.counter.fetch_add(1, Ordering::Relaxed);
        match &mut self.inner {
            Inner::Lite(c) => Ok(c.execute_batch(sql)?),
            Inner::AnyTx(t) => {
                sqlx::Executor::execute(&mut **t, sql).await?;
                Ok(())
            }
            Inner::AnyPool(c) => {
                sqlx::Executor::execute(&mut **c, sql).await?;
                Ok(())
            }
        }
    }
}

pub(crate) fn lite_value(p: &P) -> LiteValue {
    match p {
        P::I(v) => LiteValue::Integer(*v),
        P::OptI(v) => v.map(LiteValue::Integer).unwrap_or(LiteValue::Null),
        P::S(v) => LiteValue::Text(v.clone()),
        P::OptS(v) => v.clone().map(LiteValue::Text).unwrap_or(LiteValue::Null),
    }
}

/// Replaces SQLite's `lower()`, which folds only ASCII, with Rust's Unicode
/// lowercase on a connection, so that a list searched by `LOWER(name)` finds
/// «Иванова» for «иван» and «ИВАН» as PostgreSQL does. Every rusqlite
/// connection gets it (the readers that run the list searches, the writer).
pub(crate) fn unicode_lower(c: &rusqlite::Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    c.create_scalar_function(
        "lower",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Text(t) => LiteValue::Text(String::from_utf8_lossy(t).to_lowercase()),
                ValueRef::Null => LiteValue::Null,
                // lower() of a number is its text, as the built-in gives.
                ValueRef::Integer(i) => LiteValue::Text(i.to_string()),
                ValueRef::Real(r) => LiteValue::Text(r.to_string()),
                ValueRef::Blob(b) => LiteValue::Blob(b.to_vec()),
            })
        },
    )
}

/// Prepares (once per connection: the statement cache) SQL written with
/// PostgreSQL's `$n` parameters and binds `params` to them.
///
/// SQLite reads `$1` as a *named* parameter and numbers the names in order of
/// appearance, so binding meant asking each slot its name — a linear scan
/// of the statement's name list per slot, quadratic in the parameters (5 %
/// of the writer's time for a ten-line document of 170 values). Written as
/// `?n`, a parameter's slot is its number: the text is rewritten once per
/// call (a copy of the string) and binding is direct. A `$n` with no
/// value stays NULL.
pub(crate) fn prepare_dollar<'c>(
    c: &'c rusqlite::Connection,
    sql: &str,
    params: &[P],
) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
    let mut st = c.prepare_cached(&question_marks(sql))?;
    for idx in 1..=st.parameter_count() {
        if let Some(p) = params.get(idx - 1) {
            st.raw_bind_parameter(idx, lite_value(p))?;
        }
    }
    Ok(st)
}

/// `$n` → `?n` outside quoted strings and identifiers. Every statement
/// passes here, some of them kilobytes long (a ten-line document's insert),
/// so the text is searched with `memchr` for the three bytes that matter —
/// `$` and the two quotes — and the runs between are copied whole; a byte
/// by byte loop over the text was 3.5 % of a posting's processor time.
fn question_marks(sql: &str) -> std::borrow::Cow<'_, str> {
    let b = sql.as_bytes();
    if memchr::memchr(b'$', b).is_none() {
        return std::borrow::Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let (mut at, mut from) = (0usize, 0usize);
    while let Some(k) = memchr::memchr3(b'$', b'\'', b'"', &b[at..]) {
        let i = at + k;
        if b[i] == b'$' {
            if b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                // `from..i` ends before an ASCII byte: a character boundary.
                out.push_str(&sql[from..i]);
                out.push('?');
                from = i + 1;
            }
            at = i + 1;
        } else {
            // A quoted string or identifier: skip to its closing quote (a
            // doubled quote inside closes it and opens the next at once).
            match memchr::memchr(b[i], &b[i + 1..]) {
                Some(end) => at = i + 1 + end + 1,
                None => break,
            }
        }
    }
    out.push_str(&sql[from..]);
    std::borrow::Cow::Owned(out)
}

/// SQLite: prepared once per connection (the statement cache), `$n`
/// parameters bound by name, every row read at once.
fn run_lite(
    c: &rusqlite::Connection,
    sql: &str,
    params: &[P],
) -> rusqlite::Result<(Vec<Row>, u64)> {
    let mut st = prepare_dollar(c, sql, params)?;
    let n = st.column_count();
    // The column names, copied only when there is a row to carry them
    // (most writes return none).
    let mut names: Option<Arc<[String]>> = None;
    let mut out = Vec::new();
    {
        let mut rows = st.raw_query();
        while let Some(r) = rows.next()? {
            let names = names
                .get_or_insert_with(|| {
                    r.as_ref()
                        .column_names()
                        .into_iter()
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                        .into()
                })
                .clone();
            let mut vals = Vec::with_capacity(n);
            for i in 0..n {
                vals.push(match r.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Real(v) => Value::Real(v),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                });
            }
            out.push(Row::new(names, vals));
        }
    }
    Ok((out, c.changes()))
}

async fn run_any(
    c: &mut sqlx::AnyConnection,
    sql: &str,
    params: &[P],
    rows: bool,
) -> Result<(Vec<Row>, u64)> {
    let q = bind_all(sqlx::query(sql), params);
    if !rows {
        let done = q.execute(c).await?;
        return Ok((Vec::new(), done.rows_affected()));
    }
    let got = q.fetch_all(c).await?;
    let Some(first) = got.first() else {
        return Ok((Vec::new(), 0));
    };
    let names: Arc<[String]> = first
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect::<Vec<_>>()
        .into();
    let mut out = Vec::with_capacity(got.len());
    for r in &got {
        let mut vals = Vec::with_capacity(names.len());
        for i in 0..r.columns().len() {
            // The value's own type, not the column's: SQLite declares none
            // for expressions (`COUNT(*)`).
            let raw = r.try_get_raw(i)?;
            if raw.is_null() {
                vals.push(Value::Null);
                continue;
            }
            let kind = raw.type_info().kind();
            let v = match kind {
                AnyTypeInfoKind::Null => Value::Null,
                AnyTypeInfoKind::Bool => {
                    opt(r.try_get::<Option<bool>, _>(i)?, |b| Value::Int(b as i64))
                }
                AnyTypeInfoKind::SmallInt => {
                    opt(r.try_get::<Option<i16>, _>(i)?, |v| Value::Int(v as i64))
                }
                AnyTypeInfoKind::Integer => {
                    opt(r.try_get::<Option<i32>, _>(i)?, |v| Value::Int(v as i64))
                }
                AnyTypeInfoKind::BigInt => opt(r.try_get::<Option<i64>, _>(i)?, Value::Int),
                AnyTypeInfoKind::Real => {
                    opt(r.try_get::<Option<f32>, _>(i)?, |v| Value::Real(v as f64))
                }
                AnyTypeInfoKind::Double => opt(r.try_get::<Option<f64>, _>(i)?, Value::Real),
                AnyTypeInfoKind::Text => opt(r.try_get::<Option<String>, _>(i)?, Value::Text),
                AnyTypeInfoKind::Blob => opt(r.try_get::<Option<Vec<u8>>, _>(i)?, Value::Blob),
            };
            vals.push(v);
        }
        out.push(Row::new(names.clone(), vals));
    }
    let n = out.len() as u64;
    Ok((out, n))
}

fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> Value) -> Value {
    v.map(f).unwrap_or(Value::Null)
}

/// Where a statement runs: a connection or transaction of the store's, or
/// (for a one-off read) straight on the read pool.
pub enum Target<'c> {
    Conn(&'c mut Conn),
    Pool(&'c sqlx::AnyPool),
}
impl<'c> From<&'c mut Conn> for Target<'c> {
    fn from(c: &'c mut Conn) -> Self {
        Target::Conn(c)
    }
}
impl<'c> From<&'c mut Tx> for Target<'c> {
    fn from(c: &'c mut Tx) -> Self {
        Target::Conn(&mut c.0)
    }
}
impl<'c, 'd> From<&'c mut &'d mut Tx> for Target<'c> {
    fn from(c: &'c mut &'d mut Tx) -> Self {
        Target::Conn(&mut c.0)
    }
}
impl<'c> From<&'c sqlx::AnyPool> for Target<'c> {
    fn from(p: &'c sqlx::AnyPool) -> Self {
        Target::Pool(p)
    }
}

impl Target<'_> {
    async fn run(self, sql: &str, params: &[P], rows: bool) -> Result<(Vec<Row>, u64)> {
        match self {
            Target::Conn(c) => c.run(sql, params, rows).await,
            Target::Pool(p) => {
                let mut c = p.acquire().await?;
                run_any(&mut c, sql, params, rows).await
            }
        }
    }
}

/// A statement with its parameters.
#[derive(Debug, Clone)]
pub struct Query {
    sql: String,
    params: Vec<P>,
}

/// Starts a statement; `$1`, `$2`, … are bound in order by [`Query::bind`].
pub fn query(sql: &str) -> Query {
    Query {
        sql: sql.to_string(),
        params: Vec::new(),
    }
}

/// A statement whose rows decode into `O` (a tuple).
pub fn query_as<O: FromRow>(sql: &str) -> QueryAs<O> {
    QueryAs {
        q: query(sql),
        _o: PhantomData,
    }
}

/// A statement whose first column decodes into `O`.
pub fn query_scalar<O: FromValue>(sql: &str) -> QueryScalar<O> {
    QueryScalar {
        q: query(sql),
        _o: PhantomData,
    }
}

impl Query {
    pub fn bind(mut self, v: impl Into<P>) -> Self {
        self.params.push(v.into());
        self
    }
    /// Binds every parameter of a list in order.
    pub fn bind_all(mut self, ps: &[P]) -> Self {
        self.params.extend_from_slice(ps);
        self
    }
    pub async fn fetch_all<'c>(self, c: impl Into<Target<'c>>) -> Result<Vec<Row>> {
        Ok(c.into().run(&self.sql, &self.params, true).await?.0)
    }
    pub async fn fetch_optional<'c>(self, c: impl Into<Target<'c>>) -> Result<Option<Row>> {
        Ok(c.into()
            .run(&self.sql, &self.params, true)
            .await?
            .0
            .into_iter()
            .next())
    }
    pub async fn fetch_one<'c>(self, c: impl Into<Target<'c>>) -> Result<Row> {
        self.fetch_optional(c).await?.ok_or(StoreError::RowNotFound)
    }
    pub async fn execute<'c>(self, c: impl Into<Target<'c>>) -> Result<Done> {
        let (_, rows) = c.into().run(&self.sql, &self.params, false).await?;
        Ok(Done { rows })
    }
}

pub struct QueryAs<O> {
    q: Query,
    _o: PhantomData<fn() -> O>,
}

impl<O: FromRow> QueryAs<O> {
    pub fn bind(mut self, v: impl Into<P>) -> Self {
        self.q = self.q.bind(v);
        self
    }
    pub fn bind_all(mut self, ps: &[P]) -> Self {
        self.q = self.q.bind_all(ps);
        self
    }
    // The statement's text is kept (borrowed, not copied) to name it in a
    // decoding error.
    pub async fn fetch_all<'c>(self, c: impl Into<Target<'c>>) -> Result<Vec<O>> {
        let (rows, _) = c.into().run(&self.q.sql, &self.q.params, true).await?;
        rows.iter()
            .map(O::from_row)
            .collect::<Result<_>>()
            .map_err(|e| in_sql(e, &self.q.sql))
    }
    pub async fn fetch_optional<'c>(self, c: impl Into<Target<'c>>) -> Result<Option<O>> {
        let (rows, _) = c.into().run(&self.q.sql, &self.q.params, true).await?;
        rows.first()
            .map(O::from_row)
            .transpose()
            .map_err(|e| in_sql(e, &self.q.sql))
    }
    pub async fn fetch_one<'c>(self, c: impl Into<Target<'c>>) -> Result<O> {
        self.fetch_optional(c).await?.ok_or(StoreError::RowNotFound)
    }
}

/// Names the statement in a decoding error: which query read what wrongly.
fn in_sql(e: StoreError, sql: &str) -> StoreError {
    match e {
        StoreError::Decode(m) => StoreError::Decode(format!("{m} in `{sql}`")),
        e => e,
    }
}

pub struct QueryScalar<O> {
    q: Query,
    _o: PhantomData<fn() -> O>,
}

impl<O: FromValue> QueryScalar<O> {
    pub fn bind(mut self, v: impl Into<P>) -> Self {
        self.q = self.q.bind(v);
        self
    }
    pub async fn fetch_all<'c>(self, c: impl Into<Target<'c>>) -> Result<Vec<O>> {
        let (rows, _) = c.into().run(&self.q.sql, &self.q.params, true).await?;
        rows.iter()
            .map(|r| r.try_get(0usize))
            .collect::<Result<_>>()
            .map_err(|e| in_sql(e, &self.q.sql))
    }
    pub async fn fetch_optional<'c>(self, c: impl Into<Target<'c>>) -> Result<Option<O>> {
        let (rows, _) = c.into().run(&self.q.sql, &self.q.params, true).await?;
        rows.first()
            .map(|r| r.try_get(0usize))
            .transpose()
            .map_err(|e| in_sql(e, &self.q.sql))
    }
    pub async fn fetch_one<'c>(self, c: impl Into<Target<'c>>) -> Result<O> {
        self.fetch_optional(c).await?.ok_or(StoreError::RowNotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_parameters_bind_by_number_and_quotes_are_left_alone() {
        assert_eq!(
            question_marks("SELECT $2, '$1', \"a$1\", $10 || $1"),
            "SELECT ?2, '$1', \"a$1\", ?10 || ?1"
        );
        // A doubled quote inside a string, a `$` that is no parameter,
        // text that is not ASCII, a quote left open to the end.
        assert_eq!(
            question_marks("SELECT 'it''s $1', $ || $x, 'Ёж' || $1, '$2"),
            "SELECT 'it''s $1', $ || $x, 'Ёж' || ?1, '$2"
        );
        assert_eq!(question_marks("SELECT 1"), "SELECT 1");
        let c = rusqlite::Connection::open_in_memory().expect("open");
        // Out of order and repeated; `$3` has no value and stays NULL.
        let mut st = prepare_dollar(
            &c,
            "SELECT $2 || '-$1-' || $1 || $2, $3 IS NULL",
            &[P::from("a"), P::from("b")],
        )
        .expect("prepare");
        let got: (String, bool) = st
            .raw_query()
            .next()
            .expect("step")
            .map(|r| (r.get(0).expect("text"), r.get(1).expect("flag")))
            .expect("a row");
        assert_eq!(got, ("b-$1-ab".to_string(), true));
    }
}
