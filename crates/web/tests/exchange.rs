//! Bank exchange on both engines: statements (windows-1251 and UTF-8,
//! 1.02 and 1.03, CRLF) written here, matched by ИНН, by account, by the
//! счёт or order their purpose names; hand assignment; a counterparty made
//! from the payer; the batch posted; re-import creating nothing; a bad file
//! refused with its line and nothing written; payment orders read back.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kupets_domain::inn::complete_inn10;
use kupets_domain::requisites::with_account_key;
use kupets_testkit::{both_engines, TestApp};
use serde_json::{json, Value};
use tower::ServiceExt;

pub fn our_account() -> String {
    with_account_key("225", "40702810000000012345")
}

fn supplier_account() -> String {
    with_account_key("225", "40702810000000099999")
}

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

/// Sends raw bytes (a statement file) and returns status and JSON.
pub async fn upload(t: &TestApp, path: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri(path)
        .header("authorization", format!("Bearer {}", t.admin))
        .header("content-type", "text/plain")
        .body(Body::from(bytes))
        .expect("request");
    let resp = t.router.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

pub async fn raw_get(t: &TestApp, path: &str) -> (StatusCode, Vec<u8>) {
    let req = Request::builder()
        .uri(path)
        .header("authorization", format!("Bearer {}", t.admin))
        .body(Body::empty())
        .expect("request");
    let resp = t.router.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    (
        status,
        resp.into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec(),
    )
}

/// A bank document of a fixture: (number, date, amount, payer (inn, account,
/// name), payee (inn, account, name), purpose).
pub struct Doc<'a> {
    pub number: &'a str,
    pub date: &'a str,
    pub amount: &'a str,
    pub payer: (&'a str, &'a str, &'a str),
    pub payee: (&'a str, &'a str, &'a str),
    pub purpose: &'a str,
}

/// A statement as a bank writes it: CRLF, the given version and encoding.
pub fn statement(version: &str, cp1251: bool, docs: &[Doc]) -> Vec<u8> {
    let mut l = vec![
        "1CClientBankExchange".to_string(),
        format!("ВерсияФормата={version}"),
        format!("Кодировка={}", if cp1251 { "Windows" } else { "UTF-8" }),
        "Отправитель=Сбербанк Бизнес Онлайн".into(),
        "Получатель=Бухгалтерия".into(),
        "ДатаНачала=01.03.2026".into(),
        "ДатаКонца=05.03.2026".into(),
        format!("РасчСчет={}", our_account()),
        "СекцияРасчСчет".into(),
        format!("РасчСчет={}", our_account()),
        "НачальныйОстаток=0.00".into(),
        "КонецРасчСчет".into(),
    ];
    for d in docs {
        l.extend([
            "СекцияДокумент=Платежное поручение".to_string(),
            format!("Номер={}", d.number),
            format!("Дата={}", d.date),
            format!("Сумма={}", d.amount),
            format!("ПлательщикСчет={}", d.payer.1),
            format!("Плательщик=ИНН {} {}", d.payer.0, d.payer.2),
            format!("ПлательщикИНН={}", d.payer.0),
            format!("Плательщик1={}", d.payer.2),
            "ПлательщикБИК=044525225".into(),
            "ПлательщикБанк1=ПАО Сбербанк".into(),
            format!("ПолучательСчет={}", d.payee.1),
            format!("ПолучательИНН={}", d.payee.0),
            format!("Получатель1={}", d.payee.2),
            format!("НазначениеПлатежа={}", d.purpose),
            "КонецДокумента".into(),
        ]);
    }
    l.push("КонецФайла".into());
    let text = l.join("\r\n") + "\r\n";
    if cp1251 {
        encoding_rs_cp1251(&text)
    } else {
        text.into_bytes()
    }
}

/// windows-1251 without a dependency of the tests': Cyrillic letters are
/// contiguous there (А=0xC0 … я=0xFF, Ё=0xA8, ё=0xB8, «=0xAB, »=0xBB, №=0xB9).
fn encoding_rs_cp1251(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            c if c.is_ascii() => c as u8,
            'А'..='я' => (c as u32 - 'А' as u32 + 0xC0) as u8,
            'Ё' => 0xA8,
            'ё' => 0xB8,
            '«' => 0xAB,
            '»' => 0xBB,
            '№' => 0xB9,
            _ => b'?',
        })
        .collect()
}

