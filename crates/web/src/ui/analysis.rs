//! Pages of the sales and margin analysis: the sales report (with a bar
//! chart and drill-down), ABC (with a Pareto chart), quiet clients and the
//! owner's page. Charts are inline SVG drawn here; tables sit in a box that
//! scrolls sideways on a narrow screen.

use super::documents::date_ru;
use super::layout::{error_page, page};
use super::status::kind_label;
use super::trade::doc_href;
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use kupets_app::analysis::abc::AbcQuery;
use kupets_app::analysis::owner::{OwnerPeriod, OwnerQuery, OwnerTop};
use kupets_app::analysis::quiet::{QuietClient, QuietQuery};
use kupets_app::analysis::sales::{Dim, SalesQuery};
use kupets_app::analysis::Figures;
use kupets_domain::Money;
use maud::{html, Markup};

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/reports/sales", get(sales))
        .route("/reports/sales/documents", get(sales_documents))
        .route("/reports/abc", get(abc))
        .route("/reports/quiet-clients", get(quiet))
        .route("/reports/owner", get(owner))
}

/// `"540.00"` as people read it: `540,00 ₽`.
fn ru(v: &str) -> String {
    Money::parse(v).unwrap_or_default().to_ru()
}

fn num(v: &str) -> f64 {
    Money::parse(v).unwrap_or_default().0 as f64
}

