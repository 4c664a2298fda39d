//! The daily pages in headless Chromium (issue 16): an order of three lines
//! entered by keyboard with prices and stock before saving; every main page
//! at 390 px without sideways scrolling; one language per page.

use crate::browser::{log_in, serve, start_browser};
use fantoccini::{key::Key, Locator};
use kupets_testkit::{Engine, TestApp, ADMIN_PASSWORD};
use serde_json::json;
use std::time::Duration;

struct Data {
    cp: String,
    wh: String,
    order: String,
}

async fn data(t: &TestApp) -> Data {
    let a = &t.admin;
    let wh = t
        .post("/api/v1/warehouses", a, json!({"name": "Основной"}))
        .await
        .id();
    let cp = t
        .post(
            "/api/v1/counterparties",
            a,
            json!({"name": "ООО «Строй»", "inn": "7707083893"}),
        )
        .await
        .id();
    let sup = t
        .post(
            "/api/v1/counterparties",
            a,
            json!({"name": "АО «Завод»", "kind": "supplier"}),
        )
        .await
        .id();
    let mut ids = Vec::new();
    for (sku, name, unit, price) in [
        ("DR-1", "Дрель ударная", "шт", "1000"),
        ("CB-3", "Кабель медный", "м", "20"),
        ("GL-5", "Перчатки рабочие", "пар", "150"),
    ] {
        let p = t
            .post(
                "/api/v1/products",
                a,
                json!({"sku": sku, "name": name, "unit": unit}),
            )
            .await
            .id();
        t.set_retail(&p, "2025-01-01", price).await;
        ids.push(p);
    }
    let rc = t.post("/api/v1/receipts", a, json!({"counterparty_id": sup, "warehouse_id": wh, "lines": [
        {"product_id": ids[0], "qty": "10", "price": "600"}, {"product_id": ids[1], "qty": "100", "price": "10"}, {"product_id": ids[2], "qty": "40", "price": "50"}]})).await.id();
    t.send(
        axum::http::Method::POST,
        &format!("/api/v1/receipts/{rc}/post"),
        a,
        None,
        &[],
    )
    .await;
    let order = t.post("/api/v1/sales-orders", a, json!({"counterparty_id": cp, "warehouse_id": wh, "comment": "Доставка до объекта, въезд с северной стороны, позвонить прорабу за час",
        "lines": [{"product_id": ids[0], "qty": "2"}, {"product_id": ids[1], "qty": "12.5"}]})).await.id();
    t.send(
        axum::http::Method::POST,
        &format!("/api/v1/sales-orders/{order}/post"),
        a,
        None,
        &[],
    )
    .await;
    Data { cp, wh, order }
}

