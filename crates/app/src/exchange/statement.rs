//! Bank statement import: each document of a `1CClientBankExchange` file
//! becomes a draft incoming or outgoing payment on the matching account of
//! ours, matched to the counterparty by ИНН (then by its account), and to
//! a счёт or sales order whose number the purpose names. A preview shows
//! every row with its status and reason before anything is written.

use super::{insert_rows, reserve_seqs};
use crate::{Actor, App, AppError, Result};
use chrono::Datelike;
use kupets_domain::bank::{parse_statement, purpose_refs, BankDoc, Party, RefKind, Statement};
use kupets_domain::document::doc_number;
use kupets_domain::role::Right;
use kupets_domain::DocKind;
use kupets_store::queries::{audit, bind_all, placeholders, P};
use kupets_store::{now, sql, Conn};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// One bank document as the preview and the import show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BankRow {
    /// Stored row id (`bank_docs`); none in a preview.
    pub id: Option<String>,
    /// Line of its section in the file (0 once stored).
    pub line: usize,
    pub number: String,
    pub date: String,
    #[schema(example = "1500.00")]
    pub amount: String,
    /// `in` (money to us) or `out`.
    pub direction: String,
    pub our_account: String,
    pub other_account: String,
    pub other_inn: String,
    pub other_kpp: String,
    pub other_name: String,
    pub other_bank: String,
    pub other_bic: String,
    pub purpose: String,
    /// `matched`, `unmatched`, `already_imported` or `not_ours`.
    pub status: String,
    /// Why: `inn`, `account`, `invoice`, `order`, `unknown_payer`,
    /// `duplicate`, `in_file_twice`, `not_our_account`.
    pub reason: String,
    pub reason_ru: String,
    pub reason_en: String,
    pub counterparty_id: Option<String>,
    pub counterparty_name: Option<String>,
    pub order_id: Option<String>,
    pub order_number: Option<String>,
    pub invoice_id: Option<String>,
    pub invoice_number: Option<String>,
    pub payment_id: Option<String>,
    pub payment_number: Option<String>,
    /// The payment's state: `draft`, `posted`, `cancelled`.
    pub payment_state: Option<String>,
}

/// What a statement would do, or did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementResult {
    /// The stored import (none for a preview, or when nothing was new).
    pub import_id: Option<String>,
    pub version: String,
    pub encoding: String,
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub matched: usize,
    pub unmatched: usize,
    pub already_imported: usize,
    pub not_ours: usize,
    pub rows: Vec<BankRow>,
}

/// A bank document with what matching found.
#[derive(Debug, Clone)]
pub(crate) struct Cand {
    pub doc: BankDoc,
    pub bank_account_id: i64,
    pub our_account: String,
    pub direction: &'static str,
    pub other: Party,
    pub status: &'static str,
    pub reason: &'static str,
    pub counterparty: Option<(i64, String, Option<i64>)>,
    pub order: Option<(i64, String)>,
    pub invoice: Option<(i64, String)>,
}

pub(crate) fn reason_text(reason: &str, c: &CandRef<'_>, ru: bool) -> String {
    let cp = c.counterparty.unwrap_or("");
    match (reason, ru) {
        ("inn", true) => format!("Контрагент «{cp}» найден по ИНН {}", c.inn),
        ("inn", false) => format!("Counterparty '{cp}' found by INN {}", c.inn),
        ("account", true) => format!("Контрагент «{cp}» найден по счёту {}", c.account),
        ("account", false) => format!("Counterparty '{cp}' found by account {}", c.account),
        ("invoice", true) => format!("Контрагент «{cp}» — по счёту на оплату из назначения"),
        ("invoice", false) => format!("Counterparty '{cp}' from the invoice named in the purpose"),
        ("order", true) => format!("Контрагент «{cp}» — по заказу из назначения"),
        ("order", false) => format!("Counterparty '{cp}' from the order named in the purpose"),
        ("unknown_payer", true) => format!(
            "Контрагент с ИНН «{}» и счётом {} не найден: назначьте вручную или создайте",
            c.inn, c.account
        ),
        ("unknown_payer", false) => format!(
            "No counterparty with INN '{}' or account {}: assign one or create it",
            c.inn, c.account
        ),
        ("duplicate", true) => "Уже загружен раньше".into(),
        ("duplicate", false) => "Imported before".into(),
        ("in_file_twice", true) => "Повтор документа в этом же файле".into(),
        ("in_file_twice", false) => "The same document twice in this file".into(),
        ("assigned", true) => format!("Назначен вручную: «{cp}»"),
        ("assigned", false) => format!("Assigned by hand: '{cp}'"),
        (_, true) => "Ни плательщик, ни получатель — не наш счёт".into(),
        (_, false) => "Neither payer nor payee is an account of ours".into(),
    }
}

