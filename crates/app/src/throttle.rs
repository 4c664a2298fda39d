//! Throttling of failed logins, per login name and per client address.
//!
//! After [`LOGIN_LIMIT`] failures for one login (or [`ADDR_LIMIT`] from one
//! address) further attempts are refused with 429 and `Retry-After` without
//! checking the password, for a lock that doubles with each further failure
//! (30 s, 60 s, … up to an hour). A success clears the login's count; an
//! address's count is forgotten an hour after its last failure. Locks are
//! audited (`login_throttled`) and listed for admins.

use crate::{Actor, App, AppError, Result};
use kupets_domain::role::Right;
use kupets_store::queries::audit;
use kupets_store::{now, sql, Tx};
use serde::Serialize;
use utoipa::ToSchema;

/// Failures of one login before it is locked.
pub const LOGIN_LIMIT: i64 = 5;
/// Failures from one client address before it is locked (an office behind
/// one address has many people).
pub const ADDR_LIMIT: i64 = 20;
const FIRST_LOCK_S: i64 = 30;
const MAX_LOCK_S: i64 = 3600;

fn at(offset_s: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(offset_s))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The lock after `failures` failures with `limit` allowed: none below it.
pub fn lock_seconds(failures: i64, limit: i64) -> i64 {
    if failures < limit {
        return 0;
    }
    let doublings = (failures - limit).min(10) as u32;
    (FIRST_LOCK_S << doublings).min(MAX_LOCK_S)
}

/// The login as counted: trimmed, lower case, at most 100 characters.
pub fn subject(login: &str) -> String {
    login.trim().to_lowercase().chars().take(100).collect()
}

/// A current lock, for admins.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LoginLock {
    /// `login` or `addr`.
    pub scope: String,
    pub subject: String,
    pub failures: i64,
    pub last_failure_at: String,
    /// Empty when not locked (yet).
    pub locked_until: String,
}

impl App {
    /// Refuses with 429 when the login or the address is locked.
    pub(crate) async fn check_login_lock(&self, login: &str, addr: Option<&str>) -> Result<()> {
        let rows = sql::query(
            "SELECT locked_until FROM login_throttle WHERE ((scope = 'login' AND subject = $1) OR (scope = 'addr' AND subject = $2)) AND locked_until > $3",
        )
        .bind(subject(login))
        .bind(addr.unwrap_or(""))
        .bind(now())
        .fetch_all(self.store.reader())
        .await?;
        let until = rows
            .iter()
            .map(|r| r.get::<String, _>(0))
            .max()
            .unwrap_or_default();
        if until.is_empty() {
            return Ok(());
        }
        let secs = chrono::DateTime::parse_from_rfc3339(&until)
            .map(|t| (t.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds() + 1)
            .unwrap_or(FIRST_LOCK_S)
            .max(1);
        Err(AppError::Throttled {
            retry_after: secs as u64,
        })
    }

    /// Counts a failure for the login and the address; locks and audits
    /// when a limit is reached.
    pub(crate) async fn count_login_failure(
        tx: &mut Tx,
        employee: Option<i64>,
        login: &str,
        addr: Option<&str>,
    ) -> Result<()> {
        let stamp = now();
        let hour_ago = at(-3600);
        let mut scopes = vec![("login", subject(login), LOGIN_LIMIT)];
        if let Some(a) = addr {
            scopes.push(("addr", a.to_string(), ADDR_LIMIT));
        }
        for (scope, subj, limit) in scopes {
            // A count whose last failure is over an hour old starts again.
            let failures: i64 = sql::query_scalar(
                "INSERT INTO login_throttle (scope, subject, failures, last_failure_at, locked_until) VALUES ($1, $2, 1, $3, '') \
                 ON CONFLICT (scope, subject) DO UPDATE SET \
                 failures = CASE WHEN login_throttle.last_failure_at < $4 THEN 1 ELSE login_throttle.failures + 1 END, \
                 last_failure_at = $3 RETURNING failures",
            )
            .bind(scope)
            .bind(&subj)
            .bind(&stamp)
            .bind(&hour_ago)
            .fetch_one(&mut *tx)
            .await?;
            let lock = lock_seconds(failures, limit);
            if lock > 0 {
                let until = at(lock);
                sql::query(
                    "UPDATE login_throttle SET locked_until = $1 WHERE scope = $2 AND subject = $3",
                )
                .bind(&until)
                .bind(scope)
                .bind(&subj)
                .execute(&mut *tx)
                .await?;
                audit(
                    tx,
                    employee,
                    "login_throttled",
                    scope,
                    &subj,
                    &format!("failures: {failures}; locked until {until}"),
                )
                .await?;
            }
        }
        Ok(())
    }

    /// A success clears the login's count.
    pub(crate) async fn clear_login_failures(tx: &mut Tx, login: &str) -> Result<()> {
        sql::query("DELETE FROM login_throttle WHERE scope = 'login' AND subject = $1")
            .bind(subject(login))
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// Counts of failed logins of the last hour and current locks (admins).
    pub async fn login_locks(&self, actor: &Actor) -> Result<Vec<LoginLock>> {
        actor.require(Right::ManagePeople)?;
        let rows = sql::query("SELECT scope, subject, failures, last_failure_at, locked_until FROM login_throttle WHERE last_failure_at >= $1 OR locked_until > $2 ORDER BY last_failure_at DESC LIMIT 500")
            .bind(at(-3600))
            .bind(now())
            .fetch_all(self.store.reader())
            .await?;
        let n = now();
        Ok(rows
            .iter()
            .map(|r| {
                let until: String = r.get("locked_until");
                LoginLock {
                    scope: r.get("scope"),
                    subject: r.get("subject"),
                    failures: r.get("failures"),
                    last_failure_at: r.get("last_failure_at"),
                    locked_until: if until > n { until } else { String::new() },
                }
            })
            .collect())
    }
}
