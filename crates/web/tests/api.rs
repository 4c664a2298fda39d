//! Scenarios through the HTTP API and the pages, each on SQLite and PostgreSQL.
//! One test binary for the crate keeps links fast on small machines.

mod analysis;
mod analysis_totals;
mod browser;
mod browser_analysis;
mod browser_daily;
mod browser_exchange;
mod browser_replacement;
mod custody;
mod daily;
mod defects;
mod exchange;
mod exports;
mod imports;
mod integrity;
mod manager;
mod pages;
mod paperwork;
mod pricing;
mod replacement;
mod scales;
mod serial;
mod status;
mod trade;
mod walk_in;

use axum::http::{Method, StatusCode};
use kupets_testkit::{both_engines, TestApp};
use serde_json::json;

both_engines!(health_and_login, |t: TestApp| async move {
    let r = t.get("/healthz", "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "ok");

    // No token: 401 problem+json naming the problem.
    let r = t.get("/api/v1/counterparties", "").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    assert_eq!(r.body["code"], "unauthorized");
    let r = t.get("/api/v1/counterparties", "not-a-token").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let r = t
        .post(
            "/api/v1/auth/login",
            "",
            json!({"login": "admin", "password": "wrong"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["code"], "bad_credentials");
    let r = t
        .post(
            "/api/v1/auth/login",
            "",
            json!({"login": "nobody", "password": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = t
        .post("/api/v1/auth/login", "", json!({"login": "admin"}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "missing password field: {}",
        r.text
    );

    let r = t.get("/api/v1/me", &t.admin).await;
    assert_eq!(r.body["login"], "admin");
    assert_eq!(r.body["role"], "admin");

    // Logout ends the token.
    let tok = t.login("admin", kupets_testkit::ADMIN_PASSWORD).await;
    let r = t
        .send(Method::POST, "/api/v1/auth/logout", &tok, None, &[])
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get("/api/v1/me", &tok).await.status,
        StatusCode::UNAUTHORIZED
    );
});

both_engines!(counterparty_validation_and_crud, |t: TestApp| async move {
    let a = &t.admin;
    // Bad INN check digit, missing name, bad KPP, bad credit limit: all named at once.
    let r = t
        .post(
            "/api/v1/counterparties",
            a,
            json!({"inn": "7707083894", "kpp": "12", "credit_limit": "1.234", "kind": "alien"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(fields, vec!["credit_limit", "inn", "kind", "kpp", "name"]);
    assert_eq!(
        r.body["errors"][0]["message_en"]
            .as_str()
            .map(|s| !s.is_empty()),
        Some(true)
    );
    // English on request.
    let r = t
        .send(
            Method::POST,
            "/api/v1/counterparties",
            a,
            Some(json!({"name": "X", "inn": "7707083894"})),
            &[("accept-language", "en")],
        )
        .await;
    assert_eq!(r.body["errors"][0]["message"], "INN check digit is wrong");
    // 12-digit INN with wrong check digits.
    let r = t
        .post(
            "/api/v1/counterparties",
            a,
            json!({"name": "ИП Тест", "inn": "500100732950"}),
        )
        .await;
    assert_eq!(r.error_fields(), vec!["inn"]);
    // Malformed JSON is a 400, not a 500.
    let r = t
        .send(
            Method::POST,
            "/api/v1/counterparties",
            a,
            None,
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let r = t.post("/api/v1/counterparties", a, json!({"name": "ПАО Сбербанк", "inn": "7707083893", "kpp": "773601001", "credit_limit": "500000", "kind": "both"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.id();
    assert_eq!(r.body["credit_limit"], "500000.00");
    assert_eq!(
        r.body["manager_id"],
        t.get("/api/v1/me", a).await.body["id"],
        "creator becomes the manager"
    );

    // The same INN/KPP again is refused.
    let r = t
        .post(
            "/api/v1/counterparties",
            a,
            json!({"name": "Дубль", "inn": "7707083893", "kpp": "773601001"}),
        )
        .await;
    assert_eq!(r.error_fields(), vec!["inn"]);

    let r = t.get(&format!("/api/v1/counterparties/{id}"), a).await;
    assert_eq!(r.body["name"], "ПАО Сбербанк");
    assert_eq!(r.body["balance"], "0.00");
    assert_eq!(
        t.get("/api/v1/counterparties/999999", a).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get("/api/v1/counterparties/abc", a).await.status,
        StatusCode::NOT_FOUND
    );

    let r = t.put(&format!("/api/v1/counterparties/{id}"), a, json!({"name": "ПАО «Сбербанк России»", "inn": "7707083893", "kpp": "773601001", "phone": "900"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["phone"], "900");
    assert_eq!(r.body["credit_limit"], serde_json::Value::Null);

    // Search is case-insensitive for Cyrillic and finds by INN.
    assert_eq!(
        t.get("/api/v1/counterparties?q=%D1%81%D0%B1%D0%B5%D1%80", a)
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    ); // "сбер"
    assert_eq!(
        t.get("/api/v1/counterparties?q=7707083", a).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        t.get("/api/v1/counterparties?q=zzz", a).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Unknown filter and bad limit are refused.
    assert_eq!(
        t.get("/api/v1/counterparties?group_id=1", a).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        t.get("/api/v1/counterparties?limit=0", a)
            .await
            .error_fields(),
        vec!["limit"]
    );
    assert_eq!(
        t.get("/api/v1/counterparties?cursor=garbage", a)
            .await
            .error_fields(),
        vec!["cursor"]
    );

    // Archive instead of delete.
    let r = t
        .send(
            Method::POST,
            &format!("/api/v1/counterparties/{id}/archive"),
            a,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get("/api/v1/counterparties", a).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let r = t.get("/api/v1/counterparties?archived=true", a).await;
    assert_eq!(r.body["items"][0]["archived"], true);
    t.send(
        Method::POST,
        &format!("/api/v1/counterparties/{id}/unarchive"),
        a,
        None,
        &[],
    )
    .await;
    assert_eq!(
        t.get("/api/v1/counterparties", a).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
});

both_engines!(
    cursor_pagination_walks_every_record_once,
    |t: TestApp| async move {
        let a = &t.admin;
        for i in 0..7 {
            // Two share a name: the id breaks the tie.
            let name = if i < 2 {
                "Альфа".to_string()
            } else {
                format!("Клиент {i}")
            };
            assert_eq!(
                t.post("/api/v1/counterparties", a, json!({"name": name}))
                    .await
                    .status,
                StatusCode::CREATED
            );
        }
        let mut seen = Vec::new();
        let mut cursor = String::new();
        let mut pages = 0;
        loop {
            let r = t
                .get(
                    &format!("/api/v1/counterparties?limit=3&cursor={cursor}"),
                    a,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            for it in r.body["items"].as_array().unwrap() {
                seen.push(it["name"].as_str().unwrap().to_string());
            }
            pages += 1;
            match r.body["next_cursor"].as_str() {
                Some(c) => cursor = c.to_string(),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen.len(), 7);
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted, "ordered by name");
    }
);

both_engines!(
    a_search_pages_every_match_once_broad_or_narrow,
    |t: TestApp| async move {
        let a = &t.admin;
        // 210 of one word (a broad search: newest first) and 20 of another
        // (a narrow one: sorted by name); both words end in «строй».
        let names = (0..210)
            .map(|i| format!("ООО «Альфастрой {i:03}»"))
            .chain((0..20).rev().map(|i| format!("ИП Бетастрой {i:02}")));
        for name in names {
            let r = t
                .post("/api/v1/counterparties", a, json!({"name": name}))
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
        let walk = |q: &'static str, limit: usize| {
            let t = &t;
            async move {
                let (mut seen, mut cursor) = (Vec::<String>::new(), String::new());
                loop {
                    let r = t
                        .get(
                            &format!(
                                "/api/v1/counterparties?limit={limit}&q={}&cursor={cursor}",
                                kupets_web::auth::urlencode(q)
                            ),
                            a,
                        )
                        .await;
                    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                    let items = r.body["items"].as_array().unwrap();
                    assert!(items.len() <= limit);
                    seen.extend(
                        items
                            .iter()
                            .map(|i| i["name"].as_str().unwrap().to_string()),
                    );
                    match r.body["next_cursor"].as_str() {
                        Some(c) => cursor = c.to_string(),
                        None => break,
                    }
                }
                seen
            }
        };
        // With a trigram index (SQLite) a broad search is newest first;
        // without one (PostgreSQL) every search is by name.
        let indexed = t.app.store.fts("counterparties_fts").is_some();
        // Broad: every match once.
        let alpha = walk("альфастрой", 50).await;
        let mut want: Vec<String> = (0..210)
            .map(|i| format!("ООО «Альфастрой {i:03}»"))
            .collect();
        if indexed {
            want.reverse();
        }
        assert_eq!(alpha, want);
        // Narrow: every match once, by name (they were created in reverse).
        let beta = walk("бетастрой", 7).await;
        let want: Vec<String> = (0..20).map(|i| format!("ИП Бетастрой {i:02}")).collect();
        assert_eq!(beta, want);
        // The whole query must match, not only its longest word.
        assert_eq!(walk("ип бетастрой 1", 100).await, want[10..].to_vec());
        assert_eq!(walk("ооо бетастрой", 100).await, Vec::<String>::new());
        // Both words: 230 matches; newest first, the 20 last created lead.
        let all = walk("строй", 100).await;
        assert_eq!(all.len(), 230);
        if indexed {
            assert_eq!(all[0], "ИП Бетастрой 00");
            assert_eq!(all[20], "ООО «Альфастрой 209»");
        } else {
            assert_eq!(all[0], "ИП Бетастрой 00");
            assert_eq!(all[20], "ООО «Альфастрой 000»");
        }
    }
);

both_engines!(
    a_list_without_a_trigram_index_searches_its_text_literally,
    |t: TestApp| async move {
        let a = &t.admin;
        for (code, name) in [("wholesale", "Оптовая 50%"), ("dealer", "Дилерская")]
        {
            let r = t
                .post(
                    "/api/v1/price-types",
                    a,
                    json!({"code": code, "name": name}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
        let names = |r: kupets_testkit::Resp| r.item_names();
        let search = |q: &str| format!("/api/v1/price-types?q={}", kupets_web::auth::urlencode(q));
        // A fragment of the name or of the code; the same statement serves
        // each new pattern.
        assert_eq!(names(t.get(&search("птов"), a).await), vec!["Оптовая 50%"]);
        assert_eq!(names(t.get(&search("deal"), a).await), vec!["Дилерская"]);
        // LIKE's wildcards are plain text.
        assert_eq!(names(t.get(&search("50%"), a).await), vec!["Оптовая 50%"]);
        assert_eq!(names(t.get(&search("5_%"), a).await), Vec::<String>::new());
        assert_eq!(names(t.get(&search("%"), a).await), vec!["Оптовая 50%"]);
        // Case folds for Cyrillic too: a capital in the name or the query
        // (SQLite's own lower() folds only ASCII).
        assert_eq!(names(t.get(&search("Дилер"), a).await), vec!["Дилерская"]);
        assert_eq!(names(t.get(&search("ДИЛЕРСК"), a).await), vec!["Дилерская"]);
        assert_eq!(
            names(t.get(&search("оптовая"), a).await),
            vec!["Оптовая 50%"]
        );
    }
);

both_engines!(products_groups_prices, |t: TestApp| async move {
    let a = &t.admin;
    let power = t
        .post(
            "/api/v1/product-groups",
            a,
            json!({"name": "Электроинструмент"}),
        )
        .await
        .id();
    let drills = t
        .post(
            "/api/v1/product-groups",
            a,
            json!({"name": "Дрели", "parent_id": power}),
        )
        .await
        .id();
    // A group cannot move under its own child.
    let r = t
        .put(
            &format!("/api/v1/product-groups/{power}"),
            a,
            json!({"name": "Электроинструмент", "parent_id": drills}),
        )
        .await;
    assert_eq!(r.error_fields(), vec!["parent_id"]);
    let tree = t.get("/api/v1/product-groups", a).await;
    assert_eq!(tree.body["items"][1]["path"], "Электроинструмент / Дрели");
    assert_eq!(tree.body["items"][1]["depth"], 1);

    let r = t.post("/api/v1/products", a, json!({"sku": "DR-1", "name": "Дрель DR-1", "group_id": drills, "serial_tracked": true, "warranty_months": 24})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let pid = r.id();
    assert_eq!(r.body["vat_rate"], "22");
    assert_eq!(r.body["unit"], "шт");
    assert_eq!(r.body["serial_tracked"], true);
    // Duplicate SKU and bad fields refused.
    let r = t
        .post(
            "/api/v1/products",
            a,
            json!({"sku": "DR-1", "name": "Другая"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["code"], "duplicate_sku");
    let r = t.post("/api/v1/products", a, json!({"sku": "X", "name": "X", "vat_rate": "18", "warranty_months": "-1", "group_id": "999"})).await;
    let mut f = r.error_fields();
    f.sort();
    assert_eq!(f, vec!["group_id", "vat_rate", "warranty_months"]);

    // Every installation starts with the retail price type; a second is refused.
    let retail = t.retail_type().await;
    assert_eq!(
        t.post(
            "/api/v1/price-types",
            a,
            json!({"code": "retail", "name": "Ещё"})
        )
        .await
        .error_fields(),
        vec!["code"]
    );
    let r = t
        .post(
            &format!("/api/v1/products/{pid}/prices"),
            a,
            json!({"price_type_id": retail, "effective_date": "2026-01-01", "price": "10000"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    t.post(
        &format!("/api/v1/products/{pid}/prices"),
        a,
        json!({"price_type_id": retail, "effective_date": "2026-03-01", "price": "10500.50"}),
    )
    .await;
    let r = t
        .post(
            &format!("/api/v1/products/{pid}/prices"),
            a,
            json!({"price_type_id": retail, "effective_date": "31.02.2026", "price": "-1"}),
        )
        .await;
    let mut f = r.error_fields();
    f.sort();
    assert_eq!(f, vec!["effective_date", "price"]);

    let on = |d: &str| format!("/api/v1/products/{pid}/prices?date={d}");
    assert_eq!(
        t.get(&on("2025-12-31"), a)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        t.get(&on("2026-02-28"), a).await.body[0]["price"],
        "10000.00"
    );
    assert_eq!(
        t.get(&on("2026-03-01"), a).await.body[0]["price"],
        "10500.50",
        "in force from its effective date"
    );
    assert_eq!(
        t.get(&format!("/api/v1/products/{pid}/prices"), a)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2,
        "history keeps both"
    );

    // Products filter by group; search by SKU.
    assert_eq!(
        t.get(&format!("/api/v1/products?group_id={drills}"), a)
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        t.get("/api/v1/products?q=dr-1", a).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
});

both_engines!(roles_are_enforced_by_the_server, |t: TestApp| async move {
    let store = t.user("store1", "storekeeper").await;
    let mgr = t.user("mgr1", "manager").await;
    let acc = t.user("acc1", "accountant").await;
    // Everyone may read.
    assert_eq!(
        t.get("/api/v1/counterparties", &store).await.status,
        StatusCode::OK
    );
    // Storekeeper: no counterparties; manager: no catalog, no people, no audit, no settlements.
    let r = t
        .post("/api/v1/counterparties", &store, json!({"name": "X"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["code"], "forbidden");
    assert_eq!(
        t.post("/api/v1/products", &mgr, json!({"sku": "A", "name": "A"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.post("/api/v1/products", &store, json!({"sku": "A", "name": "A"}))
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        t.post(
            "/api/v1/employees",
            &mgr,
            json!({"login": "x", "name": "x", "role": "admin", "password": "12345678"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get("/api/v1/audit-log", &mgr).await.status,
        StatusCode::FORBIDDEN
    );
    let cp = t
        .post("/api/v1/counterparties", &mgr, json!({"name": "Клиент"}))
        .await
        .id();
    assert_eq!(
        t.post(
            "/api/v1/adjustments",
            &mgr,
            json!({"counterparty_id": cp, "amount": "1", "comment": "x"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.post(
            "/api/v1/adjustments",
            &acc,
            json!({"counterparty_id": cp, "amount": "1", "comment": "x"})
        )
        .await
        .status,
        StatusCode::CREATED
    );
    // Nothing was written by the refused requests.
    assert_eq!(
        t.get("/api/v1/products", &mgr).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Employee fields: bad role, weak password, duplicate login.
    let r = t.post("/api/v1/employees", &t.admin, json!({"login": "mgr1", "name": "Y", "role": "boss", "password": "short", "discount_limit": "101"})).await;
    let mut f = r.error_fields();
    f.sort();
    assert_eq!(f, vec!["discount_limit", "login", "password", "role"]);
    // An archived employee's token stops working.
    let me = t.get("/api/v1/me", &mgr).await.id();
    t.send(
        Method::POST,
        &format!("/api/v1/employees/{me}/archive"),
        &t.admin,
        None,
        &[],
    )
    .await;
    assert_eq!(
        t.get("/api/v1/me", &mgr).await.status,
        StatusCode::UNAUTHORIZED
    );
});

both_engines!(document_life_cycle_and_ledger, |t: TestApp| async move {
    let a = &t.admin;
    let cp = t
        .post("/api/v1/counterparties", a, json!({"name": "Клиент"}))
        .await
        .id();
    let r = t.post("/api/v1/adjustments", a, json!({"counterparty_id": cp, "date": "2026-03-10", "amount": "1500.50", "comment": "Остаток на начало"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.id();
    assert_eq!(r.body["number"], "КОР-2026-000001");
    assert_eq!(r.body["state"], "draft");
    // Missing and invalid fields.
    let r = t
        .post(
            "/api/v1/adjustments",
            a,
            json!({"counterparty_id": "999", "amount": "0", "date": "2026-13-01"}),
        )
        .await;
    let mut f = r.error_fields();
    f.sort();
    assert_eq!(f, vec!["amount", "comment", "counterparty_id", "date"]);

    // A draft changes no balance and may be edited.
    assert_eq!(
        t.get(&format!("/api/v1/counterparties/{cp}"), a).await.body["balance"],
        "0.00"
    );
    let r = t.put(&format!("/api/v1/adjustments/{id}"), a, json!({"counterparty_id": cp, "date": "2026-03-10", "amount": "2000", "comment": "Остаток"})).await;
    assert_eq!(r.body["amount"], "2000.00");
    let r = t
        .send(
            Method::POST,
            &format!("/api/v1/adjustments/{id}/post"),
            a,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["state"], "posted");
    assert_eq!(
        t.get(&format!("/api/v1/counterparties/{cp}"), a).await.body["balance"],
        "2000.00"
    );

    // Posted: editing and posting again refused, nothing changes.
    let r = t
        .put(
            &format!("/api/v1/adjustments/{id}"),
            a,
            json!({"counterparty_id": cp, "amount": "1", "comment": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["code"], "document_not_draft");
    assert_eq!(
        t.send(
            Method::POST,
            &format!("/api/v1/adjustments/{id}/post"),
            a,
            None,
            &[]
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        t.get(&format!("/api/v1/adjustments/{id}"), a).await.body["amount"],
        "2000.00"
    );

    // Cancel needs a reason; it reverses and keeps both entries.
    assert_eq!(
        t.post(&format!("/api/v1/adjustments/{id}/cancel"), a, json!({}))
            .await
            .error_fields(),
        vec!["reason"]
    );
    let r = t
        .post(
            &format!("/api/v1/adjustments/{id}/cancel"),
            a,
            json!({"reason": "Ошибка ввода"}),
        )
        .await;
    assert_eq!(r.body["state"], "cancelled");
    assert_eq!(r.body["cancel_reason"], "Ошибка ввода");
    assert_eq!(
        t.get(&format!("/api/v1/counterparties/{cp}"), a).await.body["balance"],
        "0.00"
    );
    let entries: Vec<i64> = sqlx::query_scalar("SELECT amount FROM settlement_entries ORDER BY id")
        .fetch_all(t.app.store.reader())
        .await
        .unwrap();
    assert_eq!(entries, vec![200000, -200000]);
    assert_eq!(
        t.post(
            &format!("/api/v1/adjustments/{id}/cancel"),
            a,
            json!({"reason": "ещё раз"})
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    // A negative adjustment lowers the balance; the balance on a date counts entries up to it.
    let id2 = t.post("/api/v1/adjustments", a, json!({"counterparty_id": cp, "date": "2026-04-01", "amount": "-300", "comment": "Скидка"})).await.id();
    t.send(
        Method::POST,
        &format!("/api/v1/adjustments/{id2}/post"),
        a,
        None,
        &[],
    )
    .await;
    let cpid: i64 = cp.parse().unwrap();
    assert_eq!(t.app.balance_on(cpid, "2026-03-31").await.unwrap().0, 0);
    assert_eq!(
        t.app.balance_on(cpid, "2026-04-01").await.unwrap().0,
        -30000
    );
    // Lists filter by state.
    assert_eq!(
        t.get("/api/v1/adjustments?state=cancelled", a).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        t.get("/api/v1/adjustments?state=bogus", a).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // The audit log saw create, update, post and cancel, by whom.
    let r = t
        .get("/api/v1/audit-log?entity=adjustment&limit=100", a)
        .await;
    let actions: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for act in ["create", "update", "post", "cancel"] {
        assert!(actions.contains(&act), "{act} in {actions:?}");
    }
    assert_eq!(r.body["items"][0]["employee_name"], "Администратор");
    assert_eq!(
        t.get("/api/v1/audit-log?action=cancel", a).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        t.get("/api/v1/audit-log?from=2000-13-01", a)
            .await
            .error_fields(),
        vec!["from"]
    );
});

both_engines!(
    numbers_stay_unique_under_concurrency,
    |t: TestApp| async move {
        let a = t.admin.clone();
        let cp = t
            .post("/api/v1/counterparties", &a, json!({"name": "Клиент"}))
            .await
            .id();
        let t = std::sync::Arc::new(t);
        let mut tasks = Vec::new();
        for i in 0..12 {
            let (t, a, cp) = (t.clone(), a.clone(), cp.clone());
            tasks.push(tokio::spawn(async move {
            let r = t.post("/api/v1/adjustments", &a, json!({"counterparty_id": cp, "date": "2026-05-05", "amount": format!("{}", i + 1), "comment": "параллельно"})).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            r.body["number"].as_str().unwrap().to_string()
        }));
        }
        let mut numbers = Vec::new();
        for task in tasks {
            numbers.push(task.await.unwrap());
        }
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), 12);
        assert_eq!(numbers.last().unwrap(), "КОР-2026-000012");
    }
);

both_engines!(idempotency_key_creates_once, |t: TestApp| async move {
    let a = &t.admin;
    let body = json!({"name": "Один раз"});
    let r1 = t
        .send(
            Method::POST,
            "/api/v1/counterparties",
            a,
            Some(body.clone()),
            &[("idempotency-key", "k-1")],
        )
        .await;
    let r2 = t
        .send(
            Method::POST,
            "/api/v1/counterparties",
            a,
            Some(body.clone()),
            &[("idempotency-key", "k-1")],
        )
        .await;
    assert_eq!(r1.status, StatusCode::CREATED);
    assert_eq!(r2.status, StatusCode::CREATED);
    assert_eq!(r1.id(), r2.id());
    assert_eq!(r2.headers["idempotent-replayed"], "true");
    assert_eq!(
        t.get("/api/v1/counterparties", a).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Same key, other body: refused.
    let r3 = t
        .send(
            Method::POST,
            "/api/v1/counterparties",
            a,
            Some(json!({"name": "Другой"})),
            &[("idempotency-key", "k-1")],
        )
        .await;
    assert_eq!(r3.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A refused request does not burn the key.
    let bad = t
        .send(
            Method::POST,
            "/api/v1/counterparties",
            a,
            Some(json!({"name": ""})),
            &[("idempotency-key", "k-2")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = t
        .send(
            Method::POST,
            "/api/v1/counterparties",
            a,
            Some(json!({"name": ""})),
            &[("idempotency-key", "k-2")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::UNPROCESSABLE_ENTITY);
});

both_engines!(openapi_document_is_served, |t: TestApp| async move {
    let r = t.get("/api/openapi.json", "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["openapi"].as_str().unwrap().starts_with("3.1"));
    for p in [
        "/api/v1/counterparties",
        "/api/v1/products/{id}/prices",
        "/api/v1/adjustments/{id}/cancel",
        "/api/v1/auth/login",
        "/healthz",
    ] {
        assert!(r.body["paths"].get(p).is_some(), "{p} documented");
    }
    let docs = t.get("/api/docs", "").await;
    assert!(docs.text.contains("/api/v1/counterparties"));
});

both_engines!(first_user_and_passwords, |t: TestApp| async move {
    // The admin exists, so adding more users works; weak passwords never do.
    let r = t
        .app
        .cli_add_user("boss2", "Второй", "manager", "short")
        .await;
    assert!(matches!(r, Err(kupets_app::AppError::Validation(_))));
    let e = t
        .app
        .cli_add_user("boss2", "Второй", "manager", "long-enough")
        .await
        .unwrap();
    assert_eq!(e.role, "manager");
    // Password change ends the user's sessions.
    let tok = t.login("boss2", "long-enough").await;
    let r = t
        .post(
            &format!("/api/v1/employees/{}/password", e.id),
            &tok,
            json!({"password": "another-one"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get("/api/v1/me", &tok).await.status,
        StatusCode::UNAUTHORIZED
    );
    t.login("boss2", "another-one").await;
    // Stored hashes are Argon2id, never the password.
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM employees WHERE login = 'boss2'")
            .fetch_one(t.app.store.reader())
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$"));
    assert!(!hash.contains("another-one"));
});

#[tokio::test]
async fn first_user_on_an_empty_database_must_be_admin() {
    let store = kupets_testkit::fresh_store(kupets_testkit::Engine::Sqlite)
        .await
        .unwrap();
    let app = kupets_app::App::new(store);
    assert!(app
        .cli_add_user("m", "M", "manager", "password-1")
        .await
        .is_err());
    assert!(app.has_no_employees().await.unwrap());
    app.cli_add_user("a", "A", "admin", "password-1")
        .await
        .unwrap();
}

both_engines!(demo_data_loads_once, |t: TestApp| async move {
    // The test app already has an admin, so the demo refuses to mix in.
    assert!(t.app.load_demo().await.is_err());
    let store = kupets_testkit::fresh_store(t.engine).await.unwrap();
    let app = kupets_app::App::new(store);
    let s = app.load_demo().await.unwrap();
    assert_eq!((s.counterparties, s.products), (50, 200));
    let router = kupets_web::router(app.clone());
    let demo = TestApp {
        engine: t.engine,
        app,
        router,
        admin: String::new(),
    };
    let tok = demo.login("admin", "admin").await;
    let r = demo.get("/api/v1/counterparties?limit=500", &tok).await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 50);
    // Every demo INN passes the same check users get.
    for c in items {
        let inn = c["inn"].as_str().unwrap();
        assert!(kupets_domain::inn::check_inn(inn).is_ok(), "{inn}");
    }
    let r = demo.get("/api/v1/products?q=DR-1", &tok).await;
    let dr1 = r.body["items"][0]["id"].as_str().unwrap().to_string();
    let prices = demo
        .get(
            &format!("/api/v1/products/{dr1}/prices?date=2026-03-10"),
            &tok,
        )
        .await;
    let retail = prices
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["price_type_code"] == "retail")
        .unwrap();
    assert_eq!(retail["price"], "10000.00");
    // Drills with serials, two shipped, one in repair; reminders for today.
    let units = demo.get("/api/v1/units?serial=DR1-", &tok).await;
    assert_eq!(units.body.as_array().unwrap().len(), 6, "{}", units.text);
    let repairs = demo.get("/api/v1/repairs", &tok).await;
    assert_eq!(repairs.body[0]["state"], "diagnosis");
    assert_eq!(repairs.body[0]["counterparty_name"], "ООО «Строй»");
    let iv = demo.login("ivanova", "demo").await;
    let today = demo.get("/api/v1/today", &iv).await;
    assert!(
        !today.body["reminders"].as_array().unwrap().is_empty(),
        "{}",
        today.text
    );
});

#[tokio::test]
async fn sqlite_backup_is_a_consistent_copy() {
    let t = TestApp::new(kupets_testkit::Engine::Sqlite).await.unwrap();
    t.post(
        "/api/v1/counterparties",
        &t.admin,
        json!({"name": "До копии"}),
    )
    .await;
    let dest = std::env::temp_dir().join(format!("kupets_backup_{}.db", std::process::id()));
    let _ = std::fs::remove_file(&dest);
    t.app
        .store
        .backup_sqlite(dest.to_str().unwrap())
        .await
        .unwrap();
    // Writes after the copy do not reach it.
    t.post(
        "/api/v1/counterparties",
        &t.admin,
        json!({"name": "После копии"}),
    )
    .await;
    let copy = kupets_store::Store::open(dest.to_str().unwrap())
        .await
        .unwrap();
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM counterparties")
        .fetch_all(copy.reader())
        .await
        .unwrap();
    assert_eq!(names, vec!["До копии".to_string()]);
    let _ = std::fs::remove_file(&dest);
}

both_engines!(
    search_by_fragment_inn_and_short_words,
    |t: TestApp| async move {
        let a = &t.admin;
        for (name, inn) in [
            ("ООО «Стройторг»", "7707083893"),
            ("АО «Техстрой»", "7728168971"),
            ("ИП Строев И.И.", ""),
            ("ООО «Ромашка»", "5001007329"),
        ] {
            let r = t
                .post(
                    "/api/v1/counterparties",
                    a,
                    json!({"name": name, "inn": inn}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
        let names = |r: kupets_testkit::Resp| r.item_names();
        // A fragment anywhere in the name, any case, sorted by name.
        assert_eq!(
            names(
                t.get("/api/v1/counterparties?q=%D0%A1%D0%A2%D0%A0%D0%9E%D0%99", a)
                    .await
            ),
            vec!["АО «Техстрой»", "ООО «Стройторг»"]
        ); // "СТРОЙ"
           // Four or more digits: INNs starting with them.
        assert_eq!(
            names(t.get("/api/v1/counterparties?q=7728", a).await),
            vec!["АО «Техстрой»"]
        );
        assert_eq!(
            names(t.get("/api/v1/counterparties?q=8168", a).await),
            Vec::<String>::new(),
            "INN digits match from the start"
        );
        // Under three characters still finds, newest first.
        assert_eq!(
            names(t.get("/api/v1/counterparties?q=%D0%B8%D0%BF", a).await),
            vec!["ИП Строев И.И."]
        ); // "ип"
           // Quotes and LIKE wildcards are plain text.
        assert_eq!(
            names(t.get("/api/v1/counterparties?q=%22%25_", a).await),
            Vec::<String>::new()
        );
        // An edited name is found by its new text only.
        let id = t
            .get("/api/v1/counterparties?q=%D1%80%D0%BE%D0%BC%D0%B0%D1%88", a)
            .await
            .body["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        t.put(
            &format!("/api/v1/counterparties/{id}"),
            a,
            json!({"name": "ООО «Лютик»", "inn": "5001007329"}),
        )
        .await;
        assert_eq!(
            names(
                t.get("/api/v1/counterparties?q=%D1%80%D0%BE%D0%BC%D0%B0%D1%88", a)
                    .await
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            names(
                t.get("/api/v1/counterparties?q=%D0%BB%D1%8E%D1%82%D0%B8%D0%BA", a)
                    .await
            ),
            vec!["ООО «Лютик»"]
        );
    }
);
