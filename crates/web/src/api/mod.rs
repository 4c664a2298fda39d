//! The JSON API under `/api/v1`, with its OpenAPI 3.1 document generated from
//! these handlers' annotations.

pub mod analysis;
pub mod client;
pub mod exchange;
pub mod idempotency;
pub mod paperwork;
pub mod pricing;
pub mod problems;
pub mod records;
pub mod replacement;
pub mod reports;
pub mod responsible;
pub mod scales;
pub mod security;
pub mod serial;
pub mod status;
pub mod strict;
pub mod trade;

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::Json;
use kupets_app::catalog::{
    CurrentPrice, GroupNode, PriceInput, PriceTypeInput, ProductGroupInput, ProductInput,
    WarehouseInput,
};
use kupets_app::counterparty::{CounterpartyCard, CounterpartyInput};
use kupets_app::document::{AdjustmentInput, AuditFilter, CancelInput, DocFilter};
use kupets_app::people::{DepartmentInput, EmployeeInput};
use kupets_app::{App, AppError};
use kupets_domain::DocKind;
use kupets_store::model::*;
use kupets_store::page::{decode_cursor, Page, DEFAULT_LIMIT, MAX_LIMIT};
use kupets_store::queries::{ListSpec, P};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use strict::ApiJson;

/// Query extractor whose rejections are problem+json; control characters
/// (`%00`–`%1F`, `%7F`) in the query string are refused with 422.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let bad = q.as_bytes().windows(3).any(|w| {
            w[0] == b'%'
                && (matches!((w[1], w[2]), (b'0' | b'1', _)) && w[2].is_ascii_hexdigit()
                    || matches!((w[1], w[2].to_ascii_uppercase()), (b'7', b'F')))
        });
        if bad {
            return Err(AppError::field(
                "query",
                "control_characters",
                "Параметры запроса содержат управляющие символы",
                "The query contains control characters",
            )
            .into());
        }
        let axum::extract::Query(v) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(v))
    }
}

/// Path extractor whose rejections are problem+json.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// Parses an id from the path; anything else is simply not found.
fn id_of(s: &str, entity: &'static str) -> Result<i64, ApiError> {
    s.parse::<i64>()
        .map_err(|_| AppError::NotFound { entity }.into())
}

/// Common list parameters. Filters that do not apply to a resource are refused.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Substring of the name (and SKU for products). For counterparties 4+
    /// digits search INNs starting with them. A search matching more than 3000
    /// records (or shorter than 3 characters) lists newest first.
    pub q: Option<String>,
    /// `false` (default): active records; `true`: archived; `all`: both.
    pub archived: Option<String>,
    /// Page size, 1–500, default 50.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Counterparties: `customer`, `supplier`, `both`.
    pub kind: Option<String>,
    /// Counterparties: responsible manager id.
    pub manager_id: Option<String>,
    /// Products: group id (this group only).
    pub group_id: Option<String>,
    /// Employees: department id.
    pub department_id: Option<String>,
    /// Employees: role.
    pub role: Option<String>,
    /// Counterparties: ABC class (`A`, `B`, `C`).
    pub abc_class: Option<String>,
}

pub fn parse_limit(v: &Option<String>) -> Result<i64, AppError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(DEFAULT_LIMIT),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(AppError::field(
                "limit",
                "out_of_range",
                format!("limit: от 1 до {MAX_LIMIT}"),
                format!("limit: 1 to {MAX_LIMIT}"),
            )),
        },
    }
}

