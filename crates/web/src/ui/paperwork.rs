//! Pages of the paperwork: the company card (requisites, signatories, bank
//! accounts), invoices («Выставить счёт» on an order, the invoice with its
//! payments), printable forms as HTML with a PDF download, "send to client",
//! mail settings with the outbox, and the personal digest switch. Blocks for
//! the order, shipment, repair and counterparty pages live here too.

use super::check_csrf;
use super::documents::date_ru;
use super::forms::{button_form, input_of, values_of, Values};
use super::layout::{error_page, not_found_page, page, state_tag};
use super::master::{card_refused, Counterparties};
use super::refusal::Refusal;
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kupets_app::company::{BankAccountInput, CompanyInput};
use kupets_app::document::{CancelInput, DocFilter};
use kupets_app::invoice::{InvoiceInput, InvoiceLineInput};
use kupets_app::mail::{state_label as mail_state, MailSettingsInput, OutboxEntry, SendInput};
use kupets_app::{Actor, App, AppError};
use kupets_domain::role::Right;
use kupets_domain::{DocKind, Money};
use kupets_store::model::Document;
use maud::{html, Markup};

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/company", get(company_page).post(company_save))
        .route("/company/accounts", post(company_account_add))
        .route(
            "/company/accounts/{id}/archive",
            post(company_account_archive),
        )
        .route("/mail-settings", get(mail_page).post(mail_save))
        .route("/my/digest", get(digest_page).post(digest_save))
        .route("/invoices", get(invoice_list).post(invoice_create))
        .route("/invoices/new", get(invoice_new))
        .route("/invoices/{id}", get(invoice_show))
        .route("/invoices/{id}/post", post(invoice_post))
        .route("/invoices/{id}/cancel", post(invoice_cancel))
        .route("/invoices/{id}/send", post(invoice_send))
        .route("/sales-orders/{id}/invoice", post(order_invoice))
        .route("/papers/{id}/{paper}", get(paper_html))
        .route("/papers/{id}/{paper}/pdf", get(paper_pdf))
        .route("/shipments/{id}/send", post(shipment_send))
        .route("/counterparties/{id}/reconciliation.pdf", get(recon_pdf))
        .route("/counterparties/{id}/send-reconciliation", post(recon_send))
        .route("/counterparties/{id}/accounts", post(cp_account_add))
        .route(
            "/counterparties/{id}/accounts/{account}/archive",
            post(cp_account_archive),
        )
}

fn parse_id(s: &str) -> Option<i64> {
    s.parse::<i64>().ok()
}

// ---------- company card ----------

async fn company_view(ui: &UiActor, app: &App, refusal: &Refusal) -> Response {
    let lang = current_lang();
    let c = match app.company().await {
        Ok(c) => c,
        Err(e) => return error_page(lang, &e),
    };
    let v = if refusal.form == "/company" {
        refusal.typed.clone()
    } else {
        values_of(&c)
    };
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let admin = ui.actor.can(Right::ManagePeople);
    let text = |name: &'static str, ru: &'static str, en: &'static str| {
        html! { label.l for=(name) { (lang.t(ru, en)) } div.f { input type="text" id=(name) name=(name) value=(g(name)) disabled[!admin]; (refusal.at_form(lang, "/company", name)) } }
    };
    let body = html! {
        h1 { (lang.t("Реквизиты компании", "Company card")) }
        (refusal.summary(lang, &|_| false))
        div.card {
            form.grid method="post" action="/company" {
                input type="hidden" name="csrf" value=(ui.csrf);
                (text("short_name", "Краткое наименование *", "Short name *"))
                (text("full_name", "Полное наименование", "Full name"))
                (text("inn", "ИНН", "INN"))
                (text("kpp", "КПП", "KPP"))
                (text("ogrn", "ОГРН / ОГРНИП", "OGRN / OGRNIP"))
                (text("legal_address", "Юридический адрес", "Legal address"))
                (text("postal_address", "Почтовый адрес", "Postal address"))
                (text("phone", "Телефон", "Phone"))
                (text("email", "Эл. почта", "E-mail"))
                (text("director_position", "Должность руководителя", "Director's position"))
                (text("director_name", "Руководитель (Ф. И. О.)", "Director (name)"))
                (text("accountant_position", "Должность бухгалтера", "Accountant's position"))
                (text("accountant_name", "Главный бухгалтер (Ф. И. О.)", "Chief accountant (name)"))
                label.l for="vat_payer" { (lang.t("Плательщик НДС", "VAT payer")) }
                div.f { select id="vat_payer" name="vat_payer" disabled[!admin] {
                    option value="true" selected[g("vat_payer") != "false"] { (lang.t("Да (УПД со статусом 1)", "Yes (УПД status 1)")) }
                    option value="false" selected[g("vat_payer") == "false"] { (lang.t("Нет, УСН: «Без НДС» (УПД со статусом 2)", "No, simplified tax: «Без НДС» (УПД status 2)")) }
                } }
                label.l for="shipment_form" { (lang.t("Отгрузка печатается как", "Shipments print as")) }
                div.f { select id="shipment_form" name="shipment_form" disabled[!admin] {
                    option value="upd" selected[g("shipment_form") != "torg12"] { "УПД" }
                    option value="torg12" selected[g("shipment_form") == "torg12"] { "ТОРГ-12" }
                } }
                label.l for="warranty_terms" { (lang.t("Условия гарантии (для талона)", "Warranty terms (for the card)")) }
                div.f { textarea id="warranty_terms" name="warranty_terms" disabled[!admin] { (g("warranty_terms")) } }
                @if admin { div.actions { button.btn type="submit" { (lang.t("Сохранить", "Save")) } } }
            }
        }
        h2 { (lang.t("Банковские счета", "Bank accounts")) }
        (accounts_table(lang, &ui.csrf, &c.bank_accounts, admin.then_some("/company/accounts")))
        @if admin { (account_form(lang, &ui.csrf, "/company/accounts", true, refusal)) }
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Реквизиты компании", "Company card"),
        "/company",
        body,
    ))
}

