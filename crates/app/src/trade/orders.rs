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
            let doc = app.doc_in_tx(&mut tx, kind, order_id, true).await?;
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
        let fulfil = fulfilled_by(kind);
        // Sales: shipments raise and payments lower the debt; purchases the reverse.
        let side: i64 = if kind == DocKind::PurchaseOrder {
            -1
        } else {
            1
        };
        // A read of several statements: on the request's thread, on a
        // reader connection (see `get_trade_doc`).
        let app = self.clone();
        let (document, lines, left_of, sums) = self
            .store
            .read_here(move |tx| {
                Box::pin(async move {
                    let document = app.doc_in_tx(&mut *tx, kind, id, false).await?;
                    let lines = load_lines(&mut *tx, id).await?;
                    let ids: Vec<i64> = lines.iter().map(|l| l.id).collect();
                    let left_of = base_lines_left(&mut *tx, &ids, fulfil).await?;
                    let sums = sql::query(
                        "SELECT CAST(COALESCE(SUM(CASE WHEN d.kind = $2 THEN e.amount ELSE 0 END), 0) AS BIGINT) AS shipped, \
                                CAST(COALESCE(SUM(CASE WHEN d.kind IN ('payment_in', 'payment_out') THEN -e.amount ELSE 0 END), 0) AS BIGINT) AS paid \
                         FROM settlement_entries e JOIN documents d ON d.id = e.document_id WHERE e.order_id = $1",
                    )
                    .bind(id)
                    .bind(fulfil.code())
                    .fetch_one(&mut *tx)
                    .await?;
                    Ok::<_, AppError>((document, lines, left_of, sums))
                })
            })
            .await?;
        let mut views = Vec::new();
        let mut progress = Vec::new();
        for l in lines {
            let shipped = left_of.get(&l.id).map_or(0, |&(_, _, taken)| taken);
            let left = remaining(Qty(l.qty), Qty(shipped), Qty(l.closed_qty));
            progress.push((Qty(l.qty), Qty(shipped), Qty(l.closed_qty)));
            views.push(OrderLineView {
                shipped: Qty(shipped).to_api(),
                remaining: Qty(left.0.max(0)).to_api(),
                line: l,
            });
        }
        let shipped = Money(side * sums.int("shipped"));
        let paid = Money(side * sums.int("paid"));
        let total = Money(document.amount);
        Ok(OrderView {
            lines: views,
            ordered_amount: total.to_api(),
            shipped_amount: shipped.to_api(),
            paid_amount: paid.to_api(),
            shipment_state: shipment_state(&progress),
            payment_state: payment_state(total, shipped, paid),
            document,
        })
    }
    /// A customer's posted sales orders with something left to ship.
    pub async fn open_orders(&self, actor: &Actor, counterparty_id: i64) -> Result<Vec<OrderView>> {
        let ids = self
            .store
            .read_rows("SELECT id FROM documents WHERE kind = 'sales_order' AND state = 'posted' AND counterparty_id = $1 ORDER BY doc_date DESC, id DESC LIMIT 50".into(), vec![P::from(counterparty_id)], |r| r.int("id"))
            .await?;
        let mut out = Vec::new();
        for id in ids {
            let v = self.order_view(actor, DocKind::SalesOrder, id).await?;
            if v.shipment_state != ShipmentState::Shipped {
                out.push(v);
            }
        }
        Ok(out)
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
