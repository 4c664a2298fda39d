//! The product group tree page.

use super::check_csrf;
use super::forms::{button_form, form, input_of, options, values_of, Field, Kind, Values};
use super::layout::{error_page, not_found_page, page};
use super::refusal::Refusal;
use crate::auth::UiActor;
use crate::error::{current_lang, Lang};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use kupets_app::catalog::{GroupNode, ProductGroupInput};
use kupets_app::AppError;
use kupets_domain::role::Right;
use maud::html;

fn fields(tree: &[GroupNode], except: Option<i64>) -> Vec<Field> {
    let parents = tree
        .iter()
        .filter(|n| Some(n.group.id) != except && !n.group.archived)
        .map(|n| (n.group.id.to_string(), n.path.clone()));
    vec![
        Field::new("name", "Наименование", "Name", Kind::Text).required(),
        Field::new(
            "parent_id",
            "Родительская группа",
            "Parent group",
            Kind::Select(options(true, parents)),
        ),
    ]
}

fn tree_page(
    lang: Lang,
    ui: &UiActor,
    tree: &[GroupNode],
    values: &Values,
    refusal: &Refusal,
) -> Response {
    let body = html! {
        h1 { (lang.t("Группы товаров", "Product groups")) }
        div.card {
            @if tree.is_empty() { p.muted { (lang.t("Групп пока нет.", "No groups yet.")) } }
            table.list {
                tr { th { (lang.t("Группа", "Group")) } th { (lang.t("Товары", "Products")) } }
                @for n in tree {
                    tr {
                        td style=(format!("padding-left:{}px", 10 + n.depth * 22)) {
                            a href=(format!("/product-groups/{}", n.group.id)) { (n.group.name) }
                            @if n.group.archived { " " span.tag { (lang.t("архив", "archived")) } }
                        }
                        td { a href=(format!("/products?group_id={}", n.group.id)) { (lang.t("товары →", "products →")) } }
                    }
                }
            }
        }
        @if ui.actor.can(Right::EditCatalog) {
            div.card {
                h2 style="margin-top:0" { (lang.t("Новая группа", "New group")) }
                (form(lang, "/product-groups", &ui.csrf, &fields(tree, None), values, refusal, ("Создать", "Create")))
            }
        }
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        lang.t("Группы товаров", "Product groups"),
        "/product-groups",
        body,
    ))
}

pub async fn list(ui: UiActor, State(s): State<AppState>) -> Response {
    let lang = current_lang();
    match s.app.group_tree(&ui.actor, true).await {
        Ok(tree) => tree_page(lang, &ui, &tree, &Values::new(), &Refusal::none()),
        Err(e) => error_page(lang, &e),
    }
}

pub async fn create(ui: UiActor, State(s): State<AppState>, Form(f): Form<Values>) -> Response {
    let lang = current_lang();
    if let Some(r) = check_csrf(&ui, &f) {
        return r;
    }
    let input: ProductGroupInput = input_of(&f);
    match s.app.save_group(&ui.actor, None, &input).await {
        Ok(_) => Redirect::to("/product-groups").into_response(),
        // Any refusal (rights too) keeps what was typed.
        Err(e) => match s.app.group_tree(&ui.actor, true).await {
            Ok(tree) => tree_page(lang, &ui, &tree, &f, &Refusal::of(lang, &e)),
            Err(e) => error_page(lang, &e),
        },
    }
}

async fn edit_page(
    ui: &UiActor,
    s: &AppState,
    id: i64,
    values: Option<&Values>,
    refusal: &Refusal,
) -> Response {
    let lang = current_lang();
    let res = async {
        Ok::<_, AppError>((
            s.app.get_group(&ui.actor, id).await?,
            s.app.group_tree(&ui.actor, true).await?,
        ))
    };
    let (g, tree) = match res.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let vals = values.cloned().unwrap_or_else(|| values_of(&g));
    let body = html! {
        p { a href="/product-groups" { "← " (lang.t("Группы товаров", "Product groups")) } }
        h1 { (g.name) @if g.archived { " " span.tag { (lang.t("в архиве", "archived")) } } }
        @if ui.actor.can(Right::EditCatalog) || !refusal.is_empty() {
            div.card { (form(lang, &format!("/product-groups/{id}"), &ui.csrf, &fields(&tree, Some(id)), &vals, refusal, ("Сохранить", "Save"))) }
            (button_form(&format!("/product-groups/{id}/archive"), &ui.csrf, if g.archived { lang.t("Вернуть из архива", "Restore from archive") } else { lang.t("Переместить в архив", "Move to archive") }, "light"))
        }
    };
    refusal.apply(page(
        lang,
        &ui.actor,
        &ui.csrf,
        &g.name,
        "/product-groups",
        body,
    ))
}

pub async fn show(ui: UiActor, State(s): State<AppState>, Path(id): Path<String>) -> Response {
    match id.parse::<i64>() {
        Ok(id) => edit_page(&ui, &s, id, None, &Refusal::none()).await,
        Err(_) => not_found_page(current_lang()),
    }
}

pub async fn update(
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
        return not_found_page(lang);
    };
    let input: ProductGroupInput = input_of(&f);
    match s.app.save_group(&ui.actor, Some(id), &input).await {
        Ok(_) => Redirect::to("/product-groups").into_response(),
        Err(e) => edit_page(&ui, &s, id, Some(&f), &Refusal::of(lang, &e)).await,
    }
}

pub async fn archive(
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
        return not_found_page(lang);
    };
    let res = async {
        let g = s.app.get_group(&ui.actor, id).await?;
        s.app
            .set_archived(&ui.actor, "product-groups", id, !g.archived)
            .await
    };
    match res.await {
        Ok(()) => Redirect::to(&format!("/product-groups/{id}")).into_response(),
        Err(e) => edit_page(&ui, &s, id, None, &Refusal::of(lang, &e)).await,
    }
}
