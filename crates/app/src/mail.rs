//! E-mail: SMTP settings (the password is write-only), "send to client" for
//! счёт, УПД / ТОРГ-12 and акт сверки with the PDF attached, the daily
//! reminder digest per employee. Every message is first a row in `outbox`
//! (recorded on the client's card with its delivery state), then delivered
//! by lettre over SMTP; a failed try is retried with back-off and after the
//! last one the message is marked failed — never dropped silently.

use crate::input::{lenient, truthy, Check};
use crate::paperwork::{pdf, ShipmentPaper};
use crate::{today, Actor, App, AppError, Result};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use kupets_domain::role::Right;
use kupets_domain::Role;
use kupets_store::model::{Employee, RowGet};
use kupets_store::now;
use kupets_store::queries::{self, audit, P};
use kupets_store::sql;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

/// Tries before a message is marked failed, and the waits between them.
pub const MAX_ATTEMPTS: i64 = 5;
const BACKOFF_SECS: [i64; 4] = [60, 5 * 60, 30 * 60, 2 * 60 * 60];

/// The wait after the `attempts`-th failed try.
pub fn backoff(attempts: i64) -> chrono::Duration {
    let i = (attempts.max(1) - 1) as usize;
    chrono::Duration::seconds(BACKOFF_SECS[i.min(BACKOFF_SECS.len() - 1)])
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MailSettings {
    pub host: String,
    pub port: i64,
    /// `starttls` (default), `tls` (implicit, port 465) or `none`.
    pub security: String,
    pub username: String,
    /// Whether a password is stored; the password itself is never shown.
    pub password_set: bool,
    pub from_addr: String,
    /// When the daily digest goes out, `HH:MM` (server time, UTC).
    pub digest_time: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct MailSettingsInput {
    #[serde(default, deserialize_with = "lenient")]
    pub host: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub port: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub security: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub username: Option<String>,
    /// Absent or empty: the stored password is kept.
    #[serde(default, deserialize_with = "lenient")]
    pub password: Option<String>,
    /// `true`: forget the stored password.
    #[serde(default, deserialize_with = "lenient")]
    pub clear_password: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub from_addr: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub digest_time: Option<String>,
}

/// What to send; everything has a default.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct SendInput {
    /// The address; default: the counterparty's e-mail.
    #[serde(default, deserialize_with = "lenient")]
    pub to: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub subject: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub body: Option<String>,
    /// Shipments: `upd` or `torg12`; default the company card's setting.
    #[serde(default, deserialize_with = "lenient")]
    pub paper: Option<String>,
    /// Акт сверки: the period (default: 1 January – today).
    #[serde(default, deserialize_with = "lenient")]
    pub from: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub till: Option<String>,
}

/// A message in the outbox.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxEntry {
    #[schema(value_type = String)]
    #[serde(serialize_with = "ser_id")]
    pub id: i64,
    /// `invoice`, `upd`, `torg12`, `reconciliation` or `digest`.
    pub kind: String,
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "ser_opt_id")]
    pub counterparty_id: Option<i64>,
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "ser_opt_id")]
    pub document_id: Option<i64>,
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "ser_opt_id")]
    pub employee_id: Option<i64>,
    pub to_addr: String,
    pub subject: String,
    pub attachment_name: String,
    /// `queued` (tried again at `next_attempt_at`), `sent` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: String,
    pub created_at: String,
    pub sent_at: Option<String>,
}

fn ser_id<S: serde::Serializer>(v: &i64, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}
fn ser_opt_id<S: serde::Serializer>(v: &Option<i64>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&v.to_string()),
        None => s.serialize_none(),
    }
}

const OUTBOX_COLS: &str = "id, kind, counterparty_id, document_id, employee_id, to_addr, subject, attachment_name, state, attempts, next_attempt_at, last_error, created_at, sent_at";

