//! Cost of goods: a moving weighted average per product, company-wide.
//!
//! `product_costs` holds, per product, the quantity on hand in all
//! warehouses, its value (kopecks, net of VAT) and the unit cost
//! `round(value × 1000 / qty)` (half away from zero) while the quantity is
//! above zero; at zero or below the last unit cost stays. Every stock-moving
//! line stores, when posted, its unit cost (`document_lines.cost`) and
//! `cost_amount = round(qty × cost)`, exactly what it took from or brought to
//! the value, so a cancellation puts back (takes out) that same amount and
//! the value returns to the kopeck.
//!
//! A document's lines are costed in three statements whatever their number:
//! one upsert that creates missing rows and reads them (on PostgreSQL locks
//! them, in product order, right after the stock rows — the lock order of
//! `document::lock_for_posting`), one `UPDATE … CASE` of the averages and one
//! of the lines.

use crate::Result;
use kupets_domain::money::div_round;
use kupets_domain::{Money, Qty, VatRate};
use kupets_store::queries::P;
use kupets_store::sql;
use kupets_store::Conn;
use std::collections::HashMap;
use std::fmt::Write;

/// How an incoming or outgoing line is costed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// At the average before this line (issues: shipments, returns to a
    /// supplier, components, repair parts).
    Average,
    /// At a given unit cost (receipts: their price net of VAT; customer
    /// returns: the cost the goods left with).
    At(i64),
    /// Production output: the cost of the document's outgoing lines so far
    /// plus a work cost, spread over the quantity made.
    Made { work: i64 },
    /// Cancelling: exactly this unit cost and amount, undoing a posted line.
    Exact { unit: i64, amount: i64 },
}

/// One line's effect on a product's value.
#[derive(Debug, Clone)]
pub(crate) struct Move {
    /// The line that stores its cost (none for reversals).
    pub line: Option<i64>,
    pub product: i64,
    /// Signed thousandths: positive into stock, negative out of it.
    pub qty: i64,
    pub unit: Unit,
}

/// A product's average as read (and locked) for a document.
#[derive(Debug, Clone, Copy, Default)]
struct Avg {
    qty: i64,
    value: i64,
    unit: i64,
}

impl Avg {
    fn add(&mut self, qty: i64, amount: i64) {
        self.qty = self.qty.saturating_add(qty);
        self.value = self.value.saturating_add(amount);
        if self.qty > 0 {
            self.unit = kupets_domain::money::clamp_i64(div_round(
                i128::from(self.value) * 1000,
                i128::from(self.qty),
            ));
        }
    }
}

/// The unit cost of a receipt line: its price less the VAT in that price.
pub(crate) fn net_of_vat(price: i64, rate: &str) -> i64 {
    let rate = VatRate::parse(rate).unwrap_or(VatRate::R22);
    price - rate.vat_of(Money(price)).0
}

/// `round(|qty| × unit)`, signed like `qty`.
fn amount(qty: i64, unit: i64) -> i64 {
    Money(unit).times_qty(Qty(qty)).0
}