fn accounts_table(
    lang: Lang,
    csrf: &str,
    accounts: &[kupets_app::company::BankAccount],
    archive_base: Option<&str>,
) -> Markup {
    html! {
        @if accounts.is_empty() { p.muted { (lang.t("Счетов нет.", "No accounts.")) } }
        @else {
            table.list {
                tr { th { (lang.t("Банк", "Bank")) } th { (lang.t("БИК", "BIC")) } th { (lang.t("Корр. счёт", "Corr. account")) } th { (lang.t("Расчётный счёт", "Account")) } th {} }
                @for a in accounts {
                    tr {
                        td { (a.bank_name) @if a.is_main { " " span.tag { (lang.t("основной", "main")) } } @if a.archived { " " span.muted { (lang.t("(в архиве)", "(archived)")) } } }
                        td { (a.bic) } td { (a.corr_account) } td { (a.account) }
                        td { @if let (Some(base), false) = (archive_base, a.archived) { (button_form(&format!("{base}/{}/archive", a.id), csrf, lang.t("В архив", "Archive"), "btn light")) } }
                    }
                }
            }
        }
    }
}

/// Adding a bank account; after a refusal, with what was typed.
fn account_form(lang: Lang, csrf: &str, action: &str, ours: bool, refusal: &Refusal) -> Markup {
    let v = |name: &str| refusal.value(action, name, "");
    html! {
        form method="post" action=(action) style="display:flex;gap:6px;flex-wrap:wrap;margin-top:8px" {
            input type="hidden" name="csrf" value=(csrf);
            input type="text" name="bank_name" value=(v("bank_name")) placeholder=(lang.t("Банк", "Bank")) required;
            input type="text" name="bic" value=(v("bic")) placeholder=(lang.t("БИК", "BIC")) size="10" required;
            input type="text" name="corr_account" value=(v("corr_account")) placeholder=(lang.t("Корр. счёт", "Corr. account")) size="22";
            input type="text" name="account" value=(v("account")) placeholder=(lang.t("Расчётный счёт", "Account")) size="22" required;
            @if ours { label { input type="checkbox" name="is_main" value="true" checked[v("is_main") == "true"]; " " (lang.t("основной", "main")) } }
            button.btn.light type="submit" { (lang.t("Добавить счёт", "Add account")) }
        }
        @for f in ["bank_name", "bic", "corr_account", "account", "is_main"] { (refusal.at_form(lang, action, f)) }
    }
}

async fn company_page(ui: UiActor, State(s): State<AppState>) -> Response {
    company_view(&ui, &s.app, &Refusal::none()).await
}

async fn company_save(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let input: CompanyInput = input_of(&f);
    match s.app.save_company(&ui.actor, &input).await {
        Ok(_) => Redirect::to("/company").into_response(),
        Err(e) => {
            let r = Refusal::of_form(current_lang(), &e, "/company", &f);
            company_view(&ui, &s.app, &r).await
        }
    }
}

async fn company_account_add(
    ui: UiActor,
    State(s): State<AppState>,
    Form(f): Form<Values>,
) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let input: BankAccountInput = input_of(&f);
    match s.app.add_company_account(&ui.actor, &input).await {
        Ok(_) => Redirect::to("/company").into_response(),
        Err(e) => {
            let r = Refusal::of_form(current_lang(), &e, "/company/accounts", &f);
            company_view(&ui, &s.app, &r).await
        }
    }
}

async fn company_account_archive(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let Some(id) = parse_id(&id) else {
        return not_found_page(current_lang());
    };
    match s.app.archive_company_account(&ui.actor, id).await {
        Ok(_) => Redirect::to("/company").into_response(),
        Err(e) => {
            let action = format!("/company/accounts/{id}/archive");
            company_view(
                &ui,
                &s.app,
                &Refusal::of_form(current_lang(), &e, &action, &f),
            )
            .await
        }
    }
}

// ---------- mail settings, outbox, digest ----------

fn outbox_table(lang: Lang, rows: &[OutboxEntry]) -> Markup {
    html! {
        @if rows.is_empty() { p.muted { (lang.t("Писем не было.", "No messages.")) } }
        @else {
            table.list {
                tr { th { (lang.t("Создано", "Created")) } th { (lang.t("Кому", "To")) } th { (lang.t("Тема", "Subject")) } th { (lang.t("Вложение", "Attachment")) } th { (lang.t("Состояние", "State")) } th { (lang.t("Попыток", "Tries")) } }
                @for m in rows {
                    tr {
                        td { (super::words::datetime(lang, &m.created_at)) }
                        td { (m.to_addr) } td { (m.subject) } td { (m.attachment_name) }
                        td { span class=(format!("tag mail-{}", m.state)) { (mail_state(&m.state, lang.ru())) }
                            @if !m.last_error.is_empty() { br; span.muted { (m.last_error) } }
                            @if m.state == "queued" && m.attempts > 0 { br; span.muted { (lang.t("следующая попытка: ", "next try: ")) (super::words::datetime(lang, &m.next_attempt_at)) } } }
                        td.num { (m.attempts) }
                    }
                }
            }
        }
    }
}

