//! The client's card: contact persons, recording an interaction, the latest
//! of the timeline; the full timeline page and an interaction's page.

use super::check_csrf;
use super::documents::date_ru;
use super::forms::Values;
use super::layout::{error_page, not_found_page, page};
use super::master::{card_refused, Counterparties};
use super::refusal::Refusal;
use super::status::{kind_label, status_block};
use super::trade::{doc_href, names, opts, select};
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kupets_app::contact::ContactInput;
use kupets_app::interaction::{channel_label, InteractionInput, CHANNELS};
use kupets_app::timeline::{TimelineEvent, TimelineFilter};
use kupets_app::{Actor, App, AppError};
use kupets_domain::{DocKind, Money};
use maud::{html, Markup};

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/counterparties/{id}/contacts", post(contact_add))
        .route(
            "/counterparties/{id}/contacts/{contact}/archive",
            post(contact_archive),
        )
        .route("/counterparties/{id}/timeline", get(timeline_page))
        .route("/interactions", post(interaction_add))
        .route("/interactions/{id}", get(interaction_page))
}

fn events(lang: Lang, items: &[TimelineEvent]) -> Markup {
    html! {
        table.list.timeline {
            tr { th { (lang.t("Когда", "When")) } th { (lang.t("Что", "What")) } th { (lang.t("Подробно", "Details")) } th.num { (lang.t("Сумма", "Amount")) } th { (lang.t("Сотрудник", "Employee")) } }
            @for e in items {
                tr {
                    td { (super::words::datetime(lang, &e.at)) }
                    td {
                        a href=(doc_href(&e.kind, e.document_id)) { (kind_label(lang, &e.kind)) " " (e.number) }
                        @if e.event == "status" { " " span.tag { (lang.t("статус", "status")) } }
                        @if !e.channel.is_empty() { " " span.tag { (channel_label(&e.channel, lang.ru())) } }
                    }
                    td {
                        @if e.event == "status" {
                            @let (ru, en) = e.title.split_once(" / ").unwrap_or((&e.title, &e.title));
                            b { (if lang.ru() { ru } else { en }) }
                            @if let Some(d) = &e.effective_date { " " span.muted { (lang.t("с ", "from ")) (date_ru(d)) } }
                        } @else { (e.title) }
                        @if !e.note.is_empty() { br; span.muted { (e.note) } }
                    }
                    td.num { @if e.event == "document" && e.amount != 0 { (Money(e.amount).to_ru()) } }
                    td { (e.employee_name.clone().unwrap_or_default()) }
                }
            }
        }
    }
}

