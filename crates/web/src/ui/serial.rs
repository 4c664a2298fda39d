//! Pages of serial numbers: search, trace card, production, repairs,
//! recalls and defect statistics.

use super::check_csrf;
use super::documents::date_ru;
use super::forms::Values;
use super::layout::{error_page, not_found_page, page, state_tag};
use super::refusal::Refusal;
use super::trade::{doc_href, names, opts, select, split_serials};
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kupets_app::serial::{
    ComponentInput, ProductionInput, RecallCriteria, RecallInput, RepairInput, RepairPartInput,
    RepairStateInput, RepairUpdate, UnitInput, UnitRow,
};
use kupets_app::AppError;
use kupets_domain::role::Right;
use kupets_domain::serial::RepairState;
use kupets_domain::{DocKind, Money};
use maud::{html, Markup};
use std::collections::HashMap;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/units", get(search))
        .route("/units/{id}", get(card))
        .route("/productions/new", get(production_form))
        .route("/productions", post(production_create))
        .route("/productions/{id}", get(production_show))
        .route("/productions/{id}/post", post(production_post))
        .route("/repairs", get(repairs).post(repair_open))
        .route("/repairs/{id}", get(repair_show).post(repair_update))
        .route("/repairs/{id}/state", post(repair_state))
        .route("/repairs/{id}/parts", post(repair_part))
        .route("/recalls", get(recalls).post(recall_open))
        .route("/recalls/{id}", get(recall_show))
        .route("/recalls/{id}/units/{unit}", post(recall_progress))
        .route("/reports/defects", get(defects))
        .route("/defect-categories/{id}", post(defect_category))
}

fn unit_state(lang: Lang, s: &str) -> &'static str {
    match s {
        "stock" => lang.t("на складе", "in stock"),
        "customer" => lang.t("у клиента", "at the customer"),
        "repair" => lang.t("в ремонте", "in repair"),
        "consumed" => lang.t("встроен в изделие", "built in"),
        "scrapped" => lang.t("списан", "scrapped"),
        "cancelled" => lang.t("документ отменён", "document cancelled"),
        "incoming" => lang.t("ожидается по поступлению", "incoming (draft receipt)"),
        "supplier" => lang.t("возвращён поставщику", "returned to the supplier"),
        _ => "",
    }
}

fn warranty(lang: Lang, u: &UnitRow) -> Markup {
    html! {
        @match &u.warranty_end {
            Some(end) => {
                (lang.t("до ", "until ")) (date_ru(end)) " "
                @if u.under_warranty { span.tag.posted { (lang.t("на гарантии", "under warranty")) } } @else { span.tag { (lang.t("гарантия истекла", "expired")) } }
            }
            None => { span.muted { @if u.warranty_months > 0 { (lang.t("с даты отгрузки, мес.: ", "from shipment, months: ")) (u.warranty_months) } @else { (lang.t("без гарантии", "no warranty")) } } }
        }
    }
}

