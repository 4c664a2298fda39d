//! A real browser uploads a bank statement, assigns the unmatched payment
//! to a client, posts the batch and sees the client's balance change.

use super::browser::{log_in, serve, start_browser};
use super::exchange::{our_account, statement, Doc};
use fantoccini::Locator;
use kupets_domain::inn::complete_inn10;
use kupets_testkit::{Engine, TestApp, ADMIN_PASSWORD};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_imports_a_statement_and_assigns_a_payment() {
    let t = TestApp::new(Engine::Sqlite).await.unwrap();
    let r = t.post("/api/v1/company/bank-accounts", &t.admin, json!({"bank_name": "ПАО Сбербанк", "bic": "044525225", "corr_account": "30101810400000000225", "account": our_account()})).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    let r = t
        .post(
            "/api/v1/counterparties",
            &t.admin,
            json!({"name": "Стройка"}),
        )
        .await;
    let cp = r.id();
    let Some((_driver, c)) = start_browser().await else {
        return;
    };
    let base = serve(&t).await;
    let ours = our_account();
    let inn = complete_inn10("773000009");
    let file = std::env::temp_dir().join(format!("kupets-statement-{}.txt", std::process::id()));
    std::fs::write(
        &file,
        statement(
            "1.03",
            true,
            &[Doc {
                number: "88",
                date: "03.03.2026",
                amount: "300.00",
                payer: (&inn, "40702810100000000888", "ИП Петров"),
                payee: ("7707083893", &ours, "ООО «Купец»"),
                purpose: "Оплата за инструмент",
            }],
        ),
    )
    .unwrap();

    log_in(&c, &base, "/bank-statements", "admin", ADMIN_PASSWORD).await;
    let input = c
        .wait()
        .for_element(Locator::Css("input[type=file]"))
        .await
        .unwrap();
    input.send_keys(file.to_str().unwrap()).await.unwrap();
    c.find(Locator::Css("button[value=import]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The import's page: the row is unmatched, with the reason.
    let row = c
        .wait()
        .for_element(Locator::Css("tr#row-88"))
        .await
        .unwrap();
    assert!(row.text().await.unwrap().contains("Не сопоставлен"));
    let select = row
        .find(Locator::Css("select[name=counterparty_id]"))
        .await
        .unwrap();
    select.select_by_value(&cp).await.unwrap();
    row.find(Locator::Css("form[action$=assign] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let post = c
        .wait()
        .for_element(Locator::XPath("//button[contains(., 'Провести платежи')]"))
        .await
        .unwrap();
    let row = c.find(Locator::Css("tr#row-88")).await.unwrap();
    assert!(row.text().await.unwrap().contains("Стройка"));
    post.click().await.unwrap();
    c.wait().for_element(Locator::Css("div.ok")).await.unwrap();
    // The client's card shows the payment as its balance.
    c.goto(&format!("{base}/counterparties/{cp}"))
        .await
        .unwrap();
    let body = c
        .wait()
        .for_element(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("300,00"), "{body}");
    let card = t
        .get(&format!("/api/v1/counterparties/{cp}"), &t.admin)
        .await;
    assert_eq!(card.body["balance"], "-300.00");
    let _ = std::fs::remove_file(file);
    c.close().await.unwrap();
}
