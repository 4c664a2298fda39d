//! Serials on shipments, returns and receipts: checks and unit moves.

use super::*;

// ------------------------------------------------------------------ serials on documents

/// Whether a unit was named on the line a return reverses.
async fn on_base_line(tx: &mut Conn, base_line: Option<i64>, unit: i64) -> Result<bool> {
    let Some(bl) = base_line else {
        return Ok(false);
    };
    let hit: Option<i64> =
        sql::query_scalar("SELECT unit_id FROM line_units WHERE line_id = $1 AND unit_id = $2")
            .bind(bl)
            .bind(unit)
            .fetch_optional(&mut *tx)
            .await?;
    Ok(hit.is_some())
}

/// What every serial list on a line shares: a plain product takes none; a
/// serial-tracked one takes one per unit (whole quantities only); each is
/// trimmed and checked. Returns the usable serials.
fn serial_list(
    c: &mut Check,
    field: &str,
    tracked: bool,
    qty: i64,
    serials: &[String],
) -> Vec<String> {
    if !tracked {
        if !serials.is_empty() {
            c.err(
                field,
                "not_serial_tracked",
                "Товар не учитывается по серийным номерам",
                "The product is not serial-tracked",
            );
        }
        return Vec::new();
    }
    let wanted = if qty % 1000 == 0 { qty / 1000 } else { -1 };
    if wanted != serials.len() as i64 {
        c.err(
            field,
            "wrong_serial_count",
            format!(
                "Нужно серийных номеров: {}, указано: {}",
                Qty(qty).to_api(),
                serials.len()
            ),
            format!(
                "{} serials needed, {} given",
                Qty(qty).to_api(),
                serials.len()
            ),
        );
    }
    let mut out = Vec::new();
    for raw in serials {
        match parse_serial(raw) {
            Ok(sn) => out.push(sn),
            Err(_) => c.err(
                field,
                "invalid_serial",
                "Пустой или неверный серийный номер",
                "An empty or invalid serial",
            ),
        }
    }
    out
}

/// Checks the serials of a shipment or return line: a shipment ships units
/// in stock at its warehouse; a customer return takes back units shipped on
/// the line it returns and still at that customer; a return to the supplier
/// sends back units received on its line and still in stock.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn line_serials(
    c: &mut Check,
    tx: &mut Conn,
    field: &str,
    kind: DocKind,
    product: i64,
    tracked: bool,
    qty: i64,
    serials: &[String],
    wh: Option<i64>,
    base_line: Option<i64>,
    cp: i64,
    taken: &mut Vec<i64>,
) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for sn in serial_list(c, field, tracked, qty, serials) {
        // Typed in lower case or scanned in the Russian layout: the same unit;
        // an exact match wins.
        let v = variants4(&sn);
        let unit: Option<(i64, String, Option<i64>, Option<i64>)> = sql::query_as(
            "SELECT id, state, warehouse_id, counterparty_id FROM units WHERE product_id = $1 AND serial IN ($2, $3, $4, $5) ORDER BY CASE WHEN serial = $2 THEN 0 ELSE 1 END, id LIMIT 1",
        )
        .bind(product)
        .bind(&v[0])
        .bind(&v[1])
        .bind(&v[2])
        .bind(&v[3])
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id, state, uwh, ucp)) = unit else {
            c.err(
                field,
                "unknown_serial",
                format!("Нет единицы с серийным номером {sn}"),
                format!("No unit with serial {sn}"),
            );
            continue;
        };
        if taken.contains(&id) {
            c.err(
                field,
                "duplicate_serial",
                format!("Серийный номер {sn} указан дважды"),
                format!("Serial {sn} is given twice"),
            );
            continue;
        }
        taken.push(id);
        match kind {
            DocKind::Shipment => {
                if state != "stock" || (wh.is_some() && uwh != wh) {
                    c.err(
                        field,
                        "not_in_stock",
                        format!("{sn} нет на складе отгрузки"),
                        format!("{sn} is not in stock at this warehouse"),
                    );
                }
            }
            DocKind::SupplierReturn => {
                if !on_base_line(tx, base_line, id).await?
                    || state != "stock"
                    || (wh.is_some() && uwh != wh)
                {
                    c.err(
                        field,
                        "not_received_here",
                        format!("{sn} не поступал по этой строке или его нет на складе"),
                        format!("{sn} did not arrive on that line or is not in stock"),
                    );
                }
            }
            _ => {
                if !on_base_line(tx, base_line, id).await?
                    || state != "customer"
                    || (cp != 0 && ucp != Some(cp))
                {
                    c.err(
                        field,
                        "not_shipped_here",
                        format!("{sn} не отгружался по этой строке или уже возвращён"),
                        format!("{sn} was not shipped on that line or is already back"),
                    );
                }
            }
        }
        out.push(id);
    }
    Ok(out)
}

