//! Statuses, reminders, the Today view, the funnel and hand-over on both
//! engines.

use axum::http::{Method, StatusCode};
use kupets_testkit::{both_engines, TestApp};
use serde_json::{json, Value};

async fn created(t: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let r = t.post(path, token, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body
}

async fn post(t: &TestApp, token: &str, path: &str) {
    let r = t.send(Method::POST, path, token, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
}

/// An employee in a department; returns (id, token).
async fn staff(t: &TestApp, login: &str, role: &str, dept: Option<&str>) -> (String, String) {
    let mut body = json!({"login": login, "name": format!("Сотрудник {login}"), "role": role, "password": "password-123"});
    if let Some(d) = dept {
        body["department_id"] = json!(d);
    }
    let e = created(t, &t.admin, "/api/v1/employees", body).await;
    (
        e["id"].as_str().unwrap().to_string(),
        t.login(login, "password-123").await,
    )
}

struct Shop {
    wh: String,
    product: String,
    customer: String,
}

async fn shop(t: &TestApp) -> Shop {
    let a = &t.admin;
    let wh = created(t, a, "/api/v1/warehouses", json!({"name": "Склад"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let product = created(
        t,
        a,
        "/api/v1/products",
        json!({"sku": "P-1", "name": "Насос"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.set_retail(&product, "2025-01-01", "1000").await;
    let customer = created(
        t,
        a,
        "/api/v1/counterparties",
        json!({"name": "ООО «Клиент»"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // No manager: documents default to their author as responsible.
    let r = t
        .put(
            &format!("/api/v1/counterparties/{customer}"),
            a,
            json!({"name": "ООО «Клиент»", "manager_id": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let supplier = created(
        t,
        a,
        "/api/v1/counterparties",
        json!({"name": "Завод", "kind": "supplier"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let rc = created(t, a, "/api/v1/receipts", json!({"counterparty_id": supplier, "warehouse_id": wh, "date": "2025-01-01", "lines": [{"product_id": product, "qty": "1000", "price": "500"}]})).await;
    post(
        t,
        a,
        &format!("/api/v1/receipts/{}/post", rc["id"].as_str().unwrap()),
    )
    .await;
    Shop {
        wh,
        product,
        customer,
    }
}

/// A sales order of `qty` × 1 000,00 by `token`'s employee; its id.
async fn order(t: &TestApp, token: &str, s: &Shop, date: &str, qty: &str) -> String {
    created(t, token, "/api/v1/sales-orders", json!({"counterparty_id": s.customer, "date": date, "lines": [{"product_id": s.product, "qty": qty}]}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn assign(
    t: &TestApp,
    token: &str,
    doc: &str,
    status: &str,
    date: &str,
    note: &str,
) -> kupets_testkit::Resp {
    t.post(
        &format!("/api/v1/documents/{doc}/statuses"),
        token,
        json!({"status": status, "effective_date": date, "note": note}),
    )
    .await
}

async fn current(t: &TestApp, doc: &str, date: &str) -> Option<String> {
    let r = t
        .get(
            &format!("/api/v1/documents/{doc}/statuses?date={date}"),
            &t.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["current"]["status_code"]
        .as_str()
        .map(str::to_string)
}

async fn today(t: &TestApp, token: &str, query: &str) -> kupets_testkit::Resp {
    t.get(&format!("/api/v1/today?{query}"), token).await
}

fn reminder_docs(v: &Value) -> Vec<String> {
    v["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["document_id"].as_str().unwrap().to_string())
        .collect()
}

both_engines!(current_status_and_reminders, |t: TestApp| async move {
    let s = shop(&t).await;
    let (_, mgr) = staff(&t, "mgr", "manager", None).await;
    let o = order(&t, &mgr, &s, "2026-03-01", "1").await;
    for (code, date) in [
        ("new", "2026-03-01"),
        ("agreed", "2026-03-05"),
        ("offer_sent", "2026-03-05"),
        ("won", "2026-12-31"),
    ] {
        let r = assign(&t, &mgr, &o, code, date, "").await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    assert_eq!(current(&t, &o, "2026-02-28").await, None);
    assert_eq!(current(&t, &o, "2026-03-04").await.as_deref(), Some("new"));
    // Same day: the later assignment.
    assert_eq!(
        current(&t, &o, "2026-03-05").await.as_deref(),
        Some("offer_sent")
    );
    // A future assignment counts from its day only.
    assert_eq!(
        current(&t, &o, "2026-12-30").await.as_deref(),
        Some("offer_sent")
    );
    assert_eq!(current(&t, &o, "2026-12-31").await.as_deref(), Some("won"));
    let h = t
        .get(&format!("/api/v1/documents/{o}/statuses"), &t.admin)
        .await;
    assert_eq!(h.body["history"].as_array().unwrap().len(), 4);

    // A reminder on its day, overdue after, gone when a newer status takes effect.
    let o2 = order(&t, &mgr, &s, "2026-03-02", "2").await;
    assign(
        &t,
        &mgr,
        &o2,
        "remind",
        "2026-04-10",
        "Позвонить про расходники",
    )
    .await;
    assign(&t, &mgr, &o2, "waiting", "2026-04-20", "").await;
    assert!(reminder_docs(&today(&t, &mgr, "date=2026-04-09").await.body).is_empty());
    let r = today(&t, &mgr, "date=2026-04-10").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(reminder_docs(&r.body), vec![o2.clone()]);
    assert_eq!(r.body["reminders"][0]["note"], "Позвонить про расходники");
    assert_eq!(r.body["reminders"][0]["days_overdue"], 0);
    // The later "waiting" (dated 20.04) does not hide it before its date.
    let r = today(&t, &mgr, "date=2026-04-15").await;
    assert_eq!(reminder_docs(&r.body), vec![o2.clone()]);
    assert_eq!(r.body["reminders"][0]["days_overdue"], 5);
    assert!(reminder_docs(&today(&t, &mgr, "date=2026-04-20").await.body).is_empty());
    // Documents by current status on a day.
    let r = today(&t, &mgr, "date=2026-04-15").await;
    let counts: Vec<(String, i64)> = r.body["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["status_code"].as_str().unwrap().to_string(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        vec![("offer_sent".to_string(), 1), ("remind".to_string(), 1)]
    );
    assert_eq!(r.body["documents_total"], 2);
    // Filters: by status and kind.
    let remind_id = t
        .get("/api/v1/statuses", &mgr)
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "remind")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = today(&t, &mgr, &format!("date=2026-04-15&status_id={remind_id}")).await;
    assert_eq!(r.body["documents_total"], 1);
    assert_eq!(
        today(&t, &mgr, "date=2026-04-15&kind=shipment").await.body["documents_total"],
        0
    );

    // Refusals: a sales-order status on a shipment, unknown status, someone else's document.
    let sh = created(&t, &mgr, "/api/v1/shipments", json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "lines": [{"product_id": s.product, "qty": "1"}]})).await;
    let r = assign(
        &t,
        &mgr,
        sh["id"].as_str().unwrap(),
        "won",
        "2026-04-01",
        "",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["code"], "wrong_kind");
    assert_eq!(
        assign(&t, &mgr, &o, "nonsense", "", "")
            .await
            .error_fields(),
        vec!["status_id"]
    );
    assert_eq!(
        assign(&t, &mgr, "999999", "remind", "", "").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        assign(&t, &mgr, &o, "remind", "31.02.2026", "")
            .await
            .error_fields(),
        vec!["effective_date"]
    );
    let (_, other) = staff(&t, "other", "manager", None).await;
    assert_eq!(
        assign(&t, &other, &o, "remind", "", "").await.status,
        StatusCode::FORBIDDEN
    );
    // The catalogue is the admin's.
    assert_eq!(
        t.post(
            "/api/v1/statuses",
            &mgr,
            json!({"code": "x", "name_ru": "X", "name_en": "X"})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let st = created(&t, &t.admin, "/api/v1/statuses", json!({"code": "demo_done", "name_ru": "Показ проведён", "name_en": "Demo done", "kinds": ["sales_order"], "funnel_stage": "8"})).await;
    assert_eq!(st["funnel_stage"], 8);
    let r = t.post("/api/v1/statuses", &t.admin, json!({"code": "Bad Code", "name_ru": "", "name_en": "E", "kinds": ["nope"], "funnel_stage": "2"})).await;
    let mut f = r.error_fields();
    f.sort();
    assert_eq!(f, vec!["code", "funnel_stage", "kinds[0]", "name_ru"]);
    assert_eq!(
        t.post(
            "/api/v1/statuses",
            &t.admin,
            json!({"code": "remind", "name_ru": "Д", "name_en": "D"})
        )
        .await
        .error_fields(),
        vec!["code"]
    );
    // Every change is audited.
    let log = t.get("/api/v1/audit-log?action=status", &t.admin).await;
    assert_eq!(log.body["items"].as_array().unwrap().len(), 6);
});

both_engines!(
    head_sees_department_manager_only_own,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let d1 = created(
            &t,
            &t.admin,
            "/api/v1/departments",
            json!({"name": "Москва"}),
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let d2 = created(
            &t,
            &t.admin,
            "/api/v1/departments",
            json!({"name": "Регионы"}),
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (_, head) = staff(&t, "head1", "department_head", Some(&d1)).await;
        let (a_id, a) = staff(&t, "mgra", "manager", Some(&d1)).await;
        let (b_id, b) = staff(&t, "mgrb", "manager", Some(&d1)).await;
        let (c_id, c) = staff(&t, "mgrc", "manager", Some(&d2)).await;
        let mut docs = Vec::new();
        for tok in [&a, &b, &c] {
            let o = order(&t, tok, &s, "2026-05-01", "1").await;
            assert_eq!(
                assign(&t, tok, &o, "remind", "2026-05-02", "позвонить")
                    .await
                    .status,
                StatusCode::CREATED
            );
            docs.push(o);
        }
        let on = "date=2026-05-03";
        assert_eq!(
            reminder_docs(&today(&t, &a, on).await.body),
            vec![docs[0].clone()]
        );
        assert_eq!(
            today(&t, &a, &format!("{on}&employee_id={b_id}"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let r = today(&t, &head, on).await;
        let mut seen = reminder_docs(&r.body);
        seen.sort();
        let mut want = vec![docs[0].clone(), docs[1].clone()];
        want.sort();
        assert_eq!(
            seen, want,
            "the head sees the department, not the other one"
        );
        // The period filters by the documents' dates (the orders are of 01.05).
        let period = |q: &str| {
            let (t, head) = (&t, head.clone());
            let q = format!("{on}&{q}");
            async move { today(t, &head, &q).await.body["documents_total"].as_i64() }
        };
        assert_eq!(period("from=2026-05-01&to=2026-05-01").await, Some(2));
        assert_eq!(period("from=2026-05-02").await, Some(0));
        assert_eq!(period("to=2026-04-30").await, Some(0));
        assert_eq!(
            today(&t, &head, &format!("{on}&from=31.02.2026"))
                .await
                .error_fields(),
            vec!["from"]
        );
        let per: Vec<&str> = r.body["by_status"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["employee_id"].as_str().unwrap())
            .collect();
        assert!(
            per.contains(&a_id.as_str())
                && per.contains(&b_id.as_str())
                && !per.contains(&c_id.as_str())
        );
        assert_eq!(
            reminder_docs(
                &today(&t, &head, &format!("{on}&employee_id={b_id}"))
                    .await
                    .body
            ),
            vec![docs[1].clone()]
        );
        assert_eq!(
            today(&t, &head, &format!("{on}&employee_id={c_id}"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        // An admin may look at anyone's.
        assert_eq!(
            reminder_docs(
                &today(&t, &t.admin, &format!("{on}&employee_id={c_id}"))
                    .await
                    .body
            ),
            vec![docs[2].clone()]
        );
        assert_eq!(
            reminder_docs(
                &today(&t, &t.admin, &format!("{on}&department_id={d2}"))
                    .await
                    .body
            ),
            vec![docs[2].clone()]
        );
        // A head may set a status on a department member's order; a manager not on another's.
        assert_eq!(
            assign(&t, &head, &docs[0], "agreed", "2026-05-03", "")
                .await
                .status,
            StatusCode::CREATED
        );
        assert_eq!(
            assign(&t, &c, &docs[0], "agreed", "2026-05-03", "")
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
);

both_engines!(
    handover_moves_what_the_preview_showed,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let d1 = created(
            &t,
            &t.admin,
            "/api/v1/departments",
            json!({"name": "Москва"}),
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let d2 = created(
            &t,
            &t.admin,
            "/api/v1/departments",
            json!({"name": "Регионы"}),
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (_, head) = staff(&t, "head1", "department_head", Some(&d1)).await;
        let (_, head2) = staff(&t, "head2", "department_head", Some(&d2)).await;
        let (a_id, a) = staff(&t, "leaving", "manager", Some(&d1)).await;
        let (b_id, _) = staff(&t, "staying", "manager", Some(&d1)).await;
        // Two clients of the leaving manager, one of someone else.
        let mut clients = Vec::new();
        for name in ["Альфа", "Бета"] {
            clients.push(
                created(&t, &a, "/api/v1/counterparties", json!({"name": name})).await["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        created(
            &t,
            &t.admin,
            "/api/v1/counterparties",
            json!({"name": "Чужой"}),
        )
        .await;
        let draft = order(&t, &a, &s, "2026-06-01", "1").await;
        let open = order(&t, &a, &s, "2026-06-01", "3").await;
        post(&t, &a, &format!("/api/v1/sales-orders/{open}/post")).await;
        let line = t
            .get(&format!("/api/v1/sales-orders/{open}/lines"), &a)
            .await
            .body["lines"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let sh = created(&t, &a, "/api/v1/shipments", json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "order_id": open, "lines": [{"product_id": s.product, "qty": "1", "order_line_id": line}]})).await;
        post(
            &t,
            &a,
            &format!("/api/v1/shipments/{}/post", sh["id"].as_str().unwrap()),
        )
        .await;
        let done = order(&t, &a, &s, "2026-06-01", "1").await;
        post(&t, &a, &format!("/api/v1/sales-orders/{done}/post")).await;
        let dline = t
            .get(&format!("/api/v1/sales-orders/{done}/lines"), &a)
            .await
            .body["lines"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let sh2 = created(&t, &a, "/api/v1/shipments", json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "order_id": done, "lines": [{"product_id": s.product, "qty": "1", "order_line_id": dline}]})).await;
        post(
            &t,
            &a,
            &format!("/api/v1/shipments/{}/post", sh2["id"].as_str().unwrap()),
        )
        .await;
        let reminded = order(&t, &a, &s, "2026-06-01", "1").await;
        post(&t, &a, &format!("/api/v1/sales-orders/{reminded}/post")).await;
        let rline = t
            .get(&format!("/api/v1/sales-orders/{reminded}/lines"), &a)
            .await
            .body["lines"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let sh3 = created(&t, &a, "/api/v1/shipments", json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "order_id": reminded, "lines": [{"product_id": s.product, "qty": "1", "order_line_id": rline}]})).await;
        post(
            &t,
            &a,
            &format!("/api/v1/shipments/{}/post", sh3["id"].as_str().unwrap()),
        )
        .await;
        assign(&t, &a, &reminded, "remind", "2020-01-01", "сервис").await;

        let body = json!({"from_employee_id": a_id, "to_employee_id": b_id});
        assert_eq!(
            t.post("/api/v1/handover/preview", &a, body.clone())
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            t.post("/api/v1/handover", &head2, body.clone())
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let same = t
            .post(
                "/api/v1/handover/preview",
                &head,
                json!({"from_employee_id": a_id, "to_employee_id": a_id}),
            )
            .await;
        assert_eq!(same.error_fields(), vec!["to_employee_id"]);
        let preview = t
            .post("/api/v1/handover/preview", &head, body.clone())
            .await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
        let ids = |v: &Value, k: &str| -> Vec<(String, String)> {
            let mut x: Vec<(String, String)> = v[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    (
                        m["id"].as_str().unwrap().to_string(),
                        m["reason"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            x.sort();
            x
        };
        // Everything she is responsible for moves, closed documents too.
        let mut want_docs = vec![
            (draft.clone(), "draft".to_string()),
            (open.clone(), "open_order".to_string()),
            (reminded.clone(), "reminder".to_string()),
            (done.clone(), "posted".to_string()),
        ];
        for s in [&sh, &sh2, &sh3] {
            want_docs.push((s["id"].as_str().unwrap().to_string(), "posted".to_string()));
        }
        want_docs.sort();
        assert_eq!(ids(&preview.body, "documents"), want_docs);
        let mut want_cps: Vec<(String, String)> = clients
            .iter()
            .map(|c| (c.clone(), "manager".to_string()))
            .collect();
        want_cps.sort();
        assert_eq!(ids(&preview.body, "counterparties"), want_cps);
        // Nothing moved yet.
        assert_eq!(
            t.get(&format!("/api/v1/counterparties/{}", clients[0]), &t.admin)
                .await
                .body["manager_id"],
            a_id.as_str()
        );
        let mut body = body;
        body["confirm"] = json!(true);
        let done_r = t.post("/api/v1/handover", &head, body).await;
        assert_eq!(done_r.status, StatusCode::OK, "{}", done_r.text);
        assert_eq!(ids(&done_r.body, "documents"), want_docs);
        assert_eq!(ids(&done_r.body, "counterparties"), want_cps);
        for c in &clients {
            assert_eq!(
                t.get(&format!("/api/v1/counterparties/{c}"), &t.admin)
                    .await
                    .body["manager_id"],
                b_id.as_str()
            );
        }
        for d in [&draft, &open, &reminded, &done] {
            assert_eq!(
                t.get(&format!("/api/v1/sales-orders/{d}/lines"), &t.admin)
                    .await
                    .body["responsible_id"],
                b_id.as_str()
            );
        }
        // The reminder is now the other manager's.
        let r = today(&t, &t.admin, &format!("employee_id={b_id}")).await;
        assert_eq!(reminder_docs(&r.body), vec![reminded.clone()]);
        let log = t.get("/api/v1/audit-log?action=handover", &t.admin).await;
        assert_eq!(log.body["items"].as_array().unwrap().len(), 1);
        // A second preview finds nothing left.
        let again = t
            .post(
                "/api/v1/handover/preview",
                &t.admin,
                json!({"from_employee_id": a_id, "to_employee_id": b_id}),
            )
            .await;
        assert!(
            again.body["documents"].as_array().unwrap().is_empty()
                && again.body["counterparties"].as_array().unwrap().is_empty()
        );
    }
);

both_engines!(funnel_on_a_known_data_set, |t: TestApp| async move {
    let s = shop(&t).await;
    let (m1, tok1) = staff(&t, "m1", "manager", None).await;
    let (m2, tok2) = staff(&t, "m2", "manager", None).await;
    // m1: four orders of 1 000,00 reaching new, offer_sent, agreed, won (via lost? no);
    // m2: two orders of 2 000,00: one new, one lost after offer_sent; one with no status.
    let plan: [(&str, &str, &[&str]); 7] = [
        ("m1", "1", &["new"]),
        ("m1", "1", &["new", "offer_sent"]),
        ("m1", "1", &["new", "offer_sent", "agreed"]),
        ("m1", "1", &["new", "won"]),
        ("m2", "2", &["new"]),
        ("m2", "2", &["new", "offer_sent", "lost"]),
        ("m2", "2", &[]),
    ];
    for (who, qty, codes) in plan {
        let tok = if who == "m1" { &tok1 } else { &tok2 };
        let o = order(&t, tok, &s, "2026-07-10", qty).await;
        for c in codes {
            assert_eq!(
                assign(&t, tok, &o, c, "2026-07-11", "").await.status,
                StatusCode::CREATED
            );
        }
    }
    // Outside the period: not counted.
    let late = order(&t, &tok1, &s, "2026-08-01", "5").await;
    assign(&t, &tok1, &late, "won", "2026-08-01", "").await;
    let r = t
        .get(
            "/api/v1/reports/funnel?from=2026-07-01&to=2026-07-31",
            &t.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let stages = |v: &Value| -> Vec<(String, i64, String, Option<String>)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["code"].as_str().unwrap().to_string(),
                    s["count"].as_i64().unwrap(),
                    s["amount"].as_str().unwrap().to_string(),
                    s["conversion"].as_str().map(str::to_string),
                )
            })
            .collect()
    };
    let all = stages(&r.body["overall"]);
    assert_eq!(r.body["orders"], 7);
    assert_eq!(all[0], ("new".into(), 6, "8000.00".into(), None));
    assert_eq!(
        all[1],
        (
            "offer_sent".into(),
            4,
            "5000.00".into(),
            Some("66.67".into())
        )
    );
    assert_eq!(
        all[2],
        ("agreed".into(), 2, "2000.00".into(), Some("50".into()))
    );
    assert_eq!(
        all[6],
        ("won".into(), 1, "1000.00".into(), Some("100".into()))
    );
    let per = r.body["per_employee"].as_array().unwrap();
    let e1 = per
        .iter()
        .find(|e| e["employee_id"] == m1.as_str())
        .unwrap();
    assert_eq!(stages(&e1["stages"])[0].1, 4);
    assert_eq!(stages(&e1["stages"])[1].1, 3);
    let e2 = per
        .iter()
        .find(|e| e["employee_id"] == m2.as_str())
        .unwrap();
    assert_eq!(
        stages(&e2["stages"])[1],
        ("offer_sent".into(), 1, "2000.00".into(), Some("50".into()))
    );
    // A manager sees their own funnel only.
    let own = t
        .get(
            "/api/v1/reports/funnel?from=2026-07-01&to=2026-07-31",
            &tok2,
        )
        .await;
    assert_eq!(own.body["orders"], 3);
    assert_eq!(
        t.get(&format!("/api/v1/reports/funnel?employee_id={m1}"), &tok2)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get(
            "/api/v1/reports/funnel?from=2026-08-01&to=2026-07-01",
            &t.admin
        )
        .await
        .error_fields(),
        vec!["to"]
    );
});

both_engines!(replacement_reminder_end_to_end, |t: TestApp| async move {
    let s = shop(&t).await;
    let (_, mgr) = staff(&t, "mgr", "manager", None).await;
    let sh = created(&t, &mgr, "/api/v1/shipments", json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "date": "2026-05-01", "lines": [{"product_id": s.product, "qty": "2"}]})).await;
    let sh_id = sh["id"].as_str().unwrap();
    post(&t, &mgr, &format!("/api/v1/shipments/{sh_id}/post")).await;
    let ret = created(&t, &mgr, "/api/v1/returns", json!({"counterparty_id": s.customer, "base_id": sh_id, "date": "2026-05-05", "replacement_required": true, "lines": [{"product_id": s.product, "qty": "1", "base_line_id": sh["lines"][0]["id"]}]})).await;
    let ret_id = ret["id"].as_str().unwrap().to_string();
    // A draft return reminds nobody.
    assert!(reminder_docs(&today(&t, &mgr, "date=2026-05-06").await.body).is_empty());
    post(&t, &mgr, &format!("/api/v1/returns/{ret_id}/post")).await;
    let r = today(&t, &mgr, "date=2026-05-08").await;
    assert_eq!(reminder_docs(&r.body), vec![ret_id.clone()]);
    // Returns take statuses like any document.
    assert_eq!(
        assign(&t, &mgr, &ret_id, "waiting", "2026-05-20", "")
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(r.body["reminders"][0]["system"], true);
    assert_eq!(r.body["reminders"][0]["status_code"], "replacement_due");
    assert_eq!(r.body["reminders"][0]["days_overdue"], 3);
    // A replacement must name a return owed one, of this client.
    let bad = t.post("/api/v1/shipments", &mgr, json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "replacement_for_id": sh_id, "lines": [{"product_id": s.product, "qty": "1"}]})).await;
    assert_eq!(bad.error_fields(), vec!["replacement_for_id"]);
    let rep = created(&t, &mgr, "/api/v1/shipments", json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "date": "2026-05-09", "replacement_for_id": ret_id, "lines": [{"product_id": s.product, "qty": "1"}]})).await;
    assert_eq!(rep["replacement_for_id"], ret_id.as_str());
    // A draft replacement changes nothing; posting it ends the reminder.
    assert_eq!(
        reminder_docs(&today(&t, &mgr, "date=2026-05-09").await.body),
        vec![ret_id.clone()]
    );
    post(
        &t,
        &mgr,
        &format!("/api/v1/shipments/{}/post", rep["id"].as_str().unwrap()),
    )
    .await;
    assert!(reminder_docs(&today(&t, &mgr, "date=2026-05-09").await.body).is_empty());
});

both_engines!(status_pages, |t: TestApp| async move {
    let s = shop(&t).await;
    let (leaver, tok) = staff(&t, "leaver", "manager", None).await;
    let (heir, _) = staff(&t, "heir", "manager", None).await;
    let o = order(&t, &tok, &s, "2026-07-10", "2").await;
    let cookie = crate::pages::web_login(&t, "admin", kupets_testkit::ADMIN_PASSWORD).await;
    let page = t.page(&format!("/sales-orders/{o}"), &cookie).await;
    assert!(page.text.contains("Установить статус"));
    let csrf = crate::pages::csrf_of(&page.text);
    let statuses = t.get("/api/v1/statuses", &t.admin).await.body;
    let id_of = |code: &str| {
        statuses
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["code"] == code)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let r = t
        .form(
            &format!("/documents/{o}/status"),
            &cookie,
            &[
                ("csrf", &csrf),
                ("status_id", &id_of("new")),
                ("effective_date", "2026-07-11"),
                ("note", "первый звонок"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers["location"], format!("/sales-orders/{o}").as_str());
    let page = t.page(&format!("/sales-orders/{o}"), &cookie).await;
    assert!(page.text.contains("первый звонок") && page.text.contains("текущий"));
    // The funnel page draws the chart.
    let f = t
        .page("/reports/funnel?from=2026-07-01&to=2026-07-31", &cookie)
        .await;
    assert_eq!(f.status, StatusCode::OK);
    assert!(f.text.contains("<svg") && f.text.contains("Новый"));
    // The leaver's Today page through an admin's eyes.
    let today = t
        .page(&format!("/today?employee_id={leaver}"), &cookie)
        .await;
    assert!(today.text.contains("Документы по статусам") && today.text.contains("Новый"));
    // Hand-over: preview, then do it.
    let p = t
        .page(
            &format!("/handover?from_employee_id={leaver}&to_employee_id={heir}"),
            &cookie,
        )
        .await;
    assert!(p.text.contains("черновик"), "{}", p.text);
    let r = t
        .form(
            "/handover",
            &cookie,
            &[
                ("csrf", &csrf),
                ("from_employee_id", &leaver),
                ("to_employee_id", &heir),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text.contains("Передано: контрагентов 0, документов 1"),
        "{}",
        r.text
    );
    // The catalogue: a bad code is refused on the page.
    let r = t
        .form(
            "/statuses",
            &cookie,
            &[
                ("csrf", &csrf),
                ("code", "Плохой"),
                ("name_ru", "Х"),
                ("name_en", "X"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .form(
            "/statuses",
            &cookie,
            &[
                ("csrf", &csrf),
                ("code", "meeting"),
                ("name_ru", "Встреча"),
                ("name_en", "Meeting"),
                ("is_reminder", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(t.page("/statuses", &cookie).await.text.contains("Встреча"));
});

both_engines!(
    reminders_come_in_pages_oldest_first,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let (_, mgr) = staff(&t, "pager", "manager", None).await;
        let mut docs = Vec::new();
        for day in 1..=5 {
            let o = order(&t, &mgr, &s, "2026-03-01", "1").await;
            let r = assign(
                &t,
                &mgr,
                &o,
                "remind",
                &format!("2026-04-0{day}"),
                &format!("звонок {day}"),
            )
            .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            docs.push(o);
        }
        // The third one has a later status dated ahead: its reminder still
        // shows, with the note of the assignment in force on the day.
        assign(&t, &mgr, &docs[2], "waiting", "2026-12-01", "потом").await;
        let r = today(&t, &mgr, "date=2026-04-10&limit=2").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["reminders_total"], 5);
        assert_eq!(reminder_docs(&r.body), docs[..2].to_vec());
        assert_eq!(r.body["reminders_next_cursor"], "2");
        let r = today(&t, &mgr, "date=2026-04-10&limit=2&cursor=2").await;
        assert_eq!(reminder_docs(&r.body), docs[2..4].to_vec());
        assert_eq!(r.body["reminders"][0]["note"], "звонок 3");
        assert_eq!(r.body["reminders"][0]["days_overdue"], 7);
        let r = today(&t, &mgr, "date=2026-04-10&limit=2&cursor=4").await;
        assert_eq!(reminder_docs(&r.body), docs[4..].to_vec());
        assert!(r.body["reminders_next_cursor"].is_null());
        // All five documents are counted and listed, whatever the page.
        assert_eq!(r.body["documents_total"], 5);
        assert_eq!(r.body["documents"].as_array().unwrap().len(), 5);
        // Bad paging names its field.
        let r = today(&t, &mgr, "limit=0").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("\"limit\""), "{}", r.text);
        let r = today(&t, &mgr, "cursor=abc").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("\"cursor\""), "{}", r.text);
        // The page says how many there are and links to the next ones.
        let cookie = crate::pages::web_login(&t, "pager", "password-123").await;
        let html = t.page("/today?date=2026-04-10&limit=2", &cookie).await.text;
        assert!(html.contains("Показаны 2 из 5"), "{html}");
        assert!(html.contains("cursor=2"), "{html}");
    }
);

both_engines!(
    statuses_whose_day_comes_are_brought_up_to_date,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let (_, mgr) = staff(&t, "roller", "manager", None).await;
        let day =
            |n: i64| (chrono::Local::now().date_naive() + chrono::Duration::days(n)).to_string();
        let o = order(&t, &mgr, &s, &day(-20), "1").await;
        assign(&t, &mgr, &o, "remind", &day(-10), "сначала").await;
        assign(&t, &mgr, &o, "waiting", &day(3), "потом").await;
        let shown = |v: &Value| -> Vec<(String, String)> {
            v["documents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    (
                        d["status_code"].as_str().unwrap().to_string(),
                        d["note"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        // Before and after the next assignment's day, with and without the
        // roll: the same answers.
        for round in 0..2u64 {
            let r = today(&t, &mgr, &format!("date={}", day(0))).await;
            assert_eq!(reminder_docs(&r.body), vec![o.clone()]);
            assert_eq!(shown(&r.body), vec![("remind".into(), "сначала".into())]);
            let r = today(&t, &mgr, &format!("date={}", day(5))).await;
            assert!(reminder_docs(&r.body).is_empty(), "{}", r.text);
            assert_eq!(shown(&r.body), vec![("waiting".into(), "потом".into())]);
            let r = today(&t, &mgr, &format!("date={}", day(-15))).await;
            assert!(
                r.body["documents"].as_array().unwrap().is_empty(),
                "{}",
                r.text
            );
            let rolled = t
                .app
                .roll_statuses(chrono::Local::now().date_naive() + chrono::Duration::days(5))
                .await
                .unwrap();
            // Only the first time is there anything to bring up to date.
            assert_eq!(rolled, 1 - round);
        }
    }
);
