//! Discount rules and the price quote.

use super::{id_of, ApiJson, ApiPath, ApiQuery};
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kupets_app::pricing::{
    CumulativeThreshold, PersonalDiscount, PersonalDiscountInput, Promotion, PromotionInput, Quote,
    QuoteInput, RuleTable, ThresholdInput, VolumeRule, VolumeRuleInput,
};
use kupets_app::AppError;
use kupets_domain::FieldError;
use kupets_store::page::{Page, DEFAULT_LIMIT};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct RuleListParams {
    /// `true`: archived rules instead of those in force.
    pub archived: Option<bool>,
    /// Only the rules of this scale (cumulative) or set (volume).
    pub scale_id: Option<String>,
}

fn scale_param(p: &RuleListParams) -> Result<Option<i64>, ApiError> {
    match p.scale_id.as_deref().filter(|s| !s.is_empty()) {
        Some(v) => v
            .parse::<i64>()
            .map(Some)
            .map_err(|_| bad("scale_id", "Неверный идентификатор", "Invalid id")),
        None => Ok(None),
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct PersonalListParams {
    pub counterparty_id: Option<String>,
    pub archived: Option<bool>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–500, default 50.
    pub limit: Option<i64>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct PromotionListParams {
    pub archived: Option<bool>,
    /// Only promotions running on this date (`YYYY-MM-DD`).
    pub on: Option<String>,
}

fn bad(field: &str, ru: &str, en: &str) -> ApiError {
    AppError::Validation(vec![FieldError::new(field, "invalid", ru, en)]).into()
}

/// Personal discounts (a client's % on a product group and its subtree).
#[utoipa::path(get, path = "/api/v1/personal-discounts", tag = "pricing", params(PersonalListParams),
    responses((status = 200, body = Page<PersonalDiscount>)), security(("bearer" = [])))]
pub async fn personal_list(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<PersonalListParams>,
) -> ApiResult<Json<Page<PersonalDiscount>>> {
    let cp = match p.counterparty_id.as_deref().filter(|s| !s.is_empty()) {
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| bad("counterparty_id", "Неверный идентификатор", "Invalid id"))?,
        ),
        None => None,
    };
    let after = match p.cursor.as_deref().filter(|s| !s.is_empty()) {
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| bad("cursor", "Неверный курсор", "Invalid cursor"))?,
        ),
        None => None,
    };
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=500).contains(&limit) {
        return Err(bad("limit", "От 1 до 500", "From 1 to 500"));
    }
    let mut items = s
        .app
        .list_personal_discounts(&a, cp, p.archived.unwrap_or(false), after, limit + 1)
        .await?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|d| d.id.to_string())
    } else {
        None
    };
    Ok(Json(Page { items, next_cursor }))
}

#[utoipa::path(post, path = "/api/v1/personal-discounts", tag = "pricing", request_body = PersonalDiscountInput,
    responses((status = 201, body = PersonalDiscount), (status = 422), (status = 403)), security(("bearer" = [])))]
pub async fn personal_create(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<PersonalDiscountInput>,
) -> ApiResult<(StatusCode, Json<PersonalDiscount>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.save_personal_discount(&a, None, &input).await?),
    ))
}

#[utoipa::path(put, path = "/api/v1/personal-discounts/{id}", tag = "pricing", params(("id" = String, Path)), request_body = PersonalDiscountInput,
    responses((status = 200, body = PersonalDiscount), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn personal_update(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<PersonalDiscountInput>,
) -> ApiResult<Json<PersonalDiscount>> {
    let id = id_of(&id, "rule")?;
    Ok(Json(
        s.app.save_personal_discount(&a, Some(id), &input).await?,
    ))
}

/// Archives the rule: it stops applying; documents keep how it counted.
#[utoipa::path(delete, path = "/api/v1/personal-discounts/{id}", tag = "pricing", params(("id" = String, Path)),
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn personal_delete(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    s.app
        .archive_rule(&a, RuleTable::Personal, id_of(&id, "rule")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cumulative thresholds: net purchases before the date decide the tier.
#[utoipa::path(get, path = "/api/v1/cumulative-thresholds", tag = "pricing", params(RuleListParams),
    responses((status = 200, body = Vec<CumulativeThreshold>)), security(("bearer" = [])))]
pub async fn threshold_list(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<RuleListParams>,
) -> ApiResult<Json<Vec<CumulativeThreshold>>> {
    Ok(Json(
        s.app
            .list_thresholds(&a, p.archived.unwrap_or(false), scale_param(&p)?)
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/cumulative-thresholds", tag = "pricing", request_body = ThresholdInput,
    responses((status = 201, body = CumulativeThreshold), (status = 422), (status = 403)), security(("bearer" = [])))]
pub async fn threshold_create(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<ThresholdInput>,
) -> ApiResult<(StatusCode, Json<CumulativeThreshold>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.save_threshold(&a, None, &input).await?),
    ))
}

