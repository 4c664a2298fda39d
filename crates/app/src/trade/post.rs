//! Posting a trade document: what is left on the lines it draws on, stock
//! and its cost, the sales facts, the credit limit and the ledger, in the
//! caller's transaction.

use super::*;

/// For each base line: its quantity, what was closed on it, and what posted
/// documents of `kind` took from it — one statement however many lines.
///
/// A join grouped by line, not a correlated subquery per line: SQLite ran
/// the subquery form of three order lines in 34 µs, this one in 9 µs
/// (a shipment against an order reads it inside its posting).
pub(super) async fn base_lines_left(
    conn: &mut Conn,
    base_lines: &[i64],
    kind: DocKind,
) -> Result<std::collections::HashMap<i64, (i64, i64, i64)>> {
    if base_lines.is_empty() {
        return Ok(Default::default());
    }
    let n = base_lines.len();
    let sql = format!(
        "SELECT b.id, b.qty, b.closed_qty, \
         CAST(COALESCE(SUM(CASE WHEN d.kind = $1 AND d.state = 'posted' THEN l.qty END), 0) AS BIGINT) AS taken \
         FROM document_lines b LEFT JOIN document_lines l ON l.base_line_id = b.id \
         LEFT JOIN documents d ON d.id = l.document_id \
         WHERE b.id IN ({}) GROUP BY b.id, b.qty, b.closed_qty",
        placeholders(2, n)
    );
    let mut q = sql::query_as::<(i64, i64, i64, i64)>(&sql).bind(kind.code());
    for b in base_lines {
        q = q.bind(*b);
    }
    Ok(q.fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(id, qty, closed, taken)| (id, (qty, closed, taken)))
        .collect())
}

/// How each line of a stock-moving document is costed: receipts at their
/// price net of VAT, customer returns at the cost their shipment line left
/// with, shipments and returns to a supplier at the average.
async fn cost_moves(
    conn: &mut Conn,
    kind: DocKind,
    lines: &[DocLine],
) -> Result<Vec<crate::cost::Move>> {
    use crate::cost::{Move, Unit};
    let base: Vec<i64> = lines.iter().filter_map(|l| l.base_line_id).collect();
    let base_cost: std::collections::HashMap<i64, i64> =
        if kind == DocKind::Return && !base.is_empty() {
            let params: Vec<P> = base.iter().map(|b| P::from(*b)).collect();
            sql::query_as::<(i64, Option<i64>)>(&format!(
                "SELECT id, cost FROM document_lines WHERE id IN ({})",
                placeholders(1, base.len())
            ))
            .bind_all(&params)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .filter_map(|(id, c)| c.map(|c| (id, c)))
            .collect()
        } else {
            Default::default()
        };
    Ok(lines
        .iter()
        .map(|l| Move {
            line: Some(l.id),
            product: l.product_id,
            qty: kind.stock_sign() * l.qty,
            unit: match kind {
                DocKind::Receipt => Unit::At(crate::cost::net_of_vat(l.price, &l.vat_rate)),
                DocKind::Return => l
                    .base_line_id
                    .and_then(|b| base_cost.get(&b).copied())
                    .map_or(Unit::Average, Unit::At),
                _ => Unit::Average,
            },
        })
        .collect())
}

async fn allow_negative_stock(tx: &mut Conn) -> Result<bool> {
    Ok(queries::get_setting(tx, "allow_negative_stock")
        .await?
        .as_deref()
        == Some("true"))
}

impl App {
    /// Moves stock by `sign` × each line, refusing to go below zero unless
    /// the installation allows it. Stock rows are locked while checked.
    pub(super) async fn move_stock(
        &self,
        tx: &mut Conn,
        doc: &Document,
        lines: &[DocLine],
        sign: i64,
    ) -> Result<()> {
        let Some(wh) = doc.warehouse_id else {
            return Ok(());
        };
        let mut changes: Vec<StockChange> = Vec::new();
        for l in lines {
            match changes.iter_mut().find(|p| p.0 == l.product_id) {
                Some(p) => p.1 += sign * l.qty,
                None => changes.push((l.product_id, sign * l.qty, l.product_name.clone())),
            }
        }
        if let Some((name, have, delta)) =
            self.apply_stock(tx, doc.id, &doc.date, wh, changes).await?
        {
            return Err(err(
                "insufficient_stock",
                format!(
                    "Недостаточно товара «{name}» на складе: есть {}, нужно {}",
                    Qty(have).to_api(),
                    Qty(-delta).to_api()
                ),
                format!(
                    "Not enough '{name}' in stock: {} available, {} needed",
                    Qty(have).to_api(),
                    Qty(-delta).to_api()
                ),
            ));
        }
        Ok(())
    }

