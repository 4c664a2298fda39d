//! Handing a leaving employee's work over — all of it: the counterparties
//! they manage and every document they are responsible for, of every kind
//! and state, so that no current or future reminder stays with them. The
//! work may be split by document kind or by counterparty between receivers.

use super::*;
use crate::input::truthy;

/// Who receives one kind of document, or one counterparty (with its
/// documents).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct HandoverRule {
    /// A document kind code (`repair`, …)…
    #[serde(default, deserialize_with = "lenient")]
    pub kind: Option<String>,
    /// …or a counterparty.
    #[serde(default, deserialize_with = "lenient")]
    pub counterparty_id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub to_employee_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct HandoverInput {
    #[serde(default, deserialize_with = "lenient")]
    pub from_employee_id: Option<String>,
    /// Who receives everything no rule names.
    #[serde(default, deserialize_with = "lenient")]
    pub to_employee_id: Option<String>,
    /// Documents of a kind to another receiver (first: a kind rule wins).
    #[serde(default)]
    pub by_kind: Vec<HandoverRule>,
    /// A counterparty and its documents to another receiver.
    #[serde(default)]
    pub by_counterparty: Vec<HandoverRule>,
    /// `true`: the person has seen the preview and confirms (required to
    /// hand over; the preview ignores it).
    #[serde(default, deserialize_with = "lenient")]
    pub confirm: Option<String>,
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
    /// Why it moves: `manager` (a counterparty); for documents `draft`,
    /// `open_order`, `reminder` (a current or future reminder),
    /// `replacement_due`, else its state (`posted`, `cancelled`).
    pub reason: String,
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub to_employee_id: i64,
}

/// A current or future reminder that will reach a receiver.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MovedReminder {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub document_id: i64,
    pub kind: String,
    pub number: String,
    pub status_code: String,
    pub status_name_ru: String,
    pub status_name_en: String,
    pub effective_date: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindCount {
    pub kind: String,
    pub count: i64,
}

/// What one receiver gets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiverGroup {
    #[serde(serialize_with = "ser::id")]
    #[schema(value_type = String)]
    pub employee_id: i64,
    pub employee_name: String,
    pub counterparties: Vec<Moved>,
    /// Documents by kind.
    pub kinds: Vec<KindCount>,
    pub documents: Vec<Moved>,
    /// The reminders that will now reach them, soonest first.
    pub reminders: Vec<MovedReminder>,
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
    /// Grouped by receiver.
    pub receivers: Vec<ReceiverGroup>,
    pub done: bool,
}

/// The checked input: from, default receiver, kind → receiver,
/// counterparty → receiver.
struct Plan {
    from: i64,
    to: i64,
    by_kind: HashMap<String, i64>,
    by_cp: HashMap<i64, i64>,
}

impl Plan {
    fn for_cp(&self, cp: i64) -> i64 {
        self.by_cp.get(&cp).copied().unwrap_or(self.to)
    }
    fn for_doc(&self, kind: &str, cp: Option<i64>) -> i64 {
        self.by_kind
            .get(kind)
            .copied()
            .or_else(|| cp.and_then(|c| self.by_cp.get(&c).copied()))
            .unwrap_or(self.to)
    }
}

impl App {
    /// What a hand-over would move, grouped by receiver; nothing changes.
    pub async fn handover_preview(&self, actor: &Actor, input: &HandoverInput) -> Result<Handover> {
        let mut conn = self.store.read_conn().await?;
        let plan = self.handover_plan(&mut conn, actor, input).await?;
        handover_listing(&mut conn, &plan, today()).await
    }