fn enc(s: &str) -> String {
    url_escape(s)
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn o(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// Horizontal bars: one per (label, value), the largest full width.
pub(crate) fn bar_chart(title: &str, bars: &[(String, f64, String)]) -> Markup {
    let max = bars.iter().map(|b| b.1).fold(0.0, f64::max).max(1.0);
    let (w, row) = (640.0, 24.0);
    let h = row * bars.len() as f64 + 8.0;
    html! {
        svg.chart width="100%" viewBox=(format!("0 0 {w} {h}")) role="img" aria-label=(title) style="max-width:640px;display:block;margin:10px 0" {
            @for (i, (label, v, shown)) in bars.iter().enumerate() {
                @let y = i as f64 * row + 4.0;
                @let bw = (360.0 * v.max(0.0) / max).max(1.0);
                text x="170" y=(y + 15.0) text-anchor="end" font-size="12" { (label.chars().take(26).collect::<String>()) }
                rect x="176" y=(y) width=(bw) height=(row - 6.0) rx="2" fill="#1f5fbf" {}
                text x=(180.0 + bw) y=(y + 15.0) font-size="12" { (shown) }
            }
        }
    }
}

fn figures_head(lang: Lang, cost: bool) -> Markup {
    html! {
        th.num { (lang.t("Кол-во", "Qty")) }
        th.num { (lang.t("Выручка без НДС", "Revenue excl. VAT")) }
        th.num { (lang.t("Выручка с НДС", "Revenue incl. VAT")) }
        @if cost {
            th.num { (lang.t("Себестоимость", "Cost")) }
            th.num { (lang.t("Валовая прибыль", "Gross margin")) }
            th.num { (lang.t("Рентаб., %", "Margin, %")) }
        }
    }
}

fn figures_cells(f: &Figures) -> Markup {
    html! {
        td.num { (f.qty.replace('.', ",")) }
        td.num { (ru(&f.revenue_net)) }
        td.num { (ru(&f.revenue)) }
        @if let (Some(c), Some(m), Some(p)) = (&f.cost, &f.margin, &f.margin_pct) {
            td.num { (ru(c)) }
            td.num { (ru(m)) }
            td.num { (p.replace('.', ",")) }
        }
    }
}

/// The query string of a drill-down: the period, the filters already set,
/// and the keys of the cell.
fn drill(q: &SalesQuery, from: &str, to: &str, keys: &[(Dim, &str)]) -> String {
    let mut parts = vec![format!("from={from}"), format!("to={to}")];
    let set: Vec<Dim> = keys.iter().map(|k| k.0).collect();
    for (d, v) in [
        (Dim::Counterparty, &q.counterparty_id),
        (Dim::Product, &q.product_id),
        (Dim::Group, &q.group_id),
        (Dim::Manager, &q.manager_id),
        (Dim::Department, &q.department_id),
        (Dim::Month, &q.month),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty() && !set.contains(&d)) {
            parts.push(format!("{}={}", d.filter(), enc(v)));
        }
    }
    for (d, v) in keys {
        // Rows without a group or department have no key to filter by.
        if !v.is_empty() {
            parts.push(format!("{}={}", d.filter(), enc(v)));
        }
    }
    format!("/reports/sales/documents?{}", parts.join("&"))
}

async fn sales(ui: UiActor, State(s): State<AppState>, Query(q): Query<SalesQuery>) -> Response {
    let lang = current_lang();
    let r = match s.app.sales_report(&ui.actor, &q).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, &e),
    };
    let rows_dim = Dim::parse(&r.rows_by).unwrap_or(Dim::Counterparty);
    let col_dim = r.columns_by.as_deref().and_then(Dim::parse);
    let cost = r.cost_visible;
    let xlsx = format!(
        "/api/v1/reports/sales?from={}&to={}&rows={}{}&format=xlsx",
        r.from,
        r.to,
        r.rows_by,
        col_dim
            .map(|d| format!("&columns={}", d.code()))
            .unwrap_or_default()
    );
    let bars: Vec<(String, f64, String)> = r
        .rows
        .iter()
        .take(15)
        .map(|x| (x.label.clone(), num(&x.total.revenue), ru(&x.total.revenue)))
        .collect();
    let body = html! {
        h1 { (lang.t("Продажи", "Sales")) }
        form.inline method="get" action="/reports/sales" {
            (lang.t("с", "from")) input type="date" name="from" value=(r.from);
            (lang.t("по", "to")) input type="date" name="to" value=(r.to);
            (lang.t("строки", "rows")) select name="rows" {
                @for d in Dim::ALL { option value=(d.code()) selected[d == rows_dim] { (d.label(lang.ru())) } }
            }
            (lang.t("столбцы", "columns")) select name="columns" {
                option value="" { "—" }
                @for d in Dim::ALL { option value=(d.code()) selected[Some(d) == col_dim] { (d.label(lang.ru())) } }
            }
            @if let Some(g) = q.group_id.as_deref().filter(|g| !g.is_empty()) { input type="hidden" name="group_id" value=(g); }
            button.btn.light type="submit" { (lang.t("Показать", "Show")) }
            a.btn.light href=(xlsx) { "XLSX" }
        }
        p.muted { (lang.t("Отгрузки за вычетом возвратов. Нажмите на цифру, чтобы увидеть документы.", "Shipments less returns. Click a figure to see its documents.")) }
        (bar_chart(lang.t("Выручка с НДС", "Revenue incl. VAT"), &bars))
        div style="overflow-x:auto" {
            @if let Some(cd) = col_dim {
                table.list.sales {
                    tr { th { (rows_dim.label(lang.ru())) } @for c in &r.columns { th.num { (c.label) } } th.num { (lang.t("Итого", "Total")) } }
                    @for row in &r.rows {
                        tr {
                            td { (row.label) }
                            @for c in &r.columns {
                                td.num {
                                    @if let Some(cell) = row.cells.iter().find(|x| x.column == c.key) {
                                        a href=(drill(&q, &r.from, &r.to, &[(rows_dim, &row.key), (cd, &c.key)])) { (ru(&cell.figures.revenue)) }
                                        @if let Some(m) = &cell.figures.margin { br; span.muted { (ru(m)) } }
                                    }
                                }
                            }
                            td.num { a href=(drill(&q, &r.from, &r.to, &[(rows_dim, &row.key)])) { (ru(&row.total.revenue)) } }
                        }
                    }
                    tr { th { (lang.t("Итого", "Total")) } @for c in &r.column_totals { th.num { (ru(&c.figures.revenue)) } } th.num { (ru(&r.total.revenue)) } }
                }
                @if cost { p.muted { (lang.t("В ячейке: выручка с НДС, под ней — валовая прибыль.", "In a cell: revenue incl. VAT, below it the gross margin.")) } }
            } @else {
                table.list.sales {
                    tr { th { (rows_dim.label(lang.ru())) } (figures_head(lang, cost)) th {} }
                    @for row in &r.rows {
                        tr { td { (row.label) } (figures_cells(&row.total)) td { a href=(drill(&q, &r.from, &r.to, &[(rows_dim, &row.key)])) { (lang.t("документы", "documents")) } } }
                    }
                    tr { th { (lang.t("Итого", "Total")) } (figures_cells(&r.total)) th {} }
                }
            }
        }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Продажи", "Sales"),
        "/reports/sales",
        body,
    )
}

