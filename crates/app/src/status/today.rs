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
    pub(crate) async fn scope(
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

    /// The Today view for the actor (a head: their department; an admin
    /// without a filter: the whole company, by department). A deputy also
    /// sees the work of whoever they cover on the day, marked as covered.
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
        let company =
            actor.role == kupets_domain::Role::Admin && employee.is_none() && department.is_none();
        let own = if company {
            sql::query_scalar::<i64>("SELECT id FROM employees ORDER BY name")
                .fetch_all(&mut *conn)
                .await?
        } else {
            self.scope(&mut conn, actor, employee, department, true)
                .await?
        };
        // Whoever the shown people cover today joins them, marked.
        let mut covered: HashMap<i64, i64> = HashMap::new();
        let mut people = own.clone();
        for (absent, deputy) in crate::responsible::covered_by(&mut conn, &own, on).await? {
            if !own.contains(&absent) {
                covered.entry(absent).or_insert(deputy);
                if !people.contains(&absent) {
                    people.push(absent);
                }
            }
        }
        let statuses: HashMap<i64, Status> = all_statuses(&mut conn)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let mut rows: Vec<TodayRow> = Vec::new();
        let mut due: Vec<TodayRow> = Vec::new();
        let mut counted: Vec<(i64, i64, i64, i64)> = Vec::new();
        let mut to_manager: Vec<TodayRow> = Vec::new();
        let mut system = Vec::new();
        if !people.is_empty() {
            // The current status on the day: the latest assignment (copied
            // onto the document) unless it lies ahead; only then is the
            // history searched, from the covering index
            // `status_assignments_current` alone.
            const CURRENT: &str = "CASE WHEN d.status_date <= $1 THEN d.status_id ELSE \
                (SELECT x.status_id FROM status_assignments x WHERE x.document_id = d.id AND x.effective_date <= $1 \
                 ORDER BY x.effective_date DESC, x.id DESC LIMIT 1) END";
            // The filters both queries share, from parameter `next`.
            let filters = |params: &mut Vec<P>, sql: &mut String| {
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
                    sql.push_str(&format!(" AND ({CURRENT}) = ${}", params.len()));
                }
            };
            // The latest assignment (copied onto the document) is current
            // unless it lies ahead; only then is the history searched (the
            // CASE keeps SQLite from running the subquery for every other
            // document). `s` (doc_status) is joined for shown rows only, for
            // the note.
            let select = "SELECT d.id, d.kind, d.number, d.doc_date, d.state, d.amount, d.counterparty_id, d.responsible_id, \
                   CASE WHEN d.status_date <= $1 THEN d.status_id ELSE a.status_id END AS status_id, \
                   CASE WHEN d.status_date <= $1 THEN d.status_date ELSE a.effective_date END AS effective_date, \
                   CASE WHEN d.status_date <= $1 THEN s.latest_note ELSE a.note END AS note";
            let history = "LEFT JOIN status_assignments a ON a.id = CASE WHEN d.status_date > $1 THEN \
                   (SELECT x.id FROM status_assignments x WHERE x.document_id = d.id AND x.effective_date <= $1 ORDER BY x.effective_date DESC, x.id DESC LIMIT 1) END";

            // The people's documents with a status, from one range of the
            // partial index `documents_today` (no seek per document): counted
            // per employee and status inside the database; only what is
            // shown (the newest 500, the due reminders) comes out as rows.
            let from_where = |params: &mut Vec<P>, shown: bool| {
                params.push(P::from(on.to_string()));
                params.extend(people.iter().map(|p| P::from(*p)));
                let mut sql = format!(
                    "FROM documents d {} \
                     WHERE d.responsible_id IN ({}) AND d.status_id IS NOT NULL AND d.state <> 'cancelled'",
                    if shown {
                        format!("{history} LEFT JOIN doc_status s ON s.document_id = d.id")
                    } else {
                        String::new()
                    },
                    placeholders(2, people.len())
                );
                filters(params, &mut sql);
                sql
            };
            let mut params = Vec::new();
            let sql = format!(
                "SELECT d.responsible_id, {CURRENT} AS status_id, COUNT(*) AS n, CAST(SUM(d.amount) AS BIGINT) AS amount {} \
                 GROUP BY 1, 2",
                from_where(&mut params, false)
            );
            counted = self
                .store
                .read_rows(sql, params, |r| {
                    (
                        r.int("responsible_id"),
                        r.opt_int("status_id"),
                        r.int("n"),
                        r.opt_int("amount").unwrap_or(0),
                    )
                })
                .await?
                .into_iter()
                .filter_map(|(e, s, n, a)| {
                    s.filter(|s| statuses.contains_key(s)).map(|s| (e, s, n, a))
                })
                .collect();
            let mut params = Vec::new();
            // The newest 500 picked from the index, then read (`$1`, the
            // day, is the same parameter inside and out).
            let sql = format!(
                "{select} FROM documents d {history} LEFT JOIN doc_status s ON s.document_id = d.id WHERE d.id IN \
                 (SELECT d.id {} AND {CURRENT} IS NOT NULL ORDER BY d.doc_date DESC, d.id DESC LIMIT 500)",
                from_where(&mut params, false)
            );
            rows = self.store.read_rows(sql, params, TodayRow::of).await?;
            rows.sort_by(|a, b| (b.doc_date.as_str(), b.id).cmp(&(a.doc_date.as_str(), a.id)));
            rows.retain(|r| r.status_id.is_some_and(|s| statuses.contains_key(&s)));
            let reminder_ids: Vec<i64> = statuses
                .values()
                .filter(|s| s.is_reminder)
                .map(|s| s.id)
                .collect();
            if !reminder_ids.is_empty() {
                let mut params = Vec::new();
                let mut sql = format!("{select} {}", from_where(&mut params, true));
                let first = params.len() + 1;
                params.extend(reminder_ids.iter().map(|i| P::from(*i)));
                let list = placeholders(first, reminder_ids.len());
                sql.push_str(&format!(" AND {CURRENT} IN ({list})"));
                due = self.store.read_rows(sql, params, TodayRow::of).await?;
            }
            // Reminders that reach the counterparty's manager, whoever is
            // responsible for the document (recalls, repairs ready).
            let manager_ids: Vec<i64> = statuses
                .values()
                .filter(|s| s.to_manager && s.is_reminder)
                .map(|s| s.id)
                .collect();
            if !manager_ids.is_empty() && status.is_none_or(|s| manager_ids.contains(&s)) {
                let mut params: Vec<P> = vec![P::from(on.to_string())];
                params.extend(people.iter().map(|p| P::from(*p)));
                params.extend(manager_ids.iter().map(|p| P::from(*p)));
                let mut sql = format!(
                    "{select} FROM doc_status s JOIN documents d ON d.id = s.document_id {history} \
                     JOIN counterparties cp ON cp.id = d.counterparty_id \
                     WHERE cp.manager_id IN ({}) AND s.latest_status_id IN ({}) AND s.latest_date <= $1 AND d.state <> 'cancelled'",
                    placeholders(2, people.len()),
                    placeholders(2 + people.len(), manager_ids.len())
                );
                filters(&mut params, &mut sql);
                let seen: std::collections::HashSet<i64> = due.iter().map(|r| r.id).collect();
                to_manager = self.store.read_rows(sql, params, TodayRow::of).await?;
                to_manager.retain(|r| !seen.contains(&r.id));
            }
            // Returns owed a replacement, until the replacement is shipped:
            // the client's manager's (the responsible's if there is none).
            if status.is_none() && kind.is_none_or(|k| k == DocKind::Return) {
                // Two index-friendly halves: returns of clients with no
                // manager by their responsible, and returns of the clients
                // the people manage.
                const OWED: &str = "d.kind = 'return' AND d.state = 'posted' AND d.replacement_required = 1 \
                     AND NOT EXISTS (SELECT 1 FROM documents r WHERE r.replacement_for_id = d.id AND r.kind = 'shipment' AND r.state = 'posted')";
                let mut params: Vec<P> = vec![P::from(on.to_string())];
                params.extend(people.iter().map(|p| P::from(*p)));
                let sql = format!(
                    "SELECT d.id, d.number, d.doc_date, d.amount, d.counterparty_id, d.responsible_id FROM documents d \
                     LEFT JOIN counterparties cp ON cp.id = d.counterparty_id \
                     WHERE d.responsible_id IN ({}) AND cp.manager_id IS NULL AND d.doc_date <= $1 AND {OWED}",
                    placeholders(2, people.len())
                );
                system = bind_all(sql::query(&sql), &params)
                    .fetch_all(&mut *conn)
                    .await?;
                let mut managed: Vec<i64> = Vec::new();
                for chunk in people.chunks(500) {
                    let params: Vec<P> = chunk.iter().map(|p| P::from(*p)).collect();
                    let rows = bind_all(
                        sql::query(&format!(
                            "SELECT id FROM counterparties WHERE manager_id IN ({})",
                            placeholders(1, chunk.len())
                        )),
                        &params,
                    )
                    .fetch_all(&mut *conn)
                    .await?;
                    managed.extend(rows.iter().map(|r| r.get::<i64, _>("id")));
                }
                for chunk in managed.chunks(500) {
                    let mut params: Vec<P> = vec![P::from(on.to_string())];
                    params.extend(chunk.iter().map(|p| P::from(*p)));
                    let sql = format!(
                        "SELECT d.id, d.number, d.doc_date, d.amount, d.counterparty_id, cp.manager_id AS responsible_id FROM documents d \
                         JOIN counterparties cp ON cp.id = d.counterparty_id \
                         WHERE d.counterparty_id IN ({}) AND d.doc_date <= $1 AND {OWED}",
                        placeholders(2, chunk.len())
                    );
                    system.extend(
                        bind_all(sql::query(&sql), &params)
                            .fetch_all(&mut *conn)
                            .await?,
                    );
                }
                system.sort_by(|a, b| {
                    (a.get::<String, _>("doc_date"), a.get::<i64, _>("id"))
                        .cmp(&(b.get::<String, _>("doc_date"), b.get::<i64, _>("id")))
                });
            }
        }
        // Names only for what is shown (the reminders and the newest 500
        // documents), not for every document counted.
        let documents_total: i64 = counted.iter().map(|c| c.2).sum();
        let cp_ids: Vec<i64> = rows
            .iter()
            .chain(due.iter())
            .chain(to_manager.iter())
            .filter_map(|r| r.counterparty_id)
            .chain(
                system
                    .iter()
                    .filter_map(|r| r.get::<Option<i64>, _>("counterparty_id")),
            )
            .collect();
        let cps = self.counterparty_names(&cp_ids).await?;
        let mut named: Vec<i64> = people.clone();
        named.extend(rows.iter().map(|r| r.responsible_id));
        named.extend(counted.iter().map(|c| c.0));
        named.extend(cps.values().filter_map(|c| c.1));
        named.extend(system.iter().map(|r| r.get::<i64, _>("responsible_id")));
        named.sort_unstable();
        named.dedup();
        let staff = employee_depts(&mut conn, &named).await?;
        let name_of = |e: i64| staff.get(&e).map(|s| s.0.clone()).unwrap_or_default();
        let dept_of = |e: i64| staff.get(&e).and_then(|s| s.1);
        let cover = |e: i64| -> (Option<i64>, Option<String>) {
            match covered.get(&e) {
                Some(_) => (Some(e), Some(name_of(e))),
                None => (None, None),
            }
        };
        let mut reminders = Vec::new();
        let shown: std::collections::HashSet<i64> = people.iter().copied().collect();
        for r in due.into_iter().chain(to_manager) {
            let Some(st) = r.status_id.and_then(|s| statuses.get(&s)) else {
                continue;
            };
            let cp = r.counterparty_id.and_then(|c| cps.get(&c));
            // Whose Today the reminder is on.
            let recipient = match (cp, st.to_manager) {
                (Some((_, Some(m))), true) => *m,
                _ => r.responsible_id,
            };
            if !st.is_reminder || !shown.contains(&recipient) {
                continue;
            }
            let (covered_for_id, covered_for_name) = cover(recipient);
            reminders.push(Reminder {
                document_id: r.id,
                kind: r.kind,
                number: r.number,
                doc_date: r.doc_date,
                counterparty_name: cp.map(|c| c.0.clone()),
                amount: r.amount,
                employee_id: recipient,
                employee_name: name_of(recipient),
                department_id: dept_of(recipient),
                status_code: st.code.clone(),
                status_name_ru: st.name_ru.clone(),
                status_name_en: st.name_en.clone(),
                days_overdue: crate::input::parse_date(&r.effective_date)
                    .map(|d| days_overdue(d, on))
                    .unwrap_or(0),
                effective_date: r.effective_date,
                note: r.note,
                system: st.to_manager,
                covered_for_id,
                covered_for_name,
            });
        }
        let mut documents = Vec::new();
        for r in rows {
            let st = &statuses[&r.status_id.unwrap_or(0)];
            let emp = r.responsible_id;
            let (covered_for_id, covered_for_name) = cover(emp);
            documents.push(StatusDoc {
                document_id: r.id,
                kind: r.kind,
                number: r.number,
                doc_date: r.doc_date,
                state: r.state,
                counterparty_name: r
                    .counterparty_id
                    .and_then(|c| cps.get(&c))
                    .map(|c| c.0.clone()),
                amount: r.amount,
                employee_id: emp,
                employee_name: name_of(emp),
                status_code: st.code.clone(),
                status_name_ru: st.name_ru.clone(),
                status_name_en: st.name_en.clone(),
                effective_date: r.effective_date,
                note: r.note,
                covered_for_id,
                covered_for_name,
            });
        }
        for r in &system {
            let emp: i64 = r.get("responsible_id");
            let number: String = r.get("number");
            let date: String = r.get("doc_date");
            let (covered_for_id, covered_for_name) = cover(emp);
            reminders.push(Reminder {
                document_id: r.get("id"),
                kind: DocKind::Return.code().into(),
                number: number.clone(),
                doc_date: date.clone(),
                counterparty_name: r
                    .get::<Option<i64>, _>("counterparty_id")
                    .and_then(|c| cps.get(&c).map(|c| c.0.clone())),
                amount: r.get("amount"),
                employee_id: emp,
                employee_name: name_of(emp),
                department_id: dept_of(emp),
                status_code: "replacement_due".into(),
                status_name_ru: "Отгрузить замену".into(),
                status_name_en: "Ship the replacement".into(),
                days_overdue: crate::input::parse_date(&date)
                    .map(|d| days_overdue(d, on))
                    .unwrap_or(0),
                effective_date: date,
                note: format!("Возврат {number}: клиенту положена замена"),
                system: true,
                covered_for_id,
                covered_for_name,
            });
        }
        reminders.sort_by(|a, b| {
            (a.effective_date.as_str(), a.document_id)
                .cmp(&(b.effective_date.as_str(), b.document_id))
        });
        let mut by_status: Vec<StatusCount> = counted
            .into_iter()
            .map(|(emp, sid, count, amount)| {
                let st = &statuses[&sid];
                StatusCount {
                    employee_id: emp,
                    employee_name: name_of(emp),
                    department_id: dept_of(emp),
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
        let departments = if company {
            company_departments(&mut conn, &reminders, &by_status).await?
        } else {
            Vec::new()
        };
        let mut covering: Vec<(String, String)> = covered
            .keys()
            .map(|e| (e.to_string(), name_of(*e)))
            .collect();
        covering.sort_by(|a, b| a.1.cmp(&b.1));

        Ok(Today {
            date: on.to_string(),
            employees: own.iter().map(|p| (p.to_string(), name_of(*p))).collect(),
            covering,
            reminders,
            by_status,
            documents,
            documents_total,
            departments,
        })
    }
}

/// id → (name, department) of the employees given.
async fn employee_depts(
    conn: &mut Conn,
    ids: &[i64],
) -> Result<HashMap<i64, (String, Option<i64>)>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let params: Vec<P> = chunk.iter().map(|i| P::from(*i)).collect();
        let rows = bind_all(
            sql::query(&format!(
                "SELECT id, name, department_id FROM employees WHERE id IN ({})",
                placeholders(1, chunk.len())
            )),
            &params,
        )
        .fetch_all(&mut *conn)
        .await?;
        out.extend(rows.iter().map(|r| {
            (
                r.get::<i64, _>("id"),
                (
                    r.get::<String, _>("name"),
                    r.get::<Option<i64>, _>("department_id"),
                ),
            )
        }));
    }
    Ok(out)
}

