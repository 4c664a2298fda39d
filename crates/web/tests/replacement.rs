//! Fair replacements on both engines: at the returned line's price the pair
//! nets to zero; free of charge with the cost kept; at the current price with
//! a reason; who may choose; every refusal; the page and the print.

use axum::http::{Method, StatusCode};
use kupets_testkit::{both_engines, TestApp};
use serde_json::{json, Value};

async fn created(t: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let r = t.post(path, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body
}

async fn post(t: &TestApp, path: &str) {
    let r = t.send(Method::POST, path, &t.admin, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
}

async fn balance(t: &TestApp, cp: &str) -> String {
    t.get(&format!("/api/v1/counterparties/{cp}"), &t.admin)
        .await
        .body["balance"]
        .as_str()
        .unwrap()
        .to_string()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

both_engines!(replacements_priced_fairly, |t: TestApp| async move {
    let admin = t.admin.clone();
    let wh = id(&created(&t, &admin, "/api/v1/warehouses", json!({"name": "Склад"})).await);
    let drill = id(&created(
        &t,
        &admin,
        "/api/v1/products",
        json!({"sku": "DR-1", "name": "Дрель", "vat_rate": "22"}),
    )
    .await);
    let saw = id(&created(
        &t,
        &admin,
        "/api/v1/products",
        json!({"sku": "SAW", "name": "Пила", "vat_rate": "22"}),
    )
    .await);
    t.set_retail(&drill, "2026-01-01", "10000").await;
    t.set_retail(&saw, "2026-01-01", "5000").await;
    let supplier = id(&created(
        &t,
        &admin,
        "/api/v1/counterparties",
        json!({"name": "Завод", "kind": "supplier"}),
    )
    .await);
    let rc = created(&t, &admin, "/api/v1/receipts", json!({"counterparty_id": supplier, "warehouse_id": wh, "date": "2026-01-10",
        "lines": [{"product_id": drill, "qty": "20", "price": "6100.50"}, {"product_id": saw, "qty": "5", "price": "3000"}]})).await;
    post(&t, &format!("/api/v1/receipts/{}/post", id(&rc))).await;
    let client = id(&created(
        &t,
        &admin,
        "/api/v1/counterparties",
        json!({"name": "ООО «Клиент»"}),
    )
    .await);
    // A 3 % promotion in March: shipped at 9 700,00.
    created(
        &t,
        &admin,
        "/api/v1/promotions",
        json!({"name": "Март", "date_from": "2026-03-01", "date_to": "2026-03-31", "pct": "3"}),
    )
    .await;
    let sh = created(
        &t,
        &admin,
        "/api/v1/shipments",
        json!({"counterparty_id": client, "warehouse_id": wh, "date": "2026-03-10",
        "lines": [{"product_id": drill, "qty": "4"}]}),
    )
    .await;
    assert_eq!(sh["lines"][0]["price"], "9700.00");
    post(&t, &format!("/api/v1/shipments/{}/post", id(&sh))).await;
    assert_eq!(balance(&t, &client).await, "38800.00");
    // Today's rule price is 10 000,00: the promotion is over.
    let ret = |qty: &str| {
        json!({"counterparty_id": client, "base_id": id(&sh), "date": "2026-04-05", "replacement_required": true,
               "lines": [{"product_id": drill, "qty": qty, "base_line_id": sh["lines"][0]["id"]}]})
    };
    let r1 = created(&t, &admin, "/api/v1/returns", ret("1")).await;
    post(&t, &format!("/api/v1/returns/{}/post", id(&r1))).await;
    assert_eq!(balance(&t, &client).await, "29100.00");

    // A manager ships the replacement: by default at the returned price.
    let mgr = t.user("mgr", "manager").await;
    let repl = |r: &Value, extra: Value| {
        let mut b = json!({"counterparty_id": client, "warehouse_id": wh, "date": "2026-04-06",
            "replacement_for_id": id(r), "lines": [{"product_id": drill, "qty": "1"}]});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let s1 = created(&t, &mgr, "/api/v1/shipments", repl(&r1, json!({}))).await;
    assert_eq!(s1["lines"][0]["price"], "9700.00");
    assert_eq!(s1["amount"], "9700.00");
    let p = t
        .send(
            Method::POST,
            &format!("/api/v1/shipments/{}/post", id(&s1)),
            &mgr,
            None,
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
    assert_eq!(
        balance(&t, &client).await,
        "38800.00",
        "the return and its replacement net to zero"
    );
    let info = t
        .get(&format!("/api/v1/shipments/{}/replacement", id(&s1)), &mgr)
        .await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.text);
    assert_eq!(info.body["pricing"], "returned_price");
    let rnum = r1["number"].as_str().unwrap();
    assert_eq!(
        info.body["print_ru"],
        format!("замена по возврату № {rnum} от 05.04.2026").as_str()
    );
    // The manager may not choose free or the current price.
    let r2 = created(&t, &admin, "/api/v1/returns", ret("1")).await;
    post(&t, &format!("/api/v1/returns/{}/post", id(&r2))).await;
    assert_eq!(balance(&t, &client).await, "29100.00");
    for mode in ["free", "current_price"] {
        let r = t
            .post(
                "/api/v1/shipments",
                &mgr,
                repl(
                    &r2,
                    json!({"replacement_pricing": mode, "replacement_reason": "Клиент ждал"}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{mode}: {}", r.text);
    }
    // Free of charge, by a head, with a reason: price 0, our cost kept.
    let head = t.user("head", "department_head").await;
    let r = t
        .post(
            "/api/v1/shipments",
            &head,
            repl(&r2, json!({"replacement_pricing": "free"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.error_fields(), vec!["replacement_reason"]);
    let s2 = created(
        &t,
        &head,
        "/api/v1/shipments",
        repl(
            &r2,
            json!({"replacement_pricing": "free", "replacement_reason": "Второй отказ подряд"}),
        ),
    )
    .await;
    assert_eq!(s2["lines"][0]["price"], "0.00");
    assert_eq!(s2["amount"], "0.00");
    post(&t, &format!("/api/v1/shipments/{}/post", id(&s2))).await;
    assert_eq!(balance(&t, &client).await, "29100.00");
    let info = t
        .get(
            &format!("/api/v1/shipments/{}/replacement", id(&s2)),
            &admin,
        )
        .await;
    assert_eq!(info.body["pricing"], "free");
    assert_eq!(info.body["reason"], "Второй отказ подряд");
    // The cost kept is the cost of goods at posting (issue 13): the moving
    // average, net of VAT — 6 100,50 less 22 % VAT (1 100,09) = 5 000,41.
    assert_eq!(info.body["cost"], "5000.41", "the cost of goods is kept");
    // At the current price, with a reason: 10 000,00.
    let r3 = created(&t, &admin, "/api/v1/returns", ret("1")).await;
    post(&t, &format!("/api/v1/returns/{}/post", id(&r3))).await;
    assert_eq!(balance(&t, &client).await, "19400.00");
    let r = t
        .post(
            "/api/v1/shipments",
            &head,
            repl(
                &r3,
                json!({"replacement_pricing": "current_price", "replacement_reason": " "}),
            ),
        )
        .await;
    assert_eq!(r.error_fields(), vec!["replacement_reason"]);
    let s3 = created(
        &t,
        &head,
        "/api/v1/shipments",
        repl(&r3, json!({"replacement_pricing": "current_price", "replacement_reason": "Клиент выбрал новую модель партии"})),
    )
    .await;
    assert_eq!(s3["lines"][0]["price"], "10000.00");
    post(&t, &format!("/api/v1/shipments/{}/post", id(&s3))).await;
    assert_eq!(balance(&t, &client).await, "29400.00");

    // Refusals: nonsense mode; a mode without a return; a product not
    // returned; more than returned; a return not owed a replacement.
    let r4 = created(&t, &admin, "/api/v1/returns", ret("1")).await;
    post(&t, &format!("/api/v1/returns/{}/post", id(&r4))).await;
    let r = t
        .post(
            "/api/v1/shipments",
            &admin,
            repl(&r4, json!({"replacement_pricing": "half"})),
        )
        .await;
    assert_eq!(r.error_fields(), vec!["replacement_pricing"]);
    let r = t
        .post("/api/v1/shipments", &admin, json!({"counterparty_id": client, "warehouse_id": wh,
            "replacement_pricing": "free", "replacement_reason": "x", "lines": [{"product_id": drill, "qty": "1"}]}))
        .await;
    assert_eq!(r.error_fields(), vec!["replacement_pricing"]);
    let r = t
        .post(
            "/api/v1/shipments",
            &admin,
            repl(&r4, json!({"lines": [{"product_id": saw, "qty": "1"}]})),
        )
        .await;
    assert_eq!(r.error_fields(), vec!["lines[0].product_id"]);
    assert_eq!(r.body["errors"][0]["code"], "not_returned");
    let r = t
        .post(
            "/api/v1/shipments",
            &admin,
            repl(&r4, json!({"lines": [{"product_id": drill, "qty": "1"}, {"product_id": drill, "qty": "1"}]})),
        )
        .await;
    assert_eq!(r.error_fields(), vec!["lines[1].qty"]);
    assert_eq!(r.body["errors"][0]["code"], "more_than_returned");
    // A sent price other than the returned one is refused, not replaced.
    let r = t
        .post(
            "/api/v1/shipments",
            &admin,
            repl(
                &r4,
                json!({"lines": [{"product_id": drill, "qty": "1", "price": "10000"}]}),
            ),
        )
        .await;
    assert_eq!(r.error_fields(), vec!["lines[0].price"]);
    // Another product at the current price is allowed.
    let s5 = created(&t, &admin, "/api/v1/shipments",
        repl(&r4, json!({"replacement_pricing": "current_price", "replacement_reason": "Дрелей нет, пила взамен", "lines": [{"product_id": saw, "qty": "1"}]}))).await;
    assert_eq!(s5["lines"][0]["price"], "5000.00");
    let r = t
        .get(
            &format!("/api/v1/shipments/{}/replacement", id(&sh)),
            &admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Page and print.
    let cookie = crate::pages::web_login(&t, "admin", kupets_testkit::ADMIN_PASSWORD).await;
    let print = t
        .page(&format!("/shipments/{}/print", id(&s2)), &cookie)
        .await;
    assert_eq!(print.status, StatusCode::OK);
    assert!(
        print.text.contains(&format!(
            "замена по возврату № {} от 05.04.2026",
            r2["number"].as_str().unwrap()
        )),
        "{}",
        print.text
    );
    let page = t.page(&format!("/shipments/{}", id(&s2)), &cookie).await;
    assert!(page.text.contains("бесплатно") && page.text.contains("Второй отказ подряд"));
    assert!(page.text.contains("5\u{a0}000,41"), "the cost on the card");
    let page = t
        .page(
            &format!("/shipments/{}", id(&s2)),
            &format!("{cookie}; lang=en"),
        )
        .await;
    assert!(page.text.contains("free of charge"));
    // The new-shipment form from a return's page takes the return's lines.
    let form = t
        .page(
            &format!(
                "/shipments/new?counterparty_id={client}&replacement_for_id={}",
                id(&r4)
            ),
            &cookie,
        )
        .await;
    assert!(form.text.contains("по цене возврата"));
    assert!(form
        .text
        .contains(&format!("<option value=\"{drill}\" selected")));
});
