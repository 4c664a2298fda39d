//! Opening stock from a file: ONE posted receipt «Ввод начальных остатков
//! склада», dated, at one warehouse, without a supplier, whose lines bring
//! the goods in at the unit cost given (net of VAT: the lines carry no
//! VAT, so the price is the cost). It moves the stock and the moving
//! average exactly as a posted receipt does (`apply_stock`, `cost::apply`),
//! so cancelling it like any receipt takes both back.
//!
//! Serial-tracked products are refused: each of their units needs its
//! serial number on the receipt line, which a table of quantities does not
//! carry; their opening stock goes in as a receipt typed with the serials.

use super::super::{insert_rows, Progress, CHUNK};
use super::{err, one_date, sku_error, Column, RowError, Rows};
use crate::cost::{Move, Unit};
use crate::{Actor, App, Result};
use kupets_domain::trade::line_amount;
use kupets_domain::{DocKind, Money, Qty};
use kupets_store::queries::{audit, bind_all, placeholders, P};
use kupets_store::{now, sql, Conn};
use std::collections::{HashMap, HashSet};

pub const OPENING_STOCK_COLUMNS: &[Column] = &[
    Column {
        field: "warehouse",
        ru: "Склад",
        aliases: &["warehouse"],
        required: true,
        example: "Основной склад",
    },
    Column {
        field: "sku",
        ru: "Артикул",
        aliases: &["sku", "код", "article"],
        required: true,
        example: "DR-500",
    },
    Column {
        field: "qty",
        ru: "Количество",
        aliases: &["qty", "quantity", "кол-во", "остаток"],
        required: true,
        example: "10",
    },
    Column {
        field: "cost",
        ru: "Себестоимость",
        aliases: &["cost", "себестоимость за единицу", "цена", "price"],
        required: true,
        example: "3200.00",
    },
    Column {
        field: "date",
        ru: "Дата",
        aliases: &["date", "на дату"],
        required: true,
        example: "2025-12-31",
    },
];

/// One line of the receipt.
struct Line {
    product: i64,
    name: String,
    /// Thousandths.
    qty: i64,
    /// Unit cost net of VAT, kopecks.
    cost: i64,
}

struct Plan {
    date: chrono::NaiveDate,
    warehouse: i64,
    lines: Vec<Line>,
}

async fn check(conn: &mut Conn, rows: &Rows) -> Result<(Plan, Vec<RowError>)> {
    let mut errs = Vec::new();
    let mut warehouses: HashMap<String, Vec<i64>> = HashMap::new();
    for r in sql::query("SELECT id, name FROM warehouses WHERE archived = 0")
        .fetch_all(&mut *conn)
        .await?
    {
        warehouses
            .entry(r.get::<String, _>("name").to_lowercase())
            .or_default()
            .push(r.get("id"));
    }
    let skus: Vec<String> = rows
        .rows
        .iter()
        .filter_map(|(_, r)| r.get("sku").cloned())
        .filter(|s| !s.is_empty())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    // SKU → (id, name, serial tracked)
    let mut products: HashMap<String, (i64, String, bool)> = HashMap::new();
    for chunk in skus.chunks(CHUNK) {
        let q = format!(
            "SELECT id, sku, name, serial_tracked FROM products WHERE archived = 0 AND sku IN ({})",
            placeholders(1, chunk.len())
        );
        let ps: Vec<P> = chunk.iter().map(|s| P::from(s.as_str())).collect();
        for r in bind_all(sql::query(&q), &ps).fetch_all(&mut *conn).await? {
            products.insert(
                r.get("sku"),
                (
                    r.get("id"),
                    r.get("name"),
                    r.get::<i64, _>("serial_tracked") != 0,
                ),
            );
        }
    }
    let mut plan = Plan {
        date: chrono::NaiveDate::default(),
        warehouse: 0,
        lines: Vec::new(),
    };
    let mut date = None;
    let mut first_wh: Option<(i64, String)> = None;
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for (n, r) in &rows.rows {
        let g = |k: &str| r.get(k).cloned().unwrap_or_default();
        let wh_name = g("warehouse");
        match warehouses.get(&wh_name.to_lowercase()).map(Vec::as_slice) {
            Some([id]) => match &first_wh {
                None => first_wh = Some((*id, wh_name.clone())),
                Some((first, name)) if first != id => errs.push(err(
                    *n,
                    "warehouse",
                    "other_warehouse",
                    format!("Один документ — один склад: в файле уже «{name}»; остатки другого склада загрузите отдельным файлом"),
                    format!("One document, one warehouse: the file already names '{name}'; load another warehouse's stock as a file of its own"),
                )),
                _ => {}
            },
            Some(_) => errs.push(err(
                *n,
                "warehouse",
                "ambiguous",
                format!("Несколько складов называются «{wh_name}»"),
                format!("Several warehouses are named '{wh_name}'"),
            )),
            None => errs.push(if wh_name.is_empty() {
                err(*n, "warehouse", "required", "Склад обязателен", "The warehouse is required")
            } else {
                err(
                    *n,
                    "warehouse",
                    "not_found",
                    format!("Склад «{wh_name}» не найден"),
                    format!("No warehouse '{wh_name}'"),
                )
            }),
        }
        let sku = g("sku");
        let product = match products.get(&sku) {
            Some((_, name, true)) => {
                errs.push(err(
                    *n,
                    "sku",
                    "serial_tracked",
                    format!("«{name}» учитывается по серийным номерам: введите его остаток приходной накладной с номерами каждого экземпляра"),
                    format!("'{name}' is tracked by serial numbers: enter its stock as a receipt giving each unit's serial number"),
                ));
                None
            }
            Some((id, name, false)) => {
                if let Some(first) = seen.insert(*id, *n) {
                    errs.push(err(
                        *n,
                        "sku",
                        "duplicate",
                        format!("Тот же товар, что в строке {first}"),
                        format!("The same product as row {first}"),
                    ));
                }
                Some((*id, name.clone()))
            }
            None => {
                errs.push(sku_error(*n, &sku));
                None
            }
        };
        let qty = match Qty::parse(&g("qty")) {
            Ok(q) if q.0 > 0 && q.in_bounds() => q.0,
            _ => {
                errs.push(err(
                    *n,
                    "qty",
                    "invalid_qty",
                    "Количество: больше нуля, до 3 знаков после запятой",
                    "Quantity: above zero, up to 3 decimals",
                ));
                0
            }
        };
        let cost = match Money::parse(&g("cost")) {
            Ok(m) if m.0 >= 0 && m.in_bounds() && line_amount(Qty(qty), m).in_bounds() => m.0,
            _ => {
                errs.push(err(
                    *n,
                    "cost",
                    "invalid_money",
                    "Себестоимость единицы без НДС: сумма не меньше нуля, до 2 знаков",
                    "Unit cost net of VAT: an amount of zero or more, up to 2 decimals",
                ));
                0
            }
        };
        one_date(&mut errs, &mut date, *n, &g("date"));
        if let Some((id, name)) = product {
            plan.lines.push(Line {
                product: id,
                name,
                qty,
                cost,
            });
        }
    }
    plan.date = date.unwrap_or_default();
    plan.warehouse = first_wh.map(|w| w.0).unwrap_or_default();
    Ok((plan, errs))
}

