//! «Скачать XLSX» of the list pages on both engines: each export read back
//! with calamine holds the rows the page's filters select (and only them),
//! amounts and quantities as number cells, dates as date cells, headers in
//! the page's language, the sheet named in Russian.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use calamine::{Data, Reader, Xlsx};
use http_body_util::BodyExt;
use kupets_testkit::{both_engines, TestApp};
use serde_json::{json, Value};
use tower::ServiceExt;

async fn created(t: &TestApp, path: &str, body: Value) -> String {
    let r = t.post(path, &t.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body["id"].as_str().expect("id").to_string()
}

/// The sheet of an export: its name and its cells (title row 0, headers
/// row 2, data from row 3).
struct Sheet {
    name: String,
    rows: Vec<Vec<Data>>,
}

impl Sheet {
    fn headers(&self) -> Vec<String> {
        self.rows[2].iter().map(|c| c.to_string()).collect()
    }
    /// Data rows: from row 3 to the first empty one (the footer follows).
    fn data(&self) -> Vec<&Vec<Data>> {
        self.rows[3..]
            .iter()
            .take_while(|r| r.iter().any(|c| *c != Data::Empty))
            .collect()
    }
    fn row_with(&self, text: &str) -> &Vec<Data> {
        self.data()
            .into_iter()
            .find(|r| r.iter().any(|c| *c == text))
            .unwrap_or_else(|| panic!("no row with {text} in {:?}", self.rows))
    }
    fn has(&self, text: &str) -> bool {
        self.data().iter().any(|r| r.iter().any(|c| *c == text))
    }
}

async fn export(t: &TestApp, path: &str, cookie: &str) -> Sheet {
    let req = Request::builder()
        .uri(path)
        .header("cookie", cookie)
        .body(Body::empty())
        .expect("request");
    let resp = t.router.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_string())
        .unwrap_or_default();
    let cd = resp
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().unwrap_or("").to_string())
        .unwrap_or_default();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(
        status,
        StatusCode::OK,
        "{path}: {}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(ct.contains("spreadsheetml"), "{path}: {ct}");
    assert!(
        cd.contains("filename*=UTF-8''"),
        "a Russian file name: {cd}"
    );
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range_at(0).expect("sheet").expect("range");
    Sheet {
        name,
        rows: range.rows().map(|r| r.to_vec()).collect(),
    }
}

/// A date cell of that day (Excel's serial day: day 0 is 1899-12-30).
fn is_date(c: &Data, y: i32, m: u32, d: u32) -> bool {
    let day = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
        - chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    match c {
        Data::DateTime(dt) => dt.as_f64().floor() == day.num_days() as f64,
        _ => false,
    }
}

