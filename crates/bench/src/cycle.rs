//! `cycle`: the order-to-cash cycle over HTTP against the real server
//! process — a sales order of 3 lines created and posted, a shipment against
//! it created and posted, a payment created and posted, the client's balance
//! read — with one client (median `cycle_ms`) and with 16 clients
//! (`cycles_per_s`). Also the statements each step costs, counted by the
//! store in process (`Store::statements`), and each request's median time
//! in the one-client run (`steps_us`, timed by the client: where a cycle's
//! time goes on the machine at hand).
//!
//! The same work as `../shared/bench/tryton/` (order → shipment → invoice →
//! payment → balance); run both in one go to get the ratio.

use crate::{shop, temp_db, Server};
use anyhow::{bail, Context};
use kupets_app::trade::{LineInput, TradeDocInput};
use kupets_domain::DocKind;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const LINES: usize = 3;

pub async fn cycle() -> anyhow::Result<()> {
    let db = temp_db("cycle");
    let (app, actor, wh, products, cp) = shop(&db).await?;
    let products: Vec<i64> = products.into_iter().take(LINES).collect();
    let stmts = statements(&app, &actor, wh, &products, cp).await?;
    eprintln!("statements: {stmts}");
    drop(app);

    let (server, mut c) = Cycle::start(&db, wh, cp, products).await?;
    // Each document created and posted in one request (`?post=true`, one
    // transaction, one commit), then the same work in two requests per
    // document (create, then post), as a client that reviews drafts does.
    let (cycle_ms, cycle_p99_ms, cycles_per_s, steps) = measure(&c).await?;
    c.at_once = false;
    let (two_ms, two_p99_ms, two_per_s, two_steps) = measure(&c).await?;
    drop(server);
    println!(
        "{}",
        json!({
            "scenario": "cycle",
            "cycle_ms": (cycle_ms * 100.0).round() / 100.0,
            "cycle_p99_ms": (cycle_p99_ms * 100.0).round() / 100.0,
            "cycles_per_s": cycles_per_s.round(),
            "steps_us": steps,
            "clients": CLIENTS,
            "two_step": {
                "cycle_ms": (two_ms * 100.0).round() / 100.0,
                "cycle_p99_ms": (two_p99_ms * 100.0).round() / 100.0,
                "cycles_per_s": two_per_s.round(),
                "steps_us": two_steps,
            },
            "statements": stmts,
        })
    );
    Ok(())
}

const CLIENTS: usize = 16;

