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
use kupets_store::sql;
use kupets_store::{now, Conn};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

mod defects;
mod production;
mod recall;
mod repair;
mod trace;
mod units;

pub use defects::*;
pub use production::*;
pub use recall::*;
pub(crate) use repair::refuse_flagged_to_repair;
pub use repair::*;
pub(crate) use units::{drop_incoming, line_serials, post_units, receipt_serials, undo_units};

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
    /// While in repair: `client` — the client's property in our custody
    /// («в ремонте у нас»), `ours` — our own unit; null otherwise.
    pub custody: Option<String>,
}

const UNIT_SQL: &str = "SELECT u.id, u.product_id, p.name AS product_name, p.sku, u.serial, u.batch, u.production_date, u.state, u.warehouse_id, \
     u.counterparty_id, c.name AS counterparty_name, u.shipment_id, sd.number AS shipment_number, u.shipped_date, p.warranty_months, \
     CASE WHEN u.state = 'repair' THEN (SELECT CASE WHEN r.unit_state_before = 'customer' THEN 'client' ELSE 'ours' END FROM repairs r \
     WHERE r.unit_id = u.id AND r.state NOT IN ('handed_back', 'declined') ORDER BY r.document_id DESC LIMIT 1) END AS custody \
     FROM units u JOIN products p ON p.id = u.product_id LEFT JOIN counterparties c ON c.id = u.counterparty_id LEFT JOIN documents sd ON sd.id = u.shipment_id";

fn unit_row(r: &sql::Row, on: NaiveDate) -> UnitRow {
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
        custody: r.get("custody"),
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
    /// `produced`, `shipped`, `returned`, `repair_in`, `repair_out` (to our
    /// stock), `to_client` (a client's unit handed back after repair),
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
    /// `client`: the client's unit, taken into our custody (no credit, not
    /// in our stock), handed back to them; `ours`: our own unit (in stock
    /// when received — including units returned before issue 12), back to
    /// stock.
    pub custody: String,
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
    Ok(sql::query_as::<(i64, String, i64)>(
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
    sql::query("INSERT INTO unit_moves (unit_id, document_id, kind, move_date, counterparty_id, warehouse_id, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
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

const REPAIR_SQL: &str = "SELECT d.id, d.number, d.counterparty_id, c.name AS counterparty_name, d.warehouse_id, r.unit_id, u.serial, p.name AS product_name, r.state, r.complaint, \
     r.defect_category_id, dc.name_ru AS defect_category, r.warranty, r.warranty_auto, r.override_reason, r.work, r.price, r.cost, r.received_date, r.closed_date, \
     CASE WHEN r.unit_state_before = 'customer' THEN 'client' ELSE 'ours' END AS custody \
     FROM repairs r JOIN documents d ON d.id = r.document_id JOIN units u ON u.id = r.unit_id JOIN products p ON p.id = u.product_id \
     LEFT JOIN counterparties c ON c.id = d.counterparty_id LEFT JOIN defect_categories dc ON dc.id = r.defect_category_id";

fn repair_row(r: &sql::Row) -> RepairRow {
    RepairRow {
        id: r.get("id"),
        number: r.get("number"),
        unit_id: r.get("unit_id"),
        serial: r.get("serial"),
        product_name: r.get("product_name"),
        counterparty_id: r.get("counterparty_id"),
        counterparty_name: r.get("counterparty_name"),
        state: r.get("state"),
        custody: r.get("custody"),
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
