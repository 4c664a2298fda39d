//! Payment orders out: outgoing payments as a `1CClientBankExchange` file
//! for the bank client (the same format the statement import reads).

use crate::input::{lenient, Check};
use crate::{today, Actor, App, AppError, Result};
use kupets_domain::bank::{write_statement, BankDoc, Party, Statement};
use kupets_domain::role::Right;
use kupets_domain::Money;
use kupets_store::model::RowGet;
use kupets_store::sql;
use serde::Deserialize;
use utoipa::IntoParams;

/// Which outgoing payments to export.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentOrderFilter {
    /// First day (default: today).
    #[serde(default, deserialize_with = "lenient")]
    pub from: Option<String>,
    /// Last day (default: `from`).
    #[serde(default, deserialize_with = "lenient")]
    pub to: Option<String>,
    /// `draft` (default: the ones still to pay), `posted` or `all`.
    #[serde(default, deserialize_with = "lenient")]
    pub state: Option<String>,
}

impl App {
    /// Outgoing payments dated in the period as payment orders from our
    /// main account to each counterparty's account; windows-1251, CRLF.
    pub async fn payment_orders(
        &self,
        actor: &Actor,
        f: &PaymentOrderFilter,
    ) -> Result<(String, Vec<u8>)> {
        actor.require(Right::PostSettlements)?;
        let mut c = Check::new();
        let from = c.date("from", &f.from, today());
        let to = c.date("to", &f.to, from);
        let state = f
            .state
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("draft");
        if !matches!(state, "draft" | "posted" | "all") {
            c.err(
                "state",
                "invalid",
                "Состояние: draft, posted или all",
                "State: draft, posted or all",
            );
        }
        if to < from {
            c.err(
                "to",
                "before_from",
                "Конец периода раньше начала",
                "The period ends before it starts",
            );
        }
        c.done()?;
        let mut conn = self.store.read_conn().await?;
        let company = crate::company::load_company(&mut conn).await?;
        let ours = company.main_account().cloned().ok_or_else(|| {
            AppError::field(
                "bank_account",
                "no_account",
                "В реквизитах компании нет расчётного счёта",
                "The company's requisites have no bank account",
            )
        })?;
        let cond = match state {
            "draft" => "d.state = 'draft'",
            "posted" => "d.state = 'posted'",
            _ => "d.state <> 'cancelled'",
        };
        let rows = sql::query(&format!(
            "SELECT d.seq, d.doc_date, d.amount, d.comment, c.name, c.full_name, c.inn, c.kpp, \
             a.bank_name, a.bic, a.corr_account, a.account \
             FROM documents d JOIN counterparties c ON c.id = d.counterparty_id \
             LEFT JOIN counterparty_bank_accounts a ON a.id = (SELECT MIN(x.id) FROM counterparty_bank_accounts x WHERE x.counterparty_id = c.id AND x.archived = 0) \
             WHERE d.kind = 'payment_out' AND {cond} AND d.doc_date >= $1 AND d.doc_date <= $2 ORDER BY d.doc_date, d.id"
        ))
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&mut *conn)
        .await?;
        let payer = Party {
            account: ours.account.clone(),
            inn: company.inn.clone(),
            kpp: company.kpp.clone(),
            name: company.print_name().to_string(),
            bank: ours.bank_name.clone(),
            bic: ours.bic.clone(),
            corr_account: ours.corr_account.clone(),
        };
        let documents = rows
            .iter()
            .map(|r| {
                let name = r.text("full_name");
                let date = chrono::NaiveDate::parse_from_str(&r.text("doc_date"), "%Y-%m-%d")
                    .unwrap_or(from);
                let comment = r.text("comment");
                BankDoc {
                    line: 0,
                    kind: "Платежное поручение".into(),
                    number: r.int("seq").to_string(),
                    date,
                    amount: Money(r.int("amount")),
                    payer: payer.clone(),
                    payee: Party {
                        account: r.get::<Option<String>, _>("account").unwrap_or_default(),
                        inn: r.text("inn"),
                        kpp: r.text("kpp"),
                        name: if name.is_empty() {
                            r.text("name")
                        } else {
                            name
                        },
                        bank: r.get::<Option<String>, _>("bank_name").unwrap_or_default(),
                        bic: r.get::<Option<String>, _>("bic").unwrap_or_default(),
                        corr_account: r
                            .get::<Option<String>, _>("corr_account")
                            .unwrap_or_default(),
                    },
                    debited: None,
                    credited: None,
                    purpose: if comment.is_empty() {
                        "Оплата".into()
                    } else {
                        comment
                    },
                    payment_kind: "01".into(),
                    priority: "5".into(),
                }
            })
            .collect();
        let st = Statement {
            version: "1.03".into(),
            encoding: "windows-1251",
            sender: "kupets".into(),
            receiver: ours.bank_name.clone(),
            date_from: Some(from),
            date_to: Some(to),
            accounts: vec![ours.account.clone()],
            sections: Vec::new(),
            documents,
        };
        let file = format!("1c_to_kl_{}.txt", from.format("%Y%m%d"));
        Ok((
            file,
            write_statement(&st, chrono::Local::now().naive_local()),
        ))
    }
}
