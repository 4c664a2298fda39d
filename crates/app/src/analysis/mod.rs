//! Sales and margin analysis (issue 13): the sales report, ABC, quiet
//! regular clients and the owner's page. The facts are `sales_facts` —
//! one row per posted shipment or customer return line (returns negative),
//! written by posting in one statement and removed when the document is
//! cancelled. Posting and cancelling also keep monthly totals of them
//! (`totals`: per client and month, per product and month), which the
//! reports read for the whole months of a period, falling back to the
//! facts for what the totals cannot answer; quiet clients read
//! `purchase_days`.
//!
//! Rights: heads, admins and accountants see cost and margin (`SeeCost`);
//! a manager sees revenue of the clients they manage and nothing of cost;
//! other roles see none of it.

pub mod abc;
pub mod owner;
pub mod quiet;
pub mod sales;
pub(crate) mod totals;

use crate::{Actor, AppError, Result};
use kupets_domain::role::Right;
use kupets_domain::{Money, Percent};
use serde::Serialize;
use utoipa::ToSchema;

/// What the actor may see of the analysis.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope {
    /// Cost and margin are shown.
    pub cost: bool,
    /// Only the clients this manager manages.
    pub manager: Option<i64>,
}

pub(crate) fn scope(actor: &Actor) -> Result<Scope> {
    if actor.can(Right::SeeCost) {
        Ok(Scope {
            cost: true,
            manager: None,
        })
    } else if actor.can(Right::Sell) {
        Ok(Scope {
            cost: false,
            manager: Some(actor.id()),
        })
    } else {
        Err(AppError::Forbidden {
            role: actor.role.code().to_string(),
        })
    }
}

/// Sums of facts, in kopecks and thousandths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sums {
    pub qty: i64,
    pub revenue: i64,
    pub revenue_net: i64,
    pub cost: i64,
}

impl Sums {
    pub fn add(&mut self, o: &Sums) {
        self.qty = self.qty.saturating_add(o.qty);
        self.revenue = self.revenue.saturating_add(o.revenue);
        self.revenue_net = self.revenue_net.saturating_add(o.revenue_net);
        self.cost = self.cost.saturating_add(o.cost);
    }
    pub fn from_row(r: &kupets_store::sql::Row) -> Sums {
        Sums {
            qty: r.get("qty"),
            revenue: r.get("revenue"),
            revenue_net: r.get("revenue_net"),
            cost: r.get("cost"),
        }
    }
    /// The sums of a row read through the store's fast read path.
    pub fn from_get(r: &dyn kupets_store::model::RowGet) -> Sums {
        Sums {
            qty: r.int("qty"),
            revenue: r.int("revenue"),
            revenue_net: r.int("revenue_net"),
            cost: r.int("cost"),
        }
    }
    pub fn margin(&self) -> i64 {
        self.revenue_net.saturating_sub(self.cost)
    }
    /// The figures as the API shows them; cost and margin only when seen.
    pub fn show(&self, cost: bool) -> Figures {
        Figures {
            qty: kupets_domain::Qty(self.qty).to_api(),
            revenue: Money(self.revenue).to_api(),
            revenue_net: Money(self.revenue_net).to_api(),
            cost: cost.then(|| Money(self.cost).to_api()),
            margin: cost.then(|| Money(self.margin()).to_api()),
            margin_pct: cost.then(|| margin_pct(self.margin(), self.revenue_net)),
        }
    }
}

/// Margin as a percentage of revenue without VAT, to 2 decimals (half away
/// from zero); 0 without revenue.
pub(crate) fn margin_pct(margin: i64, revenue_net: i64) -> String {
    if revenue_net == 0 {
        return Percent(0).to_api();
    }
    let p = kupets_domain::money::div_round(i128::from(margin) * 10_000, i128::from(revenue_net));
    Percent(kupets_domain::money::clamp_i64(p)).to_api()
}

/// The sums the SQL of every analysis selects.
pub(crate) const SUMS: &str = "CAST(COALESCE(SUM(f.qty), 0) AS BIGINT) AS qty, CAST(COALESCE(SUM(f.revenue), 0) AS BIGINT) AS revenue, CAST(COALESCE(SUM(f.revenue_net), 0) AS BIGINT) AS revenue_net, CAST(COALESCE(SUM(f.cost), 0) AS BIGINT) AS cost";

/// Figures of a cell, a row or a total.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Figures {
    #[schema(example = "3")]
    pub qty: String,
    /// Revenue with VAT, returns subtracted.
    #[schema(example = "24607.80")]
    pub revenue: String,
    /// Revenue without VAT.
    pub revenue_net: String,
    /// Cost of goods (heads, admins, accountants).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<String>,
    /// Revenue without VAT less cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin: Option<String>,
    /// Margin as % of revenue without VAT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub margin_pct: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_percent() {
        assert_eq!(margin_pct(1, 3), "33.33");
        assert_eq!(margin_pct(2, 3), "66.67");
        assert_eq!(margin_pct(-1, 3), "-33.33");
        assert_eq!(margin_pct(5, 0), "0");
    }
}

/// A product's moving average as it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductCost {
    pub product_id: String,
    pub name: String,
    /// Quantity on hand, all warehouses.
    pub qty: String,
    /// Its value net of VAT.
    pub value: String,
    /// The unit cost new issues take.
    pub unit_cost: String,
}

impl crate::App {
    /// Average costs of products (heads, admins, accountants).
    pub async fn product_costs(
        &self,
        actor: &Actor,
        product: Option<i64>,
    ) -> Result<Vec<ProductCost>> {
        actor.require(Right::SeeCost)?;
        let rows: Vec<(i64, String, i64, i64, i64)> = kupets_store::sql::query_as(
            "SELECT c.product_id, p.name, c.qty, c.value, c.unit_cost FROM product_costs c JOIN products p ON p.id = c.product_id \
             WHERE ($1 = 0 OR c.product_id = $1) ORDER BY p.name, c.product_id",
        )
        .bind(product.unwrap_or(0))
        .fetch_all(self.store.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, qty, value, unit)| ProductCost {
                product_id: id.to_string(),
                name,
                qty: kupets_domain::Qty(qty).to_api(),
                value: Money(value).to_api(),
                unit_cost: Money(unit).to_api(),
            })
            .collect())
    }
}
