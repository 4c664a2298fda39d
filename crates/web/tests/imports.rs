//! Imports of contacts, products, prices and opening stock on both
//! engines: a CSV and an XLSX of each kind, bad rows listed and nothing
//! written (all or nothing), good rows written and seen where a user looks
//! for them (the contact list, the group tree, the price quote, /stock and
//! the average cost).

use crate::exchange::{upload, xlsx};
use axum::http::StatusCode;
use kupets_domain::inn::complete_inn10;
use kupets_testkit::{both_engines, TestApp};
use serde_json::{json, Value};

async fn created(t: &TestApp, path: &str, body: Value) -> String {
    let r = t.post(path, &t.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body["id"].as_str().expect("id").to_string()
}

/// The `rows[N].field` of each error of a refused import.
fn fields(e: &Value) -> Vec<String> {
    e["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors: {e}"))
        .iter()
        .map(|x| x["field"].as_str().unwrap().to_string())
        .collect()
}

async fn contacts(t: &TestApp, cp: &str) -> Vec<Value> {
    let r = t
        .get(&format!("/api/v1/counterparties/{cp}/contacts"), &t.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body.as_array().unwrap().clone()
}

both_engines!(contacts_import, |t: TestApp| async move {
    let t = &t;
    let inn = complete_inn10("500300001");
    let alfa = created(
        t,
        "/api/v1/counterparties",
        json!({"name": "ООО Альфа", "inn": inn}),
    )
    .await;
    let beta = created(t, "/api/v1/counterparties", json!({"name": "ИП Бета"})).await;
    let bad = format!(
        "Контрагент;ИНН;ФИО;Должность;Телефон;Эл. почта\r\n;{inn};Иванов Пётр;Бухгалтер;+7 900;ivanov@alfa.ru\r\n;{};Петров;;;\r\nИП Бета;;;;;\r\nИП Бета;;Сидорова;;;не-почта\r\n",
        complete_inn10("500300999")
    );
    let (s, e) = upload(t, "/api/v1/imports/contacts", bad.into_bytes()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(
        fields(&e),
        vec!["rows[3].inn", "rows[4].name", "rows[5].email"],
        "{e}"
    );
    assert!(contacts(t, &alfa).await.is_empty(), "all or nothing");

    let good = format!(
        "Контрагент;ИНН;ФИО;Должность;Телефон;Эл. почта;Примечание\r\n;{inn};Иванов Пётр;Бухгалтер;+7 900;ivanov@alfa.ru;звонить утром\r\nип бета;;Сидорова Анна;Директор;;;\r\n"
    );
    let (s, r) = upload(t, "/api/v1/imports/contacts", good.into_bytes()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["created"], 2);
    let a = contacts(t, &alfa).await;
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["name"], "Иванов Пётр");
    assert_eq!(a[0]["position"], "Бухгалтер");
    assert_eq!(a[0]["note"], "звонить утром");
    assert_eq!(contacts(t, &beta).await[0]["name"], "Сидорова Анна");

    // XLSX: the ИНН as a number cell, a contact of a counterparty by name.
    let x = xlsx(&[&["ИНН", "ФИО", "Телефон"], &[&inn, "Смирнов", "+7 901"]]);
    let (s, r) = upload(t, "/api/v1/imports/contacts", x).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(contacts(t, &alfa).await.len(), 2);
    let x = xlsx(&[&["ИНН", "ФИО"], &["", "Без контрагента"]]);
    let (s, e) = upload(t, "/api/v1/imports/contacts", x).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(fields(&e), vec!["rows[2].counterparty"]);
});

async fn groups(t: &TestApp) -> Vec<String> {
    let r = t.get("/api/v1/product-groups", &t.admin).await;
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["path"].as_str().unwrap().to_string())
        .collect()
}

async fn product_by_sku(t: &TestApp, sku: &str) -> Value {
    let r = t
        .get(
            &format!("/api/v1/products?q={}", kupets_testkit::enc(sku)),
            &t.admin,
        )
        .await;
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["sku"] == sku)
        .cloned()
        .unwrap_or(Value::Null)
}

