//! Master-data sections (counterparties, products, price types, warehouses,
//! departments, employees): one generic set of pages — list with search,
//! filters and pagination, create, card with edit form, archive — and a small
//! `Master` description per section.

use super::check_csrf;
use super::forms::{button_form, form, input_of, options, query, values_of, Field, Kind, Values};
use super::layout::{error_page, page};
use super::refusal::Refusal;
use crate::api::ListParams;
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::xlsx::Cell;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kupets_app::catalog::{PriceInput, PriceTypeInput, ProductInput, WarehouseInput};
use kupets_app::counterparty::{kind_label, CounterpartyInput, KINDS};
use kupets_app::people::{DepartmentInput, EmployeeInput};
use kupets_app::{Actor, App, AppError};
use kupets_domain::role::Right;
use kupets_domain::{Money, Role, VatRate};
use kupets_store::model::*;
use kupets_store::page::Page;
use kupets_store::queries::ListSpec;
use maud::{html, Markup};
use std::collections::HashMap;
use std::future::Future;

/// Names of referenced records, loaded once per page (small tables).
#[derive(Default)]
pub struct Ctx {
    pub employees: HashMap<i64, String>,
    pub groups: HashMap<i64, String>,
    pub price_types: HashMap<i64, String>,
    pub departments: HashMap<i64, String>,
}

impl Ctx {
    pub async fn load(app: &App) -> Result<Ctx, AppError> {
        let pool = app.store.reader();
        let pairs = |sql: &'static str| async move {
            let rows: Vec<(i64, String)> = sqlx::query_as(sql).fetch_all(pool).await?;
            Ok::<_, AppError>(rows.into_iter().collect::<HashMap<_, _>>())
        };
        let groups = app
            .group_tree_unchecked()
            .await?
            .into_iter()
            .map(|n| (n.group.id, n.path))
            .collect();
        Ok(Ctx {
            employees: pairs("SELECT id, name FROM employees").await?,
            groups,
            price_types: pairs("SELECT id, name FROM price_types").await?,
            departments: pairs("SELECT id, name FROM departments").await?,
        })
    }
    fn name(map: &HashMap<i64, String>, id: Option<i64>) -> String {
        id.and_then(|i| map.get(&i).cloned()).unwrap_or_default()
    }
    fn opts(map: &HashMap<i64, String>) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = map
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        v.sort_by(|a, b| a.1.cmp(&b.1));
        options(true, v)
    }
}

/// What a master-data section needs to describe itself.
pub trait Master: Send + Sync + 'static {
    /// URL segment, also the API resource name.
    const RES: &'static str;
    const TITLE: (&'static str, &'static str);
    const NEW: (&'static str, &'static str);
    const RIGHT: Right;
    /// Extra list filters offered on the page (names of `ListParams` fields).
    const FILTERS: &'static [&'static str] = &[];
    type Item: serde::Serialize + Send;
    type Input: serde::de::DeserializeOwned + Default + Send + Sync;

    fn list(
        app: &App,
        a: &Actor,
        spec: &ListSpec,
    ) -> impl Future<Output = Result<Page<Self::Item>, AppError>> + Send;
    fn get(
        app: &App,
        a: &Actor,
        id: i64,
    ) -> impl Future<Output = Result<Self::Item, AppError>> + Send;
    fn save(
        app: &App,
        a: &Actor,
        id: Option<i64>,
        input: &Self::Input,
    ) -> impl Future<Output = Result<Self::Item, AppError>> + Send;
    fn key(item: &Self::Item) -> (i64, String, bool);
    fn headers(lang: Lang) -> Vec<&'static str>;
    fn row(lang: Lang, item: &Self::Item, ctx: &Ctx) -> Vec<Markup>;
    /// The row as spreadsheet cells, under `headers` (the export): by
    /// default the name and the text of the page's cells; sections with
    /// amounts or numbers give them typed.
    fn cells(lang: Lang, item: &Self::Item, ctx: &Ctx) -> Vec<Cell> {
        let mut out = vec![Cell::T(Self::key(item).1)];
        out.extend(
            Self::row(lang, item, ctx)
                .into_iter()
                .skip(1)
                .map(|m| Cell::T(super::export::text_of(&m.into_string()))),
        );
        out
    }
    fn fields(lang: Lang, ctx: &Ctx, creating: bool) -> Vec<Field>;
    /// Filter controls for the list page.
    fn filter_controls(_lang: Lang, _ctx: &Ctx, _p: &ListParams) -> Markup {
        html! {}
    }
    /// Extra content on a record's card (balance, prices, …); after a
    /// refused form of the card, that form with what was typed.
    fn extra(
        _app: &App,
        _a: &Actor,
        _lang: Lang,
        _id: i64,
        _csrf: &str,
        _refusal: &Refusal,
    ) -> impl Future<Output = Result<Markup, AppError>> + Send {
        async { Ok(html! {}) }
    }
}

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    fn add<M: Master>(r: Router<AppState>) -> Router<AppState> {
        let base = format!("/{}", M::RES);
        r.route(&base, get(list::<M>).post(create::<M>))
            .route(&format!("{base}/new"), get(new_form::<M>))
            .route(&format!("{base}/{{id}}"), get(show::<M>).post(update::<M>))
            .route(&format!("{base}/{{id}}/archive"), post(archive::<M>))
    }
    let r = add::<Counterparties>(r);
    let r = add::<Products>(r);
    let r = add::<PriceTypes>(r);
    let r = add::<Warehouses>(r);
    let r = add::<Departments>(r);
    add::<Employees>(r)
}

