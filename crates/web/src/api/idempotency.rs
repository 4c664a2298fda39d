//! `Idempotency-Key` on creates: the first request with a key runs and its
//! answer is stored; a repeat with the same key and body gets the stored
//! answer and creates nothing.
//!
//! Before the handler runs, the key is *claimed*: a row inserted under the
//! table's primary key, so on both engines exactly one request wins. A
//! request that finds the key claimed waits for the answer (up to
//! [`WAIT`]) and replays it, or answers 409 `idempotency_in_progress`.
//! The claim names its process (a random id per start) and carries a
//! heartbeat refreshed while the request runs; a claim whose heartbeat is
//! older than [`LEASE`] and that belongs to another process is stale (its
//! process died) and the next request with the key takes it over. A claim
//! whose request is refused, fails or is abandoned is released. Keys live
//! 24 hours. See docs/ARCHITECTURE.md.

use crate::auth::resolve_api_actor;
use crate::error::{problem, ApiError};
use crate::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kupets_store::queries::{
    answer_idem, beat_idem, expire_idem, get_idem, peek_idem, put_idem, release_idem,
    take_over_idem, IdemRecord,
};
use kupets_store::Store;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const MAX_BODY: usize = 4 * 1024 * 1024;

/// A claim not refreshed for this long, held by another process, is stale.
pub const LEASE: Duration = Duration::from_secs(15);
/// How often a running request refreshes its claim.
const HEARTBEAT: Duration = Duration::from_secs(4);
/// How long a repeat waits for the first request's answer before 409.
pub const WAIT: Duration = Duration::from_secs(10);
/// Keys are forgotten after this long.
pub const KEEP: chrono::Duration = chrono::Duration::hours(24);

/// This process's id in the claims it makes.
pub fn boot_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(kupets_app::auth::random_token)
}

fn ago(d: chrono::Duration) -> String {
    (chrono::Utc::now() - d).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn stale(rec: &IdemRecord) -> bool {
    rec.owner != boot_id()
        && rec.heartbeat_at.as_str()
            < ago(chrono::Duration::from_std(LEASE).unwrap_or_default()).as_str()
}

enum Claimed {
    Mine,
    Theirs(IdemRecord),
}

async fn claim(store: &Store, emp: i64, key: &str, hash: &str) -> kupets_store::Result<Claimed> {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let sweep = CALLS.fetch_add(1, Ordering::Relaxed).is_multiple_of(256);
    let (key, hash) = (key.to_string(), hash.to_string());
    store
        .write(move |tx| {
            let (key, hash) = (key.clone(), hash.clone());
            Box::pin(async move {
                if sweep {
                    expire_idem(tx, &ago(KEEP)).await?;
                }
                let out = match get_idem(tx, emp, &key, &ago(KEEP)).await? {
                    Some(rec) if rec.status == 0 && rec.request_hash == hash && stale(&rec) => {
                        if take_over_idem(tx, emp, &key, &rec, boot_id()).await? {
                            tracing::warn!(key, owner = %rec.owner, "stale idempotency claim taken over");
                            Claimed::Mine
                        } else {
                            Claimed::Theirs(rec)
                        }
                    }
                    Some(rec) => Claimed::Theirs(rec),
                    None => {
                        if put_idem(tx, emp, &key, &hash, boot_id()).await? {
                            Claimed::Mine
                        } else {
                            // Another request inserted it between our read and
                            // insert (PostgreSQL): read what it claimed.
                            match get_idem(tx, emp, &key, &ago(KEEP)).await? {
                                Some(rec) => Claimed::Theirs(rec),
                                None => Claimed::Theirs(IdemRecord {
                                    request_hash: hash.clone(),
                                    status: 0,
                                    body: String::new(),
                                    owner: String::new(),
                                    heartbeat_at: String::new(),
                                    created_at: String::new(),
                                }),
                            }
                        }
                    }
                };
                Ok::<_, kupets_store::StoreError>(out)
            })
        })
        .await
}

/// Runs one short statement of this module in its own write transaction.
async fn in_tx(store: &Store, emp: i64, key: &str, what: Finish) -> kupets_store::Result<()> {
    let key = key.to_string();
    store
        .write(move |tx| {
            let (key, what) = (key.clone(), what.clone());
            Box::pin(async move {
                match what {
                    Finish::Beat => beat_idem(tx, emp, &key, boot_id()).await,
                    Finish::Answer(status, body) => {
                        answer_idem(tx, emp, &key, boot_id(), status, &body).await
                    }
                    Finish::Release => release_idem(tx, emp, &key, boot_id()).await,
                }
            })
        })
        .await
}

#[derive(Clone)]
enum Finish {
    Beat,
    Answer(i64, String),
    Release,
}

/// Held while this request owns its claim: refreshes the heartbeat, and
/// releases the claim if the request is dropped (client gone) before it
/// answered.
struct Guard {
    store: Store,
    emp: i64,
    key: String,
    beat: tokio::task::JoinHandle<()>,
    done: bool,
}

impl Guard {
    fn new(store: Store, emp: i64, key: String) -> Guard {
        let (s, k) = (store.clone(), key.clone());
        let beat = tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                if let Err(e) = in_tx(&s, emp, &k, Finish::Beat).await {
                    tracing::warn!(error = %e, "idempotency heartbeat");
                }
            }
        });
        Guard {
            store,
            emp,
            key,
            beat,
            done: false,
        }
    }

    async fn finish(mut self, answer: Option<(i64, String)>) -> kupets_store::Result<()> {
        self.beat.abort();
        self.done = true;
        let what = match answer {
            Some((status, body)) => Finish::Answer(status, body),
            None => Finish::Release,
        };
        in_tx(&self.store, self.emp, &self.key, what).await
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.beat.abort();
        if self.done {
            return;
        }
        let (store, emp, key) = (self.store.clone(), self.emp, std::mem::take(&mut self.key));
        if let Ok(h) = tokio::runtime::Handle::try_current() {
            h.spawn(async move {
                if let Err(e) = in_tx(&store, emp, &key, Finish::Release).await {
                    tracing::warn!(error = %e, "idempotency claim not released");
                }
            });
        }
    }
}