/// Checks the serials of a receipt line of a serial-tracked product: one
/// per unit, new for the product, not repeated.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn receipt_serials(
    c: &mut Check,
    tx: &mut Conn,
    field: &str,
    product: i64,
    tracked: bool,
    qty: i64,
    serials: &[String],
    taken: &mut Vec<(i64, String)>,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for sn in serial_list(c, field, tracked, qty, serials) {
        if taken.iter().any(|t| t.0 == product && t.1 == sn) {
            c.err(
                field,
                "duplicate_serial",
                format!("Серийный номер {sn} указан дважды"),
                format!("Serial {sn} is given twice"),
            );
            continue;
        }
        taken.push((product, sn.clone()));
        let exists: Option<i64> =
            sql::query_scalar("SELECT id FROM units WHERE product_id = $1 AND serial = $2")
                .bind(product)
                .bind(&sn)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_some() {
            c.err(
                field,
                "duplicate_serial",
                format!("Единица с серийным номером {sn} уже есть"),
                format!("A unit with serial {sn} exists"),
            );
        }
        out.push(sn);
    }
    Ok(out)
}

/// Removes the `incoming` units a draft receipt made for its lines (when
/// the draft's lines are rewritten).
pub(crate) async fn drop_incoming(tx: &mut Conn, doc: i64) -> Result<()> {
    let ids: Vec<i64> = sql::query_scalar(
        "SELECT u.id FROM line_units lu JOIN document_lines l ON l.id = lu.line_id JOIN units u ON u.id = lu.unit_id WHERE l.document_id = $1 AND u.state = 'incoming'",
    )
    .bind(doc)
    .fetch_all(&mut *tx)
    .await?;
    for id in ids {
        sql::query("DELETE FROM line_units WHERE unit_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sql::query("DELETE FROM units WHERE id = $1 AND state = 'incoming'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// The units named on a document's lines.
pub(super) async fn doc_units(tx: &mut Conn, doc: i64) -> Result<Vec<(i64, String)>> {
    Ok(sql::query_as(
        "SELECT u.id, u.serial FROM line_units lu JOIN document_lines l ON l.id = lu.line_id JOIN units u ON u.id = lu.unit_id WHERE l.document_id = $1 ORDER BY u.id",
    )
    .bind(doc)
    .fetch_all(&mut *tx)
    .await?)
}

/// Posting a shipment or customer return moves its units; each update is
/// conditional on where the unit must be, so two documents naming one
/// serial cannot both post.
pub(crate) async fn post_units(
    tx: &mut Conn,
    doc: &kupets_store::model::Document,
    kind: DocKind,
) -> Result<()> {
    let units = doc_units(tx, doc.id).await?;
    let wh = doc.warehouse_id;
    for (u, sn) in units {
        let n = match kind {
            DocKind::SupplierReturn => sql::query(
                "UPDATE units SET state = 'supplier', warehouse_id = NULL WHERE id = $1 AND state = 'stock' AND warehouse_id = $2",
            )
            .bind(u)
            .bind(wh)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
            DocKind::Receipt => sql::query("UPDATE units SET state = 'stock', warehouse_id = $1, production_date = $2, batch = $3 WHERE id = $4 AND state = 'incoming'")
                .bind(wh)
                .bind(&doc.date)
                .bind(&doc.number)
                .bind(u)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            DocKind::Shipment => sql::query("UPDATE units SET state = 'customer', warehouse_id = NULL, counterparty_id = $1, shipment_id = $2, shipped_date = $3 WHERE id = $4 AND state = 'stock' AND warehouse_id = $5")
                .bind(doc.counterparty_id)
                .bind(doc.id)
                .bind(&doc.date)
                .bind(u)
                .bind(wh)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
            _ => sql::query("UPDATE units SET state = 'stock', warehouse_id = $1, counterparty_id = NULL, shipment_id = NULL WHERE id = $2 AND state = 'customer' AND counterparty_id = $3")
                .bind(wh)
                .bind(u)
                .bind(doc.counterparty_id)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
        };
        if n == 0 {
            return Err(conflict(
                "serial_moved",
                format!("{sn}: единица уже не там, где документ её ожидает (отгружена или возвращена другим документом)"),
                format!("{sn}: the unit is no longer where the document expects it (shipped or returned by another document)"),
            ));
        }
        let (mkind, note) = match (kind, doc.replacement_for_id) {
            (DocKind::Receipt, _) => ("received", String::new()),
            (DocKind::SupplierReturn, _) => ("returned_to_supplier", String::new()),
            (DocKind::Shipment, Some(r)) => ("shipped", format!("замена по возврату {r}")),
            (DocKind::Shipment, None) => ("shipped", String::new()),
            _ => ("returned", String::new()),
        };
        add_move(
            tx,
            u,
            Some(doc.id),
            mkind,
            &doc.date,
            doc.counterparty_id,
            wh,
            &note,
        )
        .await?;
        if kind == DocKind::Return {
            sql::query("UPDATE recall_units SET progress = 'returned', updated_at = $1 WHERE unit_id = $2 AND progress IN ('pending', 'contacted')")
                .bind(now())
                .bind(u)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

/// Cancelling puts units back where the document found them, or refuses
/// when a unit has moved on since (cancel the later document first).
pub(crate) async fn undo_units(tx: &mut Conn, doc_id: i64) -> Result<()> {
    let d = sql::query("SELECT kind, warehouse_id, counterparty_id, base_id, doc_date FROM documents WHERE id = $1")
        .bind(doc_id)
        .fetch_one(&mut *tx)
        .await?;
    let kind = DocKind::parse(&d.get::<String, _>("kind"));
    let wh: Option<i64> = d.get("warehouse_id");
    let date: String = d.get("doc_date");
    let moved = |sn: &str| {
        conflict(
            "serial_moved",
            format!(
                "{sn}: единица с тех пор перемещена — сначала отмените более поздние документы"
            ),
            format!("{sn}: the unit has moved since — cancel the later documents first"),
        )
    };
    match kind {
        Some(DocKind::Shipment) => {
            for (u, sn) in doc_units(tx, doc_id).await? {
                let n = sql::query("UPDATE units SET state = 'stock', warehouse_id = $1, counterparty_id = NULL, shipment_id = NULL, shipped_date = NULL WHERE id = $2 AND state = 'customer' AND shipment_id = $3")
                    .bind(wh)
                    .bind(u)
                    .bind(doc_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err(moved(&sn));
                }
                add_move(
                    tx,
                    u,
                    Some(doc_id),
                    "cancelled",
                    &date,
                    None,
                    wh,
                    "отмена отгрузки",
                )
                .await?;
            }
        }
        Some(DocKind::Return) => {
            let cp: Option<i64> = d.get("counterparty_id");
            let base: Option<i64> = d.get("base_id");
            for (u, sn) in doc_units(tx, doc_id).await? {
                let n = sql::query("UPDATE units SET state = 'customer', warehouse_id = NULL, counterparty_id = $1, shipment_id = $2 WHERE id = $3 AND state = 'stock' AND warehouse_id = $4")
                    .bind(cp)
                    .bind(base)
                    .bind(u)
                    .bind(wh)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err(moved(&sn));
                }
                add_move(
                    tx,
                    u,
                    Some(doc_id),
                    "cancelled",
                    &date,
                    cp,
                    None,
                    "отмена возврата",
                )
                .await?;
            }
        }
        Some(DocKind::SupplierReturn) => {
            for (u, sn) in doc_units(tx, doc_id).await? {
                let n = sql::query(
                    "UPDATE units SET state = 'stock', warehouse_id = $1 WHERE id = $2 AND state = 'supplier'",
                )
                .bind(wh)
                .bind(u)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 0 {
                    return Err(moved(&sn));
                }
                add_move(
                    tx,
                    u,
                    Some(doc_id),
                    "cancelled",
                    &date,
                    None,
                    wh,
                    "отмена возврата поставщику",
                )
                .await?;
            }
        }
        Some(DocKind::Receipt) => {
            for (u, sn) in doc_units(tx, doc_id).await? {
                let n = sql::query("UPDATE units SET state = 'cancelled', warehouse_id = NULL WHERE id = $1 AND state = 'stock' AND warehouse_id = $2")
                    .bind(u)
                    .bind(wh)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err(moved(&sn));
                }
                add_move(
                    tx,
                    u,
                    Some(doc_id),
                    "cancelled",
                    &date,
                    None,
                    wh,
                    "отмена поступления",
                )
                .await?;
            }
        }
        Some(DocKind::Production) => {
            let made: Vec<(i64, String, String, Option<i64>)> = sql::query_as(
                "SELECT id, serial, state, warehouse_id FROM units WHERE production_id = $1",
            )
            .bind(doc_id)
            .fetch_all(&mut *tx)
            .await?;
            for (u, sn, state, uwh) in &made {
                if state != "stock" || *uwh != wh {
                    return Err(moved(sn));
                }
                sql::query(
                    "UPDATE units SET state = 'cancelled', warehouse_id = NULL WHERE id = $1",
                )
                .bind(*u)
                .execute(&mut *tx)
                .await?;
                add_move(
                    tx,
                    *u,
                    Some(doc_id),
                    "cancelled",
                    &date,
                    None,
                    wh,
                    "отмена производства",
                )
                .await?;
            }
            let parts: Vec<(i64,)> = sql::query_as("SELECT c.component_unit_id FROM unit_components c JOIN units u ON u.id = c.unit_id WHERE u.production_id = $1 AND c.component_unit_id IS NOT NULL")
                .bind(doc_id)
                .fetch_all(&mut *tx)
                .await?;
            for (cu,) in parts {
                sql::query("UPDATE units SET state = 'stock', warehouse_id = $1 WHERE id = $2")
                    .bind(wh)
                    .bind(cu)
                    .execute(&mut *tx)
                    .await?;
                add_move(
                    tx,
                    cu,
                    Some(doc_id),
                    "cancelled",
                    &date,
                    None,
                    wh,
                    "отмена производства",
                )
                .await?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A serial's variants (`serial_variants`), always four for one statement
/// text (the last repeated).
pub(crate) fn variants4(sn: &str) -> [String; 4] {
    let v = kupets_domain::serial::serial_variants(sn);
    let at = |i: usize| v.get(i).or(v.last()).cloned().unwrap_or_default();
    [at(0), at(1), at(2), at(3)]
}
