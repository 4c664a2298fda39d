//! Pages of orders, shipments, receipts, returns and payments, and the
//! settlement reports. One set of handlers serves every kind; a line form
//! without JavaScript has a fixed number of rows, empty ones ignored.

use super::check_csrf;
use super::documents::date_ru;
use super::forms::{button_form, query, Values};
use super::layout::{error_page, not_found_page, page, state_tag};
use super::refusal::Refusal;
use crate::api::DocListParams;
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Datelike;
use kupets_app::document::CancelInput;
use kupets_app::trade::{LineInput, PaymentInput, TradeDocInput};
use kupets_app::{App, AppError};
use kupets_domain::role::Right;
use kupets_domain::{DocKind, Money};
use kupets_store::model::{DocLine, Document};
use maud::{html, Markup};
use std::collections::HashMap;

/// A document kind's pages.
#[derive(Clone, Copy)]
pub struct KindPage {
    pub kind: DocKind,
    pub seg: &'static str,
    pub title: (&'static str, &'static str),
}

pub const PAGES: [KindPage; 6] = [
    KindPage {
        kind: DocKind::SalesOrder,
        seg: "sales-orders",
        title: ("Заказы покупателей", "Sales orders"),
    },
    KindPage {
        kind: DocKind::Shipment,
        seg: "shipments",
        title: ("Отгрузки", "Shipments"),
    },
    KindPage {
        kind: DocKind::Return,
        seg: "returns",
        title: ("Возвраты от покупателей", "Customer returns"),
    },
    KindPage {
        kind: DocKind::PurchaseOrder,
        seg: "purchase-orders",
        title: ("Заказы поставщикам", "Purchase orders"),
    },
    KindPage {
        kind: DocKind::Receipt,
        seg: "receipts",
        title: ("Поступления", "Receipts"),
    },
    KindPage {
        kind: DocKind::SupplierReturn,
        seg: "supplier-returns",
        title: ("Возвраты поставщикам", "Returns to suppliers"),
    },
];

use super::lines::MAX_ROWS;

fn page_of(kind: DocKind) -> Option<KindPage> {
    PAGES.iter().copied().find(|p| p.kind == kind)
}

