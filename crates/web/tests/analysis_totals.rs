//! Monthly sales totals on both engines: after posting, a return and
//! cancellations they equal the sums of the sales facts, row for row; and a
//! report read from them (whole months), from them less the facts outside
//! the period (most of a month), or from the facts alone (a few days; client
//! × product) gives the same figures for the same data.

use axum::http::{Method, StatusCode};
use kupets_testkit::{both_engines, TestApp};
use serde_json::{json, Value};

async fn created(t: &TestApp, path: &str, body: Value) -> Value {
    let r = t.post(path, &t.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body
}

async fn post(t: &TestApp, path: &str) {
    let r = t.send(Method::POST, path, &t.admin, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
}

async fn cancel(t: &TestApp, path: &str) {
    let r = t
        .post(path, &t.admin, json!({"reason": "ошибка ввода"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn get(t: &TestApp, path: &str) -> Value {
    let r = t.get(path, &t.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.body
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

type Row = (String, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);

/// The totals as kept, and as summed from the facts, in one order.
async fn totals_and_sums(t: &TestApp, dim: &str) -> (Vec<Row>, Vec<Row>) {
    let (keys, cols) = if dim == "client" {
        (
            "month, counterparty_id, manager_id, COALESCE(department_id, 0)",
            "month, counterparty_id, manager_id, COALESCE(department_id, 0), CAST(0 AS BIGINT), CAST(0 AS BIGINT)",
        )
    } else {
        (
            "month, product_id, COALESCE(group_id, 0)",
            "month, CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), product_id, COALESCE(group_id, 0)",
        )
    };
    let sums: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {cols}, CAST(SUM(qty) AS BIGINT), CAST(SUM(revenue) AS BIGINT), CAST(SUM(revenue_net) AS BIGINT), \
         CAST(SUM(cost) AS BIGINT), COUNT(*) FROM sales_facts GROUP BY {keys} ORDER BY 1, 2, 3, 4, 5, 6"
    ))
    .fetch_all(t.app.store.reader())
    .await
    .unwrap();
    let kept: Vec<Row> = sqlx::query_as(&format!(
        "SELECT month, counterparty_id, manager_id, department_id, product_id, group_id, qty, revenue, revenue_net, cost, facts \
         FROM sales_months WHERE dim = '{dim}' ORDER BY 1, 2, 3, 4, 5, 6"
    ))
    .fetch_all(t.app.store.reader())
    .await
    .unwrap();
    (kept, sums)
}

async fn assert_kept(t: &TestApp, when: &str) {
    for dim in ["client", "product"] {
        let (kept, sums) = totals_and_sums(t, dim).await;
        assert!(!sums.is_empty(), "{when}: no facts");
        assert_eq!(kept, sums, "{when}: {dim} totals");
    }
    // Shipments: the posted shipments of each client and month.
    let kept: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT month, counterparty_id, shipments FROM sales_months WHERE dim = 'client' ORDER BY 1, 2",
    )
    .fetch_all(t.app.store.reader())
    .await
    .unwrap();
    let counted: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT SUBSTR(doc_date, 1, 7), counterparty_id, CAST(SUM(CASE WHEN kind = 'shipment' THEN 1 ELSE 0 END) AS BIGINT) \
         FROM documents WHERE kind IN ('shipment', 'return') AND state = 'posted' GROUP BY SUBSTR(doc_date, 1, 7), counterparty_id ORDER BY 1, 2",
    )
    .fetch_all(t.app.store.reader())
    .await
    .unwrap();
    assert_eq!(kept, counted, "{when}: shipments");
}

/// A report's rows as (key, cells or totals) for comparing.
fn figures(r: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["key"].as_str().unwrap().to_string(),
                format!("{} {}", x["total"], x["cells"]),
            )
        })
        .collect();
    out.push(("total".into(), r["total"].to_string()));
    out
}

both_engines!(monthly_totals_follow_facts, |t: TestApp| async move {
    let wh = id(&created(&t, "/api/v1/warehouses", json!({"name": "Склад"})).await);
    let tools = id(&created(&t, "/api/v1/product-groups", json!({"name": "Инструмент"})).await);
    let a = id(&created(
        &t,
        "/api/v1/products",
        json!({"sku": "A", "name": "Дрель", "vat_rate": "22", "group_id": tools}),
    )
    .await);
    // No group: kept as 0, read back as none.
    let b = id(&created(
        &t,
        "/api/v1/products",
        json!({"sku": "B", "name": "Клей", "vat_rate": "none"}),
    )
    .await);
    t.set_retail(&a, "2026-01-01", "122").await;
    t.set_retail(&b, "2026-01-01", "10").await;
    let supplier = id(&created(
        &t,
        "/api/v1/counterparties",
        json!({"name": "Завод", "kind": "supplier"}),
    )
    .await);
    let rc = created(
        &t,
        "/api/v1/receipts",
        json!({"counterparty_id": supplier, "warehouse_id": wh, "date": "2026-01-02",
               "lines": [{"product_id": a, "qty": "100", "price": "61"}, {"product_id": b, "qty": "100", "price": "4"}]}),
    )
    .await;
    post(&t, &format!("/api/v1/receipts/{}/post", id(&rc))).await;
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

    // Inside every period compared below: 20 January … 5 February.
    let s1 = ship(
        &t,
        &wh,
        &x,
        "2026-01-20",
        json!([{"product_id": a, "qty": "2"}, {"product_id": b, "qty": "1"}]),
    )
    .await;
    ship(
        &t,
        &wh,
        &y,
        "2026-01-31",
        json!([{"product_id": a, "qty": "1"}]),
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
    assert_kept(&t, "posted").await;
    let ret = created(
        &t,
        "/api/v1/returns",
        json!({"counterparty_id": x, "base_id": id(&s1), "date": "2026-02-05",
               "lines": [{"product_id": a, "qty": "1", "base_line_id": s1["lines"][0]["id"]}]}),
    )
    .await;
    post(&t, &format!("/api/v1/returns/{}/post", id(&ret))).await;
    assert_kept(&t, "returned").await;
    // Outside the day-level periods, inside the whole months.
    let early = ship(
        &t,
        &wh,
        &y,
        "2026-01-05",
        json!([{"product_id": a, "qty": "3"}]),
    )
    .await;
    let late = ship(
        &t,
        &wh,
        &x,
        "2026-02-25",
        json!([{"product_id": b, "qty": "7"}]),
    )
    .await;
    // Posted and cancelled: leaves nothing behind.
    let gone = ship(
        &t,
        &wh,
        &y,
        "2026-02-10",
        json!([{"product_id": b, "qty": "2"}]),
    )
    .await;
    cancel(&t, &format!("/api/v1/shipments/{}/cancel", id(&gone))).await;
    assert_kept(&t, "cancelled").await;
    // Its facts are gone (found by its date and id, migration 0026).
    let gone_id: i64 = id(&gone).parse().unwrap();
    let left: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM sales_facts WHERE document_id = {gone_id}"
    ))
    .fetch_one(t.app.store.reader())
    .await
    .unwrap();
    assert_eq!(left, 0, "a cancelled shipment's sales facts");

    let views = [
        "rows=counterparty&columns=month",
        "rows=month&columns=manager",
        "rows=product&columns=month",
        "rows=group",
        "rows=department",
    ];
    // 15 January … 20 February: each edge month's total less the days
    // outside; 20 January … 10 February: the edge days' facts alone.
    for v in views {
        let most = get(
            &t,
            &format!("/api/v1/reports/sales?from=2026-01-15&to=2026-02-20&{v}"),
        )
        .await;
        let few = get(
            &t,
            &format!("/api/v1/reports/sales?from=2026-01-20&to=2026-02-10&{v}"),
        )
        .await;
        assert_eq!(figures(&most), figures(&few), "{v}");
    }
    let few = get(
        &t,
        "/api/v1/reports/sales?from=2026-01-20&to=2026-02-10&rows=counterparty",
    )
    .await;
    assert_eq!(few["total"]["revenue"], "304.00", "{few}");
    assert_eq!(few["rows"].as_array().unwrap().len(), 2);
    // Client × product is answered from the facts alone, whole months too.
    let whole = "/api/v1/reports/sales?from=2026-01-01&to=2026-02-28";
    let by_product = get(&t, &format!("{whole}&rows=counterparty&columns=product")).await;
    let by_client = get(&t, &format!("{whole}&rows=counterparty")).await;
    assert_eq!(by_product["total"], by_client["total"]);
    assert_eq!(by_client["total"]["revenue"], "740.00", "{by_client}");

    // Without the shipments outside, whole months read from the totals give
    // what the day-level periods read.
    cancel(&t, &format!("/api/v1/shipments/{}/cancel", id(&early))).await;
    cancel(&t, &format!("/api/v1/shipments/{}/cancel", id(&late))).await;
    assert_kept(&t, "cancelled outside").await;
    for v in views {
        let whole = get(
            &t,
            &format!("/api/v1/reports/sales?from=2026-01-01&to=2026-02-28&{v}"),
        )
        .await;
        let few = get(
            &t,
            &format!("/api/v1/reports/sales?from=2026-01-20&to=2026-02-10&{v}"),
        )
        .await;
        assert_eq!(figures(&whole), figures(&few), "{v}");
    }
    // The manager sees their client only, from the totals and the facts alike.
    let mine = t
        .get(&format!("{whole}&rows=counterparty&columns=month"), &mtok)
        .await;
    let mine_days = t
        .get(
            "/api/v1/reports/sales?from=2026-01-20&to=2026-02-10&rows=counterparty&columns=month",
            &mtok,
        )
        .await;
    assert_eq!(figures(&mine.body), figures(&mine_days.body));
    assert_eq!(mine.body["rows"].as_array().unwrap().len(), 1);
    // ABC and the owner's page agree across the two ways too.
    for q in [
        "subject=clients",
        "subject=products",
        "subject=clients&by=margin",
    ] {
        let whole = get(
            &t,
            &format!("/api/v1/reports/abc?from=2026-01-01&to=2026-02-28&{q}"),
        )
        .await;
        let few = get(
            &t,
            &format!("/api/v1/reports/abc?from=2026-01-20&to=2026-02-10&{q}"),
        )
        .await;
        assert_eq!(whole["items"], few["items"], "{q}");
        assert_eq!(whole["total"], few["total"], "{q}");
    }
    // February to the 20th: the month's total less the days after it.
    let o = get(&t, "/api/v1/reports/owner?date=2026-02-20").await;
    let feb = get(
        &t,
        "/api/v1/reports/sales?from=2026-02-01&to=2026-02-20&rows=month",
    )
    .await;
    assert_eq!(o["this_month"]["revenue"], feb["total"]["revenue"]);
    assert_eq!(o["this_month"]["cost"], feb["total"]["cost"]);
    assert_eq!(o["this_month"]["shipments"], 1);
    assert_eq!(o["last_month"]["shipments"], 2);
    assert_eq!(o["top_products"].as_array().unwrap().len(), 2, "{o}");
});
