//! Recalls: units selected by lot, serial range or component.

use super::*;

// ------------------------------------------------------------------ recalls

#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct RecallCriteria {
    /// Units of this product…
    #[serde(default, deserialize_with = "lenient")]
    pub product_id: Option<String>,
    /// …produced from…
    #[serde(default, deserialize_with = "lenient")]
    pub from: Option<String>,
    /// …to (both included);
    #[serde(default, deserialize_with = "lenient")]
    pub to: Option<String>,
    /// or of a batch;
    #[serde(default, deserialize_with = "lenient")]
    pub batch: Option<String>,
    /// or containing a component lot (of `component_product_id`, if given);
    #[serde(default, deserialize_with = "lenient")]
    pub component_lot: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub component_product_id: Option<String>,
    /// or a component with this serial.
    #[serde(default, deserialize_with = "lenient")]
    pub component_serial: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecallUnit {
    #[serde(flatten)]
    pub unit: UnitRow,
    /// Found by a component that has since been replaced in a repair.
    pub component_removed: bool,
    /// Campaigns: `pending`, `contacted`, `returned`, `repaired`.
    pub progress: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RecallInput {
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub criteria: RecallCriteria,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recall {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
    pub criteria: String,
    pub created_at: String,
    pub units: Vec<RecallUnit>,
    pub pending: i64,
    pub contacted: i64,
    pub returned: i64,
    pub repaired: i64,
    /// Every unit returned or repaired.
    pub done: bool,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ProgressInput {
    /// `pending`, `contacted`, `returned`, `repaired`.
    #[serde(default, deserialize_with = "lenient")]
    pub progress: Option<String>,
}

impl App {
    /// Units matching a recall's criteria, with their current customer,
    /// shipment and warranty state.
    pub async fn recall_search(
        &self,
        _actor: &Actor,
        k: &RecallCriteria,
    ) -> Result<Vec<RecallUnit>> {
        let mut conn = self.store.read_conn().await?;
        recall_units(&mut conn, k).await
    }

    /// Opens a recall campaign: the units found, and a reminder on each
    /// affected shipment for its manager.
    pub async fn open_recall(&self, actor: &Actor, input: &RecallInput) -> Result<Recall> {
        actor.require(Right::LeadDepartment)?;
        let mut c = Check::new();
        let name = c.text("name", &input.name, 200);
        c.done()?;
        write_tx!(self, [actor, input], own[name], |app, tx| {
            let units = recall_units(&mut tx, &input.criteria).await?;
            if units.is_empty() {
                return Err(conflict(
                    "nothing_found",
                    "Под условия отзыва не попала ни одна единица".into(),
                    "No unit matches the recall".into(),
                ));
            }
            let criteria = serde_json::json!({
                "product_id": input.criteria.product_id, "from": input.criteria.from, "to": input.criteria.to,
                "batch": input.criteria.batch, "component_lot": input.criteria.component_lot,
                "component_product_id": input.criteria.component_product_id, "component_serial": input.criteria.component_serial,
            })
            .to_string();
            let id = kupets_store::queries::insert(
                &mut tx,
                "recalls",
                &[
                    ("name", P::from(name.as_str())),
                    ("criteria", P::from(criteria)),
                    ("created_by", P::from(Some(actor.id()))),
                    ("created_at", P::from(now())),
                ],
            )
            .await?;
            let mut shipments: HashMap<i64, Vec<String>> = HashMap::new();
            for u in &units {
                sql::query("INSERT INTO recall_units (recall_id, unit_id, shipment_id, counterparty_id, progress, updated_at) VALUES ($1, $2, $3, $4, 'pending', $5)")
                    .bind(id)
                    .bind(u.unit.id)
                    .bind(u.unit.shipment_id)
                    .bind(u.unit.counterparty_id)
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                if let Some(s) = u.unit.shipment_id {
                    shipments.entry(s).or_default().push(u.unit.serial.clone());
                }
            }
            let remind: (i64, Option<i64>) =
                sql::query_as("SELECT id, funnel_stage FROM statuses WHERE code = 'remind'")
                    .fetch_one(&mut *tx)
                    .await?;
            let mut ids: Vec<&i64> = shipments.keys().collect();
            ids.sort();
            for s in ids {
                let serials = &shipments[s];
                crate::status::write_assignment(
                    &mut tx,
                    *s,
                    remind.0,
                    remind.1,
                    today(),
                    &format!(
                        "Отзыв «{name}»: связаться с клиентом, серийные номера {}",
                        serials.join(", ")
                    ),
                    actor.id(),
                )
                .await?;
            }
            audit(
                &mut tx,
                Some(actor.id()),
                "create",
                "recall",
                id,
                &format!("{name}: {} units", units.len()),
            )
            .await?;
            let r = load_recall(&mut tx, id).await?;
            Ok(r)
        })
    }

    pub async fn get_recall(&self, _actor: &Actor, id: i64) -> Result<Recall> {
        let mut conn = self.store.read_conn().await?;
        load_recall(&mut conn, id).await
    }

    pub async fn list_recalls(&self, _actor: &Actor) -> Result<Vec<(i64, String, String, i64)>> {
        Ok(sql::query_as("SELECT r.id, r.name, r.created_at, (SELECT COUNT(*) FROM recall_units x WHERE x.recall_id = r.id) FROM recalls r ORDER BY r.id DESC LIMIT 200")
            .fetch_all(self.store.reader())
            .await?)
    }

    pub async fn set_recall_progress(
        &self,
        actor: &Actor,
        recall: i64,
        unit: i64,
        input: &ProgressInput,
    ) -> Result<Recall> {
        actor.require(Right::Repair)?;
        let p = input.progress.as_deref().map(str::trim).unwrap_or("");
        if !matches!(p, "pending" | "contacted" | "returned" | "repaired") {
            return Err(AppError::field(
                "progress",
                "invalid_progress",
                "Ход: pending, contacted, returned или repaired",
                "Progress: pending, contacted, returned or repaired",
            ));
        }
        write_tx!(self, [actor, input, p], |app, tx| {
            let n = sql::query("UPDATE recall_units SET progress = $1, updated_at = $2 WHERE recall_id = $3 AND unit_id = $4")
                .bind(p)
                .bind(now())
                .bind(recall)
                .bind(unit)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(AppError::NotFound {
                    entity: "recall unit",
                });
            }
            audit(
                &mut tx,
                Some(actor.id()),
                "recall_progress",
                "recall",
                recall,
                &format!("unit {unit}: {p}"),
            )
            .await?;
            let r = load_recall(&mut tx, recall).await?;
            Ok(r)
        })
    }

    /// The customers to contact, as CSV (UTF-8 with BOM, `;` — opens in Excel).
    pub async fn recall_customers_csv(&self, actor: &Actor, id: i64) -> Result<String> {
        let r = self.get_recall(actor, id).await?;
        let mut per: Vec<(i64, Vec<&RecallUnit>)> = Vec::new();
        for u in &r.units {
            if let Some(cp) = u.unit.counterparty_id {
                match per.iter_mut().find(|p| p.0 == cp) {
                    Some(p) => p.1.push(u),
                    None => per.push((cp, vec![u])),
                }
            }
        }
        let esc = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let mut out =
            String::from("\u{feff}Клиент;ИНН;Телефон;Email;Контакт;Серийные номера;Отгрузки;Ход\n");
        for (cp, units) in per {
            let row: Option<(String, String, String, String, String)> = sql::query_as(
                "SELECT name, inn, phone, email, contact_person FROM counterparties WHERE id = $1",
            )
            .bind(cp)
            .fetch_optional(self.store.reader())
            .await?;
            let Some((name, inn, phone, email, contact)) = row else {
                continue;
            };
            let serials: Vec<&str> = units.iter().map(|u| u.unit.serial.as_str()).collect();
            let mut ships: Vec<&str> = units
                .iter()
                .filter_map(|u| u.unit.shipment_number.as_deref())
                .collect();
            ships.dedup();
            let progress: Vec<&str> = units.iter().filter_map(|u| u.progress.as_deref()).collect();
            out.push_str(
                &[
                    esc(&name),
                    esc(&inn),
                    esc(&phone),
                    esc(&email),
                    esc(&contact),
                    esc(&serials.join(", ")),
                    esc(&ships.join(", ")),
                    esc(&progress.join(", ")),
                ]
                .join(";"),
            );
            out.push('\n');
        }
        Ok(out)
    }
}

async fn load_recall(conn: &mut Conn, id: i64) -> Result<Recall> {
    let r: (String, String, String) =
        sql::query_as("SELECT name, criteria, created_at FROM recalls WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(AppError::NotFound { entity: "recall" })?;
    let rows = sql::query(&format!("{UNIT_SQL} JOIN recall_units ru ON ru.unit_id = u.id WHERE ru.recall_id = $1 ORDER BY u.serial"))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    let progress: HashMap<i64, String> = sql::query_as::<(i64, String)>(
        "SELECT unit_id, progress FROM recall_units WHERE recall_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let on = today();
    let units: Vec<RecallUnit> = rows
        .iter()
        .map(|row| {
            let u = unit_row(row, on);
            RecallUnit {
                progress: progress.get(&u.id).cloned(),
                component_removed: false,
                unit: u,
            }
        })
        .collect();
    let count = |p: &str| {
        units
            .iter()
            .filter(|u| u.progress.as_deref() == Some(p))
            .count() as i64
    };
    let (pending, contacted, returned, repaired) = (
        count("pending"),
        count("contacted"),
        count("returned"),
        count("repaired"),
    );
    Ok(Recall {
        id,
        name: r.0,
        criteria: r.1,
        created_at: r.2,
        done: pending + contacted == 0,
        units,
        pending,
        contacted,
        returned,
        repaired,
    })
}

async fn recall_units(conn: &mut Conn, k: &RecallCriteria) -> Result<Vec<RecallUnit>> {
    let mut c = Check::new();
    let product = c.opt_id("product_id", &k.product_id);
    let cproduct = c.opt_id("component_product_id", &k.component_product_id);
    let from = k
        .from
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| c.date("from", &Some(s.to_string()), today()));
    let to =
        k.to.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| c.date("to", &Some(s.to_string()), today()));
    let batch = k.batch.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let lot = k
        .component_lot
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let cserial = k
        .component_serial
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if product.is_none() && batch.is_none() && lot.is_none() && cserial.is_none() {
        c.err("product_id", "criteria_required", "Укажите товар (и даты производства), партию, лот компонента или серийный номер компонента", "Give a product (and production dates), a batch, a component lot or a component serial");
    }
    if (from.is_some() || to.is_some()) && product.is_none() {
        c.err(
            "product_id",
            "required",
            "Даты производства — вместе с товаром",
            "Production dates go with a product",
        );
    }
    c.done()?;
    // (unit id, found through a removed component)
    let mut hits: Vec<(i64, bool)> = Vec::new();
    if lot.is_some() || cserial.is_some() {
        let mut params: Vec<P> = Vec::new();
        let mut sql = String::from("SELECT c.unit_id, MIN(CASE WHEN c.removed_by IS NULL THEN 0 ELSE 1 END) AS removed FROM unit_components c WHERE ");
        if let Some(l) = lot {
            params.push(P::from(l));
            sql.push_str("c.lot = $1");
            if let Some(p) = cproduct {
                params.push(P::from(p));
                sql.push_str(" AND c.product_id = $2");
            }
        } else if let Some(sn) = cserial {
            params.push(P::from(sn));
            sql.push_str("c.component_unit_id IN (SELECT id FROM units WHERE serial = $1");
            if let Some(p) = cproduct {
                params.push(P::from(p));
                sql.push_str(" AND product_id = $2");
            }
            sql.push(')');
        }
        sql.push_str(" GROUP BY c.unit_id");
        let rows = bind_all(sql::query(&sql), &params)
            .fetch_all(&mut *conn)
            .await?;
        hits = rows
            .iter()
            .map(|r| (r.get::<i64, _>("unit_id"), r.get::<i64, _>("removed") != 0))
            .collect();
    }
    let mut out = Vec::new();
    let on = today();
    if lot.is_some() || cserial.is_some() {
        let removed: HashMap<i64, bool> = hits.iter().copied().collect();
        let ids: Vec<i64> = hits.iter().map(|h| h.0).collect();
        for chunk in ids.chunks(500) {
            let params: Vec<P> = chunk.iter().map(|i| P::from(*i)).collect();
            let list = kupets_store::queries::placeholders(1, chunk.len());
            let rows = bind_all(
                sql::query(&format!(
                    "{UNIT_SQL} WHERE u.id IN ({list}) AND u.state NOT IN ('cancelled', 'incoming')"
                )),
                &params,
            )
            .fetch_all(&mut *conn)
            .await?;
            for r in &rows {
                let u = unit_row(r, on);
                out.push(RecallUnit {
                    component_removed: removed.get(&u.id).copied().unwrap_or(false),
                    progress: None,
                    unit: u,
                });
            }
        }
    } else {
        let mut params: Vec<P> = Vec::new();
        let mut conds = vec!["u.state NOT IN ('cancelled', 'incoming')".to_string()];
        if let Some(p) = product {
            params.push(P::from(p));
            conds.push(format!("u.product_id = ${}", params.len()));
        }
        if let Some(d) = from {
            params.push(P::from(d.to_string()));
            conds.push(format!("u.production_date >= ${}", params.len()));
        }
        if let Some(d) = to {
            params.push(P::from(d.to_string()));
            conds.push(format!("u.production_date <= ${}", params.len()));
        }
        if let Some(b) = batch {
            params.push(P::from(b));
            conds.push(format!("u.batch = ${}", params.len()));
        }
        let rows = bind_all(
            sql::query(&format!(
                "{UNIT_SQL} WHERE {} ORDER BY u.serial LIMIT 100000",
                conds.join(" AND ")
            )),
            &params,
        )
        .fetch_all(&mut *conn)
        .await?;
        out = rows
            .iter()
            .map(|r| RecallUnit {
                unit: unit_row(r, on),
                component_removed: false,
                progress: None,
            })
            .collect();
    }
    out.sort_by(|a, b| a.unit.serial.cmp(&b.unit.serial));
    Ok(out)
}
