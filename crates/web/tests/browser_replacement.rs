//! A manager ships a replacement from the return's page in a real browser
//! and sees the return and its replacement net to zero on the client card.

use crate::browser::{log_in, serve, start_browser};
use axum::http::Method;
use fantoccini::Locator;
use kupets_testkit::{Engine, TestApp};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_manager_ships_a_replacement_that_nets_to_zero() {
    let t = TestApp::new(Engine::Sqlite).await.unwrap();
    let a = &t.admin;
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
    let wh = id(&made("/api/v1/warehouses", json!({"name": "Склад"})).await);
    let drill = id(&made(
        "/api/v1/products",
        json!({"sku": "DR-1", "name": "Дрель", "vat_rate": "22"}),
    )
    .await);
    t.set_retail(&drill, "2026-01-01", "10000").await;
    let supplier = id(&made(
        "/api/v1/counterparties",
        json!({"name": "Завод", "kind": "supplier"}),
    )
    .await);
    let rc = made(
        "/api/v1/receipts",
        json!({"counterparty_id": supplier, "warehouse_id": wh, "date": "2026-01-10",
        "lines": [{"product_id": drill, "qty": "5", "price": "6000"}]}),
    )
    .await;
    post(format!("/api/v1/receipts/{}/post", id(&rc))).await;
    let client = id(&made("/api/v1/counterparties", json!({"name": "ООО «Клиент»"})).await);
    // Shipped at 9 700,00 under a March promotion; today's price is higher.
    made(
        "/api/v1/promotions",
        json!({"name": "Март", "date_from": "2026-03-01", "date_to": "2026-03-31", "pct": "3"}),
    )
    .await;
    let sh = made(
        "/api/v1/shipments",
        json!({"counterparty_id": client, "warehouse_id": wh, "date": "2026-03-10",
        "lines": [{"product_id": drill, "qty": "1"}]}),
    )
    .await;
    post(format!("/api/v1/shipments/{}/post", id(&sh))).await;
    let ret = made("/api/v1/returns", json!({"counterparty_id": client, "base_id": id(&sh), "date": "2026-04-05", "replacement_required": true,
        "lines": [{"product_id": drill, "qty": "1", "base_line_id": sh["lines"][0]["id"]}]})).await;
    post(format!("/api/v1/returns/{}/post", id(&ret))).await;
    let balance = || async {
        t.get(&format!("/api/v1/counterparties/{client}"), a)
            .await
            .body["balance"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(balance().await, "0.00");
    t.user("mgr", "manager").await;

    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let base = serve(&t).await;
    let ret_page = format!("/returns/{}", id(&ret));
    log_in(&c, &base, &ret_page, "mgr", "password-123").await;
    c.wait()
        .for_element(Locator::XPath("//a[text()='Отгрузить замену']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The form comes with the return's line and the returned price chosen.
    c.wait()
        .for_element(Locator::Css("select[name=replacement_pricing]"))
        .await
        .unwrap();
    c.find(Locator::XPath("//button[text()='Сохранить черновик']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//button[text()='Провести']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//*[contains(text(),'замена по возврату')]"))
        .await
        .unwrap();
    c.goto(&format!("{base}/counterparties/{client}"))
        .await
        .unwrap();
    let card = c
        .wait()
        .for_element(Locator::XPath(
            "//dt[text()='Сальдо взаиморасчётов']/following-sibling::dd[1]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Shipped 9 700,00, returned 9 700,00, replaced at 9 700,00.
    assert!(
        card.starts_with("9\u{a0}700,00") || card.starts_with("9 700,00"),
        "{card}"
    );
    assert_eq!(balance().await, "9700.00");
    let src = c.source().await.unwrap();
    assert!(src.contains("Накопительная шкала"));
    c.close().await.unwrap();
}
