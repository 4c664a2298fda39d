//! What nobody attends to: open sales orders with no status or with a
//! status older than N days, and counterparties that bought in the past 12
//! months but had no interaction or document for N days. N is the setting
//! `unattended_days` (14 by default). A head sees their department, an
//! admin any department or the whole company, a manager their own.

use crate::input::Check;
use crate::{today, Actor, App, Result};
use chrono::NaiveDate;
use kupets_domain::Role;
use kupets_store::model::{ser, RowGet};
use kupets_store::queries::{placeholders, P};
use kupets_store::sql;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// The default of the `unattended_days` setting.
pub const DEFAULT_DAYS: i64 = 14;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct UnattendedFilter {
    /// Admins: one department (default: the whole company).
    pub department_id: Option<String>,
    /// Overrides the setting for this view, 1–365.
    pub days: Option<String>,
    /// The day to look from; default today.
    pub date: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnattendedOrder {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub document_id: i64,
    pub number: String,
    pub doc_date: String,
    pub state: String,
    pub counterparty_name: Option<String>,
    #[serde(serialize_with = "ser::money")]
    #[schema(value_type = String)]
    pub amount: i64,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub responsible_id: i64,
    pub responsible_name: String,
    /// The latest status, if any, and since when.
    pub status_code: Option<String>,
    pub status_date: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnattendedClient {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub counterparty_id: i64,
    pub name: String,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub manager_id: i64,
    pub manager_name: String,
    pub last_shipment: String,
    /// The date of the latest document of any kind (interactions included).
    pub last_activity: String,
    pub days_since: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Unattended {
    pub date: String,
    pub days: i64,
    pub orders: Vec<UnattendedOrder>,
    pub counterparties: Vec<UnattendedClient>,
}

impl App {
    /// N: the `unattended_days` setting.
    pub async fn unattended_days(&self) -> Result<i64> {
        let mut conn = self.store.read_conn().await?;
        Ok(
            kupets_store::queries::get_setting(&mut conn, "unattended_days")
                .await?
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_DAYS),
        )
    }

    pub async fn unattended(&self, actor: &Actor, f: &UnattendedFilter) -> Result<Unattended> {
        let mut c = Check::new();
        let department = c.opt_id("department_id", &f.department_id);
        let days = f
            .days
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|_| c.int("days", &f.days, 1, 365));
        let on = c.date("date", &f.date, today());
        c.done()?;
        let days = match days {
            Some(d) => d,
            None => self.unattended_days().await?,
        };
        let cutoff = (on - chrono::Duration::days(days)).to_string();
        let year_ago = (on - chrono::Duration::days(365)).to_string();
        let mut conn = self.store.read_conn().await?;
        let people: Vec<i64> = if actor.role == Role::Admin && department.is_none() {
            sql::query_scalar("SELECT id FROM employees")
                .fetch_all(&mut *conn)
                .await?
        } else {
            self.scope(&mut conn, actor, None, department, true).await?
        };
        if people.is_empty() {
            return Ok(Unattended {
                date: on.to_string(),
                days,
                orders: Vec::new(),
                counterparties: Vec::new(),
            });
        }
        let n = people.len();
        let mut params: Vec<P> = people.iter().map(|p| P::from(*p)).collect();
        params.push(P::from(cutoff.clone()));
        let orders = self
            .store
            .read_rows(
                format!(
                    "SELECT d.id, d.number, d.doc_date, d.state, d.amount, d.counterparty_id, d.responsible_id, st.code, s.latest_date \
                     FROM documents d LEFT JOIN doc_status s ON s.document_id = d.id LEFT JOIN statuses st ON st.id = s.latest_status_id \
                     WHERE d.kind = 'sales_order' AND d.responsible_id IN ({}) \
                       AND (s.document_id IS NULL OR (s.latest_date < ${} AND st.is_final = 0)) \
                       AND (d.state = 'draft' OR (d.state = 'posted' AND EXISTS (SELECT 1 FROM document_lines l WHERE l.document_id = d.id AND l.qty - l.closed_qty > \
                          (SELECT COALESCE(SUM(x.qty), 0) FROM document_lines x JOIN documents y ON y.id = x.document_id WHERE x.base_line_id = l.id AND y.state = 'posted' AND y.kind = 'shipment')))) \
                     ORDER BY d.doc_date, d.id LIMIT 1000",
                    placeholders(1, n),
                    n + 1
                ),
                params,
                |r: &dyn RowGet| {
                    (
                        r.int("id"),
                        r.text("number"),
                        r.text("doc_date"),
                        r.text("state"),
                        r.int("amount"),
                        r.opt_int("counterparty_id"),
                        r.int("responsible_id"),
                        r.opt_text("code"),
                        r.opt_text("latest_date"),
                    )
                },
            )
            .await?;
        let mut params: Vec<P> = people.iter().map(|p| P::from(*p)).collect();
        params.push(P::from(year_ago));
        params.push(P::from(on.to_string()));
        let clients = self
            .store
            .read_rows(
                format!(
                    "SELECT c.id, c.name, c.manager_id, \
                       (SELECT MAX(x.doc_date) FROM documents x WHERE x.counterparty_id = c.id AND x.kind = 'shipment' AND x.state = 'posted' AND x.doc_date >= ${0} AND x.doc_date <= ${1}) AS bought, \
                       (SELECT MAX(x.doc_date) FROM documents x WHERE x.counterparty_id = c.id AND x.state <> 'cancelled' AND x.doc_date <= ${1}) AS last \
                     FROM counterparties c WHERE c.archived = 0 AND c.manager_id IN ({2})",
                    n + 1,
                    n + 2,
                    placeholders(1, n)
                ),
                params,
                |r: &dyn RowGet| {
                    (
                        r.int("id"),
                        r.text("name"),
                        r.int("manager_id"),
                        r.opt_text("bought"),
                        r.opt_text("last"),
                    )
                },
            )
            .await?;
        let mut ids: Vec<i64> = people.clone();
        ids.sort_unstable();
        ids.dedup();
        let mut names: HashMap<i64, String> = HashMap::new();
        for chunk in ids.chunks(500) {
            names.extend(
                self.store
                    .read_rows(
                        format!(
                            "SELECT id, name FROM employees WHERE id IN ({})",
                            placeholders(1, chunk.len())
                        ),
                        chunk.iter().map(|e| P::from(*e)).collect(),
                        |r| (r.int("id"), r.text("name")),
                    )
                    .await?,
            );
        }
        let mut cp_ids: Vec<i64> = orders.iter().filter_map(|o| o.5).collect();
        cp_ids.sort_unstable();
        cp_ids.dedup();
        let mut cps: HashMap<i64, String> = HashMap::new();
        for chunk in cp_ids.chunks(500) {
            cps.extend(
                self.store
                    .read_rows(
                        format!(
                            "SELECT id, name FROM counterparties WHERE id IN ({})",
                            placeholders(1, chunk.len())
                        ),
                        chunk.iter().map(|e| P::from(*e)).collect(),
                        |r| (r.int("id"), r.text("name")),
                    )
                    .await?,
            );
        }
        let name = |e: i64| names.get(&e).cloned().unwrap_or_default();
        let mut counterparties: Vec<UnattendedClient> = clients
            .into_iter()
            .filter_map(|(id, cname, manager, bought, last)| {
                let bought = bought?;
                let last = last.unwrap_or_default();
                if last.as_str() >= cutoff.as_str() {
                    return None;
                }
                let days_since = NaiveDate::parse_from_str(&last, "%Y-%m-%d")
                    .map(|d| (on - d).num_days())
                    .unwrap_or(0);
                Some(UnattendedClient {
                    counterparty_id: id,
                    name: cname,
                    manager_id: manager,
                    manager_name: name(manager),
                    last_shipment: bought,
                    last_activity: last,
                    days_since,
                })
            })
            .collect();
        counterparties.sort_by(|a, b| {
            (a.last_activity.as_str(), a.counterparty_id)
                .cmp(&(b.last_activity.as_str(), b.counterparty_id))
        });
        Ok(Unattended {
            date: on.to_string(),
            days,
            orders: orders
                .into_iter()
                .map(|o| UnattendedOrder {
                    document_id: o.0,
                    number: o.1,
                    doc_date: o.2,
                    state: o.3,
                    amount: o.4,
                    counterparty_name: o.5.and_then(|c| cps.get(&c).cloned()),
                    responsible_id: o.6,
                    responsible_name: name(o.6),
                    status_code: o.7,
                    status_date: o.8,
                })
                .collect(),
            counterparties,
        })
    }
}
