//! Monthly sales totals (`sales_months`, read through the views
//! `sales_month_client` and `sales_month_product`): kept at posting and
//! cancelling in one statement per document, and the period arithmetic that
//! lets a report read them instead of every sales fact.
//!
//! A period is answered as a sum of parts: the whole months inside it from
//! the totals, and each partial edge month either from its facts directly
//! or as the month's total less the facts of the days outside the period —
//! whichever reads fewer days that can hold facts (days after today hold
//! none, so "this month to date" costs nothing). Every part yields the same
//! columns (`qty`, `revenue`, `revenue_net`, `cost`, `facts`, `shipments`),
//! negated where subtracted; a group whose facts add up to zero had no facts
//! in the period and is left out (`HAVING SUM(f.facts) > 0`), so the result
//! is the one the facts alone would give.

use super::sales::Dim;
use crate::Result;
use chrono::{Datelike, Months, NaiveDate};
use kupets_store::queries::P;
use kupets_store::sql;
use kupets_store::Conn;

/// The columns of a sales fact the monthly totals sum: what writing or
/// deleting the facts returns (`RETURNING`), so the totals are kept without
/// reading the facts again.
pub(crate) const FACT_SUMS: &str = "month, counterparty_id, manager_id, department_id, product_id, group_id, qty, revenue, revenue_net, cost, purchase";

