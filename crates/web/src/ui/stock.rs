//! The stock page: what lies in each warehouse by product, with search, and
//! how much of it open sales orders still wait for (reserved), so the free
//! quantity is one glance away.

use super::forms::query;
use super::layout::{error_page, page};
use super::lines::qty_ru;
use crate::auth::UiActor;
use crate::error::current_lang;
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use kupets_domain::Qty;
use kupets_store::queries::P;
use maud::html;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/stock", get(stock))
}

#[derive(Deserialize, Default)]
pub(crate) struct StockQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub warehouse_id: String,
}

/// What posted sales orders still wait for, per product: ordered − shipped
/// by posted shipments − closed by hand, never below zero per line.
const RESERVED: &str = "SELECT l.product_id AS product_id, CAST(SUM(CASE WHEN l.qty - l.closed_qty - COALESCE(sh.qty, 0) > 0 THEN l.qty - l.closed_qty - COALESCE(sh.qty, 0) ELSE 0 END) AS BIGINT) AS qty \
     FROM document_lines l JOIN documents d ON d.id = l.document_id \
     LEFT JOIN (SELECT sl.base_line_id AS line_id, CAST(SUM(sl.qty) AS BIGINT) AS qty FROM document_lines sl JOIN documents sd ON sd.id = sl.document_id \
                WHERE sd.kind = 'shipment' AND sd.state = 'posted' AND sl.base_line_id IS NOT NULL GROUP BY sl.base_line_id) sh ON sh.line_id = l.id \
     WHERE d.kind = 'sales_order' AND d.state = 'posted' GROUP BY l.product_id";

/// One product's row: quantity per warehouse shown, their total, what
/// posted orders still wait for, and what is free.
pub(crate) struct StockLine {
    pub id: i64,
    pub name: String,
    pub sku: String,
    pub unit: String,
    pub per: HashMap<i64, i64>,
    pub total: i64,
    pub reserved: i64,
}

/// What the stock page lists under its filters: the warehouses shown (a
/// column each) and a row per product, by name. Shared with the export.
pub(crate) struct StockTable {
    pub warehouses: Vec<(i64, String)>,
    pub shown: Vec<(i64, String)>,
    pub lines: Vec<StockLine>,
}

pub(crate) async fn stock_table(
    app: &kupets_app::App,
    q: &StockQuery,
) -> Result<StockTable, kupets_app::AppError> {
    let whs: Vec<(i64, String)> = super::trade::opts(
        &super::trade::names(app, "SELECT id, name FROM warehouses WHERE archived = 0").await,
    );
    let wh: Option<i64> = q.warehouse_id.parse().ok();
    let text = q.q.trim().to_lowercase();
    let pattern = format!(
        "%{}%",
        text.chars()
            .filter(|c| !matches!(c, '%' | '_' | '\\'))
            .collect::<String>()
    );
    let mut params = vec![P::from(pattern)];
    let mut sql = "SELECT p.id, p.sku, p.name, p.unit, s.warehouse_id, s.qty FROM stock s JOIN products p ON p.id = s.product_id WHERE p.archived = 0 AND p.search LIKE $1 AND s.qty <> 0".to_string();
    if let Some(w) = wh {
        params.push(P::from(w));
        sql.push_str(" AND s.warehouse_id = $2");
    }
    sql.push_str(" ORDER BY p.name, p.id LIMIT 5000");
    let rows = app
        .store
        .read_rows(sql, params, |r| {
            (
                r.int("id"),
                r.text("sku"),
                r.text("name"),
                r.text("unit"),
                r.int("warehouse_id"),
                r.int("qty"),
            )
        })
        .await?;
    let reserved: HashMap<i64, i64> = app
        .store
        .read_rows(RESERVED.into(), vec![], |r| {
            (r.int("product_id"), r.int("qty"))
        })
        .await
        .unwrap_or_default()
        .into_iter()
        .collect();
    // One row per product, a column per warehouse shown.
    let shown: Vec<(i64, String)> = whs
        .iter()
        .filter(|w| wh.is_none_or(|x| x == w.0))
        .cloned()
        .collect();
    let mut by_product: BTreeMap<(String, i64), StockLine> = BTreeMap::new();
    for (id, sku, name, unit, w, qty) in rows {
        by_product
            .entry((name.clone(), id))
            .or_insert_with(|| StockLine {
                id,
                name,
                sku,
                unit,
                per: HashMap::new(),
                total: 0,
                reserved: reserved.get(&id).copied().unwrap_or(0),
            })
            .per
            .insert(w, qty);
    }
    let lines = by_product
        .into_values()
        .map(|mut l| {
            l.total = shown
                .iter()
                .map(|w| l.per.get(&w.0).copied().unwrap_or(0))
                .sum();
            l
        })
        .collect();
    Ok(StockTable {
        warehouses: whs,
        shown,
        lines,
    })
}