fn outbox_row(r: &dyn RowGet) -> OutboxEntry {
    OutboxEntry {
        id: r.int("id"),
        kind: r.text("kind"),
        counterparty_id: r.opt_int("counterparty_id"),
        document_id: r.opt_int("document_id"),
        employee_id: r.opt_int("employee_id"),
        to_addr: r.text("to_addr"),
        subject: r.text("subject"),
        attachment_name: r.text("attachment_name"),
        state: r.text("state"),
        attempts: r.int("attempts"),
        next_attempt_at: r.text("next_attempt_at"),
        last_error: r.text("last_error"),
        created_at: r.text("created_at"),
        sent_at: r.opt_text("sent_at"),
    }
}

pub fn state_label(state: &str, ru: bool) -> &'static str {
    match (state, ru) {
        ("sent", true) => "Доставлено на сервер",
        ("sent", false) => "Delivered to the server",
        ("failed", true) => "Не отправлено",
        ("failed", false) => "Failed",
        (_, true) => "В очереди",
        (_, false) => "Queued",
    }
}

fn valid_email(s: &str) -> bool {
    s.parse::<Mailbox>().is_ok()
}

struct Smtp {
    host: String,
    port: u16,
    security: String,
    username: String,
    password: String,
    from: String,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

struct Outgoing {
    kind: &'static str,
    counterparty_id: Option<i64>,
    document_id: Option<i64>,
    employee_id: Option<i64>,
    to: String,
    subject: String,
    body: String,
    attachment: Option<(String, Vec<u8>)>,
}

impl App {
    async fn smtp(&self) -> Result<Smtp> {
        let r = sql::query("SELECT host, port, security, username, password, from_addr FROM mail_settings WHERE id = 1")
            .fetch_one(self.store.reader())
            .await?;
        Ok(Smtp {
            host: r.text("host"),
            port: r.int("port").clamp(1, 65535) as u16,
            security: r.text("security"),
            username: r.text("username"),
            password: r.text("password"),
            from: r.text("from_addr"),
        })
    }

    /// SMTP settings (administrators); the password only as "set".
    pub async fn mail_settings(&self, actor: &Actor) -> Result<MailSettings> {
        actor.require(Right::ManagePeople)?;
        let r = sql::query("SELECT * FROM mail_settings WHERE id = 1")
            .fetch_one(self.store.reader())
            .await?;
        Ok(MailSettings {
            host: r.text("host"),
            port: r.int("port"),
            security: r.text("security"),
            username: r.text("username"),
            password_set: !r.text("password").is_empty(),
            from_addr: r.text("from_addr"),
            digest_time: r.text("digest_time"),
            updated_at: r.text("updated_at"),
        })
    }

    pub async fn save_mail_settings(
        &self,
        actor: &Actor,
        input: &MailSettingsInput,
    ) -> Result<MailSettings> {
        actor.require(Right::ManagePeople)?;
        let mut c = Check::new();
        let host = c.opt_text("host", &input.host, 200);
        let port = match input
            .port
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => 587,
            Some(_) => c.int("port", &input.port, 1, 65535),
        };
        let security = input
            .security
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("starttls")
            .to_string();
        if !["starttls", "tls", "none"].contains(&security.as_str()) {
            c.err(
                "security",
                "invalid",
                "Защита: starttls, tls или none",
                "Security: starttls, tls or none",
            );
        }
        let from = c.opt_text("from_addr", &input.from_addr, 200);
        if !from.is_empty() && !valid_email(&from) {
            c.err(
                "from_addr",
                "invalid_email",
                "Неверный адрес отправителя",
                "Invalid sender address",
            );
        }
        let time = input
            .digest_time
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("08:00")
            .to_string();
        if chrono::NaiveTime::parse_from_str(&time, "%H:%M").is_err() {
            c.err(
                "digest_time",
                "invalid_time",
                "Время в формате ЧЧ:ММ",
                "A time as HH:MM",
            );
        }
        let mut cols = vec![
            ("host", P::from(host)),
            ("port", P::from(port)),
            ("security", P::from(security)),
            (
                "username",
                P::from(c.opt_text("username", &input.username, 200)),
            ),
            ("from_addr", P::from(from)),
            ("digest_time", P::from(time)),
            ("updated_at", P::from(now())),
        ];
        let password = input.password.clone().unwrap_or_default();
        if truthy(&input.clear_password) {
            cols.push(("password", P::from(String::new())));
        } else if !password.is_empty() {
            cols.push(("password", P::from(password)));
        }
        c.done()?;
        write_tx!(self, [actor, cols], |app, tx| {
            queries::update(&mut tx, "mail_settings", 1, &cols).await?;
            // The audit says what changed, never the password.
            audit(&mut tx, Some(actor.id()), "update", "mail_settings", 1, "").await?;
            Ok(())
        })?;
        self.mail_settings(actor).await
    }

