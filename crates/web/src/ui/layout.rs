//! Page frame, navigation, styles and the error page.

use crate::error::{status_of, Lang};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use kupets_app::{Actor, AppError};
use kupets_domain::role::Right;
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
.overdue{color:#b42318;font-weight:600;font-size:12px}a.tile{color:inherit;text-decoration:none}svg.funnel{display:block;margin:10px 0}
header.top form.serial input{width:110px;padding:3px 6px;border-radius:4px;border:1px solid #55657d;background:#2d3a4f;color:#fff}
form.inline{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:10px 0}
details.why summary{cursor:pointer;color:#1f5fbf;font-size:12px}details.why .explain{text-align:left;font-size:12px;min-width:260px}
ul.rules{margin:0;padding-left:16px;font-size:13px}details.why ul{margin:4px 0;padding-left:16px}
dl.props{display:grid;grid-template-columns:200px 1fr;gap:6px 14px;margin:0}dl.props dt{color:#718096}dl.props dd{margin:0}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:14px}
.tile{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:14px 16px}.tile b{font-size:22px;display:block}
.login{max-width:380px;margin:80px auto}
"#;

/// One navigation entry: where, label, and who sees it.
struct NavItem {
    href: &'static str,
    ru: &'static str,
    en: &'static str,
    right: Right,
}

const NAV: &[NavItem] = &[
    NavItem {
        href: "/today",
        ru: "Сегодня",
        en: "Today",
        right: Right::Read,
    },
    NavItem {
        href: "/counterparties",
        ru: "Контрагенты",
        en: "Counterparties",
        right: Right::Read,
    },
    NavItem {
        href: "/products",
        ru: "Товары",
        en: "Products",
        right: Right::Read,
    },
    NavItem {
        href: "/sales-orders",
        ru: "Заказы",
        en: "Orders",
        right: Right::Read,
    },
    NavItem {
        href: "/shipments",
        ru: "Отгрузки",
        en: "Shipments",
        right: Right::Read,
    },
    NavItem {
        href: "/receipts",
        ru: "Поступления",
        en: "Receipts",
        right: Right::Read,
    },
    NavItem {
        href: "/payments",
        ru: "Платежи",
        en: "Payments",
        right: Right::Read,
    },
    NavItem {
        href: "/bank-statements",
        ru: "Банк",
        en: "Bank",
        right: Right::PostSettlements,
    },
    NavItem {
        href: "/pricing",
        ru: "Скидки",
        en: "Discounts",
        right: Right::Read,
    },
    NavItem {
        href: "/repairs",
        ru: "Сервис",
        en: "Service",
        right: Right::Read,
    },
    NavItem {
        href: "/reports/balances",
        ru: "Отчёты",
        en: "Reports",
        right: Right::Read,
    },
    NavItem {
        href: "/employees",
        ru: "Сотрудники",
        en: "Employees",
        right: Right::Read,
    },
    NavItem {
        href: "/audit",
        ru: "Журнал",
        en: "Audit log",
        right: Right::ReadAudit,
    },
];

/// Every section, for the home page (the top bar keeps the daily ones).
pub const SECTIONS: &[(&str, &str, &str)] = &[
    ("/counterparties", "Контрагенты", "Counterparties"),
    ("/products", "Товары", "Products"),
    ("/product-groups", "Группы товаров", "Product groups"),
    ("/price-types", "Типы цен", "Price types"),
    ("/warehouses", "Склады", "Warehouses"),
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
    ("/imports", "Загрузка из CSV и Excel", "Import from CSV and Excel"),
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
            }
            body {
                header.top {
                    a.brand href="/" { "kupets" }
                    nav {
                        @for n in NAV {
                            @if actor.can(n.right) {
                                a.on[active == n.href] href=(n.href) { (lang.t(n.ru, n.en)) }
                            }
                        }
                    }
                    div.right {
                        // Scan or type a serial from any page.
                        form.serial method="get" action="/units" { input type="search" name="serial" placeholder=(lang.t("Серийный №", "Serial no.")) aria-label=(lang.t("Поиск по серийному номеру", "Find a serial")); }
                        span { (actor.employee.name) " · " (actor.role.label(lang.ru())) }
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

pub fn error_page(lang: Lang, e: &AppError) -> Response {
    let status = status_of(e);
    let body = bare(
        lang,
        lang.t("Ошибка", "Error"),
        html! {
            div.card {
                h1 { (status.as_u16()) " · " (lang.t("Ошибка", "Error")) }
                div.alert { (e.message(lang.ru())) }
                p { a href="javascript:history.back()" { (lang.t("← Назад", "← Back")) } " · " a href="/" { (lang.t("На главную", "Home")) } }
            }
        },
    );
    (status, Html(body.into_string())).into_response()
}

pub fn not_found_page(lang: Lang) -> Response {
    let body = bare(
        lang,
        "404",
        html! {
            div.card { h1 { "404" } p { (lang.t("Такой страницы нет.", "No such page.")) } p { a href="/" { (lang.t("На главную", "Home")) } } }
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
