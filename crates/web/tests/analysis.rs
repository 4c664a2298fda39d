//! Cost of goods and sales analysis on both engines: the moving average to
//! the kopeck, production cost, returns and cancellations restoring cost,
//! margin with a discount, the sales report by each dimension and two at
//! once, ABC with a tie and changed thresholds, quiet clients, rights.

use axum::http::{Method, StatusCode};
use kupets_testkit::{both_engines, TestApp};
use serde_json::{json, Value};

async fn created(t: &TestApp, path: &str, body: Value) -> Value {
    let r = t.post(path, &t.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body
}

async fn post(t: &TestApp, path: &str) -> Value {
    let r = t.send(Method::POST, path, &t.admin, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.body
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn get(t: &TestApp, path: &str) -> Value {
    let r = t.get(path, &t.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.body
}

async fn cost_of(t: &TestApp, product: &str) -> (String, String, String) {
    let b = get(
        t,
        &format!("/api/v1/reports/product-costs?product_id={product}"),
    )
    .await;
    let c = &b[0];
    (
        c["qty"].as_str().unwrap().to_string(),
        c["value"].as_str().unwrap().to_string(),
        c["unit_cost"].as_str().unwrap().to_string(),
    )
}

async fn receive(t: &TestApp, wh: &str, supplier: &str, date: &str, lines: Value) {
    let rc = created(
        t,
        "/api/v1/receipts",
        json!({"counterparty_id": supplier, "warehouse_id": wh, "date": date, "lines": lines}),
    )
    .await;
    post(t, &format!("/api/v1/receipts/{}/post", id(&rc))).await;
}

async fn ship(t: &TestApp, wh: &str, cp: &str, date: &str, lines: Value) -> Value {
    let sh = created(
        t,
        "/api/v1/shipments",
        json!({"counterparty_id": cp, "warehouse_id": wh, "date": date, "lines": lines}),
    )
    .await;
    post(t, &format!("/api/v1/shipments/{}/post", id(&sh))).await;
    sh
}

both_engines!(cost_of_goods_and_margin, |t: TestApp| async move {
    let wh = id(&created(&t, "/api/v1/warehouses", json!({"name": "Склад"})).await);
    let drill = id(&created(
        &t,
        "/api/v1/products",
        json!({"sku": "DR", "name": "Дрель", "vat_rate": "22"}),
    )
    .await);
    t.set_retail(&drill, "2026-01-01", "200").await;
    let supplier = id(&created(
        &t,
        "/api/v1/counterparties",
        json!({"name": "Завод", "kind": "supplier"}),
    )
    .await);
    let client = id(&created(&t, "/api/v1/counterparties", json!({"name": "Клиент"})).await);
    // 10 × 122,00 (100,00 net of 22 % VAT), then 5 × 134,20 (110,00 net):
    // 1 550,00 / 15 = 103,333… → 103,33.
    receive(
        &t,
        &wh,
        &supplier,
        "2026-02-01",
        json!([{"product_id": drill, "qty": "10", "price": "122"}]),
    )
    .await;
    assert_eq!(
        cost_of(&t, &drill).await,
        ("10".into(), "1000.00".into(), "100.00".into())
    );
    receive(
        &t,
        &wh,
        &supplier,
        "2026-02-02",
        json!([{"product_id": drill, "qty": "5", "price": "134.20"}]),
    )
    .await;
    assert_eq!(
        cost_of(&t, &drill).await,
        ("15".into(), "1550.00".into(), "103.33".into())
    );

    // A 10 % promotion: 3 × 180,00 = 540,00, VAT 97,38, net 442,62; cost
    // 3 × 103,33 = 309,99; margin 132,63 = 29,96 %.
    created(
        &t,
        "/api/v1/promotions",
        json!({"name": "Март", "date_from": "2026-03-01", "date_to": "2026-03-31", "pct": "10"}),
    )
    .await;
    let sh = ship(
        &t,
        &wh,
        &client,
        "2026-03-10",
        json!([{"product_id": drill, "qty": "3"}]),
    )
    .await;
    assert_eq!(
        cost_of(&t, &drill).await,
        ("12".into(), "1240.01".into(), "103.33".into())
    );
    let q = "/api/v1/reports/sales?from=2026-03-01&to=2026-03-31&rows=product";
    let r = get(&t, q).await;
    assert_eq!(r["total"]["revenue"], "540.00");
    assert_eq!(r["total"]["revenue_net"], "442.62");
    assert_eq!(r["total"]["cost"], "309.99");
    assert_eq!(r["total"]["margin"], "132.63");
    assert_eq!(r["total"]["margin_pct"], "29.96");

    // A return of one unit comes back at the cost it left with.
    let ret = created(
        &t,
        "/api/v1/returns",
        json!({"counterparty_id": client, "base_id": id(&sh), "date": "2026-03-12",
        "lines": [{"product_id": drill, "qty": "1", "base_line_id": sh["lines"][0]["id"]}]}),
    )
    .await;
    post(&t, &format!("/api/v1/returns/{}/post", id(&ret))).await;
    assert_eq!(
        cost_of(&t, &drill).await,
        ("13".into(), "1343.34".into(), "103.33".into())
    );
    let r = get(&t, q).await;
    assert_eq!(r["total"]["revenue"], "360.00");
    assert_eq!(r["total"]["cost"], "206.66");
    assert_eq!(r["total"]["qty"], "2");
    // Cancelling the return, then the shipment, restores the value exactly.
    let r = t
        .post(
            &format!("/api/v1/returns/{}/cancel", id(&ret)),
            &t.admin,
            json!({"reason": "ошибка"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        cost_of(&t, &drill).await,
        ("12".into(), "1240.01".into(), "103.33".into())
    );
    assert_eq!(get(&t, q).await["total"]["cost"], "309.99");
    let r = t
        .post(
            &format!("/api/v1/shipments/{}/cancel", id(&sh)),
            &t.admin,
            json!({"reason": "ошибка"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        cost_of(&t, &drill).await,
        ("15".into(), "1550.00".into(), "103.33".into())
    );
    assert_eq!(get(&t, q).await["total"]["revenue"], "0.00");

    // Production: 2 pumps from 2 boards at 500,00 plus 300,00 of work.
    let pump = id(&created(
        &t,
        "/api/v1/products",
        json!({"sku": "PUMP", "name": "Насос", "serial_tracked": true}),
    )
    .await);
    let board = id(&created(
        &t,
        "/api/v1/products",
        json!({"sku": "BOARD", "name": "Плата", "vat_rate": "none"}),
    )
    .await);
    receive(
        &t,
        &wh,
        &supplier,
        "2026-02-01",
        json!([{"product_id": board, "qty": "10", "price": "500"}]),
    )
    .await;
    let d = created(
        &t,
        "/api/v1/productions",
        json!({"product_id": pump, "warehouse_id": wh, "date": "2026-02-15",
        "count": "2", "serial_pattern": "P-###", "work_cost": "300",
        "components_per_unit": [{"product_id": board, "lot": "L-1", "qty": "1"}]}),
    )
    .await;
    post(&t, &format!("/api/v1/productions/{}/post", id(&d))).await;
    assert_eq!(
        cost_of(&t, &pump).await,
        ("2".into(), "1300.00".into(), "650.00".into())
    );
    assert_eq!(
        cost_of(&t, &board).await,
        ("8".into(), "4000.00".into(), "500.00".into())
    );
    let bad = t
        .post("/api/v1/productions", &t.admin, json!({"product_id": pump, "warehouse_id": wh, "count": "1", "serial_pattern": "P-###", "work_cost": "-1"}))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(bad.error_fields().contains(&"work_cost".to_string()));
});

both_engines!(
    sales_report_dimensions_and_rights,
    |t: TestApp| async move {
        let wh = id(&created(&t, "/api/v1/warehouses", json!({"name": "Склад"})).await);
        let tools = id(&created(&t, "/api/v1/product-groups", json!({"name": "Инструмент"})).await);
        let drills = id(&created(
            &t,
            "/api/v1/product-groups",
            json!({"name": "Дрели", "parent_id": tools}),
        )
        .await);
        let glue = id(&created(&t, "/api/v1/product-groups", json!({"name": "Химия"})).await);
        let a = id(&created(
            &t,
            "/api/v1/products",
            json!({"sku": "A", "name": "Дрель", "vat_rate": "none", "group_id": drills}),
        )
        .await);
        let b = id(&created(
            &t,
            "/api/v1/products",
            json!({"sku": "B", "name": "Клей", "vat_rate": "none", "group_id": glue}),
        )
        .await);
        t.set_retail(&a, "2026-01-01", "100").await;
        t.set_retail(&b, "2026-01-01", "10").await;
        let supplier = id(&created(
            &t,
            "/api/v1/counterparties",
            json!({"name": "Завод", "kind": "supplier"}),
        )
        .await);
        receive(&t, &wh, &supplier, "2026-01-05", json!([{"product_id": a, "qty": "100", "price": "60"}, {"product_id": b, "qty": "100", "price": "4"}])).await;
        let mtok = t.user("m1", "manager").await;
        let m1 = t.get("/api/v1/me", &mtok).await.body["id"]
            .as_str()
            .unwrap()
            .to_string();
        let x = id(&created(
            &t,
            "/api/v1/counterparties",
            json!({"name": "Икс", "manager_id": m1}),
        )
        .await);
        let y = id(&created(&t, "/api/v1/counterparties", json!({"name": "Игрек"})).await);
        // X: January 2 × A (200,00), February 5 × B (50,00); Y: February 1 × A (100,00).
        ship(
            &t,
            &wh,
            &x,
            "2026-01-20",
            json!([{"product_id": a, "qty": "2"}]),
        )
        .await;
        ship(
            &t,
            &wh,
            &x,
            "2026-02-03",
            json!([{"product_id": b, "qty": "5"}]),
        )
        .await;
        ship(
            &t,
            &wh,
            &y,
            "2026-02-10",
            json!([{"product_id": a, "qty": "1"}]),
        )
        .await;
        let base = "/api/v1/reports/sales?from=2026-01-01&to=2026-02-28";
        let rows = |r: &Value| -> Vec<(String, String, String)> {
            r["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| {
                    (
                        x["label"].as_str().unwrap().to_string(),
                        x["total"]["revenue"].as_str().unwrap().to_string(),
                        x["total"]["cost"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        };
        let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        let r = get(&t, &format!("{base}&rows=counterparty")).await;
        assert_eq!(
            rows(&r),
            vec![s("Икс", "250.00", "140.00"), s("Игрек", "100.00", "60.00")]
        );
        assert_eq!(r["total"]["margin"], "150.00");
        let r = get(&t, &format!("{base}&rows=product")).await;
        assert_eq!(
            rows(&r),
            vec![s("Дрель", "300.00", "180.00"), s("Клей", "50.00", "20.00")]
        );
        let r = get(&t, &format!("{base}&rows=group")).await;
        assert_eq!(
            rows(&r),
            vec![s("Дрели", "300.00", "180.00"), s("Химия", "50.00", "20.00")]
        );
        // A group filter takes its subtree.
        let r = get(&t, &format!("{base}&rows=product&group_id={tools}")).await;
        assert_eq!(rows(&r), vec![s("Дрель", "300.00", "180.00")]);
        let r = get(&t, &format!("{base}&rows=month")).await;
        assert_eq!(
            rows(&r),
            vec![
                s("2026-01", "200.00", "120.00"),
                s("2026-02", "150.00", "80.00")
            ]
        );
        let r = get(&t, &format!("{base}&rows=manager")).await;
        assert_eq!(r["rows"].as_array().unwrap().len(), 2, "{r}");
        assert_eq!(r["total"]["revenue"], "350.00");
        let r = get(&t, &format!("{base}&rows=department")).await;
        assert_eq!(r["total"]["revenue"], "350.00");
        // Clients × months.
        let r = get(&t, &format!("{base}&rows=counterparty&columns=month")).await;
        assert_eq!(r["columns"].as_array().unwrap().len(), 2);
        let xrow = &r["rows"][0];
        assert_eq!(xrow["label"], "Икс");
        let cell = |row: &Value, m: &str| {
            row["cells"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["column"] == m)
                .map(|c| c["revenue"].as_str().unwrap().to_string())
        };
        assert_eq!(cell(xrow, "2026-01").as_deref(), Some("200.00"));
        assert_eq!(cell(xrow, "2026-02").as_deref(), Some("50.00"));
        assert_eq!(cell(&r["rows"][1], "2026-01"), None);
        // Drill-down: X in February is one shipment.
        let docs = get(&t, &format!("/api/v1/reports/sales/documents?from=2026-01-01&to=2026-02-28&counterparty_id={x}&month=2026-02")).await;
        assert_eq!(docs.as_array().unwrap().len(), 1, "{docs}");
        assert_eq!(docs[0]["kind"], "shipment");
        assert_eq!(docs[0]["revenue"], "50.00");
        // XLSX.
        let r = t
            .get(&format!("{base}&rows=counterparty&format=xlsx"), &t.admin)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        // Bad input names the field.
        let r = t.get(&format!("{base}&rows=colour"), &t.admin).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.error_fields().contains(&"rows".to_string()));

        // Rights: a manager sees revenue of their own clients, no cost.
        let r = t.get(&format!("{base}&rows=counterparty"), &mtok).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(rows(&r.body), vec![s("Икс", "250.00", "")]);
        assert!(r.body["total"].get("cost").is_none() && r.body["total"].get("margin").is_none());
        assert!(!r.text.contains("140.00"));
        assert_eq!(
            t.get("/api/v1/reports/abc?by=margin", &mtok).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            t.get("/api/v1/reports/owner", &mtok).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            t.get("/api/v1/reports/product-costs", &mtok).await.status,
            StatusCode::FORBIDDEN
        );
        let sk = t.user("sk", "storekeeper").await;
        assert_eq!(t.get(base, &sk).await.status, StatusCode::FORBIDDEN);
        let acc = t.user("acc", "accountant").await;
        let r = t.get(&format!("{base}&rows=counterparty"), &acc).await;
        assert_eq!(r.body["total"]["cost"], "200.00");
        // The owner's page answers for the head's roles.
        let o = get(&t, "/api/v1/reports/owner?date=2026-02-20").await;
        assert_eq!(o["this_month"]["revenue"], "150.00");
        assert_eq!(o["this_month"]["shipments"], 2);
        assert_eq!(o["last_month"]["revenue"], "200.00");
        assert_eq!(o["top_clients"][0]["name"], "Игрек");
        assert_eq!(o["receivables"], "350.00");

        // The pages, Russian by default and English by the cookie.
        let cookie = crate::pages::web_login(&t, "admin", kupets_testkit::ADMIN_PASSWORD).await;
        let r = t
            .page(
                "/reports/sales?from=2026-01-01&to=2026-02-28&rows=counterparty&columns=month",
                &cookie,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("Продажи") && r.text.contains("Икс") && r.text.contains("<svg"));
        assert!(
            r.text
                .contains(&format!("counterparty_id={x}&amp;month=2026-02")),
            "drill-down link"
        );
        let r = t
            .page(
                &format!(
                    "/reports/sales/documents?from=2026-01-01&to=2026-02-28&counterparty_id={x}"
                ),
                &cookie,
            )
            .await;
        assert_eq!(r.text.matches("/shipments/").count(), 2, "{}", r.text);
        let en = format!("{cookie}; lang=en");
        let r = t
            .page("/reports/abc?from=2026-01-01&to=2026-02-28", &en)
            .await;
        assert!(
            r.text.contains("ABC analysis") && r.text.contains("Pareto chart"),
            "{}",
            r.text
        );
        let r = t.page("/reports/owner?date=2026-02-20", &cookie).await;
        assert!(r.text.contains("Страница владельца") && r.text.contains("Игрек"));
        let mcookie = crate::pages::web_login(&t, "m1", "password-123").await;
        let r = t
            .page("/reports/sales?from=2026-01-01&to=2026-02-28", &mcookie)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.text.contains("Икс")
                && !r.text.contains("Игрек")
                && !r.text.contains("Себестоимость")
        );
        assert_eq!(
            t.page("/reports/owner", &mcookie).await.status,
            StatusCode::FORBIDDEN
        );
    }
);

both_engines!(abc_tie_and_thresholds, |t: TestApp| async move {
    let wh = id(&created(&t, "/api/v1/warehouses", json!({"name": "Склад"})).await);
    let p = id(&created(
        &t,
        "/api/v1/products",
        json!({"sku": "P", "name": "Товар", "vat_rate": "none"}),
    )
    .await);
    t.set_retail(&p, "2026-01-01", "100").await;
    let supplier = id(&created(
        &t,
        "/api/v1/counterparties",
        json!({"name": "Завод", "kind": "supplier"}),
    )
    .await);
    receive(
        &t,
        &wh,
        &supplier,
        "2026-01-05",
        json!([{"product_id": p, "qty": "1000", "price": "50"}]),
    )
    .await;
    for (name, qty) in [("К1", "40"), ("К2", "30"), ("К3", "15"), ("К4", "15")] {
        let c = id(&created(&t, "/api/v1/counterparties", json!({"name": name})).await);
        ship(
            &t,
            &wh,
            &c,
            "2026-03-01",
            json!([{"product_id": p, "qty": qty}]),
        )
        .await;
    }
    let classes = |r: &Value| -> Vec<String> {
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                format!(
                    "{}:{}",
                    i["name"].as_str().unwrap(),
                    i["class"].as_str().unwrap()
                )
            })
            .collect()
    };
    let q = "/api/v1/reports/abc?from=2026-01-01&to=2026-12-31";
    let r = get(&t, q).await;
    // 40 + 30 = 70 % before К3, so К3 is A; К4 ties with it and shares A.
    assert_eq!(classes(&r), ["К1:A", "К2:A", "К3:A", "К4:A"]);
    assert_eq!(r["items"][1]["cumulative_pct"], "70");
    let set = |k: &'static str, v: &'static str| {
        let t = &t;
        async move {
            let r = t
                .put(
                    &format!("/api/v1/settings/{k}"),
                    &t.admin,
                    json!({"value": v}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{k}: {}", r.text);
        }
    };
    set("abc_a_pct", "50").await;
    assert_eq!(classes(&get(&t, q).await), ["К1:A", "К2:A", "К3:B", "К4:B"]);
    set("abc_b_pct", "70").await;
    assert_eq!(classes(&get(&t, q).await), ["К1:A", "К2:A", "К3:C", "К4:C"]);
    // A above B is refused.
    let r = t
        .put(
            "/api/v1/settings/abc_a_pct",
            &t.admin,
            json!({"value": "90"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // The counterparty list shows and filters by class (12 months to today).
    let names = |v: &Value| -> Vec<String> {
        let mut n: Vec<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                format!(
                    "{}:{}",
                    i["name"].as_str().unwrap(),
                    i["abc_class"].as_str().unwrap()
                )
            })
            .collect();
        n.sort();
        n
    };
    let r = get(&t, "/api/v1/counterparties?abc_class=C").await;
    assert_eq!(names(&r), ["К3:C", "К4:C"]);
    let r = get(&t, "/api/v1/counterparties?abc_class=A").await;
    assert_eq!(names(&r), ["К1:A", "К2:A"]);
    let k1 = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "К1")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        get(&t, &format!("/api/v1/counterparties/{k1}")).await["abc_class"],
        "A"
    );
    let cookie = crate::pages::web_login(&t, "admin", kupets_testkit::ADMIN_PASSWORD).await;
    let r = t.page("/counterparties?abc_class=C", &cookie).await;
    assert!(
        r.text.contains("К3") && !r.text.contains("К1"),
        "{}",
        r.text
    );
    let r = t.page(&format!("/counterparties/{k1}"), &cookie).await;
    assert!(r.text.contains("Класс ABC"), "{}", r.text);
    // By margin (cost 50,00 a unit): the same order.
    let r = get(&t, &format!("{q}&by=margin&subject=products")).await;
    assert_eq!(r["items"][0]["value"], "5000.00");
});

both_engines!(quiet_regular_clients, |t: TestApp| async move {
    let today = chrono::Local::now().date_naive();
    let day = |n: i64| (today - chrono::Duration::days(n)).to_string();
    let wh = id(&created(&t, "/api/v1/warehouses", json!({"name": "Склад"})).await);
    let p = id(&created(
        &t,
        "/api/v1/products",
        json!({"sku": "P", "name": "Товар", "vat_rate": "none"}),
    )
    .await);
    t.set_retail(&p, &day(400), "100").await;
    let supplier = id(&created(
        &t,
        "/api/v1/counterparties",
        json!({"name": "Завод", "kind": "supplier"}),
    )
    .await);
    receive(
        &t,
        &wh,
        &supplier,
        &day(200),
        json!([{"product_id": p, "qty": "1000", "price": "50"}]),
    )
    .await;
    let mtok = t.user("m1", "manager").await;
    let m1 = t.get("/api/v1/me", &mtok).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let quiet = id(&created(
        &t,
        "/api/v1/counterparties",
        json!({"name": "Замолчал", "manager_id": m1}),
    )
    .await);
    let regular = id(&created(
        &t,
        "/api/v1/counterparties",
        json!({"name": "Покупает", "manager_id": m1}),
    )
    .await);
    // Every 10 days; one stopped 80 days ago, the other bought 10 days ago.
    for n in [100, 90, 80] {
        ship(
            &t,
            &wh,
            &quiet,
            &day(n),
            json!([{"product_id": p, "qty": "1"}]),
        )
        .await;
    }
    for n in [30, 20, 10] {
        ship(
            &t,
            &wh,
            &regular,
            &day(n),
            json!([{"product_id": p, "qty": "1"}]),
        )
        .await;
    }
    let r = t.get("/api/v1/reports/quiet-clients", &mtok).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = r.body.as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", r.text);
    assert_eq!(list[0]["name"], "Замолчал");
    assert_eq!(list[0]["interval_days"], 10);
    assert_eq!(list[0]["days_since"], 80);
    assert_eq!(list[0]["revenue_12m"], "300.00");
    // The admin asks for the manager's list.
    let r = get(
        &t,
        &format!("/api/v1/reports/quiet-clients?employee_id={m1}"),
    )
    .await;
    assert_eq!(r.as_array().unwrap().len(), 1);
    // The manager's Today shows them.
    let mcookie = crate::pages::web_login(&t, "m1", "password-123").await;
    let r = t.page("/today", &mcookie).await;
    assert!(
        r.text.contains("Постоянные клиенты замолчали") && r.text.contains("Замолчал"),
        "{}",
        r.text
    );
    assert!(!r.text.contains("Покупает"));
    // A call takes them off the list.
    created(
        &t,
        "/api/v1/interactions",
        json!({"counterparty_id": quiet, "kind": "call", "subject": "Как дела?"}),
    )
    .await;
    let r = t.get("/api/v1/reports/quiet-clients", &mtok).await;
    assert_eq!(r.body.as_array().unwrap().len(), 0, "{}", r.text);
});