async fn mail_view(ui: &UiActor, app: &App, refusal: &Refusal) -> Response {
    let lang = current_lang();
    let res = async {
        Ok::<_, AppError>((
            app.mail_settings(&ui.actor).await?,
            app.outbox(&ui.actor, None).await?,
        ))
    };
    let (m, outbox) = match res.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    // After a refusal the form shows what was typed (never the password).
    let a = "/mail-settings";
    let v = |name: &str, saved: &str| refusal.value(a, name, saved);
    let at = |name: &str| refusal.at_form(lang, a, name);
    let port = m.port.to_string();
    let security = v("security", &m.security);
    let body = html! {
        h1 { (lang.t("Почта (SMTP)", "E-mail (SMTP)")) }
        (refusal.summary(lang, &|f| refusal.form == a && ["host", "port", "security", "username", "password", "from_addr", "digest_time"].contains(&f)))
        div.card {
            form.grid method="post" action="/mail-settings" {
                input type="hidden" name="csrf" value=(ui.csrf);
                label.l { (lang.t("SMTP-сервер", "SMTP server")) } div.f { input type="text" name="host" value=(v("host", &m.host)); (at("host")) }
                label.l { (lang.t("Порт", "Port")) } div.f { input type="text" name="port" value=(v("port", &port)); (at("port")) }
                label.l { (lang.t("Защита", "Security")) } div.f { select name="security" {
                    @for (k, l) in [("starttls", "STARTTLS"), ("tls", "TLS (465)"), ("none", lang.t("нет", "none"))] { option value=(k) selected[security == k] { (l) } }
                } (at("security")) }
                label.l { (lang.t("Логин", "User name")) } div.f { input type="text" name="username" value=(v("username", &m.username)); (at("username")) }
                label.l { (lang.t("Пароль", "Password")) } div.f {
                    input type="password" name="password" value="" autocomplete="new-password" placeholder=(if m.password_set { lang.t("сохранён — оставьте пустым, чтобы не менять", "stored — leave empty to keep") } else { "" });
                    @if m.password_set { label { input type="checkbox" name="clear_password" value="true"; " " (lang.t("удалить сохранённый пароль", "forget the stored password")) } }
                    (at("password"))
                }
                label.l { (lang.t("Адрес отправителя", "Sender address")) } div.f { input type="text" name="from_addr" value=(v("from_addr", &m.from_addr)); (at("from_addr")) }
                label.l { (lang.t("Время ежедневной сводки (UTC)", "Daily digest time (UTC)")) } div.f { input type="text" name="digest_time" value=(v("digest_time", &m.digest_time)); (at("digest_time")) }
                div.actions { button.btn type="submit" { (lang.t("Сохранить", "Save")) } }
            }
        }
        h2 { (lang.t("Исходящие письма", "Outgoing messages")) }
        (outbox_table(lang, &outbox))
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Почта", "E-mail"),
        "/mail-settings",
        body,
    ))
}

async fn mail_page(ui: UiActor, State(s): State<AppState>) -> Response {
    mail_view(&ui, &s.app, &Refusal::none()).await
}

async fn mail_save(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let input: MailSettingsInput = input_of(&f);
    match s.app.save_mail_settings(&ui.actor, &input).await {
        Ok(_) => Redirect::to("/mail-settings").into_response(),
        Err(e) => {
            let mut f = f;
            f.remove("password");
            let r = Refusal::of_form(current_lang(), &e, "/mail-settings", &f);
            mail_view(&ui, &s.app, &r).await
        }
    }
}

async fn digest_page(ui: UiActor, State(s): State<AppState>) -> Response {
    let lang = current_lang();
    let off = s.app.digest_opt_out(ui.actor.id()).await.unwrap_or(false);
    let body = html! {
        h1 { (lang.t("Ежедневная сводка напоминаний", "Daily reminder digest")) }
        div.card {
            p { (lang.t("Раз в день на вашу почту приходит список напоминаний на сегодня и просроченных.", "Once a day your reminders due today and overdue come to your e-mail."))
                " " (lang.t("Адрес: ", "Address: ")) b { (if ui.actor.employee.email.is_empty() { lang.t("не указан", "not set") } else { &ui.actor.employee.email }) } }
            p { (lang.t("Сейчас: ", "Now: ")) b { @if off { (lang.t("отключена", "off")) } @else { (lang.t("включена", "on")) } } }
            form method="post" action="/my/digest" {
                input type="hidden" name="csrf" value=(ui.csrf);
                input type="hidden" name="opt_out" value=(if off { "false" } else { "true" });
                button.btn type="submit" { @if off { (lang.t("Включить сводку", "Turn the digest on")) } @else { (lang.t("Отказаться от сводки", "Opt out of the digest")) } }
            }
        }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Сводка на почту", "Digest"),
        "/my/digest",
        body,
    )
}

async fn digest_save(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let off = f.get("opt_out").is_some_and(|v| v == "true");
    match s
        .app
        .set_digest_opt_out(&ui.actor, ui.actor.id(), off)
        .await
    {
        Ok(()) => Redirect::to("/my/digest").into_response(),
        Err(e) => error_page(current_lang(), &e),
    }
}

