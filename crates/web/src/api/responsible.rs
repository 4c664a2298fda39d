//! Who works on what: a document's responsible, absences with a deputy, and
//! what nobody attends to.

use super::{id_of, ApiJson, ApiPath, ApiQuery};
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kupets_app::absence::{Absence, AbsenceFilter, AbsenceInput};
use kupets_app::responsible::{ResponsibleChange, ResponsibleInput};
use kupets_app::unattended::{Unattended, UnattendedFilter};

/// Changes a document's responsible, posted documents included (the
/// responsible or their deputy, the head of their department, admins);
/// audited old → new.
#[utoipa::path(put, path = "/api/v1/documents/{id}/responsible", tag = "responsible", params(("id" = String, Path)), request_body = ResponsibleInput,
    responses((status = 200, body = ResponsibleChange), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn set_responsible(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ResponsibleInput>,
) -> ApiResult<Json<ResponsibleChange>> {
    Ok(Json(
        s.app
            .set_responsible(&a, id_of(&id, "document")?, &input)
            .await?,
    ))
}

/// Absences not over yet (or on a day, or all).
#[utoipa::path(get, path = "/api/v1/absences", tag = "responsible", params(AbsenceFilter),
    responses((status = 200, body = Vec<Absence>), (status = 422)), security(("bearer" = [])))]
pub async fn absence_list(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(f): ApiQuery<AbsenceFilter>,
) -> ApiResult<Json<Vec<Absence>>> {
    Ok(Json(s.app.list_absences(&a, &f).await?))
}

/// Records an absence with a deputy (heads within their department,
/// admins). Nothing moves: the deputy's Today shows the absent person's
/// work, and the deputy may act on it, until the last day.
#[utoipa::path(post, path = "/api/v1/absences", tag = "responsible", request_body = AbsenceInput,
    responses((status = 201, body = Absence), (status = 403), (status = 422)), security(("bearer" = [])))]
pub async fn absence_create(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<AbsenceInput>,
) -> ApiResult<(StatusCode, Json<Absence>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_absence(&a, &input).await?),
    ))
}

/// Ends an absence early (it stays on record as cancelled).
#[utoipa::path(post, path = "/api/v1/absences/{id}/cancel", tag = "responsible", params(("id" = String, Path)),
    responses((status = 200, body = Absence), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn absence_cancel(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Absence>> {
    Ok(Json(
        s.app.cancel_absence(&a, id_of(&id, "absence")?).await?,
    ))
}

/// Open sales orders with no status or a status older than N days, and
/// counterparties that bought in the past 12 months with nothing for N days
/// (N: the `unattended_days` setting, 14 by default).
#[utoipa::path(get, path = "/api/v1/unattended", tag = "responsible", params(UnattendedFilter),
    responses((status = 200, body = Unattended), (status = 403), (status = 422)), security(("bearer" = [])))]
pub async fn unattended(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(f): ApiQuery<UnattendedFilter>,
) -> ApiResult<Json<Unattended>> {
    Ok(Json(s.app.unattended(&a, &f).await?))
}