fn units_table(lang: Lang, units: &[UnitRow]) -> Markup {
    html! {
        table.list {
            tr { th { (lang.t("Серийный номер", "Serial")) } th { (lang.t("Товар", "Product")) } th { (lang.t("Партия, дата", "Batch, date")) } th { (lang.t("Где", "Where")) } th { (lang.t("Клиент, отгрузка", "Customer, shipment")) } th { (lang.t("Гарантия", "Warranty")) } }
            @for u in units {
                tr {
                    td { a href=(format!("/units/{}", u.id)) { (u.serial) } }
                    td { (u.product_name) " " span.muted { (u.sku) } }
                    td { (u.batch) " " span.muted { (date_ru(&u.production_date)) } }
                    td { (unit_state(lang, &u.state)) }
                    td { (u.counterparty_name.clone().unwrap_or_default()) @if let (Some(s), Some(n)) = (u.shipment_id, &u.shipment_number) { br; a href=(doc_href("shipment", s)) { (n) } } }
                    td { (warranty(lang, u)) }
                }
            }
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct SerialQuery {
    serial: Option<String>,
    product_id: Option<String>,
    state: Option<String>,
    counterparty_id: Option<String>,
}

/// The search behind the header's serial box (one match opens its card),
/// and the list of units with filters: product, state, customer.
async fn search(ui: UiActor, State(s): State<AppState>, Query(q): Query<SerialQuery>) -> Response {
    let lang = current_lang();
    let serial = q.serial.clone().unwrap_or_default();
    let num = |v: &Option<String>| v.as_deref().and_then(|x| x.parse::<i64>().ok());
    let state = q.state.clone().unwrap_or_default();
    let found = if serial.trim().is_empty() {
        s.app
            .list_units(
                &ui.actor,
                num(&q.product_id),
                Some(state.as_str()).filter(|x| !x.is_empty()),
                num(&q.counterparty_id),
                None,
                200,
            )
            .await
    } else {
        s.app.find_units(&ui.actor, &serial).await
    };
    let found = match found {
        Ok(f) => f,
        Err(e) => return error_page(lang, &e),
    };
    if found.len() == 1
        && kupets_domain::serial::serial_variants(&serial).contains(&found[0].serial)
    {
        return Redirect::to(&format!("/units/{}", found[0].id)).into_response();
    }
    let products = super::trade::opts(
        &super::trade::names(
            &s.app,
            "SELECT id, name FROM products WHERE serial_tracked = 1 AND archived = 0",
        )
        .await,
    );
    let customers = super::trade::opts(
        &super::trade::names(
            &s.app,
            "SELECT DISTINCT c.id, c.name FROM counterparties c JOIN units u ON u.counterparty_id = c.id",
        )
        .await,
    );
    let pick = |v: &Option<String>| v.clone().unwrap_or_default();
    let body = html! {
        h1 { (lang.t("Серийные номера", "Serial numbers")) }
        form.inline method="get" action="/units" {
            input type="search" name="serial" value=(serial) placeholder=(lang.t("Серийный номер или его начало", "A serial or its beginning")) aria-label=(lang.t("Серийный номер", "Serial"));
            (super::trade::select("product_id", &products, &pick(&q.product_id), lang.t("Все изделия", "All products")))
            select name="state" aria-label=(lang.t("Где", "Where")) {
                option value="" { (lang.t("Где угодно", "Anywhere")) }
                @for st in ["stock", "customer", "repair", "consumed", "cancelled"] { option value=(st) selected[state == st] { (unit_state(lang, st)) } }
            }
            (super::trade::select("counterparty_id", &customers, &pick(&q.counterparty_id), lang.t("Все клиенты", "All customers")))
            button.btn type="submit" { (lang.t("Найти", "Find")) }
        }
        @if found.is_empty() { p.muted { (lang.t("Ничего не найдено.", "Nothing found.")) } }
        @else { div.scroll { (units_table(lang, &found)) } }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Серийные номера", "Serials"),
        "/units",
        body,
    )
}

fn move_label(lang: Lang, k: &str) -> &'static str {
    match k {
        "produced" => lang.t("Произведён", "Produced"),
        "received" => lang.t("Поступил", "Received"),
        "returned_to_supplier" => lang.t("Возвращён поставщику", "Returned to the supplier"),
        "shipped" => lang.t("Отгружен", "Shipped"),
        "returned" => lang.t("Возвращён", "Returned"),
        "repair_in" => lang.t("Принят в ремонт", "Into repair"),
        "repair_out" => lang.t("Из ремонта на склад", "Out of repair to stock"),
        "to_client" => lang.t(
            "Возвращён клиенту из ремонта",
            "Handed back to the customer",
        ),
        "installed" => lang.t("Установлен в изделие", "Built in"),
        "component_added" => lang.t("Установлен компонент", "Component fitted"),
        "component_removed" => lang.t("Снят компонент", "Component removed"),
        "cancelled" => lang.t("Отмена документа", "Document cancelled"),
        _ => "",
    }
}

/// The trace card, with the form to start a repair.
async fn card(ui: UiActor, State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let lang = current_lang();
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(lang);
    };
    let c = match s.app.trace(&ui.actor, id).await {
        Ok(c) => c,
        Err(e) => return error_page(lang, &e),
    };
    let u = &c.unit;
    let whs = names(&s.app, "SELECT id, name FROM warehouses WHERE archived = 0").await;
    let body = html! {
        p { a href="/units" { "← " (lang.t("Серийные номера", "Serials")) } }
        h1 { (u.product_name) " · " (u.serial) }
        div.card { dl.props {
            dt { (lang.t("Товар", "Product")) } dd { (u.product_name) " " span.muted { (u.sku) } }
            dt { (lang.t("Произведён", "Produced")) } dd { (date_ru(&u.production_date)) @if !u.batch.is_empty() { ", " (lang.t("партия ", "batch ")) (u.batch) } @if let Some(n) = &c.production_number { " · " (n) } }
            dt { (lang.t("Где сейчас", "Where now")) } dd { b { @if u.custody.as_deref() == Some("client") { (lang.t("в ремонте у нас", "in repair with us")) } @else { (unit_state(lang, &u.state)) } } @if let Some(cp) = &u.counterparty_name { " — " @if u.custody.as_deref() == Some("client") { (lang.t("собственность клиента ", "the property of ")) } (cp) } }
            @if let (Some(sid), Some(n)) = (u.shipment_id, &u.shipment_number) { dt { (lang.t("Отгрузка", "Shipment")) } dd { a href=(doc_href("shipment", sid)) { (n) } " " @if let Some(d) = &u.shipped_date { (date_ru(d)) } } }
            dt { (lang.t("Гарантия", "Warranty")) } dd { (warranty(lang, u)) }
            @for p in &c.built_into { dt { (lang.t("Встроен в", "Built into")) } dd { a href=(format!("/units/{}", p.id)) { (p.product_name) " " (p.serial) } } }
        } }
        h2 { (lang.t("Состав изделия", "Components (as built)")) }
        @if c.components.is_empty() { p.muted { (lang.t("Компонентов нет.", "No components.")) } }
        @else {
            table.list {
                tr { th { (lang.t("Компонент", "Component")) } th.num { (lang.t("Кол-во", "Qty")) } th { (lang.t("Серийный номер / партия", "Serial / lot")) } th { (lang.t("Установлен", "Fitted by")) } th { (lang.t("Снят", "Removed")) } }
                @for x in &c.components {
                    tr.archived[x.removed_by.is_some()] {
                        td { (x.product_name) } td.num { (x.qty) }
                        td { @if let (Some(sn), Some(cu)) = (&x.serial, x.component_unit_id) { a href=(format!("/units/{cu}")) { (sn) } } @else { (lang.t("партия ", "lot ")) (x.lot) } }
                        td { (x.installed_by.clone().unwrap_or_default()) }
                        td { @if let Some(r) = &x.removed_by { (r) " " (x.removed_date.as_deref().map(date_ru).unwrap_or_default()) } }
                    }
                }
            }
        }
        h2 { (lang.t("Движения", "Movements")) }
        table.list {
            tr { th { (lang.t("Дата", "Date")) } th { (lang.t("Что", "What")) } th { (lang.t("Документ", "Document")) } th { (lang.t("Клиент", "Customer")) } th { (lang.t("Склад", "Warehouse")) } th { (lang.t("Заметка", "Note")) } }
            @for m in &c.moves {
                tr {
                    td { (date_ru(&m.date)) } td { (move_label(lang, &m.kind)) }
                    td { @if let (Some(d), Some(k), Some(n)) = (m.document_id, &m.document_kind, &m.document_number) { a href=(doc_href(k, d)) { (n) } } }
                    td { (m.counterparty_name.clone().unwrap_or_default()) } td { (m.warehouse_name.clone().unwrap_or_default()) } td { (m.note) }
                }
            }
        }
        h2 { (lang.t("Ремонты", "Repairs")) }
        @if c.repairs.is_empty() { p.muted { (lang.t("Ремонтов не было.", "No repairs.")) } }
        @else {
            table.list {
                tr { th { (lang.t("Заказ", "Order")) } th { (lang.t("Принят", "Received")) } th { (lang.t("Состояние", "State")) } th { (lang.t("Гарантия", "Warranty")) } th { (lang.t("Дефект", "Defect")) } th.num { (lang.t("Цена", "Price")) } }
                @for r in &c.repairs {
                    tr {
                        td { a href=(format!("/repairs/{}", r.id)) { (r.number) } } td { (date_ru(&r.received_date)) }
                        td { (RepairState::parse(&r.state).map(|x| x.label(lang.ru())).unwrap_or("")) }
                        td { @if r.warranty { (lang.t("гарантийный", "warranty")) } @else { (lang.t("платный", "paid")) } }
                        td { (r.defect_category.clone().unwrap_or_default()) } td.num { (Money(r.price).to_ru()) }
                    }
                }
            }
        }
        @if ui.actor.can(Right::Repair) && !matches!(u.state.as_str(), "repair" | "consumed" | "cancelled" | "scrapped") {
            h2 { (lang.t("Начать ремонт", "Start a repair")) }
            form.grid method="post" action="/repairs" {
                input type="hidden" name="csrf" value=(ui.csrf);
                input type="hidden" name="unit_id" value=(u.id);
                label.l { (lang.t("Жалоба", "Complaint")) } div.f { input type="text" name="complaint"; }
                label.l { (lang.t("Принят", "Received")) } div.f { input type="date" name="date" value=(kupets_app::today().to_string()); }
                label.l { (lang.t("Склад запчастей", "Parts warehouse")) } div.f { select name="warehouse_id" { option value="" { "—" } @for (id, n) in &whs { option value=(id) { (n) } } } }
                div.actions { button.btn type="submit" { (lang.t("Принять в ремонт", "Take in for repair")) } }
            }
        }
    };
    page(lang, &ui.actor, &ui.csrf, &u.serial, "/units", body)
}

// ------------------------------------------------------------------ production

async fn production_form(ui: UiActor, State(s): State<AppState>) -> Response {
    production_page(&ui, &s, &Values::new(), &Refusal::none()).await
}

/// The production form; after a refusal, with everything typed and each
/// message at its field.
async fn production_page(ui: &UiActor, s: &AppState, v: &Values, refusal: &Refusal) -> Response {
    let lang = current_lang();
    let tracked = names(&s.app, "SELECT id, sku || ' — ' || name AS name FROM products WHERE archived = 0 AND serial_tracked = 1").await;
    let all = names(
        &s.app,
        "SELECT id, sku || ' — ' || name AS name FROM products WHERE archived = 0 LIMIT 5000",
    )
    .await;
    let whs = names(&s.app, "SELECT id, name FROM warehouses WHERE archived = 0").await;
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let sel = |name: &str, m: &HashMap<i64, String>| select(name, &opts(m), &g(name), "—");
    let at = |f: &str| refusal.at(lang, f);
    let fields = [
        "product_id",
        "warehouse_id",
        "date",
        "batch",
        "work_cost",
        "units",
        "count",
        "serial_pattern",
    ];
    let body = html! {
        h1 { (lang.t("Производство", "Production")) ": " (lang.t("новый документ", "new document")) }
        (refusal.summary(lang, &|f| fields.contains(&f) || f.starts_with("units[") || f.starts_with("components_per_unit[")))
        form.grid method="post" action="/productions" {
            input type="hidden" name="csrf" value=(ui.csrf);
            label.l { (lang.t("Изделие *", "Product *")) } div.f { (sel("product_id", &tracked)) div.hint { (lang.t("Учитываемое по серийным номерам", "A serial-tracked product")) } (at("product_id")) }
            label.l { (lang.t("Склад *", "Warehouse *")) } div.f { (sel("warehouse_id", &whs)) (at("warehouse_id")) }
            label.l { (lang.t("Дата", "Date")) } div.f { input type="date" name="date" value=(if g("date").is_empty() { kupets_app::today().to_string() } else { g("date") }); (at("date")) }
            label.l { (lang.t("Партия", "Batch")) } div.f { input type="text" name="batch" value=(g("batch")); (at("batch")) }
            label.l { (lang.t("Стоимость работ", "Work cost")) } div.f { input type="text" inputmode="decimal" name="work_cost" value=(g("work_cost")); (at("work_cost")) }
            label.l { (lang.t("Серийные номера", "Serials")) } div.f { textarea name="serials" rows="4" { (g("serials")) } div.hint { (lang.t("По одному в строке (можно сканером) — или оставьте пустым и задайте количество и шаблон", "One per line (a scanner works) — or leave empty and give a count and a pattern")) } (at("units"))
                @for e in refusal.fields.iter().filter(|e| e.field.starts_with("units[")) { div.err id=(super::refusal::anchor(&e.field)) { (super::refusal::label(lang, &e.field)) ": " (if lang.ru() { &e.message_ru } else { &e.message_en }) } } }
            label.l { (lang.t("Количество", "Count")) } div.f { input type="text" name="count" value=(g("count")) size="6"; (at("count")) }
            label.l { (lang.t("Шаблон номера", "Serial pattern")) } div.f { input type="text" name="serial_pattern" value=(g("serial_pattern")) placeholder="DR1-26-####"; (at("serial_pattern")) }
            @for i in 0..4 {
                label.l { (lang.t("Компонент в каждое изделие", "Component in each unit")) " " (i + 1) }
                div.f { (sel(&format!("c{i}_product"), &all)) " " input type="text" name=(format!("c{i}_lot")) value=(g(&format!("c{i}_lot"))) placeholder=(lang.t("партия", "lot")) size="10"; " " input type="text" name=(format!("c{i}_qty")) value=(g(&format!("c{i}_qty"))) placeholder="1" size="5";
                    (refusal.row(lang, "components_per_unit", i)) }
            }
            div.actions { button.btn type="submit" { (lang.t("Сохранить черновик", "Save draft")) } }
        }
        p.muted { (lang.t("Серийные компоненты (мотор с номером и т. п.) указываются в API для каждой единицы: units[].components.", "Serial components (a numbered motor, …) are given per unit through the API: units[].components.")) }
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Производство", "Production"),
        "/productions/new",
        body,
    ))
}