/// Serials typed or scanned into one field: separated by spaces, commas,
/// semicolons or new lines.
pub fn split_serials(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// Where a document's page is.
pub fn doc_href(kind: &str, id: i64) -> String {
    match DocKind::parse(kind) {
        Some(DocKind::Adjustment) => format!("/adjustments/{id}"),
        Some(DocKind::PaymentIn | DocKind::PaymentOut) => format!("/payments/{id}"),
        Some(DocKind::Production) => format!("/productions/{id}"),
        Some(DocKind::Repair) => format!("/repairs/{id}"),
        Some(DocKind::Invoice) => format!("/invoices/{id}"),
        Some(DocKind::Interaction) => format!("/interactions/{id}"),
        Some(k) => page_of(k)
            .map(|p| format!("/{}/{id}", p.seg))
            .unwrap_or_default(),
        None => String::new(),
    }
}

pub fn routes(mut r: Router<AppState>) -> Router<AppState> {
    for p in PAGES {
        r = r
            .route(
                &format!("/{}", p.seg),
                get(move |ui, s, q| list(p, ui, s, q)).post(move |ui, s, f| create(p, ui, s, f)),
            )
            .route(
                &format!("/{}/new", p.seg),
                get(move |ui, s, q| new_form(p, ui, s, q)),
            )
            .route(
                &format!("/{}/{{id}}", p.seg),
                get(move |ui, s, id| show(p, ui, s, id))
                    .post(move |ui, s, id, f| update(p, ui, s, id, f)),
            )
            .route(
                &format!("/{}/{{id}}/edit", p.seg),
                get(move |ui, s, id| edit_form(p, ui, s, id)),
            )
            .route(
                &format!("/{}/{{id}}/print", p.seg),
                get(move |ui, s, id| print(p, ui, s, id)),
            )
            .route(
                &format!("/{}/{{id}}/post", p.seg),
                post(move |ui, s, id, f| act(p, "post", ui, s, id, f)),
            )
            .route(
                &format!("/{}/{{id}}/cancel", p.seg),
                post(move |ui, s, id, f| act(p, "cancel", ui, s, id, f)),
            )
            .route(
                &format!("/{}/{{id}}/fulfil", p.seg),
                get(move |ui, s, id| fulfil_form(p, ui, s, id))
                    .post(move |ui, s, id, f| fulfil(p, ui, s, id, f)),
            );
    }
    for p in PAGES.iter().copied().filter(|p| p.kind.is_order()) {
        r = r.route(
            &format!("/{}/{{id}}/lines/{{line}}/close", p.seg),
            post(move |ui, s, ids, f| close_line(p, ui, s, ids, f)),
        );
    }
    r.route("/payments", get(payments).post(payment_create))
        .route("/walk-in-sale/{seg}", post(walk_in_sale))
        .route("/payments/new", get(payment_new))
        .route("/payments/{id}", get(payment_show))
        .route(
            "/payments/{id}/post",
            post(|ui, s, id, f| payment_act("post", ui, s, id, f)),
        )
        .route(
            "/payments/{id}/cancel",
            post(|ui, s, id, f| payment_act("cancel", ui, s, id, f)),
        )
        .route("/reports/balances", get(report_balances))
        .route("/reports/reconciliation", get(report_reconciliation))
        .route("/reports/aging", get(report_aging))
}

/// Id → name of a small table, in one query.
pub(crate) async fn names(app: &App, sql: &'static str) -> HashMap<i64, String> {
    app.store
        .read_rows(sql.into(), vec![], |r| (r.int("id"), r.text("name")))
        .await
        .unwrap_or_default()
        .into_iter()
        .collect()
}

/// Id → name pairs sorted by name, for a select.
pub(crate) fn opts(map: &HashMap<i64, String>) -> Vec<(i64, String)> {
    let mut v: Vec<(i64, String)> = map.iter().map(|(k, v)| (*k, v.clone())).collect();
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v
}

fn money_td(v: i64) -> Markup {
    html! { td.num { (Money(v).to_ru()) } }
}

async fn list(
    p: KindPage,
    ui: UiActor,
    State(s): State<AppState>,
    Query(q): Query<DocListParams>,
) -> Response {
    let lang = current_lang();
    let res = async { s.app.list_documents(&ui.actor, p.kind, &q.filter()?).await };
    let pg = match res.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let cps = names(&s.app, "SELECT id, name FROM counterparties").await;
    let state = q.state.clone().unwrap_or_default();
    let title = lang.t(p.title.0, p.title.1);
    let body = html! {
        h1 { (title) }
        div.toolbar {
            a.btn href=(format!("/{}/new", p.seg)) { "+ " (lang.t("Создать", "New")) }
            form method="get" action=(format!("/{}", p.seg)) {
                select name="state" {
                    option value="" { (lang.t("Все состояния", "All states")) }
                    @for st in ["draft", "posted", "cancelled"] { option value=(st) selected[state == st] { (kupets_domain::DocState::parse(st).map(|s| s.label(lang.ru())).unwrap_or(st)) } }
                }
                button.btn.light type="submit" { (lang.t("Показать", "Show")) }
            }
            a.btn.light href=(format!("/{}/export.xlsx{}", p.seg, query(&[("state", &state), ("counterparty_id", q.counterparty_id.as_deref().unwrap_or(""))]))) { (lang.t("Скачать XLSX", "Download XLSX")) }
        }
        (doc_table(lang, &pg.items, &cps))
        div.pager { @if let Some(c) = &pg.next_cursor { a.btn.light href=(format!("/{}{}", p.seg, query(&[("state", &state), ("cursor", c)]))) { (lang.t("Дальше ⟶", "Next ⟶")) } } }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        title,
        &format!("/{}", p.seg),
        body,
    )
}

pub fn doc_table(lang: Lang, docs: &[Document], cps: &HashMap<i64, String>) -> Markup {
    html! {
        @if docs.is_empty() { div.card.muted { (lang.t("Документов нет.", "No documents.")) } } @else {
            table.list {
                tr { th { "№" } th { (lang.t("Дата", "Date")) } th { (lang.t("Вид", "Kind")) } th { (lang.t("Контрагент", "Counterparty")) } th.num { (lang.t("Сумма", "Amount")) } th { (lang.t("Состояние", "State")) } }
                @for d in docs {
                    tr {
                        td { a href=(doc_href(&d.kind, d.id)) { (d.number) } }
                        td { (date_ru(&d.date)) }
                        td { (DocKind::parse(&d.kind).map(|k| k.label(lang.ru())).unwrap_or("")) }
                        td { @if let Some(c) = d.counterparty_id { a href=(format!("/counterparties/{c}")) { (cps.get(&c).cloned().unwrap_or_default()) } } }
                        (money_td(d.amount))
                        td { (state_tag(lang, &d.state)) }
                    }
                }
            }
        }
    }
}

#[derive(serde::Deserialize, Default)]
struct NewQuery {
    counterparty_id: Option<String>,
    replacement_for_id: Option<String>,
    /// The shipment (receipt) to return, by number or id: its lines come
    /// prefilled, each linked to the line it reverses.
    base_id: Option<String>,
}

/// A select of `items` with an empty first choice labelled `empty`.
pub(crate) fn select(name: &str, items: &[(i64, String)], selected: &str, empty: &str) -> Markup {
    html! {
        select name=(name) {
            option value="" { (empty) }
            @for (id, label) in items { option value=(id) selected[id.to_string() == selected] { (label) } }
        }
    }
}

/// The document form; after a refusal, with everything typed and each
/// message at its field or row (`refusal`).
async fn form_page(
    p: KindPage,
    ui: &UiActor,
    s: &AppState,
    values: &Values,
    refusal: &Refusal,
    edit: Option<i64>,
) -> Response {
    let lang = current_lang();
    let action = match edit {
        Some(id) => format!("/{}/{id}", p.seg),
        None => format!("/{}", p.seg),
    };
    let cps = opts(
        &names(
            &s.app,
            "SELECT id, name FROM counterparties WHERE archived = 0 LIMIT 5000",
        )
        .await,
    );
    let whs = opts(&names(&s.app, "SELECT id, name FROM warehouses WHERE archived = 0").await);
    let products = names(
        &s.app,
        "SELECT id, sku || ' — ' || name AS name FROM products WHERE archived = 0 LIMIT 5000",
    )
    .await;
    // References arrive as ids (from the API's ways, a prefill) or numbers
    // (typed); the form shows numbers.
    let refs = ["order_id", "base_id", "replacement_for_id"];
    let ids: Vec<i64> = refs
        .iter()
        .filter_map(|k| values.get(*k).and_then(|v| v.trim().parse().ok()))
        .collect();
    let nums = super::pick::numbers(&s.app, &ids).await;
    let v = |k: &str| {
        let raw = values.get(k).cloned().unwrap_or_default();
        if refs.contains(&k) {
            if let Some(n) = raw.trim().parse::<i64>().ok().and_then(|id| nums.get(&id)) {
                return n.clone();
            }
        }
        raw
    };
    // Sales lines are priced by the discount rules; the author may only ask
    // for a special discount within their limit.
    let by_rules = matches!(p.kind, DocKind::SalesOrder | DocKind::Shipment);
    let serials = matches!(
        p.kind,
        DocKind::Shipment | DocKind::Return | DocKind::Receipt | DocKind::SupplierReturn
    );
    let placed = |f: &str| {
        f.starts_with("lines[")
            || [
                "counterparty_id",
                "warehouse_id",
                "date",
                "order_id",
                "base_id",
                "replacement_for_id",
                "comment",
            ]
            .contains(&f)
    };
    let at = |f: &str| refusal.at(lang, f);
    let body = html! {
        p { a href=(format!("/{}", p.seg)) { "← " (lang.t(p.title.0, p.title.1)) } }
        h1 { (p.kind.label(lang.ru())) ": " @if edit.is_some() { (lang.t("черновик", "draft")) } @else { (lang.t("новый документ", "new document")) } }
        (refusal.summary(lang, &placed))
        @if by_rules && edit.is_none() {
            p { (button_form(&format!("/walk-in-sale/{}", p.seg), &ui.csrf, lang.t("Продажа розничному покупателю", "Sale to a walk-in buyer"), "btn light")) " " span.muted { (lang.t("без карточки клиента; имя и телефон — ниже, для гарантии", "no client card needed; name and phone below, for warranty")) } }
        }
        form #doc-form method="post" action=(action) {
            input type="hidden" name="csrf" value=(ui.csrf);
            div.card {
                dl.props {
                    dt { (lang.t("Контрагент *", "Counterparty *")) } dd { (select("counterparty_id", &cps, &v("counterparty_id"), "—")) (at("counterparty_id")) }
                    dt { (lang.t("Склад", "Warehouse")) } dd { (select("warehouse_id", &whs, &v("warehouse_id"), "—")) (at("warehouse_id")) }
                    dt { (lang.t("Дата", "Date")) } dd { input type="date" name="date" value=(v("date")); (at("date")) }
                    @if let Some(base) = p.kind.base_kind() { dt { (lang.t("Документ-основание *", "Base document *")) } dd { (super::pick::doc_input(lang, "base_id", &[base], &v("base_id"))) (at("base_id")) } }
                    @if let Some(order) = p.kind.order_kind() { dt { (lang.t("Заказ", "Order")) } dd { (super::pick::doc_input(lang, "order_id", &[order], &v("order_id"))) (at("order_id")) } }
                    @if p.kind == DocKind::Return { dt { (lang.t("Требуется замена", "Replacement required")) } dd { input type="checkbox" name="replacement_required" value="true" checked[v("replacement_required") == "true"]; } }
                    @if p.kind == DocKind::Return { dt { (lang.t("Сдают в ремонт?", "Handed in for repair?")) } dd.muted { (lang.t("Это не возврат: изделие остаётся клиента, без кредита — ", "That is not a return: the unit stays the customer's, no credit — ")) a href="/repairs" { (lang.t("принять в ремонт", "take in for repair")) } } }
                    @if p.kind == DocKind::Shipment { dt { (lang.t("Замена по возврату", "Replaces return")) } dd { (super::pick::doc_input(lang, "replacement_for_id", &[DocKind::Return], &v("replacement_for_id"))) (at("replacement_for_id")) } }
                    @if p.kind == DocKind::Shipment && !v("replacement_for_id").is_empty() { (super::replacement::form_fields(lang, &v("replacement_pricing"), &v("replacement_reason"))) }
                    @if matches!(p.kind, DocKind::SalesOrder | DocKind::Shipment | DocKind::Return) {
                        // Only on the walk-in buyer's documents (refused otherwise).
                        dt { (lang.t("Покупатель (для гарантии)", "Buyer (for warranty)")) }
                        dd { input type="text" name="buyer_name" value=(v("buyer_name")) placeholder=(lang.t("имя", "name")); " " input type="tel" name="buyer_phone" value=(v("buyer_phone")) placeholder=(lang.t("телефон", "phone")); " " span.muted { (lang.t("только для «Розничного покупателя»", "walk-in buyer only")) } (at("buyer_name")) (at("buyer_phone")) }
                    }
                    dt { (lang.t("Комментарий", "Comment")) } dd { input type="text" name="comment" value=(v("comment")) style="width:100%"; (at("comment")) }
                }
            }
            (at("lines"))
            (super::lines::editor(lang, p.kind, values, &products, serials, refusal))
            @if by_rules {
                p.muted { (lang.t("Цены — по типу цен клиента и правилам скидок на дату документа; спец. скидка — в пределах вашего лимита. ", "Prices follow the client's price type and the discount rules on the document's date; a special discount must be within your limit. ")) a href="/pricing/try" { (lang.t("Подобрать цены", "Try prices")) } }
            }
            p { button.btn type="submit" { (lang.t("Сохранить черновик", "Save draft")) } }
        }
    };
    let mut resp = page(
        lang,
        &ui.actor,
        &ui.csrf,
        p.kind.label(lang.ru()),
        &format!("/{}", p.seg),
        body,
    );
    if !refusal.is_empty() {
        *resp.status_mut() = refusal.status;
    }
    resp
}

async fn new_form(
    p: KindPage,
    ui: UiActor,
    State(s): State<AppState>,
    Query(q): Query<NewQuery>,
) -> Response {
    let mut v = Values::new();
    v.insert("date".into(), kupets_app::today().to_string());
    if let Some(c) = q.counterparty_id {
        v.insert("counterparty_id".into(), c);
    }
    if let (Some(b), Some(base_kind)) = (q.base_id, p.kind.base_kind()) {
        if let Ok(Some(id)) = super::pick::resolve_doc(&s, "base_id", &[base_kind], &b).await {
            if let Ok(base) = s.app.get_trade_doc(&ui.actor, base_kind, id).await {
                if let Some(w) = base.document.warehouse_id {
                    v.insert("warehouse_id".into(), w.to_string());
                }
                for (i, l) in base.lines.iter().enumerate() {
                    v.insert(format!("l{i}_product"), l.product_id.to_string());
                    v.insert(format!("l{i}_qty"), kupets_domain::Qty(l.qty).to_api());
                    v.insert(format!("l{i}_base"), l.id.to_string());
                }
            }
            v.insert("base_id".into(), id.to_string());
        } else {
            v.insert("base_id".into(), b);
        }
    }
    if let Some(r) = q.replacement_for_id {
        // The replacement ships what was returned, from where it came back.
        super::replacement::prefill(&s, &ui, &r, &mut v).await;
        v.insert("replacement_for_id".into(), r);
    }
    form_page(p, &ui, &s, &v, &Refusal::none(), None).await
}

/// Opens a new sales order or shipment for the built-in walk-in buyer
/// («Розничный покупатель»), created on first use.
async fn walk_in_sale(
    ui: UiActor,
    State(s): State<AppState>,
    Path(seg): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    if !matches!(seg.as_str(), "sales-orders" | "shipments") {
        return not_found_page(lang);
    }
    match s.app.walk_in_buyer(&ui.actor).await {
        Ok(id) => Redirect::to(&format!("/{seg}/new?counterparty_id={id}")).into_response(),
        Err(e) => error_page(lang, &e),
    }
}