async fn balance(t: &TestApp, cp: &str) -> String {
    let r = t
        .get(&format!("/api/v1/counterparties/{cp}"), &t.admin)
        .await;
    r.body["balance"].as_str().expect("balance").to_string()
}

async fn imports(t: &TestApp) -> usize {
    let r = t.get("/api/v1/bank-statements", &t.admin).await;
    r.body.as_array().expect("list").len()
}

fn row<'a>(r: &'a Value, number: &str) -> &'a Value {
    r["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|x| x["number"] == number)
        .unwrap_or_else(|| panic!("no row {number} in {r}"))
}

both_engines!(statement_import, |t: TestApp| async move {
    let t = &t;
    t.put(
        "/api/v1/company",
        &t.admin,
        json!({"short_name": "ООО «Купец»", "inn": "7707083893", "kpp": "773601001"}),
    )
    .await;
    created(t, "/api/v1/company/bank-accounts", json!({"bank_name": "ПАО Сбербанк", "bic": "044525225", "corr_account": "30101810400000000225", "account": our_account()})).await;
    let romashka_inn = complete_inn10("500100732");
    let romashka = id(&created(
        t,
        "/api/v1/counterparties",
        json!({"name": "ООО «Ромашка»", "inn": romashka_inn}),
    )
    .await);
    let stroyka = id(&created(t, "/api/v1/counterparties", json!({"name": "Стройка"})).await);
    let supplier = id(&created(
        t,
        "/api/v1/counterparties",
        json!({"name": "АО Завод", "kind": "supplier"}),
    )
    .await);
    created(t, &format!("/api/v1/counterparties/{supplier}/bank-accounts"), json!({"bank_name": "ПАО Сбербанк", "bic": "044525225", "corr_account": "30101810400000000225", "account": supplier_account()})).await;
    let drill = id(&created(
        t,
        "/api/v1/products",
        json!({"sku": "DR-1", "name": "Дрель"}),
    )
    .await);
    t.set_retail(&drill, "2025-01-01", "1000").await;
    let order = created(t, "/api/v1/sales-orders", json!({"counterparty_id": stroyka, "date": "2026-03-01", "lines": [{"product_id": drill, "qty": "2"}]})).await;
    let order_no = order["number"].as_str().unwrap().to_string();
    let order = id(&order);
    ok(t, &format!("/api/v1/sales-orders/{order}/post"), json!({})).await;
    let inv = created(t, "/api/v1/invoices", json!({"counterparty_id": romashka, "date": "2026-03-02", "lines": [{"product_id": drill, "qty": "1", "price": "1500"}]})).await;
    let inv_id = id(&inv);
    ok(t, &format!("/api/v1/invoices/{inv_id}/post"), json!({})).await;
    let inv_seq: i64 = inv["number"]
        .as_str()
        .unwrap()
        .rsplit('-')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    let ours = our_account();
    let unknown_inn = complete_inn10("773000001");
    let other_inn = complete_inn10("773000002");
    let purpose1 = format!("Оплата по счету № {inv_seq} от 02.03.2026, в т.ч. НДС");
    let purpose2 = format!("Предоплата по заказу {order_no}");
    let d1 = Doc {
        number: "15",
        date: "02.03.2026",
        amount: "1500.00",
        payer: (&romashka_inn, "40702810100000000777", "ООО «Ромашка»"),
        payee: ("7707083893", &ours, "ООО «Купец»"),
        purpose: &purpose1,
    };
    let d2 = Doc {
        number: "7",
        date: "03.03.2026",
        amount: "2000.00",
        payer: ("", "40817810000000000042", "Иванов Иван"),
        payee: ("7707083893", &ours, "ООО «Купец»"),
        purpose: &purpose2,
    };
    let d3 = Doc {
        number: "88",
        date: "03.03.2026",
        amount: "300.00",
        payer: (&unknown_inn, "40702810100000000888", "ООО Неизвестный"),
        payee: ("7707083893", &ours, "ООО «Купец»"),
        purpose: "Оплата за инструмент",
    };
    let sa = supplier_account();
    let d4 = Doc {
        number: "301",
        date: "04.03.2026",
        amount: "700.50",
        payer: ("7707083893", &ours, "ООО «Купец»"),
        payee: ("", &sa, "АО Завод"),
        purpose: "Оплата поставки",
    };
    let d5 = Doc {
        number: "12",
        date: "05.03.2026",
        amount: "450.00",
        payer: (&other_inn, "40702810100000000999", "ООО «Новый клиент»"),
        payee: ("7707083893", &ours, "ООО «Купец»"),
        purpose: "Оплата по договору",
    };

    // File A: UTF-8, 1.02, one document — imported and its payment matched
    // to the invoice by ИНН.
    let (s, a) = upload(
        t,
        "/api/v1/bank-statements?file_name=a.txt",
        statement("1.02", false, &[d1]),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["encoding"], "utf-8");
    assert_eq!(a["matched"], 1);
    let r1 = row(&a, "15");
    assert_eq!(r1["reason"], "inn");
    assert_eq!(r1["invoice_id"], inv_id.as_str());
    assert_eq!(r1["payment_state"], "draft");
    let import_a = a["import_id"].as_str().unwrap().to_string();

    // File B: windows-1251, 1.03, overlapping A. Preview first: nothing written.
    let d1 = Doc {
        number: "15",
        date: "02.03.2026",
        amount: "1500.00",
        payer: (&romashka_inn, "40702810100000000777", "ООО «Ромашка»"),
        payee: ("7707083893", &ours, "ООО «Купец»"),
        purpose: &purpose1,
    };
    let file_b = statement("1.03", true, &[d1, d2, d3, d4, d5]);
    assert!(
        std::str::from_utf8(&file_b).is_err(),
        "the fixture is windows-1251"
    );
    let (s, p) = upload(t, "/api/v1/bank-statements?preview=true", file_b.clone()).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["encoding"], "windows-1251");
    assert_eq!(imports(t).await, 1, "a preview writes nothing");
    assert_eq!(row(&p, "15")["status"], "already_imported");
    assert_eq!(row(&p, "7")["status"], "matched");
    assert_eq!(row(&p, "7")["reason"], "order");
    assert_eq!(row(&p, "7")["counterparty_id"], stroyka.as_str());
    assert_eq!(row(&p, "7")["order_id"], order.as_str());
    assert_eq!(row(&p, "88")["status"], "unmatched");
    assert!(row(&p, "88")["reason_ru"]
        .as_str()
        .unwrap()
        .contains(&unknown_inn));
    assert_eq!(row(&p, "301")["direction"], "out");
    assert_eq!(row(&p, "301")["reason"], "account");
    assert_eq!(row(&p, "301")["counterparty_id"], supplier.as_str());
    assert_eq!(
        (
            p["matched"].as_i64(),
            p["unmatched"].as_i64(),
            p["already_imported"].as_i64()
        ),
        (Some(2), Some(2), Some(1))
    );

    let (s, b) = upload(t, "/api/v1/bank-statements?file_name=b.txt", file_b.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let import_b = b["import_id"].as_str().unwrap().to_string();
    assert_eq!(row(&b, "7")["payment_state"], "draft");
    let unmatched = row(&b, "88")["id"].as_str().unwrap().to_string();
    assert!(row(&b, "88")["payment_id"].is_null());

    // Hand assignment of the unknown payer to «Стройка».
    let r = ok(
        t,
        &format!("/api/v1/bank-statement-rows/{unmatched}/assign"),
        json!({"counterparty_id": stroyka}),
    )
    .await;
    assert_eq!(r["payment_state"], "draft");
    assert_eq!(r["counterparty_id"], stroyka.as_str());
    // A counterparty from the payer's requisites, in one call.
    let newrow = row(&b, "12")["id"].as_str().unwrap().to_string();
    let r = ok(
        t,
        &format!("/api/v1/bank-statement-rows/{newrow}/counterparty"),
        json!({}),
    )
    .await;
    let newcp = r["counterparty_id"].as_str().unwrap().to_string();
    let card = t
        .get(&format!("/api/v1/counterparties/{newcp}"), &t.admin)
        .await;
    assert_eq!(card.body["inn"], other_inn.as_str());
    assert_eq!(card.body["name"], "ООО «Новый клиент»");

    // Nothing moves until the batch is posted.
    assert_eq!(balance(t, &stroyka).await, "0.00");
    let posted = ok(
        t,
        &format!("/api/v1/bank-statements/{import_b}/post"),
        json!({}),
    )
    .await;
    assert_eq!(posted["posted"], 4);
    assert_eq!(posted["unmatched"], 0);
    assert_eq!(balance(t, &stroyka).await, "-2300.00");
    assert_eq!(balance(t, &supplier).await, "700.50");
    assert_eq!(balance(t, &newcp).await, "-450.00");
    // Posted by the body a payment posted by hand goes through: the same
    // audit row (with its amount), one per payment.
    let audit = t
        .get(
            "/api/v1/audit-log?entity=payment_in&action=post&limit=500",
            &t.admin,
        )
        .await;
    let rows = audit.body["items"].as_array().expect("items");
    assert_eq!(rows.len(), 3, "{}", audit.text);
    assert!(
        rows.iter()
            .all(|a| a["details"].as_str().unwrap().starts_with("amount=")),
        "{}",
        audit.text
    );
    ok(
        t,
        &format!("/api/v1/bank-statements/{import_a}/post"),
        json!({}),
    )
    .await;
    assert_eq!(balance(t, &romashka).await, "-1500.00");
    let inv = t.get(&format!("/api/v1/invoices/{inv_id}"), &t.admin).await;
    assert_eq!(inv.body["payment_state"], "paid", "{}", inv.text);
    let payments = t.get("/api/v1/payments?limit=500", &t.admin).await;
    let n_payments = payments.body["items"].as_array().map(Vec::len);
    assert!(n_payments >= Some(4), "{}", payments.text);

    // The same statement again creates nothing.
    let (s, again) = upload(t, "/api/v1/bank-statements", file_b).await;
    assert_eq!(s, StatusCode::CREATED, "{again}");
    assert!(again["import_id"].is_null());
    assert_eq!(again["already_imported"], 5);
    assert_eq!(imports(t).await, 2);
    let payments = t.get("/api/v1/payments?limit=500", &t.admin).await;
    assert_eq!(payments.body["items"].as_array().map(Vec::len), n_payments);

    // A malformed file: refused with its line, nothing written.
    let d6 = Doc {
        number: "99",
        date: "05.03.2026",
        amount: "10.00",
        payer: (&unknown_inn, "40702810100000000888", "X"),
        payee: ("7707083893", &ours, "ООО «Купец»"),
        purpose: "x",
    };
    let bad = String::from_utf8(statement("1.03", false, &[d6]))
        .unwrap()
        .replace("Сумма=10.00", "Сумма=десять");
    let (s, e) = upload(t, "/api/v1/bank-statements", bad.into_bytes()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["errors"][0]["field"], "file");
    assert!(
        e["errors"][0]["message_ru"]
            .as_str()
            .unwrap()
            .starts_with("Строка 16:"),
        "{e}"
    );
    assert_eq!(imports(t).await, 2);
});