/// What a reason's text needs.
pub(crate) struct CandRef<'a> {
    pub counterparty: Option<&'a str>,
    pub inn: &'a str,
    pub account: &'a str,
}

fn opt_id(v: Option<i64>) -> Option<String> {
    v.map(|v| v.to_string())
}

impl Cand {
    fn row(&self) -> BankRow {
        let r = CandRef {
            counterparty: self.counterparty.as_ref().map(|c| c.1.as_str()),
            inn: &self.other.inn,
            account: &self.other.account,
        };
        BankRow {
            id: None,
            line: self.doc.line,
            number: self.doc.number.clone(),
            date: self.doc.date.to_string(),
            amount: self.doc.amount.to_api(),
            direction: self.direction.into(),
            our_account: self.our_account.clone(),
            other_account: self.other.account.clone(),
            other_inn: self.other.inn.clone(),
            other_kpp: self.other.kpp.clone(),
            other_name: self.other.name.clone(),
            other_bank: self.other.bank.clone(),
            other_bic: self.other.bic.clone(),
            purpose: self.doc.purpose.clone(),
            status: self.status.into(),
            reason: self.reason.into(),
            reason_ru: reason_text(self.reason, &r, true),
            reason_en: reason_text(self.reason, &r, false),
            counterparty_id: opt_id(self.counterparty.as_ref().map(|c| c.0)),
            counterparty_name: self.counterparty.as_ref().map(|c| c.1.clone()),
            order_id: opt_id(self.order.as_ref().map(|c| c.0)),
            order_number: self.order.as_ref().map(|c| c.1.clone()),
            invoice_id: opt_id(self.invoice.as_ref().map(|c| c.0)),
            invoice_number: self.invoice.as_ref().map(|c| c.1.clone()),
            payment_id: None,
            payment_number: None,
            payment_state: None,
        }
    }
}

/// The file's refusal as a 422 on the field `file`, naming the line.
pub fn format_error(e: kupets_domain::bank::FormatError) -> AppError {
    AppError::field(
        "file",
        "bad_statement",
        format!("Строка {}: {}", e.line, e.message_ru),
        format!("Line {}: {}", e.line, e.message_en),
    )
}

fn in_list<T: Clone + Into<P>>(vals: &[T]) -> (String, Vec<P>) {
    (
        placeholders(1, vals.len()),
        vals.iter().cloned().map(Into::into).collect(),
    )
}

/// A counterparty found by ИНН: id, name, КПП, manager.
type CpRow = (i64, String, String, Option<i64>);
/// A referenced document: id, number, counterparty, order, the
/// counterparty's name and manager.
type RefDoc = (i64, String, Option<i64>, Option<i64>, String, Option<i64>);

