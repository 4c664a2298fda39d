//! The document line editor: rows added and removed freely, a product picked
//! by typing (search as you type, arrows, Enter), and — before saving — each
//! line's price, discount against retail, stock at the chosen warehouse and
//! amount, with the document total. The figures come from `GET
//! /ui/lines/quote`, which reads the same form fields the save reads and
//! prices them with the same engine (`App::price_quote`); nothing is saved.
//! Without JavaScript the rows are plain fields and the server resolves a
//! typed SKU (`pick::resolve_product`).

use super::forms::Values;
use super::refusal::Refusal;
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use axum::Router;
use kupets_app::pricing::{QuoteInput, QuoteLineInput};
use kupets_app::AppError;
use kupets_domain::{DocKind, Money, Qty};
use kupets_store::queries::P;
use maud::{html, Markup};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The most lines a form carries.
pub const MAX_ROWS: usize = 500;
/// Rows an empty form offers (more are one key away).
pub const ROWS: usize = 3;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/ui/lines/quote", get(quote))
}

/// What the fourth column of a kind's lines holds.
#[derive(Clone, Copy, PartialEq)]
pub enum Extra {
    /// Sales lines: priced by the rules; the author may add a special discount.
    Special,
    /// Purchases: the price is typed.
    Price,
    /// Returns: the line of the base document.
    BaseLine,
}

pub fn extra_of(kind: DocKind) -> Extra {
    if kind.base_kind().is_some() {
        Extra::BaseLine
    } else if matches!(kind, DocKind::SalesOrder | DocKind::Shipment) {
        Extra::Special
    } else {
        Extra::Price
    }
}

/// The row numbers present in the form (a row counts once it names a
/// product or a quantity), in order.
pub fn filled_rows(f: &Values) -> Vec<usize> {
    let g = |k: String| f.get(&k).is_some_and(|v| !v.trim().is_empty());
    (0..MAX_ROWS)
        .filter(|i| g(format!("l{i}_product")) || g(format!("l{i}_find")) || g(format!("l{i}_qty")))
        .collect()
}

