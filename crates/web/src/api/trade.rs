//! Orders, shipments, receipts, payments and stock.

use super::{id_of, ApiJson, ApiPath, ApiQuery, DocListParams};
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kupets_app::document::CancelInput;
use kupets_app::trade::{
    CloseLineInput, OrderView, PaymentInput, StockRow, TradeDoc, TradeDocInput,
};
use kupets_app::AppError;
use kupets_domain::DocKind;
use kupets_store::model::Document;
use kupets_store::page::Page;
use serde::Deserialize;
use utoipa::IntoParams;

/// Query of a create: `post=true` creates and posts in one transaction.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreateParams {
    /// Post at once ("Провести"): one transaction, one commit.
    pub post: Option<bool>,
}

/// Handlers of a document kind with lines (shipments, receipts).
macro_rules! line_doc_api {
    ($m:ident, $kind:expr, $path:literal, $path_id:literal, $post:literal, $cancel:literal, $tag:literal) => {
        pub mod $m {
            use super::*;

            #[utoipa::path(get, path = $path, tag = $tag, params(DocListParams), responses((status = 200, body = Page<Document>)), security(("bearer" = [])))]
            pub async fn list(ApiActor(a): ApiActor, State(s): State<AppState>, ApiQuery(p): ApiQuery<DocListParams>) -> ApiResult<Json<Page<Document>>> {
                Ok(Json(s.app.list_documents(&a, $kind, &p.filter()?).await?))
            }

            /// Creates a draft; nothing moves until it is posted. With
            /// `?post=true` it is posted in the same transaction (refused as
            /// a whole, nothing written, when the posting is refused).
            #[utoipa::path(post, path = $path, tag = $tag, request_body = TradeDocInput,
                params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe create"), CreateParams),
                responses((status = 201, body = TradeDoc), (status = 409), (status = 422), (status = 403)), security(("bearer" = [])))]
            pub async fn create(ApiActor(a): ApiActor, State(s): State<AppState>, ApiQuery(q): ApiQuery<CreateParams>, ApiJson(input): ApiJson<TradeDocInput>) -> ApiResult<(StatusCode, Json<TradeDoc>)> {
                Ok((StatusCode::CREATED, Json(s.app.create_trade_doc_with(&a, $kind, &input, q.post.unwrap_or(false)).await?)))
            }

            #[utoipa::path(get, path = $path_id, tag = $tag, params(("id" = String, Path)), responses((status = 200, body = TradeDoc), (status = 404)), security(("bearer" = [])))]
            pub async fn get(ApiActor(a): ApiActor, State(s): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<Json<TradeDoc>> {
                Ok(Json(s.app.get_trade_doc(&a, $kind, id_of(&id, "document")?).await?))
            }

            /// Replaces a draft; a posted document is refused with 409.
            #[utoipa::path(put, path = $path_id, tag = $tag, params(("id" = String, Path)), request_body = TradeDocInput,
                responses((status = 200, body = TradeDoc), (status = 409), (status = 422)), security(("bearer" = [])))]
            pub async fn update(ApiActor(a): ApiActor, State(s): State<AppState>, ApiPath(id): ApiPath<String>, ApiJson(input): ApiJson<TradeDocInput>) -> ApiResult<Json<TradeDoc>> {
                Ok(Json(s.app.update_trade_doc(&a, $kind, id_of(&id, "document")?, &input).await?))
            }

            /// Posts: moves stock and settlements; refused with the figures when
            /// an order line, the stock or the credit limit would be exceeded.
            #[utoipa::path(post, path = $post, tag = $tag, params(("id" = String, Path)), request_body(content = Option<kupets_app::trade::PostInput>, description = "optional: `override_reason` to ship over a credit limit"),
                responses((status = 200, body = Document), (status = 409), (status = 422)), security(("bearer" = [])))]
            pub async fn post(ApiActor(a): ApiActor, State(s): State<AppState>, ApiPath(id): ApiPath<String>, crate::api::strict::OptionalJson(input): crate::api::strict::OptionalJson<kupets_app::trade::PostInput>) -> ApiResult<Json<Document>> {
                Ok(Json(s.app.post_trade_doc_with(&a, $kind, id_of(&id, "document")?, &input).await?))
            }

            /// Cancels a posted document with a reason: reversing entries.
            #[utoipa::path(post, path = $cancel, tag = $tag, params(("id" = String, Path)), request_body = CancelInput,
                responses((status = 200, body = Document), (status = 409), (status = 422)), security(("bearer" = [])))]
            pub async fn cancel(ApiActor(a): ApiActor, State(s): State<AppState>, ApiPath(id): ApiPath<String>, ApiJson(input): ApiJson<CancelInput>) -> ApiResult<Json<Document>> {
                Ok(Json(s.app.cancel_document(&a, $kind, id_of(&id, "document")?, &input).await?))
            }
        }
    };
}

