//! Document pages. Debt adjustments are the first kind: list, draft form,
//! view with post / cancel; a posted document shows no edit form.

use super::check_csrf;
use super::forms::{button_form, form, input_of, query, values_of, Field, Kind, Values};
use super::layout::{error_page, not_found_page, page, state_tag};
use super::refusal::Refusal;
use crate::api::DocListParams;
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kupets_app::document::{AdjustmentInput, CancelInput};
use kupets_app::AppError;
use kupets_domain::role::Right;
use kupets_domain::{DocKind, Money};
use kupets_store::model::Document;
use maud::html;
use std::collections::HashMap;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/adjustments", get(list).post(create))
        .route("/adjustments/new", get(new_form))
        .route("/adjustments/{id}", get(show).post(update))
        .route("/adjustments/{id}/post", post(post_doc))
        .route("/adjustments/{id}/cancel", post(cancel))
}

/// `2026-03-10` → `10.03.2026`.
pub fn date_ru(iso: &str) -> String {
    kupets_app::input::parse_date(iso)
        .map(kupets_domain::money::date_ru)
        .unwrap_or_else(|| iso.to_string())
}

/// Counterparty names for the documents shown, in one query.
async fn counterparty_names(s: &AppState) -> HashMap<i64, String> {
    super::trade::names(&s.app, "SELECT id, name FROM counterparties").await
}

async fn list(ui: UiActor, State(s): State<AppState>, Query(p): Query<DocListParams>) -> Response {
    let lang = current_lang();
    let res = async {
        let f = p.filter()?;
        s.app
            .list_documents(&ui.actor, DocKind::Adjustment, &f)
            .await
    };
    let pg = match res.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let names = counterparty_names(&s).await;
    let state = p.state.clone().unwrap_or_default();
    let body = html! {
        h1 { (lang.t("Корректировки долга", "Debt adjustments")) }
        div.toolbar {
            @if ui.actor.can(Right::PostSettlements) { a.btn href="/adjustments/new" { "+ " (lang.t("Новая корректировка", "New adjustment")) } }
            form method="get" action="/adjustments" {
                select name="state" {
                    option value="" { (lang.t("Все состояния", "All states")) }
                    @for st in ["draft", "posted", "cancelled"] { option value=(st) selected[state == st] { (kupets_domain::DocState::parse(st).map(|s| s.label(lang.ru())).unwrap_or(st)) } }
                }
                button.btn.light type="submit" { (lang.t("Показать", "Show")) }
            }
            a.btn.light href=(format!("/adjustments/export.xlsx{}", super::forms::query(&[("state", &state)]))) { (lang.t("Скачать XLSX", "Download XLSX")) }
        }
        @if pg.items.is_empty() { div.card.muted { (lang.t("Документов нет.", "No documents.")) } } @else {
            table.list {
                tr { th { "№" } th { (lang.t("Дата", "Date")) } th { (lang.t("Контрагент", "Counterparty")) } th.num { (lang.t("Сумма", "Amount")) } th { (lang.t("Основание", "Reason")) } th { (lang.t("Состояние", "State")) } }
                @for d in &pg.items {
                    tr {
                        td { a href=(format!("/adjustments/{}", d.id)) { (d.number) } }
                        td { (date_ru(&d.date)) }
                        td { @if let Some(c) = d.counterparty_id { a href=(format!("/counterparties/{c}")) { (names.get(&c).cloned().unwrap_or_default()) } } }
                        td.num { (Money(d.amount).to_ru()) }
                        td { (d.comment) }
                        td { (state_tag(lang, &d.state)) }
                    }
                }
            }
        }
        div.pager { @if let Some(c) = &pg.next_cursor { a.btn.light href=(format!("/adjustments{}", query(&[("state", &state), ("cursor", c)]))) { (lang.t("Дальше ⟶", "Next ⟶")) } } }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Корректировки долга", "Debt adjustments"),
        "/adjustments",
        body,
    )
}

