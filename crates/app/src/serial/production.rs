//! Production: units made with their as-built components.

use super::*;

// ------------------------------------------------------------------ inputs

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ComponentInput {
    #[serde(default, deserialize_with = "lenient")]
    pub product_id: Option<String>,
    /// Default 1.
    #[serde(default, deserialize_with = "lenient")]
    pub qty: Option<String>,
    /// A serial-tracked component: its serial (a unit in stock).
    #[serde(default, deserialize_with = "lenient")]
    pub serial: Option<String>,
    /// Any other component: its lot.
    #[serde(default, deserialize_with = "lenient")]
    pub lot: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct UnitInput {
    /// Empty: generated from `serial_pattern`.
    #[serde(default, deserialize_with = "lenient")]
    pub serial: Option<String>,
    /// This unit's own components, besides `components_per_unit`.
    #[serde(default)]
    pub components: Vec<ComponentInput>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ProductionInput {
    /// The serial-tracked product made.
    #[serde(default, deserialize_with = "lenient")]
    pub product_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub warehouse_id: Option<String>,
    /// Production date; default today.
    #[serde(default, deserialize_with = "lenient")]
    pub date: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub batch: Option<String>,
    /// Units made, each with its serial (or none, to generate) and own
    /// components…
    #[serde(default)]
    pub units: Vec<UnitInput>,
    /// …or just how many, with serials from the pattern.
    #[serde(default, deserialize_with = "lenient")]
    pub count: Option<String>,
    /// `DR1-26-####`: `#` runs become a counter, continuing after the
    /// highest serial of the pattern made so far.
    #[serde(default, deserialize_with = "lenient")]
    pub serial_pattern: Option<String>,
    /// Lot components that go into every unit.
    #[serde(default)]
    pub components_per_unit: Vec<ComponentInput>,
    /// Work cost added to the components' cost (`"1500.00"`), optional.
    #[serde(default, deserialize_with = "lenient")]
    pub work_cost: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub comment: Option<String>,
}

/// A validated component of one unit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(super) struct CompSpec {
    pub(super) product_id: i64,
    pub(super) qty: i64,
    pub(super) unit_id: Option<i64>,
    pub(super) lot: String,
}

/// A validated unit to make.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct UnitSpec {
    serial: String,
    components: Vec<CompSpec>,
}

/// Parses components of a unit (`field` prefix for errors).
pub(super) async fn parse_components(
    c: &mut Check,
    conn: &mut Conn,
    field: &str,
    list: &[ComponentInput],
    wh: Option<i64>,
    taken: &mut Vec<i64>,
) -> Result<Vec<CompSpec>> {
    let mut out = Vec::new();
    for (i, comp) in list.iter().enumerate() {
        let f = |n: &str| format!("{field}[{i}].{n}");
        let product = c.id(&f("product_id"), &comp.product_id);
        let qty = match comp.qty.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => 1000,
            Some(s) => crate::input::positive_qty(c, &f("qty"), s),
        };
        if product == 0 {
            continue;
        }
        let Some((tracked, name, _)) = product_flags(conn, product).await? else {
            c.err(
                &f("product_id"),
                "not_found",
                format!("Товар {product} не найден"),
                format!("No product {product}"),
            );
            continue;
        };
        let mut spec = CompSpec {
            product_id: product,
            qty,
            unit_id: None,
            lot: String::new(),
        };
        if tracked {
            let serial = comp.serial.as_deref().map(parse_serial);
            match serial {
                None | Some(Err(_)) => c.err(
                    &f("serial"),
                    "required",
                    format!("«{name}» учитывается по серийным номерам: укажите серийный номер"),
                    format!("'{name}' is serial-tracked: give its serial"),
                ),
                Some(Ok(sn)) => {
                    let unit: Option<(i64, String, Option<i64>)> = sql::query_as("SELECT id, state, warehouse_id FROM units WHERE product_id = $1 AND serial = $2")
                        .bind(product)
                        .bind(&sn)
                        .fetch_optional(&mut *conn)
                        .await?;
                    match unit {
                        Some((id, state, w)) if state == "stock" && (wh.is_none() || w == wh) => {
                            if taken.contains(&id) {
                                c.err(
                                    &f("serial"),
                                    "duplicate_serial",
                                    format!("Серийный номер {sn} указан дважды"),
                                    format!("Serial {sn} is given twice"),
                                );
                            }
                            taken.push(id);
                            spec.unit_id = Some(id);
                            spec.qty = 1000;
                        }
                        Some(_) => c.err(
                            &f("serial"),
                            "not_in_stock",
                            format!("«{name}» {sn} нет на этом складе"),
                            format!("'{name}' {sn} is not in stock at this warehouse"),
                        ),
                        None => c.err(
                            &f("serial"),
                            "unknown_serial",
                            format!("Нет «{name}» с серийным номером {sn}"),
                            format!("No '{name}' with serial {sn}"),
                        ),
                    }
                }
            }
        } else {
            let lot = comp.lot.as_deref().map(str::trim).unwrap_or("");
            if lot.is_empty() {
                c.err(
                    &f("lot"),
                    "required",
                    format!("Укажите партию (лот) «{name}»"),
                    format!("Give the lot of '{name}'"),
                );
            }
            spec.lot = lot.chars().take(100).collect();
        }
        out.push(spec);
    }
    Ok(out)
}

