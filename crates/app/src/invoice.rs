//! Счёт на оплату: a document of kind `invoice` in `documents` (numbered
//! per year, with a customer, an amount and the order it bills), its lines in
//! `document_lines`, its due date and our bank account in `invoices`.
//! Posting issues it; it moves no money. Payments name it (`invoice_id`), so
//! the invoice — and its order — show paid or partly paid; a later bank
//! statement import finds it by number.

use crate::input::{lenient, Check};
use crate::people::check_ref;
use crate::{today, Actor, App, AppError, Result};
use chrono::Datelike;
use kupets_domain::document::doc_number;
use kupets_domain::requisites::{payment_qr_payload, QrPayee};
use kupets_domain::role::Right;
use kupets_domain::trade::{line_amount, line_vat};
use kupets_domain::{DocKind, DocState, Money, Qty, VatRate};
use kupets_store::model::{DocLine, Document, RowGet};
use kupets_store::queries::{self, audit, next_doc_seq, P};
use kupets_store::sql;
use kupets_store::{now, Conn};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct InvoiceLineInput {
    #[serde(default, deserialize_with = "lenient")]
    pub product_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub qty: Option<String>,
    /// Unit price with VAT.
    #[serde(default, deserialize_with = "lenient")]
    pub price: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct InvoiceInput {
    /// The sales order billed: its customer and lines are taken (then
    /// `counterparty_id` and `lines` may be left out).
    #[serde(default, deserialize_with = "lenient")]
    pub order_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub counterparty_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub date: Option<String>,
    /// Pay by; default: 5 days after the date.
    #[serde(default, deserialize_with = "lenient")]
    pub due_date: Option<String>,
    /// Our account to pay to; default: the main one.
    #[serde(default, deserialize_with = "lenient")]
    pub bank_account_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub comment: Option<String>,
    #[serde(default)]
    pub lines: Vec<InvoiceLineInput>,
}

/// An invoice with its lines, payments and the payment QR payload.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvoiceView {
    #[serde(flatten)]
    pub document: Document,
    pub lines: Vec<DocLine>,
    pub due_date: String,
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "ser_opt_id")]
    pub bank_account_id: Option<i64>,
    #[schema(value_type = String, example = "1500.00")]
    pub paid_amount: String,
    /// `unpaid`, `partially_paid` or `paid`.
    pub payment_state: String,
    /// Posted payments naming this invoice.
    pub payments: Vec<Document>,
    /// ГОСТ Р 56042-2014 (`ST00012|…`), printed as the QR code; empty
    /// while our requisites lack a bank account.
    pub qr_payload: String,
}

fn ser_opt_id<S: serde::Serializer>(v: &Option<i64>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&v.to_string()),
        None => s.serialize_none(),
    }
}

pub fn invoice_state(total: i64, paid: i64) -> &'static str {
    if paid <= 0 {
        "unpaid"
    } else if paid >= total {
        "paid"
    } else {
        "partially_paid"
    }
}

pub fn state_label(state: &str, ru: bool) -> &'static str {
    match (state, ru) {
        ("paid", true) => "Оплачен",
        ("paid", false) => "Paid",
        ("partially_paid", true) => "Оплачен частично",
        ("partially_paid", false) => "Partly paid",
        (_, true) => "Не оплачен",
        (_, false) => "Unpaid",
    }
}

/// Paid against an invoice: posted payments in, less refunds out.
pub(crate) async fn paid_on_invoice(conn: &mut Conn, invoice_id: i64) -> Result<i64> {
    Ok(sql::query_scalar(
        "SELECT CAST(COALESCE(SUM(-e.amount), 0) AS BIGINT) FROM settlement_entries e \
         JOIN documents d ON d.id = e.document_id WHERE d.invoice_id = $1",
    )
    .bind(invoice_id)
    .fetch_one(&mut *conn)
    .await?)
}

struct Line {
    product_id: i64,
    qty: i64,
    price: i64,
    vat_rate: String,
}

impl App {
    async fn invoice_doc(&self, conn: &mut Conn, id: i64) -> Result<Document> {
        let sql = format!(
            "SELECT {} FROM documents WHERE id = $1 AND kind = 'invoice'",
            Document::COLS
        );
        let r = sql::query(&sql)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(AppError::NotFound { entity: "invoice" })?;
        Ok(Document::from_row(&r))
    }

    /// Creates a draft invoice: from an order (its customer and lines), or
    /// on its own with lines and prices.
    pub async fn create_invoice(&self, actor: &Actor, input: &InvoiceInput) -> Result<InvoiceView> {
        let id = self.create_invoice_in(actor, input, false).await?;
        self.get_invoice(actor, id).await
    }

