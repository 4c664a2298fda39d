//! A long absence covered by a deputy: nothing moves; during the absence the
//! deputy's Today also shows the absent person's reminders and documents,
//! and the deputy may act on them as the responsible would. When it ends the
//! view returns by itself. Recorded by a head (within their department) or
//! an admin; cancelled, never deleted; audited.

use crate::input::{lenient, Check};
use crate::{Actor, App, AppError, Result};
use kupets_domain::role::Right;
use kupets_domain::Role;
use kupets_store::model::ser;
use kupets_store::now;
use kupets_store::queries::{audit, insert, P};
use kupets_store::sql;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct AbsenceInput {
    #[serde(default, deserialize_with = "lenient")]
    pub employee_id: Option<String>,
    /// First day away.
    #[serde(default, deserialize_with = "lenient")]
    pub from: Option<String>,
    /// Last day away (included).
    #[serde(default, deserialize_with = "lenient")]
    pub to: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub deputy_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Absence {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub id: i64,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub employee_id: i64,
    pub employee_name: String,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub deputy_id: i64,
    pub deputy_name: String,
    pub from: String,
    pub to: String,
    pub note: String,
    pub cancelled: bool,
    pub created_at: String,
}

const SQL: &str = "SELECT a.id, a.employee_id, e.name AS employee_name, a.deputy_id, d.name AS deputy_name, a.date_from, a.date_to, a.note, a.cancelled, a.created_at \
     FROM absences a JOIN employees e ON e.id = a.employee_id JOIN employees d ON d.id = a.deputy_id";

fn row(r: &kupets_store::sql::Row) -> Absence {
    Absence {
        id: r.get("id"),
        employee_id: r.get("employee_id"),
        employee_name: r.get("employee_name"),
        deputy_id: r.get("deputy_id"),
        deputy_name: r.get("deputy_name"),
        from: r.get("date_from"),
        to: r.get("date_to"),
        note: r.get("note"),
        cancelled: r.get::<i64, _>("cancelled") != 0,
        created_at: r.get("created_at"),
    }
}

/// Which absences to list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct AbsenceFilter {
    /// Only those covering this day (default: all not yet over, newest first).
    pub on: Option<String>,
    pub employee_id: Option<String>,
    /// `true`: past and cancelled ones too.
    pub all: Option<bool>,
}

