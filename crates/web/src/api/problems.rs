//! Makes the OpenAPI document list every status an operation can answer.
//! Besides its own successes and refusals, every operation can meet the
//! refusals of the layers in front of it: malformed input (400), strict
//! input (422), login (401/403), a missing record (404), limits (408, 413,
//! 415), the idempotency claim (409), and "try again" (500/503). Each is
//! `application/problem+json` with the [`Problem`] schema.

use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// An error (RFC 9457 problem details).
#[derive(serde::Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code, e.g. `validation`, `not_found`.
    pub code: String,
    /// In the request's language (`Accept-Language`).
    pub detail: String,
    /// Per field, for `validation`.
    pub errors: Vec<ProblemField>,
}

/// One refused field.
#[derive(serde::Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub code: String,
    pub message: String,
    pub message_ru: String,
    pub message_en: String,
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

fn describe(status: &str) -> &'static str {
    match status {
        "400" => "malformed request (body, query or path)",
        "401" => "not logged in, or wrong login or password",
        "403" => "the role may not do this, or a missing CSRF token",
        "404" => "no such record",
        "408" => "the request did not complete in time",
        "409" => "conflict with the current state (or the same Idempotency-Key still running)",
        "413" => "body too large",
        "415" => "not application/json",
        "422" => "invalid fields (named in `errors`), unknown fields, control characters",
        "429" => "too many failed logins; see Retry-After",
        "500" => "internal error",
        "503" => "busy; retry",
        _ => "refused",
    }
}

fn fill(op: &mut Operation, body: bool, secured: bool) {
    let mut statuses = vec!["400", "404", "408", "409", "422", "500", "503"];
    if body {
        statuses.extend(["413", "415"]);
    }
    if secured {
        statuses.extend(["401", "403"]);
    }
    for s in statuses {
        op.responses
            .responses
            .entry(s.to_string())
            .or_insert_with(|| RefOr::T(problem_response(describe(s))));
    }
    // Statuses an operation already lists (often without a body) get the
    // problem schema too.
    for (status, r) in op.responses.responses.iter_mut() {
        if status.starts_with('4') || status.starts_with('5') {
            if let RefOr::T(resp) = r {
                if resp.content.is_empty() {
                    let description = if resp.description.is_empty() {
                        describe(status).to_string()
                    } else {
                        resp.description.clone()
                    };
                    *resp = problem_response(&description);
                }
            }
        }
    }
}

/// Adds the problem responses and schema to every operation.
/// `Idempotency-Key` is visible ASCII, 1–200 characters: what a header may
/// carry (hyper itself refuses other bytes before any handler runs) and what
/// the middleware accepts.
fn key_header(op: &mut utoipa::openapi::path::Operation) {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    for p in op.parameters.iter_mut().flatten() {
        if p.name.eq_ignore_ascii_case("Idempotency-Key") {
            p.schema = Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(200))
                    .pattern(Some("^[!-~]{1,200}$"))
                    .into(),
            );
        }
    }
}

pub fn add(openapi: &mut OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let api = path.starts_with("/api/");
        for (op, body) in [
            (&mut item.get, false),
            (&mut item.post, true),
            (&mut item.put, true),
            (&mut item.delete, false),
            (&mut item.patch, true),
        ] {
            if let Some(op) = op.as_mut() {
                key_header(op);
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                if api {
                    fill(op, body, secured);
                }
            }
        }
    }
    let comps = openapi.components.get_or_insert_with(Default::default);
    comps
        .schemas
        .insert("Problem".to_string(), Problem::schema());
    comps
        .schemas
        .insert("ProblemField".to_string(), ProblemField::schema());
}