    /// Applies a document's stock changes at one warehouse in two
    /// statements whatever the number of lines: one upsert creates missing
    /// stock rows, adds every change and returns the new quantities (on
    /// PostgreSQL it locks the rows in product order, so two postings never
    /// deadlock); one insert appends the moves. Returns the first shortage
    /// `(name, have, delta)` instead, the changes taken back, unless
    /// negative stock is allowed.
    pub(crate) async fn apply_stock(
        &self,
        tx: &mut Conn,
        doc_id: i64,
        date: &str,
        wh: i64,
        mut changes: Vec<StockChange>,
    ) -> Result<Option<(String, i64, i64)>> {
        changes.retain(|c| c.1 != 0);
        if changes.is_empty() {
            return Ok(None);
        }
        changes.sort_by_key(|c| c.0);
        let negative_ok = allow_negative_stock(tx).await?;
        let n = changes.len();
        let mut params = vec![P::from(wh)];
        for c in &changes {
            params.extend([P::from(c.0), P::from(c.1)]);
        }
        let values = queries::joined(n, |out, k| {
            let _ = write!(out, "($1, ${}, CAST(${} AS BIGINT))", 2 * k + 2, 2 * k + 3);
        });
        // One statement creates missing rows, adds each change and returns
        // the new quantities (on PostgreSQL it locks the rows, in product
        // order): an upsert.
        let rows = queries::bind_all(
            sql::query(&format!("INSERT INTO stock (warehouse_id, product_id, qty) VALUES {values} ON CONFLICT (warehouse_id, product_id) DO UPDATE SET qty = stock.qty + excluded.qty RETURNING product_id, qty")),
            &params,
        )
        .fetch_all(&mut *tx)
        .await?;
        let after: std::collections::HashMap<i64, i64> = rows
            .iter()
            .map(|r| (r.get::<i64, _>("product_id"), r.get::<i64, _>("qty")))
            .collect();
        if !negative_ok {
            let short = changes.iter().find_map(|(product, delta, name)| {
                let now = after.get(product).copied().unwrap_or(0);
                (now < 0).then(|| (name.clone(), now - delta, *delta))
            });
            if let Some(short) = short {
                // Taken back, so a refusal writes nothing (a row created
                // for a product never stocked stays, at zero): a caller
                // may go on in the same transaction.
                let list = queries::joined(n, |out, k| {
                    let _ = write!(out, "${}", 2 * k + 2);
                });
                let mut case = String::new();
                for k in 0..n {
                    let _ = write!(
                        case,
                        " WHEN ${} THEN CAST(${} AS BIGINT)",
                        2 * k + 2,
                        2 * k + 3
                    );
                }
                queries::bind_all(
                    sql::query(&format!(
                        "UPDATE stock SET qty = qty - CASE product_id{case} ELSE 0 END WHERE warehouse_id = $1 AND product_id IN ({list})"
                    )),
                    &params,
                )
                .execute(&mut *tx)
                .await?;
                return Ok(Some(short));
            }
        }
        let mut mv = vec![P::from(doc_id), P::from(wh), P::from(date), P::from(now())];
        for c in &changes {
            mv.push(P::from(c.0));
            mv.push(P::from(c.1));
        }
        // A change's product and quantity are parameters 5 + 2k and 6 + 2k.
        let rows_sql = queries::joined(changes.len(), |out, k| {
            let _ = write!(out, "($1, $2, ${}, $3, ${}, $4)", 2 * k + 5, 2 * k + 6);
        });
        queries::bind_all(
            sql::query(&format!(
                "INSERT INTO stock_moves (document_id, warehouse_id, product_id, move_date, qty, created_at) VALUES {rows_sql}"
            )),
            &mv,
        )
        .execute(&mut *tx)
        .await?;
        Ok(None)
    }

