//! Test support: a fresh database of either engine per test, the whole app in
//! process (requests go through `Router::oneshot`, no sockets), and helpers
//! that speak the API the way a client does.
//!
//! PostgreSQL comes from `KUPETS_TEST_PG` (default
//! `postgres://postgres@127.0.0.1:5432/test`); each test gets its own schema.
//! When it cannot be reached the PostgreSQL half of a scenario is skipped with
//! a message — unless `CI` or `KUPETS_REQUIRE_PG` is set, then it fails.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use kupets_app::App;
use kupets_store::Store;
use serde_json::Value;
use tower::ServiceExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub fn pg_url() -> String {
    std::env::var("KUPETS_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn pg_required() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
        || std::env::var("KUPETS_REQUIRE_PG").is_ok()
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// Whether the process that made a `prefix_PID_xxx` name is gone.
fn owner_gone(name: &str) -> bool {
    let pid = name
        .split('_')
        .rev()
        .nth(1)
        .and_then(|p| p.parse::<u32>().ok());
    matches!(pid, Some(pid) if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists())
}

/// Test databases live as long as their test process; the next run removes
/// those whose process has ended (a test cannot clean up in an async drop).
fn sweep_sqlite_files() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(dir) = std::fs::read_dir(std::env::temp_dir()) {
            for e in dir.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if let Some(stem) = name
                    .strip_prefix("kupets_test_")
                    .map(|s| s.split('.').next().unwrap_or(""))
                {
                    if owner_gone(&format!("x_{stem}")) {
                        let _ = std::fs::remove_file(e.path());
                    }
                }
            }
        }
    });
}

async fn sweep_pg_schemas(conn: &mut sqlx::AnyConnection) {
    static ONCE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    ONCE.get_or_init(|| async {
        let names: Vec<String> =
            sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 't\\_%'")
                .fetch_all(&mut *conn)
                .await
                .unwrap_or_default();
        for n in names.into_iter().filter(|n| owner_gone(n)) {
            let _ = sqlx::query(&format!("DROP SCHEMA \"{n}\" CASCADE"))
                .execute(&mut *conn)
                .await;
        }
    })
    .await;
}

/// A fresh, migrated store; `None` when PostgreSQL is optional and absent.
pub async fn fresh_store(engine: Engine) -> Option<Store> {
    match engine {
        Engine::Sqlite => {
            sweep_sqlite_files();
            let path = std::env::temp_dir().join(format!("{}.db", unique("kupets_test")));
            Some(
                Store::open(path.to_str().expect("utf-8 temp path"))
                    .await
                    .expect("open sqlite"),
            )
        }
        Engine::Postgres => {
            let url = pg_url();
            let mut conn = match kupets_store::raw_connect(&url).await {
                Ok(c) => c,
                Err(e) if !pg_required() => {
                    eprintln!("PostgreSQL at {url} unreachable ({e}): PostgreSQL half skipped (set CI or KUPETS_REQUIRE_PG to make this a failure)");
                    return None;
                }
                Err(e) => panic!("PostgreSQL is required but {url} is unreachable: {e}"),
            };
            sweep_pg_schemas(&mut conn).await;
            let schema = unique("t");
            sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
                .execute(&mut conn)
                .await
                .expect("create schema");
            Some(
                Store::open_in_schema(&url, Some(schema))
                    .await
                    .expect("open postgres"),
            )
        }
    }
}

/// The app in process with an admin already created.
pub struct TestApp {
    pub engine: Engine,
    pub app: App,
    pub router: Router,
    pub admin: String,
}

pub const ADMIN_PASSWORD: &str = "admin-password";

/// A response as a client sees it.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    /// The `field` names of a problem+json's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }
    /// The `name` of each item of a list page, in order.
    pub fn item_names(&self) -> Vec<String> {
        self.body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("no items in {}", self.text))
            .iter()
            .map(|i| i["name"].as_str().unwrap_or_default().to_string())
            .collect()
    }
    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {}", self.text))
            .to_string()
    }
}

impl TestApp {
    pub async fn new(engine: Engine) -> Option<TestApp> {
        let store = fresh_store(engine).await?;
        let app = App::new(store);
        app.cli_add_user("admin", "Администратор", "admin", ADMIN_PASSWORD)
            .await
            .expect("first admin");
        let router = kupets_web::router(app.clone());
        let mut t = TestApp {
            engine,
            app,
            router,
            admin: String::new(),
        };
        t.admin = t.login("admin", ADMIN_PASSWORD).await;
        Some(t)
    }

    /// Sends one request; `token` goes as a bearer token when not empty.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        if !token.is_empty() {
            b = b.header("authorization", format!("Bearer {token}"));
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = match body {
            Some(v) => b
                .header("content-type", "application/json")
                .body(Body::from(v.to_string())),
            None => b.body(Body::empty()),
        }
        .expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("response");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.send(Method::GET, path, token, None, &[]).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.send(Method::POST, path, token, Some(body), &[]).await
    }
    pub async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.send(Method::PUT, path, token, Some(body), &[]).await
    }

    /// Logs in through the API and returns the bearer token.
    pub async fn login(&self, login: &str, password: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/login",
                "",
                serde_json::json!({"login": login, "password": password}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {login}: {}", r.text);
        r.body["token"].as_str().expect("token").to_string()
    }

    /// The id of the retail price type every installation has.
    pub async fn retail_type(&self) -> String {
        let types = self.get("/api/v1/price-types", &self.admin).await;
        types.body["items"]
            .as_array()
            .expect("price types")
            .iter()
            .find(|p| p["code"] == "retail")
            .expect("retail price type")["id"]
            .as_str()
            .expect("id")
            .to_string()
    }

    /// Adds a retail price of `product` effective from `date`.
    pub async fn set_retail(&self, product: &str, date: &str, price: &str) {
        let retail = self.retail_type().await;
        let r = self
            .post(
                &format!("/api/v1/products/{product}/prices"),
                &self.admin,
                serde_json::json!({"price_type_id": retail, "effective_date": date, "price": price}),
            )
            .await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    }

    /// Creates an employee with a role and returns their token.
    pub async fn user(&self, login: &str, role: &str) -> String {
        let r = self.post("/api/v1/employees", &self.admin, serde_json::json!({"login": login, "name": format!("Сотрудник {login}"), "role": role, "password": "password-123", "discount_limit": "5"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "create {login}: {}", r.text);
        self.login(login, "password-123").await
    }

    /// Sends an HTML form (urlencoded) with an optional session cookie.
    pub async fn form(&self, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Resp {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("content-type", "application/x-www-form-urlencoded");
        if !cookie.is_empty() {
            b = b.header("cookie", cookie);
        }
        let resp = self
            .router
            .clone()
            .oneshot(b.body(Body::from(body)).expect("request"))
            .await
            .expect("response");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        Resp {
            status,
            headers,
            body: Value::Null,
            text,
        }
    }

    /// GET of a page with a cookie.
    pub async fn page(&self, path: &str, cookie: &str) -> Resp {
        self.send(Method::GET, path, "", None, &[("cookie", cookie)])
            .await
    }
}

pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Runs a scenario on SQLite and on PostgreSQL as two tests.
#[macro_export]
macro_rules! both_engines {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(t) = $crate::TestApp::new($crate::Engine::Sqlite).await {
                    ($body)(t).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(t) = $crate::TestApp::new($crate::Engine::Postgres).await {
                    ($body)(t).await;
                }
            }
        }
    };
}