impl ListParams {
    /// Builds the store's list spec, allowing only the named extra filters.
    pub fn spec(&self, allowed: &[&'static str]) -> Result<ListSpec, AppError> {
        let limit = parse_limit(&self.limit)?;
        let archived = match self.archived.as_deref().map(str::trim) {
            None | Some("") | Some("false") | Some("0") => Some(false),
            Some("true") | Some("1") => Some(true),
            Some("all") => None,
            Some(_) => {
                return Err(AppError::field(
                    "archived",
                    "invalid",
                    "archived: true, false или all",
                    "archived: true, false or all",
                ))
            }
        };
        let after = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(decode_cursor(c).ok_or_else(|| {
                AppError::field(
                    "cursor",
                    "invalid_cursor",
                    "Неверный курсор страницы",
                    "Invalid page cursor",
                )
            })?),
        };
        let mut eq = Vec::new();
        let filters: [(&'static str, &Option<String>, bool); 6] = [
            ("abc_class", &self.abc_class, false),
            ("kind", &self.kind, false),
            ("manager_id", &self.manager_id, true),
            ("group_id", &self.group_id, true),
            ("department_id", &self.department_id, true),
            ("role", &self.role, false),
        ];
        for (name, value, numeric) in filters {
            let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
                continue;
            };
            if !allowed.contains(&name) {
                return Err(AppError::field(
                    name,
                    "unknown_filter",
                    "Этот фильтр здесь не применяется",
                    "This filter does not apply here",
                ));
            }
            if numeric {
                let n = v.parse::<i64>().map_err(|_| {
                    AppError::field(name, "invalid_id", "Неверный идентификатор", "Invalid id")
                })?;
                eq.push((name, P::from(n)));
            } else {
                eq.push((name, P::from(v)));
            }
        }
        Ok(ListSpec {
            q: self.q.clone(),
            archived,
            eq,
            limit,
            after,
            fts: None,
            digits_prefix: None,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// Liveness; answers without login.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = Health)))]
pub async fn healthz(State(s): State<AppState>) -> Result<Json<Health>, ApiError> {
    sqlx::query("SELECT 1")
        .execute(s.app.store.reader())
        .await
        .map_err(AppError::from)?;
    Ok(Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: String,
    pub employee: Employee,
}

/// Exchanges login and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, description = "wrong login or password"),
        (status = 429, description = "too many failed logins for this login or address; see `Retry-After`")))]
pub async fn login(
    State(s): State<AppState>,
    addr: crate::auth::ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let sess = s
        .app
        .login_from(&req.login, &req.password, "api", addr.0.as_deref())
        .await?;
    Ok(Json(LoginResponse {
        token: sess.token,
        expires_at: sess.expires_at,
        employee: sess.employee,
    }))
}

/// Ends the session of the token used.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)), security(("bearer" = [])))]
pub async fn logout(
    ApiActor(_a): ApiActor,
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
) -> ApiResult<StatusCode> {
    if let Some(t) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        s.app.logout(t.trim()).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Employee)), security(("bearer" = [])))]
pub async fn me(ApiActor(a): ApiActor) -> Json<Employee> {
    Json(a.employee)
}

/// Generates list / create / get / update handlers of a master-data resource.
macro_rules! master_api {
    ($m:ident, $path:literal, $path_id:literal, $tag:literal, $model:ty, $card:ty, $input:ty, $entity:literal,
     filters = [$($f:literal),*], list = $list:path, get = $get:path, save = $save:path,
     resource = $res:literal, archive = $arch:literal, unarchive = $unarch:literal) => {
        pub mod $m {
            use super::*;

            #[utoipa::path(get, path = $path, tag = $tag, params(ListParams), responses((status = 200, body = Page<$model>)), security(("bearer" = [])))]
            pub async fn list(ApiActor(a): ApiActor, State(s): State<AppState>, ApiQuery(p): ApiQuery<ListParams>) -> ApiResult<Json<Page<$model>>> {
                let spec = p.spec(&[$($f),*])?;
                Ok(Json($list(&s.app, &a, &spec).await?))
            }

            #[utoipa::path(post, path = $path, tag = $tag, request_body = $input,
                params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe create")),
                responses((status = 201, body = $model), (status = 422, description = "invalid fields"), (status = 403, description = "no right")), security(("bearer" = [])))]
            pub async fn create(ApiActor(a): ApiActor, State(s): State<AppState>, ApiJson(input): ApiJson<$input>) -> ApiResult<(StatusCode, Json<$model>)> {
                Ok((StatusCode::CREATED, Json($save(&s.app, &a, None, &input).await?)))
            }

            #[utoipa::path(get, path = $path_id, tag = $tag, params(("id" = String, Path)), responses((status = 200, body = $card), (status = 404)), security(("bearer" = [])))]
            pub async fn get(ApiActor(a): ApiActor, State(s): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<Json<$card>> {
                Ok(Json($get(&s.app, &a, id_of(&id, $entity)?).await?))
            }

            #[utoipa::path(put, path = $path_id, tag = $tag, params(("id" = String, Path)), request_body = $input,
                responses((status = 200, body = $model), (status = 404), (status = 422)), security(("bearer" = [])))]
            pub async fn update(ApiActor(a): ApiActor, State(s): State<AppState>, ApiPath(id): ApiPath<String>, ApiJson(input): ApiJson<$input>) -> ApiResult<Json<$model>> {
                Ok(Json($save(&s.app, &a, Some(id_of(&id, $entity)?), &input).await?))
            }

            /// Archives the record (master data is archived, never deleted).
            #[utoipa::path(post, path = $arch, tag = $tag, params(("id" = String, Path)), responses((status = 204), (status = 404), (status = 403)), security(("bearer" = [])))]
            pub async fn archive(ApiActor(a): ApiActor, State(s): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
                s.app.set_archived(&a, $res, id_of(&id, $entity)?, true).await?;
                Ok(StatusCode::NO_CONTENT)
            }

            /// Restores an archived record.
            #[utoipa::path(post, path = $unarch, tag = $tag, params(("id" = String, Path)), responses((status = 204), (status = 404), (status = 403)), security(("bearer" = [])))]
            pub async fn unarchive(ApiActor(a): ApiActor, State(s): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
                s.app.set_archived(&a, $res, id_of(&id, $entity)?, false).await?;
                Ok(StatusCode::NO_CONTENT)
            }
        }
    };
}

