//! Parsing of user input into domain values, collecting every field error at
//! once so a form or API client sees all problems in one answer.

use crate::AppError;
use chrono::NaiveDate;
use kupets_domain::{FieldError, Money, Percent};

/// Text fields of at least this many characters are "long text": they may
/// hold newlines and tabs.
pub const LONG_TEXT: usize = 1000;

/// Dates accepted anywhere: 1900-01-01 … 2999-12-31.
pub fn date_in_range(d: NaiveDate) -> bool {
    (1900..=2999).contains(&chrono::Datelike::year(&d))
}

#[derive(Default, Clone)]
pub struct Check {
    pub errors: Vec<FieldError>,
}

/// The text without surrounding blanks; `None` when nothing is left.
pub(crate) fn trimmed(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Check {
    pub fn new() -> Check {
        Check::default()
    }
    /// Records a field's error once: two checks that find the same problem
    /// (a shipment line's missing product, looked up for the line and again
    /// for its price) give one message, not the same one twice.
    pub fn add(&mut self, e: FieldError) {
        if !self
            .errors
            .iter()
            .any(|x| x.field == e.field && x.code == e.code)
        {
            self.errors.push(e);
        }
    }
    pub fn err(
        &mut self,
        field: &str,
        code: &'static str,
        ru: impl Into<String>,
        en: impl Into<String>,
    ) {
        self.add(FieldError::new(field, code, ru, en));
    }
    /// A required text of at most `max` characters.
    pub fn text(&mut self, field: &str, v: &Option<String>, max: usize) -> String {
        match trimmed(v) {
            None => {
                self.add(FieldError::required(field));
                String::new()
            }
            Some(s) => self.opt_text(field, &Some(s.to_string()), max),
        }
    }
    /// Optional text of at most `max` characters. Control characters are
    /// refused (NUL breaks PostgreSQL); newline and tab only in long text
    /// (`max` of 1000 and more: comments, notes, reasons).
    pub fn opt_text(&mut self, field: &str, v: &Option<String>, max: usize) -> String {
        let s = trimmed(v).unwrap_or("").to_string();
        let long = max >= LONG_TEXT;
        if s.chars()
            .any(|c| c.is_control() && !(long && matches!(c, '\n' | '\r' | '\t')))
        {
            self.err(
                field,
                "control_characters",
                if long {
                    "Текст содержит управляющие символы (например, NUL)"
                } else {
                    "Текст в одну строку, без управляющих символов"
                },
                if long {
                    "The text contains control characters (such as NUL)"
                } else {
                    "One line of text without control characters"
                },
            );
        }
        if s.chars().count() > max {
            self.err(
                field,
                "too_long",
                format!("Не длиннее {max} символов"),
                format!("At most {max} characters"),
            );
        }
        s
    }
    pub fn opt_id(&mut self, field: &str, v: &Option<String>) -> Option<i64> {
        let s = trimmed(v)?;
        match s.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                self.err(field, "invalid_id", "Неверный идентификатор", "Invalid id");
                None
            }
        }
    }
    pub fn id(&mut self, field: &str, v: &Option<String>) -> i64 {
        if trimmed(v).is_none() {
            self.add(FieldError::required(field));
            return 0;
        }
        self.opt_id(field, v).unwrap_or(0)
    }
    pub fn opt_money(&mut self, field: &str, v: &Option<String>) -> Option<i64> {
        let s = trimmed(v)?;
        match Money::parse(s) {
            Ok(m) if !m.in_bounds() => {
                self.err(
                    field,
                    "too_large",
                    "Сумма не больше 999 999 999 999,99",
                    "An amount of at most 999 999 999 999.99",
                );
                None
            }
            Ok(m) => Some(m.0),
            Err(e) => {
                self.err(
                    field,
                    "invalid_amount",
                    format!("Неверная сумма «{s}»: не более двух знаков после запятой"),
                    format!("Invalid amount '{s}': {e}"),
                );
                None
            }
        }
    }
    pub fn money(&mut self, field: &str, v: &Option<String>) -> i64 {
        if trimmed(v).is_none() {
            self.add(FieldError::required(field));
            return 0;
        }
        self.opt_money(field, v).unwrap_or(0)
    }
    pub fn percent(&mut self, field: &str, v: &Option<String>) -> i64 {
        let Some(s) = trimmed(v) else { return 0 };
        match Percent::parse(s) {
            Ok(p) => p.0,
            Err(_) => {
                self.err(
                    field,
                    "invalid_percent",
                    "Процент от 0 до 100, не более двух знаков после запятой",
                    "A percentage from 0 to 100 with at most 2 decimals",
                );
                0
            }
        }
    }
    pub fn date(&mut self, field: &str, v: &Option<String>, default: NaiveDate) -> NaiveDate {
        let Some(s) = trimmed(v) else { return default };
        parse_date(s).unwrap_or_else(|| {
            self.err(
                field,
                "invalid_date",
                "Дата в формате ГГГГ-ММ-ДД (или ДД.ММ.ГГГГ) с 1900 по 2999 год",
                "A date as YYYY-MM-DD (or DD.MM.YYYY) from 1900 to 2999",
            );
            default
        })
    }
    pub fn int(&mut self, field: &str, v: &Option<String>, min: i64, max: i64) -> i64 {
        let Some(s) = trimmed(v) else { return 0 };
        match s.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => n,
            _ => {
                self.err(
                    field,
                    "out_of_range",
                    format!("Целое число от {min} до {max}"),
                    format!("A whole number from {min} to {max}"),
                );
                0
            }
        }
    }
    pub fn done(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.errors))
        }
    }
}

