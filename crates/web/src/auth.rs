//! Who is calling. The API takes `Authorization: Bearer <token>` from
//! `POST /api/v1/auth/login`, or the web session cookie — and then, for any
//! method that changes something, the session's CSRF token in `X-CSRF-Token`.
//! Pages take the cookie and check the CSRF token of every form they receive.

use crate::error::ApiError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::Method;
use axum::response::{IntoResponse, Redirect, Response};
use kupets_app::{Actor, AppError};

pub const SESSION_COOKIE: &str = "kupets_session";

pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    v.strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
        .map(str::trim)
}

/// The authenticated caller of an API endpoint.
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(actor) = parts.extensions.get::<Actor>() {
            return Ok(ApiActor(actor.clone()));
        }
        let actor = resolve_api_actor(parts, state).await?;
        parts.extensions.insert(actor.clone());
        Ok(ApiActor(actor))
    }
}

pub async fn resolve_api_actor(parts: &Parts, state: &AppState) -> Result<Actor, ApiError> {
    if let Some(token) = bearer(parts) {
        let (actor, _) = state.app.authenticate(token).await?;
        return Ok(actor);
    }
    if let Some(token) = cookie(parts, SESSION_COOKIE) {
        let (actor, csrf) = state.app.authenticate(token).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_eq(sent, &csrf) {
                return Err(csrf_error().into());
            }
        }
        return Ok(actor);
    }
    Err(AppError::Unauthorized.into())
}

pub fn csrf_error() -> AppError {
    AppError::Conflict {
        code: "csrf",
        ru: "Неверный или отсутствующий CSRF-токен: обновите страницу и повторите".into(),
        en: "Missing or wrong CSRF token: reload the page and try again".into(),
    }
}

/// Compares secrets in time independent of where they differ.
pub fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The logged-in user of a page, with their session's CSRF token.
pub struct UiActor {
    pub actor: Actor,
    pub csrf: String,
}

impl FromRequestParts<AppState> for UiActor {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let to_login = || {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            Redirect::to(&format!("/login?next={}", urlencode(next))).into_response()
        };
        let Some(token) = cookie(parts, SESSION_COOKIE) else {
            return Err(to_login());
        };
        match state.app.authenticate(token).await {
            Ok((actor, csrf)) => Ok(UiActor { actor, csrf }),
            Err(AppError::Unauthorized) => Err(to_login()),
            Err(e) => Err(crate::ui::layout::error_page(
                crate::error::current_lang(),
                &e,
            )),
        }
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The client's address (the TCP peer), when the server knows it; in-process
/// requests (tests) may set it as a `ConnectInfo` extension too.
pub struct ClientAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}

static SECURE_COOKIES: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Marks every cookie `Secure` (`kupets serve --secure-cookies`, for a
/// server reached over HTTPS through a proxy that terminates TLS).
pub fn set_secure_cookies(on: bool) {
    SECURE_COOKIES.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// `; Secure` when cookies must travel over HTTPS only.
pub fn secure_attr() -> &'static str {
    if SECURE_COOKIES.load(std::sync::atomic::Ordering::Relaxed) {
        "; Secure"
    } else {
        ""
    }
}

/// The login form's CSRF cookie: a random token also sent as a hidden field
/// (double submit), so another site cannot log a browser in.
pub const LOGIN_CSRF_COOKIE: &str = "kupets_login_csrf";
