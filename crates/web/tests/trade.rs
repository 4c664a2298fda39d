//! Orders, receipts, shipments, payments: stock, order progress and
//! settlements on both engines, with every refusal.

use axum::http::{Method, StatusCode};
use kupets_testkit::{both_engines, TestApp};
use serde_json::{json, Value};

struct Shop {
    wh: String,
    drill: String,
    customer: String,
    supplier: String,
}

async fn shop(t: &TestApp) -> Shop {
    let a = &t.admin;
    let wh = t
        .post("/api/v1/warehouses", a, json!({"name": "Основной"}))
        .await
        .id();
    let drill = t
        .post(
            "/api/v1/products",
            a,
            json!({"sku": "DR-1", "name": "Дрель DR-1"}),
        )
        .await
        .id();
    // Sales lines are priced from the retail price (no rules here): 1 000,00.
    t.set_retail(&drill, "2025-01-01", "1000").await;
    let customer = t
        .post(
            "/api/v1/counterparties",
            a,
            json!({"name": "ООО «Строй»", "credit_limit": "100000"}),
        )
        .await
        .id();
    let supplier = t
        .post(
            "/api/v1/counterparties",
            a,
            json!({"name": "АО «Завод»", "kind": "supplier"}),
        )
        .await
        .id();
    Shop {
        wh,
        drill,
        customer,
        supplier,
    }
}

