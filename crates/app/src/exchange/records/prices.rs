//! Prices from a file: a product by SKU, a price type by its code or name,
//! the VAT-inclusive price and the first day it is in force (today when
//! left empty). Added to the price history like a price typed on the
//! product card; the price in force on a date is the latest on or before it.

use super::super::{Progress, CHUNK};
use super::{err, insert_audited, sku_error, Column, RowError, Rows};
use crate::{today, Actor, Result};
use kupets_domain::Money;
use kupets_store::queries::{bind_all, placeholders, P};
use kupets_store::{now, sql, Conn};
use std::collections::{HashMap, HashSet};

pub const PRICE_COLUMNS: &[Column] = &[
    Column {
        field: "sku",
        ru: "Артикул",
        aliases: &["sku", "код", "article"],
        required: true,
        example: "DR-500",
    },
    Column {
        field: "price_type",
        ru: "Вид цены",
        aliases: &["price_type", "тип цены", "прайс"],
        required: true,
        example: "retail",
    },
    Column {
        field: "price",
        ru: "Цена",
        aliases: &["price", "цена с ндс"],
        required: true,
        example: "4990.00",
    },
    Column {
        field: "effective_date",
        ru: "Дата",
        aliases: &["effective_date", "date", "действует с", "с даты"],
        required: false,
        example: "2026-01-01",
    },
];

const COLS: [&str; 6] = [
    "product_id",
    "price_type_id",
    "effective_date",
    "price",
    "created_at",
    "created_by",
];

async fn check(
    conn: &mut Conn,
    actor: &Actor,
    rows: &Rows,
) -> Result<(Vec<Vec<P>>, Vec<RowError>)> {
    let mut errs = Vec::new();
    // Price types by code and by name, lower case (a handful of rows).
    let mut types: HashMap<String, i64> = HashMap::new();
    for r in sql::query("SELECT id, code, name FROM price_types WHERE archived = 0")
        .fetch_all(&mut *conn)
        .await?
    {
        types.insert(r.get::<String, _>("code").to_lowercase(), r.get("id"));
        types
            .entry(r.get::<String, _>("name").to_lowercase())
            .or_insert(r.get("id"));
    }
    // Products by SKU, only the SKUs the file names.
    let skus: Vec<String> = rows
        .rows
        .iter()
        .filter_map(|(_, r)| r.get("sku").cloned())
        .filter(|s| !s.is_empty())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut products: HashMap<String, i64> = HashMap::new();
    for chunk in skus.chunks(CHUNK) {
        let q = format!(
            "SELECT id, sku FROM products WHERE archived = 0 AND sku IN ({})",
            placeholders(1, chunk.len())
        );
        let ps: Vec<P> = chunk.iter().map(|s| P::from(s.as_str())).collect();
        for r in bind_all(sql::query(&q), &ps).fetch_all(&mut *conn).await? {
            products.insert(r.get("sku"), r.get("id"));
        }
    }
    let mut out = Vec::new();
    let mut seen: HashMap<(i64, i64, String), usize> = HashMap::new();
    let (at, day) = (now(), today());
    for (n, r) in &rows.rows {
        let g = |k: &str| r.get(k).cloned().unwrap_or_default();
        let sku = g("sku");
        let product = match products.get(&sku) {
            Some(id) => Some(*id),
            None => {
                errs.push(sku_error(*n, &sku));
                None
            }
        };
        let pt = g("price_type");
        let price_type = match types.get(&pt.to_lowercase()) {
            Some(id) => Some(*id),
            None => {
                errs.push(err(
                    *n,
                    "price_type",
                    if pt.is_empty() {
                        "required"
                    } else {
                        "not_found"
                    },
                    format!("Вид цены «{pt}» не найден: укажите его код или название"),
                    format!("No price type '{pt}': give its code or name"),
                ));
                None
            }
        };
        let price = match Money::parse(&g("price")) {
            Ok(m) if m.0 >= 0 && m.in_bounds() => m.0,
            _ => {
                errs.push(err(
                    *n,
                    "price",
                    "invalid_money",
                    "Цена: сумма не меньше нуля, до 2 знаков после запятой",
                    "Price: an amount of zero or more, up to 2 decimals",
                ));
                0
            }
        };
        let d = g("effective_date");
        let date = if d.is_empty() {
            Some(day)
        } else {
            crate::input::parse_date(&d)
        };
        let Some(date) = date else {
            errs.push(err(
                *n,
                "effective_date",
                "invalid_date",
                "Дата: ГГГГ-ММ-ДД или ДД.ММ.ГГГГ",
                "Date: YYYY-MM-DD or DD.MM.YYYY",
            ));
            continue;
        };
        let (Some(product), Some(price_type)) = (product, price_type) else {
            continue;
        };
        if let Some(first) = seen.insert((product, price_type, date.to_string()), *n) {
            errs.push(err(
                *n,
                "price",
                "duplicate",
                format!("Цена этого товара и вида на эту дату уже в строке {first}"),
                format!("Row {first} already prices this product and type on this date"),
            ));
        }
        out.push(vec![
            P::from(product),
            P::from(price_type),
            P::from(date.to_string()),
            P::from(price),
            P::from(at.as_str()),
            P::from(Some(actor.id())),
        ]);
    }
    Ok((out, errs))
}

pub(super) async fn run(
    conn: &mut Conn,
    actor: &Actor,
    rows: &Rows,
    write: bool,
    progress: &Progress,
) -> Result<(usize, Vec<RowError>)> {
    let (values, errors) = check(conn, actor, rows).await?;
    if !write || !errors.is_empty() {
        return Ok((0, errors));
    }
    let n = insert_audited(conn, actor, ("prices", "price"), &COLS, &values, progress).await?;
    Ok((n, Vec::new()))
}