// ---------- invoices ----------

async fn names_of(app: &App) -> std::collections::HashMap<i64, String> {
    sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM counterparties")
        .fetch_all(app.store.reader())
        .await
        .map(|v| v.into_iter().collect())
        .unwrap_or_default()
}

async fn invoice_list(ui: UiActor, State(s): State<AppState>) -> Response {
    let lang = current_lang();
    let f = DocFilter {
        counterparty_id: None,
        state: None,
        limit: 200,
        before_id: None,
    };
    let docs = match s.app.list_documents(&ui.actor, DocKind::Invoice, &f).await {
        Ok(p) => p.items,
        Err(e) => return error_page(lang, &e),
    };
    let cps = names_of(&s.app).await;
    let body = html! {
        h1 { (lang.t("Счета на оплату", "Invoices")) }
        p.muted { (lang.t("Счёт выставляется из заказа покупателя кнопкой «Выставить счёт» или здесь — по номеру заказа или со своими строками.", "An invoice is made from a sales order with «Выставить счёт» (Issue an invoice), or here — by the order's number or with lines of its own.")) }
        p {
            @if ui.actor.can(Right::Sell) { a.btn href="/invoices/new" { "+ " (lang.t("Новый счёт", "New invoice")) } " " }
            a.btn.light href="/invoices/export.xlsx" { (lang.t("Скачать XLSX", "Download XLSX")) }
        }
        (super::trade::doc_table(lang, &docs, &cps))
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Счета", "Invoices"),
        "/invoices",
        body,
    )
}

fn send_form(
    lang: Lang,
    csrf: &str,
    action: &str,
    default_to: &str,
    paper_choice: bool,
    period: Option<(String, String)>,
    refusal: &Refusal,
) -> Markup {
    // A refused sending opens with what was typed and the message under it.
    let v = |name: &str, d: &str| refusal.value(action, name, d);
    let paper = v("paper", "");
    html! {
        details style="margin-top:12px" open[refusal.form == action] {
            summary { b { (lang.t("Отправить клиенту", "Send to the client")) } }
            form method="post" action=(action) style="display:flex;gap:6px;flex-wrap:wrap;margin-top:6px" {
                input type="hidden" name="csrf" value=(csrf);
                input type="text" name="to" value=(v("to", default_to)) placeholder=(lang.t("адрес", "address")) size="32";
                @if paper_choice { select name="paper" { option value="" { (lang.t("по настройке", "as set")) } option value="upd" selected[paper == "upd"] { "УПД" } option value="torg12" selected[paper == "torg12"] { "ТОРГ-12" } } }
                @if let Some((from, till)) = period { input type="date" name="from" value=(v("from", &from)); input type="date" name="till" value=(v("till", &till)); }
                input type="text" name="subject" value=(v("subject", "")) placeholder=(lang.t("тема (необязательно)", "subject (optional)")) size="30";
                button.btn type="submit" { (lang.t("Отправить с PDF", "Send with the PDF")) }
            }
            @for f in ["to", "paper", "from", "till", "subject"] { (refusal.at_form(lang, action, f)) }
        }
    }
}

async fn client_email(app: &App, cp: Option<i64>) -> String {
    match cp {
        Some(id) => {
            sqlx::query_scalar::<_, String>("SELECT email FROM counterparties WHERE id = $1")
                .bind(id)
                .fetch_optional(app.store.reader())
                .await
                .ok()
                .flatten()
                .unwrap_or_default()
        }
        None => String::new(),
    }
}

