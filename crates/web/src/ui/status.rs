//! Pages of statuses: the block on every document page, "Today", the sales
//! funnel, hand-over and the status catalogue.

use super::check_csrf;
use super::documents::date_ru;
use super::forms::Values;
use super::layout::{error_page, not_found_page, page};
use super::refusal::Refusal;
use super::trade::doc_href;
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kupets_app::status::{AssignInput, Status, StatusInput, TodayFilter};
use kupets_app::{App, AppError};
use kupets_domain::role::Right;
use kupets_domain::{DocKind, Money};
use maud::{html, Markup};

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/documents/{id}/status", post(assign))
        .route("/today", get(today))
        .route("/reports/funnel", get(funnel))
        .route("/statuses", get(catalogue).post(status_create))
        .route("/statuses/{id}", post(status_update))
}

pub(crate) fn kind_label(lang: Lang, kind: &str) -> &'static str {
    DocKind::parse(kind)
        .map(|k| k.label(lang.ru()))
        .unwrap_or("")
}

/// The status block of a document page: current status, the form to set
/// one, the history.
/// After a refused status (or responsible) form of the page, that form as
/// it was sent and the message at it.
pub async fn status_block(
    lang: Lang,
    ui: &UiActor,
    app: &App,
    id: i64,
    kind: DocKind,
    refusal: &Refusal,
) -> Markup {
    let (history, statuses) = match (
        app.status_history(&ui.actor, id, kupets_app::today()).await,
        app.list_statuses(&ui.actor, false).await,
    ) {
        (Ok(h), Ok(s)) => (h, s),
        _ => return html! {},
    };
    let fits: Vec<&Status> = statuses.iter().filter(|s| s.applies_to(kind)).collect();
    let responsible = super::responsible::block(lang, ui, app, id, refusal).await;
    let a = format!("/documents/{id}/status");
    let v = |name: &str, d: &str| refusal.value(&a, name, d);
    let chosen = v("status_id", "");
    let today = kupets_app::today().to_string();
    html! {
        (responsible)
        div.card.statuses {
            h2 { (lang.t("Статус", "Status")) ": "
                @match &history.current {
                    Some(c) => { b { (if lang.ru() { &c.status_name_ru } else { &c.status_name_en }) } " " span.muted { (lang.t("с ", "since ")) (date_ru(&c.effective_date)) } }
                    None => { span.muted { (lang.t("не задан", "none")) } }
                }
            }
            form.inline method="post" action=(a) {
                input type="hidden" name="csrf" value=(ui.csrf);
                select name="status_id" {
                    @for s in &fits { option value=(s.id) selected[chosen == s.id.to_string()] { (s.name(lang.ru())) @if s.is_reminder { " ⏰" } } }
                }
                input type="date" name="effective_date" value=(v("effective_date", &today));
                input type="text" name="note" value=(v("note", "")) placeholder=(lang.t("Заметка", "Note")) style="flex:1;min-width:220px";
                button.btn type="submit" { (lang.t("Установить статус", "Set status")) }
            }
            @for f in ["status_id", "status", "effective_date", "note"] { (refusal.at_form(lang, &a, f)) }
            @if !history.history.is_empty() {
                table.list {
                    tr { th { (lang.t("С даты", "From")) } th { (lang.t("Статус", "Status")) } th { (lang.t("Заметка", "Note")) } th { (lang.t("Кто, когда", "Who, when")) } }
                    @for a in &history.history {
                        tr {
                            td { (date_ru(&a.effective_date)) }
                            td { (if lang.ru() { &a.status_name_ru } else { &a.status_name_en }) @if history.current.as_ref().is_some_and(|c| c.id == a.id) { " " span.tag.posted { (lang.t("текущий", "current")) } } }
                            td { (a.note) }
                            td.muted { (a.employee_name.clone().unwrap_or_default()) ", " (super::words::datetime(lang, &a.created_at)) }
                        }
                    }
                }
            }
        }
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
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(lang);
    };
    let g = |k: &str| f.get(k).cloned().filter(|v| !v.trim().is_empty());
    let input = AssignInput {
        status_id: g("status_id"),
        status: None,
        effective_date: g("effective_date"),
        note: g("note"),
    };
    let res = async {
        s.app.assign_status(&ui.actor, id, &input).await?;
        s.app.kind_of(id).await
    };
    match res.await {
        Ok(kind) => Redirect::to(&doc_href(kind.code(), id)).into_response(),
        Err(e) => {
            let r = Refusal::of_form(lang, &e, &format!("/documents/{id}/status"), &f);
            document_refused(&ui, &s, id, &e, &r).await
        }
    }
}

