//! The `reminders` scenario: the Today view and the funnel over 1 000 000
//! status assignments; a deputy's Today covering two absent managers; the
//! timeline of a client with 10 000 events (SQLite, in process).

use crate::{shop, temp_db};
use chrono::Datelike;
use serde_json::json;
use std::time::Instant;

/// The Today view and the funnel over 1 000 000 status assignments on
/// 200 000 documents of 50 employees (SQLite, in process).
pub async fn run() -> anyhow::Result<()> {
    use kupets_app::status::TodayFilter;
    // KUPETS_BENCH_REUSE=FILE measures again on a database a previous run
    // left (the data is the same each run).
    let reuse = std::env::var("KUPETS_BENCH_REUSE").ok();
    let (employees, docs, assignments) = (50i64, 200_000i64, 1_000_000i64);
    let (db, app, actor) = match &reuse {
        Some(path) => {
            let app = kupets_app::App::new(kupets_store::Store::open(path).await?);
            let tok = app
                .login("bench", "bench-password", "api")
                .await
                .map_err(|e| anyhow::anyhow!(e.message(false)))?
                .token;
            let actor = app
                .authenticate(&tok)
                .await
                .map_err(|e| anyhow::anyhow!(e.message(false)))?
                .0;
            (path.clone(), app, actor)
        }
        None => {
            let db = temp_db("reminders");
            let (app, actor, _, _, _) = shop(&db).await?;
            (db, app, actor)
        }
    };
    let first_emp = if reuse.is_some() {
        let conn = rusqlite::Connection::open(&db)?;
        conn.query_row("SELECT id FROM employees WHERE login = 'm0'", [], |r| {
            r.get::<_, i64>(0)
        })?
    } else {
        let mut conn = rusqlite::Connection::open(&db)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "OFF")?;
        let tx = conn.transaction()?;
        let mut state: u64 = 13;
        let mut rnd = |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let next = |tx: &rusqlite::Transaction, t: &str| -> rusqlite::Result<i64> {
            tx.query_row(
                &format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {t}"),
                [],
                |r| r.get(0),
            )
        };
        let first_emp = next(&tx, "employees")?;
        for e in 0..employees {
            tx.execute("INSERT INTO employees (id, login, name, password_hash, role, created_at) VALUES (?1, ?2, ?3, 'x', 'manager', 'now')",
                rusqlite::params![first_emp + e, format!("m{e}"), format!("Менеджер {e:02}")])?;
        }
        let first_cp = next(&tx, "counterparties")?;
        for i in 0..2_000i64 {
            tx.execute("INSERT INTO counterparties (id, name, kind, search, created_at) VALUES (?1, ?2, 'customer', ?2, 'now')",
                rusqlite::params![first_cp + i, format!("Клиент {i:04}")])?;
        }
        // (id, stage, reminder) of the catalogue.
        let statuses: Vec<(i64, Option<i64>, bool, String)> = {
            let mut st = tx.prepare("SELECT id, funnel_stage, is_reminder, kinds FROM statuses")?;
            let rows = st.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0, r.get(3)?))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let any_kind: Vec<&(i64, Option<i64>, bool, String)> =
            statuses.iter().filter(|s| s.3.is_empty()).collect();
        let start = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let first_doc = next(&tx, "documents")?;
        let mut per_doc = assignments / docs;
        per_doc = per_doc.max(1);
        let mut made = 0i64;
        for d in 0..docs {
            let id = first_doc + d;
            let order = d % 2 == 0;
            let kind = if order {
                "sales_order"
            } else {
                ["shipment", "return", "payment_in"][(d % 3) as usize]
            };
            let day = start + chrono::Duration::days(rnd(690) as i64);
            let emp = first_emp + rnd(employees as u64) as i64;
            tx.execute("INSERT INTO documents (id, kind, year, seq, number, doc_date, state, author_id, responsible_id, counterparty_id, amount, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'posted', ?7, ?7, ?8, ?9, 'now')",
                rusqlite::params![id, kind, day.year(), d + 1_000_000, format!("R-{d}"), day.to_string(), emp, first_cp + rnd(2000) as i64, (1 + rnd(100_000) as i64) * 100])?;
            // Orders climb the funnel; anything may get a reminder; some
            // assignments are dated ahead (reminders for next year).
            let mut latest: Option<(String, i64, i64, &str)> = None;
            let mut max_stage: Option<i64> = None;
            let mut stage = 0i64;
            for k in 0..per_doc {
                let (status, st_stage) = if order && rnd(4) != 0 {
                    stage += 1;
                    match statuses.iter().find(|s| s.1 == Some(stage)) {
                        Some(s) => (s.0, s.1),
                        None => (any_kind[rnd(any_kind.len() as u64) as usize].0, None),
                    }
                } else {
                    let s = any_kind[rnd(any_kind.len() as u64) as usize];
                    (s.0, s.1)
                };
                let eff = if rnd(20) == 0 {
                    day + chrono::Duration::days(365 + rnd(200) as i64)
                } else {
                    day + chrono::Duration::days(k * 7 + rnd(7) as i64)
                };
                tx.execute("INSERT INTO status_assignments (document_id, status_id, effective_date, note, employee_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 'now')",
                    rusqlite::params![id, status, eff.to_string(), if k % 3 == 0 { "перезвонить, обсудить сроки" } else { "" }, emp])?;
                let aid = tx.last_insert_rowid();
                let e = eff.to_string();
                if latest.as_ref().is_none_or(|l| e >= l.0) {
                    latest = Some((
                        e,
                        aid,
                        status,
                        if k % 3 == 0 {
                            "перезвонить, обсудить сроки"
                        } else {
                            ""
                        },
                    ));
                }
                if let Some(st) = st_stage {
                    max_stage = Some(max_stage.map_or(st, |m: i64| m.max(st)));
                }
                made += 1;
            }
            if let Some((date, aid, status, note)) = latest {
                tx.execute("INSERT INTO doc_status (document_id, latest_id, latest_date, latest_status_id, latest_note, max_stage) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", rusqlite::params![id, aid, date, status, note, max_stage])?;
            }
            if d % 40_000 == 39_999 {
                eprintln!("documents: {}/{docs}, assignments: {made}", d + 1);
            }
        }
        // Two managers away, covered by a third.
        for absent in [0i64, 1] {
            tx.execute("INSERT INTO absences (employee_id, deputy_id, date_from, date_to, note, created_at) VALUES (?1, ?2, '2026-11-01', '2026-12-31', 'отпуск', 'now')",
                rusqlite::params![first_emp + absent, first_emp + 2])?;
        }
        // A client with 10 000 events: 7 000 documents (2 000 of them
        // interactions) and 3 000 status changes, handled by a manager of its own.
        let owner = first_emp + employees;
        tx.execute("INSERT INTO employees (id, login, name, password_hash, role, created_at) VALUES (?1, 'timeline', 'Менеджер ленты', 'x', 'manager', 'now')",
            rusqlite::params![owner])?;
        let client = first_cp + 2_000;
        tx.execute("INSERT INTO counterparties (id, name, kind, manager_id, search, created_at) VALUES (?1, 'Клиент с историей', 'customer', ?2, 'клиент с историей', 'now')",
            rusqlite::params![client, owner])?;
        let first = next(&tx, "documents")?;
        let remind = statuses.iter().find(|s| s.2).map(|s| s.0).unwrap_or(1);
        for d in 0..7_000i64 {
            let id = first + d;
            let day = start + chrono::Duration::days(d % 690);
            let kind = [
                "sales_order",
                "shipment",
                "payment_in",
                "interaction",
                "interaction",
                "repair",
                "return",
            ][(d % 7) as usize];
            tx.execute("INSERT INTO documents (id, kind, year, seq, number, doc_date, state, author_id, responsible_id, counterparty_id, amount, comment, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'posted', ?7, ?7, ?8, ?9, '', 'now')",
                rusqlite::params![id, kind, day.year(), d + 2_000_000, format!("T-{d}"), day.to_string(), owner, client, (1 + d % 1000) * 100])?;
            if kind == "interaction" {
                tx.execute("INSERT INTO interactions (document_id, at, channel, subject, body) VALUES (?1, ?2, 'call', 'Звонок', '')",
                    rusqlite::params![id, format!("{day}T{:02}:{:02}", 9 + d % 9, d % 60)])?;
            }
            if d % 7 < 3 {
                let at = format!(
                    "{}T12:{:02}:00.000Z",
                    day + chrono::Duration::days(1),
                    d % 60
                );
                tx.execute("INSERT INTO status_assignments (document_id, status_id, effective_date, note, employee_id, created_at) VALUES (?1, ?2, ?3, 'перезвонить', ?4, ?5)",
                    rusqlite::params![id, remind, day.to_string(), owner, at])?;
            }
        }
        // Each document carries its latest status and date (migration 0016),
        // as `write_assignment` keeps them.
        // What assigning leaves on each document as of the day viewed (as
        // the server keeps it, `App::roll_statuses`): the status in force,
        // its date, the next assignment's date and the furthest funnel
        // stage (migration 0024).
        tx.execute("UPDATE documents SET \
            status_id = (SELECT x.status_id FROM status_assignments x WHERE x.document_id = documents.id AND x.effective_date <= ?1 ORDER BY x.effective_date DESC, x.id DESC LIMIT 1), \
            status_date = (SELECT x.effective_date FROM status_assignments x WHERE x.document_id = documents.id AND x.effective_date <= ?1 ORDER BY x.effective_date DESC, x.id DESC LIMIT 1), \
            status_next = (SELECT MIN(x.effective_date) FROM status_assignments x WHERE x.document_id = documents.id AND x.effective_date > ?1), \
            max_stage = (SELECT s.max_stage FROM doc_status s WHERE s.document_id = documents.id) \
            WHERE id IN (SELECT document_id FROM doc_status)", ["2026-11-27"])?;
        tx.commit()?;
        first_emp
    };
    let timeline_client = {
        let conn = rusqlite::Connection::open(&db)?;
        conn.query_row(
            "SELECT id FROM counterparties WHERE name = 'Клиент с историей'",
            [],
            |r| r.get::<_, i64>(0),
        )?
    };
    if reuse.is_none() {
        app.store.analyze().await?;
    }
    let e = |e: kupets_app::AppError| anyhow::anyhow!(e.message(false));
    let mut times = Vec::new();
    let mut shown = (0usize, 0i64);
    for i in 0..60 {
        let f = TodayFilter {
            employee_id: Some((first_emp + i % employees).to_string()),
            date: Some("2026-11-27".into()),
            ..Default::default()
        };
        let t = Instant::now();
        let v = app.today_view(&actor, &f).await.map_err(e)?;
        let el = t.elapsed().as_secs_f64() * 1000.0;
        if i >= 10 {
            times.push(el);
        }
        shown = (v.reminders.len(), v.documents_total);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let today_ms = (times[times.len() / 2] * 100.0).round() / 100.0;
    let today_p99 = (times[times.len() - 1] * 100.0).round() / 100.0;
    eprintln!(
        "today: {} reminders, {} documents with a status for the last employee",
        shown.0, shown.1
    );
    let from = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(2027, 12, 31).unwrap();
    let mut ft = Vec::new();
    let mut orders = 0;
    for _ in 0..7 {
        let t = Instant::now();
        let f = app.funnel(&actor, from, to, None).await.map_err(e)?;
        ft.push(t.elapsed().as_secs_f64() * 1000.0);
        orders = f.orders;
    }
    ft.sort_by(|a, b| a.total_cmp(b));
    let funnel_ms = (ft[ft.len() / 2] * 100.0).round() / 100.0;
    eprintln!("funnel over {orders} orders");
    // A deputy (a manager) covering two absent managers.
    let mut deputy = actor.clone();
    deputy.employee.id = first_emp + 2;
    deputy.employee.department_id = None;
    deputy.role = kupets_domain::Role::Manager;
    let mut dt = Vec::new();
    let mut covered = (0usize, 0i64, 0usize);
    for i in 0..60 {
        let f = TodayFilter {
            date: Some("2026-11-27".into()),
            ..Default::default()
        };
        let t = Instant::now();
        let v = app.today_view(&deputy, &f).await.map_err(e)?;
        if i >= 10 {
            dt.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        covered = (
            v.reminders.len(),
            v.documents_total,
            v.reminders
                .iter()
                .filter(|r| r.covered_for_id.is_some())
                .count(),
        );
    }
    dt.sort_by(|a, b| a.total_cmp(b));
    let deputy_ms = (dt[dt.len() / 2] * 100.0).round() / 100.0;
    let deputy_max = (dt[dt.len() - 1] * 100.0).round() / 100.0;
    eprintln!(
        "deputy today: {} reminders ({} covered), {} documents with a status",
        covered.0, covered.2, covered.1
    );
    // The first page of a client's timeline of 10 000 events.
    let mut tl = Vec::new();
    let mut events = 0usize;
    for i in 0..40 {
        let t = Instant::now();
        let p = app
            .timeline(&actor, timeline_client, &Default::default())
            .await
            .map_err(e)?;
        if i >= 10 {
            tl.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        events = p.items.len();
    }
    tl.sort_by(|a, b| a.total_cmp(b));
    let timeline_ms = (tl[tl.len() / 2] * 100.0).round() / 100.0;
    let timeline_max = (tl[tl.len() - 1] * 100.0).round() / 100.0;
    eprintln!("timeline: first page of {events} events");
    println!(
        "{}",
        json!({"scenario": "reminders", "assignments": assignments, "documents": docs, "employees": employees, "today_page_ms": today_ms, "today_page_max_ms": today_p99, "funnel_orders": orders, "funnel_ms": funnel_ms, "deputy_today_page_ms": deputy_ms, "deputy_today_page_max_ms": deputy_max, "timeline_events": 10_000, "timeline_ms": timeline_ms, "timeline_max_ms": timeline_max})
    );
    Ok(())
}