#[utoipa::path(put, path = "/api/v1/cumulative-thresholds/{id}", tag = "pricing", params(("id" = String, Path)), request_body = ThresholdInput,
    responses((status = 200, body = CumulativeThreshold), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn threshold_update(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ThresholdInput>,
) -> ApiResult<Json<CumulativeThreshold>> {
    let id = id_of(&id, "rule")?;
    Ok(Json(s.app.save_threshold(&a, Some(id), &input).await?))
}

#[utoipa::path(delete, path = "/api/v1/cumulative-thresholds/{id}", tag = "pricing", params(("id" = String, Path)),
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn threshold_delete(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    s.app
        .archive_rule(&a, RuleTable::Cumulative, id_of(&id, "rule")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Volume-maintenance rules: purchases over the last N days of at least T.
#[utoipa::path(get, path = "/api/v1/volume-rules", tag = "pricing", params(RuleListParams),
    responses((status = 200, body = Vec<VolumeRule>)), security(("bearer" = [])))]
pub async fn volume_list(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<RuleListParams>,
) -> ApiResult<Json<Vec<VolumeRule>>> {
    Ok(Json(
        s.app
            .list_volume_rules(&a, p.archived.unwrap_or(false), scale_param(&p)?)
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/volume-rules", tag = "pricing", request_body = VolumeRuleInput,
    responses((status = 201, body = VolumeRule), (status = 422), (status = 403)), security(("bearer" = [])))]
pub async fn volume_create(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<VolumeRuleInput>,
) -> ApiResult<(StatusCode, Json<VolumeRule>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.save_volume_rule(&a, None, &input).await?),
    ))
}

#[utoipa::path(put, path = "/api/v1/volume-rules/{id}", tag = "pricing", params(("id" = String, Path)), request_body = VolumeRuleInput,
    responses((status = 200, body = VolumeRule), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn volume_update(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<VolumeRuleInput>,
) -> ApiResult<Json<VolumeRule>> {
    let id = id_of(&id, "rule")?;
    Ok(Json(s.app.save_volume_rule(&a, Some(id), &input).await?))
}

#[utoipa::path(delete, path = "/api/v1/volume-rules/{id}", tag = "pricing", params(("id" = String, Path)),
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn volume_delete(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    s.app
        .archive_rule(&a, RuleTable::Volume, id_of(&id, "rule")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Promotions, latest end date first.
#[utoipa::path(get, path = "/api/v1/promotions", tag = "pricing", params(PromotionListParams),
    responses((status = 200, body = Vec<Promotion>)), security(("bearer" = [])))]
pub async fn promotion_list(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<PromotionListParams>,
) -> ApiResult<Json<Vec<Promotion>>> {
    let on = match p.on.as_deref().filter(|s| !s.is_empty()) {
        Some(d) => Some(kupets_app::input::parse_date(d).ok_or_else(|| {
            bad(
                "on",
                "Дата в формате ГГГГ-ММ-ДД или ДД.ММ.ГГГГ",
                "A date as YYYY-MM-DD or DD.MM.YYYY",
            )
        })?),
        None => None,
    };
    Ok(Json(
        s.app
            .list_promotions(&a, p.archived.unwrap_or(false), on)
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/promotions", tag = "pricing", request_body = PromotionInput,
    responses((status = 201, body = Promotion), (status = 422), (status = 403)), security(("bearer" = [])))]
pub async fn promotion_create(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<PromotionInput>,
) -> ApiResult<(StatusCode, Json<Promotion>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.save_promotion(&a, None, &input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/promotions/{id}", tag = "pricing", params(("id" = String, Path)),
    responses((status = 200, body = Promotion), (status = 404)), security(("bearer" = [])))]
pub async fn promotion_get(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Promotion>> {
    Ok(Json(
        s.app.get_promotion(&a, id_of(&id, "promotion")?).await?,
    ))
}

#[utoipa::path(put, path = "/api/v1/promotions/{id}", tag = "pricing", params(("id" = String, Path)), request_body = PromotionInput,
    responses((status = 200, body = Promotion), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn promotion_update(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<PromotionInput>,
) -> ApiResult<Json<Promotion>> {
    let id = id_of(&id, "promotion")?;
    Ok(Json(s.app.save_promotion(&a, Some(id), &input).await?))
}

#[utoipa::path(delete, path = "/api/v1/promotions/{id}", tag = "pricing", params(("id" = String, Path)),
    responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn promotion_delete(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    s.app
        .archive_rule(&a, RuleTable::Promotion, id_of(&id, "promotion")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Prices lines for a client, date and author: per line the retail, base and
/// final price, the discount against retail, the rule that won and those that
/// lost; per document the totals. Nothing is saved.
#[utoipa::path(post, path = "/api/v1/price-quote", tag = "pricing", request_body = QuoteInput,
    responses((status = 200, body = Quote), (status = 422)), security(("bearer" = [])))]
pub async fn price_quote(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<QuoteInput>,
) -> ApiResult<Json<Quote>> {
    Ok(Json(s.app.price_quote(&a, &input).await?))
}
