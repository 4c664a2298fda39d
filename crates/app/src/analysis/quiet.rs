//! Regular clients going quiet.
//!
//! A client's purchase days are the days of the last 12 months on which
//! their net purchases (`purchase_days`: shipments less returns) were above
//! zero. With at least 3 of them, their usual interval is the median of the
//! gaps between consecutive purchase days (an even number of gaps: the mean
//! of the middle two, rounded up). The client is quiet when their last
//! purchase is more than twice that interval ago and at least 30 days ago.
//! A status set on one of their documents, or an interaction with them,
//! after the last purchase takes them off the list until one interval has
//! passed since it.

use crate::{Actor, App, Result};
use chrono::NaiveDate;
use kupets_domain::Money;
use kupets_store::queries::{placeholders, P};
use kupets_store::sql;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct QuietQuery {
    /// Whose clients (a head: anyone of the department; default: the
    /// department for a head, oneself for a manager).
    #[serde(default, deserialize_with = "crate::input::lenient")]
    pub employee_id: Option<String>,
    /// The day to judge on; today by default.
    #[serde(default, deserialize_with = "crate::input::lenient")]
    pub date: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuietClient {
    pub counterparty_id: String,
    pub name: String,
    pub manager_id: String,
    pub manager: String,
    /// ABC class by revenue of the last 12 months, company-wide.
    pub class: String,
    /// Purchase days in the last 12 months.
    pub purchases: i64,
    /// The usual interval between purchases, days (median).
    pub interval_days: i64,
    pub last_purchase: String,
    pub days_since: i64,
    /// Revenue of the last 12 months (net purchases).
    pub revenue_12m: String,
}

/// The median gap between consecutive days, rounded up.
pub fn median_gap(days: &[NaiveDate]) -> Option<i64> {
    if days.len() < 2 {
        return None;
    }
    let mut gaps: Vec<i64> = days.windows(2).map(|w| (w[1] - w[0]).num_days()).collect();
    gaps.sort_unstable();
    let n = gaps.len();
    Some(if n % 2 == 1 {
        gaps[n / 2]
    } else {
        (gaps[n / 2 - 1] + gaps[n / 2] + 1) / 2
    })
}

/// Whether a client with these purchase days (ascending, at least 3) is
/// quiet on `today`: (interval, days since the last purchase).
pub fn quiet(days: &[NaiveDate], today: NaiveDate) -> Option<(i64, i64)> {
    if days.len() < 3 {
        return None;
    }
    let interval = median_gap(days)?;
    let since = (today - *days.last()?).num_days();
    (since > 2 * interval && since >= 30).then_some((interval, since))
}

impl App {
    /// Quiet regular clients of a manager (or a head's department), A-class
    /// first (`/api/v1/reports/quiet-clients`; Today shows them too).
    pub async fn quiet_clients(&self, actor: &Actor, q: &QuietQuery) -> Result<Vec<QuietClient>> {
        super::scope(actor)?;
        let mut c = crate::input::Check::new();
        let employee = c.opt_id("employee_id", &q.employee_id);
        let today = c.date("date", &q.date, crate::today());
        c.done()?;
        let mut conn = self.store.read_conn().await?;
        let people = self.scope(&mut conn, actor, employee, None, true).await?;
        if people.is_empty() {
            return Ok(Vec::new());
        }
        let from = today
            .checked_sub_months(chrono::Months::new(12))
            .unwrap_or(today);
        let mut params = vec![P::from(from.to_string()), P::from(today.to_string())];
        params.extend(people.iter().map(|p| P::from(*p)));
        // The manager's clients by the index on manager, then each one's
        // days by the primary key (client, day): thousands of rows, read
        // through the fast path.
        let rows: Vec<(i64, String, i64)> = self
            .store
            .read_rows(
                format!(
                    "SELECT p.counterparty_id AS cp, p.day AS day, p.amount AS amount FROM purchase_days p JOIN counterparties c ON c.id = p.counterparty_id \
                     WHERE c.manager_id IN ({}) AND p.day > $1 AND p.day <= $2 ORDER BY p.counterparty_id, p.day",
                    placeholders(3, people.len())
                ),
                params,
                |r| (r.int("cp"), r.text("day"), r.int("amount")),
            )
            .await?;
        // Per client: purchase days and the 12 months' revenue.
        let mut per: Vec<(i64, Vec<NaiveDate>, i64)> = Vec::new();
        for (cp, day, amount) in rows {
            if per.last().map(|p| p.0) != Some(cp) {
                per.push((cp, Vec::new(), 0));
            }
            let p = per.last_mut().expect("pushed above");
            p.2 = p.2.saturating_add(amount);
            if amount > 0 {
                if let Some(d) = crate::input::parse_date(&day) {
                    p.1.push(d);
                }
            }
        }
        let mut found: Vec<(i64, i64, i64, NaiveDate, i64, i64)> = per
            .into_iter()
            .filter_map(|(cp, days, revenue)| {
                let (interval, since) = quiet(&days, today)?;
                Some((
                    cp,
                    interval,
                    since,
                    *days.last()?,
                    days.len() as i64,
                    revenue,
                ))
            })
            .collect();
        if found.is_empty() {
            return Ok(Vec::new());
        }
        // Touched since the last purchase: a status on one of their
        // documents or an interaction, within one interval of today.
        let ids: Vec<P> = found.iter().map(|f| P::from(f.0)).collect();
        let list = placeholders(1, ids.len());
        let touched: Vec<(i64, Option<String>)> = sql::query_as(&format!(
            "SELECT counterparty_id, MAX(day) FROM ( \
               SELECT d.counterparty_id, SUBSTR(a.created_at, 1, 10) AS day FROM status_assignments a JOIN documents d ON d.id = a.document_id WHERE d.counterparty_id IN ({list}) \
               UNION ALL \
               SELECT counterparty_id, doc_date AS day FROM documents WHERE kind = 'interaction' AND state <> 'cancelled' AND counterparty_id IN ({list}) \
             ) t GROUP BY counterparty_id"
        ))
        .bind_all(&ids)
        .fetch_all(&mut conn)
        .await?;
        let touched: HashMap<i64, NaiveDate> = touched
            .into_iter()
            .filter_map(|(cp, d)| Some((cp, crate::input::parse_date(&d?)?)))
            .collect();
        found.retain(|(cp, interval, _, last, _, _)| match touched.get(cp) {
            Some(t) if t >= last => (today - *t).num_days() >= *interval,
            _ => true,
        });
        let classes = super::abc::client_classes(&self.store, &mut conn, today).await?;
        let names: Vec<(i64, String, i64, String)> = sql::query_as(&format!(
            "SELECT c.id, c.name, e.id, e.name FROM counterparties c JOIN employees e ON e.id = c.manager_id WHERE c.id IN ({list})"
        ))
        .bind_all(&ids)
        .fetch_all(&mut conn)
        .await?;
        let names: HashMap<i64, (String, i64, String)> = names
            .into_iter()
            .map(|(id, n, e, en)| (id, (n, e, en)))
            .collect();
        let mut out: Vec<QuietClient> = found
            .into_iter()
            .filter_map(|(cp, interval, since, last, purchases, revenue)| {
                let (name, manager_id, manager) = names.get(&cp)?.clone();
                Some(QuietClient {
                    counterparty_id: cp.to_string(),
                    name,
                    manager_id: manager_id.to_string(),
                    manager,
                    class: classes.get(&cp).copied().unwrap_or('C').to_string(),
                    purchases,
                    interval_days: interval,
                    last_purchase: last.to_string(),
                    days_since: since,
                    revenue_12m: Money(revenue).to_api(),
                })
            })
            .collect();
        out.sort_by(|a, b| {
            a.class.cmp(&b.class).then_with(|| {
                Money::parse(&b.revenue_12m)
                    .unwrap_or_default()
                    .cmp(&Money::parse(&a.revenue_12m).unwrap_or_default())
            })
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn intervals_and_quiet() {
        let days = [
            d("2026-01-01"),
            d("2026-01-11"),
            d("2026-01-21"),
            d("2026-02-20"),
        ];
        // Gaps 10, 10, 30: median 10; quiet after 20 days but at least 30.
        assert_eq!(median_gap(&days), Some(10));
        assert_eq!(quiet(&days, d("2026-03-21")), None);
        assert_eq!(quiet(&days, d("2026-03-22")), Some((10, 30)));
        // Two gaps, 10 and 30: (10 + 30 + 1) / 2 = 20 (rounded up).
        assert_eq!(median_gap(&days[1..]), Some(20));
        assert_eq!(quiet(&days[..2], d("2027-01-01")), None);
    }
}
