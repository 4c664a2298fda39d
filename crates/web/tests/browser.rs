//! A real browser (Debian's headless Chromium through chromedriver) logs in
//! and creates a counterparty through the pages.

use fantoccini::{ClientBuilder, Locator};
use kupets_testkit::{Engine, TestApp, ADMIN_PASSWORD};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Driver(Child);
impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts chromedriver, or says why not. In CI a missing browser is a failure.
pub async fn start_browser() -> Option<(Driver, fantoccini::Client)> {
    let driver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(driver) = driver else {
        if std::env::var("CI").is_ok() || std::env::var("KUPETS_REQUIRE_BROWSER").is_ok() {
            panic!("chromedriver is required (apt-get install chromium chromium-driver)");
        }
        eprintln!("chromedriver not installed: browser test skipped (apt-get install chromium chromium-driver)");
        return None;
    };
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let guard = Driver(child);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=ru"]
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        let conn = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(conn)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => return Some((guard, c)),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("chromedriver did not answer on {url}");
}

/// Serves the test app on a free port; its base URL.
pub async fn serve(t: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = t.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

/// Logs in through the login page and lands on `next`.
pub async fn log_in(c: &fantoccini::Client, base: &str, next: &str, login: &str, password: &str) {
    c.goto(&format!("{base}/login?next={next}")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("input[name=login]"))
        .await
        .unwrap()
        .send_keys(login)
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    c.find(Locator::Css("main button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_logs_in_and_creates_a_counterparty() {
    let t = TestApp::new(Engine::Sqlite).await.unwrap();
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let base = serve(&t).await;

    c.goto(&format!("{base}/counterparties")).await.unwrap();
    // Not logged in: the login page, then back where we wanted to go.
    let login = c
        .wait()
        .for_element(Locator::Css("input[name=login]"))
        .await
        .unwrap();
    assert!(c.current_url().await.unwrap().as_str().contains("/login"));
    login.send_keys("admin").await.unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(ADMIN_PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Each wait below is for the page a click navigates to.
    let new = c
        .wait()
        .for_element(Locator::LinkText("+ Новый контрагент"))
        .await
        .unwrap();
    assert!(c
        .current_url()
        .await
        .unwrap()
        .as_str()
        .ends_with("/counterparties"));
    assert_eq!(c.title().await.unwrap(), "Контрагенты — kupets");

    new.click().await.unwrap();
    let name = c
        .wait()
        .for_element(Locator::Css("input[name=name]"))
        .await
        .unwrap();
    name.send_keys("ООО «Браузер»").await.unwrap();
    // First a wrong INN: the form says so and keeps what was typed.
    c.find(Locator::Css("input[name=inn]"))
        .await
        .unwrap()
        .send_keys("7707083894")
        .await
        .unwrap();
    c.find(Locator::Css("form.grid button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let err = c.wait().for_element(Locator::Css("div.err")).await.unwrap();
    assert_eq!(err.text().await.unwrap(), "Неверное контрольное число ИНН");
    let inn = c.find(Locator::Css("input[name=inn]")).await.unwrap();
    assert_eq!(
        c.find(Locator::Css("input[name=name]"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("ООО «Браузер»")
    );
    inn.clear().await.unwrap();
    inn.send_keys("7707083893").await.unwrap();
    c.find(Locator::Css("select[name=kind] option[value=both]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("form.grid button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = c.wait().for_element(Locator::Css("div.ok")).await.unwrap();
    assert_eq!(notice.text().await.unwrap(), "Сохранено.");
    assert_eq!(
        c.find(Locator::Css("h1"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ООО «Браузер»"
    );

    // And it is really there, as the API sees it.
    let r = t.get("/api/v1/counterparties?q=7707083893", &t.admin).await;
    assert_eq!(r.body["items"][0]["name"], "ООО «Браузер»");
    assert_eq!(r.body["items"][0]["kind"], "both");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_orders_ships_part_and_sees_remainder_and_balance() {
    let t = TestApp::new(Engine::Sqlite).await.unwrap();
    let a = &t.admin;
    let wh = t
        .post(
            "/api/v1/warehouses",
            a,
            serde_json::json!({"name": "Основной"}),
        )
        .await
        .id();
    let drill = t
        .post(
            "/api/v1/products",
            a,
            serde_json::json!({"sku": "DR-1", "name": "Дрель DR-1"}),
        )
        .await
        .id();
    let cp = t
        .post(
            "/api/v1/counterparties",
            a,
            serde_json::json!({"name": "ООО «Строй»"}),
        )
        .await
        .id();
    let sup = t
        .post(
            "/api/v1/counterparties",
            a,
            serde_json::json!({"name": "АО «Завод»", "kind": "supplier"}),
        )
        .await
        .id();
    // The order's price comes from the retail price: 1 000,00.
    t.set_retail(&drill, "2025-01-01", "1000").await;
    let rc = t.post("/api/v1/receipts", a, serde_json::json!({"counterparty_id": sup, "warehouse_id": wh, "lines": [{"product_id": drill, "qty": "10", "price": "600"}]})).await.id();
    t.send(
        axum::http::Method::POST,
        &format!("/api/v1/receipts/{rc}/post"),
        a,
        None,
        &[],
    )
    .await;

    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let base = serve(&t).await;
    let css = |s: String| Locator::Css(Box::leak(s.into_boxed_str()));

    log_in(&c, &base, "/sales-orders/new", "admin", ADMIN_PASSWORD).await;
    // A new order: 5 drills, priced at retail 1 000,00.
    c.wait()
        .for_element(css(format!(
            "select[name=counterparty_id] option[value='{cp}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The product by typing part of its name: the list opens, Enter picks.
    let find = c.find(Locator::Css("input[name=l0_find]")).await.unwrap();
    find.send_keys("дрел").await.unwrap();
    c.wait()
        .for_element(Locator::Css("ul.opts li"))
        .await
        .unwrap();
    find.send_keys("\u{E007}").await.unwrap();
    let picked = c
        .find(Locator::Css("input[name=l0_product]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(picked.as_deref(), Some(drill.as_str()));
    c.find(Locator::Css("input[name=l0_qty]"))
        .await
        .unwrap()
        .send_keys("5")
        .await
        .unwrap();
    // Price and total from the pricing engine before saving.
    let mut total = String::new();
    for _ in 0..50 {
        total = c
            .find(Locator::Css(".q-total"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if total.starts_with("5") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // WebDriver reads no-break spaces as spaces.
    assert_eq!(total, "5 000,00 ₽");
    c.find(Locator::Css("#doc-form button[type=submit]"))
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
    // Posted: ship part of it.
    c.wait()
        .for_element(Locator::LinkText("Отгрузить"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(css(format!(
            "select[name=warehouse_id] option[value='{wh}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let qty = c.find(Locator::Css("input[name=l0_qty]")).await.unwrap();
    assert_eq!(
        qty.prop("value").await.unwrap().as_deref(),
        Some("5"),
        "prefilled with what remains"
    );
    qty.clear().await.unwrap();
    qty.send_keys("2").await.unwrap();
    c.find(Locator::Css("button[type=submit].btn"))
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
        .for_element(Locator::Css("span.tag.posted"))
        .await
        .unwrap();
    // The order shows 3 remaining (after retail, discount, price, amount,
    // VAT and fulfilled); the customer owes 2 000,00.
    c.find(Locator::XPath(
        "//dt[text()='Заказ']/following-sibling::dd/a",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let remaining = c
        .wait()
        .for_element(Locator::XPath(
            "//table[contains(@class,'list')]//tr[2]/td[10]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(remaining.starts_with('3'), "remaining {remaining}");
    assert!(c.source().await.unwrap().contains("исполнен частично"));
    c.goto(&format!("{base}/counterparties/{cp}"))
        .await
        .unwrap();
    let balance = c
        .wait()
        .for_element(Locator::XPath(
            "//dt[text()='Сальдо взаиморасчётов']/following-sibling::dd/b",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(balance, "2 000,00 ₽");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_manager_sets_a_reminder_and_sees_it_today() {
    let t = TestApp::new(Engine::Sqlite).await.unwrap();
    let a = &t.admin;
    let mgr = t.user("mgr", "manager").await;
    // The manager's own client: its orders are the manager's.
    let cp = t
        .post(
            "/api/v1/counterparties",
            &mgr,
            serde_json::json!({"name": "ООО «Напоминание»"}),
        )
        .await
        .id();
    let pump = t
        .post(
            "/api/v1/products",
            a,
            serde_json::json!({"sku": "PUMP-1", "name": "Насос"}),
        )
        .await
        .id();
    t.set_retail(&pump, "2025-01-01", "5000").await;
    let order = t
        .post(
            "/api/v1/sales-orders",
            &mgr,
            serde_json::json!({"counterparty_id": cp, "lines": [{"product_id": pump, "qty": "1"}]}),
        )
        .await;
    assert_eq!(order.status.as_u16(), 201, "{}", order.text);
    let (order_id, number) = (
        order.id(),
        order.body["number"].as_str().unwrap().to_string(),
    );

    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let base = serve(&t).await;

    log_in(
        &c,
        &base,
        &format!("/sales-orders/{order_id}"),
        "mgr",
        "password-123",
    )
    .await;
    // On the order: status "Напомнить" from today with a note.
    c.wait()
        .for_element(Locator::XPath(
            "//select[@name='status_id']/option[starts-with(text(),'Напомнить')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("input[name=note]"))
        .await
        .unwrap()
        .send_keys("Предложить сервисный комплект")
        .await
        .unwrap();
    c.find(Locator::XPath("//button[text()='Установить статус']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath(
            "//span[contains(@class,'tag') and text()='текущий']",
        ))
        .await
        .unwrap();
    // Today, from the menu: the reminder with its note and the order.
    c.find(Locator::LinkText("Сегодня"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let row = c
        .wait()
        .for_element(Locator::Css("table.reminders tr:nth-child(2)"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(row.contains("Предложить сервисный комплект"), "{row}");
    assert!(row.contains(&number), "{row}");
    assert!(row.contains("сегодня"), "{row}");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_scans_a_serial_opens_its_card_and_starts_a_repair() {
    let t = TestApp::new(Engine::Sqlite).await.unwrap();
    let a = &t.admin;
    let wh = t
        .post(
            "/api/v1/warehouses",
            a,
            serde_json::json!({"name": "Сервисный склад"}),
        )
        .await
        .id();
    let pump = t
        .post(
            "/api/v1/products",
            a,
            serde_json::json!({"sku": "PMP", "name": "Насос", "serial_tracked": true, "warranty_months": "12"}),
        )
        .await
        .id();
    let made = t
        .post(
            "/api/v1/productions",
            a,
            serde_json::json!({"product_id": pump, "warehouse_id": wh, "units": [{"serial": "SCAN-001"}]}),
        )
        .await;
    assert_eq!(made.status.as_u16(), 201, "{}", made.text);
    let p = t
        .send(
            axum::http::Method::POST,
            &format!("/api/v1/productions/{}/post", made.id()),
            a,
            None,
            &[],
        )
        .await;
    assert_eq!(p.status.as_u16(), 200, "{}", p.text);

    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let base = serve(&t).await;
    log_in(&c, &base, "/today", "admin", ADMIN_PASSWORD).await;
    // The scanner types the serial and Enter into the header's box.
    let scan = c
        .wait()
        .for_element(Locator::Css("header form.serial input[name=serial]"))
        .await
        .unwrap();
    scan.send_keys(&format!(
        "SCAN-001{}",
        char::from(fantoccini::key::Key::Enter)
    ))
    .await
    .unwrap();
    let h1 = c
        .wait()
        .for_element(Locator::XPath("//h1[contains(text(),'SCAN-001')]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(h1.contains("Насос"), "{h1}");
    assert!(c.source().await.unwrap().contains("Произведён"));
    // Start a repair from the card.
    c.find(Locator::Css("input[name=complaint]"))
        .await
        .unwrap()
        .send_keys("Не включается")
        .await
        .unwrap();
    c.find(Locator::XPath("//button[text()='Принять в ремонт']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let h1 = c
        .wait()
        .for_element(Locator::XPath("//h1[starts-with(text(),'Ремонт')]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(h1.contains("Принят"), "{h1}");
    assert!(c.source().await.unwrap().contains("Не включается"));
    let list = t.get("/api/v1/repairs", a).await;
    assert_eq!(list.body[0]["serial"], "SCAN-001");
    assert_eq!(list.body[0]["state"], "received");
    c.close().await.unwrap();
}

/// Logs out and waits for the login page the logout leads to, so the next
/// navigation cannot overtake the logout (and its cookie) in flight.
async fn log_out(c: &fantoccini::Client) {
    click(c, "//form[@action='/logout']//button").await;
    c.wait()
        .for_element(Locator::Css("input[name=login]"))
        .await
        .expect("the login page after logging out");
}

/// Clicks the first element matching an XPath, waiting for it.
async fn click(c: &fantoccini::Client, xpath: &str) {
    c.wait()
        .for_element(Locator::XPath(xpath))
        .await
        .unwrap_or_else(|e| panic!("{xpath}: {e}"))
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_storekeeper_ships_manager_is_reminded_then_hand_over() {
    let t = TestApp::new(Engine::Sqlite).await.unwrap();
    let a = &t.admin;
    let mgr = t.user("ivanova", "manager").await;
    let _heir = t.user("petrov", "manager").await;
    let store = t.user("store", "storekeeper").await;
    let cp = t
        .post(
            "/api/v1/counterparties",
            &mgr,
            serde_json::json!({"name": "ООО «Сервис»"}),
        )
        .await
        .id();
    let wh = t
        .post(
            "/api/v1/warehouses",
            a,
            serde_json::json!({"name": "Склад"}),
        )
        .await
        .id();
    let pump = t
        .post(
            "/api/v1/products",
            a,
            serde_json::json!({"sku": "PUMP-9", "name": "Насос"}),
        )
        .await
        .id();
    t.set_retail(&pump, "2025-01-01", "5000").await;
    let sup = t
        .post(
            "/api/v1/counterparties",
            a,
            serde_json::json!({"name": "Завод", "kind": "supplier"}),
        )
        .await
        .id();
    let rc = t.post("/api/v1/receipts", a, serde_json::json!({"counterparty_id": sup, "warehouse_id": wh, "lines": [{"product_id": pump, "qty": "5", "price": "100"}]})).await.id();
    let r = t
        .send(
            axum::http::Method::POST,
            &format!("/api/v1/receipts/{rc}/post"),
            a,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    // The storekeeper's draft shipment; posting happens on the page.
    let sh = t.post("/api/v1/shipments", &store, serde_json::json!({"counterparty_id": cp, "warehouse_id": wh, "lines": [{"product_id": pump, "qty": "1"}]})).await;
    assert_eq!(sh.status.as_u16(), 201, "{}", sh.text);
    let (sh_id, number) = (sh.id(), sh.body["number"].as_str().unwrap().to_string());

    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let base = serve(&t).await;
    log_in(
        &c,
        &base,
        &format!("/shipments/{sh_id}"),
        "store",
        "password-123",
    )
    .await;
    click(&c, "//button[text()='Провести']").await;
    c.wait()
        .for_element(Locator::XPath(
            "//span[contains(@class,'tag') and contains(text(),'Проведён')]",
        ))
        .await
        .unwrap();
    // The responsible is the client's manager, not the storekeeper.
    let resp = c
        .find(Locator::Css("div.responsible"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(resp.contains("Сотрудник ivanova"), "{resp}");
    log_out(&c).await;

    // The manager sets «Напомнить» with a note and sees it on Today.
    log_in(
        &c,
        &base,
        &format!("/shipments/{sh_id}"),
        "ivanova",
        "password-123",
    )
    .await;
    click(
        &c,
        "//select[@name='status_id']/option[starts-with(text(),'Напомнить')]",
    )
    .await;
    c.find(Locator::Css("input[name=note]"))
        .await
        .unwrap()
        .send_keys("Через год — ТО насоса")
        .await
        .unwrap();
    click(&c, "//button[text()='Установить статус']").await;
    c.wait()
        .for_element(Locator::XPath(
            "//span[contains(@class,'tag') and text()='текущий']",
        ))
        .await
        .unwrap();
    c.find(Locator::LinkText("Сегодня"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let row = c
        .wait()
        .for_element(Locator::Css("table.reminders tr:nth-child(2)"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(row.contains("Через год — ТО насоса"), "{row}");
    assert!(row.contains(&number), "{row}");
    log_out(&c).await;

    // The admin previews ivanova's hand-over to petrov, then confirms.
    log_in(&c, &base, "/handover", "admin", ADMIN_PASSWORD).await;
    click(
        &c,
        "//select[@name='from_employee_id']/option[text()='Сотрудник ivanova']",
    )
    .await;
    click(
        &c,
        "//select[@name='to_employee_id']/option[text()='Сотрудник petrov']",
    )
    .await;
    click(&c, "//button[text()='Что будет передано']").await;
    let group = c
        .wait()
        .for_element(Locator::Css("div.receiver"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(group.contains("Получает Сотрудник petrov"), "{group}");
    assert!(group.contains("ООО «Сервис»"), "{group}");
    assert!(group.contains("Через год — ТО насоса"), "{group}");
    c.find(Locator::Css("form.confirm input[name=confirm]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(
        &c,
        "//form[contains(@class,'confirm')]//button[text()='Передать']",
    )
    .await;
    let done = c
        .wait()
        .for_element(Locator::Css("div.alert.ok"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(done.contains("Передано: контрагентов 1"), "{done}");
    c.close().await.unwrap();
    // The shipment and its reminder are petrov's now.
    let petrov = t.login("petrov", "password-123").await;
    let today = t.get("/api/v1/today", &petrov).await;
    assert_eq!(
        today.body["reminders"][0]["document_id"],
        sh_id.as_str(),
        "{}",
        today.text
    );
}
