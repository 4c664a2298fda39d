//! Pricing: the discount rules, the quote and net purchases.
//!
//! A quote gathers, for one counterparty and date, everything the rules need
//! in a fixed number of queries whatever the number of lines (prices of all
//! products at once, the group ancestors in one recursive query, net
//! purchases from the per-day totals in `purchase_days`), then lets
//! `kupets_domain::pricing` decide each line. Sales orders and shipments
//! without an order are priced by the same code inside their transaction.

use crate::discount_scale::rule_scale;
use crate::input::{lenient, Check};
use crate::people::check_ref;
use crate::{today, Actor, App, AppError, Result};
use chrono::{Duration, NaiveDate};
use kupets_domain::money::date_ru;
use kupets_domain::pricing::{
    cumulative_tier, price_line, Candidate, LineFacts, PricedLine, PricingError, RuleKind,
};
use kupets_domain::role::Right;
use kupets_domain::{FieldError, Money, Percent, Qty, VatRate};
use kupets_store::model::ser;
use kupets_store::queries::{self, audit, bind_all, placeholders, P};
use kupets_store::sql;
use kupets_store::{now, Conn};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

// ---------------------------------------------------------------- rules

/// A personal discount: a client's percentage on a product group and every
/// group below it (no group: every product).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonalDiscount {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub counterparty_id: i64,
    pub counterparty_name: String,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub group_id: Option<i64>,
    pub group_name: Option<String>,
    #[serde(serialize_with = "ser::percent")]
    #[schema(value_type = String, example = "5")]
    pub pct: i64,
    pub archived: bool,
}

/// A cumulative threshold: net purchases of at least `amount` give `pct`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CumulativeThreshold {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "ser::money")]
    #[schema(value_type = String, example = "500000.00")]
    pub amount: i64,
    #[serde(serialize_with = "ser::percent")]
    #[schema(value_type = String, example = "7")]
    pub pct: i64,
    pub archived: bool,
    /// The cumulative scale it belongs to.
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub scale_id: i64,
    pub scale_name: String,
}

/// A volume-maintenance rule: net purchases of at least `amount` over the
/// `days` days before the document's date give `pct`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VolumeRule {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    pub days: i64,
    #[serde(serialize_with = "ser::money")]
    #[schema(value_type = String, example = "200000.00")]
    pub amount: i64,
    #[serde(serialize_with = "ser::percent")]
    #[schema(value_type = String, example = "4")]
    pub pct: i64,
    pub archived: bool,
    /// The volume-maintenance rule set it belongs to.
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub scale_id: i64,
    pub scale_name: String,
}

