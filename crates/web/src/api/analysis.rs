//! Sales and margin analysis under `/api/v1/reports`: sales (with its
//! drill-down and XLSX), ABC, quiet clients, the owner's page.

use super::reports::ru_date;
use super::ApiQuery;
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::xlsx::{xlsx, Cell};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use kupets_app::analysis::abc::{AbcQuery, AbcReport};
use kupets_app::analysis::owner::{OwnerPage, OwnerQuery};
use kupets_app::analysis::quiet::{QuietClient, QuietQuery};
use kupets_app::analysis::sales::{SalesDocument, SalesQuery, SalesReport};
use kupets_app::analysis::Figures;
use kupets_app::AppError;

fn m(v: &Option<String>) -> Cell {
    match v {
        Some(v) => Cell::M(kupets_domain::Money::parse(v).unwrap_or_default().0),
        None => Cell::T(String::new()),
    }
}

fn figure_cells(f: &Figures, cost: bool) -> Vec<Cell> {
    let mut out = vec![
        Cell::Dec(f.qty.clone()),
        m(&Some(f.revenue_net.clone())),
        m(&Some(f.revenue.clone())),
    ];
    if cost {
        out.extend([
            m(&f.cost),
            m(&f.margin),
            Cell::Dec(f.margin_pct.clone().unwrap_or_default()),
        ]);
    }
    out
}

/// The sales report for a period: rows by one dimension (counterparty,
/// product, group, manager, department, month), optionally columns by
/// another; cost and margin for heads, admins and accountants; a manager
/// sees their own clients. `format=xlsx` downloads it.
#[utoipa::path(get, path = "/api/v1/reports/sales", tag = "reports", params(SalesQuery), responses((status = 200, body = SalesReport)), security(("bearer" = [])))]
pub async fn sales(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<SalesQuery>,
) -> ApiResult<axum::response::Response> {
    let xlsx_wanted = match q.format.as_deref().map(str::trim).unwrap_or("") {
        "" | "json" => false,
        "xlsx" => true,
        _ => {
            return Err(AppError::field(
                "format",
                "invalid",
                "Формат: json или xlsx",
                "Format: json or xlsx",
            )
            .into())
        }
    };
    let r = s.app.sales_report(&a, &q).await?;
    if !xlsx_wanted {
        return Ok(axum::response::IntoResponse::into_response(Json(r)));
    }
    let cost = r.cost_visible;
    // Headers in Russian, as the sheet is; months as real dates.
    let by = kupets_app::analysis::sales::Dim::parse(&r.rows_by);
    let mut heads: Vec<String> = vec![by.map_or(r.rows_by.clone(), |d| d.label(true).to_string())];
    let months = by == Some(kupets_app::analysis::sales::Dim::Month);
    let first = |row: &kupets_app::analysis::sales::SalesRow| {
        if months {
            Cell::Mo(row.key.clone())
        } else {
            Cell::T(row.label.clone())
        }
    };
    let names = [
        "Кол-во",
        "Выручка без НДС",
        "Выручка с НДС",
        "Себестоимость",
        "Валовая прибыль",
        "Рентабельность, %",
    ];
    let n = if cost { 6 } else { 3 };
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    if r.columns_by.is_some() {
        // One block of figures per column, then the row's total.
        for c in &r.columns {
            heads.push(format!("{}: выручка с НДС", c.label));
        }
        heads.push("Итого, выручка с НДС".into());
        for row in &r.rows {
            let mut cells = vec![first(row)];
            for c in &r.columns {
                cells.push(m(&row
                    .cells
                    .iter()
                    .find(|x| x.column == c.key)
                    .map(|x| x.figures.revenue.clone())));
            }
            cells.push(m(&Some(row.total.revenue.clone())));
            rows.push(cells);
        }
    } else {
        heads.extend(names[..n].iter().map(|s| s.to_string()));
        for row in &r.rows {
            let mut cells = vec![first(row)];
            cells.extend(figure_cells(&row.total, cost));
            rows.push(cells);
        }
        let mut total = vec![Cell::B("Итого".into())];
        total.extend(figure_cells(&r.total, cost));
        rows.push(total);
    }
    let heads: Vec<&str> = heads.iter().map(String::as_str).collect();
    Ok(xlsx(
        &format!("Продажи {}–{}", ru_date(&r.from), ru_date(&r.to)),
        "Продажи",
        &format!(
            "Продажи за период {} – {}",
            ru_date(&r.from),
            ru_date(&r.to)
        ),
        &heads,
        rows,
        None,
    )?)
}

/// The documents behind a figure of the sales report: the same filters
/// (`counterparty_id`, `product_id`, `group_id`, `manager_id`,
/// `department_id`, `month`), one row per shipment or return.
#[utoipa::path(get, path = "/api/v1/reports/sales/documents", tag = "reports", params(SalesQuery), responses((status = 200, body = Vec<SalesDocument>)), security(("bearer" = [])))]
pub async fn sales_documents(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<SalesQuery>,
) -> ApiResult<Json<Vec<SalesDocument>>> {
    Ok(Json(s.app.sales_documents(&a, &q).await?))
}

/// ABC of clients or products for a period, by revenue or by margin.
#[utoipa::path(get, path = "/api/v1/reports/abc", tag = "reports", params(AbcQuery), responses((status = 200, body = AbcReport)), security(("bearer" = [])))]
pub async fn abc(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AbcQuery>,
) -> ApiResult<Json<AbcReport>> {
    Ok(Json(s.app.abc_report(&a, &q).await?))
}

/// Regular clients going quiet: A-class first.
#[utoipa::path(get, path = "/api/v1/reports/quiet-clients", tag = "reports", params(QuietQuery), responses((status = 200, body = Vec<QuietClient>)), security(("bearer" = [])))]
pub async fn quiet_clients(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<QuietQuery>,
) -> ApiResult<Json<Vec<QuietClient>>> {
    Ok(Json(s.app.quiet_clients(&a, &q).await?))
}

/// The owner's page: this month against last month and a year ago.
#[utoipa::path(get, path = "/api/v1/reports/owner", tag = "reports", params(OwnerQuery), responses((status = 200, body = OwnerPage)), security(("bearer" = [])))]
pub async fn owner(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<OwnerQuery>,
) -> ApiResult<Json<OwnerPage>> {
    Ok(Json(s.app.owner_page(&a, &q).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CostParams {
    /// One product only.
    pub product_id: Option<String>,
}

/// Moving-average cost of goods per product: quantity on hand, value, unit
/// cost (heads, admins, accountants).
#[utoipa::path(get, path = "/api/v1/reports/product-costs", tag = "reports", params(CostParams), responses((status = 200, body = Vec<kupets_app::analysis::ProductCost>)), security(("bearer" = [])))]
pub async fn product_costs(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<CostParams>,
) -> ApiResult<Json<Vec<kupets_app::analysis::ProductCost>>> {
    let product = match q
        .product_id
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(v) => Some(v.parse::<i64>().map_err(|_| {
            AppError::field(
                "product_id",
                "invalid",
                "Неверный идентификатор",
                "Invalid id",
            )
        })?),
        None => None,
    };
    Ok(Json(s.app.product_costs(&a, product).await?))
}
