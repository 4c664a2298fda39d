use crate::money::{div_round, Money};

/// VAT rate of a product. Prices include VAT, so VAT is extracted from the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum VatRate {
    #[serde(rename = "22")]
    R22,
    #[serde(rename = "10")]
    R10,
    #[serde(rename = "0")]
    R0,
    #[serde(rename = "none")]
    None,
}

impl VatRate {
    pub const ALL: [VatRate; 4] = [VatRate::R22, VatRate::R10, VatRate::R0, VatRate::None];

    pub fn code(self) -> &'static str {
        match self {
            VatRate::R22 => "22",
            VatRate::R10 => "10",
            VatRate::R0 => "0",
            VatRate::None => "none",
        }
    }
    pub fn parse(s: &str) -> Option<VatRate> {
        Self::ALL.into_iter().find(|r| r.code() == s.trim())
    }
    pub fn label_ru(self) -> &'static str {
        match self {
            VatRate::R22 => "22%",
            VatRate::R10 => "10%",
            VatRate::R0 => "0%",
            VatRate::None => "Без НДС",
        }
    }
    fn rate(self) -> i64 {
        match self {
            VatRate::R22 => 22,
            VatRate::R10 => 10,
            VatRate::R0 | VatRate::None => 0,
        }
    }
    /// VAT contained in a VAT-inclusive amount: round(amount × rate / (100 + rate)).
    pub fn vat_of(self, amount: Money) -> Money {
        let r = self.rate() as i128;
        Money(div_round(amount.0 as i128 * r, 100 + r) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn vat_is_extracted_from_inclusive_amount() {
        assert_eq!(VatRate::R22.vat_of(Money(12_200)), Money(2_200));
        assert_eq!(VatRate::R10.vat_of(Money(11_000)), Money(1_000));
        assert_eq!(VatRate::None.vat_of(Money(11_000)), Money(0));
        // 24 607,80 at 22 %: 24 607,80 × 22 / 122 = 4 437,472… → 4 437,47
        assert_eq!(VatRate::R22.vat_of(Money(2_460_780)), Money(443_747));
    }
}