both_engines!(products_import, |t: TestApp| async move {
    let t = &t;
    created(
        t,
        "/api/v1/products",
        json!({"sku": "OLD-1", "name": "Старый товар"}),
    )
    .await;
    let before = groups(t).await;
    // A repeated SKU, one already kept, a bad VAT rate, warranty and flag,
    // a missing name: all listed; no product and no group written.
    let bad = "Артикул;Наименование;Группа;Ед. изм.;Ставка НДС;Серийный учёт;Гарантия, мес.\r\n\
        DR-1;Дрель 1;Инструмент/Дрели;шт;22;нет;12\r\n\
        DR-1;Дрель 1 снова;Инструмент/Дрели;шт;22;нет;12\r\n\
        OLD-1;Старый;;шт;;;\r\n\
        DR-2;Дрель 2;Инструмент/Дрели;шт;18;может быть;300\r\n\
        DR-3;;;;;;\r\n";
    let (s, e) = upload(t, "/api/v1/imports/products", bad.as_bytes().to_vec()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(
        fields(&e),
        vec![
            "rows[3].sku",
            "rows[4].sku",
            "rows[5].vat_rate",
            "rows[5].serial_tracked",
            "rows[5].warranty_months",
            "rows[6].name"
        ],
        "{e}"
    );
    assert_eq!(groups(t).await, before, "no group made by a refused file");
    assert!(product_by_sku(t, "DR-1").await.is_null(), "all or nothing");

    // Good CSV: the group tree comes from the paths, spaces and case aside.
    let good = "Артикул;Наименование;Группа;Ед. изм.;Ставка НДС;Серийный учёт;Гарантия, мес.\r\n\
        DR-1;Дрель ударная;Инструмент/Дрели;шт;22%;нет;12\r\n\
        DR-2;Дрель аккумуляторная;Инструмент / Дрели / Аккумуляторные;шт;10;да;24\r\n\
        SAW-1;Пила;инструмент/Пилы;шт;без НДС;;\r\n\
        NAIL-1;Гвозди;;кг;0;;\r\n";
    let (s, r) = upload(t, "/api/v1/imports/products", good.as_bytes().to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["created"], 4);
    let tree = groups(t).await;
    for path in [
        "Инструмент",
        "Инструмент / Дрели",
        "Инструмент / Дрели / Аккумуляторные",
        "Инструмент / Пилы",
    ] {
        assert_eq!(
            tree.iter().filter(|p| *p == path).count(),
            1,
            "{path} once in {tree:?}"
        );
    }
    let dr2 = product_by_sku(t, "DR-2").await;
    assert_eq!(dr2["vat_rate"], "10");
    assert_eq!(dr2["serial_tracked"], true);
    assert_eq!(dr2["warranty_months"], 24);
    let saw = product_by_sku(t, "SAW-1").await;
    assert_eq!(saw["vat_rate"], "none");
    assert_eq!(product_by_sku(t, "NAIL-1").await["unit"], "кг");
    assert_eq!(product_by_sku(t, "NAIL-1").await["group_id"], Value::Null);

    // XLSX: an existing group is reused, a deeper one added under it.
    let x = xlsx(&[
        &["Артикул", "Наименование", "Группа", "Гарантия, мес."],
        &["DR-9", "Дрель сетевая", "Инструмент/Дрели/Сетевые", "6"],
    ]);
    let (s, r) = upload(t, "/api/v1/imports/products", x).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let tree = groups(t).await;
    assert_eq!(tree.iter().filter(|p| *p == "Инструмент").count(), 1);
    assert!(tree.contains(&"Инструмент / Дрели / Сетевые".to_string()));
    assert_eq!(product_by_sku(t, "DR-9").await["warranty_months"], 6);

    // The same through `kupets import products FILE`: a bad file fails
    // naming its rows, a good one writes.
    let file = std::env::temp_dir().join(format!(
        "kupets-products-{}-{}.csv",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let path = file.to_str().unwrap();
    std::fs::write(&file, "Артикул;Наименование\r\nDR-1;Повтор\r\n").unwrap();
    let e = kupets_cli::import::run(&t.app, "products", path, None, false)
        .await
        .expect_err("a repeated SKU");
    assert!(e.to_string().contains("ничего не записано"), "{e}");
    std::fs::write(
        &file,
        "Артикул;Наименование;Группа\r\nCLI-1;Из командной строки;Инструмент/Дрели\r\n",
    )
    .unwrap();
    kupets_cli::import::run(&t.app, "products", path, None, false)
        .await
        .expect("imported");
    let _ = std::fs::remove_file(&file);
    assert_eq!(
        product_by_sku(t, "CLI-1").await["name"],
        "Из командной строки"
    );
});

/// The retail price the quote gives on `date`; `None` when the product has
/// none then (the quote refuses it).
async fn retail_on(t: &TestApp, product: &str, date: &str) -> Option<String> {
    let r = t
        .post(
            "/api/v1/price-quote",
            &t.admin,
            json!({"date": date, "lines": [{"product_id": product, "qty": "1"}]}),
        )
        .await;
    if r.status == StatusCode::UNPROCESSABLE_ENTITY && r.text.contains("no_retail_price") {
        return None;
    }
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    Some(
        r.body["lines"][0]["retail_price"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

both_engines!(prices_import, |t: TestApp| async move {
    let t = &t;
    let drill = created(
        t,
        "/api/v1/products",
        json!({"sku": "PR-1", "name": "Дрель"}),
    )
    .await;
    let saw = created(
        t,
        "/api/v1/products",
        json!({"sku": "PR-2", "name": "Пила"}),
    )
    .await;
    created(
        t,
        "/api/v1/price-types",
        json!({"code": "wholesale", "name": "Оптовая"}),
    )
    .await;
    let bad = "Артикул;Вид цены;Цена;Дата\r\n\
        PR-1;retail;5000;2026-01-01\r\n\
        NOPE;retail;1;2026-01-01\r\n\
        PR-2;дилерская;1;2026-01-01\r\n\
        PR-2;retail;-5;2026-01-01\r\n\
        PR-2;Розничная;10;32.01.2026\r\n\
        PR-1;Розничная;5100;01.01.2026\r\n";
    let (s, e) = upload(t, "/api/v1/imports/prices", bad.as_bytes().to_vec()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(
        fields(&e),
        vec![
            "rows[3].sku",
            "rows[4].price_type",
            "rows[5].price",
            "rows[6].effective_date",
            "rows[7].price"
        ],
        "{e}"
    );
    assert_eq!(
        retail_on(t, &drill, "2026-02-01").await,
        None,
        "all or nothing"
    );

    // CSV: retail by code and by name, a later price, a wholesale one.
    let good = "Артикул;Вид цены;Цена;Дата\r\n\
        PR-1;retail;5000;2026-01-01\r\n\
        PR-1;Розничная;5500,50;01.03.2026\r\n\
        PR-1;оптовая;4200;2026-01-01\r\n";
    let (s, r) = upload(t, "/api/v1/imports/prices", good.as_bytes().to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["created"], 3);
    assert_eq!(
        retail_on(t, &drill, "2026-02-01").await.as_deref(),
        Some("5000.00")
    );
    assert_eq!(
        retail_on(t, &drill, "2026-03-01").await.as_deref(),
        Some("5500.50"),
        "the later price from its date"
    );
    let hist = t
        .get(&format!("/api/v1/products/{drill}/prices"), &t.admin)
        .await;
    assert!(hist.text.contains("4200.00"), "{}", hist.text);

    // XLSX: a number cell for the price, a real date cell for the date.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["Артикул", "Вид цены", "Цена", "Дата"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "PR-2").unwrap();
    ws.write_string(1, 1, "retail").unwrap();
    ws.write_number(1, 2, 1234.5).unwrap();
    let day = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 1, 15).unwrap();
    let fmt = rust_xlsxwriter::Format::new().set_num_format("dd.mm.yyyy");
    ws.write_datetime_with_format(1, 3, &day, &fmt).unwrap();
    let (s, r) = upload(t, "/api/v1/imports/prices", wb.save_to_buffer().unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(
        retail_on(t, &saw, "2026-01-15").await.as_deref(),
        Some("1234.50")
    );
    assert_eq!(retail_on(t, &saw, "2026-01-14").await, None);
});

async fn stock_of(t: &TestApp, product: &str) -> Vec<(String, String)> {
    let r = t
        .get(&format!("/api/v1/stock?product_id={product}"), &t.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["warehouse_name"].as_str().unwrap().to_string(),
                s["qty"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn unit_cost(t: &TestApp, product: &str) -> String {
    let r = t
        .get(
            &format!("/api/v1/reports/product-costs?product_id={product}"),
            &t.admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body[0]["unit_cost"].as_str().unwrap_or("").to_string()
}

both_engines!(opening_stock_import, |t: TestApp| async move {
    let t = &t;
    let main = created(t, "/api/v1/warehouses", json!({"name": "Основной"})).await;
    created(t, "/api/v1/warehouses", json!({"name": "Второй"})).await;
    let drill = created(
        t,
        "/api/v1/products",
        json!({"sku": "OS-1", "name": "Дрель", "vat_rate": "22"}),
    )
    .await;
    let nails = created(
        t,
        "/api/v1/products",
        json!({"sku": "OS-2", "name": "Гвозди", "unit": "кг"}),
    )
    .await;
    created(
        t,
        "/api/v1/products",
        json!({"sku": "OS-SN", "name": "Генератор", "serial_tracked": "true"}),
    )
    .await;
    // A serial-tracked product, a second warehouse, a repeated product (twice)
    // and a zero quantity, a bad cost, an unknown SKU: refused, nothing moved.
    let bad = "Склад;Артикул;Количество;Себестоимость;Дата\r\n\
        Основной;OS-1;10;3000;31.12.2025\r\n\
        Основной;OS-SN;1;50000;31.12.2025\r\n\
        Второй;OS-2;5;100;31.12.2025\r\n\
        Основной;OS-2;0;100;31.12.2025\r\n\
        Основной;OS-1;1;3000;31.12.2025\r\n\
        Основной;OS-404;1;минус;31.12.2025\r\n";
    let (s, e) = upload(t, "/api/v1/imports/opening-stock", bad.as_bytes().to_vec()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(
        fields(&e),
        vec![
            "rows[3].sku",
            "rows[4].warehouse",
            "rows[5].sku",
            "rows[5].qty",
            "rows[6].sku",
            "rows[7].sku",
            "rows[7].cost"
        ],
        "{e}"
    );
    let serial_msg = e["errors"][0]["message_ru"].as_str().unwrap();
    assert!(serial_msg.contains("серийным номерам"), "{serial_msg}");
    assert!(stock_of(t, &drill).await.is_empty(), "all or nothing");

    // CSV: one posted receipt at the main warehouse, stock and cost set.
    let good = "Склад;Артикул;Количество;Себестоимость;Дата\r\n\
        Основной;OS-1;10;3000;31.12.2025\r\n\
        основной;OS-2;2,5;120,40;2025-12-31\r\n";
    let (s, r) = upload(t, "/api/v1/imports/opening-stock", good.as_bytes().to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["created"], 2);
    assert_eq!(
        stock_of(t, &drill).await,
        vec![("Основной".into(), "10".into())]
    );
    assert_eq!(
        stock_of(t, &nails).await,
        vec![("Основной".into(), "2.5".into())]
    );
    assert_eq!(unit_cost(t, &drill).await, "3000.00");
    assert_eq!(unit_cost(t, &nails).await, "120.40");
    let receipts = t.get("/api/v1/receipts?state=posted", &t.admin).await;
    let items = receipts.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", receipts.text);
    assert_eq!(items[0]["date"], "2025-12-31");
    assert_eq!(items[0]["warehouse_id"], main.as_str());
    assert_eq!(items[0]["amount"], "30301.00");
    // On the stock page.
    let cookie = crate::pages::web_login(t, "admin", kupets_testkit::ADMIN_PASSWORD).await;
    let page = t.page("/stock?q=os-", &cookie).await;
    assert!(
        page.text.contains("Дрель") && page.text.contains("Гвозди"),
        "{}",
        page.text
    );

    // XLSX at the other warehouse: a receipt brings the average along.
    let x = xlsx(&[
        &["Склад", "Артикул", "Количество", "Себестоимость", "Дата"],
        &["Второй", "OS-1", "10", "4000", "2026-01-10"],
    ]);
    let (s, r) = upload(t, "/api/v1/imports/opening-stock", x).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let mut st = stock_of(t, &drill).await;
    st.sort();
    assert_eq!(
        st,
        vec![
            ("Второй".into(), "10".into()),
            ("Основной".into(), "10".into())
        ]
    );
    assert_eq!(unit_cost(t, &drill).await, "3500.00", "moving average");

    // The opening is a receipt like any other: its page shows, and
    // cancelling it takes back the stock and the cost exactly.
    let receipts = t.get("/api/v1/receipts?state=posted", &t.admin).await;
    let last = receipts.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let card = t.page(&format!("/receipts/{last}"), &cookie).await;
    assert_eq!(card.status, StatusCode::OK, "{}", card.text);
    assert!(card.text.contains("Ввод начальных остатков склада"));
    let r = t
        .post(
            &format!("/api/v1/receipts/{last}/cancel"),
            &t.admin,
            json!({"reason": "ошибка в файле"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        stock_of(t, &drill).await,
        vec![("Основной".into(), "10".into())]
    );
    assert_eq!(unit_cost(t, &drill).await, "3000.00");
});

both_engines!(templates_read_back, |t: TestApp| async move {
    let t = &t;
    // Each kind's template (CSV and XLSX) is a file the import reads: its
    // headers are all known, whatever its example row refers to.
    for kind in kupets_app::exchange::records::KINDS {
        for q in ["", "?format=xlsx"] {
            let (s, bytes) =
                crate::exchange::raw_get(t, &format!("/api/v1/imports/{kind}/template{q}")).await;
            assert_eq!(s, StatusCode::OK, "{kind}{q}");
            let (s, p) = upload(t, &format!("/api/v1/imports/{kind}?preview=true"), bytes).await;
            assert_eq!(s, StatusCode::OK, "{kind}{q}: {p}");
            assert_eq!(p["rows"], 1, "{kind}{q}: {p}");
            assert!(
                p["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|e| e["row"] != 1),
                "{kind}{q}: {p}"
            );
        }
    }
    let (_, csv) = crate::exchange::raw_get(t, "/api/v1/imports/opening-stock/template").await;
    assert!(String::from_utf8(csv)
        .unwrap()
        .contains("Склад;Артикул;Количество;Себестоимость;Дата"));
});
