//! The pages as a browser without JavaScript uses them: cookies, forms, CSRF.

use axum::http::{Method, StatusCode};
use kupets_testkit::{both_engines, TestApp, ADMIN_PASSWORD};
use serde_json::json;

/// Opens the login page: its CSRF cookie and the token of its form.
pub async fn login_page(t: &TestApp) -> (String, String) {
    let r = t.page("/login", "").await;
    assert_eq!(r.status, StatusCode::OK);
    let set = r.headers["set-cookie"].to_str().unwrap();
    let cookie = set.split(';').next().unwrap().to_string();
    let i = r
        .text
        .find("name=\"login_csrf\" value=\"")
        .expect("login_csrf field")
        + 25;
    let token = r.text[i..].split('"').next().unwrap().to_string();
    assert_eq!(cookie, format!("kupets_login_csrf={token}"));
    (cookie, token)
}

/// Sends the login form as a browser does, after opening the page.
pub async fn login_form(t: &TestApp, fields: &[(&str, &str)]) -> kupets_testkit::Resp {
    let (cookie, token) = login_page(t).await;
    let mut all = fields.to_vec();
    all.push(("login_csrf", &token));
    t.form("/login", &cookie, &all).await
}

/// Logs in through the login form; returns the session cookie.
pub async fn web_login(t: &TestApp, login: &str, password: &str) -> String {
    let r = login_form(
        t,
        &[
            ("login", login),
            ("password", password),
            ("next", "/counterparties"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers["location"], "/counterparties");
    let set = r.headers["set-cookie"].to_str().unwrap();
    assert!(set.contains("HttpOnly"));
    set.split(';').next().unwrap().to_string()
}

pub fn csrf_of(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    html[i..].split('"').next().unwrap().to_string()
}

both_engines!(pages_need_login_and_check_csrf, |t: TestApp| async move {
    let r = t.page("/counterparties", "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers["location"], "/login?next=/counterparties");
    assert_eq!(t.page("/login", "").await.status, StatusCode::OK);
    let r = login_form(&t, &[("login", "admin"), ("password", "nope")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.text.contains("Неверный логин или пароль"));
    // Without the login form's token (another site posting it): refused.
    let r = t
        .form(
            "/login",
            "",
            &[("login", "admin"), ("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.headers.get("location").is_none());
    let (cookie, _) = login_page(&t).await;
    let r = t
        .form(
            "/login",
            &cookie,
            &[
                ("login", "admin"),
                ("password", ADMIN_PASSWORD),
                ("login_csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Never redirects off-site after login: the Today page instead.
    let r = login_form(
        &t,
        &[
            ("login", "admin"),
            ("password", ADMIN_PASSWORD),
            ("next", "//evil.example"),
        ],
    )
    .await;
    assert_eq!(r.headers["location"], "/today");

    let cookie = web_login(&t, "admin", ADMIN_PASSWORD).await;
    let page = t.page("/counterparties/new", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Новый контрагент"), "Russian by default");
    let csrf = csrf_of(&page.text);

    // Wrong or missing CSRF token: refused, nothing written.
    let r = t
        .form(
            "/counterparties",
            &cookie,
            &[("csrf", "forged"), ("name", "Подделка")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .form("/counterparties", &cookie, &[("name", "Подделка")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The API with the cookie needs the token in a header too.
    let r = t
        .send(
            Method::POST,
            "/api/v1/counterparties",
            "",
            Some(json!({"name": "Подделка"})),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["code"], "csrf");
    assert_eq!(
        t.get("/api/v1/counterparties?q=подделка", &t.admin)
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let r = t
        .send(
            Method::POST,
            "/api/v1/counterparties",
            "",
            Some(json!({"name": "Через cookie"})),
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    // A bad INN comes back as the form with the message, keeping what was typed.
    let r = t
        .form(
            "/counterparties",
            &cookie,
            &[
                ("csrf", &csrf),
                ("name", "ООО Ромашка"),
                ("inn", "1234567890"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("Неверное контрольное число ИНН"));
    assert!(r.text.contains("ООО Ромашка"));
    let r = t
        .form(
            "/counterparties",
            &cookie,
            &[
                ("csrf", &csrf),
                ("name", "ООО Ромашка"),
                ("inn", "7707083893"),
                ("credit_limit", "1 000,50"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let card = t
        .page(r.headers["location"].to_str().unwrap(), &cookie)
        .await;
    assert!(card.text.contains("ООО Ромашка"));
    assert!(
        card.text.contains("1000.50"),
        "credit limit parsed with comma and space"
    );
    let list = t
        .page("/counterparties?q=%D1%80%D0%BE%D0%BC", &cookie)
        .await; // "ром"
    assert!(list.text.contains("ООО Ромашка"));

    // Logout with the token ends the session.
    let r = t.form("/logout", &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        t.page("/counterparties", &cookie).await.status,
        StatusCode::SEE_OTHER
    );
});

both_engines!(pages_follow_rights_and_language, |t: TestApp| async move {
    t.user("mgr", "manager").await;
    let cookie = web_login(&t, "mgr", "password-123").await;
    let home = t.page("/", &cookie).await;
    assert!(
        !home.text.contains("href=\"/audit\""),
        "no audit log in a manager's navigation"
    );
    assert!(home.text.contains("href=\"/counterparties\""));
    assert_eq!(
        t.page("/audit", &cookie).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.page("/employees/new", &cookie).await.status,
        StatusCode::FORBIDDEN
    );
    let page = t.page("/products/new", &cookie).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // English switch.
    let en = t
        .page("/counterparties", &format!("{cookie}; lang=en"))
        .await;
    assert!(en.text.contains("New counterparty"));
    let admin = web_login(&t, "admin", ADMIN_PASSWORD).await;
    let audit = t.page("/audit", &admin).await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(audit.text.contains("login"));
    assert_eq!(
        t.page("/no-such-page", &admin).await.status,
        StatusCode::NOT_FOUND
    );
});

both_engines!(
    posted_document_page_has_no_edit_form,
    |t: TestApp| async move {
        let a = &t.admin;
        let cp = t
            .post("/api/v1/counterparties", a, json!({"name": "Клиент"}))
            .await
            .id();
        let id = t
            .post(
                "/api/v1/adjustments",
                a,
                json!({"counterparty_id": cp, "amount": "100", "comment": "Начальный остаток"}),
            )
            .await
            .id();
        let cookie = web_login(&t, "admin", ADMIN_PASSWORD).await;
        let draft = t.page(&format!("/adjustments/{id}"), &cookie).await;
        assert!(draft.text.contains("Провести"));
        let csrf = csrf_of(&draft.text);
        let r = t
            .form(
                &format!("/adjustments/{id}/post"),
                &cookie,
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let posted = t.page(&format!("/adjustments/{id}"), &cookie).await;
        assert!(posted.text.contains("Проведён"));
        assert!(!posted.text.contains("Сохранить черновик"));
        // A forged edit of the posted document through the form is refused.
        let r = t
            .form(
                &format!("/adjustments/{id}"),
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("counterparty_id", &cp),
                    ("amount", "999"),
                    ("comment", "x"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        let card = t.page(&format!("/counterparties/{cp}"), &cookie).await;
        assert!(card.text.contains("100,00"));
    }
);

both_engines!(
    order_page_closes_a_remainder_and_card_lists_open_orders,
    |t: TestApp| async move {
        let a = &t.admin;
        let cp = t
            .post("/api/v1/counterparties", a, json!({"name": "Клиент"}))
            .await
            .id();
        let prod = t
            .post(
                "/api/v1/products",
                a,
                json!({"sku": "X-1", "name": "Изделие"}),
            )
            .await
            .id();
        t.set_retail(&prod, "2025-01-01", "250").await;
        let o = t.post("/api/v1/sales-orders", a, json!({"counterparty_id": cp, "lines": [{"product_id": prod, "qty": "4", "price": "250"}]})).await;
        let (order, line) = (
            o.id(),
            o.body["lines"][0]["id"].as_str().unwrap().to_string(),
        );
        t.send(
            Method::POST,
            &format!("/api/v1/sales-orders/{order}/post"),
            a,
            None,
            &[],
        )
        .await;
        let cookie = web_login(&t, "admin", ADMIN_PASSWORD).await;
        let card = t.page(&format!("/counterparties/{cp}"), &cookie).await;
        assert!(
            card.text.contains("Открытые заказы"),
            "the card lists the open order"
        );
        let page = t.page(&format!("/sales-orders/{order}"), &cookie).await;
        assert!(page.text.contains("Закрыть остаток"));
        let csrf = csrf_of(&page.text);
        let r = t
            .form(
                &format!("/sales-orders/{order}/lines/{line}/close"),
                &cookie,
                &[("csrf", &csrf), ("reason", "Снято с производства")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let v = t
            .get(&format!("/api/v1/sales-orders/{order}"), a)
            .await
            .body;
        assert_eq!(
            (
                v["lines"][0]["remaining"].as_str(),
                v["lines"][0]["close_reason"].as_str(),
                v["shipment_state"].as_str()
            ),
            (Some("0"), Some("Снято с производства"), Some("shipped"))
        );
        let card = t.page(&format!("/counterparties/{cp}"), &cookie).await;
        assert!(!card.text.contains("Открытые заказы"));
        // Without the CSRF token nothing closes.
        let r = t
            .form(
                &format!("/sales-orders/{order}/lines/{line}/close"),
                &cookie,
                &[("reason", "x")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
);

both_engines!(
    card_lists_each_open_order_with_its_own_progress,
    |t: TestApp| async move {
        let a = &t.admin;
        let cp = t
            .post("/api/v1/counterparties", a, json!({"name": "Клиент"}))
            .await
            .id();
        let wh = t
            .post("/api/v1/warehouses", a, json!({"name": "Склад"}))
            .await
            .id();
        let x = t
            .post(
                "/api/v1/products",
                a,
                json!({"sku": "X-1", "name": "Изделие"}),
            )
            .await
            .id();
        t.set_retail(&x, "2025-01-01", "100").await;
        let rc = t.post("/api/v1/receipts?post=true", a, json!({"counterparty_id": cp, "warehouse_id": wh, "lines": [{"product_id": x, "qty": "10", "price": "50"}]})).await;
        assert_eq!(rc.status, StatusCode::CREATED, "{}", rc.text);
        // Three posted orders: A partly shipped, B partly paid, C shipped.
        let mut orders = Vec::new();
        for qty in ["3", "2", "1"] {
            let o = t.post("/api/v1/sales-orders?post=true", a, json!({"counterparty_id": cp, "lines": [{"product_id": x, "qty": qty, "price": "100"}]})).await;
            assert_eq!(o.status, StatusCode::CREATED, "{}", o.text);
            orders.push((
                o.id(),
                o.body["number"].as_str().unwrap().to_string(),
                o.body["lines"][0]["id"].as_str().unwrap().to_string(),
            ));
        }
        let (a_order, b_order, c_order) = (&orders[0], &orders[1], &orders[2]);
        for (order, line) in [(&a_order.0, &a_order.2), (&c_order.0, &c_order.2)] {
            let s = t.post("/api/v1/shipments?post=true", a, json!({"counterparty_id": cp, "warehouse_id": wh, "order_id": order, "lines": [{"product_id": x, "qty": "1", "price": "100", "order_line_id": line}]})).await;
            assert_eq!(s.status, StatusCode::CREATED, "{}", s.text);
        }
        let p = t
            .post(
                "/api/v1/payments?post=true",
                a,
                json!({"counterparty_id": cp, "order_id": b_order.0, "amount": "50"}),
            )
            .await;
        assert_eq!(p.status, StatusCode::CREATED, "{}", p.text);
        let cookie = web_login(&t, "admin", ADMIN_PASSWORD).await;
        let card = t.page(&format!("/counterparties/{cp}"), &cookie).await;
        let open = card
            .text
            .split("Открытые заказы")
            .nth(1)
            .and_then(|rest| rest.split("</table>").next())
            .expect("the card lists open orders")
            .to_string();
        // Each order's row: its number, then ordered, shipped and paid.
        let row = |number: &str| -> Vec<String> {
            let row = open
                .split("<tr>")
                .find(|r| r.contains(&format!(">{number}<")))
                .unwrap_or_else(|| panic!("no row for {number} in {open}"));
            row.split("<td class=\"num\">")
                .skip(1)
                .map(|c| c.split('<').next().unwrap().to_string())
                .collect()
        };
        let rub =
            |v: &[&str]| -> Vec<String> { v.iter().map(|x| format!("{x}\u{a0}₽")).collect() };
        assert_eq!(row(&a_order.1), rub(&["300,00", "100,00", "0,00"]));
        assert_eq!(row(&b_order.1), rub(&["200,00", "0,00", "50,00"]));
        assert!(
            !open.contains(&format!(">{}<", c_order.1)),
            "a shipped order is not open: {open}"
        );
        // The order's own view agrees with its row.
        let v = t
            .get(&format!("/api/v1/sales-orders/{}", a_order.0), a)
            .await
            .body;
        assert_eq!(
            (
                v["lines"][0]["shipped"].as_str(),
                v["lines"][0]["remaining"].as_str(),
                v["shipped_amount"].as_str(),
            ),
            (Some("1"), Some("2"), Some("100.00"))
        );
    }
);

both_engines!(drafts_are_edited_on_their_page, |t: TestApp| async move {
    let a = &t.admin;
    let cp = t
        .post("/api/v1/counterparties", a, json!({"name": "Клиент"}))
        .await
        .id();
    let wh = t
        .post("/api/v1/warehouses", a, json!({"name": "Склад"}))
        .await
        .id();
    let x = t
        .post(
            "/api/v1/products",
            a,
            json!({"sku": "X-1", "name": "Изделие"}),
        )
        .await
        .id();
    let y = t
        .post(
            "/api/v1/products",
            a,
            json!({"sku": "Y-1", "name": "Деталь"}),
        )
        .await
        .id();
    t.set_retail(&x, "2025-01-01", "100").await;
    t.set_retail(&y, "2025-01-01", "10").await;
    let o = t.post("/api/v1/sales-orders", a, json!({"counterparty_id": cp, "lines": [{"product_id": x, "qty": "2"}, {"product_id": y, "qty": "5"}]})).await;
    let order = o.id();
    let cookie = web_login(&t, "admin", ADMIN_PASSWORD).await;
    let form = t
        .page(&format!("/sales-orders/{order}/edit"), &cookie)
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.text.contains("name=\"l1_qty\" value=\"5\""),
        "both lines are in the form"
    );
    let csrf = csrf_of(&form.text);
    // Change a quantity and drop the second line.
    let r = t
        .form(
            &format!("/sales-orders/{order}"),
            &cookie,
            &[
                ("csrf", &csrf),
                ("counterparty_id", &cp),
                ("l0_product", &x),
                ("l0_qty", "3"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let v = t
        .get(&format!("/api/v1/sales-orders/{order}/lines"), a)
        .await;
    assert_eq!(v.body["lines"].as_array().unwrap().len(), 1);
    assert_eq!(v.body["amount"], "300.00");
    // A refusal shows the form again with the message.
    let r = t
        .form(
            &format!("/sales-orders/{order}"),
            &cookie,
            &[
                ("csrf", &csrf),
                ("counterparty_id", &cp),
                ("l0_product", &x),
                ("l0_qty", "-1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A shipment made from the order keeps its order line when edited.
    t.send(
        axum::http::Method::POST,
        &format!("/api/v1/sales-orders/{order}/post"),
        a,
        None,
        &[],
    )
    .await;
    let rc = t.post("/api/v1/receipts", a, json!({"counterparty_id": cp, "warehouse_id": wh, "lines": [{"product_id": x, "qty": "10", "price": "50"}]})).await.id();
    t.send(
        axum::http::Method::POST,
        &format!("/api/v1/receipts/{rc}/post"),
        a,
        None,
        &[],
    )
    .await;
    let oline = v.body["lines"][0]["id"].as_str().unwrap().to_string();
    let sh = t.post("/api/v1/shipments", a, json!({"counterparty_id": cp, "warehouse_id": wh, "order_id": order, "lines": [{"product_id": x, "qty": "1", "order_line_id": oline}]})).await.id();
    let form = t.page(&format!("/shipments/{sh}/edit"), &cookie).await;
    assert!(form
        .text
        .contains(&format!("name=\"l0_line\" value=\"{oline}\"")));
    let r = t
        .form(
            &format!("/shipments/{sh}"),
            &cookie,
            &[
                ("csrf", &csrf),
                ("counterparty_id", &cp),
                ("warehouse_id", &wh),
                ("order_id", &order),
                ("l0_product", &x),
                ("l0_qty", "2"),
                ("l0_line", &oline),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let s = t.get(&format!("/api/v1/shipments/{sh}"), a).await;
    assert_eq!(s.body["lines"][0]["base_line_id"], oline.as_str());
    assert_eq!(s.body["lines"][0]["qty"], "2");
});