async fn production_create(
    ui: UiActor,
    State(s): State<AppState>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let g = |k: &str| f.get(k).cloned().filter(|v| !v.trim().is_empty());
    let input = ProductionInput {
        product_id: g("product_id"),
        warehouse_id: g("warehouse_id"),
        date: g("date"),
        batch: g("batch"),
        units: split_serials(&g("serials").unwrap_or_default())
            .into_iter()
            .map(|sn| UnitInput {
                serial: Some(sn),
                components: vec![],
            })
            .collect(),
        count: g("count"),
        serial_pattern: g("serial_pattern"),
        components_per_unit: (0..4)
            .filter(|i| g(&format!("c{i}_product")).is_some())
            .map(|i| ComponentInput {
                product_id: g(&format!("c{i}_product")),
                qty: g(&format!("c{i}_qty")),
                serial: None,
                lot: g(&format!("c{i}_lot")),
            })
            .collect(),
        work_cost: g("work_cost"),
        comment: None,
    };
    match s.app.create_production(&ui.actor, &input).await {
        Ok(p) => Redirect::to(&format!("/productions/{}", p.document.id)).into_response(),
        // Any refusal (rights too) keeps what was typed.
        Err(e) => production_page(&ui, &s, &f, &Refusal::of(lang, &e)).await,
    }
}

