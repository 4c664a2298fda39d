//! The hand-over page: choose who leaves and who receives (split by document
//! kind or by counterparty if needed), see what moves grouped by receiver
//! with the reminders each will get, then confirm.

use super::check_csrf;
use super::documents::date_ru;
use super::forms::Values;
use super::layout::{error_page, page};
use super::status::kind_label;
use super::trade::{doc_href, names, opts, select};
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use kupets_app::status::{Handover, HandoverInput, HandoverRule};
use kupets_app::AppError;
use kupets_domain::role::Right;
use kupets_domain::DocKind;
use maud::{html, Markup};

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/handover", get(handover_page).post(handover_do))
}

/// Rule rows on the form.
const RULES: usize = 3;

fn input_of(v: &Values) -> HandoverInput {
    let get = |k: &str| v.get(k).cloned().filter(|x| !x.trim().is_empty());
    let mut by_kind = Vec::new();
    let mut by_counterparty = Vec::new();
    for i in 0..RULES {
        if let (Some(k), Some(to)) = (get(&format!("kind_{i}")), get(&format!("kind_to_{i}"))) {
            by_kind.push(HandoverRule {
                kind: Some(k),
                counterparty_id: None,
                to_employee_id: Some(to),
            });
        }
        if let (Some(c), Some(to)) = (get(&format!("cp_{i}")), get(&format!("cp_to_{i}"))) {
            by_counterparty.push(HandoverRule {
                kind: None,
                counterparty_id: Some(c),
                to_employee_id: Some(to),
            });
        }
    }
    HandoverInput {
        from_employee_id: get("from_employee_id"),
        to_employee_id: get("to_employee_id"),
        by_kind,
        by_counterparty,
        confirm: get("confirm"),
    }
}

async fn handover_page(
    ui: UiActor,
    State(s): State<AppState>,
    Query(q): Query<Values>,
) -> Response {
    let lang = current_lang();
    if let Err(e) = ui.actor.require(Right::LeadDepartment) {
        return error_page(lang, &e);
    }
    let input = input_of(&q);
    let preview = if input.from_employee_id.is_some() || input.to_employee_id.is_some() {
        Some(s.app.handover_preview(&ui.actor, &input).await)
    } else {
        None
    };
    handover_view(lang, &ui, &s, &q, preview, None).await
}

fn reason(lang: Lang, r: &str) -> &'static str {
    match r {
        "draft" => lang.t("черновик", "draft"),
        "open_order" => lang.t("незакрытый заказ", "open order"),
        "reminder" => lang.t("напоминание", "reminder"),
        "replacement_due" => lang.t("ждёт замены", "replacement due"),
        "posted" => lang.t("проведён", "posted"),
        "cancelled" => lang.t("отменён", "cancelled"),
        _ => "",
    }
}

fn grouped(lang: Lang, h: &Handover) -> Markup {
    html! {
        @for g in &h.receivers {
            @if !g.counterparties.is_empty() || !g.documents.is_empty() || !g.reminders.is_empty() {
                div.card.receiver {
                    h2 { (lang.t("Получает ", "To ")) (g.employee_name) }
                    p.muted {
                        (lang.t("Контрагентов: ", "Counterparties: ")) (g.counterparties.len())
                        (lang.t(", документов: ", ", documents: ")) (g.documents.len())
                        @for k in &g.kinds { " · " (kind_label(lang, &k.kind)) ": " (k.count) }
                    }
                    @if !g.counterparties.is_empty() {
                        h3 { (lang.t("Контрагенты", "Counterparties")) }
                        ul { @for m in &g.counterparties { li { a href=(format!("/counterparties/{}", m.id)) { (m.title) } } } }
                    }
                    @if !g.reminders.is_empty() {
                        h3 { (lang.t("Напоминания, которые теперь придут ему", "Reminders that will now reach them")) }
                        table.reminders {
                            tr { th { (lang.t("Когда", "When")) } th { (lang.t("Документ", "Document")) } th { (lang.t("Статус", "Status")) } th { (lang.t("Заметка", "Note")) } }
                            @for r in &g.reminders {
                                tr {
                                    td { (date_ru(&r.effective_date)) }
                                    td { a href=(doc_href(&r.kind, r.document_id)) { (kind_label(lang, &r.kind)) " " (r.number) } }
                                    td { (if lang.ru() { &r.status_name_ru } else { &r.status_name_en }) }
                                    td { (r.note) }
                                }
                            }
                        }
                    }
                    @if !g.documents.is_empty() {
                        h3 { (lang.t("Документы", "Documents")) }
                        ul { @for m in &g.documents { li { a href=(doc_href(&m.kind, m.id)) { (kind_label(lang, &m.kind)) " " (m.title) } " " span.muted { (reason(lang, &m.reason)) } } } }
                    }
                }
            }
        }
    }
}

