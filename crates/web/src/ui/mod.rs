//! Server-rendered pages. Plain HTML forms (no JavaScript needed), Russian by
//! default with an English switch; every POST carries the session's CSRF token.

pub mod analysis;
pub mod audit;
pub mod client;
pub mod documents;
pub mod exchange;
pub mod export;
pub mod forms;
pub mod groups;
pub mod handover;
pub mod imports;
pub mod layout;
pub mod lines;
pub mod master;
pub mod paperwork;
pub mod pick;
pub mod pricing;
pub mod refusal;
pub mod replacement;
pub mod responsible;
pub mod scales;
pub mod serial;
pub mod status;
pub mod stock;
pub mod trade;
pub mod words;

use crate::auth::{constant_eq, csrf_error, UiActor, SESSION_COOKIE};
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use forms::Values;
use kupets_app::AppError;
use kupets_domain::role::Right;
use layout::{bare, error_page, page};
use maud::html;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    let r = Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang", get(set_lang))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/docs", get(api_docs))
        .route("/product-groups", get(groups::list).post(groups::create))
        .route(
            "/product-groups/{id}",
            get(groups::show).post(groups::update),
        )
        .route("/product-groups/{id}/archive", post(groups::archive))
        .route("/products/{id}/prices", post(master::add_price))
        .route("/audit", get(audit::list));
    let r = documents::routes(r);
    let r = trade::routes(r);
    let r = pricing::routes(r);
    let r = scales::routes(r);
    let r = status::routes(r);
    let r = analysis::routes(r);
    let r = serial::routes(r);
    let r = paperwork::routes(r);
    let r = handover::routes(r);
    let r = responsible::routes(r);
    let r = client::routes(r);
    let r = exchange::routes(r);
    let r = imports::routes(r);
    let r = pick::routes(r);
    let r = lines::routes(r);
    let r = stock::routes(r);
    let r = export::routes(r);
    master::routes(r)
}

pub async fn not_found() -> Response {
    layout::not_found_page(current_lang())
}

/// Checks the CSRF token of a submitted form; the refusal page when wrong.
pub fn check_csrf(ui: &UiActor, form: &Values) -> Option<Response> {
    let sent = form.get("csrf").map(String::as_str).unwrap_or("");
    (!constant_eq(sent, &ui.csrf)).then(|| error_page(current_lang(), &csrf_error()))
}

async fn css() -> Response {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        layout::CSS,
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        layout::JS,
    )
        .into_response()
}

async fn openapi_json(State(s): State<AppState>) -> Response {
    (
        [(CONTENT_TYPE, "application/json")],
        s.openapi_json.as_str().to_owned(),
    )
        .into_response()
}

/// A browsable view of the OpenAPI document, rendered on the server so it
/// works offline.
async fn api_docs(State(s): State<AppState>) -> Response {
    let lang = current_lang();
    let doc = &s.openapi;
    let body = bare(
        lang,
        "API",
        html! {
            div.card {
                h1 { (doc.info.title) " " span.muted { "v" (doc.info.version) } }
                @if let Some(d) = &doc.info.description { p { (d) } }
                p { (lang.t("Полный машиночитаемый контракт: ", "Full machine-readable contract: ")) a href="/api/openapi.json" { "/api/openapi.json" } " (OpenAPI 3.1)" }
                p.muted { (lang.t("Вход: POST /api/v1/auth/login → токен в заголовке Authorization: Bearer …", "Login: POST /api/v1/auth/login → token in Authorization: Bearer …")) }
            }
            table.list {
                tr { th { (lang.t("Метод", "Method")) } th { (lang.t("Путь", "Path")) } th { (lang.t("Описание", "Summary")) } th { (lang.t("Ответы", "Responses")) } }
                @for (path, item) in doc.paths.paths.iter() {
                    @for (method, op) in [("GET", &item.get), ("POST", &item.post), ("PUT", &item.put), ("DELETE", &item.delete)] {
                        @if let Some(op) = op {
                            tr {
                                td { code { (method) } }
                                td { code { (path) } }
                                td { (op.summary.clone().or(op.description.clone()).unwrap_or_default()) }
                                td.muted { (op.responses.responses.keys().cloned().collect::<Vec<_>>().join(", ")) }
                            }
                        }
                    }
                }
            }
        },
    );
    Html(body.into_string()).into_response()
}

