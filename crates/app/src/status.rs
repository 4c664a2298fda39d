//! Document statuses with effective dates, reminders, the "Today" view, the
//! sales funnel and the hand-over of a leaving employee's work.
//!
//! Assignments are only appended. `doc_status` keeps, per document, its
//! latest assignment and the furthest funnel stage reached, so the current
//! status on a date is one row (or, for a document whose latest assignment is
//! still in the future, one index seek) instead of a scan of its history.

use crate::input::{lenient, truthy, Check};
use crate::{today, Actor, App, AppError, Result};
use chrono::NaiveDate;
use kupets_domain::role::Right;
use kupets_domain::status::{days_overdue, funnel};
use kupets_domain::{DocKind, FieldError, Money, Percent};
use kupets_store::model::{ser, RowGet};
use kupets_store::queries::{audit, bind_all, placeholders, P};
use kupets_store::sql;
use kupets_store::{now, Conn};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

mod funnel;
mod handover;
mod today;

pub use handover::{
    Handover, HandoverInput, HandoverRule, KindCount, Moved, MovedReminder, ReceiverGroup,
};

/// A status of the catalogue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Status {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    pub code: String,
    pub name_ru: String,
    pub name_en: String,
    /// Document kinds it applies to; empty: every kind.
    pub kinds: Vec<String>,
    pub is_reminder: bool,
    /// The stage's place in the sales funnel (sales orders).
    pub funnel_stage: Option<i64>,
    pub is_final: bool,
    pub archived: bool,
    /// Its reminders go to the counterparty's manager (recalls, a repair
    /// ready), not to the document's responsible.
    pub to_manager: bool,
}

impl Status {
    pub fn name(&self, ru: bool) -> &str {
        if ru {
            &self.name_ru
        } else {
            &self.name_en
        }
    }
    pub fn applies_to(&self, kind: DocKind) -> bool {
        self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind.code())
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct StatusInput {
    /// Latin letters, digits and `_`; unique.
    #[serde(default, deserialize_with = "lenient")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name_ru: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name_en: Option<String>,
    /// Document kind codes (`sales_order`, `shipment`, …); empty: every kind.
    #[serde(default)]
    pub kinds: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub is_reminder: Option<String>,
    /// 1, 2, …: its place in the sales funnel; sales orders only.
    #[serde(default, deserialize_with = "lenient")]
    pub funnel_stage: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub is_final: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub archived: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct AssignInput {
    /// The status, by id…
    #[serde(default, deserialize_with = "lenient")]
    pub status_id: Option<String>,
    /// …or by code (`remind`).
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<String>,
    /// Default: today. May lie in the future: it takes effect on that day.
    #[serde(default, deserialize_with = "lenient")]
    pub effective_date: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub note: Option<String>,
}

/// One assignment of a status to a document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusAssignment {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub document_id: i64,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub status_id: i64,
    pub status_code: String,
    pub status_name_ru: String,
    pub status_name_en: String,
    pub is_reminder: bool,
    pub effective_date: String,
    pub note: String,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub employee_id: Option<i64>,
    pub employee_name: Option<String>,
    pub created_at: String,
}

/// A document's statuses: the current one today and the whole history,
/// newest effective date first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusHistory {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub document_id: i64,
    pub current: Option<StatusAssignment>,
    pub history: Vec<StatusAssignment>,
}

/// A reminder on the Today view.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reminder {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub document_id: i64,
    pub kind: String,
    pub number: String,
    pub doc_date: String,
    pub counterparty_name: Option<String>,
    #[serde(serialize_with = "ser::money")]
    #[schema(value_type = String)]
    pub amount: i64,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub employee_id: i64,
    pub employee_name: String,
    /// The recipient's department.
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub department_id: Option<i64>,
    /// The status code, or `replacement_due` for the system reminder of a
    /// return awaiting its replacement shipment.
    pub status_code: String,
    pub status_name_ru: String,
    pub status_name_en: String,
    /// The day it became due.
    pub effective_date: String,
    pub note: String,
    /// 0: due today.
    pub days_overdue: i64,
    /// For the client's manager by rule (a replacement to ship, a recall,
    /// a repair ready), whoever is responsible for the document.
    pub system: bool,
    /// Shown to a deputy: whose reminder it is while they are away.
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub covered_for_id: Option<i64>,
    pub covered_for_name: Option<String>,
}