    async fn queue(&self, actor: Option<&Actor>, m: Outgoing) -> Result<i64> {
        let (name, data) = m
            .attachment
            .map(|(n, d)| (n, base64::engine::general_purpose::STANDARD.encode(d)))
            .unwrap_or_default();
        let at = now();
        let by = actor.map(|a| a.id());
        let kind = m.kind;
        let cols = vec![
            ("kind", P::from(m.kind)),
            ("counterparty_id", P::from(m.counterparty_id)),
            ("document_id", P::from(m.document_id)),
            ("employee_id", P::from(m.employee_id)),
            ("to_addr", P::from(m.to)),
            ("subject", P::from(m.subject)),
            ("body", P::from(m.body)),
            ("attachment_name", P::from(name)),
            ("attachment", P::from(data)),
            ("state", P::from("queued")),
            ("next_attempt_at", P::from(at.clone())),
            ("created_by", P::from(by)),
            ("created_at", P::from(at)),
        ];
        write_tx!(self, [cols], |app, tx| {
            let id = queries::insert(&mut tx, "outbox", &cols).await?;
            audit(&mut tx, by, "queue", "outbox", id, kind).await?;
            Ok(id)
        })
    }

    /// The address to send to: the one given (edited before sending), else
    /// the counterparty's.
    async fn recipient(
        &self,
        c: &mut Check,
        to: &Option<String>,
        counterparty_id: i64,
    ) -> Result<String> {
        let to = c.opt_text("to", to, 200);
        let to = if to.is_empty() {
            sql::query_scalar::<String>("SELECT email FROM counterparties WHERE id = $1")
                .bind(counterparty_id)
                .fetch_optional(self.store.reader())
                .await?
                .unwrap_or_default()
        } else {
            to
        };
        if to.is_empty() {
            c.err(
                "to",
                "required",
                "Укажите адрес: у контрагента нет почты",
                "Give an address: the counterparty has no e-mail",
            );
        } else if !valid_email(&to) {
            c.err(
                "to",
                "invalid_email",
                "Неверный адрес почты",
                "Invalid e-mail address",
            );
        }
        Ok(to)
    }

    async fn ready_to_send(&self, c: &mut Check) -> Result<()> {
        let s = self.smtp().await?;
        if s.host.is_empty() || s.from.is_empty() {
            c.err(
                "smtp",
                "not_configured",
                "Почта не настроена: укажите SMTP-сервер и адрес отправителя",
                "E-mail is not set up: give the SMTP server and the sender address",
            );
        }
        Ok(())
    }

    async fn sign_off(&self) -> Result<String> {
        let c = self.company().await?;
        Ok(format!(
            "\n\nС уважением,\n{}{}",
            c.print_name(),
            if c.phone.is_empty() {
                String::new()
            } else {
                format!("\n{}", c.phone)
            }
        ))
    }

