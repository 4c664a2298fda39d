//! Security views for admins: failed-login counts and current locks.

use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use kupets_app::throttle::LoginLock;

/// Failed logins of the last hour per login and per client address, with
/// the locks in force (admins).
#[utoipa::path(get, path = "/api/v1/login-locks", tag = "auth",
    responses((status = 200, body = Vec<LoginLock>)), security(("bearer" = [])))]
pub async fn login_locks(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<LoginLock>>> {
    Ok(Json(s.app.login_locks(&a).await?))
}
