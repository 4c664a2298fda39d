//! Error policy: every refusal a person can act on is an `AppError` variant
//! with a stable code and a message in Russian and English; the web layer maps
//! it to problem+json or an HTML page. Database failures are logged and shown
//! only as "internal error" — never their text. Unique-constraint races that
//! slip past a pre-check become 409 conflicts, not 500s.

use kupets_domain::FieldError;
use kupets_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    #[error("not authenticated")]
    Unauthorized,
    #[error("role {role} may not do this")]
    Forbidden { role: String },
    #[error("{en}")]
    Conflict {
        code: &'static str,
        ru: String,
        en: String,
    },
    /// Too many failed attempts: wait `retry_after` seconds.
    #[error("too many attempts, retry after {retry_after} s")]
    Throttled { retry_after: u64 },
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    pub fn field(
        field: &str,
        code: &'static str,
        ru: impl Into<String>,
        en: impl Into<String>,
    ) -> AppError {
        AppError::Validation(vec![FieldError::new(field, code, ru, en)])
    }
    pub fn conflict(code: &'static str, ru: impl Into<String>, en: impl Into<String>) -> AppError {
        AppError::Conflict {
            code,
            ru: ru.into(),
            en: en.into(),
        }
    }
    /// Stable machine-readable code, part of the API contract.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation",
            AppError::NotFound { .. } => "not_found",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden { .. } => "forbidden",
            AppError::Conflict { code, .. } => code,
            AppError::Throttled { .. } => "too_many_attempts",
            AppError::Internal(_) => "internal",
        }
    }
    pub fn message(&self, ru: bool) -> String {
        match (self, ru) {
            (AppError::Validation(errs), true) => {
                format!(
                    "Проверьте поля: {}",
                    errs.iter()
                        .map(|e| format!("{} — {}", e.field, e.message_ru))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            }
            (AppError::Validation(errs), false) => {
                format!(
                    "Check the fields: {}",
                    errs.iter()
                        .map(|e| format!("{} — {}", e.field, e.message_en))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            }
            (AppError::NotFound { entity }, true) => format!("Не найдено: {entity}"),
            (AppError::NotFound { entity }, false) => format!("Not found: {entity}"),
            (AppError::Unauthorized, true) => "Требуется вход в систему".into(),
            (AppError::Unauthorized, false) => "Login required".into(),
            // The role in words, as the menus name it, never its code.
            (AppError::Forbidden { role }, true) => format!(
                "Недостаточно прав для роли «{}»",
                kupets_domain::Role::parse(role).map_or(role.as_str(), |r| r.label(true))
            ),
            (AppError::Forbidden { role }, false) => format!(
                "The role '{}' may not do this",
                kupets_domain::Role::parse(role).map_or(role.as_str(), |r| r.label(false))
            ),
            (AppError::Conflict { ru, .. }, true) => ru.clone(),
            (AppError::Conflict { en, .. }, false) => en.clone(),
            (AppError::Throttled { retry_after }, true) => {
                format!("Слишком много неудачных попыток входа; повторите через {retry_after} с")
            }
            (AppError::Throttled { retry_after }, false) => {
                format!("Too many failed logins; retry in {retry_after} s")
            }
            (AppError::Internal(_), true) => {
                "Внутренняя ошибка; подробности в журнале сервера".into()
            }
            (AppError::Internal(_), false) => {
                "Internal error; details are in the server log".into()
            }
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        if e.is_unique_violation() {
            return AppError::conflict(
                "duplicate",
                "Такая запись уже существует (нарушена уникальность)",
                "Such a record already exists (uniqueness violated)",
            );
        }
        if e.is_foreign_key_violation() {
            return AppError::conflict(
                "reference",
                "Ссылка на несуществующую запись",
                "Reference to a missing record",
            );
        }
        if e.is_retryable() {
            // Retried by `Store::write` first; seen here only when every
            // retry collided too.
            tracing::warn!(error = %e, "transaction conflict after retries");
            return AppError::conflict(
                RETRY_CODE,
                "Данные одновременно изменяются другим запросом; повторите попытку",
                "The data is being changed by another request at the same time; please retry",
            );
        }
        tracing::error!(error = %e, "store error");
        AppError::Internal(e.to_string())
    }
}

/// The code of a conflict with a concurrent transaction: retried by the
/// store, and answered 409 "try again" when retries run out.
pub const RETRY_CODE: &str = "concurrent_update";

impl kupets_store::Retry for AppError {
    fn retryable(&self) -> bool {
        matches!(self, AppError::Conflict { code, .. } if *code == RETRY_CODE)
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> AppError {
        AppError::from(StoreError::Db(e))
    }
}