async fn sales_documents(
    ui: UiActor,
    State(s): State<AppState>,
    Query(q): Query<SalesQuery>,
) -> Response {
    let lang = current_lang();
    let docs = match s.app.sales_documents(&ui.actor, &q).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, &e),
    };
    let cost = docs.first().is_some_and(|d| d.figures.cost.is_some());
    let body = html! {
        h1 { (lang.t("Документы продаж", "Sales documents")) }
        p.muted { (o(&q.from)) " — " (o(&q.to)) " · " (docs.len()) (lang.t(" док.", " documents")) }
        div style="overflow-x:auto" {
            table.list.drill {
                tr { th { (lang.t("Документ", "Document")) } th { (lang.t("Клиент", "Client")) } (figures_head(lang, cost)) }
                @for d in &docs {
                    @let id: i64 = d.document_id.parse().unwrap_or_default();
                    tr {
                        td { a href=(doc_href(&d.kind, id)) { (kind_label(lang, &d.kind)) " " (d.number) } " " span.muted { (date_ru(&d.date)) } }
                        td { (d.counterparty) }
                        (figures_cells(&d.figures))
                    }
                }
            }
        }
        p { a href="javascript:history.back()" { (lang.t("← Назад к отчёту", "← Back to the report")) } }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Документы продаж", "Sales documents"),
        "/reports/sales",
        body,
    )
}

/// Pareto: bars of each item's share, the cumulative line, the thresholds.
fn pareto(lang: Lang, items: &[kupets_app::analysis::abc::AbcItem], a: i64, b: i64) -> Markup {
    let shown: Vec<_> = items.iter().take(50).collect();
    let n = shown.len().max(1) as f64;
    let (w, h, left, bottom) = (640.0, 240.0, 36.0, 20.0);
    let pw = w - left - 10.0;
    let ph = h - bottom - 10.0;
    let bw = pw / n;
    let maxshare = shown
        .iter()
        .map(|i| num(&i.share_pct))
        .fold(0.0, f64::max)
        .max(1.0);
    let y = |pct: f64| 10.0 + ph * (1.0 - pct / 100.0);
    let line: Vec<String> = shown
        .iter()
        .enumerate()
        .map(|(k, i)| {
            format!(
                "{:.1},{:.1}",
                left + bw * (k as f64 + 0.5),
                y(num(&i.cumulative_pct) / 100.0)
            )
        })
        .collect();
    let color = |c: &str| match c {
        "A" => "#1f7a3d",
        "B" => "#c58a00",
        _ => "#9aa5b1",
    };
    html! {
        svg.pareto width="100%" viewBox=(format!("0 0 {w} {h}")) role="img" aria-label=(lang.t("Диаграмма Парето", "Pareto chart")) style="max-width:640px;display:block;margin:10px 0" {
            line x1=(left) y1=(y(0.0)) x2=(w - 10.0) y2=(y(0.0)) stroke="#cbd2d9" {}
            @for t in [a, b] {
                line x1=(left) y1=(y(t as f64)) x2=(w - 10.0) y2=(y(t as f64)) stroke="#b42318" stroke-dasharray="4 3" {}
                text x=(left - 4.0) y=(y(t as f64) + 4.0) text-anchor="end" font-size="11" { (t) "%" }
            }
            @for (k, i) in shown.iter().enumerate() {
                @let bh = ph * num(&i.share_pct) / 100.0 / maxshare;
                rect.bar x=(left + bw * k as f64 + 1.0) y=(y(0.0) - bh) width=((bw - 2.0).max(1.0)) height=(bh.max(0.5)) fill=(color(&i.class)) { title { (i.name) ": " (i.share_pct.replace('.', ",")) "% · " (i.class) } }
            }
            polyline points=(line.join(" ")) fill="none" stroke="#1f5fbf" stroke-width="2" {}
            text x=(left) y=(h - 4.0) font-size="11" { (lang.t("столбцы — доля, линия — накопленная доля", "bars: share, line: cumulative share")) }
        }
    }
}