fn replay(rec: IdemRecord) -> Response {
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
    resp
}

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
    let started = Instant::now();
    loop {
        let rec = match claim(store, emp, &key, &hash).await {
            Err(e) => return ApiError::from(kupets_app::AppError::from(e)).into_response(),
            Ok(Claimed::Mine) => break,
            Ok(Claimed::Theirs(rec)) => rec,
        };
        // Wait for the running request, polling the readers (not the writer).
        let mut rec = rec;
        loop {
            if rec.request_hash != hash {
                return problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", "Этот Idempotency-Key уже использован для другого запроса / this key was used for a different request", serde_json::json!([]));
            }
            if rec.status != 0 {
                return replay(rec);
            }
            if stale(&rec) || rec.owner.is_empty() {
                break; // claim again: take it over or find it gone
            }
            if started.elapsed() >= WAIT {
                let mut resp = problem(StatusCode::CONFLICT, "idempotency_in_progress", "Запрос с этим ключом ещё выполняется; повторите позже / a request with this key is still running; retry later", serde_json::json!([]));
                resp.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("1"),
                );
                return resp;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            match peek_idem(store, emp, &key).await {
                Err(e) => return ApiError::from(kupets_app::AppError::from(e)).into_response(),
                Ok(None) => break, // released: claim it ourselves
                Ok(Some(r)) => rec = r,
            }
        }
    }

    let guard = Guard::new(store.clone(), emp, key.clone());
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = resp.status();
    let (rparts, rbody) = resp.into_parts();
    let rbytes = to_bytes(rbody, MAX_BODY).await.unwrap_or_default();
    // A refused request created nothing: the client may retry the key.
    let answer = status.is_success().then(|| {
        (
            status.as_u16() as i64,
            String::from_utf8_lossy(&rbytes).to_string(),
        )
    });
    if let Err(e) = guard.finish(answer).await {
        tracing::error!(error = %e, "idempotency record not saved");
    }
    Response::from_parts(rparts, Body::from(rbytes))
}
