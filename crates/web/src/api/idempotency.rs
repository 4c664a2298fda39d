//! `Idempotency-Key` on creates: the first request with a key runs and its
//! answer is stored; a repeat with the same key and body gets the stored
//! answer and creates nothing. A placeholder row is claimed before the
//! handler runs, so two simultaneous repeats cannot both create.

use crate::auth::resolve_api_actor;
use crate::error::{problem, ApiError};
use crate::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kupets_store::queries::{get_idem, put_idem, IdemRecord};
use kupets_store::sql;
use sha2::{Digest, Sha256};

const MAX_BODY: usize = 4 * 1024 * 1024;

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string());
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        return next.run(req).await;
    };
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    if key.len() > 200 {
        return problem(
            StatusCode::BAD_REQUEST,
            "bad_idempotency_key",
            "Idempotency-Key: не длиннее 200 символов / at most 200 characters",
            serde_json::json!([]),
        );
    }
    let (mut parts, body) = req.into_parts();
    let actor = match resolve_api_actor(&parts, &state).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    parts.extensions.insert(actor.clone());
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "Тело запроса слишком велико / body too large",
            serde_json::json!([]),
        );
    };
    let mut h = Sha256::new();
    h.update(parts.uri.path().as_bytes());
    h.update([0]);
    h.update(&bytes);
    let hash: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let store = &state.app.store;
    let emp = actor.id();

    let (k, hs) = (key.clone(), hash.clone());
    let claim = store.write(move |tx| {
        let (key, hash) = (k.clone(), hs.clone());
        Box::pin(async move {
            let existing = get_idem(tx, emp, &key).await?;
            if existing.is_none() {
                put_idem(
                    tx,
                    emp,
                    &key,
                    &IdemRecord {
                        request_hash: hash,
                        status: 0,
                        body: String::new(),
                    },
                )
                .await?;
            }
            Ok::<_, kupets_store::StoreError>(existing)
        })
    });
    match claim.await {
        Err(e) => return ApiError::from(kupets_app::AppError::from(e)).into_response(),
        Ok(Some(rec)) => {
            if rec.request_hash != hash {
                return problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", "Этот Idempotency-Key уже использован для другого запроса / this key was used for a different request", serde_json::json!([]));
            }
            if rec.status == 0 {
                return problem(StatusCode::CONFLICT, "idempotency_in_progress", "Запрос с этим ключом ещё выполняется / a request with this key is still running", serde_json::json!([]));
            }
            let mut resp = (
                StatusCode::from_u16(rec.status as u16).unwrap_or(StatusCode::OK),
                rec.body,
            )
                .into_response();
            resp.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            );
            resp.headers_mut().insert(
                "idempotent-replayed",
                axum::http::HeaderValue::from_static("true"),
            );
            return resp;
        }
        Ok(None) => {}
    }

    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = resp.status();
    let (rparts, rbody) = resp.into_parts();
    let rbytes = to_bytes(rbody, MAX_BODY).await.unwrap_or_default();
    let body = String::from_utf8_lossy(&rbytes).to_string();
    let finish = store.write(move |tx| {
        let (key, body) = (key.clone(), body.clone());
        Box::pin(async move {
            if status.is_success() {
                sql::query("UPDATE idempotency_keys SET status = $1, body = $2 WHERE employee_id = $3 AND key = $4")
                    .bind(status.as_u16() as i64)
                    .bind(body)
                    .bind(emp)
                    .bind(&key)
                    .execute(tx)
                    .await?;
            } else {
                // A refused request created nothing: let the client retry the key.
                sql::query("DELETE FROM idempotency_keys WHERE employee_id = $1 AND key = $2")
                    .bind(emp)
                    .bind(&key)
                    .execute(tx)
                    .await?;
            }
            Ok::<_, kupets_store::StoreError>(())
        })
    });
    if let Err(e) = finish.await {
        tracing::error!(error = %e, "idempotency record not saved");
    }
    Response::from_parts(rparts, Body::from(rbytes))
}
