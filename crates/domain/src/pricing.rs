//! Pricing and discounts ("Pricing and discounts" in domain.md).
//!
//! The caller gathers the facts for one line — retail and base price, every
//! automatic discount candidate with whether it applies, the special discount
//! asked for and the author's limit — and [`price_line`] decides. No stacking:
//! the applicable candidate with the highest percentage wins, ties going to
//! the first of personal, cumulative, volume-maintenance, promotion.

use crate::money::div_round;
use crate::{Money, Percent, Qty, VatRate};
use serde::{Deserialize, Serialize};

/// The kinds of automatic discount, in tie-break order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    Personal,
    Cumulative,
    Volume,
    Promotion,
}

impl RuleKind {
    pub const ALL: [RuleKind; 4] = [
        RuleKind::Personal,
        RuleKind::Cumulative,
        RuleKind::Volume,
        RuleKind::Promotion,
    ];
    pub fn code(self) -> &'static str {
        match self {
            RuleKind::Personal => "personal",
            RuleKind::Cumulative => "cumulative",
            RuleKind::Volume => "volume",
            RuleKind::Promotion => "promotion",
        }
    }
    pub fn parse(s: &str) -> Option<RuleKind> {
        RuleKind::ALL.into_iter().find(|k| k.code() == s)
    }
    pub fn label(self, ru: bool) -> &'static str {
        match (self, ru) {
            (RuleKind::Personal, true) => "Персональная скидка",
            (RuleKind::Personal, false) => "Personal discount",
            (RuleKind::Cumulative, true) => "Накопительная скидка",
            (RuleKind::Cumulative, false) => "Cumulative discount",
            (RuleKind::Volume, true) => "Скидка за поддержание уровня закупок",
            (RuleKind::Volume, false) => "Volume-maintenance discount",
            (RuleKind::Promotion, true) => "Акция",
            (RuleKind::Promotion, false) => "Promotion",
        }
    }
}

/// One automatic discount considered for a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub kind: RuleKind,
    pub rule_id: i64,
    /// Hundredths of a percent.
    pub pct: i64,
    /// Whether the rule's condition holds; a rule that does not apply is
    /// listed with its reason so a manager sees why it did not count.
    pub applies: bool,
    /// Why it applies or not, in Russian and English.
    pub why_ru: String,
    pub why_en: String,
}

/// The facts of one line, gathered by the caller.
#[derive(Debug, Clone)]
pub struct LineFacts {
    /// The retail price on the date; `None` when the product has none.
    pub retail: Option<Money>,
    /// The price in the client's price type on the date, if it has one.
    pub typed: Option<Money>,
    pub candidates: Vec<Candidate>,
    pub special: Percent,
    pub limit: Percent,
    pub qty: Qty,
    pub vat: VatRate,
}

/// Why a line cannot be priced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PricingError {
    NoRetailPrice,
    SpecialOverLimit { asked: Percent, limit: Percent },
}

/// A priced line: every figure the document keeps and prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub retail: Money,
    pub base: Money,
    /// The winning automatic percentage (0 when nothing applies).
    pub auto_pct: Percent,
    pub auto_price: Money,
    pub special: Percent,
    pub final_price: Money,
    /// R − F per unit; negative when the client's price type is above retail.
    pub discount: Money,
    /// (R − F) / R as a percentage to 2 decimals.
    pub discount_pct: Percent,
    pub qty: Qty,
    pub amount: Money,
    pub vat: Money,
    /// Index into `candidates` of the rule that won, if any.
    pub winner: Option<usize>,
    pub candidates: Vec<Candidate>,
}

impl PricedLine {
    pub fn winning(&self) -> Option<&Candidate> {
        self.winner.map(|i| &self.candidates[i])
    }
}

