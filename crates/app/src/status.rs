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
    /// Set by the system (a replacement to ship), not by a person.
    pub system: bool,
}

/// Documents of an employee in one current status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusCount {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub employee_id: i64,
    pub employee_name: String,
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
}

/// Whose work to show, and filters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct TodayFilter {
    /// One employee (a head: of their department; an admin: anyone).
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
}

/// The Today view: due and overdue reminders, documents by current status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Today {
    pub date: String,
    /// Whose work is shown: `[id, name]` pairs.
    #[schema(value_type = Vec<Vec<String>>)]
    pub employees: Vec<(String, String)>,
    /// Oldest first.
    pub reminders: Vec<Reminder>,
    /// Per employee and status.
    pub by_status: Vec<StatusCount>,
    /// The documents themselves, newest first; at most 500 (see `documents_total`).
    pub documents: Vec<StatusDoc>,
    pub documents_total: i64,
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

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct HandoverInput {
    #[serde(default, deserialize_with = "lenient")]
    pub from_employee_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub to_employee_id: Option<String>,
}

/// A record that moves in a hand-over.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Moved {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    /// `counterparty` or a document kind.
    pub kind: String,
    pub title: String,
    /// Why it moves: `manager`, `draft`, `open_order`, `reminder`,
    /// `replacement_due`.
    pub reason: String,
}

/// What a hand-over moves (the preview) or moved (the result).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Handover {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub from_employee_id: i64,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub to_employee_id: i64,
    pub counterparties: Vec<Moved>,
    pub documents: Vec<Moved>,
    pub done: bool,
}

/// A document with its current status, as the Today query returns it.
struct TodayRow {
    id: i64,
    kind: String,
    number: String,
    doc_date: String,
    state: String,
    amount: i64,
    counterparty_id: Option<i64>,
    responsible_id: i64,
    /// None: every assignment of the document still lies ahead.
    status_id: Option<i64>,
    effective_date: String,
    note: String,
}

impl TodayRow {
    fn of(r: &dyn RowGet) -> TodayRow {
        TodayRow {
            id: r.int("id"),
            kind: r.text("kind"),
            number: r.text("number"),
            doc_date: r.text("doc_date"),
            state: r.text("state"),
            amount: r.int("amount"),
            counterparty_id: r.opt_int("counterparty_id"),
            responsible_id: r.int("responsible_id"),
            status_id: r.opt_int("status_id"),
            effective_date: r.opt_text("effective_date").unwrap_or_default(),
            note: r.opt_text("note").unwrap_or_default(),
        }
    }
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
    }
}

