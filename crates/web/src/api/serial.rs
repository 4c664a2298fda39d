//! Production, units and their trace, recalls, repairs, defect statistics.

use super::{id_of, ApiJson, ApiPath, ApiQuery};
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kupets_app::document::CancelInput;
use kupets_app::serial::{
    DefectCategory, DefectStats, ProductionInput, ProductionView, ProgressInput, Recall,
    RecallCriteria, RecallInput, RecallUnit, RepairInput, RepairPartInput, RepairRow,
    RepairStateInput, RepairUpdate, TraceCard, UnitRow,
};
use kupets_domain::DocKind;
use kupets_store::model::Document;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct UnitSearch {
    /// A serial, or its beginning.
    pub serial: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct RepairList {
    /// `true`: only repairs not yet handed back or declined.
    pub open: Option<bool>,
}

/// Creates a draft production: the units to make (serials entered, scanned
/// or from a pattern) and what goes into each.
#[utoipa::path(post, path = "/api/v1/productions", tag = "serials", request_body = ProductionInput,
    responses((status = 201, body = ProductionView), (status = 422), (status = 403)), security(("bearer" = [])))]
pub async fn production_create(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<ProductionInput>,
) -> ApiResult<(StatusCode, Json<ProductionView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_production(&a, &input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/productions/{id}", tag = "serials", params(("id" = String, Path)),
    responses((status = 200, body = ProductionView), (status = 404)), security(("bearer" = [])))]
pub async fn production_get(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ProductionView>> {
    Ok(Json(
        s.app.get_production(&a, id_of(&id, "production")?).await?,
    ))
}

/// Posts: consumes the components and makes the units.
#[utoipa::path(post, path = "/api/v1/productions/{id}/post", tag = "serials", params(("id" = String, Path)),
    responses((status = 200, body = ProductionView), (status = 409)), security(("bearer" = [])))]
pub async fn production_post(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ProductionView>> {
    Ok(Json(
        s.app.post_production(&a, id_of(&id, "production")?).await?,
    ))
}

/// Cancels a posted production while all its units are still in stock.
#[utoipa::path(post, path = "/api/v1/productions/{id}/cancel", tag = "serials", params(("id" = String, Path)), request_body = CancelInput,
    responses((status = 200, body = Document), (status = 409)), security(("bearer" = [])))]
pub async fn production_cancel(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<CancelInput>,
) -> ApiResult<Json<Document>> {
    Ok(Json(
        s.app
            .cancel_document(&a, DocKind::Production, id_of(&id, "production")?, &input)
            .await?,
    ))
}

/// Units by serial (exact or beginning), any product.
#[utoipa::path(get, path = "/api/v1/units", tag = "serials", params(UnitSearch),
    responses((status = 200, body = Vec<UnitRow>)), security(("bearer" = [])))]
pub async fn unit_search(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<UnitSearch>,
) -> ApiResult<Json<Vec<UnitRow>>> {
    Ok(Json(
        s.app
            .find_units(&a, q.serial.as_deref().unwrap_or(""))
            .await?,
    ))
}

/// The trace card: production, components, every movement, repairs, warranty.
#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "serials", params(("id" = String, Path)),
    responses((status = 200, body = TraceCard), (status = 404)), security(("bearer" = [])))]
pub async fn unit_trace(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TraceCard>> {
    Ok(Json(s.app.trace(&a, id_of(&id, "unit")?).await?))
}

/// Units a recall would cover, with customer, shipment and warranty.
#[utoipa::path(get, path = "/api/v1/recalls/search", tag = "serials", params(RecallCriteria),
    responses((status = 200, body = Vec<RecallUnit>), (status = 422)), security(("bearer" = [])))]
pub async fn recall_search(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(k): ApiQuery<RecallCriteria>,
) -> ApiResult<Json<Vec<RecallUnit>>> {
    Ok(Json(s.app.recall_search(&a, &k).await?))
}

/// Opens a recall campaign: reminders on every affected shipment.
#[utoipa::path(post, path = "/api/v1/recalls", tag = "serials", request_body = RecallInput,
    responses((status = 201, body = Recall), (status = 409), (status = 422), (status = 403)), security(("bearer" = [])))]
pub async fn recall_open(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<RecallInput>,
) -> ApiResult<(StatusCode, Json<Recall>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.open_recall(&a, &input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/recalls/{id}", tag = "serials", params(("id" = String, Path)),
    responses((status = 200, body = Recall), (status = 404)), security(("bearer" = [])))]
