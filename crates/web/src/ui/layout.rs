//! Page frame, navigation, styles and the error page.

use crate::error::{status_of, Lang};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use kupets_app::{Actor, AppError};
use kupets_domain::role::{Right, Role};
use maud::{html, Markup, PreEscaped, DOCTYPE};

impl Lang {
    /// Picks the Russian or English text.
    pub fn t<'a>(self, ru: &'a str, en: &'a str) -> &'a str {
        if self.ru() {
            ru
        } else {
            en
        }
    }
}

pub const CSS: &str = r#"
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1d2330;background:#f4f6f9}
a{color:#1f5fbf;text-decoration:none}a:hover{text-decoration:underline}
header.top{background:#1e2a3b;color:#fff;display:flex;flex-wrap:wrap;align-items:center;gap:6px 18px;padding:6px 20px;min-height:48px}header.top nav{display:flex;flex-wrap:wrap;row-gap:4px}
header.top .brand{font-weight:700;letter-spacing:.5px;color:#fff;font-size:17px}
header.top nav a{color:#cfd8e6;margin-right:12px;font-size:14px;white-space:nowrap}header.top nav a.on,header.top nav a:hover{color:#fff}
header.top .right{margin-left:auto;display:flex;flex-wrap:wrap;gap:6px 12px;align-items:center;font-size:13px;color:#cfd8e6}
header.top .right a{color:#cfd8e6}
header.top form{display:inline}header.top button{background:none;border:1px solid #55657d;color:#cfd8e6;border-radius:4px;padding:3px 9px;cursor:pointer}
main{max-width:1200px;margin:22px auto;padding:0 20px}
h1{font-size:22px;margin:0 0 16px}h2{font-size:17px;margin:24px 0 10px}
.card{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:18px 20px;margin-bottom:18px}
table.list{width:100%;border-collapse:collapse;background:#fff;border:1px solid #dde3ea;border-radius:8px;overflow:hidden}
table.list th{background:#eef2f7;text-align:left;font-weight:600;font-size:13px;color:#4a5568;padding:8px 10px;border-bottom:1px solid #dde3ea}
table.list td{padding:7px 10px;border-bottom:1px solid #eef1f5;vertical-align:top}
table.list tr:hover td{background:#f8fafc}td.num,th.num{text-align:right;white-space:nowrap}
.toolbar{display:flex;gap:10px;align-items:center;margin-bottom:14px;flex-wrap:wrap}
.toolbar form{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
input[type=text],input[type=search],input[type=password],input[type=date],input[type=number],select,textarea{font:inherit;padding:6px 9px;border:1px solid #c5ced9;border-radius:5px;background:#fff;min-width:0}
textarea{width:100%;min-height:70px}
.btn,button.btn{display:inline-block;font:inherit;background:#1f5fbf;color:#fff;border:0;border-radius:5px;padding:7px 14px;cursor:pointer}
.btn.light,button.light{background:#e8edf4;color:#1d2330}.btn.danger,button.danger{background:#b83a3a}
.btn:hover{text-decoration:none;filter:brightness(1.07)}
form.grid{display:grid;grid-template-columns:220px 1fr;gap:10px 16px;align-items:start;max-width:820px}
form.grid label.l{padding-top:7px;color:#4a5568}form.grid .f input[type=text],form.grid .f input[type=password],form.grid .f select,form.grid .f input[type=date],form.grid .f input[type=number]{width:100%;max-width:460px}
form.grid .actions{grid-column:2}
.err{color:#b83a3a;font-size:13px;margin-top:3px}.hint{color:#718096;font-size:12px;margin-top:2px}
.alert{background:#fdecec;border:1px solid #f2b8b8;color:#8a1f1f;border-radius:6px;padding:10px 14px;margin-bottom:14px}
.ok{background:#e9f7ef;border:1px solid #b7e2c7;color:#1d5c36;border-radius:6px;padding:10px 14px;margin-bottom:14px}
.muted{color:#718096}.tag{display:inline-block;font-size:12px;padding:1px 7px;border-radius:10px;background:#e8edf4;color:#4a5568}
.tag.posted{background:#e3f4ea;color:#1d5c36}.tag.cancelled{background:#fdecec;color:#8a1f1f}.tag.draft{background:#fff4dc;color:#7a5200}
.pager{margin-top:12px;display:flex;gap:10px}
.overdue{color:#b42318;font-weight:600;font-size:12px}a.tile{color:inherit;text-decoration:none}svg.funnel{display:block;margin:10px 0;max-width:100%;height:auto}
header.top form.serial input{width:110px;padding:3px 6px;border-radius:4px;border:1px solid #55657d;background:#2d3a4f;color:#fff}
form.inline{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:10px 0}
details.why summary{cursor:pointer;color:#1f5fbf;font-size:12px}details.why .explain{text-align:left;font-size:12px;min-width:260px}
ul.rules{margin:0;padding-left:16px;font-size:13px}details.why ul{margin:4px 0;padding-left:16px}
dl.props{display:grid;grid-template-columns:200px 1fr;gap:6px 14px;margin:0}dl.props dt{color:#718096}dl.props dd{margin:0}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:14px}
.tile{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:14px 16px}.tile b{font-size:22px;display:block}
.login{max-width:380px;margin:80px auto}
.scroll{overflow-x:auto;max-width:100%}tr.bad td{background:#fff6f6}.refusal ul{margin:6px 0 0;padding-left:18px}.refusal a{color:#8a1f1f;text-decoration:underline}
.pick{position:relative}.pick ul.opts{position:absolute;z-index:5;left:0;top:100%;min-width:100%;max-width:92vw;max-height:260px;overflow:auto;margin:2px 0 0;padding:0;list-style:none;background:#fff;border:1px solid #c5ced9;border-radius:5px;box-shadow:0 4px 14px rgba(0,0,0,.12)}
.pick ul.opts li{padding:6px 9px;cursor:pointer;white-space:nowrap}.pick ul.opts li.on,.pick ul.opts li:hover{background:#e8f0fc}
div.units label{display:inline-block;margin:2px 8px 0 0;font-size:13px;white-space:nowrap}table.lines td{vertical-align:top}table.lines input.qty{width:90px}table.lines .pick input{width:100%;min-width:220px}
@media (max-width:700px){
header.top{padding:4px 10px;gap:4px 10px;min-height:0}header.top nav{flex-wrap:nowrap;overflow-x:auto;width:100%;order:3;padding-bottom:2px}
header.top .right{gap:4px 8px}header.top .right .who{display:none}header.top form.serial input{width:90px}
main{margin:10px auto;padding:0 10px}h1{font-size:19px}
table.list{display:block;overflow-x:auto;max-width:100%}
form.grid{grid-template-columns:1fr}form.grid .actions{grid-column:1}form.grid label.l{padding-top:0}
dl.props{grid-template-columns:1fr}dl.props dd{margin-bottom:6px}
.card{padding:12px}input,select,textarea{max-width:100%}details.why .explain{min-width:0}
table.lines .pick input{min-width:160px}
}
"#;

/// The pages' script (search boxes, line editor, confirmations); every form
/// also works without it.
pub const JS: &str = include_str!("app.js");

/// One navigation entry: where and the label; who sees it is `may_see`.
struct NavItem {
    href: &'static str,
    ru: &'static str,
    en: &'static str,
}

const fn nav(href: &'static str, ru: &'static str, en: &'static str) -> NavItem {
    NavItem { href, ru, en }
}

const NAV: &[NavItem] = &[
    nav("/today", "Сегодня", "Today"),
    nav("/counterparties", "Контрагенты", "Counterparties"),
    nav("/products", "Товары", "Products"),
    nav("/stock", "Остатки", "Stock"),
    nav("/sales-orders", "Заказы", "Orders"),
    nav("/shipments", "Отгрузки", "Shipments"),
    nav("/receipts", "Поступления", "Receipts"),
    nav("/payments", "Платежи", "Payments"),
    nav("/bank-statements", "Банк", "Bank"),
    nav("/pricing", "Скидки", "Discounts"),
    nav("/repairs", "Сервис", "Service"),
    nav("/units", "Серийные №", "Serials"),
    nav("/reports/balances", "Отчёты", "Reports"),
    nav("/employees", "Сотрудники", "Employees"),
    nav("/audit", "Журнал", "Audit log"),
];

/// Whether a role's menus and home page offer a section: only the work the
/// role does (the server still checks every action). Sections not listed
/// here are open to everyone who may read.
pub fn may_see(role: Role, href: &str) -> bool {
    use Right::*;
    let any = |rights: &[Right]| rights.iter().any(|r| role.can(*r));
    let seg = href.trim_start_matches('/');
    let first = seg.split(['/', '?']).next().unwrap_or("");
    match first {
        "sales-orders" | "invoices" | "unattended" => any(&[Sell, PostSettlements]),
        "shipments" | "returns" | "receipts" | "purchase-orders" | "supplier-returns" => {
            any(&[MoveStock, PostSettlements])
        }
        "payments" | "adjustments" => any(&[PostSettlements, Sell]),
        "bank-statements" => any(&[PostSettlements]),
        "imports" => any(&[EditCounterparties, PostSettlements]),
        "pricing" => any(&[Sell, ManagePricing]),
        "repairs" | "recalls" => any(&[Repair]),
        "productions" => any(&[MoveStock, Repair]),
        "handover" => any(&[LeadDepartment]),
        "statuses" => any(&[ManageStatuses]),
        "departments" | "company" | "mail-settings" => any(&[ManagePeople]),
        "employees" => any(&[ManagePeople, LeadDepartment]),
        "audit" => any(&[ReadAudit]),
        "reports" => match seg {
            "reports/defects" => any(&[Repair, ManagePricing]),
            "reports/funnel" => any(&[Sell]),
            // The owner's page shows cost and margin.
            "reports/owner" => any(&[SeeCost]),
            _ => any(&[Sell, PostSettlements]),
        },
        _ => true,
    }
}

/// Every page a role's menus lead to (top bar and home page), once each:
/// what the `pages` benchmark walks.
pub fn menu_pages(role: Role) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = vec!["/"];
    for href in NAV
        .iter()
        .map(|n| n.href)
        .chain(SECTIONS.iter().map(|s| s.0))
    {
        if may_see(role, href) && !out.contains(&href) {
            out.push(href);
        }
    }
    out
}

/// Every section, for the home page (the top bar keeps the daily ones).
pub const SECTIONS: &[(&str, &str, &str)] = &[
    ("/counterparties", "Контрагенты", "Counterparties"),
    ("/products", "Товары", "Products"),
    ("/product-groups", "Группы товаров", "Product groups"),
    ("/price-types", "Типы цен", "Price types"),
    ("/warehouses", "Склады", "Warehouses"),
    ("/stock", "Остатки на складах", "Stock"),
    ("/sales-orders", "Заказы покупателей", "Sales orders"),
    ("/shipments", "Отгрузки", "Shipments"),
    ("/returns", "Возвраты от покупателей", "Customer returns"),
    ("/purchase-orders", "Заказы поставщикам", "Purchase orders"),
    ("/receipts", "Поступления", "Receipts"),
    (
        "/supplier-returns",
        "Возвраты поставщикам",
        "Returns to suppliers",
    ),
    ("/payments", "Платежи", "Payments"),
    ("/invoices", "Счета на оплату", "Invoices"),
    ("/adjustments", "Корректировки долга", "Debt adjustments"),
    ("/bank-statements", "Выписки банка", "Bank statements"),
    (
        "/imports",
        "Загрузка из CSV и Excel",
        "Import from CSV and Excel",
    ),
    ("/reports/balances", "Взаиморасчёты", "Balances"),
    (
        "/reports/reconciliation",
        "Акт сверки",
        "Reconciliation statement",
    ),
    (
        "/reports/aging",
        "Старение задолженности",
        "Receivables aging",
    ),
    (
        "/today",
        "Сегодня: напоминания и статусы",
        "Today: reminders and statuses",
    ),
    ("/reports/funnel", "Воронка продаж", "Sales funnel"),
    (
        "/reports/sales",
        "Продажи и валовая прибыль",
        "Sales and margin",
    ),
    ("/reports/abc", "ABC-анализ", "ABC analysis"),
    (
        "/reports/quiet-clients",
        "Замолчавшие клиенты",
        "Quiet clients",
    ),
    ("/reports/owner", "Страница владельца", "Owner's page"),
    ("/handover", "Передача дел", "Hand-over"),
    (
        "/absences",
        "Отсутствия и заместители",
        "Absences and deputies",
    ),
    ("/unattended", "Без внимания", "Unattended"),
    ("/statuses", "Статусы документов", "Document statuses"),
    ("/pricing", "Скидки и акции", "Discounts and promotions"),
    ("/pricing/try", "Подбор цены", "Try prices"),
    ("/pricing/scales", "Шкалы скидок", "Discount scales"),
    ("/units", "Серийные номера", "Serial numbers"),
    ("/productions/new", "Производство", "Production"),
    ("/repairs", "Ремонты", "Repairs"),
    ("/recalls", "Отзыв партии", "Recall"),
    (
        "/reports/defects",
        "Статистика дефектов",
        "Defect statistics",
    ),
    ("/employees", "Сотрудники", "Employees"),
    ("/departments", "Отделы", "Departments"),
    ("/company", "Реквизиты компании", "Company card"),
    (
        "/mail-settings",
        "Почта (SMTP) и исходящие",
        "E-mail (SMTP) and outbox",
    ),
    (
        "/my/digest",
        "Сводка напоминаний на почту",
        "Reminder digest by e-mail",
    ),
];

/// The page frame. `csrf` is the session's token, for the logout form.
pub fn page(
    lang: Lang,
    actor: &Actor,
    csrf: &str,
    title: &str,
    active: &str,
    body: Markup,
) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — kupets" }
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { "kupets" }
                    nav {
                        @for n in NAV {
                            @if may_see(actor.role, n.href) {
                                a.on[active == n.href] href=(n.href) { (lang.t(n.ru, n.en)) }
                            }
                        }
                    }
                    div.right {
                        // Scan or type a serial from any page.
                        form.serial method="get" action="/units" { input type="search" name="serial" placeholder=(lang.t("Серийный №", "Serial no.")) aria-label=(lang.t("Поиск по серийному номеру", "Find a serial")); }
                        span.who { (actor.employee.name) " · " (actor.role.label(lang.ru())) }
                        @if lang.ru() { a href="/lang?set=en" { "EN" } } @else { a href="/lang?set=ru" { "RU" } }
                        a href="/api/docs" { "API" }
                        form method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(csrf);
                            button type="submit" { (lang.t("Выйти", "Log out")) }
                        }
                    }
                }
                main { (body) }
            }
        }
    };
    Html(markup.into_string()).into_response()
}

/// A bare page (login, errors before login).
pub fn bare(lang: Lang, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — kupets" }
                link rel="stylesheet" href="/static/app.css";
            }
            body { main { (body) } }
        }
    }
}

/// A page outside the usual frame (errors) that still carries the menu:
/// the sections everyone may read, so the way on is one click away.
pub fn framed(lang: Lang, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — kupets" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header.top {
                    a.brand href="/" { "kupets" }
                    nav {
                        @for n in NAV.iter().filter(|n| Role::ALL.iter().all(|r| may_see(*r, n.href))) {
                            a href=(n.href) { (lang.t(n.ru, n.en)) }
                        }
                    }
                    div.right { @if lang.ru() { a href="/lang?set=en" { "EN" } } @else { a href="/lang?set=ru" { "RU" } } }
                }
                main { (body) }
            }
        }
    }
}

pub fn error_page(lang: Lang, e: &AppError) -> Response {
    let status = status_of(e);
    let body = framed(
        lang,
        lang.t("Ошибка", "Error"),
        html! {
            div.card {
                h1 { (status_word(lang, status)) }
                // Field messages in words («Строка 2, Количество: …»), never paths.
                @if matches!(e, AppError::Validation(_)) { (super::refusal::Refusal::of(lang, e).summary(lang, &|_| false)) }
                @else { div.alert { (e.message(lang.ru())) } }
                p { a href="javascript:history.back()" { (lang.t("← Назад", "← Back")) } " · " a href="/" { (lang.t("На главную", "Home")) } }
            }
        },
    );
    (status, Html(body.into_string())).into_response()
}

/// What a refusal is, in words (the status code is for machines).
fn status_word(lang: Lang, status: StatusCode) -> &'static str {
    match status.as_u16() {
        403 => lang.t("Недостаточно прав", "Not allowed"),
        404 => lang.t("Не найдено", "Not found"),
        409 => lang.t("Действие отклонено", "Refused"),
        422 => lang.t("Проверьте данные", "Please check the data"),
        429 => lang.t("Слишком много попыток", "Too many attempts"),
        _ => lang.t("Ошибка", "Error"),
    }
}

pub fn not_found_page(lang: Lang) -> Response {
    let body = framed(
        lang,
        "404",
        html! {
            div.card { h1 { (lang.t("Не найдено", "Not found")) } p { (lang.t("Такой страницы нет.", "No such page.")) } p { a href="/" { (lang.t("На главную", "Home")) } } }
        },
    );
    (StatusCode::NOT_FOUND, Html(body.into_string())).into_response()
}

pub fn state_tag(lang: Lang, state: &str) -> Markup {
    let label = kupets_domain::DocState::parse(state)
        .map(|s| s.label(lang.ru()))
        .unwrap_or(state);
    html! { span class=(format!("tag {state}")) { (label) } }
}

pub fn raw(s: &'static str) -> PreEscaped<&'static str> {
    PreEscaped(s)
}
