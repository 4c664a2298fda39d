//! Serial numbers, warranty and repair states ("Serial numbers and
//! after-sales service" in domain.md).

use chrono::{Months, NaiveDate};

/// The last day of warranty: shipment date plus `months` calendar months; a
/// day past the end of the target month becomes its last day (31.01 + 1
/// month = 28.02 or 29.02).
pub fn warranty_end(shipped: NaiveDate, months: u32) -> NaiveDate {
    shipped
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// Whether a unit shipped on `shipped` is under warranty on `on`.
pub fn under_warranty(shipped: Option<NaiveDate>, months: u32, on: NaiveDate) -> bool {
    match shipped {
        Some(s) if months > 0 => on >= s && on <= warranty_end(s, months),
        _ => false,
    }
}

/// Serials from a pattern: `#` runs are replaced by the counter, zero-padded
/// to the run's length (`DR1-26-####` → `DR1-26-0001`, …); a pattern without
/// `#` gets the counter appended.
pub fn from_pattern(pattern: &str, start: u64, count: usize) -> Vec<String> {
    let width = pattern.chars().filter(|c| *c == '#').count();
    (0..count as u64)
        .map(|i| {
            let n = start + i;
            if width == 0 {
                format!("{pattern}{n}")
            } else {
                let digits = format!("{n:0width$}");
                let first = pattern.find('#').unwrap_or(pattern.len());
                let mut out = String::new();
                out.push_str(&pattern[..first]);
                out.push_str(&digits);
                out.push_str(&pattern[first..].replace('#', ""));
                out
            }
        })
        .collect()
}

/// A serial as typed or scanned: trimmed, at most 100 characters, no control
/// characters. Case is kept (serials are compared exactly).
pub fn parse_serial(s: &str) -> Result<String, &'static str> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty");
    }
    if t.chars().count() > 100 || t.chars().any(char::is_control) {
        return Err("invalid");
    }
    Ok(t.to_string())
}

/// What a scanner or a person may have meant by a typed serial, best first:
/// as typed, in capitals (serials are printed in capitals, people type them
/// in lower case), and — for a scanner sending the keys of a QWERTY label
/// while the keyboard is in the Russian layout (ЙЦУКЕН) — the same keys
/// read as Latin letters («ВК1-26-0001» → «DR1-26-0001»).
pub fn serial_variants(s: &str) -> Vec<String> {
    let t = s.trim();
    let mut out = vec![t.to_string(), t.to_uppercase()];
    if t.chars().any(|c| layout_key(c).is_some()) {
        let latin: String = t.chars().map(|c| layout_key(c).unwrap_or(c)).collect();
        out.push(latin.clone());
        out.push(latin.to_uppercase());
    }
    let mut seen = Vec::new();
    out.retain(|v| {
        let new = !seen.contains(v);
        seen.push(v.clone());
        new
    });
    out
}

