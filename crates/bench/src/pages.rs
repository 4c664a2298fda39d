//! `pages`: every page a role's menus lead to, for every demo role, on the
//! demo company (target: each < 300 ms). The server runs in its own process
//! on a fresh demo database; each role logs in through the login form as a
//! browser does, then each page is fetched 5 times (the first counts as a
//! warm-up). Reported: per page the median, the slowest page's median
//! (`slowest_page_ms`) and the median over all pages (`median_page_ms`).

use kupets_app::App;
use kupets_store::Store;
use serde_json::json;
use std::time::Instant;

/// One login per role of the demo company.
const ROLES: &[(&str, &str)] = &[
    ("admin", "admin"),
    ("petrov", "demo"),
    ("ivanova", "demo"),
    ("volkova", "demo"),
    ("morozov", "demo"),
    ("lebedev", "demo"),
];

fn cookie_of(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").to_string())
        .find(|c| c.starts_with(&format!("{name}=")))
}

pub async fn run() -> anyhow::Result<()> {
    let db = crate::temp_db("pages");
    {
        let store = Store::open(&db).await?;
        let app = App::new(store);
        app.load_demo()
            .await
            .map_err(|e| anyhow::anyhow!(e.message(false)))?;
    }
    // «Подбор цены» with a quote: the worked example's client and drill.
    let quote = {
        let c = rusqlite::Connection::open(&db)?;
        let cp: i64 = c.query_row(
            "SELECT id FROM counterparties WHERE name LIKE '%Строй%' ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )?;
        let drill: i64 = c.query_row("SELECT id FROM products WHERE sku = 'DR-1'", [], |r| {
            r.get(0)
        })?;
        format!("/pricing/try?counterparty_id={cp}&l0_product={drill}&l0_qty=3")
    };
    let (server, _) = crate::Server::start(&db).await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut all: Vec<(String, String, f64)> = Vec::new();
    for (login, password) in ROLES {
        let page = client.get(format!("{}/login", server.base)).send().await?;
        let login_cookie = cookie_of(&page, "kupets_login_csrf").unwrap_or_default();
        let token = login_cookie.split('=').nth(1).unwrap_or("").to_string();
        let r = client
            .post(format!("{}/login", server.base))
            .header("cookie", &login_cookie)
            .form(&[
                ("login", *login),
                ("password", *password),
                ("next", "/"),
                ("login_csrf", token.as_str()),
            ])
            .send()
            .await?;
        let session = cookie_of(&r, "kupets_session")
            .ok_or_else(|| anyhow::anyhow!("{login}: no session ({})", r.status()))?;
        let me: serde_json::Value = client
            .get(format!("{}/api/v1/me", server.base))
            .header("cookie", &session)
            .send()
            .await?
            .json()
            .await?;
        let role = me["role"]
            .as_str()
            .and_then(kupets_domain::Role::parse)
            .ok_or_else(|| anyhow::anyhow!("{login}: no role"))?;
        let mut pages: Vec<String> = kupets_web::ui::layout::menu_pages(role)
            .into_iter()
            .map(String::from)
            .collect();
        if kupets_web::ui::layout::may_see(role, "/pricing") {
            pages.push(quote.clone());
        }
        for href in &pages {
            let mut times = Vec::new();
            for run in 0..5 {
                let t = Instant::now();
                let r = client
                    .get(format!("{}{href}", server.base))
                    .header("cookie", &session)
                    .send()
                    .await?;
                let status = r.status();
                let _ = r.bytes().await?;
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                if !(status.is_success() || status.is_redirection()) {
                    anyhow::bail!("{login} {href}: {status}");
                }
                if run > 0 {
                    times.push(ms);
                }
            }
            times.sort_by(|a, b| a.total_cmp(b));
            let med = crate::percentile(&times, 0.5);
            eprintln!("{login:<10} {href:<28} {med:7.1} ms");
            all.push((login.to_string(), href.clone(), med));
        }
    }
    drop(server);
    all.sort_by(|a, b| a.2.total_cmp(&b.2));
    let slowest = all.last().cloned().unwrap_or_default();
    let meds: Vec<f64> = all.iter().map(|x| x.2).collect();
    let median = crate::percentile(&meds, 0.5);
    println!(
        "{}",
        json!({
            "pages": all.len(),
            "slowest_page_ms": (slowest.2 * 10.0).round() / 10.0,
            "slowest_page": format!("{} {}", slowest.0, slowest.1),
            "median_page_ms": (median * 10.0).round() / 10.0,
        })
    );
    Ok(())
}
