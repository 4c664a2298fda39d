//! Document statuses, reminders and the sales funnel ("Statuses and
//! reminders" in domain.md).

use crate::money::div_round;
use crate::{Money, Percent};
use chrono::NaiveDate;

/// One status assignment as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    pub id: i64,
    pub effective: NaiveDate,
}

/// The assignment current on `on`: the latest effective date on or before
/// it; on the same date the later assignment (higher id).
pub fn current(assignments: &[Assignment], on: NaiveDate) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, a) in assignments.iter().enumerate() {
        if a.effective > on {
            continue;
        }
        best = match best {
            Some(b) if (assignments[b].effective, assignments[b].id) > (a.effective, a.id) => {
                Some(b)
            }
            _ => Some(i),
        };
    }
    best
}

/// Days a reminder effective on `effective` is overdue on `today` (0: due
/// today).
pub fn days_overdue(effective: NaiveDate, today: NaiveDate) -> i64 {
    (today - effective).num_days().max(0)
}

/// One funnel stage's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageFigures {
    pub stage: i64,
    pub count: i64,
    pub amount: Money,
    /// Of those that reached the previous stage, the share that reached this
    /// one; `None` for the first stage or when none reached the previous.
    pub conversion: Option<Percent>,
}

/// The funnel: for each stage (ascending), the orders whose furthest stage
/// reached is at least it. `groups` are (furthest stage, number of orders,
/// their amount).
pub fn funnel(stages: &[i64], groups: &[(i64, i64, Money)]) -> Vec<StageFigures> {
    let mut out: Vec<StageFigures> = Vec::new();
    for &stage in stages {
        let reached = groups.iter().filter(|o| o.0 >= stage);
        let (count, amount) = reached.fold((0i64, Money::ZERO), |(c, a), o| (c + o.1, a + o.2));
        let conversion = out.last().and_then(|prev| {
            (prev.count > 0)
                .then(|| Percent(div_round(count as i128 * 10_000, prev.count as i128) as i64))
        });
        out.push(StageFigures {
            stage,
            count,
            amount,
            conversion,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn a(id: i64, date: &str) -> Assignment {
        Assignment {
            id,
            effective: d(date),
        }
    }

    #[test]
    fn current_status_rule() {
        let h = [
            a(1, "2026-03-01"),
            a(2, "2026-03-10"),
            a(3, "2027-03-10"),
            a(4, "2026-03-10"),
        ];
        assert_eq!(current(&h, d("2026-02-28")), None);
        assert_eq!(current(&h, d("2026-03-01")), Some(0));
        assert_eq!(current(&h, d("2026-03-09")), Some(0));
        // Same day: the later assignment.
        assert_eq!(current(&h, d("2026-03-10")), Some(3));
        // A future assignment counts from its date only.
        assert_eq!(current(&h, d("2027-03-09")), Some(3));
        assert_eq!(current(&h, d("2027-03-10")), Some(2));
    }

    #[test]
    fn overdue_days() {
        assert_eq!(days_overdue(d("2026-03-10"), d("2026-03-10")), 0);
        assert_eq!(days_overdue(d("2026-03-10"), d("2026-03-13")), 3);
    }

    #[test]
    fn funnel_counts_orders_by_furthest_stage() {
        let orders = [
            (1, 1, Money(100)),
            (2, 1, Money(200)),
            (3, 2, Money(700)),
            (0, 1, Money(900)),
        ];
        let f = funnel(&[1, 2, 3, 4], &orders);
        assert_eq!(
            f.iter().map(|s| (s.count, s.amount.0)).collect::<Vec<_>>(),
            vec![(4, 1000), (3, 900), (2, 700), (0, 0)]
        );
        assert_eq!(f[0].conversion, None);
        assert_eq!(f[1].conversion, Some(Percent(7500)));
        assert_eq!(f[2].conversion, Some(Percent(6667)));
        assert_eq!(f[3].conversion, Some(Percent(0)));
        assert_eq!(funnel(&[1, 2], &[])[1].conversion, None);
    }
}