/// The filters of a list as query pairs (no cursor: the export takes
/// every page).
pub(crate) fn list_pairs(p: &ListParams) -> Vec<(&'static str, String)> {
    [
        ("q", &p.q),
        ("archived", &p.archived),
        ("kind", &p.kind),
        ("group_id", &p.group_id),
        ("manager_id", &p.manager_id),
        ("department_id", &p.department_id),
        ("role", &p.role),
        ("abc_class", &p.abc_class),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
    .collect()
}

async fn list<M: Master>(
    ui: UiActor,
    State(s): State<AppState>,
    Query(p): Query<ListParams>,
) -> Response {
    let lang = current_lang();
    let result = async {
        let ctx = Ctx::load(&s.app).await?;
        let spec = p.spec(M::FILTERS)?;
        let page = M::list(&s.app, &ui.actor, &spec).await?;
        Ok::<_, AppError>((ctx, page))
    };
    let (ctx, pg) = match result.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let title = lang.t(M::TITLE.0, M::TITLE.1);
    let q = p.q.clone().unwrap_or_default();
    let archived = p.archived.clone().unwrap_or_default();
    let next = pg.next_cursor.as_ref().map(|c| {
        let mut pairs: Vec<(&str, &str)> = vec![("q", &q), ("archived", &archived), ("cursor", c)];
        for (k, v) in [
            ("kind", &p.kind),
            ("group_id", &p.group_id),
            ("manager_id", &p.manager_id),
            ("department_id", &p.department_id),
            ("role", &p.role),
            ("abc_class", &p.abc_class),
        ] {
            if let Some(v) = v {
                pairs.push((k, v));
            }
        }
        format!("/{}{}", M::RES, query(&pairs))
    });
    let body = html! {
        h1 { (title) }
        div.toolbar {
            @if ui.actor.can(M::RIGHT) { a.btn href=(format!("/{}/new", M::RES)) { "+ " (lang.t(M::NEW.0, M::NEW.1)) } }
            form method="get" action=(format!("/{}", M::RES)) {
                input type="search" name="q" value=(q) placeholder=(lang.t("Поиск", "Search"));
                (M::filter_controls(lang, &ctx, &p))
                select name="archived" {
                    option value="" selected[archived.is_empty() || archived == "false"] { (lang.t("Действующие", "Active")) }
                    option value="true" selected[archived == "true"] { (lang.t("В архиве", "Archived")) }
                    option value="all" selected[archived == "all"] { (lang.t("Все", "All")) }
                }
                button.btn.light type="submit" { (lang.t("Найти", "Find")) }
            }
            a.btn.light href=(format!("/{}/export.xlsx{}", M::RES, super::export::filters_query(&list_pairs(&p)))) { (lang.t("Скачать XLSX", "Download XLSX")) }
        }
        @if pg.items.is_empty() {
            div.card.muted { (lang.t("Ничего не найдено.", "Nothing found.")) }
        } @else {
            table.list {
                tr { @for h in M::headers(lang) { th { (h) } } }
                @for item in &pg.items {
                    @let (id, name, arch) = M::key(item);
                    @let cells = M::row(lang, item, &ctx);
                    tr {
                        td { a href=(format!("/{}/{id}", M::RES)) { (name) } @if arch { " " span.tag { (lang.t("архив", "archived")) } } }
                        @for c in cells.into_iter().skip(1) { td { (c) } }
                    }
                }
            }
        }
        div.pager {
            @if p.cursor.as_deref().is_some_and(|c| !c.is_empty()) { a.btn.light href=(format!("/{}{}", M::RES, query(&[("q", &q), ("archived", &archived)]))) { (lang.t("⟵ В начало", "⟵ First page")) } }
            @if let Some(n) = next { a.btn.light href=(n) { (lang.t("Дальше ⟶", "Next ⟶")) } }
        }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        title,
        &format!("/{}", M::RES),
        body,
    )
}

/// What a record's form page shows besides the fields.
struct FormState<'a> {
    id: Option<i64>,
    values: &'a Values,
    refusal: &'a Refusal,
    extra: Markup,
    archived: bool,
}

fn form_page<M: Master>(lang: Lang, ui: &UiActor, ctx: &Ctx, st: FormState<'_>) -> Response {
    let FormState {
        id,
        values,
        refusal,
        extra,
        archived,
    } = st;
    let fields = M::fields(lang, ctx, id.is_none());
    let title = match id {
        None => lang.t(M::NEW.0, M::NEW.1).to_string(),
        Some(_) => values.get("name").cloned().unwrap_or_default(),
    };
    let action = match id {
        None => format!("/{}", M::RES),
        Some(id) => format!("/{}/{id}", M::RES),
    };
    let can = ui.actor.can(M::RIGHT);
    // A refused form of the card (a price, a contact) is summed up on top;
    // the record's own form shows its refusal itself.
    let own = refusal.form.is_empty() || refusal.form == action;
    let none = Refusal::none();
    let body = html! {
        p { a href=(format!("/{}", M::RES)) { "← " (lang.t(M::TITLE.0, M::TITLE.1)) } }
        h1 { (title) @if archived { " " span.tag { (lang.t("в архиве", "archived")) } } }
        @if !own { (refusal.summary(lang, &|_| false)) }
        (extra)
        div.card {
            // Typed work comes back even when the refusal was for rights.
            @if can || (own && !refusal.is_empty()) {
                (form(lang, &action, &ui.csrf, &fields, values, if own { refusal } else { &none }, if id.is_none() { ("Создать", "Create") } else { ("Сохранить", "Save") }))
            } @else {
                dl.props {
                    @for f in &fields {
                        dt { (lang.t(f.ru, f.en)) }
                        dd { (display_value(f, values.get(f.name).map(String::as_str).unwrap_or(""))) }
                    }
                }
            }
        }
        @if let (Some(id), true) = (id, can) {
            (button_form(&format!("/{}/{id}/archive", M::RES), &ui.csrf,
                if archived { lang.t("Вернуть из архива", "Restore from archive") } else { lang.t("Переместить в архив", "Move to archive") }, "light"))
        }
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        &title,
        &format!("/{}", M::RES),
        body,
    ))
}

