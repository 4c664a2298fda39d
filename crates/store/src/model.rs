//! Records as the app reads them. Serialized the API way: ids and money as
//! strings (`"42"`, `"8202.60"`), flags as booleans.

use kupets_domain::{Money, Percent};
use serde::{Serialize, Serializer};
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
    pub fn qty<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&kupets_domain::Qty(*v).to_api())
    }
    pub fn percent<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&Percent(*v).to_api())
    }
    pub fn opt_percent<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&Percent(*v).to_api()),
            None => s.serialize_none(),
        }
    }
}

/// Reads a column of a row from either driver: sqlx (`AnyRow`, both engines
/// inside transactions) or rusqlite (`rusqlite::Row`, SQLite's fast reads).
/// Like sqlx's `Row::get`, a missing column or wrong type is a bug and panics.
pub trait RowGet {
    fn int(&self, c: &str) -> i64;
    fn opt_int(&self, c: &str) -> Option<i64>;
    fn text(&self, c: &str) -> String;
    fn opt_text(&self, c: &str) -> Option<String>;
}

impl RowGet for sqlx::any::AnyRow {
    fn int(&self, c: &str) -> i64 {
        sqlx::Row::get(self, c)
    }
    fn opt_int(&self, c: &str) -> Option<i64> {
        sqlx::Row::get(self, c)
    }
    fn text(&self, c: &str) -> String {
        sqlx::Row::get(self, c)
    }
    fn opt_text(&self, c: &str) -> Option<String> {
        sqlx::Row::get(self, c)
    }
}

impl RowGet for rusqlite::Row<'_> {
    fn int(&self, c: &str) -> i64 {
        self.get(c).unwrap_or_else(|e| panic!("column {c}: {e}"))
    }
    fn opt_int(&self, c: &str) -> Option<i64> {
        self.get(c).unwrap_or_else(|e| panic!("column {c}: {e}"))
    }
    fn text(&self, c: &str) -> String {
        self.get(c).unwrap_or_else(|e| panic!("column {c}: {e}"))
    }
    fn opt_text(&self, c: &str) -> Option<String> {
        self.get(c).unwrap_or_else(|e| panic!("column {c}: {e}"))
    }
}

/// A column type a [`RowGet`] can read.
pub trait FromCol: Sized {
    fn from_col(r: &dyn RowGet, c: &str) -> Self;
}
impl FromCol for i64 {
    fn from_col(r: &dyn RowGet, c: &str) -> Self {
        r.int(c)
    }
}
impl FromCol for Option<i64> {
    fn from_col(r: &dyn RowGet, c: &str) -> Self {
        r.opt_int(c)
    }
}
impl FromCol for String {
    fn from_col(r: &dyn RowGet, c: &str) -> Self {
        r.text(c)
    }
}
impl FromCol for Option<String> {
    fn from_col(r: &dyn RowGet, c: &str) -> Self {
        r.opt_text(c)
    }
}

/// Reads column `c` as the type the caller expects.
pub fn col<T: FromCol>(r: &dyn RowGet, c: &str) -> T {
    T::from_col(r, c)
}

