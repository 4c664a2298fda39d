//! Business rules of kupets: numbers, identifiers and document life cycle.
//! No SQL, no HTTP, no async — everything here is a pure function of its input,
//! so most tests live here.

pub mod aging;
pub mod bank;
pub mod document;
pub mod error;
pub mod inn;
pub mod money;
pub mod pricing;
pub mod requisites;
pub mod role;
pub mod serial;
pub mod status;
pub mod trade;
pub mod unit;
pub mod vat;
pub mod words;

pub use document::{DocKind, DocState};
pub use error::FieldError;
pub use money::{Money, Percent, Qty};
pub use role::Role;
pub use vat::VatRate;