/// Index of the winning candidate: the highest applicable percentage above
/// zero, ties to the earlier kind, then to the earlier candidate.
pub fn pick_winner(candidates: &[Candidate]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, c) in candidates.iter().enumerate() {
        if !c.applies || c.pct <= 0 {
            continue;
        }
        best = match best {
            None => Some(i),
            Some(b) => {
                let cur = &candidates[b];
                if c.pct > cur.pct || (c.pct == cur.pct && c.kind < cur.kind) {
                    Some(i)
                } else {
                    Some(b)
                }
            }
        };
    }
    best
}

/// (R − F, (R − F) / R in hundredths of a percent, rounded half away from zero).
pub fn discount_vs_retail(retail: Money, fin: Money) -> (Money, Percent) {
    let d = retail - fin;
    let pct = if retail.0 == 0 {
        0
    } else {
        div_round(d.0 as i128 * 10_000, retail.0 as i128) as i64
    };
    (d, Percent(pct))
}

/// Prices one line by the rules of domain.md.
pub fn price_line(f: LineFacts) -> Result<PricedLine, PricingError> {
    let retail = f.retail.ok_or(PricingError::NoRetailPrice)?;
    if f.special > f.limit {
        return Err(PricingError::SpecialOverLimit {
            asked: f.special,
            limit: f.limit,
        });
    }
    let base = f.typed.unwrap_or(retail);
    let winner = pick_winner(&f.candidates);
    let auto_pct = Percent(winner.map(|i| f.candidates[i].pct).unwrap_or(0));
    let auto_price = base.less_percent(auto_pct);
    let final_price = auto_price.less_percent(f.special);
    let (discount, discount_pct) = discount_vs_retail(retail, final_price);
    let amount = final_price.times_qty(f.qty);
    Ok(PricedLine {
        retail,
        base,
        auto_pct,
        auto_price,
        special: f.special,
        final_price,
        discount,
        discount_pct,
        qty: f.qty,
        amount,
        vat: f.vat.vat_of(amount),
        winner,
        candidates: f.candidates,
    })
}

