//! The `kupets` command: serve, demo, user, backup, restore. A library too, so
//! the benchmark can start the very same server.

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use kupets_app::App;
use kupets_store::Store;
use std::net::SocketAddr;

pub mod import;

pub const DEFAULT_DB: &str = "kupets.db";

#[derive(Parser)]
#[command(
    name = "kupets",
    version,
    about = "kupets — CRM-часть ERP для малого бизнеса / the customer side of a small-business ERP"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Запустить веб-интерфейс и API / run the web UI and API
    Serve {
        /// sqlite:FILE (default ./kupets.db) or postgres://…
        #[arg(long, env = "KUPETS_DATABASE", default_value = DEFAULT_DB)]
        database: String,
        #[arg(long, env = "KUPETS_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Fill an empty database with the demo company first
        #[arg(long)]
        demo: bool,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Заполнить пустую базу демо-данными / fill an empty database with demo data
    Demo {
        #[arg(long, env = "KUPETS_DATABASE", default_value = DEFAULT_DB)]
        database: String,
    },
    /// Пользователи / users
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Загрузить выписку банка или записи из CSV/XLSX / import a bank
    /// statement or records from CSV/XLSX. KIND: bank-statement,
    /// counterparties, contacts, products, prices, opening-balances,
    /// opening-stock
    Import {
        kind: String,
        file: String,
        #[arg(long, env = "KUPETS_DATABASE", default_value = DEFAULT_DB)]
        database: String,
        /// Act as this employee (default: the first admin)
        #[arg(long = "as")]
        as_login: Option<String>,
        /// Only check and show what would be imported
        #[arg(long)]
        preview: bool,
    },
    /// Онлайн-копия встроенной базы / online copy of the embedded database
    Backup {
        file: String,
        #[arg(long, env = "KUPETS_DATABASE", default_value = DEFAULT_DB)]
        database: String,
    },
    /// Восстановить встроенную базу из копии (сервер должен быть остановлен) /
    /// restore the embedded database from a copy (stop the server first)
    Restore {
        file: String,
        #[arg(long, env = "KUPETS_DATABASE", default_value = DEFAULT_DB)]
        database: String,
        /// Replace an existing database
        #[arg(long)]
        force: bool,
    },
}

/// HTTP limits of `serve`.
#[derive(clap::Args, Debug, Clone)]
pub struct LimitArgs {
    /// Seconds a client has to send a request's line and headers
    #[arg(long, env = "KUPETS_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds a connection may stay without any traffic before it is closed
    #[arg(long, env = "KUPETS_IDLE_TIMEOUT", default_value_t = 60)]
    pub idle_timeout: u64,
    /// Seconds to read and answer one whole request (408 after)
    #[arg(long, env = "KUPETS_REQUEST_TIMEOUT", default_value_t = 60)]
    pub request_timeout: u64,
    /// Most connections open at once; more are closed on arrival
    #[arg(long, env = "KUPETS_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// Largest request body in bytes (413 above)
    #[arg(long, env = "KUPETS_MAX_BODY", default_value_t = 2 * 1024 * 1024)]
    pub max_body: usize,
    /// Microseconds to keep the processor cores awake after a request, in
    /// the idle scheduling class (the lowest priority), so that the next
    /// step of a request (or the next request) does not wait for a halted
    /// core to wake; SQLite's writer thread looks for its next write without
    /// sleeping in the same window; 0 turns both off
    #[arg(long, env = "KUPETS_BUSY_POLL_US", default_value_t = 2000)]
    pub busy_poll_us: u64,
    /// Mark cookies Secure: the server is reached over HTTPS (a proxy in
    /// front terminates TLS)
    #[arg(long, env = "KUPETS_SECURE_COOKIES")]
    pub secure_cookies: bool,
}

impl LimitArgs {
    /// The limits `kupets serve` takes when given no flags: each from its
    /// `KUPETS_*` environment variable, else its default.
    pub fn from_env() -> anyhow::Result<LimitArgs> {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            limits: LimitArgs,
        }
        Ok(Only::try_parse_from(["kupets"])?.limits)
    }

    pub fn limits(&self) -> kupets_web::serve::Limits {
        use std::time::Duration;
        kupets_web::serve::Limits {
            header_timeout: Duration::from_secs(self.header_timeout.max(1)),
            idle_timeout: Duration::from_secs(self.idle_timeout.max(1)),
            request_timeout: Duration::from_secs(self.request_timeout.max(1)),
            max_connections: self.max_connections.max(1),
            max_body: self.max_body.max(1024),
            busy_poll: Duration::from_micros(self.busy_poll_us),
        }
    }
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Создать сотрудника (первый — администратор) / create an employee (the first one is an admin)
    Add {
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "admin")]
        role: String,
        /// Password; read from the KUPETS_PASSWORD variable or standard input when omitted
        #[arg(long, env = "KUPETS_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[arg(long, env = "KUPETS_DATABASE", default_value = DEFAULT_DB)]
        database: String,
    },
}

fn print_demo_logins() {
    println!("Демо-входы / demo logins:");
    for (login, pw, role, name) in kupets_app::demo::LOGINS {
        println!("  {login:<11} / {pw:<6} {role:<17} {name}");
    }
}