/// Matches every document of a statement against what the database holds:
/// a fixed number of statements per 400 documents, whatever their count.
pub(crate) async fn analyse(conn: &mut Conn, st: &Statement) -> Result<Vec<Cand>> {
    let ours: HashMap<String, i64> =
        sql::query("SELECT id, account FROM company_bank_accounts WHERE archived = 0")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| (r.get::<String, _>("account"), r.get::<i64, _>("id")))
            .collect();
    let mut cands: Vec<Cand> = st
        .documents
        .iter()
        .map(|d| {
            let (dir, acc, other) = if let Some(id) = ours.get(&d.payee.account) {
                ("in", Some((*id, d.payee.account.clone())), d.payer.clone())
            } else if let Some(id) = ours.get(&d.payer.account) {
                ("out", Some((*id, d.payer.account.clone())), d.payee.clone())
            } else {
                ("in", None, d.payer.clone())
            };
            let (bank_account_id, our_account) = acc.unwrap_or((0, String::new()));
            Cand {
                doc: d.clone(),
                bank_account_id,
                our_account,
                direction: dir,
                other,
                status: if bank_account_id == 0 {
                    "not_ours"
                } else {
                    "unmatched"
                },
                reason: if bank_account_id == 0 {
                    "not_our_account"
                } else {
                    "unknown_payer"
                },
                counterparty: None,
                order: None,
                invoice: None,
            }
        })
        .collect();
    if !cands.is_empty() && cands.iter().all(|c| c.status == "not_ours") {
        let accs: Vec<String> = st
            .accounts
            .iter()
            .cloned()
            .chain(st.documents.iter().map(|d| d.payee.account.clone()))
            .take(1)
            .collect();
        return Err(AppError::field(
            "file",
            "not_our_account",
            format!(
                "Ни один документ выписки не касается наших счетов ({}): добавьте счёт в реквизиты компании",
                accs.join(", ")
            ),
            format!(
                "No document of the statement touches an account of ours ({}): add the account to the company's requisites",
                accs.join(", ")
            ),
        ));
    }
    // Imported before, or twice in this file.
    let dates: Vec<String> = cands.iter().map(|c| c.doc.date.to_string()).collect();
    if let (Some(lo), Some(hi)) = (dates.iter().min(), dates.iter().max()) {
        let seen: HashSet<(String, String, String, i64, String)> = sql::query(
            "SELECT our_account, number, doc_date, amount, other_account FROM bank_docs WHERE doc_date >= $1 AND doc_date <= $2",
        )
        .bind(lo.as_str())
        .bind(hi.as_str())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            (
                r.get("our_account"),
                r.get("number"),
                r.get("doc_date"),
                r.get("amount"),
                r.get("other_account"),
            )
        })
        .collect();
        let mut in_file = HashSet::new();
        for c in cands.iter_mut().filter(|c| c.status != "not_ours") {
            let key = (
                c.our_account.clone(),
                c.doc.number.clone(),
                c.doc.date.to_string(),
                c.doc.amount.0,
                c.other.account.clone(),
            );
            if seen.contains(&key) {
                (c.status, c.reason) = ("already_imported", "duplicate");
            } else if !in_file.insert(key) {
                (c.status, c.reason) = ("already_imported", "in_file_twice");
            }
        }
    }
    let open = |c: &Cand| c.status == "unmatched";
    // By ИНН: the one with the same КПП when several share the ИНН.
    let inns: Vec<String> = {
        let s: HashSet<String> = cands
            .iter()
            .filter(|c| open(c) && !c.other.inn.is_empty())
            .map(|c| c.other.inn.clone())
            .collect();
        s.into_iter().collect()
    };
    let mut by_inn: HashMap<String, Vec<CpRow>> = HashMap::new();
    for chunk in inns.chunks(super::CHUNK) {
        let (ph, ps) = in_list(chunk);
        let q = format!("SELECT id, name, inn, kpp, manager_id FROM counterparties WHERE archived = 0 AND inn IN ({ph}) ORDER BY id");
        for r in bind_all(sql::query(&q), &ps).fetch_all(&mut *conn).await? {
            by_inn.entry(r.get("inn")).or_default().push((
                r.get("id"),
                r.get("name"),
                r.get("kpp"),
                r.get("manager_id"),
            ));
        }
    }
    for c in cands.iter_mut().filter(|c| open(c)) {
        if let Some(list) = by_inn.get(&c.other.inn) {
            let pick = list
                .iter()
                .find(|x| !c.other.kpp.is_empty() && x.2 == c.other.kpp)
                .unwrap_or(&list[0]);
            c.counterparty = Some((pick.0, pick.1.clone(), pick.3));
            (c.status, c.reason) = ("matched", "inn");
        }
    }
    // Then by their account.
    let accounts: Vec<String> = {
        let s: HashSet<String> = cands
            .iter()
            .filter(|c| open(c) && !c.other.account.is_empty())
            .map(|c| c.other.account.clone())
            .collect();
        s.into_iter().collect()
    };
    let mut by_acc: HashMap<String, (i64, String, Option<i64>)> = HashMap::new();
    for chunk in accounts.chunks(super::CHUNK) {
        let (ph, ps) = in_list(chunk);
        let q = format!(
            "SELECT a.account, c.id, c.name, c.manager_id FROM counterparty_bank_accounts a JOIN counterparties c ON c.id = a.counterparty_id \
             WHERE a.archived = 0 AND c.archived = 0 AND a.account IN ({ph}) ORDER BY a.id"
        );
        for r in bind_all(sql::query(&q), &ps).fetch_all(&mut *conn).await? {
            by_acc.entry(r.get("account")).or_insert((
                r.get("id"),
                r.get("name"),
                r.get("manager_id"),
            ));
        }
    }
    for c in cands.iter_mut().filter(|c| open(c)) {
        if let Some(x) = by_acc.get(&c.other.account) {
            c.counterparty = Some(x.clone());
            (c.status, c.reason) = ("matched", "account");
        }
    }
    // A счёт or order named in the purpose (incoming money only).
    let mut wanted: Vec<(String, i64, i64)> = Vec::new();
    let mut refs_of: Vec<Vec<(DocKind, i64, i64)>> = Vec::with_capacity(cands.len());
    for c in &cands {
        let mut list = Vec::new();
        if c.direction == "in" && matches!(c.status, "matched" | "unmatched") {
            for r in purpose_refs(&c.doc.purpose) {
                let kind = match r.kind {
                    RefKind::Invoice => DocKind::Invoice,
                    RefKind::Order => DocKind::SalesOrder,
                };
                let years = match r.year {
                    Some(y) => vec![y],
                    None => vec![c.doc.date.year(), c.doc.date.year() - 1],
                };
                for y in years {
                    list.push((kind, y as i64, r.seq));
                    wanted.push((kind.code().to_string(), y as i64, r.seq));
                }
            }
        }
        refs_of.push(list);
    }
    wanted.sort();
    wanted.dedup();
    let mut docs: HashMap<(String, i64, i64), RefDoc> = HashMap::new();
    for chunk in wanted.chunks(super::CHUNK) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", placeholders(i * 3 + 1, 3)))
            .collect();
        let q = format!(
            "SELECT d.id, d.kind, d.year, d.seq, d.number, d.counterparty_id, d.order_id, c.name AS cp_name, c.manager_id \
             FROM documents d LEFT JOIN counterparties c ON c.id = d.counterparty_id \
             WHERE d.state <> 'cancelled' AND (d.kind, d.year, d.seq) IN ({})",
            rows.join(", ")
        );
        let ps: Vec<P> = chunk
            .iter()
            .flat_map(|(k, y, s)| [P::from(k.as_str()), P::from(*y), P::from(*s)])
            .collect();
        for r in bind_all(sql::query(&q), &ps).fetch_all(&mut *conn).await? {
            docs.insert(
                (r.get("kind"), r.get("year"), r.get("seq")),
                (
                    r.get("id"),
                    r.get("number"),
                    r.get("counterparty_id"),
                    r.get("order_id"),
                    r.get::<Option<String>, _>("cp_name").unwrap_or_default(),
                    r.get("manager_id"),
                ),
            );
        }
    }
    if !docs.is_empty() {
        for (c, refs) in cands.iter_mut().zip(&refs_of) {
            for (kind, y, s) in refs {
                let Some(d) = docs.get(&(kind.code().to_string(), *y, *s)) else {
                    continue;
                };
                let Some(owner) = d.2 else { continue };
                match &c.counterparty {
                    Some(cp) if cp.0 != owner => continue,
                    Some(_) => {}
                    None => {
                        c.counterparty = Some((owner, d.4.clone(), d.5));
                        c.status = "matched";
                        c.reason = if *kind == DocKind::Invoice {
                            "invoice"
                        } else {
                            "order"
                        };
                    }
                }
                if *kind == DocKind::Invoice {
                    c.invoice = Some((d.0, d.1.clone()));
                    if let Some(o) = d.3 {
                        c.order = Some((o, String::new()));
                    }
                } else {
                    c.order = Some((d.0, d.1.clone()));
                }
                break;
            }
        }
        // The numbers of orders reached through an invoice.
        let ids: Vec<i64> = cands
            .iter()
            .filter_map(|c| c.order.as_ref().filter(|o| o.1.is_empty()).map(|o| o.0))
            .collect();
        if !ids.is_empty() {
            let mut names = HashMap::new();
            for chunk in ids.chunks(super::CHUNK) {
                let (ph, ps) = in_list(chunk);
                let q = format!("SELECT id, number FROM documents WHERE id IN ({ph})");
                for r in bind_all(sql::query(&q), &ps).fetch_all(&mut *conn).await? {
                    names.insert(r.get::<i64, _>("id"), r.get::<String, _>("number"));
                }
            }
            for c in cands.iter_mut() {
                if let Some(o) = c.order.as_mut().filter(|o| o.1.is_empty()) {
                    o.1 = names.get(&o.0).cloned().unwrap_or_default();
                }
            }
        }
    }
    Ok(cands)
}

