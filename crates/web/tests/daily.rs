//! The pages as the daily work uses them (issue 16), on both engines: a
//! refused form comes back with everything typed and the message at its row,
//! documents are linked by number, the line editor's figures come from the
//! pricing engine before saving, serials are found however they are typed,
//! each role sees its own menu, the stock page shows what is reserved.

use crate::pages::{csrf_of, web_login};
use axum::http::{Method, StatusCode};
use kupets_testkit::{both_engines, TestApp, ADMIN_PASSWORD};
use serde_json::{json, Value};

pub struct Shop {
    pub cp: String,
    pub wh: String,
    pub drill: String,
    pub cable: String,
    pub pump: String,
}

async fn created(t: &TestApp, path: &str, body: Value) -> Value {
    let r = t.post(path, &t.admin, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.text);
    r.body
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn posted(t: &TestApp, path: &str) {
    let r = t.send(Method::POST, path, &t.admin, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
}

/// A client, a warehouse with 10 drills (шт, retail 1 000), 50 m of cable
/// (м, retail 20) and two pumps with serials P-26-001/002.
pub async fn shop(t: &TestApp) -> Shop {
    let cp = id(&created(t, "/api/v1/counterparties", json!({"name": "ООО «Строй»"})).await);
    let sup = id(&created(
        t,
        "/api/v1/counterparties",
        json!({"name": "Поставщик", "kind": "supplier"}),
    )
    .await);
    let wh = id(&created(t, "/api/v1/warehouses", json!({"name": "Основной"})).await);
    let drill = id(&created(
        t,
        "/api/v1/products",
        json!({"sku": "DR-1", "name": "Дрель"}),
    )
    .await);
    let cable = id(&created(
        t,
        "/api/v1/products",
        json!({"sku": "CB-3", "name": "Кабель", "unit": "м"}),
    )
    .await);
    let pump = id(&created(
        t,
        "/api/v1/products",
        json!({"sku": "PUMP", "name": "Насос", "serial_tracked": true}),
    )
    .await);
    t.set_retail(&drill, "2025-01-01", "1000").await;
    t.set_retail(&cable, "2025-01-01", "20").await;
    t.set_retail(&pump, "2025-01-01", "20000").await;
    let rc = created(t, "/api/v1/receipts", json!({"counterparty_id": sup, "warehouse_id": wh,
        "lines": [{"product_id": drill, "qty": "10", "price": "600"}, {"product_id": cable, "qty": "50", "price": "10"}]})).await;
    posted(t, &format!("/api/v1/receipts/{}/post", id(&rc))).await;
    let d = created(
        t,
        "/api/v1/productions",
        json!({"product_id": pump, "warehouse_id": wh, "date": "2026-02-15", "batch": "B1",
        "count": "2", "serial_pattern": "P-26-###"}),
    )
    .await;
    posted(t, &format!("/api/v1/productions/{}/post", id(&d))).await;
    Shop {
        cp,
        wh,
        drill,
        cable,
        pump,
    }
}

both_engines!(
    refused_shipment_keeps_its_lines_and_says_which_row,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let cookie = web_login(&t, "admin", ADMIN_PASSWORD).await;
        let form = t.page("/shipments/new", &cookie).await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = csrf_of(&form.text);
        // Row 2 asks for 1,5 drills (шт are whole); row 1 is fine; rows are
        // sent with a gap (a removed row), as the line editor may leave them.
        let r = t
            .form(
                "/shipments",
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("counterparty_id", &s.cp),
                    ("warehouse_id", &s.wh),
                    ("comment", "срочно"),
                    ("l0_product", &s.cable),
                    ("l0_qty", "2,5"),
                    ("l3_find", "dr-1"),
                    ("l3_qty", "1.5"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        // Everything typed is back: both lines (the typed SKU resolved), the comment.
        assert!(
            r.text.contains("value=\"CB-3 — Кабель\""),
            "row 1 kept: {}",
            r.text
        );
        assert!(
            r.text.contains("name=\"l1_find\" value=\"DR-1 — Дрель\""),
            "row 2 kept, renumbered"
        );
        assert!(r.text.contains("name=\"l1_qty\" value=\"1.5\""));
        assert!(r.text.contains("value=\"срочно\""));
        // The message is at row 2, in words, and the summary links to it.
        assert!(r.text.contains("id=\"err-lines-1--qty\""));
        assert!(r.text.contains("href=\"#err-lines-1--qty\""));
        assert!(r.text.contains("Строка 2, Количество"), "{}", r.text);
        assert!(r.text.contains("только целое количество"));
        assert!(!r.text.contains("lines[1].qty"), "no field paths shown");
        // The menu is there: the form is a page, not an error page.
        assert!(r.text.contains("href=\"/sales-orders\""));
        // Fractional metres are fine; whole drills too.
        let r = t
            .form(
                "/shipments",
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("counterparty_id", &s.cp),
                    ("warehouse_id", &s.wh),
                    ("l0_product", &s.cable),
                    ("l0_qty", "2.5"),
                    ("l1_find", "DR-1 — Дрель"),
                    ("l1_qty", "20"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let sh = r.headers["location"].to_str().unwrap().to_string();
        // Posting 20 drills with 10 in stock is refused on the document's page,
        // which keeps the menu and says which line.
        let page = t.page(&sh, &cookie).await;
        let r = t
            .form(
                &format!("{sh}/post"),
                &cookie,
                &[("csrf", &csrf_of(&page.text))],
            )
            .await;
        assert!(r.status.is_client_error(), "{}", r.text);
        assert!(r.text.contains("Дрель"), "the document is shown again");
        assert!(r.text.contains("href=\"/shipments\""));
        let api = t.get(&format!("/api/v1{sh}"), &t.admin).await;
        assert_eq!(api.body["state"], "draft", "nothing posted");
    }
);

both_engines!(
    payment_links_an_order_by_its_number,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let o = created(
            &t,
            "/api/v1/sales-orders",
            json!({"counterparty_id": s.cp, "lines": [{"product_id": s.drill, "qty": "2"}]}),
        )
        .await;
        let order = id(&o);
        posted(&t, &format!("/api/v1/sales-orders/{order}/post")).await;
        let number = t
            .get(&format!("/api/v1/sales-orders/{order}"), &t.admin)
            .await
            .body["number"]
            .as_str()
            .unwrap()
            .to_string();
        let cookie = web_login(&t, "admin", ADMIN_PASSWORD).await;
        // The order offers the next steps: ship, pay (with what is unpaid).
        let page = t.page(&format!("/sales-orders/{order}"), &cookie).await;
        assert!(page.text.contains(">Отгрузить<"));
        assert!(page.text.contains(">Оплатить<"));
        assert!(page.text.contains("amount=2000.00"), "{}", page.text);
        // The number is found as typed, in any case.
        let found = t
            .page(
                &format!(
                    "/ui/find/documents?kind=sales_order&q={}",
                    number.rsplit('-').next().unwrap()
                ),
                &cookie,
            )
            .await;
        assert!(found.text.contains(&number), "{}", found.text);
        let form = t.page("/payments/new", &cookie).await;
        let csrf = csrf_of(&form.text);
        // An unknown number: the form comes back with it and says so by the field.
        let r = t
            .form(
                "/payments",
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("counterparty_id", &s.cp),
                    ("amount", "500"),
                    ("order_id", "ЗК-1999-000999"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("value=\"ЗК-1999-000999\""));
        assert!(r.text.contains("«ЗК-1999-000999» не найден"));
        assert!(r.text.contains("id=\"err-order-id\""));
        let r = t
            .form(
                "/payments",
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("counterparty_id", &s.cp),
                    ("amount", "500"),
                    ("order_id", &number.to_lowercase()),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let pay = r.headers["location"].to_str().unwrap().to_string();
        let api = t.get(&format!("/api/v1{pay}"), &t.admin).await;
        assert_eq!(api.body["order_id"], order.as_str());
        // The payment shows the order by number, linked.
        let p = t.page(&pay, &cookie).await;
        assert!(
            p.text
                .contains(&format!("href=\"/sales-orders/{order}\">{number}<")),
            "{}",
            p.text
        );
        // So does the audit log.
        let log = t.page("/audit", &cookie).await;
        assert!(
            log.text
                .contains(&format!("href=\"/sales-orders/{order}\">{number}<")),
            "{}",
            log.text
        );
    }
);

both_engines!(line_quote_prices_before_saving, |t: TestApp| async move {
    let s = shop(&t).await;
    let cookie = web_login(&t, "admin", ADMIN_PASSWORD).await;
    // Products by part of the name or SKU.
    let f = t
        .page("/ui/find/products?q=%D0%B4%D1%80%D0%B5%D0%BB", &cookie)
        .await;
    let v: Value = serde_json::from_str(&f.text).unwrap();
    assert_eq!(v[0]["label"], "DR-1 — Дрель");
    assert_eq!(v[0]["whole"], true);
    let q = format!(
        "/ui/lines/quote?kind=sales_order&counterparty_id={}&warehouse_id={}&l0_product={}&l0_qty=3&l2_product={}&l2_qty=1,5&l4_product={}&l4_qty=1.5",
        s.cp, s.wh, s.drill, s.cable, s.drill
    );
    let r = t.page(&q, &cookie).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v: Value = serde_json::from_str(&r.text).unwrap();
    assert_eq!(v["rows"]["0"]["price"], "1\u{a0}000,00\u{a0}₽");
    assert_eq!(v["rows"]["0"]["amount"], "3\u{a0}000,00\u{a0}₽");
    assert_eq!(v["rows"]["0"]["stock"], "10");
    assert_eq!(v["rows"]["0"]["discount_pct"], "0 %");
    assert_eq!(v["rows"]["2"]["amount"], "30,00\u{a0}₽");
    assert_eq!(v["rows"]["2"]["stock"], "50");
    assert_eq!(v["rows"]["2"]["whole"], false);
    assert!(v["rows"]["4"]["error"].as_str().unwrap().contains("целое"));
    assert_eq!(v["total"], "4\u{a0}530,00\u{a0}₽");
    // A shipment line of a serial product lists the units in stock to tick.
    let q = format!(
        "/ui/lines/quote?kind=shipment&counterparty_id={}&warehouse_id={}&l0_product={}&l0_qty=1",
        s.cp, s.wh, s.pump
    );
    let v: Value = serde_json::from_str(&t.page(&q, &cookie).await.text).unwrap();
    assert_eq!(v["rows"]["0"]["units"], json!(["P-26-001", "P-26-002"]));
});

both_engines!(serials_are_found_however_typed, |t: TestApp| async move {
    let s = shop(&t).await;
    let cookie = web_login(&t, "admin", ADMIN_PASSWORD).await;
    // Lower case, and a scanner in the Russian layout («З» is the P key).
    for typed in ["p-26-001", "З-26-001"] {
        let r = t
            .page(
                &format!("/units?serial={}", kupets_testkit::enc(typed)),
                &cookie,
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{typed}: {}", r.text);
        assert!(r.headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/units/"));
    }
    // A shipment takes the serial as scanned.
    let sh = t
        .post(
            "/api/v1/shipments",
            &t.admin,
            json!({"counterparty_id": s.cp, "warehouse_id": s.wh,
        "lines": [{"product_id": s.pump, "qty": "1", "price": "20000", "serials": ["з-26-002"]}]}),
        )
        .await;
    assert_eq!(sh.status, StatusCode::CREATED, "{}", sh.text);
    posted(&t, &format!("/api/v1/shipments/{}/post", id(&sh.body))).await;
    // /units lists units with filters: the one at the customer, the one in stock.
    let r = t
        .page(
            &format!("/units?state=customer&counterparty_id={}", s.cp),
            &cookie,
        )
        .await;
    assert!(
        r.text.contains("P-26-002") && !r.text.contains("P-26-001"),
        "{}",
        r.text
    );
    let r = t.page("/units?state=stock", &cookie).await;
    assert!(r.text.contains("P-26-001") && !r.text.contains("P-26-002"));
    // The shipment offers its return, prefilled with its lines.
    let page = t
        .page(&format!("/shipments/{}", id(&sh.body)), &cookie)
        .await;
    assert!(page.text.contains(">Возврат<"));
});

both_engines!(each_role_sees_its_work, |t: TestApp| async move {
    let _ = shop(&t).await;
    t.user("sklad", "storekeeper").await;
    t.user("engineer", "service_engineer").await;
    let sk = web_login(&t, "sklad", "password-123").await;
    let home = t.page("/", &sk).await;
    assert!(
        !home.text.contains("href=\"/sales-orders\""),
        "no orders in the storekeeper's menu"
    );
    assert!(!home.text.contains("/sales-orders/new"));
    assert!(home.text.contains("href=\"/shipments\""));
    assert!(home.text.contains("href=\"/stock\""));
    let en = web_login(&t, "engineer", "password-123").await;
    let home = t.page("/", &en).await;
    for absent in [
        "/counterparties/new",
        "/payments/new",
        "/adjustments/new",
        "/sales-orders",
    ] {
        assert!(
            !home.text.contains(absent),
            "{absent} offered to the engineer"
        );
    }
    assert!(home.text.contains("href=\"/repairs\""));
    // The owner's page shows cost: not offered to a manager, who may not see it.
    t.user("manager1", "manager").await;
    let mg = web_login(&t, "manager1", "password-123").await;
    let home = t.page("/", &mg).await;
    assert!(!home.text.contains("/reports/owner"));
    assert_eq!(
        t.page("/reports/owner", &mg).await.status,
        StatusCode::FORBIDDEN
    );
    // The server still refuses, and names the role in words; the order form
    // comes back with the refusal instead of a bare error page.
    let form = t.page("/sales-orders/new", &en).await;
    let r = t
        .form(
            "/sales-orders",
            &en,
            &[("csrf", &csrf_of(&form.text)), ("comment", "попытка")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains("Сервисный инженер"), "{}", r.text);
    assert!(!r.text.contains("service_engineer"));
    assert!(r.text.contains("value=\"попытка\""));
    // Error pages carry the menu.
    let r = t.page("/no-such-page", &en).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text.contains("href=\"/today\""));
});

both_engines!(
    stock_page_shows_reserved_by_open_orders,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let o = created(
            &t,
            "/api/v1/sales-orders",
            json!({"counterparty_id": s.cp, "lines": [{"product_id": s.drill, "qty": "4"}]}),
        )
        .await;
        posted(&t, &format!("/api/v1/sales-orders/{}/post", id(&o))).await;
        let cookie = web_login(&t, "admin", ADMIN_PASSWORD).await;
        let r = t.page("/stock?q=%D0%B4%D1%80%D0%B5%D0%BB", &cookie).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.text.contains("Дрель") && !r.text.contains("Кабель"),
            "search"
        );
        // 10 in stock, 4 reserved, 6 free.
        let row = &r.text[r.text.find("Дрель").unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        let cells: Vec<&str> = row.split("<td class=\"num\">").skip(1).collect();
        assert!(cells[0].starts_with("10"), "{row}");
        assert!(cells[1].contains(">4<"), "{row}");
        assert!(cells[2].starts_with('6'), "{row}");
    }
);

/// The page after a refusal: the menu is there (a page, not a bare error).
fn has_menu(text: &str) {
    assert!(text.contains("href=\"/today\""), "menu: {text}");
}

both_engines!(
    refused_invoice_and_adjustment_keep_what_was_typed,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let o = created(
            &t,
            "/api/v1/sales-orders",
            json!({"counterparty_id": s.cp, "lines": [{"product_id": s.drill, "qty": "2"}]}),
        )
        .await;
        let order = id(&o);
        posted(&t, &format!("/api/v1/sales-orders/{order}/post")).await;
        let number = o["number"].as_str().unwrap().to_string();
        let cookie = web_login(&t, "admin", ADMIN_PASSWORD).await;
        let form = t.page("/invoices/new", &cookie).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.text);
        assert!(form
            .text
            .contains("data-pick=\"/ui/find/documents?kind=sales_order\""));
        let csrf = csrf_of(&form.text);
        // An unknown order number: everything comes back, the message at it.
        let r = t
            .form(
                "/invoices",
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("order_id", "ЗК-1999-000999"),
                    ("due_date", "2026-01-01"),
                    ("comment", "к оплате до пятницы"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("value=\"ЗК-1999-000999\""));
        assert!(r.text.contains("value=\"к оплате до пятницы\""));
        assert!(r.text.contains("value=\"2026-01-01\""));
        assert!(r.text.contains("id=\"err-order-id\""));
        assert!(r.text.contains("href=\"#err-order-id\""));
        has_menu(&r.text);
        // Lines of its own: a bad price is refused at its row, in words.
        let r = t
            .form(
                "/invoices",
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("counterparty_id", &s.cp),
                    ("l0_find", "dr-1"),
                    ("l0_qty", "2"),
                    ("l0_price", "дорого"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("value=\"DR-1 — Дрель\""), "{}", r.text);
        assert!(r.text.contains("value=\"дорого\""));
        assert!(r.text.contains("id=\"err-lines-0--price\""));
        assert!(r.text.contains("Строка 1, Цена"));
        // The order typed by number in lower case bills it; the invoice shows
        // the order as its number with a link.
        let r = t
            .form(
                "/invoices",
                &cookie,
                &[("csrf", &csrf), ("order_id", &number.to_lowercase())],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let inv = r.headers["location"].to_str().unwrap().to_string();
        let page = t.page(&inv, &cookie).await;
        assert!(
            page.text
                .contains(&format!("href=\"/sales-orders/{order}\">{number}<")),
            "{}",
            page.text
        );
        // Cancelling a draft is refused on the invoice's page, the reason kept.
        let r = t
            .form(
                &format!("{inv}/cancel"),
                &cookie,
                &[("csrf", &csrf), ("reason", "ошибка в сумме")],
            )
            .await;
        assert!(r.status.is_client_error(), "{}", r.text);
        assert!(r.text.contains("Счёт на оплату"), "the invoice again");
        has_menu(&r.text);

        // A debt adjustment of zero: the form again, the message at the amount.
        let form = t.page("/adjustments/new", &cookie).await;
        let r = t
            .form(
                "/adjustments",
                &cookie,
                &[
                    ("csrf", &csrf_of(&form.text)),
                    ("counterparty_id", &s.cp),
                    ("amount", "0"),
                    ("comment", "сверка за ноябрь"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("сверка за ноябрь"));
        assert!(r.text.contains("id=\"err-amount\""));
        assert!(r.text.contains("href=\"#err-amount\""));
        has_menu(&r.text);
        // A role without the right: the same form back, the role in words.
        t.user("sklad", "storekeeper").await;
        let sk = web_login(&t, "sklad", "password-123").await;
        let home = t.page("/", &sk).await;
        let r = t
            .form(
                "/adjustments",
                &sk,
                &[
                    ("csrf", &csrf_of(&home.text)),
                    ("counterparty_id", &s.cp),
                    ("amount", "100"),
                    ("comment", "не моё"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        assert!(r.text.contains("не моё"));
        assert!(r.text.contains("Кладовщик"), "{}", r.text);
        assert!(!r.text.contains("storekeeper"));
        has_menu(&r.text);
    }
);

both_engines!(
    refused_repair_and_product_forms_keep_what_was_typed,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let cookie = web_login(&t, "admin", ADMIN_PASSWORD).await;
        let list = t.page("/repairs", &cookie).await;
        let csrf = csrf_of(&list.text);
        // An unknown serial: the hand-in form again with what was typed.
        let r = t
            .form(
                "/repairs",
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("serial", "NOPE-404"),
                    ("complaint", "не крутит"),
                    ("warehouse_id", &s.wh),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("value=\"NOPE-404\""));
        assert!(r.text.contains("value=\"не крутит\""));
        assert!(r.text.contains("id=\"err-serial\""));
        has_menu(&r.text);
        let r = t
            .form(
                "/repairs",
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("serial", "p-26-001"),
                    ("complaint", "не крутит"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let rep = r.headers["location"].to_str().unwrap().to_string();
        // A negative price: the repair's page, the diagnosis as typed, the
        // message at the price.
        let r = t
            .form(
                &rep,
                &cookie,
                &[("csrf", &csrf), ("work", "замена щёток"), ("price", "-5")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("value=\"замена щёток\""));
        assert!(r.text.contains("value=\"-5\""));
        assert!(r.text.contains("id=\"err-price\""));
        has_menu(&r.text);

        // A product without a name: the form again, the message at the name.
        let r = t
            .form(
                "/products",
                &cookie,
                &[("csrf", &csrf), ("sku", "NEW-77"), ("name", "")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("value=\"NEW-77\""));
        assert!(r.text.contains("id=\"err-name\""));
        assert!(r.text.contains("href=\"#err-name\""));
        has_menu(&r.text);
        // A price that is not a number: the product's card, the price kept.
        let r = t
            .form(
                &format!("/products/{}/prices", s.drill),
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("price_type_id", "1"),
                    ("effective_date", "2026-03-01"),
                    ("price", "дёшево"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("value=\"дёшево\""), "{}", r.text);
        assert!(r.text.contains("value=\"2026-03-01\""));
        assert!(r.text.contains("id=\"err-price\""));
        assert!(r.text.contains("Дрель"), "the card");
        has_menu(&r.text);
        // A contact without a name: the counterparty's card, the rest kept.
        let r = t
            .form(
                &format!("/counterparties/{}/contacts", s.cp),
                &cookie,
                &[("csrf", &csrf), ("name", ""), ("phone", "+7 900 000-00-01")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("value=\"+7 900 000-00-01\""));
        has_menu(&r.text);
    }
);

both_engines!(
    document_search_sees_what_the_lists_show,
    |t: TestApp| async move {
        let s = shop(&t).await;
        // Two departments, a manager in each, an order by each.
        let mut depts = Vec::new();
        for name in ["Розница", "Опт"] {
            depts.push(id(&created(
                &t,
                "/api/v1/departments",
                json!({"name": name}),
            )
            .await));
        }
        let mut cookies = Vec::new();
        for (i, login) in ["m_retail", "m_trade"].iter().enumerate() {
            let r = t
                .post(
                    "/api/v1/employees",
                    &t.admin,
                    json!({"login": login, "name": login, "role": "manager", "password": "password-123",
                        "department_id": depts[i], "discount_limit": "5"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            let token = t.login(login, "password-123").await;
            let o = t
                .post(
                    "/api/v1/sales-orders",
                    &token,
                    json!({"counterparty_id": s.cp, "lines": [{"product_id": s.drill, "qty": "1"}]}),
                )
                .await;
            assert_eq!(o.status, StatusCode::CREATED, "{}", o.text);
            cookies.push(web_login(&t, login, "password-123").await);
        }
        // Each manager finds by number exactly the orders their list shows.
        for cookie in &cookies {
            let list = t.page("/sales-orders", cookie).await;
            assert_eq!(list.status, StatusCode::OK);
            let found = t
                .page(
                    &format!(
                        "/ui/find/documents?kind=sales_order&q={}",
                        kupets_testkit::enc("0")
                    ),
                    cookie,
                )
                .await;
            let v: Value = serde_json::from_str(&found.text).unwrap();
            let numbers: Vec<&str> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["number"].as_str().unwrap())
                .collect();
            assert!(!numbers.is_empty());
            for n in &numbers {
                assert!(list.text.contains(n), "{n} found but not listed");
            }
            // Links to orders only, not to «+ Создать» or the XLSX export.
            let listed = list
                .text
                .split("href=\"/sales-orders/")
                .skip(1)
                .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
                .count();
            assert_eq!(numbers.len(), listed, "{}", list.text);
        }
        // Without a session nothing is found.
        let r = t.page("/ui/find/documents?kind=sales_order&q=1", "").await;
        assert!(r.status.is_redirection() || r.status.is_client_error());
    }
);

/// A file as downloaded: the headers and the bytes as sent.
struct Download {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    bytes: Vec<u8>,
}

async fn download(t: &TestApp, path: &str) -> Download {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::builder()
        .uri(path)
        .header("authorization", format!("Bearer {}", t.admin))
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = t.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Download {
        status,
        headers,
        bytes,
    }
}

/// The Russian file name a download offers (`filename*=UTF-8''…`).
fn file_name(r: &Download) -> String {
    let cd = r.headers["content-disposition"].to_str().unwrap();
    let enc = cd.split("filename*=UTF-8''").nth(1).unwrap_or("");
    let mut bytes = Vec::new();
    let mut it = enc.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let h: String = [it.next().unwrap(), it.next().unwrap()]
                .iter()
                .map(|c| *c as char)
                .collect();
            bytes.push(u8::from_str_radix(&h, 16).unwrap());
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).unwrap()
}

/// The sheets of a downloaded workbook: (name, rows of cells).
fn sheets(r: &Download) -> Vec<(String, Vec<Vec<calamine::Data>>)> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::Xlsx::new(std::io::Cursor::new(r.bytes.clone())).expect("an XLSX file");
    let names = wb.sheet_names().to_vec();
    names
        .into_iter()
        .map(|n| {
            let range = wb.worksheet_range(&n).unwrap();
            (n, range.rows().map(|r| r.to_vec()).collect())
        })
        .collect()
}

both_engines!(
    spreadsheets_are_named_in_russian_with_real_cells,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let sh = created(
            &t,
            "/api/v1/shipments",
            json!({"counterparty_id": s.cp, "warehouse_id": s.wh,
                "lines": [{"product_id": s.drill, "qty": "2"}]}),
        )
        .await;
        posted(&t, &format!("/api/v1/shipments/{}/post", id(&sh))).await;
        let today = kupets_domain::money::date_ru(kupets_app::today());
        // The акт сверки: named after the counterparty and the period, dates
        // as date cells, amounts as numbers.
        let r = download(
            &t,
            &format!(
                "/api/v1/reports/reconciliation?counterparty_id={}&format=xlsx",
                s.cp
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let name = file_name(&r);
        assert!(
            name.starts_with("Акт сверки ООО «Строй» ") && name.ends_with(&format!("{today}.xlsx")),
            "{name}"
        );
        let book = sheets(&r);
        assert_eq!(book[0].0, "Акт сверки");
        let row = book[0]
            .1
            .iter()
            .find(|row| matches!(row.first(), Some(calamine::Data::DateTime(_))))
            .expect("a date cell");
        assert!(
            matches!(row[2], calamine::Data::Float(f) if (f - 2000.0).abs() < 0.001),
            "{row:?}"
        );
        // Balances and aging: the date in Russian in the name.
        for (path, prefix, sheet) in [
            ("balances", "Взаиморасчёты на ", "Взаиморасчёты"),
            (
                "aging",
                "Старение задолженности на ",
                "Старение задолженности",
            ),
        ] {
            let r = download(&t, &format!("/api/v1/reports/{path}?format=xlsx")).await;
            assert_eq!(file_name(&r), format!("{prefix}{today}.xlsx"));
            assert_eq!(sheets(&r)[0].0, sheet);
        }
        // Sales: the header says what the rows are, quantities are numbers.
        let r = download(&t, "/api/v1/reports/sales?format=xlsx").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(file_name(&r).starts_with("Продажи "), "{}", file_name(&r));
        let book = sheets(&r);
        assert_eq!(book[0].0, "Продажи");
        let rows = &book[0].1;
        assert_eq!(rows[2][0], calamine::Data::String("Контрагент".into()));
        assert!(
            matches!(rows[3][1], calamine::Data::Float(f) if (f - 2.0).abs() < 0.001),
            "{:?}",
            rows[3]
        );
        // By month, a month is a date cell.
        let r = download(&t, "/api/v1/reports/sales?format=xlsx&rows=month").await;
        assert!(matches!(sheets(&r)[0].1[3][0], calamine::Data::DateTime(_)));
        // An import template: a Russian sheet and file name.
        let r = download(&t, "/api/v1/imports/counterparties/template?format=xlsx").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(file_name(&r), "Шаблон загрузки — контрагенты.xlsx");
        assert_eq!(sheets(&r)[0].0, "Контрагенты");
    }
);

both_engines!(
    refused_actions_come_back_on_their_page,
    |t: TestApp| async move {
        let s = shop(&t).await;
        let o = created(
            &t,
            "/api/v1/sales-orders",
            json!({"counterparty_id": s.cp, "warehouse_id": s.wh,
                "lines": [{"product_id": s.drill, "qty": "1"}, {"product_id": s.pump, "qty": "1"}]}),
        )
        .await;
        let order = id(&o);
        posted(&t, &format!("/api/v1/sales-orders/{order}/post")).await;
        let lines = t
            .get(&format!("/api/v1/sales-orders/{order}"), &t.admin)
            .await
            .body["lines"]
            .clone();
        let cookie = web_login(&t, "admin", ADMIN_PASSWORD).await;
        let form = t
            .page(&format!("/sales-orders/{order}/fulfil"), &cookie)
            .await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = csrf_of(&form.text);
        // «Отгрузить» with two serials for one pump: the form again with the
        // serials as typed and the message at the pump's row (row 2, though
        // only it was sent).
        let (l0, l1) = (
            lines[0]["id"].as_str().unwrap(),
            lines[1]["id"].as_str().unwrap(),
        );
        let r = t
            .form(
                &format!("/sales-orders/{order}/fulfil"),
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("warehouse_id", &s.wh),
                    ("l0_line", l0),
                    ("l0_product", &s.drill),
                    ("l0_price", "1000"),
                    ("l0_qty", "0"),
                    ("l1_line", l1),
                    ("l1_product", &s.pump),
                    ("l1_price", "20000"),
                    ("l1_qty", "1"),
                    ("l1_serials", "P-26-001 P-26-002"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("value=\"P-26-001 P-26-002\""));
        assert!(r.text.contains("id=\"err-lines-1--serials\""), "{}", r.text);
        assert!(r.text.contains("Строка 2, Серийные номера"));
        has_menu(&r.text);
        // An unknown status: the order's page, the note kept, the reason shown.
        let r = t
            .form(
                &format!("/documents/{order}/status"),
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("status_id", "999999"),
                    ("note", "перезвонить в пятницу"),
                ],
            )
            .await;
        assert!(r.status.is_client_error(), "{}", r.text);
        assert!(
            r.text.contains("value=\"перезвонить в пятницу\""),
            "{}",
            r.text
        );
        assert!(r.text.contains(&o["number"].as_str().unwrap().to_string()));
        has_menu(&r.text);
        // The same on an interaction's page.
        let it = created(
            &t,
            "/api/v1/interactions",
            json!({"counterparty_id": s.cp, "kind": "call", "subject": "Звонок про сроки"}),
        )
        .await;
        let r = t
            .form(
                &format!("/documents/{}/status", id(&it)),
                &cookie,
                &[
                    ("csrf", &csrf),
                    ("status_id", "999999"),
                    ("note", "уточнить сроки"),
                ],
            )
            .await;
        assert!(r.status.is_client_error(), "{}", r.text);
        assert!(r.text.contains("value=\"уточнить сроки\""), "{}", r.text);
        assert!(r.text.contains("Звонок про сроки"), "{}", r.text);
        has_menu(&r.text);
        // A payment posted by a role without the right: its page, the role in words.
        let p = created(
            &t,
            "/api/v1/payments",
            json!({"counterparty_id": s.cp, "amount": "100", "direction": "in"}),
        )
        .await;
        t.user("sklad", "storekeeper").await;
        let sk = web_login(&t, "sklad", "password-123").await;
        let home = t.page("/", &sk).await;
        let r = t
            .form(
                &format!("/payments/{}/post", id(&p)),
                &sk,
                &[("csrf", &csrf_of(&home.text))],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        assert!(r.text.contains(p["number"].as_str().unwrap()));
        assert!(r.text.contains("Кладовщик"));
        has_menu(&r.text);
    }
);