master_api!(
    counterparties,
    "/api/v1/counterparties",
    "/api/v1/counterparties/{id}",
    "counterparties",
    Counterparty,
    CounterpartyCard,
    CounterpartyInput,
    "counterparty",
    filters = ["kind", "manager_id", "abc_class"],
    list = App::list_counterparties,
    get = App::get_counterparty,
    save = App::save_counterparty,
    resource = "counterparties",
    archive = "/api/v1/counterparties/{id}/archive",
    unarchive = "/api/v1/counterparties/{id}/unarchive"
);
master_api!(
    products,
    "/api/v1/products",
    "/api/v1/products/{id}",
    "products",
    Product,
    Product,
    ProductInput,
    "product",
    filters = ["group_id"],
    list = App::list_products,
    get = App::get_product,
    save = App::save_product,
    resource = "products",
    archive = "/api/v1/products/{id}/archive",
    unarchive = "/api/v1/products/{id}/unarchive"
);
master_api!(
    price_types,
    "/api/v1/price-types",
    "/api/v1/price-types/{id}",
    "price types",
    PriceType,
    PriceType,
    PriceTypeInput,
    "price type",
    filters = [],
    list = App::list_price_types,
    get = App::get_price_type,
    save = App::save_price_type,
    resource = "price-types",
    archive = "/api/v1/price-types/{id}/archive",
    unarchive = "/api/v1/price-types/{id}/unarchive"
);
master_api!(
    warehouses,
    "/api/v1/warehouses",
    "/api/v1/warehouses/{id}",
    "warehouses",
    Warehouse,
    Warehouse,
    WarehouseInput,
    "warehouse",
    filters = [],
    list = App::list_warehouses,
    get = App::get_warehouse,
    save = App::save_warehouse,
    resource = "warehouses",
    archive = "/api/v1/warehouses/{id}/archive",
    unarchive = "/api/v1/warehouses/{id}/unarchive"
);
master_api!(
    departments,
    "/api/v1/departments",
    "/api/v1/departments/{id}",
    "people",
    Department,
    Department,
    DepartmentInput,
    "department",
    filters = [],
    list = App::list_departments,
    get = App::get_department,
    save = App::save_department,
    resource = "departments",
    archive = "/api/v1/departments/{id}/archive",
    unarchive = "/api/v1/departments/{id}/unarchive"
);
master_api!(
    employees,
    "/api/v1/employees",
    "/api/v1/employees/{id}",
    "people",
    Employee,
    Employee,
    EmployeeInput,
    "employee",
    filters = ["department_id", "role"],
    list = App::list_employees,
    get = App::get_employee,
    save = App::save_employee,
    resource = "employees",
    archive = "/api/v1/employees/{id}/archive",
    unarchive = "/api/v1/employees/{id}/unarchive"
);