    /// Queues a счёт with its PDF to the client and tries it at once.
    pub async fn send_invoice(
        &self,
        actor: &Actor,
        id: i64,
        input: &SendInput,
    ) -> Result<OutboxEntry> {
        actor.require(Right::Sell)?;
        let inv = self.get_invoice(actor, id).await?;
        let cp = inv.document.counterparty_id.unwrap_or(0);
        let mut c = Check::new();
        let to = self.recipient(&mut c, &input.to, cp).await?;
        self.ready_to_send(&mut c).await?;
        c.done()?;
        let form = self.invoice_form(actor, id).await?;
        let subject = text_or(
            &input.subject,
            format!(
                "Счёт на оплату № {} от {}",
                inv.document.number,
                crate::paperwork::date_ru(&inv.document.date)
            ),
        );
        let body = text_or(
            &input.body,
            format!(
            "Здравствуйте!\n\nНаправляем счёт на оплату № {} на сумму {} руб. Оплатить до {}.{}",
            inv.document.number,
            crate::paperwork::rub(inv.document.amount),
            crate::paperwork::date_ru(&inv.due_date),
            self.sign_off().await?
        ),
        );
        let id = self
            .queue(
                Some(actor),
                Outgoing {
                    kind: "invoice",
                    counterparty_id: Some(cp),
                    document_id: Some(id),
                    employee_id: None,
                    to,
                    subject,
                    body,
                    attachment: Some((format!("Счёт {}.pdf", inv.document.number), pdf(&form)?)),
                },
            )
            .await?;
        self.deliver_one(id, Utc::now()).await?;
        self.outbox_entry(id).await
    }

