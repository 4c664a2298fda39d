//! The page of discount scales: named cumulative scales and volume sets,
//! the default of each kind, and which a counterparty is given.

use super::check_csrf;
use super::forms::{button_form, Values};
use super::layout::{error_page, not_found_page, page};
use super::refusal::Refusal;
use super::trade::{names, opts, select};
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kupets_app::discount_scale::{
    kind_label, ClientScales, ClientScalesInput, DiscountScale, ScaleChoice, ScaleInput,
};
use kupets_app::AppError;
use kupets_domain::role::Right;
use maud::{html, Markup};

pub fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/pricing/scales", get(show).post(create))
        .route("/pricing/scales/default", post(set_default))
        .route("/pricing/scales/assign", post(assign))
        .route("/pricing/scales/{id}/archive", post(archive))
}

/// The scales of a counterparty, for its card.
pub fn card_rows(lang: Lang, c: &ClientScales) -> Markup {
    let one = |ch: &ScaleChoice| -> Markup {
        html! {
            @match &ch.effective_name { Some(n) => { (n) } None => { (lang.t("нет", "none")) } }
            " " span.muted { @match ch.mode.as_str() {
                "default" => { (lang.t("(по умолчанию)", "(the default)")) }
                "none" => { (lang.t("(не даётся)", "(withheld)")) }
                _ => { (lang.t("(назначена)", "(given)")) }
            } }
        }
    };
    html! {
        dt { (lang.t("Накопительная шкала", "Cumulative scale")) }
        dd { (one(&c.cumulative)) " " a href="/pricing/scales" { (lang.t("изменить", "change")) } }
        dt { (lang.t("Набор за объём закупок", "Volume-maintenance set")) }
        dd { (one(&c.volume)) }
    }
}

async fn show(ui: UiActor, State(s): State<AppState>) -> Response {
    scales_page(&ui, &s, &Refusal::none()).await
}

fn choice_opts(lang: Lang, scales: &[&DiscountScale], selected: &str) -> Markup {
    html! {
        option value="" selected[selected.is_empty()] { (lang.t("по умолчанию", "the default")) }
        option value="none" selected[selected == "none"] { (lang.t("нет (не давать)", "none (withheld)")) }
        @for sc in scales { option value=(sc.id) selected[sc.id.to_string() == selected] { (sc.name) } }
    }
}

/// The scales page; after a refused form, that form as it was sent and the
/// messages at its fields.
async fn scales_page(ui: &UiActor, s: &AppState, refusal: &Refusal) -> Response {
    let lang = current_lang();
    let a = &ui.actor;
    let all = match s.app.list_scales(a, None, false).await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let cps = opts(
        &names(
            &s.app,
            "SELECT id, name FROM counterparties WHERE archived = 0 ORDER BY name LIMIT 5000",
        )
        .await,
    );
    // Counterparties given a scale or withheld one (at most 200 shown).
    let given = s
        .app
        .store
        .read_rows(
            "SELECT c.id, c.name, c.cumulative_scale_id AS cs, c.volume_scale_id AS vs FROM counterparties c \
             WHERE c.cumulative_scale_id IS NOT NULL OR c.volume_scale_id IS NOT NULL ORDER BY c.name, c.id LIMIT 200"
                .into(),
            vec![],
            |r| (r.int("id"), r.text("name"), r.opt_int("cs"), r.opt_int("vs")),
        )
        .await
        .unwrap_or_default();
    let edit = a.can(Right::ManagePricing);
    let csrf = &ui.csrf;
    let name_of = |id: Option<i64>| -> String {
        match id {
            None => lang.t("по умолчанию", "the default").to_string(),
            Some(0) => lang.t("нет", "none").to_string(),
            Some(i) => all
                .iter()
                .find(|s| s.id == i)
                .map(|s| s.name.clone())
                .unwrap_or_else(|| i.to_string()),
        }
    };
    let body = html! {
        h1 { (lang.t("Шкалы скидок", "Discount scales")) }
        p.muted { (lang.t(
            "Накопительные шкалы и наборы скидок за поддержание уровня закупок. Клиенту даётся не более одной шкалы и одного набора, либо «нет»; клиенту без назначения действуют шкала и набор по умолчанию. Пороги и правила — на странице ",
            "Cumulative scales and volume-maintenance rule sets. A client is given at most one scale and one set, or none; a client given nothing gets the defaults. Thresholds and rules are on the page "))
            a href="/pricing" { (lang.t("«Скидки и акции»", "'Discounts and promotions'")) } "." }
        (refusal.summary(lang, &|_| false))
        @for kind in kupets_app::discount_scale::KINDS {
            @let scales: Vec<&DiscountScale> = all.iter().filter(|s| s.kind == kind).collect();
            h2 { (kind_label(kind, lang.ru())) }
            table.list {
                tr { th { (lang.t("Название", "Name")) } th.num { (lang.t("Правил", "Rules")) } th.num { (lang.t("Клиентов", "Clients")) } th {} }
                @for sc in &scales {
                    tr {
                        td { (sc.name) @if sc.is_default { " " strong.default { (lang.t("(по умолчанию)", "(default)")) } } }
                        td.num { (sc.rules) } td.num { (sc.counterparties) }
                        td { @if edit && !sc.is_default && sc.counterparties == 0 {
                            (button_form(&format!("/pricing/scales/{}/archive", sc.id), csrf, lang.t("В архив", "Archive"), "btn light"))
                        } }
                    }
                }
            }
            @if edit {
                form.inline method="post" action="/pricing/scales/default" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="kind" value=(kind);
                    (lang.t("По умолчанию: ", "Default: "))
                    select name="scale_id" {
                        option value="" { (lang.t("нет", "none")) }
                        @for sc in &scales { option value=(sc.id) selected[sc.is_default] { (sc.name) } }
                    }
                    button.btn.light type="submit" { (lang.t("Сохранить", "Save")) }
                }
            }
        }
        @if edit {
            h2 { (lang.t("Новая шкала или набор", "New scale or set")) }
            @let nk = refusal.value("/pricing/scales", "kind", "");
            form.inline method="post" action="/pricing/scales" {
                input type="hidden" name="csrf" value=(csrf);
                select name="kind" {
                    @for kind in kupets_app::discount_scale::KINDS { option value=(kind) selected[nk == kind] { (kind_label(kind, lang.ru())) } }
                }
                input type="text" name="name" value=(refusal.value("/pricing/scales", "name", "")) placeholder=(lang.t("Название", "Name")) size="24";
                button.btn type="submit" { (lang.t("Добавить", "Add")) }
            }
            @for f in ["kind", "name"] { (refusal.at_form(lang, "/pricing/scales", f)) }
        }
        h2 { (lang.t("Клиенты со своей шкалой", "Clients with their own scale")) }
        table.list {
            tr { th { (lang.t("Клиент", "Client")) } th { (lang.t("Накопительная", "Cumulative")) } th { (lang.t("За объём", "Volume")) } }
            @for (id, name, cs, vs) in &given {
                tr { td { a href=(format!("/counterparties/{id}")) { (name) } } td { (name_of(*cs)) } td { (name_of(*vs)) } }
            }
        }
        @if edit {
            @let cum: Vec<&DiscountScale> = all.iter().filter(|s| s.kind == "cumulative").collect();
            @let vol: Vec<&DiscountScale> = all.iter().filter(|s| s.kind == "volume").collect();
            @let aa = "/pricing/scales/assign";
            form.inline method="post" action=(aa) {
                input type="hidden" name="csrf" value=(csrf);
                (select("counterparty_id", &cps, &refusal.value(aa, "counterparty_id", ""), lang.t("Клиент…", "Client…")))
                (lang.t(" накопительная: ", " cumulative: "))
                select name="cumulative_scale_id" { (choice_opts(lang, &cum, &refusal.value(aa, "cumulative_scale_id", ""))) }
                (lang.t(" за объём: ", " volume: "))
                select name="volume_scale_id" { (choice_opts(lang, &vol, &refusal.value(aa, "volume_scale_id", ""))) }
                button.btn type="submit" { (lang.t("Назначить", "Assign")) }
            }
            @for f in ["counterparty_id", "cumulative_scale_id", "volume_scale_id"] { (refusal.at_form(lang, aa, f)) }
        }
    };
    refusal.apply(page(
        lang,
        a,
        csrf,
        lang.t("Шкалы скидок", "Discount scales"),
        "/pricing",
        body,
    ))
}