line_doc_api!(
    returns,
    DocKind::Return,
    "/api/v1/returns",
    "/api/v1/returns/{id}",
    "/api/v1/returns/{id}/post",
    "/api/v1/returns/{id}/cancel",
    "returns"
);
line_doc_api!(
    supplier_returns,
    DocKind::SupplierReturn,
    "/api/v1/supplier-returns",
    "/api/v1/supplier-returns/{id}",
    "/api/v1/supplier-returns/{id}/post",
    "/api/v1/supplier-returns/{id}/cancel",
    "returns"
);
line_doc_api!(
    purchase_orders,
    DocKind::PurchaseOrder,
    "/api/v1/purchase-orders",
    "/api/v1/purchase-orders/{id}/lines",
    "/api/v1/purchase-orders/{id}/post",
    "/api/v1/purchase-orders/{id}/cancel",
    "purchase orders"
);
line_doc_api!(
    shipments,
    DocKind::Shipment,
    "/api/v1/shipments",
    "/api/v1/shipments/{id}",
    "/api/v1/shipments/{id}/post",
    "/api/v1/shipments/{id}/cancel",
    "shipments"
);
line_doc_api!(
    receipts,
    DocKind::Receipt,
    "/api/v1/receipts",
    "/api/v1/receipts/{id}",
    "/api/v1/receipts/{id}/post",
    "/api/v1/receipts/{id}/cancel",
    "receipts"
);
line_doc_api!(
    orders,
    DocKind::SalesOrder,
    "/api/v1/sales-orders",
    "/api/v1/sales-orders/{id}/lines",
    "/api/v1/sales-orders/{id}/post",
    "/api/v1/sales-orders/{id}/cancel",
    "sales orders"
);

/// The order view: lines with ordered, shipped and remaining; ordered,
/// shipped and paid amounts; shipment and payment states.
#[utoipa::path(get, path = "/api/v1/sales-orders/{id}", tag = "sales orders", params(("id" = String, Path)), responses((status = 200, body = OrderView), (status = 404)), security(("bearer" = [])))]
pub async fn order_view(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(
        s.app
            .order_view(&a, DocKind::SalesOrder, id_of(&id, "order")?)
            .await?,
    ))
}

/// The purchase order view: ordered, received, remaining, paid.
#[utoipa::path(get, path = "/api/v1/purchase-orders/{id}", tag = "purchase orders", params(("id" = String, Path)), responses((status = 200, body = OrderView), (status = 404)), security(("bearer" = [])))]
pub async fn purchase_view(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(
        s.app
            .order_view(&a, DocKind::PurchaseOrder, id_of(&id, "order")?)
            .await?,
    ))
}

