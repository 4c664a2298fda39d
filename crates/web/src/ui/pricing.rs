//! Pages of the discount rules and the price try-out.

use super::check_csrf;
use super::documents::date_ru;
use super::forms::{button_form, Values};
use super::layout::{error_page, page};
use super::refusal::Refusal;
use super::trade::{names, opts, select};
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kupets_app::pricing::{
    CandidateView, PersonalDiscountInput, PromotionInput, QuoteInput, QuoteLineInput, RuleTable,
    ThresholdInput, VolumeRuleInput,
};
use kupets_app::AppError;
use kupets_domain::pricing::RuleKind;
use kupets_domain::role::Right;
use kupets_domain::{Money, Percent};
use kupets_store::model::DocLine;
use maud::{html, Markup};
use std::collections::HashMap;

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/pricing", get(rules))
        .route("/pricing/thresholds", post(add_threshold))
        .route("/pricing/volume-rules", post(add_volume))
        .route("/pricing/promotions", post(add_promotion))
        .route("/pricing/personal", post(add_personal))
        .route("/pricing/{table}/{id}/archive", post(archive))
        .route("/pricing/try", get(try_prices))
}

fn money(s: &str) -> String {
    Money::parse(s).map(|m| m.to_ru()).unwrap_or_default()
}

fn pct(s: &str) -> String {
    format!("{} %", s.replace('.', ","))
}

fn pct_of(v: i64) -> String {
    pct(&Percent(v).to_api())
}

fn kind_label(lang: Lang, code: &str) -> &'static str {
    RuleKind::parse(code)
        .map(|k| k.label(lang.ru()))
        .unwrap_or("")
}

fn candidate(lang: Lang, c: &CandidateView) -> Markup {
    html! {
        li {
            @if c.won { strong { "✓ " } } @else if c.applies { "· " } @else { span.muted { "✗ " } }
            (pct(&c.pct)) " — "
            (if lang.ru() { &c.why_ru } else { &c.why_en })
            @if c.won { " " strong { (lang.t("(выиграла)", "(won)")) } }
            @else if c.applies { " " span.muted { (lang.t("(проиграла)", "(lost)")) } }
            @else { " " span.muted { (lang.t("(не действует)", "(does not apply)")) } }
        }
    }
}