/// Text of an element, polled until `ok` holds (the line editor answers
/// after a short pause).
async fn text_when(c: &fantoccini::Client, css: &str, ok: impl Fn(&str) -> bool) -> String {
    let mut last = String::new();
    for _ in 0..60 {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            last = e.text().await.unwrap_or_default();
            if ok(&last) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_enters_an_order_by_keyboard_and_pages_fit_a_phone() {
    let t = TestApp::new(Engine::Sqlite).await.unwrap();
    let d = data(&t).await;
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let base = serve(&t).await;
    log_in(&c, &base, "/sales-orders/new", "admin", ADMIN_PASSWORD).await;
    c.wait()
        .for_element(Locator::Css(Box::leak(
            format!("select[name=counterparty_id] option[value='{}']", d.cp).into_boxed_str(),
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css(Box::leak(
        format!("select[name=warehouse_id] option[value='{}']", d.wh).into_boxed_str(),
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    // Three lines, keyboard only: type part of the name, Enter picks, Tab to
    // the quantity, Enter goes to the next line.
    let first = c.find(Locator::Css("input[name=l0_find]")).await.unwrap();
    first.click().await.unwrap();
    for (i, (typed, qty)) in [("дрел", "3"), ("cb-", "2,5"), ("перчат", "4")]
        .iter()
        .enumerate()
    {
        let find = c
            .find(Locator::Css(Box::leak(
                format!("tr[data-row='{i}'] input[data-pick]").into_boxed_str(),
            )))
            .await
            .unwrap();
        find.send_keys(typed).await.unwrap();
        c.wait()
            .for_element(Locator::Css("ul.opts li"))
            .await
            .unwrap();
        find.send_keys(&Key::Enter.to_string()).await.unwrap();
        find.send_keys(&Key::Tab.to_string()).await.unwrap();
        let active = c.active_element().await.unwrap();
        assert_eq!(
            active.attr("name").await.unwrap().as_deref(),
            Some(format!("l{i}_qty").as_str())
        );
        active.send_keys(qty).await.unwrap();
        active.send_keys(&Key::Enter.to_string()).await.unwrap();
    }
    // Before saving: price, stock and amount per line, and the total
    // (3 × 1 000 + 2,5 × 20 + 4 × 150 = 3 650).
    // (WebDriver reads no-break spaces as spaces.)
    let total = text_when(&c, ".q-total", |s| s == "3 650,00 ₽").await;
    assert_eq!(total, "3 650,00 ₽");
    assert_eq!(
        text_when(&c, "tr[data-row='0'] .q-price", |s| !s.is_empty()).await,
        "1 000,00 ₽"
    );
    assert_eq!(
        text_when(&c, "tr[data-row='0'] .q-stock", |s| !s.is_empty()).await,
        "10"
    );
    assert_eq!(
        text_when(&c, "tr[data-row='1'] .unit", |s| !s.is_empty()).await,
        "м"
    );
    assert_eq!(
        text_when(&c, "tr[data-row='1'] .q-amount", |s| !s.is_empty()).await,
        "50,00 ₽"
    );
    c.find(Locator::Css("#doc-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    if c.wait()
        .for_element(Locator::XPath("//button[text()='Провести']"))
        .await
        .is_err()
    {
        let text = c
            .find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        panic!("not saved: {text}");
    }
    let url = c.current_url().await.unwrap();
    let id = url.path().rsplit('/').next().unwrap().to_string();
    let o = t
        .get(&format!("/api/v1/sales-orders/{id}/lines"), &t.admin)
        .await;
    assert_eq!(o.body["lines"].as_array().unwrap().len(), 3, "{}", o.text);
    assert_eq!(o.body["amount"], "3650.00");

    // A phone: no page scrolls sideways.
    c.set_window_size(390, 844).await.unwrap();
    let inner = c.execute("return window.innerWidth", vec![]).await.unwrap();
    assert!(inner.as_i64().unwrap() <= 390, "window is {inner}");
    let mut wide = Vec::new();
    for path in [
        "/".to_string(),
        "/today".into(),
        "/counterparties".into(),
        "/products".into(),
        "/stock".into(),
        "/sales-orders".into(),
        format!("/sales-orders/{}", d.order),
        "/sales-orders/new".into(),
        "/shipments".into(),
        "/payments/new".into(),
        format!("/reports/reconciliation?counterparty_id={}", d.cp),
        "/reports/balances".into(),
        "/reports/aging".into(),
        "/units".into(),
        "/pricing/try".into(),
        "/audit".into(),
        format!("/counterparties/{}", d.cp),
        // The rest of the main pages: documents, service, analysis,
        // exchange, settings.
        "/invoices".into(),
        "/invoices/new".into(),
        "/adjustments/new".into(),
        "/receipts/new".into(),
        "/repairs".into(),
        "/productions/new".into(),
        "/recalls".into(),
        "/reports/sales".into(),
        "/reports/abc".into(),
        "/reports/owner".into(),
        "/reports/funnel".into(),
        "/imports".into(),
        "/bank-statements".into(),
        "/pricing".into(),
        "/pricing/scales".into(),
        "/products/new".into(),
        "/employees".into(),
        "/statuses".into(),
        "/company".into(),
        "/mail-settings".into(),
        "/handover".into(),
        "/absences".into(),
    ] {
        c.goto(&format!("{base}{path}")).await.unwrap();
        if c.wait().for_element(Locator::Css("body")).await.is_err() {
            panic!("{path}: {}", c.source().await.unwrap_or_default());
        }
        let w = c
            .execute("return document.documentElement.scrollWidth", vec![])
            .await
            .unwrap();
        if w.as_i64().unwrap() > 390 {
            wide.push(format!("{path} is {w} px wide at 390"));
        }
    }
    assert!(wide.is_empty(), "{wide:#?}");
    c.set_window_size(1280, 900).await.unwrap();

    // One language per page.
    let english = [
        "retail",
        "wholesale",
        "dealer",
        "as-built",
        "login",
        "create",
        "update",
        "Total",
        "Draft",
        "posted",
    ];
    for path in [
        "/audit",
        "/stock",
        "/reports/aging",
        &format!("/sales-orders/{}", d.order),
        "/sales-orders/new",
    ] {
        c.goto(&format!("{base}{path}")).await.unwrap();
        let text = c
            .find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for w in english {
            let found = text
                .split(|ch: char| !ch.is_alphanumeric() && ch != '-')
                .any(|x| x.eq_ignore_ascii_case(w));
            let line = text
                .lines()
                .find(|l| l.to_lowercase().contains(&w.to_lowercase()))
                .unwrap_or("");
            assert!(!found, "«{w}» on the Russian page {path}: {line}");
        }
    }
    c.goto(&format!("{base}/lang?set=en")).await.unwrap();
    let russian = [
        "Итого",
        "Контрагент",
        "Сохранить",
        "Провести",
        "Строка",
        "Остаток",
        "Количество",
    ];
    for path in [
        "/stock",
        "/reports/aging",
        &format!("/sales-orders/{}", d.order),
        "/sales-orders/new",
        "/payments/new",
    ] {
        c.goto(&format!("{base}{path}")).await.unwrap();
        let text = c
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for w in russian {
            assert!(!text.contains(w), "«{w}» on the English page {path}");
        }
    }
    c.close().await.unwrap();
}

fn css(s: String) -> Locator<'static> {
    Locator::Css(Box::leak(s.into_boxed_str()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_refused_shipment_keeps_lines_payment_by_number_serial_scan() {
    let t = TestApp::new(Engine::Sqlite).await.unwrap();
    let s = crate::daily::shop(&t).await;
    let order = t
        .post(
            "/api/v1/sales-orders",
            &t.admin,
            json!({"counterparty_id": s.cp, "lines": [{"product_id": s.drill, "qty": "1"}]}),
        )
        .await
        .id();
    t.send(
        axum::http::Method::POST,
        &format!("/api/v1/sales-orders/{order}/post"),
        &t.admin,
        None,
        &[],
    )
    .await;
    let number = t
        .get(&format!("/api/v1/sales-orders/{order}"), &t.admin)
        .await
        .body["number"]
        .as_str()
        .unwrap()
        .to_string();
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let base = serve(&t).await;
    log_in(&c, &base, "/shipments/new", "admin", ADMIN_PASSWORD).await;
    c.wait()
        .for_element(css(format!(
            "select[name=counterparty_id] option[value='{}']",
            s.cp
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(css(format!(
        "select[name=warehouse_id] option[value='{}']",
        s.wh
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    // Line 1: the pump, its serial ticked from the units in stock.
    let find = c
        .find(Locator::Css("tr[data-row='0'] input[data-pick]"))
        .await
        .unwrap();
    find.send_keys("pump").await.unwrap();
    c.wait()
        .for_element(Locator::Css("ul.opts li"))
        .await
        .unwrap();
    find.send_keys(&Key::Enter.to_string()).await.unwrap();
    c.find(Locator::Css("input[name=l0_qty]"))
        .await
        .unwrap()
        .send_keys("1")
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css(
            "tr[data-row='0'] .units input[value='P-26-002']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let serials = c
        .find(Locator::Css("input[name=l0_serials]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(serials.as_deref(), Some("P-26-002"));
    // Line 2: 1,5 drills — refused, drills are whole.
    let find = c
        .find(Locator::Css("tr[data-row='1'] input[data-pick]"))
        .await
        .unwrap();
    find.send_keys("дрел").await.unwrap();
    c.wait()
        .for_element(Locator::Css("ul.opts li"))
        .await
        .unwrap();
    find.send_keys(&Key::Enter.to_string()).await.unwrap();
    c.find(Locator::Css("input[name=l1_qty]"))
        .await
        .unwrap()
        .send_keys("1,5")
        .await
        .unwrap();
    c.find(Locator::Css("#doc-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let msg = c
        .wait()
        .for_element(Locator::Css("tr[data-row='1'] .err"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(msg.starts_with("Строка 2, Количество:"), "{msg}");
    // Everything typed is still there.
    let v = |name: &'static str| {
        let c = c.clone();
        async move {
            c.find(Locator::Css(name))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap()
                .unwrap_or_default()
        }
    };
    assert_eq!(v("input[name=l0_serials]").await, "P-26-002");
    assert_eq!(v("input[name=l0_find]").await, "PUMP — Насос");
    assert_eq!(v("input[name=l1_find]").await, "DR-1 — Дрель");
    assert_eq!(v("input[name=l1_qty]").await, "1,5");
    // The summary links to the row's message.
    c.find(Locator::Css("#refusal a[href='#err-lines-1--qty']"))
        .await
        .unwrap();

    // A payment names its order by typing part of the number.
    c.goto(&format!("{base}/payments/new")).await.unwrap();
    c.wait()
        .for_element(css(format!(
            "select[name=counterparty_id] option[value='{}']",
            s.cp
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("input[name=amount]"))
        .await
        .unwrap()
        .send_keys("1000")
        .await
        .unwrap();
    let o = c.find(Locator::Css("input[name=order_id]")).await.unwrap();
    o.send_keys(number.rsplit('-').next().unwrap())
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("ul.opts li"))
        .await
        .unwrap();
    o.send_keys(&Key::Enter.to_string()).await.unwrap();
    assert_eq!(
        o.prop("value").await.unwrap().as_deref(),
        Some(number.as_str())
    );
    c.find(Locator::Css("main form button[type=submit].btn"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let link = c
        .wait()
        .for_element(css(format!("a[href='/sales-orders/{order}']")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(link, number);

    // A scanner in the Russian layout: «З-26-001» is P-26-001.
    let scan = c
        .find(Locator::Css("header form.serial input"))
        .await
        .unwrap();
    scan.send_keys("З-26-001").await.unwrap();
    scan.send_keys(&Key::Enter.to_string()).await.unwrap();
    c.wait()
        .for_element(Locator::XPath("//h1[contains(., 'P-26-001')]"))
        .await
        .unwrap();
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_scan_fills_the_next_free_row() {
    let t = TestApp::new(Engine::Sqlite).await.unwrap();
    let s = crate::daily::shop(&t).await;
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let base = serve(&t).await;
    log_in(&c, &base, "/shipments/new", "admin", ADMIN_PASSWORD).await;
    for (name, value) in [("counterparty_id", &s.cp), ("warehouse_id", &s.wh)] {
        c.wait()
            .for_element(css(format!("select[name={name}] option[value='{value}']")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    let value = |sel: String| {
        let c = c.clone();
        async move {
            for _ in 0..50 {
                if let Ok(e) = c.find(css(sel.clone())).await {
                    let v = e.prop("value").await.unwrap().unwrap_or_default();
                    if !v.is_empty() {
                        return v;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            String::new()
        }
    };
    let scan = c.find(Locator::Css("input[data-scan]")).await.unwrap();
    // The first unit, typed in lower case: the first row takes it.
    scan.send_keys("p-26-001").await.unwrap();
    scan.send_keys(&Key::Enter.to_string()).await.unwrap();
    assert_eq!(value("input[name=l0_serials]".into()).await, "P-26-001");
    assert_eq!(value("input[name=l0_find]".into()).await, "PUMP — Насос");
    assert_eq!(value("input[name=l0_qty]".into()).await, "1");
    // The second, scanned in the Russian layout: row 1 has no slot left
    // (one serial for a quantity of one), so the next free row takes it.
    scan.send_keys("З-26-002").await.unwrap();
    scan.send_keys(&Key::Enter.to_string()).await.unwrap();
    assert_eq!(value("input[name=l1_serials]".into()).await, "P-26-002");
    assert_eq!(value("input[name=l1_product]".into()).await, s.pump);
    assert_eq!(
        value("input[name=l0_serials]".into()).await,
        "P-26-001",
        "row 1 unchanged"
    );
    // The same unit twice is not taken twice.
    scan.send_keys("P-26-002").await.unwrap();
    scan.send_keys(&Key::Enter.to_string()).await.unwrap();
    let msg = text_when(&c, ".scan-msg", |m| m.contains("уже")).await;
    assert!(msg.contains("уже в строке 2"), "{msg}");
    // Enter in the scan box never sent the form.
    assert!(c
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/shipments/new"));
    c.find(Locator::Css("#doc-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//button[text()='Провести']"))
        .await
        .unwrap();
    let url = c.current_url().await.unwrap();
    let id = url.path().rsplit('/').next().unwrap().to_string();
    let sh = t.get(&format!("/api/v1/shipments/{id}"), &t.admin).await;
    let lines = sh.body["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{}", sh.text);

    // A refused product form: what was typed is back and the message sits
    // under its own field; the summary's link leads there.
    c.goto(&format!("{base}/products/new")).await.unwrap();
    let sku = c
        .wait()
        .for_element(Locator::Css("input[name=sku]"))
        .await
        .unwrap();
    sku.send_keys("NEW-77").await.unwrap();
    c.find(Locator::Css("form.grid button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("#refusal a[href='#err-name']"))
        .await
        .unwrap();
    let placed = c
        .execute(
            "const e = document.getElementById('err-name'); return !!e && !!e.parentNode.querySelector('input[name=name]');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(placed, serde_json::Value::Bool(true));
    let kept = c
        .find(Locator::Css("input[name=sku]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("NEW-77"));
    c.close().await.unwrap();
}