    /// «Выставить счёт»: an issued (posted) invoice for a sales order, in one step.
    pub async fn invoice_order(
        &self,
        actor: &Actor,
        order_id: i64,
        input: &InvoiceInput,
    ) -> Result<InvoiceView> {
        let input = InvoiceInput {
            order_id: Some(order_id.to_string()),
            ..input.clone()
        };
        let id = self.create_invoice_in(actor, &input, true).await?;
        self.get_invoice(actor, id).await
    }

    async fn create_invoice_in(
        &self,
        actor: &Actor,
        input: &InvoiceInput,
        post: bool,
    ) -> Result<i64> {
        actor.require(Right::Sell)?;
        let c = Check::new();
        write_tx!(self, [actor, input], own[c], |app, tx| {
            let date = c.date("date", &input.date, today());
            let due = c.date("due_date", &input.due_date, date + chrono::Days::new(5));
            if due < date {
                c.err(
                    "due_date",
                    "before_date",
                    "Срок оплаты раньше даты счёта",
                    "The due date is before the invoice date",
                );
            }
            let comment = c.opt_text("comment", &input.comment, 1000);
            let order_id = c.opt_id("order_id", &input.order_id);
            let mut cp = c.opt_id("counterparty_id", &input.counterparty_id);
            let mut lines: Vec<Line> = Vec::new();
            if let Some(o) = order_id {
                let r = sql::query("SELECT counterparty_id, state FROM documents WHERE id = $1 AND kind = 'sales_order'")
                .bind(o)
                .fetch_optional(&mut *tx)
                .await?;
                match r {
                    None => c.err(
                        "order_id",
                        "not_found",
                        format!("Заказ {o} не найден"),
                        format!("No sales order {o}"),
                    ),
                    Some(r) if r.text("state") == "cancelled" => c.err(
                        "order_id",
                        "cancelled",
                        "Заказ отменён",
                        "The order is cancelled",
                    ),
                    Some(r) => {
                        let owner = r.opt_int("counterparty_id");
                        if cp.is_some() && cp != owner {
                            c.err(
                                "counterparty_id",
                                "other_customer",
                                "Заказ другого контрагента",
                                "The order belongs to another counterparty",
                            );
                        }
                        cp = owner;
                        let rows = sql::query("SELECT product_id, qty, closed_qty, price, vat_rate FROM document_lines WHERE document_id = $1 ORDER BY line_no")
                        .bind(o)
                        .fetch_all(&mut *tx)
                        .await?;
                        for r in &rows {
                            let qty = r.int("qty") - r.int("closed_qty");
                            if qty > 0 {
                                lines.push(Line {
                                    product_id: r.int("product_id"),
                                    qty,
                                    price: r.int("price"),
                                    vat_rate: r.text("vat_rate"),
                                });
                            }
                        }
                    }
                }
            }
            if order_id.is_none() || !input.lines.is_empty() {
                lines.clear();
                for (i, l) in input.lines.iter().enumerate() {
                    let f = |n: &str| format!("lines[{i}].{n}");
                    let pid = c.id(&f("product_id"), &l.product_id);
                    let qty = match l
                        .qty
                        .as_deref()
                        .map(str::trim)
                        .and_then(|s| Qty::parse(s).ok())
                    {
                        Some(q) if q.0 > 0 => q.0,
                        _ => {
                            c.err(
                                &f("qty"),
                                "invalid_qty",
                                "Количество больше нуля, до 3 знаков после запятой",
                                "A quantity above zero, up to 3 decimals",
                            );
                            0
                        }
                    };
                    let price = c.money(&f("price"), &l.price);
                    let vat: Option<String> = if pid > 0 {
                        sql::query_scalar("SELECT vat_rate FROM products WHERE id = $1")
                            .bind(pid)
                            .fetch_optional(&mut *tx)
                            .await?
                    } else {
                        None
                    };
                    if pid > 0 && vat.is_none() {
                        c.err(
                            &f("product_id"),
                            "not_found",
                            format!("Товар {pid} не найден"),
                            format!("No product {pid}"),
                        );
                    }
                    lines.push(Line {
                        product_id: pid,
                        qty,
                        price,
                        vat_rate: vat.unwrap_or_default(),
                    });
                }
            }
            match cp {
                Some(id) => {
                    check_ref(
                        &mut c,
                        &mut tx,
                        "counterparty_id",
                        "counterparties",
                        Some(id),
                    )
                    .await?
                }
                None => c.add(kupets_domain::FieldError::required("counterparty_id")),
            }
            if lines.is_empty() && c.errors.is_empty() {
                c.err(
                    "lines",
                    "no_lines",
                    "В счёте нет строк",
                    "The invoice has no lines",
                );
            }
            let bank = c.opt_id("bank_account_id", &input.bank_account_id);
            let bank = match bank {
            Some(b) => {
                let ok: Option<i64> = sql::query_scalar(
                    "SELECT id FROM company_bank_accounts WHERE id = $1 AND archived = 0",
                )
                .bind(b)
                .fetch_optional(&mut *tx)
                .await?;
                if ok.is_none() {
                    c.err(
                        "bank_account_id",
                        "not_found",
                        "Нет такого нашего счёта",
                        "No such account of ours",
                    );
                }
                Some(b)
            }
            None => {
                sql::query_scalar(
                    "SELECT id FROM company_bank_accounts WHERE archived = 0 ORDER BY is_main DESC, id LIMIT 1",
                )
                .fetch_optional(&mut *tx)
                .await?
            }
        };
            c.done()?;
            // On УСН there is no VAT to print: lines say «Без НДС».
            let vat_payer: i64 = sql::query_scalar("SELECT vat_payer FROM company WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
            if vat_payer == 0 {
                for l in &mut lines {
                    l.vat_rate = VatRate::None.code().to_string();
                }
            }
            let amounts: Vec<(i64, i64)> = lines
                .iter()
                .map(|l| {
                    let amount = line_amount(Qty(l.qty), Money(l.price));
                    let vat = VatRate::parse(&l.vat_rate)
                        .map(|r| line_vat(amount, r))
                        .unwrap_or_default();
                    (amount.0, vat.0)
                })
                .collect();
            let total: i64 = amounts.iter().map(|a| a.0).sum();
            let seq = next_doc_seq(&mut tx, DocKind::Invoice.code(), date.year()).await?;
            let (state, posted_at) = if post {
                (DocState::Posted, Some(now()))
            } else {
                (DocState::Draft, None)
            };
            let cols = vec![
                ("kind", P::from(DocKind::Invoice.code())),
                ("year", P::from(date.year() as i64)),
                ("seq", P::from(seq)),
                (
                    "number",
                    P::from(doc_number(DocKind::Invoice, date.year(), seq)),
                ),
                ("doc_date", P::from(date.to_string())),
                ("state", P::from(state.code())),
                ("author_id", P::from(actor.id())),
                ("responsible_id", P::from(actor.id())),
                ("counterparty_id", P::from(cp)),
                ("order_id", P::from(order_id)),
                ("amount", P::from(total)),
                ("comment", P::from(comment)),
                ("created_at", P::from(now())),
                ("posted_at", P::from(posted_at)),
            ];
            let id = queries::insert(&mut tx, "documents", &cols).await?;
            for (i, (l, (amount, vat))) in lines.iter().zip(&amounts).enumerate() {
                sql::query("INSERT INTO document_lines (document_id, line_no, product_id, qty, price, amount, vat_rate, vat) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(id)
                .bind(i as i64 + 1)
                .bind(l.product_id)
                .bind(l.qty)
                .bind(l.price)
                .bind(*amount)
                .bind(&l.vat_rate)
                .bind(*vat)
                .execute(&mut *tx)
                .await?;
            }
            sql::query(
                "INSERT INTO invoices (document_id, due_date, bank_account_id) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(due.to_string())
            .bind(bank)
            .execute(&mut *tx)
            .await?;
            audit(&mut tx, Some(actor.id()), "create", "invoice", id, "").await?;
            if post {
                audit(&mut tx, Some(actor.id()), "post", "invoice", id, "").await?;
            }
            Ok(id)
        })
    }

    /// Issues a draft invoice.
    pub async fn post_invoice(&self, actor: &Actor, id: i64) -> Result<InvoiceView> {
        actor.require(Right::Sell)?;
        write_tx!(self, [actor], |app, tx| {
            let doc = app.invoice_doc(&mut tx, id).await?;
            let state = DocState::parse(&doc.state).unwrap_or(DocState::Draft);
            if state != DocState::Draft {
                return Err(AppError::conflict(
                    "not_draft",
                    "Провести можно только черновик",
                    "Only a draft can be posted",
                ));
            }
            sql::query("UPDATE documents SET state = 'posted', posted_at = $1 WHERE id = $2")
                .bind(now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit(&mut tx, Some(actor.id()), "post", "invoice", id, "").await?;
            Ok(())
        })?;
        self.get_invoice(actor, id).await
    }

    pub async fn get_invoice(&self, _actor: &Actor, id: i64) -> Result<InvoiceView> {
        let mut conn = self.store.read_conn().await?;
        let document = self.invoice_doc(&mut conn, id).await?;
        let sql = format!("SELECT {} FROM document_lines l JOIN products p ON p.id = l.product_id WHERE l.document_id = $1 ORDER BY l.line_no", DocLine::COLS);
        let lines: Vec<DocLine> = sql::query(&sql)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| DocLine::from_row(r))
            .collect();
        let inv =
            sql::query("SELECT due_date, bank_account_id FROM invoices WHERE document_id = $1")
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
        let paid = paid_on_invoice(&mut conn, id).await?;
        let sql = format!(
            "SELECT {} FROM documents WHERE invoice_id = $1 AND state = 'posted' ORDER BY doc_date, id",
            Document::COLS
        );
        let payments = sql::query(&sql)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| Document::from_row(r))
            .collect();
        let company = crate::company::load_company(&mut conn).await?;
        let bank_account_id = inv.opt_int("bank_account_id");
        let account = bank_account_id
            .and_then(|b| company.bank_accounts.iter().find(|a| a.id == b))
            .or_else(|| company.main_account());
        let qr_payload = account
            .map(|a| {
                payment_qr_payload(
                    &QrPayee {
                        name: company.print_name(),
                        account: &a.account,
                        bank_name: &a.bank_name,
                        bic: &a.bic,
                        corr_account: &a.corr_account,
                        inn: &company.inn,
                        kpp: &company.kpp,
                    },
                    document.amount,
                    &purpose(&document, &lines, company.vat_payer),
                )
            })
            .unwrap_or_default();
        Ok(InvoiceView {
            payment_state: invoice_state(document.amount, paid).to_string(),
            paid_amount: Money(paid).to_api(),
            due_date: inv.text("due_date"),
            bank_account_id,
            document,
            lines,
            payments,
            qr_payload,
        })
    }

    /// Invoices of an order (its card lists them).
    pub async fn order_invoices(&self, order_id: i64) -> Result<Vec<(Document, i64)>> {
        let mut conn = self.store.read_conn().await?;
        let sql = format!(
            "SELECT {} FROM documents WHERE kind = 'invoice' AND order_id = $1 ORDER BY id",
            Document::COLS
        );
        let docs: Vec<Document> = sql::query(&sql)
            .bind(order_id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| Document::from_row(r))
            .collect();
        let mut out = Vec::new();
        for d in docs {
            let paid = paid_on_invoice(&mut conn, d.id).await?;
            out.push((d, paid));
        }
        Ok(out)
    }
}

/// «Оплата по счёту № … от …, в т. ч. НДС …» (or «НДС не облагается»).
pub fn purpose(doc: &Document, lines: &[DocLine], vat_payer: bool) -> String {
    let date = crate::paperwork::date_ru(&doc.date);
    let vat: i64 = lines.iter().map(|l| l.vat).sum();
    if vat_payer && vat > 0 {
        format!(
            "Оплата по счёту № {} от {}, в т. ч. НДС {}",
            doc.number,
            date,
            crate::paperwork::rub(vat).replace('\u{a0}', " ")
        )
    } else {
        format!(
            "Оплата по счёту № {} от {}, НДС не облагается",
            doc.number, date
        )
    }
}

/// A payment naming an invoice: the invoice exists, is issued, is the same
/// customer's; the payment takes its order unless it names one (the same).
pub(crate) async fn check_payment_invoice(
    c: &mut Check,
    conn: &mut Conn,
    input: &crate::trade::PaymentInput,
    counterparty_id: i64,
    order_id: &mut Option<i64>,
) -> Result<Option<i64>> {
    let Some(inv) = c.opt_id("invoice_id", &input.invoice_id) else {
        return Ok(None);
    };
    let r = sql::query(
        "SELECT counterparty_id, order_id, state FROM documents WHERE id = $1 AND kind = 'invoice'",
    )
    .bind(inv)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = r else {
        c.err(
            "invoice_id",
            "not_found",
            format!("Счёт {inv} не найден"),
            format!("No invoice {inv}"),
        );
        return Ok(None);
    };
    let before = c.errors.len();
    if r.text("state") != "posted" {
        c.err(
            "invoice_id",
            "not_issued",
            "Счёт не выставлен (черновик или отменён)",
            "The invoice is not issued (a draft or cancelled)",
        );
    }
    if counterparty_id != 0 && r.opt_int("counterparty_id") != Some(counterparty_id) {
        c.err(
            "invoice_id",
            "other_customer",
            "Счёт выставлен другому контрагенту",
            "The invoice is another counterparty's",
        );
    }
    let inv_order = r.opt_int("order_id");
    match (*order_id, inv_order) {
        // A refused invoice lends the payment no order.
        (None, o) if c.errors.len() == before => *order_id = o,
        (None, _) => {}
        (Some(a), Some(b)) if a != b => c.err(
            "order_id",
            "other_order",
            "Счёт выставлен по другому заказу",
            "The invoice bills another order",
        ),
        _ => {}
    }
    Ok(Some(inv))
}