async fn fields(s: &AppState) -> Result<Vec<Field>, AppError> {
    // A small business has hundreds of counterparties at most in a picker;
    // the full list stays searchable on its own page.
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, name, inn FROM counterparties WHERE archived = 0 ORDER BY name, id LIMIT 2000",
    )
    .fetch_all(s.app.store.reader())
    .await?;
    let cps = super::forms::options(
        true,
        rows.into_iter().map(|(id, n, inn)| {
            (
                id.to_string(),
                if inn.is_empty() {
                    n
                } else {
                    format!("{n} ({inn})")
                },
            )
        }),
    );
    Ok(vec![
        Field::new(
            "counterparty_id",
            "Контрагент",
            "Counterparty",
            Kind::Select(cps),
        )
        .required(),
        Field::new("date", "Дата", "Date", Kind::Date),
        Field::new("amount", "Сумма, ₽", "Amount, ₽", Kind::Text)
            .required()
            .hint(
                "Плюс увеличивает долг контрагента перед нами, минус — уменьшает",
                "Plus raises the counterparty's debt to us, minus lowers it",
            ),
        Field::new("comment", "Основание", "Reason", Kind::Textarea).required(),
    ])
}

async fn form_page(
    ui: &UiActor,
    s: &AppState,
    id: Option<i64>,
    values: &Values,
    refusal: &Refusal,
) -> Response {
    let lang = current_lang();
    let fs = match fields(s).await {
        Ok(f) => f,
        Err(e) => return error_page(lang, &e),
    };
    let action = id
        .map(|i| format!("/adjustments/{i}"))
        .unwrap_or_else(|| "/adjustments".into());
    let body = html! {
        p { a href="/adjustments" { "← " (lang.t("Корректировки долга", "Debt adjustments")) } }
        h1 { @if id.is_some() { (lang.t("Черновик корректировки", "Draft adjustment")) } @else { (lang.t("Новая корректировка долга", "New debt adjustment")) } }
        div.card { (form(lang, &action, &ui.csrf, &fs, values, refusal, ("Сохранить черновик", "Save draft"))) }
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Корректировка", "Adjustment"),
        "/adjustments",
        body,
    ))
}

#[derive(serde::Deserialize, Default)]
struct NewQuery {
    counterparty_id: Option<String>,
}

async fn new_form(ui: UiActor, State(s): State<AppState>, Query(q): Query<NewQuery>) -> Response {
    if let Err(e) = ui.actor.require(Right::PostSettlements) {
        return error_page(current_lang(), &e);
    }
    let mut v = Values::new();
    v.insert("date".into(), kupets_app::today().to_string());
    if let Some(c) = q.counterparty_id {
        v.insert("counterparty_id".into(), c);
    }
    form_page(&ui, &s, None, &v, &Refusal::none()).await
}

async fn create(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let input: AdjustmentInput = input_of(&f);
    match s.app.create_adjustment(&ui.actor, &input).await {
        Ok(d) => Redirect::to(&format!("/adjustments/{}", d.id)).into_response(),
        // Any refusal (rights too) keeps what was typed.
        Err(e) => form_page(&ui, &s, None, &f, &Refusal::of(current_lang(), &e)).await,
    }
}

fn view(lang: Lang, ui: &UiActor, d: &Document, cp_name: &str, refusal: &Refusal) -> maud::Markup {
    let cancel = format!("/adjustments/{}/cancel", d.id);
    html! {
        p { a href="/adjustments" { "← " (lang.t("Корректировки долга", "Debt adjustments")) } }
        h1 { (DocKind::Adjustment.label(lang.ru())) " " (d.number) " " (lang.t("от", "of")) " " (date_ru(&d.date)) " " (state_tag(lang, &d.state)) }
        div.card {
            dl.props {
                dt { (lang.t("Контрагент", "Counterparty")) } dd { @if let Some(c) = d.counterparty_id { a href=(format!("/counterparties/{c}")) { (cp_name) } } }
                dt { (lang.t("Сумма", "Amount")) } dd { b { (Money(d.amount).to_ru()) } }
                dt { (lang.t("Основание", "Reason")) } dd { (d.comment) }
                @if let Some(p) = &d.posted_at { dt { (lang.t("Проведён", "Posted")) } dd { (p) } }
                @if let Some(c) = &d.cancelled_at { dt { (lang.t("Отменён", "Cancelled")) } dd { (c) " — " (d.cancel_reason.clone().unwrap_or_default()) } }
            }
        }
        @if d.state == "posted" && ui.actor.can(Right::CancelDocuments) {
            div.card {
                h2 style="margin-top:0" { (lang.t("Отмена проведения", "Cancel the document")) }
                p.muted { (lang.t("Проведённый документ не редактируется: отмена запишет сторнирующие движения, история сохранится.", "A posted document is never edited: cancelling writes reversing entries and keeps the history.")) }
                form method="post" action=(cancel) style="display:flex;gap:8px" {
                    input type="hidden" name="csrf" value=(ui.csrf);
                    input type="text" name="reason" value=(refusal.value(&cancel, "reason", "")) placeholder=(lang.t("Причина отмены", "Reason")) required style="flex:1";
                    button.btn.danger type="submit" data-confirm=(lang.t("Отменить проведённый документ? Это нельзя вернуть.", "Cancel the posted document? This cannot be undone.")) { (lang.t("Отменить", "Cancel document")) }
                }
                (refusal.at_form(lang, &cancel, "reason"))
            }
        }
    }
}