async fn abc(ui: UiActor, State(s): State<AppState>, Query(q): Query<AbcQuery>) -> Response {
    let lang = current_lang();
    let r = match s.app.abc_report(&ui.actor, &q).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, &e),
    };
    let clients = r.subject == "clients";
    let body = html! {
        h1 { (lang.t("ABC-анализ", "ABC analysis")) }
        form.inline method="get" action="/reports/abc" {
            (lang.t("с", "from")) input type="date" name="from" value=(r.from);
            (lang.t("по", "to")) input type="date" name="to" value=(r.to);
            select name="subject" {
                option value="clients" selected[clients] { (lang.t("Клиенты", "Clients")) }
                option value="products" selected[!clients] { (lang.t("Товары", "Products")) }
            }
            select name="by" {
                option value="revenue" selected[r.by == "revenue"] { (lang.t("по выручке", "by revenue")) }
                @if ui.actor.can(kupets_domain::role::Right::SeeCost) {
                    option value="margin" selected[r.by == "margin"] { (lang.t("по валовой прибыли", "by gross margin")) }
                }
            }
            button.btn.light type="submit" { (lang.t("Показать", "Show")) }
        }
        p.muted {
            (lang.t("A — первые ", "A: the first ")) (r.a_pct) (lang.t(" %, B — до ", " %, B: up to ")) (r.b_pct)
            (lang.t(" %, C — остальные (пороги — в настройках). ", " %, C: the rest (thresholds are settings). "))
            "A: " (r.counts.a) " · B: " (r.counts.b) " · C: " (r.counts.c) " · " (lang.t("итого ", "total ")) (ru(&r.total))
        }
        (pareto(lang, &r.items, r.a_pct, r.b_pct))
        div style="overflow-x:auto" {
            table.list.abc {
                tr { th { "#" } th { (if clients { lang.t("Клиент", "Client") } else { lang.t("Товар", "Product") }) } th.num { (if r.by == "margin" { lang.t("Валовая прибыль", "Gross margin") } else { lang.t("Выручка с НДС", "Revenue incl. VAT") }) } th.num { (lang.t("Доля, %", "Share, %")) } th.num { (lang.t("Накопленная, %", "Cumulative, %")) } th { (lang.t("Класс", "Class")) } }
                @for (k, i) in r.items.iter().enumerate() {
                    tr {
                        td { (k + 1) }
                        td { a.drill href=(format!("/reports/sales/documents?from={}&to={}&{}={}", r.from, r.to, if clients { "counterparty_id" } else { "product_id" }, i.id)) { (i.name) } }
                        td.num { (ru(&i.value)) }
                        td.num { (i.share_pct.replace('.', ",")) }
                        td.num { (i.cumulative_pct.replace('.', ",")) }
                        td { span.tag { (i.class) } }
                    }
                }
            }
        }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("ABC-анализ", "ABC analysis"),
        "/reports/abc",
        body,
    )
}

/// The quiet clients' table (its page and Today).
pub(crate) fn quiet_table(lang: Lang, list: &[QuietClient], many: bool) -> Markup {
    html! {
        div style="overflow-x:auto" {
            table.list.quiet {
                tr { th { (lang.t("Клиент", "Client")) } th { (lang.t("Класс", "Class")) } @if many { th { (lang.t("Менеджер", "Manager")) } } th { (lang.t("Последняя покупка", "Last purchase")) } th.num { (lang.t("Обычно раз в, дн.", "Usually every, days")) } th.num { (lang.t("Выручка за 12 мес.", "Revenue, 12 months")) } }
                @for c in list {
                    tr {
                        td { a href=(format!("/counterparties/{}", c.counterparty_id)) { (c.name) } }
                        td { span.tag { (c.class) } }
                        @if many { td { (c.manager) } }
                        td { (date_ru(&c.last_purchase)) " " span.overdue { (c.days_since) (lang.t(" дн. назад", " days ago")) } }
                        td.num { (c.interval_days) }
                        td.num { (ru(&c.revenue_12m)) }
                    }
                }
            }
        }
    }
}

async fn quiet(ui: UiActor, State(s): State<AppState>, Query(q): Query<QuietQuery>) -> Response {
    let lang = current_lang();
    let list = match s.app.quiet_clients(&ui.actor, &q).await {
        Ok(l) => l,
        Err(e) => return error_page(lang, &e),
    };
    let many = list
        .iter()
        .any(|c| c.manager_id != ui.actor.id().to_string());
    let body = html! {
        h1 { (lang.t("Постоянные клиенты замолчали", "Regular clients going quiet")) }
        p.muted { (lang.t("Клиенты с 3+ покупками за 12 месяцев, чья последняя покупка старше двух обычных интервалов (и 30 дней). Статус или контакт убирает клиента из списка на один интервал.", "Clients with 3+ purchases in 12 months whose last purchase is older than twice their usual interval (and 30 days). A status or an interaction takes a client off the list for one interval.")) }
        @if list.is_empty() { p.muted { (lang.t("Никто не замолчал.", "Nobody has gone quiet.")) } }
        @else { (quiet_table(lang, &list, many)) }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Замолчавшие клиенты", "Quiet clients"),
        "/reports/quiet-clients",
        body,
    )
}

