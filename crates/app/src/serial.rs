//! Serial-numbered units: production with as-built components, serials on
//! shipments and returns, the trace card, recalls, repairs and defect
//! statistics.
//!
//! A unit's `state` says where it is now (stock at a warehouse, at a
//! customer, in repair, built into another unit); `unit_moves` keeps every
//! step for the trace card; `unit_components` is the as-built record, where a
//! replaced component stays, marked removed.

use crate::input::{lenient, truthy, Check};
use crate::people::check_ref;
use crate::{today, Actor, App, AppError, Result};
use chrono::{Datelike, NaiveDate};
use kupets_domain::document::doc_number;
use kupets_domain::role::Right;
use kupets_domain::serial::{
    from_pattern, parse_serial, under_warranty, warranty_end, RepairState,
};
use kupets_domain::{DocKind, FieldError, Money, Qty};
use kupets_store::model::ser;
use kupets_store::queries::{audit, bind_all, next_doc_seq, P};
use kupets_store::{now, Conn, Tx};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::HashMap;
use utoipa::ToSchema;

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
    #[serde(default, deserialize_with = "lenient")]
    pub comment: Option<String>,
}

/// A validated component of one unit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct CompSpec {
    product_id: i64,
    qty: i64,
    unit_id: Option<i64>,
    lot: String,
}

/// A validated unit to make.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct UnitSpec {
    serial: String,
    components: Vec<CompSpec>,
}

// ------------------------------------------------------------------ views

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitRow {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub product_id: i64,
    pub product_name: String,
    pub sku: String,
    pub serial: String,
    pub batch: String,
    pub production_date: String,
    /// `stock`, `customer`, `repair`, `consumed`, `cancelled`.
    pub state: String,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub warehouse_id: Option<i64>,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub counterparty_id: Option<i64>,
    pub counterparty_name: Option<String>,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub shipment_id: Option<i64>,
    pub shipment_number: Option<String>,
    pub shipped_date: Option<String>,
    pub warranty_months: i64,
    /// Shipment date + warranty months; null until shipped.
    pub warranty_end: Option<String>,
    /// Under warranty today.
    pub under_warranty: bool,
}

const UNIT_SQL: &str = "SELECT u.id, u.product_id, p.name AS product_name, p.sku, u.serial, u.batch, u.production_date, u.state, u.warehouse_id, \
     u.counterparty_id, c.name AS counterparty_name, u.shipment_id, sd.number AS shipment_number, u.shipped_date, p.warranty_months \
     FROM units u JOIN products p ON p.id = u.product_id LEFT JOIN counterparties c ON c.id = u.counterparty_id LEFT JOIN documents sd ON sd.id = u.shipment_id";

