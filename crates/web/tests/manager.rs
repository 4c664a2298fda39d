//! The client's manager owns the work (issue 11), on both engines: the
//! responsible person and who may act, system reminders, hand-over without
//! loss, absences with a deputy, contacts and interactions, the client
//! timeline and what nobody attends to.

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

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn dept(t: &TestApp, name: &str) -> String {
    id(&created(t, &t.admin, "/api/v1/departments", json!({ "name": name })).await)
}

/// An employee; returns (id, token).
async fn staff(t: &TestApp, login: &str, role: &str, dept: Option<&str>) -> (String, String) {
    let mut body = json!({"login": login, "name": format!("Сотрудник {login}"), "role": role, "password": "password-123"});
    if let Some(d) = dept {
        body["department_id"] = json!(d);
    }
    let e = created(t, &t.admin, "/api/v1/employees", body).await;
    (id(&e), t.login(login, "password-123").await)
}

struct Shop {
    wh: String,
    product: String,
}

async fn shop(t: &TestApp) -> Shop {
    let a = &t.admin;
    let wh = id(&created(t, a, "/api/v1/warehouses", json!({"name": "Склад"})).await);
    let product = id(&created(
        t,
        a,
        "/api/v1/products",
        json!({"sku": "P-1", "name": "Насос"}),
    )
    .await);
    t.set_retail(&product, "2025-01-01", "1000").await;
    let supplier = id(&created(
        t,
        a,
        "/api/v1/counterparties",
        json!({"name": "Завод", "kind": "supplier"}),
    )
    .await);
    let rc = created(t, a, "/api/v1/receipts", json!({"counterparty_id": supplier, "warehouse_id": wh, "date": "2025-01-01", "lines": [{"product_id": product, "qty": "1000", "price": "500"}]})).await;
    post(t, a, &format!("/api/v1/receipts/{}/post", id(&rc))).await;
    Shop { wh, product }
}

