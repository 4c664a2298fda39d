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
    /// `json` (default) or `xlsx` for a spreadsheet download.
    pub format: Option<String>,
}

/// A spreadsheet cell: text or an amount in kopecks.
pub(crate) enum Cell {
    T(String),
    M(i64),
    B(String),
    /// An ISO date, written as a real date cell (`dd.mm.yyyy`), so the
    /// spreadsheet sorts and filters it as a date.
    D(String),
    /// A month (`YYYY-MM`), a real date cell shown as `mm.yyyy`.
    Mo(String),
    /// A decimal (a quantity, a percentage) written as a number.
    N(String),
}

/// `2026-03-10` → `10.03.2026` for titles and file names.
pub(crate) fn ru_date(iso: &str) -> String {
    kupets_app::input::parse_date(iso)
        .map(kupets_domain::money::date_ru)
        .unwrap_or_else(|| iso.to_string())
}

/// `Content-Disposition` for a download named in Russian: `filename*`
/// (RFC 6266) for browsers, an ASCII `filename` for the rest.
pub(crate) fn attachment(file: &str, ext: &str) -> String {
    let ascii: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let utf8: String = file
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}.{ext}\"; filename*=UTF-8''{utf8}.{ext}")
}

fn money(v: &str) -> Cell {
    if v.is_empty() {
        Cell::T(String::new())
    } else {
        Cell::M(kupets_domain::Money::parse(v).unwrap_or_default().0)
    }
}

/// Writes one sheet: a title, column headers, rows. Amounts are numbers with
/// two decimals, so the spreadsheet can sum them.
pub(crate) fn xlsx(
    file: &str,
    sheet: &str,
    title: &str,
    headers: &[&str],
    rows: Vec<Vec<Cell>>,
    footer: Option<&str>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    // The sheet is named in Russian, as the report is.
    ws.set_name(sheet).map_err(err)?;
    let bold = Format::new().set_bold();
    let num = Format::new().set_num_format("# ##0.00");
    let day = Format::new().set_num_format("dd.mm.yyyy");
    let month = Format::new().set_num_format("mm.yyyy");
    let dec = Format::new().set_num_format("# ##0.###");
    ws.write_string_with_format(0, 0, title, &bold)
        .map_err(err)?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, *h, &bold)
            .map_err(err)?;
        ws.set_column_width(
            c as u16,
            if c == 0 || (headers.len() > 4 && c == 1) {
                40
            } else {
                16
            },
        )
        .map_err(err)?;
    }
    let mut r = 3;
    for row in rows {
        for (c, cell) in row.into_iter().enumerate() {
            match cell {
                Cell::T(t) => ws.write_string(r, c as u16, t).map(|_| ()),
                Cell::B(t) => ws
                    .write_string_with_format(r, c as u16, t, &bold)
                    .map(|_| ()),
                Cell::M(k) => ws
                    .write_number_with_format(r, c as u16, k as f64 / 100.0, &num)
                    .map(|_| ()),
                Cell::D(d) => match rust_xlsxwriter::ExcelDateTime::parse_from_str(&d) {
                    Ok(dt) => ws
                        .write_datetime_with_format(r, c as u16, &dt, &day)
                        .map(|_| ()),
                    Err(_) => ws.write_string(r, c as u16, d).map(|_| ()),
                },
                Cell::Mo(m) => {
                    match rust_xlsxwriter::ExcelDateTime::parse_from_str(&format!("{m}-01")) {
                        Ok(dt) => ws
                            .write_datetime_with_format(r, c as u16, &dt, &month)
                            .map(|_| ()),
                        Err(_) => ws.write_string(r, c as u16, m).map(|_| ()),
                    }
                }
                Cell::N(n) => match n.trim().replace(',', ".").parse::<f64>() {
                    Ok(v) => ws
                        .write_number_with_format(r, c as u16, v, &dec)
                        .map(|_| ()),
                    Err(_) => ws.write_string(r, c as u16, n).map(|_| ()),
                },
            }
            .map_err(err)?;
        }
        r += 1;
    }
    if let Some(f) = footer {
        ws.write_string(r + 1, 0, f).map_err(err)?;
    }
    let bytes = wb.save_to_buffer().map_err(err)?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                attachment(file, "xlsx"),
            ),
        ],
        bytes,
    )
        .into_response())
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
