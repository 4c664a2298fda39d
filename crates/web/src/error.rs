//! One error type for the web layer. API handlers turn it into
//! `application/problem+json` (RFC 9457) with a stable `code` and per-field
//! `errors`; pages show the same message in a page. Internal errors are
//! logged by the app layer and never show their text.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kupets_app::AppError;
use serde_json::json;

/// Language of messages: Russian unless the client asks for English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ru,
    En,
}

impl Lang {
    pub fn ru(self) -> bool {
        self == Lang::Ru
    }
    pub fn from_accept(h: Option<&str>) -> Lang {
        match h {
            Some(v) if v.trim_start().to_ascii_lowercase().starts_with("en") => Lang::En,
            _ => Lang::Ru,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub error: AppError,
    pub lang: Lang,
    /// Set for malformed requests that never reached the app layer.
    pub bad_request: Option<String>,
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError {
            error,
            lang: Lang::Ru,
            bad_request: None,
        }
    }
}

impl ApiError {
    pub fn bad_request(detail: String) -> ApiError {
        ApiError {
            error: AppError::Internal(String::new()),
            lang: Lang::Ru,
            bad_request: Some(detail),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        ApiError::bad_request(format!(
            "Тело запроса не разобрано / request body rejected: {}",
            r.body_text()
        ))
    }
}
impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::bad_request(format!(
            "Параметры запроса не разобраны / query rejected: {}",
            r.body_text()
        ))
    }
}
impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::bad_request(format!("Неверный путь / bad path: {}", r.body_text()))
    }
}

pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::Forbidden { .. } => StatusCode::FORBIDDEN,
        AppError::Conflict {
            code: "bad_credentials",
            ..
        } => StatusCode::UNAUTHORIZED,
        AppError::Conflict { code: "csrf", .. } => StatusCode::FORBIDDEN,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        AppError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub fn problem(
    status: StatusCode,
    code: &str,
    detail: &str,
    errors: serde_json::Value,
) -> Response {
    let body = json!({
        "type": format!("https://kupets.local/problems/{code}"),
        "title": status.canonical_reason().unwrap_or(""),
        "status": status.as_u16(),
        "code": code,
        "detail": detail,
        "errors": errors,
    });
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/problem+json"),
    );
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
    }
    resp
}

tokio::task_local! {
    /// The language of the request being served, set by a middleware from
    /// `Accept-Language` or the `lang` cookie, so every error speaks it.
    pub static LANG: Lang;
}

/// The current request's language (Russian outside a request).
pub fn current_lang() -> Lang {
    LANG.try_with(|l| *l).unwrap_or(Lang::Ru)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let _ = self.lang;
        if let Some(detail) = self.bad_request {
            return problem(StatusCode::BAD_REQUEST, "bad_request", &detail, json!([]));
        }
        let ru = current_lang().ru();
        let errors = match &self.error {
            AppError::Validation(errs) => json!(errs
                .iter()
                .map(|e| json!({
                    "field": e.field,
                    "code": e.code,
                    "message": if ru { &e.message_ru } else { &e.message_en },
                    "message_ru": e.message_ru,
                    "message_en": e.message_en,
                }))
                .collect::<Vec<_>>()),
            _ => json!([]),
        };
        let mut resp = problem(
            status_of(&self.error),
            self.error.code(),
            &self.error.message(ru),
            errors,
        );
        if let AppError::Throttled { retry_after } = self.error {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after),
            );
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
