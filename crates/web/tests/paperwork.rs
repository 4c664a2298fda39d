//! Russian paperwork on both engines: requisites with control keys, the
//! invoice (счёт на оплату) from an order paid in two payments, its QR
//! payload, УПД (status 1 and 2) and ТОРГ-12 with serial numbers, PDF text
//! read back with `pdftotext` and the QR decoded with `zbarimg`, e-mail to a
//! real SMTP server (aiosmtpd) started here, retries and failure, the digest.

use axum::http::{Method, StatusCode};
use kupets_domain::inn::complete_inn10;
use kupets_domain::requisites::with_account_key;
use kupets_testkit::{both_engines, TestApp};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

async fn created(t: &TestApp, path: &str, body: Value) -> Value {
    let r = t.post(path, &t.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body
}

async fn ok(t: &TestApp, path: &str, body: Value) -> Value {
    let r = t.post(path, &t.admin, body).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.body
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

pub fn our_account() -> String {
    with_account_key("225", "40702810000000012345")
}

/// Our company: ООО «Купец» with a Sberbank account, signatories, VAT payer.
async fn company(t: &TestApp) {
    let r = t
        .put(
            "/api/v1/company",
            &t.admin,
            json!({"short_name": "ООО «Купец»", "full_name": "Общество с ограниченной ответственностью «Купец»",
                   "inn": "7707083893", "kpp": "773601001", "ogrn": "1027700132195",
                   "legal_address": "117997, Москва, ул. Вавилова, д. 19", "phone": "+7 495 000-00-00",
                   "director_position": "Генеральный директор", "director_name": "Иванов И. И.",
                   "accountant_position": "Главный бухгалтер", "accountant_name": "Петрова П. П."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    created(
        t,
        "/api/v1/company/bank-accounts",
        json!({"bank_name": "ПАО Сбербанк", "bic": "044525225", "corr_account": "30101810400000000225", "account": our_account()}),
    )
    .await;
}

struct Shop {
    wh: String,
    drill: String,
    saw: String,
    pump: String,
    customer: String,
}

async fn shop(t: &TestApp) -> Shop {
    company(t).await;
    let wh = id(&created(t, "/api/v1/warehouses", json!({"name": "Склад"})).await);
    let drill = id(&created(
        t,
        "/api/v1/products",
        json!({"sku": "DR-1", "name": "Дрель ударная"}),
    )
    .await);
    let saw = id(&created(
        t,
        "/api/v1/products",
        json!({"sku": "SW-2", "name": "Пила дисковая"}),
    )
    .await);
    let pump = id(&created(
        t,
        "/api/v1/products",
        json!({"sku": "PUMP", "name": "Насос серийный", "serial_tracked": true, "warranty_months": "12"}),
    )
    .await);
    t.set_retail(&drill, "2025-01-01", "1000").await;
    t.set_retail(&saw, "2025-01-01", "2500.50").await;
    t.set_retail(&pump, "2025-01-01", "7000").await;
    let customer = id(&created(
        t,
        "/api/v1/counterparties",
        json!({"name": "ООО «Стройка»", "inn": complete_inn10("502900112"), "kpp": "502901001",
               "address": "141000, Мытищи, ул. Мира, 1", "email": "buh@stroyka.test"}),
    )
    .await);
    let supplier = id(&created(
        t,
        "/api/v1/counterparties",
        json!({"name": "Завод", "kind": "supplier"}),
    )
    .await);
    let rc = created(t, "/api/v1/receipts", json!({"counterparty_id": supplier, "warehouse_id": wh, "date": "2025-01-01",
        "lines": [{"product_id": drill, "qty": "100", "price": "500"}, {"product_id": saw, "qty": "100", "price": "900"}]})).await;
    ok(t, &format!("/api/v1/receipts/{}/post", id(&rc)), json!({})).await;
    let pr = created(
        t,
        "/api/v1/productions",
        json!({"product_id": pump, "warehouse_id": wh, "date": "2026-01-05",
        "units": [{"serial": "PN-0001"}, {"serial": "PN-0002"}]}),
    )
    .await;
    ok(
        t,
        &format!("/api/v1/productions/{}/post", id(&pr)),
        json!({}),
    )
    .await;
    Shop {
        wh,
        drill,
        saw,
        pump,
        customer,
    }
}

/// A posted order: 3 drills and 2 saws = 3 000,00 + 5 001,00 = 8 001,00.
async fn order(t: &TestApp, s: &Shop) -> String {
    let o = created(
        t,
        "/api/v1/sales-orders",
        json!({"counterparty_id": s.customer, "date": "2026-03-02",
        "lines": [{"product_id": s.drill, "qty": "3"}, {"product_id": s.saw, "qty": "2"}]}),
    )
    .await;
    let o = id(&o);
    ok(t, &format!("/api/v1/sales-orders/{o}/post"), json!({})).await;
    o
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "kupets-paper-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// The PDF's text as Debian's poppler-utils extract it.
fn pdftotext(pdf: &[u8]) -> String {
    let f = tmp("doc.pdf");
    std::fs::write(&f, pdf).expect("write pdf");
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&f)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by .ci/run");
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Every QR code on the PDF's pages, decoded by zbarimg (zbar-tools).
fn qr_codes(pdf: &[u8]) -> Vec<String> {
    let f = tmp("qr.pdf");
    std::fs::write(&f, pdf).expect("write pdf");
    let prefix = f.with_extension("");
    let st = Command::new("pdftoppm")
        .args(["-r", "200", "-png"])
        .arg(&f)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (poppler-utils) is installed by .ci/run");
    assert!(st.success());
    let dir = f.parent().expect("dir");
    let mut codes = Vec::new();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    for png in pages {
        let out = Command::new("zbarimg")
            .args(["-q", "--raw", "-Sdisable", "-Sqrcode.enable"])
            .arg(&png)
            .output()
            .expect("zbarimg (zbar-tools) is installed by .ci/run");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        codes.extend(text.lines().filter(|l| !l.is_empty()).map(str::to_string));
    }
    codes
}

async fn pdf(t: &TestApp, path: &str) -> Vec<u8> {
    let req = axum::http::Request::builder()
        .method(Method::GET)
        .uri(path)
        .header("authorization", format!("Bearer {}", t.admin))
        .body(axum::body::Body::empty())
        .expect("request");
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let resp = t.router.clone().oneshot(req).await.expect("response");
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    assert!(bytes.starts_with(b"%PDF-"), "{path} is a PDF");
    bytes.to_vec()
}

async fn web_cookie(t: &TestApp) -> String {
    crate::pages::web_login(t, "admin", kupets_testkit::ADMIN_PASSWORD).await
}

async fn page_lang(t: &TestApp, path: &str, cookie: &str, lang: &str) -> kupets_testkit::Resp {
    t.page(path, &format!("{cookie}; lang={lang}")).await
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

both_engines!(
    requisites_refuse_wrong_control_keys,
    |t: TestApp| async move {
        // A wrong INN check digit and a wrong OGRN: 422 naming both fields.
        let r = t
            .put(
                "/api/v1/company",
                &t.admin,
                json!({"short_name": "ООО «Купец»", "inn": "7707083894", "ogrn": "1027700132196"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let mut f = r.error_fields();
        f.sort();
        assert_eq!(f, vec!["inn", "ogrn"]);
        // An organisation's INN with a sole trader's OGRNIP is refused too.
        let r = t
        .put("/api/v1/company", &t.admin, json!({"short_name": "ООО «Купец»", "inn": "7707083893", "ogrn": "304500116000157"}))
        .await;
        assert_eq!(r.error_fields(), vec!["ogrn"]);
        // Nothing was written: the card is still empty.
        assert_eq!(t.get("/api/v1/company", &t.admin).await.body["inn"], "");

        // A bank account whose control key does not match the BIC: 422 on `account`;
        // a correspondent account of another bank: 422 on `corr_account`.
        let acc = our_account();
        let mut wrong: Vec<char> = acc.chars().collect();
        wrong[19] = if wrong[19] == '1' { '2' } else { '1' };
        let wrong: String = wrong.into_iter().collect();
        let r = t
        .post("/api/v1/company/bank-accounts", &t.admin, json!({"bank_name": "ПАО Сбербанк", "bic": "044525225", "corr_account": "30101810400000000225", "account": wrong}))
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.error_fields(), vec!["account"]);
        let r = t
        .send(Method::POST, "/api/v1/company/bank-accounts", &t.admin, Some(json!({"bank_name": "ПАО Сбербанк", "bic": "044525225", "corr_account": "30101810400000000226", "account": acc})), &[("accept-language", "en")])
        .await;
        assert_eq!(r.error_fields(), vec!["corr_account"]);
        assert!(
            r.text.contains("control key"),
            "English message: {}",
            r.text
        );
        company(&t).await;
        let c = t.get("/api/v1/company", &t.admin).await.body;
        assert_eq!(c["inn"], "7707083893");
        assert_eq!(c["bank_accounts"][0]["account"], acc.as_str());
        assert_eq!(c["bank_accounts"][0]["is_main"], true);
        // The statements' company name follows the card.
        let s = t.get("/api/v1/settings", &t.admin).await;
        assert!(s.text.contains("ООО «Купец»"), "{}", s.text);

        // Counterparties: the same checks.
        let r = t
            .post(
                "/api/v1/counterparties",
                &t.admin,
                json!({"name": "ИП Сидоров", "inn": "500100732259", "ogrn": "304500116000158"}),
            )
            .await;
        assert_eq!(r.error_fields(), vec!["ogrn"]);
        let cp = created(&t, "/api/v1/counterparties", json!({"name": "ИП Сидоров", "inn": "500100732259", "ogrn": "304500116000157", "postal_address": "а/я 5"})).await;
        assert_eq!(cp["ogrn"], "304500116000157");
        let path = format!("/api/v1/counterparties/{}/bank-accounts", id(&cp));
        let r = t
            .post(
                &path,
                &t.admin,
                json!({"bank_name": "Сбер", "bic": "04452522X", "account": acc}),
            )
            .await;
        assert_eq!(r.error_fields(), vec!["bic"]);
        let r = t
            .post(
                &path,
                &t.admin,
                json!({"bank_name": "Сбер", "bic": "044525225", "account": wrong}),
            )
            .await;
        assert_eq!(r.error_fields(), vec!["account"]);
        created(&t, &path, json!({"bank_name": "Сбер", "bic": "044525225", "corr_account": "30101810400000000225", "account": acc})).await;
        assert_eq!(
            t.get(&path, &t.admin).await.body.as_array().map(Vec::len),
            Some(1)
        );

        // A manager may not change the company card.
        let e = created(&t, "/api/v1/employees", json!({"login": "mgr", "name": "Менеджер", "role": "manager", "password": "password-123"})).await;
        let tok = t.login("mgr", "password-123").await;
        let r = t
            .put("/api/v1/company", &tok, json!({"short_name": "Чужая"}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let _ = e;

        // The SMTP password is stored but never shown back.
        let r = t
        .put("/api/v1/mail-settings", &t.admin, json!({"host": "smtp.example.test", "port": "587", "username": "kupets", "password": "s3cret-Pa55", "from_addr": "noreply@kupets.test"}))
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["password_set"], true);
        let g = t.get("/api/v1/mail-settings", &t.admin).await;
        assert!(
            !g.text.contains("s3cret-Pa55") && g.body.get("password").is_none(),
            "{}",
            g.text
        );
        let page = t.page("/mail-settings", &web_cookie(&t).await).await;
        assert!(!page.text.contains("s3cret-Pa55"));
        // Saving without a password keeps it.
        let r = t
            .put(
                "/api/v1/mail-settings",
                &t.admin,
                json!({"host": "smtp.example.test", "from_addr": "noreply@kupets.test"}),
            )
            .await;
        assert_eq!(r.body["password_set"], true);
        let r = t
            .put(
                "/api/v1/mail-settings",
                &t.admin,
                json!({"host": "x", "from_addr": "not an address", "digest_time": "25:00"}),
            )
            .await;
        let mut f = r.error_fields();
        f.sort();
        assert_eq!(f, vec!["digest_time", "from_addr"]);
    }
);

both_engines!(
    invoice_from_order_paid_in_two_payments,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let o = order(&t, &s).await;
        let inv = created(
            &t,
            &format!("/api/v1/sales-orders/{o}/invoice"),
            json!({"date": "2026-03-03", "due_date": "2026-03-10"}),
        )
        .await;
        let inv_id = id(&inv);
        assert_eq!(inv["kind"], "invoice");
        assert_eq!(inv["state"], "posted");
        assert_eq!(inv["number"], "СЧ-2026-000001");
        assert_eq!(inv["amount"], "8001.00");
        assert_eq!(inv["order_id"], o.as_str());
        assert_eq!(inv["due_date"], "2026-03-10");
        assert_eq!(inv["lines"].as_array().map(Vec::len), Some(2));
        assert_eq!(inv["payment_state"], "unpaid");
        // The QR payload, exactly: our requisites, the sum in kopecks, the purpose with VAT.
        // VAT 22/122 of 3 000,00 = 540,98 and of 5 001,00 = 901,82.
        let expected = format!(
        "ST00012|Name=Общество с ограниченной ответственностью «Купец»|PersonalAcc={}|BankName=ПАО Сбербанк|BIC=044525225|CorrespAcc=30101810400000000225|PayeeINN=7707083893|KPP=773601001|Sum=800100|Purpose=Оплата по счёту № СЧ-2026-000001 от 03.03.2026, в т. ч. НДС 1 442,80",
        our_account()
    );
        assert_eq!(inv["qr_payload"], expected.as_str());

        // A second invoice numbers on.
        let inv2 = created(&t, &format!("/api/v1/sales-orders/{o}/invoice"), json!({})).await;
        assert_eq!(inv2["number"], "СЧ-2026-000002");
        ok(
            &t,
            &format!("/api/v1/invoices/{}/cancel", id(&inv2)),
            json!({"reason": "дубль"}),
        )
        .await;

        // A payment naming a cancelled invoice, or with a wrong customer, is refused.
        let other = id(&created(&t, "/api/v1/counterparties", json!({"name": "Другой"})).await);
        let r = t
            .post(
                "/api/v1/payments",
                &t.admin,
                json!({"counterparty_id": other, "amount": "10", "invoice_id": inv_id}),
            )
            .await;
        assert_eq!(r.error_fields(), vec!["invoice_id"]);
        let r = t
            .post(
                "/api/v1/payments",
                &t.admin,
                json!({"counterparty_id": s.customer, "amount": "10", "invoice_id": id(&inv2)}),
            )
            .await;
        assert_eq!(r.error_fields(), vec!["invoice_id"]);

        // Two payments against the invoice: partly paid, then paid; the order follows.
        let p1 = created(&t, "/api/v1/payments", json!({"counterparty_id": s.customer, "date": "2026-03-05", "amount": "3000", "invoice_id": inv_id})).await;
        assert_eq!(p1["invoice_id"], inv_id.as_str());
        assert_eq!(
            p1["order_id"],
            o.as_str(),
            "the payment takes the invoice's order"
        );
        ok(&t, &format!("/api/v1/payments/{}/post", id(&p1)), json!({})).await;
        let v = t
            .get(&format!("/api/v1/invoices/{inv_id}"), &t.admin)
            .await
            .body;
        assert_eq!(
            (v["paid_amount"].as_str(), v["payment_state"].as_str()),
            (Some("3000.00"), Some("partially_paid"))
        );
        let ov = t
            .get(&format!("/api/v1/sales-orders/{o}"), &t.admin)
            .await
            .body;
        assert_eq!(ov["paid_amount"], "3000.00");
        assert_ne!(ov["payment_state"], "paid");
        let p2 = created(&t, "/api/v1/payments", json!({"counterparty_id": s.customer, "date": "2026-03-06", "amount": "5001", "invoice_id": inv_id})).await;
        ok(&t, &format!("/api/v1/payments/{}/post", id(&p2)), json!({})).await;
        let v = t
            .get(&format!("/api/v1/invoices/{inv_id}"), &t.admin)
            .await
            .body;
        assert_eq!(
            (v["paid_amount"].as_str(), v["payment_state"].as_str()),
            (Some("8001.00"), Some("paid"))
        );
        assert_eq!(v["payments"].as_array().map(Vec::len), Some(2));
        let ov = t
            .get(&format!("/api/v1/sales-orders/{o}"), &t.admin)
            .await
            .body;
        assert_eq!(
            (ov["paid_amount"].as_str(), ov["payment_state"].as_str()),
            (Some("8001.00"), Some("paid"))
        );
        // Cancelling a payment makes the invoice partly paid again (append-only ledger).
        ok(
            &t,
            &format!("/api/v1/payments/{}/cancel", id(&p2)),
            json!({"reason": "ошибка"}),
        )
        .await;
        let v = t
            .get(&format!("/api/v1/invoices/{inv_id}"), &t.admin)
            .await
            .body;
        assert_eq!(v["payment_state"], "partially_paid");

        // Invoices are listed, and take statuses and reminders like any document.
        let l = t
            .get(
                &format!("/api/v1/invoices?counterparty_id={}", s.customer),
                &t.admin,
            )
            .await
            .body;
        assert_eq!(l["items"].as_array().map(Vec::len), Some(2));
        let r = t.post(&format!("/api/v1/documents/{inv_id}/statuses"), &t.admin, json!({"status": "remind_payment", "effective_date": "2026-03-11", "note": "позвонить бухгалтеру"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let today = t.get("/api/v1/today?date=2026-03-12", &t.admin).await.body;
        let due: Vec<&str> = today["reminders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["number"].as_str().unwrap())
            .collect();
        assert_eq!(due, vec!["СЧ-2026-000001"]);

        // A standalone invoice with its own lines; bad lines name the fields.
        let r = t.post("/api/v1/invoices", &t.admin, json!({"counterparty_id": s.customer, "lines": [{"product_id": s.drill, "qty": "0", "price": "x"}]})).await;
        let mut f = r.error_fields();
        f.sort();
        assert_eq!(f, vec!["lines[0].price", "lines[0].qty"]);
        let d = created(&t, "/api/v1/invoices", json!({"counterparty_id": s.customer, "date": "2026-03-04", "lines": [{"product_id": s.drill, "qty": "1.5", "price": "1000"}]})).await;
        assert_eq!(
            (
                d["state"].as_str(),
                d["amount"].as_str(),
                d["due_date"].as_str()
            ),
            (Some("draft"), Some("1500.00"), Some("2026-03-09"))
        );
        ok(&t, &format!("/api/v1/invoices/{}/post", id(&d)), json!({})).await;
        let r = t
            .send(
                Method::POST,
                &format!("/api/v1/invoices/{}/post", id(&d)),
                &t.admin,
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
    }
);

both_engines!(invoice_pdf_text_and_qr, |t: TestApp| async move {
    let s = shop(&t).await;
    let o = order(&t, &s).await;
    let inv = created(
        &t,
        &format!("/api/v1/sales-orders/{o}/invoice"),
        json!({"date": "2026-03-03"}),
    )
    .await;
    let bytes = pdf(
        &t,
        &format!("/api/v1/documents/{}/papers/invoice", id(&inv)),
    )
    .await;
    let text = squash(&pdftotext(&bytes));
    for want in [
        "Счёт на оплату № СЧ-2026-000001 от 03.03.2026",
        "ИНН 7707083893",
        "КПП 773601001",
        "044525225",
        &our_account(),
        "ООО «Стройка»",
        "Дрель ударная",
        "Пила дисковая",
        "3 000,00",
        "5 001,00",
        "Итого: 8 001,00",
        "В том числе НДС: 1 442,80",
        "Всего наименований 2, на сумму 8 001,00 руб.",
        "Восемь тысяч один рубль 00 копеек",
        "Генеральный директор",
        "Иванов И. И.",
        "Основание: Заказ покупателя № ЗК-2026-000001 от 02.03.2026",
    ] {
        assert!(text.contains(want), "PDF text lacks «{want}»:\n{text}");
    }
    // The QR code on the page decodes to the exact payload.
    let codes = qr_codes(&bytes);
    assert_eq!(codes, vec![inv["qr_payload"].as_str().unwrap().to_string()]);
    // The HTML print view stays, with the same content.
    let h = t
        .get(
            &format!("/api/v1/documents/{}/papers/invoice?format=html", id(&inv)),
            &t.admin,
        )
        .await;
    assert!(
        h.text.contains("Всего наименований 2") && h.text.contains("<svg"),
        "{}",
        h.text
    );
    // Unknown form and wrong format: clear refusals.
    assert_eq!(
        t.get(
            &format!("/api/v1/documents/{}/papers/nope", id(&inv)),
            &t.admin
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.get(
            &format!("/api/v1/documents/{}/papers/invoice?format=doc", id(&inv)),
            &t.admin
        )
        .await
        .error_fields(),
        vec!["format"]
    );
});

both_engines!(upd_and_torg12_with_serials, |t: TestApp| async move {
    let s = shop(&t).await;
    let sh = created(&t, "/api/v1/shipments", json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "date": "2026-03-10",
        "lines": [{"product_id": s.pump, "qty": "2", "serials": ["PN-0001", "PN-0002"]}, {"product_id": s.drill, "qty": "1"}]})).await;
    let sh_id = id(&sh);
    ok(&t, &format!("/api/v1/shipments/{sh_id}/post"), json!({})).await;

    // УПД status 1 (a VAT payer): VAT figures, the serials, signatories.
    let upd = squash(&pdftotext(
        &pdf(&t, &format!("/api/v1/documents/{sh_id}/papers/upd")).await,
    ));
    for want in [
        "Универсальный передаточный документ",
        "Статус: 1",
        "Счёт-фактура № РН-2026-000001 от 10.03.2026",
        "ИНН/КПП продавца: 7707083893/773601001",
        "ООО «Стройка»",
        "PN-0001",
        "PN-0002",
        "Насос серийный",
        "Дрель ударная",
        "796",
        "22%",
        "15 000,00",
        "Иванов И. И.",
        "Петрова П. П.",
        "Основной договор",
    ] {
        assert!(upd.contains(want), "УПД lacks «{want}»:\n{upd}");
    }
    // ТОРГ-12 by choice of print.
    let torg = squash(&pdftotext(
        &pdf(&t, &format!("/api/v1/documents/{sh_id}/papers/torg12")).await,
    ));
    for want in [
        "ТОВАРНАЯ НАКЛАДНАЯ № РН-2026-000001 от 10.03.2026",
        "ТОРГ-12",
        "PN-0002",
        "Всего по накладной",
        "Пятнадцать тысяч рублей 00 копеек",
    ] {
        assert!(torg.contains(want), "ТОРГ-12 lacks «{want}»:\n{torg}");
    }
    // The warranty card: product, serial, shipment date, end of warranty.
    let w = squash(&pdftotext(
        &pdf(&t, &format!("/api/v1/documents/{sh_id}/papers/warranty")).await,
    ));
    for want in [
        "Гарантийный талон",
        "PN-0001",
        "PN-0002",
        "10.03.2026",
        "12 мес., до 10.03.2027",
    ] {
        assert!(w.contains(want), "warranty card lacks «{want}»:\n{w}");
    }

    // On УСН: УПД status 2, «Без НДС»; and the card's setting prints ТОРГ-12.
    let r = t.put("/api/v1/company", &t.admin, json!({"short_name": "ООО «Купец»", "inn": "7707083893", "kpp": "773601001", "vat_payer": "false", "shipment_form": "torg12", "director_name": "Иванов И. И."})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let upd2 = squash(&pdftotext(
        &pdf(&t, &format!("/api/v1/documents/{sh_id}/papers/upd")).await,
    ));
    assert!(
        upd2.contains("Статус: 2") && upd2.contains("Без НДС") && !upd2.contains("22%"),
        "{upd2}"
    );
    let default = squash(&pdftotext(
        &pdf(&t, &format!("/api/v1/documents/{sh_id}/papers/shipment")).await,
    ));
    assert!(default.contains("ТОВАРНАЯ НАКЛАДНАЯ"), "{default}");
    // A shipment without serial units has no warranty card.
    let plain = created(&t, "/api/v1/shipments", json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "date": "2026-03-11", "lines": [{"product_id": s.saw, "qty": "1"}]})).await;
    let r = t
        .get(
            &format!("/api/v1/documents/{}/papers/warranty", id(&plain)),
            &t.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);

    // The акт сверки carries our requisites.
    let recon = squash(&pdftotext(
        &pdf(
            &t,
            &format!(
                "/api/v1/counterparties/{}/reconciliation.pdf?from=2026-01-01&to=2026-12-31",
                s.customer
            ),
        )
        .await,
    ));
    assert!(
        recon.contains("Акт сверки")
            && recon.contains("ИНН 7707083893")
            && recon.contains("РН-2026-000001"),
        "{recon}"
    );
});

/// aiosmtpd (Debian's python3-aiosmtpd) on a free local port, storing what it
/// receives in a Maildir. Stopped when dropped.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
    dir: PathBuf,
}

impl SmtpServer {
    fn start() -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let dir = tmp("maildir");
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd is installed by .ci/run");
        let server = SmtpServer { child, port, dir };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("aiosmtpd did not start");
    }

    /// Received messages parsed by Python's `email`: to, subject, text, attachments.
    fn messages(&self) -> Vec<Value> {
        let script = r#"
import json, mailbox, sys, base64
from email.header import decode_header, make_header
out = []
for key, m in sorted(mailbox.Maildir(sys.argv[1], create=False).items(), key=lambda kv: kv[1].get_date()):
    text, atts = "", []
    for part in m.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if name:
            atts.append({"name": str(make_header(decode_header(name))), "type": part.get_content_type(), "b64": base64.b64encode(part.get_payload(decode=True)).decode()})
        elif part.get_content_type() == "text/plain":
            text += part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    out.append({"to": m["To"], "subject": str(make_header(decode_header(m["Subject"]))), "text": text, "attachments": atts})
print(json.dumps(out))
"#;
        if !self.dir.join("new").exists() {
            return Vec::new();
        }
        let out = Command::new("/usr/bin/python3")
            .arg("-c")
            .arg(script)
            .arg(&self.dir)
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout)
            .expect("json")
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn smtp_settings(t: &TestApp, port: u16) {
    let r = t
        .put("/api/v1/mail-settings", &t.admin, json!({"host": "127.0.0.1", "port": port.to_string(), "security": "none", "from_addr": "Купец <noreply@kupets.test>", "digest_time": "07:00"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

both_engines!(
    mail_to_a_real_smtp_server_with_retries,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let o = order(&t, &s).await;
        let inv = created(
            &t,
            &format!("/api/v1/sales-orders/{o}/invoice"),
            json!({"date": "2026-03-03"}),
        )
        .await;
        let inv_id = id(&inv);
        // Not set up yet: a clear refusal, nothing queued.
        let r = t
            .post(
                &format!("/api/v1/invoices/{inv_id}/send"),
                &t.admin,
                json!({}),
            )
            .await;
        assert_eq!(r.error_fields(), vec!["smtp"]);

        let server = SmtpServer::start();
        smtp_settings(&t, server.port).await;
        // A bad address is refused before anything is queued.
        let r = t
            .post(
                &format!("/api/v1/invoices/{inv_id}/send"),
                &t.admin,
                json!({"to": "no address"}),
            )
            .await;
        assert_eq!(r.error_fields(), vec!["to"]);
        // To the counterparty's address by default.
        let m = ok(&t, &format!("/api/v1/invoices/{inv_id}/send"), json!({})).await;
        assert_eq!(
            (
                m["state"].as_str(),
                m["to_addr"].as_str(),
                m["attempts"].as_i64()
            ),
            (Some("sent"), Some("buh@stroyka.test"), Some(1)),
            "{m}"
        );
        let got = server.messages();
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0]["to"].as_str().unwrap().contains("buh@stroyka.test"));
        assert_eq!(
            got[0]["subject"],
            "Счёт на оплату № СЧ-2026-000001 от 03.03.2026"
        );
        assert!(
            squash(got[0]["text"].as_str().unwrap()).contains("8 001,00 руб."),
            "{}",
            got[0]["text"]
        );
        let att = &got[0]["attachments"][0];
        assert_eq!(
            (att["name"].as_str(), att["type"].as_str()),
            (Some("Счёт СЧ-2026-000001.pdf"), Some("application/pdf"))
        );
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(att["b64"].as_str().unwrap())
            .unwrap();
        let text = squash(&pdftotext(&bytes));
        assert!(
            text.contains("Счёт на оплату № СЧ-2026-000001") && text.contains("ИНН 7707083893"),
            "{text}"
        );

        // УПД and акт сверки to an address edited before sending.
        let sh = created(&t, "/api/v1/shipments", json!({"counterparty_id": s.customer, "warehouse_id": s.wh, "order_id": o, "date": "2026-03-04",
        "lines": [{"product_id": s.drill, "qty": "3"}]})).await;
        ok(
            &t,
            &format!("/api/v1/shipments/{}/post", id(&sh)),
            json!({}),
        )
        .await;
        let m = ok(
            &t,
            &format!("/api/v1/shipments/{}/send", id(&sh)),
            json!({"to": "director@stroyka.test"}),
        )
        .await;
        assert_eq!(
            (m["state"].as_str(), m["kind"].as_str()),
            (Some("sent"), Some("upd"))
        );
        let m = ok(
            &t,
            &format!("/api/v1/counterparties/{}/send-reconciliation", s.customer),
            json!({"from": "2026-01-01", "till": "2026-03-31"}),
        )
        .await;
        assert_eq!(m["state"], "sent");
        let got = server.messages();
        assert_eq!(got.len(), 3);
        assert!(got[1]["to"]
            .as_str()
            .unwrap()
            .contains("director@stroyka.test"));
        assert!(got[1]["attachments"][0]["name"]
            .as_str()
            .unwrap()
            .starts_with("УПД"));
        assert!(got[2]["subject"]
            .as_str()
            .unwrap()
            .starts_with("Акт сверки"));

        // The client's card lists the three messages with their state.
        let log = t
            .get(
                &format!("/api/v1/counterparties/{}/mail", s.customer),
                &t.admin,
            )
            .await
            .body;
        let states: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["state"].as_str().unwrap())
            .collect();
        assert_eq!(states, vec!["sent", "sent", "sent"]);

        // The server goes away: the message stays queued, is retried with back-off, then fails.
        drop(server);
        let m = ok(&t, &format!("/api/v1/invoices/{inv_id}/send"), json!({})).await;
        let mid: i64 = m["id"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            (m["state"].as_str(), m["attempts"].as_i64()),
            (Some("queued"), Some(1)),
            "{m}"
        );
        assert!(!m["last_error"].as_str().unwrap().is_empty());
        let mut at = chrono::Utc::now();
        // Not due yet: nothing is tried.
        t.app.deliver_due(at).await.unwrap();
        assert_eq!(t.app.outbox_entry(mid).await.unwrap().attempts, 1);
        for n in 2..=kupets_app::mail::MAX_ATTEMPTS {
            at += kupets_app::mail::backoff(n - 1) + chrono::Duration::seconds(1);
            assert_eq!(t.app.deliver_due(at).await.unwrap(), 1);
            let e = t.app.outbox_entry(mid).await.unwrap();
            assert_eq!(e.attempts, n);
            assert_eq!(
                e.state,
                if n < kupets_app::mail::MAX_ATTEMPTS {
                    "queued"
                } else {
                    "failed"
                }
            );
        }
        at += chrono::Duration::days(1);
        assert_eq!(
            t.app.deliver_due(at).await.unwrap(),
            0,
            "a failed message is not tried again"
        );
        let log = t
            .get(
                &format!("/api/v1/counterparties/{}/mail", s.customer),
                &t.admin,
            )
            .await
            .body;
        assert_eq!(log[0]["state"], "failed");
        let failed = t.get("/api/v1/outbox?state=failed", &t.admin).await.body;
        assert_eq!(failed.as_array().map(Vec::len), Some(1));
        // The card's page shows it as failed.
        let page = t
            .page(
                &format!("/counterparties/{}", s.customer),
                &web_cookie(&t).await,
            )
            .await;
        assert!(
            page.text.contains("Не отправлено"),
            "failed shown on the card"
        );
    }
);

both_engines!(
    digest_lists_exactly_the_reminders_due,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let server = SmtpServer::start();
        smtp_settings(&t, server.port).await;
        let mk = |login: &'static str, email: &'static str| {
            let t = &t;
            async move {
                let e = created(t, "/api/v1/employees", json!({"login": login, "name": format!("Сотрудник {login}"), "role": "manager", "password": "password-123", "email": email})).await;
                (id(&e), t.login(login, "password-123").await)
            }
        };
        let (anna, anna_tok) = mk("anna", "anna@kupets.test").await;
        let (boris, boris_tok) = mk("boris", "boris@kupets.test").await;
        let (vera, vera_tok) = mk("vera", "vera@kupets.test").await;
        let day = chrono::Utc::now().date_naive();
        // Each one's own order: the client's manager would otherwise be
        // responsible for all of them (and get every reminder).
        let order_by = |tok: String, me: String| {
            let t = &t;
            let c = s.customer.clone();
            let p = s.drill.clone();
            async move {
                let r = t
                    .post(
                        "/api/v1/sales-orders",
                        &tok,
                        json!({"counterparty_id": c, "responsible_id": me, "lines": [{"product_id": p, "qty": "1"}]}),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
                (id(&r.body), r.body["number"].as_str().unwrap().to_string())
            }
        };
        let (a1, a1n) = order_by(anna_tok.clone(), anna.clone()).await;
        let (a2, a2n) = order_by(anna_tok.clone(), anna.clone()).await;
        let (a3, a3n) = order_by(anna_tok.clone(), anna.clone()).await;
        let (b1, b1n) = order_by(boris_tok.clone(), boris.clone()).await;
        let (v1, _) = order_by(vera_tok.clone(), vera.clone()).await;
        let remind = |doc: String, tok: String, date: chrono::NaiveDate| {
            let t = &t;
            async move {
                let r = t.post(&format!("/api/v1/documents/{doc}/statuses"), &tok, json!({"status": "call_back", "effective_date": date.to_string(), "note": "перезвонить"})).await;
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            }
        };
        remind(a1, anna_tok.clone(), day).await; // due today
        remind(a2, anna_tok.clone(), day - chrono::Days::new(3)).await; // overdue
        remind(a3, anna_tok.clone(), day + chrono::Days::new(2)).await; // not yet
        remind(b1, boris_tok.clone(), day).await;
        remind(v1, vera_tok.clone(), day).await;
        // Vera opts out.
        let vera_id = t.get("/api/v1/me", &vera_tok).await.body["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = t
            .send(
                Method::PUT,
                &format!("/api/v1/employees/{vera_id}/digest"),
                &vera_tok,
                Some(json!({"opt_out": true})),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        // Someone else may not switch Anna's digest off.
        let r = t
            .send(
                Method::PUT,
                &format!("/api/v1/employees/{anna}/digest"),
                &boris_tok,
                Some(json!({"opt_out": true})),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Before the time of day: nothing.
        let early = day.and_hms_opt(6, 59, 0).unwrap().and_utc();
        assert!(t.app.run_digests(early).await.unwrap().is_empty());
        let at = day.and_hms_opt(7, 0, 0).unwrap().and_utc();
        let queued = t.app.run_digests(at).await.unwrap();
        assert_eq!(
            queued.len(),
            2,
            "Anna and Boris, not Vera (opted out), not admin (no e-mail)"
        );
        // Once a day.
        assert!(t
            .app
            .run_digests(at + chrono::Duration::hours(1))
            .await
            .unwrap()
            .is_empty());
        let got = server.messages();
        assert_eq!(got.len(), 2, "{got:?}");
        let anna_mail = got
            .iter()
            .find(|m| m["to"].as_str().unwrap().contains("anna@"))
            .expect("Anna's digest");
        let text = anna_mail["text"].as_str().unwrap();
        assert!(text.contains(&a1n) && text.contains(&a2n), "{text}");
        assert!(
            !text.contains(&a3n) && !text.contains(&b1n),
            "only Anna's reminders due: {text}"
        );
        assert!(text.contains("просрочено на 3 дн."), "{text}");
        assert!(anna_mail["subject"].as_str().unwrap().ends_with(": 2"));
        let boris_mail = got
            .iter()
            .find(|m| m["to"].as_str().unwrap().contains("boris@"))
            .expect("Boris's digest");
        assert!(boris_mail["text"].as_str().unwrap().contains(&b1n));
        let _ = boris;
    }
);

both_engines!(pages_company_invoice_and_papers, |t: TestApp| async move {
    let s = shop(&t).await;
    let o = order(&t, &s).await;
    let cookie = web_cookie(&t).await;
    // The company card page in both languages.
    let p = t.page("/company", &cookie).await;
    let csrf = crate::pages::csrf_of(&p.text);
    assert!(
        p.text.contains("Реквизиты компании") && p.text.contains("7707083893"),
        "{}",
        p.text
    );
    // A wrong account key from the page: the form again with the message.
    let r = t
        .form(
            "/company/accounts",
            &cookie,
            &[
                ("csrf", &csrf),
                ("bank_name", "Банк"),
                ("bic", "044525225"),
                ("account", "40702810000000000000"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("контрольный ключ"), "{}", r.text);
    // «Выставить счёт» on the order page.
    let op = t.page(&format!("/sales-orders/{o}"), &cookie).await;
    assert!(op.text.contains("Выставить счёт"));
    let r = t
        .form(
            &format!("/sales-orders/{o}/invoice"),
            &cookie,
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let loc = r.headers["location"].to_str().unwrap().to_string();
    let ip = t.page(&loc, &cookie).await;
    assert!(
        ip.text.contains("СЧ-2026-000001")
            && ip.text.contains("Не оплачен")
            && ip.text.contains("Скачать PDF"),
        "{}",
        ip.text
    );
    let inv_id = loc.trim_start_matches("/invoices/");
    let html = t.page(&format!("/papers/{inv_id}/invoice"), &cookie).await;
    assert!(html.text.contains("Всего наименований 2"));
    // English pages.
    let en = page_lang(&t, "/company", &cookie, "en").await;
    assert!(
        en.text.contains("Company card") && en.text.contains("Bank accounts"),
        "{}",
        en.text
    );
    let en = page_lang(&t, &loc, &cookie, "en").await;
    assert!(en.text.contains("Unpaid") && en.text.contains("Download PDF"));
});

#[allow(dead_code)]
fn _unused(_: &Path) {}

/// In a real browser: an order → «Выставить счёт» → the PDF downloaded →
/// a payment against the invoice → the order shows paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_invoice_payment_marks_order_paid() {
    use fantoccini::Locator;
    let t = TestApp::new(kupets_testkit::Engine::Sqlite).await.unwrap();
    let s = shop(&t).await;
    let o = order(&t, &s).await;
    let Some((_driver, c)) = crate::browser::start_browser().await else {
        return;
    };
    let base = crate::browser::serve(&t).await;
    let next = format!("/sales-orders/{o}");
    crate::browser::log_in(&c, &base, &next, "admin", kupets_testkit::ADMIN_PASSWORD).await;
    let issue = c
        .wait()
        .for_element(Locator::XPath(
            "//button[normalize-space()='Выставить счёт']",
        ))
        .await
        .unwrap();
    issue.click().await.unwrap();
    // The invoice page: unpaid, with its PDF.
    let pdf_link = c
        .wait()
        .for_element(Locator::LinkText("Скачать PDF"))
        .await
        .unwrap();
    let h1 = c
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(h1.contains("СЧ-2026-000001"), "{h1}");
    assert_eq!(
        c.find(Locator::Css("b.pay-state"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "Не оплачен"
    );
    let href = pdf_link.attr("href").await.unwrap().unwrap();
    // Download it with the browser's own session.
    let got = c
        .execute_async(
            "const [url, done] = arguments; fetch(url).then(r => r.arrayBuffer().then(b => { let s = ''; const u = new Uint8Array(b); for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); done([r.headers.get('content-type'), r.headers.get('content-disposition'), btoa(s)]); }));",
            vec![serde_json::json!(href)],
        )
        .await
        .unwrap();
    assert_eq!(got[0], "application/pdf");
    assert!(got[1].as_str().unwrap().starts_with("attachment"));
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(got[2].as_str().unwrap())
        .unwrap();
    let text = squash(&pdftotext(&bytes));
    assert!(
        text.contains("Счёт на оплату № СЧ-2026-000001") && text.contains("Итого: 8 001,00"),
        "{text}"
    );
    // «Внести оплату»: the payment form comes filled in from the invoice.
    c.find(Locator::LinkText("Внести оплату"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let amount = c
        .wait()
        .for_element(Locator::Css("input[name=amount]"))
        .await
        .unwrap();
    assert_eq!(
        amount.prop("value").await.unwrap().as_deref(),
        Some("8001.00")
    );
    c.find(Locator::Css("form.grid button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let post = c
        .wait()
        .for_element(Locator::XPath("//button[normalize-space()='Провести']"))
        .await
        .unwrap();
    assert!(
        c.source().await.unwrap().contains("href=\"/invoices/"),
        "the payment names the invoice"
    );
    post.click().await.unwrap();
    c.wait()
        .for_element(Locator::XPath(
            "//span[contains(@class,'tag') and normalize-space()='Проведён']",
        ))
        .await
        .unwrap();
    // The order shows paid; so does its invoice.
    c.goto(&format!("{base}/sales-orders/{o}")).await.unwrap();
    let page = c
        .wait()
        .for_element(Locator::Css("dl.props"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("8 001,00 ₽ · оплачен"), "{page}");
    let src = c.source().await.unwrap();
    assert!(
        src.contains("Оплачен"),
        "the invoice row on the order says paid"
    );
    c.close().await.unwrap();
}
