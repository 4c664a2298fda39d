//! Repair orders for units.

use super::units::doc_units;
use super::*;

// ------------------------------------------------------------------ repairs

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RepairInput {
    /// The unit, by id…
    #[serde(default, deserialize_with = "lenient")]
    pub unit_id: Option<String>,
    /// …or by serial (with the product when two products share a serial).
    #[serde(default, deserialize_with = "lenient")]
    pub serial: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub product_id: Option<String>,
    /// Default: the unit's current customer.
    #[serde(default, deserialize_with = "lenient")]
    pub counterparty_id: Option<String>,
    /// Where parts come from.
    #[serde(default, deserialize_with = "lenient")]
    pub warehouse_id: Option<String>,
    /// Received on; default today.
    #[serde(default, deserialize_with = "lenient")]
    pub date: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub complaint: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RepairUpdate {
    #[serde(default, deserialize_with = "lenient")]
    pub defect_category_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub complaint: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub work: Option<String>,
    /// What the customer pays for a paid repair.
    #[serde(default, deserialize_with = "lenient")]
    pub price: Option<String>,
    /// What the repair cost us (kept for warranty repairs too).
    #[serde(default, deserialize_with = "lenient")]
    pub cost: Option<String>,
    /// Override of the warranty decision (department heads, with a reason).
    #[serde(default, deserialize_with = "lenient")]
    pub warranty: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub override_reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RepairStateInput {
    /// `diagnosis`, `in_repair`, `ready`, `handed_back`, `declined`.
    #[serde(default, deserialize_with = "lenient")]
    pub state: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RepairPartInput {
    #[serde(default, deserialize_with = "lenient")]
    pub product_id: Option<String>,
    /// Default 1.
    #[serde(default, deserialize_with = "lenient")]
    pub qty: Option<String>,
    /// A serial-tracked part: the serial of the unit put in.
    #[serde(default, deserialize_with = "lenient")]
    pub serial: Option<String>,
    /// A part tracked by lot: its lot.
    #[serde(default, deserialize_with = "lenient")]
    pub lot: Option<String>,
    /// The as-built component it replaces (its product and serial or lot),
    /// given as that component's serial…
    #[serde(default, deserialize_with = "lenient")]
    pub replaces_serial: Option<String>,
    /// …or its lot.
    #[serde(default, deserialize_with = "lenient")]
    pub replaces_lot: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DefectCategory {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    pub code: String,
    pub name_ru: String,
    pub name_en: String,
    /// Whether a repair in this category counts as a product failure in the
    /// defect rates (misuse, transport damage, no fault found: not by default).
    pub counts_as_failure: bool,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct DefectCategoryInput {
    /// `true` or `false`.
    #[serde(default, deserialize_with = "lenient")]
    pub counts_as_failure: Option<String>,
}

/// Writes a repair order for a unit (inside the caller's transaction):
/// the document, the repair row with the warranty decided on `date`, the
/// unit into repair. Returns the repair's id.
pub(crate) async fn open_repair_tx(
    tx: &mut Conn,
    actor: &Actor,
    facts: (i64, String, Option<String>, i64, String),
    cp: Option<i64>,
    wh: Option<i64>,
    date: NaiveDate,
    complaint: &str,
) -> Result<i64> {
    let (unit_id, state, shipped, months, sn) = facts;
    let warranty = under_warranty(
        shipped.as_deref().and_then(crate::input::parse_date),
        months.max(0) as u32,
        date,
    );
    // The client's manager is reminded when it is ready.
    let manager: Option<i64> = match cp {
        Some(cp) => sql::query_scalar("SELECT manager_id FROM counterparties WHERE id = $1")
            .bind(cp)
            .fetch_optional(&mut *tx)
            .await?
            .flatten(),
        None => None,
    };
    let seq = next_doc_seq(tx, DocKind::Repair.code(), date.year()).await?;
    let id = kupets_store::queries::insert(
        tx,
        "documents",
        &[
            ("kind", P::from(DocKind::Repair.code())),
            ("year", P::from(date.year() as i64)),
            ("seq", P::from(seq)),
            (
                "number",
                P::from(doc_number(DocKind::Repair, date.year(), seq)),
            ),
            ("doc_date", P::from(date.to_string())),
            ("state", P::from("draft")),
            ("author_id", P::from(actor.id())),
            ("responsible_id", P::from(manager.unwrap_or(actor.id()))),
            ("counterparty_id", P::from(cp)),
            ("warehouse_id", P::from(wh)),
            ("comment", P::from(complaint)),
            ("created_at", P::from(now())),
        ],
    )
    .await?;
    sql::query("INSERT INTO repairs (document_id, unit_id, state, complaint, warranty, warranty_auto, unit_state_before, received_date) VALUES ($1, $2, 'received', $3, $4, $4, $5, $6)")
        .bind(id)
        .bind(unit_id)
        .bind(complaint)
        .bind(warranty as i64)
        .bind(&state)
        .bind(date.to_string())
        .execute(&mut *tx)
        .await?;
    sql::query("UPDATE units SET state = 'repair' WHERE id = $1")
        .bind(unit_id)
        .execute(&mut *tx)
        .await?;
    add_move(
        tx,
        unit_id,
        Some(id),
        "repair_in",
        &date.to_string(),
        cp,
        wh,
        complaint,
    )
    .await?;
    audit(
        tx,
        Some(actor.id()),
        "create",
        "repair",
        id,
        &format!("{sn} warranty={warranty}"),
    )
    .await?;
    Ok(id)
}

/// (id, state, customer, shipped date, warranty months, serial).
type UnitFacts = (i64, String, Option<i64>, Option<String>, i64, String);

async fn load_repair(conn: &mut Conn, id: i64) -> Result<RepairRow> {
    let r = sql::query(&format!("{REPAIR_SQL} WHERE r.document_id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound { entity: "repair" })?;
    let mut row = repair_row(&r);
    let lines = sql::query(&format!("SELECT {} FROM document_lines l JOIN products p ON p.id = l.product_id WHERE l.document_id = $1 ORDER BY l.line_no", kupets_store::model::DocLine::COLS))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    row.parts = lines
        .iter()
        .map(|r| kupets_store::model::DocLine::from_row(r))
        .collect();
    Ok(row)
}

impl App {
    pub async fn defect_categories(&self) -> Result<Vec<DefectCategory>> {
        let rows = sql::query("SELECT id, code, name_ru, name_en, counts_as_failure FROM defect_categories WHERE archived = 0 ORDER BY id")
            .fetch_all(self.store.reader())
            .await?;
        Ok(rows
            .iter()
            .map(|r| DefectCategory {
                id: r.get("id"),
                code: r.get("code"),
                name_ru: r.get("name_ru"),
                name_en: r.get("name_en"),
                counts_as_failure: r.get::<i64, _>("counts_as_failure") != 0,
            })
            .collect())
    }

    /// Says whether a defect category counts as a product failure (heads of
    /// department and admins); audited.
    pub async fn set_defect_category(
        &self,
        actor: &Actor,
        id: i64,
        input: &DefectCategoryInput,
    ) -> Result<DefectCategory> {
        actor.require(Right::LeadDepartment)?;
        let flag = match input.counts_as_failure.as_deref().map(str::trim) {
            Some("true") | Some("1") | Some("on") => true,
            Some("false") | Some("0") | Some("off") => false,
            _ => {
                return Err(AppError::field(
                    "counts_as_failure",
                    "invalid",
                    "Укажите true или false",
                    "true or false",
                ))
            }
        };
        write_tx!(self, [actor], |app, tx| {
            let n = sql::query("UPDATE defect_categories SET counts_as_failure = $1 WHERE id = $2")
                .bind(flag as i64)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(AppError::NotFound {
                    entity: "defect category",
                });
            }
            audit(
                &mut tx,
                Some(actor.id()),
                "update",
                "defect_categories",
                id,
                &format!("counts_as_failure={flag}"),
            )
            .await?;
            Ok(())
        })?;
        self.defect_categories()
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or(AppError::NotFound {
                entity: "defect category",
            })
    }

    /// Opens a repair order for a unit; warranty is decided from its
    /// shipment date and the product's warranty months.
    pub async fn open_repair(&self, actor: &Actor, input: &RepairInput) -> Result<RepairRow> {
        actor.require(Right::Repair)?;
        write_tx!(self, [actor, input], |app, tx| {
            let mut c = Check::new();
            let date = c.date("date", &input.date, today());
            let complaint = c.opt_text("complaint", &input.complaint, 2000);
            let wh = c.opt_id("warehouse_id", &input.warehouse_id);
            check_ref(&mut c, &mut tx, "warehouse_id", "warehouses", wh).await?;
            let cp_in = c.opt_id("counterparty_id", &input.counterparty_id);
            check_ref(&mut c, &mut tx, "counterparty_id", "counterparties", cp_in).await?;
            let product = c.opt_id("product_id", &input.product_id);
            let mut unit: Option<UnitFacts> = None;
            let by_id = c.opt_id("unit_id", &input.unit_id);
            let serial = input
                .serial
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            let sql = "SELECT u.id, u.state, u.counterparty_id, u.shipped_date, p.warranty_months, u.serial FROM units u JOIN products p ON p.id = u.product_id";
            if let Some(id) = by_id {
                unit = sql::query_as(&format!("{sql} WHERE u.id = $1"))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            } else if let Some(sn) = serial {
                let v = super::units::variants4(sn);
                let mut found: Vec<UnitFacts> = sql::query_as(&format!("{sql} WHERE u.serial IN ($1, $3, $4, $5) AND ($2 = 0 OR u.product_id = $2) AND u.state <> 'cancelled'"))
                    .bind(&v[0])
                    .bind(product.unwrap_or(0))
                    .bind(&v[1])
                    .bind(&v[2])
                    .bind(&v[3])
                    .fetch_all(&mut *tx)
                    .await?;
                // The serial exactly as typed wins over its other readings.
                if found.iter().any(|u| u.5 == sn) {
                    found.retain(|u| u.5 == sn);
                }
                if found.len() > 1 {
                    c.err(
                        "product_id",
                        "ambiguous_serial",
                        format!("Серийный номер {sn} есть у нескольких товаров: укажите товар"),
                        format!("Serial {sn} belongs to several products: give the product"),
                    );
                }
                unit = found.into_iter().next();
            } else {
                c.add(FieldError::required("serial"));
            }
            let Some((unit_id, state, ucp, shipped, months, sn)) = unit else {
                if c.errors.is_empty() {
                    c.err(
                        "serial",
                        "unknown_serial",
                        format!("Нет единицы с серийным номером {}", serial.unwrap_or("")),
                        format!("No unit with serial {}", serial.unwrap_or("")),
                    );
                }
                return Err(AppError::Validation(c.errors));
            };
            c.done()?;
            if matches!(state.as_str(), "repair" | "consumed" | "cancelled") {
                return Err(conflict(
                    "unit_unavailable",
                    format!(
                        "{sn}: единица {}",
                        match state.as_str() {
                            "repair" => "уже в ремонте",
                            "consumed" => "встроена в другое изделие",
                            _ => "списана",
                        }
                    ),
                    format!(
                        "{sn}: the unit is {}",
                        match state.as_str() {
                            "repair" => "already in repair",
                            "consumed" => "built into another unit",
                            _ => "written off",
                        }
                    ),
                ));
            }
            let cp = cp_in.or(ucp);
            let facts = (unit_id, state, shipped, months, sn);
            let id = open_repair_tx(&mut tx, actor, facts, cp, wh, date, &complaint).await?;
            let r = load_repair(&mut tx, id).await?;
            Ok(r)
        })
    }

    pub async fn get_repair(&self, _actor: &Actor, id: i64) -> Result<RepairRow> {
        let mut conn = self.store.read_conn().await?;
        load_repair(&mut conn, id).await
    }

    pub async fn list_repairs(&self, _actor: &Actor, open_only: bool) -> Result<Vec<RepairRow>> {
        let rows = sql::query(&format!(
            "{REPAIR_SQL} {} ORDER BY d.id DESC LIMIT 500",
            if open_only {
                "WHERE r.state NOT IN ('handed_back', 'declined')"
            } else {
                ""
            }
        ))
        .fetch_all(self.store.reader())
        .await?;
        Ok(rows.iter().map(repair_row).collect())
    }

    /// Diagnosis, work, price and cost; a warranty override needs a head
    /// and a reason.
    pub async fn update_repair(
        &self,
        actor: &Actor,
        id: i64,
        input: &RepairUpdate,
    ) -> Result<RepairRow> {
        actor.require(Right::Repair)?;
        write_tx!(self, [actor, input], |app, tx| {
            let cur = load_repair(&mut tx, id).await?;
            if RepairState::parse(&cur.state).is_some_and(RepairState::is_closed) {
                return Err(conflict(
                    "repair_closed",
                    "Ремонт закрыт".into(),
                    "The repair is closed".into(),
                ));
            }
            let mut c = Check::new();
            let cat = c.opt_id("defect_category_id", &input.defect_category_id);
            check_ref(
                &mut c,
                &mut tx,
                "defect_category_id",
                "defect_categories",
                cat,
            )
            .await?;
            let work = c.opt_text("work", &input.work, 4000);
            let complaint = input
                .complaint
                .as_ref()
                .map(|_| c.opt_text("complaint", &input.complaint, 2000));
            let price = c.opt_money("price", &input.price).unwrap_or(cur.price);
            let cost = c.opt_money("cost", &input.cost).unwrap_or(cur.cost);
            if price < 0 || cost < 0 {
                c.err(
                    if price < 0 { "price" } else { "cost" },
                    "negative",
                    "Сумма не может быть отрицательной",
                    "An amount cannot be negative",
                );
            }
            let reason = c.opt_text("override_reason", &input.override_reason, 1000);
            let mut warranty = cur.warranty;
            if input
                .warranty
                .as_deref()
                .is_some_and(|w| !w.trim().is_empty())
            {
                let wanted = truthy(&input.warranty);
                if wanted != cur.warranty_auto {
                    if !actor.can(Right::LeadDepartment) {
                        return Err(AppError::Forbidden {
                            role: actor.role.code().to_string(),
                        });
                    }
                    if reason.is_empty() {
                        c.err(
                            "override_reason",
                            "required",
                            "Укажите причину, по которой решение о гарантии изменено",
                            "Give the reason for overriding the warranty decision",
                        );
                    }
                }
                warranty = wanted;
            }
            c.done()?;
            sql::query("UPDATE repairs SET defect_category_id = COALESCE($1, defect_category_id), work = CASE WHEN $2 = '' THEN work ELSE $2 END, complaint = COALESCE($3, complaint), price = $4, cost = $5, warranty = $6, override_reason = CASE WHEN $7 = '' THEN override_reason ELSE $7 END WHERE document_id = $8")
                .bind(cat)
                .bind(&work)
                .bind(complaint)
                .bind(price)
                .bind(cost)
                .bind(warranty as i64)
                .bind(&reason)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if warranty != cur.warranty {
                audit(
                    &mut tx,
                    Some(actor.id()),
                    "warranty_override",
                    "repair",
                    id,
                    &format!("{} → {}: {reason}", cur.warranty, warranty),
                )
                .await?;
            }
            audit(&mut tx, Some(actor.id()), "update", "repair", id, "").await?;
            let r = load_repair(&mut tx, id).await?;
            Ok(r)
        })
    }

    /// Moves a repair along: received → diagnosis → in repair → ready →
    /// handed back (or declined). Ready reminds the client's manager;
    /// handing back returns the unit and, for a paid repair, adds its price
    /// to the customer's settlements.
    pub async fn set_repair_state(
        &self,
        actor: &Actor,
        id: i64,
        input: &RepairStateInput,
    ) -> Result<RepairRow> {
        actor.require(Right::Repair)?;
        let next = input
            .state
            .as_deref()
            .and_then(RepairState::parse)
            .ok_or_else(|| {
                AppError::field(
                    "state",
                    "invalid_state",
                    "Состояние: diagnosis, in_repair, ready, handed_back или declined",
                    "State: diagnosis, in_repair, ready, handed_back or declined",
                )
            })?;
        write_tx!(self, [actor, input], |app, tx| {
            sql::query(&format!(
                "SELECT document_id FROM repairs WHERE document_id = $1{}",
                app.store.for_update()
            ))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::NotFound { entity: "repair" })?;
            let cur = load_repair(&mut tx, id).await?;
            let state = RepairState::parse(&cur.state).unwrap_or(RepairState::Received);
            if !state.can_move_to(next) {
                return Err(conflict(
                    "repair_state",
                    format!(
                        "Из состояния «{}» нельзя перейти в «{}»",
                        state.label(true),
                        next.label(true)
                    ),
                    format!(
                        "A repair cannot go from '{}' to '{}'",
                        state.label(false),
                        next.label(false)
                    ),
                ));
            }
            let day = today();
            let d = day.to_string();
            sql::query("UPDATE repairs SET state = $1, closed_date = CASE WHEN $2 = 1 THEN $3 ELSE closed_date END WHERE document_id = $4")
                .bind(next.code())
                .bind(next.is_closed() as i64)
                .bind(&d)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            match next {
                RepairState::Ready => {
                    let remind: (i64, Option<i64>) = sql::query_as(
                        "SELECT id, funnel_stage FROM statuses WHERE code = 'repair_ready'",
                    )
                    .fetch_one(&mut *tx)
                    .await?;
                    crate::status::write_assignment(
                        &mut tx,
                        id,
                        remind.0,
                        remind.1,
                        day,
                        &format!(
                            "Ремонт готов: вернуть клиенту {} {}",
                            cur.product_name, cur.serial
                        ),
                        actor.id(),
                    )
                    .await?;
                }
                RepairState::HandedBack | RepairState::Declined => {
                    let before: String = sql::query_scalar(
                        "SELECT unit_state_before FROM repairs WHERE document_id = $1",
                    )
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                    sql::query("UPDATE units SET state = $1 WHERE id = $2")
                        .bind(&before)
                        .bind(cur.unit_id)
                        .execute(&mut *tx)
                        .await?;
                    add_move(
                        &mut tx,
                        cur.unit_id,
                        Some(id),
                        "repair_out",
                        &d,
                        cur.counterparty_id,
                        cur.warehouse_id,
                        next.label(true),
                    )
                    .await?;
                    let paid = next == RepairState::HandedBack && !cur.warranty && cur.price > 0;
                    let amount = if paid { cur.price } else { 0 };
                    sql::query("UPDATE documents SET state = 'posted', posted_at = $1, amount = $2 WHERE id = $3").bind(now()).bind(amount).bind(id).execute(&mut *tx).await?;
                    if let (true, Some(cp)) = (paid, cur.counterparty_id) {
                        crate::document::write_entry(&mut tx, cp, None, id, &d, Money(amount))
                            .await?;
                    }
                    if next == RepairState::HandedBack {
                        sql::query("UPDATE recall_units SET progress = 'repaired', updated_at = $1 WHERE unit_id = $2 AND progress <> 'repaired'").bind(now()).bind(cur.unit_id).execute(&mut *tx).await?;
                    }
                    // The "ready" reminder is done.
                    let done: (i64, Option<i64>) =
                        sql::query_as("SELECT id, funnel_stage FROM statuses WHERE code = 'done'")
                            .fetch_one(&mut *tx)
                            .await?;
                    crate::status::write_assignment(
                        &mut tx,
                        id,
                        done.0,
                        done.1,
                        day,
                        next.label(true),
                        actor.id(),
                    )
                    .await?;
                }
                _ => {}
            }
            audit(
                &mut tx,
                Some(actor.id()),
                "repair_state",
                "repair",
                id,
                next.code(),
            )
            .await?;
            let r = load_repair(&mut tx, id).await?;
            Ok(r)
        })
    }

    /// Puts a part in: taken from stock at the repair's warehouse; a
    /// replaced component is marked removed on the unit's as-built record.
    pub async fn add_repair_part(
        &self,
        actor: &Actor,
        id: i64,
        input: &RepairPartInput,
    ) -> Result<RepairRow> {
        actor.require(Right::Repair)?;
        write_tx!(self, [actor, input], |app, tx| {
            let cur = load_repair(&mut tx, id).await?;
            if !matches!(cur.state.as_str(), "diagnosis" | "in_repair") {
                return Err(conflict(
                    "repair_state",
                    "Запчасти ставят на диагностике или в ремонте".into(),
                    "Parts go in during diagnosis or repair".into(),
                ));
            }
            let Some(wh) = cur.warehouse_id else {
                return Err(AppError::field(
                    "warehouse_id",
                    "required",
                    "У ремонта не указан склад запчастей",
                    "The repair has no parts warehouse",
                ));
            };
            let mut c = Check::new();
            let mut taken = Vec::new();
            let comp = parse_components(
                &mut c,
                &mut tx,
                "part",
                &[ComponentInput {
                    product_id: input.product_id.clone(),
                    qty: input.qty.clone(),
                    serial: input.serial.clone(),
                    lot: input.lot.clone(),
                }],
                Some(wh),
                &mut taken,
            )
            .await?;
            c.done()?;
            let Some(comp) = comp.into_iter().next() else {
                return Err(AppError::Validation(vec![FieldError::required(
                    "product_id",
                )]));
            };
            // Which as-built component it replaces.
            let mut replaced: Option<(i64, Option<i64>)> = None;
            if let Some(rs) = input
                .replaces_serial
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                replaced = sql::query_as("SELECT c.id, c.component_unit_id FROM unit_components c JOIN units cu ON cu.id = c.component_unit_id WHERE c.unit_id = $1 AND cu.serial = $2 AND c.removed_by IS NULL")
                    .bind(cur.unit_id)
                    .bind(rs)
                    .fetch_optional(&mut *tx)
                    .await?;
                if replaced.is_none() {
                    return Err(AppError::field(
                        "replaces_serial",
                        "not_in_unit",
                        format!("В изделии нет компонента {rs}"),
                        format!("The unit has no component {rs}"),
                    ));
                }
            } else if let Some(rl) = input
                .replaces_lot
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                replaced = sql::query_as("SELECT id, component_unit_id FROM unit_components WHERE unit_id = $1 AND lot = $2 AND product_id = $3 AND removed_by IS NULL ORDER BY id LIMIT 1")
                    .bind(cur.unit_id)
                    .bind(rl)
                    .bind(comp.product_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if replaced.is_none() {
                    return Err(AppError::field(
                        "replaces_lot",
                        "not_in_unit",
                        format!("В изделии нет этого товара из партии {rl}"),
                        format!("The unit has none of that product from lot {rl}"),
                    ));
                }
            }
            let d = today().to_string();
            let name: String = sql::query_scalar("SELECT name FROM products WHERE id = $1")
                .bind(comp.product_id)
                .fetch_one(&mut *tx)
                .await?;
            if let Some((n, have, delta)) = app
                .apply_stock(
                    &mut tx,
                    id,
                    &d,
                    wh,
                    vec![(comp.product_id, -comp.qty, name.clone())],
                )
                .await?
            {
                return Err(conflict(
                    "insufficient_stock",
                    format!(
                        "Недостаточно «{n}» на складе: есть {}, нужно {}",
                        Qty(have).to_api(),
                        Qty(-delta).to_api()
                    ),
                    format!(
                        "Not enough '{n}' in stock: {} available, {} needed",
                        Qty(have).to_api(),
                        Qty(-delta).to_api()
                    ),
                ));
            }
            let line_no: i64 = sql::query_scalar("SELECT CAST(COALESCE(MAX(line_no), 0) + 1 AS BIGINT) FROM document_lines WHERE document_id = $1").bind(id).fetch_one(&mut *tx).await?;
            sql::query("INSERT INTO document_lines (document_id, line_no, product_id, qty, price, amount, vat_rate, vat) SELECT $1, $2, id, $3, 0, 0, vat_rate, 0 FROM products WHERE id = $4")
                .bind(id)
                .bind(line_no)
                .bind(comp.qty)
                .bind(comp.product_id)
                .execute(&mut *tx)
                .await?;
            if let Some((cid, old_unit)) = replaced {
                sql::query(
                    "UPDATE unit_components SET removed_by = $1, removed_date = $2 WHERE id = $3",
                )
                .bind(id)
                .bind(&d)
                .bind(cid)
                .execute(&mut *tx)
                .await?;
                if let Some(ou) = old_unit {
                    sql::query("UPDATE units SET state = 'scrapped' WHERE id = $1")
                        .bind(ou)
                        .execute(&mut *tx)
                        .await?;
                    add_move(
                        &mut tx,
                        ou,
                        Some(id),
                        "component_removed",
                        &d,
                        None,
                        None,
                        &cur.serial,
                    )
                    .await?;
                }
                add_move(
                    &mut tx,
                    cur.unit_id,
                    Some(id),
                    "component_removed",
                    &d,
                    None,
                    None,
                    &name,
                )
                .await?;
            }
            if let Some(cu) = comp.unit_id {
                sql::query(
                    "UPDATE units SET state = 'consumed', warehouse_id = NULL WHERE id = $1",
                )
                .bind(cu)
                .execute(&mut *tx)
                .await?;
                add_move(
                    &mut tx,
                    cu,
                    Some(id),
                    "installed",
                    &d,
                    None,
                    Some(wh),
                    &format!("→ {}", cur.serial),
                )
                .await?;
            }
            sql::query("INSERT INTO unit_components (unit_id, product_id, component_unit_id, lot, qty, installed_by) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(cur.unit_id)
                .bind(comp.product_id)
                .bind(comp.unit_id)
                .bind(&comp.lot)
                .bind(comp.qty)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            add_move(
                &mut tx,
                cur.unit_id,
                Some(id),
                "component_added",
                &d,
                None,
                Some(wh),
                &name,
            )
            .await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "repair_part",
                "repair",
                id,
                &name,
            )
            .await?;
            let r = load_repair(&mut tx, id).await?;
            Ok(r)
        })
    }
}

/// A return marked "to repair" opens a repair order for each unit it takes
/// back, received on the return's date.
pub(crate) async fn returned_to_repair(
    tx: &mut Conn,
    actor: &Actor,
    doc: &kupets_store::model::Document,
) -> Result<()> {
    let flag: i64 = sql::query_scalar("SELECT to_repair FROM documents WHERE id = $1")
        .bind(doc.id)
        .fetch_one(&mut *tx)
        .await?;
    if flag == 0 {
        return Ok(());
    }
    let date = crate::input::parse_date(&doc.date).unwrap_or_else(today);
    for (u, _) in doc_units(tx, doc.id).await? {
        let facts: UnitFacts = sql::query_as("SELECT u.id, u.state, u.counterparty_id, u.shipped_date, p.warranty_months, u.serial FROM units u JOIN products p ON p.id = u.product_id WHERE u.id = $1")
            .bind(u)
            .fetch_one(&mut *tx)
            .await?;
        let (id, state, _, shipped, months, sn) = facts;
        let note = format!("Возврат {}: {}", doc.number, doc.comment);
        open_repair_tx(
            tx,
            actor,
            (id, state, shipped, months, sn),
            doc.counterparty_id,
            doc.warehouse_id,
            date,
            note.trim_end_matches(": "),
        )
        .await?;
    }
    Ok(())
}