pub(crate) async fn invoice_view(
    ui: &UiActor,
    app: &App,
    id: i64,
    note: Option<String>,
    refusal: &Refusal,
) -> Response {
    let lang = current_lang();
    let inv = match app.get_invoice(&ui.actor, id).await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let d = &inv.document;
    let cps = names_of(app).await;
    let email = client_email(app, d.counterparty_id).await;
    let statuses = super::status::status_block(lang, ui, app, id, DocKind::Invoice, refusal).await;
    let paid = Money::parse(&inv.paid_amount).unwrap_or_default();
    let can = ui.actor.can(Right::Sell);
    let order_no = match d.order_id {
        Some(o) => super::pick::numbers(app, &[o]).await.remove(&o),
        None => None,
    };
    let cancel_action = format!("/invoices/{id}/cancel");
    let body = html! {
        p { a href="/invoices" { "← " (lang.t("Счета на оплату", "Invoices")) } }
        h1 { (lang.t("Счёт на оплату", "Invoice")) " " (d.number) " " (lang.t("от", "of")) " " (date_ru(&d.date)) " " (state_tag(lang, &d.state)) }
        @if let Some(n) = &note { div.alert { (n) } }
        (refusal.summary(lang, &|f| !refusal.form.is_empty() && ["to", "subject", "reason"].contains(&f)))
        div.card { dl.props {
            dt { (lang.t("Покупатель", "Customer")) } dd { @if let Some(c) = d.counterparty_id { a href=(format!("/counterparties/{c}")) { (cps.get(&c).cloned().unwrap_or_default()) } } }
            @if let Some(o) = d.order_id { dt { (lang.t("Заказ", "Order")) } dd { a href=(format!("/sales-orders/{o}")) { (order_no.clone().unwrap_or_else(|| format!("№ {o}"))) } } }
            dt { (lang.t("Сумма", "Total")) } dd { b { (Money(d.amount).to_ru()) } }
            dt { (lang.t("Оплатить до", "Due")) } dd { (date_ru(&inv.due_date)) }
            dt { (lang.t("Оплачено", "Paid")) } dd { (paid.to_ru()) " · " b.pay-state { (kupets_app::invoice::state_label(&inv.payment_state, lang.ru())) } }
        } }
        table.list {
            tr { th { "№" } th { (lang.t("Товар", "Product")) } th.num { (lang.t("Кол-во", "Qty")) } th.num { (lang.t("Цена", "Price")) } th.num { (lang.t("Сумма", "Amount")) } }
            @for l in &inv.lines { tr { td { (l.line_no) } td { (l.product_name) } td.num { (kupets_domain::Qty(l.qty).to_api()) } td.num { (Money(l.price).to_ru()) } td.num { (Money(l.amount).to_ru()) } } }
        }
        @if !inv.payments.is_empty() {
            h2 { (lang.t("Оплаты", "Payments")) }
            table.list { @for p in &inv.payments { tr { td { a href=(format!("/payments/{}", p.id)) { (p.number) } } td { (date_ru(&p.date)) } td.num { (Money(p.amount).to_ru()) } } } }
        }
        div.toolbar style="margin-top:14px" {
            a.btn.light href=(format!("/papers/{id}/invoice")) { (lang.t("Печатная форма", "Printable form")) }
            a.btn.light href=(format!("/papers/{id}/invoice/pdf")) { (lang.t("Скачать PDF", "Download PDF")) }
            @if d.state == "draft" && can { (button_form(&format!("/invoices/{id}/post"), &ui.csrf, lang.t("Выставить (провести)", "Issue (post)"), "btn")) }
            @if d.state == "posted" && inv.payment_state != "paid" && ui.actor.can(Right::PostSettlements) {
                a.btn href=(format!("/payments/new?invoice_id={id}&counterparty_id={}&amount={}", d.counterparty_id.unwrap_or(0), (Money(d.amount) - paid).to_api())) { (lang.t("Внести оплату", "Record a payment")) }
            }
        }
        @if d.state == "posted" && can { (send_form(lang, &ui.csrf, &format!("/invoices/{id}/send"), &email, false, None, refusal)) }
        @if d.state == "posted" && ui.actor.can(Right::CancelDocuments) {
            form method="post" action=(cancel_action) style="display:flex;gap:8px;margin-top:10px" {
                input type="hidden" name="csrf" value=(ui.csrf);
                input type="text" name="reason" value=(refusal.value(&cancel_action, "reason", "")) placeholder=(lang.t("Причина отмены", "Reason")) required style="flex:1";
                button.btn.danger type="submit" data-confirm=(lang.t("Отменить счёт? Отмена останется в истории.", "Cancel the invoice? The cancellation stays in the history.")) { (lang.t("Отменить счёт", "Cancel the invoice")) }
            }
            (refusal.at_form(lang, &cancel_action, "reason"))
        }
        (statuses)
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        &d.number,
        "/invoices",
        body,
    ))
}

async fn invoice_show(ui: UiActor, State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let Some(id) = parse_id(&id) else {
        return not_found_page(current_lang());
    };
    invoice_view(&ui, &s.app, id, None, &Refusal::none()).await
}

async fn invoice_post(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let Some(id) = parse_id(&id) else {
        return not_found_page(current_lang());
    };
    match s.app.post_invoice(&ui.actor, id).await {
        Ok(_) => Redirect::to(&format!("/invoices/{id}")).into_response(),
        Err(e) => refused_on_invoice(&ui, &s, id, &e, &format!("/invoices/{id}/post"), &f).await,
    }
}

async fn invoice_cancel(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let Some(id) = parse_id(&id) else {
        return not_found_page(current_lang());
    };
    let input: CancelInput = input_of(&f);
    match s
        .app
        .cancel_document(&ui.actor, DocKind::Invoice, id, &input)
        .await
    {
        Ok(_) => Redirect::to(&format!("/invoices/{id}")).into_response(),
        Err(e) => refused_on_invoice(&ui, &s, id, &e, &format!("/invoices/{id}/cancel"), &f).await,
    }
}

/// A refused action on an invoice's page: the page again, the form as it
/// was sent and the message at it; an invoice that cannot be read is the
/// error page.
async fn refused_on_invoice(
    ui: &UiActor,
    s: &AppState,
    id: i64,
    e: &AppError,
    action: &str,
    f: &Values,
) -> Response {
    let lang = current_lang();
    invoice_view(ui, &s.app, id, None, &Refusal::of_form(lang, e, action, f)).await
}

fn sent_note(lang: Lang, m: &OutboxEntry) -> String {
    format!(
        "{} {}: {}{}",
        lang.t("Письмо на", "Message to"),
        m.to_addr,
        mail_state(&m.state, lang.ru()),
        if m.last_error.is_empty() {
            String::new()
        } else {
            format!(" — {}", m.last_error)
        }
    )
}

async fn invoice_send(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let lang = current_lang();
    let Some(id) = parse_id(&id) else {
        return not_found_page(lang);
    };
    let input: SendInput = input_of(&f);
    match s.app.send_invoice(&ui.actor, id, &input).await {
        Ok(m) => invoice_view(&ui, &s.app, id, Some(sent_note(lang, &m)), &Refusal::none()).await,
        Err(e) => refused_on_invoice(&ui, &s, id, &e, &format!("/invoices/{id}/send"), &f).await,
    }
}