/// On the counterparty's card.
pub async fn card_block(
    app: &App,
    a: &Actor,
    lang: Lang,
    id: i64,
    csrf: &str,
    refusal: &Refusal,
) -> Result<Markup, AppError> {
    let contacts = app.list_contacts(a, id, false).await?;
    // After a refusal, the form that was sent shows what was typed.
    let ca = format!("/counterparties/{id}/contacts");
    let c = |name: &str| refusal.value(&ca, name, "");
    let ia = "/interactions";
    let i = |name: &str, default: &str| refusal.value(ia, name, default);
    let feed = app
        .timeline(
            a,
            id,
            &TimelineFilter {
                limit: Some(20),
                ..Default::default()
            },
        )
        .await?;
    let people = opts(&names(app, "SELECT id, name FROM employees WHERE archived = 0").await);
    let now = chrono::Local::now().format("%Y-%m-%dT%H:%M").to_string();
    Ok(html! {
        div.card.contacts {
            h2 { (lang.t("Контактные лица", "Contact persons")) }
            @if contacts.is_empty() { p.muted { (lang.t("Пока никого.", "None yet.")) } }
            @else {
                table.list {
                    tr { th { (lang.t("Имя", "Name")) } th { (lang.t("Должность", "Position")) } th { (lang.t("Телефон", "Phone")) } th { "E-mail" } th { (lang.t("Заметка", "Note")) } th {} }
                    @for k in &contacts {
                        tr {
                            td { (k.name) } td { (k.position) } td { (k.phone) } td { (k.email) } td { (k.note) }
                            td { form method="post" action=(format!("/counterparties/{id}/contacts/{}/archive", k.id)) {
                                input type="hidden" name="csrf" value=(csrf);
                                button.btn.light type="submit" { (lang.t("В архив", "Archive")) }
                            } }
                        }
                    }
                }
            }
            form.inline #contact-form method="post" action=(ca) {
                input type="hidden" name="csrf" value=(csrf);
                input type="text" name="name" value=(c("name")) placeholder=(lang.t("Имя", "Name")) required;
                input type="text" name="position" value=(c("position")) placeholder=(lang.t("Должность", "Position"));
                input type="text" name="phone" value=(c("phone")) placeholder=(lang.t("Телефон", "Phone"));
                input type="email" name="email" value=(c("email")) placeholder="E-mail";
                input type="text" name="note" value=(c("note")) placeholder=(lang.t("Заметка", "Note"));
                button.btn.light type="submit" { (lang.t("Добавить контакт", "Add contact")) }
            }
            @for f in ["name", "position", "phone", "email", "note"] { (refusal.at_form(lang, &ca, f)) }
        }
        div.card.interaction {
            h2 { (lang.t("Записать контакт с клиентом", "Record an interaction")) }
            form method="post" action=(ia) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="counterparty_id" value=(id);
                p.inline {
                    @let kind = i("kind", "");
                    select name="kind" { @for (c, ru, en) in CHANNELS { option value=(c) selected[kind == *c] { (if lang.ru() { ru } else { en }) } } }
                    input type="datetime-local" name="at" value=(i("at", &now));
                    @let contact = i("contact_id", "");
                    select name="contact_id" {
                        option value="" { (lang.t("Контактное лицо", "Contact person")) }
                        @for k in &contacts { option value=(k.id) selected[contact == k.id.to_string()] { (k.name) } }
                    }
                    (select("responsible_id", &people, &i("responsible_id", ""), lang.t("Ответственный: менеджер клиента", "Responsible: the client's manager")))
                }
                @for f in ["kind", "at", "contact_id", "responsible_id"] { (refusal.at_form(lang, ia, f)) }
                p { input type="text" name="subject" value=(i("subject", "")) placeholder=(lang.t("Тема", "Subject")) required style="width:100%"; (refusal.at_form(lang, ia, "subject")) }
                p { textarea name="text" rows="3" placeholder=(lang.t("Содержание", "Text")) style="width:100%" { (i("text", "")) } (refusal.at_form(lang, ia, "text")) }
                p.inline {
                    (lang.t("Перезвонить", "Call back on")) " " input type="date" name="remind_on" value=(i("remind_on", ""));
                    input type="text" name="remind_note" value=(i("remind_note", "")) placeholder=(lang.t("Заметка к напоминанию", "Reminder note"));
                    button.btn type="submit" { (lang.t("Записать", "Record")) }
                }
                @for f in ["remind_on", "remind_note"] { (refusal.at_form(lang, ia, f)) }
            }
        }
        div.card.timeline {
            h2 { (lang.t("Лента клиента", "Client timeline")) " " a.btn.light href=(format!("/counterparties/{id}/timeline")) { (lang.t("Вся лента", "Full timeline")) } }
            @if feed.items.is_empty() { p.muted { (lang.t("Событий пока нет.", "No events yet.")) } }
            @else { (events(lang, &feed.items)) }
        }
    })
}

async fn contact_add(
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
    let input = ContactInput {
        name: g("name"),
        position: g("position"),
        phone: g("phone"),
        email: g("email"),
        note: g("note"),
        archived: None,
    };
    match s.app.save_contact(&ui.actor, id, None, &input).await {
        Ok(_) => Redirect::to(&format!("/counterparties/{id}")).into_response(),
        Err(e) => {
            let r = Refusal::of_form(lang, &e, &format!("/counterparties/{id}/contacts"), &f);
            card_refused::<Counterparties>(&ui, &s, id, &r).await
        }
    }
}

async fn contact_archive(
    ui: UiActor,
    State(s): State<AppState>,
    Path((id, contact)): Path<(String, String)>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let (Ok(id), Ok(contact)) = (id.parse::<i64>(), contact.parse::<i64>()) else {
        return not_found_page(lang);
    };
    let res = async {
        let all = s.app.list_contacts(&ui.actor, id, true).await?;
        let k = all
            .into_iter()
            .find(|k| k.id == contact)
            .ok_or(AppError::NotFound { entity: "contact" })?;
        let input = ContactInput {
            name: Some(k.name),
            position: Some(k.position),
            phone: Some(k.phone),
            email: Some(k.email),
            note: Some(k.note),
            archived: Some("true".into()),
        };
        s.app
            .save_contact(&ui.actor, id, Some(contact), &input)
            .await
    };
    match res.await {
        Ok(_) => Redirect::to(&format!("/counterparties/{id}")).into_response(),
        Err(e) => {
            let r = Refusal::of_form(
                lang,
                &e,
                &format!("/counterparties/{id}/contacts/{contact}/archive"),
                &f,
            );
            card_refused::<Counterparties>(&ui, &s, id, &r).await
        }
    }
}

