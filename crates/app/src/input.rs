//! Parsing of user input into domain values, collecting every field error at
//! once so a form or API client sees all problems in one answer.

use crate::AppError;
use chrono::NaiveDate;
use kupets_domain::{FieldError, Money, Percent};

#[derive(Default, Clone)]
pub struct Check {
    pub errors: Vec<FieldError>,
}

fn trimmed(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Check {
    pub fn new() -> Check {
        Check::default()
    }
    pub fn add(&mut self, e: FieldError) {
        self.errors.push(e);
    }
    pub fn err(
        &mut self,
        field: &str,
        code: &'static str,
        ru: impl Into<String>,
        en: impl Into<String>,
    ) {
        self.errors.push(FieldError::new(field, code, ru, en));
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
    pub fn opt_text(&mut self, field: &str, v: &Option<String>, max: usize) -> String {
        let s = trimmed(v).unwrap_or("").to_string();
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
                "Дата в формате ГГГГ-ММ-ДД или ДД.ММ.ГГГГ",
                "A date as YYYY-MM-DD or DD.MM.YYYY",
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

/// Accepts `2026-03-10` and the Russian `10.03.2026`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .or_else(|| NaiveDate::parse_from_str(s.trim(), "%d.%m.%Y").ok())
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
