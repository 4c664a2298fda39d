//! Benchmark programs, run on purpose (never as timed tests):
//! `cargo run --release -p bench -- NAME`. Each prints progress to stderr and
//! its figures as JSON on the last line of stdout.

mod analysis;
mod cycle;

use anyhow::{bail, Context};
use chrono::Datelike;
use kupets_app::App;
use kupets_store::queries::{insert, P};
use kupets_store::Store;
use serde_json::json;
use std::time::{Duration, Instant};

mod crash;
mod import;
mod pages;
mod paperwork;
mod reminders;

// Same allocator as the `kupets` binary: this process also serves (`__serve`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        // The server under test runs in its own process, so its start time
        // and memory are its own.
        // Its limits as `kupets serve` reads them (KUPETS_BUSY_POLL_US=0, say).
        Some("__serve") => {
            let limits = kupets_cli::LimitArgs::from_env()?;
            kupets_cli::serve_with(&args[2], args[3].parse()?, false, &limits).await
        }
        Some("foundation") => foundation().await,
        Some("driver") if args.len() > 2 => driver(&args[2]).await,
        Some("posting") => posting().await,
        Some("reports") => {
            reports(args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10_000)).await
        }
        Some("pricing") => pricing().await,
        Some("reminders") => reminders::run().await,
        Some("serials") => serials().await,
        Some("paperwork") => paperwork::run().await,
        Some("pages") => pages::run().await,
        Some("cycle") => cycle::cycle().await,
        Some("load") => cycle::load(args.get(2).and_then(|n| n.parse().ok()).unwrap_or(120)).await,
        Some("analysis") => analysis::run().await,
        Some("import") => {
            import::run(
                args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100_000),
                args.get(3).and_then(|a| a.parse().ok()).unwrap_or(10_000),
            )
            .await
        }
        Some("crash") => crash::crash(args.get(2).and_then(|n| n.parse().ok()).unwrap_or(24)).await,
        _ => {
            eprintln!(
                "usage: bench foundation | posting | reports [CUSTOMERS] | pricing | reminders | serials | paperwork | pages | cycle | load [SECONDS] | analysis | import [ROWS] [DOCS] | crash [KILLS] | driver DB"
            );
            std::process::exit(2);
        }
    }
}

struct Server {
    child: std::process::Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Logs `login` in over the API at `base`; the session token.
async fn api_login(
    client: &reqwest::Client,
    base: &str,
    login: &str,
    password: &str,
) -> anyhow::Result<String> {
    let r: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"login": login, "password": password}))
        .send()
        .await?
        .json()
        .await?;
    Ok(r["token"].as_str().context("token")?.to_string())
}

impl Server {
    /// Processor time (user + system) the server's SQLite writer thread has
    /// used so far, from `/proc` (Linux; `None` elsewhere). The writer is
    /// what limits many clients posting at once, and its time per document
    /// is steadier than documents per second on a noisy machine.
    fn writer_cpu(&self) -> Option<Duration> {
        let tasks = format!("/proc/{}/task", self.child.id());
        for t in std::fs::read_dir(&tasks).ok()?.flatten() {
            let dir = t.path();
            if std::fs::read_to_string(dir.join("comm")).ok()?.trim() != "kupets-writer" {
                continue;
            }
            let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
            // Fields after the parenthesised name: state is the 3rd field of
            // the line, utime and stime the 14th and 15th, in clock ticks.
            let rest = &stat[stat.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            // USER_HZ is 100 on Linux.
            return Some(Duration::from_millis(ticks * 10));
        }
        None
    }

    /// Starts `kupets serve` on `db` and waits for `/healthz`; returns the time
    /// from spawn to the first good answer.
    async fn start(db: &str) -> anyhow::Result<(Server, Duration)> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let addr = format!("127.0.0.1:{port}");
        let exe = std::env::current_exe()?;
        let client = reqwest::Client::new();
        let t0 = Instant::now();
        let child = std::process::Command::new(exe)
            .args(["__serve", db, &addr])
            .stdout(std::process::Stdio::null())
            .spawn()?;
        let server = Server {
            child,
            base: format!("http://{addr}"),
        };
        loop {
            if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await {
                if r.status().is_success() {
                    return Ok((server, t0.elapsed()));
                }
            }
            if t0.elapsed() > Duration::from_secs(30) {
                bail!("server did not start");
            }
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
    }

    fn status_kb(&self, key: &str) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        s.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// A count from the environment (a longer run, e.g. for a profiler to
/// attach), else `default`; a value that is not a count is refused.
fn env_count(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .with_context(|| format!("{name}={v}: not a count")),
        Err(_) => Ok(default),
    }
}

fn temp_db(name: &str) -> String {
    let dir = std::env::temp_dir().join("kupets-bench");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{name}-{}.db", std::process::id()));
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", path.display()));
    }
    path.display().to_string()
}

/// Name parts for generated counterparties: enough variety that search
/// behaves as on a real client list, not on a handful of repeated words.
const ROOTS: &[&str] = &[
    "строй",
    "техно",
    "снаб",
    "маркет",
    "профи",
    "мастер",
    "инструмент",
    "альянс",
    "вектор",
    "гранит",
    "энергия",
    "оптима",
    "лидер",
    "север",
    "восток",
    "урал",
    "волга",
    "сибирь",
    "алтай",
    "байкал",
    "кубань",
    "дон",
    "нева",
    "кама",
    "ока",
    "амур",
    "тайга",
    "полюс",
    "металл",
    "пласт",
    "бетон",
    "кирпич",
    "лес",
    "дерево",
    "камень",
    "стекло",
    "кабель",
    "провод",
    "насос",
    "мотор",
    "привод",
    "станок",
    "агро",
    "фарм",
    "мед",
    "авто",
    "транс",
    "логистик",
    "торг",
    "опт",
    "рем",
    "монтаж",
    "сервис",
    "проект",
    "инвест",
    "капитал",
    "групп",
    "холдинг",
    "завод",
    "фабрика",
    "цех",
    "дом",
    "сад",
    "огород",
    "ферма",
    "поле",
    "река",
    "берег",
    "звезда",
    "заря",
    "рассвет",
    "радуга",
    "ромашка",
    "василёк",
    "берёзка",
    "рябина",
    "калина",
    "сосна",
    "кедр",
    "дуб",
    "клён",
    "липа",
    "орион",
    "вега",
    "сириус",
    "атлант",
    "титан",
    "гефест",
    "феникс",
    "пегас",
    "грифон",
    "сокол",
    "орёл",
    "беркут",
    "ястреб",
    "медведь",
    "волк",
    "рысь",
    "барс",
    "тигр",
    "лев",
    "зубр",
];
const SUFFIXES: &[&str] = &[
    "",
    "",
    "",
    "-м",
    "-плюс",
    "-про",
    "-центр",
    "-юг",
    "-запад",
    "ком",
    "ресурс",
    "пром",
    "строй",
    "снаб",
    "сервис",
];
const CITIES: &[&str] = &[
    "Москва",
    "Казань",
    "Тула",
    "Пермь",
    "Омск",
    "Томск",
    "Самара",
    "Уфа",
    "Тверь",
    "Курск",
    "Орёл",
    "Псков",
];
const FORMS: &[&str] = &["ООО", "ООО", "ООО", "АО", "ПАО", "ИП"];

