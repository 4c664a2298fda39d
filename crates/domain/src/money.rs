//! Fixed-point numbers. Money is an integer count of kopecks, quantities are
//! thousandths, percentages are hundredths: no floats anywhere, so sums and
//! roundings are exact and repeatable.

use std::fmt;

/// Parses a decimal string with at most `scale` fraction digits into an integer
/// count of 10^-scale units. Accepts `,` as the decimal separator (Russian
/// habit), an optional leading minus, and spaces as thousands separators.
fn parse_fixed(s: &str, scale: u32) -> Result<i64, String> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect();
    let t = t.replace(',', ".");
    if t.is_empty() {
        return Err("empty".into());
    }
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(&t)),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return Err("no digits".into());
    }
    if !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err("not a number".into());
    }
    if frac.len() > scale as usize {
        return Err(format!("at most {scale} decimals"));
    }
    let mut v: i64 = 0;
    for c in int.chars() {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((c as u8 - b'0') as i64))
            .ok_or("too large")?;
    }
    let mut f: i64 = 0;
    for i in 0..scale as usize {
        let d = frac
            .as_bytes()
            .get(i)
            .map(|b| (b - b'0') as i64)
            .unwrap_or(0);
        f = f * 10 + d;
    }
    let v = v
        .checked_mul(10i64.pow(scale))
        .and_then(|v| v.checked_add(f))
        .ok_or("too large")?;
    Ok(if neg { -v } else { v })
}

fn format_fixed(v: i64, scale: u32, min_frac: usize) -> String {
    use std::fmt::Write;
    // One string, written once: every amount of every answer passes here
    // (a ten-line document has some sixty), and the two `format!`s and the
    // padded fraction it was built from were 4 % of a request worker's time.
    let a = v.unsigned_abs();
    let p = 10u64.pow(scale);
    let (int, mut frac) = (a / p, a % p);
    // Trailing zeros of the fraction dropped, down to `min_frac` digits.
    let mut digits = scale as usize;
    while digits > min_frac && frac % 10 == 0 {
        frac /= 10;
        digits -= 1;
    }
    let mut out = String::with_capacity(24);
    if v < 0 {
        out.push('-');
    }
    let _ = write!(out, "{int}");
    if digits > 0 {
        let _ = write!(out, ".{frac:0digits$}");
    }
    out
}

/// Groups digits by three with a narrow no-break space, the Russian way.
fn group_thousands(int: &str) -> String {
    let mut out = String::new();
    let n = int.len();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

/// Divides rounding half away from zero (the rounding rule of `domain.md`).
pub fn div_round(num: i128, den: i128) -> i128 {
    assert!(den != 0);
    let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
    let q = num / den;
    let r = num % den;
    if 2 * r.abs() >= den {
        q + num.signum()
    } else {
        q
    }
}

/// Largest amount, price or document total accepted: 999 999 999 999,99 ₽.
/// Documents and lines above it are refused (422), so sums of a few
/// hundred thousand of them still fit in 64 bits.
pub const MAX_AMOUNT: i64 = 99_999_999_999_999;
/// Largest quantity accepted: 999 999 999,999 units.
pub const MAX_QTY: i64 = 999_999_999_999;

/// Narrows an exact wide result to 64 bits, saturating instead of wrapping
/// (bounded inputs never reach the saturation; an out-of-bounds result is
/// then refused by the bound checks instead of wrapping round to a lie).
pub fn clamp_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// An amount of money in kopecks of the installation's base currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    /// Parses `"8202.60"`, `"8 202,6"` or `"-5"`; at most two decimals.
    pub fn parse(s: &str) -> Result<Money, String> {
        parse_fixed(s, 2).map(Money)
    }
    pub fn kopecks(self) -> i64 {
        self.0
    }
    /// Wire form: always two decimals, dot separator (`"8202.60"`).
    pub fn to_api(self) -> String {
        format_fixed(self.0, 2, 2)
    }
    /// Display form for Russian users: `1 234,56 ₽`.
    pub fn to_ru(self) -> String {
        let s = format_fixed(self.0.abs(), 2, 2);
        let (i, f) = s.split_once('.').unwrap_or((&s, "00"));
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{},{f}\u{a0}₽", group_thousands(i))
    }
    /// Amount = quantity × unit price, rounded half away from zero to the kopeck.
    pub fn times_qty(self, q: Qty) -> Money {
        Money(clamp_i64(div_round(
            i128::from(self.0) * i128::from(q.0),
            1000,
        )))
    }
    /// This amount reduced by `p` percent, rounded to the kopeck.
    pub fn less_percent(self, p: Percent) -> Money {
        Money(clamp_i64(div_round(
            i128::from(self.0) * (10_000 - i128::from(p.0)),
            10_000,
        )))
    }
    /// Whether the amount is within ±[`MAX_AMOUNT`].
    pub fn in_bounds(self) -> bool {
        self.0.checked_abs().is_some_and(|a| a <= MAX_AMOUNT)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_api())
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, o: Money) -> Money {
        Money(self.0.saturating_add(o.0))
    }
}
impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, o: Money) -> Money {
        Money(self.0.saturating_sub(o.0))
    }
}
impl std::ops::Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(self.0.saturating_neg())
    }
}
impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(clamp_i64(iter.map(|m| i128::from(m.0)).sum()))
    }
}

