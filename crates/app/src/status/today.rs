//! The Today view: due reminders and documents by current status.

use super::*;

/// The parsed filter of a Today view.
struct TodayArgs {
    employee: Option<i64>,
    department: Option<i64>,
    status: Option<i64>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    on: NaiveDate,
    kind: Option<DocKind>,
    /// The page of reminders.
    offset: usize,
    limit: usize,
}

/// Rows of a query on the view's connection, read by `map`.
async fn rows_of<T>(
    conn: &mut Conn,
    sql: &str,
    params: &[P],
    map: fn(&dyn RowGet) -> T,
) -> Result<Vec<T>> {
    Ok(bind_all(sql::query(sql), params)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| map(r))
        .collect())
}

/// id → (name, manager) of the counterparties given.
async fn counterparty_names(
    conn: &mut Conn,
    ids: &[i64],
) -> Result<HashMap<i64, (String, Option<i64>)>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let params: Vec<P> = chunk.iter().map(|i| P::from(*i)).collect();
        let rows = rows_of(
            conn,
            &format!(
                "SELECT id, name, manager_id FROM counterparties WHERE id IN ({})",
                placeholders(1, chunk.len())
            ),
            &params,
            |r| (r.int("id"), (r.text("name"), r.opt_int("manager_id"))),
        )
        .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Reminders on a page of Today unless asked otherwise, and at most.
const DEFAULT_REMINDERS: usize = 200;
const MAX_REMINDERS: usize = 1000;

/// At most this many documents are shown (newest first); all are counted.
const SHOWN_DOCUMENTS: usize = 200;

/// A document with its current status on the day, as the index holds it.
#[derive(Clone)]
struct Cand {
    id: i64,
    responsible_id: i64,
    doc_date: String,
    amount: i64,
    counterparty_id: Option<i64>,
    status_id: i64,
    effective_date: String,
    /// The assignment in force is not the latest: its note is read from
    /// the history.
    from_history: bool,
}

impl Cand {
    /// None: no assignment of the document is in force on the day.
    fn of(r: &dyn RowGet) -> Option<Cand> {
        Some(Cand {
            id: r.int("id"),
            responsible_id: r.int("responsible_id"),
            doc_date: r.text("doc_date"),
            amount: r.int("amount"),
            counterparty_id: r.opt_int("counterparty_id"),
            status_id: r.opt_int("status_id")?,
            effective_date: r.opt_text("effective_date")?,
            from_history: r.int("from_history") != 0,
        })
    }
}