both_engines!(payment_orders_read_back, |t: TestApp| async move {
    let t = &t;
    t.put(
        "/api/v1/company",
        &t.admin,
        json!({"short_name": "ООО «Купец»", "inn": "7707083893", "kpp": "773601001"}),
    )
    .await;
    created(t, "/api/v1/company/bank-accounts", json!({"bank_name": "ПАО Сбербанк", "bic": "044525225", "corr_account": "30101810400000000225", "account": our_account()})).await;
    let supplier = id(&created(
        t,
        "/api/v1/counterparties",
        json!({"name": "АО Завод", "kind": "supplier", "inn": complete_inn10("773000003")}),
    )
    .await);
    created(t, &format!("/api/v1/counterparties/{supplier}/bank-accounts"), json!({"bank_name": "ПАО Сбербанк", "bic": "044525225", "corr_account": "30101810400000000225", "account": supplier_account()})).await;
    for (amount, date) in [("1234.56", "2026-03-10"), ("99.01", "2026-03-11")] {
        created(t, "/api/v1/payments", json!({"direction": "out", "counterparty_id": supplier, "date": date, "amount": amount, "comment": "Оплата по счету № 5 от 01.03.2026"})).await;
    }
    let (s, bytes) = raw_get(t, "/api/v1/payment-orders?from=2026-03-01&to=2026-03-31").await;
    assert_eq!(s, StatusCode::OK);
    assert!(bytes.windows(2).any(|w| w == b"\r\n"), "CRLF");
    let st = kupets_domain::bank::parse_statement(&bytes).expect("our own file reads back");
    assert_eq!(st.encoding, "windows-1251");
    let got: Vec<(i64, String, String, String)> = st
        .documents
        .iter()
        .map(|d| {
            (
                d.amount.0,
                d.date.to_string(),
                d.payee.account.clone(),
                d.payer.account.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                123_456,
                "2026-03-10".into(),
                supplier_account(),
                our_account()
            ),
            (
                9_901,
                "2026-03-11".into(),
                supplier_account(),
                our_account()
            ),
        ]
    );
    assert_eq!(st.documents[0].purpose, "Оплата по счету № 5 от 01.03.2026");
    // Imported back as a statement, they are our outgoing payments to the supplier.
    let (s, p) = upload(t, "/api/v1/bank-statements?preview=true", bytes).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["matched"], 2);
    assert_eq!(p["rows"][0]["direction"], "out");
    assert_eq!(p["rows"][0]["counterparty_id"], supplier.as_str());
});