pub async fn recall_get(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Recall>> {
    Ok(Json(s.app.get_recall(&a, id_of(&id, "recall")?).await?))
}

/// Marks a unit of a campaign contacted (returned and repaired are also set
/// by the return and the repair themselves).
#[utoipa::path(put, path = "/api/v1/recalls/{id}/units/{unit_id}", tag = "serials", params(("id" = String, Path), ("unit_id" = String, Path)), request_body = ProgressInput,
    responses((status = 200, body = Recall), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn recall_progress(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath((id, unit)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<ProgressInput>,
) -> ApiResult<Json<Recall>> {
    Ok(Json(
        s.app
            .set_recall_progress(&a, id_of(&id, "recall")?, id_of(&unit, "unit")?, &input)
            .await?,
    ))
}

/// The customers to contact, as CSV for Excel.
#[utoipa::path(get, path = "/api/v1/recalls/{id}/customers.csv", tag = "serials", params(("id" = String, Path)),
    responses((status = 200, content_type = "text/csv")), security(("bearer" = [])))]
pub async fn recall_csv(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let csv = s
        .app
        .recall_customers_csv(&a, id_of(&id, "recall")?)
        .await?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (CONTENT_DISPOSITION, "attachment; filename=\"recall.csv\""),
        ],
        csv,
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/repairs", tag = "serials", params(RepairList),
    responses((status = 200, body = Vec<RepairRow>)), security(("bearer" = [])))]
pub async fn repair_list(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<RepairList>,
) -> ApiResult<Json<Vec<RepairRow>>> {
    Ok(Json(s.app.list_repairs(&a, q.open.unwrap_or(false)).await?))
}

/// Opens a repair order from a serial; warranty is decided from the
/// shipment date.
#[utoipa::path(post, path = "/api/v1/repairs", tag = "serials", request_body = RepairInput,
    responses((status = 201, body = RepairRow), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn repair_open(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<RepairInput>,
) -> ApiResult<(StatusCode, Json<RepairRow>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.open_repair(&a, &input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/repairs/{id}", tag = "serials", params(("id" = String, Path)),
    responses((status = 200, body = RepairRow), (status = 404)), security(("bearer" = [])))]
pub async fn repair_get(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<RepairRow>> {
    Ok(Json(s.app.get_repair(&a, id_of(&id, "repair")?).await?))
}

/// Diagnosis, work, price, cost; a warranty override (heads, with a reason).
#[utoipa::path(put, path = "/api/v1/repairs/{id}", tag = "serials", params(("id" = String, Path)), request_body = RepairUpdate,
    responses((status = 200, body = RepairRow), (status = 403), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn repair_update(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<RepairUpdate>,
) -> ApiResult<Json<RepairRow>> {
    Ok(Json(
        s.app
            .update_repair(&a, id_of(&id, "repair")?, &input)
            .await?,
    ))
}

/// Moves the repair to its next state.
#[utoipa::path(post, path = "/api/v1/repairs/{id}/state", tag = "serials", params(("id" = String, Path)), request_body = RepairStateInput,
    responses((status = 200, body = RepairRow), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn repair_state(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<RepairStateInput>,
) -> ApiResult<Json<RepairRow>> {
    Ok(Json(
        s.app
            .set_repair_state(&a, id_of(&id, "repair")?, &input)
            .await?,
    ))
}

/// Puts a part in, from stock; may replace an as-built component.
#[utoipa::path(post, path = "/api/v1/repairs/{id}/parts", tag = "serials", params(("id" = String, Path)), request_body = RepairPartInput,
    responses((status = 200, body = RepairRow), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn repair_part(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<RepairPartInput>,
) -> ApiResult<Json<RepairRow>> {
    Ok(Json(
        s.app
            .add_repair_part(&a, id_of(&id, "repair")?, &input)
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/defect-categories", tag = "serials",
    responses((status = 200, body = Vec<DefectCategory>)), security(("bearer" = [])))]
pub async fn defect_categories(
    ApiActor(_a): ApiActor,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<DefectCategory>>> {
    Ok(Json(s.app.defect_categories().await?))
}

/// Says whether a defect category counts as a product failure in the
/// defect rates (heads of department and admins).
#[utoipa::path(put, path = "/api/v1/defect-categories/{id}", tag = "serials", params(("id" = String, Path)), request_body = kupets_app::serial::DefectCategoryInput,
    responses((status = 200, body = kupets_app::serial::DefectCategory), (status = 404), (status = 422), (status = 403)), security(("bearer" = [])))]
pub async fn defect_category_update(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<kupets_app::serial::DefectCategoryInput>,
) -> ApiResult<Json<kupets_app::serial::DefectCategory>> {
    Ok(Json(
        s.app
            .set_defect_category(&a, id_of(&id, "defect category")?, &input)
            .await?,
    ))
}

/// Repairs by product, defect category, production month and component
/// lot, with failure rates.
#[utoipa::path(get, path = "/api/v1/reports/defects", tag = "serials", params(super::status::FunnelParams),
    responses((status = 200, body = DefectStats), (status = 422)), security(("bearer" = [])))]
pub async fn defects(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<super::status::FunnelParams>,
) -> ApiResult<Json<DefectStats>> {
    let (from, to) = super::status::funnel_period(&p)?;
    Ok(Json(s.app.defect_stats(&a, from, to).await?))
}