async fn production_show(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(current_lang());
    };
    production_view(&ui, &s, id, &Refusal::none()).await
}

/// A production document; after a refused posting, with the reason on top.
pub(crate) async fn production_view(
    ui: &UiActor,
    s: &AppState,
    id: i64,
    refusal: &Refusal,
) -> Response {
    let lang = current_lang();
    let p = match s.app.get_production(&ui.actor, id).await {
        Ok(p) => p,
        Err(e) => return error_page(lang, &e),
    };
    let d = &p.document;
    let statuses =
        super::status::status_block(lang, ui, &s.app, id, DocKind::Production, refusal).await;
    let body = html! {
        h1 { (lang.t("Производство", "Production")) " " (d.number) " " (lang.t("от", "of")) " " (date_ru(&d.date)) " " (state_tag(lang, &d.state)) }
        (refusal.summary(lang, &|_| false))
        div.card { dl.props {
            dt { (lang.t("Изделие", "Product")) } dd { (p.product_name) }
            dt { (lang.t("Партия", "Batch")) } dd { (p.batch) }
            dt { (lang.t("Единиц", "Units")) } dd { (p.serials.len()) ": " (p.serials.join(", ")) }
        } }
        @if d.state == "draft" && ui.actor.can(Right::MoveStock) {
            form method="post" action=(format!("/productions/{id}/post")) { input type="hidden" name="csrf" value=(ui.csrf); button.btn type="submit" { (lang.t("Провести", "Post")) } }
        }
        @if !p.units.is_empty() { h2 { (lang.t("Произведено", "Made")) } (units_table(lang, &p.units)) }
        (statuses)
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        &d.number,
        "/productions/new",
        body,
    ))
}

async fn production_post(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(lang);
    };
    match s.app.post_production(&ui.actor, id).await {
        Ok(_) => Redirect::to(&format!("/productions/{id}")).into_response(),
        Err(e) => {
            let r = Refusal::of_form(lang, &e, &format!("/productions/{id}/post"), &f);
            production_view(&ui, &s, id, &r).await
        }
    }
}

// ------------------------------------------------------------------ repairs

async fn repairs(ui: UiActor, State(s): State<AppState>) -> Response {
    repairs_page(&ui, &s, &Refusal::none()).await
}