fn input_from(f: &Values) -> TradeDocInput {
    let g = |k: &str| f.get(k).cloned().filter(|v| !v.trim().is_empty());
    let lines = (0..MAX_ROWS)
        .filter(|i| g(&format!("l{i}_product")).is_some() || g(&format!("l{i}_qty")).is_some())
        .map(|i| LineInput {
            product_id: g(&format!("l{i}_product")),
            qty: g(&format!("l{i}_qty")),
            price: g(&format!("l{i}_price")),
            special_discount: g(&format!("l{i}_special")),
            serials: split_serials(&g(&format!("l{i}_serials")).unwrap_or_default()),
            order_line_id: g(&format!("l{i}_line")),
            base_line_id: g(&format!("l{i}_base")),
        })
        .collect();
    TradeDocInput {
        counterparty_id: g("counterparty_id"),
        warehouse_id: g("warehouse_id"),
        date: g("date"),
        order_id: g("order_id"),
        base_id: g("base_id"),
        replacement_required: g("replacement_required"),
        replacement_for_id: g("replacement_for_id"),
        replacement_pricing: g("replacement_pricing"),
        replacement_reason: g("replacement_reason"),
        // Returns no longer send units to repair (a repair order does).
        to_repair: None,
        comment: g("comment"),
        buyer_name: g("buyer_name"),
        buyer_phone: g("buyer_phone"),
        responsible_id: None,
        lines,
    }
}

async fn create(
    p: KindPage,
    ui: UiActor,
    State(s): State<AppState>,
    Form(f): Form<Values>,
) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let (g, res) = resolved(p, &s, &f).await;
    let res = match res {
        Ok(input) => s.app.create_trade_doc(&ui.actor, p.kind, &input).await,
        Err(e) => Err(e),
    };
    match res {
        Ok(d) => Redirect::to(&format!("/{}/{}", p.seg, d.document.id)).into_response(),
        Err(e) => refused(p, &ui, &s, &g, &e, None).await,
    }
}

/// Any refusal of a document form (validation, conflict, rights) shows the
/// form again with what was typed; rows renumbered as the app counted them.
async fn refused(
    p: KindPage,
    ui: &UiActor,
    s: &AppState,
    f: &Values,
    e: &AppError,
    edit: Option<i64>,
) -> Response {
    let lang = current_lang();
    form_page(
        p,
        ui,
        s,
        &super::lines::compact(f),
        &Refusal::of(lang, e),
        edit,
    )
    .await
}

/// The form (rows renumbered) with documents named by number and products by
/// SKU or name resolved to ids, and its input; what cannot be resolved is a
/// field error.
async fn resolved(
    p: KindPage,
    s: &AppState,
    f: &Values,
) -> (Values, Result<TradeDocInput, AppError>) {
    let mut f = super::lines::compact(f);
    let mut errs = Vec::new();
    let refs = [
        ("order_id", p.kind.order_kind()),
        ("base_id", p.kind.base_kind()),
        ("replacement_for_id", Some(DocKind::Return)),
    ];
    for (field, kind) in refs {
        let (Some(kind), Some(text)) = (kind, f.get(field).cloned()) else {
            continue;
        };
        match super::pick::resolve_doc(s, field, &[kind], &text).await {
            Ok(Some(id)) => {
                f.insert(field.into(), id.to_string());
            }
            Ok(None) => {}
            Err(e) => errs.push(e),
        }
    }
    for i in super::lines::filled_rows(&f) {
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
    let input = if errs.is_empty() {
        Ok(input_from(&f))
    } else {
        Err(AppError::Validation(errs))
    };
    (f, input)
}

/// A draft's values as its form shows them.
async fn values_of_doc(s: &AppState, doc: &kupets_app::trade::TradeDoc) -> Values {
    let d = &doc.document;
    let mut v = Values::new();
    let opt = |x: Option<i64>| x.map(|x| x.to_string()).unwrap_or_default();
    v.insert("counterparty_id".into(), opt(d.counterparty_id));
    v.insert("warehouse_id".into(), opt(d.warehouse_id));
    v.insert("date".into(), d.date.clone());
    v.insert("order_id".into(), opt(d.order_id));
    v.insert("base_id".into(), opt(d.base_id));
    v.insert("replacement_for_id".into(), opt(d.replacement_for_id));
    if let Ok(Some(r)) = s.app.replacement_info(d.id).await {
        v.insert("replacement_pricing".into(), r.pricing);
        v.insert("replacement_reason".into(), r.reason);
    }
    v.insert("comment".into(), d.comment.clone());
    v.insert("buyer_name".into(), d.buyer_name.clone());
    v.insert("buyer_phone".into(), d.buyer_phone.clone());
    if d.replacement_required {
        v.insert("replacement_required".into(), "true".into());
    }
    let serials: Vec<(i64, String)> = s
        .app
        .store
        .read_rows(
            "SELECT lu.line_id AS line, u.serial FROM line_units lu JOIN document_lines l ON l.id = lu.line_id JOIN units u ON u.id = lu.unit_id WHERE l.document_id = $1 ORDER BY u.id".into(),
            vec![kupets_store::queries::P::from(d.id)],
            |r| (r.int("line"), r.text("serial")),
        )
        .await
        .unwrap_or_default();
    let by_rules = matches!(
        DocKind::parse(&d.kind),
        Some(DocKind::SalesOrder | DocKind::Shipment)
    );
    for (i, l) in doc.lines.iter().enumerate() {
        v.insert(format!("l{i}_product"), l.product_id.to_string());
        v.insert(format!("l{i}_qty"), kupets_domain::Qty(l.qty).to_api());
        if by_rules {
            if l.special_pct > 0 {
                v.insert(
                    format!("l{i}_special"),
                    kupets_domain::Percent(l.special_pct).to_api(),
                );
            }
        } else {
            v.insert(format!("l{i}_price"), Money(l.price).to_api());
        }
        if let Some(b) = l.base_line_id {
            // A return's line names its base line; a shipment's, its order line.
            if DocKind::parse(&d.kind).is_some_and(|k| k.base_kind().is_some()) {
                v.insert(format!("l{i}_base"), b.to_string());
            } else {
                v.insert(format!("l{i}_line"), b.to_string());
            }
        }
        let sn: Vec<&str> = serials
            .iter()
            .filter(|x| x.0 == l.id)
            .map(|x| x.1.as_str())
            .collect();
        if !sn.is_empty() {
            v.insert(format!("l{i}_serials"), sn.join(" "));
        }
    }
    v
}

async fn edit_form(
    p: KindPage,
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let lang = current_lang();
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(lang);
    };
    let doc = match s.app.get_trade_doc(&ui.actor, p.kind, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, &e),
    };
    if doc.document.state != "draft" {
        return Redirect::to(&format!("/{}/{id}", p.seg)).into_response();
    }
    let v = values_of_doc(&s, &doc).await;
    form_page(p, &ui, &s, &v, &Refusal::none(), Some(id)).await
}

async fn update(
    p: KindPage,
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
    let (g, res) = resolved(p, &s, &f).await;
    let res = match res {
        Ok(input) => s.app.update_trade_doc(&ui.actor, p.kind, id, &input).await,
        Err(e) => Err(e),
    };
    match res {
        Ok(_) => Redirect::to(&format!("/{}/{id}", p.seg)).into_response(),
        Err(e) => refused(p, &ui, &s, &g, &e, Some(id)).await,
    }
}

fn lines_table(
    lang: Lang,
    lines: &[DocLine],
    progress: Option<&[(String, String)]>,
    refusal: &Refusal,
) -> Markup {
    let priced = lines.iter().any(|l| l.retail_price.is_some());
    html! {
        div.scroll { table.list {
            tr {
                th { "№" } th { (lang.t("Товар", "Product")) } th.num { (lang.t("Кол-во", "Qty")) }
                @if priced { th.num { (lang.t("Розничная цена", "Retail price")) } th.num { (lang.t("Скидка от розничной", "Discount vs retail")) } }
                th.num { (lang.t("Цена", "Price")) } th.num { (lang.t("Сумма", "Amount")) } th.num { (lang.t("НДС", "VAT")) }
                @if progress.is_some() { th.num { (lang.t("Исполнено", "Fulfilled")) } th.num { (lang.t("Осталось", "Remaining")) } }
                th { "id" }
            }
            @for (i, l) in lines.iter().enumerate() {
                tr.bad[refusal.row_has("lines", i)] {
                    td { (l.line_no) } td { (l.product_name) " " span.muted { (l.sku) } (refusal.row(lang, "lines", i)) } td.num { (super::lines::qty_ru(lang, kupets_domain::Qty(l.qty))) " " (l.unit) }
                    @if priced {
                        @if let Some(r) = l.retail_price {
                            (money_td(r))
                            td.num {
                                (Money(l.discount.unwrap_or(0)).to_ru()) br;
                                span.muted { (kupets_domain::Percent(l.discount_pct.unwrap_or(0)).to_api().replace('.', ",")) " %" }
                                (super::pricing::explain(lang, l))
                            }
                        } @else { td {} td {} }
                    }
                    (money_td(l.price)) (money_td(l.amount)) td.num { (Money(l.vat).to_ru()) " " span.muted { "(" (kupets_domain::VatRate::parse(&l.vat_rate).map(|v| v.label_ru()).unwrap_or("")) ")" } }
                    @if let Some(pr) = progress { td.num { (pr[i].0) } td.num { (pr[i].1) @if l.closed_qty > 0 { br; span.muted { (lang.t("закрыто: ", "closed: ")) (l.close_reason) } } } }
                    td.muted { (l.id) }
                }
            }
        } }
    }
}

