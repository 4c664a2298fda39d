//! One client timeline: a counterparty's documents of every kind (orders,
//! shipments, payments, repairs, interactions…) and the status changes on
//! them in one feed, newest first, filterable by kind and period, paginated
//! by cursor.

use crate::input::Check;
use crate::{Actor, App, AppError, Result};
use kupets_domain::DocKind;
use kupets_store::model::{ser, RowGet};
use kupets_store::page::{decode_cursor, encode_cursor, Page};
use kupets_store::queries::{placeholders, P};
use kupets_store::sql;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct TimelineFilter {
    /// Comma-separated: document kind codes (`interaction`, `shipment`,
    /// `payment_in`, `repair`, …) and/or `status` for status changes.
    pub kind: Option<String>,
    /// From this day…
    pub from: Option<String>,
    /// …to this day (both included).
    pub to: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// One event of the feed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineEvent {
    /// `YYYY-MM-DD` (a document's date) or `YYYY-MM-DDTHH:MM` (an
    /// interaction; a status change: when it was set, UTC).
    pub at: String,
    /// `document` or `status`.
    pub event: String,
    /// The document's kind.
    pub kind: String,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub document_id: i64,
    pub number: String,
    pub state: String,
    #[serde(serialize_with = "ser::money")]
    #[schema(value_type = String)]
    pub amount: i64,
    /// An interaction's subject, a document's comment, a status's name.
    pub title: String,
    /// An interaction's channel (`call`, …).
    pub channel: String,
    /// An interaction's text or a status's note.
    pub note: String,
    pub status_code: Option<String>,
    /// A status change: the day it takes effect.
    pub effective_date: Option<String>,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub employee_id: Option<i64>,
    pub employee_name: Option<String>,
}

struct Raw {
    at: String,
    k: i64,
    event: String,
    kind: String,
    document_id: i64,
    number: String,
    state: String,
    amount: i64,
    title: String,
    channel: String,
    note: String,
    status_id: Option<i64>,
    effective_date: Option<String>,
    employee_id: Option<i64>,
}

impl Raw {
    fn of(r: &dyn RowGet) -> Raw {
        Raw {
            at: r.text("at"),
            k: r.int("k"),
            event: r.text("event"),
            kind: r.text("kind"),
            document_id: r.int("document_id"),
            number: r.text("number"),
            state: r.text("state"),
            amount: r.int("amount"),
            title: r.text("title"),
            channel: r.text("channel"),
            note: r.text("note"),
            status_id: r.opt_int("status_id"),
            effective_date: r.opt_text("effective_date"),
            employee_id: r.opt_int("employee_id"),
        }
    }
}

