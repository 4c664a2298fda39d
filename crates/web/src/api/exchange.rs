//! Exchange with the bank: statements in (`1CClientBankExchange`), payment
//! orders out, and imports of existing records.

use super::{id_of, ApiJson, ApiPath, ApiQuery};
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kupets_app::exchange::bank_rows::{AssignInput, BankImport, PostedBatch};
use kupets_app::exchange::payment_orders::PaymentOrderFilter;
use kupets_app::exchange::statement::{BankRow, StatementResult};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Statements and imports are larger than the usual request.
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(statement_list, statement_upload))
        .routes(routes!(statement_get))
        .routes(routes!(statement_post))
        .routes(routes!(row_assign))
        .routes(routes!(row_counterparty))
        .routes(routes!(payment_orders))
        .merge(super::records::router())
        .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// `true`: only show what the import would do; nothing is written.
    pub preview: Option<String>,
    /// The file's name, kept with the import.
    pub file_name: Option<String>,
}

/// Uploads a bank statement (the file's bytes as the body; windows-1251,
/// cp866 or UTF-8 by its `Кодировка`). With `preview=true` nothing is
/// written; otherwise new documents are stored, matched ones become draft
/// payments, and documents imported before create nothing. A bad file is
/// refused (422, field `file`) with its line number.
#[utoipa::path(post, path = "/api/v1/bank-statements", tag = "exchange", params(UploadParams),
    request_body(content = String, content_type = "text/plain"),
    responses((status = 200, body = StatementResult), (status = 201, body = StatementResult), (status = 403), (status = 422)), security(("bearer" = [])))]
pub async fn statement_upload(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<UploadParams>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<StatementResult>)> {
    if matches!(p.preview.as_deref(), Some("true" | "1")) {
        return Ok((
            StatusCode::OK,
            Json(s.app.preview_statement(&a, &body).await?),
        ));
    }
    let name = p.file_name.unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        Json(s.app.import_statement(&a, &name, &body).await?),
    ))
}

/// Imports so far, newest first.
#[utoipa::path(get, path = "/api/v1/bank-statements", tag = "exchange",
    responses((status = 200, body = Vec<BankImport>), (status = 403)), security(("bearer" = [])))]
pub async fn statement_list(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<BankImport>>> {
    Ok(Json(s.app.list_bank_imports(&a).await?))
}

/// One import with its documents, their matches and payments.
#[utoipa::path(get, path = "/api/v1/bank-statements/{id}", tag = "exchange", params(("id" = String, Path)),
    responses((status = 200, body = BankImport), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn statement_get(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<BankImport>> {
    Ok(Json(
        s.app
            .get_bank_import(&a, id_of(&id, "bank import")?)
            .await?,
    ))
}

/// Posts every draft payment of the import, in one transaction.
#[utoipa::path(post, path = "/api/v1/bank-statements/{id}/post", tag = "exchange", params(("id" = String, Path)),
    responses((status = 200, body = PostedBatch), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn statement_post(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<PostedBatch>> {
    Ok(Json(
        s.app
            .post_bank_import(&a, id_of(&id, "bank import")?)
            .await?,
    ))
}

/// Assigns a bank document to a counterparty (and optionally an order).
#[utoipa::path(post, path = "/api/v1/bank-statement-rows/{id}/assign", tag = "exchange", params(("id" = String, Path)),
    request_body = AssignInput,
    responses((status = 200, body = BankRow), (status = 403), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn row_assign(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<AssignInput>,
) -> ApiResult<Json<BankRow>> {
    Ok(Json(
        s.app
            .assign_bank_row(&a, id_of(&id, "bank document")?, &input)
            .await?,
    ))
}

/// Creates a counterparty from the other party's requisites and assigns
/// the document to it.
#[utoipa::path(post, path = "/api/v1/bank-statement-rows/{id}/counterparty", tag = "exchange", params(("id" = String, Path)),
    responses((status = 200, body = BankRow), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn row_counterparty(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<BankRow>> {
    Ok(Json(
        s.app
            .counterparty_from_bank_row(&a, id_of(&id, "bank document")?)
            .await?,
    ))
}

/// Outgoing payments of a period as payment orders for the bank client
/// (`1CClientBankExchange` 1.03, windows-1251, CRLF).
#[utoipa::path(get, path = "/api/v1/payment-orders", tag = "exchange", params(PaymentOrderFilter),
    responses((status = 200, content_type = "text/plain"), (status = 403), (status = 422)), security(("bearer" = [])))]
pub async fn payment_orders(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(f): ApiQuery<PaymentOrderFilter>,
) -> ApiResult<Response> {
    let (name, bytes) = s.app.payment_orders(&a, &f).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=windows-1251".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