fn display_value(f: &Field, v: &str) -> String {
    match &f.kind {
        Kind::Select(opts) => opts
            .iter()
            .find(|(k, _)| k == v)
            .map(|(_, l)| l.clone())
            .unwrap_or_default(),
        Kind::Check => {
            if v == "true" {
                "✓".into()
            } else {
                "—".into()
            }
        }
        _ => v.to_string(),
    }
}

async fn new_form<M: Master>(ui: UiActor, State(s): State<AppState>) -> Response {
    let lang = current_lang();
    if let Err(e) = ui.actor.require(M::RIGHT) {
        return error_page(lang, &e);
    }
    match Ctx::load(&s.app).await {
        Ok(ctx) => form_page::<M>(
            lang,
            &ui,
            &ctx,
            FormState {
                id: None,
                values: &Values::new(),
                refusal: &Refusal::none(),
                extra: html! {},
                archived: false,
            },
        ),
        Err(e) => error_page(lang, &e),
    }
}

async fn save<M: Master>(ui: &UiActor, s: &AppState, id: Option<i64>, f: Values) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(ui, &f) {
        return r;
    }
    let input: M::Input = input_of(&f);
    match M::save(&s.app, &ui.actor, id, &input).await {
        Ok(item) => {
            Redirect::to(&format!("/{}/{}?saved=1", M::RES, M::key(&item).0)).into_response()
        }
        // Any refusal (validation, conflict, rights) shows the form again
        // with what was typed.
        Err(e) => {
            let action = match id {
                None => format!("/{}", M::RES),
                Some(id) => format!("/{}/{id}", M::RES),
            };
            let refusal = Refusal::of_form(lang, &e, &action, &f);
            let ctx = match Ctx::load(&s.app).await {
                Ok(ctx) => ctx,
                Err(e) => return error_page(lang, &e),
            };
            // The card's other blocks stay (an edit keeps its balance, prices).
            let (extra, archived) = match id {
                Some(id) => {
                    let archived = M::get(&s.app, &ui.actor, id)
                        .await
                        .map(|i| M::key(&i).2)
                        .unwrap_or(false);
                    let extra = M::extra(&s.app, &ui.actor, lang, id, &ui.csrf, &Refusal::none())
                        .await
                        .unwrap_or_default();
                    (extra, archived)
                }
                None => (html! {}, false),
            };
            form_page::<M>(
                lang,
                ui,
                &ctx,
                FormState {
                    id,
                    values: &f,
                    refusal: &refusal,
                    extra,
                    archived,
                },
            )
        }
    }
}

/// A record's card after a refused form of the card (a price, a contact, an
/// account): the card with that form as it was sent and the message at it.
pub async fn card_refused<M: Master>(
    ui: &UiActor,
    s: &AppState,
    id: i64,
    refusal: &Refusal,
) -> Response {
    card::<M>(ui, s, id, false, refusal).await
}

async fn create<M: Master>(
    ui: UiActor,
    State(s): State<AppState>,
    Form(f): Form<Values>,
) -> Response {
    save::<M>(&ui, &s, None, f).await
}

async fn update<M: Master>(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    match id.parse::<i64>() {
        Ok(id) => save::<M>(&ui, &s, Some(id), f).await,
        Err(_) => super::layout::not_found_page(current_lang()),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct Saved {
    saved: Option<String>,
}

async fn show<M: Master>(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Saved>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return super::layout::not_found_page(current_lang());
    };
    card::<M>(&ui, &s, id, q.saved.is_some(), &Refusal::none()).await
}

async fn card<M: Master>(
    ui: &UiActor,
    s: &AppState,
    id: i64,
    saved: bool,
    refusal: &Refusal,
) -> Response {
    let lang = current_lang();
    let res = async {
        let item = M::get(&s.app, &ui.actor, id).await?;
        let ctx = Ctx::load(&s.app).await?;
        let extra = M::extra(&s.app, &ui.actor, lang, id, &ui.csrf, refusal).await?;
        Ok::<_, AppError>((item, ctx, extra))
    };
    match res.await {
        Ok((item, ctx, extra)) => {
            let archived = M::key(&item).2;
            let extra = html! { @if saved { div.ok { (lang.t("Сохранено.", "Saved.")) } } (extra) };
            form_page::<M>(
                lang,
                ui,
                &ctx,
                FormState {
                    id: Some(id),
                    values: &values_of(&item),
                    refusal,
                    extra,
                    archived,
                },
            )
        }
        Err(e) => error_page(lang, &e),
    }
}

async fn archive<M: Master>(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return super::layout::not_found_page(lang);
    };
    let res = async {
        let item = M::get(&s.app, &ui.actor, id).await?;
        s.app
            .set_archived(&ui.actor, M::RES, id, !M::key(&item).2)
            .await
    };
    match res.await {
        Ok(()) => Redirect::to(&format!("/{}/{id}", M::RES)).into_response(),
        Err(e) => {
            let action = format!("/{}/{id}/archive", M::RES);
            card::<M>(&ui, &s, id, false, &Refusal::of_form(lang, &e, &action, &f)).await
        }
    }
}

