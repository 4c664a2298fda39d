//! The owner's page: this month (to date) against last month and the same
//! month last year; receivables and overdue receivables; top 10 clients and
//! products of this month; the funnel in one line.

use super::totals::{Source, Table};
use super::{Figures, Sums, SUMS};
use crate::{Actor, App, Result};
use chrono::{Datelike, Months, NaiveDate};
use kupets_domain::role::Right;
use kupets_domain::Money;
use kupets_store::sql;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct OwnerQuery {
    /// The day the page is for; today by default.
    #[serde(default, deserialize_with = "crate::input::lenient")]
    pub date: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OwnerPeriod {
    pub from: String,
    pub to: String,
    #[serde(flatten)]
    pub figures: Figures,
    /// Posted shipments in the period.
    pub shipments: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OwnerTop {
    pub id: String,
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FunnelStep {
    pub name_ru: String,
    pub name_en: String,
    pub count: i64,
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OwnerPage {
    pub date: String,
    pub this_month: OwnerPeriod,
    pub last_month: OwnerPeriod,
    pub last_year: OwnerPeriod,
    /// Sum of positive balances on the date.
    pub receivables: String,
    /// Of them, older than 30 days (aging buckets 31+).
    pub overdue: String,
    pub top_clients: Vec<OwnerTop>,
    pub top_products: Vec<OwnerTop>,
    /// Sales orders of this month by funnel stage.
    pub funnel: Vec<FunnelStep>,
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

impl App {
    async fn owner_period(&self, from: NaiveDate, to: NaiveDate) -> Result<OwnerPeriod> {
        let mut conn = self.store.read_conn().await?;
        let mut params = Vec::new();
        let source = Source {
            table: Some(Table::Client),
            from,
            to,
            keys: &[],
            filter: "1 = 1",
            shipments: true,
        }
        .union_sql(&mut params, crate::today());
        let r = sql::query(&format!(
            "SELECT {SUMS}, CAST(COALESCE(SUM(f.shipments), 0) AS BIGINT) AS n FROM {source}"
        ))
        .bind_all(&params)
        .fetch_one(&mut conn)
        .await?;
        Ok(OwnerPeriod {
            from: from.to_string(),
            to: to.to_string(),
            figures: Sums::from_row(&r).show(true),
            shipments: r.get("n"),
        })
    }

    /// Sums of a period per client (with their shipments) or per product,
    /// every group: the page takes a period's total and its top 10 from
    /// one read.
    async fn owner_groups(
        &self,
        totals: Table,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(i64, Sums, i64)>> {
        let key = match totals {
            Table::Client => "f.counterparty_id",
            Table::Product => "f.product_id",
        };
        let mut params = Vec::new();
        let source = Source {
            table: Some(totals),
            from,
            to,
            keys: &[(key, "k")],
            filter: "1 = 1",
            shipments: totals == Table::Client,
        }
        .union_sql(&mut params, crate::today());
        self.store
            .read_rows(
                format!(
                    "SELECT f.k AS k, {SUMS}, CAST(COALESCE(SUM(f.shipments), 0) AS BIGINT) AS n FROM {source} \
                     GROUP BY f.k HAVING SUM(f.facts) > 0"
                ),
                params,
                |r| (r.int("k"), Sums::from_get(r), r.int("n")),
            )
            .await
            .map_err(Into::into)
    }

    /// The 10 largest groups by revenue (ties by id), with their names.
    async fn owner_top(
        &self,
        conn: &mut kupets_store::Conn,
        totals: Table,
        mut groups: Vec<(i64, Sums, i64)>,
    ) -> Result<Vec<OwnerTop>> {
        let table = match totals {
            Table::Client => "counterparties",
            Table::Product => "products",
        };
        groups.sort_by(|a, b| b.1.revenue.cmp(&a.1.revenue).then(a.0.cmp(&b.0)));
        groups.truncate(10);
        let mut out = Vec::new();
        for (id, sums, _) in &groups {
            let name: String =
                sql::query_scalar(&format!("SELECT name FROM {table} WHERE id = $1"))
                    .bind(*id)
                    .fetch_one(&mut *conn)
                    .await?;
            out.push(OwnerTop {
                id: id.to_string(),
                name,
                figures: sums.show(true),
            });
        }
        Ok(out)
    }

    /// The owner's page (`/api/v1/reports/owner`): heads, admins, accountants.
    pub async fn owner_page(&self, actor: &Actor, q: &OwnerQuery) -> Result<OwnerPage> {
        actor.require(Right::SeeCost)?;
        let mut c = crate::input::Check::new();
        let date = c.date("date", &q.date, crate::today());
        c.done()?;
        let start = month_start(date);
        let last_start = start.checked_sub_months(Months::new(1)).unwrap_or(start);
        let last_end = start.pred_opt().unwrap_or(start);
        let ly_start = start.checked_sub_months(Months::new(12)).unwrap_or(start);
        let ly_end = date.checked_sub_months(Months::new(12)).unwrap_or(date);
        // The parts are independent reads: run side by side (each takes its
        // own reader), so the page waits for the slowest, not for the sum.
        let (clients, products, last_month, last_year, aging, funnel) = tokio::try_join!(
            self.owner_groups(Table::Client, start, date),
            self.owner_groups(Table::Product, start, date),
            self.owner_period(last_start, last_end),
            self.owner_period(ly_start, ly_end),
            self.aging_report(actor, date),
            self.funnel(actor, start, date, None),
        )?;
        let mut sums = Sums::default();
        clients.iter().for_each(|c| sums.add(&c.1));
        let this_month = OwnerPeriod {
            from: start.to_string(),
            to: date.to_string(),
            figures: sums.show(true),
            shipments: clients.iter().map(|c| c.2).sum(),
        };
        let mut conn = self.store.read_conn().await?;
        let top_clients = self.owner_top(&mut conn, Table::Client, clients).await?;
        let top_products = self.owner_top(&mut conn, Table::Product, products).await?;
        drop(conn);
        // Receivables, the sum of positive balances, is the aging's total:
        // a counterparty's open debits less its unallocated credit are its
        // balance, and it keeps unallocated credit only once every debit is
        // paid — so its open debits are its balance when that is positive
        // and nothing otherwise (one pass over the ledger, not two).
        let receivables = Money::parse(&aging.totals.total).unwrap_or_default().0;
        let overdue = [
            &aging.totals.d31_60,
            &aging.totals.d61_90,
            &aging.totals.d90_plus,
        ]
        .iter()
        .map(|v| Money::parse(v).unwrap_or_default().0)
        .fold(0i64, i64::saturating_add);
        let funnel = funnel
            .overall
            .into_iter()
            .map(|s| FunnelStep {
                name_ru: s.name_ru,
                name_en: s.name_en,
                count: s.count,
                amount: Money(s.amount).to_api(),
            })
            .collect();
        Ok(OwnerPage {
            date: date.to_string(),
            this_month,
            last_month,
            last_year,
            receivables: Money(receivables).to_api(),
            overdue: Money(overdue).to_api(),
            top_clients,
            top_products,
            funnel,
        })
    }
}
