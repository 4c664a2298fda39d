//! Repairs are not sales (issue 12, item 3), on both engines: a client's
//! unit handed in for repair stays theirs — no credit, no movement of our
//! stock, «в ремонте у нас» on the trace card — and is handed back to them
//! with the paid-repair charge where due; our own unit goes back to stock
//! and is never charged; a return can no longer send units to repair;
//! every refusal.

use axum::http::{Method, StatusCode};
use kupets_store::queries::P;
use kupets_testkit::{both_engines, TestApp};
use serde_json::{json, Value};

async fn created(t: &TestApp, path: &str, body: Value) -> Value {
    let r = t.post(path, &t.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn post(t: &TestApp, path: &str) -> kupets_testkit::Resp {
    t.send(Method::POST, path, &t.admin, None, &[]).await
}

async fn balance(t: &TestApp, cp: &str) -> String {
    t.get(&format!("/api/v1/counterparties/{cp}"), &t.admin)
        .await
        .body["balance"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn stock(t: &TestApp, wh: &str, product: &str) -> String {
    let r = t
        .get(
            &format!("/api/v1/stock?warehouse_id={wh}&product_id={product}"),
            &t.admin,
        )
        .await;
    r.body
        .as_array()
        .unwrap()
        .first()
        .map(|s| s["qty"].as_str().unwrap().to_string())
        .unwrap_or_else(|| "0".into())
}

async fn unit(t: &TestApp, serial: &str) -> Value {
    let r = t
        .get(&format!("/api/v1/units?serial={serial}"), &t.admin)
        .await;
    r.body
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["serial"] == serial)
        .cloned()
        .unwrap_or_else(|| panic!("no unit {serial}: {}", r.text))
}

async fn trace(t: &TestApp, serial: &str) -> Value {
    let u = unit(t, serial).await;
    t.get(&format!("/api/v1/units/{}", id(&u)), &t.admin)
        .await
        .body
}

async fn to_state(t: &TestApp, repair: &str, states: &[&str]) -> Value {
    let mut last = Value::Null;
    for st in states {
        let r = t
            .post(
                &format!("/api/v1/repairs/{repair}/state"),
                &t.admin,
                json!({ "state": st }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{st}: {}", r.text);
        last = r.body;
    }
    last
}

/// Runs one statement in its own write transaction: stands in for data
/// written before issue 12 (a draft return marked "straight to repair").
async fn exec(t: &TestApp, sql: &'static str, params: Vec<P>) {
    t.app
        .store
        .write(move |tx| {
            let params = params.clone();
            Box::pin(async move {
                let mut q = kupets_store::sql::query(sql);
                for p in params {
                    q = q.bind(p);
                }
                q.execute(tx).await?;
                Ok::<_, kupets_store::StoreError>(())
            })
        })
        .await
        .unwrap();
}

struct Shop {
    wh: String,
    drill: String,
    client: String,
    shipment: Value,
}

/// Drills S-1…S-3 (1 month's warranty, 12 825,00 each); S-1 and S-2
/// shipped to the client on 10.01.2026, S-3 left in stock.
async fn shop(t: &TestApp) -> Shop {
    let wh = id(&created(t, "/api/v1/warehouses", json!({"name": "Склад"})).await);
    let drill = id(&created(
        t,
        "/api/v1/products",
        json!({"sku": "DR-1", "name": "Дрель", "serial_tracked": true, "warranty_months": "1"}),
    )
    .await);
    t.set_retail(&drill, "2025-01-01", "12825").await;
    let client = id(&created(
        t,
        "/api/v1/counterparties",
        json!({"name": "ИП Сидоров", "phone": "+7 900 111-22-33"}),
    )
    .await);
    let d = created(
        t,
        "/api/v1/productions",
        json!({"product_id": drill, "warehouse_id": wh, "date": "2026-01-05",
        "units": [{"serial": "S-1"}, {"serial": "S-2"}, {"serial": "S-3"}]}),
    )
    .await;
    assert_eq!(
        post(t, &format!("/api/v1/productions/{}/post", id(&d)))
            .await
            .status,
        StatusCode::OK
    );
    let shipment = created(
        t,
        "/api/v1/shipments",
        json!({"counterparty_id": client, "warehouse_id": wh, "date": "2026-01-10",
        "lines": [{"product_id": drill, "qty": "2", "serials": ["S-1", "S-2"]}]}),
    )
    .await;
    let r = post(t, &format!("/api/v1/shipments/{}/post", id(&shipment))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    Shop {
        wh,
        drill,
        client,
        shipment,
    }
}

both_engines!(a_hand_in_is_not_a_sale, |t: TestApp| async move {
    let s = shop(&t).await;
    assert_eq!(balance(&t, &s.client).await, "25650.00");
    assert_eq!(stock(&t, &s.wh, &s.drill).await, "1");

    // Handed in after the warranty (10.02): a paid repair of the client's unit.
    let rp = created(&t, "/api/v1/repairs", json!({"serial": "S-1", "warehouse_id": s.wh, "date": "2026-03-02", "complaint": "Не включается"})).await;
    let rid = id(&rp);
    assert_eq!(rp["custody"], "client");
    assert_eq!(rp["warranty"], false);
    assert_eq!(rp["counterparty_id"], s.client.as_str());
    // No credit, no movement of our stock; the unit is theirs, with us.
    assert_eq!(balance(&t, &s.client).await, "25650.00");
    assert_eq!(stock(&t, &s.wh, &s.drill).await, "1");
    let u = unit(&t, "S-1").await;
    assert_eq!(
        (&u["state"], &u["custody"], &u["counterparty_id"]),
        (&json!("repair"), &json!("client"), &json!(s.client))
    );
    assert_eq!(unit(&t, "S-2").await["custody"], Value::Null);
    let cookie = crate::pages::web_login(&t, "admin", kupets_testkit::ADMIN_PASSWORD).await;
    let card = t.page(&format!("/units/{}", id(&u)), &cookie).await;
    assert!(
        card.text.contains("в ремонте у нас")
            && card.text.contains("собственность клиента")
            && card.text.contains("ИП Сидоров"),
        "{}",
        card.text
    );
    let page = t.page(&format!("/repairs/{rid}"), &cookie).await;
    assert!(
        page.text.contains("клиента — у нас в ремонте"),
        "{}",
        page.text
    );

    // A unit in our custody cannot be returned for a refund meanwhile, nor
    // taken in twice, nor its shipment cancelled from under it.
    let line = s.shipment["lines"][0]["id"].clone();
    let r = t
        .post(
            "/api/v1/returns",
            &t.admin,
            json!({"counterparty_id": s.client, "base_id": id(&s.shipment), "date": "2026-03-03",
        "lines": [{"product_id": s.drill, "qty": "1", "base_line_id": line, "serials": ["S-1"]}]}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_fields()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["lines[0].serials".to_string()]
        )
    );
    assert_eq!(balance(&t, &s.client).await, "25650.00");
    let r = t
        .post("/api/v1/repairs", &t.admin, json!({"serial": "S-1"}))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("unit_unavailable"))
    );
    let r = t
        .post(
            &format!("/api/v1/shipments/{}/cancel", id(&s.shipment)),
            &t.admin,
            json!({"reason": "ошибка"}),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.text);
    assert_eq!(balance(&t, &s.client).await, "25650.00");

    // Priced and ready: the client's manager is told to hand it back.
    let r = t
        .put(
            &format!("/api/v1/repairs/{rid}"),
            &t.admin,
            json!({"price": "1500", "cost": "400", "work": "Замена щёток"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    to_state(&t, &rid, &["diagnosis", "in_repair", "ready"]).await;
    let today = t.get("/api/v1/today", &t.admin).await;
    assert!(
        today.text.contains("вернуть клиенту Дрель S-1"),
        "{}",
        today.text
    );
    // Handed back: theirs again, our stock untouched, the paid charge due.
    let done = to_state(&t, &rid, &["handed_back"]).await;
    assert_eq!(done["state"], "handed_back");
    assert_eq!(balance(&t, &s.client).await, "27150.00");
    assert_eq!(stock(&t, &s.wh, &s.drill).await, "1");
    let u = unit(&t, "S-1").await;
    assert_eq!(
        (&u["state"], &u["custody"], &u["counterparty_id"]),
        (&json!("customer"), &Value::Null, &json!(s.client))
    );
    let tr = trace(&t, "S-1").await;
    let kinds: Vec<&str> = tr["moves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["produced", "shipped", "repair_in", "to_client"],
        "{}",
        tr
    );
    let last = tr["moves"].as_array().unwrap().last().unwrap();
    assert_eq!(last["counterparty_name"], "ИП Сидоров");
    assert_eq!(last["warehouse_name"], Value::Null);
    let card = t.page(&format!("/units/{}", id(&u)), &cookie).await;
    assert!(
        card.text.contains("Возвращён клиенту из ремонта") && card.text.contains("у клиента"),
        "{}",
        card.text
    );
    // The completed-work act is there for the client's paid repair.
    let act = t
        .get(
            &format!("/api/v1/documents/{rid}/papers/repair-act?format=html"),
            &t.admin,
        )
        .await;
    assert_eq!(act.status, StatusCode::OK, "{}", act.text);

    // Under warranty (10.01 + 1 month = 10.02): handed back free.
    let w = created(
        &t,
        "/api/v1/repairs",
        json!({"serial": "S-2", "date": "2026-02-10"}),
    )
    .await;
    assert_eq!(
        (&w["warranty"], &w["custody"]),
        (&json!(true), &json!("client"))
    );
    t.put(
        &format!("/api/v1/repairs/{}", id(&w)),
        &t.admin,
        json!({"price": "900", "cost": "300"}),
    )
    .await;
    to_state(
        &t,
        &id(&w),
        &["diagnosis", "in_repair", "ready", "handed_back"],
    )
    .await;
    assert_eq!(balance(&t, &s.client).await, "27150.00");
    // Declined: back to the client, nothing charged.
    let d = created(
        &t,
        "/api/v1/repairs",
        json!({"serial": "S-2", "date": "2026-03-05"}),
    )
    .await;
    t.put(
        &format!("/api/v1/repairs/{}", id(&d)),
        &t.admin,
        json!({"price": "700"}),
    )
    .await;
    to_state(&t, &id(&d), &["diagnosis", "declined"]).await;
    assert_eq!(balance(&t, &s.client).await, "27150.00");
    let u2 = unit(&t, "S-2").await;
    assert_eq!(
        (&u2["state"], &u2["counterparty_id"]),
        (&json!("customer"), &json!(s.client))
    );
    assert_eq!(stock(&t, &s.wh, &s.drill).await, "1");
});

both_engines!(our_own_unit_and_genuine_returns, |t: TestApp| async move {
    let s = shop(&t).await;
    // A genuine return stays as it is: credit and stock.
    let line = s.shipment["lines"][0]["id"].clone();
    let ret = created(
        &t,
        "/api/v1/returns",
        json!({"counterparty_id": s.client, "base_id": id(&s.shipment), "date": "2026-01-20",
        "lines": [{"product_id": s.drill, "qty": "1", "base_line_id": line, "serials": ["S-2"]}]}),
    )
    .await;
    let r = post(&t, &format!("/api/v1/returns/{}/post", id(&ret))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(balance(&t, &s.client).await, "12825.00");
    assert_eq!(stock(&t, &s.wh, &s.drill).await, "2");
    // The returned unit is ours now (like the units returned "straight to
    // repair" before issue 12): its repair is ours, back to stock, and a
    // price on it charges no one.
    let rp = created(&t, "/api/v1/repairs", json!({"serial": "S-2", "counterparty_id": s.client, "warehouse_id": s.wh, "date": "2026-01-21"})).await;
    assert_eq!(rp["custody"], "ours");
    assert_eq!(unit(&t, "S-2").await["custody"], "ours");
    t.put(
        &format!("/api/v1/repairs/{}", id(&rp)),
        &t.admin,
        json!({"price": "1500", "warranty": "false", "override_reason": "наш ремонт"}),
    )
    .await;
    to_state(&t, &id(&rp), &["diagnosis", "in_repair", "ready"]).await;
    let today = t.get("/api/v1/today", &t.admin).await;
    assert!(
        today.text.contains("Дрель S-2 — на склад")
            && !today.text.contains("вернуть клиенту Дрель S-2"),
        "{}",
        today.text
    );
    to_state(&t, &id(&rp), &["handed_back"]).await;
    assert_eq!(balance(&t, &s.client).await, "12825.00");
    let u = unit(&t, "S-2").await;
    assert_eq!(
        (&u["state"], &u["counterparty_id"]),
        (&json!("stock"), &Value::Null)
    );
    let kinds: Vec<String> = trace(&t, "S-2").await["moves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds.last().map(String::as_str), Some("repair_out"));
    let act = t
        .get(
            &format!(
                "/api/v1/documents/{}/papers/repair-act?format=html",
                id(&rp)
            ),
            &t.admin,
        )
        .await;
    assert_eq!(act.status, StatusCode::CONFLICT, "{}", act.text);
    // A unit in stock that was never sold: also ours.
    let own = created(&t, "/api/v1/repairs", json!({"serial": "S-3"})).await;
    assert_eq!(
        (&own["custody"], &own["counterparty_id"]),
        (&json!("ours"), &Value::Null)
    );
});

both_engines!(hand_in_refusals, |t: TestApp| async move {
    let s = shop(&t).await;
    let line = s.shipment["lines"][0]["id"].clone();
    // A return can no longer send units to repair: it would credit the client.
    let r = t.post("/api/v1/returns", &t.admin, json!({"counterparty_id": s.client, "base_id": id(&s.shipment), "date": "2026-02-01", "to_repair": true,
        "lines": [{"product_id": s.drill, "qty": "1", "base_line_id": line, "serials": ["S-1"]}]}))
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.error_fields(), ["to_repair"]);
    assert!(r.text.contains("заказ на ремонт"), "{}", r.text);
    // A draft saved before, still marked, is refused on posting — nothing
    // moves — and posts as a genuine return once saved again.
    let ret = created(
        &t,
        "/api/v1/returns",
        json!({"counterparty_id": s.client, "base_id": id(&s.shipment), "date": "2026-02-01",
        "lines": [{"product_id": s.drill, "qty": "1", "base_line_id": line, "serials": ["S-1"]}]}),
    )
    .await;
    let rid: i64 = id(&ret).parse().unwrap();
    exec(
        &t,
        "UPDATE documents SET to_repair = 1 WHERE id = $1",
        vec![P::from(rid)],
    )
    .await;
    let r = post(&t, &format!("/api/v1/returns/{rid}/post")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.error_fields(), ["to_repair"]);
    assert_eq!(balance(&t, &s.client).await, "25650.00");
    assert_eq!(stock(&t, &s.wh, &s.drill).await, "1");
    assert_eq!(unit(&t, "S-1").await["state"], "customer");
    assert_eq!(t.get("/api/v1/repairs", &t.admin).await.body, json!([]));
    let r = t
        .put(
            &format!("/api/v1/returns/{rid}"),
            &t.admin,
            json!({"counterparty_id": s.client, "base_id": id(&s.shipment), "date": "2026-02-01",
        "lines": [{"product_id": s.drill, "qty": "1", "base_line_id": line, "serials": ["S-1"]}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = post(&t, &format!("/api/v1/returns/{rid}/post")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(balance(&t, &s.client).await, "12825.00");
    // Unknown serial; no serial; a unit written off; a role without repairs.
    let r = t
        .post("/api/v1/repairs", &t.admin, json!({"serial": "NOPE"}))
        .await;
    assert_eq!(
        (r.status, r.error_fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["serial".to_string()])
    );
    let r = t
        .post("/api/v1/repairs", &t.admin, json!({"complaint": "?"}))
        .await;
    assert_eq!(r.error_fields(), ["serial"]);
    let sk = t.user("sklad", "storekeeper").await;
    let r = t
        .post("/api/v1/repairs", &sk, json!({"serial": "S-2"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(unit(&t, "S-2").await["state"], "customer");
    // Only from "ready" is a unit handed back.
    let rp = created(&t, "/api/v1/repairs", json!({"serial": "S-2"})).await;
    let r = t
        .post(
            &format!("/api/v1/repairs/{}/state", id(&rp)),
            &t.admin,
            json!({"state": "handed_back"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (StatusCode::CONFLICT, Some("repair_state"))
    );
    assert_eq!(unit(&t, "S-2").await["state"], "repair");
});

both_engines!(hand_in_from_the_repairs_page, |t: TestApp| async move {
    let s = shop(&t).await;
    let cookie = crate::pages::web_login(&t, "admin", kupets_testkit::ADMIN_PASSWORD).await;
    let list = t.page("/repairs", &cookie).await;
    assert!(list.text.contains("Принять в ремонт"), "{}", list.text);
    let csrf = crate::pages::csrf_of(&list.text);
    let r = t
        .form(
            "/repairs",
            &cookie,
            &[
                ("csrf", &csrf),
                ("serial", "S-1"),
                ("complaint", "Искрит"),
                ("warehouse_id", &s.wh),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(balance(&t, &s.client).await, "25650.00");
    assert_eq!(unit(&t, "S-1").await["custody"], "client");
    // The return form points there instead of a "straight to repair" box.
    let form = t.page("/returns/new", &cookie).await;
    assert!(
        form.text.contains("принять в ремонт") && !form.text.contains("name=\"to_repair\""),
        "{}",
        form.text
    );
});
