//! HTTP for kupets: the JSON API (`api`), the server-rendered pages (`ui`),
//! and the pieces they share (authentication, errors, language).

pub mod api;
pub mod auth;
pub mod awake;
pub mod download;
pub mod error;
pub mod serve;
pub mod ui;
pub mod xlsx;

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use error::{Lang, LANG};
use kupets_app::App;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// The OpenAPI document, rendered once at start.
    pub openapi_json: Arc<String>,
    pub openapi: Arc<utoipa::openapi::OpenApi>,
}

/// Picks the language: the `lang` cookie (the page switch); for the API,
/// `Accept-Language`; otherwise Russian — the pages are Russian by default
/// whatever the browser's locale.
async fn lang_scope(req: Request, next: Next) -> Response {
    let cookie_lang = req
        .headers()
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix("lang=").map(str::to_string));
    let lang = match cookie_lang.as_deref() {
        Some("en") => Lang::En,
        Some("ru") => Lang::Ru,
        _ if req.uri().path().starts_with("/api/") => Lang::from_accept(
            req.headers()
                .get(axum::http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        ),
        _ => Lang::Ru,
    };
    LANG.scope(lang, next.run(req)).await
}

/// The whole application as one router.
pub fn router(app: App) -> Router {
    let (api, openapi) = api::routes();
    let state = AppState {
        app,
        openapi_json: Arc::new(openapi.to_pretty_json().unwrap_or_default()),
        openapi: Arc::new(openapi),
    };
    let api = api.layer(middleware::from_fn_with_state(
        state.clone(),
        api::idempotency::layer,
    ));
    Router::new()
        .merge(api)
        .merge(ui::routes())
        .fallback(ui::not_found)
        .layer(middleware::from_fn(lang_scope))
        .with_state(state)
}
