//! Records as the app reads them. Serialized the API way: ids and money as
//! strings (`"42"`, `"8202.60"`), flags as booleans.

use kupets_domain::{Money, Percent};
use serde::{Serialize, Serializer};
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

pub mod ser {
    use super::*;
    pub fn id<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }
    pub fn opt_id<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&v.to_string()),
            None => s.serialize_none(),
        }
    }
    pub fn money<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&Money(*v).to_api())
    }
    pub fn opt_money<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&Money(*v).to_api()),
            None => s.serialize_none(),
        }
    }
    pub fn percent<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&Percent(*v).to_api())
    }
}

fn flag(r: &AnyRow, c: &str) -> bool {
    r.get::<i64, _>(c) != 0
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Employee {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    pub login: String,
    pub name: String,
    /// admin, department_head, manager, accountant, storekeeper, service_engineer
    pub role: String,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub department_id: Option<i64>,
    /// Largest special discount this employee may give, percent.
    #[serde(serialize_with = "ser::percent")]
    #[schema(value_type = String, example = "5")]
    pub discount_limit: i64,
    pub email: String,
    pub phone: String,
    pub archived: bool,
    pub created_at: String,
}

impl Employee {
    pub const COLS: &'static str =
        "id, login, name, role, department_id, discount_limit, email, phone, archived, created_at";
    pub fn from_row(r: &AnyRow) -> Self {
        Self {
            id: r.get("id"),
            login: r.get("login"),
            name: r.get("name"),
            role: r.get("role"),
            department_id: r.get("department_id"),
            discount_limit: r.get("discount_limit"),
            email: r.get("email"),
            phone: r.get("phone"),
            archived: flag(r, "archived"),
            created_at: r.get("created_at"),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Department {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub head_id: Option<i64>,
    pub archived: bool,
}

impl Department {
    pub const COLS: &'static str = "id, name, head_id, archived";
    pub fn from_row(r: &AnyRow) -> Self {
        Self {
            id: r.get("id"),
            name: r.get("name"),
            head_id: r.get("head_id"),
            archived: flag(r, "archived"),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PriceType {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    /// Stable code, e.g. `retail`; the retail price type is required by pricing.
    pub code: String,
    pub name: String,
    pub archived: bool,
}

impl PriceType {
    pub const COLS: &'static str = "id, code, name, archived";
    pub fn from_row(r: &AnyRow) -> Self {
        Self {
            id: r.get("id"),
            code: r.get("code"),
            name: r.get("name"),
            archived: flag(r, "archived"),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductGroup {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub parent_id: Option<i64>,
    pub name: String,
    pub archived: bool,
}

impl ProductGroup {
    pub const COLS: &'static str = "id, parent_id, name, archived";
    pub fn from_row(r: &AnyRow) -> Self {
        Self {
            id: r.get("id"),
            parent_id: r.get("parent_id"),
            name: r.get("name"),
            archived: flag(r, "archived"),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Product {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub unit: String,
    /// `22`, `10`, `0` or `none`.
    pub vat_rate: String,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub group_id: Option<i64>,
    pub serial_tracked: bool,
    pub warranty_months: i64,
    pub archived: bool,
}

impl Product {
    pub const COLS: &'static str =
        "id, sku, name, unit, vat_rate, group_id, serial_tracked, warranty_months, archived";
    pub fn from_row(r: &AnyRow) -> Self {
        Self {
            id: r.get("id"),
            sku: r.get("sku"),
            name: r.get("name"),
            unit: r.get("unit"),
            vat_rate: r.get("vat_rate"),
            group_id: r.get("group_id"),
            serial_tracked: flag(r, "serial_tracked"),
            warranty_months: r.get("warranty_months"),
            archived: flag(r, "archived"),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Price {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub product_id: i64,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub price_type_id: i64,
    pub effective_date: String,
    #[serde(serialize_with = "ser::money")]
    #[schema(value_type = String, example = "9000.00")]
    pub price: i64,
    pub created_at: String,
}

impl Price {
    pub const COLS: &'static str =
        "id, product_id, price_type_id, effective_date, price, created_at";
    pub fn from_row(r: &AnyRow) -> Self {
        Self {
            id: r.get("id"),
            product_id: r.get("product_id"),
            price_type_id: r.get("price_type_id"),
            effective_date: r.get("effective_date"),
            price: r.get("price"),
            created_at: r.get("created_at"),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Warehouse {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
    pub address: String,
    pub archived: bool,
}

impl Warehouse {
    pub const COLS: &'static str = "id, name, address, archived";
    pub fn from_row(r: &AnyRow) -> Self {
        Self {
            id: r.get("id"),
            name: r.get("name"),
            address: r.get("address"),
            archived: flag(r, "archived"),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Counterparty {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    pub name: String,
    /// `customer`, `supplier` or `both`.
    pub kind: String,
    pub inn: String,
    pub kpp: String,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub price_type_id: Option<i64>,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub manager_id: Option<i64>,
    /// Null: no limit.
    #[serde(serialize_with = "ser::opt_money")]
    #[schema(value_type = Option<String>, example = "500000.00")]
    pub credit_limit: Option<i64>,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub contact_person: String,
    pub notes: String,
    pub archived: bool,
    pub created_at: String,
}

impl Counterparty {
    pub const COLS: &'static str = "id, name, kind, inn, kpp, price_type_id, manager_id, credit_limit, phone, email, address, contact_person, notes, archived, created_at";
    pub fn from_row(r: &AnyRow) -> Self {
        Self {
            id: r.get("id"),
            name: r.get("name"),
            kind: r.get("kind"),
            inn: r.get("inn"),
            kpp: r.get("kpp"),
            price_type_id: r.get("price_type_id"),
            manager_id: r.get("manager_id"),
            credit_limit: r.get("credit_limit"),
            phone: r.get("phone"),
            email: r.get("email"),
            address: r.get("address"),
            contact_person: r.get("contact_person"),
            notes: r.get("notes"),
            archived: flag(r, "archived"),
            created_at: r.get("created_at"),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Document {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    pub kind: String,
    /// Unique per kind and year, e.g. `КОР-2026-000001`.
    pub number: String,
    pub date: String,
    /// `draft`, `posted` or `cancelled`.
    pub state: String,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub author_id: i64,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub responsible_id: i64,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub counterparty_id: Option<i64>,
    /// Signed: positive raises the counterparty's debt to us.
    #[serde(serialize_with = "ser::money")]
    #[schema(value_type = String, example = "1500.00")]
    pub amount: i64,
    pub comment: String,
    pub created_at: String,
    pub posted_at: Option<String>,
    pub cancelled_at: Option<String>,
    pub cancel_reason: Option<String>,
}

impl Document {
    pub const COLS: &'static str = "id, kind, number, doc_date, state, author_id, responsible_id, counterparty_id, amount, comment, created_at, posted_at, cancelled_at, cancel_reason";
    pub fn from_row(r: &AnyRow) -> Self {
        Self {
            id: r.get("id"),
            kind: r.get("kind"),
            number: r.get("number"),
            date: r.get("doc_date"),
            state: r.get("state"),
            author_id: r.get("author_id"),
            responsible_id: r.get("responsible_id"),
            counterparty_id: r.get("counterparty_id"),
            amount: r.get("amount"),
            comment: r.get("comment"),
            created_at: r.get("created_at"),
            posted_at: r.get("posted_at"),
            cancelled_at: r.get("cancelled_at"),
            cancel_reason: r.get("cancel_reason"),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    pub at: String,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub employee_id: Option<i64>,
    pub employee_name: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub details: String,
}

impl AuditEntry {
    pub fn from_row(r: &AnyRow) -> Self {
        Self {
            id: r.get("id"),
            at: r.get("at"),
            employee_id: r.get("employee_id"),
            employee_name: r.get("employee_name"),
            action: r.get("action"),
            entity: r.get("entity"),
            entity_id: r.get("entity_id"),
            details: r.get("details"),
        }
    }
}
