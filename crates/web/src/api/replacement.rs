//! What a replacement shipment says about itself.

use super::{id_of, ApiPath};
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use kupets_app::replacement::ReplacementInfo;
use kupets_app::AppError;
use kupets_domain::DocKind;

/// The return a shipment replaces, how it is priced and why; 404 when the
/// shipment replaces nothing.
#[utoipa::path(get, path = "/api/v1/shipments/{id}/replacement", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, body = ReplacementInfo), (status = 404)), security(("bearer" = [])))]
pub async fn replacement_get(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ReplacementInfo>> {
    let id = id_of(&id, "shipment")?;
    // Reading it needs the right to read the shipment.
    s.app.get_trade_doc(&a, DocKind::Shipment, id).await?;
    Ok(Json(s.app.replacement_info(id).await?.ok_or(
        AppError::NotFound {
            entity: "replacement",
        },
    )?))
}
