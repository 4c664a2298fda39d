//! Login, sessions and tokens. Passwords are hashed with Argon2id (memory-hard);
//! session tokens are random and only their SHA-256 is stored, so a copy of
//! the database does not let anyone log in.

use crate::input::Check;
use crate::{Actor, App, AppError, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;
use kupets_domain::Role;
use kupets_store::model::Employee;
use kupets_store::now;
use kupets_store::queries::{audit, P};
use kupets_store::sql;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Web sessions and API tokens live this long.
pub const SESSION_DAYS: i64 = 14;

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default params")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn token_hash(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a successful login hands out.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub csrf: String,
    pub employee: Employee,
    pub expires_at: String,
}

/// Checks a new password's strength; returns a field error otherwise.
pub fn check_new_password(c: &mut Check, field: &str, pw: &str) {
    if pw.chars().count() < 8 {
        c.err(
            field,
            "weak_password",
            "Пароль не короче 8 символов",
            "The password needs at least 8 characters",
        );
    }
}

impl App {
    /// Logs in by login and password; `kind` is `web` or `api`.
    pub async fn login(&self, login: &str, password: &str, kind: &str) -> Result<Session> {
        self.login_from(login, password, kind, None).await
    }

    /// Logs in from a client address (for throttling, see [`crate::throttle`]).
    ///
    /// The password is checked on a blocking thread, one check at a time,
    /// and outside any write transaction: Argon2 takes tens of milliseconds
    /// of CPU, which must neither stall the async workers nor hold the
    /// writer, nor take every core during a burst of logins.
    pub async fn login_from(
        &self,
        login: &str,
        password: &str,
        kind: &str,
        addr: Option<&str>,
    ) -> Result<Session> {
        self.check_login_lock(login, addr).await?;
        let row = sql::query(&format!(
            "SELECT {}, password_hash FROM employees WHERE login = $1",
            Employee::COLS
        ))
        .bind(login.trim())
        .fetch_optional(self.store.reader())
        .await?;
        let bad = || {
            AppError::conflict(
                "bad_credentials",
                "Неверный логин или пароль",
                "Wrong login or password",
            )
        };
        let found = row.map(|r| (Employee::from_row(&r), r.get::<String, _>("password_hash")));
        let pw = password.to_string();
        // A missing login spends the same time as a real check, so logins
        // cannot be probed.
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let hash = found.as_ref().map(|f| f.1.clone()).unwrap_or_else(|| {
            DUMMY
                .get_or_init(|| hash_password("not a password"))
                .clone()
        });
        static CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
        let permit = CHECKS
            .acquire()
            .await
            .map_err(|e| AppError::Internal(format!("password check: {e}")))?;
        let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
            .await
            .map_err(|e| AppError::Internal(format!("password check: {e}")))?;
        drop(permit);
        let employee = match found {
            Some((e, _)) if ok && !e.archived => e,
            other => {
                let emp_id = other.map(|f| f.0.id);
                let (login, addr) = (login.to_string(), addr.map(str::to_string));
                write_tx!(self, [login, addr], |app, tx| {
                    App::count_login_failure(&mut tx, emp_id, login, addr.as_deref()).await?;
                    if let Some(id) = emp_id {
                        audit(
                            &mut tx,
                            Some(id),
                            "login_failed",
                            "employee",
                            id,
                            addr.as_deref().unwrap_or(""),
                        )
                        .await?;
                    }
                    Ok(())
                })?;
                return Err(bad());
            }
        };
        let emp_id = employee.id;
        let token = random_token();
        let csrf = random_token();
        let expires_at = (chrono::Utc::now() + chrono::Duration::days(SESSION_DAYS))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let login = login.to_string();
        write_tx!(self, [kind, token, csrf, expires_at, login], |app, tx| {
            App::clear_login_failures(&mut tx, login).await?;
            sql::query("DELETE FROM sessions WHERE expires_at < $1")
                .bind(now())
                .execute(&mut *tx)
                .await?;
            sql::query("INSERT INTO sessions (token_hash, employee_id, kind, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(token_hash(token))
                .bind(emp_id)
                .bind(kind)
                .bind(csrf)
                .bind(now())
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
            audit(&mut tx, Some(emp_id), "login", "employee", emp_id, kind).await?;
            Ok(())
        })?;
        Ok(Session {
            token,
            csrf,
            employee,
            expires_at,
        })
    }

    /// Resolves a session cookie or bearer token to the acting employee and
    /// the session's CSRF token.
    pub async fn authenticate(&self, token: &str) -> Result<(Actor, String)> {
        // Every request passes here: the text is built once.
        static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let sql = SQL
            .get_or_init(|| {
                format!(
                    "SELECT {}, s.csrf AS csrf FROM sessions s JOIN employees e ON e.id = s.employee_id \
                     WHERE s.token_hash = $1 AND s.expires_at > $2 AND e.archived = 0",
                    Employee::COLS.split(", ").map(|c| format!("e.{c}")).collect::<Vec<_>>().join(", ")
                )
            })
            .clone();
        // The store's fast read path.
        let params = vec![P::from(token_hash(token)), P::from(now())];
        let rows = self
            .store
            .read_rows_here(sql, params, |r| (Employee::from_row(r), r.text("csrf")))
            .await?;
        let (employee, csrf) = rows.into_iter().next().ok_or(AppError::Unauthorized)?;
        let role = Role::parse(&employee.role)
            .ok_or_else(|| AppError::Internal(format!("bad role {}", employee.role)))?;
        Ok((Actor { employee, role }, csrf))
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        write_tx!(self, [token], |app, tx| {
            sql::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash(token))
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
    }

    /// Whether the database has no employees yet (first start).
    pub async fn has_no_employees(&self) -> Result<bool> {
        let n: i64 = sql::query_scalar("SELECT COUNT(*) FROM employees")
            .fetch_one(self.store.reader())
            .await?;
        Ok(n == 0)
    }

    /// `kupets user add`: creates an employee from the command line. The first
    /// one on an empty database must be an admin.
    pub async fn cli_add_user(
        &self,
        login: &str,
        name: &str,
        role: &str,
        password: &str,
    ) -> Result<Employee> {
        let mut c = Check::new();
        let role = Role::parse(role).unwrap_or_else(|| {
            c.err("role", "invalid_role", "Неизвестная роль", "Unknown role");
            Role::Manager
        });
        check_new_password(&mut c, "password", password);
        if self.has_no_employees().await? && role != Role::Admin {
            c.err(
                "role",
                "first_admin",
                "Первым пользователем должен быть администратор",
                "The first user must be an admin",
            );
        }
        c.done()?;
        let input = crate::people::EmployeeInput {
            login: Some(login.to_string()),
            name: Some(name.to_string()),
            role: Some(role.code().to_string()),
            password: Some(password.to_string()),
            ..Default::default()
        };
        self.create_employee_unchecked(None, &input).await
    }
}
