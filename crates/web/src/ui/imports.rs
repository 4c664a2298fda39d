//! Import of existing records on the pages: choose the kind, upload a CSV
//! or XLSX, see every row's errors, then import all rows or none.

use super::check_csrf;
use super::forms::Values;
use super::layout::page;
use super::refusal::Refusal;
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use base64::Engine as _;
use kupets_app::exchange::records::{columns, RecordImport, KINDS};
use kupets_app::AppError;
use maud::html;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    let own = Router::new()
        .route("/imports", get(form_page).post(upload))
        .route("/imports/commit", post(commit))
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::api::exchange::MAX_UPLOAD,
        ));
    r.merge(own)
}

fn kind_label(lang: Lang, k: &str) -> &'static str {
    match k {
        "counterparties" => lang.t("Контрагенты", "Counterparties"),
        "contacts" => lang.t("Контактные лица", "Contact persons"),
        "products" => lang.t("Товары", "Products"),
        "prices" => lang.t("Цены", "Prices"),
        "opening-balances" => lang.t("Начальные остатки взаиморасчётов", "Opening balances"),
        "opening-stock" => lang.t("Начальные остатки склада", "Opening stock"),
        _ => lang.t("Записи", "Records"),
    }
}

async fn form_page(ui: UiActor) -> Response {
    imports_page(&ui, &Refusal::none())
}

/// The import form; after a refusal, the kind as chosen and the message (a
/// browser never lets a page fill in a file again).
fn imports_page(ui: &UiActor, refusal: &Refusal) -> Response {
    let lang = current_lang();
    let kind = refusal.value("/imports", "kind", "");
    let body = html! {
        h1 { (lang.t("Загрузка данных из CSV и Excel", "Import from CSV and Excel")) }
        (refusal.summary(lang, &|f| ["kind", "file"].contains(&f)))
        div.card {
            form method="post" action="/imports" enctype="multipart/form-data" class="inline" {
                input type="hidden" name="csrf" value=(ui.csrf);
                select name="kind" aria-label=(lang.t("Что загружаем", "What to import")) {
                    @for k in KINDS { option value=(k) selected[kind == *k] { (kind_label(lang, k)) } }
                }
                input type="file" name="file" accept=".csv,.xlsx,.txt" required;
                button.btn type="submit" { (lang.t("Проверить", "Check")) }
            }
            (refusal.at(lang, "kind")) (refusal.at(lang, "file"))
            p.muted { (lang.t("Сначала каждая строка проверяется; загружаются все строки или ни одной.", "Every row is checked first; all rows are imported, or none.")) }
            p.muted { (lang.t("Начальные остатки (взаиморасчётов и склада) вводятся одним проведённым документом на дату из файла; остатки склада — по одному складу за файл, по себестоимости без НДС. Товары с серийным учётом в остатки склада не загружаются: их вводят приходной накладной с номерами.", "Opening balances and opening stock each go in as one posted document dated as in the file; opening stock is one warehouse per file, at unit cost net of VAT. Serial-tracked products are refused there: enter them as a receipt with their serial numbers.")) }
        }
        h2 { (lang.t("Шаблоны", "Templates")) }
        @for k in KINDS {
            p {
                (kind_label(lang, k)) ": "
                a href=(format!("/api/v1/imports/{k}/template")) { "CSV" } " · "
                a href=(format!("/api/v1/imports/{k}/template?format=xlsx")) { "XLSX" }
                span.muted { " — " (columns(k).map(|c| c.iter().map(|c| c.ru).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
            }
        }
        p { a href="/bank-statements" { (lang.t("Выписки банка →", "Bank statements →")) } }
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Загрузка данных", "Import"),
        "/imports",
        body,
    ))
}

fn result_page(lang: Lang, ui: &UiActor, r: &RecordImport, data: Option<&str>) -> Response {
    let cols = columns(&r.kind).unwrap_or(&[]);
    let body = html! {
        h1 { (kind_label(lang, &r.kind)) ": " (lang.t("проверка файла", "file check")) }
        p { (lang.t("Строк: ", "Rows: ")) b { (r.rows) } " · " (lang.t("ошибок: ", "errors: ")) b { (r.errors.len()) } }
        @if r.created > 0 {
            div.ok { (lang.t("Загружено записей: ", "Records imported: ")) (r.created) }
        } @else if !r.errors.is_empty() {
            div.alert { (lang.t("Исправьте ошибки и загрузите файл снова: пока есть ошибки, не загружается ни одна строка.", "Fix the errors and upload again: while there are errors, no row is imported.")) }
            div style="overflow-x:auto" {
                table.list {
                    tr { th { (lang.t("Строка", "Row")) } th { (lang.t("Колонка", "Column")) } th { (lang.t("Ошибка", "Error")) } }
                    @for e in &r.errors {
                        tr.error { td { (e.row) } td { (cols.iter().find(|c| c.field == e.field).map(|c| c.ru).unwrap_or(&e.field)) } td { (if lang.ru() { &e.message_ru } else { &e.message_en }) } }
                    }
                }
            }
        } @else if let Some(d) = data {
            form method="post" action="/imports/commit" class="inline" {
                input type="hidden" name="csrf" value=(ui.csrf);
                input type="hidden" name="kind" value=(r.kind);
                input type="hidden" name="data" value=(d);
                button.btn type="submit" { (lang.t("Загрузить все строки", "Import all rows")) " (" (r.rows) ")" }
            }
        }
        @if !r.sample.is_empty() {
            h2 { (lang.t("Первые строки", "First rows")) }
            div style="overflow-x:auto" {
                table.list {
                    tr { @for c in cols { th { (c.ru) } } }
                    @for s in &r.sample { tr { @for c in cols { td { (s.get(c.field).cloned().unwrap_or_default()) } } } }
                }
            }
        }
        p { a href="/imports" { (lang.t("← Загрузка данных", "← Import")) } }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Загрузка данных", "Import"),
        "/imports",
        body,
    )
}

async fn upload(ui: UiActor, State(s): State<AppState>, mut mp: Multipart) -> Response {
    let lang = current_lang();
    let mut f = Values::new();
    let mut file = Vec::new();
    while let Ok(Some(field)) = mp.next_field().await {
        let key = field.name().unwrap_or("").to_string();
        if key == "file" {
            file = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        } else {
            f.insert(key, field.text().await.unwrap_or_default());
        }
    }
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let kind = f.get("kind").cloned().unwrap_or_default();
    if file.is_empty() {
        let e = AppError::field("file", "required", "Выберите файл", "Choose a file");
        return imports_page(&ui, &Refusal::of_form(lang, &e, "/imports", &f));
    }
    match s.app.import_records(&ui.actor, &kind, &file, false).await {
        Ok(r) => {
            let data = base64::engine::general_purpose::STANDARD.encode(&file);
            result_page(lang, &ui, &r, Some(&data))
        }
        Err(e) => imports_page(&ui, &Refusal::of_form(lang, &e, "/imports", &f)),
    }
}

async fn commit(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let kind = f.get("kind").cloned().unwrap_or_default();
    let Ok(file) = base64::engine::general_purpose::STANDARD
        .decode(f.get("data").cloned().unwrap_or_default())
    else {
        return Redirect::to("/imports").into_response();
    };
    match s.app.import_records(&ui.actor, &kind, &file, true).await {
        Ok(r) => result_page(lang, &ui, &r, None),
        Err(e) => imports_page(&ui, &Refusal::of_form(lang, &e, "/imports", &f)),
    }
}