/// A quantity above zero within the bound, or a field error.
pub fn positive_qty(c: &mut Check, field: &str, s: &str) -> i64 {
    match kupets_domain::Qty::parse(s) {
        Ok(q) if q.0 > 0 && q.in_bounds() => q.0,
        Ok(q) if q.0 > 0 => {
            c.err(
                field,
                "too_large",
                "Количество не больше 999 999 999,999",
                "A quantity of at most 999 999 999.999",
            );
            0
        }
        _ => {
            c.err(
                field,
                "invalid_qty",
                "Количество больше нуля, не более 3 знаков после запятой",
                "A quantity above zero with at most 3 decimals",
            );
            0
        }
    }
}

/// Accepts exactly `2026-03-10` and the Russian `10.03.2026` (forms), with
/// four-digit years within 1900–2999: no signs, no five-digit years, no
/// year 0.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let d = if b.len() != 10 {
        None
    } else if b[4] == b'-' && b[7] == b'-' && digits(0..4) && digits(5..7) && digits(8..10) {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    } else if b[2] == b'.' && b[5] == b'.' && digits(0..2) && digits(3..5) && digits(6..10) {
        NaiveDate::parse_from_str(s, "%d.%m.%Y").ok()
    } else {
        None
    }?;
    date_in_range(d).then_some(d)
}

/// Reads a checkbox or JSON boolean sent as text.
pub fn truthy(v: &Option<String>) -> bool {
    matches!(trimmed(v), Some("1" | "true" | "on" | "yes"))
}

/// Deserializes any JSON scalar (string, number, bool, null) as text, so one
/// input struct serves both JSON bodies and HTML forms.
pub fn lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::Deserialize;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        S(String),
        I(i64),
        F(f64),
        B(bool),
    }
    Ok(Option::<Scalar>::deserialize(d)?.map(|s| match s {
        Scalar::S(s) => s,
        Scalar::I(i) => i.to_string(),
        Scalar::F(f) => f.to_string(),
        Scalar::B(b) => b.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fields_problem_is_reported_once() {
        let mut c = Check::new();
        c.err(
            "lines[0].product_id",
            "not_found",
            "Товар 9 не найден",
            "No product 9",
        );
        c.err(
            "lines[0].product_id",
            "not_found",
            "Товар 9 не найден",
            "No product 9",
        );
        c.err("lines[0].qty", "not_found", "x", "x");
        c.err("lines[0].product_id", "archived", "y", "y");
        let got: Vec<(&str, &str)> = c
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert_eq!(
            got,
            [
                ("lines[0].product_id", "not_found"),
                ("lines[0].qty", "not_found"),
                ("lines[0].product_id", "archived")
            ]
        );
    }

    #[test]
    fn dates_are_strict() {
        let d = |s| parse_date(s).map(|d| d.to_string());
        assert_eq!(d("2026-03-10").as_deref(), Some("2026-03-10"));
        assert_eq!(d("10.03.2026").as_deref(), Some("2026-03-10"));
        for bad in [
            "+12026-01-01",
            "0000-01-01",
            "1899-12-31",
            "3000-01-01",
            "2026-3-10",
            "2026-02-30",
            "-2026-01-01",
            "12026-01-01",
        ] {
            assert_eq!(d(bad), None, "{bad}");
        }
        assert_eq!(d("1900-01-01").as_deref(), Some("1900-01-01"));
        assert_eq!(d("2999-12-31").as_deref(), Some("2999-12-31"));
    }

    #[test]
    fn control_characters_refused() {
        let mut c = Check::new();
        c.opt_text("name", &Some("a\u{0}b".into()), 200);
        c.opt_text("name2", &Some("a\nb".into()), 200);
        c.opt_text("comment", &Some("a\nb\tc".into()), 1000);
        c.opt_text("comment2", &Some("a\u{7}b".into()), 1000);
        let fields: Vec<_> = c.errors.iter().map(|e| e.field.clone()).collect();
        assert_eq!(fields, vec!["name", "name2", "comment2"]);
    }
}