/// Documents of an employee in one current status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusCount {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub employee_id: i64,
    pub employee_name: String,
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub department_id: Option<i64>,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub status_id: i64,
    pub status_code: String,
    pub status_name_ru: String,
    pub status_name_en: String,
    pub count: i64,
    #[serde(serialize_with = "ser::money")]
    #[schema(value_type = String)]
    pub amount: i64,
}

/// A document with its current status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusDoc {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub document_id: i64,
    pub kind: String,
    pub number: String,
    pub doc_date: String,
    pub state: String,
    pub counterparty_name: Option<String>,
    #[serde(serialize_with = "ser::money")]
    #[schema(value_type = String)]
    pub amount: i64,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub employee_id: i64,
    pub employee_name: String,
    pub status_code: String,
    pub status_name_ru: String,
    pub status_name_en: String,
    pub effective_date: String,
    pub note: String,
    /// Shown to a deputy: whose document it is while they are away.
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub covered_for_id: Option<i64>,
    pub covered_for_name: Option<String>,
}

/// One department on the admin's company-wide Today.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TodayDepartment {
    /// None: employees of no department.
    #[serde(serialize_with = "ser::opt_id")]
    #[schema(value_type = Option<String>)]
    pub department_id: Option<i64>,
    pub name: String,
    pub reminders: i64,
    pub documents: i64,
}

/// Whose work to show, and filters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct TodayFilter {
    /// One employee (a head: of their department; an admin: anyone). An
    /// admin without `employee_id` and `department_id`: the whole company.
    pub employee_id: Option<String>,
    /// Admins: a whole department.
    pub department_id: Option<String>,
    pub status_id: Option<String>,
    /// A document kind code (`sales_order`, …).
    pub kind: Option<String>,
    /// Documents dated from…
    pub from: Option<String>,
    /// …to (both included).
    pub to: Option<String>,
    /// The day to look from; default today.
    pub date: Option<String>,
    /// Reminders per page (1–1000, default 200), oldest first.
    pub limit: Option<String>,
    /// Where the page of reminders starts: `reminders_next_cursor` of the
    /// page before.
    pub cursor: Option<String>,
}

/// The Today view: due and overdue reminders, documents by current status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Today {
    pub date: String,
    /// Whose work is shown: `[id, name]` pairs.
    #[schema(value_type = Vec<Vec<String>>)]
    pub employees: Vec<(String, String)>,
    /// Absent employees whose work is shown too (the viewer is their deputy
    /// today): `[id, name]` pairs.
    #[schema(value_type = Vec<Vec<String>>)]
    pub covering: Vec<(String, String)>,
    /// Oldest first; one page of them (`limit`, `cursor`).
    pub reminders: Vec<Reminder>,
    /// All due reminders.
    pub reminders_total: i64,
    /// The next page of reminders, if any.
    pub reminders_next_cursor: Option<String>,
    /// Per employee and status.
    pub by_status: Vec<StatusCount>,
    /// The documents themselves, newest first; at most 200 (see `documents_total`).
    pub documents: Vec<StatusDoc>,
    pub documents_total: i64,
    /// The admin's company-wide view: per department.
    pub departments: Vec<TodayDepartment>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FunnelStage {
    pub stage: i64,
    pub code: String,
    pub name_ru: String,
    pub name_en: String,
    pub count: i64,
    #[serde(serialize_with = "ser::money")]
    #[schema(value_type = String)]
    pub amount: i64,
    /// % of the previous stage's orders that reached this one.
    pub conversion: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EmployeeFunnel {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub employee_id: i64,
    pub employee_name: String,
    pub stages: Vec<FunnelStage>,
}

/// Sales orders dated in the period, by the furthest funnel stage each ever
/// reached.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Funnel {
    pub from: String,
    pub to: String,
    pub orders: i64,
    pub overall: Vec<FunnelStage>,
    pub per_employee: Vec<EmployeeFunnel>,
}