/// A quantity in thousandths of the product's unit (at most 3 decimals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Qty(pub i64);

impl Qty {
    pub fn parse(s: &str) -> Result<Qty, String> {
        parse_fixed(s, 3).map(Qty)
    }
    pub fn units(n: i64) -> Qty {
        Qty(n.saturating_mul(1000))
    }
    /// Whether the quantity is within ±[`MAX_QTY`].
    pub fn in_bounds(self) -> bool {
        self.0.checked_abs().is_some_and(|a| a <= MAX_QTY)
    }
    pub fn to_api(self) -> String {
        format_fixed(self.0, 3, 0)
    }
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_api())
    }
}

/// A percentage in hundredths of a percent (at most 2 decimals), 0–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Percent(pub i64);

impl Percent {
    /// Parses and checks the 0–100 range.
    pub fn parse(s: &str) -> Result<Percent, String> {
        let v = parse_fixed(s, 2)?;
        if !(0..=10_000).contains(&v) {
            return Err("must be between 0 and 100".into());
        }
        Ok(Percent(v))
    }
    pub fn to_api(self) -> String {
        format_fixed(self.0, 2, 0)
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_api())
    }
}

/// Formats a date the Russian way: `10.03.2026`.
pub fn date_ru(d: chrono::NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_prints_money() {
        assert_eq!(Money::parse("8202.60").unwrap(), Money(820_260));
        assert_eq!(Money::parse("8 202,6").unwrap(), Money(820_260));
        assert_eq!(Money::parse("-5").unwrap(), Money(-500));
        assert_eq!(Money::parse(".5").unwrap(), Money(50));
        assert!(Money::parse("1.234").is_err());
        assert!(Money::parse("abc").is_err());
        assert!(Money::parse("").is_err());
        assert!(Money::parse("1e5").is_err());
        assert_eq!(Money(820_260).to_api(), "8202.60");
        assert_eq!(Money(-5).to_api(), "-0.05");
        assert_eq!(Money(123_456).to_ru(), "1\u{a0}234,56\u{a0}₽");
        assert_eq!(Money(123_456_789).to_ru(), "1\u{a0}234\u{a0}567,89\u{a0}₽");
    }

    #[test]
    fn never_wraps() {
        // 2 × 50 000 000 000 000 000,00 wrapped to a negative total before.
        let big = Money::parse("50000000000000000.00").unwrap();
        assert!(big + big > big);
        assert!(!(big + big).in_bounds());
        let huge = Money(MAX_AMOUNT).times_qty(Qty(MAX_QTY));
        assert_eq!(huge, Money(i64::MAX));
        assert!(!huge.in_bounds());
        assert!(Money(MAX_AMOUNT).in_bounds() && !Money(MAX_AMOUNT + 1).in_bounds());
        assert!(Money(-MAX_AMOUNT).in_bounds() && !Money(i64::MIN).in_bounds());
        assert_eq!(
            [Money(i64::MAX), Money(1)].into_iter().sum::<Money>(),
            Money(i64::MAX)
        );
        assert!(Qty(MAX_QTY).in_bounds() && !Qty(MAX_QTY + 1).in_bounds());
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(div_round(5, 10), 1);
        assert_eq!(div_round(-5, 10), -1);
        assert_eq!(div_round(4, 10), 0);
        assert_eq!(div_round(15, 10), 2);
        assert_eq!(div_round(-15, 10), -2);
    }

    #[test]
    fn worked_example_prices() {
        // 9 000,00 less 7 % = 8 370,00; less 2 % = 8 202,60; ×3 = 24 607,80.
        let a = Money(900_000).less_percent(Percent(700));
        assert_eq!(a, Money(837_000));
        let f = a.less_percent(Percent(200));
        assert_eq!(f, Money(820_260));
        assert_eq!(f.times_qty(Qty::units(3)), Money(2_460_780));
    }

    #[test]
    fn quantities_and_percentages() {
        assert_eq!(Qty::parse("2.5").unwrap(), Qty(2500));
        assert_eq!(Qty(2500).to_api(), "2.5");
        assert_eq!(Qty(3000).to_api(), "3");
        assert!(Qty::parse("1.2345").is_err());
        assert_eq!(Percent::parse("17.97").unwrap(), Percent(1797));
        assert!(Percent::parse("100.01").is_err());
        assert!(Percent::parse("-1").is_err());
        assert_eq!(Percent(1797).to_api(), "17.97");
    }

    proptest! {
        #[test]
        fn money_round_trips(k in -1_000_000_000_000i64..1_000_000_000_000i64) {
            prop_assert_eq!(Money::parse(&Money(k).to_api()).unwrap(), Money(k));
        }

        #[test]
        fn amount_is_exact_within_half_kopeck(price in 0i64..100_000_000, q in 0i64..1_000_000) {
            let amount = Money(price).times_qty(Qty(q)).0 as i128;
            let exact_x1000 = price as i128 * q as i128;
            prop_assert!((amount * 1000 - exact_x1000).abs() <= 500);
        }
    }
}
