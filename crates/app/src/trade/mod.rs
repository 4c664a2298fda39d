//! Sales orders, shipments, receipts and payments.
//!
//! A draft holds lines and changes nothing. Posting a shipment checks, inside
//! one transaction: what remains on each referenced order line (the order row
//! is locked first, so concurrent shipments against one order queue up), the
//! stock at the warehouse (its row locked) and the customer's credit limit;
//! then it appends stock moves and a settlement entry. Cancelling appends the
//! reversals.
//!
//! Here: the inputs, creating and editing drafts (lines priced), payments
//! and stock. Posting is in `post.rs`; an order's progress (shipped, left,
//! paid, a remainder closed) and a customer's open orders in `orders.rs`.

use crate::input::{lenient, Check};
use crate::people::check_ref;
use crate::{today, Actor, App, AppError, Result};
use chrono::Datelike;
use kupets_domain::document::doc_number;
use kupets_domain::role::Right;
use kupets_domain::trade::{
    line_amount, line_vat, payment_state, remaining, shipment_state, PaymentState, ShipmentState,
};
use kupets_domain::{DocKind, DocState, Money, Qty, VatRate};
use kupets_store::model::{DocLine, Document, RowGet};
use kupets_store::queries::{self, audit, next_doc_seq, placeholders, P};
use kupets_store::sql;
use kupets_store::{now, Conn, Tx};
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use utoipa::ToSchema;

mod orders;
mod post;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct LineInput {
    #[serde(default, deserialize_with = "lenient")]
    pub product_id: Option<String>,
    /// Quantity, up to 3 decimals (`"2.5"`).
    #[serde(default, deserialize_with = "lenient")]
    pub qty: Option<String>,
    /// Unit price with VAT (`"8202.60"`): receipts and purchase orders.
    /// Sales lines are priced by the discount rules (or take the order
    /// line's price); a price sent for them must match.
    #[serde(default, deserialize_with = "lenient")]
    pub price: Option<String>,
    /// Sales orders and shipments without an order: the author's special
    /// discount, % on top of the automatic price, within their limit.
    #[serde(default, deserialize_with = "lenient")]
    pub special_discount: Option<String>,
    /// Shipments and receipts: the order line this line fulfils.
    #[serde(default, deserialize_with = "lenient")]
    pub order_line_id: Option<String>,
    /// Returns: the shipment (or receipt) line returned; its price is used.
    #[serde(default, deserialize_with = "lenient")]
    pub base_line_id: Option<String>,
    /// Shipments and customer returns of a serial-tracked product: one
    /// serial per unit.
    #[serde(default)]
    pub serials: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct TradeDocInput {
    #[serde(default, deserialize_with = "lenient")]
    pub counterparty_id: Option<String>,
    /// Required for shipments and receipts.
    #[serde(default, deserialize_with = "lenient")]
    pub warehouse_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub date: Option<String>,
    /// Shipments and receipts: the sales or purchase order fulfilled.
    #[serde(default, deserialize_with = "lenient")]
    pub order_id: Option<String>,
    /// Returns: the shipment (customer return) or receipt (return to a
    /// supplier) reversed. Required for returns.
    #[serde(default, deserialize_with = "lenient")]
    pub base_id: Option<String>,
    /// Customer returns: the customer is owed a replacement.
    #[serde(default, deserialize_with = "lenient")]
    pub replacement_required: Option<String>,
    /// Refused when true: a unit handed in for repair is not returned (it
    /// would credit the client); open a repair order instead.
    #[serde(default, deserialize_with = "lenient")]
    pub to_repair: Option<String>,
    /// Shipments: the customer return (marked "replacement required") whose
    /// replacement this ships; posting it ends the return's reminder.
    #[serde(default, deserialize_with = "lenient")]
    pub replacement_for_id: Option<String>,
    /// Replacement shipments: `returned_price` (default: the returned line's
    /// price, so the pair nets to zero), `free` (price 0, cost kept) or
    /// `current_price` — the last two by a head, with a reason.
    #[serde(default, deserialize_with = "lenient")]
    pub replacement_pricing: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub replacement_reason: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub responsible_id: Option<String>,
    /// Sales orders, shipments and returns of the walk-in buyer
    /// («Розничный покупатель») only: the buyer's name, for warranty.
    #[serde(default, deserialize_with = "lenient")]
    pub buyer_name: Option<String>,
    /// …and phone (digits, spaces, `+ ( ) -`).
    #[serde(default, deserialize_with = "lenient")]
    pub buyer_phone: Option<String>,
    #[serde(default)]
    pub lines: Vec<LineInput>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PaymentInput {
    /// `in` (from a customer, the default) or `out` (a refund, or paying a supplier).
    #[serde(default, deserialize_with = "lenient")]
    pub direction: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub counterparty_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub date: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub amount: Option<String>,
    /// The sales order paid for, if any.
    #[serde(default, deserialize_with = "lenient")]
    pub order_id: Option<String>,
    /// The invoice (счёт на оплату) paid; its order is taken when
    /// `order_id` is left out.
    #[serde(default, deserialize_with = "lenient")]
    pub invoice_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub responsible_id: Option<String>,
}

/// What posting may carry.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PostInput {
    /// Required to post a shipment over the customer's credit limit (heads
    /// and admins); kept in the audit log.
    #[serde(default, deserialize_with = "lenient")]
    pub override_reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CloseLineInput {
    #[serde(default, deserialize_with = "lenient")]
    pub reason: Option<String>,
}

/// A document with its lines.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TradeDoc {
    #[serde(flatten)]
    pub document: Document,
    pub lines: Vec<DocLine>,
}

/// An order line with its progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderLineView {
    #[serde(flatten)]
    pub line: DocLine,
    #[schema(value_type = String)]
    pub shipped: String,
    #[schema(value_type = String)]
    pub remaining: String,
}