async fn show(
    p: KindPage,
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(current_lang());
    };
    show_page(p, &ui, &s, id, &Refusal::none()).await
}

/// A document's page; after a refused action (posting without stock, …)
/// with the refusal on top and at the lines it names.
async fn show_page(
    p: KindPage,
    ui: &UiActor,
    s: &AppState,
    id: i64,
    refusal: &Refusal,
) -> Response {
    let lang = current_lang();
    let res = async {
        let doc = s.app.get_trade_doc(&ui.actor, p.kind, id).await?;
        let view = if p.kind.is_order() {
            Some(s.app.order_view(&ui.actor, p.kind, id).await?)
        } else {
            None
        };
        Ok::<_, AppError>((doc, view))
    };
    let (doc, view) = match res.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let d = &doc.document;
    let cps = names(&s.app, "SELECT id, name FROM counterparties").await;
    let whs = names(&s.app, "SELECT id, name FROM warehouses").await;
    let statuses = super::status::status_block(lang, ui, &s.app, id, p.kind, refusal).await;
    // A return owed a replacement links to the shipment that replaced it.
    let replacement: Option<(i64, String)> = if d.replacement_required {
        s.app
            .store
            .read_rows(
                "SELECT id, number FROM documents WHERE replacement_for_id = $1 AND kind = 'shipment' AND state = 'posted' ORDER BY id LIMIT 1".into(),
                vec![kupets_store::queries::P::from(d.id)],
                |r| (r.int("id"), r.text("number")),
            )
            .await
            .ok()
            .and_then(|v| v.into_iter().next())
    } else {
        None
    };
    let replacement_of = if d.replacement_for_id.is_some() {
        s.app.replacement_info(d.id).await.ok().flatten()
    } else {
        None
    };
    let progress: Option<Vec<(String, String)>> = view.as_ref().map(|v| {
        v.lines
            .iter()
            .map(|l| (l.shipped.clone(), l.remaining.clone()))
            .collect()
    });
    let can = ui.actor.can(if p.kind == DocKind::SalesOrder {
        Right::Sell
    } else {
        Right::MoveStock
    });
    // Documents this one rests on, shown by number.
    let refs: Vec<i64> = [d.order_id, d.base_id, d.replacement_for_id]
        .into_iter()
        .flatten()
        .collect();
    let nums = super::pick::numbers(&s.app, &refs).await;
    let num = |id: i64| nums.get(&id).cloned().unwrap_or_else(|| id.to_string());
    // The next steps: an order is shipped, paid, returned; a shipment returned.
    let cp = d.counterparty_id.unwrap_or(0);
    let last_shipment: Option<String> = if p.kind == DocKind::SalesOrder && d.state == "posted" {
        s.app
            .store
            .read_rows(
                "SELECT number FROM documents WHERE order_id = $1 AND kind = 'shipment' AND state = 'posted' ORDER BY id DESC LIMIT 1".into(),
                vec![kupets_store::queries::P::from(d.id)],
                |r| r.text("number"),
            )
            .await
            .ok()
            .and_then(|v| v.into_iter().next())
    } else {
        None
    };
    let unpaid = view.as_ref().map_or(0, |v| {
        d.amount - Money::parse(&v.paid_amount).unwrap_or_default().0
    });
    let placed = |f: &str| f.starts_with("lines[");
    let body = html! {
        p { a href=(format!("/{}", p.seg)) { "← " (lang.t(p.title.0, p.title.1)) } }
        h1 { (p.kind.label(lang.ru())) " " (d.number) " " (lang.t("от", "of")) " " (date_ru(&d.date)) " " (state_tag(lang, &d.state)) }
        (refusal.summary(lang, &placed))
        div.card {
            dl.props {
                dt { (lang.t("Контрагент", "Counterparty")) } dd { @if let Some(c) = d.counterparty_id { a href=(format!("/counterparties/{c}")) { (cps.get(&c).cloned().unwrap_or_default()) } } }
                @if let Some(w) = d.warehouse_id { dt { (lang.t("Склад", "Warehouse")) } dd { (whs.get(&w).cloned().unwrap_or_default()) } }
                @if let Some(o) = d.order_id { dt { (lang.t("Заказ", "Order")) } dd { a href=(format!("/{}/{o}", if p.kind == DocKind::Receipt { "purchase-orders" } else { "sales-orders" })) { (num(o)) } } }
                @if let Some(b) = d.base_id { dt { (lang.t("Основание", "Base document")) } dd { a href=(format!("/{}/{b}", if p.kind == DocKind::Return { "shipments" } else { "receipts" })) { (num(b)) } } }
                @if d.replacement_required { dt { (lang.t("Замена", "Replacement")) } dd { b { (lang.t("требуется", "required")) } " "
                    @if let Some((sid, snum)) = &replacement { a href=(format!("/shipments/{sid}")) { (lang.t("отгружена: ", "shipped: ")) (snum) } }
                    @else if d.state == "posted" { a.btn.light href=(format!("/shipments/new?counterparty_id={}&replacement_for_id={}", d.counterparty_id.unwrap_or(0), d.id)) { (lang.t("Отгрузить замену", "Ship the replacement")) } } } }
                @if let Some(r) = d.replacement_for_id { dt { (lang.t("Замена по возврату", "Replaces return")) } dd { a href=(format!("/returns/{r}")) { (num(r)) } } }
                @if let Some(r) = &replacement_of { (super::replacement::card_rows(lang, r)) }
                dt { (lang.t("Сумма", "Total")) } dd { b { (Money(d.amount).to_ru()) } }
                @if let Some(v) = &view {
                    dt { (lang.t("Исполнено на сумму", "Fulfilled for")) } dd { (Money::parse(&v.shipped_amount).unwrap_or_default().to_ru()) " · " (shipment_label(lang, &v.shipment_state)) }
                    dt { (lang.t("Оплачено", "Paid")) } dd { (Money::parse(&v.paid_amount).unwrap_or_default().to_ru()) " · " (payment_label(lang, &v.payment_state)) }
                }
                @if !d.buyer_name.is_empty() || !d.buyer_phone.is_empty() {
                    dt { (lang.t("Покупатель", "Buyer")) } dd { (d.buyer_name) @if !d.buyer_phone.is_empty() { @if !d.buyer_name.is_empty() { ", " } (lang.t("тел. ", "phone ")) (d.buyer_phone) } }
                }
                @if !d.comment.is_empty() { dt { (lang.t("Комментарий", "Comment")) } dd { (d.comment) } }
                @if let Some(r) = &d.cancel_reason { dt { (lang.t("Причина отмены", "Cancel reason")) } dd { (r) } }
            }
        }
        (lines_table(lang, &doc.lines, progress.as_deref(), refusal))
        (super::paperwork::doc_block(lang, ui, &s.app, p.kind, d, refusal).await)
        @if let (Some(v), true) = (&view, d.state == "posted" && can) {
            @for l in v.lines.iter().filter(|l| l.remaining != "0") {
                @let close = format!("/{}/{}/lines/{}/close", p.seg, d.id, l.line.id);
                form method="post" action=(close) style="display:flex;gap:8px;margin-top:8px;align-items:center" {
                    input type="hidden" name="csrf" value=(ui.csrf);
                    span { (lang.t("Закрыть остаток строки", "Close the remainder of line")) " " (l.line.line_no) " (" (l.remaining) "):" }
                    input type="text" name="reason" value=(refusal.value(&close, "reason", "")) placeholder=(lang.t("Причина", "Reason")) required style="flex:1";
                    button.btn.light type="submit" { (lang.t("Закрыть остаток", "Close remainder")) }
                }
                (refusal.at_form(lang, &close, "reason"))
            }
        }
        div.toolbar style="margin-top:14px" {
            a.btn.light href=(format!("/{}/{}/print", p.seg, d.id)) { (lang.t("Печатная форма", "Printable form")) }
            @if d.state == "draft" && can { a.btn.light href=(format!("/{}/{}/edit", p.seg, d.id)) { (lang.t("Изменить черновик", "Edit the draft")) } }
            @if d.state == "draft" && can {
                @if p.kind == DocKind::Shipment && ui.actor.can(Right::OverrideCreditLimit) {
                    form.inline method="post" action=(format!("/{}/{}/post", p.seg, d.id)) {
                        input type="hidden" name="csrf" value=(ui.csrf);
                        input type="text" name="override_reason" size="28" placeholder=(lang.t("Причина превышения лимита (если нужно)", "Reason to exceed the credit limit (if needed)"));
                        " "
                        button.btn type="submit" { (lang.t("Провести", "Post")) }
                    }
                } @else {
                    (button_form(&format!("/{}/{}/post", p.seg, d.id), &ui.csrf, lang.t("Провести", "Post"), "btn"))
                }
            }
            @if d.state == "posted" && p.kind.is_order() && can && view.as_ref().is_some_and(|v| v.lines.iter().any(|l| l.remaining != "0")) {
                a.btn href=(format!("/{}/{}/fulfil", p.seg, d.id)) { @if p.kind == DocKind::SalesOrder { (lang.t("Отгрузить", "Ship")) } @else { (lang.t("Принять", "Receive")) } }
            }
            @if d.state == "posted" && p.kind == DocKind::SalesOrder && unpaid > 0 && ui.actor.can(Right::PostSettlements) {
                a.btn href=(format!("/payments/new{}", query(&[("counterparty_id", &cp.to_string()), ("order_id", &d.number), ("amount", &Money(unpaid).to_api())]))) { (lang.t("Оплатить", "Pay")) }
            }
            @if let (Some(sh), true) = (&last_shipment, ui.actor.can(Right::MoveStock)) {
                a.btn.light href=(format!("/returns/new{}", query(&[("counterparty_id", &cp.to_string()), ("base_id", sh)]))) { (lang.t("Вернуть", "Return")) }
            }
            @if d.state == "posted" && p.kind == DocKind::Shipment && ui.actor.can(Right::MoveStock) {
                a.btn.light href=(format!("/returns/new{}", query(&[("counterparty_id", &cp.to_string()), ("base_id", &d.number)]))) { (lang.t("Возврат", "Return")) }
            }
        }
        @if d.state == "posted" && ui.actor.can(Right::CancelDocuments) {
            form method="post" action=(format!("/{}/{}/cancel", p.seg, d.id)) style="display:flex;gap:8px;margin-top:10px" {
                input type="hidden" name="csrf" value=(ui.csrf);
                input type="text" name="reason" value=(refusal.typed.get("reason").filter(|_| refusal.form.is_empty() || refusal.form.ends_with("/cancel")).cloned().unwrap_or_default()) placeholder=(lang.t("Причина отмены", "Reason")) required style="flex:1";
                button.btn.danger type="submit" data-confirm=(lang.t("Отменить проведённый документ? Это нельзя вернуть.", "Cancel the posted document? This cannot be undone.")) { (lang.t("Отменить проведение", "Cancel document")) }
            }
        }
        (statuses)
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        &d.number,
        &format!("/{}", p.seg),
        body,
    )
}

