//! Query helpers shared by every module: typed parameters, generic insert and
//! update, name-ordered searchable lists, document numbering, the audit log,
//! idempotency records and settings.

use crate::model::RowGet;
use crate::page::{finish, like_pattern, Page};
use crate::sql::{self, Conn};
use crate::{now, Result};

/// A value bound to a `$n` placeholder.
#[derive(Debug, Clone)]
pub enum P {
    I(i64),
    OptI(Option<i64>),
    S(String),
    OptS(Option<String>),
}

/// For audit details: the value as a person would write it.
impl std::fmt::Display for P {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            P::I(v) | P::OptI(Some(v)) => write!(f, "{v}"),
            P::S(v) | P::OptS(Some(v)) => f.write_str(v),
            P::OptI(None) | P::OptS(None) => Ok(()),
        }
    }
}

impl From<i64> for P {
    fn from(v: i64) -> P {
        P::I(v)
    }
}
impl From<Option<i64>> for P {
    fn from(v: Option<i64>) -> P {
        P::OptI(v)
    }
}
impl From<bool> for P {
    fn from(v: bool) -> P {
        P::I(v as i64)
    }
}
impl From<String> for P {
    fn from(v: String) -> P {
        P::S(v)
    }
}
impl From<&str> for P {
    fn from(v: &str) -> P {
        P::S(v.to_string())
    }
}
impl From<Option<String>> for P {
    fn from(v: Option<String>) -> P {
        P::OptS(v)
    }
}
impl From<&String> for P {
    fn from(v: &String) -> P {
        P::S(v.clone())
    }
}
impl From<Option<&str>> for P {
    fn from(v: Option<&str>) -> P {
        P::OptS(v.map(str::to_string))
    }
}
impl From<&Option<String>> for P {
    fn from(v: &Option<String>) -> P {
        P::OptS(v.clone())
    }
}
impl From<Option<&String>> for P {
    fn from(v: Option<&String>) -> P {
        P::OptS(v.cloned())
    }
}
impl From<i32> for P {
    fn from(v: i32) -> P {
        P::I(v as i64)
    }
}
impl From<&i64> for P {
    fn from(v: &i64) -> P {
        P::I(*v)
    }
}
impl From<&P> for P {
    fn from(v: &P) -> P {
        v.clone()
    }
}

type Q<'a> = sqlx::query::Query<'a, sqlx::Any, sqlx::any::AnyArguments<'a>>;

/// A statement that takes parameters in order: sqlx's, or the store's own
/// [`sql::Query`].
pub trait BindAll: Sized {
    fn bind_p(self, p: &P) -> Self;
}

impl<'a> BindAll for Q<'a> {
    fn bind_p(self, p: &P) -> Self {
        match p.clone() {
            P::I(v) => self.bind(v),
            P::OptI(v) => self.bind(v),
            P::S(v) => self.bind(v),
            P::OptS(v) => self.bind(v),
        }
    }
}

impl BindAll for sql::Query {
    fn bind_p(self, p: &P) -> Self {
        self.bind(p.clone())
    }
}

pub fn bind_all<B: BindAll>(mut q: B, params: &[P]) -> B {
    for p in params {
        q = q.bind_p(p);
    }
    q
}

// Statement texts with a parameter list are built on every call, on the
// SQLite writer's thread. Built with a `format!` per parameter and a join,
// they cost a tenth of that thread's time under 16 posting clients (the
// text of a ten-line document's lines alone has 170 parameters); written
// piece by piece into one string, a few hundredths of that.

/// `$from, $from+1, …`: placeholders for `n` values (an `IN` list, a row of
/// `VALUES`), numbered from `from`.
pub fn placeholders(from: usize, n: usize) -> String {
    let mut out = String::with_capacity(n * 6);
    push_placeholders(&mut out, from, n);
    out
}

/// Appends [`placeholders`]`(from, n)` to `out`.
fn push_placeholders(out: &mut String, from: usize, n: usize) {
    use std::fmt::Write;
    for i in from..from + n {
        if i > from {
            out.push_str(", ");
        }
        let _ = write!(out, "${i}");
    }
}

/// `($from, …), (…), …`: `rows` tuples of `cols` placeholders each,
/// numbered on from `from` (a multi-row `VALUES`).
pub fn value_rows(from: usize, rows: usize, cols: usize) -> String {
    joined(rows, |out, r| {
        out.push('(');
        push_placeholders(out, from + r * cols, cols);
        out.push(')');
    })
}