fn text_f(name: &'static str, ru: &'static str, en: &'static str) -> Field {
    Field::new(name, ru, en, Kind::Text)
}

pub struct Counterparties;
impl Master for Counterparties {
    const RES: &'static str = "counterparties";
    const TITLE: (&'static str, &'static str) = ("Контрагенты", "Counterparties");
    const NEW: (&'static str, &'static str) = ("Новый контрагент", "New counterparty");
    const RIGHT: Right = Right::EditCounterparties;
    const FILTERS: &'static [&'static str] = &["kind", "manager_id", "abc_class"];
    type Item = Counterparty;
    type Input = CounterpartyInput;
    async fn list(app: &App, a: &Actor, spec: &ListSpec) -> Result<Page<Counterparty>, AppError> {
        app.list_counterparties(a, spec).await
    }
    async fn get(app: &App, a: &Actor, id: i64) -> Result<Counterparty, AppError> {
        Ok(app.get_counterparty(a, id).await?.counterparty)
    }
    async fn save(
        app: &App,
        a: &Actor,
        id: Option<i64>,
        input: &CounterpartyInput,
    ) -> Result<Counterparty, AppError> {
        app.save_counterparty(a, id, input).await
    }
    fn key(c: &Counterparty) -> (i64, String, bool) {
        (c.id, c.name.clone(), c.archived)
    }
    fn headers(lang: Lang) -> Vec<&'static str> {
        vec![
            lang.t("Наименование", "Name"),
            lang.t("Вид", "Kind"),
            lang.t("ИНН", "INN"),
            lang.t("КПП", "KPP"),
            lang.t("Менеджер", "Manager"),
            lang.t("Кредитный лимит", "Credit limit"),
            lang.t("Телефон", "Phone"),
            "ABC",
        ]
    }
    fn row(lang: Lang, c: &Counterparty, ctx: &Ctx) -> Vec<Markup> {
        vec![
            html! {},
            html! { (kind_label(&c.kind, lang.ru())) },
            html! { (c.inn) },
            html! { (c.kpp) },
            html! { (Ctx::name(&ctx.employees, c.manager_id)) },
            html! { @if let Some(l) = c.credit_limit { (Money(l).to_ru()) } @else { span.muted { "—" } } },
            html! { (c.phone) },
            html! { @if !c.abc_class.is_empty() { span.tag.abc { (c.abc_class) } } },
        ]
    }
    fn cells(lang: Lang, c: &Counterparty, ctx: &Ctx) -> Vec<Cell> {
        vec![
            Cell::T(c.name.clone()),
            Cell::T(kind_label(&c.kind, lang.ru()).to_string()),
            Cell::T(c.inn.clone()),
            Cell::T(c.kpp.clone()),
            Cell::T(Ctx::name(&ctx.employees, c.manager_id)),
            c.credit_limit.map_or(Cell::T(String::new()), Cell::M),
            Cell::T(c.phone.clone()),
            Cell::T(c.abc_class.clone()),
        ]
    }
    fn fields(lang: Lang, ctx: &Ctx, _creating: bool) -> Vec<Field> {
        vec![
            text_f("name", "Наименование", "Name").required(),
            Field::new(
                "kind",
                "Вид",
                "Kind",
                Kind::Select(
                    KINDS
                        .iter()
                        .map(|k| (k.to_string(), kind_label(k, lang.ru()).to_string()))
                        .collect(),
                ),
            ),
            text_f("inn", "ИНН", "INN").hint(
                "10 цифр для организации, 12 — для ИП; контрольные цифры проверяются",
                "10 digits for an organisation, 12 for an individual; check digits are verified",
            ),
            text_f("kpp", "КПП", "KPP"),
            Field::new(
                "price_type_id",
                "Тип цен",
                "Price type",
                Kind::Select(Ctx::opts(&ctx.price_types)),
            )
            .hint("Пусто — розничные цены", "Empty — retail prices"),
            Field::new(
                "manager_id",
                "Ответственный менеджер",
                "Responsible manager",
                Kind::Select(Ctx::opts(&ctx.employees)),
            ),
            text_f("credit_limit", "Кредитный лимит, ₽", "Credit limit, ₽")
                .hint("Пусто — без ограничения", "Empty — no limit"),
            text_f("contact_person", "Контактное лицо", "Contact person"),
            text_f("phone", "Телефон", "Phone"),
            text_f("email", "Эл. почта", "E-mail"),
            text_f("address", "Юридический адрес", "Legal address"),
            text_f("full_name", "Полное наименование", "Full name"),
            text_f("ogrn", "ОГРН / ОГРНИП", "OGRN / OGRNIP").hint(
                "13 или 15 цифр, контрольная цифра проверяется",
                "13 or 15 digits, check digit verified",
            ),
            text_f("postal_address", "Почтовый адрес", "Postal address"),
            Field::new("notes", "Примечание", "Notes", Kind::Textarea),
        ]
    }
    fn filter_controls(lang: Lang, ctx: &Ctx, p: &ListParams) -> Markup {
        let kind = p.kind.clone().unwrap_or_default();
        let mgr = p.manager_id.clone().unwrap_or_default();
        let class = p.abc_class.clone().unwrap_or_default();
        html! {
            select name="abc_class" {
                option value="" { (lang.t("Любой класс ABC", "Any ABC class")) }
                @for k in ["A", "B", "C"] { option value=(k) selected[class == k] { (lang.t("Класс ", "Class ")) (k) } }
            }
            select name="kind" {
                option value="" { (lang.t("Любой вид", "Any kind")) }
                @for k in KINDS { option value=(k) selected[kind == k] { (kind_label(k, lang.ru())) } }
            }
            select name="manager_id" {
                option value="" { (lang.t("Любой менеджер", "Any manager")) }
                @for (id, name) in Ctx::opts(&ctx.employees).into_iter().skip(1) { option value=(id) selected[mgr == id] { (name) } }
            }
        }
    }
    async fn extra(
        app: &App,
        a: &Actor,
        lang: Lang,
        id: i64,
        csrf: &str,
        refusal: &Refusal,
    ) -> Result<Markup, AppError> {
        let client_work = super::client::card_block(app, a, lang, id, csrf, refusal).await?;
        let card = app.get_counterparty(a, id).await?;
        let papers = super::paperwork::counterparty_block(app, a, lang, id, csrf, refusal).await?;
        let bal = Money::parse(&card.balance).unwrap_or_default();
        let docs = app.counterparty_documents(a, id, 50).await?;
        let open = app.open_orders(a, id).await?;
        let scales = app.client_scales(a, id).await?;
        let names: HashMap<i64, String> =
            [(id, card.counterparty.name.clone())].into_iter().collect();
        Ok(html! {
            div.card {
                dl.props {
                    dt { (lang.t("Сальдо взаиморасчётов", "Settlement balance")) }
                    dd { b { (bal.to_ru()) } " " span.muted { @if bal.0 > 0 { (lang.t("(нам должны)", "(owes us)")) } @else if bal.0 < 0 { (lang.t("(мы должны / аванс)", "(we owe / prepaid)")) } } }
                    dt { (lang.t("Кредитный лимит", "Credit limit")) }
                    dd { @if let Some(l) = card.counterparty.credit_limit { (Money(l).to_ru()) } @else { (lang.t("без ограничения", "no limit")) } }
                    (super::scales::card_rows(lang, &scales))
                    dt { (lang.t("Класс ABC (выручка за 12 мес.)", "ABC class (revenue, 12 months)")) }
                    dd { @if card.counterparty.abc_class.is_empty() { span.muted { (lang.t("нет продаж", "no sales")) } } @else { span.tag.abc { (card.counterparty.abc_class) } " " a href=(format!("/reports/sales/documents?counterparty_id={id}&from={}", (kupets_app::today() - chrono::Duration::days(365)))) { (lang.t("продажи", "sales")) } } }
                }
                @if !open.is_empty() {
                    h2 { (lang.t("Открытые заказы", "Open orders")) }
                    table.list {
                        tr { th { "№" } th { (lang.t("Дата", "Date")) } th.num { (lang.t("Сумма", "Amount")) } th.num { (lang.t("Отгружено", "Shipped")) } th.num { (lang.t("Оплачено", "Paid")) } }
                        @for o in &open {
                            tr {
                                td { a href=(format!("/sales-orders/{}", o.document.id)) { (o.document.number) } }
                                td { (super::documents::date_ru(&o.document.date)) }
                                td.num { (Money::parse(&o.ordered_amount).unwrap_or_default().to_ru()) }
                                td.num { (Money::parse(&o.shipped_amount).unwrap_or_default().to_ru()) }
                                td.num { (Money::parse(&o.paid_amount).unwrap_or_default().to_ru()) }
                            }
                        }
                    }
                }
                h2 { (lang.t("Документы", "Documents")) }
                (super::trade::doc_table(lang, &docs, &names))
                p {
                    a.btn.light href=(format!("/sales-orders/new?counterparty_id={id}")) { (lang.t("Новый заказ", "New order")) } " "
                    a.btn.light href=(format!("/shipments/new?counterparty_id={id}")) { (lang.t("Отгрузка", "Shipment")) } " "
                    a.btn.light href=(format!("/reports/reconciliation?counterparty_id={id}")) { (lang.t("Акт сверки", "Reconciliation")) } " "
                    a.btn.light href=(format!("/adjustments/new?counterparty_id={id}")) { (lang.t("Корректировка долга", "Debt adjustment")) } " "
                    a.btn.light href=(format!("/pricing?counterparty_id={id}")) { (lang.t("Скидки клиента", "Client's discounts")) } " "
                    a.btn.light href=(format!("/pricing/try?counterparty_id={id}")) { (lang.t("Подобрать цены", "Try prices")) }
                }
            }
            (papers)
            (client_work)
        })
    }
}