impl App {
    // -------------------------------------------------------------- production

    /// Creates a draft production document: which units, serials and
    /// components. Posting makes the units and moves the stock.
    pub async fn create_production(
        &self,
        actor: &Actor,
        input: &ProductionInput,
    ) -> Result<ProductionView> {
        actor.require(Right::MoveStock)?;
        write_tx!(self, [actor, input], |app, tx| {
            let mut c = Check::new();
            let product = c.id("product_id", &input.product_id);
            let wh = c.id("warehouse_id", &input.warehouse_id);
            if wh != 0 {
                check_ref(&mut c, &mut tx, "warehouse_id", "warehouses", Some(wh)).await?;
            }
            let date = c.date("date", &input.date, today());
            let batch = c.opt_text("batch", &input.batch, 100);
            let comment = c.opt_text("comment", &input.comment, 1000);
            let work_cost = c.opt_money("work_cost", &input.work_cost).unwrap_or(0);
            if work_cost < 0 {
                c.err(
                    "work_cost",
                    "negative",
                    "Стоимость работ не может быть отрицательной",
                    "The work cost cannot be negative",
                );
            }
            let mut pname = String::new();
            if product != 0 {
                match product_flags(&mut tx, product).await? {
                    None => c.err(
                        "product_id",
                        "not_found",
                        format!("Товар {product} не найден"),
                        format!("No product {product}"),
                    ),
                    Some((false, name, _)) => c.err(
                        "product_id",
                        "not_serial_tracked",
                        format!("«{name}» не учитывается по серийным номерам"),
                        format!("'{name}' is not serial-tracked"),
                    ),
                    Some((true, name, _)) => pname = name,
                }
            }
            let count = match input
                .count
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                None => 0,
                Some(s) => match s.parse::<usize>() {
                    Ok(n) if (1..=10_000).contains(&n) => n,
                    _ => {
                        c.err(
                            "count",
                            "invalid_count",
                            "Количество единиц от 1 до 10 000",
                            "A number of units from 1 to 10 000",
                        );
                        0
                    }
                },
            };
            let mut units: Vec<UnitInput> = input.units.clone();
            if units.is_empty() {
                units = vec![UnitInput::default(); count];
            } else if count != 0 && count != units.len() {
                c.err(
                    "count",
                    "wrong_count",
                    format!("Указано {count} единиц, а перечислено {}", units.len()),
                    format!("{count} units stated, {} listed", units.len()),
                );
            }
            if units.is_empty() {
                c.err(
                    "units",
                    "required",
                    "Укажите единицы или их количество",
                    "List the units or give their count",
                );
            }
            let pattern = input
                .serial_pattern
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            let missing = units
                .iter()
                .filter(|u| u.serial.as_deref().map(str::trim).unwrap_or("").is_empty())
                .count();
            let mut generated = Vec::new();
            if missing > 0 {
                match &pattern {
                    None => c.err(
                        "serial_pattern",
                        "required",
                        "Укажите серийные номера или шаблон для них",
                        "Give the serials or a pattern for them",
                    ),
                    Some(p) => {
                        // Continue after the highest serial of this pattern.
                        let prefix: String = p.chars().take_while(|ch| *ch != '#').collect();
                        let existing: Vec<String> = sql::query_scalar("SELECT serial FROM units WHERE product_id = $1 AND serial >= $2 AND serial < $3")
                            .bind(product)
                            .bind(&prefix)
                            .bind(format!("{prefix}\u{10FFFF}"))
                            .fetch_all(&mut *tx)
                            .await?;
                        let width = p.chars().filter(|ch| *ch == '#').count();
                        let last = existing
                            .iter()
                            .filter_map(|s| s.get(prefix.len()..prefix.len() + width.max(1)))
                            .filter_map(|d| d.parse::<u64>().ok())
                            .max()
                            .unwrap_or(0);
                        generated = from_pattern(p, last + 1, missing);
                    }
                }
            }
            let mut taken = Vec::new();
            let common = parse_components(
                &mut c,
                &mut tx,
                "components_per_unit",
                &input.components_per_unit,
                Some(wh).filter(|w| *w != 0),
                &mut taken,
            )
            .await?;
            if common.iter().any(|s| s.unit_id.is_some()) {
                c.err(
                    "components_per_unit",
                    "serial_in_common",
                    "Серийный компонент ставится в одну единицу: укажите его в units[].components",
                    "A serial component goes into one unit: give it in units[].components",
                );
            }
            let mut specs = Vec::new();
            let mut gen = generated.into_iter();
            let mut seen: Vec<String> = Vec::new();
            for (i, u) in units.iter().enumerate() {
                let serial = match u.serial.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                    Some(s) => match parse_serial(s) {
                        Ok(s) => s,
                        Err(_) => {
                            c.err(
                                &format!("units[{i}].serial"),
                                "invalid_serial",
                                "Серийный номер — до 100 символов",
                                "A serial of at most 100 characters",
                            );
                            continue;
                        }
                    },
                    None => gen.next().unwrap_or_default(),
                };
                if serial.is_empty() {
                    continue;
                }
                if seen.contains(&serial) {
                    c.err(
                        &format!("units[{i}].serial"),
                        "duplicate_serial",
                        format!("Серийный номер {serial} указан дважды"),
                        format!("Serial {serial} is given twice"),
                    );
                }
                seen.push(serial.clone());
                if product != 0 {
                    let exists: Option<i64> = sql::query_scalar(
                        "SELECT id FROM units WHERE product_id = $1 AND serial = $2",
                    )
                    .bind(product)
                    .bind(&serial)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if exists.is_some() {
                        c.err(
                            &format!("units[{i}].serial"),
                            "duplicate_serial",
                            format!("«{pname}» с серийным номером {serial} уже есть"),
                            format!("'{pname}' {serial} already exists"),
                        );
                    }
                }
                let mut comps = common.clone();
                comps.extend(
                    parse_components(
                        &mut c,
                        &mut tx,
                        &format!("units[{i}].components"),
                        &u.components,
                        Some(wh).filter(|w| *w != 0),
                        &mut taken,
                    )
                    .await?,
                );
                specs.push(UnitSpec {
                    serial,
                    components: comps,
                });
            }
            c.done()?;
            let seq = next_doc_seq(&mut tx, DocKind::Production.code(), date.year()).await?;
            let id = kupets_store::queries::insert(
                &mut tx,
                "documents",
                &[
                    ("kind", P::from(DocKind::Production.code())),
                    ("year", P::from(date.year() as i64)),
                    ("seq", P::from(seq)),
                    (
                        "number",
                        P::from(doc_number(DocKind::Production, date.year(), seq)),
                    ),
                    ("doc_date", P::from(date.to_string())),
                    ("state", P::from("draft")),
                    ("author_id", P::from(actor.id())),
                    ("responsible_id", P::from(actor.id())),
                    ("warehouse_id", P::from(Some(wh))),
                    ("comment", P::from(comment)),
                    ("created_at", P::from(now())),
                ],
            )
            .await?;
            sql::query("INSERT INTO productions (document_id, product_id, batch, spec, work_cost) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(product)
                .bind(&batch)
                .bind(serde_json::to_string(&specs).map_err(|e| AppError::Internal(e.to_string()))?)
                .bind(work_cost)
                .execute(&mut *tx)
                .await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "create",
                "production",
                id,
                &format!("{} units", specs.len()),
            )
            .await?;
            let v = production_view(&mut tx, id).await?;
            Ok(v)
        })
    }

    pub async fn get_production(&self, _actor: &Actor, id: i64) -> Result<ProductionView> {
        let mut conn = self.store.read_conn().await?;
        production_view(&mut conn, id).await
    }

    /// Posts a production document: consumes the components, makes the
    /// units with their as-built record. Everything is checked again here.
    pub async fn post_production(&self, actor: &Actor, id: i64) -> Result<ProductionView> {
        actor.require(Right::MoveStock)?;
        write_tx!(self, [actor], |app, tx| {
            let doc = sql::query(&format!("SELECT d.state, d.doc_date, d.warehouse_id, d.number, p.product_id, p.batch, p.spec, p.work_cost FROM documents d JOIN productions p ON p.document_id = d.id WHERE d.id = $1{}", app.store.for_update()))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(AppError::NotFound { entity: "production" })?;
            if doc.get::<String, _>("state") != "draft" {
                return Err(crate::document::transition_error(
                    kupets_domain::document::TransitionError::NotDraft(
                        kupets_domain::DocState::parse(&doc.get::<String, _>("state"))
                            .unwrap_or(kupets_domain::DocState::Posted),
                    ),
                ));
            }
            let date: String = doc.get("doc_date");
            let wh: i64 = doc.get::<Option<i64>, _>("warehouse_id").unwrap_or(0);
            let product: i64 = doc.get("product_id");
            let batch: String = doc.get("batch");
            let number: String = doc.get("number");
            let specs: Vec<UnitSpec> = serde_json::from_str(&doc.get::<String, _>("spec"))
                .map_err(|e| AppError::Internal(e.to_string()))?;
            // Stock: the product in, every component out (lot and serial alike).
            let mut changes: Vec<(i64, i64, String)> =
                vec![(product, specs.len() as i64 * 1000, String::new())];
            for s in &specs {
                for comp in &s.components {
                    match changes.iter_mut().find(|x| x.0 == comp.product_id) {
                        Some(x) => x.1 -= comp.qty,
                        None => changes.push((comp.product_id, -comp.qty, String::new())),
                    }
                }
            }
            for ch in changes.iter_mut() {
                ch.2 = sql::query_scalar("SELECT name FROM products WHERE id = $1")
                    .bind(ch.0)
                    .fetch_one(&mut *tx)
                    .await?;
            }
            if let Some((name, have, delta)) = app
                .apply_stock(&mut tx, id, &date, wh, changes.clone())
                .await?
            {
                return Err(conflict(
                    "insufficient_stock",
                    format!(
                        "Недостаточно «{name}» для производства: есть {}, нужно {}",
                        Qty(have).to_api(),
                        Qty(-delta).to_api()
                    ),
                    format!(
                        "Not enough '{name}' to produce: {} available, {} needed",
                        Qty(have).to_api(),
                        Qty(-delta).to_api()
                    ),
                ));
            }
            sql::query("DELETE FROM document_lines WHERE document_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for (i, (p, qty, _)) in changes.iter().enumerate() {
                sql::query("INSERT INTO document_lines (document_id, line_no, product_id, qty, price, amount, vat_rate, vat) SELECT $1, $2, id, $3, 0, 0, vat_rate, 0 FROM products WHERE id = $4")
                    .bind(id)
                    .bind(i as i64 + 1)
                    .bind(*qty)
                    .bind(*p)
                    .execute(&mut *tx)
                    .await?;
            }
            // Cost: the components go out at their average, the product
            // comes in at their sum plus the work cost.
            let made: Vec<(i64, i64, i64)> = sql::query_as(
                "SELECT id, product_id, qty FROM document_lines WHERE document_id = $1 ORDER BY line_no",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            let work: i64 = doc.get("work_cost");
            let mut moves: Vec<crate::cost::Move> = made
                .iter()
                .filter(|m| m.2 < 0)
                .map(|m| crate::cost::Move {
                    line: Some(m.0),
                    product: m.1,
                    qty: m.2,
                    unit: crate::cost::Unit::Average,
                })
                .collect();
            moves.extend(made.iter().filter(|m| m.2 > 0).map(|m| crate::cost::Move {
                line: Some(m.0),
                product: m.1,
                qty: m.2,
                unit: crate::cost::Unit::Made { work },
            }));
            crate::cost::apply(&mut tx, &moves).await?;
            for s in &specs {
                let exists: Option<i64> =
                    sql::query_scalar("SELECT id FROM units WHERE product_id = $1 AND serial = $2")
                        .bind(product)
                        .bind(&s.serial)
                        .fetch_optional(&mut *tx)
                        .await?;
                if exists.is_some() {
                    return Err(conflict(
                        "duplicate_serial",
                        format!("Серийный номер {} уже есть", s.serial),
                        format!("Serial {} already exists", s.serial),
                    ));
                }
                let unit = kupets_store::queries::insert(
                    &mut tx,
                    "units",
                    &[
                        ("product_id", P::from(product)),
                        ("serial", P::from(s.serial.as_str())),
                        ("batch", P::from(batch.as_str())),
                        ("production_date", P::from(date.as_str())),
                        ("production_id", P::from(Some(id))),
                        ("state", P::from("stock")),
                        ("warehouse_id", P::from(Some(wh))),
                        ("created_at", P::from(now())),
                    ],
                )
                .await?;
                add_move(
                    &mut tx,
                    unit,
                    Some(id),
                    "produced",
                    &date,
                    None,
                    Some(wh),
                    &batch,
                )
                .await?;
                for comp in &s.components {
                    if let Some(cu) = comp.unit_id {
                        let n = sql::query("UPDATE units SET state = 'consumed', warehouse_id = NULL WHERE id = $1 AND state = 'stock' AND warehouse_id = $2")
                            .bind(cu)
                            .bind(wh)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                        if n == 0 {
                            return Err(conflict(
                                "not_in_stock",
                                "Серийного компонента уже нет на складе".into(),
                                "A serial component is no longer in stock".into(),
                            ));
                        }
                        add_move(
                            &mut tx,
                            cu,
                            Some(id),
                            "installed",
                            &date,
                            None,
                            Some(wh),
                            &format!("→ {}", s.serial),
                        )
                        .await?;
                    }
                    sql::query("INSERT INTO unit_components (unit_id, product_id, component_unit_id, lot, qty, installed_by) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(unit)
                        .bind(comp.product_id)
                        .bind(comp.unit_id)
                        .bind(&comp.lot)
                        .bind(comp.qty)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            sql::query("UPDATE documents SET state = 'posted', posted_at = $1 WHERE id = $2")
                .bind(now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "post",
                "production",
                id,
                &format!("{number}: {} units", specs.len()),
            )
            .await?;
            let v = production_view(&mut tx, id).await?;
            Ok(v)
        })
    }
}

/// A production document with what it makes (or made).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductionView {
    #[serde(flatten)]
    pub document: kupets_store::model::Document,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub product_id: i64,
    pub product_name: String,
    pub batch: String,
    /// Serials to make (draft) or made (posted).
    pub serials: Vec<String>,
    /// Made units (posted).
    pub units: Vec<UnitRow>,
    pub lines: Vec<kupets_store::model::DocLine>,
}

async fn production_view(conn: &mut Conn, id: i64) -> Result<ProductionView> {
    let r = sql::query(&format!(
        "SELECT {} FROM documents WHERE id = $1 AND kind = 'production'",
        kupets_store::model::Document::COLS
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound {
        entity: "production",
    })?;
    let document = kupets_store::model::Document::from_row(&r);
    let p = sql::query("SELECT p.product_id, pr.name, p.batch, p.spec FROM productions p JOIN products pr ON pr.id = p.product_id WHERE p.document_id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    let specs: Vec<UnitSpec> =
        serde_json::from_str(&p.get::<String, _>("spec")).unwrap_or_default();
    let rows = sql::query(&format!(
        "{UNIT_SQL} WHERE u.production_id = $1 ORDER BY u.id"
    ))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let lines = sql::query(&format!("SELECT {} FROM document_lines l JOIN products p ON p.id = l.product_id WHERE l.document_id = $1 ORDER BY l.line_no", kupets_store::model::DocLine::COLS))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(ProductionView {
        document,
        product_id: p.get("product_id"),
        product_name: p.get("name"),
        batch: p.get("batch"),
        serials: specs.iter().map(|s| s.serial.clone()).collect(),
        units: rows.iter().map(|r| unit_row(r, today())).collect(),
        lines: lines
            .iter()
            .map(|r| kupets_store::model::DocLine::from_row(r))
            .collect(),
    })
}