fn period_tile(lang: Lang, title: &str, p: &OwnerPeriod) -> Markup {
    html! {
        div.tile {
            span.muted { (title) " · " (date_ru(&p.from)) "–" (date_ru(&p.to)) }
            b { (ru(&p.figures.revenue)) }
            (lang.t("выручка с НДС", "revenue incl. VAT")) br;
            @if let (Some(m), Some(pc)) = (&p.figures.margin, &p.figures.margin_pct) {
                (lang.t("валовая прибыль ", "gross margin ")) (ru(m)) " (" (pc.replace('.', ",")) " %)" br;
            }
            (lang.t("отгрузок: ", "shipments: ")) (p.shipments)
        }
    }
}

fn top_table(lang: Lang, title: &str, rows: &[OwnerTop], href: &dyn Fn(&str) -> String) -> Markup {
    html! {
        h2 { (title) }
        div style="overflow-x:auto" {
            table.list {
                tr { th { (lang.t("Название", "Name")) } th.num { (lang.t("Выручка с НДС", "Revenue incl. VAT")) } th.num { (lang.t("Валовая прибыль", "Gross margin")) } }
                @for t in rows {
                    tr { td { a href=(href(&t.id)) { (t.name) } } td.num { (ru(&t.figures.revenue)) } td.num { (t.figures.margin.as_deref().map(ru).unwrap_or_default()) } }
                }
            }
        }
    }
}

async fn owner(ui: UiActor, State(s): State<AppState>, Query(q): Query<OwnerQuery>) -> Response {
    let lang = current_lang();
    let o = match s.app.owner_page(&ui.actor, &q).await {
        Ok(o) => o,
        Err(e) => return error_page(lang, &e),
    };
    let bars = vec![
        (
            lang.t("Этот месяц", "This month").to_string(),
            num(&o.this_month.figures.revenue),
            ru(&o.this_month.figures.revenue),
        ),
        (
            lang.t("Прошлый месяц", "Last month").to_string(),
            num(&o.last_month.figures.revenue),
            ru(&o.last_month.figures.revenue),
        ),
        (
            lang.t("Год назад", "A year ago").to_string(),
            num(&o.last_year.figures.revenue),
            ru(&o.last_year.figures.revenue),
        ),
    ];
    let (from, to) = (o.this_month.from.clone(), o.this_month.to.clone());
    let body = html! {
        h1 { (lang.t("Страница владельца", "Owner's page")) ", " (date_ru(&o.date)) }
        div.tiles {
            (period_tile(lang, lang.t("Этот месяц", "This month"), &o.this_month))
            (period_tile(lang, lang.t("Прошлый месяц", "Last month"), &o.last_month))
            (period_tile(lang, lang.t("Тот же месяц год назад", "Same month last year"), &o.last_year))
            div.tile {
                span.muted { (lang.t("Дебиторская задолженность", "Receivables")) }
                b { (ru(&o.receivables)) }
                (lang.t("просрочено (старше 30 дн.): ", "overdue (over 30 days): ")) span.overdue { (ru(&o.overdue)) }
            }
        }
        (bar_chart(lang.t("Выручка с НДС", "Revenue incl. VAT"), &bars))
        p {
            b { (lang.t("Воронка: ", "Funnel: ")) }
            @for (k, f) in o.funnel.iter().enumerate() {
                @if k > 0 { " → " }
                (if lang.ru() { &f.name_ru } else { &f.name_en }) " " (f.count)
            }
            @if o.funnel.is_empty() { "—" }
        }
        (top_table(lang, lang.t("Топ-10 клиентов месяца", "Top 10 clients of the month"), &o.top_clients, &|id| format!("/reports/sales/documents?from={from}&to={to}&counterparty_id={id}")))
        (top_table(lang, lang.t("Топ-10 товаров месяца", "Top 10 products of the month"), &o.top_products, &|id| format!("/reports/sales/documents?from={from}&to={to}&product_id={id}")))
        p { a href="/reports/sales" { (lang.t("Отчёт о продажах", "Sales report")) } " · " a href="/reports/abc" { (lang.t("ABC-анализ", "ABC analysis")) } " · " a href="/reports/quiet-clients" { (lang.t("Замолчавшие клиенты", "Quiet clients")) } }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Страница владельца", "Owner's page"),
        "/reports/owner",
        body,
    )
}
