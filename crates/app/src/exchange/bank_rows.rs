//! After an import: the stored bank documents, assigning an unmatched one
//! by hand (or to a counterparty made from the payer's requisites), and
//! posting the batch's draft payments in one action.

use super::statement::{reason_text, write_payments, BankRow, Cand, CandRef};
use crate::input::{lenient, Check};
use crate::{Actor, App, AppError, Result};
use kupets_domain::bank::{parse_date, BankDoc, Party};
use kupets_domain::role::Right;
use kupets_domain::{DocKind, Money};
use kupets_store::model::RowGet;
use kupets_store::queries::{audit, P};
use kupets_store::{now, sql, Conn};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A stored import with its documents.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BankImport {
    pub id: String,
    pub file_name: String,
    pub encoding: String,
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub created_at: String,
    pub posted_at: Option<String>,
    /// Draft payments waiting to be posted.
    pub drafts: usize,
    /// Documents nobody is matched to yet.
    pub unmatched: usize,
    pub rows: Vec<BankRow>,
}

/// Assigning a bank document by hand.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct AssignInput {
    #[serde(default, deserialize_with = "lenient")]
    pub counterparty_id: Option<String>,
    /// A sales order of that counterparty the money pays, if any.
    #[serde(default, deserialize_with = "lenient")]
    pub order_id: Option<String>,
}

/// What posting a batch did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostedBatch {
    pub posted: usize,
    /// Left without a counterparty (not posted).
    pub unmatched: usize,
}

const ROW_SQL: &str =
    "SELECT b.*, c.name AS cp_name, o.number AS order_number, i.number AS invoice_number, \
    p.number AS payment_number, p.state AS payment_state \
    FROM bank_docs b LEFT JOIN counterparties c ON c.id = b.counterparty_id \
    LEFT JOIN documents o ON o.id = b.order_id LEFT JOIN documents i ON i.id = b.invoice_id \
    LEFT JOIN documents p ON p.id = b.payment_id";

fn row_of(r: &sql::Row) -> BankRow {
    let s = |k: &str| r.get::<String, _>(k);
    let id_s = |k: &str| r.opt_int(k).map(|v| v.to_string());
    let cp: Option<String> = r.get("cp_name");
    let reason = s("match_reason");
    let (other_inn, other_account) = (s("other_inn"), s("other_account"));
    let cref = CandRef {
        counterparty: cp.as_deref(),
        inn: &other_inn,
        account: &other_account,
    };
    let (ru, en) = (
        reason_text(&reason, &cref, true),
        reason_text(&reason, &cref, false),
    );
    BankRow {
        id: Some(r.int("id").to_string()),
        line: 0,
        number: s("number"),
        date: s("doc_date"),
        amount: Money(r.int("amount")).to_api(),
        direction: s("direction"),
        our_account: s("our_account"),
        other_account: other_account.clone(),
        other_inn: other_inn.clone(),
        other_kpp: s("other_kpp"),
        other_name: s("other_name"),
        other_bank: s("other_bank"),
        other_bic: s("other_bic"),
        purpose: s("purpose"),
        status: if r.opt_int("payment_id").is_some() {
            "matched"
        } else {
            "unmatched"
        }
        .into(),
        reason,
        reason_ru: ru,
        reason_en: en,
        counterparty_id: id_s("counterparty_id"),
        counterparty_name: cp,
        order_id: id_s("order_id"),
        order_number: r.get("order_number"),
        invoice_id: id_s("invoice_id"),
        invoice_number: r.get("invoice_number"),
        payment_id: id_s("payment_id"),
        payment_number: r.get("payment_number"),
        payment_state: r.get("payment_state"),
    }
}