/// The form with its filled rows renumbered from zero, so row `k` on the page
/// is `lines[k]` of the app's messages.
pub fn compact(f: &Values) -> Values {
    let rows = filled_rows(f);
    let mut out: Values = f
        .iter()
        .filter(|(k, _)| !is_row_key(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (new, old) in rows.iter().enumerate() {
        let prefix = format!("l{old}_");
        for (k, v) in f.iter().filter(|(k, _)| k.starts_with(&prefix)) {
            out.insert(format!("l{new}_{}", &k[prefix.len()..]), v.clone());
        }
    }
    out
}

/// Products typed by SKU or name in rows without a picked product (a form
/// sent without JavaScript) resolved to ids; what cannot be resolved is a
/// message of its row.
pub async fn resolve_products(s: &AppState, f: &mut Values) -> Vec<kupets_domain::FieldError> {
    let mut errs = Vec::new();
    for i in filled_rows(f) {
        let has = |k: String| f.get(&k).is_some_and(|v| !v.trim().is_empty());
        if !has(format!("l{i}_product")) && has(format!("l{i}_find")) {
            let text = f[&format!("l{i}_find")].clone();
            match super::pick::resolve_product(s, &format!("lines[{i}].product_id"), &text).await {
                Ok(id) => {
                    f.insert(format!("l{i}_product"), id.to_string());
                }
                Err(e) => errs.push(e),
            }
        }
    }
    errs
}

fn is_row_key(k: &str) -> bool {
    k.strip_prefix('l').is_some_and(|r| {
        let d: String = r.chars().take_while(char::is_ascii_digit).collect();
        !d.is_empty() && r[d.len()..].starts_with('_')
    })
}

/// The line table of a document form.
#[allow(clippy::too_many_arguments)]
pub fn editor(
    lang: Lang,
    kind: DocKind,
    values: &Values,
    products: &HashMap<i64, String>,
    serials: bool,
    refusal: &Refusal,
) -> Markup {
    let rows = filled_rows(values)
        .last()
        .map_or(ROWS, |m| (m + 2).max(ROWS));
    let extra = extra_of(kind);
    let v = |k: String| values.get(&k).cloned().unwrap_or_default();
    let row = |i: usize| {
        let pid = v(format!("l{i}_product"));
        let shown = pid
            .parse::<i64>()
            .ok()
            .and_then(|id| products.get(&id).cloned())
            .unwrap_or_else(|| v(format!("l{i}_find")));
        html! {
            tr.line.bad[refusal.row_has("lines", i)] data-row=(i) {
                td.muted.no { (i + 1) }
                td {
                    span.pick {
                        input type="text" name=(format!("l{i}_find")) value=(shown) autocomplete="off"
                            data-pick="/ui/find/products" data-target=(format!("l{i}_product"))
                            aria-label=(lang.t("Товар", "Product"))
                            placeholder=(lang.t("название или артикул", "name or SKU"));
                    }
                    input type="hidden" name=(format!("l{i}_product")) value=(pid);
                    // A line fulfilling an order line keeps the link when edited.
                    @if !v(format!("l{i}_line")).is_empty() { input type="hidden" name=(format!("l{i}_line")) value=(v(format!("l{i}_line"))); }
                    (refusal.row(lang, "lines", i))
                }
                td { input.qty type="text" inputmode="decimal" name=(format!("l{i}_qty")) value=(v(format!("l{i}_qty"))) aria-label=(lang.t("Количество", "Quantity")); " " span.muted.unit {} }
                @if serials { td { input type="text" name=(format!("l{i}_serials")) value=(v(format!("l{i}_serials"))) placeholder=(lang.t("через пробел; можно сканером", "space separated; scanner welcome")) aria-label=(lang.t("Серийные номера", "Serials")); div.units {} } }
                td {
                    @match extra {
                        Extra::Special => input type="text" inputmode="decimal" size="5" name=(format!("l{i}_special")) value=(v(format!("l{i}_special"))) aria-label=(lang.t("Спец. скидка, %", "Special discount, %"));,
                        Extra::Price => input type="text" inputmode="decimal" size="9" name=(format!("l{i}_price")) value=(v(format!("l{i}_price"))) aria-label=(lang.t("Цена, ₽", "Price, ₽"));,
                        Extra::BaseLine => input type="text" size="8" name=(format!("l{i}_base")) value=(v(format!("l{i}_base"))) aria-label=(lang.t("Строка основания", "Base line"));,
                    }
                }
                td.num.q-price {} td.num.q-disc {} td.num.q-stock {} td.num.q-amount {}
                td { button.light.del type="button" title=(lang.t("Удалить строку", "Remove the line")) aria-label=(lang.t("Удалить строку", "Remove the line")) { "×" } }
            }
        }
    };
    html! {
        @if serials && matches!(kind, DocKind::Shipment | DocKind::Return | DocKind::SupplierReturn) {
            // A scan (serial + Enter) fills the next free row with a unit we
            // know (a receipt's serials are new). The box belongs to no form,
            // so Enter never sends the document.
            p.scan {
                label { (lang.t("Скан: ", "Scan: "))
                    input.scan type="search" form="no-form" data-scan="/ui/find/unit" autocomplete="off"
                        placeholder=(lang.t("серийный номер и Enter", "serial number and Enter"))
                        aria-label=(lang.t("Сканировать серийный номер", "Scan a serial number"));
                }
                " " span.muted.scan-msg role="status" {}
            }
        }
        div.scroll {
            table.list.lines data-quote=(format!("/ui/lines/quote?kind={}", kind.code())) {
                thead { tr {
                    th { "№" } th { (lang.t("Товар", "Product")) } th { (lang.t("Количество", "Quantity")) }
                    @if serials { th { (lang.t("Серийные номера", "Serials")) } }
                    th { @match extra { Extra::Special => (lang.t("Спец. скидка, %", "Special discount, %")), Extra::Price => (lang.t("Цена, ₽", "Price, ₽")), Extra::BaseLine => (lang.t("Строка основания", "Base line")) } }
                    th.num { (lang.t("Цена", "Price")) } th.num { (lang.t("Скидка от розничной", "Discount vs retail")) } th.num { (lang.t("Остаток", "In stock")) } th.num { (lang.t("Сумма", "Amount")) } th {}
                } }
                tbody { @for i in 0..rows { (row(i)) } }
                tfoot { tr {
                    td colspan="2" { button.light.add type="button" { "+ " (lang.t("Строка", "Line")) } " " span.muted.keys { (lang.t("Enter в количестве — следующая строка", "Enter in a quantity — next line")) } }
                    td.num colspan=(if serials { 6 } else { 5 }) { (lang.t("Итого: ", "Total: ")) b.q-total { "—" } }
                    td {} td {}
                } }
            }
        }
    }
}

/// Prices the lines of a form as they stand: per row the price, discount
/// against retail, stock at the warehouse, amount and unit; and the total.
async fn quote(ui: UiActor, State(s): State<AppState>, Query(f): Query<Values>) -> Response {
    let lang = current_lang();
    let kind = f
        .get("kind")
        .and_then(|k| DocKind::parse(k))
        .unwrap_or(DocKind::SalesOrder);
    let g = |k: String| f.get(&k).map(|v| v.trim().to_string()).unwrap_or_default();
    // Rows with a chosen product; a missing or bad quantity prices one piece.
    let rows: Vec<(usize, i64, Option<Qty>)> = (0..MAX_ROWS)
        .filter_map(|i| {
            let p = g(format!("l{i}_product")).parse::<i64>().ok()?;
            let q = Qty::parse(&g(format!("l{i}_qty")).replace(',', "."))
                .ok()
                .filter(|q| q.0 > 0);
            Some((i, p, q))
        })
        .collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.1).collect();
    let marks = |from: usize| -> String {
        (0..ids.len())
            .map(|i| format!("${}", i + from))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out: Map<String, Value> = Map::new();
    if ids.is_empty() {
        return Json(json!({"rows": out, "total": Money(0).to_ru()})).into_response();
    }
    let units: HashMap<i64, String> = s
        .app
        .store
        .read_rows(
            format!("SELECT id, unit FROM products WHERE id IN ({})", marks(1)),
            ids.iter().map(|i| P::from(*i)).collect(),
            |r| (r.int("id"), r.text("unit")),
        )
        .await
        .unwrap_or_default()
        .into_iter()
        .collect();
    let stock: HashMap<i64, i64> = match g("warehouse_id".into()).parse::<i64>() {
        Ok(wh) => {
            let mut params = vec![P::from(wh)];
            params.extend(ids.iter().map(|i| P::from(*i)));
            s.app
                .store
                .read_rows(
                    format!(
                        "SELECT product_id, qty FROM stock WHERE warehouse_id = $1 AND product_id IN ({})",
                        marks(2)
                    ),
                    params,
                    |r| (r.int("product_id"), r.int("qty")),
                )
                .await
                .unwrap_or_default()
                .into_iter()
                .collect()
        }
        Err(_) => HashMap::new(),
    };
    let priced = matches!(kind, DocKind::SalesOrder | DocKind::Shipment);
    let mut total = Money(0);
    let mut quoted: HashMap<usize, (String, String, String, String)> = HashMap::new();
    let mut problem: Option<String> = None;
    if priced {
        let input = QuoteInput {
            counterparty_id: Some(g("counterparty_id".into())).filter(|v| !v.is_empty()),
            date: Some(g("date".into())).filter(|v| !v.is_empty()),
            author_id: None,
            lines: rows
                .iter()
                .map(|(i, p, q)| QuoteLineInput {
                    product_id: Some(p.to_string()),
                    qty: Some(q.unwrap_or(Qty(1000)).to_api()),
                    special_discount: Some(g(format!("l{i}_special")).replace(',', "."))
                        .filter(|v| !v.is_empty()),
                })
                .collect(),
        };
        match s.app.price_quote(&ui.actor, &input).await {
            Ok(qt) => {
                for (k, l) in qt.lines.iter().enumerate() {
                    quoted.insert(
                        rows[k].0,
                        (
                            Money::parse(&l.final_price).unwrap_or_default().to_ru(),
                            l.discount_pct.replace('.', ","),
                            l.amount.clone(),
                            Money::parse(&l.retail_price).unwrap_or_default().to_ru(),
                        ),
                    );
                }
            }
            Err(AppError::Validation(errs)) => {
                // Say which line's figure stops the pricing.
                problem = errs.first().map(|e| {
                    format!(
                        "{}: {}",
                        super::refusal::label(lang, &e.field),
                        if lang.ru() {
                            &e.message_ru
                        } else {
                            &e.message_en
                        }
                    )
                });
                for e in &errs {
                    if let Some(k) = super::refusal::row_of(&e.field, "lines") {
                        if let Some(r) = rows.get(k) {
                            out.insert(
                                r.0.to_string(),
                                json!({"error": if lang.ru() { &e.message_ru } else { &e.message_en }}),
                            );
                        }
                    }
                }
            }
            Err(e) => problem = Some(e.message(lang.ru())),
        }
    }
    for (i, p, q) in &rows {
        let key = i.to_string();
        if out.contains_key(&key) {
            continue;
        }
        let unit = units.get(p).cloned().unwrap_or_default();
        let whole = kupets_domain::unit::is_whole(&unit);
        let mut row = Map::new();
        row.insert("unit".into(), json!(unit));
        row.insert("whole".into(), json!(whole));
        row.insert(
            "stock".into(),
            json!(stock
                .get(p)
                .map(|q| qty_ru(lang, Qty(*q)))
                .unwrap_or_else(|| if g("warehouse_id".into()).is_empty() {
                    String::new()
                } else {
                    "0".into()
                })),
        );
        if let Some(list) = serial_choices(&s, kind, &f, *i, *p).await {
            row.insert("units".into(), json!(list));
        }
        if let Some(q) = q {
            if !kupets_domain::unit::fits(&unit, q.0) {
                row.insert(
                    "error".into(),
                    json!(lang
                        .t(
                            "«{u}» — только целое количество",
                            "'{u}' takes whole numbers only"
                        )
                        .replace("{u}", &unit)),
                );
            }
        }
        if priced {
            if let Some((price, disc, amount, retail)) = quoted.get(i) {
                row.insert("price".into(), json!(price));
                row.insert("retail".into(), json!(retail));
                row.insert("discount_pct".into(), json!(format!("{disc} %")));
                if q.is_some() {
                    let a = Money::parse(amount).unwrap_or_default();
                    total = Money(total.0.saturating_add(a.0));
                    row.insert("amount".into(), json!(a.to_ru()));
                }
            }
        } else if let Ok(price) = Money::parse(&g(format!("l{i}_price")).replace(',', ".")) {
            row.insert("price".into(), json!(price.to_ru()));
            if let Some(q) = q {
                let a = kupets_domain::trade::line_amount(*q, price);
                total = Money(total.0.saturating_add(a.0));
                row.insert("amount".into(), json!(a.to_ru()));
            }
        }
        out.insert(key, Value::Object(row));
    }
    Json(json!({"rows": out, "total": total.to_ru(), "problem": problem})).into_response()
}

/// A quantity as Russians write it: «1,5»; whole numbers without decimals.
pub fn qty_ru(lang: Lang, q: Qty) -> String {
    let s = q.to_api();
    if lang.ru() {
        s.replace('.', ",")
    } else {
        s
    }
}

/// The serials a line may take, to tick instead of typing from memory: for a
/// shipment, the units of the product in stock at its warehouse; for a
/// return, the units shipped on the line it reverses. None for other kinds
/// and products without serials.
async fn serial_choices(
    s: &AppState,
    kind: DocKind,
    f: &Values,
    row: usize,
    product: i64,
) -> Option<Vec<String>> {
    let g = |k: String| f.get(&k).map(|v| v.trim().to_string()).unwrap_or_default();
    let (sql, params) = match kind {
        DocKind::Shipment => {
            let wh = g("warehouse_id".into()).parse::<i64>().ok()?;
            (
                "SELECT u.serial FROM units u JOIN products p ON p.id = u.product_id WHERE p.serial_tracked = 1 AND u.product_id = $1 AND u.warehouse_id = $2 AND u.state = 'stock' ORDER BY u.serial LIMIT 200",
                vec![P::from(product), P::from(wh)],
            )
        }
        DocKind::Return => {
            let base = g(format!("l{row}_base")).parse::<i64>().ok()?;
            (
                "SELECT u.serial FROM line_units lu JOIN units u ON u.id = lu.unit_id WHERE lu.line_id = $1 AND u.product_id = $2 ORDER BY u.serial LIMIT 200",
                vec![P::from(base), P::from(product)],
            )
        }
        _ => return None,
    };
    let list = s
        .app
        .store
        .read_rows(sql.into(), params, |r| r.text("serial"))
        .await
        .ok()?;
    (!list.is_empty()).then_some(list)
}
