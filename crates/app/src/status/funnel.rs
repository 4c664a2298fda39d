//! The sales funnel.

use super::*;

impl App {
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
            "SELECT d.responsible_id, COALESCE(d.max_stage, 0) AS stage, COUNT(*) AS n, CAST(COALESCE(SUM(d.amount), 0) AS BIGINT) AS amount \
             FROM documents d \
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
        sql.push_str(" GROUP BY d.responsible_id, COALESCE(d.max_stage, 0)");
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
}