async fn load_row(tx: &mut Conn, id: i64) -> Result<sql::Row> {
    sql::query(&format!("{ROW_SQL} WHERE b.id = $1"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound {
            entity: "bank document",
        })
}

fn posted_conflict() -> AppError {
    AppError::Conflict {
        code: "payment_posted",
        ru: "Платёж по этому документу уже проведён: отмените его, чтобы назначить другого контрагента".into(),
        en: "The payment of this document is posted: cancel it to assign another counterparty".into(),
    }
}

impl App {
    pub(crate) async fn bank_import_rows(&self, id: i64) -> Result<Vec<BankRow>> {
        let rows = sql::query(&format!("{ROW_SQL} WHERE b.import_id = $1 ORDER BY b.id"))
            .bind(id)
            .fetch_all(self.store.reader())
            .await?;
        Ok(rows.iter().map(row_of).collect())
    }

    /// Imports, newest first (the last 100).
    pub async fn list_bank_imports(&self, actor: &Actor) -> Result<Vec<BankImport>> {
        actor.require(Right::PostSettlements)?;
        let rows = sql::query(
            "SELECT m.*, (SELECT COUNT(*) FROM bank_docs b JOIN documents p ON p.id = b.payment_id WHERE b.import_id = m.id AND p.state = 'draft') AS drafts, \
             (SELECT COUNT(*) FROM bank_docs b WHERE b.import_id = m.id AND b.payment_id IS NULL) AS unmatched \
             FROM bank_imports m ORDER BY m.id DESC LIMIT 100",
        )
        .fetch_all(self.store.reader())
        .await?;
        Ok(rows
            .iter()
            .map(|r| BankImport {
                id: r.int("id").to_string(),
                file_name: r.text("file_name"),
                encoding: r.text("encoding"),
                date_from: r.get("date_from"),
                date_to: r.get("date_to"),
                created_at: r.text("created_at"),
                posted_at: r.get("posted_at"),
                drafts: r.int("drafts") as usize,
                unmatched: r.int("unmatched") as usize,
                rows: Vec::new(),
            })
            .collect())
    }

    /// One import with its documents, as the page shows it.
    pub async fn get_bank_import(&self, actor: &Actor, id: i64) -> Result<BankImport> {
        actor.require(Right::PostSettlements)?;
        let r = sql::query("SELECT * FROM bank_imports WHERE id = $1")
            .bind(id)
            .fetch_optional(self.store.reader())
            .await?
            .ok_or(AppError::NotFound {
                entity: "bank import",
            })?;
        let rows = self.bank_import_rows(id).await?;
        Ok(BankImport {
            id: id.to_string(),
            file_name: r.text("file_name"),
            encoding: r.text("encoding"),
            date_from: r.get("date_from"),
            date_to: r.get("date_to"),
            created_at: r.text("created_at"),
            posted_at: r.get("posted_at"),
            drafts: rows
                .iter()
                .filter(|r| r.payment_state.as_deref() == Some("draft"))
                .count(),
            unmatched: rows.iter().filter(|r| r.payment_id.is_none()).count(),
            rows,
        })
    }

    /// Assigns a bank document to a counterparty (and optionally an order):
    /// makes its draft payment, or re-points the draft it has. The other
    /// party's account is remembered on the counterparty, so the next
    /// statement matches it by itself.
    pub async fn assign_bank_row(
        &self,
        actor: &Actor,
        id: i64,
        input: &AssignInput,
    ) -> Result<BankRow> {
        actor.require(Right::PostSettlements)?;
        let c = Check::new();
        write_tx!(self, [actor, input], own[c], |app, tx| {
            let cp = c.id("counterparty_id", &input.counterparty_id);
            let order = c.opt_id("order_id", &input.order_id);
            let found = if cp != 0 {
                sql::query("SELECT id, name, manager_id FROM counterparties WHERE id = $1 AND archived = 0")
                    .bind(cp)
                    .fetch_optional(&mut *tx)
                    .await?
            } else {
                None
            };
            if cp != 0 && found.is_none() {
                c.err(
                    "counterparty_id",
                    "not_found",
                    format!("Контрагент {cp} не найден"),
                    format!("No counterparty {cp}"),
                );
            }
            let mut order_no = String::new();
            if let Some(o) = order {
                let r = sql::query("SELECT number, counterparty_id FROM documents WHERE id = $1 AND kind = 'sales_order' AND state <> 'cancelled'")
                    .bind(o)
                    .fetch_optional(&mut *tx)
                    .await?;
                match r {
                    Some(r) if r.opt_int("counterparty_id") == Some(cp) => {
                        order_no = r.text("number")
                    }
                    Some(_) => c.err(
                        "order_id",
                        "other_customer",
                        "Заказ другого контрагента",
                        "The order belongs to another counterparty",
                    ),
                    None => c.err(
                        "order_id",
                        "not_found",
                        format!("Заказ {o} не найден"),
                        format!("No sales order {o}"),
                    ),
                }
            }
            c.done()?;
            let f = found.expect("checked");
            let row = load_row(&mut tx, id).await?;
            let cp_t = (cp, f.text("name"), f.opt_int("manager_id"));
            match (
                row.opt_int("payment_id"),
                row.get::<Option<String>, _>("payment_state").as_deref(),
            ) {
                (Some(_), Some("posted")) => return Err(posted_conflict()),
                (Some(p), _) => {
                    sql::query("UPDATE documents SET counterparty_id = $1, order_id = $2, invoice_id = NULL, responsible_id = $3 WHERE id = $4 AND state = 'draft'")
                        .bind(cp)
                        .bind(order)
                        .bind(cp_t.2.unwrap_or(actor.id()))
                        .bind(p)
                        .execute(&mut *tx)
                        .await?;
                    audit(
                        &mut tx,
                        Some(actor.id()),
                        "update",
                        &row.text("direction")
                            .replace("in", "payment_in")
                            .replace("out", "payment_out"),
                        p,
                        &format!("counterparty_id → {cp} (bank statement)"),
                    )
                    .await?;
                }
                (None, _) => {
                    let cand = Cand {
                        doc: BankDoc {
                            line: 0,
                            kind: String::new(),
                            number: row.text("number"),
                            date: parse_iso(&row.text("doc_date"))?,
                            amount: Money(row.int("amount")),
                            payer: Party::default(),
                            payee: Party::default(),
                            debited: None,
                            credited: None,
                            purpose: row.text("purpose"),
                            payment_kind: String::new(),
                            priority: String::new(),
                        },
                        bank_account_id: row.int("bank_account_id"),
                        our_account: row.text("our_account"),
                        direction: if row.text("direction") == "out" {
                            "out"
                        } else {
                            "in"
                        },
                        other: Party::default(),
                        status: "matched",
                        reason: "assigned",
                        counterparty: Some(cp_t.clone()),
                        order: order.map(|o| (o, order_no.clone())),
                        invoice: None,
                    };
                    let p = write_payments(&mut tx, actor, &[&cand]).await?;
                    sql::query("UPDATE bank_docs SET payment_id = $1 WHERE id = $2")
                        .bind(p[0])
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            sql::query("UPDATE bank_docs SET counterparty_id = $1, order_id = $2, invoice_id = NULL, match_reason = 'assigned' WHERE id = $3")
                .bind(cp)
                .bind(order)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            remember_account(&mut tx, cp, &row).await?;
            let r = load_row(&mut tx, id).await?;
            Ok(row_of(&r))
        })
    }

    /// Makes a counterparty from the other party's requisites (name, ИНН,
    /// КПП, bank account) and assigns the document to it.
    pub async fn counterparty_from_bank_row(&self, actor: &Actor, id: i64) -> Result<BankRow> {
        actor.require(Right::EditCounterparties)?;
        let row = sql::query("SELECT * FROM bank_docs WHERE id = $1")
            .bind(id)
            .fetch_optional(self.store.reader())
            .await?
            .ok_or(AppError::NotFound {
                entity: "bank document",
            })?;
        let name = row.text("other_name");
        let input = crate::counterparty::CounterpartyInput {
            name: Some(if name.is_empty() {
                format!("ИНН {}", row.text("other_inn"))
            } else {
                name.clone()
            }),
            full_name: Some(name),
            kind: Some(
                if row.text("direction") == "out" {
                    "supplier"
                } else {
                    "customer"
                }
                .into(),
            ),
            inn: Some(row.text("other_inn")),
            kpp: Some(row.text("other_kpp")).filter(|_| row.text("other_inn").len() == 10),
            ..Default::default()
        };
        let cp = self.create_counterparty(actor, &input).await?;
        self.assign_bank_row(
            actor,
            id,
            &AssignInput {
                counterparty_id: Some(cp.id.to_string()),
                order_id: None,
            },
        )
        .await
    }

    /// Posts every draft payment of an import in one transaction, each by
    /// the normal posting body (`post_in_tx`), so a payment posted from a
    /// statement is exactly like one posted by hand.
    pub async fn post_bank_import(&self, actor: &Actor, id: i64) -> Result<PostedBatch> {
        actor.require(Right::PostSettlements)?;
        write_tx!(self, [actor], |app, tx| {
            let exists: Option<i64> =
                sql::query_scalar("SELECT id FROM bank_imports WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if exists.is_none() {
                return Err(AppError::NotFound {
                    entity: "bank import",
                });
            }
            let drafts = "SELECT b.payment_id FROM bank_docs b WHERE b.import_id = $1 AND b.payment_id IS NOT NULL";
            let lock = app.store.for_update();
            if !lock.is_empty() {
                // The lock order of every posting path: documents, their
                // orders, then counterparties — each by ascending id.
                for q in [
                    format!("SELECT id FROM documents WHERE id IN ({drafts}) AND state = 'draft' ORDER BY id{lock}"),
                    format!("SELECT id FROM documents WHERE id IN (SELECT d.order_id FROM documents d WHERE d.id IN ({drafts}) AND d.state = 'draft') ORDER BY id{lock}"),
                    format!("SELECT id FROM counterparties WHERE id IN (SELECT d.counterparty_id FROM documents d WHERE d.id IN ({drafts}) AND d.state = 'draft') ORDER BY id{lock}"),
                ] {
                    sql::query(&q).bind(id).fetch_all(&mut *tx).await?;
                }
            }
            // Each draft through the posting body a payment posted by hand
            // goes through (its checks, ledger entry, state, audit), in this
            // one transaction: a refused payment leaves the whole batch
            // unposted.
            let drafts: Vec<(i64, String)> = sql::query_as(&format!(
                "SELECT id, kind FROM documents WHERE id IN ({drafts}) AND state = 'draft' ORDER BY id"
            ))
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            for (doc, kind) in &drafts {
                let kind = DocKind::parse(kind)
                    .ok_or_else(|| AppError::Internal(format!("bad kind {kind}")))?;
                app.post_in_tx(&mut tx, actor, kind, *doc, "").await?;
            }
            let posted = drafts.len();
            let at = now();
            let unmatched: i64 = sql::query_scalar(
                "SELECT COUNT(*) FROM bank_docs WHERE import_id = $1 AND payment_id IS NULL",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            sql::query("UPDATE bank_imports SET posted_at = $1 WHERE id = $2")
                .bind(at.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "post",
                "bank_import",
                id,
                &format!("{posted} payments"),
            )
            .await?;
            Ok(PostedBatch {
                posted,
                unmatched: unmatched as usize,
            })
        })
    }
}

fn parse_iso(s: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .or_else(|| parse_date(s))
        .ok_or_else(|| AppError::Internal(format!("bad date {s}")))
}

/// Keeps the other party's account on the counterparty (once).
async fn remember_account(tx: &mut Conn, cp: i64, row: &sql::Row) -> Result<()> {
    let account = row.text("other_account");
    if account.is_empty() {
        return Ok(());
    }
    let have: Option<i64> = sql::query_scalar(
        "SELECT id FROM counterparty_bank_accounts WHERE counterparty_id = $1 AND account = $2",
    )
    .bind(cp)
    .bind(account.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    if have.is_none() {
        kupets_store::queries::insert(
            tx,
            "counterparty_bank_accounts",
            &[
                ("counterparty_id", P::from(cp)),
                ("bank_name", P::from(row.text("other_bank"))),
                ("bic", P::from(row.text("other_bic"))),
                ("corr_account", P::from(row.text("other_corr"))),
                ("account", P::from(account)),
                ("created_at", P::from(now())),
            ],
        )
        .await?;
    }
    Ok(())
}