async fn order_invoice(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let Some(id) = parse_id(&id) else {
        return not_found_page(current_lang());
    };
    match s
        .app
        .invoice_order(&ui.actor, id, &Default::default())
        .await
    {
        Ok(v) => Redirect::to(&format!("/invoices/{}", v.document.id)).into_response(),
        // Back on the order, with the reason next to its buttons.
        Err(e) => {
            let lang = current_lang();
            let r = Refusal::of_form(lang, &e, &format!("/sales-orders/{id}/invoice"), &f);
            super::trade::show_refused(DocKind::SalesOrder, &ui, &s, id, &r).await
        }
    }
}

// ---------- a new invoice ----------

/// The invoice form: billed by an order's number (its customer and lines
/// are taken) or with lines of its own; after a refusal, with everything
/// typed and each message at its field or row.
async fn invoice_form(ui: &UiActor, s: &AppState, v: &Values, refusal: &Refusal) -> Response {
    let lang = current_lang();
    let cps = super::trade::opts(
        &super::trade::names(
            &s.app,
            "SELECT id, name FROM counterparties WHERE archived = 0 LIMIT 5000",
        )
        .await,
    );
    let products = super::trade::names(
        &s.app,
        "SELECT id, sku || ' — ' || name AS name FROM products WHERE archived = 0 LIMIT 5000",
    )
    .await;
    let accounts: Vec<(i64, String)> = s
        .app
        .company()
        .await
        .map(|c| {
            c.bank_accounts
                .into_iter()
                .filter(|a| !a.archived)
                .map(|a| (a.id, format!("{} · {}", a.bank_name, a.account)))
                .collect()
        })
        .unwrap_or_default();
    // The order arrives as an id (from its page) or as the typed number.
    let order_raw = v.get("order_id").cloned().unwrap_or_default();
    let order = match order_raw.trim().parse::<i64>() {
        Ok(id) => super::pick::numbers(&s.app, &[id])
            .await
            .remove(&id)
            .unwrap_or(order_raw),
        Err(_) => order_raw,
    };
    let g = |k: &str| v.get(k).cloned().unwrap_or_default();
    let at = |f: &str| refusal.at(lang, f);
    let placed = |f: &str| {
        f.starts_with("lines[")
            || [
                "order_id",
                "counterparty_id",
                "date",
                "due_date",
                "bank_account_id",
                "comment",
            ]
            .contains(&f)
    };
    let body = html! {
        p { a href="/invoices" { "← " (lang.t("Счета на оплату", "Invoices")) } }
        h1 { (lang.t("Новый счёт на оплату", "New invoice")) }
        (refusal.summary(lang, &placed))
        form #doc-form method="post" action="/invoices" {
            input type="hidden" name="csrf" value=(ui.csrf);
            div.card { dl.props {
                dt { label for="f_order_id" { (lang.t("Заказ", "Order")) } }
                dd { (super::pick::doc_input(lang, "order_id", &[DocKind::SalesOrder], &order)) div.hint { (lang.t("Покупатель и строки берутся из заказа; без заказа — заполните строки ниже", "The customer and lines come from the order; without one, fill in the lines below")) } (at("order_id")) }
                dt { (lang.t("Покупатель", "Customer")) } dd { (super::trade::select("counterparty_id", &cps, &g("counterparty_id"), "—")) (at("counterparty_id")) }
                dt { (lang.t("Дата", "Date")) } dd { input type="date" name="date" value=(g("date")); (at("date")) }
                dt { (lang.t("Оплатить до", "Due")) } dd { input type="date" name="due_date" value=(g("due_date")); div.hint { (lang.t("Пусто — через 5 дней", "Empty — in 5 days")) } (at("due_date")) }
                dt { (lang.t("Счёт для оплаты", "Pay to account")) } dd { (super::trade::select("bank_account_id", &accounts, &g("bank_account_id"), lang.t("основной", "the main one"))) (at("bank_account_id")) }
                dt { (lang.t("Комментарий", "Comment")) } dd { input type="text" name="comment" value=(g("comment")) style="width:100%"; (at("comment")) }
            } }
            (at("lines"))
            (super::lines::editor(lang, DocKind::Invoice, v, &products, false, refusal))
            p { button.btn type="submit" { (lang.t("Сохранить черновик", "Save draft")) } }
        }
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Счёт на оплату", "Invoice"),
        "/invoices",
        body,
    ))
}

async fn invoice_new(
    ui: UiActor,
    State(s): State<AppState>,
    Query(prefill): Query<Values>,
) -> Response {
    let mut v = prefill;
    v.insert("date".into(), kupets_app::today().to_string());
    invoice_form(&ui, &s, &v, &Refusal::none()).await
}

