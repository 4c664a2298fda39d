//! The sales report: revenue, quantity, cost and margin for a period, rows
//! by one dimension and optionally columns by another, and the documents
//! behind any figure (drill-down).

use super::totals::{Source, Table};
use super::{scope, Figures, Scope, Sums, SUMS};
use crate::input::{lenient, Check};
use crate::{Actor, App, Result};
use chrono::NaiveDate;
use kupets_store::queries::P;
use kupets_store::sql;
use kupets_store::Conn;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// A dimension of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Counterparty,
    Product,
    Group,
    Manager,
    Department,
    Month,
}

impl Dim {
    pub const ALL: [Dim; 6] = [
        Dim::Counterparty,
        Dim::Product,
        Dim::Group,
        Dim::Manager,
        Dim::Department,
        Dim::Month,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Dim::Counterparty => "counterparty",
            Dim::Product => "product",
            Dim::Group => "group",
            Dim::Manager => "manager",
            Dim::Department => "department",
            Dim::Month => "month",
        }
    }
    pub fn parse(s: &str) -> Option<Dim> {
        Self::ALL.into_iter().find(|d| d.code() == s)
    }
    pub fn label(self, ru: bool) -> &'static str {
        match (self, ru) {
            (Dim::Counterparty, true) => "Контрагент",
            (Dim::Counterparty, false) => "Counterparty",
            (Dim::Product, true) => "Товар",
            (Dim::Product, false) => "Product",
            (Dim::Group, true) => "Группа товаров",
            (Dim::Group, false) => "Product group",
            (Dim::Manager, true) => "Менеджер",
            (Dim::Manager, false) => "Manager",
            (Dim::Department, true) => "Отдел",
            (Dim::Department, false) => "Department",
            (Dim::Month, true) => "Месяц",
            (Dim::Month, false) => "Month",
        }
    }
    /// The fact column keyed by this dimension (as text, so keys of every
    /// dimension are alike).
    pub(crate) fn column(self) -> &'static str {
        match self {
            Dim::Counterparty => "f.counterparty_id",
            Dim::Product => "f.product_id",
            Dim::Group => "f.group_id",
            Dim::Manager => "f.manager_id",
            Dim::Department => "f.department_id",
            Dim::Month => "f.month",
        }
    }
    /// The filter parameter of a drill-down for this dimension.
    pub fn filter(self) -> &'static str {
        match self {
            Dim::Counterparty => "counterparty_id",
            Dim::Product => "product_id",
            Dim::Group => "group_id",
            Dim::Manager => "manager_id",
            Dim::Department => "department_id",
            Dim::Month => "month",
        }
    }
}