    /// Moves everything the leaving employee is responsible for, in one
    /// transaction; what moves is exactly what the preview lists at that
    /// moment. Needs `confirm`.
    pub async fn handover(&self, actor: &Actor, input: &HandoverInput) -> Result<Handover> {
        write_tx!(self, [actor, input], |app, tx| {
            let plan = app.handover_plan(&mut tx, actor, input).await?;
            if !truthy(&input.confirm) {
                return Err(AppError::field(
                    "confirm",
                    "not_confirmed",
                    "Просмотрите, что будет передано, и подтвердите передачу",
                    "Review what moves and confirm the hand-over",
                ));
            }
            let mut h = handover_listing(&mut tx, &plan, today()).await?;
            for (table, col, items) in [
                ("counterparties", "manager_id", &h.counterparties),
                ("documents", "responsible_id", &h.documents),
            ] {
                let mut per: HashMap<i64, Vec<i64>> = HashMap::new();
                for m in items {
                    per.entry(m.to_employee_id).or_default().push(m.id);
                }
                for (to, ids) in per {
                    for chunk in ids.chunks(500) {
                        let mut params = vec![P::from(to), P::from(plan.from)];
                        params.extend(chunk.iter().map(|m| P::from(*m)));
                        bind_all(
                            sql::query(&format!(
                                "UPDATE {table} SET {col} = $1 WHERE {col} = $2 AND id IN ({})",
                                placeholders(3, chunk.len())
                            )),
                            &params,
                        )
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            let split: Vec<String> = h
                .receivers
                .iter()
                .map(|g| {
                    format!(
                        "{}: counterparties={} documents={} reminders={}",
                        g.employee_id,
                        g.counterparties.len(),
                        g.documents.len(),
                        g.reminders.len()
                    )
                })
                .collect();
            audit(
                &mut tx,
                Some(actor.id()),
                "handover",
                "employee",
                plan.from,
                &format!(
                    "to={} counterparties={} documents={}; {}",
                    plan.to,
                    h.counterparties.len(),
                    h.documents.len(),
                    split.join("; ")
                ),
            )
            .await?;
            h.done = true;
            Ok(h)
        })
    }

    async fn handover_plan(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        input: &HandoverInput,
    ) -> Result<Plan> {
        actor.require(Right::LeadDepartment)?;
        let mut c = Check::new();
        let from = c.id("from_employee_id", &input.from_employee_id);
        let to = c.id("to_employee_id", &input.to_employee_id);
        let mut receivers: Vec<(String, i64)> = vec![("to_employee_id".into(), to)];
        let mut by_kind = HashMap::new();
        for (i, r) in input.by_kind.iter().enumerate() {
            let field = format!("by_kind[{i}].kind");
            let k = r.kind.as_deref().map(str::trim).unwrap_or("");
            let kind = DocKind::parse(k);
            if kind.is_none() {
                c.err(
                    &field,
                    "invalid_kind",
                    format!("Нет вида документов «{k}»"),
                    format!("No document kind '{k}'"),
                );
            }
            let rf = format!("by_kind[{i}].to_employee_id");
            let r = c.id(&rf, &r.to_employee_id);
            if let Some(kind) = kind {
                by_kind.insert(kind.code().to_string(), r);
            }
            receivers.push((rf, r));
        }
        let mut by_cp = HashMap::new();
        for (i, r) in input.by_counterparty.iter().enumerate() {
            let cp = c.id(
                &format!("by_counterparty[{i}].counterparty_id"),
                &r.counterparty_id,
            );
            let rf = format!("by_counterparty[{i}].to_employee_id");
            let r = c.id(&rf, &r.to_employee_id);
            by_cp.insert(cp, r);
            receivers.push((rf, r));
        }
        for (field, id) in &receivers {
            if from != 0 && *id == from {
                c.err(
                    field,
                    "same_employee",
                    "Передать дела можно только другому сотруднику",
                    "Hand over to another employee",
                );
            }
        }
        c.done()?;
        let mut c = Check::new();
        let mut depts = Vec::new();
        let mut checks = vec![("from_employee_id".to_string(), from)];
        checks.extend(receivers.iter().cloned());
        for (field, id) in &checks {
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
                    if field != "from_employee_id" && archived != 0 {
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
        for (i, r) in input.by_counterparty.iter().enumerate() {
            let cp: i64 = r
                .counterparty_id
                .as_deref()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0);
            let m: Option<Option<i64>> =
                sql::query_scalar("SELECT manager_id FROM counterparties WHERE id = $1")
                    .bind(cp)
                    .fetch_optional(&mut *conn)
                    .await?;
            if m.is_none() {
                c.err(
                    &format!("by_counterparty[{i}].counterparty_id"),
                    "not_found",
                    format!("Контрагент {cp} не найден"),
                    format!("No counterparty {cp}"),
                );
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
        Ok(Plan {
            from,
            to,
            by_kind,
            by_cp,
        })
    }
}

/// Everything that moves from `plan.from`: the counterparties they manage
/// and every document they are responsible for, with its receiver; and the
/// current or future reminders each receiver will get.
async fn handover_listing(conn: &mut Conn, plan: &Plan, on: NaiveDate) -> Result<Handover> {
    let from = plan.from;
    let cps =
        sql::query("SELECT id, name FROM counterparties WHERE manager_id = $1 ORDER BY name, id")
            .bind(from)
            .fetch_all(&mut *conn)
            .await?;
    // The current assignment of document `d` on $2.
    let current = super::in_force("id", "d.id", "$2");
    let docs = sql::query(&format!(
        "SELECT d.id, d.kind, d.number, d.counterparty_id, \
           CASE WHEN d.state = 'draft' THEN 'draft' \
                WHEN d.state = 'cancelled' THEN 'cancelled' \
                WHEN d.kind = 'return' AND d.replacement_required = 1 AND NOT EXISTS (SELECT 1 FROM documents r WHERE r.replacement_for_id = d.id AND r.kind = 'shipment' AND r.state = 'posted') THEN 'replacement_due' \
                WHEN d.kind IN ('sales_order', 'purchase_order') AND EXISTS (SELECT 1 FROM document_lines l WHERE l.document_id = d.id AND l.qty - l.closed_qty > \
                   (SELECT COALESCE(SUM(x.qty), 0) FROM document_lines x JOIN documents y ON y.id = x.document_id WHERE x.base_line_id = l.id AND y.state = 'posted' AND y.kind IN ('shipment', 'receipt'))) THEN 'open_order' \
                WHEN EXISTS (SELECT 1 FROM status_assignments a JOIN statuses st ON st.id = a.status_id \
                     WHERE a.document_id = d.id AND st.is_reminder = 1 AND (a.effective_date > $2 OR a.id = {current})) THEN 'reminder' \
                ELSE d.state END AS reason \
         FROM documents d WHERE d.responsible_id = $1 ORDER BY d.doc_date, d.id"
    ))
    .bind(from)
    .bind(on.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let counterparties: Vec<Moved> = cps
        .iter()
        .map(|r| Moved {
            id: r.get("id"),
            kind: "counterparty".into(),
            title: r.get("name"),
            reason: "manager".into(),
            to_employee_id: plan.for_cp(r.get("id")),
        })
        .collect();
    let documents: Vec<Moved> = docs
        .iter()
        .map(|r| {
            let kind: String = r.get("kind");
            Moved {
                id: r.get("id"),
                to_employee_id: plan.for_doc(&kind, r.get("counterparty_id")),
                kind,
                title: r.get("number"),
                reason: r.get("reason"),
            }
        })
        .collect();
    // Current or future reminders on what moves: on the leaving person's
    // documents, and the client's-manager reminders on their clients'
    // documents (whoever is responsible for those).
    let rem = sql::query(&format!(
        "SELECT d.id AS document_id, d.kind, d.number, d.responsible_id, d.counterparty_id, c.manager_id, \
           st.code, st.name_ru, st.name_en, st.to_manager, a.effective_date, a.note \
         FROM status_assignments a JOIN statuses st ON st.id = a.status_id JOIN documents d ON d.id = a.document_id \
         LEFT JOIN counterparties c ON c.id = d.counterparty_id \
         WHERE st.is_reminder = 1 AND d.state <> 'cancelled' AND (a.effective_date > $2 OR a.id = {current}) \
           AND (d.responsible_id = $1 OR (c.manager_id = $1 AND st.to_manager = 1)) \
         ORDER BY a.effective_date, d.id"
    ))
    .bind(from)
    .bind(on.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut reminders: Vec<(i64, MovedReminder)> = Vec::new();
    for r in &rem {
        let manager: Option<i64> = r.get("manager_id");
        let cp: Option<i64> = r.get("counterparty_id");
        let kind: String = r.get("kind");
        let to_manager = r.get::<i64, _>("to_manager") != 0;
        let receiver = match (to_manager, manager, cp) {
            // The client's manager gets it: the receiver of the client if
            // it moves, else nobody of this hand-over.
            (true, Some(m), Some(cp)) if m == from => plan.for_cp(cp),
            (true, Some(_), _) => continue,
            _ => plan.for_doc(&kind, cp),
        };
        reminders.push((
            receiver,
            MovedReminder {
                document_id: r.get("document_id"),
                kind,
                number: r.get("number"),
                status_code: r.get("code"),
                status_name_ru: r.get("name_ru"),
                status_name_en: r.get("name_en"),
                effective_date: r.get("effective_date"),
                note: r.get("note"),
            },
        ));
    }
    let mut ids: Vec<i64> = vec![plan.to];
    ids.extend(counterparties.iter().map(|m| m.to_employee_id));
    ids.extend(documents.iter().map(|m| m.to_employee_id));
    ids.extend(plan.by_kind.values());
    ids.extend(plan.by_cp.values());
    ids.sort_unstable();
    ids.dedup();
    let names = employee_names(conn, &ids).await?;
    let mut receivers: Vec<ReceiverGroup> = ids
        .iter()
        .map(|e| {
            let docs: Vec<Moved> = documents
                .iter()
                .filter(|m| m.to_employee_id == *e)
                .cloned()
                .collect();
            let mut kinds: Vec<KindCount> = Vec::new();
            for d in &docs {
                match kinds.iter_mut().find(|k| k.kind == d.kind) {
                    Some(k) => k.count += 1,
                    None => kinds.push(KindCount {
                        kind: d.kind.clone(),
                        count: 1,
                    }),
                }
            }
            kinds.sort_by(|a, b| a.kind.cmp(&b.kind));
            ReceiverGroup {
                employee_id: *e,
                employee_name: names.get(e).cloned().unwrap_or_default(),
                counterparties: counterparties
                    .iter()
                    .filter(|m| m.to_employee_id == *e)
                    .cloned()
                    .collect(),
                kinds,
                documents: docs,
                reminders: reminders
                    .iter()
                    .filter(|(r, _)| r == e)
                    .map(|(_, m)| m.clone())
                    .collect(),
            }
        })
        .collect();
    receivers.sort_by(|a, b| a.employee_name.cmp(&b.employee_name));
    Ok(Handover {
        from_employee_id: from,
        to_employee_id: plan.to,
        counterparties,
        documents,
        receivers,
        done: false,
    })
}