/// The Latin character on the same key of a Russian (ЙЦУКЕН) keyboard.
fn layout_key(c: char) -> Option<char> {
    const RU: &str = "йцукенгшщзхъфывапролджэячсмитьбюё";
    const EN: &str = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`";
    let lower = c.to_lowercase().next()?;
    let i = RU.chars().position(|r| r == lower)?;
    let l = EN.chars().nth(i)?;
    Some(if c.is_uppercase() {
        l.to_ascii_uppercase()
    } else {
        l
    })
}

/// The states of a repair order, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepairState {
    Received,
    Diagnosis,
    InRepair,
    Ready,
    HandedBack,
    Declined,
}

impl RepairState {
    pub const ALL: [RepairState; 6] = [
        RepairState::Received,
        RepairState::Diagnosis,
        RepairState::InRepair,
        RepairState::Ready,
        RepairState::HandedBack,
        RepairState::Declined,
    ];
    pub fn code(self) -> &'static str {
        match self {
            RepairState::Received => "received",
            RepairState::Diagnosis => "diagnosis",
            RepairState::InRepair => "in_repair",
            RepairState::Ready => "ready",
            RepairState::HandedBack => "handed_back",
            RepairState::Declined => "declined",
        }
    }
    pub fn parse(s: &str) -> Option<RepairState> {
        RepairState::ALL.into_iter().find(|r| r.code() == s)
    }
    pub fn label(self, ru: bool) -> &'static str {
        match (self, ru) {
            (RepairState::Received, true) => "Принят",
            (RepairState::Received, false) => "Received",
            (RepairState::Diagnosis, true) => "Диагностика",
            (RepairState::Diagnosis, false) => "Diagnosis",
            (RepairState::InRepair, true) => "В ремонте",
            (RepairState::InRepair, false) => "In repair",
            (RepairState::Ready, true) => "Готов",
            (RepairState::Ready, false) => "Ready",
            (RepairState::HandedBack, true) => "Выдан",
            (RepairState::HandedBack, false) => "Handed back",
            (RepairState::Declined, true) => "Отказ",
            (RepairState::Declined, false) => "Declined",
        }
    }
    /// Closed: nothing changes any more.
    pub fn is_closed(self) -> bool {
        matches!(self, RepairState::HandedBack | RepairState::Declined)
    }
    /// Allowed moves: forward one step at a time; declined from any open
    /// state; "ready" may go back to "in repair".
    pub fn can_move_to(self, next: RepairState) -> bool {
        use RepairState::*;
        matches!(
            (self, next),
            (Received, Diagnosis)
                | (Diagnosis, InRepair)
                | (InRepair, Ready)
                | (Ready, HandedBack)
                | (Ready, InRepair)
                | (Received | Diagnosis | InRepair | Ready, Declined)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanned_in_the_russian_layout() {
        assert!(serial_variants("ВК1-26-0001").contains(&"DR1-26-0001".to_string()));
        assert!(serial_variants("вк1-26-0001").contains(&"DR1-26-0001".to_string()));
        assert!(serial_variants("dr1-26-0001").contains(&"DR1-26-0001".to_string()));
        assert_eq!(serial_variants("DR1"), vec!["DR1".to_string()]);
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn warranty_ends_on_the_month_end() {
        assert_eq!(warranty_end(d("2026-01-31"), 1), d("2026-02-28"));
        assert_eq!(warranty_end(d("2028-01-31"), 1), d("2028-02-29"));
        assert_eq!(warranty_end(d("2026-03-10"), 24), d("2028-03-10"));
        let shipped = Some(d("2026-01-31"));
        assert!(under_warranty(shipped, 1, d("2026-02-28")), "last day");
        assert!(!under_warranty(shipped, 1, d("2026-03-01")), "a day after");
        assert!(!under_warranty(shipped, 0, d("2026-01-31")), "no warranty");
        assert!(!under_warranty(None, 12, d("2026-01-31")), "never shipped");
    }

    #[test]
    fn serials_from_a_pattern() {
        assert_eq!(
            from_pattern("DR1-26-####", 9, 2),
            vec!["DR1-26-0009", "DR1-26-0010"]
        );
        assert_eq!(from_pattern("SN", 1, 2), vec!["SN1", "SN2"]);
        assert_eq!(from_pattern("A#B", 12, 1), vec!["A12B"]);
        assert_eq!(parse_serial("  X-1 "), Ok("X-1".to_string()));
        assert!(parse_serial(" ").is_err());
        assert!(parse_serial("a\\tb").is_ok());
        assert!(parse_serial("a\tb").is_err());
    }

    #[test]
    fn repair_moves() {
        use RepairState::*;
        assert!(Received.can_move_to(Diagnosis));
        assert!(!Received.can_move_to(Ready));
        assert!(Ready.can_move_to(InRepair));
        assert!(Diagnosis.can_move_to(Declined));
        assert!(!HandedBack.can_move_to(Declined));
        for s in RepairState::ALL {
            assert_eq!(RepairState::parse(s.code()), Some(s));
        }
    }
}
