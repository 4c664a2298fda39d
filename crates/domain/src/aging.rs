//! Receivables aging: which debts are still open on a date and how old they
//! are. Each document's net ledger amount up to the report date is a debit
//! (raises the debt) or a credit. Credits are allocated in this order:
//! a return reduces the shipment it references; a credit naming an order
//! pays that order's debits, oldest first; every other credit (and what the
//! first two leave) pays the oldest open debits first.

use chrono::NaiveDate;

#[derive(Debug, Clone)]
pub struct Item {
    pub doc_id: i64,
    pub date: NaiveDate,
    /// Net amount in kopecks: > 0 debit, < 0 credit.
    pub amount: i64,
    pub order_id: Option<i64>,
    /// For a return: the shipment it reverses.
    pub base_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Buckets {
    /// 0–30 days
    pub d0_30: i64,
    pub d31_60: i64,
    pub d61_90: i64,
    pub d90_plus: i64,
    /// Credit not allocated to any debt: a prepayment, shown apart.
    pub unallocated_credit: i64,
}

impl Buckets {
    pub fn total(&self) -> i64 {
        self.d0_30 + self.d31_60 + self.d61_90 + self.d90_plus
    }
}

/// Ages one counterparty's items on `on` (items dated later are ignored).
///
/// Linear in the items after one sort: debits are found by document and by
/// order through maps built once, and each order's debits are drained
/// oldest first behind a cursor, so a long history costs no more per entry
/// than a short one.
pub fn age(items: &[Item], on: NaiveDate) -> Buckets {
    use std::collections::HashMap;
    let items: Vec<&Item> = items
        .iter()
        .filter(|i| i.date <= on && i.amount != 0)
        .collect();
    // Open debits, oldest first: (doc, date, order, open amount).
    let mut debits: Vec<(i64, NaiveDate, Option<i64>, i64)> = items
        .iter()
        .filter(|i| i.amount > 0)
        .map(|i| (i.doc_id, i.date, i.order_id, i.amount))
        .collect();
    debits.sort_by_key(|d| (d.1, d.0));
    // Where each document's debits are, and each order's, oldest first.
    let mut by_doc: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut by_order: HashMap<i64, (usize, Vec<usize>)> = HashMap::new();
    for (k, d) in debits.iter().enumerate() {
        by_doc.entry(d.0).or_default().push(k);
        if let Some(o) = d.2 {
            by_order.entry(o).or_default().1.push(k);
        }
    }
    let mut credits: Vec<&Item> = items.iter().copied().filter(|i| i.amount < 0).collect();
    credits.sort_by_key(|c| (c.date, c.doc_id));
    let mut pool = 0i64;
    let take = |d: &mut (i64, NaiveDate, Option<i64>, i64), left: &mut i64| {
        let x = d.3.min(*left);
        d.3 -= x;
        *left -= x;
    };
    for c in &credits {
        let mut left = -c.amount;
        if let Some(ks) = c.base_id.and_then(|b| by_doc.get(&b)) {
            for &k in ks {
                take(&mut debits[k], &mut left);
            }
        }
        if let Some((next, ks)) = c.order_id.and_then(|o| by_order.get_mut(&o)) {
            // Debits before `next` are drained; stop once the credit is.
            while left > 0 && *next < ks.len() {
                take(&mut debits[ks[*next]], &mut left);
                if debits[ks[*next]].3 == 0 {
                    *next += 1;
                } else {
                    break;
                }
            }
        }
        pool += left;
    }
    for d in debits.iter_mut() {
        if pool == 0 {
            break;
        }
        take(d, &mut pool);
    }
    let mut b = Buckets {
        unallocated_credit: pool,
        ..Default::default()
    };
    for (_, date, _, open) in debits {
        match (on - date).num_days() {
            0..=30 => b.d0_30 += open,
            31..=60 => b.d31_60 += open,
            61..=90 => b.d61_90 += open,
            _ => b.d90_plus += open,
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn it(doc: i64, date: &str, amount: i64, order: Option<i64>, base: Option<i64>) -> Item {
        Item {
            doc_id: doc,
            date: d(date),
            amount,
            order_id: order,
            base_id: base,
        }
    }

    #[test]
    fn oldest_debts_are_paid_first() {
        let items = [
            it(1, "2026-01-01", 1000, None, None),
            it(2, "2026-03-01", 500, None, None),
            it(3, "2026-03-15", -1200, None, None),
        ];
        let b = age(&items, d("2026-03-31"));
        // 1 000 paid in full, 200 of the March debt: 300 left, 30 days old.
        assert_eq!((b.d0_30, b.d90_plus, b.total()), (300, 0, 300));
    }

    #[test]
    fn returns_and_order_payments_go_where_they_belong() {
        let items = [
            it(1, "2026-01-01", 1000, Some(10), None), // order 10
            it(2, "2026-03-01", 500, Some(20), None),  // order 20
            it(3, "2026-03-10", -200, None, Some(2)),  // return of shipment 2
            it(4, "2026-03-20", -300, Some(20), None), // payment for order 20
        ];
        let b = age(&items, d("2026-03-31"));
        // Shipment 2 is settled by its return and its order's payment; the
        // January debt stays open and is 89 days old.
        assert_eq!((b.d61_90, b.d0_30, b.total()), (1000, 0, 1000));
    }

    #[test]
    fn later_payments_are_ignored_and_overpayment_is_apart() {
        let items = [
            it(1, "2026-01-01", 1000, None, None),
            it(2, "2026-04-02", -1000, None, None),
        ];
        assert_eq!(age(&items, d("2026-03-31")).d61_90, 1000);
        let items = [
            it(1, "2026-01-01", 1000, None, None),
            it(2, "2026-01-02", -1500, None, None),
        ];
        let b = age(&items, d("2026-03-31"));
        assert_eq!((b.total(), b.unallocated_credit), (0, 500));
        // Buckets: 31–60 and 90+.
        let items = [
            it(1, "2026-02-15", 100, None, None),
            it(2, "2025-12-01", 50, None, None),
        ];
        let b = age(&items, d("2026-03-31"));
        assert_eq!((b.d31_60, b.d90_plus), (100, 50));
    }

    /// The allocation as first written (a scan of every debit per credit):
    /// the linear one must agree with it on any history.
    fn age_by_scan(items: &[Item], on: NaiveDate) -> Buckets {
        let items: Vec<&Item> = items
            .iter()
            .filter(|i| i.date <= on && i.amount != 0)
            .collect();
        let mut debits: Vec<(i64, NaiveDate, Option<i64>, i64)> = items
            .iter()
            .filter(|i| i.amount > 0)
            .map(|i| (i.doc_id, i.date, i.order_id, i.amount))
            .collect();
        debits.sort_by_key(|d| (d.1, d.0));
        let mut credits: Vec<&Item> = items.iter().copied().filter(|i| i.amount < 0).collect();
        credits.sort_by_key(|c| (c.date, c.doc_id));
        let mut pool = 0i64;
        let take = |d: &mut (i64, NaiveDate, Option<i64>, i64), left: &mut i64| {
            let x = d.3.min(*left);
            d.3 -= x;
            *left -= x;
        };
        for c in &credits {
            let mut left = -c.amount;
            if let Some(base) = c.base_id {
                for d in debits.iter_mut().filter(|d| d.0 == base) {
                    take(d, &mut left);
                }
            }
            if let Some(order) = c.order_id {
                for d in debits.iter_mut().filter(|d| d.2 == Some(order)) {
                    take(d, &mut left);
                }
            }
            pool += left;
        }
        for d in debits.iter_mut() {
            take(d, &mut pool);
        }
        let mut b = Buckets {
            unallocated_credit: pool,
            ..Default::default()
        };
        for (_, date, _, open) in debits {
            match (on - date).num_days() {
                0..=30 => b.d0_30 += open,
                31..=60 => b.d31_60 += open,
                61..=90 => b.d61_90 += open,
                _ => b.d90_plus += open,
            }
        }
        b
    }

    proptest::proptest! {
        #[test]
        fn linear_allocation_equals_the_scan(
            raw in proptest::collection::vec((0i64..120, -5000i64..5000, 0i64..4, 0i64..6), 0..60)
        ) {
            let items: Vec<Item> = raw
                .iter()
                .enumerate()
                .map(|(k, (day, amount, order, base))| Item {
                    doc_id: k as i64 + 1,
                    date: d("2026-01-01") + chrono::Duration::days(*day),
                    amount: *amount,
                    order_id: (*order > 0).then_some(*order),
                    base_id: (*base > 0 && *amount < 0).then_some(*base),
                })
                .collect();
            let on = d("2026-03-15");
            let b = age(&items, on);
            proptest::prop_assert_eq!(b, age_by_scan(&items, on));
            // What the owner's page relies on: open debits less unallocated
            // credit are the balance, and credit stays unallocated only once
            // every debit is paid — so the total is the positive balance.
            let balance: i64 = items.iter().filter(|i| i.date <= on).map(|i| i.amount).sum();
            proptest::prop_assert_eq!(b.total() - b.unallocated_credit, balance);
            proptest::prop_assert_eq!(b.total(), balance.max(0));
        }
    }
}