/// Applies the moves in order; writes the averages and each line's `cost`
/// and `cost_amount`. Returns the unit cost given to each move.
pub(crate) async fn apply(tx: &mut Conn, moves: &[Move]) -> Result<Vec<i64>> {
    if moves.is_empty() {
        return Ok(Vec::new());
    }
    let mut products: Vec<i64> = moves.iter().map(|m| m.product).collect();
    products.sort_unstable();
    products.dedup();
    let values = kupets_store::queries::joined(products.len(), |out, i| {
        let _ = write!(out, "(${}, 0, 0, 0)", i + 1);
    });
    let params: Vec<P> = products.iter().map(|p| P::from(*p)).collect();
    let rows = sql::query(&format!(
        "INSERT INTO product_costs (product_id, qty, value, unit_cost) VALUES {values} \
         ON CONFLICT (product_id) DO UPDATE SET qty = product_costs.qty \
         RETURNING product_id, qty, value, unit_cost"
    ))
    .bind_all(&params)
    .fetch_all(&mut *tx)
    .await?;
    let mut avg: HashMap<i64, Avg> = rows
        .iter()
        .map(|r| {
            (
                r.get::<i64, _>("product_id"),
                Avg {
                    qty: r.get("qty"),
                    value: r.get("value"),
                    unit: r.get("unit_cost"),
                },
            )
        })
        .collect();
    let mut units = Vec::with_capacity(moves.len());
    let mut lines: Vec<(i64, i64, i64)> = Vec::new();
    // Cost of what the document has issued so far (production's components).
    let mut issued: i64 = 0;
    for m in moves {
        let a = avg.entry(m.product).or_default();
        let (unit, amt) = match m.unit {
            Unit::Average => (a.unit, amount(m.qty, a.unit)),
            Unit::At(u) => (u, amount(m.qty, u)),
            Unit::Exact { unit, amount } => (unit, amount.abs() * m.qty.signum()),
            Unit::Made { work } => {
                let total = issued.saturating_add(work);
                let u = if m.qty != 0 {
                    kupets_domain::money::clamp_i64(div_round(
                        i128::from(total) * 1000,
                        i128::from(m.qty.abs()),
                    ))
                } else {
                    0
                };
                (u, amount(m.qty, u))
            }
        };
        if m.qty < 0 {
            issued = issued.saturating_add(-amt);
        }
        a.add(m.qty, amt);
        units.push(unit);
        if let Some(l) = m.line {
            lines.push((l, unit, amt.abs()));
        }
    }
    // The averages: one statement.
    let mut p: Vec<P> = Vec::new();
    let (mut q, mut v, mut u) = (
        String::from("CASE product_id"),
        String::from("CASE product_id"),
        String::from("CASE product_id"),
    );
    for prod in &products {
        let a = avg.get(prod).copied().unwrap_or_default();
        p.extend([
            P::from(*prod),
            P::from(a.qty),
            P::from(a.value),
            P::from(a.unit),
        ]);
        let k = p.len();
        let _ = write!(q, " WHEN ${} THEN CAST(${} AS BIGINT)", k - 3, k - 2);
        let _ = write!(v, " WHEN ${} THEN CAST(${} AS BIGINT)", k - 3, k - 1);
        let _ = write!(u, " WHEN ${} THEN CAST(${} AS BIGINT)", k - 3, k);
    }
    // Each product's id is the first of its four parameters.
    let ids = kupets_store::queries::joined(products.len(), |out, i| {
        let _ = write!(out, "${}", 4 * i + 1);
    });
    sql::query(&format!(
        "UPDATE product_costs SET qty = {q} ELSE qty END, value = {v} ELSE value END, unit_cost = {u} ELSE unit_cost END WHERE product_id IN ({ids})"
    ))
    .bind_all(&p)
    .execute(&mut *tx)
    .await?;
    // The lines: one statement.
    if !lines.is_empty() {
        let mut p: Vec<P> = Vec::new();
        let (mut c, mut a) = (String::from("CASE id"), String::from("CASE id"));
        for (line, unit, amt) in &lines {
            p.extend([P::from(*line), P::from(*unit), P::from(*amt)]);
            let k = p.len();
            let _ = write!(c, " WHEN ${} THEN CAST(${} AS BIGINT)", k - 2, k - 1);
            let _ = write!(a, " WHEN ${} THEN CAST(${} AS BIGINT)", k - 2, k);
        }
        // Each line's id is the first of its three parameters.
        let ids = kupets_store::queries::joined(lines.len(), |out, i| {
            let _ = write!(out, "${}", 3 * i + 1);
        });
        sql::query(&format!(
            "UPDATE document_lines SET cost = {c} ELSE cost END, cost_amount = {a} ELSE cost_amount END WHERE id IN ({ids})"
        ))
        .bind_all(&p)
        .execute(&mut *tx)
        .await?;
    }
    Ok(units)
}

