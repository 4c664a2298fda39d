//! Finding the счёт or order a payment's purpose names, in the forms people
//! actually write: «по счету № 15 от 02.03.2026», «сч.15», «оплата по сч
//! 15», «ЗК-2026-000013», «по заказу №13», «СЧ-2026-000015».

/// What a number in a purpose refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    Invoice,
    Order,
}

/// A reference found in a purpose: the kind, the number within its year and
/// the year when the text gives one (a full number or «от 02.03.2026»).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurposeRef {
    pub kind: RefKind,
    pub seq: i64,
    pub year: Option<i32>,
}

fn kind_of(word: &str) -> Option<RefKind> {
    match word {
        "сч" | "счет" | "счета" | "счету" | "счетом" | "сч-т" | "счт" => {
            Some(RefKind::Invoice)
        }
        "зк" | "заказ" | "заказа" | "заказу" | "зак" | "заказом" => {
            Some(RefKind::Order)
        }
        _ => None,
    }
}

/// Every reference in the text, in order of appearance.
pub fn purpose_refs(text: &str) -> Vec<PurposeRef> {
    let c: Vec<char> = text
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if !c[i].is_alphabetic() || (i > 0 && c[i - 1].is_alphanumeric()) {
            i += 1;
            continue;
        }
        let start = i;
        while i < c.len() && c[i].is_alphabetic() {
            i += 1;
        }
        let word: String = c[start..i].iter().collect();
        let Some(kind) = kind_of(&word) else { continue };
        // A full number: ЗК-2026-000013.
        if c.get(i) == Some(&'-') {
            if let Some((year, seq, end)) = full_number(&c, i + 1) {
                out.push(PurposeRef {
                    kind,
                    seq,
                    year: Some(year),
                });
                i = end;
            }
            // «счет-фактура» and the like: not a reference.
            continue;
        }
        let mut j = i;
        while j < c.len() && matches!(c[j], ' ' | '.' | '№' | '#' | ':' | 'n' | '\u{a0}') {
            j += 1;
        }
        let ds = j;
        while j < c.len() && c[j].is_ascii_digit() {
            j += 1;
        }
        if j == ds || j - ds > 9 || c.get(j).is_some_and(|ch| ch.is_alphabetic()) {
            continue;
        }
        let seq: i64 = c[ds..j].iter().collect::<String>().parse().unwrap_or(0);
        if seq == 0 {
            continue;
        }
        let year = year_after(&c, j);
        out.push(PurposeRef { kind, seq, year });
        i = j;
    }
    out
}

/// `2026-000013` from `at`: (year, seq, end).
fn full_number(c: &[char], at: usize) -> Option<(i32, i64, usize)> {
    let digits = |from: usize| {
        let mut k = from;
        while k < c.len() && c[k].is_ascii_digit() {
            k += 1;
        }
        (c[from.min(c.len())..k].iter().collect::<String>(), k)
    };
    let (y, k) = digits(at);
    if y.len() != 4 || c.get(k) != Some(&'-') {
        return None;
    }
    let (s, end) = digits(k + 1);
    if s.is_empty() || s.len() > 9 {
        return None;
    }
    Some((y.parse().ok()?, s.parse().ok()?, end))
}

/// « от 02.03.2026» (or «от 02.03.26») right after a number: its year.
fn year_after(c: &[char], at: usize) -> Option<i32> {
    let mut j = at;
    while j < c.len() && matches!(c[j], ' ' | ',' | '\u{a0}') {
        j += 1;
    }
    if c.get(j) != Some(&'о') || c.get(j + 1) != Some(&'т') {
        return None;
    }
    j += 2;
    while j < c.len() && matches!(c[j], ' ' | '\u{a0}') {
        j += 1;
    }
    let rest: String = c[j..c.len().min(j + 10)].iter().collect();
    let mut parts = rest.split('.');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if d.is_empty() || d.len() > 2 || m.len() != 2 || !d.chars().all(|x| x.is_ascii_digit()) {
        return None;
    }
    let y: String = y.chars().take_while(char::is_ascii_digit).collect();
    match y.len() {
        4 => y.parse().ok(),
        2 => y.parse::<i32>().ok().map(|v| 2000 + v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(kind: RefKind, seq: i64, year: Option<i32>) -> PurposeRef {
        PurposeRef { kind, seq, year }
    }

    #[test]
    fn forms_people_write() {
        use RefKind::*;
        assert_eq!(
            purpose_refs("Оплата по счету № 15 от 02.03.2026 за инструмент, в т.ч. НДС 22%"),
            vec![r(Invoice, 15, Some(2026))]
        );
        assert_eq!(
            purpose_refs("Оплата сч.15 НДС не облагается"),
            vec![r(Invoice, 15, None)]
        );
        assert_eq!(
            purpose_refs("по сч 7 от 1.02.26"),
            vec![r(Invoice, 7, Some(2026))]
        );
        assert_eq!(
            purpose_refs("Оплата по счёту №15"),
            vec![r(Invoice, 15, None)]
        );
        assert_eq!(
            purpose_refs("Предоплата по заказу ЗК-2026-000013"),
            vec![r(Order, 13, Some(2026))]
        );
        assert_eq!(
            purpose_refs("СЧ-2025-000004"),
            vec![r(Invoice, 4, Some(2025))]
        );
        assert_eq!(purpose_refs("по заказу №13"), vec![r(Order, 13, None)]);
        assert_eq!(
            purpose_refs("Оплата по договору 5 сч N 9"),
            vec![r(Invoice, 9, None)]
        );
    }

    #[test]
    fn not_references() {
        assert!(purpose_refs("Оплата по счет-фактуре 12 от 01.03.2026").is_empty());
        assert!(purpose_refs("Возврат займа, НДС не облагается").is_empty());
        assert!(purpose_refs("Расчетный счет 40702810900000000001").is_empty());
        assert!(purpose_refs("счетчик 15").is_empty());
    }
}
