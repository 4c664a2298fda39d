//! Picking things by what people know them by: a product by part of its name
//! or SKU, a document by its number. Two small JSON look-ups feed the search
//! box of `/static/app.js` (search as you type, arrows and Enter); without
//! JavaScript the same text is resolved on the server when the form is sent
//! (`resolve_doc`, `resolve_product`), so a typed number or SKU always works.

use super::documents::date_ru;
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use axum::Router;
use kupets_domain::{DocKind, FieldError, Money};
use kupets_store::queries::P;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/ui/find/products", get(find_products))
        .route("/ui/find/documents", get(find_documents))
        .route("/ui/find/unit", get(find_unit))
}

#[derive(Deserialize, Default)]
pub struct UnitQuery {
    #[serde(default)]
    serial: String,
}

/// The unit a scanned serial names — as typed, in any case, or scanned in
/// the Russian layout: `{serial, product_id, label, state, warehouse_id}`,
/// or `null`. The line editor's scan box puts it in the next free row.
async fn find_unit(ui: UiActor, State(s): State<AppState>, Query(q): Query<UnitQuery>) -> Response {
    let typed = q.serial.trim();
    if typed.is_empty() || typed.len() > 200 {
        return Json(serde_json::Value::Null).into_response();
    }
    let units = s.app.find_units(&ui.actor, typed).await.unwrap_or_default();
    let wanted: Vec<String> = kupets_domain::serial::serial_variants(typed)
        .into_iter()
        .map(|v| v.to_uppercase())
        .collect();
    // The serial itself, not one it is the start of; a lone match will do.
    let exact = units
        .iter()
        .find(|u| wanted.contains(&u.serial.to_uppercase()))
        .or(match units.as_slice() {
            [one] => Some(one),
            _ => None,
        });
    match exact {
        Some(u) => Json(json!({
            "serial": u.serial,
            "product_id": u.product_id.to_string(),
            "label": format!("{} — {}", u.sku, u.product_name),
            "state": u.state,
            "warehouse_id": u.warehouse_id.map(|w| w.to_string()),
        }))
        .into_response(),
        None => Json(serde_json::Value::Null).into_response(),
    }
}

#[derive(Deserialize, Default)]
pub struct FindQuery {
    #[serde(default)]
    q: String,
    /// Document kinds, comma separated (`sales_order,shipment`).
    #[serde(default)]
    kind: String,
    #[serde(default)]
    counterparty_id: String,
}

/// `%text%` for LIKE on a lowercased `search` column, with LIKE's own
/// characters taken literally.
fn like(q: &str) -> String {
    let q = q.trim().to_lowercase();
    let q: String = q
        .chars()
        .filter(|c| !matches!(c, '%' | '_' | '\\'))
        .collect();
    format!("%{q}%")
}

/// Whether a unit is counted in whole pieces (шт, компл, упак) rather than
/// measured (кг, м, л).
pub fn whole_unit(unit: &str) -> bool {
    kupets_domain::unit::is_whole(unit)
}

/// Products whose name or SKU contains the text: `[{id, label, unit, whole}]`.
async fn find_products(
    _ui: UiActor,
    State(s): State<AppState>,
    Query(q): Query<FindQuery>,
) -> Response {
    let rows = s
        .app
        .store
        .read_rows(
            "SELECT id, sku, name, unit FROM products WHERE archived = 0 AND search LIKE $1 ORDER BY name LIMIT 20".into(),
            vec![P::from(like(&q.q))],
            |r| (r.int("id"), r.text("sku"), r.text("name"), r.text("unit")),
        )
        .await
        .unwrap_or_default();
    Json(
        rows.into_iter()
            .map(|(id, sku, name, unit)| {
                json!({"id": id.to_string(), "label": format!("{sku} — {name}"), "unit": unit, "whole": whole_unit(&unit)})
            })
            .collect::<Vec<_>>(),
    )
    .into_response()
}

fn kinds_of(s: &str) -> Vec<String> {
    s.split(',')
        .filter_map(|k| DocKind::parse(k.trim()))
        .map(|k| k.code().to_string())
        .collect()
}