impl App {
    /// The feed of one counterparty, newest first.
    pub async fn timeline(
        &self,
        _actor: &Actor,
        counterparty: i64,
        f: &TimelineFilter,
    ) -> Result<Page<TimelineEvent>> {
        let mut c = Check::new();
        let mut kinds: Vec<&'static str> = Vec::new();
        let mut statuses = false;
        for k in f
            .kind
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            if k == "status" {
                statuses = true;
            } else if let Some(kind) = DocKind::parse(k) {
                kinds.push(kind.code());
            } else {
                c.err(
                    "kind",
                    "invalid_kind",
                    format!("Нет вида событий «{k}»"),
                    format!("No event kind '{k}'"),
                );
            }
        }
        let all = kinds.is_empty() && !statuses;
        let date = |c: &mut Check, field: &str, v: &Option<String>| {
            let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
            let d = crate::input::parse_date(s);
            if d.is_none() {
                c.err(
                    field,
                    "invalid_date",
                    "Дата в формате ГГГГ-ММ-ДД или ДД.ММ.ГГГГ",
                    "A date as YYYY-MM-DD or DD.MM.YYYY",
                );
            }
            d
        };
        let from = date(&mut c, "from", &f.from);
        let to = date(&mut c, "to", &f.to);
        if let (Some(a), Some(b)) = (from, to) {
            if b < a {
                c.err(
                    "to",
                    "before_start",
                    "Конец периода раньше начала",
                    "The period ends before it starts",
                );
            }
        }
        let limit = f.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            c.err("limit", "out_of_range", "От 1 до 200", "From 1 to 200");
        }
        let cursor = match f.cursor.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => {
                let v = decode_cursor(s);
                if v.is_none() {
                    c.err(
                        "cursor",
                        "invalid_cursor",
                        "Неверный курсор",
                        "Invalid cursor",
                    );
                }
                v
            }
        };
        c.done()?;
        let exists: i64 = sql::query_scalar("SELECT COUNT(*) FROM counterparties WHERE id = $1")
            .bind(counterparty)
            .fetch_one(self.store.reader())
            .await?;
        if exists == 0 {
            return Err(AppError::NotFound {
                entity: "counterparty",
            });
        }
        // Each branch yields at most one page (+1) by itself, through
        // indexes, so the first page of a client with 10 000 events costs
        // about what a client with 50 does; the branches are then merged.
        let mut params: Vec<P> = vec![P::from(counterparty)];
        let mut bind = |p: P| {
            params.push(p);
            format!("${}", params.len())
        };
        let page = limit + 1;
        let cursor_day = cursor
            .as_ref()
            .map(|(at, _)| at.chars().take(10).collect::<String>());
        let mut branches = Vec::new();
        if all || !kinds.is_empty() {
            // Documents: a document's `at` lies within its day (an
            // interaction's date is the day of its time), so the page cannot
            // reach below the day of the (limit+1)-th document before the
            // cursor's day; only documents from that day on are read.
            let mut cond = String::new();
            if !kinds.is_empty() {
                let list: Vec<String> = kinds.iter().map(|k| bind(P::from(*k))).collect();
                cond.push_str(&format!(" AND d.kind IN ({})", list.join(", ")));
            }
            if let Some(d) = from {
                cond.push_str(&format!(
                    " AND d.doc_date >= {}",
                    bind(P::from(d.to_string()))
                ));
            }
            if let Some(d) = to {
                cond.push_str(&format!(
                    " AND d.doc_date <= {}",
                    bind(P::from(d.to_string()))
                ));
            }
            let (below, upto, after) = match (&cursor, &cursor_day) {
                (Some((at, k)), Some(day)) => {
                    let day = bind(P::from(day.clone()));
                    let at = bind(P::from(at.clone()));
                    let k = bind(P::from(*k));
                    (
                        format!(" AND d.doc_date < {day}"),
                        format!(" AND d.doc_date <= {day}"),
                        format!(
                            " AND (COALESCE(i.at, d.doc_date) < {at} OR (COALESCE(i.at, d.doc_date) = {at} AND d.id * 2 < {k}))"
                        ),
                    )
                }
                _ => (String::new(), String::new(), String::new()),
            };
            branches.push(format!(
                "SELECT * FROM (SELECT COALESCE(i.at, d.doc_date) AS at, d.id * 2 AS k, 'document' AS event, d.kind, d.id AS document_id, d.number, d.state, d.amount, \
                   COALESCE(i.subject, d.comment) AS title, COALESCE(i.channel, '') AS channel, COALESCE(i.body, '') AS note, \
                   CAST(NULL AS BIGINT) AS status_id, CAST(NULL AS TEXT) AS effective_date, d.responsible_id AS employee_id \
                 FROM documents d LEFT JOIN interactions i ON i.document_id = d.id WHERE d.counterparty_id = $1{cond}{upto}{after} \
                   AND d.doc_date >= COALESCE((SELECT d.doc_date FROM documents d WHERE d.counterparty_id = $1{cond}{below} \
                     ORDER BY d.doc_date DESC, d.id DESC LIMIT 1 OFFSET {limit}), '') \
                 ORDER BY at DESC, k DESC LIMIT {page}) td"
            ));
        }
        if all || statuses {
            // Status changes: the newest (limit+1) of the client's, picked
            // from the index on (document, set at) alone; details for those.
            let mut cond = String::new();
            if let Some(d) = from {
                cond.push_str(&format!(
                    " AND x.created_at >= {}",
                    bind(P::from(d.to_string()))
                ));
            }
            if let Some(d) = to {
                let next = (d + chrono::Duration::days(1)).to_string();
                cond.push_str(&format!(" AND x.created_at < {}", bind(P::from(next))));
            }
            if let Some((at, k)) = &cursor {
                let at = bind(P::from(at.clone()));
                let k = bind(P::from(*k));
                cond.push_str(&format!(
                    " AND (SUBSTR(x.created_at, 1, 16) < {at} OR (SUBSTR(x.created_at, 1, 16) = {at} AND x.id * 2 + 1 < {k}))"
                ));
            }
            branches.push(format!(
                "SELECT SUBSTR(a.created_at, 1, 16) AS at, a.id * 2 + 1 AS k, 'status' AS event, d.kind, d.id AS document_id, d.number, d.state, d.amount, \
                   '' AS title, '' AS channel, a.note, a.status_id, a.effective_date, a.employee_id \
                 FROM status_assignments a JOIN documents d ON d.id = a.document_id WHERE a.id IN ( \
                   SELECT x.id FROM documents y JOIN status_assignments x ON x.document_id = y.id WHERE y.counterparty_id = $1{cond} \
                   ORDER BY SUBSTR(x.created_at, 1, 16) DESC, x.id DESC LIMIT {page})"
            ));
        }
        let sql = format!(
            "SELECT * FROM ({}) t ORDER BY t.at DESC, t.k DESC LIMIT {page}",
            branches.join(" UNION ALL "),
        );
        let mut rows = self.store.read_rows(sql, params, Raw::of).await?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| encode_cursor(&r.at, r.k))
        } else {
            None
        };
        // Names for the page only.
        let mut emps: Vec<i64> = rows.iter().filter_map(|r| r.employee_id).collect();
        emps.sort_unstable();
        emps.dedup();
        let names: HashMap<i64, String> = if emps.is_empty() {
            HashMap::new()
        } else {
            self.store
                .read_rows(
                    format!(
                        "SELECT id, name FROM employees WHERE id IN ({})",
                        placeholders(1, emps.len())
                    ),
                    emps.iter().map(|e| P::from(*e)).collect(),
                    |r| (r.int("id"), r.text("name")),
                )
                .await?
                .into_iter()
                .collect()
        };
        let st: HashMap<i64, (String, String, String)> = self
            .store
            .read_rows(
                "SELECT id, code, name_ru, name_en FROM statuses".into(),
                vec![],
                |r| {
                    (
                        r.int("id"),
                        (r.text("code"), r.text("name_ru"), r.text("name_en")),
                    )
                },
            )
            .await?
            .into_iter()
            .collect();
        let items = rows
            .into_iter()
            .map(|r| {
                let status = r.status_id.and_then(|s| st.get(&s));
                TimelineEvent {
                    at: r.at,
                    event: r.event,
                    kind: r.kind,
                    document_id: r.document_id,
                    number: r.number,
                    state: r.state,
                    amount: r.amount,
                    title: match status {
                        Some(s) => format!("{} / {}", s.1, s.2),
                        None => r.title,
                    },
                    channel: r.channel,
                    note: r.note,
                    status_code: status.map(|s| s.0.clone()),
                    effective_date: r.effective_date,
                    employee_name: r.employee_id.and_then(|e| names.get(&e).cloned()),
                    employee_id: r.employee_id,
                }
            })
            .collect();
        Ok(Page { items, next_cursor })
    }
}
