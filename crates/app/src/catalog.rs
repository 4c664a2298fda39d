//! Products, the product group tree, price types, prices with effective
//! dates, and warehouses.

use crate::input::{lenient, truthy, Check};
use crate::people::check_ref;
use crate::{today, Actor, App, AppError, Result};
use kupets_domain::role::Right;
use kupets_domain::VatRate;
use kupets_store::model::{Price, PriceType, Product, ProductGroup, Warehouse};
use kupets_store::page::Page;
use kupets_store::queries::{self, audit, get_by_id, ListSpec, P};
use kupets_store::sql;
use kupets_store::{now, Conn};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PriceTypeInput {
    /// Latin code, unique (`retail`, `wholesale`, `dealer`).
    #[serde(default, deserialize_with = "lenient")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ProductGroupInput {
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub parent_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ProductInput {
    /// Article, unique.
    #[serde(default, deserialize_with = "lenient")]
    pub sku: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Unit of measure, `шт` by default.
    #[serde(default, deserialize_with = "lenient")]
    pub unit: Option<String>,
    /// `22` (default), `10`, `0` or `none`.
    #[serde(default, deserialize_with = "lenient")]
    pub vat_rate: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub group_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub serial_tracked: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub warranty_months: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PriceInput {
    #[serde(default, deserialize_with = "lenient")]
    pub price_type_id: Option<String>,
    /// First day the price is in force; today by default.
    #[serde(default, deserialize_with = "lenient")]
    pub effective_date: Option<String>,
    /// VAT-inclusive unit price, `"9000.00"`.
    #[serde(default, deserialize_with = "lenient")]
    pub price: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct WarehouseInput {
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub address: Option<String>,
}

/// A price in force, with its price type, for the product card.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct CurrentPrice {
    pub price_type_code: String,
    pub price_type_name: String,
    #[serde(flatten)]
    pub price: Price,
}

/// One row of the group tree, in display order with its depth.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct GroupNode {
    #[serde(flatten)]
    pub group: ProductGroup,
    pub depth: usize,
    /// Names from the root down to this group.
    pub path: String,
}

/// Orders groups as a tree: parents before children, siblings by name.
pub fn tree_order(mut groups: Vec<ProductGroup>) -> Vec<GroupNode> {
    groups.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let mut out = Vec::with_capacity(groups.len());
    fn walk(
        all: &[ProductGroup],
        parent: Option<i64>,
        depth: usize,
        prefix: &str,
        out: &mut Vec<GroupNode>,
    ) {
        for g in all.iter().filter(|g| g.parent_id == parent) {
            let path = if prefix.is_empty() {
                g.name.clone()
            } else {
                format!("{prefix} / {}", g.name)
            };
            out.push(GroupNode {
                group: g.clone(),
                depth,
                path: path.clone(),
            });
            if depth < 64 {
                walk(all, Some(g.id), depth + 1, &path, out);
            }
        }
    }
    walk(&groups, None, 0, "", &mut out);
    out
}

/// A catalog table: where it lives and how its rows read back.
struct Table<T> {
    name: &'static str,
    entity: &'static str,
    cols: &'static str,
    from_row: fn(&dyn kupets_store::model::RowGet) -> T,
}

const PRICE_TYPES: Table<PriceType> = Table {
    name: "price_types",
    entity: "price type",
    cols: PriceType::COLS,
    from_row: PriceType::from_row,
};
const GROUPS: Table<ProductGroup> = Table {
    name: "product_groups",
    entity: "product group",
    cols: ProductGroup::COLS,
    from_row: ProductGroup::from_row,
};
const PRODUCTS: Table<Product> = Table {
    name: "products",
    entity: "product",
    cols: Product::COLS,
    from_row: Product::from_row,
};
const WAREHOUSES: Table<Warehouse> = Table {
    name: "warehouses",
    entity: "warehouse",
    cols: Warehouse::COLS,
    from_row: Warehouse::from_row,
};

/// Inserts or updates one catalog row, audits it and reads it back.
async fn save<T>(
    actor: &Actor,
    t: &Table<T>,
    id: Option<i64>,
    cols: Vec<(&'static str, P)>,
    tx: &mut kupets_store::Conn,
) -> Result<T> {
    actor.require(Right::EditCatalog)?;
    let (table, entity) = (t.name, t.entity);
    let id = match id {
        Some(id) => {
            let changed = crate::changes::describe(tx, table, id, &cols).await?;
            if !queries::update(tx, table, id, &cols).await? {
                return Err(AppError::NotFound { entity });
            }
            audit(tx, Some(actor.id()), "update", entity, id, &changed).await?;
            id
        }
        None => {
            let id = queries::insert(tx, table, &cols).await?;
            audit(tx, Some(actor.id()), "create", entity, id, "").await?;
            id
        }
    };
    get_by_id(tx, table, t.cols, id, t.from_row)
        .await?
        .ok_or(AppError::NotFound { entity })
}

async fn unique_taken(
    conn: &mut Conn,
    table: &str,
    col: &str,
    value: &str,
    id: Option<i64>,
) -> Result<bool> {
    let sql = format!("SELECT id FROM {table} WHERE {col} = $1");
    let other: Option<i64> = sql::query_scalar(&sql)
        .bind(value)
        .fetch_optional(conn)
        .await?;
    Ok(other.is_some() && other != id)
}

impl App {
    // ---- price types ----
    pub async fn list_price_types(
        &self,
        _actor: &Actor,
        spec: &ListSpec,
    ) -> Result<Page<PriceType>> {
        Ok(queries::list_by_name(
            &self.store,
            "price_types",
            PriceType::COLS,
            "LOWER(name || ' ' || code)",
            spec,
            PriceType::from_row,
            |p| (p.name.clone(), p.id),
        )
        .await?)
    }
    pub async fn all_price_types(&self) -> Result<Vec<PriceType>> {
        let rows = sql::query(&format!(
            "SELECT {} FROM price_types WHERE archived = 0 ORDER BY name, id",
            PriceType::COLS
        ))
        .fetch_all(self.store.reader())
        .await?;
        Ok(rows.iter().map(|r| PriceType::from_row(r)).collect())
    }
    pub async fn get_price_type(&self, _actor: &Actor, id: i64) -> Result<PriceType> {
        let mut conn = self.store.read_conn().await?;
        get_by_id(
            &mut conn,
            "price_types",
            PriceType::COLS,
            id,
            PriceType::from_row,
        )
        .await?
        .ok_or(AppError::NotFound {
            entity: "price type",
        })
    }
    pub async fn save_price_type(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: &PriceTypeInput,
    ) -> Result<PriceType> {
        actor.require(Right::EditCatalog)?;
        write_tx!(self, [actor, input], |app, tx| {
            let mut c = Check::new();
            let code = c.text("code", &input.code, 50).to_lowercase();
            if !code.is_empty()
                && !code
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
            {
                c.err(
                    "code",
                    "invalid_code",
                    "Код: латинские буквы, цифры, _ и -",
                    "Code: Latin letters, digits, _ and -",
                );
            }
            if !code.is_empty() && unique_taken(&mut tx, "price_types", "code", &code, id).await? {
                c.err(
                    "code",
                    "duplicate",
                    format!("Код «{code}» уже занят"),
                    format!("Code '{code}' is taken"),
                );
            }
            let name = c.text("name", &input.name, 200);
            c.done()?;
            let cols = vec![("code", P::from(code)), ("name", P::from(name))];
            let pt = save(actor, &PRICE_TYPES, id, cols, &mut tx).await?;
            Ok(pt)
        })
    }

    // ---- product groups ----
    pub async fn group_tree(
        &self,
        _actor: &Actor,
        include_archived: bool,
    ) -> Result<Vec<GroupNode>> {
        let mut tree = self.group_tree_unchecked().await?;
        if !include_archived {
            tree.retain(|n| !n.group.archived);
        }
        Ok(tree)
    }

    /// The whole tree including archived groups, for name look-ups.
    pub async fn group_tree_unchecked(&self) -> Result<Vec<GroupNode>> {
        let rows = sql::query(&format!(
            "SELECT {} FROM product_groups",
            ProductGroup::COLS
        ))
        .fetch_all(self.store.reader())
        .await?;
        let all: Vec<ProductGroup> = rows.iter().map(|r| ProductGroup::from_row(r)).collect();
        Ok(tree_order(all))
    }
    pub async fn get_group(&self, _actor: &Actor, id: i64) -> Result<ProductGroup> {
        let mut conn = self.store.read_conn().await?;
        get_by_id(
            &mut conn,
            "product_groups",
            ProductGroup::COLS,
            id,
            ProductGroup::from_row,
        )
        .await?
        .ok_or(AppError::NotFound {
            entity: "product group",
        })
    }
    pub async fn save_group(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: &ProductGroupInput,
    ) -> Result<ProductGroup> {
        actor.require(Right::EditCatalog)?;
        write_tx!(self, [actor, input], |app, tx| {
            let mut c = Check::new();
            let name = c.text("name", &input.name, 200);
            let parent_id = c.opt_id("parent_id", &input.parent_id);
            check_ref(&mut c, &mut tx, "parent_id", "product_groups", parent_id).await?;
            if let (Some(id), Some(parent)) = (id, parent_id) {
                // Walk up from the new parent: meeting this group means a cycle.
                let mut cur = Some(parent);
                let mut steps = 0;
                while let Some(g) = cur {
                    if g == id {
                        c.err(
                            "parent_id",
                            "cycle",
                            "Группа не может быть вложена сама в себя",
                            "A group cannot be placed inside itself",
                        );
                        break;
                    }
                    cur = sql::query_scalar::<Option<i64>>(
                        "SELECT parent_id FROM product_groups WHERE id = $1",
                    )
                    .bind(g)
                    .fetch_optional(&mut *tx)
                    .await?
                    .flatten();
                    steps += 1;
                    if steps > 1000 {
                        break;
                    }
                }
            }
            c.done()?;
            let cols = vec![("name", P::from(name)), ("parent_id", P::from(parent_id))];
            let g = save(actor, &GROUPS, id, cols, &mut tx).await?;
            Ok(g)
        })
    }

    // ---- products ----
    pub async fn list_products(&self, _actor: &Actor, spec: &ListSpec) -> Result<Page<Product>> {
        let spec = ListSpec {
            fts: self.store.fts("products_fts"),
            ..spec.clone()
        };
        Ok(queries::list_by_name(
            &self.store,
            "products",
            Product::COLS,
            "search",
            &spec,
            Product::from_row,
            |p| (p.name.clone(), p.id),
        )
        .await?)
    }
    pub async fn get_product(&self, _actor: &Actor, id: i64) -> Result<Product> {
        let mut conn = self.store.read_conn().await?;
        get_by_id(&mut conn, "products", Product::COLS, id, Product::from_row)
            .await?
            .ok_or(AppError::NotFound { entity: "product" })
    }
    pub async fn save_product(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: &ProductInput,
    ) -> Result<Product> {
        actor.require(Right::EditCatalog)?;
        write_tx!(self, [actor, input], |app, tx| {
            let mut c = Check::new();
            let sku = c.text("sku", &input.sku, 100);
            if !sku.is_empty() && unique_taken(&mut tx, "products", "sku", &sku, id).await? {
                c.err(
                    "sku",
                    "duplicate_sku",
                    format!("Артикул «{sku}» уже есть у другого товара"),
                    format!("SKU '{sku}' belongs to another product"),
                );
            }
            let name = c.text("name", &input.name, 300);
            let unit = c.opt_text("unit", &input.unit, 20);
            let unit = if unit.is_empty() {
                "шт".to_string()
            } else {
                unit
            };
            let vat = input
                .vat_rate
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .unwrap_or("22");
            if VatRate::parse(vat).is_none() {
                c.err(
                    "vat_rate",
                    "invalid_vat",
                    "Ставка НДС: 22, 10, 0 или none",
                    "VAT rate: 22, 10, 0 or none",
                );
            }
            let group_id = c.opt_id("group_id", &input.group_id);
            check_ref(&mut c, &mut tx, "group_id", "product_groups", group_id).await?;
            let serial = truthy(&input.serial_tracked);
            let warranty = c.int("warranty_months", &input.warranty_months, 0, 240);
            c.done()?;
            let search = format!("{} {}", name, sku).to_lowercase();
            let mut cols = vec![
                ("sku", P::from(sku)),
                ("name", P::from(name)),
                ("unit", P::from(unit)),
                ("vat_rate", P::from(vat)),
                ("group_id", P::from(group_id)),
                ("serial_tracked", P::from(serial)),
                ("warranty_months", P::from(warranty)),
                ("search", P::from(search)),
            ];
            if id.is_none() {
                cols.push(("created_at", P::from(now())));
            }
            let p = save(actor, &PRODUCTS, id, cols, &mut tx).await?;
            Ok(p)
        })
    }

    // ---- prices ----
    /// Every price of a product, newest effective date first: its history.
    pub async fn price_history(
        &self,
        _actor: &Actor,
        product_id: i64,
    ) -> Result<Vec<CurrentPrice>> {
        let rows = sql::query(
            "SELECT p.id, p.product_id, p.price_type_id, p.effective_date, p.price, p.created_at, t.code, t.name \
             FROM prices p JOIN price_types t ON t.id = p.price_type_id WHERE p.product_id = $1 \
             ORDER BY p.effective_date DESC, p.id DESC",
        )
        .bind(product_id)
        .fetch_all(self.store.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|r| CurrentPrice {
                price_type_code: r.get("code"),
                price_type_name: r.get("name"),
                price: Price::from_row(r),
            })
            .collect())
    }

    /// Prices in force on `date`, one per price type (latest effective date on
    /// or before it; a later entry for the same date replaces an earlier one).
    pub async fn prices_on(
        &self,
        actor: &Actor,
        product_id: i64,
        date: &str,
    ) -> Result<Vec<CurrentPrice>> {
        let mut seen = std::collections::HashSet::new();
        let all = self.price_history(actor, product_id).await?;
        Ok(all
            .into_iter()
            .filter(|p| {
                p.price.effective_date.as_str() <= date && seen.insert(p.price.price_type_id)
            })
            .collect())
    }

    pub async fn add_price(
        &self,
        actor: &Actor,
        product_id: i64,
        input: &PriceInput,
    ) -> Result<Price> {
        actor.require(Right::EditCatalog)?;
        write_tx!(self, [actor, input], |app, tx| {
            let mut c = Check::new();
            if !crate::people::exists(&mut tx, "products", product_id).await? {
                return Err(AppError::NotFound { entity: "product" });
            }
            let pt = c.id("price_type_id", &input.price_type_id);
            if pt != 0 {
                check_ref(&mut c, &mut tx, "price_type_id", "price_types", Some(pt)).await?;
            }
            let date = c.date("effective_date", &input.effective_date, today());
            let price = c.money("price", &input.price);
            if price < 0 {
                c.err(
                    "price",
                    "negative",
                    "Цена не может быть отрицательной",
                    "A price cannot be negative",
                );
            }
            c.done()?;
            let id = queries::insert(
                &mut tx,
                "prices",
                &[
                    ("product_id", P::from(product_id)),
                    ("price_type_id", P::from(pt)),
                    ("effective_date", P::from(date.to_string())),
                    ("price", P::from(price)),
                    ("created_at", P::from(now())),
                    ("created_by", P::from(Some(actor.id()))),
                ],
            )
            .await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "create",
                "price",
                id,
                &format!(
                    "product={product_id} type={pt} date={date} price={}",
                    kupets_domain::Money(price)
                ),
            )
            .await?;
            let p = get_by_id(&mut tx, "prices", Price::COLS, id, Price::from_row)
                .await?
                .ok_or(AppError::NotFound { entity: "price" })?;
            Ok(p)
        })
    }

    // ---- warehouses ----
    pub async fn list_warehouses(
        &self,
        _actor: &Actor,
        spec: &ListSpec,
    ) -> Result<Page<Warehouse>> {
        Ok(queries::list_by_name(
            &self.store,
            "warehouses",
            Warehouse::COLS,
            "LOWER(name)",
            spec,
            Warehouse::from_row,
            |w| (w.name.clone(), w.id),
        )
        .await?)
    }
    pub async fn get_warehouse(&self, _actor: &Actor, id: i64) -> Result<Warehouse> {
        let mut conn = self.store.read_conn().await?;
        get_by_id(
            &mut conn,
            "warehouses",
            Warehouse::COLS,
            id,
            Warehouse::from_row,
        )
        .await?
        .ok_or(AppError::NotFound {
            entity: "warehouse",
        })
    }
    pub async fn save_warehouse(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: &WarehouseInput,
    ) -> Result<Warehouse> {
        actor.require(Right::EditCatalog)?;
        write_tx!(self, [actor, input], |app, tx| {
            let mut c = Check::new();
            let name = c.text("name", &input.name, 200);
            let address = c.opt_text("address", &input.address, 500);
            c.done()?;
            let w = save(
                actor,
                &WAREHOUSES,
                id,
                vec![("name", P::from(name)), ("address", P::from(address))],
                &mut tx,
            )
            .await?;
            Ok(w)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn g(id: i64, parent: Option<i64>, name: &str) -> ProductGroup {
        ProductGroup {
            id,
            parent_id: parent,
            name: name.into(),
            archived: false,
        }
    }
    #[test]
    fn tree_puts_children_under_parents() {
        let t = tree_order(vec![
            g(3, Some(1), "Дрели"),
            g(1, None, "Электроинструмент"),
            g(2, None, "Абразивы"),
            g(4, Some(3), "Ударные"),
        ]);
        let names: Vec<(&str, usize)> =
            t.iter().map(|n| (n.group.name.as_str(), n.depth)).collect();
        assert_eq!(
            names,
            vec![
                ("Абразивы", 0),
                ("Электроинструмент", 0),
                ("Дрели", 1),
                ("Ударные", 2)
            ]
        );
        assert_eq!(t[3].path, "Электроинструмент / Дрели / Ударные");
    }
}