/// The repairs with the hand-in form; after a refused hand-in, the form
/// with what was typed and the message at its field.
async fn repairs_page(ui: &UiActor, s: &AppState, refusal: &Refusal) -> Response {
    let lang = current_lang();
    let list = match s.app.list_repairs(&ui.actor, false).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, &e),
    };
    let whs = names(&s.app, "SELECT id, name FROM warehouses WHERE archived = 0").await;
    let a = "/repairs";
    let v = |name: &str, d: &str| refusal.value(a, name, d);
    let at = |name: &str| refusal.at_form(lang, a, name);
    let today = kupets_app::today().to_string();
    let wh = v("warehouse_id", "");
    let body = html! {
        h1 { (lang.t("Ремонты", "Repairs")) }
        (refusal.summary(lang, &|f| ["serial", "unit_id", "complaint", "date", "warehouse_id"].contains(&f)))
        @if ui.actor.can(Right::Repair) || !refusal.is_empty() {
            // Hand-in: the client's unit comes on a repair order, never on a
            // return (no credit, not in our stock).
            h2 { (lang.t("Принять в ремонт", "Take in for repair")) }
            p.muted { (lang.t("Изделие клиента остаётся его собственностью: без возврата, без кредита клиенту, не на наш склад. Номер можно найти и в ", "The client's unit stays theirs: no return, no credit, not into our stock. A serial can also be found in ")) a href="/units" { (lang.t("серийных номерах", "serials")) } "." }
            form.grid method="post" action="/repairs" {
                input type="hidden" name="csrf" value=(ui.csrf);
                @if !v("unit_id", "").is_empty() { input type="hidden" name="unit_id" value=(v("unit_id", "")); }
                label.l for="rp-serial" { (lang.t("Серийный номер", "Serial")) } div.f { input #rp-serial type="text" name="serial" value=(v("serial", "")) required[v("unit_id", "").is_empty()]; (at("serial")) (at("unit_id")) }
                label.l for="rp-complaint" { (lang.t("Жалоба", "Complaint")) } div.f { input #rp-complaint type="text" name="complaint" value=(v("complaint", "")); (at("complaint")) }
                label.l for="rp-date" { (lang.t("Принят", "Received")) } div.f { input #rp-date type="date" name="date" value=(v("date", &today)); (at("date")) }
                label.l for="rp-wh" { (lang.t("Склад запчастей", "Parts warehouse")) } div.f { select #rp-wh name="warehouse_id" { option value="" { "—" } @for (id, n) in &whs { option value=(id) selected[wh == id.to_string()] { (n) } } } (at("warehouse_id")) }
                div.actions { button.btn type="submit" { (lang.t("Принять в ремонт", "Take in for repair")) } }
            }
        }
        p { a.btn.light href="/repairs/export.xlsx" { (lang.t("Скачать XLSX", "Download XLSX")) } }
        table.list {
            tr { th { (lang.t("Заказ", "Order")) } th { (lang.t("Изделие", "Unit")) } th { (lang.t("Клиент", "Customer")) } th { (lang.t("Принят", "Received")) } th { (lang.t("Состояние", "State")) } th { (lang.t("Гарантия", "Warranty")) } }
            @for r in &list {
                tr {
                    td { a href=(format!("/repairs/{}", r.id)) { (r.number) } }
                    td { a href=(format!("/units/{}", r.unit_id)) { (r.product_name) " " (r.serial) } }
                    td { (r.counterparty_name.clone().unwrap_or_default()) } td { (date_ru(&r.received_date)) }
                    td { (RepairState::parse(&r.state).map(|x| x.label(lang.ru())).unwrap_or("")) }
                    td { @if r.warranty { (lang.t("да", "yes")) } @else { (lang.t("нет", "no")) } }
                }
            }
        }
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Ремонты", "Repairs"),
        "/repairs",
        body,
    ))
}

async fn repair_open(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let g = |k: &str| f.get(k).cloned().filter(|v| !v.trim().is_empty());
    let input = RepairInput {
        unit_id: g("unit_id"),
        serial: g("serial"),
        product_id: None,
        counterparty_id: g("counterparty_id"),
        warehouse_id: g("warehouse_id"),
        date: g("date"),
        complaint: g("complaint"),
    };
    match s.app.open_repair(&ui.actor, &input).await {
        Ok(r) => Redirect::to(&format!("/repairs/{}", r.id)).into_response(),
        Err(e) => repairs_page(&ui, &s, &Refusal::of_form(lang, &e, "/repairs", &f)).await,
    }
}

async fn repair_show(ui: UiActor, State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(current_lang());
    };
    repair_page(&ui, &s, id, &Refusal::none()).await
}

/// A repair order with its forms (state, diagnosis and price, parts); after
/// a refused one, that form with what was typed and the message at it.
pub(crate) async fn repair_page(
    ui: &UiActor,
    s: &AppState,
    id: i64,
    refusal: &Refusal,
) -> Response {
    let lang = current_lang();
    let (r, cats) = match (
        s.app.get_repair(&ui.actor, id).await,
        s.app.defect_categories().await,
    ) {
        (Ok(r), Ok(c)) => (r, c),
        (Err(e), _) | (_, Err(e)) => return error_page(lang, &e),
    };
    let st = RepairState::parse(&r.state).unwrap_or(RepairState::Received);
    let products = names(
        &s.app,
        "SELECT id, sku || ' — ' || name AS name FROM products WHERE archived = 0 LIMIT 5000",
    )
    .await;
    let prods = opts(&products);
    let statuses =
        super::status::status_block(lang, ui, &s.app, id, DocKind::Repair, refusal).await;
    let can = ui.actor.can(Right::Repair);
    // What the diagnosis and part forms show: as saved, or as typed when refused.
    let da = format!("/repairs/{id}");
    let dv = |name: &str, saved: &str| refusal.value(&da, name, saved);
    let dat = |name: &str| refusal.at_form(lang, &da, name);
    let pa = format!("/repairs/{id}/parts");
    let pv = |name: &str| refusal.value(&pa, name, "");
    // The shipment that sold the unit, by number with a link.
    let sold: Option<(i64, String)> = s
        .app
        .store
        .read_rows(
            "SELECT d.id, d.number FROM line_units lu JOIN document_lines l ON l.id = lu.line_id JOIN documents d ON d.id = l.document_id WHERE lu.unit_id = $1 AND d.kind = 'shipment' AND d.state = 'posted' ORDER BY d.id DESC LIMIT 1".into(),
            vec![kupets_store::queries::P::from(r.unit_id)],
            |x| (x.int("id"), x.text("number")),
        )
        .await
        .ok()
        .and_then(|v| v.into_iter().next());
    let cat = dv(
        "defect_category_id",
        &r.defect_category_id
            .map(|c| c.to_string())
            .unwrap_or_default(),
    );
    let warranty_kept = dv("warranty", "");
    let part = pv("product_id");
    let body = html! {
        p { a href="/repairs" { "← " (lang.t("Ремонты", "Repairs")) } }
        h1 { (lang.t("Ремонт", "Repair")) " " (r.number) " · " (RepairState::parse(&r.state).map(|x| x.label(lang.ru())).unwrap_or("")) }
        (refusal.summary(lang, &|f| (refusal.form == da || refusal.form == pa) && !f.is_empty()))
        div.card { dl.props {
            dt { (lang.t("Изделие", "Unit")) } dd { a href=(format!("/units/{}", r.unit_id)) { (r.product_name) " " (r.serial) } }
            dt { (lang.t("Клиент", "Customer")) } dd { @if let Some(c) = r.counterparty_id { a href=(format!("/counterparties/{c}")) { (r.counterparty_name.clone().unwrap_or_default()) } } }
            @if let Some((sid, n)) = &sold { dt { (lang.t("Продан по отгрузке", "Sold on shipment")) } dd { a href=(doc_href("shipment", *sid)) { (n) } } }
            dt { (lang.t("Чьё изделие", "Whose unit")) } dd {
                @if r.custody == "client" { (lang.t("клиента — у нас в ремонте: без кредита, не на нашем складе; после ремонта возвращается клиенту", "the customer's — in repair with us: no credit, not in our stock; handed back to the customer")) }
                @else { (lang.t("наше (со склада) — после ремонта на склад", "ours (from stock) — back to stock after repair")) }
            }
            dt { (lang.t("Принят", "Received")) } dd { (date_ru(&r.received_date)) @if let Some(c) = &r.closed_date { " · " (lang.t("закрыт ", "closed ")) (date_ru(c)) } }
            dt { (lang.t("Жалоба", "Complaint")) } dd { (r.complaint) }
            dt { (lang.t("Гарантия", "Warranty")) } dd {
                b { @if r.warranty { (lang.t("гарантийный ремонт", "warranty repair")) } @else { (lang.t("платный ремонт", "paid repair")) } }
                @if r.warranty != r.warranty_auto { " " span.tag { (lang.t("изменено: ", "overridden: ")) (r.override_reason) } }
            }
            dt { (lang.t("Дефект", "Defect")) } dd { (r.defect_category.clone().unwrap_or_default()) }
            dt { (lang.t("Работы", "Work")) } dd { (r.work) }
            dt { (lang.t("Цена для клиента", "Price to the customer")) } dd { (Money(r.price).to_ru()) @if r.warranty { " " span.muted { (lang.t("(по гарантии не взимается)", "(not charged under warranty)")) } } }
            dt { (lang.t("Себестоимость", "Cost")) } dd { (Money(r.cost).to_ru()) }
        } }
        (super::paperwork::repair_links(lang, id, r.custody == "client" && !r.warranty && r.price > 0))
        @if can && !st.is_closed() {
            div.toolbar {
                @for next in RepairState::ALL.into_iter().filter(|n| st.can_move_to(*n)) {
                    form method="post" action=(format!("/repairs/{id}/state")) style="display:inline" {
                        input type="hidden" name="csrf" value=(ui.csrf); input type="hidden" name="state" value=(next.code());
                        button.btn.light[next == RepairState::Declined] .btn type="submit" { "→ " (next.label(lang.ru())) }
                    }
                }
            }
            h2 { (lang.t("Диагностика и цена", "Diagnosis and price")) }
            form.grid #repair-form method="post" action=(da) {
                input type="hidden" name="csrf" value=(ui.csrf);
                label.l { (lang.t("Категория дефекта", "Defect category")) } div.f { select name="defect_category_id" { option value="" { "—" } @for c in &cats { option value=(c.id) selected[cat == c.id.to_string()] { (if lang.ru() { &c.name_ru } else { &c.name_en }) } } } (dat("defect_category_id")) }
                label.l { (lang.t("Работы", "Work")) } div.f { input type="text" name="work" value=(dv("work", &r.work)); (dat("work")) }
                label.l { (lang.t("Цена, ₽", "Price, ₽")) } div.f { input type="text" name="price" value=(dv("price", &Money(r.price).to_api())); (dat("price")) }
                label.l { (lang.t("Себестоимость, ₽", "Cost, ₽")) } div.f { input type="text" name="cost" value=(dv("cost", &Money(r.cost).to_api())); (dat("cost")) }
                @if ui.actor.can(Right::LeadDepartment) {
                    label.l { (lang.t("Гарантийный", "Warranty")) } div.f { select name="warranty" { option value="" { (lang.t("как решено", "as decided")) } option value="true" selected[warranty_kept == "true"] { (lang.t("да", "yes")) } option value="false" selected[warranty_kept == "false"] { (lang.t("нет", "no")) } } (dat("warranty")) }
                    label.l { (lang.t("Причина изменения", "Override reason")) } div.f { input type="text" name="override_reason" value=(dv("override_reason", "")); (dat("override_reason")) }
                }
                div.actions { button.btn type="submit" { (lang.t("Сохранить", "Save")) } }
            }
            @if matches!(st, RepairState::Diagnosis | RepairState::InRepair) {
                h2 { (lang.t("Запчасть", "Part")) }
                form.inline method="post" action=(pa) {
                    input type="hidden" name="csrf" value=(ui.csrf);
                    select name="product_id" { @for (pid, n) in &prods { option value=(pid) selected[part == pid.to_string()] { (n) } } }
                    input type="text" name="qty" value=(pv("qty")) placeholder="1" size="4";
                    input type="text" name="serial" value=(pv("serial")) placeholder=(lang.t("серийный номер", "serial")) size="12";
                    input type="text" name="lot" value=(pv("lot")) placeholder=(lang.t("партия", "lot")) size="10";
                    input type="text" name="replaces_serial" value=(pv("replaces_serial")) placeholder=(lang.t("заменяет № / партию", "replaces serial / lot")) size="14";
                    button.btn type="submit" { (lang.t("Установить", "Fit")) }
                }
                @for f in ["product_id", "qty", "serial", "lot", "replaces_serial", "replaces_lot"] { (refusal.at_form(lang, &pa, f)) }
            }
        }
        @if !r.parts.is_empty() {
            h2 { (lang.t("Установленные запчасти", "Parts fitted")) }
            table.list { tr { th { (lang.t("Товар", "Product")) } th.num { (lang.t("Кол-во", "Qty")) } } @for l in &r.parts { tr { td { (l.product_name) } td.num { (kupets_domain::Qty(l.qty).to_api()) } } } }
        }
        (statuses)
    };
    refusal.apply(page(lang, &ui.actor, &ui.csrf, &r.number, "/repairs", body))
}

