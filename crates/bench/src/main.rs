//! Benchmark programs, run on purpose (never as timed tests):
//! `cargo run --release -p bench -- NAME`. Each prints progress to stderr and
//! its figures as JSON on the last line of stdout.

use anyhow::{bail, Context};
use kupets_app::App;
use kupets_store::queries::{insert, P};
use kupets_store::Store;
use serde_json::json;
use std::time::{Duration, Instant};

// Same allocator as the `kupets` binary: this process also serves (`__serve`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        // The server under test runs in its own process, so its start time
        // and memory are its own.
        Some("__serve") => kupets_cli::serve(&args[2], args[3].parse()?, false).await,
        Some("foundation") => foundation().await,
        Some("driver") if args.len() > 2 => driver(&args[2]).await,
        _ => {
            eprintln!("usage: bench foundation | bench driver DB");
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

impl Server {
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
        let mut tx = store.begin().await?;
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
    sqlx::query("ANALYZE").execute(store.reader()).await?;
    eprintln!(
        "loaded {N} counterparties in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // 3. 16 concurrent clients list pages of 100 with a search filter.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(32)
        .build()?;
    let login: serde_json::Value = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"login": "bench", "password": "bench-password"}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().context("token")?.to_string();
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
    let per_client = 200;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, token, base, queries) = (
            client.clone(),
            token.clone(),
            server.base.clone(),
            queries.clone(),
        );
        tasks.push(tokio::spawn(async move {
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
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
                std::hint::black_box(body);
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut lat = Vec::new();
    for task in tasks {
        lat.extend(task.await??);
    }
    let wall = t.elapsed().as_secs_f64();
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
