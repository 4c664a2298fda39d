//! Who is responsible for a document, who may act on it, and changing the
//! responsible person.
//!
//! A new document's responsible is the counterparty's manager; without one,
//! the responsible of the order it is based on; else its author. It may be
//! changed at any time, posted documents included (the ledger is untouched:
//! the responsible is who works on it, not what it records).

use crate::input::{lenient, Check};
use crate::{today, Actor, App, AppError, Result};
use chrono::NaiveDate;
use kupets_domain::role::Right;
use kupets_domain::Role;
use kupets_store::queries::audit;
use kupets_store::sql;
use kupets_store::Conn;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The default responsible of a new document.
pub(crate) async fn default_for(
    conn: &mut Conn,
    counterparty: Option<i64>,
    order: Option<i64>,
    author: i64,
) -> Result<i64> {
    if let Some(cp) = counterparty.filter(|c| *c != 0) {
        let m: Option<Option<i64>> =
            sql::query_scalar("SELECT manager_id FROM counterparties WHERE id = $1")
                .bind(cp)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(Some(m)) = m {
            return Ok(m);
        }
    }
    if let Some(o) = order.filter(|o| *o != 0) {
        let r: Option<i64> =
            sql::query_scalar("SELECT responsible_id FROM documents WHERE id = $1")
                .bind(o)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(r) = r {
            return Ok(r);
        }
    }
    Ok(author)
}

/// The employees `deputy` covers on `on`: those away with them as deputy.
pub(crate) async fn covered_by(
    conn: &mut Conn,
    deputies: &[i64],
    on: NaiveDate,
) -> Result<Vec<(i64, i64)>> {
    if deputies.is_empty() {
        return Ok(Vec::new());
    }
    let mut params: Vec<kupets_store::queries::P> = vec![on.to_string().into()];
    params.extend(deputies.iter().map(|d| kupets_store::queries::P::from(*d)));
    let rows = kupets_store::queries::bind_all(
        sql::query(&format!(
            "SELECT employee_id, deputy_id FROM absences WHERE cancelled = 0 AND date_from <= $1 AND date_to >= $1 AND deputy_id IN ({}) ORDER BY employee_id",
            kupets_store::queries::placeholders(2, deputies.len())
        )),
        &params,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<i64, _>("employee_id"), r.get::<i64, _>("deputy_id")))
        .collect())
}

/// Who stands behind a document: its responsible, author and the
/// counterparty's manager, with their departments.
struct Parties {
    kind: String,
    responsible: i64,
    responsible_dept: Option<i64>,
    author: i64,
    manager: Option<i64>,
    manager_dept: Option<i64>,
}

async fn parties(conn: &mut Conn, document: i64) -> Result<Parties> {
    let r = sql::query(
        "SELECT d.kind, d.responsible_id, d.author_id, r.department_id AS rdept, c.manager_id, m.department_id AS mdept \
         FROM documents d JOIN employees r ON r.id = d.responsible_id \
         LEFT JOIN counterparties c ON c.id = d.counterparty_id LEFT JOIN employees m ON m.id = c.manager_id \
         WHERE d.id = $1",
    )
    .bind(document)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound { entity: "document" })?;
    Ok(Parties {
        kind: r.get("kind"),
        responsible: r.get("responsible_id"),
        responsible_dept: r.get("rdept"),
        author: r.get("author_id"),
        manager: r.get("manager_id"),
        manager_dept: r.get("mdept"),
    })
}

/// May the actor set statuses on the document? Its responsible, author and
/// the counterparty's manager; a deputy covering either of the first or the
/// manager; the head of the responsible's or the manager's department; admins.
pub(crate) async fn may_set_status(conn: &mut Conn, actor: &Actor, document: i64) -> Result<()> {
    let p = parties(conn, document).await?;
    let people = [Some(p.responsible), Some(p.author), p.manager];
    let depts = [p.responsible_dept, p.manager_dept];
    allow(conn, actor, &people, &depts).await
}

async fn allow(
    conn: &mut Conn,
    actor: &Actor,
    people: &[Option<i64>],
    depts: &[Option<i64>],
) -> Result<()> {
    if actor.role == Role::Admin || people.contains(&Some(actor.id())) {
        return Ok(());
    }
    if actor.can(Right::LeadDepartment)
        && actor.employee.department_id.is_some()
        && depts.contains(&actor.employee.department_id)
    {
        return Ok(());
    }
    let covered = covered_by(conn, &[actor.id()], today()).await?;
    if covered.iter().any(|(e, _)| people.contains(&Some(*e))) {
        return Ok(());
    }
    Err(AppError::Forbidden {
        role: actor.role.code().to_string(),
    })
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ResponsibleInput {
    #[serde(default, deserialize_with = "lenient")]
    pub responsible_id: Option<String>,
}

/// A document's responsible after a change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResponsibleChange {
    #[serde(serialize_with = "kupets_store::model::ser::id")]
    #[schema(value_type = String)]
    pub document_id: i64,
    #[serde(serialize_with = "kupets_store::model::ser::id")]
    #[schema(value_type = String)]
    pub old_responsible_id: i64,
    #[serde(serialize_with = "kupets_store::model::ser::id")]
    #[schema(value_type = String)]
    pub responsible_id: i64,
    pub responsible_name: String,
}

impl App {
    /// Changes a document's responsible, whatever its state: by the
    /// responsible (or their deputy), the head of their department, or an
    /// admin. Audited old → new.
    pub async fn set_responsible(
        &self,
        actor: &Actor,
        document: i64,
        input: &ResponsibleInput,
    ) -> Result<ResponsibleChange> {
        let mut c = Check::new();
        let to = c.id("responsible_id", &input.responsible_id);
        c.done()?;
        write_tx!(self, [actor], |app, tx| {
            let lock: Option<i64> = sql::query_scalar(&format!(
                "SELECT id FROM documents WHERE id = $1{}",
                app.store.for_update()
            ))
            .bind(document)
            .fetch_optional(&mut *tx)
            .await?;
            if lock.is_none() {
                return Err(AppError::NotFound { entity: "document" });
            }
            let p = parties(&mut tx, document).await?;
            allow(
                &mut tx,
                actor,
                &[Some(p.responsible)],
                &[p.responsible_dept],
            )
            .await?;
            let target: Option<(String, i64)> =
                sql::query_as("SELECT name, archived FROM employees WHERE id = $1")
                    .bind(to)
                    .fetch_optional(&mut *tx)
                    .await?;
            let name = match target {
                None => {
                    return Err(AppError::field(
                        "responsible_id",
                        "not_found",
                        format!("Сотрудник {to} не найден"),
                        format!("No employee {to}"),
                    ))
                }
                Some((_, archived)) if archived != 0 => {
                    return Err(AppError::field(
                        "responsible_id",
                        "archived",
                        "Этот сотрудник в архиве",
                        "This employee is archived",
                    ))
                }
                Some((name, _)) => name,
            };
            if to != p.responsible {
                sql::query("UPDATE documents SET responsible_id = $1 WHERE id = $2")
                    .bind(to)
                    .bind(document)
                    .execute(&mut *tx)
                    .await?;
                audit(
                    &mut tx,
                    Some(actor.id()),
                    "responsible",
                    &p.kind,
                    document,
                    &format!("{} → {to}", p.responsible),
                )
                .await?;
            }
            Ok(ResponsibleChange {
                document_id: document,
                old_responsible_id: p.responsible,
                responsible_id: to,
                responsible_name: name,
            })
        })
    }
}
