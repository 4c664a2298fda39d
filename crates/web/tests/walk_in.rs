//! One-off buyers on both engines: the built-in «Розничный покупатель» gets
//! retail prices and promotions, no cumulative or volume discount, no credit.

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

both_engines!(walk_in_sale_with_a_promotion, |t: TestApp| async move {
    let r = t.post("/api/v1/walk-in-buyer", &t.admin, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let walk_in = r.body.clone();
    assert_eq!(walk_in["name"], "Розничный покупатель");
    // Created once.
    let again = t.post("/api/v1/walk-in-buyer", &t.admin, json!({})).await;
    assert_eq!(again.body["id"], walk_in["id"]);
    assert_eq!(walk_in["credit_limit"], "0.00", "{walk_in}");
    let buyer = id(&walk_in);
    let wh = id(&created(&t, "/api/v1/warehouses", json!({"name": "Магазин"})).await);
    let kettle = id(&created(
        &t,
        "/api/v1/products",
        json!({"sku": "K-1", "name": "Чайник", "vat_rate": "22"}),
    )
    .await);
    t.set_retail(&kettle, "2026-01-01", "2499.90").await;
    let supplier = id(&created(
        &t,
        "/api/v1/counterparties",
        json!({"name": "Завод", "kind": "supplier"}),
    )
    .await);
    let rc = created(
        &t,
        "/api/v1/receipts",
        json!({"counterparty_id": supplier, "warehouse_id": wh, "date": "2026-01-10",
        "lines": [{"product_id": kettle, "qty": "10", "price": "1500"}]}),
    )
    .await;
    let p = t
        .send(
            Method::POST,
            &format!("/api/v1/receipts/{}/post", id(&rc)),
            &t.admin,
            None,
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    // A cumulative threshold anyone reaches, and a 15 % promotion.
    created(
        &t,
        "/api/v1/cumulative-thresholds",
        json!({"amount": "0", "pct": "20"}),
    )
    .await;
    created(&t, "/api/v1/promotions", json!({"name": "Чайники", "date_from": "2026-03-01", "date_to": "2026-03-31", "scope": "product", "product_id": kettle, "pct": "15"})).await;
    // 2 499,90 − 15 % = 2 124,915 → 2 124,92; × 2 = 4 249,84; VAT 22/122 = 766,36.
    let q = t
        .post(
            "/api/v1/price-quote",
            &t.admin,
            json!({"counterparty_id": buyer, "date": "2026-03-10", "lines": [{"product_id": kettle, "qty": "2"}]}),
        )
        .await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.text);
    let l = &q.body["lines"][0];
    assert_eq!(l["final_price"], "2124.92");
    assert_eq!(l["amount"], "4249.84");
    assert_eq!(l["vat"], "766.36");
    assert_eq!(l["rule"]["kind"], "promotion");
    assert!(
        l["lost"].as_array().unwrap().is_empty()
            && l["not_applicable"].as_array().unwrap().is_empty(),
        "no cumulative candidate: {l}"
    );
    assert!(q.body["cumulative_scale"].is_null());
    assert_eq!(q.body["price_type"], "retail");
    // No credit: the sale ships once paid (a manager, who may not override).
    let mgr = t.user("mgr", "manager").await;
    let sh = created(
        &t,
        "/api/v1/shipments",
        json!({"counterparty_id": buyer, "warehouse_id": wh, "date": "2026-03-10",
        "lines": [{"product_id": kettle, "qty": "2"}]}),
    )
    .await;
    assert_eq!(sh["amount"], "4249.84");
    let post = |sh: String| {
        let (t, mgr) = (&t, &mgr);
        async move {
            t.send(
                Method::POST,
                &format!("/api/v1/shipments/{sh}/post"),
                mgr,
                None,
                &[],
            )
            .await
        }
    };
    let r = post(id(&sh)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.body["code"], "credit_limit");
    let p = t
        .post(
            "/api/v1/payments",
            &t.admin,
            json!({"counterparty_id": buyer, "amount": "4249.84", "date": "2026-03-10"}),
        )
        .await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.text);
    let p = t
        .send(
            Method::POST,
            &format!("/api/v1/payments/{}/post", id(&p.body)),
            &t.admin,
            None,
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    let r = post(id(&sh)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let bal = t
        .get(&format!("/api/v1/counterparties/{buyer}"), &t.admin)
        .await;
    assert_eq!(bal.body["balance"], "0.00");
    // Its purchases never build a cumulative or volume discount.
    let r = t
        .put(
            &format!("/api/v1/counterparties/{buyer}/discount-scales"),
            &t.admin,
            json!({"cumulative_scale_id": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.body["code"], "walk_in_buyer");
});

async fn send_post(t: &TestApp, path: &str) -> kupets_testkit::Resp {
    t.send(Method::POST, path, &t.admin, None, &[]).await
}

both_engines!(
    walk_in_buyer_name_and_phone_for_warranty,
    |t: TestApp| async move {
        let cookie = crate::pages::web_login(&t, "admin", kupets_testkit::ADMIN_PASSWORD).await;
        // The shipment form opens a sale to the built-in buyer (created on first use).
        let form = t.page("/shipments/new", &cookie).await;
        assert!(
            form.text.contains("Продажа розничному покупателю"),
            "{}",
            form.text
        );
        let csrf = crate::pages::csrf_of(&form.text);
        let r = t
            .form("/walk-in-sale/shipments", &cookie, &[("csrf", &csrf)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let buyer = t
            .post("/api/v1/walk-in-buyer", &t.admin, json!({}))
            .await
            .body;
        let buyer = id(&buyer);
        assert_eq!(
            r.headers["location"],
            format!("/shipments/new?counterparty_id={buyer}").as_str()
        );
        let wh = id(&created(&t, "/api/v1/warehouses", json!({"name": "Магазин"})).await);
        let saw = id(&created(
            &t,
            "/api/v1/products",
            json!({"sku": "SAW", "name": "Пила", "serial_tracked": true, "warranty_months": "12"}),
        )
        .await);
        t.set_retail(&saw, "2026-01-01", "7000").await;
        let d = created(&t, "/api/v1/productions", json!({"product_id": saw, "warehouse_id": wh, "date": "2026-01-05", "units": [{"serial": "SW-1"}]})).await;
        assert_eq!(
            send_post(&t, &format!("/api/v1/productions/{}/post", id(&d)))
                .await
                .status,
            StatusCode::OK
        );
        let sale = json!({"counterparty_id": buyer, "warehouse_id": wh, "date": "2026-03-10",
        "buyer_name": "Петров Пётр", "buyer_phone": "+7 (912) 345-67-89",
        "lines": [{"product_id": saw, "qty": "1", "serials": ["SW-1"]}]});
        let sh = created(&t, "/api/v1/shipments", sale.clone()).await;
        assert_eq!(
            (&sh["buyer_name"], &sh["buyer_phone"]),
            (&json!("Петров Пётр"), &json!("+7 (912) 345-67-89"))
        );
        let p = created(
            &t,
            "/api/v1/payments",
            json!({"counterparty_id": buyer, "amount": "7000", "date": "2026-03-10"}),
        )
        .await;
        assert_eq!(
            send_post(&t, &format!("/api/v1/payments/{}/post", id(&p)))
                .await
                .status,
            StatusCode::OK
        );
        let r = send_post(&t, &format!("/api/v1/shipments/{}/post", id(&sh))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        // On the document's page, its УПД and the warranty card.
        let page = t.page(&format!("/shipments/{}", id(&sh)), &cookie).await;
        assert!(
            page.text.contains("Петров Пётр") && page.text.contains("+7 (912) 345-67-89"),
            "{}",
            page.text
        );
        for paper in ["warranty", "upd", "torg12"] {
            let r = t
                .get(
                    &format!("/api/v1/documents/{}/papers/{paper}?format=html", id(&sh)),
                    &t.admin,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{paper}: {}", r.text);
            assert!(
                r.text
                    .contains("Розничный покупатель — Петров Пётр, тел. +7 (912) 345-67-89"),
                "{paper}: {}",
                r.text
            );
        }
        // Refusals: another client's documents, purchase documents, a bad phone.
        let client = id(&created(&t, "/api/v1/counterparties", json!({"name": "ООО «Опт»"})).await);
        let mut other = sale.clone();
        other["counterparty_id"] = json!(client);
        let r = t.post("/api/v1/shipments", &t.admin, other).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(
            r.error_fields().contains(&"buyer_name".to_string()),
            "{}",
            r.text
        );
        let r = t.post("/api/v1/receipts", &t.admin, json!({"counterparty_id": buyer, "warehouse_id": wh, "buyer_phone": "+7 900 000-00-00",
        "lines": [{"product_id": saw, "qty": "1", "price": "1", "serials": ["SW-9"]}]})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(
            r.error_fields().contains(&"buyer_phone".to_string()),
            "{}",
            r.text
        );
        let mut bad = sale.clone();
        bad["buyer_phone"] = json!("звоните вечером");
        bad["lines"] = json!([{"product_id": saw, "qty": "1"}]);
        let r = t.post("/api/v1/sales-orders", &t.admin, bad).await;
        assert_eq!(r.error_fields(), ["buyer_phone"], "{}", r.text);
        // A plain walk-in sale needs neither.
        let mut plain = sale.clone();
        plain["buyer_name"] = json!("");
        plain["buyer_phone"] = Value::Null;
        plain["lines"] = json!([{"product_id": saw, "qty": "1"}]);
        let r = t.post("/api/v1/sales-orders", &t.admin, plain).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["buyer_name"], "");
    }
);