/// The order view: ordered, shipped, remaining, paid and the states.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderView {
    #[serde(flatten)]
    pub document: Document,
    pub lines: Vec<OrderLineView>,
    #[schema(value_type = String)]
    pub ordered_amount: String,
    #[schema(value_type = String)]
    pub shipped_amount: String,
    #[schema(value_type = String)]
    pub paid_amount: String,
    /// `not_shipped`, `partially_shipped`, `shipped`.
    #[schema(value_type = String)]
    pub shipment_state: ShipmentState,
    /// `unpaid`, `prepaid`, `partially_paid`, `paid`.
    #[schema(value_type = String)]
    pub payment_state: PaymentState,
}

/// Stock of a product at a warehouse.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StockRow {
    #[schema(value_type = String)]
    pub warehouse_id: String,
    pub warehouse_name: String,
    #[schema(value_type = String)]
    pub product_id: String,
    pub product_name: String,
    pub sku: String,
    #[schema(value_type = String)]
    pub qty: String,
}

/// A document's date, header columns and lines, checked and priced.
type Checked = (chrono::NaiveDate, Vec<(&'static str, P)>, Vec<NewLine>);

/// A validated line, before it is written.
#[derive(Clone)]
struct NewLine {
    product: i64,
    qty: i64,
    price: i64,
    vat: String,
    base_line: Option<i64>,
    pricing: Option<LinePricing>,
    /// Serial-numbered units named on the line.
    units: Vec<i64>,
    /// Receipts: serials of units that arrive (made when the line is written,
    /// waiting as `incoming` until the receipt is posted).
    new_serials: Vec<String>,
    /// Our cost of the goods, per unit (replacement lines).
    cost: Option<i64>,
}

/// How a sales line's price was decided (see `document_lines`).
#[derive(Clone)]
struct LinePricing {
    retail: i64,
    base: i64,
    auto_pct: i64,
    special_pct: i64,
    rule_kind: Option<String>,
    rule_id: Option<i64>,
    explanation: String,
}

impl LinePricing {
    fn of(p: &crate::pricing::Priced) -> LinePricing {
        let w = p.line.winning();
        LinePricing {
            retail: p.line.retail.0,
            base: p.line.base.0,
            auto_pct: p.line.auto_pct.0,
            special_pct: p.line.special.0,
            rule_kind: w.map(|c| c.kind.code().to_string()),
            rule_id: w.map(|c| c.rule_id),
            explanation: p.explanation(),
        }
    }
}

/// (product, signed quantity in thousandths, product name for messages).
type StockChange = (i64, i64, String);

/// Kinds whose lines the discount rules price.
fn rule_priced(kind: DocKind) -> bool {
    matches!(kind, DocKind::SalesOrder | DocKind::Shipment)
}

/// The document kind that fulfils an order kind.
fn fulfilled_by(order: DocKind) -> DocKind {
    if order == DocKind::PurchaseOrder {
        DocKind::Receipt
    } else {
        DocKind::Shipment
    }
}

fn right_for(kind: DocKind) -> Right {
    match kind {
        DocKind::SalesOrder => Right::Sell,
        DocKind::Shipment
        | DocKind::Receipt
        | DocKind::Return
        | DocKind::SupplierReturn
        | DocKind::PurchaseOrder => Right::MoveStock,
        _ => Right::PostSettlements,
    }
}

/// A price sent for a line priced by the rules (or by its order) must be the
/// price decided; anything else would silently be replaced.
fn check_sent_price(c: &mut Check, field: &str, sent: &Option<String>, decided: i64) {
    let Some(s) = sent.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return;
    };
    if Money::parse(s).is_ok_and(|m| m.0 != decided) {
        let d = Money(decided);
        c.err(
            field,
            "price_set_by_rules",
            format!(
                "Цену строки продажи определяют правила скидок: {}. Чтобы снизить её, укажите специальную скидку",
                d.to_ru()
            ),
            format!(
                "A sales line's price is set by the discount rules: {}. Ask for a special discount to lower it",
                d.to_api()
            ),
        );
    }
}

fn err(code: &'static str, ru: String, en: String) -> AppError {
    AppError::Conflict { code, ru, en }
}

async fn load_lines(conn: &mut Conn, doc_id: i64) -> Result<Vec<DocLine>> {
    let sql = format!("SELECT {} FROM document_lines l JOIN products p ON p.id = l.product_id WHERE l.document_id = $1 ORDER BY l.line_no", DocLine::COLS);
    let rows = sql::query(&sql).bind(doc_id).fetch_all(&mut *conn).await?;
    Ok(rows.iter().map(|r| DocLine::from_row(r)).collect())
}

/// Products by id: VAT rate, serial tracking, unit — one statement.
async fn products_by_id(
    conn: &mut Conn,
    ids: impl Iterator<Item = i64>,
) -> Result<std::collections::HashMap<i64, (String, i64, String)>> {
    let params: Vec<P> = ids.map(P::from).collect();
    if params.is_empty() {
        return Ok(Default::default());
    }
    Ok(sql::query_as::<(i64, String, i64, String)>(&format!(
        "SELECT id, vat_rate, serial_tracked, unit FROM products WHERE id IN ({})",
        placeholders(1, params.len())
    ))
    .bind_all(&params)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(id, v, t, u)| (id, (v, t, u)))
    .collect())
}