/// The explanation of a document line's price, one click away.
pub fn explain(lang: Lang, l: &DocLine) -> Markup {
    let pricing: Option<serde_json::Value> = l
        .pricing
        .as_ref()
        .and_then(|p| serde_json::from_str(p.get()).ok());
    let cands: Vec<CandidateView> = pricing
        .as_ref()
        .and_then(|p| p.get("candidates"))
        .and_then(|c| serde_json::from_value(c.clone()).ok())
        .unwrap_or_default();
    let base_type = pricing
        .as_ref()
        .and_then(|p| p.get("base_price_type"))
        .and_then(|v| v.as_str())
        .unwrap_or("retail")
        .to_string();
    html! {
        details.why {
            summary { (lang.t("почему?", "why?")) }
            div.explain {
                (lang.t("Базовая цена", "Base price")) " (" (super::words::price_type(lang, &base_type)) "): " (Money(l.base_price.unwrap_or(0)).to_ru()) br;
                @if cands.is_empty() { (lang.t("Автоматических скидок нет", "No automatic discounts")) br; }
                ul { @for c in &cands { (candidate(lang, c)) } }
                (lang.t("Автоматическая скидка", "Automatic discount")) ": " (pct_of(l.auto_pct))
                @if let Some(k) = &l.rule_kind { " (" (kind_label(lang, k)) ")" }
                @if l.special_pct > 0 { br; (lang.t("Специальная скидка", "Special discount")) ": " (pct_of(l.special_pct)) }
            }
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct RulesQuery {
    pub counterparty_id: Option<String>,
    pub cursor: Option<String>,
}

async fn rules(ui: UiActor, State(s): State<AppState>, Query(q): Query<RulesQuery>) -> Response {
    rules_page(&ui, &s, &q, &Refusal::none()).await
}

/// The rules with their forms; after a refused form, that form as it was
/// sent and the messages at its fields.
async fn rules_page(ui: &UiActor, s: &AppState, q: &RulesQuery, refusal: &Refusal) -> Response {
    let lang = current_lang();
    let a = &ui.actor;
    let cp = q
        .counterparty_id
        .as_deref()
        .and_then(|c| c.parse::<i64>().ok());
    let after = q.cursor.as_deref().and_then(|c| c.parse::<i64>().ok());
    let res = async {
        Ok::<_, AppError>((
            s.app.list_thresholds(a, false, None).await?,
            s.app.list_volume_rules(a, false, None).await?,
            s.app.list_promotions(a, false, None).await?,
            s.app
                .list_personal_discounts(a, cp, false, after, 101)
                .await?,
        ))
    };
    let (thresholds, volume, promos, mut personal) = match res.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let more = personal.len() > 100;
    personal.truncate(100);
    let groups = names(
        &s.app,
        "SELECT id, name FROM product_groups WHERE archived = 0",
    )
    .await;
    let types = names(
        &s.app,
        "SELECT id, name FROM price_types WHERE archived = 0",
    )
    .await;
    let cum_scales = opts(
        &names(
            &s.app,
            "SELECT id, name FROM discount_scales WHERE archived = 0 AND kind = 'cumulative'",
        )
        .await,
    );
    let vol_scales = opts(
        &names(
            &s.app,
            "SELECT id, name FROM discount_scales WHERE archived = 0 AND kind = 'volume'",
        )
        .await,
    );
    let cps = names(
        &s.app,
        "SELECT id, name FROM counterparties WHERE archived = 0 ORDER BY name LIMIT 5000",
    )
    .await;
    let products = names(
        &s.app,
        "SELECT id, sku || ' — ' || name AS name FROM products WHERE archived = 0 ORDER BY sku LIMIT 5000",
    )
    .await;
    let edit = a.can(Right::ManagePricing);
    let csrf = &ui.csrf;
    let arch = |table: &str, id: i64| {
        html! { @if edit { (button_form(&format!("/pricing/{table}/{id}/archive"), csrf, lang.t("В архив", "Archive"), "btn light")) } }
    };
    let (groups, type_opts, cps, products) =
        (opts(&groups), opts(&types), opts(&cps), opts(&products));
    let chosen = cp.map(|c| c.to_string()).unwrap_or_default();
    let v = |action: &str, name: &str| refusal.value(action, name, "");
    let errs = |action: &str, names: &[&str]| html! { @for n in names { (refusal.at_form(lang, action, n)) } };
    let (ta, va, pa, qa) = (
        "/pricing/thresholds",
        "/pricing/volume-rules",
        "/pricing/promotions",
        "/pricing/personal",
    );
    let scope = v(pa, "scope");
    let kept_types: Vec<String> = refusal
        .typed
        .get("price_type_ids")
        .map(|t| t.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let body = html! {
        h1 { (lang.t("Скидки и акции", "Discounts and promotions")) }
        p.muted { (lang.t(
            "Скидки не суммируются: клиенту достаётся наибольшая из действующих (при равенстве — персональная, накопительная, за объём, акция). Проверить, что получит клиент, — ",
            "Discounts do not stack: the client gets the highest that applies (ties: personal, cumulative, volume, promotion). To see what a client gets — "))
            a href="/pricing/try" { (lang.t("подбор цены", "try prices")) } "." }
        (refusal.summary(lang, &|_| false))

        h2 { (lang.t("Накопительные скидки", "Cumulative discounts")) }
        p.muted { (lang.t("Порог — сумма покупок клиента (отгрузки минус возвраты) до даты документа. У каждого клиента своя шкала или шкала по умолчанию — ", "The threshold is the client's net purchases (shipments minus returns) before the document's date. Each client has its own scale or the default one — "))
            a href="/pricing/scales" { (lang.t("шкалы и наборы", "scales and sets")) } "." }
        table.list {
            tr { th { (lang.t("Шкала", "Scale")) } th.num { (lang.t("Покупки от", "Purchases from")) } th.num { "%" } th {} }
            @for t in &thresholds { tr { td { (t.scale_name) } td.num { (Money(t.amount).to_ru()) } td.num { (pct_of(t.pct)) } td { (arch("thresholds", t.id)) } } }
        }
        @if edit {
            form.inline method="post" action=(ta) {
                input type="hidden" name="csrf" value=(csrf);
                (select("scale_id", &cum_scales, &v(ta, "scale_id"), lang.t("Шкала по умолчанию", "The default scale")))
                input type="text" name="amount" value=(v(ta, "amount")) placeholder=(lang.t("Сумма, ₽", "Amount, ₽")) size="12";
                input type="text" name="pct" value=(v(ta, "pct")) placeholder="%" size="5";
                button.btn type="submit" { (lang.t("Добавить порог", "Add threshold")) }
            }
            (errs(ta, &["scale_id", "amount", "pct"]))
        }

        h2 { (lang.t("Скидки за поддержание уровня закупок", "Volume-maintenance discounts")) }
        p.muted { (lang.t("Действует, если за N дней до даты документа клиент купил не меньше суммы.", "Applies when the client bought at least the amount over the N days before the document's date.")) }
        table.list {
            tr { th { (lang.t("Набор", "Set")) } th.num { (lang.t("Дней", "Days")) } th.num { (lang.t("Сумма от", "Amount from")) } th.num { "%" } th {} }
            @for v in &volume { tr { td { (v.scale_name) } td.num { (v.days) } td.num { (Money(v.amount).to_ru()) } td.num { (pct_of(v.pct)) } td { (arch("volume-rules", v.id)) } } }
        }
        @if edit {
            form.inline method="post" action=(va) {
                input type="hidden" name="csrf" value=(csrf);
                (select("scale_id", &vol_scales, &v(va, "scale_id"), lang.t("Набор по умолчанию", "The default set")))
                input type="text" name="days" value=(v(va, "days")) placeholder=(lang.t("Дней", "Days")) size="5";
                input type="text" name="amount" value=(v(va, "amount")) placeholder=(lang.t("Сумма, ₽", "Amount, ₽")) size="12";
                input type="text" name="pct" value=(v(va, "pct")) placeholder="%" size="5";
                button.btn type="submit" { (lang.t("Добавить правило", "Add rule")) }
            }
            (errs(va, &["scale_id", "days", "amount", "pct"]))
        }

        h2 { (lang.t("Акции", "Promotions")) }
        table.list {
            tr { th { (lang.t("Название", "Name")) } th { (lang.t("Период", "Period")) } th { (lang.t("Товары", "Products")) } th.num { "%" } th { (lang.t("Типы цен", "Price types")) } th {} }
            @for p in &promos {
                tr {
                    td { (p.name) }
                    td { (date_ru(&p.date_from)) " – " (date_ru(&p.date_to)) }
                    td { @match p.scope.as_str() {
                        "group" => { (lang.t("группа ", "group ")) "«" (p.group_name.clone().unwrap_or_default()) "»" }
                        "product" => { (p.product_name.clone().unwrap_or_default()) }
                        _ => { (lang.t("все товары", "all products")) }
                    } }
                    td.num { (pct_of(p.pct)) }
                    td { @if p.price_type_ids.is_empty() { (lang.t("все", "all")) } @else {
                        (p.price_type_ids.iter().filter_map(|t| t.parse::<i64>().ok()).filter_map(|t| types.get(&t).cloned()).collect::<Vec<_>>().join(", "))
                    } }
                    td { (arch("promotions", p.id)) }
                }
            }
        }
        @if edit {
            form.grid method="post" action=(pa) {
                input type="hidden" name="csrf" value=(csrf);
                label.l { (lang.t("Название *", "Name *")) } div.f { input type="text" name="name" value=(v(pa, "name")); (errs(pa, &["name"])) }
                label.l { (lang.t("С *", "From *")) } div.f { input type="date" name="date_from" value=(v(pa, "date_from")); (errs(pa, &["date_from"])) }
                label.l { (lang.t("По *", "To *")) } div.f { input type="date" name="date_to" value=(v(pa, "date_to")); div.hint { (lang.t("Оба дня включительно", "Both days included")) } (errs(pa, &["date_to"])) }
                label.l { (lang.t("Товары", "Products")) } div.f {
                    select name="scope" {
                        option value="all" { (lang.t("все товары", "all products")) }
                        option value="group" selected[scope == "group"] { (lang.t("группа (с подгруппами)", "a group (with subgroups)")) }
                        option value="product" selected[scope == "product"] { (lang.t("один товар", "one product")) }
                    }
                    (errs(pa, &["scope"]))
                }
                label.l { (lang.t("Группа", "Group")) } div.f { (select("group_id", &groups, &v(pa, "group_id"), "—")) (errs(pa, &["group_id"])) }
                label.l { (lang.t("Товар", "Product")) } div.f { (select("product_id", &products, &v(pa, "product_id"), "—")) (errs(pa, &["product_id"])) }
                label.l { "% *" } div.f { input type="text" name="pct" value=(v(pa, "pct")) size="5"; (errs(pa, &["pct"])) }
                label.l { (lang.t("Только для типов цен", "Only for price types")) } div.f {
                    @for (id, n) in &type_opts { label { input type="checkbox" name="price_type_ids" value=(id) checked[refusal.form == pa && kept_types.contains(&id.to_string())]; " " (n) } " " }
                    div.hint { (lang.t("Ничего не отмечено — для всех; клиент без типа цен считается розничным", "None ticked: everyone; a client without a price type counts as retail")) }
                }
                div.actions { button.btn type="submit" { (lang.t("Добавить акцию", "Add promotion")) } }
            }
        }

        h2 { (lang.t("Персональные скидки", "Personal discounts")) }
        form.inline method="get" action="/pricing" {
            (select("counterparty_id", &cps, &chosen, lang.t("Все клиенты", "All clients")))
            button.btn.light type="submit" { (lang.t("Показать", "Show")) }
        }
        table.list {
            tr { th { (lang.t("Клиент", "Client")) } th { (lang.t("Группа товаров", "Product group")) } th.num { "%" } th {} }
            @for d in &personal {
                tr {
                    td { a href=(format!("/counterparties/{}", d.counterparty_id)) { (d.counterparty_name) } }
                    td { (d.group_name.clone().unwrap_or_else(|| lang.t("все товары", "all products").to_string())) }
                    td.num { (pct_of(d.pct)) }
                    td { (arch("personal", d.id)) }
                }
            }
        }
        @if more { @if let Some(last) = personal.last() {
            div.pager { a.btn.light href=(format!("/pricing?counterparty_id={}&cursor={}", cp.map(|c| c.to_string()).unwrap_or_default(), last.id)) { (lang.t("Дальше ⟶", "Next ⟶")) } }
        } }
        @if edit {
            form.inline method="post" action=(qa) {
                input type="hidden" name="csrf" value=(csrf);
                (select("counterparty_id", &cps, &refusal.value(qa, "counterparty_id", &chosen), lang.t("Клиент…", "Client…")))
                (select("group_id", &groups, &v(qa, "group_id"), lang.t("Все товары", "All products")))
                input type="text" name="pct" value=(v(qa, "pct")) placeholder="%" size="5";
                button.btn type="submit" { (lang.t("Добавить скидку", "Add discount")) }
            }
            (errs(qa, &["counterparty_id", "group_id", "pct"]))
        }
    };
    refusal.apply(page(
        lang,
        a,
        csrf,
        lang.t("Скидки и акции", "Discounts and promotions"),
        "/pricing",
        body,
    ))
}

/// Re-shows the rules page with the refusal, or goes back to it.
async fn after_save<T>(
    ui: &UiActor,
    s: &AppState,
    r: Result<T, AppError>,
    cp: Option<String>,
    action: &str,
    f: &Values,
) -> Response {
    let lang = current_lang();
    match r {
        Ok(_) => Redirect::to(&match cp {
            Some(c) => format!("/pricing?counterparty_id={c}"),
            None => "/pricing".into(),
        })
        .into_response(),
        Err(e) => {
            let r = Refusal::of_form(lang, &e, action, f);
            rules_page(ui, s, &RulesQuery::default(), &r).await
        }
    }
}

fn g(f: &Values, k: &str) -> Option<String> {
    f.get(k).cloned().filter(|v| !v.trim().is_empty())
}

async fn add_threshold(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let input = ThresholdInput {
        scale_id: g(&f, "scale_id"),
        amount: g(&f, "amount"),
        pct: g(&f, "pct"),
    };
    let r = s.app.save_threshold(&ui.actor, None, &input).await;
    after_save(&ui, &s, r, None, "/pricing/thresholds", &f).await
}

async fn add_volume(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let input = VolumeRuleInput {
        scale_id: g(&f, "scale_id"),
        days: g(&f, "days"),
        amount: g(&f, "amount"),
        pct: g(&f, "pct"),
    };
    let r = s.app.save_volume_rule(&ui.actor, None, &input).await;
    after_save(&ui, &s, r, None, "/pricing/volume-rules", &f).await
}

async fn add_personal(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let input = PersonalDiscountInput {
        counterparty_id: g(&f, "counterparty_id"),
        group_id: g(&f, "group_id"),
        pct: g(&f, "pct"),
    };
    let r = s.app.save_personal_discount(&ui.actor, None, &input).await;
    after_save(
        &ui,
        &s,
        r,
        input.counterparty_id.clone(),
        "/pricing/personal",
        &f,
    )
    .await
}

/// Promotions come as a raw form body: the price-type checkboxes repeat a key.
async fn add_promotion(
    ui: UiActor,
    State(s): State<AppState>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let mut f: Values = pairs.iter().cloned().collect();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let input = PromotionInput {
        name: g(&f, "name"),
        date_from: g(&f, "date_from"),
        date_to: g(&f, "date_to"),
        scope: g(&f, "scope"),
        group_id: g(&f, "group_id"),
        product_id: g(&f, "product_id"),
        pct: g(&f, "pct"),
        price_type_ids: pairs
            .iter()
            .filter(|(k, v)| k == "price_type_ids" && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect(),
    };
    let r = s.app.save_promotion(&ui.actor, None, &input).await;
    // The ticked price types are kept as one list, to tick them again.
    f.insert("price_type_ids".into(), input.price_type_ids.join(","));
    after_save(&ui, &s, r, None, "/pricing/promotions", &f).await
}

async fn archive(
    ui: UiActor,
    State(s): State<AppState>,
    Path((table, id)): Path<(String, String)>,
    Form(f): Form<Values>,
) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let t = match table.as_str() {
        "thresholds" => RuleTable::Cumulative,
        "volume-rules" => RuleTable::Volume,
        "promotions" => RuleTable::Promotion,
        "personal" => RuleTable::Personal,
        _ => return super::layout::not_found_page(lang),
    };
    let Ok(id) = id.parse::<i64>() else {
        return super::layout::not_found_page(lang);
    };
    let r = s.app.archive_rule(&ui.actor, t, id).await;
    after_save(
        &ui,
        &s,
        r,
        None,
        &format!("/pricing/{table}/{id}/archive"),
        &f,
    )
    .await
}

const TRY_ROWS: usize = 5;

/// The try-out: a client, a date and products; the quote with every rule.
async fn try_prices(
    ui: UiActor,
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = current_lang();
    let gq = |k: &str| q.get(k).cloned().filter(|v| !v.trim().is_empty());
    let lines: Vec<QuoteLineInput> = (0..TRY_ROWS)
        .filter(|i| gq(&format!("l{i}_product")).is_some())
        .map(|i| QuoteLineInput {
            product_id: gq(&format!("l{i}_product")),
            qty: gq(&format!("l{i}_qty")).or(Some("1".into())),
            special_discount: gq(&format!("l{i}_special")),
        })
        .collect();
    let asked = !lines.is_empty();
    let quote = if asked {
        Some(
            s.app
                .price_quote(
                    &ui.actor,
                    &QuoteInput {
                        counterparty_id: gq("counterparty_id"),
                        date: gq("date"),
                        author_id: None,
                        lines,
                    },
                )
                .await,
        )
    } else {
        None
    };
    let cps = names(
        &s.app,
        "SELECT id, name FROM counterparties WHERE archived = 0 ORDER BY name LIMIT 5000",
    )
    .await;
    let products = names(
        &s.app,
        "SELECT id, sku || ' — ' || name AS name FROM products WHERE archived = 0 ORDER BY sku LIMIT 5000",
    )
    .await;
    let (cps, products) = (opts(&cps), opts(&products));
    let v = |k: &str| gq(k).unwrap_or_default();
    let date = gq("date").unwrap_or_else(|| kupets_app::today().to_string());
    let body = html! {
        h1 { (lang.t("Подбор цены", "Try prices")) }
        p.muted { (lang.t("Ничего не сохраняется. Показано, какая скидка выигрывает и почему.", "Nothing is saved. Shows which discount wins and why.")) }
        form method="get" action="/pricing/try" {
            div.card { dl.props {
                dt { (lang.t("Клиент", "Client")) }
                dd { (select("counterparty_id", &cps, &v("counterparty_id"), lang.t("Разовый розничный покупатель", "One-off retail buyer"))) }
                dt { (lang.t("Дата", "Date")) } dd { input type="date" name="date" value=(date); }
            } }
            table.list {
                tr { th { (lang.t("Товар", "Product")) } th { (lang.t("Количество", "Quantity")) } th { (lang.t("Спец. скидка, %", "Special discount, %")) } }
                @for i in 0..TRY_ROWS {
                    tr {
                        td { (select(&format!("l{i}_product"), &products, &v(&format!("l{i}_product")), "—")) }
                        td { input type="text" name=(format!("l{i}_qty")) value=(v(&format!("l{i}_qty"))) size="8"; }
                        td { input type="text" name=(format!("l{i}_special")) value=(v(&format!("l{i}_special"))) size="6"; }
                    }
                }
            }
            p { button.btn type="submit" { (lang.t("Рассчитать", "Price it")) } }
        }
        @match &quote {
            Some(Err(e)) => { div.alert { (e.message(lang.ru())) } }
            Some(Ok(q)) => {
                div.card {
                    (lang.t("Тип цен клиента", "Client's price type")) ": " strong { (q.price_type_name.clone().unwrap_or_else(|| lang.t("розничный", "retail").to_string())) }
                    " · " (lang.t("Покупки до даты", "Purchases before the date")) ": " strong { (money(&q.net_purchases)) }
                    " · " (lang.t("Ваш лимит спец. скидки", "Your special discount limit")) ": " strong { (pct(&q.author_limit)) }
                    @if q.counterparty_id.is_some() {
                        br;
                        (lang.t("Накопительная шкала", "Cumulative scale")) ": " strong { (q.cumulative_scale.clone().unwrap_or_else(|| lang.t("нет", "none").to_string())) }
                        " · " (lang.t("Набор за поддержание уровня закупок", "Volume-maintenance set")) ": " strong { (q.volume_scale.clone().unwrap_or_else(|| lang.t("нет", "none").to_string())) }
                    }
                }
                table.list {
                    tr {
                        th { (lang.t("Товар", "Product")) } th.num { (lang.t("Кол-во", "Qty")) }
                        th.num { (lang.t("Розничная", "Retail")) } th.num { (lang.t("Базовая", "Base")) }
                        th.num { (lang.t("Авто", "Auto")) } th.num { (lang.t("Спец.", "Special")) } th.num { (lang.t("Цена", "Price")) }
                        th.num { (lang.t("Скидка от розничной", "Discount vs retail")) } th.num { (lang.t("Сумма", "Amount")) } th { (lang.t("Почему", "Why")) }
                    }
                    @for l in &q.lines {
                        tr {
                            td { (l.product_name) " " span.muted { (l.sku) } } td.num { (l.qty) }
                            td.num { (money(&l.retail_price)) } td.num { (money(&l.base_price)) br; span.muted { (l.base_price_type) } }
                            td.num { (pct(&l.auto_pct)) br; span.muted { (money(&l.auto_price)) } } td.num { (pct(&l.special_pct)) }
                            td.num { strong { (money(&l.final_price)) } }
                            td.num { (money(&l.discount)) br; span.muted { (pct(&l.discount_pct)) } }
                            td.num { (money(&l.amount)) }
                            td { ul.rules {
                                @if let Some(r) = &l.rule { (candidate(lang, r)) } @else { li { (lang.t("Автоматических скидок нет", "No automatic discounts")) } }
                                @for c in &l.lost { (candidate(lang, c)) }
                                @for c in &l.not_applicable { (candidate(lang, c)) }
                            } }
                        }
                    }
                    tr.total {
                        td colspan="8" { (lang.t("Итого", "Total")) " · " (lang.t("скидка от розничной", "discount vs retail")) " " (money(&q.total_discount)) }
                        td.num { strong { (money(&q.total_amount)) } }
                        td.muted { (lang.t("НДС ", "VAT ")) (money(&q.total_vat)) }
                    }
                }
            }
            None => {}
        }
    };
    page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Подбор цены", "Try prices"),
        "/pricing/try",
        body,
    )
}