async fn count_counterparties(t: &TestApp) -> usize {
    let r = t.get("/api/v1/counterparties?limit=500", &t.admin).await;
    r.body["items"].as_array().expect("items").len()
}

pub fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            // Numbers as number cells, the way Excel keeps an ИНН typed in.
            if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()) && v.len() < 15 {
                ws.write_number(r as u32, c as u16, v.parse::<f64>().unwrap())
                    .unwrap();
            } else {
                ws.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

both_engines!(counterparty_import, |t: TestApp| async move {
    let t = &t;
    let before = count_counterparties(t).await;
    let (a, b, c) = (
        complete_inn10("500100001"),
        complete_inn10("500100002"),
        complete_inn10("500100003"),
    );
    created(
        t,
        "/api/v1/counterparties",
        json!({"name": "Уже есть", "inn": c}),
    )
    .await;
    let before = before + 1;
    // Bad rows: a wrong ИНН check digit, a missing name, a repeated ИНН, one
    // already kept, a bad limit — all listed, nothing written.
    let mut wrong = a.clone();
    wrong.replace_range(9..10, if a.ends_with('0') { "1" } else { "0" });
    let bad = format!(
        "Наименование;Вид;ИНН;КПП;Кредитный лимит\r\nООО Альфа;покупатель;{a};500101001;1000\r\nООО Бета;поставщик;{wrong};;\r\n;;;;\r\n;покупатель;{b};;\r\nООО Гамма;оба;{a};500101001;\r\nООО Дельта;;{c};;\r\nООО Эпсилон;;;;много\r\n"
    );
    let (s, p) = upload(
        t,
        "/api/v1/imports/counterparties?preview=true",
        bad.clone().into_bytes(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["rows"], 7 - 1, "the blank row is skipped: {p}");
    let errs: Vec<(i64, String)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errs,
        vec![
            (3, "inn".into()),
            (5, "name".into()),
            (6, "inn".into()),
            (7, "inn".into()),
            (8, "credit_limit".into())
        ],
        "{p}"
    );
    let (s, e) = upload(t, "/api/v1/imports/counterparties", bad.into_bytes()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["errors"].as_array().unwrap().len(), 5);
    assert_eq!(e["errors"][0]["field"], "rows[3].inn");
    assert_eq!(count_counterparties(t).await, before, "all or nothing");

    // Good CSV in windows-1251 with commas.
    let good = format!("Наименование,ИНН,Телефон\r\nООО Альфа,{a},+7 900\r\nИП Бета,,\r\n");
    let (s, r) = upload(
        t,
        "/api/v1/imports/counterparties",
        encoding_rs_cp1251(&good),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["created"], 2);
    let found = t
        .get(&format!("/api/v1/counterparties?q={a}"), &t.admin)
        .await;
    assert_eq!(
        found.body["items"][0]["name"], "ООО Альфа",
        "{}",
        found.text
    );
    assert_eq!(found.body["items"][0]["phone"], "+7 900");

    // XLSX: ИНН kept as a number cell; a duplicate of the CSV's row is refused.
    let dup = xlsx(&[
        &["Наименование", "ИНН", "Вид"],
        &["ООО Бета-2", &b, "поставщик"],
        &["ООО Альфа снова", &a, ""],
    ]);
    let (s, e) = upload(t, "/api/v1/imports/counterparties", dup).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["errors"][0]["field"], "rows[3].inn");
    let ok_x = xlsx(&[
        &["Наименование", "ИНН", "Вид"],
        &["ООО Бета-2", &b, "поставщик"],
    ]);
    let (s, r) = upload(t, "/api/v1/imports/counterparties", ok_x).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let found = t
        .get(&format!("/api/v1/counterparties?q={b}"), &t.admin)
        .await;
    assert_eq!(found.body["items"][0]["kind"], "supplier");
    assert_eq!(count_counterparties(t).await, before + 3);

    // Templates read back as valid (empty-example) imports' headers.
    let (s, tpl) = raw_get(t, "/api/v1/imports/counterparties/template?format=xlsx").await;
    assert_eq!(s, StatusCode::OK);
    assert!(tpl.starts_with(b"PK"));
    let (s, tpl) = raw_get(t, "/api/v1/imports/counterparties/template").await;
    assert_eq!(s, StatusCode::OK);
    assert!(String::from_utf8(tpl)
        .unwrap()
        .contains("Наименование;Вид;ИНН"));
});