/// Archives a product group.
#[utoipa::path(post, path = "/api/v1/product-groups/{id}/archive", tag = "products", params(("id" = String, Path)), responses((status = 204), (status = 404), (status = 403)), security(("bearer" = [])))]
pub async fn group_archive(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    s.app
        .set_archived(&a, "product-groups", id_of(&id, "product group")?, true)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Restores an archived product group.
#[utoipa::path(post, path = "/api/v1/product-groups/{id}/unarchive", tag = "products", params(("id" = String, Path)), responses((status = 204), (status = 404), (status = 403)), security(("bearer" = [])))]
pub async fn group_unarchive(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    s.app
        .set_archived(&a, "product-groups", id_of(&id, "product group")?, false)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The product group tree, parents before children.
#[utoipa::path(get, path = "/api/v1/product-groups", tag = "products",
    params(("archived" = Option<String>, Query, description = "`all` includes archived groups")),
    responses((status = 200, body = Page<GroupNode>)), security(("bearer" = [])))]
pub async fn group_tree(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<GroupNode>>> {
    let items = s
        .app
        .group_tree(&a, p.archived.as_deref() == Some("all"))
        .await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

#[utoipa::path(post, path = "/api/v1/product-groups", tag = "products", request_body = ProductGroupInput,
    responses((status = 201, body = ProductGroup), (status = 422)), security(("bearer" = [])))]