/// A promotion: from–to (both days included), on all products, a group (and
/// its subtree) or one product; optionally only for some price types.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Promotion {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
    pub date_from: String,
    pub date_to: String,
    /// `all`, `group` or `product`.
    pub scope: String,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub group_id: Option<i64>,
    pub group_name: Option<String>,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub product_id: Option<i64>,
    pub product_name: Option<String>,
    #[serde(serialize_with = "ser::percent")]
    #[schema(value_type = String, example = "6")]
    pub pct: i64,
    /// Empty: every price type.
    #[schema(value_type = Vec<String>)]
    pub price_type_ids: Vec<String>,
    pub archived: bool,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PersonalDiscountInput {
    #[serde(default, deserialize_with = "lenient")]
    pub counterparty_id: Option<String>,
    /// Empty: every product.
    #[serde(default, deserialize_with = "lenient")]
    pub group_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub pct: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ThresholdInput {
    /// The cumulative scale; empty: the default one.
    #[serde(default, deserialize_with = "lenient")]
    pub scale_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub amount: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub pct: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct VolumeRuleInput {
    /// The volume-maintenance rule set; empty: the default one.
    #[serde(default, deserialize_with = "lenient")]
    pub scale_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub days: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub amount: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub pct: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PromotionInput {
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub date_from: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub date_to: Option<String>,
    /// `all` (default), `group` or `product`.
    #[serde(default, deserialize_with = "lenient")]
    pub scope: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub group_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub product_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub pct: Option<String>,
    /// Only clients of these price types (a client without one counts as
    /// retail); empty: everyone.
    #[serde(default)]
    pub price_type_ids: Vec<String>,
}

/// A required percentage, 0–100 with at most 2 decimals.
fn req_pct(c: &mut Check, field: &str, v: &Option<String>) -> i64 {
    if v.as_deref().map(str::trim).unwrap_or("").is_empty() {
        c.add(FieldError::required(field));
        return 0;
    }
    c.percent(field, v)
}

fn positive_money(c: &mut Check, field: &str, v: &Option<String>) -> i64 {
    let m = c.money(field, v);
    if m < 0 {
        c.err(
            field,
            "negative",
            "Сумма не может быть отрицательной",
            "An amount cannot be negative",
        );
    }
    m
}

const PERSONAL_SQL: &str = "SELECT d.id, d.counterparty_id, c.name AS counterparty_name, d.group_id, g.name AS group_name, d.pct, d.archived \
     FROM personal_discounts d JOIN counterparties c ON c.id = d.counterparty_id LEFT JOIN product_groups g ON g.id = d.group_id";
const PROMO_SQL: &str = "SELECT r.id, r.name, r.date_from, r.date_to, r.scope, r.group_id, g.name AS group_name, r.product_id, p.name AS product_name, r.pct, r.archived \
     FROM promotions r LEFT JOIN product_groups g ON g.id = r.group_id LEFT JOIN products p ON p.id = r.product_id";

const THRESHOLD_SQL: &str =
    "SELECT r.id, r.amount, r.pct, r.archived, r.scale_id, s.name AS scale_name \
     FROM cumulative_thresholds r JOIN discount_scales s ON s.id = r.scale_id";
const VOLUME_SQL: &str =
    "SELECT r.id, r.days, r.amount, r.pct, r.archived, r.scale_id, s.name AS scale_name \
     FROM volume_rules r JOIN discount_scales s ON s.id = r.scale_id";

fn threshold_row(r: &sql::Row) -> CumulativeThreshold {
    CumulativeThreshold {
        id: r.get("id"),
        amount: r.get("amount"),
        pct: r.get("pct"),
        archived: r.get::<i64, _>("archived") != 0,
        scale_id: r.get("scale_id"),
        scale_name: r.get("scale_name"),
    }
}

fn volume_row(r: &sql::Row) -> VolumeRule {
    VolumeRule {
        id: r.get("id"),
        days: r.get("days"),
        amount: r.get("amount"),
        pct: r.get("pct"),
        archived: r.get::<i64, _>("archived") != 0,
        scale_id: r.get("scale_id"),
        scale_name: r.get("scale_name"),
    }
}

fn personal_row(r: &sql::Row) -> PersonalDiscount {
    PersonalDiscount {
        id: r.get("id"),
        counterparty_id: r.get("counterparty_id"),
        counterparty_name: r.get("counterparty_name"),
        group_id: r.get("group_id"),
        group_name: r.get("group_name"),
        pct: r.get("pct"),
        archived: r.get::<i64, _>("archived") != 0,
    }
}

fn promo_row(r: &sql::Row) -> Promotion {
    Promotion {
        id: r.get("id"),
        name: r.get("name"),
        date_from: r.get("date_from"),
        date_to: r.get("date_to"),
        scope: r.get("scope"),
        group_id: r.get("group_id"),
        group_name: r.get("group_name"),
        product_id: r.get("product_id"),
        product_name: r.get("product_name"),
        pct: r.get("pct"),
        price_type_ids: Vec::new(),
        archived: r.get::<i64, _>("archived") != 0,
    }
}

/// The rule tables, for the shared archive path.
#[derive(Debug, Clone, Copy)]
pub enum RuleTable {
    Personal,
    Cumulative,
    Volume,
    Promotion,
}

impl RuleTable {
    fn table(self) -> &'static str {
        match self {
            RuleTable::Personal => "personal_discounts",
            RuleTable::Cumulative => "cumulative_thresholds",
            RuleTable::Volume => "volume_rules",
            RuleTable::Promotion => "promotions",
        }
    }
}

impl App {
    /// Personal discounts, optionally of one counterparty; archived ones only
    /// when asked. Ordered by counterparty, then id; `after` is the last id
    /// shown when paging through one counterparty's rules is not enough.
    pub async fn list_personal_discounts(
        &self,
        _actor: &Actor,
        counterparty_id: Option<i64>,
        archived: bool,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<PersonalDiscount>> {
        let mut sql = format!("{PERSONAL_SQL} WHERE d.archived = $1 AND d.id > $2");
        let mut params = vec![P::from(archived), P::from(after.unwrap_or(0))];
        if let Some(cp) = counterparty_id {
            sql.push_str(" AND d.counterparty_id = $3");
            params.push(P::from(cp));
        }
        sql.push_str(&format!(" ORDER BY d.id LIMIT {}", limit.clamp(1, 500)));
        let rows = bind_all(sql::query(&sql), &params)
            .fetch_all(self.store.reader())
            .await?;
        Ok(rows.iter().map(personal_row).collect())
    }

    pub async fn save_personal_discount(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: &PersonalDiscountInput,
    ) -> Result<PersonalDiscount> {
        actor.require(Right::ManagePricing)?;
        write_tx!(self, [actor, input], |app, tx| {
            let mut c = Check::new();
            let cp = c.id("counterparty_id", &input.counterparty_id);
            if cp != 0 {
                check_ref(
                    &mut c,
                    &mut tx,
                    "counterparty_id",
                    "counterparties",
                    Some(cp),
                )
                .await?;
            }
            let group = c.opt_id("group_id", &input.group_id);
            check_ref(&mut c, &mut tx, "group_id", "product_groups", group).await?;
            let pct = req_pct(&mut c, "pct", &input.pct);
            c.done()?;
            let cols = vec![
                ("counterparty_id", P::from(cp)),
                ("group_id", P::from(group)),
                ("pct", P::from(pct)),
            ];
            let id = write_rule(&mut tx, actor, RuleTable::Personal, id, cols).await?;
            let r = sql::query(&format!("{PERSONAL_SQL} WHERE d.id = $1"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            Ok(personal_row(&r))
        })
    }

    /// Cumulative thresholds, of one scale or all, by scale and amount.
    pub async fn list_thresholds(
        &self,
        _actor: &Actor,
        archived: bool,
        scale: Option<i64>,
    ) -> Result<Vec<CumulativeThreshold>> {
        let rows = sql::query(&format!(
            "{THRESHOLD_SQL} WHERE r.archived = $1 AND ($2 = 0 OR r.scale_id = $2) ORDER BY s.name, r.scale_id, r.amount, r.id"
        ))
        .bind(archived as i64)
        .bind(scale.unwrap_or(0))
        .fetch_all(self.store.reader())
        .await?;
        Ok(rows.iter().map(threshold_row).collect())
    }

    pub async fn save_threshold(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: &ThresholdInput,
    ) -> Result<CumulativeThreshold> {
        actor.require(Right::ManagePricing)?;
        let mut c = Check::new();
        let amount = positive_money(&mut c, "amount", &input.amount);
        let pct = req_pct(&mut c, "pct", &input.pct);
        write_tx!(self, [actor, input], own[c], |app, tx| {
            let scale = rule_scale(&mut c, &mut tx, "cumulative", &input.scale_id).await?;
            if scale != 0 && c.errors.iter().all(|e| e.field != "amount") {
                // Two thresholds of one amount would leave the tier undecided.
                let same: Option<i64> = sql::query_scalar(
                "SELECT pct FROM cumulative_thresholds WHERE scale_id = $1 AND amount = $2 AND archived = 0 AND id <> $3",
            )
            .bind(scale)
            .bind(amount)
            .bind(id.unwrap_or(0))
            .fetch_optional(&mut *tx)
            .await?;
                if let Some(p) = same {
                    c.err(
                        "amount",
                        "duplicate_threshold",
                        format!(
                            "На этой шкале уже есть порог {} ({} %)",
                            Money(amount).to_ru(),
                            Percent(p)
                        ),
                        format!(
                            "This scale already has a threshold of {} ({} %)",
                            Money(amount).to_api(),
                            Percent(p)
                        ),
                    );
                }
            }
            c.done()?;
            let cols = vec![
                ("scale_id", P::from(scale)),
                ("amount", P::from(amount)),
                ("pct", P::from(pct)),
            ];
            let id = write_rule(&mut tx, actor, RuleTable::Cumulative, id, cols).await?;
            let r = sql::query(&format!("{THRESHOLD_SQL} WHERE r.id = $1"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            Ok(threshold_row(&r))
        })
    }

    /// Volume-maintenance rules, of one set or all.
    pub async fn list_volume_rules(
        &self,
        _actor: &Actor,
        archived: bool,
        scale: Option<i64>,
    ) -> Result<Vec<VolumeRule>> {
        let rows = sql::query(&format!(
            "{VOLUME_SQL} WHERE r.archived = $1 AND ($2 = 0 OR r.scale_id = $2) ORDER BY s.name, r.scale_id, r.days, r.amount, r.id"
        ))
        .bind(archived as i64)
        .bind(scale.unwrap_or(0))
        .fetch_all(self.store.reader())
        .await?;
        Ok(rows.iter().map(volume_row).collect())
    }

    pub async fn save_volume_rule(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: &VolumeRuleInput,
    ) -> Result<VolumeRule> {
        actor.require(Right::ManagePricing)?;
        let mut c = Check::new();
        let days = match input
            .days
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => {
                c.add(FieldError::required("days"));
                0
            }
            Some(s) => match s.parse::<i64>() {
                Ok(d) if (1..=3660).contains(&d) => d,
                _ => {
                    c.err(
                        "days",
                        "invalid_days",
                        "Число дней от 1 до 3660",
                        "A number of days from 1 to 3660",
                    );
                    0
                }
            },
        };
        let amount = positive_money(&mut c, "amount", &input.amount);
        let pct = req_pct(&mut c, "pct", &input.pct);
        write_tx!(self, [actor, input], own[c], |app, tx| {
            let scale = rule_scale(&mut c, &mut tx, "volume", &input.scale_id).await?;
            c.done()?;
            let cols = vec![
                ("scale_id", P::from(scale)),
                ("days", P::from(days)),
                ("amount", P::from(amount)),
                ("pct", P::from(pct)),
            ];
            let id = write_rule(&mut tx, actor, RuleTable::Volume, id, cols).await?;
            let r = sql::query(&format!("{VOLUME_SQL} WHERE r.id = $1"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            Ok(volume_row(&r))
        })
    }

    /// Promotions, newest end date first; `on` keeps those running that day.
    pub async fn list_promotions(
        &self,
        _actor: &Actor,
        archived: bool,
        on: Option<NaiveDate>,
    ) -> Result<Vec<Promotion>> {
        let mut sql = format!("{PROMO_SQL} WHERE r.archived = $1");
        let mut params = vec![P::from(archived)];
        if let Some(d) = on {
            sql.push_str(" AND r.date_from <= $2 AND r.date_to >= $2");
            params.push(P::from(d.to_string()));
        }
        sql.push_str(" ORDER BY r.date_to DESC, r.id DESC LIMIT 500");
        let mut conn = self.store.read_conn().await?;
        let rows = bind_all(sql::query(&sql), &params)
            .fetch_all(&mut *conn)
            .await?;
        let mut out: Vec<Promotion> = rows.iter().map(promo_row).collect();
        fill_promo_types(&mut conn, &mut out).await?;
        Ok(out)
    }

    pub async fn get_promotion(&self, _actor: &Actor, id: i64) -> Result<Promotion> {
        let mut conn = self.store.read_conn().await?;
        load_promotion(&mut conn, id).await
    }

    pub async fn save_promotion(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: &PromotionInput,
    ) -> Result<Promotion> {
        actor.require(Right::ManagePricing)?;
        write_tx!(self, [actor, input], |app, tx| {
            let mut c = Check::new();
            let name = c.text("name", &input.name, 200);
            let from = if input.date_from.as_deref().unwrap_or("").trim().is_empty() {
                c.add(FieldError::required("date_from"));
                today()
            } else {
                c.date("date_from", &input.date_from, today())
            };
            let to = if input.date_to.as_deref().unwrap_or("").trim().is_empty() {
                c.add(FieldError::required("date_to"));
                today()
            } else {
                c.date("date_to", &input.date_to, today())
            };
            if to < from {
                c.err(
                    "date_to",
                    "before_start",
                    "Окончание акции раньше её начала",
                    "The promotion ends before it starts",
                );
            }
            let scope = input
                .scope
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .unwrap_or("all")
                .to_string();
            let (mut group, mut product) = (None, None);
            match scope.as_str() {
                "all" => {}
                "group" => {
                    group = Some(c.id("group_id", &input.group_id)).filter(|g| *g != 0);
                    check_ref(&mut c, &mut tx, "group_id", "product_groups", group).await?;
                }
                "product" => {
                    product = Some(c.id("product_id", &input.product_id)).filter(|p| *p != 0);
                    check_ref(&mut c, &mut tx, "product_id", "products", product).await?;
                }
                _ => c.err(
                    "scope",
                    "invalid_scope",
                    "Область акции: all (все товары), group (группа) или product (товар)",
                    "Scope is all, group or product",
                ),
            }
            let pct = req_pct(&mut c, "pct", &input.pct);
            let mut types = Vec::new();
            for (i, t) in input.price_type_ids.iter().enumerate() {
                let field = format!("price_type_ids[{i}]");
                if let Some(t) = c.opt_id(&field, &Some(t.clone())) {
                    check_ref(&mut c, &mut tx, &field, "price_types", Some(t)).await?;
                    if !types.contains(&t) {
                        types.push(t);
                    }
                }
            }
            c.done()?;
            let cols = vec![
                ("name", P::from(name)),
                ("date_from", P::from(from.to_string())),
                ("date_to", P::from(to.to_string())),
                ("scope", P::from(scope)),
                ("group_id", P::from(group)),
                ("product_id", P::from(product)),
                ("pct", P::from(pct)),
            ];
            let id = write_rule(&mut tx, actor, RuleTable::Promotion, id, cols).await?;
            sql::query("DELETE FROM promotion_price_types WHERE promotion_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for t in types {
                sql::query(
                    "INSERT INTO promotion_price_types (promotion_id, price_type_id) VALUES ($1, $2)",
                )
                .bind(id)
                .bind(t)
                .execute(&mut *tx)
                .await?;
            }
            let p = load_promotion(&mut tx, id).await?;
            Ok(p)
        })
    }

    /// Archives a rule: it stops applying; documents keep how it counted.
    pub async fn archive_rule(&self, actor: &Actor, table: RuleTable, id: i64) -> Result<()> {
        actor.require(Right::ManagePricing)?;
        write_tx!(self, [actor, table], |app, tx| {
            let n = sql::query(&format!(
                "UPDATE {} SET archived = 1 WHERE id = $1",
                table.table()
            ))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(AppError::NotFound { entity: "rule" });
            }
            audit(&mut tx, Some(actor.id()), "archive", table.table(), id, "").await?;
            Ok(())
        })
    }
}

/// Inserts (`id` None) or replaces a rule, with its audit record.
async fn write_rule(
    tx: &mut kupets_store::Conn,
    actor: &Actor,
    table: RuleTable,
    id: Option<i64>,
    cols: Vec<(&'static str, P)>,
) -> Result<i64> {
    let details = cols
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ");
    let id = match id {
        Some(id) => {
            if !crate::people::exists(tx, table.table(), id).await? {
                return Err(AppError::NotFound { entity: "rule" });
            }
            queries::update(tx, table.table(), id, &cols).await?;
            audit(tx, Some(actor.id()), "update", table.table(), id, &details).await?;
            id
        }
        None => {
            let mut cols = cols;
            cols.push(("created_at", P::from(now())));
            let id = queries::insert(tx, table.table(), &cols).await?;
            audit(tx, Some(actor.id()), "create", table.table(), id, &details).await?;
            id
        }
    };
    Ok(id)
}

async fn load_promotion(conn: &mut Conn, id: i64) -> Result<Promotion> {
    let r = sql::query(&format!("{PROMO_SQL} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound {
            entity: "promotion",
        })?;
    let mut v = vec![promo_row(&r)];
    fill_promo_types(conn, &mut v).await?;
    Ok(v.remove(0))
}

async fn fill_promo_types(conn: &mut Conn, promos: &mut [Promotion]) -> Result<()> {
    if promos.is_empty() {
        return Ok(());
    }
    let ids: Vec<P> = promos.iter().map(|p| P::from(p.id)).collect();
    let sql = format!(
        "SELECT promotion_id, price_type_id FROM promotion_price_types WHERE promotion_id IN ({}) ORDER BY price_type_id",
        placeholders(1, ids.len())
    );
    let rows = bind_all(sql::query(&sql), &ids)
        .fetch_all(&mut *conn)
        .await?;
    for r in rows {
        let pid: i64 = r.get("promotion_id");
        if let Some(p) = promos.iter_mut().find(|p| p.id == pid) {
            p.price_type_ids
                .push(r.get::<i64, _>("price_type_id").to_string());
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- net purchases

/// Adds a posted (or, with `sign` −1, cancelled) shipment or customer return
/// to the customer's net purchases on the document's date.
pub(crate) async fn record_purchase(
    conn: &mut Conn,
    counterparty_id: i64,
    date: &str,
    amount: i64,
) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    sql::query(
        "INSERT INTO purchase_days (counterparty_id, day, amount) VALUES ($1, $2, $3) \
         ON CONFLICT (counterparty_id, day) DO UPDATE SET amount = purchase_days.amount + excluded.amount",
    )
    .bind(counterparty_id)
    .bind(date)
    .bind(amount)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- quote

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct QuoteLineInput {
    #[serde(default, deserialize_with = "lenient")]
    pub product_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub qty: Option<String>,
    /// The author's special discount, % on top of the automatic price.
    #[serde(default, deserialize_with = "lenient")]
    pub special_discount: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct QuoteInput {
    /// Empty: a one-off retail buyer (retail prices, promotions only).
    #[serde(default, deserialize_with = "lenient")]
    pub counterparty_id: Option<String>,
    /// Default: today.
    #[serde(default, deserialize_with = "lenient")]
    pub date: Option<String>,
    /// Whose special-discount limit applies; default: the caller.
    #[serde(default, deserialize_with = "lenient")]
    pub author_id: Option<String>,
    #[serde(default)]
    pub lines: Vec<QuoteLineInput>,
}

/// One rule considered for a line.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CandidateView {
    /// `personal`, `cumulative`, `volume`, `promotion`.
    pub kind: String,
    #[schema(value_type = String)]
    pub rule_id: String,
    #[schema(value_type = String, example = "7")]
    pub pct: String,
    pub applies: bool,
    pub won: bool,
    pub why_ru: String,
    pub why_en: String,
}

impl CandidateView {
    fn of(c: &Candidate, won: bool) -> CandidateView {
        CandidateView {
            kind: c.kind.code().to_string(),
            rule_id: c.rule_id.to_string(),
            pct: Percent(c.pct).to_api(),
            applies: c.applies,
            won,
            why_ru: c.why_ru.clone(),
            why_en: c.why_en.clone(),
        }
    }
}

/// A priced line of a quote.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuoteLine {
    pub line_no: i64,
    #[schema(value_type = String)]
    pub product_id: String,
    pub product_name: String,
    pub sku: String,
    #[schema(value_type = String, example = "3")]
    pub qty: String,
    #[schema(value_type = String, example = "10000.00")]
    pub retail_price: String,
    #[schema(value_type = String, example = "9000.00")]
    pub base_price: String,
    /// The price type the base price came from (`retail` when the client has
    /// none or the product has no price of that type).
    pub base_price_type: String,
    #[schema(value_type = String, example = "7")]
    pub auto_pct: String,
    #[schema(value_type = String, example = "8370.00")]
    pub auto_price: String,
    #[schema(value_type = String, example = "2")]
    pub special_pct: String,
    #[schema(value_type = String, example = "8202.60")]
    pub final_price: String,
    /// Retail − final, per unit.
    #[schema(value_type = String, example = "1797.40")]
    pub discount: String,
    #[schema(value_type = String, example = "17.97")]
    pub discount_pct: String,
    #[schema(value_type = String, example = "24607.80")]
    pub amount: String,
    pub vat_rate: String,
    #[schema(value_type = String)]
    pub vat: String,
    /// The rule that won; null when no automatic discount applies.
    pub rule: Option<CandidateView>,
    /// Applicable rules that lost to a higher (or earlier, on a tie) one.
    pub lost: Vec<CandidateView>,
    /// Rules considered whose condition does not hold, with the figures.
    pub not_applicable: Vec<CandidateView>,
}

/// A quote: nothing is saved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Quote {
    #[schema(value_type = Option<String>)]
    pub counterparty_id: Option<String>,
    pub counterparty_name: Option<String>,
    /// The client's price type code; `retail` when it has none.
    pub price_type: String,
    /// Its name; null for retail by default.
    pub price_type_name: Option<String>,
    pub date: String,
    #[schema(value_type = String)]
    pub author_id: String,
    #[schema(value_type = String, example = "5")]
    pub author_limit: String,
    /// Net purchases (shipments − returns) dated before `date`.
    #[schema(value_type = String)]
    pub net_purchases: String,
    /// The cumulative scale that applies to the client (given or default);
    /// null: none.
    pub cumulative_scale: Option<String>,
    /// The volume-maintenance rule set that applies; null: none.
    pub volume_scale: Option<String>,
    pub lines: Vec<QuoteLine>,
    #[schema(value_type = String)]
    pub total_retail: String,
    #[schema(value_type = String)]
    pub total_discount: String,
    #[schema(value_type = String)]
    pub total_amount: String,
    #[schema(value_type = String)]
    pub total_vat: String,
}

/// What pricing needs to know about the client on the date.
struct ClientFacts {
    retail_type: i64,
    /// The author's special-discount limit; `None`: no such employee.
    limit: Option<i64>,
    /// False when a counterparty was asked for and does not exist.
    found: bool,
    name: Option<String>,
    /// id, code, name.
    price_type: Option<(i64, String, String)>,
    personal: Vec<(i64, Option<i64>, String, i64)>,
    tier: Option<(i64, Money, i64)>,
    lowest_threshold: Option<(i64, Money, i64)>,
    net: Money,
    volume: Vec<(i64, i64, Money, i64, Money)>,
    promos: Vec<(Promotion, Vec<i64>)>,
    /// The cumulative scale and volume set that apply: (id, name).
    cumulative_scale: Option<(i64, String)>,
    volume_scale: Option<(i64, String)>,
}

/// A product as pricing sees it.
#[derive(Debug, Clone)]
pub(crate) struct ProductFacts {
    pub name: String,
    pub sku: String,
    pub vat: String,
    group: Option<i64>,
    retail: Option<Money>,
    typed: Option<Money>,
}

/// A line to price: product, quantity, special discount.
pub(crate) struct ToPrice {
    /// The line's index in the request, for field names.
    pub index: usize,
    pub product: i64,
    pub qty: i64,
    pub special: i64,
}

/// The outcome for one line, ready to be written to a document line.
pub(crate) struct Priced {
    pub line: PricedLine,
    pub product: ProductFacts,
    pub base_type: String,
}

impl Priced {
    /// Every candidate considered, the winner marked.
    fn views(&self) -> Vec<CandidateView> {
        self.line
            .candidates
            .iter()
            .enumerate()
            .map(|(i, c)| CandidateView::of(c, Some(i) == self.line.winner))
            .collect()
    }

    /// The explanation kept with a document line: every candidate.
    pub fn explanation(&self) -> String {
        serde_json::json!({ "base_price_type": self.base_type, "candidates": self.views() })
            .to_string()
    }
}

/// Loads the client's facts in five queries whatever the number of rules:
/// the head row (retail type, author's limit, client and its price type),
/// personal rules, the cumulative and volume rules together, one pass over
/// the client's day totals for the net purchases and every volume window,
/// and the running promotions with their price types.
async fn client_facts(
    conn: &mut Conn,
    cp: Option<i64>,
    author: i64,
    date: NaiveDate,
) -> Result<ClientFacts> {
    let d = date.to_string();
    // The scales: the one given, else the default named by the setting
    // (0 given: withheld, no such scale); archived scales do not apply.
    let head = sql::query(
        "SELECT (SELECT id FROM price_types WHERE code = 'retail') AS retail, \
                (SELECT discount_limit FROM employees WHERE id = $1) AS lim, \
                c.id AS cp, c.name AS cp_name, c.price_type_id, t.code AS pt_code, t.name AS pt_name, \
                cs.id AS cs_id, cs.name AS cs_name, vs.id AS vs_id, vs.name AS vs_name \
         FROM (SELECT 1 AS one) AS one \
         LEFT JOIN counterparties c ON c.id = $2 \
         LEFT JOIN price_types t ON t.id = c.price_type_id \
         LEFT JOIN discount_scales cs ON cs.archived = 0 AND cs.kind = 'cumulative' AND cs.id = COALESCE(c.cumulative_scale_id, \
              (SELECT CAST(value AS BIGINT) FROM settings WHERE key = 'default_cumulative_scale' AND value <> '')) \
         LEFT JOIN discount_scales vs ON vs.archived = 0 AND vs.kind = 'volume' AND vs.id = COALESCE(c.volume_scale_id, \
              (SELECT CAST(value AS BIGINT) FROM settings WHERE key = 'default_volume_scale' AND value <> ''))",
    )
    .bind(author)
    .bind(cp)
    .fetch_one(&mut *conn)
    .await?;
    let mut f = ClientFacts {
        retail_type: head.get::<Option<i64>, _>("retail").unwrap_or(0),
        limit: head.get("lim"),
        found: cp.is_none() || head.get::<Option<i64>, _>("cp").is_some(),
        name: head.get("cp_name"),
        price_type: None,
        personal: Vec::new(),
        tier: None,
        lowest_threshold: None,
        net: Money::ZERO,
        volume: Vec::new(),
        promos: Vec::new(),
        cumulative_scale: None,
        volume_scale: None,
    };
    if cp.is_some() && f.found {
        f.cumulative_scale = head
            .get::<Option<i64>, _>("cs_id")
            .zip(head.get::<Option<String>, _>("cs_name"));
        f.volume_scale = head
            .get::<Option<i64>, _>("vs_id")
            .zip(head.get::<Option<String>, _>("vs_name"));
    }
    if let (Some(pt), Some(code), Some(name)) = (
        head.get::<Option<i64>, _>("price_type_id"),
        head.get::<Option<String>, _>("pt_code"),
        head.get::<Option<String>, _>("pt_name"),
    ) {
        f.price_type = Some((pt, code, name));
    }
    if let (Some(cp), true) = (cp, f.found) {
        let rows = sql::query("SELECT d.id, d.group_id, g.name, d.pct FROM personal_discounts d LEFT JOIN product_groups g ON g.id = d.group_id WHERE d.counterparty_id = $1 AND d.archived = 0 ORDER BY d.id")
            .bind(cp)
            .fetch_all(&mut *conn)
            .await?;
        f.personal = rows
            .iter()
            .map(|r| {
                (
                    r.get("id"),
                    r.get("group_id"),
                    r.get::<Option<String>, _>("name").unwrap_or_default(),
                    r.get("pct"),
                )
            })
            .collect();
        // (kind, id, days, amount, pct); `c` cumulative, `v` volume.
        let rules: Vec<(String, i64, i64, i64, i64)> = sql::query_as(
            "SELECT 'c' AS k, id, 0 AS days, amount, pct FROM cumulative_thresholds WHERE scale_id = $1 AND archived = 0 \
             UNION ALL SELECT 'v' AS k, id, days, amount, pct FROM volume_rules WHERE scale_id = $2 AND archived = 0 \
             ORDER BY 1, 4, 2",
        )
        .bind(f.cumulative_scale.as_ref().map(|s| s.0).unwrap_or(0))
        .bind(f.volume_scale.as_ref().map(|s| s.0).unwrap_or(0))
        .fetch_all(&mut *conn)
        .await?;
        let volume: Vec<&(String, i64, i64, i64, i64)> =
            rules.iter().filter(|r| r.0 == "v").collect();
        if !rules.is_empty() {
            // One pass over the day totals before the date: the total and a
            // windowed sum per volume rule.
            let mut sql = String::from("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total");
            let mut params = vec![P::from(cp), P::from(d.clone())];
            for (k, v) in volume.iter().enumerate() {
                params.push(P::from((date - Duration::days(v.2)).to_string()));
                sql.push_str(&format!(
                    ", CAST(COALESCE(SUM(CASE WHEN day >= ${} THEN amount ELSE 0 END), 0) AS BIGINT) AS w{k}",
                    params.len()
                ));
            }
            sql.push_str(" FROM purchase_days WHERE counterparty_id = $1 AND day < $2");
            let sums = bind_all(sql::query(&sql), &params)
                .fetch_one(&mut *conn)
                .await?;
            f.net = Money(sums.get("total"));
            for (k, v) in volume.iter().enumerate() {
                let sum: i64 = sums.get(format!("w{k}").as_str());
                f.volume.push((v.1, v.2, Money(v.3), v.4, Money(sum)));
            }
            let t: Vec<(i64, Money, Percent)> = rules
                .iter()
                .filter(|r| r.0 == "c")
                .map(|r| (r.1, Money(r.3), Percent(r.4)))
                .collect();
            f.tier = cumulative_tier(&t, f.net).map(|i| (t[i].0, t[i].1, t[i].2 .0));
            f.lowest_threshold = t.first().map(|t| (t.0, t.1, t.2 .0));
        }
    }
    let rows = sql::query(&format!(
        "SELECT q.*, pt.price_type_id FROM ({PROMO_SQL} WHERE r.archived = 0 AND r.date_from <= $1 AND r.date_to >= $1) q \
         LEFT JOIN promotion_price_types pt ON pt.promotion_id = q.id ORDER BY q.id"
    ))
    .bind(&d)
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        let id: i64 = r.get("id");
        let t: Option<i64> = r.get("price_type_id");
        match f.promos.last_mut() {
            Some((p, types)) if p.id == id => types.extend(t),
            _ => f.promos.push((promo_row(r), t.into_iter().collect())),
        }
    }
    Ok(f)
}

/// Products with their retail and typed prices on the date (one query), and
/// the parent of every group above them (one recursive query).
async fn product_facts(
    conn: &mut Conn,
    products: &[i64],
    retail_type: i64,
    typed: Option<i64>,
    date: NaiveDate,
) -> Result<(
    HashMap<i64, ProductFacts>,
    HashMap<i64, (Option<i64>, String)>,
)> {
    let mut ids: Vec<i64> = products.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out: HashMap<i64, ProductFacts> = HashMap::new();
    if ids.is_empty() {
        return Ok((out, HashMap::new()));
    }
    let mut params: Vec<P> = vec![
        P::from(date.to_string()),
        P::from(retail_type),
        P::from(typed.unwrap_or(retail_type)),
    ];
    params.extend(ids.iter().map(|i| P::from(*i)));
    // Latest effective date on or before the date wins; on the same date the
    // later entry (higher id) replaces the earlier.
    let sql = format!(
        "SELECT p.id, p.name, p.sku, p.vat_rate, p.group_id, pr.price_type_id, pr.price \
         FROM products p LEFT JOIN prices pr ON pr.product_id = p.id AND pr.effective_date <= $1 AND pr.price_type_id IN ($2, $3) \
         WHERE p.id IN ({}) ORDER BY p.id, pr.effective_date DESC, pr.id DESC",
        placeholders(4, ids.len())
    );
    for r in bind_all(sql::query(&sql), &params)
        .fetch_all(&mut *conn)
        .await?
    {
        let p = out
            .entry(r.get::<i64, _>("id"))
            .or_insert_with(|| ProductFacts {
                name: r.get("name"),
                sku: r.get("sku"),
                vat: r.get("vat_rate"),
                group: r.get("group_id"),
                retail: None,
                typed: None,
            });
        let (t, price): (Option<i64>, Option<i64>) = (r.get("price_type_id"), r.get("price"));
        if let (Some(t), Some(price)) = (t, price) {
            if t == retail_type && p.retail.is_none() {
                p.retail = Some(Money(price));
            }
            if Some(t) == typed && p.typed.is_none() {
                p.typed = Some(Money(price));
            }
        }
    }
    let groups: Vec<i64> = {
        let mut g: Vec<i64> = out.values().filter_map(|p| p.group).collect();
        g.sort_unstable();
        g.dedup();
        g
    };
    let mut tree = HashMap::new();
    if !groups.is_empty() {
        let gp: Vec<P> = groups.iter().map(|g| P::from(*g)).collect();
        let sql = format!(
            "WITH RECURSIVE up(id, parent_id, name) AS (\
               SELECT id, parent_id, name FROM product_groups WHERE id IN ({}) \
               UNION SELECT g.id, g.parent_id, g.name FROM product_groups g JOIN up ON g.id = up.parent_id) \
             SELECT id, parent_id, name FROM up",
            placeholders(1, gp.len())
        );
        for r in bind_all(sql::query(&sql), &gp)
            .fetch_all(&mut *conn)
            .await?
        {
            tree.insert(
                r.get::<i64, _>("id"),
                (
                    r.get::<Option<i64>, _>("parent_id"),
                    r.get::<String, _>("name"),
                ),
            );
        }
    }
    Ok((out, tree))
}

/// The group and every group above it (guarding against a cycle).
fn chain(group: Option<i64>, tree: &HashMap<i64, (Option<i64>, String)>) -> Vec<i64> {
    let mut out = Vec::new();
    let mut g = group;
    while let Some(id) = g {
        if out.contains(&id) {
            break;
        }
        out.push(id);
        g = tree.get(&id).and_then(|t| t.0);
    }
    out
}

fn candidates(
    f: &ClientFacts,
    product_id: i64,
    p: &ProductFacts,
    tree: &HashMap<i64, (Option<i64>, String)>,
    date: NaiveDate,
) -> Vec<Candidate> {
    let groups = chain(p.group, tree);
    let mut out = Vec::new();
    for (id, group, name, pct) in &f.personal {
        if group.is_none_or(|g| groups.contains(&g)) {
            let (ru, en) = match group {
                Some(_) => (
                    format!("Персональная скидка на группу «{name}»"),
                    format!("Personal discount on group '{name}'"),
                ),
                None => (
                    "Персональная скидка на все товары".to_string(),
                    "Personal discount on every product".to_string(),
                ),
            };
            out.push(Candidate {
                kind: RuleKind::Personal,
                rule_id: *id,
                pct: *pct,
                applies: true,
                why_ru: ru,
                why_en: en,
            });
        }
    }
    let d = date_ru(date);
    let cs = f
        .cumulative_scale
        .as_ref()
        .map(|s| s.1.as_str())
        .unwrap_or("");
    let vs = f.volume_scale.as_ref().map(|s| s.1.as_str()).unwrap_or("");
    match (f.tier, f.lowest_threshold) {
        (Some((id, amount, pct)), _) => out.push(Candidate {
            kind: RuleKind::Cumulative,
            rule_id: id,
            pct,
            applies: true,
            why_ru: format!(
                "Накопительная, шкала «{cs}»: покупки до {d} {} — порог {} достигнут",
                f.net.to_ru(),
                amount.to_ru()
            ),
            why_en: format!(
                "Cumulative, scale '{cs}': purchases before {d} {} — threshold {} reached",
                f.net.to_api(),
                amount.to_api()
            ),
        }),
        (None, Some((id, amount, pct))) => out.push(Candidate {
            kind: RuleKind::Cumulative,
            rule_id: id,
            pct,
            applies: false,
            why_ru: format!(
                "Накопительная, шкала «{cs}»: покупки до {d} {} — меньше порога {}",
                f.net.to_ru(),
                amount.to_ru()
            ),
            why_en: format!(
                "Cumulative, scale '{cs}': purchases before {d} {} — below the threshold {}",
                f.net.to_api(),
                amount.to_api()
            ),
        }),
        _ => {}
    }
    for (id, days, amount, pct, sum) in &f.volume {
        let applies = sum >= amount;
        out.push(Candidate {
            kind: RuleKind::Volume,
            rule_id: *id,
            pct: *pct,
            applies,
            why_ru: format!(
                "За объём, набор «{vs}»: покупки за {days} дн. до {d} {} {} {}",
                sum.to_ru(),
                if applies { "≥" } else { "<" },
                amount.to_ru()
            ),
            why_en: format!(
                "Volume, set '{vs}': purchases over the {days} days before {d} {} {} {}",
                sum.to_api(),
                if applies { "≥" } else { "<" },
                amount.to_api()
            ),
        });
    }
    let client_type = f.price_type.as_ref().map(|t| t.0).unwrap_or(f.retail_type);
    for (promo, types) in &f.promos {
        let in_scope = match promo.scope.as_str() {
            "group" => promo.group_id.is_some_and(|g| groups.contains(&g)),
            "product" => promo.product_id == Some(product_id),
            _ => true,
        };
        if !in_scope {
            continue;
        }
        let eligible = types.is_empty() || types.contains(&client_type);
        let period = format!(
            "{}–{}",
            date_ru(NaiveDate::parse_from_str(&promo.date_from, "%Y-%m-%d").unwrap_or(date)),
            date_ru(NaiveDate::parse_from_str(&promo.date_to, "%Y-%m-%d").unwrap_or(date))
        );
        out.push(Candidate {
            kind: RuleKind::Promotion,
            rule_id: promo.id,
            pct: promo.pct,
            applies: eligible,
            why_ru: if eligible {
                format!("Акция «{}», {period}", promo.name)
            } else {
                format!("Акция «{}» не для этого типа цен", promo.name)
            },
            why_en: if eligible {
                format!("Promotion '{}', {period}", promo.name)
            } else {
                format!("Promotion '{}' is not for this price type", promo.name)
            },
        });
    }
    out
}

/// Prices lines for a counterparty on a date with the author's limit. Field
/// errors name `{prefix}[i].…`; every line is checked before refusing, and a
/// line with an error gives `None`.
pub(crate) async fn price_lines(
    conn: &mut Conn,
    cp: Option<i64>,
    date: NaiveDate,
    author: i64,
    lines: &[ToPrice],
    prefix: &str,
    c: &mut Check,
) -> Result<(Vec<Option<Priced>>, ClientSummary)> {
    let f = client_facts(conn, cp, author, date).await?;
    let mut summary = ClientSummary {
        name: f.name.clone(),
        price_type: f
            .price_type
            .as_ref()
            .map(|t| t.1.clone())
            .unwrap_or_else(|| "retail".into()),
        price_type_name: f.price_type.as_ref().map(|t| t.2.clone()),
        net: f.net,
        limit: f.limit.unwrap_or(0),
        cumulative_scale: f.cumulative_scale.as_ref().map(|s| s.1.clone()),
        volume_scale: f.volume_scale.as_ref().map(|s| s.1.clone()),
    };
    if !f.found {
        if let Some(cp) = cp {
            c.err(
                "counterparty_id",
                "not_found",
                format!("Контрагент {cp} не найден"),
                format!("No counterparty {cp}"),
            );
        }
    }
    if f.limit.is_none() {
        c.err(
            "author_id",
            "not_found",
            format!("Сотрудник {author} не найден"),
            format!("No employee {author}"),
        );
    }
    if !f.found || f.limit.is_none() {
        return Ok((lines.iter().map(|_| None).collect(), summary));
    }
    let limit = summary.limit;
    let typed = f.price_type.as_ref().map(|t| t.0);
    let ids: Vec<i64> = lines
        .iter()
        .map(|l| l.product)
        .filter(|p| *p != 0)
        .collect();
    let (products, tree) = product_facts(conn, &ids, f.retail_type, typed, date).await?;
    let mut out = Vec::new();
    for l in lines {
        let field = |n: &str| format!("{prefix}[{}].{n}", l.index);
        let Some(p) = products.get(&l.product) else {
            if l.product != 0 {
                c.err(
                    &field("product_id"),
                    "not_found",
                    format!("Товар {} не найден", l.product),
                    format!("No product {}", l.product),
                );
            }
            out.push(None);
            continue;
        };
        let facts = LineFacts {
            retail: p.retail,
            typed: p.typed,
            candidates: candidates(&f, l.product, p, &tree, date),
            special: Percent(l.special),
            limit: Percent(limit),
            qty: Qty(l.qty),
            vat: VatRate::parse(&p.vat).unwrap_or(VatRate::R22),
        };
        match price_line(facts) {
            Ok(line) => {
                let base_type = match (&f.price_type, p.typed) {
                    (Some(t), Some(_)) => t.1.clone(),
                    _ => "retail".to_string(),
                };
                out.push(Some(Priced {
                    line,
                    product: p.clone(),
                    base_type,
                }));
            }
            Err(PricingError::NoRetailPrice) => {
                c.err(
                    &field("product_id"),
                    "no_retail_price",
                    format!(
                        "У товара «{}» нет розничной цены на {}",
                        p.name,
                        date_ru(date)
                    ),
                    format!("'{}' has no retail price on {date}", p.name),
                );
                out.push(None);
            }
            Err(PricingError::SpecialOverLimit { asked, limit }) => {
                c.err(
                    &field("special_discount"),
                    "over_limit",
                    format!("Специальная скидка {asked} % больше вашего лимита {limit} %"),
                    format!("A special discount of {asked} % is over your limit of {limit} %"),
                );
                out.push(None);
            }
        }
    }
    summary.net = f.net;
    Ok((out, summary))
}

/// What a quote shows about the client as a whole.
pub(crate) struct ClientSummary {
    pub name: Option<String>,
    pub price_type: String,
    /// None: retail (the client has no price type).
    pub price_type_name: Option<String>,
    pub net: Money,
    pub limit: i64,
    pub cumulative_scale: Option<String>,
    pub volume_scale: Option<String>,
}

/// Parses a line's quantity (above zero, 3 decimals) and special discount.
pub(crate) fn line_qty(c: &mut Check, field: &str, v: &Option<String>) -> i64 {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            c.add(FieldError::required(field));
            0
        }
        Some(s) => crate::input::positive_qty(c, field, s),
    }
}

impl App {
    /// Prices lines without saving anything.
    pub async fn price_quote(&self, actor: &Actor, input: &QuoteInput) -> Result<Quote> {
        actor.require(Right::Read)?;
        let mut c = Check::new();
        let cp = c.opt_id("counterparty_id", &input.counterparty_id);
        let date = c.date("date", &input.date, today());
        let author = c
            .opt_id("author_id", &input.author_id)
            .unwrap_or(actor.id());
        if input.lines.is_empty() {
            c.err(
                "lines",
                "required",
                "Добавьте хотя бы одну строку",
                "Add at least one line",
            );
        }
        if input.lines.len() > 1000 {
            c.err(
                "lines",
                "too_many",
                "Не более 1000 строк",
                "At most 1000 lines",
            );
        }
        let to_price: Vec<ToPrice> = input
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| ToPrice {
                index: i,
                product: c.id(&format!("lines[{i}].product_id"), &l.product_id),
                qty: line_qty(&mut c, &format!("lines[{i}].qty"), &l.qty),
                special: c.percent(&format!("lines[{i}].special_discount"), &l.special_discount),
            })
            .collect();
        // Every statement of the quote in one hop to the reader (the line
        // editor asks for a quote as the user types).
        let ((priced, summary), to_price) = self
            .store
            .read(move |conn: &mut kupets_store::Tx| {
                let fut: kupets_store::BoxFuture<'_, Result<_>> = Box::pin(async move {
                    if !c.errors.is_empty() {
                        // Name a missing client along with the other errors.
                        check_ref(&mut c, conn, "counterparty_id", "counterparties", cp).await?;
                        std::mem::take(&mut c).done()?;
                    }
                    let priced =
                        price_lines(conn, cp, date, author, &to_price, "lines", &mut c).await?;
                    c.done()?;
                    Ok((priced, to_price))
                });
                fut
            })
            .await?;
        let mut lines = Vec::new();
        let (mut retail, mut discount, mut amount, mut vat) =
            (Money::ZERO, Money::ZERO, Money::ZERO, Money::ZERO);
        for (i, (p, l)) in priced.iter().zip(&to_price).enumerate() {
            let Some(p) = p else { continue };
            let pl = &p.line;
            retail = retail + pl.retail.times_qty(pl.qty);
            amount = amount + pl.amount;
            vat = vat + pl.vat;
            let views = p.views();
            lines.push(QuoteLine {
                line_no: i as i64 + 1,
                product_id: l.product.to_string(),
                product_name: p.product.name.clone(),
                sku: p.product.sku.clone(),
                qty: pl.qty.to_api(),
                retail_price: pl.retail.to_api(),
                base_price: pl.base.to_api(),
                base_price_type: p.base_type.clone(),
                auto_pct: pl.auto_pct.to_api(),
                auto_price: pl.auto_price.to_api(),
                special_pct: pl.special.to_api(),
                final_price: pl.final_price.to_api(),
                discount: pl.discount.to_api(),
                discount_pct: pl.discount_pct.to_api(),
                amount: pl.amount.to_api(),
                vat_rate: p.product.vat.clone(),
                vat: pl.vat.to_api(),
                rule: views.iter().find(|v| v.won).cloned(),
                lost: views
                    .iter()
                    .filter(|v| v.applies && !v.won)
                    .cloned()
                    .collect(),
                not_applicable: views.iter().filter(|v| !v.applies).cloned().collect(),
            });
        }
        discount = discount + retail - amount;
        Ok(Quote {
            counterparty_id: cp.map(|c| c.to_string()),
            counterparty_name: summary.name,
            price_type: summary.price_type,
            price_type_name: summary.price_type_name,
            date: date.to_string(),
            author_id: author.to_string(),
            author_limit: Percent(summary.limit).to_api(),
            net_purchases: summary.net.to_api(),
            cumulative_scale: summary.cumulative_scale,
            volume_scale: summary.volume_scale,
            lines,
            total_retail: retail.to_api(),
            total_discount: discount.to_api(),
            total_amount: amount.to_api(),
            total_vat: vat.to_api(),
        })
    }
}
