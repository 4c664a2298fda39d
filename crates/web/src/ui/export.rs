//! «Скачать XLSX» of every list page: `/{list}/export.xlsx` beside the list
//! takes the page's own filters and writes every row they select (all
//! pages of the list, not only the one shown) as one sheet: the page's
//! headers in the page's language, amounts and quantities as numbers,
//! dates as dates; the sheet and the file named in Russian.

use super::layout::error_page;
use super::master::{
    Counterparties, Ctx, Departments, Employees, Master, PriceTypes, Products, Warehouses,
};
use super::stock::{stock_table, StockQuery};
use super::trade::{names, PAGES};
use crate::api::{AuditParams, DocListParams, ListParams};
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::xlsx::{xlsx, Cell};
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use kupets_app::AppError;
use kupets_domain::{DocKind, DocState};
use kupets_store::page::MAX_LIMIT;

/// Rows an export writes at most: far beyond any list a person reads,
/// well within a sheet's million.
const MAX_ROWS: usize = 200_000;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    fn add<M: Master>(r: Router<AppState>) -> Router<AppState> {
        r.route(&format!("/{}/export.xlsx", M::RES), get(master::<M>))
    }
    let mut r = add::<Employees>(add::<Departments>(add::<Warehouses>(add::<PriceTypes>(
        add::<Products>(add::<Counterparties>(r)),
    ))));
    for p in PAGES {
        r = r.route(
            &format!("/{}/export.xlsx", p.seg),
            get(move |ui, s, q| documents(Some(p.kind), p.title, ui, s, q)),
        );
    }
    r.route(
        "/payments/export.xlsx",
        get(|ui, s, q| documents(None, ("Платежи", "Payments"), ui, s, q)),
    )
    .route(
        "/adjustments/export.xlsx",
        get(|ui, s, q| {
            documents(
                Some(DocKind::Adjustment),
                ("Корректировки долга", "Debt adjustments"),
                ui,
                s,
                q,
            )
        }),
    )
    .route(
        "/invoices/export.xlsx",
        get(|ui, s, q| {
            documents(
                Some(DocKind::Invoice),
                ("Счета на оплату", "Invoices"),
                ui,
                s,
                q,
            )
        }),
    )
    .route(
        "/repairs/export.xlsx",
        get(|ui, s, q| documents(Some(DocKind::Repair), ("Ремонты", "Repairs"), ui, s, q)),
    )
    .route("/stock/export.xlsx", get(stock))
    .route("/audit/export.xlsx", get(audit))
}

/// A list's filters as a query string for its export link (empty ones
/// left out).
pub fn filters_query(pairs: &[(&str, String)]) -> String {
    let p: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    super::forms::query(&p)
}

/// The text of a page cell's HTML: tags dropped, entities read back.
pub fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_string()
}

/// `Контрагенты 2026-11-29`: the Russian title and the day.
fn file_name(title_ru: &str) -> String {
    format!("{title_ru} {}", kupets_app::today())
}

/// The filters applied, in the footer, so the sheet says what it holds.
fn footer(lang: Lang, pairs: &[(&str, String)]) -> Option<String> {
    let used: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    (!used.is_empty()).then(|| format!("{}: {}", lang.t("Отбор", "Filter"), used.join("; ")))
}

fn respond(r: Result<Response, AppError>) -> Response {
    r.unwrap_or_else(|e| error_page(current_lang(), &e))
}

async fn master<M: Master>(
    ui: UiActor,
    State(s): State<AppState>,
    Query(mut p): Query<ListParams>,
) -> Response {
    let lang = current_lang();
    respond(
        async {
            let ctx = Ctx::load(&s.app).await?;
            let pairs = super::master::list_pairs(&p);
            p.limit = Some(MAX_LIMIT.to_string());
            p.cursor = None;
            let mut rows = Vec::new();
            loop {
                let page = M::list(&s.app, &ui.actor, &p.spec(M::FILTERS)?).await?;
                rows.extend(page.items.iter().map(|i| M::cells(lang, i, &ctx)));
                match page.next_cursor {
                    Some(c) if rows.len() < MAX_ROWS => p.cursor = Some(c),
                    _ => break,
                }
            }
            xlsx(
                &file_name(M::TITLE.0),
                M::TITLE.0,
                lang.t(M::TITLE.0, M::TITLE.1),
                &M::headers(lang),
                rows,
                footer(lang, &pairs).as_deref(),
            )
        }
        .await,
    )
}

