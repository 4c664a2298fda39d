//! Opening balances of counterparties: one posted document «Ввод начальных
//! остатков» for the whole file, dated, with a ledger entry per row.

use super::super::insert_rows;
use super::{err, one_date, Column, CpIndex, RowError, Rows};
use crate::{Actor, Result};
use kupets_domain::Money;
use kupets_store::queries::{audit, P};
use kupets_store::{now, Conn};
use std::collections::HashMap;

/// Opening balances: one posted document for the whole file, dated.
pub const OPENING_BALANCE_COLUMNS: &[Column] = &[
    Column {
        field: "counterparty",
        ru: "Контрагент",
        aliases: &["counterparty", "наименование", "name"],
        required: false,
        example: "ООО «Ромашка»",
    },
    Column {
        field: "inn",
        ru: "ИНН",
        aliases: &["inn"],
        required: false,
        example: "7707083893",
    },
    Column {
        field: "amount",
        ru: "Сумма",
        aliases: &["amount", "сальдо", "долг"],
        required: true,
        example: "15000.00",
    },
    Column {
        field: "date",
        ru: "Дата",
        aliases: &["date", "на дату"],
        required: true,
        example: "2025-12-31",
    },
];

/// (date, [(counterparty, signed amount)])
type OpeningPlan = (chrono::NaiveDate, Vec<(i64, i64)>);

/// Finds each row's counterparty (by ИНН, else by its exact name) and
/// checks the amounts and the one date of the document.
async fn check_opening(conn: &mut Conn, rows: &Rows) -> Result<(OpeningPlan, Vec<RowError>)> {
    let mut errs = Vec::new();
    let index = CpIndex::load(conn).await?;
    let mut date: Option<chrono::NaiveDate> = None;
    let mut out = Vec::new();
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for (n, r) in &rows.rows {
        let g = |k: &str| r.get(k).cloned().unwrap_or_default();
        let cp = match index.find(*n, "counterparty", &g("inn"), &g("counterparty")) {
            Ok(cp) => {
                if let Some(first) = seen.insert(cp, *n) {
                    errs.push(err(
                        *n,
                        "counterparty",
                        "duplicate",
                        format!("Тот же контрагент, что в строке {first}"),
                        format!("The same counterparty as row {first}"),
                    ));
                }
                Some(cp)
            }
            Err(e) => {
                errs.push(e);
                None
            }
        };
        let amount = match Money::parse(&g("amount")) {
            Ok(m) if m.in_bounds() && m.0 != 0 => m.0,
            _ => {
                errs.push(err(*n, "amount", "invalid_money", "Сумма: не ноль, до 2 знаков; плюс — долг нам, минус — наш долг или аванс", "Amount: not zero, up to 2 decimals; plus: they owe us, minus: we owe them or a prepayment"));
                0
            }
        };
        one_date(&mut errs, &mut date, *n, &g("date"));
        if let Some(cp) = cp {
            out.push((cp, amount));
        }
    }
    Ok(((date.unwrap_or_default(), out), errs))
}

/// One posted document «Ввод начальных остатков» (a debt adjustment)
/// with a ledger entry per counterparty, each written in one statement.
async fn write_opening(tx: &mut Conn, actor: &Actor, plan: &OpeningPlan) -> Result<()> {
    use chrono::Datelike;
    use kupets_domain::DocKind;
    let (date, entries) = plan;
    let kind = DocKind::Adjustment;
    let seq = super::super::reserve_seqs(tx, kind.code(), date.year(), 1).await?;
    let at = now();
    let total: i64 = entries.iter().map(|e| e.1).sum();
    let id = kupets_store::queries::insert(
        tx,
        "documents",
        &[
            ("kind", P::from(kind.code())),
            ("year", P::from(date.year() as i64)),
            ("seq", P::from(seq)),
            (
                "number",
                P::from(kupets_domain::document::doc_number(kind, date.year(), seq)),
            ),
            ("doc_date", P::from(date.to_string())),
            ("state", P::from("posted")),
            ("author_id", P::from(actor.id())),
            ("responsible_id", P::from(actor.id())),
            ("amount", P::from(total)),
            ("comment", P::from("Ввод начальных остатков (загрузка)")),
            ("created_at", P::from(at.as_str())),
            ("posted_at", P::from(at.as_str())),
        ],
    )
    .await?;
    let rows: Vec<Vec<P>> = entries
        .iter()
        .map(|(cp, amount)| {
            vec![
                P::from(*cp),
                P::from(id),
                P::from(date.to_string()),
                P::from(*amount),
                P::from(at.as_str()),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "settlement_entries",
        &[
            "counterparty_id",
            "document_id",
            "entry_date",
            "amount",
            "created_at",
        ],
        &rows,
        None,
    )
    .await?;
    let amounts: Vec<(i64, i64)> = entries.iter().map(|(cp, a)| (*cp, *a)).collect();
    crate::document::add_to_balance(tx, &amounts).await?;
    audit(
        tx,
        Some(actor.id()),
        "create",
        kind.code(),
        id,
        "opening balances",
    )
    .await?;
    audit(
        tx,
        Some(actor.id()),
        "post",
        kind.code(),
        id,
        &format!("{} counterparties, total={}", entries.len(), Money(total)),
    )
    .await?;
    Ok(())
}

pub(super) async fn run(
    conn: &mut Conn,
    actor: &Actor,
    rows: &Rows,
    write: bool,
) -> Result<(usize, Vec<RowError>)> {
    let (plan, errors) = check_opening(conn, rows).await?;
    if !write || !errors.is_empty() {
        return Ok((0, errors));
    }
    write_opening(conn, actor, &plan).await?;
    Ok((plan.1.len(), Vec::new()))
}
