//! The document framework and its first kind, the debt adjustment.
//!
//! Every kind shares the `documents` header: a number unique per kind and
//! year, a date, author, responsible employee and counterparty, and the state
//! draft → posted → cancelled. Drafts may be edited; posting writes ledger
//! entries; a posted document is never edited — cancelling writes reversing
//! entries dated like the originals, so history keeps both.

use crate::input::{lenient, Check};
use crate::people::check_ref;
use crate::{today, Actor, App, AppError, Result};
use chrono::Datelike;
use kupets_domain::document::{doc_number, TransitionError};
use kupets_domain::role::Right;
use kupets_domain::{DocKind, DocState, Money};
use kupets_store::model::Document;
use kupets_store::page::Page;
use kupets_store::queries::{self, audit, next_doc_seq, P};
use kupets_store::sql;
use kupets_store::{now, Conn};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct AdjustmentInput {
    #[serde(default, deserialize_with = "lenient")]
    pub counterparty_id: Option<String>,
    /// `YYYY-MM-DD`; today by default.
    #[serde(default, deserialize_with = "lenient")]
    pub date: Option<String>,
    /// Signed: positive raises the counterparty's debt to us, negative lowers it.
    #[serde(default, deserialize_with = "lenient")]
    pub amount: Option<String>,
    /// The reason, required.
    #[serde(default, deserialize_with = "lenient")]
    pub comment: Option<String>,
    /// Responsible employee; the author by default.
    #[serde(default, deserialize_with = "lenient")]
    pub responsible_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CancelInput {
    #[serde(default, deserialize_with = "lenient")]
    pub reason: Option<String>,
}

/// Filters of a document list.
#[derive(Debug, Clone, Default)]
pub struct DocFilter {
    pub counterparty_id: Option<i64>,
    pub state: Option<String>,
    pub limit: i64,
    /// Id of the last document of the previous page (lists go newest first).
    pub before_id: Option<i64>,
}

pub(crate) fn transition_error(e: TransitionError) -> AppError {
    match e {
        TransitionError::NotDraft(s) => AppError::conflict(
            "document_not_draft",
            format!(
                "Документ в состоянии «{}»: проведённый или отменённый документ не редактируется",
                s.label(true)
            ),
            format!(
                "The document is {}: posted or cancelled documents cannot be changed",
                s.code()
            ),
        ),
        TransitionError::NotPosted(s) => AppError::conflict(
            "document_not_posted",
            format!(
                "Отменить можно только проведённый документ (сейчас «{}»)",
                s.label(true)
            ),
            format!(
                "Only a posted document can be cancelled (it is {})",
                s.code()
            ),
        ),
    }
}

impl App {
    /// A document of `kind` by id, `lock`ed for a write on PostgreSQL.
    pub(crate) async fn load_doc(
        &self,
        tx: &mut Conn,
        kind: DocKind,
        id: i64,
        lock: bool,
    ) -> Result<Document> {
        let sql = format!(
            "SELECT {} FROM documents WHERE id = $1 AND kind = $2{}",
            Document::COLS,
            if lock { self.store.for_update() } else { "" }
        );
        let row = sql::query(&sql)
            .bind(id)
            .bind(kind.code())
            .fetch_optional(&mut *tx)
            .await?;
        row.as_ref()
            .map(|r| Document::from_row(r))
            .ok_or(AppError::NotFound { entity: "document" })
    }

    pub async fn get_document(&self, _actor: &Actor, kind: DocKind, id: i64) -> Result<Document> {
        let sql = format!(
            "SELECT {} FROM documents WHERE id = $1 AND kind = $2",
            Document::COLS
        );
        let row = sql::query(&sql)
            .bind(id)
            .bind(kind.code())
            .fetch_optional(self.store.reader())
            .await?;
        row.as_ref()
            .map(|r| Document::from_row(r))
            .ok_or(AppError::NotFound { entity: "document" })
    }

    pub async fn list_documents(
        &self,
        _actor: &Actor,
        kind: DocKind,
        f: &DocFilter,
    ) -> Result<Page<Document>> {
        let mut sql = format!("SELECT {} FROM documents WHERE kind = $1", Document::COLS);
        let mut params = vec![P::from(kind.code())];
        if let Some(cp) = f.counterparty_id {
            params.push(P::from(cp));
            sql += &format!(" AND counterparty_id = ${}", params.len());
        }
        if let Some(s) = &f.state {
            params.push(P::from(s.as_str()));
            sql += &format!(" AND state = ${}", params.len());
        }
        if let Some(b) = f.before_id {
            params.push(P::from(b));
            sql += &format!(" AND id < ${}", params.len());
        }
        params.push(P::from(f.limit + 1));
        sql += &format!(" ORDER BY id DESC LIMIT ${}", params.len());
        let rows = queries::bind_all(sql::query(&sql), &params)
            .fetch_all(self.store.reader())
            .await?;
        let mut items: Vec<Document> = rows.iter().map(|r| Document::from_row(r)).collect();
        let next_cursor = if items.len() as i64 > f.limit {
            items.truncate(f.limit as usize);
            items.last().map(|d| d.id.to_string())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn adjustment_cols(
        &self,
        tx: &mut Conn,
        actor: &Actor,
        input: &AdjustmentInput,
    ) -> Result<(chrono::NaiveDate, Vec<(&'static str, P)>)> {
        let mut c = Check::new();
        let cp = c.id("counterparty_id", &input.counterparty_id);
        if cp != 0 {
            check_ref(&mut c, tx, "counterparty_id", "counterparties", Some(cp)).await?;
        }
        let date = c.date("date", &input.date, today());
        let amount = c.money("amount", &input.amount);
        if amount == 0 && c.errors.iter().all(|e| e.field != "amount") {
            c.err(
                "amount",
                "zero",
                "Сумма корректировки не может быть нулевой",
                "An adjustment amount cannot be zero",
            );
        }
        let comment = c.text("comment", &input.comment, 1000);
        let responsible = match c.opt_id("responsible_id", &input.responsible_id) {
            Some(r) => r,
            None => crate::responsible::default_for(tx, Some(cp), None, actor.id()).await?,
        };
        check_ref(&mut c, tx, "responsible_id", "employees", Some(responsible)).await?;
        c.done()?;
        Ok((
            date,
            vec![
                ("counterparty_id", P::from(Some(cp))),
                ("doc_date", P::from(date.to_string())),
                ("amount", P::from(amount)),
                ("comment", P::from(comment)),
                ("responsible_id", P::from(responsible)),
            ],
        ))
    }

    pub async fn create_adjustment(
        &self,
        actor: &Actor,
        input: &AdjustmentInput,
    ) -> Result<Document> {
        actor.require(Right::PostSettlements)?;
        write_tx!(self, [actor, input], |app, tx| {
            let (date, mut cols) = app.adjustment_cols(&mut tx, actor, input).await?;
            let kind = DocKind::Adjustment;
            let seq = next_doc_seq(&mut tx, kind.code(), date.year()).await?;
            cols.extend([
                ("kind", P::from(kind.code())),
                ("year", P::from(date.year() as i64)),
                ("seq", P::from(seq)),
                ("number", P::from(doc_number(kind, date.year(), seq))),
                ("state", P::from(DocState::Draft.code())),
                ("author_id", P::from(actor.id())),
                ("created_at", P::from(now())),
            ]);
            let id = queries::insert(&mut tx, "documents", &cols).await?;
            audit(&mut tx, Some(actor.id()), "create", kind.code(), id, "").await?;
            let d = app.load_doc(&mut tx, kind, id, false).await?;
            Ok(d)
        })
    }

    /// Edits a draft. The number keeps its year even if the date moves.
    pub async fn update_adjustment(
        &self,
        actor: &Actor,
        id: i64,
        input: &AdjustmentInput,
    ) -> Result<Document> {
        actor.require(Right::PostSettlements)?;
        write_tx!(self, [actor, input], |app, tx| {
            let kind = DocKind::Adjustment;
            let doc = app.load_doc(&mut tx, kind, id, true).await?;
            state_of(&doc)?.check_edit().map_err(transition_error)?;
            let (_, mut cols) = app.adjustment_cols(&mut tx, actor, input).await?;
            // Editing a draft keeps its responsible unless a new one is given.
            cols.retain(|(k, _)| *k != "responsible_id" || input.responsible_id.is_some());
            let changed = crate::changes::describe(&mut tx, "documents", id, &cols).await?;
            queries::update(&mut tx, "documents", id, &cols).await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "update",
                kind.code(),
                id,
                &changed,
            )
            .await?;
            let d = app.load_doc(&mut tx, kind, id, false).await?;
            Ok(d)
        })
    }

    pub async fn post_adjustment(&self, actor: &Actor, id: i64) -> Result<Document> {
        actor.require(Right::PostSettlements)?;
        write_tx!(self, [actor], |app, tx| {
            let kind = DocKind::Adjustment;
            let doc = app.load_doc(&mut tx, kind, id, true).await?;
            let next = state_of(&doc)?.post().map_err(transition_error)?;
            lock_for_posting(&mut tx, &app.store, &doc).await?;
            let cp = doc
                .counterparty_id
                .ok_or_else(|| AppError::Internal("adjustment without counterparty".into()))?;
            write_entry(&mut tx, cp, None, doc.id, &doc.date, Money(doc.amount)).await?;
            set_state(&mut tx, id, next, "posted_at", None).await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "post",
                kind.code(),
                id,
                &format!("amount={}", Money(doc.amount)),
            )
            .await?;
            let d = app.load_doc(&mut tx, kind, id, false).await?;
            Ok(d)
        })
    }

    /// Cancels a posted document by appending the negation of each of its
    /// ledger entries.
    pub async fn cancel_document(
        &self,
        actor: &Actor,
        kind: DocKind,
        id: i64,
        input: &CancelInput,
    ) -> Result<Document> {
        actor.require(Right::CancelDocuments)?;
        let mut c = Check::new();
        let reason = c.text("reason", &input.reason, 1000);
        c.done()?;
        write_tx!(self, [actor, input], own[reason], |app, tx| {
            let doc = app.load_doc(&mut tx, kind, id, true).await?;
            let next = state_of(&doc)?.cancel().map_err(transition_error)?;
            lock_for_posting(&mut tx, &app.store, &doc).await?;
            if kind.is_order() {
                // An order's shipments (receipts) and payments are cancelled first.
                let n: i64 = sql::query_scalar("SELECT COUNT(*) FROM documents WHERE order_id = $1 AND state = 'posted' AND id <> $1").bind(id).fetch_one(&mut *tx).await?;
                if n > 0 {
                    return Err(AppError::conflict(
                        "has_dependent_documents",
                        "По заказу есть проведённые документы: сначала отмените их",
                        "The order has posted documents: cancel them first",
                    ));
                }
            }
            // Returns resting on this shipment (receipt) are cancelled with it.
            // Reversals that add stock go first, so only the net is checked.
            let deps: Vec<(i64, String)> = sql::query_as(
                "SELECT id, kind FROM documents WHERE base_id = $1 AND state = 'posted'",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            let own_first = kind.stock_sign() < 0;
            if own_first {
                app.reverse_document(&mut tx, id).await?;
            }
            for (dep, dep_kind) in &deps {
                app.reverse_document(&mut tx, *dep).await?;
                set_state(
                    &mut tx,
                    *dep,
                    DocState::Cancelled,
                    "cancelled_at",
                    Some(&format!("Отменён вместе с {}: {reason}", doc.number)),
                )
                .await?;
                audit(
                    &mut tx,
                    Some(actor.id()),
                    "cancel",
                    dep_kind,
                    dep,
                    &format!("with {}", doc.number),
                )
                .await?;
            }
            if !own_first {
                app.reverse_document(&mut tx, id).await?;
            }
            // Serial units go back: the returns resting on it first, then itself.
            for (dep, _) in &deps {
                crate::serial::undo_units(&mut tx, *dep).await?;
            }
            crate::serial::undo_units(&mut tx, id).await?;
            set_state(&mut tx, id, next, "cancelled_at", Some(&reason)).await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "cancel",
                kind.code(),
                id,
                &reason,
            )
            .await?;
            let d = app.load_doc(&mut tx, kind, id, false).await?;
            Ok(d)
        })
    }

    /// Appends the negation of a document's stock moves and ledger entries,
    /// in the lock order of posting (stock rows, then the ledger, then net
    /// purchases).
    async fn reverse_document(&self, tx: &mut Conn, id: i64) -> Result<()> {
        self.reverse_stock(tx, id).await?;
        // Cost goes back exactly as it came: after the stock rows, like posting.
        let kind: String = sql::query_scalar("SELECT kind FROM documents WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let sign = DocKind::parse(&kind).map_or(0, |k| k.stock_sign());
        if sign != 0 {
            crate::cost::reverse(tx, id, |_| sign).await?;
            crate::cost::drop_sales(tx, id).await?;
        }
        let entries = sql::query("SELECT counterparty_id, order_id, entry_date, amount FROM settlement_entries WHERE document_id = $1 ORDER BY id").bind(id).fetch_all(&mut *tx).await?;
        for e in entries {
            write_entry(
                tx,
                e.get("counterparty_id"),
                e.get("order_id"),
                id,
                &e.get::<String, _>("entry_date"),
                Money(-e.get::<i64, _>("amount")),
            )
            .await?;
        }
        // Net purchases (cumulative and volume discounts) lose the document too.
        let (kind, cp, date, amount): (String, Option<i64>, String, i64) = sql::query_as(
            "SELECT kind, counterparty_id, doc_date, amount FROM documents WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if let (Some(kind), Some(cp)) = (DocKind::parse(&kind), cp) {
            crate::pricing::record_purchase(tx, cp, &date, -kind.purchase_sign() * amount).await?;
        }
        Ok(())
    }

    /// A counterparty's balance on a date: the sum of its entries up to it.
    pub async fn balance_on(&self, counterparty_id: i64, date: &str) -> Result<Money> {
        let v: i64 = sql::query_scalar("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM settlement_entries WHERE counterparty_id = $1 AND entry_date <= $2")
            .bind(counterparty_id)
            .bind(date)
            .fetch_one(self.store.reader())
            .await?;
        Ok(Money(v))
    }
}

/// Takes the locks of posting or cancelling `doc` (already locked itself)
/// in the one order every such path follows on PostgreSQL, so that two of
/// them never wait for each other in a circle:
///
/// 1. the document being posted or cancelled (by the caller);
/// 2. the documents it rests on — its order and its base — by ascending id
///    (ledger entries reference the order, and the foreign key would
///    otherwise share-lock it later, behind the counterparty);
/// 3. its counterparty (the credit-limit check, the ledger's and net
///    purchases' foreign keys);
/// 4. stock rows, in product order (`apply_stock`);
/// 5. then only appends: stock moves, ledger entries, net purchases.
///
/// SQLite's single writer needs none of it (`for_update` is empty there).
pub(crate) async fn lock_for_posting(
    tx: &mut Conn,
    store: &kupets_store::Store,
    doc: &Document,
) -> Result<()> {
    let lock = store.for_update();
    if lock.is_empty() {
        return Ok(());
    }
    let mut parents: Vec<i64> = [doc.order_id, doc.base_id]
        .into_iter()
        .flatten()
        .filter(|p| *p != doc.id)
        .collect();
    parents.sort_unstable();
    parents.dedup();
    for p in parents {
        sql::query(&format!("SELECT id FROM documents WHERE id = $1{lock}"))
            .bind(p)
            .fetch_optional(&mut *tx)
            .await?;
    }
    if let Some(cp) = doc.counterparty_id {
        sql::query(&format!(
            "SELECT id FROM counterparties WHERE id = $1{lock}"
        ))
        .bind(cp)
        .fetch_optional(&mut *tx)
        .await?;
    }
    Ok(())
}

/// The document's state, refusing anything but a draft (edits and posting).
pub(crate) fn check_draft(doc: &Document) -> Result<DocState> {
    let s = state_of(doc)?;
    s.check_edit().map_err(transition_error)?;
    Ok(s)
}

fn state_of(doc: &Document) -> Result<DocState> {
    DocState::parse(&doc.state)
        .ok_or_else(|| AppError::Internal(format!("bad state {}", doc.state)))
}

/// Moves a document to `state`, stamping `at_col` (`posted_at`,
/// `cancelled_at`) with the time it returns, so a caller can answer with the
/// row as written without reading it back.
pub(crate) async fn set_state(
    tx: &mut Conn,
    id: i64,
    state: DocState,
    at_col: &'static str,
    reason: Option<&str>,
) -> Result<String> {
    let at = now();
    let mut cols = vec![
        ("state", P::from(state.code())),
        (at_col, P::from(at.as_str())),
    ];
    if let Some(r) = reason {
        cols.push(("cancel_reason", P::from(r)));
    }
    queries::update(tx, "documents", id, &cols).await?;
    Ok(at)
}

/// Appends one settlement ledger entry.
pub async fn write_entry(
    tx: &mut Conn,
    counterparty_id: i64,
    order_id: Option<i64>,
    document_id: i64,
    date: &str,
    amount: Money,
) -> Result<()> {
    sql::query("INSERT INTO settlement_entries (counterparty_id, order_id, document_id, entry_date, amount, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(counterparty_id)
        .bind(order_id)
        .bind(document_id)
        .bind(date)
        .bind(amount.0)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    add_to_balance(tx, &[(counterparty_id, amount.0)]).await
}

/// Adds entries' amounts to their counterparties' kept balances
/// (`settlement_balances`), in the transaction that appends the entries:
/// every path that appends one calls this.
pub async fn add_to_balance(tx: &mut Conn, amounts: &[(i64, i64)]) -> Result<()> {
    if amounts.is_empty() {
        return Ok(());
    }
    // One row per counterparty (PostgreSQL refuses an upsert that touches
    // a row twice), in key order: concurrent transactions lock them in one
    // order.
    let mut sorted = amounts.to_vec();
    sorted.sort_unstable();
    sorted.dedup_by(|next, kept| {
        let same = next.0 == kept.0;
        if same {
            kept.1 += next.1;
        }
        same
    });
    let mut q = sql::query(&format!(
        "INSERT INTO settlement_balances (counterparty_id, balance) VALUES {} \
         ON CONFLICT (counterparty_id) DO UPDATE SET balance = settlement_balances.balance + excluded.balance",
        kupets_store::queries::value_rows(1, sorted.len(), 2)
    ));
    for (cp, amount) in sorted {
        q = q.bind(cp).bind(amount);
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

/// Audit log filters.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub employee_id: Option<i64>,
    pub entity: Option<String>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: i64,
    pub before_id: Option<i64>,
}

impl App {
    /// The audit log, newest first; admins only.
    pub async fn audit_log(
        &self,
        actor: &Actor,
        f: &AuditFilter,
    ) -> Result<Page<kupets_store::model::AuditEntry>> {
        actor.require(Right::ReadAudit)?;
        let mut sql = String::from("SELECT a.id, a.at, a.employee_id, e.name AS employee_name, a.action, a.entity, a.entity_id, a.details FROM audit_log a LEFT JOIN employees e ON e.id = a.employee_id WHERE 1 = 1");
        let mut params = Vec::new();
        // Admins read everything; a department head what the people of
        // their department did; an accountant what was done to documents
        // and counterparties (not to people, settings or logins).
        match actor.role {
            kupets_domain::Role::Admin => {}
            kupets_domain::Role::Accountant => {
                sql += " AND a.entity IN ('counterparty', 'payment_in', 'payment_out', 'adjustment', 'shipment', 'receipt', 'return', 'supplier_return', 'sales_order', 'purchase_order')";
            }
            _ => {
                params.push(P::from(actor.employee.department_id.unwrap_or(-1)));
                params.push(P::from(actor.id()));
                sql += &format!(
                    " AND (a.employee_id = ${} OR a.employee_id IN (SELECT id FROM employees WHERE department_id = ${}))",
                    params.len(),
                    params.len() - 1
                );
            }
        }
        if let Some(v) = f.employee_id {
            params.push(P::from(v));
            sql += &format!(" AND a.employee_id = ${}", params.len());
        }
        if let Some(v) = &f.entity {
            params.push(P::from(v.as_str()));
            sql += &format!(" AND a.entity = ${}", params.len());
        }
        if let Some(v) = &f.action {
            params.push(P::from(v.as_str()));
            sql += &format!(" AND a.action = ${}", params.len());
        }
        if let Some(v) = &f.from {
            params.push(P::from(v.as_str()));
            sql += &format!(" AND a.at >= ${}", params.len());
        }
        if let Some(v) = &f.to {
            // `to` is a date: include that whole day.
            let next = crate::input::parse_date(v)
                .and_then(|d| d.succ_opt())
                .map(|d| d.to_string())
                .unwrap_or_else(|| v.clone());
            params.push(P::from(next));
            sql += &format!(" AND a.at < ${}", params.len());
        }
        if let Some(v) = f.before_id {
            params.push(P::from(v));
            sql += &format!(" AND a.id < ${}", params.len());
        }
        params.push(P::from(f.limit + 1));
        sql += &format!(" ORDER BY a.id DESC LIMIT ${}", params.len());
        let rows = queries::bind_all(sql::query(&sql), &params)
            .fetch_all(self.store.reader())
            .await?;
        let mut items: Vec<_> = rows
            .iter()
            .map(|r| kupets_store::model::AuditEntry::from_row(r))
            .collect();
        let next_cursor = if items.len() as i64 > f.limit {
            items.truncate(f.limit as usize);
            items.last().map(|d| d.id.to_string())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }
}