/// Lines other lines link to (an order line fulfilled, a shipment line
/// returned), with what a new line takes from them — one statement.
async fn linked_lines(
    conn: &mut Conn,
    ids: impl Iterator<Item = i64>,
) -> Result<std::collections::HashMap<i64, sql::Row>> {
    let params: Vec<P> = ids.map(P::from).collect();
    if params.is_empty() {
        return Ok(Default::default());
    }
    Ok(sql::query(&format!(
        "SELECT id, document_id, product_id, price, retail_price, base_price, auto_pct, special_pct, rule_kind, rule_id, pricing FROM document_lines WHERE id IN ({})",
        placeholders(1, params.len())
    ))
    .bind_all(&params)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.get::<i64, _>("id"), r))
    .collect())
}

impl App {
    /// A document of a line kind with its lines.
    pub async fn get_trade_doc(&self, _actor: &Actor, kind: DocKind, id: i64) -> Result<TradeDoc> {
        // A read: a reader connection, never SQLite's single writer; the
        // header and the lines in one go on the request's thread.
        let app = self.clone();
        self.store
            .read_here(move |tx| {
                Box::pin(async move {
                    let document = app.load_doc(&mut *tx, kind, id, false).await?;
                    let lines = load_lines(&mut *tx, id).await?;
                    Ok(TradeDoc { document, lines })
                })
            })
            .await
    }

