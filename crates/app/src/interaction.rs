//! Calls, meetings, letters, messages and notes with a client. Each is a
//! document of kind `interaction` (posted when recorded), so it takes
//! statuses and reminders like any other: "перезвонить 15.12" is a
//! `call_back` status effective on 15.12 and shows on Today that day.

use crate::input::{lenient, Check};
use crate::{today, Actor, App, AppError, Result};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use kupets_domain::document::doc_number;
use kupets_domain::role::Right;
use kupets_domain::DocKind;
use kupets_store::model::ser;
use kupets_store::now;
use kupets_store::page::{decode_cursor, encode_cursor, Page};
use kupets_store::queries::{audit, bind_all, insert, next_doc_seq, P};
use kupets_store::sql;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Channels of an interaction.
pub const CHANNELS: [(&str, &str, &str); 5] = [
    ("call", "Звонок", "Call"),
    ("meeting", "Встреча", "Meeting"),
    ("letter", "Письмо", "Letter"),
    ("message", "Сообщение", "Message"),
    ("note", "Заметка", "Note"),
];

pub fn channel_label(code: &str, ru: bool) -> &str {
    CHANNELS
        .iter()
        .find(|c| c.0 == code)
        .map(|c| if ru { c.1 } else { c.2 })
        .unwrap_or(code)
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct InteractionInput {
    #[serde(default, deserialize_with = "lenient")]
    pub counterparty_id: Option<String>,
    /// Date and time, `YYYY-MM-DDTHH:MM` (or a date); default now.
    #[serde(default, deserialize_with = "lenient")]
    pub at: Option<String>,
    /// `call`, `meeting`, `letter`, `message` or `note`.
    #[serde(default, deserialize_with = "lenient")]
    pub kind: Option<String>,
    /// One of the counterparty's contact persons.
    #[serde(default, deserialize_with = "lenient")]
    pub contact_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub subject: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub text: Option<String>,
    /// Default: the counterparty's manager, else the author.
    #[serde(default, deserialize_with = "lenient")]
    pub responsible_id: Option<String>,
    /// A day to call back: a `call_back` reminder effective that day.
    #[serde(default, deserialize_with = "lenient")]
    pub remind_on: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub remind_note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Interaction {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    pub number: String,
    pub state: String,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub counterparty_id: i64,
    pub counterparty_name: String,
    pub at: String,
    pub kind: String,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub contact_id: Option<i64>,
    pub contact_name: Option<String>,
    pub subject: String,
    pub text: String,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub responsible_id: i64,
    pub responsible_name: String,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub author_id: i64,
}

const SQL: &str = "SELECT d.id, d.number, d.state, d.counterparty_id, c.name AS counterparty_name, i.at, i.channel, i.contact_id, k.name AS contact_name, \
       i.subject, i.body, d.responsible_id, r.name AS responsible_name, d.author_id \
     FROM interactions i JOIN documents d ON d.id = i.document_id JOIN counterparties c ON c.id = d.counterparty_id \
     JOIN employees r ON r.id = d.responsible_id LEFT JOIN contacts k ON k.id = i.contact_id";

fn row(r: &kupets_store::sql::Row) -> Interaction {
    Interaction {
        id: r.get("id"),
        number: r.get("number"),
        state: r.get("state"),
        counterparty_id: r.get("counterparty_id"),
        counterparty_name: r.get("counterparty_name"),
        at: r.get("at"),
        kind: r.get("channel"),
        contact_id: r.get("contact_id"),
        contact_name: r.get("contact_name"),
        subject: r.get("subject"),
        text: r.get("body"),
        responsible_id: r.get("responsible_id"),
        responsible_name: r.get("responsible_name"),
        author_id: r.get("author_id"),
    }
}

/// `YYYY-MM-DDTHH:MM`, `YYYY-MM-DD HH:MM` or a date (then 00:00).
fn parse_at(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    for f in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%d.%m.%Y %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t);
        }
    }
    crate::input::parse_date(s).and_then(|d| d.and_hms_opt(0, 0, 0))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct InteractionFilter {
    pub counterparty_id: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl App {
    /// Records an interaction (and its call-back reminder, if given).
    pub async fn create_interaction(
        &self,
        actor: &Actor,
        input: &InteractionInput,
    ) -> Result<Interaction> {
        if !(actor.can(Right::EditCounterparties) || actor.can(Right::Repair)) {
            return Err(AppError::Forbidden {
                role: actor.role.code().to_string(),
            });
        }
        let mut c = Check::new();
        let cp = c.id("counterparty_id", &input.counterparty_id);
        let at = match input.at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => chrono::Local::now().naive_local(),
            Some(s) => match parse_at(s) {
                Some(t) => t,
                None => {
                    c.err(
                        "at",
                        "invalid_datetime",
                        "Дата и время в формате ГГГГ-ММ-ДДTЧЧ:ММ",
                        "Date and time as YYYY-MM-DDTHH:MM",
                    );
                    chrono::Local::now().naive_local()
                }
            },
        };
        let channel = input
            .kind
            .as_deref()
            .map(str::trim)
            .unwrap_or("")
            .to_string();
        if !CHANNELS.iter().any(|k| k.0 == channel) {
            c.err(
                "kind",
                "invalid_kind",
                "Вид: call, meeting, letter, message или note",
                "Kind: call, meeting, letter, message or note",
            );
        }
        let contact = c.opt_id("contact_id", &input.contact_id);
        let subject = c.text("subject", &input.subject, 300);
        let text = c.opt_text("text", &input.text, 10_000);
        let responsible = c.opt_id("responsible_id", &input.responsible_id);
        let remind: Option<NaiveDate> = match input
            .remind_on
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => {
                let d = crate::input::parse_date(s);
                if d.is_none() {
                    c.err(
                        "remind_on",
                        "invalid_date",
                        "Дата в формате ГГГГ-ММ-ДД или ДД.ММ.ГГГГ",
                        "A date as YYYY-MM-DD or DD.MM.YYYY",
                    );
                }
                d
            }
        };
        let remind_note = c.opt_text("remind_note", &input.remind_note, 2000);
        c.done()?;
        write_tx!(self, [actor], own [channel, subject, text, remind_note], |app, tx| {
            let mut c = Check::new();
            if !crate::people::exists(&mut tx, "counterparties", cp).await? {
                c.err(
                    "counterparty_id",
                    "not_found",
                    format!("Контрагент {cp} не найден"),
                    format!("No counterparty {cp}"),
                );
            }
            if let Some(k) = contact {
                let owner: Option<(i64, i64)> =
                    sql::query_as("SELECT counterparty_id, archived FROM contacts WHERE id = $1")
                        .bind(k)
                        .fetch_optional(&mut *tx)
                        .await?;
                if owner.is_none_or(|o| o.0 != cp) {
                    c.err(
                        "contact_id",
                        "not_found",
                        "Нет такого контактного лица у этого контрагента",
                        "No such contact person of this counterparty",
                    );
                }
            }
            crate::people::check_ref(&mut c, &mut tx, "responsible_id", "employees", responsible)
                .await?;
            c.done()?;
            let responsible = match responsible {
                Some(r) => r,
                None => crate::responsible::default_for(&mut tx, Some(cp), None, actor.id()).await?,
            };
            let date = at.date();
            let kind = DocKind::Interaction;
            let seq = next_doc_seq(&mut tx, kind.code(), date.year()).await?;
            let id = insert(
                &mut tx,
                "documents",
                &[
                    ("kind", P::from(kind.code())),
                    ("year", P::from(date.year() as i64)),
                    ("seq", P::from(seq)),
                    ("number", P::from(doc_number(kind, date.year(), seq))),
                    ("doc_date", P::from(date.to_string())),
                    ("state", P::from("posted")),
                    ("author_id", P::from(actor.id())),
                    ("responsible_id", P::from(responsible)),
                    ("counterparty_id", P::from(Some(cp))),
                    ("comment", P::from(subject.clone())),
                    ("created_at", P::from(now())),
                    ("posted_at", P::from(Some(now()))),
                ],
            )
            .await?;
            sql::query("INSERT INTO interactions (document_id, at, channel, contact_id, subject, body) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id)
                .bind(at.format("%Y-%m-%dT%H:%M").to_string())
                .bind(channel.as_str())
                .bind(contact)
                .bind(&subject)
                .bind(&text)
                .execute(&mut *tx)
                .await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "create",
                kind.code(),
                id,
                &subject,
            )
            .await?;
            if let Some(day) = remind {
                let st: (i64, Option<i64>) =
                    sql::query_as("SELECT id, funnel_stage FROM statuses WHERE code = 'call_back'")
                        .fetch_one(&mut *tx)
                        .await?;
                let note = if remind_note.is_empty() {
                    subject.clone()
                } else {
                    remind_note
                };
                crate::status::write_assignment(&mut tx, id, st.0, st.1, day, &note, actor.id())
                    .await?;
                audit(
                    &mut tx,
                    Some(actor.id()),
                    "status",
                    kind.code(),
                    id,
                    &format!("call_back from {day}: {note}"),
                )
                .await?;
            }
            let r = sql::query(&format!("{SQL} WHERE d.id = $1"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            Ok(row(&r))
        })
    }

    pub async fn get_interaction(&self, _actor: &Actor, id: i64) -> Result<Interaction> {
        let r = sql::query(&format!("{SQL} WHERE d.id = $1"))
            .bind(id)
            .fetch_optional(self.store.reader())
            .await?
            .ok_or(AppError::NotFound {
                entity: "interaction",
            })?;
        Ok(row(&r))
    }

    /// Interactions, newest first; of one counterparty if given.
    pub async fn list_interactions(
        &self,
        _actor: &Actor,
        f: &InteractionFilter,
    ) -> Result<Page<Interaction>> {
        let mut c = Check::new();
        let cp = c.opt_id("counterparty_id", &f.counterparty_id);
        c.done()?;
        let limit = f.limit.unwrap_or(50).clamp(1, 500);
        let mut sql = format!("{SQL} WHERE 1 = 1");
        let mut params: Vec<P> = Vec::new();
        if let Some(cp) = cp {
            params.push(P::from(cp));
            sql.push_str(&format!(" AND d.counterparty_id = ${}", params.len()));
        }
        if let Some((at, id)) = f.cursor.as_deref().and_then(decode_cursor) {
            params.push(P::from(at));
            params.push(P::from(id));
            sql.push_str(&format!(
                " AND (i.at < ${0} OR (i.at = ${0} AND d.id < ${1}))",
                params.len() - 1,
                params.len()
            ));
        }
        sql.push_str(&format!(
            " ORDER BY i.at DESC, d.id DESC LIMIT {}",
            limit + 1
        ));
        let rows = bind_all(sql::query(&sql), &params)
            .fetch_all(self.store.reader())
            .await?;
        let mut items: Vec<Interaction> = rows.iter().map(row).collect();
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|i| encode_cursor(&i.at, i.id))
        } else {
            None
        };
        let _ = today;
        Ok(Page { items, next_cursor })
    }
}