fn result(st: &Statement, cands: &[Cand], import_id: Option<i64>) -> StatementResult {
    let count = |s: &str| cands.iter().filter(|c| c.status == s).count();
    StatementResult {
        import_id: opt_id(import_id),
        version: st.version.clone(),
        encoding: st.encoding.into(),
        date_from: st.date_from.map(|d| d.to_string()),
        date_to: st.date_to.map(|d| d.to_string()),
        matched: count("matched"),
        unmatched: count("unmatched"),
        already_imported: count("already_imported"),
        not_ours: count("not_ours"),
        rows: cands.iter().map(Cand::row).collect(),
    }
}

const DOC_COLS: [&str; 14] = [
    "kind",
    "year",
    "seq",
    "number",
    "doc_date",
    "state",
    "author_id",
    "responsible_id",
    "counterparty_id",
    "order_id",
    "invoice_id",
    "amount",
    "comment",
    "created_at",
];

const BANK_COLS: [&str; 20] = [
    "import_id",
    "bank_account_id",
    "our_account",
    "number",
    "doc_date",
    "amount",
    "other_account",
    "direction",
    "other_inn",
    "other_kpp",
    "other_name",
    "other_bank",
    "other_bic",
    "other_corr",
    "purpose",
    "counterparty_id",
    "order_id",
    "invoice_id",
    "payment_id",
    "match_reason",
];

