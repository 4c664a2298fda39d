//! Pages of who works on what: a document's responsible (on every document
//! page), absences with a deputy, what nobody attends to, and the extras of
//! the Today page (covered colleagues, the company by department).

use super::check_csrf;
use super::documents::date_ru;
use super::forms::Values;
use super::layout::{error_page, not_found_page, page};
use super::status::kind_label;
use super::trade::{doc_href, names, opts, select};
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kupets_app::absence::{AbsenceFilter, AbsenceInput};
use kupets_app::responsible::ResponsibleInput;
use kupets_app::status::Today;
use kupets_app::unattended::UnattendedFilter;
use kupets_app::{App, AppError};
use kupets_domain::role::Right;
use kupets_domain::Money;
use maud::{html, Markup};

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/documents/{id}/responsible", post(change))
        .route("/absences", get(absences).post(absence_create))
        .route("/absences/{id}/cancel", post(absence_cancel))
        .route("/unattended", get(unattended))
}

/// The responsible of a document, with the form to change it.
pub async fn block(
    lang: Lang,
    ui: &UiActor,
    app: &App,
    id: i64,
    refusal: &super::refusal::Refusal,
) -> Markup {
    let cur: Option<(i64, String)> = app
        .store
        .read_rows(
            "SELECT e.id, e.name FROM documents d JOIN employees e ON e.id = d.responsible_id WHERE d.id = $1".into(),
            vec![id.into()],
            |r| (r.int("id"), r.text("name")),
        )
        .await
        .ok()
        .and_then(|v| v.into_iter().next());
    let Some((rid, rname)) = cur else {
        return html! {};
    };
    let people = opts(&names(app, "SELECT id, name FROM employees WHERE archived = 0").await);
    let a = format!("/documents/{id}/responsible");
    html! {
        div.card.responsible {
            form.inline method="post" action=(a) {
                span { (lang.t("Ответственный", "Responsible")) ": " b { (rname) } }
                input type="hidden" name="csrf" value=(ui.csrf);
                (select("responsible_id", &people, &refusal.value(&a, "responsible_id", &rid.to_string()), "—"))
                button.btn.light type="submit" { (lang.t("Сменить", "Change")) }
            }
            (refusal.at_form(lang, &a, "responsible_id"))
        }
    }
}

async fn change(
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
    let input = ResponsibleInput {
        responsible_id: f.get("responsible_id").cloned(),
    };
    let res = async {
        s.app.set_responsible(&ui.actor, id, &input).await?;
        s.app.kind_of(id).await
    };
    match res.await {
        Ok(kind) => Redirect::to(&doc_href(kind.code(), id)).into_response(),
        Err(e) => {
            let action = format!("/documents/{id}/responsible");
            let r = super::refusal::Refusal::of_form(lang, &e, &action, &f);
            super::status::document_refused(&ui, &s, id, &e, &r).await
        }
    }
}

/// Above the reminders on Today: whom the viewer covers, and for the
/// admin's company view the departments.
pub fn today_extras(lang: Lang, t: &Today, lead: bool) -> Markup {
    html! {
        @if !t.covering.is_empty() {
            div.alert.ok.covering {
                (lang.t("Вы замещаете: ", "You are covering: "))
                @for (i, (_, n)) in t.covering.iter().enumerate() { @if i > 0 { ", " } b { (n) } }
                (lang.t(". Их напоминания и документы показаны ниже с пометкой.", ". Their reminders and documents are shown below, marked."))
            }
        }
        @if !t.departments.is_empty() {
            h2 { (lang.t("Компания по отделам", "The company by department")) }
            table.list.departments {
                tr { th { (lang.t("Отдел", "Department")) } th.num { (lang.t("Напоминаний", "Reminders")) } th.num { (lang.t("Документов со статусом", "Documents with a status")) } }
                @for d in &t.departments {
                    tr {
                        td { @match d.department_id {
                            Some(id) => { a href=(format!("/today?department_id={id}")) { (d.name) } }
                            None => { span.muted { (lang.t("Без отдела", "No department")) } }
                        } }
                        td.num { (d.reminders) }
                        td.num { (d.documents) }
                    }
                }
            }
        }
        @if lead { p { a href="/unattended" { (lang.t("Что осталось без внимания →", "What nobody attends to →")) } } }
    }
}

async fn absences(ui: UiActor, State(s): State<AppState>) -> Response {
    absences_page(&ui, &s, None, &Values::new()).await
}