/// A refused form of a repair's page: the page again with it; a repair that
/// cannot be read is the error page.
async fn repair_refused(
    ui: &UiActor,
    s: &AppState,
    id: i64,
    e: &AppError,
    action: &str,
    f: &Values,
) -> Response {
    let lang = current_lang();
    repair_page(ui, s, id, &Refusal::of_form(lang, e, action, f)).await
}

async fn repair_update(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(lang);
    };
    let g = |k: &str| f.get(k).cloned().filter(|v| !v.trim().is_empty());
    let input = RepairUpdate {
        defect_category_id: g("defect_category_id"),
        complaint: None,
        work: g("work"),
        price: g("price"),
        cost: g("cost"),
        warranty: g("warranty"),
        override_reason: g("override_reason"),
    };
    match s.app.update_repair(&ui.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/repairs/{id}")).into_response(),
        Err(e) => repair_refused(&ui, &s, id, &e, &format!("/repairs/{id}"), &f).await,
    }
}

async fn repair_state(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(lang);
    };
    match s
        .app
        .set_repair_state(
            &ui.actor,
            id,
            &RepairStateInput {
                state: f.get("state").cloned(),
            },
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("/repairs/{id}")).into_response(),
        Err(e) => repair_refused(&ui, &s, id, &e, &format!("/repairs/{id}/state"), &f).await,
    }
}

async fn repair_part(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(lang);
    };
    let g = |k: &str| f.get(k).cloned().filter(|v| !v.trim().is_empty());
    // One field for what is replaced: a serial if the product is tracked,
    // otherwise a lot.
    let input = RepairPartInput {
        product_id: g("product_id"),
        qty: g("qty"),
        serial: g("serial"),
        lot: g("lot"),
        replaces_serial: g("replaces_serial").filter(|_| g("serial").is_some()),
        replaces_lot: g("replaces_serial").filter(|_| g("serial").is_none()),
    };
    match s.app.add_repair_part(&ui.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/repairs/{id}")).into_response(),
        Err(e) => repair_refused(&ui, &s, id, &e, &format!("/repairs/{id}/parts"), &f).await,
    }
}

// ------------------------------------------------------------------ recalls

async fn recalls(
    ui: UiActor,
    State(s): State<AppState>,
    Query(k): Query<RecallCriteria>,
) -> Response {
    recalls_page(&ui, &s, k, &Refusal::none()).await
}

