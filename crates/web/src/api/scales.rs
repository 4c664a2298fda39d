//! Discount scales (cumulative) and rule sets (volume-maintenance), and
//! which of them a counterparty is given. The default of each kind is the
//! setting `default_cumulative_scale` / `default_volume_scale`
//! (`PUT /api/v1/settings/{key}`).

use super::{id_of, ApiJson, ApiPath, ApiQuery};
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kupets_app::discount_scale::{ClientScales, ClientScalesInput, DiscountScale, ScaleInput};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ScaleListParams {
    /// `cumulative` or `volume`; empty: both.
    pub kind: Option<String>,
    /// `true`: archived scales instead of those in force.
    pub archived: Option<bool>,
}

/// Named cumulative scales and volume-maintenance rule sets.
#[utoipa::path(get, path = "/api/v1/discount-scales", tag = "pricing", params(ScaleListParams),
    responses((status = 200, body = Vec<DiscountScale>)), security(("bearer" = [])))]
pub async fn scale_list(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<ScaleListParams>,
) -> ApiResult<Json<Vec<DiscountScale>>> {
    let kind = p.kind.as_deref().filter(|k| !k.is_empty());
    Ok(Json(
        s.app
            .list_scales(&a, kind, p.archived.unwrap_or(false))
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/discount-scales", tag = "pricing", request_body = ScaleInput,
    responses((status = 201, body = DiscountScale), (status = 422), (status = 403)), security(("bearer" = [])))]
pub async fn scale_create(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<ScaleInput>,
) -> ApiResult<(StatusCode, Json<DiscountScale>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.save_scale(&a, None, &input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/discount-scales/{id}", tag = "pricing", params(("id" = String, Path)),
    responses((status = 200, body = DiscountScale), (status = 404)), security(("bearer" = [])))]
pub async fn scale_get(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<DiscountScale>> {
    Ok(Json(s.app.get_scale(&a, id_of(&id, "scale")?).await?))
}

/// Renames a scale (its kind stays).
#[utoipa::path(put, path = "/api/v1/discount-scales/{id}", tag = "pricing", params(("id" = String, Path)), request_body = ScaleInput,
    responses((status = 200, body = DiscountScale), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn scale_update(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ScaleInput>,
) -> ApiResult<Json<DiscountScale>> {
    let id = id_of(&id, "scale")?;
    Ok(Json(s.app.save_scale(&a, Some(id), &input).await?))
}

/// Archives a scale no counterparty is given and that is not the default.
#[utoipa::path(delete, path = "/api/v1/discount-scales/{id}", tag = "pricing", params(("id" = String, Path)),
    responses((status = 204), (status = 404), (status = 409)), security(("bearer" = [])))]
pub async fn scale_delete(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    s.app.archive_scale(&a, id_of(&id, "scale")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The scales a counterparty is given and those that apply to it.
#[utoipa::path(get, path = "/api/v1/counterparties/{id}/discount-scales", tag = "pricing", params(("id" = String, Path)),
    responses((status = 200, body = ClientScales), (status = 404)), security(("bearer" = [])))]
pub async fn client_scales_get(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ClientScales>> {
    Ok(Json(
        s.app.client_scales(&a, id_of(&id, "counterparty")?).await?,
    ))
}

/// Gives a counterparty its scales: empty — the default, `none` — withheld,
/// or a scale id. Audited.
#[utoipa::path(put, path = "/api/v1/counterparties/{id}/discount-scales", tag = "pricing", params(("id" = String, Path)), request_body = ClientScalesInput,
    responses((status = 200, body = ClientScales), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn client_scales_put(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ClientScalesInput>,
) -> ApiResult<Json<ClientScales>> {
    Ok(Json(
        s.app
            .set_client_scales(&a, id_of(&id, "counterparty")?, &input)
            .await?,
    ))
}

/// The built-in counterparty «Розничный покупатель» for walk-in retail
/// sales (created on first use); its id.
#[utoipa::path(post, path = "/api/v1/walk-in-buyer", tag = "pricing",
    responses((status = 200, body = kupets_store::model::Counterparty)), security(("bearer" = [])))]
pub async fn walk_in(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
) -> ApiResult<Json<kupets_store::model::Counterparty>> {
    let id = s.app.walk_in_buyer(&a).await?;
    Ok(Json(s.app.get_counterparty(&a, id).await?.counterparty))
}
