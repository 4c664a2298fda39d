//! Settlement reports under `/api/v1/reports`.

use super::ApiQuery;
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::xlsx::{xlsx, Cell};
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
    /// `json` (default) or `xlsx` for a spreadsheet download.
    pub format: Option<String>,
}

/// `2026-03-10` → `10.03.2026` for titles and file names.
pub(crate) fn ru_date(iso: &str) -> String {
    kupets_app::input::parse_date(iso)
        .map(kupets_domain::money::date_ru)
        .unwrap_or_else(|| iso.to_string())
}

fn money(v: &str) -> Cell {
    if v.is_empty() {
        Cell::T(String::new())
    } else {
        Cell::M(kupets_domain::Money::parse(v).unwrap_or_default().0)
    }
}

fn wants_xlsx(p: &ReportParams) -> Result<bool, AppError> {
    match p.format.as_deref().unwrap_or("json") {
        "json" | "" => Ok(false),
        "xlsx" => Ok(true),
        _ => Err(AppError::field(
            "format",
            "invalid",
            "Формат: json или xlsx",
            "Format: json or xlsx",
        )),
    }
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
) -> ApiResult<axum::response::Response> {
    let r = s
        .app
        .balances_report(&a, date("date", &p.date, kupets_app::today())?)
        .await?;
    if wants_xlsx(&p)? {
        let mut rows: Vec<Vec<Cell>> = r
            .rows
            .iter()
            .map(|x| {
                vec![
                    Cell::T(x.name.clone()),
                    Cell::T(x.inn.clone()),
                    money(&x.receivable),
                    money(&x.payable),
                ]
            })
            .collect();
        rows.push(vec![
            Cell::B("Итого".into()),
            Cell::T(String::new()),
            money(&r.total_receivable),
            money(&r.total_payable),
        ]);
        return Ok(xlsx(
            &format!("Взаиморасчёты на {}", ru_date(&r.date)),
            "Взаиморасчёты",
            &format!("Взаиморасчёты на {}", ru_date(&r.date)),
            &["Контрагент", "ИНН", "Нам должны", "Мы должны"],
            rows,
            None,
        )?);
    }
    Ok(axum::response::IntoResponse::into_response(Json(r)))
}

/// Reconciliation statement (акт сверки) for a counterparty and a period.
#[utoipa::path(get, path = "/api/v1/reports/reconciliation", tag = "reports", params(ReportParams), responses((status = 200, body = Reconciliation), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn reconciliation(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<axum::response::Response> {
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
    let r = s.app.reconciliation(&a, cp, from, to).await?;
    if wants_xlsx(&p)? {
        let (ob, cb) = (
            kupets_domain::Money::parse(&r.opening)
                .unwrap_or_default()
                .0,
            kupets_domain::Money::parse(&r.closing)
                .unwrap_or_default()
                .0,
        );
        let side = |v: i64| {
            if v >= 0 {
                (Cell::M(v), Cell::T(String::new()))
            } else {
                (Cell::T(String::new()), Cell::M(-v))
            }
        };
        let mut rows = Vec::new();
        let (d, c) = side(ob);
        rows.push(vec![
            Cell::B("Сальдо начальное".into()),
            Cell::T(String::new()),
            d,
            c,
        ]);
        for x in &r.rows {
            rows.push(vec![
                Cell::D(x.date.clone()),
                Cell::T(x.title.clone()),
                money(&x.debit),
                money(&x.credit),
            ]);
        }
        rows.push(vec![
            Cell::B("Обороты за период".into()),
            Cell::T(String::new()),
            money(&r.turnover_debit),
            money(&r.turnover_credit),
        ]);
        let (d, c) = side(cb);
        rows.push(vec![
            Cell::B("Сальдо конечное".into()),
            Cell::T(String::new()),
            d,
            c,
        ]);
        let title = format!(
            "Акт сверки взаимных расчетов за период {} – {} между {} и {}",
            ru_date(&r.from),
            ru_date(&r.to),
            r.our_company,
            r.counterparty
        );
        return Ok(xlsx(
            &format!(
                "Акт сверки {} {}–{}",
                r.counterparty,
                ru_date(&r.from),
                ru_date(&r.to)
            ),
            "Акт сверки",
            &title,
            &["Дата", "Документ", "Дебет", "Кредит"],
            rows,
            Some(&r.conclusion),
        )?);
    }
    Ok(axum::response::IntoResponse::into_response(Json(r)))
}

/// Receivables aging on a date in 0–30, 31–60, 61–90 and 90+ day buckets.
#[utoipa::path(get, path = "/api/v1/reports/aging", tag = "reports", params(ReportParams), responses((status = 200, body = AgingReport)), security(("bearer" = [])))]
pub async fn aging(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<axum::response::Response> {
    let r = s
        .app
        .aging_report(&a, date("date", &p.date, kupets_app::today())?)
        .await?;
    if wants_xlsx(&p)? {
        let rows = r
            .rows
            .iter()
            .chain(std::iter::once(&r.totals))
            .map(|x| {
                vec![
                    Cell::T(x.name.clone()),
                    money(&x.d0_30),
                    money(&x.d31_60),
                    money(&x.d61_90),
                    money(&x.d90_plus),
                    money(&x.total),
                    money(&x.unallocated_credit),
                ]
            })
            .collect();
        return Ok(xlsx(
            &format!("Старение задолженности на {}", ru_date(&r.date)),
            "Старение задолженности",
            &format!("Старение дебиторской задолженности на {}", ru_date(&r.date)),
            &[
                "Контрагент",
                "0–30",
                "31–60",
                "61–90",
                "90+",
                "Итого",
                "Аванс",
            ],
            rows,
            None,
        )?);
    }
    Ok(axum::response::IntoResponse::into_response(Json(r)))
}

/// Installation settings: `company_name` (printed on statements) and
/// `allow_negative_stock` (`true` lets stock go below zero).
#[utoipa::path(get, path = "/api/v1/settings", tag = "system", responses((status = 200, body = Vec<kupets_app::reports::Setting>)), security(("bearer" = [])))]
pub async fn settings(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<kupets_app::reports::Setting>>> {
    Ok(Json(s.app.settings(&a).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SettingValue {
    pub value: String,
}

/// Changes a setting (admins); the change is audited.
#[utoipa::path(put, path = "/api/v1/settings/{key}", tag = "system", params(("key" = String, Path)), request_body = SettingValue,
    responses((status = 200, body = kupets_app::reports::Setting), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn set_setting(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    super::ApiPath(key): super::ApiPath<String>,
    super::ApiJson(v): super::ApiJson<SettingValue>,
) -> ApiResult<Json<kupets_app::reports::Setting>> {
    Ok(Json(s.app.set_setting(&a, &key, &v.value).await?))
}
