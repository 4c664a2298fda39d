//! The audit log page (admins): who did what and when, with filters.

use super::forms::query;
use super::layout::{error_page, page};
use crate::api::AuditParams;
use crate::auth::UiActor;
use crate::error::current_lang;
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;

/// Whether an audit row's entity is a document (its kind, or one of the
/// names the older rows use).
fn is_doc(entity: &str) -> bool {
    matches!(entity, "document" | "invoice" | "repair")
        || kupets_domain::DocKind::parse(entity).is_some()
}

pub async fn list(
    ui: UiActor,
    State(s): State<AppState>,
    Query(p): Query<AuditParams>,
) -> Response {
    let lang = current_lang();
    let res = async {
        let f = p.filter()?;
        let pg = s.app.audit_log(&ui.actor, &f).await?;
        let emps = s.app.all_employees().await?;
        let locks = s.app.login_locks(&ui.actor).await.unwrap_or_default();
        Ok::<_, kupets_app::AppError>((pg, emps, locks))
    };
    let (pg, emps, locks) = match res.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    // Documents are named by their number, with a link, not by their id.
    let doc_ids: Vec<i64> = pg
        .items
        .iter()
        .filter(|a| is_doc(&a.entity))
        .filter_map(|a| a.entity_id.parse().ok())
        .collect();
    let docs: std::collections::HashMap<i64, (String, String)> = if doc_ids.is_empty() {
        Default::default()
    } else {
        let marks: Vec<String> = (1..=doc_ids.len()).map(|i| format!("${i}")).collect();
        s.app
            .store
            .read_rows(
                format!(
                    "SELECT id, number, kind FROM documents WHERE id IN ({})",
                    marks.join(", ")
                ),
                doc_ids
                    .iter()
                    .map(|i| kupets_store::queries::P::from(*i))
                    .collect(),
                |r| (r.int("id"), (r.text("number"), r.text("kind"))),
            )
            .await
            .unwrap_or_default()
            .into_iter()
            .collect()
    };
    let doc_of = |a: &kupets_store::model::AuditEntry| {
        is_doc(&a.entity)
            .then(|| a.entity_id.parse::<i64>().ok())
            .flatten()
            .and_then(|id| {
                docs.get(&id)
                    .map(|(n, k)| (super::trade::doc_href(k, id), n.clone()))
            })
    };
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let (emp, entity, action, from, to) = (
        v(&p.employee_id),
        v(&p.entity),
        v(&p.action),
        v(&p.from),
        v(&p.to),
    );
    let body = html! {
        h1 { (lang.t("Журнал действий", "Audit log")) }
        @if !locks.is_empty() {
            h2 { (lang.t("Неудачные входы за час", "Failed logins in the last hour")) }
            table.list {
                tr { th { (lang.t("По чему", "By")) } th { (lang.t("Кто / откуда", "Login / address")) } th.num { (lang.t("Неудач", "Failures")) } th { (lang.t("Последняя", "Last")) } th { (lang.t("Заблокирован до", "Locked until")) } }
                @for l in &locks {
                    tr {
                        td { @if l.scope == "login" { (lang.t("логин", "login")) } @else { (lang.t("адрес", "address")) } }
                        td { code { (l.subject) } }
                        td.num { (l.failures) }
                        td { (super::words::datetime(lang, &l.last_failure_at)) }
                        td { (super::words::datetime(lang, &l.locked_until)) }
                    }
                }
            }
        }
        div.toolbar {
            form method="get" action="/audit" {
                select name="employee_id" {
                    option value="" { (lang.t("Все сотрудники", "All employees")) }
                    @for e in &emps { option value=(e.id) selected[emp == e.id.to_string()] { (e.name) } }
                }
                input type="text" name="entity" value=(entity) placeholder=(lang.t("Объект (counterparty…)", "Entity (counterparty…)")) size="16";
                input type="text" name="action" value=(action) placeholder=(lang.t("Действие (create…)", "Action (create…)")) size="14";
                input type="date" name="from" value=(from);
                input type="date" name="to" value=(to);
                button.btn.light type="submit" { (lang.t("Показать", "Show")) }
            }
            a.btn.light href=(format!("/audit/export.xlsx{}", query(&[("employee_id", &emp), ("entity", &entity), ("action", &action), ("from", &from), ("to", &to)]))) { (lang.t("Скачать XLSX", "Download XLSX")) }
        }
        table.list {
            tr { th { (lang.t("Когда", "When")) } th { (lang.t("Кто", "Who")) } th { (lang.t("Действие", "Action")) } th { (lang.t("Объект", "Entity")) } th { "id" } th { (lang.t("Подробности", "Details")) } }
            @for a in &pg.items {
                tr { td { (super::words::datetime(lang, &a.at)) } td { (a.employee_name.clone().unwrap_or_default()) } td { span title=(a.action) { (super::words::action(lang, &a.action)) } } td { (super::words::entity(lang, &a.entity)) } td { @if let Some((href, n)) = doc_of(a) { a href=(href) { (n) } } @else { (a.entity_id) } } td { (super::words::details(lang, &a.details)) } }
            }
        }
        div.pager { @if let Some(c) = &pg.next_cursor { a.btn.light href=(format!("/audit{}", query(&[("employee_id", &emp), ("entity", &entity), ("action", &action), ("from", &from), ("to", &to), ("cursor", c)]))) { (lang.t("Дальше ⟶", "Next ⟶")) } } }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Журнал действий", "Audit log"),
        "/audit",
        body,
    )
}