/// A document's page after a refused form sent from it (an invoice, a
/// letter to the client): the page with the refusal on top.
pub(crate) async fn show_refused(
    kind: DocKind,
    ui: &UiActor,
    s: &AppState,
    id: i64,
    refusal: &Refusal,
) -> Response {
    let Some(p) = page_of(kind) else {
        return not_found_page(current_lang());
    };
    let r = show_page(p, ui, s, id, refusal).await;
    if r.status().is_success() {
        refusal.apply(r)
    } else {
        r
    }
}

fn shipment_label(lang: Lang, s: &kupets_domain::trade::ShipmentState) -> &'static str {
    use kupets_domain::trade::ShipmentState::*;
    match s {
        NotShipped => lang.t("не исполнен", "not fulfilled"),
        PartiallyShipped => lang.t("исполнен частично", "partly fulfilled"),
        Shipped => lang.t("исполнен", "fulfilled"),
    }
}

fn payment_label(lang: Lang, s: &kupets_domain::trade::PaymentState) -> &'static str {
    use kupets_domain::trade::PaymentState::*;
    match s {
        Unpaid => lang.t("не оплачен", "unpaid"),
        Prepaid => lang.t("предоплата", "prepaid"),
        PartiallyPaid => lang.t("оплачен частично", "partly paid"),
        Paid => lang.t("оплачен", "paid"),
    }
}

async fn act(
    p: KindPage,
    what: &'static str,
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
    let res = match what {
        "post" => s
            .app
            .post_trade_doc_with(
                &ui.actor,
                p.kind,
                id,
                &kupets_app::trade::PostInput {
                    override_reason: f.get("override_reason").cloned(),
                },
            )
            .await
            .map(|_| format!("/{}/{id}", p.seg)),
        _ => s
            .app
            .cancel_document(
                &ui.actor,
                p.kind,
                id,
                &CancelInput {
                    reason: f.get("reason").cloned(),
                },
            )
            .await
            .map(|_| format!("/{}/{id}", p.seg)),
    };
    match res {
        Ok(to) => Redirect::to(&to).into_response(),
        // The document again, with the refusal where it applies.
        Err(
            e @ (AppError::Validation(_) | AppError::Conflict { .. } | AppError::Forbidden { .. }),
        ) => {
            let action = format!("/{}/{id}/{what}", p.seg);
            let mut r = show_page(p, &ui, &s, id, &Refusal::of_form(lang, &e, &action, &f)).await;
            if r.status().is_success() {
                *r.status_mut() = crate::error::status_of(&e);
            }
            r
        }
        Err(e) => error_page(lang, &e),
    }
}

async fn payments(
    ui: UiActor,
    State(s): State<AppState>,
    Query(q): Query<DocListParams>,
) -> Response {
    let lang = current_lang();
    let out = q.direction.as_deref() == Some("out");
    let kind = if out {
        DocKind::PaymentOut
    } else {
        DocKind::PaymentIn
    };
    let pg = match async { s.app.list_documents(&ui.actor, kind, &q.filter()?).await }.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let cps = names(&s.app, "SELECT id, name FROM counterparties").await;
    let body = html! {
        h1 { (lang.t("Платежи", "Payments")) }
        div.toolbar {
            @if ui.actor.can(Right::PostSettlements) { a.btn href="/payments/new" { "+ " (lang.t("Новый платёж", "New payment")) } }
            a.btn.light href="/payments" { (lang.t("Входящие", "Incoming")) } a.btn.light href="/payments?direction=out" { (lang.t("Исходящие", "Outgoing")) }
            a.btn.light href=(format!("/payments/export.xlsx{}", query(&[("direction", if out { "out" } else { "" }), ("state", q.state.as_deref().unwrap_or("")), ("counterparty_id", q.counterparty_id.as_deref().unwrap_or(""))]))) { (lang.t("Скачать XLSX", "Download XLSX")) }
        }
        (doc_table(lang, &pg.items, &cps))
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Платежи", "Payments"),
        "/payments",
        body,
    )
}

async fn payment_form(ui: &UiActor, s: &AppState, v: &Values, refusal: &Refusal) -> Response {
    let lang = current_lang();
    let cps = opts(
        &names(
            &s.app,
            "SELECT id, name FROM counterparties WHERE archived = 0 LIMIT 5000",
        )
        .await,
    );
    let ids: Vec<i64> = ["order_id", "invoice_id"]
        .iter()
        .filter_map(|k| v.get(*k).and_then(|x| x.trim().parse().ok()))
        .collect();
    let nums = super::pick::numbers(&s.app, &ids).await;
    let g = |k: &str| {
        let raw = v.get(k).cloned().unwrap_or_default();
        match raw.trim().parse::<i64>().ok().and_then(|id| nums.get(&id)) {
            Some(n) if k.ends_with("_id") && k != "counterparty_id" => n.clone(),
            _ => raw,
        }
    };
    let placed = |f: &str| {
        [
            "direction",
            "counterparty_id",
            "date",
            "amount",
            "order_id",
            "invoice_id",
            "comment",
        ]
        .contains(&f)
    };
    let at = |f: &str| refusal.at(lang, f);
    let body = html! {
        p { a href="/payments" { "← " (lang.t("Платежи", "Payments")) } }
        h1 { (lang.t("Новый платёж", "New payment")) }
        (refusal.summary(lang, &placed))
        div.card {
            form.grid method="post" action="/payments" {
                input type="hidden" name="csrf" value=(ui.csrf);
                label.l { (lang.t("Направление", "Direction")) } div.f { select name="direction" { option value="in" selected[g("direction") != "out"] { (lang.t("Входящий (от контрагента)", "Incoming (from the counterparty)")) } option value="out" selected[g("direction") == "out"] { (lang.t("Исходящий (возврат денег, оплата поставщику)", "Outgoing (refund, paying a supplier)")) } } (at("direction")) }
                label.l { (lang.t("Контрагент *", "Counterparty *")) } div.f { (select("counterparty_id", &cps, &g("counterparty_id"), "—")) (at("counterparty_id")) }
                label.l { (lang.t("Дата", "Date")) } div.f { input type="date" name="date" value=(g("date")); (at("date")) }
                label.l { (lang.t("Сумма, ₽ *", "Amount, ₽ *")) } div.f { input type="text" inputmode="decimal" name="amount" value=(g("amount")); (at("amount")) }
                label.l for="f_order_id" { (lang.t("Заказ", "Order")) } div.f { (super::pick::doc_input(lang, "order_id", &[DocKind::SalesOrder, DocKind::PurchaseOrder], &g("order_id"))) (at("order_id")) }
                label.l for="f_invoice_id" { (lang.t("Счёт на оплату", "Invoice")) } div.f { (super::pick::doc_input(lang, "invoice_id", &[DocKind::Invoice], &g("invoice_id"))) (at("invoice_id")) }
                label.l { (lang.t("Комментарий", "Comment")) } div.f { input type="text" name="comment" value=(g("comment")); (at("comment")) }
                div.actions { button.btn type="submit" { (lang.t("Сохранить черновик", "Save draft")) } }
            }
        }
    };
    let mut r = page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Платёж", "Payment"),
        "/payments",
        body,
    );
    if !refusal.is_empty() {
        *r.status_mut() = refusal.status;
    }
    r
}

