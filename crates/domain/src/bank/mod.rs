//! The 1C "Клиент банка" exchange format (`1CClientBankExchange`, versions
//! 1.02 and 1.03): bank statements in, payment orders out. Pure: bytes in,
//! records out (and back), so the app's import and export and the tests all
//! share one reading of the format.
//!
//! A file is `Key=Value` lines (CRLF; LF accepted) in windows-1251 (the
//! `Кодировка=Windows` default), DOS (cp866) or UTF-8: a header, then
//! `СекцияРасчСчет … КонецРасчСчет` blocks (an account's balances for the
//! period), then `СекцияДокумент=<kind> … КонецДокумента` blocks, then
//! `КонецФайла`.

mod parse;
mod purpose;
mod write;

pub use parse::{decode, parse_statement};
pub use purpose::{purpose_refs, PurposeRef, RefKind};
pub use write::write_statement;

use crate::Money;
use chrono::NaiveDate;

/// One side of a bank document: payer or payee.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    /// Settlement account (`…Счет`, else `…РасчСчет`).
    pub account: String,
    pub inn: String,
    pub kpp: String,
    /// `…1` (the name alone), else `…` with a leading «ИНН nnn» cut off.
    pub name: String,
    pub bank: String,
    pub bic: String,
    pub corr_account: String,
}

/// One `СекцияДокумент`: a payment order (or another kind of bank document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankDoc {
    /// Line of its `СекцияДокумент` in the file (1-based).
    pub line: usize,
    /// `Платежное поручение`, `Банковский ордер`, …
    pub kind: String,
    pub number: String,
    pub date: NaiveDate,
    pub amount: Money,
    pub payer: Party,
    pub payee: Party,
    /// `ДатаСписано`: the day it left the payer's account.
    pub debited: Option<NaiveDate>,
    /// `ДатаПоступило`: the day it reached the payee's account.
    pub credited: Option<NaiveDate>,
    pub purpose: String,
    /// `ВидОплаты`, `Очередность`, … as they came (written back on export).
    pub payment_kind: String,
    pub priority: String,
}

/// An account's balances and turnovers for the statement's period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSection {
    pub account: String,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    pub opening: Option<Money>,
    pub credited: Option<Money>,
    pub debited: Option<Money>,
    pub closing: Option<Money>,
}

/// A whole exchange file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `1.02`, `1.03`.
    pub version: String,
    /// How the file was read: `windows-1251`, `ibm866` or `utf-8`.
    pub encoding: &'static str,
    pub sender: String,
    pub receiver: String,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    /// `РасчСчет=` lines of the header: the accounts the file is about.
    pub accounts: Vec<String>,
    pub sections: Vec<AccountSection>,
    pub documents: Vec<BankDoc>,
}

/// Why a file was refused, at which line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// 1-based line number.
    pub line: usize,
    pub message_ru: String,
    pub message_en: String,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message_en)
    }
}

impl std::error::Error for FormatError {}

/// `dd.mm.yyyy`, the format's only date form.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%d.%m.%Y").ok()
}

pub fn format_date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

#[cfg(test)]
mod tests;
