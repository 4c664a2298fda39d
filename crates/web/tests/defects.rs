//! Honest defect statistics on both engines: a failure is charged to the
//! lots in the unit when it failed (not to a part fitted by that repair), and
//! categories that are not product failures (misuse) stay out of the rates.

use axum::http::{Method, StatusCode};
use kupets_testkit::{both_engines, TestApp};
use serde_json::{json, Value};

async fn created(t: &TestApp, path: &str, body: Value) -> String {
    let r = t.post(path, &t.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.id()
}

async fn ok(t: &TestApp, path: &str, body: Value) -> Value {
    let r = t.post(path, &t.admin, body).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.body
}

async fn post(t: &TestApp, path: &str) {
    let r = t.send(Method::POST, path, &t.admin, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
}

async fn stats(t: &TestApp) -> Value {
    let r = t
        .get(
            "/api/v1/reports/defects?from=2026-01-01&to=2026-12-31",
            &t.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// (repairs, failures, shipped, rate) of the row `key` of `table`.
fn of(s: &Value, table: &str, key: &str) -> Option<(i64, i64, i64, String)> {
    s[table]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .map(|r| {
            (
                r["repairs"].as_i64().unwrap(),
                r["failures"].as_i64().unwrap(),
                r["shipped"].as_i64().unwrap_or(-1),
                r["failure_rate"].as_str().unwrap_or("").to_string(),
            )
        })
}

/// Opens a repair of `serial` on `date` in `category`, fitting the parts.
async fn repair(t: &TestApp, wh: &str, serial: &str, date: &str, category: &str, parts: &[Value]) {
    let rid = created(
        t,
        "/api/v1/repairs",
        json!({"serial": serial, "date": date, "warehouse_id": wh}),
    )
    .await;
    let r = t
        .put(
            &format!("/api/v1/repairs/{rid}"),
            &t.admin,
            json!({ "defect_category_id": category }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for st in ["diagnosis", "in_repair"] {
        ok(
            t,
            &format!("/api/v1/repairs/{rid}/state"),
            json!({ "state": st }),
        )
        .await;
    }
    for p in parts {
        ok(t, &format!("/api/v1/repairs/{rid}/parts"), p.clone()).await;
    }
    for st in ["ready", "handed_back"] {
        ok(
            t,
            &format!("/api/v1/repairs/{rid}/state"),
            json!({ "state": st }),
        )
        .await;
    }
}

both_engines!(
    defect_rates_charge_the_parts_that_failed,
    |t: TestApp| async move {
        let wh = created(&t, "/api/v1/warehouses", json!({"name": "Цех"})).await;
        let dryer = created(
            &t,
            "/api/v1/products",
            json!({"sku": "FEN", "name": "Фен", "serial_tracked": true, "warranty_months": "12"}),
        )
        .await;
        let heater = created(
            &t,
            "/api/v1/products",
            json!({"sku": "HEAT", "name": "Нагреватель"}),
        )
        .await;
        t.set_retail(&dryer, "2025-01-01", "3000").await;
        let supplier = created(
            &t,
            "/api/v1/counterparties",
            json!({"name": "Поставщик", "kind": "supplier"}),
        )
        .await;
        let customer = created(&t, "/api/v1/counterparties", json!({"name": "Клиент"})).await;
        let rc = created(
            &t,
            "/api/v1/receipts",
            json!({"counterparty_id": supplier, "warehouse_id": wh, "date": "2026-01-10",
        "lines": [{"product_id": heater, "qty": "10", "price": "100"}]}),
        )
        .await;
        post(&t, &format!("/api/v1/receipts/{rc}/post")).await;
        let d = created(
            &t,
            "/api/v1/productions",
            json!({"product_id": dryer, "warehouse_id": wh, "date": "2026-01-15", "batch": "B1",
        "units": [{"serial": "F-1"}, {"serial": "F-2"}],
        "components_per_unit": [{"product_id": heater, "lot": "H-1", "qty": "1"}]}),
        )
        .await;
        post(&t, &format!("/api/v1/productions/{d}/post")).await;
        let sh = created(
            &t,
            "/api/v1/shipments",
            json!({"counterparty_id": customer, "warehouse_id": wh, "date": "2026-02-01",
        "lines": [{"product_id": dryer, "qty": "2", "serials": ["F-1", "F-2"]}]}),
        )
        .await;
        post(&t, &format!("/api/v1/shipments/{sh}/post")).await;
        let cats = t.get("/api/v1/defect-categories", &t.admin).await.body;
        let cat = |code: &str| -> (String, bool) {
            let c = cats
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["code"] == code)
                .unwrap_or_else(|| panic!("{code}"));
            (
                c["id"].as_str().unwrap().to_string(),
                c["counts_as_failure"].as_bool().unwrap(),
            )
        };
        // By default misuse, transport damage and "no fault found" do not count.
        assert!(cat("electrical").1);
        assert!(!cat("misuse").1 && !cat("no_fault").1 && !cat("transport").1);
        let (electrical, misuse) = (cat("electrical").0, cat("misuse").0);

        // F-1 fails; the repair fits a heater of lot H-2 in place of the H-1 one.
        repair(
            &t,
            &wh,
            "F-1",
            "2026-03-01",
            &electrical,
            &[json!({"product_id": heater, "lot": "H-2", "replaces_lot": "H-1"})],
        )
        .await;
        let s = stats(&t).await;
        assert_eq!(of(&s, "by_lot", "H-1"), Some((1, 1, 2, "50".into())), "{s}");
        assert_eq!(
            of(&s, "by_lot", "H-2"),
            None,
            "the part fitted by the repair is not charged with it"
        );
        // F-1 fails again: now H-2 was in it, H-1 was not.
        repair(&t, &wh, "F-1", "2026-06-01", &electrical, &[]).await;
        let s = stats(&t).await;
        assert_eq!(of(&s, "by_lot", "H-1"), Some((1, 1, 2, "50".into())));
        assert_eq!(of(&s, "by_lot", "H-2"), Some((1, 1, 1, "100".into())));
        // F-2 dropped by the client: a repair, not a product failure.
        repair(&t, &wh, "F-2", "2026-07-01", &misuse, &[]).await;
        let s = stats(&t).await;
        assert_eq!(
            (s["repairs"].as_i64(), s["failures"].as_i64()),
            (Some(3), Some(2))
        );
        assert_eq!(of(&s, "by_product", &dryer), Some((3, 2, 2, "100".into())));
        assert_eq!(of(&s, "by_lot", "H-1"), Some((2, 1, 2, "50".into())));
        assert_eq!(of(&s, "by_month", "2026-01"), Some((3, 2, 2, "100".into())));
        let m = s["by_category"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == "misuse")
            .unwrap()
            .clone();
        assert_eq!(
            (m["repairs"].as_i64(), m["failures"].as_i64()),
            (Some(1), Some(0))
        );
        assert_eq!(m["counts_as_failure"], false);
        assert!(s["not_counted_ru"]
            .as_array()
            .unwrap()
            .contains(&json!("Нарушение эксплуатации")));

        // A head may count misuse after all; the rates follow, and back.
        let r = t
            .put(
                &format!("/api/v1/defect-categories/{misuse}"),
                &t.admin,
                json!({"counts_as_failure": "true"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["counts_as_failure"], true);
        let s = stats(&t).await;
        assert_eq!(of(&s, "by_product", &dryer), Some((3, 3, 2, "150".into())));
        let r = t
            .put(
                &format!("/api/v1/defect-categories/{misuse}"),
                &t.admin,
                json!({"counts_as_failure": false}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            of(&stats(&t).await, "by_product", &dryer),
            Some((3, 2, 2, "100".into()))
        );
        // Refusals: nonsense, no such category, not a head.
        let r = t
            .put(
                &format!("/api/v1/defect-categories/{misuse}"),
                &t.admin,
                json!({"counts_as_failure": "maybe"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.error_fields(), vec!["counts_as_failure"]);
        let r = t
            .put(
                "/api/v1/defect-categories/999999",
                &t.admin,
                json!({"counts_as_failure": "true"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let eng = t.user("eng", "service_engineer").await;
        let r = t
            .put(
                &format!("/api/v1/defect-categories/{misuse}"),
                &eng,
                json!({"counts_as_failure": "true"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // The page says what counts, in Russian and English.
        let cookie = crate::pages::web_login(&t, "admin", kupets_testkit::ADMIN_PASSWORD).await;
        let page = t
            .page("/reports/defects?from=2026-01-01&to=2026-12-31", &cookie)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text
                .contains("Не считаются отказом изделия: Нарушение эксплуатации"),
            "{}",
            page.text
        );
        assert!(page
            .text
            .contains("не к деталям, установленным этим ремонтом"));
        let csrf = crate::pages::csrf_of(&page.text);
        let r = t
            .form(
                &format!("/defect-categories/{misuse}"),
                &cookie,
                &[("csrf", &csrf), ("counts_as_failure", "true")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        assert_eq!(stats(&t).await["failures"], 3);
        let page = t
            .page(
                "/reports/defects?from=2026-01-01&to=2026-12-31",
                &format!("{cookie}; lang=en"),
            )
            .await;
        assert!(
            page.text.contains("Not counted as product failures"),
            "{}",
            page.text
        );
    }
);