pub async fn load_demo(app: &App) -> anyhow::Result<()> {
    let s = app
        .load_demo()
        .await
        .map_err(|e| anyhow::anyhow!(e.message(true)))?;
    println!(
        "Демо-данные загружены / demo data loaded: {} сотрудников, {} контрагентов, {} товаров",
        s.employees, s.counterparties, s.products
    );
    print_demo_logins();
    Ok(())
}

/// Opens the store, binds and serves until Ctrl-C or SIGTERM.
pub async fn serve_with(
    database: &str,
    listen: SocketAddr,
    demo: bool,
    limits: &LimitArgs,
) -> anyhow::Result<()> {
    kupets_web::auth::set_secure_cookies(limits.secure_cookies);
    let store = Store::open(database)
        .await
        .with_context(|| format!("opening database {database}"))?;
    let app = App::new(store.clone());
    if demo {
        if app.is_empty().await? {
            load_demo(&app).await?;
        } else {
            println!("База уже содержит данные — демо не загружается / database has data, demo not loaded");
        }
    }
    if app.has_no_employees().await? {
        println!("В базе нет пользователей. Создайте администратора: kupets user add --login admin --name \"Администратор\"");
        println!("No users yet. Create an admin: kupets user add --login admin --name Admin   (or run: kupets serve --demo)");
    }
    // E-mail: queued messages, retries and the daily digest.
    let mailer = kupets_app::mail::spawn_worker(app.clone());
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    println!("kupets слушает / listening on http://{addr}  (база / database: {database})");
    // The cores kept awake after a request (`--busy-poll-us`), and SQLite's
    // writer with them: it looks for the next write without sleeping.
    let served = limits.limits();
    let window = served.busy_poll;
    let awake = kupets_web::awake::Awake::start(window);
    store.writer_awake(awake.clone().map(|a| {
        let test: kupets_store::AwakeWhile = std::sync::Arc::new(move || a.recent());
        (test, window)
    }));
    kupets_web::serve::serve_awake(listener, kupets_web::router(app), served, awake, async {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    mailer.abort();
    store.close().await;
    Ok(())
}

fn sqlite_path(database: &str) -> anyhow::Result<String> {
    let (url, engine) = kupets_store::normalize_url(database)?;
    if engine != kupets_store::Engine::Sqlite {
        bail!("Для PostgreSQL используйте pg_dump / pg_restore (см. README) / for PostgreSQL use pg_dump and pg_restore (see README)");
    }
    let path = url.trim_start_matches("sqlite://");
    Ok(path.split('?').next().unwrap_or(path).to_string())
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            database,
            listen,
            demo,
            limits,
        } => serve_with(&database, listen, demo, &limits).await,
        Command::Import {
            kind,
            file,
            database,
            as_login,
            preview,
        } => {
            let store = Store::open(&database).await?;
            // One writer, one document after another: no thread hand-offs.
            store.write_in_place(true);
            let app = App::new(store);
            crate::import::run(&app, &kind, &file, as_login.as_deref(), preview).await
        }
        Command::Demo { database } => {
            let store = Store::open(&database).await?;
            store.write_in_place(true);
            let app = App::new(store);
            load_demo(&app).await
        }
        Command::User {
            command:
                UserCommand::Add {
                    login,
                    name,
                    role,
                    password,
                    database,
                },
        } => {
            let password = match password {
                Some(p) => p,
                None => {
                    eprintln!("Пароль (не короче 8 символов) / password (8+ characters):");
                    let mut s = String::new();
                    std::io::stdin().read_line(&mut s)?;
                    s.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let app = App::new(Store::open(&database).await?);
            match app.cli_add_user(&login, &name, &role, &password).await {
                Ok(e) => {
                    println!(
                        "Создан сотрудник / employee created: {} ({}), id {}",
                        e.login, e.role, e.id
                    );
                    Ok(())
                }
                Err(e) => bail!("{}\n{}", e.message(true), e.message(false)),
            }
        }
        Command::Backup { file, database } => {
            let path = sqlite_path(&database)?;
            if !std::path::Path::new(&path).exists() {
                bail!("Нет базы {path} / no database at {path}");
            }
            if std::path::Path::new(&file).exists() {
                bail!("Файл {file} уже существует / {file} already exists");
            }
            let store = Store::open(&database).await?;
            store.backup_sqlite(&file).await?;
            store.close().await;
            println!(
                "Копия записана / backup written: {file} ({} bytes)",
                std::fs::metadata(&file)?.len()
            );
            Ok(())
        }
        Command::Restore {
            file,
            database,
            force,
        } => {
            let path = sqlite_path(&database)?;
            // Check the copy is a kupets database before touching anything.
            {
                let mut conn = kupets_store::raw_connect(&format!("sqlite://{file}?mode=ro"))
                    .await
                    .with_context(|| format!("opening {file}"))?;
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM schema_migrations")
                    .fetch_one(&mut conn)
                    .await
                    .with_context(|| format!("{file} is not a kupets database"))?;
                if n == 0 {
                    bail!("{file} is not a kupets database");
                }
            }
            if std::path::Path::new(&path).exists() && !force {
                bail!("База {path} существует; остановите сервер и повторите с --force / {path} exists; stop the server and repeat with --force");
            }
            let tmp = format!("{path}.restoring");
            std::fs::copy(&file, &tmp)?;
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
            std::fs::rename(&tmp, &path)?;
            println!("База восстановлена / database restored: {path} ← {file}");
            Ok(())
        }
    }
}