fn cap(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

async fn foundation() -> anyhow::Result<()> {
    const N: usize = 100_000;
    let db = temp_db("foundation");

    // 1. Start on an empty database (the server creates and migrates it).
    let mut starts = Vec::new();
    for i in 0..5 {
        let fresh = temp_db(&format!("start{i}"));
        let (srv, took) = Server::start(&fresh).await?;
        starts.push(took.as_secs_f64() * 1000.0);
        drop(srv);
    }
    starts.sort_by(f64::total_cmp);
    let start_ms = percentile(&starts, 0.5);
    eprintln!(
        "start on an empty database: {:?} ms (median {start_ms:.1})",
        starts.iter().map(|v| format!("{v:.1}")).collect::<Vec<_>>()
    );

    let (server, _) = Server::start(&db).await?;

    // 2. 100 000 counterparties, written directly while the server runs.
    let store = Store::open(&db).await?;
    let app = App::new(store.clone());
    app.cli_add_user("bench", "Бенчмарк", "admin", "bench-password")
        .await
        .map_err(|e| anyhow::anyhow!(e.message(false)))?;
    let t = Instant::now();
    let now = kupets_store::now();
    let mut state: u64 = 42;
    let mut rnd = |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    for chunk in 0..(N / 10_000) {
        let mut tx = store.raw_begin().await?;
        for i in 0..10_000 {
            let k = chunk * 10_000 + i;
            let form = FORMS[rnd(FORMS.len() as u64) as usize];
            let name = if form == "ИП" {
                let initials = ["А", "Б", "В", "Г", "Д", "Е"][rnd(6) as usize];
                format!(
                    "ИП {}ов {initials}.{}.",
                    cap(ROOTS[rnd(ROOTS.len() as u64) as usize]),
                    ["А", "И", "П", "С"][rnd(4) as usize]
                )
            } else {
                let mut n = cap(ROOTS[rnd(ROOTS.len() as u64) as usize]);
                if rnd(2) == 0 {
                    n.push_str(ROOTS[rnd(ROOTS.len() as u64) as usize]);
                }
                n.push_str(SUFFIXES[rnd(SUFFIXES.len() as u64) as usize]);
                if rnd(3) == 0 {
                    n = format!("{n} {}", CITIES[rnd(CITIES.len() as u64) as usize]);
                }
                format!("{form} «{n}» №{k}")
            };
            let region = 10 + rnd(80);
            let inn =
                kupets_domain::inn::complete_inn10(&format!("{region:02}{:07}", rnd(10_000_000)));
            insert(
                &mut tx,
                "counterparties",
                &[
                    ("search", P::from(format!("{name} {inn}").to_lowercase())),
                    ("name", P::from(name)),
                    ("kind", P::from("customer")),
                    ("inn", P::from(inn)),
                    ("created_at", P::from(now.as_str())),
                ],
            )
            .await?;
        }
        tx.commit().await?;
        eprintln!("counterparties: {}/{N}", (chunk + 1) * 10_000);
    }
    // Statistics as before (FTS5 histograms left out), and the upkeep an
    // import of this size runs when it ends (the trigram index merged; see
    // `Store::maintain`).
    store.analyze().await?;
    store.maintain().await?;
    eprintln!(
        "loaded {N} counterparties in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // 3. 16 concurrent clients list pages of 100 with a search filter.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(32)
        .build()?;
    let token = api_login(&client, &server.base, "bench", "bench-password").await?;
    // Searches people type: part of a name, the start of an INN, a legal form.
    let queries: Vec<String> = [
        // A word of the name, as people type it.
        "строй",
        "гранит",
        "ромашка",
        "сокол",
        "кабель",
        "сибирь",
        "заря",
        "логистик",
        "фабрика",
        "насос",
        // A longer fragment, a name with its legal form, a city.
        "строймонтаж",
        "ооо «гранит",
        "ао «сокол",
        "казань",
        "титанпром",
        // The start of an INN; short queries.
        "7701",
        "5012345",
        "16",
        "ип",
        // A rare combination.
        "беркутрассвет",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // The floor: an authenticated call that reads nothing, and a page with no filter.
    for (label, path) in [
        ("me", "/api/v1/me"),
        ("page, no filter", "/api/v1/counterparties?limit=100"),
    ] {
        let t = Instant::now();
        for _ in 0..50 {
            let r = client
                .get(format!("{}{path}", server.base))
                .bearer_auth(&token)
                .send()
                .await?;
            std::hint::black_box(r.bytes().await?);
        }
        eprintln!(
            "  {label:<16} {:.2} ms",
            t.elapsed().as_secs_f64() * 1000.0 / 50.0
        );
    }
    // Each search alone, warm, one client: what a single request costs.
    for q in &queries {
        let mut one = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            let r = client
                .get(format!("{}/api/v1/counterparties", server.base))
                .query(&[("limit", "100"), ("q", q.as_str())])
                .bearer_auth(&token)
                .send()
                .await?;
            let n = r.json::<serde_json::Value>().await?["items"]
                .as_array()
                .map(Vec::len)
                .unwrap_or(0);
            one.push((t.elapsed().as_secs_f64() * 1000.0, n));
        }
        let avg = one.iter().map(|x| x.0).sum::<f64>() / one.len() as f64;
        eprintln!("  q={q:<14} {:>3} items, {avg:.2} ms", one[0].1);
    }
    let clients = 16;
    let per_client = env_count("KUPETS_BENCH_LIST_EACH", 200)?;
    // Each client opens its connection with one request before the clock
    // starts, as a browser holds its connection open (a load generator
    // such as wrk connects first too): sixteen TCP connections accepted at
    // once are not a search's latency. The first requests are timed apart.
    let ready = std::sync::Arc::new(tokio::sync::Barrier::new(clients + 1));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, token, base, queries, ready) = (
            client.clone(),
            token.clone(),
            server.base.clone(),
            queries.clone(),
            ready.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = client
                .get(format!("{base}/api/v1/counterparties"))
                .query(&[("limit", "100"), ("q", queries[c % queries.len()].as_str())])
                .bearer_auth(&token)
                .send()
                .await?;
            std::hint::black_box(r.bytes().await?);
            let first = t.elapsed().as_secs_f64() * 1000.0;
            ready.wait().await;
            let t0 = Instant::now();
            let mut lat = Vec::with_capacity(per_client);
            for i in 0..per_client {
                let q = &queries[(c * 7 + i) % queries.len()];
                let t = Instant::now();
                let r = client
                    .get(format!("{base}/api/v1/counterparties"))
                    .query(&[("limit", "100"), ("q", q.as_str())])
                    .bearer_auth(&token)
                    .send()
                    .await?;
                let status = r.status();
                let body = r.bytes().await?;
                if !status.is_success() {
                    bail!("list failed: {status}");
                }
                lat.push((
                    t.elapsed().as_secs_f64() * 1000.0,
                    t0.elapsed().as_secs_f64() * 1000.0,
                    q.clone(),
                ));
                std::hint::black_box(body);
            }
            Ok::<_, anyhow::Error>((first, lat))
        }));
    }
    ready.wait().await;
    let t = Instant::now();
    let mut all = Vec::new();
    let mut firsts = Vec::new();
    for task in tasks {
        let (first, lat) = task.await??;
        firsts.push(first);
        all.extend(lat);
    }
    let first_max = firsts.iter().copied().fold(0.0, f64::max);
    eprintln!("first request of each client (connecting, at once): max {first_max:.2} ms");
    let wall = t.elapsed().as_secs_f64();
    all.sort_by(|a, b| b.0.total_cmp(&a.0));
    if std::env::var("KUPETS_BENCH_SLOWEST").is_ok() {
        for (ms, at, q) in all.iter().take(40) {
            eprintln!("slow: {ms:.2} ms at {at:.0} ms q={q}");
        }
    }
    let mut lat: Vec<f64> = all.into_iter().map(|x| x.0).collect();
    lat.sort_by(f64::total_cmp);
    let rss_mb = server.status_kb("VmHWM:") as f64 / 1024.0;
    let rss_now_mb = server.status_kb("VmRSS:") as f64 / 1024.0;
    eprintln!(
        "{} requests in {wall:.2} s; p50 {:.2} ms, p99 {:.2} ms; server peak RSS {rss_mb:.1} MB",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );
    let out = json!({
        "scenario": "foundation",
        "counterparties": N,
        "start_ms": (start_ms * 10.0).round() / 10.0,
        "list_p50_ms": (percentile(&lat, 0.5) * 100.0).round() / 100.0,
        "list_p99_ms": (percentile(&lat, 0.99) * 100.0).round() / 100.0,
        "list_requests_per_s": (lat.len() as f64 / wall).round(),
        "first_request_max_ms": (first_max * 100.0).round() / 100.0,
        "clients": clients,
        "rss_mb": (rss_mb * 10.0).round() / 10.0,
        "rss_after_mb": (rss_now_mb * 10.0).round() / 10.0,
    });
    drop(server);
    store.close().await;
    println!("{out}");
    Ok(())
}