fn flag(r: &dyn RowGet, c: &str) -> bool {
    r.int(c) != 0
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
    pub fn from_row(r: &dyn RowGet) -> Self {
        Self {
            id: col(r, "id"),
            login: col(r, "login"),
            name: col(r, "name"),
            role: col(r, "role"),
            department_id: col(r, "department_id"),
            discount_limit: col(r, "discount_limit"),
            email: col(r, "email"),
            phone: col(r, "phone"),
            archived: flag(r, "archived"),
            created_at: col(r, "created_at"),
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
    pub fn from_row(r: &dyn RowGet) -> Self {
        Self {
            id: col(r, "id"),
            name: col(r, "name"),
            head_id: col(r, "head_id"),
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
    pub fn from_row(r: &dyn RowGet) -> Self {
        Self {
            id: col(r, "id"),
            code: col(r, "code"),
            name: col(r, "name"),
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
    pub fn from_row(r: &dyn RowGet) -> Self {
        Self {
            id: col(r, "id"),
            parent_id: col(r, "parent_id"),
            name: col(r, "name"),
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
    pub fn from_row(r: &dyn RowGet) -> Self {
        Self {
            id: col(r, "id"),
            sku: col(r, "sku"),
            name: col(r, "name"),
            unit: col(r, "unit"),
            vat_rate: col(r, "vat_rate"),
            group_id: col(r, "group_id"),
            serial_tracked: flag(r, "serial_tracked"),
            warranty_months: col(r, "warranty_months"),
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
    pub fn from_row(r: &dyn RowGet) -> Self {
        Self {
            id: col(r, "id"),
            product_id: col(r, "product_id"),
            price_type_id: col(r, "price_type_id"),
            effective_date: col(r, "effective_date"),
            price: col(r, "price"),
            created_at: col(r, "created_at"),
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
    pub fn from_row(r: &dyn RowGet) -> Self {
        Self {
            id: col(r, "id"),
            name: col(r, "name"),
            address: col(r, "address"),
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
    /// The legal address.
    pub address: String,
    pub contact_person: String,
    pub notes: String,
    pub archived: bool,
    pub created_at: String,
    /// The full name as registered («Общество с ограниченной ответственностью …»).
    pub full_name: String,
    /// ОГРН (13 digits) or ОГРНИП (15).
    pub ogrn: String,
    pub postal_address: String,
    /// ABC class by revenue of the last 12 months (`A`, `B`, `C`; empty:
    /// no sales), as of the day's first listing.
    pub abc_class: String,
}

impl Counterparty {
    pub const COLS: &'static str = "id, name, kind, inn, kpp, price_type_id, manager_id, credit_limit, phone, email, address, contact_person, notes, archived, created_at, full_name, ogrn, postal_address, abc_class";
    pub fn from_row(r: &dyn RowGet) -> Self {
        Self {
            id: col(r, "id"),
            name: col(r, "name"),
            kind: col(r, "kind"),
            inn: col(r, "inn"),
            kpp: col(r, "kpp"),
            price_type_id: col(r, "price_type_id"),
            manager_id: col(r, "manager_id"),
            credit_limit: col(r, "credit_limit"),
            phone: col(r, "phone"),
            email: col(r, "email"),
            address: col(r, "address"),
            contact_person: col(r, "contact_person"),
            notes: col(r, "notes"),
            archived: flag(r, "archived"),
            created_at: col(r, "created_at"),
            full_name: col(r, "full_name"),
            ogrn: col(r, "ogrn"),
            postal_address: col(r, "postal_address"),
            abc_class: col(r, "abc_class"),
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
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub warehouse_id: Option<i64>,
    /// The sales order a shipment or payment belongs to.
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub order_id: Option<i64>,
    /// The shipment or receipt a return reverses.
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub base_id: Option<i64>,
    /// A customer return after which a replacement is owed.
    pub replacement_required: bool,
    /// A shipment: the customer return whose replacement it ships.
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub replacement_for_id: Option<i64>,
    /// Total: the sum of line amounts, or the payment or adjustment amount.
    /// An adjustment's is signed: positive raises the counterparty's debt to us.
    #[serde(serialize_with = "ser::money")]
    #[schema(value_type = String, example = "1500.00")]
    pub amount: i64,
    pub comment: String,
    pub created_at: String,
    pub posted_at: Option<String>,
    pub cancelled_at: Option<String>,
    pub cancel_reason: Option<String>,
    /// A payment: the invoice (счёт на оплату) it pays.
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub invoice_id: Option<i64>,
    /// Documents of the walk-in buyer («Розничный покупатель»): the buyer's
    /// name and phone for warranty, when given (empty otherwise).
    pub buyer_name: String,
    pub buyer_phone: String,
}

impl Document {
    pub const COLS: &'static str = "id, kind, number, doc_date, state, author_id, responsible_id, counterparty_id, warehouse_id, order_id, base_id, replacement_required, replacement_for_id, amount, comment, created_at, posted_at, cancelled_at, cancel_reason, invoice_id, buyer_name, buyer_phone";
    pub fn from_row(r: &dyn RowGet) -> Self {
        Self {
            id: col(r, "id"),
            kind: col(r, "kind"),
            number: col(r, "number"),
            date: col(r, "doc_date"),
            state: col(r, "state"),
            author_id: col(r, "author_id"),
            responsible_id: col(r, "responsible_id"),
            counterparty_id: col(r, "counterparty_id"),
            warehouse_id: col(r, "warehouse_id"),
            order_id: col(r, "order_id"),
            base_id: col(r, "base_id"),
            replacement_required: flag(r, "replacement_required"),
            replacement_for_id: col(r, "replacement_for_id"),
            amount: col(r, "amount"),
            comment: col(r, "comment"),
            created_at: col(r, "created_at"),
            posted_at: col(r, "posted_at"),
            cancelled_at: col(r, "cancelled_at"),
            cancel_reason: col(r, "cancel_reason"),
            invoice_id: col(r, "invoice_id"),
            buyer_name: col(r, "buyer_name"),
            buyer_phone: col(r, "buyer_phone"),
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
    pub fn from_row(r: &dyn RowGet) -> Self {
        Self {
            id: col(r, "id"),
            at: col(r, "at"),
            employee_id: col(r, "employee_id"),
            employee_name: col(r, "employee_name"),
            action: col(r, "action"),
            entity: col(r, "entity"),
            entity_id: col(r, "entity_id"),
            details: col(r, "details"),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocLine {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    pub line_no: i64,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub product_id: i64,
    pub product_name: String,
    pub sku: String,
    pub unit: String,
    /// The product is tracked by serial numbers (its lines name serials).
    pub serial_tracked: bool,
    #[serde(serialize_with = "ser::qty")]
    #[schema(value_type = String, example = "3")]
    pub qty: i64,
    #[serde(serialize_with = "ser::money")]
    #[schema(value_type = String, example = "8202.60")]
    pub price: i64,
    #[serde(serialize_with = "ser::money")]
    #[schema(value_type = String, example = "24607.80")]
    pub amount: i64,
    pub vat_rate: String,
    #[serde(serialize_with = "ser::money")]
    #[schema(value_type = String)]
    pub vat: i64,
    /// The order line this line fulfils, or the shipment/receipt line a
    /// return line reverses.
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub base_line_id: Option<i64>,
    #[serde(serialize_with = "ser::qty")]
    #[schema(value_type = String)]
    pub closed_qty: i64,
    pub close_reason: String,
    /// Sales lines: the retail price on the document's date (the discount is
    /// shown against it) and the price in the client's price type.
    #[serde(serialize_with = "ser::opt_money")]
    #[schema(value_type = Option<String>, example = "10000.00")]
    pub retail_price: Option<i64>,
    #[serde(serialize_with = "ser::opt_money")]
    #[schema(value_type = Option<String>, example = "9000.00")]
    pub base_price: Option<i64>,
    /// The winning automatic discount, % of the base price.
    #[serde(serialize_with = "ser::percent")]
    #[schema(value_type = String, example = "7")]
    pub auto_pct: i64,
    /// The author's special discount, % on top of the automatic price.
    #[serde(serialize_with = "ser::percent")]
    #[schema(value_type = String, example = "2")]
    pub special_pct: i64,
    /// Retail price − final price, per unit.
    #[serde(serialize_with = "ser::opt_money")]
    #[schema(value_type = Option<String>, example = "1797.40")]
    pub discount: Option<i64>,
    /// The same as a % of the retail price, 2 decimals.
    #[serde(serialize_with = "ser::opt_percent")]
    #[schema(value_type = Option<String>, example = "17.97")]
    pub discount_pct: Option<i64>,
    /// `personal`, `cumulative`, `volume` or `promotion`: the rule that won.
    pub rule_kind: Option<String>,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub rule_id: Option<i64>,
    /// Every candidate considered, won or lost, with the reason: the JSON
    /// as stored, passed through to the answer unparsed (a document's lines
    /// are read inside write transactions, on the writer's time).
    #[schema(value_type = Option<Object>)]
    pub pricing: Option<Box<serde_json::value::RawValue>>,
}

impl DocLine {
    pub const COLS: &'static str = "l.id, l.line_no, l.product_id, p.name AS product_name, p.sku, p.unit, p.serial_tracked, l.qty, l.price, l.amount, l.vat_rate, l.vat, l.base_line_id, l.closed_qty, l.close_reason, l.retail_price, l.base_price, l.auto_pct, l.special_pct, l.rule_kind, l.rule_id, l.pricing";
    pub fn from_row(r: &dyn RowGet) -> Self {
        let retail_price: Option<i64> = col(r, "retail_price");
        let price: i64 = col(r, "price");
        Self {
            id: col(r, "id"),
            line_no: col(r, "line_no"),
            product_id: col(r, "product_id"),
            product_name: col(r, "product_name"),
            sku: col(r, "sku"),
            unit: col(r, "unit"),
            serial_tracked: flag(r, "serial_tracked"),
            qty: col(r, "qty"),
            price,
            amount: col(r, "amount"),
            vat_rate: col(r, "vat_rate"),
            vat: col(r, "vat"),
            base_line_id: col(r, "base_line_id"),
            closed_qty: col(r, "closed_qty"),
            close_reason: col(r, "close_reason"),
            retail_price,
            base_price: col(r, "base_price"),
            auto_pct: col(r, "auto_pct"),
            special_pct: col(r, "special_pct"),
            discount: retail_price.map(|rp| rp - price),
            discount_pct: retail_price.map(|rp| {
                kupets_domain::pricing::discount_vs_retail(Money(rp), Money(price))
                    .1
                     .0
            }),
            rule_kind: col(r, "rule_kind"),
            rule_id: col(r, "rule_id"),
            pricing: col::<Option<String>>(r, "pricing")
                .and_then(|j| serde_json::value::RawValue::from_string(j).ok()),
        }
    }
}