/// The recall search and campaigns; after a refused campaign, its name as
/// typed and the message at it.
async fn recalls_page(
    ui: &UiActor,
    s: &AppState,
    k: RecallCriteria,
    refusal: &Refusal,
) -> Response {
    let lang = current_lang();
    let asked = [
        &k.product_id,
        &k.batch,
        &k.component_lot,
        &k.component_serial,
    ]
    .iter()
    .any(|v| v.as_deref().is_some_and(|x| !x.trim().is_empty()));
    let found = if asked {
        Some(s.app.recall_search(&ui.actor, &k).await)
    } else {
        None
    };
    let campaigns = s.app.list_recalls(&ui.actor).await.unwrap_or_default();
    let tracked = names(
        &s.app,
        "SELECT id, sku || ' — ' || name AS name FROM products WHERE archived = 0",
    )
    .await;
    let prods = opts(&tracked);
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let sel = |name: &str, cur: &str| select(name, &prods, cur, "—");
    let query = super::forms::query(&[
        ("product_id", &v(&k.product_id)),
        ("from", &v(&k.from)),
        ("to", &v(&k.to)),
        ("batch", &v(&k.batch)),
        ("component_lot", &v(&k.component_lot)),
        ("component_product_id", &v(&k.component_product_id)),
        ("component_serial", &v(&k.component_serial)),
    ]);
    let body = html! {
        h1 { (lang.t("Отзыв партии", "Recall")) }
        (refusal.summary(lang, &|f| f == "name"))
        form.grid method="get" action="/recalls" {
            label.l { (lang.t("Изделие и даты производства", "Product and production dates")) } div.f { (sel("product_id", &v(&k.product_id))) " " input type="date" name="from" value=(v(&k.from)); " – " input type="date" name="to" value=(v(&k.to)); }
            label.l { (lang.t("или партия", "or a batch")) } div.f { input type="text" name="batch" value=(v(&k.batch)); }
            label.l { (lang.t("или лот компонента", "or a component lot")) } div.f { input type="text" name="component_lot" value=(v(&k.component_lot)); " " (sel("component_product_id", &v(&k.component_product_id))) }
            label.l { (lang.t("или серийный номер компонента", "or a component serial")) } div.f { input type="text" name="component_serial" value=(v(&k.component_serial)); }
            div.actions { button.btn.light type="submit" { (lang.t("Найти изделия", "Find units")) } }
        }
        @match &found {
            Some(Err(e)) => { div.alert { (e.message(lang.ru())) } }
            Some(Ok(units)) => {
                h2 { (lang.t("Найдено: ", "Found: ")) (units.len()) }
                table.list {
                    tr { th { (lang.t("Серийный номер", "Serial")) } th { (lang.t("Изделие", "Product")) } th { (lang.t("Где", "Where")) } th { (lang.t("Клиент, отгрузка", "Customer, shipment")) } th { (lang.t("Гарантия", "Warranty")) } th {} }
                    @for u in units {
                        tr {
                            td { a href=(format!("/units/{}", u.unit.id)) { (u.unit.serial) } } td { (u.unit.product_name) }
                            td { (unit_state(lang, &u.unit.state)) }
                            td { (u.unit.counterparty_name.clone().unwrap_or_default()) @if let (Some(s), Some(n)) = (u.unit.shipment_id, &u.unit.shipment_number) { br; a href=(doc_href("shipment", s)) { (n) } } }
                            td { (warranty(lang, &u.unit)) }
                            td { @if u.component_removed { span.tag { (lang.t("компонент уже заменён", "component since replaced")) } } }
                        }
                    }
                }
                @if !units.is_empty() && ui.actor.can(Right::LeadDepartment) {
                    form.inline method="post" action=(format!("/recalls{query}")) {
                        input type="hidden" name="csrf" value=(ui.csrf);
                        input type="text" name="name" value=(refusal.value("/recalls", "name", "")) placeholder=(lang.t("Название кампании", "Campaign name")) required;
                        button.btn type="submit" { (lang.t("Открыть кампанию отзыва", "Open a recall campaign")) }
                    }
                    (refusal.at_form(lang, "/recalls", "name"))
                }
            }
            None => {}
        }
        @if !campaigns.is_empty() {
            h2 { (lang.t("Кампании", "Campaigns")) }
            ul { @for (id, name, at, n) in &campaigns { li { a href=(format!("/recalls/{id}")) { (name) } " " span.muted { (at.get(..10).unwrap_or(at)) ", " (n) (lang.t(" шт.", " units")) } } } }
        }
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Отзыв партии", "Recall"),
        "/recalls",
        body,
    ))
}

async fn recall_open(
    ui: UiActor,
    State(s): State<AppState>,
    Query(k): Query<RecallCriteria>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    match s
        .app
        .open_recall(
            &ui.actor,
            &RecallInput {
                name: f.get("name").cloned(),
                criteria: k.clone(),
            },
        )
        .await
    {
        Ok(r) => Redirect::to(&format!("/recalls/{}", r.id)).into_response(),
        Err(e) => recalls_page(&ui, &s, k, &Refusal::of_form(lang, &e, "/recalls", &f)).await,
    }
}

fn progress_label(lang: Lang, p: &str) -> &'static str {
    match p {
        "pending" => lang.t("ждёт", "pending"),
        "contacted" => lang.t("связались", "contacted"),
        "returned" => lang.t("возвращено", "returned"),
        "repaired" => lang.t("отремонтировано", "repaired"),
        _ => "",
    }
}

async fn recall_show(ui: UiActor, State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let lang = current_lang();
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(lang);
    };
    let r = match s.app.get_recall(&ui.actor, id).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, &e),
    };
    let total = r.units.len().max(1) as f64;
    let body = html! {
        p { a href="/recalls" { "← " (lang.t("Отзыв партии", "Recall")) } }
        h1 { (r.name) @if r.done { " " span.tag.posted { (lang.t("завершена", "done")) } } }
        div.tiles {
            @for (k, n) in [("pending", r.pending), ("contacted", r.contacted), ("returned", r.returned), ("repaired", r.repaired)] {
                div.tile { b { (n) } (progress_label(lang, k)) br; span.muted { ((n as f64 * 100.0 / total).round()) " %" } }
            }
        }
        p { a.btn.light href=(format!("/api/v1/recalls/{id}/customers.csv")) { (lang.t("Клиенты для обзвона (CSV)", "Customers to contact (CSV)")) } }
        table.list {
            tr { th { (lang.t("Серийный номер", "Serial")) } th { (lang.t("Клиент, отгрузка", "Customer, shipment")) } th { (lang.t("Гарантия", "Warranty")) } th { (lang.t("Ход", "Progress")) } th {} }
            @for u in &r.units {
                tr {
                    td { a href=(format!("/units/{}", u.unit.id)) { (u.unit.serial) } }
                    td { (u.unit.counterparty_name.clone().unwrap_or_default()) @if let (Some(s), Some(n)) = (u.unit.shipment_id, &u.unit.shipment_number) { br; a href=(doc_href("shipment", s)) { (n) } } }
                    td { (warranty(lang, &u.unit)) }
                    td { (progress_label(lang, u.progress.as_deref().unwrap_or(""))) }
                    td { @if u.progress.as_deref() == Some("pending") {
                        form method="post" action=(format!("/recalls/{id}/units/{}", u.unit.id)) style="display:inline" {
                            input type="hidden" name="csrf" value=(ui.csrf); input type="hidden" name="progress" value="contacted";
                            button.btn.light type="submit" { (lang.t("Связались", "Contacted")) }
                        }
                    } }
                }
            }
        }
    };
    page(lang, &ui.actor, &ui.csrf, &r.name, "/recalls", body)
}