async fn interaction_add(
    ui: UiActor,
    State(s): State<AppState>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let g = |k: &str| f.get(k).cloned().filter(|v| !v.trim().is_empty());
    let input = InteractionInput {
        counterparty_id: g("counterparty_id"),
        at: g("at"),
        kind: g("kind"),
        contact_id: g("contact_id"),
        subject: g("subject"),
        text: g("text"),
        responsible_id: g("responsible_id"),
        remind_on: g("remind_on"),
        remind_note: g("remind_note"),
    };
    match s.app.create_interaction(&ui.actor, &input).await {
        Ok(i) => Redirect::to(&format!("/interactions/{}", i.id)).into_response(),
        // Back to the client's card with the record as it was typed.
        Err(e) => match input
            .counterparty_id
            .as_deref()
            .and_then(|c| c.parse::<i64>().ok())
        {
            Some(id) => {
                let r = Refusal::of_form(lang, &e, "/interactions", &f);
                card_refused::<Counterparties>(&ui, &s, id, &r).await
            }
            None => error_page(lang, &e),
        },
    }
}

async fn interaction_page(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(current_lang());
    };
    interaction_view(&ui, &s, id, &Refusal::none()).await
}

/// An interaction's page; after a refused status or responsible form, that
/// form as it was sent with the message at it.
pub(crate) async fn interaction_view(
    ui: &UiActor,
    s: &AppState,
    id: i64,
    refusal: &Refusal,
) -> Response {
    let lang = current_lang();
    let i = match s.app.get_interaction(&ui.actor, id).await {
        Ok(i) => i,
        Err(e) => return error_page(lang, &e),
    };
    let block = status_block(lang, ui, &s.app, id, DocKind::Interaction, refusal).await;
    let body = html! {
        h1 { (channel_label(&i.kind, lang.ru())) " " (i.number) }
        div.card {
            dl.props {
                dt { (lang.t("Когда", "When")) } dd { (super::words::datetime(lang, &i.at)) }
                dt { (lang.t("Клиент", "Client")) } dd { a href=(format!("/counterparties/{}", i.counterparty_id)) { (i.counterparty_name) } }
                dt { (lang.t("Контактное лицо", "Contact person")) } dd { (i.contact_name.clone().unwrap_or_default()) }
                dt { (lang.t("Тема", "Subject")) } dd { b { (i.subject) } }
                dt { (lang.t("Содержание", "Text")) } dd { (i.text) }
            }
        }
        (block)
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        &format!("{} {}", lang.t("Контакт", "Interaction"), i.number),
        "/counterparties",
        body,
    ))
}

async fn timeline_page(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(f): Query<TimelineFilter>,
) -> Response {
    let lang = current_lang();
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(lang);
    };
    let name = match s.app.get_counterparty(&ui.actor, id).await {
        Ok(c) => c.counterparty.name,
        Err(e) => return error_page(lang, &e),
    };
    let feed = s.app.timeline(&ui.actor, id, &f).await;
    let cur = |v: &Option<String>| v.clone().unwrap_or_default();
    let kind = cur(&f.kind);
    let body = html! {
        h1 { (lang.t("Лента клиента", "Client timeline")) ": " a href=(format!("/counterparties/{id}")) { (name) } }
        form.inline method="get" action=(format!("/counterparties/{id}/timeline")) {
            select name="kind" {
                option value="" { (lang.t("Все события", "All events")) }
                option value="status" selected[kind == "status"] { (lang.t("Смены статусов", "Status changes")) }
                @for k in DocKind::ALL { option value=(k.code()) selected[kind == k.code()] { (k.label(lang.ru())) } }
            }
            (lang.t("с", "from")) input type="date" name="from" value=(cur(&f.from));
            (lang.t("по", "to")) input type="date" name="to" value=(cur(&f.to));
            button.btn.light type="submit" { (lang.t("Показать", "Show")) }
        }
        @match &feed {
            Err(e) => { div.alert { (e.message(lang.ru())) } }
            Ok(p) => {
                @if p.items.is_empty() { p.muted { (lang.t("Событий нет.", "No events.")) } }
                @else { (events(lang, &p.items)) }
                @if let Some(c) = &p.next_cursor {
                    p { a.btn.light href=(format!("/counterparties/{id}/timeline?kind={}&from={}&to={}&cursor={c}", kind, cur(&f.from), cur(&f.to))) { (lang.t("Дальше →", "Older →")) } }
                }
            }
        }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Лента клиента", "Client timeline"),
        "/counterparties",
        body,
    )
}