/// What is read of a shown document beyond the index.
struct Detail {
    kind: String,
    number: String,
    state: String,
    note: String,
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
        let limit = match f.limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => DEFAULT_REMINDERS,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=MAX_REMINDERS).contains(&n) => n,
                _ => {
                    c.err(
                        "limit",
                        "invalid_limit",
                        format!("Напоминаний на странице: от 1 до {MAX_REMINDERS}"),
                        format!("Reminders per page: 1 to {MAX_REMINDERS}"),
                    );
                    DEFAULT_REMINDERS
                }
            },
        };
        let offset = match f.cursor.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => 0,
            Some(v) => v.parse::<u32>().map(|n| n as usize).unwrap_or_else(|_| {
                c.err(
                    "cursor",
                    "invalid_cursor",
                    "Неверная позиция в списке напоминаний",
                    "Not a position in the reminders",
                );
                0
            }),
        };
        c.done()?;
        // Every statement of the view in one hop to a reader (on SQLite a
        // rusqlite connection on a blocking thread): a deputy's Today runs a
        // dozen of them, each a thread hand-off on sqlx's worker otherwise.
        let app = self.clone();
        let actor = actor.clone();
        let args = TodayArgs {
            employee,
            department,
            status,
            from,
            to,
            on,
            kind,
            offset,
            limit,
        };
        self.store
            .read(move |conn: &mut kupets_store::Tx| {
                let fut: kupets_store::BoxFuture<'_, Result<Today>> =
                    Box::pin(async move { app.today_in(conn, &actor, args).await });
                fut
            })
            .await
    }

    async fn today_in(&self, conn: &mut Conn, actor: &Actor, args: TodayArgs) -> Result<Today> {
        let TodayArgs {
            employee,
            department,
            status,
            from,
            to,
            on,
            kind,
            offset,
            limit,
        } = args;
        let company =
            actor.role == kupets_domain::Role::Admin && employee.is_none() && department.is_none();
        let own = if company {
            sql::query_scalar::<i64>("SELECT id FROM employees ORDER BY name")
                .fetch_all(&mut *conn)
                .await?
        } else {
            self.scope(conn, actor, employee, department, true).await?
        };
        // Whoever the shown people cover today joins them, marked.
        let mut covered: HashMap<i64, i64> = HashMap::new();
        let mut people = own.clone();
        for (absent, deputy) in crate::responsible::covered_by(conn, &own, on).await? {
            if !own.contains(&absent) {
                covered.entry(absent).or_insert(deputy);
                if !people.contains(&absent) {
                    people.push(absent);
                }
            }
        }
        let statuses: HashMap<i64, Status> = all_statuses(conn)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let shown: std::collections::HashSet<i64> = people.iter().copied().collect();
        let mut counted: Vec<(i64, i64, i64, i64)> = Vec::new();
        // The documents shown (the newest 200) and every due reminder with
        // its recipient, first as index entries only: text is read for
        // what is shown, not for everything counted.
        let mut newest: Vec<Cand> = Vec::new();
        let mut due: Vec<(Cand, i64)> = Vec::new();
        // How many reminders each person has: the plain settled ones counted
        // in the database (only the first page's worth of them read), the
        // others as read.
        let mut plain_total: i64 = 0;
        let mut plain_per_person: HashMap<i64, i64> = HashMap::new();
        let mut extra_per_person: HashMap<i64, i64> = HashMap::new();
        let mut system = Vec::new();
        if !people.is_empty() {
            // The current status on the day, searched in the history (the
            // covering index `status_assignments_current` alone) for the
            // documents whose copy is not in force on the day.
            let ahead_status = in_force("status_id", "d.id", "$1");
            let ahead_date = in_force("effective_date", "d.id", "$1");
            // What the partial index `documents_today` holds of a document.
            const CAND: &str = "d.id, d.responsible_id, d.doc_date, d.amount, d.counterparty_id";
            // The copy on the document is in force; its note is the latest
            // assignment's unless a later one is still to come.
            const SETTLED: &str = "d.status_id AS status_id, d.status_date AS effective_date, \
                 CAST(CASE WHEN d.status_next IS NULL THEN 0 ELSE 1 END AS BIGINT) AS from_history";
            // The filters every query shares, from parameter `next`; `cur`
            // reads the current status.
            let filters = |params: &mut Vec<P>, sql: &mut String, cur: &str| {
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
                    sql.push_str(&format!(" AND {cur} = ${}", params.len()));
                }
            };
            // The people's documents with a status fall in two halves:
            // - "settled" ones, whose copy of the status is in force on the
            //   day (its date on or before it, the next assignment's after
            //   it; migration 0020): counted and picked inside the database
            //   from ranges of the partial index `documents_today` (no seek
            //   per document). For today that is nearly all of them, once
            //   the server has brought the day's statuses up to date;
            // - the others (a past day, or a next assignment come since):
            //   one seek each in the history, so they are read once and
            //   counted and picked here.
            let half = |params: &mut Vec<P>, settled: bool| -> String {
                params.push(P::from(on.to_string()));
                params.extend(people.iter().map(|p| P::from(*p)));
                let mut sql = format!(
                    "WHERE d.responsible_id IN ({}) AND {}",
                    placeholders(2, people.len()),
                    if settled {
                        "d.status_id IS NOT NULL AND d.status_date <= $1 AND (d.status_next IS NULL OR d.status_next > $1) \
                         AND d.state <> 'cancelled'"
                    } else {
                        "(d.status_id IS NOT NULL OR d.status_next IS NOT NULL) AND d.state <> 'cancelled' \
                         AND (d.status_id IS NULL OR d.status_date > $1 OR d.status_next <= $1)"
                    }
                );
                filters(
                    params,
                    &mut sql,
                    if settled {
                        "d.status_id"
                    } else {
                        &ahead_status
                    },
                );
                sql
            };
            let known = |c: &Option<Cand>| {
                c.as_ref()
                    .is_some_and(|c| statuses.contains_key(&c.status_id))
            };
            let mut params = Vec::new();
            let sql = format!(
                "SELECT {CAND}, {ahead_status} AS status_id, {ahead_date} AS effective_date, CAST(1 AS BIGINT) AS from_history \
                 FROM documents d {}",
                half(&mut params, false)
            );
            let ahead: Vec<Cand> = rows_of(conn, &sql, &params, Cand::of)
                .await?
                .into_iter()
                .filter(known)
                .flatten()
                .collect();

            let mut params = Vec::new();
            let sql = format!(
                "SELECT d.responsible_id, d.status_id AS status_id, COUNT(*) AS n, CAST(SUM(d.amount) AS BIGINT) AS amount \
                 FROM documents d {} GROUP BY 1, 2",
                half(&mut params, true)
            );
            let settled_counts = rows_of(conn, &sql, &params, |r| {
                (
                    r.int("responsible_id"),
                    r.int("status_id"),
                    r.int("n"),
                    r.opt_int("amount").unwrap_or(0),
                )
            })
            .await?;
            let mut sums: HashMap<(i64, i64), (i64, i64)> = HashMap::new();
            for (e, s, n, a) in settled_counts.iter().copied().chain(
                ahead
                    .iter()
                    .map(|c| (c.responsible_id, c.status_id, 1, c.amount)),
            ) {
                if statuses.contains_key(&s) {
                    let x = sums.entry((e, s)).or_default();
                    x.0 += n;
                    x.1 = x.1.saturating_add(a);
                }
            }
            counted = sums
                .into_iter()
                .map(|((e, s), (n, a))| (e, s, n, a))
                .collect();

            // The newest 200: of the settled ones sorted in the database,
            // merged with those ahead.
            let mut params = Vec::new();
            let sql = format!(
                "SELECT {CAND}, {SETTLED} FROM documents d {} ORDER BY d.doc_date DESC, d.id DESC LIMIT {SHOWN_DOCUMENTS}",
                half(&mut params, true)
            );
            newest = rows_of(conn, &sql, &params, Cand::of)
                .await?
                .into_iter()
                .filter(known)
                .flatten()
                .collect();
            newest.extend(ahead.iter().cloned());
            newest.sort_by(|a, b| (b.doc_date.as_str(), b.id).cmp(&(a.doc_date.as_str(), a.id)));
            newest.truncate(SHOWN_DOCUMENTS);

            // Reminders of the responsible ("plain") among the settled
            // documents: counted above per person, so only the first
            // `offset + limit` by date are read (the index gives them
            // their dates); all others — those of statuses that go to the
            // client's manager, and those searched in the history — are
            // read whole (few).
            let plain: Vec<i64> = statuses
                .values()
                .filter(|s| s.is_reminder && !s.to_manager)
                .map(|s| s.id)
                .collect();
            let to_mgr: Vec<i64> = statuses
                .values()
                .filter(|s| s.is_reminder && s.to_manager)
                .map(|s| s.id)
                .collect();
            for (e, s, n, _) in &settled_counts {
                if plain.contains(s) {
                    plain_total += n;
                    *plain_per_person.entry(*e).or_default() += n;
                }
            }
            // Each with whether it is among the counted plain ones.
            let mut found: Vec<(Cand, bool)> = Vec::new();
            for (ids, cap) in [(&plain, Some(offset + limit)), (&to_mgr, None)] {
                if ids.is_empty() {
                    continue;
                }
                let mut params = Vec::new();
                let mut sql = format!(
                    "SELECT {CAND}, {SETTLED} FROM documents d {}",
                    half(&mut params, true)
                );
                let first = params.len() + 1;
                params.extend(ids.iter().map(|i| P::from(*i)));
                sql.push_str(&format!(
                    " AND d.status_id IN ({})",
                    placeholders(first, ids.len())
                ));
                if let Some(cap) = cap {
                    sql.push_str(&format!(" ORDER BY d.status_date, d.id LIMIT {cap}"));
                }
                found.extend(
                    rows_of(conn, &sql, &params, Cand::of)
                        .await?
                        .into_iter()
                        .flatten()
                        .map(|c| (c, cap.is_some())),
                );
            }
            found.extend(
                ahead
                    .iter()
                    .filter(|c| plain.contains(&c.status_id) || to_mgr.contains(&c.status_id))
                    .map(|c| (c.clone(), false)),
            );
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
                    "SELECT {CAND}, s.latest_status_id AS status_id, s.latest_date AS effective_date, CAST(0 AS BIGINT) AS from_history \
                     FROM doc_status s JOIN documents d ON d.id = s.document_id \
                     JOIN counterparties cp ON cp.id = d.counterparty_id \
                     WHERE cp.manager_id IN ({}) AND s.latest_status_id IN ({}) AND s.latest_date <= $1 AND d.state <> 'cancelled'",
                    placeholders(2, people.len()),
                    placeholders(2 + people.len(), manager_ids.len())
                );
                filters(&mut params, &mut sql, "s.latest_status_id");
                let seen: std::collections::HashSet<i64> = found.iter().map(|c| c.0.id).collect();
                found.extend(
                    rows_of(conn, &sql, &params, Cand::of)
                        .await?
                        .into_iter()
                        .flatten()
                        .filter(|c| !seen.contains(&c.id))
                        .map(|c| (c, false)),
                );
            }
            // Whose Today each reminder is on: the responsible's, or for a
            // status that goes to the manager, the client's manager's.
            let managed: Vec<i64> = found
                .iter()
                .filter(|c| statuses.get(&c.0.status_id).is_some_and(|s| s.to_manager))
                .filter_map(|c| c.0.counterparty_id)
                .collect();
            let managers = counterparty_names(conn, &managed).await?;
            for (c, counted) in found {
                let Some(st) = statuses.get(&c.status_id) else {
                    continue;
                };
                let recipient = match (
                    c.counterparty_id.and_then(|cp| managers.get(&cp)),
                    st.to_manager,
                ) {
                    (Some((_, Some(m))), true) => *m,
                    _ => c.responsible_id,
                };
                if counted {
                    due.push((c, recipient));
                } else if shown.contains(&recipient) {
                    *extra_per_person.entry(recipient).or_default() += 1;
                    due.push((c, recipient));
                }
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
        // Every reminder's place, oldest first; only a page of them is read
        // in full (a deputy's Today may hold thousands).
        enum Item {
            Due(usize),
            System(usize),
        }
        let mut items: Vec<(String, i64, Item)> = due
            .iter()
            .enumerate()
            .map(|(i, (c, _))| (c.effective_date.clone(), c.id, Item::Due(i)))
            .chain(system.iter().enumerate().map(|(i, r)| {
                (
                    r.get::<String, _>("doc_date"),
                    r.get::<i64, _>("id"),
                    Item::System(i),
                )
            }))
            .collect();
        items.sort_by(|a, b| (a.0.as_str(), a.1).cmp(&(b.0.as_str(), b.1)));
        let recipient = |it: &Item| -> i64 {
            match it {
                Item::Due(i) => due[*i].1,
                Item::System(i) => system[*i].get("responsible_id"),
            }
        };
        for r in &system {
            *extra_per_person
                .entry(r.get::<i64, _>("responsible_id"))
                .or_default() += 1;
        }
        let reminders_total = plain_total + extra_per_person.values().sum::<i64>();
        let next_cursor =
            (((offset + limit) as i64) < reminders_total).then(|| (offset + limit).to_string());
        let page: Vec<&Item> = items
            .iter()
            .skip(offset)
            .take(limit)
            .map(|x| &x.2)
            .collect();
        let text = details(
            conn,
            on,
            page.iter()
                .filter_map(|it| match it {
                    Item::Due(i) => Some(&due[*i].0),
                    Item::System(_) => None,
                })
                .chain(newest.iter()),
        )
        .await?;
        // Names only for what is shown, not for every document counted.
        let documents_total: i64 = counted.iter().map(|c| c.2).sum();
        let cp_ids: Vec<i64> = page
            .iter()
            .filter_map(|it| match it {
                Item::Due(i) => due[*i].0.counterparty_id,
                Item::System(i) => system[*i].get::<Option<i64>, _>("counterparty_id"),
            })
            .chain(newest.iter().filter_map(|c| c.counterparty_id))
            .collect();
        let cps = counterparty_names(conn, &cp_ids).await?;
        let mut named: Vec<i64> = people.clone();
        named.extend(newest.iter().map(|c| c.responsible_id));
        named.extend(counted.iter().map(|c| c.0));
        named.extend(items.iter().map(|x| recipient(&x.2)));
        named.extend(plain_per_person.keys().chain(extra_per_person.keys()));
        named.sort_unstable();
        named.dedup();
        let staff = employee_depts(conn, &named).await?;
        let name_of = |e: i64| staff.get(&e).map(|s| s.0.clone()).unwrap_or_default();
        let dept_of = |e: i64| staff.get(&e).and_then(|s| s.1);
        let cover = |e: i64| -> (Option<i64>, Option<String>) {
            match covered.get(&e) {
                Some(_) => (Some(e), Some(name_of(e))),
                None => (None, None),
            }
        };
        let cp_name = |c: Option<i64>| c.and_then(|c| cps.get(&c)).map(|c| c.0.clone());
        let mut reminders = Vec::new();
        for it in page {
            let emp = recipient(it);
            let (covered_for_id, covered_for_name) = cover(emp);
            match it {
                Item::Due(i) => {
                    let c = &due[*i].0;
                    let (Some(st), Some(d)) = (statuses.get(&c.status_id), text.get(&c.id)) else {
                        continue;
                    };
                    reminders.push(Reminder {
                        document_id: c.id,
                        kind: d.kind.clone(),
                        number: d.number.clone(),
                        doc_date: c.doc_date.clone(),
                        counterparty_name: cp_name(c.counterparty_id),
                        amount: c.amount,
                        employee_id: emp,
                        employee_name: name_of(emp),
                        department_id: dept_of(emp),
                        status_code: st.code.clone(),
                        status_name_ru: st.name_ru.clone(),
                        status_name_en: st.name_en.clone(),
                        days_overdue: crate::input::parse_date(&c.effective_date)
                            .map(|d| days_overdue(d, on))
                            .unwrap_or(0),
                        effective_date: c.effective_date.clone(),
                        note: d.note.clone(),
                        system: st.to_manager,
                        covered_for_id,
                        covered_for_name,
                    });
                }
                Item::System(i) => {
                    let r = &system[*i];
                    let number: String = r.get("number");
                    let date: String = r.get("doc_date");
                    reminders.push(Reminder {
                        document_id: r.get("id"),
                        kind: DocKind::Return.code().into(),
                        number: number.clone(),
                        doc_date: date.clone(),
                        counterparty_name: cp_name(r.get::<Option<i64>, _>("counterparty_id")),
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
            }
        }
        let mut documents = Vec::new();
        for c in &newest {
            let (Some(st), Some(d)) = (statuses.get(&c.status_id), text.get(&c.id)) else {
                continue;
            };
            let emp = c.responsible_id;
            let (covered_for_id, covered_for_name) = cover(emp);
            documents.push(StatusDoc {
                document_id: c.id,
                kind: d.kind.clone(),
                number: d.number.clone(),
                doc_date: c.doc_date.clone(),
                state: d.state.clone(),
                counterparty_name: cp_name(c.counterparty_id),
                amount: c.amount,
                employee_id: emp,
                employee_name: name_of(emp),
                status_code: st.code.clone(),
                status_name_ru: st.name_ru.clone(),
                status_name_en: st.name_en.clone(),
                effective_date: c.effective_date.clone(),
                note: d.note.clone(),
                covered_for_id,
                covered_for_name,
            });
        }
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
            let mut depts: Vec<(Option<i64>, i64)> = Vec::new();
            for (e, n) in plain_per_person.iter().chain(extra_per_person.iter()) {
                depts.push((dept_of(*e), *n));
            }
            company_departments(conn, &depts, &by_status).await?
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
            reminders_total,
            reminders_next_cursor: next_cursor,
            by_status,
            documents,
            documents_total,
            departments,
        })
    }
}