/// `rows` pieces, each written by `piece(out, k)` for k = 0, 1, …, joined
/// with ", " into one string.
pub fn joined(rows: usize, mut piece: impl FnMut(&mut String, usize)) -> String {
    let mut out = String::with_capacity(rows * 16);
    for k in 0..rows {
        if k > 0 {
            out.push_str(", ");
        }
        piece(&mut out, k);
    }
    out
}

/// Inserts one row and returns its id. Column names come from code, never
/// from input.
pub async fn insert(conn: &mut Conn, table: &str, cols: &[(&str, P)]) -> Result<i64> {
    let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({}) RETURNING id",
        names.join(", "),
        placeholders(1, cols.len())
    );
    let params: Vec<P> = cols.iter().map(|c| c.1.clone()).collect();
    let row = bind_all(sql::query(&sql), &params).fetch_one(conn).await?;
    Ok(row.get::<i64, _>(0))
}

/// Updates columns of one row; returns whether it existed.
pub async fn update(conn: &mut Conn, table: &str, id: i64, cols: &[(&str, P)]) -> Result<bool> {
    let sets = joined(cols.len(), |out, i| {
        use std::fmt::Write;
        let _ = write!(out, "{} = ${}", cols[i].0, i + 1);
    });
    let sql = format!("UPDATE {table} SET {sets} WHERE id = ${}", cols.len() + 1);
    let mut params: Vec<P> = cols.iter().map(|c| c.1.clone()).collect();
    params.push(P::I(id));
    let res = bind_all(sql::query(&sql), &params).execute(conn).await?;
    Ok(res.rows_affected() > 0)
}

pub async fn get_by_id<T>(
    conn: &mut Conn,
    table: &str,
    cols: &str,
    id: i64,
    from_row: fn(&dyn RowGet) -> T,
) -> Result<Option<T>> {
    let sql = format!("SELECT {cols} FROM {table} WHERE id = $1");
    let row = sql::query(&sql).bind(id).fetch_optional(conn).await?;
    Ok(row.as_ref().map(|r| from_row(r)))
}

/// Filters of a name-ordered list.
#[derive(Debug, Clone, Default)]
pub struct ListSpec {
    /// Substring searched in the table's `search` column (or `name`).
    pub q: Option<String>,
    /// `Some(false)`: active only (the default in the UI); `None`: all.
    pub archived: Option<bool>,
    /// Exact-match filters on integer or text columns.
    pub eq: Vec<(&'static str, P)>,
    pub limit: i64,
    pub after: Option<(String, i64)>,
    /// The FTS5 trigram index over the search column, where the engine has
    /// one (SQLite); set by the app, not by callers.
    pub fts: Option<&'static str>,
    /// A column searched by prefix when the query is 4+ digits (the INN:
    /// people type it from the start); set by the app.
    pub digits_prefix: Option<&'static str>,
}

/// A search whose longest word has fewer trigram matches than this is sorted
/// by name (fetching and sorting that many rows is cheap); a broader one is
/// listed newest first, straight from the index in rowid order, and stops
/// when the page is full — so any search costs about a page of rows. One with
/// no word of 3+ letters (trigrams cannot index it) walks the table newest
/// first.
pub const SEARCH_SORTED_MAX: i64 = 200;

/// A page of rows ordered by `(name, id)`, using the `(name, id)` index.
///
/// With a search on an engine with a trigram index (`spec.fts`), a selective
/// search is answered from the index and sorted by name; a broad one (or one
/// under 3 characters) walks the table newest first and stops after one page
/// — a name-ordered walk could cross every row when the matches cluster late
/// in the alphabet. Without an index the search filters the name-ordered walk.
pub async fn list_by_name<T: Send + 'static>(
    store: &crate::Store,
    table: &'static str,
    cols: &'static str,
    search_col: &'static str,
    spec: &ListSpec,
    from_row: fn(&dyn RowGet) -> T,
    key: fn(&T) -> (String, i64),
) -> Result<Page<T>> {
    let plan = ListPlan {
        table,
        cols,
        search_col,
        spec: spec.clone(),
    };
    let items = match plan.probe() {
        // How many rows the index has for the longest word decides the
        // order. The probe returns the rows themselves (up to the limit), so
        // a selective search reads them by id instead of asking the index a
        // second time: a rare word's phrase look-up is the dearest part of
        // its search (~0.5 ms for a long one).
        Some((fts, phrase)) => {
            let probe = (
                format!(
                    "SELECT rowid AS id FROM {fts} WHERE {fts} MATCH $1 LIMIT {SEARCH_SORTED_MAX}"
                ),
                vec![P::S(phrase)],
            );
            let newest = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let flag = newest.clone();
            let then: crate::fast::ThenQuery = Box::new(move |ids| {
                let (sql, params, newest_first) = plan.build(Some(ids));
                flag.store(newest_first, std::sync::atomic::Ordering::Relaxed);
                (sql, params)
            });
            let items = store.read_rows_after_probe(probe, then, from_row).await?;
            (items, newest.load(std::sync::atomic::Ordering::Relaxed))
        }
        None => {
            let (sql, params, newest_first) = plan.build(None);
            (
                store.read_rows_here(sql, params, from_row).await?,
                newest_first,
            )
        }
    };
    let (items, newest_first) = items;
    if newest_first {
        Ok(finish(items, spec.limit, |it| (String::new(), key(it).1)))
    } else {
        Ok(finish(items, spec.limit, key))
    }
}