pub struct Products;
impl Master for Products {
    const RES: &'static str = "products";
    const TITLE: (&'static str, &'static str) = ("Товары", "Products");
    const NEW: (&'static str, &'static str) = ("Новый товар", "New product");
    const RIGHT: Right = Right::EditCatalog;
    const FILTERS: &'static [&'static str] = &["group_id"];
    type Item = Product;
    type Input = ProductInput;
    async fn list(app: &App, a: &Actor, spec: &ListSpec) -> Result<Page<Product>, AppError> {
        app.list_products(a, spec).await
    }
    async fn get(app: &App, a: &Actor, id: i64) -> Result<Product, AppError> {
        app.get_product(a, id).await
    }
    async fn save(
        app: &App,
        a: &Actor,
        id: Option<i64>,
        input: &ProductInput,
    ) -> Result<Product, AppError> {
        app.save_product(a, id, input).await
    }
    fn key(p: &Product) -> (i64, String, bool) {
        (p.id, p.name.clone(), p.archived)
    }
    fn headers(lang: Lang) -> Vec<&'static str> {
        vec![
            lang.t("Наименование", "Name"),
            lang.t("Артикул", "SKU"),
            lang.t("Группа", "Group"),
            lang.t("Ед.", "Unit"),
            lang.t("НДС", "VAT"),
            lang.t("Серийный учёт", "Serials"),
            lang.t("Гарантия, мес.", "Warranty, months"),
        ]
    }
    fn row(lang: Lang, p: &Product, ctx: &Ctx) -> Vec<Markup> {
        vec![
            html! {},
            html! { (p.sku) },
            html! { (Ctx::name(&ctx.groups, p.group_id)) },
            html! { (p.unit) },
            html! { (VatRate::parse(&p.vat_rate).map(|v| v.label_ru()).unwrap_or("")) },
            html! { @if p.serial_tracked { (lang.t("да", "yes")) } },
            html! { @if p.warranty_months > 0 { (p.warranty_months) } },
        ]
    }
    fn cells(lang: Lang, p: &Product, ctx: &Ctx) -> Vec<Cell> {
        vec![
            Cell::T(p.name.clone()),
            Cell::T(p.sku.clone()),
            Cell::T(Ctx::name(&ctx.groups, p.group_id)),
            Cell::T(p.unit.clone()),
            Cell::T(
                VatRate::parse(&p.vat_rate)
                    .map(|v| v.label_ru())
                    .unwrap_or("")
                    .to_string(),
            ),
            Cell::T(
                if p.serial_tracked {
                    lang.t("да", "yes")
                } else {
                    ""
                }
                .to_string(),
            ),
            Cell::N(p.warranty_months),
        ]
    }
    fn fields(_lang: Lang, ctx: &Ctx, _creating: bool) -> Vec<Field> {
        let mut groups: Vec<(String, String)> = ctx
            .groups
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        groups.sort_by(|a, b| a.1.cmp(&b.1));
        vec![
            text_f("sku", "Артикул", "SKU")
                .required()
                .hint("Уникален", "Unique"),
            text_f("name", "Наименование", "Name").required(),
            Field::new(
                "group_id",
                "Группа",
                "Group",
                Kind::Select(options(true, groups)),
            ),
            text_f("unit", "Единица измерения", "Unit")
                .hint("По умолчанию «шт»", "Default: шт (pcs)"),
            Field::new(
                "vat_rate",
                "Ставка НДС",
                "VAT rate",
                Kind::Select(
                    VatRate::ALL
                        .iter()
                        .map(|v| (v.code().to_string(), v.label_ru().to_string()))
                        .collect(),
                ),
            ),
            Field::new(
                "serial_tracked",
                "Учёт по серийным номерам",
                "Serial-tracked",
                Kind::Check,
            ),
            text_f("warranty_months", "Гарантия, месяцев", "Warranty, months"),
        ]
    }
    fn filter_controls(lang: Lang, ctx: &Ctx, p: &ListParams) -> Markup {
        let g = p.group_id.clone().unwrap_or_default();
        let mut groups: Vec<(String, String)> = ctx
            .groups
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        groups.sort_by(|a, b| a.1.cmp(&b.1));
        html! {
            select name="group_id" {
                option value="" { (lang.t("Все группы", "All groups")) }
                @for (id, name) in groups { option value=(id) selected[g == id] { (name) } }
            }
        }
    }
    async fn extra(
        app: &App,
        a: &Actor,
        lang: Lang,
        id: i64,
        csrf: &str,
        refusal: &Refusal,
    ) -> Result<Markup, AppError> {
        let history = app.price_history(a, id).await?;
        let action = format!("/products/{id}/prices");
        let kept = |name: &str, default: &str| refusal.value(&action, name, default);
        let today = kupets_app::today().to_string();
        let current = app.prices_on(a, id, &today).await?;
        let types = app.all_price_types().await?;
        Ok(html! {
            div.card {
                h2 style="margin-top:0" { (lang.t("Цены", "Prices")) }
                @if current.is_empty() { p.muted { (lang.t("Цен пока нет.", "No prices yet.")) } }
                @else {
                    dl.props { @for p in &current { dt { (p.price_type_name) } dd { b { (Money(p.price.price).to_ru()) } " " span.muted { (lang.t("с ", "from ")) (super::documents::date_ru(&p.price.effective_date)) } } } }
                }
                @if a.can(Right::EditCatalog) {
                    form #price-form method="post" action=(action) style="margin-top:12px;display:flex;gap:8px;flex-wrap:wrap;align-items:center" {
                        input type="hidden" name="csrf" value=(csrf);
                        @let pt = kept("price_type_id", "");
                        select name="price_type_id" { @for t in &types { option value=(t.id) selected[pt == t.id.to_string()] { (t.name) } } }
                        input type="date" name="effective_date" value=(kept("effective_date", &today));
                        input type="text" name="price" value=(kept("price", "")) placeholder=(lang.t("Цена, ₽", "Price, ₽")) size="10";
                        button.btn type="submit" { (lang.t("Установить цену", "Set price")) }
                    }
                    @for f in ["price_type_id", "effective_date", "price"] { (refusal.at_form(lang, &action, f)) }
                }
                @if history.len() > current.len() {
                    h2 { (lang.t("История цен", "Price history")) }
                    table.list {
                        tr { th { (lang.t("Тип цен", "Price type")) } th { (lang.t("Действует с", "Effective from")) } th.num { (lang.t("Цена", "Price")) } th { (lang.t("Внесена", "Entered")) } }
                        @for p in &history { tr { td { (p.price_type_name) } td { (super::documents::date_ru(&p.price.effective_date)) } td.num { (Money(p.price.price).to_ru()) } td.muted { (p.price.created_at.get(..10).unwrap_or("")) } } }
                    }
                }
            }
        })
    }
}