both_engines!(exchange_pages_ru_en, |t: TestApp| async move {
    let t = &t;
    created(t, "/api/v1/company/bank-accounts", json!({"bank_name": "ПАО Сбербанк", "bic": "044525225", "corr_account": "30101810400000000225", "account": our_account()})).await;
    let ours = our_account();
    let inn = complete_inn10("773000011");
    let (s, r) = upload(
        t,
        "/api/v1/bank-statements",
        statement(
            "1.03",
            true,
            &[Doc {
                number: "5",
                date: "03.03.2026",
                amount: "10.00",
                payer: (&inn, "40702810100000000111", "ИП Сидоров"),
                payee: ("7707083893", &ours, "ООО «Купец»"),
                purpose: "x",
            }],
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let import = r["import_id"].as_str().unwrap().to_string();
    let cookie = crate::pages::web_login(t, "admin", kupets_testkit::ADMIN_PASSWORD).await;
    let home = t.page("/", &cookie).await;
    assert!(
        home.text.contains("href=\"/bank-statements\""),
        "in the menu"
    );
    let list = t.page("/bank-statements", &cookie).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("Загрузить выписку"));
    assert!(list.text.contains(&format!("/bank-statements/{import}")));
    let en = t
        .page(
            &format!("/bank-statements/{import}"),
            &format!("{cookie}; lang=en"),
        )
        .await;
    assert!(
        en.text.contains("Create counterparty from requisites"),
        "{}",
        en.text
    );
    assert!(en.text.contains("Unmatched"));
    let ru = t.page(&format!("/bank-statements/{import}"), &cookie).await;
    assert!(ru.text.contains("Создать контрагента из реквизитов"));
    assert!(
        ru.text.contains("overflow-x:auto"),
        "the table scrolls on a phone"
    );
    let imp = t.page("/imports", &cookie).await;
    assert!(imp.text.contains("Загрузка данных из CSV и Excel"));
    assert!(imp
        .text
        .contains("/api/v1/imports/counterparties/template?format=xlsx"));
    let imp_en = t.page("/imports", &format!("{cookie}; lang=en")).await;
    assert!(imp_en.text.contains("Import from CSV and Excel"));
    // A manager has no settlement rights: no page.
    t.user("mgr", "manager").await;
    let mgr = crate::pages::web_login(t, "mgr", "password-123").await;
    assert_eq!(
        t.page("/bank-statements", &mgr).await.status,
        StatusCode::FORBIDDEN
    );
});

both_engines!(opening_balances_import, |t: TestApp| async move {
    let t = &t;
    let inn = complete_inn10("500200001");
    let alfa = id(&created(
        t,
        "/api/v1/counterparties",
        json!({"name": "ООО Альфа", "inn": inn}),
    )
    .await);
    let beta = id(&created(t, "/api/v1/counterparties", json!({"name": "ИП Бета"})).await);
    // One unknown counterparty and one other date: all refused, nothing posted.
    let bad = format!("Контрагент;ИНН;Сумма;Дата\r\n;{inn};15000.00;31.12.2025\r\nИП Бета;;-2500,50;2025-12-31\r\nООО Неизвестное;;100;31.12.2025\r\nООО Альфа;;5;01.01.2026\r\n");
    let (s, e) = upload(t, "/api/v1/imports/opening-balances", bad.into_bytes()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let fields: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec![
            "rows[4].counterparty",
            "rows[5].counterparty",
            "rows[5].date"
        ],
        "{e}"
    );
    assert_eq!(balance(t, &alfa).await, "0.00");

    let good = format!("Контрагент;ИНН;Сумма;Дата\r\n;{inn};15000.00;31.12.2025\r\nИП Бета;;-2500,50;2025-12-31\r\n");
    let xl = xlsx(&[
        &["Контрагент", "ИНН", "Сумма", "Дата"],
        &["", &inn, "15000.00", "31.12.2025"],
        &["ИП Бета", "", "-2500.50", "31.12.2025"],
    ]);
    let (s, p) = upload(t, "/api/v1/imports/opening-balances?preview=true", xl).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(
        p["errors"].as_array().unwrap().len(),
        0,
        "the XLSX reads the same: {p}"
    );
    let (s, r) = upload(t, "/api/v1/imports/opening-balances", good.into_bytes()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["created"], 2);
    assert_eq!(balance(t, &alfa).await, "15000.00");
    assert_eq!(balance(t, &beta).await, "-2500.50");
    // On the balances report of the day, and as the opening of the акт сверки after it.
    let rep = t
        .get("/api/v1/reports/balances?date=2025-12-31", &t.admin)
        .await;
    assert!(
        rep.text.contains("15000.00") && rep.text.contains("-2500.50"),
        "{}",
        rep.text
    );
    let before = t
        .get("/api/v1/reports/balances?date=2025-12-30", &t.admin)
        .await;
    assert!(!before.text.contains("15000.00"), "dated: {}", before.text);
    let rec = t.get(&format!("/api/v1/reports/reconciliation?counterparty_id={alfa}&from=2026-01-01&to=2026-01-31"), &t.admin).await;
    assert_eq!(rec.status, StatusCode::OK, "{}", rec.text);
    assert!(rec.text.contains("15000.00"), "{}", rec.text);
    let rec = t.get(&format!("/api/v1/reports/reconciliation?counterparty_id={alfa}&from=2025-12-01&to=2025-12-31"), &t.admin).await;
    assert!(
        rec.text.contains("КОР-2025-"),
        "the opening document is listed: {}",
        rec.text
    );
});