async fn invoice_create(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let lang = current_lang();
    // Rows renumbered as the app counts them; the order typed by number and
    // products by SKU resolved to ids.
    let mut g = super::lines::compact(&f);
    let mut errs = Vec::new();
    let order = g.get("order_id").cloned().unwrap_or_default();
    match super::pick::resolve_doc(&s, "order_id", &[DocKind::SalesOrder], &order).await {
        Ok(Some(id)) => {
            g.insert("order_id".into(), id.to_string());
        }
        Ok(None) => {}
        Err(e) => errs.push(e),
    }
    errs.extend(super::lines::resolve_products(&s, &mut g).await);
    let res = if errs.is_empty() {
        let o = |k: &str| g.get(k).cloned().filter(|v| !v.trim().is_empty());
        let input = InvoiceInput {
            order_id: o("order_id"),
            counterparty_id: o("counterparty_id"),
            date: o("date"),
            due_date: o("due_date"),
            bank_account_id: o("bank_account_id"),
            comment: o("comment"),
            lines: super::lines::filled_rows(&g)
                .into_iter()
                .map(|i| InvoiceLineInput {
                    product_id: o(&format!("l{i}_product")),
                    qty: o(&format!("l{i}_qty")),
                    price: o(&format!("l{i}_price")),
                })
                .collect(),
        };
        s.app.create_invoice(&ui.actor, &input).await
    } else {
        Err(AppError::Validation(errs))
    };
    match res {
        Ok(v) => Redirect::to(&format!("/invoices/{}", v.document.id)).into_response(),
        Err(e) => invoice_form(&ui, &s, &g, &Refusal::of(lang, &e)).await,
    }
}

// ---------- printable forms ----------

async fn paper_html(
    ui: UiActor,
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Response {
    let lang = current_lang();
    let Some(id) = parse_id(&id) else {
        return not_found_page(lang);
    };
    match crate::api::paperwork::build_paper(&s.app, &ui.actor, id, &name).await {
        Ok(form) => {
            let back = back_href(&s.app, id, &name).await;
            let nav = format!(
                "<a href=\"{back}\">← kupets</a> · <a href=\"javascript:window.print()\">Печать</a> · <a href=\"/papers/{id}/{name}/pdf\">PDF</a>"
            );
            Html(kupets_paper::render_html(&form, &nav)).into_response()
        }
        Err(e) => error_page(lang, &e),
    }
}

async fn back_href(app: &App, id: i64, name: &str) -> String {
    if name.starts_with("repair") {
        return format!("/repairs/{id}");
    }
    match app.kind_of(id).await {
        Ok(k) => super::trade::doc_href(k.code(), id),
        Err(_) => "/".into(),
    }
}

async fn paper_pdf(
    ui: UiActor,
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Response {
    let lang = current_lang();
    let Some(id) = parse_id(&id) else {
        return not_found_page(lang);
    };
    let res = async {
        let form = crate::api::paperwork::build_paper(&s.app, &ui.actor, id, &name).await?;
        crate::api::paperwork::form_response(&form, &form.title, false)
    };
    match res.await {
        Ok(r) => r,
        Err(e) => error_page(lang, &e),
    }
}

async fn shipment_send(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let lang = current_lang();
    let Some(id) = parse_id(&id) else {
        return not_found_page(lang);
    };
    let input: SendInput = input_of(&f);
    match s.app.send_shipment(&ui.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/shipments/{id}")).into_response(),
        Err(e) => {
            let r = Refusal::of_form(lang, &e, &format!("/shipments/{id}/send"), &f);
            super::trade::show_refused(DocKind::Shipment, &ui, &s, id, &r).await
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
}

async fn recon_pdf(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Period>,
) -> Response {
    let lang = current_lang();
    let Some(id) = parse_id(&id) else {
        return not_found_page(lang);
    };
    let res = async {
        let mut c = kupets_app::input::Check::new();
        let to = c.date("to", &q.to, kupets_app::today());
        let from = c.date(
            "from",
            &q.from,
            chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&to), 1, 1).unwrap_or(to),
        );
        c.done()?;
        let form = s.app.reconciliation_form(&ui.actor, id, from, to).await?;
        crate::api::paperwork::form_response(&form, &form.title, false)
    };
    match res.await {
        Ok(r) => r,
        Err(e) => error_page(lang, &e),
    }
}

async fn recon_send(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let lang = current_lang();
    let Some(id) = parse_id(&id) else {
        return not_found_page(lang);
    };
    let input: SendInput = input_of(&f);
    match s.app.send_reconciliation(&ui.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/counterparties/{id}")).into_response(),
        Err(e) => {
            let r = Refusal::of_form(
                lang,
                &e,
                &format!("/counterparties/{id}/send-reconciliation"),
                &f,
            );
            card_refused::<Counterparties>(&ui, &s, id, &r).await
        }
    }
}

async fn cp_account_add(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let lang = current_lang();
    let Some(id) = parse_id(&id) else {
        return not_found_page(lang);
    };
    let input: BankAccountInput = input_of(&f);
    match s.app.add_counterparty_account(&ui.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/counterparties/{id}")).into_response(),
        Err(e) => {
            let r = Refusal::of_form(lang, &e, &format!("/counterparties/{id}/accounts"), &f);
            card_refused::<Counterparties>(&ui, &s, id, &r).await
        }
    }
}

async fn cp_account_archive(
    ui: UiActor,
    State(s): State<AppState>,
    Path((id, account)): Path<(String, String)>,
    Form(f): Form<Values>,
) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let lang = current_lang();
    let (Some(id), Some(account)) = (parse_id(&id), parse_id(&account)) else {
        return not_found_page(lang);
    };
    match s
        .app
        .archive_counterparty_account(&ui.actor, id, account)
        .await
    {
        Ok(_) => Redirect::to(&format!("/counterparties/{id}")).into_response(),
        Err(e) => {
            let action = format!("/counterparties/{id}/accounts/{account}/archive");
            card_refused::<Counterparties>(&ui, &s, id, &Refusal::of_form(lang, &e, &action, &f))
                .await
        }
    }
}

// ---------- blocks on other pages ----------

/// On an order: its invoices with their payment state and «Выставить счёт»;
/// on a shipment: УПД / ТОРГ-12 / warranty card and "send to client".
pub async fn doc_block(
    lang: Lang,
    ui: &UiActor,
    app: &App,
    kind: DocKind,
    d: &Document,
    refusal: &Refusal,
) -> Markup {
    match kind {
        DocKind::SalesOrder => {
            let invoices = app.order_invoices(d.id).await.unwrap_or_default();
            html! {
                div.card style="margin-top:14px" {
                    h2 { (lang.t("Счета на оплату", "Invoices")) }
                    @if invoices.is_empty() { p.muted { (lang.t("Счёт не выставлялся.", "No invoice yet.")) } }
                    @else {
                        table.list {
                            @for (inv, paid) in &invoices {
                                tr {
                                    td { a href=(format!("/invoices/{}", inv.id)) { (inv.number) } }
                                    td { (date_ru(&inv.date)) } td { (state_tag(lang, &inv.state)) }
                                    td.num { (Money(inv.amount).to_ru()) }
                                    td { (kupets_app::invoice::state_label(kupets_app::invoice::invoice_state(inv.amount, *paid), lang.ru())) }
                                }
                            }
                        }
                    }
                    @if d.state != "cancelled" && ui.actor.can(Right::Sell) {
                        (button_form(&format!("/sales-orders/{}/invoice", d.id), &ui.csrf, lang.t("Выставить счёт", "Issue an invoice"), "btn"))
                    }
                }
            }
        }
        DocKind::Shipment => {
            let email = client_email(app, d.counterparty_id).await;
            let serial: bool = sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM line_units lu JOIN document_lines l ON l.id = lu.line_id WHERE l.document_id = $1",
            )
            .bind(d.id)
            .fetch_one(app.store.reader())
            .await
            .unwrap_or(0)
                > 0;
            html! {
                div.card style="margin-top:14px" {
                    h2 { (lang.t("Документы для клиента", "Papers for the client")) }
                    div.toolbar {
                        a.btn.light href=(format!("/papers/{}/upd", d.id)) { "УПД" }
                        a.btn.light href=(format!("/papers/{}/upd/pdf", d.id)) { "УПД PDF" }
                        a.btn.light href=(format!("/papers/{}/torg12", d.id)) { "ТОРГ-12" }
                        a.btn.light href=(format!("/papers/{}/torg12/pdf", d.id)) { "ТОРГ-12 PDF" }
                        @if serial {
                            a.btn.light href=(format!("/papers/{}/warranty", d.id)) { (lang.t("Гарантийный талон", "Warranty card")) }
                            a.btn.light href=(format!("/papers/{}/warranty/pdf", d.id)) { (lang.t("Талон PDF", "Warranty PDF")) }
                        }
                    }
                    @if d.state == "posted" { (send_form(lang, &ui.csrf, &format!("/shipments/{}/send", d.id), &email, true, None, refusal)) }
                }
            }
        }
        _ => html! {},
    }
}

