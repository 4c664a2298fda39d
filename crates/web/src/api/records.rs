//! Imports of existing records (CSV, XLSX): preview, import (all or
//! nothing), templates.

use super::{ApiPath, ApiQuery};
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kupets_app::exchange::records::{template, RecordImport};
use kupets_app::AppError;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(import_template))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `true`: check every row and list the errors; nothing is written.
    pub preview: Option<String>,
}

/// Imports records of a kind (`counterparties`, `contacts`, `products`,
/// `prices`, `opening-balances`, `opening-stock`) from a CSV (UTF-8 or
/// windows-1251, `;` or `,`) or XLSX file sent as the body. Every row is
/// checked first; with any error nothing is written and every error is
/// listed (422, fields `rows[N].column`). `preview=true` lists what the
/// import would do. The body is read as bytes whatever its declared type:
/// CSV as text (declared `text/plain`, which every client can send) or an
/// XLSX file as it is.
#[utoipa::path(post, path = "/api/v1/imports/{kind}", tag = "exchange", params(("kind" = String, Path), ImportParams),
    request_body(content = String, content_type = "text/plain"),
    responses((status = 200, body = RecordImport), (status = 201, body = RecordImport), (status = 403), (status = 422)), security(("bearer" = [])))]
pub async fn import(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(kind): ApiPath<String>,
    ApiQuery(p): ApiQuery<ImportParams>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<RecordImport>)> {
    let preview = matches!(p.preview.as_deref(), Some("true" | "1"));
    let r = s.app.import_records(&a, &kind, &body, !preview).await?;
    if preview {
        return Ok((StatusCode::OK, Json(r)));
    }
    if !r.errors.is_empty() {
        return Err(
            AppError::Validation(r.errors.iter().map(|e| e.field_error()).collect()).into(),
        );
    }
    Ok((StatusCode::CREATED, Json(r)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateParams {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
}

/// A template for the kind: Russian headers and an example row.
#[utoipa::path(get, path = "/api/v1/imports/{kind}/template", tag = "exchange", params(("kind" = String, Path), TemplateParams),
    responses((status = 200, content_type = "text/csv"), (status = 422)), security(("bearer" = [])))]
pub async fn import_template(
    ApiActor(_a): ApiActor,
    ApiPath(kind): ApiPath<String>,
    ApiQuery(p): ApiQuery<TemplateParams>,
) -> ApiResult<Response> {
    let xlsx = p.format.as_deref() == Some("xlsx");
    let bytes = template(&kind, xlsx)?;
    let (ct, ext) = if xlsx {
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        ("text/csv; charset=utf-8", "csv")
    };
    Ok((
        [
            (header::CONTENT_TYPE, ct.to_string()),
            (
                header::CONTENT_DISPOSITION,
                crate::download::attachment(
                    &kupets_app::exchange::records::template_name(&kind),
                    ext,
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}
