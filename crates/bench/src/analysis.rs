//! `analysis`: the sales report, ABC, quiet clients and the owner's page on
//! 1 000 000 posted shipment lines (100 000 shipments of 10 lines over a
//! year), 10 000 clients of 20 managers and 5 000 products (SQLite, in
//! process). The data is loaded through rusqlite in one transaction as
//! posting leaves it: documents, lines with their cost, sales facts, the
//! ledger entry, the per-day purchase totals and the monthly sales totals.

use chrono::Datelike;
use kupets_app::analysis::abc::AbcQuery;
use kupets_app::analysis::owner::OwnerQuery;
use kupets_app::analysis::quiet::QuietQuery;
use kupets_app::analysis::sales::SalesQuery;
use serde_json::json;
use std::time::Instant;

pub async fn run() -> anyhow::Result<()> {
    let db = super::temp_db("analysis");
    let (app, actor, _, _, _) = super::shop(&db).await?;
    let e = |e: kupets_app::AppError| anyhow::anyhow!(e.message(false));
    let (cps, products, groups, managers, docs, lines_per) =
        (10_000i64, 5_000i64, 50i64, 20i64, 100_000i64, 10i64);
    let start = chrono::NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
    let end = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let t_load = Instant::now();
    let first_manager;
    {
        let mut conn = rusqlite::Connection::open(&db)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "OFF")?;
        let tx = conn.transaction()?;
        let next = |tx: &rusqlite::Transaction, t: &str| -> rusqlite::Result<i64> {
            tx.query_row(
                &format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {t}"),
                [],
                |r| r.get(0),
            )
        };
        first_manager = next(&tx, "employees")?;
        for i in 0..managers {
            tx.execute("INSERT INTO employees (id, login, name, password_hash, role, created_at) VALUES (?1, ?2, ?3, 'x', 'manager', 'now')",
                rusqlite::params![first_manager + i, format!("m{i}"), format!("Менеджер {i:02}")])?;
        }
        let first_group = next(&tx, "product_groups")?;
        for i in 0..groups {
            tx.execute(
                "INSERT INTO product_groups (id, name) VALUES (?1, ?2)",
                rusqlite::params![first_group + i, format!("Группа {i:02}")],
            )?;
        }
        let first_product = next(&tx, "products")?;
        for i in 0..products {
            tx.execute("INSERT INTO products (id, sku, name, unit, vat_rate, group_id, search, created_at) VALUES (?1, ?2, ?3, 'шт', '22', ?4, ?5, 'now')",
                rusqlite::params![first_product + i, format!("A-{i:05}"), format!("Товар {i:05}"), first_group + i % groups, format!("товар {i:05}")])?;
        }
        let first_cp = next(&tx, "counterparties")?;
        for i in 0..cps {
            tx.execute("INSERT INTO counterparties (id, name, kind, manager_id, search, created_at) VALUES (?1, ?2, 'customer', ?3, ?4, 'now')",
                rusqlite::params![first_cp + i, format!("Клиент {i:05}"), first_manager + i % managers, format!("клиент {i:05}")])?;
        }
        let mut state: u64 = 13;
        let mut rnd = |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let first_doc = next(&tx, "documents")?;
        let mut doc_st = tx.prepare("INSERT INTO documents (id, kind, year, seq, number, doc_date, state, author_id, responsible_id, counterparty_id, warehouse_id, amount, created_at) VALUES (?1, 'shipment', ?2, ?3, ?4, ?5, 'posted', 1, ?6, ?7, NULL, ?8, 'now')")?;
        let mut line_st = tx.prepare("INSERT INTO document_lines (document_id, line_no, product_id, qty, price, amount, vat_rate, vat, cost, cost_amount) VALUES (?1, ?2, ?3, ?4, ?5, ?6, '22', ?7, ?8, ?9)")?;
        let mut fact_st = tx.prepare("INSERT INTO sales_facts (document_id, line_id, doc_date, month, counterparty_id, product_id, group_id, manager_id, department_id, qty, revenue, revenue_net, cost, purchase) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9, ?10, ?11, ?12, 1)")?;
        let mut entry_st = tx.prepare("INSERT INTO settlement_entries (counterparty_id, document_id, entry_date, amount, created_at) VALUES (?1, ?2, ?3, ?4, 'now')")?;
        let mut day_st = tx.prepare("INSERT INTO purchase_days (counterparty_id, day, amount) VALUES (?1, ?2, ?3) ON CONFLICT (counterparty_id, day) DO UPDATE SET amount = amount + excluded.amount")?;
        let days = (end - start).num_days() as u64 + 1;
        for k in 0..docs {
            let id = first_doc + k;
            // Clients buy unevenly: a few buy much (ABC has a shape).
            let cp_i = (rnd(cps as u64) * rnd(cps as u64) / cps as u64) as i64;
            let cp = first_cp + cp_i;
            let manager = first_manager + cp_i % managers;
            let day = start + chrono::Duration::days(rnd(days) as i64);
            let date = day.to_string();
            let month = date[..7].to_string();
            let mut total = 0i64;
            let mut rows = Vec::with_capacity(lines_per as usize);
            for l in 0..lines_per {
                let p = rnd(products as u64) as i64;
                let qty = (1 + rnd(5) as i64) * 1000;
                let price = (100 + rnd(10_000) as i64) * 100;
                let amount = price * qty / 1000;
                let vat = (amount * 22 + 61) / 122;
                let cost = price * 7 / 10 * 100 / 122;
                let cost_amount = cost * qty / 1000;
                total += amount;
                rows.push((
                    l + 1,
                    first_product + p,
                    p,
                    qty,
                    price,
                    amount,
                    vat,
                    cost,
                    cost_amount,
                ));
            }
            doc_st.execute(rusqlite::params![
                id,
                day.year(),
                k + 1,
                format!("РН-{k}"),
                date,
                manager,
                cp,
                total
            ])?;
            for (no, product, p, qty, price, amount, vat, cost, cost_amount) in rows {
                line_st.execute(rusqlite::params![
                    id,
                    no,
                    product,
                    qty,
                    price,
                    amount,
                    vat,
                    cost,
                    cost_amount
                ])?;
                let line = tx.last_insert_rowid();
                fact_st.execute(rusqlite::params![
                    id,
                    line,
                    date,
                    month,
                    cp,
                    product,
                    first_group + p % groups,
                    manager,
                    qty,
                    amount,
                    amount - vat,
                    cost_amount
                ])?;
            }
            entry_st.execute(rusqlite::params![cp, id, date, total])?;
            day_st.execute(rusqlite::params![cp, date, total])?;
            if k % 20_000 == 19_999 {
                eprintln!("shipments: {}/{docs}", k + 1);
            }
        }
        drop((doc_st, line_st, fact_st, entry_st, day_st));
        // The monthly totals posting keeps, as migration 0018 back-fills them.
        for dim in ["client", "product"] {
            let (keys, cols) = if dim == "client" {
                (
                    "counterparty_id, manager_id, COALESCE(department_id, 0)",
                    "counterparty_id, manager_id, COALESCE(department_id, 0), 0, 0",
                )
            } else {
                (
                    "product_id, COALESCE(group_id, 0)",
                    "0, 0, 0, product_id, COALESCE(group_id, 0)",
                )
            };
            tx.execute(&format!(
                "INSERT INTO sales_months (dim, month, counterparty_id, manager_id, department_id, product_id, group_id, qty, revenue, revenue_net, cost, facts, shipments) \
                 SELECT '{dim}', month, {cols}, SUM(qty), SUM(revenue), SUM(revenue_net), SUM(cost), COUNT(*), COUNT(DISTINCT CASE WHEN purchase = 1 THEN document_id END) \
                 FROM sales_facts GROUP BY month, {keys}"
            ), [])?;
        }
        tx.commit()?;
        conn.execute_batch("ANALYZE")?;
    }
    let load_s = t_load.elapsed().as_secs_f64();
    eprintln!("loaded in {load_s:.1} s");
    let ms = |t: Instant, n: u32| ((t.elapsed() / n).as_secs_f64() * 100_000.0).round() / 100.0;
    let year = SalesQuery {
        from: Some(start.to_string()),
        to: Some(end.to_string()),
        rows: Some("counterparty".into()),
        columns: Some("month".into()),
        ..Default::default()
    };
    // One warm-up of each, then the mean of a few runs.
    let r = app.sales_report(&actor, &year).await.map_err(e)?;
    eprintln!(
        "sales: {} clients × {} months",
        r.rows.len(),
        r.columns.len()
    );
    let t = Instant::now();
    for _ in 0..3 {
        std::hint::black_box(app.sales_report(&actor, &year).await.map_err(e)?);
    }
    let sales_ms = ms(t, 3);
    let abc_q = AbcQuery {
        from: Some(start.to_string()),
        to: Some(end.to_string()),
        ..Default::default()
    };
    let a = app.abc_report(&actor, &abc_q).await.map_err(e)?;
    eprintln!("abc: A {} B {} C {}", a.counts.a, a.counts.b, a.counts.c);
    let t = Instant::now();
    for _ in 0..3 {
        std::hint::black_box(app.abc_report(&actor, &abc_q).await.map_err(e)?);
    }
    let abc_ms = ms(t, 3);
    let quiet_q = QuietQuery {
        employee_id: Some(first_manager.to_string()),
        date: Some(end.to_string()),
    };
    let q = app.quiet_clients(&actor, &quiet_q).await.map_err(e)?;
    eprintln!("quiet clients of one manager: {}", q.len());
    let t = Instant::now();
    for _ in 0..10 {
        std::hint::black_box(app.quiet_clients(&actor, &quiet_q).await.map_err(e)?);
    }
    let quiet_ms = ms(t, 10);
    // The class refresh the first counterparty list of a day makes.
    let t = Instant::now();
    for _ in 0..3 {
        app.refresh_client_classes(true).await.map_err(e)?;
    }
    let classes_ms = ms(t, 3);
    let owner_q = OwnerQuery {
        date: Some("2026-11-20".into()),
    };
    app.owner_page(&actor, &owner_q).await.map_err(e)?;
    let t = Instant::now();
    for _ in 0..3 {
        std::hint::black_box(app.owner_page(&actor, &owner_q).await.map_err(e)?);
    }
    let owner_ms = ms(t, 3);
    println!(
        "{}",
        json!({"scenario": "analysis", "shipment_lines": docs * lines_per, "clients": cps, "products": products, "load_s": (load_s * 10.0).round() / 10.0,
            "sales_by_client_month_ms": sales_ms, "abc_ms": abc_ms, "quiet_clients_ms": quiet_ms, "owner_page_ms": owner_ms, "client_classes_refresh_ms": classes_ms})
    );
    Ok(())
}