fn unit_row(r: &sqlx::any::AnyRow, on: NaiveDate) -> UnitRow {
    let shipped: Option<String> = r.get("shipped_date");
    let months: i64 = r.get("warranty_months");
    let sd = shipped.as_deref().and_then(crate::input::parse_date);
    UnitRow {
        id: r.get("id"),
        product_id: r.get("product_id"),
        product_name: r.get("product_name"),
        sku: r.get("sku"),
        serial: r.get("serial"),
        batch: r.get("batch"),
        production_date: r.get("production_date"),
        state: r.get("state"),
        warehouse_id: r.get("warehouse_id"),
        counterparty_id: r.get("counterparty_id"),
        counterparty_name: r.get("counterparty_name"),
        shipment_id: r.get("shipment_id"),
        shipment_number: r.get("shipment_number"),
        shipped_date: shipped.clone(),
        warranty_months: months,
        warranty_end: sd
            .filter(|_| months > 0)
            .map(|d| warranty_end(d, months as u32).to_string()),
        under_warranty: under_warranty(sd, months.max(0) as u32, on),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComponentRow {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub product_id: i64,
    pub product_name: String,
    #[schema(value_type = String)]
    pub qty: String,
    pub serial: Option<String>,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub component_unit_id: Option<i64>,
    pub lot: String,
    pub installed_by: Option<String>,
    /// Replaced: by which repair, when.
    pub removed_by: Option<String>,
    pub removed_date: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MoveRow {
    pub date: String,
    /// `produced`, `shipped`, `returned`, `repair_in`, `repair_out`,
    /// `installed`, `component_added`, `component_removed`, `cancelled`.
    pub kind: String,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub document_id: Option<i64>,
    pub document_kind: Option<String>,
    pub document_number: Option<String>,
    pub counterparty_name: Option<String>,
    pub warehouse_name: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RepairRow {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    pub number: String,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub unit_id: i64,
    pub serial: String,
    pub product_name: String,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub counterparty_id: Option<i64>,
    pub counterparty_name: Option<String>,
    /// `received`, `diagnosis`, `in_repair`, `ready`, `handed_back`, `declined`.
    pub state: String,
    pub complaint: String,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub defect_category_id: Option<i64>,
    pub defect_category: Option<String>,
    pub warranty: bool,
    /// What the rule gave, before any override.
    pub warranty_auto: bool,
    pub override_reason: String,
    pub work: String,
    #[serde(serialize_with = "ser::money")]
    #[schema(value_type = String)]
    pub price: i64,
    #[serde(serialize_with = "ser::money")]
    #[schema(value_type = String)]
    pub cost: i64,
    pub received_date: String,
    pub closed_date: Option<String>,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub warehouse_id: Option<i64>,
    pub parts: Vec<kupets_store::model::DocLine>,
}

/// Everything known about one unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TraceCard {
    pub unit: UnitRow,
    pub production_number: Option<String>,
    pub components: Vec<ComponentRow>,
    pub moves: Vec<MoveRow>,
    pub repairs: Vec<RepairRow>,
    /// Units this one was built into.
    pub built_into: Vec<UnitRow>,
}

// ------------------------------------------------------------------ helpers

fn conflict(code: &'static str, ru: String, en: String) -> AppError {
    AppError::Conflict { code, ru, en }
}

async fn product_flags(conn: &mut Conn, id: i64) -> Result<Option<(bool, String, i64)>> {
    Ok(sqlx::query_as::<_, (i64, String, i64)>(
        "SELECT serial_tracked, name, warranty_months FROM products WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|(s, n, w)| (s != 0, n, w)))
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn add_move(
    conn: &mut Conn,
    unit: i64,
    doc: Option<i64>,
    kind: &str,
    date: &str,
    cp: Option<i64>,
    wh: Option<i64>,
    note: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO unit_moves (unit_id, document_id, kind, move_date, counterparty_id, warehouse_id, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(unit)
        .bind(doc)
        .bind(kind)
        .bind(date)
        .bind(cp)
        .bind(wh)
        .bind(note)
        .bind(now())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Parses components of a unit (`field` prefix for errors).
async fn parse_components(
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
            Some(s) => match Qty::parse(s) {
                Ok(q) if q.0 > 0 => q.0,
                _ => {
                    c.err(
                        &f("qty"),
                        "invalid_qty",
                        "Количество больше нуля, не более 3 знаков после запятой",
                        "A quantity above zero with at most 3 decimals",
                    );
                    0
                }
            },
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
                    let unit: Option<(i64, String, Option<i64>)> = sqlx::query_as("SELECT id, state, warehouse_id FROM units WHERE product_id = $1 AND serial = $2")
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
        let mut tx = self.store.begin().await?;
        let mut c = Check::new();
        let product = c.id("product_id", &input.product_id);
        let wh = c.id("warehouse_id", &input.warehouse_id);
        if wh != 0 {
            check_ref(&mut c, &mut tx, "warehouse_id", "warehouses", Some(wh)).await?;
        }
        let date = c.date("date", &input.date, today());
        let batch = c.opt_text("batch", &input.batch, 100);
        let comment = c.opt_text("comment", &input.comment, 1000);
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
                    let existing: Vec<String> = sqlx::query_scalar("SELECT serial FROM units WHERE product_id = $1 AND serial >= $2 AND serial < $3")
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
                let exists: Option<i64> = sqlx::query_scalar(
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
        sqlx::query("INSERT INTO productions (document_id, product_id, batch, spec) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(product)
            .bind(&batch)
            .bind(serde_json::to_string(&specs).map_err(|e| AppError::Internal(e.to_string()))?)
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
        tx.commit().await?;
        Ok(v)
    }

    pub async fn get_production(&self, _actor: &Actor, id: i64) -> Result<ProductionView> {
        let mut conn = self.store.reader().acquire().await?;
        production_view(&mut conn, id).await
    }

    /// Posts a production document: consumes the components, makes the
    /// units with their as-built record. Everything is checked again here.
    pub async fn post_production(&self, actor: &Actor, id: i64) -> Result<ProductionView> {
        actor.require(Right::MoveStock)?;
        let mut tx = self.store.begin().await?;
        let doc = sqlx::query(&format!("SELECT d.state, d.doc_date, d.warehouse_id, d.number, p.product_id, p.batch, p.spec FROM documents d JOIN productions p ON p.document_id = d.id WHERE d.id = $1{}", self.store.for_update()))
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
            ch.2 = sqlx::query_scalar("SELECT name FROM products WHERE id = $1")
                .bind(ch.0)
                .fetch_one(&mut *tx)
                .await?;
        }
        if let Some((name, have, delta)) = self
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
        sqlx::query("DELETE FROM document_lines WHERE document_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (i, (p, qty, _)) in changes.iter().enumerate() {
            sqlx::query("INSERT INTO document_lines (document_id, line_no, product_id, qty, price, amount, vat_rate, vat) SELECT $1, $2, id, $3, 0, 0, vat_rate, 0 FROM products WHERE id = $4")
                .bind(id)
                .bind(i as i64 + 1)
                .bind(*qty)
                .bind(*p)
                .execute(&mut *tx)
                .await?;
        }
        for s in &specs {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM units WHERE product_id = $1 AND serial = $2")
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
                    let n = sqlx::query("UPDATE units SET state = 'consumed', warehouse_id = NULL WHERE id = $1 AND state = 'stock' AND warehouse_id = $2")
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
                sqlx::query("INSERT INTO unit_components (unit_id, product_id, component_unit_id, lot, qty, installed_by) VALUES ($1, $2, $3, $4, $5, $6)")
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
        sqlx::query("UPDATE documents SET state = 'posted', posted_at = $1 WHERE id = $2")
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
        tx.commit().await?;
        Ok(v)
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
    let r = sqlx::query(&format!(
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
    let p = sqlx::query("SELECT p.product_id, pr.name, p.batch, p.spec FROM productions p JOIN products pr ON pr.id = p.product_id WHERE p.document_id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    let specs: Vec<UnitSpec> =
        serde_json::from_str(&p.get::<String, _>("spec")).unwrap_or_default();
    let rows = sqlx::query(&format!(
        "{UNIT_SQL} WHERE u.production_id = $1 ORDER BY u.id"
    ))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let lines = sqlx::query(&format!("SELECT {} FROM document_lines l JOIN products p ON p.id = l.product_id WHERE l.document_id = $1 ORDER BY l.line_no", kupets_store::model::DocLine::COLS))
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

// ------------------------------------------------------------------ serials on documents

/// Whether a unit was named on the line a return reverses.
async fn on_base_line(tx: &mut Tx, base_line: Option<i64>, unit: i64) -> Result<bool> {
    let Some(bl) = base_line else {
        return Ok(false);
    };
    let hit: Option<i64> =
        sqlx::query_scalar("SELECT unit_id FROM line_units WHERE line_id = $1 AND unit_id = $2")
            .bind(bl)
            .bind(unit)
            .fetch_optional(&mut **tx)
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
    tx: &mut Tx,
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
        let unit: Option<(i64, String, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT id, state, warehouse_id, counterparty_id FROM units WHERE product_id = $1 AND serial = $2",
        )
        .bind(product)
        .bind(&sn)
        .fetch_optional(&mut **tx)
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
    tx: &mut Tx,
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
            sqlx::query_scalar("SELECT id FROM units WHERE product_id = $1 AND serial = $2")
                .bind(product)
                .bind(&sn)
                .fetch_optional(&mut **tx)
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
pub(crate) async fn drop_incoming(tx: &mut Tx, doc: i64) -> Result<()> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT u.id FROM line_units lu JOIN document_lines l ON l.id = lu.line_id JOIN units u ON u.id = lu.unit_id WHERE l.document_id = $1 AND u.state = 'incoming'",
    )
    .bind(doc)
    .fetch_all(&mut **tx)
    .await?;
    for id in ids {
        sqlx::query("DELETE FROM line_units WHERE unit_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM units WHERE id = $1 AND state = 'incoming'")
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The units named on a document's lines.
async fn doc_units(tx: &mut Tx, doc: i64) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.serial FROM line_units lu JOIN document_lines l ON l.id = lu.line_id JOIN units u ON u.id = lu.unit_id WHERE l.document_id = $1 ORDER BY u.id",
    )
    .bind(doc)
    .fetch_all(&mut **tx)
    .await?)
}

/// Posting a shipment or customer return moves its units; each update is
/// conditional on where the unit must be, so two documents naming one
/// serial cannot both post.
pub(crate) async fn post_units(
    tx: &mut Tx,
    doc: &kupets_store::model::Document,
    kind: DocKind,
) -> Result<()> {
    let units = doc_units(tx, doc.id).await?;
    let wh = doc.warehouse_id;
    for (u, sn) in units {
        let n = match kind {
            DocKind::SupplierReturn => sqlx::query(
                "UPDATE units SET state = 'supplier', warehouse_id = NULL WHERE id = $1 AND state = 'stock' AND warehouse_id = $2",
            )
            .bind(u)
            .bind(wh)
            .execute(&mut **tx)
            .await?
            .rows_affected(),
            DocKind::Receipt => sqlx::query("UPDATE units SET state = 'stock', warehouse_id = $1, production_date = $2, batch = $3 WHERE id = $4 AND state = 'incoming'")
                .bind(wh)
                .bind(&doc.date)
                .bind(&doc.number)
                .bind(u)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
            DocKind::Shipment => sqlx::query("UPDATE units SET state = 'customer', warehouse_id = NULL, counterparty_id = $1, shipment_id = $2, shipped_date = $3 WHERE id = $4 AND state = 'stock' AND warehouse_id = $5")
                .bind(doc.counterparty_id)
                .bind(doc.id)
                .bind(&doc.date)
                .bind(u)
                .bind(wh)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
            _ => sqlx::query("UPDATE units SET state = 'stock', warehouse_id = $1, counterparty_id = NULL, shipment_id = NULL WHERE id = $2 AND state = 'customer' AND counterparty_id = $3")
                .bind(wh)
                .bind(u)
                .bind(doc.counterparty_id)
                .execute(&mut **tx)
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
            sqlx::query("UPDATE recall_units SET progress = 'returned', updated_at = $1 WHERE unit_id = $2 AND progress IN ('pending', 'contacted')")
                .bind(now())
                .bind(u)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// Cancelling puts units back where the document found them, or refuses
/// when a unit has moved on since (cancel the later document first).
pub(crate) async fn undo_units(tx: &mut Tx, doc_id: i64) -> Result<()> {
    let d = sqlx::query("SELECT kind, warehouse_id, counterparty_id, base_id, doc_date FROM documents WHERE id = $1")
        .bind(doc_id)
        .fetch_one(&mut **tx)
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
                let n = sqlx::query("UPDATE units SET state = 'stock', warehouse_id = $1, counterparty_id = NULL, shipment_id = NULL, shipped_date = NULL WHERE id = $2 AND state = 'customer' AND shipment_id = $3")
                    .bind(wh)
                    .bind(u)
                    .bind(doc_id)
                    .execute(&mut **tx)
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
                let n = sqlx::query("UPDATE units SET state = 'customer', warehouse_id = NULL, counterparty_id = $1, shipment_id = $2 WHERE id = $3 AND state = 'stock' AND warehouse_id = $4")
                    .bind(cp)
                    .bind(base)
                    .bind(u)
                    .bind(wh)
                    .execute(&mut **tx)
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
                let n = sqlx::query(
                    "UPDATE units SET state = 'stock', warehouse_id = $1 WHERE id = $2 AND state = 'supplier'",
                )
                .bind(wh)
                .bind(u)
                .execute(&mut **tx)
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
                let n = sqlx::query("UPDATE units SET state = 'cancelled', warehouse_id = NULL WHERE id = $1 AND state = 'stock' AND warehouse_id = $2")
                    .bind(u)
                    .bind(wh)
                    .execute(&mut **tx)
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
            let made: Vec<(i64, String, String, Option<i64>)> = sqlx::query_as(
                "SELECT id, serial, state, warehouse_id FROM units WHERE production_id = $1",
            )
            .bind(doc_id)
            .fetch_all(&mut **tx)
            .await?;
            for (u, sn, state, uwh) in &made {
                if state != "stock" || *uwh != wh {
                    return Err(moved(sn));
                }
                sqlx::query(
                    "UPDATE units SET state = 'cancelled', warehouse_id = NULL WHERE id = $1",
                )
                .bind(*u)
                .execute(&mut **tx)
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
            let parts: Vec<(i64,)> = sqlx::query_as("SELECT c.component_unit_id FROM unit_components c JOIN units u ON u.id = c.unit_id WHERE u.production_id = $1 AND c.component_unit_id IS NOT NULL")
                .bind(doc_id)
                .fetch_all(&mut **tx)
                .await?;
            for (cu,) in parts {
                sqlx::query("UPDATE units SET state = 'stock', warehouse_id = $1 WHERE id = $2")
                    .bind(wh)
                    .bind(cu)
                    .execute(&mut **tx)
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

// ------------------------------------------------------------------ trace, search

const REPAIR_SQL: &str = "SELECT d.id, d.number, d.counterparty_id, c.name AS counterparty_name, d.warehouse_id, r.unit_id, u.serial, p.name AS product_name, r.state, r.complaint, \
     r.defect_category_id, dc.name_ru AS defect_category, r.warranty, r.warranty_auto, r.override_reason, r.work, r.price, r.cost, r.received_date, r.closed_date \
     FROM repairs r JOIN documents d ON d.id = r.document_id JOIN units u ON u.id = r.unit_id JOIN products p ON p.id = u.product_id \
     LEFT JOIN counterparties c ON c.id = d.counterparty_id LEFT JOIN defect_categories dc ON dc.id = r.defect_category_id";

fn repair_row(r: &sqlx::any::AnyRow) -> RepairRow {
    RepairRow {
        id: r.get("id"),
        number: r.get("number"),
        unit_id: r.get("unit_id"),
        serial: r.get("serial"),
        product_name: r.get("product_name"),
        counterparty_id: r.get("counterparty_id"),
        counterparty_name: r.get("counterparty_name"),
        state: r.get("state"),
        complaint: r.get("complaint"),
        defect_category_id: r.get("defect_category_id"),
        defect_category: r.get("defect_category"),
        warranty: r.get::<i64, _>("warranty") != 0,
        warranty_auto: r.get::<i64, _>("warranty_auto") != 0,
        override_reason: r.get("override_reason"),
        work: r.get("work"),
        price: r.get("price"),
        cost: r.get("cost"),
        received_date: r.get("received_date"),
        closed_date: r.get("closed_date"),
        warehouse_id: r.get("warehouse_id"),
        parts: Vec::new(),
    }
}

impl App {
    /// Units whose serial is `q` (any product), or starts with it.
    pub async fn find_units(&self, _actor: &Actor, q: &str) -> Result<Vec<UnitRow>> {
        let q = q.trim();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&format!(
            "{UNIT_SQL} WHERE u.serial >= $1 AND u.serial < $2 ORDER BY u.serial, u.id LIMIT 50"
        ))
        .bind(q)
        .bind(format!("{q}\u{10FFFF}"))
        .fetch_all(self.store.reader())
        .await?;
        Ok(rows.iter().map(|r| unit_row(r, today())).collect())
    }

    /// The trace card of a unit.
    pub async fn trace(&self, _actor: &Actor, unit_id: i64) -> Result<TraceCard> {
        let mut conn = self.store.reader().acquire().await?;
        let on = today();
        let r = sqlx::query(&format!("{UNIT_SQL} WHERE u.id = $1"))
            .bind(unit_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(AppError::NotFound { entity: "unit" })?;
        let unit = unit_row(&r, on);
        let production_number: Option<String> = sqlx::query_scalar("SELECT d.number FROM units u JOIN documents d ON d.id = u.production_id WHERE u.id = $1")
            .bind(unit_id)
            .fetch_optional(&mut *conn)
            .await?;
        let comps = sqlx::query(
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
        let mv = sqlx::query(
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
        let rp = sqlx::query(&format!("{REPAIR_SQL} WHERE r.unit_id = $1 ORDER BY d.id"))
            .bind(unit_id)
            .fetch_all(&mut *conn)
            .await?;
        let parents = sqlx::query(&format!(
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
}

/// Writes a repair order for a unit (inside the caller's transaction):
/// the document, the repair row with the warranty decided on `date`, the
/// unit into repair. Returns the repair's id.
pub(crate) async fn open_repair_tx(
    tx: &mut Tx,
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
        Some(cp) => sqlx::query_scalar("SELECT manager_id FROM counterparties WHERE id = $1")
            .bind(cp)
            .fetch_optional(&mut **tx)
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
    sqlx::query("INSERT INTO repairs (document_id, unit_id, state, complaint, warranty, warranty_auto, unit_state_before, received_date) VALUES ($1, $2, 'received', $3, $4, $4, $5, $6)")
        .bind(id)
        .bind(unit_id)
        .bind(complaint)
        .bind(warranty as i64)
        .bind(&state)
        .bind(date.to_string())
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE units SET state = 'repair' WHERE id = $1")
        .bind(unit_id)
        .execute(&mut **tx)
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
    let r = sqlx::query(&format!("{REPAIR_SQL} WHERE r.document_id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound { entity: "repair" })?;
    let mut row = repair_row(&r);
    let lines = sqlx::query(&format!("SELECT {} FROM document_lines l JOIN products p ON p.id = l.product_id WHERE l.document_id = $1 ORDER BY l.line_no", kupets_store::model::DocLine::COLS))
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
        let rows = sqlx::query("SELECT id, code, name_ru, name_en FROM defect_categories WHERE archived = 0 ORDER BY id")
            .fetch_all(self.store.reader())
            .await?;
        Ok(rows
            .iter()
            .map(|r| DefectCategory {
                id: r.get("id"),
                code: r.get("code"),
                name_ru: r.get("name_ru"),
                name_en: r.get("name_en"),
            })
            .collect())
    }

    /// Opens a repair order for a unit; warranty is decided from its
    /// shipment date and the product's warranty months.
    pub async fn open_repair(&self, actor: &Actor, input: &RepairInput) -> Result<RepairRow> {
        actor.require(Right::Repair)?;
        let mut tx = self.store.begin().await?;
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
            unit = sqlx::query_as(&format!("{sql} WHERE u.id = $1"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        } else if let Some(sn) = serial {
            let found: Vec<UnitFacts> = sqlx::query_as(&format!("{sql} WHERE u.serial = $1 AND ($2 = 0 OR u.product_id = $2) AND u.state <> 'cancelled'"))
                .bind(sn)
                .bind(product.unwrap_or(0))
                .fetch_all(&mut *tx)
                .await?;
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
        tx.commit().await?;
        Ok(r)
    }

    pub async fn get_repair(&self, _actor: &Actor, id: i64) -> Result<RepairRow> {
        let mut conn = self.store.reader().acquire().await?;
        load_repair(&mut conn, id).await
    }

    pub async fn list_repairs(&self, _actor: &Actor, open_only: bool) -> Result<Vec<RepairRow>> {
        let rows = sqlx::query(&format!(
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
        let mut tx = self.store.begin().await?;
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
        sqlx::query("UPDATE repairs SET defect_category_id = COALESCE($1, defect_category_id), work = CASE WHEN $2 = '' THEN work ELSE $2 END, complaint = COALESCE($3, complaint), price = $4, cost = $5, warranty = $6, override_reason = CASE WHEN $7 = '' THEN override_reason ELSE $7 END WHERE document_id = $8")
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
        tx.commit().await?;
        Ok(r)
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
        let mut tx = self.store.begin().await?;
        sqlx::query(&format!(
            "SELECT document_id FROM repairs WHERE document_id = $1{}",
            self.store.for_update()
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
        sqlx::query("UPDATE repairs SET state = $1, closed_date = CASE WHEN $2 = 1 THEN $3 ELSE closed_date END WHERE document_id = $4")
            .bind(next.code())
            .bind(next.is_closed() as i64)
            .bind(&d)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        match next {
            RepairState::Ready => {
                let remind: (i64, Option<i64>) = sqlx::query_as(
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
                let before: String = sqlx::query_scalar(
                    "SELECT unit_state_before FROM repairs WHERE document_id = $1",
                )
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query("UPDATE units SET state = $1 WHERE id = $2")
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
                sqlx::query("UPDATE documents SET state = 'posted', posted_at = $1, amount = $2 WHERE id = $3").bind(now()).bind(amount).bind(id).execute(&mut *tx).await?;
                if let (true, Some(cp)) = (paid, cur.counterparty_id) {
                    crate::document::write_entry(&mut tx, cp, None, id, &d, Money(amount)).await?;
                }
                if next == RepairState::HandedBack {
                    sqlx::query("UPDATE recall_units SET progress = 'repaired', updated_at = $1 WHERE unit_id = $2 AND progress <> 'repaired'").bind(now()).bind(cur.unit_id).execute(&mut *tx).await?;
                }
                // The "ready" reminder is done.
                let done: (i64, Option<i64>) =
                    sqlx::query_as("SELECT id, funnel_stage FROM statuses WHERE code = 'done'")
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
        tx.commit().await?;
        Ok(r)
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
        let mut tx = self.store.begin().await?;
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
            replaced = sqlx::query_as("SELECT c.id, c.component_unit_id FROM unit_components c JOIN units cu ON cu.id = c.component_unit_id WHERE c.unit_id = $1 AND cu.serial = $2 AND c.removed_by IS NULL")
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
            replaced = sqlx::query_as("SELECT id, component_unit_id FROM unit_components WHERE unit_id = $1 AND lot = $2 AND product_id = $3 AND removed_by IS NULL ORDER BY id LIMIT 1")
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
        let name: String = sqlx::query_scalar("SELECT name FROM products WHERE id = $1")
            .bind(comp.product_id)
            .fetch_one(&mut *tx)
            .await?;
        if let Some((n, have, delta)) = self
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
        let line_no: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(MAX(line_no), 0) + 1 AS BIGINT) FROM document_lines WHERE document_id = $1").bind(id).fetch_one(&mut *tx).await?;
        sqlx::query("INSERT INTO document_lines (document_id, line_no, product_id, qty, price, amount, vat_rate, vat) SELECT $1, $2, id, $3, 0, 0, vat_rate, 0 FROM products WHERE id = $4")
            .bind(id)
            .bind(line_no)
            .bind(comp.qty)
            .bind(comp.product_id)
            .execute(&mut *tx)
            .await?;
        if let Some((cid, old_unit)) = replaced {
            sqlx::query(
                "UPDATE unit_components SET removed_by = $1, removed_date = $2 WHERE id = $3",
            )
            .bind(id)
            .bind(&d)
            .bind(cid)
            .execute(&mut *tx)
            .await?;
            if let Some(ou) = old_unit {
                sqlx::query("UPDATE units SET state = 'scrapped' WHERE id = $1")
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
            sqlx::query("UPDATE units SET state = 'consumed', warehouse_id = NULL WHERE id = $1")
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
        sqlx::query("INSERT INTO unit_components (unit_id, product_id, component_unit_id, lot, qty, installed_by) VALUES ($1, $2, $3, $4, $5, $6)")
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
        tx.commit().await?;
        Ok(r)
    }
}

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
        let mut conn = self.store.reader().acquire().await?;
        recall_units(&mut conn, k).await
    }

    /// Opens a recall campaign: the units found, and a reminder on each
    /// affected shipment for its manager.
    pub async fn open_recall(&self, actor: &Actor, input: &RecallInput) -> Result<Recall> {
        actor.require(Right::LeadDepartment)?;
        let mut c = Check::new();
        let name = c.text("name", &input.name, 200);
        c.done()?;
        let mut tx = self.store.begin().await?;
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
            sqlx::query("INSERT INTO recall_units (recall_id, unit_id, shipment_id, counterparty_id, progress, updated_at) VALUES ($1, $2, $3, $4, 'pending', $5)")
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
            sqlx::query_as("SELECT id, funnel_stage FROM statuses WHERE code = 'recall'")
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
        tx.commit().await?;
        Ok(r)
    }

    pub async fn get_recall(&self, _actor: &Actor, id: i64) -> Result<Recall> {
        let mut conn = self.store.reader().acquire().await?;
        load_recall(&mut conn, id).await
    }

    pub async fn list_recalls(&self, _actor: &Actor) -> Result<Vec<(i64, String, String, i64)>> {
        Ok(sqlx::query_as("SELECT r.id, r.name, r.created_at, (SELECT COUNT(*) FROM recall_units x WHERE x.recall_id = r.id) FROM recalls r ORDER BY r.id DESC LIMIT 200")
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
        let mut tx = self.store.begin().await?;
        let n = sqlx::query("UPDATE recall_units SET progress = $1, updated_at = $2 WHERE recall_id = $3 AND unit_id = $4")
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
        tx.commit().await?;
        Ok(r)
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
            let row: Option<(String, String, String, String, String)> = sqlx::query_as(
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
        sqlx::query_as("SELECT name, criteria, created_at FROM recalls WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(AppError::NotFound { entity: "recall" })?;
    let rows = sqlx::query(&format!("{UNIT_SQL} JOIN recall_units ru ON ru.unit_id = u.id WHERE ru.recall_id = $1 ORDER BY u.serial"))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    let progress: HashMap<i64, String> = sqlx::query_as::<_, (i64, String)>(
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
        let rows = bind_all(sqlx::query(&sql), &params)
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
                sqlx::query(&format!(
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
            sqlx::query(&format!(
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

// ------------------------------------------------------------------ defect statistics

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DefectRow {
    /// The product, category, month (`2026-03`) or lot.
    pub key: String,
    pub label: String,
    pub repairs: i64,
    /// Units shipped (of the product, month or lot); null for categories.
    pub shipped: Option<i64>,
    /// Repairs per unit shipped, %.
    pub failure_rate: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DefectStats {
    pub from: String,
    pub to: String,
    pub repairs: i64,
    pub by_product: Vec<DefectRow>,
    pub by_category: Vec<DefectRow>,
    pub by_month: Vec<DefectRow>,
    pub by_lot: Vec<DefectRow>,
}

fn rate(repairs: i64, shipped: i64) -> Option<String> {
    (shipped > 0).then(|| {
        kupets_domain::Percent(kupets_domain::money::div_round(
            repairs as i128 * 10_000,
            shipped as i128,
        ) as i64)
        .to_api()
    })
}

impl App {
    /// Repairs received in the period by product, defect category,
    /// production month and component lot; failure rate = repairs per unit
    /// shipped (units ever shipped of that product, month or lot).
    pub async fn defect_stats(
        &self,
        _actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<DefectStats> {
        let mut conn = self.store.reader().acquire().await?;
        let (f, t) = (from.to_string(), to.to_string());
        let repairs: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM repairs WHERE received_date >= $1 AND received_date <= $2",
        )
        .bind(&f)
        .bind(&t)
        .fetch_one(&mut *conn)
        .await?;
        let grouped = |sql: &str| sql.to_string();
        let by_product: Vec<(i64, String, i64, i64)> = sqlx::query_as(&grouped(
            "SELECT u.product_id, p.name, COUNT(*) AS n, (SELECT COUNT(*) FROM units x WHERE x.product_id = u.product_id AND x.shipped_date IS NOT NULL) AS shipped \
             FROM repairs r JOIN units u ON u.id = r.unit_id JOIN products p ON p.id = u.product_id \
             WHERE r.received_date >= $1 AND r.received_date <= $2 GROUP BY u.product_id, p.name ORDER BY n DESC, p.name",
        ))
        .bind(&f)
        .bind(&t)
        .fetch_all(&mut *conn)
        .await?;
        let by_category: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT COALESCE(dc.code, ''), COALESCE(dc.name_ru, 'Не указана'), COUNT(*) AS n FROM repairs r LEFT JOIN defect_categories dc ON dc.id = r.defect_category_id \
             WHERE r.received_date >= $1 AND r.received_date <= $2 GROUP BY dc.code, dc.name_ru ORDER BY n DESC",
        )
        .bind(&f)
        .bind(&t)
        .fetch_all(&mut *conn)
        .await?;
        let by_month: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT q.m, COUNT(*) AS n, \
               (SELECT COUNT(*) FROM units x WHERE SUBSTR(x.production_date, 1, 7) = q.m AND x.shipped_date IS NOT NULL) AS shipped \
             FROM (SELECT SUBSTR(u.production_date, 1, 7) AS m FROM repairs r JOIN units u ON u.id = r.unit_id \
                   WHERE r.received_date >= $1 AND r.received_date <= $2) q GROUP BY q.m ORDER BY q.m",
        )
        .bind(&f)
        .bind(&t)
        .fetch_all(&mut *conn)
        .await?;
        let by_lot: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT c.lot, p.name, COUNT(DISTINCT r.document_id) AS n, \
               (SELECT COUNT(DISTINCT y.unit_id) FROM unit_components y JOIN units z ON z.id = y.unit_id WHERE y.lot = c.lot AND y.product_id = c.product_id AND z.shipped_date IS NOT NULL) AS shipped \
             FROM repairs r JOIN unit_components c ON c.unit_id = r.unit_id AND c.lot <> '' JOIN products p ON p.id = c.product_id \
             WHERE r.received_date >= $1 AND r.received_date <= $2 GROUP BY c.lot, c.product_id, p.name ORDER BY n DESC, c.lot LIMIT 100",
        )
        .bind(&f)
        .bind(&t)
        .fetch_all(&mut *conn)
        .await?;
        Ok(DefectStats {
            from: f.clone(),
            to: t.clone(),
            repairs,
            by_product: by_product
                .into_iter()
                .map(|(id, name, n, s)| DefectRow {
                    key: id.to_string(),
                    label: name,
                    repairs: n,
                    shipped: Some(s),
                    failure_rate: rate(n, s),
                })
                .collect(),
            by_category: by_category
                .into_iter()
                .map(|(code, name, n)| DefectRow {
                    key: code,
                    label: name,
                    repairs: n,
                    shipped: None,
                    failure_rate: None,
                })
                .collect(),
            by_month: by_month
                .into_iter()
                .map(|(m, n, s)| DefectRow {
                    key: m.clone(),
                    label: m,
                    repairs: n,
                    shipped: Some(s),
                    failure_rate: rate(n, s),
                })
                .collect(),
            by_lot: by_lot
                .into_iter()
                .map(|(lot, name, n, s)| DefectRow {
                    key: lot.clone(),
                    label: format!("{name}, {lot}"),
                    repairs: n,
                    shipped: Some(s),
                    failure_rate: rate(n, s),
                })
                .collect(),
        })
    }
}

/// A return marked "to repair" opens a repair order for each unit it takes
/// back, received on the return's date.
pub(crate) async fn returned_to_repair(
    tx: &mut Tx,
    actor: &Actor,
    doc: &kupets_store::model::Document,
) -> Result<()> {
    let flag: i64 = sqlx::query_scalar("SELECT to_repair FROM documents WHERE id = $1")
        .bind(doc.id)
        .fetch_one(&mut **tx)
        .await?;
    if flag == 0 {
        return Ok(());
    }
    let date = crate::input::parse_date(&doc.date).unwrap_or_else(today);
    for (u, _) in doc_units(tx, doc.id).await? {
        let facts: UnitFacts = sqlx::query_as("SELECT u.id, u.state, u.counterparty_id, u.shipped_date, p.warranty_months, u.serial FROM units u JOIN products p ON p.id = u.product_id WHERE u.id = $1")
            .bind(u)
            .fetch_one(&mut **tx)
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