pub async fn group_create(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<ProductGroupInput>,
) -> ApiResult<(StatusCode, Json<ProductGroup>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.save_group(&a, None, &input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/product-groups/{id}", tag = "products", params(("id" = String, Path)), responses((status = 200, body = ProductGroup)), security(("bearer" = [])))]
pub async fn group_get(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ProductGroup>> {
    Ok(Json(
        s.app.get_group(&a, id_of(&id, "product group")?).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/product-groups/{id}", tag = "products", params(("id" = String, Path)), request_body = ProductGroupInput,
    responses((status = 200, body = ProductGroup), (status = 422)), security(("bearer" = [])))]
pub async fn group_update(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ProductGroupInput>,
) -> ApiResult<Json<ProductGroup>> {
    Ok(Json(
        s.app
            .save_group(&a, Some(id_of(&id, "product group")?), &input)
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PriceParams {
    /// Only prices in force on this date (`YYYY-MM-DD`); the whole history otherwise.
    pub date: Option<String>,
}

/// Prices of a product: the history, or those in force on a date.
#[utoipa::path(get, path = "/api/v1/products/{id}/prices", tag = "products", params(("id" = String, Path), PriceParams),
    responses((status = 200, body = Vec<CurrentPrice>)), security(("bearer" = [])))]
pub async fn prices(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<PriceParams>,
) -> ApiResult<Json<Vec<CurrentPrice>>> {
    let id = id_of(&id, "product")?;
    s.app.get_product(&a, id).await?;
    Ok(Json(match p.date {
        Some(d) => {
            let d = kupets_app::input::parse_date(&d).ok_or_else(|| {
                AppError::field(
                    "date",
                    "invalid_date",
                    "Дата в формате ГГГГ-ММ-ДД",
                    "A date as YYYY-MM-DD",
                )
            })?;
            s.app.prices_on(&a, id, &d.to_string()).await?
        }
        None => s.app.price_history(&a, id).await?,
    }))
}

/// Sets a price from an effective date; earlier prices stay in the history.
#[utoipa::path(post, path = "/api/v1/products/{id}/prices", tag = "products", params(("id" = String, Path)), request_body = PriceInput,
    responses((status = 201, body = Price), (status = 422)), security(("bearer" = [])))]
pub async fn price_add(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<PriceInput>,
) -> ApiResult<(StatusCode, Json<Price>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.add_price(&a, id_of(&id, "product")?, &input).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocListParams {
    pub counterparty_id: Option<String>,
    /// Payments only: `in` (default) or `out`.
    pub direction: Option<String>,
    /// `draft`, `posted` or `cancelled`.
    pub state: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl DocListParams {
    pub fn filter(&self) -> Result<DocFilter, AppError> {
        let bad_id =
            |f: &str| AppError::field(f, "invalid_id", "Неверный идентификатор", "Invalid id");
        let state = self.state.clone().filter(|s| !s.is_empty());
        if let Some(s) = &state {
            if kupets_domain::DocState::parse(s).is_none() {
                return Err(AppError::field(
                    "state",
                    "invalid_state",
                    "Состояние: draft, posted или cancelled",
                    "State: draft, posted or cancelled",
                ));
            }
        }
        Ok(DocFilter {
            counterparty_id: match self.counterparty_id.as_deref().filter(|s| !s.is_empty()) {
                Some(v) => Some(v.parse().map_err(|_| bad_id("counterparty_id"))?),
                None => None,
            },
            state,
            limit: parse_limit(&self.limit)?,
            before_id: match self.cursor.as_deref().filter(|s| !s.is_empty()) {
                Some(v) => Some(v.parse().map_err(|_| {
                    AppError::field(
                        "cursor",
                        "invalid_cursor",
                        "Неверный курсор страницы",
                        "Invalid page cursor",
                    )
                })?),
                None => None,
            },
        })
    }
}

/// Debt adjustments, newest first.
#[utoipa::path(get, path = "/api/v1/adjustments", tag = "documents", params(DocListParams), responses((status = 200, body = Page<Document>)), security(("bearer" = [])))]
pub async fn adj_list(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<DocListParams>,
) -> ApiResult<Json<Page<Document>>> {
    Ok(Json(
        s.app
            .list_documents(&a, DocKind::Adjustment, &p.filter()?)
            .await?,
    ))
}

/// Creates a draft adjustment.
#[utoipa::path(post, path = "/api/v1/adjustments", tag = "documents", request_body = AdjustmentInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe create")),
    responses((status = 201, body = Document), (status = 422), (status = 403)), security(("bearer" = [])))]
pub async fn adj_create(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<AdjustmentInput>,
) -> ApiResult<(StatusCode, Json<Document>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_adjustment(&a, &input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/adjustments/{id}", tag = "documents", params(("id" = String, Path)), responses((status = 200, body = Document), (status = 404)), security(("bearer" = [])))]
pub async fn adj_get(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Document>> {
    Ok(Json(
        s.app
            .get_document(&a, DocKind::Adjustment, id_of(&id, "document")?)
            .await?,
    ))
}

/// Edits a draft; a posted or cancelled document is refused with 409.
#[utoipa::path(put, path = "/api/v1/adjustments/{id}", tag = "documents", params(("id" = String, Path)), request_body = AdjustmentInput,
    responses((status = 200, body = Document), (status = 409, description = "not a draft")), security(("bearer" = [])))]
pub async fn adj_update(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<AdjustmentInput>,
) -> ApiResult<Json<Document>> {
    Ok(Json(
        s.app
            .update_adjustment(&a, id_of(&id, "document")?, &input)
            .await?,
    ))
}

/// Posts a draft: writes its settlement entry.
#[utoipa::path(post, path = "/api/v1/adjustments/{id}/post", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, body = Document), (status = 409)), security(("bearer" = [])))]
pub async fn adj_post(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Document>> {
    Ok(Json(
        s.app.post_adjustment(&a, id_of(&id, "document")?).await?,
    ))
}

/// Cancels a posted document with a reason, by reversing entries.
#[utoipa::path(post, path = "/api/v1/adjustments/{id}/cancel", tag = "documents", params(("id" = String, Path)), request_body = CancelInput,
    responses((status = 200, body = Document), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn adj_cancel(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<CancelInput>,
) -> ApiResult<Json<Document>> {
    Ok(Json(
        s.app
            .cancel_document(&a, DocKind::Adjustment, id_of(&id, "document")?, &input)
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    pub employee_id: Option<String>,
    /// e.g. `counterparty`, `adjustment`, `employee`.
    pub entity: Option<String>,
    /// e.g. `create`, `update`, `post`, `cancel`, `login`.
    pub action: Option<String>,
    /// From this date (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Up to and including this date.
    pub to: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl AuditParams {
    pub fn filter(&self) -> Result<AuditFilter, AppError> {
        let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        let date = |f: &str, v: &Option<String>| -> Result<Option<String>, AppError> {
            match nonempty(v) {
                None => Ok(None),
                Some(s) => kupets_app::input::parse_date(&s)
                    .map(|d| Some(d.to_string()))
                    .ok_or_else(|| {
                        AppError::field(
                            f,
                            "invalid_date",
                            "Дата в формате ГГГГ-ММ-ДД",
                            "A date as YYYY-MM-DD",
                        )
                    }),
            }
        };
        Ok(AuditFilter {
            employee_id: match nonempty(&self.employee_id) {
                Some(v) => Some(v.parse().map_err(|_| {
                    AppError::field(
                        "employee_id",
                        "invalid_id",
                        "Неверный идентификатор",
                        "Invalid id",
                    )
                })?),
                None => None,
            },
            entity: nonempty(&self.entity),
            action: nonempty(&self.action),
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
            limit: parse_limit(&self.limit)?,
            before_id: match nonempty(&self.cursor) {
                Some(v) => Some(v.parse().map_err(|_| {
                    AppError::field(
                        "cursor",
                        "invalid_cursor",
                        "Неверный курсор страницы",
                        "Invalid page cursor",
                    )
                })?),
                None => None,
            },
        })
    }
}

/// The append-only audit log (admins).
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "system", params(AuditParams), responses((status = 200, body = Page<AuditEntry>), (status = 403)), security(("bearer" = [])))]
pub async fn audit_log(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    Ok(Json(s.app.audit_log(&a, &p.filter()?).await?))
}

struct Security;
impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let comps = openapi.components.get_or_insert_with(Default::default);
        comps.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "kupets API", version = "1", description = "Customer side of an ERP for small businesses. Money, quantities and percentages travel as strings (`\"8202.60\"`); ids are opaque strings; errors are application/problem+json."),
    modifiers(&Security)
)]
struct ApiDoc;

/// The API routes and the OpenAPI document describing them.
pub fn routes() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let parts = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(counterparties::list, counterparties::create))
        .routes(routes!(counterparties::get, counterparties::update))
        .routes(routes!(products::list, products::create))
        .routes(routes!(products::get, products::update))
        .routes(routes!(prices, price_add))
        .routes(routes!(group_tree, group_create))
        .routes(routes!(group_get, group_update))
        .routes(routes!(price_types::list, price_types::create))
        .routes(routes!(price_types::get, price_types::update))
        .routes(routes!(warehouses::list, warehouses::create))
        .routes(routes!(warehouses::get, warehouses::update))
        .routes(routes!(departments::list, departments::create))
        .routes(routes!(departments::get, departments::update))
        .routes(routes!(employees::list, employees::create))
        .routes(routes!(employees::get, employees::update))
        .routes(routes!(employee_password))
        .routes(routes!(counterparties::archive))
        .routes(routes!(counterparties::unarchive))
        .routes(routes!(products::archive))
        .routes(routes!(products::unarchive))
        .routes(routes!(price_types::archive))
        .routes(routes!(price_types::unarchive))
        .routes(routes!(warehouses::archive))
        .routes(routes!(warehouses::unarchive))
        .routes(routes!(departments::archive))
        .routes(routes!(departments::unarchive))
        .routes(routes!(employees::archive))
        .routes(routes!(employees::unarchive))
        .routes(routes!(group_archive))
        .routes(routes!(group_unarchive))
        .routes(routes!(adj_list, adj_create))
        .routes(routes!(adj_get, adj_update))
        .routes(routes!(adj_post))
        .routes(routes!(adj_cancel))
        .routes(routes!(audit_log))
        .routes(routes!(security::login_locks))
        .routes(routes!(trade::orders::list, trade::orders::create))
        .routes(routes!(trade::orders::get))
        .routes(routes!(trade::order_view, trade::order_update))
        .routes(routes!(trade::orders::post))
        .routes(routes!(trade::orders::cancel))
        .routes(routes!(trade::close_line))
        .routes(routes!(trade::shipments::list, trade::shipments::create))
        .routes(routes!(trade::shipments::get, trade::shipments::update))
        .routes(routes!(trade::shipments::post))
        .routes(routes!(trade::shipments::cancel))
        .routes(routes!(trade::receipts::list, trade::receipts::create))
        .routes(routes!(trade::receipts::get, trade::receipts::update))
        .routes(routes!(trade::receipts::post))
        .routes(routes!(trade::receipts::cancel))
        .routes(routes!(trade::payments, trade::payment_create))
        .routes(routes!(trade::payment_get))
        .routes(routes!(trade::payment_post))
        .routes(routes!(trade::payment_cancel))
        .routes(routes!(trade::stock))
        .routes(routes!(reports::balances))
        .routes(routes!(reports::reconciliation))
        .routes(routes!(reports::aging))
        .routes(routes!(analysis::sales))
        .routes(routes!(analysis::sales_documents))
        .routes(routes!(analysis::abc))
        .routes(routes!(analysis::quiet_clients))
        .routes(routes!(analysis::owner))
        .routes(routes!(analysis::product_costs))
        .routes(routes!(reports::settings))
        .routes(routes!(reports::set_setting))
        .routes(routes!(trade::returns::list, trade::returns::create))
        .routes(routes!(trade::returns::get, trade::returns::update))
        .routes(routes!(trade::returns::post))
        .routes(routes!(trade::returns::cancel))
        .routes(routes!(
            trade::supplier_returns::list,
            trade::supplier_returns::create
        ))
        .routes(routes!(
            trade::supplier_returns::get,
            trade::supplier_returns::update
        ))
        .routes(routes!(trade::supplier_returns::post))
        .routes(routes!(trade::supplier_returns::cancel))
        .routes(routes!(
            trade::purchase_orders::list,
            trade::purchase_orders::create
        ))
        .routes(routes!(trade::purchase_orders::get))
        .routes(routes!(trade::purchase_view, trade::purchase_update))
        .routes(routes!(trade::purchase_orders::post))
        .routes(routes!(trade::purchase_orders::cancel))
        .routes(routes!(trade::purchase_close_line))
        .routes(routes!(pricing::personal_list, pricing::personal_create))
        .routes(routes!(pricing::personal_update, pricing::personal_delete))
        .routes(routes!(pricing::threshold_list, pricing::threshold_create))
        .routes(routes!(
            pricing::threshold_update,
            pricing::threshold_delete
        ))
        .routes(routes!(pricing::volume_list, pricing::volume_create))
        .routes(routes!(pricing::volume_update, pricing::volume_delete))
        .routes(routes!(pricing::promotion_list, pricing::promotion_create))
        .routes(routes!(
            pricing::promotion_get,
            pricing::promotion_update,
            pricing::promotion_delete
        ))
        .routes(routes!(pricing::price_quote))
        .routes(routes!(replacement::replacement_get))
        .routes(routes!(scales::scale_list, scales::scale_create))
        .routes(routes!(
            scales::scale_get,
            scales::scale_update,
            scales::scale_delete
        ))
        .routes(routes!(
            scales::client_scales_get,
            scales::client_scales_put
        ))
        .routes(routes!(scales::walk_in))
        .routes(routes!(status::status_list, status::status_create))
        .routes(routes!(status::status_update))
        .routes(routes!(status::doc_statuses, status::doc_assign))
        .routes(routes!(status::today))
        .routes(routes!(status::funnel))
        .routes(routes!(status::handover_preview))
        .routes(routes!(status::handover))
        .routes(routes!(serial::production_create))
        .routes(routes!(serial::production_get))
        .routes(routes!(serial::production_post))
        .routes(routes!(serial::production_cancel))
        .routes(routes!(serial::unit_search))
        .routes(routes!(serial::unit_trace))
        .routes(routes!(serial::recall_search))
        .routes(routes!(serial::recall_open))
        .routes(routes!(serial::recall_get))
        .routes(routes!(serial::recall_progress))
        .routes(routes!(serial::recall_csv))
        .routes(routes!(serial::repair_list, serial::repair_open))
        .routes(routes!(serial::repair_get, serial::repair_update))
        .routes(routes!(serial::repair_state))
        .routes(routes!(serial::repair_part))
        .routes(routes!(serial::defect_categories))
        .routes(routes!(serial::defect_category_update))
        .routes(routes!(serial::defects))
        .merge(paperwork::router())
        .routes(routes!(responsible::set_responsible))
        .routes(routes!(
            responsible::absence_list,
            responsible::absence_create
        ))
        .routes(routes!(responsible::absence_cancel))
        .routes(routes!(responsible::unattended))
        .routes(routes!(client::contact_list, client::contact_create))
        .routes(routes!(client::contact_update))
        .routes(routes!(client::timeline))
        .routes(routes!(
            client::interaction_list,
            client::interaction_create
        ))
        .routes(routes!(client::interaction_get))
        .merge(exchange::router())
        .split_for_parts();
    let (router, mut openapi) = parts;
    problems::add(&mut openapi);
    (router, openapi)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordRequest {
    pub password: String,
}

/// Sets an employee's password (admins; anyone for themselves). Ends their sessions.
#[utoipa::path(post, path = "/api/v1/employees/{id}/password", tag = "people", params(("id" = String, Path)), request_body = PasswordRequest,
    responses((status = 204), (status = 422), (status = 403)), security(("bearer" = [])))]
pub async fn employee_password(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> ApiResult<StatusCode> {
    s.app
        .set_password(&a, id_of(&id, "employee")?, &req.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
