//! Exchange with the bank and with existing records: bank statements in
//! (`statement`: read, match, import as draft payments; `bank_rows`: assign
//! by hand, make a counterparty from the payer, post the batch), payment
//! orders out (`payment_orders`), and imports of counterparties from CSV
//! and XLSX (`records`). Bulk writes are set-based: multi-row INSERTs
//! inside one write transaction.

pub mod bank_rows;
pub mod payment_orders;
pub mod records;
pub mod statement;

use kupets_store::queries::{bind_all, P};
use kupets_store::{sql, Conn};

/// Rows written so far by a running import (read by a progress bar).
pub type Progress = std::sync::Arc<std::sync::atomic::AtomicUsize>;

/// Rows per multi-row INSERT: under SQLite's and PostgreSQL's parameter
/// limits for the widest table written here.
pub(crate) const CHUNK: usize = 400;

/// Inserts rows in multi-row statements (`CHUNK` at a time); returns the
/// rows of `returning` when named (match them by a unique column: the
/// order of RETURNING rows is not promised).
pub(crate) async fn insert_rows(
    tx: &mut Conn,
    table: &str,
    cols: &[&str],
    rows: &[Vec<P>],
    returning: Option<&str>,
) -> crate::Result<Vec<sql::Row>> {
    insert_rows_counted(tx, table, cols, rows, returning, None).await
}

/// [`insert_rows`], adding each chunk's row count to `progress` (what a
/// command line's progress bar reads while the transaction runs).
pub(crate) async fn insert_rows_counted(
    tx: &mut Conn,
    table: &str,
    cols: &[&str],
    rows: &[Vec<P>],
    returning: Option<&str>,
    progress: Option<&Progress>,
) -> crate::Result<Vec<sql::Row>> {
    let mut out = Vec::new();
    for chunk in rows.chunks(CHUNK) {
        if let Some(p) = progress {
            p.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed);
        }
        let n = cols.len();
        let values: Vec<String> = (0..chunk.len())
            .map(|r| format!("({})", kupets_store::queries::placeholders(r * n + 1, n)))
            .collect();
        let mut q = format!(
            "INSERT INTO {table} ({}) VALUES {}",
            cols.join(", "),
            values.join(", ")
        );
        if let Some(r) = returning {
            q.push_str(&format!(" RETURNING {r}"));
        }
        let params: Vec<P> = chunk.iter().flatten().cloned().collect();
        let query = bind_all(sql::query(&q), &params);
        if returning.is_some() {
            let got = query.fetch_all(&mut *tx).await?;
            out.extend(got);
        } else {
            query.execute(&mut *tx).await?;
        }
    }
    Ok(out)
}

/// Reserves `n` consecutive numbers of a document kind in a year with one
/// statement; returns the first.
pub(crate) async fn reserve_seqs(
    tx: &mut Conn,
    kind: &str,
    year: i32,
    n: i64,
) -> crate::Result<i64> {
    let row = sql::query(
        "INSERT INTO doc_counters (kind, year, last) VALUES ($1, $2, $3) \
         ON CONFLICT (kind, year) DO UPDATE SET last = doc_counters.last + $3 RETURNING last",
    )
    .bind(kind)
    .bind(year as i64)
    .bind(n)
    .fetch_one(&mut *tx)
    .await?;
    Ok(row.get::<i64, _>(0) - n + 1)
}

impl crate::App {
    /// Who a command-line import acts as: the employee with that login, or
    /// the first active admin.
    pub async fn cli_actor(&self, login: Option<&str>) -> crate::Result<crate::Actor> {
        use kupets_store::model::{Employee, RowGet};
        let sql = match login {
            Some(_) => format!("SELECT {} FROM employees WHERE login = $1 AND archived = 0", Employee::COLS),
            None => format!(
                "SELECT {} FROM employees WHERE role = 'admin' AND archived = 0 AND login <> $1 ORDER BY id LIMIT 1",
                Employee::COLS
            ),
        };
        let row = sql::query(&sql)
            .bind(login.unwrap_or(""))
            .fetch_optional(self.store.reader())
            .await?
            .ok_or(crate::AppError::NotFound { entity: "employee" })?;
        let employee = Employee::from_row(&row as &dyn RowGet);
        let role = kupets_domain::Role::parse(&employee.role)
            .ok_or_else(|| crate::AppError::Internal(format!("bad role {}", employee.role)))?;
        Ok(crate::Actor { employee, role })
    }
}