/// Undoes the cost of a posted document's lines (cancelling): each line's
/// stored amount goes back the other way. `dir` gives a line's direction on
/// posting from its signed quantity (+1 in, −1 out).
pub(crate) async fn reverse(tx: &mut Conn, doc_id: i64, dir: impl Fn(i64) -> i64) -> Result<()> {
    let rows: Vec<(i64, i64, i64, i64)> = sql::query_as(
        "SELECT product_id, qty, cost, cost_amount FROM document_lines WHERE document_id = $1 AND cost_amount IS NOT NULL ORDER BY line_no",
    )
    .bind(doc_id)
    .fetch_all(&mut *tx)
    .await?;
    let moves: Vec<Move> = rows
        .into_iter()
        .filter(|r| r.1 != 0)
        .map(|(product, qty, unit, amount)| Move {
            line: None,
            product,
            qty: -dir(qty) * qty.abs(),
            unit: Unit::Exact { unit, amount },
        })
        .collect();
    apply(tx, &moves).await?;
    Ok(())
}

/// Records a posted shipment's or customer return's lines as sales facts
/// (returns negative), with the dimensions as they are now, and adds them
/// to the monthly totals: two statements whatever the number of lines (the
/// facts written come back to be summed).
pub(crate) async fn record_sales(tx: &mut Conn, doc_id: i64) -> Result<()> {
    let facts = sql::query(&format!(
        "INSERT INTO sales_facts (document_id, line_id, doc_date, month, counterparty_id, product_id, group_id, manager_id, department_id, qty, revenue, revenue_net, cost, purchase) \
         SELECT d.id, l.id, d.doc_date, SUBSTR(d.doc_date, 1, 7), d.counterparty_id, l.product_id, p.group_id, d.responsible_id, e.department_id, \
                CASE WHEN d.kind = 'shipment' THEN l.qty ELSE -l.qty END, \
                CASE WHEN d.kind = 'shipment' THEN l.amount ELSE -l.amount END, \
                CASE WHEN d.kind = 'shipment' THEN l.amount - l.vat ELSE l.vat - l.amount END, \
                CASE WHEN d.kind = 'shipment' THEN COALESCE(l.cost_amount, 0) ELSE -COALESCE(l.cost_amount, 0) END, \
                CASE WHEN d.kind = 'shipment' THEN 1 ELSE 0 END \
         FROM documents d JOIN document_lines l ON l.document_id = d.id JOIN products p ON p.id = l.product_id JOIN employees e ON e.id = d.responsible_id \
         WHERE d.id = $1 AND d.counterparty_id IS NOT NULL \
         RETURNING {}",
        crate::analysis::totals::FACT_SUMS
    ))
    .bind(doc_id)
    .fetch_all(&mut *tx)
    .await?;
    crate::analysis::totals::keep(tx, &facts, 1).await
}

/// A cancelled document leaves the sales facts (they describe posted
/// documents only; the documents keep the history) and the monthly totals.
/// Its facts are found by its date and id, the head of the facts' index by
/// date (migration 0026): a posted document's date never changes, and its
/// facts were written with it.
pub(crate) async fn drop_sales(tx: &mut Conn, doc_id: i64) -> Result<()> {
    let facts = sql::query(&format!(
        "DELETE FROM sales_facts WHERE doc_date = (SELECT doc_date FROM documents WHERE id = $1) AND document_id = $1 RETURNING {}",
        crate::analysis::totals::FACT_SUMS
    ))
    .bind(doc_id)
    .fetch_all(&mut *tx)
    .await?;
    crate::analysis::totals::keep(tx, &facts, -1).await?;
    crate::analysis::totals::drop_empty(tx, &facts).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_rounds_half_away_from_zero() {
        let mut a = Avg::default();
        // 3 units at 100,00 net and 2 at 100,51: 501,02 / 5 = 100,204 → 100,20.
        a.add(3000, 30000);
        a.add(2000, 20102);
        assert_eq!(a.unit, 10020);
        // One unit out at the average: 4 left worth 400,82 → 100,205 → 100,21.
        let out = amount(-1000, a.unit);
        a.add(-1000, out);
        assert_eq!((a.qty, a.value, a.unit), (4000, 40082, 10021));
    }

    #[test]
    fn net_price_of_a_receipt_line() {
        // 122,00 with VAT 22 %: 22,00 VAT, 100,00 net.
        assert_eq!(net_of_vat(12200, "22"), 10000);
        assert_eq!(net_of_vat(12200, "none"), 12200);
    }
}
