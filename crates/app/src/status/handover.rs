//! Handing a leaving employee's work over.

use super::*;

impl App {
    /// What a hand-over from one employee to another would move.
    pub async fn handover_preview(&self, actor: &Actor, input: &HandoverInput) -> Result<Handover> {
        let mut conn = self.store.reader().acquire().await?;
        let (from, to) = self.handover_parties(&mut conn, actor, input).await?;
        handover_listing(&mut conn, from, to, today()).await
    }

    /// Moves a leaving employee's counterparties, open documents and
    /// reminders to another, in one transaction; what moves is exactly what
    /// the preview lists at that moment.
    pub async fn handover(&self, actor: &Actor, input: &HandoverInput) -> Result<Handover> {
        let mut tx = self.store.begin().await?;
        let (from, to) = self.handover_parties(&mut tx, actor, input).await?;
        let mut h = handover_listing(&mut tx, from, to, today()).await?;
        for (table, col, items) in [
            ("counterparties", "manager_id", &h.counterparties),
            ("documents", "responsible_id", &h.documents),
        ] {
            for chunk in items.chunks(500) {
                let mut params = vec![P::from(to)];
                params.extend(chunk.iter().map(|m| P::from(m.id)));
                bind_all(
                    sqlx::query(&format!(
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
        tx.commit().await?;
        h.done = true;
        Ok(h)
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
                sqlx::query_as("SELECT department_id, archived FROM employees WHERE id = $1")
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

/// What moves from `from`: counterparties they manage; their drafts, open
/// orders, documents whose current status is a reminder, and returns still
/// owed a replacement.
async fn handover_listing(conn: &mut Conn, from: i64, to: i64, on: NaiveDate) -> Result<Handover> {
    let cps = sqlx::query(
        "SELECT id, name FROM counterparties WHERE manager_id = $1 AND archived = 0 ORDER BY name, id",
    )
    .bind(from)
    .fetch_all(&mut *conn)
    .await?;
    let docs = sqlx::query(
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
