//! Strict JSON bodies: a field the operation does not know is refused with
//! 422 naming it (a misspelt `date` must not silently mean "today"), and text
//! with NUL or other control characters is refused (422) before it reaches
//! either engine. Newline and tab are left to the fields that take long text
//! (see `Check::opt_text`). A body over the limit answers 413.

use crate::error::{problem, ApiError};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kupets_app::AppError;
use kupets_domain::FieldError;
use serde::de::DeserializeOwned;

/// Largest JSON body accepted.
pub const MAX_JSON_BODY: usize = 2 * 1024 * 1024;

/// JSON body extractor whose rejections are problem+json.
pub struct ApiJson<T>(pub T);

/// Why a body was refused.
pub enum Rejection {
    Api(ApiError),
    TooLarge,
    MediaType,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::Api(e) => e.into_response(),
            Rejection::TooLarge => too_large(),
            Rejection::MediaType => problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Ожидается Content-Type: application/json / expected Content-Type: application/json",
                serde_json::json!([]),
            ),
        }
    }
}

/// 413 as problem+json.
pub fn too_large() -> Response {
    problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        &format!(
            "Тело запроса больше {} МБ / request body larger than {} MB",
            MAX_JSON_BODY / 1024 / 1024,
            MAX_JSON_BODY / 1024 / 1024
        ),
        serde_json::json!([]),
    )
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let m = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        if !json {
            return Err(Rejection::MediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Rejection::TooLarge
            } else {
                Rejection::Api(ApiError::bad_request(format!(
                    "Тело запроса не прочитано / request body not read: {}",
                    e.body_text()
                )))
            }
        })?;
        parse(&bytes).map(ApiJson).map_err(Rejection::Api)
    }
}

/// Parses a JSON body strictly (see the module's documentation).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut unknown = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_ignored::deserialize(&mut de, |path| unknown.push(path.to_string()))
        .and_then(|v| de.end().map(|_| v))
        .map_err(|e| {
            ApiError::bad_request(format!(
                "Тело запроса не разобрано / request body rejected: {e}"
            ))
        })?;
    let mut errors: Vec<FieldError> = unknown
        .into_iter()
        .map(|f| {
            FieldError::new(
                &f,
                "unknown_field",
                format!("Неизвестное поле «{f}»"),
                format!("Unknown field '{f}'"),
            )
        })
        .collect();
    if may_have_controls(bytes) {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) {
            controls(&v, String::new(), &mut errors);
        }
    }
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(AppError::Validation(errors).into())
    }
}

/// A JSON text can only carry a control character as an escape.
fn may_have_controls(bytes: &[u8]) -> bool {
    bytes
        .windows(2)
        .any(|w| w[0] == b'\\' && matches!(w[1], b'u' | b'b' | b'f' | b'n' | b'r' | b't'))
}

/// Whether a text holds a control character other than newline, carriage
/// return and tab (NUL included).
pub fn has_forbidden_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

fn controls(v: &serde_json::Value, path: String, errors: &mut Vec<FieldError>) {
    match v {
        serde_json::Value::String(s) if has_forbidden_control(s) => {
            let f = if path.is_empty() {
                "body".to_string()
            } else {
                path
            };
            errors.push(FieldError::new(
                &f,
                "control_characters",
                "Текст содержит управляющие символы (например, NUL)",
                "The text contains control characters (such as NUL)",
            ));
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                controls(x, format!("{path}[{i}]"), errors);
            }
        }
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                controls(x, p, errors);
            }
        }
        _ => {}
    }
}

/// A JSON body that may be absent (an empty body or `null` is
/// `T::default()`); when
/// present it is read as strictly as [`ApiJson`].
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let has_type = req.headers().contains_key(axum::http::header::CONTENT_TYPE);
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Rejection::TooLarge
            } else {
                Rejection::Api(ApiError::bad_request(e.body_text()))
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) || bytes.trim_ascii() == b"null" {
            return Ok(OptionalJson(T::default()));
        }
        if !has_type {
            return Err(Rejection::MediaType);
        }
        parse(&bytes).map(OptionalJson).map_err(Rejection::Api)
    }
}