/// The text of the documents shown: kind, number, state and the note of
/// the current assignment (from `doc_status` when it is the latest, else
/// from the history as of `on`).
async fn details<'a>(
    conn: &mut Conn,
    on: NaiveDate,
    shown: impl Iterator<Item = &'a Cand>,
) -> Result<HashMap<i64, Detail>> {
    let (mut ids, mut ahead) = (Vec::new(), Vec::new());
    for c in shown {
        ids.push(c.id);
        if c.from_history {
            ahead.push(c.id);
        }
    }
    for v in [&mut ids, &mut ahead] {
        v.sort_unstable();
        v.dedup();
    }
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let params: Vec<P> = chunk.iter().map(|i| P::from(*i)).collect();
        let sql = format!(
            "SELECT d.id, d.kind, d.number, d.state, s.latest_note AS note FROM documents d \
             LEFT JOIN doc_status s ON s.document_id = d.id WHERE d.id IN ({})",
            placeholders(1, chunk.len())
        );
        out.extend(
            rows_of(conn, &sql, &params, |r| {
                (
                    r.int("id"),
                    Detail {
                        kind: r.text("kind"),
                        number: r.text("number"),
                        state: r.text("state"),
                        note: r.opt_text("note").unwrap_or_default(),
                    },
                )
            })
            .await?,
        );
    }
    for chunk in ahead.chunks(500) {
        let mut params: Vec<P> = vec![P::from(on.to_string())];
        params.extend(chunk.iter().map(|i| P::from(*i)));
        let sql = format!(
            "SELECT d.id, a.note FROM documents d JOIN status_assignments a ON a.id = {} WHERE d.id IN ({})",
            in_force("id", "d.id", "$1"),
            placeholders(2, chunk.len())
        );
        for (id, note) in rows_of(conn, &sql, &params, |r| {
            (r.int("id"), r.opt_text("note").unwrap_or_default())
        })
        .await?
        {
            if let Some(d) = out.get_mut(&id) {
                d.note = note;
            }
        }
    }
    Ok(out)
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
    reminder_depts: &[(Option<i64>, i64)],
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
    for (r, n) in reminder_depts {
        if let Some(d) = out.iter_mut().find(|d| d.department_id == *r) {
            d.reminders += n;
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