/// A document list: one kind, or payments in the direction asked.
async fn documents(
    kind: Option<DocKind>,
    title: (&'static str, &'static str),
    ui: UiActor,
    State(s): State<AppState>,
    Query(mut p): Query<DocListParams>,
) -> Response {
    let lang = current_lang();
    respond(
        async {
            let (kind, title) = match kind {
                Some(k) => (k, title),
                None if p.direction.as_deref() == Some("out") => (
                    DocKind::PaymentOut,
                    ("Платежи исходящие", "Outgoing payments"),
                ),
                None => (
                    DocKind::PaymentIn,
                    ("Платежи входящие", "Incoming payments"),
                ),
            };
            let pairs: Vec<(&str, String)> = [
                ("direction", &p.direction),
                ("state", &p.state),
                ("counterparty_id", &p.counterparty_id),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
            .collect();
            let cps = names(&s.app, "SELECT id, name FROM counterparties").await;
            p.limit = Some(MAX_LIMIT.to_string());
            p.cursor = None;
            let mut rows = Vec::new();
            loop {
                let page = s.app.list_documents(&ui.actor, kind, &p.filter()?).await?;
                rows.extend(page.items.iter().map(|d| {
                    vec![
                        Cell::T(d.number.clone()),
                        Cell::D(d.date.clone()),
                        Cell::T(kind.label(lang.ru()).to_string()),
                        Cell::T(
                            d.counterparty_id
                                .and_then(|c| cps.get(&c).cloned())
                                .unwrap_or_default(),
                        ),
                        Cell::M(d.amount),
                        Cell::T(
                            DocState::parse(&d.state)
                                .map(|s| s.label(lang.ru()).to_string())
                                .unwrap_or_else(|| d.state.clone()),
                        ),
                        Cell::T(d.comment.clone()),
                    ]
                }));
                match page.next_cursor {
                    Some(c) if rows.len() < MAX_ROWS => p.cursor = Some(c),
                    _ => break,
                }
            }
            xlsx(
                &file_name(title.0),
                title.0,
                lang.t(title.0, title.1),
                &[
                    "№",
                    lang.t("Дата", "Date"),
                    lang.t("Вид", "Kind"),
                    lang.t("Контрагент", "Counterparty"),
                    lang.t("Сумма", "Amount"),
                    lang.t("Состояние", "State"),
                    lang.t("Комментарий", "Comment"),
                ],
                rows,
                footer(lang, &pairs).as_deref(),
            )
        }
        .await,
    )
}

async fn stock(ui: UiActor, State(s): State<AppState>, Query(q): Query<StockQuery>) -> Response {
    let lang = current_lang();
    let _ = &ui;
    respond(
        async {
            let t = stock_table(&s.app, &q).await?;
            let mut headers = vec![lang.t("Товар", "Product"), lang.t("Артикул", "SKU")];
            headers.extend(t.shown.iter().map(|w| w.1.as_str()));
            if t.shown.len() > 1 {
                headers.push(lang.t("Всего", "Total"));
            }
            headers.push(lang.t("Ед.", "Unit"));
            headers.push(lang.t("В резерве по заказам", "Reserved by orders"));
            headers.push(lang.t("Свободно", "Free"));
            let rows = t
                .lines
                .iter()
                .map(|l| {
                    let mut r = vec![Cell::T(l.name.clone()), Cell::T(l.sku.clone())];
                    r.extend(
                        t.shown
                            .iter()
                            .map(|w| Cell::Q(l.per.get(&w.0).copied().unwrap_or(0))),
                    );
                    if t.shown.len() > 1 {
                        r.push(Cell::Q(l.total));
                    }
                    r.push(Cell::T(l.unit.clone()));
                    r.push(Cell::Q(l.reserved));
                    r.push(Cell::Q(l.total - l.reserved));
                    r
                })
                .collect();
            let wh = t
                .shown
                .iter()
                .find(|w| w.0.to_string() == q.warehouse_id)
                .map(|w| w.1.clone())
                .unwrap_or_default();
            xlsx(
                &file_name("Остатки на складах"),
                "Остатки на складах",
                lang.t("Остатки на складах", "Stock"),
                &headers,
                rows,
                footer(lang, &[("q", q.q.clone()), ("warehouse", wh)]).as_deref(),
            )
        }
        .await,
    )
}

async fn audit(
    ui: UiActor,
    State(s): State<AppState>,
    Query(mut p): Query<AuditParams>,
) -> Response {
    let lang = current_lang();
    respond(
        async {
            let pairs: Vec<(&str, String)> = [
                ("employee_id", &p.employee_id),
                ("entity", &p.entity),
                ("action", &p.action),
                ("from", &p.from),
                ("to", &p.to),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
            .collect();
            p.limit = Some(MAX_LIMIT.to_string());
            p.cursor = None;
            let mut rows = Vec::new();
            loop {
                let page = s.app.audit_log(&ui.actor, &p.filter()?).await?;
                rows.extend(page.items.iter().map(|a| {
                    vec![
                        Cell::Dt(a.at.clone()),
                        Cell::T(a.employee_name.clone().unwrap_or_default()),
                        Cell::T(super::words::action(lang, &a.action).to_string()),
                        Cell::T(super::words::entity(lang, &a.entity).to_string()),
                        Cell::T(a.entity_id.clone()),
                        Cell::T(super::words::details(lang, &a.details).to_string()),
                    ]
                }));
                match page.next_cursor {
                    Some(c) if rows.len() < MAX_ROWS => p.cursor = Some(c),
                    _ => break,
                }
            }
            xlsx(
                &file_name("Журнал действий"),
                "Журнал действий",
                lang.t("Журнал действий", "Audit log"),
                &[
                    lang.t("Когда (UTC)", "When (UTC)"),
                    lang.t("Кто", "Who"),
                    lang.t("Действие", "Action"),
                    lang.t("Объект", "Entity"),
                    "id",
                    lang.t("Подробности", "Details"),
                ],
                rows,
                footer(lang, &pairs).as_deref(),
            )
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_text_without_markup() {
        assert_eq!(
            text_of(r#"<span class="tag">ООО &quot;Ромашка&quot; &amp; Ко</span>"#),
            "ООО \"Ромашка\" & Ко"
        );
        assert_eq!(text_of(""), "");
    }
}