/// Query of the sales report and of its drill-down.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct SalesQuery {
    /// Period start (`YYYY-MM-DD`); the first day of `to`'s month by default.
    #[serde(default, deserialize_with = "lenient")]
    pub from: Option<String>,
    /// Period end; today by default.
    #[serde(default, deserialize_with = "lenient")]
    pub to: Option<String>,
    /// Rows by: counterparty (default), product, group, manager, department, month.
    #[serde(default, deserialize_with = "lenient")]
    pub rows: Option<String>,
    /// Columns by one of the same (none: one column of totals).
    #[serde(default, deserialize_with = "lenient")]
    pub columns: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub counterparty_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub product_id: Option<String>,
    /// A product group with its whole subtree.
    #[serde(default, deserialize_with = "lenient")]
    pub group_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub manager_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub department_id: Option<String>,
    /// `YYYY-MM`.
    #[serde(default, deserialize_with = "lenient")]
    pub month: Option<String>,
    /// `json` (default) or `xlsx` (the report only).
    #[serde(default, deserialize_with = "lenient")]
    pub format: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Key {
    /// The id (a month: `YYYY-MM`; none: `""`).
    pub key: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SalesCell {
    pub column: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SalesRow {
    pub key: String,
    pub label: String,
    pub total: Figures,
    /// Only with `columns`: the non-empty cells.
    pub cells: Vec<SalesCell>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SalesReport {
    pub from: String,
    pub to: String,
    pub rows_by: String,
    pub columns_by: Option<String>,
    /// Whether cost and margin are shown to this user.
    pub cost_visible: bool,
    pub columns: Vec<Key>,
    /// Ordered by revenue, largest first (months: in order).
    pub rows: Vec<SalesRow>,
    pub column_totals: Vec<SalesCell>,
    pub total: Figures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SalesDocument {
    pub document_id: String,
    /// `shipment` or `return`.
    pub kind: String,
    pub number: String,
    pub date: String,
    pub counterparty: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// A row's key, its sums and its cells' (column key, sums).
type RowSums = (String, Sums, Vec<(String, Sums)>);

/// A checked query: the period, the dimensions and the SQL filter.
pub(crate) struct Plan {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: Dim,
    pub columns: Option<Dim>,
    /// Conditions over `f.` columns besides the period (`1 = 1`: none).
    pub filter: String,
    pub params: Vec<P>,
    /// The dimensions the filter uses.
    pub filtered: Vec<Dim>,
    pub scope: Scope,
}

impl Plan {
    /// The monthly totals that can answer it, if any.
    fn table(&self) -> Option<Table> {
        let mut dims = self.filtered.clone();
        dims.push(self.rows);
        dims.extend(self.columns);
        Table::for_dims(&dims, self.scope.manager.is_some())
    }
}

fn parse_dim(c: &mut Check, field: &str, v: &Option<String>) -> Option<Dim> {
    let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    let d = Dim::parse(s);
    if d.is_none() {
        c.err(
            field,
            "invalid",
            "Разрез: counterparty, product, group, manager, department или month",
            "Dimension: counterparty, product, group, manager, department or month",
        );
    }
    d
}

/// The ids of a group and every group below it.
pub(crate) async fn subtree(conn: &mut Conn, root: i64) -> Result<Vec<i64>> {
    let all: Vec<(i64, Option<i64>)> = sql::query_as("SELECT id, parent_id FROM product_groups")
        .fetch_all(&mut *conn)
        .await?;
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(all.iter().filter(|g| g.1 == Some(p)).map(|g| g.0));
        i += 1;
    }
    Ok(out)
}

impl App {
    pub(crate) async fn sales_plan(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        q: &SalesQuery,
    ) -> Result<Plan> {
        let scope = scope(actor)?;
        let mut c = Check::new();
        let to = c.date("to", &q.to, crate::today());
        let first = chrono::Datelike::with_day0(&to, 0).unwrap_or(to);
        let from = c.date("from", &q.from, first);
        if from > to {
            c.err(
                "from",
                "after_to",
                "Начало периода позже его конца",
                "The period starts after it ends",
            );
        }
        let rows = parse_dim(&mut c, "rows", &q.rows).unwrap_or(Dim::Counterparty);
        let columns = parse_dim(&mut c, "columns", &q.columns);
        if columns == Some(rows) {
            c.err(
                "columns",
                "same_as_rows",
                "Столбцы и строки — один разрез",
                "Columns and rows are the same dimension",
            );
        }
        let mut params = Vec::new();
        let mut filter = String::from("1 = 1");
        let mut filtered = Vec::new();
        for (field, v, dim) in [
            ("counterparty_id", &q.counterparty_id, Dim::Counterparty),
            ("product_id", &q.product_id, Dim::Product),
            ("manager_id", &q.manager_id, Dim::Manager),
            ("department_id", &q.department_id, Dim::Department),
        ] {
            if let Some(id) = c.opt_id(field, v) {
                params.push(P::from(id));
                filter += &format!(" AND {} = ${}", dim.column(), params.len());
                filtered.push(dim);
            }
        }
        if let Some(m) = q.month.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            if crate::input::parse_date(&format!("{m}-01")).is_none() || m.len() != 7 {
                c.err(
                    "month",
                    "invalid",
                    "Месяц в виде ГГГГ-ММ",
                    "A month as YYYY-MM",
                );
            }
            params.push(P::from(m));
            filter += &format!(" AND f.month = ${}", params.len());
            filtered.push(Dim::Month);
        }
        let group = c.opt_id("group_id", &q.group_id);
        c.done()?;
        if let Some(g) = group {
            let ids = subtree(conn, g).await?;
            let list = ids
                .iter()
                .map(|id| {
                    params.push(P::from(*id));
                    format!("${}", params.len())
                })
                .collect::<Vec<_>>()
                .join(", ");
            filter += &format!(" AND f.group_id IN ({list})");
            filtered.push(Dim::Group);
        }
        if let Some(m) = scope.manager {
            params.push(P::from(m));
            filter += &format!(
                " AND f.counterparty_id IN (SELECT id FROM counterparties WHERE manager_id = ${})",
                params.len()
            );
        }
        Ok(Plan {
            from,
            to,
            rows,
            columns,
            filter,
            params,
            filtered,
            scope,
        })
    }

    /// The sales report (`/api/v1/reports/sales`).
    pub async fn sales_report(&self, actor: &Actor, q: &SalesQuery) -> Result<SalesReport> {
        let mut conn = self.store.read_conn().await?;
        let mut plan = self.sales_plan(&mut conn, actor, q).await?;
        // Keys as text, so keys of every dimension are alike.
        let r = format!("CAST({} AS TEXT)", plan.rows.column());
        let c = plan.columns.map_or_else(
            || "''".to_string(),
            |d| format!("CAST({} AS TEXT)", d.column()),
        );
        let keys = [(r.as_str(), "r"), (c.as_str(), "c")];
        let source = Source {
            table: plan.table(),
            from: plan.from,
            to: plan.to,
            keys: &keys,
            filter: &plan.filter,
            shipments: false,
        }
        .union_sql(&mut plan.params, crate::today());
        let sql = format!(
            "SELECT f.r, f.c, {SUMS} FROM {source} GROUP BY f.r, f.c HAVING SUM(f.facts) > 0"
        );
        // Tens of thousands of cells: through the fast read path.
        let facts = self
            .store
            .read_rows(sql, plan.params.clone(), |f| {
                (
                    f.opt_text("r").unwrap_or_default(),
                    f.opt_text("c").unwrap_or_default(),
                    Sums::from_get(f),
                )
            })
            .await?;
        let mut rows: Vec<RowSums> = Vec::new();
        let mut at: HashMap<String, usize> = HashMap::new();
        let mut cols: HashMap<String, Sums> = HashMap::new();
        let mut total = Sums::default();
        for (r, c, s) in facts {
            total.add(&s);
            let i = *at.entry(r.clone()).or_insert_with(|| {
                rows.push((r.clone(), Sums::default(), Vec::new()));
                rows.len() - 1
            });
            rows[i].1.add(&s);
            if plan.columns.is_some() {
                rows[i].2.push((c.clone(), s));
                cols.entry(c).or_default().add(&s);
            }
        }
        let row_names = labels(&mut conn, plan.rows, rows.iter().map(|r| r.0.as_str())).await?;
        let mut col_keys: Vec<String> = cols.keys().cloned().collect();
        let col_names = match plan.columns {
            Some(d) => labels(&mut conn, d, col_keys.iter().map(String::as_str)).await?,
            None => HashMap::new(),
        };
        if plan.rows == Dim::Month {
            rows.sort_by(|a, b| a.0.cmp(&b.0));
        } else {
            rows.sort_by(|a, b| {
                b.1.revenue
                    .cmp(&a.1.revenue)
                    .then_with(|| label_of(&row_names, &a.0).cmp(&label_of(&row_names, &b.0)))
            });
        }
        if plan.columns == Some(Dim::Month) {
            col_keys.sort();
        } else {
            col_keys.sort_by(|a, b| {
                cols[b]
                    .revenue
                    .cmp(&cols[a].revenue)
                    .then_with(|| label_of(&col_names, a).cmp(&label_of(&col_names, b)))
            });
        }
        let cost = plan.scope.cost;
        Ok(SalesReport {
            from: plan.from.to_string(),
            to: plan.to.to_string(),
            rows_by: plan.rows.code().to_string(),
            columns_by: plan.columns.map(|d| d.code().to_string()),
            cost_visible: cost,
            columns: col_keys
                .iter()
                .map(|k| Key {
                    key: k.clone(),
                    label: label_of(&col_names, k),
                })
                .collect(),
            rows: rows
                .into_iter()
                .map(|(k, s, cells)| SalesRow {
                    label: label_of(&row_names, &k),
                    key: k,
                    total: s.show(cost),
                    cells: cells
                        .into_iter()
                        .map(|(c, s)| SalesCell {
                            column: c,
                            figures: s.show(cost),
                        })
                        .collect(),
                })
                .collect(),
            column_totals: col_keys
                .iter()
                .map(|k| SalesCell {
                    column: k.clone(),
                    figures: cols[k].show(cost),
                })
                .collect(),
            total: total.show(cost),
        })
    }

    /// The documents behind a figure: the same filters, one row per
    /// shipment or return, in date order.
    pub async fn sales_documents(
        &self,
        actor: &Actor,
        q: &SalesQuery,
    ) -> Result<Vec<SalesDocument>> {
        let mut conn = self.store.read_conn().await?;
        let mut plan = self.sales_plan(&mut conn, actor, q).await?;
        plan.params.push(P::from(plan.from.to_string()));
        plan.params.push(P::from(plan.to.to_string()));
        let n = plan.params.len();
        let sql = format!(
            "SELECT f.document_id, d.kind, d.number, d.doc_date, c.name, {SUMS} FROM sales_facts f \
             JOIN documents d ON d.id = f.document_id JOIN counterparties c ON c.id = f.counterparty_id \
             WHERE f.doc_date >= ${} AND f.doc_date <= ${n} AND {} GROUP BY f.document_id, d.kind, d.number, d.doc_date, c.name ORDER BY d.doc_date, f.document_id LIMIT 5000",
            n - 1,
            plan.filter
        );
        let rows = sql::query(&sql)
            .bind_all(&plan.params)
            .fetch_all(&mut conn)
            .await?;
        Ok(rows
            .iter()
            .map(|r| SalesDocument {
                document_id: r.get::<i64, _>("document_id").to_string(),
                kind: r.get("kind"),
                number: r.get("number"),
                date: r.get("doc_date"),
                counterparty: r.get("name"),
                figures: Sums::from_row(r).show(plan.scope.cost),
            })
            .collect())
    }
}

fn label_of(names: &HashMap<String, String>, key: &str) -> String {
    names.get(key).cloned().unwrap_or_else(|| {
        if key.is_empty() {
            "—".to_string()
        } else {
            key.to_string()
        }
    })
}

/// Names of the keys of a dimension (months are their own names).
pub(crate) async fn labels<'a>(
    conn: &mut Conn,
    dim: Dim,
    keys: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, String>> {
    let table = match dim {
        Dim::Counterparty => "counterparties",
        Dim::Product => "products",
        Dim::Group => "product_groups",
        Dim::Manager => "employees",
        Dim::Department => "departments",
        Dim::Month => return Ok(keys.map(|k| (k.to_string(), k.to_string())).collect()),
    };
    let ids: Vec<i64> = keys.filter_map(|k| k.parse().ok()).collect();
    let mut out = HashMap::new();
    // In chunks: a list of thousands of clients stays within the engines'
    // parameter limits.
    for chunk in ids.chunks(900) {
        let params: Vec<P> = chunk.iter().map(|i| P::from(*i)).collect();
        let rows: Vec<(i64, String)> = sql::query_as(&format!(
            "SELECT id, name FROM {table} WHERE id IN ({})",
            kupets_store::queries::placeholders(1, chunk.len())
        ))
        .bind_all(&params)
        .fetch_all(&mut *conn)
        .await?;
        out.extend(rows.into_iter().map(|(i, n)| (i.to_string(), n)));
    }
    Ok(out)
}
