//! The bank exchange pages: upload a statement (preview, then import),
//! an import's documents with hand assignment and «create counterparty»,
//! posting the batch, and payment orders to download.

use super::check_csrf;
use super::forms::Values;
use super::layout::{error_page, page};
use super::refusal::Refusal;
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use base64::Engine as _;
use kupets_app::exchange::bank_rows::AssignInput;
use kupets_app::exchange::statement::{BankRow, StatementResult};
use kupets_app::AppError;
use kupets_domain::Money;
use kupets_store::queries::P;
use maud::{html, Markup};

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    let own = Router::new()
        .route("/bank-statements", get(list).post(upload))
        .route("/bank-statements/import", post(import_again))
        .route("/bank-statements/{id}", get(show))
        .route("/bank-statements/{id}/post", post(post_batch))
        .route("/bank-statement-rows/{id}/assign", post(assign))
        .route(
            "/bank-statement-rows/{id}/counterparty",
            post(make_counterparty),
        )
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::api::exchange::MAX_UPLOAD,
        ));
    r.merge(own)
}

/// What the import page's rows need for their forms: the session, the
/// counterparties to choose from (id, label) and the import's id.
type RowActions<'a> = (&'a UiActor, &'a [(i64, String)], &'a str);

fn money(s: &str) -> String {
    Money::parse(s).unwrap_or_default().to_ru()
}

fn status_label(lang: Lang, s: &str) -> &'static str {
    match s {
        "matched" => lang.t("Сопоставлен", "Matched"),
        "unmatched" => lang.t("Не сопоставлен", "Unmatched"),
        "already_imported" => lang.t("Уже загружен", "Already imported"),
        _ => lang.t("Не наш счёт", "Not our account"),
    }
}

