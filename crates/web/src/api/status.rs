//! Statuses, the Today view, the sales funnel and hand-over.

use super::{id_of, ApiJson, ApiPath, ApiQuery};
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kupets_app::status::{
    AssignInput, Funnel, Handover, HandoverInput, Status, StatusAssignment, StatusHistory,
    StatusInput, Today, TodayFilter,
};
use kupets_app::AppError;
use kupets_domain::FieldError;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct StatusListParams {
    /// `true`: archived statuses too.
    pub archived: Option<bool>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct HistoryParams {
    /// The day the current status is read on; default today.
    pub date: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct FunnelParams {
    /// Orders dated from (default: 1 January of this year)…
    pub from: Option<String>,
    /// …to (default: today), both included.
    pub to: Option<String>,
    pub employee_id: Option<String>,
}

fn date_param(field: &str, v: &Option<String>) -> Result<Option<chrono::NaiveDate>, AppError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => kupets_app::input::parse_date(s).map(Some).ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                field,
                "invalid_date",
                "Дата в формате ГГГГ-ММ-ДД или ДД.ММ.ГГГГ",
                "A date as YYYY-MM-DD or DD.MM.YYYY",
            )])
        }),
    }
}

/// The status catalogue, funnel stages first.
#[utoipa::path(get, path = "/api/v1/statuses", tag = "statuses", params(StatusListParams),
    responses((status = 200, body = Vec<Status>)), security(("bearer" = [])))]
pub async fn status_list(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<StatusListParams>,
) -> ApiResult<Json<Vec<Status>>> {
    Ok(Json(
        s.app.list_statuses(&a, p.archived.unwrap_or(false)).await?,
    ))
}

/// Adds a status (admins).
#[utoipa::path(post, path = "/api/v1/statuses", tag = "statuses", request_body = StatusInput,
    responses((status = 201, body = Status), (status = 422), (status = 403)), security(("bearer" = [])))]
pub async fn status_create(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<StatusInput>,
) -> ApiResult<(StatusCode, Json<Status>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.save_status(&a, None, &input).await?),
    ))
}

/// Replaces a status (admins); `archived: true` retires it.
#[utoipa::path(put, path = "/api/v1/statuses/{id}", tag = "statuses", params(("id" = String, Path)), request_body = StatusInput,
    responses((status = 200, body = Status), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn status_update(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<StatusInput>,
) -> ApiResult<Json<Status>> {
    let id = id_of(&id, "status")?;
    Ok(Json(s.app.save_status(&a, Some(id), &input).await?))
}

/// A document's current status and full history.
#[utoipa::path(get, path = "/api/v1/documents/{id}/statuses", tag = "statuses", params(("id" = String, Path), HistoryParams),
    responses((status = 200, body = StatusHistory), (status = 404)), security(("bearer" = [])))]
pub async fn doc_statuses(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<HistoryParams>,
) -> ApiResult<Json<StatusHistory>> {
    let on = date_param("date", &p.date)?.unwrap_or_else(kupets_app::today);
    Ok(Json(
        s.app
            .status_history(&a, id_of(&id, "document")?, on)
            .await?,
    ))
}

/// Gives any document a status from a date (default today), with a note.
#[utoipa::path(post, path = "/api/v1/documents/{id}/statuses", tag = "statuses", params(("id" = String, Path)), request_body = AssignInput,
    responses((status = 201, body = StatusAssignment), (status = 404), (status = 422), (status = 403)), security(("bearer" = [])))]
pub async fn doc_assign(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<AssignInput>,
) -> ApiResult<(StatusCode, Json<StatusAssignment>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            s.app
                .assign_status(&a, id_of(&id, "document")?, &input)
                .await?,
        ),
    ))
}

/// Due and overdue reminders and documents by current status: one's own; a
/// department head's whole department, grouped by employee.
#[utoipa::path(get, path = "/api/v1/today", tag = "statuses", params(TodayFilter),
    responses((status = 200, body = Today), (status = 403), (status = 422)), security(("bearer" = [])))]
pub async fn today(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(f): ApiQuery<TodayFilter>,
) -> ApiResult<Json<Today>> {
    Ok(Json(s.app.today_view(&a, &f).await?))
}

/// Sales funnel: orders dated in the period by the furthest stage reached;
/// count, amount and stage-to-stage conversion, overall and per employee.
#[utoipa::path(get, path = "/api/v1/reports/funnel", tag = "statuses", params(FunnelParams),
    responses((status = 200, body = Funnel), (status = 403), (status = 422)), security(("bearer" = [])))]
pub async fn funnel(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<FunnelParams>,
) -> ApiResult<Json<Funnel>> {
    let (from, to) = funnel_period(&p)?;
    let employee = match p.employee_id.as_deref().filter(|s| !s.is_empty()) {
        Some(e) => Some(e.parse::<i64>().map_err(|_| {
            ApiError::from(AppError::field(
                "employee_id",
                "invalid_id",
                "Неверный идентификатор",
                "Invalid id",
            ))
        })?),
        None => None,
    };
    Ok(Json(s.app.funnel(&a, from, to, employee).await?))
}

pub fn funnel_period(p: &FunnelParams) -> Result<(chrono::NaiveDate, chrono::NaiveDate), AppError> {
    use chrono::Datelike;
    let to = date_param("to", &p.to)?.unwrap_or_else(kupets_app::today);
    let from = date_param("from", &p.from)?
        .unwrap_or_else(|| chrono::NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to));
    if to < from {
        return Err(AppError::field(
            "to",
            "before_start",
            "Конец периода раньше начала",
            "The period ends before it starts",
        ));
    }
    Ok((from, to))
}

/// What handing one employee's work to another would move; nothing changes.
#[utoipa::path(post, path = "/api/v1/handover/preview", tag = "statuses", request_body = HandoverInput,
    responses((status = 200, body = Handover), (status = 403), (status = 422)), security(("bearer" = [])))]
pub async fn handover_preview(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<HandoverInput>,
) -> ApiResult<Json<Handover>> {
    Ok(Json(s.app.handover_preview(&a, &input).await?))
}

/// Moves a leaving employee's counterparties, open documents and reminders
/// to another employee (admins; heads within their department); audited.
#[utoipa::path(post, path = "/api/v1/handover", tag = "statuses", request_body = HandoverInput,
    responses((status = 200, body = Handover), (status = 403), (status = 422)), security(("bearer" = [])))]
pub async fn handover(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<HandoverInput>,
) -> ApiResult<Json<Handover>> {
    Ok(Json(s.app.handover(&a, &input).await?))
}