/// Sets a price from the product card.
pub async fn add_price(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return super::layout::not_found_page(lang);
    };
    let input: PriceInput = input_of(&f);
    match s.app.add_price(&ui.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/products/{id}?saved=1")).into_response(),
        Err(e) => {
            let r = Refusal::of_form(lang, &e, &format!("/products/{id}/prices"), &f);
            card_refused::<Products>(&ui, &s, id, &r).await
        }
    }
}

pub struct PriceTypes;
impl Master for PriceTypes {
    const RES: &'static str = "price-types";
    const TITLE: (&'static str, &'static str) = ("Типы цен", "Price types");
    const NEW: (&'static str, &'static str) = ("Новый тип цен", "New price type");
    const RIGHT: Right = Right::EditCatalog;
    type Item = PriceType;
    type Input = PriceTypeInput;
    async fn list(app: &App, a: &Actor, spec: &ListSpec) -> Result<Page<PriceType>, AppError> {
        app.list_price_types(a, spec).await
    }
    async fn get(app: &App, a: &Actor, id: i64) -> Result<PriceType, AppError> {
        app.get_price_type(a, id).await
    }
    async fn save(
        app: &App,
        a: &Actor,
        id: Option<i64>,
        input: &PriceTypeInput,
    ) -> Result<PriceType, AppError> {
        app.save_price_type(a, id, input).await
    }
    fn key(p: &PriceType) -> (i64, String, bool) {
        (p.id, p.name.clone(), p.archived)
    }
    fn headers(lang: Lang) -> Vec<&'static str> {
        vec![lang.t("Наименование", "Name"), lang.t("Код", "Code")]
    }
    fn row(_lang: Lang, p: &PriceType, _ctx: &Ctx) -> Vec<Markup> {
        vec![html! {}, html! { code { (p.code) } }]
    }
    fn fields(_lang: Lang, _ctx: &Ctx, _creating: bool) -> Vec<Field> {
        vec![
            text_f("name", "Наименование", "Name").required(),
            text_f("code", "Код", "Code").required().hint(
                "Латиницей; «retail» — розничные цены",
                "Latin; 'retail' is the retail price type",
            ),
        ]
    }
}