async fn post(t: &TestApp, path: &str, token: &str) -> kupets_testkit::Resp {
    t.send(Method::POST, path, token, None, &[]).await
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

fn line_of(v: &Value) -> String {
    v["lines"][0]["id"].as_str().unwrap().to_string()
}

both_engines!(
    order_to_shipments_payments_and_cancel,
    |t: TestApp| async move {
        let a = &t.admin;
        let s = shop(&t).await;

        // Receipt: 10 drills at 600,00 from the supplier.
        let r = t.post("/api/v1/receipts", a, json!({"counterparty_id": s.supplier, "warehouse_id": s.wh, "date": "2026-03-01", "lines": [{"product_id": s.drill, "qty": "10", "price": "600"}]})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.body["amount"], "6000.00");
        assert_eq!(r.body["lines"][0]["vat"], "1081.97"); // 6000 × 22 / 122
        assert_eq!(
            stock(&t, &s.wh, &s.drill).await,
            "0",
            "a draft moves nothing"
        );
        assert_eq!(
            post(&t, &format!("/api/v1/receipts/{}/post", r.id()), a)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(stock(&t, &s.wh, &s.drill).await, "10");
        assert_eq!(
            balance(&t, &s.supplier).await,
            "-6000.00",
            "we owe the supplier"
        );

        // Order: 8 drills at 1 000,00.
        let o = t.post("/api/v1/sales-orders", a, json!({"counterparty_id": s.customer, "date": "2026-03-02", "lines": [{"product_id": s.drill, "qty": "8", "price": "1000"}]})).await;
        assert_eq!(o.status, StatusCode::CREATED, "{}", o.text);
        let (order, oline) = (o.id(), line_of(&o.body));
        // Shipping against a draft order is refused.
        let r = t.post("/api/v1/shipments", a, json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "order_id": order, "lines": [{"product_id": s.drill, "qty": "1", "price": "1000", "order_line_id": oline}]})).await;
        assert_eq!(r.error_fields(), vec!["order_id"]);
        assert_eq!(
            post(&t, &format!("/api/v1/sales-orders/{order}/post"), a)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            balance(&t, &s.customer).await,
            "0.00",
            "an order moves no money"
        );
        let v = t
            .get(&format!("/api/v1/sales-orders/{order}"), a)
            .await
            .body;
        assert_eq!(
            (
                v["ordered_amount"].as_str(),
                v["shipment_state"].as_str(),
                v["payment_state"].as_str()
            ),
            (Some("8000.00"), Some("not_shipped"), Some("unpaid"))
        );

        // Prepayment of 3 000,00 naming the order.
        let p = t.post("/api/v1/payments", a, json!({"counterparty_id": s.customer, "order_id": order, "amount": "3000", "date": "2026-03-03"})).await;
        assert_eq!(p.status, StatusCode::CREATED, "{}", p.text);
        post(&t, &format!("/api/v1/payments/{}/post", p.id()), a).await;
        assert_eq!(
            balance(&t, &s.customer).await,
            "-3000.00",
            "a prepayment received"
        );
        assert_eq!(
            t.get(&format!("/api/v1/sales-orders/{order}"), a)
                .await
                .body["payment_state"],
            "prepaid"
        );

        // First shipment: 3 of 8.
        let ship = |qty: &str| json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "order_id": order, "date": "2026-03-04", "lines": [{"product_id": s.drill, "qty": qty, "price": "1000", "order_line_id": oline}]});
        let sh1 = t.post("/api/v1/shipments", a, ship("3")).await.id();
        assert_eq!(
            post(&t, &format!("/api/v1/shipments/{sh1}/post"), a)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(stock(&t, &s.wh, &s.drill).await, "7");
        assert_eq!(balance(&t, &s.customer).await, "0.00");
        let v = t
            .get(&format!("/api/v1/sales-orders/{order}"), a)
            .await
            .body;
        assert_eq!(
            (
                v["lines"][0]["shipped"].as_str(),
                v["lines"][0]["remaining"].as_str()
            ),
            (Some("3"), Some("5"))
        );
        assert_eq!(
            (
                v["shipment_state"].as_str(),
                v["payment_state"].as_str(),
                v["shipped_amount"].as_str()
            ),
            (
                Some("partially_shipped"),
                Some("partially_paid"),
                Some("3000.00")
            )
        );

        // Shipping more than remains is refused with the figures; nothing moves.
        let sh2 = t.post("/api/v1/shipments", a, ship("6")).await.id();
        let r = post(&t, &format!("/api/v1/shipments/{sh2}/post"), a).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.body["code"], "exceeds_order");
        assert!(
            r.body["detail"].as_str().unwrap().contains("осталось 5"),
            "{}",
            r.text
        );
        assert_eq!(stock(&t, &s.wh, &s.drill).await, "7");
        // Fix the draft to the remainder and post.
        let r = t
            .put(&format!("/api/v1/shipments/{sh2}"), a, ship("5"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            post(&t, &format!("/api/v1/shipments/{sh2}/post"), a)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(stock(&t, &s.wh, &s.drill).await, "2");
        assert_eq!(balance(&t, &s.customer).await, "5000.00");
        assert_eq!(
            t.get(&format!("/api/v1/sales-orders/{order}"), a)
                .await
                .body["shipment_state"],
            "shipped"
        );

        // Negative stock is refused: 5 asked, 2 there.
        let free = t.post("/api/v1/shipments", a, json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "lines": [{"product_id": s.drill, "qty": "5", "price": "1000"}]})).await.id();
        let r = post(&t, &format!("/api/v1/shipments/{free}/post"), a).await;
        assert_eq!(r.body["code"], "insufficient_stock");
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains("есть 2, нужно 5"),
            "{}",
            r.text
        );

        // The rest of the money: the order is paid, the balance is zero.
        let p2 = t
            .post(
                "/api/v1/payments",
                a,
                json!({"counterparty_id": s.customer, "order_id": order, "amount": "5000"}),
            )
            .await
            .id();
        post(&t, &format!("/api/v1/payments/{p2}/post"), a).await;
        assert_eq!(balance(&t, &s.customer).await, "0.00");
        assert_eq!(
            t.get(&format!("/api/v1/sales-orders/{order}"), a)
                .await
                .body["payment_state"],
            "paid"
        );

        // A posted shipment is never edited; cancelling reverses stock and money.
        let r = t
            .put(&format!("/api/v1/shipments/{sh2}"), a, ship("1"))
            .await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (StatusCode::CONFLICT, Some("document_not_draft"))
        );
        let r = t
            .post(
                &format!("/api/v1/shipments/{sh2}/cancel"),
                a,
                json!({"reason": "Возврат на склад до выезда"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(stock(&t, &s.wh, &s.drill).await, "7");
        assert_eq!(balance(&t, &s.customer).await, "-5000.00");
        let v = t
            .get(&format!("/api/v1/sales-orders/{order}"), a)
            .await
            .body;
        assert_eq!(
            (
                v["lines"][0]["remaining"].as_str(),
                v["shipment_state"].as_str()
            ),
            (Some("5"), Some("partially_shipped"))
        );
        // The order cannot be cancelled while shipments stand.
        assert_eq!(
            t.post(
                &format!("/api/v1/sales-orders/{order}/cancel"),
                a,
                json!({"reason": "x"})
            )
            .await
            .body["code"],
            "has_dependent_documents"
        );

        // Close the remainder with a reason: the order counts as shipped.
        let r = t
            .post(
                &format!("/api/v1/sales-orders/{order}/lines/{oline}/close"),
                a,
                json!({"reason": "Клиент отказался"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (
                r.body["lines"][0]["remaining"].as_str(),
                r.body["shipment_state"].as_str()
            ),
            (Some("0"), Some("shipped"))
        );
        assert_eq!(
            t.post(
                &format!("/api/v1/sales-orders/{order}/lines/{oline}/close"),
                a,
                json!({"reason": "ещё"})
            )
            .await
            .body["code"],
            "nothing_left"
        );

        // Every balance equals the sum of its ledger entries.
        let rows: Vec<(i64, i64)> = sqlx::query_as("SELECT counterparty_id, CAST(SUM(amount) AS BIGINT) FROM settlement_entries GROUP BY counterparty_id").fetch_all(t.app.store.reader()).await.unwrap();
        for (cp, sum) in rows {
            assert_eq!(
                balance(&t, &cp.to_string()).await,
                kupets_domain::Money(sum).to_api()
            );
        }
        // Stock equals the sum of its moves.
        let moves: i64 = sqlx::query_scalar("SELECT CAST(SUM(qty) AS BIGINT) FROM stock_moves")
            .fetch_one(t.app.store.reader())
            .await
            .unwrap();
        assert_eq!(
            kupets_domain::Qty(moves).to_api(),
            stock(&t, &s.wh, &s.drill).await
        );
    }
);

both_engines!(trade_refusals, |t: TestApp| async move {
    let a = &t.admin;
    let s = shop(&t).await;
    // Missing and bad fields, all named.
    let r = t
        .post(
            "/api/v1/shipments",
            a,
            json!({"lines": [{"product_id": "999", "qty": "-1", "price": "1.001"}]}),
        )
        .await;
    let mut f = r.error_fields();
    f.sort();
    assert_eq!(
        f,
        vec![
            "counterparty_id",
            "lines[0].price",
            "lines[0].product_id",
            "lines[0].qty",
            "warehouse_id"
        ]
    );
    assert_eq!(
        t.post(
            "/api/v1/receipts",
            a,
            json!({"counterparty_id": s.supplier, "warehouse_id": s.wh, "lines": []})
        )
        .await
        .error_fields(),
        vec!["lines"]
    );
    assert_eq!(
        t.post(
            "/api/v1/payments",
            a,
            json!({"counterparty_id": s.customer, "amount": "0", "direction": "sideways"})
        )
        .await
        .error_fields()
        .len(),
        2
    );

    // Rights: a storekeeper moves stock but takes no money; an accountant the reverse.
    let store = t.user("store", "storekeeper").await;
    let acc = t.user("acc", "accountant").await;
    let mgr = t.user("mgr", "manager").await;
    let rc = t.post("/api/v1/receipts", &store, json!({"counterparty_id": s.supplier, "warehouse_id": s.wh, "lines": [{"product_id": s.drill, "qty": "5", "price": "600"}]})).await;
    assert_eq!(rc.status, StatusCode::CREATED);
    assert_eq!(
        post(&t, &format!("/api/v1/receipts/{}/post", rc.id()), &acc)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&t, &format!("/api/v1/receipts/{}/post", rc.id()), &store)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        t.post(
            "/api/v1/payments",
            &store,
            json!({"counterparty_id": s.customer, "amount": "10"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(t.post("/api/v1/sales-orders", &store, json!({"counterparty_id": s.customer, "lines": [{"product_id": s.drill, "qty": "1", "price": "1"}]})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.post(
            &format!("/api/v1/receipts/{}/cancel", rc.id()),
            &store,
            json!({"reason": "x"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // Credit limit 100 000,00: a manager cannot ship 5 × 30 000; a head can, and it is logged.
    t.set_retail(&s.drill, "2025-06-01", "30000").await;
    let big = t.post("/api/v1/shipments", &mgr, json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "lines": [{"product_id": s.drill, "qty": "5", "price": "30000"}]})).await.id();
    let r = post(&t, &format!("/api/v1/shipments/{big}/post"), &mgr).await;
    assert_eq!(r.body["code"], "credit_limit", "{}", r.text);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("лимит 100\u{a0}000,00"),
        "{}",
        r.text
    );
    assert_eq!(stock(&t, &s.wh, &s.drill).await, "5", "nothing moved");
    assert_eq!(balance(&t, &s.customer).await, "0.00");
    let head = t.user("head", "department_head").await;
    // A head may override, but only with a typed reason.
    let r = post(&t, &format!("/api/v1/shipments/{big}/post"), &head).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.error_fields(), vec!["override_reason"]);
    assert_eq!(balance(&t, &s.customer).await, "0.00");
    let r = t
        .post(
            &format!("/api/v1/shipments/{big}/post"),
            &head,
            json!({"override_reason": "Предоплата придёт завтра, согласовано"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(balance(&t, &s.customer).await, "150000.00");
    let log = t
        .get("/api/v1/audit-log?action=credit_limit_override", a)
        .await;
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert!(
        items[0]["details"]
            .as_str()
            .unwrap()
            .contains("reason: Предоплата придёт завтра, согласовано"),
        "{}",
        log.text
    );
    // Cancelling the receipt now would leave stock below zero: refused.
    let r = t
        .post(
            &format!("/api/v1/receipts/{}/cancel", rc.id()),
            a,
            json!({"reason": "ошибка"}),
        )
        .await;
    assert_eq!(r.body["code"], "insufficient_stock");
});

both_engines!(
    concurrent_shipments_never_overship,
    |t: TestApp| async move {
        let a = t.admin.clone();
        let s = shop(&t).await;
        t.set_retail(&s.drill, "2025-06-01", "1").await;
        let rc = t.post("/api/v1/receipts", &a, json!({"counterparty_id": s.supplier, "warehouse_id": s.wh, "lines": [{"product_id": s.drill, "qty": "100", "price": "1"}]})).await.id();
        post(&t, &format!("/api/v1/receipts/{rc}/post"), &a).await;
        let o = t.post("/api/v1/sales-orders", &a, json!({"counterparty_id": s.customer, "lines": [{"product_id": s.drill, "qty": "10", "price": "1"}]})).await;
        let (order, oline) = (o.id(), line_of(&o.body));
        post(&t, &format!("/api/v1/sales-orders/{order}/post"), &a).await;
        let mut drafts = Vec::new();
        for _ in 0..16 {
            drafts.push(t.post("/api/v1/shipments", &a, json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "order_id": order, "lines": [{"product_id": s.drill, "qty": "1", "price": "1", "order_line_id": oline}]})).await.id());
        }
        let t = std::sync::Arc::new(t);
        let tasks: Vec<_> = drafts
            .into_iter()
            .map(|id| {
                let (t, a) = (t.clone(), a.clone());
                tokio::spawn(
                    async move { post(&t, &format!("/api/v1/shipments/{id}/post"), &a).await },
                )
            })
            .collect();
        let (mut ok, mut refused) = (0, 0);
        for task in tasks {
            let r = task.await.unwrap();
            match r.status {
                StatusCode::OK => ok += 1,
                StatusCode::CONFLICT if r.body["code"] == "exceeds_order" => refused += 1,
                other => panic!("unexpected {other}: {}", r.text),
            }
        }
        assert_eq!((ok, refused), (10, 6));
        assert_eq!(stock(&t, &s.wh, &s.drill).await, "90");
        let v = t
            .get(&format!("/api/v1/sales-orders/{order}"), &a)
            .await
            .body;
        assert_eq!(
            (
                v["lines"][0]["shipped"].as_str(),
                v["lines"][0]["remaining"].as_str()
            ),
            (Some("10"), Some("0"))
        );
        assert_eq!(balance(&t, &s.customer).await, "10.00");
    }
);

both_engines!(
    returns_refunds_and_purchase_orders,
    |t: TestApp| async move {
        let a = &t.admin;
        let s = shop(&t).await;
        // Purchase order for 20, received 15 against it: 5 remain; more is refused.
        let po = t.post("/api/v1/purchase-orders", a, json!({"counterparty_id": s.supplier, "lines": [{"product_id": s.drill, "qty": "20", "price": "600"}]})).await;
        assert_eq!(po.status, StatusCode::CREATED, "{}", po.text);
        let (po_id, po_line) = (po.id(), line_of(&po.body));
        post(&t, &format!("/api/v1/purchase-orders/{po_id}/post"), a).await;
        assert_eq!(balance(&t, &s.supplier).await, "0.00");
        let receive = |qty: &str| json!({"counterparty_id": s.supplier, "warehouse_id": s.wh, "order_id": po_id, "lines": [{"product_id": s.drill, "qty": qty, "price": "600", "order_line_id": po_line}]});
        let rc = t.post("/api/v1/receipts", a, receive("15")).await;
        assert_eq!(rc.status, StatusCode::CREATED, "{}", rc.text);
        let (rc_id, rc_line) = (rc.id(), line_of(&rc.body));
        assert_eq!(
            post(&t, &format!("/api/v1/receipts/{rc_id}/post"), a)
                .await
                .status,
            StatusCode::OK
        );
        let v = t
            .get(&format!("/api/v1/purchase-orders/{po_id}"), a)
            .await
            .body;
        assert_eq!(
            (
                v["lines"][0]["shipped"].as_str(),
                v["lines"][0]["remaining"].as_str(),
                v["shipment_state"].as_str()
            ),
            (Some("15"), Some("5"), Some("partially_shipped"))
        );
        assert_eq!(v["shipped_amount"], "9000.00");
        let more = t.post("/api/v1/receipts", a, receive("6")).await.id();
        assert_eq!(
            post(&t, &format!("/api/v1/receipts/{more}/post"), a)
                .await
                .body["code"],
            "exceeds_order"
        );
        assert_eq!(balance(&t, &s.supplier).await, "-9000.00");

        // Return 1 to the supplier, valued at the receipt's price.
        let sr = t.post("/api/v1/supplier-returns", a, json!({"counterparty_id": s.supplier, "base_id": rc_id, "lines": [{"product_id": s.drill, "qty": "1", "base_line_id": rc_line}]})).await;
        assert_eq!(sr.status, StatusCode::CREATED, "{}", sr.text);
        assert_eq!(sr.body["amount"], "600.00");
        post(&t, &format!("/api/v1/supplier-returns/{}/post", sr.id()), a).await;
        assert_eq!(stock(&t, &s.wh, &s.drill).await, "14");
        assert_eq!(balance(&t, &s.supplier).await, "-8400.00");

        // Ship 5 to the customer at 1 000,00.
        let sh = t.post("/api/v1/shipments", a, json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "lines": [{"product_id": s.drill, "qty": "5", "price": "1000"}]})).await;
        let (sh_id, sh_line) = (sh.id(), line_of(&sh.body));
        post(&t, &format!("/api/v1/shipments/{sh_id}/post"), a).await;
        assert_eq!(balance(&t, &s.customer).await, "5000.00");

        // The customer returns 2, a replacement owed; valued at the shipped price
        // whatever price is sent.
        let r = t.post("/api/v1/returns", a, json!({"counterparty_id": s.customer, "base_id": sh_id, "replacement_required": true, "lines": [{"product_id": s.drill, "qty": "2", "price": "1", "base_line_id": sh_line}]})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(
            (
                r.body["amount"].as_str(),
                r.body["replacement_required"].as_bool(),
                r.body["warehouse_id"].as_str()
            ),
            (Some("2000.00"), Some(true), Some(s.wh.as_str()))
        );
        post(&t, &format!("/api/v1/returns/{}/post", r.id()), a).await;
        assert_eq!(stock(&t, &s.wh, &s.drill).await, "11");
        assert_eq!(balance(&t, &s.customer).await, "3000.00");
        // Returning more than shipped minus returned is refused with the figures.
        let r2 = t.post("/api/v1/returns", a, json!({"counterparty_id": s.customer, "base_id": sh_id, "lines": [{"product_id": s.drill, "qty": "4", "base_line_id": sh_line}]})).await.id();
        let r = post(&t, &format!("/api/v1/returns/{r2}/post"), a).await;
        assert_eq!(r.body["code"], "exceeds_base");
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains("можно вернуть 3"),
            "{}",
            r.text
        );
        // A return must name a shipment line of its shipment.
        let r = t.post("/api/v1/returns", a, json!({"counterparty_id": s.customer, "base_id": sh_id, "lines": [{"product_id": s.drill, "qty": "1", "base_line_id": rc_line}]})).await;
        assert_eq!(r.error_fields(), vec!["lines[0].base_line_id"]);

        // The customer pays 5 000,00: we owe 2 000,00 back, and refund it.
        let pay = t
            .post(
                "/api/v1/payments",
                a,
                json!({"counterparty_id": s.customer, "amount": "5000"}),
            )
            .await
            .id();
        post(&t, &format!("/api/v1/payments/{pay}/post"), a).await;
        assert_eq!(balance(&t, &s.customer).await, "-2000.00");
        let refund = t
            .post(
                "/api/v1/payments",
                a,
                json!({"counterparty_id": s.customer, "amount": "2000", "direction": "out"}),
            )
            .await;
        assert_eq!(refund.body["kind"], "payment_out");
        post(&t, &format!("/api/v1/payments/{}/post", refund.id()), a).await;
        assert_eq!(balance(&t, &s.customer).await, "0.00");
        assert_eq!(
            t.get("/api/v1/payments?direction=out", a).await.body["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        // Cancelling the shipment takes its return with it: stock gets the
        // 5 shipped back less the 2 already returned, money likewise.
        let ret_id = t.get("/api/v1/returns?state=posted", a).await.body["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = t
            .post(
                &format!("/api/v1/shipments/{sh_id}/cancel"),
                a,
                json!({"reason": "Отгрузка ошибочна"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let ret = t.get(&format!("/api/v1/returns/{ret_id}"), a).await.body;
        assert_eq!(ret["state"], "cancelled");
        assert!(ret["cancel_reason"]
            .as_str()
            .unwrap()
            .contains("Отгрузка ошибочна"));
        assert_eq!(stock(&t, &s.wh, &s.drill).await, "14");
        assert_eq!(balance(&t, &s.customer).await, "-3000.00");
    }
);

both_engines!(balances_reconciliation_and_aging, |t: TestApp| async move {
    let a = &t.admin;
    let s = shop(&t).await;
    t.set_retail(&s.drill, "2025-06-01", "100").await;
    let rc = t.post("/api/v1/receipts", a, json!({"counterparty_id": s.supplier, "warehouse_id": s.wh, "date": "2025-12-01", "lines": [{"product_id": s.drill, "qty": "100", "price": "1"}]})).await.id();
    post(&t, &format!("/api/v1/receipts/{rc}/post"), a).await;
    let posted = |path: &'static str, body: Value| {
        let t = &t;
        async move {
            let r = t.post(path, &t.admin, body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            let p = post(t, &format!("{path}/{}/post", r.id()), &t.admin).await;
            assert_eq!(p.status, StatusCode::OK, "{}", p.text);
            r
        }
    };
    let o = t.post("/api/v1/sales-orders", a, json!({"counterparty_id": s.customer, "date": "2026-01-04", "lines": [{"product_id": s.drill, "qty": "10", "price": "100"}]})).await;
    let (order, oline) = (o.id(), line_of(&o.body));
    post(&t, &format!("/api/v1/sales-orders/{order}/post"), a).await;
    // 05.01: 1 000,00 for the order; 20.02: 500,00; 25.03: 300,00.
    posted("/api/v1/shipments", json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "order_id": order, "date": "2026-01-05", "lines": [{"product_id": s.drill, "qty": "10", "price": "100", "order_line_id": oline}]})).await;
    let feb = posted("/api/v1/shipments", json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "date": "2026-02-20", "lines": [{"product_id": s.drill, "qty": "5", "price": "100"}]})).await;
    posted("/api/v1/shipments", json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "date": "2026-03-25", "lines": [{"product_id": s.drill, "qty": "3", "price": "100"}]})).await;
    // 01.03: 1 returned from February; 10.03: 600,00 paid for the order; 05.04: 1 000,00.
    posted("/api/v1/returns", json!({"counterparty_id": s.customer, "base_id": feb.id(), "date": "2026-03-01", "lines": [{"product_id": s.drill, "qty": "1", "base_line_id": line_of(&feb.body)}]})).await;
    posted("/api/v1/payments", json!({"counterparty_id": s.customer, "order_id": order, "amount": "600", "date": "2026-03-10"})).await;
    posted(
        "/api/v1/payments",
        json!({"counterparty_id": s.customer, "amount": "1000", "date": "2026-04-05"}),
    )
    .await;
    // A cancelled adjustment leaves no trace in the statement.
    let adj = t.post("/api/v1/adjustments", a, json!({"counterparty_id": s.customer, "date": "2026-03-15", "amount": "999", "comment": "ошибка"})).await.id();
    post(&t, &format!("/api/v1/adjustments/{adj}/post"), a).await;
    t.post(
        &format!("/api/v1/adjustments/{adj}/cancel"),
        a,
        json!({"reason": "ошибка ввода"}),
    )
    .await;

    let b = t
        .get("/api/v1/reports/balances?date=2026-03-31", a)
        .await
        .body;
    let row = b["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["counterparty_id"] == s.customer.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (row["balance"].as_str(), row["receivable"].as_str()),
        (Some("1100.00"), Some("1100.00"))
    );
    let sup = b["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["counterparty_id"] == s.supplier.as_str())
        .unwrap()
        .clone();
    assert_eq!(sup["payable"], "100.00");
    assert_eq!(
        (b["total_receivable"].as_str(), b["total_payable"].as_str()),
        (Some("1100.00"), Some("100.00"))
    );
    let b = t
        .get("/api/v1/reports/balances?date=2026-04-05", a)
        .await
        .body;
    assert_eq!(
        b["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["counterparty_id"] == s.customer.as_str())
            .unwrap()["balance"],
        "100.00"
    );

    let r = t
        .get(
            &format!(
                "/api/v1/reports/reconciliation?counterparty_id={}&from=2026-02-01&to=2026-03-31",
                s.customer
            ),
            a,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = r.body;
    assert_eq!(
        (
            r["opening"].as_str(),
            r["turnover_debit"].as_str(),
            r["turnover_credit"].as_str(),
            r["closing"].as_str()
        ),
        (
            Some("1000.00"),
            Some("800.00"),
            Some("700.00"),
            Some("1100.00")
        )
    );
    let rows: Vec<(String, String, String)> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["date"].as_str().unwrap().into(),
                x["debit"].as_str().unwrap().into(),
                x["credit"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("2026-02-20".into(), "500.00".into(), "".into()),
            ("2026-03-01".into(), "".into(), "100.00".into()),
            ("2026-03-10".into(), "".into(), "600.00".into()),
            ("2026-03-25".into(), "300.00".into(), "".into()),
        ]
    );
    assert!(r["rows"][0]["title"]
        .as_str()
        .unwrap()
        .starts_with("Отгрузка РН-2026-"));
    assert_eq!(r["conclusion"], "По данным ООО «Наша компания» на 31.03.2026 задолженность в пользу ООО «Наша компания» составляет 1\u{a0}100,00\u{a0}₽ (одна тысяча сто рублей 00 копеек).");
    assert_eq!(
        t.get(
            &format!(
                "/api/v1/reports/reconciliation?counterparty_id={}&from=2026-04-01&to=2026-03-01",
                s.customer
            ),
            a
        )
        .await
        .error_fields(),
        vec!["from"]
    );
    assert_eq!(
        t.get("/api/v1/reports/reconciliation", a)
            .await
            .error_fields(),
        vec!["counterparty_id"]
    );

    // Aging on 31.03: January's 1 000 less the order's 600 → 400 at 85 days;
    // February's 500 less its return → 400 at 39 days; March's 300 at 6 days.
    let g = t.get("/api/v1/reports/aging?date=2026-03-31", a).await.body;
    let row = g["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["counterparty_id"] == s.customer.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (
            row["d0_30"].as_str(),
            row["d31_60"].as_str(),
            row["d61_90"].as_str(),
            row["d90_plus"].as_str(),
            row["total"].as_str()
        ),
        (
            Some("300.00"),
            Some("400.00"),
            Some("400.00"),
            Some("0.00"),
            Some("1100.00")
        )
    );
    // On 10.04 the April payment pays the oldest debts first.
    let g = t.get("/api/v1/reports/aging?date=2026-04-10", a).await.body;
    let row = g["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["counterparty_id"] == s.customer.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (row["d0_30"].as_str(), row["total"].as_str()),
        (Some("100.00"), Some("100.00"))
    );
    assert_eq!(
        t.get("/api/v1/reports/aging?date=31.02.2026", a)
            .await
            .error_fields(),
        vec!["date"]
    );
    // Each report downloads as a spreadsheet.
    for path in [
        "/api/v1/reports/balances?date=2026-03-31&format=xlsx".to_string(),
        "/api/v1/reports/aging?date=2026-03-31&format=xlsx".to_string(),
        format!(
            "/api/v1/reports/reconciliation?counterparty_id={}&format=xlsx",
            s.customer
        ),
    ] {
        let r = t.get(&path, a).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(
            r.headers["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        // An ASCII name for old clients, the Russian one for browsers.
        let cd = r.headers["content-disposition"].to_str().unwrap();
        assert!(cd.contains(".xlsx\"; filename*=UTF-8''"), "{cd}");
        assert!(cd.ends_with(".xlsx"), "{cd}");
        assert!(!cd.contains("balances-") && !cd.contains("aging-"), "{cd}");
        assert!(r.text.starts_with("PK"), "an XLSX file is a zip archive");
    }
    assert_eq!(
        t.get("/api/v1/reports/aging?format=pdf", a)
            .await
            .error_fields(),
        vec!["format"]
    );
});

mod ledger_properties {
    use super::*;
    use kupets_app::document::{AdjustmentInput, CancelInput};
    use kupets_app::trade::{LineInput, PaymentInput, TradeDocInput};
    use kupets_domain::DocKind;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Receive(u8),
        Ship(u8),
        /// Return part of the n-th posted shipment.
        Return(u8, u8),
        PayIn(u16),
        PayOut(u16),
        Adjust(i16),
        /// Cancel the n-th posted document.
        Cancel(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1u8..20).prop_map(Op::Receive),
            (1u8..20).prop_map(Op::Ship),
            (any::<u8>(), 1u8..5).prop_map(|(i, q)| Op::Return(i, q)),
            (1u16..5000).prop_map(Op::PayIn),
            (1u16..5000).prop_map(Op::PayOut),
            (-3000i16..3000).prop_map(Op::Adjust),
            any::<u8>().prop_map(Op::Cancel),
        ]
    }

    async fn sums(t: &TestApp) -> (i64, i64, i64, i64) {
        let pool = t.app.store.reader();
        let entries: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM settlement_entries",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        let stock: i64 =
            sqlx::query_scalar("SELECT CAST(COALESCE(SUM(qty), 0) AS BIGINT) FROM stock")
                .fetch_one(pool)
                .await
                .unwrap();
        let moves: i64 =
            sqlx::query_scalar("SELECT CAST(COALESCE(SUM(qty), 0) AS BIGINT) FROM stock_moves")
                .fetch_one(pool)
                .await
                .unwrap();
        // Receipts − shipments + returns, over documents that stand posted.
        let docs: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(CASE d.kind WHEN 'receipt' THEN l.qty WHEN 'return' THEN l.qty WHEN 'shipment' THEN -l.qty ELSE 0 END), 0) AS BIGINT) \
             FROM document_lines l JOIN documents d ON d.id = l.document_id WHERE d.state = 'posted'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(stock, moves, "stock = sum of moves");
        (
            entries,
            stock,
            docs,
            sqlx::query_scalar("SELECT CAST(COALESCE(MIN(qty), 0) AS BIGINT) FROM stock")
                .fetch_one(pool)
                .await
                .unwrap(),
        )
    }

    async fn run(ops: Vec<Op>) {
        let t = TestApp::new(kupets_testkit::Engine::Sqlite).await.unwrap();
        let s = shop(&t).await;
        t.set_retail(&s.drill, "2025-06-01", "10").await;
        let admin = t.app.authenticate(&t.admin).await.unwrap().0;
        let cp: i64 = s.customer.parse().unwrap();
        let line = |qty: u8, base: Option<String>| LineInput {
            product_id: Some(s.drill.clone()),
            qty: Some(qty.to_string()),
            price: Some("10".into()),
            base_line_id: base,
            ..Default::default()
        };
        let doc = |lines: Vec<LineInput>, base: Option<String>| TradeDocInput {
            counterparty_id: Some(s.customer.clone()),
            warehouse_id: Some(s.wh.clone()),
            base_id: base,
            lines,
            ..Default::default()
        };
        let mut posted: Vec<(DocKind, i64)> = Vec::new();
        let mut shipments: Vec<(i64, i64)> = Vec::new();
        for op in ops {
            let made = match op {
                Op::Receive(q) => t
                    .app
                    .create_trade_doc(&admin, DocKind::Receipt, &doc(vec![line(q, None)], None))
                    .await
                    .map(|d| (DocKind::Receipt, d.document.id)),
                Op::Ship(q) => t
                    .app
                    .create_trade_doc(&admin, DocKind::Shipment, &doc(vec![line(q, None)], None))
                    .await
                    .map(|d| (DocKind::Shipment, d.document.id)),
                Op::Return(i, q) if !shipments.is_empty() => {
                    let (sid, lid) = shipments[i as usize % shipments.len()];
                    t.app
                        .create_trade_doc(
                            &admin,
                            DocKind::Return,
                            &doc(vec![line(q, Some(lid.to_string()))], Some(sid.to_string())),
                        )
                        .await
                        .map(|d| (DocKind::Return, d.document.id))
                }
                Op::PayIn(m) | Op::PayOut(m) => {
                    let dir = if matches!(op, Op::PayIn(_)) {
                        "in"
                    } else {
                        "out"
                    };
                    let p = PaymentInput {
                        direction: Some(dir.into()),
                        counterparty_id: Some(s.customer.clone()),
                        amount: Some(m.to_string()),
                        ..Default::default()
                    };
                    t.app
                        .create_payment(&admin, &p)
                        .await
                        .map(|d| (DocKind::parse(&d.kind).unwrap(), d.id))
                }
                Op::Adjust(m) if m != 0 => {
                    let a = AdjustmentInput {
                        counterparty_id: Some(s.customer.clone()),
                        amount: Some(m.to_string()),
                        comment: Some("prop".into()),
                        ..Default::default()
                    };
                    t.app
                        .create_adjustment(&admin, &a)
                        .await
                        .map(|d| (DocKind::Adjustment, d.id))
                }
                Op::Cancel(i) if !posted.is_empty() => {
                    let (k, id) = posted[i as usize % posted.len()];
                    // Refusals (stock would go negative, a return stands on it) are fine.
                    if t.app
                        .cancel_document(
                            &admin,
                            k,
                            id,
                            &CancelInput {
                                reason: Some("prop".into()),
                            },
                        )
                        .await
                        .is_ok()
                    {
                        posted.retain(|p| p.1 != id);
                        shipments.retain(|x| x.0 != id);
                    }
                    continue;
                }
                _ => continue,
            };
            let (kind, id) = made.expect("valid draft");
            let ok = if kind == DocKind::Adjustment {
                t.app.post_adjustment(&admin, id).await.is_ok()
            } else {
                t.app.post_trade_doc(&admin, kind, id).await.is_ok()
            };
            if ok {
                posted.push((kind, id));
                if kind == DocKind::Shipment {
                    shipments.push((
                        id,
                        t.app.get_trade_doc(&admin, kind, id).await.unwrap().lines[0].id,
                    ));
                }
            }
            let (entries, stock, docs, min) = sums(&t).await;
            assert_eq!(
                t.app.balance_on(cp, "9999-12-31").await.unwrap().0
                    + t.app
                        .balance_on(s.supplier.parse().unwrap(), "9999-12-31")
                        .await
                        .unwrap()
                        .0,
                entries
            );
            assert_eq!(stock, docs, "stock = receipts − shipments + returns");
            assert!(min >= 0, "stock never negative");
        }
        // Cancel everything. A cancel that would leave stock below zero (the
        // goods went out on a later shipment) or that another document rests
        // on waits for a later pass; every pass must make progress.
        let mut left: Vec<(DocKind, i64)> = posted.into_iter().rev().collect();
        while !left.is_empty() {
            let before = left.len();
            let mut next = Vec::new();
            for (k, id) in left {
                if t.app
                    .cancel_document(
                        &admin,
                        k,
                        id,
                        &CancelInput {
                            reason: Some("all".into()),
                        },
                    )
                    .await
                    .is_err()
                    // A return cancelled with its shipment is done already.
                    && t.app.get_document(&admin, k, id).await.unwrap().state == "posted"
                {
                    next.push((k, id));
                }
            }
            assert!(
                next.len() < before,
                "no document could be cancelled: {next:?}"
            );
            left = next;
        }
        let (entries, stock, _, _) = sums(&t).await;
        assert_eq!((entries, stock), (0, 0));
        assert_eq!(t.app.balance_on(cp, "9999-12-31").await.unwrap().0, 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
        #[test]
        fn random_documents_keep_the_ledgers_whole(ops in proptest::collection::vec(op(), 1..25)) {
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(run(ops));
        }
    }
}

both_engines!(
    negative_stock_setting_and_concurrent_stock,
    |t: TestApp| async move {
        let a = t.admin.clone();
        let s = shop(&t).await;
        t.set_retail(&s.drill, "2025-06-01", "1").await;
        // 5 in stock, 16 shipments of 1 posted at once: exactly 5 go through.
        let rc = t.post("/api/v1/receipts", &a, json!({"counterparty_id": s.supplier, "warehouse_id": s.wh, "lines": [{"product_id": s.drill, "qty": "5", "price": "1"}]})).await.id();
        post(&t, &format!("/api/v1/receipts/{rc}/post"), &a).await;
        let mut drafts = Vec::new();
        for _ in 0..16 {
            drafts.push(t.post("/api/v1/shipments", &a, json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "lines": [{"product_id": s.drill, "qty": "1", "price": "1"}]})).await.id());
        }
        let t = std::sync::Arc::new(t);
        let tasks: Vec<_> = drafts
            .into_iter()
            .map(|id| {
                let (t, a) = (t.clone(), a.clone());
                tokio::spawn(
                    async move { post(&t, &format!("/api/v1/shipments/{id}/post"), &a).await },
                )
            })
            .collect();
        let mut ok = 0;
        for task in tasks {
            let r = task.await.unwrap();
            match r.status {
                StatusCode::OK => ok += 1,
                StatusCode::CONFLICT => assert_eq!(r.body["code"], "insufficient_stock"),
                other => panic!("unexpected {other}: {}", r.text),
            }
        }
        assert_eq!(ok, 5);
        assert_eq!(stock(&t, &s.wh, &s.drill).await, "0");

        // The installation may allow negative stock: an admin setting, audited.
        let mgr = t.user("mgr", "manager").await;
        assert_eq!(
            t.put(
                "/api/v1/settings/allow_negative_stock",
                &mgr,
                json!({"value": "true"})
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            t.put(
                "/api/v1/settings/allow_negative_stock",
                &a,
                json!({"value": "maybe"})
            )
            .await
            .error_fields(),
            vec!["value"]
        );
        assert_eq!(
            t.put("/api/v1/settings/no_such", &a, json!({"value": "1"}))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let r = t
            .put(
                "/api/v1/settings/allow_negative_stock",
                &a,
                json!({"value": "true"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let sh = t.post("/api/v1/shipments", &a, json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "lines": [{"product_id": s.drill, "qty": "2", "price": "1"}]})).await.id();
        assert_eq!(
            post(&t, &format!("/api/v1/shipments/{sh}/post"), &a)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(stock(&t, &s.wh, &s.drill).await, "-2");
        assert_eq!(
            t.get("/api/v1/audit-log?action=setting", &a).await.body["items"][0]["details"],
            " → true"
        );
        t.put(
            "/api/v1/settings/company_name",
            &a,
            json!({"value": "ООО «Ромашка»"}),
        )
        .await;
        let names: Vec<String> = t
            .get("/api/v1/settings", &a)
            .await
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["value"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, vec!["ООО «Ромашка»", "true", "14", "1", "2"]);
    }
);

// ---- concurrency: one lock order, retries, group commit ----

both_engines!(
    concurrent_shipping_and_cancelling_for_one_customer,
    |t: TestApp| async move {
        let a = t.admin.clone();
        let s = shop(&t).await;
        let saw = t
            .post(
                "/api/v1/products",
                &a,
                json!({"sku": "SAW-1", "name": "Пила SAW-1"}),
            )
            .await
            .id();
        t.set_retail(&saw, "2025-01-01", "500").await;
        // No credit limit: every shipment may post; plenty of both in stock.
        let r = t
            .put(
                &format!("/api/v1/counterparties/{}", s.customer),
                &a,
                json!({"name": "ООО «Строй»", "credit_limit": null}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let rc = t.post("/api/v1/receipts", &a, json!({"counterparty_id": s.supplier, "warehouse_id": s.wh, "date": "2026-03-01", "lines": [{"product_id": s.drill, "qty": "1000", "price": "600"}, {"product_id": saw, "qty": "1000", "price": "300"}]})).await;
        assert_eq!(
            post(&t, &format!("/api/v1/receipts/{}/post", rc.id()), &a)
                .await
                .status,
            StatusCode::OK
        );

        // 32 clients, each shipping 6 times (the two products in either
        // order) and cancelling every other shipment right away.
        let t = std::sync::Arc::new(t);
        let mut tasks = Vec::new();
        for c in 0..32usize {
            let (t, a, wh, cp, drill, saw) = (
                t.clone(),
                a.clone(),
                s.wh.clone(),
                s.customer.clone(),
                s.drill.clone(),
                saw.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut statuses = Vec::new();
                let mut kept = 0i64;
                for i in 0..6usize {
                    let (p1, p2) = if (c + i) % 2 == 0 { (&drill, &saw) } else { (&saw, &drill) };
                    let r = t.post("/api/v1/shipments", &a, json!({"counterparty_id": cp, "warehouse_id": wh, "date": "2026-03-05", "lines": [{"product_id": p1, "qty": "1"}, {"product_id": p2, "qty": "1"}]})).await;
                    statuses.push(r.status);
                    if r.status != StatusCode::CREATED {
                        continue;
                    }
                    let id = r.id();
                    let p = post(&t, &format!("/api/v1/shipments/{id}/post"), &a).await;
                    statuses.push(p.status);
                    if p.status != StatusCode::OK {
                        continue;
                    }
                    if i % 2 == 0 {
                        let x = t.post(&format!("/api/v1/shipments/{id}/cancel"), &a, json!({"reason": "тест"})).await;
                        statuses.push(x.status);
                        if x.status == StatusCode::OK {
                            continue;
                        }
                    }
                    kept += 1;
                }
                (statuses, kept)
            }));
        }
        let mut kept = 0;
        let mut all = Vec::new();
        for task in tasks {
            let (st, k) = task.await.unwrap();
            kept += k;
            all.extend(st);
        }
        assert!(all.iter().all(|s| !s.is_server_error()), "no 5xx: {all:?}");
        // Every request of this load is legitimate: none is refused either.
        assert!(all.iter().all(|s| s.is_success()), "{all:?}");
        assert_eq!(kept, 32 * 3);
        // Stock = what came in less what stayed shipped; = the sum of moves.
        assert_eq!(stock(&t, &s.wh, &s.drill).await, (1000 - kept).to_string());
        assert_eq!(stock(&t, &s.wh, &saw).await, (1000 - kept).to_string());
        let (stock_sum, moves_sum) = {
            let st = &t.app.store;
            let a: Vec<i64> = st
                .read_rows(
                    "SELECT CAST(COALESCE(SUM(qty), 0) AS BIGINT) AS n FROM stock".into(),
                    vec![],
                    |r| r.int("n"),
                )
                .await
                .unwrap();
            let b: Vec<i64> = st
                .read_rows(
                    "SELECT CAST(COALESCE(SUM(qty), 0) AS BIGINT) AS n FROM stock_moves".into(),
                    vec![],
                    |r| r.int("n"),
                )
                .await
                .unwrap();
            (a[0], b[0])
        };
        assert_eq!(stock_sum, moves_sum);
        // The balance = the ledger's sum = what stayed shipped at 1 500,00.
        let ledger: Vec<i64> = t.app.store.read_rows(format!("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM settlement_entries WHERE counterparty_id = {}", s.customer), vec![], |r| r.int("n")).await.unwrap();
        assert_eq!(ledger[0], kept * 150_000);
        assert_eq!(
            balance(&t, &s.customer).await,
            format!("{}.00", kept * 1500)
        );
    }
);

both_engines!(
    a_conflicting_transaction_is_run_again,
    |t: TestApp| async move {
        use kupets_app::AppError;
        use kupets_store::sql;
        use std::sync::atomic::{AtomicU32, Ordering};
        use std::sync::Arc;
        if t.engine == kupets_testkit::Engine::Postgres {
            // A real serialization failure (SQLSTATE 40001) on the first
            // run: the body runs again, and only the second run's write stays.
            let runs = Arc::new(AtomicU32::new(0));
            let r2 = runs.clone();
            let out: Result<u32, AppError> = t
                .app
                .store
                .write(move |tx| {
                    let runs = r2.clone();
                    Box::pin(async move {
                        let n = runs.fetch_add(1, Ordering::SeqCst);
                        sql::query("INSERT INTO settings (key, value) VALUES ($1, 'x')")
                            .bind(format!("run_{n}"))
                            .execute(&mut *tx)
                            .await?;
                        if n == 0 {
                            sql::query("DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = 'serialization_failure'; END $$")
                                .execute(&mut *tx)
                                .await?;
                        }
                        Ok(n)
                    })
                })
                .await;
            assert_eq!(out.unwrap(), 1);
            assert_eq!(runs.load(Ordering::SeqCst), 2);
            let keys: Vec<String> = t.app.store.read_rows("SELECT key AS k FROM settings WHERE key LIKE 'run\\_%' ESCAPE '\\' ORDER BY key".into(), vec![], |r| r.text("k")).await.unwrap();
            assert_eq!(keys, vec!["run_1".to_string()]);

            // A conflict that never clears: bounded retries, then a 409
            // that says to try again — never a 500.
            let runs = Arc::new(AtomicU32::new(0));
            let r2 = runs.clone();
            let out: Result<(), AppError> = t
                .app
                .store
                .write(move |tx| {
                    let runs = r2.clone();
                    Box::pin(async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        sql::query("DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = 'deadlock_detected'; END $$")
                            .execute(&mut *tx)
                            .await?;
                        Ok(())
                    })
                })
                .await;
            let e = out.unwrap_err();
            assert_eq!(e.code(), kupets_app::error::RETRY_CODE);
            assert_eq!(runs.load(Ordering::SeqCst), kupets_store::MAX_RETRIES + 1);
        } else {
            // SQLite: bodies waiting together share one commit, each in its
            // own savepoint — the one that fails takes only its own writes.
            let mut tasks = Vec::new();
            for n in 0..24u32 {
                let store = t.app.store.clone();
                tasks.push(tokio::spawn(async move {
                    store
                        .write(move |tx| {
                            Box::pin(async move {
                                sql::query("INSERT INTO settings (key, value) VALUES ($1, 'x')")
                                    .bind(format!("grp_{n:02}"))
                                    .execute(&mut *tx)
                                    .await?;
                                if n % 3 == 1 {
                                    return Err(AppError::conflict("no", "нет", "no"));
                                }
                                Ok(n)
                            })
                        })
                        .await
                }));
            }
            let mut ok = Vec::new();
            for task in tasks {
                if let Ok(n) = task.await.unwrap() {
                    ok.push(format!("grp_{n:02}"));
                }
            }
            ok.sort();
            let keys: Vec<String> = t.app.store.read_rows("SELECT key AS k FROM settings WHERE key LIKE 'grp\\_%' ESCAPE '\\' ORDER BY key".into(), vec![], |r| r.text("k")).await.unwrap();
            assert_eq!(keys, ok);
            assert_eq!(keys.len(), 16);
        }
    }
);

/// Documents on the first page of a list (the tests stay under a page).
async fn count(t: &TestApp, path: &str) -> usize {
    t.get(path, &t.admin).await.body["items"]
        .as_array()
        .expect("a page of items")
        .len()
}

both_engines!(create_and_post_in_one_request, |t: TestApp| async move {
    let a = &t.admin;
    let s = shop(&t).await;
    // A receipt of 5 drills, created and posted at once.
    let r = t.post("/api/v1/receipts?post=true", a, json!({"counterparty_id": s.supplier, "warehouse_id": s.wh, "lines": [{"product_id": s.drill, "qty": "5", "price": "600"}]})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["state"], "posted");
    assert_eq!(stock(&t, &s.wh, &s.drill).await, "5");
    // An order and a shipment against it, each in one request.
    let o = t.post("/api/v1/sales-orders?post=true", a, json!({"counterparty_id": s.customer, "lines": [{"product_id": s.drill, "qty": "3", "price": "1000"}]})).await;
    assert_eq!(o.body["state"], "posted", "{}", o.text);
    let sh = t.post("/api/v1/shipments?post=true", a, json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "order_id": o.id(), "lines": [{"product_id": s.drill, "qty": "3", "price": "1000", "order_line_id": line_of(&o.body)}]})).await;
    assert_eq!(sh.status, StatusCode::CREATED, "{}", sh.text);
    assert_eq!(sh.body["state"], "posted");
    assert_eq!(stock(&t, &s.wh, &s.drill).await, "2");
    assert_eq!(balance(&t, &s.customer).await, "3000.00");
    let p = t
        .post(
            "/api/v1/payments?post=true",
            a,
            json!({"counterparty_id": s.customer, "amount": "1000"}),
        )
        .await;
    assert_eq!(p.body["state"], "posted", "{}", p.text);
    assert_eq!(balance(&t, &s.customer).await, "2000.00");
    // A refused posting writes nothing: no stray draft is left behind.
    let before = count(&t, "/api/v1/shipments").await;
    let r = t.post("/api/v1/shipments?post=true", a, json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "lines": [{"product_id": s.drill, "qty": "7", "price": "1000"}]})).await;
    assert!(r.status.is_client_error(), "{} {}", r.status, r.text);
    assert_eq!(count(&t, "/api/v1/shipments").await, before);
    assert_eq!(stock(&t, &s.wh, &s.drill).await, "2");
    assert_eq!(balance(&t, &s.customer).await, "2000.00");
    // Without the flag, a draft as before.
    let d = t
        .post(
            "/api/v1/payments",
            a,
            json!({"counterparty_id": s.customer, "amount": "1"}),
        )
        .await;
    assert_eq!(d.body["state"], "draft");
    let bad = t
        .post(
            "/api/v1/payments?post=maybe",
            a,
            json!({"counterparty_id": s.customer, "amount": "1"}),
        )
        .await;
    assert!(bad.status.is_client_error(), "{}", bad.status);
});