/// A document's own page after a refused form of one of its blocks (status,
/// responsible): the page with that form as it was sent; a document that
/// cannot be read (or a kind without such a page) is the error page.
pub(crate) async fn document_refused(
    ui: &UiActor,
    s: &AppState,
    id: i64,
    e: &AppError,
    refusal: &Refusal,
) -> Response {
    let lang = current_lang();
    match s.app.kind_of(id).await {
        Ok(DocKind::Adjustment) => super::documents::show_page(ui, s, id, refusal).await,
        Ok(DocKind::Invoice) => super::paperwork::invoice_view(ui, &s.app, id, None, refusal).await,
        Ok(DocKind::Repair) => super::serial::repair_page(ui, s, id, refusal).await,
        Ok(DocKind::Production) => super::serial::production_view(ui, s, id, refusal).await,
        Ok(DocKind::PaymentIn | DocKind::PaymentOut) => {
            super::trade::payment_page(ui, s, id, refusal).await
        }
        Ok(DocKind::Interaction) => super::client::interaction_view(ui, s, id, refusal).await,
        Err(_) => error_page(lang, e),
        Ok(kind) => super::trade::show_refused(kind, ui, s, id, refusal).await,
    }
}

/// Today with the same filters, at another page of reminders.
fn today_href(f: &TodayFilter, cursor: Option<&str>) -> String {
    let o = opt;
    let pairs = [
        ("employee_id", o(&f.employee_id)),
        ("department_id", o(&f.department_id)),
        ("status_id", o(&f.status_id)),
        ("kind", o(&f.kind)),
        ("from", o(&f.from)),
        ("to", o(&f.to)),
        ("date", o(&f.date)),
        ("limit", o(&f.limit)),
        ("cursor", cursor.unwrap_or("").to_string()),
    ];
    let p: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    format!("/today{}", super::forms::query(&p))
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

async fn today(ui: UiActor, State(s): State<AppState>, Query(f): Query<TodayFilter>) -> Response {
    let lang = current_lang();
    let t = match s.app.today_view(&ui.actor, &f).await {
        Ok(t) => t,
        Err(e) => return error_page(lang, &e),
    };
    let statuses = s
        .app
        .list_statuses(&ui.actor, false)
        .await
        .unwrap_or_default();
    let lead = ui.actor.can(Right::LeadDepartment);
    // A head picks among the department (an admin among everyone).
    let people: Vec<(i64, String)> = if lead {
        let sql = if ui.actor.role == kupets_domain::Role::Admin {
            "SELECT id, name FROM employees WHERE archived = 0 ORDER BY name".to_string()
        } else {
            format!(
                "SELECT id, name FROM employees WHERE department_id = {} ORDER BY name",
                ui.actor.employee.department_id.unwrap_or(0)
            )
        };
        s.app
            .store
            .read_rows(sql, vec![], |r| (r.int("id"), r.text("name")))
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let many = t.employees.len() + t.covering.len() > 1;
    // Regular clients going quiet: the manager's own, a head's department's.
    let quiet = if ui.actor.can(Right::Sell) || ui.actor.can(Right::SeeCost) {
        let q = kupets_app::analysis::quiet::QuietQuery {
            employee_id: f.employee_id.clone(),
            date: None,
        };
        s.app.quiet_clients(&ui.actor, &q).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut per_emp: Vec<(String, Vec<&kupets_app::status::StatusCount>)> = Vec::new();
    for c in &t.by_status {
        match per_emp.iter_mut().find(|p| p.0 == c.employee_name) {
            Some(p) => p.1.push(c),
            None => per_emp.push((c.employee_name.clone(), vec![c])),
        }
    }
    let body = html! {
        h1 { (lang.t("Сегодня", "Today")) ", " (date_ru(&t.date)) }
        form.inline method="get" action="/today" {
            @if lead {
                select name="employee_id" {
                    option value="" { (lang.t("Весь отдел", "Whole department")) }
                    @for (id, n) in &people { option value=(id) selected[opt(&f.employee_id) == id.to_string()] { (n) } }
                }
            }
            select name="status_id" {
                option value="" { (lang.t("Все статусы", "All statuses")) }
                @for st in &statuses { option value=(st.id) selected[opt(&f.status_id) == st.id.to_string()] { (st.name(lang.ru())) } }
            }
            select name="kind" {
                option value="" { (lang.t("Все документы", "All documents")) }
                @for k in DocKind::ALL { option value=(k.code()) selected[opt(&f.kind) == k.code()] { (k.label(lang.ru())) } }
            }
            (lang.t("с", "from")) input type="date" name="from" value=(opt(&f.from));
            (lang.t("по", "to")) input type="date" name="to" value=(opt(&f.to));
            button.btn.light type="submit" { (lang.t("Показать", "Show")) }
        }
        (super::responsible::today_extras(lang, &t, lead))
        @if !quiet.is_empty() {
            h2 { a href="/reports/quiet-clients" { (lang.t("Постоянные клиенты замолчали", "Regular clients going quiet")) } " (" (quiet.len()) ")" }
            (super::analysis::quiet_table(lang, &quiet, lead))
        }
        h2 { (lang.t("Напоминания", "Reminders")) " (" (t.reminders_total) ")" }
        @if t.reminders.is_empty() { p.muted { (lang.t("На сегодня напоминаний нет.", "No reminders for today.")) } }
        @else {
            table.list.reminders {
                tr { th { (lang.t("Срок", "Due")) } th { (lang.t("Документ", "Document")) } th { (lang.t("Клиент", "Client")) } @if many { th { (lang.t("Сотрудник", "Employee")) } } th { (lang.t("Напоминание", "Reminder")) } th { (lang.t("Заметка", "Note")) } }
                @for r in &t.reminders {
                    tr {
                        td { (date_ru(&r.effective_date)) br;
                            @if r.days_overdue > 0 { span.overdue { (lang.t("просрочено на ", "overdue by ")) (r.days_overdue) (lang.t(" дн.", " d")) } } @else { span.tag.posted { (lang.t("сегодня", "today")) } } }
                        td { a href=(doc_href(&r.kind, r.document_id)) { (kind_label(lang, &r.kind)) " " (r.number) } br; span.muted { (date_ru(&r.doc_date)) " · " (Money(r.amount).to_ru()) } }
                        td { (r.counterparty_name.clone().unwrap_or_default()) }
                        @if many { td { (r.employee_name) } }
                        td { (if lang.ru() { &r.status_name_ru } else { &r.status_name_en }) @if r.system { " " span.tag { (lang.t("авто", "auto")) } } }
                        td { (r.note) @if let Some(n) = &r.covered_for_name { " " span.tag.covered { (lang.t("за ", "covering ")) (n) } } }
                    }
                }
            }
            @if t.reminders_total > t.reminders.len() as i64 {
                p.muted {
                    (lang.t("Показаны ", "Showing ")) (t.reminders.len()) (lang.t(" из ", " of ")) (t.reminders_total) ". "
                    @if f.cursor.as_deref().is_some_and(|c| !c.is_empty() && c != "0") { a href=(today_href(&f, None)) { (lang.t("К первым", "First page")) } " " }
                    @if let Some(next) = &t.reminders_next_cursor { a href=(today_href(&f, Some(next))) { (lang.t("Следующие →", "Next →")) } }
                }
            }
        }
        h2 { (lang.t("Документы по статусам", "Documents by status")) }
        @if per_emp.is_empty() { p.muted { (lang.t("Документов со статусами нет.", "No documents with a status.")) } }
        @for (emp, counts) in &per_emp {
            @if many { h3 { (emp) } }
            div.tiles {
                @for c in counts {
                    a.tile href=(format!("/today?status_id={}{}", c.status_id, if many { format!("&employee_id={}", c.employee_id) } else { String::new() })) {
                        b { (c.count) } (if lang.ru() { &c.status_name_ru } else { &c.status_name_en }) br; span.muted { (Money(c.amount).to_ru()) }
                    }
                }
            }
        }
        @if !t.documents.is_empty() {
            table.list {
                tr { th { (lang.t("Документ", "Document")) } th { (lang.t("Клиент", "Client")) } th.num { (lang.t("Сумма", "Amount")) } @if many { th { (lang.t("Сотрудник", "Employee")) } } th { (lang.t("Статус", "Status")) } th { (lang.t("Заметка", "Note")) } }
                @for d in &t.documents {
                    tr {
                        td { a href=(doc_href(&d.kind, d.document_id)) { (kind_label(lang, &d.kind)) " " (d.number) } " " span.muted { (date_ru(&d.doc_date)) } }
                        td { (d.counterparty_name.clone().unwrap_or_default()) }
                        td.num { (Money(d.amount).to_ru()) }
                        @if many { td { (d.employee_name) } }
                        td { (if lang.ru() { &d.status_name_ru } else { &d.status_name_en }) " " span.muted { (lang.t("с ", "since ")) (date_ru(&d.effective_date)) } }
                        td { (d.note) @if let Some(n) = &d.covered_for_name { " " span.tag.covered { (lang.t("за ", "covering ")) (n) } } }
                    }
                }
            }
            @if t.documents_total > t.documents.len() as i64 { p.muted { (lang.t("Показаны последние ", "Showing the latest ")) (t.documents.len()) (lang.t(" из ", " of ")) (t.documents_total) (lang.t(" — уточните фильтр", " — narrow the filter")) } }
        }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Сегодня", "Today"),
        "/today",
        body,
    )
}

#[derive(Debug, Default, serde::Deserialize)]
struct FunnelQuery {
    from: Option<String>,
    to: Option<String>,
    employee_id: Option<String>,
}

/// The funnel as horizontal bars, drawn on the server as SVG.
fn chart(lang: Lang, stages: &[kupets_app::status::FunnelStage]) -> Markup {
    let max = stages.iter().map(|s| s.count).max().unwrap_or(0).max(1);
    let (w, row) = (640.0, 30.0);
    let h = row * stages.len() as f64 + 10.0;
    html! {
        svg.funnel width=(w) height=(h) viewBox=(format!("0 0 {w} {h}")) role="img" aria-label=(lang.t("Воронка продаж", "Sales funnel")) {
            @for (i, s) in stages.iter().enumerate() {
                @let bw = 400.0 * s.count as f64 / max as f64;
                @let y = i as f64 * row + 5.0;
                text x="150" y=(y + 18.0) text-anchor="end" font-size="13" { (if lang.ru() { &s.name_ru } else { &s.name_en }) }
                rect x=(160.0 + (400.0 - bw) / 2.0) y=(y) width=(bw.max(1.0)) height=(row - 6.0) rx="3" fill="#1f5fbf" {}
                text x="570" y=(y + 18.0) font-size="13" { (s.count) @if let Some(c) = &s.conversion { " · " (c.replace('.', ",")) "%" } }
            }
        }
    }
}

fn funnel_table(lang: Lang, stages: &[kupets_app::status::FunnelStage]) -> Markup {
    html! {
        table.list {
            tr { th { (lang.t("Этап", "Stage")) } th.num { (lang.t("Заказов", "Orders")) } th.num { (lang.t("Сумма", "Amount")) } th.num { (lang.t("Конверсия из предыдущего", "Conversion from previous")) } }
            @for s in stages {
                tr {
                    td { (s.stage) ". " (if lang.ru() { &s.name_ru } else { &s.name_en }) }
                    td.num { (s.count) } td.num { (Money(s.amount).to_ru()) }
                    td.num { @if let Some(c) = &s.conversion { (c.replace('.', ",")) " %" } @else { "—" } }
                }
            }
        }
    }
}

async fn funnel(ui: UiActor, State(s): State<AppState>, Query(q): Query<FunnelQuery>) -> Response {
    let lang = current_lang();
    let p = crate::api::status::FunnelParams {
        from: q.from.clone(),
        to: q.to.clone(),
        employee_id: q.employee_id.clone(),
    };
    let res = async {
        let (from, to) = crate::api::status::funnel_period(&p)?;
        let emp = q.employee_id.as_deref().and_then(|e| e.parse::<i64>().ok());
        s.app.funnel(&ui.actor, from, to, emp).await
    };
    let f = match res.await {
        Ok(f) => f,
        Err(e) => return error_page(lang, &e),
    };
    let body = html! {
        h1 { (lang.t("Воронка продаж", "Sales funnel")) }
        form.inline method="get" action="/reports/funnel" {
            (lang.t("Заказы с", "Orders from")) input type="date" name="from" value=(f.from);
            (lang.t("по", "to")) input type="date" name="to" value=(f.to);
            button.btn.light type="submit" { (lang.t("Показать", "Show")) }
        }
        p.muted { (lang.t("Заказы покупателей за период по самому дальнему этапу, которого они достигли; заказов: ", "Sales orders of the period by the furthest stage they reached; orders: ")) (f.orders) }
        (chart(lang, &f.overall))
        (funnel_table(lang, &f.overall))
        @if f.per_employee.len() > 1 || q.employee_id.is_some() {
            @for e in &f.per_employee {
                h2 { (e.employee_name) }
                (funnel_table(lang, &e.stages))
            }
        }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Воронка продаж", "Sales funnel"),
        "/reports/funnel",
        body,
    )
}

async fn catalogue(ui: UiActor, State(s): State<AppState>) -> Response {
    catalogue_page(&ui, &s, &Refusal::none()).await
}

/// The statuses with the new-status form; after a refusal, the form with
/// what was typed and each message at its field.
async fn catalogue_page(ui: &UiActor, s: &AppState, refusal: &Refusal) -> Response {
    let lang = current_lang();
    let list = match s.app.list_statuses(&ui.actor, true).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, &e),
    };
    let edit = ui.actor.can(Right::ManageStatuses);
    let kinds = |s: &Status| {
        if s.kinds.is_empty() {
            lang.t("все", "all").to_string()
        } else {
            s.kinds
                .iter()
                .map(|k| kind_label(lang, k))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let a = "/statuses";
    let v = |name: &str| refusal.value(a, name, "");
    let at = |name: &str| refusal.at_form(lang, a, name);
    let body = html! {
        h1 { (lang.t("Статусы документов", "Document statuses")) }
        (refusal.summary(lang, &|f| refusal.form == a && ["code", "name_ru", "name_en", "kinds", "is_reminder", "funnel_stage", "is_final"].contains(&f)))
        table.list {
            tr { th { (lang.t("Код", "Code")) } th { (lang.t("Название", "Name")) } th { (lang.t("Документы", "Documents")) } th { (lang.t("Напоминание", "Reminder")) } th.num { (lang.t("Этап воронки", "Funnel stage")) } th { (lang.t("Итоговый", "Final")) } th {} }
            @for st in &list {
                tr.archived[st.archived] {
                    td { code { (st.code) } } td { (st.name_ru) " / " (st.name_en) } td { (kinds(st)) }
                    td { @if st.is_reminder { "⏰" } } td.num { @if let Some(f) = st.funnel_stage { (f) } } td { @if st.is_final { "✓" } }
                    td { @if edit {
                        form method="post" action=(format!("/statuses/{}", st.id)) style="display:inline" {
                            input type="hidden" name="csrf" value=(ui.csrf);
                            @for (k, v) in [("code", st.code.clone()), ("name_ru", st.name_ru.clone()), ("name_en", st.name_en.clone()), ("kinds", st.kinds.join(",")), ("is_reminder", st.is_reminder.to_string()), ("funnel_stage", st.funnel_stage.map(|f| f.to_string()).unwrap_or_default()), ("is_final", st.is_final.to_string()), ("archived", (!st.archived).to_string())] {
                                input type="hidden" name=(k) value=(v);
                            }
                            button.btn.light type="submit" { @if st.archived { (lang.t("Вернуть", "Restore")) } @else { (lang.t("В архив", "Archive")) } }
                        }
                    } }
                }
            }
        }
        @if edit || refusal.form == a {
            h2 { (lang.t("Новый статус", "New status")) }
            form.grid method="post" action=(a) {
                input type="hidden" name="csrf" value=(ui.csrf);
                label.l { (lang.t("Код *", "Code *")) } div.f { input type="text" name="code" value=(v("code")); div.hint { (lang.t("Латиницей: call_back", "Latin: call_back")) } (at("code")) }
                label.l { (lang.t("Название *", "Name (Russian) *")) } div.f { input type="text" name="name_ru" value=(v("name_ru")); (at("name_ru")) }
                label.l { (lang.t("Название по-английски *", "Name (English) *")) } div.f { input type="text" name="name_en" value=(v("name_en")); (at("name_en")) }
                label.l { (lang.t("Для документов", "For documents")) } div.f { input type="text" name="kinds" value=(v("kinds")) placeholder="sales_order,shipment"; div.hint { (lang.t("Коды видов через запятую; пусто — для всех", "Kind codes, comma separated; empty: all")) } (at("kinds")) }
                label.l { (lang.t("Напоминание", "Reminder")) } div.f { input type="checkbox" name="is_reminder" value="true" checked[v("is_reminder") == "true"]; (at("is_reminder")) }
                label.l { (lang.t("Этап воронки", "Funnel stage")) } div.f { input type="text" name="funnel_stage" value=(v("funnel_stage")) size="4"; div.hint { (lang.t("Только для заказов покупателей (sales_order)", "Sales orders only (sales_order)")) } (at("funnel_stage")) }
                label.l { (lang.t("Итоговый", "Final")) } div.f { input type="checkbox" name="is_final" value="true" checked[v("is_final") == "true"]; (at("is_final")) }
                div.actions { button.btn type="submit" { (lang.t("Добавить", "Add")) } }
            }
        }
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Статусы", "Statuses"),
        "/statuses",
        body,
    ))
}

fn status_input(f: &Values) -> StatusInput {
    let g = |k: &str| f.get(k).cloned().filter(|v| !v.trim().is_empty());
    StatusInput {
        code: g("code"),
        name_ru: g("name_ru"),
        name_en: g("name_en"),
        kinds: g("kinds")
            .map(|k| {
                k.split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        is_reminder: g("is_reminder"),
        funnel_stage: g("funnel_stage"),
        is_final: g("is_final"),
        archived: g("archived"),
    }
}

/// Any refusal (rights too) shows the statuses again, the form as sent.
async fn status_saved(
    ui: &UiActor,
    s: &AppState,
    r: Result<Status, AppError>,
    action: &str,
    f: &Values,
) -> Response {
    let lang = current_lang();
    match r {
        Ok(_) => Redirect::to("/statuses").into_response(),
        Err(e) => catalogue_page(ui, s, &Refusal::of_form(lang, &e, action, f)).await,
    }
}

async fn status_create(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let r = s.app.save_status(&ui.actor, None, &status_input(&f)).await;
    status_saved(&ui, &s, r, "/statuses", &f).await
}

async fn status_update(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(current_lang());
    };
    let r = s
        .app
        .save_status(&ui.actor, Some(id), &status_input(&f))
        .await;
    status_saved(&ui, &s, r, &format!("/statuses/{id}"), &f).await
}