pub struct Warehouses;
impl Master for Warehouses {
    const RES: &'static str = "warehouses";
    const TITLE: (&'static str, &'static str) = ("Склады", "Warehouses");
    const NEW: (&'static str, &'static str) = ("Новый склад", "New warehouse");
    const RIGHT: Right = Right::EditCatalog;
    type Item = Warehouse;
    type Input = WarehouseInput;
    async fn list(app: &App, a: &Actor, spec: &ListSpec) -> Result<Page<Warehouse>, AppError> {
        app.list_warehouses(a, spec).await
    }
    async fn get(app: &App, a: &Actor, id: i64) -> Result<Warehouse, AppError> {
        app.get_warehouse(a, id).await
    }
    async fn save(
        app: &App,
        a: &Actor,
        id: Option<i64>,
        input: &WarehouseInput,
    ) -> Result<Warehouse, AppError> {
        app.save_warehouse(a, id, input).await
    }
    fn key(w: &Warehouse) -> (i64, String, bool) {
        (w.id, w.name.clone(), w.archived)
    }
    fn headers(lang: Lang) -> Vec<&'static str> {
        vec![lang.t("Наименование", "Name"), lang.t("Адрес", "Address")]
    }
    fn row(_lang: Lang, w: &Warehouse, _ctx: &Ctx) -> Vec<Markup> {
        vec![html! {}, html! { (w.address) }]
    }
    fn fields(_lang: Lang, _ctx: &Ctx, _creating: bool) -> Vec<Field> {
        vec![
            text_f("name", "Наименование", "Name").required(),
            text_f("address", "Адрес", "Address"),
        ]
    }
}

