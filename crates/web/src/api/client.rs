//! The client's card: contact persons, interactions and the timeline.

use super::{id_of, ApiJson, ApiPath, ApiQuery};
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kupets_app::contact::{Contact, ContactInput};
use kupets_app::interaction::{Interaction, InteractionFilter, InteractionInput};
use kupets_app::timeline::{TimelineEvent, TimelineFilter};
use kupets_store::page::Page;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ContactParams {
    /// `true`: archived contacts too.
    pub archived: Option<bool>,
}

/// A counterparty's contact persons.
#[utoipa::path(get, path = "/api/v1/counterparties/{id}/contacts", tag = "clients", params(("id" = String, Path), ContactParams),
    responses((status = 200, body = Vec<Contact>), (status = 404)), security(("bearer" = [])))]
pub async fn contact_list(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<ContactParams>,
) -> ApiResult<Json<Vec<Contact>>> {
    Ok(Json(
        s.app
            .list_contacts(&a, id_of(&id, "counterparty")?, p.archived.unwrap_or(false))
            .await?,
    ))
}

/// Adds a contact person.
#[utoipa::path(post, path = "/api/v1/counterparties/{id}/contacts", tag = "clients", params(("id" = String, Path)), request_body = ContactInput,
    responses((status = 201, body = Contact), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn contact_create(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<(StatusCode, Json<Contact>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            s.app
                .save_contact(&a, id_of(&id, "counterparty")?, None, &input)
                .await?,
        ),
    ))
}

/// Replaces a contact person; `archived: true` retires them (never deleted).
#[utoipa::path(put, path = "/api/v1/counterparties/{id}/contacts/{contact_id}", tag = "clients", params(("id" = String, Path), ("contact_id" = String, Path)), request_body = ContactInput,
    responses((status = 200, body = Contact), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn contact_update(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath((id, contact)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<Json<Contact>> {
    Ok(Json(
        s.app
            .save_contact(
                &a,
                id_of(&id, "counterparty")?,
                Some(id_of(&contact, "contact")?),
                &input,
            )
            .await?,
    ))
}

/// Everything with the client in one feed, newest first: documents of every
/// kind (interactions, orders, shipments, payments, repairs…) and status
/// changes; filter by kind and period; cursor pages.
#[utoipa::path(get, path = "/api/v1/counterparties/{id}/timeline", tag = "clients", params(("id" = String, Path), TimelineFilter),
    responses((status = 200, body = Page<TimelineEvent>), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn timeline(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(f): ApiQuery<TimelineFilter>,
) -> ApiResult<Json<Page<TimelineEvent>>> {
    Ok(Json(
        s.app.timeline(&a, id_of(&id, "counterparty")?, &f).await?,
    ))
}

/// Interactions, newest first (of one counterparty if given).
#[utoipa::path(get, path = "/api/v1/interactions", tag = "clients", params(InteractionFilter),
    responses((status = 200, body = Page<Interaction>), (status = 422)), security(("bearer" = [])))]
pub async fn interaction_list(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiQuery(f): ApiQuery<InteractionFilter>,
) -> ApiResult<Json<Page<Interaction>>> {
    Ok(Json(s.app.list_interactions(&a, &f).await?))
}

/// Records a call, meeting, letter, message or note with a client; with
/// `remind_on`, a "call back" reminder for that day. A document like any
/// other: statuses via `/api/v1/documents/{id}/statuses`.
#[utoipa::path(post, path = "/api/v1/interactions", tag = "clients", request_body = InteractionInput,
    responses((status = 201, body = Interaction), (status = 403), (status = 422)), security(("bearer" = [])))]
pub async fn interaction_create(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiJson(input): ApiJson<InteractionInput>,
) -> ApiResult<(StatusCode, Json<Interaction>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.create_interaction(&a, &input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/interactions/{id}", tag = "clients", params(("id" = String, Path)),
    responses((status = 200, body = Interaction), (status = 404)), security(("bearer" = [])))]
pub async fn interaction_get(
    ApiActor(a): ApiActor,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Interaction>> {
    Ok(Json(
        s.app
            .get_interaction(&a, id_of(&id, "interaction")?)
            .await?,
    ))
}
