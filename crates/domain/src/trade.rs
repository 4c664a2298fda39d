//! Arithmetic of orders, shipments and receipts: line amounts and VAT, what
//! is left to ship on an order line, and the order's shipment and payment
//! states.

use crate::money::{Money, Qty};
use crate::vat::VatRate;

/// A priced line: amount = round(qty × price), VAT extracted from it.
pub fn line_amount(qty: Qty, price: Money) -> Money {
    price.times_qty(qty)
}

pub fn line_vat(amount: Money, rate: VatRate) -> Money {
    rate.vat_of(amount)
}

/// What is left of an order line: ordered − shipped − closed by hand.
pub fn remaining(ordered: Qty, shipped: Qty, closed: Qty) -> Qty {
    Qty(ordered.0 - shipped.0 - closed.0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipmentState {
    NotShipped,
    PartiallyShipped,
    Shipped,
}

/// The order's shipment state from its lines as (ordered, shipped, closed).
/// A line whose remainder was closed counts as done.
pub fn shipment_state(lines: &[(Qty, Qty, Qty)]) -> ShipmentState {
    let shipped_any = lines.iter().any(|l| l.1 .0 > 0);
    let all_done = lines.iter().all(|&(o, s, c)| remaining(o, s, c).0 <= 0);
    match (shipped_any, all_done) {
        (_, true) if shipped_any || lines.iter().all(|l| l.2 .0 > 0) => ShipmentState::Shipped,
        (true, _) => ShipmentState::PartiallyShipped,
        _ => ShipmentState::NotShipped,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    Unpaid,
    /// Money received ahead of the goods: paid more than shipped so far.
    Prepaid,
    PartiallyPaid,
    Paid,
}

/// Paid in full → paid; otherwise paid ahead of shipments → prepaid; some
/// money → partially paid; none → unpaid.
pub fn payment_state(total: Money, shipped: Money, paid: Money) -> PaymentState {
    if paid.0 <= 0 {
        PaymentState::Unpaid
    } else if paid >= total {
        PaymentState::Paid
    } else if paid > shipped {
        PaymentState::Prepaid
    } else {
        PaymentState::PartiallyPaid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(line_amount(Qty::units(3), Money(820_260)), Money(2_460_780));
        assert_eq!(line_amount(Qty(1_500), Money(333)), Money(500)); // 4.995 → 5.00
        assert_eq!(line_vat(Money(12_200), VatRate::R22), Money(2_200));
    }

    #[test]
    fn order_states() {
        let u = Qty::units;
        assert_eq!(
            shipment_state(&[(u(10), u(0), u(0))]),
            ShipmentState::NotShipped
        );
        assert_eq!(
            shipment_state(&[(u(10), u(4), u(0)), (u(5), u(0), u(0))]),
            ShipmentState::PartiallyShipped
        );
        assert_eq!(
            shipment_state(&[(u(10), u(10), u(0)), (u(5), u(2), u(3))]),
            ShipmentState::Shipped
        );
        assert_eq!(remaining(u(10), u(4), u(1)), u(5));
        assert_eq!(
            payment_state(Money(1000), Money(0), Money(0)),
            PaymentState::Unpaid
        );
        assert_eq!(
            payment_state(Money(1000), Money(0), Money(300)),
            PaymentState::Prepaid
        );
        assert_eq!(
            payment_state(Money(1000), Money(600), Money(300)),
            PaymentState::PartiallyPaid
        );
        assert_eq!(
            payment_state(Money(1000), Money(600), Money(1000)),
            PaymentState::Paid
        );
    }
}