/// Documents of the kinds whose number contains the text, newest first:
/// `[{id, number, label}]`; the label adds date, counterparty and amount.
async fn find_documents(
    _ui: UiActor,
    State(s): State<AppState>,
    Query(q): Query<FindQuery>,
) -> Response {
    let lang = current_lang();
    let kinds = kinds_of(&q.kind);
    if kinds.is_empty() {
        return Json(Vec::<serde_json::Value>::new()).into_response();
    }
    let marks: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 2)).collect();
    let mut params: Vec<P> = vec![P::from(like(&q.q).to_uppercase())];
    params.extend(kinds.iter().map(P::from));
    let mut sql = format!(
        "SELECT d.id, d.number, d.doc_date AS date, d.amount, d.state, c.name FROM documents d LEFT JOIN counterparties c ON c.id = d.counterparty_id WHERE UPPER(d.number) LIKE $1 AND d.kind IN ({})",
        marks.join(", ")
    );
    if let Ok(cp) = q.counterparty_id.parse::<i64>() {
        params.push(P::from(cp));
        sql.push_str(&format!(" AND d.counterparty_id = ${}", params.len()));
    }
    sql.push_str(" AND d.state <> 'cancelled' ORDER BY d.id DESC LIMIT 20");
    let rows = s
        .app
        .store
        .read_rows(sql, params, |r| {
            (
                r.int("id"),
                r.text("number"),
                r.text("date"),
                r.int("amount"),
                r.opt_text("name").unwrap_or_default(),
            )
        })
        .await
        .unwrap_or_else(|e| {
            tracing::error!("document search: {e}");
            Vec::new()
        });
    Json(
        rows.into_iter()
            .map(|(id, number, date, amount, cp)| {
                json!({
                    "id": id.to_string(),
                    "number": number,
                    "label": format!("{number} {} {} · {cp} · {}", lang.t("от", "of"), date_ru(&date), Money(amount).to_ru()),
                })
            })
            .collect::<Vec<_>>(),
    )
    .into_response()
}

/// A document named by its number (any case) or, as the API does, by its id,
/// among `kinds`. Empty text is no document; an unknown one is a field error
/// that names what was typed.
pub async fn resolve_doc(
    s: &AppState,
    field: &str,
    kinds: &[DocKind],
    text: &str,
) -> Result<Option<i64>, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(id) = t.parse::<i64>() {
        return Ok(Some(id));
    }
    let marks: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 2)).collect();
    let mut params = vec![P::from(t.to_uppercase())];
    params.extend(kinds.iter().map(|k| P::from(k.code())));
    let found = s
        .app
        .store
        .read_rows(
            format!(
                "SELECT id FROM documents WHERE UPPER(number) = $1 AND kind IN ({}) ORDER BY id DESC LIMIT 1",
                marks.join(", ")
            ),
            params,
            |r| r.int("id"),
        )
        .await
        .unwrap_or_default();
    match found.first() {
        Some(id) => Ok(Some(*id)),
        None => Err(FieldError::new(
            field,
            "not_found",
            format!("Документ с номером «{t}» не найден"),
            format!("No document numbered '{t}'"),
        )),
    }
}

/// A product named by its exact SKU or by text that matches exactly one
/// product (for a form sent without JavaScript).
pub async fn resolve_product(s: &AppState, field: &str, text: &str) -> Result<i64, FieldError> {
    let t = text.trim();
    // The label the picker writes is «SKU — name»: the SKU decides.
    let sku = t.split(" — ").next().unwrap_or(t).trim();
    let by_sku = s
        .app
        .store
        .read_rows(
            "SELECT id FROM products WHERE archived = 0 AND UPPER(sku) = $1 LIMIT 1".into(),
            vec![P::from(sku.to_uppercase())],
            |r| r.int("id"),
        )
        .await
        .unwrap_or_default();
    if let Some(id) = by_sku.first() {
        return Ok(*id);
    }
    let found = s
        .app
        .store
        .read_rows(
            "SELECT id FROM products WHERE archived = 0 AND search LIKE $1 LIMIT 2".into(),
            vec![P::from(like(t))],
            |r| r.int("id"),
        )
        .await
        .unwrap_or_default();
    match found.as_slice() {
        [id] => Ok(*id),
        [] => Err(FieldError::new(
            field,
            "not_found",
            format!("Товар «{t}» не найден"),
            format!("No product '{t}'"),
        )),
        _ => Err(FieldError::new(
            field,
            "ambiguous",
            format!("«{t}» подходит к нескольким товарам: выберите из списка"),
            format!("'{t}' matches several products: pick one from the list"),
        )),
    }
}

/// Id → number of the documents, for showing references as numbers.
pub async fn numbers(app: &kupets_app::App, ids: &[i64]) -> std::collections::HashMap<i64, String> {
    if ids.is_empty() {
        return Default::default();
    }
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    app.store
        .read_rows(
            format!(
                "SELECT id, number FROM documents WHERE id IN ({})",
                marks.join(", ")
            ),
            ids.iter().map(|i| P::from(*i)).collect(),
            |r| (r.int("id"), r.text("number")),
        )
        .await
        .unwrap_or_default()
        .into_iter()
        .collect()
}

/// A text box for a document number with search as you type.
pub fn doc_input(lang: Lang, name: &str, kinds: &[DocKind], value: &str) -> Markup {
    let example = kinds
        .first()
        .map(|k| {
            format!(
                "{}-{}-000001",
                k.prefix(),
                chrono::Datelike::year(&kupets_app::today())
            )
        })
        .unwrap_or_default();
    let kinds: Vec<&str> = kinds.iter().map(|k| k.code()).collect();
    html! {
        span.pick {
            input type="text" name=(name) id=(format!("f_{name}")) value=(value) autocomplete="off"
                data-pick=(format!("/ui/find/documents?kind={}", kinds.join(",")))
                placeholder=(format!("{} {example}", lang.t("номер, напр.", "number, e.g.")));
        }
    }
}
