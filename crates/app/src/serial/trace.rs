//! Finding units and their trace card.

use super::*;

// ------------------------------------------------------------------ trace, search

impl App {
    /// Units whose serial is `q` (any product), or starts with it.
    pub async fn find_units(&self, _actor: &Actor, q: &str) -> Result<Vec<UnitRow>> {
        let q = q.trim();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        // As typed first; then in capitals and as read from the Russian
        // layout, for a serial typed in lower case or scanned in ЙЦУКЕН.
        for v in kupets_domain::serial::serial_variants(q) {
            let rows = sql::query(&format!(
                "{UNIT_SQL} WHERE u.serial >= $1 AND u.serial < $2 ORDER BY u.serial, u.id LIMIT 50"
            ))
            .bind(&v)
            .bind(format!("{v}\u{10FFFF}"))
            .fetch_all(self.store.reader())
            .await?;
            if !rows.is_empty() {
                return Ok(rows.iter().map(|r| unit_row(r, today())).collect());
            }
        }
        Ok(Vec::new())
    }

    /// Units by product, state (`stock`, `customer`, …), customer and
    /// warehouse — each filter optional — newest first, at most `limit`.
    pub async fn list_units(
        &self,
        actor: &Actor,
        product: Option<i64>,
        state: Option<&str>,
        counterparty: Option<i64>,
        warehouse: Option<i64>,
        limit: i64,
    ) -> Result<Vec<UnitRow>> {
        actor.require(Right::Read)?;
        let rows = sql::query(&format!(
            "{UNIT_SQL} WHERE ($1 = 0 OR u.product_id = $1) AND ($2 = '' OR u.state = $2) \
             AND ($3 = 0 OR u.counterparty_id = $3) AND ($4 = 0 OR u.warehouse_id = $4) \
             ORDER BY u.id DESC LIMIT $5"
        ))
        .bind(product.unwrap_or(0))
        .bind(state.unwrap_or(""))
        .bind(counterparty.unwrap_or(0))
        .bind(warehouse.unwrap_or(0))
        .bind(limit.clamp(1, 1000))
        .fetch_all(self.store.reader())
        .await?;
        Ok(rows.iter().map(|r| unit_row(r, today())).collect())
    }

    /// The trace card of a unit.
    pub async fn trace(&self, _actor: &Actor, unit_id: i64) -> Result<TraceCard> {
        let mut conn = self.store.read_conn().await?;
        let on = today();
        let r = sql::query(&format!("{UNIT_SQL} WHERE u.id = $1"))
            .bind(unit_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(AppError::NotFound { entity: "unit" })?;
        let unit = unit_row(&r, on);
        let production_number: Option<String> = sql::query_scalar("SELECT d.number FROM units u JOIN documents d ON d.id = u.production_id WHERE u.id = $1")
            .bind(unit_id)
            .fetch_optional(&mut *conn)
            .await?;
        let comps = sql::query(
            "SELECT c.product_id, p.name, c.qty, cu.serial, c.component_unit_id, c.lot, di.number AS installed, dr.number AS removed, c.removed_date \
             FROM unit_components c JOIN products p ON p.id = c.product_id LEFT JOIN units cu ON cu.id = c.component_unit_id \
             LEFT JOIN documents di ON di.id = c.installed_by LEFT JOIN documents dr ON dr.id = c.removed_by WHERE c.unit_id = $1 ORDER BY c.id",
        )
        .bind(unit_id)
        .fetch_all(&mut *conn)
        .await?;
        let components = comps
            .iter()
            .map(|c| ComponentRow {
                product_id: c.get("product_id"),
                product_name: c.get("name"),
                qty: Qty(c.get("qty")).to_api(),
                serial: c.get("serial"),
                component_unit_id: c.get("component_unit_id"),
                lot: c.get("lot"),
                installed_by: c.get("installed"),
                removed_by: c.get("removed"),
                removed_date: c.get("removed_date"),
            })
            .collect();
        let mv = sql::query(
            "SELECT m.move_date, m.kind, m.document_id, d.kind AS dkind, d.number, c.name AS cp, w.name AS wh, m.note \
             FROM unit_moves m LEFT JOIN documents d ON d.id = m.document_id LEFT JOIN counterparties c ON c.id = m.counterparty_id \
             LEFT JOIN warehouses w ON w.id = m.warehouse_id WHERE m.unit_id = $1 ORDER BY m.id",
        )
        .bind(unit_id)
        .fetch_all(&mut *conn)
        .await?;
        let moves = mv
            .iter()
            .map(|m| MoveRow {
                date: m.get("move_date"),
                kind: m.get("kind"),
                document_id: m.get("document_id"),
                document_kind: m.get("dkind"),
                document_number: m.get("number"),
                counterparty_name: m.get("cp"),
                warehouse_name: m.get("wh"),
                note: m.get("note"),
            })
            .collect();
        let rp = sql::query(&format!("{REPAIR_SQL} WHERE r.unit_id = $1 ORDER BY d.id"))
            .bind(unit_id)
            .fetch_all(&mut *conn)
            .await?;
        let parents = sql::query(&format!(
            "{UNIT_SQL} WHERE u.id IN (SELECT unit_id FROM unit_components WHERE component_unit_id = $1) ORDER BY u.id"
        ))
        .bind(unit_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(TraceCard {
            unit,
            production_number,
            components,
            moves,
            repairs: rp.iter().map(repair_row).collect(),
            built_into: parents.iter().map(|r| unit_row(r, on)).collect(),
        })
    }
}