/// A client managed by `manager` (None: by nobody).
async fn client(t: &TestApp, name: &str, manager: Option<&str>) -> String {
    let c = id(&created(
        t,
        &t.admin,
        "/api/v1/counterparties",
        json!({ "name": name }),
    )
    .await);
    let r = t
        .put(
            &format!("/api/v1/counterparties/{c}"),
            &t.admin,
            json!({"name": name, "manager_id": manager}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    c
}

async fn shipment(t: &TestApp, token: &str, s: &Shop, cp: &str, date: &str, extra: Value) -> Value {
    let mut body = json!({"counterparty_id": cp, "warehouse_id": s.wh, "date": date, "lines": [{"product_id": s.product, "qty": "1"}]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let sh = created(t, token, "/api/v1/shipments", body).await;
    post(t, token, &format!("/api/v1/shipments/{}/post", id(&sh))).await;
    sh
}

async fn assign(
    t: &TestApp,
    token: &str,
    doc: &str,
    status: &str,
    date: &str,
    note: &str,
) -> StatusCode {
    t.post(
        &format!("/api/v1/documents/{doc}/statuses"),
        token,
        json!({"status": status, "effective_date": date, "note": note}),
    )
    .await
    .status
}

async fn today(t: &TestApp, token: &str, query: &str) -> Value {
    let r = t.get(&format!("/api/v1/today?{query}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

fn reminder_docs(v: &Value) -> Vec<String> {
    let mut d: Vec<String> = v["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["document_id"].as_str().unwrap().to_string())
        .collect();
    d.sort();
    d
}

async fn responsible(t: &TestApp, path: &str) -> String {
    let r = t.get(path, &t.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.body["responsible_id"].as_str().unwrap().to_string()
}

fn day(offset: i64) -> String {
    (chrono::Local::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

both_engines!(
    responsible_defaults_for_each_kind,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let (m, mtok) = staff(&t, "mgr", "manager", None).await;
        let (m2, m2tok) = staff(&t, "mgr2", "manager", None).await;
        let (sk, sktok) = staff(&t, "store", "storekeeper", None).await;
        let (_, acc) = staff(&t, "acc", "accountant", None).await;
        let managed = client(&t, "ООО «Свой»", Some(&m)).await;
        let orphan = client(&t, "ООО «Ничей»", None).await;
        // The storekeeper ships to the manager's client: the manager is responsible.
        let sh = shipment(&t, &sktok, &s, &managed, "2026-03-01", json!({})).await;
        assert_eq!(sh["responsible_id"], m.as_str());
        assert_eq!(sh["author_id"], sk.as_str());
        // Every kind for a managed client defaults to its manager.
        let so = created(
            &t,
            &m2tok,
            "/api/v1/sales-orders",
            json!({"counterparty_id": managed, "lines": [{"product_id": s.product, "qty": "1"}]}),
        )
        .await;
        assert_eq!(so["responsible_id"], m.as_str(), "sales order");
        let pay = created(
            &t,
            &acc,
            "/api/v1/payments",
            json!({"counterparty_id": managed, "amount": "100", "date": "2026-03-03"}),
        )
        .await;
        assert_eq!(pay["responsible_id"], m.as_str(), "payment");
        let adj = created(
            &t,
            &acc,
            "/api/v1/adjustments",
            json!({"counterparty_id": managed, "amount": "10", "comment": "сверка"}),
        )
        .await;
        assert_eq!(adj["responsible_id"], m.as_str(), "adjustment");
        let ret = created(&t, &sktok, "/api/v1/returns", json!({"counterparty_id": managed, "base_id": id(&sh), "lines": [{"product_id": s.product, "qty": "1", "base_line_id": sh["lines"][0]["id"]}]})).await;
        assert_eq!(ret["responsible_id"], m.as_str(), "return");
        let it = created(
            &t,
            &m2tok,
            "/api/v1/interactions",
            json!({"counterparty_id": managed, "kind": "call", "subject": "Звонок"}),
        )
        .await;
        assert_eq!(it["responsible_id"], m.as_str(), "interaction");
        // No manager: the order's responsible, then the author.
        let o = created(
            &t,
            &m2tok,
            "/api/v1/sales-orders",
            json!({"counterparty_id": orphan, "lines": [{"product_id": s.product, "qty": "2"}]}),
        )
        .await;
        assert_eq!(o["responsible_id"], m2.as_str(), "order by its author");
        post(&t, &m2tok, &format!("/api/v1/sales-orders/{}/post", id(&o))).await;
        let line = t
            .get(&format!("/api/v1/sales-orders/{}/lines", id(&o)), &m2tok)
            .await
            .body["lines"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let sh2 = shipment(&t, &sktok, &s, &orphan, "2026-03-02", json!({"order_id": id(&o), "lines": [{"product_id": s.product, "qty": "1", "order_line_id": line}]})).await;
        assert_eq!(
            sh2["responsible_id"],
            m2.as_str(),
            "the order's responsible"
        );
        let sh3 = shipment(&t, &sktok, &s, &orphan, "2026-03-02", json!({})).await;
        assert_eq!(sh3["responsible_id"], sk.as_str(), "the author");
        // Told explicitly wins; editing a draft keeps the responsible.
        let d = created(&t, &mtok, "/api/v1/sales-orders", json!({"counterparty_id": orphan, "responsible_id": m2, "lines": [{"product_id": s.product, "qty": "1"}]})).await;
        assert_eq!(d["responsible_id"], m2.as_str());
        let r = t.put(&format!("/api/v1/sales-orders/{}", id(&d)), &mtok, json!({"counterparty_id": orphan, "lines": [{"product_id": s.product, "qty": "3"}]})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["responsible_id"], m2.as_str());
    }
);

both_engines!(
    reassigning_a_posted_document_is_audited,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let d1 = dept(&t, "Продажи").await;
        let d2 = dept(&t, "Регионы").await;
        let (_, head) = staff(&t, "head", "department_head", Some(&d1)).await;
        let (_, head2) = staff(&t, "head2", "department_head", Some(&d2)).await;
        let (m, mtok) = staff(&t, "mgr", "manager", Some(&d1)).await;
        let (m2, _) = staff(&t, "mgr2", "manager", Some(&d1)).await;
        let (_, sktok) = staff(&t, "store", "storekeeper", Some(&d1)).await;
        let cp = client(&t, "ООО «Клиент»", Some(&m)).await;
        let sh = shipment(&t, &sktok, &s, &cp, "2026-03-01", json!({})).await;
        let path = format!("/api/v1/documents/{}/responsible", id(&sh));
        // The author who is not responsible, another department's head: refused.
        assert_eq!(
            t.put(&path, &sktok, json!({"responsible_id": m2}))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            t.put(&path, &head2, json!({"responsible_id": m2}))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            t.put(&path, &mtok, json!({"responsible_id": "999999"}))
                .await
                .error_fields(),
            vec!["responsible_id"]
        );
        assert_eq!(
            t.put(&path, &mtok, json!({})).await.error_fields(),
            vec!["responsible_id"]
        );
        assert_eq!(
            t.put(
                "/api/v1/documents/999999/responsible",
                &mtok,
                json!({"responsible_id": m2})
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );
        // The responsible hands the posted shipment to a colleague.
        let r = t.put(&path, &mtok, json!({"responsible_id": m2})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["old_responsible_id"], m.as_str());
        let now = t
            .get(&format!("/api/v1/shipments/{}", id(&sh)), &t.admin)
            .await
            .body;
        assert_eq!(now["responsible_id"], m2.as_str());
        assert_eq!(now["state"], "posted");
        assert_eq!(now["amount"], sh["amount"]);
        // Now the old responsible may not; the department's head may.
        assert_eq!(
            t.put(&path, &mtok, json!({"responsible_id": m}))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            t.put(&path, &head, json!({"responsible_id": m}))
                .await
                .status,
            StatusCode::OK
        );
        let log = t
            .get("/api/v1/audit-log?action=responsible", &t.admin)
            .await;
        let details: Vec<String> = log.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["details"].as_str().unwrap().to_string())
            .collect();
        let mut want = vec![format!("{m} → {m2}"), format!("{m2} → {m}")];
        want.sort();
        let mut got = details.clone();
        got.sort();
        assert_eq!(got, want);
    }
);

both_engines!(who_may_set_statuses, |t: TestApp| async move {
    let s = shop(&t).await;
    let d1 = dept(&t, "Продажи").await;
    let d2 = dept(&t, "Регионы").await;
    let (_, head) = staff(&t, "head", "department_head", Some(&d1)).await;
    let (_, head2) = staff(&t, "head2", "department_head", Some(&d2)).await;
    let (m, mtok) = staff(&t, "mgr", "manager", Some(&d1)).await;
    let (_, other) = staff(&t, "other", "manager", Some(&d2)).await;
    let (e, etok) = staff(&t, "eng", "service_engineer", Some(&d2)).await;
    let (_, sktok) = staff(&t, "store", "storekeeper", Some(&d2)).await;
    let cp = client(&t, "ООО «Клиент»", Some(&m)).await;
    let sh = shipment(&t, &sktok, &s, &cp, "2026-03-01", json!({})).await;
    let doc = id(&sh);
    // The seed's example: remind in a year about maintenance, by the client's manager.
    assert_eq!(
        assign(&t, &mtok, &doc, "remind", "2027-03-01", "ТО через год").await,
        StatusCode::CREATED
    );
    let r = today(&t, &mtok, "date=2027-03-01").await;
    assert_eq!(reminder_docs(&r), vec![doc.clone()]);
    assert_eq!(r["reminders"][0]["note"], "ТО через год");
    assert!(
        reminder_docs(&today(&t, &sktok, "date=2027-03-01").await).is_empty(),
        "not the storekeeper's"
    );
    // Another department's manager and head may not; ours and admins may.
    assert_eq!(
        assign(&t, &other, &doc, "waiting", "", "").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        assign(&t, &head2, &doc, "waiting", "", "").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        assign(&t, &head, &doc, "waiting", "", "").await,
        StatusCode::CREATED
    );
    assert_eq!(
        assign(&t, &t.admin, &doc, "waiting", "", "").await,
        StatusCode::CREATED
    );
    // The author (the storekeeper) may.
    assert_eq!(
        assign(&t, &sktok, &doc, "waiting", "", "").await,
        StatusCode::CREATED
    );
    // Responsible someone else: the client's manager still may, and so may the responsible.
    let r = t
        .put(
            &format!("/api/v1/documents/{doc}/responsible"),
            &mtok,
            json!({"responsible_id": e}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        assign(&t, &mtok, &doc, "remind", "", "").await,
        StatusCode::CREATED
    );
    assert_eq!(
        assign(&t, &etok, &doc, "remind", "", "").await,
        StatusCode::CREATED
    );
    assert_eq!(
        assign(&t, &other, &doc, "remind", "", "").await,
        StatusCode::FORBIDDEN
    );
});

both_engines!(
    replacement_reminder_reaches_the_clients_manager,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let (m, mtok) = staff(&t, "mgr", "manager", None).await;
        let (sk, sktok) = staff(&t, "store", "storekeeper", None).await;
        let cp = client(&t, "ООО «Клиент»", Some(&m)).await;
        let sh = shipment(&t, &sktok, &s, &cp, "2026-05-01", json!({})).await;
        // The storekeeper takes the return and stays responsible for it.
        let ret = created(&t, &sktok, "/api/v1/returns", json!({"counterparty_id": cp, "base_id": id(&sh), "date": "2026-05-05", "responsible_id": sk, "replacement_required": true, "lines": [{"product_id": s.product, "qty": "1", "base_line_id": sh["lines"][0]["id"]}]})).await;
        post(&t, &sktok, &format!("/api/v1/returns/{}/post", id(&ret))).await;
        let r = today(&t, &mtok, "date=2026-05-06").await;
        assert_eq!(reminder_docs(&r), vec![id(&ret)]);
        assert_eq!(r["reminders"][0]["status_code"], "replacement_due");
        assert_eq!(r["reminders"][0]["employee_id"], m.as_str());
        assert!(reminder_docs(&today(&t, &sktok, "date=2026-05-06").await).is_empty());
    }
);

both_engines!(
    handover_leaves_nothing_with_the_archived_employee,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let d1 = dept(&t, "Продажи").await;
        let (_, head) = staff(&t, "head", "department_head", Some(&d1)).await;
        let (a, atok) = staff(&t, "ivanova", "manager", Some(&d1)).await;
        let (b, btok) = staff(&t, "petrov", "manager", Some(&d1)).await;
        let cp = client(&t, "ООО «Клиент»", Some(&a)).await;
        let cp2 = client(&t, "ООО «Второй»", Some(&a)).await;
        // A completed order and its shipment; a reminder next year on the shipment.
        let o = created(&t, &atok, "/api/v1/sales-orders", json!({"counterparty_id": cp, "date": "2026-02-01", "lines": [{"product_id": s.product, "qty": "1"}]})).await;
        post(&t, &atok, &format!("/api/v1/sales-orders/{}/post", id(&o))).await;
        let line = t
            .get(&format!("/api/v1/sales-orders/{}/lines", id(&o)), &atok)
            .await
            .body["lines"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let sh = shipment(&t, &atok, &s, &cp, "2026-02-02", json!({"order_id": id(&o), "lines": [{"product_id": s.product, "qty": "1", "order_line_id": line}]})).await;
        let next_year = day(365);
        assert_eq!(
            assign(&t, &atok, &id(&sh), "remind", &next_year, "ТО через год").await,
            StatusCode::CREATED
        );
        assert_eq!(
            assign(&t, &atok, &id(&o), "won", "2026-02-03", "").await,
            StatusCode::CREATED
        );
        // A payment and a draft.
        let pay = created(
            &t,
            &t.admin,
            "/api/v1/payments",
            json!({"counterparty_id": cp2, "amount": "100", "date": "2026-02-05"}),
        )
        .await;
        post(&t, &t.admin, &format!("/api/v1/payments/{}/post", id(&pay))).await;
        let draft = created(
            &t,
            &atok,
            "/api/v1/sales-orders",
            json!({"counterparty_id": cp2, "lines": [{"product_id": s.product, "qty": "1"}]}),
        )
        .await;
        let body = json!({"from_employee_id": a, "to_employee_id": b});
        let p = t
            .post("/api/v1/handover/preview", &head, body.clone())
            .await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.text);
        let mut docs: Vec<String> = p.body["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect();
        docs.sort();
        let mut want = vec![id(&o), id(&sh), id(&pay), id(&draft)];
        want.sort();
        assert_eq!(docs, want, "every kind and state");
        let group = &p.body["receivers"][0];
        assert_eq!(group["employee_id"], b.as_str());
        assert_eq!(group["counterparties"].as_array().unwrap().len(), 2);
        assert_eq!(group["reminders"][0]["document_id"], id(&sh).as_str());
        assert_eq!(group["reminders"][0]["effective_date"], next_year.as_str());
        // The action needs confirmation.
        assert_eq!(
            t.post("/api/v1/handover", &head, body.clone())
                .await
                .error_fields(),
            vec!["confirm"]
        );
        let mut ok = body.clone();
        ok["confirm"] = json!(true);
        let r = t.post("/api/v1/handover", &head, ok).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        t.send(
            Method::POST,
            &format!("/api/v1/employees/{a}/archive"),
            &t.admin,
            None,
            &[],
        )
        .await;
        // Nothing stays with her: a fresh preview finds nothing, her Today next year is empty.
        let again = t.post("/api/v1/handover/preview", &t.admin, body).await;
        assert!(
            again.body["documents"].as_array().unwrap().is_empty()
                && again.body["counterparties"].as_array().unwrap().is_empty(),
            "{}",
            again.text
        );
        let left = today(&t, &t.admin, &format!("employee_id={a}&date={next_year}")).await;
        assert!(left["reminders"].as_array().unwrap().is_empty());
        assert_eq!(left["documents_total"], 0);
        // The reminder reaches petrov on its day.
        assert_eq!(
            reminder_docs(&today(&t, &btok, &format!("date={next_year}")).await),
            vec![id(&sh)]
        );
        assert_eq!(
            responsible(&t, &format!("/api/v1/shipments/{}", id(&sh))).await,
            b
        );
        assert_eq!(
            t.get(&format!("/api/v1/counterparties/{cp}"), &t.admin)
                .await
                .body["manager_id"],
            b.as_str()
        );
        let log = t.get("/api/v1/audit-log?action=handover", &t.admin).await;
        assert_eq!(log.body["items"].as_array().unwrap().len(), 1);
    }
);

both_engines!(
    split_handover_by_kind_and_counterparty,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let (a, atok) = staff(&t, "leaving", "manager", None).await;
        let (b, _) = staff(&t, "sales", "manager", None).await;
        let (e, _) = staff(&t, "eng2", "service_engineer", None).await;
        let (c, _) = staff(&t, "key", "manager", None).await;
        let cp = client(&t, "ООО «Клиент»", Some(&a)).await;
        let key = client(&t, "ООО «Ключевой»", Some(&a)).await;
        let sh = shipment(&t, &atok, &s, &cp, "2026-03-01", json!({})).await;
        let ksh = shipment(&t, &atok, &s, &key, "2026-03-01", json!({})).await;
        let so = created(
            &t,
            &atok,
            "/api/v1/sales-orders",
            json!({"counterparty_id": cp, "lines": [{"product_id": s.product, "qty": "1"}]}),
        )
        .await;
        // Shipments to the engineer (a kind rule), the key client to another manager, the rest to sales.
        let body = json!({"from_employee_id": a, "to_employee_id": b, "confirm": true,
        "by_kind": [{"kind": "shipment", "to_employee_id": e}],
        "by_counterparty": [{"counterparty_id": key, "to_employee_id": c}]});
        let bad = t.post("/api/v1/handover/preview", &t.admin, json!({"from_employee_id": a, "to_employee_id": b, "by_kind": [{"kind": "nope", "to_employee_id": a}]})).await;
        let mut f = bad.error_fields();
        f.sort();
        assert_eq!(f, vec!["by_kind[0].kind", "by_kind[0].to_employee_id"]);
        let r = t.post("/api/v1/handover", &t.admin, body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            responsible(&t, &format!("/api/v1/shipments/{}", id(&sh))).await,
            e
        );
        assert_eq!(
            responsible(&t, &format!("/api/v1/shipments/{}", id(&ksh))).await,
            e,
            "a kind rule wins"
        );
        assert_eq!(
            responsible(&t, &format!("/api/v1/sales-orders/{}", id(&so))).await,
            b
        );
        assert_eq!(
            t.get(&format!("/api/v1/counterparties/{key}"), &t.admin)
                .await
                .body["manager_id"],
            c.as_str()
        );
        assert_eq!(
            t.get(&format!("/api/v1/counterparties/{cp}"), &t.admin)
                .await
                .body["manager_id"],
            b.as_str()
        );
        let groups: Vec<(String, usize)> = r.body["receivers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["employee_id"].as_str().unwrap().to_string(),
                    g["documents"].as_array().unwrap().len(),
                )
            })
            .collect();
        assert!(
            groups.contains(&(e.clone(), 2))
                && groups.contains(&(b.clone(), 1))
                && groups.contains(&(c.clone(), 0)),
            "{groups:?}"
        );
    }
);

both_engines!(absence_with_a_deputy, |t: TestApp| async move {
    let s = shop(&t).await;
    let d1 = dept(&t, "Продажи").await;
    let d2 = dept(&t, "Регионы").await;
    let (_, head) = staff(&t, "head", "department_head", Some(&d1)).await;
    let (_, head2) = staff(&t, "head2", "department_head", Some(&d2)).await;
    let (a, atok) = staff(&t, "away", "manager", Some(&d1)).await;
    let (p, ptok) = staff(&t, "deputy", "manager", Some(&d1)).await;
    let (_, other) = staff(&t, "other", "manager", Some(&d1)).await;
    let cp = client(&t, "ООО «Клиент»", Some(&a)).await;
    let o = created(
        &t,
        &atok,
        "/api/v1/sales-orders",
        json!({"counterparty_id": cp, "lines": [{"product_id": s.product, "qty": "1"}]}),
    )
    .await;
    let o = id(&o);
    assert_eq!(
        assign(&t, &atok, &o, "remind", &day(0), "позвонить").await,
        StatusCode::CREATED
    );
    // Before the absence: the deputy sees nothing of hers and may not act.
    assert!(reminder_docs(&today(&t, &ptok, "").await).is_empty());
    assert_eq!(
        assign(&t, &ptok, &o, "waiting", "", "").await,
        StatusCode::FORBIDDEN
    );
    let body =
        json!({"employee_id": a, "from": day(-1), "to": day(3), "deputy_id": p, "note": "отпуск"});
    // Only heads of the department and admins record absences; checked fields.
    assert_eq!(
        t.post("/api/v1/absences", &other, body.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.post("/api/v1/absences", &head2, body.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let bad = t
        .post(
            "/api/v1/absences",
            &head,
            json!({"employee_id": a, "from": day(3), "to": day(1), "deputy_id": a}),
        )
        .await;
    let mut f = bad.error_fields();
    f.sort();
    assert_eq!(f, vec!["deputy_id", "to"]);
    let ab = created(&t, &head, "/api/v1/absences", body.clone()).await;
    assert_eq!(
        t.post("/api/v1/absences", &head, body).await.error_fields(),
        vec!["from"],
        "overlap"
    );
    // During it: her reminder and order on the deputy's Today, marked.
    let v = today(&t, &ptok, "").await;
    assert_eq!(reminder_docs(&v), vec![o.clone()]);
    assert_eq!(v["reminders"][0]["covered_for_id"], a.as_str());
    assert_eq!(v["documents"][0]["covered_for_id"], a.as_str());
    assert_eq!(v["covering"][0][0], a.as_str());
    // …the day after it ends, gone by itself.
    assert!(reminder_docs(&today(&t, &ptok, &format!("date={}", day(4))).await).is_empty());
    // The deputy acts as the responsible would; nothing moves.
    assert_eq!(
        assign(&t, &ptok, &o, "agreed", "", "клиент согласен").await,
        StatusCode::CREATED
    );
    assert_eq!(
        assign(&t, &other, &o, "agreed", "", "").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        responsible(&t, &format!("/api/v1/sales-orders/{o}")).await,
        a
    );
    assert_eq!(
        t.get(&format!("/api/v1/counterparties/{cp}"), &t.admin)
            .await
            .body["manager_id"],
        a.as_str()
    );
    let listed = t
        .get(&format!("/api/v1/absences?on={}", day(0)), &head)
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(listed.body[0]["deputy_id"], p.as_str());
    // Ended early: the view returns.
    post(&t, &head, &format!("/api/v1/absences/{}/cancel", id(&ab))).await;
    assert!(today(&t, &ptok, "").await["documents"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        assign(&t, &ptok, &o, "waiting", "", "").await,
        StatusCode::FORBIDDEN
    );
    let log = t.get("/api/v1/audit-log?action=absence", &t.admin).await;
    assert_eq!(log.body["items"].as_array().unwrap().len(), 1);
});

both_engines!(
    contacts_and_an_interactions_reminder,
    |t: TestApp| async move {
        let (m, mtok) = staff(&t, "mgr", "manager", None).await;
        let (_, sktok) = staff(&t, "store", "storekeeper", None).await;
        let cp = client(&t, "ООО «Клиент»", Some(&m)).await;
        let other = client(&t, "ООО «Другой»", Some(&m)).await;
        let path = format!("/api/v1/counterparties/{cp}/contacts");
        let k1 = created(&t, &mtok, &path, json!({"name": "Пётр Сидоров", "position": "Главный инженер", "phone": "+7 900 000-00-01", "email": "ps@client.ru"})).await;
        created(
            &t,
            &mtok,
            &path,
            json!({"name": "Анна Котова", "position": "Бухгалтер"}),
        )
        .await;
        assert_eq!(
            t.post(&path, &mtok, json!({"name": "", "email": "нет"}))
                .await
                .error_fields(),
            vec!["name", "email"]
        );
        assert_eq!(
            t.post(&path, &sktok, json!({"name": "X"})).await.status,
            StatusCode::FORBIDDEN
        );
        let k2 = created(
            &t,
            &mtok,
            &format!("/api/v1/counterparties/{other}/contacts"),
            json!({"name": "Чужой"}),
        )
        .await;
        // Archived, never deleted.
        let r = t
            .put(
                &format!("{path}/{}", id(&k1)),
                &mtok,
                json!({"name": "Пётр Сидоров", "archived": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(t.get(&path, &mtok).await.body.as_array().unwrap().len(), 1);
        assert_eq!(
            t.get(&format!("{path}?archived=true"), &mtok)
                .await
                .body
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            t.put(&format!("{path}/{}", id(&k2)), &mtok, json!({"name": "X"}))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        // A call with a call-back on 15.12.
        let bad = t.post("/api/v1/interactions", &mtok, json!({"counterparty_id": cp, "kind": "telepathy", "contact_id": id(&k2), "subject": "", "at": "вчера", "remind_on": "31.02.2026"})).await;
        let mut f = bad.error_fields();
        f.sort();
        assert_eq!(f, vec!["at", "kind", "remind_on", "subject"]);
        let bad = t.post("/api/v1/interactions", &mtok, json!({"counterparty_id": cp, "kind": "call", "contact_id": id(&k2), "subject": "Звонок"})).await;
        assert_eq!(bad.error_fields(), vec!["contact_id"]);
        let it = created(&t, &mtok, "/api/v1/interactions", json!({"counterparty_id": cp, "kind": "call", "at": "2026-12-01T10:30", "contact_id": id(&k1), "subject": "Обсудили поставку", "text": "Просят КП на 10 насосов", "remind_on": "2026-12-15", "remind_note": "перезвонить"})).await;
        assert_eq!(it["contact_name"], "Пётр Сидоров");
        assert_eq!(it["at"], "2026-12-01T10:30");
        assert!(it["number"].as_str().unwrap().starts_with("КНТ-2026-"));
        assert!(reminder_docs(&today(&t, &mtok, "date=2026-12-14").await).is_empty());
        let v = today(&t, &mtok, "date=2026-12-15").await;
        assert_eq!(reminder_docs(&v), vec![id(&it)]);
        assert_eq!(v["reminders"][0]["status_code"], "call_back");
        assert_eq!(v["reminders"][0]["note"], "перезвонить");
        // A document like any other: it takes statuses.
        assert_eq!(
            assign(&t, &mtok, &id(&it), "done", "2026-12-15", "перезвонил").await,
            StatusCode::CREATED
        );
        assert!(reminder_docs(&today(&t, &mtok, "date=2026-12-16").await).is_empty());
        let list = t
            .get(&format!("/api/v1/interactions?counterparty_id={cp}"), &mtok)
            .await;
        assert_eq!(list.body["items"][0]["subject"], "Обсудили поставку");
        assert_eq!(
            t.get(&format!("/api/v1/interactions/{}", id(&it)), &mtok)
                .await
                .body["text"],
            "Просят КП на 10 насосов"
        );
    }
);

both_engines!(timeline_order_filters_and_pages, |t: TestApp| async move {
    let s = shop(&t).await;
    let (m, mtok) = staff(&t, "mgr", "manager", None).await;
    let cp = client(&t, "ООО «Клиент»", Some(&m)).await;
    let o = created(&t, &mtok, "/api/v1/sales-orders", json!({"counterparty_id": cp, "date": "2026-03-01", "lines": [{"product_id": s.product, "qty": "1"}]})).await;
    let sh = shipment(&t, &mtok, &s, &cp, "2026-03-05", json!({})).await;
    let pay = created(
        &t,
        &t.admin,
        "/api/v1/payments",
        json!({"counterparty_id": cp, "amount": "100", "date": "2026-03-10"}),
    )
    .await;
    let i1 = created(&t, &mtok, "/api/v1/interactions", json!({"counterparty_id": cp, "kind": "meeting", "at": "2026-03-03T15:00", "subject": "Встреча"})).await;
    let i2 = created(&t, &mtok, "/api/v1/interactions", json!({"counterparty_id": cp, "kind": "letter", "at": "2026-03-12T09:00", "subject": "Письмо"})).await;
    assert_eq!(
        assign(&t, &mtok, &id(&o), "agreed", "2026-03-02", "").await,
        StatusCode::CREATED
    );
    let url = format!("/api/v1/counterparties/{cp}/timeline");
    // Documents newest first (the status change was set today, so it leads).
    let all = t.get(&url, &mtok).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    let seq: Vec<(String, String)> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_string(),
                e["document_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let d = |v: &Value| ("document".to_string(), id(v));
    assert_eq!(
        seq,
        vec![
            ("status".to_string(), id(&o)),
            d(&i2),
            d(&pay),
            d(&sh),
            d(&i1),
            d(&o)
        ]
    );
    // Pages of two walk the same feed.
    let mut walked = Vec::new();
    let mut cursor = String::new();
    loop {
        let p = t
            .get(&format!("{url}?limit=2&cursor={cursor}"), &mtok)
            .await;
        let items = p.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        walked.extend(items.iter().map(|e| {
            (
                e["event"].as_str().unwrap().to_string(),
                e["document_id"].as_str().unwrap().to_string(),
            )
        }));
        match p.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(walked, seq);
    // By kind and period.
    let kinds = t.get(&format!("{url}?kind=interaction"), &mtok).await;
    let k: Vec<&str> = kinds.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(k, vec!["Письмо", "Встреча"]);
    let st = t.get(&format!("{url}?kind=status"), &mtok).await;
    assert_eq!(st.body["items"][0]["status_code"], "agreed");
    let period = t
        .get(
            &format!("{url}?kind=shipment,payment_in,interaction&from=2026-03-04&to=2026-03-10"),
            &mtok,
        )
        .await;
    let p: Vec<String> = period.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["document_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(p, vec![id(&pay), id(&sh)]);
    let mut f = t
        .get(&format!("{url}?kind=gossip&from=31.02.2026&limit=0"), &mtok)
        .await
        .error_fields();
    f.sort();
    assert_eq!(f, vec!["from", "kind", "limit"]);
    assert_eq!(
        t.get("/api/v1/counterparties/999999/timeline", &mtok)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
});

both_engines!(
    unattended_lists_and_the_company_today,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let d1 = dept(&t, "Продажи").await;
        let d2 = dept(&t, "Регионы").await;
        let (_, head) = staff(&t, "head", "department_head", Some(&d1)).await;
        let (a, atok) = staff(&t, "mgra", "manager", Some(&d1)).await;
        let (c, ctok) = staff(&t, "mgrc", "manager", Some(&d2)).await;
        let cp = client(&t, "ООО «Забытый»", Some(&a)).await;
        let fresh = client(&t, "ООО «Свежий»", Some(&a)).await;
        let talked = client(&t, "ООО «Звонили»", Some(&a)).await;
        let never = client(&t, "ООО «Не покупал»", Some(&a)).await;
        let far = client(&t, "ООО «Чужой отдел»", Some(&c)).await;
        let _ = never;
        // On 30.06 with N = 14: the cut-off is 16.06.
        let order = |tok: String, cp: String| {
            let t = &t;
            let s = &s;
            async move {
                let o = created(t, &tok, "/api/v1/sales-orders", json!({"counterparty_id": cp, "date": "2026-05-01", "lines": [{"product_id": s.product, "qty": "1"}]})).await;
                post(t, &tok, &format!("/api/v1/sales-orders/{}/post", id(&o))).await;
                id(&o)
            }
        };
        let no_status = order(atok.clone(), fresh.clone()).await;
        let old_status = order(atok.clone(), fresh.clone()).await;
        assign(&t, &atok, &old_status, "offer_sent", "2026-06-01", "").await;
        let recent = order(atok.clone(), fresh.clone()).await;
        assign(&t, &atok, &recent, "offer_sent", "2026-06-27", "").await;
        let won = order(atok.clone(), fresh.clone()).await;
        assign(&t, &atok, &won, "won", "2026-06-01", "").await;
        let other_dept = order(ctok.clone(), far.clone()).await;
        let _ = other_dept;
        shipment(&t, &atok, &s, &cp, "2026-03-20", json!({})).await;
        shipment(&t, &atok, &s, &talked, "2026-03-20", json!({})).await;
        shipment(&t, &ctok, &s, &far, "2026-03-20", json!({})).await;
        created(&t, &atok, "/api/v1/interactions", json!({"counterparty_id": talked, "kind": "call", "at": "2026-06-27T11:00", "subject": "Как дела"})).await;
        let r = t.get("/api/v1/unattended?date=2026-06-30", &head).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["days"], 14);
        let mut orders: Vec<String> = r.body["orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["document_id"].as_str().unwrap().to_string())
            .collect();
        orders.sort();
        let mut want = vec![no_status.clone(), old_status.clone()];
        want.sort();
        assert_eq!(orders, want);
        let cps: Vec<&str> = r.body["counterparties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["counterparty_id"].as_str().unwrap())
            .collect();
        assert_eq!(cps, vec![cp.as_str()]);
        assert_eq!(r.body["counterparties"][0]["days_since"], 102);
        // N is a setting.
        let set = t
            .put(
                "/api/v1/settings/unattended_days",
                &t.admin,
                json!({"value": "120"}),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.text);
        let r = t.get("/api/v1/unattended?date=2026-06-30", &head).await;
        assert_eq!(r.body["days"], 120);
        assert!(r.body["counterparties"].as_array().unwrap().is_empty());
        assert_eq!(
            r.body["orders"].as_array().unwrap().len(),
            1,
            "only the order with no status"
        );
        assert_eq!(
            t.put(
                "/api/v1/settings/unattended_days",
                &t.admin,
                json!({"value": "0"})
            )
            .await
            .error_fields(),
            vec!["value"]
        );
        assert_eq!(
            t.get("/api/v1/unattended?days=abc", &head)
                .await
                .error_fields(),
            vec!["days"]
        );
        // The admin's Today: the whole company, by department.
        assign(&t, &atok, &no_status, "remind", "2026-06-29", "").await;
        assign(&t, &ctok, &other_dept, "remind", "2026-06-29", "").await;
        let v = today(&t, &t.admin, "date=2026-06-30").await;
        let mut rem = reminder_docs(&v);
        rem.sort();
        let mut want = vec![no_status.clone(), other_dept.clone()];
        want.sort();
        assert_eq!(rem, want);
        let deps: Vec<(String, i64)> = v["departments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["name"].as_str().unwrap().to_string(),
                    d["reminders"].as_i64().unwrap(),
                )
            })
            .collect();
        assert!(
            deps.contains(&("Продажи".to_string(), 1))
                && deps.contains(&("Регионы".to_string(), 1)),
            "{deps:?}"
        );
        let _ = c;
    }
);

both_engines!(
    client_work_pages_in_russian_and_english,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let (m, _) = staff(&t, "mgr", "manager", None).await;
        let (p, _) = staff(&t, "deputy", "manager", None).await;
        let cp = client(&t, "ООО «Клиент»", Some(&m)).await;
        let sh = shipment(&t, &t.admin, &s, &cp, "2026-03-01", json!({})).await;
        let cookie = crate::pages::web_login(&t, "admin", kupets_testkit::ADMIN_PASSWORD).await;
        // The client card: add a contact and record a call with a call-back through the forms.
        let card = t.page(&format!("/counterparties/{cp}"), &cookie).await;
        assert!(
            card.text.contains("Контактные лица") && card.text.contains("Лента клиента"),
            "{}",
            card.text
        );
        let csrf = crate::pages::csrf_of(&card.text);
        let r = t
            .form(
                &format!("/counterparties/{cp}/contacts"),
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("name", "Пётр Сидоров"),
                    ("position", "Инженер"),
                ],
            )
            .await;
        assert!(r.status.is_redirection(), "{}", r.text);
        let contacts = t
            .get(&format!("/api/v1/counterparties/{cp}/contacts"), &t.admin)
            .await
            .body;
        let k = contacts[0]["id"].as_str().unwrap().to_string();
        let r = t
            .form(
                "/interactions",
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("counterparty_id", &cp),
                    ("kind", "call"),
                    ("at", "2026-03-02T10:00"),
                    ("contact_id", &k),
                    ("subject", "Обсудили ТО"),
                    ("remind_on", "2026-12-15"),
                ],
            )
            .await;
        assert!(r.status.is_redirection(), "{}", r.text);
        let it = r.headers["location"].to_str().unwrap().to_string();
        let page = t.page(&it, &cookie).await;
        assert!(
            page.text.contains("Обсудили ТО")
                && page.text.contains("Пётр Сидоров")
                && page.text.contains("Перезвонить клиенту"),
            "{}",
            page.text
        );
        // A bad interaction: the form's refusal names the field.
        let r = t
            .form(
                "/interactions",
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("counterparty_id", &cp),
                    ("kind", "call"),
                    ("subject", ""),
                ],
            )
            .await;
        assert!(r.text.contains("subject"), "{}", r.text);
        let feed = t
            .page(
                &format!("/counterparties/{cp}/timeline?kind=interaction"),
                &cookie,
            )
            .await;
        assert!(
            feed.text.contains("Обсудили ТО") && !feed.text.contains("Отгрузка РН"),
            "{}",
            feed.text
        );
        let en = t
            .page(
                &format!("/counterparties/{cp}/timeline"),
                &format!("{cookie}; lang=en"),
            )
            .await;
        assert!(
            en.text.contains("Client timeline") && en.text.contains("Shipment"),
            "{}",
            en.text
        );
        // Changing the responsible on the document page.
        let r = t
            .form(
                &format!("/documents/{}/responsible", id(&sh)),
                &cookie,
                &[("csrf", &csrf), ("responsible_id", &p)],
            )
            .await;
        assert!(r.status.is_redirection(), "{}", r.text);
        assert_eq!(
            responsible(&t, &format!("/api/v1/shipments/{}", id(&sh))).await,
            p
        );
        // Absences: recorded on the page; the deputy's Today says whom they cover.
        let r = t
            .form(
                "/absences",
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("employee_id", &m),
                    ("from", &day(-1)),
                    ("to", &day(2)),
                    ("deputy_id", &p),
                    ("note", "отпуск"),
                ],
            )
            .await;
        assert!(r.status.is_redirection(), "{}", r.text);
        let list = t.page("/absences", &cookie).await;
        assert!(
            list.text.contains("Сотрудник mgr") && list.text.contains("отпуск"),
            "{}",
            list.text
        );
        let bad = t
            .form(
                "/absences",
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("employee_id", &m),
                    ("from", &day(5)),
                    ("to", &day(1)),
                    ("deputy_id", &p),
                ],
            )
            .await;
        assert!(bad.text.contains("раньше, чем начинается"), "{}", bad.text);
        let dcookie = crate::pages::web_login(&t, "deputy", "password-123").await;
        let today = t.page("/today", &dcookie).await;
        assert!(
            today.text.contains("Вы замещаете") && today.text.contains("Сотрудник mgr"),
            "{}",
            today.text
        );
        let today_en = t.page("/today", &format!("{dcookie}; lang=en")).await;
        assert!(
            today_en.text.contains("You are covering"),
            "{}",
            today_en.text
        );
        // The admin's Today by department, the unattended lists, the hand-over page.
        assert!(t
            .page("/today", &cookie)
            .await
            .text
            .contains("Компания по отделам"));
        let u = t.page("/unattended", &cookie).await;
        assert!(u.text.contains("Открытые заказы без статуса"), "{}", u.text);
        let u = t.page("/unattended", &format!("{cookie}; lang=en")).await;
        assert!(u.text.contains("Open orders with no status"), "{}", u.text);
        let h = t
            .page(
                &format!("/handover?from_employee_id={m}&to_employee_id={p}"),
                &cookie,
            )
            .await;
        assert!(
            h.text.contains("Получает Сотрудник deputy") && h.text.contains("ООО «Клиент»"),
            "{}",
            h.text
        );
        let h = t
            .page(
                &format!("/handover?from_employee_id={m}&to_employee_id={p}"),
                &format!("{cookie}; lang=en"),
            )
            .await;
        assert!(
            h.text.contains("To Сотрудник deputy") && h.text.contains("confirm the hand-over"),
            "{}",
            h.text
        );
    }
);

both_engines!(
    recall_and_repair_ready_reach_the_clients_manager,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let (m, mtok) = staff(&t, "mgr", "manager", None).await;
        let (e, etok) = staff(&t, "eng", "service_engineer", None).await;
        let (sk, sktok) = staff(&t, "store", "storekeeper", None).await;
        let (_, head) = staff(&t, "head", "department_head", None).await;
        let cp = client(&t, "ООО «Клиент»", Some(&m)).await;
        let pump = id(&created(&t, &t.admin, "/api/v1/products", json!({"sku": "SN-PUMP", "name": "Насос с номером", "serial_tracked": true, "warranty_months": "12"})).await);
        t.set_retail(&pump, "2025-01-01", "20000").await;
        let sup = id(&created(
            &t,
            &t.admin,
            "/api/v1/counterparties",
            json!({"name": "Завод-2", "kind": "supplier"}),
        )
        .await);
        let rc = created(&t, &t.admin, "/api/v1/receipts", json!({"counterparty_id": sup, "warehouse_id": s.wh, "date": "2026-01-10", "lines": [{"product_id": pump, "qty": "2", "price": "9000", "serials": ["S-1", "S-2"]}]})).await;
        post(&t, &t.admin, &format!("/api/v1/receipts/{}/post", id(&rc))).await;
        let sh = shipment(
            &t,
            &sktok,
            &s,
            &cp,
            &day(-30),
            json!({"lines": [{"product_id": pump, "qty": "1", "serials": ["S-1"]}]}),
        )
        .await;
        // The storekeeper is made responsible for the shipment: recalls still go to the client's manager.
        let r = t
            .put(
                &format!("/api/v1/documents/{}/responsible", id(&sh)),
                &mtok,
                json!({"responsible_id": sk}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = t
            .post(
                "/api/v1/recalls",
                &head,
                json!({"name": "Насосы 2026", "product_id": pump}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let v = today(&t, &mtok, "").await;
        assert_eq!(reminder_docs(&v), vec![id(&sh)], "{v}");
        assert_eq!(v["reminders"][0]["status_code"], "recall");
        assert_eq!(v["reminders"][0]["system"], true);
        assert!(
            reminder_docs(&today(&t, &sktok, "").await).is_empty(),
            "not the storekeeper's"
        );
        // A repair handled by the engineer: "ready" reminds the client's manager.
        let rep = created(&t, &etok, "/api/v1/repairs", json!({"serial": "S-1"})).await;
        assert_eq!(rep["counterparty_id"], cp.as_str());
        let r = t
            .put(
                &format!("/api/v1/documents/{}/responsible", id(&rep)),
                &mtok,
                json!({"responsible_id": e}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        for st in ["diagnosis", "in_repair", "ready"] {
            let r = t
                .post(
                    &format!("/api/v1/repairs/{}/state", id(&rep)),
                    &etok,
                    json!({"state": st}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{st}: {}", r.text);
        }
        let v = today(&t, &mtok, "").await;
        let mut want = vec![id(&sh), id(&rep)];
        want.sort();
        assert_eq!(reminder_docs(&v), want);
        assert!(v["reminders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["status_code"] == "repair_ready"));
        assert!(
            reminder_docs(&today(&t, &etok, "").await).is_empty(),
            "not the engineer's"
        );
    }
);