/// The company's Today by department: reminders and documents with a status
/// per department, and last those of employees of no department.
async fn company_departments(
    conn: &mut Conn,
    reminders: &[Reminder],
    by_status: &[StatusCount],
) -> Result<Vec<TodayDepartment>> {
    let rows = sql::query("SELECT id, name FROM departments ORDER BY name, id")
        .fetch_all(&mut *conn)
        .await?;
    let mut out: Vec<TodayDepartment> = rows
        .iter()
        .map(|r| TodayDepartment {
            department_id: Some(r.get("id")),
            name: r.get("name"),
            reminders: 0,
            documents: 0,
        })
        .collect();
    out.push(TodayDepartment {
        department_id: None,
        name: String::new(),
        reminders: 0,
        documents: 0,
    });
    for r in reminders {
        if let Some(d) = out.iter_mut().find(|d| d.department_id == r.department_id) {
            d.reminders += 1;
        }
    }
    for c in by_status {
        if let Some(d) = out.iter_mut().find(|d| d.department_id == c.department_id) {
            d.documents += c.count;
        }
    }
    Ok(out)
}

async fn dept_members(conn: &mut Conn, d: i64) -> Result<Vec<i64>> {
    Ok(
        sql::query_scalar::<i64>("SELECT id FROM employees WHERE department_id = $1 ORDER BY name")
            .bind(d)
            .fetch_all(&mut *conn)
            .await?,
    )
}
