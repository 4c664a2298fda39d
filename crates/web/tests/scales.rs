//! Discount scales per client on both engines: clients on different
//! cumulative scales, withheld, and on the default (with the setting that
//! names it), a volume set, kopeck-exact quotes with the winner named, and
//! every refusal.

use axum::http::{Method, StatusCode};
use kupets_testkit::{both_engines, TestApp};
use serde_json::{json, Value};

async fn created(t: &TestApp, path: &str, body: Value) -> String {
    let r = t.post(path, &t.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.id()
}

async fn posted(t: &TestApp, path: &str, body: Value) {
    let id = created(t, path, body).await;
    let p = t
        .send(
            Method::POST,
            &format!("{path}/{id}/post"),
            &t.admin,
            None,
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text);
}

/// The scale of a kind named `name`.
async fn scale(t: &TestApp, kind: &str, name: &str) -> String {
    let r = t
        .get(&format!("/api/v1/discount-scales?kind={kind}"), &t.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {}", r.text))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// (final price, amount, VAT, winner kind, why) of 3 drills for `cp`.
async fn drills(t: &TestApp, cp: &str, drill: &str) -> (String, String, String, String, String) {
    let r = t
        .post(
            "/api/v1/price-quote",
            &t.admin,
            json!({"counterparty_id": cp, "date": "2026-03-10", "lines": [{"product_id": drill, "qty": "3"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let l = &r.body["lines"][0];
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    (
        s(&l["final_price"]),
        s(&l["amount"]),
        s(&l["vat"]),
        s(&l["rule"]["kind"]),
        s(&l["rule"]["why_ru"]),
    )
}

both_engines!(clients_on_their_own_scales, |t: TestApp| async move {
    let wh = created(&t, "/api/v1/warehouses", json!({"name": "Склад"})).await;
    let drill = created(
        &t,
        "/api/v1/products",
        json!({"sku": "DR-1", "name": "Дрель", "vat_rate": "22"}),
    )
    .await;
    let bulk = created(
        &t,
        "/api/v1/products",
        json!({"sku": "M-1", "name": "Материал", "vat_rate": "22"}),
    )
    .await;
    t.set_retail(&drill, "2026-01-01", "10000").await;
    t.set_retail(&bulk, "2025-01-01", "1000").await;
    let supplier = created(
        &t,
        "/api/v1/counterparties",
        json!({"name": "Завод", "kind": "supplier"}),
    )
    .await;
    posted(&t, "/api/v1/receipts", json!({"counterparty_id": supplier, "warehouse_id": wh, "date": "2025-01-01",
        "lines": [{"product_id": bulk, "qty": "10000", "price": "500"}, {"product_id": drill, "qty": "100", "price": "5000"}]})).await;
    let mut cps = Vec::new();
    for name in ["Дилер", "Стандарт", "Новичок", "Без скидки"] {
        let cp = created(&t, "/api/v1/counterparties", json!({ "name": name })).await;
        // 150 000,00 of purchases each, before any rule exists.
        posted(
            &t,
            "/api/v1/shipments",
            json!({"counterparty_id": cp, "warehouse_id": wh, "date": "2026-02-01",
            "lines": [{"product_id": bulk, "qty": "150"}]}),
        )
        .await;
        cps.push(cp);
    }
    let (dealer_cp, std_cp, new_cp, none_cp) = (&cps[0], &cps[1], &cps[2], &cps[3]);

    // The existing rules were the default scale and set.
    let standard = scale(&t, "cumulative", "Стандартная").await;
    let std_set = scale(&t, "volume", "Стандартный").await;
    let r = t.get("/api/v1/settings", &t.admin).await;
    let setting = |k: &str| {
        r.body
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == k)
            .unwrap()["value"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(setting("default_cumulative_scale"), standard);
    assert_eq!(setting("default_volume_scale"), std_set);

    // Thresholds without a scale go on the default one.
    let r = t
        .post(
            "/api/v1/cumulative-thresholds",
            &t.admin,
            json!({"amount": "100000", "pct": "3"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["scale_id"], standard.as_str());
    assert_eq!(r.body["scale_name"], "Стандартная");
    let std_low = r.id();
    created(
        &t,
        "/api/v1/cumulative-thresholds",
        json!({"amount": "500000", "pct": "7", "scale_id": standard}),
    )
    .await;
    let dealer = created(
        &t,
        "/api/v1/discount-scales",
        json!({"kind": "cumulative", "name": "Дилерская"}),
    )
    .await;
    // The same amount on another scale is fine.
    created(
        &t,
        "/api/v1/cumulative-thresholds",
        json!({"amount": "100000", "pct": "10", "scale_id": dealer}),
    )
    .await;
    created(
        &t,
        "/api/v1/cumulative-thresholds",
        json!({"amount": "1000000", "pct": "15", "scale_id": dealer}),
    )
    .await;
    let dealer_set = created(
        &t,
        "/api/v1/discount-scales",
        json!({"kind": "volume", "name": "Дилерский набор"}),
    )
    .await;
    created(
        &t,
        "/api/v1/volume-rules",
        json!({"days": "90", "amount": "100000", "pct": "11", "scale_id": dealer_set}),
    )
    .await;
    created(
        &t,
        "/api/v1/promotions",
        json!({"name": "Весна", "date_from": "2026-03-01", "date_to": "2026-03-31", "pct": "2"}),
    )
    .await;

    // Give the scales.
    let r = t
        .put(
            &format!("/api/v1/counterparties/{dealer_cp}/discount-scales"),
            &t.admin,
            json!({"cumulative_scale_id": dealer, "volume_scale_id": dealer_set}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["cumulative"]["mode"], "scale");
    assert_eq!(r.body["cumulative"]["effective_name"], "Дилерская");
    assert_eq!(r.body["volume"]["effective_name"], "Дилерский набор");
    let r = t
        .put(
            &format!("/api/v1/counterparties/{std_cp}/discount-scales"),
            &t.admin,
            json!({"cumulative_scale_id": standard}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t
        .put(
            &format!("/api/v1/counterparties/{none_cp}/discount-scales"),
            &t.admin,
            json!({"cumulative_scale_id": "none", "volume_scale_id": "none"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["cumulative"]["mode"], "none");
    assert!(r.body["cumulative"]["effective_name"].is_null());
    let r = t
        .get(
            &format!("/api/v1/counterparties/{new_cp}/discount-scales"),
            &t.admin,
        )
        .await;
    assert_eq!(r.body["cumulative"]["mode"], "default");
    assert_eq!(r.body["cumulative"]["effective_name"], "Стандартная");

    // Dealer: cumulative 10 % on its scale, but its volume set's 11 % wins:
    // 10 000,00 − 11 % = 8 900,00 × 3 = 26 700,00, VAT 22/122 = 4 814,75.
    let q = drills(&t, dealer_cp, &drill).await;
    assert_eq!(
        (q.0.as_str(), q.1.as_str(), q.2.as_str(), q.3.as_str()),
        ("8900.00", "26700.00", "4814.75", "volume")
    );
    assert!(q.4.contains("набор «Дилерский набор»"), "{}", q.4);
    let r = t.post("/api/v1/price-quote", &t.admin, json!({"counterparty_id": dealer_cp, "date": "2026-03-10", "lines": [{"product_id": drill, "qty": "3"}]})).await;
    assert_eq!(r.body["cumulative_scale"], "Дилерская");
    assert_eq!(r.body["volume_scale"], "Дилерский набор");
    let lost = &r.body["lines"][0]["lost"];
    assert_eq!(lost[0]["kind"], "cumulative");
    assert_eq!(lost[0]["pct"], "10");
    assert!(lost[0]["why_ru"]
        .as_str()
        .unwrap()
        .contains("шкала «Дилерская»"));
    // Standard, given explicitly: 3 % beats the 2 % promotion:
    // 9 700,00 × 3 = 29 100,00, VAT 5 247,54.
    let q = drills(&t, std_cp, &drill).await;
    assert_eq!(
        (q.0.as_str(), q.1.as_str(), q.2.as_str(), q.3.as_str()),
        ("9700.00", "29100.00", "5247.54", "cumulative")
    );
    assert!(q.4.contains("шкала «Стандартная»"), "{}", q.4);
    // Given nothing: the default scale, the same figures.
    let q = drills(&t, new_cp, &drill).await;
    assert_eq!(
        (q.0.as_str(), q.1.as_str(), q.3.as_str()),
        ("9700.00", "29100.00", "cumulative")
    );
    // Withheld: no cumulative candidate at all; the promotion's 2 % wins:
    // 9 800,00 × 3 = 29 400,00, VAT 5 301,64.
    let q = drills(&t, none_cp, &drill).await;
    assert_eq!(
        (q.0.as_str(), q.1.as_str(), q.2.as_str(), q.3.as_str()),
        ("9800.00", "29400.00", "5301.64", "promotion")
    );
    let r = t.post("/api/v1/price-quote", &t.admin, json!({"counterparty_id": none_cp, "date": "2026-03-10", "lines": [{"product_id": drill, "qty": "3"}]})).await;
    assert!(r.body["cumulative_scale"].is_null());
    assert!(r.body["lines"][0]["not_applicable"]
        .as_array()
        .unwrap()
        .is_empty());

    // The default setting: the dealer scale for everyone given nothing.
    let r = t
        .put(
            "/api/v1/settings/default_cumulative_scale",
            &t.admin,
            json!({ "value": dealer }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let q = drills(&t, new_cp, &drill).await;
    assert_eq!(
        (q.0.as_str(), q.1.as_str(), q.2.as_str(), q.3.as_str()),
        ("9000.00", "27000.00", "4868.85", "cumulative")
    );
    // …clients given a scale keep theirs.
    assert_eq!(drills(&t, std_cp, &drill).await.0, "9700.00");
    // No default: the client given nothing gets no cumulative discount.
    let r = t
        .put(
            "/api/v1/settings/default_cumulative_scale",
            &t.admin,
            json!({ "value": "" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(drills(&t, new_cp, &drill).await.3, "promotion");
    // A threshold now needs its scale named.
    let r = t
        .post(
            "/api/v1/cumulative-thresholds",
            &t.admin,
            json!({"amount": "1", "pct": "1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.error_fields(), vec!["scale_id"]);
    let r = t
        .put(
            "/api/v1/settings/default_cumulative_scale",
            &t.admin,
            json!({ "value": standard }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Every change is audited.
    let r = t
        .get(
            "/api/v1/audit-log?entity=counterparties&action=scales",
            &t.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 3, "{}", r.text);
    assert!(r.text.contains("Дилерская"), "{}", r.text);
    let r = t
        .get(
            "/api/v1/audit-log?entity=default_cumulative_scale",
            &t.admin,
        )
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 3, "{}", r.text);
    let r = t
        .get("/api/v1/audit-log?entity=discount_scales", &t.admin)
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2, "{}", r.text);

    // Listing by scale.
    let r = t
        .get(
            &format!("/api/v1/cumulative-thresholds?scale_id={dealer}"),
            &t.admin,
        )
        .await;
    let amounts: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, vec!["100000.00", "1000000.00"]);

    // ---- refusals
    // A duplicate amount within one scale.
    let r = t
        .post(
            "/api/v1/cumulative-thresholds",
            &t.admin,
            json!({"amount": "100000", "pct": "4", "scale_id": standard}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "amount");
    assert_eq!(r.body["errors"][0]["code"], "duplicate_threshold");
    assert!(r.text.contains("уже есть порог"), "{}", r.text);
    // …and by moving one onto it; editing a threshold in place is fine.
    let r = t
        .put(
            &format!("/api/v1/cumulative-thresholds/{std_low}"),
            &t.admin,
            json!({"amount": "500000", "pct": "3", "scale_id": standard}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = t
        .put(
            &format!("/api/v1/cumulative-thresholds/{std_low}"),
            &t.admin,
            json!({"amount": "100000", "pct": "4", "scale_id": standard}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // An archived threshold does not count as a duplicate.
    let r = t
        .send(
            Method::DELETE,
            &format!("/api/v1/cumulative-thresholds/{std_low}"),
            &t.admin,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    created(
        &t,
        "/api/v1/cumulative-thresholds",
        json!({"amount": "100000", "pct": "3", "scale_id": standard}),
    )
    .await;
    // Unknown scale, a scale of the other kind, not a number.
    for (body, field, code) in [
        (
            json!({"amount": "1", "pct": "1", "scale_id": "999999"}),
            "scale_id",
            "not_found",
        ),
        (
            json!({"amount": "1", "pct": "1", "scale_id": dealer_set}),
            "scale_id",
            "wrong_kind",
        ),
        (
            json!({"amount": "1", "pct": "1", "scale_id": "x"}),
            "scale_id",
            "invalid_id",
        ),
    ] {
        let r = t
            .post("/api/v1/cumulative-thresholds", &t.admin, body)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.text);
        if code != "invalid_id" {
            assert_eq!(r.body["errors"][0]["code"], code, "{}", r.text);
        }
    }
    let r = t
        .post(
            "/api/v1/volume-rules",
            &t.admin,
            json!({"days": "30", "amount": "1", "pct": "1", "scale_id": dealer}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.error_fields(), vec!["scale_id"]);
    // Scales: no name or kind, a bad kind, a duplicate name.
    let r = t.post("/api/v1/discount-scales", &t.admin, json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut f = r.error_fields();
    f.sort();
    assert_eq!(f, vec!["kind", "name"]);
    let r = t
        .post(
            "/api/v1/discount-scales",
            &t.admin,
            json!({"kind": "monthly", "name": "X"}),
        )
        .await;
    assert_eq!(r.error_fields(), vec!["kind"]);
    let r = t
        .post(
            "/api/v1/discount-scales",
            &t.admin,
            json!({"kind": "cumulative", "name": "дилерская"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["code"], "duplicate_name");
    // Archiving the default or a scale given to clients.
    let r = t
        .send(
            Method::DELETE,
            &format!("/api/v1/discount-scales/{standard}"),
            &t.admin,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.body["code"], "scale_is_default");
    let r = t
        .send(
            Method::DELETE,
            &format!("/api/v1/discount-scales/{dealer}"),
            &t.admin,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.body["code"], "scale_in_use");
    // An unused scale is archived and then cannot be given.
    let spare = created(
        &t,
        "/api/v1/discount-scales",
        json!({"kind": "cumulative", "name": "Запасная"}),
    )
    .await;
    let r = t
        .send(
            Method::DELETE,
            &format!("/api/v1/discount-scales/{spare}"),
            &t.admin,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    // Giving: an archived scale, the wrong kind, nonsense; unknown client.
    let r = t
        .put(
            &format!("/api/v1/counterparties/{new_cp}/discount-scales"),
            &t.admin,
            json!({"cumulative_scale_id": spare, "volume_scale_id": dealer, }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(
        r.error_fields(),
        vec!["cumulative_scale_id", "volume_scale_id"]
    );
    assert_eq!(r.body["errors"][0]["code"], "archived");
    let r = t
        .put(
            &format!("/api/v1/counterparties/{new_cp}/discount-scales"),
            &t.admin,
            json!({"cumulative_scale_id": "-3"}),
        )
        .await;
    assert_eq!(r.error_fields(), vec!["cumulative_scale_id"]);
    let r = t
        .put(
            "/api/v1/counterparties/999999/discount-scales",
            &t.admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The setting: another kind's scale, nonsense.
    for v in [dealer_set.as_str(), "abc", spare.as_str()] {
        let r = t
            .put(
                "/api/v1/settings/default_cumulative_scale",
                &t.admin,
                json!({ "value": v }),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{v}: {}",
            r.text
        );
        assert_eq!(r.error_fields(), vec!["value"]);
    }
    // A manager may not change scales.
    let mgr = t.user("mgr", "manager").await;
    let r = t
        .post(
            "/api/v1/discount-scales",
            &mgr,
            json!({"kind": "cumulative", "name": "Моя"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .put(
            &format!("/api/v1/counterparties/{new_cp}/discount-scales"),
            &mgr,
            json!({"cumulative_scale_id": dealer}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .put(
            "/api/v1/settings/default_cumulative_scale",
            &mgr,
            json!({ "value": dealer }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nothing of the refused changed the figures.
    assert_eq!(drills(&t, new_cp, &drill).await.0, "9700.00");

    // ---- pages, Russian and English
    let cookie = crate::pages::web_login(&t, "admin", kupets_testkit::ADMIN_PASSWORD).await;
    let page = t.page("/pricing/scales", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    for s in [
        "Шкалы скидок",
        "Дилерская",
        "Дилерский набор",
        "(по умолчанию)",
        "Без скидки",
    ] {
        assert!(page.text.contains(s), "{s} on the page");
    }
    let csrf = crate::pages::csrf_of(&page.text);
    let r = t
        .form(
            "/pricing/scales/assign",
            &cookie,
            &[
                ("csrf", &csrf),
                ("counterparty_id", new_cp),
                ("cumulative_scale_id", &dealer),
                ("volume_scale_id", "none"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(drills(&t, new_cp, &drill).await.0, "9000.00");
    let r = t
        .form(
            "/pricing/scales",
            &cookie,
            &[
                ("csrf", &csrf),
                ("kind", "cumulative"),
                ("name", "Дилерская"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("уже есть"), "{}", r.text);
    let r = t
        .form(
            "/pricing/thresholds",
            &cookie,
            &[
                ("csrf", &csrf),
                ("scale_id", &dealer),
                ("amount", "100000"),
                ("pct", "5"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("уже есть порог"), "{}", r.text);
    let card = t.page(&format!("/counterparties/{new_cp}"), &cookie).await;
    assert!(card.text.contains("Дилерская"), "the card names the scale");
    let page = t
        .page(
            &format!(
                "/pricing/try?counterparty_id={dealer_cp}&date=2026-03-10&l0_product={drill}&l0_qty=3"
            ),
            &cookie,
        )
        .await;
    assert!(page.text.contains("Дилерский набор") && page.text.contains("8\u{a0}900,00"));
    let cookie = format!("{cookie}; lang=en");
    let page = t.page("/pricing/scales", &cookie).await;
    assert!(
        page.text.contains("Discount scales") && page.text.contains("Cumulative scale"),
        "{}",
        page.text
    );
});