/// `driver DB`: one page of 101 counterparties through sqlx's `Any` driver and
/// through the store's read path (rusqlite on SQLite), on an existing database
/// (e.g. the one `foundation` leaves in the temp directory).
async fn driver(db: &str) -> anyhow::Result<()> {
    use kupets_store::model::Counterparty;
    let store = Store::open(db).await?;
    let sql = format!(
        "SELECT {} FROM counterparties ORDER BY name, id LIMIT 101",
        Counterparty::COLS
    );
    let n = 300;
    let t = Instant::now();
    for _ in 0..n {
        let rows = sqlx::query(&sql).fetch_all(store.reader()).await?;
        std::hint::black_box(
            rows.iter()
                .map(|r| Counterparty::from_row(r))
                .collect::<Vec<_>>(),
        );
    }
    let sqlx_ms = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(
            store
                .read_rows(sql.clone(), vec![], Counterparty::from_row)
                .await?,
        );
    }
    let store_ms = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    eprintln!("page of 101: sqlx Any {sqlx_ms:.3} ms, store read path {store_ms:.3} ms");
    // A word search as the list builds it, through the store and bare.
    let search = format!(
        "SELECT {} FROM counterparties_fts f JOIN counterparties t ON t.id = f.rowid WHERE f.counterparties_fts MATCH $2 AND t.search LIKE $1 ESCAPE '\\' AND t.archived = 0 ORDER BY f.rowid DESC LIMIT 101",
        Counterparty::COLS.split(", ").map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", ")
    );
    let params = || {
        vec![
            kupets_store::queries::P::from("%гранит%"),
            kupets_store::queries::P::from("\"гранит\""),
        ]
    };
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(
            store
                .read_rows(search.clone(), params(), Counterparty::from_row)
                .await?,
        );
    }
    let store_search_ms = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    let conn = rusqlite::Connection::open(db)?;
    let t = Instant::now();
    for _ in 0..n {
        let mut st = conn.prepare_cached(&search)?;
        let rows: Vec<i64> = st
            .query_map(
                rusqlite::named_params! {"$1": "%гранит%", "$2": "\"гранит\""},
                |r| r.get(0),
            )?
            .collect::<Result<_, _>>()?;
        std::hint::black_box(rows);
    }
    let bare_search_ms = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    eprintln!("word search: store read path {store_search_ms:.3} ms, bare rusqlite {bare_search_ms:.3} ms");
    println!(
        "{}",
        json!({"scenario": "driver", "sqlx_any_page_ms": (sqlx_ms * 1000.0).round() / 1000.0, "store_read_page_ms": (store_ms * 1000.0).round() / 1000.0, "store_search_ms": (store_search_ms * 1000.0).round() / 1000.0, "bare_search_ms": (bare_search_ms * 1000.0).round() / 1000.0})
    );
    Ok(())
}

/// An admin actor and a small shop (warehouse, 10 products with stock, one
/// customer without a credit limit) in a fresh SQLite database.
async fn shop(db: &str) -> anyhow::Result<(App, kupets_app::Actor, i64, Vec<i64>, i64)> {
    use kupets_app::trade::{LineInput, TradeDocInput};
    let app = App::new(Store::open(db).await?);
    app.cli_add_user("bench", "Бенчмарк", "admin", "bench-password")
        .await
        .map_err(|e| anyhow::anyhow!(e.message(false)))?;
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
    let e = |e: kupets_app::AppError| anyhow::anyhow!(e.message(false));
    let wh = app
        .save_warehouse(
            &actor,
            None,
            &kupets_app::catalog::WarehouseInput {
                name: Some("Склад".into()),
                address: None,
            },
        )
        .await
        .map_err(e)?
        .id;
    let mut products = Vec::new();
    let retail: i64 = app
        .store
        .read_rows(
            "SELECT id AS n FROM price_types WHERE code = 'retail'".into(),
            vec![],
            |r| r.int("n"),
        )
        .await?[0];
    for i in 0..10 {
        let p = kupets_app::catalog::ProductInput {
            sku: Some(format!("P-{i}")),
            name: Some(format!("Товар {i}")),
            ..Default::default()
        };
        let id = app.save_product(&actor, None, &p).await.map_err(e)?.id;
        // Shipments are priced by the rules: a retail price of 100,50.
        app.add_price(
            &actor,
            id,
            &kupets_app::catalog::PriceInput {
                price_type_id: Some(retail.to_string()),
                effective_date: Some("2020-01-01".into()),
                price: Some("100.50".into()),
            },
        )
        .await
        .map_err(e)?;
        products.push(id);
    }
    let cp = app
        .create_counterparty(
            &actor,
            &kupets_app::counterparty::CounterpartyInput {
                name: Some("Покупатель".into()),
                ..Default::default()
            },
        )
        .await
        .map_err(e)?
        .id;
    let sup = app
        .create_counterparty(
            &actor,
            &kupets_app::counterparty::CounterpartyInput {
                name: Some("Поставщик".into()),
                kind: Some("supplier".into()),
                ..Default::default()
            },
        )
        .await
        .map_err(e)?
        .id;
    let lines = products
        .iter()
        .map(|p| LineInput {
            product_id: Some(p.to_string()),
            qty: Some("1000000".into()),
            price: Some("1".into()),
            ..Default::default()
        })
        .collect();
    let rc = app
        .create_trade_doc(
            &actor,
            kupets_domain::DocKind::Receipt,
            &TradeDocInput {
                counterparty_id: Some(sup.to_string()),
                warehouse_id: Some(wh.to_string()),
                lines,
                ..Default::default()
            },
        )
        .await
        .map_err(e)?;
    app.post_trade_doc(&actor, kupets_domain::DocKind::Receipt, rc.document.id)
        .await
        .map_err(e)?;
    Ok((app, actor, wh, products, cp))
}