    async fn trade_cols(
        &self,
        tx: &mut Conn,
        actor: &Actor,
        kind: DocKind,
        input: &TradeDocInput,
    ) -> Result<Checked> {
        let mut c = Check::new();
        let cp = c.id("counterparty_id", &input.counterparty_id);
        // The counterparty's manager (the default responsible) and whether
        // it is the walk-in buyer, read with the check that it exists.
        let mut cp_row: Option<(Option<i64>, i64)> = None;
        if cp != 0 {
            cp_row = sql::query_as("SELECT manager_id, walk_in FROM counterparties WHERE id = $1")
                .bind(cp)
                .fetch_optional(&mut *tx)
                .await?;
            if cp_row.is_none() {
                c.err(
                    "counterparty_id",
                    "not_found",
                    format!("Контрагент {cp} не найден"),
                    format!("No counterparty {cp}"),
                );
            }
        }
        // A return reverses a posted shipment (receipt) of the same counterparty.
        let mut base: Option<(i64, Option<i64>, Option<i64>)> = None;
        let mut base_date: Option<(String, String)> = None;
        if let Some(base_kind) = kind.base_kind() {
            let id = c.id("base_id", &input.base_id);
            if id != 0 {
                let row = sql::query("SELECT state, counterparty_id, warehouse_id, order_id, doc_date, number FROM documents WHERE id = $1 AND kind = $2").bind(id).bind(base_kind.code()).fetch_optional(&mut *tx).await?;
                match row {
                    None => c.err(
                        "base_id",
                        "not_found",
                        format!("{} {id} не найден(а)", base_kind.label(true)),
                        format!("No {} {id}", base_kind.label(false).to_lowercase()),
                    ),
                    Some(r) => {
                        if r.get::<String, _>("state") != "posted" {
                            c.err(
                                "base_id",
                                "base_not_posted",
                                "Возврат возможен только по проведённому документу",
                                "Only a posted document can be returned",
                            );
                        }
                        if cp != 0 && r.get::<Option<i64>, _>("counterparty_id") != Some(cp) {
                            c.err(
                                "base_id",
                                "other_counterparty",
                                "Документ другого контрагента",
                                "The document belongs to another counterparty",
                            );
                        }
                        base = Some((id, r.get("warehouse_id"), r.get("order_id")));
                        base_date = Some((r.get("doc_date"), r.get("number")));
                    }
                }
            }
        }
        let wh = if kind.is_order() {
            c.opt_id("warehouse_id", &input.warehouse_id)
        } else {
            match (
                c.opt_id("warehouse_id", &input.warehouse_id),
                base.and_then(|b| b.1),
            ) {
                (Some(w), _) | (None, Some(w)) => Some(w),
                (None, None) => {
                    c.add(kupets_domain::FieldError::required("warehouse_id"));
                    None
                }
            }
        };
        check_ref(&mut c, tx, "warehouse_id", "warehouses", wh).await?;
        let date = c.date("date", &input.date, today());
        // Nothing is returned before it was shipped (received).
        if let Some((bd, number)) = &base_date {
            if date.to_string().as_str() < bd.as_str() {
                c.err(
                    "date",
                    "before_base",
                    format!("Дата возврата раньше даты документа {number} ({bd})"),
                    format!("The return is dated before its document {number} ({bd})"),
                );
            }
        }
        let order_id = match kind.order_kind() {
            Some(order_kind) => {
                let o = c.opt_id("order_id", &input.order_id);
                if let Some(o) = o {
                    match sql::query(
                        "SELECT state, counterparty_id FROM documents WHERE id = $1 AND kind = $2",
                    )
                    .bind(o)
                    .bind(order_kind.code())
                    .fetch_optional(&mut *tx)
                    .await?
                    {
                        None => c.err(
                            "order_id",
                            "not_found",
                            format!("Заказ {o} не найден"),
                            format!("No order {o}"),
                        ),
                        Some(r) => {
                            if r.get::<String, _>("state") != "posted" {
                                c.err(
                                    "order_id",
                                    "order_not_posted",
                                    "Исполнять можно только проведённый заказ",
                                    "Only a posted order can be fulfilled",
                                );
                            }
                            if cp != 0 && r.get::<Option<i64>, _>("counterparty_id") != Some(cp) {
                                c.err(
                                    "order_id",
                                    "other_counterparty",
                                    "Заказ другого контрагента",
                                    "The order belongs to another counterparty",
                                );
                            }
                        }
                    }
                }
                o
            }
            // A return settles against the order of what it returns.
            None => base.and_then(|b| b.2),
        };
        let replacement_for = if kind == DocKind::Shipment {
            c.opt_id("replacement_for_id", &input.replacement_for_id)
        } else {
            None
        };
        if let Some(r) = replacement_for {
            let row: Option<(String, Option<i64>, i64)> = sql::query_as(
                "SELECT state, counterparty_id, replacement_required FROM documents WHERE id = $1 AND kind = 'return'",
            )
            .bind(r)
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                Some((state, rcp, required))
                    if state == "posted" && required != 0 && (cp == 0 || rcp == Some(cp)) => {}
                _ => c.err(
                    "replacement_for_id",
                    "not_a_replacement",
                    "Это не проведённый возврат этого клиента с пометкой «требуется замена»",
                    "Not a posted return of this client marked 'replacement required'",
                ),
            }
        }
        let comment = c.opt_text("comment", &input.comment, 1000);
        let walk_in = cp_row.is_some_and(|r| r.1 != 0);
        let (buyer_name, buyer_phone) = buyer_of(&mut c, kind, walk_in, input);
        let responsible = match c.opt_id("responsible_id", &input.responsible_id) {
            Some(r) => {
                check_ref(&mut c, tx, "responsible_id", "employees", Some(r)).await?;
                r
            }
            // The counterparty's manager, the order's responsible or the
            // author: each an existing employee (foreign keys).
            None => match cp_row.and_then(|r| r.0) {
                Some(manager) => manager,
                None => crate::responsible::default_for(tx, None, order_id, actor.id()).await?,
            },
        };
        if input.lines.is_empty() {
            c.err(
                "lines",
                "required",
                "Добавьте хотя бы одну строку",
                "Add at least one line",
            );
        }
        // Every line's product and linked line, each read in one statement
        // for all the lines (ids that do not parse are reported per line below).
        let quiet = |v: &Option<String>| {
            v.as_deref()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .filter(|id| *id > 0)
        };
        let products_of =
            products_by_id(tx, input.lines.iter().filter_map(|l| quiet(&l.product_id))).await?;
        let links_of = linked_lines(
            tx,
            input.lines.iter().filter_map(|l| {
                quiet(if kind.base_kind().is_some() {
                    &l.base_line_id
                } else {
                    &l.order_line_id
                })
            }),
        )
        .await?;
        let mut lines = Vec::new();
        let mut to_price = Vec::new();
        let mut taken_units: Vec<i64> = Vec::new();
        let mut taken_serials: Vec<(i64, String)> = Vec::new();
        let mut new_serials: Vec<String> = Vec::new();
        for (i, l) in input.lines.iter().enumerate() {
            let f = |name: &str| format!("lines[{i}].{name}");
            let product = c.id(&f("product_id"), &l.product_id);
            let qty = crate::pricing::line_qty(&mut c, &f("qty"), &l.qty);
            let special = c.percent(&f("special_discount"), &l.special_discount);
            let mut vat = String::new();
            let mut tracked = false;
            if product != 0 {
                match products_of.get(&product) {
                    Some((v, t, unit)) => {
                        vat = v.clone();
                        tracked = *t != 0;
                        // «1,5 шт» is a typing slip, not a quantity.
                        if qty > 0 && !kupets_domain::unit::fits(unit, qty) {
                            c.err(
                                &f("qty"),
                                "whole_units",
                                format!("«{unit}» — только целое количество"),
                                format!("'{unit}' takes whole numbers only"),
                            );
                        }
                    }
                    None => c.err(
                        &f("product_id"),
                        "not_found",
                        format!("Товар {product} не найден"),
                        format!("No product {product}"),
                    ),
                }
            }
            // The line this one fulfils (order line) or reverses (base line).
            let (link_field, link, link_doc) = if kind.base_kind().is_some() {
                (
                    "base_line_id",
                    c.id(&f("base_line_id"), &l.base_line_id),
                    base.map(|b| b.0),
                )
            } else {
                (
                    "order_line_id",
                    c.opt_id(&f("order_line_id"), &l.order_line_id).unwrap_or(0),
                    order_id,
                )
            };
            let mut price = None;
            let mut pricing = None;
            if link != 0 {
                match links_of.get(&link) {
                    Some(r)
                        if Some(r.get::<i64, _>("document_id")) == link_doc
                            && r.get::<i64, _>("product_id") == product =>
                    {
                        if kind.base_kind().is_some() {
                            // A return is valued at the price it was shipped at.
                            price = Some(r.get::<i64, _>("price"));
                        } else if rule_priced(kind) {
                            // A shipment takes the order line's price as decided.
                            let p: i64 = r.get("price");
                            c.opt_money(&f("price"), &l.price);
                            check_sent_price(&mut c, &f("price"), &l.price, p);
                            if special != 0 {
                                c.err(
                                    &f("special_discount"),
                                    "priced_by_order",
                                    "Цена строки берётся из заказа; скидку задают в заказе",
                                    "The line's price comes from the order; set discounts there",
                                );
                            }
                            price = Some(p);
                            pricing =
                                r.get::<Option<i64>, _>("retail_price")
                                    .map(|retail| LinePricing {
                                        retail,
                                        base: r
                                            .get::<Option<i64>, _>("base_price")
                                            .unwrap_or(retail),
                                        auto_pct: r.get("auto_pct"),
                                        special_pct: r.get("special_pct"),
                                        rule_kind: r.get("rule_kind"),
                                        rule_id: r.get("rule_id"),
                                        explanation: r
                                            .get::<Option<String>, _>("pricing")
                                            .unwrap_or_default(),
                                    });
                        }
                    }
                    _ => c.err(
                        &f(link_field),
                        "not_in_base",
                        "Строка не из этого документа или другой товар",
                        "Not a line of that document, or another product",
                    ),
                }
            }
            let price = match price {
                Some(p) => p,
                // A return has no price of its own; a wrong base line is reported above.
                None if kind.base_kind().is_some() => 0,
                // Priced by the rules below, once every line is known.
                None if rule_priced(kind) => {
                    // A sent price must at least be an amount; it is compared
                    // with the decided one below.
                    c.opt_money(&f("price"), &l.price);
                    to_price.push(crate::pricing::ToPrice {
                        index: i,
                        product,
                        qty,
                        special,
                    });
                    0
                }
                None => {
                    let p = c.money(&f("price"), &l.price);
                    if p < 0 {
                        c.err(
                            &f("price"),
                            "negative",
                            "Цена не может быть отрицательной",
                            "A price cannot be negative",
                        );
                    }
                    p
                }
            };
            let units = if matches!(
                kind,
                DocKind::Shipment | DocKind::Return | DocKind::SupplierReturn
            ) && product != 0
            {
                crate::serial::line_serials(
                    &mut c,
                    tx,
                    &f("serials"),
                    kind,
                    product,
                    tracked,
                    qty,
                    &l.serials,
                    wh,
                    Some(link).filter(|l| *l != 0 && kind.base_kind().is_some()),
                    cp,
                    &mut taken_units,
                )
                .await?
            } else if kind == DocKind::Receipt && product != 0 {
                new_serials = crate::serial::receipt_serials(
                    &mut c,
                    tx,
                    &f("serials"),
                    product,
                    tracked,
                    qty,
                    &l.serials,
                    &mut taken_serials,
                )
                .await?;
                Vec::new()
            } else {
                if !l.serials.is_empty() {
                    c.err(
                        &f("serials"),
                        "serials_not_here",
                        "Серийные номера указываются в поступлениях, отгрузках и возвратах от покупателей",
                        "Serials are named on receipts, shipments and customer returns",
                    );
                }
                Vec::new()
            };
            lines.push(NewLine {
                product,
                qty,
                price,
                vat,
                base_line: Some(link).filter(|l| *l != 0),
                pricing,
                units,
                new_serials: std::mem::take(&mut new_serials),
                cost: None,
            });
        }
        let replacement_mode = crate::replacement::mode(
            &mut c,
            actor,
            replacement_for,
            &input.replacement_pricing,
            &input.replacement_reason,
        )?;
        if let (Some(ret), Some((m, _))) = (replacement_for, &replacement_mode) {
            if *m != crate::replacement::Mode::Current {
                // Priced from the return, not by the rules.
                let asked: Vec<(usize, i64, i64)> = to_price
                    .iter()
                    .map(|t| (t.index, t.product, t.qty))
                    .collect();
                let priced =
                    crate::replacement::prices(&mut c, tx, ret, *m, &date.to_string(), &asked)
                        .await?;
                for ((i, _, _), p) in asked.iter().zip(priced) {
                    if let Some((price, cost)) = p {
                        lines[*i].price = price;
                        lines[*i].cost = Some(cost);
                        check_sent_price(
                            &mut c,
                            &format!("lines[{i}].price"),
                            &input.lines[*i].price,
                            price,
                        );
                    }
                }
                to_price.clear();
            }
        }
        // An unknown counterparty is reported above; pricing would say it again.
        if !to_price.is_empty() && cp_row.is_some() {
            let (priced, _) = crate::pricing::price_lines(
                tx,
                Some(cp),
                date,
                actor.id(),
                &to_price,
                "lines",
                &mut c,
            )
            .await?;
            for (t, p) in to_price.iter().zip(priced) {
                if let Some(p) = p {
                    let line = &mut lines[t.index];
                    line.price = p.line.final_price.0;
                    check_sent_price(
                        &mut c,
                        &format!("lines[{}].price", t.index),
                        &input.lines[t.index].price,
                        line.price,
                    );
                    line.pricing = Some(LinePricing::of(&p));
                }
            }
        }
        let mut total = Money::ZERO;
        let mut lines_ok = true;
        for (i, l) in lines.iter().enumerate() {
            let amount = line_amount(Qty(l.qty), Money(l.price));
            if !amount.in_bounds() {
                lines_ok = false;
                c.err(
                    &format!("lines[{i}].qty"),
                    "too_large",
                    "Сумма строки больше 999 999 999 999,99",
                    "The line's amount exceeds 999 999 999 999.99",
                );
            }
            total = total + amount;
        }
        if lines_ok && !total.in_bounds() {
            c.err(
                "lines",
                "too_large",
                "Сумма документа больше 999 999 999 999,99",
                "The document's total exceeds 999 999 999 999.99",
            );
        }
        if kind == DocKind::Return && crate::input::truthy(&input.to_repair) {
            // A unit handed in for repair stays the client's: a return would
            // credit them and put it in our stock (issue 12, item 3).
            c.err(
                "to_repair",
                "repair_is_not_a_return",
                "Изделие, сданное в ремонт, остаётся собственностью клиента: оформите заказ на ремонт (Ремонты → «Принять в ремонт»), а не возврат",
                "A unit handed in for repair stays the client's property: open a repair order (Repairs → 'Take in for repair'), not a return",
            );
        }
        c.done()?;
        let total = total.0;
        let replacement =
            kind == DocKind::Return && crate::input::truthy(&input.replacement_required);
        Ok((
            date,
            vec![
                ("counterparty_id", P::from(Some(cp))),
                ("warehouse_id", P::from(wh)),
                ("order_id", P::from(order_id)),
                ("base_id", P::from(base.map(|b| b.0))),
                ("replacement_required", P::from(replacement)),
                ("replacement_for_id", P::from(replacement_for)),
                (
                    "replacement_pricing",
                    P::from(replacement_mode.as_ref().map(|m| m.0.code().to_string())),
                ),
                (
                    "replacement_reason",
                    P::from(
                        replacement_mode
                            .as_ref()
                            .map(|m| m.1.clone())
                            .unwrap_or_default(),
                    ),
                ),
                // Refused above; drafts saved before issue 12 may still carry it.
                ("to_repair", P::from(false)),
                ("doc_date", P::from(date.to_string())),
                ("amount", P::from(total)),
                ("comment", P::from(comment)),
                ("buyer_name", P::from(buyer_name)),
                ("buyer_phone", P::from(buyer_phone)),
                ("responsible_id", P::from(responsible)),
            ],
            lines,
        ))
    }

    /// Writes a document's lines in one statement (and their serials).
    /// `fresh`: a new document, with nothing of its own to clear first.
    async fn write_lines(tx: &mut Conn, doc_id: i64, lines: &[NewLine], fresh: bool) -> Result<()> {
        if !fresh {
            crate::serial::drop_incoming(tx, doc_id).await?;
            sql::query("DELETE FROM line_units WHERE line_id IN (SELECT id FROM document_lines WHERE document_id = $1)")
                .bind(doc_id)
                .execute(&mut *tx)
                .await?;
            sql::query("DELETE FROM document_lines WHERE document_id = $1")
                .bind(doc_id)
                .execute(&mut *tx)
                .await?;
        }
        if lines.is_empty() {
            return Ok(());
        }
        const COLS: [&str; 17] = [
            "cost",
            "document_id",
            "line_no",
            "product_id",
            "qty",
            "price",
            "amount",
            "vat_rate",
            "vat",
            "base_line_id",
            "retail_price",
            "base_price",
            "auto_pct",
            "special_pct",
            "rule_kind",
            "rule_id",
            "pricing",
        ];
        let mut params: Vec<P> = Vec::with_capacity(lines.len() * COLS.len());
        for (i, l) in lines.iter().enumerate() {
            let amount = line_amount(Qty(l.qty), Money(l.price));
            let rate = VatRate::parse(&l.vat).unwrap_or(VatRate::R22);
            params.extend([
                P::from(l.cost),
                P::from(doc_id),
                P::from(i as i64 + 1),
                P::from(l.product),
                P::from(l.qty),
                P::from(l.price),
                P::from(amount.0),
                P::from(l.vat.as_str()),
                P::from(line_vat(amount, rate).0),
                P::from(l.base_line),
                P::from(l.pricing.as_ref().map(|p| p.retail)),
                P::from(l.pricing.as_ref().map(|p| p.base)),
                P::from(l.pricing.as_ref().map_or(0, |p| p.auto_pct)),
                P::from(l.pricing.as_ref().map_or(0, |p| p.special_pct)),
                P::from(l.pricing.as_ref().and_then(|p| p.rule_kind.clone())),
                P::from(l.pricing.as_ref().and_then(|p| p.rule_id)),
                P::from(l.pricing.as_ref().map(|p| p.explanation.clone())),
            ]);
        }
        let sql = format!(
            "INSERT INTO document_lines ({}) VALUES {} RETURNING id, line_no",
            COLS.join(", "),
            queries::value_rows(1, lines.len(), COLS.len())
        );
        let ids: std::collections::HashMap<i64, i64> = sql::query_as::<(i64, i64)>(&sql)
            .bind_all(&params)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|(id, no)| (no, id))
            .collect();
        for (i, l) in lines.iter().enumerate() {
            if l.units.is_empty() && l.new_serials.is_empty() {
                continue;
            }
            let line_id = ids.get(&(i as i64 + 1)).copied().unwrap_or_default();
            let mut units = l.units.clone();
            for sn in &l.new_serials {
                units.push(
                    queries::insert(
                        tx,
                        "units",
                        &[
                            ("product_id", P::from(l.product)),
                            ("serial", P::from(sn.as_str())),
                            ("production_date", P::from("")),
                            ("state", P::from("incoming")),
                            ("created_at", P::from(now())),
                        ],
                    )
                    .await?,
                );
            }
            for u in &units {
                sql::query("INSERT INTO line_units (line_id, unit_id) VALUES ($1, $2)")
                    .bind(line_id)
                    .bind(*u)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Ok(())
    }

    async fn new_header(
        tx: &mut Conn,
        actor: &Actor,
        kind: DocKind,
        date: chrono::NaiveDate,
        mut cols: Vec<(&'static str, P)>,
    ) -> Result<i64> {
        let seq = next_doc_seq(tx, kind.code(), date.year()).await?;
        cols.extend([
            ("kind", P::from(kind.code())),
            ("year", P::from(date.year() as i64)),
            ("seq", P::from(seq)),
            ("number", P::from(doc_number(kind, date.year(), seq))),
            ("state", P::from(DocState::Draft.code())),
            ("author_id", P::from(actor.id())),
            ("created_at", P::from(now())),
        ]);
        let id = queries::insert(tx, "documents", &cols).await?;
        audit(tx, Some(actor.id()), "create", kind.code(), id, "").await?;
        Ok(id)
    }

    /// Creates a draft order, shipment or receipt.
    pub async fn create_trade_doc(
        &self,
        actor: &Actor,
        kind: DocKind,
        input: &TradeDocInput,
    ) -> Result<TradeDoc> {
        self.create_trade_doc_with(actor, kind, input, false).await
    }

    /// Creates a document and, with `post`, posts it in the same
    /// transaction ("Провести и закрыть"): one commit instead of two, and
    /// nothing is written when the posting is refused (no stray draft).
    pub async fn create_trade_doc_with(
        &self,
        actor: &Actor,
        kind: DocKind,
        input: &TradeDocInput,
        post: bool,
    ) -> Result<TradeDoc> {
        actor.require(right_for(kind))?;
        let checked = self.check_draft_on_reader(actor, kind, input, post).await?;
        let (id, posted) = write_tx!(self, [actor, input], own[checked], |app, tx| {
            let (date, cols, lines) = match checked {
                Some(c) => c,
                None => app.trade_cols(&mut tx, actor, kind, input).await?,
            };
            let id = Self::new_header(&mut tx, actor, kind, date, cols).await?;
            Self::write_lines(&mut tx, id, &lines, true).await?;
            if post {
                let (document, lines) = app.post_in_tx_lines(&mut tx, actor, kind, id, "").await?;
                return Ok((id, Some(TradeDoc { document, lines })));
            }
            Ok((id, None))
        })?;
        if let Some(doc) = posted {
            return Ok(doc);
        }
        // A draft's answer is read back after the commit, on a reader: on
        // SQLite the writer thread is what many clients wait for, and the
        // read (the header and every line with its product) was a tenth of
        // its time for a ten-line shipment created and then posted. What is
        // read is the committed draft, or what another request has made of
        // it since.
        self.get_trade_doc(actor, kind, id).await
    }

    /// On SQLite, a plain draft is checked and priced on a reader before its
    /// job goes to the writer: the single writer thread is what many clients
    /// wait for, and this work was 16 % of its time with 16 clients creating
    /// then posting shipments (`bench posting`: the writer 556–600 µs a
    /// shipment against 619–700, about a tenth more shipments a second).
    ///
    /// The draft is then as if created when the reader's snapshot was taken:
    /// nothing else reads it before it exists, its number is drawn on the
    /// writer, and posting checks what it needs on the writer (the state,
    /// stock, what is left on the order, the credit limit). What a
    /// commit in between could make wrong is left to the writer as before:
    /// a document posted at once, serial units or new serials (another
    /// document may take them), returns (their shipment may be returned
    /// meanwhile) and replacements. `None`: check on the writer.
    async fn check_draft_on_reader(
        &self,
        actor: &Actor,
        kind: DocKind,
        input: &TradeDocInput,
        post: bool,
    ) -> Result<Option<Checked>> {
        if post
            || self.store.engine() != kupets_store::Engine::Sqlite
            || kind.base_kind().is_some()
            || crate::input::trimmed(&input.replacement_for_id).is_some()
            || input.lines.iter().any(|l| !l.serials.is_empty())
        {
            return Ok(None);
        }
        let (app, actor, input) = (self.clone(), actor.clone(), input.clone());
        let checked = self
            .store
            .read_here(move |tx| {
                Box::pin(async move { app.trade_cols(&mut *tx, &actor, kind, &input).await })
            })
            .await?;
        // A serial-tracked product's units were picked from the snapshot.
        let serials = checked
            .2
            .iter()
            .any(|l| !l.units.is_empty() || !l.new_serials.is_empty());
        Ok((!serials).then_some(checked))
    }

    /// Replaces a draft's header and lines; a posted document is refused.
    pub async fn update_trade_doc(
        &self,
        actor: &Actor,
        kind: DocKind,
        id: i64,
        input: &TradeDocInput,
    ) -> Result<TradeDoc> {
        actor.require(right_for(kind))?;
        write_tx!(self, [actor, input], |app, tx| {
            let doc = app.load_doc(&mut tx, kind, id, true).await?;
            crate::document::check_draft(&doc)?;
            // A draft receipt's own incoming serials are free again for its new lines.
            crate::serial::drop_incoming(&mut tx, id).await?;
            let (_, mut cols, lines) = app.trade_cols(&mut tx, actor, kind, input).await?;
            // Editing a draft keeps its responsible unless a new one is given.
            cols.retain(|(k, _)| *k != "responsible_id" || input.responsible_id.is_some());
            let mut changed = crate::changes::describe(&mut tx, "documents", id, &cols).await?;
            let old_lines = load_lines(&mut tx, id).await?;
            let before: Vec<String> = old_lines
                .iter()
                .map(|l| {
                    format!(
                        "{} × {} @ {}",
                        l.product_id,
                        Qty(l.qty).to_api(),
                        Money(l.price).to_api()
                    )
                })
                .collect();
            let after: Vec<String> = lines
                .iter()
                .map(|l| {
                    format!(
                        "{} × {} @ {}",
                        l.product,
                        Qty(l.qty).to_api(),
                        Money(l.price).to_api()
                    )
                })
                .collect();
            if before != after {
                if !changed.is_empty() {
                    changed.push_str("; ");
                }
                changed.push_str(&format!(
                    "lines: [{}] → [{}]",
                    before.join(", "),
                    after.join(", ")
                ));
            }
            queries::update(&mut tx, "documents", id, &cols).await?;
            Self::write_lines(&mut tx, id, &lines, false).await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "update",
                kind.code(),
                id,
                &changed,
            )
            .await?;
            let document = app.load_doc(&mut tx, kind, id, false).await?;
            let lines = load_lines(&mut tx, id).await?;
            Ok(TradeDoc { document, lines })
        })
    }

    /// Creates a draft payment (`in` or `out`).
    pub async fn create_payment(&self, actor: &Actor, input: &PaymentInput) -> Result<Document> {
        self.create_payment_with(actor, input, false).await
    }

    /// Creates a payment and, with `post`, posts it in the same transaction.
    pub async fn create_payment_with(
        &self,
        actor: &Actor,
        input: &PaymentInput,
        post: bool,
    ) -> Result<Document> {
        actor.require(Right::PostSettlements)?;
        let mut c = Check::new();
        let kind = match input.direction.as_deref().map(str::trim).unwrap_or("in") {
            "in" | "" => DocKind::PaymentIn,
            "out" => DocKind::PaymentOut,
            _ => {
                c.err(
                    "direction",
                    "invalid",
                    "Направление: in или out",
                    "Direction: in or out",
                );
                DocKind::PaymentIn
            }
        };
        write_tx!(self, [actor, input], own[c], |app, tx| {
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
            let date = c.date("date", &input.date, today());
            let amount = c.money("amount", &input.amount);
            if amount <= 0 && c.errors.iter().all(|e| e.field != "amount") {
                c.err(
                    "amount",
                    "not_positive",
                    "Сумма платежа больше нуля",
                    "A payment amount must be above zero",
                );
            }
            let mut order_id = c.opt_id("order_id", &input.order_id);
            let invoice_id =
                crate::invoice::check_payment_invoice(&mut c, &mut tx, input, cp, &mut order_id)
                    .await?;
            if let Some(o) = order_id {
                let owner: Option<Option<i64>> = sql::query_scalar(
                    "SELECT counterparty_id FROM documents WHERE id = $1 AND kind = 'sales_order'",
                )
                .bind(o)
                .fetch_optional(&mut *tx)
                .await?;
                match owner {
                    None => c.err(
                        "order_id",
                        "not_found",
                        format!("Заказ {o} не найден"),
                        format!("No sales order {o}"),
                    ),
                    Some(owner) if cp != 0 && owner != Some(cp) => c.err(
                        "order_id",
                        "other_customer",
                        "Заказ другого контрагента",
                        "The order belongs to another counterparty",
                    ),
                    _ => {}
                }
            }
            let comment = c.opt_text("comment", &input.comment, 1000);
            let responsible = match c.opt_id("responsible_id", &input.responsible_id) {
                Some(r) => r,
                None => {
                    crate::responsible::default_for(&mut tx, Some(cp), order_id, actor.id()).await?
                }
            };
            check_ref(
                &mut c,
                &mut tx,
                "responsible_id",
                "employees",
                Some(responsible),
            )
            .await?;
            c.done()?;
            let cols = vec![
                ("counterparty_id", P::from(Some(cp))),
                ("order_id", P::from(order_id)),
                ("invoice_id", P::from(invoice_id)),
                ("doc_date", P::from(date.to_string())),
                ("amount", P::from(amount)),
                ("comment", P::from(comment)),
                ("responsible_id", P::from(responsible)),
            ];
            let id = Self::new_header(&mut tx, actor, kind, date, cols).await?;
            if post {
                return app.post_in_tx(&mut tx, actor, kind, id, "").await;
            }
            let d = app.load_doc(&mut tx, kind, id, false).await?;
            Ok(d)
        })
    }

    /// The kind of a document by id (payments are listed under one resource).
    pub async fn kind_of(&self, id: i64) -> Result<DocKind> {
        // Every payment request passes here: the store's fast read path.
        let k = self
            .store
            .read_rows(
                "SELECT kind FROM documents WHERE id = $1".into(),
                vec![P::from(id)],
                |r| r.text("kind"),
            )
            .await?;
        k.first()
            .and_then(|k| DocKind::parse(k))
            .ok_or(AppError::NotFound { entity: "document" })
    }

    /// Stock rows, optionally for one warehouse or product; zero rows left out.
    pub async fn stock(
        &self,
        _actor: &Actor,
        warehouse_id: Option<i64>,
        product_id: Option<i64>,
    ) -> Result<Vec<StockRow>> {
        let mut sql = String::from(
            "SELECT s.warehouse_id, w.name AS warehouse_name, s.product_id, p.name AS product_name, p.sku, s.qty \
             FROM stock s JOIN warehouses w ON w.id = s.warehouse_id JOIN products p ON p.id = s.product_id WHERE s.qty <> 0",
        );
        let mut params = Vec::new();
        if let Some(w) = warehouse_id {
            params.push(P::from(w));
            sql += &format!(" AND s.warehouse_id = ${}", params.len());
        }
        if let Some(p) = product_id {
            params.push(P::from(p));
            sql += &format!(" AND s.product_id = ${}", params.len());
        }
        sql += " ORDER BY w.name, p.name LIMIT 5000";
        Ok(self
            .store
            .read_rows(sql, params, |r| StockRow {
                warehouse_id: r.int("warehouse_id").to_string(),
                warehouse_name: r.text("warehouse_name"),
                product_id: r.int("product_id").to_string(),
                product_name: r.text("product_name"),
                sku: r.text("sku"),
                qty: Qty(r.int("qty")).to_api(),
            })
            .await?)
    }
}