const STATUS_COLS: &str =
    "id, code, name_ru, name_en, kinds, is_reminder, funnel_stage, is_final, archived";

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
    /// id → name of the counterparties given (the store's fast read path).
    async fn counterparty_names(&self, ids: &[i64]) -> Result<HashMap<i64, String>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut out = HashMap::new();
        for chunk in ids.chunks(500) {
            let rows = self
                .store
                .read_rows(
                    format!(
                        "SELECT id, name FROM counterparties WHERE id IN ({})",
                        placeholders(1, chunk.len())
                    ),
                    chunk.iter().map(|i| P::from(*i)).collect(),
                    |r| (r.int("id"), r.text("name")),
                )
                .await?;
            out.extend(rows);
        }
        Ok(out)
    }

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

    /// Gives a document a status from a date, with a note. Admins and
    /// department heads may set it on any document; others on documents they
    /// are responsible for or wrote.
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
            let mine = doc.get::<i64, _>("responsible_id") == actor.id()
                || doc.get::<i64, _>("author_id") == actor.id();
            if !mine && !actor.can(Right::LeadDepartment) {
                return Err(AppError::Forbidden {
                    role: actor.role.code().to_string(),
                });
            }
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

    /// Whose work an actor may see: a manager their own; a head their
    /// department's (or one employee of it); an admin anyone's.
    async fn scope(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        employee: Option<i64>,
        department: Option<i64>,
        default_department: bool,
    ) -> Result<Vec<i64>> {
        let forbidden = || AppError::Forbidden {
            role: actor.role.code().to_string(),
        };
        if actor.role == kupets_domain::Role::Admin {
            return match (employee, department) {
                (Some(e), _) => Ok(vec![e]),
                (None, Some(d)) => dept_members(conn, d).await,
                (None, None) => Ok(vec![actor.id()]),
            };
        }
        if actor.can(Right::LeadDepartment) {
            let Some(d) = actor.employee.department_id else {
                return match employee {
                    Some(e) if e != actor.id() => Err(forbidden()),
                    _ => Ok(vec![actor.id()]),
                };
            };
            if department.is_some_and(|x| x != d) {
                return Err(forbidden());
            }
            let members = dept_members(conn, d).await?;
            return match employee {
                Some(e) if members.contains(&e) || e == actor.id() => Ok(vec![e]),
                Some(_) => Err(forbidden()),
                None if default_department => Ok(members),
                None => Ok(vec![actor.id()]),
            };
        }
        match (employee, department) {
            (Some(e), _) if e != actor.id() => Err(forbidden()),
            (_, Some(_)) => Err(forbidden()),
            _ => Ok(vec![actor.id()]),
        }
    }

    /// The Today view for the actor (a head: their department).
    pub async fn today_view(&self, actor: &Actor, f: &TodayFilter) -> Result<Today> {
        let mut c = Check::new();
        let employee = parse_opt_id(&mut c, "employee_id", &f.employee_id);
        let department = parse_opt_id(&mut c, "department_id", &f.department_id);
        let status = parse_opt_id(&mut c, "status_id", &f.status_id);
        let from = parse_opt_date(&mut c, "from", &f.from);
        let to = parse_opt_date(&mut c, "to", &f.to);
        let on = parse_opt_date(&mut c, "date", &f.date).unwrap_or_else(today);
        let kind = match f.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(k) => match DocKind::parse(k) {
                Some(k) => Some(k),
                None => {
                    c.err(
                        "kind",
                        "invalid_kind",
                        format!("Нет вида документов «{k}»"),
                        format!("No document kind '{k}'"),
                    );
                    None
                }
            },
            None => None,
        };
        c.done()?;
        let mut conn = self.store.read_conn().await?;
        let people = self
            .scope(&mut conn, actor, employee, department, true)
            .await?;
        let statuses: HashMap<i64, Status> = all_statuses(&mut conn)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let names = employee_names(&mut conn, &people).await?;
        let mut rows: Vec<TodayRow> = Vec::new();
        let mut system = Vec::new();
        if !people.is_empty() {
            let mut params: Vec<P> = vec![P::from(on.to_string())];
            params.extend(people.iter().map(|p| P::from(*p)));
            // The latest assignment is current unless it lies ahead; only
            // then is the history searched (the CASE keeps SQLite from
            // running the subquery for every other document).
            let mut sql = format!(
                "SELECT d.id, d.kind, d.number, d.doc_date, d.state, d.amount, d.counterparty_id, d.responsible_id, \
                   CASE WHEN s.latest_date <= $1 THEN s.latest_status_id ELSE a.status_id END AS status_id, \
                   CASE WHEN s.latest_date <= $1 THEN s.latest_date ELSE a.effective_date END AS effective_date, \
                   CASE WHEN s.latest_date <= $1 THEN s.latest_note ELSE a.note END AS note \
                 FROM documents d JOIN doc_status s ON s.document_id = d.id \
                 LEFT JOIN status_assignments a ON a.id = CASE WHEN s.latest_date > $1 THEN \
                   (SELECT x.id FROM status_assignments x WHERE x.document_id = d.id AND x.effective_date <= $1 ORDER BY x.effective_date DESC, x.id DESC LIMIT 1) END \
                 WHERE d.responsible_id IN ({}) AND d.state <> 'cancelled'",
                placeholders(2, people.len())
            );
            if let Some(k) = kind {
                params.push(P::from(k.code()));
                sql.push_str(&format!(" AND d.kind = ${}", params.len()));
            }
            if let Some(d) = from {
                params.push(P::from(d.to_string()));
                sql.push_str(&format!(" AND d.doc_date >= ${}", params.len()));
            }
            if let Some(d) = to {
                params.push(P::from(d.to_string()));
                sql.push_str(&format!(" AND d.doc_date <= ${}", params.len()));
            }
            if let Some(s) = status {
                params.push(P::from(s));
                sql.push_str(&format!(
                    " AND (CASE WHEN s.latest_date <= $1 THEN s.latest_status_id ELSE a.status_id END) = ${}",
                    params.len()
                ));
            }
            // Thousands of rows for a department: the store's fast read path.
            rows = self.store.read_rows(sql, params, TodayRow::of).await?;
            rows.retain(|r| r.status_id.is_some_and(|s| statuses.contains_key(&s)));
            // Returns owed a replacement, until the replacement is shipped.
            if status.is_none() && kind.is_none_or(|k| k == DocKind::Return) {
                let mut params: Vec<P> = people.iter().map(|p| P::from(*p)).collect();
                params.push(P::from(on.to_string()));
                let sql = format!(
                    "SELECT d.id, d.number, d.doc_date, d.amount, d.counterparty_id, d.responsible_id FROM documents d \
                     WHERE d.kind = 'return' AND d.state = 'posted' AND d.replacement_required = 1 AND d.responsible_id IN ({}) AND d.doc_date <= ${} \
                     AND NOT EXISTS (SELECT 1 FROM documents r WHERE r.replacement_for_id = d.id AND r.kind = 'shipment' AND r.state = 'posted') \
                     ORDER BY d.doc_date, d.id",
                    placeholders(1, people.len()),
                    people.len() + 1
                );
                system = bind_all(sql::query(&sql), &params)
                    .fetch_all(&mut *conn)
                    .await?;
            }
        }
        // Newest first; names only for what is shown (reminders and the
        // first 500 documents), not for every document counted.
        rows.sort_by(|a, b| (b.doc_date.as_str(), b.id).cmp(&(a.doc_date.as_str(), a.id)));
        let documents_total = rows.len() as i64;
        let cp_ids: Vec<i64> = rows
            .iter()
            .enumerate()
            .filter(|(i, r)| *i < 500 || statuses[&r.status_id.unwrap_or(0)].is_reminder)
            .filter_map(|(_, r)| r.counterparty_id)
            .chain(
                system
                    .iter()
                    .filter_map(|r| r.get::<Option<i64>, _>("counterparty_id")),
            )
            .collect();
        let cps = self.counterparty_names(&cp_ids).await?;
        let name_of = |e: i64| names.get(&e).cloned().unwrap_or_default();
        let mut reminders = Vec::new();
        let mut counts: HashMap<(i64, i64), (i64, i64)> = HashMap::new();
        let mut documents = Vec::new();
        for (i, r) in rows.into_iter().enumerate() {
            let st = &statuses[&r.status_id.unwrap_or(0)];
            let emp = r.responsible_id;
            let amount = r.amount;
            let effective = r.effective_date;
            let cp = r.counterparty_id.and_then(|c| cps.get(&c).cloned());
            let e = counts.entry((emp, st.id)).or_insert((0, 0));
            e.0 += 1;
            e.1 = e.1.saturating_add(amount);
            if st.is_reminder {
                reminders.push(Reminder {
                    document_id: r.id,
                    kind: r.kind.clone(),
                    number: r.number.clone(),
                    doc_date: r.doc_date.clone(),
                    counterparty_name: cp.clone(),
                    amount,
                    employee_id: emp,
                    employee_name: name_of(emp),
                    status_code: st.code.clone(),
                    status_name_ru: st.name_ru.clone(),
                    status_name_en: st.name_en.clone(),
                    days_overdue: crate::input::parse_date(&effective)
                        .map(|d| days_overdue(d, on))
                        .unwrap_or(0),
                    effective_date: effective.clone(),
                    note: r.note.clone(),
                    system: false,
                });
            }
            if i >= 500 {
                continue;
            }
            documents.push(StatusDoc {
                document_id: r.id,
                kind: r.kind,
                number: r.number,
                doc_date: r.doc_date,
                state: r.state,
                counterparty_name: cp,
                amount,
                employee_id: emp,
                employee_name: name_of(emp),
                status_code: st.code.clone(),
                status_name_ru: st.name_ru.clone(),
                status_name_en: st.name_en.clone(),
                effective_date: effective,
                note: r.note,
            });
        }
        for r in &system {
            let emp: i64 = r.get("responsible_id");
            let number: String = r.get("number");
            let date: String = r.get("doc_date");
            reminders.push(Reminder {
                document_id: r.get("id"),
                kind: DocKind::Return.code().into(),
                number: number.clone(),
                doc_date: date.clone(),
                counterparty_name: r
                    .get::<Option<i64>, _>("counterparty_id")
                    .and_then(|c| cps.get(&c).cloned()),
                amount: r.get("amount"),
                employee_id: emp,
                employee_name: name_of(emp),
                status_code: "replacement_due".into(),
                status_name_ru: "Отгрузить замену".into(),
                status_name_en: "Ship the replacement".into(),
                days_overdue: crate::input::parse_date(&date)
                    .map(|d| days_overdue(d, on))
                    .unwrap_or(0),
                effective_date: date,
                note: format!("Возврат {number}: клиенту положена замена"),
                system: true,
            });
        }
        reminders.sort_by(|a, b| {
            (a.effective_date.as_str(), a.document_id)
                .cmp(&(b.effective_date.as_str(), b.document_id))
        });
        let mut by_status: Vec<StatusCount> = counts
            .into_iter()
            .map(|((emp, sid), (count, amount))| {
                let st = &statuses[&sid];
                StatusCount {
                    employee_id: emp,
                    employee_name: name_of(emp),
                    status_id: sid,
                    status_code: st.code.clone(),
                    status_name_ru: st.name_ru.clone(),
                    status_name_en: st.name_en.clone(),
                    count,
                    amount,
                }
            })
            .collect();
        let order: HashMap<i64, usize> = {
            let mut v: Vec<&Status> = statuses.values().collect();
            v.sort_by_key(|s| (s.funnel_stage.unwrap_or(1000), s.id));
            v.iter().enumerate().map(|(i, s)| (s.id, i)).collect()
        };
        by_status.sort_by(|a, b| {
            (a.employee_name.as_str(), order[&a.status_id])
                .cmp(&(b.employee_name.as_str(), order[&b.status_id]))
        });

        Ok(Today {
            date: on.to_string(),
            employees: people
                .iter()
                .map(|p| (p.to_string(), name_of(*p)))
                .collect(),
            reminders,
            by_status,
            documents,
            documents_total,
        })
    }

    /// The sales funnel of orders dated `from`–`to`: overall and per
    /// employee, within what the actor may see.
    pub async fn funnel(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
        employee: Option<i64>,
    ) -> Result<Funnel> {
        let mut conn = self.store.read_conn().await?;
        let everyone = actor.role == kupets_domain::Role::Admin && employee.is_none();
        let people = if everyone {
            Vec::new()
        } else {
            self.scope(&mut conn, actor, employee, None, true).await?
        };
        let stages: Vec<Status> = all_statuses(&mut conn)
            .await?
            .into_iter()
            .filter(|s| s.funnel_stage.is_some() && !s.archived)
            .collect();
        let mut params = vec![P::from(from.to_string()), P::from(to.to_string())];
        let mut sql = String::from(
            "SELECT d.responsible_id, COALESCE(s.max_stage, 0) AS stage, COUNT(*) AS n, CAST(COALESCE(SUM(d.amount), 0) AS BIGINT) AS amount \
             FROM documents d LEFT JOIN doc_status s ON s.document_id = d.id \
             WHERE d.kind = 'sales_order' AND d.state <> 'cancelled' AND d.doc_date >= $1 AND d.doc_date <= $2",
        );
        if !everyone {
            params.extend(people.iter().map(|p| P::from(*p)));
            sql.push_str(&format!(
                " AND d.responsible_id IN ({})",
                placeholders(3, people.len().max(1))
            ));
            if people.is_empty() {
                params.push(P::from(0i64));
            }
        }
        sql.push_str(" GROUP BY d.responsible_id, COALESCE(s.max_stage, 0)");
        let rows = bind_all(sql::query(&sql), &params)
            .fetch_all(&mut *conn)
            .await?;
        let groups: Vec<(i64, i64, i64, Money)> = rows
            .iter()
            .map(|r| {
                (
                    r.get::<i64, _>("responsible_id"),
                    r.get::<i64, _>("stage"),
                    r.get::<i64, _>("n"),
                    Money(r.get::<i64, _>("amount")),
                )
            })
            .collect();
        let mut emps: Vec<i64> = groups.iter().map(|g| g.0).collect();
        emps.sort_unstable();
        emps.dedup();
        let names = employee_names(&mut conn, &emps).await?;
        let numbers: Vec<i64> = stages.iter().filter_map(|s| s.funnel_stage).collect();
        let view = |g: &[(i64, i64, Money)]| -> Vec<FunnelStage> {
            funnel(&numbers, g)
                .into_iter()
                .zip(&stages)
                .map(|(f, s)| FunnelStage {
                    stage: f.stage,
                    code: s.code.clone(),
                    name_ru: s.name_ru.clone(),
                    name_en: s.name_en.clone(),
                    count: f.count,
                    amount: f.amount.0,
                    conversion: f.conversion.map(|p: Percent| p.to_api()),
                })
                .collect()
        };
        let all: Vec<(i64, i64, Money)> = groups.iter().map(|g| (g.1, g.2, g.3)).collect();
        let mut per_employee: Vec<EmployeeFunnel> = emps
            .iter()
            .map(|e| EmployeeFunnel {
                employee_id: *e,
                employee_name: names.get(e).cloned().unwrap_or_default(),
                stages: view(
                    &groups
                        .iter()
                        .filter(|g| g.0 == *e)
                        .map(|g| (g.1, g.2, g.3))
                        .collect::<Vec<_>>(),
                ),
            })
            .collect();
        per_employee.sort_by(|a, b| a.employee_name.cmp(&b.employee_name));
        Ok(Funnel {
            from: from.to_string(),
            to: to.to_string(),
            orders: groups.iter().map(|g| g.2).sum(),
            overall: view(&all),
            per_employee,
        })
    }

    /// What a hand-over from one employee to another would move.
    pub async fn handover_preview(&self, actor: &Actor, input: &HandoverInput) -> Result<Handover> {
        let mut conn = self.store.read_conn().await?;
        let (from, to) = self.handover_parties(&mut conn, actor, input).await?;
        handover_listing(&mut conn, from, to, today()).await
    }

    /// Moves a leaving employee's counterparties, open documents and
    /// reminders to another, in one transaction; what moves is exactly what
    /// the preview lists at that moment.
    pub async fn handover(&self, actor: &Actor, input: &HandoverInput) -> Result<Handover> {
        write_tx!(self, [actor, input], |app, tx| {
            let (from, to) = app.handover_parties(&mut tx, actor, input).await?;
            let mut h = handover_listing(&mut tx, from, to, today()).await?;
            for (table, col, items) in [
                ("counterparties", "manager_id", &h.counterparties),
                ("documents", "responsible_id", &h.documents),
            ] {
                for chunk in items.chunks(500) {
                    let mut params = vec![P::from(to)];
                    params.extend(chunk.iter().map(|m| P::from(m.id)));
                    bind_all(
                        sql::query(&format!(
                            "UPDATE {table} SET {col} = $1 WHERE id IN ({})",
                            placeholders(2, chunk.len())
                        )),
                        &params,
                    )
                    .execute(&mut *tx)
                    .await?;
                }
            }
            audit(
                &mut tx,
                Some(actor.id()),
                "handover",
                "employee",
                from,
                &format!(
                    "to={to} counterparties={} documents={}",
                    h.counterparties.len(),
                    h.documents.len()
                ),
            )
            .await?;
            h.done = true;
            Ok(h)
        })
    }

    async fn handover_parties(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        input: &HandoverInput,
    ) -> Result<(i64, i64)> {
        actor.require(Right::LeadDepartment)?;
        let mut c = Check::new();
        let from = c.id("from_employee_id", &input.from_employee_id);
        let to = c.id("to_employee_id", &input.to_employee_id);
        if from != 0 && from == to {
            c.err(
                "to_employee_id",
                "same_employee",
                "Передать дела можно только другому сотруднику",
                "Hand over to another employee",
            );
        }
        c.done()?;
        let mut c = Check::new();
        let mut depts = Vec::new();
        for (field, id) in [("from_employee_id", from), ("to_employee_id", to)] {
            let row: Option<(Option<i64>, i64)> =
                sql::query_as("SELECT department_id, archived FROM employees WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
            match row {
                None => c.err(
                    field,
                    "not_found",
                    format!("Сотрудник {id} не найден"),
                    format!("No employee {id}"),
                ),
                Some((d, archived)) => {
                    if field == "to_employee_id" && archived != 0 {
                        c.err(
                            field,
                            "archived",
                            "Этот сотрудник в архиве",
                            "This employee is archived",
                        );
                    }
                    depts.push(d);
                }
            }
        }
        c.done()?;
        if actor.role != kupets_domain::Role::Admin {
            let mine = actor.employee.department_id;
            if mine.is_none() || depts.iter().any(|d| *d != mine) {
                return Err(AppError::Forbidden {
                    role: actor.role.code().to_string(),
                });
            }
        }
        Ok((from, to))
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
    Ok(id)
}

async fn dept_members(conn: &mut Conn, d: i64) -> Result<Vec<i64>> {
    Ok(
        sql::query_scalar::<i64>("SELECT id FROM employees WHERE department_id = $1 ORDER BY name")
            .bind(d)
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// What moves from `from`: counterparties they manage; their drafts, open
/// orders, documents whose current status is a reminder, and returns still
/// owed a replacement.
async fn handover_listing(conn: &mut Conn, from: i64, to: i64, on: NaiveDate) -> Result<Handover> {
    let cps = sql::query(
        "SELECT id, name FROM counterparties WHERE manager_id = $1 AND archived = 0 ORDER BY name, id",
    )
    .bind(from)
    .fetch_all(&mut *conn)
    .await?;
    let docs = sql::query(
        "SELECT d.id, d.kind, d.number, \
           CASE WHEN d.state = 'draft' THEN 'draft' \
                WHEN d.kind = 'return' AND d.replacement_required = 1 AND NOT EXISTS (SELECT 1 FROM documents r WHERE r.replacement_for_id = d.id AND r.kind = 'shipment' AND r.state = 'posted') THEN 'replacement_due' \
                WHEN d.kind IN ('sales_order', 'purchase_order') AND EXISTS (SELECT 1 FROM document_lines l WHERE l.document_id = d.id AND l.qty - l.closed_qty > \
                   (SELECT COALESCE(SUM(x.qty), 0) FROM document_lines x JOIN documents y ON y.id = x.document_id WHERE x.base_line_id = l.id AND y.state = 'posted' AND y.kind IN ('shipment', 'receipt'))) THEN 'open_order' \
                WHEN EXISTS (SELECT 1 FROM doc_status s JOIN status_assignments a ON a.id = CASE WHEN s.latest_date <= $2 THEN s.latest_id ELSE \
                     (SELECT x.id FROM status_assignments x WHERE x.document_id = d.id AND x.effective_date <= $2 ORDER BY x.effective_date DESC, x.id DESC LIMIT 1) END \
                     JOIN statuses st ON st.id = a.status_id WHERE s.document_id = d.id AND st.is_reminder = 1) THEN 'reminder' \
                ELSE '' END AS reason \
         FROM documents d WHERE d.responsible_id = $1 AND d.state <> 'cancelled' ORDER BY d.doc_date, d.id",
    )
    .bind(from)
    .bind(on.to_string())
    .fetch_all(&mut *conn)
    .await?;
    Ok(Handover {
        from_employee_id: from,
        to_employee_id: to,
        counterparties: cps
            .iter()
            .map(|r| Moved {
                id: r.get("id"),
                kind: "counterparty".into(),
                title: r.get("name"),
                reason: "manager".into(),
            })
            .collect(),
        documents: docs
            .iter()
            .filter(|r| !r.get::<String, _>("reason").is_empty())
            .map(|r| Moved {
                id: r.get("id"),
                kind: r.get("kind"),
                title: r.get("number"),
                reason: r.get("reason"),
            })
            .collect(),
        done: false,
    })
}