    /// Queues a shipment's УПД (or ТОРГ-12) with its PDF and tries it at once.
    pub async fn send_shipment(
        &self,
        actor: &Actor,
        id: i64,
        input: &SendInput,
    ) -> Result<OutboxEntry> {
        actor
            .require(Right::MoveStock)
            .or_else(|_| actor.require(Right::Sell))?;
        let mut c = Check::new();
        let paper = match input
            .paper
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(p) => match ShipmentPaper::parse(p) {
                Some(p) => Some(p),
                None => {
                    c.err(
                        "paper",
                        "invalid",
                        "Форма: upd или torg12",
                        "Paper: upd or torg12",
                    );
                    None
                }
            },
        };
        let doc = self
            .get_trade_doc(actor, kupets_domain::DocKind::Shipment, id)
            .await?;
        let cp = doc.document.counterparty_id.unwrap_or(0);
        let to = self.recipient(&mut c, &input.to, cp).await?;
        self.ready_to_send(&mut c).await?;
        c.done()?;
        let company = self.company().await?;
        let paper = paper
            .or_else(|| ShipmentPaper::parse(&company.shipment_form))
            .unwrap_or(ShipmentPaper::Upd);
        let form = self.shipment_paper(actor, id, Some(paper)).await?;
        let (kind, title) = match paper {
            ShipmentPaper::Upd => ("upd", "УПД"),
            ShipmentPaper::Torg12 => ("torg12", "ТОРГ-12"),
        };
        let subject = text_or(
            &input.subject,
            format!(
                "{title} № {} от {}",
                doc.document.number,
                crate::paperwork::date_ru(&doc.document.date)
            ),
        );
        let body = text_or(
            &input.body,
            format!(
                "Здравствуйте!\n\nНаправляем {title} № {} по отгрузке на сумму {} руб.{}",
                doc.document.number,
                crate::paperwork::rub(doc.document.amount),
                self.sign_off().await?
            ),
        );
        let id = self
            .queue(
                Some(actor),
                Outgoing {
                    kind,
                    counterparty_id: Some(cp),
                    document_id: Some(id),
                    employee_id: None,
                    to,
                    subject,
                    body,
                    attachment: Some((format!("{title} {}.pdf", doc.document.number), pdf(&form)?)),
                },
            )
            .await?;
        self.deliver_one(id, Utc::now()).await?;
        self.outbox_entry(id).await
    }

    /// Queues the акт сверки for a period with its PDF and tries it at once.
    pub async fn send_reconciliation(
        &self,
        actor: &Actor,
        counterparty_id: i64,
        input: &SendInput,
    ) -> Result<OutboxEntry> {
        actor.require(Right::Read)?;
        let mut c = Check::new();
        let till = c.date("till", &input.till, today());
        let from = c.date(
            "from",
            &input.from,
            chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&till), 1, 1).unwrap_or(till),
        );
        let to = self.recipient(&mut c, &input.to, counterparty_id).await?;
        self.ready_to_send(&mut c).await?;
        c.done()?;
        let form = self
            .reconciliation_form(actor, counterparty_id, from, till)
            .await?;
        let period = format!(
            "{} – {}",
            kupets_domain::money::date_ru(from),
            kupets_domain::money::date_ru(till)
        );
        let subject = text_or(&input.subject, format!("Акт сверки за {period}"));
        let body = text_or(&input.body, format!(
            "Здравствуйте!\n\nНаправляем акт сверки взаимных расчётов за {period}. Просим подписать и вернуть один экземпляр.{}",
            self.sign_off().await?
        ));
        let id = self
            .queue(
                Some(actor),
                Outgoing {
                    kind: "reconciliation",
                    counterparty_id: Some(counterparty_id),
                    document_id: None,
                    employee_id: None,
                    to,
                    subject,
                    body,
                    attachment: Some((format!("Акт сверки {from}–{till}.pdf"), pdf(&form)?)),
                },
            )
            .await?;
        self.deliver_one(id, Utc::now()).await?;
        self.outbox_entry(id).await
    }

    pub async fn outbox_entry(&self, id: i64) -> Result<OutboxEntry> {
        let r = sql::query(&format!("SELECT {OUTBOX_COLS} FROM outbox WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.store.reader())
            .await?
            .ok_or(AppError::NotFound { entity: "message" })?;
        Ok(outbox_row(&r))
    }

    /// Messages sent to a counterparty, newest first (its card shows them).
    pub async fn counterparty_mail(
        &self,
        _actor: &Actor,
        counterparty_id: i64,
    ) -> Result<Vec<OutboxEntry>> {
        let rows = sql::query(&format!(
            "SELECT {OUTBOX_COLS} FROM outbox WHERE counterparty_id = $1 ORDER BY id DESC LIMIT 200"
        ))
        .bind(counterparty_id)
        .fetch_all(self.store.reader())
        .await?;
        Ok(rows.iter().map(|r| outbox_row(r)).collect())
    }

    /// The whole outbox, newest first (administrators), optionally one state.
    pub async fn outbox(&self, actor: &Actor, state: Option<&str>) -> Result<Vec<OutboxEntry>> {
        actor.require(Right::ManagePeople)?;
        let rows = match state {
            Some(s) => {
                sql::query(&format!(
                    "SELECT {OUTBOX_COLS} FROM outbox WHERE state = $1 ORDER BY id DESC LIMIT 500"
                ))
                .bind(s)
                .fetch_all(self.store.reader())
                .await?
            }
            None => {
                sql::query(&format!(
                    "SELECT {OUTBOX_COLS} FROM outbox ORDER BY id DESC LIMIT 500"
                ))
                .fetch_all(self.store.reader())
                .await?
            }
        };
        Ok(rows.iter().map(|r| outbox_row(r)).collect())
    }

    /// Tries every queued message whose time has come; returns how many were tried.
    pub async fn deliver_due(&self, at: DateTime<Utc>) -> Result<usize> {
        let ids: Vec<i64> = sql::query_scalar(
            "SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= $1 ORDER BY id LIMIT 50",
        )
        .bind(ts(at))
        .fetch_all(self.store.reader())
        .await?;
        for id in &ids {
            self.deliver_one(*id, at).await?;
        }
        Ok(ids.len())
    }

    /// One try of one queued message: sent, or the next try scheduled, or
    /// failed after the last.
    async fn deliver_one(&self, id: i64, at: DateTime<Utc>) -> Result<()> {
        let r = sql::query("SELECT to_addr, subject, body, attachment_name, attachment, state, attempts FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_one(self.store.reader())
            .await?;
        if r.text("state") != "queued" {
            return Ok(());
        }
        let smtp = self.smtp().await?;
        let outcome = send_smtp(
            &smtp,
            &r.text("to_addr"),
            &r.text("subject"),
            &r.text("body"),
            &r.text("attachment_name"),
            &r.text("attachment"),
        )
        .await;
        let attempts = r.int("attempts") + 1;
        write_tx!(self, [outcome], |app, tx| {
            match outcome {
                Ok(()) => {
                    sql::query("UPDATE outbox SET state = 'sent', attempts = $1, sent_at = $2, last_error = '' WHERE id = $3 AND state = 'queued'")
                    .bind(attempts)
                    .bind(now())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                Err(e) => {
                    let failed = attempts >= MAX_ATTEMPTS;
                    tracing::warn!(message = id, attempts, error = %e, "e-mail not delivered");
                    sql::query("UPDATE outbox SET state = $1, attempts = $2, next_attempt_at = $3, last_error = $4 WHERE id = $5 AND state = 'queued'")
                    .bind(if failed { "failed" } else { "queued" })
                    .bind(attempts)
                    .bind(ts(at + backoff(attempts)))
                    .bind(e.chars().take(500).collect::<String>())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    if failed {
                        audit(&mut tx, None, "mail_failed", "outbox", id, e).await?;
                    }
                }
            }
            Ok(())
        })
    }

    /// An employee's own choice: no daily digest.
    pub async fn set_digest_opt_out(
        &self,
        actor: &Actor,
        employee_id: i64,
        opt_out: bool,
    ) -> Result<()> {
        if actor.id() != employee_id {
            actor.require(Right::ManagePeople)?;
        }
        write_tx!(self, [actor], |app, tx| {
            if !queries::update(
                &mut tx,
                "employees",
                employee_id,
                &[("digest_opt_out", P::from(opt_out))],
            )
            .await?
            {
                return Err(AppError::NotFound { entity: "employee" });
            }
            audit(
                &mut tx,
                Some(actor.id()),
                "digest_opt_out",
                "employee",
                employee_id,
                if opt_out { "on" } else { "off" },
            )
            .await?;
            Ok(())
        })
    }

    pub async fn digest_opt_out(&self, employee_id: i64) -> Result<bool> {
        let v: Option<i64> =
            sql::query_scalar("SELECT digest_opt_out FROM employees WHERE id = $1")
                .bind(employee_id)
                .fetch_optional(self.store.reader())
                .await?;
        Ok(v.unwrap_or(0) != 0)
    }

    /// The daily digest: once the set time of day has come, each active
    /// employee with an e-mail who has not opted out gets one message listing
    /// their reminders due (today and overdue) — once a day, none when
    /// nothing is due. Returns the messages queued.
    pub async fn run_digests(&self, at: DateTime<Utc>) -> Result<Vec<i64>> {
        let time: String = sql::query_scalar("SELECT digest_time FROM mail_settings WHERE id = 1")
            .fetch_one(self.store.reader())
            .await?;
        let due = chrono::NaiveTime::parse_from_str(&time, "%H:%M").unwrap_or_default();
        if at.time() < due {
            return Ok(Vec::new());
        }
        let day = at.date_naive();
        let sql = format!(
            "SELECT {} FROM employees WHERE archived = 0 AND digest_opt_out = 0 AND email <> '' \
             AND id NOT IN (SELECT employee_id FROM digest_days WHERE day = $1) ORDER BY id",
            Employee::COLS
        );
        let people: Vec<Employee> = sql::query(&sql)
            .bind(day.to_string())
            .fetch_all(self.store.reader())
            .await?
            .iter()
            .map(|r| Employee::from_row(r))
            .collect();
        let mut queued = Vec::new();
        for e in people {
            let Some(role) = Role::parse(&e.role) else {
                continue;
            };
            let id = e.id;
            let actor = Actor {
                employee: e.clone(),
                role,
            };
            let view = self
                .today_view(
                    &actor,
                    &crate::status::TodayFilter {
                        employee_id: Some(id.to_string()),
                        date: Some(day.to_string()),
                        limit: Some("1000".into()),
                        ..Default::default()
                    },
                )
                .await?;
            let mine: Vec<_> = view
                .reminders
                .iter()
                .filter(|r| r.employee_id == id)
                .collect();
            // The day is marked even when nothing is due, so it is looked at once.
            let fresh = write_tx!(self, [], |app, tx| {
                Ok(sql::query("INSERT INTO digest_days (employee_id, day) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(id)
                    .bind(day.to_string())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected())
            })?;
            if fresh == 0 || mine.is_empty() {
                continue;
            }
            let mut body = format!(
                "{}, на {} у вас {} напоминаний:\n\n",
                e.name,
                kupets_domain::money::date_ru(day),
                mine.len()
            );
            for r in &mine {
                body.push_str(&format!(
                    "• {} — {} {}{}{}{}\n",
                    r.status_name_ru,
                    kupets_domain::DocKind::parse(&r.kind)
                        .map(|k| k.label(true))
                        .unwrap_or(""),
                    r.number,
                    r.counterparty_name
                        .as_deref()
                        .map(|n| format!(", {n}"))
                        .unwrap_or_default(),
                    if r.days_overdue > 0 {
                        format!(", просрочено на {} дн.", r.days_overdue)
                    } else {
                        String::new()
                    },
                    if r.note.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", r.note)
                    },
                ));
            }
            body.push_str(
                "\nОтказаться от ежедневной сводки можно на странице «Сегодня» в kupets.",
            );
            let mid = self
                .queue(
                    None,
                    Outgoing {
                        kind: "digest",
                        counterparty_id: None,
                        document_id: None,
                        employee_id: Some(id),
                        to: e.email.clone(),
                        subject: format!(
                            "Напоминания на {}: {}",
                            kupets_domain::money::date_ru(day),
                            mine.len()
                        ),
                        body,
                        attachment: None,
                    },
                )
                .await?;
            queued.push(mid);
        }
        for id in &queued {
            self.deliver_one(*id, at).await?;
        }
        Ok(queued)
    }
}

fn text_or(v: &Option<String>, default: String) -> String {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or(default)
}

async fn send_smtp(
    s: &Smtp,
    to: &str,
    subject: &str,
    body: &str,
    attachment_name: &str,
    attachment_b64: &str,
) -> std::result::Result<(), String> {
    if s.host.is_empty() || s.from.is_empty() {
        return Err("SMTP is not configured".into());
    }
    let from: Mailbox = s.from.parse().map_err(|e| format!("from: {e}"))?;
    let to: Mailbox = to.parse().map_err(|e| format!("to: {e}"))?;
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_string());
    let builder = Message::builder().from(from).to(to).subject(subject);
    let msg = if attachment_name.is_empty() {
        builder.singlepart(text)
    } else {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(attachment_b64)
            .map_err(|e| e.to_string())?;
        let ct = ContentType::parse("application/pdf").map_err(|e| e.to_string())?;
        builder.multipart(
            MultiPart::mixed()
                .singlepart(text)
                .singlepart(Attachment::new(attachment_name.to_string()).body(bytes, ct)),
        )
    }
    .map_err(|e| e.to_string())?;
    let mut t = match s.security.as_str() {
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host).map_err(|e| e.to_string())?,
        "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
            .map_err(|e| e.to_string())?,
        _ => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
    }
    .port(s.port)
    .timeout(Some(Duration::from_secs(20)));
    if !s.username.is_empty() {
        t = t.credentials(Credentials::new(s.username.clone(), s.password.clone()));
    }
    t.build()
        .send(msg)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Delivers due messages and the digests every 30 seconds, for as long as
/// the server runs; first brings statuses whose day has come up to date
/// (`App::roll_statuses`), so the day's reminders are read from the index.
/// At start and on the first tick of each day it also runs the database's
/// upkeep ([`kupets_store::Store::maintain`]).
pub fn spawn_worker(app: App) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        let mut maintained = None;
        loop {
            tick.tick().await;
            let at = Utc::now();
            if maintained != Some(crate::today()) {
                match app.store.maintain().await {
                    Ok(()) => maintained = Some(crate::today()),
                    Err(e) => tracing::warn!(error = %e, "database upkeep"),
                }
            }
            if let Err(e) = app.roll_statuses(crate::today()).await {
                tracing::warn!(error = %e, "statuses");
            }
            if let Err(e) = app.run_digests(at).await {
                tracing::warn!(error = %e, "digest");
            }
            if let Err(e) = app.deliver_due(at).await {
                tracing::warn!(error = %e, "outbox");
            }
        }
    })
}