const ASSIGNMENT_SQL: &str = "SELECT a.id, a.document_id, a.status_id, s.code, s.name_ru, s.name_en, s.is_reminder, a.effective_date, a.note, a.employee_id, e.name AS employee_name, a.created_at \
     FROM status_assignments a JOIN statuses s ON s.id = a.status_id LEFT JOIN employees e ON e.id = a.employee_id";

fn assignment_row(r: &sql::Row) -> StatusAssignment {
    StatusAssignment {
        id: r.get("id"),
        document_id: r.get("document_id"),
        status_id: r.get("status_id"),
        status_code: r.get("code"),
        status_name_ru: r.get("name_ru"),
        status_name_en: r.get("name_en"),
        is_reminder: r.get::<i64, _>("is_reminder") != 0,
        effective_date: r.get("effective_date"),
        note: r.get("note"),
        employee_id: r.get("employee_id"),
        employee_name: r.get("employee_name"),
        created_at: r.get("created_at"),
    }
}

fn status_row(r: &sql::Row) -> Status {
    let kinds: String = r.get("kinds");
    Status {
        id: r.get("id"),
        code: r.get("code"),
        name_ru: r.get("name_ru"),
        name_en: r.get("name_en"),
        kinds: kinds
            .split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect(),
        is_reminder: r.get::<i64, _>("is_reminder") != 0,
        funnel_stage: r.get("funnel_stage"),
        is_final: r.get::<i64, _>("is_final") != 0,
        archived: r.get::<i64, _>("archived") != 0,
        to_manager: r.get::<i64, _>("to_manager") != 0,
    }
}

const STATUS_COLS: &str =
    "id, code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final, archived, to_manager";

async fn all_statuses(conn: &mut Conn) -> Result<Vec<Status>> {
    let rows = sql::query(&format!(
        "SELECT {STATUS_COLS} FROM statuses ORDER BY COALESCE(funnel_stage, 1000), id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(status_row).collect())
}

/// id → name of the employees given.
async fn employee_names(conn: &mut Conn, ids: &[i64]) -> Result<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let params: Vec<P> = ids.iter().map(|i| P::from(*i)).collect();
    let rows = bind_all(
        sql::query(&format!(
            "SELECT id, name FROM employees WHERE id IN ({})",
            placeholders(1, ids.len())
        )),
        &params,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<i64, _>("id"), r.get::<String, _>("name")))
        .collect())
}

fn parse_opt_id(c: &mut Check, field: &str, v: &Option<String>) -> Option<i64> {
    c.opt_id(field, v)
}

fn parse_opt_date(c: &mut Check, field: &str, v: &Option<String>) -> Option<NaiveDate> {
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
}

impl App {
    /// The catalogue; archived statuses too when asked.
    pub async fn list_statuses(&self, _actor: &Actor, archived: bool) -> Result<Vec<Status>> {
        let mut conn = self.store.read_conn().await?;
        Ok(all_statuses(&mut conn)
            .await?
            .into_iter()
            .filter(|s| archived || !s.archived)
            .collect())
    }

