//! Pricing and discounts through the API on both engines: the worked example
//! of domain.md with every figure, each rule kind alone, date edges,
//! rounding, price-type eligibility, a return lowering the tier, refusals.

use axum::http::{Method, StatusCode};
use kupets_testkit::{both_engines, TestApp};
use serde_json::{json, Value};

async fn created(t: &TestApp, path: &str, body: Value) -> String {
    let r = t.post(path, &t.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.id()
}

async fn posted(t: &TestApp, path: &str, body: Value) -> Value {
    let r = t.post(path, &t.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    let p = t
        .send(
            Method::POST,
            &format!("{path}/{}/post", r.id()),
            &t.admin,
            None,
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    r.body
}

struct World {
    wh: String,
    tools: String,
    drills: String,
    drill: String,
    bulk: String,
    wholesale: String,
    stroy: String,
}

/// The worked example's catalogue and client, without rules or purchases.
async fn world(t: &TestApp) -> World {
    let wh = created(t, "/api/v1/warehouses", json!({"name": "Склад"})).await;
    let tools = created(
        t,
        "/api/v1/product-groups",
        json!({"name": "Электроинструмент"}),
    )
    .await;
    let drills = created(
        t,
        "/api/v1/product-groups",
        json!({"name": "Дрели", "parent_id": tools}),
    )
    .await;
    let drill = created(
        t,
        "/api/v1/products",
        json!({"sku": "DR-1", "name": "Дрель DR-1", "group_id": drills, "vat_rate": "22"}),
    )
    .await;
    // A product in no group, to build purchase history with.
    let bulk = created(
        t,
        "/api/v1/products",
        json!({"sku": "M-1", "name": "Материал", "vat_rate": "22"}),
    )
    .await;
    t.set_retail(&drill, "2026-01-01", "10000").await;
    t.set_retail(&bulk, "2025-01-01", "1000").await;
    let wholesale = created(
        t,
        "/api/v1/price-types",
        json!({"code": "wholesale", "name": "Оптовая"}),
    )
    .await;
    let r = t
        .post(
            &format!("/api/v1/products/{drill}/prices"),
            &t.admin,
            json!({"price_type_id": wholesale, "effective_date": "2026-01-01", "price": "9000"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let stroy = created(
        t,
        "/api/v1/counterparties",
        json!({"name": "ООО «Строй»", "price_type_id": wholesale}),
    )
    .await;
    let supplier = created(
        t,
        "/api/v1/counterparties",
        json!({"name": "Завод", "kind": "supplier"}),
    )
    .await;
    posted(t, "/api/v1/receipts", json!({"counterparty_id": supplier, "warehouse_id": wh, "date": "2025-01-01",
        "lines": [{"product_id": bulk, "qty": "10000", "price": "500"}, {"product_id": drill, "qty": "100", "price": "5000"}]})).await;
    World {
        wh,
        tools,
        drills,
        drill,
        bulk,
        wholesale,
        stroy,
    }
}

/// Ships `qty` of the bulk product (retail 1 000,00, no group) on `date`.
async fn ship_bulk(t: &TestApp, w: &World, date: &str, qty: &str) -> Value {
    posted(
        t,
        "/api/v1/shipments",
        json!({"counterparty_id": w.stroy, "warehouse_id": w.wh, "date": date,
               "lines": [{"product_id": w.bulk, "qty": qty}]}),
    )
    .await
}

async fn quote(t: &TestApp, token: &str, body: Value) -> kupets_testkit::Resp {
    t.post("/api/v1/price-quote", token, body).await
}

fn kinds(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["kind"].as_str().unwrap(),
                c["pct"].as_str().unwrap()
            )
        })
        .collect()
}

both_engines!(worked_example, |t: TestApp| async move {
    let w = world(&t).await;
    // Net purchases before 10.03.2026: 620 000,00, of which 150 000,00 in the
    // last 90 days (shipped before any rule exists, so at retail).
    ship_bulk(&t, &w, "2026-02-01", "150").await;
    ship_bulk(&t, &w, "2025-06-01", "470").await;
    created(
        &t,
        "/api/v1/personal-discounts",
        json!({"counterparty_id": w.stroy, "group_id": w.tools, "pct": "5"}),
    )
    .await;
    created(
        &t,
        "/api/v1/cumulative-thresholds",
        json!({"amount": "100000", "pct": "3"}),
    )
    .await;
    created(
        &t,
        "/api/v1/cumulative-thresholds",
        json!({"amount": "500000", "pct": "7"}),
    )
    .await;
    created(
        &t,
        "/api/v1/volume-rules",
        json!({"days": "90", "amount": "200000", "pct": "4"}),
    )
    .await;
    created(&t, "/api/v1/promotions", json!({"name": "Весна", "date_from": "2026-03-01", "date_to": "2026-03-31", "scope": "group", "group_id": w.drills, "pct": "6"})).await;
    let mgr = t.user("mgr", "manager").await; // limit 5 %

    let line = |special: &str| json!({"counterparty_id": w.stroy, "date": "2026-03-10", "lines": [{"product_id": w.drill, "qty": "3", "special_discount": special}]});
    let r = quote(&t, &mgr, line("2")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let q = &r.body;
    assert_eq!(q["net_purchases"], "620000.00");
    assert_eq!(q["author_limit"], "5");
    assert_eq!(q["price_type"], "wholesale");
    let l = &q["lines"][0];
    assert_eq!(l["retail_price"], "10000.00");
    assert_eq!(l["base_price"], "9000.00");
    assert_eq!(l["base_price_type"], "wholesale");
    assert_eq!(l["rule"]["kind"], "cumulative");
    assert_eq!(l["auto_pct"], "7");
    assert_eq!(l["auto_price"], "8370.00");
    assert_eq!(l["special_pct"], "2");
    assert_eq!(l["final_price"], "8202.60");
    assert_eq!(l["discount"], "1797.40");
    assert_eq!(l["discount_pct"], "17.97");
    assert_eq!(l["amount"], "24607.80");
    assert_eq!(l["vat"], "4437.47");
    assert_eq!(kinds(&l["lost"]), vec!["personal 5", "promotion 6"]);
    assert_eq!(kinds(&l["not_applicable"]), vec!["volume 4"]);
    assert!(l["not_applicable"][0]["why_ru"]
        .as_str()
        .unwrap()
        .contains("150\u{a0}000,00"));
    assert_eq!(q["total_amount"], "24607.80");
    assert_eq!(q["total_retail"], "30000.00");
    assert_eq!(q["total_discount"], "5392.20");

    // 6 % is over the manager's 5 %: refused, both numbers named.
    let r = quote(&t, &mgr, line("6")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.error_fields(), vec!["lines[0].special_discount"]);
    let msg = r.body["errors"][0]["message"].as_str().unwrap().to_string();
    assert!(msg.contains("6 %") && msg.contains("5 %"), "{msg}");

    // A sales order by the same manager is priced the same way and keeps it.
    let r = t.post("/api/v1/sales-orders", &mgr, line("2")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let ol = &r.body["lines"][0];
    assert_eq!(ol["price"], "8202.60");
    assert_eq!(ol["retail_price"], "10000.00");
    assert_eq!(ol["base_price"], "9000.00");
    assert_eq!(ol["discount"], "1797.40");
    assert_eq!(ol["discount_pct"], "17.97");
    assert_eq!(ol["rule_kind"], "cumulative");
    assert_eq!(ol["amount"], "24607.80");
    assert_eq!(r.body["amount"], "24607.80");
    let order = r.id();
    let r = t.post("/api/v1/sales-orders", &mgr, line("6")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.error_fields(), vec!["lines[0].special_discount"]);
    // A price sent by hand that differs from the rules is refused, not replaced.
    let r = t.post("/api/v1/sales-orders", &mgr, json!({"counterparty_id": w.stroy, "date": "2026-03-10", "lines": [{"product_id": w.drill, "qty": "1", "price": "100"}]})).await;
    assert_eq!(r.error_fields(), vec!["lines[0].price"]);

    // Shipping the order takes its price, whatever the rules say on the day.
    let p = t
        .send(
            Method::POST,
            &format!("/api/v1/sales-orders/{order}/post"),
            &t.admin,
            None,
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    let oline = ol["id"].as_str().unwrap();
    let sh = posted(&t, "/api/v1/shipments", json!({"counterparty_id": w.stroy, "warehouse_id": w.wh, "order_id": order, "date": "2026-05-01",
        "lines": [{"product_id": w.drill, "qty": "3", "order_line_id": oline}]})).await;
    assert_eq!(sh["lines"][0]["price"], "8202.60");
    assert_eq!(sh["lines"][0]["discount_pct"], "17.97");
    assert_eq!(sh["amount"], "24607.80");

    // The explanation is on the order page, one click away.
    let cookie = crate::pages::web_login(&t, "admin", kupets_testkit::ADMIN_PASSWORD).await;
    let page = t.page(&format!("/sales-orders/{order}"), &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("10\u{a0}000,00"),
        "retail on the page: {}",
        page.text
    );
    assert!(page.text.contains("1\u{a0}797,40") && page.text.contains("17,97 %"));
    assert!(page.text.contains("Накопительная скидка"));
    // The printout shows retail, the discount against it and the final price.
    let print = t
        .page(&format!("/sales-orders/{order}/print"), &cookie)
        .await;
    assert_eq!(print.status, StatusCode::OK);
    for s in [
        "Розничная цена",
        "10\u{a0}000,00",
        "1\u{a0}797,40",
        "17,97 %",
        "8\u{a0}202,60",
        "24\u{a0}607,80",
        "ООО «Строй»",
    ] {
        assert!(print.text.contains(s), "{s} in the printout");
    }
    assert!(
        print
            .text
            .contains("Двадцать четыре тысячи шестьсот семь рублей"),
        "amount in words"
    );

    // The try-out page: the same figures and why.
    let page = t
        .page(&format!("/pricing/try?counterparty_id={}&date=2026-03-10&l0_product={}&l0_qty=3&l0_special=2", w.stroy, w.drill), &cookie)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    // The admin's own limit is 0 %: the page says so instead of pricing.
    assert!(
        page.text.contains("больше вашего лимита 0 %"),
        "{}",
        page.text
    );
    let page = t
        .page(
            &format!(
                "/pricing/try?counterparty_id={}&date=2026-03-10&l0_product={}&l0_qty=3",
                w.stroy, w.drill
            ),
            &cookie,
        )
        .await;
    assert!(page.text.contains("8\u{a0}370,00") && page.text.contains("(выиграла)"));
    assert!(page.text.contains("620\u{a0}000,00"), "net purchases shown");
    // Rules pages: add a threshold through the form, see it listed, refuse 101 %.
    let rules = t.page("/pricing", &cookie).await;
    let csrf = crate::pages::csrf_of(&rules.text);
    let r = t
        .form(
            "/pricing/thresholds",
            &cookie,
            &[("csrf", &csrf), ("amount", "1000000"), ("pct", "9")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let rules = t.page("/pricing", &cookie).await;
    assert!(rules.text.contains("1\u{a0}000\u{a0}000,00") && rules.text.contains("9 %"));
    let r = t
        .form(
            "/pricing/thresholds",
            &cookie,
            &[("csrf", &csrf), ("amount", "1"), ("pct", "101")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("Процент от 0 до 100"));
    let r = t
        .form(
            "/pricing/promotions",
            &cookie,
            &[
                ("csrf", &csrf),
                ("name", "Осень"),
                ("date_from", "2026-09-01"),
                ("date_to", "2026-09-30"),
                ("scope", "all"),
                ("pct", "3"),
                ("price_type_ids", &w.wholesale),
                ("price_type_ids", &t.retail_type().await),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let promos = t.get("/api/v1/promotions", &t.admin).await;
    let autumn = promos
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Осень")
        .unwrap();
    assert_eq!(autumn["price_type_ids"].as_array().unwrap().len(), 2);
});

both_engines!(each_rule_alone_with_edges, |t: TestApp| async move {
    let w = world(&t).await;
    let q = |cp: Option<&str>, date: &str, product: &str| {
        let mut body = json!({"date": date, "lines": [{"product_id": product, "qty": "1"}]});
        if let Some(cp) = cp {
            body["counterparty_id"] = json!(cp);
        }
        body
    };
    let a = t.admin.clone();
    let final_price = |r: &kupets_testkit::Resp| {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["lines"][0]["final_price"]
            .as_str()
            .unwrap()
            .to_string()
    };

    // No rules: the base price (wholesale), and retail for a one-off buyer.
    assert_eq!(
        final_price(&quote(&t, &a, q(Some(&w.stroy), "2026-03-10", &w.drill)).await),
        "9000.00"
    );
    assert_eq!(
        final_price(&quote(&t, &a, q(None, "2026-03-10", &w.drill)).await),
        "10000.00"
    );
    // A price's effective date: the new retail price counts from its day.
    t.set_retail(&w.drill, "2026-04-01", "11000").await;
    assert_eq!(
        final_price(&quote(&t, &a, q(None, "2026-03-31", &w.drill)).await),
        "10000.00"
    );
    assert_eq!(
        final_price(&quote(&t, &a, q(None, "2026-04-01", &w.drill)).await),
        "11000.00"
    );

    // Personal on the parent group reaches a product of a subgroup, not others.
    let personal = created(
        &t,
        "/api/v1/personal-discounts",
        json!({"counterparty_id": w.stroy, "group_id": w.tools, "pct": "5"}),
    )
    .await;
    let r = quote(&t, &a, q(Some(&w.stroy), "2026-03-10", &w.drill)).await;
    assert_eq!(final_price(&r), "8550.00");
    assert_eq!(r.body["lines"][0]["rule"]["kind"], "personal");
    let r = quote(&t, &a, q(Some(&w.stroy), "2026-03-10", &w.bulk)).await;
    assert_eq!(final_price(&r), "1000.00");
    assert!(r.body["lines"][0]["rule"].is_null());
    let r = t
        .send(
            Method::DELETE,
            &format!("/api/v1/personal-discounts/{personal}"),
            &a,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        final_price(&quote(&t, &a, q(Some(&w.stroy), "2026-03-10", &w.drill)).await),
        "9000.00"
    );

    // Promotion: first and last day in, the days around out.
    let spring = created(&t, "/api/v1/promotions", json!({"name": "Весна", "date_from": "2026-03-01", "date_to": "2026-03-31", "scope": "group", "group_id": w.drills, "pct": "6"})).await;
    for (d, price) in [
        ("2026-02-28", "9000.00"),
        ("2026-03-01", "8460.00"),
        ("2026-03-31", "8460.00"),
        ("2026-04-01", "9000.00"),
    ] {
        assert_eq!(
            final_price(&quote(&t, &a, q(Some(&w.stroy), d, &w.drill)).await),
            price,
            "{d}"
        );
    }
    // Promotions apply to one-off retail buyers too.
    assert_eq!(
        final_price(&quote(&t, &a, q(None, "2026-03-10", &w.drill)).await),
        "9400.00"
    );
    // Only for retail: a wholesale client gets nothing; a client with no type counts as retail.
    let retail = t.retail_type().await;
    let r = t.put(&format!("/api/v1/promotions/{spring}"), &a, json!({"name": "Весна", "date_from": "2026-03-01", "date_to": "2026-03-31", "scope": "group", "group_id": w.drills, "pct": "6", "price_type_ids": [retail]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = quote(&t, &a, q(Some(&w.stroy), "2026-03-10", &w.drill)).await;
    assert_eq!(final_price(&r), "9000.00");
    assert_eq!(
        kinds(&r.body["lines"][0]["not_applicable"]),
        vec!["promotion 6"]
    );
    let plain = created(&t, "/api/v1/counterparties", json!({"name": "Частник"})).await;
    assert_eq!(
        final_price(&quote(&t, &a, q(Some(&plain), "2026-03-10", &w.drill)).await),
        "9400.00"
    );
    // Scope of one product.
    created(&t, "/api/v1/promotions", json!({"name": "Материал", "date_from": "2026-03-01", "date_to": "2026-03-01", "scope": "product", "product_id": w.bulk, "pct": "10"})).await;
    assert_eq!(
        final_price(&quote(&t, &a, q(Some(&w.stroy), "2026-03-01", &w.bulk)).await),
        "900.00"
    );
    assert_eq!(
        final_price(&quote(&t, &a, q(Some(&w.stroy), "2026-03-02", &w.bulk)).await),
        "1000.00"
    );
    let r = t
        .send(
            Method::DELETE,
            &format!("/api/v1/promotions/{spring}"),
            &a,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    // Volume: purchases from D − N days to the day before D.
    created(
        &t,
        "/api/v1/volume-rules",
        json!({"days": "30", "amount": "100000", "pct": "4"}),
    )
    .await;
    ship_bulk(&t, &w, "2026-05-01", "100").await; // 100 000,00
    for (d, price) in [
        ("2026-05-01", "9000.00"),
        ("2026-05-02", "8640.00"),
        ("2026-05-31", "8640.00"),
        ("2026-06-01", "9000.00"),
    ] {
        assert_eq!(
            final_price(&quote(&t, &a, q(Some(&w.stroy), d, &w.drill)).await),
            price,
            "{d}"
        );
    }

    // Cumulative, and a return lowering the tier.
    created(
        &t,
        "/api/v1/cumulative-thresholds",
        json!({"amount": "100000", "pct": "3"}),
    )
    .await;
    created(
        &t,
        "/api/v1/cumulative-thresholds",
        json!({"amount": "500000", "pct": "7"}),
    )
    .await;
    // Priced at 3 % (100 000,00 reached before it): 413 × 970,00 = 400 610,00.
    let sh = ship_bulk(&t, &w, "2026-07-01", "413").await;
    let r = quote(&t, &a, q(Some(&w.stroy), "2026-08-01", &w.drill)).await;
    assert_eq!(r.body["net_purchases"], "500610.00");
    assert_eq!(final_price(&r), "8370.00", "7 %");
    assert_eq!(sh["lines"][0]["price"], "970.00");
    let sh_line = sh["lines"][0]["id"].as_str().unwrap();
    let ret_body = json!({"counterparty_id": w.stroy, "base_id": sh["id"], "date": "2026-07-15",
        "lines": [{"product_id": w.bulk, "qty": "1", "base_line_id": sh_line}]});
    let ret = posted(&t, "/api/v1/returns", ret_body.clone()).await;
    let r = quote(&t, &a, q(Some(&w.stroy), "2026-08-01", &w.drill)).await;
    assert_eq!(r.body["net_purchases"], "499640.00");
    assert_eq!(final_price(&r), "8730.00", "3 % after the return");
    // Cancelling the return gives the purchases back; cancelling a shipment
    // takes it out again.
    let net = || {
        let body = q(Some(&w.stroy), "2026-08-01", &w.drill);
        let (t, a) = (&t, a.clone());
        async move {
            quote(t, &a, body).await.body["net_purchases"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let c = t
        .post(
            &format!("/api/v1/returns/{}/cancel", ret["id"].as_str().unwrap()),
            &a,
            json!({"reason": "ошибка"}),
        )
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text);
    assert_eq!(net().await, "500610.00");
    let sh2 = ship_bulk(&t, &w, "2026-07-20", "1").await;
    assert_eq!(net().await, "501540.00", "priced at 7 %: 930,00");
    let c = t
        .post(
            &format!("/api/v1/shipments/{}/cancel", sh2["id"].as_str().unwrap()),
            &a,
            json!({"reason": "ошибка"}),
        )
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text);
    assert_eq!(net().await, "500610.00");
    posted(&t, "/api/v1/returns", ret_body).await;
    assert_eq!(net().await, "499640.00");

    // A tie: personal 8 % and a promotion of 8 % — personal comes first.
    created(
        &t,
        "/api/v1/personal-discounts",
        json!({"counterparty_id": w.stroy, "pct": "8"}),
    )
    .await;
    created(
        &t,
        "/api/v1/promotions",
        json!({"name": "Все", "date_from": "2026-08-01", "date_to": "2026-08-31", "pct": "8"}),
    )
    .await;
    let r = quote(&t, &a, q(Some(&w.stroy), "2026-08-01", &w.drill)).await;
    assert_eq!(
        r.body["lines"][0]["rule"]["kind"], "personal",
        "a tie goes to personal"
    );
    assert_eq!(final_price(&r), "8280.00");
    assert_eq!(
        kinds(&r.body["lines"][0]["lost"]),
        vec!["cumulative 3", "promotion 8"]
    );
});

both_engines!(rounding_and_refusals, |t: TestApp| async move {
    let w = world(&t).await;
    let a = t.admin.clone();
    // 0,99 less 33,33 % = 0,66; less 50 % special = 0,33; 1,5 × 0,33 = 0,495 → 0,50.
    let cheap = created(
        &t,
        "/api/v1/products",
        json!({"sku": "C-1", "name": "Шайба", "vat_rate": "10"}),
    )
    .await;
    t.set_retail(&cheap, "2026-01-01", "0.99").await;
    created(&t, "/api/v1/promotions", json!({"name": "Шайбы", "date_from": "2026-01-01", "date_to": "2026-12-31", "scope": "product", "product_id": cheap, "pct": "33.33"})).await;
    let r = t.put(&format!("/api/v1/employees/{}", t.get("/api/v1/me", &a).await.body["id"].as_str().unwrap()), &a,
        json!({"login": "admin", "name": "Администратор", "role": "admin", "discount_limit": "50"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = quote(&t, &a, json!({"date": "2026-03-10", "lines": [{"product_id": cheap, "qty": "1.5", "special_discount": "50"}]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let l = &r.body["lines"][0];
    assert_eq!(
        (
            l["auto_price"].as_str(),
            l["final_price"].as_str(),
            l["amount"].as_str()
        ),
        (Some("0.66"), Some("0.33"), Some("0.50"))
    );
    assert_eq!(l["discount"], "0.66");
    assert_eq!(l["discount_pct"], "66.67");
    assert_eq!(l["vat"], "0.05");

    // Percentages outside 0–100 or with 3 decimals, for every rule kind.
    for (path, body) in [
        (
            "/api/v1/personal-discounts",
            json!({"counterparty_id": w.stroy, "pct": "101"}),
        ),
        (
            "/api/v1/cumulative-thresholds",
            json!({"amount": "1", "pct": "-1"}),
        ),
        (
            "/api/v1/volume-rules",
            json!({"days": "30", "amount": "1", "pct": "1.234"}),
        ),
        (
            "/api/v1/promotions",
            json!({"name": "X", "date_from": "2026-01-01", "date_to": "2026-01-02", "pct": "100.5"}),
        ),
    ] {
        let r = t.post(path, &a, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            r.text
        );
        assert_eq!(r.error_fields(), vec!["pct"], "{path}");
    }
    let r = t.post("/api/v1/promotions", &a, json!({"date_from": "2026-02-01", "date_to": "2026-01-01", "scope": "group", "pct": "5"})).await;
    let mut f = r.error_fields();
    f.sort();
    assert_eq!(f, vec!["date_to", "group_id", "name"]);
    let r = t
        .post(
            "/api/v1/volume-rules",
            &a,
            json!({"days": "0", "amount": "-5", "pct": "5"}),
        )
        .await;
    let mut f = r.error_fields();
    f.sort();
    assert_eq!(f, vec!["amount", "days"]);

    // No retail price: refused on the quote and on an order.
    let bare = created(
        &t,
        "/api/v1/products",
        json!({"sku": "N-1", "name": "Без цены"}),
    )
    .await;
    for path in ["/api/v1/price-quote", "/api/v1/sales-orders"] {
        let r = t.post(path, &a, json!({"counterparty_id": w.stroy, "date": "2026-03-10", "lines": [{"product_id": w.drill, "qty": "1"}, {"product_id": bare, "qty": "1"}]})).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            r.text
        );
        assert_eq!(r.error_fields(), vec!["lines[1].product_id"], "{path}");
        assert_eq!(r.body["errors"][0]["code"], "no_retail_price");
    }
    // A retail price dated after the document does not count either.
    let r = quote(
        &t,
        &a,
        json!({"date": "2025-12-31", "lines": [{"product_id": w.drill, "qty": "1"}]}),
    )
    .await;
    assert_eq!(r.body["errors"][0]["code"], "no_retail_price", "{}", r.text);
    // Special discount out of range, bad quantity, unknown product and client.
    let r = quote(&t, &a, json!({"counterparty_id": "999999", "lines": [{"product_id": w.drill, "qty": "0", "special_discount": "120"}, {"product_id": "999999", "qty": "1"}]})).await;
    let mut f = r.error_fields();
    f.sort();
    assert_eq!(
        f,
        vec![
            "counterparty_id",
            "lines[0].qty",
            "lines[0].special_discount"
        ]
    );
    let r = quote(
        &t,
        &a,
        json!({"lines": [{"product_id": "999999", "qty": "1"}]}),
    )
    .await;
    assert_eq!(r.error_fields(), vec!["lines[0].product_id"]);

    // Only admins and heads set rules; anyone may ask for a quote.
    let mgr = t.user("mgr", "manager").await;
    let r = t
        .post(
            "/api/v1/cumulative-thresholds",
            &mgr,
            json!({"amount": "1", "pct": "1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = quote(&t, &mgr, json!({"counterparty_id": w.stroy, "date": "2026-03-10", "lines": [{"product_id": w.drill, "qty": "1"}]})).await;
    assert_eq!(r.status, StatusCode::OK);
    // Nothing was saved by any quote.
    let n = t.get("/api/v1/sales-orders", &a).await;
    assert_eq!(n.body["items"].as_array().unwrap().len(), 0);
});
