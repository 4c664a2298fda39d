//! Settlement reports: balances on a date, the reconciliation statement and
//! receivables aging. Read-only, from the ledger; nothing is cached, so a
//! report on any past date is what the ledger said then.

use crate::{Actor, App, AppError, Result};
use chrono::NaiveDate;
use kupets_domain::aging::{age, Buckets, Item};
use kupets_domain::{DocKind, Money};
use kupets_store::queries::P;
use kupets_store::sql;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BalanceRow {
    pub counterparty_id: String,
    pub name: String,
    pub inn: String,
    /// Above zero they owe us.
    pub balance: String,
    pub receivable: String,
    pub payable: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BalancesReport {
    pub date: String,
    pub rows: Vec<BalanceRow>,
    pub total_receivable: String,
    pub total_payable: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReconciliationRow {
    pub date: String,
    pub document_id: String,
    pub kind: String,
    pub number: String,
    /// «Отгрузка РН-2026-000001 от 04.03.2026».
    pub title: String,
    /// Raises the counterparty's debt to us.
    pub debit: String,
    pub credit: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reconciliation {
    pub our_company: String,
    pub counterparty_id: String,
    pub counterparty: String,
    pub from: String,
    pub to: String,
    /// Balance at the start of `from` (above zero: they owe us).
    pub opening: String,
    pub rows: Vec<ReconciliationRow>,
    pub turnover_debit: String,
    pub turnover_credit: String,
    pub closing: String,
    /// «По данным … на … задолженность в пользу … составляет …».
    pub conclusion: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgingRow {
    pub counterparty_id: String,
    pub name: String,
    pub d0_30: String,
    pub d31_60: String,
    pub d61_90: String,
    pub d90_plus: String,
    pub total: String,
    /// Money received and not allocated to any debt (prepayment).
    pub unallocated_credit: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgingReport {
    pub date: String,
    pub rows: Vec<AgingRow>,
    pub totals: AgingRow,
}

/// The installation's own company name (a default until it is set).
async fn company_name(conn: &mut kupets_store::Conn) -> Result<String> {
    Ok(kupets_store::queries::get_setting(conn, "company_name")
        .await?
        .unwrap_or_else(|| "ООО «Наша компания»".to_string()))
}

fn m(v: i64) -> String {
    Money(v).to_api()
}

impl App {
    /// The installation's own company name, for printouts.
    pub async fn company_name(&self) -> Result<String> {
        let mut conn = self.store.read_conn().await?;
        company_name(&mut conn).await
    }

    /// Every counterparty's balance on `date` (zero balances left out).
    pub async fn balances_report(&self, _actor: &Actor, date: NaiveDate) -> Result<BalancesReport> {
        let sql = "SELECT c.id, c.name, c.inn, b.balance FROM (SELECT counterparty_id, CAST(SUM(amount) AS BIGINT) AS balance FROM settlement_entries \
                   WHERE entry_date <= $1 GROUP BY counterparty_id) b JOIN counterparties c ON c.id = b.counterparty_id WHERE b.balance <> 0 ORDER BY c.name, c.id";
        let rows = self
            .store
            .read_rows(sql.into(), vec![P::from(date.to_string())], |r| {
                (r.int("id"), r.text("name"), r.text("inn"), r.int("balance"))
            })
            .await?;
        let (rec, pay): (i64, i64) =
            rows.iter().fold(
                (0, 0),
                |(r, p), x| if x.3 > 0 { (r + x.3, p) } else { (r, p - x.3) },
            );
        Ok(BalancesReport {
            date: date.to_string(),
            rows: rows
                .into_iter()
                .map(|(id, name, inn, b)| BalanceRow {
                    counterparty_id: id.to_string(),
                    name,
                    inn,
                    balance: m(b),
                    receivable: m(b.max(0)),
                    payable: m((-b).max(0)),
                })
                .collect(),
            total_receivable: m(rec),
            total_payable: m(pay),
        })
    }

    /// The reconciliation statement for a counterparty and a period. A
    /// document cancelled in full nets to nothing and is left out.
    pub async fn reconciliation(
        &self,
        _actor: &Actor,
        counterparty_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Reconciliation> {
        if from > to {
            return Err(AppError::field(
                "from",
                "bad_period",
                "Начало периода позже конца",
                "The period starts after it ends",
            ));
        }
        // One snapshot for the name, the opening balance, the period's rows
        // and our company's name: a posting committed between two of these
        // reads would otherwise be missing from one and counted in another.
        let (cp, opening, docs, ours) = self
            .store
            .read(move |tx| {
                Box::pin(async move {
                    let cp = sql::query_scalar::<String>("SELECT name FROM counterparties WHERE id = $1")
                        .bind(counterparty_id)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or(AppError::NotFound {
                            entity: "counterparty",
                        })?;
                    let opening = sql::query_scalar::<i64>("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM settlement_entries WHERE counterparty_id = $1 AND entry_date < $2")
                        .bind(counterparty_id)
                        .bind(from.to_string())
                        .fetch_one(&mut *tx)
                        .await?;
                    let docs = sql::query_as::<(i64, String, String, String, i64)>(
                        "SELECT d.id, d.kind, d.number, d.doc_date, CAST(SUM(e.amount) AS BIGINT) AS amount FROM settlement_entries e JOIN documents d ON d.id = e.document_id \
                         WHERE e.counterparty_id = $1 AND e.entry_date >= $2 AND e.entry_date <= $3 GROUP BY d.id, d.kind, d.number, d.doc_date \
                         HAVING SUM(e.amount) <> 0 ORDER BY d.doc_date, d.id",
                    )
                    .bind(counterparty_id)
                    .bind(from.to_string())
                    .bind(to.to_string())
                    .fetch_all(&mut *tx)
                    .await?;
                    let ours = company_name(tx).await?;
                    Ok::<_, AppError>((cp, opening, docs, ours))
                })
            })
            .await?;
        let (mut debit, mut credit) = (0i64, 0i64);
        let rows = docs
            .into_iter()
            .map(|(id, kind, number, date, amount)| {
                if amount > 0 {
                    debit = debit.saturating_add(amount);
                } else {
                    credit = credit.saturating_sub(amount);
                }
                let label = DocKind::parse(&kind)
                    .map(|k| k.label(true))
                    .unwrap_or("Документ");
                let date_ru = crate::input::parse_date(&date)
                    .map(kupets_domain::money::date_ru)
                    .unwrap_or_else(|| date.clone());
                ReconciliationRow {
                    title: format!("{label} {number} от {date_ru}"),
                    date,
                    document_id: id.to_string(),
                    kind,
                    number,
                    debit: if amount > 0 { m(amount) } else { String::new() },
                    credit: if amount < 0 {
                        m(-amount)
                    } else {
                        String::new()
                    },
                }
            })
            .collect();
        let closing = opening + debit - credit;
        let on = kupets_domain::money::date_ru(to);
        let conclusion = match closing {
            0 => format!("По данным {ours} на {on} задолженность отсутствует."),
            c if c > 0 => format!(
                "По данным {ours} на {on} задолженность в пользу {ours} составляет {} ({}).",
                Money(c).to_ru(),
                kupets_domain::words::rubles(c)
            ),
            c => format!(
                "По данным {ours} на {on} задолженность в пользу {cp} составляет {} ({}).",
                Money(-c).to_ru(),
                kupets_domain::words::rubles(-c)
            ),
        };
        Ok(Reconciliation {
            our_company: ours,
            counterparty_id: counterparty_id.to_string(),
            counterparty: cp,
            from: from.to_string(),
            to: to.to_string(),
            opening: m(opening),
            rows,
            turnover_debit: m(debit),
            turnover_credit: m(credit),
            closing: m(closing),
            conclusion,
        })
    }

    /// Receivables aging of every counterparty on `date`.
    pub async fn aging_report(&self, _actor: &Actor, date: NaiveDate) -> Result<AgingReport> {
        // One pass over the ledger, no join: an entry carries its date and
        // order; the few returns' base documents come apart. Entries of one
        // document (a posting and its reversal) are netted here.
        let bases: std::collections::HashMap<i64, i64> = self
            .store
            .read_rows(
                "SELECT id, base_id FROM documents WHERE base_id IS NOT NULL".into(),
                vec![],
                |r| (r.int("id"), r.int("base_id")),
            )
            .await?
            .into_iter()
            .collect();
        let mut rows = self
            .store
            .read_rows(
                "SELECT counterparty_id, document_id, entry_date, order_id, amount FROM settlement_entries WHERE entry_date <= $1".into(),
                vec![P::from(date.to_string())],
                |r| (r.int("counterparty_id"), r.int("document_id"), iso_date(&r.text("entry_date")), r.opt_int("order_id"), r.int("amount")),
            )
            .await?;
        // Sorted by counterparty and document, a document's entries (a
        // posting and its reversal) are neighbours: netted in one pass,
        // without a map of a million documents.
        rows.sort_unstable_by_key(|r| (r.0, r.1));
        let mut items: Vec<(i64, Item)> = Vec::with_capacity(rows.len());
        for (cp, doc, d, order, amount) in rows {
            match items.last_mut() {
                Some((_, last)) if last.doc_id == doc => last.amount += amount,
                _ => items.push((
                    cp,
                    Item {
                        doc_id: doc,
                        date: d,
                        amount,
                        order_id: order,
                        base_id: bases.get(&doc).copied(),
                    },
                )),
            }
        }
        items.retain(|(_, i)| i.amount != 0);
        let names: std::collections::HashMap<i64, String> = self
            .store
            .read_rows("SELECT id, name FROM counterparties".into(), vec![], |r| {
                (r.int("id"), r.text("name"))
            })
            .await?
            .into_iter()
            .collect();
        let mut rows = Vec::new();
        let mut totals = Buckets::default();
        let mut i = 0;
        while i < items.len() {
            let cp = items[i].0;
            let j = items[i..]
                .iter()
                .position(|x| x.0 != cp)
                .map(|p| i + p)
                .unwrap_or(items.len());
            let mine: Vec<Item> = items[i..j].iter().map(|x| x.1.clone()).collect();
            let b = age(&mine, date);
            if b.total() != 0 || b.unallocated_credit != 0 {
                totals.d0_30 = totals.d0_30.saturating_add(b.d0_30);
                totals.d31_60 = totals.d31_60.saturating_add(b.d31_60);
                totals.d61_90 = totals.d61_90.saturating_add(b.d61_90);
                totals.d90_plus = totals.d90_plus.saturating_add(b.d90_plus);
                totals.unallocated_credit = totals
                    .unallocated_credit
                    .saturating_add(b.unallocated_credit);
                rows.push(aging_row(
                    cp.to_string(),
                    names.get(&cp).cloned().unwrap_or_default(),
                    &b,
                ));
            }
            i = j;
        }
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(AgingReport {
            date: date.to_string(),
            rows,
            totals: aging_row(String::new(), "Итого".into(), &totals),
        })
    }
}

fn aging_row(id: String, name: String, b: &Buckets) -> AgingRow {
    AgingRow {
        counterparty_id: id,
        name,
        d0_30: m(b.d0_30),
        d31_60: m(b.d31_60),
        d61_90: m(b.d61_90),
        d90_plus: m(b.d90_plus),
        total: m(b.total()),
        unallocated_credit: m(b.unallocated_credit),
    }
}

/// Installation settings a person may change, with what each accepts.
pub const SETTINGS: &[(&str, &str)] = &[
    ("company_name", "text"),
    ("allow_negative_stock", "true | false"),
    ("unattended_days", "1–365"),
    (
        "default_cumulative_scale",
        "id of a cumulative scale | empty",
    ),
    (
        "default_volume_scale",
        "id of a volume-maintenance rule set | empty",
    ),
    ("abc_a_pct", "1–99: class A = the first this % of the total"),
    (
        "abc_b_pct",
        "above abc_a_pct, up to 100: class B up to this cumulative %",
    ),
];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Setting {
    pub key: String,
    pub value: String,
}

impl App {
    pub async fn settings(&self, _actor: &Actor) -> Result<Vec<Setting>> {
        let mut conn = self.store.read_conn().await?;
        let mut out = Vec::new();
        for (key, _) in SETTINGS {
            let value = kupets_store::queries::get_setting(&mut conn, key)
                .await?
                .unwrap_or_else(|| match *key {
                    "company_name" => "ООО «Наша компания»".into(),
                    "unattended_days" => crate::unattended::DEFAULT_DAYS.to_string(),
                    "default_cumulative_scale" | "default_volume_scale" => String::new(),
                    "abc_a_pct" => "80".into(),
                    "abc_b_pct" => "95".into(),
                    _ => "false".into(),
                });
            out.push(Setting {
                key: key.to_string(),
                value,
            });
        }
        Ok(out)
    }

    /// Changes a setting (admins); every change goes to the audit log.
    pub async fn set_setting(&self, actor: &Actor, key: &str, value: &str) -> Result<Setting> {
        if let Some(kind) = key
            .strip_prefix("default_")
            .and_then(|k| k.strip_suffix("_scale"))
        {
            // Pricing's own setting: checked and audited there.
            self.set_default_scale(actor, kind, value).await?;
            return Ok(Setting {
                key: key.to_string(),
                value: value.trim().to_string(),
            });
        }
        actor.require(kupets_domain::role::Right::ManagePeople)?;
        let value = value.trim();
        match key {
            "company_name" if !value.is_empty() && value.chars().count() <= 300 => {}
            "allow_negative_stock" if value == "true" || value == "false" => {}
            "unattended_days" if value.parse::<i64>().is_ok_and(|d| (1..=365).contains(&d)) => {}
            "abc_a_pct" | "abc_b_pct"
                if value.parse::<i64>().is_ok_and(|d| (1..=100).contains(&d)) =>
            {
                let mut conn = self.store.read_conn().await?;
                let (a, b) = crate::analysis::abc::thresholds(&mut conn).await?;
                let (a, b) = if key == "abc_a_pct" {
                    (value.parse().unwrap_or(a), b)
                } else {
                    (a, value.parse().unwrap_or(b))
                };
                if a >= b || a >= 100 {
                    return Err(AppError::field(
                        "value",
                        "invalid",
                        format!("Порог A ({a} %) должен быть меньше порога B ({b} %)"),
                        format!("Threshold A ({a} %) must be below threshold B ({b} %)"),
                    ));
                }
            }
            "company_name"
            | "allow_negative_stock"
            | "unattended_days"
            | "abc_a_pct"
            | "abc_b_pct" => {
                return Err(AppError::field(
                    "value",
                    "invalid",
                    format!("Недопустимое значение для {key}"),
                    format!("Invalid value for {key}"),
                ));
            }
            _ => return Err(AppError::NotFound { entity: "setting" }),
        }
        let saved = write_tx!(self, [actor, key, value], |app, tx| {
            let old = kupets_store::queries::get_setting(&mut tx, key)
                .await?
                .unwrap_or_default();
            kupets_store::queries::set_setting(&mut tx, key, value).await?;
            kupets_store::queries::audit(
                &mut tx,
                Some(actor.id()),
                "setting",
                key,
                "",
                &format!("{old} → {value}"),
            )
            .await?;
            Ok(Setting {
                key: key.to_string(),
                value: value.to_string(),
            })
        })?;
        if key.starts_with("abc_") {
            self.refresh_client_classes(true).await?;
        }
        Ok(saved)
    }
}

/// `YYYY-MM-DD` as stored, read without a format parser (a million ledger
/// dates per aging report); anything else falls back to the general parse.
fn iso_date(s: &str) -> NaiveDate {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        if let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) {
            if let Some(v) = NaiveDate::from_ymd_opt(y as i32, m, d) {
                return v;
            }
        }
    }
    crate::input::parse_date(s).unwrap_or_default()
}