/// The pattern of a search on SQLite, `$1` behind an expression: SQLite
/// plans a `col LIKE $1` from the value bound (its LIKE optimisation) and so
/// prepares the cached statement again — parse and plan — for every new
/// pattern (perf of the search list: 7 % of the server's time in
/// `sqlite3Reprepare`). Ours start with `%`, so the value never helps.
/// Every search branch uses it; PostgreSQL folds it into the value.
/// (Keeping every statement's plan, SQLite's QPSG, was tried: it made
/// aging's read 2.6× slower.)
const LIKE_ONE_PLAN: &str = "('' || $1) ESCAPE '\\'";

/// The SQL of one list request, built without touching the database.
struct ListPlan {
    table: &'static str,
    cols: &'static str,
    search_col: &'static str,
    spec: ListSpec,
}

impl ListPlan {
    fn query(&self) -> Option<&str> {
        self.spec
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
    }

    /// 4+ digits on a resource with a digits column: an index range.
    fn digits(&self) -> Option<(&'static str, &str)> {
        let q = self
            .query()
            .filter(|q| q.len() >= 4 && q.bytes().all(|b| b.is_ascii_digit()))?;
        Some((self.spec.digits_prefix?, q))
    }

    /// The longest word of 3+ letters: the index is asked for it only (a
    /// legal form like «ООО» is in half the names and makes a phrase check
    /// dear); the whole query is then checked with LIKE on the candidates.
    fn longest_word(&self) -> Option<&str> {
        self.query()?
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .max_by_key(|w| w.chars().count())
    }

    /// The index and phrase to count first, when the trigram index is used.
    fn probe(&self) -> Option<(&'static str, String)> {
        if self.digits().is_some() {
            return None;
        }
        Some((
            self.spec.fts?,
            format!("\"{}\"", self.longest_word()?.to_lowercase()),
        ))
    }