fn shipment_input(wh: i64, products: &[i64], cp: i64) -> kupets_app::trade::TradeDocInput {
    use kupets_app::trade::{LineInput, TradeDocInput};
    let lines = products
        .iter()
        .map(|p| LineInput {
            product_id: Some(p.to_string()),
            qty: Some("1".into()),
            price: Some("100.50".into()),
            ..Default::default()
        })
        .collect();
    TradeDocInput {
        counterparty_id: Some(cp.to_string()),
        warehouse_id: Some(wh.to_string()),
        lines,
        ..Default::default()
    }
}

/// Posting shipments of 10 lines one at a time (SQLite, durable commits),
/// against a plain SQLite baseline writing the same rows in one transaction
/// per shipment; then 16 concurrent HTTP clients creating and posting.
///
/// Each figure is compared with a baseline run in the same minute: the
/// machines this runs on change speed by a third within minutes (disk and
/// processor alike), and a poster measured in a slow minute against a
/// baseline measured in a fast one said more about the minute than about
/// the code. So the run alternates, `KUPETS_BENCH_ROUNDS` times (3 by
/// default): the poster, then the baselines; later the 16 clients, then the
/// baseline again. Figures are medians over the rounds, ratios medians of
/// each round's own ratio; every round is printed too (`rounds`).
async fn posting() -> anyhow::Result<()> {
    use kupets_domain::DocKind;
    let db = temp_db("posting");
    let (app, actor, wh, products, cp) = shop(&db).await?;
    // The one poster is the in-process path of the command line's import
    // (writes in place, see `Store::write_in_place`); the HTTP figures
    // below are the server's path, the writer thread.
    app.store.write_in_place(true);
    let e = |e: kupets_app::AppError| anyhow::anyhow!(e.message(false));
    let n = env_count("KUPETS_BENCH_POSTS", 300)?;
    let rounds = env_count("KUPETS_BENCH_ROUNDS", 3)?.max(1);
    // Drafts first: the figure is for posting, one shipment per transaction.
    let mut drafts = Vec::new();
    for _ in 0..n * rounds {
        drafts.push(
            app.create_trade_doc(
                &actor,
                DocKind::Shipment,
                &shipment_input(wh, &products, cp),
            )
            .await
            .map_err(e)?
            .document
            .id,
        );
    }
    eprintln!("{} drafts created; posting them, {n} a round", n * rounds);
    // Baseline: the rows of a posted shipment by plain rusqlite, one
    // transaction per shipment — as this benchmark has always written it
    // (`baseline_per_s`, the yardstick: every statement parsed anew,
    // without the cost-of-goods and sales-analysis rows issue 13 added to
    // posting); and a stricter one (`strict_baseline_per_s`): every row a
    // posting writes, every statement from the statement cache.
    let (mut one, mut base, mut strict) = (Vec::new(), Vec::new(), Vec::new());
    for round in drafts.chunks(n) {
        let t = Instant::now();
        for id in round {
            app.post_trade_doc(&actor, DocKind::Shipment, *id)
                .await
                .map_err(e)?;
        }
        let per_s = n as f64 / t.elapsed().as_secs_f64();
        let (b, st) = (baseline(n, false).await?, baseline(n, true).await?);
        eprintln!(
            "app: {n} shipments of 10 lines posted, {per_s:.0}/s; baseline {b:.0}/s; strict baseline (all rows, statements cached) {st:.0}/s"
        );
        one.push(per_s);
        base.push(b);
        strict.push(st);
    }

    // 16 HTTP clients, each creating and posting shipments.
    let (server, _) = Server::start(&db).await?;
    let client = reqwest::Client::new();
    let token = api_login(&client, &server.base, "bench", "bench-password").await?;
    let body = json!({"counterparty_id": cp.to_string(), "warehouse_id": wh.to_string(), "lines": products.iter().map(|p| json!({"product_id": p.to_string(), "qty": "1", "price": "100.50"})).collect::<Vec<_>>()});
    // Create, then post (two requests, two commits per shipment, shared with
    // the other clients' by group commit); then each shipment created and
    // posted in one request (`?post=true`, one commit).
    // Each client warms up with 5 shipments, then posts 100 timed (in a
    // run of 20 each, the first ones' connection set-up and cold caches
    // were a large, varying part of a 0.2 s measurement).
    let per_client = env_count("KUPETS_BENCH_PER_CLIENT", 100)?;
    let (mut http, mut http_cpu, mut http_base) = (Vec::new(), Vec::new(), Vec::new());
    let (mut at_once, mut at_once_cpu) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (per_s, cpu) = http_shipments(&server, &token, &body, false, 5, per_client).await?;
        let b = baseline(n, false).await?;
        eprintln!("http, 16 clients, create then post: {per_s:.0} shipments/s (writer {cpu:?} µs each); baseline {b:.0}/s");
        let (per_s_once, cpu_once) =
            http_shipments(&server, &token, &body, true, 5, per_client).await?;
        eprintln!("http, 16 clients, created and posted at once: {per_s_once:.0} shipments/s (writer {cpu_once:?} µs each)");
        http.push(per_s);
        http_cpu.extend(cpu);
        http_base.push(b);
        at_once.push(per_s_once);
        at_once_cpu.extend(cpu_once);
    }
    drop(server);
    let ratios = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x / y).collect::<Vec<_>>();
    let r2 = |x: f64| (x * 100.0).round() / 100.0;
    let all_base: Vec<f64> = base.iter().chain(&http_base).copied().collect();
    let whole = |v: &[f64]| v.iter().map(|x| x.round()).collect::<Vec<_>>();
    let cpu_us = |v: &[f64]| (!v.is_empty()).then(|| median(v).round());
    println!(
        "{}",
        json!({
            "scenario": "posting",
            "rounds_run": rounds,
            "shipments_per_s": median(&one).round(),
            "baseline_per_s": median(&all_base).round(),
            "ratio": r2(median(&ratios(&one, &base))),
            "strict_baseline_per_s": median(&strict).round(),
            "strict_ratio": r2(median(&ratios(&one, &strict))),
            "http_shipments_per_s": median(&http).round(),
            "http_vs_baseline": r2(median(&ratios(&http, &http_base))),
            "http_posted_at_once_per_s": median(&at_once).round(),
            "http_writer_cpu_us": cpu_us(&http_cpu),
            "http_at_once_writer_cpu_us": cpu_us(&at_once_cpu),
            "rounds": {
                "shipments_per_s": whole(&one),
                "baseline_per_s": whole(&base),
                "strict_baseline_per_s": whole(&strict),
                "http_shipments_per_s": whole(&http),
                "http_baseline_per_s": whole(&http_base),
                "http_posted_at_once_per_s": whole(&at_once),
            }
        })
    );
    Ok(())
}

/// The median of some figures in any order ([`percentile`] 0.5: the upper
/// middle one of an even count).
fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    percentile(&s, 0.5)
}

