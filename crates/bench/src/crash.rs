//! `bench crash [KILLS]`: the server is killed with SIGKILL at random moments
//! while several clients create and post payments and shipments; after each
//! kill it restarts on the same SQLite file. At the end every acknowledged
//! document must be there (and posted, if its posting was acknowledged), and
//! the ledgers must add up: stock = Σ stock moves per warehouse and product,
//! the customer's balance = Σ posted shipments − Σ posted payments, and every
//! posted shipment has its moves and its ledger entry. Exit status 1 on any
//! loss. JSON on the last line.

use super::{temp_db, Server};
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Acked {
    /// (kind path, id, amount in kopecks) created.
    created: Vec<(&'static str, i64, i64)>,
    /// Ids whose posting was acknowledged.
    posted: Vec<i64>,
}

fn kopecks(v: &Value) -> i64 {
    kupets_domain::Money::parse(v.as_str().unwrap_or("0"))
        .map(|m| m.0)
        .unwrap_or(0)
}

async fn login(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    crate::api_login(client, base, "crash", "crash-password").await
}

async fn client_loop(
    base: String,
    token: String,
    ids: Arc<(String, String, String)>,
    acked: Arc<Mutex<Acked>>,
    k: usize,
) {
    let client = reqwest::Client::new();
    let (wh, product, customer) = (&ids.0, &ids.1, &ids.2);
    for i in 0.. {
        let (path, body): (&'static str, Value) = if (i + k).is_multiple_of(2) {
            (
                "payments",
                json!({"counterparty_id": customer, "amount": format!("{}.{:02}", 10 + i % 90, k), "date": "2026-03-01"}),
            )
        } else {
            (
                "shipments",
                json!({"counterparty_id": customer, "warehouse_id": wh, "date": "2026-03-02", "lines": [{"product_id": product, "qty": "1"}]}),
            )
        };
        let Ok(r) = client
            .post(format!("{base}/api/v1/{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
        else {
            return; // the server is gone
        };
        if r.status().as_u16() != 201 {
            return;
        }
        let Ok(doc) = r.json::<Value>().await else {
            return;
        };
        let id: i64 = doc["id"].as_str().unwrap_or("0").parse().unwrap_or(0);
        acked
            .lock()
            .unwrap()
            .created
            .push((path, id, kopecks(&doc["amount"])));
        let Ok(r) = client
            .post(format!("{base}/api/v1/{path}/{id}/post"))
            .bearer_auth(&token)
            .send()
            .await
        else {
            return;
        };
        if r.status().is_success() {
            acked.lock().unwrap().posted.push(id);
        } else if r.status().as_u16() >= 500 {
            eprintln!("crash: {path} {id} post answered {}", r.status());
        }
    }
}

pub async fn crash(kills: usize) -> anyhow::Result<()> {
    let db = temp_db("crash");
    {
        let store = kupets_store::Store::open(&db).await?;
        let app = kupets_app::App::new(store.clone());
        app.cli_add_user("crash", "Crash", "admin", "crash-password")
            .await
            .map_err(|e| anyhow::anyhow!(e.message(false)))?;
        store.close().await;
    }
    let client = reqwest::Client::new();
    let (server, _) = Server::start(&db).await?;
    let base = server.base.clone();
    let token = login(&client, &base).await?;
    let post = |path: String, body: Value| {
        let (client, token, base) = (client.clone(), token.clone(), base.clone());
        async move {
            let mut req = client.post(format!("{base}{path}")).bearer_auth(&token);
            if !body.is_null() {
                req = req.json(&body);
            }
            let r = req.send().await?;
            let status = r.status();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            if !status.is_success() {
                bail!("{path}: {status} {v}");
            }
            Ok::<_, anyhow::Error>(v)
        }
    };
    let wh = post("/api/v1/warehouses".into(), json!({"name": "Склад"})).await?["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let product = post(
        "/api/v1/products".into(),
        json!({"sku": "C-1", "name": "Изделие"}),
    )
    .await?["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let retail = client
        .get(format!("{base}/api/v1/price-types"))
        .bearer_auth(&token)
        .send()
        .await?
        .json::<Value>()
        .await?["items"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["code"] == "retail").cloned())
        .context("retail price type")?["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    post(
        format!("/api/v1/products/{product}/prices"),
        json!({"price_type_id": retail, "effective_date": "2025-01-01", "price": "100"}),
    )
    .await?;
    let supplier = post(
        "/api/v1/counterparties".into(),
        json!({"name": "Поставщик", "kind": "supplier"}),
    )
    .await?["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let customer = post(
        "/api/v1/counterparties".into(),
        json!({"name": "Покупатель"}),
    )
    .await?["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let rc = post("/api/v1/receipts".into(), json!({"counterparty_id": supplier, "warehouse_id": wh, "date": "2026-03-01", "lines": [{"product_id": product, "qty": "1000000", "price": "50"}]})).await?["id"].as_str().unwrap_or("").to_string();
    post(format!("/api/v1/receipts/{rc}/post"), Value::Null).await?;
    drop(server);

    let ids = Arc::new((wh, product, customer.clone()));
    let acked = Arc::new(Mutex::new(Acked::default()));
    let t0 = Instant::now();
    let mut seed = std::process::id() as u64 ^ 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for round in 0..kills {
        let (mut server, _) = Server::start(&db).await?;
        let token = login(&client, &server.base).await?;
        let tasks: Vec<_> = (0..4)
            .map(|k| {
                tokio::spawn(client_loop(
                    server.base.clone(),
                    token.clone(),
                    ids.clone(),
                    acked.clone(),
                    k,
                ))
            })
            .collect();
        let wait = 150 + rnd(1200);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        server.child.kill()?; // SIGKILL
        let _ = server.child.wait();
        for t in tasks {
            let _ = t.await;
        }
        let a = acked.lock().unwrap();
        eprintln!(
            "crash: kill {} after {wait} ms: {} created, {} posted acknowledged so far",
            round + 1,
            a.created.len(),
            a.posted.len()
        );
    }

    // Check on the file itself, with the server stopped.
    let conn = rusqlite::Connection::open(&db)?;
    let a = acked.lock().unwrap();
    let mut lost = Vec::new();
    for (path, id, _) in &a.created {
        let state: Option<String> = conn
            .query_row("SELECT state FROM documents WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .ok();
        match state {
            None => lost.push(format!("{path} {id} acknowledged but missing")),
            Some(s) if a.posted.contains(id) && s != "posted" => {
                lost.push(format!("{path} {id} posting acknowledged but state {s}"))
            }
            _ => {}
        }
    }
    let bad_stock: i64 = conn.query_row(
        "SELECT COUNT(*) FROM stock s WHERE s.qty <> (SELECT COALESCE(SUM(m.qty), 0) FROM stock_moves m WHERE m.warehouse_id = s.warehouse_id AND m.product_id = s.product_id)",
        [],
        |r| r.get(0),
    )?;
    if bad_stock > 0 {
        lost.push(format!("{bad_stock} stock rows differ from their moves"));
    }
    let cp: i64 = customer.parse()?;
    let ledger: i64 = conn.query_row(
        "SELECT COALESCE(SUM(amount), 0) FROM settlement_entries WHERE counterparty_id = ?1",
        [cp],
        |r| r.get(0),
    )?;
    let expected: i64 = conn.query_row(
        "SELECT COALESCE(SUM(CASE kind WHEN 'shipment' THEN amount ELSE -amount END), 0) FROM documents WHERE counterparty_id = ?1 AND state = 'posted' AND kind IN ('shipment', 'payment_in')",
        [cp],
        |r| r.get(0),
    )?;
    if ledger != expected {
        lost.push(format!(
            "customer ledger {ledger} ≠ posted documents {expected}"
        ));
    }
    let bad_balances: i64 = conn.query_row(
        "SELECT COUNT(*) FROM (SELECT counterparty_id, SUM(amount) AS s FROM settlement_entries GROUP BY counterparty_id) e \
         LEFT JOIN settlement_balances b ON b.counterparty_id = e.counterparty_id WHERE COALESCE(b.balance, 0) <> e.s",
        [],
        |r| r.get(0),
    )?;
    if bad_balances > 0 {
        lost.push(format!(
            "{bad_balances} kept balances differ from their ledger entries"
        ));
    }
    let unmoved: i64 = conn.query_row(
        "SELECT COUNT(*) FROM documents d WHERE d.kind = 'shipment' AND d.state = 'posted' AND (NOT EXISTS (SELECT 1 FROM stock_moves m WHERE m.document_id = d.id) OR NOT EXISTS (SELECT 1 FROM settlement_entries e WHERE e.document_id = d.id))",
        [],
        |r| r.get(0),
    )?;
    if unmoved > 0 {
        lost.push(format!(
            "{unmoved} posted shipments without moves or ledger entry"
        ));
    }
    for l in &lost {
        eprintln!("crash: LOST {l}");
    }
    println!(
        "{}",
        json!({"scenario": "crash", "kills": kills, "acknowledged_created": a.created.len(), "acknowledged_posted": a.posted.len(),
               "problems": lost.len(), "seconds": t0.elapsed().as_secs()})
    );
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{db}{s}"));
    }
    if !lost.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