fn rows_table(lang: Lang, rows: &[BankRow], actions: Option<RowActions<'_>>) -> Markup {
    html! {
        div style="overflow-x:auto" {
            table.list {
                tr {
                    th { (lang.t("Строка", "Line")) } th { "№" } th { (lang.t("Дата", "Date")) } th.num { (lang.t("Сумма", "Amount")) }
                    th { (lang.t("Направление", "Direction")) } th { (lang.t("Плательщик / получатель", "Payer / payee")) }
                    th { (lang.t("Назначение", "Purpose")) } th { (lang.t("Состояние", "Status")) } th { (lang.t("Контрагент, основание", "Counterparty, basis")) }
                }
                @for r in rows {
                    tr id=(format!("row-{}", r.number)) {
                        td { @if r.line > 0 { (r.line) } }
                        td { (r.number) }
                        td { (kupets_domain::money::date_ru(chrono::NaiveDate::parse_from_str(&r.date, "%Y-%m-%d").unwrap_or_default())) }
                        td.num { (money(&r.amount)) }
                        td { @if r.direction == "out" { (lang.t("Списание", "Out")) } @else { (lang.t("Поступление", "In")) } }
                        td { (r.other_name) br; span.muted { (lang.t("ИНН ", "INN ")) (r.other_inn) " · " (r.other_account) } }
                        td { (r.purpose) }
                        td {
                            span.tag.(if r.status == "matched" { "posted" } else if r.status == "unmatched" { "draft" } else { "" }) { (status_label(lang, &r.status)) }
                            div.hint { (if lang.ru() { &r.reason_ru } else { &r.reason_en }) }
                        }
                        td {
                            @if let (Some(id), Some(n)) = (&r.counterparty_id, &r.counterparty_name) { a href=(format!("/counterparties/{id}")) { (n) } }
                            @if let (Some(id), Some(n)) = (&r.invoice_id, &r.invoice_number) { br; a href=(format!("/invoices/{id}")) { (n) } }
                            @if let (Some(id), Some(n)) = (&r.order_id, &r.order_number) { br; a href=(format!("/sales-orders/{id}")) { (n) } }
                            @if let (Some(id), Some(n)) = (&r.payment_id, &r.payment_number) {
                                br; a href=(format!("/payments/{id}")) { (n) } " "
                                span.tag.(r.payment_state.clone().unwrap_or_default()) { (r.payment_state.clone().unwrap_or_default()) }
                            }
                            @if let (Some((ui, cps, import)), Some(id)) = (&actions, &r.id) {
                                @if r.payment_state.as_deref() != Some("posted") && r.payment_state.as_deref() != Some("cancelled") {
                                    form.inline method="post" action=(format!("/bank-statement-rows/{id}/assign")) {
                                        input type="hidden" name="csrf" value=(ui.csrf);
                                        input type="hidden" name="import" value=(import);
                                        select name="counterparty_id" aria-label=(lang.t("Контрагент", "Counterparty")) {
                                            option value="" { (lang.t("— контрагент —", "— counterparty —")) }
                                            @for (cid, name) in cps.iter() { option value=(cid) { (name) } }
                                        }
                                        button.btn.light type="submit" { (lang.t("Назначить", "Assign")) }
                                    }
                                    @if r.payment_id.is_none() {
                                        form.inline method="post" action=(format!("/bank-statement-rows/{id}/counterparty")) {
                                            input type="hidden" name="csrf" value=(ui.csrf);
                                            input type="hidden" name="import" value=(import);
                                            button.btn.light type="submit" { (lang.t("Создать контрагента из реквизитов", "Create counterparty from requisites")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn upload_form(lang: Lang, ui: &UiActor) -> Markup {
    html! {
        div.card {
            h2 style="margin-top:0" { (lang.t("Загрузить выписку", "Upload a statement")) }
            p.muted { (lang.t("Файл обмена 1С «Клиент банка» (1CClientBankExchange, версии 1.02/1.03, Windows-1251 или UTF-8).", "A 1C bank client exchange file (1CClientBankExchange, versions 1.02/1.03, Windows-1251 or UTF-8).")) }
            form method="post" action="/bank-statements" enctype="multipart/form-data" class="inline" {
                input type="hidden" name="csrf" value=(ui.csrf);
                input type="file" name="file" required;
                button.btn.light type="submit" name="action" value="preview" { (lang.t("Просмотреть", "Preview")) }
                button.btn type="submit" name="action" value="import" { (lang.t("Загрузить", "Import")) }
            }
        }
    }
}

async fn list(ui: UiActor, State(s): State<AppState>) -> Response {
    list_page(&ui, &s, &Refusal::none()).await
}

/// The bank page; after a refused upload, the reason on top (a browser
/// never lets a page fill in a file again).
async fn list_page(ui: &UiActor, s: &AppState, refusal: &Refusal) -> Response {
    let lang = current_lang();
    let imports = match s.app.list_bank_imports(&ui.actor).await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let today = kupets_app::today();
    let month = today.format("%Y-%m-01").to_string();
    let body = html! {
        h1 { (lang.t("Банк: выписки и платёжные поручения", "Bank: statements and payment orders")) }
        p { a href="/imports" { (lang.t("Загрузка контрагентов и других данных из CSV и Excel →", "Import counterparties and other records from CSV and Excel →")) } }
        (refusal.summary(lang, &|_| false))
        (upload_form(lang, ui))
        div.card {
            h2 style="margin-top:0" { (lang.t("Платёжные поручения в банк", "Payment orders for the bank")) }
            form method="get" action="/api/v1/payment-orders" class="inline" {
                label { (lang.t("с ", "from ")) input type="date" name="from" value=(month); }
                label { (lang.t("по ", "to ")) input type="date" name="to" value=(today.to_string()); }
                select name="state" {
                    option value="draft" { (lang.t("Черновики (к оплате)", "Drafts (to pay)")) }
                    option value="posted" { (lang.t("Проведённые", "Posted")) }
                    option value="all" { (lang.t("Все", "All")) }
                }
                button.btn.light type="submit" { (lang.t("Скачать файл для банка", "Download the bank file")) }
            }
        }
        h2 { (lang.t("Загруженные выписки", "Imported statements")) }
        div style="overflow-x:auto" {
            table.list {
                tr { th { (lang.t("Загружена", "Imported")) } th { (lang.t("Файл", "File")) } th { (lang.t("Период", "Period")) } th.num { (lang.t("Черновиков", "Drafts")) } th.num { (lang.t("Без контрагента", "Unmatched")) } th { (lang.t("Проведена", "Posted")) } }
                @for i in &imports {
                    tr {
                        td { a href=(format!("/bank-statements/{}", i.id)) { (i.created_at.replace('T', " ").get(..16).unwrap_or(&i.created_at)) } }
                        td { (i.file_name) }
                        td { (i.date_from.clone().unwrap_or_default()) " — " (i.date_to.clone().unwrap_or_default()) }
                        td.num { (i.drafts) }
                        td.num { (i.unmatched) }
                        td { (i.posted_at.clone().unwrap_or_default().replace('T', " ").get(..16).unwrap_or("")) }
                    }
                }
            }
        }
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Банк", "Bank"),
        "/bank-statements",
        body,
    ))
}

fn result_page(lang: Lang, ui: &UiActor, r: &StatementResult, data: Option<&str>) -> Response {
    let body = html! {
        h1 { (if data.is_some() { lang.t("Просмотр выписки", "Statement preview") } else { lang.t("Выписка загружена", "Statement imported") }) }
        p {
            (lang.t("Версия ", "Version ")) (r.version) " · " (r.encoding) " · "
            (lang.t("сопоставлено ", "matched ")) b { (r.matched) } " · "
            (lang.t("без контрагента ", "unmatched ")) b { (r.unmatched) } " · "
            (lang.t("уже загружено ", "already imported ")) b { (r.already_imported) }
            @if r.not_ours > 0 { " · " (lang.t("не наш счёт ", "not our account ")) b { (r.not_ours) } }
        }
        @if let Some(d) = data {
            form method="post" action="/bank-statements/import" class="inline" {
                input type="hidden" name="csrf" value=(ui.csrf);
                input type="hidden" name="data" value=(d);
                button.btn type="submit" { (lang.t("Загрузить эти документы", "Import these documents")) }
                a.btn.light href="/bank-statements" { (lang.t("Отмена", "Cancel")) }
            }
        } @else if let Some(id) = &r.import_id {
            p { a.btn href=(format!("/bank-statements/{id}")) { (lang.t("Открыть загрузку", "Open the import")) } }
        } @else {
            div.ok { (lang.t("Новых документов нет: всё уже было загружено.", "No new documents: everything was imported before.")) }
        }
        (rows_table(lang, &r.rows, None))
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Выписка", "Statement"),
        "/bank-statements",
        body,
    )
}

async fn upload(ui: UiActor, State(s): State<AppState>, mut mp: Multipart) -> Response {
    let lang = current_lang();
    let mut f = Values::new();
    let mut file: Vec<u8> = Vec::new();
    let mut name = String::new();
    while let Ok(Some(field)) = mp.next_field().await {
        let key = field.name().unwrap_or("").to_string();
        if key == "file" {
            name = field.file_name().unwrap_or("").to_string();
            file = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        } else {
            let v = field.text().await.unwrap_or_default();
            f.insert(key, v);
        }
    }
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    if file.is_empty() {
        let e = AppError::field(
            "file",
            "required",
            "Выберите файл выписки",
            "Choose a statement file",
        );
        return list_page(&ui, &s, &Refusal::of(lang, &e)).await;
    }
    if f.get("action").map(String::as_str) == Some("import") {
        return match s.app.import_statement(&ui.actor, &name, &file).await {
            Ok(r) => match &r.import_id {
                Some(id) => Redirect::to(&format!("/bank-statements/{id}")).into_response(),
                None => result_page(lang, &ui, &r, None),
            },
            Err(e) => list_page(&ui, &s, &Refusal::of(lang, &e)).await,
        };
    }
    match s.app.preview_statement(&ui.actor, &file).await {
        Ok(r) => {
            // The file rides along in the page, so «Import» needs no second upload.
            let mut packed = base64::engine::general_purpose::STANDARD.encode(name.as_bytes());
            packed.push(':');
            packed.push_str(&base64::engine::general_purpose::STANDARD.encode(&file));
            result_page(lang, &ui, &r, Some(&packed))
        }
        Err(e) => list_page(&ui, &s, &Refusal::of(lang, &e)).await,
    }
}

async fn import_again(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let data = f.get("data").cloned().unwrap_or_default();
    let (n, d) = data.split_once(':').unwrap_or(("", ""));
    let name = String::from_utf8(b64.decode(n).unwrap_or_default()).unwrap_or_default();
    let Ok(file) = b64.decode(d) else {
        let e = AppError::field(
            "file",
            "required",
            "Выберите файл выписки",
            "Choose a statement file",
        );
        return list_page(&ui, &s, &Refusal::of(lang, &e)).await;
    };
    match s.app.import_statement(&ui.actor, &name, &file).await {
        Ok(r) => match &r.import_id {
            Some(id) => Redirect::to(&format!("/bank-statements/{id}")).into_response(),
            None => result_page(lang, &ui, &r, None),
        },
        Err(e) => list_page(&ui, &s, &Refusal::of(lang, &e)).await,
    }
}

async fn show(ui: UiActor, State(s): State<AppState>, Path(id): Path<String>) -> Response {
    statement_page(&ui, &s, &id, &Refusal::none()).await
}

/// An imported statement with its rows' forms; after a refused one, the
/// reason on top.
async fn statement_page(ui: &UiActor, s: &AppState, id: &str, refusal: &Refusal) -> Response {
    let lang = current_lang();
    let Ok(id) = id.parse::<i64>() else {
        return error_page(
            lang,
            &AppError::NotFound {
                entity: "bank import",
            },
        );
    };
    let imp = match s.app.get_bank_import(&ui.actor, id).await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let cps = s
        .app
        .store
        .read_rows(
            "SELECT id, name, inn FROM counterparties WHERE archived = 0 ORDER BY name, id LIMIT $1".into(),
            vec![P::from(2000i64)],
            |r| {
                let inn = r.text("inn");
                (r.int("id"), if inn.is_empty() { r.text("name") } else { format!("{} (ИНН {inn})", r.text("name")) })
            },
        )
        .await
        .unwrap_or_default();
    let import = id.to_string();
    let body = html! {
        h1 { (lang.t("Выписка: ", "Statement: ")) (imp.file_name) }
        (refusal.summary(lang, &|_| false))
        p.muted { (imp.date_from.clone().unwrap_or_default()) " — " (imp.date_to.clone().unwrap_or_default()) " · " (imp.encoding) }
        @if imp.drafts > 0 {
            form.inline method="post" action=(format!("/bank-statements/{id}/post")) {
                input type="hidden" name="csrf" value=(ui.csrf);
                button.btn type="submit" { (lang.t("Провести платежи", "Post the payments")) " (" (imp.drafts) ")" }
                @if imp.unmatched > 0 { span.muted { (lang.t("без контрагента: ", "unmatched: ")) (imp.unmatched) (lang.t(" — их можно провести позже", " — they can be posted later")) } }
            }
        } @else if imp.posted_at.is_some() {
            div.ok { (lang.t("Платежи проведены.", "The payments are posted.")) }
        }
        (rows_table(lang, &imp.rows, Some((ui, &cps, &import))))
        p { a href="/bank-statements" { (lang.t("← Все выписки", "← All statements")) } }
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Выписка", "Statement"),
        "/bank-statements",
        body,
    ))
}

async fn post_batch(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let id = id.parse::<i64>().unwrap_or(0);
    match s.app.post_bank_import(&ui.actor, id).await {
        Ok(_) => Redirect::to(&format!("/bank-statements/{id}")).into_response(),
        Err(e) => statement_page(&ui, &s, &id.to_string(), &Refusal::of(lang, &e)).await,
    }
}

async fn assign(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let input = AssignInput {
        counterparty_id: f.get("counterparty_id").cloned().filter(|v| !v.is_empty()),
        order_id: f.get("order_id").cloned().filter(|v| !v.is_empty()),
    };
    match s
        .app
        .assign_bank_row(&ui.actor, id.parse().unwrap_or(0), &input)
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/bank-statements/{}",
            f.get("import").cloned().unwrap_or_default()
        ))
        .into_response(),
        Err(e) => {
            let import = f.get("import").cloned().unwrap_or_default();
            statement_page(&ui, &s, &import, &Refusal::of(lang, &e)).await
        }
    }
}

async fn make_counterparty(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    match s
        .app
        .counterparty_from_bank_row(&ui.actor, id.parse().unwrap_or(0))
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/bank-statements/{}",
            f.get("import").cloned().unwrap_or_default()
        ))
        .into_response(),
        Err(e) => {
            let import = f.get("import").cloned().unwrap_or_default();
            statement_page(&ui, &s, &import, &Refusal::of(lang, &e)).await
        }
    }
}