/// Back to the page, or the page again with the refusal and the form as
/// it was sent (`action`, `f`).
async fn after<T>(
    ui: &UiActor,
    s: &AppState,
    r: Result<T, AppError>,
    action: &str,
    f: &Values,
) -> Response {
    let lang = current_lang();
    match r {
        Ok(_) => Redirect::to("/pricing/scales").into_response(),
        Err(e) => scales_page(ui, s, &Refusal::of_form(lang, &e, action, f)).await,
    }
}

fn g(f: &Values, k: &str) -> Option<String> {
    f.get(k).cloned().filter(|v| !v.trim().is_empty())
}

async fn create(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let input = ScaleInput {
        kind: g(&f, "kind"),
        name: g(&f, "name"),
    };
    let r = s.app.save_scale(&ui.actor, None, &input).await;
    after(&ui, &s, r, "/pricing/scales", &f).await
}

async fn set_default(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let kind = g(&f, "kind").unwrap_or_default();
    let value = g(&f, "scale_id").unwrap_or_default();
    let r = s.app.set_default_scale(&ui.actor, &kind, &value).await;
    after(&ui, &s, r, "/pricing/scales/default", &f).await
}

async fn assign(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let lang = current_lang();
    let Some(cp) = g(&f, "counterparty_id").and_then(|c| c.parse::<i64>().ok()) else {
        let e = AppError::field(
            "counterparty_id",
            "required",
            "Выберите клиента",
            "Choose a client",
        );
        return after::<()>(&ui, &s, Err(e), "/pricing/scales/assign", &f).await;
    };
    let input = ClientScalesInput {
        cumulative_scale_id: g(&f, "cumulative_scale_id"),
        volume_scale_id: g(&f, "volume_scale_id"),
    };
    match s.app.set_client_scales(&ui.actor, cp, &input).await {
        Ok(_) => Redirect::to(&format!("/counterparties/{cp}")).into_response(),
        Err(AppError::NotFound { .. }) => not_found_page(lang),
        Err(e) => after::<()>(&ui, &s, Err(e), "/pricing/scales/assign", &f).await,
    }
}

async fn archive(
    ui: UiActor,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Values>,
) -> Response {
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(current_lang());
    };
    let r = s.app.archive_scale(&ui.actor, id).await;
    after(&ui, &s, r, &format!("/pricing/scales/{id}/archive"), &f).await
}
