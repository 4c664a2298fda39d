//! A sales or purchase order's progress: what was shipped (received), what
//! is left, what was paid, and closing a line's remainder; a customer's open
//! orders and documents for the card.

use super::post::base_lines_left;
use super::*;

impl App {
    /// Closes the remainder of a posted order's line, with a reason.
    pub async fn close_order_line(
        &self,
        actor: &Actor,
        kind: DocKind,
        order_id: i64,
        line_id: i64,
        input: &CloseLineInput,
    ) -> Result<OrderView> {
        actor.require(right_for(kind))?;
        let fulfil = fulfilled_by(kind);
        let mut c = Check::new();
        let reason = c.text("reason", &input.reason, 500);
        c.done()?;
        write_tx!(self, [actor, input], own[reason], |app, tx| {
            let doc = app.load_doc(&mut tx, kind, order_id, true).await?;
            if doc.state != "posted" {
                return Err(err(
                    "order_not_posted",
                    "Закрыть остаток можно только у проведённого заказа".into(),
                    "Only a posted order's remainder can be closed".into(),
                ));
            }
            let r = sql::query(
                "SELECT qty, closed_qty FROM document_lines WHERE id = $1 AND document_id = $2",
            )
            .bind(line_id)
            .bind(order_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::NotFound {
                entity: "order line",
            })?;
            let taken = base_lines_left(&mut tx, &[line_id], fulfil)
                .await?
                .get(&line_id)
                .map_or(0, |&(_, _, taken)| taken);
            let left = remaining(Qty(r.get("qty")), Qty(taken), Qty(r.get("closed_qty")));
            if left.0 <= 0 {
                return Err(err(
                    "nothing_left",
                    "По строке нечего закрывать".into(),
                    "Nothing is left on this line".into(),
                ));
            }
            sql::query("UPDATE document_lines SET closed_qty = closed_qty + $1, close_reason = $2 WHERE id = $3").bind(left.0).bind(&reason).bind(line_id).execute(&mut *tx).await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "close_line",
                kind.code(),
                order_id,
                &format!("line {line_id}: {} closed — {reason}", left.to_api()),
            )
            .await?;
            Ok(())
        })?;
        self.order_view(actor, kind, order_id).await
    }

    /// The order with ordered, shipped, remaining and paid, and its states.
    pub async fn order_view(&self, _actor: &Actor, kind: DocKind, id: i64) -> Result<OrderView> {
        // A read of several statements: on the request's thread, on a
        // reader connection (see `get_trade_doc`).
        let app = self.clone();
        let mut views = self
            .store
            .read_here(move |tx| {
                Box::pin(async move {
                    let document = app.load_doc(&mut *tx, kind, id, false).await?;
                    order_views(&mut *tx, kind, vec![document]).await
                })
            })
            .await?;
        views.pop().ok_or(AppError::NotFound { entity: "document" })
    }

    /// A customer's posted sales orders with something left to ship (the
    /// newest 50 posted orders, those fully shipped left out).
    pub async fn open_orders(
        &self,
        _actor: &Actor,
        counterparty_id: i64,
    ) -> Result<Vec<OrderView>> {
        // Four statements for all the orders, on one reader snapshot.
        self.store
            .read_here(move |tx| {
                Box::pin(async move {
                    let sql = format!("SELECT {} FROM documents WHERE kind = 'sales_order' AND state = 'posted' AND counterparty_id = $1 ORDER BY doc_date DESC, id DESC LIMIT 50", Document::COLS);
                    let docs: Vec<Document> = sql::query(&sql)
                        .bind(counterparty_id)
                        .fetch_all(&mut *tx)
                        .await?
                        .iter()
                        .map(|r| Document::from_row(r))
                        .collect();
                    let views = order_views(&mut *tx, DocKind::SalesOrder, docs).await?;
                    Ok::<_, AppError>(
                        views
                            .into_iter()
                            .filter(|v| v.shipment_state != ShipmentState::Shipped)
                            .collect(),
                    )
                })
            })
            .await
    }

    /// Every document of a counterparty, newest first (the card's list).
    pub async fn counterparty_documents(
        &self,
        _actor: &Actor,
        counterparty_id: i64,
        limit: i64,
    ) -> Result<Vec<Document>> {
        let sql = format!("SELECT {} FROM documents WHERE counterparty_id = $1 ORDER BY doc_date DESC, id DESC LIMIT $2", Document::COLS);
        Ok(self
            .store
            .read_rows(sql, vec![P::from(counterparty_id), P::from(limit)], |r| {
                Document::from_row(r)
            })
            .await?)
    }
}