async fn payment_new(
    ui: UiActor,
    State(s): State<AppState>,
    Query(prefill): Query<Values>,
) -> Response {
    let mut v = prefill;
    v.insert("date".into(), kupets_app::today().to_string());
    payment_form(&ui, &s, &v, &Refusal::none()).await
}

async fn payment_create(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    // Order and invoice are typed by number; the app takes ids.
    let mut g = f.clone();
    let mut errs = Vec::new();
    for (field, kinds) in [
        (
            "order_id",
            &[DocKind::SalesOrder, DocKind::PurchaseOrder][..],
        ),
        ("invoice_id", &[DocKind::Invoice][..]),
    ] {
        let text = g.get(field).cloned().unwrap_or_default();
        match super::pick::resolve_doc(&s, field, kinds, &text).await {
            Ok(Some(id)) => {
                g.insert(field.into(), id.to_string());
            }
            Ok(None) => {}
            Err(e) => errs.push(e),
        }
    }
    let res = if errs.is_empty() {
        let input: PaymentInput = super::forms::input_of(&g);
        s.app.create_payment(&ui.actor, &input).await
    } else {
        Err(AppError::Validation(errs))
    };
    match res {
        Ok(d) => Redirect::to(&format!("/payments/{}", d.id)).into_response(),
        Err(e) => payment_form(&ui, &s, &f, &Refusal::of(current_lang(), &e)).await,
    }
}

async fn payment_show(ui: UiActor, State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(current_lang());
    };
    payment_page(&ui, &s, id, &Refusal::none()).await
}

/// A payment's page; after a refused posting or cancelling, the page with
/// the reason kept and the message on top.
pub(crate) async fn payment_page(
    ui: &UiActor,
    s: &AppState,
    id: i64,
    refusal: &Refusal,
) -> Response {
    let lang = current_lang();
    let d = match async {
        s.app
            .get_document(&ui.actor, s.app.kind_of(id).await?, id)
            .await
    }
    .await
    {
        Ok(d) if d.kind.starts_with("payment") => d,
        Ok(_) => return not_found_page(lang),
        Err(e) => return error_page(lang, &e),
    };
    let cps = names(&s.app, "SELECT id, name FROM counterparties").await;
    let kind = DocKind::parse(&d.kind).unwrap_or(DocKind::PaymentIn);
    // The order and invoice, by number and kind (a payment may settle a
    // purchase order).
    let nums: HashMap<i64, (String, String)> = {
        let ids: Vec<i64> = [d.order_id, d.invoice_id].into_iter().flatten().collect();
        let mut out = HashMap::new();
        for id in ids {
            if let Ok(rows) = s
                .app
                .store
                .read_rows(
                    "SELECT number, kind FROM documents WHERE id = $1".into(),
                    vec![kupets_store::queries::P::from(id)],
                    |r| (r.text("number"), r.text("kind")),
                )
                .await
            {
                if let Some(r) = rows.into_iter().next() {
                    out.insert(id, r);
                }
            }
        }
        out
    };
    let statuses = super::status::status_block(lang, ui, &s.app, id, kind, refusal).await;
    let cancel = format!("/payments/{id}/cancel");
    let body = html! {
        p { a href="/payments" { "← " (lang.t("Платежи", "Payments")) } }
        h1 { (DocKind::parse(&d.kind).map(|k| k.label(lang.ru())).unwrap_or("")) " " (d.number) " " (lang.t("от", "of")) " " (date_ru(&d.date)) " " (state_tag(lang, &d.state)) }
        (refusal.summary(lang, &|_| false))
        div.card { dl.props {
            dt { (lang.t("Контрагент", "Counterparty")) } dd { @if let Some(c) = d.counterparty_id { a href=(format!("/counterparties/{c}")) { (cps.get(&c).cloned().unwrap_or_default()) } } }
            dt { (lang.t("Сумма", "Amount")) } dd { b { (Money(d.amount).to_ru()) } }
            @if let Some(o) = d.order_id { dt { (lang.t("Заказ", "Order")) } dd { a href=(doc_href(nums.get(&o).map_or("sales_order", |x| x.1.as_str()), o)) { (nums.get(&o).map_or(o.to_string(), |x| x.0.clone())) } } }
            @if let Some(i) = d.invoice_id { dt { (lang.t("Счёт на оплату", "Invoice")) } dd { a href=(format!("/invoices/{i}")) { (nums.get(&i).map_or(i.to_string(), |x| x.0.clone())) } } }
            @if !d.comment.is_empty() { dt { (lang.t("Комментарий", "Comment")) } dd { (d.comment) } }
        } }
        @if d.state == "draft" && ui.actor.can(Right::PostSettlements) { (button_form(&format!("/payments/{id}/post"), &ui.csrf, lang.t("Провести", "Post"), "btn")) }
        @if d.state == "posted" && ui.actor.can(Right::CancelDocuments) {
            form method="post" action=(cancel) style="display:flex;gap:8px;margin-top:10px" {
                input type="hidden" name="csrf" value=(ui.csrf);
                input type="text" name="reason" value=(refusal.value(&cancel, "reason", "")) placeholder=(lang.t("Причина отмены", "Reason")) required style="flex:1";
                button.btn.danger type="submit" data-confirm=(lang.t("Отменить проведённый документ? Это нельзя вернуть.", "Cancel the posted document? This cannot be undone.")) { (lang.t("Отменить проведение", "Cancel document")) }
            }
        }
        (statuses)
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        &d.number,
        "/payments",
        body,
    ))
}

async fn payment_act(
    what: &'static str,
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
    let res = async {
        let k = s.app.kind_of(id).await?;
        if what == "post" {
            s.app.post_trade_doc(&ui.actor, k, id).await
        } else {
            s.app
                .cancel_document(
                    &ui.actor,
                    k,
                    id,
                    &CancelInput {
                        reason: f.get("reason").cloned(),
                    },
                )
                .await
        }
    };
    match res.await {
        Ok(_) => Redirect::to(&format!("/payments/{id}")).into_response(),
        Err(e) => {
            let action = format!("/payments/{id}/{what}");
            payment_page(&ui, &s, id, &Refusal::of_form(lang, &e, &action, &f)).await
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct RepQuery {
    date: Option<String>,
    counterparty_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn parse_or(v: &Option<String>, d: chrono::NaiveDate) -> chrono::NaiveDate {
    v.as_deref()
        .and_then(kupets_app::input::parse_date)
        .unwrap_or(d)
}

async fn report_balances(
    ui: UiActor,
    State(s): State<AppState>,
    Query(q): Query<RepQuery>,
) -> Response {
    let lang = current_lang();
    let date = parse_or(&q.date, kupets_app::today());
    let r = match s.app.balances_report(&ui.actor, date).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, &e),
    };
    let m = |v: &str| Money::parse(v).unwrap_or_default().to_ru();
    let body = html! {
        h1 { (lang.t("Взаиморасчёты на ", "Balances on ")) (kupets_domain::money::date_ru(date)) }
        (report_nav(lang))
        form.toolbar method="get" { input type="date" name="date" value=(date.to_string()); button.btn.light type="submit" { (lang.t("Показать", "Show")) } a.btn.light href=(format!("/api/v1/reports/balances?date={date}&format=xlsx")) { (lang.t("Скачать XLSX", "Download XLSX")) } }
        table.list {
            tr { th { (lang.t("Контрагент", "Counterparty")) } th { (lang.t("ИНН", "INN")) } th.num { (lang.t("Нам должны", "Receivable")) } th.num { (lang.t("Мы должны", "Payable")) } th { } }
            @for row in &r.rows {
                tr {
                    td { a href=(format!("/counterparties/{}", row.counterparty_id)) { (row.name) } } td { (row.inn) }
                    td.num { @if row.receivable != "0.00" { (m(&row.receivable)) } } td.num { @if row.payable != "0.00" { (m(&row.payable)) } }
                    td { a href=(format!("/reports/reconciliation?counterparty_id={}&to={}", row.counterparty_id, date)) { (lang.t("акт сверки", "statement")) } }
                }
            }
            tr { th { (lang.t("Итого", "Total")) } th {} th.num { (m(&r.total_receivable)) } th.num { (m(&r.total_payable)) } th {} }
        }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Взаиморасчёты", "Balances"),
        "/reports/balances",
        body,
    )
}

fn report_nav(lang: Lang) -> Markup {
    html! { p { a href="/reports/balances" { (lang.t("Взаиморасчёты", "Balances")) } " · " a href="/reports/aging" { (lang.t("Старение задолженности", "Receivables aging")) } " · " a href="/reports/reconciliation" { (lang.t("Акт сверки", "Reconciliation")) } " · " a href="/reports/funnel" { (lang.t("Воронка продаж", "Sales funnel")) } } }
}

async fn report_aging(
    ui: UiActor,
    State(s): State<AppState>,
    Query(q): Query<RepQuery>,
) -> Response {
    let lang = current_lang();
    let date = parse_or(&q.date, kupets_app::today());
    let r = match s.app.aging_report(&ui.actor, date).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, &e),
    };
    let m = |v: &str| Money::parse(v).unwrap_or_default().to_ru();
    let body = html! {
        h1 { (lang.t("Старение дебиторской задолженности на ", "Receivables aging on ")) (kupets_domain::money::date_ru(date)) }
        (report_nav(lang))
        form.toolbar method="get" { input type="date" name="date" value=(date.to_string()); button.btn.light type="submit" { (lang.t("Показать", "Show")) } a.btn.light href=(format!("/api/v1/reports/aging?date={date}&format=xlsx")) { (lang.t("Скачать XLSX", "Download XLSX")) } }
        div.scroll { table.list {
            tr { th { (lang.t("Контрагент", "Counterparty")) } th.num { "0–30" } th.num { "31–60" } th.num { "61–90" } th.num { "90+" } th.num { (lang.t("Итого", "Total")) } th.num { (lang.t("Аванс", "Prepaid")) } }
            @for row in r.rows.iter().chain(std::iter::once(&r.totals)) {
                tr {
                    td { @if row.counterparty_id.is_empty() { b { (lang.t("Итого", "Total")) } } @else { a href=(format!("/counterparties/{}", row.counterparty_id)) { (row.name) } } }
                    td.num { (m(&row.d0_30)) } td.num { (m(&row.d31_60)) } td.num { (m(&row.d61_90)) } td.num { (m(&row.d90_plus)) } td.num { b { (m(&row.total)) } } td.num { (m(&row.unallocated_credit)) }
                }
            }
        } }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Старение задолженности", "Aging"),
        "/reports/aging",
        body,
    )
}