pub struct Departments;
impl Master for Departments {
    const RES: &'static str = "departments";
    const TITLE: (&'static str, &'static str) = ("Отделы", "Departments");
    const NEW: (&'static str, &'static str) = ("Новый отдел", "New department");
    const RIGHT: Right = Right::ManagePeople;
    type Item = Department;
    type Input = DepartmentInput;
    async fn list(app: &App, a: &Actor, spec: &ListSpec) -> Result<Page<Department>, AppError> {
        app.list_departments(a, spec).await
    }
    async fn get(app: &App, a: &Actor, id: i64) -> Result<Department, AppError> {
        app.get_department(a, id).await
    }
    async fn save(
        app: &App,
        a: &Actor,
        id: Option<i64>,
        input: &DepartmentInput,
    ) -> Result<Department, AppError> {
        app.save_department(a, id, input).await
    }
    fn key(d: &Department) -> (i64, String, bool) {
        (d.id, d.name.clone(), d.archived)
    }
    fn headers(lang: Lang) -> Vec<&'static str> {
        vec![
            lang.t("Наименование", "Name"),
            lang.t("Руководитель", "Head"),
        ]
    }
    fn row(_lang: Lang, d: &Department, ctx: &Ctx) -> Vec<Markup> {
        vec![html! {}, html! { (Ctx::name(&ctx.employees, d.head_id)) }]
    }
    fn fields(_lang: Lang, ctx: &Ctx, _creating: bool) -> Vec<Field> {
        vec![
            text_f("name", "Наименование", "Name").required(),
            Field::new(
                "head_id",
                "Руководитель",
                "Head",
                Kind::Select(Ctx::opts(&ctx.employees)),
            ),
        ]
    }
}

pub struct Employees;
impl Master for Employees {
    const RES: &'static str = "employees";
    const TITLE: (&'static str, &'static str) = ("Сотрудники", "Employees");
    const NEW: (&'static str, &'static str) = ("Новый сотрудник", "New employee");
    const RIGHT: Right = Right::ManagePeople;
    const FILTERS: &'static [&'static str] = &["department_id", "role"];
    type Item = Employee;
    type Input = EmployeeInput;
    async fn list(app: &App, a: &Actor, spec: &ListSpec) -> Result<Page<Employee>, AppError> {
        app.list_employees(a, spec).await
    }
    async fn get(app: &App, a: &Actor, id: i64) -> Result<Employee, AppError> {
        app.get_employee(a, id).await
    }
    async fn save(
        app: &App,
        a: &Actor,
        id: Option<i64>,
        input: &EmployeeInput,
    ) -> Result<Employee, AppError> {
        app.save_employee(a, id, input).await
    }
    fn key(e: &Employee) -> (i64, String, bool) {
        (e.id, e.name.clone(), e.archived)
    }
    fn headers(lang: Lang) -> Vec<&'static str> {
        vec![
            lang.t("ФИО", "Name"),
            lang.t("Логин", "Login"),
            lang.t("Роль", "Role"),
            lang.t("Отдел", "Department"),
            lang.t("Лимит скидки, %", "Discount limit, %"),
        ]
    }
    fn row(lang: Lang, e: &Employee, ctx: &Ctx) -> Vec<Markup> {
        vec![
            html! {},
            html! { (e.login) },
            html! { (Role::parse(&e.role).map(|r| r.label(lang.ru())).unwrap_or("")) },
            html! { (Ctx::name(&ctx.departments, e.department_id)) },
            html! { (kupets_domain::Percent(e.discount_limit).to_api()) },
        ]
    }
    fn fields(lang: Lang, ctx: &Ctx, creating: bool) -> Vec<Field> {
        let pw = Field::new("password", "Пароль", "Password", Kind::Password);
        let pw = if creating {
            pw.required()
                .hint("Не короче 8 символов", "At least 8 characters")
        } else {
            pw.hint(
                "Заполните, чтобы сменить пароль",
                "Fill in to change the password",
            )
        };
        vec![
            text_f("name", "ФИО", "Full name").required(),
            text_f("login", "Логин", "Login").required(),
            Field::new(
                "role",
                "Роль",
                "Role",
                Kind::Select(
                    Role::ALL
                        .iter()
                        .map(|r| (r.code().to_string(), r.label(lang.ru()).to_string()))
                        .collect(),
                ),
            )
            .required(),
            Field::new(
                "department_id",
                "Отдел",
                "Department",
                Kind::Select(Ctx::opts(&ctx.departments)),
            ),
            text_f(
                "discount_limit",
                "Лимит спецскидки, %",
                "Special discount limit, %",
            ),
            text_f("email", "Эл. почта", "E-mail"),
            text_f("phone", "Телефон", "Phone"),
            pw,
        ]
    }
    fn filter_controls(lang: Lang, ctx: &Ctx, p: &ListParams) -> Markup {
        let d = p.department_id.clone().unwrap_or_default();
        let r = p.role.clone().unwrap_or_default();
        html! {
            select name="department_id" {
                option value="" { (lang.t("Все отделы", "All departments")) }
                @for (id, name) in Ctx::opts(&ctx.departments).into_iter().skip(1) { option value=(id) selected[d == id] { (name) } }
            }
            select name="role" {
                option value="" { (lang.t("Любая роль", "Any role")) }
                @for role in Role::ALL { option value=(role.code()) selected[r == role.code()] { (role.label(lang.ru())) } }
            }
        }
    }
}