async fn absences_page(
    ui: &UiActor,
    s: &AppState,
    error: Option<AppError>,
    v: &Values,
) -> Response {
    let lang = current_lang();
    let list = match s
        .app
        .list_absences(&ui.actor, &AbsenceFilter::default())
        .await
    {
        Ok(l) => l,
        Err(e) => return error_page(lang, &e),
    };
    let lead = ui.actor.can(Right::LeadDepartment);
    let people = opts(&names(&s.app, "SELECT id, name FROM employees WHERE archived = 0").await);
    let val = |k: &str| v.get(k).map(String::as_str).unwrap_or("");
    // A refusal: the summary on top, each message under the form.
    let refusal = error
        .as_ref()
        .map(|e| super::refusal::Refusal::of(lang, e))
        .unwrap_or_default();
    let body = html! {
        h1 { (lang.t("Отсутствия и заместители", "Absences and deputies")) }
        p.muted { (lang.t("На время отсутствия заместитель видит на своей странице «Сегодня» напоминания и документы отсутствующего и может работать с ними; ничего не передаётся, после последнего дня всё возвращается само.", "During an absence the deputy's Today also shows the absent person's reminders and documents, and the deputy may act on them; nothing moves, and after the last day the view returns by itself.")) }
        (refusal.summary(lang, &|f| ["employee_id", "from", "to", "deputy_id", "note"].contains(&f)))
        @if list.is_empty() { p.muted { (lang.t("Текущих и будущих отсутствий нет.", "No current or future absences.")) } }
        @else {
            table.list.absences {
                tr { th { (lang.t("Сотрудник", "Employee")) } th { (lang.t("С", "From")) } th { (lang.t("По", "To")) } th { (lang.t("Заместитель", "Deputy")) } th { (lang.t("Заметка", "Note")) } th {} }
                @for a in &list {
                    tr {
                        td { (a.employee_name) } td { (date_ru(&a.from)) } td { (date_ru(&a.to)) } td { (a.deputy_name) } td { (a.note) }
                        td { @if lead {
                            form method="post" action=(format!("/absences/{}/cancel", a.id)) {
                                input type="hidden" name="csrf" value=(ui.csrf);
                                button.btn.light type="submit" { (lang.t("Завершить", "End")) }
                            }
                        } }
                    }
                }
            }
        }
        @if lead {
            h2 { (lang.t("Новое отсутствие", "New absence")) }
            form.inline method="post" action="/absences" {
                input type="hidden" name="csrf" value=(ui.csrf);
                (lang.t("Кто", "Who")) " " (select("employee_id", &people, val("employee_id"), "—"))
                (lang.t("с", "from")) input type="date" name="from" value=(val("from"));
                (lang.t("по", "to")) input type="date" name="to" value=(val("to"));
                (lang.t("заместитель", "deputy")) " " (select("deputy_id", &people, val("deputy_id"), "—"))
                input type="text" name="note" placeholder=(lang.t("Причина", "Reason")) value=(val("note"));
                button.btn type="submit" { (lang.t("Записать", "Record")) }
            }
            @for f in ["employee_id", "from", "to", "deputy_id", "note"] { (refusal.at(lang, f)) }
        }
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Отсутствия", "Absences"),
        "/absences",
        body,
    ))
}

async fn absence_create(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let g = |k: &str| f.get(k).cloned().filter(|v| !v.trim().is_empty());
    let input = AbsenceInput {
        employee_id: g("employee_id"),
        from: g("from"),
        to: g("to"),
        deputy_id: g("deputy_id"),
        note: g("note"),
    };
    match s.app.create_absence(&ui.actor, &input).await {
        Ok(_) => Redirect::to("/absences").into_response(),
        Err(e) => absences_page(&ui, &s, Some(e), &f).await,
    }
}

async fn absence_cancel(
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
    match s.app.cancel_absence(&ui.actor, id).await {
        Ok(_) => Redirect::to("/absences").into_response(),
        Err(e) => absences_page(&ui, &s, Some(e), &Values::new()).await,
    }
}

async fn unattended(
    ui: UiActor,
    State(s): State<AppState>,
    Query(f): Query<UnattendedFilter>,
) -> Response {
    let lang = current_lang();
    let u = match s.app.unattended(&ui.actor, &f).await {
        Ok(u) => u,
        Err(e) => return error_page(lang, &e),
    };
    let body = html! {
        h1 { (lang.t("Без внимания", "Unattended")) }
        form.inline method="get" action="/unattended" {
            (lang.t("Дней без движения", "Days without attention")) " "
            input type="number" name="days" min="1" max="365" value=(u.days);
            button.btn.light type="submit" { (lang.t("Показать", "Show")) }
        }
        h2 { (lang.t("Открытые заказы без статуса или со статусом старше ", "Open orders with no status or a status older than ")) (u.days) (lang.t(" дн.", " days")) " (" (u.orders.len()) ")" }
        @if u.orders.is_empty() { p.muted { (lang.t("Таких нет.", "None.")) } }
        @else {
            table.list.unattended-orders {
                tr { th { (lang.t("Заказ", "Order")) } th { (lang.t("Клиент", "Client")) } th.num { (lang.t("Сумма", "Amount")) } th { (lang.t("Ответственный", "Responsible")) } th { (lang.t("Последний статус", "Latest status")) } }
                @for o in &u.orders {
                    tr {
                        td { a href=(doc_href("sales_order", o.document_id)) { (kind_label(lang, "sales_order")) " " (o.number) } " " span.muted { (date_ru(&o.doc_date)) } }
                        td { (o.counterparty_name.clone().unwrap_or_default()) }
                        td.num { (Money(o.amount).to_ru()) }
                        td { (o.responsible_name) }
                        td { @match (&o.status_code, &o.status_date) {
                            (Some(c), Some(d)) => { (c) " " span.muted { (lang.t("с ", "since ")) (date_ru(d)) } }
                            _ => { span.muted { (lang.t("нет", "none")) } }
                        } }
                    }
                }
            }
        }
        h2 { (lang.t("Клиенты: покупали за год, но без внимания ", "Clients who bought in the past year, unattended for ")) (u.days) (lang.t(" дн.", " days")) " (" (u.counterparties.len()) ")" }
        @if u.counterparties.is_empty() { p.muted { (lang.t("Таких нет.", "None.")) } }
        @else {
            table.list.unattended-clients {
                tr { th { (lang.t("Клиент", "Client")) } th { (lang.t("Менеджер", "Manager")) } th { (lang.t("Последняя отгрузка", "Last shipment")) } th { (lang.t("Последний документ", "Last document")) } th.num { (lang.t("Дней", "Days")) } }
                @for c in &u.counterparties {
                    tr {
                        td { a href=(format!("/counterparties/{}", c.counterparty_id)) { (c.name) } }
                        td { (c.manager_name) }
                        td { (date_ru(&c.last_shipment)) }
                        td { (date_ru(&c.last_activity)) }
                        td.num { (c.days_since) }
                    }
                }
            }
        }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Без внимания", "Unattended"),
        "/unattended",
        body,
    )
}