/// Replaces a draft purchase order.
#[utoipa::path(put, path = "/api/v1/purchase-orders/{id}", tag = "purchase orders", params(("id" = String, Path)), request_body = TradeDocInput,
    responses((status = 200, body = TradeDoc), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn purchase_update(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<TradeDocInput>,
) -> ApiResult<Json<TradeDoc>> {
    Ok(Json(
        s.app
            .update_trade_doc(&a, DocKind::PurchaseOrder, id_of(&id, "order")?, &input)
            .await?,
    ))
}

/// Closes what remains of a purchase order line, with a reason.
#[utoipa::path(post, path = "/api/v1/purchase-orders/{id}/lines/{line_id}/close", tag = "purchase orders",
    params(("id" = String, Path), ("line_id" = String, Path)), request_body = CloseLineInput,
    responses((status = 200, body = OrderView), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn purchase_close_line(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath((id, line)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<CloseLineInput>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(
        s.app
            .close_order_line(
                &a,
                DocKind::PurchaseOrder,
                id_of(&id, "order")?,
                id_of(&line, "order line")?,
                &input,
            )
            .await?,
    ))
}

/// Replaces a draft order.
#[utoipa::path(put, path = "/api/v1/sales-orders/{id}", tag = "sales orders", params(("id" = String, Path)), request_body = TradeDocInput,
    responses((status = 200, body = TradeDoc), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn order_update(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<TradeDocInput>,
) -> ApiResult<Json<TradeDoc>> {
    Ok(Json(
        s.app
            .update_trade_doc(&a, DocKind::SalesOrder, id_of(&id, "order")?, &input)
            .await?,
    ))
}

/// Closes what remains of an order line, with a reason.
#[utoipa::path(post, path = "/api/v1/sales-orders/{id}/lines/{line_id}/close", tag = "sales orders",
    params(("id" = String, Path), ("line_id" = String, Path)), request_body = CloseLineInput,
    responses((status = 200, body = OrderView), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn close_line(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath((id, line)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<CloseLineInput>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(
        s.app
            .close_order_line(
                &a,
                DocKind::SalesOrder,
                id_of(&id, "order")?,
                id_of(&line, "order line")?,
                &input,
            )
            .await?,
    ))
}

fn payment_kind(d: Option<&str>) -> Result<DocKind, AppError> {
    match d.unwrap_or("in") {
        "in" | "" => Ok(DocKind::PaymentIn),
        "out" => Ok(DocKind::PaymentOut),
        _ => Err(AppError::field(
            "direction",
            "invalid",
            "Направление: in или out",
            "Direction: in or out",
        )),
    }
}

/// Payments of one direction, newest first.
#[utoipa::path(get, path = "/api/v1/payments", tag = "payments", params(DocListParams), responses((status = 200, body = Page<Document>)), security(("bearer" = [])))]
pub async fn payments(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<DocListParams>,
) -> ApiResult<Json<Page<Document>>> {
    Ok(Json(
        s.app
            .list_documents(&a, payment_kind(p.direction.as_deref())?, &p.filter()?)
            .await?,
    ))
}

/// Creates a draft payment (incoming by default).
#[utoipa::path(post, path = "/api/v1/payments", tag = "payments", request_body = PaymentInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe create"), CreateParams),
    responses((status = 201, body = Document), (status = 409), (status = 422), (status = 403)), security(("bearer" = [])))]
pub async fn payment_create(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<CreateParams>,
    ApiJson(input): ApiJson<PaymentInput>,
) -> ApiResult<(StatusCode, Json<Document>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            s.app
                .create_payment_with(&a, &input, q.post.unwrap_or(false))
                .await?,
        ),
    ))
}

async fn payment_id(s: &AppState, id: &str) -> Result<(DocKind, i64), AppError> {
    let id = id
        .parse::<i64>()
        .map_err(|_| AppError::NotFound { entity: "payment" })?;
    match s.app.kind_of(id).await? {
        k @ (DocKind::PaymentIn | DocKind::PaymentOut) => Ok((k, id)),
        _ => Err(AppError::NotFound { entity: "payment" }),
    }
}

#[utoipa::path(get, path = "/api/v1/payments/{id}", tag = "payments", params(("id" = String, Path)), responses((status = 200, body = Document), (status = 404)), security(("bearer" = [])))]
pub async fn payment_get(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Document>> {
    let (k, id) = payment_id(&s, &id).await?;
    Ok(Json(s.app.get_document(&a, k, id).await?))
}

/// Posts a payment: its settlement entry.
#[utoipa::path(post, path = "/api/v1/payments/{id}/post", tag = "payments", params(("id" = String, Path)), responses((status = 200, body = Document), (status = 409)), security(("bearer" = [])))]
pub async fn payment_post(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Document>> {
    let (k, id) = payment_id(&s, &id).await?;
    Ok(Json(s.app.post_trade_doc(&a, k, id).await?))
}

#[utoipa::path(post, path = "/api/v1/payments/{id}/cancel", tag = "payments", params(("id" = String, Path)), request_body = CancelInput,
    responses((status = 200, body = Document), (status = 409)), security(("bearer" = [])))]
pub async fn payment_cancel(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<CancelInput>,
) -> ApiResult<Json<Document>> {
    let (k, id) = payment_id(&s, &id).await?;
    Ok(Json(s.app.cancel_document(&a, k, id, &input).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockParams {
    pub warehouse_id: Option<String>,
    pub product_id: Option<String>,
}

/// Current stock by warehouse and product (rows with zero left out).
#[utoipa::path(get, path = "/api/v1/stock", tag = "stock", params(StockParams), responses((status = 200, body = Vec<StockRow>)), security(("bearer" = [])))]
pub async fn stock(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<StockParams>,
) -> ApiResult<Json<Vec<StockRow>>> {
    let id = |f: &str, v: &Option<String>| -> Result<Option<i64>, AppError> {
        match v.as_deref().filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                AppError::field(f, "invalid_id", "Неверный идентификатор", "Invalid id")
            }),
        }
    };
    Ok(Json(
        s.app
            .stock(
                &a,
                id("warehouse_id", &p.warehouse_id)?,
                id("product_id", &p.product_id)?,
            )
            .await?,
    ))
}