    pub async fn save_status(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: &StatusInput,
    ) -> Result<Status> {
        actor.require(Right::ManageStatuses)?;
        let mut c = Check::new();
        let code = c.text("code", &input.code, 40);
        if !code.is_empty()
            && !code
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
        {
            c.err(
                "code",
                "invalid_code",
                "Код — строчные латинские буквы, цифры и «_»",
                "A code is lowercase Latin letters, digits and '_'",
            );
        }
        let name_ru = c.text("name_ru", &input.name_ru, 100);
        let name_en = c.text("name_en", &input.name_en, 100);
        let mut kinds = Vec::new();
        for (i, k) in input.kinds.iter().enumerate() {
            match DocKind::parse(k.trim()) {
                Some(kind) => {
                    if !kinds.contains(&kind.code()) {
                        kinds.push(kind.code());
                    }
                }
                None => c.err(
                    &format!("kinds[{i}]"),
                    "invalid_kind",
                    format!("Нет вида документов «{k}»"),
                    format!("No document kind '{k}'"),
                ),
            }
        }
        let stage = match input
            .funnel_stage
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => match s.parse::<i64>() {
                Ok(v) if (1..=100).contains(&v) => Some(v),
                _ => {
                    c.err(
                        "funnel_stage",
                        "invalid_stage",
                        "Этап воронки — число от 1 до 100",
                        "A funnel stage is a number from 1 to 100",
                    );
                    None
                }
            },
        };
        if stage.is_some() && kinds != ["sales_order"] {
            c.err(
                "funnel_stage",
                "stage_needs_sales_orders",
                "Этап воронки бывает только у статусов заказов покупателей (виды: sales_order)",
                "Only statuses of sales orders alone (kinds: sales_order) have a funnel stage",
            );
        }
        let is_final = truthy(&input.is_final);
        if is_final && !kinds.is_empty() && kinds != ["sales_order"] {
            c.err(
                "is_final",
                "final_needs_sales_orders",
                "Итоговым бывает только статус заказов покупателей",
                "Only a status of sales orders can be final",
            );
        }
        c.done()?;
        write_tx!(self, [actor, input], own [code, name_ru, name_en, kinds], |app, tx| {
            let taken: Option<i64> =
                sql::query_scalar("SELECT id FROM statuses WHERE code = $1 AND id <> $2")
                    .bind(&code)
                    .bind(id.unwrap_or(0))
                    .fetch_optional(&mut *tx)
                    .await?;
            if taken.is_some() {
                return Err(AppError::field(
                    "code",
                    "duplicate_code",
                    format!("Статус с кодом «{code}» уже есть"),
                    format!("A status with code '{code}' exists"),
                ));
            }
            let cols = vec![
                ("code", P::from(code.clone())),
                ("name_ru", P::from(name_ru)),
                ("name_en", P::from(name_en)),
                ("kinds", P::from(kinds.join(","))),
                ("is_reminder", P::from(truthy(&input.is_reminder))),
                ("funnel_stage", P::from(stage)),
                ("is_final", P::from(is_final)),
                ("archived", P::from(truthy(&input.archived))),
            ];
            let id = match id {
                Some(id) => {
                    if !kupets_store::queries::update(&mut tx, "statuses", id, &cols).await? {
                        return Err(AppError::NotFound { entity: "status" });
                    }
                    audit(&mut tx, Some(actor.id()), "update", "status", id, &code).await?;
                    id
                }
                None => {
                    let id = kupets_store::queries::insert(&mut tx, "statuses", &cols).await?;
                    audit(&mut tx, Some(actor.id()), "create", "status", id, &code).await?;
                    id
                }
            };
            let r = sql::query(&format!("SELECT {STATUS_COLS} FROM statuses WHERE id = $1"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            Ok(status_row(&r))
        })
    }

    /// Gives a document a status from a date, with a note. Who may: see
    /// [`crate::responsible`] (`docs/DOMAIN.md`, "Who may set statuses").
    pub async fn assign_status(
        &self,
        actor: &Actor,
        document_id: i64,
        input: &AssignInput,
    ) -> Result<StatusAssignment> {
        let mut c = Check::new();
        let date = c.date("effective_date", &input.effective_date, today());
        let note = c.opt_text("note", &input.note, 2000);
        let by_id = parse_opt_id(&mut c, "status_id", &input.status_id);
        c.done()?;
        write_tx!(self, [actor, input], own[note], |app, tx| {
            let doc = sql::query(&format!(
                "SELECT kind, author_id, responsible_id, state FROM documents WHERE id = $1{}",
                app.store.for_update()
            ))
            .bind(document_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::NotFound { entity: "document" })?;
            let kind = DocKind::parse(&doc.get::<String, _>("kind"))
                .ok_or_else(|| AppError::Internal("unknown document kind".into()))?;
            crate::responsible::may_set_status(&mut tx, actor, document_id).await?;
            let status = match (by_id, input.status.as_deref().map(str::trim)) {
                (Some(id), _) => {
                    sql::query(&format!("SELECT {STATUS_COLS} FROM statuses WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?
                }
                (None, Some(code)) if !code.is_empty() => {
                    sql::query(&format!(
                        "SELECT {STATUS_COLS} FROM statuses WHERE code = $1"
                    ))
                    .bind(code)
                    .fetch_optional(&mut *tx)
                    .await?
                }
                _ => {
                    return Err(AppError::Validation(vec![FieldError::required(
                        "status_id",
                    )]))
                }
            };
            let Some(status) = status.as_ref().map(status_row).filter(|s| !s.archived) else {
                return Err(AppError::field(
                    "status_id",
                    "not_found",
                    "Нет такого статуса",
                    "No such status",
                ));
            };
            if !status.applies_to(kind) {
                return Err(AppError::field(
                    "status_id",
                    "wrong_kind",
                    format!(
                        "Статус «{}» не для документов вида «{}»",
                        status.name_ru,
                        kind.label(true)
                    ),
                    format!(
                        "Status '{}' is not for {}",
                        status.name_en,
                        kind.label(false).to_lowercase()
                    ),
                ));
            }
            let id = write_assignment(
                &mut tx,
                document_id,
                status.id,
                status.funnel_stage,
                date,
                &note,
                actor.id(),
            )
            .await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "status",
                kind.code(),
                document_id,
                &format!("{} from {date}: {note}", status.code),
            )
            .await?;
            let r = sql::query(&format!("{ASSIGNMENT_SQL} WHERE a.id = $1"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            Ok(assignment_row(&r))
        })
    }

    /// A document's status history and its current status on `on`.
    pub async fn status_history(
        &self,
        _actor: &Actor,
        document_id: i64,
        on: NaiveDate,
    ) -> Result<StatusHistory> {
        let mut conn = self.store.read_conn().await?;
        if !crate::people::exists(&mut conn, "documents", document_id).await? {
            return Err(AppError::NotFound { entity: "document" });
        }
        let rows = sql::query(&format!(
            "{ASSIGNMENT_SQL} WHERE a.document_id = $1 ORDER BY a.effective_date DESC, a.id DESC"
        ))
        .bind(document_id)
        .fetch_all(&mut *conn)
        .await?;
        let history: Vec<StatusAssignment> = rows.iter().map(assignment_row).collect();
        let plain: Vec<kupets_domain::status::Assignment> = history
            .iter()
            .map(|a| kupets_domain::status::Assignment {
                id: a.id,
                effective: crate::input::parse_date(&a.effective_date).unwrap_or(on),
            })
            .collect();
        let current = kupets_domain::status::current(&plain, on).map(|i| history[i].clone());
        Ok(StatusHistory {
            document_id,
            current,
            history,
        })
    }
}

/// Appends a status assignment and keeps `doc_status` in step (the newest
/// assignment on the latest date is the latest; a stage reached is never
/// lost). Used by people's assignments and by the system (recalls, repairs).
pub(crate) async fn write_assignment(
    tx: &mut kupets_store::Conn,
    document_id: i64,
    status_id: i64,
    funnel_stage: Option<i64>,
    date: NaiveDate,
    note: &str,
    employee: i64,
) -> Result<i64> {
    let id = kupets_store::queries::insert(
        tx,
        "status_assignments",
        &[
            ("document_id", P::from(document_id)),
            ("status_id", P::from(status_id)),
            ("effective_date", P::from(date.to_string())),
            ("note", P::from(note)),
            ("employee_id", P::from(Some(employee))),
            ("created_at", P::from(now())),
        ],
    )
    .await?;
    // The newest assignment on the latest date is the latest; a stage
    // reached is never lost.
    sql::query(
            "INSERT INTO doc_status (document_id, latest_id, latest_date, latest_status_id, latest_note, max_stage) VALUES ($1, $2, $3, $5, $6, $4) \
             ON CONFLICT (document_id) DO UPDATE SET \
               latest_id = CASE WHEN excluded.latest_date >= doc_status.latest_date THEN excluded.latest_id ELSE doc_status.latest_id END, \
               latest_status_id = CASE WHEN excluded.latest_date >= doc_status.latest_date THEN excluded.latest_status_id ELSE doc_status.latest_status_id END, \
               latest_note = CASE WHEN excluded.latest_date >= doc_status.latest_date THEN excluded.latest_note ELSE doc_status.latest_note END, \
               latest_date = CASE WHEN excluded.latest_date >= doc_status.latest_date THEN excluded.latest_date ELSE doc_status.latest_date END, \
               max_stage = CASE WHEN doc_status.max_stage IS NULL OR excluded.max_stage > doc_status.max_stage THEN COALESCE(excluded.max_stage, doc_status.max_stage) ELSE doc_status.max_stage END",
        )
        .bind(document_id)
        .bind(id)
        .bind(date.to_string())
        .bind(funnel_stage)
        .bind(status_id)
        .bind(note)
        .execute(&mut *tx)
        .await?;
    sync_current(tx, document_id).await?;
    Ok(id)
}

/// Column `col` of the assignment of document `doc` (an SQL expression) in
/// force on the day in parameter `day` (`$1`, …): the latest dated on or
/// before it, the later-made of one day; read from the covering index
/// `status_assignments_current`.
pub(crate) fn in_force(col: &str, doc: &str, day: &str) -> String {
    format!(
        "(SELECT x.{col} FROM status_assignments x WHERE x.document_id = {doc} AND x.effective_date <= {day} \
         ORDER BY x.effective_date DESC, x.id DESC LIMIT 1)"
    )
}

/// What `documents` carries of a document's statuses as of `$1`: the
/// assignment in force (its status and date) and the date of the next one
/// (migration 0020), where the Today view reads them from one index.
fn in_force_copy() -> String {
    format!(
        "status_id = {}, status_date = {}, \
         status_next = (SELECT MIN(x.effective_date) FROM status_assignments x WHERE x.document_id = documents.id AND x.effective_date > $1)",
        in_force("status_id", "documents.id", "$1"),
        in_force("effective_date", "documents.id", "$1")
    )
}

/// Brings one document's status in force up to date, as of today, and
/// copies its furthest funnel stage from `doc_status` (migration 0024: the
/// funnel reads it from an index of documents alone).
pub(crate) async fn sync_current(tx: &mut kupets_store::Conn, document_id: i64) -> Result<()> {
    sql::query(&format!(
        "UPDATE documents SET {}, max_stage = (SELECT s.max_stage FROM doc_status s WHERE s.document_id = documents.id) WHERE id = $2",
        in_force_copy()
    ))
    .bind(today().to_string())
    .bind(document_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl App {
    /// Brings up to date, as of `on`, every document whose next status
    /// assignment has come; returns how many. The server runs it every
    /// minute or so (and the Today view stays right without it: such
    /// documents search their history until then).
    pub async fn roll_statuses(&self, on: NaiveDate) -> Result<u64> {
        let day = on.to_string();
        // A read first: nearly always there is nothing to do, and then
        // nothing is written.
        let due = sql::query_scalar::<i64>(
            "SELECT COUNT(*) FROM documents WHERE status_next IS NOT NULL AND status_next <= $1",
        )
        .bind(day.clone())
        .fetch_one(self.store.reader())
        .await?;
        if due == 0 {
            return Ok(0);
        }
        write_tx!(self, [day], |app, tx| {
            Ok(sql::query(&format!(
                "UPDATE documents SET {} WHERE status_next IS NOT NULL AND status_next <= $1",
                in_force_copy()
            ))
            .bind(day.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected())
        })
    }
}