#[derive(Deserialize)]
struct LangQuery {
    set: Option<String>,
}

async fn set_lang(headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    let lang = if q.set.as_deref() == Some("en") {
        "en"
    } else {
        "ru"
    };
    let back = headers
        .get("referer")
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            r.find("://")
                .and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_string()))
        })
        .unwrap_or_else(|| "/".into());
    let mut resp = Redirect::to(&back).into_response();
    resp.headers_mut().insert(
        SET_COOKIE,
        format!(
            "lang={lang}; Path=/; Max-Age=31536000; SameSite=Lax{}",
            crate::auth::secure_attr()
        )
        .parse()
        .expect("valid cookie"),
    );
    resp
}

#[derive(Deserialize, Default)]
struct LoginQuery {
    next: Option<String>,
}

fn login_form(lang: Lang, next: &str, error: Option<&str>, login: &str) -> Response {
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    login_form_status(lang, next, error, login, status)
}

/// The login form with a fresh CSRF token in a cookie and a hidden field.
fn login_form_status(
    lang: Lang,
    next: &str,
    error: Option<&str>,
    login: &str,
    status: StatusCode,
) -> Response {
    let token = kupets_app::auth::random_token();
    let body = bare(
        lang,
        lang.t("Вход", "Log in"),
        html! {
            div.login {
                div.card {
                    h1 { "kupets" }
                    @if let Some(e) = error { div.alert { (e) } }
                    form method="post" action="/login" {
                        input type="hidden" name="next" value=(next);
                        input type="hidden" name="login_csrf" value=(token);
                        p { label { (lang.t("Логин", "Login")) br; input type="text" name="login" value=(login) autofocus required style="width:100%"; } }
                        p { label { (lang.t("Пароль", "Password")) br; input type="password" name="password" required style="width:100%"; } }
                        p { button.btn type="submit" { (lang.t("Войти", "Log in")) } }
                    }
                    p.muted { @if lang.ru() { a href="/lang?set=en" { "English" } } @else { a href="/lang?set=ru" { "Русский" } } }
                }
            }
        },
    );
    let mut resp = (status, Html(body.into_string())).into_response();
    resp.headers_mut().insert(
        SET_COOKIE,
        format!(
            "{}={token}; Path=/login; HttpOnly; SameSite=Strict{}",
            crate::auth::LOGIN_CSRF_COOKIE,
            crate::auth::secure_attr()
        )
        .parse()
        .expect("valid cookie"),
    );
    resp
}

async fn login_page(Query(q): Query<LoginQuery>) -> Response {
    login_form(
        current_lang(),
        q.next.as_deref().unwrap_or("/today"),
        None,
        "",
    )
}

/// Only local paths are followed after login, never another site.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/today"
    }
}

async fn login_submit(
    State(s): State<AppState>,
    addr: crate::auth::ClientAddr,
    headers: HeaderMap,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    let login = f.get("login").cloned().unwrap_or_default();
    let next = safe_next(f.get("next").map(String::as_str).unwrap_or("/today")).to_string();
    let sent = f.get("login_csrf").map(String::as_str).unwrap_or("");
    let kept = headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            kv.trim()
                .strip_prefix(crate::auth::LOGIN_CSRF_COOKIE)
                .and_then(|r| r.strip_prefix('='))
        })
        .unwrap_or("");
    if sent.is_empty() || !crate::auth::constant_eq(sent, kept) {
        return login_form_status(
            lang,
            &next,
            Some(lang.t(
                "Форма входа устарела: войдите ещё раз",
                "The login form expired: please log in again",
            )),
            &login,
            StatusCode::FORBIDDEN,
        );
    }
    match s
        .app
        .login_from(
            &login,
            f.get("password").map(String::as_str).unwrap_or(""),
            "web",
            addr.0.as_deref(),
        )
        .await
    {
        Ok(sess) => {
            let mut resp = Redirect::to(&next).into_response();
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
                sess.token,
                kupets_app::auth::SESSION_DAYS * 86400,
                crate::auth::secure_attr()
            );
            resp.headers_mut()
                .insert(SET_COOKIE, cookie.parse().expect("valid cookie"));
            resp
        }
        Err(e @ (AppError::Conflict { .. } | AppError::Throttled { .. })) => {
            login_form(lang, &next, Some(&e.message(lang.ru())), &login)
        }
        Err(e) => error_page(lang, &e),
    }
}