/// On a repair: the acceptance note and, for a paid repair, the act.
pub fn repair_links(lang: Lang, id: i64, paid: bool) -> Markup {
    html! {
        div.toolbar style="margin-top:10px" {
            a.btn.light href=(format!("/papers/{id}/repair-acceptance")) { (lang.t("Квитанция о приёме", "Acceptance note")) }
            a.btn.light href=(format!("/papers/{id}/repair-acceptance/pdf")) { "PDF" }
            @if paid {
                a.btn.light href=(format!("/papers/{id}/repair-act")) { (lang.t("Акт выполненных работ", "Completed-work act")) }
                a.btn.light href=(format!("/papers/{id}/repair-act/pdf")) { "PDF" }
            }
        }
    }
}

/// On a counterparty's card: bank accounts, the акт сверки as PDF and by
/// e-mail, and the messages sent with their delivery state.
pub async fn counterparty_block(
    app: &App,
    a: &Actor,
    lang: Lang,
    id: i64,
    csrf: &str,
    refusal: &Refusal,
) -> Result<Markup, AppError> {
    let accounts = app.counterparty_accounts(a, id).await?;
    let mail = app.counterparty_mail(a, id).await?;
    let email = client_email(app, Some(id)).await;
    let can = a.can(Right::EditCounterparties);
    let till = kupets_app::today();
    let from = chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&till), 1, 1).unwrap_or(till);
    Ok(html! {
        div.card style="margin-top:14px" {
            h2 { (lang.t("Банковские счета", "Bank accounts")) }
            (accounts_table(lang, csrf, &accounts, can.then_some(format!("/counterparties/{id}/accounts")).as_deref()))
            @if can { (account_form(lang, csrf, &format!("/counterparties/{id}/accounts"), false, refusal)) }
            h2 { (lang.t("Акт сверки", "Reconciliation statement")) }
            p { a.btn.light href=(format!("/counterparties/{id}/reconciliation.pdf?from={from}&to={till}")) { (lang.t("Акт сверки PDF (с начала года)", "Statement PDF (year to date)")) } }
            (send_form(lang, csrf, &format!("/counterparties/{id}/send-reconciliation"), &email, false, Some((from.to_string(), till.to_string())), refusal))
            h2 { (lang.t("Отправленные письма", "Messages sent")) }
            (outbox_table(lang, &mail))
        }
    })
}
