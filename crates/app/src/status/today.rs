//! The Today view: due reminders and documents by current status.

use super::*;

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

impl App {
    /// Whose work an actor may see: a manager their own; a head their
    /// department's (or one employee of it); an admin anyone's.
    pub(super) async fn scope(
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
        let mut conn = self.store.reader().acquire().await?;
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
                system = bind_all(sqlx::query(&sql), &params)
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
            e.1 += amount;
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
}

async fn dept_members(conn: &mut Conn, d: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT id FROM employees WHERE department_id = $1 ORDER BY name",
    )
    .bind(d)
    .fetch_all(&mut *conn)
    .await?)
}