/// Shipments of 10 lines written durably by plain rusqlite, one
/// transaction each, a second: the header (posted), its 10 lines, 10 stock
/// updates and moves, the ledger entry, the client's purchase day and kept
/// balance, the number and the audit row. `strict`: also every row posting
/// keeps for the cost of goods and the sales analysis (the lines' cost,
/// 10 product averages, 10 sales facts, the monthly totals' client row and
/// 10 product rows), and every statement from the statement cache.
async fn baseline(n: usize, strict: bool) -> anyhow::Result<f64> {
    let db = temp_db(if strict {
        "posting-baseline-strict"
    } else {
        "posting-baseline"
    });
    {
        let s = Store::open(&db).await?;
        s.close().await;
    }
    let mut conn = rusqlite::Connection::open(&db)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch("INSERT INTO employees (id, login, name, password_hash, role, created_at) VALUES (1, 'b', 'b', 'x', 'admin', 'now'); INSERT INTO warehouses (id, name) VALUES (1, 'w'); INSERT INTO counterparties (id, name, kind, search, created_at) VALUES (1, 'c', 'customer', 'c', 'now');")?;
    for i in 1..=10 {
        conn.execute("INSERT INTO products (id, sku, name, unit, vat_rate, search, created_at) VALUES (?1, ?2, 'p', 'шт', '22', 'p', 'now')", rusqlite::params![i, format!("P{i}")])?;
        conn.execute(
            "INSERT INTO stock (warehouse_id, product_id, qty) VALUES (1, ?1, 1000000000)",
            [i],
        )?;
        conn.execute(
            "INSERT INTO product_costs (product_id, qty, value, unit_cost) VALUES (?1, 1000000000, 5000000000, 5000)",
            [i],
        )?;
    }
    // A row of the monthly totals added to: dim, counterparty, manager,
    // product, qty, revenue, revenue net, cost, facts.
    const MONTHS: &str = "INSERT INTO sales_months (dim, month, counterparty_id, manager_id, department_id, product_id, group_id, qty, revenue, revenue_net, cost, facts, shipments) \
        VALUES (?1, '2026-03', ?2, ?3, 0, ?4, 0, ?5, ?6, ?7, ?8, ?9, 1) ON CONFLICT (dim, month, counterparty_id, manager_id, department_id, product_id, group_id) \
        DO UPDATE SET qty = qty + excluded.qty, revenue = revenue + excluded.revenue, revenue_net = revenue_net + excluded.revenue_net, \
        cost = cost + excluded.cost, facts = facts + excluded.facts, shipments = shipments + excluded.shipments";
    // Strict: every statement from the connection's cache, as the app's
    // are (parsed once, not per shipment).
    let ex = |tx: &rusqlite::Transaction, sql: &str, p: &[&dyn rusqlite::ToSql]| {
        if strict {
            tx.prepare_cached(sql).and_then(|mut st| st.execute(p))
        } else {
            tx.execute(sql, p)
        }
    };
    let t = Instant::now();
    for k in 0..n {
        let tx = conn.transaction()?;
        ex(&tx, "INSERT INTO doc_counters (kind, year, last) VALUES ('shipment', 2026, 1) ON CONFLICT (kind, year) DO UPDATE SET last = last + 1", rusqlite::params![])?;
        ex(&tx, "INSERT INTO documents (kind, year, seq, number, doc_date, state, author_id, responsible_id, counterparty_id, warehouse_id, amount, created_at) VALUES ('shipment', 2026, ?1, ?2, '2026-03-01', 'posted', 1, 1, 1, 1, 100500, 'now')", rusqlite::params![k, format!("N{k}")])?;
        let doc = tx.last_insert_rowid();
        for i in 1..=10 {
            let line = if strict {
                "INSERT INTO document_lines (document_id, line_no, product_id, qty, price, amount, vat_rate, vat, cost, cost_amount) VALUES (?1, ?2, ?2, 1000, 10050, 10050, '22', 1812, 5000, 5000)"
            } else {
                "INSERT INTO document_lines (document_id, line_no, product_id, qty, price, amount, vat_rate, vat) VALUES (?1, ?2, ?2, 1000, 10050, 10050, '22', 1812)"
            };
            ex(&tx, line, rusqlite::params![doc, i])?;
            let line = tx.last_insert_rowid();
            ex(
                &tx,
                "UPDATE stock SET qty = qty - 1000 WHERE warehouse_id = 1 AND product_id = ?1",
                rusqlite::params![i],
            )?;
            ex(&tx, "INSERT INTO stock_moves (document_id, warehouse_id, product_id, move_date, qty, created_at) VALUES (?1, 1, ?2, '2026-03-01', -1000, 'now')", rusqlite::params![doc, i])?;
            if strict {
                ex(&tx, "UPDATE product_costs SET qty = qty - 1000, value = value - 5000 WHERE product_id = ?1", rusqlite::params![i])?;
                ex(&tx, "INSERT INTO sales_facts (document_id, line_id, doc_date, month, counterparty_id, product_id, group_id, manager_id, department_id, qty, revenue, revenue_net, cost, purchase) VALUES (?1, ?2, '2026-03-01', '2026-03', 1, ?3, NULL, 1, NULL, 1000, 10050, 8238, 5000, 1)", rusqlite::params![doc, line, i])?;
                ex(
                    &tx,
                    MONTHS,
                    rusqlite::params!["product", 0, 0, i, 1000, 10050, 8238, 5000, 1],
                )?;
            }
        }
        if strict {
            ex(
                &tx,
                MONTHS,
                rusqlite::params!["client", 1, 1, 0, 10000, 100500, 82380, 50000, 10],
            )?;
        }
        ex(&tx, "INSERT INTO settlement_entries (counterparty_id, document_id, entry_date, amount, created_at) VALUES (1, ?1, '2026-03-01', 100500, 'now')", rusqlite::params![doc])?;
        ex(&tx, "INSERT INTO purchase_days (counterparty_id, day, amount) VALUES (1, '2026-03-01', 100500) ON CONFLICT (counterparty_id, day) DO UPDATE SET amount = amount + excluded.amount", rusqlite::params![])?;
        ex(&tx, "INSERT INTO settlement_balances (counterparty_id, balance) VALUES (1, 100500) ON CONFLICT (counterparty_id) DO UPDATE SET balance = balance + excluded.balance", rusqlite::params![])?;
        ex(&tx, "INSERT INTO audit_log (at, employee_id, action, entity, entity_id) VALUES ('now', 1, 'post', 'shipment', ?1)", rusqlite::params![doc])?;
        tx.commit()?;
    }
    Ok(n as f64 / t.elapsed().as_secs_f64())
}

/// 16 HTTP clients posting shipments: `warm` each first, not counted
/// (connections opened, statements prepared, pages read in, as `cycle`
/// warms up), then `per_client` each, timed. Shipments per second, and the
/// server's writer thread's processor time per shipment in µs (Linux).
async fn http_shipments(
    server: &Server,
    token: &str,
    body: &serde_json::Value,
    at_once: bool,
    warm: usize,
    per_client: usize,
) -> anyhow::Result<(f64, Option<f64>)> {
    let client = reqwest::Client::new();
    clients_posting(&client, &server.base, token, body, at_once, warm).await?;
    let cpu0 = server.writer_cpu();
    let t = Instant::now();
    clients_posting(&client, &server.base, token, body, at_once, per_client).await?;
    let per_s = (16 * per_client) as f64 / t.elapsed().as_secs_f64();
    let cpu = cpu0
        .zip(server.writer_cpu())
        .map(|(a, b)| (b.saturating_sub(a).as_secs_f64() * 1e6 / (16 * per_client) as f64).round());
    Ok((per_s, cpu))
}