/// The walk-in buyer's name and phone on a sales-side document (issue 12,
/// item 5): refused on any other counterparty's documents, whose card
/// already names the buyer.
fn buyer_of(
    c: &mut Check,
    kind: DocKind,
    walk_in: bool,
    input: &TradeDocInput,
) -> (String, String) {
    let name = c.opt_text("buyer_name", &input.buyer_name, 200);
    let phone = c.opt_text("buyer_phone", &input.buyer_phone, 50);
    if name.is_empty() && phone.is_empty() {
        return (name, phone);
    }
    let sales = matches!(
        kind,
        DocKind::SalesOrder | DocKind::Shipment | DocKind::Return
    );
    if !walk_in || !sales {
        let field = if name.is_empty() {
            "buyer_phone"
        } else {
            "buyer_name"
        };
        c.err(
            field,
            "walk_in_only",
            "Имя и телефон покупателя указывают только в продажах «Розничному покупателю»",
            "A buyer's name and phone go only on sales to the walk-in buyer",
        );
    }
    if !phone.is_empty()
        && (!phone
            .chars()
            .all(|ch| ch.is_ascii_digit() || " +()-".contains(ch))
            || phone.chars().filter(|ch| ch.is_ascii_digit()).count() < 5)
    {
        c.err(
            "buyer_phone",
            "invalid_phone",
            "Телефон: цифры (не меньше 5), пробелы и + ( ) -",
            "Phone: digits (at least 5), spaces and + ( ) -",
        );
    }
    (name, phone)
}