async fn show(ui: UiActor, State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(current_lang());
    };
    show_page(&ui, &s, id, &Refusal::none()).await
}

/// An adjustment's page: a draft with its edit form and «Провести», a posted
/// one with the cancel form. After a refused form of the page, that form
/// with what was typed and the message at it.
pub(crate) async fn show_page(ui: &UiActor, s: &AppState, id: i64, refusal: &Refusal) -> Response {
    let lang = current_lang();
    let d = match s.app.get_document(&ui.actor, DocKind::Adjustment, id).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, &e),
    };
    let names = counterparty_names(s).await;
    let cp_name = d
        .counterparty_id
        .and_then(|c| names.get(&c))
        .map(String::as_str)
        .unwrap_or("");
    let statuses =
        super::status::status_block(lang, ui, &s.app, id, DocKind::Adjustment, refusal).await;
    let edit = format!("/adjustments/{id}");
    let own = refusal.form == edit;
    let none = Refusal::none();
    let body = if d.state == "draft" && ui.actor.can(Right::PostSettlements) {
        let fs = match fields(s).await {
            Ok(f) => f,
            Err(e) => return error_page(lang, &e),
        };
        let v = if own {
            refusal.typed.clone()
        } else {
            let mut v = values_of(&d);
            v.insert("amount".into(), Money(d.amount).to_api());
            v
        };
        html! {
            @if !own { (refusal.summary(lang, &|_| false)) }
            (view(lang, ui, &d, cp_name, refusal))
            div.card {
                h2 style="margin-top:0" { (lang.t("Изменить черновик", "Edit the draft")) }
                (form(lang, &edit, &ui.csrf, &fs, &v, if own { refusal } else { &none }, ("Сохранить черновик", "Save draft")))
            }
            (button_form(&format!("/adjustments/{id}/post"), &ui.csrf, lang.t("Провести", "Post"), "btn"))
            (statuses)
        }
    } else {
        html! {
            (refusal.summary(lang, &|_| false))
            (view(lang, ui, &d, cp_name, refusal))
            (statuses)
        }
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        &d.number,
        "/adjustments",
        body,
    ))
}

/// A refused form of an adjustment's page: the page again with it.
async fn refused(
    ui: &UiActor,
    s: &AppState,
    id: i64,
    e: &AppError,
    action: &str,
    f: &Values,
) -> Response {
    let lang = current_lang();
    show_page(ui, s, id, &Refusal::of_form(lang, e, action, f)).await
}

async fn update(
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
    let input: AdjustmentInput = input_of(&f);
    match s.app.update_adjustment(&ui.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/adjustments/{id}")).into_response(),
        Err(e) => refused(&ui, &s, id, &e, &format!("/adjustments/{id}"), &f).await,
    }
}

async fn post_doc(
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
    match s.app.post_adjustment(&ui.actor, id).await {
        Ok(_) => Redirect::to(&format!("/adjustments/{id}")).into_response(),
        Err(e) => refused(&ui, &s, id, &e, &format!("/adjustments/{id}/post"), &f).await,
    }
}

async fn cancel(
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
    let input: CancelInput = input_of(&f);
    match s
        .app
        .cancel_document(&ui.actor, DocKind::Adjustment, id, &input)
        .await
    {
        Ok(_) => Redirect::to(&format!("/adjustments/{id}")).into_response(),
        Err(e) => refused(&ui, &s, id, &e, &format!("/adjustments/{id}/cancel"), &f).await,
    }
}