    /// SQL and parameters; `found` is the probe's answer when there was one
    /// (the index's rows for the longest word, up to [`SEARCH_SORTED_MAX`]).
    /// Returns whether the page is newest first.
    fn build(&self, found: Option<&[i64]>) -> (String, Vec<P>, bool) {
        let (table, cols, search_col, spec) = (self.table, self.cols, self.search_col, &self.spec);
        let mut sql = format!("SELECT {cols} FROM {table} t WHERE 1 = 1");
        let mut params: Vec<P> = Vec::new();
        let mut newest_first = false;
        // What "newest first" orders by: the index's rowid when it drives the query.
        let mut newest_key = "t.id";
        if let Some((col, d)) = self.digits() {
            let mut hi = d.as_bytes().to_vec();
            if let Some(last) = hi.last_mut() {
                *last += 1; // '9' + 1 is ':' — still the right upper bound
            }
            params.push(P::S(d.to_string()));
            params.push(P::S(String::from_utf8_lossy(&hi).to_string()));
            sql += &format!(" AND t.{col} >= $1 AND t.{col} < $2");
        } else if let Some(q) = self.query() {
            params.push(P::S(like_pattern(q)));
            match (spec.fts, self.longest_word(), found) {
                (Some(fts), Some(word), Some(ids)) => {
                    newest_first = ids.len() as i64 >= SEARCH_SORTED_MAX;
                    if newest_first {
                        params.push(P::S(format!("\"{}\"", word.to_lowercase())));
                        // The index yields matches newest first; the page stops it.
                        let cols: Vec<String> =
                            cols.split(',').map(|c| format!("t.{}", c.trim())).collect();
                        sql = format!("SELECT {} FROM {fts} f JOIN {table} t ON t.id = f.rowid WHERE f.{fts} MATCH $2", cols.join(", "));
                        newest_key = "f.rowid";
                    } else {
                        // Every match is in hand: read those rows by id.
                        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
                        params.push(P::S(format!("[{}]", list.join(","))));
                        sql += " AND t.id IN (SELECT value FROM json_each($2))";
                    }
                    sql += &format!(" AND t.{search_col} LIKE {LIKE_ONE_PLAN}");
                }
                (Some(_), _, _) => {
                    // No word of 3+ letters: trigrams cannot help; walk newest first.
                    newest_first = true;
                    sql += &format!(" AND t.{search_col} LIKE {LIKE_ONE_PLAN}");
                }
                (None, _, _) => sql += &format!(" AND {search_col} LIKE {LIKE_ONE_PLAN}"),
            }
        }
        if let Some(a) = spec.archived {
            params.push(P::I(a as i64));
            sql += &format!(" AND t.archived = ${}", params.len());
        }
        for (col, v) in &spec.eq {
            params.push(v.clone());
            sql += &format!(" AND t.{col} = ${}", params.len());
        }
        if let Some((name, id)) = &spec.after {
            params.push(P::I(*id));
            if newest_first {
                sql += &format!(" AND {newest_key} < ${}", params.len());
            } else {
                params.push(P::S(name.clone()));
                sql += &format!(
                    " AND (t.name, t.id) > (${}, ${})",
                    params.len(),
                    params.len() - 1
                );
            }
        }
        params.push(P::I(spec.limit + 1));
        sql += &if newest_first {
            format!(" ORDER BY {newest_key} DESC LIMIT ${}", params.len())
        } else {
            format!(" ORDER BY t.name, t.id LIMIT ${}", params.len())
        };
        (sql, params, newest_first)
    }
}

/// Takes the next number of a document kind in a year. Runs inside the
/// document's own transaction, so a rolled-back create leaves no gap-causing
/// increment behind and two creates never share a number.
pub async fn next_doc_seq(conn: &mut Conn, kind: &str, year: i32) -> Result<i64> {
    let row = sql::query(
        "INSERT INTO doc_counters (kind, year, last) VALUES ($1, $2, 1) \
         ON CONFLICT (kind, year) DO UPDATE SET last = doc_counters.last + 1 RETURNING last",
    )
    .bind(kind)
    .bind(year as i64)
    .fetch_one(conn)
    .await?;
    Ok(row.get::<i64, _>(0))
}

/// Appends to the audit log. Nothing ever updates or deletes these rows.
pub async fn audit(
    conn: &mut Conn,
    employee_id: Option<i64>,
    action: &str,
    entity: &str,
    entity_id: impl ToString,
    details: &str,
) -> Result<()> {
    sql::query(
        "INSERT INTO audit_log (at, employee_id, action, entity, entity_id, details) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(now())
    .bind(employee_id)
    .bind(action)
    .bind(entity)
    .bind(entity_id.to_string())
    .bind(details)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_setting(conn: &mut Conn, key: &str) -> Result<Option<String>> {
    sql::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await
}

pub async fn set_setting(conn: &mut Conn, key: &str, value: &str) -> Result<()> {
    sql::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(conn)
        .await?;
    Ok(())
}

/// A claimed or answered `Idempotency-Key`. `status` 0: claimed, the request
/// is still running in the process `owner`, which refreshes `heartbeat_at`.
#[derive(Debug, Clone)]
pub struct IdemRecord {
    pub request_hash: String,
    pub status: i64,
    pub body: String,
    pub owner: String,
    pub heartbeat_at: String,
    pub created_at: String,
}

/// The key's record, after removing it when it is older than `expired_before`.
pub async fn get_idem(
    conn: &mut Conn,
    employee_id: i64,
    key: &str,
    expired_before: &str,
) -> Result<Option<IdemRecord>> {
    sql::query(
        "DELETE FROM idempotency_keys WHERE employee_id = $1 AND key = $2 AND created_at < $3",
    )
    .bind(employee_id)
    .bind(key)
    .bind(expired_before)
    .execute(&mut *conn)
    .await?;
    let row = sql::query("SELECT request_hash, status, body, owner, heartbeat_at, created_at FROM idempotency_keys WHERE employee_id = $1 AND key = $2")
        .bind(employee_id)
        .bind(key)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| IdemRecord {
        request_hash: r.get(0),
        status: r.get(1),
        body: r.get(2),
        owner: r.get(3),
        heartbeat_at: r.get(4),
        created_at: r.get(5),
    }))
}