    /// Appends the negation of a document's stock moves (cancelling).
    pub(crate) async fn reverse_stock(&self, tx: &mut Conn, doc_id: i64) -> Result<()> {
        let moves = sql::query("SELECT warehouse_id, product_id, qty, move_date FROM stock_moves WHERE document_id = $1 ORDER BY warehouse_id, product_id, id").bind(doc_id).fetch_all(&mut *tx).await?;
        // Per warehouse and date, net per product (a document's moves share
        // both; kept general all the same).
        let mut groups: Vec<((i64, String), Vec<StockChange>)> = Vec::new();
        for m in moves {
            let key = (
                m.get::<i64, _>("warehouse_id"),
                m.get::<String, _>("move_date"),
            );
            let (product, qty): (i64, i64) = (m.get("product_id"), m.get("qty"));
            let g = match groups.iter_mut().position(|g| g.0 == key) {
                Some(i) => &mut groups[i].1,
                None => {
                    groups.push((key, Vec::new()));
                    &mut groups.last_mut().expect("just pushed").1
                }
            };
            match g.iter_mut().find(|c| c.0 == product) {
                Some(c) => c.1 -= qty,
                None => g.push((product, -qty, String::new())),
            }
        }
        for ((wh, date), changes) in groups {
            if let Some((_, have, delta)) = self.apply_stock(tx, doc_id, &date, wh, changes).await?
            {
                return Err(err(
                    "insufficient_stock",
                    format!(
                        "Отмена оставит на складе {} — товар уже отгружен",
                        Qty(have + delta).to_api()
                    ),
                    format!(
                        "Cancelling would leave {} in stock — the goods have been shipped",
                        Qty(have + delta).to_api()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Posts a draft of any trade kind.
    pub async fn post_trade_doc(&self, actor: &Actor, kind: DocKind, id: i64) -> Result<Document> {
        self.post_trade_doc_with(actor, kind, id, &PostInput::default())
            .await
    }

    /// Posts a draft; `input.override_reason` is the typed reason a head
    /// gives for shipping over the customer's credit limit (kept in the
    /// audit log; without it such a posting is refused).
    pub async fn post_trade_doc_with(
        &self,
        actor: &Actor,
        kind: DocKind,
        id: i64,
        input: &PostInput,
    ) -> Result<Document> {
        actor.require(right_for(kind))?;
        let mut c = Check::new();
        let reason = c.opt_text("override_reason", &input.override_reason, 1000);
        c.done()?;
        write_tx!(self, [actor, reason], |app, tx| {
            app.post_in_tx(tx, actor, kind, id, reason).await
        })
    }

    /// Posting inside a write transaction the caller holds: the body of
    /// `post_trade_doc_with`, also used to create and post in one
    /// transaction (`create_trade_doc_posted`, `create_payment_posted`).
    pub(crate) async fn post_in_tx(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        kind: DocKind,
        id: i64,
        reason: &str,
    ) -> Result<Document> {
        Ok(self.post_in_tx_lines(tx, actor, kind, id, reason).await?.0)
    }

    /// `post_in_tx`, also giving the lines it read (posting changes none of
    /// what they show), so a caller need not read them again.
    #[allow(clippy::needless_borrow)] // written against an owned transaction (`&mut tx`)
    pub(super) async fn post_in_tx_lines(
        &self,
        mut tx: &mut Tx,
        actor: &Actor,
        kind: DocKind,
        id: i64,
        reason: &str,
    ) -> Result<(Document, Vec<DocLine>)> {
        let app = self;
        let doc = app.load_doc(&mut tx, kind, id, true).await?;
        let next = crate::document::check_draft(&doc)?
            .post()
            .map_err(crate::document::transition_error)?;
        let lines = load_lines(&mut tx, id).await?;
        // The document this one draws on: the order it fulfils, or the
        // shipment (receipt) it returns. Locked, so concurrent postings
        // against it queue and never take more than it has.
        let parent = if kind.order_kind().is_some() {
            doc.order_id
        } else {
            doc.base_id
        };
        // Parents, then the counterparty: the lock order of every
        // posting and cancelling path (see `lock_for_posting`).
        crate::document::lock_for_posting(&mut tx, &app.store, &doc).await?;
        if parent.is_some() {
            // What each base line has, and what posted documents of this
            // kind took from it: one statement for all the lines.
            let base: Vec<i64> = lines.iter().filter_map(|l| l.base_line_id).collect();
            let left_of = base_lines_left(&mut tx, &base, kind).await?;
            for l in lines.iter().filter(|l| l.base_line_id.is_some()) {
                let bl = l.base_line_id.unwrap_or_default();
                let (qty, closed, taken) = left_of.get(&bl).copied().unwrap_or_default();
                let (name, no, this) = (&l.product_name, l.line_no, Qty(l.qty).to_api());
                if kind.base_kind().is_some() {
                    let left = remaining(Qty(qty), Qty(taken), Qty(0));
                    if l.qty > left.0 {
                        return Err(err(
                            "exceeds_base",
                            format!(
                                "Строка {no}: «{name}» — можно вернуть {}, в возврате {this}",
                                left.to_api()
                            ),
                            format!(
                                "Line {no}: '{name}' — {} can be returned, {this} in the return",
                                left.to_api()
                            ),
                        ));
                    }
                } else {
                    let left = remaining(Qty(qty), Qty(taken), Qty(closed));
                    if l.qty > left.0 {
                        return Err(err(
                            "exceeds_order",
                            format!("Строка {no}: «{name}» — по заказу осталось {}, в документе {this}", left.to_api()),
                            format!("Line {no}: '{name}' — {} left on the order, {this} in the document", left.to_api()),
                        ));
                    }
                }
            }
        }
        let sign = kind.stock_sign();
        if sign != 0 {
            app.move_stock(&mut tx, &doc, &lines, sign).await?;
            if doc.warehouse_id.is_some() {
                // The cost rows are locked right after the stock rows.
                let moves = cost_moves(&mut tx, kind, &lines).await?;
                crate::cost::apply(&mut tx, &moves).await?;
            }
        }
        if matches!(kind, DocKind::Shipment | DocKind::Return) {
            crate::cost::record_sales(&mut tx, id).await?;
        }
        if matches!(
            kind,
            DocKind::Shipment | DocKind::Return | DocKind::Receipt | DocKind::SupplierReturn
        ) && lines.iter().any(|l| l.serial_tracked)
        {
            crate::serial::post_units(&mut tx, &doc, kind).await?;
        }
        if kind == DocKind::Return {
            crate::serial::refuse_flagged_to_repair(&mut tx, &doc).await?;
        }
        let settle = kind.settlement_sign() * doc.amount;
        if let (Some(cp), true) = (doc.counterparty_id, !kind.is_order() && doc.amount != 0) {
            if kind == DocKind::Shipment {
                // The counterparty row is locked first; its kept balance is
                // read only when there is a limit to check it against, in a
                // statement of its own (on PostgreSQL a snapshot taken after
                // the lock, so a posting that held it is seen).
                let (balance, limit): (i64, Option<i64>) = {
                    let l: Option<i64> = sql::query_scalar(&format!(
                        "SELECT credit_limit FROM counterparties WHERE id = $1{}",
                        app.store.for_update()
                    ))
                    .bind(cp)
                    .fetch_one(&mut *tx)
                    .await?;
                    let b: i64 = if l.is_some() {
                        sql::query_scalar::<Option<i64>>(
                            "SELECT balance FROM settlement_balances WHERE counterparty_id = $1",
                        )
                        .bind(cp)
                        .fetch_optional(&mut *tx)
                        .await?
                        .flatten()
                        .unwrap_or(0)
                    } else {
                        0
                    };
                    (b, l)
                };
                if let Some(limit) = limit.filter(|l| balance + settle > *l) {
                    let (b, a, l) = (
                        Money(balance).to_ru(),
                        Money(balance + settle).to_ru(),
                        Money(limit).to_ru(),
                    );
                    if !actor.can(Right::OverrideCreditLimit) {
                        return Err(err(
                            "credit_limit",
                            format!("Превышен кредитный лимит: долг {b}, после отгрузки {a}, лимит {l}"),
                            format!("Credit limit exceeded: balance {b}, after this shipment {a}, limit {l}"),
                        ));
                    }
                    if reason.is_empty() {
                        return Err(AppError::field(
                            "override_reason",
                            "override_reason_required",
                            format!("Превышен кредитный лимит (долг {b}, после отгрузки {a}, лимит {l}): укажите причину, чтобы провести"),
                            format!("Credit limit exceeded (balance {b}, after this shipment {a}, limit {l}): give a reason to post anyway"),
                        ));
                    }
                    audit(
                        &mut tx,
                        Some(actor.id()),
                        "credit_limit_override",
                        kind.code(),
                        id,
                        &format!("balance {b} → {a}, limit {l}; reason: {reason}"),
                    )
                    .await?;
                }
            }
            crate::document::write_entry(&mut tx, cp, doc.order_id, id, &doc.date, Money(settle))
                .await?;
            crate::pricing::record_purchase(
                &mut tx,
                cp,
                &doc.date,
                kind.purchase_sign() * doc.amount,
            )
            .await?;
        }
        let posted_at = crate::document::set_state(&mut tx, id, next, "posted_at", None).await?;
        audit(
            &mut tx,
            Some(actor.id()),
            "post",
            kind.code(),
            id,
            &format!("amount={}", Money(doc.amount)),
        )
        .await?;
        // The row as written, without reading it back.
        let mut d = doc;
        d.state = next.code().to_string();
        d.posted_at = Some(posted_at);
        Ok((d, lines))
    }
}
