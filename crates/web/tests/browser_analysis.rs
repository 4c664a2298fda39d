//! The owner opens the ABC page in a real browser, sees the Pareto chart
//! and drills from a client to its documents.

use crate::browser::{log_in, serve, start_browser};
use axum::http::Method;
use fantoccini::Locator;
use kupets_testkit::{Engine, TestApp};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_owner_reads_abc_and_drills_to_documents() {
    let t = TestApp::new(Engine::Sqlite).await.unwrap();
    let made = |path: &'static str, body: serde_json::Value| {
        let t = &t;
        async move {
            let r = t.post(path, &t.admin, body).await;
            assert_eq!(r.status.as_u16(), 201, "{path}: {}", r.text);
            r.body
        }
    };
    let post = |path: String| {
        let t = &t;
        async move {
            let r = t.send(Method::POST, &path, &t.admin, None, &[]).await;
            assert_eq!(r.status.as_u16(), 200, "{path}: {}", r.text);
        }
    };
    let id = |v: &serde_json::Value| v["id"].as_str().unwrap().to_string();
    let today = chrono::Local::now().date_naive();
    let day = |n: i64| (today - chrono::Duration::days(n)).to_string();
    let wh = id(&made("/api/v1/warehouses", json!({"name": "Склад"})).await);
    let p = id(&made(
        "/api/v1/products",
        json!({"sku": "P", "name": "Товар", "vat_rate": "none"}),
    )
    .await);
    t.set_retail(&p, &day(100), "100").await;
    let supplier = id(&made(
        "/api/v1/counterparties",
        json!({"name": "Завод", "kind": "supplier"}),
    )
    .await);
    let rc = made(
        "/api/v1/receipts",
        json!({"counterparty_id": supplier, "warehouse_id": wh, "date": day(90),
        "lines": [{"product_id": p, "qty": "1000", "price": "50"}]}),
    )
    .await;
    post(format!("/api/v1/receipts/{}/post", id(&rc))).await;
    let mut numbers = Vec::new();
    for (name, qty) in [("Большой", "60"), ("Средний", "25"), ("Малый", "5")] {
        let c = id(&made("/api/v1/counterparties", json!({"name": name})).await);
        for n in [30, 20] {
            let sh = made(
                "/api/v1/shipments",
                json!({"counterparty_id": c, "warehouse_id": wh, "date": day(n),
                "lines": [{"product_id": p, "qty": qty}]}),
            )
            .await;
            post(format!("/api/v1/shipments/{}/post", id(&sh))).await;
            if name == "Большой" {
                numbers.push(sh["number"].as_str().unwrap().to_string());
            }
        }
    }
    t.user("owner", "admin").await;

    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let base = serve(&t).await;
    log_in(&c, &base, "/reports/abc", "owner", "password-123").await;
    c.wait()
        .for_element(Locator::Css("svg.pareto rect.bar"))
        .await
        .unwrap();
    let bars = c
        .find_all(Locator::Css("svg.pareto rect.bar"))
        .await
        .unwrap();
    assert_eq!(bars.len(), 3);
    let first = c
        .find(Locator::Css("table.abc tr:nth-child(2)"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(first.contains("Большой") && first.contains('A'), "{first}");
    c.find(Locator::XPath("//a[@class='drill' and text()='Большой']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("table.drill"))
        .await
        .unwrap();
    let src = c.source().await.unwrap();
    for n in &numbers {
        assert!(src.contains(n.as_str()), "{n} in the drill-down");
    }
    assert!(!src.contains("Средний"));
    c.close().await.unwrap();
}