async fn stock(ui: UiActor, State(s): State<AppState>, Query(q): Query<StockQuery>) -> Response {
    let lang = current_lang();
    let t = match stock_table(&s.app, &q).await {
        Ok(t) => t,
        Err(e) => return error_page(lang, &e),
    };
    let (whs, shown) = (&t.warehouses, &t.shown);
    let wh: Option<i64> = q.warehouse_id.parse().ok();
    let title = lang.t("Остатки на складах", "Stock");
    let body = html! {
        h1 { (title) }
        div.toolbar {
            form method="get" action="/stock" {
                input type="search" name="q" value=(q.q) placeholder=(lang.t("товар или артикул", "product or SKU")) aria-label=(lang.t("Поиск", "Search"));
                select name="warehouse_id" aria-label=(lang.t("Склад", "Warehouse")) {
                    option value="" { (lang.t("Все склады", "All warehouses")) }
                    @for (id, name) in whs { option value=(id) selected[Some(*id) == wh] { (name) } }
                }
                button.btn.light type="submit" { (lang.t("Показать", "Show")) }
            }
            a.btn.light href=(format!("/stock/export.xlsx{}", query(&[("q", &q.q), ("warehouse_id", &q.warehouse_id)]))) { (lang.t("Скачать XLSX", "Download XLSX")) }
        }
        @if t.lines.is_empty() {
            div.card.muted { (lang.t("Ничего не найдено.", "Nothing found.")) }
        } @else {
            div.scroll { table.list {
                tr {
                    th { (lang.t("Товар", "Product")) } th { (lang.t("Артикул", "SKU")) }
                    @for (_, name) in shown { th.num { (name) } }
                    @if shown.len() > 1 { th.num { (lang.t("Всего", "Total")) } }
                    th.num { (lang.t("В резерве по заказам", "Reserved by orders")) } th.num { (lang.t("Свободно", "Free")) }
                }
                @for StockLine { id, name, sku, unit, per, total, reserved: res } in &t.lines {
                    @let (total, res) = (*total, *res);
                    tr {
                        td { a href=(format!("/products/{id}")) { (name) } } td.muted { (sku) }
                        @for (w, _) in shown { td.num { (qty_ru(lang, Qty(per.get(w).copied().unwrap_or(0)))) " " span.muted { (unit) } } }
                        @if shown.len() > 1 { td.num { b { (qty_ru(lang, Qty(total))) } } }
                        td.num { @if res > 0 { a href=(format!("/sales-orders{}", query(&[("state", "posted")]))) { (qty_ru(lang, Qty(res))) } } @else { span.muted { "0" } } }
                        td.num { (qty_ru(lang, Qty(total - res))) }
                    }
                }
            } }
            p.muted { (lang.t("Резерв — то, что проведённые заказы ещё ждут (заказано − отгружено − закрыто), по всем складам.", "Reserved: what posted orders still wait for (ordered − shipped − closed), over all warehouses.")) }
        }
    };
    page(lang, &ui.actor, &ui.csrf, title, "/stock", body)
}