/// Adds a document's sales facts (rows with the columns of [`FACT_SUMS`])
/// to the monthly totals (`sign` 1, at posting) or takes them out (`sign`
/// −1, at cancelling): summed here, per client row and per product row,
/// and written in one upsert. Rows go in key order, so concurrent postings
/// lock them in one order (PostgreSQL).
///
/// Summing in SQL (an upsert of two `GROUP BY`s of the document's facts)
/// took 41 µs of a 10-line shipment's posting, twice this.
pub(crate) async fn keep(tx: &mut Conn, facts: &[sql::Row], sign: i64) -> Result<()> {
    // Key (dim, month, counterparty, manager, department, product, group —
    // a missing department or group is 0) → sums (qty, revenue, revenue
    // net, cost, facts, shipments), in key order.
    let mut rows: std::collections::BTreeMap<_, [i64; 6]> = std::collections::BTreeMap::new();
    for f in facts {
        let month: String = f.get("month");
        let dept = f.get::<Option<i64>, _>("department_id").unwrap_or(0);
        let group = f.get::<Option<i64>, _>("group_id").unwrap_or(0);
        let (cp, manager, product) = (
            f.get::<i64, _>("counterparty_id"),
            f.get::<i64, _>("manager_id"),
            f.get::<i64, _>("product_id"),
        );
        let v = [
            f.get::<i64, _>("qty"),
            f.get("revenue"),
            f.get("revenue_net"),
            f.get("cost"),
        ];
        let purchase: i64 = f.get("purchase");
        let keys = [
            ("client", month.clone(), cp, manager, dept, 0, 0),
            ("product", month, 0, 0, 0, product, group),
        ];
        for key in keys {
            let r = rows.entry(key).or_insert([0; 6]);
            for (sum, x) in r.iter_mut().zip(v) {
                *sum = sum.saturating_add(x);
            }
            r[4] += 1;
            r[5] = r[5].max(purchase);
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    let n = rows.len();
    let mut params: Vec<P> = Vec::with_capacity(n * 13);
    for ((dim, month, cp, manager, dept, product, group), sums) in rows {
        params.extend([P::from(dim), P::from(month)]);
        params.extend([cp, manager, dept, product, group].map(P::from));
        params.extend(sums.map(|x| P::from(x.saturating_mul(sign))));
    }
    let values = kupets_store::queries::value_rows(1, n, 13);
    sql::query(&format!(
        "INSERT INTO sales_months (dim, month, counterparty_id, manager_id, department_id, product_id, group_id, qty, revenue, revenue_net, cost, facts, shipments) \
         VALUES {values} \
         ON CONFLICT (dim, month, counterparty_id, manager_id, department_id, product_id, group_id) DO UPDATE SET \
         qty = sales_months.qty + excluded.qty, revenue = sales_months.revenue + excluded.revenue, \
         revenue_net = sales_months.revenue_net + excluded.revenue_net, cost = sales_months.cost + excluded.cost, \
         facts = sales_months.facts + excluded.facts, shipments = sales_months.shipments + excluded.shipments"
    ))
    .bind_all(&params)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// After a cancellation took a document's facts out: rows of their months
/// left with no facts go, so a row exists exactly when facts do.
pub(crate) async fn drop_empty(tx: &mut Conn, facts: &[sql::Row]) -> Result<()> {
    let mut months: Vec<String> = facts.iter().map(|f| f.get("month")).collect();
    months.sort_unstable();
    months.dedup();
    if months.is_empty() {
        return Ok(());
    }
    let list = kupets_store::queries::placeholders(1, months.len());
    let params: Vec<P> = months.into_iter().map(P::from).collect();
    sql::query(&format!(
        "DELETE FROM sales_months WHERE facts = 0 AND dim IN ('client', 'product') AND month IN ({list})"
    ))
    .bind_all(&params)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Which totals can answer a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    /// Month, counterparty, manager, department.
    Client,
    /// Month, product, group.
    Product,
}

impl Table {
    fn view(self) -> &'static str {
        match self {
            Table::Client => "sales_month_client",
            Table::Product => "sales_month_product",
        }
    }

    /// The totals that hold every dimension used (as a key or a filter);
    /// none when only the facts do (e.g. client × product). A manager's
    /// scope is a filter on the client, which product totals lack.
    pub fn for_dims(dims: &[Dim], client_scope: bool) -> Option<Table> {
        let client = [Dim::Counterparty, Dim::Manager, Dim::Department, Dim::Month];
        let product = [Dim::Product, Dim::Group, Dim::Month];
        if dims.iter().all(|d| client.contains(d)) {
            Some(Table::Client)
        } else if !client_scope && dims.iter().all(|d| product.contains(d)) {
            Some(Table::Product)
        } else {
            None
        }
    }
}

/// One summand of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Totals of the months `from..=to` (`YYYY-MM`).
    Months(String, String),
    /// Facts of the days `from..=to`, added (true) or subtracted.
    Days(NaiveDate, NaiveDate, bool),
}

fn month_of(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

fn month_end(d: NaiveDate) -> NaiveDate {
    d.with_day(1)
        .and_then(|s| s.checked_add_months(Months::new(1)))
        .and_then(|n| n.pred_opt())
        .unwrap_or(d)
}

/// Days of `from..=to` that can hold facts: none after today.
fn live_days(from: NaiveDate, to: NaiveDate, today: NaiveDate) -> i64 {
    let to = to.min(today);
    if to < from {
        0
    } else {
        (to - from).num_days() + 1
    }
}

/// The parts of `from..=to` (see the module's doc).
fn parts(from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Vec<Part> {
    let mut out = Vec::new();
    let mut whole: Option<(NaiveDate, NaiveDate)> = None;
    let mut m = from.with_day(1).unwrap_or(from);
    while m <= to {
        let end = month_end(m);
        let (a, b) = (from.max(m), to.min(end));
        if a == m && b == end {
            whole = Some((whole.map_or(m, |w| w.0), m));
        } else {
            if let Some((x, y)) = whole.take() {
                out.push(Part::Months(month_of(x), month_of(y)));
            }
            let before = a.pred_opt().filter(|p| *p >= m);
            let after = b.succ_opt().filter(|n| *n <= end);
            let outside = before.map_or(0, |p| live_days(m, p, today))
                + after.map_or(0, |n| live_days(n, end, today));
            if outside < live_days(a, b, today) {
                out.push(Part::Months(month_of(m), month_of(m)));
                if let Some(p) = before {
                    out.push(Part::Days(m, p, false));
                }
                if let Some(n) = after {
                    out.push(Part::Days(n, end, false));
                }
            } else {
                out.push(Part::Days(a, b, true));
            }
        }
        match end.succ_opt() {
            Some(n) => m = n,
            None => break,
        }
    }
    if let Some((x, y)) = whole {
        out.push(Part::Months(month_of(x), month_of(y)));
    }
    out
}

/// What to sum and how.
pub(crate) struct Source<'a> {
    /// The totals to read; none: the facts of the whole period.
    pub table: Option<Table>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Key expressions over `f.` columns and their aliases.
    pub keys: &'a [(&'a str, &'a str)],
    /// Conditions over `f.` columns other than the period (`1 = 1`: none);
    /// its parameters are already in the list `union_sql` is given.
    pub filter: &'a str,
    /// Count shipments (facts parts then sum per document; only for keys
    /// that are the same on all of a document's facts).
    pub shipments: bool,
}

impl Source<'_> {
    /// `(… UNION ALL …) f`, for a `FROM`: rows of the key aliases and
    /// `qty, revenue, revenue_net, cost, facts, shipments`. Group it by the
    /// aliases with `HAVING SUM(f.facts) > 0`.
    pub fn union_sql(&self, params: &mut Vec<P>, today: NaiveDate) -> String {
        let parts = match self.table {
            Some(_) => parts(self.from, self.to, today),
            None => vec![Part::Days(self.from, self.to, true)],
        };
        let keys = self
            .keys
            .iter()
            .map(|(e, a)| format!("{e} AS {a}, "))
            .collect::<String>();
        let key_exprs = self
            .keys
            .iter()
            .map(|(e, _)| format!(", {e}"))
            .collect::<String>();
        let mut selects = Vec::new();
        for part in parts {
            let mut bind = |v: String| {
                params.push(P::from(v));
                format!("${}", params.len())
            };
            let s = match part {
                Part::Months(a, b) => {
                    let (a, b) = (bind(a), bind(b));
                    format!(
                        "SELECT {keys}f.qty, f.revenue, f.revenue_net, f.cost, f.facts, f.shipments FROM {} f \
                         WHERE f.month >= {a} AND f.month <= {b} AND {}",
                        self.table.map_or("sales_month_client", Table::view),
                        self.filter
                    )
                }
                Part::Days(a, b, add) => {
                    let (a, b) = (bind(a.to_string()), bind(b.to_string()));
                    let sg = if add { "" } else { "-" };
                    let period = format!("f.doc_date >= {a} AND f.doc_date <= {b}");
                    if self.shipments {
                        format!(
                            "SELECT {keys}{sg}CAST(SUM(f.qty) AS BIGINT) AS qty, {sg}CAST(SUM(f.revenue) AS BIGINT) AS revenue, \
                             {sg}CAST(SUM(f.revenue_net) AS BIGINT) AS revenue_net, {sg}CAST(SUM(f.cost) AS BIGINT) AS cost, \
                             {sg}COUNT(*) AS facts, {sg}MAX(f.purchase) AS shipments FROM sales_facts f \
                             WHERE {period} AND {} GROUP BY f.document_id{key_exprs}",
                            self.filter
                        )
                    } else {
                        format!(
                            "SELECT {keys}{sg}f.qty AS qty, {sg}f.revenue AS revenue, {sg}f.revenue_net AS revenue_net, \
                             {sg}f.cost AS cost, {sg}1 AS facts, 0 AS shipments FROM sales_facts f WHERE {period} AND {}",
                            self.filter
                        )
                    }
                }
            };
            selects.push(s);
        }
        if selects.is_empty() {
            // An empty period: no rows, with the columns' names.
            selects.push(format!(
                "SELECT {keys}f.qty, f.revenue, f.revenue_net, f.cost, 1 AS facts, 0 AS shipments FROM sales_facts f WHERE 1 = 0 AND {}",
                self.filter
            ));
        }
        format!("({}) f", selects.join(" UNION ALL "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn m(a: &str, b: &str) -> Part {
        Part::Months(a.into(), b.into())
    }

    #[test]
    fn whole_months_and_edges() {
        let today = d("2026-11-29");
        // Whole months: one part.
        assert_eq!(
            parts(d("2025-12-01"), d("2026-11-30"), today),
            vec![m("2025-12", "2026-11")]
        );
        // A few days at each end: read them.
        assert_eq!(
            parts(d("2025-12-30"), d("2026-03-02"), today),
            vec![
                Part::Days(d("2025-12-30"), d("2025-12-31"), true),
                m("2026-01", "2026-02"),
                Part::Days(d("2026-03-01"), d("2026-03-02"), true),
            ]
        );
        // Most of a month: its total less the days outside.
        assert_eq!(
            parts(d("2026-01-03"), d("2026-01-29"), today),
            vec![
                m("2026-01", "2026-01"),
                Part::Days(d("2026-01-01"), d("2026-01-02"), false),
                Part::Days(d("2026-01-30"), d("2026-01-31"), false),
            ]
        );
        // This month to date: the days after today hold nothing.
        assert_eq!(
            parts(d("2026-11-01"), d("2026-11-20"), d("2026-11-20")),
            vec![
                m("2026-11", "2026-11"),
                Part::Days(d("2026-11-21"), d("2026-11-30"), false)
            ]
        );
        // A year to today, ABC's default.
        assert_eq!(
            parts(d("2025-11-30"), d("2026-11-29"), today),
            vec![
                Part::Days(d("2025-11-30"), d("2025-11-30"), true),
                m("2025-12", "2026-10"),
                m("2026-11", "2026-11"),
                Part::Days(d("2026-11-30"), d("2026-11-30"), false),
            ]
        );
        assert_eq!(parts(d("2026-02-01"), d("2026-01-31"), today), vec![]);
    }
}
