//! Serial numbers and after-sales service on both engines: production with
//! as-built components, shipments and returns by serial, the trace card,
//! recalls, warranty and paid repairs, defect statistics, refusals.

use axum::http::{Method, StatusCode};
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

async fn ok(t: &TestApp, path: &str) -> Value {
    let r = post(t, path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.body
}

struct Plant {
    wh: String,
    pump: String,
    motor: String,
    board: String,
    winding: String,
    customer: String,
}

/// A pump (serial, 12 months' warranty) is built from a board (by lot) and a
/// motor (serial), itself built from windings (by lot).
async fn plant(t: &TestApp) -> Plant {
    let wh = id(&created(t, "/api/v1/warehouses", json!({"name": "Цех"})).await);
    let pump = id(&created(
        t,
        "/api/v1/products",
        json!({"sku": "PUMP", "name": "Насос", "serial_tracked": true, "warranty_months": "12"}),
    )
    .await);
    let motor = id(&created(
        t,
        "/api/v1/products",
        json!({"sku": "MOTOR", "name": "Мотор", "serial_tracked": true}),
    )
    .await);
    let board = id(&created(
        t,
        "/api/v1/products",
        json!({"sku": "BOARD", "name": "Плата"}),
    )
    .await);
    let winding = id(&created(
        t,
        "/api/v1/products",
        json!({"sku": "WIND", "name": "Обмотка"}),
    )
    .await);
    t.set_retail(&pump, "2025-01-01", "20000").await;
    let customer = id(&created(
        t,
        "/api/v1/counterparties",
        json!({"name": "ООО «Водоканал»", "phone": "+7 900 000-00-01"}),
    )
    .await);
    let supplier = id(&created(
        t,
        "/api/v1/counterparties",
        json!({"name": "Поставщик", "kind": "supplier"}),
    )
    .await);
    let rc = created(t, "/api/v1/receipts", json!({"counterparty_id": supplier, "warehouse_id": wh, "date": "2026-01-10",
        "lines": [{"product_id": board, "qty": "10", "price": "500"}, {"product_id": winding, "qty": "10", "price": "100"}]})).await;
    ok(t, &format!("/api/v1/receipts/{}/post", id(&rc))).await;
    Plant {
        wh,
        pump,
        motor,
        board,
        winding,
        customer,
    }
}

/// Produces motors with the given serials from winding lot W-1.
async fn motors(t: &TestApp, p: &Plant, serials: &[&str]) {
    let units: Vec<Value> = serials.iter().map(|s| json!({"serial": s})).collect();
    let d = created(t, "/api/v1/productions", json!({"product_id": p.motor, "warehouse_id": p.wh, "date": "2026-02-01", "batch": "M-2602",
        "units": units, "components_per_unit": [{"product_id": p.winding, "lot": "W-1", "qty": "1"}]})).await;
    ok(t, &format!("/api/v1/productions/{}/post", id(&d))).await;
}

/// Two pumps P-26-001/002 from board lot B-7 and motors M-1, M-2.
async fn pumps(t: &TestApp, p: &Plant) -> Value {
    motors(t, p, &["M-1", "M-2"]).await;
    let d = created(t, "/api/v1/productions", json!({"product_id": p.pump, "warehouse_id": p.wh, "date": "2026-02-15", "batch": "B2602",
        "count": "2", "serial_pattern": "P-26-###",
        "components_per_unit": [{"product_id": p.board, "lot": "B-7"}],
        "units": [{"components": [{"product_id": p.motor, "serial": "M-1"}]}, {"components": [{"product_id": p.motor, "serial": "M-2"}]}]})).await;
    assert_eq!(d["serials"], json!(["P-26-001", "P-26-002"]));
    ok(t, &format!("/api/v1/productions/{}/post", id(&d))).await
}

async fn unit_of(t: &TestApp, serial: &str) -> Value {
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

async fn ship(t: &TestApp, p: &Plant, date: &str, serials: &[&str]) -> Value {
    let r = created(
        t,
        "/api/v1/shipments",
        json!({"counterparty_id": p.customer, "warehouse_id": p.wh, "date": date,
        "lines": [{"product_id": p.pump, "qty": serials.len().to_string(), "serials": serials}]}),
    )
    .await;
    ok(t, &format!("/api/v1/shipments/{}/post", id(&r))).await;
    r
}

both_engines!(
    a_unit_from_production_to_second_shipment,
    |t: TestApp| async move {
        let p = plant(&t).await;
        let made = pumps(&t, &p).await;
        assert_eq!(made["units"].as_array().unwrap().len(), 2);
        assert_eq!(stock(&t, &p.wh, &p.pump).await, "2");
        assert_eq!(stock(&t, &p.wh, &p.board).await, "8");
        assert_eq!(
            stock(&t, &p.wh, &p.motor).await,
            "0",
            "motors went into the pumps"
        );
        // Shipped, returned, repaired with a new motor, shipped again.
        let sh = ship(&t, &p, "2026-03-10", &["P-26-001"]).await;
        let u = unit_of(&t, "P-26-001").await;
        assert_eq!(u["state"], "customer");
        assert_eq!(u["warranty_end"], "2027-03-10");
        let ret = created(&t, "/api/v1/returns", json!({"counterparty_id": p.customer, "base_id": id(&sh), "date": "2026-04-01",
        "lines": [{"product_id": p.pump, "qty": "1", "base_line_id": sh["lines"][0]["id"], "serials": ["P-26-001"]}]})).await;
        ok(&t, &format!("/api/v1/returns/{}/post", id(&ret))).await;
        assert_eq!(unit_of(&t, "P-26-001").await["state"], "stock");
        motors(&t, &p, &["M-3"]).await;
        let rp = created(&t, "/api/v1/repairs", json!({"serial": "P-26-001", "counterparty_id": p.customer, "warehouse_id": p.wh, "date": "2026-04-02", "complaint": "Гудит"})).await;
        assert_eq!(rp["warranty"], true, "shipped 10.03.2026 + 12 months");
        let rid = id(&rp);
        for st in ["diagnosis", "in_repair"] {
            let r = t
                .post(
                    &format!("/api/v1/repairs/{rid}/state"),
                    &t.admin,
                    json!({"state": st}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        let r = t
            .post(
                &format!("/api/v1/repairs/{rid}/parts"),
                &t.admin,
                json!({"product_id": p.motor, "serial": "M-3", "replaces_serial": "M-1"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["parts"].as_array().unwrap().len(), 1);
        // And a board of another lot in place of the B-7 one.
        let r = t
            .post(
                &format!("/api/v1/repairs/{rid}/parts"),
                &t.admin,
                json!({"product_id": p.board, "lot": "B-8", "replaces_lot": "B-7"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(stock(&t, &p.wh, &p.board).await, "7");
        for st in ["ready", "handed_back"] {
            let r = t
                .post(
                    &format!("/api/v1/repairs/{rid}/state"),
                    &t.admin,
                    json!({"state": st}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        ship(&t, &p, "2026-05-01", &["P-26-001"]).await;
        // The trace card shows every step.
        let card = t
            .get(
                &format!(
                    "/api/v1/units/{}",
                    unit_of(&t, "P-26-001").await["id"].as_str().unwrap()
                ),
                &t.admin,
            )
            .await;
        assert_eq!(card.status, StatusCode::OK, "{}", card.text);
        let c = &card.body;
        assert_eq!(c["unit"]["batch"], "B2602");
        assert_eq!(c["unit"]["production_date"], "2026-02-15");
        let kinds: Vec<&str> = c["moves"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            vec![
                "produced",
                "shipped",
                "returned",
                "repair_in",
                "component_removed",
                "component_added",
                "component_removed",
                "component_added",
                "repair_out",
                "shipped"
            ]
        );
        assert_eq!(c["moves"][1]["counterparty_name"], "ООО «Водоканал»");
        let comps: Vec<(String, Option<String>, bool)> = c["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["product_name"].as_str().unwrap().to_string(),
                    x["serial"].as_str().map(str::to_string),
                    x["removed_by"].is_string(),
                )
            })
            .collect();
        assert_eq!(
            comps,
            vec![
                ("Плата".to_string(), None, true),
                ("Мотор".to_string(), Some("M-1".to_string()), true),
                ("Мотор".to_string(), Some("M-3".to_string()), false),
                ("Плата".to_string(), None, false),
            ]
        );
        assert_eq!(c["repairs"][0]["state"], "handed_back");
        assert_eq!(c["unit"]["shipped_date"], "2026-05-01");
        // Recall by component: the lot finds both pumps; the replaced motor's
        // serial finds the pump, marked as replaced; the new one finds it too.
        let r = t
            .get("/api/v1/recalls/search?component_lot=B-7", &t.admin)
            .await;
        let found: Vec<(&str, bool)> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                (
                    u["serial"].as_str().unwrap(),
                    u["component_removed"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            found,
            vec![("P-26-001", true), ("P-26-002", false)],
            "the replaced board still counts, marked"
        );
        let r = t
            .get("/api/v1/recalls/search?component_lot=B-8", &t.admin)
            .await;
        assert_eq!(r.body.as_array().unwrap().len(), 1);
        let r = t
            .get("/api/v1/recalls/search?component_serial=M-1", &t.admin)
            .await;
        assert_eq!(r.body.as_array().unwrap().len(), 1);
        assert_eq!(r.body[0]["serial"], "P-26-001");
        assert_eq!(r.body[0]["component_removed"], true);
        assert_eq!(r.body[0]["counterparty_name"], "ООО «Водоканал»");
        let r = t
            .get("/api/v1/recalls/search?component_serial=M-2", &t.admin)
            .await;
        assert_eq!(r.body[0]["serial"], "P-26-002");
        assert_eq!(r.body[0]["component_removed"], false);
        let r = t
            .get(
                &format!(
                    "/api/v1/recalls/search?component_lot=W-1&component_product_id={}",
                    p.winding
                ),
                &t.admin,
            )
            .await;
        assert_eq!(
            r.body.as_array().unwrap().len(),
            3,
            "motors M-1..M-3 contain windings of W-1"
        );
        let r = t
            .get(
                &format!(
                    "/api/v1/recalls/search?product_id={}&from=2026-02-15&to=2026-02-15",
                    p.pump
                ),
                &t.admin,
            )
            .await;
        assert_eq!(r.body.as_array().unwrap().len(), 2);
        assert_eq!(
            t.get("/api/v1/recalls/search", &t.admin)
                .await
                .error_fields(),
            vec!["product_id"]
        );
    }
);

both_engines!(warranty_edges_and_paid_repair, |t: TestApp| async move {
    let p = plant(&t).await;
    let short = id(&created(
        &t,
        "/api/v1/products",
        json!({"sku": "FAN", "name": "Вентилятор", "serial_tracked": true, "warranty_months": "1"}),
    )
    .await);
    t.set_retail(&short, "2025-01-01", "1000").await;
    let d = created(&t, "/api/v1/productions", json!({"product_id": short, "warehouse_id": p.wh, "date": "2026-01-05", "units": [{"serial": "F-1"}, {"serial": "F-2"}]})).await;
    ok(&t, &format!("/api/v1/productions/{}/post", id(&d))).await;
    let sh = created(
        &t,
        "/api/v1/shipments",
        json!({"counterparty_id": p.customer, "warehouse_id": p.wh, "date": "2026-01-31",
        "lines": [{"product_id": short, "qty": "2", "serials": ["F-1", "F-2"]}]}),
    )
    .await;
    ok(&t, &format!("/api/v1/shipments/{}/post", id(&sh))).await;
    let balance = || {
        let (t, cp) = (&t, p.customer.clone());
        async move {
            t.get(&format!("/api/v1/counterparties/{cp}"), &t.admin)
                .await
                .body["balance"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    assert_eq!(balance().await, "2000.00");
    // 31.01 + 1 month = 28.02: the last day is covered, the day after is not.
    let last = created(
        &t,
        "/api/v1/repairs",
        json!({"serial": "F-1", "date": "2026-02-28"}),
    )
    .await;
    assert_eq!(last["warranty"], true);
    assert_eq!(
        last["counterparty_id"],
        p.customer.as_str(),
        "the unit's customer by default"
    );
    let after = created(
        &t,
        "/api/v1/repairs",
        json!({"serial": "F-2", "date": "2026-03-01", "warehouse_id": p.wh}),
    )
    .await;
    assert_eq!(after["warranty"], false);
    let (w, paid) = (id(&last), id(&after));
    // Paid: the price goes to the customer's settlements when handed back.
    let cats = t.get("/api/v1/defect-categories", &t.admin).await.body;
    let electrical = cats
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "electrical")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = t.put(&format!("/api/v1/repairs/{paid}"), &t.admin, json!({"price": "1500", "cost": "400", "work": "Замена подшипника", "defect_category_id": electrical})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for st in ["diagnosis", "in_repair", "ready"] {
        assert_eq!(
            t.post(
                &format!("/api/v1/repairs/{paid}/state"),
                &t.admin,
                json!({"state": st})
            )
            .await
            .status,
            StatusCode::OK
        );
    }
    assert_eq!(balance().await, "2000.00", "nothing until handed back");
    // "Ready" reminds the client's manager (who created the client: the admin).
    let reminders = || {
        let t = &t;
        async move {
            t.get("/api/v1/today", &t.admin).await.body["reminders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["document_id"].as_str().unwrap().to_string())
                .collect::<Vec<String>>()
        }
    };
    assert!(
        reminders().await.contains(&paid),
        "a ready repair is on Today"
    );
    assert_eq!(
        t.post(
            &format!("/api/v1/repairs/{paid}/state"),
            &t.admin,
            json!({"state": "handed_back"})
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(balance().await, "3500.00");
    assert!(!reminders().await.contains(&paid), "handed back: off Today");
    // Warranty: the cost is kept, the customer pays nothing.
    t.put(
        &format!("/api/v1/repairs/{w}"),
        &t.admin,
        json!({"price": "900", "cost": "300", "defect_category_id": electrical}),
    )
    .await;
    for st in ["diagnosis", "in_repair", "ready", "handed_back"] {
        assert_eq!(
            t.post(
                &format!("/api/v1/repairs/{w}/state"),
                &t.admin,
                json!({"state": st})
            )
            .await
            .status,
            StatusCode::OK
        );
    }
    assert_eq!(balance().await, "3500.00");
    assert_eq!(
        t.get(&format!("/api/v1/repairs/{w}"), &t.admin).await.body["cost"],
        "300.00"
    );
    // Overriding the warranty: not a manager's; a head's with a reason.
    let again = created(
        &t,
        "/api/v1/repairs",
        json!({"serial": "F-2", "date": "2026-03-05"}),
    )
    .await;
    let mgr = t.user("mgr", "manager").await;
    let r = t
        .put(
            &format!("/api/v1/repairs/{}", id(&again)),
            &mgr,
            json!({"warranty": "true"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let head = t.user("head", "department_head").await;
    let r = t
        .put(
            &format!("/api/v1/repairs/{}", id(&again)),
            &head,
            json!({"warranty": "true"}),
        )
        .await;
    assert_eq!(r.error_fields(), vec!["override_reason"]);
    let r = t
        .put(
            &format!("/api/v1/repairs/{}", id(&again)),
            &head,
            json!({"warranty": "true", "override_reason": "Клиент ключевой, брак очевиден"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (
            r.body["warranty"].as_bool(),
            r.body["warranty_auto"].as_bool()
        ),
        (Some(true), Some(false))
    );
    assert_eq!(
        t.get("/api/v1/audit-log?action=warranty_override", &t.admin)
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Repair states only move forward; an open repair blocks a second.
    let r = t
        .post(
            &format!("/api/v1/repairs/{}/state", id(&again)),
            &t.admin,
            json!({"state": "handed_back"}),
        )
        .await;
    assert_eq!(r.body["code"], "repair_state");
    assert_eq!(
        t.post("/api/v1/repairs", &t.admin, json!({"serial": "F-2"}))
            .await
            .body["code"],
        "unit_unavailable"
    );
    // Defect statistics: two repairs of fans, one of 2 shipped → 100 %.
    let s = t
        .get(
            "/api/v1/reports/defects?from=2026-01-01&to=2026-12-31",
            &t.admin,
        )
        .await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text);
    assert_eq!(s.body["repairs"], 3);
    let fan = s.body["by_product"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["label"] == "Вентилятор")
        .unwrap()
        .clone();
    assert_eq!(
        (
            fan["repairs"].as_i64(),
            fan["shipped"].as_i64(),
            fan["failure_rate"].as_str()
        ),
        (Some(3), Some(2), Some("150"))
    );
    let el = s.body["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "electrical")
        .unwrap()
        .clone();
    assert_eq!(el["repairs"], 2);
    assert_eq!(s.body["by_month"][0]["key"], "2026-01");
});

both_engines!(serial_refusals, |t: TestApp| async move {
    let p = plant(&t).await;
    pumps(&t, &p).await;
    // A serial that exists already; a serial twice in one document.
    let r = t
        .post(
            "/api/v1/productions",
            &t.admin,
            json!({"product_id": p.pump, "warehouse_id": p.wh, "units": [{"serial": "P-26-001"}]}),
        )
        .await;
    assert_eq!(r.error_fields(), vec!["units[0].serial"]);
    assert_eq!(r.body["errors"][0]["code"], "duplicate_serial");
    let r = t.post("/api/v1/productions", &t.admin, json!({"product_id": p.pump, "warehouse_id": p.wh, "units": [{"serial": "X"}, {"serial": "X"}]})).await;
    assert_eq!(r.error_fields(), vec!["units[1].serial"]);
    let r = t.post("/api/v1/productions", &t.admin, json!({"product_id": p.board, "warehouse_id": p.wh, "count": "1", "serial_pattern": "B#"})).await;
    assert_eq!(r.body["errors"][0]["code"], "not_serial_tracked");
    // Not enough boards: refused at posting with the figures, nothing made.
    let d = created(&t, "/api/v1/productions", json!({"product_id": p.pump, "warehouse_id": p.wh, "count": "9", "serial_pattern": "Q-###", "components_per_unit": [{"product_id": p.board, "lot": "B-8"}]})).await;
    let r = post(&t, &format!("/api/v1/productions/{}/post", id(&d))).await;
    assert_eq!(r.body["code"], "insufficient_stock", "{}", r.text);
    assert!(t
        .get("/api/v1/units?serial=Q-", &t.admin)
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());
    // Shipping: wrong count, unknown serial, serials on a plain product.
    let ship = |serials: Value, qty: &str, product: &str| json!({"counterparty_id": p.customer, "warehouse_id": p.wh, "lines": [{"product_id": product, "qty": qty, "serials": serials}]});
    let r = t
        .post(
            "/api/v1/shipments",
            &t.admin,
            ship(json!(["P-26-001"]), "2", &p.pump),
        )
        .await;
    assert_eq!(r.body["errors"][0]["code"], "wrong_serial_count");
    let r = t
        .post(
            "/api/v1/shipments",
            &t.admin,
            ship(json!(["NOPE"]), "1", &p.pump),
        )
        .await;
    assert_eq!(r.body["errors"][0]["code"], "unknown_serial");
    let r = t
        .post(
            "/api/v1/shipments",
            &t.admin,
            ship(json!(["P-26-001"]), "1", &p.board),
        )
        .await;
    assert_eq!(r.body["errors"][0]["code"], "not_serial_tracked");
    let r = t
        .post(
            "/api/v1/shipments",
            &t.admin,
            ship(json!(["P-26-001", "P-26-001"]), "2", &p.pump),
        )
        .await;
    assert_eq!(r.body["errors"][0]["code"], "duplicate_serial");
    // Not at this warehouse.
    let other = id(&created(&t, "/api/v1/warehouses", json!({"name": "Другой"})).await);
    let r = t.post("/api/v1/shipments", &t.admin, json!({"counterparty_id": p.customer, "warehouse_id": other, "lines": [{"product_id": p.pump, "qty": "1", "serials": ["P-26-001"]}]})).await;
    assert_eq!(r.body["errors"][0]["code"], "not_in_stock");
    // Twice: two drafts name one serial; the second cannot post.
    let a = created(
        &t,
        "/api/v1/shipments",
        ship(json!(["P-26-002"]), "1", &p.pump),
    )
    .await;
    let b = created(
        &t,
        "/api/v1/shipments",
        ship(json!(["P-26-002"]), "1", &p.pump),
    )
    .await;
    ok(&t, &format!("/api/v1/shipments/{}/post", id(&a))).await;
    let r = post(&t, &format!("/api/v1/shipments/{}/post", id(&b))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(stock(&t, &p.wh, &p.pump).await, "1", "only one left");
    // Repair of an unknown serial.
    let r = t
        .post("/api/v1/repairs", &t.admin, json!({"serial": "NOPE"}))
        .await;
    assert_eq!(r.error_fields(), vec!["serial"]);
    // Cancelling the shipment puts the unit back; then the production can be
    // cancelled only while all its units are in stock.
    let r = t
        .post(
            &format!("/api/v1/shipments/{}/cancel", id(&a)),
            &t.admin,
            json!({"reason": "ошибка"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(unit_of(&t, "P-26-002").await["state"], "stock");
});

both_engines!(recall_campaign_progress, |t: TestApp| async move {
    let p = plant(&t).await;
    pumps(&t, &p).await;
    let mgr_id = t.get("/api/v1/me", &t.admin).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sh = ship(&t, &p, "2026-03-10", &["P-26-001", "P-26-002"]).await;
    let head = t.user("head", "department_head").await;
    let r = t
        .post(
            "/api/v1/recalls",
            &head,
            json!({"name": "Платы B-7", "component_lot": "B-7"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let rec = id(&r.body);
    assert_eq!(r.body["pending"], 2);
    assert_eq!(r.body["done"], false);
    // The shipment's manager (here the admin) is reminded.
    let today = t
        .get(&format!("/api/v1/today?employee_id={mgr_id}"), &t.admin)
        .await;
    let rem: Vec<&str> = today.body["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["document_id"].as_str().unwrap())
        .collect();
    assert!(rem.contains(&id(&sh).as_str()), "{}", today.text);
    // Contacted by hand; returned by the return; repaired by the repair.
    let u1 = unit_of(&t, "P-26-001").await;
    let r = t
        .put(
            &format!("/api/v1/recalls/{rec}/units/{}", u1["id"].as_str().unwrap()),
            &t.admin,
            json!({"progress": "contacted"}),
        )
        .await;
    assert_eq!(r.body["contacted"], 1);
    // Returned (a genuine return: the unit is ours again, in stock); the
    // other one is handed in for repair (stays the client's, see custody.rs).
    let ret = created(&t, "/api/v1/returns", json!({"counterparty_id": p.customer, "base_id": id(&sh), "date": "2026-04-01", "comment": "по отзыву",
        "lines": [{"product_id": p.pump, "qty": "1", "base_line_id": sh["lines"][0]["id"], "serials": ["P-26-001"]}]})).await;
    ok(&t, &format!("/api/v1/returns/{}/post", id(&ret))).await;
    assert_eq!(unit_of(&t, "P-26-001").await["state"], "stock");
    let rp = created(
        &t,
        "/api/v1/repairs",
        json!({"serial": "P-26-002", "date": "2026-04-02"}),
    )
    .await;
    for st in ["diagnosis", "in_repair", "ready", "handed_back"] {
        t.post(
            &format!("/api/v1/repairs/{}/state", id(&rp)),
            &t.admin,
            json!({"state": st}),
        )
        .await;
    }
    let r = t
        .get(&format!("/api/v1/recalls/{rec}"), &t.admin)
        .await
        .body;
    assert_eq!(
        (
            r["pending"].as_i64(),
            r["returned"].as_i64(),
            r["repaired"].as_i64(),
            r["done"].as_bool()
        ),
        (Some(0), Some(1), Some(1), Some(true))
    );
    let csv = t
        .get(&format!("/api/v1/recalls/{rec}/customers.csv"), &t.admin)
        .await;
    assert!(
        csv.text.contains("ООО «Водоканал»")
            && csv.text.contains("+7 900 000-00-01")
            && csv.text.contains("P-26-002"),
        "{}",
        csv.text
    );
    // A manager cannot open a campaign; nothing found is refused.
    let mgr = t.user("mgr", "manager").await;
    assert_eq!(
        t.post(
            "/api/v1/recalls",
            &mgr,
            json!({"name": "X", "batch": "B2602"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.post(
            "/api/v1/recalls",
            &head,
            json!({"name": "X", "batch": "NONE"})
        )
        .await
        .body["code"],
        "nothing_found"
    );
});

both_engines!(serial_pages, |t: TestApp| async move {
    let p = plant(&t).await;
    pumps(&t, &p).await;
    ship(&t, &p, "2026-03-10", &["P-26-001"]).await;
    let cookie = crate::pages::web_login(&t, "admin", kupets_testkit::ADMIN_PASSWORD).await;
    // One exact match opens the card; a prefix lists.
    let r = t.page("/units?serial=P-26-001", &cookie).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let card_url = r.headers["location"].to_str().unwrap().to_string();
    let card = t.page(&card_url, &cookie).await;
    assert!(
        card.text.contains("ООО «Водоканал»")
            && card.text.contains("B-7")
            && card.text.contains("M-1")
            && card.text.contains("на гарантии"),
        "{}",
        card.text
    );
    let list = t.page("/units?serial=P-26", &cookie).await;
    assert!(list.text.contains("P-26-001") && list.text.contains("P-26-002"));
    // Start a repair on the page, move it, see it listed.
    let csrf = crate::pages::csrf_of(&card.text);
    let unit = card_url.rsplit('/').next().unwrap().to_string();
    let r = t
        .form(
            "/repairs",
            &cookie,
            &[
                ("csrf", &csrf),
                ("unit_id", &unit),
                ("complaint", "Течёт"),
                ("warehouse_id", &p.wh),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let rurl = r.headers["location"].to_str().unwrap().to_string();
    let r = t
        .form(
            &format!("{rurl}/state"),
            &cookie,
            &[("csrf", &csrf), ("state", "diagnosis")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = t.page(&rurl, &cookie).await;
    assert!(
        page.text.contains("Диагностика")
            && page.text.contains("Течёт")
            && page.text.contains("гарантийный ремонт")
    );
    assert!(t.page("/repairs", &cookie).await.text.contains("P-26-001"));
    // Production through the form.
    let r = t
        .form(
            "/productions",
            &cookie,
            &[
                ("csrf", &csrf),
                ("product_id", &p.pump),
                ("warehouse_id", &p.wh),
                ("serials", "F-9\nF-10"),
                ("c0_product", &p.board),
                ("c0_lot", "B-9"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let purl = r.headers["location"].to_str().unwrap().to_string();
    assert_eq!(
        t.form(&format!("{purl}/post"), &cookie, &[("csrf", &csrf)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert!(t.page(&purl, &cookie).await.text.contains("F-10"));
    // Recall search and a campaign from the page; defect statistics.
    let r = t.page("/recalls?component_lot=B-7", &cookie).await;
    assert!(r.text.contains("P-26-002") && r.text.contains("Открыть кампанию отзыва"));
    let r = t
        .form(
            "/recalls?component_lot=B-7",
            &cookie,
            &[("csrf", &csrf), ("name", "Платы B-7")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let camp = t
        .page(r.headers["location"].to_str().unwrap(), &cookie)
        .await;
    assert!(camp.text.contains("Платы B-7") && camp.text.contains("CSV"));
    let d = t
        .page("/reports/defects?from=2026-01-01&to=2026-12-31", &cookie)
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(d.text.contains("Статистика дефектов"));
});

both_engines!(
    serial_goods_received_from_a_supplier,
    |t: TestApp| async move {
        let p = plant(&t).await;
        let sup = id(&created(
            &t,
            "/api/v1/counterparties",
            json!({"name": "Дистрибьютор", "kind": "supplier"}),
        )
        .await);
        let line = |serials: Value, qty: &str| json!({"counterparty_id": sup, "warehouse_id": p.wh, "date": "2026-06-01", "lines": [{"product_id": p.pump, "qty": qty, "price": "15000", "serials": serials}]});
        // Count, repeats and existing serials are refused.
        assert_eq!(
            t.post("/api/v1/receipts", &t.admin, line(json!(["R-1"]), "2"))
                .await
                .body["errors"][0]["code"],
            "wrong_serial_count"
        );
        assert_eq!(
            t.post(
                "/api/v1/receipts",
                &t.admin,
                line(json!(["R-1", "R-1"]), "2")
            )
            .await
            .body["errors"][0]["code"],
            "duplicate_serial"
        );
        // A draft holds its serials; rewriting it frees the old ones.
        let d = created(&t, "/api/v1/receipts", line(json!(["R-1", "R-2"]), "2")).await;
        let r = t
            .put(
                &format!("/api/v1/receipts/{}", id(&d)),
                &t.admin,
                line(json!(["R-2", "R-3"]), "2"),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            t.post(
                "/api/v1/receipts",
                &t.admin,
                line(json!(["R-3", "R-4"]), "2")
            )
            .await
            .body["errors"][0]["code"],
            "duplicate_serial"
        );
        ok(&t, &format!("/api/v1/receipts/{}/post", id(&d))).await;
        let u = unit_of(&t, "R-3").await;
        assert_eq!(
            (u["state"].as_str(), u["batch"].as_str()),
            (Some("stock"), d["number"].as_str())
        );
        assert_eq!(stock(&t, &p.wh, &p.pump).await, "2");
        // The received units ship like made ones; then the receipt cannot be
        // cancelled until the shipment is.
        let sh = ship(&t, &p, "2026-06-02", &["R-2"]).await;
        let r = t
            .post(
                &format!("/api/v1/receipts/{}/cancel", id(&d)),
                &t.admin,
                json!({"reason": "ошибка"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        let r = t
            .post(
                &format!("/api/v1/shipments/{}/cancel", id(&sh)),
                &t.admin,
                json!({"reason": "ошибка"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = t
            .post(
                &format!("/api/v1/receipts/{}/cancel", id(&d)),
                &t.admin,
                json!({"reason": "ошибка"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(stock(&t, &p.wh, &p.pump).await, "0");
        let card = t
            .get(
                &format!("/api/v1/units/{}", u["id"].as_str().unwrap()),
                &t.admin,
            )
            .await;
        let kinds: Vec<&str> = card.body["moves"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["received", "cancelled"]);
        // A return to the supplier names serials that arrived on its line.
        let rc = created(&t, "/api/v1/receipts", line(json!(["R-5", "R-6"]), "2")).await;
        ok(&t, &format!("/api/v1/receipts/{}/post", id(&rc))).await;
        let back = |serials: Value| json!({"counterparty_id": sup, "base_id": id(&rc), "lines": [{"product_id": p.pump, "qty": "1", "base_line_id": rc["lines"][0]["id"], "serials": serials}]});
        let r = t
            .post(
                "/api/v1/supplier-returns",
                &t.admin,
                back(json!(["P-NOT-HERE"])),
            )
            .await;
        assert_eq!(r.body["errors"][0]["code"], "unknown_serial");
        let sr = created(&t, "/api/v1/supplier-returns", back(json!(["R-5"]))).await;
        ok(&t, &format!("/api/v1/supplier-returns/{}/post", id(&sr))).await;
        assert_eq!(unit_of(&t, "R-5").await["state"], "supplier");
        let r = t
            .post(
                &format!("/api/v1/supplier-returns/{}/cancel", id(&sr)),
                &t.admin,
                json!({"reason": "ошибка"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(unit_of(&t, "R-5").await["state"], "stock");
    }
);
