//! What an edit changed, for the audit log: `field: old → new` for every
//! column whose value differs, read before the update in the same
//! transaction. Money and percentages are written as a person reads them.

use crate::Result;
use kupets_domain::{Money, Percent};
use kupets_store::queries::P;
use kupets_store::{sql, Conn};

const MONEY: &[&str] = &["credit_limit", "amount", "price", "cost"];
const PERCENT: &[&str] = &["discount_limit", "pct", "special_discount"];

fn shown(col: &str, v: Option<String>) -> String {
    let Some(v) = v else {
        return "—".into();
    };
    match v.parse::<i64>() {
        Ok(n) if MONEY.contains(&col) => Money(n).to_api(),
        Ok(n) if PERCENT.contains(&col) => Percent(n).to_api(),
        _ if v.is_empty() => "—".into(),
        _ => v,
    }
}

fn new_value(p: &P) -> Option<String> {
    match p {
        P::I(v) | P::OptI(Some(v)) => Some(v.to_string()),
        P::S(v) | P::OptS(Some(v)) => Some(v.clone()),
        P::OptI(None) | P::OptS(None) => None,
    }
}

/// `field: old → new; …` of the columns `cols` would change in row `id` of
/// `table` (empty when nothing changes or the row is missing).
pub async fn describe(conn: &mut Conn, table: &str, id: i64, cols: &[(&str, P)]) -> Result<String> {
    if cols.is_empty() {
        return Ok(String::new());
    }
    let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
    let row = sql::query(&format!(
        "SELECT {} FROM {table} WHERE id = $1",
        names.join(", ")
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok(String::new());
    };
    let mut out = Vec::new();
    for (i, (col, p)) in cols.iter().enumerate() {
        let old: Option<String> = match row.try_get::<Option<i64>, _>(i) {
            Ok(v) => v.map(|n| n.to_string()),
            Err(_) => row.try_get::<Option<String>, _>(i).ok().flatten(),
        };
        let new = new_value(p);
        let same = old == new
            || (old.as_deref().unwrap_or("").is_empty() && new.as_deref().unwrap_or("").is_empty());
        if !same {
            out.push(format!("{col}: {} → {}", shown(col, old), shown(col, new)));
        }
    }
    Ok(out.join("; "))
}