/// The reconciliation statement in the usual Russian form: two halves side
/// by side, ours filled, the counterparty's left blank; printable as is.
async fn report_reconciliation(
    ui: UiActor,
    State(s): State<AppState>,
    Query(q): Query<RepQuery>,
) -> Response {
    let lang = current_lang();
    let to = parse_or(&q.to, kupets_app::today());
    let from = parse_or(
        &q.from,
        chrono::NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to),
    );
    let cps = opts(&names(&s.app, "SELECT id, name FROM counterparties").await);
    let cp = q.counterparty_id.clone().unwrap_or_default();
    let picker = html! {
        form.toolbar method="get" {
            (select("counterparty_id", &cps, &cp, "—"))
            input type="date" name="from" value=(from.to_string()); input type="date" name="to" value=(to.to_string());
            button.btn.light type="submit" { (lang.t("Сформировать", "Build")) }
        }
    };
    let Ok(cp_id) = cp.parse::<i64>() else {
        let body = html! { h1 { (lang.t("Акт сверки", "Reconciliation statement")) } (report_nav(lang)) (picker) };
        return page(
            lang,
            &ui.actor,
            &ui.csrf,
            lang.t("Акт сверки", "Reconciliation"),
            "/reports/reconciliation",
            body,
        );
    };
    let r = match s.app.reconciliation(&ui.actor, cp_id, from, to).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, &e),
    };
    let m = |v: &str| {
        if v.is_empty() {
            String::new()
        } else {
            Money::parse(v).unwrap_or_default().to_ru()
        }
    };
    let (od, oc) = split(&r.opening);
    let (cd, cc) = split(&r.closing);
    let period = format!(
        "{} – {}",
        kupets_domain::money::date_ru(from),
        kupets_domain::money::date_ru(to)
    );
    let doc = html! {
        (maud::DOCTYPE)
        html lang="ru" { head { meta charset="utf-8"; title { "Акт сверки — " (r.counterparty) } style { (maud::PreEscaped(PRINT_CSS)) } }
        body {
            div.noprint { (picker.clone()) } p.noprint { a href=(format!("/counterparties/{cp_id}")) { "← kupets" } " · " a href="javascript:window.print()" { "Печать" } " · " a href=(format!("/api/v1/reports/reconciliation?counterparty_id={cp_id}&from={from}&to={to}&format=xlsx")) { "XLSX" } " · " a href=(format!("/counterparties/{cp_id}/reconciliation.pdf?from={from}&to={to}")) { "PDF" } }
            h2 { "Акт сверки взаимных расчетов за период " (period) " между " (r.our_company) " и " (r.counterparty) }
            table.recon {
                tr { th colspan="4" { "По данным " (r.our_company) ", руб." } th colspan="4" { "По данным " (r.counterparty) ", руб." } }
                tr { th { "Дата" } th { "Документ" } th { "Дебет" } th { "Кредит" } th { "Дата" } th { "Документ" } th { "Дебет" } th { "Кредит" } }
                tr { td colspan="2" { b { "Сальдо начальное" } } td.n { (m(&od)) } td.n { (m(&oc)) } td colspan="2" { b { "Сальдо начальное" } } td {} td {} }
                @for row in &r.rows {
                    tr { td { (date_ru(&row.date)) } td { (row.title) } td.n { (m(&row.debit)) } td.n { (m(&row.credit)) } td {} td {} td {} td {} }
                }
                tr { td colspan="2" { b { "Обороты за период" } } td.n { b { (m(&r.turnover_debit)) } } td.n { b { (m(&r.turnover_credit)) } } td colspan="2" { b { "Обороты за период" } } td {} td {} }
                tr { td colspan="2" { b { "Сальдо конечное" } } td.n { b { (m(&cd)) } } td.n { b { (m(&cc)) } } td colspan="2" { b { "Сальдо конечное" } } td {} td {} }
            }
            p { (r.conclusion) }
            table.sign { tr {
                td { "От " (r.our_company) br; br; "________________ (                    )" br; "М.П." }
                td { "От " (r.counterparty) br; br; "________________ (                    )" br; "М.П." }
            } }
        } }
    };
    Html(doc.into_string()).into_response()
}

/// A document's printable form, Russian as printed for a client: lines with
/// the retail price, the discount against it and the final price; totals,
/// VAT and the amount in words.
async fn print(
    p: KindPage,
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let lang = current_lang();
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(lang);
    };
    let res = async {
        let doc = s.app.get_trade_doc(&ui.actor, p.kind, id).await?;
        let cp = match doc.document.counterparty_id {
            Some(c) => Some(s.app.get_counterparty(&ui.actor, c).await?.counterparty),
            None => None,
        };
        Ok::<_, AppError>((doc, cp, s.app.company_name().await?))
    };
    let (doc, cp, ours) = match res.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let replacement_of = if doc.document.replacement_for_id.is_some() {
        s.app.replacement_info(id).await.ok().flatten()
    } else {
        None
    };
    let d = &doc.document;
    let priced = doc.lines.iter().any(|l| l.retail_price.is_some());
    let vat: i64 = doc.lines.iter().map(|l| l.vat).sum();
    let retail_total: i64 = doc
        .lines
        .iter()
        .filter_map(|l| {
            l.retail_price
                .map(|r| Money(r).times_qty(kupets_domain::Qty(l.qty)).0)
        })
        .sum();
    let (seller, buyer) = if matches!(
        p.kind,
        DocKind::Receipt | DocKind::PurchaseOrder | DocKind::Return
    ) {
        (
            cp.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
            ours.clone(),
        )
    } else {
        (
            ours.clone(),
            cp.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        )
    };
    let pct = |v: i64| format!("{} %", kupets_domain::Percent(v).to_api().replace('.', ","));
    let html = html! {
        (maud::DOCTYPE)
        html lang="ru" { head { meta charset="utf-8"; title { (p.kind.label(true)) " " (d.number) } style { (maud::PreEscaped(PRINT_CSS)) } }
        body {
            p.noprint { a href=(format!("/{}/{}", p.seg, d.id)) { "← kupets" } " · " a href="javascript:window.print()" { "Печать" } }
            h2 { (p.kind.label(true)) " № " (d.number) " от " (date_ru(&d.date)) @if d.state == "cancelled" { " (отменён)" } @else if d.state == "draft" { " (черновик)" } }
            @if let Some(r) = &replacement_of { p { b { (r.print_ru) } @if r.pricing == "free" { " — бесплатно" } } }
            p { "Поставщик: " b { (seller) } br; "Покупатель: " b { (buyer) }
                @if let Some(c) = &cp { @if !c.inn.is_empty() { ", ИНН " (c.inn) } @if !c.kpp.is_empty() { ", КПП " (c.kpp) } } }
            table.recon {
                tr {
                    th { "№" } th { "Товар" } th { "Кол-во" } th { "Ед." }
                    @if priced { th { "Розничная цена" } th { "Скидка от розничной, руб." } th { "Скидка, %" } }
                    th { "Цена" } th { "Сумма" } th { "Ставка НДС" } th { "НДС" }
                }
                @for l in &doc.lines {
                    tr {
                        td { (l.line_no) } td { (l.product_name) } td.n { (kupets_domain::Qty(l.qty).to_api().replace('.', ",")) } td { (l.unit) }
                        @if priced {
                            @if let Some(r) = l.retail_price {
                                td.n { (Money(r).to_ru()) } td.n { (Money(l.discount.unwrap_or(0)).to_ru()) } td.n { (pct(l.discount_pct.unwrap_or(0))) }
                            } @else { td {} td {} td {} }
                        }
                        td.n { (Money(l.price).to_ru()) } td.n { (Money(l.amount).to_ru()) }
                        td { (kupets_domain::VatRate::parse(&l.vat_rate).map(|v| v.label_ru()).unwrap_or("")) } td.n { (Money(l.vat).to_ru()) }
                    }
                }
            }
            p style="text-align:right" {
                @if priced { "По розничным ценам: " (Money(retail_total).to_ru()) br; "Скидка: " (Money(retail_total - d.amount).to_ru()) br; }
                b { "Итого: " (Money(d.amount).to_ru()) } br;
                "В том числе НДС: " (Money(vat).to_ru())
            }
            p { "Всего наименований " (doc.lines.len()) ", на сумму " (Money(d.amount).to_ru()) br; b { (capitalized(&kupets_domain::words::rubles(d.amount))) } }
            table.sign { tr {
                td { "Отпустил ________________" }
                td { "Получил ________________" }
            } }
        } }
    };
    Html(html.into_string()).into_response()
}

