//! Settlement reports under `/api/v1/reports`.

use super::ApiQuery;
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use chrono::Datelike;
use kupets_app::reports::{AgingReport, BalancesReport, Reconciliation};
use kupets_app::AppError;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// Report date (`YYYY-MM-DD`); today by default.
    pub date: Option<String>,
    /// Reconciliation: the counterparty.
    pub counterparty_id: Option<String>,
    /// Reconciliation: period start; 1 January of `to`'s year by default.
    pub from: Option<String>,
    /// Reconciliation: period end; today by default.
    pub to: Option<String>,
}

fn date(
    field: &str,
    v: &Option<String>,
    default: chrono::NaiveDate,
) -> Result<chrono::NaiveDate, AppError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => kupets_app::input::parse_date(s).ok_or_else(|| {
            AppError::field(
                field,
                "invalid_date",
                "Дата в формате ГГГГ-ММ-ДД",
                "A date as YYYY-MM-DD",
            )
        }),
    }
}

/// Balances of all counterparties on a date: receivables and payables.
#[utoipa::path(get, path = "/api/v1/reports/balances", tag = "reports", params(ReportParams), responses((status = 200, body = BalancesReport)), security(("bearer" = [])))]
pub async fn balances(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Json<BalancesReport>> {
    Ok(Json(
        s.app
            .balances_report(&a, date("date", &p.date, kupets_app::today())?)
            .await?,
    ))
}

/// Reconciliation statement (акт сверки) for a counterparty and a period.
#[utoipa::path(get, path = "/api/v1/reports/reconciliation", tag = "reports", params(ReportParams), responses((status = 200, body = Reconciliation), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn reconciliation(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Json<Reconciliation>> {
    let cp = p
        .counterparty_id
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            AppError::Validation(vec![kupets_domain::FieldError::required("counterparty_id")])
        })?
        .parse::<i64>()
        .map_err(|_| AppError::NotFound {
            entity: "counterparty",
        })?;
    let to = date("to", &p.to, kupets_app::today())?;
    let from = date(
        "from",
        &p.from,
        chrono::NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to),
    )?;
    Ok(Json(s.app.reconciliation(&a, cp, from, to).await?))
}

/// Receivables aging on a date in 0–30, 31–60, 61–90 and 90+ day buckets.
#[utoipa::path(get, path = "/api/v1/reports/aging", tag = "reports", params(ReportParams), responses((status = 200, body = AgingReport)), security(("bearer" = [])))]
pub async fn aging(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Json<AgingReport>> {
    Ok(Json(
        s.app
            .aging_report(&a, date("date", &p.date, kupets_app::today())?)
            .await?,
    ))
}