/// 16 clients at once, each creating and posting `each` shipments.
///
/// The clients share the machine's two cores with the server, so they do
/// no more than a client must: the body is serialized once, and of a
/// created draft's answer only its `id` is decoded (the rest of the
/// document is skipped as it is read, not built into a JSON tree: that
/// tree was a third of the clients' processor time). The server's work is
/// the same either way.
async fn clients_posting(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: &serde_json::Value,
    at_once: bool,
    each: usize,
) -> anyhow::Result<()> {
    #[derive(serde::Deserialize)]
    struct Created {
        id: String,
    }
    let body = serde_json::to_vec(body)?;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (client, token, base, body) = (
            client.clone(),
            token.to_string(),
            base.to_string(),
            body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for _ in 0..each {
                let q = if at_once { "?post=true" } else { "" };
                let r = client
                    .post(format!("{base}/api/v1/shipments{q}"))
                    .bearer_auth(&token)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
                    .send()
                    .await?;
                if !r.status().is_success() {
                    bail!("create failed: {}", r.status());
                }
                if at_once {
                    // Read to its end, so the connection is kept.
                    r.bytes().await?;
                    continue;
                }
                let id = serde_json::from_slice::<Created>(r.bytes().await?.as_ref())?.id;
                let p = client
                    .post(format!("{base}/api/v1/shipments/{id}/post"))
                    .bearer_auth(&token)
                    .send()
                    .await?;
                if !p.status().is_success() {
                    bail!("post failed: {}", p.status());
                }
                p.bytes().await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

/// Reports on 1 000 000 ledger entries spread over `cps` counterparties
/// (10 000 by default; `reports 1000` gives 1 000 entries each).
async fn reports(cps: i64) -> anyhow::Result<()> {
    let db = temp_db("reports");
    let (app, actor, _, _, _) = shop(&db).await?;
    let entries = 1_000_000i64;
    {
        // Bulk load through rusqlite: documents and entries as posting leaves them.
        let mut conn = rusqlite::Connection::open(&db)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "OFF")?;
        let tx = conn.transaction()?;
        let first_cp: i64 = tx.query_row(
            "SELECT COALESCE(MAX(id), 0) + 1 FROM counterparties",
            [],
            |r| r.get(0),
        )?;
        for i in 0..cps {
            tx.execute("INSERT INTO counterparties (id, name, kind, search, created_at) VALUES (?1, ?2, 'customer', ?3, 'now')", rusqlite::params![first_cp + i, format!("Клиент {i:05}"), format!("клиент {i:05}")])?;
        }
        let mut state: u64 = 7;
        let mut rnd = |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        for k in 0..entries {
            let cp = first_cp + (rnd(cps as u64) as i64);
            let day = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
                + chrono::Duration::days(rnd(700) as i64);
            let (kind, amount) = if k % 3 == 2 {
                ("payment_in", -(1 + rnd(50_000) as i64) * 100)
            } else {
                ("shipment", (1 + rnd(30_000) as i64) * 100)
            };
            tx.execute("INSERT INTO documents (kind, year, seq, number, doc_date, state, author_id, responsible_id, counterparty_id, amount, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 'posted', 1, 1, ?6, ?7, 'now')",
                rusqlite::params![kind, day.year(), k, format!("B-{k}"), day.to_string(), cp, amount.abs()])?;
            let doc = tx.last_insert_rowid();
            tx.execute("INSERT INTO settlement_entries (counterparty_id, document_id, entry_date, amount, created_at) VALUES (?1, ?2, ?3, ?4, 'now')", rusqlite::params![cp, doc, day.to_string(), amount])?;
            if k % 200_000 == 199_999 {
                eprintln!("entries: {}/{entries}", k + 1);
            }
        }
        tx.commit()?;
        conn.execute_batch("ANALYZE")?;
    }
    let one: i64 = app
        .store
        .read_rows(
            "SELECT MIN(id) AS n FROM counterparties WHERE name LIKE 'Клиент%'".into(),
            vec![],
            |r| r.int("n"),
        )
        .await?[0];
    let time = |f: std::time::Duration| (f.as_secs_f64() * 100_000.0).round() / 100.0;
    let t = Instant::now();
    for _ in 0..100 {
        std::hint::black_box(
            app.balance_on(one, "2026-06-30")
                .await
                .map_err(|e| anyhow::anyhow!(e.message(false)))?,
        );
    }
    let balance_ms = time(t.elapsed() / 100);
    let from = chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let t = Instant::now();
    for _ in 0..20 {
        std::hint::black_box(
            app.reconciliation(&actor, one, from, to)
                .await
                .map_err(|e| anyhow::anyhow!(e.message(false)))?,
        );
    }
    let reconciliation_ms = time(t.elapsed() / 20);
    let t = Instant::now();
    let b = app
        .balances_report(&actor, to)
        .await
        .map_err(|e| anyhow::anyhow!(e.message(false)))?;
    let balances_all_ms = time(t.elapsed());
    let t = Instant::now();
    let g = app
        .aging_report(&actor, to)
        .await
        .map_err(|e| anyhow::anyhow!(e.message(false)))?;
    let aging_all_ms = time(t.elapsed());
    eprintln!(
        "balances of {} counterparties, aging of {}",
        b.rows.len(),
        g.rows.len()
    );
    println!(
        "{}",
        json!({"scenario": "reports", "counterparties": cps, "entries": entries, "balance_ms": balance_ms, "reconciliation_ms": reconciliation_ms, "balances_all_ms": balances_all_ms, "aging_all_ms": aging_all_ms})
    );
    Ok(())
}

/// Quotes of 20 lines against 10 000 counterparties, 10 000 discount rules
/// and 100 000 posted shipments (SQLite, in process).
async fn pricing() -> anyhow::Result<()> {
    use kupets_app::pricing::{QuoteInput, QuoteLineInput};
    let db = temp_db("pricing");
    let (app, actor, _, _, _) = shop(&db).await?;
    let (cps, products, groups, shipments) = (10_000i64, 2_000i64, 60i64, 100_000i64);
    let (first_cp, first_product) = {
        // Bulk load through rusqlite, as posting would leave the tables:
        // documents with a line each and the per-day purchase totals.
        let mut conn = rusqlite::Connection::open(&db)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "OFF")?;
        let tx = conn.transaction()?;
        let mut state: u64 = 11;
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
        let retail: i64 = tx.query_row(
            "SELECT id FROM price_types WHERE code = 'retail'",
            [],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO price_types (code, name) VALUES ('wholesale', 'Оптовая')",
            [],
        )?;
        let wholesale = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO price_types (code, name) VALUES ('dealer', 'Дилерская')",
            [],
        )?;
        let dealer = tx.last_insert_rowid();
        // 10 top groups with 5 subgroups each.
        let first_group = next(&tx, "product_groups")?;
        for g in 0..groups {
            let parent = if g < 10 {
                None
            } else {
                Some(first_group + g % 10)
            };
            tx.execute(
                "INSERT INTO product_groups (id, parent_id, name) VALUES (?1, ?2, ?3)",
                rusqlite::params![first_group + g, parent, format!("Группа {g}")],
            )?;
        }
        let first_product = next(&tx, "products")?;
        for p in 0..products {
            let id = first_product + p;
            tx.execute("INSERT INTO products (id, sku, name, unit, vat_rate, group_id, search, created_at) VALUES (?1, ?2, ?3, 'шт', '22', ?4, ?3, 'now')",
                rusqlite::params![id, format!("B-{p}"), format!("Товар {p}"), first_group + 10 + p % 50])?;
            let price = (100 + rnd(100_000) as i64) * 100;
            // Three price changes of retail over the years, one of each other type.
            for (k, date) in ["2024-01-01", "2025-01-01", "2026-01-01"]
                .iter()
                .enumerate()
            {
                tx.execute("INSERT INTO prices (product_id, price_type_id, effective_date, price, created_at) VALUES (?1, ?2, ?3, ?4, 'now')", rusqlite::params![id, retail, date, price + k as i64 * 1000])?;
            }
            tx.execute("INSERT INTO prices (product_id, price_type_id, effective_date, price, created_at) VALUES (?1, ?2, '2026-01-01', ?3, 'now')", rusqlite::params![id, wholesale, price * 9 / 10])?;
            tx.execute("INSERT INTO prices (product_id, price_type_id, effective_date, price, created_at) VALUES (?1, ?2, '2026-01-01', ?3, 'now')", rusqlite::params![id, dealer, price * 85 / 100])?;
        }
        let first_cp = next(&tx, "counterparties")?;
        for i in 0..cps {
            let pt = match i % 3 {
                0 => None,
                1 => Some(wholesale),
                _ => Some(dealer),
            };
            tx.execute("INSERT INTO counterparties (id, name, kind, price_type_id, search, created_at) VALUES (?1, ?2, 'customer', ?3, ?4, 'now')",
                rusqlite::params![first_cp + i, format!("Клиент {i:05}"), pt, format!("клиент {i:05}")])?;
        }
        // 10 000 rules: 9 970 personal, 5 cumulative, 5 volume, 20 promotions.
        for i in 0..9_970i64 {
            let group = if i % 10 == 0 {
                None
            } else {
                Some(first_group + rnd(groups as u64) as i64)
            };
            tx.execute("INSERT INTO personal_discounts (counterparty_id, group_id, pct, created_at) VALUES (?1, ?2, ?3, 'now')",
                rusqlite::params![first_cp + rnd(cps as u64) as i64, group, 100 + rnd(1000) as i64])?;
        }
        // 20 cumulative scales and 20 volume sets (the first of each the
        // default), 5 rules on each; 1 000 clients spread over them, the rest
        // on the defaults.
        let mut scales = Vec::new();
        for k in 0..20i64 {
            let ids: Vec<i64> = ["cumulative", "volume"]
                .iter()
                .map(|kind| -> rusqlite::Result<i64> {
                    if k == 0 {
                        tx.query_row(
                            "SELECT MIN(id) FROM discount_scales WHERE kind = ?1",
                            [kind],
                            |r| r.get(0),
                        )
                    } else {
                        tx.execute("INSERT INTO discount_scales (kind, name, created_at) VALUES (?1, ?2, 'now')", rusqlite::params![kind, format!("Шкала {k}")])?;
                        Ok(tx.last_insert_rowid())
                    }
                })
                .collect::<rusqlite::Result<_>>()?;
            for (amount, pct) in [
                (10_000_000i64, 200i64),
                (50_000_000, 300),
                (100_000_000, 500),
                (300_000_000, 700),
                (1_000_000_000, 1000),
            ] {
                tx.execute("INSERT INTO cumulative_thresholds (scale_id, amount, pct, created_at) VALUES (?1, ?2, ?3, 'now')", rusqlite::params![ids[0], amount + k * 100_000, pct + k * 10])?;
            }
            for (days, amount, pct) in [
                (30i64, 5_000_000i64, 300i64),
                (60, 10_000_000, 400),
                (90, 20_000_000, 500),
                (180, 40_000_000, 600),
                (365, 80_000_000, 800),
            ] {
                tx.execute("INSERT INTO volume_rules (scale_id, days, amount, pct, created_at) VALUES (?1, ?2, ?3, ?4, 'now')", rusqlite::params![ids[1], days, amount + k * 100_000, pct + k * 10])?;
            }
            scales.push(ids);
        }
        for i in 0..1_000i64 {
            let s = &scales[(i % 20) as usize];
            tx.execute("UPDATE counterparties SET cumulative_scale_id = ?1, volume_scale_id = ?2 WHERE id = ?3", rusqlite::params![s[0], s[1], first_cp + i * 10])?;
        }
        for k in 0..20i64 {
            let from = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
                + chrono::Duration::days(k * 15);
            let to = from + chrono::Duration::days(30);
            let (scope, group, product) = match k % 3 {
                0 => ("all", None, None),
                1 => ("group", Some(first_group + k % groups), None),
                _ => ("product", None, Some(first_product + k)),
            };
            tx.execute("INSERT INTO promotions (name, date_from, date_to, scope, group_id, product_id, pct, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'now')",
                rusqlite::params![format!("Акция {k}"), from.to_string(), to.to_string(), scope, group, product, 300 + k * 20])?;
            if k % 4 == 0 {
                let promo = tx.last_insert_rowid();
                tx.execute("INSERT INTO promotion_price_types (promotion_id, price_type_id) VALUES (?1, ?2)", rusqlite::params![promo, wholesale])?;
            }
        }
        // 100 000 posted shipments over two years.
        for k in 0..shipments {
            let cp = first_cp + rnd(cps as u64) as i64;
            let day = chrono::NaiveDate::from_ymd_opt(2024, 7, 1).unwrap()
                + chrono::Duration::days(rnd(730) as i64);
            let amount = (1 + rnd(50_000) as i64) * 100;
            tx.execute("INSERT INTO documents (kind, year, seq, number, doc_date, state, author_id, responsible_id, counterparty_id, warehouse_id, amount, created_at) VALUES ('shipment', ?1, ?2, ?3, ?4, 'posted', 1, 1, ?5, 1, ?6, 'now')",
                rusqlite::params![day.year(), k + 1_000_000, format!("P-{k}"), day.to_string(), cp, amount])?;
            let doc = tx.last_insert_rowid();
            tx.execute("INSERT INTO document_lines (document_id, line_no, product_id, qty, price, amount, vat_rate, vat) VALUES (?1, 1, ?2, 1000, ?3, ?3, '22', 0)",
                rusqlite::params![doc, first_product + rnd(products as u64) as i64, amount])?;
            tx.execute("INSERT INTO settlement_entries (counterparty_id, document_id, entry_date, amount, created_at) VALUES (?1, ?2, ?3, ?4, 'now')", rusqlite::params![cp, doc, day.to_string(), amount])?;
            tx.execute("INSERT INTO purchase_days (counterparty_id, day, amount) VALUES (?1, ?2, ?3) ON CONFLICT (counterparty_id, day) DO UPDATE SET amount = amount + excluded.amount",
                rusqlite::params![cp, day.to_string(), amount])?;
            if k % 20_000 == 19_999 {
                eprintln!("shipments: {}/{shipments}", k + 1);
            }
        }
        tx.commit()?;
        (first_cp, first_product)
    };
    app.store.analyze().await?;
    let mut state: u64 = 5;
    let mut rnd = |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let mut times = Vec::new();
    // Which rule won how often: proof that the quotes meet real rules.
    let mut won: std::collections::BTreeMap<String, usize> = Default::default();
    let n = 1000;
    for i in 0..n + 50 {
        // Every other quote for a client given its own scales.
        let cp = if i % 2 == 0 {
            first_cp + rnd(1_000) as i64 * 10
        } else {
            first_cp + rnd(cps as u64) as i64
        };
        let input = QuoteInput {
            counterparty_id: Some(cp.to_string()),
            date: Some("2026-06-20".into()),
            author_id: None,
            lines: (0..20)
                .map(|_| QuoteLineInput {
                    product_id: Some((first_product + rnd(products as u64) as i64).to_string()),
                    qty: Some((1 + rnd(10)).to_string()),
                    special_discount: None,
                })
                .collect(),
        };
        let t = Instant::now();
        let q = app
            .price_quote(&actor, &input)
            .await
            .map_err(|e| anyhow::anyhow!(e.message(false)))?;
        let el = t.elapsed();
        for l in &q.lines {
            if let Some(r) = &l.rule {
                *won.entry(r.kind.clone()).or_insert(0) += 1;
            } else {
                *won.entry("none".into()).or_insert(0) += 1;
            }
        }
        // The first 50 warm the caches.
        if i >= 50 {
            times.push(el.as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        (times[((times.len() as f64 * p) as usize).min(times.len() - 1)] * 100.0).round() / 100.0
    };
    eprintln!("{n} quotes of 20 lines; winning rules: {won:?}");
    println!(
        "{}",
        json!({"scenario": "pricing", "counterparties": cps, "rules": 10_170, "scales": 40, "clients_on_scales": 1_000, "shipments": shipments, "quote_20_lines_p50_ms": pct(0.5), "quote_20_lines_p99_ms": pct(0.99)})
    );
    Ok(())
}

/// The trace card and a recall by component lot over 1 000 000 units with
/// 5 components each (SQLite, in process).
async fn serials() -> anyhow::Result<()> {
    use kupets_app::serial::RecallCriteria;
    let db = temp_db("serials");
    let (app, actor, wh, _, cp) = shop(&db).await?;
    let units = 1_000_000i64;
    let per_lot = 1_000i64;
    let (first_unit, comp_products) = {
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
        let first_product = next(&tx, "products")?;
        tx.execute("INSERT INTO products (id, sku, name, unit, vat_rate, serial_tracked, warranty_months, search, created_at) VALUES (?1, 'PUMP', 'Насос', 'шт', '22', 1, 24, 'насос', 'now')", [first_product])?;
        let mut comps = Vec::new();
        for k in 1..=5i64 {
            tx.execute("INSERT INTO products (id, sku, name, unit, vat_rate, search, created_at) VALUES (?1, ?2, ?3, 'шт', '22', ?3, 'now')",
                rusqlite::params![first_product + k, format!("C{k}"), format!("Компонент {k}")])?;
            comps.push(first_product + k);
        }
        let doc = next(&tx, "documents")?;
        tx.execute("INSERT INTO documents (id, kind, year, seq, number, doc_date, state, author_id, responsible_id, warehouse_id, counterparty_id, amount, created_at) VALUES (?1, 'shipment', 2025, 1, 'SH-1', '2025-06-01', 'posted', 1, 1, ?2, ?3, 0, 'now')",
            rusqlite::params![doc, wh, cp])?;
        let first_unit = next(&tx, "units")?;
        let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        {
            let mut iu = tx.prepare("INSERT INTO units (id, product_id, serial, batch, production_date, state, warehouse_id, counterparty_id, shipment_id, shipped_date, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'now')")?;
            let mut ic = tx.prepare("INSERT INTO unit_components (unit_id, product_id, lot, qty) VALUES (?1, ?2, ?3, 1000)")?;
            let mut im = tx.prepare("INSERT INTO unit_moves (unit_id, document_id, kind, move_date, counterparty_id, warehouse_id, note, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, '', 'now')")?;
            for i in 0..units {
                let id = first_unit + i;
                let day = start + chrono::Duration::days(i * 700 / units);
                let shipped = i % 2 == 0;
                iu.execute(rusqlite::params![
                    id,
                    first_product,
                    format!("SN-{i:08}"),
                    format!("B{}", day.format("%y%m")),
                    day.to_string(),
                    if shipped { "customer" } else { "stock" },
                    if shipped { None } else { Some(wh) },
                    if shipped { Some(cp) } else { None },
                    if shipped { Some(doc) } else { None },
                    if shipped {
                        Some((day + chrono::Duration::days(20)).to_string())
                    } else {
                        None
                    }
                ])?;
                for (k, c) in comps.iter().enumerate() {
                    // Lots of 1 000 units, staggered per component.
                    ic.execute(rusqlite::params![
                        id,
                        c,
                        format!("L{}-{}", k + 1, (i + k as i64 * 333) / per_lot)
                    ])?;
                }
                im.execute(rusqlite::params![
                    id,
                    Option::<i64>::None,
                    "produced",
                    day.to_string(),
                    Option::<i64>::None,
                    Some(wh)
                ])?;
                if shipped {
                    im.execute(rusqlite::params![
                        id,
                        Some(doc),
                        "shipped",
                        (day + chrono::Duration::days(20)).to_string(),
                        Some(cp),
                        Option::<i64>::None
                    ])?;
                }
                if i % 200_000 == 199_999 {
                    eprintln!("units: {}/{units}", i + 1);
                }
            }
        }
        tx.commit()?;
        (first_unit, comps)
    };
    app.store.analyze().await?;
    let e = |e: kupets_app::AppError| anyhow::anyhow!(e.message(false));
    let mut state: u64 = 17;
    let mut rnd = |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let mut tt = Vec::new();
    for i in 0..110 {
        let u = first_unit + rnd(units as u64) as i64;
        let t = Instant::now();
        let card = app.trace(&actor, u).await.map_err(e)?;
        if i >= 10 {
            tt.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        anyhow::ensure!(card.components.len() == 5, "five components");
    }
    tt.sort_by(|a, b| a.total_cmp(b));
    let mut rt = Vec::new();
    let mut found = 0;
    for i in 0..25 {
        let k = rnd(5) as usize;
        let lot = format!("L{}-{}", k + 1, 1 + rnd((units / per_lot - 2) as u64));
        let crit = RecallCriteria {
            component_lot: Some(lot),
            component_product_id: Some(comp_products[k].to_string()),
            ..Default::default()
        };
        let t = Instant::now();
        let hits = app.recall_search(&actor, &crit).await.map_err(e)?;
        if i >= 5 {
            rt.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        found = hits.len();
    }
    rt.sort_by(|a, b| a.total_cmp(b));
    eprintln!("a lot covers {found} units");
    let med = |v: &[f64]| (v[v.len() / 2] * 100.0).round() / 100.0;
    println!(
        "{}",
        json!({"scenario": "serials", "units": units, "components_per_unit": 5, "trace_ms": med(&tt), "trace_max_ms": (tt[tt.len() - 1] * 100.0).round() / 100.0, "recall_by_component_lot_ms": med(&rt), "recall_units_found": found})
    );
    Ok(())
}
