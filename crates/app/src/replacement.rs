//! Fair replacements: a shipment that replaces a returned unit (it names
//! the return) is priced by default at the returned line's price, so the
//! pair nets to zero in settlements. A head of department (or an admin) may
//! instead ship it free of charge (price 0, our cost of the goods kept on the
//! line) or at the current rule price — either with a reason.

use crate::input::Check;
use crate::{Actor, Result};
use kupets_domain::money::date_ru;
use kupets_domain::role::Right;
use kupets_domain::{Money, Qty};
use kupets_store::{sql, Conn};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// How a replacement is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// At the returned line's price (the default): the pair nets to zero.
    Returned,
    /// Free of charge: price 0, the cost kept.
    Free,
    /// At today's rule price.
    Current,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Returned, Mode::Free, Mode::Current];
    pub fn code(self) -> &'static str {
        match self {
            Mode::Returned => "returned_price",
            Mode::Free => "free",
            Mode::Current => "current_price",
        }
    }
    pub fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.code() == s)
    }
    pub fn label(self, ru: bool) -> &'static str {
        match (self, ru) {
            (Mode::Returned, true) => "по цене возврата",
            (Mode::Returned, false) => "at the returned price",
            (Mode::Free, true) => "бесплатно",
            (Mode::Free, false) => "free of charge",
            (Mode::Current, true) => "по текущей цене",
            (Mode::Current, false) => "at the current price",
        }
    }
}

/// Reads the pricing choice of a replacement shipment: the mode (default:
/// the returned price) and the reason, which free and current-price
/// replacements need, as they need a head's right.
pub(crate) fn mode(
    c: &mut Check,
    actor: &Actor,
    replaces: Option<i64>,
    mode: &Option<String>,
    reason: &Option<String>,
) -> Result<Option<(Mode, String)>> {
    let asked = mode.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let reason = reason.as_deref().map(str::trim).unwrap_or("").to_string();
    let Some(_) = replaces else {
        if asked.is_some() {
            c.err(
                "replacement_pricing",
                "not_a_replacement",
                "Цена замены задаётся только у отгрузки, заменяющей возврат",
                "Replacement pricing goes only with a shipment that replaces a return",
            );
        }
        return Ok(None);
    };
    let m = match asked {
        None => Mode::Returned,
        Some(s) => match Mode::parse(s) {
            Some(m) => m,
            None => {
                c.err(
                    "replacement_pricing",
                    "invalid",
                    "returned_price (по цене возврата), free (бесплатно) или current_price (по текущей цене)",
                    "returned_price, free or current_price",
                );
                Mode::Returned
            }
        },
    };
    if m != Mode::Returned {
        actor.require(Right::LeadDepartment)?;
        if reason.is_empty() {
            c.err(
                "replacement_reason",
                "required",
                "Укажите причину: замена не по цене возврата",
                "Give the reason: the replacement is not at the returned price",
            );
        }
    }
    if reason.chars().count() > 500 {
        c.err(
            "replacement_reason",
            "too_long",
            "Не более 500 символов",
            "At most 500 characters",
        );
    }
    Ok(Some((m, reason)))
}

/// Prices the lines `(index, product, qty)` of a replacement of return
/// `ret` (mode returned price or free): (price, cost) per line, `None` after
/// adding an error. A product must be on the return, and no more of it than
/// was returned.
pub(crate) async fn prices(
    c: &mut Check,
    tx: &mut Conn,
    ret: i64,
    m: Mode,
    date: &str,
    lines: &[(usize, i64, i64)],
) -> Result<Vec<Option<(i64, i64)>>> {
    // product → (price of its first returned line, quantity returned).
    let mut returned: HashMap<i64, (i64, i64)> = HashMap::new();
    for r in sql::query(
        "SELECT product_id, price, qty FROM document_lines WHERE document_id = $1 ORDER BY line_no",
    )
    .bind(ret)
    .fetch_all(&mut *tx)
    .await?
    {
        let e = returned
            .entry(r.get::<i64, _>("product_id"))
            .or_insert((r.get("price"), 0));
        e.1 += r.get::<i64, _>("qty");
    }
    let mut left = returned.clone();
    let mut out = Vec::new();
    for (i, product, qty) in lines {
        let field = format!("lines[{i}].qty");
        match left.get_mut(product) {
            None if *product != 0 => {
                c.err(
                    &format!("lines[{i}].product_id"),
                    "not_returned",
                    "Этого товара нет в возврате; замену другим товаром отгрузите по текущей цене",
                    "This product is not on the return; ship another product at the current price",
                );
                out.push(None);
            }
            None => out.push(None),
            Some((price, rest)) => {
                if qty > rest {
                    c.err(
                        &field,
                        "more_than_returned",
                        format!("Возвращено только {}", Qty(returned[product].1).to_api()),
                        format!("Only {} returned", Qty(returned[product].1).to_api()),
                    );
                    out.push(None);
                    continue;
                }
                *rest -= qty;
                let cost = purchase_cost(tx, *product, date).await?.unwrap_or(*price);
                out.push(Some((if m == Mode::Free { 0 } else { *price }, cost)));
            }
        }
    }
    Ok(out)
}

/// Our cost of a product on a date: the price of its latest posted receipt.
async fn purchase_cost(tx: &mut Conn, product: i64, date: &str) -> Result<Option<i64>> {
    Ok(sql::query_scalar(
        "SELECT l.price FROM document_lines l JOIN documents d ON d.id = l.document_id \
         WHERE d.kind = 'receipt' AND d.state = 'posted' AND l.product_id = $1 AND d.doc_date <= $2 \
         ORDER BY d.doc_date DESC, l.id DESC LIMIT 1",
    )
    .bind(product)
    .bind(date)
    .fetch_optional(&mut *tx)
    .await?)
}

/// What a replacement shipment says about itself, for its page and print.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplacementInfo {
    /// `returned_price`, `free` or `current_price`.
    pub pricing: String,
    pub reason: String,
    #[schema(value_type = String)]
    pub return_id: String,
    pub return_number: String,
    pub return_date: String,
    /// «замена по возврату № … от …».
    pub print_ru: String,
    /// Cost of the goods kept on the lines (free replacements).
    #[schema(value_type = String)]
    pub cost: String,
}

impl crate::App {
    /// The replacement facts of a shipment; `None` when it replaces nothing.
    pub async fn replacement_info(&self, shipment: i64) -> Result<Option<ReplacementInfo>> {
        let mut conn = self.store.read_conn().await?;
        let r = sql::query(
            "SELECT s.replacement_pricing, s.replacement_reason, r.id, r.number, r.doc_date, \
               (SELECT CAST(COALESCE(SUM(l.cost * l.qty / 1000), 0) AS BIGINT) FROM document_lines l WHERE l.document_id = s.id) AS cost \
             FROM documents s JOIN documents r ON r.id = s.replacement_for_id WHERE s.id = $1",
        )
        .bind(shipment)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(r.map(|r| {
            let number: String = r.get("number");
            let date: String = r.get("doc_date");
            let d = crate::input::parse_date(&date)
                .map(date_ru)
                .unwrap_or(date.clone());
            ReplacementInfo {
                pricing: r
                    .get::<Option<String>, _>("replacement_pricing")
                    .unwrap_or_else(|| "current_price".into()),
                reason: r
                    .get::<Option<String>, _>("replacement_reason")
                    .unwrap_or_default(),
                return_id: r.get::<i64, _>("id").to_string(),
                return_number: number.clone(),
                return_date: date,
                print_ru: format!("замена по возврату № {number} от {d}"),
                cost: Money(r.get("cost")).to_api(),
            }
        }))
    }
}
