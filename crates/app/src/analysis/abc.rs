//! ABC analysis of clients or products for a period, by revenue (with VAT,
//! returns subtracted) or by margin.
//!
//! Items are ordered by value, largest first (ties by name). An item's class
//! is decided by the cumulative share of the items before it: below the A
//! threshold (80 % by default) it is A — so the item that crosses 80 % is
//! still A — below the B threshold (95 %) B, else C. Items of equal value
//! share the class of the first of them, so a tie at a boundary never splits.
//! Items with nothing (or less) to their name are C.

use super::sales::Dim;
use super::scope;
use super::totals::{Source, Table};
use crate::input::{lenient, Check};
use crate::{Actor, App, AppError, Result};
use kupets_domain::{Money, Percent};
use kupets_store::queries::get_setting;
use kupets_store::sql;
use kupets_store::Conn;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct AbcQuery {
    /// Period start; a year before `to` by default.
    #[serde(default, deserialize_with = "lenient")]
    pub from: Option<String>,
    /// Period end; today by default.
    #[serde(default, deserialize_with = "lenient")]
    pub to: Option<String>,
    /// `clients` (default) or `products`.
    #[serde(default, deserialize_with = "lenient")]
    pub subject: Option<String>,
    /// `revenue` (default) or `margin` (heads, admins, accountants).
    #[serde(default, deserialize_with = "lenient")]
    pub by: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AbcItem {
    pub id: String,
    pub name: String,
    pub value: String,
    /// Share of the total, %.
    pub share_pct: String,
    /// Cumulative share up to and including this item, %.
    pub cumulative_pct: String,
    /// `A`, `B` or `C`.
    pub class: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AbcReport {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub by: String,
    pub a_pct: i64,
    pub b_pct: i64,
    pub total: String,
    pub counts: AbcCounts,
    pub items: Vec<AbcItem>,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct AbcCounts {
    pub a: i64,
    pub b: i64,
    pub c: i64,
}

/// The thresholds as set: (A, B), cumulative percentages.
pub async fn thresholds(conn: &mut Conn) -> Result<(i64, i64)> {
    let a = get_setting(conn, "abc_a_pct")
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(80);
    let b = get_setting(conn, "abc_b_pct")
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(95);
    Ok((a, b))
}

/// Classes of values ordered largest first (see the module's rule).
pub fn classify(values: &[i64], a_pct: i64, b_pct: i64) -> Vec<char> {
    let total: i128 = values
        .iter()
        .filter(|v| **v > 0)
        .map(|v| i128::from(*v))
        .sum();
    let mut out = Vec::with_capacity(values.len());
    let mut before: i128 = 0;
    let mut prev: Option<(i64, char)> = None;
    for v in values {
        let class = if *v <= 0 || total == 0 {
            'C'
        } else if let Some((pv, pc)) = prev.filter(|p| p.0 == *v) {
            let _ = pv;
            pc
        } else if before * 100 < i128::from(a_pct) * total {
            'A'
        } else if before * 100 < i128::from(b_pct) * total {
            'B'
        } else {
            'C'
        };
        prev = Some((*v, class));
        before += i128::from((*v).max(0));
        out.push(class);
    }
    out
}

fn pct(part: i128, total: i128) -> String {
    if total == 0 {
        return Percent(0).to_api();
    }
    Percent(kupets_domain::money::clamp_i64(
        kupets_domain::money::div_round(part * 10_000, total),
    ))
    .to_api()
}

impl App {
    /// ABC of clients or products (`/api/v1/reports/abc`).
    pub async fn abc_report(&self, actor: &Actor, q: &AbcQuery) -> Result<AbcReport> {
        let scope = scope(actor)?;
        let mut c = Check::new();
        let to = c.date("to", &q.to, crate::today());
        let year_before = to
            .checked_sub_months(chrono::Months::new(12))
            .and_then(|d| d.succ_opt())
            .unwrap_or(to);
        let from = c.date("from", &q.from, year_before);
        if from > to {
            c.err(
                "from",
                "after_to",
                "Начало периода позже его конца",
                "The period starts after it ends",
            );
        }
        let subject = match q.subject.as_deref().map(str::trim).unwrap_or("") {
            "" | "clients" => "clients",
            "products" => "products",
            _ => {
                c.err(
                    "subject",
                    "invalid",
                    "Объект анализа: clients или products",
                    "Subject: clients or products",
                );
                "clients"
            }
        };
        let by = match q.by.as_deref().map(str::trim).unwrap_or("") {
            "" | "revenue" => "revenue",
            "margin" => "margin",
            _ => {
                c.err(
                    "by",
                    "invalid",
                    "Показатель: revenue или margin",
                    "Measure: revenue or margin",
                );
                "revenue"
            }
        };
        c.done()?;
        if by == "margin" && !scope.cost {
            return Err(AppError::Forbidden {
                role: actor.role.code().to_string(),
            });
        }
        let mut conn = self.store.read_conn().await?;
        let (a_pct, b_pct) = thresholds(&mut conn).await?;
        let (key, table, dim) = if subject == "clients" {
            ("f.counterparty_id", "counterparties", Dim::Counterparty)
        } else {
            ("f.product_id", "products", Dim::Product)
        };
        let measure = if by == "revenue" {
            "f.revenue"
        } else {
            "f.revenue_net - f.cost"
        };
        let mut params = Vec::new();
        let mut filter = String::from("1 = 1");
        if let Some(m) = scope.manager {
            params.push(kupets_store::queries::P::from(m));
            filter =
                "f.counterparty_id IN (SELECT id FROM counterparties WHERE manager_id = $1)".into();
        }
        let source = Source {
            table: Table::for_dims(&[dim], scope.manager.is_some()),
            from,
            to,
            keys: &[(key, "k")],
            filter: &filter,
            shipments: false,
        }
        .union_sql(&mut params, crate::today());
        let sql = format!(
            "SELECT f.k AS id, t.name, CAST(SUM({measure}) AS BIGINT) AS v FROM {source} JOIN {table} t ON t.id = f.k \
             GROUP BY f.k, t.name HAVING SUM(f.facts) > 0"
        );
        let mut rows: Vec<(i64, String, i64)> = self
            .store
            .read_rows(sql, params, |r| (r.int("id"), r.text("name"), r.int("v")))
            .await?;
        rows.sort_by(|a, b| {
            b.2.cmp(&a.2)
                .then_with(|| a.1.cmp(&b.1))
                .then(a.0.cmp(&b.0))
        });
        let values: Vec<i64> = rows.iter().map(|r| r.2).collect();
        let classes = classify(&values, a_pct, b_pct);
        let total: i128 = values
            .iter()
            .filter(|v| **v > 0)
            .map(|v| i128::from(*v))
            .sum();
        let mut cum: i128 = 0;
        let mut counts = AbcCounts::default();
        let items = rows
            .into_iter()
            .zip(classes)
            .map(|((id, name, v), class)| {
                cum += i128::from(v.max(0));
                match class {
                    'A' => counts.a += 1,
                    'B' => counts.b += 1,
                    _ => counts.c += 1,
                }
                AbcItem {
                    id: id.to_string(),
                    name,
                    value: Money(v).to_api(),
                    share_pct: pct(i128::from(v.max(0)), total),
                    cumulative_pct: pct(cum, total),
                    class: class.to_string(),
                }
            })
            .collect();
        Ok(AbcReport {
            from: from.to_string(),
            to: to.to_string(),
            subject: subject.to_string(),
            by: by.to_string(),
            a_pct,
            b_pct,
            total: Money(kupets_domain::money::clamp_i64(total)).to_api(),
            counts,
            items,
        })
    }

    /// Each client's class for the last 12 months by revenue, company-wide
    /// (the counterparty list and card; quiet clients' order).
    pub async fn client_classes(&self) -> Result<std::collections::HashMap<i64, char>> {
        let mut conn = self.store.read_conn().await?;
        client_classes(&self.store, &mut conn, crate::today()).await
    }
}

/// Clients' classes by revenue (net purchases) of the 12 months up to
/// `today`, read from the monthly totals per client (and the facts of the
/// edge days).
pub(crate) async fn client_classes(
    store: &kupets_store::Store,
    conn: &mut Conn,
    today: chrono::NaiveDate,
) -> Result<std::collections::HashMap<i64, char>> {
    let (a, b) = thresholds(conn).await?;
    let from = today
        .checked_sub_months(chrono::Months::new(12))
        .and_then(|d| d.succ_opt())
        .unwrap_or(today);
    let mut params = Vec::new();
    let source = Source {
        table: Some(Table::Client),
        from,
        to: today,
        keys: &[("f.counterparty_id", "k")],
        filter: "1 = 1",
        shipments: false,
    }
    .union_sql(&mut params, crate::today());
    let mut rows: Vec<(i64, i64)> = store
        .read_rows(
            format!("SELECT f.k AS k, CAST(SUM(f.revenue) AS BIGINT) AS v FROM {source} GROUP BY f.k HAVING SUM(f.facts) > 0"),
            params,
            |r| (r.int("k"), r.int("v")),
        )
        .await?;
    rows.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    let values: Vec<i64> = rows.iter().map(|r| r.1).collect();
    Ok(rows
        .iter()
        .map(|r| r.0)
        .zip(classify(&values, a, b))
        .collect())
}

impl App {
    /// Writes each client's class (`counterparties.abc_class`) unless done
    /// today already (`force`: thresholds changed). Only the classes that
    /// changed are written: from one day to the next few do. A derived
    /// figure, so not audited; a failed refresh leaves yesterday's classes.
    pub async fn refresh_client_classes(&self, force: bool) -> Result<()> {
        let day = crate::today();
        let fresh = |app: &App| {
            if let Ok(mut on) = app.classes_fresh_on.lock() {
                *on = Some(day);
            }
        };
        if !force
            && self
                .classes_fresh_on
                .lock()
                .is_ok_and(|on| *on == Some(day))
        {
            return Ok(());
        }
        let today = day.to_string();
        let mut conn = self.store.read_conn().await?;
        if !force && get_setting(&mut conn, "abc_classes_on").await?.as_deref() == Some(&today) {
            fresh(self);
            return Ok(());
        }
        let classes = client_classes(&self.store, &mut conn, crate::today()).await?;
        let was: Vec<(i64, String)> =
            sql::query_as("SELECT id, abc_class FROM counterparties WHERE abc_class <> ''")
                .fetch_all(&mut conn)
                .await?;
        drop(conn);
        let mut by: Vec<(char, Vec<i64>)> =
            vec![('A', vec![]), ('B', vec![]), ('C', vec![]), (' ', vec![])];
        let mut put = |id: i64, c: char| {
            if let Some(g) = by.iter_mut().find(|g| g.0 == c) {
                g.1.push(id);
            }
        };
        for (id, old) in &was {
            match classes.get(id) {
                None => put(*id, ' '),
                Some(c) if !old.starts_with(*c) => put(*id, *c),
                Some(_) => {}
            }
        }
        let had: std::collections::HashSet<i64> = was.iter().map(|w| w.0).collect();
        for (id, c) in &classes {
            if !had.contains(id) {
                put(*id, *c);
            }
        }
        write_tx!(self, [today, by], |app, tx| {
            for (class, ids) in by.iter() {
                let class = class.to_string();
                let class = class.trim();
                for chunk in ids.chunks(500) {
                    let mut params = vec![kupets_store::queries::P::from(class)];
                    params.extend(chunk.iter().map(|i| kupets_store::queries::P::from(*i)));
                    sql::query(&format!(
                        "UPDATE counterparties SET abc_class = $1 WHERE id IN ({})",
                        kupets_store::queries::placeholders(2, chunk.len())
                    ))
                    .bind_all(&params)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            kupets_store::queries::set_setting(&mut tx, "abc_classes_on", today).await?;
            Ok(())
        })?;
        fresh(self);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_item_is_a_and_ties_share() {
        assert_eq!(
            classify(&[50, 30, 10, 10], 80, 95),
            vec!['A', 'A', 'B', 'B']
        );
        // 40 + 30 = 70 before the first 15, so it is A; its twin too.
        assert_eq!(
            classify(&[40, 30, 15, 15], 80, 95),
            vec!['A', 'A', 'A', 'A']
        );
        assert_eq!(
            classify(&[60, 20, 15, 5, 0], 50, 90),
            vec!['A', 'B', 'B', 'C', 'C']
        );
        assert_eq!(classify(&[], 80, 95), Vec::<char>::new());
    }
}
