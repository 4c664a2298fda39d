//! Issue 10: money bounds, exclusive idempotency claims, login throttling,
//! strict input, audit of changes, HTTP limits — on both engines.

use axum::http::{Method, StatusCode};
use kupets_testkit::{both_engines, TestApp};
use serde_json::json;

async fn customer(t: &TestApp) -> String {
    t.post(
        "/api/v1/counterparties",
        &t.admin,
        json!({"name": "ООО «Ключ»"}),
    )
    .await
    .id()
}

async fn payments(t: &TestApp) -> usize {
    t.get("/api/v1/payments", &t.admin).await.body["items"]
        .as_array()
        .unwrap()
        .len()
}

both_engines!(one_key_sixteen_requests_one_document, |t: TestApp| async move {
    let cp = customer(&t).await;
    let router = t.router.clone();
    let token = t.admin.clone();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let router = router.clone();
        let token = token.clone();
        let cp = cp.clone();
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let req = axum::http::Request::builder()
                .method(Method::POST)
                .uri("/api/v1/payments")
                .header("authorization", format!("Bearer {token}"))
                .header("idempotency-key", "pay-once")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(
                    json!({"counterparty_id": cp, "amount": "100", "date": "2026-03-01"})
                        .to_string(),
                ))
                .unwrap();
            let resp = router.oneshot(req).await.unwrap();
            let status = resp.status();
            let bytes = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .unwrap()
                .to_bytes();
            let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            (status, body)
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            StatusCode::CREATED => ids.push(body["id"].as_str().unwrap().to_string()),
            StatusCode::CONFLICT => assert_eq!(body["code"], "idempotency_in_progress"),
            s => panic!("unexpected {s}: {body}"),
        }
    }
    assert!(!ids.is_empty());
    ids.dedup();
    assert_eq!(ids.len(), 1, "all created answers name one document");
    assert_eq!(payments(&t).await, 1, "exactly one payment");
});

both_engines!(a_claim_left_by_a_dead_process_is_retried_once, |t: TestApp| async move {
    let cp = customer(&t).await;
    let body = json!({"counterparty_id": cp, "amount": "250", "date": "2026-03-02"});
    // What a process killed between claiming and answering leaves behind:
    // the claim of another process, its heartbeat long stopped.
    let hash = {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"/api/v1/payments");
        h.update([0]);
        h.update(body.to_string().as_bytes());
        h.finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let mut tx = t.app.store.begin().await.unwrap();
    let now = kupets_store::now();
    sqlx::query("INSERT INTO idempotency_keys (employee_id, key, request_hash, status, body, created_at, owner, heartbeat_at) VALUES (1, 'crashed', $1, 0, '', $2, 'dead-process', '2026-01-01T00:00:00.000Z')")
        .bind(&hash)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let send = || {
        t.send(
            Method::POST,
            "/api/v1/payments",
            &t.admin,
            Some(body.clone()),
            &[("idempotency-key", "crashed")],
        )
    };
    let r1 = send().await;
    assert_eq!(r1.status, StatusCode::CREATED, "{}", r1.text);
    let r2 = send().await;
    assert_eq!(r2.status, StatusCode::CREATED);
    assert_eq!(r2.headers["idempotent-replayed"], "true");
    assert_eq!(r1.id(), r2.id());
    assert_eq!(payments(&t).await, 1);

    // A live claim of another process is waited for, then 409 — not run twice.
    let mut tx = t.app.store.begin().await.unwrap();
    sqlx::query("INSERT INTO idempotency_keys (employee_id, key, request_hash, status, body, created_at, owner, heartbeat_at) VALUES (1, 'running', $1, 0, '', $2, 'other-process', $3)")
        .bind(&hash)
        .bind(&now)
        .bind("2999-01-01T00:00:00.000Z")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let r = t
        .send(
            Method::POST,
            "/api/v1/payments",
            &t.admin,
            Some(body.clone()),
            &[("idempotency-key", "running")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.body["code"], "idempotency_in_progress");
    assert_eq!(payments(&t).await, 1);

    // Keys older than 24 hours are forgotten: the same key creates anew.
    let mut tx = t.app.store.begin().await.unwrap();
    sqlx::query("UPDATE idempotency_keys SET created_at = '2020-01-01T00:00:00.000Z' WHERE key = 'crashed'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let r3 = send().await;
    assert_eq!(r3.status, StatusCode::CREATED);
    assert_ne!(r3.id(), r1.id());
    assert_eq!(payments(&t).await, 2);
});