/// «двадцать…» → «Двадцать…», as a sum in words opens a sentence.
fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A signed balance as (debit, credit) strings for the statement.
fn split(v: &str) -> (String, String) {
    let x = Money::parse(v).unwrap_or_default();
    if x.0 > 0 {
        (x.to_api(), String::new())
    } else if x.0 < 0 {
        (String::new(), (-x).to_api())
    } else {
        (String::new(), String::new())
    }
}

const PRINT_CSS: &str = "body{font:13px/1.35 'Times New Roman',serif;margin:24px;color:#000}h2{font-size:15px;text-align:center}\
table.recon{width:100%;border-collapse:collapse}table.recon th,table.recon td{border:1px solid #000;padding:3px 5px;vertical-align:top}\
td.n{text-align:right;white-space:nowrap}table.sign{width:100%;margin-top:28px}table.sign td{width:50%;vertical-align:top}\
@media print{.noprint{display:none}}\
@media screen and (max-width:700px){body{margin:8px}table.recon{display:block;overflow-x:auto}table.sign td{display:block;width:auto}.noprint input,.noprint select{max-width:100%}}";

/// "Ship" on an order: a shipment (receipt) form prefilled with what remains
/// of each line; quantities can be lowered to ship part.
async fn fulfil_form(
    p: KindPage,
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(current_lang());
    };
    fulfil_page(p, &ui, &s, id, &Refusal::none()).await
}

/// The fulfilment form; after a refusal, with the quantities and serials as
/// typed and each message at its line.
async fn fulfil_page(
    p: KindPage,
    ui: &UiActor,
    s: &AppState,
    id: i64,
    refusal: &Refusal,
) -> Response {
    let lang = current_lang();
    let action = format!("/{}/{id}/fulfil", p.seg);
    let kept = |name: &str, d: &str| refusal.value(&action, name, d);
    let v = match s.app.order_view(&ui.actor, p.kind, id).await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let whs = opts(&names(&s.app, "SELECT id, name FROM warehouses WHERE archived = 0").await);
    let wh = kept(
        "warehouse_id",
        &v.document
            .warehouse_id
            .map(|w| w.to_string())
            .unwrap_or_default(),
    );
    let today = kupets_app::today().to_string();
    let target = if p.kind == DocKind::SalesOrder {
        DocKind::Shipment
    } else {
        DocKind::Receipt
    };
    let body = html! {
        p { a href=(format!("/{}/{id}", p.seg)) { "← " (v.document.number) } }
        h1 { (target.label(lang.ru())) " " (lang.t("по заказу", "for order")) " " (v.document.number) }
        (refusal.summary(lang, &|f| f.starts_with("lines[") || ["warehouse_id", "date"].contains(&f)))
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(ui.csrf);
            div.card { dl.props {
                dt { (lang.t("Склад *", "Warehouse *")) } dd { (select("warehouse_id", &whs, &wh, "—")) (refusal.at(lang, "warehouse_id")) }
                dt { (lang.t("Дата", "Date")) } dd { input type="date" name="date" value=(kept("date", &today)); (refusal.at(lang, "date")) }
            } }
            table.list {
                tr { th { (lang.t("Товар", "Product")) } th.num { (lang.t("Осталось", "Remaining")) } th { (lang.t("Количество", "Quantity")) } @if p.kind == DocKind::SalesOrder { th { (lang.t("Серийные номера (для серийных товаров)", "Serials (serial-tracked products)")) } } th.num { (lang.t("Цена", "Price")) } }
                @for (i, l) in v.lines.iter().enumerate() {
                    tr.bad[refusal.row_has("lines", i)] {
                        td { (l.line.product_name) input type="hidden" name=(format!("l{i}_line")) value=(l.line.id); input type="hidden" name=(format!("l{i}_product")) value=(l.line.product_id); input type="hidden" name=(format!("l{i}_price")) value=(Money(l.line.price).to_api()); (refusal.row(lang, "lines", i)) }
                        td.num { (l.remaining) }
                        td { input type="text" name=(format!("l{i}_qty")) value=(kept(&format!("l{i}_qty"), if l.remaining == "0" { "" } else { &l.remaining })) size="8"; }
                        @if p.kind == DocKind::SalesOrder { td { input type="text" name=(format!("l{i}_serials")) value=(kept(&format!("l{i}_serials"), "")); } }
                        (money_td(l.line.price))
                    }
                }
            }
            p { button.btn type="submit" { (lang.t("Создать черновик", "Create draft")) } }
        }
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        &v.document.number,
        &format!("/{}", p.seg),
        body,
    ))
}

async fn fulfil(
    p: KindPage,
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
    let g = |k: String| f.get(&k).cloned().filter(|v| !v.trim().is_empty());
    // The rows sent (a quantity above zero): the app counts its lines among
    // these, the page among all rows.
    let sent: Vec<usize> = (0..1000)
        .take_while(|i| f.contains_key(&format!("l{i}_line")))
        .filter(|i| g(format!("l{i}_qty")).is_some_and(|q| q.trim() != "0"))
        .collect();
    let lines: Vec<LineInput> = sent
        .iter()
        .copied()
        .map(|i| LineInput {
            product_id: g(format!("l{i}_product")),
            qty: g(format!("l{i}_qty")),
            price: g(format!("l{i}_price")),
            special_discount: None,
            serials: split_serials(&g(format!("l{i}_serials")).unwrap_or_default()),
            order_line_id: g(format!("l{i}_line")),
            base_line_id: None,
        })
        .collect();
    let res = async {
        let order = s.app.get_document(&ui.actor, p.kind, id).await?;
        let input = TradeDocInput {
            counterparty_id: order.counterparty_id.map(|c| c.to_string()),
            warehouse_id: g("warehouse_id".into()),
            date: g("date".into()),
            order_id: Some(id.to_string()),
            lines,
            ..Default::default()
        };
        let target = if p.kind == DocKind::SalesOrder {
            DocKind::Shipment
        } else {
            DocKind::Receipt
        };
        s.app.create_trade_doc(&ui.actor, target, &input).await
    };
    match res.await {
        Ok(d) => Redirect::to(&doc_href(&d.document.kind, d.document.id)).into_response(),
        Err(e) => {
            let mut r = Refusal::of_form(lang, &e, &format!("/{}/{id}/fulfil", p.seg), &f);
            for fe in &mut r.fields {
                if let Some(k) = super::refusal::row_of(&fe.field, "lines") {
                    if let Some(i) = sent.get(k) {
                        let rest = fe.field.split_once(']').map_or("", |x| x.1).to_string();
                        fe.field = format!("lines[{i}]{rest}");
                    }
                }
            }
            fulfil_page(p, &ui, &s, id, &r).await
        }
    }
}

async fn close_line(
    p: KindPage,
    ui: UiActor,
    State(s): State<AppState>,
    Path((id, line)): Path<(String, String)>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let (Ok(id), Ok(line)) = (id.parse::<i64>(), line.parse::<i64>()) else {
        return not_found_page(lang);
    };
    let input = kupets_app::trade::CloseLineInput {
        reason: f.get("reason").cloned(),
    };
    match s
        .app
        .close_order_line(&ui.actor, p.kind, id, line, &input)
        .await
    {
        Ok(_) => Redirect::to(&format!("/{}/{id}", p.seg)).into_response(),
        Err(e) => {
            let action = format!("/{}/{id}/lines/{line}/close", p.seg);
            show_refused(
                p.kind,
                &ui,
                &s,
                id,
                &Refusal::of_form(lang, &e, &action, &f),
            )
            .await
        }
    }
}