/// Orders' progress, in the order given: their lines with what was
/// fulfilled and what is left, and what was shipped (received) and paid —
/// three statements however many orders.
async fn order_views(
    conn: &mut Conn,
    kind: DocKind,
    docs: Vec<Document>,
) -> Result<Vec<OrderView>> {
    if docs.is_empty() {
        return Ok(Vec::new());
    }
    let fulfil = fulfilled_by(kind);
    // Sales: shipments raise and payments lower the debt; purchases the reverse.
    let side: i64 = if kind == DocKind::PurchaseOrder {
        -1
    } else {
        1
    };
    let ids: Vec<P> = docs.iter().map(|d| P::from(d.id)).collect();
    let sql = format!(
        "SELECT {}, l.document_id AS line_of FROM document_lines l JOIN products p ON p.id = l.product_id WHERE l.document_id IN ({}) ORDER BY l.document_id, l.line_no",
        DocLine::COLS,
        placeholders(1, ids.len())
    );
    let mut lines_of: std::collections::HashMap<i64, Vec<DocLine>> = Default::default();
    for r in sql::query(&sql)
        .bind_all(&ids)
        .fetch_all(&mut *conn)
        .await?
    {
        lines_of
            .entry(r.int("line_of"))
            .or_default()
            .push(DocLine::from_row(&r));
    }
    let line_ids: Vec<i64> = lines_of.values().flatten().map(|l| l.id).collect();
    let left_of = base_lines_left(&mut *conn, &line_ids, fulfil).await?;
    let mut params = vec![P::from(fulfil.code())];
    params.extend(ids.iter().cloned());
    let sums: std::collections::HashMap<i64, (i64, i64)> = sql::query(&format!(
        "SELECT e.order_id, CAST(COALESCE(SUM(CASE WHEN d.kind = $1 THEN e.amount ELSE 0 END), 0) AS BIGINT) AS shipped, \
                CAST(COALESCE(SUM(CASE WHEN d.kind IN ('payment_in', 'payment_out') THEN -e.amount ELSE 0 END), 0) AS BIGINT) AS paid \
         FROM settlement_entries e JOIN documents d ON d.id = e.document_id WHERE e.order_id IN ({}) GROUP BY e.order_id",
        placeholders(2, ids.len())
    ))
    .bind_all(&params)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| (r.int("order_id"), (r.int("shipped"), r.int("paid"))))
    .collect();
    Ok(docs
        .into_iter()
        .map(|document| {
            let mut views = Vec::new();
            let mut progress = Vec::new();
            for l in lines_of.remove(&document.id).unwrap_or_default() {
                let shipped = left_of.get(&l.id).map_or(0, |&(_, _, taken)| taken);
                let left = remaining(Qty(l.qty), Qty(shipped), Qty(l.closed_qty));
                progress.push((Qty(l.qty), Qty(shipped), Qty(l.closed_qty)));
                views.push(OrderLineView {
                    shipped: Qty(shipped).to_api(),
                    remaining: Qty(left.0.max(0)).to_api(),
                    line: l,
                });
            }
            let (shipped, paid) = sums.get(&document.id).copied().unwrap_or((0, 0));
            let (shipped, paid) = (Money(side * shipped), Money(side * paid));
            let total = Money(document.amount);
            OrderView {
                lines: views,
                ordered_amount: total.to_api(),
                shipped_amount: shipped.to_api(),
                paid_amount: paid.to_api(),
                shipment_state: shipment_state(&progress),
                payment_state: payment_state(total, shipped, paid),
                document,
            }
        })
        .collect())
}