impl App {
    /// Records an absence with a deputy.
    pub async fn create_absence(&self, actor: &Actor, input: &AbsenceInput) -> Result<Absence> {
        actor.require(Right::LeadDepartment)?;
        let mut c = Check::new();
        let emp = c.id("employee_id", &input.employee_id);
        let deputy = c.id("deputy_id", &input.deputy_id);
        let from = c.date("from", &input.from, crate::today());
        let to = c.date("to", &input.to, from);
        let note = c.opt_text("note", &input.note, 1000);
        if to < from {
            c.err(
                "to",
                "before_start",
                "Отсутствие кончается раньше, чем начинается",
                "The absence ends before it starts",
            );
        }
        if emp != 0 && emp == deputy {
            c.err(
                "deputy_id",
                "same_employee",
                "Заместитель — другой сотрудник",
                "The deputy is another employee",
            );
        }
        c.done()?;
        write_tx!(self, [actor], own[note], |app, tx| {
            let mut c = Check::new();
            let mut depts = Vec::new();
            for (field, id) in [("employee_id", emp), ("deputy_id", deputy)] {
                let r: Option<(Option<i64>, i64)> =
                    sql::query_as("SELECT department_id, archived FROM employees WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                match r {
                    None => c.err(
                        field,
                        "not_found",
                        format!("Сотрудник {id} не найден"),
                        format!("No employee {id}"),
                    ),
                    Some((_, a)) if a != 0 => c.err(
                        field,
                        "archived",
                        "Этот сотрудник в архиве",
                        "This employee is archived",
                    ),
                    Some((d, _)) => depts.push(d),
                }
            }
            c.done()?;
            if actor.role != Role::Admin {
                let mine = actor.employee.department_id;
                if mine.is_none() || depts.iter().any(|d| *d != mine) {
                    return Err(AppError::Forbidden {
                        role: actor.role.code().to_string(),
                    });
                }
            }
            let overlap: Option<i64> = sql::query_scalar(
                "SELECT id FROM absences WHERE employee_id = $1 AND cancelled = 0 AND date_from <= $2 AND date_to >= $3",
            )
            .bind(emp)
            .bind(to.to_string())
            .bind(from.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            if overlap.is_some() {
                return Err(AppError::field(
                    "from",
                    "overlaps",
                    "У сотрудника уже есть отсутствие в эти дни",
                    "The employee is already away on some of these days",
                ));
            }
            // A deputy who is away themselves cannot cover.
            let away: Option<i64> = sql::query_scalar(
                "SELECT id FROM absences WHERE employee_id = $1 AND cancelled = 0 AND date_from <= $2 AND date_to >= $3",
            )
            .bind(deputy)
            .bind(to.to_string())
            .bind(from.to_string())
            .fetch_optional(&mut *tx)
            .await?;
            if away.is_some() {
                return Err(AppError::field(
                    "deputy_id",
                    "deputy_away",
                    "Заместитель сам отсутствует в эти дни",
                    "The deputy is away on some of these days",
                ));
            }
            let id = insert(
                &mut tx,
                "absences",
                &[
                    ("employee_id", P::from(emp)),
                    ("deputy_id", P::from(deputy)),
                    ("date_from", P::from(from.to_string())),
                    ("date_to", P::from(to.to_string())),
                    ("note", P::from(note)),
                    ("created_by", P::from(Some(actor.id()))),
                    ("created_at", P::from(now())),
                ],
            )
            .await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "absence",
                "employee",
                emp,
                &format!("{from}..{to} deputy={deputy}"),
            )
            .await?;
            let r = sql::query(&format!("{SQL} WHERE a.id = $1"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            Ok(row(&r))
        })
    }

    /// Ends an absence early (cancels it): the deputy's view returns.
    pub async fn cancel_absence(&self, actor: &Actor, id: i64) -> Result<Absence> {
        actor.require(Right::LeadDepartment)?;
        write_tx!(self, [actor], |app, tx| {
            let r = sql::query(&format!("{SQL} WHERE a.id = $1"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(AppError::NotFound { entity: "absence" })?;
            let a = row(&r);
            if actor.role != Role::Admin {
                let d: Option<i64> =
                    sql::query_scalar("SELECT department_id FROM employees WHERE id = $1")
                        .bind(a.employee_id)
                        .fetch_one(&mut *tx)
                        .await?;
                if d.is_none() || d != actor.employee.department_id {
                    return Err(AppError::Forbidden {
                        role: actor.role.code().to_string(),
                    });
                }
            }
            sql::query("UPDATE absences SET cancelled = 1 WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit(
                &mut tx,
                Some(actor.id()),
                "absence_cancel",
                "employee",
                a.employee_id,
                &format!("absence {id}"),
            )
            .await?;
            Ok(Absence {
                cancelled: true,
                ..a
            })
        })
    }

    /// Absences: by default those not over yet.
    pub async fn list_absences(&self, _actor: &Actor, f: &AbsenceFilter) -> Result<Vec<Absence>> {
        let mut c = Check::new();
        let on =
            f.on.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| c.date("on", &Some(s.to_string()), crate::today()));
        let emp = c.opt_id("employee_id", &f.employee_id);
        c.done()?;
        let mut conn = self.store.read_conn().await?;
        let mut sql = format!("{SQL} WHERE 1 = 1");
        let mut params: Vec<P> = Vec::new();
        if let Some(d) = on {
            params.push(P::from(d.to_string()));
            sql.push_str(&format!(
                " AND a.cancelled = 0 AND a.date_from <= ${0} AND a.date_to >= ${0}",
                params.len()
            ));
        } else if !f.all.unwrap_or(false) {
            params.push(P::from(crate::today().to_string()));
            sql.push_str(&format!(
                " AND a.cancelled = 0 AND a.date_to >= ${}",
                params.len()
            ));
        }
        if let Some(e) = emp {
            params.push(P::from(e));
            sql.push_str(&format!(" AND a.employee_id = ${}", params.len()));
        }
        sql.push_str(" ORDER BY a.date_from DESC, a.id DESC LIMIT 500");
        let rows = kupets_store::queries::bind_all(sql::query(&sql), &params)
            .fetch_all(&mut *conn)
            .await?;
        Ok(rows.iter().map(row).collect())
    }
}