async fn logout(
    ui: UiActor,
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<Values>,
) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    if let Some(token) = headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix("kupets_session="))
    {
        let _ = s.app.logout(token).await;
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().insert(
        SET_COOKIE,
        format!(
            "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
            crate::auth::secure_attr()
        )
        .parse()
        .expect("valid cookie"),
    );
    resp
}

async fn home(ui: UiActor, State(s): State<AppState>) -> Response {
    let lang = current_lang();
    let count = |table: &'static str| {
        let pool = s.app.store.reader().clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!(
                "SELECT COUNT(*) FROM {table} WHERE archived = 0"
            ))
            .fetch_one(&pool)
            .await
            .unwrap_or(0)
        }
    };
    let tiles = [
        (
            "/counterparties",
            lang.t("Контрагенты", "Counterparties"),
            count("counterparties").await,
        ),
        (
            "/products",
            lang.t("Товары", "Products"),
            count("products").await,
        ),
        (
            "/warehouses",
            lang.t("Склады", "Warehouses"),
            count("warehouses").await,
        ),
        (
            "/employees",
            lang.t("Сотрудники", "Employees"),
            count("employees").await,
        ),
    ];
    let role = ui.actor.role;
    // Only what the role does: the server refuses the rest anyway.
    let actions: Vec<(&str, &str, &str, Right)> = vec![
        ("/sales-orders/new", "Новый заказ", "New order", Right::Sell),
        ("/shipments/new", "Отгрузка", "Shipment", Right::MoveStock),
        ("/receipts/new", "Поступление", "Receipt", Right::MoveStock),
        ("/payments/new", "Платёж", "Payment", Right::PostSettlements),
        (
            "/adjustments/new",
            "Корректировка долга",
            "Debt adjustment",
            Right::PostSettlements,
        ),
        (
            "/counterparties/new",
            "Новый контрагент",
            "New counterparty",
            Right::EditCounterparties,
        ),
        (
            "/products/new",
            "Новый товар",
            "New product",
            Right::EditCatalog,
        ),
        ("/repairs", "Ремонт", "Repair", Right::Repair),
        ("/stock", "Остатки", "Stock", Right::Read),
    ];
    let body = html! {
        h1 { (lang.t("Добрый день, ", "Hello, ")) (ui.actor.employee.name) }
        div.tiles {
            @for (href, label, n) in tiles.iter().filter(|t| layout::may_see(role, t.0)) {
                a.tile href=(href) { b { (n) } (label) }
            }
        }
        div.card style="margin-top:18px" {
            h2 style="margin-top:0" { (lang.t("Быстрые действия", "Quick actions")) }
            p.toolbar {
                @for (i, (href, ru, en, right)) in actions.iter().filter(|a| role.can(a.3) && layout::may_see(role, a.0)).enumerate() {
                    @let _ = right;
                    @if i == 0 { a.btn href=(href) { (lang.t(ru, en)) } } @else { a.btn.light href=(href) { (lang.t(ru, en)) } }
                }
            }
        }
        div.card {
            h2 style="margin-top:0" { (lang.t("Разделы", "Sections")) }
            p { @for (i, (href, ru, en)) in layout::SECTIONS.iter().filter(|x| layout::may_see(role, x.0)).enumerate() { @if i > 0 { " · " } a href=(href) { (lang.t(ru, en)) } } }
        }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Главная", "Home"),
        "/",
        body,
    )
}
