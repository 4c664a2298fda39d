//! Units of measure: counted in whole pieces or measured in fractions.

/// Units that are measured, so a fractional quantity makes sense (mass,
/// length, area, volume, time). Everything else — «шт», «компл», «упак»,
/// «пар», and any unit we do not know — is counted in whole pieces: a wrong
/// «1,5 шт» is worse than having to add a unit to this list.
const MEASURED: &[&str] = &[
    "кг",
    "г",
    "т",
    "м",
    "км",
    "см",
    "мм",
    "м2",
    "м²",
    "кв. м",
    "кв.м",
    "м3",
    "м³",
    "куб. м",
    "куб.м",
    "л",
    "мл",
    "ч",
    "час",
    "kg",
    "g",
    "t",
    "m",
    "km",
    "cm",
    "mm",
    "m2",
    "m3",
    "l",
    "ml",
    "h",
    "пог. м",
    "п.м",
    "пм",
];

/// Whether the unit is counted in whole pieces.
pub fn is_whole(unit: &str) -> bool {
    let u = unit.trim().trim_end_matches('.').to_lowercase();
    !MEASURED.iter().any(|m| *m == u)
}

/// Whether `qty` (in thousandths) fits the unit: whole units take whole
/// numbers only.
pub fn fits(unit: &str, qty_thousandths: i64) -> bool {
    !is_whole(unit) || qty_thousandths % 1000 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_whole_measures_are_not() {
        assert!(is_whole("шт"));
        assert!(is_whole("шт."));
        assert!(is_whole("компл"));
        assert!(!is_whole("кг"));
        assert!(!is_whole("М"));
        assert!(fits("шт", 2000));
        assert!(!fits("шт", 1500));
        assert!(fits("кг", 1500));
    }
}