both_engines!(list_exports, |t: TestApp| async move {
    let t = &t;
    let cookie = crate::pages::web_login(t, "admin", kupets_testkit::ADMIN_PASSWORD).await;
    let sup = created(
        t,
        "/api/v1/counterparties",
        json!({"name": "ООО Поставщик Экспорт", "kind": "supplier", "credit_limit": "12345.60"}),
    )
    .await;
    let cust = created(
        t,
        "/api/v1/counterparties",
        json!({"name": "ООО Покупатель Экспорт", "kind": "customer"}),
    )
    .await;

    // Counterparties, filtered by kind: the supplier only, its limit a number.
    let list = t.page("/counterparties?kind=supplier", &cookie).await;
    assert!(
        list.text.contains("/counterparties/export.xlsx?archived=")
            || list
                .text
                .contains("/counterparties/export.xlsx?kind=supplier"),
        "the link carries the filters: {}",
        list.text
    );
    let sh = export(t, "/counterparties/export.xlsx?kind=supplier", &cookie).await;
    assert_eq!(sh.name, "Контрагенты");
    assert_eq!(sh.headers()[0], "Наименование");
    assert!(sh.has("ООО Поставщик Экспорт"));
    assert!(!sh.has("ООО Покупатель Экспорт"), "the filter applies");
    let row = sh.row_with("ООО Поставщик Экспорт");
    assert_eq!(row[5], Data::Float(12345.6), "{row:?}");
    let en = export(
        t,
        "/counterparties/export.xlsx?kind=customer",
        &format!("{cookie}; lang=en"),
    )
    .await;
    assert_eq!(en.name, "Контрагенты", "the sheet keeps its Russian name");
    assert_eq!(en.headers()[0], "Name");
    assert!(en.has("ООО Покупатель Экспорт") && !en.has("ООО Поставщик Экспорт"));

    // Products, searched: a number cell for the warranty.
    let wh = created(t, "/api/v1/warehouses", json!({"name": "Склад Экспорт"})).await;
    let drill = created(
        t,
        "/api/v1/products",
        json!({"sku": "EX-1", "name": "Дрель экспортная", "warranty_months": "12"}),
    )
    .await;
    created(
        t,
        "/api/v1/products",
        json!({"sku": "EX-2", "name": "Пила другая"}),
    )
    .await;
    let sh = export(
        t,
        "/products/export.xlsx?q=%D0%B4%D1%80%D0%B5%D0%BB%D1%8C",
        &cookie,
    )
    .await;
    assert_eq!(sh.name, "Товары");
    assert!(sh.has("Дрель экспортная") && !sh.has("Пила другая"));
    assert_eq!(sh.row_with("EX-1")[6], Data::Float(12.0));

    // Documents of a kind (receipts), by state: a date cell, an amount.
    let posted = t
        .post(
            "/api/v1/receipts?post=true",
            &t.admin,
            json!({"counterparty_id": sup, "warehouse_id": wh, "date": "2026-03-05",
                   "lines": [{"product_id": drill, "qty": "4", "price": "2500.25"}]}),
        )
        .await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text);
    let number = posted.body["number"]
        .as_str()
        .or(posted.body["document"]["number"].as_str())
        .unwrap_or_default()
        .to_string();
    let draft = t
        .post(
            "/api/v1/receipts",
            &t.admin,
            json!({"counterparty_id": sup, "warehouse_id": wh, "date": "2026-03-06",
                   "lines": [{"product_id": drill, "qty": "1", "price": "1"}]}),
        )
        .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.text);
    let page = t.page("/receipts?state=posted", &cookie).await;
    assert!(
        page.text.contains("/receipts/export.xlsx?state=posted"),
        "{}",
        page.text
    );
    let sh = export(t, "/receipts/export.xlsx?state=posted", &cookie).await;
    assert_eq!(sh.name, "Поступления", "{:?}", sh.rows);
    assert_eq!(sh.data().len(), 1, "only the posted one: {:?}", sh.rows);
    let row = &sh.data()[0];
    if !number.is_empty() {
        assert_eq!(row[0].to_string(), number);
    }
    assert!(is_date(&row[1], 2026, 3, 5), "{:?}", row[1]);
    assert_eq!(row[4], Data::Float(10001.0));
    let all = export(t, "/receipts/export.xlsx", &cookie).await;
    assert_eq!(all.data().len(), 2);

    // Payments: outgoing ones by direction.
    let pay = t
        .post(
            "/api/v1/payments",
            &t.admin,
            json!({"direction": "out", "counterparty_id": sup, "amount": "700.10", "date": "2026-03-07"}),
        )
        .await;
    assert_eq!(pay.status, StatusCode::CREATED, "{}", pay.text);
    let sh = export(t, "/payments/export.xlsx?direction=out", &cookie).await;
    assert_eq!(sh.data().len(), 1);
    assert_eq!(sh.data()[0][4], Data::Float(700.1));
    assert!(export(t, "/payments/export.xlsx", &cookie)
        .await
        .data()
        .is_empty());
    let _ = cust;

    // Stock, by warehouse: the quantity a number.
    let sh = export(t, &format!("/stock/export.xlsx?warehouse_id={wh}"), &cookie).await;
    assert_eq!(sh.name, "Остатки на складах");
    let row = sh.row_with("EX-1");
    assert_eq!(row[2], Data::Float(4.0), "{row:?}");
    let page = t.page("/stock", &cookie).await;
    assert!(page.text.contains("/stock/export.xlsx"));

    // Repairs: the link on their page, the sheet named in Russian.
    assert!(t
        .page("/repairs", &cookie)
        .await
        .text
        .contains("/repairs/export.xlsx"));
    let sh = export(t, "/repairs/export.xlsx", &cookie).await;
    assert_eq!(sh.name, "Ремонты");

    // The audit log, by entity: date-and-time cells.
    let sh = export(t, "/audit/export.xlsx?entity=product", &cookie).await;
    assert_eq!(sh.name, "Журнал действий");
    assert!(!sh.data().is_empty());
    for r in sh.data() {
        assert!(matches!(r[0], Data::DateTime(_)), "{:?}", r[0]);
        assert_eq!(r[3].to_string(), sh.data()[0][3].to_string(), "one entity");
    }
    let bad = t.page("/audit/export.xlsx?from=never", &cookie).await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a bad filter is a 4xx"
    );
});