async fn recall_progress(
    ui: UiActor,
    State(s): State<AppState>,
    Path((id, unit)): Path<(String, String)>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let (Ok(id), Ok(unit)) = (id.parse::<i64>(), unit.parse::<i64>()) else {
        return not_found_page(lang);
    };
    match s
        .app
        .set_recall_progress(
            &ui.actor,
            id,
            unit,
            &kupets_app::serial::ProgressInput {
                progress: f.get("progress").cloned(),
            },
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("/recalls/{id}")).into_response(),
        Err(e) => error_page(lang, &e),
    }
}

// ------------------------------------------------------------------ defects

fn bars(rows: &[kupets_app::serial::DefectRow]) -> Markup {
    let max = rows.iter().map(|r| r.failures).max().unwrap_or(0).max(1);
    let h = 26.0 * rows.len() as f64 + 6.0;
    html! {
        svg.funnel width="640" height=(h) viewBox=(format!("0 0 640 {h}")) {
            @for (i, r) in rows.iter().enumerate() {
                @let y = i as f64 * 26.0 + 3.0;
                @let w = 360.0 * r.failures as f64 / max as f64;
                text x="200" y=(y + 16.0) text-anchor="end" font-size="12" { (r.label.chars().take(30).collect::<String>()) }
                rect x="210" y=(y) width=(w.max(1.0)) height="20" rx="3" fill="#b42318" {}
                text x=(216.0 + w) y=(y + 15.0) font-size="12" { (r.failures) @if let Some(f) = &r.failure_rate { " · " (f.replace('.', ",")) "%" } }
            }
        }
    }
}

fn defect_table(lang: Lang, title: &str, rows: &[kupets_app::serial::DefectRow]) -> Markup {
    html! {
        h2 { (title) }
        @if rows.is_empty() { p.muted { (lang.t("Нет ремонтов.", "No repairs.")) } }
        @else {
            (bars(rows))
            table.list {
                tr { th {} th.num { (lang.t("Ремонтов", "Repairs")) } th.num { (lang.t("Из них отказов изделия", "Product failures")) } th.num { (lang.t("Отгружено", "Shipped")) } th.num { (lang.t("Отказы на единицу, %", "Failure rate, %")) } }
                @for r in rows { tr {
                    td { (super::words::month(lang, &r.label)) @if r.counts_as_failure == Some(false) { " " span.muted { (lang.t("(не отказ изделия)", "(not a product failure)")) } } }
                    td.num { (r.repairs) } td.num { (r.failures) } td.num { @if let Some(s) = r.shipped { (s) } } td.num { @if let Some(f) = &r.failure_rate { (f.replace('.', ",")) } }
                } }
            }
        }
    }
}

async fn defects(
    ui: UiActor,
    State(s): State<AppState>,
    Query(q): Query<crate::api::status::FunnelParams>,
) -> Response {
    let lang = current_lang();
    let res = async {
        let (from, to) = crate::api::status::funnel_period(&q)?;
        s.app.defect_stats(&ui.actor, from, to).await
    };
    let d = match res.await {
        Ok(d) => d,
        Err(e) => return error_page(lang, &e),
    };
    let cats = s.app.defect_categories().await.unwrap_or_default();
    let edit = ui.actor.can(kupets_domain::role::Right::LeadDepartment);
    let not_counted = if lang.ru() {
        d.not_counted_ru.join(", ")
    } else {
        d.not_counted_en.join(", ")
    };
    let body = html! {
        h1 { (lang.t("Статистика дефектов", "Defect statistics")) }
        form.inline method="get" action="/reports/defects" {
            (lang.t("Ремонты с", "Repairs from")) input type="date" name="from" value=(d.from);
            (lang.t("по", "to")) input type="date" name="to" value=(d.to);
            button.btn.light type="submit" { (lang.t("Показать", "Show")) }
        }
        p.muted { (lang.t("Ремонтов за период: ", "Repairs in the period: ")) (d.repairs) (lang.t(", из них отказов изделия: ", ", of which product failures: ")) (d.failures)
            (lang.t(". Отказы на единицу — отказы изделия на отгруженную единицу. Не считаются отказом изделия: ", ". Failure rate: product failures per unit shipped. Not counted as product failures: "))
            @if not_counted.is_empty() { "—" } @else { (not_counted) }
            (lang.t(". Отказ относится к партиям компонентов, стоявшим в изделии при отказе, а не к деталям, установленным этим ремонтом.", ". A failure is charged to the component lots in the unit when it failed, not to parts fitted by that repair.")) }
        (defect_table(lang, lang.t("По изделиям", "By product"), &d.by_product))
        (defect_table(lang, lang.t("По категориям дефектов", "By defect category"), &d.by_category))
        (defect_table(lang, lang.t("По месяцу производства", "By production month"), &d.by_month))
        (defect_table(lang, lang.t("По партиям компонентов", "By component lot"), &d.by_lot))
        h2 { (lang.t("Категории дефектов", "Defect categories")) }
        table.list {
            tr { th { (lang.t("Категория", "Category")) } th { (lang.t("Отказ изделия?", "Product failure?")) } th {} }
            @for c in &cats {
                tr {
                    td { (if lang.ru() { &c.name_ru } else { &c.name_en }) }
                    td { @if c.counts_as_failure { (lang.t("да", "yes")) } @else { (lang.t("нет", "no")) } }
                    td { @if edit {
                        form method="post" action=(format!("/defect-categories/{}", c.id)) style="display:inline" {
                            input type="hidden" name="csrf" value=(ui.csrf);
                            input type="hidden" name="counts_as_failure" value=(if c.counts_as_failure { "false" } else { "true" });
                            button.btn.light type="submit" { @if c.counts_as_failure { (lang.t("Не считать отказом", "Do not count")) } @else { (lang.t("Считать отказом", "Count as failure")) } }
                        }
                    } }
                }
            }
        }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Статистика дефектов", "Defect statistics"),
        "/reports/defects",
        body,
    )
}

async fn defect_category(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(lang);
    };
    let input = kupets_app::serial::DefectCategoryInput {
        counts_as_failure: f.get("counts_as_failure").cloned(),
    };
    match s.app.set_defect_category(&ui.actor, id, &input).await {
        Ok(_) => Redirect::to("/reports/defects").into_response(),
        Err(e) => error_page(lang, &e),
    }
}