/// Claims a key for `owner`; false when another request claimed it first
/// (the primary key decides, on both engines).
pub async fn put_idem(
    conn: &mut Conn,
    employee_id: i64,
    key: &str,
    request_hash: &str,
    owner: &str,
) -> Result<bool> {
    let at = now();
    let res = sql::query(
        "INSERT INTO idempotency_keys (employee_id, key, request_hash, status, body, created_at, owner, heartbeat_at) \
         VALUES ($1, $2, $3, 0, '', $4, $5, $4) ON CONFLICT (employee_id, key) DO NOTHING",
    )
    .bind(employee_id)
    .bind(key)
    .bind(request_hash)
    .bind(&at)
    .bind(owner)
    .execute(conn)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Takes over a stale claim: succeeds only if nobody refreshed or took it
/// since it was read.
pub async fn take_over_idem(
    conn: &mut Conn,
    employee_id: i64,
    key: &str,
    seen: &IdemRecord,
    owner: &str,
) -> Result<bool> {
    let res = sql::query(
        "UPDATE idempotency_keys SET owner = $1, heartbeat_at = $2 \
         WHERE employee_id = $3 AND key = $4 AND status = 0 AND owner = $5 AND heartbeat_at = $6",
    )
    .bind(owner)
    .bind(now())
    .bind(employee_id)
    .bind(key)
    .bind(&seen.owner)
    .bind(&seen.heartbeat_at)
    .execute(conn)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Refreshes the heartbeat of a claim this owner still holds.
pub async fn beat_idem(conn: &mut Conn, employee_id: i64, key: &str, owner: &str) -> Result<()> {
    sql::query("UPDATE idempotency_keys SET heartbeat_at = $1 WHERE employee_id = $2 AND key = $3 AND owner = $4 AND status = 0")
        .bind(now())
        .bind(employee_id)
        .bind(key)
        .bind(owner)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores the answer of the claim this owner holds.
pub async fn answer_idem(
    conn: &mut Conn,
    employee_id: i64,
    key: &str,
    owner: &str,
    status: i64,
    body: &str,
) -> Result<()> {
    sql::query("UPDATE idempotency_keys SET status = $1, body = $2 WHERE employee_id = $3 AND key = $4 AND owner = $5")
        .bind(status)
        .bind(body)
        .bind(employee_id)
        .bind(key)
        .bind(owner)
        .execute(conn)
        .await?;
    Ok(())
}

/// Releases a claim this owner holds without an answer (the request was
/// refused or abandoned), so the key can be used again.
pub async fn release_idem(conn: &mut Conn, employee_id: i64, key: &str, owner: &str) -> Result<()> {
    sql::query("DELETE FROM idempotency_keys WHERE employee_id = $1 AND key = $2 AND owner = $3 AND status = 0")
        .bind(employee_id)
        .bind(key)
        .bind(owner)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets every key created before `before` (keys live 24 hours).
pub async fn expire_idem(conn: &mut Conn, before: &str) -> Result<u64> {
    Ok(
        sql::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(before)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

/// The key's record read outside any transaction (readers, not the writer):
/// what a repeat polls while the first request runs.
pub async fn peek_idem(
    store: &crate::Store,
    employee_id: i64,
    key: &str,
) -> Result<Option<IdemRecord>> {
    let row = sql::query("SELECT request_hash, status, body, owner, heartbeat_at, created_at FROM idempotency_keys WHERE employee_id = $1 AND key = $2")
        .bind(employee_id)
        .bind(key)
        .fetch_optional(store.reader())
        .await?;
    Ok(row.map(|r| IdemRecord {
        request_hash: r.get(0),
        status: r.get(1),
        body: r.get(2),
        owner: r.get(3),
        heartbeat_at: r.get(4),
        created_at: r.get(5),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_lists_are_numbered_on() {
        assert_eq!(placeholders(1, 3), "$1, $2, $3");
        assert_eq!(placeholders(9, 2), "$9, $10");
        assert_eq!(placeholders(4, 0), "");
        assert_eq!(value_rows(2, 2, 3), "($2, $3, $4), ($5, $6, $7)");
        assert_eq!(value_rows(1, 0, 3), "");
        assert_eq!(
            joined(3, |out, k| out.push_str(&format!("(${})", 2 * k + 1))),
            "($1), ($3), ($5)"
        );
    }
}