/// The comment a payment made from a bank document carries.
pub(crate) fn payment_comment(d: &BankDoc) -> String {
    let p: String = d.purpose.chars().take(900).collect();
    format!(
        "П/п № {} от {}: {p}",
        d.number,
        kupets_domain::bank::format_date(d.date)
    )
}

/// Writes draft payments for the matched documents (numbers reserved in one
/// statement per kind and year, headers in multi-row INSERTs); returns the
/// payment id of each candidate (None for the others).
pub(crate) async fn write_payments(
    tx: &mut Conn,
    actor: &Actor,
    cands: &[&Cand],
) -> Result<Vec<Option<i64>>> {
    let mut by_ky: HashMap<(&'static str, i32), i64> = HashMap::new();
    for c in cands.iter().filter(|c| c.counterparty.is_some()) {
        *by_ky
            .entry((kind_of(c).code(), c.doc.date.year()))
            .or_default() += 1;
    }
    let mut next: HashMap<(&'static str, i32), i64> = HashMap::new();
    let mut keys: Vec<_> = by_ky.keys().copied().collect();
    keys.sort();
    for k in keys {
        let first = reserve_seqs(tx, k.0, k.1, by_ky[&k]).await?;
        next.insert(k, first);
    }
    let created = now();
    let mut rows = Vec::new();
    let mut numbers = Vec::new();
    for c in cands {
        let Some(cp) = &c.counterparty else {
            numbers.push(None);
            continue;
        };
        let kind = kind_of(c);
        let year = c.doc.date.year();
        let seq = next.get_mut(&(kind.code(), year)).expect("reserved");
        let number = doc_number(kind, year, *seq);
        *seq += 1;
        numbers.push(Some(number.clone()));
        rows.push(vec![
            P::from(kind.code()),
            P::from(year as i64),
            P::from(*seq - 1),
            P::from(number),
            P::from(c.doc.date.to_string()),
            P::from("draft"),
            P::from(actor.id()),
            P::from(cp.2.unwrap_or(actor.id())),
            P::from(Some(cp.0)),
            P::from(c.order.as_ref().map(|o| o.0)),
            P::from(c.invoice.as_ref().map(|o| o.0)),
            P::from(c.doc.amount.0),
            P::from(payment_comment(&c.doc)),
            P::from(created.as_str()),
        ]);
    }
    let got = insert_rows(tx, "documents", &DOC_COLS, &rows, Some("id, number")).await?;
    let ids: HashMap<String, i64> = got
        .iter()
        .map(|r| (r.get::<String, _>("number"), r.get::<i64, _>("id")))
        .collect();
    // One audit row per payment, as creating one by hand writes.
    let audit_rows: Vec<Vec<P>> = cands
        .iter()
        .zip(&numbers)
        .filter_map(|(c, n)| {
            n.as_ref().map(|n| {
                vec![
                    P::from(created.as_str()),
                    P::from(Some(actor.id())),
                    P::from("create"),
                    P::from(kind_of(c).code()),
                    P::from(ids.get(n).copied().unwrap_or_default().to_string()),
                    P::from("bank statement"),
                ]
            })
        })
        .collect();
    insert_rows(
        tx,
        "audit_log",
        &[
            "at",
            "employee_id",
            "action",
            "entity",
            "entity_id",
            "details",
        ],
        &audit_rows,
        None,
    )
    .await?;
    Ok(numbers
        .iter()
        .map(|n| n.as_ref().and_then(|n| ids.get(n).copied()))
        .collect())
}

pub(crate) fn kind_of(c: &Cand) -> DocKind {
    if c.direction == "out" {
        DocKind::PaymentOut
    } else {
        DocKind::PaymentIn
    }
}

impl App {
    /// What importing the file would do: every document with its status and
    /// reason. Writes nothing.
    pub async fn preview_statement(&self, actor: &Actor, bytes: &[u8]) -> Result<StatementResult> {
        actor.require(Right::PostSettlements)?;
        let st = parse_statement(bytes).map_err(format_error)?;
        let mut conn = self.store.read_conn().await?;
        let cands = analyse(&mut conn, &st).await?;
        Ok(result(&st, &cands, None))
    }

    /// Imports a statement in one transaction: the new documents are kept
    /// (`bank_docs`), the matched ones become draft payments; documents
    /// imported before create nothing. A bad file writes nothing.
    pub async fn import_statement(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<StatementResult> {
        actor.require(Right::PostSettlements)?;
        let st = parse_statement(bytes).map_err(format_error)?;
        let file_name: String = file_name.chars().take(200).collect();
        let (id, cands) = write_tx!(self, [actor, st, file_name], |app, tx| {
            let cands = analyse(&mut tx, st).await?;
            let new: Vec<&Cand> = cands
                .iter()
                .filter(|c| matches!(c.status, "matched" | "unmatched"))
                .collect();
            if new.is_empty() {
                return Ok((None, cands));
            }
            let import_id: i64 = sql::query_scalar(
                "INSERT INTO bank_imports (file_name, encoding, date_from, date_to, docs, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(file_name.as_str())
            .bind(st.encoding)
            .bind(st.date_from.map(|d| d.to_string()))
            .bind(st.date_to.map(|d| d.to_string()))
            .bind(new.len() as i64)
            .bind(actor.id())
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            let payments = write_payments(&mut tx, actor, &new).await?;
            let rows: Vec<Vec<P>> = new
                .iter()
                .zip(&payments)
                .map(|(c, p)| bank_row(import_id, c, *p))
                .collect();
            insert_rows(&mut tx, "bank_docs", &BANK_COLS, &rows, None).await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "bank_import",
                "bank_import",
                import_id,
                &format!(
                    "{file_name}: {} new, {} payments",
                    new.len(),
                    payments.iter().flatten().count()
                ),
            )
            .await?;
            Ok((Some(import_id), cands))
        })?;
        let mut r = result(&st, &cands, id);
        if let Some(id) = id {
            // The stored rows (with their ids and payments) replace the
            // preview's for what was written.
            let stored = self.bank_import_rows(id).await?;
            let mut by_key: HashMap<(String, String, String), BankRow> = stored
                .into_iter()
                .map(|r| ((r.number.clone(), r.date.clone(), r.amount.clone()), r))
                .collect();
            for row in r.rows.iter_mut() {
                if matches!(row.status.as_str(), "matched" | "unmatched") {
                    if let Some(s) =
                        by_key.remove(&(row.number.clone(), row.date.clone(), row.amount.clone()))
                    {
                        let line = row.line;
                        *row = s;
                        row.line = line;
                    }
                }
            }
        }
        Ok(r)
    }
}

fn bank_row(import_id: i64, c: &Cand, payment: Option<i64>) -> Vec<P> {
    vec![
        P::from(import_id),
        P::from(c.bank_account_id),
        P::from(c.our_account.as_str()),
        P::from(c.doc.number.as_str()),
        P::from(c.doc.date.to_string()),
        P::from(c.doc.amount.0),
        P::from(c.other.account.as_str()),
        P::from(c.direction),
        P::from(c.other.inn.as_str()),
        P::from(c.other.kpp.as_str()),
        P::from(c.other.name.as_str()),
        P::from(c.other.bank.as_str()),
        P::from(c.other.bic.as_str()),
        P::from(c.other.corr_account.as_str()),
        P::from(c.doc.purpose.as_str()),
        P::from(c.counterparty.as_ref().map(|x| x.0)),
        P::from(c.order.as_ref().map(|x| x.0)),
        P::from(c.invoice.as_ref().map(|x| x.0)),
        P::from(payment),
        P::from(c.reason),
    ]
}