/// The cumulative tier reached by net purchases `net`: the threshold with the
/// highest amount not above it. Thresholds are `(id, amount, pct)`.
pub fn cumulative_tier(thresholds: &[(i64, Money, Percent)], net: Money) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, t) in thresholds.iter().enumerate() {
        if t.1 <= net && best.is_none_or(|b| t.1 > thresholds[b].1) {
            best = Some(i);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cand(kind: RuleKind, pct: i64, applies: bool) -> Candidate {
        Candidate {
            kind,
            rule_id: 1,
            pct,
            applies,
            why_ru: String::new(),
            why_en: String::new(),
        }
    }

    #[test]
    fn worked_example() {
        let thresholds = [
            (1, Money(10_000_000), Percent(300)),
            (2, Money(50_000_000), Percent(700)),
        ];
        let tier = cumulative_tier(&thresholds, Money(62_000_000)).unwrap();
        assert_eq!(thresholds[tier].2, Percent(700));
        let facts = LineFacts {
            retail: Some(Money(1_000_000)),
            typed: Some(Money(900_000)),
            candidates: vec![
                cand(RuleKind::Personal, 500, true),
                cand(RuleKind::Cumulative, 700, true),
                cand(RuleKind::Volume, 400, false),
                cand(RuleKind::Promotion, 600, true),
            ],
            special: Percent(200),
            limit: Percent(500),
            qty: Qty::units(3),
            vat: VatRate::R22,
        };
        let p = price_line(facts.clone()).unwrap();
        assert_eq!(p.winning().unwrap().kind, RuleKind::Cumulative);
        assert_eq!(p.auto_price, Money(837_000));
        assert_eq!(p.final_price, Money(820_260));
        assert_eq!(p.discount, Money(179_740));
        assert_eq!(p.discount_pct, Percent(1797));
        assert_eq!(p.amount, Money(2_460_780));
        assert_eq!(p.vat, Money(443_747));
        let refused = price_line(LineFacts {
            special: Percent(600),
            ..facts
        });
        assert_eq!(
            refused,
            Err(PricingError::SpecialOverLimit {
                asked: Percent(600),
                limit: Percent(500)
            })
        );
    }

    #[test]
    fn ties_go_to_the_earlier_kind_and_zero_never_wins() {
        let c = vec![
            cand(RuleKind::Promotion, 500, true),
            cand(RuleKind::Personal, 500, true),
        ];
        assert_eq!(pick_winner(&c), Some(1));
        assert_eq!(pick_winner(&[cand(RuleKind::Personal, 0, true)]), None);
        assert_eq!(pick_winner(&[cand(RuleKind::Personal, 900, false)]), None);
    }

    #[test]
    fn no_retail_price_is_refused_and_base_falls_back_to_retail() {
        let mut f = LineFacts {
            retail: None,
            typed: None,
            candidates: vec![],
            special: Percent(0),
            limit: Percent(0),
            qty: Qty::units(1),
            vat: VatRate::None,
        };
        assert_eq!(price_line(f.clone()), Err(PricingError::NoRetailPrice));
        f.retail = Some(Money(10_000));
        let p = price_line(f).unwrap();
        assert_eq!(
            (p.base, p.final_price, p.discount_pct),
            (Money(10_000), Money(10_000), Percent(0))
        );
    }

    #[test]
    fn rounding_to_the_kopeck_at_each_step() {
        // 0,99 less 33,33 % = 0,660033 → 0,66; less 50 % = 0,33.
        let p = price_line(LineFacts {
            retail: Some(Money(99)),
            typed: None,
            candidates: vec![cand(RuleKind::Promotion, 3333, true)],
            special: Percent(5000),
            limit: Percent(5000),
            qty: Qty(1500),
            vat: VatRate::R10,
        })
        .unwrap();
        assert_eq!(p.auto_price, Money(66));
        assert_eq!(p.final_price, Money(33));
        // 1,5 × 0,33 = 0,495 → 0,50 (half away from zero).
        assert_eq!(p.amount, Money(50));
    }

    #[test]
    fn highest_threshold_reached() {
        let t = [(1, Money(500), Percent(700)), (2, Money(100), Percent(300))];
        assert_eq!(cumulative_tier(&t, Money(99)), None);
        assert_eq!(cumulative_tier(&t, Money(100)), Some(1));
        assert_eq!(cumulative_tier(&t, Money(500)), Some(0));
    }

    fn kind() -> impl Strategy<Value = RuleKind> {
        prop::sample::select(RuleKind::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn final_price_never_above_base_and_winner_is_the_maximum(
            retail in 1i64..100_000_000,
            typed in prop::option::of(1i64..100_000_000),
            cands in prop::collection::vec((kind(), 0i64..=10_000, any::<bool>()), 0..8),
            special in 0i64..=10_000,
            qty in 1i64..1_000_000,
        ) {
            let candidates: Vec<Candidate> = cands.iter().map(|(k, p, a)| cand(*k, *p, *a)).collect();
            let p = price_line(LineFacts {
                retail: Some(Money(retail)),
                typed: typed.map(Money),
                candidates: candidates.clone(),
                special: Percent(special),
                limit: Percent(10_000),
                qty: Qty(qty),
                vat: VatRate::R22,
            }).unwrap();
            prop_assert!(p.auto_price <= p.base);
            prop_assert!(p.final_price <= p.auto_price);
            let max = candidates.iter().filter(|c| c.applies).map(|c| c.pct).max().unwrap_or(0);
            prop_assert_eq!(p.auto_pct.0, max);
            // Exact: each step is the true value rounded to the kopeck.
            let exact_a = p.base.0 as i128 * (10_000 - max as i128);
            prop_assert!((p.auto_price.0 as i128 * 10_000 - exact_a).abs() <= 5_000);
            let exact_f = p.auto_price.0 as i128 * (10_000 - special as i128);
            prop_assert!((p.final_price.0 as i128 * 10_000 - exact_f).abs() <= 5_000);
            let exact_amount = p.final_price.0 as i128 * qty as i128;
            prop_assert!((p.amount.0 as i128 * 1000 - exact_amount).abs() <= 500);
            prop_assert_eq!(p.discount, Money(retail) - p.final_price);
        }
    }
}