/// Median and p99 of one client's cycle, with the median of each of its
/// requests, then cycles per second with `CLIENTS` clients.
async fn measure(c: &Cycle) -> anyhow::Result<(f64, f64, f64, BTreeMap<&'static str, f64>)> {
    let mode = if c.at_once {
        "create+post in one request"
    } else {
        "create, then post"
    };
    for _ in 0..20 {
        c.run().await?; // warm-up: statement caches, connections
    }
    let n = crate::env_count("KUPETS_BENCH_CYCLES", 200)?;
    let mut times = Vec::with_capacity(n);
    let mut timed = c.clone();
    timed.steps = Some(Arc::default());
    for _ in 0..n {
        let t = Instant::now();
        timed.run().await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let mut steps = BTreeMap::new();
    if let Some(all) = &timed.steps {
        for (step, t) in all.lock().expect("step times").iter_mut() {
            t.sort_by(|a, b| a.total_cmp(b));
            let median = crate::percentile(t, 0.5).round();
            eprintln!("  {step}: median {median} µs");
            steps.insert(*step, median);
        }
    }
    let cycle_ms = crate::percentile(&times, 0.5);
    let cycle_p99_ms = crate::percentile(&times, 0.99);
    eprintln!("{mode}, one client: median {cycle_ms:.2} ms, p99 {cycle_p99_ms:.2} ms");
    let per_client = 40;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..per_client {
                c.run().await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let cycles_per_s = (CLIENTS * per_client) as f64 / t.elapsed().as_secs_f64();
    eprintln!("{mode}, {CLIENTS} clients: {cycles_per_s:.0} cycles/s");
    Ok((cycle_ms, cycle_p99_ms, cycles_per_s, steps))
}

/// Each step's request times, microseconds.
type StepTimes = BTreeMap<&'static str, Vec<f64>>;

#[derive(Clone)]
struct Cycle {
    client: reqwest::Client,
    base: String,
    token: String,
    wh: i64,
    cp: i64,
    products: Vec<i64>,
    /// Create and post each document in one request (`?post=true`).
    at_once: bool,
    /// Where set, each request's time by step (client-side, microseconds).
    steps: Option<Arc<Mutex<StepTimes>>>,
}

impl Cycle {
    /// Starts the server on `db`, logs the bench user in and returns a
    /// client that creates and posts each document in one request.
    async fn start(
        db: &str,
        wh: i64,
        cp: i64,
        products: Vec<i64>,
    ) -> anyhow::Result<(Server, Cycle)> {
        let (server, _) = Server::start(db).await?;
        let client = reqwest::Client::new();
        let token = crate::api_login(&client, &server.base, "bench", "bench-password").await?;
        let c = Cycle {
            client,
            base: server.base.clone(),
            token,
            wh,
            cp,
            products,
            at_once: true,
            steps: None,
        };
        Ok((server, c))
    }

    async fn call(
        &self,
        step: &'static str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let t = Instant::now();
        let r = req.send().await?;
        let status = r.status();
        let v: Value = r.json().await?;
        if let Some(steps) = &self.steps {
            let us = t.elapsed().as_secs_f64() * 1e6;
            steps
                .lock()
                .expect("step times")
                .entry(step)
                .or_default()
                .push(us);
        }
        if !status.is_success() {
            bail!("{path}: {status} {v}");
        }
        Ok(v)
    }

    /// One order-to-cash cycle.
    async fn run(&self) -> anyhow::Result<()> {
        use reqwest::Method;
        let q = if self.at_once { "?post=true" } else { "" };
        let lines: Vec<Value> = self
            .products
            .iter()
            .map(|p| json!({"product_id": p.to_string(), "qty": "1", "price": "100.50"}))
            .collect();
        let order = self
            .call(
                "order",
                Method::POST,
                &format!("/api/v1/sales-orders{q}"),
                Some(json!({"counterparty_id": self.cp.to_string(), "lines": lines})),
            )
            .await?;
        let oid = order["id"].as_str().context("order id")?.to_string();
        self.post("order_post", &format!("/api/v1/sales-orders/{oid}/post"))
            .await?;
        let ship_lines: Vec<Value> = order["lines"]
            .as_array()
            .context("order lines")?
            .iter()
            .map(|l| json!({"product_id": l["product_id"], "qty": l["qty"], "price": l["price"], "order_line_id": l["id"]}))
            .collect();
        let ship = self
            .call("shipment", Method::POST, &format!("/api/v1/shipments{q}"), Some(json!({"counterparty_id": self.cp.to_string(), "warehouse_id": self.wh.to_string(), "order_id": oid, "lines": ship_lines})))
            .await?;
        let sid = ship["id"].as_str().context("shipment id")?;
        self.post("shipment_post", &format!("/api/v1/shipments/{sid}/post"))
            .await?;
        let amount = ship["amount"].as_str().context("amount")?;
        let pay = self
            .call("payment", Method::POST, &format!("/api/v1/payments{q}"), Some(json!({"counterparty_id": self.cp.to_string(), "order_id": oid, "amount": amount})))
            .await?;
        let pid = pay["id"].as_str().context("payment id")?;
        self.post("payment_post", &format!("/api/v1/payments/{pid}/post"))
            .await?;
        let card = self
            .call(
                "balance",
                Method::GET,
                &format!("/api/v1/counterparties/{}", self.cp),
                None,
            )
            .await?;
        card["balance"].as_str().context("balance")?;
        Ok(())
    }

    /// Posts a draft, unless it was posted on creation.
    async fn post(&self, step: &'static str, path: &str) -> anyhow::Result<()> {
        if !self.at_once {
            self.call(step, reqwest::Method::POST, path, None).await?;
        }
        Ok(())
    }
}

/// Statements per step of one cycle, in process (the server runs the same
/// code): the difference of the store's counter around each call.
async fn statements(
    app: &kupets_app::App,
    actor: &kupets_app::Actor,
    wh: i64,
    products: &[i64],
    cp: i64,
) -> anyhow::Result<Value> {
    let e = |e: kupets_app::AppError| anyhow::anyhow!(e.message(false));
    let s = &app.store;
    let mut at = s.statements();
    let mut step = || {
        let now = s.statements();
        let d = now - at;
        at = now;
        d
    };
    let input = |order: Option<(i64, &[i64])>| TradeDocInput {
        counterparty_id: Some(cp.to_string()),
        warehouse_id: order.map(|_| wh.to_string()),
        order_id: order.map(|o| o.0.to_string()),
        lines: products
            .iter()
            .enumerate()
            .map(|(i, p)| LineInput {
                product_id: Some(p.to_string()),
                qty: Some("1".into()),
                price: Some("100.50".into()),
                order_line_id: order.map(|o| o.1[i].to_string()),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let order = app
        .create_trade_doc(actor, DocKind::SalesOrder, &input(None))
        .await
        .map_err(e)?;
    let order_create = step();
    app.post_trade_doc(actor, DocKind::SalesOrder, order.document.id)
        .await
        .map_err(e)?;
    let order_post = step();
    let line_ids: Vec<i64> = order.lines.iter().map(|l| l.id).collect();
    let ship = app
        .create_trade_doc(
            actor,
            DocKind::Shipment,
            &input(Some((order.document.id, &line_ids))),
        )
        .await
        .map_err(e)?;
    let shipment_create = step();
    app.post_trade_doc(actor, DocKind::Shipment, ship.document.id)
        .await
        .map_err(e)?;
    let shipment_post = step();
    Ok(json!({
        "order_create": order_create,
        "order_post": order_post,
        "shipment_create": shipment_create,
        "shipment_post": shipment_post,
    }))
}

/// `bench load [SECONDS]`: a posting load to run beside another benchmark
/// (issue 17: the latency targets must hold "with 16 clients posting beside
/// them"). Its own server process and database; `CLIENTS` clients run the
/// order-to-cash cycle (each document created and posted in one request)
/// until the time is up, then the rate is printed.
pub async fn load(seconds: u64) -> anyhow::Result<()> {
    let db = temp_db("load");
    let (app, _actor, wh, products, cp) = shop(&db).await?;
    let products: Vec<i64> = products.into_iter().take(LINES).collect();
    drop(app);
    let (server, c) = Cycle::start(&db, wh, cp, products).await?;
    eprintln!("posting load: {CLIENTS} clients for {seconds} s");
    let until = Instant::now() + std::time::Duration::from_secs(seconds);
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < until {
                c.run().await?;
                n += 1;
            }
            Ok::<_, anyhow::Error>(n)
        }));
    }
    let mut cycles = 0;
    for task in tasks {
        cycles += task.await??;
    }
    let secs = t.elapsed().as_secs_f64();
    drop(server);
    println!(
        "{}",
        json!({"scenario": "load", "clients": CLIENTS, "seconds": secs.round(), "cycles": cycles, "documents_posted_per_s": (3.0 * cycles as f64 / secs).round()})
    );
    Ok(())
}