async fn handover_view(
    lang: Lang,
    ui: &UiActor,
    s: &AppState,
    q: &Values,
    preview: Option<Result<Handover, AppError>>,
    done: Option<Handover>,
) -> Response {
    let people = opts(&names(&s.app, "SELECT id, name FROM employees WHERE archived = 0").await);
    let everyone = opts(&names(&s.app, "SELECT id, name FROM employees").await);
    let clients = opts(
        &names(
            &s.app,
            "SELECT id, name FROM counterparties WHERE archived = 0",
        )
        .await,
    );
    let kinds: Vec<(String, String)> = DocKind::ALL
        .iter()
        .map(|k| (k.code().to_string(), k.label(lang.ru()).to_string()))
        .collect();
    let val = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    let hidden = |v: &Values| {
        let mut keys: Vec<&String> = v
            .keys()
            .filter(|k| *k != "csrf" && *k != "confirm")
            .collect();
        keys.sort();
        html! { @for k in keys { input type="hidden" name=(k) value=(v[k]); } }
    };
    let body = html! {
        h1 { (lang.t("Передача дел", "Hand-over")) }
        p.muted { (lang.t("Всё, за что отвечает сотрудник, — его клиенты и документы любого вида и состояния, включая закрытые с напоминаниями на будущее, — переходит другим сотрудникам. Можно разделить: документы одного вида или одного клиента — другому получателю (вид важнее клиента).", "Everything an employee is responsible for — their clients and documents of every kind and state, closed ones with future reminders included — moves to others. It may be split: documents of a kind or of a client to another receiver (a kind rule wins over a client rule).")) }
        @if let Some(h) = &done {
            div.alert.ok { (lang.t("Передано: контрагентов ", "Moved: counterparties ")) (h.counterparties.len()) (lang.t(", документов ", ", documents ")) (h.documents.len()) }
            (grouped(lang, h))
        }
        form method="get" action="/handover" {
            p {
                (lang.t("От", "From")) " " (select("from_employee_id", &everyone, val("from_employee_id"), "—"))
                " " (lang.t("всё остальное — ", "everything else to ")) (select("to_employee_id", &people, val("to_employee_id"), "—"))
            }
            h3 { (lang.t("Документы вида — другому", "Documents of a kind to another")) }
            @for i in 0..RULES {
                p.rule {
                    select name=(format!("kind_{i}")) {
                        option value="" { "—" }
                        @for (c, l) in &kinds { option value=(c) selected[val(&format!("kind_{i}")) == c] { (l) } }
                    }
                    " → " (select(&format!("kind_to_{i}"), &people, val(&format!("kind_to_{i}")), "—"))
                }
            }
            h3 { (lang.t("Клиент и его документы — другому", "A client and their documents to another")) }
            @for i in 0..RULES {
                p.rule {
                    (select(&format!("cp_{i}"), &clients, val(&format!("cp_{i}")), "—"))
                    " → " (select(&format!("cp_to_{i}"), &people, val(&format!("cp_to_{i}")), "—"))
                }
            }
            button.btn.light type="submit" { (lang.t("Что будет передано", "Preview")) }
        }
        @match &preview {
            Some(Err(e)) => { (super::refusal::Refusal::of(lang, e).summary(lang, &|_| false)) }
            Some(Ok(h)) => {
                h2 { (lang.t("Будет передано", "What moves")) ": " (h.counterparties.len()) (lang.t(" контрагентов, ", " counterparties, ")) (h.documents.len()) (lang.t(" документов", " documents")) }
                (grouped(lang, h))
                form.confirm method="post" action="/handover" {
                    input type="hidden" name="csrf" value=(ui.csrf);
                    (hidden(q))
                    label { input type="checkbox" name="confirm" value="true" required; " " (lang.t("Я проверил список и подтверждаю передачу", "I have checked the list and confirm the hand-over")) }
                    " "
                    button.btn type="submit" { (lang.t("Передать", "Hand over")) }
                }
            }
            None => {}
        }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Передача дел", "Hand-over"),
        "/handover",
        body,
    )
}

async fn handover_do(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let input = input_of(&f);
    match s.app.handover(&ui.actor, &input).await {
        Ok(h) => handover_view(lang, &ui, &s, &Values::new(), None, Some(h)).await,
        // The same choices again, with the reason; nothing moved.
        Err(e) => {
            let status = crate::error::status_of(&e);
            let mut r = handover_view(lang, &ui, &s, &f, Some(Err(e)), None).await;
            *r.status_mut() = status;
            r
        }
    }
}