/// Writes the posted receipt: header, lines (multi-row INSERTs), then the
/// stock and the averages a chunk of products at a time (each product is
/// on one line, so the chunks are independent).
async fn write(
    app: &App,
    tx: &mut Conn,
    actor: &Actor,
    plan: &Plan,
    progress: &Progress,
) -> Result<i64> {
    use chrono::Datelike;
    let kind = DocKind::Receipt;
    let (date, year) = (plan.date.to_string(), plan.date.year());
    let seq = super::super::reserve_seqs(tx, kind.code(), year, 1).await?;
    let at = now();
    let amounts: Vec<i64> = plan
        .lines
        .iter()
        .map(|l| line_amount(Qty(l.qty), Money(l.cost)).0)
        .collect();
    let total = Money(amounts.iter().map(|a| Money(*a)).sum::<Money>().0);
    let id = kupets_store::queries::insert(
        tx,
        "documents",
        &[
            ("kind", P::from(kind.code())),
            ("year", P::from(year as i64)),
            ("seq", P::from(seq)),
            (
                "number",
                P::from(kupets_domain::document::doc_number(kind, year, seq)),
            ),
            ("doc_date", P::from(date.as_str())),
            ("state", P::from("posted")),
            ("author_id", P::from(actor.id())),
            ("responsible_id", P::from(actor.id())),
            ("warehouse_id", P::from(plan.warehouse)),
            ("amount", P::from(total.0)),
            (
                "comment",
                P::from("Ввод начальных остатков склада (загрузка)"),
            ),
            ("created_at", P::from(at.as_str())),
            ("posted_at", P::from(at.as_str())),
        ],
    )
    .await?;
    let rows: Vec<Vec<P>> = plan
        .lines
        .iter()
        .zip(&amounts)
        .enumerate()
        .map(|(i, (l, a))| {
            vec![
                P::from(id),
                P::from(i as i64 + 1),
                P::from(l.product),
                P::from(l.qty),
                P::from(l.cost),
                P::from(*a),
                P::from("none"),
                P::from(0i64),
            ]
        })
        .collect();
    let line_ids: HashMap<i64, i64> = insert_rows(
        tx,
        "document_lines",
        &[
            "document_id",
            "line_no",
            "product_id",
            "qty",
            "price",
            "amount",
            "vat_rate",
            "vat",
        ],
        &rows,
        Some("id, line_no"),
    )
    .await?
    .iter()
    .map(|r| (r.get::<i64, _>("line_no"), r.get::<i64, _>("id")))
    .collect();
    let numbered: Vec<(i64, &Line)> = plan
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i as i64 + 1, l))
        .collect();
    for chunk in numbered.chunks(CHUNK) {
        let changes = chunk
            .iter()
            .map(|(_, l)| (l.product, l.qty, l.name.clone()))
            .collect();
        // Stock only grows here: no shortage can be reported.
        app.apply_stock(tx, id, &date, plan.warehouse, changes)
            .await?;
        let moves: Vec<Move> = chunk
            .iter()
            .map(|(no, l)| Move {
                line: line_ids.get(no).copied(),
                product: l.product,
                qty: l.qty,
                unit: Unit::At(l.cost),
            })
            .collect();
        crate::cost::apply(tx, &moves).await?;
        progress.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed);
    }
    audit(
        tx,
        Some(actor.id()),
        "create",
        kind.code(),
        id,
        "opening stock",
    )
    .await?;
    audit(
        tx,
        Some(actor.id()),
        "post",
        kind.code(),
        id,
        &format!("{} lines, amount={}", plan.lines.len(), total),
    )
    .await?;
    Ok(id)
}

pub(super) async fn run(
    app: &App,
    conn: &mut Conn,
    actor: &Actor,
    rows: &Rows,
    write_it: bool,
    progress: &Progress,
) -> Result<(usize, Vec<RowError>)> {
    let (plan, errors) = check(conn, rows).await?;
    if !write_it || !errors.is_empty() {
        return Ok((0, errors));
    }
    write(app, conn, actor, &plan, progress).await?;
    Ok((plan.lines.len(), Vec::new()))
}
